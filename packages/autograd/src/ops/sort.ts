/**
 * sort, argsort and topk: the backend's stable `argsort` kernel (cpu version in
 * backend/cpu/scan-sort.ts) gives int32 indices, and the values are `gather`ed with them, so
 * their gradient (and its gradient) is gather's: each value's gradient goes back to where it came from.
 */

import { ValueError } from "../errors.js";
import { checkFlag, checkIndexable, normalizeDim } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { allocTensor } from "./define.js";
import { gather } from "./gather.js";
import type { ValuesIndices } from "./reductions.js";

/** Stable sort indices (int32) of x along the already resolved dim `d`; `op` names errors. */
function sortIndices(op: string, x: Tensor, d: number, descending: boolean): Tensor {
  checkIndexable(op, x.shape[d], `dim ${d} of the input of shape [${x.shape.join(",")}]`);
  const out = allocTensor(x.backend, x.shape, "int32");
  x.backend.argsort(x, d, descending, out.buffer);
  return out;
}

/**
 * The values along `dim` in ascending (or descending) order, with the int32 indices they came
 * from. Always stable (ties keep their order, PyTorch's stable=True); NaN sorts above every number.
 */
export function sort(x: Tensor, dim = -1, descending = false): ValuesIndices {
  const d = normalizeDim("sort", dim, x.ndim);
  checkFlag("sort", "descending", descending);
  if (x.ndim === 0) return { values: x.clone(), indices: x.newZeros([]).to("int32") };
  const indices = sortIndices("sort", x, d, descending);
  return { values: gather(x, d, indices), indices };
}

/** The int32 indices that sort x along `dim` (stable; see sort). */
export function argsort(x: Tensor, dim = -1, descending = false): Tensor {
  const d = normalizeDim("argsort", dim, x.ndim);
  checkFlag("argsort", "descending", descending);
  if (x.ndim === 0) return x.newZeros([]).to("int32");
  return sortIndices("argsort", x, d, descending);
}

/**
 * The k largest (or smallest) values along `dim` and their int32 indices, largest first (or
 * smallest first). Ties go to the lower index; NaN counts as the largest value, as in PyTorch.
 */
export function topk(x: Tensor, k: number, dim = -1, largest = true, sorted = true): ValuesIndices {
  const d = normalizeDim("topk", dim, x.ndim);
  const size = x.ndim === 0 ? 1 : x.shape[d];
  if (!Number.isInteger(k) || k < 0 || k > size) {
    throw new ValueError(`topk: k ${k} is out of range for dim ${d} of size ${size} (shape [${x.shape.join(",")}])`);
  }
  checkFlag("topk", "largest", largest);
  checkFlag("topk", "sorted", sorted);
  if (x.ndim === 0) {
    const { values, indices } = topk(x.reshape([1]), k, 0, largest, sorted);
    return k === 0 ? { values, indices } : { values: values.reshape([]), indices: indices.reshape([]) };
  }
  // NOTE: sorted = false returns them sorted too: PyTorch leaves that order unspecified.
  const indices = sortIndices("topk", x, d, largest).narrow(d, 0, k).contiguous();
  return { values: gather(x, d, indices), indices };
}
