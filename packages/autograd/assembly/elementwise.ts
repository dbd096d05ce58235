/**
 * Elementwise ops, sums and thin products over contiguous buffers the
 * host has copied in. The cpu backend computes in JS numbers (float64) and rounds once on store;
 * so do these kernels, except where float32 lanes give the same result (add/sub/mul/div, sqrt,
 * abs, neg, relu: one rounding either way) or a bounded one (float32 exp/tanh/sigmoid, within
 * 1–2 float32 ulps; math32.ts).
 */

import { expOf, sigmoidOf, tanhOf } from "./activations";

/** Unary ops (compile-time selectors for the inlined loops; each op has its own export). */
const OP_EXP: i32 = 0;
const OP_TANH: i32 = 1;
const OP_SIGMOID: i32 = 2;
const OP_RELU: i32 = 3;
const OP_SQRT: i32 = 4;
const OP_ABS: i32 = 5;
const OP_NEG: i32 = 6;

// @ts-ignore: decorator
@inline function apply(op: i32, x: v128): v128 {
  if (op == OP_EXP) return expOf<f64>(x);
  if (op == OP_TANH) return tanhOf<f64>(x);
  if (op == OP_RELU) return v128.and(x, v128.or(f64x2.gt(x, f64x2.splat(0)), f64x2.ne(x, x))); // x > 0 or NaN ? x : +0
  if (op == OP_SQRT) return f64x2.sqrt(x); // sqrt, abs and neg are exact, as in the cpu kernel
  if (op == OP_ABS) return f64x2.abs(x);
  if (op == OP_NEG) return f64x2.neg(x);
  return sigmoidOf<f64>(x);
}

/** apply's op on f32x4 lanes, in float32 (math32.ts). */
// @ts-ignore: decorator
@inline function apply32(op: i32, x: v128): v128 {
  if (op == OP_EXP) return expOf<f32>(x);
  if (op == OP_TANH) return tanhOf<f32>(x);
  if (op == OP_RELU) return v128.and(x, v128.or(f32x4.gt(x, f32x4.splat(0)), f32x4.ne(x, x)));
  if (op == OP_SQRT) return f32x4.sqrt(x); // rounded once in float32: the cpu's float64 sqrt rounded to float32
  if (op == OP_ABS) return f32x4.abs(x);
  if (op == OP_NEG) return f32x4.neg(x);
  return sigmoidOf<f32>(x);
}

/** The high two f32 lanes of v widened to f64x2. */
// @ts-ignore: decorator
@inline function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<i32>(v, v, 2, 3, 0, 1));
}

/** Two f64x2 rounded to f32 and joined into one f32x4 (lo lanes first). */
// @ts-ignore: decorator
@inline function demoteJoin(lo: v128, hi: v128): v128 {
  return v128.shuffle<i32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

/** In place: p[i] = op(p[i]) for n f64 values (n rounded up to an even count: the host pads). */
// @ts-ignore: decorator
@inline function unaryLoopF64(op: i32, p: usize, n: i32): void {
  const end = p + (<usize>((n + 1) & ~1) << 3);
  // two vectors per step: independent work for the out-of-order core to overlap
  for (; p + 16 < end; p += 32) {
    const a = apply(op, v128.load(p));
    const b = apply(op, v128.load(p, 16));
    v128.store(p, a);
    v128.store(p, b, 16);
  }
  if (p < end) v128.store(p, apply(op, v128.load(p)));
}

// @ts-ignore: decorator
@inline function unaryLoopF32(op: i32, p: usize, n: i32): void {
  const end = p + (<usize>((n + 3) & ~3) << 2);
  // two vectors per step: independent work for the out-of-order core to overlap
  for (; p + 16 < end; p += 32) {
    const a = apply32(op, v128.load(p));
    const b = apply32(op, v128.load(p, 16));
    v128.store(p, a);
    v128.store(p, b, 16);
  }
  if (p < end) v128.store(p, apply32(op, v128.load(p)));
}

// One export per op and type, each a straight SIMD loop. (A single export that branched on the
// op to separate loops is what Binaryen turns back into one loop testing the op every vector.)

/** In place: p[i] = e^p[i] for n f32 values (n rounded up to a multiple of 4: the host pads), in float32 (math32.ts). */
export function expF32(p: usize, n: i32): void {
  unaryLoopF32(OP_EXP, p, n);
}

/** In place: tanh, as expF32. */
export function tanhF32(p: usize, n: i32): void {
  unaryLoopF32(OP_TANH, p, n);
}

/** In place: sigmoid, as expF32. */
export function sigmoidF32(p: usize, n: i32): void {
  unaryLoopF32(OP_SIGMOID, p, n);
}

/** In place: relu, as expF32. */
export function reluF32(p: usize, n: i32): void {
  unaryLoopF32(OP_RELU, p, n);
}

/** In place: sqrt, as expF32. */
export function sqrtF32(p: usize, n: i32): void {
  unaryLoopF32(OP_SQRT, p, n);
}

/** In place: abs, as expF32. */
export function absF32(p: usize, n: i32): void {
  unaryLoopF32(OP_ABS, p, n);
}

/** In place: neg, as expF32. */
export function negF32(p: usize, n: i32): void {
  unaryLoopF32(OP_NEG, p, n);
}

/** In place: p[i] = e^p[i] for n f64 values (n rounded up to an even count: the host pads). */
export function expF64(p: usize, n: i32): void {
  unaryLoopF64(OP_EXP, p, n);
}

/** In place: tanh, as expF64. */
export function tanhF64(p: usize, n: i32): void {
  unaryLoopF64(OP_TANH, p, n);
}

/** In place: sigmoid, as expF64. */
export function sigmoidF64(p: usize, n: i32): void {
  unaryLoopF64(OP_SIGMOID, p, n);
}

/** In place: relu, as expF64. */
export function reluF64(p: usize, n: i32): void {
  unaryLoopF64(OP_RELU, p, n);
}

/** In place: sqrt, as expF64. */
export function sqrtF64(p: usize, n: i32): void {
  unaryLoopF64(OP_SQRT, p, n);
}

/** In place: abs, as expF64. */
export function absF64(p: usize, n: i32): void {
  unaryLoopF64(OP_ABS, p, n);
}

/** In place: neg, as expF64. */
export function negF64(p: usize, n: i32): void {
  unaryLoopF64(OP_NEG, p, n);
}

/** out[r] = Σ of row r (f64, four lanes) for `rows` contiguous rows of `len` f32 or f64 values. */
export function sumRows(x: usize, out: usize, rows: i32, len: i32, f32: bool): void {
  const shift = f32 ? 2 : 3;
  const rowBytes = <usize>len << shift;
  for (let r = 0; r < rows; r++, x += rowBytes) {
    let a0 = f64x2.splat(0);
    let a1 = f64x2.splat(0);
    let i = 0;
    if (f32) {
      for (; i + 4 <= len; i += 4) {
        const v = v128.load(x + (<usize>i << 2));
        a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v));
        a1 = f64x2.add(a1, promoteHigh(v));
      }
    } else {
      for (; i + 4 <= len; i += 4) {
        a0 = f64x2.add(a0, v128.load(x + (<usize>i << 3)));
        a1 = f64x2.add(a1, v128.load(x + (<usize>i << 3), 16));
      }
    }
    a0 = f64x2.add(a0, a1);
    let s = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
    for (; i < len; i++) s += f32 ? <f64>load<f32>(x + (<usize>i << 2)) : load<f64>(x + (<usize>i << 3));
    store<f64>(out + (<usize>r << 3), s);
  }
}

// ---------------------------------------------------------------- binary ops

/** Binary ops (compile-time selectors for the inlined loops; each op has its own export). */
const OP_ADD: i32 = 0;
const OP_SUB: i32 = 1;
const OP_MUL: i32 = 2;
const OP_DIV: i32 = 3;
const OP_SIGMOID_BACKWARD: i32 = 4;
const OP_TANH_BACKWARD: i32 = 5;
const OP_RELU_BACKWARD: i32 = 6;

/** How b is read (a is read whole, except in MODE_SCALAR_A). */
export const MODE_FULL: i32 = 0; // b[i]
export const MODE_SCALAR_B: i32 = 1; // b[0] everywhere
export const MODE_SCALAR_A: i32 = 2; // a[0] everywhere, b[i]
export const MODE_ROW_B: i32 = 3; // b[i % len]: a row repeated down a's rows (a bias)

/** op on f64x2 lanes, in the cpu kernel's order of evaluation. */
// @ts-ignore: decorator
@inline function binary64(op: i32, a: v128, b: v128): v128 {
  if (op == OP_ADD) return f64x2.add(a, b);
  if (op == OP_SUB) return f64x2.sub(a, b);
  if (op == OP_MUL) return f64x2.mul(a, b);
  if (op == OP_DIV) return f64x2.div(a, b);
  if (op == OP_RELU_BACKWARD) return v128.andnot(a, f64x2.le(b, f64x2.splat(0))); // y ≤ 0 ? +0 : g (a NaN y passes g)
  const one = f64x2.splat(1);
  if (op == OP_SIGMOID_BACKWARD) return f64x2.mul(f64x2.mul(a, b), f64x2.sub(one, b)); // g·y·(1 − y)
  return f64x2.mul(a, f64x2.sub(one, f64x2.mul(b, b))); // tanh: g·(1 − y²)
}

/**
 * op on f32x4 lanes. The four arithmetic ops round once in float32, which equals the cpu kernel's
 * float64 result rounded to float32 (float64 is wide enough for that); the composite derivative
 * ops are evaluated in float64 like the cpu kernel and rounded once.
 */
// @ts-ignore: decorator
@inline function binary32(op: i32, a: v128, b: v128): v128 {
  if (op == OP_ADD) return f32x4.add(a, b);
  if (op == OP_SUB) return f32x4.sub(a, b);
  if (op == OP_MUL) return f32x4.mul(a, b);
  if (op == OP_DIV) return f32x4.div(a, b);
  if (op == OP_RELU_BACKWARD) return v128.andnot(a, f32x4.le(b, f32x4.splat(0)));
  return demoteJoin(
    binary64(op, f64x2.promote_low_f32x4(a), f64x2.promote_low_f32x4(b)),
    binary64(op, promoteHigh(a), promoteHigh(b)),
  );
}

/** op on one vector of T lanes (f32x4 or f64x2). */
// @ts-ignore: decorator
@inline function binaryLanes<T>(op: i32, a: v128, b: v128): v128 {
  return sizeof<T>() == 4 ? binary32(op, a, b) : binary64(op, a, b);
}

/** One T value in every lane. */
// @ts-ignore: decorator
@inline function splatAt<T>(p: usize): v128 {
  return sizeof<T>() == 4 ? v128.load32_splat(p) : v128.load64_splat(p);
}

/** The binary loop for element type T (f32 or f64) and a fixed op and mode. */
// @ts-ignore: decorator
@inline function runBinary<T>(op: i32, mode: i32, a: usize, b: usize, out: usize, n: i32, len: i32): void {
  const size = <usize>sizeof<T>();
  const end = <usize>n * size; // the host pads operands to whole vectors
  if (mode == MODE_FULL) {
    for (let i: usize = 0; i < end; i += 16) v128.store(out + i, binaryLanes<T>(op, v128.load(a + i), v128.load(b + i)));
  } else if (mode == MODE_SCALAR_B) {
    const s = splatAt<T>(b);
    for (let i: usize = 0; i < end; i += 16) v128.store(out + i, binaryLanes<T>(op, v128.load(a + i), s));
  } else if (mode == MODE_SCALAR_A) {
    const s = splatAt<T>(a);
    for (let i: usize = 0; i < end; i += 16) v128.store(out + i, binaryLanes<T>(op, s, v128.load(b + i)));
  } else {
    const rowBytes = <usize>len * size;
    const vecBytes = rowBytes & ~15;
    for (let row: usize = 0; row < end; row += rowBytes) {
      let i: usize = 0;
      for (; i < vecBytes; i += 16) v128.store(out + row + i, binaryLanes<T>(op, v128.load(a + row + i), v128.load(b + i)));
      // the row's tail, one value at a time through the same vector code
      for (; i < rowBytes; i += size) {
        const v = binaryLanes<T>(op, splatAt<T>(a + row + i), splatAt<T>(b + i));
        if (sizeof<T>() == 4) store<f32>(out + row + i, f32x4.extract_lane(v, 0));
        else store<f64>(out + row + i, f64x2.extract_lane(v, 0));
      }
    }
  }
}

// Binary kernels, one export per op and type (see the unary ones for why): out[i] = op(a[i], b[…])
// over n values, b read as `mode` says (len: the row length for MODE_ROW_B); out may be a or b.

export function addF32(mode: i32, a: usize, b: usize, out: usize, n: i32, len: i32): void {
  runBinary<f32>(OP_ADD, mode, a, b, out, n, len);
}
export function subF32(mode: i32, a: usize, b: usize, out: usize, n: i32, len: i32): void {
  runBinary<f32>(OP_SUB, mode, a, b, out, n, len);
}
export function mulF32(mode: i32, a: usize, b: usize, out: usize, n: i32, len: i32): void {
  runBinary<f32>(OP_MUL, mode, a, b, out, n, len);
}
export function divF32(mode: i32, a: usize, b: usize, out: usize, n: i32, len: i32): void {
  runBinary<f32>(OP_DIV, mode, a, b, out, n, len);
}
export function sigmoidBackwardF32(mode: i32, a: usize, b: usize, out: usize, n: i32, len: i32): void {
  runBinary<f32>(OP_SIGMOID_BACKWARD, mode, a, b, out, n, len);
}
export function tanhBackwardF32(mode: i32, a: usize, b: usize, out: usize, n: i32, len: i32): void {
  runBinary<f32>(OP_TANH_BACKWARD, mode, a, b, out, n, len);
}
export function reluBackwardF32(mode: i32, a: usize, b: usize, out: usize, n: i32, len: i32): void {
  runBinary<f32>(OP_RELU_BACKWARD, mode, a, b, out, n, len);
}
export function addF64(mode: i32, a: usize, b: usize, out: usize, n: i32, len: i32): void {
  runBinary<f64>(OP_ADD, mode, a, b, out, n, len);
}
export function subF64(mode: i32, a: usize, b: usize, out: usize, n: i32, len: i32): void {
  runBinary<f64>(OP_SUB, mode, a, b, out, n, len);
}
export function mulF64(mode: i32, a: usize, b: usize, out: usize, n: i32, len: i32): void {
  runBinary<f64>(OP_MUL, mode, a, b, out, n, len);
}
export function divF64(mode: i32, a: usize, b: usize, out: usize, n: i32, len: i32): void {
  runBinary<f64>(OP_DIV, mode, a, b, out, n, len);
}
export function sigmoidBackwardF64(mode: i32, a: usize, b: usize, out: usize, n: i32, len: i32): void {
  runBinary<f64>(OP_SIGMOID_BACKWARD, mode, a, b, out, n, len);
}
export function tanhBackwardF64(mode: i32, a: usize, b: usize, out: usize, n: i32, len: i32): void {
  runBinary<f64>(OP_TANH_BACKWARD, mode, a, b, out, n, len);
}
export function reluBackwardF64(mode: i32, a: usize, b: usize, out: usize, n: i32, len: i32): void {
  runBinary<f64>(OP_RELU_BACKWARD, mode, a, b, out, n, len);
}

/**
 * Column sums of a rows×len block: out[j] = Σ_r x[r·len + j] (f64 accumulators in out, added
 * row by row in order — the cpu kernel's order, so the sums are the same). For sums over leading
 * dims: a bias's gradient summed over the batch.
 */
export function sumColumns(x: usize, out: usize, rows: i32, len: i32, f32: bool): void {
  const outEnd = out + (<usize>len << 3);
  for (let p = out; p < outEnd; p += 8) store<f64>(p, 0);
  const rowBytes = <usize>len << (f32 ? 2 : 3);
  for (let r = 0; r < rows; r++, x += rowBytes) {
    let j = 0;
    if (f32) {
      for (; j + 4 <= len; j += 4) {
        const v = v128.load(x + (<usize>j << 2));
        const o = out + (<usize>j << 3);
        v128.store(o, f64x2.add(v128.load(o), f64x2.promote_low_f32x4(v)));
        v128.store(o, f64x2.add(v128.load(o, 16), promoteHigh(v)), 16);
      }
      for (; j < len; j++) {
        const o = out + (<usize>j << 3);
        store<f64>(o, load<f64>(o) + <f64>load<f32>(x + (<usize>j << 2)));
      }
    } else {
      for (; j + 2 <= len; j += 2) {
        const o = out + (<usize>j << 3);
        v128.store(o, f64x2.add(v128.load(o), v128.load(x + (<usize>j << 3))));
      }
      if (j < len) {
        const o = out + (<usize>j << 3);
        store<f64>(o, load<f64>(o) + load<f64>(x + (<usize>j << 3)));
      }
    }
  }
}

// ---------------------------------------------------------------- thin products

/** Element `index` of T data at p, widened to f64. */
// @ts-ignore: decorator
@inline function loadWide<T>(p: usize, index: i32): f64 {
  return <f64>load<T>(p + (<usize>index << alignof<T>()));
}

/** matVec for T data (f32 or f64). */
// @ts-ignore: decorator
@inline function matVecOf<T>(a: usize, v: usize, out: usize, m: i32, k: i32): void {
  const rowBytes = <usize>k << alignof<T>();
  let i = 0;
  // four rows per step: two independent accumulator chains
  for (; i + 4 <= m; i += 4) {
    let acc0 = f64x2.splat(0);
    let acc1 = f64x2.splat(0);
    const p0 = a + <usize>i * rowBytes;
    const p1 = p0 + rowBytes;
    const p2 = p1 + rowBytes;
    const p3 = p2 + rowBytes;
    for (let p = 0; p < k; p++) {
      const vp = f64x2.splat(loadWide<T>(v, p));
      const x0 = f64x2.replace_lane(f64x2.splat(loadWide<T>(p0, p)), 1, loadWide<T>(p1, p));
      const x1 = f64x2.replace_lane(f64x2.splat(loadWide<T>(p2, p)), 1, loadWide<T>(p3, p));
      acc0 = f64x2.add(acc0, f64x2.mul(x0, vp));
      acc1 = f64x2.add(acc1, f64x2.mul(x1, vp));
    }
    v128.store(out + (<usize>i << 3), acc0);
    v128.store(out + (<usize>i << 3), acc1, 16);
  }
  for (; i + 2 <= m; i += 2) {
    let acc = f64x2.splat(0);
    const p0 = a + <usize>i * rowBytes;
    const p1 = p0 + rowBytes;
    for (let p = 0; p < k; p++) {
      const x = f64x2.replace_lane(f64x2.splat(loadWide<T>(p0, p)), 1, loadWide<T>(p1, p));
      acc = f64x2.add(acc, f64x2.mul(x, f64x2.splat(loadWide<T>(v, p))));
    }
    v128.store(out + (<usize>i << 3), acc);
  }
  if (i < m) {
    const row = a + <usize>i * rowBytes;
    let sum: f64 = 0;
    for (let p = 0; p < k; p++) sum += loadWide<T>(row, p) * loadWide<T>(v, p);
    store<f64>(out + (<usize>i << 3), sum);
  }
}

/**
 * out[i] = Σ_p a[i·k + p]·v[p] (m×k row-major @ k) with f64 accumulators, p in order — the cpu
 * matmul's dot products, so results are the same. Rows go four (then two) per step, sharing v[p].
 */
export function matVec(a: usize, v: usize, out: usize, m: i32, k: i32, f32: bool): void {
  if (f32) matVecOf<f32>(a, v, out, m, k);
  else matVecOf<f64>(a, v, out, m, k);
}

/**
 * out[j] = Σ_p v[p]·b[p·n + j] (1×k @ k×n) with f64 accumulators, p in order — the cpu matmul's
 * order, so results are the same. A matrix·vector product a @ v is this with b = aᵀ (the host
 * copies a transposed), since out[i] = Σ_p v[p]·aᵀ[p, i].
 */
export function vecMat(v: usize, b: usize, out: usize, k: i32, n: i32, f32: bool): void {
  const outEnd = out + (<usize>n << 3);
  for (let o = out; o < outEnd; o += 8) store<f64>(o, 0);
  const rowBytes = <usize>n << (f32 ? 2 : 3);
  for (let p = 0; p < k; p++, b += rowBytes) {
    if (f32) {
      const s = f64x2.splat(<f64>load<f32>(v + (<usize>p << 2)));
      let j = 0;
      for (; j + 4 <= n; j += 4) {
        const x = v128.load(b + (<usize>j << 2));
        const o = out + (<usize>j << 3);
        v128.store(o, f64x2.add(v128.load(o), f64x2.mul(s, f64x2.promote_low_f32x4(x))));
        v128.store(o, f64x2.add(v128.load(o, 16), f64x2.mul(s, promoteHigh(x))), 16);
      }
      const sv = f64x2.extract_lane(s, 0);
      for (; j < n; j++) {
        const o = out + (<usize>j << 3);
        store<f64>(o, load<f64>(o) + sv * <f64>load<f32>(b + (<usize>j << 2)));
      }
    } else {
      const s = v128.load64_splat(v + (<usize>p << 3));
      let j = 0;
      for (; j + 2 <= n; j += 2) {
        const o = out + (<usize>j << 3);
        v128.store(o, f64x2.add(v128.load(o), f64x2.mul(s, v128.load(b + (<usize>j << 3)))));
      }
      if (j < n) {
        const o = out + (<usize>j << 3);
        store<f64>(o, load<f64>(o) + f64x2.extract_lane(s, 0) * load<f64>(b + (<usize>j << 3)));
      }
    }
  }
}

/** out[i·n + j] = a[i]·b[j] (m×1 @ 1×n), in place of nothing: out is its own region. */
export function outer(a: usize, b: usize, out: usize, m: i32, n: i32, f32: bool): void {
  const shift: usize = f32 ? 2 : 3;
  const rowBytes = <usize>n << shift;
  const vecBytes = f32 ? <usize>(n & ~3) << 2 : <usize>(n & ~1) << 3;
  for (let i = 0; i < m; i++, out += rowBytes) {
    let j: usize = 0;
    if (f32) {
      const s = v128.load32_splat(a + (<usize>i << 2));
      for (; j < vecBytes; j += 16) v128.store(out + j, f32x4.mul(s, v128.load(b + j)));
      for (; j < rowBytes; j += 4) store<f32>(out + j, f32x4.extract_lane(s, 0) * load<f32>(b + j));
    } else {
      const s = v128.load64_splat(a + (<usize>i << 3));
      for (; j < vecBytes; j += 16) v128.store(out + j, f64x2.mul(s, v128.load(b + j)));
      if (j < rowBytes) store<f64>(out + j, f64x2.extract_lane(s, 0) * load<f64>(b + j));
    }
  }
}
