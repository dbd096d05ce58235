/**
 * One copy of the library per app. A bundler or Node can load @tensorgrad/autograd twice — its ESM
 * build through `import` and its CJS build through `require` (the dual-package hazard), or two
 * installed versions — and each copy has its own Tensor class, so a tensor made by one is not
 * `instanceof Tensor` for the other. Argument checks call `foreignTensorHint` so that the error
 * says so instead of "got an object".
 */

import { Tensor } from "./tensor.js";

/** The hint every "not a Tensor" error adds when the value is a Tensor of another copy. */
export const TWO_COPIES_HINT =
  "two copies of @tensorgrad/autograd are loaded (ESM and CJS?): load it one way only (all `import` or all `require`) and one version, so every Tensor comes from the same copy";

/**
 * True for a Tensor made by another copy of @tensorgrad/autograd: not an instance of this copy's
 * Tensor class but carrying its fields (checked by shape, since a minifier may rename the class).
 */
export function isForeignTensor(value: unknown): boolean {
  if (typeof value !== "object" || value === null || value instanceof Tensor) return false;
  return "shape" in value && "strides" in value && "dtype" in value && "backend" in value && typeof (value as { numel?: unknown }).numel === "function";
}

/** `" — a Tensor from another copy: two copies … are loaded"` for a foreign Tensor, else "". */
export function foreignTensorHint(value: unknown): string {
  return isForeignTensor(value) ? ` (a Tensor from another copy of the library: ${TWO_COPIES_HINT})` : "";
}
