/**
 * Primitives `gelu` and `geluBackward` (its input gradient g·gelu′(x)), each one fused kernel
 * (Backend.gelu / geluBackward: cpu/gelu-kernels.ts, assembly/gelu.ts) in place of the half
 * dozen elementwise ops of the formula. geluBackward's own vjp is written in Tensor ops, so
 * gradients of every order exist.
 */

import type { GeluApproximate } from "../backend/backend.js";
import { floatResult } from "../dtype.js";
import { ValueError } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { castTo } from "./cast.js";
import { allocTensor, defineOp, type Op } from "./define.js";
import { denseBuffer } from "./dense.js";

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const TANH_C = 0.044715;

/**
 * gelu″(x) in Tensor ops. "none": d/dx (Φ + xφ) = 2φ − x²φ = φ·(2 − x²). "tanh": with
 * u = √(2/π)(x + cx³), t = tanh u, u′ = √(2/π)(1 + 3cx²), gelu′ = ½(1 + t) + ½x(1 − t²)u′ gives
 * gelu″ = (1 − t²)·(u′ − x·t·u′² + 3√(2/π)·c·x²).
 */
function geluSecond(x: Tensor, approximate: GeluApproximate): Tensor {
  const x2 = x.square();
  if (approximate === "none") return x2.mul(-0.5).exp().mul(INV_SQRT_2PI).mul(x2.neg().add(2));
  const t = x.add(x.mul(x2).mul(TANH_C)).mul(SQRT_2_OVER_PI).tanh();
  const du = x2.mul(3 * TANH_C).add(1).mul(SQRT_2_OVER_PI);
  return t.square().neg().add(1).mul(du.sub(x.mul(t).mul(du.square())).add(x2.mul(3 * SQRT_2_OVER_PI * TANH_C)));
}

/** g·gelu′(x) for g and x of one shape and float dtype. */
const geluBackwardOp: Op<GeluApproximate> = defineOp<GeluApproximate>({
  name: "geluBackward",
  saves: { inputs: true, output: false },
  forward: ([g, x], approximate) => {
    const out = allocTensor(x.backend, x.shape, x.dtype, "geluBackward");
    x.backend.geluBackward(denseBuffer(g), denseBuffer(x), approximate, out.buffer);
    return out;
  },
  // d(g·gelu′(x)) = gelu′(x)·dg + g·gelu″(x)·dx
  vjp: (gg, ctx) => {
    const [g, x] = ctx.inputs;
    return [
      ctx.needsInputGrad(0) ? geluBackwardOp([gg, x], ctx.attrs) : null,
      ctx.needsInputGrad(1) ? gg.mul(g).mul(geluSecond(x, ctx.attrs)) : null,
    ];
  },
});

const geluOp = defineOp<GeluApproximate>({
  name: "gelu",
  saves: { inputs: true, output: false },
  forward: ([x], approximate) => {
    const out = allocTensor(x.backend, x.shape, x.dtype, "gelu");
    x.backend.gelu(denseBuffer(x), approximate, out.buffer);
    return out;
  },
  vjp: (g, ctx) => [geluBackwardOp([g, ctx.input(0)], ctx.attrs)], // d gelu = gelu′(x)·dx
});

/** x·Φ(x) with Φ the normal CDF; "tanh" uses 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))). */
export function gelu(x: Tensor, approximate: GeluApproximate = "none"): Tensor {
  if (approximate !== "none" && approximate !== "tanh") throw new ValueError(`gelu: approximate must be "none" or "tanh", got "${String(approximate)}"`);
  return geluOp([castTo(x, floatResult(x.dtype))], approximate);
}
