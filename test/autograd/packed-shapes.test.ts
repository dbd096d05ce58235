/**
 * Shapes and strides are packed arrays (V8's PACKED_SMI elements kind), never holey ones: V8
 * specializes optimized code on an array's elements kind, and a holey shape reaching code that has
 * only seen packed ones deoptimizes it mid-training (see packedZeros in shape.ts). Checked with V8's
 * own %HasHoleyElements, enabled for this file only.
 */

import { setFlagsFromString } from "node:v8";
import { describe, expect, it } from "vitest";
import { manualSeed, randn, tensor, type Tensor } from "@tensorgrad/autograd";

setFlagsFromString("--allow-natives-syntax");
// Compiled after the flag is set, so the % call parses.
const hasHoleyElements = new Function("a", "return %HasHoleyElements(a)") as (a: readonly number[]) => boolean;

function expectPacked(name: string, t: Tensor): void {
  expect(hasHoleyElements(t.shape), `${name}: shape [${t.shape.join(",")}] is holey`).toBe(false);
  expect(hasHoleyElements(t.strides), `${name}: strides [${t.strides.join(",")}] are holey`).toBe(false);
}

describe("shapes and strides are packed arrays", () => {
  it("detects a holey array (the check itself can fail)", () => {
    expect(hasHoleyElements(new Array<number>(2))).toBe(true);
    expect(hasHoleyElements([1, 2])).toBe(false);
  });

  it("for op outputs: broadcasting, reductions, views, matmul", () => {
    manualSeed(5);
    const x = randn([4, 3, 5]);
    const row = randn([5]);
    const cases: [string, Tensor][] = [
      ["add (broadcast)", x.add(row)],
      ["mul (broadcast left)", randn([3, 1]).mul(randn([1, 4]))],
      ["sum over a dim", x.sum(1)],
      ["sum keepdim", x.sum([0, 2], true)],
      ["mean", x.mean(0)],
      ["transpose", x.transpose(0, 2)],
      ["permute", x.permute([2, 0, 1])],
      ["mT", x.mT],
      ["expand", randn([3, 1]).expand([2, 3, 4])],
      ["reshape", x.reshape([12, 5])],
      ["reshape of a transpose", x.transpose(0, 1).reshape([3, 20])],
      ["unsqueeze", x.unsqueeze(1)],
      ["matmul", randn([4, 3]).matmul(randn([3, 6]))],
      ["batched matmul", randn([2, 4, 3]).matmul(randn([3, 6]))],
      ["gather", x.gather(2, tensor([[[0], [1], [2]]], { dtype: "int32" }).expand([4, 3, 1]))],
      ["logSoftmax", x.logSoftmax(2)],
    ];
    for (const [name, t] of cases) expectPacked(name, t);
  });

  it("for gradients, including ones summed back over broadcast dims", () => {
    manualSeed(6);
    const w = randn([25, 1], { requiresGrad: true });
    const b = randn([25], { requiresGrad: true });
    const x = randn([100, 1]);
    const loss = x.matmul(w.mT).add(b).sigmoid().sum(1, true).square().mean();
    loss.backward();
    expectPacked("w.grad", w.grad!);
    expectPacked("b.grad", b.grad!);
  });
});
