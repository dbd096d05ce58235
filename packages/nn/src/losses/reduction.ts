/** The `reduction` option every loss takes. */

import { Tensor, ValueError } from "@tensorgrad/autograd";

/** How a loss combines its per-element values: their mean (default), their sum, or none. */
export type Reduction = "mean" | "sum" | "none";

/** Options every loss takes. */
export interface ReductionOptions {
  /** "mean" (default), "sum" or "none". */
  readonly reduction?: Reduction;
}

/** Throws unless `reduction` is "mean", "sum" or "none"; returns it. */
export function checkReduction(op: string, reduction: unknown): Reduction {
  if (reduction === "mean" || reduction === "sum" || reduction === "none") return reduction;
  throw new ValueError(`${op}: reduction must be "mean", "sum" or "none", got "${String(reduction)}"`);
}

/** mean(ℓ), Σℓ or ℓ itself. */
export function reduce(loss: Tensor, reduction: Reduction): Tensor {
  switch (reduction) {
    case "mean":
      return loss.mean();
    case "sum":
      return loss.sum();
    case "none":
      return loss;
    default:
      return reduction satisfies never;
  }
}
