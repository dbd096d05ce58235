/**
 * The benchmark workloads' data and initial weights, generated deterministically in JS (our own
 * seeded generator, independent of every library under test) and written to a folder as raw
 * little-endian float32/int32 files plus a manifest.json, so that every library — numpy included —
 * starts from the same bytes.
 */

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeSafetensors, type NamedArray } from "./safetensors.js";

/** Bumped whenever the data or a workload's definition changes. */
export const DATA_VERSION = 2;

/** splitmix32: tiny, seedable, good enough for benchmark data. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** A uniform float in [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * (this.nextUint32() / 4294967296);
  }

  /** A uniform integer in [low, high). */
  integer(low: number, high: number): number {
    return low + Math.floor((this.nextUint32() / 4294967296) * (high - low));
  }

  /** A normal deviate N(mean, std²) (Box–Muller, one of the pair). */
  normal(mean = 0, std = 1): number {
    const u = 1 - this.nextUint32() / 4294967296; // (0, 1]
    const v = this.nextUint32() / 4294967296;
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/** One array in the data folder: a file of raw little-endian values and its shape. */
export interface ArrayRef {
  readonly file: string;
  readonly dtype: "float32" | "int32";
  readonly shape: readonly number[];
}

/** W1: float32 matmul n×n @ n×n; `probes` are [i, j, C[i][j] in float64] to check the product. */
export interface W1Spec {
  readonly n: number;
  readonly a: ArrayRef;
  readonly b: ArrayRef;
  readonly warmup: number;
  readonly reps: number;
  readonly probes: readonly (readonly [number, number, number])[];
}

/**
 * W2: MLP sizes[0]-sizes[1]-sizes[2], ReLU, softmax cross-entropy (mean over the batch), plain SGD.
 * Step s (0-based) uses batch s % nBatches; steps = warmup + timed; `loss` is recorded at the last
 * step (its forward pass, before its update). Weights are [out, in] (PyTorch layout).
 */
export interface W2Spec {
  readonly sizes: readonly [number, number, number];
  readonly batch: number;
  readonly nBatches: number;
  readonly x: ArrayRef; // [nBatches, batch, 784]
  readonly y: ArrayRef; // [nBatches, batch] int32 class indices
  readonly w1: ArrayRef;
  readonly b1: ArrayRef;
  readonly w2: ArrayRef;
  readonly b2: ArrayRef;
  readonly lr: number;
  readonly warmup: number;
  readonly timed: number;
}

/**
 * W3: the sine fit, 1-hidden-1 with sigmoid hidden and linear output, full batch, loss
 * mean((out − y)²)/2, `steps` steps of gradient descent; `loss` is recorded at the last step.
 */
export interface W3Spec {
  readonly hidden: number;
  readonly x: ArrayRef; // [points, 1]
  readonly y: ArrayRef; // [points, 1]
  readonly w1: ArrayRef; // [hidden, 1]
  readonly b1: ArrayRef; // [hidden]
  readonly w2: ArrayRef; // [1, hidden]
  readonly b2: ArrayRef; // [1]
  readonly lr: number;
  readonly steps: number;
}

/** W4: y ← y·a + b chained `n` times from a 1-element y0, then dy/dy0 by backward. */
export interface W4Spec {
  readonly n: number;
  readonly a: number;
  readonly b: number;
  readonly y0: number;
}

/**
 * What the model workloads W5–W9 share: the initial weights as ONE safetensors file with
 * PyTorch's state-dict names (every library loads it), `nBatches` fixed batches used in turn
 * (step s, 0-based, uses batch s % nBatches), `warmup` + `timed` training steps, each timed
 * alone (zero grads, forward, loss, backward, clipping where the recipe has it, optimizer step);
 * the median of the timed steps is reported. `firstLoss` is the loss of step 1 (its forward
 * pass), `loss` that of the last step. Dropout is p = 0 everywhere, so that losses can be compared.
 * Before that recorded run, each library runs the whole workload (fresh model, same weights and
 * steps) again and again and discards it, until `prewarmSeconds` have passed: JIT compilers
 * (V8's, for tensorgrad and TF.js) reach their steady state, and the recorded losses stay those
 * of the same steps from the same weights in every library.
 */
export interface ModelSpec {
  readonly weights: string;
  readonly nBatches: number;
  readonly warmup: number;
  readonly timed: number;
  readonly prewarmSeconds: number;
  /**
   * Largest relative difference from the median of all columns of the step-1 loss and of the
   * last-step loss (float32; LOSS_TOLERANCES below says where they come from).
   */
  readonly tolerance: { readonly first: number; readonly last: number };
}

/** W5: pytorch/examples mnist `Net` (dropout p = 0), log_softmax + nll (mean), Adadelta. */
export interface W5Spec extends ModelSpec {
  readonly batch: number;
  readonly x: ArrayRef; // [nBatches, batch, 1, 28, 28] float32, normalized like MNIST
  readonly y: ArrayRef; // [nBatches, batch] int32 in [0, 10)
  readonly lr: number;
  readonly rho: number;
  readonly eps: number;
}

/** W6: makemore's MLP (no BatchNorm): Embedding → flatten → Linear → tanh → Linear, cross-entropy (mean), SGD. */
export interface W6Spec extends ModelSpec {
  readonly vocab: number;
  readonly blockSize: number;
  readonly embDim: number;
  readonly hidden: number;
  readonly batch: number;
  readonly x: ArrayRef; // [nBatches, batch, blockSize] int32 contexts
  readonly y: ArrayRef; // [nBatches, batch] int32 next characters
  readonly lr: number;
}

/**
 * W7: nanoGPT (no weight tying, bias everywhere but lm_head, exact GELU, dropout 0), cross-entropy
 * over all B·T positions (mean), clip_grad_norm to `clip`, then AdamW on every parameter.
 */
export interface W7Spec extends ModelSpec {
  readonly vocab: number;
  readonly blockSize: number;
  readonly nLayer: number;
  readonly nHead: number;
  readonly nEmbd: number;
  readonly batch: number;
  readonly x: ArrayRef; // [nBatches, batch, blockSize] int32
  readonly y: ArrayRef; // [nBatches, batch, blockSize] int32 (x shifted by one)
  readonly lr: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  readonly clip: number;
}

/**
 * W8: word_language_model's RNNModel (LSTM, dropout 0): Embedding → 2-layer LSTM → Linear →
 * log_softmax, nll (mean) over bptt·batch targets; the hidden state is carried from step to step
 * and detached (repackage_hidden), zeros at step 1; clip_grad_norm to `clip`, then plain SGD.
 */
export interface W8Spec extends ModelSpec {
  readonly vocab: number;
  readonly emb: number;
  readonly hidden: number;
  readonly layers: number;
  readonly bptt: number;
  readonly batch: number;
  readonly x: ArrayRef; // [nBatches, bptt, batch] int32 (time-major, as the example's batchify)
  readonly y: ArrayRef; // [nBatches, bptt * batch] int32 (the next token of each input, flattened)
  readonly lr: number;
  readonly clip: number;
}

/**
 * W9: pytorch/examples VAE 784-400-20: z = μ + ε·exp(½·log σ²) with ε READ from `eps` (no random
 * draw), loss = BCE(recon, x) summed + KLD, Adam.
 */
export interface W9Spec extends ModelSpec {
  readonly pixels: number;
  readonly hidden: number;
  readonly latent: number;
  readonly batch: number;
  readonly x: ArrayRef; // [nBatches, batch, pixels] float32 in [0, 1)
  readonly noise: ArrayRef; // [nBatches, batch, latent] float32 N(0, 1): the reparameterization's ε
  readonly lr: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
}

/** Everything a worker needs, read from `<dir>/manifest.json`. */
export interface Manifest {
  readonly version: number;
  readonly seed: number;
  readonly w1: W1Spec;
  readonly w2: W2Spec;
  readonly w3: W3Spec;
  readonly w4: W4Spec;
  readonly w5: W5Spec;
  readonly w6: W6Spec;
  readonly w7: W7Spec;
  readonly w8: W8Spec;
  readonly w9: W9Spec;
}

/** Knobs of a run: repetition counts only; the data and the trained steps never change. */
export interface DataOptions {
  /** Timed repetitions of the W1 matmul (median reported). */
  readonly w1Reps: number;
}

const SEED = 20240601;
/**
 * Seconds of discarded whole runs of a model workload before the recorded one, in every library
 * (ModelSpec). 2 s covers V8's warm-up here: tensorgrad's makemore step (W6) took 4–10 ms over its
 * first ~150 steps and ~0.8 ms from ~200 on (2 cores, Node 20), most of it V8's optimizing JS
 * compiler at work (with --no-opt the slow phase lasted ~60 steps and 300 steps took 0.6 s
 * instead of 1.2–2.5 s); the wasm tiering flags (--no-liftoff, --no-wasm-dynamic-tiering)
 * changed nothing measurable.
 */
const MODEL_PREWARM_SECONDS = 2;
/** W3's initial weights' own seed (see writeData). */
const W3_INIT_SEED = 34;

/** Generates every workload's data into `dir` and returns the manifest (also written there). */
export function writeData(dir: string, options: DataOptions): Manifest {
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(SEED);
  const put = (file: string, values: Float32Array | Int32Array, shape: readonly number[]): ArrayRef => {
    writeFileSync(join(dir, file), new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    return { file, dtype: values instanceof Int32Array ? "int32" : "float32", shape };
  };
  const uniform = (length: number, low: number, high: number): Float32Array =>
    Float32Array.from({ length }, () => rng.uniform(low, high));

  // W1: entries uniform in [-1, 1); probes checked in float64 against the float32 inputs.
  const n = 1024;
  const a = uniform(n * n, -1, 1);
  const b = uniform(n * n, -1, 1);
  const probes: [number, number, number][] = [];
  for (let p = 0; p < 16; p++) {
    const i = rng.integer(0, n);
    const j = rng.integer(0, n);
    let s = 0;
    for (let k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j];
    probes.push([i, j, s]);
  }
  const w1: W1Spec = { n, a: put("w1_a.f32", a, [n, n]), b: put("w1_b.f32", b, [n, n]), warmup: 1, reps: options.w1Reps, probes };

  // W2: MNIST-shaped inputs in [0, 1), PyTorch's default Linear init U(-1/√in, 1/√in).
  const [inF, hid, outF] = [784, 128, 10] as const;
  const batch = 64;
  const nBatches = 8;
  const k1 = 1 / Math.sqrt(inF);
  const k2 = 1 / Math.sqrt(hid);
  const w2: W2Spec = {
    sizes: [inF, hid, outF],
    batch,
    nBatches,
    x: put("w2_x.f32", uniform(nBatches * batch * inF, 0, 1), [nBatches, batch, inF]),
    y: put("w2_y.i32", Int32Array.from({ length: nBatches * batch }, () => rng.integer(0, outF)), [nBatches, batch]),
    w1: put("w2_w1.f32", uniform(hid * inF, -k1, k1), [hid, inF]),
    b1: put("w2_b1.f32", uniform(hid, -k1, k1), [hid]),
    w2: put("w2_w2.f32", uniform(outF * hid, -k2, k2), [outF, hid]),
    b2: put("w2_b2.f32", uniform(outF, -k2, k2), [outF]),
    lr: 0.1,
    warmup: 10,
    timed: 50,
  };

  // W3: x = i/100 (100 points in [0, 1)), y = 20·sin(2πx); Linear(1, 25) and Linear(25, 1) init.
  // At lr 0.3 this recipe oscillates across the valley (the loss rises on about half of the steps),
  // which amplifies rounding differences: from most initial weights, float32 and float64 runs end
  // several percent apart, and so would two correct float32 libraries. The weights come from their
  // own seed, picked (of 60 scanned with NumPy) because float32, float64 and float64 runs from
  // weights perturbed by 1e-6 end within 2e-5 of each other — so a loss check can mean something.
  const points = 100;
  const hidden = 25;
  const k3 = 1 / Math.sqrt(hidden);
  const w3Rng = new Rng(W3_INIT_SEED);
  const w3Uniform = (length: number, low: number, high: number): Float32Array =>
    Float32Array.from({ length }, () => w3Rng.uniform(low, high));
  const w3: W3Spec = {
    hidden,
    x: put("w3_x.f32", Float32Array.from({ length: points }, (_, i) => i / points), [points, 1]),
    y: put("w3_y.f32", Float32Array.from({ length: points }, (_, i) => 20 * Math.sin((2 * Math.PI * i) / points)), [points, 1]),
    w1: put("w3_w1.f32", w3Uniform(hidden, -1, 1), [hidden, 1]),
    b1: put("w3_b1.f32", w3Uniform(hidden, -1, 1), [hidden]),
    w2: put("w3_w2.f32", w3Uniform(hidden, -k3, k3), [1, hidden]),
    b2: put("w3_b2.f32", w3Uniform(1, -k3, k3), [1]),
    lr: 0.3,
    steps: 4000,
  };

  const w4: W4Spec = { n: 100_000, a: 1.0001, b: 0.0001, y0: 1 };

  const models = writeModelData(dir, put);
  const manifest: Manifest = { version: DATA_VERSION, seed: SEED, w1, w2, w3, w4, ...models };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest, null, 1));
  return manifest;
}

/** Seeds of the model workloads' data and weights, one per workload so that each stays fixed when another changes. */
const MODEL_SEEDS = { w5: 5005, w6: 6006, w7: 7007, w8: 8008, w9: 9009 } as const;

/**
 * Relative tolerances of the model workloads' losses (step 1, last step), float32, against
 * PyTorch's (the median when PyTorch did not run). Measured on these data: PyTorch's float32 run
 * ends within 1.1e-7 of its float64 run (same float32 weights and data) on every workload — these
 * short runs do not amplify rounding, unlike W3; tensorgrad's cpu backend and TF.js (cpu, wasm)
 * end within 4e-6 of PyTorch (the largest: tfjs-wasm on W8, 35 LSTM steps at lr 20). The losses
 * are not very sensitive to gradient errors: conv weight gradients 1.3e-3 off (relative L2 norm;
 * PyTorch float32's are 3e-6 off float64) moved W5's step-13 loss by only 2.5e-5. Hence 1e-5: 2.5×
 * the largest spread of the agreeing libraries, and below what such an error does.
 * Except W5's last step, 1e-4: its loss after 13 Adadelta steps at lr 1 jumps between a few
 * discrete values under rounding alone. Measured 2026-12-05: with float32 conv outputs perturbed by
 * ±½ ulp (random, on the cpu backend, whose sums are float64), six runs ended at 2.2667806,
 * 2.2667809, 2.2667849 or 2.2668364 (PyTorch float64: 2.2667807; float32: 2.2667849): 2.5e-5
 * apart, the same value the wasm backend's float32 GEMM sums give. Step 1 stays at 1e-5.
 */
const LOSS_TOLERANCES: Readonly<Record<keyof typeof MODEL_SEEDS, { first: number; last: number }>> = {
  w5: { first: 1e-5, last: 1e-4 },
  w6: { first: 1e-5, last: 1e-5 },
  w7: { first: 1e-5, last: 1e-5 },
  w8: { first: 1e-5, last: 1e-5 },
  w9: { first: 1e-5, last: 1e-5 },
};

type Put = (file: string, values: Float32Array | Int32Array, shape: readonly number[]) => ArrayRef;

/** Tensors of one model's initial weights, by PyTorch state-dict name, in PyTorch's order. */
class Weights {
  readonly tensors: Record<string, NamedArray> = {};

  constructor(private readonly rng: Rng) {}

  /** U(low, high) values. */
  uniform(name: string, shape: readonly number[], low: number, high: number): void {
    this.put(name, shape, () => this.rng.uniform(low, high));
  }

  /** N(0, std²) values. */
  normal(name: string, shape: readonly number[], std: number): void {
    this.put(name, shape, () => this.rng.normal(0, std));
  }

  /** A constant. */
  fill(name: string, shape: readonly number[], value: number): void {
    this.put(name, shape, () => value);
  }

  /** PyTorch's default Linear/Conv init: weight and bias U(−1/√fanIn, 1/√fanIn). */
  linear(prefix: string, outF: number, inShape: readonly number[], bias = true): void {
    const fanIn = inShape.reduce((a, b) => a * b, 1);
    const k = 1 / Math.sqrt(fanIn);
    this.uniform(`${prefix}.weight`, [outF, ...inShape], -k, k);
    if (bias) this.uniform(`${prefix}.bias`, [outF], -k, k);
  }

  private put(name: string, shape: readonly number[], draw: () => number): void {
    const size = shape.reduce((a, b) => a * b, 1);
    this.tensors[name] = { shape, data: Float32Array.from({ length: size }, draw) };
  }
}

/** W5–W9's data (raw files through `put`) and initial weights (one safetensors file each). */
function writeModelData(dir: string, put: Put): Pick<Manifest, "w5" | "w6" | "w7" | "w8" | "w9"> {
  const save = (file: string, w: Weights): string => {
    writeSafetensors(join(dir, file), w.tensors);
    return file;
  };
  /** Skewed token ids in [0, n): floor(n·u²), so that a model has frequencies to learn. */
  const skewed = (rng: Rng, n: number) => Math.min(n - 1, Math.floor(n * rng.uniform() ** 2));

  // W5: pytorch/examples mnist Net; noise images normalized with MNIST's mean and std, random labels.
  const r5 = new Rng(MODEL_SEEDS.w5);
  const b5 = 64;
  const n5 = 4;
  const w5w = new Weights(r5);
  w5w.linear("conv1", 32, [1, 3, 3]);
  w5w.linear("conv2", 64, [32, 3, 3]);
  w5w.linear("fc1", 128, [9216]);
  w5w.linear("fc2", 10, [128]);
  const w5: W5Spec = {
    weights: save("w5_weights.safetensors", w5w),
    nBatches: n5,
    warmup: 3,
    timed: 10,
    prewarmSeconds: MODEL_PREWARM_SECONDS,
    tolerance: LOSS_TOLERANCES.w5,
    batch: b5,
    x: put("w5_x.f32", Float32Array.from({ length: n5 * b5 * 784 }, () => (r5.uniform() - 0.1307) / 0.3081), [n5, b5, 1, 28, 28]),
    y: put("w5_y.i32", Int32Array.from({ length: n5 * b5 }, () => r5.integer(0, 10)), [n5, b5]),
    lr: 1,
    rho: 0.9,
    eps: 1e-6,
  };

  // W6: makemore MLP; N(0, 1) embedding, default Linear init, the last layer scaled by 0.1 with a zero bias.
  const r6 = new Rng(MODEL_SEEDS.w6);
  const [v6, bs6, e6, h6, b6, n6] = [27, 16, 64, 64, 32, 8];
  const w6w = new Weights(r6);
  w6w.normal("wte.weight", [v6, e6], 1);
  w6w.linear("mlp.0", h6, [bs6 * e6]);
  w6w.uniform("mlp.2.weight", [v6, h6], -0.1 / Math.sqrt(h6), 0.1 / Math.sqrt(h6));
  w6w.fill("mlp.2.bias", [v6], 0);
  const w6: W6Spec = {
    weights: save("w6_weights.safetensors", w6w),
    nBatches: n6,
    warmup: 10,
    timed: 50,
    prewarmSeconds: MODEL_PREWARM_SECONDS,
    tolerance: LOSS_TOLERANCES.w6,
    vocab: v6,
    blockSize: bs6,
    embDim: e6,
    hidden: h6,
    batch: b6,
    x: put("w6_x.i32", Int32Array.from({ length: n6 * b6 * bs6 }, () => skewed(r6, v6)), [n6, b6, bs6]),
    y: put("w6_y.i32", Int32Array.from({ length: n6 * b6 }, () => skewed(r6, v6)), [n6, b6]),
    lr: 0.1,
  };

  // W7: nanoGPT; N(0, 0.02) weights (c_proj: 0.02/√(2·nLayer)), zero biases, LayerNorm 1 and 0.
  const r7 = new Rng(MODEL_SEEDS.w7);
  const [v7, t7, l7, c7, b7, n7] = [65, 32, 2, 32, 32, 8];
  const w7w = new Weights(r7);
  w7w.normal("transformer.wte.weight", [v7, c7], 0.02);
  w7w.normal("transformer.wpe.weight", [t7, c7], 0.02);
  const projStd = 0.02 / Math.sqrt(2 * l7);
  for (let l = 0; l < l7; l++) {
    const p = `transformer.h.${l}`;
    w7w.fill(`${p}.ln_1.weight`, [c7], 1);
    w7w.fill(`${p}.ln_1.bias`, [c7], 0);
    w7w.normal(`${p}.attn.c_attn.weight`, [3 * c7, c7], 0.02);
    w7w.fill(`${p}.attn.c_attn.bias`, [3 * c7], 0);
    w7w.normal(`${p}.attn.c_proj.weight`, [c7, c7], projStd);
    w7w.fill(`${p}.attn.c_proj.bias`, [c7], 0);
    w7w.fill(`${p}.ln_2.weight`, [c7], 1);
    w7w.fill(`${p}.ln_2.bias`, [c7], 0);
    w7w.normal(`${p}.mlp.c_fc.weight`, [4 * c7, c7], 0.02);
    w7w.fill(`${p}.mlp.c_fc.bias`, [4 * c7], 0);
    w7w.normal(`${p}.mlp.c_proj.weight`, [c7, 4 * c7], projStd);
    w7w.fill(`${p}.mlp.c_proj.bias`, [c7], 0);
  }
  w7w.fill("transformer.ln_f.weight", [c7], 1);
  w7w.fill("transformer.ln_f.bias", [c7], 0);
  w7w.normal("lm_head.weight", [v7, c7], 0.02);
  const x7 = new Int32Array(n7 * b7 * t7);
  const y7 = new Int32Array(n7 * b7 * t7);
  for (let r = 0; r < n7 * b7; r++) {
    const seq = Array.from({ length: t7 + 1 }, () => skewed(r7, v7));
    x7.set(seq.slice(0, t7), r * t7);
    y7.set(seq.slice(1), r * t7);
  }
  const w7: W7Spec = {
    weights: save("w7_weights.safetensors", w7w),
    nBatches: n7,
    warmup: 5,
    timed: 20,
    prewarmSeconds: MODEL_PREWARM_SECONDS,
    tolerance: LOSS_TOLERANCES.w7,
    vocab: v7,
    blockSize: t7,
    nLayer: l7,
    nHead: 2,
    nEmbd: c7,
    batch: b7,
    x: put("w7_x.i32", x7, [n7, b7, t7]),
    y: put("w7_y.i32", y7, [n7, b7, t7]),
    lr: 1e-3,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weightDecay: 0.01,
    clip: 1,
  };

  // W8: word_language_model; encoder and decoder U(−0.1, 0.1), decoder bias 0, LSTM U(±1/√hidden).
  // One token stream per batch column, cut into bptt-long chunks: targets are the next tokens.
  const r8 = new Rng(MODEL_SEEDS.w8);
  const [v8, e8, h8, l8, bptt, b8, n8] = [3985, 32, 32, 2, 35, 20, 8];
  const w8w = new Weights(r8);
  w8w.uniform("encoder.weight", [v8, e8], -0.1, 0.1);
  const k8 = 1 / Math.sqrt(h8);
  for (let l = 0; l < l8; l++) {
    w8w.uniform(`rnn.weight_ih_l${l}`, [4 * h8, l === 0 ? e8 : h8], -k8, k8);
    w8w.uniform(`rnn.weight_hh_l${l}`, [4 * h8, h8], -k8, k8);
    w8w.uniform(`rnn.bias_ih_l${l}`, [4 * h8], -k8, k8);
    w8w.uniform(`rnn.bias_hh_l${l}`, [4 * h8], -k8, k8);
  }
  w8w.uniform("decoder.weight", [v8, h8], -0.1, 0.1);
  w8w.fill("decoder.bias", [v8], 0);
  const rows = n8 * bptt + 1;
  const stream = Int32Array.from({ length: rows * b8 }, () => skewed(r8, v8)); // [rows, batch], time-major
  const x8 = stream.slice(0, n8 * bptt * b8);
  const y8 = stream.slice(b8, (n8 * bptt + 1) * b8);
  const w8: W8Spec = {
    weights: save("w8_weights.safetensors", w8w),
    nBatches: n8,
    warmup: 5,
    timed: 20,
    prewarmSeconds: MODEL_PREWARM_SECONDS,
    tolerance: LOSS_TOLERANCES.w8,
    vocab: v8,
    emb: e8,
    hidden: h8,
    layers: l8,
    bptt,
    batch: b8,
    x: put("w8_x.i32", x8, [n8, bptt, b8]),
    y: put("w8_y.i32", y8, [n8, bptt * b8]),
    lr: 20,
    clip: 0.25,
  };

  // W9: VAE; default Linear init, pixels U(0, 1), ε N(0, 1).
  const r9 = new Rng(MODEL_SEEDS.w9);
  const [p9, h9, z9, b9, n9] = [784, 400, 20, 128, 8];
  const w9w = new Weights(r9);
  w9w.linear("fc1", h9, [p9]);
  w9w.linear("fc21", z9, [h9]);
  w9w.linear("fc22", z9, [h9]);
  w9w.linear("fc3", h9, [z9]);
  w9w.linear("fc4", p9, [h9]);
  const w9: W9Spec = {
    weights: save("w9_weights.safetensors", w9w),
    nBatches: n9,
    warmup: 5,
    timed: 20,
    prewarmSeconds: MODEL_PREWARM_SECONDS,
    tolerance: LOSS_TOLERANCES.w9,
    pixels: p9,
    hidden: h9,
    latent: z9,
    batch: b9,
    x: put("w9_x.f32", Float32Array.from({ length: n9 * b9 * p9 }, () => r9.uniform()), [n9, b9, p9]),
    noise: put("w9_eps.f32", Float32Array.from({ length: n9 * b9 * z9 }, () => r9.normal()), [n9, b9, z9]),
    lr: 1e-3,
    betas: [0.9, 0.999],
    eps: 1e-8,
  };

  return { w5, w6, w7, w8, w9 };
}

/** Reads `<dir>/manifest.json`. */
export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
}

/** Reads one array of the data folder (an aligned copy). */
export function readArray(dir: string, ref: ArrayRef): Float32Array | Int32Array {
  const bytes = new Uint8Array(readFileSync(join(dir, ref.file)));
  return ref.dtype === "int32" ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer);
}

/** Reads a float32 array of the data folder. */
export function readF32(dir: string, ref: ArrayRef): Float32Array {
  const values = readArray(dir, ref);
  if (!(values instanceof Float32Array)) throw new Error(`bench data: ${ref.file} is not float32`);
  return values;
}

/** Reads an int32 array of the data folder. */
export function readI32(dir: string, ref: ArrayRef): Int32Array {
  const values = readArray(dir, ref);
  if (!(values instanceof Int32Array)) throw new Error(`bench data: ${ref.file} is not int32`);
  return values;
}

/**
 * W4's exact answer for a float32 chain: with a = fround(1.0001), dy_n/dy0 = aⁿ. A float32 chain
 * accumulates rounding, so checks allow a relative 1e-3.
 */
export function w4ExpectedGrad(spec: W4Spec): number {
  return Math.fround(spec.a) ** spec.n;
}
