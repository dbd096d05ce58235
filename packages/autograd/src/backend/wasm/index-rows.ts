/**
 * Host side of the wasm row gather and scatter-add (assembly/index-rows.ts), the kernels of
 * `indexSelect`, `indexAdd` and `embedding`: the table, the indices and (for indexAdd) the rows
 * are copied into scratch memory, the rows moved there (one memory.copy per row for a gather)
 * and the result copied out. Only dense (row-major) operands whose table is not much larger than
 * the rows moved come here — copying a big table in to pick a few rows (an LSTM's 3985-word
 * embedding) would cost more than the cpu kernel's loop; anything else returns false so the
 * caller uses the cpu kernel (backend/cpu/index-kernels.ts, the oracle).
 */

import type { StridedView } from "../backend.js";
import type { CpuBuffer } from "../cpu/cpu-backend.js";
import { isBroadcastZero } from "../cpu/index-kernels.js";
import { contiguousStrides, numelOf } from "../../shape.js";
import { copyIn, paddedBytes } from "./elementwise.js";
import { SCRATCH_BASE, availableRuntime } from "./runtime.js";

type View = StridedView<CpuBuffer>;

/** Operands larger than this many bytes stay on the cpu kernels rather than grow the scratch. */
const MAX_BYTES = 256 * 2 ** 20;
/** The table may hold this many times the elements moved (plus a constant) before the cpu loop is cheaper. */
const TABLE_RATIO = 4;
const TABLE_SLACK = 4096;

/** Whether a view's elements lie row-major from its offset. */
function isRowMajor(v: View): boolean {
  const rm = contiguousStrides(v.shape);
  for (let i = 0; i < v.shape.length; i++) if (v.shape[i] !== 1 && v.strides[i] !== rm[i]) return false;
  return true;
}

/** The bytes of `count` elements of a buffer's array from element `offset`. */
function bytesOf(data: CpuBuffer["data"], offset: number, count: number): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset + offset * data.BYTES_PER_ELEMENT, count * data.BYTES_PER_ELEMENT);
}

/** The element counts before and after `axis`. */
function around(shape: readonly number[], axis: number): { outer: number; inner: number } {
  return { outer: numelOf(shape.slice(0, axis)), inner: numelOf(shape.slice(axis + 1)) };
}

/** Copies a 1-d (or 0-d) int32 index view into scratch at byte address `at`; returns its length. */
function copyIndex(memory: ArrayBuffer | SharedArrayBuffer, index: View, at: number): number {
  const n = index.shape.length === 0 ? 1 : index.shape[0];
  const step = index.shape.length === 0 ? 1 : index.strides[0];
  const dst = new Int32Array(memory, at, n);
  const id = index.buffer.data;
  if (step === 1 || n <= 1) dst.set(id.subarray(index.offset, index.offset + n));
  else for (let i = 0, j = index.offset; i < n; i++, j += step) dst[i] = id[j];
  return n;
}

/** Backend.indexSelect in wasm, any dtype, for a row-major x and at least minSize elements out. */
export function wasmIndexSelect(x: View, axis: number, index: View, out: CpuBuffer, minSize: number): boolean {
  const n = out.length;
  const total = numelOf(x.shape);
  if (n < minSize || n === 0 || index.buffer.dtype !== "int32" || !isRowMajor(x) || total > TABLE_RATIO * n + TABLE_SLACK) return false;
  const bpe = out.data.BYTES_PER_ELEMENT;
  const rt = availableRuntime();
  const X = SCRATCH_BASE;
  const I = X + paddedBytes(total, bpe);
  const count = index.shape.length === 0 ? 1 : index.shape[0];
  const O = I + paddedBytes(count, 4);
  const end = O + paddedBytes(n, bpe);
  if (rt === undefined || end - SCRATCH_BASE > MAX_BYTES || !rt.reserve(end)) return false;
  const { outer, inner } = around(x.shape, axis);
  const heap = new Uint8Array(rt.memory.buffer);
  heap.set(bytesOf(x.buffer.data, x.offset, total), X);
  copyIndex(rt.memory.buffer, index, I);
  rt.kernels.indexSelectRows(X, I, O, outer, x.shape[axis], count, inner * bpe);
  bytesOf(out.data, 0, n).set(heap.subarray(O, O + n * bpe));
  return true;
}

/** Backend.indexAdd in wasm, float32 only (float64: the cpu kernel), for a row-major src of at least minSize elements. */
export function wasmIndexAdd(base: View, axis: number, index: View, src: View, alpha: number, out: CpuBuffer, minSize: number): boolean {
  const n = out.length;
  const moved = numelOf(src.shape);
  if (moved < minSize || n === 0 || out.dtype !== "float32" || src.buffer.dtype !== "float32" || base.buffer.dtype !== "float32") return false;
  if (index.buffer.dtype !== "int32" || !isRowMajor(src) || n > TABLE_RATIO * moved + TABLE_SLACK) return false;
  const bpe = 4;
  const rt = availableRuntime();
  const O = SCRATCH_BASE;
  const I = O + paddedBytes(n, bpe);
  const count = index.shape.length === 0 ? 1 : index.shape[0];
  const S = I + paddedBytes(count, 4);
  const end = S + paddedBytes(moved, bpe);
  if (rt === undefined || end - SCRATCH_BASE > MAX_BYTES || !rt.reserve(end)) return false;
  const heap = rt.f32();
  // out = base: zeros (an embedding's gradient starts from a broadcast +0) or base's elements
  if (isBroadcastZero(base)) heap.fill(0, O / bpe, O / bpe + n);
  else copyIn(base, heap, O / bpe, n);
  copyIndex(rt.memory.buffer, index, I);
  new Uint8Array(rt.memory.buffer).set(bytesOf(src.buffer.data, src.offset, moved), S);
  const { outer, inner } = around(base.shape, axis);
  rt.kernels.indexAddRowsF32(O, I, S, outer, base.shape[axis], count, inner, alpha);
  out.data.set(rt.view(true, O, n));
  return true;
}
