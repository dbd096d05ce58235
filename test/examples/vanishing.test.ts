import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { manualSeed, tensor } from "@tensorgrad/autograd";
import { Linear, functional as F } from "@tensorgrad/nn";
import { runVanishing } from "@tensorgrad/examples";
import { tempDir } from "../helpers/temp-dir.js";

describe("vanishing example", () => {
  it("ReLU reaches the loss target sooner than sigmoid, whose first layer gets the smallest gradients", async () => {
    const dir = tempDir("vanishing");
    const r = await runVanishing({ quiet: true, outDir: dir, maxIters: 8000 });
    const [sigmoid, relu] = r.runs;
    expect([sigmoid.activation, relu.activation]).toEqual(["sigmoid", "relu"]);
    expect(relu.converged).toBe(true);
    expect(relu.finalMeanLoss).toBeLessThan(0.01);
    expect(sigmoid.iterations).toBeGreaterThan(relu.iterations);
    expect(sigmoid.meanGradNorm[0]).toBeLessThan(sigmoid.meanGradNorm[2]); // shrinking toward the input
    expect(sigmoid.seconds).toBeGreaterThan(0);
    expect(readFileSync(join(dir, "vanishing-gradients.svg"), "utf8")).toContain("<svg");
  });

  it("stops at maxIters when the target is out of reach", async () => {
    const r = await runVanishing({ quiet: true, noPlots: true, activations: ["sigmoid"], maxIters: 50, window: 20 });
    expect(r.runs[0].converged).toBe(false);
    expect(r.runs[0].iterations).toBe(50);
  });
});

describe("batch gradients are per-sample outer products", () => {
  it("autograd's dW equals Σᵢ δᵢ·aᵢᵀ / m, not (mean δ)·(mean a)ᵀ", () => {
    manualSeed(3);
    const layer = new Linear(3, 2, { dtype: "float64" });
    const a = [[0.2, -1.0, 0.5], [1.5, 0.3, -0.7], [-0.4, 0.9, 2.0], [0.0, -0.2, 0.1]];
    const y = [[0.1, 0.9], [0.5, 0.5], [1.0, 0.0], [0.3, 0.3]];
    const out = layer.call(tensor(a, { dtype: "float64" }));
    F.mseLoss(out, tensor(y, { dtype: "float64" }), { reduction: "sum" }).div(a.length).backward();
    // By hand: δᵢ = ∂(Σ(outᵢ − yᵢ)²)/∂outᵢ = 2(outᵢ − yᵢ); dW[k][j] = Σᵢ δᵢ[k]·aᵢ[j] / m.
    const o = out.detach().toArray() as number[][];
    const delta = o.map((row, i) => row.map((v, k) => 2 * (v - y[i][k])));
    const m = a.length;
    const perSample = [0, 1].map((k) => [0, 1, 2].map((j) => delta.reduce((s, d, i) => s + d[k] * a[i][j], 0) / m));
    const meanDelta = [0, 1].map((k) => delta.reduce((s, d) => s + d[k], 0) / m);
    const meanA = [0, 1, 2].map((j) => a.reduce((s, r) => s + r[j], 0) / m);
    const averagedFirst = meanDelta.map((d) => meanA.map((v) => d * v));
    const grad = layer.weight.grad!.toArray() as number[][];
    grad.flat().forEach((g, i) => expect(g).toBeCloseTo(perSample.flat()[i], 12));
    const gap = Math.max(...grad.flat().map((g, i) => Math.abs(g - averagedFirst.flat()[i])));
    expect(gap).toBeGreaterThan(0.1); // the averaged-activations shortcut is a different, wrong gradient
  });
});
