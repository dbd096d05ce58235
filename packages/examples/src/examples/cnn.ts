/**
 * cnn — the convolutional network of pytorch/examples `mnist/main.py`, with built-in layers only:
 * conv 1→32 3×3, ReLU, conv 32→64 3×3, ReLU, max-pool 2, dropout 0.25, flatten, fc 9216→128,
 * ReLU, dropout 0.5, fc 128→10, logSoftmax, NLL loss; Adadelta (lr 1.0) with StepLR (step 1,
 * γ 0.7) stepped once per epoch; batches of 64; inputs normalized with MNIST's mean 0.1307 and
 * standard deviation 0.3081. Per epoch it reports the mean training loss, the test loss (summed
 * NLL / test images, as the original) and the test accuracy.
 *
 * The data is MNIST when `data` names a folder with its four IDX files, else the generated
 * handwritten-like digits of the `digits` example at 28×28. `channels` and `hidden` shrink the
 * network for speed: the full-size network costs about 24 MFLOP per image forward (almost all of
 * it in conv2), which is minutes per epoch on a CPU here, so the defaults train a smaller set.
 */

import { Generator, manualSeed, noGrad, tensor, type Tensor } from "@tensorgrad/autograd";
import { Conv2d, DataLoader, Dropout, Linear, Module, TensorDataset, optim, functional as F } from "@tensorgrad/nn";
import { OptionError } from "../common/errors.js";
import { imageGridSpec } from "../common/image-grid.js";
import { DEFAULT_OUT_DIR, DEFAULT_SEED, positive, positiveInt, type CommonOptions } from "../common/options.js";
import { lineChart, thin, writeSvg, type Row } from "../common/plot.js";
import { Reporter } from "../common/reporter.js";
import { loadDigitData } from "../data/digit-data.js";
import type { DigitSet } from "../data/idx.js";

/** MNIST's pixel mean and standard deviation (pytorch/examples' `transforms.Normalize((0.1307,), (0.3081,))`). */
export const MNIST_MEAN = 0.1307;
/** See MNIST_MEAN. */
export const MNIST_STD = 0.3081;

/** Options of the cnn example (defaults: pytorch/examples' recipe, on 2000 generated digits). */
export interface CnnOptions extends CommonOptions {
  /** Folder with MNIST's four IDX files (gzipped or not); generated 28×28 digits when omitted. */
  readonly data?: string;
  /** Output channels of the two convolutions (default [32, 64], the original's). */
  readonly channels?: readonly number[];
  /** Units of the hidden fully connected layer (default 128). */
  readonly hidden?: number;
  /** Passes over the training set (default 3; the original runs 14 on MNIST's 60000 images). */
  readonly epochs?: number;
  /** Training mini-batch size (default 64). */
  readonly batchSize?: number;
  /** Test batch size, which bounds memory only (default 1000). */
  readonly testBatchSize?: number;
  /** Adadelta's learning rate (default 1.0). */
  readonly lr?: number;
  /** StepLR's factor per epoch (default 0.7). */
  readonly gamma?: number;
  /** Generated data: training images (default 2000). */
  readonly trainSize?: number;
  /** Generated data: test images (default 500). */
  readonly testSize?: number;
  /** MNIST: read at most this many training images. */
  readonly trainLimit?: number;
  /** MNIST: read at most this many test images. */
  readonly testLimit?: number;
  /** Test images shown with their predicted labels in cnn-predictions.svg (default 20). */
  readonly samples?: number;
}

/** What runCnn measured. */
export interface CnnResult {
  readonly example: "cnn";
  /** "mnist" or "generated". */
  readonly dataset: string;
  readonly channels: number[];
  readonly hidden: number;
  /** Learnable numbers in the network. */
  readonly parameters: number;
  /** Learning rate used in each epoch (StepLR: lr·γ^(epoch−1)). */
  readonly lrs: number[];
  /** Mean training batch loss in each epoch. */
  readonly trainLoss: number[];
  /** Summed NLL over the test set / test images, after each epoch. */
  readonly testLoss: number[];
  /** Fraction of test images classified right after each epoch. */
  readonly testAccuracy: number[];
  /** Test accuracy after the last epoch. */
  readonly finalTestAccuracy: number;
  readonly trainSize: number;
  readonly testSize: number;
  readonly seconds: number;
  /** Every training batch's loss (left out of --json). */
  readonly history: { step: number; loss: number }[];
  readonly plots: string[];
}

/** Sizes of CnnNet; the defaults are pytorch/examples'. */
export interface CnnNetOptions {
  /** Input image height and width (default 28). */
  readonly imageSize?: readonly [number, number];
  /** Output channels of conv1 and conv2 (default [32, 64]). */
  readonly channels?: readonly number[];
  /** Units of fc1 (default 128). */
  readonly hidden?: number;
}

/**
 * pytorch/examples' MNIST `Net`, with the same attribute names, so its state dict keys are
 * PyTorch's (`conv1.weight`, …, `fc2.bias`) and a PyTorch checkpoint loads unchanged.
 */
export class CnnNet extends Module {
  conv1: Conv2d;
  conv2: Conv2d;
  dropout1: Dropout;
  dropout2: Dropout;
  fc1: Linear;
  fc2: Linear;

  constructor(options: CnnNetOptions = {}) {
    super();
    const [height, width] = options.imageSize ?? [28, 28];
    const [c1, c2] = checkChannels("CnnNet", options.channels ?? [32, 64]);
    const hidden = positiveInt("CnnNet", "hidden", options.hidden ?? 128);
    // two valid 3×3 convolutions take 4 pixels off each side length, the 2×2 pool halves it
    const ph = Math.floor((height - 4) / 2);
    const pw = Math.floor((width - 4) / 2);
    if (ph < 1 || pw < 1) throw new OptionError(`CnnNet: images must be at least 6x6 for two 3x3 convolutions and a 2x2 pool, got ${height}x${width}`);
    this.conv1 = new Conv2d(1, c1, 3, { stride: 1 });
    this.conv2 = new Conv2d(c1, c2, 3, { stride: 1 });
    this.dropout1 = new Dropout(0.25);
    this.dropout2 = new Dropout(0.5);
    this.fc1 = new Linear(c2 * ph * pw, hidden); // 64·12·12 = 9216 for 28×28 images
    this.fc2 = new Linear(hidden, 10);
  }

  /** x [N, 1, H, W] (normalized) → log-probabilities [N, 10]. */
  forward(x: Tensor): Tensor {
    let h = F.relu(this.conv1.call(x));
    h = F.relu(this.conv2.call(h));
    h = F.maxPool2d(h, 2);
    h = this.dropout1.call(h);
    h = h.flatten(1);
    h = F.relu(this.fc1.call(h));
    h = this.dropout2.call(h);
    return F.logSoftmax(this.fc2.call(h), 1);
  }
}

function checkChannels(op: string, channels: readonly number[]): [number, number] {
  if (channels.length !== 2 || channels.some((c) => !Number.isInteger(c) || c <= 0)) {
    throw new OptionError(`${op}: channels must be two positive integers (conv1 and conv2 outputs), got [${channels.join(",")}]`);
  }
  return [channels[0], channels[1]];
}

/** A digit set as normalized images [N, 1, H, W] and int32 labels. */
function toTensors(set: DigitSet): { x: Tensor; y: Tensor } {
  return {
    x: tensor(set.images, { shape: [set.count, 1, set.rows, set.cols] }).sub(MNIST_MEAN).div(MNIST_STD),
    y: tensor(set.labels, { dtype: "int32" }),
  };
}

/** Trains the CNN and writes cnn-loss.svg, cnn-accuracy.svg and cnn-predictions.svg. */
export async function runCnn(options: CnnOptions = {}): Promise<CnnResult> {
  const op = "cnn";
  const channels = checkChannels(op, options.channels ?? [32, 64]);
  const hidden = positiveInt(op, "hidden", options.hidden ?? 128);
  const epochs = positiveInt(op, "epochs", options.epochs ?? 3);
  const batchSize = positiveInt(op, "batchSize", options.batchSize ?? 64);
  const testBatchSize = positiveInt(op, "testBatchSize", options.testBatchSize ?? 1000);
  const lr = positive(op, "lr", options.lr ?? 1.0);
  const gamma = positive(op, "gamma", options.gamma ?? 0.7);
  const samples = positiveInt(op, "samples", options.samples ?? 20);
  const seed = options.seed ?? DEFAULT_SEED;
  const out = new Reporter(options);
  manualSeed(seed); // initial weights and dropout masks

  const { train, test, dataset } = await loadDigitData(op, options, { trainSize: 2000, testSize: 500 }, seed);

  const model = new CnnNet({ imageSize: [train.rows, train.cols], channels, hidden });
  const parameters = model.parameters().reduce((n, p) => n + p.numel(), 0);
  const optimizer = new optim.Adadelta(model.parameters(), { lr });
  const scheduler = new optim.StepLR(optimizer, 1, gamma);
  const trainT = toTensors(train);
  const testT = toTensors(test);
  const loader = new DataLoader(new TensorDataset(trainT.x, trainT.y), { batchSize, shuffle: true, generator: new Generator(seed + 2) });

  /** pytorch/examples' test(): summed NLL and correct predictions, in eval mode, without gradients. */
  const evaluate = (): { loss: number; accuracy: number; predicted: Int32Array } => {
    model.eval();
    let loss = 0;
    let correct = 0;
    const predicted = new Int32Array(test.count);
    noGrad(() => {
      for (let start = 0; start < test.count; start += testBatchSize) {
        const n = Math.min(testBatchSize, test.count - start);
        const xb = testT.x.narrow(0, start, n);
        const yb = testT.y.narrow(0, start, n);
        const output = model.call(xb);
        loss += F.nllLoss(output, yb, { reduction: "sum" }).item();
        const pred = output.argmax(1);
        correct += pred.eq(yb).sum().item();
        predicted.set(pred.toTypedArray(), start);
      }
    });
    model.train();
    return { loss: loss / test.count, accuracy: correct / test.count, predicted };
  };

  out.log(
    `cnn: ${dataset} data, ${train.count} training / ${test.count} test images of ${train.rows}x${train.cols}; ` +
      `conv 1→${channels[0]}→${channels[1]}, fc ${model.fc1.inFeatures}→${hidden}→10 (${parameters} parameters); Adadelta lr ${lr}, StepLR gamma ${gamma}, batch ${batchSize}`,
  );
  const lrs: number[] = [];
  const trainLoss: number[] = [];
  const testLoss: number[] = [];
  const testAccuracy: number[] = [];
  const history: { step: number; loss: number }[] = [];
  let predicted: Int32Array = new Int32Array(0);
  const start = performance.now();
  for (let epoch = 1; epoch <= epochs; epoch++) {
    lrs.push(optimizer.paramGroups[0].lr);
    const bar = out.progress(`epoch ${epoch}`, loader.length);
    let total = 0;
    let batches = 0;
    for (const [xb, yb] of loader) {
      optimizer.zeroGrad();
      const loss = F.nllLoss(model.call(xb), yb);
      loss.backward();
      optimizer.step();
      const value = loss.item();
      total += value;
      batches++;
      history.push({ step: history.length + 1, loss: value });
      bar.update(batches, `loss ${(total / batches).toFixed(4)}`);
    }
    bar.done();
    scheduler.step();
    const result = evaluate();
    predicted = result.predicted;
    trainLoss.push(total / batches);
    testLoss.push(result.loss);
    testAccuracy.push(result.accuracy);
    out.log(
      `Epoch ${epoch}: train loss ${(total / batches).toFixed(4)}; test set: average loss ${result.loss.toFixed(4)}, ` +
        `accuracy ${Math.round(result.accuracy * test.count)}/${test.count} (${(100 * result.accuracy).toFixed(2)}%)`,
    );
  }
  const seconds = (performance.now() - start) / 1000;

  const plots: string[] = [];
  if (!options.noPlots) {
    const dir = options.outDir ?? DEFAULT_OUT_DIR;
    const perEpoch = loader.length;
    const lossRows: Row[] = [
      ...thin(history).map((h) => ({ epoch: h.step / perEpoch, loss: h.loss, series: "training batch" })),
      ...testLoss.map((l, i) => ({ epoch: i + 1, loss: l, series: "test (after the epoch)" })),
    ];
    plots.push(await writeSvg(dir, "cnn-loss.svg", lineChart({ title: `cnn: NLL loss (${dataset})`, x: "epoch", y: "loss", rows: lossRows, series: "series", logY: true })));
    const accRows = testAccuracy.map((a, i) => ({ epoch: i + 1, accuracy: a }));
    plots.push(await writeSvg(dir, "cnn-accuracy.svg", lineChart({ title: `cnn: test accuracy per epoch (${dataset})`, x: "epoch", y: "accuracy", rows: accRows })));
    const n = Math.min(samples, test.count);
    const captions = Array.from({ length: n }, (_, k) => `#${k}: ${predicted[k]}${predicted[k] === test.labels[k] ? "" : ` (is ${test.labels[k]})`}`);
    plots.push(await writeSvg(dir, "cnn-predictions.svg", imageGridSpec({ title: `${n} test images with the predicted digit (the true one in parentheses when wrong)`, images: test.images, count: n, rows: test.rows, cols: test.cols, captions })));
    out.log(`plots: ${plots.join(", ")}`);
  }
  return {
    example: "cnn", dataset, channels, hidden, parameters, lrs, trainLoss, testLoss, testAccuracy,
    finalTestAccuracy: testAccuracy[testAccuracy.length - 1], trainSize: train.count, testSize: test.count, seconds, history, plots,
  };
}
