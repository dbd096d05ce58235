/**
 * memoryScope on webgpu: the GPU memory of the tensors a scope's function creates goes back to
 * the pool when it ends (live bytes counted by hand), except what it returns, what `keep` marks,
 * `.grad`s, parameters, module buffers and optimizer state; a training loop whose steps run in
 * scopes holds exactly flat GPU memory with no garbage collection at all, where the same loop
 * without scopes grows until the collector runs.
 */

import { expect, it } from "vitest";
import { keep, memoryScope, tensor, webgpuMemory, type Tensor } from "@tensorgrad/autograd";
import { Linear, ReLU, Sequential, crossEntropy, optim } from "@tensorgrad/nn";
import { describeGpu } from "./gpu.js";

const live = (): number => webgpuMemory()!.liveBytes;
const gpu = (values: number[]): Tensor => tensor(values, { device: "webgpu" });
// The scalars these tests use, made once: ops cache their device constants (kept by every scope)
gpu([1]).mul(2).add(1);

describeGpu("memoryScope on webgpu", () => {
  it("gives back what the function created, keeps what it returns (with its views) and what keep marks", async () => {
    const x = gpu([1, 2, 3, 4]); // outside: never disposed by the scope
    const before = live();
    let kept: Tensor | null = null;
    const result = memoryScope(() => {
      const a = x.mul(2); // 16 bytes, disposed
      const b = a.add(1); // 16 bytes, disposed
      kept = keep(b.exp()); // 16 bytes, kept
      const c = b.sum(); // 4 bytes (pooled as 16), disposed
      void c;
      const view = x.narrow(0, 1, 2); // a view of outside memory: left alone
      void view;
      return { out: [a.neg().reshape([2, 2]).t()] }; // returned, nested: 16 bytes
    });
    expect(live()).toBe(before + 32); // the kept exp and the returned neg
    expect(await result.out[0].toArrayAsync()).toEqual([[-2, -6], [-4, -8]]);
    expect(tensor(await kept!.toArrayAsync())).toBeAllclose(tensor([1, 2, 3, 4].map((v) => Math.exp(2 * v + 1))), { rtol: 1e-5 });
    expect(await x.toArrayAsync()).toEqual([1, 2, 3, 4]);
  });

  it("a disposed tensor says so when used after its scope", () => {
    let inner: Tensor | null = null;
    memoryScope(() => {
      inner = gpu([1, 2]).mul(3);
    });
    expect(() => inner!.add(1)).toThrow(/memory was disposed/);
  });

  it("nested scopes: what the inner one returns belongs to the outer one, which disposes it", () => {
    const before = live();
    memoryScope(() => {
      const fromInner = memoryScope(() => gpu([1, 2, 3, 4]).mul(2));
      expect(live()).toBe(before + 16); // the inner scope disposed the upload and kept its product
      void fromInner;
    });
    expect(live()).toBe(before);
  });

  it("an error inside disposes too, and the error propagates", () => {
    const before = live();
    expect(() =>
      memoryScope(() => {
        gpu([1, 2, 3, 4]).mul(2);
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(live()).toBe(before);
  });

  it("a training loop in scopes holds exactly flat GPU memory without any garbage collection; without scopes it grows", async () => {
    const model = new Sequential(new Linear(4, 16), new ReLU(), new Linear(16, 3)).to("webgpu");
    const opt = new optim.Adam(model.parameters(), { lr: 1e-2 });
    const x = tensor(Array.from({ length: 32 }, (_, i) => [Math.sin(i), Math.cos(i), i / 32, 1 - i / 32]), { device: "webgpu" });
    const y = tensor(Array.from({ length: 32 }, (_, i) => i % 3), { dtype: "int32", device: "webgpu" });
    const step = (): Tensor => {
      opt.zeroGrad();
      const loss = crossEntropy(model.forward(x), y);
      loss.backward();
      opt.step();
      return loss;
    };
    // The first step creates the gradients and Adam's state inside a scope: they must survive it.
    memoryScope(step);
    const params = model.parameters();
    expect(params.every((p) => p.grad !== null)).toBe(true);
    const settled = live();
    const first = memoryScope(step);
    const firstLoss = await first.itemAsync();
    first.dispose();
    expect(live()).toBe(settled);
    let lastLoss = NaN;
    for (let i = 0; i < 50; i++) {
      const loss = memoryScope(step);
      if (i === 49) lastLoss = await loss.itemAsync();
      loss.dispose();
      expect(live()).toBe(settled); // every step: no growth at all, no collection needed
    }
    expect(lastLoss).toBeLessThan(0.9 * firstLoss); // it trained: Adam's state and the grads survived the scopes
    // the same loop without scopes keeps every step's activations until a collection
    for (let i = 0; i < 50; i++) step();
    expect(live()).toBeGreaterThan(settled + 50 * 1000);
    // and the scoped steps trained: parameters, their grads and Adam's state are alive
    for (const p of params) expect(() => p.add(0)).not.toThrow();
  });
});
