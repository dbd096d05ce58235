/** Primitives `gather` and `scatterAdd` (each the other's gradient). Indices are int32. */

import { DTypeError, ShapeError, fmtShape } from "../errors.js";
import { normalizeDim } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { checkTensor } from "../validate.js";
import { castTo } from "./cast.js";
import { allocTensor, commonBackend, defineOp, type Op } from "./define.js";
import { checkIndexRange } from "./index-select.js";

const gatherOp: Op<number> = defineOp<number>({
  name: "gather",
  saves: { inputs: true, output: false },
  forward: ([x, index], dim) => {
    const out = allocTensor(commonBackend("gather", [x, index]), index.shape, x.dtype);
    x.backend.gather(x, dim, index, out.buffer);
    return out;
  },
  // Each output came from one input element: add the gradients back where they came from, onto
  // one broadcast zero, which the kernel does not copy (its output is zero-filled already).
  vjp: (g, ctx) => [scatterAddOp([g.newZeros([]).expand(ctx.inputShape(0)), ctx.inputs[1], g], ctx.attrs), null],
});

const scatterAddOp: Op<number> = defineOp<number>({
  name: "scatterAdd",
  saves: { inputs: true, output: false },
  forward: ([base, index, src], dim) => {
    const out = allocTensor(commonBackend("scatterAdd", [base, index, src]), base.shape, base.dtype);
    base.backend.scatterAdd(base, dim, index, src, out.buffer);
    return out;
  },
  // out = base + scatter(src): base passes g through; src[p] reads g where it was added.
  vjp: (g, ctx) => [g, null, ctx.needsInputGrad(2) ? g.gather(ctx.attrs, ctx.inputs[1]) : null],
});

function checkIndex(op: string, index: Tensor, ndim: number): void {
  if (checkTensor(op, "index", index).dtype !== "int32") throw new DTypeError(`${op}: index must be int32, got ${index.dtype}`);
  if (index.ndim !== ndim) {
    throw new ShapeError(`${op}: index must have the same number of dims as the input (${index.ndim} vs ${ndim})`);
  }
}

/** A 0-d tensor as shape [1] (gather and scatterAdd treat 0-d and 1-d alike, as PyTorch does). */
const atLeast1d = (t: Tensor): Tensor => (t.ndim === 0 ? t.reshape([1]) : t);

/** out[i][j] = x[i][index[i][j]] for dim 1 (likewise for other dims); out has index's shape. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normalizeDim("gather", dim, x.ndim);
  if (x.ndim <= 1 && index.ndim <= 1 && (x.ndim === 0 || index.ndim === 0)) {
    // A 0-d input or index reads as one of length 1; the result keeps the index's shape.
    return gather(atLeast1d(x), 0, atLeast1d(index)).reshape(index.shape);
  }
  checkIndex("gather", index, x.ndim);
  index.shape.forEach((s, i) => {
    if (i !== d && s > x.shape[i]) {
      throw new ShapeError(`gather: index ${fmtShape(index.shape)} is larger than input ${fmtShape(x.shape)} at dim ${i}`);
    }
  });
  checkIndexRange("gather", index, x.shape[d], `out of bounds for dimension of size ${x.shape[d]}`);
  return gatherOp([x, index], d);
}

/** A copy of `base` with src[i][j] added at [i][index[i][j]] for dim 1 (likewise for other dims). */
export function scatterAdd(base: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const d = normalizeDim("scatterAdd", dim, base.ndim);
  const dims = [base.ndim, index.ndim, src.ndim];
  if (Math.max(...dims) <= 1 && Math.min(...dims) === 0) {
    // 0-d tensors read as length 1 (as in PyTorch); the result keeps base's shape.
    return scatterAdd(atLeast1d(base), 0, atLeast1d(index), atLeast1d(src)).reshape(base.shape);
  }
  checkIndex("scatterAdd", index, base.ndim);
  if (checkTensor("scatterAdd", "src", src).ndim !== base.ndim) throw new ShapeError(`scatterAdd: src must have ${base.ndim} dims, got ${fmtShape(src.shape)}`);
  index.shape.forEach((s, i) => {
    if (s > src.shape[i] || (i !== d && s > base.shape[i])) {
      throw new ShapeError(
        `scatterAdd: index ${fmtShape(index.shape)} does not fit src ${fmtShape(src.shape)} and base ${fmtShape(base.shape)} at dim ${i}`,
      );
    }
  });
  checkIndexRange("scatterAdd", index, base.shape[d], `out of bounds for dimension of size ${base.shape[d]}`);
  // Only src's leading index-shaped block is read; cut it out so src's gradient has src's shape.
  let used = castTo(src, base.dtype);
  index.shape.forEach((s, i) => (used = used.narrow(i, 0, s)));
  return scatterAddOp([base, index, used], d);
}
