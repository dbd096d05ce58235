/** Element types and PyTorch-style type promotion. */

import { DTypeError } from "./errors.js";

/** The element types a tensor can hold. */
export type DType = "float32" | "float64" | "int32" | "bool";

/** Every dtype, in promotion order (bool < int32 < float32 < float64). */
export const DTYPES: readonly DType[] = ["bool", "int32", "float32", "float64"];

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** True for float32 and float64, the dtypes that can carry gradients. */
export function isFloating(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

/** The dtype two tensor operands promote to: the higher of the two categories. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * The dtype of `tensor op scalar`: like PyTorch, a plain number never widens a tensor of its
 * own category (float32 + 0.5 stays float32), but it lifts a lower one (int32 + 0.5 is float32).
 */
export function promoteWithScalar(dtype: DType, scalar: number | boolean): DType {
  if (typeof scalar === "boolean") return dtype;
  if (!Number.isInteger(scalar)) return isFloating(dtype) ? dtype : "float32";
  return dtype === "bool" ? "int32" : dtype;
}

/**
 * Whether an in-place op may store a `from` result into a `to` tensor (PyTorch's canCast): a
 * narrowing within a category is fine (float64 into float32 rounds), but floats never go into
 * integers or bools, and nothing but bool goes into bool.
 */
export function canCast(from: DType, to: DType): boolean {
  if (isFloating(from) && !isFloating(to)) return false;
  return from === "bool" || to !== "bool";
}

/** The dtype a float-valued op (exp, log, div, mean, ...) produces: ints and bools become float32. */
export function floatResult(dtype: DType): DType {
  return isFloating(dtype) ? dtype : "float32";
}

/** Throws unless `value` names a dtype. */
export function checkDType(op: string, value: unknown): DType {
  if (typeof value === "string" && (DTYPES as readonly string[]).includes(value)) return value as DType;
  throw new DTypeError(`${op}: unknown dtype ${String(value)} (expected ${DTYPES.join(", ")})`);
}
