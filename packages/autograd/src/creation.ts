/** Creating tensors: from data, filled, ranges, identity, random. */

import { getBackend } from "./backend/registry.js";
import { checkDType, isFloating, type DType } from "./dtype.js";
import { DTypeError, ShapeError, ValueError, fmtShape } from "./errors.js";
import { defaultGenerator, normalValues, uniformValues, type Generator } from "./random.js";
import { checkShape, contiguousStrides, numelOf } from "./shape.js";
import { Tensor } from "./tensor.js";

/** Options every creation function takes. */
export interface TensorOptions {
  /** Element type; float32 unless the data says otherwise. */
  readonly dtype?: DType;
  /** Make the new tensor a leaf that records gradients (float dtypes only). */
  readonly requiresGrad?: boolean;
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

function toShape(op: string, shape: ShapeLike): number[] {
  return checkShape(op, typeof shape === "number" ? [shape] : shape);
}

/** Wraps host values (row-major) as a new tensor on the active backend. @internal */
export function fromValues(values: ArrayLike<number>, shape: readonly number[], options: TensorOptions = {}): Tensor {
  const dtype = options.dtype ?? "float32";
  const backend = getBackend();
  const t = new Tensor(backend, backend.fromValues(dtype, values), shape, contiguousStrides(shape), 0, dtype);
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
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
      throw new ValueError(`tensor: expected a number or boolean at [${path.join(",")}], got ${Array.isArray(data) ? "an array" : typeof data}`);
    }
    out.push(data);
    return false;
  }
  if (!Array.isArray(data) || data.length !== shape[depth]) {
    const got = Array.isArray(data) ? `length ${data.length}` : typeof data;
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
  if (options.dtype !== undefined) checkDType("tensor", options.dtype);
  let values: ArrayLike<number>;
  let shape: number[];
  let inferred: DType | undefined;
  if (ArrayBuffer.isView(data)) {
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
  return fromValues(values, shape, { ...options, dtype: options.dtype ?? inferred ?? "float32" });
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: ShapeLike, value: number, options: TensorOptions = {}): Tensor {
  const s = toShape("full", shape);
  const values = new Float64Array(numelOf(s)).fill(value);
  return fromValues(values, s, options);
}

/** A tensor of zeros. */
export function zeros(shape: ShapeLike, options: TensorOptions = {}): Tensor {
  const s = toShape("zeros", shape);
  const dtype = options.dtype ?? "float32";
  const backend = getBackend();
  const t = new Tensor(backend, backend.alloc(dtype, numelOf(s)), s, contiguousStrides(s), 0, dtype);
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

/** A tensor of ones. */
export function ones(shape: ShapeLike, options: TensorOptions = {}): Tensor {
  return full(toShape("ones", shape), 1, options); // checked here so errors name `ones`, not `full`
}

/** Zeros with `like`'s shape and (unless overridden) dtype. */
export function zerosLike(like: Tensor, options: TensorOptions = {}): Tensor {
  return zeros(like.shape, { dtype: like.dtype, ...options });
}

/** Ones with `like`'s shape and (unless overridden) dtype. */
export function onesLike(like: Tensor, options: TensorOptions = {}): Tensor {
  return full(like.shape, 1, { dtype: like.dtype, ...options });
}

/** `value` with `like`'s shape and (unless overridden) dtype. */
export function fullLike(like: Tensor, value: number, options: TensorOptions = {}): Tensor {
  return full(like.shape, value, { dtype: like.dtype, ...options });
}

/**
 * Values start, start+step, … below end. `arange(5)` is [0..4]. Integer arguments give int32
 * (PyTorch gives int64), fractional ones float32.
 */
export function arange(end: number, options?: TensorOptions): Tensor;
export function arange(start: number, end: number, step?: number, options?: TensorOptions): Tensor;
export function arange(a: number, b?: number | TensorOptions, c?: number, d?: TensorOptions): Tensor {
  const [start, end, step, options] = typeof b === "number" ? [a, b, c ?? 1, d ?? {}] : [0, a, 1, b ?? {}];
  if (step === 0 || !Number.isFinite(step)) throw new ValueError(`arange: step must be nonzero and finite, got ${step}`);
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new ValueError(`arange: bounds must be finite, got ${start}, ${end}`);
  if ((end - start) / step < 0) throw new ValueError(`arange: step ${step} moves away from end (start ${start}, end ${end})`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  const values = Float64Array.from({ length: n }, (_, i) => start + i * step);
  const allInts = [start, end, step].every(Number.isInteger);
  return fromValues(values, [n], { ...options, dtype: options.dtype ?? (allInts ? "int32" : "float32") });
}

/** `steps` evenly spaced values from start to end, both included. */
export function linspace(start: number, end: number, steps: number, options: TensorOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new ValueError(`linspace: steps must be a non-negative integer, got ${steps}`);
  const delta = steps > 1 ? (end - start) / (steps - 1) : 0;
  // Fill the second half from the end, as PyTorch does, so `end` is hit exactly.
  const values = Float64Array.from({ length: steps }, (_, i) => (i < steps / 2 ? start + i * delta : end - (steps - 1 - i) * delta));
  return fromValues(values, [steps], options);
}

/** An n×m matrix with ones on the diagonal. */
export function eye(n: number, m: number = n, options: TensorOptions = {}): Tensor {
  const s = toShape("eye", [n, m]);
  const values = new Float64Array(n * m);
  for (let i = 0; i < Math.min(n, m); i++) values[i * m + i] = 1;
  return fromValues(values, s, options);
}

function floatOptions(op: string, options: RandomOptions): TensorOptions {
  const dtype = options.dtype ?? "float32";
  if (!isFloating(dtype)) throw new DTypeError(`${op}: dtype must be float32 or float64, got ${dtype}`);
  return { ...options, dtype };
}

/** The largest float32 below 1. */
const FLOAT32_BELOW_ONE = 1 - 2 ** -24;

/** Uniform samples in [0, 1). */
export function rand(shape: ShapeLike, options: RandomOptions = {}): Tensor {
  const s = toShape("rand", shape);
  const g = options.generator ?? defaultGenerator;
  const opts = floatOptions("rand", options);
  const values = uniformValues(g, numelOf(s));
  // A 53-bit sample within 2⁻²⁵ of 1 would round to 1 in float32: round those down instead.
  if (opts.dtype === "float32") for (let i = 0; i < values.length; i++) if (values[i] > FLOAT32_BELOW_ONE) values[i] = FLOAT32_BELOW_ONE;
  return fromValues(values, s, opts);
}

/** Standard normal samples. */
export function randn(shape: ShapeLike, options: RandomOptions = {}): Tensor {
  const s = toShape("randn", shape);
  const g = options.generator ?? defaultGenerator;
  return fromValues(normalValues(g, numelOf(s)), s, floatOptions("randn", options));
}

/** Uniform integers in [low, high) (int32 unless another dtype is given). */
export function randint(low: number, high: number, shape: ShapeLike, options: RandomOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new ValueError(`randint: expected integers low < high, got ${low}, ${high}`);
  }
  const s = toShape("randint", shape);
  const g = options.generator ?? defaultGenerator;
  return fromValues(Float64Array.from({ length: numelOf(s) }, () => g.integer(low, high)), s, {
    ...options,
    dtype: options.dtype ?? "int32",
  });
}

/** A random permutation of 0..n−1 (int32), by Fisher–Yates. */
export function randperm(n: number, options: RandomOptions = {}): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`randperm: n must be a non-negative integer, got ${n}`);
  const g = options.generator ?? defaultGenerator;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = g.integer(0, i + 1);
    const v = values[i]; // a plain swap: a destructuring one allocated two arrays per element
    values[i] = values[j];
    values[j] = v;
  }
  return fromValues(values, [n], { ...options, dtype: options.dtype ?? "int32" });
}
