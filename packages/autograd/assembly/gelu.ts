/**
 * GELU and its derivative on float32 (ops/gelu.ts is the op; the cpu kernels in
 * src/backend/cpu/gelu-kernels.ts are the oracle). Exact form: Φ(x) = ½·erfc(−x/√2) from
 * math32.ts's erfc, so the lower tail keeps its relative precision; tanh form over
 * activations.ts's tanh. Buffers are padded to whole vectors by the host. float64 runs the cpu
 * kernels (see src/backend/wasm/gelu.ts).
 */

import { tanhOf } from "./activations";
import { expV32, erfcAbsV32, erfV32 } from "./math32";

const SQRT1_2: f32 = 0.70710678118654752;
const INV_SQRT_2PI: f32 = 0.39894228040143268;
const SQRT_2_OVER_PI: f32 = 0.79788456080286536;
const TANH_C: f32 = 0.044715;

/** Φ(x), given e = e^{−x²/2}: ½·erfc(|x|/√2) below zero, 1 − that above. */
// @ts-ignore: decorator
@inline function normalCdf32(x: v128, e: v128): v128 {
  const half = f32x4.mul(f32x4.splat(0.5), erfcAbsV32(f32x4.mul(x, f32x4.splat(SQRT1_2)), e));
  return v128.bitselect(half, f32x4.sub(f32x4.splat(1.0), half), f32x4.lt(x, f32x4.splat(0.0)));
}

/** e^{−x²/2} (the normal density without its 1/√(2π)). */
// @ts-ignore: decorator
@inline function gauss32(x: v128): v128 {
  return expV32(f32x4.mul(f32x4.mul(x, x), f32x4.splat(-0.5)));
}

/** u = √(2/π)(x + 0.044715x³), the tanh form's argument. */
// @ts-ignore: decorator
@inline function tanhArg32(x: v128): v128 {
  const x3 = f32x4.mul(f32x4.mul(x, x), x);
  return f32x4.mul(f32x4.add(x, f32x4.mul(x3, f32x4.splat(TANH_C))), f32x4.splat(SQRT_2_OVER_PI));
}

/** out = gelu(x) for n float32 values (byte addresses); tanhForm ≠ 0 picks the tanh approximation. */
export function geluF32(x: usize, out: usize, n: i32, tanhForm: i32): void {
  const end = x + (<usize>n << 2);
  const d = out - x;
  if (tanhForm != 0) {
    for (let p = x; p < end; p += 16) {
      const v = v128.load(p);
      const t = tanhOf<f32>(tanhArg32(v));
      v128.store(p + d, f32x4.mul(f32x4.mul(v, f32x4.splat(0.5)), f32x4.add(t, f32x4.splat(1.0))));
    }
    return;
  }
  for (let p = x; p < end; p += 16) {
    const v = v128.load(p);
    v128.store(p + d, f32x4.mul(v, normalCdf32(v, gauss32(v))));
  }
}

/**
 * out = g·gelu′(x): Φ(x) + x·φ(x) exactly, or ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²)
 * with t = tanh(u) for the tanh form.
 */
export function geluBackwardF32(g: usize, x: usize, out: usize, n: i32, tanhForm: i32): void {
  const end = x + (<usize>n << 2);
  const dg = g - x;
  const d = out - x;
  if (tanhForm != 0) {
    for (let p = x; p < end; p += 16) {
      const v = v128.load(p);
      const t = tanhOf<f32>(tanhArg32(v));
      const du = f32x4.mul(f32x4.add(f32x4.splat(1.0), f32x4.mul(f32x4.mul(v, v), f32x4.splat(3 * TANH_C))), f32x4.splat(SQRT_2_OVER_PI));
      const sech2 = f32x4.sub(f32x4.splat(1.0), f32x4.mul(t, t));
      const deriv = f32x4.mul(f32x4.splat(0.5), f32x4.add(f32x4.add(f32x4.splat(1.0), t), f32x4.mul(f32x4.mul(v, sech2), du)));
      v128.store(p + d, f32x4.mul(v128.load(p + dg), deriv));
    }
    return;
  }
  for (let p = x; p < end; p += 16) {
    const v = v128.load(p);
    const e = gauss32(v);
    const deriv = f32x4.add(normalCdf32(v, e), f32x4.mul(v, f32x4.mul(e, f32x4.splat(INV_SQRT_2PI))));
    v128.store(p + d, f32x4.mul(v128.load(p + dg), deriv));
  }
}

/** In place: erf of n float32 values at p. */
export function erfF32(p: usize, n: i32): void {
  const end = p + (<usize>n << 2);
  for (let q = p; q < end; q += 16) v128.store(q, erfV32(v128.load(q)));
}
