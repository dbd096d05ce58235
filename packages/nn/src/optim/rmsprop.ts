/** RMSprop (plain, centered, with momentum), after PyTorch's optim/rmsprop.py. */

import type { Tensor } from "@tensorgrad/autograd";
import { checkOption, decayedGrad, lerp_, nonNegative, Optimizer, type ParamGroup, type ParamsInput } from "./optimizer.js";

/** RMSprop's options (PyTorch's defaults). */
export interface RMSpropOptions {
  /** Learning rate (default 1e-2). */
  lr: number;
  /** Smoothing constant α of the squared-gradient average (default 0.99). */
  alpha: number;
  /** Added to the denominator for numerical stability (default 1e-8). */
  eps: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Momentum factor (default 0). */
  momentum: number;
  /** Normalize by the estimated variance of the gradient instead of its second moment. */
  centered: boolean;
  /** Maximize the objective instead of minimizing it. */
  maximize: boolean;
}

/** RMSprop's per-parameter state. */
export type RMSpropState = { step: number; squareAvg: Tensor; momentumBuffer?: Tensor; gradAvg?: Tensor };

/**
 * One RMSprop update in place (PyTorch's _single_tensor_rmsprop): g ← ±grad + wd·p;
 * v ← α·v + (1−α)·g²; centered: ḡ ← α·ḡ + (1−α)·g and avg = √(v − ḡ²), else avg = √v;
 * avg ← avg + eps; momentum: buf ← μ·buf + g/avg, p ← p − lr·buf; else p ← p − lr·g/avg.
 */
function rmsprop(params: readonly Tensor[], grads: readonly Tensor[], states: RMSpropState[], o: RMSpropOptions): void {
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    const s = states[i];
    const g = decayedGrad(p, grads[i], o.maximize, o.weightDecay);
    s.step += 1;
    s.squareAvg.mul_(o.alpha).add_(g.mul(g), 1 - o.alpha);
    let avg: Tensor;
    if (o.centered) {
      const gradAvg = s.gradAvg as Tensor;
      lerp_(gradAvg, g, 1 - o.alpha);
      avg = s.squareAvg.sub(gradAvg.mul(gradAvg)).sqrt();
    } else avg = s.squareAvg.sqrt();
    avg.add_(o.eps); // avg is a fresh sqrt: in place saves a temporary, same rounding
    if (o.momentum > 0) {
      const buf = s.momentumBuffer as Tensor;
      buf.mul_(o.momentum).add_(g.div(avg));
      p.add_(buf, -o.lr);
    } else p.add_(g.div(avg), -o.lr);
  }
}

/** RMSprop: divides the gradient by a running root mean square of recent gradients (PyTorch's torch.optim.RMSprop). */
export class RMSprop extends Optimizer<RMSpropOptions, RMSpropState> {
  constructor(params: ParamsInput<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super("RMSprop", params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false }, options);
  }

  protected validate(o: Readonly<RMSpropOptions>): void {
    checkOption("RMSprop", nonNegative(o.lr), "learning rate", o.lr);
    checkOption("RMSprop", nonNegative(o.eps), "epsilon value", o.eps);
    checkOption("RMSprop", nonNegative(o.momentum), "momentum value", o.momentum);
    checkOption("RMSprop", nonNegative(o.weightDecay), "weight decay", o.weightDecay);
    checkOption("RMSprop", nonNegative(o.alpha), "alpha value", o.alpha);
  }

  protected updateGroup(group: ParamGroup<RMSpropOptions>): void {
    const { params, grads, states } = this.withGrads(group, (p) => {
      const s = this.stateFor(p, () => ({ step: 0, squareAvg: p.zerosLike() }));
      if (group.momentum > 0 && s.momentumBuffer === undefined) s.momentumBuffer = p.zerosLike();
      if (group.centered && s.gradAvg === undefined) s.gradAvg = p.zerosLike();
      return s;
    });
    rmsprop(params, grads, states, group);
  }
}
