/**
 * indexSelect, indexAdd and embedding (ops/index-select.ts): values and gradients against PyTorch
 * goldens recorded by test/goldens/index_rows.py (float64, and float32 to float32 accuracy),
 * then hand-computed cases and bad input. The gradcheck cases are in gradcheck-ops.test.ts, the
 * wasm-vs-cpu kernel parity in test/backends/index-rows.test.ts.
 */

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DTypeError, IndexError, ShapeError, embedding, indexAdd, indexSelect, tensor, type DType, type Tensor } from "@tensorgrad/autograd";

interface Encoded {
  readonly shape: number[];
  readonly data: number[];
}

interface GoldenCase {
  readonly name: string;
  readonly op: "indexSelect" | "indexAdd" | "embedding";
  readonly inputs: Record<string, Encoded>;
  readonly index: Encoded;
  readonly args: { readonly dim?: number; readonly alpha?: number; readonly paddingIdx?: number | null };
  readonly out: Encoded;
  readonly gradOut: Encoded;
  readonly grads: Record<string, Encoded>;
}

const goldens = JSON.parse(readFileSync(new URL("../goldens/index_rows.json", import.meta.url), "utf8")) as { torch: string; cases: GoldenCase[] };

const decode = (e: Encoded, dtype: DType, requiresGrad = false): Tensor => tensor(e.data, { dtype }).reshape(e.shape).requiresGrad_(requiresGrad);
const int32 = (values: number[], shape?: number[]): Tensor => tensor(values, { dtype: "int32", shape });

function run(c: GoldenCase, dtype: DType): { inputs: Record<string, Tensor>; out: Tensor } {
  const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, decode(v, dtype, true)]));
  const index = tensor(c.index.data, { dtype: "int32" }).reshape(c.index.shape);
  const { dim = 0, alpha = 1, paddingIdx = null } = c.args;
  switch (c.op) {
    case "indexSelect":
      return { inputs, out: indexSelect(inputs.x, dim, index) };
    case "indexAdd":
      return { inputs, out: indexAdd(inputs.base, dim, index, inputs.src, { alpha }) };
    case "embedding": {
      const num = inputs.weight.shape[0];
      const pad = paddingIdx === null ? -1 : paddingIdx < 0 ? paddingIdx + num : paddingIdx;
      return { inputs, out: embedding(index, inputs.weight, pad) };
    }
    default:
      return c.op satisfies never;
  }
}

const F64 = { rtol: 1e-12, atol: 1e-14 };
const F32 = { rtol: 1e-6, atol: 1e-6 };

describe(`matches PyTorch ${goldens.torch} (test/goldens/index_rows.py)`, () => {
  it("has cases for every op", () => {
    expect(new Set(goldens.cases.map((c) => c.op))).toEqual(new Set(["indexSelect", "indexAdd", "embedding"]));
  });

  describe.each(goldens.cases.map((c) => [`${c.op}: ${c.name}`, c] as const))("%s", (_, c) => {
    it.each(["float64", "float32"] as const)("%s: output and gradients", (dtype) => {
      const { inputs, out } = run(c, dtype);
      expect(out.dtype).toBe(dtype);
      expect(out.shape).toEqual(c.out.shape);
      expect(out).toBeAllclose(decode(c.out, "float64"), dtype === "float64" ? F64 : F32);
      out.backward(decode(c.gradOut, dtype));
      for (const [k, g] of Object.entries(c.grads)) {
        expect(inputs[k].grad, `grad of ${k}`).toBeAllclose(decode(g, "float64"), dtype === "float64" ? F64 : F32);
      }
    });
  });
});

describe("hand-computed cases", () => {
  it("indexSelect picks rows and columns; its gradient adds repeats", () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    expect(x.indexSelect(1, int32([2, 0, 2])).toArray()).toEqual([[3, 1, 3], [6, 4, 6]]);
    const rows = x.indexSelect(0, int32([1, 1]));
    expect(rows.toArray()).toEqual([[4, 5, 6], [4, 5, 6]]);
    rows.sum().backward();
    expect(x.grad?.toArray()).toEqual([[0, 0, 0], [2, 2, 2]]);
  });

  it("indexSelect of a transposed (strided) input and of int32 and bool tensors", () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]).transpose(0, 1); // [[1, 4], [2, 5], [3, 6]]
    expect(x.indexSelect(0, int32([2, 0])).toArray()).toEqual([[3, 6], [1, 4]]);
    expect(x.indexSelect(1, int32([1])).toArray()).toEqual([[4], [5], [6]]);
    expect(int32([7, 8, 9]).indexSelect(0, int32([2, 2])).toArray()).toEqual([9, 9]);
    expect(tensor([true, false]).indexSelect(0, int32([1, 0])).toArray()).toEqual([false, true]);
  });

  it("indexAdd with repeated indices and alpha, on float and int32 tensors", () => {
    const base = tensor([[1, 1], [1, 1], [1, 1]]);
    const src = tensor([[1, 2], [3, 4], [5, 6]]);
    expect(base.indexAdd(0, int32([2, 0, 2]), src, { alpha: 2 }).toArray()).toEqual([[7, 9], [1, 1], [13, 17]]);
    expect(int32([0, 0], [2]).indexAdd(0, int32([1, 1, 0]), int32([1, 2, 3])).toArray()).toEqual([3, 3]);
  });

  it("indexAdd's gradient: base passes g through, src reads alpha·g at its row", () => {
    const base = tensor([0, 0, 0], { requiresGrad: true });
    const src = tensor([1, 1], { requiresGrad: true });
    base.indexAdd(0, int32([2, 0]), src, { alpha: 3 }).mul(tensor([1, 2, 4])).sum().backward();
    expect(base.grad?.toArray()).toEqual([1, 2, 4]);
    expect(src.grad?.toArray()).toEqual([12, 3]);
  });

  it("embedding: a padding row gets no gradient", () => {
    const w = tensor([[1, 2], [3, 4], [5, 6]], { requiresGrad: true });
    const out = embedding(int32([2, 1, 2]), w, 1);
    expect(out.toArray()).toEqual([[5, 6], [3, 4], [5, 6]]);
    out.backward(tensor([[1, 1], [7, 9], [1, 2]]));
    expect(w.grad?.toArray()).toEqual([[0, 0], [0, 0], [2, 3]]);
  });
});

describe("bad input", () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);
  it("an index out of range names the op, the index and the size", () => {
    expect(() => x.indexSelect(1, int32([0, 3]))).toThrow(new IndexError("indexSelect: index 3 is out of range for dim 1 of size 3"));
    expect(() => x.indexSelect(0, int32([-1]))).toThrow(new IndexError("indexSelect: index -1 is out of range for dim 0 of size 2"));
    expect(() => x.indexAdd(0, int32([2]), tensor([[1, 1, 1]]))).toThrow(new IndexError("indexAdd: index 2 is out of range for dim 0 of size 2"));
    expect(() => embedding(int32([0, 5]), x)).toThrow(new IndexError("embedding: index 5 is out of range for 2 embeddings"));
    expect(() => x.gather(1, int32([0, 3], [1, 2]))).toThrow(new IndexError("gather: index 3 is out of bounds for dimension of size 3"));
  });

  it("wrong dtypes and shapes", () => {
    expect(() => x.indexSelect(0, tensor([0]))).toThrow(DTypeError);
    expect(() => x.indexSelect(0, int32([0, 1], [1, 2]))).toThrow(ShapeError);
    expect(() => x.indexAdd(0, int32([0]), tensor([1, 2, 3]))).toThrow(
      new ShapeError("indexAdd: source must have shape [1,3] (input [2,3] with index's 1 at dim 0), got [3]"),
    );
    expect(() => x.indexAdd(0, int32([0]), tensor([[1, 1, 1]]), { alpha: NaN })).toThrow(/indexAdd: alpha must be a number/);
    expect(() => int32([1]).indexAdd(0, int32([0]), int32([1]), { alpha: 0.5 })).toThrow(DTypeError);
    expect(() => embedding(int32([0]), tensor([1, 2]))).toThrow(ShapeError);
    expect(() => embedding(int32([0]), x, 2)).toThrow(new IndexError("embedding: paddingIdx 2 is out of range for 2 embeddings"));
  });
});
