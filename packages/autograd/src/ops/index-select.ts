/**
 * Row gather and scatter-add along one dim: the primitives `indexSelect` and `indexAdd` (each the
 * other's gradient) and `embedding` (indexSelect of rows by an index tensor of any shape, whose
 * gradient skips a padding row). Kernels: Backend.indexSelect / indexAdd, cpu in
 * backend/cpu/index-kernels.ts, wasm in assembly/index-rows.ts + backend/wasm/index-rows.ts.
 * Indices are checked here, once per call, in one pass; the kernels trust them.
 */

import { DTypeError, IndexError, ShapeError, ValueError, fmtShape } from "../errors.js";
import { normalizeDim } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { checkTensor } from "../validate.js";
import { castTo } from "./cast.js";
import { allocTensor, commonBackend, defineOp, type Op } from "./define.js";
import { where } from "./where.js";

/**
 * Throws an IndexError `op: index v is <what>` (e.g. "out of range for dim 0 of size 3") unless
 * every value of the int32 tensor `index` lies in [0, size): one read and one pass over the index.
 */
export function checkIndexRange(op: string, index: Tensor, size: number, what: string): void {
  // On a GPU (memory read asynchronously) the kernels check instead: they skip a bad index and
  // flag it, and the next read from the device throws an IndexError (backend/webgpu/wgsl.ts).
  if (index.backend.asyncReads) return;
  const values = index.toTypedArray();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < 0 || v >= size) throw new IndexError(`${op}: index ${v} is ${what}`);
  }
}

/**
 * Checks int32 class indices (a loss's targets) against [0, size), `ignore` allowed, and counts
 * the ignored ones. On the host (sync backends): throws an IndexError `op: target v is out of
 * bounds for size classes` and returns the count. On a GPU backend no host read happens: a kernel
 * raises the device's error flag, the next read from the device throws an IndexError naming `op`,
 * and the count (unknown on the host) is null.
 */
export function checkClassIndices(op: string, target: Tensor, size: number, ignore: number): number | null {
  if (target.dtype !== "int32") throw new DTypeError(`${op}: target must be int32 class indices, got ${target.dtype}`);
  if (target.backend.asyncReads) {
    if (target.backend.checkIndices === undefined) throw new ValueError(`${op}: the ${target.device} backend cannot check indices without a host read`);
    target.backend.checkIndices(op, target, size, ignore);
    return null;
  }
  let ignored = 0;
  for (const v of target.toTypedArray()) {
    if (v === ignore) ignored++;
    else if (v < 0 || v >= size) throw new IndexError(`${op}: target ${v} is out of bounds for ${size} classes`);
  }
  return ignored;
}

function checkIndexTensor(op: string, index: Tensor): void {
  if (checkTensor(op, "index", index).dtype !== "int32") throw new DTypeError(`${op}: index must be int32, got ${index.dtype}`);
  if (index.ndim > 1) throw new ShapeError(`${op}: index must be 0-d or 1-d, got ${fmtShape(index.shape)}`);
}

/** x's shape with `n` at dim d. */
function withSize(shape: readonly number[], d: number, n: number): number[] {
  const out = shape.slice();
  out[d] = n;
  return out;
}

/** One broadcast +0 of g's dtype in `shape`: a zero base that the kernels do not copy. */
const zerosLike = (g: Tensor, shape: readonly number[]): Tensor => g.newZeros([]).expand(shape);

const indexSelectOp: Op<number> = defineOp<number>({
  name: "indexSelect",
  saves: { inputs: true, output: false },
  forward: ([x, index], dim) => {
    const out = allocTensor(commonBackend("indexSelect", [x, index]), withSize(x.shape, dim, index.numel()), x.dtype);
    x.backend.indexSelect(x, dim, index, out.buffer);
    return out;
  },
  // Each selected row goes back where it came from; repeated indices add up.
  vjp: (g, ctx) => [indexAddOp([zerosLike(g, ctx.inputShape(0)), ctx.inputs[1], g], { dim: ctx.attrs, alpha: 1 }), null],
});

interface IndexAddAttrs {
  readonly dim: number;
  readonly alpha: number;
}

const indexAddOp: Op<IndexAddAttrs> = defineOp<IndexAddAttrs>({
  name: "indexAdd",
  saves: { inputs: true, output: false },
  forward: ([base, index, src], { dim, alpha }) => {
    const out = allocTensor(commonBackend("indexAdd", [base, index, src]), base.shape, base.dtype);
    base.backend.indexAdd(base, dim, index, src, alpha, out.buffer);
    return out;
  },
  // out = base + alpha·scatter(src): base passes g through; src row i reads g's row index[i].
  vjp: (g, ctx) => {
    const { dim, alpha } = ctx.attrs;
    if (!ctx.needsInputGrad(2)) return [g, null, null];
    const rows = indexSelectOp([g, ctx.inputs[1]], dim);
    return [g, null, alpha === 1 ? rows : rows.mul(alpha)];
  },
});

/** The entries of `index` (0-d or 1-d int32, each in [0, size)) along `dim`: out.shape[dim] = index.numel(). */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor("indexSelect", "input", x);
  const d = normalizeDim("indexSelect", dim, x.ndim);
  checkIndexTensor("indexSelect", index);
  const size = x.ndim === 0 ? 1 : x.shape[d];
  checkIndexRange("indexSelect", index, size, `out of range for dim ${d} of size ${size}`);
  if (x.ndim === 0) {
    // As PyTorch: a 0-d input takes exactly one index and gives a 0-d result.
    if (index.numel() !== 1) throw new IndexError(`indexSelect: a 0-d input takes exactly one index, got ${index.numel()}`);
    return indexSelectOp([x.reshape([1]), index.reshape([1])], 0).reshape([]);
  }
  return indexSelectOp([x, index.reshape([-1])], d);
}

/** Options of indexAdd. */
export interface IndexAddOptions {
  /** Scale of src (default 1): out[…, index[i], …] += alpha·src[…, i, …]. */
  readonly alpha?: number;
}

/**
 * A copy of `base` with alpha·src[…, i, …] added at […, index[i], …] along `dim` (PyTorch's
 * index_add): src has base's shape except index.numel() at `dim`; repeated indices add up.
 */
export function indexAdd(base: Tensor, dim: number, index: Tensor, src: Tensor, options: IndexAddOptions = {}): Tensor {
  const op = "indexAdd";
  checkTensor(op, "input", base);
  checkTensor(op, "source", src);
  const alpha = options.alpha ?? 1;
  if (typeof alpha !== "number" || Number.isNaN(alpha)) throw new ValueError(`${op}: alpha must be a number, got ${String(alpha)}`);
  if (base.dtype === "bool") throw new DTypeError(`${op}: bool input is not supported`);
  if (!base.isFloatingPoint() && !Number.isInteger(alpha)) throw new DTypeError(`${op}: alpha must be an integer for ${base.dtype} input, got ${alpha}`);
  const d = normalizeDim(op, dim, base.ndim);
  checkIndexTensor(op, index);
  if (base.ndim === 0) {
    // A 0-d base reads as length 1 (as PyTorch); src must then be 0-d or [1].
    if (src.ndim > 1 || src.numel() !== index.numel()) {
      throw new ShapeError(`${op}: source ${fmtShape(src.shape)} does not match index ${fmtShape(index.shape)} for a 0-d input`);
    }
    return indexAdd(base.reshape([1]), 0, index.reshape([-1]), src.reshape([-1]), options).reshape([]);
  }
  const expected = withSize(base.shape, d, index.numel());
  const srcShape = src.ndim === 0 ? [1] : src.shape;
  if (srcShape.length !== expected.length || srcShape.some((s, i) => s !== expected[i])) {
    throw new ShapeError(`${op}: source must have shape ${fmtShape(expected)} (input ${fmtShape(base.shape)} with index's ${index.numel()} at dim ${d}), got ${fmtShape(src.shape)}`);
  }
  checkIndexRange(op, index, base.shape[d], `out of range for dim ${d} of size ${base.shape[d]}`);
  return indexAddOp([base, index.reshape([-1]), castTo(src, base.dtype).reshape(expected)], { dim: d, alpha });
}

/** The padding row of an embedding, or −1 for none. */
type EmbeddingAttrs = number;

const embeddingOp = defineOp<EmbeddingAttrs>({
  name: "embedding",
  saves: { inputs: true, output: false },
  forward: ([weight, indices]) => {
    const dim = weight.shape[1];
    const flat = indices.reshape([-1]);
    const out = allocTensor(commonBackend("embedding", [weight, indices]), [...indices.shape, dim], weight.dtype);
    weight.backend.indexSelect(weight, 0, flat, out.buffer);
    return out;
  },
  // Rows of g go back to the rows they were read from (repeats add up); the padding row's
  // positions are zeroed first, so that row gets no gradient (PyTorch's embedding_backward).
  vjp: (g, ctx) => {
    const [weight, indices] = ctx.inputs;
    const pad = ctx.attrs;
    let rows = g.reshape([-1, weight.shape[1]]);
    const flat = indices.reshape([-1]);
    if (pad >= 0) rows = where(flat.eq(pad).unsqueeze(1), 0, rows);
    return [indexAddOp([zerosLike(g, weight.shape), flat, rows], { dim: 0, alpha: 1 }), null];
  },
});

/**
 * Rows of `weight` [num, dim] picked by int32 `indices` of any shape S: out[...S, :] =
 * weight[indices[...S], :]; the row `paddingIdx` (−1: none, already normalized) gets no gradient.
 * `op` names errors (nn's Embedding and F.embedding call this).
 */
export function embedding(indices: Tensor, weight: Tensor, paddingIdx = -1, op = "embedding"): Tensor {
  checkTensor(op, "indices", indices);
  checkTensor(op, "weight", weight);
  if (indices.dtype !== "int32") throw new DTypeError(`${op}: indices must be int32, got ${indices.dtype}`);
  if (weight.ndim !== 2) throw new ShapeError(`${op}: weight must be 2-d [numEmbeddings, embeddingDim], got ${fmtShape(weight.shape)}`);
  const num = weight.shape[0];
  if (!Number.isInteger(paddingIdx) || paddingIdx < -1 || paddingIdx >= num) throw new IndexError(`${op}: paddingIdx ${paddingIdx} is out of range for ${num} embeddings`);
  checkIndexRange(op, indices, num, `out of range for ${num} embeddings`);
  return embeddingOp([weight, indices], paddingIdx);
}
