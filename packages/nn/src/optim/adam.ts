/** Adam and AdamW (decoupled weight decay), with AMSGrad, after PyTorch's optim/adam.py and adamw.py. */

import { fusedAdamStep_, keep, type Tensor } from "@tensorgrad/autograd";
import { Optimizer, checkBetas, checkOption, decayedGrad, lerp_, nonNegative, type ParamGroup, type ParamsInput } from "./optimizer.js";

/** Adam's and AdamW's options (PyTorch's defaults). */
export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr: number;
  /** Decay rates (β1, β2) of the first and second moment estimates (default [0.9, 0.999]). */
  betas: readonly [number, number];
  /** Added to the denominator for numerical stability (default 1e-8). */
  eps: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay rate (default 1e-2). */
  weightDecay: number;
  /** Use the maximum of past second moments (AMSGrad). */
  amsgrad: boolean;
  /** Maximize the objective instead of minimizing it. */
  maximize: boolean;
}

/** Adam's per-parameter state. */
export type AdamState = { step: number; expAvg: Tensor; expAvgSq: Tensor; maxExpAvgSq?: Tensor };

/**
 * One Adam update of `params` in place (PyTorch's _single_tensor_adam). g ← ±grad (+ wd·p unless
 * decoupled, where p ← p·(1 − lr·wd) first); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * (AMSGrad: v ← max(vmax, v)); denom = √v/√(1−β2ᵗ) + eps; p ← p − lr/(1−β1ᵗ) · m/denom.
 */
function adam(params: readonly Tensor[], grads: readonly Tensor[], states: AdamState[], o: AdamOptions, decoupled: boolean): void {
  const [beta1, beta2] = o.betas;
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    const s = states[i];
    s.step += 1;
    const biasCorrection1 = 1 - beta1 ** s.step;
    const biasCorrection2 = 1 - beta2 ** s.step;
    const stepSize = o.lr / biasCorrection1;
    const biasCorrection2Sqrt = Math.sqrt(biasCorrection2);
    // AdamW decays the weights first: p ← p·(1 − lr·wd).
    const decay = decoupled && o.weightDecay !== 0 ? 1 - o.lr * o.weightDecay : null;
    // One backend call where the backend has a fused kernel (wasm): the same result, bit for bit,
    // without the ops' temporaries. AMSGrad's running maximum always takes the ops.
    const fused =
      !o.amsgrad &&
      fusedAdamStep_(p, grads[i], s.expAvg, s.expAvgSq, {
        maximize: o.maximize,
        weightDecay: decoupled ? 0 : o.weightDecay,
        decay,
        beta1,
        beta2,
        biasCorrection2Sqrt,
        eps: o.eps,
        stepSize,
      });
    if (fused) continue;
    if (decay !== null) p.mul_(decay); // AdamW: decoupled decay, applied to p itself
    const g = decayedGrad(p, grads[i], o.maximize, decoupled ? 0 : o.weightDecay);
    lerp_(s.expAvg, g, 1 - beta1);
    s.expAvgSq.mul_(beta2).add_(g.mul(g), 1 - beta2);
    let second = s.expAvgSq;
    if (o.amsgrad) {
      const vmax = s.maxExpAvgSq as Tensor;
      vmax.copy_(vmax.maximum(s.expAvgSq));
      second = vmax;
    }
    // In place on the fresh sqrt: the same roundings as sqrt().div().add(), two temporaries fewer.
    const denom = second.sqrt().div_(biasCorrection2Sqrt).add_(o.eps);
    p.add_(s.expAvg.div(denom), -stepSize);
  }
}

abstract class AdamBase extends Optimizer<AdamOptions, AdamState> {
  protected abstract readonly decoupled: boolean;

  protected validate(o: Readonly<AdamOptions>): void {
    checkOption(this.name, nonNegative(o.lr), "learning rate", o.lr);
    checkOption(this.name, nonNegative(o.eps), "epsilon value", o.eps);
    checkBetas(this.name, o.betas);
    checkOption(this.name, nonNegative(o.weightDecay), "weight decay", o.weightDecay);
  }

  protected updateGroup(group: ParamGroup<AdamOptions>): void {
    const { params, grads, states } = this.withGrads(group, (p) => {
      const s = this.stateFor(p, () => ({ step: 0, expAvg: p.zerosLike(), expAvgSq: p.zerosLike() }));
      if (group.amsgrad && s.maxExpAvgSq === undefined) s.maxExpAvgSq = keep(p.zerosLike());
      return s;
    });
    adam(params, grads, states, group, this.decoupled);
  }
}

/** Adam: adaptive moment estimation with bias correction (PyTorch's torch.optim.Adam; weightDecay is an L2 term). */
export class Adam extends AdamBase {
  protected readonly decoupled = false;

  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super("Adam", params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false }, options);
  }
}

/** AdamW: Adam with decoupled weight decay p ← p·(1 − lr·wd) before the Adam step (PyTorch's torch.optim.AdamW). */
export class AdamW extends AdamBase {
  protected readonly decoupled = true;

  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super("AdamW", params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false }, options);
  }
}
