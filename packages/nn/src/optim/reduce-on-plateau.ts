/** Reduce the learning rate when a metric stops improving, after PyTorch's ReduceLROnPlateau. */

import { Tensor, ValueError } from "@tensorgrad/autograd";
import { checkOptions, oneOf, type SpecFor } from "../options.js";
import { checkOptimizer, restoreFields, snapshotFields, type AnyOptimizer, type SchedulerStateDict } from "./lr-scheduler.js";

/** ReduceLROnPlateau's options (PyTorch's defaults). */
export interface ReduceLROnPlateauOptions {
  /** "min" (default): the metric should fall (a loss); "max": it should rise (an accuracy). */
  mode?: "min" | "max";
  /** new lr = lr·factor (default 0.1; must be < 1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (default 10). */
  patience?: number;
  /** Minimum change that counts as an improvement (default 1e-4). */
  threshold?: number;
  /** "rel" (default): better than best·(1 ∓ threshold); "abs": better than best ∓ threshold. */
  thresholdMode?: "rel" | "abs";
  /** Epochs to wait after a reduction before counting bad epochs again (default 0). */
  cooldown?: number;
  /** Lower bound on the lr, for all groups or one per group (default 0). */
  minLr?: number | readonly number[];
  /** Reductions smaller than eps are skipped (default 1e-8). */
  eps?: number;
}

/** What ReduceLROnPlateauOptions may hold. */
const SPEC = {
  mode: oneOf("min", "max"), factor: "number", patience: "number", threshold: "number", thresholdMode: oneOf("rel", "abs"), cooldown: "number",
  minLr: ["number", "numbers"], eps: "number",
} as const satisfies SpecFor<ReduceLROnPlateauOptions>;

/**
 * Multiplies each group's lr by `factor` once the metric passed to `step(metric)` has not improved
 * for more than `patience` epochs (never below minLr), then waits `cooldown` epochs.
 */
export class ReduceLROnPlateau {
  mode: "min" | "max";
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: "rel" | "abs";
  cooldown: number;
  minLrs: number[];
  eps: number;
  /** The best metric seen so far. */
  best: number;
  /** Epochs since the last improvement. */
  numBadEpochs = 0;
  /** Epochs of cooldown left. */
  cooldownCounter = 0;
  /** Number of `step()` calls so far. */
  lastEpoch = 0;
  private lastLr: number[];

  constructor(
    /** The optimizer whose learning rates this scheduler sets. */
    readonly optimizer: AnyOptimizer,
    options: ReduceLROnPlateauOptions = {},
  ) {
    checkOptimizer("ReduceLROnPlateau", optimizer);
    checkOptions("ReduceLROnPlateau", options, SPEC);
    const { mode = "min", factor = 0.1, patience = 10, threshold = 1e-4, thresholdMode = "rel", cooldown = 0, minLr = 0, eps = 1e-8 } = options;
    const n = optimizer.paramGroups.length;
    if (!(typeof factor === "number" && factor >= 0 && factor < 1)) throw new ValueError(`ReduceLROnPlateau: invalid factor ${factor} (expected 0 ≤ factor < 1)`);
    if (!Number.isInteger(patience) || patience < 0) throw new ValueError(`ReduceLROnPlateau: invalid patience ${patience}`);
    if (!Number.isInteger(cooldown) || cooldown < 0) throw new ValueError(`ReduceLROnPlateau: invalid cooldown ${cooldown}`);
    if (!(typeof threshold === "number" && threshold >= 0)) throw new ValueError(`ReduceLROnPlateau: invalid threshold ${threshold}`);
    if (!(typeof eps === "number" && eps >= 0)) throw new ValueError(`ReduceLROnPlateau: invalid eps ${eps}`);
    if (Array.isArray(minLr) ? minLr.length !== n : typeof minLr !== "number") {
      throw new ValueError(`ReduceLROnPlateau: expected minLr to be a number or ${n} numbers (one per parameter group)`);
    }
    this.mode = mode;
    this.factor = factor;
    this.patience = patience;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
    this.cooldown = cooldown;
    this.minLrs = typeof minLr === "number" ? Array.from({ length: n }, () => minLr) : [...minLr];
    this.eps = eps;
    this.best = mode === "min" ? Infinity : -Infinity;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  /** Whether `a` improves on `best` by more than the threshold. */
  isBetter(a: number, best: number): boolean {
    const t = this.threshold;
    if (this.mode === "min") return this.thresholdMode === "rel" ? a < best * (1 - t) : a < best - t;
    return this.thresholdMode === "rel" ? a > best * (t + 1) : a > best + t;
  }

  /**
   * Records one epoch's metric and reduces the learning rates if it has plateaued. A tensor metric
   * is read on the host, as PyTorch's `float(metrics)` does; a GPU tensor can only be read
   * asynchronously, so there this throws naming `stepAsync`.
   */
  step(metric: number | Tensor): void {
    if (metric instanceof Tensor && metric.backend.asyncReads) {
      throw new ValueError(
        `ReduceLROnPlateau.step: the metric is on ${metric.device}, which is read asynchronously; use await scheduler.stepAsync(metric) ` +
          "(it reads the metric without blocking, then steps, so the learning rates are set before your next epoch as in PyTorch)",
      );
    }
    this.update(metric instanceof Tensor ? metric.item() : metric);
  }

  /**
   * `step(metric)` for a metric on any device, a GPU's included: waits for the metric's value
   * (`itemAsync`) without blocking, then steps. Await it before the next epoch's optimizer steps,
   * as PyTorch's step waits for a CUDA metric. Calls made without awaiting still apply in order.
   */
  stepAsync(metric: number | Tensor): Promise<void> {
    const value = metric instanceof Tensor ? metric.itemAsync() : Promise.resolve(metric); // the read starts now
    const done = this.#pending.then(async () => this.update(await value));
    this.#pending = done.catch(() => undefined); // a failed read fails its own call, not the later ones
    return done;
  }

  /** The last `stepAsync` still waiting for its metric (so later calls apply after it). */
  #pending: Promise<void> = Promise.resolve();

  /** One epoch with the metric read: counts bad epochs, reduces the rates after `patience` of them. */
  private update(current: number): void {
    if (typeof current !== "number") throw new ValueError(`ReduceLROnPlateau: the metric must be a number or a one-element tensor, got ${typeof current}`);
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else this.numBadEpochs += 1;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((group, i) => {
        const newLr = Math.max(group.lr * this.factor, this.minLrs[i]);
        if (group.lr - newLr > this.eps) group.lr = newLr;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The learning rates after the last `step()`, one per group. */
  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  /** The scheduler's counters and options, for checkpointing. */
  stateDict(): SchedulerStateDict {
    return snapshotFields(this, ["optimizer"]);
  }

  /** Restores counters and options saved by `stateDict()`. */
  loadStateDict(stateDict: SchedulerStateDict): void {
    restoreFields(this, stateDict, "ReduceLROnPlateau", ["optimizer"]);
  }
}
