/**
 * The gradcheck cases of every differentiable primitive: random inputs (float64, shapes with
 * broadcasting) and a function of them. test/autograd/gradcheck-ops.test.ts checks each against
 * central finite differences; test/webgpu/op-parity.test.ts runs each on webgpu against the cpu.
 * A case's configuration (dims, flags, window sizes) travels as a config tensor (config.ts),
 * read on the host inside the function; every other input is data.
 */

import fc from "fast-check";
import {
  cat, gruCell, linear, lstmCell, reluBackward, sigmoidBackward, softmaxBackward, sliceScatter, stack, tanhBackward, tensor, type Tensor, where,
} from "@tensorgrad/autograd";
import { addcdiv, addcmul, binaryCrossEntropy, einsum, embedding, maskedFill, softmaxCrossEntropy } from "@tensorgrad/autograd";
import {
  anyTensorArb,
  broadcastShapesArb,
  shapeArb,
  tensorArb,
  valuesArb,
  type TensorConstraints,
} from "@tensorgrad/autograd/testing/arbitraries";
import { createCpuBackend, listBackends, registerBackend, type Backend } from "@tensorgrad/autograd";
import { config } from "./config.js";
import { CONV_POOL_CASES } from "./conv-pool.js";
import { TRANSFORMER_CASES } from "./transformer.js";

type Fn = (...xs: Tensor[]) => Tensor;

export interface OpCase {
  /** Test name. */
  readonly name: string;
  /** Registered primitives this case exercises. */
  readonly covers: readonly string[];
  readonly inputs: fc.Arbitrary<Tensor[]>;
  readonly fn: Fn;
  /** Also check second derivatives. */
  readonly smooth: boolean;
  /** Skip inputs too close to a kink, where finite differences straddle it. */
  readonly valid?: (...xs: Tensor[]) => boolean;
  readonly eps?: number;
  readonly atol?: number;
}

const grad = { requiresGrad: true } as const;

/** A second host device for toDevice's case (the cpu kernels under another name). */
const OTHER_DEVICE = "cpu-other";
if (!listBackends().includes(OTHER_DEVICE)) registerBackend({ ...(createCpuBackend() as unknown as Backend), name: OTHER_DEVICE });
const small = { maxRank: 3, maxSize: 3 } as const;

function unaryCase(name: string, fn: Fn, values: TensorConstraints, smooth: boolean, covers: readonly string[] = [name], valid?: OpCase["valid"]): OpCase {
  return { name, covers, fn, smooth, valid, inputs: anyTensorArb(small, { ...values, ...grad }).map((x) => [x]) };
}

function binaryCase(name: string, fn: Fn, a: TensorConstraints, b: TensorConstraints, smooth: boolean, valid?: OpCase["valid"]): OpCase {
  const inputs = broadcastShapesArb(small).chain(([sa, sb]) => fc.tuple(tensorArb(sa, { ...a, ...grad }), tensorArb(sb, { ...b, ...grad })));
  return { name, covers: [name], fn, smooth, valid, inputs };
}

/** No element within `gap` of any point in `kinks`. */
const awayFrom = (kinks: readonly number[], gap = 1e-3) => (x: Tensor) =>
  x.toFlatArray().every((v) => kinks.every((k) => Math.abs(v - k) > gap));

/** No two elements within `gap` of each other (so max/min don't hop between near-ties). */
const distinct = (gap = 1e-3) => (x: Tensor) => {
  const v = x.toFlatArray().sort((p, q) => p - q);
  return v.every((value, i) => i === 0 || value - v[i - 1] > gap);
};

/** A shape plus a valid dim list and keepdim flag for reductions. */
const reductionArb = fc
  .tuple(shapeArb({ minRank: 1, ...small }), fc.boolean(), fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }))
  .chain(([shape, keepdim, picks]) => {
    const dims = shape.map((_, i) => i).filter((i) => picks[i]);
    return tensorArb(shape, { ...grad }).map((x) => ({ x, dims: dims.length ? dims : [0], keepdim }));
  });

function reductionCase(name: string, covers: string[], fn: (x: Tensor, dims: number[], keepdim: boolean) => Tensor, smooth: boolean, valid?: OpCase["valid"]): OpCase {
  // Encode dims and keepdim in a non-differentiable int tensor so the case stays (...Tensor) => Tensor.
  const inputs = reductionArb.map(({ x, dims, keepdim }) => [x, config([...dims, keepdim ? 1 : 0])]);
  const decode = (x: Tensor, spec: Tensor) => {
    const values = spec.toFlatArray();
    return fn(x, values.slice(0, -1), values[values.length - 1] === 1);
  };
  return { name, covers, fn: decode, smooth, inputs, valid: valid && ((x) => valid(x)) };
}

/** A tensor plus a valid dim for it. */
const withDim = (values: TensorConstraints = {}) =>
  shapeArb({ minRank: 1, ...small }).chain((shape) =>
    fc.tuple(tensorArb(shape, { ...values, ...grad }), fc.integer({ min: -shape.length, max: shape.length - 1 })),
  );

const dimCase = (name: string, covers: string[], fn: (x: Tensor, dim: number) => Tensor, smooth: boolean, valid?: OpCase["valid"]): OpCase => ({
  name,
  covers,
  smooth,
  valid,
  inputs: withDim().map(([x, dim]) => [x, config([dim])]),
  fn: (x, d) => fn(x, d.toFlatArray()[0]),
});

/** softmaxBackward(g, y, dim, log) on independent g and y of one shape (any y: the formulas are smooth in it). */
const softmaxBackwardCase = (log: boolean): OpCase => ({
  name: `softmaxBackward (${log ? "log-softmax" : "softmax"})`,
  covers: ["softmaxBackward"],
  smooth: true,
  inputs: withDim().chain(([g, dim]) => tensorArb(g.shape, { min: -2, max: 1, ...grad }).map((y) => [g, y, config([dim])])),
  fn: (g, y, d) => softmaxBackward(g, y, d.toFlatArray()[0], log),
});

const positive: TensorConstraints = { min: 0.2, max: 3 };

/** Every case; the registry test in gradcheck-ops.test.ts fails when a primitive has none. */
export const OP_CASES: readonly OpCase[] = [
  // elementwise unary
  unaryCase("neg", (x) => x.neg(), {}, true),
  unaryCase("exp", (x) => x.exp(), {}, true),
  unaryCase("log", (x) => x.log(), positive, true),
  unaryCase("log1p", (x) => x.log1p(), { min: -0.7, max: 3 }, true),
  unaryCase("expm1", (x) => x.expm1(), {}, true),
  unaryCase("sqrt", (x) => x.sqrt(), positive, true),
  unaryCase("rsqrt", (x) => x.rsqrt(), positive, true, ["sqrt", "div"]),
  unaryCase("reciprocal", (x) => x.reciprocal(), { minAbs: 0.3 }, true, ["div"]),
  unaryCase("square", (x) => x.square(), {}, true, ["mul"]),
  unaryCase("abs", (x) => x.abs(), { minAbs: 0.01 }, false),
  unaryCase("sign", (x) => x.sign(), { minAbs: 0.01 }, false),
  unaryCase("tanh", (x) => x.tanh(), {}, true),
  unaryCase("sigmoid", (x) => x.sigmoid(), {}, true),
  unaryCase("relu", (x) => x.relu(), { minAbs: 0.01 }, false),
  unaryCase("leakyRelu", (x) => x.leakyRelu(0.1), { minAbs: 0.01 }, false, ["where", "mul"]),
  unaryCase("elu", (x) => x.elu(1.5), { minAbs: 0.01 }, false, ["where", "expm1", "minimum"]),
  unaryCase("gelu", (x) => x.gelu(), {}, true, ["gelu", "geluBackward"]),
  unaryCase("gelu tanh", (x) => x.gelu({ approximate: "tanh" }), {}, true, ["gelu", "geluBackward"]),
  unaryCase("softplus", (x) => x.softplus(2, 5), { min: -4, max: 4 }, true, ["log1p", "exp", "where"], awayFrom([2.5])),
  unaryCase("silu", (x) => x.silu(), {}, true, ["sigmoid", "mul"]),
  // the activations' derivative kernels (what sigmoid/tanh/relu's vjps call), on their own
  binaryCase("sigmoidBackward", (g, y) => sigmoidBackward(g, y), {}, {}, true),
  binaryCase("tanhBackward", (g, y) => tanhBackward(g, y), {}, {}, true),
  binaryCase("reluBackward", (g, y) => reluBackward(g, y), {}, { minAbs: 0.01 }, false),
  unaryCase("erf", (x) => x.erf(), {}, true),
  unaryCase("sin", (x) => x.sin(), {}, true),
  unaryCase("cos", (x) => x.cos(), {}, true),
  // Piecewise constant: values stay between the jumps (fast-check favours integers otherwise).
  unaryCase("floor", (x) => x.floor(), { min: 1.01, max: 1.99 }, false),
  unaryCase("ceil", (x) => x.ceil(), { min: -0.99, max: -0.01 }, false),
  unaryCase("round", (x) => x.round(), { min: 0.51, max: 1.49 }, false),
  unaryCase("clamp", (x) => x.clamp(-0.5, 0.7), {}, false, ["where"], awayFrom([-0.5, 0.7])),
  {
    name: "to (float64 → float32 → float64)",
    covers: ["to"],
    inputs: anyTensorArb(small, grad).map((x) => [x]),
    fn: (x) => x.to("float32").to("float64").mul(3),
    smooth: false,
    eps: 1e-2, // float32 rounding needs a coarse step
    atol: 1e-4,
  },
  unaryCase("clone", (x) => x.clone().mul(2), {}, true),
  // elementwise binary with broadcasting
  binaryCase("add", (a, b) => a.add(b), {}, {}, true),
  binaryCase("sub", (a, b) => a.sub(b), {}, {}, true),
  binaryCase("mul", (a, b) => a.mul(b), {}, {}, true),
  binaryCase("div", (a, b) => a.div(b), {}, { minAbs: 0.3 }, true),
  // PyTorch masks ∂aᵇ/∂a to 0 where b = 0 exactly (so 0·∞ can't appear at a = 0): at that single
  // point the second derivative in b jumps, so exponents stay away from exactly 0.
  binaryCase("pow", (a, b) => a.pow(b), positive, { min: -2, max: 2, minAbs: 0.05 }, true),
  binaryCase("maximum", (a, b) => a.maximum(b), {}, {}, false, (a, b) => a.sub(b).abs().amin().item() > 1e-3),
  binaryCase("minimum", (a, b) => a.minimum(b), {}, {}, false, (a, b) => a.sub(b).abs().amin().item() > 1e-3),
  {
    name: "where",
    covers: ["where"],
    smooth: true,
    inputs: broadcastShapesArb(small).chain(([sa, sb]) =>
      fc.tuple(tensorArb(sa, grad), tensorArb(sb, grad), tensorArb(sb, { min: -1, max: 1 })),
    ),
    fn: (a, b, c) => where(c.gt(0), a, b),
  },
  // reductions
  reductionCase("sum", ["sum"], (x, d, k) => x.sum(d, k), true),
  reductionCase("mean", ["sum", "div"], (x, d, k) => x.mean(d, k), true),
  reductionCase("var (population)", ["var"], (x, d, k) => x.var(d, { keepdim: k, correction: 0 }), true),
  // Bessel's correction and std need at least two reduced elements (else NaN, as in PyTorch).
  {
    name: "var (Bessel) and std over ≥ 2 elements",
    covers: ["sqrt"],
    smooth: true,
    inputs: fc.tuple(tensorArb([3, 4], grad), fc.constantFrom([0], [1], [0, 1])).map(([x, dims]) => [x, config(dims)]),
    fn: (x, d) => x.var(d.toFlatArray()).add(x.std(d.toFlatArray(), { keepdim: true }).sum()),
    valid: (x, d) => x.var(d.toFlatArray(), { correction: 0 }).amin().item() > 0.05, // keep √ away from 0
  },
  reductionCase("logsumexp", ["exp", "log"], (x, d, k) => x.logsumexp(d, k), true),
  reductionCase("amax", ["amax"], (x, d, k) => x.amax(d, k), false, distinct()),
  reductionCase("amin", ["amin"], (x, d, k) => x.amin(d, k), false, distinct()),
  unaryCase("max() of all elements", (x) => x.max(), {}, false, ["max"], distinct()),
  unaryCase("min() of all elements", (x) => x.min(), {}, false, ["min"], distinct()),
  dimCase("max(dim)", ["gather"], (x, d) => x.max(d).values, false, distinct()),
  dimCase("min(dim)", ["gather"], (x, d) => x.min(d, true).values, false, distinct()),
  dimCase("softmax", ["softmax"], (x, d) => x.softmax(d), true),
  dimCase("logSoftmax", ["logSoftmax"], (x, d) => x.logSoftmax(d), true),
  softmaxBackwardCase(false),
  softmaxBackwardCase(true),
  // model ops (issue 12): scans, masks, rearranging, sorting, einsum
  dimCase("cumsum", ["cumsum"], (x, d) => x.cumsum(d), true),
  {
    ...dimCase("cumprod", ["cumprod"], (x, d) => x.cumprod(d), true),
    // away from 0 (and from underflow, which denormal inputs would bring): the zeros have their own case
    inputs: withDim({ minAbs: 0.2 }).map(([x, dim]) => [x, config([dim])]),
  },
  {
    // Exact zeros: the gradient needs the products that skip the zero, and the second order the
    // explicit ones (a polynomial, so central differences straddling 0 are exact enough).
    name: "cumprod with zeros in the input",
    covers: ["cumprod"],
    smooth: true,
    inputs: fc
      .tuple(valuesArb(12, { minAbs: 0.2 }), fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), fc.integer({ min: 0, max: 1 }))
      .map(([v, zero, dim]) => [tensor(v.map((x, i) => (zero[i] ? 0 : x)), { dtype: "float64", shape: [3, 4], requiresGrad: true }), config([dim])]),
    fn: (x, d) => x.cumprod(d.toFlatArray()[0]),
  },
  {
    name: "tril / triu (batched, any diagonal)",
    covers: ["where"],
    smooth: true,
    inputs: fc.tuple(shapeArb({ minRank: 2, maxRank: 3, maxSize: 4 }), fc.integer({ min: -3, max: 3 })).chain(([shape, k]) =>
      tensorArb(shape, grad).map((x) => [x, config([k])]),
    ),
    fn: (x, k) => x.tril(k.toFlatArray()[0]).add(x.triu(k.toFlatArray()[0] + 1).mul(x)),
  },
  {
    name: "maskedFill (broadcast mask, 0-d tensor value)",
    covers: ["where"],
    smooth: true,
    inputs: fc.tuple(tensorArb([2, 3], grad), tensorArb([3], { min: -1, max: 1 }), tensorArb([], grad)),
    fn: (x, c, v) => maskedFill(x, c.gt(0), v.mul(v)).mul(x),
  },
  {
    name: "roll / flip",
    covers: ["cat", "gather"],
    smooth: true,
    inputs: tensorArb([3, 4], grad).map((x) => [x]),
    fn: (x) => x.roll([1, -2], [0, 1]).mul(x.flip(0, 1)).add(x.roll(5)),
  },
  {
    name: "repeat / tile",
    covers: ["expand"],
    smooth: true,
    inputs: tensorArb([2, 3], grad).map((x) => [x]),
    fn: (x) => x.repeat(2, 1, 2).sum(0).mul(x.tile(2)),
  },
  {
    name: "sort / topk values",
    covers: ["gather"],
    smooth: true,
    // spread apart by position, so fast-check's favourite (equal) values don't all tie
    inputs: valuesArb(12).map((v) => [tensor(v.map((x, i) => x + 0.013 * i), { dtype: "float64", shape: [3, 4], requiresGrad: true })]),
    fn: (x) => x.sort(1, true).values.square().add(x.topk(2, 0, false).values.sum(0)),
    valid: distinct(),
  },
  {
    name: "einsum (matmul, diagonal, batched, broadcast '...')",
    covers: ["matmul", "gather"],
    smooth: true,
    inputs: fc.tuple(tensorArb([2, 3], grad), tensorArb([3, 3], grad), tensorArb([2, 1, 3, 3], grad)),
    fn: (a, b, c) =>
      einsum("ij,jk->ik", a, b) // [2,3]
        .add(einsum("ii->i", b)) // [3]
        .add(einsum("...ij,...jk->...ik", c, b).sum([0, 1, 2])) // [3]
        .add(einsum("bqii,jq->bj", c, a).sum(1, true)), // [2,1]: c's q (size 1) broadcasts against a's
  },
  {
    name: "addcmul / addcdiv",
    covers: ["mul", "div"],
    smooth: true,
    inputs: fc.tuple(tensorArb([2, 3], grad), tensorArb([3], grad), tensorArb([2, 1], { ...grad, minAbs: 0.3 })),
    fn: (x, a, b) => addcmul(x, a, b, { value: 0.5 }).add(addcdiv(x, a, b, { value: -2 })),
  },
  // linear algebra
  {
    name: "matmul (1-d, 2-d, batched, broadcast batch)",
    covers: ["matmul"],
    smooth: true,
    inputs: fc
      .record({
        m: fc.integer({ min: 1, max: 3 }),
        k: fc.integer({ min: 1, max: 3 }),
        n: fc.integer({ min: 1, max: 3 }),
        kind: fc.constantFrom("vv", "mv", "vm", "mm", "bmm", "broadcast"),
      })
      .chain(({ m, k, n, kind }) => {
        const shapes: Record<string, [number[], number[]]> = {
          vv: [[k], [k]],
          mv: [[m, k], [k]],
          vm: [[k], [k, n]],
          mm: [[m, k], [k, n]],
          bmm: [[2, m, k], [2, k, n]],
          broadcast: [[2, 1, m, k], [3, k, n]],
        };
        const [sa, sb] = shapes[kind];
        return fc.tuple(tensorArb(sa, grad), tensorArb(sb, grad));
      }),
    fn: (a, b) => a.matmul(b),
  },
  {
    name: "matmul with transposed operands (x @ w.mT, a.mT @ b, batched)",
    covers: ["matmul", "permute"],
    smooth: true,
    inputs: fc
      .record({ m: fc.integer({ min: 2, max: 3 }), k: fc.integer({ min: 2, max: 3 }), n: fc.integer({ min: 2, max: 3 }) })
      .chain(({ m, k, n }) => fc.tuple(tensorArb([2, m, k], grad), tensorArb([n, k], grad), tensorArb([2, k, m], grad))),
    fn: (x, w, xt) => x.matmul(w.mT).add(xt.mT.matmul(w.mT)),
  },
  {
    name: "linear (fused x·Wᵀ + b; 1-d, 2-d and batched x)",
    covers: ["linear"],
    smooth: true,
    inputs: fc
      .record({ lead: fc.constantFrom([], [2], [2, 3]), inF: fc.integer({ min: 1, max: 3 }), outF: fc.integer({ min: 1, max: 3 }) })
      .chain(({ lead, inF, outF }) => fc.tuple(tensorArb([...lead, inF], grad), tensorArb([outF, inF], grad), tensorArb([outF], grad))),
    fn: (x, w, b) => linear(x, w, b).add(linear(x, w)),
  },
  // convolution and pooling (conv2d and its gradients, unfold, fold, maxPool2d and its gradient, and the composites on them)
  ...CONV_POOL_CASES,
  ...TRANSFORMER_CASES,
  // movement
  unaryCase("reshape / view", (x) => x.reshape([-1]).mul(x.reshape([-1])), {}, true, ["view"]),
  {
    name: "view of a permuted tensor and contiguous copy",
    covers: ["permute", "view", "clone"],
    smooth: true,
    inputs: tensorArb([2, 3, 2], grad).map((x) => [x]),
    fn: (x) => x.permute(2, 0, 1).reshape([2, 6]).mul(tensor([[1], [2]], { dtype: x.dtype, device: x.device })),
  },
  unaryCase("transpose / mT", (x) => x.reshape([x.numel(), 1]).mT.mul(2), {}, true, ["permute"]),
  {
    name: "expand",
    covers: ["expand"],
    smooth: true,
    inputs: tensorArb([3, 1], grad).map((x) => [x]),
    fn: (x) => x.expand(2, 3, 4).mul(x.expand(3, 4)),
  },
  {
    name: "slice with step, narrow, select",
    covers: ["slice"],
    smooth: true,
    inputs: tensorArb([5, 4], grad).map((x) => [x]),
    fn: (x) => x.slice(0, 1, -1, 2).mul(x.select(0, 4)).add(x.narrow(1, 1, 2).square().sum()),
  },
  {
    name: "sliceScatter",
    covers: ["sliceScatter"],
    smooth: true,
    inputs: fc.tuple(tensorArb([5, 3], grad), tensorArb([2, 3], grad)),
    fn: (base, src) => sliceScatter(base, src, 0, 1, 5, 2).mul(base),
  },
  {
    name: "cat / stack / split / chunk",
    covers: ["cat", "split"],
    smooth: true,
    inputs: fc.tuple(tensorArb([2, 3], grad), tensorArb([2, 1], grad)),
    fn: (a, b) => {
      const joined = cat([a, b], 1);
      const [p, q] = joined.split([3, 1], 1);
      return stack([p.sum(1), q.squeeze(1)], 0).mul(joined.chunk(2, 0)[1].sum());
    },
  },
  {
    // q, k, v as nanoGPT splits them (views of one tensor, one node), a piece used twice and a
    // piece left unused (its gradient is zeros in the joined gradient)
    name: "split: pieces used, reused and unused",
    covers: ["split"],
    smooth: true,
    inputs: fc.tuple(tensorArb([2, 3, 7], grad)),
    fn: (x) => {
      const [q, k, , v] = x.split([2, 2, 1, 2], 2);
      return q.mul(k).add(v.tanh()).mul(q).sum(2).add(x.chunk(3, 1)[2].sum(1).sum(1, true));
    },
  },
  {
    name: "gather / indexSelect",
    covers: ["gather"],
    smooth: true,
    inputs: fc.tuple(tensorArb([3, 4], grad), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 6, maxLength: 6 })).map(([x, idx]) => [
      x,
      tensor(idx, { dtype: "int32", shape: [3, 2] }),
    ]),
    fn: (x, idx) => x.gather(1, idx).mul(x.indexSelect(0, tensor([2, 0, 2], { dtype: "int32", device: x.device })).sum(1, true)),
  },
  {
    name: "scatterAdd",
    covers: ["scatterAdd"],
    smooth: true,
    inputs: fc
      .tuple(tensorArb([3, 4], grad), tensorArb([3, 2], grad), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 6, maxLength: 6 }))
      .map(([base, src, idx]) => [base, src, tensor(idx, { dtype: "int32", shape: [3, 2] })]),
    fn: (base, src, idx) => base.scatterAdd(1, idx, src).square(),
  },
  {
    name: "indexSelect (repeated indices, dims 1 and -3)",
    covers: ["indexSelect"],
    smooth: true,
    inputs: fc.tuple(tensorArb([3, 4, 2], grad), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 5, maxLength: 5 })).map(([x, idx]) => [
      x,
      tensor(idx, { dtype: "int32" }),
    ]),
    fn: (x, idx) => x.indexSelect(1, idx).square().sum(1).mul(x.indexSelect(-3, tensor([2, 2, 0], { dtype: "int32", device: x.device })).sum(1)),
  },
  {
    name: "indexAdd (alpha, repeated indices)",
    covers: ["indexAdd"],
    smooth: true,
    inputs: fc
      .tuple(tensorArb([4, 3], grad), tensorArb([4, 5], grad), fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 5, maxLength: 5 }))
      .map(([base, src, idx]) => [base, src, tensor(idx, { dtype: "int32" })]),
    fn: (base, src, idx) => base.indexAdd(1, idx, src, { alpha: -1.5 }).square(),
  },
  {
    // logits [N, C] against class indices; each row's loss weighted so the rows' gradients differ
    name: "softmaxCrossEntropy (logits [N, C], int32 targets)",
    covers: ["softmaxCrossEntropy"],
    smooth: true,
    inputs: fc
      .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }))
      .chain(([n, c]) => fc.tuple(tensorArb([n, c], grad), fc.array(fc.integer({ min: 0, max: c - 1 }), { minLength: n, maxLength: n })))
      .map(([x, t]) => [x, tensor(t, { dtype: "int32" })]),
    fn: (x, t) => softmaxCrossEntropy(x, t).mul(x.sum(1).tanh().add(2)),
  },
  {
    // y strictly inside (0, 1) too: finite differences step y by ±eps, and the op refuses a
    // target outside [0, 1] (as F.binaryCrossEntropy always did)
    name: "binaryCrossEntropy (p and y in (0, 1))",
    covers: ["binaryCrossEntropy"],
    smooth: true,
    inputs: fc.tuple(tensorArb([2, 3], { min: 0.05, max: 0.95, ...grad }), tensorArb([2, 3], { min: 0.01, max: 0.99, ...grad })),
    fn: (p, y) => binaryCrossEntropy(p, y).mul(p.add(1)),
  },
  {
    // smooth: gradgradchecked too, which runs the vjp's recorded (Tensor-op) form; the first-order
    // check runs the one-kernel backward. Both outputs (h', c') feed the loss, c also through h'.
    name: "lstmCell (gates [B, 4H], c [B, H])",
    covers: ["lstmCell"],
    smooth: true,
    inputs: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })).chain(([b, h]) => fc.tuple(tensorArb([b, 4 * h], grad), tensorArb([b, h], grad))),
    fn: (gates, c) => {
      const hc = lstmCell(gates, c);
      return hc.select(0, 0).mul(hc.select(0, 1).add(c)).add(hc.square().sum(0));
    },
  },
  {
    // as lstmCell: the recorded vjp by gradgradcheck, the kernel by the first-order check
    name: "gruCell (gi, gh [B, 3H], h [B, H])",
    covers: ["gruCell"],
    smooth: true,
    inputs: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })).chain(([b, h]) =>
      fc.tuple(tensorArb([b, 3 * h], grad), tensorArb([b, 3 * h], grad), tensorArb([b, h], grad)),
    ),
    fn: (gi, gh, h) => gruCell(gi, gh, h).mul(h.add(1)),
  },
  {
    // d(to x) = dx: the gradient moves back to x's device.
    name: "toDevice (to another device, computed there, and back)",
    covers: ["toDevice"],
    smooth: true,
    inputs: anyTensorArb(small, grad).map((x) => [x]),
    fn: (x) => x.to(OTHER_DEVICE).square().to(x.device).mul(x),
  },
  {
    // No paddingIdx here: its row's zero gradient is by design, not the derivative (PyTorch goldens
    // check it in test/autograd/index-select.test.ts).
    name: "embedding (repeated indices)",
    covers: ["embedding"],
    smooth: true,
    inputs: fc
      .tuple(tensorArb([5, 3], grad), fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 6, maxLength: 6 }))
      .map(([w, idx]) => [w, tensor(idx, { dtype: "int32", shape: [2, 3] })]),
    fn: (w, idx) => embedding(idx, w).square().mul(w.sum()),
  },
];
