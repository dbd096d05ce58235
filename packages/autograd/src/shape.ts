/** Shape arithmetic shared by every op: broadcasting, dims, strides. Pure functions on numbers. */

import { IndexError, ShapeError, ValueError, fmtShape, fmtValue } from "./errors.js";

/**
 * n zeros in a packed array. Shapes and strides are built this way or with push, never with
 * `new Array(n)` (a holey array) or `.map` (holey too once TurboFan inlines it): V8 specializes
 * optimized code on an array's elements kind, and one kind showing up late — when some caller gets
 * optimized thousands of steps into training — deoptimizes every function that sees it.
 */
export function packedZeros(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(0);
  return out;
}

/** Number of elements of a shape (1 for a scalar). */
export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

const NO_DIMS: readonly number[] = Object.freeze([]);
const UNIT_STRIDE: readonly number[] = Object.freeze([1]);

/** Row-major (C-contiguous) strides for a shape. Shapes and strides are never mutated, so rank 0/1 share one array. */
export function contiguousStrides(shape: readonly number[]): readonly number[] {
  if (shape.length === 0) return NO_DIMS;
  if (shape.length === 1) return UNIT_STRIDE;
  const strides = packedZeros(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** True when (shape, strides) walk memory in row-major order with no gaps. */
export function isContiguousLayout(shape: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

/** Element-wise equality of two shapes. */
export function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * NumPy/PyTorch broadcasting: align shapes on the right; each pair of sizes must be equal or
 * one of them 1. The error names the op and both shapes.
 */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): readonly number[] {
  if (b.length === 0 || shapesEqual(a, b)) return a; // shapes are immutable: share, don't copy
  if (a.length === 0) return b;
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a.length - n + i >= 0 ? a[a.length - n + i] : 1;
    const db = b.length - n + i >= 0 ? b[b.length - n + i] : 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast (dim ${i - n}: ${da} vs ${db})`,
      );
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Broadcasts any number of shapes together. */
export function broadcastAll(op: string, shapes: readonly (readonly number[])[]): readonly number[] {
  let out: readonly number[] = [];
  for (const s of shapes) out = broadcastShapes(op, out, s);
  return out;
}

/**
 * The most elements one tensor can hold: 2^32, the longest typed array V8 (Node 20) makes. Shapes
 * past it are refused up front, before any work, with an error that names this limit.
 */
export const MAX_NUMEL = 2 ** 32;

/** The largest int32, so the longest run of elements an int32 index (argmax, sort) can address is 2^31. */
export const INT32_MAX = 2 ** 31 - 1;

/**
 * Throws unless int32 indices can address `count` elements (the last index, count − 1, is at
 * most 2^31 − 1): argmax/argmin/sort/topk over more would need int64, which tensorgrad lacks.
 * Checked up front, from the shape, before any work.
 */
export function checkIndexable(op: string, count: number, what: string): void {
  if (count - 1 > INT32_MAX) {
    throw new ValueError(`${op}: ${what} has ${count} elements, more than int32 indices can address (the last index, ${count - 1}, is past ${INT32_MAX}; tensorgrad has no int64)`);
  }
}

/** Throws unless a tensor of `shape` (with `numel` elements) fits under MAX_NUMEL; returns numel. */
export function checkNumel(op: string, shape: readonly number[], numel: number = numelOf(shape)): number {
  if (numel > MAX_NUMEL) {
    throw new ValueError(
      `${op}: shape ${fmtShape(shape)} has ${numel} elements, more than the 4294967296 (2^32) a tensor can hold ` +
        `(the JavaScript engine's typed-array limit)`,
    );
  }
  return numel;
}

/**
 * Throws unless `value` is an integer: a dim, an index or a slice bound (0.5, NaN, "1" and null
 * are refused, as PyTorch refuses them, rather than read as something else). Returns it.
 */
export function checkInt(op: string, what: string, value: unknown): number {
  if (!Number.isInteger(value)) throw new IndexError(`${op}: ${what} must be an integer, got ${fmtValue(value)}`);
  return value as number;
}

/** Throws unless `value` is a number (a hyperparameter such as a slope or a beta; NaN allowed, as in PyTorch). Returns it. */
export function checkNumber(op: string, what: string, value: unknown): number {
  if (typeof value !== "number") throw new ValueError(`${op}: ${what} must be a number, got ${fmtValue(value)}`);
  return value;
}

/** Throws unless `value` is a non-negative integer (a size, a length, a count). Returns it. */
export function checkSize(op: string, what: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 0) {
    throw new ValueError(`${op}: ${what} must be a non-negative integer, got ${fmtValue(value)}`);
  }
  return value as number;
}

/**
 * Throws unless `value` is a boolean: a flag such as keepdim, descending, largest or retainGraph
 * (`x.sum(0, 1)` is refused, not read as keepdim: a second dim belongs in the dim list). Returns it.
 */
export function checkFlag(op: string, what: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new ValueError(`${op}: ${what} must be a boolean, got ${fmtValue(value)}`);
  return value;
}

/** An optional flag (an option left out is `fallback`), checked by checkFlag when given. */
export function flagOption(op: string, what: string, value: unknown, fallback: boolean): boolean {
  return value === undefined ? fallback : checkFlag(op, what, value);
}

/**
 * An options type's keys as a list the compiler checks both ways — none missing, none extra:
 * `optionKeys<PadOptions>({ mode: 0, value: 0 })`. For checkOptionKeys.
 */
export function optionKeys<O>(keys: { readonly [K in keyof O]-?: 0 }): readonly string[] {
  return Object.keys(keys);
}

/**
 * Throws unless `options` is undefined or an object whose every key is in `allowed`: a misspelt
 * key (`{ keepDim: true }`) is refused, not ignored. The values are the caller's to check. Cheap
 * enough for every call of an op: it allocates nothing unless it throws.
 */
export function checkOptionKeys(op: string, options: unknown, allowed: readonly string[]): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new ValueError(`${op}: options must be an object, got ${fmtValue(options)}`);
  }
  for (const key in options) {
    if (!allowed.includes(key)) throw new ValueError(`${op}: unknown option ${JSON.stringify(key)} (expected ${allowed.join(", ")})`);
  }
}

/** Resolves a possibly negative dim against `ndim`, with PyTorch's error when out of range. */
export function normalizeDim(op: string, dim: number, ndim: number): number {
  // A 0-d tensor accepts dim 0 and -1, as in PyTorch.
  const n = Math.max(ndim, 1);
  if (!(dim >= -n && dim < n) || !Number.isInteger(dim)) {
    checkInt(op, "dim", dim); // a dim that is not an integer says so, not "out of range"
    throw new IndexError(`${op}: dim ${dim} out of range for a ${ndim}-d tensor (expected ${-n}..${n - 1})`);
  }
  return dim < 0 ? dim + n : dim;
}

/**
 * The dims a reduction runs over (normalizeDims) once its keepdim flag is checked: the one call
 * through which sum, mean, var, std, logsumexp, amax and amin take their arguments.
 */
export function reductionDims(op: string, dims: number | readonly number[] | undefined, ndim: number, keepdim: unknown): number[] {
  checkFlag(op, "keepdim", keepdim);
  return normalizeDims(op, dims, ndim);
}

/** Resolves a dim list (or undefined for "all dims"); sorted, duplicates rejected. */
export function normalizeDims(op: string, dims: number | readonly number[] | undefined, ndim: number): number[] {
  const out: number[] = [];
  if (dims === undefined) {
    for (let i = 0; i < ndim; i++) out.push(i);
    return out;
  }
  if (typeof dims === "number") {
    const d = normalizeDim(op, dims, ndim);
    return ndim === 0 ? out : [d];
  }
  if (!Array.isArray(dims)) {
    throw new IndexError(`${op}: dim must be an integer, an array of integers or undefined (all dims), got ${fmtValue(dims)}`);
  }
  for (let i = 0; i < dims.length; i++) {
    const d = normalizeDim(op, dims[i], ndim);
    if (out.includes(d)) throw new IndexError(`${op}: dim ${d} appears more than once in [${dims.join(",")}]`);
    out.push(d);
  }
  if (ndim === 0) return [];
  for (let i = 1; i < out.length; i++) if (out[i - 1] > out[i]) return out.sort((x, y) => x - y);
  return out; // already in order (the usual case): no sort, which allocates
}

/**
 * A size as a small integer when it fits one: V8 stores a size that arrives as a double (a
 * quotient, a value parsed from JSON) into an array as a double, making a new array kind that
 * deoptimizes code which has only seen small-integer shapes (see packedZeros).
 */
function smallInt(size: number): number {
  return size <= 0x3fffffff ? size | 0 : size;
}

/** Whether `shape` is an array of non-negative integers (a cheap test: checkShape says what is wrong). */
export function isShape(shape: readonly number[]): boolean {
  if (!Array.isArray(shape)) return false;
  for (let i = 0; i < shape.length; i++) if (!Number.isInteger(shape[i]) || shape[i] < 0) return false;
  return true;
}

/**
 * Validates a user-supplied shape: an array of non-negative integers with at most MAX_NUMEL
 * elements in all, returned as a fresh packed array.
 */
export function checkShape(op: string, shape: readonly number[]): number[] {
  if (!Array.isArray(shape)) throw new ValueError(`${op}: shape must be an array of sizes, got ${fmtValue(shape)}`);
  const out: number[] = [];
  let numel = 1;
  for (let i = 0; i < shape.length; i++) {
    const s = shape[i];
    if (!Number.isInteger(s) || s < 0) throw new ValueError(`${op}: invalid size ${fmtValue(s)} in shape ${fmtShape(shape)}`);
    out.push(smallInt(s));
    numel *= s;
  }
  checkNumel(op, out, numel);
  return out;
}

/** Resolves a single -1 in a target shape for reshape/view, checking the element count. */
export function inferReshape(op: string, from: readonly number[], to: readonly number[]): number[] {
  const total = numelOf(from);
  let inferred = -1;
  let known = 1;
  for (let i = 0; i < to.length; i++) {
    const s = to[i];
    if (s === -1) {
      if (inferred >= 0) throw new ShapeError(`${op}: only one dimension can be -1, got ${fmtShape(to)}`);
      inferred = i;
    } else if (!Number.isInteger(s) || s < 0) {
      throw new ValueError(`${op}: invalid size ${fmtValue(s)} in shape ${fmtShape(to)}`);
    } else known *= s;
  }
  const out: number[] = [];
  for (let i = 0; i < to.length; i++) out.push(smallInt(to[i]));
  if (inferred >= 0) {
    if (known === 0 && total === 0) {
      // As PyTorch: [0, -1] fits any size for -1, so no size can be inferred.
      throw new ShapeError(`${op}: cannot infer the -1 in ${fmtShape(to)} for a tensor of 0 elements (from ${fmtShape(from)}): any size would fit`);
    }
    if (known === 0 || total % known !== 0) {
      throw new ShapeError(`${op}: shape ${fmtShape(to)} is invalid for input of size ${total} (from ${fmtShape(from)})`);
    }
    out[inferred] = smallInt(total / known);
  } else if (known !== total) {
    throw new ShapeError(`${op}: shape ${fmtShape(to)} is invalid for input of size ${total} (from ${fmtShape(from)})`);
  }
  return out;
}

/** The shape left after reducing `dims` of `shape`, with or without kept size-1 dims. */
export function reducedShape(shape: readonly number[], dims: readonly number[], keepdim: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (dims.includes(i)) {
      if (keepdim) out.push(1);
    } else out.push(shape[i]);
  }
  return out;
}

/**
 * Strides that let a tensor of (shape, strides) be viewed as `newShape` without copying, or null
 * when its memory layout doesn't allow it. Each run of old dims that is contiguous with respect to
 * itself may be split or merged freely; runs can't be merged with one another.
 */
export function viewStrides(
  shape: readonly number[],
  strides: readonly number[],
  newShape: readonly number[],
): readonly number[] | null {
  if (numelOf(shape) === 0 || shape.length === 0) return contiguousStrides(newShape);
  const out = packedZeros(newShape.length);
  let v = newShape.length - 1;
  let chunkStride = strides[shape.length - 1];
  let chunkNumel = 1;
  let viewNumel = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    chunkNumel *= shape[d];
    // A chunk ends where the next dim out is not laid out right after this run of dims.
    const chunkEnds = d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== chunkNumel * chunkStride);
    if (!chunkEnds) continue;
    while (v >= 0 && (viewNumel < chunkNumel || newShape[v] === 1)) {
      out[v] = viewNumel * chunkStride;
      viewNumel *= newShape[v];
      v--;
    }
    if (viewNumel !== chunkNumel) return null;
    if (d > 0) {
      chunkStride = strides[d - 1];
      chunkNumel = 1;
      viewNumel = 1;
    }
  }
  return v === -1 ? out : null;
}

/** Sizes as PyTorch takes them: one array `[2, 3]`, separate numbers `2, 3`, or (where allowed) either followed by an options object. */
export type SizeArgs<O> = [shape: number | readonly number[], options?: O] | [...sizes: number[], options: O] | number[];

/**
 * Reads a size given as separate numbers `(2, 3)` or one array `([2, 3])`, followed by an options
 * object when `withOptions` — and throws on anything else, so no argument is silently dropped.
 * The sizes are returned as given (-1 included) for the op to check.
 */
export function sizeArgs(op: string, args: readonly unknown[], withOptions: boolean): { sizes: readonly number[]; options: object } {
  let options: object = {};
  let rest = args;
  const last = args[args.length - 1];
  if (withOptions && args.length > 0 && (last === undefined || (last !== null && typeof last === "object" && !Array.isArray(last) && !ArrayBuffer.isView(last)))) {
    options = last ?? {};
    rest = args.slice(0, -1);
  }
  // One array is the sizes, whatever it holds: the op's shape check names a bad entry precisely.
  if (rest.length === 1 && Array.isArray(rest[0])) return { sizes: rest[0] as number[], options };
  if (rest.every((s) => typeof s === "number")) return { sizes: rest as number[], options };
  const form = withOptions ? "separate numbers or one array, then optionally an options object" : "separate numbers or one array";
  throw new ValueError(`${op}: expected sizes as ${form}, got (${args.map(fmtValue).join(", ")})`);
}
