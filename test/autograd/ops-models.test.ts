/**
 * The model ops of issue 12 (tril/triu, maskedFill, cumsum/cumprod, roll/flip/repeat/tile,
 * oneHot, viewAs, addcmul/addcdiv, sort/argsort/topk, einsum) against PyTorch 1.13: outputs,
 * gradients and some second-order gradients recorded by test/goldens/ops12.py into ops12.json,
 * in float64 and (looser) float32. Then what goldens cannot pin down: sampling (multinomial,
 * randLike, …) by its statistics, PyTorch's varargs sizes, in-place forms, and the errors.
 */

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  DTypeError, Generator, IndexError, ShapeError, Tensor, ValueError, addcdiv, addcmul, argsort, cumprod, cumsum, einsum, empty,
  emptyLike, eye, flip, full, grad, manualSeed, maskedFill, multinomial, noGrad, oneHot, ones, rand, randint, randintLike,
  randLike, randn, randnLike, repeat, roll, sort, tensor, tile, topk, tril, triu, zeros, zerosLike, type DType, type ValuesIndices,
} from "@tensorgrad/autograd";

// ---------------------------------------------------------------- goldens

interface Encoded {
  readonly shape: number[];
  readonly dtype: DType;
  readonly data: (number | string)[];
}

interface GoldenCase {
  readonly inputs: Encoded[];
  readonly out?: Encoded;
  readonly values?: Encoded;
  readonly indices?: Encoded;
  readonly gout?: Encoded;
  readonly grads?: Encoded[];
  readonly v?: Encoded[];
  readonly gradgrad?: Encoded[];
}

const goldenPath = fileURLToPath(new URL("../goldens/ops12.json", import.meta.url));
const goldens = JSON.parse(readFileSync(goldenPath, "utf8")) as { torch: string; cases: Record<string, GoldenCase> };

const number = (v: number | string): number => (typeof v === "number" ? v : v === "nan" ? NaN : v === "inf" ? Infinity : -Infinity);

/** A recorded tensor as a tensor, floats converted to `floatType`. */
function decode(e: Encoded, floatType: DType = "float64", requiresGrad = false): Tensor {
  const dtype = e.dtype === "float64" || e.dtype === "float32" ? floatType : e.dtype;
  return tensor(e.data.map(number), { dtype, shape: e.shape, requiresGrad: requiresGrad && (dtype === "float64" || dtype === "float32") });
}

type Result = Tensor | ValuesIndices;
const values = (r: Result): Tensor => (r instanceof Tensor ? r : r.values);

/** Our code for each recorded case (the Python lambda's counterpart). */
const OURS: Record<string, (...xs: Tensor[]) => Result> = {
  "tril batched [2,3,3]": (x) => tril(x),
  "triu batched [2,4,2] diagonal=-1": (x) => triu(x, -1),
  "tril bool": (x) => x.tril(),
  "triu int32": (x) => x.triu(),
  "maskedFill broadcast mask, -inf": (x, m) => x.maskedFill(m, -Infinity),
  "maskedFill 0-d tensor value": (x, m, v) => x.maskedFill(m, v),
  "maskedFill mask broadcasts larger": (x, m) => maskedFill(x, m, 2.5),
  "maskedFill int32 with 0.5 (truncated)": (x, m) => x.maskedFill(m, 7.9),
  "cumsum dim 0": (x) => x.cumsum(0),
  "cumsum dim -1": (x) => cumsum(x, -1),
  "cumsum 3-d dim 1": (x) => x.cumsum(1),
  "cumsum 0-d": (x) => x.cumsum(0),
  "cumsum int32": (x) => x.cumsum(0),
  "cumsum bool": (x) => x.cumsum(0),
  "cumprod no zeros": (x) => x.cumprod(1),
  "cumprod one zero": (x) => x.cumprod(0),
  "cumprod zero first": (x) => x.cumprod(0),
  "cumprod zero last": (x) => cumprod(x, 0),
  "cumprod two zeros": (x) => x.cumprod(-1),
  "cumprod zeros along dim 0": (x) => x.cumprod(0),
  "cumprod int32": (x) => x.cumprod(0),
  "roll 1 (flattened)": (x) => x.roll(1),
  "roll -4 (flattened)": (x) => roll(x, -4),
  "roll (1, -2) dims (0, 1)": (x) => x.roll([1, -2], [0, 1]),
  "roll 5 dim 1 (wraps)": (x) => x.roll(5, 1),
  "roll 3-d dim -1": (x) => x.roll(2, -1),
  "flip dim 0": (x) => x.flip(0),
  "flip dims (0, 2)": (x) => flip(x, [0, 2]),
  "flip dim -1": (x) => x.flip([-1]),
  "flip bool": (x) => x.flip(0),
  "repeat (2, 1)": (x) => x.repeat(2, 1),
  "repeat (2, 2, 3) adds a dim": (x) => repeat(x, [2, 2, 3]),
  "repeat 1-d (2, 2)": (x) => x.repeat([2, 2]),
  "tile (2,)": (x) => tile(x, [2]),
  "tile (2, 1, 2)": (x) => x.tile(2, 1, 2),
  "oneHot inferred": (x) => oneHot(x),
  "oneHot numClasses 5, 2-d": (x) => oneHot(x, 5),
  "viewAs": (x, o) => x.viewAs(o),
  "addcmul value 0.5 broadcast": (x, a, b) => addcmul(x, a, b, { value: 0.5 }),
  "addcdiv value -2": (x, a, b) => x.addcdiv(a, b, { value: -2 }),
  "sort dim -1": (x) => x.sort(),
  "sort dim 0 descending": (x) => x.sort(0, true),
  "sort ties stable": (x) => sort(x),
  "sort ties stable descending": (x) => sort(x, -1, true),
  "sort NaN": (x) => sort(x.detach()),
  "sort NaN descending": (x) => x.detach().sort(-1, true),
  "sort int32": (x) => x.sort(),
  "argsort dim 1": (x) => x.argsort(1),
  "argsort descending dim 0": (x) => argsort(x, 0, true),
  "topk 3": (x) => x.topk(3),
  "topk 2 smallest": (x) => x.topk(2, -1, false),
  "topk 2 dim 0": (x) => topk(x, 2, 0),
  "topk all (k = size)": (x) => x.topk(6),
  "topk NaN largest": (x) => x.detach().topk(2),
  "topk NaN smallest": (x) => x.detach().topk(2, -1, false),
  "einsum ij,jk->ik": (a, b) => einsum("ij,jk->ik", a, b),
  "einsum ij,kj (implicit)": (a, b) => einsum("ij,kj", a, b),
  "einsum bij,bjk->bik": (a, b) => einsum("bij,bjk->bik", [a, b]),
  "einsum bhqd,bhkd->bhqk": (a, b) => einsum("bhqd,bhkd->bhqk", a, b),
  "einsum ii->i": (a) => einsum("ii->i", a),
  "einsum ii (trace)": (a) => einsum("ii", a),
  "einsum iij->ji": (a) => einsum("iij->ji", a),
  "einsum i,j->ij (outer)": (a, b) => einsum("i,j->ij", a, b),
  "einsum i,i-> (dot)": (a, b) => einsum("i,i->", a, b),
  "einsum ij->ji": (a) => einsum("ij->ji", a),
  "einsum ijk->kj": (a) => einsum("ijk->kj", a),
  "einsum ij,jk,kl->il": (a, b, c) => einsum("ij,jk,kl->il", a, b, c),
  "einsum ...ij,...jk->...ik broadcast": (a, b) => einsum("...ij,...jk->...ik", a, b),
  "einsum ...ij->ij (sums ...)": (a) => einsum("...ij->ij", a),
  "einsum i...,i... implicit": (a, b) => einsum("i...,i...", a, b),
  "einsum ...ii->...i": (a) => einsum("...ii->...i", a),
  "einsum ba implicit order": (a) => einsum("ba", a),
  "einsum bA->Ab": (a) => einsum("bA->Ab", a),
  "einsum ij,ij->ij size-1 broadcast": (a, b) => einsum("ij,ij->ij", a, b),
  "einsum i,i size-1 contracted": (a, b) => einsum("i,i", a, b),
  "einsum bij,jk (batch on one side, spaces)": (a, b) => einsum("b i j , j k -> b i k", a, b),
};
for (const k of [0, -1, 1, 2, -3, 5]) {
  OURS[`tril diagonal=${k}`] = (x) => x.tril(k);
  OURS[`triu diagonal=${k}`] = (x) => triu(x, k);
}

/** Checks one recorded case in `floatType`; float32 gets float32 tolerances and no second order. */
function checkCase(name: string, c: GoldenCase, floatType: DType): void {
  const f64 = floatType === "float64";
  const tol = f64 ? { rtol: 1e-10, atol: 1e-12, equalNan: true } : { rtol: 2e-5, atol: 2e-5, equalNan: true };
  const fn = OURS[name];
  const inputs = c.inputs.map((e) => decode(e, floatType, true));
  const result = fn(...inputs);
  const expectTensor = (got: Tensor, want: Encoded, what: string) => {
    expect(got.shape, `${name}: ${what} shape`).toEqual(want.shape);
    const wantType = want.dtype === "float64" || want.dtype === "float32" ? floatType : want.dtype;
    expect(got.dtype, `${name}: ${what} dtype`).toBe(wantType);
    expect(got.toFlatArray(), `${name}: ${what}`).toBeAllclose(want.data.map(number), tol);
  };
  if (c.out !== undefined) expectTensor(result as Tensor, c.out, "output");
  else {
    const r = result as ValuesIndices;
    expectTensor(r.values, c.values as Encoded, "values");
    expectTensor(r.indices, c.indices as Encoded, "indices");
  }
  if (c.grads === undefined) return;
  const diff = inputs.filter((x) => x.requiresGrad);
  const gout = decode(c.gout as Encoded, floatType);
  const second = f64 && c.gradgrad !== undefined;
  const grads = grad(values(result), diff, { gradOutputs: gout, createGraph: second, allowUnused: true });
  grads.forEach((g, i) => expectTensor(g, (c.grads as Encoded[])[i], `gradient of input ${i}`));
  if (!second) return;
  // Second order: the gradient of Σ_i (grad_i · v_i) with respect to the inputs.
  const v = (c.v as Encoded[]).map((e) => decode(e));
  const total = grads.map((g, i) => g.mul(v[i]).sum()).reduce((a, b) => a.add(b));
  const gg = total.requiresGrad ? grad(total, diff, { allowUnused: true }) : diff.map((x) => x.zerosLike());
  gg.forEach((g, i) => expectTensor(g, (c.gradgrad as Encoded[])[i], `second-order gradient of input ${i}`));
}

describe(`matches PyTorch ${goldens.torch} (test/goldens/ops12.py)`, () => {
  it("has our code for every recorded case and a recorded case for all our code", () => {
    expect(Object.keys(goldens.cases).filter((n) => !(n in OURS))).toEqual([]);
    expect(Object.keys(OURS).filter((n) => !(n in goldens.cases))).toEqual([]);
  });

  for (const [name, c] of Object.entries(goldens.cases)) {
    it(`float64: ${name}`, () => checkCase(name, c, "float64"));
    it(`float32: ${name}`, () => checkCase(name, c, "float32"));
  }
});

// ---------------------------------------------------------------- hand-computed cases

const f64 = { dtype: "float64" } as const;

describe("sort, argsort and topk", () => {
  it("sort is stable for many ties, ascending and descending, against a JS stable sort", () => {
    const g = new Generator(5);
    const data = Array.from({ length: 200 }, () => g.integer(0, 6));
    const x = tensor(data, f64);
    const byIndex = data.map((v, i) => [v, i]);
    const asc = [...byIndex].sort((p, q) => p[0] - q[0]).map((p) => p[1]);
    const desc = [...byIndex].sort((p, q) => q[0] - p[0]).map((p) => p[1]);
    expect(x.argsort().toFlatArray()).toEqual(asc);
    expect(x.sort(0, true).indices.toFlatArray()).toEqual(desc);
    expect(x.sort().indices.dtype).toBe("int32");
  });

  it("sort of a strided (transposed) view sorts the view's lanes", () => {
    const x = tensor([[3, 1], [2, 5], [1, 4]], f64).t(); // [[3, 2, 1], [1, 5, 4]]
    expect(x.sort(1).values.toArray()).toEqual([[1, 2, 3], [1, 4, 5]]);
    expect(x.sort(1).indices.toArray()).toEqual([[2, 1, 0], [0, 2, 1]]);
  });

  it("topk gradient flows only to the selected elements", () => {
    const x = tensor([0.5, 3, -1, 2], { ...f64, requiresGrad: true });
    x.topk(2).values.mul(tensor([10, 1], f64)).sum().backward();
    expect(x.grad?.toFlatArray()).toEqual([0, 10, 0, 1]);
  });

  it("0-d tensors and k = 0", () => {
    const s = tensor(4, f64);
    expect(s.sort().values.item()).toBe(4);
    expect(s.sort().indices.item()).toBe(0);
    expect(s.topk(1).indices.shape).toEqual([]);
    expect(tensor([1, 2], f64).topk(0).values.shape).toEqual([0]);
  });

  it("bad input names the op and the values", () => {
    const x = tensor([3, 1, 2], f64);
    expect(() => x.topk(4)).toThrow(ValueError);
    expect(() => x.topk(4)).toThrow("topk: k 4 is out of range for dim 0 of size 3");
    expect(() => x.topk(-1)).toThrow("topk: k -1 is out of range");
    expect(() => x.sort(1)).toThrow(IndexError);
    expect(() => x.argsort(2)).toThrow("argsort: dim 2 out of range for a 1-d tensor");
  });
});

describe("cumsum and cumprod", () => {
  it("cumprod's gradient with zeros equals the hand formula Σ_{j≥k} g_j Π_{i≤j, i≠k} x_i", () => {
    const values = [2, 0, 3, 0, -1.5, 4];
    const g = [0.3, -1, 2, 0.5, 1.5, -0.7];
    const expected = values.map((_, k) => {
      let total = 0;
      for (let j = k; j < values.length; j++) {
        let p = g[j];
        for (let i = 0; i <= j; i++) if (i !== k) p *= values[i];
        total += p;
      }
      return total;
    });
    const x = tensor(values, { ...f64, requiresGrad: true });
    x.cumprod(0).backward(tensor(g, f64));
    expect(x.grad?.toFlatArray()).toBeAllclose(expected, { rtol: 1e-14, atol: 1e-14 });
  });

  it("float32 accumulates in float64 and rounds each running sum once, as PyTorch's CPU kernel", () => {
    const data = [1e8, 1, -1e8, 1];
    const expected = [];
    let acc = 0;
    for (const v of data) expected.push(Math.fround((acc += Math.fround(v))));
    expect(cumsum(tensor(data), 0).toFlatArray()).toEqual(expected);
  });

  it("the dtype option converts first; bool counts as int32", () => {
    expect(tensor([1, 2, 3], { dtype: "int32" }).cumsum(0, { dtype: "float64" }).dtype).toBe("float64");
    expect(tensor([true, true]).cumsum(0).toFlatArray()).toEqual([1, 2]);
    expect(tensor([true, true]).cumsum(0).dtype).toBe("int32");
  });

  it("bad dims name the op", () => {
    expect(() => tensor([1, 2]).cumsum(1)).toThrow("cumsum: dim 1 out of range for a 1-d tensor");
    expect(() => tensor([1, 2]).cumprod(-2)).toThrow(IndexError);
  });
});

describe("masks: tril, triu, maskedFill", () => {
  it("maskedFill_ writes in place and bumps the version; the mask must fit the tensor", () => {
    const x = zeros(2, 3);
    const before = x.version;
    x.maskedFill_(tensor([true, false, true]), 5);
    expect(x.toArray()).toEqual([[5, 0, 5], [5, 0, 5]]);
    expect(x.version).toBe(before + 1);
    expect(() => zeros(3).maskedFill_(tensor([[true, false, true]]), 1)).toThrow(ShapeError);
    expect(() => zeros(3, { requiresGrad: true }).maskedFill_(tensor([true, false, true]), 1)).toThrow(/in-place operation on a tensor that requires grad/);
  });

  it("bad input names the op and the values", () => {
    expect(() => tensor([1, 2]).tril()).toThrow("tril: expected a tensor with at least 2 dims, got [2]");
    expect(() => ones(2, 2).triu(0.5)).toThrow("triu: diagonal must be an integer, got 0.5");
    expect(() => ones(2).maskedFill(tensor([1, 0]), 1)).toThrow(DTypeError);
    expect(() => ones(2).maskedFill(tensor([1, 0]), 1)).toThrow("maskedFill: mask must be bool, got float32");
    expect(() => ones(2).maskedFill(tensor([true, false]), tensor([1, 2]))).toThrow("maskedFill: value must be a number or a 0-d tensor, got shape [2]");
    expect(() => ones(2).maskedFill(tensor([true, false, true]), 1)).toThrow(ShapeError);
  });
});

describe("rearranging: roll, flip, repeat, tile", () => {
  it("always copy: writing into the result leaves the input alone", () => {
    const x = tensor([[1, 2], [3, 4]]);
    for (const y of [x.repeat(1, 1), x.tile(1), x.roll(0), x.flip(0).flip(0), x.roll(2, 1)]) {
      noGrad(() => y.fill_(0));
      expect(x.toArray()).toEqual([[1, 2], [3, 4]]);
    }
  });

  it("bad input names the op and the values", () => {
    const x = ones(2, 3);
    expect(() => x.repeat(2)).toThrow("repeat: 1 repeat sizes [2] are fewer than the tensor's 2 dims [2,3]");
    expect(() => x.repeat(2, -1)).toThrow("repeat: repeat sizes must be non-negative integers, got [2,-1]");
    expect(() => x.roll(1, [0, 1])).toThrow("roll: shifts and dims must align, got 1 shifts [1] and 2 dims [0,1]");
    expect(() => x.roll([1, 2])).toThrow("roll: shifts and dims must align, got 2 shifts and no dims");
    expect(() => x.roll(0.5, 0)).toThrow("roll: shifts must be integers");
    expect(() => x.flip(0, 0)).toThrow("flip: dim 0 appears more than once in [0,0]");
    expect(() => x.flip(2)).toThrow(IndexError);
    const repeatAny = x.repeat.bind(x) as (...args: unknown[]) => Tensor;
    expect(() => repeatAny([2, 2], 1)).toThrow("repeat: expected sizes as separate numbers or one array, got (an array [2,2], 1)");
  });
});

describe("oneHot, dim, viewAs, addcmul_, addcdiv_", () => {
  it("oneHot gives int32 rows; bad indices name the values", () => {
    expect(oneHot(tensor([1, 0], { dtype: "int32" }), 3).toArray()).toEqual([[0, 1, 0], [1, 0, 0]]);
    expect(oneHot(tensor([], { dtype: "int32" }), 3).shape).toEqual([0, 3]);
    expect(() => oneHot(tensor([-1, 2], { dtype: "int32" }))).toThrow("oneHot: class values must be non-negative, got -1");
    expect(() => oneHot(tensor([1, 2], { dtype: "int32" }), 2)).toThrow("oneHot: class values must be smaller than numClasses 2, got 2");
    expect(() => oneHot(tensor([], { dtype: "int32" }))).toThrow("oneHot: cannot infer the number of classes from an empty tensor");
    expect(() => oneHot(tensor([1, 2]))).toThrow("oneHot: expected an int32 tensor of class indices, got float32");
    expect(() => oneHot(tensor([1], { dtype: "int32" }), -2)).toThrow(ValueError);
  });

  it("dim() and viewAs", () => {
    expect(zeros(2, 3, 4).dim()).toBe(3);
    expect(tensor(1).dim()).toBe(0);
    const x = tensor([1, 2, 3, 4, 5, 6]);
    expect(x.viewAs(zeros(2, 3)).toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(() => x.viewAs(zeros(4))).toThrow("view: shape [4] is invalid for input of size 6");
  });

  it("addcmul_ and addcdiv_ update in place like the hand formula x + value·a·b, x + value·a/b", () => {
    const x = tensor([1, 2, 3], f64);
    x.addcmul_(tensor([1, 2, 3], f64), tensor([2, 2, 2], f64), { value: 0.5 });
    expect(x.toFlatArray()).toEqual([2, 4, 6]);
    x.addcdiv_(tensor([1, 1, 3], f64), tensor([4, 2, 1], f64));
    expect(x.toFlatArray()).toEqual([2.25, 4.5, 9]);
    expect(addcmul(zeros(2), ones(2), ones(2)).toFlatArray()).toEqual([1, 1]);
    expect(() => addcdiv(zeros(2, { dtype: "int32" }), ones(2, { dtype: "int32" }), ones(2, { dtype: "int32" }))).toThrow(
      "addcdiv: integer division is not supported (t1 int32, t2 int32)",
    );
    expect(() => zeros(2, { requiresGrad: true }).addcmul_(ones(2), ones(2))).toThrow(/addcmul_: in-place operation/);
  });

  it("sqrt_ takes square roots in place: the same tensor and memory, its version bumped; views and ints as PyTorch", () => {
    const x = tensor([4, 9, 2.25, 0, 1e6], f64);
    const version = x.buffer.version;
    expect(x.sqrt_()).toBe(x);
    expect(x.toFlatArray()).toEqual([2, 3, 1.5, 0, 1000]);
    expect(x.buffer.version).toBe(version + 1);
    expect(tensor([-1])
      .sqrt_()
      .toFlatArray()[0]).toBeNaN();
    // a strided view writes through to its base, elsewhere untouched
    const base = tensor([[16, 1], [25, 1]], f64);
    base.select(1, 0).sqrt_();
    expect(base.toFlatArray()).toEqual([4, 1, 5, 1]);
    // float32 over the backend's kernel: within float32 rounding of Math.sqrt
    const big = rand([1000]).mul(100);
    const expected = Array.from(big.toTypedArray(), Math.sqrt);
    expect(big.sqrt_()).toBeAllclose(tensor(expected), { rtol: 1e-7, atol: 0 });
    expect(() => tensor([4], { dtype: "int32" }).sqrt_()).toThrow(/sqrt_: result type float32 can't be cast to the in-place target's type int32/);
    expect(() => ones(2, { requiresGrad: true }).sqrt_()).toThrow(/sqrt_: in-place operation/);
  });
});

describe("einsum", () => {
  it("matches the hand-written sums (bilinear form Σ_ij x_i A_ij y_j)", () => {
    const x = tensor([1, 2], f64);
    const a = tensor([[1, 2, 3], [4, 5, 6]], f64);
    const y = tensor([1, 0, -1], f64);
    expect(einsum("i,ij,j->", x, a, y).item()).toBe(1 * (1 - 3) + 2 * (4 - 6));
    expect(einsum("ij->j", a).toFlatArray()).toEqual([5, 7, 9]);
  });

  it("errors name the equation and the operand shapes", () => {
    const a = ones(2, 3);
    const b = ones(4, 5);
    const shapes = "(equation 'ij,jk', operand shapes [2,3] [4,5])";
    expect(() => einsum("ij,jk", a, b)).toThrow(ShapeError);
    expect(() => einsum("ij,jk", a, b)).toThrow(`einsum: subscript j has size 4 in operand 1, which does not broadcast with size 3 ${shapes}`);
    expect(() => einsum("ij,jk", a)).toThrow("einsum: the equation names 2 operand(s), but 1 were given (equation 'ij,jk', operand shapes [2,3])");
    expect(() => einsum("ijk", a)).toThrow("einsum: operand 0 has 2 dims but its subscripts name 3 and there is no '...'");
    expect(() => einsum("i1", a)).toThrow("einsum: invalid subscript '1' in operand 0's subscripts");
    expect(() => einsum("ij->ik", a)).toThrow("einsum: output subscript k appears in no operand");
    expect(() => einsum("ij->ii", a)).toThrow("einsum: output subscript i appears more than once in the output");
    expect(() => einsum("ii->i", a)).toThrow("einsum: subscript i is repeated in operand 0 but its sizes differ, 2 != 3");
    expect(() => einsum("..i", a)).toThrow("einsum: operand 0's subscripts has a '.' that is not part of one '...'");
    expect(() => einsum("i->i->i", a)).toThrow(ValueError);
  });
});

// ---------------------------------------------------------------- sampling

describe("multinomial", () => {
  it("with replacement: frequencies follow the weights (unnormalized), zero weights never drawn", () => {
    const g = new Generator(1);
    const n = 20000;
    const draws = multinomial(tensor([2, 0, 1, 1], f64), n, true, { generator: g }).toFlatArray();
    const counts = [0, 1, 2, 3].map((c) => draws.filter((d) => d === c).length / n);
    // expected 0.5, 0, 0.25, 0.25; the standard error of each is ≤ 0.0036
    expect(counts[0]).toBeCloseTo(0.5, 1);
    expect(Math.abs(counts[0] - 0.5)).toBeLessThan(0.02);
    expect(counts[1]).toBe(0);
    expect(Math.abs(counts[2] - 0.25)).toBeLessThan(0.02);
    expect(Math.abs(counts[3] - 0.25)).toBeLessThan(0.02);
  });

  it("without replacement: no repeats, and each draw is proportional to the weights left", () => {
    const g = new Generator(2);
    const w = [0.5, 0.3, 0.2];
    const runs = 6000;
    const rows = multinomial(tensor(Array.from({ length: runs }, () => w), f64), 2, false, { generator: g }).toArray() as number[][];
    expect(rows.every(([a, b]) => a !== b)).toBe(true);
    // P(first = 0) = 0.5; P(second = 0) = Σ_{i≠0} w_i·w_0/(1 − w_i) = 0.3·0.5/0.7 + 0.2·0.5/0.8
    const second0 = (0.3 * 0.5) / 0.7 + (0.2 * 0.5) / 0.8;
    expect(Math.abs(rows.filter((r) => r[0] === 0).length / runs - 0.5)).toBeLessThan(0.03);
    expect(Math.abs(rows.filter((r) => r[1] === 0).length / runs - second0)).toBeLessThan(0.03);
    const all = multinomial(tensor([1, 1, 1, 1, 1]), 5, false, { generator: g }).toFlatArray();
    expect([...all].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it("is seeded by our Generator: same seed, same draws; the default generator follows manualSeed", () => {
    const p = tensor([[0.1, 0.2, 0.7], [0.3, 0.3, 0.4]]);
    const a = p.multinomial(4, true, { generator: new Generator(7) }).toArray();
    expect(p.multinomial(4, true, { generator: new Generator(7) }).toArray()).toEqual(a);
    manualSeed(3);
    const b = p.multinomial(2).toArray();
    manualSeed(3);
    expect(multinomial(p, 2).toArray()).toEqual(b);
    expect(p.multinomial(2).shape).toEqual([2, 2]);
    expect(p.multinomial(2).dtype).toBe("int32");
  });

  it("refuses invalid probabilities as PyTorch does, naming the values", () => {
    expect(() => multinomial(tensor([0.5, -0.1]), 1)).toThrow("multinomial: probabilities must be finite and non-negative, got -0.10000000149011612 at [1]");
    expect(() => multinomial(tensor([[0.5, NaN]]), 1)).toThrow("multinomial: probabilities must be finite and non-negative, got NaN at [0, 1]");
    expect(() => multinomial(tensor([Infinity, 1]), 1)).toThrow("got Infinity at [0]");
    expect(() => multinomial(tensor([[1, 1], [0, 0]]), 1)).toThrow("multinomial: row 1 has no positive probability (sum 0)");
    expect(() => multinomial(tensor([0.5, 0.5]), 3)).toThrow("multinomial: cannot draw 3 samples from 2 categories without replacement");
    expect(() => multinomial(tensor([0.5, 0, 0.2]), 3)).toThrow("multinomial: row 0 has 2 categories of nonzero probability, fewer than the 3 samples asked for without replacement");
    expect(() => multinomial(tensor([0.5, 0.5]), 0)).toThrow("multinomial: numSamples must be a positive integer, got 0");
    expect(() => multinomial(ones(2, 2, 2), 1)).toThrow("multinomial: probabilities must be 1-d or 2-d, got [2,2,2]");
    expect(() => multinomial(tensor([1, 2], { dtype: "int32" }), 1)).toThrow(DTypeError);
    expect(multinomial(tensor([0.5, 0.5]), 3, true).shape).toEqual([3]); // with replacement: fine
  });
});

describe("randLike, randnLike, randintLike", () => {
  it("take the shape, dtype and backend of the input; a generator makes them reproducible", () => {
    const x = zeros(3, 4, { dtype: "float64" });
    for (const r of [randLike(x), randnLike(x), randintLike(x, 5)]) {
      expect(r.shape).toEqual([3, 4]);
      expect(r.dtype).toBe("float64");
      expect(r.device).toBe(x.device);
    }
    expect(randLike(x, { generator: new Generator(4) }).toArray()).toEqual(randLike(x, { generator: new Generator(4) }).toArray());
    const u = randLike(zeros(1000)).toFlatArray();
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    const n = randnLike(zeros(4000, { dtype: "float64" }));
    expect(Math.abs(n.mean().item())).toBeLessThan(0.1);
    expect(Math.abs(n.std().item() - 1)).toBeLessThan(0.1);
    expect(randLike(x, { dtype: "float32", requiresGrad: true }).requiresGrad).toBe(true);
  });

  it("randintLike(x, high) and randintLike(x, low, high) stay in range", () => {
    const i = zeros(500, { dtype: "int32" });
    const a = randintLike(i, 3).toFlatArray();
    expect(new Set(a)).toEqual(new Set([0, 1, 2]));
    const b = randintLike(i, -2, 1, { generator: new Generator(9) }).toFlatArray();
    expect(new Set(b)).toEqual(new Set([-2, -1, 0]));
    expect(randintLike(i, 3).dtype).toBe("int32");
    expect(() => randintLike(i, 3, 3)).toThrow("randintLike: expected integers low < high, got 3, 3");
  });

  it("randLike/randnLike refuse integer dtypes, as PyTorch does", () => {
    const i = zeros(2, { dtype: "int32" });
    expect(() => randLike(i)).toThrow("randLike: dtype must be float32 or float64, got int32");
    expect(() => randnLike(i)).toThrow(DTypeError);
    expect(randnLike(i, { dtype: "float32" }).dtype).toBe("float32");
  });
});

// ---------------------------------------------------------------- sizes: PyTorch's varargs or an error

describe("sizes as PyTorch takes them: separate numbers or one array — never silently ignored", () => {
  it("creation functions take varargs sizes, then options", () => {
    expect(zeros(2, 3).shape).toEqual([2, 3]);
    expect(zeros(2, 3, { dtype: "int32" }).dtype).toBe("int32");
    expect(ones([2, 3], { dtype: "float64" }).toArray()).toEqual([[1, 1, 1], [1, 1, 1]]);
    expect(ones(4).shape).toEqual([4]);
    expect(rand(2, 3, 4).shape).toEqual([2, 3, 4]);
    expect(randn(2, 3, { dtype: "float64" }).dtype).toBe("float64");
    expect(rand(2, 3, { generator: new Generator(1) }).toArray()).toEqual(rand([2, 3], { generator: new Generator(1) }).toArray());
    expect(empty(2, 2).toArray()).toEqual([[0, 0], [0, 0]]);
    expect(emptyLike(ones(3, { dtype: "int32" })).dtype).toBe("int32");
    expect(zeros([]).shape).toEqual([]);
    expect(eye(2, { dtype: "float64" }).dtype).toBe("float64");
    expect(eye(2, 3).shape).toEqual([2, 3]);
  });

  it("tensor methods take varargs sizes", () => {
    const x = tensor([1, 2], f64);
    expect(x.newZeros(2, 3).shape).toEqual([2, 3]);
    expect(x.newZeros(2, 3).dtype).toBe("float64");
    expect(x.newZeros([2, 3], { dtype: "int32" }).dtype).toBe("int32");
    expect(x.newOnes(2, 2).toArray()).toEqual([[1, 1], [1, 1]]);
    expect(x.newEmpty(3).shape).toEqual([3]);
    expect(x.newFull([2, 2], 7).toArray()).toEqual([[7, 7], [7, 7]]);
    expect(x.newFull(3, 7).shape).toEqual([3]);
    expect(x.zerosLike().shape).toEqual([2]);
    expect(ones(2, 3).repeat(2, 1).shape).toEqual([4, 3]);
  });

  it("randint takes PyTorch's randint(high, size) as well as randint(low, high, size)", () => {
    const a = randint(3, [200], { generator: new Generator(1) }).toFlatArray();
    expect(new Set(a)).toEqual(new Set([0, 1, 2]));
    expect(randint(3, 5).shape).toEqual([5]);
    const b = randint(5, 8, [2, 100]);
    expect(b.shape).toEqual([2, 100]);
    expect(new Set(b.toFlatArray())).toEqual(new Set([5, 6, 7]));
    expect(randint(5, 8, 4, { dtype: "float64" }).dtype).toBe("float64");
    expect(() => randint(3, 3, [2])).toThrow("randint: expected integers low < high, got 3, 3");
  });

  it("anything else throws, naming the op and the arguments", () => {
    const x = ones(2, 3);
    const anyCall = (f: unknown, ...args: unknown[]) => () => (f as (...a: unknown[]) => unknown)(...args);
    expect(anyCall(zeros, 2, "3")).toThrow('zeros: expected sizes as separate numbers or one array, then optionally an options object, got (2, "3")');
    expect(anyCall(zeros, [2], 3)).toThrow(ValueError);
    expect(anyCall(ones, [2], [3])).toThrow("ones: expected sizes as separate numbers or one array");
    expect(anyCall(rand, 2, [3])).toThrow("rand: expected sizes");
    expect(anyCall(randn)).toThrow("randn: expected a size, got none");
    expect(anyCall(zeros, 2, -1)).toThrow("zeros: invalid size -1 in shape [2,-1]");
    expect(anyCall(full, 2, 3, 4)).toThrow("full: options must be an object, got 4");
    expect(anyCall(zerosLike, x, 3)).toThrow("zerosLike: options must be an object, got 3");
    expect(anyCall(x.newZeros.bind(x), 2, [3])).toThrow("newZeros: expected sizes as separate numbers or one array");
    expect(anyCall(x.newOnes.bind(x), [2], 3)).toThrow("newOnes: expected sizes");
    expect(anyCall(x.newFull.bind(x), [2], 1, 5)).toThrow("newFull: options must be an object, got 5");
    expect(anyCall(x.newFull.bind(x), [2, "a"], 1)).toThrow('newFull: invalid size "a" in shape [2,a]');
    expect(anyCall(x.reshape.bind(x), [3, 2], 1)).toThrow("reshape: expected sizes as separate numbers or one array, got (an array [3,2], 1)");
    expect(anyCall(x.view.bind(x), 3, [2])).toThrow("view: expected sizes");
    expect(anyCall(x.permute.bind(x), [1, 0], 2)).toThrow("permute: expected sizes");
    expect(anyCall(x.expand.bind(x), [2, 3], { x: 1 })).toThrow("expand: expected sizes");
    expect(anyCall(x.tile.bind(x), 2, [1])).toThrow("tile: expected sizes");
    expect(anyCall(randint, 0, 10, [2], 5)).toThrow("randint: options must be an object, got 5");
    expect(anyCall(randint, 10)).toThrow(ValueError);
  });
});
