/**
 * Host side of the wasm GELU kernels (assembly/gelu.ts) and of float32 erf: float32 operands are
 * copied into scratch, run there in place and copied out. float64 stays on the cpu kernels
 * (cpu/gelu-kernels.ts): no model here trains in float64, and the wasm f32 erf's coefficients
 * are not accurate enough for it. Each returns false when the caller must use the cpu kernel.
 * GELU and its gradient split large operands across worker threads (by whole vectors): exact
 * GELU costs ~4.5 ns per element, so GPT's [1024, 128] MLP activation is worth two threads.
 */

import type { GeluApproximate, StridedView } from "../backend.js";
import type { CpuBuffer } from "../cpu/cpu-backend.js";
import { copyIn, copyRange, paddedBytes } from "./elementwise.js";
import { rowsRuntime, runRowShares } from "./layernorm.js";
import { SCRATCH_BASE, availableRuntime } from "./runtime.js";

/**
 * Each thread gets at least this many elements: at ~4.5 ns per element (exact GELU; its gradient
 * about as much) a share of 32K takes ~150 µs, well above the ~50 µs of handing it to a worker.
 */
export const GELU_MIN_ELEMS_PER_THREAD = 1 << 15;

/** Operands past this many bytes stay on the cpu kernels rather than grow the scratch. */
const MAX_BYTES = 256 * 2 ** 20;

/** out = gelu(x) in wasm for float32 buffers of at least minSize elements. */
export function wasmGelu(x: CpuBuffer, approximate: GeluApproximate, out: CpuBuffer, minSize: number, perThread = GELU_MIN_ELEMS_PER_THREAD): boolean {
  const n = out.length;
  if (out.dtype !== "float32" || x.dtype !== "float32" || n < minSize || n === 0) return false;
  const picked = rowsRuntime(n, perThread);
  const bytes = paddedBytes(n, 4);
  if (picked === undefined || bytes > MAX_BYTES || !picked.rt.reserve(SCRATCH_BASE + bytes)) return false;
  const { rt, threads } = picked;
  copyRange(rt.f32(), SCRATCH_BASE / 4, x.data, 0, n);
  const tanh = approximate === "tanh" ? 1 : 0;
  // shares of whole vectors (4 values); the last runs into the padding, which the scratch has
  runRowShares(rt, threads, "geluF32", Math.ceil(n / 4), (v0, v1) => [SCRATCH_BASE + 16 * v0, SCRATCH_BASE + 16 * v0, 4 * (v1 - v0), tanh]);
  (out.data as Float32Array).set(rt.view(true, SCRATCH_BASE, n));
  return true;
}

/** out = g·gelu′(x) in wasm for float32 buffers of at least minSize elements. */
export function wasmGeluBackward(g: CpuBuffer, x: CpuBuffer, approximate: GeluApproximate, out: CpuBuffer, minSize: number, perThread = GELU_MIN_ELEMS_PER_THREAD): boolean {
  const n = out.length;
  if (out.dtype !== "float32" || x.dtype !== "float32" || g.dtype !== "float32" || n < minSize || n === 0) return false;
  const picked = rowsRuntime(n, perThread);
  const bytes = paddedBytes(n, 4);
  if (picked === undefined || 2 * bytes > MAX_BYTES || !picked.rt.reserve(SCRATCH_BASE + 2 * bytes)) return false;
  const { rt, threads } = picked;
  const X = SCRATCH_BASE;
  const G = SCRATCH_BASE + bytes;
  const heap = rt.f32();
  copyRange(heap, X / 4, x.data, 0, n);
  copyRange(heap, G / 4, g.data, 0, n);
  const tanh = approximate === "tanh" ? 1 : 0;
  runRowShares(rt, threads, "geluBackwardF32", Math.ceil(n / 4), (v0, v1) => [G + 16 * v0, X + 16 * v0, X + 16 * v0, 4 * (v1 - v0), tanh]);
  (out.data as Float32Array).set(rt.view(true, X, n));
  return true;
}

/** out = erf(x) in wasm for a float32 view of at least minSize elements. */
export function wasmErf(x: StridedView<CpuBuffer>, out: CpuBuffer, minSize: number): boolean {
  const n = out.length;
  if (out.dtype !== "float32" || x.buffer.dtype !== "float32" || n < minSize || n === 0) return false;
  const rt = availableRuntime();
  const bytes = paddedBytes(n, 4);
  if (rt === undefined || bytes > MAX_BYTES || !rt.reserve(SCRATCH_BASE + bytes)) return false;
  copyIn(x, rt.f32(), SCRATCH_BASE / 4, n);
  rt.kernels.erfF32(SCRATCH_BASE, n);
  (out.data as Float32Array).set(rt.view(true, SCRATCH_BASE, n));
  return true;
}
