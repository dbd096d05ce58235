/** Adamax (Adam with the infinity norm), after PyTorch 1.13's optim/adamax.py. */

import type { Tensor } from "@tensorgrad/autograd";
import { checkBetas, checkOption, decayedGrad, nonNegative, Optimizer, type ParamGroup, type ParamsInput } from "./optimizer.js";

/** Adamax's options (PyTorch's defaults). */
export interface AdamaxOptions {
  /** Learning rate (default 2e-3). */
  lr: number;
  /** Decay rates (β1, β2) of the first moment and of the infinity norm (default [0.9, 0.999]). */
  betas: readonly [number, number];
  /** Added to |g| inside the maximum, so the norm is never 0 (default 1e-8). */
  eps: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Maximize the objective instead of minimizing it. */
  maximize: boolean;
}

/** Adamax's per-parameter state (PyTorch's `step`, `exp_avg`, `exp_inf`). */
export type AdamaxState = { step: number; expAvg: Tensor; expInf: Tensor };

/**
 * One Adamax update in place (PyTorch's _single_tensor_adamax): g ← ±grad + wd·p;
 * m ← β1·m + (1−β1)·g; u ← max(β2·u, |g| + eps) (eps inside the maximum, as PyTorch);
 * p ← p − lr/(1−β1ᵗ) · m/u.
 */
function adamax(params: readonly Tensor[], grads: readonly Tensor[], states: AdamaxState[], o: AdamaxOptions): void {
  const [beta1, beta2] = o.betas;
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    const s = states[i];
    const g = decayedGrad(p, grads[i], o.maximize, o.weightDecay);
    s.step += 1;
    s.expAvg.mul_(beta1).add_(g, 1 - beta1);
    s.expInf.copy_(s.expInf.mul_(beta2).maximum(g.abs().add_(o.eps)));
    const clr = o.lr / (1 - beta1 ** s.step);
    p.add_(s.expAvg.div(s.expInf), -clr);
  }
}

/** Adamax: Adam with the second moment replaced by an exponentially weighted infinity norm (PyTorch's torch.optim.Adamax). */
export class Adamax extends Optimizer<AdamaxOptions, AdamaxState> {
  constructor(params: ParamsInput<AdamaxOptions>, options: Partial<AdamaxOptions> = {}) {
    super("Adamax", params, { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false }, options);
  }

  protected validate(o: Readonly<AdamaxOptions>): void {
    checkOption("Adamax", nonNegative(o.lr), "learning rate", o.lr);
    checkOption("Adamax", nonNegative(o.eps), "epsilon value", o.eps);
    checkBetas("Adamax", o.betas);
    checkOption("Adamax", nonNegative(o.weightDecay), "weight decay", o.weightDecay);
  }

  protected updateGroup(group: ParamGroup<AdamaxOptions>): void {
    const { params, grads, states } = this.withGrads(group, (p) => this.stateFor(p, () => ({ step: 0, expAvg: p.zerosLike(), expInf: p.zerosLike() })));
    adamax(params, grads, states, group);
  }
}
