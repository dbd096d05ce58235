/**
 * Config tensors: a case's configuration (dims, flags, window sizes) encoded in a small tensor so
 * that every case stays a function of tensors only. The function reads it on the host; runs on
 * another device (test/webgpu/op-parity.test.ts) leave config tensors where they are and move the
 * data.
 */

import { tensor, type DType, type Tensor } from "@tensorgrad/autograd";

const configs = new WeakSet<Tensor>();

/** A config tensor holding `values` (int32 unless said otherwise). */
export function config(values: readonly number[], dtype: DType = "int32"): Tensor {
  const t = tensor([...values], { dtype });
  configs.add(t);
  return t;
}

/** Whether t was made by config(). */
export function isConfig(t: Tensor): boolean {
  return configs.has(t);
}
