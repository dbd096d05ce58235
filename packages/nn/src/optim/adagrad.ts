/** Adagrad, after PyTorch's optim/adagrad.py. */

import type { Tensor } from "@tensorgrad/autograd";
import { checkOption, decayedGrad, nonNegative, Optimizer, type ParamGroup, type ParamsInput } from "./optimizer.js";

/** Adagrad's options (PyTorch's defaults). */
export interface AdagradOptions {
  /** Learning rate (default 1e-2). */
  lr: number;
  /** Learning rate decay: step t uses lr/(1 + (t−1)·lrDecay) (default 0). */
  lrDecay: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Starting value of the sum of squared gradients (default 0). */
  initialAccumulatorValue: number;
  /** Added to the denominator for numerical stability (default 1e-10). */
  eps: number;
  /** Maximize the objective instead of minimizing it. */
  maximize: boolean;
}

/** Adagrad's per-parameter state. */
export type AdagradState = { step: number; sum: Tensor };

/**
 * One Adagrad update in place (PyTorch's _single_tensor_adagrad): g ← ±grad + wd·p;
 * clr = lr/(1 + (t−1)·lrDecay); s ← s + g²; p ← p − clr·g/(√s + eps).
 */
function adagrad(params: readonly Tensor[], grads: readonly Tensor[], states: AdagradState[], o: AdagradOptions): void {
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    const s = states[i];
    const g = decayedGrad(p, grads[i], o.maximize, o.weightDecay);
    s.step += 1;
    const clr = o.lr / (1 + (s.step - 1) * o.lrDecay);
    s.sum.add_(g.mul(g));
    const std = s.sum.sqrt().add_(o.eps); // in place on the fresh sqrt: one temporary fewer
    p.add_(g.div(std), -clr);
  }
}

/** Adagrad: per-coordinate learning rates scaled by the accumulated squared gradients (PyTorch's torch.optim.Adagrad). */
export class Adagrad extends Optimizer<AdagradOptions, AdagradState> {
  constructor(params: ParamsInput<AdagradOptions>, options: Partial<AdagradOptions> = {}) {
    super("Adagrad", params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false }, options);
    // PyTorch creates Adagrad's state in the constructor, so a state dict taken before any step has it.
    for (const group of this.paramGroups) this.initState(group);
  }

  protected validate(o: Readonly<AdagradOptions>): void {
    checkOption("Adagrad", nonNegative(o.lr), "learning rate", o.lr);
    checkOption("Adagrad", nonNegative(o.lrDecay), "lr decay value", o.lrDecay);
    checkOption("Adagrad", nonNegative(o.weightDecay), "weight decay", o.weightDecay);
    checkOption("Adagrad", nonNegative(o.initialAccumulatorValue), "initial accumulator value", o.initialAccumulatorValue);
    checkOption("Adagrad", nonNegative(o.eps), "epsilon value", o.eps);
  }

  private initState(group: ParamGroup<AdagradOptions>): void {
    for (const p of group.params) this.stateFor(p, () => ({ step: 0, sum: p.newFull(p.shape, group.initialAccumulatorValue) }));
  }

  protected updateGroup(group: ParamGroup<AdagradOptions>): void {
    this.initState(group);
    const { params, grads, states } = this.withGrads(group, (p) => this.state.get(p) as AdagradState);
    adagrad(params, grads, states, group);
  }
}
