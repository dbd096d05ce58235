/** Primitive `expand`: repeats size-1 dims (and adds leading dims) as a stride-0 view. */

import { ShapeError, fmtShape } from "../errors.js";
import { checkNumel } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { broadcastStrides, defineOp, viewTensor } from "./define.js";

const expandOp = defineOp<readonly number[]>({
  name: "expand",
  saves: { inputs: false, output: false },
  forward: ([x], shape) => viewTensor(x, shape, broadcastStrides(x, shape), x.offset),
  vjp: (g) => [g], // the engine sums the repeated copies back to the input's shape
});

/** A view repeating size-1 dims to `shape` (-1 keeps a size); new dims may be added on the left. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (shape.length < x.ndim) {
    throw new ShapeError(`expand: target ${fmtShape(shape)} has fewer dims than the tensor ${fmtShape(x.shape)}`);
  }
  const lead = shape.length - x.ndim;
  const target: number[] = []; // packed, not .map: see packedZeros
  for (let i = 0; i < shape.length; i++) target.push(expandedSize(shape, i, lead >= 0 && i >= lead ? x.shape[i - lead] : undefined, x.shape));
  checkNumel("expand", target); // a view, but one no kernel could ever walk in full
  return expandOp([x], target); // a new view even when nothing is repeated, as in PyTorch
}

/** Target size i of expand(x, shape), checked against the tensor's own size there (undefined for a new leading dim). */
function expandedSize(shape: readonly number[], i: number, own: number | undefined, xShape: readonly number[]): number {
  const s = shape[i];
  if (s === -1) {
    if (own === undefined) throw new ShapeError(`expand: -1 is not allowed for a new leading dim (target ${fmtShape(shape)})`);
    return own;
  }
  if (!Number.isInteger(s) || s < 0) throw new ShapeError(`expand: invalid size ${s} in ${fmtShape(shape)}`);
  if (own !== undefined && own !== 1 && own !== s) {
    throw new ShapeError(
      `expand: the expanded size ${s} must match the existing size ${own} at non-singleton dim ${i} ` +
        `(target ${fmtShape(shape)}, tensor ${fmtShape(xShape)})`,
    );
  }
  return s;
}
