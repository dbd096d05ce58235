/** Reading the PyTorch goldens in test/goldens/*.json (tensors as {shape, dtype, data}, NaN as "nan"). */

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { tensor, type DType, type Tensor } from "@tensorgrad/autograd";

/** A recorded tensor. */
export interface Encoded {
  readonly shape: number[];
  readonly dtype: DType;
  readonly data: (number | string)[];
}

/** A recorded number ("nan", "inf" and "-inf" are strings in JSON). */
export const goldenNumber = (v: number | string): number => (typeof v === "number" ? v : v === "nan" ? NaN : v === "inf" ? Infinity : -Infinity);

/** The recorded numbers, flat. */
export const goldenValues = (e: Encoded): number[] => e.data.map(goldenNumber);

/** A recorded tensor as a tensor; float data becomes `floatType`, and with `requiresGrad` a leaf that records. */
export function decode(e: Encoded, floatType: DType = "float64", requiresGrad = false): Tensor {
  const isFloat = e.dtype === "float64" || e.dtype === "float32";
  const dtype = isFloat ? floatType : e.dtype;
  return tensor(goldenValues(e), { dtype, shape: e.shape, requiresGrad: requiresGrad && isFloat });
}

/** Parses test/goldens/<name>. */
export function readGoldens<T>(name: string): T {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../goldens/${name}`, import.meta.url)), "utf8")) as T;
}

/** The bytes of test/goldens/<name>. */
export function readGoldenBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(fileURLToPath(new URL(`../goldens/${name}`, import.meta.url))));
}
