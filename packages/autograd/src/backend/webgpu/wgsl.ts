/**
 * WGSL sources of the webgpu backend's kernels (webgpu-backend.ts dispatches them; gpu-context.ts
 * compiles each source once). Every kernel reads its sizes, strides and offsets from binding 0,
 * an array of i32 "info" words whose layout each generator documents; the host side that fills
 * it is next to the dispatch in webgpu-backend.ts.
 *
 * Storage: float32 as f32, int32 and bool as i32 (bool 0/1). WGSL has no f64.
 */

import type { BinaryOp, ReduceOp, ScanOp, UnaryOp } from "../backend.js";

/** A WGSL scalar type of storage or arithmetic. */
export type Wgsl = "f32" | "i32";

/** Threads per workgroup of the one-thread-per-element kernels. */
export const GROUP = 64;

/** The flat invocation index of a 1-d kernel dispatched over a 2-d grid of workgroups (see groupsFor). */
const INDEX = "let i = i32((wid.y * nwg.x + wid.x) * 64u + lid);";
const MAIN_1D =
  "@compute @workgroup_size(64)\nfn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {";

/** Workgroups for `n` threads: at most 65535 along x (WebGPU's limit), the rest along y. */
export function groupsFor(n: number): [number, number, number] {
  const groups = Math.ceil(n / GROUP);
  const x = Math.min(groups, 65535);
  return [x, Math.ceil(groups / x), 1];
}

/**
 * `generate` memoized by its arguments. A kernel's source is a few KB: building it again for
 * every dispatch, and hashing the new string for the compiled-pipeline lookup (gpu-context.ts),
 * took a third of a small op's host time (bench/probe/webgpu-dispatch.ts); the same string
 * object every time is hashed once.
 */
function memoized<A extends readonly (string | number | boolean)[]>(generate: (...args: A) => string): (...args: A) => string {
  const sources = new Map<string, string>();
  return (...args: A): string => {
    const key = args.join("\u0001"); // (a character no WGSL source or generator argument holds)
    let source = sources.get(key);
    if (source === undefined) sources.set(key, (source = generate(...args)));
    return source;
  };
}

function bindings(inputs: readonly Wgsl[], out: Wgsl): string {
  const lines = ["@group(0) @binding(0) var<storage, read> info: array<i32>;"];
  inputs.forEach((t, k) => lines.push(`@group(0) @binding(${k + 1}) var<storage, read> src${k}: array<${t}>;`));
  lines.push(`@group(0) @binding(${inputs.length + 1}) var<storage, read_write> dst: array<${out}>;`);
  return lines.join("\n");
}

/**
 * Indices are not checked on the host (that would read GPU memory): a kernel meeting one outside
 * [0, size) skips it and raises the device's error flag (binding after dst) to its op's code,
 * which the next read from the GPU turns into an IndexError (gpu-context.ts).
 */
export const INDEX_CODES = ["gather", "indexSelect", "scatterAdd", "indexAdd", "softmaxCrossEntropy", "crossEntropy", "nllLoss", "oneHot"] as const;

/**
 * Every code of the device's error flag (1 + position): the index kernels', then kernels that
 * check a value range in their pass (binaryCrossEntropy: p and y in [0, 1]), whose error the next
 * read turns into a ValueError.
 */
export const FLAG_CODES = [...INDEX_CODES, "binaryCrossEntropy"] as const;

/** `v` (of type `from`) converted for a store into `to` storage; `bool` stores nonzero as 1. */
function storeAs(v: string, from: Wgsl, to: Wgsl, bool: boolean): string {
  if (bool) return from === "f32" ? `select(${to}(0), ${to}(1), ${v} != 0.0)` : `select(${to}(0), ${to}(1), ${v} != 0)`;
  return from === to ? v : `${to}(${v})`;
}

// ---------------------------------------------------------------- elementwise over strided views

/**
 * Strided elementwise kernels. Info: [n, nd, shape[nd], then for operand k (the inputs, then
 * dst): offset, strides[nd]], then extra words (fill's value). Element i of the row-major
 * iteration reads operand k at at(i, k).
 */
const AT = `fn at(i: i32, k: i32) -> i32 {
  let nd = info[1];
  let base = 2 + nd + k * (nd + 1);
  var rem = i;
  var off = info[base];
  for (var d = nd - 1; d >= 0; d--) {
    let s = info[2 + d];
    off += (rem % s) * info[base + 1 + d];
    rem = rem / s;
  }
  return off;
}`;

/** Info words of an elementwise kernel: the shape, then each view's offset and strides, then `extra`. */
export function elementwiseInfo(shape: readonly number[], views: readonly { offset: number; strides: readonly number[] }[], extra: readonly number[] = []): Int32Array {
  const nd = shape.length;
  const info = new Int32Array(2 + nd + views.length * (nd + 1) + extra.length);
  let n = 1;
  for (const s of shape) n *= s;
  info[0] = n;
  info[1] = nd;
  info.set(shape, 2);
  views.forEach((v, k) => {
    const base = 2 + nd + k * (nd + 1);
    info[base] = v.offset;
    info.set(v.strides, base + 1);
  });
  info.set(extra, 2 + nd + views.length * (nd + 1));
  return info;
}

/**
 * A kernel computing dst[at(i, nIn)] = expr(src0[at(i, 0)], …) with operands converted to the
 * arithmetic type `compute`; `bool` results (comparisons) store 0/1, `boolOut` stores nonzero as 1.
 */
export function mapKernel(inputs: readonly Wgsl[], out: Wgsl, compute: Wgsl, expr: (args: readonly string[]) => string, result: "value" | "bool", boolOut: boolean): string {
  return mapSource(inputs.join(","), out, compute, expr(inputs.map((_, k) => `a${k}`)), result, boolOut);
}

const mapSource = memoized((inputList: string, out: Wgsl, compute: Wgsl, value: string, result: "value" | "bool", boolOut: boolean): string => {
  const inputs = inputList.split(",") as Wgsl[];
  const loads = inputs.map((t, k) => `  let a${k} = ${t === compute ? `src${k}[at(i, ${k})]` : `${compute}(src${k}[at(i, ${k})])`};`);
  const store = result === "bool" ? `select(${out}(0), ${out}(1), ${value})` : storeAs(`(${value})`, compute, out, boolOut);
  return `${bindings(inputs, out)}\n${PRELUDE}\n${AT}\n${MAIN_1D}\n  ${INDEX}\n  if (i >= info[0]) { return; }\n${loads.join("\n")}\n  dst[at(i, ${inputs.length})] = ${store};\n}`;
});

/** dst[at(i, 0)] = the value in the extra word (bit pattern of an f32, or an i32). */
function buildFillKernel(out: Wgsl): string {
  const value = out === "f32" ? "bitcast<f32>(info[info[1] * 2 + 3])" : "info[info[1] * 2 + 3]";
  return `${bindings([], out)}\n${AT}\n${MAIN_1D}\n  ${INDEX}\n  if (i >= info[0]) { return; }\n  dst[at(i, 0)] = ${value};\n}`;
}
export const fillKernel = memoized(buildFillKernel);

/** ±∞ and NaN: built at run time, since a WGSL constant expression may not be infinite. */
const SPECIALS = `fn bits_(b: u32) -> f32 {
  var v = b;
  return bitcast<f32>(v);
}
fn isnan_(x: f32) -> bool {
  // by the bits: WGSL lets an implementation assume that no value is NaN, so x != x may be false
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}`;

/** Helper functions the float kernels call (WGSL's builtins leave these cases undefined or inexact). */
const PRELUDE = `${SPECIALS}
fn sigmoid_(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
fn tanh_(x: f32) -> f32 {
  // tanh from e^{-2|x|}, which cannot overflow (some implementations of tanh give NaN for large |x|).
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}
fn log1p_(x: f32) -> f32 {
  // Goldberg's trick: log(u)·x/(u − 1) with u = 1 + x cancels the rounding error of u.
  let u = 1.0 + x;
  if (u == 1.0) { return x; }
  return log(u) * x / (u - 1.0);
}
fn expm1_(x: f32) -> f32 {
  // Kahan's: (u − 1)·x/log(u) with u = eˣ, accurate where eˣ − 1 would cancel.
  let u = exp(x);
  if (u == 1.0) { return x; }
  let um1 = u - 1.0;
  if (um1 == -1.0) { return -1.0; }
  if (abs(x) > 1.0) { return um1; }
  return um1 * x / log(u);
}
fn erfc_(x: f32) -> f32 {
  // Numerical Recipes' erfcc: a Chebyshev fit with fractional error below 1.2e-7 everywhere, so
  // the lower tail keeps its digits (1 − erf would lose them all).
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return select(2.0 - r, r, x >= 0.0);
}
fn erf_(x: f32) -> f32 {
  // Near 0 the Taylor series 2/√π·(x − x³/3 + x⁵/10 − x⁷/42 + x⁹/216 − x¹¹/1320) keeps the
  // relative accuracy that 1 − erfc would lose; elsewhere 1 − erfc(|x|).
  if (abs(x) < 0.5) {
    let x2 = x * x;
    return 1.1283791671 * x * (1.0 + x2 * (-0.33333333 + x2 * (0.1 + x2 * (-0.023809524 + x2 * (0.0046296296 - x2 * 0.00075757576)))));
  }
  return sign(x) * (1.0 - erfc_(abs(x)));
}
fn sincos_(x: f32, cosine: bool) -> f32 {
  // WGSL only promises 2⁻¹¹ absolute error for sin and cos: reduce by π/2 in two parts (Cody and
  // Waite) to |r| ≤ π/4 and evaluate the Taylor polynomials there (error below float32's ulp).
  let k = round(x * 0.63661977236);
  let r = (x - k * 1.5707963705062866) + k * 4.37113900018624e-8;
  let r2 = r * r;
  let s = r * (1.0 + r2 * (-1.6666667e-1 + r2 * (8.333333e-3 + r2 * (-1.984127e-4 + r2 * 2.7557319e-6))));
  let c = 1.0 + r2 * (-0.5 + r2 * (4.1666667e-2 + r2 * (-1.3888889e-3 + r2 * (2.4801587e-5 - r2 * 2.7557319e-7))));
  let q = (i32(k) + select(0, 1, cosine)) & 3;
  if (q == 0) { return s; }
  if (q == 1) { return c; }
  if (q == 2) { return -s; }
  return -c;
}
fn isfinite_(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}
fn pow_(a: f32, b: f32) -> f32 {
  // WGSL's pow is exp2(b·log2 a): undefined for a < 0 and for 0⁰. Math.pow's cases by hand.
  if (b == 0.0) { return 1.0; }
  if (a == 0.0) { return select(0.0, bits_(0x7f800000u), b < 0.0); }
  let r = exp2(b * log2(abs(a)));
  if (a > 0.0) { return r; }
  if (fract(b) != 0.0) { return bits_(0x7fc00000u); }
  return select(r, -r, abs(b) % 2.0 == 1.0);
}`;

/** WGSL for a unary op on `x` computed in `t`; int32 and bool tensors reach only the ops that keep their dtype. */
export function unaryExpr(op: UnaryOp, x: string, t: Wgsl): { expr: string; result: "value" | "bool" } {
  const v = (expr: string) => ({ expr, result: "value" as const });
  const b = (expr: string) => ({ expr, result: "bool" as const });
  if (t === "i32") {
    switch (op) {
      case "neg": return v(`-${x}`);
      case "abs": return v(`abs(${x})`);
      case "sign": return v(`sign(${x})`);
      case "relu": return v(`max(${x}, 0)`);
      case "floor": case "ceil": case "round": return v(x);
      case "isfinite": return b("true");
      case "logicalNot": return b(`${x} == 0`);
      default: return v(`i32(${unaryExpr(op, `f32(${x})`, "f32").expr})`);
    }
  }
  switch (op) {
    case "neg": return v(`-${x}`);
    case "exp": return v(`exp(${x})`);
    case "log": return v(`log(${x})`);
    case "log1p": return v(`log1p_(${x})`);
    case "expm1": return v(`expm1_(${x})`);
    case "sqrt": return v(`sqrt(${x})`);
    case "abs": return v(`abs(${x})`);
    case "sign": return v(`sign(${x})`);
    case "tanh": return v(`tanh_(${x})`);
    case "sigmoid": return v(`sigmoid_(${x})`);
    case "relu": return v(`select(0.0, ${x}, ${x} > 0.0)`);
    case "erf": return v(`erf_(${x})`);
    case "sin": return v(`sincos_(${x}, false)`);
    case "cos": return v(`sincos_(${x}, true)`);
    case "floor": return v(`floor(${x})`);
    case "ceil": return v(`ceil(${x})`);
    case "round": return v(`round(${x})`); // WGSL rounds half to even, as PyTorch
    case "isfinite": return b(`isfinite_(${x})`);
    case "logicalNot": return b(`${x} == 0.0`);
    default: return op satisfies never;
  }
}

/** WGSL for a binary op on `a`, `b` computed in `t`. */
export function binaryExpr(op: BinaryOp, a: string, b: string, t: Wgsl): { expr: string; result: "value" | "bool" } {
  const v = (expr: string) => ({ expr, result: "value" as const });
  const c = (expr: string) => ({ expr, result: "bool" as const });
  const zero = t === "f32" ? "0.0" : "0";
  const one = t === "f32" ? "1.0" : "1";
  switch (op) {
    case "add": return v(`${a} + ${b}`);
    case "sub": return v(`${a} - ${b}`);
    case "mul": return v(`${a} * ${b}`);
    case "div": return v(t === "f32" ? `${a} / ${b}` : `i32(f32(${a}) / f32(${b}))`);
    case "pow": return v(t === "f32" ? `pow_(${a}, ${b})` : `i32(pow_(f32(${a}), f32(${b})))`);
    case "maximum": return v(`max(${a}, ${b})`);
    case "minimum": return v(`min(${a}, ${b})`);
    case "eq": return c(`${a} == ${b}`);
    case "ne": return c(`${a} != ${b}`);
    case "lt": return c(`${a} < ${b}`);
    case "le": return c(`${a} <= ${b}`);
    case "gt": return c(`${a} > ${b}`);
    case "ge": return c(`${a} >= ${b}`);
    case "logicalAnd": return c(`${a} != ${zero} && ${b} != ${zero}`);
    case "logicalOr": return c(`${a} != ${zero} || ${b} != ${zero}`);
    case "sigmoidBackward": return v(`${a} * ${b} * (${one} - ${b})`); // g·y·(1 − y)
    case "tanhBackward": return v(`${a} * (${one} - ${b} * ${b})`); // g·(1 − y²)
    case "reluBackward": return v(`select(${a}, ${zero}, ${b} <= ${zero})`); // y ≤ 0 ? 0 : g
    default: return op satisfies never;
  }
}

// ---------------------------------------------------------------- reductions

/**
 * Reduction of several axes, one thread per output element. Info: [nOut, ndKeep, ndRed, nRed,
 * xOffset, keepShape[ndKeep], keepStrides[ndKeep], redShape[ndRed], redStrides[ndRed]].
 * Sums use Kahan's compensated summation (the cpu oracle accumulates in float64).
 */
function buildReduceKernel(op: ReduceOp, t: Wgsl): string {
  const init = { sum: "0", prod: "1", max: t === "f32" ? "bits_(0xff800000u)" : "-2147483647 - 1", min: t === "f32" ? "bits_(0x7f800000u)" : "2147483647" }[op];
  const step =
    op === "sum" && t === "f32"
      ? "let yk = v - comp; let tk = acc + yk; comp = (tk - acc) - yk; acc = tk;"
      : op === "sum" ? "acc += v;" : op === "prod" ? "acc *= v;" : op === "max" ? "acc = max(acc, v);" : "acc = min(acc, v);";
  return `${bindings([t], t)}
${SPECIALS}
${MAIN_1D}
  ${INDEX}
  if (i >= info[0]) { return; }
  let ndk = info[1];
  let ndr = info[2];
  var rem = i;
  var base = info[4];
  for (var d = ndk - 1; d >= 0; d--) {
    let s = info[5 + d];
    base += (rem % s) * info[5 + ndk + d];
    rem = rem / s;
  }
  var acc = ${t}(${init});
  var comp = ${t}(0);
  let r0 = 5 + 2 * ndk;
  for (var r = 0; r < info[3]; r++) {
    var rr = r;
    var off = base;
    for (var d = ndr - 1; d >= 0; d--) {
      let s = info[r0 + d];
      off += (rr % s) * info[r0 + ndr + d];
      rr = rr / s;
    }
    let v = src0[off];
    ${step}
  }
  dst[i] = acc;
}`;
}
export const reduceKernel = memoized(buildReduceKernel);

// ---------------------------------------------------------------- lanes (one thread per lane along an axis)

/**
 * Kernels that walk one axis per thread ("lanes": argmax, softmax and its backward). Info:
 * [nLanes, nd, len, outerShape[nd], then per operand k: offset, outerStrides[nd], axisStride].
 * lane(l, k) is operand k's offset of lane l's first element, step(k) its stride along the axis.
 */
const LANE = `fn lane(l: i32, k: i32) -> i32 {
  let nd = info[1];
  let base = 3 + nd + k * (nd + 2);
  var rem = l;
  var off = info[base];
  for (var d = nd - 1; d >= 0; d--) {
    let s = info[3 + d];
    off += (rem % s) * info[base + 1 + d];
    rem = rem / s;
  }
  return off;
}
fn step(k: i32) -> i32 {
  let nd = info[1];
  return info[3 + nd + k * (nd + 2) + nd + 1];
}`;

/** Info words of a lane kernel over `shape` minus `axis`, for views given with their full strides. */
export function laneInfo(shape: readonly number[], axis: number, views: readonly { offset: number; strides: readonly number[] }[]): Int32Array {
  const outer = shape.filter((_, d) => d !== axis);
  const nd = outer.length;
  const info = new Int32Array(3 + nd + views.length * (nd + 2));
  info[0] = outer.reduce((p, s) => p * s, 1);
  info[1] = nd;
  info[2] = shape[axis];
  info.set(outer, 3);
  views.forEach((v, k) => {
    const base = 3 + nd + k * (nd + 2);
    info[base] = v.offset;
    info.set(v.strides.filter((_, d) => d !== axis), base + 1);
    info[base + 1 + nd] = v.strides[axis];
  });
  return info;
}

function laneKernel(inputs: readonly Wgsl[], out: Wgsl, body: string): string {
  return `${bindings(inputs, out)}\n${SPECIALS}\n${LANE}\n${MAIN_1D}\n  let l = i32((wid.y * nwg.x + wid.x) * 64u + lid);\n  if (l >= info[0]) { return; }\n  let n = info[2];\n${body}\n}`;
}

/** Index of the first max (or min) along the axis; a NaN wins (as the cpu kernel: NaN compares as the extremum). */
function buildArgReduceKernel(op: "argmax" | "argmin", t: Wgsl): string {
  const better = op === "argmax" ? "v > best" : "v < best";
  // NaN tested by its bits (isnan_): WGSL lets an implementation fold x != x to false
  const isNan = (v: string): string => (t === "f32" ? `isnan_(${v})` : "false");
  return laneKernel([t], "i32", `  let x0 = lane(l, 0);
  let sx = step(0);
  var best = src0[x0];
  var at_ = 0;
  if (!${isNan("best")}) {
    for (var j = 1; j < n; j++) {
      let v = src0[x0 + j * sx];
      if (${better} || ${isNan("v")}) { best = v; at_ = j; if (${isNan("v")}) { break; } }
    }
  }
  dst[lane(l, 1)] = at_;`);
}
export const argReduceKernel = memoized(buildArgReduceKernel);

/** Softmax (log-softmax when `log`) along the axis, the max subtracted first. */
function buildSoftmaxKernel(log: boolean): string {
  const write = log ? "src0[x0 + j * sx] - m - ls" : "exp(src0[x0 + j * sx] - m) / s";
  return laneKernel(["f32"], "f32", `  let x0 = lane(l, 0);
  let sx = step(0);
  let o0 = lane(l, 1);
  let so = step(1);
  var m = bits_(0xff800000u);
  for (var j = 0; j < n; j++) { m = max(m, src0[x0 + j * sx]); }
  var s = 0.0;
  for (var j = 0; j < n; j++) { s += exp(src0[x0 + j * sx] - m); }
  let ls = log(s);
  for (var j = 0; j < n; j++) { dst[o0 + j * so] = ${write}; }`);
}
export const softmaxKernel = memoized(buildSoftmaxKernel);

/** softmax's gradient y ⊙ (g − Σ g⊙y), or log-softmax's g − eʸ ⊙ Σ g (operands g, y, dst). */
function buildSoftmaxBackwardKernel(log: boolean): string {
  const sum = log ? "src0[g0 + j * sg]" : "src0[g0 + j * sg] * src1[y0 + j * sy]";
  const write = log ? "src0[g0 + j * sg] - exp(src1[y0 + j * sy]) * s" : "src1[y0 + j * sy] * (src0[g0 + j * sg] - s)";
  return laneKernel(["f32", "f32"], "f32", `  let g0 = lane(l, 0);
  let sg = step(0);
  let y0 = lane(l, 1);
  let sy = step(1);
  let o0 = lane(l, 2);
  let so = step(2);
  var s = 0.0;
  for (var j = 0; j < n; j++) { s += ${sum}; }
  for (var j = 0; j < n; j++) { dst[o0 + j * so] = ${write}; }`);
}
export const softmaxBackwardKernel = memoized(buildSoftmaxBackwardKernel);

/**
 * Inclusive prefix sums (products) along the axis, each stored as it is reached; float sums are
 * compensated (Kahan), as the cpu oracle accumulates in float64.
 */
function buildScanKernel(op: ScanOp, t: Wgsl): string {
  const step =
    op === "sum" && t === "f32" ? "let yk = v - comp; let tk = acc + yk; comp = (tk - acc) - yk; acc = tk;" : op === "sum" ? "acc += v;" : "acc *= v;";
  return laneKernel([t], t, `  let x0 = lane(l, 0);
  let sx = step(0);
  let o0 = lane(l, 1);
  let so = step(1);
  var acc = ${t}(${op === "sum" ? 0 : 1});
  var comp = ${t}(0);
  for (var j = 0; j < n; j++) {
    let v = src0[x0 + j * sx];
    ${step}
    dst[o0 + j * so] = acc;
  }`);
}
export const scanKernel = memoized(buildScanKernel);

// ---------------------------------------------------------------- matmul

/** Tile edge of the matmul kernel (one thread per output element of a TILE×TILE tile). */
export const TILE = 16;

/**
 * Batched matmul dst[b, i, j] = Σ_k a[b, i, k]·b[b, k, j] (+ bias[j]) with strided operands:
 * TILE×TILE tiles of a and b staged in workgroup memory (each loaded element used TILE times).
 * Info: [m, k, n, nb, aOff, aRow, aCol, bOff, bRow, bCol, biasOff, biasStride, hasBias,
 * batchShape[nb], aBatchStrides[nb], bBatchStrides[nb]]; workgroups (⌈n/TILE⌉, ⌈m/TILE⌉, batches).
 */
function buildMatmulKernel(t: Wgsl): string {
  return `${bindings([t, t, t], t)}
var<workgroup> ta: array<array<${t}, ${TILE}>, ${TILE}>;
var<workgroup> tb: array<array<${t}, ${TILE}>, ${TILE}>;
@compute @workgroup_size(${TILE}, ${TILE})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let m = info[0];
  let k = info[1];
  let n = info[2];
  let nb = info[3];
  let row = i32(wid.y) * ${TILE} + i32(lid.y);
  let col = i32(wid.x) * ${TILE} + i32(lid.x);
  let batch = i32(wid.z);
  var rem = batch;
  var aBase = info[4];
  var bBase = info[7];
  for (var d = nb - 1; d >= 0; d--) {
    let s = info[13 + d];
    let c = rem % s;
    rem = rem / s;
    aBase += c * info[13 + nb + d];
    bBase += c * info[13 + 2 * nb + d];
  }
  var acc = ${t}(0);
  let tiles = (k + ${TILE - 1}) / ${TILE};
  for (var t0 = 0; t0 < tiles; t0++) {
    let ka = t0 * ${TILE} + i32(lid.x);
    let kb = t0 * ${TILE} + i32(lid.y);
    ta[lid.y][lid.x] = select(${t}(0), src0[max(0, aBase + row * info[5] + ka * info[6])], row < m && ka < k);
    tb[lid.y][lid.x] = select(${t}(0), src1[max(0, bBase + kb * info[8] + col * info[9])], kb < k && col < n);
    workgroupBarrier();
    for (var kk = 0; kk < ${TILE}; kk++) { acc += ta[lid.y][kk] * tb[kk][lid.x]; }
    workgroupBarrier();
  }
  if (row < m && col < n) {
    if (info[12] != 0) { acc += src2[info[10] + col * info[11]]; }
    dst[(batch * m + row) * n + col] = acc;
  }
}`;
}
export const matmulKernel = memoized(buildMatmulKernel);

// ---------------------------------------------------------------- whole-buffer kernels (fused steps, activations, losses)

/**
 * Kernels over whole contiguous buffers: `body` computes element i from src0…, writing dst[i].
 * Info: [n, then f32 scalars as bit patterns], read with scalar(k).
 */
function flatKernel(inputs: number, body: string, flagged = false): string {
  return `${bindings(new Array<Wgsl>(inputs).fill("f32"), "f32")}
${flagged ? flagBinding(inputs) : ""}
${PRELUDE}
fn scalar(k: i32) -> f32 { return bitcast<f32>(info[1 + k]); }
${MAIN_1D}
  ${INDEX}
  if (i >= info[0]) { return; }
${body}
}`;
}

/** Info words of a whole-buffer kernel: n, then the scalars as float32 bit patterns. */
export function flatInfo(n: number, scalars: readonly number[] = []): Int32Array {
  const info = new Int32Array(1 + scalars.length);
  info[0] = n;
  info.set(new Int32Array(new Float32Array(scalars).buffer), 1);
  return info;
}

const SQRT_2_OVER_PI = "0.7978845608";
const INV_SQRT_2PI = "0.3989422804";

/** gelu: x·Φ(x), Φ(x) = ½·erfc(−x/√2) (no cancellation in the lower tail), or the tanh form. */
function buildGeluKernel(tanh: boolean): string {
  return flatKernel(1, tanh
    ? `  let v = src0[i];
  dst[i] = 0.5 * v * (1.0 + tanh_(${SQRT_2_OVER_PI} * (v + 0.044715 * v * v * v)));`
    : `  let v = src0[i];
  dst[i] = v * 0.5 * erfc_(-v * 0.70710678118);`);
}
export const geluKernel = memoized(buildGeluKernel);

/** g·gelu′(x): Φ(x) + x·φ(x), or ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²) with t the tanh. */
function buildGeluBackwardKernel(tanh: boolean): string {
  return flatKernel(2, tanh
    ? `  let v = src1[i];
  let t = tanh_(${SQRT_2_OVER_PI} * (v + 0.044715 * v * v * v));
  let du = ${SQRT_2_OVER_PI} * (1.0 + 3.0 * 0.044715 * v * v);
  dst[i] = src0[i] * (0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * du);`
    : `  let v = src1[i];
  dst[i] = src0[i] * (0.5 * erfc_(-v * 0.70710678118) + v * ${INV_SQRT_2PI} * exp(-0.5 * v * v));`);
}
export const geluBackwardKernel = memoized(buildGeluBackwardKernel);

/** Inverted dropout: x·(u < threshold ? scale : 0); scalars [threshold, scale]. */
export const DROPOUT = flatKernel(2, "  dst[i] = src0[i] * select(0.0, scalar(1), src1[i] < scalar(0));");

/** Binary cross entropy on probabilities: −(y·max(log p, −100) + (1 − y)·max(log(1 − p), −100)). */
export const BCE = flatKernel(2, `  let p = src0[i];
  let y = src1[i];
  // the op's range check, in the same pass (NaN fails it too): raises the device's error flag
  if (!(p >= 0.0 && p <= 1.0 && y >= 0.0 && y <= 1.0)) { atomicMax(&flag[0], ${FLAG_CODES.indexOf("binaryCrossEntropy") + 1}); }
  dst[i] = -(y * max(log(p), -100.0) + (1.0 - y) * max(log1p_(-p), -100.0));`, true);

/** Its input gradient: g·(p − y) / max(p·(1 − p), 1e-12) (operands g, p, y). */
export const BCE_BACKWARD = flatKernel(3, `  let p = src1[i];
  dst[i] = src0[i] * (p - src2[i]) / max(p * (1.0 - p), 1e-12);`);

/**
 * out += alpha·x in place (add_ with alpha), x a strided view with out's shape (elementwise info,
 * alpha's bits in the extra word): the product rounded to float32, then the sum.
 */
export const ADD_SCALED = `${bindings(["f32"], "f32")}
${AT}
${MAIN_1D}
  ${INDEX}
  if (i >= info[0]) { return; }
  let alpha = bitcast<f32>(info[info[1] * 3 + 4]); // after the shape and two views
  let o = at(i, 1);
  dst[o] = dst[o] + alpha * src0[at(i, 0)];
}`;

/** Flags of the Adam kernel, as the wasm one's (assembly/optim.ts). */
export const ADAM_MAXIMIZE = 1;
export const ADAM_DECOUPLED = 2;
export const ADAM_COUPLED = 4;
export const ADAM_LERP_UPPER = 8;

/**
 * One Adam(W) step in place on p, m, v from g, the op-by-op update's operations in its order
 * (assembly/optim.ts): info [n, flags, decay, weightDecay, lerp scalar, β2, 1 − β2, √(1 − β2ᵗ),
 * eps, −stepSize] (scalars as float32 bits).
 */
export const ADAM = `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> p: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
fn scalar(k: i32) -> f32 { return bitcast<f32>(info[2 + k]); }
${MAIN_1D}
  ${INDEX}
  if (i >= info[0]) { return; }
  let flags = info[1];
  var gv = g[i];
  if ((flags & ${1}) != 0) { gv = -gv; }
  var pv = p[i];
  if ((flags & ${2}) != 0) { pv = pv * scalar(0); } else if ((flags & ${4}) != 0) { gv = gv + pv * scalar(1); }
  var mv = m[i];
  let diff = (gv - mv) * scalar(2);
  if ((flags & ${8}) != 0) { mv = gv - diff; } else { mv = mv + diff; }
  let vv = v[i] * scalar(3) + gv * gv * scalar(4);
  let denom = sqrt(vv) / scalar(5) + scalar(6);
  p[i] = pv + mv / denom * scalar(7);
  m[i] = mv;
  v[i] = vv;
}`;

// ---------------------------------------------------------------- index kernels (gather, indexSelect, scatterAdd, indexAdd)

function flagBinding(inputs: number): string {
  return `@group(0) @binding(${inputs + 2}) var<storage, read_write> flag: array<atomic<i32>>;`;
}

/**
 * Gathers along one axis (gather and indexSelect): elementwise over out's shape with views
 * [x with its axis stride zeroed, index, dst], extra words [x's axis stride, axis size, op code]:
 * dst[i] = x[at(i, 0) + index[at(i, 1)]·stride].
 */
function buildGatherKernel(t: Wgsl): string {
  return `${bindings([t, "i32"], t)}
${flagBinding(2)}
${AT}
${MAIN_1D}
  ${INDEX}
  if (i >= info[0]) { return; }
  let e = 2 + info[1] + 3 * (info[1] + 1);
  let idx = src1[at(i, 1)];
  var v = ${t}(0);
  if (idx < 0 || idx >= info[e + 1]) { atomicMax(&flag[0], info[e + 2]); } else { v = src0[at(i, 0) + idx * info[e]]; }
  dst[at(i, 2)] = v;
}`;
}
export const gatherKernel = memoized(buildGatherKernel);

/**
 * Scatter-add along one axis without atomics (scatterAdd and indexAdd), one thread per output
 * element q, which sums the src elements whose index names it: out[q] = base[q] + alpha·Σ src[p]
 * over p with p_d = q_d (d ≠ axis) and index[p] = q_axis. Elementwise info over out's shape with
 * views [base, index, src, dst] (index and src with their own strides), extra words [axis, op code,
 * alpha bits, index shape (nd)]; a q beyond the index's shape in another dim gets base alone.
 */
function buildScatterAddKernel(t: Wgsl): string {
  const alpha = t === "f32" ? "bitcast<f32>(info[e + 2])" : "1";
  return `${bindings([t, "i32", t], t)}
${flagBinding(3)}
${MAIN_1D}
  ${INDEX}
  if (i >= info[0]) { return; }
  let nd = info[1];
  let e = 2 + nd + 4 * (nd + 1);
  let axis = info[e];
  var rem = i;
  var ob = info[2 + nd];
  var oi = info[2 + nd + (nd + 1)];
  var os = info[2 + nd + 2 * (nd + 1)];
  var od = info[2 + nd + 3 * (nd + 1)];
  var q = 0;
  var inside = true;
  for (var d = nd - 1; d >= 0; d--) {
    let s = info[2 + d];
    let c = rem % s;
    rem = rem / s;
    ob += c * info[2 + nd + 1 + d];
    od += c * info[2 + nd + 3 * (nd + 1) + 1 + d];
    if (d == axis) { q = c; } else {
      if (c >= info[e + 3 + d]) { inside = false; }
      oi += c * info[2 + nd + (nd + 1) + 1 + d];
      os += c * info[2 + nd + 2 * (nd + 1) + 1 + d];
    }
  }
  var acc = ${t}(0);
  if (inside) {
    let si = info[2 + nd + (nd + 1) + 1 + axis];
    let ss = info[2 + nd + 2 * (nd + 1) + 1 + axis];
    for (var j = 0; j < info[e + 3 + axis]; j++) {
      let idx = src1[oi + j * si];
      if (idx < 0 || idx >= info[2 + axis]) { atomicMax(&flag[0], info[e + 1]); }
      if (idx == q) { acc += src2[os + j * ss]; }
    }
  }
  dst[od] = src0[ob] + ${alpha} * acc;
}`;
}
export const scatterAddKernel = memoized(buildScatterAddKernel);

// ---------------------------------------------------------------- fused cross entropy (rows of logits against class indices)

/**
 * One thread per row r of contiguous logits x [rows, cols] (info [rows, cols, op code]) against
 * int32 targets t [rows]: lse = m + log Σⱼ e^{x[r, j] − m} with m the row max (an all −∞ row: −∞).
 * A target outside [0, cols) raises the device's error flag (softmaxCrossEntropy's code) and the
 * row gets NaN (forward) or no one-hot term (backward).
 */
const ROW_LSE = `fn lse(o: i32, n: i32) -> f32 {
  var m = bits_(0xff800000u);
  for (var j = 0; j < n; j++) { let v = x[o + j]; if (v > m || isnan_(v)) { m = v; } }
  if (m == bits_(0xff800000u)) { return m; }
  var s = 0.0;
  for (var j = 0; j < n; j++) { s += exp(x[o + j] - m); }
  return m + log(s);
}`;

/** Per row: out[r] = lse(x[r]) − x[r, t[r]] (bindings info, x, t, dst, flag). */
export const SOFTMAX_CROSS_ENTROPY = `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> t: array<i32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@group(0) @binding(4) var<storage, read_write> flag: array<atomic<i32>>;
${SPECIALS}
${ROW_LSE}
${MAIN_1D}
  ${INDEX}
  if (i >= info[0]) { return; }
  let n = info[1];
  let o = i * n;
  let k = t[i];
  if (k < 0 || k >= n) {
    atomicMax(&flag[0], info[2]);
    dst[i] = bits_(0x7fc00000u);
    return;
  }
  dst[i] = lse(o, n) - x[o + k];
}`;

/**
 * Its gradient, one thread per row: out[r, j] = (e^{x[r, j] − lse} − [j = t[r]])·g[r]
 * (bindings info, g, x, t, dst, flag).
 */
export const SOFTMAX_CROSS_ENTROPY_BACKWARD = `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> t: array<i32>;
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;
@group(0) @binding(5) var<storage, read_write> flag: array<atomic<i32>>;
${SPECIALS}
${ROW_LSE}
${MAIN_1D}
  ${INDEX}
  if (i >= info[0]) { return; }
  let n = info[1];
  let o = i * n;
  let k = t[i];
  let gr = g[i];
  let l = lse(o, n);
  for (var j = 0; j < n; j++) { dst[o + j] = exp(x[o + j] - l) * gr; }
  if (k < 0 || k >= n) { atomicMax(&flag[0], info[2]); } else { dst[o + k] -= gr; }
}`;

/**
 * Index check with no output (crossEntropy's and nllLoss's targets on the GPU, where reading them
 * on the host is not allowed): elementwise over the int32 view (info: its shape and view, extra
 * words [size, ignore, op code]); a value outside [0, size) other than `ignore` raises the flag.
 */
export const CHECK_INDICES = `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read> src0: array<i32>;
@group(0) @binding(2) var<storage, read_write> flag: array<atomic<i32>>;
${AT}
${MAIN_1D}
  ${INDEX}
  if (i >= info[0]) { return; }
  let e = 2 + info[1] + (info[1] + 1);
  let v = src0[at(i, 0)];
  if (v != info[e + 1] && (v < 0 || v >= info[e])) { atomicMax(&flag[0], info[e + 2]); }
}`;

// ---------------------------------------------------------------- layer norm (rows of a contiguous [rows, cols] buffer)

/** A compensated (Kahan) running sum, as the float64 sums of the cpu oracle: kadd(&s, &c, v). */
const KAHAN = `fn kadd(s: ptr<function, f32>, c: ptr<function, f32>, v: f32) {
  let y = v - *c;
  let t = *s + y;
  *c = (t - *s) - y;
  *s = t;
}`;

/**
 * layerNorm, one thread per row: mean, then the centred variance (two compensated passes), rstd =
 * 1/√(var + eps), out = (x − mean)·rstd·w + b. Info [rows, cols, hasWeight, hasBias, eps bits];
 * bindings info, x, w, b (x's buffer stands in for a missing one), out, mean, rstd.
 */
export const LAYER_NORM = `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;
@group(0) @binding(5) var<storage, read_write> mean: array<f32>;
@group(0) @binding(6) var<storage, read_write> rstd: array<f32>;
${KAHAN}
${MAIN_1D}
  ${INDEX}
  if (i >= info[0]) { return; }
  let n = info[1];
  let o = i * n;
  var s = 0.0;
  var c = 0.0;
  for (var j = 0; j < n; j++) { kadd(&s, &c, x[o + j]); }
  let mu = s / f32(n);
  s = 0.0;
  c = 0.0;
  for (var j = 0; j < n; j++) { let d = x[o + j] - mu; kadd(&s, &c, d * d); }
  let rs = 1.0 / sqrt(s / f32(n) + bitcast<f32>(info[4]));
  mean[i] = mu;
  rstd[i] = rs;
  for (var j = 0; j < n; j++) {
    var y = (x[o + j] - mu) * rs;
    if (info[2] != 0) { y = y * w[j]; }
    if (info[3] != 0) { y = y + b[j]; }
    dst[o + j] = y;
  }
}`;

/**
 * layerNorm's input gradient, one thread per row: with x̂ = (x − mean)·rstd and ĝ = g·w,
 * dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)). Info [rows, cols, hasWeight]; bindings info, g, x,
 * mean, rstd, w (x's buffer when there is no weight), dx.
 */
export const LAYER_NORM_BACKWARD = `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> rstd: array<f32>;
@group(0) @binding(5) var<storage, read> w: array<f32>;
@group(0) @binding(6) var<storage, read_write> dst: array<f32>;
${KAHAN}
fn ghat(k: i32, j: i32) -> f32 {
  if (info[2] != 0) { return g[k] * w[j]; }
  return g[k];
}
${MAIN_1D}
  ${INDEX}
  if (i >= info[0]) { return; }
  let n = info[1];
  let o = i * n;
  let mu = mean[i];
  let rs = rstd[i];
  var sg = 0.0;
  var cg = 0.0;
  var sgx = 0.0;
  var cgx = 0.0;
  for (var j = 0; j < n; j++) {
    let gh = ghat(o + j, j);
    kadd(&sg, &cg, gh);
    kadd(&sgx, &cgx, gh * (x[o + j] - mu) * rs);
  }
  let mg = sg / f32(n);
  let mgx = sgx / f32(n);
  for (var j = 0; j < n; j++) {
    let xh = (x[o + j] - mu) * rs;
    dst[o + j] = rs * (ghat(o + j, j) - mg - xh * mgx);
  }
}`;

/**
 * layerNorm's weight (info[2] = 1: Σ_rows g·x̂) or bias (0: Σ_rows g) gradient, one thread per
 * column, compensated. Info [rows, cols, weight?]; bindings info, g, x, mean, rstd, dst.
 */
export const LAYER_NORM_AFFINE_GRAD = `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> rstd: array<f32>;
@group(0) @binding(5) var<storage, read_write> dst: array<f32>;
${KAHAN}
${MAIN_1D}
  ${INDEX}
  let n = info[1];
  if (i >= n) { return; }
  var s = 0.0;
  var c = 0.0;
  for (var r = 0; r < info[0]; r++) {
    let k = r * n + i;
    if (info[2] != 0) { kadd(&s, &c, g[k] * (x[k] - mean[r]) * rstd[r]); } else { kadd(&s, &c, g[k]); }
  }
  dst[i] = s;
}`;

// ---------------------------------------------------------------- sliding windows (max pooling, im2col, col2im)

/**
 * Window kernels share their first words: info [total, C, H, W, oh, ow, kh, kw, sh, sw, ph, pw,
 * dh, dw, then operand views (offset and 4 strides each)], H and W the image's (x's or out's), and
 * one thread per element of the grid each kernel names. win(k) reads word k.
 */
const WIN = `fn win(k: i32) -> i32 { return info[k]; }`;

/**
 * The window geometry both ways, once for every kernel that walks taps: which image row output
 * row a reads at tap row r (a·sh − ph + r·dh), and which output row reads image row p at tap
 * row r ((p + ph − r·dh) / sh, when that divides), each −1 where there is none (the padding, or
 * past the edge); columns likewise with sw, pw, dw. Needs WIN.
 */
const TAPS = `fn tapRow(a: i32, r: i32) -> i32 {
  let p = a * win(8) - win(10) + r * win(12);
  return select(-1, p, p >= 0 && p < win(2));
}
fn tapCol(b: i32, q: i32) -> i32 {
  let p = b * win(9) - win(11) + q * win(13);
  return select(-1, p, p >= 0 && p < win(3));
}
fn outRow(p: i32, r: i32) -> i32 {
  let t = p + win(10) - r * win(12);
  return select(-1, t / win(8), t >= 0 && t % win(8) == 0 && t / win(8) < win(4));
}
fn outCol(p: i32, q: i32) -> i32 {
  let t = p + win(11) - q * win(13);
  return select(-1, t / win(9), t >= 0 && t % win(9) == 0 && t / win(9) < win(5));
}`;

/**
 * Max pooling, one thread per output element [N, C, oh, ow] (x's view at word 14): each window
 * clipped to the image (padding is −∞), the first strict maximum wins, a NaN replaces what came
 * before it (PyTorch's loop, as the cpu kernel); indices are y·W + x in the plane.
 */
export const MAX_POOL_2D = `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> values: array<f32>;
@group(0) @binding(3) var<storage, read_write> indices: array<i32>;
${SPECIALS}
${WIN}
${MAIN_1D}
  ${INDEX}
  if (i >= info[0]) { return; }
  let H = win(2); let W = win(3); let oh = win(4); let ow = win(5);
  let kh = win(6); let kw = win(7); let dh = win(12); let dw = win(13);
  let oj = i % ow;
  let oi = (i / ow) % oh;
  let nc = i / (ow * oh);
  let c = nc % win(1);
  let n = nc / win(1);
  let plane = win(14) + n * win(15) + c * win(16);
  var y0 = oi * win(8) - win(10);
  let y1 = min(y0 + (kh - 1) * dh + 1, H);
  while (y0 < 0) { y0 += dh; }
  var x0 = oj * win(9) - win(11);
  let x1 = min(x0 + (kw - 1) * dw + 1, W);
  while (x0 < 0) { x0 += dw; }
  var best = bits_(0xff800000u);
  var at_ = y0 * W + x0;
  for (var y = y0; y < y1; y += dh) {
    for (var xx = x0; xx < x1; xx += dw) {
      let v = x[plane + y * win(17) + xx * win(18)];
      if (v > best || isnan_(v)) { best = v; at_ = y * W + xx; }
    }
  }
  values[i] = best;
  indices[i] = at_;
}`;

/**
 * Max pooling's gradient without atomics, one thread per input element [N, C, H, W]: the sum, in
 * the cpu's order (windows row by row), of g over the windows that could hold it and whose index
 * names it. Views at word 14: g, then indices; word 24 says whether the geometry is known.
 */
export const MAX_POOL_2D_BACKWARD = `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> idx: array<i32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
${WIN}
fn lo(p: i32, pad: i32, k: i32, d: i32, s: i32) -> i32 {
  // the first window i with i·s − pad + (k − 1)·d ≥ p
  let m = p + pad - (k - 1) * d;
  if (m <= 0) { return 0; }
  return (m + s - 1) / s;
}
${MAIN_1D}
  ${INDEX}
  if (i >= info[0]) { return; }
  let H = win(2); let W = win(3); let oh = win(4); let ow = win(5);
  let px = i % W;
  let py = (i / W) % H;
  let nc = i / (W * H);
  let c = nc % win(1);
  let n = nc / win(1);
  let gb = win(14) + n * win(15) + c * win(16);
  let ib = win(19) + n * win(20) + c * win(21);
  let want = py * W + px;
  // word 24: 1 when the geometry is the forward's (search only the windows that can hold the
  // element), 0 when it is unknown (search them all)
  let bounded = win(24) != 0;
  let i0 = select(0, lo(py, win(10), win(6), win(12), win(8)), bounded);
  let j0 = select(0, lo(px, win(11), win(7), win(13), win(9)), bounded);
  let i1 = select(oh - 1, min(oh - 1, (py + win(10)) / win(8)), bounded);
  let j1 = select(ow - 1, min(ow - 1, (px + win(11)) / win(9)), bounded);
  var acc = 0.0;
  for (var a = i0; a <= i1; a++) {
    for (var b = j0; b <= j1; b++) {
      if (idx[ib + a * win(22) + b * win(23)] == want) { acc += g[gb + a * win(17) + b * win(18)]; }
    }
  }
  dst[i] = acc;
}`;

/** im2col, one thread per output element [N, C·kh·kw, oh·ow] (x's view at word 14), 0 in the padding. */
function buildIm2colKernel(t: Wgsl): string {
  return `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read> x: array<${t}>;
@group(0) @binding(2) var<storage, read_write> dst: array<${t}>;
${WIN}
${TAPS}
${MAIN_1D}
  ${INDEX}
  if (i >= info[0]) { return; }
  let oh = win(4); let ow = win(5); let kh = win(6); let kw = win(7);
  let l = i % (oh * ow);
  let row = (i / (oh * ow)) % (win(1) * kh * kw);
  let n = i / (oh * ow * win(1) * kh * kw);
  let q = row % kw;
  let r = (row / kw) % kh;
  let c = row / (kw * kh);
  let y = tapRow(l / ow, r);
  let xx = tapCol(l % ow, q);
  var v = ${t}(0);
  if (y >= 0 && xx >= 0) { v = x[win(14) + n * win(15) + c * win(16) + y * win(17) + xx * win(18)]; }
  dst[i] = v;
}`;
}
export const im2colKernel = memoized(buildIm2colKernel);

/**
 * col2im, one thread per output element [N, C, height, width] (cols' view at word 14: offset,
 * strides of [N, C·kh·kw, oh·ow] and a padding word): the column entries read from it, in the
 * cpu's order (taps r, q).
 */
function buildCol2imKernel(t: Wgsl): string {
  return `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read> cols: array<${t}>;
@group(0) @binding(2) var<storage, read_write> dst: array<${t}>;
${WIN}
${TAPS}
${MAIN_1D}
  ${INDEX}
  if (i >= info[0]) { return; }
  let H = win(2); let W = win(3); let ow = win(5); let kh = win(6); let kw = win(7);
  let px = i % W;
  let py = (i / W) % H;
  let nc = i / (W * H);
  let c = nc % win(1);
  let n = nc / win(1);
  var acc = ${t}(0);
  for (var r = 0; r < kh; r++) {
    let a = outRow(py, r);
    if (a < 0) { continue; }
    for (var q = 0; q < kw; q++) {
      let b = outCol(px, q);
      if (b < 0) { continue; }
      let k = (c * kh + r) * kw + q;
      acc += cols[win(14) + n * win(15) + k * win(16) + (a * ow + b) * win(17)];
    }
  }
  dst[i] = acc;
}`;
}
export const col2imKernel = memoized(buildCol2imKernel);

// ---------------------------------------------------------------- 2-d convolution (direct, one thread per output element)

/**
 * The convolution kernels' info: the window words (WIN: [total, C, H, W, oh, ow, kh, kw, sh, sw,
 * ph, pw, dh, dw]) with C, H, W the input image's, then views of x (or g) at 14 and of the
 * weight (or g) at 19 (offset + 4 strides each), then [O, groups, hasBias, bias offset, bias
 * stride] at 24. Sums are compensated (the cpu oracle sums in float64).
 */
const CONV_COMMON = `${WIN}
${TAPS}
${KAHAN}
fn cin() -> i32 { return win(1) / win(25); }
fn cout() -> i32 { return win(24) / win(25); }`;

/** conv2d, one thread per out [N, O, oh, ow]: bias[o] + Σ_{c in o's group, r, q} w[o, c, r, q]·x[n, c₀ + c, tap]. */
export const CONV2D = `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;
${CONV_COMMON}
${MAIN_1D}
  ${INDEX}
  if (i >= info[0]) { return; }
  let oh = win(4); let ow = win(5); let kh = win(6); let kw = win(7);
  let oj = i % ow;
  let oi = (i / ow) % oh;
  let o = (i / (ow * oh)) % win(24);
  let n = i / (ow * oh * win(24));
  let c0 = (o / cout()) * cin();
  var s = 0.0;
  var comp = 0.0;
  if (win(26) != 0) { s = bias[win(27) + o * win(28)]; }
  for (var c = 0; c < cin(); c++) {
    for (var r = 0; r < kh; r++) {
      let y = tapRow(oi, r);
      if (y < 0) { continue; }
      for (var q = 0; q < kw; q++) {
        let xx = tapCol(oj, q);
        if (xx < 0) { continue; }
        let xv = x[win(14) + n * win(15) + (c0 + c) * win(16) + y * win(17) + xx * win(18)];
        let wv = w[win(19) + o * win(20) + c * win(21) + r * win(22) + q * win(23)];
        kadd(&s, &comp, xv * wv);
      }
    }
  }
  dst[i] = s;
}`;

/**
 * conv2d's input gradient, one thread per out [N, C, H, W]: Σ over the output channels o of c's
 * group and the taps (r, q) whose window (i, j) reads this element of g[n, o, i, j]·w[o, c − c₀, r, q].
 * g's view at 14, the weight's at 19.
 */
export const CONV2D_INPUT_GRAD = `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
${CONV_COMMON}
${MAIN_1D}
  ${INDEX}
  if (i >= info[0]) { return; }
  let H = win(2); let W = win(3); let kh = win(6); let kw = win(7);
  let px = i % W;
  let py = (i / W) % H;
  let c = (i / (W * H)) % win(1);
  let n = i / (W * H * win(1));
  let k = c / cin();
  let cl = c - k * cin();
  var s = 0.0;
  var comp = 0.0;
  for (var o = k * cout(); o < (k + 1) * cout(); o++) {
    for (var r = 0; r < kh; r++) {
      let a = outRow(py, r);
      if (a < 0) { continue; }
      for (var q = 0; q < kw; q++) {
        let b = outCol(px, q);
        if (b < 0) { continue; }
        let gv = g[win(14) + n * win(15) + o * win(16) + a * win(17) + b * win(18)];
        let wv = w[win(19) + o * win(20) + cl * win(21) + r * win(22) + q * win(23)];
        kadd(&s, &comp, gv * wv);
      }
    }
  }
  dst[i] = s;
}`;

/**
 * conv2d's weight gradient, one thread per out [O, C/groups, kh, kw]: Σ_{n, i, j} g[n, o, i, j]·
 * x[n, c₀ + c, tap (r, q) of (i, j)]. x's view at 14, g's at 19; total is O·(C/groups)·kh·kw and
 * word 29 is N.
 */
export const CONV2D_WEIGHT_GRAD = `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
${CONV_COMMON}
${MAIN_1D}
  ${INDEX}
  if (i >= info[0]) { return; }
  let oh = win(4); let ow = win(5); let kh = win(6); let kw = win(7);
  let q = i % kw;
  let r = (i / kw) % kh;
  let c = (i / (kw * kh)) % cin();
  let o = i / (kw * kh * cin());
  let c0 = (o / cout()) * cin();
  var s = 0.0;
  var comp = 0.0;
  for (var n = 0; n < win(29); n++) {
    for (var a = 0; a < oh; a++) {
      let y = tapRow(a, r);
      if (y < 0) { continue; }
      for (var b = 0; b < ow; b++) {
        let xx = tapCol(b, q);
        if (xx < 0) { continue; }
        let xv = x[win(14) + n * win(15) + (c0 + c) * win(16) + y * win(17) + xx * win(18)];
        let gv = g[win(19) + n * win(20) + o * win(21) + a * win(22) + b * win(23)];
        kadd(&s, &comp, gv * xv);
      }
    }
  }
  dst[i] = s;
}`;

// ---------------------------------------------------------------- attention softmax (rows of a contiguous [rows, S] buffer)

/**
 * Scaled, optionally causal softmax, one thread per row r (query i = r mod L): only keys j ≤ i
 * take part under `causal` (the rest get exactly 0). Info [rows, L, S, causal, scale bits];
 * bindings info, x, dst.
 */
export const ATTENTION_SOFTMAX = `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
${SPECIALS}
${MAIN_1D}
  ${INDEX}
  if (i >= info[0]) { return; }
  let S = info[2];
  let base = i * S;
  let scale = bitcast<f32>(info[4]);
  var len = S;
  if (info[3] != 0) { len = min(S, i % info[1] + 1); }
  var m = bits_(0xff800000u);
  for (var j = 0; j < len; j++) { let v = x[base + j] * scale; if (v > m || isnan_(v)) { m = v; } }
  var s = 0.0;
  for (var j = 0; j < len; j++) { let e = exp(x[base + j] * scale - m); dst[base + j] = e; s += e; }
  let inv = 1.0 / s;
  for (var j = 0; j < len; j++) { dst[base + j] = dst[base + j] * inv; }
  for (var j = len; j < S; j++) { dst[base + j] = 0.0; }
}`;

/** Its gradient, one thread per row: dx = scale·y·(g − Σ_row g·y). Info [rows, S, scale bits]; bindings info, g, y, dst. */
export const ATTENTION_SOFTMAX_BACKWARD = `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
${MAIN_1D}
  ${INDEX}
  if (i >= info[0]) { return; }
  let S = info[1];
  let base = i * S;
  let scale = bitcast<f32>(info[2]);
  var dot = 0.0;
  for (var j = 0; j < S; j++) { dot += g[base + j] * y[base + j]; }
  for (var j = 0; j < S; j++) { dst[base + j] = scale * y[base + j] * (g[base + j] - dot); }
}`;

// ---------------------------------------------------------------- recurrent cells (one thread per (b, j) of [B, H])

/**
 * LSTM and GRU steps. Info [rows, hid, then per operand view: offset, strides (3 words, a 2-d
 * view's first word unused)]; el(k, b, j) reads operand k's element (b, j) of a 2-d view, el3 the
 * element (s, b, j) of a 3-d one.
 */
const CELL = `fn sig(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
fn th(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}
fn at2(k: i32, b: i32, j: i32) -> i32 { let w = 2 + 4 * k; return info[w] + b * info[w + 2] + j * info[w + 3]; }
fn at3(k: i32, s: i32, b: i32, j: i32) -> i32 { let w = 2 + 4 * k; return info[w] + s * info[w + 1] + b * info[w + 2] + j * info[w + 3]; }`;

function cellKernel(inputs: number, body: string): string {
  const lines = ["@group(0) @binding(0) var<storage, read> info: array<i32>;"];
  for (let k = 0; k < inputs; k++) lines.push(`@group(0) @binding(${k + 1}) var<storage, read> src${k}: array<f32>;`);
  lines.push(`@group(0) @binding(${inputs + 1}) var<storage, read_write> dst: array<f32>;`);
  return `${lines.join("\n")}
${CELL}
${MAIN_1D}
  ${INDEX}
  let rows = info[0];
  let hid = info[1];
  if (i >= rows * hid) { return; }
  let b = i / hid;
  let j = i % hid;
${body}
}`;
}

/** lstmCell: operands gates [B, 4H], c [B, H]; dst [2, B, H] = (h', c'), h' from c' as stored. */
export const LSTM_CELL = cellKernel(2, `  let ig = sig(src0[at2(0, b, j)]);
  let fg = sig(src0[at2(0, b, hid + j)]);
  let gg = th(src0[at2(0, b, 2 * hid + j)]);
  let og = sig(src0[at2(0, b, 3 * hid + j)]);
  let c2 = fg * src1[at2(1, b, j)] + ig * gg;
  dst[rows * hid + i] = c2;
  dst[i] = og * th(c2);`);

/** lstmCellBackward: operands gates, c, gOut [2, B, H]; dst = ∂gates [B, 4H] then ∂c [B, H]. */
export const LSTM_CELL_BACKWARD = cellKernel(3, `  let ig = sig(src0[at2(0, b, j)]);
  let fg = sig(src0[at2(0, b, hid + j)]);
  let gg = th(src0[at2(0, b, 2 * hid + j)]);
  let og = sig(src0[at2(0, b, 3 * hid + j)]);
  let cp = src1[at2(1, b, j)];
  let tc = th(fg * cp + ig * gg);
  let gh = src2[at3(2, 0, b, j)];
  let gc = src2[at3(2, 1, b, j)];
  let dc = gc + gh * og * (1.0 - tc * tc);
  let row = b * 4 * hid;
  dst[row + j] = dc * gg * ig * (1.0 - ig);
  dst[row + hid + j] = dc * cp * fg * (1.0 - fg);
  dst[row + 2 * hid + j] = dc * ig * (1.0 - gg * gg);
  dst[row + 3 * hid + j] = gh * tc * og * (1.0 - og);
  dst[rows * 4 * hid + i] = dc * fg;`);

/** gruCell: operands gi, gh [B, 3H], h [B, H]; dst h' [B, H]. */
export const GRU_CELL = cellKernel(3, `  let r = sig(src0[at2(0, b, j)] + src1[at2(1, b, j)]);
  let z = sig(src0[at2(0, b, hid + j)] + src1[at2(1, b, hid + j)]);
  let n = th(src0[at2(0, b, 2 * hid + j)] + r * src1[at2(1, b, 2 * hid + j)]);
  dst[i] = (1.0 - z) * n + z * src2[at2(2, b, j)];`);

/** gruCellBackward: operands gi, gh, h, g [B, H]; dst = ∂gi [B, 3H], ∂gh [B, 3H], ∂h [B, H]. */
export const GRU_CELL_BACKWARD = cellKernel(4, `  let r = sig(src0[at2(0, b, j)] + src1[at2(1, b, j)]);
  let z = sig(src0[at2(0, b, hid + j)] + src1[at2(1, b, hid + j)]);
  let hn = src1[at2(1, b, 2 * hid + j)];
  let n = th(src0[at2(0, b, 2 * hid + j)] + r * hn);
  let gv = src3[at2(3, b, j)];
  let a = gv * (1.0 - z) * (1.0 - n * n);
  let dr = a * hn * r * (1.0 - r);
  let dz = gv * (src2[at2(2, b, j)] - n) * z * (1.0 - z);
  let row = b * 3 * hid;
  let h3 = rows * 3 * hid;
  dst[row + j] = dr;
  dst[row + hid + j] = dz;
  dst[row + 2 * hid + j] = a;
  dst[h3 + row + j] = dr;
  dst[h3 + row + hid + j] = dz;
  dst[h3 + row + 2 * hid + j] = a * r;
  dst[2 * h3 + i] = gv * z;`);

// ---------------------------------------------------------------- argsort (stable, by rank)

/**
 * Stable argsort along the axis, one thread per element: its rank is the number of lane elements
 * that sort before it (a smaller value — larger when descending — or an equal one at a smaller
 * index; NaN above every number), and dst[lane, rank] = its index. O(len) per thread: meant for
 * the short lanes of sort/topk in models. Lane info as the lane kernels', threads nLanes·len.
 */
function buildArgsortKernel(t: Wgsl, descending: boolean): string {
  const rank =
    t === "f32"
      ? `fn rank(a: f32, b: f32) -> i32 {
  if (a < b) { return -1; }
  if (a > b) { return 1; }
  let an = isnan_(a);
  if (an == isnan_(b)) { return 0; }
  return select(-1, 1, an);
}`
      : `fn rank(a: i32, b: i32) -> i32 { return select(select(0, 1, a > b), -1, a < b); }`;
  const before = descending ? "rank(vi, vj)" : "rank(vj, vi)";
  return `${bindings([t], "i32")}
${SPECIALS}
${LANE}
${rank}
${MAIN_1D}
  let tid = i32((wid.y * nwg.x + wid.x) * 64u + lid);
  let n = info[2];
  if (tid >= info[0] * n) { return; }
  let l = tid / n;
  let i = tid % n;
  let x0 = lane(l, 0);
  let sx = step(0);
  let vi = src0[x0 + i * sx];
  var r = 0;
  for (var j = 0; j < n; j++) {
    let vj = src0[x0 + j * sx];
    let c = ${before};
    if (c < 0 || (c == 0 && j < i)) { r++; }
  }
  dst[lane(l, 1) + r * step(1)] = i;
}`;
}
export const argsortKernel = memoized(buildArgsortKernel);
