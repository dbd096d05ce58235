/**
 * lstm — pytorch/examples' word_language_model: Embedding → LSTM (or GRU) → dropout → Linear
 * decoder, a language model trained with truncated backpropagation through time. The token
 * stream is cut into `batchSize` columns (batchify) and walked in chunks of `bptt` steps; the
 * hidden state carries over from chunk to chunk but is detached, so gradients stop at the chunk's
 * start. Plain SGD at lr 20 with the gradients' norm clipped to 0.25, and lr ÷ 4 after an epoch
 * that does not improve the validation loss, as the original; the best model by validation loss
 * is kept and measured on the test tokens. Loss is reported as perplexity exp(loss), next to the
 * vocabulary size (the perplexity of a uniform guess).
 *
 * Character level by default (the shipped text is small); `level: "word"` splits on whitespace
 * with `<eos>` at line ends, as the original's data.py. The text is chapters 1–17 of Pride and
 * Prejudice (public domain, data/) or `data`: the first 80% of its tokens train, the next 10%
 * validate, the last 10% test. A sample is generated at the end, as the original's generate.py.
 */

import { Generator, manualSeed, noGrad, tensor, type Tensor } from "@tensorgrad/autograd";
import { Dropout, Embedding, GRU, LSTM, Linear, Module, init, optim, type StateDict, functional as F } from "@tensorgrad/nn";
import { DataError, OptionError } from "../common/errors.js";
import { DEFAULT_OUT_DIR, DEFAULT_SEED, positive, positiveInt, type CommonOptions } from "../common/options.js";
import { lineChart, thin, writeSvg } from "../common/plot.js";
import { Reporter } from "../common/reporter.js";
import { Vocab, readText, shippedTextPath, wordTokens } from "../data/text.js";

/** The recurrent layer of the model. */
export type RecurrentKind = "LSTM" | "GRU";

/** What a token is: a character, or a whitespace-separated word. */
export type TokenLevel = "char" | "word";

/** Options of the lstm example (defaults: the original's recipe on a smaller model, character level). */
export interface LstmOptions extends CommonOptions {
  /** A text file to train on; the shipped Pride and Prejudice chapters when omitted. */
  readonly data?: string;
  /** "char" (default) or "word" tokens. */
  readonly level?: TokenLevel;
  /** "LSTM" (default) or "GRU". */
  readonly model?: RecurrentKind;
  /** Embedding size (default 64). */
  readonly emsize?: number;
  /** Hidden units per layer (default 128). */
  readonly nhid?: number;
  /** Recurrent layers (default 2). */
  readonly nlayers?: number;
  /** Initial learning rate of plain SGD (default 20). */
  readonly lr?: number;
  /** Gradient norm clipping (default 0.25). */
  readonly clip?: number;
  /** Passes over the training tokens (default 3). */
  readonly epochs?: number;
  /** Columns the training stream is cut into (default 20; evaluation uses 10). */
  readonly batchSize?: number;
  /** Steps of truncated backpropagation through time (default 35). */
  readonly bptt?: number;
  /** Dropout on the embeddings, between recurrent layers and before the decoder (default 0.2). */
  readonly dropout?: number;
  /** Share the embedding and decoder weights (needs emsize = nhid; default false). */
  readonly tied?: boolean;
  /** Use only the first n tokens of the text (default: all). */
  readonly maxTokens?: number;
  /** Log the training loss every n chunks (default 50). */
  readonly logInterval?: number;
  /** Tokens to generate after training (default 300). */
  readonly sampleLength?: number;
  /** Divides the log-probabilities when generating (default 1). */
  readonly temperature?: number;
}

/** What runLstm measured. */
export interface LstmResult {
  readonly example: "lstm";
  /** "pride-and-prejudice" (the shipped text) or the path of `data`. */
  readonly dataset: string;
  readonly level: TokenLevel;
  readonly model: RecurrentKind;
  readonly tokens: number;
  readonly vocabSize: number;
  /** Validation perplexity of the untrained model (≈ vocabSize, a uniform guess). */
  readonly initialValPerplexity: number;
  /** Mean training loss of the last epoch. */
  readonly trainLoss: number;
  /** The best epoch's validation loss and perplexity. */
  readonly valLoss: number;
  readonly valPerplexity: number;
  /** Test loss and perplexity of the best model. */
  readonly testLoss: number;
  readonly testPerplexity: number;
  readonly epochs: number;
  readonly parameters: number;
  /** The generated text. */
  readonly sample: string;
  readonly seconds: number;
  /** Per epoch: mean training loss, validation loss and perplexity, and the learning rate used. */
  readonly history: { epoch: number; trainLoss: number; valLoss: number; valPerplexity: number; lr: number }[];
  /** Mean training loss every logInterval chunks and at the end of each epoch (x = chunks trained so far). */
  readonly batchHistory: { batch: number; loss: number }[];
  readonly plots: string[];
}

/** The recurrent state: LSTM's [h, c] or GRU's h, each [nlayers, batch, nhid]. */
export type RecurrentState = Tensor | readonly [Tensor, Tensor];

/** word_language_model's RNNModel: encoder (Embedding), rnn (LSTM or GRU), decoder (Linear), dropout `drop`. */
export class RNNModel extends Module<[input: Tensor, hidden: RecurrentState], [Tensor, RecurrentState]> {
  readonly kind: RecurrentKind;
  readonly ntoken: number;
  readonly nhid: number;
  readonly nlayers: number;
  drop: Dropout;
  encoder: Embedding;
  rnn: LSTM | GRU;
  decoder: Linear;

  constructor(kind: RecurrentKind, ntoken: number, ninp: number, nhid: number, nlayers: number, dropout = 0.5, tied = false) {
    super();
    this.kind = kind;
    this.ntoken = ntoken;
    this.nhid = nhid;
    this.nlayers = nlayers;
    this.drop = new Dropout(dropout);
    this.encoder = new Embedding(ntoken, ninp);
    this.rnn = kind === "LSTM" ? new LSTM(ninp, nhid, { numLayers: nlayers, dropout }) : new GRU(ninp, nhid, { numLayers: nlayers, dropout });
    this.decoder = new Linear(nhid, ntoken);
    if (tied) {
      if (nhid !== ninp) throw new OptionError(`RNNModel: when using the tied flag, nhid must be equal to emsize, got nhid ${nhid} and emsize ${ninp}`);
      this.decoder.weight = this.encoder.weight;
    }
    // init_weights: U(−0.1, 0.1) embedding and decoder weights, zero decoder bias.
    noGrad(() => {
      init.uniform_(this.encoder.weight, -0.1, 0.1);
      if (!tied) init.uniform_(this.decoder.weight, -0.1, 0.1);
      init.zeros_(this.decoder.bias as Tensor);
    });
  }

  /** input [seq, batch] int32 → [log-probabilities [seq·batch, ntoken], the next hidden state]. */
  forward(input: Tensor, hidden: RecurrentState): [Tensor, RecurrentState] {
    const emb = this.drop.call(this.encoder.call(input));
    const [output, next] = this.rnn instanceof LSTM ? this.rnn.call(emb, hidden as readonly [Tensor, Tensor]) : this.rnn.call(emb, hidden as Tensor);
    const decoded = this.decoder.call(this.drop.call(output));
    return [decoded.reshape([-1, this.ntoken]).logSoftmax(1), next];
  }

  /** Zero state for a batch of `bsz` columns. */
  initHidden(bsz: number): RecurrentState {
    const zeros = () => this.decoder.weight.newZeros([this.nlayers, bsz, this.nhid]);
    return this.kind === "LSTM" ? [zeros(), zeros()] : zeros();
  }
}

/** The same state cut off from the graph (word_language_model's repackage_hidden). */
export function repackageHidden(h: RecurrentState): RecurrentState {
  return h instanceof Array ? [h[0].detach(), h[1].detach()] : (h as Tensor).detach();
}

/** Cuts the token stream into `bsz` columns: [nbatch, bsz], column j holding tokens j·nbatch … (j+1)·nbatch − 1. */
export function batchify(data: Int32Array, bsz: number): Tensor {
  const nbatch = Math.floor(data.length / bsz);
  return tensor(data.subarray(0, nbatch * bsz), { shape: [bsz, nbatch], dtype: "int32" }).t().contiguous();
}

/** Rows i … i+seqLen−1 of `source` as input and the rows one further, flattened, as targets. */
function getBatch(source: Tensor, i: number, bptt: number): { data: Tensor; targets: Tensor } {
  const seqLen = Math.min(bptt, source.shape[0] - 1 - i);
  return { data: source.narrow(0, i, seqLen), targets: source.narrow(0, i + 1, seqLen).reshape([-1]) };
}

function cloneState(sd: StateDict): StateDict {
  return Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, t.clone()]));
}

/** Trains the language model, generates a sample and writes lstm-loss.svg. */
export async function runLstm(options: LstmOptions = {}): Promise<LstmResult> {
  const op = "lstm";
  const level = options.level ?? "char";
  if (level !== "char" && level !== "word") throw new OptionError(`${op}: unknown level "${String(level)}" (expected char or word)`);
  const kind = options.model ?? "LSTM";
  if (kind !== "LSTM" && kind !== "GRU") throw new OptionError(`${op}: unknown model "${String(kind)}" (expected LSTM or GRU)`);
  const emsize = positiveInt(op, "emsize", options.emsize ?? 64);
  const nhid = positiveInt(op, "nhid", options.nhid ?? 128);
  const nlayers = positiveInt(op, "nlayers", options.nlayers ?? 2);
  let lr = positive(op, "lr", options.lr ?? 20);
  const clip = positive(op, "clip", options.clip ?? 0.25);
  const epochs = positiveInt(op, "epochs", options.epochs ?? 3);
  const batchSize = positiveInt(op, "batchSize", options.batchSize ?? 20);
  const bptt = positiveInt(op, "bptt", options.bptt ?? 35);
  const dropout = options.dropout ?? 0.2;
  if (!(dropout >= 0 && dropout < 1)) throw new OptionError(`${op}: dropout must be in [0, 1), got ${dropout}`);
  const tied = options.tied ?? false;
  const logInterval = positiveInt(op, "logInterval", options.logInterval ?? 50);
  const sampleLength = positiveInt(op, "sampleLength", options.sampleLength ?? 300);
  const temperature = positive(op, "temperature", options.temperature ?? 1);
  const evalBatchSize = 10;
  const seed = options.seed ?? DEFAULT_SEED;
  const out = new Reporter(options);
  manualSeed(seed);

  const dataset = options.data ?? "pride-and-prejudice";
  const text = readText(op, options.data ?? shippedTextPath("prideAndPrejudice"));
  let tokens = level === "char" ? Array.from(text) : wordTokens(text);
  if (options.maxTokens !== undefined) tokens = tokens.slice(0, positiveInt(op, "maxTokens", options.maxTokens));
  const vocab = level === "char" ? Vocab.ofChars(tokens.join("")) : Vocab.ofTokens(tokens);
  const ids = vocab.encode(op, tokens);
  const nTrain = Math.floor(0.8 * ids.length);
  const nVal = Math.floor(0.1 * ids.length);
  const splits = [["training", ids.subarray(0, nTrain), batchSize], ["validation", ids.subarray(nTrain, nTrain + nVal), evalBatchSize], ["test", ids.subarray(nTrain + nVal), evalBatchSize]] as const;
  for (const [name, part, columns] of splits) {
    if (part.length < 2 * columns) throw new DataError(`${op}: the ${name} split has ${part.length} of the ${ids.length} ${level} tokens, too few for ${columns} columns of at least 2`);
  }
  const [trainData, valData, testData] = splits.map(([, part, columns]) => batchify(part, columns));

  const model = new RNNModel(kind, vocab.size, emsize, nhid, nlayers, dropout, tied);
  const parameters = model.numParameters();
  const evaluate = (source: Tensor): number =>
    noGrad(() => {
      model.eval();
      let total = 0;
      let hidden = model.initHidden(evalBatchSize);
      for (let i = 0; i < source.shape[0] - 1; i += bptt) {
        const { data, targets } = getBatch(source, i, bptt);
        const [output, next] = model.call(data, hidden);
        hidden = next;
        total += data.shape[0] * F.nllLoss(output, targets).item();
      }
      model.train();
      return total / (source.shape[0] - 1);
    });

  const initialValPerplexity = Math.exp(evaluate(valData));
  out.log(`lstm: ${ids.length} ${level} tokens (${dataset}), vocabulary ${vocab.size}; ${nTrain} train / ${nVal} validation / ${ids.length - nTrain - nVal} test`);
  out.log(
    `model: ${kind}, ${nlayers} layer(s) of ${nhid}, embedding ${emsize}${tied ? " (tied to the decoder)" : ""}, dropout ${dropout}: ${parameters} parameters; ` +
      `SGD lr ${lr}, clip ${clip}, batch ${batchSize}, bptt ${bptt}; initial validation perplexity ${initialValPerplexity.toFixed(1)}`,
  );

  const history: LstmResult["history"] = [];
  const batchHistory: LstmResult["batchHistory"] = [];
  let best: { loss: number; state: StateDict } | null = null;
  let chunksDone = 0;
  const chunksPerEpoch = Math.ceil((trainData.shape[0] - 1) / bptt);
  const start = performance.now();
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const bar = out.progress(`epoch ${epoch}`, chunksPerEpoch);
    let hidden = model.initHidden(batchSize);
    let epochLoss = 0;
    let windowLoss = 0;
    let chunks = 0;
    for (let i = 0; i < trainData.shape[0] - 1; i += bptt) {
      const { data, targets } = getBatch(trainData, i, bptt);
      model.zeroGrad();
      hidden = repackageHidden(hidden); // truncated BPTT: the state carries over, its history does not
      const [output, next] = model.call(data, hidden);
      hidden = next;
      const loss = F.nllLoss(output, targets);
      loss.backward();
      optim.clipGradNorm_(model.parameters(), clip); // keeps exploding gradients in check
      noGrad(() => {
        for (const p of model.parameters()) if (p.grad !== null) p.add_(p.grad, -lr); // p ← p − lr·∇p
      });
      const l = loss.item();
      epochLoss += l;
      windowLoss += l;
      chunks++;
      chunksDone++;
      if (chunks % logInterval === 0) {
        const mean = windowLoss / logInterval;
        batchHistory.push({ batch: chunksDone, loss: mean });
        out.log(`| epoch ${epoch} | ${String(chunks).padStart(5)}/${chunksPerEpoch} chunks | lr ${lr.toFixed(2)} | loss ${mean.toFixed(2)} | ppl ${Math.exp(mean).toFixed(2)}`);
        windowLoss = 0;
      }
      bar.update(chunks, `loss ${l.toFixed(3)}`);
    }
    bar.done();
    const rest = chunks % logInterval; // chunks since the last logged window
    if (rest > 0) batchHistory.push({ batch: chunksDone, loss: windowLoss / rest });
    const valLoss = evaluate(valData);
    history.push({ epoch, trainLoss: epochLoss / chunks, valLoss, valPerplexity: Math.exp(valLoss), lr });
    out.log(`| end of epoch ${epoch} | ${((performance.now() - start) / 1000).toFixed(1)} s | valid loss ${valLoss.toFixed(2)} | valid ppl ${Math.exp(valLoss).toFixed(2)}`);
    if (best === null || valLoss < best.loss) best = { loss: valLoss, state: cloneState(model.stateDict()) };
    else lr /= 4; // anneal the learning rate when validation stops improving
  }
  const seconds = (performance.now() - start) / 1000;
  const kept = best as { loss: number; state: StateDict };
  model.loadStateDict(kept.state);
  const testLoss = evaluate(testData);
  out.log(`| end of training | test loss ${testLoss.toFixed(2)} | test ppl ${Math.exp(testLoss).toFixed(2)} | uniform guess ppl ${vocab.size} | ${seconds.toFixed(1)} s`);

  const sample = generate(model, vocab, level, sampleLength, temperature, new Generator(seed + 1));
  out.log(`sample (temperature ${temperature}):\n${sample}`);

  const plots: string[] = [];
  if (!options.noPlots) {
    const dir = options.outDir ?? DEFAULT_OUT_DIR;
    const rows = [
      ...thin(batchHistory).map((b) => ({ batch: b.batch, loss: b.loss, series: "training" })),
      { batch: 0, loss: Math.log(initialValPerplexity), series: "validation" },
      ...history.map((h) => ({ batch: h.epoch * chunksPerEpoch, loss: h.valLoss, series: "validation" })),
    ];
    plots.push(await writeSvg(dir, "lstm-loss.svg", lineChart({ title: `lstm: ${kind} ${level}-level cross-entropy (uniform guess ${Math.log(vocab.size).toFixed(2)})`, x: "batch", y: "loss", rows, series: "series" })));
    out.log(`plots: ${plots.join(", ")}`);
  }
  return {
    example: "lstm", dataset, level, model: kind, tokens: ids.length, vocabSize: vocab.size, initialValPerplexity, trainLoss: history[history.length - 1].trainLoss,
    valLoss: kept.loss, valPerplexity: Math.exp(kept.loss), testLoss, testPerplexity: Math.exp(testLoss), epochs, parameters, sample, seconds, history, batchHistory, plots,
  };
}

/**
 * generate.py: from a line end (newline or `<eos>`), feed each drawn token back in and draw the
 * next from exp(log-probabilities / temperature) with `multinomial`.
 */
function generate(model: RNNModel, vocab: Vocab, level: TokenLevel, length: number, temperature: number, generator: Generator): string {
  const startToken = level === "char" ? "\n" : "<eos>";
  let token = vocab.has(startToken) ? vocab.encode("lstm", [startToken])[0] : 0;
  const drawn: number[] = [];
  model.eval();
  noGrad(() => {
    let hidden = model.initHidden(1);
    for (let i = 0; i < length; i++) {
      const [output, next] = model.call(tensor([token], { shape: [1, 1], dtype: "int32" }), hidden);
      hidden = next;
      token = output.squeeze(0).div(temperature).exp().multinomial(1, false, { generator }).item();
      drawn.push(token);
    }
  });
  model.train();
  const words = vocab.decode(drawn);
  return level === "char" ? words.join("") : words.map((w) => (w === "<eos>" ? "\n" : w)).join(" ").replace(/ ?\n ?/g, "\n");
}
