/**
 * The fused transformer primitives (gelu, layerNorm, attentionSoftmax; issue 13) against
 * PyTorch's results recorded by test/goldens/transformer_kernels.py: values and gradients in
 * float64 (both the one-kernel backward and the recorded, createGraph one), and in float32 with
 * float32 tolerances. Gradients of every order are gradchecked in gradcheck-ops.test.ts.
 */

import { describe, expect, it } from "vitest";
import { attentionSoftmax, grad, layerNorm, tensor, type Tensor } from "@tensorgrad/autograd";
import { decode, goldenValues, readGoldens, type Encoded } from "../helpers/goldens.js";

interface Recorded {
  readonly x: Encoded;
  readonly out: Encoded;
  readonly gout: Encoded;
  readonly gx: Encoded;
}
interface LayerNormCase extends Recorded {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly weight?: Encoded;
  readonly bias?: Encoded;
  readonly gweight?: Encoded;
  readonly gbias?: Encoded;
}
interface AttentionCase extends Recorded {
  readonly causal: boolean;
  readonly scale: number;
}
const goldens = readGoldens<{
  torch: string;
  gelu: Record<"none" | "tanh", Recorded>;
  layerNorm: Record<string, LayerNormCase>;
  attentionSoftmax: Record<string, AttentionCase>;
}>("transformer_kernels.json");

const TOL = {
  float64: { rtol: 1e-10, atol: 1e-12 },
  float32: { rtol: 2e-5, atol: 2e-6 },
} as const;

/** out and the gradients of Σ out·gout for the leaves, by plain backward and by grad with createGraph. */
function check(name: string, dtype: "float32" | "float64", leaves: Tensor[], fn: (...xs: Tensor[]) => Tensor, c: Recorded, grads: Encoded[]): void {
  const tol = TOL[dtype];
  const out = fn(...leaves);
  expect(out.toFlatArray(), `${name}: output`).toBeAllclose(goldenValues(c.out), tol);
  const gout = decode(c.gout, dtype);
  out.mul(gout).sum().backward();
  leaves.forEach((l, i) => expect(l.grad!.toFlatArray(), `${name}: gradient ${i}`).toBeAllclose(goldenValues(grads[i]), tol));
  const recorded = grad(fn(...leaves).mul(gout).sum(), leaves, { createGraph: true });
  recorded.forEach((g, i) => expect(g.toFlatArray(), `${name}: recorded gradient ${i}`).toBeAllclose(goldenValues(grads[i]), tol));
}

describe.each(["float64", "float32"] as const)(`fused transformer primitives match PyTorch ${goldens.torch} (%s)`, (dtype) => {
  it.each(["none", "tanh"] as const)("gelu(approximate: %s) and its gradient, tails included", (approximate) => {
    const c = goldens.gelu[approximate];
    check(`gelu ${approximate}`, dtype, [decode(c.x, dtype, true)], (x) => x.gelu({ approximate }), c, [c.gx]);
  });

  it.each(Object.keys(goldens.layerNorm))("layerNorm %s", (name) => {
    const c = goldens.layerNorm[name];
    const k = c.normalizedShape.length;
    if (c.weight && c.bias) {
      const leaves = [decode(c.x, dtype, true), decode(c.weight, dtype, true), decode(c.bias, dtype, true)];
      check(name, dtype, leaves, (x, w, b) => layerNorm(x, k, w, b, c.eps), c, [c.gx, c.gweight!, c.gbias!]);
    } else {
      check(name, dtype, [decode(c.x, dtype, true)], (x) => layerNorm(x, k, null, null, c.eps), c, [c.gx]);
    }
  });

  it.each(Object.keys(goldens.attentionSoftmax))("attentionSoftmax %s", (name) => {
    const c = goldens.attentionSoftmax[name];
    check(name, dtype, [decode(c.x, dtype, true)], (x) => attentionSoftmax(x, c.scale, c.causal), c, [c.gx]);
  });
});

describe("fused transformer primitives: edge cases and bad input", () => {
  it("gelu keeps NaN, maps +Inf to +Inf and promotes integers to float32", () => {
    const y = tensor([NaN, Infinity, 0]).gelu().toFlatArray();
    expect(Number.isNaN(y[0])).toBe(true);
    expect(y.slice(1)).toEqual([Infinity, 0]);
    const i = tensor([1, -1], { dtype: "int32" }).gelu();
    expect(i.dtype).toBe("float32");
  });

  it("gelu's lower tail keeps its relative precision (Φ from erfc, not 1 + erf)", () => {
    // gelu(−10) = −10·Φ(−10) = −7.6198530241605e-23 (Φ(−10) = 7.61985302416047e-24)
    expect(tensor([-10], { dtype: "float64" }).gelu().item()).toBeCloseTo(-7.619853024160527e-23, 35);
  });

  it("bad input is a clear error", () => {
    expect(() => tensor([1, 2]).gelu({ approximate: "exact" as "none" })).toThrow(/gelu: approximate must be "none" or "tanh", got "exact"/);
    expect(() => layerNorm(tensor([1, 2]), 2, null, null)).toThrow(/layerNorm: cannot normalize the last 2 dims of \[2\]/);
    expect(() => layerNorm(tensor([[1, 2]]), 1, tensor([1, 2, 3]), null)).toThrow(/layerNorm: weight must have shape \[2\], got \[3\]/);
    expect(() => layerNorm(tensor([[1, 2]]), 1, tensor([1, 2], { dtype: "float64" }), null)).toThrow(/layerNorm: weight has dtype float64 but the input has dtype float32/);
    expect(() => attentionSoftmax(tensor([1, 2]), 1, true)).toThrow(/attentionSoftmax: scores must have at least 2 dims/);
    expect(() => attentionSoftmax(tensor([[1, 2]]), NaN, true)).toThrow(/attentionSoftmax: scale must be a finite number, got NaN/);
  });
});
