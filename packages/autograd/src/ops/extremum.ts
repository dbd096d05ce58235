/**
 * Primitives `amax` / `amin` over dims, `max` / `min` of all elements, and `argmax` / `argmin`.
 * When several elements tie for the extremum, the gradient is shared evenly among them, as in
 * PyTorch. A NaN makes the extremum NaN; then PyTorch's max()/min() send the gradient to the NaN
 * elements (shared among them), while its amax/amin find no element equal to the result and give
 * 0/0 = NaN for the whole lane. Both are matched here.
 */

import type { ReduceOp } from "../backend/backend.js";
import { IndexError } from "../errors.js";
import { checkFlag, checkIndexable, normalizeDim, normalizeDims, numelOf, packedZeros, reducedShape, reductionDims } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { allocTensor, defineOp, type Op } from "./define.js";

interface ReduceAttrs {
  readonly dims: readonly number[];
  readonly keepdim: boolean;
}

function makeExtremum(name: "amax" | "amin" | "max" | "min", kernel: ReduceOp): Op<ReduceAttrs> {
  const nanTakesGradient = name === "max" || name === "min";
  return defineOp<ReduceAttrs>({
    name,
    saves: { inputs: true, output: true },
    forward: ([x], { dims, keepdim }) => {
      const out = allocTensor(x.backend, reducedShape(x.shape, dims, keepdim), x.dtype);
      x.backend.reduce(kernel, x, dims, out.buffer);
      return out;
    },
    vjp: (g, { inputs, output, attrs }) => {
      const kept = reducedShape(inputs[0].shape, attrs.dims, true);
      const x = inputs[0];
      let hit = x.eq(output.reshape(kept));
      // A lane holding a NaN has the NaN as result, and no other element is NaN-free there.
      if (nanTakesGradient) hit = hit.logicalOr(x.isnan());
      const isExtremum = hit.to(g.dtype);
      const count = isExtremum.sum(attrs.dims, true);
      return [g.reshape(kept).mul(isExtremum).div(count)]; // ties share the gradient
    },
  });
}

const amaxOp = makeExtremum("amax", "max");
const aminOp = makeExtremum("amin", "min");
const maxOp = makeExtremum("max", "max");
const minOp = makeExtremum("min", "min");

function checkNonEmpty(op: string, x: Tensor, dims: readonly number[]): void {
  for (const d of dims) {
    if (x.shape[d] === 0) throw new IndexError(`${op}: cannot reduce over dim ${d} of size 0 (shape [${x.shape.join(",")}])`);
  }
  if (x.ndim === 0 && numelOf(x.shape) === 0) throw new IndexError(`${op}: empty tensor`);
}

/** Largest value over `dims` (all when omitted). */
export function amax(x: Tensor, dims?: number | readonly number[], keepdim = false): Tensor {
  const d = reductionDims("amax", dims, x.ndim, keepdim);
  checkNonEmpty("amax", x, d);
  return amaxOp([x], { dims: d, keepdim });
}

/** Smallest value over `dims` (all when omitted). */
export function amin(x: Tensor, dims?: number | readonly number[], keepdim = false): Tensor {
  const d = reductionDims("amin", dims, x.ndim, keepdim);
  checkNonEmpty("amin", x, d);
  return aminOp([x], { dims: d, keepdim });
}

/** The largest (`max`) or smallest (`min`) element of x, a 0-d tensor; a NaN wins and takes the gradient. */
export function extremumOfAll(op: "max" | "min", x: Tensor): Tensor {
  const dims = normalizeDims(op, undefined, x.ndim);
  checkNonEmpty(op, x, dims);
  return (op === "max" ? maxOp : minOp)([x], { dims, keepdim: false });
}

/**
 * Index (int32) of the first largest/smallest value along `dim`, or in the flattened tensor.
 * `name` names errors when another op calls this one (max(dim) and min(dim)).
 */
export function argExtremum(op: "argmax" | "argmin", x: Tensor, dim?: number, keepdim = false, name: string = op): Tensor {
  checkFlag(name, "keepdim", keepdim);
  if (dim === undefined) {
    checkIndexable(name, x.numel(), `the flattened input of shape [${x.shape.join(",")}]`); // before reshape copies a view
    const flat = x.reshape([-1]);
    checkNonEmpty(name, flat, [0]);
    const out = argExtremum(op, flat, 0, false, name);
    return keepdim ? out.reshape(packedZeros(x.ndim).fill(1)) : out;
  }
  const d = normalizeDim(name, dim, x.ndim);
  const x1 = x.ndim === 0 ? x.reshape([1]) : x;
  checkNonEmpty(name, x1, [d]);
  checkIndexable(name, x1.shape[d], `dim ${d} of the input of shape [${x.shape.join(",")}]`);
  const out = allocTensor(x.backend, reducedShape(x1.shape, [d], false), "int32");
  x.backend.argReduce(op, x1, d, out.buffer);
  // A 0-d input gives a 0-d index with or without keepdim (as in PyTorch), not shape [1].
  return keepdim && x.ndim > 0 ? out.reshape(reducedShape(x1.shape, [d], true)) : out;
}
