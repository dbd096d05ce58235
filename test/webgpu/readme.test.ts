/** The README's GPU example runs as written, on webgpu (the cpu-side README blocks: test/readme.test.ts). */

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it, vi } from "vitest";
import { describeGpu } from "./gpu.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

describeGpu("README: On the GPU", () => {
  it("trains the sine fit on webgpu, its loss falling", async () => {
    const readme = readFileSync(`${root}README.md`, "utf8");
    const start = readme.indexOf("## On the GPU (WebGPU, in progress)");
    expect(start).toBeGreaterThanOrEqual(0);
    const code = /```ts\n([\s\S]*?)```/.exec(readme.slice(start))![1];
    mkdirSync(`${root}test/.generated`, { recursive: true });
    const path = `${root}test/.generated/readme-gpu.ts`;
    writeFileSync(path, code);
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      await import(/* @vite-ignore */ path);
      const losses = log.mock.calls.map((c) => c[1] as number);
      expect(losses).toHaveLength(4);
      expect(losses[3]).toBeLessThan(losses[0] / 4);
    } finally {
      log.mockRestore();
    }
  });
});
