/**
 * Host side of the wasm LayerNorm kernels (assembly/layernorm.ts), float32 only: float64 stays on
 * the cpu kernels (backend/cpu/norm-kernels.ts; no model here trains in float64, and the wasm
 * module is inlined in the bundle). The rows are copied into scratch memory, normalized there in
 * place and copied out. The kernels widen every value to f64 and repeat the cpu kernel's
 * operations, so they differ from it only where a row sum rounds differently. Large calls are split by rows
 * across worker threads; each thread's share of dweight and dbias is its own f64 array, added
 * up here in thread order. Each function returns false when the caller must use the cpu kernel.
 */

import type { CpuBuffer } from "../cpu/cpu-backend.js";
import { copyRange, paddedBytes } from "./elementwise.js";
import { SCRATCH_BASE, availableRuntime, getSharedRuntime, type KernelExports, type Runtime } from "./runtime.js";
import { getNumThreads, runShares, type KernelCalls } from "./threads.js";

/** Operands larger than this many bytes stay on the cpu kernels rather than grow the scratch. */
const MAX_BYTES = 256 * 2 ** 20;

/**
 * Each thread gets at least this many elements (as the softmax kernels: a row costs about a
 * nanosecond per element, handing a share to a worker tens of microseconds), so GPT-sized
 * activations ([1024, 32]) run on this thread alone.
 */
export const NORM_MIN_ELEMS_PER_THREAD = 1 << 18;

const HAS_WEIGHT = 1;
const HAS_BIAS = 2;
const NEED_DX = 4;
const NEED_DW = 8;
const NEED_DB = 16;

/** The runtime and thread count for n elements: shared memory when big enough to split. */
export function rowsRuntime(n: number, perThread: number): { rt: Runtime; threads: number } | undefined {
  const threads = Math.min(getNumThreads(), Math.floor(n / perThread));
  const shared = threads > 1 ? getSharedRuntime() : undefined;
  if (shared !== undefined) return { rt: shared, threads };
  const rt = availableRuntime();
  return rt === undefined ? undefined : { rt, threads: 1 };
}

/** Runs kernel over `rows` rows split into `threads` ranges; args(r0, r1, t) gives share t's arguments. */
export function runRowShares(rt: Runtime, threads: number, kernel: keyof KernelExports, rows: number, args: (r0: number, r1: number, t: number) => number[]): number {
  const parts = Math.max(1, Math.min(threads, rows));
  const shares: KernelCalls[] = [];
  for (let t = 0; t < parts; t++) shares.push({ kernel, calls: [args(Math.floor((t * rows) / parts), Math.floor(((t + 1) * rows) / parts), t)] });
  runShares(rt, shares);
  return parts;
}

/** True when every buffer is float32, as out. */
function allFloat32(out: CpuBuffer, buffers: readonly (CpuBuffer | null)[]): boolean {
  if (out.dtype !== "float32") return false;
  for (const b of buffers) if (b !== null && b.dtype !== "float32") return false;
  return true;
}

/** Backend.layerNorm in wasm for float32 buffers of at least minSize elements. */
export function wasmLayerNorm(
  x: CpuBuffer, weight: CpuBuffer | null, bias: CpuBuffer | null, rows: number, cols: number, eps: number,
  out: CpuBuffer, mean: CpuBuffer, rstd: CpuBuffer, minSize: number, perThread = NORM_MIN_ELEMS_PER_THREAD,
): boolean {
  const n = rows * cols;
  if (n < minSize || n === 0 || !allFloat32(out, [x, weight, bias, mean, rstd])) return false;
  const bpe = 4;
  const X = SCRATCH_BASE;
  const W = X + paddedBytes(n, bpe);
  const B = W + paddedBytes(cols, bpe);
  const M = B + paddedBytes(cols, bpe);
  const R = M + paddedBytes(rows, bpe);
  const end = R + paddedBytes(rows, bpe);
  const picked = rowsRuntime(n, perThread);
  if (picked === undefined || end - SCRATCH_BASE > MAX_BYTES || !picked.rt.reserve(end)) return false;
  const { rt, threads } = picked;
  const heap = rt.f32();
  copyRange(heap, X / bpe, x.data, 0, n);
  if (weight !== null) copyRange(heap, W / bpe, weight.data, 0, cols);
  if (bias !== null) copyRange(heap, B / bpe, bias.data, 0, cols);
  const flags = (weight !== null ? HAS_WEIGHT : 0) | (bias !== null ? HAS_BIAS : 0);
  runRowShares(rt, threads, "layerNormF32", rows, (r0, r1) => [X, W, B, X, M, R, r0, r1, cols, eps, flags]);
  out.data.set(rt.view(true, X, n));
  mean.data.set(rt.view(true, M, rows));
  rstd.data.set(rt.view(true, R, rows));
  return true;
}

/** Backend.layerNormBackward in wasm for float32 buffers of at least minSize elements. */
export function wasmLayerNormBackward(
  g: CpuBuffer, x: CpuBuffer, mean: CpuBuffer, rstd: CpuBuffer, weight: CpuBuffer | null, rows: number, cols: number,
  dx: CpuBuffer | null, dweight: CpuBuffer | null, dbias: CpuBuffer | null, minSize: number, perThread = NORM_MIN_ELEMS_PER_THREAD,
): boolean {
  const n = rows * cols;
  if (n < minSize || n === 0 || !allFloat32(g, [x, mean, rstd, weight, dx, dweight, dbias])) return false;
  const bpe = 4;
  const picked = rowsRuntime(n, perThread);
  if (picked === undefined) return false;
  const { rt } = picked;
  const threads = Math.max(1, Math.min(picked.threads, rows));
  const G = SCRATCH_BASE;
  const X = G + paddedBytes(n, bpe);
  const M = X + paddedBytes(n, bpe);
  const R = M + paddedBytes(rows, bpe);
  const W = R + paddedBytes(rows, bpe);
  const ACC = W + paddedBytes(cols, bpe); // per thread: dw then db, cols f64 each
  const accBytes = paddedBytes(cols, 8);
  const end = ACC + threads * 2 * accBytes;
  if (end - SCRATCH_BASE > MAX_BYTES || !rt.reserve(end)) return false;
  const heap = rt.f32();
  copyRange(heap, G / bpe, g.data, 0, n);
  copyRange(heap, X / bpe, x.data, 0, n);
  copyRange(heap, M / bpe, mean.data, 0, rows);
  copyRange(heap, R / bpe, rstd.data, 0, rows);
  if (weight !== null) copyRange(heap, W / bpe, weight.data, 0, cols);
  rt.f64().fill(0, ACC / 8, end / 8);
  const flags = (weight !== null ? HAS_WEIGHT : 0) | (dx !== null ? NEED_DX : 0) | (dweight !== null ? NEED_DW : 0) | (dbias !== null ? NEED_DB : 0);
  const acc = (t: number, which: number): number => ACC + (2 * t + which) * accBytes;
  // dx overwrites g in place (each row reads its g before writing dx)
  const parts = runRowShares(rt, threads, "layerNormBackwardF32", rows, (r0, r1, t) =>
    [G, X, M, R, W, G, acc(t, 0), acc(t, 1), r0, r1, cols, flags]);
  if (dx !== null) dx.data.set(rt.view(true, G, n));
  for (const [buf, which] of [[dweight, 0], [dbias, 1]] as const) {
    if (buf === null) continue;
    const sums = rt.view(false, acc(0, which), cols);
    if (parts === 1) {
      buf.data.set(sums);
      continue;
    }
    const total = Float64Array.from(sums);
    for (let t = 1; t < parts; t++) {
      const part = rt.view(false, acc(t, which), cols);
      for (let c = 0; c < cols; c++) total[c] += part[c];
    }
    buf.data.set(total);
  }
  return true;
}
