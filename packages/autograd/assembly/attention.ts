/**
 * The attention softmax (scale, causal mask and softmax in one pass) and its backward over
 * contiguous rows the host has copied in (src/backend/wasm/attention.ts), in T lanes: float32 in
 * f32x4 lanes (exp: math32.ts, within 1 float32 ulp) with f64 row sums. Only float32 is exported
 * (float64 runs the cpu kernel, as for layernorm.ts), though the code is written for f64x2 too.
 * Row r is query i = r mod L; under `causal` it sees keys j ≤ i only, the rest get exactly 0.
 * Row ranges [r0, r1) let threads split one call.
 */

import { expOf } from "./activations";

// @ts-ignore: decorator
@inline function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
}

/** The lanes of v (T values) added into an f64x2 accumulator. */
// @ts-ignore: decorator
@inline function addLanes<T>(acc: v128, v: v128): v128 {
  return sizeof<T>() == 4 ? f64x2.add(acc, f64x2.add(f64x2.promote_low_f32x4(v), promoteHigh(v))) : f64x2.add(acc, v);
}

// @ts-ignore: decorator
@inline function hsum(a: v128): f64 {
  return f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
}

/** Largest lane of T lanes; NaN if any lane is NaN. */
// @ts-ignore: decorator
@inline function hmax<T>(m: v128): T {
  if (sizeof<T>() == 4) {
    return <T>max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
  }
  return <T>max(f64x2.extract_lane(m, 0), f64x2.extract_lane(m, 1));
}

/** e^x of one T value through the vector exp (so a row's tail rounds like its body). */
// @ts-ignore: decorator
@inline function exp1<T>(x: T): T {
  return v128.extract_lane<T>(expOf<T>(v128.splat<T>(x)), 0);
}

// @ts-ignore: decorator
@inline function attentionSoftmaxRows<T>(x: usize, out: usize, r0: i32, r1: i32, L: i32, S: i32, scale: f64, causal: bool): void {
  const sh: usize = sizeof<T>() == 4 ? 2 : 3;
  const lanes = 16 >> (<i32>sh);
  const rowBytes = <usize>S << sh;
  const s = <T>scale;
  const sv = v128.splat<T>(s);
  for (let r = r0; r < r1; r++) {
    const xr = x + <usize>r * rowBytes;
    const or = out + <usize>r * rowBytes;
    const len = causal ? min(S, (r % L) + 1) : S; // keys [0, len) take part
    // pass 1: the max of x·scale (NaN propagates; an all −∞ row gives NaN, as the cpu's)
    let mvec = v128.splat<T>(<T>-Infinity);
    let j = 0;
    for (; j + lanes <= len; j += lanes) mvec = v128.max<T>(mvec, v128.mul<T>(v128.load(xr + (<usize>j << sh)), sv));
    let mx = hmax<T>(mvec);
    for (; j < len; j++) mx = max(mx, load<T>(xr + (<usize>j << sh)) * s);
    // pass 2: e = exp(x·scale − max) into out, summed in f64
    const mv = v128.splat<T>(mx);
    let acc = f64x2.splat(0);
    for (j = 0; j + lanes <= len; j += lanes) {
      const e = expOf<T>(v128.sub<T>(v128.mul<T>(v128.load(xr + (<usize>j << sh)), sv), mv));
      v128.store(or + (<usize>j << sh), e);
      acc = addLanes<T>(acc, e);
    }
    let sum = hsum(acc);
    for (; j < len; j++) {
      const e = exp1<T>(load<T>(xr + (<usize>j << sh)) * s - mx);
      store<T>(or + (<usize>j << sh), e);
      sum += <f64>e;
    }
    // pass 3: normalize; masked keys get 0
    const inv = <T>(1 / sum);
    const iv = v128.splat<T>(inv);
    for (j = 0; j + lanes <= len; j += lanes) v128.store(or + (<usize>j << sh), v128.mul<T>(v128.load(or + (<usize>j << sh)), iv));
    for (; j < len; j++) store<T>(or + (<usize>j << sh), load<T>(or + (<usize>j << sh)) * inv);
    for (; j < S; j++) store<T>(or + (<usize>j << sh), <T>0);
  }
}

/** Backward of rows r0..r1−1 from upstream g and the forward output y: out = scale·y·(g − Σ g·y); out may equal g. */
// @ts-ignore: decorator
@inline function attentionSoftmaxBackwardRows<T>(g: usize, y: usize, out: usize, r0: i32, r1: i32, S: i32, scale: f64): void {
  const sh: usize = sizeof<T>() == 4 ? 2 : 3;
  const lanes = 16 >> (<i32>sh);
  const rowBytes = <usize>S << sh;
  const s = <T>scale;
  const sv = v128.splat<T>(s);
  for (let r = r0; r < r1; r++) {
    const gr = g + <usize>r * rowBytes;
    const yr = y + <usize>r * rowBytes;
    const or = out + <usize>r * rowBytes;
    let acc = f64x2.splat(0);
    let j = 0;
    for (; j + lanes <= S; j += lanes) acc = addLanes<T>(acc, v128.mul<T>(v128.load(gr + (<usize>j << sh)), v128.load(yr + (<usize>j << sh))));
    let dot = hsum(acc);
    for (; j < S; j++) dot += <f64>(load<T>(gr + (<usize>j << sh)) * load<T>(yr + (<usize>j << sh)));
    const d = <T>dot;
    const dv = v128.splat<T>(d);
    for (j = 0; j + lanes <= S; j += lanes) {
      const yv = v128.load(yr + (<usize>j << sh));
      v128.store(or + (<usize>j << sh), v128.mul<T>(v128.mul<T>(sv, yv), v128.sub<T>(v128.load(gr + (<usize>j << sh)), dv)));
    }
    for (; j < S; j++) store<T>(or + (<usize>j << sh), s * load<T>(yr + (<usize>j << sh)) * (load<T>(gr + (<usize>j << sh)) - d));
  }
}

/** Attention softmax of float32 rows r0..r1−1 of S keys (L queries per matrix); x may equal out. */
export function attentionSoftmaxF32(x: usize, out: usize, r0: i32, r1: i32, L: i32, S: i32, scale: f64, causal: bool): void {
  attentionSoftmaxRows<f32>(x, out, r0, r1, L, S, scale, causal);
}


/** Attention softmax backward of float32 rows r0..r1−1. */
export function attentionSoftmaxBackwardF32(g: usize, y: usize, out: usize, r0: i32, r1: i32, S: i32, scale: f64): void {
  attentionSoftmaxBackwardRows<f32>(g, y, out, r0, r1, S, scale);
}

