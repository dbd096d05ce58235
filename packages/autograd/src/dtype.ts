/** Element types and PyTorch-style type promotion. */

import { DTypeError, ValueError, fmtValue } from "./errors.js";

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

/**
 * Throws unless `value` can be stored as `dtype` without overflow, as PyTorch checks: int32 takes
 * finite numbers that truncate into [−2³¹, 2³¹ − 1] (0.5 becomes 0); 2³¹, NaN or Infinity would
 * wrap or turn into 0 silently. Other dtypes take any number.
 */
export function checkStorable(op: string, value: number, dtype: DType): void {
  if (dtype === "int32" && !(value > -2147483649 && value < 2147483648)) {
    throw new ValueError(`${op}: value ${fmtValue(value)} cannot be converted to int32 without overflow (int32 holds -2147483648..2147483647)`);
  }
}

/** checkStorable over many values (one pass, only for int32), naming the first that does not fit and its position. */
export function checkStorableAll(op: string, values: ArrayLike<number>, dtype: DType): void {
  if (dtype !== "int32") return;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v > -2147483649 && v < 2147483648)) {
      throw new ValueError(`${op}: value ${fmtValue(v)} at flat index ${i} cannot be converted to int32 without overflow (int32 holds -2147483648..2147483647)`);
    }
  }
}
