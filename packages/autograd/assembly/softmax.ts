/**
 * Row softmax / log-softmax and their fused backward passes over contiguous rows the host has
 * copied in (src/backend/wasm/softmax.ts). Each export takes a row range [r0, r1) so worker
 * threads can split one call by rows.
 *
 * float32 rows are computed in float32 lanes (exp within 1 float32 ulp, math32.ts) with the row
 * sums accumulated in float64; float64 rows in float64 lanes. A row is read twice (max, then
 * exp-sum) and written once: a row of a few thousand values stays in L1 between the passes, so
 * an online (running max with rescaled sum) single pass would only add a second exp per vector.
 */

import { expV } from "./math";
import { expV32 } from "./math32";

// @ts-ignore: decorator
@inline function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
}

// @ts-ignore: decorator
@inline function hsum64(a: v128): f64 {
  return f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
}

/**
 * Max of a float32 row, an all −Inf (or empty) row giving 0 like the cpu kernel. NaNs may be
 * skipped (pmax): a row holding one comes out all NaN through its sum all the same.
 */
function rowMaxF32(x: usize, len: i32): f32 {
  // four independent running maxima by pmax (one maxps): f32x4.max's NaN handling is several
  // instructions in V8, and one chain through it made this pass as slow as the exp pass
  let m = f32x4.splat(-Infinity);
  let m1 = m, m2 = m, m3 = m;
  let i = 0;
  for (; i + 16 <= len; i += 16) {
    const p = x + (<usize>i << 2);
    m = f32x4.pmax(m, v128.load(p));
    m1 = f32x4.pmax(m1, v128.load(p, 16));
    m2 = f32x4.pmax(m2, v128.load(p, 32));
    m3 = f32x4.pmax(m3, v128.load(p, 48));
  }
  m = f32x4.pmax(f32x4.pmax(m, m1), f32x4.pmax(m2, m3));
  for (; i + 4 <= len; i += 4) m = f32x4.pmax(m, v128.load(x + (<usize>i << 2)));
  let r = max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
  for (; i < len; i++) r = max(r, load<f32>(x + (<usize>i << 2)));
  return r == -Infinity ? 0 : r;
}

/** Max of a float64 row, as rowMaxF32. */
function rowMaxF64(x: usize, len: i32): f64 {
  let m = f64x2.splat(-Infinity);
  let i = 0;
  for (; i + 2 <= len; i += 2) m = f64x2.max(m, v128.load(x + (<usize>i << 3)));
  let r = max(f64x2.extract_lane(m, 0), f64x2.extract_lane(m, 1));
  for (; i < len; i++) r = max(r, load<f64>(x + (<usize>i << 3)));
  return r == -Infinity ? 0 : r;
}

/** Rows r0..r1−1 of `len` float32 values: out = softmax(x) (or log softmax when `log`). x may equal out. */
export function softmaxF32(x: usize, out: usize, r0: i32, r1: i32, len: i32, log: bool): void {
  const rowBytes = <usize>len << 2;
  for (let r = r0; r < r1; r++) {
    const xr = x + <usize>r * rowBytes;
    const or = out + <usize>r * rowBytes;
    const mx = rowMaxF32(xr, len);
    const mv = f32x4.splat(mx);
    let acc = f64x2.splat(0);
    let acc1 = acc;
    let i = 0;
    // pass 2: e = exp(x − max), summed in f64 (two running sums); softmax keeps e in out for pass 3
    for (; i + 8 <= len; i += 8) {
      const e = expV32(f32x4.sub(v128.load(xr + (<usize>i << 2)), mv));
      const e1 = expV32(f32x4.sub(v128.load(xr + (<usize>i << 2), 16), mv));
      if (!log) {
        v128.store(or + (<usize>i << 2), e);
        v128.store(or + (<usize>i << 2), e1, 16);
      }
      acc = f64x2.add(acc, f64x2.add(f64x2.promote_low_f32x4(e), promoteHigh(e)));
      acc1 = f64x2.add(acc1, f64x2.add(f64x2.promote_low_f32x4(e1), promoteHigh(e1)));
    }
    for (; i + 4 <= len; i += 4) {
      const e = expV32(f32x4.sub(v128.load(xr + (<usize>i << 2)), mv));
      if (!log) v128.store(or + (<usize>i << 2), e);
      acc = f64x2.add(acc, f64x2.add(f64x2.promote_low_f32x4(e), promoteHigh(e)));
    }
    let sum = hsum64(f64x2.add(acc, acc1));
    for (; i < len; i++) {
      const e = f32x4.extract_lane(expV32(f32x4.splat(load<f32>(xr + (<usize>i << 2)) - mx)), 0);
      if (!log) store<f32>(or + (<usize>i << 2), e);
      sum += <f64>e;
    }
    i = 0;
    if (log) {
      // out = x − (max + log Σ), subtracted in two steps so large max keeps x − max exact
      const lv = f32x4.splat(<f32>Math.log(sum));
      for (; i + 4 <= len; i += 4) v128.store(or + (<usize>i << 2), f32x4.sub(f32x4.sub(v128.load(xr + (<usize>i << 2)), mv), lv));
      const l = <f32>Math.log(sum);
      for (; i < len; i++) store<f32>(or + (<usize>i << 2), load<f32>(xr + (<usize>i << 2)) - mx - l);
    } else {
      const inv = f32x4.splat(<f32>(1 / sum));
      for (; i + 4 <= len; i += 4) v128.store(or + (<usize>i << 2), f32x4.mul(v128.load(or + (<usize>i << 2)), inv));
      const s = <f32>(1 / sum);
      for (; i < len; i++) store<f32>(or + (<usize>i << 2), load<f32>(or + (<usize>i << 2)) * s);
    }
  }
}

/** Rows r0..r1−1 of `len` float64 values, as softmaxF32. */
export function softmaxF64(x: usize, out: usize, r0: i32, r1: i32, len: i32, log: bool): void {
  const rowBytes = <usize>len << 3;
  for (let r = r0; r < r1; r++) {
    const xr = x + <usize>r * rowBytes;
    const or = out + <usize>r * rowBytes;
    const mx = rowMaxF64(xr, len);
    const mv = f64x2.splat(mx);
    let acc = f64x2.splat(0);
    let i = 0;
    for (; i + 2 <= len; i += 2) {
      const e = expV(f64x2.sub(v128.load(xr + (<usize>i << 3)), mv));
      if (!log) v128.store(or + (<usize>i << 3), e);
      acc = f64x2.add(acc, e);
    }
    let sum = hsum64(acc);
    for (; i < len; i++) {
      const e = f64x2.extract_lane(expV(f64x2.splat(load<f64>(xr + (<usize>i << 3)) - mx)), 0);
      if (!log) store<f64>(or + (<usize>i << 3), e);
      sum += e;
    }
    i = 0;
    if (log) {
      const l = Math.log(sum);
      const lv = f64x2.splat(l);
      for (; i + 2 <= len; i += 2) v128.store(or + (<usize>i << 3), f64x2.sub(f64x2.sub(v128.load(xr + (<usize>i << 3)), mv), lv));
      for (; i < len; i++) store<f64>(or + (<usize>i << 3), load<f64>(xr + (<usize>i << 3)) - mx - l);
    } else {
      const sv = f64x2.splat(sum);
      for (; i + 2 <= len; i += 2) v128.store(or + (<usize>i << 3), f64x2.div(v128.load(or + (<usize>i << 3)), sv));
      for (; i < len; i++) store<f64>(or + (<usize>i << 3), load<f64>(or + (<usize>i << 3)) / sum);
    }
  }
}

/**
 * Backward of rows r0..r1−1 of `len` float32 values, from the upstream gradient g and the
 * forward output y, into out (which may equal g):
 * softmax: out = y ⊙ (g − Σ g⊙y); log-softmax: out = g − eʸ ⊙ Σ g.
 */
export function softmaxBackwardF32(g: usize, y: usize, out: usize, r0: i32, r1: i32, len: i32, log: bool): void {
  const rowBytes = <usize>len << 2;
  for (let r = r0; r < r1; r++) {
    const gr = g + <usize>r * rowBytes;
    const yr = y + <usize>r * rowBytes;
    const or = out + <usize>r * rowBytes;
    let acc = f64x2.splat(0);
    let acc1 = acc;
    let i = 0;
    for (; i + 8 <= len; i += 8) {
      const gv = v128.load(gr + (<usize>i << 2));
      const gv1 = v128.load(gr + (<usize>i << 2), 16);
      const t = log ? gv : f32x4.mul(gv, v128.load(yr + (<usize>i << 2)));
      const t1 = log ? gv1 : f32x4.mul(gv1, v128.load(yr + (<usize>i << 2), 16));
      acc = f64x2.add(acc, f64x2.add(f64x2.promote_low_f32x4(t), promoteHigh(t)));
      acc1 = f64x2.add(acc1, f64x2.add(f64x2.promote_low_f32x4(t1), promoteHigh(t1)));
    }
    for (; i + 4 <= len; i += 4) {
      const gv = v128.load(gr + (<usize>i << 2));
      const t = log ? gv : f32x4.mul(gv, v128.load(yr + (<usize>i << 2)));
      acc = f64x2.add(acc, f64x2.add(f64x2.promote_low_f32x4(t), promoteHigh(t)));
    }
    let s = hsum64(f64x2.add(acc, acc1));
    for (; i < len; i++) {
      const gi = load<f32>(gr + (<usize>i << 2));
      s += log ? <f64>gi : <f64>(gi * load<f32>(yr + (<usize>i << 2)));
    }
    const sf = <f32>s;
    const sv = f32x4.splat(sf);
    i = 0;
    if (log) {
      for (; i + 4 <= len; i += 4) {
        const e = expV32(v128.load(yr + (<usize>i << 2)));
        v128.store(or + (<usize>i << 2), f32x4.sub(v128.load(gr + (<usize>i << 2)), f32x4.mul(e, sv)));
      }
      for (; i < len; i++) {
        const e = f32x4.extract_lane(expV32(f32x4.splat(load<f32>(yr + (<usize>i << 2)))), 0);
        store<f32>(or + (<usize>i << 2), load<f32>(gr + (<usize>i << 2)) - e * sf);
      }
    } else {
      for (; i + 4 <= len; i += 4) {
        const yv = v128.load(yr + (<usize>i << 2));
        v128.store(or + (<usize>i << 2), f32x4.mul(yv, f32x4.sub(v128.load(gr + (<usize>i << 2)), sv)));
      }
      for (; i < len; i++) store<f32>(or + (<usize>i << 2), load<f32>(yr + (<usize>i << 2)) * (load<f32>(gr + (<usize>i << 2)) - sf));
    }
  }
}

/** Backward of float64 rows, as softmaxBackwardF32. */
export function softmaxBackwardF64(g: usize, y: usize, out: usize, r0: i32, r1: i32, len: i32, log: bool): void {
  const rowBytes = <usize>len << 3;
  for (let r = r0; r < r1; r++) {
    const gr = g + <usize>r * rowBytes;
    const yr = y + <usize>r * rowBytes;
    const or = out + <usize>r * rowBytes;
    let acc = f64x2.splat(0);
    let i = 0;
    for (; i + 2 <= len; i += 2) {
      const gv = v128.load(gr + (<usize>i << 3));
      acc = f64x2.add(acc, log ? gv : f64x2.mul(gv, v128.load(yr + (<usize>i << 3))));
    }
    let s = hsum64(acc);
    for (; i < len; i++) {
      const gi = load<f64>(gr + (<usize>i << 3));
      s += log ? gi : gi * load<f64>(yr + (<usize>i << 3));
    }
    const sv = f64x2.splat(s);
    i = 0;
    if (log) {
      for (; i + 2 <= len; i += 2) {
        const e = expV(v128.load(yr + (<usize>i << 3)));
        v128.store(or + (<usize>i << 3), f64x2.sub(v128.load(gr + (<usize>i << 3)), f64x2.mul(e, sv)));
      }
      for (; i < len; i++) {
        const e = f64x2.extract_lane(expV(f64x2.splat(load<f64>(yr + (<usize>i << 3)))), 0);
        store<f64>(or + (<usize>i << 3), load<f64>(gr + (<usize>i << 3)) - e * s);
      }
    } else {
      for (; i + 2 <= len; i += 2) {
        const yv = v128.load(yr + (<usize>i << 3));
        v128.store(or + (<usize>i << 3), f64x2.mul(yv, f64x2.sub(v128.load(gr + (<usize>i << 3)), sv)));
      }
      for (; i < len; i++) store<f64>(or + (<usize>i << 3), load<f64>(yr + (<usize>i << 3)) * (load<f64>(gr + (<usize>i << 3)) - s));
    }
  }
}

/** Σ e^{x − mx} over a float32 row, in f64. */
function rowExpSumF32(xr: usize, len: i32, mx: f32): f64 {
  const mv = f32x4.splat(mx);
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const e = expV32(f32x4.sub(v128.load(xr + (<usize>i << 2)), mv));
    acc = f64x2.add(acc, f64x2.add(f64x2.promote_low_f32x4(e), promoteHigh(e)));
  }
  let sum = hsum64(acc);
  for (; i < len; i++) sum += <f64>f32x4.extract_lane(expV32(f32x4.splat(load<f32>(xr + (<usize>i << 2)) - mx)), 0);
  return sum;
}

/**
 * Rows r0..r1−1 of float32 logits x [rows, len] against int32 class indices t: out[r] =
 * max + log Σ e^{x − max} − x[r, t[r]] (cross entropy; indices checked by the host's caller).
 */
export function softmaxCrossEntropyF32(x: usize, t: usize, out: usize, r0: i32, r1: i32, len: i32): void {
  const rowBytes = <usize>len << 2;
  for (let r = r0; r < r1; r++) {
    const xr = x + <usize>r * rowBytes;
    const mx = rowMaxF32(xr, len);
    const picked = load<f32>(xr + (<usize>load<i32>(t + (<usize>r << 2)) << 2));
    store<f32>(out + (<usize>r << 2), <f32>(Math.log(rowExpSumF32(xr, len, mx)) + (<f64>mx - <f64>picked)));
  }
}

/**
 * Its gradient for rows r0..r1−1: out[r, j] = (softmax(x)[r, j] − [j = t[r]])·g[r]; out may
 * equal x (each row's sum is taken before the row is written).
 */
export function softmaxCrossEntropyBackwardF32(g: usize, x: usize, t: usize, out: usize, r0: i32, r1: i32, len: i32): void {
  const rowBytes = <usize>len << 2;
  for (let r = r0; r < r1; r++) {
    const xr = x + <usize>r * rowBytes;
    const or = out + <usize>r * rowBytes;
    const mx = rowMaxF32(xr, len);
    const gr = load<f32>(g + (<usize>r << 2));
    const scale = <f32>(<f64>gr / rowExpSumF32(xr, len, mx)); // softmax·g = e^{x − max}·(g / Σ)
    const mv = f32x4.splat(mx);
    const sv = f32x4.splat(scale);
    let i = 0;
    for (; i + 4 <= len; i += 4) v128.store(or + (<usize>i << 2), f32x4.mul(expV32(f32x4.sub(v128.load(xr + (<usize>i << 2)), mv)), sv));
    for (; i < len; i++) store<f32>(or + (<usize>i << 2), f32x4.extract_lane(expV32(f32x4.splat(load<f32>(xr + (<usize>i << 2)) - mx)), 0) * scale);
    const at = or + (<usize>load<i32>(t + (<usize>r << 2)) << 2);
    store<f32>(at, load<f32>(at) - gr);
  }
}
