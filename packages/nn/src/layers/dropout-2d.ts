/** Dropout2d (functional form: functional/dropout-2d.ts; element dropout: Dropout in activation.ts). */

import type { Generator, Tensor } from "@tensorgrad/autograd";
import { checkProbability } from "../functional/checks.js";
import { dropout2d } from "../functional/dropout-2d.js";
import { DROPOUT_SPEC, type DropoutOptions } from "../functional/linear.js";
import { Module } from "../module.js";
import { checkOptions } from "../options.js";
import { pyFloat } from "./repr.js";

/** Zeroes whole channels of [N, C, H, W] inputs with probability p in training (scaling the rest by 1/(1 − p)). */
export class Dropout2d extends Module {
  readonly p: number;
  readonly generator: Generator | undefined;

  constructor(p = 0.5, options: DropoutOptions = {}) {
    super();
    checkProbability("Dropout2d", "dropout probability", p);
    checkOptions("Dropout2d", options, DROPOUT_SPEC);
    this.p = p;
    this.generator = options.generator;
  }

  /** x with channels dropped in training, x in eval. */
  forward(x: Tensor): Tensor {
    return dropout2d(x, this.p, this.training, { generator: this.generator });
  }

  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=False`;
  }
}
