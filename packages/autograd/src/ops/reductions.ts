/** Reductions built from primitives: mean, var, std, logsumexp, max/min with indices. */

import { ValueError } from "../errors.js";
import { checkFlag, checkOptionKeys, normalizeDim, optionKeys, reducedShape, reductionDims } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { amax, argExtremum } from "./extremum.js";
import { requireFloat } from "./sum.js";
import { varOp } from "./variance.js";
import { where } from "./where.js";

/** Options of var/std. */
export interface VarOptions {
  /** Subtracted from the count in the denominator: 1 (default) is Bessel's correction, 0 the population variance. */
  readonly correction?: number;
  readonly keepdim?: boolean;
}

const VAR_OPTIONS = optionKeys<VarOptions>({ correction: 0, keepdim: 0 });

function countOf(x: Tensor, dims: readonly number[]): number {
  return dims.reduce((n, d) => n * x.shape[d], 1);
}

/** Σx / n over `dims` (all when omitted). */
export function mean(x: Tensor, dims?: number | readonly number[], keepdim = false): Tensor {
  requireFloat("mean", x);
  const d = reductionDims("mean", dims, x.ndim, keepdim);
  return x.sum(d, keepdim).div(countOf(x, d));
}

/** Σ(x − mean)² / (n − correction) over `dims`; `op` names errors (std calls it too). */
export function variance(x: Tensor, dims?: number | readonly number[], options: VarOptions = {}, op = "var"): Tensor {
  requireFloat(op, x);
  // PyTorch 1.13's `unbiased` is `correction` here: a misspelt or old key is refused, not ignored.
  checkOptionKeys(op, options, VAR_OPTIONS);
  const { correction = 1, keepdim = false } = options;
  if (typeof correction !== "number" || !Number.isFinite(correction)) {
    throw new ValueError(`${op}: correction must be a finite number (1 for the sample variance, 0 for the population's), got ${typeof correction === "number" ? correction : JSON.stringify(correction)}`);
  }
  return varOp([x], { dims: reductionDims(op, dims, x.ndim, keepdim), keepdim, correction });
}

/**
 * √var over `dims`. Where the variance is exactly 0 (all elements equal) the gradient is 0, not
 * 0/0 = NaN, as in PyTorch: the square root is fed a constant 0 there, so its infinite slope
 * never reaches x.
 */
export function std(x: Tensor, dims?: number | readonly number[], options: VarOptions = {}): Tensor {
  const v = variance(x, dims, options, "std");
  return where(v.eq(0), 0, v).sqrt();
}

/** log Σ eˣ over `dims`, with the max taken out first so it neither overflows nor underflows. */
export function logsumexp(x: Tensor, dims?: number | readonly number[], keepdim = false): Tensor {
  requireFloat("logsumexp", x);
  const d = reductionDims("logsumexp", dims, x.ndim, keepdim);
  // Over an empty dim the sum of exps is 0 and the result −inf (as PyTorch): no max to shift by.
  if (countOf(x, d) === 0) return x.exp().sum(d, keepdim).log();
  // The shift m is a constant for autograd: its gradient contributions cancel exactly.
  const m = amax(x, d, true).detach();
  const shift = where(m.isfinite(), m, 0); // all -inf (or inf) lanes: shift by 0
  const out = x.sub(shift).exp().sum(d, true).log().add(shift);
  return keepdim ? out : out.reshape(reducedShape(x.shape, d, false));
}

/** Values and int32 indices of the max/min along a dim, as PyTorch's max(dim) returns them. */
export interface ValuesIndices {
  readonly values: Tensor;
  readonly indices: Tensor;
}

/** max/min along `dim`: the gradient flows to the element each index points at. */
export function extremumAlong(op: "max" | "min", x: Tensor, dim: number, keepdim = false): ValuesIndices {
  checkFlag(op, "keepdim", keepdim);
  const d = normalizeDim(op, dim, x.ndim);
  const indices = argExtremum(op === "max" ? "argmax" : "argmin", x, d, true, op);
  const values = x.gather(d, indices);
  return keepdim ? { values, indices } : { values: values.squeeze(d), indices: indices.squeeze(d) };
}
