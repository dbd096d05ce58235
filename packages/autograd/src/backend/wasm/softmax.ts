/**
 * Host side of the wasm softmax kernels (assembly/softmax.ts): softmax / log-softmax along the
 * last dim and their fused backward, float32 and float64. Operands are copied into scratch
 * memory, the rows computed there in place, and the result copied out; large calls are split by
 * rows across worker threads. Anything else returns false so the caller uses the cpu kernel.
 */

import type { StridedView } from "../backend.js";
import type { CpuBuffer } from "../cpu/cpu-backend.js";
import { copyIn, copyRange, isFloat, paddedBytes } from "./elementwise.js";
import { SCRATCH_BASE, availableRuntime, getSharedRuntime, type KernelExports, type Runtime } from "./runtime.js";
import { getNumThreads, runShares, type KernelCalls } from "./threads.js";

type View = StridedView<CpuBuffer>;
type Floats = Float32Array | Float64Array;

/** Operands larger than this many bytes stay on the cpu kernels rather than grow the scratch. */
const MAX_BYTES = 256 * 2 ** 20;

/**
 * Each thread gets at least this many elements: a row costs ~1 ns per element here, and handing a
 * share to a worker ~50 µs, so a [700, 3985] log-softmax (2.8M) splits and a [64, 10] one does not.
 */
export const SOFTMAX_MIN_ELEMS_PER_THREAD = 1 << 18;

/** Where the rows run: the shared runtime (and how many threads) when big enough to split. */
function pickRuntime(n: number, perThread: number): { rt: Runtime; threads: number } | undefined {
  const threads = Math.min(getNumThreads(), Math.floor(n / perThread));
  const shared = threads > 1 ? getSharedRuntime() : undefined;
  if (shared !== undefined) return { rt: shared, threads };
  const rt = availableRuntime();
  return rt === undefined ? undefined : { rt, threads: 1 };
}

/** Runs kernel(...head, r0, r1, ...tail) over `rows` rows, split into `threads` row ranges. */
function runRows(rt: Runtime, threads: number, kernel: keyof KernelExports, head: number[], rows: number, tail: number[]): void {
  const parts = Math.min(threads, rows);
  const shares: KernelCalls[] = [];
  for (let t = 0; t < parts; t++) {
    shares.push({ kernel, calls: [[...head, Math.floor((t * rows) / parts), Math.floor(((t + 1) * rows) / parts), ...tail]] });
  }
  runShares(rt, shares);
}

/** True when the views can be handled here: float, one dtype, reduced along the last axis. */
function fits(views: readonly View[], axis: number, out: CpuBuffer, minSize: number): boolean {
  const n = out.length;
  if (!isFloat(out) || n < minSize || n === 0) return false;
  for (const v of views) if (v.buffer.dtype !== out.dtype || axis !== v.shape.length - 1) return false;
  return true;
}

/** Softmax / log-softmax along the last axis in wasm, for float tensors of at least `minSize` elements. */
export function wasmSoftmax(x: View, axis: number, log: boolean, out: CpuBuffer, minSize: number, perThread = SOFTMAX_MIN_ELEMS_PER_THREAD): boolean {
  if (!fits([x], axis, out, minSize)) return false;
  const n = out.length;
  const len = x.shape[axis];
  const f32 = out.dtype === "float32";
  const bpe = f32 ? 4 : 8;
  const picked = pickRuntime(n, perThread);
  if (picked === undefined || n * bpe > MAX_BYTES || !picked.rt.reserve(SCRATCH_BASE + paddedBytes(n, bpe))) return false;
  const { rt, threads } = picked;
  copyIn(x, f32 ? rt.f32() : rt.f64(), SCRATCH_BASE / bpe, n);
  runRows(rt, threads, f32 ? "softmaxF32" : "softmaxF64", [SCRATCH_BASE, SCRATCH_BASE], n / len, [len, log ? 1 : 0]);
  (out.data as Floats).set(rt.view(f32, SCRATCH_BASE, n));
  return true;
}

/**
 * The fused backward of softmax (log-softmax when `log`) along the last axis in wasm, from the
 * upstream gradient g and the forward output y; false (use the cpu kernel) as wasmSoftmax.
 */
export function wasmSoftmaxBackward(
  g: View, y: View, axis: number, log: boolean, out: CpuBuffer, minSize: number, perThread = SOFTMAX_MIN_ELEMS_PER_THREAD,
): boolean {
  if (!fits([g, y], axis, out, minSize)) return false;
  const n = out.length;
  const len = g.shape[axis];
  const f32 = out.dtype === "float32";
  const bpe = f32 ? 4 : 8;
  const G = SCRATCH_BASE;
  const Y = G + paddedBytes(n, bpe);
  const picked = pickRuntime(n, perThread);
  if (picked === undefined || 2 * n * bpe > MAX_BYTES || !picked.rt.reserve(Y + paddedBytes(n, bpe))) return false;
  const { rt, threads } = picked;
  const heap = f32 ? rt.f32() : rt.f64();
  copyIn(g, heap, G / bpe, n);
  copyIn(y, heap, Y / bpe, n);
  runRows(rt, threads, f32 ? "softmaxBackwardF32" : "softmaxBackwardF64", [G, Y, G], n / len, [len, log ? 1 : 0]);
  (out.data as Floats).set(rt.view(f32, G, n));
  return true;
}

/**
 * Backend.softmaxCrossEntropy in wasm for float32 logits of at least minSize elements: x and the
 * int32 targets are copied in, each row's loss comes back (rows split across threads when large).
 */
export function wasmSoftmaxCrossEntropy(
  x: CpuBuffer, target: CpuBuffer, rows: number, cols: number, out: CpuBuffer, minSize: number, perThread = SOFTMAX_MIN_ELEMS_PER_THREAD,
): boolean {
  const n = rows * cols;
  if (n < minSize || n === 0 || x.dtype !== "float32" || out.dtype !== "float32") return false;
  const X = SCRATCH_BASE;
  const T = X + paddedBytes(n, 4);
  const O = T + paddedBytes(rows, 4);
  const picked = pickRuntime(n, perThread);
  if (picked === undefined || n * 4 > MAX_BYTES || !picked.rt.reserve(O + paddedBytes(rows, 4))) return false;
  const { rt, threads } = picked;
  const heap = rt.f32();
  copyRange(heap, X / 4, x.data, 0, n);
  new Int32Array(heap.buffer, T, rows).set(target.data.subarray(0, rows));
  runRows(rt, threads, "softmaxCrossEntropyF32", [X, T, O], rows, [cols]);
  (out.data as Float32Array).set(rt.view(true, O, rows));
  return true;
}

/** Backend.softmaxCrossEntropyBackward in wasm, as wasmSoftmaxCrossEntropy; the gradient is computed over x's copy in place. */
export function wasmSoftmaxCrossEntropyBackward(
  g: CpuBuffer, x: CpuBuffer, target: CpuBuffer, rows: number, cols: number, out: CpuBuffer, minSize: number, perThread = SOFTMAX_MIN_ELEMS_PER_THREAD,
): boolean {
  const n = rows * cols;
  if (n < minSize || n === 0 || x.dtype !== "float32" || g.dtype !== "float32" || out.dtype !== "float32") return false;
  const X = SCRATCH_BASE;
  const T = X + paddedBytes(n, 4);
  const G = T + paddedBytes(rows, 4);
  const picked = pickRuntime(n, perThread);
  if (picked === undefined || n * 4 > MAX_BYTES || !picked.rt.reserve(G + paddedBytes(rows, 4))) return false;
  const { rt, threads } = picked;
  const heap = rt.f32();
  copyRange(heap, X / 4, x.data, 0, n);
  new Int32Array(heap.buffer, T, rows).set(target.data.subarray(0, rows));
  copyRange(heap, G / 4, g.data, 0, rows);
  runRows(rt, threads, "softmaxCrossEntropyBackwardF32", [G, X, T, X], rows, [cols]);
  (out.data as Float32Array).set(rt.view(true, X, n));
  return true;
}
