/**
 * Primitive `dropout`: inverted dropout as one kernel pass (Backend.dropout: cpu oracle in
 * backend/cpu/dropout-kernels.ts, wasm in assembly/dropout.ts) over x and uniform noise u
 * (rand's draws), in place of the five passes of rand(…).lt(1 − p).to(dtype).mul(1/(1 − p)) and
 * x.mul(mask). The noise is the same draw from the same generator, and the kernel compares and
 * rounds as those ops did, so results (and the generator's stream) are bit for bit the same.
 * nn's dropout and Dropout call it.
 */

import { generatorOf, type Generator } from "../random.js";
import { DTypeError, ValueError } from "../errors.js";
import { FLOAT32_BELOW_ONE } from "../creation.js";
import type { Tensor } from "../tensor.js";
import { allocTensor, defineOp, type Op } from "./define.js";
import { denseBuffer } from "./dense.js";
import { hostTensor } from "./window-args.js";

/** Keep where u < threshold, and the factor kept elements are multiplied by, both in the data's precision. */
interface DropoutAttrs {
  readonly threshold: number;
  readonly scale: number;
}

/** out = x·(u < threshold ? scale : 0) for x and u [same shape, same float dtype]. */
const dropoutOp: Op<DropoutAttrs> = defineOp<DropoutAttrs>({
  name: "dropout",
  saves: { inputs: "forOthers", output: false },
  forward: ([x, u], a) => {
    const out = allocTensor(x.backend, x.shape, x.dtype, "dropout");
    x.backend.dropout(denseBuffer(x), denseBuffer(u), a.threshold, a.scale, out.buffer);
    return out;
  },
  // Linear in x with the mask m = [u < threshold]·scale: dx = g·m, the same kernel on g; u is noise (no gradient).
  vjp: (g, ctx) => [dropoutOp([g, ctx.input(1)], ctx.attrs), null],
});

/**
 * rand(x.shape, { dtype: x.dtype, generator: g }) on x's backend, drawn straight into one array of
 * the dtype: the same calls in the same order, clamped and rounded as rand does (its float32
 * draws stay below 1), without rand's float64 staging chunks and their copies.
 */
function uniforms(x: Tensor, g: Generator): Tensor {
  const n = x.numel();
  const f32 = x.dtype === "float32";
  const values = f32 ? new Float32Array(n) : new Float64Array(n);
  const top = f32 ? FLOAT32_BELOW_ONE : 1;
  for (let i = 0; i < n; i++) values[i] = Math.min(g.uniform(), top);
  return hostTensor(x, x.dtype, values, x.shape);
}

/**
 * Inverted dropout: zeroes each element of x with probability p (x·0, so NaN and ±∞ stay NaN)
 * and scales the rest by 1/(1 − p), from `generator`'s uniform draws, one per element in
 * row-major order — the same draws `rand(x.shape)` makes. p = 1 zeroes every element.
 */
export function dropout(x: Tensor, p: number, generator?: Generator): Tensor {
  if (!x.isFloatingPoint()) throw new DTypeError(`dropout: input must be float32 or float64, got ${x.dtype}`);
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) throw new ValueError(`dropout: p must be between 0 and 1, got ${String(p)}`);
  const u = uniforms(x, generatorOf("dropout", generator));
  // The scalars as the dtype holds them: u < f32(1 − p) is the comparison lt(1 − p) makes on float32.
  const round = x.dtype === "float32" ? Math.fround : (v: number): number => v;
  return dropoutOp([x, u], { threshold: round(1 - p), scale: p === 1 ? 0 : round(1 / (1 - p)) });
}
