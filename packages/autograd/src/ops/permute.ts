/** Primitive `permute`: reorders dims as a view (transpose, mT are built on it). */

import { IndexError } from "../errors.js";
import { normalizeDim } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { defineOp, viewTensor } from "./define.js";

const permuteOp = defineOp<readonly number[]>({
  name: "permute",
  saves: { inputs: false, output: false },
  forward: ([x], dims) =>
    viewTensor(x, dims.map((d) => x.shape[d]), dims.map((d) => x.strides[d]), x.offset),
  vjp: (g, { attrs: dims }) => {
    const inverse = new Array<number>(dims.length);
    dims.forEach((d, i) => (inverse[d] = i)); // undo the permutation
    return [g.permute(inverse)];
  },
});

/** Reorders the dims: output dim i is input dim dims[i]. */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.ndim) {
    throw new IndexError(`permute: expected ${x.ndim} dims for a ${x.ndim}-d tensor, got [${dims.join(",")}]`);
  }
  const resolved = dims.map((d) => normalizeDim("permute", d, x.ndim));
  if (new Set(resolved).size !== resolved.length) throw new IndexError(`permute: repeated dim in [${dims.join(",")}]`);
  if (resolved.every((d, i) => d === i)) return x;
  return permuteOp([x], resolved);
}
