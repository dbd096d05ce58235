/**
 * The derivatives of the activations as primitives of their own: given g = ∂L/∂y and the saved
 * output y, each computes ∂L/∂x in one kernel pass instead of the three or four elementwise ops
 * (and as many temporary tensors) the formula would take. Each has its own vjp, so gradients of
 * gradients still work (PyTorch has the same ops: sigmoid_backward, tanh_backward, threshold_backward).
 */

import type { Tensor } from "../tensor.js";
import { defineOp, type Op } from "./define.js";
import { resultDType, runBinary, tensorPair } from "./elementwise.js";

type ActivationGrad = "sigmoidBackward" | "tanhBackward" | "reluBackward";

const save = { inputs: true, output: false };

function makeGradOp(name: ActivationGrad, vjp: (gg: Tensor, g: Tensor, y: Tensor) => [Tensor, Tensor | null]): Op<undefined> {
  return defineOp({
    name,
    saves: save,
    forward: ([g, y]) => runBinary(name, name, g, y, g.dtype),
    vjp: (gg, ctx) => {
      const [g, y] = ctx.inputs;
      const [dg, dy] = vjp(gg, g, y);
      return [ctx.needsInputGrad(0) ? dg : null, ctx.needsInputGrad(1) ? dy : null];
    },
  });
}

// With h = g·y(1 − y): ∂h/∂g = y(1 − y), ∂h/∂y = g(1 − 2y).
const sigmoidBackwardOp = makeGradOp("sigmoidBackward", (gg, g, y) => [sigmoidBackward(gg, y), gg.mul(g).mul(y.mul(-2).add(1))]);
// With h = g(1 − y²): ∂h/∂g = 1 − y², ∂h/∂y = −2gy.
const tanhBackwardOp = makeGradOp("tanhBackward", (gg, g, y) => [tanhBackward(gg, y), gg.mul(g).mul(y).mul(-2)]);
// With h = g·[y > 0]: ∂h/∂g = [y > 0], ∂h/∂y = 0 almost everywhere.
const reluBackwardOp = makeGradOp("reluBackward", (gg, _g, y) => [reluBackward(gg, y), null]);

function apply(name: string, op: Op<undefined>, g: Tensor, y: Tensor): Tensor {
  return op(tensorPair(g, y, resultDType(name, g, y)), undefined);
}

/** ∂L/∂x of y = sigmoid(x), from g = ∂L/∂y and y: g·y·(1 − y). */
export const sigmoidBackward = (g: Tensor, y: Tensor): Tensor => apply("sigmoidBackward", sigmoidBackwardOp, g, y);

/** ∂L/∂x of y = tanh(x), from g = ∂L/∂y and y: g·(1 − y²). */
export const tanhBackward = (g: Tensor, y: Tensor): Tensor => apply("tanhBackward", tanhBackwardOp, g, y);

/** ∂L/∂x of y = relu(x), from g = ∂L/∂y and y: 0 where y ≤ 0, else g (so a NaN passes g, as in PyTorch). */
export const reluBackward = (g: Tensor, y: Tensor): Tensor => apply("reluBackward", reluBackwardOp, g, y);
