/**
 * Vector transcendental functions on f32x4 for float32 data: four lanes per instruction instead
 * of math.ts's two, and no widening. Each result is within a few float32 ulps of the float64
 * function rounded to float32 (what the cpu backend computes); the parity tests bound the error.
 *
 * exp: x = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite: ln2 split into a high part with 9 significant
 * bits, so n·LN2_HI is exact for |n| < 2^15, and a low part), e^r = 1 + r + r²·Σ_{i=2..7} r^{i−2}/i!
 * (truncation < 6e-9 relative, a tenth of float32's half-ulp), then 2^n applied as two factors
 * 2^n1·2^n2 so that subnormal results round once.
 */

const LOG2E: f32 = 1.44269504;
const LN2_HI: f32 = 0.693359375; // 355/512
const LN2_LO: f32 = -2.12194440e-4; // ln2 − LN2_HI

/**
 * e^r − 1 − r for |r| ≤ ln2/2: r²·(1/2! + r/3! + … + r⁵/7!) by Estrin's scheme (pairs, then
 * powers of r²), a dependency chain of 5 operations instead of Horner's 12.
 */
// @ts-ignore: decorator
@inline function expm1Tail32(r: v128): v128 {
  const r2 = f32x4.mul(r, r);
  const p0 = f32x4.add(f32x4.splat(0.5), f32x4.mul(r, f32x4.splat(<f32>(1.0 / 6.0))));
  const p1 = f32x4.add(f32x4.splat(<f32>(1.0 / 24.0)), f32x4.mul(r, f32x4.splat(<f32>(1.0 / 120.0))));
  const p2 = f32x4.add(f32x4.splat(<f32>(1.0 / 720.0)), f32x4.mul(r, f32x4.splat(<f32>(1.0 / 5040.0))));
  const q = f32x4.add(p0, f32x4.mul(r2, f32x4.add(p1, f32x4.mul(r2, p2))));
  return f32x4.mul(r2, q);
}

const ROUND_MAGIC: f32 = 12582912.0; // 1.5·2^23: adding it rounds to an integer held in the low mantissa bits
const ROUND_MAGIC_BITS: i32 = 0x4b400000; // its bit pattern: subtracting it leaves that integer

/**
 * x·log2(e) rounded to the nearest integer, as f32 lanes (n) and i32 lanes (ni), by one add of
 * ROUND_MAGIC (|x·log2 e| < 2^22). Callers read both through `n` and `ni` below.
 */
// @ts-ignore: decorator
@inline function roundedLog2(x: v128): v128 {
  return f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(ROUND_MAGIC));
}

// @ts-ignore: decorator
@inline function asFloat(rounded: v128): v128 {
  return f32x4.sub(rounded, f32x4.splat(ROUND_MAGIC));
}

// @ts-ignore: decorator
@inline function asInt(rounded: v128): v128 {
  return i32x4.sub(rounded, i32x4.splat(ROUND_MAGIC_BITS));
}

/** r = x − n·ln2 in two steps (n·LN2_HI is exact). */
// @ts-ignore: decorator
@inline function remainder32(x: v128, n: v128): v128 {
  return f32x4.sub(f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI))), f32x4.mul(n, f32x4.splat(LN2_LO)));
}

/** 2^k for i32 lanes k in [-126, 127] (k + 127 lands in the exponent field). */
// @ts-ignore: decorator
@inline function pow2f(k: v128): v128 {
  return i32x4.shl(i32x4.add(k, i32x4.splat(127)), 23);
}

/** e^x, lane-wise; ±Inf and NaN as Math.exp. */
// @ts-ignore: decorator
@inline export function expV32(x: v128): v128 {
  // Past these bounds the float32 result is already 0 or Inf; clamping keeps n in [-150, 129].
  // pmin/pmax with x first let NaN through.
  x = f32x4.pmax(f32x4.pmin(x, f32x4.splat(89.0)), f32x4.splat(-104.0));
  const rounded = roundedLog2(x);
  const r = remainder32(x, asFloat(rounded));
  const p = f32x4.add(f32x4.add(expm1Tail32(r), r), f32x4.splat(1.0));
  // 2^n as 2^n1·2^n2 with n1 = floor(n/2): both factors are normal floats, so a subnormal
  // result rounds once, in the last multiply.
  const n = asInt(rounded);
  const n1 = i32x4.shr_s(n, 1);
  return f32x4.mul(f32x4.mul(p, pow2f(n1)), pow2f(i32x4.sub(n, n1)));
}

/** e^x − 1 for −40 ≤ x ≤ 40: 2^n·expm1(r) + (2^n − 1), exact for n = 0 (small x keep their precision). */
// @ts-ignore: decorator
@inline export function expm1SmallV32(x: v128): v128 {
  const rounded = roundedLog2(x);
  const r = remainder32(x, asFloat(rounded));
  const q = f32x4.add(expm1Tail32(r), r);
  const s = pow2f(asInt(rounded));
  return f32x4.add(f32x4.mul(s, q), f32x4.sub(s, f32x4.splat(1.0)));
}

/*
 * erf and erfc on f32x4. Coefficients fitted here (least squares in relative error at 2000
 * Chebyshev nodes, numpy, against Python's math.erf/erfc), not taken from a library:
 *   |z| < 1:  erf(z) = z·P(z²), P of degree 6, relative error 1.4e-9;
 *   1 ≤ z ≤ 10: erfc(z) = e^{−z²}·R(t), t = 1/(1 + z/2), R of degree 8, relative error 7.8e-9.
 * Both are well under float32's half ulp (6e-8); what remains is the rounding of the float32
 * operations, chiefly of z² in e^{−z²} (the parity test bounds the total).
 */

/** z·P(z²) ≈ erf(z) for |z| < 1. */
// @ts-ignore: decorator
@inline function erfSmall32(z: v128): v128 {
  const s = f32x4.mul(z, z);
  let p = f32x4.splat(<f32>7.8982101209698619e-05);
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(<f32>-8.0243540996445539e-04));
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(<f32>5.1900535740297682e-03));
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(<f32>-2.6854808534790719e-02));
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(<f32>1.1283612428167550e-01));
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(<f32>-3.7612628843314205e-01));
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(<f32>1.1283791665100469e+00));
  return f32x4.mul(z, p);
}

/** R(t) with e^{−z²}·R(t) ≈ erfc(z), t = 1/(1 + z/2), for 1 ≤ z ≤ 10. */
// @ts-ignore: decorator
@inline function erfcTailFactor32(z: v128): v128 {
  const t = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), f32x4.mul(z, f32x4.splat(0.5))));
  let p = f32x4.splat(<f32>8.4268388022963728e-02);
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(<f32>-1.9590767006211476e-01));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(<f32>3.9934132992587378e-02));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(<f32>9.4054298351709947e-02));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(<f32>1.6322765178609253e-01));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(<f32>2.5149260689166963e-01));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(<f32>2.8124395394885848e-01));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(<f32>2.8217542824752473e-01));
  return f32x4.add(f32x4.mul(p, t), f32x4.splat(<f32>-3.1441412735708424e-06));
}

/**
 * erfc(|z|) for lanes z, given e = e^{−z²} (callers often need e themselves): 1 − erf for
 * |z| < 1, e·R beyond (|z| clamped to 10, past which erfc is below float32's smallest value).
 * NaN lanes give NaN.
 */
// @ts-ignore: decorator
@inline export function erfcAbsV32(z: v128, e: v128): v128 {
  const a = f32x4.abs(z);
  const small = f32x4.lt(a, f32x4.splat(1.0));
  const near = f32x4.sub(f32x4.splat(1.0), erfSmall32(a));
  const far = f32x4.mul(e, erfcTailFactor32(f32x4.pmin(f32x4.pmax(a, f32x4.splat(1.0)), f32x4.splat(10.0))));
  return v128.bitselect(near, far, small);
}

/** erf(z), lane-wise: z·P(z²) below |z| = 1, ±(1 − erfc(|z|)) above; ±0 and NaN pass. */
// @ts-ignore: decorator
@inline export function erfV32(z: v128): v128 {
  const a = f32x4.abs(z);
  const small = f32x4.lt(a, f32x4.splat(1.0));
  const c = f32x4.pmin(f32x4.pmax(a, f32x4.splat(1.0)), f32x4.splat(10.0));
  const far = f32x4.sub(f32x4.splat(1.0), f32x4.mul(expV32(f32x4.neg(f32x4.mul(c, c))), erfcTailFactor32(c)));
  const signed = v128.or(far, v128.and(z, f32x4.splat(-0.0))); // copysign(far, z)
  const r = v128.bitselect(erfSmall32(z), signed, small);
  return v128.bitselect(z, r, f32x4.ne(z, z)); // NaN passes
}
