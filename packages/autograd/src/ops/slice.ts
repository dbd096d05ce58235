/**
 * Primitive `slice` (a strided view along one dim) and its adjoint `sliceScatter` (a copy of a
 * base tensor with a slice replaced), each the other's gradient.
 */

import { isGradEnabled } from "../engine/grad-mode.js";
import { IndexError, ShapeError, ValueError, fmtShape, fmtValue } from "../errors.js";
import { checkInt, checkSize, normalizeDim, shapesEqual } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { checkTensor } from "../validate.js";
import { castTo } from "./cast.js";
import { allocTensor, commonBackend, defineOp, viewTensor, type Op } from "./define.js";

/** A resolved slice: start, length and step along one dim. */
export interface SliceAttrs {
  readonly dim: number;
  readonly start: number;
  readonly length: number;
  readonly step: number;
}

/** x's elements selected by a slice, as a view (no copy, no graph node). */
export function sliceView(x: Tensor, { dim, start, length, step }: SliceAttrs): Tensor {
  const shape = x.shape.slice();
  const strides = x.strides.slice();
  shape[dim] = length;
  strides[dim] = x.strides[dim] * step;
  return viewTensor(x, shape, strides, x.offset + start * x.strides[dim]);
}

const sliceOp: Op<SliceAttrs> = defineOp<SliceAttrs>({
  name: "slice",
  saves: { inputs: false, output: false },
  forward: ([x], attrs) => sliceView(x, attrs),
  // The gradient is zero outside the slice: scatter g into zeros of the input's shape (g itself
  // when the slice is the whole dim).
  vjp: (g, ctx) => {
    const shape = ctx.inputShape(0);
    if (isWhole(ctx.attrs, shape)) return [g];
    if (isGradEnabled()) return [sliceScatterOp([g.newZeros(shape), g], ctx.attrs)];
    // Not recorded: g copied into fresh zeros, without sliceScatter's copy of its (zero) base. A
    // head split (q, k, v = split(qkv)) runs this three times per attention layer.
    const out = g.newZeros(shape);
    g.backend.copy(g, sliceView(out, ctx.attrs));
    return [out];
  },
});

/** Whether the slice keeps every element of its dim (x[:] along it). */
function isWhole({ dim, start, length, step }: SliceAttrs, shape: readonly number[]): boolean {
  return start === 0 && step === 1 && length === shape[dim];
}

const sliceScatterOp: Op<SliceAttrs> = defineOp<SliceAttrs>({
  name: "sliceScatter",
  saves: { inputs: false, output: false },
  forward: ([base, src], attrs) => {
    const backend = commonBackend("sliceScatter", [base, src]);
    const out = allocTensor(backend, base.shape, base.dtype);
    backend.copy(base, out);
    backend.copy(src, sliceView(out, attrs));
    return out;
  },
  vjp: (g, ctx) => [
    // base's elements inside the slice were overwritten: their gradient is zero
    ctx.needsInputGrad(0) ? sliceScatterOp([g, g.newZeros(sliceView(g, ctx.attrs).shape)], ctx.attrs) : null,
    ctx.needsInputGrad(1) ? sliceOp([g], ctx.attrs) : null,
  ],
});

/** Throws unless x has a dim to index (slicing a 0-d tensor is an error in PyTorch too). */
export function requireDims(op: string, x: Tensor): void {
  if (x.ndim === 0) throw new IndexError(`${op}: cannot be applied to a 0-d tensor (shape [])`);
}

/** Resolves Python-style slice bounds (negative counts from the end, out-of-range clamps). */
export function resolveSlice(op: string, x: Tensor, dim: number, start = 0, end?: number, step = 1): SliceAttrs {
  requireDims(op, x);
  const d = normalizeDim(op, dim, x.ndim);
  checkInt(op, "start", start); // 0.5 or NaN would make NaN offsets or an empty slice, silently
  if (end !== undefined) checkInt(op, "end", end);
  if (!Number.isInteger(step) || step <= 0) throw new ValueError(`${op}: step must be a positive integer, got ${fmtValue(step)}`);
  const size = x.shape[d];
  const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
  const s = clamp(start);
  const e = end === undefined ? size : clamp(end);
  return { dim: d, start: s, length: e > s ? Math.ceil((e - s) / step) : 0, step };
}

/** Elements start, start+step, … before end along `dim`, as a view (like x[:, start:end:step]). */
export function slice(x: Tensor, dim: number, start?: number, end?: number, step?: number): Tensor {
  // x[:] is still a new view with its own node (as in PyTorch), so hooks on it never reach x.
  return sliceOp([x], resolveSlice("slice", x, dim, start, end, step));
}

/** `length` elements from `start` along `dim`, as a view; the range must lie inside the tensor. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  requireDims("narrow", x);
  const d = normalizeDim("narrow", dim, x.ndim);
  checkInt("narrow", "start", start);
  checkSize("narrow", "length", length);
  const size = x.shape[d];
  const s = start < 0 ? start + size : start;
  if (s < 0 || s + length > size) {
    throw new ValueError(`narrow: start ${start} and length ${length} exceed dim ${d} of size ${size}`);
  }
  return slice(x, d, s, s + length);
}

/** A copy of `base` with the slice [start:end:step] along `dim` replaced by `src`. */
export function sliceScatter(base: Tensor, src: Tensor, dim: number, start?: number, end?: number, step?: number): Tensor {
  checkTensor("sliceScatter", "src", src);
  const attrs = resolveSlice("sliceScatter", base, dim, start, end, step);
  const expected = base.shape.slice();
  expected[attrs.dim] = attrs.length;
  if (!shapesEqual(expected, src.shape)) {
    throw new ShapeError(`sliceScatter: src has shape ${fmtShape(src.shape)}, the slice has shape ${fmtShape(expected)}`);
  }
  return sliceScatterOp([base, castTo(src, base.dtype)], attrs);
}
