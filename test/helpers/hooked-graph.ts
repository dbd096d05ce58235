/**
 * The graph the gradient-memory suites (test/autograd and test/webgpu) use to check that memory
 * user code could have seen is never reused: h = 3x with retainGrad, h2 = exp(h) and h3 = h2·x
 * with hooks (h3's returns its own tensor), a hook on the leaf x, then backward of 3·Σ h3.
 * Returns h and what the hooks saw: ∂L/∂h3 = 3, ∂L/∂h2 = 3x, ∂L/∂x (= x.grad).
 */

import type { Tensor } from "@tensorgrad/autograd";

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
