/** Shared forward machinery for elementwise ops: scalar operands, dtype promotion, broadcasting. */

import type { Backend, BinaryOp, UnaryOp } from "../backend/backend.js";
import { promoteTypes, promoteWithScalar, type DType } from "../dtype.js";
import { broadcastShapes } from "../shape.js";
import type { Tensor as TensorType } from "../tensor.js";
import { Tensor } from "../tensor.js";
import { allocTensor, broadcastView, pairBackend } from "./define.js";
import { keep } from "../engine/memory-scope.js";
import { castTo } from "./cast.js";
import { operandError } from "../validate.js";

/** A tensor or a plain number standing for a 0-d tensor. */
export type Operand = TensorType | number;

const SCALAR_CACHE_LIMIT = 1024;
const scalarCache = new WeakMap<Backend, Map<DType, Map<number, Tensor>>>();
let lastBackend: Backend | null = null;
let lastDType: DType | null = null;
let lastCache: Map<number, Tensor> | null = null;

/**
 * A 0-d tensor holding `value`, on `like`'s backend. Plain-number operands (x.mul(2)) are common
 * and small graphs are dominated by allocation, so these constants are cached: they never reach
 * users and nothing writes to them. (−0 is not cached: Map keys can't tell it from 0.)
 */
export function scalarTensor(value: number, dtype: DType, like: Tensor): Tensor {
  const backend = like.backend;
  let cache: Map<number, Tensor> | undefined;
  if (backend === lastBackend && dtype === lastDType) cache = lastCache as Map<number, Tensor>;
  else {
    let byDType = scalarCache.get(backend);
    if (byDType === undefined) scalarCache.set(backend, (byDType = new Map()));
    cache = byDType.get(dtype);
    if (cache === undefined) byDType.set(dtype, (cache = new Map()));
    // Nearly every call asks for the same backend and dtype as the one before.
    lastBackend = backend;
    lastDType = dtype;
    lastCache = cache;
  }
  let t = cache.get(value);
  if (t === undefined) {
    t = new Tensor(backend, backend.fromValues(dtype, [value]), [], [], 0, dtype);
    if (Object.is(value, -0)) return t;
    if (cache.size >= SCALAR_CACHE_LIMIT) cache.clear();
    cache.set(value, keep(t)); // cached constants outlive memory scopes
  }
  return t;
}

/** PyTorch's dtype categories for 0-d promotion: bool < integer < floating. */
const CATEGORY: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 2 };

/**
 * The dtype `a op b` computes in, with PyTorch's rules for plain-number operands and for 0-d
 * tensors, which (like numbers) never widen a dimensioned operand of their category
 * (float32[3] + float64[] is float32) but lift a lower one (int32[3] + float64[] is float64).
 * An operand that is neither a Tensor nor a number is refused here, naming `op`.
 */
export function resultDType(op: string, a: Operand, b: Operand): DType {
  if (typeof a === "number") {
    if (typeof b === "number") return promoteWithScalar("float32", a);
    if (!(b instanceof Tensor)) throw operandError(op, b);
    return promoteWithScalar(b.dtype, a);
  }
  if (!(a instanceof Tensor)) throw operandError(op, a);
  if (typeof b === "number") return promoteWithScalar(a.dtype, b);
  if (!(b instanceof Tensor)) throw operandError(op, b);
  if ((a.ndim === 0) !== (b.ndim === 0)) {
    const [dimensioned, zeroDim] = a.ndim === 0 ? [b.dtype, a.dtype] : [a.dtype, b.dtype];
    return CATEGORY[zeroDim] > CATEGORY[dimensioned] ? zeroDim : dimensioned;
  }
  return promoteTypes(a.dtype, b.dtype);
}

/** Turns both operands into tensors of `dtype` (numbers become 0-d tensors; tensors are cast if needed). */
export function tensorPair(a: Operand, b: Operand, dtype: DType): [Tensor, Tensor] {
  const like = (typeof a === "number" ? b : a) as Tensor;
  const ta = typeof a === "number" ? scalarTensor(a, dtype, like) : castTo(a, dtype);
  const tb = typeof b === "number" ? scalarTensor(b, dtype, like) : castTo(b, dtype);
  return [ta, tb];
}

/** Runs a unary kernel into a new tensor of `outDType`. */
export function runUnary(kernel: UnaryOp, x: Tensor, outDType: DType): Tensor {
  const out = allocTensor(x.backend, x.shape, outDType);
  x.backend.unary(kernel, x, out.buffer);
  return out;
}

/** Runs a binary kernel with broadcasting into a new tensor of `outDType`; `op` names it in errors. */
export function runBinary(op: string, kernel: BinaryOp, a: Tensor, b: Tensor, outDType: DType): Tensor {
  const backend = pairBackend(op, a, b);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = allocTensor(backend, shape, outDType, op);
  backend.binary(kernel, broadcastView(a, shape), broadcastView(b, shape), out.buffer);
  return out;
}
