/**
 * Primitive `view`: the same elements under a new shape, sharing memory. `reshape` copies only when it must.
 * Like every view op here, a same-shape view is still a new tensor with its own graph node (as in
 * PyTorch), so hooks and retainGrad on it never reach the input.
 */

import { ShapeError, fmtShape } from "../errors.js";
import { inferReshape, shapesEqual, viewStrides } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { defineOp, viewTensor } from "./define.js";

interface ViewAttrs {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
}

const viewOp = defineOp<ViewAttrs>({
  name: "view",
  saves: { inputs: false, output: false },
  forward: ([x], { shape, strides }) => viewTensor(x, shape, strides, x.offset),
  vjp: (g, ctx) => [g.reshape(ctx.inputShape(0))], // a view's gradient is reshaped back
});

/** A view with a new shape (one dim may be -1); throws when the memory layout doesn't allow one. */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferReshape("view", x.shape, shape);
  const strides = shapesEqual(target, x.shape) ? x.strides : viewStrides(x.shape, x.strides, target);
  if (!strides) {
    throw new ShapeError(
      `view: a tensor of shape ${fmtShape(x.shape)} with strides ${fmtShape(x.strides)} cannot be viewed as ` +
        `${fmtShape(target)} without a copy; use reshape()`,
    );
  }
  return viewOp([x], { shape: target, strides });
}

/** The same elements under a new shape (one dim may be -1): a view when possible, else a copy. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferReshape("reshape", x.shape, shape);
  const strides = shapesEqual(target, x.shape) ? x.strides : viewStrides(x.shape, x.strides, target);
  return strides ? viewOp([x], { shape: target, strides }) : view(x.contiguous(), target);
}
