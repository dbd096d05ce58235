/**
 * makemore — karpathy/makemore's character-level MLP (Bengio et al. 2003, as in the "makemore"
 * lectures, part 2 and 3): each character is predicted from the `blockSize` characters before it,
 * looked up in an embedding table, concatenated, passed through a tanh hidden layer (optionally
 * batch-normalized) and a linear layer to logits over the characters. "." is the start and end
 * token, so a name is sampled by starting from "..." and drawing characters until "." comes out.
 *
 * Trained on 5,163 first names of the 1990 US Census (public domain, data/names.txt) or on the
 * words of your own file (`data`, one a line). Minibatch SGD, lr 0.1 then 0.01 for the second
 * half, as the lecture. Reports the loss on the training and validation words (90% / 10%) next to
 * log(vocabulary), the loss of a uniform guess, and prints names sampled with `multinomial`.
 */

import { Generator, manualSeed, noGrad, randint, tensor, type Tensor } from "@tensorgrad/autograd";
import { BatchNorm1d, Embedding, Linear, Module, Sequential, Tanh, optim, functional as F } from "@tensorgrad/nn";
import { DataError } from "../common/errors.js";
import { DEFAULT_OUT_DIR, DEFAULT_SEED, positive, positiveInt, type CommonOptions } from "../common/options.js";
import { lineChart, thin, writeSvg } from "../common/plot.js";
import { Reporter } from "../common/reporter.js";
import { Vocab, readWords, shippedTextPath } from "../data/text.js";

/** Options of the makemore example (defaults: the lecture's MLP, fewer steps). */
export interface MakemoreOptions extends CommonOptions {
  /** A text file with one word a line; the shipped US Census first names when omitted. */
  readonly data?: string;
  /** Characters of context (default 3). */
  readonly blockSize?: number;
  /** Embedding dimension of each character (default 10). */
  readonly embDim?: number;
  /** Hidden units (default 200). */
  readonly hidden?: number;
  /** BatchNorm1d between the hidden layer and its tanh, as in part 3 of the lecture (default false). */
  readonly batchNorm?: boolean;
  /** SGD steps (default 10000); the learning rate drops ×0.1 after half of them. */
  readonly steps?: number;
  /** Minibatch size (default 32). */
  readonly batchSize?: number;
  /** Learning rate of the first half (default 0.1). */
  readonly lr?: number;
  /** Measure the train and validation loss every n steps (default 1000). */
  readonly evalEvery?: number;
  /** Names to sample after training (default 20). */
  readonly samples?: number;
  /** Divides the logits before the softmax when sampling (default 1). */
  readonly temperature?: number;
}

/** What runMakemore measured. */
export interface MakemoreResult {
  readonly example: "makemore";
  /** "names" (the shipped list) or the path of `data`. */
  readonly dataset: string;
  readonly words: number;
  /** Characters plus the "." start/end token. */
  readonly vocabSize: number;
  /** log(vocabSize): the loss of a uniform guess. */
  readonly uniformLoss: number;
  /** Validation loss of the untrained network. */
  readonly initialLoss: number;
  /** Training loss of the untrained network. */
  readonly initialTrainLoss: number;
  /** Mean cross-entropy over every training example after training. */
  readonly trainLoss: number;
  /** Mean cross-entropy over every validation example after training. */
  readonly valLoss: number;
  readonly steps: number;
  readonly parameters: number;
  readonly batchNorm: boolean;
  /** The sampled names. */
  readonly samples: string[];
  /** How many samples are not among the training words. */
  readonly novelSamples: number;
  readonly seconds: number;
  /** Mean minibatch loss over each `evalEvery` steps, and the train/validation loss at their end. */
  readonly history: { step: number; batchLoss: number; trainLoss: number; valLoss: number }[];
  readonly plots: string[];
}

/**
 * The MLP of makemore: wte (embedding of each context character), then mlp = Linear(blockSize·embDim,
 * hidden) [→ BatchNorm1d] → Tanh → Linear(hidden, vocab). forward maps int32 contexts [N, blockSize]
 * to logits [N, vocab].
 */
export class MakemoreMLP extends Module {
  readonly blockSize: number;
  wte: Embedding;
  mlp: Sequential;

  constructor(vocabSize: number, blockSize: number, embDim: number, hidden: number, batchNorm: boolean) {
    super();
    this.blockSize = blockSize;
    this.wte = new Embedding(vocabSize, embDim);
    const first = new Linear(blockSize * embDim, hidden, { bias: !batchNorm }); // BatchNorm's shift replaces the bias
    const last = new Linear(hidden, vocabSize);
    this.mlp = batchNorm ? new Sequential(first, new BatchNorm1d(hidden), new Tanh(), last) : new Sequential(first, new Tanh(), last);
    // Part 3's fix of the "hockey stick": a less confident output layer starts near the uniform loss.
    noGrad(() => {
      last.weight.mul_(0.1);
      last.bias?.zero_();
    });
  }

  /** Logits [N, vocab] of the character after each context [N, blockSize]. */
  forward(context: Tensor): Tensor {
    const emb = this.wte.call(context); // [N, blockSize, embDim]
    return this.mlp.call(emb.reshape([emb.shape[0], -1])); // concatenate the context's embeddings
  }
}

/** Every (context, next character) pair of `words`: the context starts as blockSize "." (id 0). */
function examples(words: readonly string[], vocab: Vocab, blockSize: number): { x: Tensor; y: Tensor } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const word of words) {
    const context = new Array<number>(blockSize).fill(0);
    for (const id of [...vocab.encode("makemore", Array.from(word)), 0]) {
      xs.push(...context);
      ys.push(id);
      context.shift();
      context.push(id);
    }
  }
  return { x: tensor(xs, { shape: [ys.length, blockSize], dtype: "int32" }), y: tensor(ys, { dtype: "int32" }) };
}

/** Samples `count` words: start from "…" and draw from softmax(logits / temperature) until "." or maxLength characters. */
export function sampleWords(model: MakemoreMLP, vocab: Vocab, count: number, options: { temperature?: number; maxLength?: number; generator?: Generator } = {}): string[] {
  const { temperature = 1, maxLength = 30, generator } = options;
  const B = model.blockSize;
  const contexts = new Int32Array(count * B); // all "." at first
  const words: string[][] = Array.from({ length: count }, () => []);
  const done = new Array<boolean>(count).fill(false);
  const wasTraining = model.training;
  model.eval();
  noGrad(() => {
    for (let t = 0; t < maxLength && done.includes(false); t++) {
      const logits = model.call(tensor(contexts, { shape: [count, B], dtype: "int32" }));
      const next = logits.div(temperature).softmax(-1).multinomial(1, false, { generator }).toFlatArray();
      for (let s = 0; s < count; s++) {
        contexts.copyWithin(s * B, s * B + 1, (s + 1) * B);
        contexts[(s + 1) * B - 1] = next[s];
        if (done[s]) continue;
        if (next[s] === 0) done[s] = true;
        else words[s].push(vocab.tokens[next[s]]);
      }
    }
  });
  model.train(wasTraining);
  return words.map((w) => w.join(""));
}

/** Trains the MLP, samples names and writes makemore-loss.svg. */
export async function runMakemore(options: MakemoreOptions = {}): Promise<MakemoreResult> {
  const op = "makemore";
  const blockSize = positiveInt(op, "blockSize", options.blockSize ?? 3);
  const embDim = positiveInt(op, "embDim", options.embDim ?? 10);
  const hidden = positiveInt(op, "hidden", options.hidden ?? 200);
  const batchNorm = options.batchNorm ?? false;
  const steps = positiveInt(op, "steps", options.steps ?? 10000);
  const batchSize = positiveInt(op, "batchSize", options.batchSize ?? 32);
  const lr = positive(op, "lr", options.lr ?? 0.1);
  const evalEvery = positiveInt(op, "evalEvery", options.evalEvery ?? 1000);
  const sampleCount = positiveInt(op, "samples", options.samples ?? 20);
  const temperature = positive(op, "temperature", options.temperature ?? 1);
  const seed = options.seed ?? DEFAULT_SEED;
  const out = new Reporter(options);
  manualSeed(seed);

  const path = options.data ?? shippedTextPath("names");
  const dataset = options.data ?? "names";
  const words = readWords(op, path);
  const bad = words.find((w) => w.includes("."));
  if (bad !== undefined) throw new DataError(`${op}: words must not contain ".", the start/end token, got ${JSON.stringify(bad)}`);
  if (words.length < 10) throw new DataError(`${op}: need at least 10 words (one a line) to split into training and validation, got ${words.length} in ${path}`);
  const vocab = Vocab.ofChars(words.join(""), ["."]);

  // Shuffle the words with the seed, then 90% train, 10% validation (by word, so no name is in both).
  const shuffled = [...words];
  const gen = new Generator(seed + 1);
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(gen.uniform() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  const nTrain = Math.round(0.9 * shuffled.length);
  const trainWords = shuffled.slice(0, nTrain);
  const train = examples(trainWords, vocab, blockSize);
  const val = examples(shuffled.slice(nTrain), vocab, blockSize);

  const model = new MakemoreMLP(vocab.size, blockSize, embDim, hidden, batchNorm);
  const optimizer = new optim.SGD(model.parameters(), { lr });
  const scheduler = new optim.MultiStepLR(optimizer, [Math.floor(steps / 2)], 0.1); // lr 0.1 → 0.01 halfway
  const lossOn = (set: { x: Tensor; y: Tensor }) =>
    noGrad(() => {
      model.eval(); // BatchNorm uses its running statistics
      const loss = F.crossEntropy(model.call(set.x), set.y).item();
      model.train();
      return loss;
    });
  const uniformLoss = Math.log(vocab.size);
  const initialLoss = lossOn(val);
  const initialTrainLoss = lossOn(train);
  const parameters = model.numParameters();
  out.log(
    `makemore: ${words.length} words (${dataset}), ${train.y.shape[0]} training / ${val.y.shape[0]} validation examples, vocabulary ${vocab.size} (uniform loss ${uniformLoss.toFixed(3)})`,
  );
  out.log(`MLP: context ${blockSize}, embedding ${embDim}, hidden ${hidden}${batchNorm ? " + BatchNorm1d" : ""}, ${parameters} parameters; SGD lr ${lr} → ${lr / 10} at step ${Math.floor(steps / 2)}, batch ${batchSize}`);

  const batches = new Generator(seed + 2);
  const history: MakemoreResult["history"] = [];
  const bar = out.progress("makemore", steps);
  const start = performance.now();
  let windowLoss = 0;
  let windowSteps = 0;
  for (let step = 1; step <= steps; step++) {
    const ix = randint(0, train.y.shape[0], [batchSize], { generator: batches, dtype: "int32" });
    const loss = F.crossEntropy(model.call(train.x.indexSelect(0, ix)), train.y.indexSelect(0, ix));
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    scheduler.step();
    windowLoss += loss.item();
    windowSteps++;
    if (step % evalEvery === 0 || step === steps) {
      const entry = { step, batchLoss: windowLoss / windowSteps, trainLoss: lossOn(train), valLoss: lossOn(val) };
      history.push(entry);
      windowLoss = 0;
      windowSteps = 0;
      out.log(`step ${String(step).padStart(6)}  batch loss ${entry.batchLoss.toFixed(4)}  train ${entry.trainLoss.toFixed(4)}  val ${entry.valLoss.toFixed(4)}`);
      bar.update(step, `val ${entry.valLoss.toFixed(3)}`);
    } else if (step % 50 === 0) bar.update(step);
  }
  bar.done();
  const seconds = (performance.now() - start) / 1000;
  const { trainLoss, valLoss } = history[history.length - 1];
  out.log(`train loss ${trainLoss.toFixed(4)}, val loss ${valLoss.toFixed(4)} (uniform ${uniformLoss.toFixed(4)}), ${seconds.toFixed(1)} s`);

  const samples = sampleWords(model, vocab, sampleCount, { temperature, generator: new Generator(seed + 3) });
  const known = new Set(trainWords);
  const novelSamples = samples.filter((s) => !known.has(s)).length;
  out.log(`samples (${novelSamples} of ${samples.length} not in the training words):`);
  for (const s of samples) out.log(`  ${s}`);

  const plots: string[] = [];
  if (!options.noPlots) {
    const dir = options.outDir ?? DEFAULT_OUT_DIR;
    const rows = [
      { step: 0, loss: initialTrainLoss, series: "train" },
      { step: 0, loss: initialLoss, series: "validation" },
      ...thin(history).flatMap((h) => [
        { step: h.step, loss: h.batchLoss, series: "minibatch (mean)" },
        { step: h.step, loss: h.trainLoss, series: "train" },
        { step: h.step, loss: h.valLoss, series: "validation" },
      ]),
    ];
    plots.push(await writeSvg(dir, "makemore-loss.svg", lineChart({ title: `makemore: cross-entropy (uniform guess ${uniformLoss.toFixed(2)})`, x: "step", y: "loss", rows, series: "series" })));
    out.log(`plots: ${plots.join(", ")}`);
  }
  return {
    example: "makemore", dataset, words: words.length, vocabSize: vocab.size, uniformLoss, initialLoss, initialTrainLoss, trainLoss, valLoss, steps, parameters, batchNorm,
    samples, novelSamples, seconds, history, plots,
  };
}
