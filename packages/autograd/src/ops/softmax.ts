/**
 * Primitives `softmax` and `logSoftmax` along a dim (fused kernels, stable for huge logits) and
 * their fused backward `softmaxBackward`, one kernel per gradient instead of four elementwise
 * passes over the whole [rows, len] block.
 */

import { floatResult } from "../dtype.js";
import { DTypeError, ShapeError, fmtShape } from "../errors.js";
import { checkTensor } from "../validate.js";
import { normalizeDim, shapesEqual } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { castTo } from "./cast.js";
import { allocTensor, commonBackend, defineOp, type Op } from "./define.js";

/** The attributes of softmaxBackward: the dim and which function's gradient. */
interface BackwardAttrs {
  readonly dim: number;
  readonly log: boolean;
}

/** A 0-d tensor as [1], so every kernel has an axis to reduce. */
const atLeast1d = (t: Tensor): Tensor => (t.ndim === 0 ? t.reshape([1]) : t);

const softmaxBackwardOp: Op<BackwardAttrs> = defineOp<BackwardAttrs>({
  name: "softmaxBackward",
  saves: { inputs: true, output: false },
  forward: (inputs, { dim, log }) => {
    const [g, y] = inputs;
    const backend = commonBackend("softmaxBackward", inputs);
    const out = allocTensor(backend, y.shape, y.dtype);
    backend.softmaxBackward(atLeast1d(g), atLeast1d(y), dim, log, out.buffer);
    return out;
  },
  vjp: (u, ctx) => {
    const [g, y] = ctx.inputs;
    const { dim, log } = ctx.attrs;
    if (log) {
      // gx = g − eʸ·S with S = Σg: ∂gx_i/∂g_j = δij − e^{y_i}, ∂gx_i/∂y_i = −e^{y_i}·S
      const uE = u.mul(y.exp());
      return [
        ctx.needsInputGrad(0) ? u.sub(uE.sum(dim, true)) : null,
        ctx.needsInputGrad(1) ? uE.mul(g.sum(dim, true)).neg() : null,
      ];
    }
    // gx = y⊙(g − D) with D = Σ g⊙y: ∂/∂g = y⊙(u − Σ u⊙y) (this op again), ∂/∂y = u⊙(g − D) − g·Σ u⊙y
    const needY = ctx.needsInputGrad(1);
    return [
      ctx.needsInputGrad(0) ? softmaxBackwardOp([u, y], { dim, log: false }) : null,
      needY ? u.mul(g.sub(g.mul(y).sum(dim, true))).sub(g.mul(u.mul(y).sum(dim, true))) : null,
    ];
  },
});

function makeSoftmax(name: string, log: boolean): Op<number> {
  return defineOp<number>({
    name,
    saves: { inputs: false, output: true },
    forward: ([x], dim) => {
      const out = allocTensor(x.backend, x.shape, x.dtype);
      x.backend.softmax(atLeast1d(x), dim, log, out.buffer);
      return out;
    },
    // softmax: dx = y ⊙ (g − Σ g⊙y); log-softmax: dx = g − eʸ ⊙ Σ g — both one fused kernel
    vjp: (g, { output, attrs }) => [softmaxBackwardOp([castTo(g, output.dtype), output], { dim: attrs, log })],
  });
}

const softmaxOp = makeSoftmax("softmax", false);
const logSoftmaxOp = makeSoftmax("logSoftmax", true);

/** eˣ / Σ eˣ along `dim`, with the max subtracted first so large logits don't overflow. */
export function softmax(x: Tensor, dim: number): Tensor {
  return softmaxOp([castTo(x, floatResult(x.dtype))], normalizeDim("softmax", dim, x.ndim));
}

/** x − log Σ eˣ along `dim`, computed stably. */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return logSoftmaxOp([castTo(x, floatResult(x.dtype))], normalizeDim("logSoftmax", dim, x.ndim));
}

/**
 * The gradient of softmax (log-softmax when `log`) along `dim` at forward output y for upstream
 * gradient g: y ⊙ (g − Σ g⊙y), or g − eʸ ⊙ Σ g. Differentiable, so higher-order gradients work.
 */
export function softmaxBackward(g: Tensor, y: Tensor, dim: number, log: boolean): Tensor {
  checkTensor("softmaxBackward", "grad", g);
  checkTensor("softmaxBackward", "output", y);
  if (!shapesEqual(g.shape, y.shape)) {
    throw new ShapeError(`softmaxBackward: grad and output shapes differ, ${fmtShape(g.shape)} vs ${fmtShape(y.shape)}`);
  }
  if (!y.isFloatingPoint()) throw new DTypeError(`softmaxBackward: output must be float, got ${y.dtype}`);
  return softmaxBackwardOp([castTo(g, y.dtype), y], { dim: normalizeDim("softmaxBackward", dim, y.ndim), log });
}
