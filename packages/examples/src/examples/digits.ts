/**
 * digits — the mini-batch SGD network of Nielsen's "Neural Networks and Deep Learning", chapter 1:
 * layer `sizes` such as [784, 30, 10], sigmoid on every layer, quadratic cost, batches of 10,
 * η = 3.0, per-epoch test accuracy. The data is MNIST when `data` names a folder with its four IDX
 * files, else a generated set of handwritten-like digits (see data/digit-glyphs.ts).
 *
 * Nielsen's update w ← w − (η/m)·Σₓ ∂Cₓ/∂w with Cₓ = ½‖y(x) − a‖² is plain SGD on the batch cost
 * C = (1/2m)·Σₓ‖y(x) − a‖², which is what `quadraticCost` computes. `cost: "cross-entropy"` keeps
 * the model but makes its last layer a softmax and the cost the log-likelihood (chapter 3).
 */

import { Generator, eye, manualSeed, noGrad, tensor, type Tensor } from "@tensorgrad/autograd";
import { DataLoader, TensorDataset, optim, functional as F } from "@tensorgrad/nn";
import { OptionError } from "../common/errors.js";
import { DEFAULT_OUT_DIR, DEFAULT_SEED, positive, positiveInt, type CommonOptions } from "../common/options.js";
import { lineChart, writeSvg, type PlotSpec, type Row, type VegaLiteSpec } from "../common/plot.js";
import { Reporter } from "../common/reporter.js";
import { loadDigitData } from "../data/digit-data.js";
import type { DigitSet } from "../data/idx.js";
import { digitsNetwork, quadraticCost, type DigitsCost } from "./digits-model.js";

export { digitsNetwork, quadraticCost, type DigitsCost } from "./digits-model.js";

/** Options of the digits example (defaults: Nielsen's recipe, on generated digits). */
export interface DigitsOptions extends CommonOptions {
  /** Folder with MNIST's four IDX files (gzipped or not); generated digits when omitted. */
  readonly data?: string;
  /** Layer sizes, input first; the input size must equal the pixels per image (default [pixels, 30, 10]). */
  readonly sizes?: readonly number[];
  /** Passes over the training set (default 5). */
  readonly epochs?: number;
  /** Mini-batch size (default 10). */
  readonly batchSize?: number;
  /** Learning rate η (default 3.0 for the quadratic cost, 0.5 for cross-entropy). */
  readonly eta?: number;
  /** Cost function (default "quadratic"). */
  readonly cost?: DigitsCost;
  /** Generated data: training images (default 10000). */
  readonly trainSize?: number;
  /** Generated data: test images (default 2000). */
  readonly testSize?: number;
  /** Generated data: image side, 28 like MNIST or 8 (default 28). */
  readonly imageSize?: number;
  /** MNIST: read at most this many training images. */
  readonly trainLimit?: number;
  /** MNIST: read at most this many test images. */
  readonly testLimit?: number;
}

/** What runDigits measured. */
export interface DigitsResult {
  readonly example: "digits";
  /** "mnist" or "generated". */
  readonly dataset: string;
  readonly sizes: number[];
  readonly cost: DigitsCost;
  readonly eta: number;
  /** Fraction of test images classified right after each epoch. */
  readonly testAccuracy: number[];
  /** Test accuracy after the last epoch. */
  readonly finalTestAccuracy: number;
  /** Mean batch cost during each epoch. */
  readonly trainCost: number[];
  readonly trainSize: number;
  readonly testSize: number;
  readonly seconds: number;
  readonly plots: string[];
}

function toTensors(set: DigitSet): { x: Tensor; y: Tensor } {
  return {
    x: tensor(set.images, { shape: [set.count, set.rows * set.cols] }),
    y: tensor(set.labels, { dtype: "int32" }),
  };
}

/** Trains the digits network and writes digits-accuracy.svg and digits-samples.svg. */
export async function runDigits(options: DigitsOptions = {}): Promise<DigitsResult> {
  const op = "digits";
  const cost = options.cost ?? "quadratic";
  if (cost !== "quadratic" && cost !== "cross-entropy") throw new OptionError(`${op}: unknown cost "${String(cost)}" (expected quadratic or cross-entropy)`);
  const epochs = positiveInt(op, "epochs", options.epochs ?? 5);
  const batchSize = positiveInt(op, "batchSize", options.batchSize ?? 10);
  const eta = positive(op, "eta", options.eta ?? (cost === "quadratic" ? 3.0 : 0.5));
  const seed = options.seed ?? DEFAULT_SEED;
  const out = new Reporter(options);
  manualSeed(seed);

  const { train, test, dataset } = await loadDigitData(op, options, { trainSize: 10000, testSize: 2000 }, seed);
  const pixels = train.rows * train.cols;
  const sizes = [...(options.sizes ?? [pixels, 30, 10])];
  if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s <= 0)) throw new OptionError(`${op}: sizes must be at least two positive integers, got [${sizes.join(",")}]`);
  if (sizes[0] !== pixels) throw new OptionError(`${op}: the first layer size must equal the ${train.rows}x${train.cols} = ${pixels} pixels of an image, got ${sizes[0]}`);
  if (sizes[sizes.length - 1] !== 10) throw new OptionError(`${op}: the last layer size must be 10 (one output per digit), got ${sizes[sizes.length - 1]}`);

  const trainT = toTensors(train);
  const testT = toTensors(test);
  const model = digitsNetwork(sizes, cost);
  const optimizer = new optim.SGD(model.parameters(), { lr: eta });
  const identity = eye(10);
  const loader = new DataLoader(new TensorDataset(trainT.x, trainT.y), { batchSize, shuffle: true, generator: new Generator(seed + 2) });
  const batchCost =
    cost === "quadratic"
      ? (out: Tensor, labels: Tensor) => quadraticCost(out, identity.indexSelect(0, labels)) // y(x) as one-hot rows
      : (logits: Tensor, labels: Tensor) => F.crossEntropy(logits, labels); // softmax + log-likelihood, fused and stable
  const accuracy = () => noGrad(() => model.call(testT.x).argmax(1).eq(testT.y).float().mean().item());

  out.log(`digits: ${dataset} data, ${train.count} training / ${test.count} test images of ${train.rows}x${train.cols}, sizes [${sizes.join(",")}], ${cost} cost, batch ${batchSize}, eta ${eta}`);
  const testAccuracy: number[] = [];
  const trainCost: number[] = [];
  const start = performance.now();
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const bar = out.progress(`epoch ${epoch}`, Math.ceil(train.count / batchSize));
    let total = 0;
    let batches = 0;
    for (const [xb, yb] of loader) {
      const loss = batchCost(model.call(xb), yb);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step(); // w ← w − η·∂C/∂w: Nielsen's update_mini_batch
      total += loss.item();
      batches++;
      if (batches % 50 === 0) bar.update(batches, `cost ${(total / batches).toFixed(4)}`);
    }
    bar.done();
    const acc = accuracy();
    testAccuracy.push(acc);
    trainCost.push(total / batches);
    out.log(`Epoch ${epoch}: ${Math.round(acc * test.count)} / ${test.count} (test accuracy ${(100 * acc).toFixed(2)}%, mean cost ${(total / batches).toFixed(4)})`);
  }
  const seconds = (performance.now() - start) / 1000;

  const plots: string[] = [];
  if (!options.noPlots) {
    const dir = options.outDir ?? DEFAULT_OUT_DIR;
    const rows = testAccuracy.map((a, i) => ({ epoch: i + 1, accuracy: a }));
    plots.push(await writeSvg(dir, "digits-accuracy.svg", lineChart({ title: `digits: test accuracy per epoch (${dataset}, ${cost})`, x: "epoch", y: "accuracy", rows })));
    plots.push(await writeSvg(dir, "digits-samples.svg", digitSamplesSpec(test, 20)));
    out.log(`plots: ${plots.join(", ")}`);
  }
  return {
    example: "digits", dataset, sizes, cost, eta, testAccuracy, finalTestAccuracy: testAccuracy[testAccuracy.length - 1], trainCost,
    trainSize: train.count, testSize: test.count, seconds, plots,
  };
}

/** The first `count` images of a set as a grid of grey squares (only pixels above 0.25 are drawn, to keep the SVG small). */
export function digitSamplesSpec(set: DigitSet, count: number): PlotSpec {
  const rows: Row[] = [];
  const per = set.rows * set.cols;
  const n = Math.min(count, set.count);
  for (let k = 0; k < n; k++) {
    for (let p = 0; p < per; p++) {
      const v = set.images[k * per + p];
      if (v > 0.25) rows.push({ sample: k, label: `#${k}: ${set.labels[k]}`, r: Math.floor(p / set.cols), c: p % set.cols, v: Math.round(v * 100) / 100 });
    }
  }
  const side = 60;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: `${n} images with their labels`,
    data: { values: rows },
    facet: { field: "label", type: "nominal", title: null, sort: { field: "sample" } },
    columns: 10,
    spec: {
      width: side,
      height: side,
      mark: { type: "rect" },
      encoding: {
        x: { field: "c", type: "ordinal", axis: null, scale: { domain: Array.from({ length: set.cols }, (_, i) => i) } },
        y: { field: "r", type: "ordinal", axis: null, scale: { domain: Array.from({ length: set.rows }, (_, i) => i) } },
        color: { field: "v", type: "quantitative", scale: { scheme: "greys", domain: [0, 1] }, legend: null },
      },
    },
  } satisfies VegaLiteSpec;
}
