/** @internal Argument checks shared by the functional ops, losses and layers. */

import { DTypeError, ShapeError, Tensor, ValueError, foreignTensorHint } from "@tensorgrad/autograd";

/** A shape as messages show it: `[2,3]`. */
export const fmtShape = (shape: readonly number[]): string => `[${shape.join(",")}]`;

/** Throws unless `x` is a Tensor. */
export function checkTensor(op: string, name: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`${op}: ${name} must be a Tensor, got ${x === null ? "null" : typeof x}${foreignTensorHint(x)}`);
}

/** Throws unless `x` is a float32/float64 tensor. */
export function checkFloat(op: string, name: string, x: unknown): asserts x is Tensor {
  checkTensor(op, name, x);
  if (!x.isFloatingPoint()) throw new DTypeError(`${op}: ${name} must be a floating point tensor, got ${x.dtype}`);
}

/** Throws unless `x` is an int32 tensor (class indices, token ids). */
export function checkIndices(op: string, name: string, x: unknown): asserts x is Tensor {
  checkTensor(op, name, x);
  if (x.dtype !== "int32") throw new DTypeError(`${op}: ${name} must be an int32 tensor of indices, got ${x.dtype}`);
}

/** Throws unless `a` and `b` have the same shape. */
export function checkSameShape(op: string, input: Tensor, target: Tensor): void {
  if (input.ndim !== target.ndim || input.shape.some((s, i) => s !== target.shape[i])) {
    throw new ShapeError(`${op}: target shape ${fmtShape(target.shape)} differs from input shape ${fmtShape(input.shape)}`);
  }
}

/** Throws unless `value` is an integer ≥ `min`. */
export function checkInt(op: string, name: string, value: number, min = 0): void {
  if (!Number.isInteger(value) || value < min) throw new ValueError(`${op}: ${name} must be an integer >= ${min}, got ${value}`);
}

/** Throws unless `value` is a finite number ≥ 0 (or > 0 with `positive`). */
export function checkNonNegative(op: string, name: string, value: number, positive = false): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    throw new ValueError(`${op}: ${name} must be a ${positive ? "positive" : "non-negative"} finite number, got ${value}`);
  }
}

/** Throws unless 0 ≤ p ≤ 1. */
export function checkProbability(op: string, name: string, p: number): void {
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) throw new ValueError(`${op}: ${name} has to be between 0 and 1, but got ${p}`);
}
