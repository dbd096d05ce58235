/** `layerNorm` and `batchNorm` in functional form. */

import { DTypeError, ShapeError, Tensor, ValueError, layerNorm as primitiveLayerNorm, noGrad, type DType } from "@tensorgrad/autograd";
import { checkOptions, type SpecFor } from "../options.js";
import { checkFloat, checkNonNegative, fmtShape } from "./checks.js";

/** Options of `layerNorm`. */
export interface LayerNormOptions {
  /** γ, of shape normalizedShape (none: 1). */
  readonly weight?: Tensor | null;
  /** β, of shape normalizedShape (none: 0). */
  readonly bias?: Tensor | null;
  /** Added to the variance (default 1e-5). */
  readonly eps?: number;
}

/** What LayerNormOptions may hold. */
export const LAYER_NORM_SPEC = { weight: ["tensor", "null"], bias: ["tensor", "null"], eps: "number" } as const satisfies SpecFor<LayerNormOptions>;

function checkAffine(op: string, name: string, t: Tensor | null | undefined, shape: readonly number[], dtype: DType): void {
  if (t === null || t === undefined) return;
  checkFloat(op, name, t);
  if (t.dtype !== dtype) throw new DTypeError(`${op}: ${name} has dtype ${t.dtype} but the input has dtype ${dtype}`);
  if (t.ndim !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
    throw new ShapeError(`${op}: ${name} must have shape ${fmtShape(shape)}, got ${fmtShape(t.shape)}`);
  }
}

/**
 * y = (x − E[x]) / √(Var[x] + eps) · γ + β over the trailing dims `normalizedShape`, with the
 * biased variance (as PyTorch).
 */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], options: LayerNormOptions = {}, op = "layerNorm"): Tensor {
  checkFloat(op, "input", x);
  checkOptions(op, options, LAYER_NORM_SPEC);
  const shape = typeof normalizedShape === "number" ? [normalizedShape] : normalizedShape;
  const eps = options.eps ?? 1e-5;
  checkNonNegative(op, "eps", eps);
  const k = shape.length;
  const tail = x.shape.slice(x.ndim - k);
  if (k === 0 || x.ndim < k || tail.some((s, i) => s !== shape[i])) {
    throw new ShapeError(`${op}: expected input with trailing shape ${fmtShape(shape)}, got ${fmtShape(x.shape)}`);
  }
  checkAffine(op, "weight", options.weight, shape, x.dtype);
  checkAffine(op, "bias", options.bias, shape, x.dtype);
  return primitiveLayerNorm(x, k, options.weight ?? null, options.bias ?? null, eps); // one fused primitive
}

/** Options of `batchNorm`. */
export interface BatchNormOptions {
  /** γ per channel (none: 1). */
  readonly weight?: Tensor | null;
  /** β per channel (none: 0). */
  readonly bias?: Tensor | null;
  /** Use the batch's statistics (and update the running ones if given); default false. */
  readonly training?: boolean;
  /** Weight of the new batch in the running averages (default 0.1). */
  readonly momentum?: number;
  /** Added to the variance (default 1e-5). */
  readonly eps?: number;
}

/** What BatchNormOptions may hold. */
export const BATCH_NORM_SPEC = { ...LAYER_NORM_SPEC, training: "boolean", momentum: "number" } as const satisfies SpecFor<BatchNormOptions>;

/**
 * Normalizes each channel (dim 1) of x [N, C, …]: y = (x − μ) / √(σ² + eps) · γ + β. In training,
 * μ and σ² are the batch mean and biased variance, and the running stats (when given) are updated
 * in place: r ← (1 − momentum)·r + momentum·batch stat, with the UNBIASED variance for runningVar
 * (as PyTorch). Otherwise the running stats are used.
 */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, options: BatchNormOptions = {}, op = "batchNorm"): Tensor {
  checkFloat(op, "input", x);
  checkOptions(op, options, BATCH_NORM_SPEC);
  const { training = false, momentum = 0.1, eps = 1e-5 } = options;
  checkNonNegative(op, "eps", eps);
  checkNonNegative(op, "momentum", momentum);
  if (x.ndim < 2) throw new ShapeError(`${op}: expected input with at least 2 dims [N, C, ...], got ${fmtShape(x.shape)}`);
  const c = x.shape[1];
  for (const [name, t] of [["runningMean", runningMean], ["runningVar", runningVar], ["weight", options.weight], ["bias", options.bias]] as const) {
    checkAffine(op, name, t, [c], x.dtype);
  }
  const channelShape = x.shape.map((s, i) => (i === 1 ? c : 1));
  const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
  let mean: Tensor;
  let variance: Tensor;
  if (training) {
    const n = x.numel() / c;
    if (n <= 1) throw new ValueError(`${op}: expected more than 1 value per channel when training, got input size ${fmtShape(x.shape)}`);
    mean = x.mean(dims, true);
    variance = x.sub(mean).square().mean(dims, true);
    const batchMean = mean;
    const batchVar = variance;
    noGrad(() => {
      if (runningMean) runningMean.mul_(1 - momentum).add_(batchMean.detach().reshape([c]).mul(momentum).to(runningMean.dtype));
      if (runningVar) runningVar.mul_(1 - momentum).add_(batchVar.detach().reshape([c]).mul((momentum * n) / (n - 1)).to(runningVar.dtype));
    });
  } else {
    if (!runningMean || !runningVar) throw new ValueError(`${op}: running stats are required when not training`);
    mean = runningMean.reshape(channelShape);
    variance = runningVar.reshape(channelShape);
  }
  let y = x.sub(mean).mul(variance.add(eps).rsqrt());
  if (options.weight) y = y.mul(options.weight.reshape(channelShape));
  if (options.bias) y = y.add(options.bias.reshape(channelShape));
  return y;
}
