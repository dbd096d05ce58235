/** Creating tensors: from data, filled, ranges, identity, random. */

import type { Backend, BackendBuffer } from "./backend/backend.js";
import { backendNamed, getBackend } from "./backend/registry.js";
import { checkDType, checkStorable, checkStorableAll, isFloating, type DType } from "./dtype.js";
import { DTypeError, ShapeError, ValueError, fmtShape, fmtValue } from "./errors.js";
import { allocBuffer } from "./ops/define.js";
import { generatorOf, randomPermutation, type Generator } from "./random.js";
import { checkFlag, checkNumel, checkOptionKeys, checkShape, checkSize, contiguousStrides, numelOf, sizeArgs, type SizeArgs } from "./shape.js";
import { Tensor } from "./tensor.js";
import { checkTensor } from "./validate.js";

/** Options every creation function takes. */
export interface TensorOptions {
  /** Element type; float32 unless the data says otherwise. */
  readonly dtype?: DType;
  /** Make the new tensor a leaf that records gradients (float dtypes only). */
  readonly requiresGrad?: boolean;
  /** The device (backend name: "cpu", "wasm", "webgpu") to create it on; the active backend when omitted. */
  readonly device?: string;
}

/** Options of random creation functions. */
export interface RandomOptions extends TensorOptions {
  /** Source of randomness; the default generator (see manualSeed) when omitted. */
  readonly generator?: Generator;
}

/** Nested arrays of numbers or booleans, as `tensor()` accepts them. */
export type NestedArray = number | boolean | readonly NestedArray[];

/** Anything `tensor()` can read. */
export type TensorData = NestedArray | Float32Array | Float64Array | Int32Array | Uint8Array | readonly number[];

/** A size argument: a shape array, or one number for a 1-d shape. */
export type ShapeLike = number | readonly number[];

export type { SizeArgs } from "./shape.js";

function toShape(op: string, shape: ShapeLike): number[] {
  return checkShape(op, typeof shape === "number" ? [shape] : shape);
}

export const TENSOR_OPTIONS: readonly string[] = ["dtype", "requiresGrad", "device"];
const DATA_OPTIONS: readonly string[] = ["dtype", "requiresGrad", "shape", "device"];
export const RANDOM_OPTIONS: readonly string[] = ["dtype", "requiresGrad", "generator", "device"];

/**
 * Checks a creation function's options once per call: an object whose keys are among `allowed`
 * (a misspelt `dtpye` is refused, not ignored), with a known dtype and a boolean requiresGrad
 * (random functions check their generator with generatorOf). Returns them.
 */
export function checkOptions<O extends object>(op: string, options: O, allowed: readonly string[]): O {
  if (options === undefined) throw new ValueError(`${op}: options must be an object, got undefined`);
  checkOptionKeys(op, options, allowed);
  const { dtype, requiresGrad, device } = options as TensorOptions & { readonly requiresGrad?: unknown; readonly device?: unknown };
  if (dtype !== undefined) checkDType(op, dtype);
  if (requiresGrad !== undefined) checkFlag(op, "requiresGrad", requiresGrad);
  if (device !== undefined) {
    if (typeof device !== "string") throw new ValueError(`${op}: device must be a string such as "cpu" or "webgpu", got ${fmtValue(device)}`);
    backendNamed(op, device);
  }
  return options;
}

/** The backend a creation function writes to: `options.device`, else the active backend. */
function backendFor(op: string, options: TensorOptions): Backend {
  return options.device === undefined ? getBackend() : backendNamed(op, options.device);
}

/**
 * The shape and options of a creation function called with PyTorch's varargs sizes or one array
 * (`zeros(2, 3)`, `zeros([2, 3])`, either followed by options), the options checked as above.
 */
function sizesAndOptions<O extends TensorOptions>(op: string, args: readonly unknown[], allowed: readonly string[]): [number[], O] {
  const onlyOptions = args.length === 1 && typeof args[0] === "object" && args[0] !== null && !Array.isArray(args[0]);
  if (args.length === 0 || (args.length === 1 && args[0] === undefined) || onlyOptions) {
    throw new ValueError(`${op}: expected a size, got ${args.length === 0 ? "none" : `only ${fmtValue(args[0])}`}`);
  }
  const { sizes, options } = sizeArgs(op, args, true);
  return [checkShape(op, sizes), checkOptions(op, options as O, allowed)];
}

/** Throws unless `value` is a number (fill values, range bounds); NaN and ±Infinity are numbers. */
function checkNumber(op: string, what: string, value: unknown): number {
  if (typeof value !== "number") throw new ValueError(`${op}: ${what} must be a number, got ${fmtValue(value)}`);
  return value;
}

/** A new tensor over `buffer` with a contiguous layout, made a grad leaf when asked. */
function wrapBuffer(backend: Backend, buffer: BackendBuffer, shape: readonly number[], dtype: DType, requiresGrad: boolean | undefined): Tensor {
  const t = new Tensor(backend, buffer, shape, contiguousStrides(shape), 0, dtype);
  if (requiresGrad) t.requiresGrad = true;
  return t;
}

/** Wraps host values (row-major) as a new tensor on `options.device` or the active backend. @internal */
export function fromValues(values: ArrayLike<number>, shape: readonly number[], options: TensorOptions = {}): Tensor {
  const dtype = options.dtype ?? "float32";
  const backend = backendFor("tensor", options);
  return wrapBuffer(backend, backend.fromValues(dtype, values), shape, dtype, options.requiresGrad);
}

/** Host values are produced and copied to the backend this many at a time (see generated). */
const CHUNK = 1 << 16;

/**
 * A tensor of `shape` whose flat values `produce(chunk, start)` writes, `chunk.length` of them from
 * flat index `start`. Large tensors are allocated once and filled a chunk at a time, so the only
 * memory is the result's (no float64 staging array of the whole size), at memory speed.
 */
function generated(
  op: string,
  shape: readonly number[],
  dtype: DType,
  options: TensorOptions,
  produce: (chunk: Float64Array, start: number) => void,
): Tensor {
  const n = checkNumel(op, shape);
  const backend = backendFor(op, options);
  const requiresGrad = options.requiresGrad;
  if (n <= CHUNK) {
    const values = new Float64Array(n);
    produce(values, 0);
    return wrapBuffer(backend, backend.fromValues(dtype, values), shape, dtype, requiresGrad);
  }
  const out = allocBuffer(backend, dtype, shape, op);
  const chunk = new Float64Array(CHUNK);
  for (let start = 0; start < n; start += CHUNK) {
    const len = Math.min(CHUNK, n - start);
    const part = len === CHUNK ? chunk : chunk.subarray(0, len);
    produce(part, start);
    const src = backend.fromValues(dtype, part);
    backend.copy({ buffer: src, shape: [len], strides: [1], offset: 0 }, { buffer: out, shape: [len], strides: [1], offset: start });
  }
  return wrapBuffer(backend, out, shape, dtype, requiresGrad);
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0] as NestedArray;
  }
  return shape;
}

function flattenNested(data: NestedArray, shape: readonly number[], out: number[], depth: number, path: number[]): boolean {
  // Returns whether every leaf was a boolean.
  if (depth === shape.length) {
    if (typeof data === "boolean") {
      out.push(data ? 1 : 0);
      return true;
    }
    if (typeof data !== "number") {
      throw new ValueError(`tensor: expected a number or boolean at [${path.join(",")}], got ${Array.isArray(data) ? "an array" : fmtValue(data)}`);
    }
    out.push(data);
    return false;
  }
  if (!Array.isArray(data) || data.length !== shape[depth]) {
    const got = Array.isArray(data) ? `length ${data.length}` : typeof data === "number" || typeof data === "boolean" ? typeof data : fmtValue(data);
    throw new ValueError(`tensor: ragged nested array at [${path.join(",")}]: expected length ${shape[depth]}, got ${got}`);
  }
  let allBool = true;
  for (let i = 0; i < data.length; i++) {
    path.push(i);
    allBool = flattenNested(data[i] as NestedArray, shape, out, depth + 1, path) && allBool;
    path.pop();
  }
  return allBool;
}

function typedArrayDType(data: object): DType | undefined {
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Uint8Array) return "bool";
  return undefined;
}

/**
 * A tensor from a number, nested arrays, or a flat array/TypedArray read row-major into
 * `options.shape`. The dtype is float32 unless given, implied by a TypedArray, or all values are
 * booleans. (JavaScript has one number type, so integer data is float32 unless you say int32.)
 */
export function tensor(data: TensorData, options: TensorOptions & { readonly shape?: readonly number[] } = {}): Tensor {
  checkOptions("tensor", options, DATA_OPTIONS);
  let values: ArrayLike<number>;
  let shape: number[];
  let inferred: DType | undefined;
  if (ArrayBuffer.isView(data)) {
    if (data instanceof DataView || data instanceof BigInt64Array || data instanceof BigUint64Array) {
      throw new ValueError(`tensor: cannot read a ${data.constructor.name} (expected a Float32Array, Float64Array, Int32Array, Uint8Array or another array of numbers)`);
    }
    values = data as ArrayLike<number>;
    shape = [values.length];
    inferred = typedArrayDType(data);
  } else {
    const nested = data as NestedArray;
    shape = inferShape(nested);
    const flat: number[] = [];
    const allBool = flattenNested(nested, shape, flat, 0, []);
    values = flat;
    if (allBool && flat.length > 0) inferred = "bool";
  }
  if (options.shape !== undefined) {
    const target = checkShape("tensor", options.shape);
    if (numelOf(target) !== values.length) {
      throw new ShapeError(`tensor: ${values.length} values cannot fill shape ${fmtShape(target)} (${numelOf(target)} elements)`);
    }
    shape = target;
  }
  const dtype = options.dtype ?? inferred ?? "float32";
  if (!(values instanceof Int32Array)) checkStorableAll("tensor", values, dtype);
  return fromValues(values, shape, { dtype, requiresGrad: options.requiresGrad, device: options.device });
}

/** A tensor of `shape` filled with `value` (allocated and filled at once: no staging array). */
function filled(op: string, shape: readonly number[], value: number, options: TensorOptions): Tensor {
  const dtype = options.dtype ?? "float32";
  checkStorable(op, value, dtype);
  const backend = backendFor(op, options);
  const t = wrapBuffer(backend, allocBuffer(backend, dtype, shape, op), shape, dtype, options.requiresGrad);
  if (value !== 0 || Object.is(value, -0)) backend.fill(t, value);
  return t;
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: ShapeLike, value: number, options: TensorOptions = {}): Tensor {
  checkOptions("full", options, TENSOR_OPTIONS);
  return filled("full", toShape("full", shape), checkNumber("full", "fill value", value), options);
}

/** A tensor of zeros: `zeros(2, 3)`, `zeros([2, 3])`, either followed by options. */
export function zeros(...args: SizeArgs<TensorOptions>): Tensor {
  const [s, options] = sizesAndOptions<TensorOptions>("zeros", args, TENSOR_OPTIONS);
  return filled("zeros", s, 0, options);
}

/** A tensor of ones: `ones(2, 3)`, `ones([2, 3])`, either followed by options. */
export function ones(...args: SizeArgs<TensorOptions>): Tensor {
  const [s, options] = sizesAndOptions<TensorOptions>("ones", args, TENSOR_OPTIONS);
  return filled("ones", s, 1, options);
}

/** PyTorch's empty: here zero-filled (JS memory is always initialized), `empty(2, 3)` or `empty([2, 3])`. */
export function empty(...args: SizeArgs<TensorOptions>): Tensor {
  const [s, options] = sizesAndOptions<TensorOptions>("empty", args, TENSOR_OPTIONS);
  return filled("empty", s, 0, options);
}

/** Zeros with `like`'s shape and (unless overridden) dtype. */
export function zerosLike(like: Tensor, options: TensorOptions = {}): Tensor {
  checkTensor("zerosLike", "like", like);
  checkOptions("zerosLike", options, TENSOR_OPTIONS);
  return filled("zerosLike", like.shape, 0, { dtype: like.dtype, device: like.device, ...options });
}

/** Ones with `like`'s shape and (unless overridden) dtype. */
export function onesLike(like: Tensor, options: TensorOptions = {}): Tensor {
  checkTensor("onesLike", "like", like);
  checkOptions("onesLike", options, TENSOR_OPTIONS);
  return filled("onesLike", like.shape, 1, { dtype: like.dtype, device: like.device, ...options });
}

/** PyTorch's empty_like: zeros (see empty) with `like`'s shape and (unless overridden) dtype. */
export function emptyLike(like: Tensor, options: TensorOptions = {}): Tensor {
  checkTensor("emptyLike", "like", like);
  checkOptions("emptyLike", options, TENSOR_OPTIONS);
  return filled("emptyLike", like.shape, 0, { dtype: like.dtype, device: like.device, ...options });
}

/** `value` with `like`'s shape and (unless overridden) dtype. */
export function fullLike(like: Tensor, value: number, options: TensorOptions = {}): Tensor {
  checkTensor("fullLike", "like", like);
  checkOptions("fullLike", options, TENSOR_OPTIONS);
  return filled("fullLike", like.shape, checkNumber("fullLike", "fill value", value), { dtype: like.dtype, device: like.device, ...options });
}

/**
 * Values start, start+step, … below end. `arange(5)` is [0..4]. Integer arguments give int32
 * (PyTorch gives int64), fractional ones float32.
 */
export function arange(end: number, options?: TensorOptions): Tensor;
export function arange(start: number, end: number, step?: number, options?: TensorOptions): Tensor;
export function arange(a: number, b?: number | TensorOptions, c?: number, d?: TensorOptions): Tensor {
  const [start, end, step, options] = typeof b === "number" ? [a, b, c ?? 1, d ?? {}] : [0, a, 1, b ?? {}];
  checkOptions("arange", options, TENSOR_OPTIONS);
  if (typeof step !== "number" || step === 0 || !Number.isFinite(step)) throw new ValueError(`arange: step must be nonzero and finite, got ${fmtValue(step)}`);
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new ValueError(`arange: bounds must be finite, got ${fmtValue(start)}, ${fmtValue(end)}`);
  if ((end - start) / step < 0) throw new ValueError(`arange: step ${step} moves away from end (start ${start}, end ${end})`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  checkNumel("arange", [n]);
  const allInts = Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step);
  const dtype = options.dtype ?? (allInts ? "int32" : "float32");
  if (n > 0) {
    // Values move one way: the first and the last are the extremes.
    const last = start + (n - 1) * step;
    const hint = options.dtype === undefined ? ' (pass { dtype: "float64" } for larger values)' : "";
    if (dtype === "int32" && !(start > -2147483649 && start < 2147483648 && last > -2147483649 && last < 2147483648)) {
      throw new ValueError(`arange: values from ${start} to ${last} cannot be converted to int32 without overflow (int32 holds -2147483648..2147483647)${hint}`);
    }
  }
  return generated("arange", [n], dtype, options, (chunk, from) => {
    for (let i = 0; i < chunk.length; i++) chunk[i] = start + (from + i) * step;
  });
}

/** `steps` evenly spaced values from start to end, both included. */
export function linspace(start: number, end: number, steps: number, options: TensorOptions = {}): Tensor {
  checkOptions("linspace", options, TENSOR_OPTIONS);
  checkNumber("linspace", "start", start);
  checkNumber("linspace", "end", end);
  if (!Number.isInteger(steps) || steps < 0) throw new ValueError(`linspace: steps must be a non-negative integer, got ${fmtValue(steps)}`);
  const dtype = options.dtype ?? "float32";
  if (steps > 0) {
    checkStorable("linspace", start, dtype);
    checkStorable("linspace", end, dtype);
  }
  const delta = steps > 1 ? (end - start) / (steps - 1) : 0;
  // Fill the second half from the end, as PyTorch does, so `end` is hit exactly.
  return generated("linspace", [steps], dtype, options, (chunk, from) => {
    for (let k = 0; k < chunk.length; k++) {
      const i = from + k;
      chunk[k] = i < steps / 2 ? start + i * delta : end - (steps - 1 - i) * delta;
    }
  });
}

/** An n×m matrix (n×n when m is omitted: `eye(n)` or `eye(n, options)`) with ones on the diagonal. */
export function eye(n: number, m?: number | TensorOptions, options: TensorOptions = {}): Tensor {
  if (typeof m === "object" && m !== null) [m, options] = [n, m];
  m ??= n;
  checkOptions("eye", options, TENSOR_OPTIONS);
  const s = toShape("eye", [n, m]);
  const t = filled("eye", s, 0, options);
  // The diagonal is a strided view with step m + 1: one fill, no n×m staging array.
  const diag = Math.min(n, m);
  if (diag > 0) t.backend.fill({ buffer: t.buffer, shape: [diag], strides: [m + 1], offset: 0 }, 1);
  return t;
}

function floatDType(op: string, options: RandomOptions): DType {
  const dtype = options.dtype ?? "float32";
  if (!isFloating(dtype)) throw new DTypeError(`${op}: dtype must be float32 or float64, got ${dtype}`);
  return dtype;
}

/** The largest float32 below 1. */
export const FLOAT32_BELOW_ONE = 1 - 2 ** -24;

/** Uniform samples in [0, 1): `rand(2, 3)`, `rand([2, 3])`, either followed by options. */
export function rand(...args: SizeArgs<RandomOptions>): Tensor {
  const [s, options] = sizesAndOptions<RandomOptions>("rand", args, RANDOM_OPTIONS);
  const g = generatorOf("rand", options.generator);
  const dtype = floatDType("rand", options);
  // A 53-bit sample within 2⁻²⁵ of 1 would round to 1 in float32: round those down instead.
  const top = dtype === "float32" ? FLOAT32_BELOW_ONE : 1;
  return generated("rand", s, dtype, options, (chunk) => {
    for (let i = 0; i < chunk.length; i++) chunk[i] = Math.min(g.uniform(), top);
  });
}

/** Standard normal samples: `randn(2, 3)`, `randn([2, 3])`, either followed by options. */
export function randn(...args: SizeArgs<RandomOptions>): Tensor {
  const [s, options] = sizesAndOptions<RandomOptions>("randn", args, RANDOM_OPTIONS);
  const g = generatorOf("randn", options.generator);
  return generated("randn", s, floatDType("randn", options), options, (chunk) => {
    for (let i = 0; i < chunk.length; i++) chunk[i] = g.normal();
  });
}

/** The integers each dtype holds exactly: int32's range, bool's 0 and 1, and floats' up to 2^53. */
const INTEGER_RANGE: { readonly [K in DType]: readonly [number, number] } = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  bool: [0, 1],
  float32: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  float64: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/** Throws unless low < high are integers and every value in [low, high) is exact in `dtype` (randint, randintLike). */
export function checkIntegerRange(op: string, low: number, high: number, dtype: DType): void {
  if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high) || high <= low) {
    throw new ValueError(`${op}: expected integers low < high, got ${fmtValue(low)}, ${fmtValue(high)}`);
  }
  const [min, max] = INTEGER_RANGE[dtype];
  if (low < min || high - 1 > max) {
    throw new ValueError(`${op}: the range [${low}, ${high}) does not fit ${dtype}, which holds ${min}..${max}`);
  }
}

/**
 * Uniform integers in [low, high) — low is 0 in the two-argument form `randint(high, size)` —
 * int32 unless another dtype is given.
 */
export function randint(high: number, shape: ShapeLike, options?: RandomOptions): Tensor;
export function randint(low: number, high: number, shape: ShapeLike, options?: RandomOptions): Tensor;
export function randint(a: number, b: number | ShapeLike, c?: ShapeLike | RandomOptions, d?: RandomOptions): Tensor {
  const threeArgs = typeof c === "number" || Array.isArray(c);
  const [low, high, shape, options] = threeArgs ? [a, b as number, c as ShapeLike, d ?? {}] : [0, a, b as ShapeLike, (c ?? {}) as RandomOptions];
  checkOptions("randint", options, RANDOM_OPTIONS);
  const dtype = options.dtype ?? "int32";
  checkIntegerRange("randint", low, high, dtype);
  const s = toShape("randint", shape);
  const g = generatorOf("randint", options.generator);
  return generated("randint", s, dtype, options, (chunk) => {
    for (let i = 0; i < chunk.length; i++) chunk[i] = g.integer(low, high);
  });
}

/** A random permutation of 0..n−1 (int32): Fisher–Yates, bucketed first when large (see randomPermutation). */
export function randperm(n: number, options: RandomOptions = {}): Tensor {
  checkOptions("randperm", options, RANDOM_OPTIONS);
  checkSize("randperm", "n", n);
  const dtype = options.dtype ?? "int32";
  checkNumel("randperm", [n]);
  // The largest value, n − 1, must be exact: up to 2^31 − 1 in int32, 2^24 in float32.
  const largest = dtype === "float32" ? 2 ** 24 : INTEGER_RANGE[dtype][1];
  if (n - 1 > largest) throw new ValueError(`randperm: n ${n} is too large for ${dtype}, whose exact integers end at ${largest}`);
  const g = generatorOf("randperm", options.generator);
  const backend = backendFor("randperm", options);
  // A large result is allocated (and touched) before the shuffle, so a machine without the
  // memory fails now rather than after it; the shuffle runs on a host array of uint32.
  const out = n > CHUNK ? allocBuffer(backend, dtype, [n], "randperm") : null;
  if (out !== null) backend.fill({ buffer: out, shape: [n], strides: [1], offset: 0 }, 0);
  let values: Uint32Array;
  try {
    values = randomPermutation(g, n);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new ValueError(`randperm: out of memory shuffling ${n} elements (${4 * n} bytes of host memory besides the result; ${e.message})`);
  }
  if (out === null) return wrapBuffer(backend, backend.fromValues(dtype, values), [n], dtype, options.requiresGrad);
  for (let start = 0; start < n; start += CHUNK) {
    const len = Math.min(CHUNK, n - start);
    const src = backend.fromValues(dtype, values.subarray(start, start + len));
    backend.copy({ buffer: src, shape: [len], strides: [1], offset: 0 }, { buffer: out, shape: [len], strides: [1], offset: start });
  }
  return wrapBuffer(backend, out, [n], dtype, options.requiresGrad);
}
