/**
 * Typed errors. Every message reads `op: problem (values)`, e.g.
 * `matmul: inner dimensions differ, [2,3] @ [4,5] (3 != 4)`.
 */

/** Base class of every error tensorgrad throws on purpose. */
export class TensorgradError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit together: broadcasting, matmul, reshape, cat, ... */
export class ShapeError extends TensorgradError {}

/** A dtype an op cannot work with (log of bool, grad of int32, ...). */
export class DTypeError extends TensorgradError {}

/** A dim or index out of range. */
export class IndexError extends TensorgradError {}

/** Misuse of autograd: backward on a constant, a freed graph, a missing seed, ... */
export class GradError extends TensorgradError {}

/** A bad argument value: a negative size, a non-finite seed, an invalid option. */
export class ValueError extends TensorgradError {}

/** Formats a shape the way messages show it: `[2,3]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.map(String).join(",")}]`; // String, so a bad size reads null or undefined rather than nothing
}

/**
 * Formats any argument the way messages show it: numbers as themselves (NaN, Infinity), strings
 * quoted, null/undefined by name, arrays and objects by kind: `"2"`, `an array [1,2,3]`, `an object`.
 */
export function fmtValue(value: unknown): string {
  switch (typeof value) {
    case "number":
    case "boolean":
    case "bigint":
      return String(value);
    case "string":
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case "undefined":
      return "undefined";
    case "function":
      return "a function";
    case "symbol":
      return String(value);
    default: {
      if (value === null) return "null";
      if (Array.isArray(value)) return value.length <= 8 ? `an array [${value.map(fmtElement).join(",")}]` : `an array of length ${value.length}`;
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      return typeof name === "string" && name !== "Object" && name !== "" ? `a ${name}` : "an object";
    }
  }
}

/** An array element inside fmtValue's `an array [...]`: nested arrays as brackets, the rest as fmtValue. */
function fmtElement(value: unknown): string {
  if (Array.isArray(value)) return value.length <= 8 ? `[${value.map(fmtElement).join(",")}]` : `[… ${value.length} items]`;
  return fmtValue(value);
}
