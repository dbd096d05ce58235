/**
 * The webgpu project's set-up (`await initWebGPU()` once per test file) and the training loop its
 * tests share (`train`). Without an adapter the suites are skipped with "skipped: no WebGPU
 * adapter (reason)" — except under CI, which installs a driver (SwiftShader from chromium) and so
 * must never skip: there it is an error.
 */

import { describe, expect } from "vitest";
import { initWebGPU, type Tensor } from "@tensorgrad/autograd";

export const noAdapter: string | null = await initWebGPU().then(
  () => null,
  (e: unknown) => (e instanceof Error ? e.message : String(e)),
);

if (noAdapter !== null) {
  if (process.env.CI) throw new Error(`webgpu tests: no WebGPU adapter under CI, where they must run (${noAdapter})`);
  console.warn(`skipped: no WebGPU adapter (${noAdapter})`);
}

/** describe, skipped (with the reason printed above) where no adapter exists. */
export const describeGpu: ReturnType<typeof describe.skipIf> = describe.skipIf(noAdapter !== null);

/** A webgpu tensor's values as nested arrays (for toBeAllclose against a cpu tensor). */
export async function host(t: Tensor): Promise<unknown> {
  expect(t.device).toBe("webgpu");
  return t.toArrayAsync();
}

/** What `train` needs of an optimizer. */
export interface Stepper {
  zeroGrad(): void;
  step(): void;
}

/** Options of `train`. */
export interface TrainOptions {
  /** Runs between backward and the optimizer's step (gradient clipping). */
  readonly beforeStep?: () => void;
  /**
   * Sees each step's loss (1-based step, the loss detached and unread). It may return a promise
   * (a read, a garbage collection), which the loop awaits; otherwise the loop never yields, as a
   * user's synchronous loop would not (an async function always returns a promise).
   */
  readonly each?: (step: number, loss: Tensor) => unknown;
}

/**
 * The eager training loop the webgpu tests share, as a user writes it: zeroGrad, loss (the
 * forward), backward, optimizer step — no tidy, no dispose, no read. Returns every step's loss
 * (detached, on the device) unless `each` is given, which then sees them and the loop keeps none.
 */
export async function train(optimizer: Stepper, loss: () => Tensor, steps: number, options: TrainOptions = {}): Promise<Tensor[]> {
  const kept: Tensor[] = [];
  for (let step = 1; step <= steps; step++) {
    optimizer.zeroGrad();
    const l = loss();
    l.backward();
    options.beforeStep?.();
    optimizer.step();
    if (options.each === undefined) kept.push(l.detach());
    else {
      const pending = options.each(step, l.detach());
      if (pending instanceof Promise) await pending;
    }
  }
  return kept;
}
