/** Small public functions that the larger suites don't exercise directly. */

import { afterEach, describe, expect, it } from "vitest";
import {
  GradError,
  Generator,
  fullLike,
  getNumThreads,
  isAnomalyEnabled,
  isGradEnabled,
  setDetectAnomaly,
  setGradEnabled,
  setNumThreads,
  tensor,
} from "@tensorgrad/autograd";

afterEach(() => {
  setGradEnabled(true);
  setDetectAnomaly(false);
});

describe("global switches", () => {
  it("setGradEnabled(false) stops recording until it is switched back on", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    setGradEnabled(false);
    expect(isGradEnabled()).toBe(false);
    const y = x.mul(2);
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    setGradEnabled(true);
    expect(x.mul(2).gradFn?.name).toBe("mul");
  });

  it("setDetectAnomaly(true) turns anomaly checks on globally", () => {
    setDetectAnomaly(true);
    expect(isAnomalyEnabled()).toBe(true);
    const x = tensor([0], { requiresGrad: true });
    expect(() => x.sqrt().mul(0).sum().backward()).toThrow(GradError);
    setDetectAnomaly(false);
    const z = tensor([0], { requiresGrad: true });
    z.sqrt().mul(0).sum().backward(); // no check: the NaN lands in .grad
    expect(Number.isNaN(z.grad?.item())).toBe(true);
  });

  it("setNumThreads / getNumThreads round-trip", () => {
    const before = getNumThreads();
    setNumThreads(1);
    expect(getNumThreads()).toBe(1);
    setNumThreads(before);
    expect(getNumThreads()).toBe(before);
  });
});

describe("small creation and reading helpers", () => {
  it("Generator.initialSeed reports the seed and restarting repeats the stream", () => {
    const g = new Generator(1234);
    expect(g.initialSeed()).toBe(1234);
    const first = [g.uniform(), g.uniform()];
    g.manualSeed(1234);
    expect([g.uniform(), g.uniform()]).toEqual(first);
    g.manualSeed(99);
    expect(g.initialSeed()).toBe(99);
  });

  it("fullLike keeps shape and dtype unless overridden", () => {
    const like = tensor([[1, 2, 3]], { dtype: "int32" });
    const f = fullLike(like, 7);
    expect(f.shape).toEqual([1, 3]);
    expect(f.dtype).toBe("int32");
    expect(f.toArray()).toEqual([[7, 7, 7]]);
    expect(fullLike(like, 0.5, { dtype: "float64" }).toArray()).toEqual([[0.5, 0.5, 0.5]]);
  });

  it("isnan, any and all", () => {
    const x = tensor([1, NaN, Infinity, 0]);
    expect(x.isnan().toArray()).toEqual([false, true, false, false]);
    expect(x.isnan().any().item()).toBe(1);
    expect(tensor([1, 2]).isnan().any().item()).toBe(0);
    expect(tensor([1, 2]).all().item()).toBe(1);
    expect(x.all().item()).toBe(0); // contains 0
    expect(tensor([0, 0]).any().item()).toBe(0);
  });
});
