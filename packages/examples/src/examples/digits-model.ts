/**
 * The digits network and its cost (see digits.ts for the recipe), in a module of their own that
 * imports no Node built-ins, so the live training page (packages/examples/web) bundles them too.
 */

import type { Tensor } from "@tensorgrad/autograd";
import { Linear, Sequential, Sigmoid, type Module, functional as F } from "@tensorgrad/nn";

/** The two costs: Nielsen's quadratic cost on sigmoid outputs, or softmax + cross-entropy. */
export type DigitsCost = "quadratic" | "cross-entropy";

/** Nielsen's quadratic cost C = (1/2m)·Σₓ‖y(x) − a‖² over a batch of m rows, y one-hot. */
export function quadraticCost(output: Tensor, oneHot: Tensor): Tensor {
  return F.mseLoss(output, oneHot, { reduction: "sum" }).div(2 * output.shape[0]);
}

/** Sigmoid layers of the given sizes; with cross-entropy the last layer gives logits (the softmax is in the cost). */
export function digitsNetwork(sizes: readonly number[], cost: DigitsCost): Module {
  const layers: Module[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new Linear(sizes[i], sizes[i + 1]));
    const last = i + 2 === sizes.length;
    if (!last || cost === "quadratic") layers.push(new Sigmoid());
  }
  return new Sequential(...layers);
}
