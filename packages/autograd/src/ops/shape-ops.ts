/** Shape and indexing helpers built from the view primitives. */

import { IndexError, ShapeError, ValueError, fmtShape, fmtValue } from "../errors.js";
import { checkInt, checkSize, normalizeDim, normalizeDims } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { cat } from "./cat.js";
import { permuteChecked } from "./permute.js";
import { requireDims } from "./slice.js";
import { splitPieces } from "./split.js";
import { checkTensorList } from "../validate.js";

/**
 * Merges dims startDim..endDim into one. As in PyTorch, flattening a single dim (startDim ===
 * endDim, e.g. any 1-d tensor) returns the tensor itself, not a view.
 */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return x.reshape([1]);
  const s = normalizeDim("flatten", startDim, x.ndim);
  const e = normalizeDim("flatten", endDim, x.ndim);
  if (s > e) throw new IndexError(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  if (s === e) return x;
  // The merged size is computed, not left to -1, which a 0-size tensor cannot resolve ([0, -1]).
  let merged = 1;
  for (let d = s; d <= e; d++) merged *= x.shape[d];
  return x.reshape([...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
}

/** Removes size-1 dims (only the given ones when `dims` is passed; others are left alone, as in PyTorch). */
export function squeeze(x: Tensor, dims?: number | readonly number[]): Tensor {
  const drop = new Set(normalizeDims("squeeze", dims, x.ndim).filter((d) => x.shape[d] === 1));
  return x.reshape(x.shape.filter((_, i) => !drop.has(i))); // a new view even when nothing is dropped
}

/** Inserts a size-1 dim at `dim` (−1 appends). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normalizeDim("unsqueeze", dim, x.ndim + 1);
  const shape = x.shape.slice();
  shape.splice(d, 0, 1);
  return x.reshape(shape);
}

/** Swaps two dims (a view). */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const a = normalizeDim("transpose", dim0, x.ndim);
  const b = normalizeDim("transpose", dim1, x.ndim);
  // transpose(d, d) is still a new view with its own node (as in PyTorch): an identity permutation.
  const order: number[] = [];
  for (let i = 0; i < x.ndim; i++) order.push(i === a ? b : i === b ? a : i);
  return permuteChecked(x, order);
}

/** The slice at `index` along `dim`, with that dim removed (x[:, i] for dim 1). */
export function select(x: Tensor, dim: number, index: number): Tensor {
  requireDims("select", x);
  const d = normalizeDim("select", dim, x.ndim);
  const size = x.shape[d];
  checkInt("select", "index", index);
  if (index < -size || index >= size) {
    throw new IndexError(`select: index ${index} is out of range for dim ${d} of size ${size}`);
  }
  return x.narrow(d, index < 0 ? index + size : index, 1).squeeze(d);
}

/** Pieces of `splitSize` along `dim` (the last may be smaller), or pieces of the listed sizes. */
export function split(x: Tensor, splitSize: number | readonly number[], dim = 0): Tensor[] {
  requireDims("split", x);
  const d = normalizeDim("split", dim, x.ndim);
  const size = x.shape[d];
  let sizes: number[];
  if (typeof splitSize === "number") {
    if (!Number.isInteger(splitSize) || splitSize <= 0) throw new ValueError(`split: splitSize must be a positive integer, got ${fmtValue(splitSize)}`);
    sizes = [];
    for (let start = 0; start < size; start += splitSize) sizes.push(Math.min(splitSize, size - start));
    if (size === 0) sizes.push(0);
  } else {
    if (!Array.isArray(splitSize)) throw new ValueError(`split: splitSize must be a positive integer or an array of sizes, got ${fmtValue(splitSize)}`);
    sizes = [];
    for (let i = 0; i < splitSize.length; i++) sizes.push(checkSize("split", "each size", splitSize[i]));
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== size) throw new ShapeError(`split: sizes [${sizes.join(",")}] sum to ${total}, but dim ${d} has size ${size}`);
  }
  return splitPieces(x, d, sizes);
}

/** `chunks` pieces of (nearly) equal size along `dim`, as PyTorch's chunk. */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  requireDims("chunk", x);
  if (!Number.isInteger(chunks) || chunks <= 0) throw new ValueError(`chunk: chunks must be a positive integer, got ${fmtValue(chunks)}`);
  const d = normalizeDim("chunk", dim, x.ndim);
  // An empty dim gives `chunks` empty pieces, as PyTorch (a split by size would give one).
  if (x.shape[d] === 0) return split(x, new Array<number>(chunks).fill(0), d);
  return split(x, Math.max(1, Math.ceil(x.shape[d] / chunks)), d);
}

/** Joins tensors of one shape along a new dim. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  checkTensorList("stack", tensors);
  const shape = tensors[0].shape;
  tensors.forEach((t, i) => {
    if (t.shape.length !== shape.length || t.shape.some((s, j) => s !== shape[j])) {
      throw new ShapeError(`stack: all tensors must have the same shape, but tensor ${i} has ${fmtShape(t.shape)} and tensor 0 has ${fmtShape(shape)}`);
    }
  });
  const d = normalizeDim("stack", dim, shape.length + 1);
  return cat(tensors.map((t) => t.unsqueeze(d)), d);
}
