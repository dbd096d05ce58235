/**
 * Parity of the wasm max-pooling kernels (backend/wasm/pool.ts, assembly/pool.ts) with the cpu
 * oracle (cpuMaxPool2d, cpuMaxPool2dBackward): values, indices and the gradient scatter must be
 * identical, float32 and float64, one thread and several, over odd sizes, strides, padding,
 * dilation, overlapping windows, strided inputs, ties, −∞ and NaN. PyTorch's choice among ties
 * is pinned by test/goldens/conv_pool.json (run by test/autograd/conv-pool.test.ts, on the wasm
 * kernels in the wasm-forced project).
 */

import { afterAll, describe, expect, it } from "vitest";
import { createCpuBackend, setNumThreads, wasmSimdSupported, type StridedView, type Window2d } from "@tensorgrad/autograd";
import type { CpuBuffer } from "../../packages/autograd/src/backend/cpu/cpu-backend.js";
import { wasmMaxPool2d, wasmMaxPool2dBackward } from "../../packages/autograd/src/backend/wasm/pool.js";
import { mulberry32, numel } from "../helpers/kernel-data.js";

type View = StridedView<CpuBuffer>;
type FloatDType = "float32" | "float64";

const cpu = createCpuBackend();

/** Deterministic values: small integers (many ties) or uniform in [-1, 1), with some −∞ and NaN. */
function random(seed: number, ties: boolean): () => number {
  const next = mulberry32(seed);
  return () => {
    const u = next();
    if (u < 0.01) return NaN;
    if (u < 0.03) return -Infinity;
    return ties ? Math.floor(u * 3) : u * 2 - 1;
  };
}


/** A view of `shape`: row-major, or every other element of a wider buffer from offset 1. */
function makeView(dtype: FloatDType, shape: readonly number[], stepped: boolean, rand: () => number): View {
  const n = numel(shape);
  const strides: number[] = [];
  for (let i = shape.length - 1, acc = stepped ? 2 : 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i];
  }
  const values = Array.from({ length: stepped ? 2 * n + 1 : n }, rand);
  return { buffer: cpu.fromValues(dtype, values), shape, strides, offset: stepped ? 1 : 0 };
}

interface Case {
  readonly name: string;
  readonly shape: [number, number, number, number];
  readonly k: [number, number];
  readonly s: [number, number];
  readonly p: [number, number];
  readonly d: [number, number];
  readonly ceil?: boolean;
}

const CASES: Case[] = [
  { name: "2×2, stride 2 (the cnn example's pool)", shape: [3, 4, 8, 6], k: [2, 2], s: [2, 2], p: [0, 0], d: [1, 1] },
  { name: "2×2, stride 2, wide rows (the float32 SIMD path, 4 outputs a step, and a scalar tail)", shape: [2, 3, 12, 46], k: [2, 2], s: [2, 2], p: [0, 0], d: [1, 1] },
  { name: "odd size, 2×2 stride 2 drops the last row and column", shape: [2, 3, 7, 9], k: [2, 2], s: [2, 2], p: [0, 0], d: [1, 1] },
  { name: "3×3 stride 1 padding 1 (overlapping windows)", shape: [2, 3, 7, 6], k: [3, 3], s: [1, 1], p: [1, 1], d: [1, 1] },
  { name: "3×2, stride (2, 1), padding (1, 0), dilation (2, 1)", shape: [1, 5, 9, 7], k: [3, 2], s: [2, 1], p: [1, 0], d: [2, 1] },
  { name: "ceil mode: the last window starts inside and runs past the edge", shape: [2, 2, 7, 7], k: [2, 2], s: [2, 2], p: [0, 0], d: [1, 1], ceil: true },
];

/** PyTorch's pooling output size (as ops/window-args.ts's poolOutputSize). */
function outSize(size: number, k: number, p: number, s: number, d: number, ceil: boolean): number {
  let out = Math.floor((size + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

describe.skipIf(!wasmSimdSupported())("wasm max pooling matches the cpu oracle bit for bit", () => {
  afterAll(() => setNumThreads(2));
  for (const threads of [1, 2]) {
    for (const dtype of ["float32", "float64"] as const) {
      describe(`${dtype}, ${threads} thread${threads > 1 ? "s" : ""}`, () => {
        CASES.forEach((c, ci) => {
          for (const ties of [false, true]) {
            it(`${c.name}${ties ? ", integer values (ties)" : ""}`, () => {
              setNumThreads(threads);
              const [N, C, H, W] = c.shape;
              const ceil = c.ceil ?? false;
              const oh = outSize(H, c.k[0], c.p[0], c.s[0], c.d[0], ceil);
              const ow = outSize(W, c.k[1], c.p[1], c.s[1], c.d[1], ceil);
              const win: Window2d = { kh: c.k[0], kw: c.k[1], sh: c.s[0], sw: c.s[1], ph: c.p[0], pw: c.p[1], dh: c.d[0], dw: c.d[1], oh, ow };
              const rand = random(100 * ci + 10 * threads + (dtype === "float32" ? 1 : 2) + (ties ? 5 : 0), ties);
              const x = makeView(dtype, c.shape, ci % 2 === 1, rand);
              const m = N * C * oh * ow;
              const [values, indices] = [cpu.alloc(dtype, m), cpu.alloc("int32", m)];
              const [wantValues, wantIndices] = [cpu.alloc(dtype, m), cpu.alloc("int32", m)];
              // one plane per thread share at the least: every case splits when threads > 1
              expect(wasmMaxPool2d(x, win, values, indices, 0, 1)).toBe(true);
              cpu.maxPool2d(x, win, wantValues, wantIndices);
              expect(Array.from(values.data)).toEqual(Array.from(wantValues.data));
              expect(Array.from(indices.data)).toEqual(Array.from(wantIndices.data));

              const g = makeView(dtype, [N, C, oh, ow], ci % 2 === 0, random(7 + ci, false));
              const idx: View = { buffer: indices, shape: [N, C, oh, ow], strides: [C * oh * ow, oh * ow, ow, 1], offset: 0 };
              const [dx, dxWant] = [cpu.alloc(dtype, N * C * H * W), cpu.alloc(dtype, N * C * H * W)];
              expect(wasmMaxPool2dBackward(g, idx, H, W, dx, 0, 1)).toBe(true);
              cpu.maxPool2dBackward(g, idx, H, W, dxWant);
              expect(Array.from(dx.data)).toEqual(Array.from(dxWant.data));
            });
          }
        });
      });
    }
  }

  it("non-contiguous indices and integer inputs are left to the cpu kernels", () => {
    const x = makeView("float32", [1, 1, 4, 4], false, random(1, false));
    const win: Window2d = { kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0, dh: 1, dw: 1, oh: 2, ow: 2 };
    expect(wasmMaxPool2d({ ...x, buffer: cpu.fromValues("int32", new Array(16).fill(1)) }, win, cpu.alloc("int32", 4), cpu.alloc("int32", 4), 0)).toBe(false);
    const g = makeView("float32", [1, 1, 2, 2], false, random(2, false));
    const idx: View = { buffer: cpu.fromValues("int32", [0, 0, 0, 0, 0, 0, 0, 0]), shape: [1, 1, 2, 2], strides: [8, 8, 4, 2], offset: 0 };
    expect(wasmMaxPool2dBackward(g, idx, 4, 4, cpu.alloc("float32", 16), 0)).toBe(false);
  });
});
