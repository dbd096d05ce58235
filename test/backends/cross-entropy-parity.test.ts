/**
 * The fused cross entropy of logits against class indices (ops/softmax-cross-entropy.ts; kernels
 * cpu/softmax.ts, the oracle, and assembly/softmax.ts): wasm against cpu through the Backend
 * interface at row lengths with and without vector tails, large logits (the max subtraction),
 * one thread and split across threads; and the op against the hand formula
 * ℓ = log Σ e^x − x[t], ∂ℓ/∂x = softmax(x) − onehot(t), forward and backward, on every backend.
 */

import { describe, expect, it } from "vitest";
import { createCpuBackend, setNumThreads, softmaxCrossEntropy, tensor, wasmSimdSupported } from "@tensorgrad/autograd";
import type { CpuBuffer } from "../../packages/autograd/src/backend/cpu/cpu-backend.js";
import { wasmSoftmaxCrossEntropy, wasmSoftmaxCrossEntropyBackward } from "../../packages/autograd/src/backend/wasm/softmax.js";
import { uniform } from "../helpers/kernel-data.js";

const cpu = createCpuBackend();

describe("softmaxCrossEntropy against the hand formula", () => {
  it("forward and gradient: log(1 + 3) − ln 3 and softmax − onehot, scaled by the upstream gradient", () => {
    const x = tensor([[0, Math.log(3)], [1, 1]], { dtype: "float64", requiresGrad: true });
    const loss = softmaxCrossEntropy(x, tensor([1, 0], { dtype: "int32" }));
    expect(loss).toBeAllclose([Math.log(4 / 3), Math.log(2)], { rtol: 1e-12 });
    loss.backward(tensor([1, 2], { dtype: "float64" }));
    expect(x.grad).toBeAllclose([[0.25, -0.25], [2 * (0.5 - 1), 2 * 0.5]], { rtol: 1e-12 });
  });

  it("is finite for logits of ±1e4 (the row max is subtracted) and refuses wrong shapes and dtypes", () => {
    expect(softmaxCrossEntropy(tensor([[1e4, -1e4, 0]]), tensor([1], { dtype: "int32" }))).toBeAllclose([2e4], { rtol: 1e-6 });
    expect(() => softmaxCrossEntropy(tensor([1, 2]), tensor([0], { dtype: "int32" }))).toThrow("softmaxCrossEntropy: expected input [N, C] and target [N], got [2] and [1]");
    expect(() => softmaxCrossEntropy(tensor([[1, 2]]), tensor([0]))).toThrow("softmaxCrossEntropy: target must be int32 class indices, got float32");
  });
});

describe.runIf(wasmSimdSupported())("wasm softmaxCrossEntropy and its backward against the cpu's", () => {
  it.each([[1, 1], [3, 5], [7, 65], [33, 27], [20, 3985]])("[%i, %i]: loss and gradient within float32 rounding, one thread and split", (rows, cols) => {
    const rand = uniform(rows * 7 + cols, 8);
    const xs = Array.from({ length: rows * cols }, rand);
    xs[0] += 60; // a large logit: exp would overflow without the max subtracted
    const x = cpu.fromValues("float32", xs) as CpuBuffer;
    const t = cpu.fromValues("int32", Array.from({ length: rows }, (_, i) => (i * 13) % cols)) as CpuBuffer;
    const g = cpu.fromValues("float32", Array.from({ length: rows }, (_, i) => 1 + Math.sin(i))) as CpuBuffer;
    const want = [cpu.alloc("float32", rows) as CpuBuffer, cpu.alloc("float32", rows * cols) as CpuBuffer];
    cpu.softmaxCrossEntropy(x, t, rows, cols, want[0]);
    cpu.softmaxCrossEntropyBackward(g, x, t, rows, cols, want[1]);
    try {
      for (const [threads, perThread] of [[1, Infinity], [2, 1], [3, 1]]) {
        setNumThreads(threads);
        const got = [cpu.alloc("float32", rows) as CpuBuffer, cpu.alloc("float32", rows * cols) as CpuBuffer];
        expect(wasmSoftmaxCrossEntropy(x, t, rows, cols, got[0], 0, perThread)).toBe(true);
        expect(wasmSoftmaxCrossEntropyBackward(g, x, t, rows, cols, got[1], 0, perThread)).toBe(true);
        // the loss: log Σ (f64 sum of float32 exps, each within 1 ulp) and one f32 rounding; the
        // gradient: one exp and two roundings per element
        for (let i = 0; i < rows; i++) expect(Math.abs(got[0].data[i] - want[0].data[i])).toBeLessThanOrEqual(4e-7 * (Math.abs(want[0].data[i]) + 1));
        for (let i = 0; i < rows * cols; i++) {
          if (!(Math.abs(got[1].data[i] - want[1].data[i]) <= 1e-6 * (Math.abs(want[1].data[i]) + 1e-6))) {
            expect.fail(`gradient element ${i} (${threads} threads): ${got[1].data[i]}, cpu says ${want[1].data[i]}`);
          }
        }
      }
    } finally {
      setNumThreads(1);
    }
  });

  it("float64 is left to the cpu kernels", () => {
    const x = cpu.fromValues("float64", [1, 2, 3, 4]) as CpuBuffer;
    const t = cpu.fromValues("int32", [0, 1]) as CpuBuffer;
    expect(wasmSoftmaxCrossEntropy(x, t, 2, 2, cpu.alloc("float64", 2) as CpuBuffer, 0)).toBe(false);
  });
});
