/** Binary classification losses: binaryCrossEntropy (on probabilities) and its stable logits form. */

import { ShapeError, Tensor, binaryCrossEntropy as bceFused, broadcastShapes } from "@tensorgrad/autograd";
import { checkFloat, checkSameShape, fmtShape } from "../functional/checks.js";
import { checkOptions, type OptionSpec, type SpecFor } from "../options.js";
import { REDUCTION_SPEC, reduce, type Reduction, type ReductionOptions } from "./reduction.js";

/** Options of binaryCrossEntropy. */
export interface BCEOptions extends ReductionOptions {
  /** Rescales each element's loss; broadcast to the input's shape. */
  readonly weight?: Tensor | null;
}

/** What BCEOptions may hold. */
export const BCE_SPEC = { ...REDUCTION_SPEC, weight: ["tensor", "null"] } as const satisfies SpecFor<BCEOptions>;

/** Options of binaryCrossEntropyWithLogits. */
export interface BCEWithLogitsOptions extends BCEOptions {
  /** Weight of the positive term, broadcast along the last (class) dim, e.g. #neg/#pos per class. */
  readonly posWeight?: Tensor | null;
}

/** What BCEWithLogitsOptions may hold. */
export const BCE_WITH_LOGITS_SPEC = { ...BCE_SPEC, posWeight: ["tensor", "null"] } as const satisfies SpecFor<BCEWithLogitsOptions>;

function checkBroadcastsTo(op: string, name: string, t: Tensor | null | undefined, shape: readonly number[]): void {
  if (t === null || t === undefined) return;
  checkFloat(op, name, t);
  const out = broadcastShapes(op, t.shape, shape);
  if (out.length !== shape.length || out.some((s, i) => s !== shape[i])) {
    throw new ShapeError(`${op}: ${name} of shape ${fmtShape(t.shape)} does not broadcast to the input shape ${fmtShape(shape)}`);
  }
}

/** The checks both binary cross entropies make; returns the validated reduction. */
function checkBinaryArgs(op: string, input: Tensor, target: Tensor, options: BCEOptions, spec: OptionSpec): Reduction {
  checkOptions(op, options, spec);
  const reduction = options.reduction ?? "mean";
  checkFloat(op, "input", input);
  checkFloat(op, "target", target);
  checkSameShape(op, input, target);
  checkBroadcastsTo(op, "weight", options.weight, input.shape);
  return reduction;
}

/**
 * Binary cross entropy on probabilities p ∈ [0, 1]: ℓᵢ = −wᵢ·(yᵢ·log pᵢ + (1 − yᵢ)·log(1 − pᵢ)),
 * each log clamped at −100 as in PyTorch. Input and target outside [0, 1] (or NaN) are a
 * ValueError. Prefer binaryCrossEntropyWithLogits on raw scores.
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: BCEOptions = {}): Tensor {
  const reduction = checkBinaryArgs("binaryCrossEntropy", input, target, options, BCE_SPEC);
  // One fused primitive (autograd's binaryCrossEntropy: one kernel pass, PyTorch's backward),
  // which also refuses input or target outside [0, 1] in that pass (no read back per step).
  const loss = bceFused(input, target.to(input.dtype));
  return reduce(options.weight ? loss.mul(options.weight) : loss, reduction);
}

/**
 * Binary cross entropy on logits x, fused and stable for any |x|:
 * ℓᵢ = wᵢ·((1 − yᵢ)·xᵢ + L·(log(1 + e^{−|xᵢ|}) + max(−xᵢ, 0))) with L = 1 + (posWeight − 1)·yᵢ;
 * without posWeight this is max(x, 0) − x·y + log(1 + e^{−|x|}).
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: BCEWithLogitsOptions = {}): Tensor {
  const op = "binaryCrossEntropyWithLogits";
  const reduction = checkBinaryArgs(op, input, target, options, BCE_WITH_LOGITS_SPEC);
  checkBroadcastsTo(op, "posWeight", options.posWeight, input.shape);
  // log(1 + e^{−x}) = log(1 + e^{−|x|}) + max(−x, 0). `maximum` splits the gradient at x = 0, so
  // the total there is σ(0) − y exactly.
  const softTerm = input.abs().neg().exp().log1p().add(input.neg().maximum(0));
  const logWeight = options.posWeight ? options.posWeight.sub(1).mul(target).add(1) : null;
  let loss = target.rsub(1).mul(input).add(logWeight ? logWeight.mul(softTerm) : softTerm);
  if (options.weight) loss = loss.mul(options.weight);
  return reduce(loss, reduction);
}

/** Short name of binaryCrossEntropyWithLogits. */
export const bceWithLogits = binaryCrossEntropyWithLogits;
