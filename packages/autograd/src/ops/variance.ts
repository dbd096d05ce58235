/**
 * Primitive `var`: Σ(x − x̄)² / max(n − correction, 0) over dims. A primitive rather than a
 * composite so that its gradient is PyTorch's formula, 2(x − x̄)/(n − correction), which does not
 * pass through x̄: the composite's route through the mean carries terms that cancel exactly in
 * theory but give NaN everywhere as soon as one element is ±inf (PyTorch gives ∓inf there and NaN
 * only at the inf). The vjp is written in Tensor ops, so second derivatives keep the mean's part.
 */

import { noGrad } from "../engine/grad-mode.js";
import { reducedShape } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { defineOp } from "./define.js";

/** Reduced dims (normalized), keepdim and the denominator's correction. */
export interface VarAttrs {
  readonly dims: readonly number[];
  readonly keepdim: boolean;
  readonly correction: number;
}

/** n − correction, floored at 0 (so one element with Bessel's correction gives 0/0 = NaN, as PyTorch). */
function denominator(x: Tensor, { dims, correction }: VarAttrs): number {
  let n = 1;
  for (let i = 0; i < dims.length; i++) n *= x.shape[dims[i]];
  return Math.max(n - correction, 0);
}

/** x − x̄ over the attrs' dims (recorded when grad mode is on: the vjp differentiates through it). */
const centered = (x: Tensor, { dims }: VarAttrs): Tensor => x.sub(x.mean(dims, true));

export const varOp = defineOp<VarAttrs>({
  name: "var",
  saves: { inputs: true, output: false },
  forward: ([x], attrs) => noGrad(() => centered(x, attrs).square().sum(attrs.dims, attrs.keepdim).div(denominator(x, attrs))),
  // d var/dx = 2(x − x̄)/(n − correction)
  vjp: (g, { inputs: [x], attrs }) => {
    const gk = attrs.keepdim ? g : g.reshape(reducedShape(x.shape, attrs.dims, true));
    return [gk.mul(centered(x, attrs)).mul(2 / denominator(x, attrs))];
  },
});
