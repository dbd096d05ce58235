/** Primitive `matmul` for ≥2-d operands with broadcast batch dims; 1-d operands as in PyTorch. */

import { promoteTypes } from "../dtype.js";
import { ShapeError, fmtShape } from "../errors.js";
import { broadcastShapes } from "../shape.js";
import type { StridedView } from "../backend/backend.js";
import type { Tensor } from "../tensor.js";
import { checkTensor } from "../validate.js";
import { castTo } from "./cast.js";
import { allocTensor, broadcastView, defineOp, pairBackend } from "./define.js";

const matmulOp = defineOp({
  name: "matmul",
  saves: { inputs: true, output: false },
  forward: ([a, b]) => {
    const backend = pairBackend("matmul", a, b);
    const ra = a.ndim;
    const rb = b.ndim;
    const m = a.shape[ra - 2];
    const k = a.shape[ra - 1];
    const k2 = b.shape[rb - 2];
    const n = b.shape[rb - 1];
    if (k !== k2) throw new ShapeError(`matmul: inner dimensions differ, ${fmtShape(a.shape)} @ ${fmtShape(b.shape)} (${k} != ${k2})`);
    if (ra === 2 && rb === 2) {
      // the common case, without the batch bookkeeping below
      const out = allocTensor(backend, [m, n], a.dtype, "matmul");
      backend.matmul(a, b, out.buffer);
      return out;
    }
    const batch = broadcastShapes("matmul", a.shape.slice(0, -2), b.shape.slice(0, -2));
    const out = allocTensor(backend, [...batch, m, n], a.dtype, "matmul");
    // [..., m, k] @ [k, n] is one [rows, k] @ [k, n] product when a's leading dims merge (a view).
    const rows = rb === 2 ? mergeRows(a) : undefined;
    if (rows !== undefined) backend.matmul(rows, b, out.buffer);
    else backend.matmul(broadcastView(a, [...batch, m, k]), broadcastView(b, [...batch, k, n]), out.buffer);
    return out;
  },
  vjp: (g, ctx) => {
    const [a, b] = ctx.inputs; // d(AB) = dA·B + A·dB  ⇒  gA = g·Bᵀ, gB = Aᵀ·g (batch dims summed centrally)
    // An input that is a transposed view (x @ w.mT) gets its gradient as the transpose of the
    // transposed product, (B·gᵀ)ᵀ = g·Bᵀ and (gᵀ·A)ᵀ = Aᵀ·g: the same matrix, but after the
    // transpose's own vjp it lands contiguous in w's layout, so .grad needs no copy.
    const gA = ctx.needsInputGrad(0) ? (isTransposed(a) ? b.matmul(g.mT).mT : g.matmul(b.mT)) : null;
    // A 2-d b under a batched a: gB = Σ_batch aᵀ·g is one product over all of a's rows.
    const rows = a.shape.slice(0, -1).reduce((p, s) => p * s, 1); // not -1: k or n may be 0
    const [a2, g2] = b.ndim === 2 && a.ndim > 2 ? [a.reshape([rows, a.shape[a.ndim - 1]]), g.reshape([rows, g.shape[g.ndim - 1]])] : [a, g];
    const gB = ctx.needsInputGrad(1) ? (isTransposed(b) ? g2.mT.matmul(a2).mT : a2.mT.matmul(g2)) : null;
    return [gA, gB];
  },
});

/**
 * t [..., m, k] as one [rows, k] view when its leading dims merge into one stride (a contiguous
 * batch, or any view whose batch dims are laid out as whole row blocks); undefined otherwise.
 */
export function mergeRows(t: StridedView): StridedView | undefined {
  const r = t.shape.length;
  let rows = t.shape[r - 2];
  let stride = t.strides[r - 2];
  for (let i = r - 3; i >= 0; i--) {
    if (t.shape[i] === 1) continue;
    if (rows === 1) {
      rows = t.shape[i];
      stride = t.strides[i];
    } else if (t.strides[i] === stride * rows) {
      rows *= t.shape[i];
    } else {
      return undefined;
    }
  }
  return { buffer: t.buffer, shape: [rows, t.shape[r - 1]], strides: [stride, t.strides[r - 1]], offset: t.offset };
}

/** True when the last two dims are laid out column-major (a transposed contiguous matrix). */
function isTransposed(t: Tensor): boolean {
  const n = t.ndim;
  return t.shape[n - 1] > 1 && t.shape[n - 2] > 1 && t.strides[n - 2] === 1 && t.strides[n - 1] === t.shape[n - 2];
}

/**
 * Matrix product with PyTorch's rules: 1-d·1-d is a dot product, a 1-d left operand is a row
 * vector and a 1-d right operand a column vector (the added dim is removed again), and leading
 * batch dims broadcast.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor("matmul", "input", a);
  checkTensor("matmul", "other", b);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(`matmul: both arguments must be at least 1-d, got ${fmtShape(a.shape)} @ ${fmtShape(b.shape)}`);
  }
  const dtype = promoteTypes(a.dtype, b.dtype);
  const a2 = a.ndim === 1 ? castTo(a, dtype).unsqueeze(0) : castTo(a, dtype);
  const b2 = b.ndim === 1 ? castTo(b, dtype).unsqueeze(1) : castTo(b, dtype);
  if (a2.shape[a2.ndim - 1] !== b2.shape[b2.ndim - 2]) {
    throw new ShapeError(
      `matmul: inner dimensions differ, ${fmtShape(a.shape)} @ ${fmtShape(b.shape)} (${a2.shape[a2.ndim - 1]} != ${b2.shape[b2.ndim - 2]})`,
    );
  }
  let out = matmulOp([a2, b2], undefined);
  if (a.ndim === 1) out = out.squeeze(-2);
  if (b.ndim === 1) out = out.squeeze(-1);
  return out;
}
