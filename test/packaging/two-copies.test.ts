/**
 * The dual-package hazard: when an app loads @tensorgrad/autograd twice (its ESM build through
 * `import` and its CJS build through `require`), a Tensor of one copy is not `instanceof Tensor`
 * for the other. The errors must say that two copies are loaded, not just "got an object".
 * vi.resetModules() gives a second, independent copy of the whole module graph, as a second
 * build would.
 */

import { describe, expect, it, vi } from "vitest";

const HINT = "two copies of @tensorgrad/autograd are loaded (ESM and CJS?)";

async function twoCopies() {
  const a = await import("@tensorgrad/autograd");
  const nnA = await import("@tensorgrad/nn");
  vi.resetModules();
  const b = await import("@tensorgrad/autograd");
  return { a, b, nnA };
}

describe("two copies of the library", () => {
  it("are really two copies", async () => {
    const { a, b } = await twoCopies();
    expect(a.Tensor).not.toBe(b.Tensor);
    expect(b.tensor([1]) instanceof a.Tensor).toBe(false);
    expect(a.isForeignTensor(b.tensor([1]))).toBe(true);
    expect(a.isForeignTensor(a.tensor([1]))).toBe(false);
    expect(a.isForeignTensor({ shape: [1] })).toBe(false);
  });

  it("an op given the other copy's Tensor names the hazard", async () => {
    const { a, b } = await twoCopies();
    expect(() => a.tensor([1, 2]).add(b.tensor([1, 2]) as never)).toThrow(HINT);
    expect(() => a.matmul(a.tensor([[1]]), b.tensor([[1]]) as never)).toThrow(HINT);
  });

  it("an nn layer given the other copy's Tensor names the hazard", async () => {
    const { b, nnA } = await twoCopies();
    const layer = new nnA.Linear(2, 1);
    expect(() => layer.call(b.tensor([[1, 2]]) as never)).toThrow(/^Linear: input must be a Tensor, got object \(a Tensor from another copy/);
    expect(() => layer.call(b.tensor([[1, 2]]) as never)).toThrow(HINT);
  });

  it("plain wrong values keep their usual message", async () => {
    const { a } = await twoCopies();
    expect(() => a.tensor([1]).add({} as never)).toThrow("add: expected a Tensor or a number, got an object");
  });
});
