/**
 * The cpu backend's lane kernels: cumulative sums/products (`scan`) and stable `argsort`. Each
 * walks the lanes along one axis; the op layer is in ops/scan.ts (cumsum, cumprod) and
 * ops/sort.ts (sort, argsort, topk). The wasm backend spreads these in with the other cpu kernels.
 */

import type { HostArray, ScanOp, StridedView } from "../backend.js";
import { contiguousStrides } from "../../shape.js";
import type { CpuBuffer } from "./cpu-backend.js";
import { forEachRow } from "./strided.js";

type View = StridedView<CpuBuffer>;

/** Calls `lane(xStart, outStart)` for every lane of x along `axis` (out contiguous with x's shape). */
function forEachLane(x: View, axis: number, lane: (ix: number, io: number) => void): void {
  const outStrides = contiguousStrides(x.shape);
  const laneShape: number[] = [];
  const laneX: number[] = [];
  const laneO: number[] = [];
  for (let i = 0; i < x.shape.length; i++) {
    if (i === axis) continue;
    laneShape.push(x.shape[i]);
    laneX.push(x.strides[i]);
    laneO.push(outStrides[i]);
  }
  if (x.shape[axis] === 0) return;
  forEachRow(laneShape, [laneX, laneO], [x.offset, 0], (offs, n, s) => {
    for (let r = 0, ix = offs[0], io = offs[1]; r < n; r++, ix += s[0], io += s[1]) lane(ix, io);
  });
}

/** Backend.scan: inclusive prefix sums or products along `axis`, accumulated in float64. */
export function cpuScan(op: ScanOp, x: View, axis: number, out: CpuBuffer): void {
  const xd = x.buffer.data;
  const od = out.data;
  const len = x.shape[axis];
  const step = x.strides[axis];
  const oStep = contiguousStrides(x.shape)[axis];
  const bool = out.dtype === "bool";
  forEachLane(x, axis, (ix, io) => scanLane(op, xd, od, ix, io, len, step, oStep, bool));
}

function scanLane(op: ScanOp, xd: HostArray, od: HostArray, ix: number, io: number, len: number, step: number, oStep: number, bool: boolean): void {
  let acc = op === "sum" ? 0 : 1;
  switch (op) {
    case "sum":
      for (let i = 0; i < len; i++, ix += step, io += oStep) od[io] = bool ? +((acc += xd[ix]) !== 0) : (acc += xd[ix]);
      return;
    case "prod":
      for (let i = 0; i < len; i++, ix += step, io += oStep) od[io] = bool ? +((acc *= xd[ix]) !== 0) : (acc *= xd[ix]);
      return;
    default:
      op satisfies never;
  }
}

/** Backend.argsort: stable int32 sort indices along `axis`; NaN ranks above every number. */
export function cpuArgsort(x: View, axis: number, descending: boolean, out: CpuBuffer): void {
  const xd = x.buffer.data;
  const od = out.data;
  const len = x.shape[axis];
  const step = x.strides[axis];
  const oStep = contiguousStrides(x.shape)[axis];
  const values = new Float64Array(len);
  const order: number[] = [];
  for (let i = 0; i < len; i++) order.push(i);
  const compare = descending ? (i: number, j: number) => rank(values[j], values[i]) || i - j : (i: number, j: number) => rank(values[i], values[j]) || i - j;
  forEachLane(x, axis, (ix, io) => {
    for (let i = 0; i < len; i++, ix += step) {
      values[i] = xd[ix];
      order[i] = i;
    }
    order.sort(compare); // the index tie-break makes it stable whatever sort the engine uses
    for (let i = 0; i < len; i++, io += oStep) od[io] = order[i];
  });
}

/** −1, 0 or 1 as a is below, equal to or above b, with NaN above everything (and equal to NaN). */
function rank(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  const aNaN = a !== a;
  return aNaN === (b !== b) ? 0 : aNaN ? 1 : -1;
}
