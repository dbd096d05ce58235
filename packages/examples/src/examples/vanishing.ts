/**
 * vanishing — why deep sigmoid networks train slowly: a 3-3-2-1 network separates two balls of 3-d
 * points (centres [1,1,1] and [−1,2,−7], 100 points each) with batches of 128, lr 0.1 and MSE, once
 * with sigmoid hidden layers and once with ReLU, until the mean loss over the last 1000 iterations
 * drops below 0.01 (or `maxIters` is reached). Each step multiplies the backward signal by σ'(z) ≤ ¼
 * per sigmoid layer, so the earliest layer's gradient is the smallest: the per-layer gradient norms
 * recorded here show it.
 *
 * Gradients per sample: the loss is the mean over the batch of per-sample losses, and autograd
 * differentiates exactly that, so dW = δᵀ·a / m sums the outer products δᵢ·aᵢᵀ of each sample i.
 * Averaging the activations over the batch first and taking one outer product (mean δ)·(mean a)ᵀ —
 * a mistake some hand-written versions make — is a different, wrong number; `matmul` on the batch
 * never does that.
 */

import { Generator, manualSeed, randperm, tensor, type Tensor } from "@tensorgrad/autograd";
import { Linear, ReLU, Sequential, Sigmoid, optim, functional as F } from "@tensorgrad/nn";
import { OptionError } from "../common/errors.js";
import { DEFAULT_OUT_DIR, DEFAULT_SEED, positive, positiveInt, type CommonOptions } from "../common/options.js";
import { thin, writeSvg, type VegaLiteSpec, type Row } from "../common/plot.js";
import { Reporter } from "../common/reporter.js";
import { spheres } from "../data/synthetic.js";

/** The hidden-layer activations compared. */
export type HiddenActivation = "sigmoid" | "relu";

/** Options of the vanishing example. */
export interface VanishingOptions extends CommonOptions {
  /** Which hidden activations to train, in order (default both). */
  readonly activations?: readonly HiddenActivation[];
  /** Points per ball (default 100). */
  readonly perClass?: number;
  /** Batch size, sampled without replacement each iteration (default 128). */
  readonly batchSize?: number;
  /** Learning rate (default 0.1). */
  readonly lr?: number;
  /** Stop when the mean loss over the last `window` iterations is below this (default 0.01). */
  readonly target?: number;
  /** Iterations averaged for the stopping rule (default 1000). */
  readonly window?: number;
  /** Give up after this many iterations (default 100000). */
  readonly maxIters?: number;
  /** Record the gradient norms every this many iterations (default 20). */
  readonly recordEvery?: number;
}

/** One training run's outcome. */
export interface VanishingRun {
  readonly activation: HiddenActivation;
  /** Whether the windowed mean loss reached the target before maxIters. */
  readonly converged: boolean;
  readonly iterations: number;
  readonly seconds: number;
  /** Mean loss over the last `window` iterations at the end. */
  readonly finalMeanLoss: number;
  /** Mean over training of ‖∂L/∂W‖ of each layer, first layer first. */
  readonly meanGradNorm: number[];
  /** Recorded ‖∂L/∂W‖ per layer (layer 1 = nearest the input) and the windowed loss. */
  readonly history: { iteration: number; meanLoss: number; gradNorm: number[] }[];
}

/** What runVanishing measured. */
export interface VanishingResult {
  readonly example: "vanishing";
  readonly runs: VanishingRun[];
  readonly plots: string[];
}

/** Frobenius norm of a tensor's values. */
function norm(t: Tensor): number {
  return Math.sqrt(t.square().sum().item());
}

/** Trains the 3-3-2-1 network with each activation and writes vanishing-gradients.svg and vanishing-loss.svg. */
export async function runVanishing(options: VanishingOptions = {}): Promise<VanishingResult> {
  const op = "vanishing";
  const activations = options.activations ?? ["sigmoid", "relu"];
  for (const a of activations) if (a !== "sigmoid" && a !== "relu") throw new OptionError(`${op}: unknown activation "${String(a)}" (expected sigmoid or relu)`);
  const perClass = positiveInt(op, "perClass", options.perClass ?? 100);
  const batchSize = Math.min(positiveInt(op, "batchSize", options.batchSize ?? 128), 2 * perClass);
  const lr = positive(op, "lr", options.lr ?? 0.1);
  const target = positive(op, "target", options.target ?? 0.01);
  const window = positiveInt(op, "window", options.window ?? 1000);
  const maxIters = positiveInt(op, "maxIters", options.maxIters ?? 100_000);
  const recordEvery = positiveInt(op, "recordEvery", options.recordEvery ?? 20);
  const seed = options.seed ?? DEFAULT_SEED;
  const out = new Reporter(options);

  const data = spheres(perClass, new Generator(seed + 1));
  const xAll = tensor(data.x);
  const yAll = tensor(data.y.map((v) => [v]));
  const n = data.y.length;

  const runs: VanishingRun[] = [];
  for (const activation of activations) {
    manualSeed(seed); // the same initial weights for both activations
    const act = () => (activation === "sigmoid" ? new Sigmoid() : new ReLU());
    const layers = [new Linear(3, 3), new Linear(3, 2), new Linear(2, 1)];
    const model = new Sequential(layers[0], act(), layers[1], act(), layers[2], new Sigmoid());
    const optimizer = new optim.SGD(model.parameters(), { lr });
    const batchGen = new Generator(seed + 2);

    const recent = new Float64Array(window); // ring buffer of the last `window` losses
    let sum = 0;
    const history: VanishingRun["history"] = [];
    const normSums = [0, 0, 0];
    let normCount = 0;
    let iterations = 0;
    let meanLoss = Infinity;
    const bar = out.progress(activation, maxIters);
    const start = performance.now();
    while (iterations < maxIters) {
      const idx = randperm(n, { generator: batchGen }).slice(0, 0, batchSize);
      const xb = xAll.indexSelect(0, idx);
      const yb = yAll.indexSelect(0, idx);
      const loss = F.mseLoss(model.call(xb), yb); // mean over the batch of per-sample squared errors
      optimizer.zeroGrad();
      loss.backward(); // per-sample outer products, summed: dW = δᵀ·a / m (see the note at the top)
      optimizer.step();
      const value = loss.item();
      sum += value - recent[iterations % window];
      recent[iterations % window] = value;
      iterations++;
      meanLoss = sum / Math.min(iterations, window);
      if (iterations % recordEvery === 0 || iterations === 1) {
        const gradNorm = layers.map((l) => norm(l.weight.grad as Tensor));
        gradNorm.forEach((g, i) => (normSums[i] += g));
        normCount++;
        history.push({ iteration: iterations, meanLoss, gradNorm });
        bar.update(iterations, `mean loss ${meanLoss.toFixed(4)}`);
      }
      if (iterations >= window && meanLoss < target) break;
    }
    bar.done();
    const seconds = (performance.now() - start) / 1000;
    const converged = iterations >= window && meanLoss < target;
    const meanGradNorm = normSums.map((s) => s / Math.max(1, normCount));
    runs.push({ activation, converged, iterations, seconds, finalMeanLoss: meanLoss, meanGradNorm, history });
    out.log(
      `${activation.padEnd(7)}: ${converged ? "reached" : "did NOT reach"} mean loss < ${target} over ${window} iterations ` +
        `after ${iterations} iterations in ${seconds.toFixed(2)} s (mean loss ${meanLoss.toFixed(4)}); ` +
        `mean ‖∂L/∂W‖ by layer ${meanGradNorm.map((g) => g.toExponential(2)).join(", ")}`,
    );
  }

  const plots: string[] = [];
  if (!options.noPlots) {
    const dir = options.outDir ?? DEFAULT_OUT_DIR;
    plots.push(await writeSvg(dir, "vanishing-gradients.svg", gradientSpec(runs)));
    plots.push(await writeSvg(dir, "vanishing-loss.svg", lossSpec(runs, window)));
    out.log(`plots: ${plots.join(", ")}`);
  }
  return { example: "vanishing", runs, plots };
}

function gradientSpec(runs: readonly VanishingRun[]): VegaLiteSpec {
  const rows: Row[] = runs.flatMap((run) =>
    thin(run.history, 300).flatMap((h) =>
      h.gradNorm.map((g, layer) => ({ activation: run.activation, iteration: h.iteration, layer: `layer ${layer + 1} (${["3→3", "3→2", "2→1"][layer]})`, norm: Math.max(g, 1e-12) })),
    ),
  );
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: { text: "‖∂L/∂W‖ per layer during training (log scale)", subtitle: "under sigmoid the layers nearest the input get the smallest gradients" },
    data: { values: rows },
    facet: { column: { field: "activation", type: "nominal", title: "hidden activation", sort: runs.map((r) => r.activation) } },
    resolve: { scale: { x: "independent" } },
    spec: {
      width: 340,
      height: 260,
      mark: { type: "line", strokeWidth: 1.2 },
      encoding: {
        x: { field: "iteration", type: "quantitative" },
        y: { field: "norm", type: "quantitative", scale: { type: "log" }, title: "gradient norm" },
        color: { field: "layer", type: "nominal", title: "weight" },
      },
    },
  };
}

function lossSpec(runs: readonly VanishingRun[], window: number): VegaLiteSpec {
  const rows: Row[] = runs.flatMap((run) => thin(run.history, 400).map((h) => ({ activation: run.activation, iteration: h.iteration, loss: h.meanLoss })));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: `mean MSE over the last ${window} iterations (log scale)`,
    width: 480,
    height: 280,
    data: { values: rows },
    mark: { type: "line" },
    encoding: {
      x: { field: "iteration", type: "quantitative" },
      y: { field: "loss", type: "quantitative", scale: { type: "log" }, title: "mean loss" },
      color: { field: "activation", type: "nominal" },
    },
  };
}
