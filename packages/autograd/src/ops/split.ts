/**
 * Primitive `split`: the pieces of x along one dim, as views (no copy), recorded as ONE graph node
 * with an output per piece. Its backward joins the pieces' gradients with `cat` (zeros for a
 * piece that received none), so x's gradient is written once. As separate slices each piece's
 * gradient was a zero tensor of x's full shape with the piece copied in, and backward added them
 * up: nanoGPT's q, k, v = c_attn(x).split(C, 2) cost three full-size zero fills and two full-size
 * adds per layer. Written with cat, the backward is differentiable (higher-order gradients).
 * The user-facing split/chunk (argument checks) are in shape-ops.ts.
 */

import { isGradEnabled } from "../engine/grad-mode.js";
import { Node, type BackwardFn, type OpKind } from "../engine/node.js";
import type { Tensor } from "../tensor.js";
import { cat } from "./cat.js";
import { creationSite } from "./define.js";
import { registerOpName } from "./registry.js";
import { sliceView } from "./slice.js";

/** The dim and each piece's size along it. */
interface SplitAttrs {
  readonly dim: number;
  readonly sizes: readonly number[];
}

registerOpName("split");

// ∂x = cat(∂piece₀, ∂piece₁, …) along dim: each piece is the identity on its stretch of x.
const backwardFn: BackwardFn = (grads, node) => {
  const { dim, sizes } = node.attrs as SplitAttrs;
  let some: Tensor | undefined;
  for (let i = 0; i < grads.length && some === undefined; i++) some = grads[i] ?? undefined;
  if (some === undefined) return [null];
  const parts: Tensor[] = [];
  for (let i = 0; i < sizes.length; i++) parts.push(grads[i] ?? some.newZeros(node.outputShape(i)));
  return [cat(parts, dim)];
};

const kind: OpKind = { name: "split", backwardFn };

/** x cut along `dim` into pieces of `sizes` (which sum to x.shape[dim]), as views with one shared node. */
export function splitPieces(x: Tensor, dim: number, sizes: readonly number[]): Tensor[] {
  const pieces: Tensor[] = [];
  let start = 0;
  for (let i = 0; i < sizes.length; i++) {
    pieces.push(sliceView(x, { dim, start, length: sizes[i], step: 1 }));
    start += sizes[i];
  }
  if (!isGradEnabled() || !x.requiresGrad || !x.isFloatingPoint()) return pieces;
  const node = new Node(kind, [x], [], pieces, creationSite(), { dim, sizes });
  for (let i = 0; i < pieces.length; i++) pieces[i].attachGradFn(node, i);
  return pieces;
}
