/**
 * Average pooling as composites: avgPool2d sums each window of an unfold (im2col) and divides by
 * PyTorch's per-window divisor; adaptiveAvgPool2d is Ph · x · Pwᵀ with averaging matrices.
 * Gradients (of any order) come from unfold/fold and matmul. The family's other pieces:
 * ops/unfold.ts, ops/max-pool.ts, ops/window-args.ts, backend/cpu/window-kernels.ts.
 */

import { ValueError, fmtShape } from "../errors.js";
import { checkOptionKeys, flagOption, optionKeys } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { im2col } from "./unfold.js";
import {
  batched, checkFloatInput, checkOutputSize, hostTensor, poolArgs, poolOutputSize, sizes, windowOf, type SizeArg,
} from "./window-args.js";

/** Options of avgPool2d (PyTorch's keyword arguments). */
export interface AvgPoolOptions {
  /** Step between windows (default: the kernel size). */
  readonly stride?: SizeArg | null;
  /** Implicit zeros on both sides (default 0; at most half the kernel). */
  readonly padding?: SizeArg;
  /** Round the output size up (default false). */
  readonly ceilMode?: boolean;
  /** Count the zero padding in each window's divisor (default true). */
  readonly countIncludePad?: boolean;
  /** Divide every window's sum by this instead. */
  readonly divisorOverride?: number | null;
}

const AVG_POOL_OPTIONS = optionKeys<AvgPoolOptions>({ stride: 0, padding: 0, ceilMode: 0, countIncludePad: 0, divisorOverride: 0 });

/**
 * The divisor of each window along one dim, PyTorch's rule: the window clipped to the padded
 * input (countIncludePad) or to the input itself.
 */
function windowCounts(size: number, k: number, s: number, p: number, out: number, includePad: boolean): number[] {
  const counts: number[] = [];
  for (let i = 0; i < out; i++) {
    const start = i * s - p;
    const end = Math.min(start + k, size + p);
    counts.push(includePad ? end - start : Math.max(0, Math.min(end, size) - Math.max(start, 0)));
  }
  return counts;
}

/**
 * Mean over sliding windows of x [N, C, H, W] (or [C, H, W]); padding counts as zeros, and in
 * the divisor too unless countIncludePad is false.
 */
export function avgPool2d(input: Tensor, kernelSize: SizeArg, options: AvgPoolOptions = {}): Tensor {
  const op = "avgPool2d";
  checkFloatInput(op, "input", input);
  checkOptionKeys(op, options, AVG_POOL_OPTIONS);
  const ceil = flagOption(op, "ceilMode", options.ceilMode, false);
  const includePad = flagOption(op, "countIncludePad", options.countIncludePad, true);
  const { x, unbatched } = batched(op, input, 4, "[N, C, H, W]");
  const { kernel: k, stride: s, padding: p } = poolArgs(op, 2, kernelSize, options.stride, options.padding ?? 0, 1);
  const override = options.divisorOverride ?? null;
  if (override !== null && (!Number.isFinite(override) || override === 0)) throw new ValueError(`${op}: divisorOverride must be a non-zero number, got ${override}`);
  const [n, c, h, w] = x.shape;
  const out = [h, w].map((size, i) => poolOutputSize(size, k[i], p[i], s[i], 1, ceil));
  checkOutputSize(op, input.shape, out);
  const [oh, ow] = out;
  // Each channel on its own: [N·C, 1, H, W] → columns [N·C, kh·kw, oh·ow], summed per window.
  const sums = im2col(x.reshape([n * c, 1, h, w]), windowOf(k, s, p, [1, 1], oh, ow)).sum(1);
  let y: Tensor;
  if (override !== null) y = sums.div(override);
  else {
    const rows = windowCounts(h, k[0], s[0], p[0], oh, includePad);
    const cols = windowCounts(w, k[1], s[1], p[1], ow, includePad);
    const divisors: number[] = [];
    // A window wholly in the padding sums to 0 (PyTorch writes 0): any non-zero divisor keeps it.
    for (const r of rows) for (const q of cols) divisors.push(r * q || 1);
    y = sums.div(hostTensor(x, x.dtype, divisors, [oh * ow]));
  }
  y = y.reshape([n, c, oh, ow]);
  return unbatched ? y.squeeze(0) : y;
}

/** The [out, size] matrix averaging rows ⌊i·size/out⌋ … ⌈(i+1)·size/out⌉ − 1 into row i. */
function averagingMatrix(like: Tensor, size: number, out: number): Tensor {
  const values = new Array<number>(out * size).fill(0);
  for (let i = 0; i < out; i++) {
    const start = Math.floor((i * size) / out);
    const end = Math.ceil(((i + 1) * size) / out);
    for (let j = start; j < end; j++) values[i * size + j] = 1 / (end - start);
  }
  return hostTensor(like, like.dtype, values, [out, size]);
}

/**
 * Averages x [N, C, H, W] (or [C, H, W]) into outputSize bins, each bin covering input rows
 * ⌊i·H/oh⌋ … ⌈(i+1)·H/oh⌉ − 1 (likewise columns); a null size keeps the input's.
 */
export function adaptiveAvgPool2d(input: Tensor, outputSize: number | readonly (number | null)[]): Tensor {
  const op = "adaptiveAvgPool2d";
  checkFloatInput(op, "input", input);
  const { x, unbatched } = batched(op, input, 4, "[N, C, H, W]");
  const [h, w] = x.shape.slice(2);
  if (h === 0 || w === 0) throw new ValueError(`${op}: expected an input with non-zero spatial size, got ${fmtShape(input.shape)}`);
  const given = typeof outputSize === "number" ? [outputSize, outputSize] : outputSize;
  const [oh, ow] = sizes(op, "outputSize", given.map((v, i) => v ?? [h, w][i]), 2, 1);
  let y: Tensor;
  if (oh === 1 && ow === 1) y = x.mean([2, 3], true);
  else y = averagingMatrix(x, h, oh).matmul(x).matmul(averagingMatrix(x, w, ow).mT); // Ph · x · Pwᵀ
  return unbatched ? y.squeeze(0) : y;
}
