import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Generator } from "@tensorgrad/autograd";
import { generateDigits, runDigits } from "@tensorgrad/examples";
import { tempDir } from "../helpers/temp-dir.js";

describe("generated digits", () => {
  it("are reproducible, balanced, in [0, 1], with ink and background", () => {
    const a = generateDigits({ count: 50, size: 28, generator: new Generator(3) });
    const b = generateDigits({ count: 50, size: 28, generator: new Generator(3) });
    expect(a.images).toEqual(b.images);
    expect(Array.from({ length: 10 }, (_, d) => a.labels.filter((l) => l === d).length)).toEqual(Array(10).fill(5));
    expect(Math.min(...a.images)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a.images)).toBeLessThanOrEqual(1);
    const inked = a.images.filter((v) => v > 0.5).length / a.images.length;
    expect(inked).toBeGreaterThan(0.05); // strokes are there…
    expect(inked).toBeLessThan(0.4); // …on a mostly empty background
  });

  it("differ between samples of the same digit (random affine jitter, pen and noise)", () => {
    const set = generateDigits({ count: 20, size: 8, generator: new Generator(1) });
    const first = [...set.labels].indexOf(4);
    const second = [...set.labels].lastIndexOf(4);
    expect(first).not.toBe(second);
    expect(set.images.slice(first * 64, first * 64 + 64)).not.toEqual(set.images.slice(second * 64, second * 64 + 64));
  });
});

describe("digits example", () => {
  it("Nielsen's network (sigmoid, quadratic cost, batch 10, eta 3) learns the generated 8x8 digits", async () => {
    const dir = tempDir("digits");
    const r = await runDigits({ quiet: true, outDir: dir, imageSize: 8, trainSize: 4000, testSize: 500, epochs: 4 });
    expect(r.sizes).toEqual([64, 30, 10]);
    expect(r.eta).toBe(3);
    expect(r.testAccuracy).toHaveLength(4);
    expect(r.finalTestAccuracy).toBeGreaterThan(0.8);
    expect(readFileSync(r.plots[0], "utf8")).toContain("<svg");
  });

  it("the cross-entropy + softmax variant learns too", async () => {
    const r = await runDigits({ quiet: true, noPlots: true, imageSize: 8, trainSize: 4000, testSize: 500, epochs: 3, cost: "cross-entropy" });
    expect(r.eta).toBe(0.5);
    expect(r.finalTestAccuracy).toBeGreaterThan(0.8);
  });

  it("checks the layer sizes against the images", async () => {
    await expect(runDigits({ quiet: true, noPlots: true, imageSize: 8, trainSize: 10, testSize: 10, sizes: [784, 30, 10] })).rejects.toThrow(
      "digits: the first layer size must equal the 8x8 = 64 pixels of an image, got 784",
    );
  });
});
