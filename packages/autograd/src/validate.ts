/**
 * Argument checks for the public API that need the Tensor class (the checks on plain numbers —
 * dims, indices, sizes, shapes — live in shape.ts). Each runs once per call on the arguments, never
 * per element, and throws a typed error that names the op and the value it was given.
 */

import { foreignTensorHint } from "./copies.js";
import { ValueError, fmtValue } from "./errors.js";
import { Tensor } from "./tensor.js";

/** Throws unless `value` is a Tensor; `what` names the argument (`other`, `index`, `tensor 1`). */
export function checkTensor(op: string, what: string, value: unknown): Tensor {
  if (!(value instanceof Tensor)) throw new ValueError(`${op}: ${what} must be a Tensor, got ${fmtValue(value)}${foreignTensorHint(value)}`);
  return value;
}

/**
 * Throws unless `value` is a Tensor or a number (an elementwise operand). Like PyTorch, a plain
 * array is not taken for a tensor: wrap it with tensor().
 */
export function operandError(op: string, value: unknown): ValueError {
  const hint = Array.isArray(value) ? " (wrap an array with tensor())" : foreignTensorHint(value);
  return new ValueError(`${op}: expected a Tensor or a number, got ${fmtValue(value)}${hint}`);
}

/** Throws unless `tensors` is a non-empty array of Tensors (cat, stack). */
export function checkTensorList(op: string, tensors: unknown): readonly Tensor[] {
  if (!Array.isArray(tensors)) throw new ValueError(`${op}: expected an array of tensors, got ${fmtValue(tensors)}`);
  if (tensors.length === 0) throw new ValueError(`${op}: expected a non-empty list of tensors`);
  for (let i = 0; i < tensors.length; i++) checkTensor(op, `tensor ${i}`, tensors[i]);
  return tensors as readonly Tensor[];
}
