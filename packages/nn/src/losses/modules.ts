/** The losses as Modules: `new CrossEntropyLoss().call(logits, target)`. Class weights are buffers. */

import type { Tensor } from "@tensorgrad/autograd";
import { Module } from "../module.js";
import { checkOptions, type OptionSpec } from "../options.js";
import { BCE_SPEC, BCE_WITH_LOGITS_SPEC, binaryCrossEntropy, binaryCrossEntropyWithLogits, type BCEOptions, type BCEWithLogitsOptions } from "./binary.js";
import { CROSS_ENTROPY_SPEC, NLL_LOSS_SPEC, crossEntropy, nllLoss, type CrossEntropyOptions, type NLLLossOptions } from "./classification.js";
import { REDUCTION_SPEC, type Reduction, type ReductionOptions } from "./reduction.js";
import { HUBER_SPEC, SMOOTH_L1_SPEC, huberLoss, l1Loss, mseLoss, smoothL1Loss, type HuberOptions, type SmoothL1Options } from "./regression.js";

/** Base class of the loss modules: forward(input, target) → loss, with a `reduction`. */
export abstract class Loss extends Module<[Tensor, Tensor], Tensor> {
  readonly reduction: Reduction;

  /** Checks `options` against `spec` (the loss function's, naming `op`) and keeps the reduction. */
  constructor(op: string, options: ReductionOptions = {}, spec: OptionSpec = REDUCTION_SPEC) {
    super();
    checkOptions(op, options, spec);
    this.reduction = options.reduction ?? "mean";
  }
}

/** Mean squared error (see mseLoss). */
export class MSELoss extends Loss {
  constructor(options: ReductionOptions = {}) {
    super("MSELoss", options);
  }

  /** (x − y)², reduced. */
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

/** Mean absolute error (see l1Loss). */
export class L1Loss extends Loss {
  constructor(options: ReductionOptions = {}) {
    super("L1Loss", options);
  }

  /** |x − y|, reduced. */
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

/** Smooth L1 (see smoothL1Loss). */
export class SmoothL1Loss extends Loss {
  readonly beta: number;

  constructor(options: SmoothL1Options = {}) {
    super("SmoothL1Loss", options, SMOOTH_L1_SPEC);
    this.beta = options.beta ?? 1;
  }

  /** 0.5d²/β if |d| < β else |d| − 0.5β, reduced. */
  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/** Huber loss (see huberLoss). */
export class HuberLoss extends Loss {
  readonly delta: number;

  constructor(options: HuberOptions = {}) {
    super("HuberLoss", options, HUBER_SPEC);
    this.delta = options.delta ?? 1;
  }

  /** 0.5d² if |d| < δ else δ(|d| − 0.5δ), reduced. */
  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/** Binary cross entropy on probabilities (see binaryCrossEntropy); `weight` is a buffer. */
export class BCELoss extends Loss {
  weight: Tensor | null = null;

  constructor(options: BCEOptions = {}) {
    super("BCELoss", options, BCE_SPEC);
    this.registerBuffer("weight", options.weight ?? null);
  }

  /** −w(y log p + (1 − y) log(1 − p)), reduced. */
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { reduction: this.reduction, weight: this.weight });
  }
}

/** Stable binary cross entropy on logits (see binaryCrossEntropyWithLogits); weights are buffers. */
export class BCEWithLogitsLoss extends Loss {
  weight: Tensor | null = null;
  posWeight: Tensor | null = null;

  constructor(options: BCEWithLogitsOptions = {}) {
    super("BCEWithLogitsLoss", options, BCE_WITH_LOGITS_SPEC);
    this.registerBuffer("weight", options.weight ?? null);
    this.registerBuffer("posWeight", options.posWeight ?? null, { key: "pos_weight" }); // PyTorch's key
  }

  /** max(x, 0) − xy + log(1 + e^{−|x|}) (with weights), reduced. */
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, { reduction: this.reduction, weight: this.weight, posWeight: this.posWeight });
  }
}

/** Cross entropy on logits (see crossEntropy); the class `weight` is a buffer. */
export class CrossEntropyLoss extends Loss {
  weight: Tensor | null = null;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;

  constructor(options: CrossEntropyOptions = {}) {
    super("CrossEntropyLoss", options, CROSS_ENTROPY_SPEC);
    this.registerBuffer("weight", options.weight ?? null);
    this.ignoreIndex = options.ignoreIndex ?? -100;
    this.labelSmoothing = options.labelSmoothing ?? 0;
  }

  /** −log softmax(x)[t] (or −Σ y log softmax(x)), weighted, smoothed and reduced. */
  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, {
      reduction: this.reduction,
      weight: this.weight,
      ignoreIndex: this.ignoreIndex,
      labelSmoothing: this.labelSmoothing,
    });
  }
}

/** Negative log likelihood on log-probabilities (see nllLoss); the class `weight` is a buffer. */
export class NLLLoss extends Loss {
  weight: Tensor | null = null;
  readonly ignoreIndex: number;

  constructor(options: NLLLossOptions = {}) {
    super("NLLLoss", options, NLL_LOSS_SPEC);
    this.registerBuffer("weight", options.weight ?? null);
    this.ignoreIndex = options.ignoreIndex ?? -100;
  }

  /** −w[t]·input[t], reduced over non-ignored targets. */
  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, { reduction: this.reduction, weight: this.weight, ignoreIndex: this.ignoreIndex });
  }
}
