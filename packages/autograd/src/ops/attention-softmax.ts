/**
 * Primitive `attentionSoftmax`: attention weights softmax(scores·scale) along the last dim, with
 * the causal mask (key j hidden from query i when j > i) applied inside the same kernel: one pass
 * where scale, mask and softmax were three ops and two temporaries. Its backward is one kernel too
 * (Backend.attentionSoftmaxBackward); when the backward pass is recorded (createGraph) the vjp is
 * the same formula in Tensor ops. Kernels: backend/cpu/attention-kernels.ts, assembly/attention.ts.
 */

import { isGradEnabled } from "../engine/grad-mode.js";
import { DTypeError, ShapeError, ValueError, fmtShape } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { allocTensor, defineOp } from "./define.js";
import { denseBuffer } from "./dense.js";

interface AttentionSoftmaxAttrs {
  readonly scale: number;
  readonly causal: boolean;
}

const attentionSoftmaxOp = defineOp<AttentionSoftmaxAttrs>({
  name: "attentionSoftmax",
  saves: { inputs: false, output: true },
  forward: ([x], { scale, causal }) => {
    const [L, S] = x.shape.slice(-2);
    const out = allocTensor(x.backend, x.shape, x.dtype, "attentionSoftmax");
    const rows = S === 0 ? 0 : x.numel() / S;
    x.backend.attentionSoftmax(denseBuffer(x), rows, L, S, scale, causal, out.buffer);
    return out;
  },
  // y = softmax(s·x) (masked entries are constants 0): dx = s·y·(g − Σ g·y)
  vjp: (g, { output: y, attrs: { scale } }) => {
    if (!isGradEnabled()) {
      const S = y.shape[y.ndim - 1];
      const dx = allocTensor(y.backend, y.shape, y.dtype, "attentionSoftmax");
      y.backend.attentionSoftmaxBackward(denseBuffer(g), denseBuffer(y), S === 0 ? 0 : y.numel() / S, S, scale, dx.buffer);
      return [dx];
    }
    return [y.mul(g.sub(g.mul(y).sum(-1, true))).mul(scale)];
  },
});

/**
 * softmax(scores·scale) over the last dim of scores [..., L, S]; with `causal`, key j takes no
 * part in query i's row when j > i (the top-left lower triangle, as isCausal in PyTorch).
 */
export function attentionSoftmax(scores: Tensor, scale: number, causal: boolean): Tensor {
  if (scores.ndim < 2) throw new ShapeError(`attentionSoftmax: scores must have at least 2 dims [..., L, S], got ${fmtShape(scores.shape)}`);
  if (!scores.isFloatingPoint()) throw new DTypeError(`attentionSoftmax: scores must be a floating point tensor, got ${scores.dtype}`);
  if (typeof scale !== "number" || !Number.isFinite(scale)) throw new ValueError(`attentionSoftmax: scale must be a finite number, got ${scale}`);
  return attentionSoftmaxOp([scores], { scale, causal: causal === true });
}
