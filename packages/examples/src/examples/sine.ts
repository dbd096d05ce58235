/**
 * sine — a 1-25-1 network fits y = 20·sin(2πx) on 100 points in [0, 1) by full-batch gradient
 * descent (sigmoid hidden layer, linear output, lr 0.3, 4000 iterations).
 *
 * The loss is ½·mean((ŷ − y)²), as in the article this example comes from: its hand-written
 * backward pass starts from dL/dŷ = (ŷ − y)/m, which is the derivative of ½·mean, not of mean. That
 * factor ½ matters at lr 0.3: with targets of amplitude 20 the plain mean doubles every step and the
 * fit stalls at an MSE of about 3–13 (it bounces across the valley), while ½·mean reaches ≈ 0.05–0.15.
 * `loss: "mse"` runs the plain mean for comparison. Either way the reported metric is the MSE.
 */

import { manualSeed, noGrad, tensor, type Tensor } from "@tensorgrad/autograd";
import { Linear, Sequential, Sigmoid, optim, functional as F } from "@tensorgrad/nn";
import { DEFAULT_OUT_DIR, DEFAULT_SEED, positive, positiveInt, type CommonOptions } from "../common/options.js";
import { lineChart, writeSvg, type VegaLiteSpec, type Row } from "../common/plot.js";
import { Reporter } from "../common/reporter.js";
import type { MarkDef } from "vega-lite/build/src/mark.js";
import { sineData } from "../data/synthetic.js";

/** Options of the sine example (defaults: the article's recipe). */
export interface SineOptions extends CommonOptions {
  /** Number of points x = i/n in [0, 1) (default 100). */
  readonly points?: number;
  /** Hidden units (default 25). */
  readonly hidden?: number;
  /** Learning rate of full-batch gradient descent (default 0.3). */
  readonly lr?: number;
  /** Gradient steps (default 4000). */
  readonly iterations?: number;
  /** Print the loss every this many iterations (default 100). */
  readonly logEvery?: number;
  /** "half-mse" = ½·mean((ŷ−y)²) as the article (default), or "mse" = mean((ŷ−y)²). */
  readonly loss?: "half-mse" | "mse";
}

/** What runSine measured. */
export interface SineResult {
  readonly example: "sine";
  /** mean((ŷ − y)²) after training. */
  readonly finalMse: number;
  /** mean((ŷ − y)²) of the untrained network. */
  readonly initialMse: number;
  /** Variance of the targets (200 for amplitude 20): the MSE of predicting their mean. */
  readonly varianceY: number;
  readonly iterations: number;
  readonly loss: "half-mse" | "mse";
  readonly seconds: number;
  /** MSE every `logEvery` iterations (and at 0). */
  readonly history: { iteration: number; mse: number }[];
  /** Paths of the SVG plots written. */
  readonly plots: string[];
}

/** Fits the sine curve and writes sine-fit.svg and sine-loss.svg. */
export async function runSine(options: SineOptions = {}): Promise<SineResult> {
  const op = "sine";
  const n = positiveInt(op, "points", options.points ?? 100);
  const hidden = positiveInt(op, "hidden", options.hidden ?? 25);
  const lr = positive(op, "lr", options.lr ?? 0.3);
  const iterations = positiveInt(op, "iterations", options.iterations ?? 4000);
  const logEvery = positiveInt(op, "logEvery", options.logEvery ?? 100);
  const lossKind = options.loss ?? "half-mse";
  const out = new Reporter(options);
  manualSeed(options.seed ?? DEFAULT_SEED);

  const data = sineData(n);
  const x = tensor(data.x, { shape: [n, 1] }); // a batch of n one-feature rows
  const y = tensor(data.y, { shape: [n, 1] });
  const meanY = data.y.reduce((a, b) => a + b, 0) / n;
  const varianceY = data.y.reduce((a, b) => a + (b - meanY) ** 2, 0) / n;

  // The article's W1, b1, W2, b2 are the two Linear layers' weight and bias.
  const model = new Sequential(new Linear(1, hidden), new Sigmoid(), new Linear(hidden, 1));
  const optimizer = new optim.SGD(model.parameters(), { lr });
  const mseOf = (pred: Tensor) => F.mseLoss(pred, y);

  const initialMse = noGrad(() => mseOf(model.call(x)).item());
  const history = [{ iteration: 0, mse: initialMse }];
  out.log(`sine: 1-${hidden}-1 network, ${n} points, lr ${lr}, ${iterations} iterations, loss ${lossKind === "half-mse" ? "½·mean((ŷ−y)²)" : "mean((ŷ−y)²)"}`);
  const bar = out.progress("sine", iterations);
  const start = performance.now();
  let mse = initialMse;
  for (let it = 1; it <= iterations; it++) {
    const pred = model.call(x); // forward: sigmoid(x·W1ᵀ + b1)·W2ᵀ + b2, all 100 points at once
    const mseT = mseOf(pred);
    const loss = lossKind === "half-mse" ? mseT.mul(0.5) : mseT;
    optimizer.zeroGrad();
    loss.backward(); // every dW, db of the article's hand-written backward pass, by autograd
    optimizer.step(); // w -= lr·dw for every parameter
    if (it % logEvery === 0 || it === iterations) {
      mse = mseT.item();
      history.push({ iteration: it, mse });
      out.log(`iter ${String(it).padStart(5)}  mse ${mse.toFixed(4)}`);
      bar.update(it, `mse ${mse.toFixed(3)}`);
    }
  }
  bar.done();
  const seconds = (performance.now() - start) / 1000;
  mse = noGrad(() => mseOf(model.call(x)).item());
  out.log(`final MSE ${mse.toFixed(4)} (variance of y ${varianceY.toFixed(1)}), ${seconds.toFixed(2)} s`);

  const plots: string[] = [];
  if (!options.noPlots) {
    const dir = options.outDir ?? DEFAULT_OUT_DIR;
    const grid = Array.from({ length: 201 }, (_, i) => i / 200);
    const fit = noGrad(() => model.call(tensor(grid, { shape: [grid.length, 1] })).toFlatArray());
    plots.push(await writeSvg(dir, "sine-fit.svg", sineFitSpec(data, grid, fit, mse)));
    plots.push(
      await writeSvg(dir, "sine-loss.svg", lineChart({ title: "sine: training MSE (log scale)", x: "iteration", y: "mse", rows: history, logY: true })),
    );
    out.log(`plots: ${plots.join(", ")}`);
  }
  return { example: "sine", finalMse: mse, initialMse, varianceY, iterations, loss: lossKind, seconds, history, plots };
}

/** Data points, the true curve and the network's fit in one chart. */
function sineFitSpec(data: { x: number[]; y: number[] }, grid: number[], fit: number[], mse: number): VegaLiteSpec {
  const series = ["training points", "20·sin(2πx)", "network"];
  const color = { field: "series", type: "nominal" as const, title: null, scale: { domain: series, range: ["#4c78a8", "#9a9a9a", "#e45756"] } };
  const xy = { x: { field: "x", type: "quantitative" as const, scale: { domain: [0, 1] } }, y: { field: "y", type: "quantitative" as const } };
  const layer = (rows: Row[], mark: MarkDef) => ({ data: { values: rows }, mark, encoding: { ...xy, color } });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: { text: "1-25-1 network fit to y = 20·sin(2πx)", subtitle: `${data.x.length} training points, final MSE ${mse.toFixed(3)} (variance of y = 200)` },
    width: 480,
    height: 300,
    layer: [
      layer(data.x.map((x, i) => ({ x, y: data.y[i], series: series[0] })), { type: "point", size: 28, strokeWidth: 1.2 }),
      layer(grid.map((x) => ({ x, y: 20 * Math.sin(2 * Math.PI * x), series: series[1] })), { type: "line", strokeWidth: 1.5, strokeDash: [5, 4] }),
      layer(grid.map((x, i) => ({ x, y: fit[i], series: series[2] })), { type: "line", strokeWidth: 2.5 }),
    ],
  };
}
