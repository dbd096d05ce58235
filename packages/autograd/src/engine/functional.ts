/** Functional autodiff: grad, vjp, jvp, jacobian, hessian — all built on the one backward engine. */

import { GradError, ValueError, fmtValue } from "../errors.js";
import { stack } from "../ops/shape-ops.js";
import type { Tensor } from "../tensor.js";
import { checkTensor } from "../validate.js";
import { checkOptionKeys, flagOption, optionKeys } from "../shape.js";
import { captureGradients } from "./backward.js";
import { enableGrad } from "./grad-mode.js";

/** Options of `grad()`. */
export interface GradOptions {
  /** ∂L/∂output for each output (required for outputs with more than one element). */
  readonly gradOutputs?: Tensor | number | readonly (Tensor | number)[];
  /** Keep the graph for another backward (default: createGraph). */
  readonly retainGraph?: boolean;
  /** Record the gradient computation so the results can be differentiated again. */
  readonly createGraph?: boolean;
  /** Return zeros, instead of throwing, for inputs the outputs don't depend on. */
  readonly allowUnused?: boolean;
}

const GRAD_OPTIONS = optionKeys<GradOptions>({ gradOutputs: 0, retainGraph: 0, createGraph: 0, allowUnused: 0 });

const asList = <T>(x: T | readonly T[]): readonly T[] => (Array.isArray(x) ? (x as readonly T[]) : [x as T]);

/** One tensor or a list of them, checked (what: "input", "output", "tangent"). */
function tensorList(op: string, what: string, x: Tensor | readonly Tensor[]): readonly Tensor[] {
  const list = asList(x);
  for (let i = 0; i < list.length; i++) checkTensor(op, list.length === 1 && !Array.isArray(x) ? what : `${what} ${i}`, list[i]);
  return list;
}

/** Throws unless fn is a function (the functional API's first argument). */
function checkFn(op: string, fn: unknown): void {
  if (typeof fn !== "function") throw new ValueError(`${op}: fn must be a function, got ${fmtValue(fn)}`);
}

/**
 * The gradients of `outputs` with respect to `inputs`, returned instead of accumulated into
 * `.grad`: Σ_k gradOutputs[k] · ∂outputs[k]/∂inputs[i] for each input i.
 */
export function grad(outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[], options: GradOptions = {}): Tensor[] {
  const outs = tensorList("grad", "output", outputs);
  const ins = tensorList("grad", "input", inputs);
  checkOptionKeys("grad", options, GRAD_OPTIONS);
  const createGraph = flagOption("grad", "createGraph", options.createGraph, false);
  const retainGraph = flagOption("grad", "retainGraph", options.retainGraph, createGraph);
  const allowUnused = flagOption("grad", "allowUnused", options.allowUnused, false);
  const gradOutputs = options.gradOutputs === undefined ? undefined : asList(options.gradOutputs);
  const results = captureGradients(outs, gradOutputs, ins, retainGraph, createGraph);
  return results.map((g, i) => {
    if (g !== null) return g;
    if (!allowUnused) {
      throw new GradError(`grad: input ${i} was not used to compute the outputs (pass allowUnused: true to get zeros)`);
    }
    return ins[i].zerosLike();
  });
}

/** Options of vjp and jacobian. */
export interface JacobianOptions {
  /** Keep the graph so the result can be differentiated again (hessian uses it). */
  readonly createGraph?: boolean;
}

const JACOBIAN_OPTIONS = optionKeys<JacobianOptions>({ createGraph: 0 });

/** Fresh leaves that require grad, holding the inputs' values. */
function asLeaves(op: string, inputs: Tensor | readonly Tensor[]): Tensor[] {
  return tensorList(op, "input", inputs).map((x) => {
    if (!x.isFloatingPoint()) throw new ValueError(`${op}: inputs must be floating point, got ${x.dtype}`);
    return x.detach().requiresGrad_(true);
  });
}

/** fn(...xs) with grad mode on; its result must be a Tensor (a number has no graph to differentiate). */
function callFn(op: string, fn: (...xs: Tensor[]) => Tensor, xs: Tensor[]): Tensor {
  const out: unknown = enableGrad(() => fn(...xs));
  return checkTensor(op, "the value fn returned", out);
}

function callScalarOrTensor(op: string, fn: (...xs: Tensor[]) => Tensor, xs: Tensor[]): Tensor {
  const out = callFn(op, fn, xs);
  if (!out.requiresGrad) {
    // The output doesn't depend on the inputs: make it a graph node anyway so grad() can answer zeros.
    return out.detach().requiresGrad_(out.isFloatingPoint());
  }
  return out;
}

/** The output of `fn(...inputs)` and the vector-Jacobian product vᵀ·J for each input. */
export function vjp(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor | readonly Tensor[],
  v?: Tensor,
  options: JacobianOptions = {},
): { output: Tensor; grads: Tensor[] } {
  checkFn("vjp", fn);
  checkOptionKeys("vjp", options, JACOBIAN_OPTIONS);
  flagOption("vjp", "createGraph", options.createGraph, false);
  const xs = asLeaves("vjp", inputs);
  if (v !== undefined) checkTensor("vjp", "v", v);
  const output = callScalarOrTensor("vjp", fn, xs);
  const grads = grad(output, xs, { gradOutputs: v, createGraph: options.createGraph, allowUnused: true });
  return { output: output.detach(), grads };
}

/**
 * The output of `fn(...inputs)` and the Jacobian-vector product J·t, by the double-vjp trick:
 * g(u) = Jᵀu is linear in u, so ∂(g·t)/∂u = J·t.
 */
export function jvp(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor | readonly Tensor[],
  tangents: Tensor | readonly Tensor[],
): { output: Tensor; jvp: Tensor } {
  checkFn("jvp", fn);
  const xs = asLeaves("jvp", inputs);
  const ts = tensorList("jvp", "tangent", tangents);
  if (ts.length !== xs.length) throw new ValueError(`jvp: got ${ts.length} tangents for ${xs.length} inputs`);
  const output = callScalarOrTensor("jvp", fn, xs);
  const u = output.zerosLike().requiresGrad_(true);
  const g = grad(output, xs, { gradOutputs: u, createGraph: true, allowUnused: true });
  const used = g.map((gi, i) => [gi, ts[i]] as const).filter(([gi]) => gi.requiresGrad);
  const result =
    used.length === 0
      ? output.zerosLike()
      : grad(used.map(([gi]) => gi), u, { gradOutputs: used.map(([, t]) => t), allowUnused: true })[0];
  return { output: output.detach(), jvp: result.detach() };
}


/**
 * The Jacobian of `fn` at `inputs`: shape [...output.shape, ...input.shape] for each input, built
 * one output element at a time with vjps.
 */
export function jacobian(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor, options?: JacobianOptions): Tensor;
export function jacobian(fn: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], options?: JacobianOptions): Tensor[];
export function jacobian(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor | readonly Tensor[],
  options: JacobianOptions = {},
): Tensor | Tensor[] {
  checkFn("jacobian", fn);
  checkOptionKeys("jacobian", options, JACOBIAN_OPTIONS);
  flagOption("jacobian", "createGraph", options.createGraph, false);
  const single = !Array.isArray(inputs);
  const xs = options.createGraph
    ? tensorList("jacobian", "input", inputs).map((x) => (x.requiresGrad ? x : x.detach().requiresGrad_(true)))
    : asLeaves("jacobian", inputs);
  const output = callScalarOrTensor("jacobian", fn, xs);
  const n = output.numel();
  const rows: Tensor[][] = xs.map(() => []);
  const flatOut = output.reshape([-1]);
  for (let k = 0; k < n; k++) {
    const seed = flatOut.zerosLike();
    seed.backend.fill({ buffer: seed.buffer, shape: [1], strides: [1], offset: k }, 1);
    const g = grad(flatOut, xs, { gradOutputs: seed, retainGraph: true, createGraph: options.createGraph, allowUnused: true });
    g.forEach((gi, i) => rows[i].push(gi.reshape([-1])));
  }
  const result = xs.map((x, i) => {
    const stacked = n === 0 ? x.newZeros([0, x.numel()]) : stack(rows[i], 0);
    const out = stacked.reshape([...output.shape, ...x.shape]);
    return options.createGraph ? out : out.detach();
  });
  return single ? result[0] : result;
}

/** The Hessian of a scalar-valued `fn` at `input`: shape [...input.shape, ...input.shape]. */
export function hessian(fn: (input: Tensor) => Tensor, input: Tensor): Tensor {
  checkFn("hessian", fn);
  const [x] = asLeaves("hessian", checkTensor("hessian", "input", input));
  const gradient = (y: Tensor): Tensor => {
    // An fn that ignores its input still has a Hessian: zeros (as PyTorch's functional hessian).
    const out = callScalarOrTensor("hessian", fn, [y]);
    if (out.numel() !== 1) throw new ValueError(`hessian: fn must return a one-element tensor, got shape [${out.shape.join(",")}]`);
    return grad(out, y, { createGraph: true, allowUnused: true })[0];
  };
  return jacobian(gradient, x, { createGraph: true }).detach();
}
