/** The `reduction` option every loss takes. */

import type { Tensor } from "@tensorgrad/autograd";
import { oneOf, type SpecFor } from "../options.js";

/** How a loss combines its per-element values: their mean (default), their sum, or none. */
export type Reduction = "mean" | "sum" | "none";

/** Options every loss takes. */
export interface ReductionOptions {
  /** "mean" (default), "sum" or "none". */
  readonly reduction?: Reduction;
}

/** What ReductionOptions may hold (checkOptions; every loss's spec starts with it). */
export const REDUCTION_SPEC = { reduction: oneOf("mean", "sum", "none") } as const satisfies SpecFor<ReductionOptions>;

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
