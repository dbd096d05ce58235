/**
 * The dropout primitive (ops/dropout.ts) against its composite definition, the independent
 * oracle: rand(x.shape) from the same generator, lt(1 − p), cast, scaled, times x. Outputs,
 * gradients and the generator's stream afterwards must be bit for bit the same (training runs
 * seeded before the primitive existed replay unchanged), on every backend.
 */

import { describe, expect, it } from "vitest";
import { DTypeError, Generator, dropout, grad, rand, randn, tensor, ValueError, type Tensor } from "@tensorgrad/autograd";
import { functional as F } from "@tensorgrad/nn";

/** The composite dropout the primitive replaced. */
function composite(x: Tensor, p: number, g: Generator): Tensor {
  const keep = rand(x.shape, { dtype: x.dtype, generator: g }).lt(1 - p);
  return x.mul(keep.to(x.dtype).mul(1 / (1 - p)));
}

function expectSameBits(got: Tensor, want: Tensor): void {
  const [a, b] = [got.toFlatArray(), want.toFlatArray()];
  expect(a.length).toBe(b.length);
  const differ = a.findIndex((v, i) => !Object.is(v, b[i]));
  expect(differ, `first difference at ${differ}: ${a[differ]} vs ${b[differ]}`).toBe(-1);
}

describe("dropout primitive", () => {
  for (const dtype of ["float32", "float64"] as const) {
    // 0.1 and 0.7: 1 − p is not a float32 value, so the threshold's rounding matters
    for (const p of [0.1, 0.25, 0.5, 0.7, 0.999]) {
      it(`${dtype}, p = ${p}: the composite's values, gradient and generator stream`, () => {
        const x = randn([37, 53], { dtype, generator: new Generator(5) }).requiresGrad_();
        const [g1, g2] = [new Generator(11), new Generator(11)];
        const want = composite(x, p, g1);
        const got = dropout(x, p, g2);
        expectSameBits(got, want);
        expect(g2.uniform()).toBe(g1.uniform());
        const seed = randn([37, 53], { dtype, generator: new Generator(6) });
        expectSameBits(grad(got.mul(seed).sum(), [x])[0], grad(want.mul(seed).sum(), [x])[0]);
      });
    }
  }

  it("a strided input, NaN and ±∞: dropped elements are x·0 (NaN), as the composite's product", () => {
    const base = tensor([[1, NaN, -2, Infinity], [-Infinity, 3, -0, 4], [5, -6, 7, NaN]]);
    const x = base.transpose(0, 1); // not contiguous
    expectSameBits(dropout(x, 0.5, new Generator(3)), composite(x, 0.5, new Generator(3)));
  });

  it("nn's dropout and Dropout run it with the given generator; p = 1 zeroes everything", () => {
    const x = randn([4, 5], { generator: new Generator(1) });
    expectSameBits(F.dropout(x, 0.3, true, { generator: new Generator(9) }), composite(x, 0.3, new Generator(9)));
    expect(dropout(x, 1, new Generator(2)).toFlatArray().every((v) => v === 0)).toBe(true);
  });

  it("bad input: integer tensors and p outside [0, 1]", () => {
    expect(() => dropout(tensor([1, 2], { dtype: "int32" }), 0.5)).toThrow(DTypeError);
    expect(() => dropout(tensor([1, 2], { dtype: "int32" }), 0.5)).toThrow("dropout: input must be float32 or float64, got int32");
    expect(() => dropout(tensor([1, 2]), 1.5)).toThrow(ValueError);
    expect(() => dropout(tensor([1, 2]), -0.1)).toThrow("dropout: p must be between 0 and 1, got -0.1");
  });
});
