/**
 * The WebAssembly SIMD backend. Tensors keep their data in ordinary JS TypedArrays — the same
 * CpuBuffer as the cpu backend, so nothing needs freeing and no view of wasm memory can go
 * stale. A kernel copies its operands into the module's scratch memory only where that pays
 * (the copy-in of a large matmul IS its packing step), runs SIMD code there (on worker threads
 * when large), and copies the result out. In wasm: matmul (float32/float64, batched, any
 * strides), exp/tanh/sigmoid/relu, add/sub/mul/div and the activation derivatives (operands read
 * whole, as one value or as a repeated row), softmax/log-softmax over the last dim, and sums
 * over trailing or leading dims, float32 gelu/geluBackward/erf (gelu.ts), float32 layerNorm and attention softmax with their
 * backward passes (layernorm.ts, attention.ts), the binary cross entropy and its gradient (loss.ts), row gather and scatter-add
 * (index-rows.ts), float32 products with k or n ≤ 64 with their bias fused (small-gemm.ts), float32 LSTM/GRU cells
 * (recurrent.ts), max pooling with indices and its backward (pool.ts), dropout (dropout.ts); every other kernel, and
 * every small or integer one, is the cpu backend's.
 */

import type { Backend, StridedView } from "../backend.js";
import { cpuAddScaled, createCpuBackend, type CpuBuffer } from "../cpu/cpu-backend.js";
import { numelOf } from "../../shape.js";
import { forEachRow } from "../cpu/strided.js";
import { copyIn, copyRange, isFloat, paddedBytes, roundUp, wasmAdadeltaStep, wasmAdamStep, wasmAddScaled, wasmBinary, wasmReduce, wasmUnary } from "./elementwise.js";
import { packOperand, unpackResult } from "./pack.js";
import { wasmConv2d, wasmConv2dInputGrad, wasmConv2dWeightGrad } from "./conv.js";
import { wasmErf, wasmGelu, wasmGeluBackward } from "./gelu.js";
import { wasmSoftmax, wasmSoftmaxBackward, wasmSoftmaxCrossEntropy, wasmSoftmaxCrossEntropyBackward } from "./softmax.js";
import { wasmLayerNorm, wasmLayerNormBackward } from "./layernorm.js";
import { wasmAttentionSoftmax, wasmAttentionSoftmaxBackward } from "./attention.js";
import { wasmBinaryCrossEntropy, wasmBinaryCrossEntropyBackward } from "./loss.js";
import { wasmIndexAdd, wasmIndexSelect } from "./index-rows.js";
import { wasmGruCell, wasmGruCellBackward, wasmLstmCell, wasmLstmCellBackward } from "./recurrent.js";
import { SMALL_GEMM_MAX_K, SMALL_GEMM_MIN_N, wasmSmallMatmul } from "./small-gemm.js";
import { wasmBatchedMatmul } from "./batched-gemm.js";
import { wasmMaxPool2d, wasmMaxPool2dBackward } from "./pool.js";
import { wasmDropout } from "./dropout.js";
import { SCRATCH_BASE, availableRuntime, getSharedRuntime, type KernelExports, type Runtime } from "./runtime.js";
import { getNumThreads, runShares, sharesPerThread, type KernelCalls } from "./threads.js";

type View = StridedView<CpuBuffer>;
type Floats = Float32Array | Float64Array;

/**
 * Products with fewer multiply-adds than this stay on the cpu backend's loop, where packing and
 * the call into wasm would cost more than they save.
 */
export const WASM_MATMUL_MIN_MACS = 1500;
/** Thin products (an outer product, matrix·vector, vector·matrix) from this size run in wasm. */
export const WASM_THIN_MATMUL_MIN_MACS = 256;
/** exp/tanh/sigmoid/relu, elementwise arithmetic, softmax and sums over fewer elements stay on the cpu loops. */
export const WASM_ELEMENTWISE_MIN_SIZE = 64;
/**
 * Products with at least this many multiply-adds per thread are split across threads. Handing a
 * share to a worker (postMessage, the worker waking, the done signal) costs about as much as a
 * few million multiply-adds inside a training step, so an MLP layer of batch 64 (6.4M) runs on
 * one thread: W2's step measured 2.5 ms this way against 2.9 ms split at 2^19.
 */
export const THREAD_MIN_MACS_PER_THREAD = 1 << 22;
/** Batches are packed and run in groups whose scratch stays under this many bytes. */
const CHUNK_BYTES = 256 * 2 ** 20;

/** Size thresholds of the wasm backend (the defaults suit real use; tests lower them). */
export interface WasmBackendOptions {
  /** Products with fewer multiply-adds stay on the cpu loops; 0 sends every float product to wasm. */
  readonly matmulMinMacs?: number;
  /** Multiply-adds each thread must get before a product is split across threads. */
  readonly threadMinMacsPerThread?: number;
  /** Elementwise ops, softmax and sums over fewer elements stay on the cpu loops. */
  readonly elementwiseMinSize?: number;
}

/** Creates the wasm backend: the cpu backend's kernels with matmul (and more) in WebAssembly SIMD. */
export function createWasmBackend(options: WasmBackendOptions = {}): Backend<CpuBuffer> {
  const minMacs = options.matmulMinMacs ?? WASM_MATMUL_MIN_MACS;
  const minThinMacs = options.matmulMinMacs ?? WASM_THIN_MATMUL_MIN_MACS;
  const threadMacs = options.threadMinMacsPerThread ?? THREAD_MIN_MACS_PER_THREAD;
  const minElems = options.elementwiseMinSize ?? WASM_ELEMENTWISE_MIN_SIZE;
  const cpu = createCpuBackend();
  /** out[i, :] += bias for every row of n (a product's bias where the kernel did not add it). */
  const addBias = (out: CpuBuffer, n: number, bias: View): void => {
    const rows: View = { buffer: out, shape: [out.length / n, n], strides: [n, 1], offset: 0 };
    const b: View = { buffer: bias.buffer, shape: [out.length / n, n], strides: [0, bias.strides[0]], offset: bias.offset };
    if (!wasmBinary("add", rows, b, out, minElems)) cpu.binary("add", rows, b, out);
  };
  return {
    ...cpu,
    name: "wasm",

    matmul(a, b, out, bias) {
      const r = a.shape.length;
      const [m, k, n] = [a.shape[r - 2], a.shape[r - 1], b.shape[r - 1]];
      const macs = m * n * k;
      const sameType = isFloat(out) && a.buffer.dtype === out.dtype && b.buffer.dtype === out.dtype && (bias === undefined || bias.buffer.dtype === out.dtype);
      if (!sameType || macs === 0) {
        cpu.matmul(a, b, out, bias);
        return;
      }
      const thin = k === 1 || n === 1 || (m === 1 && r === 2);
      if (macs < minMacs || (minMacs > 0 && thin)) {
        // Small and thin products have nothing to pack: 2-d outer products, matrix·vector and
        // vector·matrix get their own SIMD loops, the rest the cpu's.
        const simd = r === 2 && (thin || m === 1) && macs >= minThinMacs;
        if (!simd || !wasmThinMatmul(a, b, out, m, k, n)) cpu.matmul(a, b, out);
        if (bias !== undefined) addBias(out, n, bias);
        return;
      }
      // Many small products (attention over batch × heads): one call, no per-entry copies (batched-gemm.ts).
      if (r > 2 && bias === undefined && (k <= SMALL_GEMM_MAX_K || n <= SMALL_GEMM_MAX_K) && n >= SMALL_GEMM_MIN_N && wasmBatchedMatmul(a, b, out, m, k, n)) return;
      // Small k or n: the bias is added in the kernel's output pass (small-gemm.ts).
      if ((k <= SMALL_GEMM_MAX_K || n <= SMALL_GEMM_MAX_K) && n >= SMALL_GEMM_MIN_N && wasmSmallMatmul(a, b, out, m, k, n, bias, threadMacs)) return;
      if (!wasmMatmul(a, b, out, m, k, n, threadMacs)) cpu.matmul(a, b, out);
      if (bias !== undefined) addBias(out, n, bias);
    },

    unary(op, x, out) {
      if (op === "erf" ? !wasmErf(x, out, minElems) : !wasmUnary(op, x, out, minElems)) cpu.unary(op, x, out);
    },

    binary(op, a, b, out) {
      if (!wasmBinary(op, a, b, out, minElems)) cpu.binary(op, a, b, out);
    },

    addScaled(x, alpha, out) {
      if (!wasmAddScaled(x, alpha, out, minElems)) cpuAddScaled(x, alpha, out);
    },

    adamStep(param, grad, expAvg, expAvgSq, scalars) {
      return wasmAdamStep(param, grad, expAvg, expAvgSq, scalars, minElems);
    },

    adadeltaStep(param, grad, squareAvg, accDelta, scalars) {
      return wasmAdadeltaStep(param, grad, squareAvg, accDelta, scalars, minElems);
    },

    softmax(x, axis, log, out) {
      if (!wasmSoftmax(x, axis, log, out, minElems)) cpu.softmax(x, axis, log, out);
    },

    softmaxBackward(g, y, axis, log, out) {
      if (!wasmSoftmaxBackward(g, y, axis, log, out, minElems)) cpu.softmaxBackward(g, y, axis, log, out);
    },

    softmaxCrossEntropy(x, target, rows, cols, out) {
      if (!wasmSoftmaxCrossEntropy(x, target, rows, cols, out, minElems)) cpu.softmaxCrossEntropy(x, target, rows, cols, out);
    },

    softmaxCrossEntropyBackward(g, x, target, rows, cols, out) {
      if (!wasmSoftmaxCrossEntropyBackward(g, x, target, rows, cols, out, minElems)) cpu.softmaxCrossEntropyBackward(g, x, target, rows, cols, out);
    },

    reduce(op, x, axes, out) {
      if (!wasmReduce(op, x, axes, out, minElems)) cpu.reduce(op, x, axes, out);
    },

    // Convolution (backend/wasm/conv.ts): products under minMacs multiply-adds stay on the cpu
    // kernels, like matmul's; so do integer dtypes and operands that do not fit in wasm memory.
    conv2d(x, weight, bias, window, groups, out) {
      const macs = out.length * (numelOf(weight.shape) / weight.shape[0]);
      if (macs < minMacs || !wasmConv2d(x, weight, bias, window, groups, out, threadMacs)) cpu.conv2d(x, weight, bias, window, groups, out);
    },

    conv2dInputGrad(g, weight, window, groups, height, width, out) {
      const macs = numelOf(g.shape) * (weight.shape[1] * window.kh * window.kw);
      if (macs < minMacs || !wasmConv2dInputGrad(g, weight, window, groups, height, width, out, threadMacs)) {
        cpu.conv2dInputGrad(g, weight, window, groups, height, width, out);
      }
    },

    conv2dWeightGrad(x, g, window, groups, out) {
      const macs = numelOf(g.shape) * (out.length / g.shape[1]);
      if (macs < minMacs || !wasmConv2dWeightGrad(x, g, window, groups, out, threadMacs)) cpu.conv2dWeightGrad(x, g, window, groups, out);
    },

    // Max pooling (backend/wasm/pool.ts): float inputs from minElems elements; identical results.
    maxPool2d(x, window, values, indices) {
      if (!wasmMaxPool2d(x, window, values, indices, minElems)) cpu.maxPool2d(x, window, values, indices);
    },

    maxPool2dBackward(g, indices, height, width, out) {
      if (!wasmMaxPool2dBackward(g, indices, height, width, out, minElems)) cpu.maxPool2dBackward(g, indices, height, width, out);
    },

    // Dropout (backend/wasm/dropout.ts): float buffers from minElems elements; identical results.
    dropout(x, u, threshold, scale, out) {
      if (!wasmDropout(x, u, threshold, scale, out, minElems)) cpu.dropout(x, u, threshold, scale, out);
    },

    // Transformer kernels: float32 in wasm, float64 on the cpu kernels (see each host file).
    gelu(x, approximate, out) {
      if (!wasmGelu(x, approximate, out, minElems)) cpu.gelu(x, approximate, out);
    },

    // Fused LSTM and GRU cells (backend/wasm/recurrent.ts): float32 in wasm; float64, tiny cells and hidden sizes under 4 on the cpu kernels.
    lstmCell(gates, c, out) {
      if (!wasmLstmCell(gates, c, out, minElems)) cpu.lstmCell(gates, c, out);
    },

    lstmCellBackward(gates, c, gOut, out) {
      if (!wasmLstmCellBackward(gates, c, gOut, out, minElems)) cpu.lstmCellBackward(gates, c, gOut, out);
    },

    gruCell(gi, gh, h, out) {
      if (!wasmGruCell(gi, gh, h, out, minElems)) cpu.gruCell(gi, gh, h, out);
    },

    gruCellBackward(gi, gh, h, g, out) {
      if (!wasmGruCellBackward(gi, gh, h, g, out, minElems)) cpu.gruCellBackward(gi, gh, h, g, out);
    },

    geluBackward(g, x, approximate, out) {
      if (!wasmGeluBackward(g, x, approximate, out, minElems)) cpu.geluBackward(g, x, approximate, out);
    },

    // LayerNorm and the attention softmax: float32 in wasm, float64 on the cpu kernels (layernorm.ts, attention.ts).
    layerNorm(x, weight, bias, rows, cols, eps, out, mean, rstd) {
      if (!wasmLayerNorm(x, weight, bias, rows, cols, eps, out, mean, rstd, minElems)) cpu.layerNorm(x, weight, bias, rows, cols, eps, out, mean, rstd);
    },

    layerNormBackward(g, x, mean, rstd, weight, rows, cols, dx, dweight, dbias) {
      if (!wasmLayerNormBackward(g, x, mean, rstd, weight, rows, cols, dx, dweight, dbias, minElems)) {
        cpu.layerNormBackward(g, x, mean, rstd, weight, rows, cols, dx, dweight, dbias);
      }
    },

    attentionSoftmax(x, rows, L, S, scale, causal, out) {
      if (!wasmAttentionSoftmax(x, rows, L, S, scale, causal, out, minElems)) cpu.attentionSoftmax(x, rows, L, S, scale, causal, out);
    },

    attentionSoftmaxBackward(g, y, rows, S, scale, out) {
      if (!wasmAttentionSoftmaxBackward(g, y, rows, S, scale, out, minElems)) cpu.attentionSoftmaxBackward(g, y, rows, S, scale, out);
    },

    // Row gather and scatter-add (indexSelect, indexAdd, embedding), dense operands (index-rows.ts).
    indexSelect(x, axis, index, out) {
      if (!wasmIndexSelect(x, axis, index, out, minElems)) cpu.indexSelect(x, axis, index, out);
    },

    indexAdd(base, axis, index, src, alpha, out) {
      if (!wasmIndexAdd(base, axis, index, src, alpha, out, minElems)) cpu.indexAdd(base, axis, index, src, alpha, out);
    },

    // The binary cross entropy and its input gradient (loss.ts).
    binaryCrossEntropy(p, y, out) {
      return wasmBinaryCrossEntropy(p, y, out, minElems) ?? cpu.binaryCrossEntropy(p, y, out);
    },

    binaryCrossEntropyBackward(g, p, y, out) {
      if (!wasmBinaryCrossEntropyBackward(g, p, y, out, minElems)) cpu.binaryCrossEntropyBackward(g, p, y, out);
    },
  };
}

/**
 * A 2-d product with k = 1 (outer), n = 1 (matrix·vector) or m = 1 (vector·matrix) in wasm;
 * sums are f64 in the cpu kernel's order, so results are the cpu's. False when out of memory.
 */
function wasmThinMatmul(a: View, b: View, out: CpuBuffer, m: number, k: number, n: number): boolean {
  const f32 = out.dtype === "float32";
  const bpe = f32 ? 4 : 8;
  const rt = availableRuntime();
  if (rt === undefined) return false;
  const first = SCRATCH_BASE;
  if (k === 1) {
    // out[i, j] = a[i]·b[j]
    const second = first + paddedBytes(m, bpe);
    const result = second + paddedBytes(n, bpe);
    if (!rt.reserve(result + paddedBytes(m * n, bpe))) return false;
    const heap = f32 ? rt.f32() : rt.f64();
    copyVector(heap, first / bpe, a.buffer.data, a.offset, a.strides[0], m);
    copyVector(heap, second / bpe, b.buffer.data, b.offset, b.strides[1], n);
    rt.kernels.outer(first, second, result, m, n, f32 ? 1 : 0);
    (out.data as Floats).set(rt.view(f32, result, m * n));
    return true;
  }
  if (n === 1 && m > 1 && a.strides[0] !== 1) {
    // matrix·vector with a's rows along memory (a row-major a): one dot product per row.
    if (a.strides[1] !== 1) return false;
    const second = first + paddedBytes(m * k, bpe);
    const sums = second + paddedBytes(k, bpe);
    if (!rt.reserve(sums + m * 8)) return false;
    const heap = f32 ? rt.f32() : rt.f64();
    copyIn(a, heap, first / bpe, m * k);
    copyVector(heap, second / bpe, b.buffer.data, b.offset, b.strides[0], k);
    rt.kernels.matVec(first, second, sums, m, k, f32 ? 1 : 0);
    (out.data as Floats).set(rt.view(false, sums, m));
    return true;
  }
  // vector·matrix: v = a's row and the matrix is b; matrix·vector with a transposed view: v = b's
  // column and the matrix is aᵀ (k×m), whose rows are contiguous.
  const cols = n === 1 ? m : n;
  const second = first + paddedBytes(k, bpe);
  const sums = second + paddedBytes(k * cols, bpe);
  if (!rt.reserve(sums + cols * 8)) return false;
  const heap = f32 ? rt.f32() : rt.f64();
  if (n === 1) {
    copyVector(heap, first / bpe, b.buffer.data, b.offset, b.strides[0], k);
    copyIn({ buffer: a.buffer, shape: [k, m], strides: [a.strides[1], a.strides[0]], offset: a.offset }, heap, second / bpe, k * cols);
  } else {
    copyVector(heap, first / bpe, a.buffer.data, a.offset, a.strides[1], k);
    copyIn(b, heap, second / bpe, k * cols);
  }
  rt.kernels.vecMat(first, second, sums, k, cols, f32 ? 1 : 0);
  (out.data as Floats).set(rt.view(false, sums, cols));
  return true;
}

/** n values of data from offset, stride apart, into heap[base...]. */
function copyVector(heap: Floats, base: number, data: CpuBuffer["data"], offset: number, stride: number, n: number): void {
  if (stride === 1 || n === 1) return copyRange(heap, base, data, offset, n);
  for (let i = 0, j = offset; i < n; i++, j += stride) heap[base + i] = data[j];
}

/** a [...batch, m, k] @ b [...batch, k, n] in wasm; false when it cannot fit in wasm memory. */
function wasmMatmul(a: View, b: View, out: CpuBuffer, m: number, k: number, n: number, threadMacs: number): boolean {
  const f32 = out.dtype === "float32";
  // Products big enough to split run in the memory the workers share; the rest in ordinary
  // memory, which JS arrays copy into faster.
  const batches = numelOf(a.shape) / (m * k);
  const split = getNumThreads() > 1 && (threadMacs <= 0 || batches * m * n * k >= 2 * threadMacs);
  const rt = (split ? getSharedRuntime() : undefined) ?? availableRuntime();
  if (rt === undefined) return false;
  const { mr, nr } = f32 ? rt.tile.float32 : rt.tile.float64;
  const bpe = f32 ? 4 : 8;
  const r = a.shape.length;

  // The operands' offsets for each batch entry, in row-major batch order.
  const aOffs: number[] = [];
  const bOffs: number[] = [];
  if (r === 2) {
    aOffs.push(a.offset);
    bOffs.push(b.offset);
  } else {
    forEachRow(a.shape.slice(0, r - 2), [a.strides.slice(0, r - 2), b.strides.slice(0, r - 2)], [a.offset, b.offset], (offs, cnt, s) => {
      for (let i = 0; i < cnt; i++) {
        aOffs.push(offs[0] + i * s[0]);
        bOffs.push(offs[1] + i * s[1]);
      }
    });
  }

  const mP = roundUp(m, mr);
  const nP = roundUp(n, nr);
  const perBatch = (mP * k + nP * k + mP * nP) * bpe;
  const group = Math.max(1, Math.floor(CHUNK_BYTES / perBatch));
  // packed operands and results of one group, then one raw (unpacked) operand copy
  if (!rt.reserve(SCRATCH_BASE + Math.min(group, aOffs.length) * perBatch + Math.max(m, n) * k * bpe + 16)) return false;
  for (let g = 0; g < aOffs.length; g += group) {
    runGroup(rt, a, b, out, m, k, n, mr, nr, aOffs.slice(g, g + group), bOffs.slice(g, g + group), g, threadMacs);
  }
  return true;
}

/** Packs, multiplies and unpacks batch entries first..first+aOffs.length-1. */
function runGroup(
  rt: Runtime, a: View, b: View, out: CpuBuffer, m: number, k: number, n: number, mr: number, nr: number,
  aOffs: number[], bOffs: number[], first: number, threadMacs: number,
): void {
  const f32 = out.dtype === "float32";
  const heap: Floats = f32 ? rt.f32() : rt.f64();
  const bpe = heap.BYTES_PER_ELEMENT;
  const r = a.shape.length;
  const [sam, sak] = [a.strides[r - 2], a.strides[r - 1]];
  const [sbk, sbn] = [b.strides[r - 2], b.strides[r - 1]];
  const mP = roundUp(m, mr);
  const nP = roundUp(n, nr);

  // Pack each distinct operand once: a broadcast (stride-0) batch dim shares one packed copy.
  // Packed regions first, then the results, then a raw region for dense operands (below).
  const packedElems = (new Set(aOffs).size * mP + new Set(bOffs).size * nP) * k;
  const raw = SCRATCH_BASE / bpe + packedElems + aOffs.length * mP * nP;
  const pack = (data: CpuBuffer["data"], off: number, rows: number, cols: number, rs: number, cs: number, tile: number, dst: number): void =>
    packOperand(rt, f32, data, off, rows, cols, rs, cs, tile, dst, raw);
  let next = SCRATCH_BASE / bpe;
  const packedA = new Map<number, number>();
  const packedB = new Map<number, number>();
  const aPtr: number[] = [];
  const bPtr: number[] = [];
  for (let i = 0; i < aOffs.length; i++) {
    let pa = packedA.get(aOffs[i]);
    if (pa === undefined) {
      pa = next;
      next += mP * k;
      pack(a.buffer.data, aOffs[i], m, k, sam, sak, mr, pa);
      packedA.set(aOffs[i], pa);
    }
    let pb = packedB.get(bOffs[i]);
    if (pb === undefined) {
      pb = next;
      next += nP * k;
      pack(b.buffer.data, bOffs[i], n, k, sbn, sbk, nr, pb); // Bᵀ's rows are B's columns
      packedB.set(bOffs[i], pb);
    }
    aPtr.push(pa);
    bPtr.push(pb);
  }
  const cBase = next;

  const kernel: keyof KernelExports = f32 ? "matmulF32" : "matmulF64";
  const mS = mP / mr;
  const nS = nP / nr;
  const nb = aOffs.length;
  const call = (i: number, i0: number, i1: number, j0: number, j1: number): number[] =>
    [aPtr[i] * bpe, bPtr[i] * bpe, (cBase + i * mP * nP) * bpe, k, nP, i0, i1, j0, j1];
  const threads = !rt.shared ? 1 : Math.min(getNumThreads(), threadMacs > 0 ? Math.floor((nb * m * n * k) / threadMacs) || 1 : Infinity);
  const shares: KernelCalls[] = [];
  const perThread = sharesPerThread((nb * m * n * k) / threads);
  if (threads <= 1) {
    const f = rt.kernels[kernel];
    for (let i = 0; i < nb; i++) f(aPtr[i] * bpe, bPtr[i] * bpe, (cBase + i * mP * nP) * bpe, k, nP, 0, mS, 0, nS);
  } else if (nb >= threads) {
    // Whole batch entries per share; a few shares per thread, which claim them (runShares).
    const parts = Math.min(nb, threads * perThread);
    for (let t = 0; t < parts; t++) {
      const calls: number[][] = [];
      for (let i = Math.floor((t * nb) / parts); i < Math.floor(((t + 1) * nb) / parts); i++) calls.push(call(i, 0, mS, 0, nS));
      shares.push({ kernel, calls });
    }
  } else {
    // Split the longer of the row-strip and column-strip ranges of every batch entry.
    const byRows = mS >= nS;
    const strips = byRows ? mS : nS;
    const parts = Math.min(threads * perThread, strips);
    for (let t = 0; t < parts; t++) {
      const s0 = Math.floor((t * strips) / parts);
      const s1 = Math.floor(((t + 1) * strips) / parts);
      const calls: number[][] = [];
      for (let i = 0; i < nb; i++) calls.push(byRows ? call(i, s0, s1, 0, nS) : call(i, 0, mS, s0, s1));
      shares.push({ kernel, calls });
    }
  }
  if (shares.length > 0) runShares(rt, shares, threads);

  const result = f32 ? rt.f32() : rt.f64();
  const od = out.data as Floats;
  for (let i = 0; i < nb; i++) unpackResult(result, cBase + i * mP * nP, nP, m, n, od, (first + i) * m * n);
}
