/**
 * Row gather and row scatter-add along one dim: the cpu kernels (the oracle) of `indexSelect`
 * and `indexAdd` (its adjoint). The ops live in ops/index-select.ts, the wasm kernels in
 * assembly/index-rows.ts with their host side in backend/wasm/index-rows.ts (dense operands).
 *
 * Both view x as [outer, size, inner] around `axis`: one selected index moves a whole
 * [outer, 1, inner] slab, which is `outer` contiguous runs of `inner` elements when the operands
 * are dense. Indices are trusted: the op layer checked them once per call (checkIndexRange in ops/index-select.ts).
 */

import { contiguousStrides } from "../../shape.js";
import type { StridedView } from "../backend.js";
import type { CpuBuffer } from "./cpu-backend.js";
import { forEachRow } from "./strided.js";

type View = StridedView<CpuBuffer>;

/** The values of a 1-d int32 view as a dense array (the view itself when it already is one). */
function indexValues(index: View): Int32Array {
  const id = index.buffer.data as Int32Array;
  const n = index.shape.length === 0 ? 1 : index.shape[0];
  const step = index.shape.length === 0 ? 1 : index.strides[0];
  if (step === 1 || n <= 1) return index.offset === 0 && id.length === n ? id : id.subarray(index.offset, index.offset + n);
  const out = new Int32Array(n);
  for (let i = 0, j = index.offset; i < n; i++, j += step) out[i] = id[j];
  return out;
}

/** The element counts before and after `axis`: x read as [outer, size, inner]. */
function split(shape: readonly number[], axis: number): { outer: number; inner: number } {
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  let inner = 1;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return { outer, inner };
}

/** Whether a view's elements lie row-major from its offset. */
function isRowMajor(v: View): boolean {
  const rm = contiguousStrides(v.shape);
  for (let i = 0; i < v.shape.length; i++) if (v.shape[i] !== 1 && v.strides[i] !== rm[i]) return false;
  return true;
}

/** out[o, i, :] = x[o, index[i], :] with x viewed as [outer, size, inner]; out is contiguous. */
export function cpuIndexSelect(x: View, axis: number, index: View, out: CpuBuffer, copy: (src: View, dst: View) => void): void {
  const idx = indexValues(index);
  const n = idx.length;
  const { outer, inner } = split(x.shape, axis);
  const xd = x.buffer.data;
  const od = out.data;
  const size = x.shape[axis];
  if (isRowMajor(x)) {
    for (let o = 0; o < outer; o++) {
      const xo = x.offset + o * size * inner;
      const oo = o * n * inner;
      for (let i = 0; i < n; i++) {
        // A plain loop: for short rows (an embedding's 32–64 values) it beats subarray + set.
        const from = xo + idx[i] * inner;
        const to = oo + i * inner;
        for (let c = 0; c < inner; c++) od[to + c] = xd[from + c];
      }
    }
    return;
  }
  // Any other layout: one strided slab copy per selected index.
  const slab = x.shape.slice();
  slab[axis] = 1;
  const outShape = x.shape.slice();
  outShape[axis] = n;
  const outStrides = contiguousStrides(outShape);
  for (let i = 0; i < n; i++) {
    copy(
      { buffer: x.buffer, shape: slab, strides: x.strides, offset: x.offset + idx[i] * x.strides[axis] },
      { buffer: out, shape: slab, strides: outStrides, offset: i * outStrides[axis] },
    );
  }
}

/**
 * True when every element of `v` is the one value +0 (all strides 0): a gradient's zeros, which
 * need no copy into an output that alloc zero-filled. −0 is copied (−0 + −0 stays −0).
 */
export function isBroadcastZero(v: View): boolean {
  for (let i = 0; i < v.shape.length; i++) if (v.strides[i] !== 0 && v.shape[i] !== 1) return false;
  return Object.is(v.buffer.data[v.offset], 0);
}

/**
 * out = base (not copied when it is a broadcast +0: see isBroadcastZero); then out[o, index[i], :] +=
 * alpha·src[o, i, :] with out viewed as [outer, size, inner]. alpha·src is rounded to the dtype
 * before the add (as a mul kernel then an add kernel would); alpha = 1 skips the product.
 */
export function cpuIndexAdd(base: View, axis: number, index: View, src: View, alpha: number, out: CpuBuffer, copy: (src: View, dst: View) => void): void {
  const shape = base.shape;
  const outStrides = contiguousStrides(shape);
  if (!isBroadcastZero(base)) copy(base, { buffer: out, shape, strides: outStrides, offset: 0 });
  const idx = indexValues(index);
  const n = idx.length;
  const size = shape[axis];
  const { outer, inner } = split(shape, axis);
  const od = out.data;
  const round = out.dtype === "float32" ? Math.fround : null;
  const sd = src.buffer.data;
  if (isRowMajor(src)) {
    for (let o = 0; o < outer; o++) {
      const so = src.offset + o * n * inner;
      const oo = o * size * inner;
      for (let i = 0; i < n; i++) {
        const to = oo + idx[i] * inner;
        const from = so + i * inner;
        if (alpha === 1) for (let c = 0; c < inner; c++) od[to + c] += sd[from + c];
        else if (round) for (let c = 0; c < inner; c++) od[to + c] += round(alpha * sd[from + c]);
        else for (let c = 0; c < inner; c++) od[to + c] += alpha * sd[from + c];
      }
    }
    return;
  }
  // Strided src: walk its elements with out's offsets, the axis's stride replaced by the index.
  const step = outStrides[axis];
  const oStrides = outStrides.slice();
  oStrides[axis] = 0;
  const axisStride = src.strides[axis];
  const slab = src.shape.slice();
  slab[axis] = 1;
  for (let i = 0; i < n; i++) {
    forEachRow(slab, [src.strides, oStrides], [src.offset + i * axisStride, idx[i] * step], (offs, len, s) => {
      for (let r = 0, is = offs[0], io = offs[1]; r < len; r++, is += s[0], io += s[1]) {
        const v = alpha === 1 ? sd[is] : round ? round(alpha * sd[is]) : alpha * sd[is];
        od[io] += v;
      }
    });
  }
}
