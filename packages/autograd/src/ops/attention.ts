/**
 * scaledDotProductAttention: softmax(q·kᵀ·scale + bias)·v, as PyTorch 2.x's
 * F.scaled_dot_product_attention. A composite of matmul, where/add, softmax and mul, so its
 * gradient (to any order, and into a float mask that requires grad) comes from those primitives.
 */

import { isFloating } from "../dtype.js";
import { DTypeError, ShapeError, ValueError, fmtShape } from "../errors.js";
import type { Generator } from "../random.js";
import { randLike } from "../sampling.js";
import { broadcastAll, broadcastShapes, checkOptionKeys, flagOption, optionKeys, shapesEqual } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { attentionSoftmax } from "./attention-softmax.js";
import { castTo } from "./cast.js";
import { scalarTensor } from "./elementwise.js";
import { matmul } from "./matmul.js";
import { softmax } from "./softmax.js";
import { where } from "./where.js";

/** Options of scaledDotProductAttention (PyTorch's keyword arguments). */
export interface AttentionOptions {
  /**
   * Broadcasts to the scores' shape [..., L, S]. bool: true = the position takes part, false = it
   * is masked out (−∞ before the softmax); float: added to the scores.
   */
  readonly attnMask?: Tensor | null;
  /** Dropout on the attention weights, applied whenever > 0 (default 0; pass 0 in eval mode). */
  readonly dropoutP?: number;
  /** Let query i attend only to keys j ≤ i (the top-left lower triangle of [L, S]); no attnMask then. */
  readonly isCausal?: boolean;
  /** Multiplies q·kᵀ; default 1/√E with E = query's last dim. */
  readonly scale?: number | null;
  /** Source of the dropout mask (the default generator when omitted). */
  readonly generator?: Generator;
}

const OP = "scaledDotProductAttention";
const ATTENTION_OPTIONS = optionKeys<AttentionOptions>({ attnMask: 0, dropoutP: 0, isCausal: 0, scale: 0, generator: 0 });

/**
 * Attention over the last two dims: query [..., L, E], key [..., S, E], value [..., S, Ev] give
 * softmax(q·kᵀ·scale + bias)·v of shape [..., L, Ev], the leading dims broadcasting. A query row
 * whose keys are all masked out gives NaN, as in PyTorch.
 */
export function scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, options: AttentionOptions = {}): Tensor {
  checkOptionKeys(OP, options, ATTENTION_OPTIONS);
  const { attnMask = null, dropoutP = 0, scale = null, generator } = options;
  const isCausal = flagOption(OP, "isCausal", options.isCausal, false);
  for (const [name, t] of [["query", query], ["key", key], ["value", value]] as const) {
    if (t.ndim < 2) throw new ShapeError(`${OP}: ${name} must have at least 2 dims [..., seq, features], got ${fmtShape(t.shape)}`);
    if (!isFloating(t.dtype)) throw new DTypeError(`${OP}: ${name} must be a floating point tensor, got ${t.dtype}`);
  }
  if (key.dtype !== query.dtype || value.dtype !== query.dtype) {
    throw new DTypeError(`${OP}: query, key and value must have the same dtype, got ${query.dtype}, ${key.dtype} and ${value.dtype}`);
  }
  const shapes = `(query ${fmtShape(query.shape)}, key ${fmtShape(key.shape)}, value ${fmtShape(value.shape)})`;
  const [L, E] = query.shape.slice(-2);
  const [S, Ek] = key.shape.slice(-2);
  if (Ek !== E) throw new ShapeError(`${OP}: query and key must have the same last dim, ${E} != ${Ek} ${shapes}`);
  if (value.shape[value.ndim - 2] !== S) throw new ShapeError(`${OP}: key and value must have the same sequence length, ${S} != ${value.shape[value.ndim - 2]} ${shapes}`);
  const batch = broadcastAll(OP, [query.shape.slice(0, -2), key.shape.slice(0, -2), value.shape.slice(0, -2)]);
  const scoresShape = [...batch, L, S];
  if (typeof dropoutP !== "number" || !(dropoutP >= 0 && dropoutP <= 1)) throw new ValueError(`${OP}: dropoutP must be between 0 and 1, got ${dropoutP}`);
  if (scale !== null && (typeof scale !== "number" || !Number.isFinite(scale))) throw new ValueError(`${OP}: scale must be a finite number, got ${scale}`);
  if (scale === null && E === 0) throw new ShapeError(`${OP}: the default scale 1/√E needs E >= 1 ${shapes}`);
  if (isCausal && attnMask !== null) throw new ValueError(`${OP}: attnMask must not be given when isCausal is true`);
  if (attnMask !== null) {
    if (attnMask.dtype !== "bool" && !isFloating(attnMask.dtype)) throw new DTypeError(`${OP}: attnMask must be bool or floating point, got ${attnMask.dtype}`);
    const fits = attnMask.ndim <= scoresShape.length && shapesEqual(broadcastShapes(OP, attnMask.shape, scoresShape), scoresShape);
    if (!fits) throw new ShapeError(`${OP}: attnMask ${fmtShape(attnMask.shape)} does not broadcast to the scores' shape ${fmtShape(scoresShape)} ${shapes}`);
  }

  // As PyTorch, masks become an additive bias (0 or −∞), so a fully masked row is NaN in the
  // output and, through the sum, in every gradient it reaches.
  const factor = scale ?? 1 / Math.sqrt(E);
  if (attnMask === null) {
    // scale, the causal mask and the softmax as one fused primitive (ops/attention-softmax.ts)
    const weights = attentionSoftmax(matmul(query, key.mT), factor, isCausal); // [..., L, S]
    return matmul(dropoutP > 0 ? dropout(weights, dropoutP, generator, query.dtype) : weights, value);
  }
  // An explicit mask (isCausal has none): bool becomes 0 / −∞, float is added as it is.
  const zero = scalarTensor(0, query.dtype, query);
  const minusInf = scalarTensor(-Infinity, query.dtype, query);
  const bias = attnMask.dtype === "bool" ? where(attnMask, zero, minusInf) : castTo(attnMask, query.dtype);
  const scores = matmul(query, key.mT).mul(factor).add(bias); // [..., L, S]
  const weights = softmax(scores, -1);
  return matmul(dropoutP > 0 ? dropout(weights, dropoutP, generator, query.dtype) : weights, value);
}

/** Inverted dropout on the attention weights: keep with probability 1 − p and scale by 1/(1 − p). */
function dropout(weights: Tensor, p: number, generator: Generator | undefined, dtype: Tensor["dtype"]): Tensor {
  const keep = randLike(weights, { generator }).lt(1 - p);
  return p === 1 ? weights.mul(0) : weights.mul(castTo(keep, dtype).mul(1 / (1 - p)));
}
