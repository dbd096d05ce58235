/**
 * Learning-rate schedulers, after PyTorch's optim/lr_scheduler.py. Each `step()` advances one
 * epoch (or iteration) and writes the new learning rate into every parameter group. Like PyTorch,
 * the schedulers built from `getLr` use the chainable (recursive) form, which multiplies the
 * group's current lr, so they compose with other schedulers and with manual lr changes; their
 * values agree with the closed forms in the docs up to rounding.
 */

import { ValueError } from "@tensorgrad/autograd";
import { checkOptions, showValue } from "../options.js";
import type { Optimizer, OptimizerOptions } from "./optimizer.js";

/** Any optimizer a scheduler can drive. */
export type AnyOptimizer = Optimizer<OptimizerOptions>;

/** A value in a scheduler's state dict. */
export type SchedulerStateValue = number | string | boolean | number[] | null;

/** A scheduler's state dict: its counters and options (never the optimizer or functions). */
export type SchedulerStateDict = Record<string, SchedulerStateValue>;

/** Copies the plain-data fields of `obj` (numbers, strings, booleans, arrays of numbers, null). @internal */
export function snapshotFields(obj: object, skip: readonly string[]): SchedulerStateDict {
  const out: SchedulerStateDict = {};
  for (const [key, value] of Object.entries(obj)) {
    if (skip.includes(key) || typeof value === "function" || value === undefined) continue;
    if (Array.isArray(value)) {
      if (value.every((v) => typeof v === "number")) out[key] = value.slice() as number[];
    }
    else if (value === null || ["number", "string", "boolean"].includes(typeof value)) out[key] = value as SchedulerStateValue;
  }
  return out;
}

/** Writes a snapshot back after checking every key names a field of the same kind. @internal */
export function restoreFields(obj: object, stateDict: SchedulerStateDict, name: string, skip: readonly string[]): void {
  const own = snapshotFields(obj, skip);
  if (stateDict === null || typeof stateDict !== "object") throw new ValueError(`${name}.loadStateDict: expected an object, got ${String(stateDict)}`);
  for (const [key, value] of Object.entries(stateDict)) {
    if (!(key in own)) throw new ValueError(`${name}.loadStateDict: unexpected key "${key}"`);
    const mine = own[key];
    const kind = (v: unknown) => (Array.isArray(v) ? "array" : v === null ? "null" : typeof v);
    if (kind(mine) !== kind(value)) {
      throw new ValueError(`${name}.loadStateDict: "${key}" should be a ${kind(mine)}, got a ${kind(value)}`);
    }
  }
  for (const [key, value] of Object.entries(stateDict)) {
    (obj as Record<string, unknown>)[key] = Array.isArray(value) ? value.slice() : value;
  }
}

const finite = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

/** Throws unless `optimizer` is an Optimizer (something with parameter groups). @internal */
export function checkOptimizer(name: string, optimizer: unknown): asserts optimizer is AnyOptimizer {
  const groups = (optimizer as { paramGroups?: unknown } | null)?.paramGroups;
  if (optimizer === null || typeof optimizer !== "object" || !Array.isArray(groups)) {
    throw new ValueError(`${name}: expected an Optimizer, got ${showValue(optimizer)}`);
  }
}

/** Base class of epoch-based schedulers: `step()` sets each group's lr to `getLr()`. */
export abstract class LRScheduler {
  /** The epoch (number of `step()` calls since construction); 0 right after construction. */
  lastEpoch = -1;
  /** Each group's starting learning rate (its `initialLr`). */
  baseLrs: number[];
  protected lastLr: number[] = [];
  protected stepCount = 0;

  protected constructor(
    /** The optimizer whose learning rates this scheduler sets. */
    readonly optimizer: AnyOptimizer,
    /** The scheduler's name, used in error messages. */
    readonly name: string,
  ) {
    checkOptimizer(name, optimizer);
    // Like PyTorch's setdefault("initial_lr"): a second scheduler on the same optimizer keeps the first one's base.
    for (const group of optimizer.paramGroups) group.initialLr ??= group.lr;
    this.baseLrs = optimizer.paramGroups.map((group) => group.initialLr as number);
  }

  /** Takes the first step (epoch 0); subclasses call it at the end of their constructor. */
  protected initialStep(): void {
    this.step();
  }

  /** The learning rates for epoch `lastEpoch`, one per group. */
  protected abstract getLr(): number[];

  /** Advances one epoch and writes the new learning rates into the optimizer's groups. */
  step(): void {
    this.stepCount += 1;
    this.lastEpoch += 1;
    const lrs = this.getLr();
    this.optimizer.paramGroups.forEach((group, i) => {
      group.lr = lrs[i];
    });
    this.lastLr = this.optimizer.paramGroups.map((group) => group.lr);
  }

  /** The learning rates the last `step()` set, one per group. */
  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  /** The scheduler's counters and options, for checkpointing. */
  stateDict(): SchedulerStateDict {
    return snapshotFields(this, ["optimizer"]);
  }

  /** Restores counters and options saved by `stateDict()`. */
  loadStateDict(stateDict: SchedulerStateDict): void {
    restoreFields(this, stateDict, this.name, ["optimizer"]);
  }

  /** The current learning rate of each group. */
  protected currentLrs(): number[] {
    return this.optimizer.paramGroups.map((group) => group.lr);
  }
}

/** Multiplies the lr by gamma every `stepSize` epochs: lr_t = lr₀·γ^⌊t/stepSize⌋. */
export class StepLR extends LRScheduler {
  constructor(
    optimizer: AnyOptimizer,
    public stepSize: number,
    public gamma = 0.1,
  ) {
    super(optimizer, "StepLR");
    if (!Number.isInteger(stepSize) || stepSize <= 0) throw new ValueError(`StepLR: invalid stepSize ${stepSize} (expected a positive integer)`);
    if (!finite(gamma)) throw new ValueError(`StepLR: invalid gamma ${gamma}`);
    this.initialStep();
  }

  protected getLr(): number[] {
    const lrs = this.currentLrs();
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return lrs;
    return lrs.map((lr) => lr * this.gamma);
  }
}

/** Multiplies the lr by gamma at each milestone epoch: lr_t = lr₀·γ^(number of milestones ≤ t). */
export class MultiStepLR extends LRScheduler {
  /** The milestones, sorted (a milestone listed twice multiplies by γ²). */
  milestones: number[];

  constructor(
    optimizer: AnyOptimizer,
    milestones: readonly number[],
    public gamma = 0.1,
  ) {
    super(optimizer, "MultiStepLR");
    if (!Array.isArray(milestones) || milestones.some((m) => !Number.isInteger(m) || m < 0)) {
      throw new ValueError(`MultiStepLR: invalid milestones [${String(milestones)}] (expected non-negative integers)`);
    }
    if (!finite(gamma)) throw new ValueError(`MultiStepLR: invalid gamma ${gamma}`);
    this.milestones = [...milestones].sort((a, b) => a - b);
    this.initialStep();
  }

  protected getLr(): number[] {
    const count = this.milestones.filter((m) => m === this.lastEpoch).length;
    return this.currentLrs().map((lr) => (count === 0 ? lr : lr * this.gamma ** count));
  }
}

/** Multiplies the lr by gamma every epoch: lr_t = lr₀·γᵗ. */
export class ExponentialLR extends LRScheduler {
  constructor(
    optimizer: AnyOptimizer,
    public gamma: number,
  ) {
    super(optimizer, "ExponentialLR");
    if (!finite(gamma)) throw new ValueError(`ExponentialLR: invalid gamma ${gamma}`);
    this.initialStep();
  }

  protected getLr(): number[] {
    return this.lastEpoch === 0 ? this.currentLrs() : this.currentLrs().map((lr) => lr * this.gamma);
  }
}

/**
 * Cosine annealing from lr₀ to etaMin over tMax epochs: lr_t = η_min + (lr₀ − η_min)(1 + cos(πt/T))/2,
 * computed with PyTorch's recursive form (continuing as a cosine wave past tMax, as PyTorch does).
 */
export class CosineAnnealingLR extends LRScheduler {
  constructor(
    optimizer: AnyOptimizer,
    public tMax: number,
    public etaMin = 0,
  ) {
    super(optimizer, "CosineAnnealingLR");
    if (!finite(tMax) || tMax <= 0) throw new ValueError(`CosineAnnealingLR: invalid tMax ${tMax} (expected a positive number)`);
    if (!finite(etaMin) || etaMin < 0) throw new ValueError(`CosineAnnealingLR: invalid etaMin ${etaMin}`);
    this.initialStep();
  }

  protected getLr(): number[] {
    const { lastEpoch: t, tMax: T, etaMin } = this;
    const lrs = this.currentLrs();
    if (t === 0) return lrs;
    if (this.stepCount === 1 && t > 0) return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((t * Math.PI) / T))) / 2);
    if ((t - 1 - T) % (2 * T) === 0) return lrs.map((lr, i) => lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    return lrs.map((lr) => ((1 + Math.cos((Math.PI * t) / T)) / (1 + Math.cos((Math.PI * (t - 1)) / T))) * (lr - etaMin) + etaMin);
  }
}

/**
 * Scales the lr by a factor going linearly from startFactor to endFactor over totalIters epochs:
 * lr_t = lr₀·(s + (e − s)·min(t, T)/T), computed with PyTorch's recursive form.
 */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;

  constructor(optimizer: AnyOptimizer, options: { startFactor?: number; endFactor?: number; totalIters?: number } = {}) {
    super(optimizer, "LinearLR");
    checkOptions("LinearLR", options, { startFactor: "number", endFactor: "number", totalIters: "number" });
    const { startFactor = 1 / 3, endFactor = 1, totalIters = 5 } = options;
    if (!finite(startFactor) || startFactor <= 0 || startFactor > 1) throw new ValueError(`LinearLR: invalid startFactor ${startFactor} (expected 0 < startFactor ≤ 1)`);
    if (!finite(endFactor) || endFactor < 0 || endFactor > 1) throw new ValueError(`LinearLR: invalid endFactor ${endFactor} (expected 0 ≤ endFactor ≤ 1)`);
    if (!Number.isInteger(totalIters) || totalIters <= 0) throw new ValueError(`LinearLR: invalid totalIters ${totalIters} (expected a positive integer)`);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
    this.initialStep();
  }

  protected getLr(): number[] {
    const { lastEpoch: t, startFactor: s, endFactor: e, totalIters: T } = this;
    const lrs = this.currentLrs();
    if (t === 0) return lrs.map((lr) => lr * s);
    if (t > T) return lrs;
    return lrs.map((lr) => lr * (1 + (e - s) / (T * s + (t - 1) * (e - s))));
  }
}

/** Sets the lr to lr₀·λ(t) for a function λ of the epoch (one per group, or one for all). */
export class LambdaLR extends LRScheduler {
  private readonly lambdas: ((epoch: number) => number)[];

  constructor(optimizer: AnyOptimizer, lrLambda: ((epoch: number) => number) | readonly ((epoch: number) => number)[]) {
    super(optimizer, "LambdaLR");
    const n = optimizer.paramGroups.length;
    if (typeof lrLambda === "function") this.lambdas = Array.from({ length: n }, () => lrLambda);
    else if (Array.isArray(lrLambda) && lrLambda.length === n && lrLambda.every((f) => typeof f === "function")) this.lambdas = [...lrLambda];
    else throw new ValueError(`LambdaLR: expected a function or ${n} functions (one per parameter group)`);
    this.initialStep();
  }

  protected getLr(): number[] {
    return this.baseLrs.map((base, i) => base * this.lambdas[i](this.lastEpoch));
  }
}
