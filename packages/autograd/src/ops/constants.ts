/** Small constant tensors (index ranges, masks) made on another tensor's backend, for composites. */

import type { DType } from "../dtype.js";
import { contiguousStrides } from "../shape.js";
import { Tensor } from "../tensor.js";

/** A tensor of host `values` (row-major) in `shape`, on `like`'s backend. */
export function constantLike(like: Tensor, dtype: DType, values: ArrayLike<number>, shape: readonly number[]): Tensor {
  return new Tensor(like.backend, like.backend.fromValues(dtype, values), shape, contiguousStrides(shape), 0, dtype);
}

/** int32 [start, start + step, …] with n entries, on `like`'s backend. */
export function rangeLike(like: Tensor, n: number, start = 0, step = 1): Tensor {
  const values = new Int32Array(n);
  for (let i = 0; i < n; i++) values[i] = start + i * step;
  return constantLike(like, "int32", values, [n]);
}
