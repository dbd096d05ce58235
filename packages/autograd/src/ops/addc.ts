/** addcmul and addcdiv (x + value·t1·t2, x + value·t1/t2), composites with PyTorch's rounding order. */

import { DTypeError } from "../errors.js";
import { checkOptionKeys, optionKeys } from "../shape.js";
import type { Tensor } from "../tensor.js";

/** Options of addcmul/addcdiv. */
export interface AddcOptions {
  /** The multiplier of t1·t2 (or t1/t2); 1 by default. */
  readonly value?: number;
}

const ADDC_OPTIONS = optionKeys<AddcOptions>({ value: 0 });

/** x + value·t1·t2, broadcasting all three (computed as (value·t1)·t2, as PyTorch does). */
export function addcmul(x: Tensor, t1: Tensor, t2: Tensor, options: AddcOptions = {}): Tensor {
  checkOptionKeys("addcmul", options, ADDC_OPTIONS);
  const { value = 1 } = options;
  return x.add((value === 1 ? t1 : t1.mul(value)).mul(t2));
}

/** x + value·t1/t2, broadcasting all three; integer tensors are refused (PyTorch's rule). */
export function addcdiv(x: Tensor, t1: Tensor, t2: Tensor, options: AddcOptions = {}): Tensor {
  checkOptionKeys("addcdiv", options, ADDC_OPTIONS);
  const { value = 1 } = options;
  if (!t1.isFloatingPoint() && !t2.isFloatingPoint()) {
    throw new DTypeError(`addcdiv: integer division is not supported (t1 ${t1.dtype}, t2 ${t2.dtype}); convert to float first`);
  }
  return x.add((value === 1 ? t1 : t1.mul(value)).div(t2));
}
