/**
 * The functional API: grad (multiple inputs, gradOutputs, allowUnused, createGraph), second
 * derivatives through grad(grad(f)) against hand-derived formulas and float64 finite differences,
 * and hessian / jacobian / vjp / jvp against matrices written out by hand.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GradError, Tensor, grad, hessian, jacobian, jvp, tensor, vjp } from "@tensorgrad/autograd";

const f64 = { dtype: "float64" } as const;
const leaf = (data: number | number[] | number[][]): Tensor => tensor(data, { ...f64, requiresGrad: true });
const tight = { rtol: 1e-12, atol: 1e-14 };

type Matrix = number[][];
const matVec = (A: Matrix, v: number[]): number[] => A.map((row) => row.reduce((s, a, j) => s + a * v[j], 0));
const transpose = (A: Matrix): Matrix => A[0].map((_, j) => A.map((row) => row[j]));

describe("grad()", () => {
  it("several inputs: f = Σ(x·y + eʸ) gives ∂f/∂x = y, ∂f/∂y = x + eʸ", () => {
    const x = leaf([1, 2]);
    const y = leaf([0, -1]);
    const [gx, gy] = grad(x.mul(y).add(y.exp()).sum(), [x, y]);
    expect(gx).toBeAllclose([0, -1], tight);
    expect(gy).toBeAllclose([1 + 1, 2 + Math.exp(-1)], tight);
    // grad() returns the gradients; it leaves .grad alone.
    expect(x.grad).toBeNull();
    expect(y.grad).toBeNull();
  });

  it("gradOutputs seeds a non-scalar output: Σ_k v_k ∂(x²)_k/∂x = 2x⊙v", () => {
    const x = leaf([1, 2, 3]);
    const [g] = grad(x.square(), x, { gradOutputs: tensor([1, 0.5, -2], f64) });
    expect(g).toBeAllclose([2, 2, -12], tight);
    expect(() => grad(x.square(), x)).toThrow(GradError);
  });

  it("several outputs with their gradOutputs sum their contributions", () => {
    const x = leaf([2]);
    const a = x.mul(3); // da/dx = 3
    const b = x.square(); // db/dx = 2x = 4
    const [g] = grad([a, b], x, { gradOutputs: [tensor([10], f64), tensor([1], f64)] });
    expect(g).toBeAllclose([34], tight);
  });

  it("with respect to an intermediate (non-leaf) tensor", () => {
    const x = leaf([1, 2]);
    const h = x.mul(3);
    const [gh] = grad(h.square().sum(), h);
    expect(gh).toBeAllclose([6, 12], tight);
  });

  it("an unused input is a GradError unless allowUnused, which gives zeros", () => {
    const x = leaf([1, 2]);
    const unused = leaf([5, 6, 7]);
    expect(() => grad(x.square().sum(), [x, unused])).toThrow(GradError);
    expect(() => grad(x.square().sum(), [x, unused])).toThrow(/allowUnused/);
    const [gx, gu] = grad(x.square().sum(), [x, unused], { allowUnused: true });
    expect(gx).toBeAllclose([2, 4], tight);
    expect(gu).toBeAllclose([0, 0, 0], { rtol: 0, atol: 0 });
    expect(gu.shape).toEqual([3]);
  });

  it("without createGraph the result is a constant and the graph is freed", () => {
    const x = leaf([1]);
    const y = x.exp().sum();
    const [g] = grad(y, x);
    expect(g.requiresGrad).toBe(false);
    expect(() => grad(y, x)).toThrow(/retainGraph/);
  });

  it("createGraph: the gradient is differentiable again, d/dx (d x⁴/dx) = 12x²", () => {
    const x = leaf([1, -2]);
    const [g] = grad(x.pow(4).sum(), x, { createGraph: true });
    expect(g.requiresGrad).toBe(true);
    expect(g).toBeAllclose([4, -32], tight);
    const [h] = grad(g.sum(), x, { createGraph: true });
    expect(h).toBeAllclose([12, 48], tight);
    const [t] = grad(h.sum(), x);
    expect(t).toBeAllclose([24, -48], tight);
  });

  it("the same input listed twice gets its gradient in both places", () => {
    const x = leaf([1, 2]);
    const h = x.mul(1);
    const [a, b] = grad(x.square().sum(), [x, x], { retainGraph: true });
    expect(a).toBeAllclose([2, 4], tight);
    expect(b).toBeAllclose([2, 4], tight);
    const [c, d] = grad(h.mul(x).sum(), [h, h]);
    expect(c).toBeAllclose([1, 2], tight);
    expect(d).toBeAllclose([1, 2], tight);
  });

  it("an input that doesn't require grad is an error", () => {
    const x = leaf([1]);
    const c = tensor([1], f64);
    expect(() => grad(x.mul(c).sum(), c)).toThrow(GradError);
  });
});

/** H·v for F(x) = Σ f(x) computed as the gradient of ⟨∇F, v⟩. */
function hvp(F: (x: Tensor) => Tensor, x0: number[], v: number[]): Tensor {
  const x = leaf(x0);
  const [g] = grad(F(x), x, { createGraph: true });
  return grad(g, x, { gradOutputs: tensor(v, f64) })[0];
}

const sig = (z: number): number => 1 / (1 + Math.exp(-z));

interface ElementwiseCase {
  name: string;
  f: (x: Tensor) => Tensor;
  /** The hand-derived second derivative. */
  d2: (x: number) => number;
  /** Domain of x. */
  min: number;
  max: number;
}

const elementwise: ElementwiseCase[] = [
  { name: "tanh", f: (x) => x.tanh(), d2: (x) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2), min: -3, max: 3 },
  { name: "sigmoid", f: (x) => x.sigmoid(), d2: (x) => sig(x) * (1 - sig(x)) * (1 - 2 * sig(x)), min: -5, max: 5 },
  { name: "exp", f: (x) => x.exp(), d2: Math.exp, min: -3, max: 3 },
  { name: "log", f: (x) => x.log(), d2: (x) => -1 / x ** 2, min: 0.1, max: 5 },
  { name: "pow x^2.5", f: (x) => x.pow(2.5), d2: (x) => 2.5 * 1.5 * x ** 0.5, min: 0.1, max: 4 },
  { name: "pow x^-1.5", f: (x) => x.pow(-1.5), d2: (x) => -1.5 * -2.5 * x ** -3.5, min: 0.2, max: 4 },
  { name: "pow 3^x", f: (x) => tensor(3, f64).pow(x), d2: (x) => 3 ** x * Math.log(3) ** 2, min: -2, max: 2 },
  { name: "sin", f: (x) => x.sin(), d2: (x) => -Math.sin(x), min: -4, max: 4 },
  { name: "sqrt", f: (x) => x.sqrt(), d2: (x) => -0.25 * x ** -1.5, min: 0.1, max: 4 },
];

describe("second derivatives through grad(grad(f))", () => {
  for (const c of elementwise) {
    it(`${c.name}: H·v = f''(x)⊙v (property)`, () => {
      const vec = (min: number, max: number) => fc.array(fc.double({ min, max, noNaN: true }), { minLength: 1, maxLength: 6 });
      fc.assert(
        fc.property(vec(c.min, c.max), vec(-2, 2), (x0, v0) => {
          const v = x0.map((_, i) => v0[i % v0.length]);
          const hv = hvp((x) => c.f(x).sum(), x0, v);
          expect(hv).toBeAllclose(x0.map((x, i) => c.d2(x) * v[i]), { rtol: 1e-11, atol: 1e-13 });
        }),
        { numRuns: 40 },
      );
    });
  }

  it("pow with both operands varying: the mixed partial ∂²(xᵖ)/∂x∂p = x^{p−1}(1 + p ln x)", () => {
    const x = leaf([0.5, 2, 3]);
    const p = leaf([1.5, -0.5, 2]);
    const [gx] = grad(x.pow(p).sum(), x, { createGraph: true }); // p·x^{p−1}
    const [gxp] = grad(gx.sum(), p);
    const xs = [0.5, 2, 3];
    const ps = [1.5, -0.5, 2];
    expect(gxp).toBeAllclose(xs.map((xi, i) => xi ** (ps[i] - 1) * (1 + ps[i] * Math.log(xi))), tight);
    // ∂²(xᵖ)/∂p² = xᵖ ln²x
    const x2 = leaf(xs);
    const p2 = leaf(ps);
    const [gp] = grad(x2.pow(p2).sum(), p2, { createGraph: true });
    const [gpp] = grad(gp.sum(), p2);
    expect(gpp).toBeAllclose(xs.map((xi, i) => xi ** ps[i] * Math.log(xi) ** 2), tight);
  });

  it("matmul: F(x) = Σ tanh(Ax) has H = Aᵀ·diag(tanh''(Ax))·A", () => {
    const A = [[1, -2, 0.5], [0.3, 0.7, -1], [2, 0, 1], [-0.5, 0.25, 0.1]];
    const x0 = [0.2, -0.4, 0.3];
    const v = [1, 2, -1];
    const hv = hvp((x) => tensor(A, f64).matmul(x).tanh().sum(), x0, v);
    const z = matVec(A, x0);
    const d2 = z.map((zi) => -2 * Math.tanh(zi) * (1 - Math.tanh(zi) ** 2));
    const Av = matVec(A, v);
    const expected = matVec(transpose(A), Av.map((a, i) => d2[i] * a));
    expect(hv).toBeAllclose(expected, tight);
  });

  it("matmul on both sides: F(x) = xᵀAx has H·v = (A + Aᵀ)v", () => {
    const A = [[1, 2], [-3, 4]];
    const hv = hvp((x) => x.matmul(tensor(A, f64).matmul(x)), [0.5, -1], [1, 3]);
    // A + Aᵀ = [[2, −1], [−1, 8]]
    expect(hv).toBeAllclose([2 - 3, -1 + 24], tight);
  });

  it("matmul w.r.t. the matrix: F(W) = Σ (Wx)³ has ∂²F/∂W_ij∂W_kl = 6(Wx)_i x_j x_l δ_ik", () => {
    const W0 = [[0.5, -1], [2, 0.25]];
    const x = [1, -2];
    const V = [[1, 0], [0, 1]];
    const W = leaf(W0);
    const [g] = grad(W.matmul(tensor(x, f64)).pow(3).sum(), W, { createGraph: true });
    const [hv] = grad(g, W, { gradOutputs: tensor(V, f64) });
    // (H·V)_ij = 6 (Wx)_i x_j Σ_l x_l V_il
    const Wx = matVec(W0, x);
    const Vx = matVec(V, x);
    expect(hv).toBeAllclose(W0.map((row, i) => row.map((_, j) => 6 * Wx[i] * x[j] * Vx[i])), tight);
  });

  it("softmax: F(x) = softmax(x)_0 matches the hand Hessian and finite differences of the analytic gradient", () => {
    const x0 = [0.3, -1.2, 0.8, 0.1];
    const n = x0.length;
    const softmax = (x: number[]): number[] => {
      const m = Math.max(...x);
      const e = x.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    };
    // ∂s₀/∂x_j = s₀(δ_0j − s_j)
    const gradient = (x: number[]): number[] => {
      const s = softmax(x);
      return s.map((sj, j) => s[0] * ((j === 0 ? 1 : 0) - sj));
    };
    // ∂²s₀/∂x_j∂x_k = s₀[(δ_0j − s_j)(δ_0k − s_k) − s_j(δ_jk − s_k)]
    const s = softmax(x0);
    const d = (a: number, b: number): number => (a === b ? 1 : 0);
    const H = s.map((_, j) => s.map((__, k) => s[0] * ((d(0, j) - s[j]) * (d(0, k) - s[k]) - s[j] * (d(j, k) - s[k]))));
    // Central differences of the analytic gradient, column k.
    const h = 1e-5;
    const fd = x0.map((_, k) => {
      const up = gradient(x0.map((v, i) => (i === k ? v + h : v)));
      const down = gradient(x0.map((v, i) => (i === k ? v - h : v)));
      return up.map((u, j) => (u - down[j]) / (2 * h));
    });
    expect(transpose(fd)).toBeAllclose(H, { rtol: 1e-7, atol: 1e-10 });

    const F = (x: Tensor): Tensor => x.softmax(0).select(0, 0);
    expect(hessian(F, tensor(x0, f64))).toBeAllclose(H, tight);
    for (let k = 0; k < n; k++) {
      const e = x0.map((_, i) => (i === k ? 1 : 0));
      expect(hvp(F, x0, e)).toBeAllclose(H.map((row) => row[k]), tight);
    }
  });

  it("logSoftmax along dim 1 of a matrix: H·v matches central differences of the analytic gradient", () => {
    // F(X) = Σ_ij C_ij logsoftmax(X)_ij; ∂F/∂X_ij = C_ij − softmax(X)_ij Σ_k C_ik
    const X0 = [[0.1, 0.5, -0.3], [1, -1, 0.2]];
    const C = [[1, 2, 0.5], [-1, 0.3, 2]];
    const V = [[0.2, -1, 0.7], [1, 0.5, -0.4]];
    const analytic = (X: number[][]): number[][] =>
      X.map((row, i) => {
        const e = row.map(Math.exp);
        const s = e.reduce((a, b) => a + b, 0);
        const c = C[i].reduce((a, b) => a + b, 0);
        return row.map((_, j) => C[i][j] - (e[j] / s) * c);
      });
    const h = 1e-5;
    const plus = analytic(X0.map((row, i) => row.map((x, j) => x + h * V[i][j])));
    const minus = analytic(X0.map((row, i) => row.map((x, j) => x - h * V[i][j])));
    const expected = plus.map((row, i) => row.map((p, j) => (p - minus[i][j]) / (2 * h)));
    const X = leaf(X0);
    const [g] = grad(X.logSoftmax(1).mul(tensor(C, f64)).sum(), X, { createGraph: true });
    expect(g).toBeAllclose(analytic(X0), tight);
    const [hv] = grad(g, X, { gradOutputs: tensor(V, f64) });
    expect(hv).toBeAllclose(expected, { rtol: 1e-7, atol: 1e-9 });
  });
});

describe("hessian()", () => {
  it("of the quadratic xᵀAx is A + Aᵀ", () => {
    const A = [[1, 2, 0], [-1, 3, 4], [0.5, 0, -2]];
    const H = hessian((x) => x.matmul(tensor(A, f64).matmul(x)), tensor([0.3, -0.7, 1.1], f64));
    expect(H).toBeAllclose(A.map((row, i) => row.map((a, j) => a + A[j][i])), tight);
    expect(H.requiresGrad).toBe(false);
  });

  it("of Σ exp(x) is diag(exp x); of a linear function is zero", () => {
    const x0 = [0, 1, -1];
    const H = hessian((x) => x.exp().sum(), tensor(x0, f64));
    expect(H).toBeAllclose(x0.map((a, i) => x0.map((_, j) => (i === j ? Math.exp(a) : 0))), tight);
    const Z = hessian((x) => x.mul(tensor([1, 2, 3], f64)).sum(), tensor(x0, f64));
    expect(Z).toBeAllclose([[0, 0, 0], [0, 0, 0], [0, 0, 0]], { rtol: 0, atol: 0 });
  });

  it("of a matrix input has shape [...x.shape, ...x.shape]: F(X) = Σ X² gives 2·I", () => {
    const H = hessian((X) => X.square().sum(), tensor([[1, 2], [3, 4]], f64));
    expect(H.shape).toEqual([2, 2, 2, 2]);
    const expected = [0, 1].map((i) => [0, 1].map((j) => [0, 1].map((k) => [0, 1].map((l) => (i === k && j === l ? 2 : 0)))));
    expect(H).toBeAllclose(expected, { rtol: 0, atol: 0 });
  });

  it("of a non-scalar function is an error", () => {
    expect(() => hessian((x) => x.square(), tensor([1, 2], f64))).toThrow();
  });
});

describe("jacobian()", () => {
  const A = [[1, 2, 3], [4, 5, 6]];

  it("of a linear map x ↦ Ax is A", () => {
    const J = jacobian((x) => tensor(A, f64).matmul(x), tensor([0.1, 0.2, 0.3], f64));
    expect(J.shape).toEqual([2, 3]);
    expect(J).toBeAllclose(A, { rtol: 0, atol: 0 });
    expect(J.requiresGrad).toBe(false);
  });

  it("of elementwise ops is diagonal: sin → diag(cos x), x² → diag(2x)", () => {
    const x0 = [0.5, -1, 2];
    const diag = (d: number[]): Matrix => d.map((v, i) => d.map((_, j) => (i === j ? v : 0)));
    expect(jacobian((x) => x.sin(), tensor(x0, f64))).toBeAllclose(diag(x0.map(Math.cos)), tight);
    expect(jacobian((x) => x.square(), tensor(x0, f64))).toBeAllclose(diag(x0.map((v) => 2 * v)), tight);
  });

  it("with several inputs: f(x, y) = x⊙y gives [diag(y), diag(x)]", () => {
    const [Jx, Jy] = jacobian((x, y) => x.mul(y), [tensor([1, 2], f64), tensor([3, 4], f64)]);
    expect(Jx).toBeAllclose([[3, 0], [0, 4]], { rtol: 0, atol: 0 });
    expect(Jy).toBeAllclose([[1, 0], [0, 2]], { rtol: 0, atol: 0 });
  });

  it("of a matrix-valued function has shape [...out.shape, ...in.shape]", () => {
    const J = jacobian((x) => x.unsqueeze(1).mul(tensor([1, 10], f64)), tensor([1, 2, 3], f64));
    expect(J.shape).toEqual([3, 2, 3]);
    expect(J).toBeAllclose([0, 1, 2].map((i) => [1, 10].map((c) => [0, 1, 2].map((k) => (i === k ? c : 0)))), { rtol: 0, atol: 0 });
  });

  it("of a function that ignores its input is zero", () => {
    const J = jacobian(() => tensor([1, 2], f64), tensor([5, 6, 7], f64));
    expect(J).toBeAllclose([[0, 0, 0], [0, 0, 0]], { rtol: 0, atol: 0 });
  });

  it("leaves the caller's tensors alone", () => {
    const x = leaf([1, 2]);
    jacobian((t) => t.square(), x);
    expect(x.grad).toBeNull();
  });
});

describe("vjp() and jvp() against jacobian()", () => {
  // A nonlinear map R³ → R²: f(x) = tanh(Bx) · Σx
  const B = [[0.5, -1, 0.2], [1.5, 0.3, -0.7]];
  const f = (x: Tensor): Tensor => tensor(B, f64).matmul(x).tanh().mul(x.sum());
  const x0 = [0.3, -0.2, 0.9];
  const hand = (): { y: number[]; J: Matrix } => {
    const z = matVec(B, x0);
    const s = x0.reduce((a, b) => a + b, 0);
    // ∂f_i/∂x_j = (1 − tanh² z_i)·B_ij·s + tanh z_i
    return {
      y: z.map((zi) => Math.tanh(zi) * s),
      J: z.map((zi, i) => x0.map((_, j) => (1 - Math.tanh(zi) ** 2) * B[i][j] * s + Math.tanh(zi))),
    };
  };

  it("jacobian of the test map matches the hand Jacobian", () => {
    expect(jacobian(f, tensor(x0, f64))).toBeAllclose(hand().J, tight);
  });

  it("vjp gives the output and vᵀJ", () => {
    const v = [2, -1];
    const { output, grads } = vjp(f, tensor(x0, f64), tensor(v, f64));
    const { y, J } = hand();
    expect(output).toBeAllclose(y, tight);
    expect(grads[0]).toBeAllclose(matVec(transpose(J), v), tight);
    const Jt = jacobian(f, tensor(x0, f64));
    expect(grads[0]).toBeAllclose(tensor(v, f64).matmul(Jt), tight);
  });

  it("jvp gives the output and J·t", () => {
    const t = [1, 0.5, -2];
    const { output, jvp: Jt } = jvp(f, tensor(x0, f64), tensor(t, f64));
    const { y, J } = hand();
    expect(output).toBeAllclose(y, tight);
    expect(Jt).toBeAllclose(matVec(J, t), tight);
    expect(Jt).toBeAllclose(jacobian(f, tensor(x0, f64)).matmul(tensor(t, f64)), tight);
  });

  it("jvp of sin is cos·t", () => {
    const x1 = [0, 1, -2.5, 3];
    const t = [1, -1, 0.5, 2];
    const { output, jvp: Jt } = jvp((x) => x.sin(), tensor(x1, f64), tensor(t, f64));
    expect(output).toBeAllclose(x1.map(Math.sin), tight);
    expect(Jt).toBeAllclose(x1.map((x, i) => Math.cos(x) * t[i]), tight);
  });

  it("jvp and vjp with two inputs: f(x, y) = x⊙y + sin(y)", () => {
    const xs = [1, 2];
    const ys = [0.5, -1];
    const fn = (x: Tensor, y: Tensor): Tensor => x.mul(y).add(y.sin());
    const tx = [0.1, 0.2];
    const ty = [-1, 3];
    const { jvp: Jt } = jvp(fn, [tensor(xs, f64), tensor(ys, f64)], [tensor(tx, f64), tensor(ty, f64)]);
    // J_x = diag(y), J_y = diag(x + cos y)
    expect(Jt).toBeAllclose(xs.map((x, i) => ys[i] * tx[i] + (x + Math.cos(ys[i])) * ty[i]), tight);
    const v = [3, -2];
    const { grads } = vjp(fn, [tensor(xs, f64), tensor(ys, f64)], tensor(v, f64));
    expect(grads[0]).toBeAllclose(ys.map((y, i) => y * v[i]), tight);
    expect(grads[1]).toBeAllclose(xs.map((x, i) => (x + Math.cos(ys[i])) * v[i]), tight);
  });

  it("jvp of a map that ignores an input gets no contribution from that tangent", () => {
    const { jvp: Jt } = jvp((x, _y) => x.exp(), [tensor([0, 1], f64), tensor([5, 5], f64)], [tensor([1, 1], f64), tensor([9, 9], f64)]);
    expect(Jt).toBeAllclose([1, Math.E], tight);
  });

  it("vjp of a scalar function needs no v and is the gradient", () => {
    const { output, grads } = vjp((x) => x.square().sum(), tensor([1, -3], f64));
    expect(output).toBeAllclose(10, tight);
    expect(grads[0]).toBeAllclose([2, -6], tight);
  });
});
