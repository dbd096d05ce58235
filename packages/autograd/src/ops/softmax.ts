/** Primitives `softmax` and `logSoftmax` along a dim: fused kernels, stable for huge logits. */

import { floatResult } from "../dtype.js";
import { normalizeDim } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { castTo } from "./cast.js";
import { allocTensor, defineOp, type Op } from "./define.js";

function makeSoftmax(name: string, log: boolean, vjp: (g: Tensor, y: Tensor, dim: number) => Tensor): Op<number> {
  return defineOp<number>({
    name,
    saves: { inputs: false, output: true },
    forward: ([x], dim) => {
      const out = allocTensor(x.backend, x.shape, x.dtype);
      x.backend.softmax(x.ndim === 0 ? x.reshape([1]) : x, dim, log, out.buffer);
      return out;
    },
    vjp: (g, { output, attrs }) => [vjp(g, output, attrs)],
  });
}

// y = softmax(x): dx = y ⊙ (g − Σ g⊙y)
const softmaxOp = makeSoftmax("softmax", false, (g, y, dim) => y.mul(g.sub(g.mul(y).sum(dim, true))));
// y = log softmax(x): dx = g − softmax(x) ⊙ Σ g = g − eʸ ⊙ Σ g
const logSoftmaxOp = makeSoftmax("logSoftmax", true, (g, y, dim) => g.sub(y.exp().mul(g.sum(dim, true))));

/** eˣ / Σ eˣ along `dim`, with the max subtracted first so large logits don't overflow. */
export function softmax(x: Tensor, dim: number): Tensor {
  return softmaxOp([castTo(x, floatResult(x.dtype))], normalizeDim("softmax", dim, x.ndim));
}

/** x − log Σ eˣ along `dim`, computed stably. */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return logSoftmaxOp([castTo(x, floatResult(x.dtype))], normalizeDim("logSoftmax", dim, x.ndim));
}
