/**
 * Multi-class losses: nllLoss on log-probabilities and crossEntropy on logits.
 *
 * Class-index targets are checked without a host read on a GPU backend (checkClassIndices): a
 * target outside [0, C) other than ignoreIndex raises the device's error flag, and the next read
 * from the device throws an IndexError naming the loss. The number of ignored targets is then a
 * tensor (Σ target ≠ ignoreIndex), so the "mean" divides by a device scalar.
 */

import { DTypeError, ShapeError, Tensor, ValueError, checkClassIndices, softmaxCrossEntropy, where } from "@tensorgrad/autograd";
import { checkFloat, checkProbability, checkTensor, fmtShape } from "../functional/checks.js";
import { checkOptions, type SpecFor } from "../options.js";
import { REDUCTION_SPEC, type Reduction, type ReductionOptions } from "./reduction.js";

/** Options of nllLoss. */
export interface NLLLossOptions extends ReductionOptions {
  /** Per-class weights, shape [C]. */
  readonly weight?: Tensor | null;
  /** Targets equal to this index contribute nothing and are left out of the mean (default −100). */
  readonly ignoreIndex?: number;
}

/** What NLLLossOptions may hold. */
export const NLL_LOSS_SPEC = { ...REDUCTION_SPEC, weight: ["tensor", "null"], ignoreIndex: "number" } as const satisfies SpecFor<NLLLossOptions>;

/** Options of crossEntropy. */
export interface CrossEntropyOptions extends NLLLossOptions {
  /** ε ∈ [0, 1]: the target becomes (1 − ε)·target + ε/C (default 0). */
  readonly labelSmoothing?: number;
}

/** What CrossEntropyOptions may hold. */
export const CROSS_ENTROPY_SPEC = { ...NLL_LOSS_SPEC, labelSmoothing: "number" } as const satisfies SpecFor<CrossEntropyOptions>;

interface Batched {
  /** Log-probabilities (or logits) [N, C, d…]. */
  readonly input: Tensor;
  /** Targets [N, d…] (indices) or [N, C, d…] (probabilities). */
  readonly target: Tensor;
  /** Whether the input had no batch dim (its "none" result is squeezed back). */
  readonly unbatched: boolean;
}

/** Validates input/target/weight and gives them a batch dim. */
function prepare(op: string, input: Tensor, target: Tensor, weight: Tensor | null | undefined): Batched {
  checkFloat(op, "input", input);
  checkTensor(op, "target", target);
  if (input.ndim === 0) throw new ShapeError(`${op}: input must have a class dim, got a 0-d tensor`);
  const unbatched = input.ndim === 1;
  const x = unbatched ? input.unsqueeze(0) : input;
  const c = x.shape[1];
  if (weight !== null && weight !== undefined) {
    checkFloat(op, "weight", weight);
    if (weight.ndim !== 1 || weight.shape[0] !== c) {
      throw new ShapeError(`${op}: weight must have shape [${c}] (one per class), got ${fmtShape(weight.shape)}`);
    }
  }
  if (target.dtype === "bool") throw new DTypeError(`${op}: target must be int32 class indices or float class probabilities, got bool`);
  if (target.isFloatingPoint()) {
    if (target.ndim !== input.ndim || target.shape.some((s, i) => s !== input.shape[i])) {
      throw new ShapeError(`${op}: probability target must have the input's shape ${fmtShape(input.shape)}, got ${fmtShape(target.shape)}`);
    }
    return { input: x, target: unbatched ? target.unsqueeze(0) : target, unbatched };
  }
  const expected = unbatched ? [] : [x.shape[0], ...x.shape.slice(2)];
  const t = unbatched ? target.unsqueeze(0) : target;
  const matches = target.ndim === expected.length && target.shape.every((s, i) => s === expected[i]);
  if (!matches) {
    if (!unbatched && target.ndim >= 1 && target.shape[0] !== x.shape[0]) {
      throw new ShapeError(`${op}: target has shape ${fmtShape(target.shape)} but input has batch size ${x.shape[0]}`);
    }
    const hint = target.ndim === input.ndim ? " (class probabilities must be a float tensor)" : "";
    throw new ShapeError(`${op}: expected int32 target of shape ${fmtShape(expected)} for input ${fmtShape(input.shape)}, got ${fmtShape(target.shape)}${hint}`);
  }
  return { input: x, target: t, unbatched };
}

/** The pieces of a class-index loss: per-element −log p[target], validity mask and weights. */
interface Picked {
  /** −wᵢ·logp[i, tᵢ] (0 at ignored positions), shape [N, d…]. */
  readonly losses: Tensor;
  /** wᵢ = weight[tᵢ] (or 1), 0 at ignored positions; null when all are 1. */
  readonly weights: Tensor | null;
  /** Positions whose target is not ignoreIndex; null when none is ignored (known on the host only). */
  readonly keep: Tensor | null;
  /** Number of positions not ignored: a number on the host, a 0-d tensor on a GPU backend. */
  readonly count: number | Tensor;
}

/**
 * The targets checked (see the file's header) with ignored ones pointed at class 0 so gathers
 * stay in range: the mask of kept positions (null when the host counted no ignored target) and
 * the count of kept positions (a tensor on a GPU backend).
 */
function keptTargets(op: string, target: Tensor, c: number, ignoreIndex: number): { safe: Tensor; keep: Tensor | null; count: number | Tensor } {
  const ignored = checkClassIndices(op, target, c, ignoreIndex);
  if (ignored === 0) return { safe: target, keep: null, count: target.numel() };
  const keep = target.ne(ignoreIndex);
  return { safe: where(keep, target, 0), keep, count: ignored === null ? keep.sum() : target.numel() - ignored };
}

function pick(op: string, logp: Tensor, target: Tensor, weight: Tensor | null, ignoreIndex: number): Picked {
  const { safe, keep, count } = keptTargets(op, target, logp.shape[1], ignoreIndex);
  const nll = logp.gather(1, safe.unsqueeze(1)).squeeze(1).neg();
  let weights: Tensor | null = weight ? weight.indexSelect(0, safe.reshape([-1])).reshape(safe.shape) : null;
  if (keep) weights = weights ? where(keep, weights, 0) : keep.to(logp.dtype);
  const weighted = weight && weights ? nll.mul(weights) : nll;
  const losses = keep ? where(keep, weighted, 0) : weighted;
  return { losses, weights, keep, count };
}

/** Reduces per-element class-index losses: the mean is Σ losses / Σ weights over non-ignored targets. */
function reduceWeighted(losses: Tensor, picked: Picked, reduction: Reduction): Tensor {
  if (reduction === "none") return losses;
  if (reduction === "sum") return losses.sum();
  return picked.weights ? losses.sum().div(picked.weights.sum()) : losses.sum().div(picked.count);
}

function finish(result: Tensor, batched: Batched, reduction: Reduction): Tensor {
  return reduction === "none" && batched.unbatched ? result.squeeze(0) : result;
}

/**
 * Negative log likelihood of int32 class indices under log-probabilities [N, C, d…] (or [C]):
 * ℓᵢ = −w[tᵢ]·input[i, tᵢ]; "mean" divides Σℓ by Σ w[tᵢ] over targets other than ignoreIndex.
 */
export function nllLoss(input: Tensor, target: Tensor, options: NLLLossOptions = {}): Tensor {
  const op = "nllLoss";
  checkOptions(op, options, NLL_LOSS_SPEC);
  const reduction = options.reduction ?? "mean";
  const batched = prepare(op, input, target, options.weight);
  if (batched.target.isFloatingPoint()) throw new DTypeError(`${op}: target must be int32 class indices, got ${target.dtype}`);
  const picked = pick(op, batched.input, batched.target, options.weight ?? null, options.ignoreIndex ?? -100);
  return finish(reduceWeighted(picked.losses, picked, reduction), batched, reduction);
}

/**
 * Cross entropy of logits [N, C, d…] (or [C]) against int32 class indices or float class
 * probabilities, fused with a stable log-softmax so logits of any size give finite values and
 * gradients. Indices: ℓᵢ = −w[tᵢ]·log softmax(xᵢ)[tᵢ], mean over Σ w[tᵢ] of non-ignored targets;
 * with label smoothing ε: (1 − ε)·ℓᵢ + (ε/C)·Σ_c −w_c·log softmax(xᵢ)_c, as PyTorch.
 * Probabilities: ℓᵢ = −Σ_c w_c·y_ic·log softmax(xᵢ)_c, mean over the N·d… positions.
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const op = "crossEntropy";
  checkOptions(op, options, CROSS_ENTROPY_SPEC);
  const reduction = options.reduction ?? "mean";
  const epsilon = options.labelSmoothing ?? 0;
  checkProbability(op, "labelSmoothing", epsilon);
  const ignoreIndex = options.ignoreIndex ?? -100;
  const weight = options.weight ?? null;
  const batched = prepare(op, input, target, weight);
  const x = batched.input;
  const c = x.shape[1];
  if (x.ndim === 2 && weight === null && epsilon === 0 && !batched.target.isFloatingPoint()) {
    const { safe, keep, count } = keptTargets(op, batched.target, c, ignoreIndex);
    // the common case as one fused primitive: no [N, C] log-probabilities kept, one-kernel backward
    const fused = softmaxCrossEntropy(x, safe);
    const losses = keep ? where(keep, fused, 0) : fused;
    const result = reduction === "none" ? losses : reduction === "sum" ? losses.sum() : losses.sum().div(count);
    return finish(result, batched, reduction);
  }
  const logp = x.logSoftmax(1);
  const classShape = x.shape.map((s, i) => (i === 1 ? c : 1));
  const weightedLogp = weight ? logp.mul(weight.reshape(classShape)) : logp;

  if (batched.target.isFloatingPoint()) {
    if (ignoreIndex >= 0) throw new ValueError(`${op}: ignoreIndex is not supported for probability targets (got ${ignoreIndex})`);
    const y = epsilon > 0 ? batched.target.mul(1 - epsilon).add(epsilon / c) : batched.target;
    const losses = weightedLogp.mul(y).sum(1).neg();
    const result = reduction === "none" ? losses : reduction === "sum" ? losses.sum() : losses.sum().div(x.numel() / c);
    return finish(result, batched, reduction);
  }

  const picked = pick(op, logp, batched.target, weight, ignoreIndex);
  const nll = reduceWeighted(picked.losses, picked, reduction);
  if (epsilon === 0) return finish(nll, batched, reduction);
  let smooth = weightedLogp.sum(1).neg();
  if (picked.keep) smooth = where(picked.keep, smooth, 0);
  const smoothReduced = reduceWeighted(smooth, picked, reduction);
  return finish(nll.mul(1 - epsilon).add(smoothReduced.mul(epsilon / c)), batched, reduction);
}
