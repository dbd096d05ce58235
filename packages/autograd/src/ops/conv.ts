/**
 * Convolutions: argument rules of conv1d, conv2d and convTranspose2d over the primitives of
 * ops/conv2d.ts (conv2d, and its input gradient, which is the transposed convolution). A 1-d
 * convolution is a 2-d one over a height of 1. The family's other pieces: ops/conv2d.ts (the
 * primitives and where their kernels live), ops/unfold.ts (unfold/fold, used by pooling),
 * ops/window-args.ts (argument rules).
 */

import { DTypeError, ShapeError, ValueError, fmtShape } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { conv2dCore, conv2dTransposeCore } from "./conv2d.js";
import { checkOptionKeys, optionKeys } from "../shape.js";
import { batched, checkFloatInput, checkTensorArg, fmtList, sizes, windowOf, type SizeArg } from "./window-args.js";

/** Options of conv1d/conv2d (PyTorch's keyword arguments; sizes are a number or one per dim). */
export interface ConvOptions {
  /** Step between output positions (default 1). */
  readonly stride?: SizeArg;
  /** Zeros on both sides of each spatial dim (default 0); "valid" is 0, "same" keeps the size (stride 1 only). */
  readonly padding?: SizeArg | "same" | "valid";
  /** Spacing between kernel taps (default 1). */
  readonly dilation?: SizeArg;
  /** Split channels into this many independent groups (default 1). */
  readonly groups?: number;
}

/** Options of convTranspose2d. */
export interface ConvTransposeOptions {
  /** Step of the convolution this one transposes (default 1). */
  readonly stride?: SizeArg;
  /** The padding of the convolution this one transposes: trimmed from both sides of the output (default 0). */
  readonly padding?: SizeArg;
  /** Extra size added on one side of each output dim (default 0; less than stride or dilation). */
  readonly outputPadding?: SizeArg;
  /** Split channels into this many independent groups (default 1). */
  readonly groups?: number;
  /** Spacing between kernel taps (default 1). */
  readonly dilation?: SizeArg;
}

const CONV_OPTIONS = optionKeys<ConvOptions>({ stride: 0, padding: 0, dilation: 0, groups: 0 });
const CONV_TRANSPOSE_OPTIONS = optionKeys<ConvTransposeOptions>({ stride: 0, padding: 0, outputPadding: 0, groups: 0, dilation: 0 });

const LAYOUT: Record<number, string> = { 1: "[N, C, L]", 2: "[N, C, H, W]" };
const WEIGHT: Record<number, string> = { 1: "[outChannels, inChannels/groups, k]", 2: "[outChannels, inChannels/groups, kH, kW]" };

/** Throws unless weight (and bias) are tensors of input's float dtype with the expected ranks. */
function checkOperands(op: string, x: Tensor, weight: Tensor, bias: Tensor | null, nd: number, outChannels: () => number, layout: string): void {
  checkFloatInput(op, "input", x);
  checkTensorArg(op, "weight", weight);
  if (bias !== null) checkTensorArg(op, "bias", bias);
  if (weight.dtype !== x.dtype) throw new DTypeError(`${op}: input (${x.dtype}) and weight (${weight.dtype}) must have the same dtype`);
  if (weight.ndim !== nd + 2) throw new ShapeError(`${op}: expected weight ${layout}, got ${fmtShape(weight.shape)}`);
  if (bias === null) return;
  if (bias.dtype !== x.dtype) throw new DTypeError(`${op}: input (${x.dtype}) and bias (${bias.dtype}) must have the same dtype`);
  if (bias.ndim !== 1 || bias.shape[0] !== outChannels()) {
    throw new ShapeError(`${op}: expected bias of shape [${outChannels()}], got ${fmtShape(bias.shape)}`);
  }
}

function checkGroups(op: string, groups: number): void {
  if (!Number.isInteger(groups) || groups < 1) throw new ValueError(`${op}: groups must be a positive integer, got ${groups}`);
}

/** conv over the last nd (1 or 2) dims of x [N, C, ...], as a 2-d conv with a unit height for nd = 1. */
function convNd(op: string, nd: number, input: Tensor, weight: Tensor, bias: Tensor | null, options: ConvOptions): Tensor {
  checkOptionKeys(op, options, CONV_OPTIONS);
  const groups = options.groups ?? 1;
  checkGroups(op, groups);
  checkOperands(op, input, weight, bias, nd, () => weight.shape[0], WEIGHT[nd]);
  const { x: xb, unbatched } = batched(op, input, nd + 2, LAYOUT[nd]);
  const outChannels = weight.shape[0];
  if (outChannels % groups !== 0) {
    throw new ValueError(`${op}: out channels ${outChannels} must be divisible by groups ${groups} (weight ${fmtShape(weight.shape)})`);
  }
  const channels = weight.shape[1] * groups;
  if (xb.shape[1] !== channels) {
    const g = groups > 1 ? ` (weight ${fmtShape(weight.shape)}, groups ${groups})` : "";
    throw new ShapeError(`${op}: expected input ${LAYOUT[nd]} with C = ${channels}, got ${fmtShape(input.shape)}${g}`);
  }
  // Work in 2-d: a 1-d conv is a 2-d one over a height of 1.
  const x = nd === 1 ? xb.unsqueeze(2) : xb;
  const w = nd === 1 ? weight.unsqueeze(2) : weight;
  const kernel = nd === 1 ? [1, weight.shape[2]] : [weight.shape[2], weight.shape[3]];
  const stride = sizes(op, "stride", options.stride ?? 1, nd, 1);
  const dilation = sizes(op, "dilation", options.dilation ?? 1, nd, 1);
  const spatial = x.shape.slice(2);
  const two = (v: number[], one: number): number[] => (nd === 1 ? [one, v[0]] : v);
  const s = two(stride, 1);
  const d = two(dilation, 1);
  let pad: number[];
  let out: number[];
  const padding = options.padding ?? 0;
  if (padding === "same") {
    if (stride.some((v) => v !== 1)) throw new ValueError(`${op}: padding "same" is not supported for strided convolutions (stride ${fmtList(stride)})`);
    // Total padding d·(k − 1), the odd one extra on the right/bottom (PyTorch's rule).
    pad = kernel.map((k, i) => Math.floor((d[i] * (k - 1)) / 2));
    out = spatial;
  } else {
    const p = padding === "valid" ? nd === 1 ? [0] : [0, 0] : sizes(op, "padding", padding, nd, 0);
    pad = two(p, 0);
    out = spatial.map((size, i) => Math.floor((size + 2 * pad[i] - d[i] * (kernel[i] - 1) - 1) / s[i]) + 1);
  }
  if (out.some((v) => v < 1)) {
    const padded = spatial.map((size, i) => size + 2 * pad[i]);
    const dilated = kernel.map((k, i) => d[i] * (k - 1) + 1);
    const dims = nd === 1 ? 1 : 0;
    throw new ShapeError(
      `${op}: kernel size ${fmtList(dilated.slice(dims))} (dilated) is larger than the padded input ${fmtList(padded.slice(dims))} (input ${fmtShape(input.shape)})`,
    );
  }
  const window = windowOf(kernel, s, pad, d, out[0], out[1]);
  let y = conv2dCore(x, w, bias, window, groups);
  if (nd === 1) y = y.squeeze(2);
  return unbatched ? y.squeeze(0) : y;
}

/**
 * 1-d convolution (cross-correlation, as PyTorch): x [N, C, L] (or [C, L]), weight
 * [outChannels, C/groups, k], optional bias [outChannels] → [N, outChannels, L'].
 */
export function conv1d(input: Tensor, weight: Tensor, bias: Tensor | null = null, options: ConvOptions = {}): Tensor {
  return convNd("conv1d", 1, input, weight, bias, options);
}

/**
 * 2-d convolution (cross-correlation, as PyTorch): x [N, C, H, W] (or [C, H, W]), weight
 * [outChannels, C/groups, kH, kW], optional bias [outChannels] → [N, outChannels, H', W'] with
 * H' = ⌊(H + 2p − d(kH − 1) − 1)/s⌋ + 1.
 */
export function conv2d(input: Tensor, weight: Tensor, bias: Tensor | null = null, options: ConvOptions = {}): Tensor {
  return convNd("conv2d", 2, input, weight, bias, options);
}

/**
 * 2-d transposed convolution (conv2d's gradient with respect to its input; "deconvolution"):
 * x [N, C, H, W] (or [C, H, W]), weight [C, outChannels/groups, kH, kW] → [N, outChannels, H', W']
 * with H' = (H − 1)·s − 2p + d(kH − 1) + outputPadding + 1.
 */
export function convTranspose2d(input: Tensor, weight: Tensor, bias: Tensor | null = null, options: ConvTransposeOptions = {}): Tensor {
  const op = "convTranspose2d";
  checkOptionKeys(op, options, CONV_TRANSPOSE_OPTIONS);
  const groups = options.groups ?? 1;
  checkGroups(op, groups);
  checkOperands(op, input, weight, bias, 2, () => weight.shape[1] * groups, "[inChannels, outChannels/groups, kH, kW]");
  const { x, unbatched } = batched(op, input, 4, LAYOUT[2]);
  const [, c, h, wd] = x.shape;
  const [inChannels, perGroup, kh, kw] = weight.shape;
  if (c !== inChannels) throw new ShapeError(`${op}: expected input [N, C, H, W] with C = ${inChannels}, got ${fmtShape(input.shape)}`);
  if (inChannels % groups !== 0) {
    throw new ValueError(`${op}: in channels ${inChannels} must be divisible by groups ${groups} (weight ${fmtShape(weight.shape)})`);
  }
  const s = sizes(op, "stride", options.stride ?? 1, 2, 1);
  const p = sizes(op, "padding", options.padding ?? 0, 2, 0);
  const op2 = sizes(op, "outputPadding", options.outputPadding ?? 0, 2, 0);
  const d = sizes(op, "dilation", options.dilation ?? 1, 2, 1);
  if (op2.some((v, i) => v >= s[i] && v >= d[i])) {
    throw new ValueError(`${op}: outputPadding must be smaller than either stride or dilation, got outputPadding ${fmtList(op2)}, stride ${fmtList(s)}, dilation ${fmtList(d)}`);
  }
  const k = [kh, kw];
  const out = [h, wd].map((size, i) => (size - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op2[i] + 1);
  if (out.some((v) => v < 1)) throw new ShapeError(`${op}: output size ${fmtList(out)} is too small (input ${fmtShape(input.shape)})`);
  // The transposed convolution is conv2d's input gradient, over a window grid of x's own size
  // (taps that land outside the output are dropped).
  let y = conv2dTransposeCore(x, weight, windowOf(k, s, p, d, h, wd), groups, out[0], out[1]);
  if (bias !== null) y = y.add(bias.reshape([perGroup * groups, 1, 1]));
  return unbatched ? y.squeeze(0) : y;
}
