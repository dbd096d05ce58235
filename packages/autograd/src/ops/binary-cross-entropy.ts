/**
 * The primitive `binaryCrossEntropy`: BCE on probabilities in one kernel pass (Backend
 * binaryCrossEntropy, cpu kernel in backend/cpu/loss-kernels.ts) instead of ten elementwise ops.
 * Its plain backward pass is one kernel too (Backend.binaryCrossEntropyBackward); a recorded one
 * (createGraph) the same formula in Tensor ops. nn's F.binaryCrossEntropy validates, weights and
 * reduces around it.
 */

import { isGradEnabled } from "../engine/grad-mode.js";
import { DTypeError, ShapeError, ValueError, fmtShape } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { checkTensor } from "../validate.js";
import { allocTensor, commonBackend, defineOp } from "./define.js";

const bceOp = defineOp({
  name: "binaryCrossEntropy",
  saves: { inputs: true, output: false },
  forward: ([p, y]) => {
    const out = allocTensor(commonBackend("binaryCrossEntropy", [p, y]), p.shape, p.dtype);
    // the kernel checks the range in its pass; only a refused call reads values back (to name one)
    if (!p.backend.binaryCrossEntropy(p, y, out.buffer)) throwOutOfRange(p, y);
    return out;
  },
  // PyTorch's backward, finite where p is 0 or 1:
  //   ∂ℓ/∂p = (p − y) / max(p(1 − p), 1e-12),   ∂ℓ/∂y = max(log(1 − p), −100) − max(log p, −100).
  vjp: (g, ctx) => {
    const [p, y] = ctx.inputs;
    let gp: Tensor | null = null;
    if (ctx.needsInputGrad(0) && !isGradEnabled()) {
      // the plain backward pass: one kernel (Backend.binaryCrossEntropyBackward) for six ops
      gp = allocTensor(p.backend, p.shape, p.dtype);
      p.backend.binaryCrossEntropyBackward(g, p, y, gp.buffer);
    } else if (ctx.needsInputGrad(0)) {
      gp = g.mul(p.sub(y)).div(p.mul(p.rsub(1)).clamp(1e-12));
    }
    const gy = ctx.needsInputGrad(1) ? g.mul(p.neg().log1p().clamp(-100).sub(p.log().clamp(-100))) : null;
    return [gp, gy];
  },
});

/**
 * Throws the ValueError for the first element of p (then of y) outside [0, 1] or NaN. PyTorch
 * raises it for the input ("all elements of input should be between 0 and 1"); for the target it
 * silently computes the formula (a target of 2 with p = 1 gives a loss of −100), which we refuse too.
 */
function throwOutOfRange(p: Tensor, y: Tensor): never {
  for (const [name, t] of [["input", p], ["target", y]] as const) {
    const values = t.toTypedArray();
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!(v >= 0 && v <= 1)) {
        throw new ValueError(`binaryCrossEntropy: all elements of ${name} should be between 0 and 1, got ${v}${values.length > 1 ? ` at flat index ${i}` : ""}`);
      }
    }
  }
  throw new ValueError("binaryCrossEntropy: the kernel found an element outside [0, 1] that a second look did not"); // unreachable: same values
}

/**
 * ℓᵢ = −(yᵢ·max(log pᵢ, −100) + (1 − yᵢ)·max(log(1 − pᵢ), −100)) elementwise, as PyTorch's
 * binary_cross_entropy with reduction "none" (p and y: float tensors of one shape and dtype).
 * An element of p or y outside [0, 1] (or NaN) is a ValueError naming it, found in the kernel's
 * own pass (no host read per call).
 */
export function binaryCrossEntropy(p: Tensor, y: Tensor): Tensor {
  const op = "binaryCrossEntropy";
  checkTensor(op, "input", p);
  checkTensor(op, "target", y);
  if (!p.isFloatingPoint() || p.dtype !== y.dtype) throw new DTypeError(`${op}: input and target must be float tensors of one dtype, got ${p.dtype} and ${y.dtype}`);
  if (p.ndim !== y.ndim || p.shape.some((s, i) => s !== y.shape[i])) {
    throw new ShapeError(`${op}: target shape ${fmtShape(y.shape)} differs from input shape ${fmtShape(p.shape)}`);
  }
  return bceOp([p, y], undefined);
}
