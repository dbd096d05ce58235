/**
 * Primitive `layerNorm`: normalization over the trailing `k` dims with an optional affine
 * weight and bias, one kernel forward (Backend.layerNorm, which also keeps each row's mean and
 * rstd) and one backward (Backend.layerNormBackward: dx, dweight, dbias in one pass). When the
 * backward pass is itself recorded (createGraph), the vjp is the same formula in Tensor ops with
 * the statistics recomputed from x, so gradients of every order are right.
 * Kernels: backend/cpu/norm-kernels.ts, assembly/layernorm.ts (+ backend/wasm/layernorm.ts).
 */

import { isGradEnabled } from "../engine/grad-mode.js";
import { DTypeError, ShapeError, fmtShape } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { allocTensor, defineOp } from "./define.js";
import { denseBuffer } from "./dense.js";

/** layerNorm's arguments, and the statistics its forward leaves for its backward. */
interface LayerNormAttrs {
  /** Normalized trailing dims. */
  readonly k: number;
  readonly eps: number;
  readonly hasWeight: boolean;
  readonly hasBias: boolean;
  /** Each row's mean and 1/√(var + eps), [rows], written by forward. */
  stats: { readonly mean: Tensor; readonly rstd: Tensor } | null;
}

const layerNormOp = defineOp<LayerNormAttrs>({
  name: "layerNorm",
  saves: { inputs: true, output: false },
  forward: (inputs, attrs) => {
    const x = inputs[0];
    const cols = x.shape.slice(x.ndim - attrs.k).reduce((a, b) => a * b, 1);
    const rows = cols === 0 ? 0 : x.numel() / cols;
    const out = allocTensor(x.backend, x.shape, x.dtype, "layerNorm");
    const mean = allocTensor(x.backend, [rows], x.dtype, "layerNorm");
    const rstd = allocTensor(x.backend, [rows], x.dtype, "layerNorm");
    const weight = attrs.hasWeight ? denseBuffer(inputs[1]) : null;
    const bias = attrs.hasBias ? denseBuffer(inputs[attrs.hasWeight ? 2 : 1]) : null;
    x.backend.layerNorm(denseBuffer(x), weight, bias, rows, cols, attrs.eps, out.buffer, mean.buffer, rstd.buffer);
    attrs.stats = { mean, rstd };
    return out;
  },
  vjp: (g, ctx) => {
    const { k, hasWeight, hasBias, stats } = ctx.attrs;
    const x = ctx.input(0);
    const w = hasWeight ? ctx.input(1) : null;
    const needsX = ctx.needsInputGrad(0);
    const needsW = hasWeight && ctx.needsInputGrad(1);
    const needsB = hasBias && ctx.needsInputGrad(hasWeight ? 2 : 1);
    const grads: (Tensor | null)[] = hasWeight && hasBias ? [null, null, null] : hasWeight || hasBias ? [null, null] : [null];
    const dw = hasWeight ? 1 : -1;
    const db = hasBias ? (hasWeight ? 2 : 1) : -1;
    if (!isGradEnabled() && stats !== null) {
      // the plain backward pass: one kernel for all three gradients
      const cols = x.shape.slice(x.ndim - k).reduce((a, b) => a * b, 1);
      const affine = x.shape.slice(x.ndim - k);
      const dxT = needsX ? allocTensor(x.backend, x.shape, x.dtype, "layerNorm") : null;
      const dwT = needsW ? allocTensor(x.backend, affine, x.dtype, "layerNorm") : null;
      const dbT = needsB ? allocTensor(x.backend, affine, x.dtype, "layerNorm") : null;
      x.backend.layerNormBackward(
        denseBuffer(g), denseBuffer(x), stats.mean.buffer, stats.rstd.buffer, w === null ? null : denseBuffer(w),
        stats.mean.numel(), cols, dxT?.buffer ?? null, dwT?.buffer ?? null, dbT?.buffer ?? null,
      );
      grads[0] = dxT;
      if (dw > 0) grads[dw] = dwT;
      if (db > 0) grads[db] = dbT;
      return grads;
    }
    // Recorded backward: x̂ = (x − μ)·rstd from x itself; ĝ = g·w;
    // dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), dw = Σ g·x̂, db = Σ g over the leading dims.
    const dims = Array.from({ length: k }, (_, i) => x.ndim - k + i);
    const lead = Array.from({ length: x.ndim - k }, (_, i) => i);
    const centered = x.sub(x.mean(dims, true));
    const rstd = centered.square().mean(dims, true).add(ctx.attrs.eps).rsqrt();
    const xhat = centered.mul(rstd);
    if (needsX) {
      const gh = w === null ? g : g.mul(w);
      grads[0] = rstd.mul(gh.sub(gh.mean(dims, true)).sub(xhat.mul(gh.mul(xhat).mean(dims, true))));
    }
    if (needsW) grads[dw] = lead.length === 0 ? g.mul(xhat) : g.mul(xhat).sum(lead);
    if (needsB) grads[db] = lead.length === 0 ? g : g.sum(lead);
    return grads;
  },
});

/**
 * (x − mean)/√(var + eps)·weight + bias over the trailing `k` dims (biased variance, as PyTorch's
 * layer_norm); weight and bias have x's trailing shape, or are null.
 */
export function layerNorm(x: Tensor, k: number, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  if (!Number.isInteger(k) || k < 1 || k > x.ndim) throw new ShapeError(`layerNorm: cannot normalize the last ${k} dims of ${fmtShape(x.shape)}`);
  const tail = x.shape.slice(x.ndim - k);
  for (const [name, t] of [["weight", weight], ["bias", bias]] as const) {
    if (t === null) continue;
    if (t.dtype !== x.dtype) throw new DTypeError(`layerNorm: ${name} has dtype ${t.dtype} but the input has dtype ${x.dtype}`);
    if (t.ndim !== k || t.shape.some((s, i) => s !== tail[i])) throw new ShapeError(`layerNorm: ${name} must have shape ${fmtShape(tail)}, got ${fmtShape(t.shape)}`);
  }
  if (!x.isFloatingPoint()) throw new DTypeError(`layerNorm: input must be a floating point tensor, got ${x.dtype}`);
  const inputs = [x];
  if (weight !== null) inputs.push(weight);
  if (bias !== null) inputs.push(bias);
  return layerNormOp(inputs, { k, eps, hasWeight: weight !== null, hasBias: bias !== null, stats: null });
}
