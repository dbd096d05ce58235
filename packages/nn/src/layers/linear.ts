/** Linear, Identity and Flatten layers. */

import { Generator, Tensor, zeros, type DType } from "@tensorgrad/autograd";
import { checkInt } from "../functional/checks.js";
import { linear } from "../functional/linear.js";
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from "../init.js";
import { Module } from "../module.js";
import { checkOptions, oneOf, type SpecFor } from "../options.js";
import { Parameter } from "../parameter.js";
import { pyBool } from "./repr.js";

/** The dtype option every layer takes (float32 by default). */
export interface DTypeOptions {
  readonly dtype?: DType;
}

/** What DTypeOptions may hold: a layer's parameters are float32 or float64 (the init functions need floats). */
export const DTYPE_SPEC = { dtype: oneOf("float32", "float64") } as const satisfies SpecFor<DTypeOptions>;

/** Options of Linear. */
export interface LinearOptions extends DTypeOptions {
  /** Learn an additive bias (default true). */
  readonly bias?: boolean;
  /** Random source of the initial weights (the default generator when omitted). */
  readonly generator?: Generator;
}

/** What LinearOptions may hold. */
const LINEAR_SPEC = { bias: "boolean", generator: "generator", ...DTYPE_SPEC } as const satisfies SpecFor<LinearOptions>;

/**
 * y = x·Wᵀ + b, with weight W [outFeatures, inFeatures] (PyTorch's layout) and bias b
 * [outFeatures]. Both start as U(−1/√in, 1/√in), PyTorch's default (kaiming uniform with a = √5).
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    checkOptions("Linear", options, LINEAR_SPEC);
    checkInt("Linear", "inFeatures", inFeatures);
    checkInt("Linear", "outFeatures", outFeatures);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const dtype = options.dtype ?? "float32";
    this.weight = new Parameter(zeros([outFeatures, inFeatures], { dtype }));
    this.bias = options.bias ?? true ? new Parameter(zeros([outFeatures], { dtype })) : null;
    this.resetParameters(options.generator);
  }

  /** Redraws weight and bias from PyTorch's default distribution U(−1/√in, 1/√in). */
  resetParameters(generator?: Generator): void {
    resetWeightAndBias(this.weight, this.bias, generator);
  }

  /** x [..., in] → x·Wᵀ + b [..., out]. */
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias, "Linear");
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}

/** Returns its input unchanged (a placeholder, e.g. to switch a layer off). */
export class Identity extends Module {
  /** x ↦ x */
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Merges dims startDim..endDim into one (default: all but the batch dim). */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;

  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = startDim;
    this.endDim = endDim;
  }

  /** x.flatten(startDim, endDim) */
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/**
 * @internal PyTorch's default init of Linear and the conv layers (they share it): weight ~
 * kaiming_uniform(a = √5), which is U(±1/√fanIn), and bias ~ U(±1/√fanIn).
 */
export function resetWeightAndBias(weight: Tensor, bias: Tensor | null, generator?: Generator): void {
  kaimingUniform_(weight, { a: Math.sqrt(5), generator });
  if (bias !== null) {
    const { fanIn } = calculateFanInAndFanOut(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound, { generator });
  }
}
