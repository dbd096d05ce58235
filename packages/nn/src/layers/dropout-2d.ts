/** Dropout2d (functional form: functional/dropout-2d.ts; element dropout: Dropout in activation.ts, whose p, options and repr it shares). */

import type { Tensor } from "@tensorgrad/autograd";
import { dropout2d } from "../functional/dropout-2d.js";
import { Dropout } from "./activation.js";

/** Zeroes whole channels of [N, C, H, W] inputs with probability p in training (scaling the rest by 1/(1 − p)). */
export class Dropout2d extends Dropout {
  protected override get layerName(): string {
    return "Dropout2d";
  }

  /** x with channels dropped in training, x in eval. */
  override forward(x: Tensor): Tensor {
    return dropout2d(x, this.p, this.training, { generator: this.generator });
  }
}
