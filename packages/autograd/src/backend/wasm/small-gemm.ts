/**
 * Host side of the small-k product (assembly/small-gemm.ts): a [...batch, m, k] @ b [...batch,
 * k, n] (+ a bias row [n]) for k or n ≤ SMALL_GEMM_MAX_K, float32 (float64 takes the packed GEMM).
 * Each batch entry's A is copied into scratch memory row-major (a column-major operand is copied
 * in whole and transposed in wasm), and B either row-major too or, where that reads badly (see
 * packsB), packed into strips of 8 columns as the packed GEMM's; the product is written there with
 * the bias added in the same pass, and the result leaves in one block copy (row by row when packed
 * rows were padded to whole strips). Large products split their rows across
 * worker threads. Returns false (the caller runs another kernel) when it does not fit in memory.
 */

import type { StridedView } from "../backend.js";
import type { CpuBuffer } from "../cpu/cpu-backend.js";
import { forEachRow } from "../cpu/strided.js";
import { numelOf } from "../../shape.js";
import { copyIn, copyRange, paddedBytes } from "./elementwise.js";
import { packOperand, unpackResult } from "./pack.js";
import { SCRATCH_BASE, availableRuntime, getSharedRuntime, type Runtime } from "./runtime.js";
import { getNumThreads, runShares, type KernelCalls } from "./threads.js";

type View = StridedView<CpuBuffer>;

/**
 * Products whose inner dim k or output width n is at most this run here rather than in the packed
 * GEMM: with one side that thin, packing both operands, padding C and unpacking it cost more than
 * the packed kernel's cache blocking saves. Measured single-thread (cpu ms, small vs packed): the
 * lstm decoder 700×32×3985 5.1 vs 6.4 with its bias, its gradients 700×3985×32 5.6 vs 7.9 and
 * 3985×700×32 (transposed A) 9.1 vs 12.1; 1024×1024×32 1.7 vs 2.5; 2048×2048×64 13 vs 17.5;
 * 128×1024×64 0.37 vs 0.46; W2's 64×784×10 and 64×128×10 even.
 */
export const SMALL_GEMM_MAX_K = 64;

/** Narrower products (fewer than two vectors of columns) stay on the packed GEMM, whose tiles pad them. */
export const SMALL_GEMM_MIN_N = 8;

/**
 * Whether B goes in packed strips rather than row-major. Row-major B rows a multiple of 2 KiB
 * apart (n a multiple of 512) fall into a few cache sets, and a narrow B (n < 16) leaves most
 * columns to the scalar edge loop; there strips read front to back are 1.5× faster (CPU time,
 * one thread, same session: 1024×32 @ 32×1024 3.6 → 2.3 ms, 128×64 @ 64×1024 0.88 → 0.59 ms,
 * 64×784 @ 784×10 0.094 → 0.062 ms). Elsewhere the row-major kernel was as fast or up to 10 %
 * faster (an LSTM decoder 700×32 @ 32×3985: 6.4 vs 7.0 ms).
 */
export function packsB(n: number): boolean {
  return n < 16 || n % 512 === 0;
}

/** Operands beyond this many bytes of scratch are left to the packed GEMM, which works in chunks. */
const MAX_BYTES = 256 * 2 ** 20;

/** A rows×cols matrix from its strides into heap[base…] row-major; `tmp` is free scratch (element index). */
function copyRowMajor(rt: Runtime, buffer: CpuBuffer, off: number, rows: number, cols: number, rs: number, cs: number, base: number, tmp: number): void {
  const heap = rt.f32();
  const data = buffer.data;
  if ((cs === 1 || cols === 1) && (rs === cols || rows === 1)) {
    copyRange(heap, base, data, off, rows * cols);
  } else if ((rs === 1 || rows === 1) && (cs === rows || cols === 1)) {
    // column-major (a transposed view): one block copy, then the transpose in wasm
    copyRange(heap, tmp, data, off, rows * cols);
    rt.kernels.transposeF32(tmp * 4, base * 4, cols, rows);
  } else {
    copyIn({ buffer, shape: [rows, cols], strides: [rs, cs], offset: off }, heap, base, rows * cols);
  }
}

/**
 * out = a @ b (+ bias, a [n] view added to every row) with the small-k kernel, float32 (one dtype
 * throughout); false for float64 (the packed GEMM runs it) or when the scratch cannot hold one
 * batch entry.
 */
export function wasmSmallMatmul(a: View, b: View, out: CpuBuffer, m: number, k: number, n: number, bias: View | undefined, threadMacs: number): boolean {
  if (out.dtype !== "float32") return false;
  const bpe = 4;
  const r = a.shape.length;
  const batches = numelOf(a.shape) / (m * k);
  const split = getNumThreads() > 1 && (threadMacs <= 0 || batches * m * n * k >= 2 * threadMacs);
  const rt = (split ? getSharedRuntime() : undefined) ?? availableRuntime();
  if (rt === undefined) return false;
  // scratch: A [m, k], B [k, n] or packed [nP/8 strips of k×8], bias [nP], C [m, nP], then room
  // for a raw copy (nP = n for a row-major B)
  const packed = packsB(n);
  const nP = packed ? Math.ceil(n / 8) * 8 : n;
  const A = SCRATCH_BASE;
  const B = A + paddedBytes(m * k, bpe);
  const BIAS = B + paddedBytes(nP * k, bpe);
  const C = BIAS + paddedBytes(nP, bpe);
  const TMP = C + paddedBytes(m * nP, bpe);
  const end = TMP + paddedBytes(Math.max(m, n) * k, bpe);
  if (end > MAX_BYTES || !rt.reserve(end)) return false;

  const kernel = packed ? "smallGemmPackedF32" : "smallGemmF32";
  const threads = !rt.shared ? 1 : Math.min(getNumThreads(), threadMacs > 0 ? Math.floor((m * n * k) / threadMacs) || 1 : Infinity, Math.ceil(m / 4));
  if (bias !== undefined) copyRowMajor(rt, bias.buffer, bias.offset, 1, n, n * bias.strides[0], bias.strides[0], BIAS / bpe, TMP / bpe);
  const biasPtr = bias === undefined ? 0 : BIAS;
  const od = out.data as Float32Array;
  const [sam, sak] = [a.strides[r - 2], a.strides[r - 1]];
  const [sbk, sbn] = [b.strides[r - 2], b.strides[r - 1]];
  let entry = 0;
  let lastB = -1; // a broadcast (stride-0) b is copied once
  const run = (aOff: number, bOff: number): void => {
    copyRowMajor(rt, a.buffer, aOff, m, k, sam, sak, A / bpe, TMP / bpe);
    if (bOff !== lastB) {
      if (packed) packOperand(rt, true, b.buffer.data, bOff, n, k, sbn, sbk, 8, B / bpe, TMP / bpe); // B's columns are the strips' rows
      else copyRowMajor(rt, b.buffer, bOff, k, n, sbk, sbn, B / bpe, TMP / bpe);
    }
    lastB = bOff;
    if (threads <= 1) {
      rt.kernels[kernel](A, B, biasPtr, C, k, nP, 0, m);
    } else {
      // row ranges in whole 4-row tiles
      const tiles = Math.ceil(m / 4);
      const shares: KernelCalls[] = [];
      for (let t = 0; t < threads; t++) {
        const i0 = Math.min(m, 4 * Math.floor((t * tiles) / threads));
        const i1 = Math.min(m, 4 * Math.floor(((t + 1) * tiles) / threads));
        if (i1 > i0) shares.push({ kernel, calls: [[A, B, biasPtr, C, k, nP, i0, i1]] });
      }
      runShares(rt, shares);
    }
    unpackResult(rt.f32(), C / bpe, nP, m, n, od, entry * m * n);
    entry++;
  };
  if (r === 2) {
    run(a.offset, b.offset);
  } else {
    forEachRow(a.shape.slice(0, r - 2), [a.strides.slice(0, r - 2), b.strides.slice(0, r - 2)], [a.offset, b.offset], (offs, cnt, s) => {
      for (let i = 0; i < cnt; i++) run(offs[0] + i * s[0], offs[1] + i * s[1]);
    });
  }
  return true;
}
