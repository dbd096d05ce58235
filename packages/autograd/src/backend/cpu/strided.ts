/**
 * Strided iteration for the CPU kernels. Dims that are laid out back to back in every operand
 * are merged first, so a contiguous (or uniformly broadcast) operation becomes one flat loop.
 */

import { numelOf, packedZeros } from "../../shape.js";

/** Operand layouts after merging: a shared shape and one stride list per operand. */
export interface Coalesced {
  shape: number[];
  strides: number[][];
}

/** Drops size-1 dims and merges dims i, i+1 where every operand has stride[i] = stride[i+1]·shape[i+1]. */
export function coalesce(shape: readonly number[], strides: readonly (readonly number[])[]): Coalesced {
  const outShape: number[] = [];
  const outStrides: number[][] = []; // packed, not .map: see packedZeros in shape.ts
  for (let k = 0; k < strides.length; k++) outStrides.push([]);
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d];
    if (size === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && mergesWithNext(strides, outStrides, d, last, outShape[last])) {
      outShape[last] *= size;
      continue;
    }
    outShape.push(size);
    for (let k = 0; k < strides.length; k++) outStrides[k].push(strides[k][d]);
  }
  outShape.reverse();
  for (const s of outStrides) s.reverse();
  return { shape: outShape, strides: outStrides };
}

/** Whether dim d lies right outside coalesced dim `last` (of size `size`) for every operand. */
function mergesWithNext(strides: readonly (readonly number[])[], outStrides: readonly number[][], d: number, last: number, size: number): boolean {
  for (let k = 0; k < strides.length; k++) if (strides[k][d] !== outStrides[k][last] * size) return false;
  return true;
}

/**
 * Calls `row(offsets, n, innerStrides)` once per innermost row of `shape`, where `offsets[k]`
 * is operand k's offset at the row's start. `offsets` is reused between calls: read, don't keep.
 */
export function forEachRow(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
  startOffsets: readonly number[],
  row: (offsets: number[], n: number, innerStrides: readonly number[]) => void,
): void {
  // Fast path: each operand either row-major contiguous (step 1) or one broadcast value (step 0).
  const steps: number[] = []; // packed, not .map: see packedZeros in shape.ts
  for (let i = 0; i < strides.length; i++) steps.push(flatStep(shape, strides[i]));
  if (!steps.includes(-1)) {
    for (const size of shape) if (size === 0) return;
    row(startOffsets.slice(), numelOf(shape), steps);
    return;
  }
  const { shape: s, strides: st } = coalesce(shape, strides);
  const k = st.length;
  const offsets = startOffsets.slice();
  if (s.length === 0) {
    // A single element (scalar, or every dim of size 1) — unless some dim is 0.
    for (const size of shape) if (size === 0) return;
    row(offsets, 1, packedZeros(k));
    return;
  }
  if (s.includes(0)) return;
  const rank = s.length;
  const inner: number[] = [];
  for (let i = 0; i < st.length; i++) inner.push(st[i][rank - 1]);
  const n = s[rank - 1];
  if (rank === 1) {
    row(offsets, n, inner);
    return;
  }
  const counter = packedZeros(rank - 1);
  const base = startOffsets.slice();
  for (;;) {
    for (let j = 0; j < k; j++) offsets[j] = base[j];
    row(offsets, n, inner);
    // Odometer step over the outer dims.
    let d = rank - 2;
    for (; d >= 0; d--) {
      counter[d]++;
      for (let j = 0; j < k; j++) base[j] += st[j][d];
      if (counter[d] < s[d]) break;
      for (let j = 0; j < k; j++) base[j] -= st[j][d] * s[d];
      counter[d] = 0;
    }
    if (d < 0) return;
  }
}

/** 1 if (shape, strides) is row-major contiguous, 0 if every element is the same one, else −1. */
export function flatStep(shape: readonly number[], strides: readonly number[]): number {
  let contiguous = true;
  let constant = true;
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] === 1) continue;
    if (strides[d] !== expected) contiguous = false;
    if (strides[d] !== 0) constant = false;
    expected *= shape[d];
  }
  return contiguous ? 1 : constant ? 0 : -1;
}
