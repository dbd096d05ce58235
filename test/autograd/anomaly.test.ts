/**
 * Anomaly mode: a NaN or Inf appearing in a gradient during backward throws a GradError naming
 * the forward op that produced it and where that op was created. Off by default.
 */

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { GradError, Tensor, detectAnomaly, isAnomalyEnabled, tensor } from "@tensorgrad/autograd";

const f64 = { dtype: "float64" } as const;
const leaf = (data: number[]): Tensor => tensor(data, { ...f64, requiresGrad: true });

/** The error thrown by fn, or a failure if it doesn't throw. */
function thrown(fn: () => void): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}

describe("detectAnomaly", () => {
  it("sqrt(x)·0 at x = 0: the 0/0 in sqrt's backward names 'sqrt' and this file", () => {
    // d√x = g/(2√x) = 0/(2·0) = NaN
    const error = thrown(() =>
      detectAnomaly(() => {
        const x = leaf([0, 4]);
        x.sqrt().mul(0).sum().backward();
      }),
    );
    expect(error).toBeInstanceOf(GradError);
    expect(error.message).toMatch(/'sqrt'/);
    expect(error.message).toMatch(/NaN/);
    expect(error.message).toContain("anomaly.test.ts");
  });

  it("log(x) at x = 0 gives an Inf gradient naming 'log'", () => {
    // d ln x = 1/x = Inf at 0
    const error = thrown(() =>
      detectAnomaly(() => {
        const x = leaf([1, 0]);
        x.log().sum().backward();
      }),
    );
    expect(error).toBeInstanceOf(GradError);
    expect(error.message).toMatch(/'log'/);
    expect(error.message).toMatch(/Infinity/);
    expect(error.message).toContain("anomaly.test.ts");
  });

  it("the op is found deep inside a larger graph, and the site is the line that created it", () => {
    // Every forward value is finite; only sqrt's backward makes a NaN (0/0 at x = 0).
    const error = thrown(() =>
      detectAnomaly(() => {
        const x = leaf([0.5, 0]);
        const h = x.mul(2).tanh();
        const bad = x.sqrt(); // BLAME-ME
        h.add(bad.mul(0)).exp().sum().backward();
      }),
    );
    expect(error).toBeInstanceOf(GradError);
    expect(error.message).toMatch(/^backward: 'sqrt'/);
    const line = readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").findIndex((l) => l.includes("// BLAME-ME")) + 1;
    expect(line).toBeGreaterThan(0);
    expect(error.message).toContain(`anomaly.test.ts:${line}:`);
  });

  it("without anomaly mode the same graph doesn't throw, and the NaN lands in .grad", () => {
    expect(isAnomalyEnabled()).toBe(false);
    const x = leaf([0, 4]);
    expect(() => x.sqrt().mul(0).sum().backward()).not.toThrow();
    const g = (x.grad as Tensor).toFlatArray();
    expect(Number.isNaN(g[0])).toBe(true);
    expect(g[1]).toBe(0);
    const y = leaf([1, 0]);
    y.log().sum().backward();
    expect(y.grad).toBeAllclose([1, Infinity], { rtol: 0, atol: 0 });
  });

  it("a finite backward in anomaly mode is unaffected; the mode is restored after a throw", () => {
    const x = leaf([1, 4]);
    detectAnomaly(() => x.sqrt().sum().backward());
    expect(x.grad).toBeAllclose([0.5, 0.25], { rtol: 0, atol: 0 });
    expect(isAnomalyEnabled()).toBe(false);
    thrown(() => detectAnomaly(() => leaf([0]).log().sum().backward()));
    expect(isAnomalyEnabled()).toBe(false);
  });
});
