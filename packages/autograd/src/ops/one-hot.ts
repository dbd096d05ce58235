/** oneHot: class indices to one-hot rows (a comparison with a range; no gradient, as in PyTorch). */

import { DTypeError, ValueError } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { rangeLike } from "./constants.js";

/**
 * out[..., c] = 1 where x[...] = c, else 0 (int32; PyTorch gives int64), with `numClasses`
 * columns; -1 (the default) takes one more than the largest index.
 */
export function oneHot(x: Tensor, numClasses = -1): Tensor {
  if (x.dtype !== "int32") throw new DTypeError(`oneHot: expected an int32 tensor of class indices, got ${x.dtype}`);
  if (!Number.isInteger(numClasses) || numClasses < -1) {
    throw new ValueError(`oneHot: numClasses must be a non-negative integer or -1 (infer), got ${numClasses}`);
  }
  const values = x.toTypedArray();
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    min = Math.min(min, values[i]);
    max = Math.max(max, values[i]);
  }
  if (min < 0) throw new ValueError(`oneHot: class values must be non-negative, got ${min}`);
  let n = numClasses;
  if (n === -1) {
    if (values.length === 0) throw new ValueError("oneHot: cannot infer the number of classes from an empty tensor (pass numClasses)");
    n = max + 1;
  } else if (max >= n) throw new ValueError(`oneHot: class values must be smaller than numClasses ${n}, got ${max}`);
  return x.unsqueeze(-1).eq(rangeLike(x, n)).to("int32");
}
