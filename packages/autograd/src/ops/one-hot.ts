/** oneHot: class indices to one-hot rows (a comparison with a range; no gradient, as in PyTorch). */

import { DTypeError, ValueError } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { rangeLike } from "./constants.js";
import { checkClassIndices } from "./index-select.js";

/**
 * out[..., c] = 1 where x[...] = c, else 0 (int32; PyTorch gives int64), with `numClasses`
 * columns; -1 (the default) takes one more than the largest index.
 */
export function oneHot(x: Tensor, numClasses = -1): Tensor {
  if (x.dtype !== "int32") throw new DTypeError(`oneHot: expected an int32 tensor of class indices, got ${x.dtype}`);
  if (!Number.isInteger(numClasses) || numClasses < -1) {
    throw new ValueError(`oneHot: numClasses must be a non-negative integer or -1 (infer), got ${numClasses}`);
  }
  if (x.backend.asyncReads) return oneHotOnDevice(x, numClasses);
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

/**
 * oneHot on a GPU backend, without reading the indices: numClasses must be given, and a value
 * outside [0, numClasses) raises the device's error flag (an IndexError naming oneHot at the next
 * read; its row is all zeros).
 */
function oneHotOnDevice(x: Tensor, numClasses: number): Tensor {
  if (numClasses === -1) {
    throw new ValueError(`oneHot: numClasses -1 (infer) needs the largest index read on the host, which the ${x.device} device does not do inside a step; pass numClasses`);
  }
  // NOTE: checkIndices allows one value besides [0, n); int32's minimum stands for none.
  checkClassIndices("oneHot", x, numClasses, -(2 ** 31));
  return x.unsqueeze(-1).eq(rangeLike(x, numClasses)).to("int32");
}
