/**
 * The batched small product (assembly/batched-gemm.ts, host backend/wasm/batched-gemm.ts) against
 * the cpu backend (the oracle): attention's layouts (q, k and v as strided views of one [B, T, 3C]
 * buffer, kᵀ as a transposed view, the gradients' transposed operands), contiguous and broadcast
 * (stride-0) entries, odd sizes that leave the small-k kernel's row, vector and scalar tails, and
 * the cases it must refuse. Through the public API: causal attention over q/k/v split from one
 * tensor, values and gradients, wasm = cpu.
 */

import { afterAll, describe, expect, it } from "vitest";
import { createCpuBackend, scaledDotProductAttention, setBackend, tensor, wasmSimdSupported, type StridedView, type Tensor } from "@tensorgrad/autograd";
import { wasmBatchedMatmul } from "../../packages/autograd/src/backend/wasm/batched-gemm.js";
import type { CpuBuffer } from "../../packages/autograd/src/backend/cpu/cpu-backend.js";
import { numel, rowMajor, uniform } from "../helpers/kernel-data.js";

type View = StridedView<CpuBuffer>;

const cpu = createCpuBackend();

function values(dtype: "float32" | "float64", n: number, rand: () => number): CpuBuffer {
  return cpu.fromValues(dtype, Array.from({ length: n }, rand));
}

/** wasmBatchedMatmul runs (returns true) and agrees with cpu.matmul within float32 rounding of each sum. */
function expectParity(a: View, b: View): void {
  const r = a.shape.length;
  const [m, k, n] = [a.shape[r - 2], a.shape[r - 1], b.shape[r - 1]];
  const outShape = [...a.shape.slice(0, r - 2), m, n];
  const got = cpu.alloc("float32", numel(outShape));
  const want = cpu.alloc("float32", numel(outShape));
  expect(wasmBatchedMatmul(a, b, got, m, k, n)).toBe(true);
  cpu.matmul(a, b, want);
  const absOf = (v: View): View => ({ ...v, buffer: cpu.fromValues("float64", Array.from(v.buffer.data, Math.abs)) });
  const scale = cpu.alloc("float64", numel(outShape));
  cpu.matmul(absOf(a), absOf(b), scale);
  for (let i = 0; i < want.length; i++) {
    const [x, y, s] = [got.data[i], want.data[i], scale.data[i]];
    if (!(Math.abs(x - y) <= 1e-5 * s + 1e-30)) expect.fail(`${JSON.stringify(a.shape)}@${JSON.stringify(b.shape)}: element ${i} is ${x}, cpu says ${y} (scale ${s})`);
  }
}

/** q, k and v of causal attention as nanoGPT makes them: [B, H, T, D] views of one [B, T, 3·H·D] buffer. */
function qkvViews(B: number, H: number, T: number, D: number, rand: () => number): [View, View, View] {
  const C = H * D;
  const buffer = values("float32", B * T * 3 * C, rand);
  const view = (part: number): View => ({ buffer, shape: [B, H, T, D], strides: [T * 3 * C, D, 3 * C, 1], offset: part * C });
  return [view(0), view(1), view(2)];
}

/** The last two dims of v swapped (a transposed view, as .mT). */
const mT = (v: View): View => {
  const r = v.shape.length;
  return {
    ...v,
    shape: [...v.shape.slice(0, r - 2), v.shape[r - 1], v.shape[r - 2]],
    strides: [...v.strides.slice(0, r - 2), v.strides[r - 1], v.strides[r - 2]],
  };
};

function contiguous(shape: readonly number[], rand: () => number): View {
  return { buffer: values("float32", numel(shape), rand), shape, strides: rowMajor(shape), offset: 0 };
}

describe.runIf(wasmSimdSupported())("wasm batched small matmul", () => {
  it.each([
    [2, 2, 32, 16], // the GPT probe's heads, fewer batches
    [3, 2, 7, 5], // odd sizes: partial row tiles, no whole vector in D
    [2, 3, 13, 12],
  ])("attention's products over q, k, v split from one buffer (B %i, H %i, T %i, D %i)", (B, H, T, D) => {
    const rand = uniform(B * 100 + T);
    const [q, k, v] = qkvViews(B, H, T, D, rand);
    const att = contiguous([B, H, T, T], rand);
    const g = contiguous([B, H, T, D], rand);
    expectParity(q, mT(k)); // scores = q·kᵀ (n = T)
    expectParity(att, v); // y = att·v
    expectParity(g, mT(v)); // ∂att = g·vᵀ
    expectParity(mT(att), g); // ∂v = attᵀ·g
    expectParity(mT(q), contiguous([B, H, T, T], rand)); // ∂k-like: a transposed strided A
  });

  it("contiguous entries, a broadcast (stride-0) right operand, and a second batch dim", () => {
    const rand = uniform(7);
    expectParity(contiguous([5, 9, 11], rand), contiguous([5, 11, 10], rand));
    const inner = contiguous([6, 17], rand);
    expectParity(contiguous([2, 3, 4, 6], rand), { ...inner, shape: [2, 3, 6, 17], strides: [0, 0, 17, 1] });
    const a = contiguous([3, 8, 4], rand);
    expectParity({ ...a, shape: [2, 3, 8, 4], strides: [0, 32, 4, 1] }, contiguous([2, 3, 4, 9], rand));
  });

  it("refuses what it does not handle: float64, one entry, a negative stride", () => {
    const rand = uniform(3);
    const a64: View = { buffer: values("float64", 2 * 4 * 3, rand), shape: [2, 4, 3], strides: [12, 3, 1], offset: 0 };
    const b64: View = { buffer: values("float64", 2 * 3 * 8, rand), shape: [2, 3, 8], strides: [24, 8, 1], offset: 0 };
    expect(wasmBatchedMatmul(a64, b64, cpu.alloc("float64", 64), 4, 3, 8)).toBe(false);
    expect(wasmBatchedMatmul(contiguous([1, 4, 3], rand), contiguous([1, 3, 8], rand), cpu.alloc("float32", 32), 4, 3, 8)).toBe(false);
    const b = contiguous([2, 3, 8], rand);
    expect(wasmBatchedMatmul(contiguous([2, 4, 3], rand), { ...b, strides: [-24, 8, 1], offset: 24 }, cpu.alloc("float32", 64), 4, 3, 8)).toBe(false);
  });

  describe("through the public API", () => {
    afterAll(() => setBackend("cpu"));

    it("causal attention over q, k, v split from one tensor: wasm = cpu, values and gradients", () => {
      const [B, T, H, D] = [3, 16, 2, 8]; // 16·16·8 multiply-adds per entry: past the wasm matmul threshold
      const C = H * D;
      const rand = uniform(11);
      const x = Array.from({ length: B * T * 3 * C }, rand);
      const gy = Array.from({ length: B * H * T * D }, rand);
      const run = (backend: string): Tensor[] => {
        setBackend(backend);
        const X = tensor(x, { shape: [B, T, 3 * C], requiresGrad: true });
        const [q, k, v] = X.split(C, 2).map((t) => t.reshape([B, T, H, D]).transpose(1, 2));
        const y = scaledDotProductAttention(q, k, v, { isCausal: true });
        y.mul(tensor(gy, { shape: [B, H, T, D] })).sum().backward();
        return [y, X.grad!];
      };
      const onWasm = run("wasm");
      const onCpu = run("cpu");
      for (let i = 0; i < onCpu.length; i++) expect(onWasm[i]).toBeAllclose(onCpu[i], { rtol: 1e-4, atol: 1e-5 });
    });
  });
});
