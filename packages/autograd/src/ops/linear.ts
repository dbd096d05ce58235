/**
 * Primitive `linear`: y = x·Wᵀ + b with W of shape [out, in] (PyTorch's F.linear / addmm). Fused,
 * so a layer is one graph node instead of transpose + matmul + add; W is read transposed through
 * its strides, x's leading dims are the rows of one 2-d product, and the bias is added in the
 * product's output pass (Backend.matmul's `bias`).
 */

import { promoteTypes } from "../dtype.js";
import { ShapeError, fmtShape } from "../errors.js";
import { packedZeros } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { checkTensor } from "../validate.js";
import { castTo } from "./cast.js";
import { allocTensor, commonBackend, defineOp } from "./define.js";
import { mergeRows } from "./matmul.js";

const linearOp = defineOp({
  name: "linear",
  saves: { inputs: true, output: false },
  forward: (inputs) => {
    const [x, w, b] = inputs;
    const backend = commonBackend("linear", inputs);
    const [outF, inF] = w.shape;
    const out = allocTensor(backend, [...x.shape.slice(0, -1), outF], x.dtype, "linear");
    // Every leading dim of x is a row: one [rows, in] @ [in, out] product when they merge (a view).
    const x2 = x.ndim === 1 ? { buffer: x.buffer, shape: [1, inF], strides: [0, x.strides[0]], offset: x.offset } : mergeRows(x) ?? x;
    const batch = x2.shape.slice(0, -2);
    // Wᵀ as a [in, out] view (repeated with stride 0 over the batch dims of an x that did not merge).
    const wT = { buffer: w.buffer, shape: [...batch, inF, outF], strides: [...packedZeros(batch.length), w.strides[1], w.strides[0]], offset: w.offset };
    backend.matmul(x2, wT, out.buffer, b); // the bias is added in the product's output pass
    return out;
  },
  vjp: (g, ctx) => {
    const inputs = ctx.inputs;
    const [x, w] = inputs;
    const [outF, inF] = w.shape;
    const g2 = g.reshape([-1, outF]); // every leading dim is a row of the batch
    return [
      ctx.needsInputGrad(0) ? g.matmul(w) : null, // ∂/∂x = g·W
      ctx.needsInputGrad(1) ? g2.mT.matmul(x.reshape([-1, inF])) : null, // ∂/∂W = gᵀ·x summed over rows
      inputs.length > 2 && ctx.needsInputGrad(2) ? g2.sum(0) : null, // ∂/∂b = Σ_rows g
    ];
  },
});

/** y = x·Wᵀ + b for x [..., in], W [out, in], b [out] (optional), as PyTorch's F.linear. */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  checkTensor("linear", "input", x);
  checkTensor("linear", "weight", weight);
  if (bias !== null) checkTensor("linear", "bias", bias);
  if (weight.ndim !== 2) throw new ShapeError(`linear: weight must be 2-d [out, in], got ${fmtShape(weight.shape)}`);
  const [outF, inF] = weight.shape;
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inF) {
    throw new ShapeError(`linear: expected input with last dim ${inF}, got ${fmtShape(x.shape)} (weight ${fmtShape(weight.shape)})`);
  }
  if (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== outF)) {
    throw new ShapeError(`linear: bias must have shape [${outF}], got ${fmtShape(bias.shape)}`);
  }
  const dtype = bias === null ? promoteTypes(x.dtype, weight.dtype) : promoteTypes(promoteTypes(x.dtype, weight.dtype), bias.dtype);
  const inputs = [castTo(x, dtype), castTo(weight, dtype)];
  if (bias !== null) inputs.push(castTo(bias, dtype));
  return linearOp(inputs, undefined);
}
