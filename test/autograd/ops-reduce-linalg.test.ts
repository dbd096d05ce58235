/**
 * Hand-computed cases for the reductions (sum, mean, var, std, logsumexp, amax/amin, max/min
 * with indices, argmax/argmin) and matmul: forward values from literals or loops written here,
 * gradients against the derivatives worked out by hand.
 */

import { describe, expect, it } from "vitest";
import { Tensor, matmul, tensor, type NestedArray } from "@tensorgrad/autograd";

const f64 = { dtype: "float64" } as const;
const tight = { rtol: 1e-12, atol: 1e-13 };

const t = (data: NestedArray, requiresGrad = false): Tensor => tensor(data, { ...f64, requiresGrad });

type Nested = number | Nested[];

/** Nested arrays of `shape` with element `f(index)`. */
function nd(shape: readonly number[], f: (idx: number[]) => number, prefix: number[] = []): Nested {
  if (prefix.length === shape.length) return f(prefix);
  return Array.from({ length: shape[prefix.length] }, (_, i) => nd(shape, f, [...prefix, i]));
}

/** Element of nested arrays at `idx`. */
function at(x: Nested, idx: readonly number[]): number {
  let v = x;
  for (const i of idx) v = (v as Nested[])[i];
  return v as number;
}

/** Deterministic, irregular test values. */
const val = (seed: number): number => (((seed * 37 + 11) % 23) - 11) / 4;

// x = [[1, -2, 3], [4, 0, -1]]
const X = [
  [1, -2, 3],
  [4, 0, -1],
];

describe("sum", () => {
  it("forward: all dims, one dim, negative dim, several dims, keepdim", () => {
    const x = t(X);
    expect(x.sum().shape).toEqual([]);
    expect(x.sum()).toBeAllclose(5, tight);
    expect(x.sum(0)).toBeAllclose([5, -2, 2], tight);
    expect(x.sum(1)).toBeAllclose([2, 3], tight);
    expect(x.sum(-1)).toBeAllclose([2, 3], tight);
    expect(x.sum(-2)).toBeAllclose([5, -2, 2], tight);
    expect(x.sum([0, 1])).toBeAllclose(5, tight);
    expect(x.sum(1, true).shape).toEqual([2, 1]);
    expect(x.sum(1, true)).toBeAllclose([[2], [3]], tight);
    expect(x.sum([0, 1], true)).toBeAllclose([[5]], tight);
  });

  it("forward: two of three dims against a hand loop", () => {
    const shape = [2, 3, 4];
    const data = nd(shape, ([i, j, k]) => 12 * i + 4 * j + k);
    const x = t(data);
    const expected = [0, 1, 2].map((j) => {
      let s = 0;
      for (let i = 0; i < 2; i++) for (let k = 0; k < 4; k++) s += at(data, [i, j, k]);
      return s;
    });
    expect(expected).toEqual([60, 92, 124]);
    expect(x.sum([0, 2])).toBeAllclose(expected, tight);
    expect(x.sum([-1, 0])).toBeAllclose(expected, tight);
    expect(x.sum([0, 2], true).shape).toEqual([1, 3, 1]);
  });

  it("gradient: sum over one dim broadcasts the seed back", () => {
    const x = t(X, true);
    x.sum(1).backward(t([2, -3]));
    expect(x.grad).toBeAllclose([[2, 2, 2], [-3, -3, -3]], tight);
  });

  it("gradient: sum with keepdim over a negative dim", () => {
    const x = t(X, true);
    x.sum(-2, true).backward(t([[1, 2, 3]]));
    expect(x.grad).toBeAllclose([[1, 2, 3], [1, 2, 3]], tight);
  });

  it("gradient: sum over all dims is ones", () => {
    const x = t(X, true);
    x.sum().backward();
    expect(x.grad).toBeAllclose([[1, 1, 1], [1, 1, 1]], tight);
  });

  it("sum of int32 and bool stays integer", () => {
    const i = tensor([1, 2, 3], { dtype: "int32" });
    expect(i.sum().dtype).toBe("int32");
    expect(i.sum().item()).toBe(6);
    const b = tensor([true, false, true]);
    expect(b.sum().dtype).toBe("int32");
    expect(b.sum().item()).toBe(2);
  });
});

describe("mean", () => {
  it("forward: all, one dim, several dims, keepdim", () => {
    const x = t(X);
    expect(x.mean()).toBeAllclose(5 / 6, tight);
    expect(x.mean(0)).toBeAllclose([2.5, -1, 1], tight);
    expect(x.mean(-1)).toBeAllclose([2 / 3, 1], tight);
    expect(x.mean([0, 1])).toBeAllclose(5 / 6, tight);
    expect(x.mean(1, true)).toBeAllclose([[2 / 3], [1]], tight);
  });

  it("gradient: mean over a dim is g/n", () => {
    const x = t(X, true);
    x.mean(1).backward(t([3, -6]));
    expect(x.grad).toBeAllclose([[1, 1, 1], [-2, -2, -2]], tight);
  });

  it("gradient: mean over all dims is 1/numel", () => {
    const x = t(X, true);
    x.mean().backward();
    expect(x.grad).toBeAllclose([[1 / 6, 1 / 6, 1 / 6], [1 / 6, 1 / 6, 1 / 6]], tight);
  });
});

/** Hand var of a list with the given correction. */
function varRef(xs: number[], correction: number): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return xs.reduce((a, v) => a + (v - m) ** 2, 0) / (xs.length - correction);
}

describe("var and std", () => {
  it("forward: row [1,-2,3] has var 19/3 (correction 1) and 38/9 (correction 0)", () => {
    const x = t(X);
    expect(x.var(1)).toBeAllclose([19 / 3, varRef([4, 0, -1], 1)], tight);
    expect(x.var(1, { correction: 0 })).toBeAllclose([38 / 9, varRef([4, 0, -1], 0)], tight);
    expect(x.std(1)).toBeAllclose([Math.sqrt(19 / 3), Math.sqrt(varRef([4, 0, -1], 1))], tight);
    expect(x.std(1, { correction: 0 })).toBeAllclose([Math.sqrt(38 / 9), Math.sqrt(varRef([4, 0, -1], 0))], tight);
  });

  it("forward: all dims, dim 0, negative dim, keepdim", () => {
    const x = t(X);
    const all = X.flat();
    expect(x.var()).toBeAllclose(varRef(all, 1), tight);
    expect(x.var(undefined, { correction: 0 })).toBeAllclose(varRef(all, 0), tight);
    expect(x.std()).toBeAllclose(Math.sqrt(varRef(all, 1)), tight);
    expect(x.var(0)).toBeAllclose([varRef([1, 4], 1), varRef([-2, 0], 1), varRef([3, -1], 1)], tight);
    expect(x.var(-2)).toBeAllclose([4.5, 2, 8], tight);
    expect(x.var([0, 1])).toBeAllclose(varRef(all, 1), tight);
    const kept = x.var(1, { keepdim: true, correction: 0 });
    expect(kept.shape).toEqual([2, 1]);
    expect(kept).toBeAllclose([[38 / 9], [varRef([4, 0, -1], 0)]], tight);
  });

  for (const correction of [0, 1]) {
    it(`gradient: var (correction ${correction}) is 2(x − mean)/(n − correction)`, () => {
      const x = t(X, true);
      const g = [2, -1];
      x.var(1, { correction }).backward(t(g));
      const expected = X.map((row, i) => {
        const m = row.reduce((a, b) => a + b, 0) / row.length;
        return row.map((v) => (g[i] * 2 * (v - m)) / (row.length - correction));
      });
      expect(x.grad).toBeAllclose(expected, tight);
    });

    it(`gradient: std (correction ${correction}) is (x − mean)/((n − correction)·std)`, () => {
      const x = t(X, true);
      x.std(undefined, { correction }).backward();
      const all = X.flat();
      const m = all.reduce((a, b) => a + b, 0) / all.length;
      const s = Math.sqrt(varRef(all, correction));
      expect(x.grad).toBeAllclose(X.map((row) => row.map((v) => (v - m) / ((all.length - correction) * s))), tight);
    });
  }
});

describe("logsumexp", () => {
  it("forward: one dim, all dims, keepdim, against Math.log(Σ Math.exp)", () => {
    const x = t(X);
    const lse = (xs: number[]) => Math.log(xs.reduce((a, v) => a + Math.exp(v), 0));
    expect(x.logsumexp(1)).toBeAllclose([lse(X[0]), lse(X[1])], tight);
    expect(x.logsumexp(-2)).toBeAllclose([lse([1, 4]), lse([-2, 0]), lse([3, -1])], tight);
    expect(x.logsumexp()).toBeAllclose(lse(X.flat()), tight);
    expect(x.logsumexp([0, 1])).toBeAllclose(lse(X.flat()), tight);
    expect(x.logsumexp(1, true).shape).toEqual([2, 1]);
  });

  it("gradient: logsumexp is the softmax of its lane", () => {
    const x = t(X, true);
    const g = [1.5, -2];
    x.logsumexp(1).backward(t(g));
    const expected = X.map((row, i) => {
      const z = row.reduce((a, v) => a + Math.exp(v), 0);
      return row.map((v) => (g[i] * Math.exp(v)) / z);
    });
    expect(x.grad).toBeAllclose(expected, tight);
  });

  it("huge inputs (1000) stay finite, value and gradient", () => {
    const x = t([[1000, 1000], [1000, 0], [-1000, -1000]], true);
    const y = x.logsumexp(1);
    expect(y).toBeAllclose([1000 + Math.LN2, 1000, -1000 + Math.LN2], tight);
    y.sum().backward();
    expect(x.grad).toBeAllclose([[0.5, 0.5], [1, 0], [0.5, 0.5]], tight);
  });

  it("huge inputs stay finite in float32", () => {
    const x = tensor([1000, 1000, 1000], { requiresGrad: true });
    const y = x.logsumexp(0);
    expect(y).toBeAllclose(1000 + Math.log(3));
    y.backward();
    expect(x.grad).toBeAllclose([1 / 3, 1 / 3, 1 / 3]);
  });
});

// y = [[1, 3, 3], [2, 2, 0]]: ties in both rows and in the global max.
const Y = [
  [1, 3, 3],
  [2, 2, 0],
];

describe("amax, amin, max(), min()", () => {
  it("forward: amax/amin over one dim, all dims, negative dim, keepdim", () => {
    const y = t(Y);
    expect(y.amax(1)).toBeAllclose([3, 2], tight);
    expect(y.amax(0)).toBeAllclose([2, 3, 3], tight);
    expect(y.amax(-1, true)).toBeAllclose([[3], [2]], tight);
    expect(y.amax()).toBeAllclose(3, tight);
    expect(y.amax([0, 1])).toBeAllclose(3, tight);
    expect(y.amin(1)).toBeAllclose([1, 0], tight);
    expect(y.amin(-2)).toBeAllclose([1, 2, 0], tight);
    expect(y.amin()).toBeAllclose(0, tight);
    expect(y.max()).toBeAllclose(3, tight);
    expect(y.min()).toBeAllclose(0, tight);
  });

  it("gradient: max() shares the gradient evenly among ties", () => {
    const y = t(Y, true);
    y.max().backward();
    expect(y.grad).toBeAllclose([[0, 0.5, 0.5], [0, 0, 0]], tight);
  });

  it("gradient: min() with a unique minimum", () => {
    const y = t(Y, true);
    y.min().backward(t(4));
    expect(y.grad).toBeAllclose([[0, 0, 0], [0, 0, 4]], tight);
  });

  it("gradient: amax over a dim shares ties per lane", () => {
    const y = t(Y, true);
    y.amax(1).backward(t([2, 6]));
    expect(y.grad).toBeAllclose([[0, 1, 1], [3, 3, 0]], tight);
  });

  it("gradient: amin over dim 0 (ties in column 1 are shared)", () => {
    const y = t([[1, 2, 5], [4, 2, 0]], true);
    y.amin(0).backward(t([1, 2, 3]));
    expect(y.grad).toBeAllclose([[1, 1, 0], [0, 1, 3]], tight);
  });

  it("gradient: a three-way tie splits in thirds", () => {
    const y = t([7, 7, 7], true);
    y.amax().backward();
    expect(y.grad).toBeAllclose([1 / 3, 1 / 3, 1 / 3], tight);
  });
});

describe("max(dim), min(dim) with indices", () => {
  it("forward: values and int32 indices (first occurrence on ties)", () => {
    const y = t(Y);
    const { values, indices } = y.max(1);
    expect(values).toBeAllclose([3, 2], tight);
    expect(indices.dtype).toBe("int32");
    expect(indices.toArray()).toEqual([1, 0]);
    const mn = y.min(1);
    expect(mn.values).toBeAllclose([1, 0], tight);
    expect(mn.indices.toArray()).toEqual([0, 2]);
    const col = y.max(0);
    expect(col.values).toBeAllclose([2, 3, 3], tight);
    expect(col.indices.toArray()).toEqual([1, 0, 0]);
  });

  it("forward: negative dim and keepdim", () => {
    const y = t(Y);
    const { values, indices } = y.max(-1, true);
    expect(values.shape).toEqual([2, 1]);
    expect(indices.shape).toEqual([2, 1]);
    expect(values).toBeAllclose([[3], [2]], tight);
    expect(indices.toArray()).toEqual([[1], [0]]);
  });

  it("gradient: max(dim) goes to the returned index only (no sharing)", () => {
    const y = t(Y, true);
    y.max(1).values.backward(t([5, 7]));
    expect(y.grad).toBeAllclose([[0, 5, 0], [7, 0, 0]], tight);
  });

  it("gradient: min(dim 0) with keepdim", () => {
    const y = t(Y, true);
    y.min(0, true).values.backward(t([[1, 2, 3]]));
    // column minima: col 0 → 1 (row 0), col 1 → 2 (row 1), col 2 → 0 (row 1)
    expect(y.grad).toBeAllclose([[1, 0, 0], [0, 2, 3]], tight);
  });
});

describe("argmax, argmin", () => {
  it("over a dim, negative dim, keepdim, and flattened", () => {
    const z = t([[0.5, 9, -3], [7, 7, 8]]);
    expect(z.argmax(1).toArray()).toEqual([1, 2]);
    expect(z.argmax(-1).toArray()).toEqual([1, 2]);
    expect(z.argmax(0).toArray()).toEqual([1, 0, 1]);
    expect(z.argmin(1).toArray()).toEqual([2, 0]);
    expect(z.argmin(0).toArray()).toEqual([0, 1, 0]);
    expect(z.argmax(1, true).shape).toEqual([2, 1]);
    expect(z.argmax(1, true).toArray()).toEqual([[1], [2]]);
    expect(z.argmax().shape).toEqual([]);
    expect(z.argmax().item()).toBe(1);
    expect(z.argmin().item()).toBe(2);
    expect(z.argmax().dtype).toBe("int32");
  });

  it("ties give the first index", () => {
    const z = t([4, 1, 4, 1]);
    expect(z.argmax().item()).toBe(0);
    expect(z.argmin().item()).toBe(1);
  });

  it("carry no gradient", () => {
    const z = t([1, 2], true);
    expect(z.argmax().requiresGrad).toBe(false);
  });
});

// ---------------------------------------------------------------- matmul

/** Hand matrix product of nested 2-d arrays. */
function mm(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
}

const transposed = (a: number[][]): number[][] => a[0].map((_, j) => a.map((row) => row[j]));

describe("matmul", () => {
  it("forward and gradient: 1-d · 1-d is a dot product", () => {
    const a = t([1, 2, 3], true);
    const b = t([4, -5, 6], true);
    const y = a.matmul(b);
    expect(y.shape).toEqual([]);
    expect(y).toBeAllclose(4 - 10 + 18, tight);
    y.backward(t(2));
    expect(a.grad).toBeAllclose([8, -10, 12], tight); // g·b
    expect(b.grad).toBeAllclose([2, 4, 6], tight); // g·a
  });

  it("forward and gradient: 2-d · 1-d", () => {
    const A = [[1, 2, 3], [-1, 0.5, 2]];
    const v = [2, -1, 0.5];
    const g = [3, -2];
    const ta = t(A, true);
    const tv = t(v, true);
    const y = matmul(ta, tv);
    expect(y.shape).toEqual([2]);
    expect(y).toBeAllclose(A.map((row) => row.reduce((s, x, k) => s + x * v[k], 0)), tight);
    y.backward(t(g));
    expect(ta.grad).toBeAllclose(A.map((row, i) => row.map((_, k) => g[i] * v[k])), tight); // gA = g vᵀ
    expect(tv.grad).toBeAllclose(v.map((_, k) => A.reduce((s, row, i) => s + g[i] * row[k], 0)), tight); // gv = Aᵀ g
  });

  it("forward and gradient: 1-d · 2-d", () => {
    const v = [2, -1];
    const B = [[1, 2, 3], [-1, 0.5, 2]];
    const g = [1, -3, 0.5];
    const tv = t(v, true);
    const tb = t(B, true);
    const y = tv.matmul(tb);
    expect(y.shape).toEqual([3]);
    expect(y).toBeAllclose(B[0].map((_, j) => v[0] * B[0][j] + v[1] * B[1][j]), tight);
    y.backward(t(g));
    expect(tv.grad).toBeAllclose(B.map((row) => row.reduce((s, x, j) => s + x * g[j], 0)), tight); // gv = B g
    expect(tb.grad).toBeAllclose(B.map((row, k) => row.map((_, j) => v[k] * g[j])), tight); // gB = v gᵀ
  });

  it("forward and gradient: 2-d · 2-d (gA = G·Bᵀ, gB = Aᵀ·G)", () => {
    const A = nd([2, 3], ([i, k]) => val(3 * i + k)) as number[][];
    const B = nd([3, 4], ([k, j]) => val(40 + 4 * k + j)) as number[][];
    const G = nd([2, 4], ([i, j]) => val(90 + 4 * i + j)) as number[][];
    const ta = t(A, true);
    const tb = t(B, true);
    const y = ta.matmul(tb);
    expect(y.shape).toEqual([2, 4]);
    expect(y).toBeAllclose(mm(A, B), tight);
    y.backward(t(G));
    expect(ta.grad).toBeAllclose(mm(G, transposed(B)), tight);
    expect(tb.grad).toBeAllclose(mm(transposed(A), G), tight);
  });

  it("forward: a transposed (non-contiguous) operand", () => {
    const A = [[1, 2], [3, 4], [5, 6]]; // Aᵀ is [[1,3,5],[2,4,6]]
    const B = [[1, 0], [2, 1], [-1, 3]];
    expect(t(A).t().matmul(t(B))).toBeAllclose(mm(transposed(A), B), tight);
  });

  it("forward and gradient: batched with broadcast batch dims [2,1,3,4] @ [5,4,2]", () => {
    const A = nd([2, 1, 3, 4], ([b, , i, k]) => val(b * 12 + i * 4 + k));
    const B = nd([5, 4, 2], ([b, k, j]) => val(200 + b * 8 + k * 2 + j));
    const G = nd([2, 5, 3, 2], ([p, q, i, j]) => val(500 + p * 30 + q * 6 + i * 2 + j));
    const ta = t(A, true);
    const tb = t(B, true);
    const y = ta.matmul(tb);
    expect(y.shape).toEqual([2, 5, 3, 2]);
    // out[p][q][i][j] = Σ_k A[p][0][i][k]·B[q][k][j]
    const expected = nd([2, 5, 3, 2], ([p, q, i, j]) => {
      let s = 0;
      for (let k = 0; k < 4; k++) s += at(A, [p, 0, i, k]) * at(B, [q, k, j]);
      return s;
    });
    expect(y).toBeAllclose(expected as Nested[], tight);
    y.backward(t(G));
    // gA[p][0][i][k] = Σ_q Σ_j G[p][q][i][j]·B[q][k][j]  (g·Bᵀ summed over the broadcast dim q)
    const gA = nd([2, 1, 3, 4], ([p, , i, k]) => {
      let s = 0;
      for (let q = 0; q < 5; q++) for (let j = 0; j < 2; j++) s += at(G, [p, q, i, j]) * at(B, [q, k, j]);
      return s;
    });
    // gB[q][k][j] = Σ_p Σ_i A[p][0][i][k]·G[p][q][i][j]  (Aᵀ·g summed over the broadcast dim p)
    const gB = nd([5, 4, 2], ([q, k, j]) => {
      let s = 0;
      for (let p = 0; p < 2; p++) for (let i = 0; i < 3; i++) s += at(A, [p, 0, i, k]) * at(G, [p, q, i, j]);
      return s;
    });
    expect(ta.grad!.shape).toEqual([2, 1, 3, 4]);
    expect(tb.grad!.shape).toEqual([5, 4, 2]);
    expect(ta.grad).toBeAllclose(gA as Nested[], tight);
    expect(tb.grad).toBeAllclose(gB as Nested[], tight);
  });

  it("forward and gradient: batched @ 1-d", () => {
    const A = nd([2, 2, 3], ([b, i, k]) => val(b * 6 + i * 3 + k));
    const v = [1, -2, 0.5];
    const ta = t(A, true);
    const tv = t(v, true);
    const y = ta.matmul(tv);
    expect(y.shape).toEqual([2, 2]);
    expect(y).toBeAllclose(nd([2, 2], ([b, i]) => v.reduce((s, x, k) => s + at(A, [b, i, k]) * x, 0)) as Nested[], tight);
    y.sum().backward();
    expect(ta.grad).toBeAllclose(nd([2, 2, 3], ([, , k]) => v[k]) as Nested[], tight);
    expect(tv.grad).toBeAllclose(v.map((_, k) => {
      let s = 0;
      for (let b = 0; b < 2; b++) for (let i = 0; i < 2; i++) s += at(A, [b, i, k]);
      return s;
    }), tight);
  });

  it("mixed dtypes promote: int32 @ float32 → float32", () => {
    const a = tensor([[1, 2]], { dtype: "int32" });
    const b = tensor([[0.5], [0.25]]);
    const y = a.matmul(b);
    expect(y.dtype).toBe("float32");
    expect(y).toBeAllclose([[1]]);
  });
});

describe("matmul: IEEE special values", () => {
  it("forward: 0·NaN and 0·Inf give NaN, as in BLAS (no skipping of zero entries)", () => {
    // general path (m, k, n > 1), matrix-vector path (n = 1) and outer-product path (k = 1)
    const general = tensor([[0, 1], [1, 0]]).matmul(tensor([[NaN, 1], [1, 1]])).toArray() as number[][];
    expect(Number.isNaN(general[0][0])).toBe(true);
    expect(general[0][1]).toBe(1);
    expect(Number.isNaN(general[1][0])).toBe(true);
    const mv = tensor([[0, 1]]).matmul(tensor([[Infinity], [1]])).toArray() as number[][];
    expect(Number.isNaN(mv[0][0])).toBe(true); // 0·∞ + 1·1
    const outer = tensor([[0], [2]]).matmul(tensor([[Infinity, 1]])).toArray() as number[][];
    expect(Number.isNaN(outer[0][0])).toBe(true);
    expect(outer[1]).toEqual([Infinity, 2]);
  });
});
