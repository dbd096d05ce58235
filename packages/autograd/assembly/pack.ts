/**
 * Packing inside wasm, for operands the host could copy in with one memcpy (row- or
 * column-major blocks): the strided gather into strips runs here, with SIMD copies when the
 * strip's rows are adjacent in memory and 4×4 (f32) / 2×2 (f64) register transposes when each
 * row is contiguous along k. Layout as in matmul.ts: strip s holds, for p = 0..cols-1, the
 * `r` values x[s·r + i, p] (i = 0..r-1), zero past `rows`.
 *
 * src: element (i, p) at src + (i·rs + p·cs)·size; strides in elements, non-negative.
 */

/** Lanes 0..valid−1 all ones, the rest zero: keeps the first `valid` of four f32 lanes. */
// @ts-ignore: decorator
@inline function laneMask(valid: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(valid));
}

/**
 * Strips of r f32 rows (4 or 5 for A, 8 for B; see matmul.ts); rows past the last multiple of 4
 * go one by one. A last, partial strip is zero-padded to r rows.
 */
export function packF32(src: usize, dst: usize, rows: i32, cols: i32, rs: i32, cs: i32, r: i32): void {
  const strips = (rows + r - 1) / r;
  const r4 = r & ~3;
  for (let s = 0; s < strips; s++) {
    const i0 = s * r;
    const valid = min(r, rows - i0);
    const base = src + (<usize>(i0 * rs) << 2);
    const out = dst + (<usize>(s * cols * r) << 2);
    if (rs == 1) {
      // the r values of column p are adjacent: vector copies, lanes past `valid` masked to zero.
      // A partial strip's loads run r − valid values into the next column, so they stay inside
      // the matrix only before the last column and when a column is at least r long (cs ≥ r):
      // the rest go one value at a time.
      const vecCols = valid == r ? cols : cs >= r ? cols - 1 : 0;
      const csb = <usize>cs << 2;
      if (r == 8) {
        const m0 = laneMask(valid);
        const m1 = laneMask(valid - 4);
        let from = base;
        let to = out;
        for (let p = 0; p < vecCols; p++, from += csb, to += 32) {
          v128.store(to, v128.and(v128.load(from), m0));
          v128.store(to, v128.and(v128.load(from, 16), m1), 16);
        }
      } else {
        for (let p = 0; p < vecCols; p++) {
          const from = base + <usize>p * csb;
          const to = out + (<usize>(p * r) << 2);
          let i = 0;
          for (; i < r4; i += 4) v128.store(to + (<usize>i << 2), v128.and(v128.load(from + (<usize>i << 2)), laneMask(valid - i)));
          for (; i < r; i++) store<f32>(to + (<usize>i << 2), i < valid ? load<f32>(from + (<usize>i << 2)) : 0);
        }
      }
      for (let p = vecCols; p < cols; p++) {
        const to = out + (<usize>(p * r) << 2);
        for (let i = 0; i < r; i++) store<f32>(to + (<usize>i << 2), i < valid ? load<f32>(base + (<usize>(i + p * cs) << 2)) : 0);
      }
    } else if (cs == 1) {
      // each row is contiguous along p: transpose 4 rows × 4 columns at a time (missing rows of a
      // partial strip read as zero vectors)
      const rsb = <usize>rs << 2;
      const rb = <usize>r << 2;
      const zero = f32x4.splat(0);
      let p = 0;
      for (; p + 4 <= cols; p += 4) {
        for (let i = 0; i < r4; i += 4) {
          const row = base + (<usize>(i * rs + p) << 2);
          let a: v128, b: v128, c: v128, d: v128;
          if (i + 4 <= valid) {
            a = v128.load(row);
            b = v128.load(row + rsb);
            c = v128.load(row + 2 * rsb);
            d = v128.load(row + 3 * rsb);
          } else {
            a = i < valid ? v128.load(row) : zero;
            b = i + 1 < valid ? v128.load(row + rsb) : zero;
            c = i + 2 < valid ? v128.load(row + 2 * rsb) : zero;
            d = zero; // i + 3 < valid would be a whole group
          }
          const ab0 = v128.shuffle<i32>(a, b, 0, 4, 1, 5); // a0 b0 a1 b1
          const ab1 = v128.shuffle<i32>(a, b, 2, 6, 3, 7); // a2 b2 a3 b3
          const cd0 = v128.shuffle<i32>(c, d, 0, 4, 1, 5);
          const cd1 = v128.shuffle<i32>(c, d, 2, 6, 3, 7);
          const to = out + (<usize>(p * r + i) << 2);
          v128.store(to, v128.shuffle<i64>(ab0, cd0, 0, 2)); // a0 b0 c0 d0
          v128.store(to + rb, v128.shuffle<i64>(ab0, cd0, 1, 3)); // a1 b1 c1 d1
          v128.store(to + 2 * rb, v128.shuffle<i64>(ab1, cd1, 0, 2));
          v128.store(to + 3 * rb, v128.shuffle<i64>(ab1, cd1, 1, 3));
        }
        for (let i = r4; i < r; i++) {
          for (let q = p; q < p + 4; q++) store<f32>(out + (<usize>(q * r + i) << 2), i < valid ? load<f32>(base + (<usize>(i * rs + q) << 2)) : 0);
        }
      }
      for (; p < cols; p++) {
        for (let i = 0; i < r; i++) store<f32>(out + (<usize>(p * r + i) << 2), i < valid ? load<f32>(base + (<usize>(i * rs + p) << 2)) : 0);
      }
    } else {
      for (let p = 0; p < cols; p++) {
        const to = out + (<usize>(p * r) << 2);
        let i = 0;
        for (; i < valid; i++) store<f32>(to + (<usize>i << 2), load<f32>(base + (<usize>(i * rs + p * cs) << 2)));
        for (; i < r; i++) store<f32>(to + (<usize>i << 2), 0);
      }
    }
  }
}

/** Strips of r f64 rows (4 or 5, see matmul.ts): a row past the last even one goes one by one. */
export function packF64(src: usize, dst: usize, rows: i32, cols: i32, rs: i32, cs: i32, r: i32): void {
  const strips = (rows + r - 1) / r;
  const r2 = r & ~1;
  for (let s = 0; s < strips; s++) {
    const i0 = s * r;
    const full = i0 + r <= rows;
    const base = src + (<usize>(i0 * rs) << 3);
    const out = dst + (<usize>(s * cols * r) << 3);
    if (full && rs == 1) {
      for (let p = 0; p < cols; p++) {
        const from = base + (<usize>(p * cs) << 3);
        const to = out + (<usize>(p * r) << 3);
        let i = 0;
        for (; i < r2; i += 2) v128.store(to + (<usize>i << 3), v128.load(from + (<usize>i << 3)));
        if (i < r) store<f64>(to + (<usize>i << 3), load<f64>(from + (<usize>i << 3)));
      }
    } else if (full && cs == 1) {
      // 2 rows × 2 columns at a time
      let p = 0;
      for (; p + 2 <= cols; p += 2) {
        for (let i = 0; i < r2; i += 2) {
          const row = base + (<usize>(i * rs + p) << 3);
          const a = v128.load(row);
          const b = v128.load(row + (<usize>rs << 3));
          const to = out + (<usize>(p * r + i) << 3);
          v128.store(to, v128.shuffle<i64>(a, b, 0, 2)); // a0 b0
          v128.store(to + (<usize>r << 3), v128.shuffle<i64>(a, b, 1, 3)); // a1 b1
        }
        if (r2 < r) {
          const row = base + (<usize>(r2 * rs + p) << 3);
          store<f64>(out + (<usize>(p * r + r2) << 3), load<f64>(row));
          store<f64>(out + (<usize>((p + 1) * r + r2) << 3), load<f64>(row, 8));
        }
      }
      for (; p < cols; p++) {
        for (let i = 0; i < r; i++) store<f64>(out + (<usize>(p * r + i) << 3), load<f64>(base + (<usize>(i * rs + p) << 3)));
      }
    } else {
      const valid = full ? r : rows - i0;
      for (let p = 0; p < cols; p++) {
        const to = out + (<usize>(p * r) << 3);
        let i = 0;
        for (; i < valid; i++) store<f64>(to + (<usize>i << 3), load<f64>(base + (<usize>(i * rs + p * cs) << 3)));
        for (; i < r; i++) store<f64>(to + (<usize>i << 3), 0);
      }
    }
  }
}
