/** LayerNorm and BatchNorm1d. */

import { ShapeError, Tensor, noGrad, ones, tensor, zeros } from "@tensorgrad/autograd";
import { checkFloat, checkInt, checkNonNegative, fmtShape } from "../functional/checks.js";
import { batchNorm, layerNorm } from "../functional/normalization.js";
import { Module } from "../module.js";
import { checkOptions, type SpecFor } from "../options.js";
import { Parameter } from "../parameter.js";
import { DTYPE_SPEC, type DTypeOptions } from "./linear.js";
import { pyBool, pyFloat, pyTuple } from "./repr.js";

/** Options of LayerNorm. */
export interface LayerNormOptions extends DTypeOptions {
  /** Added to the variance (default 1e-5). */
  readonly eps?: number;
  /** Learn γ (ones) and β (zeros) of shape normalizedShape (default true). */
  readonly elementwiseAffine?: boolean;
  /** Learn β too (default true; only with elementwiseAffine). */
  readonly bias?: boolean;
}

/** What LayerNormOptions may hold. */
const LAYER_NORM_SPEC = { eps: "number", elementwiseAffine: "boolean", bias: "boolean", ...DTYPE_SPEC } as const satisfies SpecFor<LayerNormOptions>;

/** Normalizes over the trailing dims normalizedShape: (x − E[x]) / √(Var[x] + eps) · γ + β. */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    checkOptions("LayerNorm", options, LAYER_NORM_SPEC);
    const shape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
    shape.forEach((s) => checkInt("LayerNorm", "normalizedShape", s, 1));
    this.normalizedShape = shape;
    this.eps = options.eps ?? 1e-5;
    checkNonNegative("LayerNorm", "eps", this.eps);
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    const dtype = options.dtype ?? "float32";
    this.weight = this.elementwiseAffine ? new Parameter(ones(shape, { dtype })) : null;
    this.bias = this.elementwiseAffine && (options.bias ?? true) ? new Parameter(zeros(shape, { dtype })) : null;
  }

  /** (x − mean) / √(var + eps) · γ + β over the trailing dims. */
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps }, "LayerNorm");
  }

  override extraRepr(): string {
    return `${pyTuple(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}

/** Options of BatchNorm1d. */
export interface BatchNormOptions extends DTypeOptions {
  /** Added to the variance (default 1e-5). */
  readonly eps?: number;
  /** Weight of each new batch in the running stats (default 0.1); null: cumulative average. */
  readonly momentum?: number | null;
  /** Learn γ (ones) and β (zeros) per channel (default true). */
  readonly affine?: boolean;
  /** Keep running mean/var for eval mode (default true); without, eval uses batch stats. */
  readonly trackRunningStats?: boolean;
}

/** What BatchNormOptions may hold. */
const BATCH_NORM_SPEC = { eps: "number", momentum: ["number", "null"], affine: "boolean", trackRunningStats: "boolean", ...DTYPE_SPEC } as const satisfies SpecFor<BatchNormOptions>;

/**
 * Batch normalization over [N, C] or [N, C, L] inputs, per channel C. Training uses the batch's
 * mean and biased variance and updates runningMean/runningVar (with the unbiased variance, as
 * PyTorch); eval uses the running stats. Buffers save as running_mean, running_var and
 * num_batches_tracked, PyTorch's keys.
 */
export class BatchNorm1d extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  runningMean: Tensor | null = null;
  runningVar: Tensor | null = null;
  numBatchesTracked: Tensor | null = null;

  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super();
    const name = this.layerName;
    checkOptions(name, options, BATCH_NORM_SPEC);
    checkInt(name, "numFeatures", numFeatures, 1);
    this.numFeatures = numFeatures;
    this.eps = options.eps ?? 1e-5;
    checkNonNegative(name, "eps", this.eps);
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    if (this.momentum !== null) checkNonNegative(name, "momentum", this.momentum);
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;
    const dtype = options.dtype ?? "float32";
    this.weight = this.affine ? new Parameter(ones([numFeatures], { dtype })) : null;
    this.bias = this.affine ? new Parameter(zeros([numFeatures], { dtype })) : null;
    const track = this.trackRunningStats;
    this.registerBuffer("runningMean", track ? zeros([numFeatures], { dtype }) : null, { key: "running_mean" });
    this.registerBuffer("runningVar", track ? ones([numFeatures], { dtype }) : null, { key: "running_var" });
    this.registerBuffer("numBatchesTracked", track ? tensor(0, { dtype: "int32" }) : null, { key: "num_batches_tracked" });
  }

  /** Zeroes the running mean, sets the running var to 1 and the batch count to 0. */
  resetRunningStats(): void {
    if (this.runningMean) this.runningMean.zero_();
    if (this.runningVar) this.runningVar.fill_(1);
    if (this.numBatchesTracked) this.numBatchesTracked.zero_();
  }

  /** Normalizes each channel with batch stats (training) or running stats (eval). */
  forward(x: Tensor): Tensor {
    checkFloat(this.layerName, "input", x);
    this.checkInputDim(x);
    if (x.shape[1] !== this.numFeatures) {
      throw new ShapeError(`${this.layerName}: expected input with ${this.numFeatures} channels at dim 1, got ${fmtShape(x.shape)}`);
    }
    const counted = this.training && this.trackRunningStats ? this.numBatchesTracked : null;
    if (counted !== null && this.momentum === null && counted.backend.asyncReads) return this.cumulativeOnDevice(x, counted);
    // momentum null: a cumulative moving average, weight 1/(batches seen, this one included).
    const factor = this.momentum ?? (counted === null ? 0 : 1 / (counted.item() + 1));
    const useBatchStats = this.training || (this.runningMean === null && this.runningVar === null);
    const trackNow = !this.training || this.trackRunningStats;
    const y = batchNorm(x, trackNow ? this.runningMean : null, trackNow ? this.runningVar : null, {
      weight: this.weight,
      bias: this.bias,
      training: useBatchStats,
      momentum: factor,
      eps: this.eps,
    }, this.layerName);
    // Counted only once batchNorm has accepted the input: a refused call changes nothing.
    counted?.add_(1);
    return y;
  }

  /**
   * Training with momentum null on a GPU backend: the cumulative average's weight
   * f = 1/(batches seen, this one included) stays a device scalar (reading the count would stall
   * the step), so the running statistics are updated here, r ← (1 − f)·r + f·batch stat (the
   * unbiased variance for runningVar), and batchNorm normalizes with the batch statistics.
   */
  private cumulativeOnDevice(x: Tensor, counted: Tensor): Tensor {
    const y = batchNorm(x, null, null, { weight: this.weight, bias: this.bias, training: true, eps: this.eps }, this.layerName);
    const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
    const n = x.numel() / this.numFeatures;
    noGrad(() => {
      const f = counted.add(1).to(x.dtype).reciprocal();
      const mean = x.mean(dims, true);
      const variance = x.sub(mean).square().mean(dims).mul(n / (n - 1));
      const keep = f.neg().add(1);
      this.runningMean?.mul_(keep).add_(mean.reshape([this.numFeatures]).mul(f).to(this.runningMean.dtype));
      this.runningVar?.mul_(keep).add_(variance.mul(f).to(this.runningVar.dtype));
      counted.add_(1);
    });
    return y;
  }

  /** The name errors give (subclasses for other input ranks override it; BatchNorm2d in batch-norm-2d.ts). */
  protected get layerName(): string {
    return "BatchNorm1d";
  }

  /** Throws unless x has a rank this layer takes: [N, C] or [N, C, L]. */
  protected checkInputDim(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) throw new ShapeError(`BatchNorm1d: expected 2D or 3D input (got ${x.ndim}D input ${fmtShape(x.shape)})`);
  }

  override extraRepr(): string {
    const momentum = this.momentum === null ? "None" : pyFloat(this.momentum);
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${momentum}, affine=${pyBool(this.affine)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}
