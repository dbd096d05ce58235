/**
 * Sampling that depends on a tensor: multinomial draws, and random tensors shaped like another
 * (randLike, randnLike, randintLike) on that tensor's backend. Random numbers come from our
 * seeded Generator (random.ts), on the host.
 */

import { checkDType, isFloating, type DType } from "./dtype.js";
import { DTypeError, ShapeError, ValueError, fmtShape } from "./errors.js";
import { checkIntegerRange, checkOptions, FLOAT32_BELOW_ONE } from "./creation.js";
import { generatorOf, normalValues, uniformValues, type Generator } from "./random.js";
import { checkTensor } from "./validate.js";
import { contiguousStrides, numelOf } from "./shape.js";
import { Tensor } from "./tensor.js";

/** The options of the …Like samplers: the result lives on `like`'s device, so no `device`. */
const LIKE_OPTIONS: readonly string[] = ["dtype", "requiresGrad", "generator"];

/** Options of the sampling functions. */
export interface SampleOptions {
  /** Source of randomness; the default generator (see manualSeed) when omitted. */
  readonly generator?: Generator;
}

/** Options of randLike/randnLike/randintLike. */
export interface RandomLikeOptions extends SampleOptions {
  /** Element type; the input's when omitted. */
  readonly dtype?: DType;
  /** Make the new tensor a leaf that records gradients (float dtypes only). */
  readonly requiresGrad?: boolean;
}


function onBackendOf(like: Tensor, values: ArrayLike<number>, shape: readonly number[], dtype: DType, requiresGrad = false): Tensor {
  const t = new Tensor(like.backend, like.backend.fromValues(dtype, values), shape, contiguousStrides(shape), 0, dtype);
  if (requiresGrad) t.requiresGrad = true;
  return t;
}

/**
 * `numSamples` category indices (int32; PyTorch gives int64) drawn from each row of `probs`
 * (1-d or 2-d, non-negative weights, not necessarily normalized). With replacement every draw
 * is independent; without, no index repeats within a row, and each draw is proportional to the
 * weights of the categories not drawn yet.
 */
export function multinomial(probs: Tensor, numSamples: number, replacement = false, options: SampleOptions = {}): Tensor {
  checkOptions("multinomial", options, ["generator"]);
  if (!isFloating(probs.dtype)) throw new DTypeError(`multinomial: probabilities must be float32 or float64, got ${probs.dtype}`);
  if (probs.ndim !== 1 && probs.ndim !== 2) throw new ShapeError(`multinomial: probabilities must be 1-d or 2-d, got ${fmtShape(probs.shape)}`);
  if (typeof replacement !== "boolean") throw new ValueError(`multinomial: replacement must be a boolean, got ${JSON.stringify(replacement)}`);
  const categories = probs.shape[probs.ndim - 1];
  if (!Number.isInteger(numSamples) || numSamples <= 0) throw new ValueError(`multinomial: numSamples must be a positive integer, got ${numSamples}`);
  if (!replacement && numSamples > categories) {
    throw new ValueError(`multinomial: cannot draw ${numSamples} samples from ${categories} categories without replacement`);
  }
  const rows = probs.ndim === 1 ? 1 : probs.shape[0];
  const p = probs.toTypedArray();
  for (let i = 0; i < p.length; i++) {
    if (!(p[i] >= 0) || p[i] === Infinity) {
      const at = probs.ndim === 1 ? `[${i}]` : `[${Math.floor(i / categories)}, ${i % categories}]`;
      throw new ValueError(`multinomial: probabilities must be finite and non-negative, got ${p[i]} at ${at}`);
    }
  }
  const g = generatorOf("multinomial", options.generator);
  const out = new Int32Array(rows * numSamples);
  for (let r = 0; r < rows; r++) {
    const row = p.subarray(r * categories, (r + 1) * categories);
    let total = 0;
    let nonzero = 0;
    for (let i = 0; i < categories; i++) {
      total += row[i];
      if (row[i] > 0) nonzero++;
    }
    if (!(total > 0)) throw new ValueError(`multinomial: row ${r} has no positive probability (sum ${total})`);
    if (!replacement && nonzero < numSamples) {
      throw new ValueError(`multinomial: row ${r} has ${nonzero} categories of nonzero probability, fewer than the ${numSamples} samples asked for without replacement`);
    }
    if (replacement) drawWithReplacement(g, row, total, out.subarray(r * numSamples, (r + 1) * numSamples));
    else drawWithoutReplacement(g, row, out.subarray(r * numSamples, (r + 1) * numSamples));
  }
  return onBackendOf(probs, out, probs.ndim === 1 ? [numSamples] : [rows, numSamples], "int32");
}

/** Independent draws: the first category whose cumulative weight exceeds u·total. */
function drawWithReplacement(g: Generator, weights: ArrayLike<number>, total: number, out: Int32Array): void {
  const n = weights.length;
  const cdf = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) cdf[i] = acc += weights[i];
  for (let s = 0; s < out.length; s++) {
    const u = g.uniform() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    out[s] = lo;
  }
}

/**
 * Draws without replacement as a race of exponential clocks: category i rings at −ln(u)/wᵢ, and
 * the first k to ring are, in order, a sequence of draws each proportional to the remaining weights.
 */
function drawWithoutReplacement(g: Generator, weights: ArrayLike<number>, out: Int32Array): void {
  const n = weights.length;
  const keys = new Float64Array(n);
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    keys[i] = weights[i] > 0 ? -Math.log(1 - g.uniform()) / weights[i] : Infinity;
    order.push(i);
  }
  order.sort((a, b) => keys[a] - keys[b] || a - b);
  for (let s = 0; s < out.length; s++) out[s] = order[s];
}

function likeDType(op: string, like: Tensor, options: RandomLikeOptions): DType {
  checkTensor(op, "like", like);
  checkOptions(op, options, LIKE_OPTIONS);
  return options.dtype === undefined ? like.dtype : checkDType(op, options.dtype);
}

function floatLike(op: string, like: Tensor, options: RandomLikeOptions): DType {
  const dtype = likeDType(op, like, options);
  if (!isFloating(dtype)) throw new DTypeError(`${op}: dtype must be float32 or float64, got ${dtype} (pass { dtype })`);
  return dtype;
}

/** Uniform samples in [0, 1) with `like`'s shape, dtype (unless given) and backend. */
export function randLike(like: Tensor, options: RandomLikeOptions = {}): Tensor {
  const dtype = floatLike("randLike", like, options);
  const values = uniformValues(generatorOf("randLike", options.generator), like.numel());
  // As rand: a sample that float32 would round up to 1 is rounded down instead.
  if (dtype === "float32") for (let i = 0; i < values.length; i++) values[i] = Math.min(values[i], FLOAT32_BELOW_ONE);
  return onBackendOf(like, values, like.shape, dtype, options.requiresGrad);
}

/** Standard normal samples with `like`'s shape, dtype (unless given) and backend. */
export function randnLike(like: Tensor, options: RandomLikeOptions = {}): Tensor {
  const dtype = floatLike("randnLike", like, options);
  const values = normalValues(generatorOf("randnLike", options.generator), like.numel());
  return onBackendOf(like, values, like.shape, dtype, options.requiresGrad);
}

/** Uniform integers in [low, high) (low 0 when only high is given) with `like`'s shape, dtype (unless given) and backend. */
export function randintLike(like: Tensor, high: number, options?: RandomLikeOptions): Tensor;
export function randintLike(like: Tensor, low: number, high: number, options?: RandomLikeOptions): Tensor;
export function randintLike(like: Tensor, a: number, b?: number | RandomLikeOptions, c?: RandomLikeOptions): Tensor {
  const [low, high, options] = typeof b === "number" ? [a, b, c ?? {}] : [0, a, b ?? {}];
  const dtype = likeDType("randintLike", like, options);
  checkIntegerRange("randintLike", low, high, dtype);
  const g = generatorOf("randintLike", options.generator);
  const values = new Float64Array(numelOf(like.shape));
  for (let i = 0; i < values.length; i++) values[i] = g.integer(low, high);
  return onBackendOf(like, values, like.shape, dtype, options.requiresGrad);
}
