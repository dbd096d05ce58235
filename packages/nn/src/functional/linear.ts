/** `linear`, `dropout`, `oneHot` and `embedding` in functional form. */

import { DTypeError, Generator, IndexError, ShapeError, Tensor, arange, defaultGenerator, embedding as embeddingRows, linear as fusedLinear, dropout as dropoutOp, oneHot as oneHotOp } from "@tensorgrad/autograd";
import { checkOptions, type SpecFor } from "../options.js";
import { checkFloat, checkIndices, checkInt, checkProbability, checkTensor, fmtShape } from "./checks.js";

/** Options of dropout and dropout2d (and their layers). */
export interface DropoutOptions {
  /** Random source of the masks (the default generator when omitted). */
  readonly generator?: Generator;
}

/** What DropoutOptions may hold. */
export const DROPOUT_SPEC = { generator: "generator" } as const satisfies SpecFor<DropoutOptions>;

/** Options of embedding. */
export interface EmbeddingFunctionOptions {
  /** A row that gets no gradient (negative counts from the end). */
  readonly paddingIdx?: number | null;
}

/** What EmbeddingFunctionOptions may hold. */
export const EMBEDDING_FUNCTION_SPEC = { paddingIdx: ["number", "null"] } as const satisfies SpecFor<EmbeddingFunctionOptions>;

/**
 * y = x·Wᵀ + b, with W of shape [out, in] (PyTorch layout); x is [..., in]. `op` names errors.
 * x, W and b must share one floating dtype, as in PyTorch (no silent promotion of int32 input).
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null, op = "linear"): Tensor {
  checkFloat(op, "input", x);
  checkFloat(op, "weight", weight);
  if (x.dtype !== weight.dtype) throw new DTypeError(`${op}: input has dtype ${x.dtype} but weight has dtype ${weight.dtype} (convert one with .to())`);
  if (weight.ndim !== 2) throw new ShapeError(`${op}: weight must be 2-d [out, in], got ${fmtShape(weight.shape)}`);
  const inFeatures = weight.shape[1];
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inFeatures) {
    throw new ShapeError(`${op}: expected input with last dim ${inFeatures}, got ${fmtShape(x.shape)}`);
  }
  if (bias !== null) {
    checkFloat(op, "bias", bias);
    if (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0]) throw new ShapeError(`${op}: bias must have shape [${weight.shape[0]}], got ${fmtShape(bias.shape)}`);
    if (bias.dtype !== weight.dtype) throw new DTypeError(`${op}: bias has dtype ${bias.dtype} but weight has dtype ${weight.dtype}`);
  }
  return fusedLinear(x, weight, bias); // one graph node: x·Wᵀ + b
}

/**
 * Inverted dropout: in training, zeroes each element with probability p and scales the rest by
 * 1/(1 − p), so the expectation is unchanged; the identity when not training or p = 0.
 */
export function dropout(x: Tensor, p = 0.5, training = true, options: DropoutOptions = {}): Tensor {
  checkProbability("dropout", "dropout probability", p);
  checkOptions("dropout", options, DROPOUT_SPEC);
  checkFloat("dropout", "input", x);
  if (!training || p === 0) return x;
  if (p === 1) return x.mul(0);
  // One kernel pass (autograd's dropout primitive) over rand(x.shape)'s draws from the generator.
  return dropoutOp(x, p, options.generator ?? defaultGenerator);
}

/**
 * One-hot encoding: int32 indices of shape S give an int32 tensor of shape [...S, numClasses]
 * with out[..., c] = (indices[...] == c). numClasses −1 (default) means max(indices) + 1.
 */
export function oneHot(indices: Tensor, numClasses = -1): Tensor {
  checkIndices("oneHot", "indices", indices);
  // on a GPU backend the indices are not read: autograd's oneHot flags a bad one on the device
  if (indices.backend.asyncReads) return oneHotOp(indices, numClasses);
  const values = indices.toTypedArray();
  let max = -1;
  for (const v of values) {
    if (v < 0) throw new IndexError(`oneHot: class values must be non-negative, got ${v}`);
    if (v > max) max = v;
  }
  const classes = numClasses === -1 ? max + 1 : numClasses;
  checkInt("oneHot", "numClasses", classes, 0);
  if (max >= classes) throw new IndexError(`oneHot: class values must be smaller than numClasses (got ${max} with numClasses ${classes})`);
  return arange(classes, { device: indices.device }).eq(indices.unsqueeze(-1)).to("int32");
}

/** Rows of `weight` [num, dim] picked by int32 indices of shape S: out has shape [...S, dim].
 * The row `paddingIdx` (if given) receives no gradient. `op` names errors. */
export function embedding(indices: Tensor, weight: Tensor, options: EmbeddingFunctionOptions = {}, op = "embedding"): Tensor {
  checkIndices(op, "indices", indices);
  checkOptions(op, options, EMBEDDING_FUNCTION_SPEC);
  checkTensor(op, "weight", weight);
  if (weight.ndim !== 2) throw new ShapeError(`${op}: weight must be 2-d [numEmbeddings, embeddingDim], got ${fmtShape(weight.shape)}`);
  if (!weight.isFloatingPoint()) throw new DTypeError(`${op}: weight must be a floating point tensor, got ${weight.dtype}`);
  const num = weight.shape[0];
  const pad = options.paddingIdx;
  let padIdx = -1;
  if (pad !== undefined && pad !== null) {
    padIdx = pad < 0 ? pad + num : pad;
    if (!Number.isInteger(padIdx) || padIdx < 0 || padIdx >= num) throw new IndexError(`${op}: paddingIdx ${pad} is out of range for ${num} embeddings`);
  }
  // One primitive: a row gather whose gradient skips the padding row (indices checked there, once).
  return embeddingRows(indices, weight, padIdx, op);
}
