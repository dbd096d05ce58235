/**
 * Training-step pieces of nn on webgpu against the cpu oracle: clipGradNorm_ (the tensor form,
 * clipped on the device), clipGradValue_, every optimizer's step, BatchNorm in training mode,
 * ReduceLROnPlateau with a GPU metric, and a small CNN trained end to end.
 * Sync reads throw on webgpu, so passing also proves these read nothing on the host.
 */

import { expect, it } from "vitest";
import { Generator, noGrad, randn, tensor, type Tensor } from "@tensorgrad/autograd";
import { BatchNorm1d, BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, Parameter, ReLU, Sequential, crossEntropy, optim } from "@tensorgrad/nn";
import { describeGpu, host, train } from "./gpu.js";

const gen = new Generator(1515);
const rnd = (...shape: number[]): Tensor => randn(shape, { device: "cpu", generator: gen });
const TOL = { rtol: 2e-5, atol: 2e-6 };

/** Parameters with the given gradients, on `device`. */
function withGrads(device: "cpu" | "webgpu", grads: readonly Tensor[]): Parameter[] {
  return grads.map((g) => {
    const p = new Parameter(g.zerosLike().to(device));
    p.grad = g.clone().to(device);
    return p;
  });
}

describeGpu("nn's training-step pieces on webgpu vs the cpu oracle (no host read)", () => {
  it.each([2, 1, 3, Infinity])("clipGradNorm_ of order %s with { returnTensor: true }: the norm as a 0-d tensor, gradients scaled on the device", async (p) => {
    const grads = [rnd(3, 4).mul(3), rnd(5), rnd(2, 2, 2)];
    const cpu = withGrads("cpu", grads);
    const gpu = withGrads("webgpu", grads);
    const expected = optim.clipGradNorm_(cpu, 1.5, p);
    const total = optim.clipGradNorm_(gpu, 1.5, p, { returnTensor: true });
    expect(total.device).toBe("webgpu");
    expect(total.shape).toEqual([]);
    expect(await total.itemAsync()).toBeCloseTo(expected, 4);
    for (let i = 0; i < grads.length; i++) expect(await host(gpu[i].grad!)).toBeAllclose(cpu[i].grad!, TOL);
  });

  it("clipGradNorm_ tensor form: hand values, below maxNorm nothing changes, and the cpu gets the same tensor form", async () => {
    for (const device of ["cpu", "webgpu"] as const) {
      const [a, b] = withGrads(device, [tensor([3, 4], { device: "cpu" }), tensor([12], { device: "cpu" })]); // total √169 = 13
      const total = optim.clipGradNorm_([a, b], 6.5, 2, { returnTensor: true });
      expect(total.device).toBe(device);
      expect(await total.itemAsync()).toBeCloseTo(13, 5);
      const c = 6.5 / (13 + 1e-6);
      expect(await a.grad!.toArrayAsync()).toBeAllclose([3 * c, 4 * c], TOL);
      expect(await b.grad!.toArrayAsync()).toBeAllclose([12 * c], TOL);
      const [small] = withGrads(device, [tensor([0.3, 0.4], { device: "cpu" })]);
      expect(await optim.clipGradNorm_(small, 1, 2, { returnTensor: true }).itemAsync()).toBeCloseTo(0.5, 6);
      expect(await small.grad!.toArrayAsync()).toEqual([Math.fround(0.3), Math.fround(0.4)]);
    }
  });

  it("clipGradNorm_'s number form says what to do on webgpu, before touching a gradient", () => {
    const gpu = withGrads("webgpu", [rnd(3)]);
    expect(() => optim.clipGradNorm_(gpu, 1)).toThrow(/clipGradNorm_: the gradients are on webgpu.*pass \{ returnTensor: true \}/);
    expect(() => optim.clipGradNorm_(gpu, 1, 2, { returnTensor: true, errorIfNonfinite: true })).toThrow(/errorIfNonfinite needs the norm on the host/);
  });

  it("clipGradValue_ clamps on the device", async () => {
    const g = rnd(4, 5).mul(2);
    const [c] = withGrads("cpu", [g]);
    const [w] = withGrads("webgpu", [g]);
    optim.clipGradValue_(c, 0.7);
    optim.clipGradValue_(w, 0.7);
    expect(await host(w.grad!)).toBeAllclose(c.grad!, TOL);
  });

  const OPTIMIZERS: [string, (ps: Parameter[]) => { step(): void; zeroGrad(): void }][] = [
    ["SGD with momentum, Nesterov and weight decay", (ps) => new optim.SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
    ["Adam (amsgrad)", (ps) => new optim.Adam(ps, { lr: 0.01, amsgrad: true })],
    ["AdamW", (ps) => new optim.AdamW(ps, { lr: 0.01, weightDecay: 0.1 })],
    ["RMSprop centered with momentum", (ps) => new optim.RMSprop(ps, { lr: 0.01, centered: true, momentum: 0.5 })],
    ["Adagrad", (ps) => new optim.Adagrad(ps, { lr: 0.1 })],
    ["Adadelta", (ps) => new optim.Adadelta(ps, { lr: 1 })],
    ["Adamax", (ps) => new optim.Adamax(ps, { lr: 0.01 })],
    ["NAdam", (ps) => new optim.NAdam(ps, { lr: 0.01 })],
    ["RAdam", (ps) => new optim.RAdam(ps, { lr: 0.01 })],
  ];

  it.each(OPTIMIZERS)("%s: three steps match the cpu's trajectory", async (_, make) => {
    const init = [rnd(3, 4), rnd(4)];
    const grads = [0, 1, 2].map(() => [rnd(3, 4), rnd(4)]);
    const run = (device: "cpu" | "webgpu"): Parameter[] => {
      const ps = init.map((t) => new Parameter(t.clone().to(device))); // clone: cpu's to("cpu") is the tensor itself
      const opt = make(ps);
      for (const gs of grads) {
        ps.forEach((p, i) => (p.grad = gs[i].clone().to(device)));
        opt.step();
      }
      return ps;
    };
    const cpu = run("cpu");
    const gpu = run("webgpu");
    for (let i = 0; i < cpu.length; i++) expect(await host(gpu[i])).toBeAllclose(cpu[i], { rtol: 1e-4, atol: 1e-5 });
  });

  it("BatchNorm1d and BatchNorm2d in training mode (outputs, gradients, running statistics), then in eval mode", async () => {
    for (const [make, shape] of [[() => new BatchNorm1d(4), [6, 4]], [() => new BatchNorm2d(3), [2, 3, 4, 4]]] as const) {
      const x = rnd(...shape).mul(2).add(1);
      const w = rnd(...shape);
      const results = [];
      for (const device of ["cpu", "webgpu"] as const) {
        const bn = make().to(device);
        const xi = x.clone().to(device).requiresGrad_(); // clone: cpu's to("cpu") is x itself
        bn.forward(xi).mul(w.to(device)).sum().backward();
        const y2 = bn.forward(x.to(device).mul(0.5));
        bn.eval();
        const y3 = bn.forward(x.to(device)); // the running statistics
        results.push({ y2, y3, grad: xi.grad!, mean: bn.runningMean!, variance: bn.runningVar!, wg: bn.weight!.grad! });
      }
      const [c, g] = results;
      for (const k of ["y2", "y3", "grad", "mean", "variance", "wg"] as const) expect(await host(g[k])).toBeAllclose(c[k], { rtol: 1e-4, atol: 1e-5 });
    }
  });
  it("BatchNorm with momentum null (a cumulative average) keeps its batch count on the device, matching the cpu's statistics", async () => {
    const batches = [0, 1, 2].map(() => rnd(6, 3, 2).mul(2).add(1));
    const run = (device: "cpu" | "webgpu"): BatchNorm1d => {
      const bn = new BatchNorm1d(3, { momentum: null }).to(device);
      for (const b of batches) bn.forward(b.to(device));
      return bn;
    };
    const c = run("cpu");
    const g = run("webgpu");
    expect(await host(g.runningMean!)).toBeAllclose(c.runningMean!, { rtol: 1e-5, atol: 1e-6 });
    expect(await host(g.runningVar!)).toBeAllclose(c.runningVar!, { rtol: 1e-5, atol: 1e-6 });
    expect(await g.numBatchesTracked!.itemAsync()).toBe(3);
  });

  it("ReduceLROnPlateau with a webgpu metric: step says to use stepAsync and changes nothing; stepAsync follows the hand-traced sequence", async () => {
    const opt = new optim.SGD([new Parameter(tensor([1], { device: "webgpu" }))], { lr: 0.1 });
    const s = new optim.ReduceLROnPlateau(opt, { mode: "max", factor: 0.1, patience: 0, threshold: 0.05, thresholdMode: "abs" });
    const metric = (m: number): Tensor => tensor([m], { device: "webgpu" }).sum(); // a 0-d result of a GPU op, unread
    expect(() => s.step(metric(0.5))).toThrow(/ReduceLROnPlateau\.step: the metric is on webgpu, which is read asynchronously; use await scheduler\.stepAsync\(metric\)/);
    expect([s.lastEpoch, s.best]).toEqual([0, -Infinity]);
    // better means > best + 0.05: 0.5 (best), 0.54 (bad → reduce), 0.6 (best), 0.6 (bad → reduce).
    const seen: number[] = [];
    for (const m of [0.5, 0.54, 0.6, 0.6]) {
      await s.stepAsync(metric(m));
      seen.push(opt.paramGroups[0].lr);
    }
    expect(seen).toBeAllclose([0.1, 0.01, 0.01, 0.001], { rtol: 1e-12, atol: 0 });
    expect(s.best).toBeCloseTo(0.6, 6);
  });

  it("a small CNN (Conv2d, BatchNorm2d, ReLU, MaxPool2d, Linear) trains with crossEntropy, clipping and AdamW as on the cpu, reading only at the end", async () => {
    const x = rnd(8, 1, 8, 8);
    const t = tensor([0, 1, 2, 0, 1, 2, 0, 1], { dtype: "int32", device: "cpu" });
    const init = new Generator(3);
    const make = (): Sequential => {
      const model = new Sequential(new Conv2d(1, 4, 3, { padding: 1 }), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(64, 3)).to("cpu"); // made on the default device (wasm)
      noGrad(() => {
        for (const p of model.parameters()) p.copy_(randn(p.shape, { device: "cpu", generator: init }).mul(0.3));
      });
      return model;
    };
    const cpuModel = make();
    const gpuModel = make();
    gpuModel.loadStateDict(cpuModel.stateDict());
    gpuModel.to("webgpu");
    const losses = async (model: Sequential, device: "cpu" | "webgpu"): Promise<number[]> => {
      const [xd, td] = [x.to(device), t.to(device)];
      const kept = await train(new optim.AdamW(model.parameters(), { lr: 0.02 }), () => crossEntropy(model.call(xd), td), 15, {
        beforeStep: () => optim.clipGradNorm_(model.parameters(), 2, 2, { returnTensor: true }),
      });
      return Promise.all(kept.map((l) => l.itemAsync()));
    };
    const cpu = await losses(cpuModel, "cpu");
    const got = await losses(gpuModel, "webgpu");
    expect(got.at(-1)!).toBeLessThan(got[0] * 0.7);
    for (let i = 0; i < cpu.length; i++) expect(got[i]).toBeCloseTo(cpu[i], 3);
  });
});
