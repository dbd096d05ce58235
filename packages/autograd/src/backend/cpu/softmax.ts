/**
 * The fused backward kernel of softmax / log-softmax in plain TypeScript (the oracle of the wasm
 * one, src/backend/wasm/softmax.ts). The forward kernel is `softmax` in cpu-backend.ts.
 */

import type { StridedView } from "../backend.js";
import { contiguousStrides } from "../../shape.js";
import type { CpuBuffer } from "./cpu-backend.js";
import { forEachRow } from "./strided.js";

type View = StridedView<CpuBuffer>;

/**
 * Gradient of softmax (log-softmax when `log`) along `axis` from the upstream gradient g and the
 * forward output y, both of out's shape, into contiguous out, each lane's sum in float64:
 * softmax: gx = y ⊙ (g − Σ g⊙y); log-softmax: gx = g − eʸ ⊙ Σ g.
 */
export function cpuSoftmaxBackward(g: View, y: View, axis: number, log: boolean, out: CpuBuffer): void {
  const gd = g.buffer.data;
  const yd = y.buffer.data;
  const od = out.data;
  const len = g.shape[axis];
  const gs = g.strides[axis];
  const ys = y.strides[axis];
  const outStrides = contiguousStrides(g.shape);
  const os = outStrides[axis];
  const lane = <T>(a: readonly T[]): T[] => a.filter((_, i) => i !== axis);
  forEachRow(lane(g.shape), [lane(g.strides), lane(y.strides), lane(outStrides)], [g.offset, y.offset, 0], (offs, n, s) => {
    let bg = offs[0];
    let by = offs[1];
    let bo = offs[2];
    for (let r = 0; r < n; r++, bg += s[0], by += s[1], bo += s[2]) {
      let sum = 0;
      if (log) for (let i = 0, ig = bg; i < len; i++, ig += gs) sum += gd[ig];
      else for (let i = 0, ig = bg, iy = by; i < len; i++, ig += gs, iy += ys) sum += gd[ig] * yd[iy];
      if (log) for (let i = 0, ig = bg, iy = by, io = bo; i < len; i++, ig += gs, iy += ys, io += os) od[io] = gd[ig] - Math.exp(yd[iy]) * sum;
      else for (let i = 0, ig = bg, iy = by, io = bo; i < len; i++, ig += gs, iy += ys, io += os) od[io] = yd[iy] * (gd[ig] - sum);
    }
  });
}

/** log Σⱼ e^{x[o + j]} over one row of n values, with the max subtracted (an all −∞ row: −∞). */
function rowLogSumExp(xd: CpuBuffer["data"], o: number, n: number): number {
  let max = -Infinity;
  for (let j = 0; j < n; j++) if (xd[o + j] > max || xd[o + j] !== xd[o + j]) max = xd[o + j];
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(xd[o + j] - max);
  return max + Math.log(sum);
}

/** Cross entropy per row of contiguous logits x [rows, cols] against int32 t [rows]: log Σ e^x − x[t], in float64. */
export function cpuSoftmaxCrossEntropy(x: CpuBuffer, target: CpuBuffer, rows: number, cols: number, out: CpuBuffer): void {
  const xd = x.data;
  const td = target.data;
  const od = out.data;
  for (let r = 0, o = 0; r < rows; r++, o += cols) od[r] = rowLogSumExp(xd, o, cols) - xd[o + td[r]];
}

/** Its gradient: out[r, j] = (e^{x[r, j] − lse_r} − [j = t[r]])·g[r], in float64. */
export function cpuSoftmaxCrossEntropyBackward(g: CpuBuffer, x: CpuBuffer, target: CpuBuffer, rows: number, cols: number, out: CpuBuffer): void {
  const gd = g.data;
  const xd = x.data;
  const td = target.data;
  const od = out.data;
  for (let r = 0, o = 0; r < rows; r++, o += cols) {
    const lse = rowLogSumExp(xd, o, cols);
    const gr = gd[r];
    for (let j = 0; j < cols; j++) od[o + j] = Math.exp(xd[o + j] - lse) * gr;
    od[o + td[r]] -= gr;
  }
}
