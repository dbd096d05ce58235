/** Masking composites over `where`: tril, triu, maskedFill (their gradients are where's). */

import { DTypeError, ShapeError, ValueError, fmtShape } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { castTo } from "./cast.js";
import { rangeLike } from "./constants.js";
import { scalarTensor } from "./elementwise.js";
import { where } from "./where.js";

/** x with the elements above (tril) or below (triu) the `diagonal`-th diagonal of its last two dims set to 0. */
function triangle(op: "tril" | "triu", x: Tensor, diagonal: number): Tensor {
  if (x.ndim < 2) throw new ShapeError(`${op}: expected a tensor with at least 2 dims, got ${fmtShape(x.shape)}`);
  if (!Number.isInteger(diagonal)) throw new ValueError(`${op}: diagonal must be an integer, got ${diagonal}`);
  const rows = x.shape[x.ndim - 2];
  const cols = x.shape[x.ndim - 1];
  // column − row is the diagonal an element lies on (0 the main one, > 0 above it)
  const offset = rangeLike(x, cols).sub(rangeLike(x, rows).reshape([rows, 1]));
  const keep = op === "tril" ? offset.le(diagonal) : offset.ge(diagonal);
  return where(keep, x, scalarTensor(0, x.dtype, x));
}

/** The lower triangle: elements with column − row ≤ diagonal kept, the rest 0 (batched over leading dims). */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return triangle("tril", x, diagonal);
}

/** The upper triangle: elements with column − row ≥ diagonal kept, the rest 0 (batched over leading dims). */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return triangle("triu", x, diagonal);
}

/**
 * `value` where the bool `mask` is true, x elsewhere; the mask broadcasts with x. A number is
 * converted to x's dtype; a 0-d tensor value gets the sum of the gradient where the mask is true.
 */
export function maskedFill(x: Tensor, mask: Tensor, value: number | Tensor): Tensor {
  if (mask.dtype !== "bool") throw new DTypeError(`maskedFill: mask must be bool, got ${mask.dtype}`);
  let fill: Tensor;
  if (typeof value === "number") fill = scalarTensor(value, x.dtype, x);
  else {
    if (value.ndim !== 0) throw new ShapeError(`maskedFill: value must be a number or a 0-d tensor, got shape ${fmtShape(value.shape)}`);
    fill = castTo(value, x.dtype);
  }
  return where(mask, fill, x);
}
