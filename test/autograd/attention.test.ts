/**
 * scaledDotProductAttention against PyTorch: outputs, gradients and second-order gradients of
 * PyTorch 2.x's documented reference formula, evaluated by torch 1.13 in test/goldens/attention.py
 * (1.13 has no F.scaled_dot_product_attention). Then float64 gradchecks on random shapes, masks
 * and scales; dropout by its statistics and its generator; and the errors.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DTypeError, Generator, ShapeError, Tensor, ValueError, eye, grad, ones, randn, scaledDotProductAttention, tensor, zeros, type DType,
} from "@tensorgrad/autograd";
import { gradcheck, gradgradcheck } from "@tensorgrad/autograd/testing";
import { tensorArb, valuesArb } from "@tensorgrad/autograd/testing/arbitraries";
import { decode, goldenValues, readGoldens, type Encoded } from "../helpers/goldens.js";

interface SdpaCase {
  readonly inputs: Record<"query" | "key" | "value", Encoded> & { readonly attnMask?: Encoded };
  readonly isCausal: boolean;
  readonly scale: number | null;
  readonly out: Encoded;
  readonly gouts: Encoded[];
  readonly grads: Record<string, Encoded>;
  readonly v?: Record<string, Encoded>;
  readonly gradgrad?: Record<string, Encoded>;
}

const goldens = readGoldens<{ torch: string; sdpa: Record<string, SdpaCase> }>("attention.json");

function checkCase(name: string, c: SdpaCase, floatType: DType): void {
  const f64 = floatType === "float64";
  const tol = f64 ? { rtol: 1e-10, atol: 1e-12, equalNan: true } : { rtol: 1e-4, atol: 1e-5, equalNan: true };
  const query = decode(c.inputs.query, floatType, true);
  const key = decode(c.inputs.key, floatType, true);
  const value = decode(c.inputs.value, floatType, true);
  const attnMask = c.inputs.attnMask === undefined ? null : decode(c.inputs.attnMask, floatType, true);
  const leaves: [string, Tensor][] = [["query", query], ["key", key], ["value", value]];
  if (attnMask?.requiresGrad) leaves.push(["attnMask", attnMask]);
  const out = scaledDotProductAttention(query, key, value, { attnMask, isCausal: c.isCausal, scale: c.scale });
  expect(out.shape).toEqual(c.out.shape);
  expect(out.dtype).toBe(floatType);
  expect(out.toFlatArray(), `${name}: output`).toBeAllclose(goldenValues(c.out), tol);
  const second = f64 && c.gradgrad !== undefined;
  const grads = grad(out, leaves.map(([, t]) => t), { gradOutputs: decode(c.gouts[0], floatType), createGraph: second });
  leaves.forEach(([n], i) => expect(grads[i].toFlatArray(), `${name}: gradient of ${n}`).toBeAllclose(goldenValues(c.grads[n]), tol));
  if (!second) return;
  const v = c.v as Record<string, Encoded>;
  const total = grads.map((g, i) => g.mul(decode(v[leaves[i][0]])).sum()).reduce((a, b) => a.add(b));
  const gg = grad(total, leaves.map(([, t]) => t), { allowUnused: true });
  leaves.forEach(([n], i) => expect(gg[i].toFlatArray(), `${name}: second-order gradient of ${n}`).toBeAllclose(goldenValues((c.gradgrad as Record<string, Encoded>)[n]), tol));
}

describe(`scaledDotProductAttention matches PyTorch ${goldens.torch}'s reference formula (test/goldens/attention.py)`, () => {
  for (const [name, c] of Object.entries(goldens.sdpa)) {
    it(`float64: ${name}`, () => checkCase(name, c, "float64"));
    it(`float32: ${name}`, () => checkCase(name, c, "float32"));
  }

  it("a fully masked query row is NaN (as PyTorch) and leaves the other rows finite", () => {
    const c = goldens.sdpa["a fully masked row gives NaN"];
    const out = scaledDotProductAttention(decode(c.inputs.query), decode(c.inputs.key), decode(c.inputs.value), { attnMask: decode(c.inputs.attnMask as Encoded) });
    const rows = out.toArray() as number[][];
    expect(rows[1].every(Number.isNaN)).toBe(true);
    expect([...rows[0], ...rows[2]].every(Number.isFinite)).toBe(true);
  });
});

describe("scaledDotProductAttention by hand", () => {
  const f64 = { dtype: "float64" } as const;

  it("one query over two keys: softmax of the scaled dot products weighs the values", () => {
    const q = tensor([[1, 0]], f64);
    const k = tensor([[1, 0], [0, 1]], f64);
    const v = tensor([[10, 0], [0, 10]], f64);
    // scores 1/√2 and 0: weights e^{1/√2}/(e^{1/√2} + 1) and 1/(e^{1/√2} + 1)
    const a = Math.exp(1 / Math.sqrt(2));
    expect(scaledDotProductAttention(q, k, v)).toBeAllclose([[(10 * a) / (a + 1), 10 / (a + 1)]], { rtol: 1e-14 });
    // scale 0: plain average; a bool mask with only key 1 taking part: exactly v[1]
    expect(scaledDotProductAttention(q, k, v, { scale: 0 })).toBeAllclose([[5, 5]]);
    expect(scaledDotProductAttention(q, k, v, { attnMask: tensor([false, true], { dtype: "bool" }) })).toBeAllclose([[0, 10]]);
    // a float mask is added: −log 2 on key 0 halves its weight
    expect(scaledDotProductAttention(q, k, v, { attnMask: tensor([-Math.log(a), 0], f64) })).toBeAllclose([[5, 5]], { rtol: 1e-14 });
  });

  it("isCausal: query i sees keys 0..i only (the first row copies v[0])", () => {
    const g = new Generator(3);
    const q = randn([4, 3], { ...f64, generator: g });
    const k = randn([4, 3], { ...f64, generator: g });
    const v = randn([4, 2], { ...f64, generator: g });
    const causal = scaledDotProductAttention(q, k, v, { isCausal: true });
    const lower = ones([4, 4], { dtype: "bool" }).tril();
    // isCausal runs the fused attentionSoftmax kernel, the mask the composite ops: rounding apart
    expect(causal).toBeAllclose(scaledDotProductAttention(q, k, v, { attnMask: lower }), { rtol: 1e-14, atol: 0 });
    expect(causal.select(0, 0)).toBeAllclose(v.select(0, 0), { rtol: 0, atol: 0 });
  });
});

describe("scaledDotProductAttention gradients (float64 finite differences)", () => {
  type Kind = "none" | "bool" | "float" | "causal";
  /** Random sizes, batch shapes that broadcast, one kind of mask and a scale. */
  const caseArb = fc
    .record({
      L: fc.integer({ min: 1, max: 3 }),
      S: fc.integer({ min: 1, max: 3 }),
      E: fc.integer({ min: 1, max: 3 }),
      Ev: fc.integer({ min: 1, max: 2 }),
      batch: fc.constantFrom<[number[], number[], number[]]>([[], [], []], [[2], [2], [2]], [[2, 1], [1, 2], [2]], [[2], [], [2]]),
      kind: fc.constantFrom<Kind>("none", "bool", "float", "causal"),
      scale: fc.option(fc.double({ min: -2, max: 2, noNaN: true }), { nil: null }),
    })
    .chain(({ L, S, E, Ev, batch, kind, scale }) => {
      const grad = { requiresGrad: true } as const;
      const keep = valuesArb(L * S, { min: -1, max: 1 }).map((vals) =>
        // bool: true = takes part; key 0 always does, so no row is fully masked (NaN)
        tensor(vals.map((x, i) => x > -0.3 || i % S === 0), { dtype: "bool", shape: [L, S] }),
      );
      return fc.record({
        q: tensorArb([...batch[0], L, E], grad),
        k: tensorArb([...batch[1], S, E], grad),
        v: tensorArb([...batch[2], S, Ev], grad),
        mask: kind === "float" ? tensorArb([L, S], grad) : kind === "bool" ? keep : fc.constant(null),
        kind: fc.constant(kind),
        scale: fc.constant(scale),
      });
    });

  const fnOf = ({ mask, kind, scale }: { mask: Tensor | null; kind: Kind; scale: number | null }) =>
    (q: Tensor, k: Tensor, v: Tensor, m?: Tensor) =>
      scaledDotProductAttention(q, k, v, { attnMask: kind === "float" ? (m as Tensor) : mask, isCausal: kind === "causal", scale });

  const inputsOf = (c: { q: Tensor; k: Tensor; v: Tensor; mask: Tensor | null; kind: Kind }) => (c.kind === "float" ? [c.q, c.k, c.v, c.mask as Tensor] : [c.q, c.k, c.v]);

  it("first order, incl. the float mask's gradient", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const report = gradcheck(fnOf(c), inputsOf(c), { atol: 1e-6, rtol: 1e-4 });
        if (!report.ok) throw new Error(report.message);
      }),
      { numRuns: 60 },
    );
  });

  it("second order", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const report = gradgradcheck(fnOf(c), inputsOf(c), { atol: 1e-5, rtol: 1e-3 });
        if (!report.ok) throw new Error(report.message);
      }),
      { numRuns: 15 },
    );
  });
});

describe("scaledDotProductAttention dropout", () => {
  const f64 = { dtype: "float64" } as const;
  const setup = () => {
    const g = new Generator(1);
    return { q: randn([2, 8, 4], { ...f64, generator: g }), k: randn([2, 8, 4], { ...f64, generator: g }) };
  };

  it("with value = I the output is the weights: each one dropped to 0 or scaled by 1/(1 − p), about p of them dropped", () => {
    const { q, k } = setup();
    const v = eye(8, f64);
    const weights = scaledDotProductAttention(q, k, v).toFlatArray();
    const dropped = scaledDotProductAttention(q, k, v, { dropoutP: 0.25, generator: new Generator(7) }).toFlatArray();
    let zeros = 0;
    dropped.forEach((d, i) => {
      if (d === 0) zeros++;
      else expect(d).toBeCloseTo(weights[i] / 0.75, 12);
    });
    expect(zeros / dropped.length).toBeGreaterThan(0.15); // 128 draws at p = 0.25
    expect(zeros / dropped.length).toBeLessThan(0.35);
  });

  it("is reproducible from the generator, and takes no random numbers when dropoutP is 0", () => {
    const { q, k } = setup();
    const a = scaledDotProductAttention(q, k, k, { dropoutP: 0.5, generator: new Generator(9) });
    const b = scaledDotProductAttention(q, k, k, { dropoutP: 0.5, generator: new Generator(9) });
    expect(a).toBeAllclose(b, { rtol: 0, atol: 0 });
    const g = new Generator(4);
    scaledDotProductAttention(q, k, k, { dropoutP: 0, generator: g });
    expect(g.uniform()).toBe(new Generator(4).uniform());
  });

  it("dropoutP 1 gives zeros, and gradients flow through the kept weights", () => {
    const { q, k } = setup();
    expect(scaledDotProductAttention(q, k, k, { dropoutP: 1 })).toBeAllclose(0, { atol: 0 });
    const v = k.detach().clone().requiresGrad_();
    const out = scaledDotProductAttention(q, k, v, { dropoutP: 0.5, generator: new Generator(2) });
    out.sum().backward();
    expect(v.grad?.shape).toEqual([2, 8, 4]);
  });
});

describe("scaledDotProductAttention errors name the op and the values", () => {
  const q = zeros([2, 3, 4]);
  const k = zeros([2, 5, 4]);
  const v = zeros([2, 5, 6]);
  it.each<[string, () => unknown, typeof ShapeError | typeof DTypeError | typeof ValueError, RegExp]>([
    ["1-d query", () => scaledDotProductAttention(zeros([4]), k, v), ShapeError, /scaledDotProductAttention: query must have at least 2 dims.*\[4\]/],
    ["feature dims differ", () => scaledDotProductAttention(q, zeros([2, 5, 3]), v), ShapeError, /query and key must have the same last dim, 4 != 3/],
    ["sequence lengths differ", () => scaledDotProductAttention(q, k, zeros([2, 4, 6])), ShapeError, /same sequence length, 5 != 4/],
    ["batch dims don't broadcast", () => scaledDotProductAttention(q, zeros([3, 5, 4]), zeros([3, 5, 6])), ShapeError, /scaledDotProductAttention: shapes \[2\] and \[3\]/],
    ["int32 query", () => scaledDotProductAttention(zeros([2, 3, 4], { dtype: "int32" }), k, v), DTypeError, /query must be a floating point tensor, got int32/],
    ["mixed dtypes", () => scaledDotProductAttention(q, k.double(), v), DTypeError, /same dtype, got float32, float64 and float32/],
    ["int32 mask", () => scaledDotProductAttention(q, k, v, { attnMask: zeros([3, 5], { dtype: "int32" }) }), DTypeError, /attnMask must be bool or floating point, got int32/],
    ["mask of the wrong shape", () => scaledDotProductAttention(q, k, v, { attnMask: zeros([3, 4]) }), ShapeError, /cannot be broadcast|does not broadcast/],
    ["mask that would grow the output", () => scaledDotProductAttention(q, k, v, { attnMask: zeros([7, 2, 3, 5]) }), ShapeError, /attnMask \[7,2,3,5\] does not broadcast to the scores' shape \[2,3,5\]/],
    ["isCausal with a mask", () => scaledDotProductAttention(q, k, v, { isCausal: true, attnMask: zeros([3, 5]) }), ValueError, /attnMask must not be given when isCausal is true/],
    ["dropoutP 1.5", () => scaledDotProductAttention(q, k, v, { dropoutP: 1.5 }), ValueError, /dropoutP must be between 0 and 1, got 1.5/],
    ["NaN scale", () => scaledDotProductAttention(q, k, v, { scale: NaN }), ValueError, /scale must be a finite number, got NaN/],
    ["E = 0 with the default scale", () => scaledDotProductAttention(zeros([3, 0]), zeros([5, 0]), zeros([5, 2])), ShapeError, /default scale 1\/√E needs E >= 1/],
  ])("%s", (_, fn, type, message) => {
    expect(fn).toThrow(type);
    expect(fn).toThrow(message);
  });
});
