/** Activation functions and Dropout as Modules, for Sequential. */

import { Generator, Tensor } from "@tensorgrad/autograd";
import { GELU_SPEC, type GELUOptions } from "../functional/activations.js";
import { checkProbability } from "../functional/checks.js";
import { DROPOUT_SPEC, dropout, type DropoutOptions } from "../functional/linear.js";
import { Module } from "../module.js";
import { checkOptions } from "../options.js";
import { pyFloat } from "./repr.js";

/** max(x, 0) */
export class ReLU extends Module {
  /** max(x, 0) */
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}

/** x for x > 0, negativeSlope·x otherwise. */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }

  /** x > 0 ? x : negativeSlope·x */
  forward(x: Tensor): Tensor {
    return x.leakyRelu(this.negativeSlope);
  }

  override extraRepr(): string {
    return `negative_slope=${pyFloat(this.negativeSlope)}`;
  }
}

/** σ(x) = 1/(1 + e⁻ˣ) */
export class Sigmoid extends Module {
  /** 1/(1 + e⁻ˣ) */
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}

/** tanh(x) */
export class Tanh extends Module {
  /** tanh(x) */
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

/** x·Φ(x) (exact), or its tanh approximation with `approximate: "tanh"`. */
export class GELU extends Module {
  readonly approximate: "none" | "tanh";

  constructor(options: GELUOptions = {}) {
    super();
    checkOptions("GELU", options, GELU_SPEC);
    this.approximate = options.approximate ?? "none";
  }

  /** x·Φ(x) */
  forward(x: Tensor): Tensor {
    return x.gelu({ approximate: this.approximate });
  }

  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/** x·σ(x) (swish) */
export class SiLU extends Module {
  /** x·σ(x) */
  forward(x: Tensor): Tensor {
    return x.silu();
  }
}

/** (1/β)·log(1 + e^{βx}), linear where βx > threshold. */
export class Softplus extends Module {
  constructor(
    readonly beta = 1,
    readonly threshold = 20,
  ) {
    super();
  }

  /** (1/β)·log(1 + e^{βx}) */
  forward(x: Tensor): Tensor {
    return x.softplus(this.beta, this.threshold);
  }

  override extraRepr(): string {
    return `beta=${pyFloat(this.beta)}, threshold=${pyFloat(this.threshold)}`;
  }
}

/** x for x > 0, α(eˣ − 1) otherwise. */
export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
  }

  /** x > 0 ? x : α(eˣ − 1) */
  forward(x: Tensor): Tensor {
    return x.elu(this.alpha);
  }

  override extraRepr(): string {
    return `alpha=${pyFloat(this.alpha)}`;
  }
}

/** eˣ / Σ eˣ along `dim`. */
export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
  }

  /** softmax(x, dim) */
  forward(x: Tensor): Tensor {
    return x.softmax(this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** x − log Σ eˣ along `dim`. */
export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
  }

  /** logSoftmax(x, dim) */
  forward(x: Tensor): Tensor {
    return x.logSoftmax(this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/**
 * Inverted dropout: in training, zeroes elements with probability p and scales the rest by
 * 1/(1 − p); in eval mode, the identity.
 */
export class Dropout extends Module {
  readonly p: number;
  readonly generator: Generator | undefined;

  constructor(p = 0.5, options: DropoutOptions = {}) {
    super();
    checkProbability(this.layerName, "dropout probability", p);
    checkOptions(this.layerName, options, DROPOUT_SPEC);
    this.p = p;
    this.generator = options.generator;
  }

  /** The name errors give (Dropout2d, in dropout-2d.ts, shares everything but forward). */
  protected get layerName(): string {
    return "Dropout";
  }

  /** x·mask/(1 − p) in training, x in eval. */
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, { generator: this.generator });
  }

  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=False`;
  }
}
