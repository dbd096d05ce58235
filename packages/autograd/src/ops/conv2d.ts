/**
 * Primitives of 2-d convolution: the forward `conv2d` (bias fused), and its two gradients
 * `conv2dInputGrad` and `conv2dWeightGrad` as primitives of their own. The three are bilinear
 * and each one's vjp is written with the others, so gradients of any order stay on these
 * kernels. The family's other pieces: argument rules and conv1d/convTranspose2d in ops/conv.ts,
 * the Backend contracts in backend/backend.ts, the cpu oracle in backend/cpu/conv-kernels.ts,
 * the wasm kernels in backend/wasm/conv.ts and assembly/conv.ts.
 *
 * With ⟨a, b⟩ the elementwise inner product, y = conv(x, w), dx = inputGrad(g, w) and
 * dw = weightGrad(x, g) are defined by ⟨g, conv(x, w)⟩ = ⟨inputGrad(g, w), x⟩ = ⟨weightGrad(x, g), w⟩:
 * all three are the one trilinear form Σ g[n,o,i,j]·w[o,c,r,q]·x[n,c,tap], differentiated
 * with respect to a different argument.
 */

import type { Window2d } from "../backend/backend.js";
import type { Tensor } from "../tensor.js";
import { allocTensor, defineOp, type Op } from "./define.js";

/** The window grid over the input, the channel groups, the input's spatial size, and whether conv2d has a bias input. */
export interface Conv2dAttrs {
  readonly bias: boolean;
  readonly window: Window2d;
  readonly groups: number;
  readonly height: number;
  readonly width: number;
}

/** The attrs of the gradient primitives, which have no bias input. */
function unbiased(a: Conv2dAttrs): Conv2dAttrs {
  return a.bias ? { ...a, bias: false } : a;
}

/** y = conv(x, w) (+ b): inputs [x [N, C, H, W], w [O, C/groups, kh, kw]] or with b [O]. */
const conv2dOp: Op<Conv2dAttrs> = defineOp<Conv2dAttrs>({
  name: "conv2d",
  saves: { inputs: "forOthers", output: false },
  forward: ([x, w, b], a) => {
    const out = allocTensor(x.backend, [x.shape[0], w.shape[0], a.window.oh, a.window.ow], x.dtype);
    x.backend.conv2d(x, w, b ?? null, a.window, a.groups, out.buffer);
    return out;
  },
  // ∂⟨g, conv(x, w) + b⟩: dx = inputGrad(g, w), dw = weightGrad(x, g), db = Σ_{n,i,j} g.
  vjp: (g, ctx) => [
    ctx.needsInputGrad(0) ? conv2dInputGradOp([g, ctx.input(1)], unbiased(ctx.attrs)) : null,
    ctx.needsInputGrad(1) ? conv2dWeightGradOp([ctx.input(0), g], unbiased(ctx.attrs)) : null,
    // Σ over (i, j) first, then over n: both are sums over trailing/leading dims, which the wasm
    // backend runs in SIMD (one sum over [0, 2, 3] is a strided loop on the cpu kernel).
    ctx.attrs.bias && ctx.needsInputGrad(2) ? g.sum([2, 3]).sum(0) : null,
  ],
});

/** dx = inputGrad(g, w): inputs [g [N, O, oh, ow], w], output [N, C, height, width]. */
const conv2dInputGradOp: Op<Conv2dAttrs> = defineOp<Conv2dAttrs>({
  name: "conv2dInputGrad",
  saves: { inputs: "forOthers", output: false },
  forward: ([g, w], a) => {
    const out = allocTensor(g.backend, [g.shape[0], w.shape[1] * a.groups, a.height, a.width], g.dtype);
    g.backend.conv2dInputGrad(g, w, a.window, a.groups, a.height, a.width, out.buffer);
    return out;
  },
  // ⟨ḡ, inputGrad(g, w)⟩ = ⟨g, conv(ḡ, w)⟩ = ⟨w, weightGrad(ḡ, g)⟩.
  vjp: (gbar, ctx) => [
    ctx.needsInputGrad(0) ? conv2dOp([gbar, ctx.input(1)], ctx.attrs) : null,
    ctx.needsInputGrad(1) ? conv2dWeightGradOp([gbar, ctx.input(0)], ctx.attrs) : null,
  ],
});

/** dw = weightGrad(x, g): inputs [x [N, C, H, W], g [N, O, oh, ow]], output w's shape. */
const conv2dWeightGradOp: Op<Conv2dAttrs> = defineOp<Conv2dAttrs>({
  name: "conv2dWeightGrad",
  saves: { inputs: "forOthers", output: false },
  forward: ([x, g], a) => {
    const out = allocTensor(x.backend, [g.shape[1], x.shape[1] / a.groups, a.window.kh, a.window.kw], x.dtype);
    x.backend.conv2dWeightGrad(x, g, a.window, a.groups, out.buffer);
    return out;
  },
  // ⟨w̄, weightGrad(x, g)⟩ = ⟨x, inputGrad(g, w̄)⟩ = ⟨g, conv(x, w̄)⟩.
  vjp: (wbar, ctx) => [
    ctx.needsInputGrad(0) ? conv2dInputGradOp([ctx.input(1), wbar], ctx.attrs) : null,
    ctx.needsInputGrad(1) ? conv2dOp([ctx.input(0), wbar], ctx.attrs) : null,
  ],
});

/** @internal conv2d of checked x [N, C, H, W] and weight over the window grid (+ bias [O]): [N, O, oh, ow]. */
export function conv2dCore(x: Tensor, weight: Tensor, bias: Tensor | null, window: Window2d, groups: number): Tensor {
  // The gradient primitives reuse these attrs without a bias: only conv2d's own node has one.
  const attrs: Conv2dAttrs = { bias: bias !== null, window, groups, height: x.shape[2], width: x.shape[3] };
  return conv2dOp(bias === null ? [x, weight] : [x, weight, bias], attrs);
}

/**
 * @internal The transposed convolution of checked x [N, O, oh, ow] with weight [O, C/groups, kh,
 * kw] into [N, C, height, width]: conv2d's input gradient, whose window grid is x's own size.
 */
export function conv2dTransposeCore(x: Tensor, weight: Tensor, window: Window2d, groups: number, height: number, width: number): Tensor {
  return conv2dInputGradOp([x, weight], { bias: false, window, groups, height, width });
}
