/** GroupNorm (its functional form is functional/group-norm.ts). */

import { ShapeError, ValueError, ones, zeros, type Tensor } from "@tensorgrad/autograd";
import { checkInt, checkNonNegative } from "../functional/checks.js";
import { groupNorm } from "../functional/group-norm.js";
import { Module } from "../module.js";
import { checkOptions, type SpecFor } from "../options.js";
import { Parameter } from "../parameter.js";
import { DTYPE_SPEC, type DTypeOptions } from "./linear.js";
import { pyBool, pyFloat } from "./repr.js";

/** Options of GroupNorm. */
export interface GroupNormLayerOptions extends DTypeOptions {
  /** Added to the variance (default 1e-5). */
  readonly eps?: number;
  /** Learn γ (ones) and β (zeros) per channel (default true). */
  readonly affine?: boolean;
}

/** What GroupNormLayerOptions may hold. */
const GROUP_NORM_LAYER_SPEC = { eps: "number", affine: "boolean", ...DTYPE_SPEC } as const satisfies SpecFor<GroupNormLayerOptions>;

/** Normalizes each of numGroups channel groups of every sample of [N, C, ...] inputs, then γ·x̂ + β per channel. */
export class GroupNorm extends Module {
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly affine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(numGroups: number, numChannels: number, options: GroupNormLayerOptions = {}) {
    super();
    checkOptions("GroupNorm", options, GROUP_NORM_LAYER_SPEC);
    checkInt("GroupNorm", "numGroups", numGroups, 1);
    checkInt("GroupNorm", "numChannels", numChannels, 1);
    if (numChannels % numGroups !== 0) throw new ValueError(`GroupNorm: numChannels must be divisible by numGroups (${numChannels} % ${numGroups} != 0)`);
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = options.eps ?? 1e-5;
    checkNonNegative("GroupNorm", "eps", this.eps);
    this.affine = options.affine ?? true;
    const dtype = options.dtype ?? "float32";
    this.weight = this.affine ? new Parameter(ones([numChannels], { dtype })) : null;
    this.bias = this.affine ? new Parameter(zeros([numChannels], { dtype })) : null;
  }

  /** x [N, numChannels, ...] → normalized, same shape. */
  forward(x: Tensor): Tensor {
    if (x.ndim >= 2 && x.shape[1] !== this.numChannels) {
      throw new ShapeError(`GroupNorm: expected input with ${this.numChannels} channels at dim 1, got [${x.shape.join(",")}]`);
    }
    return groupNorm(x, this.numGroups, { weight: this.weight, bias: this.bias, eps: this.eps }, "GroupNorm");
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${pyBool(this.affine)}`;
  }
}
