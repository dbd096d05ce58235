/** Regression losses: mseLoss, l1Loss, smoothL1Loss, huberLoss. */

import { Tensor, where } from "@tensorgrad/autograd";
import { checkFloat, checkNonNegative, checkSameShape } from "../functional/checks.js";
import { checkOptions, type SpecFor } from "../options.js";
import { REDUCTION_SPEC, reduce, type ReductionOptions } from "./reduction.js";

function difference(op: string, input: Tensor, target: Tensor): Tensor {
  checkFloat(op, "input", input);
  checkFloat(op, "target", target);
  checkSameShape(op, input, target);
  return input.sub(target);
}

/** Mean squared error: ℓᵢ = (xᵢ − yᵢ)². */
export function mseLoss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  checkOptions("mseLoss", options, REDUCTION_SPEC);
  return reduce(difference("mseLoss", input, target).square(), options.reduction ?? "mean");
}

/** Mean absolute error: ℓᵢ = |xᵢ − yᵢ|. */
export function l1Loss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  checkOptions("l1Loss", options, REDUCTION_SPEC);
  return reduce(difference("l1Loss", input, target).abs(), options.reduction ?? "mean");
}

/** Options of smoothL1Loss. */
export interface SmoothL1Options extends ReductionOptions {
  /** Where the loss turns from quadratic to linear (default 1; 0 gives l1Loss). */
  readonly beta?: number;
}

/** What SmoothL1Options may hold. */
export const SMOOTH_L1_SPEC = { ...REDUCTION_SPEC, beta: "number" } as const satisfies SpecFor<SmoothL1Options>;

/** Smooth L1: ℓᵢ = 0.5·d²/β if |d| < β else |d| − 0.5β, with d = xᵢ − yᵢ. */
export function smoothL1Loss(input: Tensor, target: Tensor, options: SmoothL1Options = {}): Tensor {
  checkOptions("smoothL1Loss", options, SMOOTH_L1_SPEC);
  const reduction = options.reduction ?? "mean";
  const beta = options.beta ?? 1;
  checkNonNegative("smoothL1Loss", "beta", beta);
  const z = difference("smoothL1Loss", input, target).abs();
  if (beta === 0) return reduce(z, reduction);
  return reduce(where(z.lt(beta), z.square().mul(0.5 / beta), z.sub(0.5 * beta)), reduction);
}

/** Options of huberLoss. */
export interface HuberOptions extends ReductionOptions {
  /** Where the loss turns from quadratic to linear (default 1, must be > 0). */
  readonly delta?: number;
}

/** What HuberOptions may hold. */
export const HUBER_SPEC = { ...REDUCTION_SPEC, delta: "number" } as const satisfies SpecFor<HuberOptions>;

/** Huber: ℓᵢ = 0.5·d² if |d| < δ else δ·(|d| − 0.5δ), with d = xᵢ − yᵢ (= δ·smoothL1 with β = δ). */
export function huberLoss(input: Tensor, target: Tensor, options: HuberOptions = {}): Tensor {
  checkOptions("huberLoss", options, HUBER_SPEC);
  const reduction = options.reduction ?? "mean";
  const delta = options.delta ?? 1;
  checkNonNegative("huberLoss", "delta", delta, true);
  const z = difference("huberLoss", input, target).abs();
  return reduce(where(z.lt(delta), z.square().mul(0.5), z.sub(0.5 * delta).mul(delta)), reduction);
}
