/**
 * tanh and sigmoid for either lane type T (f64: f64x2 over math.ts's exp; f32: f32x4 over
 * math32.ts's): the same formulas, with the lane type's own exp and expm1.
 */

import { expV, expm1SmallV } from "./math";
import { expV32, expm1SmallV32 } from "./math32";

/** e^x in T lanes. */
// @ts-ignore: decorator
@inline export function expOf<T>(x: v128): v128 {
  return sizeof<T>() == 4 ? expV32(x) : expV(x);
}

/** e^x − 1 for −40 ≤ x ≤ 40 in T lanes. */
// @ts-ignore: decorator
@inline function expm1SmallOf<T>(x: v128): v128 {
  return sizeof<T>() == 4 ? expm1SmallV32(x) : expm1SmallV(x);
}

/**
 * tanh with fdlibm's formulas: for |x| < 1, −t/(t + 2) with t = expm1(−2|x|); above,
 * 1 − 2/(t + 2) with t = expm1(2|x|) (1 past |x| = 20); then the sign of x. ±0 and NaN pass.
 */
// @ts-ignore: decorator
@inline export function tanhOf<T>(x: v128): v128 {
  const ax = v128.abs<T>(x);
  const small = v128.lt<T>(ax, v128.splat<T>(<T>1.0));
  const twoAx = v128.pmin<T>(v128.add<T>(ax, ax), v128.splat<T>(<T>40.0)); // NaN passes
  const t = expm1SmallOf<T>(v128.bitselect(v128.neg<T>(twoAx), twoAx, small));
  const q = v128.div<T>(v128.bitselect(v128.neg<T>(t), v128.splat<T>(<T>2.0), small), v128.add<T>(t, v128.splat<T>(<T>2.0)));
  const z = v128.bitselect(q, v128.sub<T>(v128.splat<T>(<T>1.0), q), small);
  // copysign(|z|, x) (z may be −0 at x = 0)
  return v128.or(v128.abs<T>(z), v128.and(x, v128.splat<T>(<T>-0.0)));
}

/** σ(x) = 1/(1 + e^{-x}) for x ≥ 0 and e^x/(1 + e^x) below, so neither side overflows. */
// @ts-ignore: decorator
@inline export function sigmoidOf<T>(x: v128): v128 {
  const e = expOf<T>(v128.neg<T>(v128.abs<T>(x)));
  const num = v128.bitselect(v128.splat<T>(<T>1.0), e, v128.ge<T>(x, v128.splat<T>(<T>0.0)));
  return v128.div<T>(num, v128.add<T>(v128.splat<T>(<T>1.0), e));
}
