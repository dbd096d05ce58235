/**
 * 2-d max pooling with indices and its backward (scatter-add of the gradient at the indices), by
 * ranges of planes so threads can split a call. The host (src/backend/wasm/pool.ts) copies the
 * operands into scratch as contiguous planes and copies the results out; the cpu oracle is
 * cpuMaxPool2d / cpuMaxPool2dBackward (src/backend/cpu/window-kernels.ts, conv-kernels.ts), and
 * both kernels give its results bit for bit: the same windows, visited in the same order, with
 * the same comparison (the first strict maximum wins, a NaN replaces whatever came before it).
 *
 * Geometry block (i32s at `geo`, written by the host): 0 H, 1 W, 2 kh, 3 kw, 4 sh, 5 sw, 6 ph,
 * 7 pw, 8 dh, 9 dw, 10 oh, 11 ow.
 */

// @ts-ignore: decorator
@inline function geoAt(geo: usize, i: i32): i32 {
  return load<i32>(geo + (<usize>i << 2));
}

/**
 * Planes p0..p1−1 of x [P, H, W] → values [P, oh, ow] (x's type) and int32 indices [P, oh, ow],
 * each the maximum's h·W + w within its plane. Padding is −∞: every window is clipped to the image.
 */
function maxPool<T>(x: usize, geo: usize, values: usize, indices: usize, p0: i32, p1: i32): void {
  const size = <usize>sizeof<T>();
  const H = geoAt(geo, 0), W = geoAt(geo, 1), kh = geoAt(geo, 2), kw = geoAt(geo, 3);
  const sh = geoAt(geo, 4), sw = geoAt(geo, 5), ph = geoAt(geo, 6), pw = geoAt(geo, 7);
  const dh = geoAt(geo, 8), dw = geoAt(geo, 9), oh = geoAt(geo, 10), ow = geoAt(geo, 11);
  const rowStep = <usize>W * size;
  let o = <usize>(p0 * oh * ow);
  for (let p = p0; p < p1; p++) {
    const plane = x + <usize>(p * H * W) * size;
    for (let i = 0; i < oh; i++) {
      let y0 = i * sh - ph;
      const y1 = min(y0 + (kh - 1) * dh + 1, H);
      while (y0 < 0) y0 += dh;
      for (let j = 0; j < ow; j++, o++) {
        let x0 = j * sw - pw;
        const x1 = min(x0 + (kw - 1) * dw + 1, W);
        while (x0 < 0) x0 += dw;
        let best = <T>-Infinity;
        let bestIndex = y0 * W + x0;
        let row = plane + <usize>y0 * rowStep;
        for (let y = y0; y < y1; y += dh, row += <usize>dh * rowStep) {
          for (let xx = x0; xx < x1; xx += dw) {
            const v = load<T>(row + <usize>xx * size);
            if (v > best || v != v) {
              best = v;
              bestIndex = y * W + xx;
            }
          }
        }
        store<T>(values + o * size, best);
        store<i32>(indices + (o << 2), bestIndex);
      }
    }
  }
}

/**
 * The common 2×2, stride-2 pool of float32 planes p0..p1−1 with every window inside the image,
 * four outputs per step: lanes hold outputs j..j+3, whose window entries a (2i, 2j), b (2i, 2j+1),
 * c (2i+1, 2j), d (2i+1, 2j+1) are deinterleaved from 8 values of each input row. Each candidate
 * replaces the best so far where it is greater or NaN, in maxPool's order a, b, c, d: the same
 * values and indices as the scalar loop, which finishes rows whose width is not a multiple of 4.
 */
function maxPool2x2F32(x: usize, H: i32, W: i32, oh: i32, ow: i32, values: usize, indices: usize, p0: i32, p1: i32): void {
  const ow4 = ow & ~3;
  const lanes = i32x4(0, 2, 4, 6);
  const one = i32x4.splat(1);
  const down = i32x4.splat(W);
  let o = <usize>(p0 * oh * ow);
  for (let p = p0; p < p1; p++) {
    const plane = x + (<usize>(p * H * W) << 2);
    for (let i = 0; i < oh; i++) {
      const top = plane + (<usize>(2 * i * W) << 2);
      const bottom = top + (<usize>W << 2);
      let j = 0;
      for (; j < ow4; j += 4, o += 4) {
        const at = <usize>(2 * j) << 2;
        const t0 = v128.load(top + at), t1 = v128.load(top + at, 16);
        const b0 = v128.load(bottom + at), b1 = v128.load(bottom + at, 16);
        const ia = i32x4.add(lanes, i32x4.splat(2 * i * W + 2 * j));
        let best = v128.shuffle<f32>(t0, t1, 0, 2, 4, 6);
        let index = ia;
        let v = v128.shuffle<f32>(t0, t1, 1, 3, 5, 7);
        let m = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
        best = v128.bitselect(v, best, m);
        index = v128.bitselect(i32x4.add(ia, one), index, m);
        v = v128.shuffle<f32>(b0, b1, 0, 2, 4, 6);
        m = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
        best = v128.bitselect(v, best, m);
        index = v128.bitselect(i32x4.add(ia, down), index, m);
        v = v128.shuffle<f32>(b0, b1, 1, 3, 5, 7);
        m = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
        best = v128.bitselect(v, best, m);
        index = v128.bitselect(i32x4.add(i32x4.add(ia, down), one), index, m);
        v128.store(values + (o << 2), best);
        v128.store(indices + (o << 2), index);
      }
      for (; j < ow; j++, o++) {
        let best = <f32>-Infinity;
        let bestIndex = 2 * i * W + 2 * j;
        for (let y = 2 * i; y < 2 * i + 2; y++) {
          for (let xx = 2 * j; xx < 2 * j + 2; xx++) {
            const v = load<f32>(plane + (<usize>(y * W + xx) << 2));
            if (v > best || v != v) {
              best = v;
              bestIndex = y * W + xx;
            }
          }
        }
        store<f32>(values + (o << 2), best);
        store<i32>(indices + (o << 2), bestIndex);
      }
    }
  }
}

/** Max pooling of float32 planes p0..p1−1 (see maxPool; the 2×2 stride-2 pool in SIMD). */
export function maxPool2dF32(x: usize, geo: usize, values: usize, indices: usize, p0: i32, p1: i32): void {
  const H = geoAt(geo, 0), W = geoAt(geo, 1), oh = geoAt(geo, 10), ow = geoAt(geo, 11);
  const twoByTwo = geoAt(geo, 2) == 2 && geoAt(geo, 3) == 2 && geoAt(geo, 4) == 2 && geoAt(geo, 5) == 2;
  const plain = geoAt(geo, 6) == 0 && geoAt(geo, 7) == 0 && geoAt(geo, 8) == 1 && geoAt(geo, 9) == 1;
  if (twoByTwo && plain && 2 * oh <= H && 2 * ow <= W) maxPool2x2F32(x, H, W, oh, ow, values, indices, p0, p1);
  else maxPool<f32>(x, geo, values, indices, p0, p1);
}

/** Max pooling of float64 planes p0..p1−1 (see maxPool). */
export function maxPool2dF64(x: usize, geo: usize, values: usize, indices: usize, p0: i32, p1: i32): void {
  maxPool<f64>(x, geo, values, indices, p0, p1);
}

/**
 * Max pooling's gradient over planes p0..p1−1: dx [P, plane] = 0, then dx[p, indices[p, o]] +=
 * g[p, o] for the `outs` outputs of each plane, in order (overlapping windows add up as in the
 * cpu kernel).
 */
function maxPoolBackward<T>(g: usize, indices: usize, dx: usize, p0: i32, p1: i32, outs: i32, plane: i32): void {
  const size = <usize>sizeof<T>();
  memory.fill(dx + <usize>(p0 * plane) * size, 0, <usize>((p1 - p0) * plane) * size);
  for (let p = p0; p < p1; p++) {
    const base = dx + <usize>(p * plane) * size;
    const from = <usize>(p * outs);
    for (let o: usize = from, end = from + <usize>outs; o < end; o++) {
      const d = base + <usize>load<i32>(indices + (o << 2)) * size;
      store<T>(d, load<T>(d) + load<T>(g + o * size));
    }
  }
}

/** Max pooling's float32 gradient (see maxPoolBackward). */
export function maxPool2dBackwardF32(g: usize, indices: usize, dx: usize, p0: i32, p1: i32, outs: i32, plane: i32): void {
  maxPoolBackward<f32>(g, indices, dx, p0, p1, outs, plane);
}

/** Max pooling's float64 gradient (see maxPoolBackward). */
export function maxPool2dBackwardF64(g: usize, indices: usize, dx: usize, p0: i32, p1: i32, outs: i32, plane: i32): void {
  maxPoolBackward<f64>(g, indices, dx, p0, p1, outs, plane);
}
