/**
 * worked — the single-sample 3-2-1 backprop example worked by hand, then its part 2.
 *
 * Part 1: x = [0.5, 0.1, −0.2], target 0.6, lr 0.5, sigmoid everywhere, no biases. The article's
 * numbers (output, error terms δ, weight changes ΔW) come out of autograd here: δ is minus the
 * gradient of L = ½(target − ŷ)² with respect to a layer's pre-activation (read with retainGrad),
 * and ΔW is what one SGD step changes. The hand formulas are computed next to them and must agree.
 *
 * Part 2: the same kind of network with 2 hidden units on an admissions table (admit, gre, gpa,
 * rank): rank one-hot encoded, gre and gpa standardized, 10% held out, 900 epochs of full-batch
 * gradient descent at lr 0.005 on ½·mean((y − ŷ)²). That recipe barely moves the weights (it is the
 * article's, kept for comparison), so the majority-class accuracy is printed next to the test accuracy;
 * `part2Lr` tries others.
 */

import { Generator, cat, manualSeed, noGrad, randperm, tensor, type Tensor } from "@tensorgrad/autograd";
import { Linear, Sequential, Sigmoid, optim, functional as F, type CsvData } from "@tensorgrad/nn";
import { CheckError, DataError, OptionError } from "../common/errors.js";
import { DEFAULT_OUT_DIR, DEFAULT_SEED, positive, positiveInt, type CommonOptions } from "../common/options.js";
import { lineChart, writeSvg } from "../common/plot.js";
import { Reporter } from "../common/reporter.js";
import { admissionsTable } from "../data/synthetic.js";
import { checkBinaryTarget, loadTable, standardize } from "../data/table.js";

/** The worked example's inputs (the article's numbers). */
export const WORKED_INPUTS = {
  x: [0.5, 0.1, -0.2],
  target: 0.6,
  lr: 0.5,
  /** Input → hidden weights, [input][hidden] as the article writes them (3×2). */
  weightsInputHidden: [[0.5, -0.6], [0.1, -0.2], [0.1, 0.7]],
  /** Hidden → output weights (2). */
  weightsHiddenOutput: [0.1, -0.3],
} as const;

/** The numbers of one backprop step on one sample. */
export interface WorkedNumbers {
  /** σ(x·W_ih), the hidden activations (2). */
  readonly hidden: number[];
  /** ŷ = σ(h·W_ho). */
  readonly output: number;
  /** target − ŷ. */
  readonly error: number;
  /** δₒ = (target − ŷ)·ŷ·(1 − ŷ). */
  readonly outputErrorTerm: number;
  /** δₕ = δₒ·W_ho ⊙ h ⊙ (1 − h) (2). */
  readonly hiddenErrorTerms: number[];
  /** ΔW_ho = lr·δₒ·h (2). */
  readonly deltaWeightsHiddenOutput: number[];
  /** ΔW_ih = lr·x ⊗ δₕ, [input][hidden] (3×2). */
  readonly deltaWeightsInputHidden: number[][];
}

/** Options of the worked example. */
export interface WorkedOptions extends CommonOptions {
  /** Part 2: CSV with columns admit,gre,gpa,rank; a generated table when omitted. */
  readonly csv?: string;
  /** Part 2: generated rows (default 400). */
  readonly rows?: number;
  /** Part 2: epochs (default 900). */
  readonly epochs?: number;
  /** Part 2: learning rate (default 0.005). */
  readonly part2Lr?: number;
  /** Part 2: hidden units (default 2). */
  readonly hidden?: number;
  /** Part 2: fraction held out for testing (default 0.1). */
  readonly holdout?: number;
  /** Skip part 2. */
  readonly part1Only?: boolean;
}

/** What runWorked measured. */
export interface WorkedResult {
  readonly example: "worked";
  /** Part 1 by autograd. */
  readonly autograd: WorkedNumbers;
  /** Part 1 by the hand formulas. */
  readonly hand: WorkedNumbers;
  /** Largest |autograd − hand| over all part-1 numbers. */
  readonly maxAbsDifference: number;
  /** Part 2, unless skipped. */
  readonly part2?: {
    readonly testAccuracy: number;
    /** Accuracy of always predicting the test set's majority class. */
    readonly majorityBaseline: number;
    readonly initialLoss: number;
    readonly finalLoss: number;
    readonly trainRows: number;
    readonly testRows: number;
    readonly epochs: number;
    readonly lr: number;
  };
  readonly plots: string[];
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** Part 1 by the article's hand formulas, with plain numbers. */
export function workedByHand(): WorkedNumbers {
  const { x, target, lr, weightsInputHidden: wih, weightsHiddenOutput: who } = WORKED_INPUTS;
  const hidden = [0, 1].map((j) => sigmoid(x.reduce((s, xi, i) => s + xi * wih[i][j], 0)));
  const output = sigmoid(hidden[0] * who[0] + hidden[1] * who[1]);
  const error = target - output;
  const outputErrorTerm = error * output * (1 - output);
  const hiddenErrorTerms = hidden.map((h, j) => outputErrorTerm * who[j] * h * (1 - h));
  return {
    hidden, output, error, outputErrorTerm, hiddenErrorTerms,
    deltaWeightsHiddenOutput: hidden.map((h) => lr * outputErrorTerm * h),
    deltaWeightsInputHidden: x.map((xi) => hiddenErrorTerms.map((d) => lr * d * xi)),
  };
}

/** Part 1 by autograd in float64: Linear layers without bias, backward(), one SGD step. */
export function workedByAutograd(): WorkedNumbers {
  const { x, target, lr, weightsInputHidden, weightsHiddenOutput } = WORKED_INPUTS;
  const dtype = "float64";
  const inputToHidden = new Linear(3, 2, { bias: false, dtype });
  const hiddenToOutput = new Linear(2, 1, { bias: false, dtype });
  noGrad(() => {
    // Linear stores weight as [out, in] (PyTorch's layout): the transpose of the article's W_ih.
    inputToHidden.weight.copy_(tensor(weightsInputHidden as unknown as number[][], { dtype }).t());
    hiddenToOutput.weight.copy_(tensor([weightsHiddenOutput as unknown as number[]], { dtype }));
  });
  const before = [inputToHidden.weight.clone(), hiddenToOutput.weight.clone()];

  const xs = tensor([x as unknown as number[]], { dtype }); // one sample: a batch of 1 row
  const hiddenIn = inputToHidden.call(xs).retainGrad(); // keep ∂L/∂(x·W_ih) to read δₕ
  const hidden = hiddenIn.sigmoid();
  const outputIn = hiddenToOutput.call(hidden).retainGrad(); // keep ∂L/∂(h·W_ho) to read δₒ
  const output = outputIn.sigmoid();
  const loss = tensor(target, { dtype }).sub(output).square().mul(0.5).sum(); // L = ½(target − ŷ)²

  const optimizer = new optim.SGD([...inputToHidden.parameters(), ...hiddenToOutput.parameters()], { lr });
  optimizer.zeroGrad();
  loss.backward();
  optimizer.step(); // W ← W − lr·∂L/∂W, i.e. W ← W + lr·δ·(input)ᵀ

  const deltaIh = inputToHidden.weight.detach().sub(before[0]).t(); // back to the article's [input][hidden]
  const deltaHo = hiddenToOutput.weight.detach().sub(before[1]);
  const y = output.item();
  return {
    hidden: hidden.detach().toFlatArray(),
    output: y,
    error: target - y,
    outputErrorTerm: -(outputIn.grad as Tensor).item(), // δₒ = −∂L/∂(output input)
    hiddenErrorTerms: (hiddenIn.grad as Tensor).neg().toFlatArray(), // δₕ = −∂L/∂(hidden input)
    deltaWeightsHiddenOutput: deltaHo.toFlatArray(),
    deltaWeightsInputHidden: deltaIh.toArray() as number[][],
  };
}

function flatten(n: WorkedNumbers): number[] {
  return [...n.hidden, n.output, n.error, n.outputErrorTerm, ...n.hiddenErrorTerms, ...n.deltaWeightsHiddenOutput, ...n.deltaWeightsInputHidden.flat()];
}

/**
 * The admissions features from a table with columns admit, gre, gpa, rank: rank one-hot encoded (by
 * nn's CSV reader), gre and gpa standardized with the training rows' statistics; a random
 * `holdout` fraction of the rows is the test set.
 */
export function admissionsData(data: CsvData, holdout: number, generator: Generator): { train: { x: Tensor; y: Tensor }; test: { x: Tensor; y: Tensor } } {
  const n = data.features.shape[0];
  const nTrain = Math.round(n * (1 - holdout));
  if (nTrain < 1 || nTrain >= n) throw new DataError(`worked: ${n} rows are too few to hold out ${holdout * 100}%`);
  const y = data.target as Tensor;
  checkBinaryTarget("worked", "admit", y);
  const order = randperm(n, { generator }); // hold out a random 10%: shuffle, keep the first 90% for training
  const trainIndex = order.slice(0, 0, nTrain);
  const columns = (names: string[]) => tensor(names.map((c) => data.featureNames.indexOf(c)), { dtype: "int32" });
  const numeric = data.features.indexSelect(1, columns(["gre", "gpa"]));
  const ranks = data.features.indexSelect(1, columns(data.featureNames.filter((c) => c.startsWith("rank="))));
  const scaled = standardize(numeric, numeric.indexSelect(0, trainIndex));
  const x = cat([scaled, ranks], 1); // gre, gpa, rank=1, rank=2, …
  const pick = (idx: Tensor) => ({ x: x.indexSelect(0, idx), y: y.indexSelect(0, idx).unsqueeze(1) });
  return { train: pick(trainIndex), test: pick(order.slice(0, nTrain)) };
}

/** Runs part 1 (and asserts that autograd matches the hand formulas to 1e-12), then part 2. */
export async function runWorked(options: WorkedOptions = {}): Promise<WorkedResult> {
  const op = "worked";
  const out = new Reporter(options);
  const seed = options.seed ?? DEFAULT_SEED;

  const auto = workedByAutograd();
  const hand = workedByHand();
  const a = flatten(auto);
  const h = flatten(hand);
  const maxAbsDifference = Math.max(...a.map((v, i) => Math.abs(v - h[i])));
  const f = (v: number) => v.toFixed(12).padStart(16);
  const line = (name: string, av: number[], hv: number[], index = (i: number) => `[${i}]`) =>
    av.forEach((v, i) => out.log(`${(av.length > 1 ? name + index(i) : name).padEnd(24)}${f(v)}${f(hv[i])}`));
  out.log("worked, part 1: one backprop step on x = [0.5, 0.1, -0.2], target 0.6, lr 0.5 (float64)");
  out.log(`${"".padEnd(24)}${"autograd".padStart(16)}${"hand formula".padStart(16)}`);
  line("hidden h", auto.hidden, hand.hidden);
  line("output ŷ", [auto.output], [hand.output]);
  line("error target−ŷ", [auto.error], [hand.error]);
  line("δ output", [auto.outputErrorTerm], [hand.outputErrorTerm]);
  line("δ hidden", auto.hiddenErrorTerms, hand.hiddenErrorTerms);
  line("ΔW_ho", auto.deltaWeightsHiddenOutput, hand.deltaWeightsHiddenOutput);
  line("ΔW_ih", auto.deltaWeightsInputHidden.flat(), hand.deltaWeightsInputHidden.flat(), (i) => `[${Math.floor(i / 2)}][${i % 2}]`);
  out.log("hand formulas: h = σ(x·W_ih), ŷ = σ(h·W_ho), δₒ = (target − ŷ)·ŷ(1 − ŷ), δₕ = δₒ·W_ho ⊙ h(1 − h), ΔW_ho = lr·δₒ·h, ΔW_ih = lr·x ⊗ δₕ");
  out.log("autograd: δ = −∂L/∂(layer input) read with retainGrad(), ΔW = what optimizer.step() changed, for L = ½(target − ŷ)²");
  if (!(maxAbsDifference <= 1e-12)) {
    throw new CheckError(`worked: autograd and the hand formulas disagree by ${maxAbsDifference} (more than 1e-12)`);
  }
  out.log(`autograd and the hand formulas agree (largest difference ${maxAbsDifference.toExponential(1)})`);

  const plots: string[] = [];
  if (options.part1Only) return { example: "worked", autograd: auto, hand, maxAbsDifference, plots };

  // Part 2: the admissions network.
  const epochs = positiveInt(op, "epochs", options.epochs ?? 900);
  const lr = positive(op, "part2Lr", options.part2Lr ?? 0.005);
  const hiddenUnits = positiveInt(op, "hidden", options.hidden ?? 2);
  const holdout = options.holdout ?? 0.1;
  if (!(holdout > 0 && holdout < 1)) throw new OptionError(`${op}: holdout must be a fraction in (0, 1), got ${holdout}`);
  const gen = new Generator(seed + 1);
  const table = loadTable(options.csv, () => admissionsTable(positiveInt(op, "rows", options.rows ?? 400), gen), {
    columns: ["gre", "gpa", "rank"],
    target: "admit",
    oneHot: ["rank"],
  });
  const { train, test } = admissionsData(table, holdout, gen);
  const nRows = table.features.shape[0];
  const nTrain = train.x.shape[0];
  const nTest = test.x.shape[0];

  manualSeed(seed);
  const nFeatures = train.x.shape[1]; // gre, gpa and one column per rank
  const model = new Sequential(new Linear(nFeatures, hiddenUnits, { bias: false }), new Sigmoid(), new Linear(hiddenUnits, 1, { bias: false }), new Sigmoid());
  // The article's initialization: normal with std 1/√n_features for both weight matrices.
  noGrad(() => model.parameters().forEach((p) => p.normal_(0, 1 / Math.sqrt(nFeatures))));
  const optimizer = new optim.SGD(model.parameters(), { lr });
  const halfMse = (p: Tensor, y: Tensor) => F.mseLoss(p, y).mul(0.5); // ½·mean((y − ŷ)²): gradient (ŷ − y)·ŷ(1−ŷ) per sample

  out.log(`worked, part 2: ${nRows} admissions rows (${options.csv ?? "generated"}), ${nTrain} train / ${nTest} test, ${nFeatures}-${hiddenUnits}-1 network, lr ${lr}, ${epochs} epochs`);
  const history: { epoch: number; loss: number }[] = [];
  const bar = out.progress("part 2", epochs);
  let initialLoss = NaN;
  let lastLoss = Infinity;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const loss = halfMse(model.call(train.x), train.y);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    const value = loss.item();
    if (epoch === 0) initialLoss = value;
    if (epoch % Math.max(1, Math.floor(epochs / 10)) === 0) {
      history.push({ epoch, loss: value });
      out.log(`epoch ${String(epoch).padStart(4)}  train loss ${value.toFixed(6)}${value > lastLoss ? "  WARNING - loss increasing" : ""}`);
      lastLoss = value;
      bar.update(epoch, `loss ${value.toFixed(5)}`);
    }
  }
  bar.done();
  const { finalLoss, testAccuracy } = noGrad(() => ({
    finalLoss: halfMse(model.call(train.x), train.y).item(),
    testAccuracy: model.call(test.x).gt(0.5).float().eq(test.y).float().mean().item(),
  }));
  history.push({ epoch: epochs, loss: finalLoss });
  const admitted = test.y.sum().item();
  const majorityBaseline = Math.max(admitted, nTest - admitted) / nTest;
  out.log(`test accuracy ${(100 * testAccuracy).toFixed(1)}% on ${nTest} held-out rows (always predicting the majority class: ${(100 * majorityBaseline).toFixed(1)}%)`);
  if (finalLoss > 0.9 * initialLoss) {
    out.log(
      `note: the loss fell only ${(100 * (1 - finalLoss / initialLoss)).toFixed(0)}% — lr ${lr} over ${epochs} full-batch epochs barely moves the weights ` +
        "(the article's recipe, whose accuracy is about that of the majority class); try --lr 1",
    );
  }

  if (!options.noPlots) {
    plots.push(await writeSvg(options.outDir ?? DEFAULT_OUT_DIR, "worked-part2-loss.svg", lineChart({ title: "worked, part 2: training loss ½·mean((y−ŷ)²)", x: "epoch", y: "loss", rows: history })));
    out.log(`plots: ${plots.join(", ")}`);
  }
  return {
    example: "worked", autograd: auto, hand, maxAbsDifference,
    part2: { testAccuracy, majorityBaseline, initialLoss, finalLoss, trainRows: nTrain, testRows: nTest, epochs, lr },
    plots,
  };
}
