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

/** Max pooling of float32 planes p0..p1−1 (see maxPool). */
export function maxPool2dF32(x: usize, geo: usize, values: usize, indices: usize, p0: i32, p1: i32): void {
  maxPool<f32>(x, geo, values, indices, p0, p1);
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
