/**
 * 2-d convolution, one image per call: im2col of the image into scratch, packing (pack.ts), and
 * the packed GEMM of matmul.ts (`gemm`). The host (src/backend/wasm/conv.ts) copies the batch in,
 * packs the weight once, hands each thread its images with a private scratch region, and copies
 * results out. The family's other pieces: the primitives in src/ops/conv2d.ts, the cpu oracle in
 * src/backend/cpu/conv-kernels.ts.
 *
 * Geometry block (i32s at `geo`, written by the host): 0 channels per group, 1 H, 2 W, 3 kh,
 * 4 kw, 5 sh, 6 sw, 7 ph, 8 pw, 9 dh, 10 dw, 11 oh, 12 ow, 13 groups, 14 out channels per group.
 * Per group: K = cg·kh·kw rows of columns, L = oh·ow output positions.
 */

import { gemm, MR_F32, MR_F64, NR_F32, NR_F64 } from "./matmul";
import { packF32, packF64 } from "./pack";

// @ts-ignore: decorator
@inline function geoAt(geo: usize, i: i32): i32 {
  return load<i32>(geo + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline function mrOf<T>(): i32 {
  return sizeof<T>() == 4 ? MR_F32 : MR_F64;
}

// @ts-ignore: decorator
@inline function nrOf<T>(): i32 {
  return sizeof<T>() == 4 ? NR_F32 : NR_F64;
}

// @ts-ignore: decorator
@inline function roundUp(v: i32, m: i32): i32 {
  return ((v + m - 1) / m) * m;
}

/** Packs rows×cols (element (i, p) at src + (i·rs + p·cs)·size) into strips of r rows. */
// @ts-ignore: decorator
@inline function pack<T>(src: usize, dst: usize, rows: i32, cols: i32, rs: i32, cs: i32, r: i32): void {
  if (sizeof<T>() == 4) packF32(src, dst, rows, cols, rs, cs, r);
  else packF64(src, dst, rows, cols, rs, cs, r);
}

/** The first j ≥ 0 with j·step + off ≥ 0, capped at count. */
// @ts-ignore: decorator
@inline function firstInside(off: i32, step: i32, count: i32): i32 {
  return off >= 0 ? 0 : min(count, (-off + step - 1) / step);
}

/** One past the last j (in [j0, count]) with j·step + off < size. */
// @ts-ignore: decorator
@inline function endInside(off: i32, step: i32, size: i32, count: i32, j0: i32): i32 {
  const e = size - off <= 0 ? 0 : (size - off + step - 1) / step;
  return max(j0, min(count, e));
}

/**
 * im2col of cg channels of one image (x: [cg, H, W] contiguous) into dst [cg·kh·kw, oh·ow]
 * (row-major, zeros in the padding): row (c·kh + r)·kw + q, column i·ow + j holds
 * x[c, i·sh − ph + r·dh, j·sw − pw + q·dw].
 */
function im2col<T>(x: usize, geo: usize, dst: usize): void {
  const size = <usize>sizeof<T>();
  const cg = geoAt(geo, 0), H = geoAt(geo, 1), W = geoAt(geo, 2), kh = geoAt(geo, 3), kw = geoAt(geo, 4);
  const sh = geoAt(geo, 5), sw = geoAt(geo, 6), ph = geoAt(geo, 7), pw = geoAt(geo, 8);
  const dh = geoAt(geo, 9), dw = geoAt(geo, 10), oh = geoAt(geo, 11), ow = geoAt(geo, 12);
  const rowBytes = <usize>ow * size;
  let o = dst;
  for (let c = 0; c < cg; c++) {
    const plane = x + <usize>(c * H * W) * size;
    for (let r = 0; r < kh; r++) {
      for (let q = 0; q < kw; q++) {
        const colOff = q * dw - pw;
        const j0 = firstInside(colOff, sw, ow);
        const j1 = endInside(colOff, sw, W, ow, j0);
        for (let i = 0; i < oh; i++, o += rowBytes) {
          const y = i * sh - ph + r * dh;
          if (y < 0 || y >= H) {
            memory.fill(o, 0, rowBytes);
            continue;
          }
          if (j0 > 0) memory.fill(o, 0, <usize>j0 * size);
          const src = plane + <usize>(y * W + j0 * sw + colOff) * size;
          if (sw == 1) {
            memory.copy(o + <usize>j0 * size, src, <usize>(j1 - j0) * size);
          } else {
            const step = <usize>sw * size;
            let s = src;
            for (let j = j0; j < j1; j++, s += step) store<T>(o + <usize>j * size, load<T>(s));
          }
          if (j1 < ow) memory.fill(o + <usize>j1 * size, 0, <usize>(ow - j1) * size);
        }
      }
    }
  }
}

/**
 * col2im, im2col's adjoint: adds cols [cg·kh·kw, oh·ow] (ldc elements per row) onto the image
 * dx [cg, H, W] at the positions im2col read them from; entries in the padding are dropped.
 */
function col2im<T>(cols: usize, ldc: i32, geo: usize, dx: usize): void {
  const size = <usize>sizeof<T>();
  const cg = geoAt(geo, 0), H = geoAt(geo, 1), W = geoAt(geo, 2), kh = geoAt(geo, 3), kw = geoAt(geo, 4);
  const sh = geoAt(geo, 5), sw = geoAt(geo, 6), ph = geoAt(geo, 7), pw = geoAt(geo, 8);
  const dh = geoAt(geo, 9), dw = geoAt(geo, 10), oh = geoAt(geo, 11), ow = geoAt(geo, 12);
  const step = <usize>sw * size;
  let row = cols;
  for (let c = 0; c < cg; c++) {
    const plane = dx + <usize>(c * H * W) * size;
    for (let r = 0; r < kh; r++) {
      for (let q = 0; q < kw; q++, row += <usize>ldc * size) {
        const colOff = q * dw - pw;
        const j0 = firstInside(colOff, sw, ow);
        const j1 = endInside(colOff, sw, W, ow, j0);
        for (let i = 0; i < oh; i++) {
          const y = i * sh - ph + r * dh;
          if (y < 0 || y >= H) continue;
          let d = plane + <usize>(y * W + j0 * sw + colOff) * size;
          let s = row + <usize>(i * ow + j0) * size;
          let j = j0;
          if (sw == 1) {
            // unit stride: both runs are contiguous, a vector of 16 bytes at a time
            for (; j + <i32>(16 / size) <= j1; j += <i32>(16 / size), d += 16, s += 16) {
              const sum = size == 4 ? f32x4.add(v128.load(d), v128.load(s)) : f64x2.add(v128.load(d), v128.load(s));
              v128.store(d, sum);
            }
          }
          for (; j < j1; j++, d += step, s += size) store<T>(d, load<T>(d) + load<T>(s));
        }
      }
    }
  }
}

/**
 * Forward of one image, every group: y_g = W_g [og, K] @ im2col(x_g) [K, L], plus bias when
 * `bias` is nonzero, written to y [groups·og, L]. a: the packed weight (per group
 * roundUp(og, MR)·K values, strips of MR rows); raw: scratch for K·L values; pb: scratch for
 * roundUp(L, NR)·K; c: scratch for roundUp(og, MR) rows of roundUp(L, NR).
 */
function convForward<T>(x: usize, geo: usize, a: usize, raw: usize, pb: usize, c: usize, bias: usize, y: usize): void {
  const size = <usize>sizeof<T>();
  const cg = geoAt(geo, 0), H = geoAt(geo, 1), W = geoAt(geo, 2);
  const L = geoAt(geo, 11) * geoAt(geo, 12);
  const K = cg * geoAt(geo, 3) * geoAt(geo, 4);
  const groups = geoAt(geo, 13), og = geoAt(geo, 14);
  const mP = roundUp(og, mrOf<T>());
  const nP = roundUp(L, nrOf<T>());
  const rowBytes = <usize>L * size;
  for (let g = 0; g < groups; g++) {
    im2col<T>(x + <usize>(g * cg * H * W) * size, geo, raw);
    // Bᵀ [L, K]: element (l, p) = cols[p, l] at p·L + l.
    pack<T>(raw, pb, L, K, 1, L, nrOf<T>());
    gemm<T>(a + <usize>(g * mP * K) * size, pb, c, K, nP, 0, mP / mrOf<T>(), 0, nP / nrOf<T>(), false);
    // The valid og×L corner, rows packed together (+ bias).
    for (let o = 0; o < og; o++) {
      const from = c + <usize>(o * nP) * size;
      const to = y + <usize>((g * og + o) * L) * size;
      if (bias == 0) {
        memory.copy(to, from, rowBytes);
        continue;
      }
      const b = load<T>(bias + <usize>(g * og + o) * size);
      let l: usize = 0;
      if (size == 4) {
        const bv = f32x4.splat(<f32>b);
        for (; l + 16 <= rowBytes; l += 16) v128.store(to + l, f32x4.add(v128.load(from + l), bv));
      } else {
        const bv = f64x2.splat(<f64>b);
        for (; l + 16 <= rowBytes; l += 16) v128.store(to + l, f64x2.add(v128.load(from + l), bv));
      }
      for (; l < rowBytes; l += size) store<T>(to + l, load<T>(from + l) + b);
    }
  }
}

/** Forward of one float32 image (see convForward). */
export function convForwardF32(x: usize, geo: usize, a: usize, raw: usize, pb: usize, c: usize, bias: usize, y: usize): void {
  convForward<f32>(x, geo, a, raw, pb, c, bias, y);
}

/** Forward of one float64 image (see convForward). */
export function convForwardF64(x: usize, geo: usize, a: usize, raw: usize, pb: usize, c: usize, bias: usize, y: usize): void {
  convForward<f64>(x, geo, a, raw, pb, c, bias, y);
}

/**
 * Input gradient of one image: dx_g = col2im(W_gᵀ [K, og] @ g_g [og, L]). gy: the image's output
 * gradient [groups·og, L]; a: the packed Wᵀ (per group roundUp(K, MR)·og values); pb: scratch
 * for roundUp(L, NR)·og; c: scratch for roundUp(K, MR) rows of roundUp(L, NR); dx: the image's
 * gradient [groups·cg, H, W], overwritten.
 */
function convInputGrad<T>(gy: usize, geo: usize, a: usize, pb: usize, c: usize, dx: usize): void {
  const size = <usize>sizeof<T>();
  const cg = geoAt(geo, 0), H = geoAt(geo, 1), W = geoAt(geo, 2);
  const L = geoAt(geo, 11) * geoAt(geo, 12);
  const K = cg * geoAt(geo, 3) * geoAt(geo, 4);
  const groups = geoAt(geo, 13), og = geoAt(geo, 14);
  const mP = roundUp(K, mrOf<T>());
  const nP = roundUp(L, nrOf<T>());
  memory.fill(dx, 0, <usize>(groups * cg * H * W) * size);
  for (let g = 0; g < groups; g++) {
    // Bᵀ [L, og]: element (l, o) = gy[o, l] at o·L + l.
    pack<T>(gy + <usize>(g * og * L) * size, pb, L, og, 1, L, nrOf<T>());
    gemm<T>(a + <usize>(g * mP * og) * size, pb, c, og, nP, 0, mP / mrOf<T>(), 0, nP / nrOf<T>(), false);
    col2im<T>(c, nP, geo, dx + <usize>(g * cg * H * W) * size);
  }
}

/** Input gradient of one float32 image (see convInputGrad). */
export function convInputGradF32(gy: usize, geo: usize, a: usize, pb: usize, c: usize, dx: usize): void {
  convInputGrad<f32>(gy, geo, a, pb, c, dx);
}

/** Input gradient of one float64 image (see convInputGrad). */
export function convInputGradF64(gy: usize, geo: usize, a: usize, pb: usize, c: usize, dx: usize): void {
  convInputGrad<f64>(gy, geo, a, pb, c, dx);
}

/**
 * Weight gradient of one image, added to a float64 accumulator: acc_g [og, K] += g_g [og, L] @
 * im2col(x_g)ᵀ [L, K]. The image's product runs in the data's type (one chain of L terms per
 * entry, in KC blocks); the sum over images is float64, so a batch adds no float32 rounding
 * chain. raw: scratch for K·L; pa: roundUp(og, MR)·L; pb: roundUp(K, NR)·L; c: roundUp(og, MR)
 * rows of roundUp(K, NR); acc: groups·og·K float64 values.
 */
function convWeightGrad<T>(x: usize, gy: usize, geo: usize, raw: usize, pa: usize, pb: usize, c: usize, acc: usize): void {
  const size = <usize>sizeof<T>();
  const cg = geoAt(geo, 0), H = geoAt(geo, 1), W = geoAt(geo, 2);
  const L = geoAt(geo, 11) * geoAt(geo, 12);
  const K = cg * geoAt(geo, 3) * geoAt(geo, 4);
  const groups = geoAt(geo, 13), og = geoAt(geo, 14);
  const mP = roundUp(og, mrOf<T>());
  const nP = roundUp(K, nrOf<T>());
  for (let g = 0; g < groups; g++) {
    im2col<T>(x + <usize>(g * cg * H * W) * size, geo, raw);
    pack<T>(gy + <usize>(g * og * L) * size, pa, og, L, L, 1, mrOf<T>()); // A = g_g [og, L]
    pack<T>(raw, pb, K, L, L, 1, nrOf<T>()); // Bᵀ = cols [K, L]
    gemm<T>(pa, pb, c, L, nP, 0, mP / mrOf<T>(), 0, nP / nrOf<T>(), false);
    for (let o = 0; o < og; o++) {
      let s = c + <usize>(o * nP) * size;
      let d = acc + (<usize>((g * og + o) * K) << 3);
      for (let p = 0; p < K; p++, s += size, d += 8) store<f64>(d, load<f64>(d) + <f64>load<T>(s));
    }
  }
}

/** Weight gradient of one float32 image (see convWeightGrad). */
export function convWeightGradF32(x: usize, gy: usize, geo: usize, raw: usize, pa: usize, pb: usize, c: usize, acc: usize): void {
  convWeightGrad<f32>(x, gy, geo, raw, pa, pb, c, acc);
}

/** Weight gradient of one float64 image (see convWeightGrad). */
export function convWeightGradF64(x: usize, gy: usize, geo: usize, raw: usize, pa: usize, pb: usize, c: usize, acc: usize): void {
  convWeightGrad<f64>(x, gy, geo, raw, pa, pb, c, acc);
}
