/**
 * webgpu vs the cpu oracle, kernel by kernel: the same op on a cpu tensor and on its copy on the
 * GPU, compared with float32 tolerances. Inputs come from a seeded generator and include
 * broadcasting and non-contiguous views (transposes, stepped slices, expanded dims), so every
 * stride path of a kernel runs; hand-computed cases check what the oracle could share with the
 * code under test.
 */

import { expect, it } from "vitest";
import { Generator, arange, attentionSoftmax, sort, topk, conv2d, gruCell, lstmCell, binaryCrossEntropy, fold, maxPool2d, unfold, softmaxCrossEntropy, dropout, embedding, eye, full, gelu, layerNorm, linear, ones, randint, randn, tensor, zeros, type Tensor } from "@tensorgrad/autograd";
import { Parameter, optim } from "@tensorgrad/nn";
import { describeGpu, host } from "./gpu.js";

const gen = new Generator(20261205);
/** Seeded standard normal samples on the cpu. */
const rnd = (...shape: number[]): Tensor => randn(shape, { device: "cpu", generator: gen });
const gpu = (t: Tensor): Tensor => t.to("webgpu");
const TOL = { rtol: 1e-5, atol: 1e-6 };
/** Transcendental functions: WGSL allows a few ulp (exp: 3 + 2|x| ulp). */
const LOOSE = { rtol: 2e-5, atol: 2e-6 };
/** Sums of products: float32 accumulation against the float64 oracle, with cancellation. */
const MATMUL = { rtol: 1e-4, atol: 1e-5 };

/** f on the cpu tensors and on their webgpu copies, compared. */
async function parity(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], tol: { rtol: number; atol: number } = TOL): Promise<void> {
  const expected = f(...inputs);
  const got = f(...inputs.map(gpu));
  expect(got.shape).toEqual(expected.shape);
  expect(got.dtype).toBe(expected.dtype);
  expect(await host(got)).toBeAllclose(expected, tol);
}

/** Views of one [4, 6] matrix: contiguous, transposed, stepped slice, expanded row. */
function views(): [string, Tensor][] {
  const m = rnd(6, 4);
  return [
    ["contiguous", rnd(4, 6)],
    ["transposed", m.t()],
    ["stepped slice", rnd(4, 12).slice(1, 0, 12, 2)],
    ["expanded", rnd(1, 6).expand(4, 6)],
  ];
}

describeGpu("webgpu kernels vs the cpu oracle", () => {
  it("fromValues, alloc, fill and strided fill (tensor, zeros, full, eye, fill_)", async () => {
    expect(await host(tensor([[1, 2], [3, 4]], { device: "webgpu" }))).toEqual([[1, 2], [3, 4]]);
    expect(await host(zeros([2, 3], { device: "webgpu" }))).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(await host(full([2], -2.5, { device: "webgpu" }))).toEqual([-2.5, -2.5]);
    expect(await host(eye(3, 4, { device: "webgpu" }))).toEqual(eye(3, 4, { device: "cpu" }).toArray());
    expect(await host(tensor([1, -2, 7], { dtype: "int32", device: "webgpu" }))).toEqual([1, -2, 7]);
    expect(await host(tensor([true, false, true], { device: "webgpu" }))).toEqual([true, false, true]);
    const t = zeros([3, 4], { device: "webgpu" });
    t.slice(1, 1, 4, 2).fill_(3);
    expect(await host(t)).toEqual([[0, 3, 0, 3], [0, 3, 0, 3], [0, 3, 0, 3]]);
    expect(await host(arange(5, { device: "webgpu" }))).toEqual([0, 1, 2, 3, 4]);
  });

  it.each(views())("copy of a %s view (contiguous(), clone) and casts between float32, int32 and bool", async (_, x) => {
    await parity((a) => a.contiguous(), [x]);
    await parity((a) => a.clone(), [x]);
    const scaled = x.mul(3);
    await parity((a) => a.int(), [scaled]); // truncation toward zero
    await parity((a) => a.int().float(), [scaled]);
    await parity((a) => a.gt(0).float(), [x]);
    await parity((a) => a.round().bool(), [x]);
  });

  const floatUnary: [string, (x: Tensor) => Tensor, (x: Tensor) => Tensor][] = [
    ["neg", (x) => x.neg(), (x) => x],
    ["exp", (x) => x.exp(), (x) => x],
    ["log", (x) => x.log(), (x) => x.abs().add(0.1)],
    ["log1p", (x) => x.log1p(), (x) => x.abs().mul(1e-3)],
    ["expm1", (x) => x.expm1(), (x) => x.mul(1e-3)],
    ["expm1 (large)", (x) => x.expm1(), (x) => x.mul(3)],
    ["sqrt", (x) => x.sqrt(), (x) => x.abs()],
    ["abs", (x) => x.abs(), (x) => x],
    ["sign", (x) => x.sign(), (x) => x],
    ["tanh", (x) => x.tanh(), (x) => x.mul(5)],
    ["sigmoid", (x) => x.sigmoid(), (x) => x.mul(10)],
    ["relu", (x) => x.relu(), (x) => x],
    ["erf", (x) => x.erf(), (x) => x.mul(2)],
    ["sin", (x) => x.sin(), (x) => x],
    ["cos", (x) => x.cos(), (x) => x],
    ["floor", (x) => x.floor(), (x) => x.mul(3)],
    ["ceil", (x) => x.ceil(), (x) => x.mul(3)],
    ["round (half to even)", (x) => x.round(), (x) => x.mul(2).round().div(2)],
    ["isfinite", (x) => x.isfinite(), (x) => x.div(x.round())],
    ["logicalNot", (x) => x.logicalNot(), (x) => x.round()],
  ];
  it.each(floatUnary)("unary %s on float32 views", async (_, f, domain) => {
    for (const [, v] of views()) await parity(f, [domain(v)], LOOSE);
  });

  it("unary ops on int32 and bool keep their exact integer values", async () => {
    const i = tensor([-3, 0, 5, -2147483647, 7], { dtype: "int32", device: "cpu" });
    for (const f of [(x: Tensor) => x.neg(), (x: Tensor) => x.abs(), (x: Tensor) => x.sign(), (x: Tensor) => x.relu(), (x: Tensor) => x.logicalNot()]) {
      await parity(f, [i]);
    }
    await parity((b) => b.logicalNot(), [tensor([true, false], { device: "cpu" })]);
  });

  const floatBinary: [string, (a: Tensor, b: Tensor) => Tensor][] = [
    ["add", (a, b) => a.add(b)],
    ["sub", (a, b) => a.sub(b)],
    ["mul", (a, b) => a.mul(b)],
    ["div", (a, b) => a.div(b)],
    ["maximum", (a, b) => a.maximum(b)],
    ["minimum", (a, b) => a.minimum(b)],
    ["eq", (a, b) => a.round().eq(b.round())],
    ["ne", (a, b) => a.round().ne(b.round())],
    ["lt", (a, b) => a.lt(b)],
    ["le", (a, b) => a.round().le(b.round())],
    ["gt", (a, b) => a.gt(b)],
    ["ge", (a, b) => a.round().ge(b.round())],
    ["logicalAnd", (a, b) => a.round().logicalAnd(b.round())],
    ["logicalOr", (a, b) => a.round().logicalOr(b.round())],
  ];
  it.each(floatBinary)("binary %s with broadcasting and strided operands", async (_, f) => {
    await parity(f, [rnd(3, 1, 4), rnd(5, 4)]);
    await parity(f, [rnd(4, 5).t(), rnd(4)]);
    await parity(f, [rnd(2, 6).slice(1, 1, 6, 2), rnd(2, 1).expand(2, 3)]);
    await parity((a) => f(a, a.mul(0.5)), [rnd(3, 3)]);
  });

  it("pow: negative bases with integer exponents, zero bases, x⁰ = 1", async () => {
    const base = tensor([-2, -2, -1.5, 0, 0, 3, 2.5, -4], { device: "cpu" });
    const exponent = tensor([3, 2, 2, 2, 0, -1, 0.5, 0], { device: "cpu" });
    await parity((a, b) => a.pow(b), [base, exponent], LOOSE);
    await parity((a) => a.pow(2), [rnd(4, 3).t()], LOOSE);
  });

  it("activation backward ops (sigmoidBackward, tanhBackward, reluBackward) through gradients", async () => {
    for (const act of [(x: Tensor) => x.sigmoid(), (x: Tensor) => x.tanh(), (x: Tensor) => x.relu()]) {
      const x = rnd(4, 5);
      const w = rnd(4, 5);
      const xc = x.clone().requiresGrad_();
      act(xc).mul(w).sum().backward();
      const xg = gpu(x).requiresGrad_();
      act(xg).mul(gpu(w)).sum().backward();
      expect(await host(xg.grad!)).toBeAllclose(xc.grad!, LOOSE);
    }
  });

  it("int32 arithmetic and comparisons stay exact", async () => {
    const a = tensor([[5, -7, 2147483000], [0, 3, -1]], { dtype: "int32", device: "cpu" });
    const b = tensor([3, -2, 600], { dtype: "int32", device: "cpu" });
    for (const f of [(x: Tensor, y: Tensor) => x.add(y), (x: Tensor, y: Tensor) => x.sub(y), (x: Tensor, y: Tensor) => x.mul(y),
      (x: Tensor, y: Tensor) => x.maximum(y), (x: Tensor, y: Tensor) => x.minimum(y), (x: Tensor, y: Tensor) => x.lt(y), (x: Tensor, y: Tensor) => x.eq(y)]) {
      await parity(f, [a.slice(1, 0, 2), b.slice(0, 0, 2)]);
    }
    await parity((x, y) => x.div(y), [a, b]); // true division: float32
  });

  it("where with a broadcast condition and strided operands", async () => {
    const cond = rnd(4, 1).gt(0);
    await parity((c, a, b) => a.where(c, b), [cond, rnd(6, 4).t(), rnd(6)]);
    await parity((c, a) => a.where(c, 0), [rnd(3, 3).gt(0), rnd(3, 3)]);
  });

  it.each([
    ["all", undefined],
    ["axis 0", 0],
    ["axis -1", -1],
    ["axes [0, 2]", [0, 2]],
  ] as const)("sum, mean, amax, amin over %s of a permuted view", async (_, dims) => {
    const x = rnd(3, 4, 5).permute(2, 0, 1);
    const d = dims as number | number[] | undefined;
    await parity((a) => a.sum(d), [x]);
    await parity((a) => a.mean(d), [x]);
    await parity((a) => a.sum(d, true), [x]);
    await parity((a) => a.amax(d), [x]);
    await parity((a) => a.amin(d), [x]);
  });

  it("sums of many elements stay close to the float64 oracle (compensated summation)", async () => {
    await parity((a) => a.sum(), [rnd(300, 400).add(10)], { rtol: 2e-6, atol: 0 });
    await parity((a) => a.sum(0), [rnd(5000, 3)], TOL);
  });

  it("int32 sum, amax, amin", async () => {
    const i = tensor([[4, -9, 2], [7, 0, -1]], { dtype: "int32", device: "cpu" });
    await parity((a) => a.sum(1), [i]);
    await parity((a) => a.amax(0), [i]);
    await parity((a) => a.amin(), [i]);
  });

  it("argmax and argmin along each axis (first index of ties)", async () => {
    const x = rnd(4, 5, 3).round();
    for (const dim of [0, 1, 2]) {
      await parity((a) => a.argmax(dim), [x]);
      await parity((a) => a.argmin(dim), [x.transpose(0, 2)]);
    }
  });

  it.each([
    ["small", [7, 5], [5, 3]],
    ["tiles with ragged edges", [70, 130], [130, 33]],
    ["batched", [2, 3, 4, 5], [2, 3, 5, 6]],
    ["broadcast batch", [2, 1, 4, 5], [3, 5, 6]],
    ["matrix-vector", [4, 5], [5]],
    ["vector-matrix", [5], [5, 3]],
    ["dot", [9], [9]],
    ["k = 1", [4, 1], [1, 6]],
  ] as const)("matmul %s", async (_, sa, sb) => {
    await parity((a, b) => a.matmul(b), [rnd(...sa), rnd(...sb)], MATMUL);
  });

  it("matmul of transposed and sliced operands; linear with bias", async () => {
    await parity((a, b) => a.t().matmul(b.t()), [rnd(5, 7), rnd(3, 5)], MATMUL);
    await parity((a, b) => a.matmul(b), [rnd(4, 10).slice(1, 0, 10, 2), rnd(5, 3)], MATMUL);
    await parity((x, w, b) => linear(x, w, b), [rnd(6, 5), rnd(4, 5), rnd(4)], MATMUL);
    await parity((a, b) => a.int().matmul(b.int()), [rnd(3, 4).mul(5), rnd(4, 2).mul(5)]);
  });

  it("matmul gradients (transposed operands on the way back)", async () => {
    const a = rnd(6, 5);
    const b = rnd(5, 4);
    const [ac, bc] = [a.clone().requiresGrad_(), b.clone().requiresGrad_()];
    ac.matmul(bc).square().sum().backward();
    const [ag, bg] = [gpu(a).requiresGrad_(), gpu(b).requiresGrad_()];
    ag.matmul(bg).square().sum().backward();
    expect(await host(ag.grad!)).toBeAllclose(ac.grad!, { rtol: 1e-4, atol: 1e-5 });
    expect(await host(bg.grad!)).toBeAllclose(bc.grad!, { rtol: 1e-4, atol: 1e-5 });
  });

  it.each([0, 1, -1])("softmax and logSoftmax along dim %i, forward and backward", async (dim) => {
    const x = rnd(4, 6, 5).mul(4).transpose(0, 2);
    await parity((a) => a.softmax(dim), [x], LOOSE);
    await parity((a) => a.logSoftmax(dim), [x], LOOSE);
    for (const f of [(a: Tensor) => a.softmax(dim), (a: Tensor) => a.logSoftmax(dim)]) {
      const w = rnd(...x.shape);
      const xc = x.clone().requiresGrad_();
      f(xc).mul(w).sum().backward();
      const xg = gpu(x).requiresGrad_();
      f(xg).mul(gpu(w)).sum().backward();
      expect(await host(xg.grad!)).toBeAllclose(xc.grad!, { rtol: 1e-4, atol: 1e-5 });
    }
  });

  it.each(["none", "tanh"] as const)("gelu (approximate %s) and its gradient, including the lower tail", async (approximate) => {
    const x = rnd(5, 7).mul(4).add(tensor([-6, -3, 0, 0.5, 2, 3, 7], { device: "cpu" }));
    await parity((a) => gelu(a, approximate), [x], { rtol: 2e-5, atol: 1e-6 });
    const w = rnd(5, 7);
    const xc = x.clone().requiresGrad_();
    gelu(xc, approximate).mul(w).sum().backward();
    const xg = gpu(x).requiresGrad_();
    gelu(xg, approximate).mul(gpu(w)).sum().backward();
    expect(await host(xg.grad!)).toBeAllclose(xc.grad!, { rtol: 1e-4, atol: 1e-6 });
  });

  it("dropout keeps exactly the cpu's elements, scaled", async () => {
    const x = rnd(6, 9);
    const expected = dropout(x, 0.3, new Generator(5));
    const got = dropout(gpu(x), 0.3, new Generator(5));
    expect(await host(got)).toBeAllclose(expected, TOL);
  });

  it("binaryCrossEntropy and its gradient on strided probabilities and targets", async () => {
    const p = rnd(4, 5).sigmoid().t();
    const y = rnd(5, 4).gt(0).float();
    await parity((a, b) => binaryCrossEntropy(a, b), [p, y], LOOSE);
    const w = rnd(5, 4);
    const pc = p.clone().requiresGrad_();
    binaryCrossEntropy(pc, y).mul(w).sum().backward();
    const pg = gpu(p).requiresGrad_();
    binaryCrossEntropy(pg, gpu(y)).mul(gpu(w)).sum().backward();
    expect(await host(pg.grad!)).toBeAllclose(pc.grad!, { rtol: 1e-4, atol: 1e-6 });
  });

  it("add_ with alpha (fused: one pass, the product rounded first) on a broadcast operand", async () => {
    const base = rnd(4, 6);
    const x = rnd(6);
    const expected = base.clone().add_(x, -0.37);
    const got = gpu(base).add_(gpu(x), -0.37);
    expect(await host(got)).toBeAllclose(expected, TOL);
  });

  it.each([
    ["Adam", (ps: Tensor[]) => new optim.Adam(ps, { lr: 0.05 })],
    ["Adam with L2 weight decay, maximize", (ps: Tensor[]) => new optim.Adam(ps, { lr: 0.05, weightDecay: 0.1, maximize: true })],
    ["AdamW, β1 = 0.3 (lerp's upper form)", (ps: Tensor[]) => new optim.AdamW(ps, { lr: 0.05, betas: [0.3, 0.99] })],
  ] as const)("the fused %s step matches the cpu's op-by-op update", async (_, make) => {
    const p0 = rnd(3, 5);
    const grads = [rnd(3, 5), rnd(3, 5), rnd(3, 5)];
    const run = (device: string): Tensor => {
      const p = new Parameter(p0.to(device));
      const opt = make([p]);
      for (const g of grads) {
        p.grad = g.to(device);
        opt.step();
      }
      return p;
    };
    expect(await host(run("webgpu"))).toBeAllclose(run("cpu"), { rtol: 1e-5, atol: 1e-6 });
  });

  it.each([0, 1, 2])("cumsum and cumprod along dim %i of a permuted view, and int32 cumsum; cumsum's gradient", async (dim) => {
    const x = rnd(3, 4, 5).permute(1, 2, 0);
    await parity((a) => a.cumsum(dim), [x]);
    await parity((a) => a.mul(0.3).exp().cumprod(dim), [x], LOOSE);
    await parity((a) => a.mul(5).int().cumsum(dim), [x]);
    const w = rnd(...x.shape);
    const xc = x.clone().requiresGrad_();
    xc.cumsum(dim).mul(w).sum().backward();
    const xg = gpu(x).requiresGrad_();
    xg.cumsum(dim).mul(gpu(w)).sum().backward();
    expect(await host(xg.grad!)).toBeAllclose(xc.grad!, TOL);
  });

  /** Seeded int32 indices in [0, size) of `shape`, on the cpu. */
  const indices = (size: number, ...shape: number[]): Tensor => randint(0, size, shape, { device: "cpu", generator: gen });

  it("gather along each dim of a strided input, and its gradient (scatterAdd)", async () => {
    const x = rnd(5, 4, 6).transpose(0, 2); // [6, 4, 5]
    for (const [dim, index] of [[0, indices(6, 3, 4, 5)], [1, indices(4, 6, 2, 5)], [2, indices(5, 6, 4, 7)]] as const) {
      await parity((a, i) => a.gather(dim, i), [x, index]);
      const w = rnd(...index.shape);
      const xc = x.clone().requiresGrad_();
      xc.gather(dim, index).mul(w).sum().backward();
      const xg = gpu(x).requiresGrad_();
      xg.gather(dim, gpu(index)).mul(gpu(w)).sum().backward();
      expect(await host(xg.grad!)).toBeAllclose(xc.grad!, TOL);
    }
  });

  it("scatterAdd with repeated indices, an index smaller than src and base, int32 values", async () => {
    const base = rnd(4, 6);
    await parity((b, i, src) => b.scatterAdd(1, i, src), [base, indices(6, 3, 8), rnd(4, 9)]);
    await parity((b, i, src) => b.scatterAdd(0, i, src), [base.t(), indices(6, 5, 4), rnd(5, 4)]);
    await parity((b, i, src) => b.int().scatterAdd(1, i, src.int()), [base.mul(4), indices(6, 4, 6), rnd(4, 6).mul(4)]);
  });

  it("indexSelect rows and columns (repeated indices, strided input) and indexAdd with alpha", async () => {
    const x = rnd(7, 5).t(); // [5, 7]
    await parity((a, i) => a.indexSelect(0, i), [x, indices(5, 9)]);
    await parity((a, i) => a.indexSelect(1, i), [x, indices(7, 4)]);
    await parity((b, i, src) => b.indexAdd(0, i, src, { alpha: -0.5 }), [rnd(6, 3), indices(6, 10), rnd(10, 3)]);
    await parity((b, i, src) => b.indexAdd(1, i, src), [rnd(3, 6).t().t(), indices(6, 4), rnd(3, 4)]);
  });

  it("embedding forward and backward (indexSelect and indexAdd)", async () => {
    const weight = rnd(10, 4);
    const idx = indices(10, 3, 5);
    const w = rnd(3, 5, 4);
    const wc = weight.clone().requiresGrad_();
    const yc = embedding(idx, wc);
    yc.mul(w).sum().backward();
    const wg = gpu(weight).requiresGrad_();
    const yg = embedding(gpu(idx), wg);
    yg.mul(gpu(w)).sum().backward();
    expect(await host(yg)).toBeAllclose(yc, TOL);
    expect(await host(wg.grad!)).toBeAllclose(wc.grad!, TOL);
  });

  it("an index out of range on the GPU is an IndexError at the next read, naming the op (no host read before)", async () => {
    const x = gpu(rnd(3, 4));
    const bad = tensor([[0], [4], [1]], { dtype: "int32", device: "webgpu" });
    const y = x.gather(1, bad); // no error yet: checking would read the index on the host
    await expect(y.toArrayAsync()).rejects.toThrow(/webgpu: gather: an index was out of range/);
    await expect(y.toArrayAsync()).resolves.toBeDefined(); // the flag is cleared by the read that reported it
    const neg = tensor([-1], { dtype: "int32", device: "webgpu" });
    await expect(x.indexSelect(0, neg).sum().itemAsync()).rejects.toThrow(/webgpu: indexSelect: an index was out of range/);
    await expect(x.indexAdd(1, tensor([5], { dtype: "int32", device: "webgpu" }), gpu(rnd(3, 1))).toArrayAsync()).rejects.toThrow(/indexAdd/);
  });

  it("binaryCrossEntropy outside [0, 1] on the GPU is a ValueError at the next read (the range check runs in the kernel)", async () => {
    for (const [p, y] of [[[0.2, 1.5], [1, 0]], [[0.2, 0.5], [1, -0.1]], [[Number.NaN, 0.5], [1, 0]]]) {
      const loss = binaryCrossEntropy(tensor(p, { device: "webgpu" }), tensor(y, { device: "webgpu" })); // no host read
      await expect(loss.toArrayAsync()).rejects.toThrow(
        /webgpu: binaryCrossEntropy: all elements of input and target should be between 0 and 1 \(found on the GPU\)/,
      );
      await expect(loss.toArrayAsync()).resolves.toHaveLength(2); // the read that reported it cleared the flag
    }
    // in range, 0 and 1 included: no error
    await expect(binaryCrossEntropy(tensor([0, 1, 0.5], { device: "webgpu" }), tensor([0, 1, 1], { device: "webgpu" })).sum().itemAsync()).resolves.toBeCloseTo(Math.LN2, 5);
  });

  it("softmaxCrossEntropy and its one-kernel gradient against the cpu (large logits, a strided input made dense)", async () => {
    const x = rnd(7, 5).mul(30); // large logits: the row max must be subtracted
    const t = randint(0, 5, [7], { device: "cpu", generator: gen });
    await parity((a, b) => softmaxCrossEntropy(a, b), [x, t], LOOSE);
    const xt = rnd(5, 7).t(); // a transposed view: the op copies it dense first
    await parity((a, b) => softmaxCrossEntropy(a, b), [xt, t], LOOSE);
    const w = rnd(7);
    const xc = x.clone().requiresGrad_();
    softmaxCrossEntropy(xc, t).mul(w).sum().backward();
    const xg = gpu(x).requiresGrad_();
    softmaxCrossEntropy(xg, gpu(t)).mul(gpu(w)).sum().backward();
    expect(await host(xg.grad!)).toBeAllclose(xc.grad!, LOOSE);
    // hand values: one row [0, ln 3] with target 1 → log(1 + 3) − ln 3; gradient softmax − onehot = [1/4, 3/4 − 1]
    const h = tensor([[0, Math.log(3)]], { device: "webgpu", requiresGrad: true });
    const loss = softmaxCrossEntropy(h, tensor([1], { dtype: "int32", device: "webgpu" }));
    expect(await loss.itemAsync()).toBeCloseTo(Math.log(4) - Math.log(3), 6);
    loss.backward();
    expect(await host(h.grad!)).toBeAllclose([[0.25, -0.25]], TOL);
  });

  it("softmaxCrossEntropy with a target out of range is an IndexError at the next read, naming the op (no host read)", async () => {
    const x = gpu(rnd(3, 4));
    for (const bad of [[0, 4, 1], [-1, 0, 0]]) {
      const loss = softmaxCrossEntropy(x, tensor(bad, { dtype: "int32", device: "webgpu" })); // nothing read yet
      await expect(loss.sum().itemAsync()).rejects.toThrow(/webgpu: softmaxCrossEntropy: an index was out of range/);
      await expect(loss.toArrayAsync()).resolves.toHaveLength(3); // the read that reported it cleared the flag
    }
  });

  it.each([
    ["weight and bias, last dim", [5, 8], 1, true, true],
    ["weight only, last two dims of a strided view", [3, 4, 6], 2, true, false],
    ["bias only", [7, 16], 1, false, true],
    ["no affine, a constant row", [4, 5], 1, false, false],
  ] as const)("layerNorm with %s: forward, statistics and the one-kernel backward (dx, dweight, dbias) vs the cpu", async (_, shape, k, hasW, hasB) => {
    let x = rnd(...shape).mul(3).add(2);
    if (k === 2) x = rnd(shape[0], shape[2], shape[1]).transpose(1, 2); // not contiguous: the op copies it dense
    if (!hasW && !hasB) {
      x = x.clone();
      x.slice(0, 0, 1).fill_(1.5); // a constant row: variance 0, rstd 1/√eps
    }
    const tail = shape.slice(shape.length - k);
    const w = hasW ? rnd(...tail) : null;
    const b = hasB ? rnd(...tail) : null;
    const up = rnd(...shape);
    const run = async (device: "cpu" | "webgpu") => {
      const xi = x.clone().to(device).requiresGrad_();
      const wi = w === null ? null : w.clone().to(device).requiresGrad_();
      const bi = b === null ? null : b.clone().to(device).requiresGrad_();
      const y = layerNorm(xi, k, wi, bi);
      y.mul(up.to(device)).sum().backward();
      return [y, xi.grad, wi?.grad ?? null, bi?.grad ?? null];
    };
    const cpu = await run("cpu");
    const got = await run("webgpu");
    for (let i = 0; i < cpu.length; i++) {
      if (cpu[i] === null) expect(got[i]).toBeNull();
      else expect(await host(got[i]!)).toBeAllclose(cpu[i]!, { rtol: 1e-4, atol: 1e-5 });
    }
  });

  it("layerNorm by hand: [1, 2, 3] → [−1, 0, 1]·√(3/2) (eps 0), weight and bias applied", async () => {
    const y = layerNorm(tensor([[1, 2, 3]], { device: "webgpu" }), 1, tensor([2, 2, 2], { device: "webgpu" }), tensor([0, 1, 0], { device: "webgpu" }), 0);
    const s = Math.sqrt(1.5);
    expect(await host(y)).toBeAllclose([[-2 * s, 1, 2 * s]], TOL);
  });

  it("argmax and argmin: a NaN wins, as on the cpu (tested by its bits: WGSL may fold x != x to false)", async () => {
    for (const v of [[1, Number.NaN, 3, 2], [Number.NaN, 5], [4, 2, Number.NaN]]) {
      for (const op of ["argmax", "argmin"] as const) {
        expect(await tensor(v, { device: "webgpu" })[op](0).itemAsync()).toBe(tensor(v, { device: "cpu" })[op](0).item());
      }
    }
  });

  type Pool = [string, number | readonly [number, number], { stride?: number | readonly [number, number]; padding?: number | readonly [number, number]; dilation?: number; ceilMode?: boolean }];
  const POOLS: Pool[] = [
    ["2×2, stride 2", 2, {}],
    ["3×3, stride 1, padding 1 (overlapping windows)", 3, { stride: 1, padding: 1 }],
    ["3×2, stride [2, 1], dilation 2, ceil mode", [3, 2], { stride: [2, 1], dilation: 2, ceilMode: true }],
    ["2×3, stride [1, 2], padding [1, 1], ceil mode", [2, 3], { stride: [1, 2], padding: [1, 1], ceilMode: true }],
  ];

  it.each(POOLS)("maxPool2d %s on a strided input: values, indices and the gradient vs the cpu", async (_, k, options) => {
    const x = rnd(2, 3, 9, 8).transpose(2, 3).mul(2); // [2, 3, 8, 9], not contiguous
    const [vc, ic] = maxPool2d(x, k, { ...options, returnIndices: true });
    const [vg, ig] = maxPool2d(gpu(x), k, { ...options, returnIndices: true });
    expect(await host(vg)).toBeAllclose(vc, TOL);
    expect(await host(ig)).toEqual(ic.toArray());
    const up = rnd(...vc.shape);
    const xc = x.clone().requiresGrad_();
    maxPool2d(xc, k, options).mul(up).sum().backward();
    const xg = gpu(x).requiresGrad_();
    maxPool2d(xg, k, options).mul(gpu(up)).sum().backward();
    expect(await host(xg.grad!)).toBeAllclose(xc.grad!, TOL);
  });

  it("maxPool2d by hand: ties keep the first, a NaN wins, and a shared maximum gets both windows' gradients", async () => {
    const x = tensor([[[[1, 5, 5], [2, 0, Number.NaN], [4, 9, 3]]]], { device: "webgpu", requiresGrad: true });
    const [v, i] = maxPool2d(x, 2, { stride: 1, returnIndices: true });
    expect(await host(i)).toEqual([[[[1, 5], [7, 5]]]]);
    expect(await host(v)).toEqual([[[[5, Number.NaN], [9, Number.NaN]]]]);
    v.sum().backward(); // index 5 is the maximum of two windows: gradient 2 there
    expect(await host(x.grad!)).toEqual([[[[0, 1, 0], [0, 0, 2], [0, 1, 0]]]]);
  });

  it.each(POOLS.slice(0, 3))("unfold and fold (im2col, col2im) with %s vs the cpu, and fold's gradient", async (_, k, options) => {
    const o = { stride: options.stride ?? k, padding: options.padding ?? 0, dilation: options.dilation ?? 1 };
    const x = rnd(2, 3, 9, 8).transpose(2, 3); // [2, 3, 8, 9]
    await parity((a) => unfold(a, k, o), [x]);
    const cols = unfold(x, k, o);
    await parity((c) => fold(c, [8, 9], k, o), [cols]);
    const cc = cols.clone().requiresGrad_();
    const up = rnd(2, 3, 8, 9);
    fold(cc, [8, 9], k, o).mul(up).sum().backward();
    const cg = gpu(cols).requiresGrad_();
    fold(cg, [8, 9], k, o).mul(gpu(up)).sum().backward();
    expect(await host(cg.grad!)).toBeAllclose(cc.grad!, TOL);
  });

  it.each([
    ["3×3, padding 1, bias", 4, 6, 1, [3, 3], { padding: 1 }, true],
    ["2×3, stride 2, dilation [1, 2], no bias", 3, 5, 1, [2, 3], { stride: 2, dilation: [1, 2] }, false],
    ["groups 2, stride [1, 2], padding [2, 0], bias", 4, 6, 2, [3, 3], { stride: [1, 2], padding: [2, 0] }, true],
    ["depthwise (groups = C), 3×3", 3, 3, 3, [3, 3], { padding: 1 }, true],
  ] as const)("conv2d %s on strided inputs: output and its gradients (input, weight, bias) vs the cpu", async (_, c, o, groups, k, options, hasBias) => {
    const x = rnd(2, c, 9, 7).transpose(2, 3); // [2, c, 7, 9], not contiguous
    const w = rnd(o, c / groups, k[0], k[1]).mul(0.5);
    const b = hasBias ? rnd(o) : null;
    const run = (device: "cpu" | "webgpu") => {
      const xi = x.clone().to(device).requiresGrad_();
      const wi = w.clone().to(device).requiresGrad_();
      const bi = b === null ? null : b.clone().to(device).requiresGrad_();
      const y = conv2d(xi, wi, bi, { ...options, groups });
      return { y, xi, wi, bi };
    };
    const cpu = run("cpu");
    const got = run("webgpu");
    expect(got.y.shape).toEqual(cpu.y.shape);
    const up = rnd(...cpu.y.shape);
    cpu.y.mul(up).sum().backward();
    got.y.mul(gpu(up)).sum().backward();
    expect(await host(got.y)).toBeAllclose(cpu.y, MATMUL);
    expect(await host(got.xi.grad!)).toBeAllclose(cpu.xi.grad!, MATMUL);
    expect(await host(got.wi.grad!)).toBeAllclose(cpu.wi.grad!, MATMUL);
    if (b !== null) expect(await host(got.bi!.grad!)).toBeAllclose(cpu.bi!.grad!, MATMUL);
  });

  it("conv2d by hand: a 2×2 image with a 2×2 kernel of ones and bias 1 (padding 1 gives the 3×3 partial sums)", async () => {
    const x = tensor([[[[1, 2], [3, 4]]]], { device: "webgpu" });
    const w = tensor([[[[1, 1], [1, 1]]]], { device: "webgpu" });
    const y = conv2d(x, w, tensor([1], { device: "webgpu" }), { padding: 1 });
    expect(await host(y)).toEqual([[[[2, 4, 3], [5, 11, 7], [4, 8, 5]]]]);
  });

  /** f and its input gradients (through a random upstream weighting) on the cpu and on webgpu, compared. */
  async function gradParity(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], tol = LOOSE): Promise<void> {
    const cpuIn = inputs.map((t) => t.clone().requiresGrad_());
    const yc = f(...cpuIn);
    const up = rnd(...yc.shape);
    yc.mul(up).sum().backward();
    const gpuIn = inputs.map((t) => gpu(t).requiresGrad_());
    const yg = f(...gpuIn);
    yg.mul(gpu(up)).sum().backward();
    expect(await host(yg)).toBeAllclose(yc, tol);
    for (let i = 0; i < inputs.length; i++) expect(await host(gpuIn[i].grad!)).toBeAllclose(cpuIn[i].grad!, tol);
  }

  it.each([false, true])("attentionSoftmax (causal %s), scaled, over [B, heads, L, S] and its gradient vs the cpu", async (causal) => {
    await gradParity((x) => attentionSoftmax(x, 0.35, causal), [rnd(2, 3, 5, 5).mul(4)]);
    await gradParity((x) => attentionSoftmax(x, 1, causal), [rnd(4, 3, 7)]); // S > L
  });

  it("attentionSoftmax by hand: a causal row sees only the keys up to its query", async () => {
    const y = attentionSoftmax(tensor([[0, 5, 5], [0, Math.log(3), 9]], { device: "webgpu" }), 1, true);
    expect(await host(y)).toBeAllclose([[1, 0, 0], [0.25, 0.75, 0]], TOL);
  });

  it("lstmCell and gruCell on strided views, forward and gradients vs the cpu", async () => {
    await gradParity((g, c) => lstmCell(g, c), [rnd(12, 3).t().mul(2), rnd(3, 3).t()]); // gates [3, 12], c [3, 3] transposed views
    await gradParity((a, b, h) => gruCell(a, b, h), [rnd(3, 9).mul(2), rnd(9, 3).t(), rnd(3, 6).slice(1, 0, 6, 2)]);
  });

  it("lstmCell by hand: zero gates and c = 1 give c' = ½, h' = ½·tanh ½", async () => {
    const y = lstmCell(tensor([[0, 0, 0, 0]], { device: "webgpu" }), tensor([[1]], { device: "webgpu" }));
    expect(await host(y)).toBeAllclose([[[0.5 * Math.tanh(0.5)]], [[0.5]]], TOL);
  });

  it("float64 cannot go to the GPU, and says why", () => {
    expect(() => ones([2], { dtype: "float64", device: "webgpu" })).toThrow(/float64 tensors cannot live on the GPU \(WGSL has no f64\)/);
    expect(() => rnd(2).double().to("webgpu")).toThrow(/WGSL has no f64/);
  });

  it.each([0, 1, -1])("argsort, sort and topk along dim %i of a strided input, both directions, vs the cpu", async (dim) => {
    const x = rnd(6, 5, 4).permute(2, 0, 1).mul(3).round(); // rounded: many ties, which must keep their order
    for (const descending of [false, true]) {
      await parity((a) => a.argsort(dim, descending), [x]);
      const c = sort(x, dim, descending);
      const g = sort(gpu(x), dim, descending);
      expect(await host(g.values)).toEqual(c.values.toArray());
      expect(await host(g.indices)).toEqual(c.indices.toArray());
    }
    const c = topk(x, 2, dim);
    const g = topk(gpu(x), 2, dim);
    expect(await host(g.values)).toEqual(c.values.toArray());
    expect(await host(g.indices)).toEqual(c.indices.toArray());
  });

  it("argsort by hand: stable ties, NaN last ascending and first descending, int32 lanes", async () => {
    const x = tensor([3, Number.NaN, 1, 3, -2, 1], { device: "webgpu" });
    expect(await host(x.argsort(0))).toEqual([4, 2, 5, 0, 3, 1]);
    expect(await host(x.argsort(0, true))).toEqual([1, 0, 3, 2, 5, 4]);
    expect(await host(tensor([[5, -1, 5, 0]], { dtype: "int32", device: "webgpu" }).argsort(1))).toEqual([[1, 3, 0, 2]]);
  });
});
