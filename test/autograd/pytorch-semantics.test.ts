/**
 * Corner cases where tensorgrad must give PyTorch's answer: 0-d tensors in reductions and
 * indexing, gradients at ties, NaN, ±inf and zero variance, identity "views", empty tensors,
 * printing, and structurally zero gradients. Every expected value below is a literal printed by
 * PyTorch 1.13 (/usr/bin/python3, torch 1.13) for the same call, in float64 unless said otherwise.
 */

import { describe, expect, it } from "vitest";
import {
  IndexError, ShapeError, Tensor, defineFunction, grad, hessian, jacobian, reluBackward, tensor, zeros,
  type DType, type NestedArray,
} from "@tensorgrad/autograd";

const f64 = { dtype: "float64" } as const;
const i32 = { dtype: "int32" } as const;
const tight = { rtol: 1e-12, atol: 1e-12 };
const withNan = { ...tight, equalNan: true };
const nan = NaN;
const inf = Infinity;

/** A float64 leaf that requires grad. */
const leaf = (data: NestedArray): Tensor => tensor(data, { ...f64, requiresGrad: true });

/** The .grad of each input after `f(...inputs).backward()`. */
function gradsOf(f: (...xs: Tensor[]) => Tensor, ...data: NestedArray[]): (Tensor | null)[] {
  const xs = data.map(leaf);
  f(...xs).backward();
  return xs.map((x) => x.grad);
}

describe("0-d tensors in reductions and indexing (dim 0 / -1, keepdim) as PyTorch", () => {
  const s = () => tensor(0.5, f64);
  const idx = () => tensor(0, i32);
  // [call, value, shape] from PyTorch 1.13 on torch.tensor(0.5, dtype=torch.float64)
  const cases: [string, () => Tensor, number, number[]][] = [
    ["gather(0, 0-d index)", () => s().gather(0, idx()), 0.5, []],
    ["gather(-1, 0-d index)", () => s().gather(-1, idx()), 0.5, []],
    ["gather(0, index [0, 0])", () => s().gather(0, tensor([0, 0], i32)), 0.5, [2]],
    ["[1,2,3].gather(0, 0-d index 1)", () => tensor([1, 2, 3], f64).gather(0, tensor(1, i32)), 2, []],
    ["scatterAdd(0, 0-d index, 2)", () => s().scatterAdd(0, idx(), tensor(2, f64)), 2.5, []],
    ["scatterAdd(0, [0, 0], [2, 3])", () => s().scatterAdd(0, tensor([0, 0], i32), tensor([2, 3], f64)), 5.5, []],
    ["indexSelect(0, 0-d index)", () => s().indexSelect(0, idx()), 0.5, []],
    ["indexSelect(0, [0])", () => s().indexSelect(0, tensor([0], i32)), 0.5, []],
    ["argmax(0, keepdim)", () => s().argmax(0, true), 0, []],
    ["argmax(-1)", () => s().argmax(-1), 0, []],
    ["argmin(0, keepdim)", () => s().argmin(0, true), 0, []],
    ["argmax(undefined, keepdim)", () => s().argmax(undefined, true), 0, []],
    ["sum(0, keepdim)", () => s().sum(0, true), 0.5, []],
    ["sum(-1)", () => s().sum(-1), 0.5, []],
    ["mean(0, keepdim)", () => s().mean(0, true), 0.5, []],
    ["amax(0, keepdim)", () => s().amax(0, true), 0.5, []],
    ["amin(-1, keepdim)", () => s().amin(-1, true), 0.5, []],
    ["max(0).values", () => s().max(0).values, 0.5, []],
    ["max(0, keepdim).indices", () => s().max(0, true).indices, 0, []],
    ["min(-1, keepdim).values", () => s().min(-1, true).values, 0.5, []],
    ["softmax(0)", () => s().softmax(0), 1, []],
    ["logSoftmax(-1)", () => s().logSoftmax(-1), 0, []],
    ["logsumexp(0, keepdim)", () => s().logsumexp(0, true), 0.5, []],
  ];
  it.each(cases)("%s", (_, f, value, shape) => {
    const y = f();
    expect(y.shape).toEqual(shape);
    expect(y).toBeAllclose(value, tight);
  });

  it("var/std of one element are NaN (n − 1 = 0), with any dim spelling", () => {
    expect(tensor(0.5, f64).var(0, { keepdim: true }).shape).toEqual([]);
    expect(tensor(0.5, f64).var().item()).toBeNaN();
    expect(tensor(0.5, f64).std(-1).item()).toBeNaN();
  });

  it("gradients flow through 0-d gather, scatterAdd and indexSelect", () => {
    // PyTorch: x.gather(0, tensor(0)).backward() → x.grad = 1
    expect(gradsOf((x) => x.gather(0, tensor(0, i32)), 0.5)[0]).toBeAllclose(1, tight);
    // PyTorch: (x.scatter_add(0, tensor(0), y) * 3).backward() → x.grad = 3, y.grad = 3
    const [gx, gy] = gradsOf((x, y) => x.scatterAdd(0, tensor(0, i32), y).mul(3), 0.5, 2);
    expect(gx).toBeAllclose(3, tight);
    expect(gy).toBeAllclose(3, tight);
    expect(gradsOf((x) => x.indexSelect(0, tensor([0], i32)), 0.5)[0]).toBeAllclose(1, tight);
  });

  it("an out-of-range index on a 0-d tensor is an IndexError (PyTorch: index 1 is out of bounds)", () => {
    expect(() => tensor(0.5).gather(0, tensor(1, i32))).toThrow(IndexError);
    expect(() => tensor(0.5).indexSelect(0, tensor([0, 0], i32))).toThrow(IndexError);
  });

  it("select, narrow, slice, split and chunk refuse a 0-d tensor, as PyTorch does", () => {
    const s0 = tensor(0.5);
    expect(() => s0.select(0, 0)).toThrow(/select: cannot be applied to a 0-d tensor/);
    expect(() => s0.narrow(0, 0, 1)).toThrow(/narrow: cannot be applied to a 0-d tensor/);
    expect(() => s0.slice(0, 0, 1)).toThrow(/slice: cannot be applied to a 0-d tensor/);
    expect(() => s0.split(1)).toThrow(/split: cannot be applied to a 0-d tensor/);
    expect(() => s0.chunk(1)).toThrow(/chunk: cannot be applied to a 0-d tensor/);
    expect(() => s0.select(0, 0)).toThrow(IndexError);
  });
});

describe("gradients at ties, NaN, ±inf and zero variance as PyTorch", () => {
  it("std of equal elements has gradient 0, not NaN", () => {
    expect(gradsOf((x) => x.std(), [2, 2, 2])[0]).toBeAllclose([0, 0, 0], tight);
    expect(gradsOf((x) => x.std(undefined, { correction: 0 }), [2, 2, 2])[0]).toBeAllclose([0, 0, 0], tight);
    // PyTorch: x.std(0).sum() with x = [[2, 1], [2, 3]]
    expect(gradsOf((x) => x.std(0).sum(), [[2, 1], [2, 3]])[0]).toBeAllclose(
      [[0, -0.7071067811865476], [0, 0.7071067811865476]],
      tight,
    );
    // one element with Bessel's correction: std is NaN and so is its gradient
    expect(gradsOf((x) => x.std(), 2)[0]!.item()).toBeNaN();
  });

  it("second derivatives of var and std (PyTorch's functional hessian)", () => {
    const h = (f: (x: Tensor) => Tensor, x: number[]) => hessian(f, tensor(x, f64));
    expect(h((x) => x.var(), [1, 2, 4])).toBeAllclose(
      [[2 / 3, -1 / 3, -1 / 3], [-1 / 3, 2 / 3, -1 / 3], [-1 / 3, -1 / 3, 2 / 3]],
      tight,
    );
    expect(h((x) => x.std(), [1, 2, 4])).toBeAllclose(
      [
        [0.093521952958, -0.140282929437, 0.046760976479],
        [-0.140282929437, 0.210424394156, -0.070141464719],
        [0.046760976479, -0.070141464719, 0.02338048824],
      ],
      { rtol: 1e-10, atol: 1e-11 },
    );
    expect(h((x) => x.std(), [2, 2, 2])).toBeAllclose(zeros([3, 3]), tight);
  });

  it("var with an infinite element: ∓inf beside it and NaN at it, as PyTorch", () => {
    expect(gradsOf((x) => x.var(), [1, inf, 2])[0]).toBeAllclose([-inf, nan, -inf], withNan);
    expect(gradsOf((x) => x.var(), [1, -inf, 2])[0]).toBeAllclose([inf, nan, inf], withNan);
    expect(gradsOf((x) => x.var(undefined, { correction: 0 }), [1, inf, 2])[0]).toBeAllclose([-inf, nan, -inf], withNan);
    expect(gradsOf((x) => x.var(1).sum(), [[1, inf, 2], [1, 2, 4]])[0]).toBeAllclose(
      [[-inf, nan, -inf], [-4 / 3, -1 / 3, 5 / 3]],
      withNan,
    );
    expect(gradsOf((x) => x.var(1, { correction: 0 }).sum(), [[1, 5], [2, -3]])[0]).toBeAllclose([[-2, 2], [2.5, -2.5]], tight);
    expect(gradsOf((x) => x.std(), [1, inf, 2])[0]).toBeAllclose([nan, nan, nan], withNan);
    expect(gradsOf((x) => x.var(), [1, nan, 2])[0]).toBeAllclose([nan, nan, nan], withNan);
  });

  it("maximum/minimum: a NaN in either operand sends the gradient to both; ties split it", () => {
    // PyTorch: a = [nan, 1, 2], b = [1, nan, 2] → a.grad = b.grad = [1, 1, 0.5]
    for (const op of ["maximum", "minimum"] as const) {
      const [ga, gb] = gradsOf((a, b) => a[op](b).sum(), [nan, 1, 2], [1, nan, 2]);
      expect(ga).toBeAllclose([1, 1, 0.5], tight);
      expect(gb).toBeAllclose([1, 1, 0.5], tight);
      const [ga2, gb2] = gradsOf((a, b) => a[op](b).sum(), [nan], [nan]);
      expect(ga2).toBeAllclose([1], tight);
      expect(gb2).toBeAllclose([1], tight);
    }
    const [ga, gb] = gradsOf((a, b) => a.maximum(b).sum(), [inf, -inf, inf], [inf, -inf, 1]);
    expect(ga).toBeAllclose([0.5, 0.5, 1], tight);
    expect(gb).toBeAllclose([0.5, 0.5, 0], tight);
  });

  it("max()/min() of all elements: the NaN takes the gradient (shared among NaNs); ties share it", () => {
    expect(gradsOf((x) => x.max(), [1, nan, 3])[0]).toBeAllclose([0, 1, 0], tight);
    expect(gradsOf((x) => x.min(), [1, nan, 3])[0]).toBeAllclose([0, 1, 0], tight);
    expect(gradsOf((x) => x.max(), [nan, 1, nan, 3])[0]).toBeAllclose([0.5, 0, 0.5, 0], tight);
    expect(gradsOf((x) => x.max(), [3, 1, 3])[0]).toBeAllclose([0.5, 0, 0.5], tight);
    expect(gradsOf((x) => x.max(), [inf, 1, inf])[0]).toBeAllclose([0.5, 0, 0.5], tight);
    expect(gradsOf((x) => x.max(), [-inf, -inf])[0]).toBeAllclose([0.5, 0.5], tight);
    expect(tensor([1, nan, 3]).max().item()).toBeNaN();
  });

  it("max(dim)/min(dim): the gradient goes to the first NaN, or the first of tied maxima", () => {
    const x = tensor([[1, nan, 3], [nan, 1, nan]]);
    expect(x.max(1).indices.toArray()).toEqual([1, 0]);
    expect(gradsOf((t) => t.max(1).values.sum(), [[1, nan, 3], [nan, 1, nan]])[0]).toBeAllclose([[0, 1, 0], [1, 0, 0]], tight);
    expect(gradsOf((t) => t.min(1).values.sum(), [[1, nan, 3], [nan, 1, nan]])[0]).toBeAllclose([[0, 1, 0], [1, 0, 0]], tight);
    expect(gradsOf((t) => t.max(1).values.sum(), [[3, 1, 3]])[0]).toBeAllclose([[1, 0, 0]], tight);
  });

  it("amax/amin: ties share the gradient; a NaN makes the whole lane's gradient NaN (as PyTorch 1.13's amax)", () => {
    expect(gradsOf((x) => x.amax(), [3, 1, 3])[0]).toBeAllclose([0.5, 0, 0.5], tight);
    expect(gradsOf((x) => x.amin(), [1, 3, 1])[0]).toBeAllclose([0.5, 0, 0.5], tight);
    expect(gradsOf((x) => x.amax(), [1, nan, 3])[0]).toBeAllclose([nan, nan, nan], withNan);
    expect(gradsOf((x) => x.amin(), [1, nan, 3])[0]).toBeAllclose([nan, nan, nan], withNan);
    expect(gradsOf((x) => x.amax(1).sum(), [[1, nan, 3], [3, 1, 3]])[0]).toBeAllclose([[nan, nan, nan], [0.5, 0, 0.5]], withNan);
  });

  it("clamp passes the gradient where min ≤ x ≤ max only: not at NaN, nowhere when min > max", () => {
    expect(gradsOf((x) => x.clamp(1, 2).sum(), [0, 1, 2, 3])[0]).toBeAllclose([0, 1, 1, 0], tight);
    expect(gradsOf((x) => x.clamp(1, 1).sum(), [0, 1, 2, 3])[0]).toBeAllclose([0, 1, 0, 0], tight);
    expect(gradsOf((x) => x.clamp(2, 1).sum(), [0, 1.5, 3])[0]).toBeAllclose([0, 0, 0], tight);
    expect(gradsOf((x) => x.clamp(0, 2).sum(), [nan, 1])[0]).toBeAllclose([0, 1], tight);
    expect(gradsOf((x) => x.clamp(undefined, 2).sum(), [nan, 1, 3])[0]).toBeAllclose([0, 1, 0], tight);
    expect(gradsOf((x) => x.clamp(0).sum(), [nan, -1, 3])[0]).toBeAllclose([0, 0, 1], tight);
  });
});

describe("identity views are new tensors with their own node, as in PyTorch", () => {
  // Each returns a tensor of the same shape that PyTorch also returns as a new view (x[0:],
  // x.reshape(x.shape), x.expand(x.shape), x.permute(0, 1), x.transpose(1, 1), ...).
  const views: [string, (x: Tensor) => Tensor][] = [
    ["slice(0)", (x) => x.slice(0)],
    ["slice(1, 0)", (x) => x.slice(1, 0)],
    ["narrow(0, 0, full)", (x) => x.narrow(0, 0, x.shape[0])],
    ["reshape(same)", (x) => x.reshape([...x.shape])],
    ["reshape(2, -1)", (x) => x.reshape(2, -1)],
    ["view(same)", (x) => x.view([...x.shape])],
    ["expand(same)", (x) => x.expand([...x.shape])],
    ["expand(-1, -1)", (x) => x.expand(-1, -1)],
    ["expandAs(itself)", (x) => x.expandAs(x)],
    ["permute(0, 1)", (x) => x.permute(0, 1)],
    ["transpose(0, 0)", (x) => x.transpose(0, 0)],
    ["transpose(1, -1)", (x) => x.transpose(1, -1)],
    ["squeeze() with no size-1 dim", (x) => x.squeeze()],
    ["squeeze(0) of a size-2 dim", (x) => x.squeeze(0)],
    ["split into one piece", (x) => x.split(2, 0)[0]],
    ["chunk(1)", (x) => x.chunk(1, 0)[0]],
  ];

  it.each(views)("%s: a hook on the view doubles only the view's share (PyTorch: a.grad = 3)", (_, f) => {
    const a = leaf([[1, 2, 3], [4, 5, 6]]);
    const b = f(a);
    expect(b).not.toBe(a);
    expect(b.gradFn).not.toBeNull();
    b.registerHook((g) => g.mul(2));
    a.add(b.reshape(a.shape)).sum().backward();
    expect(a.grad).toBeAllclose(tensor([[3, 3, 3], [3, 3, 3]], f64), tight);
  });

  it.each(views)("%s: retainGrad on the view of a non-leaf keeps only the view's gradient", (_, f) => {
    const a = leaf([[1, 2, 3], [4, 5, 6]]);
    const x = a.mul(1);
    const b = f(x).retainGrad();
    x.add(b.reshape(x.shape).mul(2)).sum().backward();
    expect(x.grad).toBeNull(); // x did not ask to keep its gradient
    expect(b.grad).toBeAllclose(2, tight);
    expect(a.grad).toBeAllclose(3, tight);
  });

  it("the documented example: b = a.slice(0); hook doubling b; a.add(b).sum().backward() → a.grad 3", () => {
    const a = leaf([1]);
    const b = a.slice(0);
    b.registerHook((g) => g.mul(2));
    a.add(b).sum().backward();
    expect(a.grad).toBeAllclose([3], tight);
  });

  it("t() of a 1-d or 0-d tensor is a new view: a hook on it doubles only its share", () => {
    for (const data of [[1, 2, 3], 2]) {
      const v = leaf(data);
      const b = v.t();
      expect(b).not.toBe(v);
      b.registerHook((g) => g.mul(2));
      v.add(b).sum().backward();
      expect(v.grad).toBeAllclose(3, tight);
    }
  });

  it("0-d views: t(), transpose(0, 0), reshape([]), expand([]), squeeze() are new tensors", () => {
    const s = leaf(2);
    for (const v of [s.t(), s.transpose(0, 0), s.reshape([]), s.expand([]), s.squeeze(), s.permute([])]) {
      expect(v).not.toBe(s);
      expect(v.shape).toEqual([]);
    }
  });

  it("without grad, same-shape views are still new tensors sharing the memory", () => {
    const x = tensor([1, 2, 3]);
    for (const v of [x.slice(0), x.view(3), x.reshape(-1), x.expand(3), x.permute(0)]) {
      expect(v).not.toBe(x);
      expect(v.buffer).toBe(x.buffer);
    }
  });

  it("as in PyTorch, contiguous() of a contiguous tensor, to(its dtype) and flatten of one dim return the tensor itself", () => {
    const a = leaf([[1, 2], [3, 4]]);
    expect(a.contiguous()).toBe(a);
    expect(a.to("float64")).toBe(a);
    expect(a.flatten(1)).toBe(a); // PyTorch: start_dim == end_dim returns self
    expect(a.flatten(0, 0)).toBe(a);
    const v = leaf([1, 2]);
    expect(v.flatten()).toBe(v);
    expect(a.flatten()).not.toBe(a);
    expect(a.t().contiguous()).not.toBe(a.t());
  });
});

describe("valid calls on empty tensors and odd bounds, as PyTorch", () => {
  it("flatten and reshape with -1 on 0-size tensors", () => {
    const z = zeros([0, 2, 3]);
    expect(z.flatten(1).shape).toEqual([0, 6]);
    expect(z.flatten().shape).toEqual([0]);
    expect(z.flatten(0, 1).shape).toEqual([0, 3]);
    expect(z.reshape(-1, 6).shape).toEqual([0, 6]);
    expect(z.reshape(3, -1).shape).toEqual([3, 0]);
    expect(zeros([2, 0, 3]).view(2, -1).shape).toEqual([2, 0]);
    expect(zeros([2, 0, 3]).view(-1, 2).shape).toEqual([0, 2]);
    // PyTorch too: "the unspecified dimension size -1 can be any value and is ambiguous"
    expect(() => z.reshape(0, -1)).toThrow(ShapeError);
    expect(() => z.reshape(0, -1)).toThrow("reshape: cannot infer the -1 in [0,-1] for a tensor of 0 elements (from [0,2,3]): any size would fit");
    expect(() => z.view(-1, 0)).toThrow(/^view: cannot infer the -1 in \[-1,0\]/);
    expect(() => zeros([2, 3]).reshape(0, -1)).toThrow("reshape: shape [0,-1] is invalid for input of size 6 (from [2,3])");
  });

  it("all() of nothing is true, any() of nothing false", () => {
    expect(zeros([0]).all().toArray()).toBe(true);
    expect(zeros([0]).any().toArray()).toBe(false);
    expect(zeros([2, 0]).all().dtype).toBe("bool");
    expect(tensor([1, nan]).all().toArray()).toBe(true);
    expect(tensor([0, nan]).any().toArray()).toBe(true);
    expect(tensor([0, 0]).any().toArray()).toBe(false);
  });

  it("reductions over an empty dim: sum 0, mean/var/std NaN, logsumexp −inf, amax/max/argmax errors", () => {
    const z = zeros([3, 0], f64);
    expect(z.sum(1)).toBeAllclose([0, 0, 0], tight);
    expect(z.sum().item()).toBe(0);
    expect(z.mean(1)).toBeAllclose([nan, nan, nan], withNan);
    expect(z.mean().item()).toBeNaN();
    expect(z.mean(0).shape).toEqual([0]);
    expect(z.var(1)).toBeAllclose([nan, nan, nan], withNan);
    expect(z.std(1)).toBeAllclose([nan, nan, nan], withNan);
    expect(z.logsumexp(1)).toBeAllclose([-inf, -inf, -inf], tight);
    expect(z.logsumexp(1).shape).toEqual([3]);
    expect(z.logsumexp([0, 1]).item()).toBe(-inf);
    expect(z.logsumexp(1, true).shape).toEqual([3, 1]);
    expect(z.logsumexp(0).shape).toEqual([0]);
    expect(z.amax(0).shape).toEqual([0]);
    expect(z.max(0).values.shape).toEqual([0]);
    expect(z.argmax(0).shape).toEqual([0]);
    expect(z.softmax(1).shape).toEqual([3, 0]);
    for (const f of [() => z.amax(1), () => z.amax(), () => z.max(), () => z.max(1), () => z.argmax(), () => z.argmax(1)]) {
      expect(f).toThrow(IndexError);
    }
  });

  it("logsumexp over an empty dim has a gradient (of shape [3, 0])", () => {
    const z = tensor([[], [], []], { ...f64, requiresGrad: true });
    z.logsumexp(1).sum().backward();
    expect(z.grad!.shape).toEqual([3, 0]);
  });

  it("clamp(min > max) gives max everywhere; NaN stays NaN", () => {
    expect(tensor([0, 1.5, 3]).clamp(2, 1)).toBeAllclose([1, 1, 1], tight);
    expect(tensor([nan, 1.5, 3]).clamp(2, 1)).toBeAllclose([nan, 1, 1], withNan);
    expect(tensor([nan, 1.5, 3]).clamp(1, 2)).toBeAllclose([nan, 1.5, 2], withNan);
  });

  it("hessian and jacobian of a function that ignores its input are zeros", () => {
    expect(hessian(() => tensor(3, f64), tensor([1, 1], f64))).toBeAllclose(zeros([2, 2]), tight);
    expect(hessian(() => tensor(3, f64), tensor([1, 1], f64)).shape).toEqual([2, 2]);
    expect(hessian((x) => x.sum(), tensor([1, 1], f64))).toBeAllclose(zeros([2, 2]), tight);
    expect(jacobian(() => tensor([1, 1, 1], f64), tensor([1, 1], f64)).shape).toEqual([3, 2]);
    expect(jacobian((x) => x.detach().mul(2), tensor([1, 1], f64))).toBeAllclose(zeros([2, 2]), tight);
  });
});

describe("toString matches PyTorch's repr for empty tensors and −0", () => {
  // repr(...) from PyTorch 1.13; tensorgrad names dtypes without the "torch." prefix.
  const cases: [string, () => Tensor, string][] = [
    ["zeros(0)", () => zeros([0]), "tensor([])"],
    ["zeros(2, 0)", () => zeros([2, 0]), "tensor([], size=(2, 0))"],
    ["zeros(0, 3)", () => zeros([0, 3]), "tensor([], size=(0, 3))"],
    ["zeros(2, 0, 3)", () => zeros([2, 0, 3]), "tensor([], size=(2, 0, 3))"],
    ["zeros(0) float64", () => zeros([0], f64), "tensor([], dtype=torch.float64)"],
    ["zeros(2, 0) float64", () => zeros([2, 0], f64), "tensor([], size=(2, 0), dtype=torch.float64)"],
    ["zeros(0) int32", () => zeros([0], i32), "tensor([], dtype=torch.int32)"],
    ["zeros(2, 0) int32", () => zeros([2, 0], i32), "tensor([], size=(2, 0), dtype=torch.int32)"],
    ["zeros(0) bool", () => zeros([0], { dtype: "bool" }), "tensor([], dtype=torch.bool)"],
    ["zeros(2, 0) bool", () => zeros([2, 0], { dtype: "bool" }), "tensor([], size=(2, 0), dtype=torch.bool)"],
    ["zeros(2, 0) requiresGrad", () => zeros([2, 0], { requiresGrad: true }), "tensor([], size=(2, 0), requires_grad=True)"],
    ["zeros(0) float64 requiresGrad", () => zeros([0], { ...f64, requiresGrad: true }), "tensor([], dtype=torch.float64, requires_grad=True)"],
    ["-0", () => tensor(-0), "tensor(-0.)"],
    ["-0 float64", () => tensor(-0, f64), "tensor(-0., dtype=torch.float64)"],
    ["[-0, 1]", () => tensor([-0, 1]), "tensor([-0., 1.])"],
    ["[-0, 0]", () => tensor([-0, 0]), "tensor([-0., 0.])"],
    ["[0, -0]", () => tensor([0, -0]), "tensor([0., -0.])"],
    ["[-0, 1.5]", () => tensor([-0, 1.5]), "tensor([-0.0000, 1.5000])"],
    ["[-0.5, -0]", () => tensor([-0.5, -0]), "tensor([-0.5000, -0.0000])"],
    ["[-0, 1e-5]", () => tensor([-0, 1e-5]), "tensor([-0.0000e+00, 1.0000e-05])"],
    ["[1e-5, -0]", () => tensor([1e-5, -0]), "tensor([1.0000e-05, -0.0000e+00])"],
    ["[-0, 1e10]", () => tensor([-0, 1e10]), "tensor([-0.0000e+00, 1.0000e+10])"],
    ["[-0, nan]", () => tensor([-0, nan]), "tensor([-0., nan])"],
    ["[[-0, 2], [3, -4]]", () => tensor([[-0, 2], [3, -4]]), "tensor([[-0.,  2.],\n        [ 3., -4.]])"],
    // The width comes from the nonzero finite values only (PyTorch's _Formatter).
    ["[nan, 1]", () => tensor([nan, 1]), "tensor([nan, 1.])"],
    ["[1.5, nan, -inf]", () => tensor([1.5, nan, -inf]), "tensor([1.5000,    nan,   -inf])"],
    ["[1, 2000]", () => tensor([1, 2000]), "tensor([1.0000e+00, 2.0000e+03])"],
    ["[0, 100]", () => tensor([0, 100]), "tensor([  0., 100.])"],
  ];
  it.each(cases)("%s", (_, make, repr) => {
    expect(make().toString()).toBe(repr.replace("torch.", ""));
  });
});

describe("structurally zero gradients accumulate zeros, as PyTorch's built-in ops do", () => {
  it("the y of reluBackward(g, y) gets a zero gradient (PyTorch: threshold_backward's self grad is zeros)", () => {
    const g = leaf([1, 1]);
    const y = leaf([1, -1]);
    reluBackward(g, y).sum().backward();
    expect(g.grad).toBeAllclose([1, 0], tight);
    expect(y.grad).not.toBeNull();
    expect(y.grad).toBeAllclose([0, 0], tight);
  });

  it("relu's second derivative: x.grad is zeros, and grad() answers zeros rather than 'unused'", () => {
    const x = leaf([1, -1]);
    const [g] = grad(x.relu().sum(), x, { createGraph: true });
    expect(grad(g.sum(), x, { retainGraph: true })[0]).toBeAllclose([0, 0], tight);
    g.sum().backward();
    expect(x.grad).toBeAllclose([0, 0], tight);
  });

  it.each(["sign", "floor", "ceil", "round"] as const)("%s: x.grad is zeros", (op) => {
    const x = leaf([1.5, -1]);
    x[op]().sum().backward();
    expect(x.grad).toBeAllclose([0, 0], tight);
  });

  it.each(["float32", "float64"] as DType[])("zero gradients have the input's dtype and shape (%s)", (dtype) => {
    const g = tensor([[1, 2]], { dtype, requiresGrad: true });
    const y = tensor([3], { dtype, requiresGrad: true });
    reluBackward(g, y).sum().backward();
    expect(y.grad!.dtype).toBe(dtype);
    expect(y.grad!.shape).toEqual([1]);
  });

  it("a custom function returning null keeps PyTorch's meaning: no gradient, .grad stays null", () => {
    const f = defineFunction({
      forward: (_ctx, a: Tensor, _b: Tensor) => a.mul(2),
      backward: (_ctx, g) => [g.mul(2), null],
    });
    const a = leaf([1, 1]);
    const b = leaf([1, 1]);
    f(a, b).sum().backward();
    expect(a.grad).toBeAllclose([2, 2], tight);
    expect(b.grad).toBeNull();
  });
});
