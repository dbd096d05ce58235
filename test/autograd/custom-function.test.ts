/**
 * defineFunction: user-written forward/backward pairs. Checked against hand derivatives and
 * float64 central differences of the forward itself.
 */

import { describe, expect, it } from "vitest";
import { GradError, Tensor, defineFunction, grad, noGrad, tensor } from "@tensorgrad/autograd";

const f64 = { dtype: "float64" } as const;
const leaf = (data: number | number[]): Tensor => tensor(data, { ...f64, requiresGrad: true });
const tight = { rtol: 1e-13, atol: 1e-15 };

/** Central differences of Σ v⊙f(x) in float64, one coordinate at a time. */
function finiteDifference(f: (x: Tensor) => Tensor, x0: number[], v: number[], h = 1e-6): number[] {
  const F = (x: number[]): number => noGrad(() => f(tensor(x, f64)).mul(tensor(v, f64)).sum().item());
  return x0.map((_, i) => (F(x0.map((a, k) => (k === i ? a + h : a))) - F(x0.map((a, k) => (k === i ? a - h : a)))) / (2 * h));
}

/** eˣ with the output saved for backward: d eˣ = eˣ. */
const myExp = defineFunction({
  name: "myExp",
  forward(ctx, x: Tensor) {
    const y = x.exp();
    ctx.saveForBackward(y);
    return y;
  },
  backward(ctx, g) {
    const [y] = ctx.savedTensors;
    return [g.mul(y)];
  },
});

/** x³ with the input saved; backward written in Tensor ops: d x³ = 3x². */
const cube = defineFunction({
  name: "cube",
  forward(ctx, x: Tensor) {
    ctx.saveForBackward(x);
    return x.mul(x).mul(x);
  },
  backward(ctx, g) {
    const [x] = ctx.savedTensors;
    return [g.mul(x.square().mul(3))];
  },
});

describe("defineFunction", () => {
  it("a custom exp with saveForBackward: gradient eˣ, value eˣ, gradFn named", () => {
    const x0 = [0, 1, -2];
    const x = leaf(x0);
    const y = myExp(x);
    expect(y).toBeAllclose(x0.map(Math.exp), tight);
    expect(y.gradFn?.name).toBe("myExp");
    expect(y.isLeaf).toBe(false);
    y.backward(tensor([1, 2, 3], f64));
    expect(x.grad).toBeAllclose(x0.map((a, i) => Math.exp(a) * (i + 1)), tight);
    expect(x.grad).toBeAllclose(finiteDifference((t) => t.exp(), x0, [1, 2, 3]), { rtol: 1e-8, atol: 1e-10 });
  });

  it("composes with built-in ops on both sides", () => {
    const x = leaf([0.5, -0.5]);
    // d/dx Σ sin(exp(2x)) = cos(e^{2x})·e^{2x}·2
    myExp(x.mul(2)).sin().sum().backward();
    expect(x.grad).toBeAllclose([0.5, -0.5].map((a) => Math.cos(Math.exp(2 * a)) * Math.exp(2 * a) * 2), tight);
  });

  it("without an input that requires grad (or in noGrad) it records nothing", () => {
    const y = myExp(tensor([1], f64));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    const z = noGrad(() => myExp(leaf([1])));
    expect(z.requiresGrad).toBe(false);
  });

  it("ctx.needsInputGrad says which arguments need a gradient, and backward may skip the rest", () => {
    const seen: boolean[][] = [];
    let computedForB = false;
    const mulBy = defineFunction({
      name: "mulBy",
      forward(ctx, a: Tensor, b: Tensor, label: string) {
        seen.push([...ctx.needsInputGrad]);
        ctx.saveForBackward(a, b);
        ctx.state.label = label;
        return a.mul(b);
      },
      backward(ctx, g) {
        const [a, b] = ctx.savedTensors;
        const gb = ctx.needsInputGrad[1] ? ((computedForB = true), g.mul(a)) : null;
        return [ctx.needsInputGrad[0] ? g.mul(b) : null, gb, null];
      },
    });
    const a = leaf([2, 3]);
    const b = tensor([5, 7], f64);
    mulBy(a, b, "x").sum().backward();
    expect(seen[0]).toEqual([true, false, false]);
    expect(computedForB).toBe(false);
    expect(a.grad).toBeAllclose([5, 7], tight);
    expect(b.grad).toBeNull();
    const c = leaf([1, 1]);
    mulBy(b, c, "y").sum().backward();
    expect(seen[1]).toEqual([false, true, false]);
    expect(computedForB).toBe(true);
    expect(c.grad).toBeAllclose([5, 7], tight);
    noGrad(() => mulBy(a, c, "z"));
    expect(seen[2]).toEqual([false, false, false]);
  });

  it("a non-tensor argument (a scalar alpha) gets null; ctx.state carries it to backward", () => {
    // leaky(x, α) = x for x > 0, αx otherwise
    const leaky = defineFunction<[Tensor, number], Tensor, { alpha: number }>({
      name: "leaky",
      forward(ctx, x, alpha) {
        ctx.state.alpha = alpha;
        ctx.saveForBackward(x);
        return x.where(x.gt(0), x.mul(alpha));
      },
      backward(ctx, g) {
        const [x] = ctx.savedTensors;
        const alpha = ctx.state.alpha;
        return [g.mul(x.gt(0).to("float64").mul(1 - alpha).add(alpha)), null]; // 1 where x > 0, else α
      },
    });
    const x = leaf([-2, 3, -0.5]);
    const y = leaky(x, 0.1);
    expect(y).toBeAllclose([-0.2, 3, -0.05], tight);
    y.sum().backward();
    expect(x.grad).toBeAllclose([0.1, 1, 0.1], tight);
  });

  it("multiple outputs: [sin x, cos x], with gradients to either or both", () => {
    const sinCos = defineFunction({
      name: "sinCos",
      forward(ctx, x: Tensor) {
        ctx.saveForBackward(x);
        return [x.sin(), x.cos()];
      },
      backward(ctx, gs, gc) {
        const [x] = ctx.savedTensors;
        return [gs.mul(x.cos()).sub(gc.mul(x.sin()))]; // d sin = cos, d cos = −sin
      },
    });
    const x0 = [0.3, -1.1];
    const x = leaf(x0);
    const [s, c] = sinCos(x);
    expect(s).toBeAllclose(x0.map(Math.sin), tight);
    expect(c).toBeAllclose(x0.map(Math.cos), tight);
    expect(s.gradFn).toBe(c.gradFn);
    expect(c.outputIndex).toBe(1);
    // Both outputs: d(2 sin x + 3 cos x) = 2 cos x − 3 sin x
    s.mul(2).add(c.mul(3)).sum().backward();
    expect(x.grad).toBeAllclose(x0.map((a) => 2 * Math.cos(a) - 3 * Math.sin(a)), tight);
    // Only the second output is used: the first receives zeros.
    const x2 = leaf(x0);
    const [, c2] = sinCos(x2);
    c2.sum().backward();
    expect(x2.grad).toBeAllclose(x0.map((a) => -Math.sin(a)), tight);
    // Only the first: the trailing output receives zeros too (it was undefined: a TypeError).
    const x3 = leaf(x0);
    const [s3] = sinCos(x3);
    s3.sum().backward();
    expect(x3.grad).toBeAllclose(x0.map(Math.cos), tight);
  });

  it("a backward written in tensor ops works with createGraph: d²(x³)/dx² = 6x", () => {
    const x0 = [1, -2, 0.5];
    const x = leaf(x0);
    const [g] = grad(cube(x).sum(), x, { createGraph: true });
    expect(g).toBeAllclose(x0.map((a) => 3 * a * a), tight);
    expect(g.requiresGrad).toBe(true);
    const [h] = grad(g.sum(), x);
    expect(h).toBeAllclose(x0.map((a) => 6 * a), tight);
  });

  it("a saved output stays differentiable too: d²(eˣ)/dx² = eˣ through myExp", () => {
    const x0 = [0, 1, -1.5];
    const x = leaf(x0);
    const [g] = grad(myExp(x).sum(), x, { createGraph: true });
    expect(g).toBeAllclose(x0.map(Math.exp), tight);
    const [h] = grad(g.sum(), x);
    expect(h).toBeAllclose(x0.map(Math.exp), tight);
  });

  it("backward returning the wrong number of gradients is a GradError naming the function", () => {
    const bad = defineFunction({
      name: "badGrads",
      forward(_ctx, a: Tensor, b: Tensor) {
        return a.add(b);
      },
      backward(_ctx, g) {
        return [g];
      },
    });
    const run = () => bad(leaf([1]), leaf([2])).sum().backward();
    expect(run).toThrow(GradError);
    expect(run).toThrow(/badGrads.*1 gradients.*2 arguments/);
  });

  it("a gradient of the wrong shape is a GradError naming the function and both shapes", () => {
    const bad = defineFunction({
      name: "badShape",
      forward(_ctx, a: Tensor) {
        return a.mul(2);
      },
      backward(_ctx, g) {
        return [g.sum().reshape([1]).expand([5])];
      },
    });
    const run = () => bad(leaf([1, 2, 3])).sum().backward();
    expect(run).toThrow(GradError);
    expect(run).toThrow(/badShape.*\[5\].*\[3\]/);
  });

  it("an in-place change of a saved tensor is detected at backward", () => {
    const x = leaf([1, 2]);
    const y = cube(x);
    noGrad(() => x.mul_(2));
    expect(() => y.sum().backward()).toThrow(GradError);
    const x2 = leaf([1, 2]);
    const y2 = cube(x2);
    noGrad(() => x2.add_(1));
    expect(() => y2.sum().backward()).toThrow(/'cube'.*in-place/);
  });

  it("a second backward without retainGraph is refused; with it, gradients accumulate", () => {
    const x = leaf([2]);
    const y = cube(x).sum();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expect(x.grad).toBeAllclose([24], tight);
    expect(() => y.backward()).toThrow(/retainGraph/);
  });
});
