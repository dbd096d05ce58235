/**
 * @internal The one place that checks an options object before it is used: optimizers (their
 * options, parameter groups and loaded state dicts), LR schedulers, the DataLoader and the CSV
 * reader. A misspelt key (`{ lrr: 0.1 }`) or a value of the wrong kind (`amsgrad: "yes"`) is a
 * ValueError naming the owner, the option and the value — never silently ignored. Ranges
 * (lr ≥ 0, 0 ≤ β < 1, ...) stay with each owner; this checks names and kinds only. A key whose
 * value is `undefined` counts as not given, as an omitted optional property does in TypeScript.
 */

import { Tensor, ValueError } from "@tensorgrad/autograd";

/** What an option may hold. */
export type OptionKind = "number" | "boolean" | "string" | "numbers" | "strings" | "function" | "object";

/** Each known option's kind, or the kinds it may take (e.g. a number or one number per group). */
export type OptionSpec = Readonly<Record<string, OptionKind | readonly OptionKind[]>>;

const ARTICLE: { [K in OptionKind]: string } = {
  number: "a number",
  boolean: "a boolean",
  string: "a string",
  numbers: "an array of numbers",
  strings: "an array of strings",
  function: "a function",
  object: "an object",
};

function isKind(value: unknown, kind: OptionKind): boolean {
  switch (kind) {
    case "number":
    case "boolean":
    case "string":
    case "function":
      return typeof value === kind;
    case "numbers":
      return Array.isArray(value) && value.every((v) => typeof v === "number");
    case "strings":
      return Array.isArray(value) && value.every((v) => typeof v === "string");
    case "object":
      return value !== null && typeof value === "object" && !Array.isArray(value);
    default:
      return kind satisfies never;
  }
}

/** A value as messages show it: strings quoted, arrays bracketed, objects by kind. */
export function showValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(showValue).join(", ")}]`;
  if (value instanceof Tensor) return `a Tensor of shape [${value.shape.join(",")}]`;
  if (typeof value === "function") return "a function";
  if (value !== null && typeof value === "object") return value.constructor === Object || Object.getPrototypeOf(value) === null ? "an object" : `a ${value.constructor.name}`;
  return String(value);
}

/** True for a plain options object (not null, an array, a Map or a Tensor). */
function isOptionsObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Tensor) && !(value instanceof Map);
}

/**
 * Throws ValueError unless `options` is an object whose every key is in `spec` and whose every
 * (defined) value has the kind `spec` gives it; `undefined` options mean none. `what` names the
 * object in messages ("option", "parameter group option", ...).
 */
export function checkOptions(owner: string, options: unknown, spec: OptionSpec, what = "option"): void {
  if (options === undefined) return;
  if (!isOptionsObject(options)) throw new ValueError(`${owner}: ${what}s must be an object, got ${showValue(options)}`);
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(spec, key)) {
      throw new ValueError(`${owner}: unknown ${what} "${key}" (${showValue(value)}); known: ${Object.keys(spec).join(", ")}`);
    }
    const kinds = spec[key];
    const allowed: readonly OptionKind[] = typeof kinds === "string" ? [kinds] : kinds;
    if (!allowed.some((k) => isKind(value, k))) {
      throw new ValueError(`${owner}: ${what} ${key} must be ${allowed.map((k) => ARTICLE[k]).join(" or ")}, got ${showValue(value)}`);
    }
  }
}

/** The kinds of an object's values, as a spec (what an optimizer's defaults say about its options). */
export function specOf(defaults: Readonly<Record<string, unknown>>): Record<string, OptionKind> {
  const spec: Record<string, OptionKind> = {};
  for (const [key, value] of Object.entries(defaults)) {
    spec[key] = Array.isArray(value) ? "numbers" : typeof value === "boolean" ? "boolean" : typeof value === "string" ? "string" : typeof value === "function" ? "function" : typeof value === "number" ? "number" : "object";
  }
  return spec;
}

/** `options` without the keys whose value is undefined (so they don't override defaults when spread). */
export function definedOptions<T extends object>(options: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, value] of Object.entries(options)) if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  return out;
}
