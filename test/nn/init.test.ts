import { describe, expect, it } from "vitest";
import { DTypeError, Generator, ShapeError, Tensor, ValueError, manualSeed, tensor, zeros } from "@tensorgrad/autograd";
import { Parameter, init } from "@tensorgrad/nn";

function stats(t: Tensor): { mean: number; std: number; min: number; max: number } {
  const v = t.toFlatArray();
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
  return { mean, std, min: Math.min(...v), max: Math.max(...v) };
}

/** 20 000 samples: relative error of the std within 3%, mean within 3% of the std. */
function expectStd(t: Tensor, expected: number): void {
  const s = stats(t);
  expect(t.numel()).toBeGreaterThanOrEqual(20000);
  expect(Math.abs(s.std / expected - 1)).toBeLessThan(0.03);
  expect(Math.abs(s.mean)).toBeLessThan(0.03 * expected);
}

describe("calculateGain", () => {
  it("matches PyTorch's table", () => {
    expect(init.calculateGain("linear")).toBe(1);
    expect(init.calculateGain("conv2d")).toBe(1);
    expect(init.calculateGain("sigmoid")).toBe(1);
    expect(init.calculateGain("tanh")).toBeCloseTo(5 / 3, 15);
    expect(init.calculateGain("relu")).toBeCloseTo(Math.SQRT2, 15);
    expect(init.calculateGain("selu")).toBe(0.75);
    // leaky relu: √(2/(1 + slope²)); default slope 0.01
    expect(init.calculateGain("leakyRelu")).toBeCloseTo(Math.sqrt(2 / 1.0001), 15);
    expect(init.calculateGain("leaky_relu", 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 15);
    expect(init.calculateGain("leakyRelu", Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 15);
    expect(() => init.calculateGain("softmax" as init.Nonlinearity)).toThrow(ValueError);
  });
});

describe("fan computation", () => {
  it("fanIn = size(1)·receptive field, fanOut = size(0)·receptive field", () => {
    expect(init.calculateFanInAndFanOut(zeros([5, 3]))).toEqual({ fanIn: 3, fanOut: 5 });
    expect(init.calculateFanInAndFanOut(zeros([8, 4, 3, 2]))).toEqual({ fanIn: 4 * 6, fanOut: 8 * 6 });
    expect(() => init.calculateFanInAndFanOut(zeros([5]))).toThrow(ShapeError);
    expect(() => init.xavierUniform_(zeros([5]))).toThrow(/fewer than 2 dims/);
  });
});

describe("initializers", () => {
  it("uniform_ and normal_ fill with the requested distribution", () => {
    manualSeed(0);
    const u = init.uniform_(zeros([200, 100]), -2, 3);
    const su = stats(u);
    expect(su.min).toBeGreaterThanOrEqual(-2);
    expect(su.max).toBeLessThan(3);
    expect(Math.abs(su.mean - 0.5)).toBeLessThan(0.03);
    expect(Math.abs(su.std / (5 / Math.sqrt(12)) - 1)).toBeLessThan(0.03); // U(a, b): std (b − a)/√12
    const n = init.normal_(zeros([200, 100], { dtype: "float64" }), 1.5, 0.5);
    const sn = stats(n);
    expect(Math.abs(sn.mean - 1.5)).toBeLessThan(0.03 * 0.5);
    expect(Math.abs(sn.std / 0.5 - 1)).toBeLessThan(0.03);
  });

  it("constant_, zeros_, ones_, eye_", () => {
    expect(init.constant_(zeros([2, 2]), 0.3)).toBeAllclose([[0.3, 0.3], [0.3, 0.3]]);
    expect(init.ones_(zeros([3]))).toBeAllclose([1, 1, 1]);
    expect(init.zeros_(tensor([1, 2]))).toBeAllclose([0, 0]);
    expect(init.eye_(zeros([2, 3]))).toBeAllclose([[1, 0, 0], [0, 1, 0]]);
  });

  it("xavierUniform_: U(−a, a) with a = gain·√(6/(fanIn + fanOut))", () => {
    manualSeed(1);
    const w = init.xavierUniform_(zeros([100, 200]), { gain: 2 });
    const a = 2 * Math.sqrt(6 / 300);
    const s = stats(w);
    expect(s.max).toBeLessThanOrEqual(a);
    expect(s.min).toBeGreaterThanOrEqual(-a);
    expectStd(w, a / Math.sqrt(3));
  });

  it("xavierNormal_: std = gain·√(2/(fanIn + fanOut)), with a receptive field", () => {
    manualSeed(2);
    const w = init.xavierNormal_(zeros([50, 40, 3, 4])); // fanIn 480, fanOut 600; 24 000 samples
    expectStd(w, Math.sqrt(2 / 1080));
  });

  it("kaimingUniform_: bound = √3·gain/√fan (relu-like default gives √(6/fanIn))", () => {
    manualSeed(3);
    const w = init.kaimingUniform_(zeros([100, 250]), { nonlinearity: "relu" });
    const bound = Math.sqrt(6 / 250);
    const s = stats(w);
    expect(Math.max(s.max, -s.min)).toBeLessThanOrEqual(bound);
    expectStd(w, bound / Math.sqrt(3));
    // a = √5 (Linear's default) with mode fanOut: bound = √3·√(1/3)/√fanOut = 1/√fanOut
    const v = init.kaimingUniform_(zeros([250, 100]), { a: Math.sqrt(5), mode: "fanOut" });
    expect(Math.max(stats(v).max, -stats(v).min)).toBeLessThanOrEqual(1 / Math.sqrt(250));
    expectStd(v, 1 / Math.sqrt(250) / Math.sqrt(3));
  });

  it("kaimingNormal_: std = gain/√fan", () => {
    manualSeed(4);
    expectStd(init.kaimingNormal_(zeros([200, 100])), Math.SQRT2 / Math.sqrt(100)); // leakyRelu with a = 0 ⇒ √2
    expectStd(init.kaimingNormal_(zeros([200, 100]), { mode: "fanOut", nonlinearity: "tanh" }), 5 / 3 / Math.sqrt(200));
    expectStd(init.kaimingNormal_(zeros([200, 100]), { a: 0.2 }), Math.sqrt(2 / 1.04) / 10);
    expect(() => init.kaimingNormal_(zeros([2, 2]), { mode: "fan_in" as init.FanMode })).toThrow(ValueError);
  });

  it("truncNormal_ keeps samples inside [a, b]", () => {
    manualSeed(5);
    const s = stats(init.truncNormal_(zeros([100, 200]), 0, 1, -0.5, 0.5));
    expect(s.min).toBeGreaterThanOrEqual(-0.5);
    expect(s.max).toBeLessThanOrEqual(0.5);
  });

  it("works on parameters that require grad, records no graph, and draws from an optional generator", () => {
    const p = new Parameter(zeros([30, 20]));
    init.kaimingUniform_(p, { generator: new Generator(9) });
    expect(p.isLeaf).toBe(true);
    expect(p.requiresGrad).toBe(true);
    expect(p.gradFn).toBeNull();
    const q = init.kaimingUniform_(zeros([30, 20]), { generator: new Generator(9) });
    expect(p).toBeAllclose(q, { rtol: 0, atol: 0 });
    // A private generator leaves the default stream alone.
    manualSeed(6);
    const first = init.normal_(zeros([4])).toFlatArray();
    manualSeed(6);
    init.normal_(zeros([100]), 0, 1, { generator: new Generator(1) });
    expect(init.normal_(zeros([4])).toFlatArray()).toEqual(first);
    expect(() => init.uniform_(zeros([2], { dtype: "int32" }))).toThrow(DTypeError);
  });
});
