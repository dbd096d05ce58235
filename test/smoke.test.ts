import { describe, expect, it } from "vitest";
import { tensor } from "@tensorgrad/autograd";

describe("smoke", () => {
  it("gradient of Σx² is 2x", () => {
    const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    x.mul(x).sum().backward();
    expect(x.grad).toBeAllclose([[2, 4], [6, 8]]);
  });
});
