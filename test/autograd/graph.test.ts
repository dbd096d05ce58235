/**
 * Graph semantics of the autograd engine: fan-in and reuse, accumulation, grad mode, detach,
 * retained graphs, seeds, retainGrad and hooks, ownership of `.grad`, leaf/gradFn bookkeeping,
 * in-place modification of saved tensors, and very deep graphs. Expected values are worked by hand.
 */

import { describe, expect, it } from "vitest";
import {
  DTypeError, GradError, ShapeError, Tensor, cat, enableGrad, grad, isGradEnabled, noGrad, tensor, where,
} from "@tensorgrad/autograd";

const f64 = { dtype: "float64" } as const;
const leaf = (data: number | number[] | number[][]): Tensor => tensor(data, { ...f64, requiresGrad: true });

describe("fan-in: a tensor used twice receives both contributions", () => {
  it("y = x·x + x: dy/dx = 2x + 1", () => {
    const x = leaf([1, -2, 0.5]);
    x.mul(x).add(x).sum().backward();
    expect(x.grad).toBeAllclose([3, -3, 2], { rtol: 0, atol: 0 });
  });

  it("z = exp(x) feeding two branches: d(z² + 3z)/dx = (2z + 3)·z", () => {
    const x = leaf([0, 1, -1]);
    const z = x.exp();
    z.square().add(z.mul(3)).sum().backward();
    const e = [1, Math.E, Math.exp(-1)];
    expect(x.grad).toBeAllclose(e.map((v) => (2 * v + 3) * v), { rtol: 1e-12 });
  });

  it("a diamond x → (a = 2x, b = x³) → a·b: d(2x⁴)/dx = 8x³", () => {
    const x = leaf([1.5, -1]);
    const a = x.mul(2);
    const b = x.pow(3);
    a.mul(b).sum().backward();
    expect(x.grad).toBeAllclose([8 * 1.5 ** 3, -8], { rtol: 1e-12 });
  });

  it("the same tensor in both operands of matmul: d tr(XX)/dX = 2Xᵀ", () => {
    const X = leaf([[1, 2], [3, 4]]);
    // tr(XX) = Σ_ij X_ij X_ji
    X.matmul(X).mul(tensor([[1, 0], [0, 1]], f64)).sum().backward();
    expect(X.grad).toBeAllclose([[2, 6], [4, 8]], { rtol: 0, atol: 0 });
  });
});

describe("nodes with three inputs", () => {
  it("where(cond, a, b) sends each gradient to its input, also when a saved input was modified in place earlier", () => {
    // cond (version 1 when saved) makes the node keep saved versions beside its third edge.
    const cond = tensor([1, 0]).gt(0);
    noGrad(() => cond.copy_(tensor([0, 1]).gt(0)));
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    where(cond, a, b).mul(tensor([10, 100])).sum().backward();
    expect(a.grad).toBeAllclose([0, 100]);
    expect(b.grad).toBeAllclose([10, 0]);
  });
});

describe("accumulation across backward calls", () => {
  it("two backward calls add their gradients into .grad", () => {
    const x = leaf([1, 2]);
    x.mul(3).sum().backward();
    expect(x.grad).toBeAllclose([3, 3], { rtol: 0, atol: 0 });
    x.square().sum().backward();
    expect(x.grad).toBeAllclose([3 + 2, 3 + 4], { rtol: 0, atol: 0 });
  });

  it("the second backward adds into the same .grad tensor, in place (PyTorch's AccumulateGrad)", () => {
    const x = leaf([1, 2]);
    x.mul(3).sum().backward();
    const first = x.grad as Tensor;
    x.square().sum().backward();
    expect(x.grad).toBe(first);
    expect(first).toBeAllclose([3 + 2, 3 + 4], { rtol: 0, atol: 0 });
    // with createGraph the sum is a new, differentiable tensor
    x.mul(x).sum().backward(undefined, { createGraph: true });
    expect(x.grad).not.toBe(first);
    expect(x.grad).toBeAllclose([5 + 2, 7 + 4], { rtol: 0, atol: 0 });
  });

  it("zeroing .grad in place starts over", () => {
    const x = leaf([1, 2]);
    x.mul(3).sum().backward();
    (x.grad as Tensor).zero_();
    x.mul(5).sum().backward();
    expect(x.grad).toBeAllclose([5, 5], { rtol: 0, atol: 0 });
  });
});

describe("grad mode", () => {
  it("noGrad records no graph: results don't require grad and have no gradFn", () => {
    const x = leaf([1, 2]);
    const y = noGrad(() => x.mul(2).exp());
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(y.isLeaf).toBe(true);
    expect(() => y.sum().backward()).toThrow(GradError);
  });

  it("nested noGrad/enableGrad restore the outer mode, also after a throw", () => {
    const x = leaf([1]);
    expect(isGradEnabled()).toBe(true);
    noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      const inner = enableGrad(() => {
        expect(isGradEnabled()).toBe(true);
        const r = x.mul(2);
        noGrad(() => expect(x.mul(2).requiresGrad).toBe(false));
        expect(isGradEnabled()).toBe(true);
        return r;
      });
      expect(inner.requiresGrad).toBe(true);
      expect(inner.gradFn?.name).toBe("mul");
      expect(isGradEnabled()).toBe(false);
      expect(x.mul(2).requiresGrad).toBe(false);
      expect(() =>
        enableGrad(() => {
          throw new Error("boom");
        }),
      ).toThrow("boom");
      expect(isGradEnabled()).toBe(false);
    });
    expect(isGradEnabled()).toBe(true);
  });

  it("a graph built in enableGrad inside noGrad still backpropagates", () => {
    const x = leaf([2]);
    const y = noGrad(() => enableGrad(() => x.square()));
    y.sum().backward();
    expect(x.grad).toBeAllclose([4], { rtol: 0, atol: 0 });
  });
});

describe("detach", () => {
  it("cuts the graph: gradient flows only through the attached path", () => {
    const x = leaf([3]);
    // y = x · stop(x): dy/dx = stop(x) = 3 (not 2x = 6)
    x.mul(x.detach()).sum().backward();
    expect(x.grad).toBeAllclose([3], { rtol: 0, atol: 0 });
  });

  it("shares memory with the original and is a leaf that doesn't require grad", () => {
    const x = leaf([1, 2, 3]);
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
    expect(d.gradFn).toBeNull();
    d.fill_(7);
    expect(x).toBeAllclose([7, 7, 7], { rtol: 0, atol: 0 });
    const y = x.mul(2);
    const dy = y.detach();
    expect(dy.isLeaf).toBe(true);
    noGrad(() => y.add_(1));
    expect(dy).toBeAllclose([15, 15, 15], { rtol: 0, atol: 0 });
  });
});

describe("retainGraph", () => {
  it("a second backward through a freed graph throws a GradError that mentions retainGraph", () => {
    const x = leaf([1, 2]);
    const y = x.exp().sum();
    y.backward();
    expect(() => y.backward()).toThrow(GradError);
    expect(() => y.backward()).toThrow(/retainGraph/);
  });

  it("with retainGraph the second backward works and accumulates", () => {
    const x = leaf([0, 1]);
    const y = x.exp().sum();
    y.backward(undefined, { retainGraph: true });
    expect(x.grad).toBeAllclose([1, Math.E], { rtol: 1e-15 });
    y.backward();
    expect(x.grad).toBeAllclose([2, 2 * Math.E], { rtol: 1e-15 });
    expect(() => y.backward()).toThrow(/retainGraph/);
  });
});

describe("seeds", () => {
  it("a non-scalar output without a seed is an error", () => {
    const x = leaf([1, 2]);
    expect(() => x.mul(2).backward()).toThrow(GradError);
  });

  it("a seed of the wrong shape is a ShapeError naming both shapes", () => {
    const x = leaf([1, 2]);
    expect(() => x.mul(2).backward(tensor([1, 2, 3], f64))).toThrow(ShapeError);
    expect(() => x.mul(2).backward(tensor([1, 2, 3], f64))).toThrow(/\[3\].*\[2\]/);
  });

  it("y.backward(v) gives vᵀJ: y = A·x, x.grad = Aᵀv", () => {
    const A = tensor([[1, 2, 3], [4, 5, 6]], f64);
    const x = leaf([1, -1, 2]);
    A.matmul(x).backward(tensor([10, -1], f64));
    // Aᵀv = [1·10 − 4, 2·10 − 5, 3·10 − 6]
    expect(x.grad).toBeAllclose([6, 15, 24], { rtol: 0, atol: 0 });
  });

  it("elementwise y = x²: backward(v) gives 2x⊙v", () => {
    const x = leaf([[1, 2], [3, 4]]);
    x.square().backward(tensor([[1, 0], [-1, 0.5]], f64));
    expect(x.grad).toBeAllclose([[2, 0], [-6, 4]], { rtol: 0, atol: 0 });
  });

  it("a number seeds a scalar output (3 · d(x²)/dx)", () => {
    const x = leaf(2);
    x.square().backward(3);
    expect(x.grad).toBeAllclose(12, { rtol: 0, atol: 0 });
    const z = leaf([5]);
    z.mul(2).sum().backward(0.5);
    expect(z.grad).toBeAllclose([1], { rtol: 0, atol: 0 });
  });

  it("backward on a leaf itself seeds its .grad", () => {
    const x = leaf(4);
    x.backward(2);
    expect(x.grad).toBeAllclose(2, { rtol: 0, atol: 0 });
  });
});

describe("retainGrad and hooks", () => {
  it("a non-leaf keeps .grad only with retainGrad", () => {
    const x = leaf([1, 2]);
    const h = x.mul(3);
    const k = h.square();
    h.retainGrad();
    k.sum().backward();
    // d(Σh²)/dh = 2h
    expect(h.grad).toBeAllclose([6, 12], { rtol: 0, atol: 0 });
    expect(k.grad).toBeNull();
    expect(x.grad).toBeAllclose([18, 36], { rtol: 0, atol: 0 });
    expect(h.retainsGrad).toBe(true);
    expect(k.retainsGrad).toBe(false);
    // A leaf keeps its .grad anyway; as in PyTorch, retainGrad() on it is allowed and retainsGrad stays false.
    expect(x.retainGrad().retainsGrad).toBe(false);
  });

  it("a hook on a leaf that doubles the gradient; remove() unregisters it", () => {
    const x = leaf([1, 2]);
    const seen: number[][] = [];
    const handle = x.registerHook((g) => {
      seen.push(g.toFlatArray());
      return g.mul(2);
    });
    x.mul(3).sum().backward();
    expect(seen).toEqual([[3, 3]]);
    expect(x.grad).toBeAllclose([6, 6], { rtol: 0, atol: 0 });
    handle.remove();
    x.grad = null;
    x.mul(3).sum().backward();
    expect(x.grad).toBeAllclose([3, 3], { rtol: 0, atol: 0 });
    expect(seen.length).toBe(1);
  });

  it("a hook on a non-leaf changes what flows further back; remove() works", () => {
    const x = leaf([1, 2]);
    let h = x.mul(3);
    const handle = h.registerHook((g) => g.mul(2));
    h.square().sum().backward();
    // d(Σ(3x)²)/dx = 18x, doubled at h
    expect(x.grad).toBeAllclose([36, 72], { rtol: 0, atol: 0 });
    handle.remove();
    x.grad = null;
    h = x.mul(3);
    h.registerHook(() => undefined); // returning nothing keeps the gradient
    h.square().sum().backward();
    expect(x.grad).toBeAllclose([18, 36], { rtol: 0, atol: 0 });
  });

  it("removing one hook keeps the others", () => {
    const x = leaf([1]);
    const h1 = x.registerHook((g) => g.mul(2));
    x.registerHook((g) => g.mul(5));
    h1.remove();
    h1.remove(); // removing twice is harmless
    x.mul(1).sum().backward();
    expect(x.grad).toBeAllclose([5], { rtol: 0, atol: 0 });
  });

  it("a leaf used twice: its hook runs once, on the summed gradient (a clamping hook sees 2, not 1 + 1)", () => {
    const x = leaf([1, 2]);
    const seen: number[][] = [];
    x.registerHook((g) => {
      seen.push(g.toFlatArray());
      return g.clamp(undefined, 1.5);
    });
    x.add(x).sum().backward(); // d(2x)/dx = 2, clamped to 1.5
    expect(seen).toEqual([[2, 2]]);
    expect(x.grad).toBeAllclose([1.5, 1.5], { rtol: 0, atol: 0 });
  });

  it("a non-leaf used twice: its hook also runs once, on the sum", () => {
    const x = leaf([1]);
    const h = x.mul(1);
    const seen: number[][] = [];
    h.registerHook((g) => void seen.push(g.toFlatArray()));
    h.mul(3).add(h.mul(4)).sum().backward();
    expect(seen).toEqual([[7]]);
  });

  it("retainGrad and hooks on tensors that don't require grad are errors", () => {
    const c = tensor([1], f64);
    expect(() => c.retainGrad()).toThrow(GradError);
    expect(() => c.registerHook((g) => g)).toThrow(GradError);
  });
});

describe("ownership of .grad", () => {
  it("z = x + y: x.grad and y.grad get the same upstream gradient but separate memory", () => {
    const x = leaf([1, 2]);
    const y = leaf([3, 4]);
    x.add(y).backward(tensor([5, 6], f64));
    const gx = x.grad as Tensor;
    const gy = y.grad as Tensor;
    expect(gx.buffer).not.toBe(gy.buffer);
    gx.mul_(10);
    expect(gx).toBeAllclose([50, 60], { rtol: 0, atol: 0 });
    expect(gy).toBeAllclose([5, 6], { rtol: 0, atol: 0 });
  });

  it("with createGraph too, z = x + y gives x and y .grads of their own", () => {
    const x = leaf([1, 2]);
    const y = leaf([3, 4]);
    x.add(y).sum().backward(undefined, { createGraph: true });
    expect(x.grad).not.toBe(y.grad);
    expect((x.grad as Tensor).buffer).not.toBe((y.grad as Tensor).buffer);
    noGrad(() => (x.grad as Tensor).zero_());
    expect(y.grad).toBeAllclose([1, 1], { rtol: 0, atol: 0 });
  });

  it("with createGraph, .grad stays differentiable: d(Σ (x³)')/dx = 6x", () => {
    const x = leaf([1, -2]);
    x.pow(3).sum().backward(undefined, { createGraph: true });
    const g = x.grad as Tensor;
    expect(g).toBeAllclose([3, 12], { rtol: 1e-15 });
    expect(g.requiresGrad).toBe(true);
    x.grad = null;
    g.sum().backward();
    expect(x.grad).toBeAllclose([6, -12], { rtol: 1e-15 });
  });

  it(".grad does not alias the seed the user passed", () => {
    const x = leaf([1, 2]);
    const seed = tensor([1, 1], f64);
    x.add(0).backward(seed);
    (x.grad as Tensor).mul_(3);
    expect(seed).toBeAllclose([1, 1], { rtol: 0, atol: 0 });
  });

  it("a broadcast gradient becomes a contiguous .grad of the leaf's own shape", () => {
    const b = leaf([[1], [2]]); // [2, 1] broadcast against [2, 3]
    const x = tensor([[1, 2, 3], [4, 5, 6]], f64);
    x.add(b).sum().backward();
    const g = b.grad as Tensor;
    expect(g.shape).toEqual([2, 1]);
    expect(g.isContiguous()).toBe(true);
    expect(g).toBeAllclose([[3], [3]], { rtol: 0, atol: 0 });
    const s = leaf(2);
    s.expand([3, 4]).sum().backward();
    expect((s.grad as Tensor).shape).toEqual([]);
    expect(s.grad).toBeAllclose(12, { rtol: 0, atol: 0 });
  });

  it("a gradient that is a view (expand of a sum's gradient) is copied into its own memory", () => {
    const x = leaf([1, 2, 3]);
    x.sum().backward();
    const g = x.grad as Tensor;
    expect(g.isContiguous()).toBe(true);
    expect(g.strides).toEqual([1]);
    g.add_(1);
    expect(g).toBeAllclose([2, 2, 2], { rtol: 0, atol: 0 });
  });

  it("slices of one cat gradient go to separate .grad tensors", () => {
    const a = leaf([1, 2]);
    const b = leaf([3]);
    cat([a, b]).backward(tensor([7, 8, 9], f64));
    (a.grad as Tensor).fill_(0);
    expect(b.grad).toBeAllclose([9], { rtol: 0, atol: 0 });
    expect(b.grad?.shape).toEqual([1]);
  });
});

describe("leaves, gradFn and requiresGrad propagation", () => {
  it("user tensors are leaves; op results are not and name their op", () => {
    const x = leaf([1]);
    const c = tensor([1], f64);
    expect(x.isLeaf).toBe(true);
    expect(x.gradFn).toBeNull();
    expect(c.isLeaf).toBe(true);
    const y = x.mul(c);
    expect(y.isLeaf).toBe(false);
    expect(y.gradFn?.name).toBe("mul");
    expect(y.gradFn?.toString()).toBe("MulBackward");
    expect(x.add(1).gradFn?.name).toBe("add");
    expect(x.exp().gradFn?.name).toBe("exp");
  });

  it("a result requires grad iff some input does", () => {
    const x = leaf([1]);
    const c = tensor([2], f64);
    expect(c.add(c).requiresGrad).toBe(false);
    expect(c.add(c).isLeaf).toBe(true);
    expect(c.add(x).requiresGrad).toBe(true);
    expect(x.add(c).requiresGrad).toBe(true);
    expect(c.mul(x).exp().sum().requiresGrad).toBe(true);
  });

  it("comparisons, argmax and integer results never require grad", () => {
    const x = leaf([1, 3, 2]);
    expect(x.gt(1).requiresGrad).toBe(false);
    expect(x.argmax().requiresGrad).toBe(false);
    expect(x.to("int32").requiresGrad).toBe(false);
  });

  it("only floating point tensors can require grad", () => {
    expect(() => tensor([1, 2], { dtype: "int32", requiresGrad: true })).toThrow(DTypeError);
    const i = tensor([1], { dtype: "int32" });
    expect(() => {
      i.requiresGrad = true;
    }).toThrow(DTypeError);
  });

  it("a non-leaf cannot be switched off; a leaf can be switched on and off", () => {
    const x = leaf([1]);
    const y = x.mul(2);
    expect(() => {
      y.requiresGrad = false;
    }).toThrow(GradError);
    const c = tensor([1], f64);
    c.requiresGrad_();
    expect(c.requiresGrad).toBe(true);
    c.requiresGrad = false;
    expect(c.requiresGrad).toBe(false);
    expect(c.mul(2).requiresGrad).toBe(false);
  });

  it("grads flow only to leaves that require grad", () => {
    const x = leaf([2]);
    const c = tensor([5], f64);
    x.mul(c).sum().backward();
    expect(x.grad).toBeAllclose([5], { rtol: 0, atol: 0 });
    expect(c.grad).toBeNull();
  });
});

describe("in-place modification of a saved tensor", () => {
  it("x·w then w.mul_(2) under noGrad: backward throws a GradError naming 'mul'", () => {
    const x = leaf([1, 2]);
    const w = leaf([3, 4]);
    const y = x.mul(w);
    noGrad(() => w.mul_(2));
    expect(() => y.sum().backward()).toThrow(GradError);
    const y2 = x.mul(w);
    noGrad(() => w.mul_(2));
    expect(() => y2.sum().backward()).toThrow(/'mul'/);
  });

  it("modifying a tensor that was not saved is fine (add saves nothing)", () => {
    const x = leaf([1, 2]);
    const w = leaf([3, 4]);
    const y = x.add(w);
    noGrad(() => w.mul_(2));
    y.sum().backward();
    expect(x.grad).toBeAllclose([1, 1], { rtol: 0, atol: 0 });
  });

  it("an in-place op on a tensor that requires grad in grad mode is refused", () => {
    const w = leaf([1]);
    expect(() => w.mul_(2)).toThrow(GradError);
  });
});

describe("engine bookkeeping", () => {
  it("a hook running a nested grad() over part of the same graph leaves the outer backward intact", () => {
    // Outer: c = Σ exp(a) + Σ 2a + 5x with a = 3p, p = 2x. The 2a branch is newer, so its gradient
    // reaches a's node first and waits there; then the hook on exp(a) runs a nested grad() through
    // that same node, which must neither take nor drop the waiting gradient.
    const x = leaf([0.1, -0.2]);
    const p = x.mul(2);
    const a = p.mul(3);
    const b = a.exp();
    let nested: Tensor | null = null;
    b.registerHook(() => {
      // Hooks run with grad mode off (as in PyTorch): record the nested graph explicitly.
      nested = enableGrad(() => grad([x.mul(7).add(a).sum()], [p], { retainGraph: true })[0]);
    });
    b.sum().add(a.mul(2).sum()).add(x.mul(5).sum()).backward();
    // d/dx = 6·exp(6x) + 12 + 5; the nested d(7x + 3p)/dp = 3 and does not touch x.grad.
    expect(x.grad).toBeAllclose([0.1, -0.2].map((v) => 6 * Math.exp(6 * v) + 17), { rtol: 1e-12 });
    expect(nested).toBeAllclose([3, 3], { rtol: 0, atol: 0 });
  });

  it("a tensor modified in place before it is saved is checked against its version at save time", () => {
    const x = leaf([1, 2]);
    const w = tensor([3, 4], f64);
    noGrad(() => w.mul_(2)); // version 1, then saved by mul
    const y = x.mul(w);
    y.sum().backward(undefined, { retainGraph: true });
    expect(x.grad).toBeAllclose([6, 8], { rtol: 0, atol: 0 });
    noGrad(() => w.mul_(2));
    expect(() => y.sum().backward()).toThrow(/version 1 → 2/);
  });

  it("backward frees the values a node saved; a node that saved nothing can be run through again", () => {
    const x = leaf([1, 2]);
    const y = x.mul(x);
    const s = x.add(1).sum();
    y.sum().backward();
    expect(y.gradFn?.isFreed).toBe(true);
    s.backward();
    s.backward(); // add and sum save nothing: nothing was freed, as in PyTorch
    expect(s.gradFn?.isFreed).toBe(false);
    expect(x.grad).toBeAllclose([4, 6], { rtol: 0, atol: 0 });
  });

  it("cat sends each input its own slice of the gradient, also when some inputs need none", () => {
    const a = leaf([1, 2]);
    const b = tensor([[3, 4, 5]], f64).reshape(3);
    const c = leaf([6]);
    cat([a, b, c]).mul(tensor([1, 2, 3, 4, 5, 6], f64)).sum().backward();
    expect(a.grad).toBeAllclose([1, 2], { rtol: 0, atol: 0 });
    expect(c.grad).toBeAllclose([6], { rtol: 0, atol: 0 });
  });
});

describe("deep graphs", () => {
  const N = 100_000;
  const r = 1.0001;

  it("a 100,000-op chain y = y·1.0001 + 0.0001: no stack overflow, dy/dx = 1.0001^100000", () => {
    const x = leaf([0.5]);
    let y = x;
    for (let i = 0; i < N; i++) y = y.mul(r).add(0.0001);
    y.sum().backward();
    expect(x.grad).toBeAllclose([r ** N], { rtol: 1e-9, atol: 0 });
    // The value: y_N = r^N·x + 0.0001·(r^N − 1)/(r − 1)
    expect(y).toBeAllclose([r ** N * 0.5 + (0.0001 * (r ** N - 1)) / (r - 1)], { rtol: 1e-9, atol: 0 });
  });

  it("a 100,000-deep chain that is also wide at the root: d(Σ_k y_k)/dx = Σ_{k=1..N} r^k", () => {
    const x = leaf([0.25]);
    const ys: Tensor[] = [];
    let y = x;
    for (let i = 0; i < N; i++) {
      y = y.mul(r).add(0.0001);
      ys.push(y);
    }
    // One root node with 100,000 inputs, each the end of a prefix of the same chain.
    const root = cat(ys).sum();
    expect(root.gradFn?.name).toBe("sum");
    root.backward();
    // Σ_{k=1..N} r^k = r·(r^N − 1)/(r − 1)
    expect(x.grad).toBeAllclose([(r * (r ** N - 1)) / (r - 1)], { rtol: 1e-9, atol: 0 });
  });
});
