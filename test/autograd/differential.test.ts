/**
 * Differential suite: random op programs (every op in the README's table, broadcasting, 0-size
 * and size-1 dims, non-contiguous inputs, edge values, NaN/inf on purpose) replayed against the
 * outputs, gradients, Hessian-vector products and functional-API results PyTorch 1.13 recorded
 * in test/differential/goldens.json. Runs on every backend (the default, cpu and wasm-forced
 * vitest projects all include test/autograd). How to regenerate: test/differential/README.md.
 */

import { describe, expect, it } from "vitest";
import { Generator, manualSeed, rand, randint, randn, randperm, zeros, type DType, type Tensor } from "@tensorgrad/autograd";
import { buildReprTensor, describe as describeProgram, loadGoldens, replay, type RandomCase, type Tolerance } from "../differential/replay.js";

const goldens = loadGoldens();

/**
 * float64: every op here is computed by formulas of the same conditioning as PyTorch's, so the
 * differences are rounding (summation order, libm vs V8's fdlibm, FMA in wasm): measured below
 * 1e-13 relative; 1e-10 leaves room for a different summation order on a new backend.
 * float32 (and float64 results that passed through float32): one float32 rounding is 6e-8
 * relative, and a gradient sums a few of them, so 1e-5 (with the same absolute floor for values
 * that cancel to near zero). Where PyTorch's own float32 result is further than that from a
 * float64 run of the same program (an ill-conditioned result: the Hessian of std at nearly equal
 * values cancels to noise), the golden carries that error and the absolute tolerance is 3x it.
 */
const TOLERANCE: Record<"float32" | "float64", Tolerance> = {
  float64: { rtol: 1e-10, atol: 1e-12 },
  float32: { rtol: 1e-5, atol: 1e-5 },
};
const tolFor = (dtype: DType): Tolerance => TOLERANCE[dtype === "float32" ? "float32" : "float64"];

describe("differential: PyTorch goldens", () => {
  it("cover every program group and every op the README lists", () => {
    const groups = new Set(goldens.programs.map((p) => p.id.split("/")[0]));
    expect([...groups].sort()).toEqual(["activation", "binary", "chain", "compare", "creation", "edge", "empty", "functional", "join", "large", "matmul", "movement", "promotion", "reduce", "softmax", "unary"]);
    const ops = new Set(goldens.programs.flatMap((p) => p.ops.map((op) => op[0])));
    const readmeOps = [
      "zeros", "ones", "full", "arange", "linspace", "eye", "zerosLike", "onesLike", "fullLike",
      "add", "sub", "rsub", "mul", "div", "pow", "neg", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "abs", "sign",
      "square", "reciprocal", "sin", "cos", "erf", "floor", "ceil", "round", "clamp", "minimum", "maximum",
      "tanh", "sigmoid", "relu", "leakyRelu", "gelu", "softplus", "silu", "elu", "softmax", "logSoftmax",
      "sigmoidBackward", "tanhBackward", "reluBackward",
      "eq", "ne", "lt", "le", "gt", "ge", "logicalAnd", "logicalOr", "logicalNot", "isfinite", "isnan", "where", "all", "any",
      "sum", "mean", "var", "std", "logsumexp", "max", "min", "maxDim", "minDim", "amax", "amin", "argmax", "argmin",
      "matmul", "mT", "t", "reshape", "view", "flatten", "squeeze", "unsqueeze", "transpose", "permute", "expand", "expandAs",
      "slice", "narrow", "select", "split", "chunk", "contiguous", "cat", "stack", "indexSelect", "gather", "scatterAdd", "sliceScatter",
      "add_", "sub_", "mul_", "div_", "clamp_", "copy_", "fill_", "zero_", "detach", "to", "float", "double", "int", "bool", "clone",
    ];
    expect(readmeOps.filter((op) => !ops.has(op))).toEqual([]);
    // autograd: defineFunction (three custom functions), retainGrad, registerHook, noGrad, enableGrad
    for (const op of ["customSteRound", "customMulAdd", "customTwiceAndExp"]) expect(ops.has(op)).toBe(true);
    const flags = new Set(goldens.programs.flatMap((p) => p.ops.flatMap((op) => Object.keys(op[4] ?? {}))));
    expect([...flags].sort()).toEqual(["enablegrad", "hook", "nograd", "retain"]);
    expect(goldens.programs.some((p) => p.inputs.some((x) => x.hook !== undefined))).toBe(true);
    const fns = new Set(goldens.programs.map((p) => p.fn).filter((f) => f !== undefined));
    expect([...fns].sort()).toEqual(["grad", "hessian", "jacobian", "jvp", "vjp"]);
  });

  const groups = new Map<string, typeof goldens.programs[number][]>();
  for (const p of goldens.programs) {
    const g = p.id.split("/")[0];
    groups.set(g, [...(groups.get(g) ?? []), p]);
  }
  for (const [group, programs] of groups) {
    describe(group, () => {
      for (const p of programs) {
        it(`${p.id} ${p.note}`, () => {
          const failures = replay(p, tolFor);
          if (failures.length > 0) {
            throw new Error(`${describeProgram(p)}\ndiffers from PyTorch ${goldens.torch}:\n  ${failures.join("\n  ")}`);
          }
        });
      }
    });
  }
});

/**
 * Random sampling uses tensorgrad's own generator (PyTorch's values cannot be reproduced), so
 * only what PyTorch fixes is compared: shape, dtype and range; plus reproducibility under a seed.
 */
describe("differential: random sampling (shape, dtype, range)", () => {
  const sample = (c: RandomCase, generator?: Generator): Tensor => {
    const kw = c.kw as Record<string, never>;
    const opts = { dtype: kw.dtype as DType | undefined, generator };
    switch (c.op) {
      case "rand":
        return rand(kw.shape, opts);
      case "randn":
        return randn(kw.shape, opts);
      case "randint":
        return randint(kw.low, kw.high, kw.shape, { generator });
      case "randperm":
        return randperm(kw.n, { generator });
      case "uniform_":
        return zeros(kw.shape, { dtype: kw.dtype }).uniform_(kw.a, kw.b, generator);
      case "normal_":
        return zeros(kw.shape, { dtype: kw.dtype }).normal_(kw.a, (kw.b as number) - (kw.a as number), generator);
      default:
        return c.op satisfies never;
    }
  };

  for (const c of goldens.random) {
    it(`${c.id} ${JSON.stringify(c.kw)}`, () => {
      const t = sample(c, new Generator(7));
      expect({ dtype: t.dtype, shape: t.shape }).toEqual(c.expect);
      const v = t.toFlatArray();
      const kw = c.kw as Record<string, number>;
      if (c.op === "rand") expect(v.every((x) => x >= 0 && x < 1)).toBe(true);
      if (c.op === "uniform_") expect(v.every((x) => x >= Math.fround(kw.a) && x <= Math.fround(kw.b))).toBe(true);
      if (c.op === "randint") expect(v.every((x) => Number.isInteger(x) && x >= kw.low && x < kw.high)).toBe(true);
      if (c.op === "randperm") expect([...v].sort((a, b) => a - b)).toEqual(Array.from({ length: kw.n }, (_, i) => i));
      if (c.op === "randn" || c.op === "normal_") expect(v.every(Number.isFinite)).toBe(true);
      // The same seed gives the same values, through a Generator or through manualSeed.
      expect(sample(c, new Generator(7)).toFlatArray()).toEqual(v);
      manualSeed(11);
      const a = sample(c).toFlatArray();
      manualSeed(11);
      expect(sample(c).toFlatArray()).toEqual(a);
    });
  }
});

/**
 * toString against PyTorch's repr. tensorgrad names dtypes without PyTorch's "torch." namespace
 * (dtype=float64), so that prefix is dropped from the expected text; nothing else is normalized.
 */
describe("differential: toString against PyTorch's repr", () => {
  for (const c of goldens.repr) {
    it(`${c.id} ${c.dtype} [${c.shape}]`, () => {
      expect(buildReprTensor(c).toString()).toBe(c.repr.replaceAll("torch.", ""));
    });
  }
});
