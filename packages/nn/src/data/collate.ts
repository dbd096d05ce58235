/** Turning a list of samples into a batch (PyTorch's default_collate). */

import { Tensor, ValueError, stack, tensor } from "@tensorgrad/autograd";

/** The batch type the default collate makes from samples of type T. */
export type Collated<T> = unknown extends T
  ? unknown
  : T extends Tensor
    ? Tensor
    : T extends number | boolean
      ? Tensor
      : T extends string
        ? string[]
        : T extends readonly unknown[]
          ? { -readonly [K in keyof T]: Collated<T[K]> }
          : T extends object
            ? { [K in keyof T]: Collated<T[K]> }
            : never;

/**
 * Stacks samples into a batch: tensors along a new dim 0; numbers into a 1-d tensor (int32 when
 * all are integers, else float32); booleans into a bool tensor; strings into an array; arrays
 * (tuples) and plain objects position by position / key by key, recursively.
 */
export function defaultCollate<T>(samples: readonly T[]): Collated<T> {
  return collate(samples as readonly unknown[], "batch") as Collated<T>;
}

function collate(samples: readonly unknown[], where: string): unknown {
  if (samples.length === 0) throw new ValueError("defaultCollate: cannot collate an empty batch");
  const first = samples[0];
  const kind = (x: unknown) => (x instanceof Tensor ? "Tensor" : Array.isArray(x) ? "array" : x === null ? "null" : typeof x);
  samples.forEach((s, i) => {
    if (kind(s) !== kind(first)) throw new ValueError(`defaultCollate: ${where}: sample ${i} is a ${kind(s)} but sample 0 is a ${kind(first)}`);
  });
  if (first instanceof Tensor) return stack(samples as Tensor[], 0);
  if (typeof first === "number") {
    const values = samples as number[];
    return tensor(values, { dtype: values.every(Number.isInteger) ? "int32" : "float32" });
  }
  if (typeof first === "boolean") return tensor(samples as boolean[], { dtype: "bool" });
  if (typeof first === "string") return [...(samples as string[])];
  if (Array.isArray(first)) {
    const n = first.length;
    samples.forEach((s, i) => {
      if ((s as unknown[]).length !== n) throw new ValueError(`defaultCollate: ${where}: sample ${i} has ${(s as unknown[]).length} elements but sample 0 has ${n}`);
    });
    return Array.from({ length: n }, (_, j) => collate(samples.map((s) => (s as unknown[])[j]), `${where}[${j}]`));
  }
  if (typeof first === "object" && Object.getPrototypeOf(first) === Object.prototype) {
    const keys = Object.keys(first as object);
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      out[key] = collate(
        samples.map((s, i) => {
          if (!(key in (s as object))) throw new ValueError(`defaultCollate: ${where}: sample ${i} has no key "${key}"`);
          return (s as Record<string, unknown>)[key];
        }),
        `${where}.${key}`,
      );
    }
    return out;
  }
  throw new ValueError(`defaultCollate: ${where}: don't know how to collate a ${kind(first)}; pass a collate function`);
}
