/**
 * Host side of the wasm attention-softmax kernels (assembly/attention.ts): scale, causal mask
 * and softmax in one pass, and its backward, float32 (f32 lanes, f64 row sums) and float64.
 * Operands are copied into scratch memory, the rows computed there in place and copied out;
 * large calls are split by rows across worker threads. Each function returns false when the
 * caller must use the cpu kernel (backend/cpu/attention-kernels.ts).
 */

import type { CpuBuffer } from "../cpu/cpu-backend.js";
import { copyRange, isFloat, paddedBytes } from "./elementwise.js";
import { NORM_MIN_ELEMS_PER_THREAD, rowsRuntime, runRowShares } from "./layernorm.js";
import { SCRATCH_BASE } from "./runtime.js";

type Floats = Float32Array | Float64Array;

/** Operands larger than this many bytes stay on the cpu kernels rather than grow the scratch. */
const MAX_BYTES = 256 * 2 ** 20;

/** Backend.attentionSoftmax in wasm for float buffers of at least minSize elements. */
export function wasmAttentionSoftmax(
  x: CpuBuffer, rows: number, L: number, S: number, scale: number, causal: boolean, out: CpuBuffer, minSize: number,
  perThread = NORM_MIN_ELEMS_PER_THREAD,
): boolean {
  const n = rows * S;
  if (n < minSize || n === 0 || !isFloat(out) || x.dtype !== out.dtype) return false;
  const f32 = out.dtype === "float32";
  const bpe = f32 ? 4 : 8;
  const picked = rowsRuntime(n, perThread);
  const end = SCRATCH_BASE + paddedBytes(n, bpe);
  if (picked === undefined || n * bpe > MAX_BYTES || !picked.rt.reserve(end)) return false;
  const { rt, threads } = picked;
  copyRange(f32 ? rt.f32() : rt.f64(), SCRATCH_BASE / bpe, x.data, 0, n);
  runRowShares(rt, threads, f32 ? "attentionSoftmaxF32" : "attentionSoftmaxF64", rows, (r0, r1) =>
    [SCRATCH_BASE, SCRATCH_BASE, r0, r1, L, S, scale, causal ? 1 : 0]);
  (out.data as Floats).set(rt.view(f32, SCRATCH_BASE, n));
  return true;
}

/** Backend.attentionSoftmaxBackward in wasm for float buffers of at least minSize elements. */
export function wasmAttentionSoftmaxBackward(
  g: CpuBuffer, y: CpuBuffer, rows: number, S: number, scale: number, out: CpuBuffer, minSize: number,
  perThread = NORM_MIN_ELEMS_PER_THREAD,
): boolean {
  const n = rows * S;
  if (n < minSize || n === 0 || !isFloat(out) || g.dtype !== out.dtype || y.dtype !== out.dtype) return false;
  const f32 = out.dtype === "float32";
  const bpe = f32 ? 4 : 8;
  const G = SCRATCH_BASE;
  const Y = G + paddedBytes(n, bpe);
  const picked = rowsRuntime(n, perThread);
  if (picked === undefined || 2 * n * bpe > MAX_BYTES || !picked.rt.reserve(Y + paddedBytes(n, bpe))) return false;
  const { rt, threads } = picked;
  const heap = f32 ? rt.f32() : rt.f64();
  copyRange(heap, G / bpe, g.data, 0, n);
  copyRange(heap, Y / bpe, y.data, 0, n);
  runRowShares(rt, threads, f32 ? "attentionSoftmaxBackwardF32" : "attentionSoftmaxBackwardF64", rows, (r0, r1) => [G, Y, G, r0, r1, S, scale]);
  (out.data as Floats).set(rt.view(f32, G, n));
  return true;
}
