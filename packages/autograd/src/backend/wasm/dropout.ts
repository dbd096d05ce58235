/**
 * Host side of the wasm dropout kernel (assembly/dropout.ts): x and the noise u copied into
 * scratch, one SIMD pass (compare, mask, multiply; no branch) in place, the result copied out.
 * Identical to the cpu kernel (cpu/dropout-kernels.ts), whose loop's data-dependent branch
 * mispredicts on random masks (~5 ns per element measured, against well under 1 here).
 */

import type { CpuBuffer } from "../cpu/cpu-backend.js";
import { copyRange, isFloat, paddedBytes } from "./elementwise.js";
import { SCRATCH_BASE, availableRuntime } from "./runtime.js";

type Floats = Float32Array | Float64Array;

/** Operands larger than this many bytes stay on the cpu kernel rather than grow the scratch. */
const MAX_BYTES = 256 * 2 ** 20;

/** Dropout in wasm (see Backend.dropout) for float buffers of at least `minSize` elements. */
export function wasmDropout(x: CpuBuffer, u: CpuBuffer, threshold: number, scale: number, out: CpuBuffer, minSize: number): boolean {
  const n = out.length;
  if (n < minSize || n === 0 || !isFloat(out) || x.dtype !== out.dtype || u.dtype !== out.dtype) return false;
  const f32 = out.dtype === "float32";
  const bpe = f32 ? 4 : 8;
  const rt = availableRuntime();
  const us = SCRATCH_BASE + paddedBytes(n, bpe);
  if (rt === undefined || 2 * n * bpe > MAX_BYTES || !rt.reserve(us + paddedBytes(n, bpe))) return false;
  const heap = f32 ? rt.f32() : rt.f64();
  copyRange(heap, SCRATCH_BASE / bpe, x.data, 0, n);
  copyRange(heap, us / bpe, u.data, 0, n);
  (f32 ? rt.kernels.dropoutF32 : rt.kernels.dropoutF64)(SCRATCH_BASE, us, SCRATCH_BASE, n, threshold, scale);
  (out.data as Floats).set(rt.view(f32, SCRATCH_BASE, n));
  return true;
}
