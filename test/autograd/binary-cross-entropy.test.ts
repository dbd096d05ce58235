/**
 * The fused binaryCrossEntropy primitive (ops/binary-cross-entropy.ts) against PyTorch goldens
 * recorded by test/goldens/bce.py: p at 0 and 1 (logs clamped at −100, finite gradients) included.
 */

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ShapeError, binaryCrossEntropy, tensor } from "@tensorgrad/autograd";

const golden = JSON.parse(readFileSync(new URL("../goldens/bce.json", import.meta.url), "utf8")) as Record<"p" | "y" | "out" | "gradOut" | "gradP", number[]> & { gradY: (number | null)[]; torch: string };

describe(`binaryCrossEntropy matches PyTorch ${golden.torch} (test/goldens/bce.py)`, () => {
  it.each(["float64", "float32"] as const)("%s: values and both gradients", (dtype) => {
    const tol = dtype === "float64" ? { rtol: 1e-12, atol: 1e-12 } : { rtol: 1e-5, atol: 1e-4 };
    const p = tensor(golden.p, { dtype, requiresGrad: true });
    const y = tensor(golden.y, { dtype, requiresGrad: true });
    const out = binaryCrossEntropy(p, y);
    expect(out).toBeAllclose(tensor(golden.out, { dtype: "float64" }), tol);
    out.backward(tensor(golden.gradOut, { dtype }));
    // PyTorch divides in another order: 4e-9 apart (relative) at p = 1e-30.
    expect(p.grad).toBeAllclose(tensor(golden.gradP, { dtype: "float64" }), { ...tol, rtol: dtype === "float64" ? 1e-8 : 1e-4 });
    // The target's gradient where PyTorch's is finite (it does not clamp that one at p = 0 or 1).
    const finite = golden.gradY.flatMap((v, i) => (v === null ? [] : [i]));
    const gy = y.grad?.toFlatArray() ?? [];
    expect(tensor(finite.map((i) => gy[i]), { dtype: "float64" })).toBeAllclose(tensor(finite.map((i) => golden.gradY[i] as number), { dtype: "float64" }), tol);
  });

  it.each(["float32", "float64"] as const)("%s: refuses p or y outside [0, 1] (checked in the kernel's pass), naming the first such value and where", (dtype) => {
    // 128×784 (the VAE's reconstruction): large enough for the wasm kernel where that backend runs
    const n = 128 * 784;
    const ok = Array.from({ length: n }, (_, i) => (i % 7) / 6);
    const withBad = (at: number, v: number): number[] => ok.map((x, i) => (i === at ? v : x));
    const t = (values: number[]) => tensor(values, { dtype, shape: [128, 784] });
    expect(() => binaryCrossEntropy(t(ok), t(ok))).not.toThrow();
    expect(() => binaryCrossEntropy(t(withBad(5001, 1.5)), t(ok))).toThrow("binaryCrossEntropy: all elements of input should be between 0 and 1, got 1.5 at flat index 5001");
    expect(() => binaryCrossEntropy(t(ok), t(withBad(n - 1, NaN)))).toThrow(`binaryCrossEntropy: all elements of target should be between 0 and 1, got NaN at flat index ${n - 1}`);
    expect(() => binaryCrossEntropy(tensor([-0.25], { dtype }), tensor([1], { dtype }))).toThrow("binaryCrossEntropy: all elements of input should be between 0 and 1, got -0.25");
  });

  it("refuses operands of different shapes", () => {
    expect(() => binaryCrossEntropy(tensor([0.5]), tensor([0.5, 0.5]))).toThrow(ShapeError);
  });
});
