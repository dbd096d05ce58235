/**
 * @internal The one place that checks an options object before it is used: every layer, loss
 * (function and Module form), functional, init function and gradient clipper of nn, Module's own
 * methods, optimizers (their options, parameter groups and loaded state dicts), LR schedulers,
 * the DataLoader, the CSV reader and the safetensors writer. A misspelt key (`{ lrr: 0.1 }`), a
 * value of the wrong kind (`amsgrad: "yes"`) or a string outside an enum-like option's values
 * (`reduction: "avg"`) is a ValueError naming the owner, the option and the value — never
 * silently ignored. Ranges (lr ≥ 0, 0 ≤ β < 1, ...) stay with each owner; this checks names,
 * kinds and choices only. A key whose value is `undefined` counts as not given, as an omitted
 * optional property does in TypeScript.
 *
 * Each owner keeps its spec next to its options interface, declared
 * `{ ... } as const satisfies SpecFor<TheOptions>`, so the compiler refuses a spec that misses a
 * key of the interface, names one it lacks, or gives a kind or a choice its type does not allow.
 */

import { Generator, Tensor, ValueError } from "@tensorgrad/autograd";
// NOTE: module.ts imports this file too; Module is only read when a check runs, after both have loaded.
import { Module, type AnyModule } from "./module.js";

/** What an option may hold. */
export type OptionKind = "number" | "boolean" | "string" | "numbers" | "strings" | "function" | "object" | "tensor" | "generator" | "module" | "null";

/** An enum-like string option: one of `oneOf` (`reduction: "mean" | "sum" | "none"`). */
export interface OptionChoice<V extends string = string> {
  readonly oneOf: readonly V[];
}

/** One rule an option's value may meet: a kind, or a choice of strings. */
export type OptionRule = OptionKind | OptionChoice;

/** Each known option's rule, or the rules it may meet (e.g. a number or one number per group). */
export type OptionSpec = Readonly<Record<string, OptionRule | readonly OptionRule[]>>;

/** The rule of an enum-like string option: one of `values`. */
export function oneOf<const V extends string>(...values: V[]): OptionChoice<V> {
  return { oneOf: values };
}

/** The kind of one member of an option's type (a Module or a plain object is an "object"). */
type KindOf<V> = V extends Tensor ? "tensor"
  : V extends Generator ? "generator"
  : V extends AnyModule ? "module"
  : V extends null ? "null"
  : V extends boolean ? "boolean"
  : V extends number ? "number"
  : V extends string ? "string"
  : V extends readonly number[] ? "numbers"
  : V extends readonly string[] ? "strings"
  : V extends (...args: never[]) => unknown ? "function"
  : "object";

/** The rules an option of type V may be given: its kinds, and a choice among its strings. */
type RuleFor<V> = KindOf<V> | ([Extract<V, string>] extends [never] ? never : OptionChoice<Extract<V, string>>);

/**
 * A spec for the options type O: every key of O, each with rules its type allows. Declaring a
 * spec `as const satisfies SpecFor<O>` keeps it in step with O.
 */
export type SpecFor<O> = { readonly [K in keyof O]-?: RuleFor<Exclude<O[K], undefined>> | readonly RuleFor<Exclude<O[K], undefined>>[] };

const ARTICLE: { [K in OptionKind]: string } = {
  number: "a number",
  boolean: "a boolean",
  string: "a string",
  numbers: "an array of numbers",
  strings: "an array of strings",
  function: "a function",
  object: "an object",
  tensor: "a Tensor",
  generator: "a Generator",
  module: "a Module",
  null: "null",
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
    case "tensor":
      return value instanceof Tensor;
    case "generator":
      return value instanceof Generator;
    case "module":
      return value instanceof Module;
    case "null":
      return value === null;
    default:
      return kind satisfies never;
  }
}

/** Whether `value` meets `rule`. */
function meets(value: unknown, rule: OptionRule): boolean {
  return typeof rule === "string" ? isKind(value, rule) : typeof value === "string" && rule.oneOf.includes(value);
}

/** A rule as messages say it: `a boolean`, `one of "mean", "sum", "none"`. */
function describeRule(rule: OptionRule): string {
  return typeof rule === "string" ? ARTICLE[rule] : `one of ${rule.oneOf.map((v) => JSON.stringify(v)).join(", ")}`;
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
 * (defined) value meets a rule `spec` gives it; `undefined` options mean none. `what` names the
 * object in messages ("option", "parameter group option", ...). Cheap enough for every call of a
 * functional: it allocates nothing unless it throws.
 */
export function checkOptions(owner: string, options: unknown, spec: OptionSpec, what = "option"): void {
  if (options === undefined) return;
  if (!isOptionsObject(options)) throw new ValueError(`${owner}: ${what}s must be an object, got ${showValue(options)}`);
  for (const key in options) {
    if (!Object.hasOwn(options, key)) continue;
    const value = options[key];
    if (value === undefined) continue;
    if (!Object.hasOwn(spec, key)) {
      throw new ValueError(`${owner}: unknown ${what} "${key}" (${showValue(value)}); known: ${Object.keys(spec).join(", ")}`);
    }
    const rules = spec[key];
    let ok = false;
    if (isRuleList(rules)) {
      for (let i = 0; i < rules.length && !ok; i++) ok = meets(value, rules[i]);
    } else ok = meets(value, rules);
    if (!ok) {
      const allowed = isRuleList(rules) ? rules.map(describeRule).join(" or ") : describeRule(rules);
      throw new ValueError(`${owner}: ${what} ${key} must be ${allowed}, got ${showValue(value)}`);
    }
  }
}

function isRuleList(rules: OptionRule | readonly OptionRule[]): rules is readonly OptionRule[] {
  return Array.isArray(rules);
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
