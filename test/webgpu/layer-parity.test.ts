/**
 * nn's layers and losses on webgpu against the cpu oracle, in float32: each layer is built from a
 * seeded generator, copied (state dict) to a second instance moved to webgpu, fed the same
 * inputs, and backpropagated through Σ out·w with a random upstream weighting w. The outputs, the
 * gradients of every float input and of every parameter, and every buffer (BatchNorm's running
 * statistics) must agree. Layers that behave differently in training and in eval run in both
 * modes, in sequence on the same two instances (BatchNorm: eval uses the statistics training
 * updated). Sync reads throw on webgpu, so passing also proves that no layer reads the host.
 * The tables cover sizes past the kernels' tiles, non-contiguous inputs, saturated activations and
 * missing initial states; gradient penalties (double backward) differentiate the layers' recorded
 * backward passes on the device too. float64 is refused on webgpu by design (WGSL has no f64).
 */

import { expect, it } from "vitest";
import { Generator, grad, noGrad, rand, randint, randn, tensor, type Tensor } from "@tensorgrad/autograd";
import {
  AdaptiveAvgPool2d, AvgPool2d, BCELoss, BCEWithLogitsLoss, BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, ConvTranspose2d, CrossEntropyLoss, Dropout,
  Dropout2d, ELU, Embedding, Flatten, GELU, GRU, GRUCell, GroupNorm, HuberLoss, Identity, L1Loss, LSTM, LSTMCell, LayerNorm, LeakyReLU, Linear,
  LogSoftmax, MSELoss, MaxPool1d, MaxPool2d, Module, MultiheadAttention, NLLLoss, RMSNorm, RNN, RNNCell, ReLU, Sequential, SiLU, Sigmoid,
  SmoothL1Loss, Softmax, Softplus, Tanh, TransformerEncoder, TransformerEncoderLayer, Unflatten, generateSquareSubsequentMask, type AnyModule,
} from "@tensorgrad/nn";
import { describeGpu, host } from "./gpu.js";

const gen = new Generator(2026_0611);
/** Seeded standard normal samples on the cpu. */
const rnd = (...shape: number[]): Tensor => randn(shape, { device: "cpu", generator: gen });
/** Seeded int32 indices in [0, n) on the cpu. */
const ints = (n: number, ...shape: number[]): Tensor => randint(0, n, shape, { device: "cpu", generator: gen });

type Tol = { readonly rtol: number; readonly atol: number };
/** float32 against float32 on another device: sums of products in a different order. */
const TOL: Tol = { rtol: 1e-4, atol: 1e-5 };

/** A layer's result: a tensor, or nested lists of them (LSTM's [output, [h, c]]), or null (no weights). */
type Out = Tensor | null | readonly Out[];
type Mode = "train" | "eval";

interface LayerCase {
  readonly name: string;
  /** Builds the layer from `g` (on the default device; the harness moves it). */
  readonly make: (g: Generator) => AnyModule;
  /** The inputs, on the cpu; float ones get requiresGrad. */
  readonly inputs: () => Tensor[];
  /** Calls the layer (default: layer.call(...inputs)). */
  readonly run: (layer: AnyModule, xs: Tensor[]) => Out;
  /** Modes to run in, in order, on the same two instances (default: train). */
  readonly modes: readonly Mode[];
  readonly tol: Tol;
}

interface CaseOptions<M> {
  readonly run?: (layer: M, xs: Tensor[]) => Out;
  readonly modes?: readonly Mode[];
  readonly tol?: Tol;
}

/** A table row: the layer type erased so that every kind of layer fits one table. */
function layer<M extends Module<never[], unknown>>(name: string, make: (g: Generator) => M, inputs: () => Tensor[], options: CaseOptions<M> = {}): LayerCase {
  const call = (m: M, xs: Tensor[]): Out => (m as unknown as { call(...a: Tensor[]): Out }).call(...xs);
  const run = options.run ?? call;
  return { name, make, inputs, run: (m, xs) => run(m as unknown as M, xs), modes: options.modes ?? ["train"], tol: options.tol ?? TOL };
}

/** The tensors of a nested result, in order. */
function flat(out: Out): Tensor[] {
  if (out === null) return [];
  if (Array.isArray(out)) return out.flatMap((o: Out) => flat(o));
  return [out as Tensor];
}

/** Nudges every parameter, so that ones/zeros initializations (norm layers) are not special values. */
function jitter(model: AnyModule): void {
  noGrad(() => {
    for (const p of model.parameters()) p.add_(rnd(...p.shape).mul(0.1));
  });
}

/** The two layers a check compares: built from one seed, the cpu one jittered, its state copied into the webgpu one. */
function pair(c: LayerCase): [AnyModule, AnyModule] {
  const cpu = c.make(new Generator(77)).to("cpu");
  jitter(cpu);
  const gpu = c.make(new Generator(77)).to("cpu");
  gpu.loadStateDict(cpu.stateDict());
  return [cpu, gpu.to("webgpu")];
}

/** Every parameter's gradient on webgpu against the cpu's; each must have one unless `someUnused`, and then as on the cpu. */
async function expectParamGrads(cpu: AnyModule, gpu: AnyModule, tol: Tol, what: string, someUnused = false): Promise<void> {
  const gpuParams = new Map(gpu.namedParameters());
  for (const [name, p] of cpu.namedParameters()) {
    const q = gpuParams.get(name)!;
    if (someUnused && p.grad === null) expect(q.grad, `${what}: ${name} has no gradient, as on the cpu`).toBeNull();
    else {
      expect(p.grad, `${what}: the cpu gave ${name} a gradient`).not.toBeNull();
      expect(await host(q.grad!), `${what}: gradient of ${name}`).toBeAllclose(p.grad!, tol);
    }
  }
}

/** Runs `c` on the cpu and on webgpu in each of its modes and compares everything. */
async function layerParity(c: LayerCase): Promise<void> {
  const [cpu, gpu] = pair(c);
  for (const mode of c.modes) {
    for (const m of [cpu, gpu]) {
      m.train(mode === "train");
      m.zeroGrad();
    }
    const xs = c.inputs();
    const xc = xs.map((x) => (x.isFloatingPoint() ? x.clone().requiresGrad_() : x)); // clone: cpu's to("cpu") is x itself
    const xg = xs.map((x) => (x.isFloatingPoint() ? x.to("webgpu").requiresGrad_() : x.to("webgpu")));
    const oc = flat(c.run(cpu, xc));
    const og = flat(c.run(gpu, xg));
    expect(og.length).toBe(oc.length);
    // Σ out·w over every differentiable output, w random
    const ws = oc.map((o) => (o.requiresGrad ? rnd(...o.shape) : null));
    const loss = (outs: Tensor[], device: string): Tensor | null =>
      outs.reduce<Tensor | null>((acc, o, i) => {
        const w = ws[i];
        if (w === null) return acc;
        const term = o.mul(w.to(device)).sum();
        return acc === null ? term : acc.add(term);
      }, null);
    loss(oc, "cpu")?.backward();
    loss(og, "webgpu")?.backward();
    const tol = c.tol;
    for (let i = 0; i < oc.length; i++) {
      expect(og[i].shape, `${mode}: output ${i} shape`).toEqual(oc[i].shape);
      expect(og[i].dtype, `${mode}: output ${i} dtype`).toBe(oc[i].dtype);
      expect(await host(og[i]), `${mode}: output ${i}`).toBeAllclose(oc[i], tol);
    }
    for (let i = 0; i < xc.length; i++) {
      if (!xs[i].isFloatingPoint()) continue;
      expect(xc[i].grad, `${mode}: the cpu gave input ${i} a gradient`).not.toBeNull();
      expect(await host(xg[i].grad!), `${mode}: gradient of input ${i}`).toBeAllclose(xc[i].grad!, tol);
    }
    await expectParamGrads(cpu, gpu, tol, mode);
    const gpuBuffers = new Map(gpu.namedBuffers());
    for (const [name, b] of cpu.namedBuffers()) expect(await host(gpuBuffers.get(name)!), `${mode}: buffer ${name}`).toBeAllclose(b, tol);
  }
}

/**
 * A gradient penalty (WGAN-GP's) through the layer, in training mode: P = |∂(Σ out·w)/∂x|² for
 * the first input x and the first output, then P.backward(), which differentiates the layer's
 * backward pass (recorded with createGraph). P and every parameter's gradient are compared.
 */
async function penaltyParity(c: LayerCase): Promise<void> {
  const [cpu, gpu] = pair(c);
  const [x] = c.inputs();
  let w: Tensor | null = null;
  const penalty = (m: AnyModule, device: string): Tensor => {
    const xd = (device === "cpu" ? x.clone() : x.to(device)).requiresGrad_();
    const out = flat(c.run(m, [xd]))[0];
    w ??= rnd(...out.shape);
    const [gx] = grad([out.mul(w.to(device)).sum()], [xd], { createGraph: true }) as Tensor[];
    const p = gx.square().sum();
    p.backward();
    return p;
  };
  const pc = penalty(cpu, "cpu");
  expect(await host(penalty(gpu, "webgpu")), "the penalty").toBeAllclose(pc, c.tol);
  await expectParamGrads(cpu, gpu, c.tol, "penalty", true); // a last bias does not change ∂out/∂x
}

/** Runs each row of a table as its own test. */
function table(title: string, cases: LayerCase[]): void {
  it.each(cases.map((c) => [c.name, c] as const))(`${title}: %s`, async (_, c) => layerParity(c));
}

const BOTH: readonly Mode[] = ["train", "eval"];

describeGpu("nn layers on webgpu vs the cpu oracle: outputs, input and parameter gradients, buffers", () => {
  table("linear", [
    layer("Linear", (g) => new Linear(5, 4, { generator: g }), () => [rnd(3, 5)]),
    layer("Linear without bias on [2, 3, 5]", (g) => new Linear(5, 4, { bias: false, generator: g }), () => [rnd(2, 3, 5)]),
    layer("Identity", () => new Identity(), () => [rnd(2, 3)]),
  ]);

  table("convolution", [
    layer("Conv1d stride 2, padding 1, dilation 2, groups 2", (g) => new Conv1d(4, 6, 3, { stride: 2, padding: 1, dilation: 2, groups: 2, generator: g }), () => [rnd(2, 4, 11)]),
    layer("Conv1d padding same, reflect, no bias", (g) => new Conv1d(3, 4, 4, { padding: "same", paddingMode: "reflect", bias: false, generator: g }), () => [rnd(2, 3, 9)]),
    layer("Conv1d unbatched [C, L]", (g) => new Conv1d(2, 3, 2, { generator: g }), () => [rnd(2, 6)]),
    layer("Conv2d plain", (g) => new Conv2d(3, 4, 3, { generator: g }), () => [rnd(2, 3, 7, 6)]),
    layer(
      "Conv2d stride [2, 1], padding [1, 2], dilation [1, 2], groups 2",
      (g) => new Conv2d(4, 6, [3, 2], { stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 2, generator: g }),
      () => [rnd(2, 4, 8, 7)],
    ),
    layer("Conv2d depthwise (groups = in), no bias", (g) => new Conv2d(4, 8, 3, { groups: 4, padding: 1, bias: false, generator: g }), () => [rnd(2, 4, 5, 5)]),
    layer("Conv2d padding same, circular", (g) => new Conv2d(2, 3, [3, 2], { padding: "same", paddingMode: "circular", generator: g }), () => [rnd(1, 2, 5, 6)]),
    layer("Conv2d padding 1, replicate, stride 3", (g) => new Conv2d(2, 3, 2, { padding: 1, paddingMode: "replicate", stride: 3, generator: g }), () => [rnd(2, 2, 7, 8)]),
    layer(
      "ConvTranspose2d stride 2, padding 1, outputPadding 1, groups 2",
      (g) => new ConvTranspose2d(4, 6, 3, { stride: 2, padding: 1, outputPadding: 1, groups: 2, generator: g }),
      () => [rnd(2, 4, 4, 5)],
    ),
    layer("ConvTranspose2d [2, 3] kernel, stride [1, 2], dilation 2, no bias", (g) => new ConvTranspose2d(3, 2, [2, 3], { stride: [1, 2], dilation: 2, bias: false, generator: g }), () => [rnd(2, 3, 3, 4)]),
    layer("ConvTranspose2d with an outputSize", (g) => new ConvTranspose2d(2, 3, 3, { stride: 2, generator: g }), () => [rnd(1, 2, 3, 3)], {
      run: (m, [x]) => m.forward(x, [8, 8]),
    }),
  ]);

  table("pooling", [
    layer("MaxPool1d 3, stride 2, padding 1", () => new MaxPool1d(3, { stride: 2, padding: 1 }), () => [rnd(2, 3, 10)]),
    layer("MaxPool1d dilation 2, ceilMode, returnIndices", () => new MaxPool1d(2, { dilation: 2, ceilMode: true, returnIndices: true }), () => [rnd(2, 3, 9)]),
    layer("MaxPool2d 2", () => new MaxPool2d(2), () => [rnd(2, 3, 6, 6)]),
    layer("MaxPool2d 3, stride 2, padding 1, dilation [1, 2], ceilMode, returnIndices", () => new MaxPool2d(3, { stride: 2, padding: 1, dilation: [1, 2], ceilMode: true, returnIndices: true }), () => [rnd(2, 2, 7, 9)]),
    layer("MaxPool2d overlapping windows (stride 1): one input feeds several maxima", () => new MaxPool2d([2, 3], { stride: 1 }), () => [rnd(1, 2, 5, 6)]),
    layer("AvgPool2d 2", () => new AvgPool2d(2), () => [rnd(2, 3, 6, 5)]),
    layer("AvgPool2d 3, stride 2, padding 1, ceilMode, countIncludePad false", () => new AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), () => [rnd(2, 2, 8, 7)]),
    layer("AvgPool2d [2, 3], divisorOverride 4, unbatched", () => new AvgPool2d([2, 3], { stride: [1, 2], divisorOverride: 4 }), () => [rnd(3, 5, 7)]),
    layer("AdaptiveAvgPool2d [3, null] (uneven bins)", () => new AdaptiveAvgPool2d([3, null]), () => [rnd(2, 3, 7, 5)]),
    layer("AdaptiveAvgPool2d 1 (global average)", () => new AdaptiveAvgPool2d(1), () => [rnd(2, 4, 5, 6)]),
    layer("AdaptiveAvgPool2d [4, 3] from 5 x 7", () => new AdaptiveAvgPool2d([4, 3]), () => [rnd(1, 2, 5, 7)]),
  ]);

  table("normalization", [
    layer("BatchNorm1d on [N, C]", () => new BatchNorm1d(4), () => [rnd(6, 4).mul(2).add(1)], { modes: BOTH }),
    layer("BatchNorm1d on [N, C, L], momentum 0.3", () => new BatchNorm1d(3, { momentum: 0.3 }), () => [rnd(4, 3, 5).add(0.5)], { modes: ["train", "train", "eval"] }),
    layer("BatchNorm1d without affine", () => new BatchNorm1d(3, { affine: false }), () => [rnd(5, 3)], { modes: BOTH }),
    layer("BatchNorm1d without running stats (eval uses the batch)", () => new BatchNorm1d(3, { trackRunningStats: false }), () => [rnd(5, 3, 2)], { modes: BOTH }),
    layer("BatchNorm2d", () => new BatchNorm2d(3), () => [rnd(2, 3, 4, 5).mul(3).sub(1)], { modes: ["train", "train", "eval"] }),
    layer("BatchNorm2d momentum null (cumulative average)", () => new BatchNorm2d(2, { momentum: null }), () => [rnd(3, 2, 3, 3)], { modes: ["train", "train", "eval"] }),
    layer("LayerNorm over the last dim", () => new LayerNorm(5), () => [rnd(3, 4, 5).mul(2)]),
    layer("LayerNorm over [4, 5] without affine", () => new LayerNorm([4, 5], { elementwiseAffine: false }), () => [rnd(2, 4, 5)]),
    layer("LayerNorm without bias, eps 1e-3", () => new LayerNorm(6, { bias: false, eps: 1e-3 }), () => [rnd(4, 6)]),
    layer("GroupNorm 2 groups of 3 channels", () => new GroupNorm(2, 6), () => [rnd(2, 6, 3, 3).add(1)]),
    layer("GroupNorm without affine on [N, C, L]", () => new GroupNorm(3, 6, { affine: false }), () => [rnd(2, 6, 5)]),
    layer("GroupNorm 1 group (layer norm over C, H, W)", () => new GroupNorm(1, 4), () => [rnd(3, 4, 2, 2)]),
    layer("RMSNorm over the last dim", () => new RMSNorm(4), () => [rnd(3, 4)]),
    layer("RMSNorm over [3, 4], eps 1e-3, no affine", () => new RMSNorm([3, 4], { eps: 1e-3, elementwiseAffine: false }), () => [rnd(2, 3, 4)]),
  ]);

  table("embedding and dropout", [
    layer("Embedding with repeated indices", (g) => new Embedding(10, 4, { generator: g }), () => [tensor([[1, 5, 1, 9], [0, 1, 7, 7]], { dtype: "int32", device: "cpu" })]),
    layer("Embedding with paddingIdx 2 (no gradient to that row)", (g) => new Embedding(6, 3, { paddingIdx: 2, generator: g }), () => [tensor([[2, 5, 2], [0, 2, 3]], { dtype: "int32", device: "cpu" })]),
    layer("Embedding with paddingIdx -1, random indices", (g) => new Embedding(7, 5, { paddingIdx: -1, generator: g }), () => [ints(7, 3, 8)]),
    layer("Embedding.fromPretrained, trainable, paddingIdx 1", () => Embedding.fromPretrained(rnd(6, 3), { freeze: false, paddingIdx: 1 }), () => [tensor([[1, 4], [0, 1]], { dtype: "int32", device: "cpu" })]),
    layer("Dropout 0.3: eval is the identity; training masks from the layer's generator", (g) => new Dropout(0.3, { generator: g }), () => [rnd(4, 6)], { modes: ["eval", "train", "train"] }),
    layer("Dropout2d 0.5", (g) => new Dropout2d(0.5, { generator: g }), () => [rnd(2, 5, 3, 3)], { modes: ["eval", "train"] }),
    layer("Flatten", () => new Flatten(), () => [rnd(2, 3, 4)]),
    layer("Flatten(1, 2) of a 4-d input", () => new Flatten(1, 2), () => [rnd(2, 3, 2, 2)]),
    layer("Unflatten(1, [2, -1])", () => new Unflatten(1, [2, -1]), () => [rnd(3, 6, 2)]),
  ]);

  table("activations", [
    layer("ReLU", () => new ReLU(), () => [rnd(4, 5)]),
    layer("LeakyReLU 0.2", () => new LeakyReLU(0.2), () => [rnd(4, 5)]),
    layer("Sigmoid", () => new Sigmoid(), () => [rnd(4, 5).mul(4)]),
    layer("Tanh", () => new Tanh(), () => [rnd(4, 5).mul(2)]),
    layer("GELU (erf)", () => new GELU(), () => [rnd(4, 5).mul(2)]),
    layer("GELU (tanh approximation)", () => new GELU({ approximate: "tanh" }), () => [rnd(4, 5).mul(2)]),
    layer("SiLU", () => new SiLU(), () => [rnd(4, 5).mul(3)]),
    layer("Softplus beta 2, threshold 5 (both sides of the threshold)", () => new Softplus(2, 5), () => [rnd(4, 5).mul(3)]),
    layer("ELU 0.7", () => new ELU(0.7), () => [rnd(4, 5).mul(2)]),
    layer("Softmax dim 1", () => new Softmax(1), () => [rnd(3, 5, 2).mul(3)]),
    layer("Softmax dim -1", () => new Softmax(-1), () => [rnd(3, 7).mul(3)]),
    layer("LogSoftmax dim 0", () => new LogSoftmax(0), () => [rnd(6, 3).mul(3)]),
  ]);

  // Saturated and special inputs, where exp overflows or underflows and 1 − x cancels.
  const extremes = (): Tensor[] => [tensor([[-100, -30, -10, -3, -1e-3, 0], [1e-3, 0.5, 3, 10, 30, 100]], { device: "cpu" })];
  table("activations at extreme inputs", [
    layer("ReLU (0 included)", () => new ReLU(), extremes),
    layer("LeakyReLU", () => new LeakyReLU(0.1), extremes),
    layer("Sigmoid", () => new Sigmoid(), extremes),
    layer("Tanh", () => new Tanh(), extremes),
    layer("GELU (erf)", () => new GELU(), extremes),
    layer("GELU (tanh)", () => new GELU({ approximate: "tanh" }), extremes),
    layer("SiLU", () => new SiLU(), extremes),
    layer("Softplus", () => new Softplus(), extremes),
    layer("Softplus beta 0.5", () => new Softplus(0.5, 10), extremes),
    layer("ELU", () => new ELU(), extremes),
    layer("Softmax", () => new Softmax(1), extremes),
    layer("LogSoftmax", () => new LogSoftmax(1), extremes),
    layer("Softmax with -inf (masked) entries", () => new Softmax(1), () => [tensor([[-Infinity, 1, 2], [3, -Infinity, -Infinity]], { device: "cpu" })]),
    layer("LogSoftmax of large values", () => new LogSoftmax(0), () => [tensor([[1e4, -1e4], [1e4 + 1, -1e4 - 2]], { device: "cpu" })]),
  ]);

  table("recurrent", [
    layer("RNN relu, 2 layers, bidirectional, batchFirst, with h0", (g) => new RNN(4, 5, { numLayers: 2, nonlinearity: "relu", bidirectional: true, batchFirst: true, generator: g }), () => [rnd(3, 6, 4), rnd(4, 3, 5)], {
      run: (m, [x, h0]) => m.call(x, h0),
    }),
    layer("RNN tanh, unbatched, no bias", (g) => new RNN(3, 4, { bias: false, generator: g }), () => [rnd(5, 3)]),
    layer("LSTM 2 layers, bidirectional, batchFirst, with [h0, c0]", (g) => new LSTM(4, 5, { numLayers: 2, bidirectional: true, batchFirst: true, generator: g }), () => [rnd(2, 6, 4), rnd(4, 2, 5), rnd(4, 2, 5)], {
      run: (m, [x, h0, c0]) => m.call(x, [h0, c0]),
    }),
    layer("LSTM with projSize 3, 2 layers", (g) => new LSTM(3, 5, { numLayers: 2, projSize: 3, generator: g }), () => [rnd(4, 2, 3), rnd(2, 2, 3), rnd(2, 2, 5)], {
      run: (m, [x, h0, c0]) => m.call(x, [h0, c0]),
    }),
    layer("LSTM 2 layers with dropout 0.4 between them (masks from the layer's generator)", (g) => new LSTM(3, 4, { numLayers: 2, dropout: 0.4, generator: g }), () => [rnd(5, 2, 3)], { modes: BOTH }),
    layer("GRU 2 layers, bidirectional, with h0", (g) => new GRU(4, 5, { numLayers: 2, bidirectional: true, generator: g }), () => [rnd(6, 3, 4), rnd(4, 3, 5)], {
      run: (m, [x, h0]) => m.call(x, h0),
    }),
    layer("GRU batchFirst, no bias", (g) => new GRU(3, 4, { batchFirst: true, bias: false, generator: g }), () => [rnd(2, 5, 3)]),
    // without initial states: the zeros they start from are made on the input's device
    layer("RNN without h0", (g) => new RNN(3, 4, { generator: g }), () => [rnd(4, 2, 3)]),
    layer("LSTM without [h0, c0]", (g) => new LSTM(3, 4, { generator: g }), () => [rnd(4, 2, 3)]),
    layer("GRU without h0", (g) => new GRU(3, 4, { generator: g }), () => [rnd(4, 2, 3)]),
    layer("RNNCell without hx", (g) => new RNNCell(3, 4, { generator: g }), () => [rnd(5, 3)]),
    layer("LSTMCell without [h, c]", (g) => new LSTMCell(3, 4, { generator: g }), () => [rnd(5, 3)]),
    layer("GRUCell without hx, unbatched", (g) => new GRUCell(3, 4, { generator: g }), () => [rnd(3)]),
    layer("RNNCell with hx", (g) => new RNNCell(3, 4, { generator: g }), () => [rnd(5, 3), rnd(5, 4)], { run: (m, [x, h]) => m.call(x, h) }),
    layer("LSTMCell with [h, c]", (g) => new LSTMCell(3, 4, { generator: g }), () => [rnd(5, 3), rnd(5, 4), rnd(5, 4)], { run: (m, [x, h, c]) => m.call(x, [h, c]) }),
    layer("GRUCell with hx", (g) => new GRUCell(3, 4, { generator: g }), () => [rnd(5, 3), rnd(5, 4)], { run: (m, [x, h]) => m.call(x, h) }),
  ]);

  const padding = tensor([[false, false, false, true, true], [false, false, false, false, true]], { device: "cpu" });
  table("attention", [
    layer("MultiheadAttention self-attention with weights", (g) => new MultiheadAttention(8, 2, { generator: g }), () => [rnd(5, 2, 8)], { run: (m, [x]) => m.call(x, x, x) }),
    layer(
      "MultiheadAttention kdim/vdim, addBiasKv, addZeroAttn, batchFirst, key padding mask, per-head weights",
      (g) => new MultiheadAttention(6, 3, { kdim: 4, vdim: 5, addBiasKv: true, addZeroAttn: true, batchFirst: true, generator: g }),
      () => [rnd(2, 3, 6), rnd(2, 5, 4), rnd(2, 5, 5)],
      { run: (m, [q, k, v]) => m.call(q, k, v, { keyPaddingMask: padding.to(q.device), averageAttnWeights: false }) },
    ),
    layer("MultiheadAttention causal, float attnMask, no weights", (g) => new MultiheadAttention(4, 1, { generator: g }), () => [rnd(4, 3, 4), rnd(4, 3, 4)], {
      run: (m, [q, kv]) => m.call(q, kv, kv, { attnMask: generateSquareSubsequentMask(4, { device: q.device }), needWeights: false }),
    }),
    layer("TransformerEncoderLayer post-norm, relu", (g) => new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, generator: g }), () => [rnd(5, 2, 8)]),
    layer(
      "TransformerEncoderLayer pre-norm, gelu, batchFirst, key padding mask",
      (g) => new TransformerEncoderLayer(8, 4, { dimFeedforward: 12, dropout: 0, activation: "gelu", normFirst: true, batchFirst: true, generator: g }),
      () => [rnd(2, 5, 8)],
      { run: (m, [x]) => m.call(x, { srcKeyPaddingMask: padding.to(x.device) }) },
    ),
    layer("TransformerEncoderLayer with dropout 0.2 (eval, then training with the layer's generator)", (g) => new TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0.2, generator: g }), () => [rnd(3, 2, 4)], {
      modes: ["eval", "train"],
    }),
    layer(
      "TransformerEncoder of 2 layers, causal, final LayerNorm",
      (g) => new TransformerEncoder(new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, generator: g }), 2, { norm: new LayerNorm(8) }),
      () => [rnd(4, 2, 8)],
      { run: (m, [x]) => m.call(x, { isCausal: true }) },
    ),
    layer(
      "TransformerEncoder with a bool [L, L] mask and a float key padding mask",
      (g) => new TransformerEncoder(new TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0, normFirst: true, generator: g }), 2),
      () => [rnd(4, 2, 4)],
      {
        run: (m, [x]) => {
          const mask = tensor([[false, true, false, true], [false, false, true, true], [true, false, false, false], [false, false, false, false]], { device: x.device });
          const keyPadding = tensor([[0, 0, -1, -Infinity], [0, 0.5, 0, 0]], { device: x.device });
          return m.call(x, { mask, srcKeyPaddingMask: keyPadding });
        },
      },
    ),
  ]);

  table("sequential models", [
    layer(
      "a small CNN: Conv2d, BatchNorm2d, ReLU, MaxPool2d, Conv2d, AdaptiveAvgPool2d, Flatten, Linear",
      (g) => new Sequential(
        new Conv2d(2, 4, 3, { padding: 1, generator: g }), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
        new Conv2d(4, 6, 3, { generator: g }), new AdaptiveAvgPool2d(1), new Flatten(), new Linear(6, 3, { generator: g }),
      ),
      () => [rnd(3, 2, 8, 8)],
      { modes: BOTH },
    ),
    layer(
      "a small MLP: Linear, Tanh, Linear, GELU, Dropout, Linear, LogSoftmax",
      (g) => new Sequential(new Linear(6, 16, { generator: g }), new Tanh(), new Linear(16, 16, { generator: g }), new GELU(), new Dropout(0.25, { generator: g }), new Linear(16, 3, { generator: g }), new LogSoftmax(1)),
      () => [rnd(5, 6)],
      { modes: BOTH },
    ),
  ]);

  const probabilities = (...shape: number[]): Tensor => rand(shape, { device: "cpu", generator: gen }).mul(0.98).add(0.01);
  table("losses (input and target gradients; class weights are buffers, moved with the module)", [
    ...(["mean", "sum", "none"] as const).flatMap((reduction) => [
      layer(`MSELoss ${reduction}`, () => new MSELoss({ reduction }), () => [rnd(4, 5), rnd(4, 5)]),
      layer(`L1Loss ${reduction}`, () => new L1Loss({ reduction }), () => [rnd(4, 5), rnd(4, 5)]),
      layer(`SmoothL1Loss beta 0.5 ${reduction}`, () => new SmoothL1Loss({ reduction, beta: 0.5 }), () => [rnd(4, 5), rnd(4, 5)]),
      layer(`HuberLoss delta 0.7 ${reduction}`, () => new HuberLoss({ reduction, delta: 0.7 }), () => [rnd(4, 5), rnd(4, 5)]),
      layer(`BCELoss with weight ${reduction}`, () => new BCELoss({ reduction, weight: rnd(5).abs() }), () => [probabilities(4, 5), probabilities(4, 5)]),
      layer(`BCEWithLogitsLoss with weight and posWeight ${reduction}`, () => new BCEWithLogitsLoss({ reduction, weight: rnd(4, 1).abs(), posWeight: rnd(5).abs() }), () => [rnd(4, 5).mul(3), probabilities(4, 5)]),
    ]),
    layer("SmoothL1Loss beta 0 (l1)", () => new SmoothL1Loss({ beta: 0 }), () => [rnd(3, 4), rnd(3, 4)]),
    layer("BCELoss", () => new BCELoss(), () => [probabilities(6), probabilities(6).round()]),
    layer("CrossEntropyLoss with class weights and label smoothing", () => new CrossEntropyLoss({ weight: rnd(4).abs().add(0.1), labelSmoothing: 0.1 }), () => [rnd(6, 4), ints(4, 6)]),
    layer("CrossEntropyLoss with class probabilities (the target's gradient too)", () => new CrossEntropyLoss({ labelSmoothing: 0.05 }), () => [rnd(5, 4), rnd(5, 4).softmax(1)]),
    layer("NLLLoss with class weights, sum", () => new NLLLoss({ weight: rnd(3).abs().add(0.1), reduction: "sum" }), () => [rnd(5, 3).logSoftmax(1), ints(3, 5)]),
  ]);

  // Sizes past the kernels' tiles and workgroups (matmul's 16 × 16 tiles, 64 threads a group), not multiples of them.
  table("larger sizes", [
    layer("Linear 40 → 33 on 37 rows", (g) => new Linear(40, 33, { generator: g }), () => [rnd(37, 40)]),
    layer("Conv2d 8 → 12, 3 x 3, padding 1 on 2 x 8 x 13 x 11", (g) => new Conv2d(8, 12, 3, { padding: 1, generator: g }), () => [rnd(2, 8, 13, 11)]),
    layer("ConvTranspose2d 6 → 5, 4 x 4, stride 2 on 2 x 6 x 9 x 7", (g) => new ConvTranspose2d(6, 5, 4, { stride: 2, padding: 1, generator: g }), () => [rnd(2, 6, 9, 7)]),
    layer("BatchNorm2d over 2 x 5 x 17 x 15", () => new BatchNorm2d(5), () => [rnd(2, 5, 17, 15).add(2)], { modes: BOTH }),
    layer("LayerNorm over 300", () => new LayerNorm(300), () => [rnd(5, 300).mul(3).add(1)]),
    layer("GroupNorm 4 groups over 2 x 8 x 12 x 12", () => new GroupNorm(4, 8), () => [rnd(2, 8, 12, 12)]),
    layer("Softmax over 300", () => new Softmax(-1), () => [rnd(4, 300).mul(4)]),
    layer("MaxPool2d 3, stride 2 on 2 x 3 x 21 x 19", () => new MaxPool2d(3, { stride: 2 }), () => [rnd(2, 3, 21, 19)]),
    layer("AvgPool2d 4 on 2 x 3 x 20 x 18", () => new AvgPool2d(4, { stride: 3, padding: 1 }), () => [rnd(2, 3, 20, 18)]),
    layer("Embedding 500 x 24 looked up 130 times", (g) => new Embedding(500, 24, { paddingIdx: 0, generator: g }), () => [ints(500, 10, 13)]),
    layer("LSTM 20 → 24 (96 gate rows), 9 steps, batch 17", (g) => new LSTM(20, 24, { generator: g }), () => [rnd(9, 17, 20)]),
    layer("GRU 20 → 24, 9 steps, batch 17, bidirectional", (g) => new GRU(20, 24, { bidirectional: true, generator: g }), () => [rnd(9, 17, 20)]),
    layer("TransformerEncoderLayer d 32, 4 heads, 19 tokens", (g) => new TransformerEncoderLayer(32, 4, { dimFeedforward: 48, dropout: 0, batchFirst: true, generator: g }), () => [rnd(3, 19, 32)]),
  ]);

  table("unbatched inputs", [
    layer("Conv2d on [C, H, W]", (g) => new Conv2d(2, 3, 3, { generator: g }), () => [rnd(2, 5, 6)]),
    layer("ConvTranspose2d on [C, H, W]", (g) => new ConvTranspose2d(2, 3, 3, { stride: 2, generator: g }), () => [rnd(2, 3, 4)]),
    layer("MaxPool2d on [C, H, W]", () => new MaxPool2d(2), () => [rnd(3, 4, 6)]),
    layer("AdaptiveAvgPool2d on [C, H, W]", () => new AdaptiveAvgPool2d([2, 3]), () => [rnd(3, 5, 7)]),
    layer("LSTM on [T, F] with [h0, c0] of [L, H]", (g) => new LSTM(3, 4, { numLayers: 2, generator: g }), () => [rnd(5, 3), rnd(2, 4), rnd(2, 4)], {
      run: (m, [x, h0, c0]) => m.call(x, [h0, c0]),
    }),
    layer("MultiheadAttention on [L, E]", (g) => new MultiheadAttention(4, 2, { generator: g }), () => [rnd(3, 4), rnd(5, 4), rnd(5, 4)], { run: (m, [q, k, v]) => m.call(q, k, v) }),
  ]);

  // Views made from the leaf inside the call, so the layer meets strides and the gradient flows back through the view.
  table("non-contiguous inputs (transposed, stepped, expanded views)", [
    layer("Linear on a transposed input", (g) => new Linear(5, 3, { generator: g }), () => [rnd(5, 4)], { run: (m, [x]) => m.call(x.t()) }),
    layer("Linear on an expanded input (stride 0)", (g) => new Linear(5, 3, { generator: g }), () => [rnd(1, 5)], { run: (m, [x]) => m.call(x.expand(4, 5)) }),
    layer("Conv2d on a channels-last view", (g) => new Conv2d(3, 4, 3, { padding: 1, generator: g }), () => [rnd(2, 5, 6, 3)], { run: (m, [x]) => m.call(x.permute(0, 3, 1, 2)) }),
    layer("Conv1d on a stepped slice", (g) => new Conv1d(2, 3, 3, { generator: g }), () => [rnd(2, 2, 14)], { run: (m, [x]) => m.call(x.slice(2, 1, 14, 2)) }),
    layer("ConvTranspose2d on a transposed view", (g) => new ConvTranspose2d(3, 2, 3, { stride: 2, generator: g }), () => [rnd(2, 3, 5, 4)], { run: (m, [x]) => m.call(x.transpose(2, 3)) }),
    layer("MaxPool2d on a channels-last view", () => new MaxPool2d(2), () => [rnd(2, 6, 4, 3)], { run: (m, [x]) => m.call(x.permute(0, 3, 1, 2)) }),
    layer("AvgPool2d on a transposed view", () => new AvgPool2d(2, { stride: 1 }), () => [rnd(2, 3, 5, 4)], { run: (m, [x]) => m.call(x.transpose(2, 3)) }),
    layer("AdaptiveAvgPool2d on a channels-last view", () => new AdaptiveAvgPool2d([2, 3]), () => [rnd(2, 5, 7, 3)], { run: (m, [x]) => m.call(x.permute(0, 3, 1, 2)) }),
    layer("BatchNorm2d on a channels-last view", () => new BatchNorm2d(3), () => [rnd(2, 4, 5, 3)], { run: (m, [x]) => m.call(x.permute(0, 3, 1, 2)), modes: BOTH }),
    layer("BatchNorm1d on a transposed [N, C, L] view", () => new BatchNorm1d(4), () => [rnd(3, 5, 4)], { run: (m, [x]) => m.call(x.transpose(1, 2)), modes: BOTH }),
    layer("LayerNorm on a transposed view", () => new LayerNorm(4), () => [rnd(2, 4, 3)], { run: (m, [x]) => m.call(x.transpose(1, 2)) }),
    layer("GroupNorm on a channels-last view", () => new GroupNorm(2, 4), () => [rnd(2, 3, 3, 4)], { run: (m, [x]) => m.call(x.permute(0, 3, 1, 2)) }),
    layer("RMSNorm on a stepped slice", () => new RMSNorm(3), () => [rnd(4, 6)], { run: (m, [x]) => m.call(x.slice(1, 0, 6, 2)) }),
    layer("Embedding with transposed indices", (g) => new Embedding(9, 3, { paddingIdx: 4, generator: g }), () => [ints(9, 5, 2)], { run: (m, [i]) => m.call(i.t()) }),
    layer("Softmax and LogSoftmax on a transposed view", () => new Sequential(new Softmax(1), new LogSoftmax(1)), () => [rnd(5, 3)], { run: (m, [x]) => m.call(x.t()) }),
    layer("GELU on a transposed view", () => new GELU(), () => [rnd(5, 3)], { run: (m, [x]) => m.call(x.t()) }),
    layer("LSTM (time-major) on a transposed batch-first input, with states", (g) => new LSTM(3, 4, { generator: g }), () => [rnd(2, 5, 3), rnd(1, 2, 4), rnd(1, 2, 4)], {
      run: (m, [x, h0, c0]) => m.call(x.transpose(0, 1), [h0, c0]),
    }),
    layer("GRU on a stepped slice in time", (g) => new GRU(3, 4, { generator: g }), () => [rnd(8, 2, 3)], { run: (m, [x]) => m.call(x.slice(0, 0, 8, 2)) }),
    layer("MultiheadAttention on transposed query/key/value", (g) => new MultiheadAttention(4, 2, { generator: g }), () => [rnd(2, 3, 4), rnd(2, 5, 4)], {
      run: (m, [q, kv]) => m.call(q.transpose(0, 1), kv.transpose(0, 1), kv.transpose(0, 1)),
    }),
    layer("MSELoss on transposed operands", () => new MSELoss(), () => [rnd(4, 3), rnd(3, 4)], { run: (m, [a, b]) => m.call(a.t(), b) }),
    layer("BCEWithLogitsLoss on transposed operands", () => new BCEWithLogitsLoss({ reduction: "none" }), () => [rnd(4, 3), probabilities(3, 4)], { run: (m, [a, b]) => m.call(a.t(), b) }),
    layer("BCELoss on a transposed input", () => new BCELoss({ reduction: "sum" }), () => [probabilities(4, 3), probabilities(3, 4)], { run: (m, [a, b]) => m.call(a.t(), b) }),
  ]);

  // Second order: each layer's backward pass, recorded, is differentiated on the device too.
  it.each([
    layer("MLP: Linear, Tanh, Linear, SiLU, Linear", (g) => new Sequential(new Linear(3, 6, { generator: g }), new Tanh(), new Linear(6, 6, { generator: g }), new SiLU(), new Linear(6, 2, { generator: g })), () => [rnd(5, 3)]),
    layer("CNN: Conv2d, GELU, MaxPool2d, Conv2d, AvgPool2d", (g) => new Sequential(new Conv2d(2, 3, 3, { padding: 1, generator: g }), new GELU(), new MaxPool2d(2), new Conv2d(3, 2, 2, { generator: g }), new AvgPool2d(2)), () => [rnd(2, 2, 6, 6)]),
    layer("ConvTranspose2d, Sigmoid", (g) => new Sequential(new ConvTranspose2d(2, 3, 3, { stride: 2, generator: g }), new Sigmoid()), () => [rnd(1, 2, 3, 3)]),
    layer("Linear, LayerNorm, Softmax", (g) => new Sequential(new Linear(4, 5, { generator: g }), new LayerNorm(5), new Softmax(1)), () => [rnd(3, 4)]),
    layer("Linear, BatchNorm1d, ELU", (g) => new Sequential(new Linear(4, 3, { generator: g }), new BatchNorm1d(3), new ELU()), () => [rnd(6, 4)]),
    layer("Linear, GroupNorm, RMSNorm", (g) => new Sequential(new Linear(4, 4, { generator: g }), new GroupNorm(2, 4), new RMSNorm(4)), () => [rnd(3, 4)]),
    layer("GRUCell", (g) => new GRUCell(3, 4, { generator: g }), () => [rnd(2, 3)]),
    layer("LSTMCell (h)", (g) => new LSTMCell(3, 4, { generator: g }), () => [rnd(2, 3)]),
    layer("GRU 2 layers", (g) => new GRU(3, 4, { numLayers: 2, generator: g }), () => [rnd(3, 2, 3)]),
    layer("LSTM bidirectional", (g) => new LSTM(3, 4, { bidirectional: true, generator: g }), () => [rnd(3, 2, 3)]),
    layer("RNN relu", (g) => new RNN(3, 4, { nonlinearity: "relu", generator: g }), () => [rnd(3, 2, 3)]),
    layer("MultiheadAttention", (g) => new MultiheadAttention(4, 2, { generator: g }), () => [rnd(3, 2, 4)], { run: (m, [x]) => m.call(x, x, x) }),
  ].map((c) => [c.name, c] as const))("gradient penalty (double backward) through %s", async (_, c) => penaltyParity(c));

  it("TransformerEncoder made from a layer on webgpu: its copies (TransformerEncoderLayer.clone) are made there, and match the cpu's", async () => {
    const make = (): TransformerEncoderLayer => new TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0, generator: new Generator(3) }).to("cpu");
    const cpu = new TransformerEncoder(make(), 2);
    const gpu = new TransformerEncoder(make().to("webgpu"), 2);
    expect(gpu.parameters().every((p) => p.device === "webgpu")).toBe(true);
    const x = rnd(3, 2, 4);
    expect(await host(gpu.call(x.to("webgpu")))).toBeAllclose(cpu.call(x), TOL);
  });

  it("Embedding: an index out of range is an IndexError at the next read (no host read at the lookup)", async () => {
    const e = new Embedding(5, 2).to("cpu").to("webgpu");
    const y = e.call(tensor([1, 7], { dtype: "int32", device: "webgpu" })); // nothing read yet
    await expect(y.toArrayAsync()).rejects.toThrow(/webgpu: indexSelect: an index was out of range/);
  });

  it("float64 layers: webgpu refuses them with a DTypeError saying to convert, and the layer stays where it was", async () => {
    const model = new Linear(3, 2).to("float64").to("cpu");
    expect(() => model.to("webgpu")).toThrow(/float64 tensors cannot live on the GPU \(WGSL has no f64\); convert with \.float\(\) first/);
    expect(model.weight.device).toBe("cpu");
    const x = rnd(4, 3);
    const expected = model.call(x.double());
    expect(await host(model.float().to("webgpu").call(x.to("webgpu")))).toBeAllclose(expected, TOL); // what the message says works
  });
});
