/**
 * LayerNorm forward and backward over contiguous rows the host has copied in
 * (src/backend/wasm/layernorm.ts). Written for either storage type T; only float32 is exported
 * (float64 runs the cpu kernel: no model here trains in float64, and each export costs the
 * inlined bundle about a kilobyte). Every value is widened to
 * f64x2 lanes and every operation is the cpu kernel's (backend/cpu/norm-kernels.ts) in the same
 * order, so each stored value is the cpu's except where a row sum, added here in two lanes, rounds
 * differently. Row ranges [r0, r1) let threads split a forward call; a backward call accumulates
 * dweight and dbias into its own f64 arrays, which the host adds up.
 */

/** Two values of T at p, widened to f64x2. */
// @ts-ignore: decorator
@inline function load2<T>(p: usize): v128 {
  return sizeof<T>() == 4 ? f64x2.promote_low_f32x4(v128.load64_zero(p)) : v128.load(p);
}

/** Stores f64x2 v at p as two values of T (rounded once to float32 for T = f32). */
// @ts-ignore: decorator
@inline function store2<T>(p: usize, v: v128): void {
  if (sizeof<T>() == 4) v128.store64_lane(p, f32x4.demote_f64x2_zero(v), 0);
  else v128.store(p, v);
}

// @ts-ignore: decorator
@inline function hsum(a: v128): f64 {
  return f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
}

/** Flags: the affine weight and bias are there (forward and backward); which gradients to make (backward). */
const HAS_WEIGHT = 1;
const HAS_BIAS = 2;
const NEED_DX = 4;
const NEED_DW = 8;
const NEED_DB = 16;

/**
 * Rows r0..r1−1 of `cols` values: mean μ and rstd = 1/√(mean((x − μ)²) + eps) into mean[r] and
 * rstd[r], out = (x − μ)·rstd·w + b (w, b per column, when the flags say they are there).
 */
// @ts-ignore: decorator
@inline function layerNormRows<T>(x: usize, w: usize, b: usize, out: usize, mean: usize, rstd: usize, r0: i32, r1: i32, cols: i32, eps: f64, flags: i32): void {
  const sh: usize = sizeof<T>() == 4 ? 2 : 3;
  const rowBytes = <usize>cols << sh;
  const hasW = (flags & HAS_WEIGHT) != 0;
  const hasB = (flags & HAS_BIAS) != 0;
  for (let r = r0; r < r1; r++) {
    const xr = x + <usize>r * rowBytes;
    const or = out + <usize>r * rowBytes;
    let acc = f64x2.splat(0);
    let c = 0;
    for (; c + 2 <= cols; c += 2) acc = f64x2.add(acc, load2<T>(xr + (<usize>c << sh)));
    let sum = hsum(acc);
    for (; c < cols; c++) sum += <f64>load<T>(xr + (<usize>c << sh));
    const mu = sum / <f64>cols;
    const mv = f64x2.splat(mu);
    acc = f64x2.splat(0);
    for (c = 0; c + 2 <= cols; c += 2) {
      const d = f64x2.sub(load2<T>(xr + (<usize>c << sh)), mv);
      acc = f64x2.add(acc, f64x2.mul(d, d));
    }
    let sq = hsum(acc);
    for (; c < cols; c++) {
      const d = <f64>load<T>(xr + (<usize>c << sh)) - mu;
      sq += d * d;
    }
    const rs = 1 / Math.sqrt(sq / <f64>cols + eps);
    store<T>(mean + (<usize>r << sh), <T>mu);
    store<T>(rstd + (<usize>r << sh), <T>rs);
    const rv = f64x2.splat(rs);
    for (c = 0; c + 2 <= cols; c += 2) {
      let y = f64x2.mul(f64x2.sub(load2<T>(xr + (<usize>c << sh)), mv), rv);
      if (hasW) y = f64x2.mul(y, load2<T>(w + (<usize>c << sh)));
      // + 0 without a bias, as the cpu kernel (it turns −0 into +0)
      y = f64x2.add(y, hasB ? load2<T>(b + (<usize>c << sh)) : f64x2.splat(0));
      store2<T>(or + (<usize>c << sh), y);
    }
    for (; c < cols; c++) {
      let y = (<f64>load<T>(xr + (<usize>c << sh)) - mu) * rs;
      if (hasW) y *= <f64>load<T>(w + (<usize>c << sh));
      y += hasB ? <f64>load<T>(b + (<usize>c << sh)) : 0;
      store<T>(or + (<usize>c << sh), <T>y);
    }
  }
}

/**
 * Backward of rows r0..r1−1 from the upstream g, x and the saved mean and rstd. With
 * x̂ = (x − μ)·rstd and ĝ = g·w: dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) (when NEED_DX); dw[c] += g·x̂
 * and db[c] += g into f64 accumulators (when NEED_DW / NEED_DB).
 */
// @ts-ignore: decorator
@inline function layerNormBackwardRows<T>(
  g: usize, x: usize, mean: usize, rstd: usize, w: usize, dx: usize, dw: usize, db: usize, r0: i32, r1: i32, cols: i32, flags: i32,
): void {
  const sh: usize = sizeof<T>() == 4 ? 2 : 3;
  const rowBytes = <usize>cols << sh;
  const hasW = (flags & HAS_WEIGHT) != 0;
  const needDx = (flags & NEED_DX) != 0;
  const needDw = (flags & NEED_DW) != 0;
  const needDb = (flags & NEED_DB) != 0;
  for (let r = r0; r < r1; r++) {
    const gr = g + <usize>r * rowBytes;
    const xr = x + <usize>r * rowBytes;
    const mu = <f64>load<T>(mean + (<usize>r << sh));
    const rs = <f64>load<T>(rstd + (<usize>r << sh));
    const mv = f64x2.splat(mu);
    const rv = f64x2.splat(rs);
    let accG = f64x2.splat(0);
    let accGX = f64x2.splat(0);
    let c = 0;
    for (; c + 2 <= cols; c += 2) {
      const gv = load2<T>(gr + (<usize>c << sh));
      const xh = f64x2.mul(f64x2.sub(load2<T>(xr + (<usize>c << sh)), mv), rv);
      const gh = hasW ? f64x2.mul(gv, load2<T>(w + (<usize>c << sh))) : gv;
      accG = f64x2.add(accG, gh);
      accGX = f64x2.add(accGX, f64x2.mul(gh, xh));
      const o = <usize>c << 3;
      if (needDw) v128.store(dw + o, f64x2.add(v128.load(dw + o), f64x2.mul(gv, xh)));
      if (needDb) v128.store(db + o, f64x2.add(v128.load(db + o), gv));
    }
    let sumG = hsum(accG);
    let sumGX = hsum(accGX);
    for (; c < cols; c++) {
      const gv = <f64>load<T>(gr + (<usize>c << sh));
      const xh = (<f64>load<T>(xr + (<usize>c << sh)) - mu) * rs;
      const gh = hasW ? gv * <f64>load<T>(w + (<usize>c << sh)) : gv;
      sumG += gh;
      sumGX += gh * xh;
      const o = <usize>c << 3;
      if (needDw) store<f64>(dw + o, load<f64>(dw + o) + gv * xh);
      if (needDb) store<f64>(db + o, load<f64>(db + o) + gv);
    }
    if (!needDx) continue;
    const mG = sumG / <f64>cols;
    const mGX = sumGX / <f64>cols;
    const mGv = f64x2.splat(mG);
    const mGXv = f64x2.splat(mGX);
    const dr = dx + <usize>r * rowBytes;
    for (c = 0; c + 2 <= cols; c += 2) {
      const gv = load2<T>(gr + (<usize>c << sh));
      const xh = f64x2.mul(f64x2.sub(load2<T>(xr + (<usize>c << sh)), mv), rv);
      const gh = hasW ? f64x2.mul(gv, load2<T>(w + (<usize>c << sh))) : gv;
      store2<T>(dr + (<usize>c << sh), f64x2.mul(rv, f64x2.sub(f64x2.sub(gh, mGv), f64x2.mul(xh, mGXv))));
    }
    for (; c < cols; c++) {
      const gv = <f64>load<T>(gr + (<usize>c << sh));
      const xh = (<f64>load<T>(xr + (<usize>c << sh)) - mu) * rs;
      const gh = hasW ? gv * <f64>load<T>(w + (<usize>c << sh)) : gv;
      store<T>(dr + (<usize>c << sh), <T>(rs * (gh - mG - xh * mGX)));
    }
  }
}

/** LayerNorm forward of float32 rows r0..r1−1 (see layerNormRows). */
export function layerNormF32(x: usize, w: usize, b: usize, out: usize, mean: usize, rstd: usize, r0: i32, r1: i32, cols: i32, eps: f64, flags: i32): void {
  layerNormRows<f32>(x, w, b, out, mean, rstd, r0, r1, cols, eps, flags);
}


/** LayerNorm backward of float32 rows r0..r1−1 (see layerNormBackwardRows). */
export function layerNormBackwardF32(
  g: usize, x: usize, mean: usize, rstd: usize, w: usize, dx: usize, dw: usize, db: usize, r0: i32, r1: i32, cols: i32, flags: i32,
): void {
  layerNormBackwardRows<f32>(g, x, mean, rstd, w, dx, dw, db, r0, r1, cols, flags);
}

