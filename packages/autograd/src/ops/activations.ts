/** Activation functions and small math built from primitives (no vjp of their own). */

import { isGradEnabled } from "../engine/grad-mode.js";
import { ValueError, fmtValue } from "../errors.js";
import { checkNumber } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { binary } from "./binary.js";
import { where } from "./where.js";

export { gelu } from "./gelu.js";

/** 1/x. */
export const reciprocal = (x: Tensor): Tensor => binary("div", 1, x);

/** x². */
export const square = (x: Tensor): Tensor => x.mul(x);

/** 1/√x. */
export const rsqrt = (x: Tensor): Tensor => x.sqrt().reciprocal();

/** x for x > 0, slope·x otherwise. */
export const leakyRelu = (x: Tensor, negativeSlope = 0.01): Tensor =>
  where(x.gt(0), x, x.mul(checkNumber("leakyRelu", "negativeSlope", negativeSlope)));

/**
 * (1/β)·log(1 + e^{βx}), and x itself where βx > threshold (as PyTorch). The exp branch is fed
 * βx capped at threshold so it never overflows, which also keeps its unused gradient finite. The
 * cap is a where, not minimum(βx, threshold), whose tie at βx = threshold would halve the gradient.
 */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  checkNumber("softplus", "beta", beta);
  checkNumber("softplus", "threshold", threshold);
  const bx = x.mul(beta);
  const linear = bx.gt(threshold);
  const smooth = where(linear, threshold, bx).exp().log1p().div(beta);
  return where(linear, x, smooth);
}

/** x·σ(x), also called swish. */
export const silu = (x: Tensor): Tensor => x.mul(x.sigmoid());

/**
 * α(eˣ − 1) for x ≤ 0, x otherwise (NaN included, whose gradient passes as PyTorch's does). The
 * exp branch is fed x masked to 0 where x > 0 (not minimum(x, 0), whose tie at 0 would halve the
 * gradient there): elu'(0) = α, as PyTorch.
 */
export const elu = (x: Tensor, alpha = 1): Tensor => {
  checkNumber("elu", "alpha", alpha);
  const negative = x.le(0);
  return where(negative, where(negative, x, 0).expm1().mul(alpha), x);
};

/**
 * Limits values to [min, max] as PyTorch: min(max(x, min), max), so min > max gives max
 * everywhere, and NaN stays NaN. The gradient is PyTorch's: g where min ≤ x ≤ max, else 0 (also
 * 0 at a NaN, and everywhere when min > max).
 */
export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  if ((min !== undefined && typeof min !== "number") || (max !== undefined && typeof max !== "number")) throw new ValueError(`clamp: min and max must be numbers or undefined, got ${fmtValue(min)} and ${fmtValue(max)}`);
  if (min === undefined && max === undefined) throw new ValueError("clamp: at least one of min and max must be given");
  let limited = x.detach();
  if (min !== undefined) limited = where(limited.lt(min), min, limited);
  if (max !== undefined) limited = where(limited.gt(max), max, limited);
  if (!x.requiresGrad || !isGradEnabled()) return limited; // no gradient to route: two kernels suffice
  let inside = min === undefined ? null : x.ge(min);
  if (max !== undefined) inside = inside === null ? x.le(max) : inside.logicalAnd(x.le(max));
  // x where it is inside the range (those are the values that carry a gradient), else the limit.
  return where(inside as Tensor, x, limited);
}
