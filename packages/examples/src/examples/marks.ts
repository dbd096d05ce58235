/**
 * marks — a 3-4-1 network (sigmoid hidden and output) predicts pass/fail from three exam marks:
 * binary cross-entropy, full-batch gradient descent with lr 0.2 for 4500 iterations, the first 300
 * rows for training and the rest for testing. Reads a CSV with columns y,x1,x2,x3, or generates one.
 *
 * Marks of 0..100 fed raw into a sigmoid saturate it (σ'(80·w) ≈ 0), so the features are
 * standardized with the training rows' mean and standard deviation (the test rows never leak into them).
 */

import { Generator, manualSeed, noGrad, type Tensor } from "@tensorgrad/autograd";
import { Linear, Sequential, Sigmoid, optim, functional as F } from "@tensorgrad/nn";
import { DataError } from "../common/errors.js";
import { DEFAULT_OUT_DIR, DEFAULT_SEED, positive, positiveInt, type CommonOptions } from "../common/options.js";
import { writeSvg, type VegaLiteSpec } from "../common/plot.js";
import { Reporter } from "../common/reporter.js";
import { checkBinaryTarget, loadTable, standardize } from "../data/table.js";
import { marksTable } from "../data/synthetic.js";

/** Options of the marks example (defaults: the article's recipe, on generated marks). */
export interface MarksOptions extends CommonOptions {
  /** CSV file with a header and columns y,x1,x2,x3 (y is 0 or 1); generated data when omitted. */
  readonly csv?: string;
  /** Generated data: number of rows (default 400). */
  readonly rows?: number;
  /** Rows used for training, from the top; the rest are the test set (default 300). */
  readonly trainRows?: number;
  /** Learning rate (default 0.2). */
  readonly lr?: number;
  /** Gradient steps (default 4500). */
  readonly iterations?: number;
  /** Print cost and accuracy every this many iterations (default 500). */
  readonly logEvery?: number;
}

/** What runMarks measured. */
export interface MarksResult {
  readonly example: "marks";
  readonly finalCost: number;
  readonly trainAccuracy: number;
  readonly testAccuracy: number;
  readonly trainRows: number;
  readonly testRows: number;
  readonly iterations: number;
  readonly seconds: number;
  readonly history: { iteration: number; cost: number; accuracy: number }[];
  readonly plots: string[];
}

/** Trains the pass/fail network and writes marks-training.svg. */
export async function runMarks(options: MarksOptions = {}): Promise<MarksResult> {
  const op = "marks";
  const lr = positive(op, "lr", options.lr ?? 0.2);
  const iterations = positiveInt(op, "iterations", options.iterations ?? 4500);
  const logEvery = positiveInt(op, "logEvery", options.logEvery ?? 500);
  const recordEvery = Math.max(1, Math.floor(logEvery / 10)); // finer than the printed lines, for the plot
  const seed = options.seed ?? DEFAULT_SEED;
  const out = new Reporter(options);
  manualSeed(seed);

  const data = loadTable(options.csv, () => marksTable(positiveInt(op, "rows", options.rows ?? 400), new Generator(seed + 1)), {
    columns: ["x1", "x2", "x3"],
    target: "y",
  });
  const rows = data.features.shape[0];
  const trainRows = positiveInt(op, "trainRows", options.trainRows ?? 300);
  if (rows <= trainRows) throw new DataError(`${op}: need more than ${trainRows} rows (the first ${trainRows} train, the rest test), got ${rows}`);
  const y = data.target as Tensor;
  checkBinaryTarget(op, "y", y);
  const yAll = y.unsqueeze(1); // [rows, 1], like the network's output
  const xAll = standardize(data.features, data.features.slice(0, 0, trainRows)); // training rows' statistics only
  const [xTrain, xTest] = [xAll.slice(0, 0, trainRows), xAll.slice(0, trainRows)];
  const [yTrain, yTest] = [yAll.slice(0, 0, trainRows), yAll.slice(0, trainRows)];

  const model = new Sequential(new Linear(3, 4), new Sigmoid(), new Linear(4, 1), new Sigmoid());
  const optimizer = new optim.SGD(model.parameters(), { lr });
  const accuracyOf = (p: Tensor, y: Tensor) => p.ge(0.5).float().eq(y).float().mean().item();

  out.log(`marks: ${rows} rows (${options.csv ?? "generated"}), ${trainRows} train / ${rows - trainRows} test, 3-4-1 sigmoid network, BCE, lr ${lr}`);
  const bar = out.progress("marks", iterations);
  const history: MarksResult["history"] = [];
  const start = performance.now();
  let cost = NaN;
  for (let it = 1; it <= iterations; it++) {
    const p = model.call(xTrain);
    const loss = F.binaryCrossEntropy(p, yTrain); // −mean(y·log p + (1−y)·log(1−p))
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    if (it % recordEvery === 0 || it === 1 || it === iterations) {
      cost = loss.item();
      const accuracy = accuracyOf(p, yTrain);
      history.push({ iteration: it, cost, accuracy });
      if (it % logEvery === 0) out.log(`iter ${String(it).padStart(5)}  cost ${cost.toFixed(4)}  train accuracy ${(100 * accuracy).toFixed(1)}%`);
      bar.update(it, `cost ${cost.toFixed(4)}`);
    }
  }
  bar.done();
  const seconds = (performance.now() - start) / 1000;
  const { trainAccuracy, testAccuracy, finalCost } = noGrad(() => {
    const pTrain = model.call(xTrain);
    return { trainAccuracy: accuracyOf(pTrain, yTrain), testAccuracy: accuracyOf(model.call(xTest), yTest), finalCost: F.binaryCrossEntropy(pTrain, yTrain).item() };
  });
  out.log(`test accuracy ${(100 * testAccuracy).toFixed(1)}% on ${rows - trainRows} rows (train ${(100 * trainAccuracy).toFixed(1)}%), ${seconds.toFixed(2)} s`);

  const plots: string[] = [];
  if (!options.noPlots) {
    plots.push(await writeSvg(options.outDir ?? DEFAULT_OUT_DIR, "marks-training.svg", marksSpec(history)));
    out.log(`plots: ${plots.join(", ")}`);
  }
  return { example: "marks", finalCost, trainAccuracy, testAccuracy, trainRows, testRows: rows - trainRows, iterations, seconds, history, plots };
}

function marksSpec(history: MarksResult["history"]): VegaLiteSpec {
  const rows = history.flatMap((h) => [
    { iteration: h.iteration, value: h.cost, metric: "cost (BCE)" },
    { iteration: h.iteration, value: h.accuracy, metric: "train accuracy" },
  ]);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: "marks: 3-4-1 network, cost and training accuracy",
    data: { values: rows },
    facet: { row: { field: "metric", type: "nominal", title: null } },
    resolve: { scale: { y: "independent" } },
    spec: {
      width: 480,
      height: 160,
      mark: { type: "line", point: true },
      encoding: { x: { field: "iteration", type: "quantitative" }, y: { field: "value", type: "quantitative", title: null, scale: { zero: false } } },
    },
  };
}
