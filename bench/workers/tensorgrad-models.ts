/**
 * The model workloads W5–W9 on tensorgrad: the models of @tensorgrad/examples (CnnNet, MakemoreMLP,
 * GPT, RNNModel, VaeNet) and @tensorgrad/nn's losses and optimizers, from the BUILT packages
 * (imported by path in tensorgrad.ts; only types are imported here, so the compiled worker bundles
 * none of them). Initial weights: the workload's safetensors file through nn's loadSafetensors and
 * loadStateDict (strict: every PyTorch name must match).
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readF32, readI32, type ModelSpec } from "../lib/data.js";
import { median, rssMB, since, type ModelWorkloadId, type WorkerArgs, type WorkloadResult } from "../lib/protocol.js";

type Tg = typeof import("@tensorgrad/autograd");
type Nn = typeof import("@tensorgrad/nn");
type Ex = typeof import("@tensorgrad/examples");
type Tensor = import("@tensorgrad/autograd").Tensor;
type AnyModule = import("@tensorgrad/nn").AnyModule;
type RecurrentState = import("@tensorgrad/examples").RecurrentState;
type Measured = Omit<WorkloadResult, "workload" | "peakRssMB">;

/** The three built packages. */
export interface Libs {
  readonly tg: Tg;
  readonly nn: Nn;
  readonly ex: Ex;
}

/** Loads the workload's initial weights into `model` (strict: names and shapes must match). */
function loadWeights(nn: Nn, model: AnyModule, dataDir: string, spec: ModelSpec): void {
  model.loadStateDict(nn.loadSafetensors(readFileSync(join(dataDir, spec.weights))));
  model.train();
}

/** Batch `i` of a [nBatches, ...rest] array as a tensor of shape `rest`. */
function batches(tg: Tg, values: Float32Array | Int32Array, spec: ModelSpec, shape: readonly number[]): Tensor[] {
  const size = shape.reduce((a, b) => a * b, 1);
  const dtype = values instanceof Int32Array ? "int32" : "float32";
  return Array.from({ length: spec.nBatches }, (_, i) => tg.tensor(values.subarray(i * size, (i + 1) * size), { shape, dtype }));
}

/** Runs warmup + timed steps; the median time of the timed ones, the losses of the first and last. */
function trainLoop(spec: ModelSpec, step: (i: number) => Tensor): Measured {
  const baseRssMB = rssMB();
  const times: number[] = [];
  let firstLoss = NaN;
  let last: Tensor | null = null;
  for (let i = 0; i < spec.warmup + spec.timed; i++) {
    const t0 = performance.now();
    last = step(i);
    if (i >= spec.warmup) times.push(since(t0));
    if (i === 0) firstLoss = last.item();
  }
  return { seconds: median(times), firstLoss, loss: last!.item(), baseRssMB };
}

/** W5: the MNIST CNN (dropout replaced by p = 0), nll of log_softmax, Adadelta. */
function w5({ tg, nn, ex }: Libs, { manifest: m, dataDir }: WorkerArgs): Measured {
  const s = m.w5;
  const model = new ex.CnnNet();
  model.dropout1 = new nn.Dropout(0);
  model.dropout2 = new nn.Dropout(0);
  loadWeights(nn, model, dataDir, s);
  const xs = batches(tg, readF32(dataDir, s.x), s, [s.batch, 1, 28, 28]);
  const ys = batches(tg, readI32(dataDir, s.y), s, [s.batch]);
  const opt = new nn.optim.Adadelta(model.parameters(), { lr: s.lr, rho: s.rho, eps: s.eps });
  return trainLoop(s, (i) => {
    opt.zeroGrad();
    const loss = nn.functional.nllLoss(model.call(xs[i % s.nBatches]), ys[i % s.nBatches]);
    loss.backward();
    opt.step();
    return loss;
  });
}

/** W6: makemore's MLP, cross-entropy, SGD. */
function w6({ tg, nn, ex }: Libs, { manifest: m, dataDir }: WorkerArgs): Measured {
  const s = m.w6;
  const model = new ex.MakemoreMLP(s.vocab, s.blockSize, s.embDim, s.hidden, false);
  loadWeights(nn, model, dataDir, s);
  const xs = batches(tg, readI32(dataDir, s.x), s, [s.batch, s.blockSize]);
  const ys = batches(tg, readI32(dataDir, s.y), s, [s.batch]);
  const opt = new nn.optim.SGD(model.parameters(), { lr: s.lr });
  return trainLoop(s, (i) => {
    opt.zeroGrad();
    const loss = nn.functional.crossEntropy(model.call(xs[i % s.nBatches]), ys[i % s.nBatches]);
    loss.backward();
    opt.step();
    return loss;
  });
}

/** W7: nanoGPT, cross-entropy over every position, clipGradNorm_, AdamW. */
function w7({ tg, nn, ex }: Libs, { manifest: m, dataDir }: WorkerArgs): Measured {
  const s = m.w7;
  const model = new ex.GPT({ vocabSize: s.vocab, blockSize: s.blockSize, nLayer: s.nLayer, nHead: s.nHead, nEmbd: s.nEmbd, dropout: 0 });
  loadWeights(nn, model, dataDir, s);
  const xs = batches(tg, readI32(dataDir, s.x), s, [s.batch, s.blockSize]);
  const ys = batches(tg, readI32(dataDir, s.y), s, [s.batch * s.blockSize]);
  const params = model.parameters();
  const opt = new nn.optim.AdamW(params, { lr: s.lr, betas: [s.betas[0], s.betas[1]], eps: s.eps, weightDecay: s.weightDecay });
  return trainLoop(s, (i) => {
    opt.zeroGrad();
    const logits = model.call(xs[i % s.nBatches]);
    const loss = nn.functional.crossEntropy(logits.reshape([-1, s.vocab]), ys[i % s.nBatches]);
    loss.backward();
    nn.optim.clipGradNorm_(params, s.clip);
    opt.step();
    return loss;
  });
}

/** W8: word_language_model's LSTM, hidden state carried and detached, clipGradNorm_, SGD. */
function w8({ tg, nn, ex }: Libs, { manifest: m, dataDir }: WorkerArgs): Measured {
  const s = m.w8;
  const model = new ex.RNNModel("LSTM", s.vocab, s.emb, s.hidden, s.layers, 0);
  loadWeights(nn, model, dataDir, s);
  const xs = batches(tg, readI32(dataDir, s.x), s, [s.bptt, s.batch]);
  const ys = batches(tg, readI32(dataDir, s.y), s, [s.bptt * s.batch]);
  const params = model.parameters();
  const opt = new nn.optim.SGD(params, { lr: s.lr });
  let hidden: RecurrentState = model.initHidden(s.batch);
  return trainLoop(s, (i) => {
    hidden = ex.repackageHidden(hidden);
    opt.zeroGrad();
    const [out, next] = model.call(xs[i % s.nBatches], hidden);
    hidden = next;
    const loss = nn.functional.nllLoss(out, ys[i % s.nBatches]);
    loss.backward();
    nn.optim.clipGradNorm_(params, s.clip);
    opt.step();
    return loss;
  });
}

/** W9: the VAE with ε read from the data, BCE (sum) + KLD, Adam. */
function w9({ tg, nn, ex }: Libs, { manifest: m, dataDir }: WorkerArgs): Measured {
  const s = m.w9;
  const model = new ex.VaeNet({ pixels: s.pixels, hidden: s.hidden, latent: s.latent });
  loadWeights(nn, model, dataDir, s);
  const xs = batches(tg, readF32(dataDir, s.x), s, [s.batch, s.pixels]);
  const noise = batches(tg, readF32(dataDir, s.noise), s, [s.batch, s.latent]);
  const opt = new nn.optim.Adam(model.parameters(), { lr: s.lr, betas: [s.betas[0], s.betas[1]], eps: s.eps });
  return trainLoop(s, (i) => {
    opt.zeroGrad();
    const x = xs[i % s.nBatches];
    const [mu, logvar] = model.encode(x);
    const recon = model.decode(model.reparameterize(mu, logvar, noise[i % s.nBatches]));
    const loss = ex.vaeLoss(recon, x, mu, logvar);
    loss.backward();
    opt.step();
    return loss;
  });
}

/** The model workloads by id. */
export const MODEL_RUNS: Readonly<Record<ModelWorkloadId, (libs: Libs, args: WorkerArgs) => Measured>> = { w5, w6, w7, w8, w9 };
