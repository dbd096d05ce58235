/**
 * Pooling layers: MaxPool1d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d — the ops of
 * @tensorgrad/autograd (ops/max-pool.ts, ops/avg-pool.ts) with their settings kept, and reprs
 * like PyTorch's. Convolutions are in conv.ts.
 */

import {
  ValueError, adaptiveAvgPool2d, avgPool2d, maxPool1d, maxPool2d, type SizeArg, type Tensor,
} from "@tensorgrad/autograd";
import { Module } from "../module.js";
import { checkOptions, type SpecFor } from "../options.js";
import { pyBool, pyTuple } from "./repr.js";

/** Options of MaxPool1d/MaxPool2d (PyTorch's keyword arguments). */
export interface MaxPoolLayerOptions<R extends boolean = boolean> {
  /** Step between windows (default: the kernel size). */
  readonly stride?: SizeArg | null;
  /** Implicit −∞ on both sides (default 0; at most half the kernel). */
  readonly padding?: SizeArg;
  /** Spacing between window taps (default 1). */
  readonly dilation?: SizeArg;
  /** Also return the indices of the maxima (default false): forward then gives [values, indices]. */
  readonly returnIndices?: R;
  /** Round the output size up (default false). */
  readonly ceilMode?: boolean;
}

/** What MaxPoolLayerOptions may hold. */
const MAX_POOL_SPEC = {
  stride: ["number", "numbers", "null"], padding: ["number", "numbers"], dilation: ["number", "numbers"], returnIndices: "boolean", ceilMode: "boolean",
} as const satisfies SpecFor<MaxPoolLayerOptions>;

/** Options of AvgPool2d. */
export interface AvgPoolLayerOptions {
  readonly stride?: SizeArg | null;
  readonly padding?: SizeArg;
  readonly ceilMode?: boolean;
  /** Count the zero padding in each window's divisor (default true). */
  readonly countIncludePad?: boolean;
  /** Divide every window's sum by this instead. */
  readonly divisorOverride?: number | null;
}

/** What AvgPoolLayerOptions may hold. */
const AVG_POOL_SPEC = {
  stride: ["number", "numbers", "null"], padding: ["number", "numbers"], ceilMode: "boolean", countIncludePad: "boolean", divisorOverride: ["number", "null"],
} as const satisfies SpecFor<AvgPoolLayerOptions>;

/** A size as Python prints the value given to the layer: `2` or `(2, 3)`. */
const pySize = (v: SizeArg): string => (typeof v === "number" ? String(v) : pyTuple(v));

/** Throws unless every size is an integer ≥ min (the op checks the rest when called). */
function checkSizes(layer: string, name: string, value: SizeArg, min: number): void {
  const list = typeof value === "number" ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || list.some((v) => !Number.isInteger(v) || v < min)) {
    throw new ValueError(`${layer}: ${name} must be an integer >= ${min} or a list of them, got ${typeof value === "number" ? value : `[${String(value)}]`}`);
  }
}

/** What MaxPool1d and MaxPool2d share: settings, checks and the repr. */
abstract class MaxPoolNd<R extends boolean> extends Module<[Tensor], R extends true ? [Tensor, Tensor] : Tensor> {
  readonly kernelSize: SizeArg;
  readonly stride: SizeArg;
  readonly padding: SizeArg;
  readonly dilation: SizeArg;
  readonly returnIndices: R;
  readonly ceilMode: boolean;

  protected constructor(layer: string, kernelSize: SizeArg, options: MaxPoolLayerOptions<R>) {
    super();
    checkOptions(layer, options, MAX_POOL_SPEC);
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.dilation = options.dilation ?? 1;
    this.returnIndices = (options.returnIndices ?? false) as R;
    this.ceilMode = options.ceilMode ?? false;
    checkSizes(layer, "kernelSize", this.kernelSize, 1);
    checkSizes(layer, "stride", this.stride, 1);
    checkSizes(layer, "padding", this.padding, 0);
    checkSizes(layer, "dilation", this.dilation, 1);
  }

  protected get poolOptions() {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode, returnIndices: this.returnIndices };
  }

  override extraRepr(): string {
    return `kernel_size=${pySize(this.kernelSize)}, stride=${pySize(this.stride)}, padding=${pySize(this.padding)}, dilation=${pySize(this.dilation)}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

type PoolOut<R extends boolean> = R extends true ? [Tensor, Tensor] : Tensor;

/** Max over sliding windows of [N, C, L] (or [C, L]) inputs; `returnIndices` also gives the argmax positions. */
export class MaxPool1d<R extends boolean = false> extends MaxPoolNd<R> {
  constructor(kernelSize: SizeArg, options: MaxPoolLayerOptions<R> = {}) {
    super("MaxPool1d", kernelSize, options);
  }

  /** x [N, C, L] → [N, C, L'] (and int32 indices with returnIndices). */
  forward(x: Tensor): PoolOut<R> {
    return maxPool1d(x, this.kernelSize, this.poolOptions) as PoolOut<R>;
  }
}

/** Max over sliding windows of [N, C, H, W] (or [C, H, W]) inputs; `returnIndices` also gives the argmax indices. */
export class MaxPool2d<R extends boolean = false> extends MaxPoolNd<R> {
  constructor(kernelSize: SizeArg, options: MaxPoolLayerOptions<R> = {}) {
    super("MaxPool2d", kernelSize, options);
  }

  /** x [N, C, H, W] → [N, C, H', W'] (and int32 indices h·W + w with returnIndices). */
  forward(x: Tensor): PoolOut<R> {
    return maxPool2d(x, this.kernelSize, this.poolOptions) as PoolOut<R>;
  }
}

/** Mean over sliding windows of [N, C, H, W] (or [C, H, W]) inputs. */
export class AvgPool2d extends Module {
  readonly kernelSize: SizeArg;
  readonly stride: SizeArg;
  readonly padding: SizeArg;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;

  constructor(kernelSize: SizeArg, options: AvgPoolLayerOptions = {}) {
    super();
    checkOptions("AvgPool2d", options, AVG_POOL_SPEC);
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.ceilMode = options.ceilMode ?? false;
    this.countIncludePad = options.countIncludePad ?? true;
    this.divisorOverride = options.divisorOverride ?? null;
    checkSizes("AvgPool2d", "kernelSize", this.kernelSize, 1);
    checkSizes("AvgPool2d", "stride", this.stride, 1);
    checkSizes("AvgPool2d", "padding", this.padding, 0);
  }

  /** x [N, C, H, W] → [N, C, H', W']. */
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      divisorOverride: this.divisorOverride,
    });
  }

  override extraRepr(): string {
    return `kernel_size=${pySize(this.kernelSize)}, stride=${pySize(this.stride)}, padding=${pySize(this.padding)}`;
  }
}

/** Averages [N, C, H, W] (or [C, H, W]) inputs into outputSize bins (null keeps that input size). */
export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: number | readonly (number | null)[];

  constructor(outputSize: number | readonly (number | null)[]) {
    super();
    const list = typeof outputSize === "number" ? [outputSize] : outputSize;
    if (!Array.isArray(list) || (typeof outputSize !== "number" && list.length !== 2) || list.some((v) => v !== null && (!Number.isInteger(v) || v < 1))) {
      throw new ValueError(`AdaptiveAvgPool2d: outputSize must be an integer >= 1 or 2 of them (null keeps the input's), got ${String(outputSize)}`);
    }
    this.outputSize = outputSize;
  }

  /** x [N, C, H, W] → [N, C, ...outputSize]. */
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }

  override extraRepr(): string {
    const size = this.outputSize;
    return `output_size=${typeof size === "number" ? size : `(${size.map((v) => (v === null ? "None" : String(v))).join(", ")})`}`;
  }
}
