/** NAdam (Adam with Nesterov momentum), after PyTorch's optim/nadam.py. */

import type { Tensor } from "@tensorgrad/autograd";
import { checkBetas, checkOption, decayedGrad, nonNegative, Optimizer, type ParamGroup, type ParamsInput } from "./optimizer.js";

/** NAdam's options (PyTorch 1.13's defaults; 1.13 has no `maximize` for NAdam). */
export interface NAdamOptions {
  /** Learning rate (default 2e-3). */
  lr: number;
  /** Decay rates (β1, β2) of the first and second moment estimates (default [0.9, 0.999]). */
  betas: readonly [number, number];
  /** Added to the denominator for numerical stability (default 1e-8). */
  eps: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** ψ in the momentum schedule μₜ = β1·(1 − ½·0.96^(t·ψ)) (default 4e-3). */
  momentumDecay: number;
}

/** NAdam's per-parameter state (PyTorch's `step`, `mu_product`, `exp_avg`, `exp_avg_sq`). */
export type NAdamState = { step: number; muProduct: number; expAvg: Tensor; expAvgSq: Tensor };

/**
 * One NAdam update in place, as PyTorch documents it (and as its foreach path and PyTorch ≥ 2.0
 * compute it): g ← grad + wd·p; μₜ = β1·(1 − ½·0.96^(tψ)), μₜ₊₁ likewise; Π ← Π·μₜ;
 * m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; denom = √(v/(1−β2ᵗ)) + eps;
 * p ← p − lr·(1−μₜ)/(1−Π) · g/denom − lr·μₜ₊₁/(1−Π·μₜ₊₁) · m/denom.
 * NOTE: PyTorch 1.13's default (single-tensor) path multiplies μₜ into Π·μₜ₊₁ a second time, a
 * bug fixed in pytorch/pytorch#92699; we follow the documented equations.
 */
function nadam(params: readonly Tensor[], grads: readonly Tensor[], states: NAdamState[], o: NAdamOptions): void {
  const [beta1, beta2] = o.betas;
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    const s = states[i];
    const g = decayedGrad(p, grads[i], false, o.weightDecay);
    s.step += 1;
    const t = s.step;
    const biasCorrection2 = 1 - beta2 ** t;
    const mu = beta1 * (1 - 0.5 * 0.96 ** (t * o.momentumDecay));
    const muNext = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * o.momentumDecay));
    s.muProduct *= mu;
    const muProductNext = s.muProduct * muNext;
    s.expAvg.mul_(beta1).add_(g, 1 - beta1);
    s.expAvgSq.mul_(beta2).add_(g.mul(g), 1 - beta2);
    const denom = s.expAvgSq.div(biasCorrection2).sqrt().add_(o.eps); // in place on the fresh sqrt
    p.add_(g.div(denom), (-o.lr * (1 - mu)) / (1 - s.muProduct));
    p.add_(s.expAvg.div(denom), (-o.lr * muNext) / (1 - muProductNext));
  }
}

/** NAdam: Adam with Nesterov momentum and a warming-up momentum schedule (PyTorch's torch.optim.NAdam). */
export class NAdam extends Optimizer<NAdamOptions, NAdamState> {
  constructor(params: ParamsInput<NAdamOptions>, options: Partial<NAdamOptions> = {}) {
    super("NAdam", params, { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3 }, options);
  }

  protected validate(o: Readonly<NAdamOptions>): void {
    checkOption("NAdam", nonNegative(o.lr), "learning rate", o.lr);
    checkOption("NAdam", nonNegative(o.eps), "epsilon value", o.eps);
    checkBetas("NAdam", o.betas);
    checkOption("NAdam", nonNegative(o.weightDecay), "weight decay", o.weightDecay);
    checkOption("NAdam", nonNegative(o.momentumDecay), "momentum decay value", o.momentumDecay);
  }

  protected updateGroup(group: ParamGroup<NAdamOptions>): void {
    const { params, grads, states } = this.withGrads(group, (p) => this.stateFor(p, () => ({ step: 0, muProduct: 1, expAvg: p.zerosLike(), expAvgSq: p.zerosLike() })));
    nadam(params, grads, states, group);
  }
}
