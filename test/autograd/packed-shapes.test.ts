/**
 * Shapes and strides are packed arrays (V8's PACKED_SMI elements kind), never holey ones: V8
 * specializes optimized code on an array's elements kind, and a holey shape reaching code that has
 * only seen packed ones deoptimizes it mid-training (see packedZeros in shape.ts). Checked with V8's
 * own %HasHoleyElements, enabled for this file only.
 */

import { setFlagsFromString } from "node:v8";
import { describe, expect, it } from "vitest";
import { manualSeed, randn, tensor, zeros, type Tensor } from "@tensorgrad/autograd";

setFlagsFromString("--allow-natives-syntax");
// Compiled after the flag is set, so the % call parses.
const hasHoleyElements = new Function("a", "return %HasHoleyElements(a)") as (a: readonly number[]) => boolean;
const hasDoubleElements = new Function("a", "return %HasDoubleElements(a)") as (a: readonly number[]) => boolean;

/** Shape and strides are packed small-integer arrays: no holes, no doubles. */
function expectPacked(name: string, t: Tensor): void {
  for (const [what, a] of [["shape", t.shape], ["strides", t.strides]] as const) {
    expect(hasHoleyElements(a), `${name}: ${what} [${a.join(",")}] is holey`).toBe(false);
    expect(hasDoubleElements(a), `${name}: ${what} [${a.join(",")}] holds doubles`).toBe(false);
  }
}

/** [2, 3] stored as doubles (an array's kind never goes back once a double was in it). */
function doublesArray(): number[] {
  const a = [2, 3];
  a.push(0.5);
  a.pop();
  return a;
}

describe("shapes and strides are packed arrays", () => {
  it("detects a holey array and one of doubles (the checks themselves can fail)", () => {
    expect(hasHoleyElements(new Array<number>(2))).toBe(true);
    expect(hasHoleyElements([1, 2])).toBe(false);
    expect(hasDoubleElements(doublesArray())).toBe(true);
    expect(hasDoubleElements([2, 3])).toBe(false);
  });

  it("for shapes given as doubles or inferred by reshape", () => {
    // A shape array of doubles from the caller (a size parsed or computed) is copied as integers.
    manualSeed(7);
    const x = randn([4, 6]);
    const cases: [string, Tensor][] = [
      ["zeros with a shape stored as doubles", zeros(doublesArray())],
      ["reshape with -1", x.reshape([-1, 3])],
      ["reshape to a shape stored as doubles", x.reshape([...doublesArray(), 4])],
      ["view with -1", x.view([2, -1])],
      ["indexSelect", x.indexSelect(1, tensor([0, 2], { dtype: "int32" }))],
      ["max keepdim", x.max(1, true).values],
    ];
    for (const [name, t] of cases) expectPacked(name, t);
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
