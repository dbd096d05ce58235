/** `groupNorm` in functional form (the GroupNorm layer is in layers/group-norm.ts). */

import { ShapeError, ValueError, type Tensor } from "@tensorgrad/autograd";
import { checkOptions, type SpecFor } from "../options.js";
import { checkFloat, checkNonNegative, fmtShape } from "./checks.js";

/** Options of `groupNorm`. */
export interface GroupNormOptions {
  /** γ per channel (none: 1). */
  readonly weight?: Tensor | null;
  /** β per channel (none: 0). */
  readonly bias?: Tensor | null;
  /** Added to the variance (default 1e-5). */
  readonly eps?: number;
}

/** What GroupNormOptions may hold. */
export const GROUP_NORM_SPEC = { weight: ["tensor", "null"], bias: ["tensor", "null"], eps: "number" } as const satisfies SpecFor<GroupNormOptions>;

/**
 * Group normalization of x [N, C, ...]: the channels are split into numGroups groups, and each
 * group of each sample is normalized over its channels and positions, y = (x − μ) / √(σ² + eps)
 * (biased variance), then scaled by γ and shifted by β per channel.
 */
export function groupNorm(x: Tensor, numGroups: number, options: GroupNormOptions = {}, op = "groupNorm"): Tensor {
  checkFloat(op, "input", x);
  checkOptions(op, options, GROUP_NORM_SPEC);
  const eps = options.eps ?? 1e-5;
  checkNonNegative(op, "eps", eps);
  if (!Number.isInteger(numGroups) || numGroups < 1) throw new ValueError(`${op}: numGroups must be a positive integer, got ${numGroups}`);
  if (x.ndim < 2) throw new ShapeError(`${op}: expected input with at least 2 dims [N, C, ...], got ${fmtShape(x.shape)}`);
  const [n, c] = x.shape;
  if (c % numGroups !== 0) throw new ShapeError(`${op}: expected the channels of input ${fmtShape(x.shape)} (${c}) to be divisible by numGroups ${numGroups}`);
  for (const [name, t] of [["weight", options.weight], ["bias", options.bias]] as const) {
    if (t === null || t === undefined) continue;
    checkFloat(op, name, t);
    if (t.ndim !== 1 || t.shape[0] !== c) throw new ShapeError(`${op}: ${name} must have shape [${c}], got ${fmtShape(t.shape)}`);
  }
  const grouped = x.reshape([n, numGroups, -1]);
  const centered = grouped.sub(grouped.mean(2, true));
  const variance = centered.square().mean(2, true);
  let y = centered.mul(variance.add(eps).rsqrt()).reshape(x.shape);
  const channelShape = x.shape.map((s, i) => (i === 1 ? c : 1)).slice(1);
  if (options.weight) y = y.mul(options.weight.reshape(channelShape));
  if (options.bias) y = y.add(options.bias.reshape(channelShape));
  return y;
}
