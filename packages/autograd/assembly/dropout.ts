/**
 * Inverted dropout with given uniform noise (ops/dropout.ts): out = x·(u < threshold ? scale : 0),
 * with no branch: the compare's lane mask ANDed with the splatted scale gives scale or +0, and
 * x·(+0) is what the cpu kernel (cpu/dropout-kernels.ts) computes for a dropped element (−0 for
 * a negative x, NaN for NaN or ±∞), so results are identical to it. Whole vectors: the host pads
 * n up to 4 (f32) or 2 (f64) values. out may equal x.
 */

/** float32: n values of x and u from byte addresses x, u into out. */
export function dropoutF32(x: usize, u: usize, out: usize, n: i32, threshold: f32, scale: f32): void {
  const t = f32x4.splat(threshold);
  const s = f32x4.splat(scale);
  const bytes = <usize>n << 2;
  for (let i: usize = 0; i < bytes; i += 16) {
    const keep = f32x4.lt(v128.load(u + i), t);
    v128.store(out + i, f32x4.mul(v128.load(x + i), v128.and(keep, s)));
  }
}

/** float64: as dropoutF32. */
export function dropoutF64(x: usize, u: usize, out: usize, n: i32, threshold: f64, scale: f64): void {
  const t = f64x2.splat(threshold);
  const s = f64x2.splat(scale);
  const bytes = <usize>n << 3;
  for (let i: usize = 0; i < bytes; i += 16) {
    const keep = f64x2.lt(v128.load(u + i), t);
    v128.store(out + i, f64x2.mul(v128.load(x + i), v128.and(keep, s)));
  }
}
