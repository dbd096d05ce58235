/**
 * Host side of the wasm 2-d convolution kernels (assembly/conv.ts): copies the batch into scratch
 * memory, packs the weight once, gives each thread a share of the images with its own scratch,
 * runs one kernel call per image (im2col + packed GEMM inside wasm), and copies the result out.
 * The family's other pieces: the primitives in ops/conv2d.ts, the contracts in
 * backend/backend.ts, the cpu oracle in backend/cpu/conv-kernels.ts.
 *
 * Every function answers false when the operands are not float or do not fit in wasm memory;
 * the caller then runs the cpu kernel.
 */

import type { StridedView, Window2d } from "../backend.js";
import type { CpuBuffer } from "../cpu/cpu-backend.js";
import { copyIn, isFloat, paddedBytes, roundUp } from "./elementwise.js";
import { packRows } from "./pack.js";
import { SCRATCH_BASE, availableRuntime, getSharedRuntime, type KernelExports, type Runtime } from "./runtime.js";
import { getNumThreads, runShares, type KernelCalls } from "./threads.js";

type View = StridedView<CpuBuffer>;
type Floats = Float32Array | Float64Array;

/** Geometry of one call: what assembly/conv.ts reads from its i32 block, and the sizes derived from it. */
interface Geometry {
  readonly n: number;
  readonly cg: number;
  readonly og: number;
  readonly groups: number;
  readonly h: number;
  readonly w: number;
  readonly win: Window2d;
  /** Rows of one group's columns: cg·kh·kw. */
  readonly k: number;
  /** Output positions: oh·ow. */
  readonly l: number;
}

function geometry(n: number, c: number, o: number, groups: number, h: number, w: number, win: Window2d): Geometry {
  const cg = c / groups;
  return { n, cg, og: o / groups, groups, h, w, win, k: cg * win.kh * win.kw, l: win.oh * win.ow };
}

/** Bytes of the i32 geometry block at SCRATCH_BASE. */
const GEO_BYTES = 64;

/** Writes the geometry block (layout in assembly/conv.ts). */
function writeGeometry(rt: Runtime, g: Geometry): void {
  const { win } = g;
  new Int32Array(rt.f32().buffer, SCRATCH_BASE, GEO_BYTES / 4).set([
    g.cg, g.h, g.w, win.kh, win.kw, win.sh, win.sw, win.ph, win.pw, win.dh, win.dw, win.oh, win.ow, g.groups, g.og,
  ]);
}

/** A bump allocator of 16-byte aligned regions from SCRATCH_BASE + GEO_BYTES (byte addresses). */
class Layout {
  next = SCRATCH_BASE + GEO_BYTES;
  constructor(readonly bpe: number) {}
  /** A region of count elements (of bpe bytes, or of `bytes` each). */
  take(count: number, bytes = this.bpe): number {
    const at = this.next;
    this.next += paddedBytes(count, bytes);
    return at;
  }
}

/** How many threads share `macs` multiply-adds over n images, and the runtime they run in. */
function plan(n: number, macs: number, threadMacs: number): { rt: Runtime; threads: number } | undefined {
  if (macs === 0) return undefined; // empty: the cpu kernel writes the zeros or nothing
  const want = getNumThreads() > 1 && (threadMacs <= 0 || macs >= 2 * threadMacs)
    ? Math.min(getNumThreads(), n, threadMacs > 0 ? Math.floor(macs / threadMacs) : Infinity)
    : 1;
  const shared = want > 1 ? getSharedRuntime() : undefined;
  const rt = shared ?? availableRuntime();
  if (rt === undefined) return undefined;
  return { rt, threads: shared === undefined ? 1 : want };
}

/** Splits images 0..n-1 over the threads, each call built by `args(image, thread)`. */
function sharesOf(kernel: keyof KernelExports, n: number, threads: number, args: (image: number, thread: number) => number[]): KernelCalls[] {
  const shares: KernelCalls[] = [];
  for (let t = 0; t < threads; t++) {
    const calls: number[][] = [];
    for (let i = Math.floor((t * n) / threads); i < Math.floor(((t + 1) * n) / threads); i++) calls.push(args(i, t));
    shares.push({ kernel, calls });
  }
  return shares;
}

/** The weight [O, cg, kh, kw] as row-major values: its own array when contiguous, else a copy. */
function denseWeight(weight: View, f32: boolean): { data: CpuBuffer["data"]; off: number } {
  const [, cg, kh, kw] = weight.shape;
  const [so, sc, sr, sq] = weight.strides;
  if (sq === 1 && sr === kw && sc === kh * kw && so === cg * kh * kw) return { data: weight.buffer.data, off: weight.offset };
  const n = weight.shape[0] * cg * kh * kw;
  const copy = f32 ? new Float32Array(n) : new Float64Array(n);
  copyIn(weight, copy, 0, n);
  return { data: copy, off: 0 };
}

/** conv2d in wasm (see Backend.conv2d). */
export function wasmConv2d(x: View, weight: View, bias: View | null, win: Window2d, groups: number, out: CpuBuffer, threadMacs: number): boolean {
  if (!isFloat(out) || x.buffer.dtype !== out.dtype || weight.buffer.dtype !== out.dtype) return false;
  const f32 = out.dtype === "float32";
  const [N, C, H, W] = x.shape;
  const O = weight.shape[0];
  const geo = geometry(N, C, O, groups, H, W, win);
  const { og, k, l } = geo;
  const p = plan(N, N * O * l * k, threadMacs);
  if (p === undefined) return false;
  const { rt, threads } = p;
  const { mr, nr } = f32 ? rt.tile.float32 : rt.tile.float64;
  const bpe = f32 ? 4 : 8;
  const mP = roundUp(og, mr);
  const nP = roundUp(l, nr);
  const at = new Layout(bpe);
  const a = at.take(groups * mP * k);
  const b = bias === null ? 0 : at.take(O);
  const xs = at.take(N * C * H * W);
  const ys = at.take(N * O * l);
  const raws: number[] = [];
  const pbs: number[] = [];
  const ccs: number[] = [];
  for (let t = 0; t < threads; t++) {
    raws.push(at.take(k * l));
    pbs.push(at.take(nP * k));
    ccs.push(at.take(mP * nP));
  }
  if (!rt.reserve(at.next)) return false;
  writeGeometry(rt, geo);
  const heap: Floats = f32 ? rt.f32() : rt.f64();
  const w = denseWeight(weight, f32);
  for (let g = 0; g < groups; g++) packRows(w.data, w.off + g * og * k, k, 1, og, k, mr, heap, a / bpe + g * mP * k);
  if (bias !== null) copyIn(bias, heap, b / bpe, O);
  copyIn(x, heap, xs / bpe, N * C * H * W);
  const kernel = f32 ? "convForwardF32" : "convForwardF64";
  const imageIn = C * H * W * bpe;
  const imageOut = O * l * bpe;
  runShares(rt, sharesOf(kernel, N, threads, (i, t) => [xs + i * imageIn, SCRATCH_BASE, a, raws[t], pbs[t], ccs[t], b, ys + i * imageOut]));
  const result: Floats = f32 ? rt.f32() : rt.f64();
  (out.data as Floats).set(result.subarray(ys / bpe, ys / bpe + N * O * l));
  return true;
}

/** conv2d's input gradient in wasm (see Backend.conv2dInputGrad). */
export function wasmConv2dInputGrad(
  gy: View, weight: View, win: Window2d, groups: number, height: number, width: number, out: CpuBuffer, threadMacs: number,
): boolean {
  if (!isFloat(out) || gy.buffer.dtype !== out.dtype || weight.buffer.dtype !== out.dtype) return false;
  const f32 = out.dtype === "float32";
  const [N, O] = gy.shape;
  const C = weight.shape[1] * groups;
  const geo = geometry(N, C, O, groups, height, width, win);
  const { og, k, l } = geo;
  const p = plan(N, N * O * l * k, threadMacs);
  if (p === undefined) return false;
  const { rt, threads } = p;
  const { mr, nr } = f32 ? rt.tile.float32 : rt.tile.float64;
  const bpe = f32 ? 4 : 8;
  const mP = roundUp(k, mr);
  const nP = roundUp(l, nr);
  const at = new Layout(bpe);
  const a = at.take(groups * mP * og);
  const gs = at.take(N * O * l);
  const dxs = at.take(N * C * height * width);
  const pbs: number[] = [];
  const ccs: number[] = [];
  for (let t = 0; t < threads; t++) {
    pbs.push(at.take(nP * og));
    ccs.push(at.take(mP * nP));
  }
  if (!rt.reserve(at.next)) return false;
  writeGeometry(rt, geo);
  const heap: Floats = f32 ? rt.f32() : rt.f64();
  // A = W_gᵀ [K, og]: element (p, o) at (g·og + o)·K + p.
  const w = denseWeight(weight, f32);
  for (let g = 0; g < groups; g++) packRows(w.data, w.off + g * og * k, 1, k, k, og, mr, heap, a / bpe + g * mP * og);
  copyIn(gy, heap, gs / bpe, N * O * l);
  const kernel = f32 ? "convInputGradF32" : "convInputGradF64";
  const imageG = O * l * bpe;
  const imageDx = C * height * width * bpe;
  runShares(rt, sharesOf(kernel, N, threads, (i, t) => [gs + i * imageG, SCRATCH_BASE, a, pbs[t], ccs[t], dxs + i * imageDx]));
  const result: Floats = f32 ? rt.f32() : rt.f64();
  (out.data as Floats).set(result.subarray(dxs / bpe, dxs / bpe + N * C * height * width));
  return true;
}

/**
 * conv2d's weight gradient in wasm (see Backend.conv2dWeightGrad): each image's product in the
 * data's type, added into a float64 accumulator per thread; the threads' sums are added in
 * float64 and rounded once.
 */
export function wasmConv2dWeightGrad(x: View, gy: View, win: Window2d, groups: number, out: CpuBuffer, threadMacs: number): boolean {
  if (!isFloat(out) || x.buffer.dtype !== out.dtype || gy.buffer.dtype !== out.dtype) return false;
  const f32 = out.dtype === "float32";
  const [N, C, H, W] = x.shape;
  const O = gy.shape[1];
  const geo = geometry(N, C, O, groups, H, W, win);
  const { og, k, l } = geo;
  const p = plan(N, N * O * l * k, threadMacs);
  if (p === undefined) return false;
  const { rt, threads } = p;
  const { mr, nr } = f32 ? rt.tile.float32 : rt.tile.float64;
  const bpe = f32 ? 4 : 8;
  const mP = roundUp(og, mr);
  const nP = roundUp(k, nr);
  const at = new Layout(bpe);
  const xs = at.take(N * C * H * W);
  const gs = at.take(N * O * l);
  const per: number[][] = [];
  for (let t = 0; t < threads; t++) {
    // raw columns, packed A, packed B, the image's product, the float64 accumulator
    per.push([at.take(k * l), at.take(mP * l), at.take(nP * l), at.take(mP * nP), at.take(O * k, 8)]);
  }
  if (!rt.reserve(at.next)) return false;
  writeGeometry(rt, geo);
  const heap: Floats = f32 ? rt.f32() : rt.f64();
  copyIn(x, heap, xs / bpe, N * C * H * W);
  copyIn(gy, heap, gs / bpe, N * O * l);
  const acc64 = rt.f64();
  for (const [, , , , acc] of per) acc64.fill(0, acc / 8, acc / 8 + O * k);
  const kernel = f32 ? "convWeightGradF32" : "convWeightGradF64";
  const imageX = C * H * W * bpe;
  const imageG = O * l * bpe;
  runShares(rt, sharesOf(kernel, N, threads, (i, t) => [xs + i * imageX, gs + i * imageG, SCRATCH_BASE, ...per[t]]));
  const sums = rt.f64();
  const od = out.data as Floats;
  for (let e = 0; e < O * k; e++) {
    let s = 0;
    for (let t = 0; t < threads; t++) s += sums[per[t][4] / 8 + e];
    od[e] = s;
  }
  return true;
}
