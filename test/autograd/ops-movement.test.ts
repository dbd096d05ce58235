/**
 * Hand-computed cases for the movement and indexing ops (reshape/view, flatten, squeeze,
 * transpose/permute, expand, slice/narrow/select, split/chunk, cat/stack, indexSelect, gather,
 * scatterAdd), softmax/logSoftmax, contiguous/clone: values from literals and index loops
 * written here, memory sharing of views, and gradients flowing back through views.
 */

import { describe, expect, it } from "vitest";
import {
  Tensor, ShapeError, cat, grad, noGrad, stack, tensor, zeros, type NestedArray,
} from "@tensorgrad/autograd";

const f64 = { dtype: "float64" } as const;
const tight = { rtol: 1e-12, atol: 1e-14 };

const t = (data: NestedArray, requiresGrad = false): Tensor => tensor(data, { ...f64, requiresGrad });
const i32 = (data: NestedArray): Tensor => tensor(data, { dtype: "int32" });

type Nested = number | Nested[];

/** Nested arrays of `shape` with element `f(index)`. */
function nd(shape: readonly number[], f: (idx: number[]) => number, prefix: number[] = []): Nested {
  if (prefix.length === shape.length) return f(prefix);
  return Array.from({ length: shape[prefix.length] }, (_, i) => nd(shape, f, [...prefix, i]));
}

/** 0, 1, 2, … laid out in `shape` (row-major), as float64. */
const iota = (shape: number[], requiresGrad = false): Tensor =>
  tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i), { ...f64, shape, requiresGrad });

/** Row-major index of `idx` in `shape`. */
const flatIndex = (idx: number[], shape: number[]): number => idx.reduce((acc, v, d) => acc * shape[d] + v, 0);

describe("reshape and view", () => {
  it("forward: reshape with explicit sizes and -1", () => {
    const x = iota([6]);
    expect(x.reshape(2, 3).toArray()).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(x.reshape([3, -1]).toArray()).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(x.reshape(-1, 1, 2).shape).toEqual([3, 1, 2]);
    expect(x.view(2, -1).toArray()).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(x.reshape(2, 3).view(-1).toArray()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("reshape of a contiguous tensor is a view sharing memory", () => {
    const x = iota([2, 3]);
    const v = x.reshape(3, 2);
    noGrad(() => v.select(0, 2).copy_(t([40, 50])));
    expect(x.toArray()).toEqual([[0, 1, 2], [3, 40, 50]]);
  });

  it("view of a non-contiguous tensor that is allowed: splitting a dim of a transpose", () => {
    const x = iota([2, 3, 4]);
    const p = x.transpose(0, 1); // [3,2,4], strides [4,12,1]
    expect(p.isContiguous()).toBe(false);
    const v = p.view(3, 2, 2, 2); // splits the last (contiguous) dim only
    expect(v.shape).toEqual([3, 2, 2, 2]);
    expect(v.toArray()).toEqual(nd([3, 2, 2, 2], ([j, i, a, b]) => flatIndex([i, j, 2 * a + b], [2, 3, 4])));
    noGrad(() => v.fill_(-1));
    expect(x.toFlatArray().every((e) => e === -1)).toBe(true); // shares the base's memory
  });

  it("view of a non-contiguous tensor that must throw: flattening a transpose", () => {
    const x = iota([2, 3]);
    expect(() => x.t().view(-1)).toThrow(ShapeError);
    expect(() => x.t().view(-1)).toThrow(/view: a tensor of shape \[3,2\] with strides \[1,3\] cannot be viewed as \[6\]/);
  });

  it("reshape of a non-contiguous tensor copies in row-major order of the view", () => {
    const x = iota([2, 3]);
    const r = x.t().reshape(-1);
    expect(r.toArray()).toEqual([0, 3, 1, 4, 2, 5]);
    noGrad(() => r.fill_(9));
    expect(x.toArray()).toEqual([[0, 1, 2], [3, 4, 5]]); // a copy: the base is untouched
  });

  it("gradient: reshape and view send the gradient back in the input's shape", () => {
    const x = iota([2, 3], true);
    x.reshape(3, 2).backward(t([[1, 2], [3, 4], [5, 6]]));
    expect(x.grad).toBeAllclose([[1, 2, 3], [4, 5, 6]], tight);
    const y = iota([2, 3], true);
    y.t().reshape(-1).backward(t([1, 2, 3, 4, 5, 6])); // element k of the flat copy is y[k%2][k>>1]
    expect(y.grad).toBeAllclose([[1, 3, 5], [2, 4, 6]], tight);
  });
});

describe("flatten, squeeze, unsqueeze", () => {
  it("flatten: all dims, from a start dim, a dim range", () => {
    const x = iota([2, 3, 4]);
    expect(x.flatten().shape).toEqual([24]);
    expect(x.flatten(1).shape).toEqual([2, 12]);
    expect(x.flatten(0, 1).shape).toEqual([6, 4]);
    expect(x.flatten(-2, -1).shape).toEqual([2, 12]);
    expect(x.flatten().toFlatArray()).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(t(5).flatten().shape).toEqual([1]);
  });

  it("squeeze all size-1 dims or the given ones; other dims are left alone", () => {
    const x = iota([1, 3, 1]);
    expect(x.squeeze().shape).toEqual([3]);
    expect(x.squeeze(0).shape).toEqual([3, 1]);
    expect(x.squeeze(-1).shape).toEqual([1, 3]);
    expect(x.squeeze(1).shape).toEqual([1, 3, 1]); // size 3: no-op, as PyTorch
    expect(x.squeeze([0, 2]).shape).toEqual([3]);
    expect(x.squeeze().toArray()).toEqual([0, 1, 2]);
  });

  it("unsqueeze at the front, the middle, and -1 (append)", () => {
    const x = iota([2, 3]);
    expect(x.unsqueeze(0).shape).toEqual([1, 2, 3]);
    expect(x.unsqueeze(1).shape).toEqual([2, 1, 3]);
    expect(x.unsqueeze(-1).shape).toEqual([2, 3, 1]);
    expect(x.unsqueeze(1).toArray()).toEqual([[[0, 1, 2]], [[3, 4, 5]]]);
  });

  it("gradient: through flatten, squeeze and unsqueeze", () => {
    const x = iota([1, 2, 2], true);
    x.squeeze(0).unsqueeze(-1).flatten().backward(t([1, 2, 3, 4]));
    expect(x.grad!.shape).toEqual([1, 2, 2]);
    expect(x.grad).toBeAllclose([[[1, 2], [3, 4]]], tight);
  });
});

describe("transpose, permute, mT, t", () => {
  it("forward: t and transpose of a matrix", () => {
    const x = iota([2, 3]);
    expect(x.t().toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(x.transpose(0, 1).toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(x.transpose(-1, -2).toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(t([1, 2]).t().toArray()).toEqual([1, 2]); // ≤1-d: unchanged
  });

  it("forward: permute and mT of a 3-d tensor against index loops", () => {
    const shape = [2, 3, 4];
    const x = iota(shape);
    // out[a][b][c] = x[b][c][a] for dims (2, 0, 1)
    expect(x.permute(2, 0, 1).toArray()).toEqual(nd([4, 2, 3], ([a, b, c]) => flatIndex([b, c, a], shape)));
    expect(x.permute([1, -1, 0]).toArray()).toEqual(nd([3, 4, 2], ([a, b, c]) => flatIndex([c, a, b], shape)));
    expect(x.mT.toArray()).toEqual(nd([2, 4, 3], ([a, b, c]) => flatIndex([a, c, b], shape)));
  });

  it("transposes are views: a write through one shows in the base", () => {
    const x = iota([2, 3]);
    noGrad(() => x.t().select(0, 1).copy_(t([10, 40]))); // column 1 of x
    expect(x.toArray()).toEqual([[0, 10, 2], [3, 40, 5]]);
  });

  it("gradient: permute sends the gradient back through the inverse permutation", () => {
    const shape = [2, 3, 4];
    const x = iota(shape, true);
    const gShape = [4, 2, 3];
    const G = nd(gShape, (idx) => flatIndex(idx, gShape) * 0.5 - 3);
    x.permute(2, 0, 1).backward(t(G));
    // x.grad[b][c][a] = G[a][b][c]
    expect(x.grad).toBeAllclose(nd(shape, ([b, c, a]) => flatIndex([a, b, c], gShape) * 0.5 - 3) as Nested[], tight);
  });

  it("gradient: mT and t", () => {
    const x = iota([2, 3], true);
    x.mT.backward(t([[1, 2], [3, 4], [5, 6]]));
    expect(x.grad).toBeAllclose([[1, 3, 5], [2, 4, 6]], tight);
  });
});

describe("expand, expandAs", () => {
  it("forward: size-1 dims repeat; new leading dims; -1 keeps a size", () => {
    const c = t([[1], [2], [3]]);
    expect(c.expand(3, 4).toArray()).toEqual([[1, 1, 1, 1], [2, 2, 2, 2], [3, 3, 3, 3]]);
    const r = t([1, 2]);
    expect(r.expand(2, 3, -1).toArray()).toEqual([[[1, 2], [1, 2], [1, 2]], [[1, 2], [1, 2], [1, 2]]]);
    expect(c.expandAs(zeros([2, 3, 5])).shape).toEqual([2, 3, 5]);
    expect(c.expand(3, 4).strides).toEqual([1, 0]);
  });

  it("an expanded view reads the base's memory", () => {
    const c = t([[1], [2]]);
    const e = c.expand(2, 3);
    noGrad(() => c.mul_(10));
    expect(e.toArray()).toEqual([[10, 10, 10], [20, 20, 20]]);
  });

  it("gradient: expand sums the copies back", () => {
    const c = t([[1], [2]], true);
    c.expand(3, 2, 4).backward(t(nd([3, 2, 4], ([a, b, k]) => a + 10 * b + k) as Nested[]));
    // c.grad[b] = Σ_a Σ_k (a + 10b + k) = 4·(0+1+2) + 3·4·10b + 3·(0+1+2+3)
    expect(c.grad).toBeAllclose([[12 + 18], [12 + 120 + 18]], tight);
  });

  it("gradient: expandAs", () => {
    const r = t([1, 2, 3], true);
    r.expandAs(zeros([4, 3])).sum().backward();
    expect(r.grad).toBeAllclose([4, 4, 4], tight);
  });
});

describe("slice, narrow, select", () => {
  const x10 = () => iota([10]);

  it("forward: step and negative bounds like Python slicing", () => {
    expect(x10().slice(0, 1, 8, 3).toArray()).toEqual([1, 4, 7]);
    expect(x10().slice(0, -3).toArray()).toEqual([7, 8, 9]);
    expect(x10().slice(0, -5, -1, 2).toArray()).toEqual([5, 7]);
    expect(x10().slice(0, undefined, undefined, 4).toArray()).toEqual([0, 4, 8]);
    expect(x10().slice(0, 2, 100).toArray()).toEqual([2, 3, 4, 5, 6, 7, 8, 9]); // end clamps
    expect(x10().slice(0, 7, 3).shape).toEqual([0]); // empty
    expect(x10().slice(0, -100, 2).toArray()).toEqual([0, 1]); // start clamps
  });

  it("forward: slice along dim 1 of a matrix with a step", () => {
    const x = iota([3, 5]);
    expect(x.slice(1, 0, 5, 2).toArray()).toEqual([[0, 2, 4], [5, 7, 9], [10, 12, 14]]);
    expect(x.slice(-1, -2).toArray()).toEqual([[3, 4], [8, 9], [13, 14]]);
    expect(x.slice(0, 1, 3).slice(1, 1, 4, 2).toArray()).toEqual([[6, 8], [11, 13]]);
  });

  it("a slice is a view: a copy_ into it shows in the base", () => {
    const x = zeros([3, 4], f64);
    noGrad(() => x.slice(1, 1, 4, 2).copy_(t([[1, 2], [3, 4], [5, 6]])));
    expect(x.toArray()).toEqual([[0, 1, 0, 2], [0, 3, 0, 4], [0, 5, 0, 6]]);
    expect(x.version).toBe(1);
  });

  it("gradient: slice with a step puts the seed in place and zeros elsewhere", () => {
    const x = iota([10], true);
    x.slice(0, 1, 8, 3).backward(t([1, 2, 3]));
    expect(x.grad).toBeAllclose([0, 1, 0, 0, 2, 0, 0, 3, 0, 0], tight);
  });

  it("gradient: two overlapping slices accumulate", () => {
    const x = iota([5], true);
    x.slice(0, 0, 3).sum().add(x.slice(0, -3).mul(2).sum()).backward();
    expect(x.grad).toBeAllclose([1, 1, 3, 2, 2], tight);
  });

  it("narrow: start and length, negative start", () => {
    const x = iota([3, 4]);
    expect(x.narrow(1, 1, 2).toArray()).toEqual([[1, 2], [5, 6], [9, 10]]);
    expect(x.narrow(0, -1, 1).toArray()).toEqual([[8, 9, 10, 11]]);
    const g = iota([3, 4], true);
    g.narrow(0, 1, 2).sum().backward();
    expect(g.grad).toBeAllclose([[0, 0, 0, 0], [1, 1, 1, 1], [1, 1, 1, 1]], tight);
  });

  it("select: removes the dim; negative index; gradient", () => {
    const x = iota([3, 4], true);
    expect(x.select(0, 1).toArray()).toEqual([4, 5, 6, 7]);
    expect(x.select(1, -1).toArray()).toEqual([3, 7, 11]);
    x.select(1, -1).backward(t([1, 2, 3]));
    expect(x.grad).toBeAllclose([[0, 0, 0, 1], [0, 0, 0, 2], [0, 0, 0, 3]], tight);
  });
});

describe("split, chunk", () => {
  it("split by size (last piece smaller) and by a list of sizes", () => {
    const x = iota([5, 2]);
    expect(x.split(2).map((p) => p.shape[0])).toEqual([2, 2, 1]);
    expect(x.split(2)[2].toArray()).toEqual([[8, 9]]);
    const [a, b] = x.split([1, 4]);
    expect(a.toArray()).toEqual([[0, 1]]);
    expect(b.shape).toEqual([4, 2]);
    const cols = x.split(1, 1);
    expect(cols.length).toBe(2);
    expect(cols[1].toArray()).toEqual([[1], [3], [5], [7], [9]]);
  });

  it("chunk like PyTorch: ceil(n / chunks) per piece", () => {
    expect(iota([5]).chunk(3).map((p) => p.toArray())).toEqual([[0, 1], [2, 3], [4]]);
    expect(iota([6]).chunk(4).map((p) => p.toArray())).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(iota([2, 4]).chunk(2, -1).map((p) => p.toArray())).toEqual([[[0, 1], [4, 5]], [[2, 3], [6, 7]]]);
  });

  it("pieces are views of the base", () => {
    const x = zeros([4], f64);
    noGrad(() => x.chunk(2)[1].fill_(3));
    expect(x.toArray()).toEqual([0, 0, 3, 3]);
  });

  it("gradient: pieces used differently", () => {
    const x = iota([5], true);
    const [a, b, c] = x.split(2);
    a.sum().add(b.mul(3).sum()).add(c.mul(-1).sum()).backward();
    expect(x.grad).toBeAllclose([1, 1, 3, 3, -1], tight);
  });

  it("gradient: the pieces are outputs of one split node; unused pieces get zeros, a reused one both contributions", () => {
    const x = iota([2, 6], true);
    const [q, k, v] = x.split(2, 1);
    expect(q.gradFn).toBe(k.gradFn);
    expect(String(v.gradFn)).toBe("SplitBackward");
    // only q (twice) and v reach the loss: k's columns get zeros
    q.mul(2).add(q).sum().add(v.mul(v).sum()).backward();
    expect(x.grad).toBeAllclose([[3, 3, 0, 0, 8, 10], [3, 3, 0, 0, 20, 22]], tight);
  });

  it("second derivative through split: d²/dx² Σ (x·x) over a piece is 2 there, 0 elsewhere", () => {
    const x = iota([4], true);
    const [a] = x.split(2);
    const [g] = grad([a.mul(a).sum()], [x], { createGraph: true });
    expect(g).toBeAllclose([0, 2, 0, 0], tight);
    const [h] = grad([g.sum()], [x]);
    expect(h).toBeAllclose([2, 2, 0, 0], tight);
  });
});

describe("cat, stack", () => {
  it("cat along dim 0, dim 1, negative dim", () => {
    const a = t([[1, 2], [3, 4]]);
    const b = t([[5, 6]]);
    expect(cat([a, b]).toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    const c = t([[7], [8]]);
    expect(cat([a, c], 1).toArray()).toEqual([[1, 2, 7], [3, 4, 8]]);
    expect(cat([a, c], -1).toArray()).toEqual([[1, 2, 7], [3, 4, 8]]);
  });

  it("cat promotes mixed dtypes", () => {
    const i = i32([1, 2]);
    const f = tensor([0.5]);
    const y = cat([i, f]);
    expect(y.dtype).toBe("float32");
    expect(y.toArray()).toEqual([1, 2, 0.5]);
    expect(cat([tensor([1]), t([2])]).dtype).toBe("float64");
    expect(cat([tensor([true]), i32([3])]).dtype).toBe("int32");
    expect(cat([tensor([true]), i32([3])]).toArray()).toEqual([1, 3]);
  });

  it("gradient: cat gives each input its own stretch", () => {
    const a = t([[1, 2], [3, 4]], true);
    const c = t([[7], [8]], true);
    cat([a, c], 1).backward(t([[1, 2, 3], [4, 5, 6]]));
    expect(a.grad).toBeAllclose([[1, 2], [4, 5]], tight);
    expect(c.grad).toBeAllclose([[3], [6]], tight);
  });

  it("gradient: cat with a mixed-dtype input reaches the float input in its own dtype", () => {
    const f = tensor([0.5, 1.5], { requiresGrad: true });
    const y = cat([i32([1]), f, t([2])]); // float64
    expect(y.dtype).toBe("float64");
    y.backward(t([1, 2, 3, 4]));
    expect(f.grad!.dtype).toBe("float32");
    expect(f.grad).toBeAllclose([2, 3]);
  });

  it("stack along a new dim 0, 1 and -1", () => {
    const a = t([1, 2, 3]);
    const b = t([4, 5, 6]);
    expect(stack([a, b]).toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(stack([a, b], 1).toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(stack([a, b], -1).toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(stack([t(1), t(2)]).toArray()).toEqual([1, 2]);
  });

  it("gradient: stack", () => {
    const a = t([1, 2], true);
    const b = t([3, 4], true);
    stack([a, b], 1).backward(t([[1, 2], [3, 4]]));
    expect(a.grad).toBeAllclose([1, 3], tight);
    expect(b.grad).toBeAllclose([2, 4], tight);
  });
});

describe("indexSelect, gather, scatterAdd", () => {
  it("indexSelect rows and columns; gradient accumulates repeated picks", () => {
    const x = iota([3, 2], true);
    const rows = x.indexSelect(0, i32([2, 0, 2]));
    expect(rows.toArray()).toEqual([[4, 5], [0, 1], [4, 5]]);
    expect(x.indexSelect(1, i32([1])).toArray()).toEqual([[1], [3], [5]]);
    rows.backward(t([[1, 2], [3, 4], [5, 6]]));
    expect(x.grad).toBeAllclose([[3, 4], [0, 0], [6, 8]], tight);
  });

  it("gather along dim 1 and dim 0 against an index loop", () => {
    const X = [[1, 2, 3], [4, 5, 6]];
    const x = t(X);
    const idx = [[2, 0], [1, 1]];
    // out[i][j] = X[i][idx[i][j]]
    expect(x.gather(1, i32(idx)).toArray()).toEqual(idx.map((row, i) => row.map((k) => X[i][k])));
    const idx0 = [[1, 0, 1]];
    // out[i][j] = X[idx0[i][j]][j]
    expect(x.gather(0, i32(idx0)).toArray()).toEqual(idx0.map((row) => row.map((k, j) => X[k][j])));
    expect(x.gather(-1, i32(idx)).toArray()).toEqual([[3, 1], [5, 5]]);
  });

  it("gradient: gather scatters back, adding at repeated indices", () => {
    const x = t([[1, 2, 3], [4, 5, 6]], true);
    x.gather(1, i32([[2, 0], [1, 1]])).backward(t([[10, 20], [30, 40]]));
    expect(x.grad).toBeAllclose([[20, 0, 10], [0, 70, 0]], tight);
  });

  it("scatterAdd: adds src at the indexed positions; base is not modified", () => {
    const base = t([[1, 1, 1], [2, 2, 2]]);
    const src = t([[10, 20], [30, 40]]);
    const y = base.scatterAdd(1, i32([[0, 0], [2, 1]]), src);
    expect(y.toArray()).toEqual([[31, 1, 1], [2, 42, 32]]);
    expect(base.toArray()).toEqual([[1, 1, 1], [2, 2, 2]]);
  });

  it("gradient: scatterAdd passes g to base and gathers it for src", () => {
    const base = t([[1, 1, 1], [2, 2, 2]], true);
    const src = t([[10, 20], [30, 40]], true);
    const G = [[1, 2, 3], [4, 5, 6]];
    base.scatterAdd(1, i32([[0, 0], [2, 1]]), src).backward(t(G));
    expect(base.grad).toBeAllclose(G, tight);
    expect(src.grad).toBeAllclose([[1, 1], [6, 5]], tight); // G[i][idx[i][j]]
  });
});

/** Hand softmax of one lane. */
function softmaxRef(xs: number[]): number[] {
  const m = Math.max(...xs);
  const e = xs.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

describe("softmax, logSoftmax", () => {
  const X = [[1, 2, 3], [-1, 0, 4]];

  it("forward: values by the formula, rows sum to 1", () => {
    const y = t(X).softmax(1);
    expect(y).toBeAllclose(X.map(softmaxRef), tight);
    expect(y.sum(1)).toBeAllclose([1, 1], tight);
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const z = e[0] + e[1] + e[2];
    expect(t([1, 2, 3]).softmax(0)).toBeAllclose(e.map((v) => v / z), tight);
    expect(t(X).softmax(-1)).toBeAllclose(X.map(softmaxRef), tight);
  });

  it("forward: along dim 0 the columns sum to 1", () => {
    const y = t(X).softmax(0);
    expect(y.sum(0)).toBeAllclose([1, 1, 1], tight);
    const col0 = softmaxRef([1, -1]);
    expect(y.select(1, 0)).toBeAllclose(col0, tight);
  });

  it("forward: logSoftmax is x − log Σ eˣ", () => {
    const lse = (xs: number[]) => Math.log(xs.reduce((a, v) => a + Math.exp(v), 0));
    expect(t(X).logSoftmax(1)).toBeAllclose(X.map((row) => row.map((v) => v - lse(row))), tight);
  });

  it("stability: logits of 1e4 stay finite", () => {
    const x = t([[1e4, 1e4 - 1, 0], [-1e4, -1e4, -1e4]]);
    const y = x.softmax(1);
    const p = [1 / (1 + Math.exp(-1)), Math.exp(-1) / (1 + Math.exp(-1)), 0];
    expect(y).toBeAllclose([p, [1 / 3, 1 / 3, 1 / 3]], tight);
    const ls = x.logSoftmax(1);
    expect(ls).toBeAllclose([[-Math.log1p(Math.exp(-1)), -1 - Math.log1p(Math.exp(-1)), -1e4 - Math.log1p(Math.exp(-1))], [-Math.log(3), -Math.log(3), -Math.log(3)]], tight);
    const f32 = tensor([1e4, 0]).softmax(0);
    expect(f32).toBeAllclose([1, 0]);
  });

  it("gradient: softmax is y ⊙ (g − Σ g⊙y)", () => {
    const x = t(X, true);
    const G = [[1, -2, 0.5], [3, 0, -1]];
    x.softmax(1).backward(t(G));
    const expected = X.map((row, i) => {
      const y = softmaxRef(row);
      const dot = y.reduce((s, v, j) => s + v * G[i][j], 0);
      return y.map((v, j) => v * (G[i][j] - dot));
    });
    expect(x.grad).toBeAllclose(expected, tight);
  });

  it("gradient: logSoftmax is g − softmax · Σ g", () => {
    const x = t(X, true);
    const G = [[1, -2, 0.5], [3, 0, -1]];
    x.logSoftmax(1).backward(t(G));
    const expected = X.map((row, i) => {
      const y = softmaxRef(row);
      const sg = G[i].reduce((a, b) => a + b, 0);
      return y.map((v, j) => G[i][j] - v * sg);
    });
    expect(x.grad).toBeAllclose(expected, tight);
  });

  it("gradient: softmax with logits 1e4 stays finite", () => {
    const x = t([1e4, 1e4, 0], true);
    x.softmax(0).backward(t([1, 0, 0]));
    // y = [½, ½, 0]: dx = y ⊙ (g − ½) = [¼, −¼, 0]
    expect(x.grad).toBeAllclose([0.25, -0.25, 0], tight);
  });

  it("gradient: softmax along dim 0 of a transposed input", () => {
    const x = t(X, true);
    const G = [[1, 2], [0, -1], [0.5, 0.5]];
    x.t().softmax(1).backward(t(G)); // rows of xᵀ are columns of x
    const expected = [[0, 0, 0], [0, 0, 0]];
    for (let j = 0; j < 3; j++) {
      const y = softmaxRef([X[0][j], X[1][j]]);
      const dot = y[0] * G[j][0] + y[1] * G[j][1];
      for (let i = 0; i < 2; i++) expected[i][j] = y[i] * (G[j][i] - dot);
    }
    expect(x.grad).toBeAllclose(expected, tight);
  });
});

describe("contiguous, clone", () => {
  it("contiguous returns the tensor itself when already contiguous, else a row-major copy", () => {
    const x = iota([2, 3]);
    expect(x.contiguous()).toBe(x);
    const c = x.t().contiguous();
    expect(c.isContiguous()).toBe(true);
    expect(c.strides).toEqual([2, 1]);
    expect(c.toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    noGrad(() => c.fill_(0));
    expect(x.toArray()).toEqual([[0, 1, 2], [3, 4, 5]]);
  });

  it("clone has its own memory", () => {
    const x = iota([3]);
    const c = x.clone();
    noGrad(() => c.add_(100));
    expect(x.toArray()).toEqual([0, 1, 2]);
    expect(c.toArray()).toEqual([100, 101, 102]);
  });

  it("gradient: clone and contiguous pass the gradient through", () => {
    const x = iota([2, 2], true);
    x.clone().mul(t([[1, 2], [3, 4]])).sum().backward();
    expect(x.grad).toBeAllclose([[1, 2], [3, 4]], tight);
    const y = iota([2, 2], true);
    y.t().contiguous().mul(t([[1, 2], [3, 4]])).sum().backward();
    expect(y.grad).toBeAllclose([[1, 3], [2, 4]], tight);
  });
});

describe("views share memory and carry gradients", () => {
  it("a copy_ into a chain of views (inside noGrad) shows up in the base", () => {
    const base = zeros([2, 3, 4], f64);
    noGrad(() => base.permute(2, 0, 1).select(0, 3).narrow(1, 1, 2).copy_(t([[1, 2], [3, 4]])));
    // permute(2,0,1)[3][i][j] = base[i][j][3]; narrow picks j = 1, 2
    const expected = nd([2, 3, 4], ([i, j, k]) => (k === 3 && j >= 1 ? [[1, 2], [3, 4]][i][j - 1] : 0));
    expect(base.toArray()).toEqual(expected);
  });

  it("a copy_ into a view of a leaf that requires grad is allowed inside noGrad", () => {
    const w = t([[1, 2], [3, 4]], true);
    noGrad(() => w.select(0, 0).copy_(t([7, 8])));
    expect(w.toArray()).toEqual([[7, 8], [3, 4]]);
    expect(w.requiresGrad).toBe(true);
  });

  it("gradient: through a chain of views back to the leaf", () => {
    const x = iota([2, 3, 4], true);
    // y[a][b] = x[b][1][2a] for a in 0..1 (step-2 slice of the last dim), b in 0..1
    const y = x.select(1, 1).slice(-1, 0, 4, 2).t();
    expect(y.toArray()).toEqual([[4, 16], [6, 18]]);
    y.backward(t([[1, 2], [3, 4]]));
    const expected = nd([2, 3, 4], ([i, j, k]) => (j === 1 && k % 2 === 0 ? [[1, 2], [3, 4]][k / 2][i] : 0));
    expect(x.grad).toBeAllclose(expected as Nested[], tight);
  });

  it("gradient: the same leaf through two views accumulates", () => {
    const x = iota([2, 2], true);
    x.t().mul(t([[1, 2], [3, 4]])).sum().add(x.reshape(-1).mul(t([10, 20, 30, 40])).sum()).backward();
    expect(x.grad).toBeAllclose([[11, 23], [32, 44]], tight);
  });
});
