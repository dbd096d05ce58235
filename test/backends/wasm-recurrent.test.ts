/**
 * The wasm LSTM and GRU cell kernels (assembly/recurrent.ts, host backend/wasm/recurrent.ts)
 * against the cpu kernels (backend/cpu/recurrent.ts, the oracle), forward and backward, float32
 * (float64 and H < 4 go to the cpu kernels, checked here too): hidden sizes of whole vectors and
 * ones whose last partial vector is recomputed from H − 4, strided
 * views (a gates block read through a transpose, c as a slice of a wider state with an offset, a
 * stepped upstream gradient), and large pre-activations where σ and tanh saturate.
 */

import { describe, expect, it } from "vitest";
import { createCpuBackend, createWasmBackend, wasmSimdSupported, type StridedView } from "@tensorgrad/autograd";
import type { CpuBuffer } from "../../packages/autograd/src/backend/cpu/cpu-backend.js";
import { uniform as random } from "../helpers/kernel-data.js";

type View = StridedView<CpuBuffer>;
type FloatDType = "float32" | "float64";

const cpu = createCpuBackend();
const wasm = createWasmBackend({ elementwiseMinSize: 0 });

/** gates [B, 4H], c [B, H], gOut [2, B, H]: contiguous, or read through strides and offsets. */
function operands(dtype: FloatDType, rows: number, hid: number, strided: boolean, rand: () => number): [View, View, View] {
  const buf = (n: number): CpuBuffer => cpu.fromValues(dtype, Array.from({ length: n }, rand));
  if (!strided) {
    return [
      { buffer: buf(rows * 4 * hid), shape: [rows, 4 * hid], strides: [4 * hid, 1], offset: 0 },
      { buffer: buf(rows * hid), shape: [rows, hid], strides: [hid, 1], offset: 0 },
      { buffer: buf(2 * rows * hid), shape: [2, rows, hid], strides: [rows * hid, hid, 1], offset: 0 },
    ];
  }
  return [
    // the transpose of a stored [4H, B] block
    { buffer: buf(rows * 4 * hid), shape: [rows, 4 * hid], strides: [1, rows], offset: 0 },
    // columns 1..H of a stored [B, H + 2] state, from offset 1
    { buffer: buf(rows * (hid + 2)), shape: [rows, hid], strides: [hid + 2, 1], offset: 1 },
    // every other value of a wider buffer
    { buffer: buf(4 * rows * hid + 1), shape: [2, rows, hid], strides: [2 * rows * hid, 2 * hid, 2], offset: 1 },
  ];
}

const TOL: Record<FloatDType, number> = { float32: 2e-6, float64: 1e-14 };

/**
 * Within tol·(scale + |y|): float32 lanes round σ and tanh before 1 − t² and 1 − σ, which cancel
 * where they saturate, and the products carry that error scaled by inputs up to `scale` (the cpu
 * kernel works in float64 and rounds once).
 */
function expectClose(got: CpuBuffer, want: CpuBuffer, tol: number, scale: number, what: string): void {
  for (let i = 0; i < want.length; i++) {
    const [x, y] = [got.data[i], want.data[i]];
    if (!(Math.abs(x - y) <= tol * (scale + Math.abs(y)))) expect.fail(`${what}: element ${i} is ${x}, cpu says ${y}`);
  }
}

// float32 cells run in wasm when H ≥ 4 (one vector); float64 and H < 4 run the cpu kernels
// through the wasm backend, which these cases check too (exactly equal then).
const SHAPES: [number, number][] = [[1, 1], [3, 3], [2, 4], [5, 7], [20, 32], [4, 33]];

describe.runIf(wasmSimdSupported())("wasm lstmCell kernels = cpu kernels", () => {
  const shapes = SHAPES;
  describe.each(["float32", "float64"] as const)("%s", (dtype) => {
    it.each(shapes.flatMap(([b, h]) => [[b, h, false], [b, h, true]] as const))("B %i, H %i, strided %s", (rows, hid, strided) => {
      for (const scale of [3, 40]) {
        const [gates, c, gOut] = operands(dtype, rows, hid, strided, random(rows * 100 + hid + scale, scale));
        const got = wasm.alloc(dtype, 2 * rows * hid);
        const want = cpu.alloc(dtype, 2 * rows * hid);
        wasm.lstmCell(gates, c, got);
        cpu.lstmCell(gates, c, want);
        expectClose(got, want, TOL[dtype], scale, `forward, scale ${scale}`);
        const gotB = wasm.alloc(dtype, 5 * rows * hid);
        const wantB = cpu.alloc(dtype, 5 * rows * hid);
        wasm.lstmCellBackward(gates, c, gOut, gotB);
        cpu.lstmCellBackward(gates, c, gOut, wantB);
        expectClose(gotB, wantB, TOL[dtype] * 4, scale, `backward, scale ${scale}`);
      }
    });
  });
});

/** gi, gh [B, 3H], h and g [B, H]: contiguous, or through a transpose, an offset slice and a step. */
function gruOperands(dtype: FloatDType, rows: number, hid: number, strided: boolean, rand: () => number): [View, View, View, View] {
  const buf = (n: number): CpuBuffer => cpu.fromValues(dtype, Array.from({ length: n }, rand));
  const plain = (r: number, c: number): View => ({ buffer: buf(r * c), shape: [r, c], strides: [c, 1], offset: 0 });
  if (!strided) return [plain(rows, 3 * hid), plain(rows, 3 * hid), plain(rows, hid), plain(rows, hid)];
  return [
    { buffer: buf(rows * 3 * hid), shape: [rows, 3 * hid], strides: [1, rows], offset: 0 },
    { buffer: buf(rows * (3 * hid + 2)), shape: [rows, 3 * hid], strides: [3 * hid + 2, 1], offset: 2 },
    { buffer: buf(2 * rows * hid + 1), shape: [rows, hid], strides: [2 * hid, 2], offset: 1 },
    { buffer: buf(rows * hid), shape: [rows, hid], strides: [1, rows], offset: 0 },
  ];
}

describe.runIf(wasmSimdSupported())("wasm gruCell kernels = cpu kernels", () => {
  const shapes = SHAPES;
  describe.each(["float32", "float64"] as const)("%s", (dtype) => {
    it.each(shapes.flatMap(([b, h]) => [[b, h, false], [b, h, true]] as const))("B %i, H %i, strided %s", (rows, hid, strided) => {
      for (const scale of [3, 40]) {
        const [gi, gh, h, g] = gruOperands(dtype, rows, hid, strided, random(rows * 100 + hid + scale + 7, scale));
        const got = wasm.alloc(dtype, rows * hid);
        const want = cpu.alloc(dtype, rows * hid);
        wasm.gruCell(gi, gh, h, got);
        cpu.gruCell(gi, gh, h, want);
        expectClose(got, want, TOL[dtype], scale, `forward, scale ${scale}`);
        const gotB = wasm.alloc(dtype, 7 * rows * hid);
        const wantB = cpu.alloc(dtype, 7 * rows * hid);
        wasm.gruCellBackward(gi, gh, h, g, gotB);
        cpu.gruCellBackward(gi, gh, h, g, wantB);
        expectClose(gotB, wantB, TOL[dtype] * 4, scale, `backward, scale ${scale}`);
      }
    });
  });
});
