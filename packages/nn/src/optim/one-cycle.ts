/** The 1cycle policy (Smith & Topin), after PyTorch's OneCycleLR. */

import { ValueError } from "@tensorgrad/autograd";
import { checkOptions, oneOf, type SpecFor } from "../options.js";
import { LRScheduler, checkOptimizer, type AnyOptimizer } from "./lr-scheduler.js";

/** OneCycleLR's options (PyTorch's defaults). */
export interface OneCycleOptions {
  /** Peak learning rate, for all groups or one per group. */
  maxLr: number | readonly number[];
  /** Number of steps in the cycle; or give epochs and stepsPerEpoch. */
  totalSteps?: number;
  /** With stepsPerEpoch, totalSteps = epochs·stepsPerEpoch. */
  epochs?: number;
  /** With epochs, totalSteps = epochs·stepsPerEpoch. */
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the lr (default 0.3). */
  pctStart?: number;
  /** "cos" (default) or "linear" annealing. */
  annealStrategy?: "cos" | "linear";
  /** Cycle the momentum (SGD's momentum, Adam's β1) inversely to the lr (default true). */
  cycleMomentum?: boolean;
  /** Lowest momentum, reached at the peak lr, for all groups or one per group (default 0.85). */
  baseMomentum?: number | readonly number[];
  /** Highest momentum, at the start and end, for all groups or one per group (default 0.95). */
  maxMomentum?: number | readonly number[];
  /** Starting lr = maxLr/divFactor (default 25). */
  divFactor?: number;
  /** Final lr = starting lr/finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, down to the starting lr, annihilate) instead of two. */
  threePhase?: boolean;
}

/** What OneCycleOptions may hold. */
const SPEC = {
  maxLr: ["number", "numbers"], totalSteps: "number", epochs: "number", stepsPerEpoch: "number", pctStart: "number", annealStrategy: oneOf("cos", "linear"),
  cycleMomentum: "boolean", baseMomentum: ["number", "numbers"], maxMomentum: ["number", "numbers"], divFactor: "number", finalDivFactor: "number", threePhase: "boolean",
} as const satisfies SpecFor<OneCycleOptions>;

/** cos annealing from start to end as pct goes 0 → 1: end + (start − end)/2·(1 + cos(π·pct)). */
function annealCos(start: number, end: number, pct: number): number {
  return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
}

/** linear annealing from start to end: (end − start)·pct + start. */
function annealLinear(start: number, end: number, pct: number): number {
  return (end - start) * pct + start;
}

type Level = "initial" | "max" | "min";

/**
 * The 1cycle schedule, stepped once per batch: the lr rises from maxLr/divFactor to maxLr over
 * pctStart of totalSteps, then anneals to maxLr/(divFactor·finalDivFactor) (three-phase: back to
 * the starting lr, then down to the minimum); momentum moves the opposite way.
 */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  pctStart: number;
  annealStrategy: "cos" | "linear";
  cycleMomentum: boolean;
  threePhase: boolean;
  /** Per group: the starting, peak and final learning rates. */
  initialLrs: number[];
  maxLrs: number[];
  minLrs: number[];
  baseMomentums: number[];
  maxMomentums: number[];
  private readonly useBeta1: boolean;

  constructor(optimizer: AnyOptimizer, options: OneCycleOptions) {
    checkOptimizer("OneCycleLR", optimizer);
    if (options === undefined || options === null) throw new ValueError("OneCycleLR: options with maxLr are required");
    checkOptions("OneCycleLR", options, SPEC);
    const groups = optimizer.paramGroups;
    const o = options;
    const { pctStart = 0.3, annealStrategy = "cos", cycleMomentum = true, baseMomentum = 0.85, maxMomentum = 0.95, divFactor = 25, finalDivFactor = 1e4, threePhase = false } = o;
    let totalSteps: number;
    if (o.totalSteps !== undefined) {
      if (!Number.isInteger(o.totalSteps) || o.totalSteps <= 0) throw new ValueError(`OneCycleLR: invalid totalSteps ${o.totalSteps} (expected a positive integer)`);
      totalSteps = o.totalSteps;
    } else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
      if (!Number.isInteger(o.epochs) || o.epochs <= 0) throw new ValueError(`OneCycleLR: invalid epochs ${o.epochs} (expected a positive integer)`);
      if (!Number.isInteger(o.stepsPerEpoch) || o.stepsPerEpoch <= 0) throw new ValueError(`OneCycleLR: invalid stepsPerEpoch ${o.stepsPerEpoch} (expected a positive integer)`);
      totalSteps = o.epochs * o.stepsPerEpoch;
    } else throw new ValueError("OneCycleLR: you must define either totalSteps or both epochs and stepsPerEpoch");
    if (!(pctStart >= 0 && pctStart <= 1)) throw new ValueError(`OneCycleLR: invalid pctStart ${pctStart} (expected a number in [0, 1])`);
    if (!(divFactor > 0) || !(finalDivFactor > 0)) throw new ValueError(`OneCycleLR: invalid divFactor ${divFactor} or finalDivFactor ${finalDivFactor} (expected positive numbers)`);
    const maxLrs = perGroup("maxLr", o.maxLr, groups.length);
    const initialLrs = maxLrs.map((m) => m / divFactor);
    const defaults = optimizer?.defaults as object | undefined;
    const useBeta1 = defaults !== undefined && "betas" in defaults;
    if (cycleMomentum && !useBeta1 && !(defaults !== undefined && "momentum" in defaults)) {
      throw new ValueError("OneCycleLR: the optimizer must support momentum or beta1 with the cycleMomentum option enabled");
    }
    // As PyTorch does, the starting lr becomes each group's initialLr before the base class reads it.
    groups.forEach((group, i) => {
      group.initialLr = initialLrs[i];
    });
    super(optimizer, "OneCycleLR");
    this.totalSteps = totalSteps;
    this.pctStart = pctStart;
    this.annealStrategy = annealStrategy;
    this.cycleMomentum = cycleMomentum;
    this.threePhase = threePhase;
    this.initialLrs = initialLrs;
    this.maxLrs = maxLrs;
    this.minLrs = initialLrs.map((lr) => lr / finalDivFactor);
    this.baseMomentums = perGroup("baseMomentum", baseMomentum, groups.length);
    this.maxMomentums = perGroup("maxMomentum", maxMomentum, groups.length);
    this.useBeta1 = useBeta1;
    if (cycleMomentum) this.optimizer.paramGroups.forEach((_, i) => this.setMomentum(i, this.maxMomentums[i]));
    this.initialStep();
  }

  private setMomentum(i: number, momentum: number): void {
    const group = this.optimizer.paramGroups[i] as unknown as Record<string, unknown>;
    if (this.useBeta1) {
      const betas = group.betas as readonly number[];
      group.betas = [momentum, ...betas.slice(1)];
    } else group.momentum = momentum;
  }

  protected getLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new ValueError(`OneCycleLR: tried to step ${stepNum} times; the specified number of total steps is ${this.totalSteps}`);
    }
    const T = this.totalSteps;
    const phases: { end: number; lr: [Level, Level]; momentum: ["base" | "max", "base" | "max"] }[] = this.threePhase
      ? [
          { end: this.pctStart * T - 1, lr: ["initial", "max"], momentum: ["max", "base"] },
          { end: 2 * this.pctStart * T - 2, lr: ["max", "initial"], momentum: ["base", "max"] },
          { end: T - 1, lr: ["initial", "min"], momentum: ["max", "max"] },
        ]
      : [
          { end: this.pctStart * T - 1, lr: ["initial", "max"], momentum: ["max", "base"] },
          { end: T - 1, lr: ["max", "min"], momentum: ["base", "max"] },
        ];
    const anneal = this.annealStrategy === "cos" ? annealCos : annealLinear;
    return this.optimizer.paramGroups.map((_, g) => {
      const lrOf = (level: Level) => (level === "initial" ? this.initialLrs[g] : level === "max" ? this.maxLrs[g] : this.minLrs[g]);
      const momOf = (level: "base" | "max") => (level === "base" ? this.baseMomentums[g] : this.maxMomentums[g]);
      // The first phase whose end is not yet passed (the last phase catches everything after).
      let i = phases.findIndex((phase) => stepNum <= phase.end);
      if (i === -1) i = phases.length - 1;
      const phase = phases[i];
      const start = i === 0 ? 0 : phases[i - 1].end;
      const pct = (stepNum - start) / (phase.end - start);
      if (this.cycleMomentum) this.setMomentum(g, anneal(momOf(phase.momentum[0]), momOf(phase.momentum[1]), pct));
      return anneal(lrOf(phase.lr[0]), lrOf(phase.lr[1]), pct);
    });
  }
}

function perGroup(what: string, value: number | readonly number[], n: number): number[] {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) throw new ValueError(`OneCycleLR: invalid ${what} ${value}`);
    return Array.from({ length: n }, () => value);
  }
  if (!Array.isArray(value) || value.length !== n) throw new ValueError(`OneCycleLR: expected ${n} values for ${what} (one per parameter group), got ${String(value)}`);
  value.forEach((v) => {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new ValueError(`OneCycleLR: invalid ${what} ${v}`);
  });
  return [...value];
}
