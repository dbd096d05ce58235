/**
 * Row gather and row scatter-add along one dim over buffers the host has copied in
 * (src/backend/wasm/index-rows.ts), the wasm kernels of `indexSelect` and `indexAdd` (an
 * embedding and its gradient). Operands are read as [outer, size, inner] around the dim, so one
 * index moves `outer` runs of `inner` elements. Indices are trusted (the op layer checked them).
 */

/** out[o, i, :] = x[o, idx[i], :], rows of `rowBytes` bytes (any dtype): one memory.copy per row. */
export function indexSelectRows(x: usize, idx: usize, out: usize, outer: i32, size: i32, n: i32, rowBytes: i32): void {
  const rb = <usize>rowBytes;
  let to = out;
  for (let o = 0; o < outer; o++) {
    const xo = x + <usize>o * <usize>size * rb;
    for (let i = 0; i < n; i++, to += rb) memory.copy(to, xo + <usize>load<i32>(idx + (<usize>i << 2)) * rb, rb);
  }
}

/**
 * out[o, idx[i], :] += alpha·src[o, i, :] for T = f32 (written for f64 too; float64 runs the cpu
 * kernel, to keep the inlined module small), as the cpu kernel: alpha = 1 adds
 * in T (one rounding, as JS's float64 add rounded to float32: double rounding is exact for +);
 * otherwise alpha·src is formed in f64 and rounded to T before the add.
 */
// @ts-ignore: decorator
@inline function indexAddRows<T>(out: usize, idx: usize, src: usize, outer: i32, size: i32, n: i32, inner: i32, alpha: f64): void {
  const sh: usize = sizeof<T>() == 4 ? 2 : 3;
  const lanes = 16 >> (<i32>sh);
  const rowBytes = <usize>inner << sh;
  const one = alpha == 1;
  const av = f64x2.splat(alpha);
  let from = src;
  for (let o = 0; o < outer; o++) {
    const oo = out + <usize>o * <usize>size * rowBytes;
    for (let i = 0; i < n; i++, from += rowBytes) {
      const to = oo + <usize>load<i32>(idx + (<usize>i << 2)) * rowBytes;
      let c = 0;
      for (; c + lanes <= inner; c += lanes) {
        const p = <usize>c << sh;
        let s = v128.load(from + p);
        if (!one) {
          if (sizeof<T>() == 4) {
            const lo = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.promote_low_f32x4(s), av));
            const hi = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<i32>(s, s, 2, 3, 0, 1)), av));
            s = v128.shuffle<i32>(lo, hi, 0, 1, 4, 5);
          } else {
            s = f64x2.mul(s, av);
          }
        }
        v128.store(to + p, v128.add<T>(v128.load(to + p), s));
      }
      for (; c < inner; c++) {
        const p = <usize>c << sh;
        const s = one ? load<T>(from + p) : <T>(alpha * <f64>load<T>(from + p));
        store<T>(to + p, load<T>(to + p) + s);
      }
    }
  }
}

/** indexAdd's scatter-add on float32 rows. */
export function indexAddRowsF32(out: usize, idx: usize, src: usize, outer: i32, size: i32, n: i32, inner: i32, alpha: f64): void {
  indexAddRows<f32>(out, idx, src, outer, size, n, inner, alpha);
}
