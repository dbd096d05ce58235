/**
 * The elementwise unary primitives, one rule per kernel op. Each rule says which dtype the
 * result has and how the gradient is computed; `ctx.inputs[0]` is x, `ctx.output` is y = f(x).
 */

import type { UnaryOp } from "../backend/backend.js";
import { floatResult, type DType } from "../dtype.js";
import { DTypeError } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { defineOp, type Op, type VjpContext } from "./define.js";
import { castTo } from "./cast.js";
import { reluBackward, sigmoidBackward, tanhBackward } from "./activation-grads.js";
import { runUnary } from "./elementwise.js";

type DifferentiableUnary = Exclude<UnaryOp, "isfinite" | "logicalNot">;

interface UnaryRule {
  /** "float": int32 is promoted to float32 first; "same": the dtype is kept. (Bool is rejected by both.) */
  readonly result: "float" | "same";
  readonly saves: { inputs: boolean; output: boolean };
  readonly vjp: (g: Tensor, ctx: VjpContext<undefined>) => Tensor;
}

const x0 = (ctx: VjpContext<undefined>) => ctx.inputs[0];
const none = { inputs: false, output: false };
const input = { inputs: true, output: false };
const output = { inputs: false, output: true };
const zeroGrad = (g: Tensor) => g.zerosLike(); // piecewise constant: zero gradient almost everywhere

const RULES: { [K in DifferentiableUnary]: UnaryRule } = {
  neg: { result: "same", saves: none, vjp: (g) => g.neg() },
  exp: { result: "float", saves: output, vjp: (g, c) => g.mul(c.output) }, // d eˣ = eˣ
  log: { result: "float", saves: input, vjp: (g, c) => g.div(x0(c)) }, // d ln x = 1/x
  log1p: { result: "float", saves: input, vjp: (g, c) => g.div(x0(c).add(1)) }, // d ln(1+x) = 1/(1+x)
  expm1: { result: "float", saves: output, vjp: (g, c) => g.mul(c.output.add(1)) }, // d(eˣ−1) = eˣ
  sqrt: { result: "float", saves: output, vjp: (g, c) => g.div(c.output.mul(2)) }, // d√x = 1/(2√x)
  abs: { result: "same", saves: input, vjp: (g, c) => g.mul(x0(c).sign()) }, // d|x| = sign(x)
  sign: { result: "same", saves: none, vjp: zeroGrad },
  tanh: { result: "float", saves: output, vjp: (g, c) => tanhBackward(g, c.output) }, // d tanh = 1 − tanh²
  sigmoid: { result: "float", saves: output, vjp: (g, c) => sigmoidBackward(g, c.output) }, // dσ = σ(1 − σ)
  relu: { result: "same", saves: output, vjp: (g, c) => reluBackward(g, c.output) }, // d relu = [y > 0] (NaN passes, as in PyTorch)
  erf: {
    result: "float",
    saves: input,
    vjp: (g, c) => g.mul(x0(c).square().neg().exp().mul(2 / Math.sqrt(Math.PI))), // d erf = 2/√π·e^{−x²}
  },
  sin: { result: "float", saves: input, vjp: (g, c) => g.mul(x0(c).cos()) }, // d sin = cos
  cos: { result: "float", saves: input, vjp: (g, c) => g.mul(x0(c).sin().neg()) }, // d cos = −sin
  floor: { result: "same", saves: none, vjp: zeroGrad },
  ceil: { result: "same", saves: none, vjp: zeroGrad },
  round: { result: "same", saves: none, vjp: zeroGrad },
};

function resultDType(op: string, rule: UnaryRule, dtype: DType): DType {
  // Arithmetic on truth values makes no sense (log of bool): say so rather than promote silently.
  if (dtype === "bool") throw new DTypeError(`${op}: not supported for bool tensors (convert with .to("float32") first)`);
  return rule.result === "float" ? floatResult(dtype) : dtype;
}

function makeUnary(op: DifferentiableUnary): Op<undefined> {
  const rule = RULES[op];
  return defineOp({
    name: op,
    saves: rule.saves,
    forward: ([x]) => runUnary(op, x, x.dtype),
    vjp: (g, ctx) => [rule.vjp(g, ctx)],
  });
}

const ops = Object.fromEntries((Object.keys(RULES) as DifferentiableUnary[]).map((op) => [op, makeUnary(op)])) as {
  [K in DifferentiableUnary]: Op<undefined>;
};

/** Applies a unary primitive; float-valued ones promote int32 to float32 first (a recorded cast); bools are rejected. */
export function unary(op: DifferentiableUnary, x: Tensor): Tensor {
  return ops[op]([castTo(x, resultDType(op, RULES[op], x.dtype))], undefined);
}
