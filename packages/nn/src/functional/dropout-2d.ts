/** `dropout2d` in functional form (the Dropout2d layer is in layers/dropout-2d.ts; plain dropout in linear.ts). */

import { ShapeError, defaultGenerator, rand, type Tensor } from "@tensorgrad/autograd";
import { checkOptions } from "../options.js";
import { checkFloat, checkProbability, fmtShape } from "./checks.js";
import { DROPOUT_SPEC, type DropoutOptions } from "./linear.js";

/**
 * Channel dropout: in training, zeroes each whole channel x[n, c] with probability p and scales
 * the rest by 1/(1 − p); the identity when not training or p = 0. Like PyTorch 1.13, every input
 * of 2 or more dims is read as [N, C, ...], so a 3-d input is [N, C, L] (not an unbatched image).
 */
export function dropout2d(x: Tensor, p = 0.5, training = true, options: DropoutOptions = {}): Tensor {
  checkProbability("dropout2d", "dropout probability", p);
  checkOptions("dropout2d", options, DROPOUT_SPEC);
  checkFloat("dropout2d", "input", x);
  if (x.ndim < 2) throw new ShapeError(`dropout2d: expected input with at least 2 dims [N, C, ...], got ${fmtShape(x.shape)}`);
  if (!training || p === 0) return x;
  if (p === 1) return x.mul(0);
  const maskShape = x.shape.map((s, i) => (i < 2 ? s : 1));
  // the mask on x's device (drawn on the host from the generator, as dropout's noise is)
  const keep = rand(maskShape, { dtype: x.dtype, device: x.device, generator: options.generator ?? defaultGenerator }).lt(1 - p);
  return x.mul(keep.to(x.dtype).mul(1 / (1 - p)));
}
