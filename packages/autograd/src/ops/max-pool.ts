/**
 * Primitive `maxPool2d` (values and argmax indices in one kernel pass) and maxPool1d on top of
 * it. Its gradient is the primitive `maxPool2dBackward`, which sends each output's gradient back
 * to the input element it came from (a scatter-add over each flattened plane, one kernel pass);
 * that one's vjp is a gather at the same indices, so second order works too. The family's other
 * pieces: kernels in backend/cpu/window-kernels.ts (forward) and backend/cpu/conv-kernels.ts
 * (backward), argument rules in ops/window-args.ts, average pooling in ops/avg-pool.ts.
 */

import type { Window2d } from "../backend/backend.js";
import { checkOptionKeys, flagOption, optionKeys } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { allocTensor, defineOp } from "./define.js";
import {
  batched, checkFloatInput, checkOutputSize, poolArgs, poolOutputSize, windowOf, type SizeArg,
} from "./window-args.js";

/**
 * The window grid, and the indices the forward computed. Primitives have one output today
 * (DESIGN.md): the forward records its second output here, where the vjp and the caller read it.
 */
interface MaxPoolAttrs {
  readonly window: Window2d;
  indices: Tensor | null;
}

const maxPoolOp = defineOp<MaxPoolAttrs>({
  name: "maxPool2d",
  saves: { inputs: false, output: false },
  forward: ([x], a) => {
    const shape = [x.shape[0], x.shape[1], a.window.oh, a.window.ow];
    const values = allocTensor(x.backend, shape, x.dtype);
    const indices = allocTensor(x.backend, shape, "int32");
    x.backend.maxPool2d(x, a.window, values.buffer, indices.buffer);
    a.indices = indices;
    return values;
  },
  // y = x[idx]: ∂y/∂x is 1 at each output's argmax, so gx = scatter-add of g at idx in each plane
  // (overlapping windows that share a maximum add up).
  vjp: (g, ctx) => {
    const [, , height, width] = ctx.inputShape(0);
    return [maxPoolBackwardOp([g], { indices: ctx.attrs.indices as Tensor, height, width, window: ctx.attrs.window })];
  },
});

/** The argmax indices of a max pooling and its input's spatial size. */
interface MaxPoolBackwardAttrs {
  readonly indices: Tensor;
  readonly height: number;
  readonly width: number;
  /** The pooling windows (GPU kernels bound their search with it). */
  readonly window: Window2d;
}

const maxPoolBackwardOp = defineOp<MaxPoolBackwardAttrs>({
  name: "maxPool2dBackward",
  saves: { inputs: false, output: false },
  forward: ([g], a) => {
    const out = allocTensor(g.backend, [g.shape[0], g.shape[1], a.height, a.width], g.dtype);
    g.backend.maxPool2dBackward(g, a.indices, a.height, a.width, out.buffer, a.window);
    return out;
  },
  // A scatter-add of g at idx is linear in g; its adjoint reads each output's entry back: ḡ gathered at idx.
  vjp: (gbar, ctx) => {
    const [n, c] = gbar.shape;
    const idx = ctx.attrs.indices;
    return [gbar.reshape([n, c, -1]).gather(2, idx.reshape([n, c, -1])).reshape(idx.shape)];
  },
});

/** Options of maxPool1d/maxPool2d (PyTorch's keyword arguments; sizes are a number or one per dim). */
export interface MaxPoolOptions {
  /** Step between windows (default: the kernel size). */
  readonly stride?: SizeArg | null;
  /** Implicit −∞ on both sides (default 0; at most half the kernel). */
  readonly padding?: SizeArg;
  /** Spacing between window taps (default 1). */
  readonly dilation?: SizeArg;
  /** Round the output size up, letting the last window start in the padding's reach (default false). */
  readonly ceilMode?: boolean;
  /** Also return the int32 index of each maximum within its flattened plane (default false). */
  readonly returnIndices?: boolean;
}

const MAX_POOL_OPTIONS = optionKeys<MaxPoolOptions>({ stride: 0, padding: 0, dilation: 0, ceilMode: 0, returnIndices: 0 });

type WithIndices = MaxPoolOptions & { readonly returnIndices: true };
type WithoutIndices = MaxPoolOptions & { readonly returnIndices?: false };

/** Pools x [N, C, H, W] (a 1-d pool is a 2-d one over a height of 1). */
function maxPool(op: string, nd: number, input: Tensor, kernelSize: SizeArg, options: MaxPoolOptions): Tensor | [Tensor, Tensor] {
  checkFloatInput(op, "input", input);
  checkOptionKeys(op, options, MAX_POOL_OPTIONS);
  const returnIndices = flagOption(op, "returnIndices", options.returnIndices, false);
  const ceil = flagOption(op, "ceilMode", options.ceilMode, false);
  const { x: xb, unbatched } = batched(op, input, nd + 2, nd === 1 ? "[N, C, L]" : "[N, C, H, W]");
  const args = poolArgs(op, nd, kernelSize, options.stride, options.padding ?? 0, options.dilation ?? 1);
  const spatial = xb.shape.slice(2);
  const out = spatial.map((size, i) => poolOutputSize(size, args.kernel[i], args.padding[i], args.stride[i], args.dilation[i], ceil));
  checkOutputSize(op, input.shape, out);
  const x = nd === 1 ? xb.unsqueeze(2) : xb;
  const two = (v: number[], one: number): number[] => (nd === 1 ? [one, v[0]] : v);
  const window = windowOf(two(args.kernel, 1), two(args.stride, 1), two(args.padding, 0), two(args.dilation, 1), nd === 1 ? 1 : out[0], out[nd - 1]);
  const attrs: MaxPoolAttrs = { window, indices: null };
  let values = maxPoolOp([x], attrs);
  let indices = attrs.indices as Tensor;
  if (nd === 1) {
    values = values.squeeze(2);
    indices = indices.squeeze(2);
  }
  if (unbatched) {
    values = values.squeeze(0);
    indices = indices.squeeze(0);
  }
  return returnIndices ? [values, indices] : values;
}

/**
 * Max over sliding windows of x [N, C, L] (or [C, L]); with `returnIndices`, also each
 * maximum's int32 position along L.
 */
export function maxPool1d(input: Tensor, kernelSize: SizeArg, options: WithIndices): [Tensor, Tensor];
export function maxPool1d(input: Tensor, kernelSize: SizeArg, options?: WithoutIndices): Tensor;
export function maxPool1d(input: Tensor, kernelSize: SizeArg, options?: MaxPoolOptions): Tensor | [Tensor, Tensor];
export function maxPool1d(input: Tensor, kernelSize: SizeArg, options: MaxPoolOptions = {}): Tensor | [Tensor, Tensor] {
  return maxPool("maxPool1d", 1, input, kernelSize, options);
}

/**
 * Max over sliding windows of x [N, C, H, W] (or [C, H, W]); with `returnIndices`, also each
 * maximum's int32 index h·W + w in its plane (PyTorch's indices, for maxUnpool).
 */
export function maxPool2d(input: Tensor, kernelSize: SizeArg, options: WithIndices): [Tensor, Tensor];
export function maxPool2d(input: Tensor, kernelSize: SizeArg, options?: WithoutIndices): Tensor;
export function maxPool2d(input: Tensor, kernelSize: SizeArg, options?: MaxPoolOptions): Tensor | [Tensor, Tensor];
export function maxPool2d(input: Tensor, kernelSize: SizeArg, options: MaxPoolOptions = {}): Tensor | [Tensor, Tensor] {
  return maxPool("maxPool2d", 2, input, kernelSize, options);
}
