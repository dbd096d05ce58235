/**
 * Argument handling shared by the convolution and pooling family: sizes given as one number or
 * one per spatial dim, PyTorch's output-size rules, and the input checks. The family's other
 * pieces: kernels in backend/cpu/window-kernels.ts (contracts in backend/backend.ts), primitives
 * in ops/unfold.ts and ops/max-pool.ts, composites in ops/conv.ts, ops/avg-pool.ts, ops/pad.ts.
 */

import type { Window2d } from "../backend/backend.js";
import type { DType } from "../dtype.js";
import { DTypeError, ShapeError, ValueError, fmtShape } from "../errors.js";
import { contiguousStrides } from "../shape.js";
import { Tensor } from "../tensor.js";

/** A size per spatial dim, or one number for all of them (PyTorch's `int or tuple`). */
export type SizeArg = number | readonly number[];

/** `value` as `n` integers ≥ min (one number repeats); the error names the op and the argument. */
export function sizes(op: string, name: string, value: SizeArg, n: number, min: number): number[] {
  if (typeof value !== "number" && !Array.isArray(value)) throw new ValueError(`${op}: ${name} must be a number or an array of numbers, got ${String(value)}`);
  const list: number[] = [];
  for (let i = 0; i < n; i++) list.push(typeof value === "number" ? value : value[i]);
  if (typeof value !== "number" && value.length !== n) list.push(NaN); // reported below with the given list
  if (list.some((v) => !Number.isInteger(v) || v < min)) {
    const want = n === 1 ? `an integer >= ${min}` : `an integer >= ${min} or ${n} of them`;
    throw new ValueError(`${op}: ${name} must be ${want}, got ${typeof value === "number" ? value : `[${value.join(", ")}]`}`);
  }
  return list;
}

/** Throws unless x is a Tensor. */
export function checkTensorArg(op: string, name: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`${op}: ${name} must be a Tensor, got ${x === null ? "null" : typeof x}`);
}

/** Throws unless x is a float32/float64 tensor. */
export function checkFloatInput(op: string, name: string, x: Tensor): void {
  checkTensorArg(op, name, x);
  if (!x.isFloatingPoint()) throw new DTypeError(`${op}: ${name} must be float32 or float64, got ${x.dtype}`);
}

/**
 * x as a batched tensor of rank `rank` (PyTorch accepts one dim fewer, unbatched): throws unless
 * x has rank or rank − 1 dims; `layout` names the dims for the message ("[N, C, H, W]").
 */
export function batched(op: string, x: Tensor, rank: number, layout: string): { x: Tensor; unbatched: boolean } {
  if (x.ndim === rank) return { x, unbatched: false };
  if (x.ndim === rank - 1) return { x: x.unsqueeze(0), unbatched: true };
  throw new ShapeError(`${op}: expected input ${layout} (or without the batch dim), got ${fmtShape(x.shape)}`);
}

/**
 * Pooling's output size (PyTorch's pooling_output_shape): ⌊(size + 2p − d(k−1) − 1 + (ceil ? s−1 : 0)) / s⌋ + 1,
 * less one in ceil mode when the last window would start in the right padding.
 */
export function poolOutputSize(size: number, k: number, pad: number, stride: number, dilation: number, ceilMode: boolean): number {
  let out = Math.floor((size + 2 * pad - dilation * (k - 1) - 1 + (ceilMode ? stride - 1 : 0)) / stride) + 1;
  if (ceilMode && (out - 1) * stride >= size + pad) out--;
  return out;
}

/** The window grid of a 2-d pooling or im2col over an image of size h×w, with 2-element sizes. */
export function windowOf(k: number[], s: number[], p: number[], d: number[], oh: number, ow: number): Window2d {
  return { kh: k[0], kw: k[1], sh: s[0], sw: s[1], ph: p[0], pw: p[1], dh: d[0], dw: d[1], oh, ow };
}

/** Parameters of a pooling op over the last two dims after the checks PyTorch makes. */
export interface PoolArgs {
  readonly kernel: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly dilation: number[];
}

/**
 * Resolves and checks a pooling op's sizes (n spatial dims): stride defaults to the kernel size,
 * padding must be at most half the kernel.
 */
export function poolArgs(
  op: string, n: number, kernelSize: SizeArg, stride: SizeArg | null | undefined, padding: SizeArg, dilation: SizeArg,
): PoolArgs {
  const kernel = sizes(op, "kernelSize", kernelSize, n, 1);
  const strides = stride === undefined || stride === null || (Array.isArray(stride) && stride.length === 0) ? kernel : sizes(op, "stride", stride, n, 1);
  const pads = sizes(op, "padding", padding, n, 0);
  const dils = sizes(op, "dilation", dilation, n, 1);
  pads.forEach((p, i) => {
    if (p > kernel[i] / 2) {
      throw new ValueError(`${op}: padding should be at most half of the kernel size, got padding ${fmtList(pads)} and kernelSize ${fmtList(kernel)}`);
    }
  });
  return { kernel, stride: strides, padding: pads, dilation: dils };
}

/** Throws unless every output size is at least 1, naming the input and computed sizes. */
export function checkOutputSize(op: string, input: readonly number[], output: readonly number[]): void {
  if (output.some((s) => s < 1)) {
    throw new ShapeError(`${op}: output size is too small: input ${fmtShape(input)} gives spatial output ${fmtList(output)}`);
  }
}

/** A list of sizes as messages show them: `(2, 3)`. */
export function fmtList(values: readonly number[]): string {
  return `(${values.join(", ")})`;
}

/** A constant tensor of host values on `like`'s backend (index lists, divisors, averaging matrices). */
export function hostTensor(like: Tensor, dtype: DType, values: ArrayLike<number>, shape: readonly number[]): Tensor {
  const backend = like.backend;
  return new Tensor(backend, backend.fromValues(dtype, values), shape, contiguousStrides(shape), 0, dtype);
}
