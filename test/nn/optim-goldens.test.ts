/**
 * Adadelta, Adamax, NAdam and RAdam against PyTorch 1.13: parameter trajectories and state dicts
 * after every step, recorded by test/goldens/optim.py (weight decay on and off, maximize, several
 * parameter groups, skipped gradients, LR schedulers, float64 and float32), PyTorch's own state
 * dicts loaded to resume a run, then first steps checked against hand formulas, and the
 * hyperparameter errors.
 */

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Tensor, ValueError, noGrad, tensor } from "@tensorgrad/autograd";
import { optim } from "@tensorgrad/nn";

interface Encoded {
  readonly shape: number[];
  readonly data: number[];
}

type Kind = "Adadelta" | "Adamax" | "NAdam" | "RAdam";
type Options = Record<string, number | boolean | number[]>;

interface GoldenStateDict {
  readonly state: Record<string, Record<string, number | Encoded>>;
  readonly paramGroups: Array<Options & { params: number[] }>;
}

interface GoldenCase {
  readonly name: string;
  readonly optimizer: Kind;
  readonly options: Options;
  readonly dtype: "float32" | "float64";
  readonly steps: number;
  readonly groups: { params: number[]; options: Options }[];
  readonly scheduler: null | { kind: "StepLR"; stepSize: number; gamma: number } | { kind: "ExponentialLR"; gamma: number };
  /** [step, parameter] pairs whose grad is null at that step. */
  readonly noGrad: [number, number][];
  readonly trajectory: { params: Encoded[]; stateDict: GoldenStateDict }[];
}

interface Goldens {
  readonly torch: string;
  readonly p0: Encoded[];
  readonly c: Encoded[];
  readonly g: number[][][];
  readonly cases: GoldenCase[];
  readonly nadamSingleTensor113: Encoded[][];
}

const goldens = JSON.parse(readFileSync(new URL("../goldens/optim.json", import.meta.url), "utf8")) as Goldens;

const MAKERS: Record<Kind, (params: optim.ParamsInput<optim.OptimizerOptions>, options: Options) => optim.Optimizer> = {
  Adadelta: (ps, o) => new optim.Adadelta(ps, o),
  Adamax: (ps, o) => new optim.Adamax(ps, o as Partial<optim.AdamaxOptions>),
  NAdam: (ps, o) => new optim.NAdam(ps, o as Partial<optim.NAdamOptions>),
  RAdam: (ps, o) => new optim.RAdam(ps, o as Partial<optim.RAdamOptions>),
};

function tolerance(c: GoldenCase): { rtol: number; atol: number } {
  return c.dtype === "float64" ? { rtol: 1e-12, atol: 1e-14 } : { rtol: 2e-5, atol: 1e-6 };
}

/** The case's optimizer over fresh parameters (PyTorch's starting values, or `start`). */
function setUp(c: GoldenCase, start: readonly Encoded[] = goldens.p0): { params: Tensor[]; opt: optim.Optimizer } {
  const params = start.map((p) => tensor(p.data, { dtype: c.dtype, shape: p.shape, requiresGrad: true }));
  const opt = MAKERS[c.optimizer](
    c.groups.map((g) => ({ params: g.params.map((i) => params[i]), ...g.options })),
    c.options,
  );
  return { params, opt };
}

/** Sets each parameter's grad to G[t] + (p − c)·2 as the script does, or null where the case says. */
function setGrads(c: GoldenCase, params: readonly Tensor[], t: number): void {
  params.forEach((p, i) => {
    if (c.noGrad.some(([step, k]) => step === t && k === i)) p.grad = null;
    else p.grad = noGrad(() => tensor(goldens.g[t][i], { dtype: c.dtype, shape: p.shape }).add(p.sub(tensor(goldens.c[i].data, { dtype: c.dtype, shape: p.shape })).mul(2)));
  });
}

/** Our state dict in the JSON's form: tensors as { shape, data }. */
function plain(sd: optim.OptimizerStateDict): GoldenStateDict {
  const state: GoldenStateDict["state"] = {};
  for (const [k, s] of Object.entries(sd.state)) {
    state[k] = Object.fromEntries(Object.entries(s).map(([name, v]) => [name, v instanceof Tensor ? { shape: [...v.shape], data: v.toFlatArray() } : v]));
  }
  return { state, paramGroups: sd.paramGroups as GoldenStateDict["paramGroups"] };
}

/** PyTorch's (renamed) state dict as one ours loads: tensors of the case's dtype. */
function loadable(c: GoldenCase, sd: GoldenStateDict): optim.OptimizerStateDict {
  const state: optim.OptimizerStateDict["state"] = {};
  for (const [k, s] of Object.entries(sd.state)) {
    state[Number(k)] = Object.fromEntries(Object.entries(s).map(([name, v]) => [name, typeof v === "number" ? v : tensor(v.data, { dtype: c.dtype, shape: v.shape })]));
  }
  return { state, paramGroups: sd.paramGroups };
}

function expectStateDict(c: GoldenCase, ours: GoldenStateDict, theirs: GoldenStateDict, where: string): void {
  expect(ours.paramGroups, `${where}: param groups`).toEqual(theirs.paramGroups);
  expect(Object.keys(ours.state).sort(), `${where}: parameters with state`).toEqual(Object.keys(theirs.state).sort());
  for (const [k, s] of Object.entries(theirs.state)) {
    const mine = ours.state[k];
    expect(Object.keys(mine).sort(), `${where}: state names of parameter ${k}`).toEqual(Object.keys(s).sort());
    for (const [name, v] of Object.entries(s)) {
      const got = mine[name];
      if (typeof v === "number") {
        expect(typeof got, `${where}: ${name} of parameter ${k}`).toBe("number");
        if (name === "step") expect(got).toBe(v);
        else expect(got, `${where}: ${name} of parameter ${k}`).toBeAllclose(v, tolerance(c));
      } else {
        expect(typeof got === "number" ? null : got.shape, `${where}: shape of ${name} of parameter ${k}`).toEqual(v.shape);
        expect((got as Encoded).data, `${where}: ${name} of parameter ${k}`).toBeAllclose(v.data, tolerance(c));
      }
    }
  }
}

/** Runs steps [from, c.steps) of the case, checking parameters and state dict after each. */
function replay(c: GoldenCase, params: readonly Tensor[], opt: optim.Optimizer, from: number): void {
  const scheduler =
    c.scheduler === null ? null : c.scheduler.kind === "StepLR" ? new optim.StepLR(opt, c.scheduler.stepSize, c.scheduler.gamma) : new optim.ExponentialLR(opt, c.scheduler.gamma);
  for (let t = from; t < c.steps; t++) {
    setGrads(c, params, t);
    opt.step();
    scheduler?.step();
    const expected = c.trajectory[t];
    params.forEach((p, i) => {
      expect(p.dtype).toBe(c.dtype);
      expect(p.toFlatArray(), `step ${t + 1}, parameter ${i}`).toBeAllclose(expected.params[i].data, tolerance(c));
    });
    expectStateDict(c, plain(opt.stateDict()), expected.stateDict, `step ${t + 1}`);
  }
}

describe(`matches PyTorch ${goldens.torch} step by step (test/goldens/optim.py)`, () => {
  it("covers every new optimizer, in float64 and float32, with weight decay, groups, skipped grads and schedulers", () => {
    for (const kind of Object.keys(MAKERS)) {
      const mine = goldens.cases.filter((c) => c.optimizer === kind);
      expect(new Set(mine.map((c) => c.dtype))).toEqual(new Set(["float32", "float64"]));
      expect(mine.some((c) => c.groups.length > 1 && c.noGrad.length > 0)).toBe(true);
      expect(mine.some((c) => c.scheduler !== null)).toBe(true);
      expect(mine.some((c) => (c.options.weightDecay ?? 0) !== 0)).toBe(true);
    }
  });

  it.each(goldens.cases.map((c) => [c.name, c] as const))("%s: parameters and state dict after every step", (_, c) => {
    const { params, opt } = setUp(c);
    replay(c, params, opt, 0);
  });

  const resumable = goldens.cases.filter((c) => c.scheduler === null);
  it.each(resumable.map((c) => [c.name, c] as const))("%s: resumes from PyTorch's state dict after step 4", (_, c) => {
    // The fresh optimizer starts from other options; loadStateDict brings PyTorch's group options and state.
    const { params, opt } = setUp({ ...c, groups: c.groups.map((g) => ({ ...g, options: {} })), options: { lr: 0.123 } }, c.trajectory[3].params);
    opt.loadStateDict(loadable(c, c.trajectory[3].stateDict));
    replay(c, params, opt, 4);
  });

  it("NAdam follows the documented equations (1.13's foreach path), not 1.13's single-tensor path that counts μₜ twice", () => {
    const c = goldens.cases.find((x) => x.name === "NAdam lr 0.1") as GoldenCase;
    const { params, opt } = setUp(c);
    for (let t = 0; t < c.steps; t++) {
      setGrads(c, params, t);
      opt.step();
    }
    expect(params[0].toFlatArray()).toBeAllclose(c.trajectory[c.steps - 1].params[0].data, tolerance(c));
    expect(params[0].toFlatArray()).not.toBeAllclose(goldens.nadamSingleTensor113[c.steps - 1][0].data, { rtol: 1e-6, atol: 0 });
  });

  const lossCases = ["Adadelta lr 0.5, rho 0.8, eps 1e-4, weight decay 0.1", "Adamax lr 0.1", "NAdam weight decay 0.1", "RAdam lr 0.1 (rectified from step 6)"];
  it.each(lossCases)("%s: gradients from backward() with zeroGrad and a closure give the same trajectory", (name) => {
    const c = goldens.cases.find((x) => x.name === name) as GoldenCase;
    const { params, opt } = setUp(c);
    const targets = goldens.c.map((t) => tensor(t.data, { dtype: "float64", shape: t.shape }));
    for (let t = 0; t < c.steps; t++) {
      // ∂/∂p [Σ G·p + Σ (p − c)²] = G + 2(p − c): the gradient the script sets.
      const loss = opt.step(() => {
        opt.zeroGrad();
        const l = params.map((p, i) => p.mul(tensor(goldens.g[t][i], { dtype: "float64", shape: p.shape })).sum().add(p.sub(targets[i]).square().sum())).reduce((a, b) => a.add(b));
        l.backward();
        return l;
      });
      expect(loss).toBeInstanceOf(Tensor);
      params.forEach((p, i) => expect(p.toFlatArray(), `${c.name}, step ${t + 1}`).toBeAllclose(c.trajectory[t].params[i].data, tolerance(c)));
    }
  });
});

// ---------------------------------------------------------------- first steps by hand

describe("first steps against the update equations by hand", () => {
  const g = [0.5, -2, 0, 1e-3];
  const p0 = [1, -2, 0.5, 3];
  function firstStep(opt: (p: Tensor) => optim.Optimizer): number[] {
    const p = tensor(p0, { dtype: "float64", requiresGrad: true });
    const o = opt(p);
    p.grad = tensor(g, { dtype: "float64" });
    o.step();
    return p.toFlatArray();
  }
  const TOL = { rtol: 1e-13, atol: 1e-15 };

  it("Adadelta: v = (1−ρ)g², Δ = √eps/√(v + eps)·g, p − lr·Δ", () => {
    const [lr, rho, eps] = [0.7, 0.8, 1e-2];
    const expected = p0.map((x, i) => x - (lr * Math.sqrt(eps) * g[i]) / Math.sqrt((1 - rho) * g[i] * g[i] + eps));
    expect(firstStep((p) => new optim.Adadelta([p], { lr, rho, eps }))).toBeAllclose(expected, TOL);
  });

  it("Adamax: eps sits inside the maximum, u = |g| + eps, so p − lr·g/(|g| + eps) (a zero gradient doesn't move p)", () => {
    const [lr, eps] = [0.1, 0.5];
    const expected = p0.map((x, i) => x - (lr * g[i]) / (Math.abs(g[i]) + eps));
    expect(firstStep((p) => new optim.Adamax([p], { lr, eps }))).toBeAllclose(expected, TOL);
  });

  it("NAdam: μ₁, μ₂ from the momentum decay; p − lr(1−μ₁)/(1−μ₁)·g/d − lr·μ₂/(1−μ₁μ₂)·(1−β1)g/d with d = |g| + eps", () => {
    const [lr, b1, eps, psi] = [0.1, 0.9, 1e-3, 0.2];
    const mu1 = b1 * (1 - 0.5 * 0.96 ** psi);
    const mu2 = b1 * (1 - 0.5 * 0.96 ** (2 * psi));
    const expected = p0.map((x, i) => {
      const d = Math.abs(g[i]) + eps;
      return x - (lr * g[i]) / d - (lr * mu2 * (1 - b1) * g[i]) / ((1 - mu1 * mu2) * d);
    });
    expect(firstStep((p) => new optim.NAdam([p], { lr, eps, momentumDecay: psi }))).toBeAllclose(expected, TOL);
  });

  it("RAdam: ρ₁ = 1 ≤ 5, so the first step is p − lr·m̂ = p − lr·g", () => {
    expect(firstStep((p) => new optim.RAdam([p], { lr: 0.1 }))).toBeAllclose(p0.map((x, i) => x - 0.1 * g[i]), TOL);
  });
});

// ---------------------------------------------------------------- errors

describe("hyperparameter and option errors", () => {
  const p = () => [tensor([1], { dtype: "float64", requiresGrad: true })];
  const cases: [string, () => unknown, string][] = [
    ["Adadelta rho above 1", () => new optim.Adadelta(p(), { rho: 1.5 }), "Adadelta: invalid rho value 1.5"],
    ["Adadelta rho below 0", () => new optim.Adadelta(p(), { rho: -0.1 }), "Adadelta: invalid rho value -0.1"],
    ["Adadelta lr", () => new optim.Adadelta(p(), { lr: -1 }), "Adadelta: invalid learning rate -1"],
    ["Adadelta eps NaN", () => new optim.Adadelta(p(), { eps: NaN }), "Adadelta: invalid epsilon value NaN"],
    ["Adadelta weight decay", () => new optim.Adadelta(p(), { weightDecay: -0.1 }), "Adadelta: invalid weight decay -0.1"],
    ["Adadelta group rho", () => new optim.Adadelta([{ params: p(), rho: 2 }]), "Adadelta: invalid rho value 2"],
    ["Adamax beta1", () => new optim.Adamax(p(), { betas: [1, 0.999] }), "Adamax: invalid beta parameter at index 0: 1"],
    ["Adamax beta2", () => new optim.Adamax(p(), { betas: [0.9, -0.5] }), "Adamax: invalid beta parameter at index 1: -0.5"],
    ["Adamax three betas", () => new optim.Adamax(p(), { betas: [0.9, 0.9, 0.9] as unknown as [number, number] }), "Adamax: invalid betas [0.9, 0.9, 0.9]"],
    ["Adamax eps", () => new optim.Adamax(p(), { eps: -1 }), "Adamax: invalid epsilon value -1"],
    ["Adamax lr Infinity", () => new optim.Adamax(p(), { lr: Infinity }), "Adamax: invalid learning rate Infinity"],
    ["NAdam momentum decay", () => new optim.NAdam(p(), { momentumDecay: -1 }), "NAdam: invalid momentum decay value -1"],
    ["NAdam weight decay", () => new optim.NAdam(p(), { weightDecay: -1e-3 }), "NAdam: invalid weight decay -0.001"],
    ["NAdam beta", () => new optim.NAdam(p(), { betas: [0.9, 1] }), "NAdam: invalid beta parameter at index 1: 1"],
    ["RAdam lr", () => new optim.RAdam(p(), { lr: -0.5 }), "RAdam: invalid learning rate -0.5"],
    ["RAdam beta", () => new optim.RAdam(p(), { betas: [NaN, 0.9] }), "RAdam: invalid beta parameter at index 0: NaN"],
    ["RAdam group lr", () => new optim.RAdam([{ params: p(), lr: -1 }], { lr: 0.1 }), "RAdam: invalid learning rate -1"],
    // PyTorch 1.13's NAdam and RAdam have no maximize: a misplaced option is refused by name.
    ["NAdam maximize", () => new optim.NAdam(p(), { maximize: true } as never), 'NAdam: unknown option "maximize" (true); known: lr, betas, eps, weightDecay, momentumDecay'],
    ["RAdam maximize", () => new optim.RAdam(p(), { maximize: true } as never), 'RAdam: unknown option "maximize" (true); known: lr, betas, eps, weightDecay'],
    ["Adadelta betas", () => new optim.Adadelta(p(), { betas: [0.9, 0.99] } as never), 'Adadelta: unknown option "betas" ([0.9, 0.99])'],
    ["Adamax maximize kind", () => new optim.Adamax(p(), { maximize: "yes" } as never), 'Adamax: option maximize must be a boolean, got "yes"'],
    ["NAdam momentum decay kind", () => new optim.NAdam(p(), { momentumDecay: "0.004" } as never), 'NAdam: option momentumDecay must be a number, got "0.004"'],
  ];
  it.each(cases)("%s", (_, make, message) => {
    expect(make).toThrow(ValueError);
    expect(make).toThrow(message);
  });

  it("a loaded state dict with an invalid option is refused and leaves the optimizer as it was", () => {
    const a = tensor([1, 2], { dtype: "float64", requiresGrad: true });
    const opt = new optim.Adadelta([a]);
    a.grad = tensor([1, -1], { dtype: "float64" });
    opt.step();
    const before = opt.stateDict();
    const bad = { ...before, paramGroups: [{ ...before.paramGroups[0], rho: 1.5 }] };
    expect(() => opt.loadStateDict(bad)).toThrow("Adadelta: invalid rho value 1.5");
    expect(opt.stateDict()).toEqual(before);
  });
});
