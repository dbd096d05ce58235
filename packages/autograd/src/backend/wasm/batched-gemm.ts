/**
 * Host side of the batched small product (assembly/batched-gemm.ts): a [...batch, m, k] @
 * b [...batch, k, n] over many small entries, float32, as one wasm call. Attention's products
 * over batch × heads read q, k and v as strided views of one Linear's output (and their
 * gradients as transposed views): rather than copying each entry in and its product out (small-
 * gemm.ts's loop, ~6 µs of host work per 32×16 entry), the memory span each operand covers is
 * copied in one block, the kernel gathers each entry from its strides inside wasm, and the
 * products leave in one block. Returns false (the caller runs another kernel) for float64,
 * negative strides, spans much larger than the operand, or work large enough for threads.
 */

import type { StridedView } from "../backend.js";
import type { CpuBuffer } from "../cpu/cpu-backend.js";
import { copyRange, paddedBytes } from "./elementwise.js";
import { SCRATCH_BASE, availableRuntime } from "./runtime.js";

type View = StridedView<CpuBuffer>;

/** Products with more multiply-adds than this keep the per-entry path, which splits rows over threads. */
export const BATCHED_GEMM_MAX_MACS = 1 << 23;

/** An operand whose covered span exceeds its size this many times (a sparse view) is not copied whole. */
const MAX_SPAN_RATIO = 8;

/** Operands beyond this many bytes of scratch stay on the other kernels. */
const MAX_BYTES = 64 * 2 ** 20;

/** [lowest, highest] element index a view reads, or undefined for a negative stride. */
function span(v: View): [number, number] | undefined {
  let hi = v.offset;
  for (let i = 0; i < v.shape.length; i++) {
    if (v.strides[i] < 0) return undefined;
    hi += (v.shape[i] - 1) * v.strides[i];
  }
  return [v.offset, hi];
}

/** out = a @ b for a batch (rank > 2) of small float32 products, as one kernel call; false when it does not apply. */
export function wasmBatchedMatmul(a: View, b: View, out: CpuBuffer, m: number, k: number, n: number): boolean {
  const r = a.shape.length;
  if (r <= 2 || out.dtype !== "float32" || a.buffer.dtype !== "float32" || b.buffer.dtype !== "float32") return false;
  const batches = out.length / (m * n);
  if (batches < 2 || batches * m * n * k > BATCHED_GEMM_MAX_MACS) return false;
  const sa = span(a);
  const sb = span(b);
  if (sa === undefined || sb === undefined) return false;
  const aLen = sa[1] - sa[0] + 1;
  const bLen = sb[1] - sb[0] + 1;
  if (aLen > MAX_SPAN_RATIO * batches * m * k + 64 || bLen > MAX_SPAN_RATIO * batches * k * n + 64) return false;
  const rt = availableRuntime();
  if (rt === undefined) return false;
  // scratch: A's span, B's span, the entry offsets (i32 pairs), one entry of A and of B, then C
  const A = SCRATCH_BASE;
  const B = A + paddedBytes(aLen, 4);
  const OFFS = B + paddedBytes(bLen, 4);
  const PA = OFFS + paddedBytes(2 * batches, 4);
  const PB = PA + paddedBytes(m * k, 4);
  const C = PB + paddedBytes(k * n, 4);
  const end = C + paddedBytes(batches * m * n, 4);
  if (end > MAX_BYTES || !rt.reserve(end)) return false;
  const heap = rt.f32();
  copyRange(heap, A / 4, a.buffer.data, sa[0], aLen);
  copyRange(heap, B / 4, b.buffer.data, sb[0], bLen);
  // each entry's offsets relative to the spans, batch dims walked as an odometer (row-major)
  const offs = new Int32Array(heap.buffer, OFFS, 2 * batches);
  const dims = r - 2;
  const idx = new Array<number>(dims).fill(0);
  let ao = a.offset - sa[0];
  let bo = b.offset - sb[0];
  for (let e = 0; e < batches; e++) {
    offs[2 * e] = ao;
    offs[2 * e + 1] = bo;
    for (let d = dims - 1; d >= 0; d--) {
      ao += a.strides[d];
      bo += b.strides[d];
      if (++idx[d] < a.shape[d]) break;
      ao -= a.shape[d] * a.strides[d];
      bo -= a.shape[d] * b.strides[d];
      idx[d] = 0;
    }
  }
  rt.kernels.batchedGemmF32(A, B, C, OFFS, PA, PB, batches, m, k, n, a.strides[r - 2], a.strides[r - 1], b.strides[r - 2], b.strides[r - 1]);
  (out.data as Float32Array).set(rt.view(true, C, batches * m * n));
  return true;
}
