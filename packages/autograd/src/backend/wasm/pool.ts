/**
 * Host side of the wasm max-pooling kernels (assembly/pool.ts): 2-d max pooling with indices and
 * its backward, float32 and float64. Operands are copied into scratch as contiguous planes, the
 * planes split across worker threads when large, and the results copied out; they equal the cpu
 * kernels' bit for bit. Anything else returns false so the caller uses the cpu kernel.
 */

import type { StridedView, Window2d } from "../backend.js";
import type { CpuBuffer } from "../cpu/cpu-backend.js";
import { contiguousStrides } from "../../shape.js";
import { copyIn, isFloat, paddedBytes } from "./elementwise.js";
import { SCRATCH_BASE, availableRuntime, getSharedRuntime, type KernelExports, type Runtime } from "./runtime.js";
import { getNumThreads, runShares, type KernelCalls } from "./threads.js";

type View = StridedView<CpuBuffer>;
type Floats = Float32Array | Float64Array;

/** Operands larger than this many bytes stay on the cpu kernels rather than grow the scratch. */
const MAX_BYTES = 256 * 2 ** 20;

/**
 * Each thread gets at least this many input elements: a 2×2 window costs ~1 ns per input element
 * here and handing a share to a worker ~50 µs, so the cnn example's [64, 64, 24, 24] pool (2.4M)
 * splits and small ones do not.
 */
export const POOL_MIN_ELEMS_PER_THREAD = 1 << 18;

/** Bytes of the i32 geometry block at SCRATCH_BASE (layout in assembly/pool.ts). */
const GEO_BYTES = 64;

/** Where the planes run: the shared runtime (and how many threads) when big enough to split. */
function pickRuntime(elems: number, planes: number, perThread: number): { rt: Runtime; threads: number } | undefined {
  const threads = Math.min(getNumThreads(), planes, Math.floor(elems / perThread));
  const shared = threads > 1 ? getSharedRuntime() : undefined;
  if (shared !== undefined) return { rt: shared, threads };
  const rt = availableRuntime();
  return rt === undefined ? undefined : { rt, threads: 1 };
}

/** Runs kernel(...head, p0, p1, ...tail) over `planes` planes, split into `threads` ranges. */
function runPlanes(rt: Runtime, threads: number, kernel: keyof KernelExports, head: number[], planes: number, tail: number[]): void {
  const shares: KernelCalls[] = [];
  for (let t = 0; t < threads; t++) {
    shares.push({ kernel, calls: [[...head, Math.floor((t * planes) / threads), Math.floor(((t + 1) * planes) / threads), ...tail]] });
  }
  runShares(rt, shares);
}

/** The int32 view of n values from byte address at. */
function int32s(rt: Runtime, at: number, n: number): Int32Array {
  return new Int32Array(rt.f32().buffer, at, n);
}

/** Whether v's elements lie in row-major order from its offset. */
function isContiguous(v: View): boolean {
  const rm = contiguousStrides(v.shape);
  return v.shape.every((s, i) => s === 1 || v.strides[i] === rm[i]);
}

/** Max pooling with indices in wasm (see Backend.maxPool2d), for float inputs of at least `minSize` elements. */
export function wasmMaxPool2d(
  x: View, win: Window2d, values: CpuBuffer, indices: CpuBuffer, minSize: number, perThread = POOL_MIN_ELEMS_PER_THREAD,
): boolean {
  const [N, C, H, W] = x.shape;
  const n = N * C * H * W;
  if (!isFloat(values) || x.buffer.dtype !== values.dtype || n < minSize || values.length === 0) return false;
  const f32 = values.dtype === "float32";
  const bpe = f32 ? 4 : 8;
  const m = values.length;
  const xs = SCRATCH_BASE + GEO_BYTES;
  const vs = xs + paddedBytes(n, bpe);
  const is = vs + paddedBytes(m, bpe);
  const picked = pickRuntime(n, N * C, perThread);
  if (picked === undefined || n * bpe > MAX_BYTES || !picked.rt.reserve(is + paddedBytes(m, 4))) return false;
  const { rt, threads } = picked;
  const { kh, kw, sh, sw, ph, pw, dh, dw, oh, ow } = win;
  int32s(rt, SCRATCH_BASE, 12).set([H, W, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow]);
  copyIn(x, f32 ? rt.f32() : rt.f64(), xs / bpe, n);
  runPlanes(rt, threads, f32 ? "maxPool2dF32" : "maxPool2dF64", [xs, SCRATCH_BASE, vs, is], N * C, []);
  (values.data as Floats).set(rt.view(f32, vs, m));
  (indices.data as Int32Array).set(int32s(rt, is, m));
  return true;
}

/**
 * Max pooling's gradient in wasm (see Backend.maxPool2dBackward): `indices` must come from the
 * forward (each within its plane of height·width), as the op guarantees — the kernel does not check.
 */
export function wasmMaxPool2dBackward(
  g: View, indices: View, height: number, width: number, out: CpuBuffer, minSize: number, perThread = POOL_MIN_ELEMS_PER_THREAD,
): boolean {
  const [N, C, oh, ow] = g.shape;
  const m = N * C * oh * ow;
  const n = out.length;
  if (!isFloat(out) || g.buffer.dtype !== out.dtype || indices.buffer.dtype !== "int32" || n < minSize || m === 0) return false;
  // The op hands over the forward's own (contiguous) indices; any other layout takes the cpu kernel.
  if (!isContiguous(indices)) return false;
  const f32 = out.dtype === "float32";
  const bpe = f32 ? 4 : 8;
  const gs = SCRATCH_BASE;
  const is = gs + paddedBytes(m, bpe);
  const ds = is + paddedBytes(m, 4);
  const picked = pickRuntime(n, N * C, perThread);
  if (picked === undefined || n * bpe > MAX_BYTES || !picked.rt.reserve(ds + paddedBytes(n, bpe))) return false;
  const { rt, threads } = picked;
  copyIn(g, f32 ? rt.f32() : rt.f64(), gs / bpe, m);
  int32s(rt, is, m).set(indices.buffer.data.subarray(indices.offset, indices.offset + m));
  runPlanes(rt, threads, f32 ? "maxPool2dBackwardF32" : "maxPool2dBackwardF64", [gs, is, ds], N * C, [oh * ow, height * width]);
  (out.data as Floats).set(rt.view(f32, ds, n));
  return true;
}
