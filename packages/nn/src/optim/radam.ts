/** RAdam (rectified Adam), after PyTorch 1.13's optim/radam.py. */

import type { Tensor } from "@tensorgrad/autograd";
import { checkBetas, checkOption, decayedGrad, nonNegative, Optimizer, type ParamGroup, type ParamsInput } from "./optimizer.js";

/** RAdam's options (PyTorch 1.13's defaults; 1.13 has no `maximize` for RAdam). */
export interface RAdamOptions {
  /** Learning rate (default 1e-3). */
  lr: number;
  /** Decay rates (β1, β2) of the first and second moment estimates (default [0.9, 0.999]). */
  betas: readonly [number, number];
  /** Added to the denominator for numerical stability (default 1e-8). */
  eps: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
}

/** RAdam's per-parameter state (PyTorch's `step`, `exp_avg`, `exp_avg_sq`). */
export type RAdamState = { step: number; expAvg: Tensor; expAvgSq: Tensor };

/**
 * One RAdam update in place (PyTorch's _single_tensor_radam): g ← grad + wd·p;
 * m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; m̂ = m/(1−β1ᵗ); ρ∞ = 2/(1−β2) − 1;
 * ρₜ = ρ∞ − 2t·β2ᵗ/(1−β2ᵗ). While ρₜ ≤ 5 the variance is not yet tractable: p ← p − lr·m̂ (SGD
 * with momentum); then r = √((ρₜ−4)(ρₜ−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρₜ)) and
 * p ← p − lr·m̂·√(1−β2ᵗ)/(√v + eps)·r.
 */
function radam(params: readonly Tensor[], grads: readonly Tensor[], states: RAdamState[], o: RAdamOptions): void {
  const [beta1, beta2] = o.betas;
  const rhoInf = 2 / (1 - beta2) - 1;
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    const s = states[i];
    const g = decayedGrad(p, grads[i], false, o.weightDecay);
    s.step += 1;
    const t = s.step;
    const biasCorrection1 = 1 - beta1 ** t;
    const biasCorrection2 = 1 - beta2 ** t;
    s.expAvg.mul_(beta1).add_(g, 1 - beta1);
    s.expAvgSq.mul_(beta2).add_(g.mul(g), 1 - beta2);
    // m̂·lr, then (rectified) ·adaptiveLr·r, in PyTorch's order, in place on the fresh quotient.
    const update = s.expAvg.div(biasCorrection1).mul_(o.lr);
    const rhoT = rhoInf - (2 * t * beta2 ** t) / biasCorrection2;
    if (rhoT > 5) {
      const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
      // √(1−β2ᵗ) / (√v + eps) as one division of a scalar by the tensor, as PyTorch rounds it.
      const adaptiveLr = p.newFull([], Math.sqrt(biasCorrection2)).div(s.expAvgSq.sqrt().add_(o.eps));
      update.mul_(adaptiveLr).mul_(rect);
    }
    p.sub_(update);
  }
}

/** RAdam: Adam whose adaptive step is switched on, and rectified, once its variance estimate is tractable (PyTorch's torch.optim.RAdam). */
export class RAdam extends Optimizer<RAdamOptions, RAdamState> {
  constructor(params: ParamsInput<RAdamOptions>, options: Partial<RAdamOptions> = {}) {
    super("RAdam", params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 }, options);
  }

  protected validate(o: Readonly<RAdamOptions>): void {
    checkOption("RAdam", nonNegative(o.lr), "learning rate", o.lr);
    checkOption("RAdam", nonNegative(o.eps), "epsilon value", o.eps);
    checkBetas("RAdam", o.betas);
    checkOption("RAdam", nonNegative(o.weightDecay), "weight decay", o.weightDecay);
  }

  protected updateGroup(group: ParamGroup<RAdamOptions>): void {
    const { params, grads, states } = this.withGrads(group, (p) => this.stateFor(p, () => ({ step: 0, expAvg: p.zerosLike(), expAvgSq: p.zerosLike() })));
    radam(params, grads, states, group);
  }
}
