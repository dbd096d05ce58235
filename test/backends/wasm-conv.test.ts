/**
 * Parity of the wasm convolution kernels (backend/wasm/conv.ts, assembly/conv.ts) with the cpu
 * oracle (backend/cpu/conv-kernels.ts), through the Backend interface on random data: strides,
 * padding, dilation, groups, odd sizes that leave partial register tiles, strided operands,
 * float32 and float64, one thread and several. Then float32 accuracy at the MNIST net's scale
 * against PyTorch's float64 results (recorded by wasm_conv_golden.py next to this file): a weight
 * gradient entry sums 43264 products of a large-mean input (as MNIST's background) with a
 * near-zero-mean gradient.
 */

import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import {
  conv2d, createCpuBackend, createWasmBackend, getBackend, maxPool2d, setNumThreads, tensor, wasmSimdSupported,
  type StridedView, type Tensor, type Window2d,
} from "@tensorgrad/autograd";
import type { CpuBuffer } from "../../packages/autograd/src/backend/cpu/cpu-backend.js";
import { numel, uniform as random } from "../helpers/kernel-data.js";

type View = StridedView<CpuBuffer>;
type FloatDType = "float32" | "float64";

const cpu = createCpuBackend();
// Every size goes to wasm, and every product is split over the threads there are.
const wasm = createWasmBackend({ matmulMinMacs: 0, threadMinMacsPerThread: 1 });


/** A random view of `shape`: row-major, or "stepped" (every other element of a wider buffer, from offset 1). */
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
  readonly n: number;
  readonly c: number;
  readonly o: number;
  readonly groups: number;
  readonly h: number;
  readonly w: number;
  readonly k: [number, number];
  readonly stride: [number, number];
  readonly pad: [number, number];
  readonly dilation: [number, number];
}

const CASES: Case[] = [
  { name: "3×3, no padding (the MNIST net's shape, small)", n: 3, c: 4, o: 6, groups: 1, h: 9, w: 9, k: [3, 3], stride: [1, 1], pad: [0, 0], dilation: [1, 1] },
  { name: "odd sizes, padding 1", n: 2, c: 3, o: 7, groups: 1, h: 7, w: 11, k: [3, 3], stride: [1, 1], pad: [1, 1], dilation: [1, 1] },
  { name: "stride (2, 3), padding (1, 2)", n: 2, c: 5, o: 9, groups: 1, h: 10, w: 13, k: [3, 4], stride: [2, 3], pad: [1, 2], dilation: [1, 1] },
  { name: "dilation (2, 1), padding 2", n: 1, c: 2, o: 3, groups: 1, h: 8, w: 6, k: [3, 2], stride: [1, 1], pad: [2, 2], dilation: [2, 1] },
  { name: "groups 2, stride 2", n: 3, c: 6, o: 4, groups: 2, h: 9, w: 7, k: [3, 3], stride: [2, 2], pad: [1, 0], dilation: [1, 1] },
  { name: "depthwise (groups = C)", n: 2, c: 4, o: 8, groups: 4, h: 6, w: 6, k: [3, 3], stride: [1, 1], pad: [1, 1], dilation: [1, 1] },
  { name: "1×1 kernel", n: 2, c: 5, o: 3, groups: 1, h: 4, w: 5, k: [1, 1], stride: [1, 1], pad: [0, 0], dilation: [1, 1] },
  { name: "kernel as large as the padded input, stride past the edge", n: 2, c: 2, o: 2, groups: 1, h: 3, w: 4, k: [3, 4], stride: [2, 2], pad: [1, 1], dilation: [1, 1] },
  { name: "wide (17 channels out, 21 in, a long K)", n: 2, c: 21, o: 17, groups: 1, h: 12, w: 12, k: [3, 3], stride: [1, 1], pad: [0, 0], dilation: [1, 1] },
];

function windowOf(c: Case): Window2d {
  const out = [c.h, c.w].map((size, i) => Math.floor((size + 2 * c.pad[i] - c.dilation[i] * (c.k[i] - 1) - 1) / c.stride[i]) + 1);
  return {
    kh: c.k[0], kw: c.k[1], sh: c.stride[0], sw: c.stride[1], ph: c.pad[0], pw: c.pad[1],
    dh: c.dilation[0], dw: c.dilation[1], oh: out[0], ow: out[1],
  };
}

/** Compares the two backends' results: float64 to rounding, float32 within the rounding of short sums. */
function expectClose(got: CpuBuffer, want: CpuBuffer, dtype: FloatDType): void {
  const tol = dtype === "float64" ? 1e-12 : 2e-5;
  const g = got.data;
  const w = want.data;
  expect(g.length).toBe(w.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < w.length; i++) {
    const err = Math.abs(g[i] - w[i]) / (1 + Math.abs(w[i]));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  expect(worst, `worst relative error ${worst} at index ${at}: wasm ${g[at]}, cpu ${w[at]}`).toBeLessThanOrEqual(tol);
}

describe.skipIf(!wasmSimdSupported())("wasm conv2d kernels match the cpu oracle", () => {
  afterAll(() => setNumThreads(2));

  for (const threads of [1, 2]) {
    for (const dtype of ["float32", "float64"] as const) {
      describe(`${dtype}, ${threads} thread${threads > 1 ? "s" : ""}`, () => {
        CASES.forEach((c, ci) => {
          it(c.name, () => {
            setNumThreads(threads);
            const win = windowOf(c);
            const rand = random(1000 * ci + (dtype === "float32" ? 1 : 2) + 10 * threads);
            const cg = c.c / c.groups;
            const stepped = ci % 2 === 1;
            const x = makeView(dtype, [c.n, c.c, c.h, c.w], stepped, rand);
            const weight = makeView(dtype, [c.o, cg, c.k[0], c.k[1]], !stepped, rand);
            const bias = makeView(dtype, [c.o], stepped, rand);
            const g = makeView(dtype, [c.n, c.o, win.oh, win.ow], stepped, rand);
            const outLen = c.n * c.o * win.oh * win.ow;

            for (const b of [null, bias]) {
              const [got, want] = [cpu.alloc(dtype, outLen), cpu.alloc(dtype, outLen)];
              wasm.conv2d(x, weight, b, win, c.groups, got);
              cpu.conv2d(x, weight, b, win, c.groups, want);
              expectClose(got, want, dtype);
            }

            const dxLen = c.n * c.c * c.h * c.w;
            const [dx, dxWant] = [cpu.alloc(dtype, dxLen), cpu.alloc(dtype, dxLen)];
            wasm.conv2dInputGrad(g, weight, win, c.groups, c.h, c.w, dx);
            cpu.conv2dInputGrad(g, weight, win, c.groups, c.h, c.w, dxWant);
            expectClose(dx, dxWant, dtype);

            const dwLen = numel(weight.shape);
            const [dw, dwWant] = [cpu.alloc(dtype, dwLen), cpu.alloc(dtype, dwLen)];
            wasm.conv2dWeightGrad(x, g, win, c.groups, dw);
            cpu.conv2dWeightGrad(x, g, win, c.groups, dwWant);
            expectClose(dw, dwWant, dtype);
          });
        });
      });
    }
  }

  it("max pooling's backward scatter matches, overlapping windows included", () => {
    const rand = random(7);
    const x = makeView("float32", [2, 3, 7, 6], false, rand);
    const win: Window2d = { kh: 3, kw: 3, sh: 2, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, oh: 4, ow: 6 };
    const n = 2 * 3 * 4 * 6;
    const [values, indices] = [cpu.alloc("float32", n), cpu.alloc("int32", n)];
    wasm.maxPool2d(x, win, values, indices);
    const [v2, i2] = [cpu.alloc("float32", n), cpu.alloc("int32", n)];
    cpu.maxPool2d(x, win, v2, i2);
    expect(Array.from(values.data)).toEqual(Array.from(v2.data));
    expect(Array.from(indices.data)).toEqual(Array.from(i2.data));
    const g = makeView("float32", [2, 3, 4, 6], true, rand);
    const idx: View = { buffer: indices, shape: [2, 3, 4, 6], strides: [72, 24, 6, 1], offset: 0 };
    const [dx, dxWant] = [cpu.alloc("float32", 2 * 3 * 7 * 6), cpu.alloc("float32", 2 * 3 * 7 * 6)];
    wasm.maxPool2dBackward(g, idx, 7, 6, dx);
    cpu.maxPool2dBackward(g, idx, 7, 6, dxWant);
    expect(Array.from(dx.data)).toEqual(Array.from(dxWant.data));
  });
});

/** The golden's inputs: ((i·a + b) mod 2001 − 1000) / 1000 rounded to float32, then ·scale + shift rounded again (as in wasm_conv_golden.py). */
function formula(n: number, a: number, b: number, scale = 1, shift = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = Math.fround((Number((BigInt(i) * BigInt(a) + BigInt(b)) % 2001n) - 1000) / 1000);
    out[i] = scale === 1 && shift === 0 ? v : Math.fround(v * scale + shift);
  }
  return out;
}

interface Golden {
  y: number[];
  z: number[];
  xGrad: number[];
  wGrad: number[];
  bGrad: number[];
  every: number;
}

/** max |got − want| over max |want|: the error relative to the values' scale. */
function scaledError(got: ArrayLike<number>, want: readonly number[], every: number): number {
  let err = 0;
  let scale = 0;
  for (let k = 0; k < want.length; k++) {
    err = Math.max(err, Math.abs(got[k * every] - want[k]));
    scale = Math.max(scale, Math.abs(want[k]));
  }
  return err / scale;
}

describe("float32 convolution at the MNIST net's scale matches PyTorch's float64 results", () => {
  const golden = JSON.parse(readFileSync(new URL("./wasm-conv-golden.json", import.meta.url), "utf8")) as Golden;
  it(`conv2d, its gradients and max pooling's on the ${getBackend().name} backend, within 1e-5 of the scale`, () => {
    const [N, C, O, H, W] = [64, 1, 32, 28, 28];
    const x = tensor(Array.from(formula(N * C * H * W, 7919, 13, 0.1, 1)), { shape: [N, C, H, W], requiresGrad: true });
    const w = tensor(Array.from(formula(O * C * 9, 104729, 5, 0.3)), { shape: [O, C, 3, 3], requiresGrad: true });
    const b = tensor(Array.from(formula(O, 31, 7)), { shape: [O], requiresGrad: true });
    const G = tensor(Array.from(formula(N * O * 26 * 26, 1299709, 3)), { shape: [N, O, 26, 26] });
    const P = tensor(Array.from(formula(N * O * 13 * 13, 15485863, 11)), { shape: [N, O, 13, 13] });
    const y = conv2d(x, w, b);
    const z = maxPool2d(y, 2) as Tensor;
    y.mul(G).sum().add(z.mul(P).sum()).backward();
    const e = golden.every;
    expect(scaledError(y.toTypedArray(), golden.y, e)).toBeLessThan(1e-6);
    expect(scaledError(z.toTypedArray(), golden.z, e)).toBeLessThan(1e-6);
    expect(scaledError((x.grad as Tensor).toTypedArray(), golden.xGrad, e)).toBeLessThan(1e-5); // measured 2.0e-6
    // 43264 products per entry, small against their terms (measured 2.6e-7): one float32 chain
    // over the whole batch would be far off; the kernels sum each image's product in float64.
    expect(scaledError((w.grad as Tensor).toTypedArray(), golden.wGrad, 1)).toBeLessThan(1e-5);
    expect(scaledError((b.grad as Tensor).toTypedArray(), golden.bGrad, 1)).toBeLessThan(1e-5);
  });
});
