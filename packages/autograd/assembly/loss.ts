/**
 * The binary cross entropy and its input gradient over buffers the host has copied in
 * (src/backend/wasm/loss.ts), every value widened to f64 lanes and rounded once to T on store, as
 * the cpu kernels (backend/cpu/loss-kernels.ts) compute. Written for T = f32 or f64; only float32
 * is exported (float64 runs the cpu kernels, to keep the inlined module small):
 * - forward: −(y·max(log p, −100) + (1 − y)·max(log1p(−p), −100)), with an f64x2 log (musl's,
 *   after fdlibm: < 1 ulp) and log1p(x) = log(u)·x/(u − 1), u = 1 + x (Goldberg's: a few ulps,
 *   and the relative precision of log1p for tiny x). Within 2 float32 ulps of the cpu's.
 * - gradient: g·(p − y) / max(p·(1 − p), 1e-12), the cpu's operations in its order: its results.
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

// musl's log (src/math/log.c, from fdlibm's e_log.c) on f64x2 lanes.
const LN2_HI: f64 = 6.93147180369123816490e-01;
const LN2_LO: f64 = 1.90821492927058770002e-10;
const LG1: f64 = 6.666666666666735130e-01;
const LG2: f64 = 3.999999999940941908e-01;
const LG3: f64 = 2.857142874366239149e-01;
const LG4: f64 = 2.222219843214978396e-01;
const LG5: f64 = 1.818357216161805012e-01;
const LG6: f64 = 1.531383769920937332e-01;
const LG7: f64 = 1.479819860511658591e-01;

/**
 * ln x in f64x2 lanes: x = 2^k·(1 + f) with 1 + f in [√2/2, √2), s = f/(2 + f),
 * ln(1 + f) = f − f²/2 + s·(f²/2 + R(s²)); subnormals scaled by 2^54 first; ln 0 = −∞,
 * ln(x < 0) = NaN, ln ∞ = ∞, NaN passes.
 */
function logV(x: v128): v128 { // not inlined: one copy for both dtypes and log1pV (the bundle's size)
  const tiny = f64x2.lt(x, f64x2.splat(2.2250738585072014e-308));
  const xs = f64x2.mul(x, v128.bitselect(f64x2.splat(18014398509481984.0), f64x2.splat(1), tiny)); // 2^54
  // move the exponent so that the mantissa's range starts at √2/2 (high word 0x3fe6a09e)
  const ix = i64x2.add(xs, i64x2.splat(<i64>(0x3ff00000 - 0x3fe6a09e) << 32));
  const k = i64x2.sub(i64x2.shr_s(ix, 52), i64x2.splat(0x3ff));
  const m = i64x2.add(v128.and(ix, i64x2.splat(0x000fffffffffffff)), i64x2.splat(<i64>0x3fe6a09e << 32));
  const f = f64x2.sub(m, f64x2.splat(1));
  const dk = f64x2.sub(f64x2.convert_low_i32x4_s(v128.shuffle<i32>(k, k, 0, 2, 0, 2)), v128.and(tiny, f64x2.splat(54)));
  const hfsq = f64x2.mul(f64x2.splat(0.5), f64x2.mul(f, f));
  const s = f64x2.div(f, f64x2.add(f64x2.splat(2), f));
  const z = f64x2.mul(s, s);
  const w = f64x2.mul(z, z);
  const t1 = f64x2.mul(w, f64x2.add(f64x2.splat(LG2), f64x2.mul(w, f64x2.add(f64x2.splat(LG4), f64x2.mul(w, f64x2.splat(LG6))))));
  const t2 = f64x2.mul(z, f64x2.add(f64x2.splat(LG1), f64x2.mul(w, f64x2.add(f64x2.splat(LG3), f64x2.mul(w, f64x2.add(f64x2.splat(LG5), f64x2.mul(w, f64x2.splat(LG7))))))));
  const r = f64x2.add(t2, t1);
  // s·(hfsq + R) + k·ln2_lo − hfsq + f + k·ln2_hi, in musl's order
  let y = f64x2.add(f64x2.mul(s, f64x2.add(hfsq, r)), f64x2.mul(dk, f64x2.splat(LN2_LO)));
  y = f64x2.add(f64x2.add(f64x2.sub(y, hfsq), f), f64x2.mul(dk, f64x2.splat(LN2_HI)));
  // special values: x = 0 → −∞; x < 0 or NaN → NaN; x = ∞ → ∞
  y = v128.bitselect(f64x2.splat(-Infinity), y, f64x2.eq(x, f64x2.splat(0)));
  y = v128.bitselect(f64x2.splat(NaN), y, v128.not(f64x2.ge(x, f64x2.splat(0))));
  return v128.bitselect(x, y, f64x2.eq(x, f64x2.splat(Infinity)));
}

/** ln(1 + x) as ln(u)·x/(u − 1) with u = 1 + x rounded (Goldberg), x itself where u = 1. */
// @ts-ignore: decorator
@inline function log1pV(x: v128): v128 {
  const u = f64x2.add(f64x2.splat(1), x);
  const um1 = f64x2.sub(u, f64x2.splat(1));
  const exact = f64x2.eq(um1, f64x2.splat(0));
  // u = ∞ (x = ∞): ln(u)·x/(u − 1) is ∞·∞/∞ = NaN, log1p says ∞
  const r = v128.bitselect(u, f64x2.div(f64x2.mul(logV(u), x), um1), f64x2.eq(u, f64x2.splat(Infinity)));
  return v128.bitselect(x, r, exact);
}

/** Lanes where v lies in [0, 1] (all ones), others (NaN too) all zeros. */
// @ts-ignore: decorator
@inline function inUnit(v: v128): v128 {
  return v128.and(f64x2.ge(v, f64x2.splat(0)), f64x2.le(v, f64x2.splat(1)));
}

/**
 * −(y·max(ln p, −100) + (1 − y)·max(ln(1 − p), −100)) over n values (padded to an even count);
 * returns 1 when every p and y of the n lies in [0, 1] (NaN does not), else 0.
 */
// @ts-ignore: decorator
@inline function bce<T>(p: usize, y: usize, out: usize, n: i32): i32 {
  const sh: usize = sizeof<T>() == 4 ? 2 : 3;
  const floor = f64x2.splat(-100);
  const one = f64x2.splat(1);
  let ok = i64x2.splat(-1); // lanes stay all ones while every value seen is in range
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << sh;
    const pv = load2<T>(p + o);
    const yv = load2<T>(y + o);
    ok = v128.and(ok, v128.and(inUnit(pv), inUnit(yv)));
    const logP = f64x2.max(logV(pv), floor); // max propagates NaN, as Math.max
    const log1mP = f64x2.max(log1pV(f64x2.neg(pv)), floor);
    store2<T>(out + o, f64x2.neg(f64x2.add(f64x2.mul(yv, logP), f64x2.mul(f64x2.sub(one, yv), log1mP))));
  }
  if (i < n) {
    // an odd n: the last pair's second lane is padding, computed but not checked
    const o = <usize>i << sh;
    const pv = load2<T>(p + o);
    const yv = load2<T>(y + o);
    if (i64x2.extract_lane(v128.and(inUnit(pv), inUnit(yv)), 0) == 0) ok = i64x2.splat(0);
    const logP = f64x2.max(logV(pv), floor);
    const log1mP = f64x2.max(log1pV(f64x2.neg(pv)), floor);
    store2<T>(out + o, f64x2.neg(f64x2.add(f64x2.mul(yv, logP), f64x2.mul(f64x2.sub(one, yv), log1mP))));
  }
  return i64x2.all_true(ok) ? 1 : 0;
}

/**
 * Binary cross entropy of n float32 values; out may equal p or y. Stores 0 (an i32) at `flag`
 * when some p or y is outside [0, 1], and leaves it alone otherwise: threads splitting one call
 * share one flag, which the host set to 1.
 */
export function bceF32(p: usize, y: usize, out: usize, n: i32, flag: usize): void {
  if (bce<f32>(p, y, out, n) == 0) store<i32>(flag, 0);
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
