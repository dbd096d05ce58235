/** Primitive `cat`: joins tensors along an existing dim. */

import { promoteTypes } from "../dtype.js";
import { ShapeError, fmtShape } from "../errors.js";
import { normalizeDim } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { castTo } from "./cast.js";
import { allocTensor, commonBackend, defineOp } from "./define.js";
import { narrow } from "./slice.js";
import { checkTensorList } from "../validate.js";

/** The dim to join along, and each input's size along it (the vjp splits the gradient by them). */
interface CatAttrs {
  readonly dim: number;
  readonly sizes: readonly number[];
}

const catOp = defineOp<CatAttrs>({
  name: "cat",
  saves: { inputs: false, output: false },
  forward: (xs, { dim }) => {
    const backend = commonBackend("cat", xs);
    const shape = xs[0].shape.slice();
    shape[dim] = xs.reduce((n, x) => n + x.shape[dim], 0);
    const out = allocTensor(backend, shape, xs[0].dtype, "cat");
    let offset = 0;
    for (const x of xs) {
      backend.copy(x, narrow(out, dim, offset, x.shape[dim]));
      offset += x.shape[dim];
    }
    return out;
  },
  vjp: (g, { attrs: { dim, sizes } }) => {
    let offset = 0; // each input gets back its own stretch of g
    return sizes.map((size) => {
      const piece = narrow(g, dim, offset, size);
      offset += size;
      return piece;
    });
  },
});

/** Concatenates tensors along `dim`; all other sizes must agree. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  checkTensorList("cat", tensors);
  const first = tensors[0];
  const d = normalizeDim("cat", dim, first.ndim);
  if (first.ndim === 0) throw new ShapeError("cat: zero-dimensional tensors cannot be concatenated (use stack)");
  tensors.forEach((t, i) => {
    const ok = t.ndim === first.ndim && t.shape.every((s, j) => j === d || s === first.shape[j]);
    if (!ok) {
      throw new ShapeError(
        `cat: sizes must match except in dim ${d}, but tensor ${i} has shape ${fmtShape(t.shape)} and tensor 0 has ${fmtShape(first.shape)}`,
      );
    }
  });
  if (tensors.length === 1) return first;
  const dtype = tensors.map((t) => t.dtype).reduce(promoteTypes);
  return catOp(tensors.map((t) => castTo(t, dtype)), { dim: d, sizes: tensors.map((t) => t.shape[d]) });
}
