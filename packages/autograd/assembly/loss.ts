import { logV32 } from "./math32";

/**
 * The binary cross entropy and its input gradient over float32 buffers the host has copied in
 * (src/backend/wasm/loss.ts); float64 runs the cpu kernels (backend/cpu/loss-kernels.ts), to keep
 * the inlined module small.
 * - forward: −(y·max(ln p, −100) + (1 − y)·max(ln(1 − p), −100)), the cpu's float64 formula, with
 *   the two logs taken in float32 lanes (fdlibm's logf, < 1 ulp: math32.ts) four at a time and
 *   the rest in f64 lanes, rounded once to float32; ln(1 − p) by Goldberg's log1p(x) =
 *   ln(u)·x/(u − 1), u = 1 + x, so tiny p keep their relative precision. Within 1 float32 ulp of
 *   the cpu's where y is 0 or 1, 2 otherwise (test/backends/loss-parity.test.ts).
 * - gradient: g·(p − y) / max(p·(1 − p), 1e-12) in f64 lanes, the cpu's operations in its
 *   order: its results.
 */

/** Two values of T at p, widened to f64x2. */
// @ts-ignore: decorator
@inline function load2<T>(p: usize): v128 {
  return sizeof<T>() == 4 ? f64x2.promote_low_f32x4(v128.load64_zero(p)) : v128.load(p);
}

/** Stores f64x2 v at p as two values of T. */
// @ts-ignore: decorator
@inline function store2<T>(p: usize, v: v128): void {
  if (sizeof<T>() == 4) v128.store64_lane(p, f32x4.demote_f64x2_zero(v), 0);
  else v128.store(p, v);
}

/** Lanes where v lies in [0, 1] (all ones), others (NaN too) all zeros. */
// @ts-ignore: decorator
@inline function inUnit(v: v128): v128 {
  return v128.and(f32x4.ge(v, f32x4.splat(0)), f32x4.le(v, f32x4.splat(1)));
}

/** The low two f32 lanes of v widened to f64x2. */
// @ts-ignore: decorator
@inline function low(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

/** The high two f32 lanes of v widened to f64x2. */
// @ts-ignore: decorator
@inline function high(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<i32>(v, v, 2, 3, 2, 3));
}

/**
 * Two lanes of the loss in f64, from float32 lanes widened: ln p, u = 1 − p (rounded to float32)
 * and ln u (float32 logs), p and y. ln(1 − p) is Goldberg's ln(u)·(−p)/(u − 1), where u − 1 is
 * exact: the ratio corrects u's rounding, so tiny p keep their relative precision; −p itself
 * where u = 1.
 */
// @ts-ignore: decorator
@inline function bcePair(logP: v128, u: v128, logU: v128, p: v128, y: v128): v128 {
  const floor = f64x2.splat(-100);
  const one = f64x2.splat(1);
  const um1 = f64x2.sub(u, one);
  const negP = f64x2.neg(p);
  // p = 1: u = 0, ln u = −∞, and −∞·(−1)/(−1) = −∞, clamped to −100 (max propagates NaN, as Math.max)
  const log1mP = f64x2.max(v128.bitselect(negP, f64x2.div(f64x2.mul(logU, negP), um1), f64x2.eq(um1, f64x2.splat(0))), floor);
  return f64x2.neg(f64x2.add(f64x2.mul(y, f64x2.max(logP, floor)), f64x2.mul(f64x2.sub(one, y), log1mP)));
}

/**
 * Binary cross entropy of n float32 values; out may equal p or y. Stores 0 (an i32) at `flag`
 * when some p or y is outside [0, 1], and leaves it alone otherwise: threads splitting one call
 * share one flag, which the host set to 1. The host pads to whole vectors of four; the last
 * vector's padding lanes are computed but not checked.
 */
export function bceF32(p: usize, y: usize, out: usize, n: i32, flag: usize): void {
  let ok = i32x4.splat(-1); // lanes stay all ones while every value seen is in range
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    const pv = v128.load(p + o);
    const yv = v128.load(y + o);
    const valid = i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(n - i));
    ok = v128.and(ok, v128.or(v128.not(valid), v128.and(inUnit(pv), inUnit(yv))));
    const logP = logV32(pv);
    const u = f32x4.sub(f32x4.splat(1), pv);
    const logU = logV32(u);
    const lo = bcePair(low(logP), low(u), low(logU), low(pv), low(yv));
    const hi = bcePair(high(logP), high(u), high(logU), high(pv), high(yv));
    v128.store(out + o, v128.shuffle<i32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
  }
  if (!i32x4.all_true(ok)) store<i32>(flag, 0);
}


/**
 * n values (rounded up to an even count: the host pads to whole vectors); g is one value for
 * every element when gScalar (the gradient of a sum), else read whole. out may equal p.
 */
// @ts-ignore: decorator
@inline function bceBackward<T>(g: usize, p: usize, y: usize, out: usize, n: i32, gScalar: bool): void {
  const sh: usize = sizeof<T>() == 4 ? 2 : 3;
  const eps = f64x2.splat(1e-12);
  const one = f64x2.splat(1);
  const gs = f64x2.splat(<f64>load<T>(g));
  for (let i = 0; i < n; i += 2) {
    const o = <usize>i << sh;
    const pv = load2<T>(p + o);
    const gv = gScalar ? gs : load2<T>(g + o);
    const num = f64x2.mul(gv, f64x2.sub(pv, load2<T>(y + o)));
    store2<T>(out + o, f64x2.div(num, f64x2.max(f64x2.mul(pv, f64x2.sub(one, pv)), eps)));
  }
}

/** binaryCrossEntropy's input gradient over n float32 values. */
export function bceBackwardF32(g: usize, p: usize, y: usize, out: usize, n: i32, gScalar: bool): void {
  bceBackward<f32>(g, p, y, out, n, gScalar);
}
