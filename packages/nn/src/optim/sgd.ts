/** Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay (PyTorch's SGD). */

import { ValueError, keep, type Tensor } from "@tensorgrad/autograd";
import { checkOption, decayedGrad, nonNegative, Optimizer, type ParamGroup, type ParamsInput } from "./optimizer.js";

/** SGD's options (PyTorch's defaults). */
export interface SGDOptions {
  /** Learning rate (default 1e-3). */
  lr: number;
  /** Momentum factor μ (default 0: plain SGD). */
  momentum: number;
  /** Dampening for momentum (default 0). */
  dampening: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). */
  nesterov: boolean;
  /** Maximize the objective instead of minimizing it. */
  maximize: boolean;
}

/** SGD's per-parameter state. */
export type SGDState = { momentumBuffer?: Tensor };

/**
 * One SGD update of `params` in place (PyTorch's _single_tensor_sgd): g ← ±grad + wd·p;
 * with momentum, buf ← g at the first step, else buf ← μ·buf + (1 − dampening)·g, and
 * g ← nesterov ? g + μ·buf : buf; then p ← p − lr·g. The momentum buffers live in `states`.
 */
function sgd(params: readonly Tensor[], grads: readonly Tensor[], states: SGDState[], o: SGDOptions): void {
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    let g = decayedGrad(p, grads[i], o.maximize, o.weightDecay);
    if (o.momentum !== 0) {
      let buf = states[i].momentumBuffer;
      if (buf === undefined) states[i].momentumBuffer = buf = keep(g.detach().clone()); // state: outlives memory scopes
      else buf.mul_(o.momentum).add_(g, 1 - o.dampening);
      g = o.nesterov ? g.add(buf.mul(o.momentum)) : buf;
    }
    p.add_(g, -o.lr);
  }
}

/** Stochastic gradient descent, optionally with (Nesterov) momentum — PyTorch's torch.optim.SGD. */
export class SGD extends Optimizer<SGDOptions, SGDState> {
  constructor(params: ParamsInput<SGDOptions>, options: Partial<SGDOptions> = {}) {
    super("SGD", params, { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false }, options);
  }

  protected validate(o: Readonly<SGDOptions>): void {
    checkOption("SGD", nonNegative(o.lr), "learning rate", o.lr);
    checkOption("SGD", nonNegative(o.momentum), "momentum value", o.momentum);
    checkOption("SGD", typeof o.dampening === "number" && Number.isFinite(o.dampening), "dampening value", o.dampening);
    checkOption("SGD", nonNegative(o.weightDecay), "weight decay", o.weightDecay);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new ValueError(`SGD: Nesterov momentum requires a momentum and zero dampening (momentum ${o.momentum}, dampening ${o.dampening})`);
    }
  }

  protected updateGroup(group: ParamGroup<SGDOptions>): void {
    const { params, grads, states } = this.withGrads(group, (p) => this.stateFor(p, () => ({})));
    sgd(params, grads, states, group);
  }
}
