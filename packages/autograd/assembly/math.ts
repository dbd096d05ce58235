/**
 * Vector transcendental functions on f64x2, accurate to about 1 ulp of float64 (so float32
 * results, computed in float64 and rounded once, match a float64 reference rounded to float32).
 *
 * exp: x = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite: ln2 split in a high part whose products with
 * n are exact and a low part), e^r by its Taylor series to r^13 (truncation < 1e-17 relative),
 * then scaled by 2^n as two factors 2^n1·2^n2 so that subnormal results round once.
 * expm1 for |x| ≤ 40: 2^n·expm1(r) + (2^n − 1), which keeps full relative accuracy near 0.
 * (Float32 data has its own f32x4 versions in math32.ts.)
 */

const LOG2E: f64 = 1.4426950408889634;
const LN2_HI: f64 = 6.93147180369123816490e-01; // trailing zeros: n·LN2_HI is exact for |n| < 2^11
const LN2_LO: f64 = 1.90821492927058770002e-10;
const ROUND_MAGIC: f64 = 6755399441055744.0; // 1.5·2^52: adding it leaves an integer in the low mantissa bits

/**
 * e^r − 1 − r for |r| ≤ ln2/2: r²·Σ_{i=2..13} r^{i−2}/i! evaluated by Estrin's scheme (pairs,
 * then pairs of pairs) so the dependency chain is 4 multiply-adds deep instead of 12.
 */
// @ts-ignore: decorator
@inline function expm1Tail(r: v128): v128 {
  const r2 = f64x2.mul(r, r);
  const r4 = f64x2.mul(r2, r2);
  const p0 = f64x2.add(f64x2.splat(1.0 / 2.0), f64x2.mul(r, f64x2.splat(1.0 / 6.0)));
  const p1 = f64x2.add(f64x2.splat(1.0 / 24.0), f64x2.mul(r, f64x2.splat(1.0 / 120.0)));
  const p2 = f64x2.add(f64x2.splat(1.0 / 720.0), f64x2.mul(r, f64x2.splat(1.0 / 5040.0)));
  const p3 = f64x2.add(f64x2.splat(1.0 / 40320.0), f64x2.mul(r, f64x2.splat(1.0 / 362880.0)));
  const p4 = f64x2.add(f64x2.splat(1.0 / 3628800.0), f64x2.mul(r, f64x2.splat(1.0 / 39916800.0)));
  const p5 = f64x2.add(f64x2.splat(1.0 / 479001600.0), f64x2.mul(r, f64x2.splat(1.0 / 6227020800.0)));
  const q0 = f64x2.add(p0, f64x2.mul(r2, p1));
  const q1 = f64x2.add(p2, f64x2.mul(r2, p3));
  const q2 = f64x2.add(p4, f64x2.mul(r2, p5));
  const q = f64x2.add(q0, f64x2.mul(r4, f64x2.add(q1, f64x2.mul(r4, q2))));
  return f64x2.mul(r2, q);
}

/** 2^k for integer-valued k in [-1022, 1023] (k + 1023 lands in the exponent field). */
// @ts-ignore: decorator
@inline function pow2(k: v128): v128 {
  const bits = f64x2.add(k, f64x2.splat(ROUND_MAGIC));
  return i64x2.shl(i64x2.add(bits, i64x2.splat(1023)), 52);
}

/** e^x, lane-wise; ±Inf and NaN as Math.exp. */
// @ts-ignore: decorator
@inline export function expV(x: v128): v128 {
  // Past these bounds the result is already 0 or Inf; clamping keeps n in range. pmin/pmax
  // (b < a ? b : a) are single instructions, unlike min/max, and with x first NaN passes.
  x = f64x2.pmax(f64x2.pmin(x, f64x2.splat(710.0)), f64x2.splat(-746.0));
  const n = f64x2.nearest(f64x2.mul(x, f64x2.splat(LOG2E)));
  const r = f64x2.sub(f64x2.sub(x, f64x2.mul(n, f64x2.splat(LN2_HI))), f64x2.mul(n, f64x2.splat(LN2_LO)));
  const p = f64x2.add(f64x2.add(expm1Tail(r), r), f64x2.splat(1.0));
  const n1 = f64x2.floor(f64x2.mul(n, f64x2.splat(0.5)));
  const n2 = f64x2.sub(n, n1);
  return f64x2.mul(f64x2.mul(p, pow2(n1)), pow2(n2));
}

/** e^x − 1 for −40 ≤ x ≤ 40 (lanes outside that range are not handled). */
// @ts-ignore: decorator
@inline export function expm1SmallV(x: v128): v128 {
  const n = f64x2.nearest(f64x2.mul(x, f64x2.splat(LOG2E)));
  const r = f64x2.sub(f64x2.sub(x, f64x2.mul(n, f64x2.splat(LN2_HI))), f64x2.mul(n, f64x2.splat(LN2_LO)));
  const q = f64x2.add(expm1Tail(r), r); // expm1(r)
  const s = pow2(n);
  return f64x2.add(f64x2.mul(s, q), f64x2.sub(s, f64x2.splat(1.0)));
}
