/**
 * Primitives `cumsum` and `cumprod` along one dim (the backend's `scan` kernel, cpu version in
 * backend/cpu/scan-sort.ts). cumprod's gradient is right where the input has zeros, to first and
 * second order, as PyTorch's is.
 */

import { checkDType, type DType } from "../dtype.js";
import { isGradEnabled } from "../engine/grad-mode.js";
import { checkOptionKeys, normalizeDim, optionKeys } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { castTo } from "./cast.js";
import { cat } from "./cat.js";
import { rangeLike } from "./constants.js";
import { allocTensor, defineOp, type Op } from "./define.js";
import { flip } from "./rearrange.js";
import { where } from "./where.js";

/** Options of cumsum/cumprod. */
export interface ScanOptions {
  /** Convert the input to this dtype first (PyTorch's dtype argument). */
  readonly dtype?: DType;
}

const cumsumOp: Op<number> = defineOp<number>({
  name: "cumsum",
  saves: { inputs: false, output: false },
  forward: ([x], dim) => {
    const out = allocTensor(x.backend, x.shape, x.dtype);
    x.backend.scan("sum", x, dim, out.buffer);
    return out;
  },
  // y_i = Σ_{j≤i} x_j, so ∂L/∂x_j = Σ_{i≥j} g_i: a cumulative sum from the other end.
  vjp: (g, ctx) => [reverseCumsum(g, ctx.attrs)],
});

const cumprodOp: Op<number> = defineOp<number>({
  name: "cumprod",
  saves: { inputs: true, output: true },
  forward: ([x], dim) => {
    const out = allocTensor(x.backend, x.shape, x.dtype);
    x.backend.scan("prod", x, dim, out.buffer);
    return out;
  },
  // ∂L/∂x_k = Σ_{j≥k} g_j · Π_{i≤j, i≠k} x_i (see cumprodGrad for the zeros).
  vjp: (g, ctx) => [cumprodGrad(g, ctx.input(0), ctx.output, ctx.attrs)],
});

/** Σ_{i≥j} g_i along dim. */
function reverseCumsum(g: Tensor, dim: number): Tensor {
  return flip(cumsumOp([flip(g, [dim])], dim), [dim]);
}

/**
 * cumprod's vjp. Where x has no zeros it is reverseCumsum(g·y)/x. Otherwise, with z the first
 * zero of a lane: for k < z the same formula holds (y_j = 0 for j ≥ z); for k = z the products
 * skip x_z, so it is reverseCumsum(g·ŷ) with ŷ the cumprod of x with x_z set to 1; for k > z
 * every product holds x_z = 0. That O(n) form has the right values but not the right derivative
 * for k > z, so when the backward pass is itself recorded (createGraph) and x has zeros, the
 * products are formed explicitly (O(n²)), as PyTorch does.
 */
function cumprodGrad(g: Tensor, x: Tensor, y: Tensor, dim: number): Tensor {
  const n = x.shape[dim];
  if (n <= 1) return g;
  if (isGradEnabled()) {
    if (!x.backend.asyncReads && !x.eq(0).any().item()) return reverseCumsum(g.mul(y), dim).div(x);
    return cumprodGradExplicit(g, x, dim);
  }
  const isZero = x.eq(0);
  const zerosSoFar = cumsumOp([isZero.to("int32")], dim);
  const beforeZero = zerosSoFar.eq(0);
  const firstZero = isZero.logicalAnd(zerosSoFar.eq(1));
  const yHat = cumprodOp([where(firstZero, 1, x)], dim);
  const atZero = where(firstZero, reverseCumsum(g.mul(yHat), dim), 0);
  return where(beforeZero, reverseCumsum(g.mul(y), dim).div(where(beforeZero, x, 1)), atZero);
}

/** ∂L/∂x_k = E_k · Σ_{j≥k} g_j·Q_kj with E_k = Π_{i<k} x_i and Q_kj = Π_{k<i≤j} x_i, in differentiable ops. */
function cumprodGradExplicit(g: Tensor, x: Tensor, dim: number): Tensor {
  const n = x.shape[dim];
  const xs = x.transpose(dim, -1); // [..., n]
  const gs = g.transpose(dim, -1);
  const i = rangeLike(x, n); // column index i (and j)
  const k = i.reshape([n, 1]); // row index k
  // Q[..., k, j]: cumprod over i of (i ≤ k ? 1 : x_i), kept for j ≥ k
  const q = cumprodOp([where(i.le(k), 1, xs.unsqueeze(-2))], xs.ndim).mul(i.ge(k).to(x.dtype));
  const ones = x.newFull([...xs.shape.slice(0, -1), 1], 1);
  const e = cumprodOp([cat([ones, xs.narrow(-1, 0, n - 1)], -1)], xs.ndim - 1); // exclusive cumprod
  return e.mul(q.mul(gs.unsqueeze(-2)).sum(-1)).transpose(dim, -1);
}

const SCAN_OPTIONS = optionKeys<ScanOptions>({ dtype: 0 });

function scanInput(op: string, x: Tensor, options: ScanOptions): Tensor {
  checkOptionKeys(op, options, SCAN_OPTIONS);
  if (options.dtype !== undefined) return castTo(x, checkDType(op, options.dtype));
  return x.dtype === "bool" ? castTo(x, "int32") : x; // bools count as integers, as in PyTorch
}

function runScan(op: Op<number>, name: string, x: Tensor, dim: number, options: ScanOptions): Tensor {
  const d = normalizeDim(name, dim, x.ndim);
  const input = scanInput(name, x, options);
  if (input.ndim === 0) return op([input.reshape([1])], 0).reshape([]);
  return op([input], d);
}

/** y_i = x_0 + … + x_i along `dim` (bool and int32 give int32). */
export function cumsum(x: Tensor, dim: number, options: ScanOptions = {}): Tensor {
  return runScan(cumsumOp, "cumsum", x, dim, options);
}

/** y_i = x_0 · … · x_i along `dim` (bool and int32 give int32). */
export function cumprod(x: Tensor, dim: number, options: ScanOptions = {}): Tensor {
  return runScan(cumprodOp, "cumprod", x, dim, options);
}
