/** Primitive `cast`: a copy converted to another dtype. Also `copy` (clone / contiguous). */

import type { DType } from "../dtype.js";
import type { Tensor } from "../tensor.js";
import { allocTensor, defineOp } from "./define.js";

function copyInto(x: Tensor, dtype: DType): Tensor {
  // An expanded view may hold far fewer elements than its copy: name the op if that is too many.
  const out = allocTensor(x.backend, x.shape, dtype, dtype === x.dtype ? "clone" : "to");
  x.backend.copy(x, out);
  return out;
}

/** Converts to `dtype`. The engine casts the gradient back to the input's dtype. */
export const cast = defineOp<DType>({
  name: "to",
  saves: { inputs: false, output: false },
  forward: ([x], dtype) => copyInto(x, dtype),
  vjp: (g) => [g], // d(cast x) = dx (cast back centrally)
});

/** A contiguous copy with the same dtype (clone, contiguous). */
export const copy = defineOp({
  name: "clone",
  saves: { inputs: false, output: false },
  forward: ([x]) => copyInto(x, x.dtype),
  vjp: (g) => [g],
});

/** `x` converted to `dtype`, or `x` itself when it already has it. */
export function castTo(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype ? x : cast([x], dtype);
}
