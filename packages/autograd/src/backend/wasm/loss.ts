/**
 * Host side of the wasm binary cross entropy and its gradient (assembly/loss.ts), float32 only
 * (float64 runs the cpu kernels: no model here trains in float64): p and y read
 * whole (and g whole or as one broadcast value, the gradient of a summed loss) are copied into
 * scratch memory, the kernel computes the cpu kernel's float64 formula there (the forward's logs
 * in float32 lanes, within 1 ulp), and the result is copied out. Anything else returns false so the caller uses the cpu kernel
 * (backend/cpu/loss-kernels.ts). Large operands are split across worker threads by whole vectors.
 */

import type { StridedView } from "../backend.js";
import type { CpuBuffer } from "../cpu/cpu-backend.js";
import { copyRange, paddedBytes } from "./elementwise.js";
import { rowsRuntime, runRowShares } from "./layernorm.js";
import { SCRATCH_BASE } from "./runtime.js";

type View = StridedView<CpuBuffer>;

/**
 * Each thread gets at least this many elements: the forward costs ~5–10 ns per element (two
 * float32 logs and a float64 division; the f64 logs before took ~15), the gradient's division
 * ~3, so the VAE's [128, 784] reconstruction loss splits across two threads.
 */
export const BCE_MIN_ELEMS_PER_THREAD = 1 << 14;

/** Operands larger than this many bytes stay on the cpu kernels rather than grow the scratch. */
const MAX_BYTES = 256 * 2 ** 20;

/** Whether a view covers its buffer's elements from its offset in row-major order (size-1 dims aside). */
function isWhole(v: View): boolean {
  let expected = 1;
  for (let d = v.shape.length - 1; d >= 0; d--) {
    if (v.shape[d] === 1) continue;
    if (v.strides[d] !== expected) return false;
    expected *= v.shape[d];
  }
  return true;
}

/** Whether every element of the view is one value (all strides 0 or size-1 dims). */
function isScalar(v: View): boolean {
  return v.shape.every((s, d) => s === 1 || v.strides[d] === 0);
}

/**
 * Backend.binaryCrossEntropy in wasm for float32 tensors of at least minSize elements, p and y
 * read whole: whether every p and y lies in [0, 1] (the kernel checks in its pass), or undefined
 * when the caller must use the cpu kernel.
 */
export function wasmBinaryCrossEntropy(p: View, y: View, out: CpuBuffer, minSize: number, perThread = BCE_MIN_ELEMS_PER_THREAD): boolean | undefined {
  const n = out.length;
  if (n < minSize || n === 0 || out.dtype !== "float32" || p.buffer.dtype !== "float32" || y.buffer.dtype !== "float32") return undefined;
  if (!isWhole(p) || !isWhole(y)) return undefined;
  const bpe = 4;
  const big = paddedBytes(n, bpe);
  const P = SCRATCH_BASE;
  const Y = P + big;
  const FLAG = Y + big;
  const picked = rowsRuntime(n, perThread);
  if (picked === undefined || 2 * big > MAX_BYTES || !picked.rt.reserve(FLAG + 16)) return undefined;
  const { rt, threads } = picked;
  const heap = rt.f32();
  copyRange(heap, P / bpe, p.buffer.data, p.offset, n);
  copyRange(heap, Y / bpe, y.buffer.data, y.offset, n);
  const flag = new Int32Array(heap.buffer, FLAG, 1);
  flag[0] = 1;
  // shares of whole vectors; the last one's count is exact, so an odd n's padding is not checked
  runRowShares(rt, threads, "bceF32", Math.ceil(n / 4), (v0, v1) => [P + 16 * v0, Y + 16 * v0, P + 16 * v0, Math.min(4 * v1, n) - 4 * v0, FLAG]);
  out.data.set(rt.view(true, P, n));
  return flag[0] !== 0;
}

/** Backend.binaryCrossEntropyBackward in wasm for float32 tensors of at least minSize elements. */
export function wasmBinaryCrossEntropyBackward(g: View, p: View, y: View, out: CpuBuffer, minSize: number, perThread = BCE_MIN_ELEMS_PER_THREAD): boolean {
  const n = out.length;
  if (n < minSize || n === 0 || out.dtype !== "float32") return false;
  if (g.buffer.dtype !== "float32" || p.buffer.dtype !== "float32" || y.buffer.dtype !== "float32") return false;
  const gScalar = isScalar(g);
  if (!isWhole(p) || !isWhole(y) || (!gScalar && !isWhole(g))) return false;
  const bpe = 4;
  const big = paddedBytes(n, bpe);
  const P = SCRATCH_BASE;
  const Y = P + big;
  const G = Y + big;
  const end = G + (gScalar ? 16 : big);
  const picked = rowsRuntime(n, perThread);
  if (picked === undefined || end - SCRATCH_BASE > MAX_BYTES || !picked.rt.reserve(end)) return false;
  const { rt, threads } = picked;
  const heap = rt.f32();
  copyRange(heap, P / bpe, p.buffer.data, p.offset, n);
  copyRange(heap, Y / bpe, y.buffer.data, y.offset, n);
  if (gScalar) heap[G / bpe] = g.buffer.data[g.offset];
  else copyRange(heap, G / bpe, g.buffer.data, g.offset, n);
  runRowShares(rt, threads, "bceBackwardF32", Math.ceil(n / 4), (v0, v1) =>
    [gScalar ? G : G + 16 * v0, P + 16 * v0, Y + 16 * v0, P + 16 * v0, 4 * (v1 - v0), gScalar ? 1 : 0]);
  out.data.set(rt.view(true, P, n));
  return true;
}
