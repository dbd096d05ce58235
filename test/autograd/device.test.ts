/**
 * Devices, PyTorch-style, on the host backends (the webgpu project repeats these on the GPU):
 * `{ device }` in creation options, `x.to(device)` with gradients flowing back, `Module.to(device)`
 * moving parameters in place, the mixed-device error, and the async reads every backend has.
 */

import { describe, expect, it } from "vitest";
import {
  createCpuBackend, listBackends, ones, randn, registerBackend, tensor, zeros, zerosLike, type Backend,
} from "@tensorgrad/autograd";
import { Linear, ReLU, Sequential, mseLoss, optim } from "@tensorgrad/nn";

/** A second host device: the cpu kernels registered under another name. */
const OTHER = "cpu-other";
if (!listBackends().includes(OTHER)) registerBackend({ ...(createCpuBackend() as unknown as Backend), name: OTHER });

describe("devices", () => {
  it("{ device } in creation options puts the tensor there; ...Like functions keep the input's device", () => {
    for (const t of [tensor([1, 2], { device: OTHER }), zeros([2], { device: OTHER }), ones(2, { device: OTHER }), randn([2], { device: OTHER })]) {
      expect(t.device).toBe(OTHER);
    }
    expect(zerosLike(tensor([1], { device: OTHER })).device).toBe(OTHER);
    expect(tensor([1], { device: OTHER }).newZeros(3).device).toBe(OTHER);
    expect(tensor([1], { device: "cpu" }).newZeros([3], { device: OTHER }).device).toBe(OTHER);
  });

  it("an unknown device is an error listing the registered ones (with the initWebGPU hint for webgpu)", () => {
    expect(() => zeros([2], { device: "cuda" })).toThrow(/zeros: unknown device "cuda" \(registered: .*cpu/);
    expect(() => tensor([1]).to("webgpu")).toThrow(/to: unknown device "webgpu" .*call `await initWebGPU\(\)` first/);
    expect(() => zeros([2], { device: 3 as unknown as string })).toThrow('zeros: device must be a string such as "cpu" or "webgpu", got 3');
    expect(() => tensor([1]).to("cuda")).toThrow(/^to: unknown dtype cuda \(expected bool, int32, float32, float64\) or device \(registered: .*cpu/);
  });

  it("to(device) copies, returns the same tensor when already there, and keeps dtype and values", () => {
    const x = tensor([[1, 2], [3, 4]], { device: "cpu" });
    expect(x.to("cpu")).toBe(x);
    const y = x.t().to(OTHER);
    expect(y.device).toBe(OTHER);
    expect(y.isContiguous()).toBe(true);
    expect(y.toArray()).toEqual([[1, 3], [2, 4]]);
    expect(tensor([1, 2], { dtype: "int32", device: "cpu" }).to(OTHER).dtype).toBe("int32");
    expect(x.to("float64").dtype).toBe("float64"); // dtypes still convert
  });

  it("gradients flow back through to(device) onto the original device", () => {
    const x = tensor([1, -2, 3], { device: "cpu", requiresGrad: true });
    const y = x.to(OTHER).mul(x.to(OTHER)).sum();
    expect(y.device).toBe(OTHER);
    y.backward();
    expect(x.grad!.device).toBe("cpu");
    expect(x.grad!.toArray()).toEqual([2, -4, 6]);
  });

  it("ops on tensors of different devices throw as PyTorch does", () => {
    const a = tensor([1, 2], { device: "cpu" });
    const b = tensor([1, 2], { device: OTHER });
    expect(() => a.add(b)).toThrow(`add: expected all tensors to be on the same device, but found at least two devices, cpu and ${OTHER}`);
    expect(() => a.matmul(b)).toThrow(/matmul: expected all tensors to be on the same device/);
  });

  it("async reads resolve on host backends with the sync forms' values", async () => {
    const x = tensor([[1.5, 2], [3, 4]], { device: "cpu" });
    expect(await x.toArrayAsync()).toEqual(x.toArray());
    expect(Array.from(await x.t().toTypedArrayAsync())).toEqual([1.5, 3, 2, 4]);
    expect(await x.sum().itemAsync()).toBe(10.5);
    expect(await tensor([true, false]).toArrayAsync()).toEqual([true, false]);
    await expect(x.itemAsync()).rejects.toThrow("itemAsync: only one-element tensors can be converted to a number, got shape [2,2]");
    const moved = await x.toAsync(OTHER);
    expect(moved.device).toBe(OTHER);
    expect(moved.toArray()).toEqual(x.toArray());
  });

  it("dispose() on a host backend is harmless (the garbage collector owns that memory)", () => {
    const x = tensor([1, 2], { device: "cpu" });
    x.dispose();
    expect(x.device).toBe("cpu");
  });

  it("Module.to(device) moves parameters in place: the same objects, grads too, and an earlier optimizer keeps training", () => {
    const model = new Sequential(new Linear(2, 4), new ReLU(), new Linear(4, 1));
    const params = model.parameters();
    const opt = new optim.SGD(params, { lr: 0.1 });
    const x = randn([8, 2]); // on the default device, with the model
    const target = x.sum(1, true);
    mseLoss(model.call(x), target).backward();
    const before = params.map((p) => p.toArray());
    const grads = params.map((p) => p.grad!.toArray());
    expect(model.to(OTHER)).toBe(model);
    expect(model.parameters()).toEqual(params);
    model.parameters().forEach((p, i) => {
      expect(p).toBe(params[i]);
      expect(p.device).toBe(OTHER);
      expect(p.toArray()).toEqual(before[i]);
      expect(p.grad!.device).toBe(OTHER);
      expect(p.grad!.toArray()).toEqual(grads[i]);
    });
    opt.step();
    opt.zeroGrad();
    const xo = x.to(OTHER);
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) {
      opt.zeroGrad();
      const loss = mseLoss(model.call(xo), target.to(OTHER));
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    expect(losses[2]).toBeLessThan(losses[0]);
    expect(params.every((p) => p.device === OTHER)).toBe(true);
  });
});
