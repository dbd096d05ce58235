/** `rmsNorm` in functional form (PyTorch 2.4's F.rms_norm). */

import { ShapeError, Tensor, type DType } from "@tensorgrad/autograd";
import { checkOptions, type SpecFor } from "../options.js";
import { checkFloat, checkNonNegative, fmtShape } from "./checks.js";

/** Options of `rmsNorm`. */
export interface RMSNormOptions {
  /** γ, of shape normalizedShape (none: 1). */
  readonly weight?: Tensor | null;
  /** Added to the mean square; null or omitted: the input dtype's machine epsilon (as PyTorch). */
  readonly eps?: number | null;
}

/** What RMSNormOptions may hold. */
export const RMS_NORM_SPEC = { weight: ["tensor", "null"], eps: ["number", "null"] } as const satisfies SpecFor<RMSNormOptions>;

/** The gap between 1 and the next number of `dtype` (torch.finfo(dtype).eps): 2⁻²³ or 2⁻⁵². */
export function machineEpsilon(dtype: DType): number {
  return dtype === "float64" ? 2 ** -52 : 2 ** -23;
}

/**
 * y = x / √(mean(x², trailing dims) + eps) · γ over the trailing dims `normalizedShape`; eps
 * defaults to the machine epsilon of x's dtype (PyTorch's torch.finfo(x.dtype).eps).
 */
export function rmsNorm(x: Tensor, normalizedShape: number | readonly number[], options: RMSNormOptions = {}, op = "rmsNorm"): Tensor {
  checkFloat(op, "input", x);
  checkOptions(op, options, RMS_NORM_SPEC);
  const shape = typeof normalizedShape === "number" ? [normalizedShape] : normalizedShape;
  const eps = options.eps ?? machineEpsilon(x.dtype);
  checkNonNegative(op, "eps", eps);
  const k = shape.length;
  if (k === 0 || x.ndim < k || x.shape.slice(x.ndim - k).some((s, i) => s !== shape[i])) {
    throw new ShapeError(`${op}: expected input with trailing shape ${fmtShape(shape)}, got ${fmtShape(x.shape)}`);
  }
  const weight = options.weight ?? null;
  if (weight !== null) {
    checkFloat(op, "weight", weight);
    if (weight.ndim !== k || weight.shape.some((s, i) => s !== shape[i])) {
      throw new ShapeError(`${op}: weight must have shape ${fmtShape(shape)}, got ${fmtShape(weight.shape)}`);
    }
  }
  const dims = Array.from({ length: k }, (_, i) => x.ndim - k + i);
  const y = x.mul(x.square().mean(dims, true).add(eps).rsqrt());
  return weight === null ? y : y.mul(weight);
}
