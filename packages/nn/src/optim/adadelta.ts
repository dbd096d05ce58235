/** Adadelta, after PyTorch 1.13's optim/adadelta.py. */

import { fusedAdadeltaStep_, type Tensor } from "@tensorgrad/autograd";
import { checkOption, decayedGrad, nonNegative, Optimizer, type ParamGroup, type ParamsInput } from "./optimizer.js";

/** Adadelta's options (PyTorch's defaults). */
export interface AdadeltaOptions {
  /** Scales the delta before it is applied to the parameters (default 1). */
  lr: number;
  /** Decay rate ρ of the running averages of squared gradients and squared deltas (default 0.9). */
  rho: number;
  /** Added inside both square roots for numerical stability (default 1e-6). */
  eps: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Maximize the objective instead of minimizing it. */
  maximize: boolean;
}

/** Adadelta's per-parameter state (PyTorch's `step`, `square_avg`, `acc_delta`). */
export type AdadeltaState = { step: number; squareAvg: Tensor; accDelta: Tensor };

/**
 * One Adadelta update in place (PyTorch's _single_tensor_adadelta): g ← ±grad + wd·p;
 * v ← ρ·v + (1−ρ)·g²; Δ = √(u + eps)/√(v + eps)·g; u ← ρ·u + (1−ρ)·Δ²; p ← p − lr·Δ.
 */
function adadelta(params: readonly Tensor[], grads: readonly Tensor[], states: AdadeltaState[], o: AdadeltaOptions): void {
  const scalars = { maximize: o.maximize, weightDecay: o.weightDecay, rho: o.rho, eps: o.eps, lr: o.lr };
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    const s = states[i];
    s.step += 1;
    // One backend call where the backend has a fused kernel (wasm): the same result, bit for bit.
    if (fusedAdadeltaStep_(p, grads[i], s.squareAvg, s.accDelta, scalars)) continue;
    const g = decayedGrad(p, grads[i], o.maximize, o.weightDecay);
    // PyTorch's operations in its order, in two temporaries (a large fresh array costs more to
    // touch the first time than to compute): t holds g², then std = √(v + eps), then Δ².
    const t = g.mul(g);
    s.squareAvg.mul_(o.rho).add_(t, 1 - o.rho);
    const std = t.copy_(s.squareAvg).add_(o.eps).sqrt_();
    const delta = s.accDelta.add(o.eps).sqrt_().div_(std).mul_(g); // √(u + eps) / std · g
    s.accDelta.mul_(o.rho).add_(std.copy_(delta).mul_(delta), 1 - o.rho);
    p.add_(delta, -o.lr);
  }
}

/** Adadelta: per-coordinate steps from running averages of squared gradients and squared updates (PyTorch's torch.optim.Adadelta). */
export class Adadelta extends Optimizer<AdadeltaOptions, AdadeltaState> {
  constructor(params: ParamsInput<AdadeltaOptions>, options: Partial<AdadeltaOptions> = {}) {
    super("Adadelta", params, { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false }, options);
  }

  protected validate(o: Readonly<AdadeltaOptions>): void {
    checkOption("Adadelta", nonNegative(o.lr), "learning rate", o.lr);
    checkOption("Adadelta", nonNegative(o.rho) && o.rho <= 1, "rho value", o.rho);
    checkOption("Adadelta", nonNegative(o.eps), "epsilon value", o.eps);
    checkOption("Adadelta", nonNegative(o.weightDecay), "weight decay", o.weightDecay);
  }

  protected updateGroup(group: ParamGroup<AdadeltaOptions>): void {
    const { params, grads, states } = this.withGrads(group, (p) => this.stateFor(p, () => ({ step: 0, squareAvg: p.zerosLike(), accDelta: p.zerosLike() })));
    adadelta(params, grads, states, group);
  }
}
