/**
 * Hand-computed cases for every elementwise op: forward values from literal numbers or Math.*
 * formulas written here, and gradients from backward() against the derivative worked out by hand.
 */

import { describe, expect, it } from "vitest";
import {
  Tensor, reluBackward, sigmoidBackward, tanhBackward, tensor, where, type NestedArray,
} from "@tensorgrad/autograd";

const f64 = { dtype: "float64" } as const;
const tight = { rtol: 1e-12, atol: 1e-14 };

/** A float64 tensor, optionally a leaf that requires grad. */
const t = (data: NestedArray, requiresGrad = false): Tensor => tensor(data, { ...f64, requiresGrad });

/** A non-uniform upstream gradient, so a wrong chain rule can't hide behind g = 1. */
const SEED = [0.5, -1, 2, 1.5, -0.25, 3, 0.75, -2];

/** Independent erf: Simpson's rule on 2/√π·e^{−t²} over [0, x] with 4000 intervals (error < 1e-14). */
function erfRef(x: number): number {
  const n = 4000;
  const h = x / n;
  let s = 1 + Math.exp(-x * x);
  for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * Math.exp(-((i * h) ** 2));
  return ((2 / Math.sqrt(Math.PI)) * h * s) / 3;
}

const sigmoidRef = (x: number): number => 1 / (1 + Math.exp(-x));
const phi = (x: number): number => Math.exp(-(x * x) / 2) / Math.sqrt(2 * Math.PI); // normal pdf
const Phi = (x: number): number => 0.5 * (1 + erfRef(x / Math.SQRT2)); // normal cdf

interface UnaryCase {
  readonly name: string;
  readonly f: (x: Tensor) => Tensor;
  readonly xs: number[];
  readonly value: (x: number) => number;
  readonly deriv: (x: number) => number;
  readonly tol?: { rtol: number; atol: number };
}

const K = Math.sqrt(2 / Math.PI);
const C = 0.044715;

const UNARY: UnaryCase[] = [
  { name: "neg", f: (x) => x.neg(), xs: [-1.5, 0, 2.25], value: (x) => -x, deriv: () => -1 },
  { name: "exp", f: (x) => x.exp(), xs: [-2, 0, 0.5, 3], value: Math.exp, deriv: Math.exp },
  { name: "log", f: (x) => x.log(), xs: [0.25, 1, 2, 10], value: Math.log, deriv: (x) => 1 / x },
  { name: "log1p", f: (x) => x.log1p(), xs: [-0.5, 1e-10, 0, 3], value: Math.log1p, deriv: (x) => 1 / (1 + x) },
  { name: "expm1", f: (x) => x.expm1(), xs: [-1, 1e-10, 0, 2], value: Math.expm1, deriv: Math.exp },
  { name: "sqrt", f: (x) => x.sqrt(), xs: [0.25, 1, 4, 9], value: Math.sqrt, deriv: (x) => 0.5 / Math.sqrt(x) },
  { name: "rsqrt", f: (x) => x.rsqrt(), xs: [0.25, 1, 4], value: (x) => 1 / Math.sqrt(x), deriv: (x) => -0.5 * x ** -1.5 },
  { name: "abs", f: (x) => x.abs(), xs: [-2, 0, 3], value: Math.abs, deriv: (x) => Math.sign(x) },
  { name: "sign", f: (x) => x.sign(), xs: [-2, 0, 3], value: Math.sign, deriv: () => 0 },
  { name: "square", f: (x) => x.square(), xs: [-3, 0, 1.5], value: (x) => x * x, deriv: (x) => 2 * x },
  { name: "reciprocal", f: (x) => x.reciprocal(), xs: [-2, 0.5, 4], value: (x) => 1 / x, deriv: (x) => -1 / (x * x) },
  { name: "tanh", f: (x) => x.tanh(), xs: [-2, 0, 0.5, 20], value: Math.tanh, deriv: (x) => 1 - Math.tanh(x) ** 2 },
  {
    name: "sigmoid",
    f: (x) => x.sigmoid(),
    xs: [-30, -1, 0, 2],
    value: sigmoidRef,
    deriv: (x) => sigmoidRef(x) * (1 - sigmoidRef(x)),
  },
  { name: "relu", f: (x) => x.relu(), xs: [-1, 0, 2.5], value: (x) => Math.max(x, 0), deriv: (x) => (x > 0 ? 1 : 0) },
  {
    name: "leakyRelu(0.1)",
    f: (x) => x.leakyRelu(0.1),
    xs: [-2, 0, 3],
    value: (x) => (x > 0 ? x : 0.1 * x),
    deriv: (x) => (x > 0 ? 1 : 0.1), // PyTorch: slope at 0
  },
  {
    name: "leakyRelu default slope",
    f: (x) => x.leakyRelu(),
    xs: [-2, 3],
    value: (x) => (x > 0 ? x : 0.01 * x),
    deriv: (x) => (x > 0 ? 1 : 0.01),
  },
  {
    name: "gelu exact",
    f: (x) => x.gelu(),
    xs: [-2, -0.5, 0, 1, 3],
    value: (x) => x * Phi(x),
    deriv: (x) => Phi(x) + x * phi(x), // d(xΦ(x)) = Φ + xφ
  },
  {
    name: "gelu tanh",
    f: (x) => x.gelu({ approximate: "tanh" }),
    xs: [-2, -0.5, 0, 1, 3],
    value: (x) => 0.5 * x * (1 + Math.tanh(K * (x + C * x ** 3))),
    deriv: (x) => {
      const th = Math.tanh(K * (x + C * x ** 3));
      return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * K * (1 + 3 * C * x * x);
    },
  },
  {
    name: "softplus",
    f: (x) => x.softplus(),
    xs: [-5, -1, 0, 2, 19.5],
    value: (x) => Math.log(1 + Math.exp(x)),
    deriv: sigmoidRef,
  },
  {
    name: "softplus beta 2",
    f: (x) => x.softplus(2),
    xs: [-3, 0, 1.5],
    value: (x) => Math.log(1 + Math.exp(2 * x)) / 2,
    deriv: (x) => sigmoidRef(2 * x),
  },
  {
    name: "silu",
    f: (x) => x.silu(),
    xs: [-3, -0.5, 0, 2],
    value: (x) => x * sigmoidRef(x),
    deriv: (x) => sigmoidRef(x) * (1 + x * (1 - sigmoidRef(x))),
  },
  {
    name: "elu",
    f: (x) => x.elu(),
    xs: [-2, -0.5, 0, 1.5],
    value: (x) => (x > 0 ? x : Math.expm1(x)),
    deriv: (x) => (x > 0 ? 1 : Math.exp(x)), // PyTorch: the x ≤ 0 branch at 0, so α·e⁰ = 1
  },
  {
    name: "elu alpha 0.5",
    f: (x) => x.elu(0.5),
    xs: [-2, 0, 1.5],
    value: (x) => (x > 0 ? x : 0.5 * Math.expm1(x)),
    deriv: (x) => (x > 0 ? 1 : 0.5 * Math.exp(x)),
  },
  {
    name: "erf",
    f: (x) => x.erf(),
    xs: [-2, -0.5, 0, 0.3, 1, 3.5],
    value: erfRef,
    deriv: (x) => (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x),
  },
  { name: "sin", f: (x) => x.sin(), xs: [-1, 0, Math.PI / 6, 2], value: Math.sin, deriv: Math.cos },
  { name: "cos", f: (x) => x.cos(), xs: [-1, 0, Math.PI / 3, 2], value: Math.cos, deriv: (x) => -Math.sin(x) },
  { name: "floor", f: (x) => x.floor(), xs: [-1.5, -0.2, 0.7, 2], value: Math.floor, deriv: () => 0 },
  { name: "ceil", f: (x) => x.ceil(), xs: [-1.5, -0.2, 0.7, 2], value: Math.ceil, deriv: () => 0 },
];

describe("unary ops: forward and gradient against hand formulas", () => {
  for (const c of UNARY) {
    it(`forward and gradient: ${c.name}`, () => {
      const x = t(c.xs, true);
      const y = c.f(x);
      expect(y.dtype).toBe("float64");
      expect(y).toBeAllclose(c.xs.map(c.value), c.tol ?? tight);
      const seed = c.xs.map((_, i) => SEED[i]);
      y.backward(t(seed));
      expect(x.grad).toBeAllclose(
        c.xs.map((v, i) => seed[i] * c.deriv(v)),
        c.tol ?? tight,
      );
    });
  }

  it("erf reference agrees with literal values", () => {
    // A check on the test's own oracle: erf(0.5), erf(1), erf(2) from tables.
    expect([erfRef(0.5), erfRef(1), erfRef(2)]).toBeAllclose([0.5204998778130465, 0.8427007929497149, 0.9953222650189527], tight);
  });

  it("forward: literal values", () => {
    expect(t([0, 1, 4]).sqrt()).toBeAllclose([0, 1, 2], tight);
    expect(t([0, 1]).exp()).toBeAllclose([1, Math.E], tight);
    expect(t([-1, 0, 2]).relu()).toBeAllclose([0, 0, 2], tight);
    expect(t([0]).sigmoid()).toBeAllclose([0.5], tight);
    expect(t([0, 1]).gelu()).toBeAllclose([0, 0.8413447460685429], tight);
    expect(t([0]).softplus()).toBeAllclose([Math.LN2], tight);
    expect(t([1e-10]).log1p()).toBeAllclose([9.9999999995e-11], tight);
    expect(t([1e-10]).expm1()).toBeAllclose([1.00000000005e-10], tight);
  });

  it("round: half to even, as PyTorch", () => {
    const x = t([0.5, 1.5, 2.5, -0.5, -1.5, 0.4, 2.6, -2.6], true);
    const y = x.round();
    expect(y).toBeAllclose([0, 2, 2, -0, -2, 0, 3, -3], tight);
    y.sum().backward();
    expect(x.grad).toBeAllclose([0, 0, 0, 0, 0, 0, 0, 0], tight);
  });

  it("gradient: relu'(0) = 0", () => {
    const x = t([0], true);
    x.relu().sum().backward();
    expect(x.grad).toBeAllclose([0], tight);
  });

  it("relu passes NaN through, forward and backward (PyTorch: relu(nan) = nan, threshold_backward passes g)", () => {
    const x = t([NaN, -1, 3], true);
    const y = x.relu();
    const out = Array.from(y.toTypedArray());
    expect(Number.isNaN(out[0])).toBe(true);
    expect(out.slice(1)).toEqual([0, 3]);
    y.backward(t([5, 7, 11]));
    expect(Array.from(x.grad!.toTypedArray())).toEqual([5, 0, 11]);
    expect(Array.from(reluBackward(t([2, 2]), t([NaN, -0])).toTypedArray())).toEqual([2, 0]);
  });

  it("gradient: abs'(0) = 0", () => {
    const x = t([0], true);
    x.abs().sum().backward();
    expect(x.grad).toBeAllclose([0], tight);
  });

  it("gradient: softplus at the threshold uses the smooth branch (σ(20))", () => {
    // PyTorch: βx > threshold → x, else log(1 + e^{βx}); at βx = threshold the smooth branch applies.
    const x = t([20], true);
    const y = x.softplus();
    expect(y).toBeAllclose([Math.log1p(Math.exp(20))], tight);
    y.sum().backward();
    expect(x.grad).toBeAllclose([sigmoidRef(20)], tight);
  });

  it("gradient: softplus just above the threshold is linear", () => {
    const x = t([20.5, 100], true);
    const y = x.softplus();
    expect(y).toBeAllclose([20.5, 100], tight);
    y.sum().backward();
    expect(x.grad).toBeAllclose([1, 1], tight);
  });

  it("softplus is stable at ±1000 (finite value and gradient)", () => {
    const x = t([1000, -1000], true);
    const y = x.softplus();
    expect(y).toBeAllclose([1000, 0], tight);
    y.sum().backward();
    expect(x.grad).toBeAllclose([1, 0], tight);
    expect(x.grad!.toFlatArray().every(Number.isFinite)).toBe(true);
  });

  it("softplus is stable at ±1000 in float32 too", () => {
    const x = tensor([1000, -1000], { requiresGrad: true });
    const y = x.softplus();
    expect(y).toBeAllclose([1000, 0]);
    y.sum().backward();
    expect(x.grad).toBeAllclose([1, 0]);
  });

  it("sigmoid and tanh stay finite for huge inputs", () => {
    const x = t([-1000, 1000], true);
    expect(x.sigmoid()).toBeAllclose([0, 1], tight);
    expect(x.tanh()).toBeAllclose([-1, 1], tight);
    x.sigmoid().sum().backward();
    expect(x.grad).toBeAllclose([0, 0], tight);
  });

  it("float ops promote int32 input to float32", () => {
    const x = tensor([1, 4], { dtype: "int32" });
    const y = x.sqrt();
    expect(y.dtype).toBe("float32");
    expect(y).toBeAllclose([1, 2]);
    expect(x.neg().dtype).toBe("int32");
    expect(x.neg().toArray()).toEqual([-1, -4]);
    expect(x.abs().dtype).toBe("int32");
  });
});

describe("activation derivative kernels (sigmoidBackward, tanhBackward, reluBackward)", () => {
  it("forward: g·y(1 − y), g(1 − y²), g·[y > 0] on literal numbers", () => {
    const g = t([2, -1, 3, 0.5]);
    expect(sigmoidBackward(g, t([0.25, 0.5, 0.9, 0]))).toBeAllclose([0.375, -0.25, 3 * 0.9 * 0.1, 0], tight);
    expect(tanhBackward(g, t([0.5, -0.2, 1, 0]))).toBeAllclose([1.5, -0.96, 0, 0.5], tight);
    expect(reluBackward(g, t([0.5, 0, -1, 1e-9]))).toBeAllclose([2, 0, 0, 0.5], tight);
  });

  it("they are what sigmoid/tanh/relu send back: x.grad of Σ g·f(x) equals f's hand derivative", () => {
    const xs = [-1.5, -0.2, 0.3, 2];
    const seed = t(SEED.slice(0, 4));
    const cases: [(x: Tensor) => Tensor, (x: number) => number][] = [
      [(x) => x.sigmoid(), (x) => Math.exp(-x) / (1 + Math.exp(-x)) ** 2],
      [(x) => x.tanh(), (x) => 1 / Math.cosh(x) ** 2],
      [(x) => x.relu(), (x) => (x > 0 ? 1 : 0)],
    ];
    for (const [f, df] of cases) {
      const x = t(xs, true);
      f(x).mul(seed).sum().backward();
      expect(x.grad).toBeAllclose(xs.map((v, i) => SEED[i] * df(v)), tight);
    }
  });

  it("float32 inputs give float32; a float64 gradient with a float32 output promotes", () => {
    const g32 = tensor([1, 2]);
    const y32 = tensor([0.5, 0.25]);
    expect(sigmoidBackward(g32, y32).dtype).toBe("float32");
    expect(sigmoidBackward(t([1, 2]), y32).dtype).toBe("float64");
  });
});

describe("clamp", () => {
  it("forward: both bounds, min only, max only", () => {
    const x = t([-2, -1, 0, 1, 2]);
    expect(x.clamp(-1, 1)).toBeAllclose([-1, -1, 0, 1, 1], tight);
    expect(x.clamp(0)).toBeAllclose([0, 0, 0, 1, 2], tight);
    expect(x.clamp(undefined, 0.5)).toBeAllclose([-2, -1, 0, 0.5, 0.5], tight);
  });

  it("gradient: 1 inside and on the boundary, 0 outside", () => {
    const x = t([-2, -1, 0, 1, 2], true);
    x.clamp(-1, 1).backward(t([1, 2, 3, 4, 5]));
    expect(x.grad).toBeAllclose([0, 2, 3, 4, 0], tight);
  });

  it("gradient: min only, boundary passes", () => {
    const x = t([-1, 0, 1], true);
    x.clamp(0).sum().backward();
    expect(x.grad).toBeAllclose([0, 1, 1], tight);
  });
});

describe("binary ops: same shape", () => {
  const A = [1.5, -2, 3, 0.5];
  const B = [2, 4, -1.5, 0.25];
  const G = [0.5, -1, 2, 1.5];

  /** Runs f(a, b) on leaves, seeds with G, returns [out, a.grad, b.grad]. */
  function run(f: (a: Tensor, b: Tensor) => Tensor, a = A, b = B): [Tensor, Tensor | null, Tensor | null] {
    const ta = t(a, true);
    const tb = t(b, true);
    const y = f(ta, tb);
    y.backward(t(G));
    return [y, ta.grad, tb.grad];
  }

  it("forward and gradient: add", () => {
    const [y, ga, gb] = run((a, b) => a.add(b));
    expect(y).toBeAllclose([3.5, 2, 1.5, 0.75], tight);
    expect(ga).toBeAllclose(G, tight);
    expect(gb).toBeAllclose(G, tight);
  });

  it("forward and gradient: sub", () => {
    const [y, ga, gb] = run((a, b) => a.sub(b));
    expect(y).toBeAllclose([-0.5, -6, 4.5, 0.25], tight);
    expect(ga).toBeAllclose(G, tight);
    expect(gb).toBeAllclose([-0.5, 1, -2, -1.5], tight);
  });

  it("forward and gradient: mul (d(ab) = b da + a db)", () => {
    const [y, ga, gb] = run((a, b) => a.mul(b));
    expect(y).toBeAllclose([3, -8, -4.5, 0.125], tight);
    expect(ga).toBeAllclose([0.5 * 2, -1 * 4, 2 * -1.5, 1.5 * 0.25], tight);
    expect(gb).toBeAllclose([0.5 * 1.5, -1 * -2, 2 * 3, 1.5 * 0.5], tight);
  });

  it("forward and gradient: div (d(a/b) = da/b − a db/b²)", () => {
    const [y, ga, gb] = run((a, b) => a.div(b));
    expect(y).toBeAllclose([0.75, -0.5, -2, 2], tight);
    expect(ga).toBeAllclose(G.map((g, i) => g / B[i]), tight);
    expect(gb).toBeAllclose(G.map((g, i) => (-g * A[i]) / (B[i] * B[i])), tight);
  });

  it("forward and gradient: pow with respect to base and exponent", () => {
    const base = [2, 3, 0.5, 4];
    const expo = [3, 0.5, -2, 1.5];
    const [y, ga, gb] = run((a, b) => a.pow(b), base, expo);
    expect(y).toBeAllclose([8, Math.sqrt(3), 4, 8], tight);
    // ∂aᵇ/∂a = b·aᵇ⁻¹, ∂aᵇ/∂b = aᵇ·ln a
    expect(ga).toBeAllclose(G.map((g, i) => g * expo[i] * base[i] ** (expo[i] - 1)), tight);
    expect(gb).toBeAllclose(G.map((g, i) => g * base[i] ** expo[i] * Math.log(base[i])), tight);
  });

  it("gradient: pow exponent gradient is 0 at base 0 with exponent ≥ 0", () => {
    const a = t([0, 0], true);
    const b = t([2, 0.5], true);
    const y = a.pow(b);
    expect(y).toBeAllclose([0, 0], tight);
    y.sum().backward();
    expect(b.grad).toBeAllclose([0, 0], tight);
    expect(a.grad!.toFlatArray()[0]).toBe(0); // 2·0¹
  });

  it("gradient: pow with exponent 0 has zero base gradient, also at base 0 (PyTorch)", () => {
    const a = t([0, 3], true);
    const y = a.pow(0);
    expect(y).toBeAllclose([1, 1], tight);
    y.sum().backward();
    expect(a.grad).toBeAllclose([0, 0], tight);
  });

  it("forward and gradient: maximum with ties split 0.5/0.5", () => {
    const a = [1, 5, 3, -2];
    const b = [2, 5, 1, -2];
    const [y, ga, gb] = run((p, q) => p.maximum(q), a, b);
    expect(y).toBeAllclose([2, 5, 3, -2], tight);
    expect(ga).toBeAllclose([0, -0.5, 2, 0.75], tight);
    expect(gb).toBeAllclose([0.5, -0.5, 0, 0.75], tight);
  });

  it("forward and gradient: minimum with ties split 0.5/0.5", () => {
    const a = [1, 5, 3, -2];
    const b = [2, 5, 1, -2];
    const [y, ga, gb] = run((p, q) => p.minimum(q), a, b);
    expect(y).toBeAllclose([1, 5, 1, -2], tight);
    expect(ga).toBeAllclose([0.5, -0.5, 0, 0.75], tight);
    expect(gb).toBeAllclose([0, -0.5, 2, 0.75], tight);
  });

  it("a tensor used twice gets both contributions: x·x", () => {
    const x = t([1.5, -2, 3], true);
    x.mul(x).backward(t([1, 2, 3]));
    expect(x.grad).toBeAllclose([2 * 1.5, 2 * 2 * -2, 3 * 2 * 3], tight);
  });
});

describe("binary ops: scalar operands", () => {
  it("gradient: x.add(2)", () => {
    const x = t([1, 2, 3], true);
    const y = x.add(2);
    expect(y).toBeAllclose([3, 4, 5], tight);
    expect(y.dtype).toBe("float64");
    y.backward(t([1, -1, 2]));
    expect(x.grad).toBeAllclose([1, -1, 2], tight);
  });

  it("gradient: x.rsub(1) = 1 − x", () => {
    const x = t([0.25, 2], true);
    const y = x.rsub(1);
    expect(y).toBeAllclose([0.75, -1], tight);
    y.backward(t([3, 5]));
    expect(x.grad).toBeAllclose([-3, -5], tight);
  });

  it("gradient: x.sub(2), x.mul(3), x.div(4)", () => {
    const x = t([1, -2], true);
    const y = x.sub(2).mul(3).div(4); // 3(x − 2)/4
    expect(y).toBeAllclose([-0.75, -3], tight);
    y.sum().backward();
    expect(x.grad).toBeAllclose([0.75, 0.75], tight);
  });

  it("gradient: x.pow(2), x.pow(0.5), x.pow(-1)", () => {
    const x = t([4, 9], true);
    x.pow(2).add(x.pow(0.5)).add(x.pow(-1)).sum().backward();
    // d/dx (x² + √x + 1/x) = 2x + 1/(2√x) − 1/x²
    expect(x.grad).toBeAllclose([8 + 0.25 - 1 / 16, 18 + 1 / 6 - 1 / 81], tight);
  });

  it("gradient: x.maximum(0) at 0 splits the gradient (0.5)", () => {
    const x = t([-1, 0, 2], true);
    const y = x.maximum(0);
    expect(y).toBeAllclose([0, 0, 2], tight);
    y.sum().backward();
    expect(x.grad).toBeAllclose([0, 0.5, 1], tight);
  });

  it("gradient: x.minimum(1) at 1 splits the gradient (0.5)", () => {
    const x = t([1, 3, -1], true);
    x.minimum(1).sum().backward();
    expect(x.grad).toBeAllclose([0.5, 0, 1], tight);
  });
});

describe("binary ops: broadcasting sums the gradient back to each input's shape", () => {
  it("gradient: 0-d tensor + 1D broadcast", () => {
    const s = t(3, true);
    const x = t([1, 2, 4], true);
    const y = s.mul(x);
    expect(y).toBeAllclose([3, 6, 12], tight);
    y.backward(t([1, 2, -1]));
    expect(s.grad!.shape).toEqual([]);
    expect(s.grad).toBeAllclose(1 * 1 + 2 * 2 + -1 * 4, tight); // Σ g·x
    expect(x.grad).toBeAllclose([3, 6, -3], tight); // g·s
  });

  it("gradient: [3,1] * [1,4] broadcast", () => {
    const a = [1, 2, 3];
    const b = [0.5, -1, 2, 4];
    const ta = t([[1], [2], [3]], true);
    const tb = t([b], true);
    const g = [
      [1, 2, 3, 4],
      [-1, 0.5, 2, 0],
      [0.25, -2, 1, 3],
    ];
    const y = ta.mul(tb);
    expect(y.shape).toEqual([3, 4]);
    expect(y).toBeAllclose(a.map((ai) => b.map((bj) => ai * bj)), tight);
    y.backward(t(g));
    // ga[i] = Σ_j g[i][j]·b[j]; gb[j] = Σ_i g[i][j]·a[i]
    const ga = a.map((_, i) => [b.reduce((s, bj, j) => s + g[i][j] * bj, 0)]);
    const gb = [b.map((_, j) => a.reduce((s, ai, i) => s + g[i][j] * ai, 0))];
    expect(ta.grad!.shape).toEqual([3, 1]);
    expect(tb.grad!.shape).toEqual([1, 4]);
    expect(ta.grad).toBeAllclose(ga, tight);
    expect(tb.grad).toBeAllclose(gb, tight);
  });

  it("gradient: [3,1] + [1,4] broadcast", () => {
    const ta = t([[1], [2], [3]], true);
    const tb = t([[10, 20, 30, 40]], true);
    const y = ta.add(tb);
    expect(y).toBeAllclose([
      [11, 21, 31, 41],
      [12, 22, 32, 42],
      [13, 23, 33, 43],
    ], tight);
    y.sum().backward();
    expect(ta.grad).toBeAllclose([[4], [4], [4]], tight);
    expect(tb.grad).toBeAllclose([[3, 3, 3, 3]], tight);
  });

  it("gradient: [2,3] − [3] broadcast", () => {
    const ta = t([[1, 2, 3], [4, 5, 6]], true);
    const tb = t([10, 20, 30], true);
    const y = ta.sub(tb);
    expect(y).toBeAllclose([[-9, -18, -27], [-6, -15, -24]], tight);
    const g = [[1, 2, 3], [0.5, -1, 4]];
    y.backward(t(g));
    expect(ta.grad).toBeAllclose(g, tight);
    expect(tb.grad!.shape).toEqual([3]);
    expect(tb.grad).toBeAllclose([-1.5, -1, -7], tight);
  });

  it("gradient: [2,3] / [3] broadcast", () => {
    const A = [[1, 2, 3], [4, 5, 6]];
    const B = [2, 4, 8];
    const ta = t(A, true);
    const tb = t(B, true);
    ta.div(tb).sum().backward();
    expect(ta.grad).toBeAllclose(A.map((row) => row.map((_, j) => 1 / B[j])), tight);
    // gb[j] = Σ_i −A[i][j]/B[j]²
    expect(tb.grad).toBeAllclose(B.map((bj, j) => -(A[0][j] + A[1][j]) / (bj * bj)), tight);
  });

  it("gradient: [2,1,3] maximum [4,1] broadcast to [2,4,3]", () => {
    const ta = t([[[1, 5, 3]], [[0, 2, 7]]], true);
    const tb = t([[2], [5], [0], [9]], true);
    const y = ta.maximum(tb);
    expect(y.shape).toEqual([2, 4, 3]);
    y.sum().backward();
    // a[0] = [1,5,3] vs b = 2,5,0,9: wins (1/½/0 for ties) per element, summed over the 4 rows of b.
    // a[0][0]=1: vs 2 lose, 5 lose, 0 win, 9 lose → 1; a[0][1]=5: 2 win, 5 tie, 0 win, 9 lose → 2.5;
    // a[0][2]=3: 2 win, 5 lose, 0 win, 9 lose → 2. a[1] = [0,2,7]: 0 → tie with 0 only → 0.5;
    // 2 → 2 tie, 0 win → 1.5; 7 → 2 win, 5 win, 0 win → 3.
    expect(ta.grad).toBeAllclose([[[1, 2.5, 2]], [[0.5, 1.5, 3]]], tight);
    // b: total elements it is compared with (6 per row) minus a's share.
    // b=2: vs 1,5,3,0,2,7 → win,lose,lose,win,tie,lose → 2.5; b=5: lose… 5 tie, others: 1 w,3 w,0 w,2 w,7 l → 4.5
    // b=0: 1 l,5 l,3 l,0 tie,2 l,7 l → 0.5; b=9: all win → 6
    expect(tb.grad).toBeAllclose([[2.5], [4.5], [0.5], [6]], tight);
  });
});

describe("comparisons and logical ops", () => {
  const a = t([1, 2, 3, 2]);
  const b = t([2, 2, 1, 5]);

  it("eq ne lt le gt ge elementwise, bool results", () => {
    expect(a.eq(b).toArray()).toEqual([false, true, false, false]);
    expect(a.ne(b).toArray()).toEqual([true, false, true, true]);
    expect(a.lt(b).toArray()).toEqual([true, false, false, true]);
    expect(a.le(b).toArray()).toEqual([true, true, false, true]);
    expect(a.gt(b).toArray()).toEqual([false, false, true, false]);
    expect(a.ge(b).toArray()).toEqual([false, true, true, false]);
    for (const r of [a.eq(b), a.ne(b), a.lt(b), a.le(b), a.gt(b), a.ge(b)]) expect(r.dtype).toBe("bool");
  });

  it("comparisons with a scalar and with broadcasting", () => {
    expect(a.gt(1.5).toArray()).toEqual([false, true, true, true]);
    expect(a.eq(2).toArray()).toEqual([false, true, false, true]);
    const col = t([[1], [3]]);
    const row = t([1, 2, 3]);
    expect(col.le(row).toArray()).toEqual([
      [true, true, true],
      [false, false, true],
    ]);
  });

  it("comparisons between int32 and float compare values, not types", () => {
    const i = tensor([1, 2, 3], { dtype: "int32" });
    expect(i.lt(2.5).toArray()).toEqual([true, true, false]);
    expect(i.eq(t([1, 2.5, 3])).toArray()).toEqual([true, false, true]);
  });

  it("comparisons carry no gradient", () => {
    const x = t([1, 2], true);
    const c = x.gt(1);
    expect(c.requiresGrad).toBe(false);
    expect(c.gradFn).toBeNull();
  });

  it("NaN compares unequal to itself", () => {
    const x = t([NaN, 1]);
    expect(x.eq(x).toArray()).toEqual([false, true]);
    expect(x.ne(x).toArray()).toEqual([true, false]);
  });

  it("logicalAnd, logicalOr, logicalNot on bools and numbers", () => {
    const p = tensor([true, true, false, false]);
    const q = tensor([true, false, true, false]);
    expect(p.logicalAnd(q).toArray()).toEqual([true, false, false, false]);
    expect(p.logicalOr(q).toArray()).toEqual([true, true, true, false]);
    expect(p.logicalNot().toArray()).toEqual([false, false, true, true]);
    const n = t([0, 2, -0.5, 0]);
    expect(n.logicalNot().toArray()).toEqual([true, false, false, true]);
    expect(n.logicalAnd(t([1, 1, 0, 0])).toArray()).toEqual([false, true, false, false]);
    expect(n.logicalOr(0).toArray()).toEqual([false, true, true, false]);
    expect(p.logicalAnd(q).dtype).toBe("bool");
  });
});

describe("where", () => {
  it("forward and gradient: the gradient goes to the chosen branch", () => {
    const cond = tensor([[true, false, true], [false, false, true]]);
    const a = t([[1, 2, 3], [4, 5, 6]], true);
    const b = t([[-1, -2, -3], [-4, -5, -6]], true);
    const y = where(cond, a, b);
    expect(y).toBeAllclose([[1, -2, 3], [-4, -5, 6]], tight);
    const g = [[1, 2, 3], [4, 5, 6]];
    y.backward(t(g));
    expect(a.grad).toBeAllclose([[1, 0, 3], [0, 0, 6]], tight);
    expect(b.grad).toBeAllclose([[0, 2, 0], [4, 5, 0]], tight);
  });

  it("gradient: broadcast condition and a 0-d other branch", () => {
    const cond = tensor([[true], [false]]); // [2,1]
    const a = t([1, 2, 3], true); // [3]
    const s = t(10, true); // []
    const y = where(cond, a, s);
    expect(y).toBeAllclose([[1, 2, 3], [10, 10, 10]], tight);
    y.backward(t([[1, 2, 3], [4, 5, 6]]));
    expect(a.grad).toBeAllclose([1, 2, 3], tight);
    expect(s.grad!.shape).toEqual([]);
    expect(s.grad).toBeAllclose(15, tight);
  });

  it("method form x.where(cond, 0) with a scalar other", () => {
    const x = t([1, -2, 3], true);
    const y = x.where(x.gt(0), 0);
    expect(y).toBeAllclose([1, 0, 3], tight);
    y.sum().backward();
    expect(x.grad).toBeAllclose([1, 0, 1], tight);
  });
});
