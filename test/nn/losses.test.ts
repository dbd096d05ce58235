import { describe, expect, it } from "vitest";
import { DTypeError, IndexError, ShapeError, Tensor, ValueError, noGrad, tensor, type NestedArray } from "@tensorgrad/autograd";
import {
  BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss, SmoothL1Loss, functional as F,
  type Reduction,
} from "@tensorgrad/nn";

const f64 = { dtype: "float64" as const };
const i32 = { dtype: "int32" as const };
const sum = (v: readonly number[]): number => v.reduce((s, x) => s + x, 0);
const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
const logSumExp = (row: readonly number[]): number => {
  const m = Math.max(...row);
  return m + Math.log(sum(row.map((v) => Math.exp(v - m))));
};
const logSoftmaxRow = (row: readonly number[]): number[] => row.map((v) => v - logSumExp(row));
const softmaxRow = (row: readonly number[]): number[] => logSoftmaxRow(row).map(Math.exp);

/**
 * Central finite differences in float64: checks the autograd gradient of Σ cot·f(inputs) with
 * respect to every input created from `values` (the others are passed through as constants).
 */
function gradcheck(f: (...xs: Tensor[]) => Tensor, values: readonly (NestedArray | Tensor)[], eps = 1e-6, tol = 1e-6): void {
  const inputs = values.map((v) => (v instanceof Tensor ? v : tensor(v, { ...f64, requiresGrad: true })));
  const out = f(...inputs);
  const cot = tensor(Array.from({ length: out.numel() }, (_, i) => 0.5 + 0.25 * (i % 5)), { ...f64, shape: out.shape });
  out.mul(cot).sum().backward();
  const objective = (xs: Tensor[]): number => noGrad(() => f(...xs).mul(cot).sum().item());
  inputs.forEach((input, k) => {
    if (!(values[k] instanceof Tensor) && input.grad === null) throw new Error(`gradcheck: input ${k} got no gradient`);
    if (values[k] instanceof Tensor) return;
    const flat = input.toFlatArray();
    const analytic = input.grad!.toFlatArray();
    flat.forEach((v, j) => {
      const shifted = (d: number) =>
        inputs.map((t, m) => (m === k ? tensor(flat.map((u, q) => (q === j ? v + d : u)), { ...f64, shape: input.shape }) : t.detach()));
      const numeric = (objective(shifted(eps)) - objective(shifted(-eps))) / (2 * eps);
      const diff = Math.abs(numeric - analytic[j]);
      if (diff > tol + tol * Math.abs(numeric)) {
        throw new Error(`gradcheck: input ${k}, element ${j}: analytic ${analytic[j]} vs numeric ${numeric}`);
      }
    });
  });
}

/** Value and input gradient of a loss for one reduction. */
function run(loss: (x: Tensor) => Tensor, xValues: NestedArray): { value: Tensor; grad: Tensor } {
  const x = tensor(xValues, { ...f64, requiresGrad: true });
  const value = loss(x);
  (value.ndim === 0 ? value : value.sum()).backward();
  return { value, grad: x.grad! };
}

describe("regression losses", () => {
  // x − y = d = [−0.5, 0, 2, −2]
  const x = [1, 2, 3, 4];
  const y = tensor([1.5, 2, 1, 6], f64);

  it("mseLoss: (x − y)², all reductions", () => {
    // d² = [0.25, 0, 4, 4]: sum 8.25, mean 2.0625; d(mean)/dx = 2d/4
    expect(run((t) => F.mseLoss(t, y, { reduction: "none" }), x).value).toBeAllclose([0.25, 0, 4, 4]);
    expect(run((t) => F.mseLoss(t, y, { reduction: "sum" }), x).value).toBeAllclose(8.25);
    const mean = run((t) => F.mseLoss(t, y), x);
    expect(mean.value).toBeAllclose(2.0625);
    expect(mean.grad).toBeAllclose([-0.25, 0, 1, -1]);
    expect(run((t) => F.mseLoss(t, y, { reduction: "sum" }), x).grad).toBeAllclose([-1, 0, 4, -4]);
    expect(new MSELoss({ reduction: "sum" }).call(tensor(x, f64), y)).toBeAllclose(8.25);
  });

  it("l1Loss: |x − y|, with sign(0) = 0 as PyTorch", () => {
    // |d| = [0.5, 0, 2, 2]: sum 4.5, mean 1.125
    expect(run((t) => F.l1Loss(t, y, { reduction: "none" }), x).value).toBeAllclose([0.5, 0, 2, 2]);
    expect(run((t) => F.l1Loss(t, y, { reduction: "sum" }), x).value).toBeAllclose(4.5);
    const mean = run((t) => F.l1Loss(t, y), x);
    expect(mean.value).toBeAllclose(1.125);
    expect(mean.grad).toBeAllclose([-0.25, 0, 0.25, -0.25]);
    expect(new L1Loss().call(tensor(x, f64), y)).toBeAllclose(1.125);
  });

  it("smoothL1Loss: 0.5d²/β below β, |d| − 0.5β above", () => {
    // β = 1: [0.125, 0, 1.5, 1.5], sum 3.125; gradient d/β inside, sign(d) outside
    const mean = run((t) => F.smoothL1Loss(t, y), x);
    expect(mean.value).toBeAllclose(3.125 / 4);
    expect(mean.grad).toBeAllclose([-0.5 / 4, 0, 0.25, -0.25]);
    expect(run((t) => F.smoothL1Loss(t, y, { reduction: "none" }), x).value).toBeAllclose([0.125, 0, 1.5, 1.5]);
    // β = 0.5: |d| = 0.5 is not below β → 0.5 − 0.25; 2 → 1.75
    expect(run((t) => F.smoothL1Loss(t, y, { beta: 0.5, reduction: "none" }), x).value).toBeAllclose([0.25, 0, 1.75, 1.75]);
    // β = 0 is the L1 loss
    expect(run((t) => F.smoothL1Loss(t, y, { beta: 0, reduction: "sum" }), x).value).toBeAllclose(4.5);
    expect(new SmoothL1Loss({ beta: 0.5, reduction: "sum" }).call(tensor(x, f64), y)).toBeAllclose(3.75);
  });

  it("huberLoss: 0.5d² below δ, δ(|d| − 0.5δ) above", () => {
    // δ = 1: [0.125, 0, 1.5, 1.5]; δ = 2: [0.125, 0, 2·(2 − 1), 2]
    expect(run((t) => F.huberLoss(t, y, { reduction: "none" }), x).value).toBeAllclose([0.125, 0, 1.5, 1.5]);
    const d2 = run((t) => F.huberLoss(t, y, { delta: 2, reduction: "sum" }), x);
    expect(d2.value).toBeAllclose(4.125);
    expect(d2.grad).toBeAllclose([-0.5, 0, 2, -2]);
    expect(new HuberLoss({ delta: 2 }).call(tensor(x, f64), y)).toBeAllclose(4.125 / 4);
    expect(() => F.huberLoss(tensor(x), tensor(x), { delta: 0 })).toThrow(ValueError);
  });

  it("gradcheck in float64 with respect to input and target, every reduction", () => {
    const xs = [[0.3, -1.2, 2.5], [0.7, 0.1, -0.4]];
    const ys = [[0.1, -0.2, 0.5], [1.9, 0.1, 0.3]];
    for (const reduction of ["mean", "sum", "none"] as Reduction[]) {
      gradcheck((a, b) => F.mseLoss(a, b, { reduction }), [xs, ys]);
      gradcheck((a, b) => F.l1Loss(a, b, { reduction }), [xs, ys]);
      gradcheck((a, b) => F.smoothL1Loss(a, b, { reduction, beta: 0.8 }), [xs, ys]);
      gradcheck((a, b) => F.huberLoss(a, b, { reduction, delta: 0.8 }), [xs, ys]);
    }
  });

  it("rejects mismatched shapes, non-float tensors and unknown reductions", () => {
    expect(() => F.mseLoss(tensor([[1], [2]]), tensor([1, 2]))).toThrow("mseLoss: target shape [2] differs from input shape [2,1]");
    expect(() => F.l1Loss(tensor([1]), tensor([1], i32))).toThrow(DTypeError);
    expect(() => F.mseLoss(tensor([1]), tensor([1]), { reduction: "avg" as Reduction })).toThrow(
      'mseLoss: option reduction must be one of "mean", "sum", "none", got "avg"',
    );
  });
});

describe("binaryCrossEntropy", () => {
  const p = [0.9, 0.2, 0.5];
  const y = tensor([1, 0, 1], f64);

  it("values and gradients: −(y log p + (1 − y) log(1 − p)), ∂/∂p = (p − y)/(p(1 − p))", () => {
    const losses = [-Math.log(0.9), -Math.log(0.8), -Math.log(0.5)]; // 0.10536, 0.22314, 0.69315
    expect(run((t) => F.binaryCrossEntropy(t, y, { reduction: "none" }), p).value).toBeAllclose(losses, { rtol: 1e-12 });
    expect(run((t) => F.binaryCrossEntropy(t, y, { reduction: "sum" }), p).value).toBeAllclose(sum(losses), { rtol: 1e-12 });
    const mean = run((t) => F.binaryCrossEntropy(t, y), p);
    expect(mean.value).toBeAllclose(sum(losses) / 3, { rtol: 1e-12 });
    expect(mean.grad).toBeAllclose([-0.1 / 0.09 / 3, 0.2 / 0.16 / 3, -0.5 / 0.25 / 3], { rtol: 1e-10 });
    // weight rescales each element
    const w = tensor([2, 1, 0.5], f64);
    const weighted = run((t) => F.binaryCrossEntropy(t, y, { weight: w, reduction: "sum" }), p);
    expect(weighted.value).toBeAllclose(2 * losses[0] + losses[1] + 0.5 * losses[2], { rtol: 1e-12 });
    expect(weighted.grad).toBeAllclose([(2 * -0.1) / 0.09, 0.2 / 0.16, (0.5 * -0.5) / 0.25], { rtol: 1e-10 });
    expect(new BCELoss({ weight: w, reduction: "sum" }).call(tensor(p, f64), y)).toBeAllclose(weighted.value);
  });

  it("clamps log at −100 as PyTorch, so p = 0 or 1 gives a finite loss and gradient", () => {
    const r = run((t) => F.binaryCrossEntropy(t, tensor([1, 0, 0, 1], f64), { reduction: "none" }), [0, 1, 0, 1]);
    expect(r.value).toBeAllclose([100, 100, 0, 0]);
    // (p − y)/max(p(1 − p), 1e-12)
    expect(r.grad).toBeAllclose([-1e12, 1e12, 0, 0]);
    expect(r.grad.isfinite().all().item()).toBe(1);
  });

  it("gradcheck in float64 for input and target", () => {
    // Targets inside (0, 1): the finite differences step past the ends, where targets are refused.
    gradcheck((a, b) => F.binaryCrossEntropy(a, b), [[0.3, 0.6, 0.95], [0.2, 0.99, 0.4]]);
    gradcheck((a, b) => F.binaryCrossEntropy(a, b, { weight: tensor([1, 2, 3], f64), reduction: "sum" }), [[0.3, 0.6, 0.95], [0.01, 0.99, 0.4]]);
    gradcheck((a, b) => F.binaryCrossEntropy(a, b, { reduction: "none" }), [[[0.3], [0.7]], [[0.2], [0.9]]]);
  });

  it("refuses input outside [0, 1] or NaN (PyTorch raises too) and targets outside [0, 1] or NaN (PyTorch computes −100-clamped nonsense)", () => {
    // PyTorch 1.13: F.binary_cross_entropy(tensor([1.5]), tensor([1.])) raises "all elements of input
    // should be between 0 and 1", as for -0.1, NaN and inf; a target of 2 or -1 gives 0.6931 at p = 0.5,
    // and p = 1 with target 2 gives -100.
    const ok = tensor([0.5], f64);
    for (const bad of [1.5, -0.1, NaN, Infinity]) {
      expect(() => F.binaryCrossEntropy(tensor([bad], f64), ok)).toThrow(ValueError);
      expect(() => F.binaryCrossEntropy(tensor([0.5, bad], f64), tensor([1, 0], f64))).toThrow(`binaryCrossEntropy: all elements of input should be between 0 and 1, got ${bad} at flat index 1`);
    }
    for (const bad of [2, -1, NaN]) {
      expect(() => F.binaryCrossEntropy(ok, tensor([bad], f64))).toThrow(`binaryCrossEntropy: all elements of target should be between 0 and 1, got ${bad}`);
      expect(() => new BCELoss().call(ok, tensor([bad], f64))).toThrow(ValueError);
    }
    // The ends are fine, in float32 too.
    expect(F.binaryCrossEntropy(tensor([0, 1, 0.25]), tensor([0, 1, 0.5])).item()).toBeCloseTo(-(0.5 * Math.log(0.25) + 0.5 * Math.log(0.75)) / 3, 6);
  });
});

describe("binaryCrossEntropyWithLogits", () => {
  const x = [2, -1, 0];
  const yv = [1, 0, 0.5];
  const y = tensor(yv, f64);

  it("values and gradients: max(x, 0) − x·y + log(1 + e^{−|x|}), ∂/∂x = σ(x) − y", () => {
    const losses = x.map((v, i) => Math.max(v, 0) - v * yv[i] + Math.log1p(Math.exp(-Math.abs(v))));
    expect(run((t) => F.binaryCrossEntropyWithLogits(t, y, { reduction: "none" }), x).value).toBeAllclose(losses, { rtol: 1e-12 });
    const mean = run((t) => F.binaryCrossEntropyWithLogits(t, y), x);
    expect(mean.value).toBeAllclose(sum(losses) / 3, { rtol: 1e-12 });
    expect(mean.grad).toBeAllclose(x.map((v, i) => (sigmoid(v) - yv[i]) / 3), { rtol: 1e-10 });
    // Same numbers as BCE on σ(x).
    expect(F.binaryCrossEntropy(tensor(x, f64).sigmoid(), y)).toBeAllclose(mean.value, { rtol: 1e-12 });
    // At x = 0 exactly the gradient is σ(0) − y = 0.5 − y.
    expect(run((t) => F.bceWithLogits(t, tensor([0.25], f64), { reduction: "sum" }), [0]).grad).toBeAllclose([0.25]);
  });

  it("posWeight multiplies the positive term: −(pw·y·log σ(x) + (1 − y)·log(1 − σ(x)))", () => {
    const pw = tensor([3], f64);
    const losses = x.map((v, i) => -(3 * yv[i] * Math.log(sigmoid(v)) + (1 - yv[i]) * Math.log(1 - sigmoid(v))));
    const r = run((t) => F.binaryCrossEntropyWithLogits(t, y, { posWeight: pw, reduction: "sum" }), x);
    expect(r.value).toBeAllclose(sum(losses), { rtol: 1e-12 });
    // ∂/∂x = σ(x)·(pw·y + 1 − y) − pw·y
    expect(r.grad).toBeAllclose(x.map((v, i) => sigmoid(v) * (3 * yv[i] + 1 - yv[i]) - 3 * yv[i]), { rtol: 1e-10 });
    const w = tensor([1, 2, 0], f64);
    const weighted = run((t) => F.binaryCrossEntropyWithLogits(t, y, { posWeight: pw, weight: w, reduction: "none" }), x);
    expect(weighted.value).toBeAllclose(losses.map((l, i) => l * [1, 2, 0][i]), { rtol: 1e-12 });
    const mod = new BCEWithLogitsLoss({ posWeight: pw, weight: w, reduction: "none" });
    expect(mod.call(tensor(x, f64), y)).toBeAllclose(weighted.value);
    expect(Object.keys(mod.stateDict())).toEqual(["weight", "pos_weight"]);
  });

  it("stays finite for logits of ±1e4 (float32 and float64)", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const t = tensor([1e4, -1e4, 1e4, -1e4], { dtype, requiresGrad: true });
      const loss = F.binaryCrossEntropyWithLogits(t, tensor([1, 0, 0, 1], { dtype }), { reduction: "none" });
      expect(loss).toBeAllclose([0, 0, 1e4, 1e4]);
      loss.sum().backward();
      expect(t.grad).toBeAllclose([0, 0, 1, -1]);
    }
  });

  it("gradcheck in float64 for input, target and posWeight", () => {
    gradcheck((a, b) => F.binaryCrossEntropyWithLogits(a, b), [[0.3, -2, 4], [0.2, 1, 0.4]]);
    gradcheck((a, b, pw) => F.binaryCrossEntropyWithLogits(a, b, { posWeight: pw, reduction: "sum" }), [[[0.3, -2], [4, 1]], [[0.2, 1], [0, 0.4]], [1.5, 0.5]]);
  });
});

describe("crossEntropy and nllLoss", () => {
  const X = [[1, 2, 3], [1, 0, -1], [0.5, 0.5, 2]];
  const t = [2, 0, 1];
  const target = tensor(t, i32);
  const logp = X.map(logSoftmaxRow);
  const nll = X.map((_, i) => -logp[i][t[i]]); // logsumexp(xᵢ) − xᵢ[tᵢ]

  it("class indices: logsumexp(x) − x[t]; gradient (softmax − onehot)/N", () => {
    // Row 0 by hand: 3 + ln(1 + e⁻¹ + e⁻²) − 3 = 0.40760596444438
    expect(nll[0]).toBeCloseTo(0.40760596444438, 12);
    expect(run((x) => F.crossEntropy(x, target, { reduction: "none" }), X).value).toBeAllclose(nll, { rtol: 1e-12 });
    expect(run((x) => F.crossEntropy(x, target, { reduction: "sum" }), X).value).toBeAllclose(sum(nll), { rtol: 1e-12 });
    const mean = run((x) => F.crossEntropy(x, target), X);
    expect(mean.value).toBeAllclose(sum(nll) / 3, { rtol: 1e-12 });
    expect(mean.grad).toBeAllclose(X.map((row, i) => softmaxRow(row).map((s, c) => (s - (c === t[i] ? 1 : 0)) / 3)), { rtol: 1e-10 });
    expect(new CrossEntropyLoss().call(tensor(X, f64), target)).toBeAllclose(mean.value);
  });

  it("class weights: Σ w[tᵢ]·ℓᵢ / Σ w[tᵢ] for the mean", () => {
    const w = [1, 2, 0.5];
    const weight = tensor(w, f64);
    const wt = t.map((c) => w[c]); // [0.5, 1, 2]
    expect(run((x) => F.crossEntropy(x, target, { weight, reduction: "none" }), X).value).toBeAllclose(nll.map((l, i) => l * wt[i]), { rtol: 1e-12 });
    expect(run((x) => F.crossEntropy(x, target, { weight, reduction: "sum" }), X).value).toBeAllclose(sum(nll.map((l, i) => l * wt[i])), { rtol: 1e-12 });
    const mean = run((x) => F.crossEntropy(x, target, { weight }), X);
    expect(mean.value).toBeAllclose(sum(nll.map((l, i) => l * wt[i])) / sum(wt), { rtol: 1e-12 });
    expect(mean.grad).toBeAllclose(X.map((row, i) => softmaxRow(row).map((s, c) => (wt[i] * (s - (c === t[i] ? 1 : 0))) / sum(wt))), { rtol: 1e-10 });
    const mod = new CrossEntropyLoss({ weight });
    expect(Object.keys(mod.stateDict())).toEqual(["weight"]);
    expect(mod.call(tensor(X, f64), target)).toBeAllclose(mean.value);
  });

  it("ignoreIndex: ignored targets add nothing and leave the mean (weighted too)", () => {
    const ignored = tensor([2, -100, 1], i32);
    const mean = run((x) => F.crossEntropy(x, ignored), X);
    expect(mean.value).toBeAllclose((nll[0] + nll[2]) / 2, { rtol: 1e-12 });
    expect(mean.grad.select(0, 1)).toBeAllclose([0, 0, 0]);
    expect(run((x) => F.crossEntropy(x, ignored, { reduction: "none" }), X).value).toBeAllclose([nll[0], 0, nll[2]], { rtol: 1e-12 });
    // A custom ignoreIndex that is a real class: targets equal to 1 are skipped.
    expect(F.crossEntropy(tensor(X, f64), target, { ignoreIndex: 1 })).toBeAllclose((nll[0] + nll[1]) / 2, { rtol: 1e-12 });
    const w = [1, 2, 0.5];
    expect(F.crossEntropy(tensor(X, f64), ignored, { weight: tensor(w, f64) })).toBeAllclose((0.5 * nll[0] + 2 * nll[2]) / 2.5, { rtol: 1e-12 });
    // Everything ignored: 0/0, as PyTorch.
    expect(Number.isNaN(F.crossEntropy(tensor(X), tensor([-100, -100, -100], i32)).item())).toBe(true);
  });

  it("labelSmoothing ε: (1 − ε)·ℓᵢ + (ε/C)·Σ_c −log pᵢ_c (and PyTorch's weighted variant)", () => {
    const eps = 0.1;
    const C = 3;
    const smooth = logp.map((row) => -sum(row));
    const per = nll.map((l, i) => (1 - eps) * l + (eps / C) * smooth[i]);
    expect(F.crossEntropy(tensor(X, f64), target, { labelSmoothing: eps, reduction: "none" })).toBeAllclose(per, { rtol: 1e-12 });
    const mean = run((x) => F.crossEntropy(x, target, { labelSmoothing: eps }), X);
    expect(mean.value).toBeAllclose(sum(per) / 3, { rtol: 1e-12 });
    // Gradient: softmax − ((1 − ε)·onehot + ε/C), averaged.
    expect(mean.grad).toBeAllclose(X.map((row, i) => softmaxRow(row).map((s, c) => (s - ((1 - eps) * (c === t[i] ? 1 : 0) + eps / C)) / 3)), { rtol: 1e-10 });
    // Weighted + ignored: both parts are divided by Σ w[tᵢ] over kept targets.
    const w = [1, 2, 0.5];
    const ignored = tensor([2, -100, 1], i32);
    const keep = [0, 2];
    const denom = w[2] + w[1];
    const nllPart = (w[2] * nll[0] + w[1] * nll[2]) / denom;
    const smoothPart = sum(keep.map((i) => -sum(logp[i].map((v, c) => w[c] * v)))) / denom;
    expect(F.crossEntropy(tensor(X, f64), ignored, { labelSmoothing: eps, weight: tensor(w, f64) })).toBeAllclose(
      (1 - eps) * nllPart + (eps / C) * smoothPart,
      { rtol: 1e-12 },
    );
  });

  it("class probabilities: −Σ_c y_c·log softmax(x)_c, mean over samples (weights and smoothing too)", () => {
    const Y = [[0.1, 0.2, 0.7], [1, 0, 0], [0.3, 0.3, 0.4]];
    const per = Y.map((row, i) => -sum(row.map((y, c) => y * logp[i][c])));
    expect(F.crossEntropy(tensor(X, f64), tensor(Y, f64), { reduction: "none" })).toBeAllclose(per, { rtol: 1e-12 });
    const mean = run((x) => F.crossEntropy(x, tensor(Y, f64)), X);
    expect(mean.value).toBeAllclose(sum(per) / 3, { rtol: 1e-12 });
    expect(mean.grad).toBeAllclose(X.map((row, i) => softmaxRow(row).map((s, c) => (s * sum(Y[i]) - Y[i][c]) / 3)), { rtol: 1e-10 });
    const w = [1, 2, 0.5];
    const weighted = Y.map((row, i) => -sum(row.map((y, c) => w[c] * y * logp[i][c])));
    expect(F.crossEntropy(tensor(X, f64), tensor(Y, f64), { weight: tensor(w, f64) })).toBeAllclose(sum(weighted) / 3, { rtol: 1e-12 });
    const eps = 0.2;
    const smoothed = Y.map((row, i) => -sum(row.map((y, c) => ((1 - eps) * y + eps / 3) * logp[i][c])));
    expect(F.crossEntropy(tensor(X, f64), tensor(Y, f64), { labelSmoothing: eps, reduction: "sum" })).toBeAllclose(sum(smoothed), { rtol: 1e-12 });
    expect(() => F.crossEntropy(tensor(X), tensor(Y), { ignoreIndex: 0 })).toThrow(/ignoreIndex is not supported/);
  });

  it("handles [N, C, d] inputs and unbatched [C] inputs", () => {
    // Input [2, 3, 2]: position (n, k) has logits X[n][:][k].
    const X3 = [[[1, 0.5], [2, 0.5], [3, 2]], [[1, 0], [0, 0], [-1, 1]]];
    const T3 = [[2, 1], [0, 2]];
    const per = T3.map((row, n) => row.map((c, k) => -logSoftmaxRow(X3[n].map((r) => r[k]))[c]));
    const r = run((x) => F.crossEntropy(x, tensor(T3, i32), { reduction: "none" }), X3);
    expect(r.value).toBeAllclose(per, { rtol: 1e-12 });
    expect(F.crossEntropy(tensor(X3, f64), tensor(T3, i32))).toBeAllclose(sum(per.flat()) / 4, { rtol: 1e-12 });
    const one = run((x) => F.crossEntropy(x, tensor(2, i32)), X[0]);
    expect(one.value).toBeAllclose(nll[0], { rtol: 1e-12 });
    expect(one.grad).toBeAllclose(softmaxRow(X[0]).map((s, c) => s - (c === 2 ? 1 : 0)), { rtol: 1e-10 });
    expect(F.crossEntropy(tensor(X[0], f64), tensor(2, i32), { reduction: "none" }).shape).toEqual([]);
  });

  it("is finite for logits of ±1e4, in value and gradient", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const x = tensor([[1e4, -1e4, 0], [-1e4, 1e4, 1e4]], { dtype, requiresGrad: true });
      const loss = F.crossEntropy(x, tensor([1, 2], i32), { reduction: "none" });
      // Row 0: logsumexp = 1e4, minus x[1] = −1e4 → 2e4. Row 1: 1e4 + ln 2 − 1e4 = ln 2.
      expect(loss).toBeAllclose([2e4, Math.LN2], { rtol: 1e-6 });
      loss.mean().backward();
      expect(x.grad).toBeAllclose([[0.5, -0.5, 0], [0, 0.25, -0.25]], { atol: 1e-7 });
      const probs = tensor([[1e4, -1e4], [-1e4, 1e4]], { dtype, requiresGrad: true });
      const soft = F.crossEntropy(probs, tensor([[0.5, 0.5], [1, 0]], { dtype }), { labelSmoothing: 0.1 });
      expect(soft.isfinite().item()).toBe(1);
      soft.backward();
      expect(probs.grad!.isfinite().all().item()).toBe(1);
    }
  });

  it("nllLoss on log-probabilities: −w[t]·input[t], same numbers as crossEntropy", () => {
    const lp = tensor(logp, f64);
    expect(F.nllLoss(lp, target, { reduction: "none" })).toBeAllclose(nll, { rtol: 1e-12 });
    const mean = run((x) => F.nllLoss(x, target), logp);
    expect(mean.value).toBeAllclose(sum(nll) / 3, { rtol: 1e-12 });
    // ∂/∂input = −onehot/N
    expect(mean.grad).toBeAllclose(t.map((c) => [0, 1, 2].map((k) => (k === c ? -1 / 3 : 0))));
    const w = tensor([1, 2, 0.5], f64);
    expect(new NLLLoss({ weight: w, ignoreIndex: 0 }).call(lp, target)).toBeAllclose((0.5 * nll[0] + 2 * nll[2]) / 2.5, { rtol: 1e-12 });
    expect(() => F.nllLoss(lp, tensor([[0.2, 0.3, 0.5]], f64))).toThrow(ShapeError);
  });

  it("gradcheck in float64: indices with weights, smoothing and ignoreIndex; probabilities in input and target", () => {
    const Xg = [[0.2, -1.3, 0.8, 0.1], [1.5, 0.3, -0.7, 2.2], [0.0, 0.4, 0.9, -1.1]];
    const w = tensor([0.5, 1, 2, 1.5], f64);
    for (const reduction of ["mean", "sum", "none"] as Reduction[]) {
      gradcheck((x) => F.crossEntropy(x, tensor([3, -100, 1], i32), { weight: w, labelSmoothing: 0.15, reduction }), [Xg]);
      gradcheck((x, y) => F.crossEntropy(x, y, { weight: w, labelSmoothing: 0.1, reduction }), [Xg, [[0.1, 0.2, 0.3, 0.4], [1, 0, 0, 0], [0.25, 0.25, 0.25, 0.25]]]);
      gradcheck((x) => F.nllLoss(x, tensor([0, 2, 3], i32), { weight: w, reduction }), [Xg]);
    }
    gradcheck((x) => F.crossEntropy(x, tensor([[1, 0], [2, 2]], i32)), [[[[0.1, 0.5], [0.3, -0.2], [1, 0]], [[0.2, 0.2], [-1, 0.4], [0.5, 0.6]]]]);
  });

  it("validates shapes, dtypes and class ranges with clear errors", () => {
    const x = tensor([[1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, 3]]);
    expect(() => F.crossEntropy(x, tensor([0, 1, 2], i32))).toThrow("crossEntropy: target has shape [3] but input has batch size 4");
    expect(() => F.crossEntropy(x, tensor([0, 1, 2, 3], i32))).toThrow(IndexError);
    expect(() => F.crossEntropy(x, tensor([0, 1, 2, 3], i32))).toThrow("crossEntropy: target 3 is out of bounds for 3 classes");
    expect(() => F.crossEntropy(x, tensor([true, false, true, false]))).toThrow(DTypeError);
    expect(() => F.crossEntropy(x, tensor([[0, 1, 0]], f64))).toThrow(/probability target must have the input's shape \[4,3\]/);
    expect(() => F.crossEntropy(x, tensor([0, 1, 2, 0], i32), { weight: tensor([1, 2]) })).toThrow("crossEntropy: weight must have shape [3] (one per class), got [2]");
    expect(() => F.crossEntropy(x, tensor([0, 1, 2, 0], i32), { labelSmoothing: 1.5 })).toThrow(ValueError);
    expect(() => F.crossEntropy(tensor([[1, 2, 3]], i32), tensor([0], i32))).toThrow(DTypeError);
  });
});
