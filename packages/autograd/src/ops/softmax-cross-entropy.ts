/**
 * Primitive `softmaxCrossEntropy`: per-row cross entropy of logits x [N, C] against int32 class
 * indices t [N], ℓᵢ = log Σⱼ e^{xᵢⱼ} − xᵢ,ₜᵢ, in one kernel pass (Backend.softmaxCrossEntropy:
 * cpu/softmax.ts, assembly/softmax.ts) where log-softmax, gather, squeeze and neg were four ops
 * with an [N, C] log-softmax kept for backward. The plain backward pass is one kernel too,
 * (softmax(x) − onehot(t))·g, which never builds the one-hot [N, C] gradient that gather's
 * scatter and log-softmax's backward passed between them; a recorded one (createGraph) is the
 * same formula in Tensor ops. nn's crossEntropy uses it for class indices without weights,
 * ignored targets or label smoothing, and checks the indices.
 */

import { isGradEnabled } from "../engine/grad-mode.js";
import { DTypeError, ShapeError, fmtShape } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { checkTensor } from "../validate.js";
import { allocTensor, commonBackend, defineOp } from "./define.js";
import { denseBuffer } from "./dense.js";

const softmaxCrossEntropyOp = defineOp({
  name: "softmaxCrossEntropy",
  saves: { inputs: true, output: false },
  forward: ([x, t]) => {
    const [rows, cols] = x.shape;
    const out = allocTensor(commonBackend("softmaxCrossEntropy", [x, t]), [rows], x.dtype, "softmaxCrossEntropy");
    x.backend.softmaxCrossEntropy(denseBuffer(x), denseBuffer(t), rows, cols, out.buffer);
    return out;
  },
  // ∂ℓᵢ/∂xᵢⱼ = softmax(xᵢ)ⱼ − [j = tᵢ]; the indices get no gradient
  vjp: (g, ctx) => {
    const [x, t] = ctx.inputs;
    const [rows, cols] = x.shape;
    if (!isGradEnabled()) {
      const dx = allocTensor(x.backend, x.shape, x.dtype, "softmaxCrossEntropy");
      x.backend.softmaxCrossEntropyBackward(denseBuffer(g), denseBuffer(x), denseBuffer(t), rows, cols, dx.buffer);
      return [dx, null];
    }
    const column = t.unsqueeze(1);
    const oneHot = x.newZeros([]).expand([rows, cols]).scatterAdd(1, column, x.newOnes([rows, 1]));
    return [x.softmax(1).sub(oneHot).mul(g.unsqueeze(1)), null];
  },
});

/**
 * Cross entropy of each row of logits x [N, C] with its class index t [N] (int32, each in
 * [0, C) — the caller checks): log Σⱼ e^{xᵢⱼ} − xᵢ,ₜᵢ, shape [N]. As PyTorch's
 * cross_entropy(x, t, reduction="none") for 2-d x.
 */
export function softmaxCrossEntropy(x: Tensor, t: Tensor): Tensor {
  const op = "softmaxCrossEntropy";
  checkTensor(op, "input", x);
  checkTensor(op, "target", t);
  if (!x.isFloatingPoint()) throw new DTypeError(`${op}: input must be a floating point tensor, got ${x.dtype}`);
  if (t.dtype !== "int32") throw new DTypeError(`${op}: target must be int32 class indices, got ${t.dtype}`);
  if (x.ndim !== 2 || t.ndim !== 1 || t.shape[0] !== x.shape[0]) {
    throw new ShapeError(`${op}: expected input [N, C] and target [N], got ${fmtShape(x.shape)} and ${fmtShape(t.shape)}`);
  }
  return softmaxCrossEntropyOp([x, t], undefined);
}
