/**
 * nn's classification losses on webgpu against the cpu oracle: crossEntropy and nllLoss with
 * class-index targets (every reduction, ignoreIndex, class weights, label smoothing, [N, C, d]
 * inputs), values and gradients. Sync reads throw on webgpu, so these also prove that no target
 * is read on the host; a bad target is an IndexError naming the loss at the next read.
 */

import { expect, it } from "vitest";
import { Generator, oneHot, randint, randn, tensor, type Tensor } from "@tensorgrad/autograd";
import { crossEntropy, functional, nllLoss, type CrossEntropyOptions } from "@tensorgrad/nn";
import { describeGpu, host } from "./gpu.js";

const gen = new Generator(15_2026);
const rnd = (...shape: number[]): Tensor => randn(shape, { device: "cpu", generator: gen });
const TOL = { rtol: 2e-5, atol: 2e-6 };

type Loss = (x: Tensor, t: Tensor, options: CrossEntropyOptions) => Tensor;

/** The loss and the input's gradient (through a random upstream weighting) on the cpu and on webgpu, compared. */
async function parity(loss: Loss, x: Tensor, t: Tensor, options: CrossEntropyOptions): Promise<void> {
  const xc = x.clone().requiresGrad_();
  const lc = loss(xc, t, options);
  const w = rnd(...lc.shape);
  lc.mul(w).sum().backward();
  const gpuOptions = options.weight ? { ...options, weight: options.weight.to("webgpu") } : options;
  const xg = x.to("webgpu").requiresGrad_();
  const lg = loss(xg, t.to("webgpu"), gpuOptions);
  lg.mul(w.to("webgpu")).sum().backward();
  expect(lg.shape).toEqual(lc.shape);
  expect(await host(lg)).toBeAllclose(lc, TOL);
  expect(await host(xg.grad!)).toBeAllclose(xc.grad!, TOL);
}

/** Targets in [0, c) with every third one set to ignoreIndex −100 (PyTorch's default). */
function withIgnored(c: number, ...shape: number[]): Tensor {
  const values = randint(0, c, shape, { device: "cpu", generator: gen }).reshape([-1]).toArray() as number[];
  return tensor(values.map((v, i) => (i % 3 === 1 ? -100 : v)), { dtype: "int32", device: "cpu" }).reshape(shape);
}

const REDUCTIONS = ["mean", "sum", "none"] as const;
const LOSSES: [string, Loss][] = [
  ["crossEntropy", crossEntropy],
  ["nllLoss", (x, t, o) => nllLoss(x.logSoftmax(1), t, { reduction: o.reduction, weight: o.weight, ignoreIndex: o.ignoreIndex })],
];

describeGpu("classification losses on webgpu vs the cpu oracle (no host read of the targets)", () => {
  for (const [name, loss] of LOSSES) {
    it.each(REDUCTIONS)(`${name}, reduction %s: plain, ignoreIndex, class weights, both`, async (reduction) => {
      const x = rnd(9, 5).mul(4);
      const t = randint(0, 5, [9], { device: "cpu", generator: gen });
      const weight = rnd(5).abs().add(0.1);
      await parity(loss, x, t, { reduction });
      await parity(loss, x, withIgnored(5, 9), { reduction });
      await parity(loss, x, t, { reduction, weight });
      await parity(loss, x, withIgnored(5, 9), { reduction, weight });
      await parity(loss, x, t, { reduction, ignoreIndex: 2 }); // a class index as ignoreIndex
    });

    it(`${name} on [N, C, d] inputs with ignored positions`, async () => {
      await parity(loss, rnd(4, 3, 6), withIgnored(3, 4, 6), { reduction: "mean" });
      await parity(loss, rnd(4, 3, 6), withIgnored(3, 4, 6), { reduction: "none" });
    });
  }

  it.each(REDUCTIONS)("crossEntropy with label smoothing, reduction %s (with weights and ignored targets)", async (reduction) => {
    const x = rnd(8, 4).mul(3);
    await parity(crossEntropy, x, withIgnored(4, 8), { reduction, labelSmoothing: 0.1 });
    await parity(crossEntropy, x, withIgnored(4, 8), { reduction, labelSmoothing: 0.2, weight: rnd(4).abs().add(0.5) });
  });

  it.each(REDUCTIONS)("crossEntropy with class probabilities, reduction %s (weights, label smoothing)", async (reduction) => {
    const x = rnd(6, 4, 3);
    const y = rnd(6, 4, 3).softmax(1);
    await parity(crossEntropy, x, y, { reduction });
    await parity(crossEntropy, x, y, { reduction, labelSmoothing: 0.1, weight: rnd(4).abs() });
  });

  it("crossEntropy mean over targets that are all ignored is NaN, as on the cpu (0/0)", async () => {
    const t = tensor([-100, -100], { dtype: "int32", device: "cpu" });
    expect(crossEntropy(rnd(2, 3), t).item()).toBeNaN();
    expect(await crossEntropy(rnd(2, 3).to("webgpu"), t.to("webgpu")).itemAsync()).toBeNaN();
  });

  it("a target out of range is an IndexError naming the loss at the next read (the kernel flags it)", async () => {
    const x = rnd(3, 4).to("webgpu");
    for (const [name, f] of [["crossEntropy", crossEntropy], ["nllLoss", nllLoss]] as const) {
      for (const bad of [[0, 4, 1], [-1, 0, 2], [0, -7, 3]]) {
        const loss = f(x, tensor(bad, { dtype: "int32", device: "webgpu" })); // nothing read yet
        await expect(loss.itemAsync()).rejects.toThrow(new RegExp(`webgpu: ${name}: an index was out of range`));
        await expect(loss.itemAsync()).resolves.toBeTypeOf("number"); // that read cleared the flag
      }
      // ignoreIndex is not out of range
      await expect(f(x, tensor([0, 9, 3], { dtype: "int32", device: "webgpu" }), { ignoreIndex: 9 }).itemAsync()).resolves.toBeTypeOf("number");
    }
    // the cpu checks on the host, at once
    expect(() => crossEntropy(rnd(3, 4), tensor([0, 4, 1], { dtype: "int32", device: "cpu" }))).toThrow("crossEntropy: target 4 is out of bounds for 4 classes");
  });

  it("oneHot (autograd's and nn's) with numClasses: no host read, a bad index is an IndexError naming oneHot at the next read", async () => {
    const idx = tensor([[2, 0], [1, 2]], { dtype: "int32", device: "cpu" });
    for (const f of [oneHot, functional.oneHot]) {
      expect(await host(f(idx.to("webgpu"), 4))).toEqual(f(idx, 4).toArray());
      const bad = f(tensor([1, 4, 0], { dtype: "int32", device: "webgpu" }), 4);
      await expect(bad.toArrayAsync()).rejects.toThrow(/webgpu: oneHot: an index was out of range/);
      await expect(f(tensor([-1], { dtype: "int32", device: "webgpu" }), 3).toArrayAsync()).rejects.toThrow(/oneHot/);
      expect(() => f(idx.to("webgpu"))).toThrow(/oneHot: numClasses -1 \(infer\) needs the largest index read on the host.*pass numClasses/);
    }
  });
});
