/**
 * Every differentiable primitive on webgpu against the cpu oracle: the gradcheck cases
 * (test/autograd/gradcheck-cases/ops.ts, which the registry test keeps complete) run in float32
 * on both devices from the same random inputs, and the outputs and every input's gradient
 * (through a random upstream weighting) must agree to float32 tolerances. The cases' config
 * tensors (dims, flags, window sizes) stay on the host, where their functions read them; all data
 * (float inputs, int32 indices, bool masks) moves to the device, so a kernel that read device
 * memory on the host would throw here (sync reads throw on webgpu). The smooth cases also run
 * their backward's own graph (createGraph) on both devices: the gradient of Σ gᵢ·vᵢ for random vᵢ,
 * which is what gradgradcheck checks in float64.
 */

import fc from "fast-check";
import { expect, it } from "vitest";
import { Generator, grad, randn, type Tensor } from "@tensorgrad/autograd";
import { OP_CASES } from "../autograd/gradcheck-cases/ops.js";
import { isConfig } from "../autograd/gradcheck-cases/config.js";
import { describeGpu, host } from "./gpu.js";

const TOL = { rtol: 1e-4, atol: 1e-5 };

/**
 * Cases that webgpu refuses by design, with the error a user gets: float64 cannot live on the GPU
 * (WGSL has no f64), and a webgpu tensor cannot move to another device synchronously.
 */
const REFUSED: ReadonlyMap<string, RegExp> = new Map([
  ["to (float64 → float32 → float64)", /float64 tensors cannot live on the GPU \(WGSL has no f64\); convert with \.float\(\) first/],
  ["toDevice (to another device, computed there, and back)", /cannot move to cpu-other synchronously; use await x\.toAsync\("cpu-other"\)/],
]);

/** The inputs in float32 on `device` (config tensors stay as they are), leaves that require grad where the case's do. */
function placed(xs: readonly Tensor[], device: string): Tensor[] {
  return xs.map((x) => {
    if (isConfig(x)) return x;
    const data = x.dtype === "float64" ? x.detach().float() : x.detach();
    const moved = data.to(device);
    return x.requiresGrad ? moved.requiresGrad_() : moved;
  });
}

/** Runs a case on one device: the output, and each grad-requiring input's gradient of Σ y·w. */
function run(fn: (...xs: Tensor[]) => Tensor, inputs: readonly Tensor[], weight: Tensor | null): { y: Tensor; grads: (Tensor | null)[] } {
  const y = fn(...inputs);
  if (weight !== null) y.mul(weight.to(y.device)).sum().backward();
  return { y, grads: inputs.map((x) => (isConfig(x) || !x.requiresGrad ? null : x.grad)) };
}

/**
 * Second order on one device: with g = ∂(Σ y·w)/∂x taken with createGraph, the gradient of
 * Σᵢ gᵢ·vᵢ with respect to each grad-requiring input.
 */
function runSecondOrder(fn: (...xs: Tensor[]) => Tensor, inputs: readonly Tensor[], weight: Tensor, vs: readonly Tensor[]): (Tensor | null)[] {
  const leaves = inputs.filter((x) => !isConfig(x) && x.requiresGrad);
  const y = fn(...inputs);
  const gs = grad(y.mul(weight.to(y.device)).sum(), leaves, { createGraph: true, allowUnused: true });
  let total: Tensor | null = null;
  gs.forEach((g, i) => {
    if (!g.requiresGrad) return; // linear in this input: its gradient has no graph
    const term = g.mul(vs[i].to(g.device)).sum();
    total = total === null ? term : total.add(term);
  });
  if (total === null) return leaves.map(() => null);
  (total as Tensor).backward();
  return leaves.map((x) => x.grad);
}

describeGpu("every differentiable op on webgpu vs the cpu oracle (float32)", () => {
  for (const c of OP_CASES) {
    it(c.name, async () => {
      const gen = new Generator(2026);
      await fc.assert(
        fc.asyncProperty(c.inputs, async (xs) => {
          fc.pre(c.valid === undefined || c.valid(...xs));
          const cpuInputs = placed(xs, "cpu");
          const differentiable = cpuInputs.some((x) => !isConfig(x) && x.requiresGrad);
          const probe = c.fn(...cpuInputs.map((x) => (isConfig(x) ? x : x.detach())));
          const weight = differentiable && probe.dtype === "float32" ? randn(probe.shape, { device: "cpu", generator: gen }) : null;
          const cpu = run(c.fn, cpuInputs, weight);
          const refusal = REFUSED.get(c.name);
          if (refusal !== undefined) {
            expect(() => run(c.fn, placed(xs, "webgpu"), weight)).toThrow(refusal);
            return;
          }
          const gpu = run(c.fn, placed(xs, "webgpu"), weight);
          expect(gpu.y.shape).toEqual(cpu.y.shape);
          expect(gpu.y.dtype).toBe(cpu.y.dtype);
          expect(await host(gpu.y)).toBeAllclose(cpu.y, TOL);
          for (let i = 0; i < cpu.grads.length; i++) {
            const expected = cpu.grads[i];
            if (expected === null) continue;
            const got = gpu.grads[i];
            expect(got, `input ${i} has a gradient on webgpu`).not.toBeNull();
            expect(await host(got!)).toBeAllclose(expected, TOL);
          }
        }),
        { numRuns: 10 },
      );
    });
  }

  for (const c of OP_CASES.filter((c) => c.smooth && !REFUSED.has(c.name))) {
    it(`second order: ${c.name}`, async () => {
      const gen = new Generator(2027);
      await fc.assert(
        fc.asyncProperty(c.inputs, async (xs) => {
          fc.pre(c.valid === undefined || c.valid(...xs));
          const cpuInputs = placed(xs, "cpu");
          const probe = c.fn(...cpuInputs.map((x) => (isConfig(x) ? x : x.detach())));
          const weight = randn(probe.shape, { device: "cpu", generator: gen });
          const vs = cpuInputs.filter((x) => !isConfig(x) && x.requiresGrad).map((x) => randn(x.shape, { device: "cpu", generator: gen }));
          const cpu = runSecondOrder(c.fn, cpuInputs, weight, vs);
          const gpu = runSecondOrder(c.fn, placed(xs, "webgpu"), weight, vs);
          for (let i = 0; i < cpu.length; i++) {
            const expected = cpu[i];
            if (expected === null) {
              expect(gpu[i], `input ${i}: no second-order gradient on the cpu`).toBeNull();
              continue;
            }
            expect(gpu[i], `input ${i} has a second-order gradient on webgpu`).not.toBeNull();
            expect(await host(gpu[i]!)).toBeAllclose(expected, TOL);
          }
        }),
        { numRuns: 5 },
      );
    });
  }
});
