/**
 * Fused optimizer steps. Every lane runs the same IEEE operations, in the same order, as the
 * op-by-op update through the elementwise kernels (each op rounding to the element type), so the
 * results are bit for bit those of the Tensor ops in nn's Adam and Adadelta — in one pass over the data
 * instead of a dozen. The host copies param, grad and both states in (padded to whole vectors).
 */

/** Flags of adamF32/adamF64. */
const MAXIMIZE: i32 = 1; // g ← −g
const DECOUPLED: i32 = 2; // AdamW: p ← p·decay first
const COUPLED: i32 = 4; // Adam's L2 term: g ← g + p·weightDecay
const LERP_UPPER: i32 = 8; // m ← g − (g − m)·(1 − w) (lerp's form for w ≥ 0.5), else m ← m + (g − m)·w

// Lane ops for element type T: f32x4 or f64x2.
// @ts-ignore: decorator
@inline function add<T>(a: v128, b: v128): v128 { return sizeof<T>() == 4 ? f32x4.add(a, b) : f64x2.add(a, b); }
// @ts-ignore: decorator
@inline function sub<T>(a: v128, b: v128): v128 { return sizeof<T>() == 4 ? f32x4.sub(a, b) : f64x2.sub(a, b); }
// @ts-ignore: decorator
@inline function mul<T>(a: v128, b: v128): v128 { return sizeof<T>() == 4 ? f32x4.mul(a, b) : f64x2.mul(a, b); }
// @ts-ignore: decorator
@inline function div<T>(a: v128, b: v128): v128 { return sizeof<T>() == 4 ? f32x4.div(a, b) : f64x2.div(a, b); }
// @ts-ignore: decorator
@inline function sqrt<T>(a: v128): v128 { return sizeof<T>() == 4 ? f32x4.sqrt(a) : f64x2.sqrt(a); }
// @ts-ignore: decorator
@inline function neg<T>(a: v128): v128 { return sizeof<T>() == 4 ? f32x4.neg(a) : f64x2.neg(a); }
// @ts-ignore: decorator
@inline function splat<T>(p: usize): v128 { return sizeof<T>() == 4 ? v128.load32_splat(p) : v128.load64_splat(p); }

/**
 * One Adam(W) step over n values of T at p, g, m, v (byte addresses; p, m, v updated in place).
 * Scalars at s, as T: [decay, weightDecay, lerp scalar (w, or 1 − w with LERP_UPPER), β2, 1 − β2,
 * √(1 − β2ᵗ), eps, −stepSize].
 */
// @ts-ignore: decorator
@inline function adamStep<T>(p: usize, g: usize, m: usize, v: usize, s: usize, n: i32, flags: i32): void {
  const size = <usize>sizeof<T>();
  const decay = splat<T>(s);
  const weightDecay = splat<T>(s + size);
  const lerpScalar = splat<T>(s + 2 * size);
  const beta2 = splat<T>(s + 3 * size);
  const oneMinusBeta2 = splat<T>(s + 4 * size);
  const biasCorrection2Sqrt = splat<T>(s + 5 * size);
  const eps = splat<T>(s + 6 * size);
  const negStepSize = splat<T>(s + 7 * size);
  const end = <usize>n * size;
  for (let i: usize = 0; i < end; i += 16) {
    let gv = v128.load(g + i);
    if (flags & MAXIMIZE) gv = neg<T>(gv);
    let pv = v128.load(p + i);
    if (flags & DECOUPLED) pv = mul<T>(pv, decay);
    else if (flags & COUPLED) gv = add<T>(gv, mul<T>(pv, weightDecay));
    let mv = v128.load(m + i);
    const diff = mul<T>(sub<T>(gv, mv), lerpScalar);
    mv = flags & LERP_UPPER ? sub<T>(gv, diff) : add<T>(mv, diff);
    const vv = add<T>(mul<T>(v128.load(v + i), beta2), mul<T>(mul<T>(gv, gv), oneMinusBeta2));
    const denom = add<T>(div<T>(sqrt<T>(vv), biasCorrection2Sqrt), eps);
    pv = add<T>(pv, mul<T>(div<T>(mv, denom), negStepSize));
    v128.store(p + i, pv);
    v128.store(m + i, mv);
    v128.store(v + i, vv);
  }
}

export function adamF32(p: usize, g: usize, m: usize, v: usize, s: usize, n: i32, flags: i32): void {
  adamStep<f32>(p, g, m, v, s, n, flags);
}

export function adamF64(p: usize, g: usize, m: usize, v: usize, s: usize, n: i32, flags: i32): void {
  adamStep<f64>(p, g, m, v, s, n, flags);
}

/**
 * One Adadelta step over n values of T at p, g, v (squareAvg), u (accDelta), in place on p, v, u
 * (byte addresses). Scalars at s, as T: [weightDecay, ρ, 1 − ρ, eps, −lr]. Flags: MAXIMIZE,
 * COUPLED. The op-by-op update's operations in its order: g² rounded, ρ·v and (1 − ρ)·g² rounded
 * before their sum, √(u + eps)/√(v + eps) before the product with g.
 */
// @ts-ignore: decorator
@inline function adadeltaStep<T>(p: usize, g: usize, v: usize, u: usize, s: usize, n: i32, flags: i32): void {
  const size = <usize>sizeof<T>();
  const weightDecay = splat<T>(s);
  const rho = splat<T>(s + size);
  const oneMinusRho = splat<T>(s + 2 * size);
  const eps = splat<T>(s + 3 * size);
  const negLr = splat<T>(s + 4 * size);
  const end = <usize>n * size;
  for (let i: usize = 0; i < end; i += 16) {
    let gv = v128.load(g + i);
    if (flags & MAXIMIZE) gv = neg<T>(gv);
    let pv = v128.load(p + i);
    if (flags & COUPLED) gv = add<T>(gv, mul<T>(pv, weightDecay));
    const vv = add<T>(mul<T>(v128.load(v + i), rho), mul<T>(mul<T>(gv, gv), oneMinusRho));
    const std = sqrt<T>(add<T>(vv, eps));
    let uv = v128.load(u + i);
    const delta = mul<T>(div<T>(sqrt<T>(add<T>(uv, eps)), std), gv);
    uv = add<T>(mul<T>(uv, rho), mul<T>(mul<T>(delta, delta), oneMinusRho));
    pv = add<T>(pv, mul<T>(delta, negLr));
    v128.store(p + i, pv);
    v128.store(v + i, vv);
    v128.store(u + i, uv);
  }
}

export function adadeltaF32(p: usize, g: usize, v: usize, u: usize, s: usize, n: i32, flags: i32): void {
  adadeltaStep<f32>(p, g, v, u, s, n, flags);
}

export function adadeltaF64(p: usize, g: usize, v: usize, u: usize, s: usize, n: i32, flags: i32): void {
  adadeltaStep<f64>(p, g, v, u, s, n, flags);
}
