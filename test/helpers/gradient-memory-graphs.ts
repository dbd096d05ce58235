/**
 * The graphs the gradient-memory suites (test/autograd on host backends, test/webgpu) share.
 */

import { defineFunction, type Tensor } from "@tensorgrad/autograd";

/**
 * The graph that checks memory user code could have seen is never reused: h = 3x with retainGrad, h2 = exp(h) and h3 = h2·x
 * with hooks (h3's returns its own tensor), a hook on the leaf x, then backward of 3·Σ h3.
 * Returns h and what the hooks saw: ∂L/∂h3 = 3, ∂L/∂h2 = 3x, ∂L/∂x (= x.grad).
 */
export function backwardThroughHooks(x: Tensor): { h: Tensor; seen: Tensor[] } {
  const h = x.mul(3);
  h.retainGrad();
  const seen: Tensor[] = [];
  const h2 = h.exp();
  h2.registerHook((g) => {
    seen.push(g);
  });
  const h3 = h2.mul(x);
  h3.registerHook((g) => {
    seen.push(g); // kept, and replaced by the hook's own tensor
    return g.mul(1);
  });
  x.registerHook((g) => {
    seen.push(g);
  });
  h3.mul(3).sum().backward();
  return { h, seen };
}

/** One step of randomGraphLoss: an op, and which leaf it takes as its operand. */
export type GraphStep = { readonly op: "mul" | "add" | "exp" | "tanh" | "t" | "matmul" | "rowsum" | "twice"; readonly operand: number };

/**
 * The random graphs of the gradient-memory properties: from leaves [C, C], [C, C], [C], [C, 1],
 * each step applies an op to h (fan-in where h is used twice, views through t(), broadcasts
 * through the [C] and [C, 1] leaves, side outputs through rowsum), and the loss sums h, the side
 * outputs and every leaf, so every leaf gets a gradient.
 */
export function randomGraphLoss(leaves: readonly Tensor[], steps: readonly GraphStep[]): Tensor {
  let h = leaves[0];
  const outs: Tensor[] = [];
  for (const { op, operand } of steps) {
    const o = leaves[operand % leaves.length];
    if (op === "mul") h = h.mul(o);
    else if (op === "add") h = h.add(o);
    else if (op === "exp") h = h.tanh().exp();
    else if (op === "tanh") h = h.tanh();
    else if (op === "t") h = h.t();
    else if (op === "matmul") h = h.matmul(leaves[operand % 2]).mul(0.1);
    else if (op === "rowsum") outs.push(h.sum(1, true).mul(o.ndim === 1 ? 1 : 0.5).tanh());
    else h = h.add(h.mul(h)); // fan-in: h used twice
  }
  let total = h.tanh().sum();
  for (const o of outs) total = total.add(o.sum());
  for (const l of leaves) total = total.add(l.tanh().sum()); // every leaf reached
  return total;
}

/**
 * A custom function y = 2a whose backward keeps every gradient it receives (`stash`) and returns
 * a tensor it also keeps (`returned()`): memory user code holds, which backward must not reuse.
 */
export function keepingDouble(): { double: (a: Tensor) => Tensor; stash: Tensor[]; returned: () => Tensor | null } {
  const stash: Tensor[] = [];
  let shared: Tensor | null = null;
  const double = defineFunction({
    name: "double",
    forward: (_ctx, a: Tensor) => a.mul(2),
    backward: (_ctx, g: Tensor) => {
      stash.push(g);
      shared = g.mul(2);
      return shared;
    },
  });
  return { double, stash, returned: () => shared };
}
