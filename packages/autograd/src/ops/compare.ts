/** Comparisons and logical ops: bool results, no gradient. */

import type { BinaryOp } from "../backend/backend.js";
import type { Tensor } from "../tensor.js";
import { castTo } from "./cast.js";
import { resultDType, runBinary, runUnary, tensorPair, type Operand } from "./elementwise.js";

/** The ops that compare or combine truth values. */
export type CompareOp = "eq" | "ne" | "lt" | "le" | "gt" | "ge" | "logicalAnd" | "logicalOr";

/** Elementwise comparison with broadcasting; the result is bool and carries no gradient. */
export function compare(op: CompareOp, a: Operand, b: Operand): Tensor {
  const [ta, tb] = tensorPair(a, b, resultDType(op, a, b));
  return runBinary(op, op satisfies BinaryOp, ta.detach(), tb.detach(), "bool");
}

/** Elementwise logical not (nonzero → false). */
export function logicalNot(x: Tensor): Tensor {
  return runUnary("logicalNot", x, "bool");
}

/** True where the element is neither NaN nor ±Inf. */
export function isfinite(x: Tensor): Tensor {
  return runUnary("isfinite", castTo(x.detach(), x.dtype), "bool");
}
