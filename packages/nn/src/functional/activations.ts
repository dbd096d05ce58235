/** Activation functions in functional form (the Tensor methods, as free functions). */

import { Tensor } from "@tensorgrad/autograd";
import { checkOptions, oneOf, type SpecFor } from "../options.js";
import { checkTensor } from "./checks.js";

/** Options of gelu (and the GELU layer). */
export interface GELUOptions {
  /** "none" (default): x·Φ(x) exactly; "tanh": the tanh approximation. */
  readonly approximate?: "none" | "tanh";
}

/** What GELUOptions may hold. */
export const GELU_SPEC = { approximate: oneOf("none", "tanh") } as const satisfies SpecFor<GELUOptions>;

/** max(x, 0) */
export function relu(x: Tensor): Tensor {
  checkTensor("relu", "input", x);
  return x.relu();
}

/** x for x > 0, negativeSlope·x otherwise. */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  checkTensor("leakyRelu", "input", x);
  return x.leakyRelu(negativeSlope);
}

/** σ(x) = 1/(1 + e⁻ˣ) */
export function sigmoid(x: Tensor): Tensor {
  checkTensor("sigmoid", "input", x);
  return x.sigmoid();
}

/** tanh(x) */
export function tanh(x: Tensor): Tensor {
  checkTensor("tanh", "input", x);
  return x.tanh();
}

/** x·Φ(x) (exact), or 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))) with approximate "tanh". */
export function gelu(x: Tensor, options: GELUOptions = {}): Tensor {
  checkTensor("gelu", "input", x);
  checkOptions("gelu", options, GELU_SPEC);
  return x.gelu(options);
}

/** x·σ(x) */
export function silu(x: Tensor): Tensor {
  checkTensor("silu", "input", x);
  return x.silu();
}

/** (1/β)·log(1 + e^{βx}), and x where βx > threshold. */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  checkTensor("softplus", "input", x);
  return x.softplus(beta, threshold);
}

/** x for x > 0, α(eˣ − 1) otherwise. */
export function elu(x: Tensor, alpha = 1): Tensor {
  checkTensor("elu", "input", x);
  return x.elu(alpha);
}

/** eˣ / Σ eˣ along `dim` (stable). */
export function softmax(x: Tensor, dim: number): Tensor {
  checkTensor("softmax", "input", x);
  return x.softmax(dim);
}

/** x − log Σ eˣ along `dim` (stable). */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  checkTensor("logSoftmax", "input", x);
  return x.logSoftmax(dim);
}
