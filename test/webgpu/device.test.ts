/**
 * The device API on the GPU: to/toAsync with gradients, async reads and the errors of the sync
 * ones, printing, dispose, Module.to(webgpu) in place with an optimizer made before, the pool
 * staying flat over many training steps, and an MLP trained on webgpu matching the cpu's losses.
 */

import { expect, it } from "vitest";
import { Generator, initWebGPU, linspace, noGrad, randn, tensor, webgpuMemory, type Tensor } from "@tensorgrad/autograd";
import { DataLoader, Linear, ReLU, Sequential, TensorDataset, Tanh, crossEntropy, loadSafetensors, mseLoss, optim, saveSafetensors, saveSafetensorsAsync } from "@tensorgrad/nn";
import { describeGpu, host, train } from "./gpu.js";

/** Runs the garbage collector (the project passes --expose-gc) and lets finalizers return buffers to the pool. */
async function collect(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("the webgpu project runs with --expose-gc");
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** A small tanh MLP with seeded weights, on the cpu. */
function mlp(): Sequential {
  const model = new Sequential(new Linear(1, 16), new Tanh(), new Linear(16, 16), new Tanh(), new Linear(16, 1));
  const gen = new Generator(7);
  noGrad(() => {
    for (const p of model.parameters()) p.copy_(randn(p.shape, { device: "cpu", generator: gen }).mul(0.5));
  });
  return model;
}

describeGpu("webgpu devices", () => {
  it("initWebGPU is idempotent and names the adapter", async () => {
    const a = await initWebGPU();
    const b = await initWebGPU();
    expect(b).toEqual(a);
    expect(a.device).toBe("webgpu");
    expect(a.adapter.length).toBeGreaterThan(0);
  });

  it("sync reads throw naming the async form; printing says where the values are", async () => {
    const x = tensor([[1, 2], [3, 4]], { device: "webgpu" });
    expect(x.device).toBe("webgpu");
    expect(() => x.toArray()).toThrow("toArray: this tensor lives on the GPU (device webgpu), whose memory is read asynchronously; use await t.toArrayAsync()");
    expect(() => x.sum().item()).toThrow("use await t.itemAsync()");
    expect(() => x.toTypedArray()).toThrow("use await t.toTypedArrayAsync()");
    expect(String(x.requiresGrad_())).toBe("tensor(<[2,2] on the GPU: read it with await t.toArrayAsync()>, device='webgpu', dtype=float32, requires_grad=True)");
    expect(await x.sum().itemAsync()).toBe(10);
    expect(await x.toArrayAsync()).toEqual([[1, 2], [3, 4]]);
  });

  it("to('cpu') from the GPU throws naming toAsync; toAsync moves it, and its gradient comes back to the GPU", async () => {
    const xg = tensor([1, -2, 3], { device: "webgpu", requiresGrad: true });
    expect(() => xg.to("cpu")).toThrow(/to: a webgpu tensor is read asynchronously, so it cannot move to cpu synchronously; use await x\.toAsync\("cpu"\)/);
    const xc = await xg.toAsync("cpu");
    expect(xc.device).toBe("cpu");
    xc.square().sum().backward();
    expect(xg.grad!.device).toBe("webgpu");
    expect(await host(xg.grad!)).toEqual([2, -4, 6]);
  });

  it("a cpu leaf computed on the GPU gets its gradient... only asynchronously: the error says what to do", () => {
    const x = tensor([1, 2], { device: "cpu", requiresGrad: true });
    const y = x.to("webgpu").square().sum();
    expect(() => y.backward()).toThrow(/create the leaf on webgpu instead/);
  });

  it("ops mixing webgpu and cpu tensors throw as PyTorch does", () => {
    expect(() => tensor([1], { device: "webgpu" }).add(tensor([1], { device: "cpu" }))).toThrow(
      'add: expected all tensors to be on the same device, but found at least two devices, webgpu and cpu (move one with .to("webgpu"))',
    );
  });

  it("dispose() returns the memory at once; using the tensor afterwards is a clear error", async () => {
    const before = webgpuMemory()!.liveBytes;
    const x = tensor(new Float32Array(1000), { device: "webgpu" });
    expect(webgpuMemory()!.liveBytes).toBe(before + 4096);
    x.dispose();
    expect(webgpuMemory()!.liveBytes).toBe(before);
    expect(() => x.add(1)).toThrow("webgpu: this tensor's memory was disposed");
  });

  it("Module.to('webgpu') moves parameters in place (same objects, grads too); toAsync('cpu') brings them back", async () => {
    const model = mlp();
    const params = model.parameters();
    const values = params.map((p) => p.toArray());
    const opt = new optim.Adam(params, { lr: 0.01 });
    const x = linspace(-2, 2, 8).unsqueeze(1); // on the default device, with the model
    mseLoss(model.call(x), x.sin()).backward();
    const grads = params.map((p) => p.grad!.toArray());
    model.to("webgpu");
    for (const [i, p] of model.parameters().entries()) {
      expect(p).toBe(params[i]);
      expect(p.device).toBe("webgpu");
      expect(await host(p)).toEqual(values[i]);
      expect(await host(p.grad!)).toEqual(grads[i]);
    }
    opt.step(); // the optimizer made before the move steps the moved parameters on the GPU
    expect(params.every((p) => p.device === "webgpu")).toBe(true);
    await model.toAsync("cpu");
    expect(params.every((p) => p.device === "cpu" && p.grad!.device === "cpu")).toBe(true);
  });

  it("a model trained on webgpu saves with saveSafetensorsAsync: the same bytes as its cpu copy's; the sync form says what to use", async () => {
    const gen = new Generator(7);
    const model = new Sequential(new Linear(3, 4, { generator: gen }), new Tanh(), new Linear(4, 2, { generator: gen })).to("webgpu");
    const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
    const x = randn([5, 3], { device: "cpu", generator: gen }).to("webgpu");
    await train(opt, () => model.call(x).square().mean(), 3);
    expect(() => saveSafetensors(model.stateDict())).toThrow(
      /saveSafetensors: "0\.bias" is on webgpu, whose memory is read asynchronously; use await saveSafetensorsAsync\(stateDict\)/,
    );
    const bytes = await saveSafetensorsAsync(model.stateDict(), { metadata: { step: "3" } });
    await model.toAsync("cpu");
    expect(bytes).toEqual(saveSafetensors(model.stateDict(), { metadata: { step: "3" } }));
    const loaded = loadSafetensors(bytes);
    for (const [name, t] of Object.entries(model.stateDict())) expect(loaded[name]).toBeAllclose(t, { rtol: 0, atol: 0 });
  });

  it("loadStateDict of a webgpu state dict into a cpu model refuses before copying anything; loadStateDictAsync loads it", async () => {
    const gen = new Generator(8);
    const make = (): Sequential => new Sequential(new Linear(3, 4, { generator: gen }), new Tanh(), new Linear(4, 2, { generator: gen }));
    const gpuModel = make().to("webgpu");
    const cpuModel = make().to("cpu");
    // the module's first entry from the cpu, so a load that copied as it went would change the model
    const cpuWeight = randn([4, 3], { device: "cpu", generator: gen });
    const mixed: Record<string, Tensor> = { ...gpuModel.stateDict(), "0.weight": cpuWeight };
    const before = Object.fromEntries(Object.entries(cpuModel.stateDict()).map(([k, t]) => [k, t.clone()]));
    expect(() => cpuModel.loadStateDict(mixed)).toThrow(
      /loadStateDict: "0\.bias" is on webgpu, which is read asynchronously, and this module's tensor is on cpu; use await model\.loadStateDictAsync\(stateDict\) \(nothing was loaded\)/,
    );
    for (const [k, t] of Object.entries(cpuModel.stateDict())) expect(t).toBeAllclose(before[k], { rtol: 0, atol: 0 });
    expect(await cpuModel.loadStateDictAsync(mixed)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    for (const [k, t] of Object.entries(gpuModel.stateDict())) {
      expect(cpuModel.stateDict()[k]).toBeAllclose(k === "0.weight" ? cpuWeight : ((await host(t)) as number[]), { rtol: 0, atol: 0 });
    }
    // the other way needs no read: a cpu state dict loads into the GPU model synchronously
    const fresh = make().to("cpu");
    gpuModel.loadStateDict(fresh.stateDict());
    for (const [k, t] of Object.entries(gpuModel.stateDict())) expect(await host(t)).toBeAllclose(fresh.stateDict()[k], { rtol: 0, atol: 0 });
    await expect(cpuModel.loadStateDictAsync({ ...mixed, extra: mixed["0.bias"] })).rejects.toThrow(/unexpected keys: "extra"/);
  });

  it("TensorDataset and DataLoader over webgpu tensors batch on the GPU (each tensor indexed on its own device)", async () => {
    const x = randn([7, 3], { device: "cpu", generator: new Generator(4) });
    const y = tensor([0, 1, 2, 0, 1, 2, 0], { dtype: "int32", device: "cpu" });
    const [xb, yb] = new TensorDataset(x.to("webgpu"), y.to("webgpu")).getBatch([5, 0, -1]);
    expect([xb.device, yb.device]).toEqual(["webgpu", "webgpu"]);
    expect(await host(xb)).toEqual(x.indexSelect(0, tensor([5, 0, 6], { dtype: "int32", device: "cpu" })).toArray());
    expect(await host(yb)).toEqual([2, 0, 0]);
    const mixed = new TensorDataset(x.to("webgpu"), y); // features on the GPU, labels on the cpu
    const sizes: number[] = [];
    for (const [xs, ys] of new DataLoader(mixed, { batchSize: 3 })) {
      expect([xs.device, ys.device]).toEqual(["webgpu", "cpu"]);
      sizes.push(ys.shape[0]);
    }
    expect(sizes).toEqual([3, 3, 1]);
  });

  it("an MLP trained on webgpu gives the cpu's losses (float32 tolerance), with reads only at the end", async () => {
    const x = linspace(-3, 3, 64, { device: "cpu" }).unsqueeze(1);
    const y = x.sin();
    const losses = async (device: string): Promise<number[]> => {
      const model = mlp().to(device);
      const [xd, yd] = [x.to(device), y.to(device)];
      const kept = await train(new optim.Adam(model.parameters(), { lr: 0.02 }), () => mseLoss(model.call(xd), yd), 40);
      return Promise.all(kept.map((l) => l.itemAsync()));
    };
    const cpu = await losses("cpu");
    const gpu = await losses("webgpu");
    expect(gpu).toBeAllclose(cpu, { rtol: 1e-4, atol: 1e-6 });
    expect(cpu[39]).toBeLessThan(cpu[0] / 2); // it learns
  });

  it("GPU memory stays exactly flat over 10,000 training steps without tidy or dispose (buffers return to the pool)", async () => {
    // Linear-ReLU-Linear, crossEntropy on class indices, Adam: its step is one fused kernel per
    // parameter, whose changing bias corrections are kernel arguments, not new scalar tensors.
    // Tiny sizes: on SwiftShader a step costs its ~27 dispatches (33 to 84 s for the test here).
    const gen = new Generator(10_000);
    const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3)).to("webgpu");
    const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
    const x = randn([8, 4], { device: "cpu", generator: gen }).to("webgpu");
    const target = tensor([0, 1, 2, 0, 1, 2, 0, 1], { dtype: "int32", device: "webgpu" });
    const loss = (): Tensor => crossEntropy(model.call(x), target);
    const first = await loss().itemAsync();
    const backend = x.backend as { recycler?: unknown };
    const recycler = backend.recycler;
    const live: number[] = [];
    const grown: number[] = [];
    for (let window = 0; window < 20; window++) {
      // 500 steps as a user's synchronous loop runs them: no await, so no finalizer runs in between
      // and the live bytes grow by what the steps leave to the garbage collector. Window 1 runs
      // without gradient recycling, to measure what recycling saves.
      if (window === 1) backend.recycler = undefined;
      const ends: Tensor[] = [];
      const before = webgpuMemory()!.liveBytes;
      try {
        await train(opt, loss, 500, { each: (step, l) => step === 500 && ends.push(l) });
      } finally {
        backend.recycler = recycler;
      }
      grown.push(webgpuMemory()!.liveBytes - before);
      await ends.pop()!.itemAsync(); // waits for the GPU, like a user's logging
      await collect();
      live.push(webgpuMemory()!.liveBytes);
    }
    // After the first window (Adam's moments, cached scalars) the live bytes do not move at all.
    expect(live, `live bytes every 500 steps: ${live.join(", ")}`).toEqual(live.map((v, i) => (i === 0 ? v : live[1])));
    expect(webgpuMemory()!.pooledBytes).toBeGreaterThan(0);
    // Between collections, recycling returns each step's 5 consumed gradients at once: those of the
    // mean (0-d: 16 bytes), the per-sample losses ([8]: 32), the logits ([8, 3]: 128 bucket), the
    // ReLU's output and the first Linear's ([8, 8]: 256 each) — 688 bytes a step.
    expect(grown.slice(2)).toEqual(grown.slice(2).map(() => grown[2]));
    expect(grown[1] - grown[2]).toBe(500 * 688);
    expect(await loss().itemAsync()).toBeLessThan(first / 10); // it learned
  }, 300_000);
});
