/**
 * The webgpu project's set-up: `await initWebGPU()` once per test file. Without an adapter the
 * suites are skipped with "skipped: no WebGPU adapter (reason)" — except under CI, which installs
 * a driver (SwiftShader from chromium) and so must never skip: there it is an error.
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
