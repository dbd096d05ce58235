/**
 * Primitives `unfold` (im2col: sliding blocks of an image as columns) and `fold` (col2im: columns
 * summed back into an image), each the other's adjoint and so each the other's gradient; as
 * linear maps they give gradients of any order. Convolution and average pooling are built on
 * them (ops/conv.ts, ops/avg-pool.ts); kernels in backend/cpu/window-kernels.ts; argument rules
 * in ops/window-args.ts.
 */

import type { Window2d } from "../backend/backend.js";
import { ShapeError, fmtShape } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { allocTensor, defineOp, type Op } from "./define.js";
import { checkOptionKeys, optionKeys } from "../shape.js";
import { batched, checkFloatInput, fmtList, sizes, windowOf, type SizeArg } from "./window-args.js";

/** The window grid and the image's spatial size: what unfold reads and fold writes. */
export interface FoldAttrs {
  readonly window: Window2d;
  readonly height: number;
  readonly width: number;
}

const unfoldOp: Op<FoldAttrs> = defineOp<FoldAttrs>({
  name: "unfold",
  saves: { inputs: false, output: false },
  forward: ([x], a) => {
    const { kh, kw, oh, ow } = a.window;
    const out = allocTensor(x.backend, [x.shape[0], x.shape[1] * kh * kw, oh * ow], x.dtype);
    x.backend.im2col(x, a.window, out.buffer);
    return out;
  },
  // unfold copies image elements into columns, a linear map U; its vjp is Uᵀ = fold, which sums
  // each column entry back onto the element it was copied from.
  vjp: (g, ctx) => [foldOp([g], ctx.attrs)],
});

const foldOp: Op<FoldAttrs> = defineOp<FoldAttrs>({
  name: "fold",
  saves: { inputs: false, output: false },
  forward: ([cols], a) => {
    const { kh, kw } = a.window;
    const out = allocTensor(cols.backend, [cols.shape[0], cols.shape[1] / (kh * kw), a.height, a.width], cols.dtype);
    cols.backend.col2im(cols, a.window, a.height, a.width, out.buffer);
    return out;
  },
  // fold = Uᵀ, so its vjp is U = unfold: each column entry reads the gradient of the element it was added to.
  vjp: (g, ctx) => [unfoldOp([g], ctx.attrs)],
});

/** @internal im2col of a checked [N, C, H, W] tensor over any window grid (zeros beyond the image). */
export function im2col(x: Tensor, window: Window2d): Tensor {
  return unfoldOp([x], { window, height: x.shape[2], width: x.shape[3] });
}

/** @internal col2im of checked [N, C·kh·kw, oh·ow] columns into a height×width image. */
export function col2im(cols: Tensor, window: Window2d, height: number, width: number): Tensor {
  return foldOp([cols], { window, height, width });
}

/** Options of `unfold` and `fold` (PyTorch's keyword arguments; each a number or one per dim). */
export interface FoldOptions {
  /** Spacing between kernel taps (default 1). */
  readonly dilation?: SizeArg;
  /** Implicit zeros on both sides of each spatial dim (default 0). */
  readonly padding?: SizeArg;
  /** Step between blocks (default 1). */
  readonly stride?: SizeArg;
}

const FOLD_OPTIONS = optionKeys<FoldOptions>({ dilation: 0, padding: 0, stride: 0 });

/** Resolved sizes and the number of blocks along each dim for an image of size h×w. */
function blockGrid(op: string, kernelSize: SizeArg, options: FoldOptions, h: number, w: number): { window: Window2d; blocks: number[] } {
  checkOptionKeys(op, options, FOLD_OPTIONS);
  const k = sizes(op, "kernelSize", kernelSize, 2, 1);
  const d = sizes(op, "dilation", options.dilation ?? 1, 2, 1);
  const p = sizes(op, "padding", options.padding ?? 0, 2, 0);
  const s = sizes(op, "stride", options.stride ?? 1, 2, 1);
  const blocks = [h, w].map((size, i) => Math.floor((size + 2 * p[i] - d[i] * (k[i] - 1) - 1) / s[i]) + 1);
  if (blocks[0] < 1 || blocks[1] < 1) {
    throw new ShapeError(
      `${op}: spatial size ${fmtList([h, w])} with kernelSize ${fmtList(k)}, dilation ${fmtList(d)}, padding ${fmtList(p)}, ` +
        `stride ${fmtList(s)} gives ${fmtList(blocks)} sliding blocks; each must be at least 1`,
    );
  }
  return { window: windowOf(k, s, p, d, blocks[0], blocks[1]), blocks };
}

/**
 * Sliding local blocks of a batched image [N, C, H, W] (or [C, H, W]) as columns
 * [N, C·kh·kw, L], L = the number of blocks (torch.nn.functional.unfold, im2col).
 */
export function unfold(input: Tensor, kernelSize: SizeArg, options: FoldOptions = {}): Tensor {
  checkFloatInput("unfold", "input", input);
  const { x, unbatched } = batched("unfold", input, 4, "[N, C, H, W]");
  const { window } = blockGrid("unfold", kernelSize, options, x.shape[2], x.shape[3]);
  const out = im2col(x, window);
  return unbatched ? out.squeeze(0) : out;
}

/**
 * Sums columns [N, C·kh·kw, L] (or [C·kh·kw, L]) of sliding blocks back into an image
 * [N, C, ...outputSize] (torch.nn.functional.fold, col2im); overlapping entries add up.
 */
export function fold(input: Tensor, outputSize: SizeArg, kernelSize: SizeArg, options: FoldOptions = {}): Tensor {
  checkFloatInput("fold", "input", input);
  const { x, unbatched } = batched("fold", input, 3, "[N, C·kh·kw, L]");
  const [h, w] = sizes("fold", "outputSize", outputSize, 2, 1);
  const k = sizes("fold", "kernelSize", kernelSize, 2, 1);
  if (x.shape[1] % (k[0] * k[1]) !== 0) {
    throw new ShapeError(`fold: expected input's dim ${unbatched ? 0 : 1} to be divisible by the kernel size product ${k[0] * k[1]}, got ${fmtShape(input.shape)}`);
  }
  const { window, blocks } = blockGrid("fold", k, options, h, w);
  if (x.shape[2] !== blocks[0] * blocks[1]) {
    throw new ShapeError(
      `fold: outputSize ${fmtList([h, w])} has ${blocks[0]} * ${blocks[1]} = ${blocks[0] * blocks[1]} sliding blocks, ` +
        `but input ${fmtShape(input.shape)} has ${x.shape[2]}`,
    );
  }
  const out = col2im(x, window, h, w);
  return unbatched ? out.squeeze(0) : out;
}
