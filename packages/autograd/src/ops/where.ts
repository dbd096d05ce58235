/** Primitive `where(cond, a, b)`: a where cond is true, else b, with broadcasting over all three. */

import { DTypeError } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { broadcastAll } from "../shape.js";
import { checkTensor } from "../validate.js";
import { allocTensor, broadcastView, commonBackend, defineOp } from "./define.js";
import { resultDType, scalarTensor, tensorPair, type Operand } from "./elementwise.js";

const whereOp = defineOp({
  name: "where",
  saves: { inputs: true, output: false },
  forward: ([cond, a, b]) => {
    const backend = commonBackend("where", [cond, a, b]);
    const shape = broadcastAll("where", [cond.shape, a.shape, b.shape]);
    const out = allocTensor(backend, shape, a.dtype, "where");
    backend.where(broadcastView(cond, shape), broadcastView(a, shape), broadcastView(b, shape), out.buffer);
    return out;
  },
  vjp: (g, ctx) => {
    const cond = ctx.inputs[0]; // the gradient goes to whichever branch was chosen
    const zero = g.zerosLike();
    return [null, ctx.needsInputGrad(1) ? where(cond, g, zero) : null, ctx.needsInputGrad(2) ? where(cond, zero, g) : null];
  },
});

/** Elementwise select: `a` where `cond` is true, else `b`. `cond` must be bool. */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  if (checkTensor("where", "condition", cond).dtype !== "bool") throw new DTypeError(`where: condition must be bool, got ${cond.dtype}`);
  const dtype = resultDType("where", a, b);
  // Two plain numbers: the first becomes a 0-d tensor on cond's backend, so tensorPair has a tensor to follow.
  const first = typeof a === "number" && typeof b === "number" ? scalarTensor(a, dtype, cond) : a;
  const [ta, tb] = tensorPair(first, b, dtype);
  return whereOp([cond, ta, tb], undefined);
}
