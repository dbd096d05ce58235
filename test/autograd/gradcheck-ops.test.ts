/**
 * Every differentiable op against central finite differences in float64, on random shapes (with
 * broadcasting) and values; gradgradcheck on the smooth ones. The registry test fails when a
 * primitive is added without a case (gradcheck-cases/ops.ts).
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tensor, type Tensor } from "@tensorgrad/autograd";
import { gradcheck, gradgradcheck, registeredOps } from "@tensorgrad/autograd/testing";
import { OP_CASES as CASES } from "./gradcheck-cases/ops.js";

describe("gradcheck: every differentiable op in float64", () => {
  it("covers every registered primitive", () => {
    const covered = new Set(CASES.flatMap((c) => c.covers));
    const missing = registeredOps().filter((op) => !covered.has(op));
    expect(missing).toEqual([]);
  });

  for (const c of CASES) {
    it(`gradient: ${c.name}`, () => {
      fc.assert(
        fc.property(c.inputs, (xs) => {
          fc.pre(c.valid === undefined || c.valid(...xs));
          const report = gradcheck(c.fn, xs, { eps: c.eps, atol: c.atol ?? 1e-6, rtol: 1e-4 });
          if (!report.ok) throw new Error(report.message);
        }),
        { numRuns: 60 },
      );
    });
    if (c.smooth) {
      it(`second order: ${c.name}`, () => {
        fc.assert(
          fc.property(c.inputs, (xs) => {
            fc.pre(c.valid === undefined || c.valid(...xs));
            const report = gradgradcheck(c.fn, xs, { atol: 1e-5, rtol: 1e-3 });
            if (!report.ok) throw new Error(report.message);
          }),
          { numRuns: 15 },
        );
      });
    }
  }
});

describe("gradcheck itself", () => {
  it("reports a wrong gradient with the input element, analytic and numeric values", async () => {
    const { defineFunction } = await import("@tensorgrad/autograd");
    const wrongSquare = defineFunction({
      name: "wrongSquare",
      forward: (ctx, x: Tensor) => {
        ctx.saveForBackward(x);
        return x.mul(x);
      },
      backward: (ctx, g) => [g.mul(ctx.savedTensors[0]).mul(3)], // should be 2x
    });
    const x = tensor([1, 2], { dtype: "float64", requiresGrad: true });
    const report = gradcheck((t) => wrongSquare(t), [x]);
    expect(report.ok).toBe(false);
    expect(report.failures[0]).toMatchObject({ inputIndex: 0, inputElement: 0, outputElement: 0 });
    expect(report.failures[0].analytic).toBeCloseTo(3, 8); // 3x at x = 1
    expect(report.failures[0].numeric).toBeCloseTo(2, 5);
    expect(report.message).toMatch(/analytic 3/);
    expect(() => gradcheck((t) => wrongSquare(t), [x], { raiseException: true })).toThrow(/Jacobian entries differ/);
  });

  it("refuses float32 inputs", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() => gradcheck((t) => t.mul(t), [x])).toThrow(/use float64/);
  });

  it("gradgradcheck catches a wrong second derivative", async () => {
    const { defineFunction } = await import("@tensorgrad/autograd");
    // First derivative right (3x²), but written with a detached x so the second derivative is lost.
    const cube = defineFunction({
      name: "cube",
      forward: (ctx, x: Tensor) => {
        ctx.saveForBackward(x);
        return x.pow(3);
      },
      backward: (ctx, g) => [g.mul(ctx.savedTensors[0].detach().square().mul(3))],
    });
    const x = tensor([0.5, 1.5], { dtype: "float64", requiresGrad: true });
    expect(gradcheck((t) => cube(t), [x]).ok).toBe(true);
    expect(gradgradcheck((t) => cube(t), [x]).ok).toBe(false);
  });
});
