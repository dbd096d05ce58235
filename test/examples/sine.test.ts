import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runSine } from "@tensorgrad/examples";
import { tempDir } from "../helpers/temp-dir.js";

describe("sine example", () => {
  it("fits 20·sin(2πx) far below the variance of y and writes SVG plots", async () => {
    const dir = tempDir("sine");
    const r = await runSine({ quiet: true, outDir: dir, iterations: 2000, logEvery: 500 });
    expect(r.varianceY).toBeCloseTo(200, 6);
    expect(r.initialMse).toBeGreaterThan(100);
    expect(r.finalMse).toBeLessThan(1); // ≈ 0.25 after 2000 of the article's 4000 iterations
    expect(r.history.map((h) => h.iteration)).toEqual([0, 500, 1000, 1500, 2000]);
    expect(r.plots.map((p) => p.slice(dir.length + 1))).toEqual(["sine-fit.svg", "sine-loss.svg"]);
    const svg = readFileSync(r.plots[0], "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("network");
  });

  it("is reproducible with the same seed", async () => {
    const a = await runSine({ quiet: true, noPlots: true, iterations: 50, seed: 7 });
    const b = await runSine({ quiet: true, noPlots: true, iterations: 50, seed: 7 });
    expect(a.finalMse).toBe(b.finalMse);
  });

  it("rejects a bad option with a clear error", async () => {
    await expect(runSine({ quiet: true, lr: -1 })).rejects.toThrow("sine: lr must be a positive number, got -1");
  });
});
