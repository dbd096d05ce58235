/** Primitive `permute`: reorders dims as a view (transpose, mT are built on it). */

import { IndexError } from "../errors.js";
import { normalizeDim, packedZeros } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { defineOp, viewTensor } from "./define.js";

const permuteOp = defineOp<readonly number[]>({
  name: "permute",
  saves: { inputs: false, output: false },
  forward: ([x], dims) => {
    const shape: number[] = [];
    const strides: number[] = [];
    for (let i = 0; i < dims.length; i++) {
      shape.push(x.shape[dims[i]]);
      strides.push(x.strides[dims[i]]);
    }
    return viewTensor(x, shape, strides, x.offset);
  },
  vjp: (g, { attrs: dims }) => {
    const inverse = packedZeros(dims.length);
    dims.forEach((d, i) => (inverse[d] = i)); // undo the permutation
    return [g.permute(inverse)];
  },
});

/** permute for a dims array the caller made and checked (a fresh permutation of 0..ndim-1). */
export const permuteChecked = (x: Tensor, dims: readonly number[]): Tensor => permuteOp([x], dims);

/** Reorders the dims: output dim i is input dim dims[i]. */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.ndim) {
    throw new IndexError(`permute: expected ${x.ndim} dims for a ${x.ndim}-d tensor, got [${dims.join(",")}]`);
  }
  const resolved: number[] = [];
  for (let i = 0; i < dims.length; i++) {
    const d = normalizeDim("permute", dims[i], x.ndim);
    if (resolved.includes(d)) throw new IndexError(`permute: repeated dim in [${dims.join(",")}]`);
    resolved.push(d);
  }
  return permuteOp([x], resolved); // the identity permutation too: a new view, as in PyTorch
}
