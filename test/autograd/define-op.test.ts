/**
 * defineOp's vjp context: what an op saved is what its vjp may read, and reading anything else
 * fails with a message naming the op (never undefined flowing into the gradient).
 */

import { describe, expect, it } from "vitest";
import { GradError, noGrad, tensor, type Tensor } from "@tensorgrad/autograd";
import { defineOp, type OpSpec, type VjpContext } from "../../packages/autograd/src/ops/define.js";

const f64 = { dtype: "float64" } as const;
const product = ([a, b]: readonly Tensor[]): Tensor => noGrad(() => a.mul(b));

/** An elementwise product op whose vjp is `read`, saving what `saves` says. */
function productOp(name: string, saves: OpSpec<undefined>["saves"], read: (g: Tensor, ctx: VjpContext<undefined>) => readonly (Tensor | null)[]) {
  return defineOp<undefined>({ name, saves, forward: product, vjp: read });
}

/** d(ab)/da = b and d(ab)/db = a, read through ctx.inputs. */
const viaInputs = (g: Tensor, ctx: VjpContext<undefined>) => [g.mul(ctx.inputs[1]), g.mul(ctx.inputs[0])];

describe("defineOp vjp context", () => {
  it.each([
    ["the op saves every input", "testProductSavesAll", true],
    ["'forOthers' and every input needs a gradient (so all were saved)", "testProductForOthersAll", "forOthers"],
  ] as const)("gives ctx.inputs when %s", (_, name, inputs) => {
    const op = productOp(name, { inputs, output: false }, viaInputs);
    const a = tensor([2, 3], { ...f64, requiresGrad: true });
    const b = tensor([5, 7], { ...f64, requiresGrad: true });
    op([a, b], undefined).sum().backward();
    expect(Array.from(a.grad!.toTypedArray())).toEqual([5, 7]);
    expect(Array.from(b.grad!.toTypedArray())).toEqual([2, 3]);
  });

  it("reads the saved input by position under 'forOthers' when only one input needs a gradient", () => {
    const op = productOp("testProductForOthersOne", { inputs: "forOthers", output: false }, (g, ctx) => [
      ctx.needsInputGrad(0) ? g.mul(ctx.input(1)) : null,
      ctx.needsInputGrad(1) ? g.mul(ctx.input(0)) : null,
    ]);
    const a = tensor([2, 3], { ...f64, requiresGrad: true });
    const b = tensor([5, 7], f64);
    op([a, b], undefined).sum().backward();
    expect(Array.from(a.grad!.toTypedArray())).toEqual([5, 7]);
  });

  it("says the op saves only some inputs when a 'forOthers' vjp reads ctx.inputs", () => {
    const op = productOp("testProductForOthersSome", { inputs: "forOthers", output: false }, viaInputs);
    const y = op([tensor([2, 3], { ...f64, requiresGrad: true }), tensor([5, 7], f64)], undefined).sum();
    expect(() => y.backward()).toThrow(GradError);
    expect(() => op([tensor([1], { ...f64, requiresGrad: true }), tensor([1], f64)], undefined).sum().backward()).toThrow(
      "testProductForOthersSome: its vjp read all inputs, but the op saves only some (read them with ctx.input(i))",
    );
  });

  it("says the op saves no inputs when such a vjp reads ctx.inputs or ctx.input(i)", () => {
    const inputsOp = productOp("testProductSavesNone", { inputs: false, output: false }, viaInputs);
    const a = tensor([2], { ...f64, requiresGrad: true });
    expect(() => inputsOp([a, tensor([5], f64)], undefined).sum().backward()).toThrow(
      "testProductSavesNone: its vjp read all inputs, which the op does not save",
    );
    const inputOp = productOp("testProductSavesNoneInput", { inputs: false, output: false }, (g, ctx) => [g.mul(ctx.input(1)), null]);
    expect(() => inputOp([a, tensor([5], f64)], undefined).sum().backward()).toThrow(
      "testProductSavesNoneInput: its vjp read input 1, which the op did not save",
    );
  });

  it("says the op does not save its output when the vjp reads ctx.output", () => {
    const op = productOp("testProductNoOutput", { inputs: true, output: false }, (g, ctx) => [g.mul(ctx.output), null]);
    expect(() => op([tensor([2], { ...f64, requiresGrad: true }), tensor([5], f64)], undefined).sum().backward()).toThrow(
      "testProductNoOutput: its vjp read the output, which the op does not save",
    );
  });
});
