/**
 * gpt — a character-level GPT after karpathy/nanoGPT (model.py, train.py, sample.py): token and
 * position embeddings, `nLayer` pre-norm blocks of LayerNorm → causal self-attention (our
 * scaledDotProductAttention with isCausal) and LayerNorm → MLP with GELU, a final LayerNorm and a
 * linear head over the characters. Trained with AdamW in two parameter groups (the weights of
 * matmuls decayed; biases, LayerNorm and embeddings not), a linear warmup and cosine decay of the
 * learning rate, and gradient clipping; then text is sampled with temperature and top-k.
 *
 * Parameter names follow nanoGPT (`transformer.wte.weight`, `transformer.h.0.attn.c_attn.weight`,
 * `lm_head.weight`). The defaults are a small model (2 layers, 2 heads, 32 features, 32
 * characters of context) that trains on two CPU cores in about a minute; nanoGPT's
 * shakespeare_char config is `--n-layer 6 --n-head 6 --n-embd 384 --block-size 256 --dropout 0.2`.
 * The text is chapters 1–17 of Pride and Prejudice (public domain, data/), or `data`.
 */

import { Generator, cat, manualSeed, noGrad, scaledDotProductAttention, tensor, type Tensor } from "@tensorgrad/autograd";
import { Dropout, Embedding, GELU, LayerNorm, Linear, Module, ModuleList, init, optim, type Parameter, functional as F } from "@tensorgrad/nn";
import { DataError, OptionError } from "../common/errors.js";
import { DEFAULT_OUT_DIR, DEFAULT_SEED, positive, positiveInt, type CommonOptions } from "../common/options.js";
import { lineChart, thin, writeSvg } from "../common/plot.js";
import { Reporter } from "../common/reporter.js";
import { Vocab, readText, shippedTextPath } from "../data/text.js";

/** The shape of a GPT (nanoGPT's GPTConfig). */
export interface GPTConfig {
  readonly vocabSize: number;
  /** Longest context the model sees (the position embedding's size). */
  readonly blockSize: number;
  readonly nLayer: number;
  readonly nHead: number;
  readonly nEmbd: number;
  /** Dropout on embeddings, attention weights and residual branches (0 = none). */
  readonly dropout: number;
}

/** Options of the gpt example (defaults: a small nanoGPT for a CPU). */
export interface GptOptions extends CommonOptions {
  /** A text file to train on; the shipped Pride and Prejudice chapters when omitted. */
  readonly data?: string;
  /** Transformer blocks (default 2). */
  readonly nLayer?: number;
  /** Attention heads per block (default 2); must divide nEmbd. */
  readonly nHead?: number;
  /** Embedding width (default 32). */
  readonly nEmbd?: number;
  /** Context length in characters (default 32). */
  readonly blockSize?: number;
  /** Dropout (default 0). */
  readonly dropout?: number;
  /** Sequences per batch (default 16). */
  readonly batchSize?: number;
  /** Training iterations (default 2000). */
  readonly steps?: number;
  /** Peak learning rate (default 3e-3; nanoGPT's shakespeare_char uses 1e-3 for its 10M-parameter model, this small one learns faster at 3e-3). */
  readonly lr?: number;
  /** Learning rate at the end of the cosine decay (default lr / 10). */
  readonly minLr?: number;
  /** Iterations of linear warmup (default 100). */
  readonly warmupIters?: number;
  /** AdamW's weight decay of the matmul weights (default 0.1). */
  readonly weightDecay?: number;
  /** Adam's β₂ (default 0.99, nanoGPT's for small data). */
  readonly beta2?: number;
  /** Clip the gradients' total norm to this (default 1; 0 = no clipping). */
  readonly gradClip?: number;
  /** Estimate the train and validation loss every n iterations (default 250). */
  readonly evalInterval?: number;
  /** Batches per loss estimate (default 20). */
  readonly evalIters?: number;
  /** Characters to sample after training (default 300). */
  readonly sampleLength?: number;
  /** Divides the logits when sampling: < 1 is more conservative (default 0.8). */
  readonly temperature?: number;
  /** Sample only among the k most likely characters (default 200, i.e. all of a small vocabulary, as nanoGPT). */
  readonly topK?: number;
  /** Text the sample continues (default "\n"); every character must be in the training text. */
  readonly start?: string;
}

/** What runGpt measured. */
export interface GptResult {
  readonly example: "gpt";
  /** "pride-and-prejudice" (the shipped text) or the path of `data`. */
  readonly dataset: string;
  readonly characters: number;
  readonly vocabSize: number;
  /** log(vocabSize): the loss of a uniform guess. */
  readonly uniformLoss: number;
  /** Estimated validation loss before training. */
  readonly initialLoss: number;
  /** Estimated training loss before training. */
  readonly initialTrainLoss: number;
  /** Estimated train and validation loss after training (evalIters batches each). */
  readonly trainLoss: number;
  readonly valLoss: number;
  readonly steps: number;
  readonly parameters: number;
  /** Parameters in the decayed group (matmul weights) and in the other group. */
  readonly decayedParameters: number;
  readonly nonDecayedParameters: number;
  readonly config: GPTConfig;
  /** The sampled text (after `start`). */
  readonly sample: string;
  readonly seconds: number;
  /** Loss estimates every evalInterval iterations. */
  readonly history: { step: number; trainLoss: number; valLoss: number }[];
  /** The learning rate of every iteration. */
  readonly lrHistory: { step: number; lr: number }[];
  readonly plots: string[];
}

/** Multi-head causal self-attention: one Linear makes q, k and v, scaledDotProductAttention(isCausal) attends, c_proj projects back. */
export class CausalSelfAttention extends Module {
  readonly nHead: number;
  readonly dropout: number;
  c_attn: Linear;
  c_proj: Linear;
  resid_dropout: Dropout;

  constructor(config: GPTConfig) {
    super();
    this.nHead = config.nHead;
    this.dropout = config.dropout;
    this.c_attn = new Linear(config.nEmbd, 3 * config.nEmbd);
    this.c_proj = new Linear(config.nEmbd, config.nEmbd);
    this.resid_dropout = new Dropout(config.dropout);
  }

  /** x [B, T, C] → [B, T, C]; position t attends to positions ≤ t only. */
  forward(x: Tensor): Tensor {
    const [B, T, C] = x.shape;
    const H = this.nHead;
    const heads = (t: Tensor) => t.reshape([B, T, H, C / H]).transpose(1, 2); // [B, H, T, C/H]
    const [q, k, v] = this.c_attn.call(x).split(C, 2).map(heads);
    const y = scaledDotProductAttention(q, k, v, { isCausal: true, dropoutP: this.training ? this.dropout : 0 });
    return this.resid_dropout.call(this.c_proj.call(y.transpose(1, 2).reshape([B, T, C]))); // heads side by side again
  }
}

/** The block's feed-forward network: Linear(C, 4C) → GELU → Linear(4C, C) → dropout. */
export class GptMLP extends Module {
  c_fc: Linear;
  gelu: GELU;
  c_proj: Linear;
  dropout: Dropout;

  constructor(config: GPTConfig) {
    super();
    this.c_fc = new Linear(config.nEmbd, 4 * config.nEmbd);
    this.gelu = new GELU();
    this.c_proj = new Linear(4 * config.nEmbd, config.nEmbd);
    this.dropout = new Dropout(config.dropout);
  }

  /** [B, T, C] → [B, T, C], position by position. */
  forward(x: Tensor): Tensor {
    return this.dropout.call(this.c_proj.call(this.gelu.call(this.c_fc.call(x))));
  }
}

/** A pre-norm transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)). */
export class GptBlock extends Module {
  ln_1: LayerNorm;
  attn: CausalSelfAttention;
  ln_2: LayerNorm;
  mlp: GptMLP;

  constructor(config: GPTConfig) {
    super();
    this.ln_1 = new LayerNorm(config.nEmbd);
    this.attn = new CausalSelfAttention(config);
    this.ln_2 = new LayerNorm(config.nEmbd);
    this.mlp = new GptMLP(config);
  }

  /** [B, T, C] → [B, T, C] with both residual branches added. */
  forward(x: Tensor): Tensor {
    const h = x.add(this.attn.call(this.ln_1.call(x)));
    return h.add(this.mlp.call(this.ln_2.call(h)));
  }
}

/** nanoGPT's `transformer` dict: embeddings, the blocks and the final LayerNorm; forward gives the final features [B, T, C]. */
export class GptTransformer extends Module {
  wte: Embedding;
  wpe: Embedding;
  drop: Dropout;
  h: ModuleList<GptBlock>;
  ln_f: LayerNorm;

  constructor(config: GPTConfig) {
    super();
    this.wte = new Embedding(config.vocabSize, config.nEmbd);
    this.wpe = new Embedding(config.blockSize, config.nEmbd);
    this.drop = new Dropout(config.dropout);
    this.h = new ModuleList(Array.from({ length: config.nLayer }, () => new GptBlock(config)));
    this.ln_f = new LayerNorm(config.nEmbd);
  }

  /** Token ids [B, T] → final features [B, T, C]. */
  forward(idx: Tensor): Tensor {
    const T = idx.shape[1];
    const pos = tensor(Array.from({ length: T }, (_, i) => i), { dtype: "int32" });
    let x = this.drop.call(this.wte.call(idx).add(this.wpe.call(pos))); // token + position embeddings, [B, T, C]
    for (const block of this.h) x = block.call(x);
    return this.ln_f.call(x);
  }
}

/** The GPT language model: int32 token ids [B, T] (T ≤ blockSize) → logits [B, T, vocabSize]. */
export class GPT extends Module {
  readonly config: GPTConfig;
  transformer: GptTransformer;
  lm_head: Linear;

  constructor(config: GPTConfig) {
    super();
    if (config.nEmbd % config.nHead !== 0) throw new OptionError(`GPT: nEmbd must be a multiple of nHead, got nEmbd ${config.nEmbd} and nHead ${config.nHead}`);
    this.config = config;
    this.transformer = new GptTransformer(config);
    this.lm_head = new Linear(config.nEmbd, config.vocabSize, { bias: false });
    // nanoGPT's init: N(0, 0.02) for linear and embedding weights, zero biases, and the residual
    // projections scaled down by √(2·nLayer) (GPT-2's paper).
    noGrad(() => {
      for (const [name, p] of this.namedParameters()) {
        if (name.endsWith("c_proj.weight")) init.normal_(p, 0, 0.02 / Math.sqrt(2 * config.nLayer));
        else if (name.endsWith(".weight") && !name.includes("ln_")) init.normal_(p, 0, 0.02);
        else if (name.endsWith(".bias")) p.zero_();
      }
    });
  }

  /** Token ids [B, T] → logits [B, T, vocabSize] of the next token at each position. */
  forward(idx: Tensor): Tensor {
    if (idx.ndim !== 2 || idx.shape[1] > this.config.blockSize) {
      throw new OptionError(`GPT: expected token ids [B, T] with T <= blockSize ${this.config.blockSize}, got [${idx.shape.join(", ")}]`);
    }
    return this.lm_head.call(this.transformer.call(idx));
  }

  /**
   * Continues each row of `idx` [B, T] by `maxNewTokens` tokens: the last blockSize tokens give
   * logits / temperature, all but the topK largest are set to −∞, and the next token is drawn from
   * the softmax with `multinomial`. Returns [B, T + maxNewTokens].
   */
  generate(idx: Tensor, maxNewTokens: number, options: { temperature?: number; topK?: number | null; generator?: Generator } = {}): Tensor {
    const { temperature = 1, topK = null, generator } = options;
    const wasTraining = this.training;
    this.eval();
    let out = idx;
    noGrad(() => {
      for (let i = 0; i < maxNewTokens; i++) {
        const T = out.shape[1];
        const context = T <= this.config.blockSize ? out : out.narrow(1, T - this.config.blockSize, this.config.blockSize);
        let logits = this.call(context).select(1, -1).div(temperature); // [B, vocab] at the last position
        if (topK !== null) {
          const k = Math.min(topK, logits.shape[1]);
          const kth = logits.topk(k, -1).values.narrow(1, k - 1, 1); // [B, 1]: the k-th largest logit
          logits = logits.maskedFill(logits.lt(kth), -Infinity); // keep the k largest
        }
        const next = logits.softmax(-1).multinomial(1, false, { generator }); // [B, 1]
        out = cat([out, next], 1);
      }
    });
    this.train(wasTraining);
    return out;
  }
}

/**
 * AdamW's two parameter groups, as minGPT/nanoGPT: the weights of Linear layers (matmuls) get
 * weight decay; biases, LayerNorm weights and embeddings do not.
 */
export function gptParamGroups(model: Module, weightDecay: number): { decay: [string, Parameter][]; noDecay: [string, Parameter][]; groups: { params: Parameter[]; weightDecay: number }[] } {
  const matmulWeights = new Set<Parameter>();
  for (const m of model.modules()) if (m instanceof Linear) matmulWeights.add(m.weight);
  const decay: [string, Parameter][] = [];
  const noDecay: [string, Parameter][] = [];
  for (const entry of model.namedParameters()) (matmulWeights.has(entry[1]) ? decay : noDecay).push(entry);
  return {
    decay,
    noDecay,
    groups: [
      { params: decay.map(([, p]) => p), weightDecay },
      { params: noDecay.map(([, p]) => p), weightDecay: 0 },
    ],
  };
}

/**
 * nanoGPT's learning rate at iteration `it`: lr·(it + 1)/(warmupIters + 1) during the warmup, then
 * minLr + ½(1 + cos(π·r))·(lr − minLr) with r = (it − warmupIters)/(decayIters − warmupIters),
 * and minLr after decayIters.
 */
export function gptLearningRate(it: number, schedule: { lr: number; minLr: number; warmupIters: number; decayIters: number }): number {
  const { lr, minLr, warmupIters, decayIters } = schedule;
  if (it < warmupIters) return (lr * (it + 1)) / (warmupIters + 1);
  if (it > decayIters) return minLr;
  const ratio = decayIters === warmupIters ? 1 : (it - warmupIters) / (decayIters - warmupIters);
  return minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (lr - minLr);
}

/** `batchSize` random windows of `blockSize` ids and the windows one further (the targets), nanoGPT's get_batch. */
function getBatch(data: Int32Array, blockSize: number, batchSize: number, generator: Generator): { x: Tensor; y: Tensor } {
  const xs = new Int32Array(batchSize * blockSize);
  const ys = new Int32Array(batchSize * blockSize);
  for (let b = 0; b < batchSize; b++) {
    const i = generator.integer(0, data.length - blockSize);
    xs.set(data.subarray(i, i + blockSize), b * blockSize);
    ys.set(data.subarray(i + 1, i + 1 + blockSize), b * blockSize);
  }
  return { x: tensor(xs, { shape: [batchSize, blockSize], dtype: "int32" }), y: tensor(ys, { shape: [batchSize, blockSize], dtype: "int32" }) };
}

/** Cross-entropy of logits [B, T, V] against targets [B, T]. */
function lmLoss(logits: Tensor, targets: Tensor): Tensor {
  const V = logits.shape[2];
  return F.crossEntropy(logits.reshape([-1, V]), targets.reshape([-1]));
}

/** Trains the character GPT, samples text and writes gpt-loss.svg and gpt-lr.svg. */
export async function runGpt(options: GptOptions = {}): Promise<GptResult> {
  const op = "gpt";
  const nLayer = positiveInt(op, "nLayer", options.nLayer ?? 2);
  const nHead = positiveInt(op, "nHead", options.nHead ?? 2);
  const nEmbd = positiveInt(op, "nEmbd", options.nEmbd ?? 32);
  const blockSize = positiveInt(op, "blockSize", options.blockSize ?? 32);
  const dropout = options.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1)) throw new OptionError(`${op}: dropout must be in [0, 1), got ${dropout}`);
  const batchSize = positiveInt(op, "batchSize", options.batchSize ?? 16);
  const steps = positiveInt(op, "steps", options.steps ?? 2000);
  const lr = positive(op, "lr", options.lr ?? 3e-3);
  const minLr = options.minLr ?? lr / 10;
  if (!(minLr >= 0 && minLr <= lr)) throw new OptionError(`${op}: minLr must be in [0, lr = ${lr}], got ${minLr}`);
  const warmupIters = options.warmupIters ?? 100;
  if (!Number.isInteger(warmupIters) || warmupIters < 0) throw new OptionError(`${op}: warmupIters must be a non-negative integer, got ${warmupIters}`);
  const weightDecay = options.weightDecay ?? 0.1;
  if (!(weightDecay >= 0)) throw new OptionError(`${op}: weightDecay must be non-negative, got ${weightDecay}`);
  const beta2 = options.beta2 ?? 0.99;
  if (!(beta2 >= 0 && beta2 < 1)) throw new OptionError(`${op}: beta2 must be in [0, 1), got ${beta2}`);
  const gradClip = options.gradClip ?? 1;
  if (!(gradClip >= 0)) throw new OptionError(`${op}: gradClip must be non-negative, got ${gradClip}`);
  const evalInterval = positiveInt(op, "evalInterval", options.evalInterval ?? 250);
  const evalIters = positiveInt(op, "evalIters", options.evalIters ?? 20);
  const sampleLength = positiveInt(op, "sampleLength", options.sampleLength ?? 300);
  const temperature = positive(op, "temperature", options.temperature ?? 0.8);
  const topK = positiveInt(op, "topK", options.topK ?? 200);
  const startText = options.start ?? "\n";
  if (startText.length === 0) throw new OptionError(`${op}: start must not be empty`);
  if (nEmbd % nHead !== 0) throw new OptionError(`${op}: nEmbd must be a multiple of nHead, got nEmbd ${nEmbd} and nHead ${nHead}`);
  const seed = options.seed ?? DEFAULT_SEED;
  const out = new Reporter(options);
  manualSeed(seed);

  const dataset = options.data ?? "pride-and-prejudice";
  const text = readText(op, options.data ?? shippedTextPath("prideAndPrejudice"));
  const vocab = Vocab.ofChars(text);
  const ids = vocab.encode(op, Array.from(text));
  const n = Math.floor(0.9 * ids.length); // nanoGPT: the first 90% train, the rest validate
  const trainData = ids.subarray(0, n);
  const valData = ids.subarray(n);
  if (valData.length <= blockSize + 1) throw new DataError(`${op}: the text is too short for blockSize ${blockSize}: its last 10% (validation) has ${valData.length} characters`);
  const unknown = Array.from(startText).find((c) => !vocab.has(c));
  if (unknown !== undefined) throw new OptionError(`${op}: start contains ${JSON.stringify(unknown)}, which is not in the text's ${vocab.size} characters`);

  const config: GPTConfig = { vocabSize: vocab.size, blockSize, nLayer, nHead, nEmbd, dropout };
  const model = new GPT(config);
  const { decay, noDecay, groups } = gptParamGroups(model, weightDecay);
  const count = (list: [string, Parameter][]) => list.reduce((s, [, p]) => s + p.numel(), 0);
  const optimizer = new optim.AdamW(groups, { lr, betas: [0.9, beta2] });
  const schedule = { lr, minLr, warmupIters, decayIters: steps };
  const scheduler = new optim.LambdaLR(optimizer, (it) => gptLearningRate(it, schedule) / lr);

  const batchGen = new Generator(seed + 1);
  const evalGen = new Generator(seed + 2);
  const estimate = (data: Int32Array) =>
    noGrad(() => {
      model.eval();
      let total = 0;
      for (let i = 0; i < evalIters; i++) {
        const { x, y } = getBatch(data, blockSize, batchSize, evalGen);
        total += lmLoss(model.call(x), y).item();
      }
      model.train();
      return total / evalIters;
    });

  const uniformLoss = Math.log(vocab.size);
  const initialTrainLoss = estimate(trainData);
  const initialLoss = estimate(valData);
  const parameters = model.numParameters();
  out.log(`gpt: ${text.length} characters (${dataset}), vocabulary ${vocab.size} (uniform loss ${uniformLoss.toFixed(3)}), ${trainData.length} train / ${valData.length} validation`);
  out.log(`model: ${nLayer} layers, ${nHead} heads, ${nEmbd} features, context ${blockSize}, dropout ${dropout}: ${parameters} parameters`);
  out.log(
    `AdamW: ${decay.length} decayed tensors (${count(decay)} parameters, weight decay ${weightDecay}), ${noDecay.length} not decayed (${count(noDecay)}); ` +
      `lr ${lr} with ${warmupIters} warmup iterations, cosine to ${minLr} at ${steps}; clip ${gradClip || "off"}`,
  );

  const history: GptResult["history"] = [];
  const lrHistory: GptResult["lrHistory"] = [];
  const bar = out.progress("gpt", steps);
  const start = performance.now();
  for (let step = 0; step < steps; step++) {
    lrHistory.push({ step, lr: optimizer.paramGroups[0].lr });
    const { x, y } = getBatch(trainData, blockSize, batchSize, batchGen);
    const loss = lmLoss(model.call(x), y);
    optimizer.zeroGrad();
    loss.backward();
    if (gradClip > 0) optim.clipGradNorm_(model.parameters(), gradClip);
    optimizer.step();
    scheduler.step();
    const done = step + 1;
    if (done % evalInterval === 0 || done === steps) {
      const entry = { step: done, trainLoss: estimate(trainData), valLoss: estimate(valData) };
      history.push(entry);
      out.log(`step ${String(done).padStart(5)}: train loss ${entry.trainLoss.toFixed(4)}, val loss ${entry.valLoss.toFixed(4)}, lr ${lrHistory[step].lr.toExponential(2)}`);
      bar.update(done, `val ${entry.valLoss.toFixed(3)}`);
    } else if (done % 10 === 0) bar.update(done, `loss ${loss.item().toFixed(3)}`);
  }
  bar.done();
  const seconds = (performance.now() - start) / 1000;
  const { trainLoss, valLoss } = history[history.length - 1];
  out.log(`train loss ${trainLoss.toFixed(4)}, val loss ${valLoss.toFixed(4)} (uniform ${uniformLoss.toFixed(4)}), ${seconds.toFixed(1)} s`);

  const startIds = tensor(vocab.encode(op, Array.from(startText)), { shape: [1, startText.length], dtype: "int32" });
  const generated = model.generate(startIds, sampleLength, { temperature, topK, generator: new Generator(seed + 3) });
  const sample = vocab.decode(generated.toFlatArray().slice(startText.length)).join("");
  out.log(`sample (temperature ${temperature}, top-k ${Math.min(topK, vocab.size)}):\n${startText}${sample}`);

  const plots: string[] = [];
  if (!options.noPlots) {
    const dir = options.outDir ?? DEFAULT_OUT_DIR;
    const rows = [{ step: 0, trainLoss: initialTrainLoss, valLoss: initialLoss }, ...history].flatMap((h) => [
      { step: h.step, loss: h.trainLoss, series: "train" },
      { step: h.step, loss: h.valLoss, series: "validation" },
    ]);
    plots.push(await writeSvg(dir, "gpt-loss.svg", lineChart({ title: `gpt: cross-entropy per character (uniform guess ${uniformLoss.toFixed(2)})`, x: "step", y: "loss", rows, series: "series" })));
    plots.push(await writeSvg(dir, "gpt-lr.svg", lineChart({ title: "gpt: learning rate (linear warmup, cosine decay)", x: "step", y: "lr", rows: thin(lrHistory) })));
    out.log(`plots: ${plots.join(", ")}`);
  }
  return {
    example: "gpt", dataset, characters: text.length, vocabSize: vocab.size, uniformLoss, initialLoss, initialTrainLoss, trainLoss, valLoss, steps, parameters,
    decayedParameters: count(decay), nonDecayedParameters: count(noDecay), config, sample, seconds, history, lrHistory, plots,
  };
}
