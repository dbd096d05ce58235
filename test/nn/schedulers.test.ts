/**
 * LR schedulers: each sequence of learning rates (after construction = epoch 0, then after each
 * step) against the closed form from PyTorch's docs, written out here, for ~20 steps.
 */

import { describe, expect, it } from "vitest";
import { ValueError, tensor } from "@tensorgrad/autograd";
import { optim } from "@tensorgrad/nn";

const TOL = { rtol: 1e-12, atol: 1e-15 };

function sgd(lr = 0.1, momentum = 0): optim.SGD {
  return new optim.SGD([tensor([1], { dtype: "float64", requiresGrad: true })], { lr, momentum });
}

/** The lr of group 0 at epochs 0..steps (construction counts as epoch 0). */
function lrs(scheduler: { step(): void; getLastLr(): number[] }, steps = 20): number[] {
  const out = [scheduler.getLastLr()[0]];
  for (let t = 1; t <= steps; t++) {
    scheduler.step();
    out.push(scheduler.getLastLr()[0]);
  }
  return out;
}

const epochs = (n = 20) => Array.from({ length: n + 1 }, (_, t) => t);

describe("StepLR / MultiStepLR / ExponentialLR", () => {
  it("StepLR: lr₀·γ^⌊t/stepSize⌋", () => {
    const opt = sgd(0.1);
    expect(lrs(new optim.StepLR(opt, 3, 0.5))).toBeAllclose(epochs().map((t) => 0.1 * 0.5 ** Math.floor(t / 3)), TOL);
    expect(opt.paramGroups[0].lr).toBeCloseTo(0.1 * 0.5 ** 6, 15);
  });

  it("MultiStepLR: lr₀·γ^(milestones ≤ t), a repeated milestone counting twice", () => {
    const milestones = [12, 3, 7, 7];
    const expected = epochs().map((t) => 0.1 * 0.1 ** milestones.filter((m) => m <= t).length);
    expect(lrs(new optim.MultiStepLR(sgd(0.1), milestones, 0.1))).toBeAllclose(expected, TOL);
  });

  it("ExponentialLR: lr₀·γᵗ", () => {
    expect(lrs(new optim.ExponentialLR(sgd(0.1), 0.9))).toBeAllclose(epochs().map((t) => 0.1 * 0.9 ** t), TOL);
  });

  it("LambdaLR: lr₀·λ(t), one function per group", () => {
    const opt = new optim.SGD([{ params: [tensor([1], { requiresGrad: true })], lr: 1 }, { params: [tensor([2], { requiresGrad: true })], lr: 2 }]);
    const s = new optim.LambdaLR(opt, [(t) => 1 / (t + 1), (t) => 0.5 ** t]);
    for (let t = 1; t <= 5; t++) s.step();
    expect(s.getLastLr()).toBeAllclose([1 / 6, 2 * 0.5 ** 5], TOL);
  });
});

describe("CosineAnnealingLR", () => {
  const closed = (t: number, T: number, lr0: number, etaMin: number) => etaMin + ((lr0 - etaMin) * (1 + Math.cos((Math.PI * t) / T))) / 2;

  it("agrees with η_min + (η₀ − η_min)(1 + cos(πt/T))/2 to 1e-12 for t ≤ T", () => {
    const T = 20;
    expect(lrs(new optim.CosineAnnealingLR(sgd(0.1), T, 0.001), T)).toBeAllclose(epochs(T).map((t) => closed(t, T, 0.1, 0.001)), TOL);
  });

  it("reaches η_min at t = T and keeps following the cosine wave after it", () => {
    const T = 7;
    const seq = lrs(new optim.CosineAnnealingLR(sgd(0.5), T, 0.05), 3 * T);
    expect(seq[T]).toBeCloseTo(0.05, 14);
    expect(seq).toBeAllclose(epochs(3 * T).map((t) => closed(t, T, 0.5, 0.05)), { rtol: 1e-10, atol: 1e-14 });
  });

  it("applies to every group from its own base lr", () => {
    const a = tensor([1], { requiresGrad: true });
    const b = tensor([1], { requiresGrad: true });
    const s = new optim.CosineAnnealingLR(new optim.SGD([{ params: [a], lr: 1 }, { params: [b], lr: 0.2 }]), 10);
    for (let t = 1; t <= 4; t++) s.step();
    expect(s.getLastLr()).toBeAllclose([closed(4, 10, 1, 0), closed(4, 10, 0.2, 0)], TOL);
  });
});

describe("LinearLR", () => {
  it("lr₀·(s + (e − s)·min(t, T)/T)", () => {
    const [s, e, T] = [0.25, 1, 8];
    const expected = epochs().map((t) => 0.1 * (s + ((e - s) * Math.min(t, T)) / T));
    expect(lrs(new optim.LinearLR(sgd(0.1), { startFactor: s, endFactor: e, totalIters: T }))).toBeAllclose(expected, TOL);
  });

  it("decays too (startFactor 1 → endFactor 0.1), with PyTorch's defaults 1/3 → 1 over 5 otherwise", () => {
    const decay = epochs().map((t) => 0.1 * (1 + ((0.1 - 1) * Math.min(t, 10)) / 10));
    expect(lrs(new optim.LinearLR(sgd(0.1), { startFactor: 1, endFactor: 0.1, totalIters: 10 }))).toBeAllclose(decay, TOL);
    const defaults = epochs(8).map((t) => 0.3 * (1 / 3 + ((1 - 1 / 3) * Math.min(t, 5)) / 5));
    expect(lrs(new optim.LinearLR(sgd(0.3)), 8)).toBeAllclose(defaults, TOL);
  });
});

describe("OneCycleLR", () => {
  // Docs: start = maxLr/divFactor, min = start/finalDivFactor; phase 1 ends at pctStart·T − 1,
  // phase 2 at T − 1; cos annealing a → b over pct ∈ [0, 1]: b + (a − b)(1 + cos(π·pct))/2.
  const cosAnneal = (a: number, b: number, pct: number) => b + ((a - b) * (1 + Math.cos(Math.PI * pct))) / 2;
  const linAnneal = (a: number, b: number, pct: number) => a + (b - a) * pct;

  it("two phases, cos: up from maxLr/25 to maxLr over 30%, then down to maxLr/25/1e4", () => {
    const T = 20;
    const [initial, max, min] = [1 / 25, 1, 1 / 25 / 1e4];
    const end1 = 0.3 * T - 1; // 5
    const expected = epochs(T - 1).map((t) => (t <= end1 ? cosAnneal(initial, max, t / end1) : cosAnneal(max, min, (t - end1) / (T - 1 - end1))));
    const s = new optim.OneCycleLR(sgd(0.1, 0.9), { maxLr: 1, totalSteps: T });
    expect(lrs(s, T - 1)).toBeAllclose(expected, TOL);
    expect(s.getLastLr()[0]).toBeCloseTo(min, 15);
  });

  it("momentum cycles inversely: 0.95 → 0.85 at the peak → 0.95 (SGD momentum, Adam β1)", () => {
    const T = 10;
    const end1 = 0.3 * T - 1; // 2
    const momentum = (t: number) => (t <= end1 ? cosAnneal(0.95, 0.85, t / end1) : cosAnneal(0.85, 0.95, (t - end1) / (T - 1 - end1)));
    const opt = sgd(0.1, 0.9);
    const adam = new optim.Adam([tensor([1], { requiresGrad: true })]);
    const s1 = new optim.OneCycleLR(opt, { maxLr: 1, totalSteps: T });
    const s2 = new optim.OneCycleLR(adam, { maxLr: 1, totalSteps: T });
    for (let t = 0; t < T; t++) {
      if (t > 0) {
        s1.step();
        s2.step();
      }
      expect(opt.paramGroups[0].momentum).toBeCloseTo(momentum(t), 14);
      expect(adam.paramGroups[0].betas[0]).toBeCloseTo(momentum(t), 14);
      expect(adam.paramGroups[0].betas[1]).toBe(0.999);
    }
  });

  it("linear annealing, three phases, custom factors, epochs × stepsPerEpoch", () => {
    const T = 20;
    const [initial, max, min] = [0.5 / 10, 0.5, 0.5 / 10 / 100];
    const e1 = 0.25 * T - 1; // 4
    const e2 = 2 * 0.25 * T - 2; // 8
    const expected = epochs(T - 1).map((t) => {
      if (t <= e1) return linAnneal(initial, max, t / e1);
      if (t <= e2) return linAnneal(max, initial, (t - e1) / (e2 - e1));
      return linAnneal(initial, min, (t - e2) / (T - 1 - e2));
    });
    const s = new optim.OneCycleLR(sgd(0.1, 0.9), {
      maxLr: 0.5, epochs: 4, stepsPerEpoch: 5, pctStart: 0.25, annealStrategy: "linear", threePhase: true, divFactor: 10, finalDivFactor: 100,
    });
    expect(lrs(s, T - 1)).toBeAllclose(expected, TOL);
  });

  it("stepping past totalSteps is an error; bad options are errors", () => {
    const s = new optim.OneCycleLR(sgd(0.1, 0.9), { maxLr: 1, totalSteps: 3 });
    for (let t = 1; t <= 3; t++) s.step();
    expect(() => s.step()).toThrow("OneCycleLR: tried to step 4 times; the specified number of total steps is 3");
    expect(() => new optim.OneCycleLR(sgd(), { maxLr: 1 })).toThrow("OneCycleLR: you must define either totalSteps or both epochs and stepsPerEpoch");
    expect(() => new optim.OneCycleLR(sgd(), { maxLr: 1, totalSteps: 0 })).toThrow("OneCycleLR: invalid totalSteps 0");
    expect(() => new optim.OneCycleLR(sgd(), { maxLr: 1, totalSteps: 5, pctStart: 1.5 })).toThrow("OneCycleLR: invalid pctStart 1.5");
    expect(() => new optim.OneCycleLR(sgd(), { maxLr: [1, 2], totalSteps: 5 })).toThrow("OneCycleLR: expected 1 values for maxLr");
    const noMomentum = new optim.Adagrad([tensor([1], { requiresGrad: true })]);
    expect(() => new optim.OneCycleLR(noMomentum, { maxLr: 1, totalSteps: 5 })).toThrow("OneCycleLR: the optimizer must support momentum or beta1");
    expect(() => new optim.OneCycleLR(noMomentum, { maxLr: 1, totalSteps: 5, cycleMomentum: false })).not.toThrow();
  });
});

describe("ReduceLROnPlateau", () => {
  it("min mode, rel threshold, patience 2, cooldown 1, minLr — the sequence traced by hand", () => {
    const opt = sgd(1);
    const s = new optim.ReduceLROnPlateau(opt, { factor: 0.5, patience: 2, threshold: 0.01, cooldown: 1, minLr: 0.2 });
    // better means < best·0.99. e1 best 10; e2 best 9; e3–e5 bad 1,2,3 → 3 > 2: lr 0.5, cooldown 1;
    // e6 best 8 (cooldown ends); e7–e9 bad → lr 0.25; e10 bad but in cooldown → 0; e11–e13 bad → lr max(0.125, 0.2) = 0.2;
    // e14 in cooldown; e15–e17 bad → max(0.1, 0.2) = 0.2: no change (not more than eps).
    const metrics = [10, 9, 9.5, 9.2, 9.1, 8, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5];
    const expected = [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2, 0.2];
    const seen = metrics.map((m) => {
      s.step(m);
      return s.getLastLr()[0];
    });
    expect(seen).toEqual(expected);
    expect(s.best).toBe(8);
  });

  it("max mode with an abs threshold, metric given as a tensor", () => {
    const opt = sgd(0.1);
    const s = new optim.ReduceLROnPlateau(opt, { mode: "max", factor: 0.1, patience: 0, threshold: 0.05, thresholdMode: "abs" });
    // better means > best + 0.05: 0.5 (best), 0.54 (bad → reduce), 0.6 (best), 0.6 (bad → reduce).
    const seen = [0.5, 0.54, 0.6, 0.6].map((m) => {
      s.step(tensor(m));
      return opt.paramGroups[0].lr;
    });
    expect(seen).toBeAllclose([0.1, 0.01, 0.01, 0.001], TOL);
  });

  it("stepAsync (numbers and tensors) follows the same hand-traced sequence, and calls not awaited apply in order", async () => {
    // The sequence of "min mode, rel threshold, …" above, its metrics alternating numbers and tensors.
    const metrics = [10, 9, 9.5, 9.2, 9.1, 8, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5];
    const expected = [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2, 0.2];
    const options = { factor: 0.5, patience: 2, threshold: 0.01, cooldown: 1, minLr: 0.2 };
    const awaited = new optim.ReduceLROnPlateau(sgd(1), options);
    const seen: number[] = [];
    for (const [i, m] of metrics.entries()) {
      await awaited.stepAsync(i % 2 === 0 ? m : tensor(m, { dtype: "float64" }));
      seen.push(awaited.getLastLr()[0]);
    }
    expect(seen).toEqual(expected);
    const queued = new optim.ReduceLROnPlateau(sgd(1), options);
    const calls = metrics.map((m, i) => queued.stepAsync(i % 2 === 0 ? m : tensor(m, { dtype: "float64" })));
    expect([queued.lastEpoch, queued.getLastLr()[0]]).toEqual([0, 1]); // nothing applied before the reads complete
    await Promise.all(calls);
    expect([queued.lastEpoch, queued.best, queued.getLastLr()[0]]).toEqual([17, 8, 0.2]);
    await expect(queued.stepAsync(tensor([1, 2]))).rejects.toThrow("only one-element tensors");
    await queued.stepAsync(7); // a failed call does not block the later ones
    expect([queued.lastEpoch, queued.best]).toEqual([18, 7]);
  });

  it("rejects bad options", () => {
    expect(() => new optim.ReduceLROnPlateau(sgd(), { factor: 1 })).toThrow("ReduceLROnPlateau: invalid factor 1 (expected 0 ≤ factor < 1)");
    expect(() => new optim.ReduceLROnPlateau(sgd(), { mode: "up" as "min" })).toThrow(ValueError);
    expect(() => new optim.ReduceLROnPlateau(sgd(), { minLr: [0, 0] })).toThrow("expected minLr to be a number or 1 numbers");
  });
});

describe("scheduler state", () => {
  it("sets initialLr on the groups; the scheduled lr drives the optimizer's steps", () => {
    const p = tensor([1], { dtype: "float64", requiresGrad: true });
    const opt = new optim.SGD([p], { lr: 1 });
    const s = new optim.StepLR(opt, 1, 0.5);
    expect(opt.paramGroups[0].initialLr).toBe(1);
    for (let t = 0; t < 3; t++) {
      p.grad = tensor([1], { dtype: "float64" });
      opt.step();
      s.step();
    }
    expect(p.item()).toBe(1 - 1 - 0.5 - 0.25);
  });

  it("stateDict round trip resumes the same sequence (CosineAnnealingLR, ReduceLROnPlateau)", () => {
    const full = lrs(new optim.CosineAnnealingLR(sgd(0.1), 10), 10);
    const optA = sgd(0.1);
    const a = new optim.CosineAnnealingLR(optA, 10);
    for (let t = 1; t <= 4; t++) a.step();
    const optB = sgd(0.1);
    const b = new optim.CosineAnnealingLR(optB, 10);
    b.loadStateDict(a.stateDict());
    optB.loadStateDict(optA.stateDict());
    const rest: number[] = [];
    for (let t = 5; t <= 10; t++) {
      b.step();
      rest.push(b.getLastLr()[0]);
    }
    expect(rest).toBeAllclose(full.slice(5), TOL);
    expect(a.stateDict()).toMatchObject({ lastEpoch: 4, tMax: 10, etaMin: 0, baseLrs: [0.1] });

    const r = new optim.ReduceLROnPlateau(sgd(), { patience: 3 });
    r.step(5);
    r.step(6);
    const r2 = new optim.ReduceLROnPlateau(sgd(), { patience: 7 });
    r2.loadStateDict(r.stateDict());
    expect([r2.best, r2.numBadEpochs, r2.patience, r2.lastEpoch]).toEqual([5, 1, 3, 2]);
    expect(() => r2.loadStateDict({ nonsense: 1 })).toThrow('ReduceLROnPlateau.loadStateDict: unexpected key "nonsense"');
    expect(() => r2.loadStateDict({ best: "x" })).toThrow('ReduceLROnPlateau.loadStateDict: "best" should be a number, got a string');
  });

  it("rejects bad constructor arguments", () => {
    expect(() => new optim.StepLR(sgd(), 0)).toThrow("StepLR: invalid stepSize 0");
    expect(() => new optim.MultiStepLR(sgd(), [-1])).toThrow("MultiStepLR: invalid milestones");
    expect(() => new optim.CosineAnnealingLR(sgd(), 0)).toThrow("CosineAnnealingLR: invalid tMax 0");
    expect(() => new optim.LinearLR(sgd(), { startFactor: 0 })).toThrow("LinearLR: invalid startFactor 0");
    expect(() => new optim.LinearLR(sgd(), { endFactor: 2 })).toThrow("LinearLR: invalid endFactor 2");
  });
});

describe("matches PyTorch 1.13.1", () => {
  // Recorded with torch 1.13.1: lr after construction and after each of the first 4 steps.
  it("OneCycleLR(max_lr=1, total_steps=20) on SGD(lr=0.1, momentum=0.9)", () => {
    const s = new optim.OneCycleLR(sgd(0.1, 0.9), { maxLr: 1, totalSteps: 20 });
    expect(lrs(s, 4)).toBeAllclose([0.040000000000000036, 0.1316718427000253, 0.3716718427000253, 0.6683281572999747, 0.9083281572999747], TOL);
  });

  it("CosineAnnealingLR(T_max=7, eta_min=0.05) from lr 0.5, around t = T", () => {
    const seq = lrs(new optim.CosineAnnealingLR(sgd(0.5), 7, 0.05), 9);
    expect(seq.slice(6)).toBeAllclose([0.07228200472195573, 0.05, 0.0722820047219557, 0.13471479458178492], TOL);
  });
});
