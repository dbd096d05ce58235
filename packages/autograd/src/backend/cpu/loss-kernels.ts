/**
 * Fused loss kernels: the cpu kernels of the primitive `binaryCrossEntropy` in
 * ops/binary-cross-entropy.ts (forward, and the input gradient of its plain backward pass), and
 * the oracle of the wasm ones (backend/wasm/loss.ts).
 */

import type { StridedView } from "../backend.js";
import type { CpuBuffer } from "./cpu-backend.js";
import { forEachRow } from "./strided.js";
import { contiguousStrides } from "../../shape.js";

type View = StridedView<CpuBuffer>;

/**
 * out = −(y·max(log p, −100) + (1 − y)·max(log(1 − p), −100)) elementwise over views of one
 * shape, in float64 and rounded once to out's dtype (PyTorch clamps both logs at −100). Returns
 * whether every p and y lies in [0, 1] (NaN does not).
 */
export function cpuBinaryCrossEntropy(p: View, y: View, out: CpuBuffer): boolean {
  const pd = p.buffer.data;
  const yd = y.buffer.data;
  const od = out.data;
  let inRange = true;
  forEachRow(p.shape, [p.strides, y.strides, contiguousStrides(p.shape)], [p.offset, y.offset, 0], (offs, n, s) => {
    if (!bceRow(pd, yd, od, offs[0], offs[1], offs[2], n, s[0], s[1], s[2])) inRange = false;
  });
  return inRange;
}

// A top-level row loop: V8 optimizes a hot loop inside a per-call closure much worse.
function bceRow(pd: CpuBuffer["data"], yd: CpuBuffer["data"], od: CpuBuffer["data"], ip: number, iy: number, io: number, n: number, sp: number, sy: number, so: number): boolean {
  let inRange = true;
  for (let r = 0; r < n; r++, ip += sp, iy += sy, io += so) {
    const pv = pd[ip];
    const yv = yd[iy];
    if (!(pv >= 0 && pv <= 1 && yv >= 0 && yv <= 1)) inRange = false;
    const logP = Math.max(Math.log(pv), -100);
    const log1mP = Math.max(Math.log1p(-pv), -100);
    od[io] = -(yv * logP + (1 - yv) * log1mP);
  }
  return inRange;
}

/** out = g·(p − y) / max(p·(1 − p), 1e-12) elementwise over views of one shape, in float64, rounded once. */
export function cpuBinaryCrossEntropyBackward(g: View, p: View, y: View, out: CpuBuffer): void {
  const gd = g.buffer.data;
  const pd = p.buffer.data;
  const yd = y.buffer.data;
  const od = out.data;
  forEachRow(p.shape, [g.strides, p.strides, y.strides, contiguousStrides(p.shape)], [g.offset, p.offset, y.offset, 0], (offs, n, s) => {
    bceBackwardRow(gd, pd, yd, od, offs, n, s);
  });
}

function bceBackwardRow(gd: CpuBuffer["data"], pd: CpuBuffer["data"], yd: CpuBuffer["data"], od: CpuBuffer["data"], offs: readonly number[], n: number, s: readonly number[]): void {
  let [ig, ip, iy, io] = offs;
  const [sg, sp, sy, so] = s;
  for (let r = 0; r < n; r++, ig += sg, ip += sp, iy += sy, io += so) {
    const pv = pd[ip];
    od[io] = (gd[ig] * (pv - yd[iy])) / Math.max(pv * (1 - pv), 1e-12);
  }
}
