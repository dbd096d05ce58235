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


// fdlibm's logf constants, as their exact float32 bit patterns.
const LOG_LN2_HI: f32 = reinterpret<f32>(0x3f317180); // ln 2's high part: k·LOG_LN2_HI is exact
const LOG_LN2_LO: f32 = reinterpret<f32>(0x3717f7d1);
const LG1: f32 = reinterpret<f32>(0x3f2aaaaa); // 0.66666662693
const LG2: f32 = reinterpret<f32>(0x3eccce13); // 0.40000972152
const LG3: f32 = reinterpret<f32>(0x3e91e9ee); // 0.28498786688
const LG4: f32 = reinterpret<f32>(0x3e789e26); // 0.24279078841

/**
 * ln x on f32x4 lanes, fdlibm's e_logf.c without its branches (< 1 ulp): x = 2^k·(1 + f) with
 * 1 + f in [√2/2, √2) (subnormals scaled by 2^25 first), s = f/(2 + f), z = s²,
 * R = z·(Lg1 + z²·Lg3) + z²·(Lg2 + z²·Lg4) ≈ (ln(1 + f) − f + f²/2)/… and
 * ln x = k·ln2_hi − ((f²/2 − (s·(f²/2 + R) + k·ln2_lo)) − f), or for mantissas near 1 (where
 * f²/2 carries no weight) k·ln2_hi − ((s·(f − R) − k·ln2_lo) − f): fdlibm picks per value, so
 * does each lane. ln 0 = −∞, ln(x < 0) = NaN, ln ∞ = ∞, NaN passes.
 */
export function logV32(x: v128): v128 { // not inlined: the module's size
  const tiny = f32x4.lt(x, f32x4.splat(1.17549435e-38)); // below the smallest normal (zero, negatives too)
  const xs = f32x4.mul(x, v128.bitselect(f32x4.splat(33554432), f32x4.splat(1), tiny)); // 2^25
  const ix = v128.and(xs, i32x4.splat(0x007fffff)); // the mantissa bits
  // i: 2^23 when the mantissa is ≥ √2 (0x3504f3): then x's mantissa is halved and k is one more
  const i = v128.and(i32x4.add(ix, i32x4.splat(0x95f64 << 3)), i32x4.splat(0x800000));
  const k = i32x4.add(i32x4.sub(i32x4.sub(i32x4.shr_u(xs, 23), i32x4.splat(127)), v128.and(tiny, i32x4.splat(25))), i32x4.shr_u(i, 23));
  const f = f32x4.sub(v128.or(ix, v128.xor(i, i32x4.splat(0x3f800000))), f32x4.splat(1));
  const dk = f32x4.convert_i32x4_s(k);
  const s = f32x4.div(f, f32x4.add(f32x4.splat(2), f));
  const z = f32x4.mul(s, s);
  const w = f32x4.mul(z, z);
  const t1 = f32x4.mul(w, f32x4.add(f32x4.splat(LG2), f32x4.mul(w, f32x4.splat(LG4))));
  const t2 = f32x4.mul(z, f32x4.add(f32x4.splat(LG1), f32x4.mul(w, f32x4.splat(LG3))));
  const r = f32x4.add(t2, t1);
  // fdlibm's test: (ix − 0x30d3d0) | (0x35c288 − ix) > 0, i.e. the mantissa bits in (0x30d3d0, 0x35c288)
  const wide = i32x4.gt_s(v128.or(i32x4.sub(ix, i32x4.splat(0x6147a << 3)), i32x4.sub(i32x4.splat(0x6b851 << 3), ix)), i32x4.splat(0));
  const hfsq = f32x4.mul(f32x4.mul(f32x4.splat(0.5), f), f);
  const klo = f32x4.mul(dk, f32x4.splat(LOG_LN2_LO));
  const khi = f32x4.mul(dk, f32x4.splat(LOG_LN2_HI));
  const yWide = f32x4.sub(khi, f32x4.sub(f32x4.sub(hfsq, f32x4.add(f32x4.mul(s, f32x4.add(hfsq, r)), klo)), f));
  const yNarrow = f32x4.sub(khi, f32x4.sub(f32x4.sub(f32x4.mul(s, f32x4.sub(f, r)), klo), f));
  let y = v128.bitselect(yWide, yNarrow, wide);
  // special values: x = 0 → −∞; x < 0 or NaN → NaN; x = ∞ → ∞
  y = v128.bitselect(f32x4.splat(-Infinity), y, f32x4.eq(x, f32x4.splat(0)));
  y = v128.bitselect(f32x4.splat(NaN), y, v128.not(f32x4.ge(x, f32x4.splat(0))));
  return v128.bitselect(x, y, f32x4.eq(x, f32x4.splat(Infinity)));
}
