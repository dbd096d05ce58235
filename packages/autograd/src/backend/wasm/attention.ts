/**
 * Host side of the wasm attention-softmax kernels (assembly/attention.ts): scale, causal mask
 * and softmax in one pass, and its backward, float32 only (f32 lanes, f64 row sums); float64
 * stays on the cpu kernels, as LayerNorm's (layernorm.ts).
 * Operands are copied into scratch memory, the rows computed there in place and copied out;
 * large calls are split by rows across worker threads. Each function returns false when the
 * caller must use the cpu kernel (backend/cpu/attention-kernels.ts).
 */

import type { CpuBuffer } from "../cpu/cpu-backend.js";
import { copyRange, paddedBytes } from "./elementwise.js";
import { NORM_MIN_ELEMS_PER_THREAD, rowsRuntime, runRowShares } from "./layernorm.js";
import { SCRATCH_BASE } from "./runtime.js";

/** Operands larger than this many bytes stay on the cpu kernels rather than grow the scratch. */
const MAX_BYTES = 256 * 2 ** 20;

/** Backend.attentionSoftmax in wasm for float32 buffers of at least minSize elements. */
export function wasmAttentionSoftmax(
  x: CpuBuffer, rows: number, L: number, S: number, scale: number, causal: boolean, out: CpuBuffer, minSize: number,
  perThread = NORM_MIN_ELEMS_PER_THREAD,
): boolean {
  const n = rows * S;
  if (n < minSize || n === 0 || out.dtype !== "float32" || x.dtype !== "float32") return false;
  const bpe = 4;
  const picked = rowsRuntime(n, perThread);
  const end = SCRATCH_BASE + paddedBytes(n, bpe);
  if (picked === undefined || n * bpe > MAX_BYTES || !picked.rt.reserve(end)) return false;
  const { rt, threads } = picked;
  copyRange(rt.f32(), SCRATCH_BASE / bpe, x.data, 0, n);
  runRowShares(rt, threads, "attentionSoftmaxF32", rows, (r0, r1) =>
    [SCRATCH_BASE, SCRATCH_BASE, r0, r1, L, S, scale, causal ? 1 : 0]);
  out.data.set(rt.view(true, SCRATCH_BASE, n));
  return true;
}

/** Backend.attentionSoftmaxBackward in wasm for float32 buffers of at least minSize elements. */
export function wasmAttentionSoftmaxBackward(
  g: CpuBuffer, y: CpuBuffer, rows: number, S: number, scale: number, out: CpuBuffer, minSize: number,
  perThread = NORM_MIN_ELEMS_PER_THREAD,
): boolean {
  const n = rows * S;
  if (n < minSize || n === 0 || out.dtype !== "float32" || g.dtype !== "float32" || y.dtype !== "float32") return false;
  const bpe = 4;
  const G = SCRATCH_BASE;
  const Y = G + paddedBytes(n, bpe);
  const picked = rowsRuntime(n, perThread);
  if (picked === undefined || 2 * n * bpe > MAX_BYTES || !picked.rt.reserve(Y + paddedBytes(n, bpe))) return false;
  const { rt, threads } = picked;
  const heap = rt.f32();
  copyRange(heap, G / bpe, g.data, 0, n);
  copyRange(heap, Y / bpe, y.data, 0, n);
  runRowShares(rt, threads, "attentionSoftmaxBackwardF32", rows, (r0, r1) => [G, Y, G, r0, r1, S, scale]);
  out.data.set(rt.view(true, G, n));
  return true;
}
