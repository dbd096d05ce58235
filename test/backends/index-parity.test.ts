/**
 * The wasm backend's row gather and scatter-add (assembly/index-rows.ts) against the cpu kernels,
 * the oracle, through the Backend interface: dims 0, 1 and last, odd row lengths, repeated
 * indices, every dtype for the gather, float32 for the scatter-add (float64 stays on the cpu
 * kernel), alpha 1 and not, zero and non-zero base.
 */

import { describe, expect, it } from "vitest";
import { createCpuBackend, createWasmBackend, wasmSimdSupported } from "@tensorgrad/autograd";
import type { StridedView } from "../../packages/autograd/src/backend/backend.js";
import type { CpuBuffer } from "../../packages/autograd/src/backend/cpu/cpu-backend.js";
import { wasmIndexAdd, wasmIndexSelect } from "../../packages/autograd/src/backend/wasm/index-rows.js";

const cpu = createCpuBackend();
type View = StridedView<CpuBuffer>;
const dense = (b: CpuBuffer, shape: number[]): View => {
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, c) => a * c, 1));
  return { buffer: b, shape, strides, offset: 0 };
};

describe.runIf(wasmSimdSupported())("wasm indexSelect and indexAdd against the cpu's", () => {
  const wasm = createWasmBackend({ elementwiseMinSize: 0 });

  // [table shape, dim, indices]
  const CASES: readonly [number[], number, number[]][] = [
    [[27, 64], 0, [3, 0, 26, 3, 3, 7, 1]],
    [[5, 7, 3], 1, [6, 0, 0, 2, 5]],
    [[4, 9], 1, [8, 1, 1]],
    [[11, 5], 0, Array.from({ length: 40 }, (_, i) => (i * 7) % 11)],
    [[3], 0, [2, 2, 0]],
  ];

  it.each(CASES)("indexSelect %j along dim %i: the cpu's elements, every dtype", (shape, dim, indices) => {
    const numel = shape.reduce((a, b) => a * b, 1);
    const index = dense(cpu.fromValues("int32", indices) as CpuBuffer, [indices.length]);
    for (const dtype of ["float32", "float64", "int32", "bool"] as const) {
      const x = dense(cpu.fromValues(dtype, Array.from({ length: numel }, (_, i) => (dtype === "bool" ? i % 3 : Math.sin(i) * 100))) as CpuBuffer, shape);
      const outShape = shape.slice();
      outShape[dim] = indices.length;
      const n = outShape.reduce((a, b) => a * b, 1);
      const want = cpu.alloc(dtype, n) as CpuBuffer;
      const got = cpu.alloc(dtype, n) as CpuBuffer;
      cpu.indexSelect(x, dim, index, want);
      expect(wasmIndexSelect(x, dim, index, got, 0)).toBe(true);
      expect(Array.from(got.data)).toEqual(Array.from(want.data));
    }
  });

  it.each(CASES)("indexAdd into %j along dim %i: the cpu's sums (alpha 1 and 0.3, zero and non-zero base)", (shape, dim, indices) => {
    const numel = shape.reduce((a, b) => a * b, 1);
    const index = dense(cpu.fromValues("int32", indices) as CpuBuffer, [indices.length]);
    const srcShape = shape.slice();
    srcShape[dim] = indices.length;
    const srcNumel = srcShape.reduce((a, b) => a * b, 1);
    for (const dtype of ["float32"] as const) {
      const src = dense(cpu.fromValues(dtype, Array.from({ length: srcNumel }, (_, i) => Math.cos(i) * 3)) as CpuBuffer, srcShape);
      const zero: View = { buffer: cpu.fromValues(dtype, [0]) as CpuBuffer, shape, strides: shape.map(() => 0), offset: 0 };
      const base = dense(cpu.fromValues(dtype, Array.from({ length: numel }, (_, i) => i / 7)) as CpuBuffer, shape);
      for (const b of [zero, base]) {
        for (const alpha of [1, 0.3]) {
          const want = cpu.alloc(dtype, numel) as CpuBuffer;
          const got = cpu.alloc(dtype, numel) as CpuBuffer;
          cpu.indexAdd(b, dim, index, src, alpha, want);
          expect(wasmIndexAdd(b, dim, index, src, alpha, got, 0)).toBe(true);
          expect(Array.from(got.data)).toEqual(Array.from(want.data));
        }
      }
    }
  });

  it("float64 scatter-adds and a large table read for a few rows stay on the cpu kernels", () => {
    const z: View = { buffer: cpu.fromValues("float64", [0]) as CpuBuffer, shape: [4, 4], strides: [0, 0], offset: 0 };
    const rows = dense(cpu.alloc("float64", 8) as CpuBuffer, [2, 4]);
    const two = dense(cpu.fromValues("int32", [1, 2]) as CpuBuffer, [2]);
    expect(wasmIndexAdd(z, 0, two, rows, 1, cpu.alloc("float64", 16) as CpuBuffer, 0)).toBe(false);
    const x = dense(cpu.alloc("float32", 4000 * 32) as CpuBuffer, [4000, 32]);
    const index = dense(cpu.fromValues("int32", [1, 2, 3]) as CpuBuffer, [3]);
    expect(wasmIndexSelect(x, 0, index, cpu.alloc("float32", 96) as CpuBuffer, 0)).toBe(false);
    // through the backend: the cpu kernel's result
    const got = wasm.alloc("float32", 96) as CpuBuffer;
    wasm.indexSelect(x, 0, index, got);
    expect(Array.from(got.data)).toEqual(new Array(96).fill(0));
  });
});
