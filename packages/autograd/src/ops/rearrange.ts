/**
 * Copies that rearrange elements: flip, roll, repeat, tile. Composites of gather, narrow/cat and
 * expand/reshape, so their gradients (and gradients of gradients) come from those primitives.
 */

import { ShapeError, ValueError, fmtShape } from "../errors.js";
import { normalizeDim, normalizeDims } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { cat } from "./cat.js";
import { rangeLike } from "./constants.js";
import { gather } from "./gather.js";

/** `out` as a tensor with its own memory: these ops always copy, as in PyTorch. */
function ownCopy(out: Tensor, x: Tensor): Tensor {
  return out.buffer === x.buffer ? out.clone() : out;
}

/** The elements in reverse order along each of `dims` (a copy). */
export function flip(x: Tensor, dims: readonly number[]): Tensor {
  const resolved = normalizeDims("flip", dims, x.ndim);
  let out = x;
  for (const d of resolved) {
    const n = x.shape[d];
    if (n <= 1) continue;
    // out[…, i, …] = x[…, n − 1 − i, …]: a gather with the reversed range broadcast over the other dims
    const idxShape: number[] = [];
    for (let i = 0; i < x.ndim; i++) idxShape.push(i === d ? n : 1);
    out = gather(out, d, rangeLike(x, n, n - 1, -1).reshape(idxShape).expand(out.shape));
  }
  return ownCopy(out, x);
}

/**
 * The elements shifted by `shifts` along `dims` (a copy), wrapping around; without dims the
 * flattened tensor is rolled and the shape restored.
 */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
  const shiftList = typeof shifts === "number" ? [shifts] : shifts;
  for (const s of shiftList) if (!Number.isInteger(s)) throw new ValueError(`roll: shifts must be integers, got [${shiftList.join(",")}]`);
  if (dims === undefined) {
    if (shiftList.length !== 1) throw new ValueError(`roll: shifts and dims must align, got ${shiftList.length} shifts and no dims`);
    return roll(x.reshape([-1]), shiftList[0], 0).reshape(x.shape);
  }
  const dimList = typeof dims === "number" ? [dims] : dims;
  if (dimList.length !== shiftList.length) {
    throw new ValueError(`roll: shifts and dims must align, got ${shiftList.length} shifts [${shiftList.join(",")}] and ${dimList.length} dims [${dimList.join(",")}]`);
  }
  let out = x;
  for (let k = 0; k < dimList.length; k++) {
    const d = normalizeDim("roll", dimList[k], x.ndim);
    const n = x.ndim === 0 ? 1 : x.shape[d];
    const s = n === 0 ? 0 : ((shiftList[k] % n) + n) % n;
    if (s === 0) continue;
    // the last s elements move to the front
    out = cat([out.narrow(d, n - s, s), out.narrow(d, 0, n - s)], d);
  }
  return ownCopy(out, x);
}

/** PyTorch's Tensor.repeat: the tensor tiled sizes[i] times along dim i (sizes may add leading dims). */
export function repeat(x: Tensor, sizes: readonly number[]): Tensor {
  if (sizes.length < x.ndim) {
    throw new ShapeError(`repeat: ${sizes.length} repeat sizes [${sizes.join(",")}] are fewer than the tensor's ${x.ndim} dims ${fmtShape(x.shape)}`);
  }
  for (const s of sizes) if (!Number.isInteger(s) || s < 0) throw new ValueError(`repeat: repeat sizes must be non-negative integers, got [${sizes.join(",")}]`);
  const lead = sizes.length - x.ndim;
  const split: number[] = []; // [1, s0, 1, s1, …]: a size-1 dim before each dim …
  const expanded: number[] = []; // … expanded to [r0, s0, r1, s1, …] …
  const merged: number[] = []; // … and merged into [r0·s0, r1·s1, …]
  for (let i = 0; i < sizes.length; i++) {
    const own = i < lead ? 1 : x.shape[i - lead];
    split.push(1, own);
    expanded.push(sizes[i], own);
    merged.push(sizes[i] * own);
  }
  return ownCopy(x.reshape(split).expand(expanded).reshape(merged), x);
}

/** torch.tile: like repeat, but fewer sizes than dims are padded with leading 1s. */
export function tile(x: Tensor, dims: readonly number[]): Tensor {
  const padded: number[] = [];
  for (let i = dims.length; i < x.ndim; i++) padded.push(1);
  for (const d of dims) padded.push(d);
  return repeat(x, padded);
}
