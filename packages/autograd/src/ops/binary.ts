/**
 * The elementwise binary primitives with broadcasting. Each vjp returns gradients of the
 * output's (broadcast) shape; the engine sums them back to each input's shape in one place.
 */

import type { BinaryOp } from "../backend/backend.js";
import { floatResult } from "../dtype.js";
import { DTypeError } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { defineOp, type Op, type VjpContext } from "./define.js";
import { resultDType, runBinary, tensorPair, type Operand } from "./elementwise.js";
import { where } from "./where.js";

type ArithmeticOp = "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "minimum";

interface BinaryRule {
  readonly saves: { inputs: boolean | "forOthers"; output: boolean };
  /** Gradients for (a, b); `null` where an input needs none. */
  readonly vjp: (g: Tensor, ctx: VjpContext<undefined>) => readonly (Tensor | null)[];
}

const when = (ctx: VjpContext<undefined>, i: number, f: () => Tensor): Tensor | null => (ctx.needsInputGrad(i) ? f() : null);

/**
 * One operand's gradient of maximum/minimum: 0 where it loses, g/2 on ties (PyTorch splits the
 * gradient evenly), g otherwise — so where either operand is NaN (neither loses nor ties) both
 * get the whole gradient, as in PyTorch. Masked with where, not multiplied by a 0/½/1 mask, so a
 * NaN or inf upstream gradient does not leak into the loser as NaN (0·NaN), as in PyTorch.
 */
const share = (g: Tensor, loses: Tensor, ties: Tensor): Tensor => where(loses, 0, where(ties, g.mul(0.5), g));

const RULES: { [K in ArithmeticOp]: BinaryRule } = {
  add: { saves: { inputs: false, output: false }, vjp: (g) => [g, g] },
  sub: { saves: { inputs: false, output: false }, vjp: (g, c) => [g, c.needsInputGrad(1) ? g.neg() : null] },
  mul: {
    saves: { inputs: "forOthers", output: false },
    // d(ab) = b·da + a·db
    vjp: (g, c) => [c.needsInputGrad(0) ? g.mul(c.input(1)) : null, c.needsInputGrad(1) ? g.mul(c.input(0)) : null],
  },
  div: {
    saves: { inputs: true, output: false },
    vjp: (g, c) => {
      const [a, b] = c.inputs; // d(a/b) = da/b − (a/b)/b·db, as PyTorch: b² would overflow or underflow first
      return [when(c, 0, () => g.div(b)), when(c, 1, () => g.mul(a.div(b).div(b)).neg())];
    },
  },
  pow: {
    saves: { inputs: true, output: true },
    vjp: (g, c) => {
      const [a, b] = c.inputs;
      const y = c.output;
      return [
        // ∂(aᵇ)/∂a = b·aᵇ⁻¹, taken as 0 where b = 0 (so 0⁰ gives 0, not 0·∞ = NaN), masking the
        // product with g as PyTorch does, so a NaN g (second order) does not leak through either
        when(c, 0, () => where(b.eq(0), 0, g.mul(b.mul(a.pow(b.sub(1)))))),
        // ∂(aᵇ)/∂b = aᵇ·ln a, taken as 0 where a = 0 and b ≥ 0 (as PyTorch does)
        when(c, 1, () => g.mul(where(a.eq(0).logicalAnd(b.ge(0)), 0, y.mul(a.log())))),
      ];
    },
  },
  maximum: {
    saves: { inputs: true, output: false },
    vjp: (g, c) => {
      const [a, b] = c.inputs;
      return [when(c, 0, () => share(g, a.lt(b), a.eq(b))), when(c, 1, () => share(g, a.gt(b), a.eq(b)))];
    },
  },
  minimum: {
    saves: { inputs: true, output: false },
    vjp: (g, c) => {
      const [a, b] = c.inputs;
      return [when(c, 0, () => share(g, a.gt(b), a.eq(b))), when(c, 1, () => share(g, a.lt(b), a.eq(b)))];
    },
  },
};

function makeBinary(op: ArithmeticOp): Op<undefined> {
  const rule = RULES[op];
  return defineOp({
    name: op,
    saves: rule.saves,
    // Operands arrive with one dtype (cast in `binary`), so the graph shows the casts.
    forward: ([a, b]) => runBinary(op, op satisfies BinaryOp, a, b, a.dtype),
    vjp: rule.vjp,
  });
}

const ops = Object.fromEntries((Object.keys(RULES) as ArithmeticOp[]).map((op) => [op, makeBinary(op)])) as {
  [K in ArithmeticOp]: Op<undefined>;
};

/**
 * Applies an arithmetic primitive to tensors or numbers (numbers become 0-d tensors), with
 * PyTorch's promotion; `div` always produces floats. Arithmetic on two bools is rejected.
 */
export function binary(op: ArithmeticOp, a: Operand, b: Operand): Tensor {
  let dtype = resultDType(op, a, b);
  if (op === "div") dtype = floatResult(dtype);
  if (dtype === "bool") {
    throw new DTypeError(`${op}: not supported for bool tensors (convert with .to("int32"), or use logicalAnd/logicalOr)`);
  }
  return ops[op](tensorPair(a, b, dtype), undefined);
}
