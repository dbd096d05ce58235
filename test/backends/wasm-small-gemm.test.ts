/**
 * The small-k product (assembly/small-gemm.ts, host backend/wasm/small-gemm.ts) and the bias that
 * Backend.matmul adds in the product's output pass, against the cpu backend (the oracle): odd
 * sizes that leave partial 4-row tiles, vector tails and scalar tails, column blocks past the
 * kernel's cache block, transposed / stepped / broadcast operands, strided biases, threads off
 * and on (the kernel is float32; float64 products keep the packed GEMM, which the bias test covers). Through the public API: Linear on a 3-d input (one 2-d product over
 * its merged rows) and matmul of a batched operand by a 2-d one, forward and gradients, wasm = cpu.
 */

import { afterAll, describe, expect, it } from "vitest";
import {
  createCpuBackend, createWasmBackend, linear, setBackend, setNumThreads, tensor, wasmSimdSupported,
  type StridedView, type Tensor,
} from "@tensorgrad/autograd";
import { wasmSmallMatmul } from "../../packages/autograd/src/backend/wasm/small-gemm.js";
import type { CpuBuffer } from "../../packages/autograd/src/backend/cpu/cpu-backend.js";
import { numel, rowMajor, uniform as random } from "../helpers/kernel-data.js";

type View = StridedView<CpuBuffer>;
type FloatDType = "float32" | "float64";
type Layout = "contiguous" | "transposed" | "stepped" | "broadcast";

const cpu = createCpuBackend();


/** A view of `shape` laid out as named (as in wasm-parity.test.ts). */
function makeView(dtype: FloatDType, shape: readonly number[], layout: Layout, rand: () => number): View {
  const r = shape.length;
  const values = (n: number): CpuBuffer => cpu.fromValues(dtype, Array.from({ length: n }, rand));
  switch (layout) {
    case "contiguous":
      return { buffer: values(numel(shape)), shape, strides: rowMajor(shape), offset: 0 };
    case "transposed": {
      const stored = [...shape.slice(0, r - 2), shape[r - 1], shape[r - 2]];
      const s = rowMajor(stored);
      return { buffer: values(numel(stored)), shape, strides: [...s.slice(0, r - 2), s[r - 1], s[r - 2]], offset: 0 };
    }
    case "stepped": {
      const stored = [...shape.slice(0, r - 1), 2 * shape[r - 1]];
      return { buffer: values(numel(stored) + 1), shape, strides: rowMajor(stored).map((s, i) => (i === r - 1 ? 2 : s)), offset: 1 };
    }
    case "broadcast": {
      const inner = makeView(dtype, shape.slice(1), "contiguous", rand);
      return { ...inner, shape, strides: [0, ...inner.strides] };
    }
    default:
      return layout satisfies never;
  }
}

/** A [n] bias: contiguous, or every third value of a longer buffer from offset 2. */
function makeBias(dtype: FloatDType, n: number, strided: boolean, rand: () => number): View {
  if (!strided) return { buffer: cpu.fromValues(dtype, Array.from({ length: n }, rand)), shape: [n], strides: [1], offset: 0 };
  return { buffer: cpu.fromValues(dtype, Array.from({ length: 3 * n + 2 }, rand)), shape: [n], strides: [3], offset: 2 };
}

/**
 * Runs the small-k product and the cpu oracle (product, then the bias added) on the same views
 * and checks each element within rtol·(Σ_p |a_ip||b_pj| + |bias_j|), the rounding a float sum can carry.
 */
function expectParity(a: View, b: View, bias: View | undefined, threadMacs: number): void {
  const r = a.shape.length;
  const [m, k, n] = [a.shape[r - 2], a.shape[r - 1], b.shape[r - 1]];
  const outShape = [...a.shape.slice(0, r - 2), m, n];
  const dtype = a.buffer.dtype as FloatDType;
  const got = cpu.alloc(dtype, numel(outShape));
  const want = cpu.alloc(dtype, numel(outShape));
  expect(wasmSmallMatmul(a, b, got, m, k, n, bias, threadMacs)).toBe(true);
  cpu.matmul(a, b, want, bias);
  const absOf = (v: View): View => ({ ...v, buffer: cpu.fromValues("float64", Array.from(v.buffer.data, Math.abs)) });
  const scale = cpu.alloc("float64", numel(outShape));
  cpu.matmul(absOf(a), absOf(b), scale, bias === undefined ? undefined : absOf(bias));
  const rtol = dtype === "float32" ? 1e-5 : 1e-12;
  for (let i = 0; i < want.length; i++) {
    const [x, y, s] = [got.data[i], want.data[i], scale.data[i]];
    if (!(Math.abs(x - y) <= rtol * s + 1e-30)) {
      expect.fail(`${JSON.stringify(a.shape)}@${JSON.stringify(b.shape)}: element ${i} is ${x}, cpu says ${y} (scale ${s})`);
    }
  }
}

interface Case {
  readonly a: readonly number[];
  readonly b: readonly number[];
  readonly layouts?: readonly [Layout, Layout];
}

// m: whole 4-row tiles and 1–3 leftover rows; n: two-vector tiles, one-vector and scalar tails,
// and past the 1 KiB column block (256 f32 / 128 f64 columns); k from 1 to the 64 limit, or large
// with n ≤ 64; transposed operands of odd sizes (the wasm transpose's ragged edges).
const CASES: readonly Case[] = [
  { a: [1, 1], b: [1, 8] },
  { a: [4, 3], b: [3, 8] },
  { a: [5, 7], b: [7, 9] },
  { a: [7, 16], b: [16, 13] },
  { a: [13, 32], b: [32, 37] },
  { a: [22, 64], b: [64, 300] },
  { a: [9, 33], b: [33, 517] },
  { a: [18, 32], b: [32, 61], layouts: ["contiguous", "transposed"] }, // Linear's Wᵀ
  { a: [17, 20], b: [20, 30], layouts: ["transposed", "transposed"] },
  { a: [11, 9], b: [9, 19], layouts: ["stepped", "stepped"] },
  { a: [6, 300], b: [300, 64] }, // large k, narrow n (a Linear's input gradient)
  { a: [37, 150], b: [150, 20], layouts: ["transposed", "contiguous"] }, // gᵀ·x (a weight gradient)
  { a: [3, 6, 10], b: [3, 10, 21] },
  { a: [4, 5, 12], b: [4, 12, 33], layouts: ["contiguous", "broadcast"] },
  { a: [3, 7, 8], b: [3, 8, 17], layouts: ["broadcast", "transposed"] },
  // B packed in strips (packsB: n a multiple of 512, or n < 16), every layout of B
  { a: [13, 32], b: [32, 1024] },
  { a: [6, 20], b: [20, 512], layouts: ["transposed", "transposed"] },
  { a: [9, 40], b: [40, 10] },
  { a: [5, 70], b: [70, 13], layouts: ["contiguous", "transposed"] },
  { a: [7, 9], b: [9, 15], layouts: ["stepped", "stepped"] },
  { a: [3, 5, 12], b: [3, 12, 9], layouts: ["contiguous", "broadcast"] },
];

describe.runIf(wasmSimdSupported())("wasm small-k matmul", () => {
  afterAll(() => setNumThreads(1));

  it("is float32 only: a float64 product is left to the packed GEMM", () => {
    const rand = random(3);
    const a = makeView("float64", [5, 7], "contiguous", rand);
    const b = makeView("float64", [7, 9], "contiguous", rand);
    expect(wasmSmallMatmul(a, b, cpu.alloc("float64", 45), 5, 7, 9, undefined, 1)).toBe(false);
  });

  describe.each([
    { dtype: "float32" as const, threads: 1 },
    { dtype: "float32" as const, threads: 2 },
    { dtype: "float32" as const, threads: 3 }, // uneven row splits
  ])("$dtype, $threads thread(s)", ({ dtype, threads }) => {
    it.each(CASES)("$a @ $b ($layouts)", ({ a, b, layouts = ["contiguous", "contiguous"] }) => {
      setNumThreads(threads);
      const rand = random(a[a.length - 2] * 131 + b[b.length - 1]);
      const av = makeView(dtype, a, layouts[0], rand);
      const bv = makeView(dtype, b, layouts[1], rand);
      const n = b[b.length - 1];
      expectParity(av, bv, undefined, 1); // threadMacs 1: split whenever threads are on
      expectParity(av, bv, makeBias(dtype, n, false, rand), 1);
      expectParity(av, bv, makeBias(dtype, n, true, rand), 1);
    });
  });

  it("Backend.matmul adds the bias on every path (thin, small-k, packed) as the cpu does", () => {
    const wasm = createWasmBackend();
    const rand = random(5);
    for (const [m, k, n] of [[1, 30, 40], [20, 1, 9], [30, 40, 1], [64, 32, 100], [40, 100, 50]]) {
      for (const dtype of ["float32", "float64"] as const) {
        const a = makeView(dtype, [m, k], "contiguous", rand);
        const b = makeView(dtype, [k, n], "contiguous", rand);
        const bias = makeBias(dtype, n, true, rand);
        const got = wasm.alloc(dtype, m * n);
        const plain = cpu.alloc(dtype, m * n);
        const want = cpu.alloc(dtype, m * n);
        wasm.matmul(a, b, got, bias);
        cpu.matmul(a, b, plain);
        cpu.matmul(a, b, want, bias);
        // the cpu's bias: the product's own rounding, then the add, as a separate add would give
        for (let i = 0; i < m * n; i++) expect(want.data[i]).toBe(dtype === "float32" ? Math.fround(plain.data[i] + bias.buffer.data[2 + 3 * (i % n)]) : plain.data[i] + bias.buffer.data[2 + 3 * (i % n)]);
        const tol = dtype === "float32" ? 1e-5 : 1e-12;
        for (let i = 0; i < m * n; i++) expect(Math.abs(got.data[i] - want.data[i])).toBeLessThanOrEqual(tol * (k + 1));
      }
    }
  });

  describe("through the public API", () => {
    afterAll(() => setBackend("cpu"));

    it.each(["float32", "float64"] as const)("Linear on [T, B, in] and x[..., k] @ W[k, n]: wasm = cpu, values and gradients (%s)", (dtype) => {
      const rand = random(9);
      const data = (n: number): number[] => Array.from({ length: n }, rand);
      const [x, w, b, w2] = [data(5 * 3 * 16), data(40 * 16), data(40), data(40 * 24)];
      const run = (backend: string): Tensor[] => {
        setBackend(backend);
        const X = tensor(x, { dtype, shape: [5, 3, 16], requiresGrad: true });
        const W = tensor(w, { dtype, shape: [40, 16], requiresGrad: true });
        const B = tensor(b, { dtype, shape: [40], requiresGrad: true });
        const W2 = tensor(w2, { dtype, shape: [40, 24], requiresGrad: true });
        // X.transpose(0, 1) does not merge its leading dims: the batched path with stride-0 Wᵀ
        const h = linear(X, W, B).tanh().add(linear(X.transpose(0, 1), W, B).transpose(0, 1));
        const out = h.matmul(W2).add(h.permute([1, 0, 2]).matmul(W2).permute([1, 0, 2]));
        const loss = out.square().mean();
        loss.backward();
        return [out, X.grad!, W.grad!, B.grad!, W2.grad!];
      };
      const onWasm = run("wasm");
      const onCpu = run("cpu");
      // sums of 16–40 products of values near 1, cancelling: float32 rounding ~ 40·2⁻²⁴·|terms|
      const tol = dtype === "float32" ? { rtol: 1e-4, atol: 3e-5 } : { rtol: 1e-10, atol: 1e-13 };
      for (let i = 0; i < onCpu.length; i++) expect(onWasm[i]).toBeAllclose(onCpu[i], tol);
    });
  });
});
