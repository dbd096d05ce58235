import { describe, expect, it } from "vitest";
import { Generator, IndexError, ShapeError, Tensor, ValueError, manualSeed, noGrad, ones, tensor } from "@tensorgrad/autograd";
import {
  BatchNorm1d, Dropout, ELU, Embedding, Flatten, GELU, Identity, LayerNorm, LeakyReLU, Linear, LogSoftmax, ReLU,
  Sequential, SiLU, Sigmoid, Softmax, Softplus, Tanh, functional as F,
} from "@tensorgrad/nn";

const f64 = { dtype: "float64" as const };
type M = number[][];

const matmulT = (a: M, w: M): M => a.map((row) => w.map((wr) => wr.reduce((s, wjk, k) => s + wjk * row[k], 0)));
const colMean = (x: M, j: number): number => x.reduce((s, r) => s + r[j], 0) / x.length;
const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** Per-channel normalization by hand: columns of x (or rows with `rows`), biased variance. */
function normalizeColumns(x: M, eps: number): { xhat: M; mean: number[]; varB: number[]; varU: number[] } {
  const n = x.length;
  const c = x[0].length;
  const mean = Array.from({ length: c }, (_, j) => colMean(x, j));
  const ss = Array.from({ length: c }, (_, j) => x.reduce((s, r) => s + (r[j] - mean[j]) ** 2, 0));
  const varB = ss.map((s) => s / n);
  const varU = ss.map((s) => s / (n - 1));
  const xhat = x.map((r) => r.map((v, j) => (v - mean[j]) / Math.sqrt(varB[j] + eps)));
  return { xhat, mean, varB, varU };
}

describe("Linear", () => {
  it("computes z = a·Wᵀ + b and the seed formulas dW = dz·aᵀ/m, db = Σdz/m for a mean-reduced loss", () => {
    const a: M = [[1, 2, -1], [0.5, -1, 2], [3, 0, 1], [-2, 1, 0.5]];
    const W: M = [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]];
    const b = [0.05, -0.1];
    const y: M = [[1, 0], [0, 1], [1, 1], [0, 0]];
    const m = a.length;
    const lin = new Linear(3, 2, f64);
    lin.loadStateDict({ weight: tensor(W, f64), bias: tensor(b, f64) });
    const z = lin.call(tensor(a, f64));
    // Loss L = (1/m) Σᵢ ½‖zᵢ − yᵢ‖², so the per-sample error signal is dz = z − y.
    z.sub(tensor(y, f64)).square().sum().div(2 * m).backward();

    const zHand = matmulT(a, W).map((r) => r.map((v, j) => v + b[j]));
    expect(z).toBeAllclose(zHand, { rtol: 1e-12 });
    const dz = zHand.map((r, i) => r.map((v, j) => v - y[i][j]));
    const dW = W.map((_, j) => a[0].map((_, k) => a.reduce((s, ai, i) => s + dz[i][j] * ai[k], 0) / m));
    const db = b.map((_, j) => dz.reduce((s, r) => s + r[j], 0) / m);
    expect(lin.weight.grad).toBeAllclose(dW, { rtol: 1e-12 });
    expect(lin.bias!.grad).toBeAllclose(db, { rtol: 1e-12 });
  });

  it("stores weight as [out, in] and works without bias and on batched 3-d input", () => {
    const lin = new Linear(3, 2, { bias: false });
    expect(lin.weight.shape).toEqual([2, 3]);
    expect(lin.bias).toBeNull();
    expect(lin.parameters()).toHaveLength(1);
    const x = tensor([[[1, 2, 3]], [[4, 5, 6]]]);
    const W = lin.weight.toArray() as M;
    expect(lin.call(x)).toBeAllclose([[matmulT([[1, 2, 3]], W)[0]], [matmulT([[4, 5, 6]], W)[0]]], { rtol: 1e-5, atol: 1e-6 });
  });

  it("rejects an input with the wrong last dim, naming both", () => {
    const lin = new Linear(3, 2);
    expect(() => lin.call(tensor([[1, 2, 3, 4], [5, 6, 7, 8]]))).toThrow(ShapeError);
    expect(() => lin.call(tensor([[1, 2, 3, 4], [5, 6, 7, 8]]))).toThrow("Linear: expected input with last dim 3, got [2,4]");
    expect(() => new Linear(-1, 2)).toThrow(ValueError);
  });

  it("initializes weight and bias in U(−1/√in, 1/√in), roughly uniformly, from the seeded default generator", () => {
    manualSeed(123);
    const lin = new Linear(400, 50); // 20 000 weights
    const bound = 1 / Math.sqrt(400);
    const w = lin.weight.toFlatArray();
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    const mean = w.reduce((s, v) => s + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.03 * bound);
    expect(Math.abs(std / (bound / Math.sqrt(3)) - 1)).toBeLessThan(0.03); // U(−b, b) has std b/√3
    const bins = new Array<number>(10).fill(0);
    for (const v of w) bins[Math.min(9, Math.floor(((v + bound) / (2 * bound)) * 10))]++;
    for (const count of bins) expect(Math.abs(count / w.length - 0.1)).toBeLessThan(0.012);
    expect(Math.max(...lin.bias!.toFlatArray().map(Math.abs))).toBeLessThanOrEqual(bound);
    // Reproducible: the same seed gives the same parameters; a private generator leaves the default alone.
    manualSeed(123);
    expect(new Linear(400, 50).weight).toBeAllclose(lin.weight, { rtol: 0, atol: 0 });
    const g1 = new Linear(4, 4, { generator: new Generator(5) });
    const g2 = new Linear(4, 4, { generator: new Generator(5) });
    expect(g1.weight).toBeAllclose(g2.weight, { rtol: 0, atol: 0 });
  });

  it("takes a dtype", () => {
    const lin = new Linear(2, 2, f64);
    expect(lin.weight.dtype).toBe("float64");
    expect(lin.bias!.dtype).toBe("float64");
  });
});

describe("LayerNorm", () => {
  const x: M = [[1, 2, 4, 7], [-1, 0.5, 0.5, 3]];
  const gamma = [0.5, 1, 2, -1];
  const beta = [0.1, 0, 0, 0.2];
  const g: M = [[0.3, -1, 2, 0.5], [1, 1, -0.5, 0.25]];
  const eps = 1e-5;

  it("normalizes over the last dim with the biased variance, then scales and shifts", () => {
    const ln = new LayerNorm(4, f64);
    expect(ln.weight).toBeAllclose([1, 1, 1, 1]);
    expect(ln.bias).toBeAllclose([0, 0, 0, 0]);
    ln.loadStateDict({ weight: tensor(gamma, f64), bias: tensor(beta, f64) });
    const xt = tensor(x, { ...f64, requiresGrad: true });
    const y = ln.call(xt);
    // Rows are the normalization groups: transpose for the column helper.
    const rows = x.map((r) => {
      const mu = r.reduce((s, v) => s + v, 0) / r.length;
      const v = r.reduce((s, e) => s + (e - mu) ** 2, 0) / r.length;
      return { mu, sigma: Math.sqrt(v + eps), xhat: r.map((e) => (e - mu) / Math.sqrt(v + eps)) };
    });
    expect(y).toBeAllclose(rows.map(({ xhat }) => xhat.map((h, j) => h * gamma[j] + beta[j])), { rtol: 1e-10 });

    // L = Σ y·g: dx̂ = g·γ, dx = (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂))/σ, dγ = Σ g·x̂, dβ = Σ g.
    y.mul(tensor(g, f64)).sum().backward();
    const dx = rows.map(({ xhat, sigma }, i) => {
      const dxhat = g[i].map((gi, j) => gi * gamma[j]);
      const m1 = dxhat.reduce((s, v) => s + v, 0) / 4;
      const m2 = dxhat.reduce((s, v, j) => s + v * xhat[j], 0) / 4;
      return dxhat.map((d, j) => (d - m1 - xhat[j] * m2) / sigma);
    });
    expect(xt.grad).toBeAllclose(dx, { rtol: 1e-8, atol: 1e-12 });
    expect(ln.weight!.grad).toBeAllclose(gamma.map((_, j) => g[0][j] * rows[0].xhat[j] + g[1][j] * rows[1].xhat[j]), { rtol: 1e-10 });
    expect(ln.bias!.grad).toBeAllclose(beta.map((_, j) => g[0][j] + g[1][j]), { rtol: 1e-12 });
  });

  it("normalizes over several trailing dims and without affine parameters", () => {
    const ln = new LayerNorm([2, 2], { elementwiseAffine: false, dtype: "float64" });
    expect(ln.parameters()).toHaveLength(0);
    const y = ln.call(tensor([[[1, 2], [4, 7]]], f64));
    const mu = 3.5;
    const sigma = Math.sqrt((2.5 ** 2 + 1.5 ** 2 + 0.5 ** 2 + 3.5 ** 2) / 4 + eps);
    expect(y).toBeAllclose([[[(1 - mu) / sigma, (2 - mu) / sigma], [(4 - mu) / sigma, (7 - mu) / sigma]]], { rtol: 1e-10 });
    expect(() => ln.call(tensor([[1, 2, 3]]))).toThrow("LayerNorm: expected input with trailing shape [2,2], got [1,3]");
  });
});

describe("BatchNorm1d", () => {
  const x: M = [[1, 2, 0], [3, -1, 0.5], [0, 0, 4], [2, 5, 1.5]];
  const eps = 1e-5;

  it("training: batch mean and biased variance normalize; running stats get the unbiased variance", () => {
    const bn = new BatchNorm1d(3, f64);
    const gamma = [1.5, -0.5, 2];
    const beta = [0, 1, -1];
    noGrad(() => {
      bn.weight!.copy_(tensor(gamma, f64));
      bn.bias!.copy_(tensor(beta, f64));
    });
    const xt = tensor(x, { ...f64, requiresGrad: true });
    const y = bn.call(xt);
    const { xhat, mean, varB, varU } = normalizeColumns(x, eps);
    expect(y).toBeAllclose(xhat.map((r) => r.map((h, j) => h * gamma[j] + beta[j])), { rtol: 1e-10 });
    // r ← 0.9·r + 0.1·batch: running mean from 0, running var from 1 with the unbiased variance.
    expect(bn.runningMean).toBeAllclose(mean.map((m) => 0.1 * m), { rtol: 1e-12 });
    expect(bn.runningVar).toBeAllclose(varU.map((v) => 0.9 + 0.1 * v), { rtol: 1e-12 });
    expect(bn.numBatchesTracked!.item()).toBe(1);

    // Gradient per channel over the batch: dx = (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂))/σ with dx̂ = g·γ.
    const g: M = [[1, 0, -1], [0.5, 2, 0], [-1, 1, 1], [0, -0.5, 3]];
    y.mul(tensor(g, f64)).sum().backward();
    const n = x.length;
    const dx = x.map((r, i) =>
      r.map((_, j) => {
        const dxhatCol = g.map((gr) => gr[j] * gamma[j]);
        const m1 = dxhatCol.reduce((s, v) => s + v, 0) / n;
        const m2 = dxhatCol.reduce((s, v, k) => s + v * xhat[k][j], 0) / n;
        return (dxhatCol[i] - m1 - xhat[i][j] * m2) / Math.sqrt(varB[j] + eps);
      }),
    );
    expect(xt.grad).toBeAllclose(dx, { rtol: 1e-8, atol: 1e-12 });
    expect(bn.weight!.grad).toBeAllclose(gamma.map((_, j) => g.reduce((s, gr, i) => s + gr[j] * xhat[i][j], 0)), { rtol: 1e-10 });
    expect(bn.bias!.grad).toBeAllclose(beta.map((_, j) => g.reduce((s, gr) => s + gr[j], 0)), { rtol: 1e-12 });
  });

  it("eval: normalizes with the running stats and leaves them alone", () => {
    const bn = new BatchNorm1d(3, f64);
    bn.call(tensor(x, f64));
    bn.eval();
    const rm = bn.runningMean!.toFlatArray();
    const rv = bn.runningVar!.toFlatArray();
    const probe: M = [[1, 1, 1], [-2, 0, 3]];
    const y = bn.call(tensor(probe, f64));
    expect(y).toBeAllclose(probe.map((r) => r.map((v, j) => (v - rm[j]) / Math.sqrt(rv[j] + eps))), { rtol: 1e-10 });
    expect(bn.runningMean).toBeAllclose(rm, { rtol: 0, atol: 0 });
    expect(bn.numBatchesTracked!.item()).toBe(1);
  });

  it("3-d input [N, C, L] pools each channel over N and L; momentum null is a cumulative average", () => {
    const bn = new BatchNorm1d(2, { momentum: null, affine: false, dtype: "float64" });
    const batch1 = [[[1, 2, 3], [0, 0, 6]], [[5, 6, 7], [1, 1, 1]]];
    const batch2 = [[[0, 0, 0], [2, 2, 2]], [[1, 1, 1], [4, 4, 4]]];
    const y = bn.call(tensor(batch1, f64));
    const ch0 = [1, 2, 3, 5, 6, 7];
    const mu0 = 4;
    const var0 = ch0.reduce((s, v) => s + (v - mu0) ** 2, 0) / 6;
    expect(y.select(1, 0)).toBeAllclose([[1, 2, 3], [5, 6, 7]].map((r) => r.map((v) => (v - mu0) / Math.sqrt(var0 + eps))), { rtol: 1e-10 });
    bn.call(tensor(batch2, f64));
    // Cumulative average of the two batch means: channel 0 (4 + 0.5)/2, channel 1 (1.5 + 3)/2.
    expect(bn.runningMean).toBeAllclose([2.25, 2.25], { rtol: 1e-12 });
    expect(bn.numBatchesTracked!.item()).toBe(2);
  });

  it("validates its input", () => {
    const bn = new BatchNorm1d(3);
    expect(() => bn.call(tensor([[1, 2]]))).toThrow("BatchNorm1d: expected input with 3 channels at dim 1, got [1,2]");
    expect(() => bn.call(tensor([[1, 2, 3]]))).toThrow(/more than 1 value per channel/);
    expect(() => bn.call(ones([2, 3, 1, 1]))).toThrow(/expected 2D or 3D input/);
  });
});

describe("Dropout", () => {
  it("zeroes about p of the elements and scales the rest by 1/(1 − p) in training; its gradient is the same mask", () => {
    manualSeed(7);
    const drop = new Dropout(0.25);
    const x = ones([20000], { requiresGrad: true });
    const y = drop.call(x);
    const values = y.toFlatArray();
    const kept = values.filter((v) => v !== 0);
    expect(kept.every((v) => Math.abs(v - 1 / 0.75) < 1e-6)).toBe(true);
    expect(Math.abs(1 - kept.length / values.length - 0.25)).toBeLessThan(0.015);
    y.sum().backward();
    expect(x.grad).toBeAllclose(values); // x = 1, so dy/dx is the scaled mask itself
  });

  it("is the identity in eval mode and for p = 0; p = 1 zeroes everything", () => {
    const x = tensor([1, 2, 3]);
    expect(new Dropout(0.5).eval().call(x)).toBe(x);
    expect(new Dropout(0).call(x)).toBe(x);
    expect(new Dropout(1).call(x)).toBeAllclose([0, 0, 0]);
    expect(F.dropout(x, 0.5, false)).toBe(x);
    expect(() => new Dropout(1.5)).toThrow("Dropout: dropout probability has to be between 0 and 1, but got 1.5");
  });
});

describe("Embedding", () => {
  const W: M = [[0, 0.5], [1, 2], [-1, 3], [4, -4]];

  it("gathers rows and accumulates gradients of repeated indices", () => {
    const emb = new Embedding(4, 2, f64);
    emb.loadStateDict({ weight: tensor(W, f64) });
    const idx = tensor([[1, 3], [1, 1]], { dtype: "int32" });
    const out = emb.call(idx);
    expect(out.shape).toEqual([2, 2, 2]);
    expect(out).toBeAllclose([[W[1], W[3]], [W[1], W[1]]]);
    const g = [[[1, 2], [3, 4]], [[5, 6], [7, 8]]];
    out.mul(tensor(g, f64)).sum().backward();
    // Row 1 appears at three positions: its gradient is the sum of theirs.
    expect(emb.weight.grad).toBeAllclose([[0, 0], [1 + 5 + 7, 2 + 6 + 8], [0, 0], [3, 4]]);
  });

  it("keeps the padding row at zero and gives it no gradient", () => {
    manualSeed(3);
    const emb = new Embedding(5, 3, { paddingIdx: 0 });
    expect(emb.weight.select(0, 0)).toBeAllclose([0, 0, 0]);
    const out = emb.call(tensor([0, 2, 0, 2], { dtype: "int32" }));
    out.sum().backward();
    expect(emb.weight.grad!.select(0, 0)).toBeAllclose([0, 0, 0]);
    expect(emb.weight.grad!.select(0, 2)).toBeAllclose([2, 2, 2]);
  });

  it("draws N(0, 1) weights and validates indices", () => {
    manualSeed(11);
    const w = new Embedding(1000, 20).weight.toFlatArray();
    const mean = w.reduce((s, v) => s + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(std - 1)).toBeLessThan(0.03);
    const emb = new Embedding(3, 2);
    expect(() => emb.call(tensor([3], { dtype: "int32" }))).toThrow(IndexError);
    expect(() => emb.call(tensor([1]))).toThrow(/must be an int32 tensor/);
    const frozen = Embedding.fromPretrained(tensor(W));
    expect(frozen.weight.requiresGrad).toBe(false);
    expect(frozen.call(tensor([2], { dtype: "int32" }))).toBeAllclose([W[2]]);
  });
});

describe("activations as modules", () => {
  const xs = [-2, -0.5, 0.5, 3];
  const x = () => tensor(xs, { ...f64, requiresGrad: true });
  const check = (m: { call(t: Tensor): Tensor }, f: (v: number) => number, df: (v: number) => number) => {
    const t = x();
    const y = m.call(t);
    expect(y).toBeAllclose(xs.map(f), { rtol: 1e-10, atol: 1e-12 });
    y.sum().backward();
    expect(t.grad).toBeAllclose(xs.map(df), { rtol: 1e-8, atol: 1e-12 });
  };

  it("match their formulas and derivatives", () => {
    check(new ReLU(), (v) => Math.max(v, 0), (v) => (v > 0 ? 1 : 0));
    check(new LeakyReLU(0.2), (v) => (v > 0 ? v : 0.2 * v), (v) => (v > 0 ? 1 : 0.2));
    check(new Sigmoid(), sigmoid, (v) => sigmoid(v) * (1 - sigmoid(v)));
    check(new Tanh(), Math.tanh, (v) => 1 - Math.tanh(v) ** 2);
    check(new SiLU(), (v) => v * sigmoid(v), (v) => sigmoid(v) * (1 + v * (1 - sigmoid(v))));
    check(new Softplus(), (v) => Math.log1p(Math.exp(v)), sigmoid);
    check(new Softplus(2), (v) => Math.log1p(Math.exp(2 * v)) / 2, (v) => sigmoid(2 * v));
    check(new ELU(1.5), (v) => (v > 0 ? v : 1.5 * Math.expm1(v)), (v) => (v > 0 ? 1 : 1.5 * Math.exp(v)));
    const c = Math.sqrt(2 / Math.PI);
    check(
      new GELU({ approximate: "tanh" }),
      (v) => 0.5 * v * (1 + Math.tanh(c * (v + 0.044715 * v ** 3))),
      (v) => {
        const t = Math.tanh(c * (v + 0.044715 * v ** 3));
        return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * c * (1 + 3 * 0.044715 * v * v);
      },
    );
  });

  it("GELU (exact) at known points: x·Φ(x)", () => {
    // Φ(1) = 0.8413447460685429, Φ(−0.5) = 0.3085375387259869, Φ(2) = 0.9772498680518208
    expect(new GELU().call(tensor([1, -0.5, 2], f64))).toBeAllclose([0.8413447460685429, -0.5 * 0.3085375387259869, 2 * 0.9772498680518208], {
      rtol: 1e-7,
    });
  });

  it("Softmax / LogSoftmax along a dim", () => {
    const logits = [[1, 2, 3], [0, 0, 0]];
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    const expected = [[Math.exp(1) / z, Math.exp(2) / z, Math.exp(3) / z], [1 / 3, 1 / 3, 1 / 3]];
    expect(new Softmax(1).call(tensor(logits, f64))).toBeAllclose(expected, { rtol: 1e-12 });
    expect(new LogSoftmax(-1).call(tensor(logits, f64))).toBeAllclose(expected.map((r) => r.map(Math.log)), { rtol: 1e-12 });
    expect(new Softmax(0).call(tensor(logits, f64)).sum(0)).toBeAllclose([1, 1, 1], { rtol: 1e-12 });
  });

  it("Flatten and Identity", () => {
    const t = ones([2, 3, 4]);
    expect(new Flatten().call(t).shape).toEqual([2, 12]);
    expect(new Flatten(0).call(t).shape).toEqual([24]);
    expect(new Flatten(1, 1).call(t).shape).toEqual([2, 3, 4]);
    expect(new Identity().call(t)).toBe(t);
    expect(new Flatten().toString()).toBe("Flatten(start_dim=1, end_dim=-1)");
  });

  it("reprs follow PyTorch", () => {
    expect(new Sequential(new LeakyReLU(), new GELU(), new Softplus(), new ELU(), new Softmax(1)).toString()).toBe(
      "Sequential(\n  (0): LeakyReLU(negative_slope=0.01)\n  (1): GELU(approximate='none')\n  (2): Softplus(beta=1.0, threshold=20.0)\n  (3): ELU(alpha=1.0)\n  (4): Softmax(dim=1)\n)",
    );
  });
});

describe("functional", () => {
  it("oneHot encodes int32 indices", () => {
    const oh = F.oneHot(tensor([0, 2, 1], { dtype: "int32" }), 4);
    expect(oh.dtype).toBe("int32");
    expect(oh.toArray()).toEqual([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0]]);
    expect(F.oneHot(tensor([[1], [2]], { dtype: "int32" })).shape).toEqual([2, 1, 3]);
    expect(() => F.oneHot(tensor([3], { dtype: "int32" }), 3)).toThrow("oneHot: class values must be smaller than numClasses (got 3 with numClasses 3)");
  });

  it("linear, layerNorm and batchNorm equal their modules", () => {
    manualSeed(4);
    const lin = new Linear(3, 2);
    const x = tensor([[1, 2, 3], [0, -1, 2]]);
    expect(F.linear(x, lin.weight, lin.bias)).toBeAllclose(lin.call(x));
    expect(F.layerNorm(x, [3])).toBeAllclose(new LayerNorm(3).call(x), { atol: 1e-6 });
    expect(F.batchNorm(x, null, null, { training: true })).toBeAllclose(new BatchNorm1d(3, { affine: false }).call(x), { atol: 1e-6 });
    expect(F.relu(tensor([-1, 1]))).toBeAllclose([0, 1]);
    expect(F.embedding(tensor([1], { dtype: "int32" }), tensor([[1, 2], [3, 4]]))).toBeAllclose([[3, 4]]);
  });
});
