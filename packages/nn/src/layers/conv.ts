/**
 * Conv1d, Conv2d and ConvTranspose2d: PyTorch's parameter names, layouts and default
 * initialization around the ops in @tensorgrad/autograd (ops/conv.ts there). Pooling layers are
 * in pooling.ts, BatchNorm2d in batch-norm-2d.ts, GroupNorm in group-norm.ts.
 */

import {
  Generator, ValueError, conv1d, conv2d, convTranspose2d, pad, zeros, type PadMode, type SizeArg, type Tensor,
} from "@tensorgrad/autograd";
import { checkInt } from "../functional/checks.js";
import { Module } from "../module.js";
import { checkOptions, oneOf, type OptionSpec, type SpecFor } from "../options.js";
import { Parameter } from "../parameter.js";
import { DTYPE_SPEC, resetWeightAndBias, type DTypeOptions } from "./linear.js";
import { pyTuple } from "./repr.js";

/** How a conv layer pads: zeros (inside the op) or one of pad's modes (before it). */
export type PaddingMode = "zeros" | Exclude<PadMode, "constant">;

/** Options of Conv1d/Conv2d (PyTorch's keyword arguments). */
export interface ConvLayerOptions extends DTypeOptions {
  /** Step between output positions (default 1). */
  readonly stride?: SizeArg;
  /** Padding on both sides of each spatial dim, or "valid" / "same" (default 0). */
  readonly padding?: SizeArg | "same" | "valid";
  /** Spacing between kernel taps (default 1). */
  readonly dilation?: SizeArg;
  /** Independent channel groups (default 1). */
  readonly groups?: number;
  /** Learn an additive bias (default true). */
  readonly bias?: boolean;
  /** "zeros" (default), "reflect", "replicate" or "circular". */
  readonly paddingMode?: PaddingMode;
  /** Random source of the initial weights (the default generator when omitted). */
  readonly generator?: Generator;
}

/** What ConvLayerOptions may hold. */
const CONV_SPEC = {
  stride: ["number", "numbers"], padding: ["number", "numbers", oneOf("same", "valid")], dilation: ["number", "numbers"], groups: "number",
  bias: "boolean", paddingMode: oneOf("zeros", "reflect", "replicate", "circular"), generator: "generator", ...DTYPE_SPEC,
} as const satisfies SpecFor<ConvLayerOptions>;

/** Options of ConvTranspose2d. */
export interface ConvTransposeLayerOptions extends DTypeOptions {
  readonly stride?: SizeArg;
  /** The padding of the convolution this one transposes (default 0). */
  readonly padding?: SizeArg;
  /** Extra size on one side of each output dim (default 0). */
  readonly outputPadding?: SizeArg;
  readonly groups?: number;
  readonly bias?: boolean;
  readonly dilation?: SizeArg;
  /** Only "zeros", as in PyTorch. */
  readonly paddingMode?: "zeros";
  readonly generator?: Generator;
}

/** What ConvTransposeLayerOptions may hold. */
const CONV_TRANSPOSE_SPEC = {
  stride: ["number", "numbers"], padding: ["number", "numbers"], outputPadding: ["number", "numbers"], groups: "number", bias: "boolean",
  dilation: ["number", "numbers"], paddingMode: oneOf("zeros"), generator: "generator", ...DTYPE_SPEC,
} as const satisfies SpecFor<ConvTransposeLayerOptions>;

/** `value` as n integers ≥ min (a number repeats), for a layer's constructor. */
function tupleOf(layer: string, name: string, value: SizeArg, n: number, min: number): number[] {
  const list = typeof value === "number" ? Array.from({ length: n }, () => value) : [...value];
  if (list.length !== n || list.some((v) => !Number.isInteger(v) || v < min)) {
    throw new ValueError(`${layer}: ${name} must be an integer >= ${min} or ${n} of them, got ${typeof value === "number" ? value : `[${list.join(", ")}]`}`);
  }
  return list;
}

/** What the conv layers share: channel checks, the weight and bias, PyTorch's init and repr. */
abstract class ConvNd extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[] | "same" | "valid";
  readonly dilation: readonly number[];
  readonly outputPadding: readonly number[];
  readonly groups: number;
  readonly paddingMode: PaddingMode;
  weight: Parameter;
  bias: Parameter | null;

  protected constructor(
    layer: string, transposed: boolean, nd: number, inChannels: number, outChannels: number, kernelSize: SizeArg,
    options: ConvLayerOptions & { readonly outputPadding?: SizeArg }, spec: OptionSpec,
  ) {
    super();
    checkOptions(layer, options, spec);
    checkInt(layer, "inChannels", inChannels, 1);
    checkInt(layer, "outChannels", outChannels, 1);
    const groups = options.groups ?? 1;
    if (!Number.isInteger(groups) || groups < 1) throw new ValueError(`${layer}: groups must be a positive integer, got ${groups}`);
    if (inChannels % groups !== 0) throw new ValueError(`${layer}: inChannels must be divisible by groups (${inChannels} % ${groups} != 0)`);
    if (outChannels % groups !== 0) throw new ValueError(`${layer}: outChannels must be divisible by groups (${outChannels} % ${groups} != 0)`);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.groups = groups;
    this.kernelSize = tupleOf(layer, "kernelSize", kernelSize, nd, 1);
    this.stride = tupleOf(layer, "stride", options.stride ?? 1, nd, 1);
    this.dilation = tupleOf(layer, "dilation", options.dilation ?? 1, nd, 1);
    this.outputPadding = tupleOf(layer, "outputPadding", options.outputPadding ?? 0, nd, 0);
    const padding = options.padding ?? 0;
    if (padding === "same" || padding === "valid") {
      if (padding === "same" && this.stride.some((s) => s !== 1)) {
        throw new ValueError(`${layer}: padding "same" is not supported for strided convolutions (stride ${pyTuple(this.stride)})`);
      }
      this.padding = padding;
    } else this.padding = tupleOf(layer, "padding", padding, nd, 0);
    this.paddingMode = options.paddingMode ?? "zeros";
    const dtype = options.dtype ?? "float32";
    const shape = transposed ? [inChannels, outChannels / groups, ...this.kernelSize] : [outChannels, inChannels / groups, ...this.kernelSize];
    this.weight = new Parameter(zeros(shape, { dtype }));
    this.bias = options.bias ?? true ? new Parameter(zeros([outChannels], { dtype })) : null;
    this.resetParameters(options.generator);
  }

  /**
   * PyTorch's default init: weight ~ kaiming_uniform(a = √5) = U(±1/√fanIn), bias ~ U(±1/√fanIn),
   * fanIn = weight.size(1)·Πkernel (so (in/groups)·Πk, or (out/groups)·Πk when transposed).
   */
  resetParameters(generator?: Generator): void {
    resetWeightAndBias(this.weight, this.bias, generator);
  }

  /** Runs conv1d/conv2d with this layer's settings, padding by mode first when it isn't zeros. */
  protected convolve(x: Tensor, op: typeof conv1d | typeof conv2d): Tensor {
    const options = { stride: this.stride, dilation: this.dilation, groups: this.groups };
    if (this.paddingMode === "zeros") return op(x, this.weight, this.bias, { ...options, padding: this.padding });
    return op(pad(x, this.reversedPadding(), this.paddingMode), this.weight, this.bias, { ...options, padding: 0 });
  }

  /** The pad list for a non-zeros paddingMode (last dim first, as pad takes it). */
  private reversedPadding(): number[] {
    const out: number[] = [];
    for (let i = this.kernelSize.length - 1; i >= 0; i--) {
      if (this.padding === "valid") out.push(0, 0);
      else if (this.padding === "same") {
        const total = this.dilation[i] * (this.kernelSize[i] - 1);
        out.push(Math.floor(total / 2), total - Math.floor(total / 2));
      } else out.push(this.padding[i], this.padding[i]);
    }
    return out;
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}`;
    if (typeof this.padding === "string") s += `, padding=${this.padding}`;
    else if (this.padding.some((p) => p !== 0)) s += `, padding=${pyTuple(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${pyTuple(this.dilation)}`;
    if (this.outputPadding.some((p) => p !== 0)) s += `, output_padding=${pyTuple(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ", bias=False";
    if (this.paddingMode !== "zeros") s += `, padding_mode=${this.paddingMode}`;
    return s;
  }
}

/**
 * 1-d convolution over [N, C, L] (or [C, L]) inputs: weight [out, in/groups, k] and bias [out],
 * initialized as PyTorch's.
 */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: SizeArg, options: ConvLayerOptions = {}) {
    super("Conv1d", false, 1, inChannels, outChannels, kernelSize, options, CONV_SPEC);
  }

  /** x [N, inChannels, L] → [N, outChannels, L']. */
  forward(x: Tensor): Tensor {
    return this.convolve(x, conv1d);
  }
}

/**
 * 2-d convolution over [N, C, H, W] (or [C, H, W]) inputs: weight [out, in/groups, kH, kW] and
 * bias [out], initialized as PyTorch's.
 */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: SizeArg, options: ConvLayerOptions = {}) {
    super("Conv2d", false, 2, inChannels, outChannels, kernelSize, options, CONV_SPEC);
  }

  /** x [N, inChannels, H, W] → [N, outChannels, H', W']. */
  forward(x: Tensor): Tensor {
    return this.convolve(x, conv2d);
  }
}

/**
 * 2-d transposed convolution ("deconvolution") over [N, C, H, W] (or [C, H, W]): weight
 * [in, out/groups, kH, kW] and bias [out], initialized as PyTorch's. `forward(x, outputSize)`
 * picks the outputPadding that gives that size, as PyTorch's does.
 */
export class ConvTranspose2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: SizeArg, options: ConvTransposeLayerOptions = {}) {
    super("ConvTranspose2d", true, 2, inChannels, outChannels, kernelSize, options, CONV_TRANSPOSE_SPEC);
  }

  /** x [N, inChannels, H, W] → [N, outChannels, H', W'], H' = (H − 1)·s − 2p + d(k − 1) + outputPadding + 1. */
  forward(x: Tensor, outputSize?: readonly number[]): Tensor {
    const padding = this.padding as readonly number[];
    return convTranspose2d(x, this.weight, this.bias, {
      stride: this.stride,
      padding,
      outputPadding: outputSize === undefined ? this.outputPadding : this.outputPaddingFor(x, outputSize),
      groups: this.groups,
      dilation: this.dilation,
    });
  }

  /** PyTorch's _output_padding: the extra size that makes the output `outputSize`. */
  private outputPaddingFor(x: Tensor, outputSize: readonly number[]): number[] {
    const lead = x.ndim === 4 ? 2 : 1;
    const size = outputSize.length === lead + 2 ? outputSize.slice(lead) : [...outputSize];
    if (size.length !== 2) {
      throw new ValueError(`ConvTranspose2d: for ${x.ndim}D input, outputSize must have 2 or ${lead + 2} elements (got ${outputSize.length})`);
    }
    const padding = this.padding as readonly number[];
    return size.map((want, d) => {
      const min = (x.shape[lead + d] - 1) * this.stride[d] - 2 * padding[d] + this.dilation[d] * (this.kernelSize[d] - 1) + 1;
      const max = min + this.stride[d] - 1;
      if (want < min || want > max) {
        throw new ValueError(`ConvTranspose2d: requested an output size of [${size.join(", ")}], but valid sizes range from ${min} to ${max} along dim ${d} (for an input of [${x.shape.slice(lead).join(", ")}])`);
      }
      return want - min;
    });
  }
}
