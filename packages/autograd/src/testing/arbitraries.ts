/**
 * @tensorgrad/autograd/testing/arbitraries — fast-check arbitraries for property tests of tensor
 * code: shapes, broadcast-compatible shape pairs, and well-conditioned float64 tensors. An entry of
 * its own, so that gradcheck (/testing) works without fast-check, an optional peer dependency.
 */

import fc from "fast-check";
// The public entry only, kept external by the build (see gradcheck.ts).
import { tensor, type DType, type Tensor } from "../index.js";

/** Bounds of generated shapes. */
export interface ShapeConstraints {
  readonly minRank?: number;
  readonly maxRank?: number;
  readonly minSize?: number;
  readonly maxSize?: number;
}

/** Shapes with rank in [minRank, maxRank] (default 0..3) and sizes in [minSize, maxSize] (default 1..4). */
export function shapeArb(constraints: ShapeConstraints = {}): fc.Arbitrary<number[]> {
  const { minRank = 0, maxRank = 3, minSize = 1, maxSize = 4 } = constraints;
  return fc.array(fc.integer({ min: minSize, max: maxSize }), { minLength: minRank, maxLength: maxRank });
}

/**
 * Pairs of shapes that broadcast together: both derived from one shape by dropping leading dims
 * and replacing some sizes with 1.
 */
export function broadcastShapesArb(constraints: ShapeConstraints = {}): fc.Arbitrary<[number[], number[]]> {
  return shapeArb(constraints).chain((base) => {
    const variant = fc
      .tuple(fc.integer({ min: 0, max: base.length }), fc.array(fc.boolean(), { minLength: base.length, maxLength: base.length }))
      .map(([drop, ones]) => base.map((s, i) => (ones[i] ? 1 : s)).slice(drop));
    return fc.tuple(variant, variant);
  });
}

/** Value constraints of generated tensors. */
export interface TensorConstraints {
  /** Element type (default float64). */
  readonly dtype?: DType;
  /** Range of values (default −2..2). */
  readonly min?: number;
  readonly max?: number;
  /** Keep |x| at least this far from 0 (for log, division, kinks at 0). */
  readonly minAbs?: number;
  /** Mark the tensor as requiring grad (default false). */
  readonly requiresGrad?: boolean;
}

/** Well-conditioned values: finite, bounded, optionally away from zero. */
export function valuesArb(length: number, constraints: TensorConstraints = {}): fc.Arbitrary<number[]> {
  const { min = -2, max = 2, minAbs = 0 } = constraints;
  const value = fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((v) => {
    if (Math.abs(v) >= minAbs) return v;
    const pushed = v < 0 ? -minAbs : minAbs; // move small values out to ±minAbs, staying in range
    return pushed < min || pushed > max ? -pushed : pushed;
  });
  return fc.array(value, { minLength: length, maxLength: length });
}

/** A tensor of the given shape with well-conditioned values. */
export function tensorArb(shape: readonly number[], constraints: TensorConstraints = {}): fc.Arbitrary<Tensor> {
  const { dtype = "float64", requiresGrad = false } = constraints;
  const numel = shape.reduce((n, s) => n * s, 1);
  return valuesArb(numel, constraints).map((values) => tensor(Float64Array.from(values), { shape, dtype, requiresGrad }));
}

/** A tensor of random shape (see shapeArb) with well-conditioned values. */
export function anyTensorArb(shape: ShapeConstraints = {}, values: TensorConstraints = {}): fc.Arbitrary<Tensor> {
  return shapeArb(shape).chain((s) => tensorArb(s, values));
}
