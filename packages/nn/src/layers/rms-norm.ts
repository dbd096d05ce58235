/** RMSNorm (PyTorch 2.4's nn.RMSNorm). */

import { Tensor, ones } from "@tensorgrad/autograd";
import { checkInt, checkNonNegative } from "../functional/checks.js";
import { rmsNorm } from "../functional/rms-norm.js";
import { ones_ } from "../init.js";
import { Module } from "../module.js";
import { checkOptions, type SpecFor } from "../options.js";
import { Parameter } from "../parameter.js";
import { DTYPE_SPEC, type DTypeOptions } from "./linear.js";
import { pyBool, pyFloat, pyTuple } from "./repr.js";

/** Options of RMSNorm. */
export interface RMSNormOptions extends DTypeOptions {
  /** Added to the mean square; null (default): the input dtype's machine epsilon, as PyTorch. */
  readonly eps?: number | null;
  /** Learn γ (ones) of shape normalizedShape (default true). */
  readonly elementwiseAffine?: boolean;
}

/** What RMSNormOptions may hold. */
const RMS_NORM_LAYER_SPEC = { eps: ["number", "null"], elementwiseAffine: "boolean", ...DTYPE_SPEC } as const satisfies SpecFor<RMSNormOptions>;

/** Root-mean-square normalization over the trailing dims normalizedShape: x / √(mean(x²) + eps) · γ. */
export class RMSNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number | null;
  readonly elementwiseAffine: boolean;
  weight: Parameter | null;

  constructor(normalizedShape: number | readonly number[], options: RMSNormOptions = {}) {
    super();
    checkOptions("RMSNorm", options, RMS_NORM_LAYER_SPEC);
    const shape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
    shape.forEach((s) => checkInt("RMSNorm", "normalizedShape", s, 1));
    this.normalizedShape = shape;
    this.eps = options.eps ?? null;
    if (this.eps !== null) checkNonNegative("RMSNorm", "eps", this.eps);
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    this.weight = this.elementwiseAffine ? new Parameter(ones(shape, { dtype: options.dtype ?? "float32" })) : null;
  }

  /** Sets γ back to ones. */
  resetParameters(): void {
    if (this.weight !== null) ones_(this.weight);
  }

  /** x / √(mean(x²) + eps) · γ over the trailing dims. */
  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.normalizedShape, { weight: this.weight, eps: this.eps }, "RMSNorm");
  }

  override extraRepr(): string {
    return `${pyTuple(this.normalizedShape)}, eps=${this.eps === null ? "None" : pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}
