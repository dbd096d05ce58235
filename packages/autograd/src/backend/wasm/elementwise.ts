/**
 * Host side of the wasm elementwise kernels: exp/tanh/sigmoid/relu, the arithmetic and activation-
 * derivative binary ops (whole operands, a broadcast scalar or a broadcast row) and sums over
 * trailing dims (softmax: softmax.ts). Each copies its operands into scratch
 * memory, runs there and copies the result out; anything else returns false so the caller uses
 * the cpu kernel.
 */

import type { AdadeltaStepScalars, AdamStepScalars, BinaryOp, ReduceOp, StridedView, UnaryOp } from "../backend.js";
import type { CpuBuffer } from "../cpu/cpu-backend.js";
import { contiguousStrides, numelOf } from "../../shape.js";
import { forEachRow } from "../cpu/strided.js";
import { SCRATCH_BASE, availableRuntime } from "./runtime.js";

type View = StridedView<CpuBuffer>;
type Floats = Float32Array | Float64Array;


/** Operands larger than this many bytes stay on the cpu kernels rather than grow the scratch. */
const MAX_BYTES = 256 * 2 ** 20;

/**
 * x rounded up to a multiple of k, in integer arithmetic: ceil(x / k)·k through a division makes
 * V8 speculate that x / k is an integer (it was, for the first sizes seen) and deoptimize when not.
 */
export function roundUp(x: number, k: number): number {
  return x + ((k - (x % k)) % k);
}

/** count values of bpe bytes, rounded up to whole 16-byte vectors. */
export function paddedBytes(count: number, bpe: number): number {
  return roundUp(count * bpe, 16);
}

export const isFloat = (b: CpuBuffer): boolean => b.dtype === "float32" || b.dtype === "float64";

/** data[offset, offset + n) into heap[base...]; no subarray when that is all of data (a slab array is exactly its tensor). */
export function copyRange(heap: Floats, base: number, data: CpuBuffer["data"], offset: number, n: number): void {
  heap.set(offset === 0 && data.length === n ? data : data.subarray(offset, offset + n), base);
}

/** The elements of `x` in row-major order into heap[base...]. */
export function copyIn(x: View, heap: Floats, base: number, n: number): void {
  const data = x.buffer.data;
  const rm = contiguousStrides(x.shape);
  let contiguous = true;
  for (let i = 0; i < x.shape.length; i++) if (x.shape[i] !== 1 && x.strides[i] !== rm[i]) contiguous = false;
  if (contiguous) {
    copyRange(heap, base, data, x.offset, n);
    return;
  }
  forEachRow(x.shape, [x.strides, rm], [x.offset, base], (offs, len, s) => {
    let ix = offs[0];
    let io = offs[1];
    const sx = s[0];
    for (let i = 0; i < len; i++, ix += sx, io++) heap[io] = data[ix];
  });
}

/** out = op(x) in wasm for exp, tanh, sigmoid and relu on float tensors of at least `minSize` elements. */
export function wasmUnary(op: UnaryOp, x: View, out: CpuBuffer, minSize: number): boolean {
  const n = out.length;
  if (!isFloat(out) || x.buffer.dtype !== out.dtype || n < minSize || n === 0) return false;
  const rt = availableRuntime();
  if (rt === undefined) return false;
  const kernels = rt.unary[op];
  if (kernels === undefined) return false;
  const f32 = out.dtype === "float32";
  const bpe = f32 ? 4 : 8;
  const kernel = f32 ? kernels.float32 : kernels.float64;
  const od = out.data as Floats;
  if (period(x) === n) {
    // Read whole: in chunks that stay in cache (see ELEMENTWISE_CHUNK_BYTES).
    const chunk = Math.min(n, ELEMENTWISE_CHUNK_BYTES / bpe);
    if (!rt.reserve(SCRATCH_BASE + paddedBytes(chunk, bpe))) return false;
    const heap = f32 ? rt.f32() : rt.f64();
    for (let at = 0; at < n; at += chunk) {
      const len = Math.min(chunk, n - at);
      copyRange(heap, SCRATCH_BASE / bpe, x.buffer.data, x.offset + at, len);
      kernel(SCRATCH_BASE, len);
      od.set(rt.view(f32, SCRATCH_BASE, len), at);
    }
    return true;
  }
  const padded = roundUp(n, 4);
  if (padded * bpe > MAX_BYTES || !rt.reserve(SCRATCH_BASE + padded * bpe)) return false;
  const heap = f32 ? rt.f32() : rt.f64();
  copyIn(x, heap, SCRATCH_BASE / bpe, n);
  kernel(SCRATCH_BASE, n);
  od.set(rt.view(f32, SCRATCH_BASE, n));
  return true;
}

/**
 * Elements per pass of the whole-operand elementwise kernels, in bytes per array. An operand
 * copied into wasm memory whole, computed on and copied out went through memory three times when
 * it was larger than the cache: the CNN's reluBackward over [64, 64, 24, 24] took ~9 ms a call.
 * In 64 KiB pieces the copies and the kernel work in L2: its reluBackward calls went from 12 to
 * 7 ms per step in bench/probe/op-times.ts; what is left is mostly page faults on the fresh
 * output array (bench/probe/elementwise-chunks.ts times single calls).
 */
export const ELEMENTWISE_CHUNK_BYTES = 64 * 1024;

/** How the kernel reads its operands (assembly/elementwise.ts). */
const MODE_FULL = 0;
const MODE_SCALAR_B = 1;
const MODE_SCALAR_A = 2;
const MODE_ROW_B = 3;

/**
 * How many elements of an operand broadcast to `view.shape` repeat: n when it is read whole in
 * row-major order, 1 for one broadcast value, the row length for a row repeated down the leading
 * dims (a bias), or −1 for any other layout.
 */
function period(view: View): number {
  const { shape, strides } = view;
  let expected = 1;
  let d = shape.length - 1;
  for (; d >= 0; d--) {
    if (shape[d] === 1) continue;
    if (strides[d] !== expected) break;
    expected *= shape[d];
  }
  for (; d >= 0; d--) if (shape[d] !== 1 && strides[d] !== 0) return -1;
  return expected;
}

/**
 * out = op(a, b) in wasm for the ops with a kernel (Runtime.binary) on float tensors of at least `minSize`
 * elements, when a is read whole and b whole, as one value or as a repeated row (or a is one
 * value and b whole: 1 − x, 2 / x).
 */
export function wasmBinary(op: BinaryOp, a: View, b: View, out: CpuBuffer, minSize: number): boolean {
  const n = out.length;
  if (n < minSize) return false; // first: small tensors are the common case and stay on the cpu loops
  if (!isFloat(out) || a.buffer.dtype !== out.dtype || b.buffer.dtype !== out.dtype) return false;
  const rt = availableRuntime();
  if (rt === undefined) return false;
  const kernels = rt.binary[op];
  if (kernels === undefined) return false;
  const pa = period(a);
  const pb = period(b);
  let mode: number;
  if (pa === n) mode = pb === n ? MODE_FULL : pb === 1 ? MODE_SCALAR_B : pb > 0 ? MODE_ROW_B : -1;
  else mode = pa === 1 && pb === n ? MODE_SCALAR_A : -1;
  if (mode < 0) return false;
  const f32 = out.dtype === "float32";
  const bpe = f32 ? 4 : 8;
  const scalarA = mode === MODE_SCALAR_A;
  const full = scalarA ? b : a;
  const part = scalarA ? a : b;
  const small = scalarA ? pa : pb;
  // In chunks that stay in cache (ELEMENTWISE_CHUNK_BYTES): whole operands chunk alike; a
  // repeated row (MODE_ROW_B, the kernel restarts it per chunk) in whole rows.
  const fits = Math.max(1, Math.floor(ELEMENTWISE_CHUNK_BYTES / bpe));
  const chunk = mode === MODE_FULL ? Math.min(n, fits) : mode === MODE_ROW_B ? Math.max(1, Math.floor(fits / pb)) * pb : Math.min(n, fits);
  // Scratch: the chunk of the read-whole operand (padded to whole vectors), then the other one's
  // chunk (MODE_FULL) or its period.
  const big = paddedBytes(chunk, bpe);
  const otherLen = mode === MODE_FULL ? chunk : small;
  if (big + otherLen * bpe > MAX_BYTES || !rt.reserve(SCRATCH_BASE + big + paddedBytes(otherLen, bpe))) return false;
  const heap = f32 ? rt.f32() : rt.f64();
  const whole = SCRATCH_BASE;
  const other = SCRATCH_BASE + big;
  const kernel = f32 ? kernels.float32 : kernels.float64;
  const od = out.data as Floats;
  if (mode !== MODE_FULL) copyRange(heap, other / bpe, part.buffer.data, part.offset, small);
  for (let at = 0; at < n; at += chunk) {
    const len = Math.min(chunk, n - at);
    copyRange(heap, whole / bpe, full.buffer.data, full.offset + at, len);
    if (mode === MODE_FULL) copyRange(heap, other / bpe, part.buffer.data, part.offset + at, len);
    kernel(mode, scalarA ? other : whole, scalarA ? whole : other, whole, len, mode === MODE_FULL ? len : pb);
    od.set(rt.view(f32, whole, len), at);
  }
  return true;
}

/**
 * out += alpha·x (the backend's addScaled) with the mul and add kernels run back to back inside
 * wasm memory: bit for bit a mul then an add, minus the temporary array and its copies. Only for
 * an x that covers out element for element (the optimizer case); false otherwise.
 */
export function wasmAddScaled(x: View, alpha: number, out: CpuBuffer, minSize: number): boolean {
  const n = out.length;
  if (n < minSize || !isFloat(out) || x.buffer.dtype !== out.dtype || period(x) !== n) return false;
  const rt = availableRuntime();
  if (rt === undefined) return false;
  const mul = rt.binary.mul;
  const add = rt.binary.add;
  if (mul === undefined || add === undefined) return false;
  const f32 = out.dtype === "float32";
  const bpe = f32 ? 4 : 8;
  const big = paddedBytes(n, bpe);
  const scaled = SCRATCH_BASE;
  const sum = SCRATCH_BASE + big;
  const scalar = sum + big;
  if (2 * big > MAX_BYTES || !rt.reserve(scalar + 16)) return false;
  const heap = f32 ? rt.f32() : rt.f64();
  copyRange(heap, scaled / bpe, x.buffer.data, x.offset, n);
  copyRange(heap, sum / bpe, out.data, 0, n);
  heap[scalar / bpe] = alpha; // a float32 heap rounds alpha as a float32 scalar tensor would
  (f32 ? mul.float32 : mul.float64)(MODE_SCALAR_B, scaled, scalar, scaled, n, 1);
  (f32 ? add.float32 : add.float64)(MODE_FULL, sum, scaled, sum, n, n);
  (out.data as Floats).set(rt.view(f32, sum, n));
  return true;
}

/**
 * Runs a fused optimizer kernel (assembly/optim.ts) over param, grad and two state buffers: each
 * is copied into wasm memory once, one kernel pass updates param and the states in place there,
 * and those three are copied back. `scalars` are written as the dtype (as scalar tensors of them
 * would be). False for small or non-float buffers.
 */
function fusedOptimizerStep(kernel: "adam" | "adadelta", p: CpuBuffer, g: CpuBuffer, s1: CpuBuffer, s2: CpuBuffer, scalars: readonly number[], flags: number, minSize: number): boolean {
  const n = p.length;
  if (n < minSize || !isFloat(p)) return false;
  const f32 = p.dtype === "float32";
  const bpe = f32 ? 4 : 8;
  // The step runs in chunks small enough that the four copied-in arrays stay in cache: a
  // parameter of a few MB copied whole would go to memory and back twice more than the update.
  const chunk = Math.min(n, OPTIM_CHUNK_BYTES / bpe);
  const big = paddedBytes(chunk, bpe);
  const [P, G, S1, S2] = [0, 1, 2, 3].map((i) => SCRATCH_BASE + i * big);
  const S = SCRATCH_BASE + 4 * big;
  const rt = availableRuntime();
  if (rt === undefined) return false;
  if (!rt.reserve(S + scalars.length * bpe)) return false;
  const heap = f32 ? rt.f32() : rt.f64();
  for (let i = 0; i < scalars.length; i++) heap[S / bpe + i] = scalars[i];
  const k = rt.kernels;
  const step = kernel === "adam" ? (f32 ? k.adamF32 : k.adamF64) : f32 ? k.adadeltaF32 : k.adadeltaF64;
  for (let at = 0; at < n; at += chunk) {
    const len = Math.min(chunk, n - at);
    copyRange(heap, P / bpe, p.data, at, len);
    copyRange(heap, G / bpe, g.data, at, len);
    copyRange(heap, S1 / bpe, s1.data, at, len);
    copyRange(heap, S2 / bpe, s2.data, at, len);
    step(P, G, S1, S2, S, len, flags);
    (p.data as Floats).set(rt.view(f32, P, len), at);
    (s1.data as Floats).set(rt.view(f32, S1, len), at);
    (s2.data as Floats).set(rt.view(f32, S2, len), at);
  }
  return true;
}

/**
 * Bytes of each array an optimizer step copies into wasm memory at a time: four of them stay in
 * L2. The VAE's Adam step (652K float32 parameters) took 1.22 ms copied whole, 0.99 ms in 32 KiB
 * chunks, 0.96–1.10 ms in 128 KiB ones (bench/probe/adam-step.ts, alternating runs).
 */
export const OPTIM_CHUNK_BYTES = 32 * 1024;

/** Flags of the optimizer kernels (assembly/optim.ts). */
const OPTIM_MAXIMIZE = 1;
const OPTIM_DECOUPLED = 2;
const OPTIM_COUPLED = 4;
const ADAM_LERP_UPPER = 8;

/**
 * A fused Adam(W) step (Backend.adamStep): lane by lane the same IEEE operations in the same
 * order as the op-by-op update, so bit for bit its result.
 */
export function wasmAdamStep(p: CpuBuffer, g: CpuBuffer, m: CpuBuffer, v: CpuBuffer, s: AdamStepScalars, minSize: number): boolean {
  // m ← lerp(m, g, w), w = 1 − β1, in nn's lerp_ forms: m + (g − m)·w for w < 0.5, else g − (g − m)·(1 − w).
  const w = 1 - s.beta1;
  const upper = w >= 0.5;
  // See assembly/optim.ts for the order.
  const scalars = [s.decay ?? 1, s.weightDecay, upper ? 1 - w : w, s.beta2, 1 - s.beta2, s.biasCorrection2Sqrt, s.eps, -s.stepSize];
  const flags =
    (s.maximize ? OPTIM_MAXIMIZE : 0) |
    (s.decay !== null ? OPTIM_DECOUPLED : s.weightDecay !== 0 ? OPTIM_COUPLED : 0) |
    (upper ? ADAM_LERP_UPPER : 0);
  return fusedOptimizerStep("adam", p, g, m, v, scalars, flags, minSize);
}

/** A fused Adadelta step (Backend.adadeltaStep), bit for bit the op-by-op update as wasmAdamStep. */
export function wasmAdadeltaStep(p: CpuBuffer, g: CpuBuffer, squareAvg: CpuBuffer, accDelta: CpuBuffer, s: AdadeltaStepScalars, minSize: number): boolean {
  const scalars = [s.weightDecay, s.rho, 1 - s.rho, s.eps, -s.lr]; // see assembly/optim.ts
  const flags = (s.maximize ? OPTIM_MAXIMIZE : 0) | (s.weightDecay !== 0 ? OPTIM_COUPLED : 0);
  return fusedOptimizerStep("adadelta", p, g, squareAvg, accDelta, scalars, flags, minSize);
}

/**
 * Sum over trailing axes (e.g. the last dim, or all dims) or over leading axes (e.g. a batch dim)
 * in wasm, for float tensors of at least `minSize` elements.
 */
export function wasmReduce(op: ReduceOp, x: View, axes: readonly number[], out: CpuBuffer, minSize: number): boolean {
  const r = x.shape.length;
  if (op !== "sum" || !isFloat(out) || x.buffer.dtype !== out.dtype || axes.length === 0) return false;
  let sorted = axes; // the op layer passes them in order; sort a copy only if not
  for (let i = 1; i < axes.length; i++) if (axes[i - 1] > axes[i]) sorted = [...axes].sort((p, q) => p - q);
  const k = sorted.length;
  let trailing = true;
  let leading = true;
  for (let i = 0; i < k; i++) {
    if (sorted[i] !== r - k + i) trailing = false;
    if (sorted[i] !== i) leading = false;
  }
  if (!trailing && !leading) return false;
  const n = numelOf(x.shape);
  if (n < minSize || n === 0) return false;
  // The block is rows×len: sums of rows (trailing axes) or of columns (leading axes).
  const len = trailing ? numelOf(x.shape.slice(r - k)) : numelOf(x.shape.slice(k));
  const rows = n / len;
  const sumsCount = trailing ? rows : len;
  const f32 = out.dtype === "float32";
  const bpe = f32 ? 4 : 8;
  const sums = SCRATCH_BASE + paddedBytes(n, bpe);
  const rt = availableRuntime();
  if (rt === undefined) return false;
  if (n * bpe > MAX_BYTES || !rt.reserve(sums + sumsCount * 8)) return false;
  copyIn(x, f32 ? rt.f32() : rt.f64(), SCRATCH_BASE / bpe, n);
  if (trailing) rt.kernels.sumRows(SCRATCH_BASE, sums, rows, len, f32 ? 1 : 0);
  else rt.kernels.sumColumns(SCRATCH_BASE, sums, rows, len, f32 ? 1 : 0);
  (out.data as Floats).set(rt.view(false, sums, sumsCount));
  return true;
}
