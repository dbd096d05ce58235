/** Primitive `sum` over dims, with keepdim. */

import { DTypeError } from "../errors.js";
import { reducedShape, reductionDims } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { castTo } from "./cast.js";
import { allocTensor, defineOp } from "./define.js";

interface SumAttrs {
  readonly dims: readonly number[];
  readonly keepdim: boolean;
}

const sumOp = defineOp<SumAttrs>({
  name: "sum",
  saves: { inputs: false, output: false },
  forward: ([x], { dims, keepdim }) => {
    const out = allocTensor(x.backend, reducedShape(x.shape, dims, keepdim), x.dtype);
    x.backend.reduce("sum", x, dims, out.buffer);
    return out;
  },
  // d(Σx) = 1 for every summed element: put the reduced dims back and broadcast.
  vjp: (g, ctx) => [g.reshape(reducedShape(ctx.inputShape(0), ctx.attrs.dims, true)).expand(ctx.inputShape(0))],
});

/** Σ over `dims` (all when omitted). Bools and int32 sum to int32. */
export function sum(x: Tensor, dims?: number | readonly number[], keepdim = false): Tensor {
  if (x.dtype === "bool") x = castTo(x, "int32");
  return sumOp([x], { dims: reductionDims("sum", dims, x.ndim, keepdim), keepdim });
}

/** Throws unless x is floating point (mean, var, ...). */
export function requireFloat(op: string, x: Tensor): void {
  if (!x.isFloatingPoint()) {
    throw new DTypeError(`${op}: expected a floating point tensor, got ${x.dtype} (convert with .to("float32"))`);
  }
}
