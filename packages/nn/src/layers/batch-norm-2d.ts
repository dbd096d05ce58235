/** BatchNorm2d: BatchNorm1d's running stats and update rules over [N, C, H, W] inputs (normalization.ts). */

import { ShapeError, type Tensor } from "@tensorgrad/autograd";
import { fmtShape } from "../functional/checks.js";
import { BatchNorm1d } from "./normalization.js";

/**
 * Batch normalization of [N, C, H, W] inputs per channel C, over N, H and W: batch statistics
 * in training (updating running_mean / running_var with the unbiased variance, as PyTorch),
 * the running ones in eval. Parameters weight/bias and buffers running_mean, running_var,
 * num_batches_tracked have PyTorch's names.
 */
export class BatchNorm2d extends BatchNorm1d {
  protected override get layerName(): string {
    return "BatchNorm2d";
  }

  protected override checkInputDim(x: Tensor): void {
    if (x.ndim !== 4) throw new ShapeError(`BatchNorm2d: expected 4D input (got ${x.ndim}D input ${fmtShape(x.shape)})`);
  }
}
