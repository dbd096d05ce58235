/**
 * Shared test setup: the `toBeAllclose` matcher, and fast-check settings (a fixed seed in CI so
 * failures reproduce; fast-check prints the seed and the counterexample when a property fails).
 */

import fc from "fast-check";
import { afterAll, expect } from "vitest";
import { Tensor } from "@tensorgrad/autograd";
import { allcloseReport, type AllcloseOptions } from "./helpers/allclose.js";
import { removeTempDirs } from "./helpers/temp-dir.js";

afterAll(removeTempDirs);

if (process.env.CI) fc.configureGlobal({ seed: 20261123, numRuns: 100 });

expect.extend({
  toBeAllclose(received: unknown, expected: unknown, options: AllcloseOptions = {}) {
    const report = allcloseReport(received, expected, options);
    return { pass: report.pass, message: () => report.message };
  },
});

declare module "vitest" {
  // vitest declares Matchers<T = any>; augmentations must repeat its exact type parameters.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  interface Matchers<T = any> {
    /** Elementwise |a − b| ≤ atol + rtol·|b| (NaNs equal only with equalNan), same shape. */
    toBeAllclose(expected: Tensor | number | readonly unknown[], options?: AllcloseOptions): T;
  }
}
