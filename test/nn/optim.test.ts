/**
 * Optimizers against their update equations written out by hand here, in plain JS numbers, one
 * element at a time (the textbook forms from PyTorch's docs), over several steps with fixed
 * synthetic gradients on float64 parameters.
 */

import { describe, expect, it } from "vitest";
import { Tensor, ValueError, fusedAdamStep_, getBackend, noGrad, setBackend, tensor, zeros } from "@tensorgrad/autograd";
import { optim } from "@tensorgrad/nn";

const TOL = { rtol: 1e-10, atol: 1e-14 };

/** Starting parameter values. */
const P0 = [1.0, -2.0, 0.5, 3.0];
/** The gradient given at each step (independent of the parameters, so the references stay simple). */
const G = [
  [0.1, -0.2, 0.3, 0.0],
  [0.4, 0.1, -0.5, 1.0],
  [-0.3, 0.2, 0.05, -0.7],
  [0.2, -0.6, 0.9, 0.1],
  [-0.1, 0.3, -0.2, 0.4],
];

function f64(values: readonly number[], requiresGrad = false): Tensor {
  return tensor(values, { dtype: "float64", requiresGrad });
}

/** Runs an optimizer over the gradients G, returning the parameter values after each step. */
function trajectory(make: (p: Tensor) => optim.Optimizer, grads: readonly (readonly number[])[] = G): number[][] {
  const p = f64(P0, true);
  const opt = make(p);
  return grads.map((g) => {
    p.grad = f64(g);
    opt.step();
    return p.toFlatArray();
  });
}

// ---------------------------------------------------------------- hand-written references

interface SgdRef { lr: number; momentum?: number; dampening?: number; weightDecay?: number; nesterov?: boolean; maximize?: boolean }

/** SGD as documented: g ← g + wd·p; buf ← g (first step) or μ·buf + (1−τ)·g; g ← nesterov ? g + μ·buf : buf; p ← p − lr·g. */
function sgdRef(o: SgdRef, grads = G, p0 = P0): number[][] {
  const { lr, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false, maximize = false } = o;
  const p = [...p0];
  let buf: number[] | null = null;
  const out: number[][] = [];
  for (const gt of grads) {
    const first = buf === null;
    const nextBuf: number[] = [];
    for (let i = 0; i < p.length; i++) {
      let g = maximize ? -gt[i] : gt[i];
      g = g + weightDecay * p[i];
      if (momentum !== 0) {
        const b = first ? g : momentum * (buf as number[])[i] + (1 - dampening) * g;
        nextBuf.push(b);
        g = nesterov ? g + momentum * b : b;
      }
      p[i] = p[i] - lr * g;
    }
    buf = nextBuf;
    out.push([...p]);
  }
  return out;
}

interface AdamRef { lr: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number; amsgrad?: boolean; maximize?: boolean; decoupled?: boolean }

/** Adam as documented: m ← β1m + (1−β1)g; v ← β2v + (1−β2)g²; m̂ = m/(1−β1ᵗ); v̂ = v/(1−β2ᵗ); p ← p − lr·m̂/(√v̂ + eps). */
function adamRef(o: AdamRef, grads = G): number[][] {
  const { lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0, amsgrad = false, maximize = false, decoupled = false } = o;
  const p = [...P0];
  const m = P0.map(() => 0);
  const v = P0.map(() => 0);
  const vmax = P0.map(() => 0);
  const out: number[][] = [];
  grads.forEach((gt, step) => {
    const t = step + 1;
    for (let i = 0; i < p.length; i++) {
      let g = maximize ? -gt[i] : gt[i];
      if (decoupled) p[i] = p[i] * (1 - lr * weightDecay);
      else g = g + weightDecay * p[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      vmax[i] = Math.max(vmax[i], v[i]);
      const mHat = m[i] / (1 - beta1 ** t);
      const vHat = (amsgrad ? vmax[i] : v[i]) / (1 - beta2 ** t);
      p[i] = p[i] - (lr * mHat) / (Math.sqrt(vHat) + eps);
    }
    out.push([...p]);
  });
  return out;
}

interface RmsRef { lr: number; alpha?: number; eps?: number; weightDecay?: number; momentum?: number; centered?: boolean }

/** RMSprop as documented: v ← αv + (1−α)g²; centered: ḡ ← αḡ + (1−α)g, ṽ = v − ḡ²; buf ← μ·buf + g/(√ṽ + eps); p ← p − lr·buf. */
function rmspropRef(o: RmsRef): number[][] {
  const { lr, alpha = 0.99, eps = 1e-8, weightDecay = 0, momentum = 0, centered = false } = o;
  const p = [...P0];
  const v = P0.map(() => 0);
  const gAvg = P0.map(() => 0);
  const buf = P0.map(() => 0);
  const out: number[][] = [];
  for (const gt of G) {
    for (let i = 0; i < p.length; i++) {
      const g = gt[i] + weightDecay * p[i];
      v[i] = alpha * v[i] + (1 - alpha) * g * g;
      let vTilde = v[i];
      if (centered) {
        gAvg[i] = alpha * gAvg[i] + (1 - alpha) * g;
        vTilde = v[i] - gAvg[i] * gAvg[i];
      }
      const denom = Math.sqrt(vTilde) + eps;
      if (momentum > 0) {
        buf[i] = momentum * buf[i] + g / denom;
        p[i] = p[i] - lr * buf[i];
      } else p[i] = p[i] - (lr * g) / denom;
    }
    out.push([...p]);
  }
  return out;
}

interface AdagradRef { lr: number; lrDecay?: number; weightDecay?: number; initialAccumulatorValue?: number; eps?: number }

/** Adagrad as documented: γ̃ = γ/(1 + (t−1)η); s ← s + g²; p ← p − γ̃·g/(√s + eps). */
function adagradRef(o: AdagradRef): number[][] {
  const { lr, lrDecay = 0, weightDecay = 0, initialAccumulatorValue = 0, eps = 1e-10 } = o;
  const p = [...P0];
  const s = P0.map(() => initialAccumulatorValue);
  const out: number[][] = [];
  G.forEach((gt, step) => {
    const clr = lr / (1 + step * lrDecay);
    for (let i = 0; i < p.length; i++) {
      const g = gt[i] + weightDecay * p[i];
      s[i] = s[i] + g * g;
      p[i] = p[i] - (clr * g) / (Math.sqrt(s[i]) + eps);
    }
    out.push([...p]);
  });
  return out;
}

// ---------------------------------------------------------------- SGD

describe("SGD", () => {
  it("plain: p ← p − lr·g, checked with literal numbers", () => {
    const traj = trajectory((p) => new optim.SGD([p], { lr: 0.1 }), G.slice(0, 2));
    // step 1: 1 − 0.1·0.1, −2 + 0.1·0.2, 0.5 − 0.1·0.3, 3 − 0; step 2 subtracts 0.1·(0.4, 0.1, −0.5, 1).
    expect(traj[0]).toBeAllclose([0.99, -1.98, 0.47, 3.0], TOL);
    expect(traj[1]).toBeAllclose([0.95, -1.99, 0.52, 2.9], TOL);
  });

  it("momentum with a constant gradient: buf = 1, 1.9, 2.71 (literal)", () => {
    const traj = trajectory((p) => new optim.SGD([p], { lr: 0.1, momentum: 0.9 }), [[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]);
    expect(traj.map((row) => row[0])).toBeAllclose([1 - 0.1, 1 - 0.1 - 0.19, 1 - 0.1 - 0.19 - 0.271], TOL);
  });

  const cases: [string, SgdRef][] = [
    ["plain", { lr: 0.1 }],
    ["momentum", { lr: 0.1, momentum: 0.9 }],
    ["momentum + dampening", { lr: 0.05, momentum: 0.8, dampening: 0.3 }],
    ["nesterov", { lr: 0.1, momentum: 0.9, nesterov: true }],
    ["weight decay", { lr: 0.1, weightDecay: 0.05 }],
    ["momentum + weight decay", { lr: 0.1, momentum: 0.5, weightDecay: 0.1 }],
    ["maximize", { lr: 0.1, momentum: 0.9, maximize: true }],
    ["maximize + weight decay + nesterov", { lr: 0.2, momentum: 0.7, weightDecay: 0.01, nesterov: true, maximize: true }],
  ];
  it.each(cases)("%s matches the update equations over 5 steps", (_, o) => {
    const traj = trajectory((p) => new optim.SGD([p], o));
    expect(traj).toBeAllclose(sgdRef(o), TOL);
  });

  it("gradients from a loss: L = Σ(p − c)², ∂L/∂p = 2(p − c), with zeroGrad between steps", () => {
    const c = [0.5, 0.5, -1, 2];
    const p = f64(P0, true);
    const opt = new optim.SGD([p], { lr: 0.1, momentum: 0.9 });
    // Reference: the same recursion with g = 2(p − c) computed from the reference's own p.
    const ref = [...P0];
    let buf: number[] | null = null;
    for (let step = 0; step < 4; step++) {
      opt.zeroGrad();
      p.sub(f64(c)).square().sum().backward();
      opt.step();
      const g = ref.map((x, i) => 2 * (x - c[i]));
      buf = buf === null ? g : buf.map((b, i) => 0.9 * b + g[i]);
      for (let i = 0; i < ref.length; i++) ref[i] -= 0.1 * buf[i];
      expect(p).toBeAllclose(ref, TOL);
    }
  });
});

// ---------------------------------------------------------------- Adam, AdamW

describe("Adam", () => {
  it("first step moves each coordinate by lr·g/(|g| + eps) (bias correction makes m̂ = g, v̂ = g²)", () => {
    const traj = trajectory((p) => new optim.Adam([p], { lr: 0.1 }), [[0.5, -2, 1e-3, 4]]);
    const expected = P0.map((x, i) => x - (0.1 * [0.5, -2, 1e-3, 4][i]) / (Math.abs([0.5, -2, 1e-3, 4][i]) + 1e-8));
    expect(traj[0]).toBeAllclose(expected, TOL);
  });

  const cases: [string, AdamRef][] = [
    ["defaults with lr 0.1", { lr: 0.1 }],
    ["other betas and eps", { lr: 0.05, beta1: 0.5, beta2: 0.9, eps: 1e-3 }],
    ["L2 weight decay", { lr: 0.1, weightDecay: 0.1 }],
    ["amsgrad", { lr: 0.1, beta2: 0.5, amsgrad: true }],
    ["maximize", { lr: 0.1, maximize: true }],
  ];
  it.each(cases)("%s matches the update equations over 5 steps", (_, o) => {
    const traj = trajectory((p) => new optim.Adam([p], { lr: o.lr, betas: [o.beta1 ?? 0.9, o.beta2 ?? 0.999], eps: o.eps ?? 1e-8, weightDecay: o.weightDecay ?? 0, amsgrad: o.amsgrad, maximize: o.maximize }));
    expect(traj).toBeAllclose(adamRef(o), TOL);
  });

  it("amsgrad differs from plain Adam once v falls (the test data exercises the max)", () => {
    const o = { lr: 0.1, beta2: 0.5 };
    expect(adamRef({ ...o, amsgrad: true })[4][0]).not.toBeCloseTo(adamRef(o)[4][0], 6);
  });
});

describe("AdamW", () => {
  it("decays the weights decoupled from the gradient: p ← p·(1 − lr·wd), then the Adam step", () => {
    const traj = trajectory((p) => new optim.AdamW([p], { lr: 0.1, weightDecay: 0.2 }));
    expect(traj).toBeAllclose(adamRef({ lr: 0.1, weightDecay: 0.2, decoupled: true }), TOL);
  });

  it("defaults to weightDecay 1e-2, and differs from Adam's L2 penalty", () => {
    const traj = trajectory((p) => new optim.AdamW([p], { lr: 0.1 }));
    expect(traj).toBeAllclose(adamRef({ lr: 0.1, weightDecay: 1e-2, decoupled: true }), TOL);
    expect(traj).not.toBeAllclose(adamRef({ lr: 0.1, weightDecay: 1e-2 }), TOL);
  });

  it("with amsgrad", () => {
    const traj = trajectory((p) => new optim.AdamW([p], { lr: 0.05, betas: [0.8, 0.6], amsgrad: true, weightDecay: 0.1 }));
    expect(traj).toBeAllclose(adamRef({ lr: 0.05, beta1: 0.8, beta2: 0.6, amsgrad: true, weightDecay: 0.1, decoupled: true }), TOL);
  });
});

describe("fused Adam(W) and Adadelta steps (the wasm backend's kernels) against the op-by-op update", () => {
  // The cpu backend has no fused kernel, so there the optimizer runs its Tensor ops: the oracle.
  // On wasm a 20,000-element parameter takes the fused kernel (the spy counts its uses).
  type Make = (p: Tensor) => { step(): void };
  const variants: [string, "adamStep" | "adadeltaStep", Make][] = [
    ["Adam defaults", "adamStep", (p) => new optim.Adam([p], { lr: 1e-2 })],
    ["Adam, L2 weight decay and maximize", "adamStep", (p) => new optim.Adam([p], { lr: 1e-2, weightDecay: 0.1, maximize: true })],
    ["Adam, beta1 0.3 (lerp's other form) and a large eps", "adamStep", (p) => new optim.Adam([p], { lr: 0.05, betas: [0.3, 0.8], eps: 1e-2 })],
    ["AdamW decoupled decay", "adamStep", (p) => new optim.AdamW([p], { lr: 1e-2, weightDecay: 0.3 })],
    ["AdamW without decay", "adamStep", (p) => new optim.AdamW([p], { lr: 1e-2, weightDecay: 0 })],
    ["Adadelta defaults", "adadeltaStep", (p) => new optim.Adadelta([p])],
    ["Adadelta lr 0.5, rho 0.8, eps 1e-4, L2 weight decay and maximize", "adadeltaStep", (p) => new optim.Adadelta([p], { lr: 0.5, rho: 0.8, eps: 1e-4, weightDecay: 0.1, maximize: true })],
  ];

  /** Parameter values after 4 steps of the optimizer on `backend`, with gradients from a fixed formula. */
  function run(backend: string, dtype: "float32" | "float64", method: "adamStep" | "adadeltaStep", make: Make): { values: number[]; fusedCalls: number } {
    const previous = getBackend().name;
    setBackend(backend);
    const b = getBackend() as unknown as Record<string, ((...args: unknown[]) => boolean) | undefined>;
    const original = b[method];
    let fusedCalls = 0;
    if (original !== undefined) {
      b[method] = (...args: unknown[]) => {
        const done = original.apply(b, args);
        if (done) fusedCalls++;
        return done;
      };
    }
    try {
      const n = 20_000; // several of the wasm kernel's chunks (OPTIM_CHUNK_BYTES), the last one partial
      const p = tensor(Array.from({ length: n }, (_, i) => Math.sin(i) * 2), { dtype, requiresGrad: true });
      const opt = make(p);
      for (let step = 1; step <= 4; step++) {
        p.grad = tensor(Array.from({ length: n }, (_, i) => Math.cos(i * step) * (i % 7 === 0 ? 1e-4 : 1)), { dtype });
        opt.step();
      }
      return { values: p.toFlatArray(), fusedCalls };
    } finally {
      if (original !== undefined) b[method] = original;
      setBackend(previous);
    }
  }

  for (const dtype of ["float32", "float64"] as const) {
    it.each(variants)(`%s (${dtype}): bit for bit the cpu's op-by-op result`, (_, method, make) => {
      const oracle = run("cpu", dtype, method, make);
      expect(oracle.fusedCalls).toBe(0);
      const fused = run("wasm", dtype, method, make);
      expect(fused.fusedCalls).toBe(4);
      expect(fused.values.length).toBe(oracle.values.length);
      for (let i = 0; i < oracle.values.length; i++) expect(Object.is(fused.values[i], oracle.values[i]), `element ${i}`).toBe(true);
    });
  }

  it("AMSGrad, views and mixed dtypes take the ops (the fused call declines)", () => {
    const p = tensor(Array.from({ length: 200 }, (_, i) => i / 100), { requiresGrad: true });
    const g = tensor(Array.from({ length: 200 }, () => 0.5));
    const m = zeros([200]);
    const v = zeros([200]);
    const scalars = { maximize: false, weightDecay: 0, decay: null, beta1: 0.9, beta2: 0.999, biasCorrection2Sqrt: 1, eps: 1e-8, stepSize: 0.1 };
    expect(noGrad(() => fusedAdamStep_(p, g.to("float64"), m, v, scalars))).toBe(false);
    expect(noGrad(() => fusedAdamStep_(p, g, m, m, scalars))).toBe(false); // moments sharing memory
    expect(noGrad(() => fusedAdamStep_(p, zeros([400]).narrow(0, 100, 200), m, v, scalars))).toBe(false); // a view
    expect(fusedAdamStep_(p, g, m, v, scalars)).toBe(false); // grad mode on, param requires grad
    expect(p.version).toBe(0);
  });
});

// ---------------------------------------------------------------- RMSprop, Adagrad

describe("RMSprop", () => {
  const cases: [string, RmsRef][] = [
    ["plain", { lr: 0.01 }],
    ["other alpha and eps", { lr: 0.05, alpha: 0.9, eps: 1e-4 }],
    ["centered", { lr: 0.01, alpha: 0.9, centered: true }],
    ["momentum", { lr: 0.01, momentum: 0.9 }],
    ["centered + momentum + weight decay", { lr: 0.02, alpha: 0.8, momentum: 0.5, centered: true, weightDecay: 0.1 }],
  ];
  it.each(cases)("%s matches the update equations over 5 steps", (_, o) => {
    const traj = trajectory((p) => new optim.RMSprop([p], o));
    expect(traj).toBeAllclose(rmspropRef(o), TOL);
  });
});

describe("Adagrad", () => {
  const cases: [string, AdagradRef][] = [
    ["plain", { lr: 0.1 }],
    ["lr decay", { lr: 0.1, lrDecay: 0.5 }],
    ["initial accumulator + weight decay + eps", { lr: 0.1, initialAccumulatorValue: 0.3, weightDecay: 0.1, eps: 1e-3 }],
  ];
  it.each(cases)("%s matches the update equations over 5 steps", (_, o) => {
    const traj = trajectory((p) => new optim.Adagrad([p], o));
    expect(traj).toBeAllclose(adagradRef(o), TOL);
  });
});

// ---------------------------------------------------------------- base class behaviour

describe("Optimizer base", () => {
  it("param groups: per-group options override the defaults", () => {
    const a = f64(P0, true);
    const b = f64(P0, true);
    const opt = new optim.SGD([{ params: [a], lr: 0.1 }, { params: [b] }], { lr: 0.01, momentum: 0.9 });
    expect(opt.paramGroups.map((g) => [g.lr, g.momentum])).toEqual([[0.1, 0.9], [0.01, 0.9]]);
    const trajA: number[][] = [];
    const trajB: number[][] = [];
    for (const g of G) {
      a.grad = f64(g);
      b.grad = f64(g);
      opt.step();
      trajA.push(a.toFlatArray());
      trajB.push(b.toFlatArray());
    }
    expect(trajA).toBeAllclose(sgdRef({ lr: 0.1, momentum: 0.9 }), TOL);
    expect(trajB).toBeAllclose(sgdRef({ lr: 0.01, momentum: 0.9 }), TOL);
  });

  it("addParamGroup adds a group with the defaults; a parameter may not be in two groups", () => {
    const a = f64([1], true);
    const b = f64([2], true);
    const opt = new optim.Adam([a], { lr: 0.5 });
    opt.addParamGroup({ params: [b], betas: [0.5, 0.6] });
    expect(opt.paramGroups[1].lr).toBe(0.5);
    expect(opt.paramGroups[1].betas).toEqual([0.5, 0.6]);
    expect(() => opt.addParamGroup({ params: [a] })).toThrow("Adam: some parameters appear in more than one parameter group");
  });

  it("accepts any iterable of parameters (a generator) and rejects bad inputs", () => {
    const a = f64([1], true);
    function* params() {
      yield a;
    }
    expect(new optim.SGD(params(), { lr: 0.1 }).paramGroups[0].params).toEqual([a]);
    expect(() => new optim.SGD([], { lr: 0.1 })).toThrow("SGD: optimizer got an empty parameter list");
    expect(() => new optim.SGD(a as unknown as Tensor[], { lr: 0.1 })).toThrow(ValueError);
    expect(() => new optim.SGD([a, a], { lr: 0.1 })).toThrow("more than once");
    expect(() => new optim.SGD([tensor([1, 2], { dtype: "int32" })], { lr: 0.1 })).toThrow("SGD: can only optimize floating point tensors");
    expect(() => new optim.SGD([a.mul(2)], { lr: 0.1 })).toThrow("SGD: can't optimize a non-leaf tensor");
  });

  it("zeroGrad sets grads to null by default, to zeros with setToNone: false", () => {
    const a = f64([1, 2], true);
    const opt = new optim.SGD([a], { lr: 0.1 });
    a.grad = f64([3, 4]);
    const g = a.grad;
    opt.zeroGrad({ setToNone: false });
    expect(a.grad).toBe(g);
    expect(a.grad?.toFlatArray()).toEqual([0, 0]);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
  });

  it("step skips parameters whose grad is null (no state is created for them)", () => {
    const a = f64([1, 2], true);
    const b = f64([3, 4], true);
    const opt = new optim.Adam([a, b], { lr: 0.1 });
    a.grad = f64([1, 1]);
    opt.step();
    expect(b.toFlatArray()).toEqual([3, 4]);
    expect(opt.state.has(b)).toBe(false);
    expect(opt.state.get(a)?.step).toBe(1);
  });

  it("step runs a closure with grad on and returns its loss", () => {
    const a = f64([3], true);
    const opt = new optim.SGD([a], { lr: 0.25 });
    const loss = opt.step(() => {
      opt.zeroGrad();
      const l = a.square().sum(); // ∂/∂a a² = 2a = 6
      l.backward();
      return l;
    });
    expect((loss as Tensor).item()).toBe(9);
    expect(a.item()).toBe(3 - 0.25 * 6);
  });

  it("works on float32 parameters", () => {
    const a = tensor([1, -2], { requiresGrad: true });
    const opt = new optim.Adam([a], { lr: 0.1 });
    a.grad = tensor([0.5, -0.5]);
    opt.step();
    expect(a.dtype).toBe("float32");
    expect(a).toBeAllclose([0.9, -1.9], { rtol: 1e-6 });
  });
});

describe("state dicts", () => {
  it("has PyTorch's structure: state keyed by parameter index, groups with params as indices", () => {
    const a = f64([1, 2], true);
    const b = f64([3], true);
    const c = f64([4], true);
    const opt = new optim.Adam([{ params: [a, b] }, { params: [c], lr: 0.5 }], { lr: 0.1 });
    a.grad = f64([1, 1]);
    c.grad = f64([1]);
    opt.step();
    const sd = opt.stateDict();
    expect(sd.paramGroups).toEqual([
      { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, params: [0, 1] },
      { lr: 0.5, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, params: [2] },
    ]);
    expect(Object.keys(sd.state)).toEqual(["0", "2"]);
    expect(sd.state[0].step).toBe(1);
    // m = (1 − β1)·g = 0.1 after one step; the snapshot does not change with later steps.
    expect(sd.state[0].expAvg).toBeAllclose([0.1, 0.1], TOL);
    opt.step();
    expect(sd.state[0].expAvg).toBeAllclose([0.1, 0.1], TOL);
  });

  const makers: [string, (p: Tensor) => optim.Optimizer][] = [
    ["SGD", (p) => new optim.SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true })],
    ["Adam", (p) => new optim.Adam([p], { lr: 0.1, amsgrad: true })],
    ["AdamW", (p) => new optim.AdamW([p], { lr: 0.1 })],
    ["RMSprop", (p) => new optim.RMSprop([p], { lr: 0.01, centered: true, momentum: 0.5 })],
    ["Adagrad", (p) => new optim.Adagrad([p], { lr: 0.1, lrDecay: 0.1 })],
  ];
  it.each(makers)("%s: a run resumed from a state dict continues identically", (_, make) => {
    const full = trajectory(make);
    // Run 2 steps, checkpoint parameters + optimizer, then resume in a fresh optimizer.
    const p = f64(P0, true);
    const opt = make(p);
    for (const g of G.slice(0, 2)) {
      p.grad = f64(g);
      opt.step();
    }
    const sd = opt.stateDict();
    const q = f64(p.toFlatArray(), true);
    const resumed = make(q);
    resumed.loadStateDict(sd);
    const rest = G.slice(2).map((g) => {
      q.grad = f64(g);
      resumed.step();
      return q.toFlatArray();
    });
    expect(rest).toEqual(full.slice(2));
  });

  it("loadStateDict restores group options such as a scheduled lr", () => {
    const a = f64([1], true);
    const opt = new optim.SGD([a], { lr: 0.1 });
    opt.paramGroups[0].lr = 0.025;
    const fresh = new optim.SGD([f64([1], true)], { lr: 0.1 });
    fresh.loadStateDict(opt.stateDict());
    expect(fresh.paramGroups[0].lr).toBe(0.025);
  });

  it("a mismatched state dict is a clear error and leaves the optimizer untouched", () => {
    const a = f64([1, 2], true);
    const opt = new optim.Adam([a], { lr: 0.1 });
    a.grad = f64([1, 1]);
    opt.step();
    const sd = opt.stateDict();
    const before = opt.stateDict();

    const twoGroups = new optim.Adam([{ params: [f64([1, 2], true)] }, { params: [f64([1], true)] }]);
    expect(() => twoGroups.loadStateDict(sd)).toThrow("Adam.loadStateDict: the loaded state dict has 1 parameter groups, the optimizer has 2");

    const twoParams = new optim.Adam([f64([1, 2], true), f64([1], true)]);
    expect(() => twoParams.loadStateDict(sd)).toThrow("Adam.loadStateDict: parameter group 0 has 1 parameters in the loaded state dict, 2 in the optimizer");

    const wrongShape = new optim.Adam([f64([1, 2, 3], true)], { lr: 0.3 });
    expect(() => wrongShape.loadStateDict(sd)).toThrow("Adam.loadStateDict: state expAvg of parameter 0 has shape [2], the parameter has [3]");
    expect(wrongShape.paramGroups[0].lr).toBe(0.3);
    expect(wrongShape.state.size).toBe(0);

    const badOption = { ...sd, paramGroups: [{ ...sd.paramGroups[0], lr: -1 }] };
    expect(() => opt.loadStateDict(badOption)).toThrow("Adam: invalid learning rate -1");
    expect(opt.stateDict()).toEqual(before);
  });
});

describe("hyperparameter errors", () => {
  const p = () => [f64([1], true)];
  const cases: [string, () => unknown, string][] = [
    ["SGD lr", () => new optim.SGD(p(), { lr: -1 }), "SGD: invalid learning rate -1"],
    ["SGD lr NaN", () => new optim.SGD(p(), { lr: NaN }), "SGD: invalid learning rate NaN"],
    ["SGD momentum", () => new optim.SGD(p(), { momentum: -0.5 }), "SGD: invalid momentum value -0.5"],
    ["SGD weight decay", () => new optim.SGD(p(), { weightDecay: -1 }), "SGD: invalid weight decay -1"],
    ["SGD nesterov without momentum", () => new optim.SGD(p(), { nesterov: true }), "SGD: Nesterov momentum requires a momentum and zero dampening (momentum 0, dampening 0)"],
    ["SGD nesterov with dampening", () => new optim.SGD(p(), { nesterov: true, momentum: 0.9, dampening: 0.1 }), "SGD: Nesterov momentum requires a momentum and zero dampening"],
    ["SGD group option", () => new optim.SGD([{ params: p(), lr: -2 }], { lr: 0.1 }), "SGD: invalid learning rate -2"],
    ["Adam beta1", () => new optim.Adam(p(), { betas: [1.5, 0.999] }), "Adam: invalid beta parameter at index 0: 1.5"],
    ["Adam beta2", () => new optim.Adam(p(), { betas: [0.9, 1] }), "Adam: invalid beta parameter at index 1: 1"],
    ["Adam eps", () => new optim.Adam(p(), { eps: -1e-8 }), "Adam: invalid epsilon value -1e-8"],
    ["Adam lr", () => new optim.Adam(p(), { lr: -0.001 }), "Adam: invalid learning rate -0.001"],
    ["AdamW weight decay", () => new optim.AdamW(p(), { weightDecay: -0.1 }), "AdamW: invalid weight decay -0.1"],
    ["RMSprop alpha", () => new optim.RMSprop(p(), { alpha: -0.9 }), "RMSprop: invalid alpha value -0.9"],
    ["RMSprop momentum", () => new optim.RMSprop(p(), { momentum: -1 }), "RMSprop: invalid momentum value -1"],
    ["Adagrad lr decay", () => new optim.Adagrad(p(), { lrDecay: -1 }), "Adagrad: invalid lr decay value -1"],
    ["Adagrad accumulator", () => new optim.Adagrad(p(), { initialAccumulatorValue: -1 }), "Adagrad: invalid initial accumulator value -1"],
  ];
  it.each(cases)("%s", (_, make, message) => {
    expect(make).toThrow(ValueError);
    expect(make).toThrow(message);
  });
});

// ---------------------------------------------------------------- gradient clipping

describe("clipGradNorm_ / clipGradValue_", () => {
  function withGrads(...grads: number[][]): Tensor[] {
    return grads.map((g) => {
      const p = f64(g.map(() => 0), true);
      p.grad = f64(g);
      return p;
    });
  }

  it("returns the total 2-norm over all parameters and scales by maxNorm/(total + 1e-6)", () => {
    const params = withGrads([3, 4], [12]); // √(9 + 16 + 144) = 13
    const total = optim.clipGradNorm_(params, 6.5);
    expect(total).toBeCloseTo(13, 12);
    const c = 6.5 / (13 + 1e-6);
    expect(params[0].grad).toBeAllclose([3 * c, 4 * c], TOL);
    expect(params[1].grad).toBeAllclose([12 * c], TOL);
  });

  it("leaves gradients alone when the norm is already below maxNorm; skips null grads", () => {
    const params = [...withGrads([3, 4]), f64([1], true)];
    expect(optim.clipGradNorm_(params, 10)).toBeCloseTo(5, 12);
    expect(params[0].grad?.toFlatArray()).toEqual([3, 4]);
    expect(params[1].grad).toBeNull();
  });

  it("inf-norm: the largest |g| over all parameters", () => {
    const params = withGrads([1, -7], [2]);
    expect(optim.clipGradNorm_(params, 3.5, Infinity)).toBe(7);
    const c = 3.5 / (7 + 1e-6);
    expect(params[0].grad).toBeAllclose([c, -7 * c], TOL);
  });

  it("1-norm, and a single tensor as params", () => {
    const [p] = withGrads([1, -2, 3]);
    expect(optim.clipGradNorm_(p, 100, 1)).toBeCloseTo(6, 12);
  });

  it("errorIfNonfinite, and invalid arguments", () => {
    const params = withGrads([Infinity, 1]);
    expect(() => optim.clipGradNorm_(params, 1, 2, { errorIfNonfinite: true })).toThrow("clipGradNorm_: the total norm of order 2 of the gradients is non-finite (Infinity)");
    expect(() => optim.clipGradNorm_(params, -1)).toThrow("clipGradNorm_: invalid maxNorm -1");
    expect(() => optim.clipGradNorm_(params, 1, 0)).toThrow("clipGradNorm_: invalid normType 0");
  });

  it("{ returnTensor: true }: the total norm as a 0-d tensor (PyTorch's return), gradients scaled by clamp(maxNorm/(total + 1e-6), max 1)", () => {
    const params = withGrads([3, 4], [12]); // 13
    const total = optim.clipGradNorm_(params, 6.5, 2, { returnTensor: true });
    expect(total.shape).toEqual([]);
    expect(total.item()).toBeCloseTo(13, 12);
    const c = 6.5 / (13 + 1e-6);
    expect(params[0].grad).toBeAllclose([3 * c, 4 * c], TOL);
    const inf = withGrads([1, -7], [2]);
    expect(optim.clipGradNorm_(inf, 100, Infinity, { returnTensor: true }).item()).toBe(7);
    expect(inf[0].grad?.toFlatArray()).toEqual([1, -7]); // coefficient clamped to 1
    expect(optim.clipGradNorm_([], 1, 2, { returnTensor: true }).item()).toBe(0);
  });

  it("clipGradValue_ clamps every element to [−c, c]", () => {
    const params = withGrads([0.5, -3, 2], [-0.1]);
    optim.clipGradValue_(params, 1);
    expect(params[0].grad?.toFlatArray()).toEqual([0.5, -1, 1]);
    expect(params[1].grad?.toFlatArray()).toEqual([-0.1]);
    expect(() => optim.clipGradValue_(params, -1)).toThrow("clipGradValue_: invalid clipValue -1");
  });
});

// ---------------------------------------------------------------- recorded from PyTorch

describe("matches PyTorch 1.13.1 number by number", () => {
  // Parameter values after the 5 steps over G, recorded with torch 1.13.1 in float64:
  //   p = torch.tensor(P0, requires_grad=True); opt = torch.optim.<Optimizer>([p], ...)
  //   for g in G: p.grad = torch.tensor(g); opt.step()
  const recorded: [string, (p: Tensor) => optim.Optimizer, number[]][] = [
    ["SGD(lr=0.1)", (p) => new optim.SGD([p], { lr: 0.1 }), [0.97, -1.9799999999999998, 0.445, 2.92]],
    ["SGD(lr=0.1, momentum=0.9)", (p) => new optim.SGD([p], { lr: 0.1, momentum: 0.9 }), [0.8747889999999999, -1.9226879999999997, 0.384547, 2.7868]],
    ["SGD(lr=0.05, momentum=0.8, dampening=0.3)", (p) => new optim.SGD([p], { lr: 0.05, momentum: 0.8, dampening: 0.3 }), [0.9583839999999999, -1.966496, 0.44726599999999994, 2.93616]],
    ["SGD(lr=0.1, momentum=0.9, nesterov=True)", (p) => new optim.SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true }), [0.8573101, -1.9104192, 0.3410923, 2.72812]],
    ["SGD(lr=0.1, weight_decay=0.05)", (p) => new optim.SGD([p], { lr: 0.1, weightDecay: 0.05 }), [0.9458450131156251, -1.93084576498125, 0.4329735102921874, 2.846590521865625]],
    [
      "SGD(lr=0.2, momentum=0.7, weight_decay=0.01, nesterov=True, maximize=True)",
      (p) => new optim.SGD([p], { lr: 0.2, momentum: 0.7, weightDecay: 0.01, nesterov: true, maximize: true }),
      [1.155898034856364, -2.072270411043752, 0.7376744830147408, 3.304124288505516],
    ],
    ["Adam(lr=0.1)", (p) => new optim.Adam([p], { lr: 0.1 }), [0.7401322873160943, -1.8485044350455253, 0.3812827265460635, 2.874181640815674]],
    ["Adam(lr=0.05, betas=(0.5, 0.9), eps=1e-3)", (p) => new optim.Adam([p], { lr: 0.05, betas: [0.5, 0.9], eps: 1e-3 }), [0.8937288943614572, -1.949329702764319, 0.4376396254132261, 2.9437596781727575]],
    ["Adam(lr=0.1, weight_decay=0.1)", (p) => new optim.Adam([p], { lr: 0.1, weightDecay: 0.1 }), [0.6607083635826401, -1.629446183810696, 0.34346878030902644, 2.653763011089831]],
    ["Adam(lr=0.1, betas=(0.9, 0.5), amsgrad=True)", (p) => new optim.Adam([p], { lr: 0.1, betas: [0.9, 0.5], amsgrad: true }), [0.7584365764197546, -1.8624055292439274, 0.3918497036127381, 2.8924663226395055]],
    ["Adam(lr=0.1, maximize=True)", (p) => new optim.Adam([p], { lr: 0.1, maximize: true }), [1.259867712683906, -2.1514955649544754, 0.6187172734539367, 3.125818359184326]],
    ["AdamW(lr=0.1, weight_decay=0.2)", (p) => new optim.AdamW([p], { lr: 0.1, weightDecay: 0.2 }), [0.6584110578204716, -1.6654357353331772, 0.3394225383901753, 2.591000707383776]],
    ["AdamW(lr=0.1)", (p) => new optim.AdamW([p], { lr: 0.1 }), [0.7358767586100643, -1.8389911309595535, 0.37910594602048336, 2.859468855462483]],
    [
      "AdamW(lr=0.05, betas=(0.8, 0.6), amsgrad=True, weight_decay=0.1)",
      (p) => new optim.AdamW([p], { lr: 0.05, betas: [0.8, 0.6], amsgrad: true, weightDecay: 0.1 }),
      [0.8588293829586796, -1.8868110626458716, 0.43317914011523007, 2.8723597024321617],
    ],
    ["RMSprop(lr=0.01)", (p) => new optim.RMSprop([p], { lr: 0.01 }), [0.843389282537332, -1.9633454025326467, 0.4116139652591282, 2.9178837189527402]],
    ["RMSprop(lr=0.01, alpha=0.9, centered=True)", (p) => new optim.RMSprop([p], { lr: 0.01, alpha: 0.9, centered: true }), [0.9465648517075927, -1.987988504641055, 0.4696927598319097, 2.9713414348581004]],
    ["RMSprop(lr=0.01, momentum=0.9)", (p) => new optim.RMSprop([p], { lr: 0.01, momentum: 0.9 }), [0.36504374151250624, -1.7972627913546468, 0.22111867026053209, 2.764966549395432]],
    [
      "RMSprop(lr=0.02, alpha=0.8, momentum=0.5, centered=True, weight_decay=0.1)",
      (p) => new optim.RMSprop([p], { lr: 0.02, alpha: 0.8, momentum: 0.5, centered: true, weightDecay: 0.1 }),
      [0.8041546065939846, -1.8125572856723968, 0.39993100443632473, 2.781618675388008],
    ],
    ["Adagrad(lr=0.1)", (p) => new optim.Adagrad([p], { lr: 0.1 }), [0.84326628367802, -1.9627701361786127, 0.41168609997025934, 2.9181352476071805]],
    ["Adagrad(lr=0.1, lr_decay=0.5)", (p) => new optim.Adagrad([p], { lr: 0.1, lrDecay: 0.5 }), [0.8561221622399686, -1.9409787617711665, 0.42546557757506936, 2.9483917905570918]],
    [
      "Adagrad(lr=0.1, initial_accumulator_value=0.3, weight_decay=0.1, eps=1e-3)",
      (p) => new optim.Adagrad([p], { lr: 0.1, initialAccumulatorValue: 0.3, weightDecay: 0.1, eps: 1e-3 }),
      [0.894122509123252, -1.863711295829278, 0.42727148902528517, 2.8239607989925317],
    ],
  ];
  it.each(recorded)("%s", (_, make, expected) => {
    expect(trajectory(make)[4]).toBeAllclose(expected, { rtol: 1e-12, atol: 0 });
  });
});
