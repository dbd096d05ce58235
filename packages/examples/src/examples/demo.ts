/**
 * demo — a one-minute tour: sine and marks (the articles' full recipes), worked (both parts), and
 * digits and vanishing in reduced forms (fewer images and epochs; an iteration cap). Says where
 * the plots are, and names the longer model examples (cnn, makemore, gpt, lstm, vae) with the
 * command that runs each.
 */

import { resolve } from "node:path";
import { DEFAULT_OUT_DIR, type CommonOptions } from "../common/options.js";
import { Reporter } from "../common/reporter.js";
import { runDigits, type DigitsResult } from "./digits.js";
import { runMarks, type MarksResult } from "./marks.js";
import { runSine, type SineResult } from "./sine.js";
import { runVanishing, type VanishingResult } from "./vanishing.js";
import { runWorked, type WorkedResult } from "./worked.js";

/** Options of the demo. */
export interface DemoOptions extends CommonOptions {
  /** Iteration cap of the vanishing part (default 30000). */
  readonly vanishingMaxIters?: number;
}

/** What the demo measured: each example's result. */
export interface DemoResult {
  readonly example: "demo";
  readonly sine: SineResult;
  readonly marks: MarksResult;
  readonly worked: WorkedResult;
  readonly digits: DigitsResult;
  readonly vanishing: VanishingResult;
  readonly outDir: string;
  readonly plots: string[];
  readonly seconds: number;
}

/** The model examples the tour names at its end: command and what it trains. */
const MODEL_EXAMPLES: readonly (readonly [string, string])[] = [
  ["cnn", "pytorch/examples' MNIST CNN: two convolutions, max-pooling, dropout, Adadelta + StepLR"],
  ["makemore", "karpathy/makemore's character MLP makes up first names (US Census names)"],
  ["gpt", "a nanoGPT-style character transformer writes Jane Austen-ish text"],
  ["lstm", "pytorch/examples' word_language_model: LSTM/GRU, truncated BPTT, perplexity"],
  ["vae", "pytorch/examples' variational autoencoder on digits, with generated samples"],
];

/** Runs the tour. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const out = new Reporter(options);
  const start = performance.now();
  const section = (title: string) => out.log(`\n=== ${title} ${"=".repeat(Math.max(0, 70 - title.length))}`);
  out.log("tensorgrad examples: a short tour of classic numpy backprop programs, the tensorgrad way");
  section("sine: 1-25-1 network fits y = 20·sin(2πx)");
  const sine = await runSine({ ...options, logEvery: 500 });
  section("marks: 3-4-1 pass/fail network, binary cross-entropy");
  const marks = await runMarks(options);
  section("worked: one backprop step by autograd vs by hand, then admissions");
  out.log("(part 2 runs at lr 1: the article's lr 0.005 barely trains in 900 epochs — `tensorgrad-examples worked` shows its recipe)");
  const worked = await runWorked({ ...options, part2Lr: 1 });
  section("digits: Nielsen's [784,30,10] sigmoid network on generated digits (reduced)");
  const digits = await runDigits({ ...options, trainSize: 3000, testSize: 500, epochs: 2 });
  section("vanishing: sigmoid vs ReLU in a 3-3-2-1 network (reduced)");
  const vanishing = await runVanishing({ ...options, maxIters: options.vanishingMaxIters ?? 30_000 });
  const seconds = (performance.now() - start) / 1000;
  const outDir = resolve(options.outDir ?? DEFAULT_OUT_DIR);
  const plots = [...sine.plots, ...marks.plots, ...worked.plots, ...digits.plots, ...vanishing.plots];
  section("done");
  out.log(`sine final MSE ${sine.finalMse.toFixed(4)} (variance of y ${sine.varianceY.toFixed(0)})`);
  out.log(`marks test accuracy ${(100 * marks.testAccuracy).toFixed(1)}%`);
  out.log(`digits test accuracy ${(100 * digits.finalTestAccuracy).toFixed(1)}% after ${digits.testAccuracy.length} epochs`);
  out.log(`worked: autograd = hand formulas to ${worked.maxAbsDifference.toExponential(1)}; part 2 test accuracy ${(100 * (worked.part2?.testAccuracy ?? NaN)).toFixed(1)}%`);
  for (const run of vanishing.runs) {
    out.log(`vanishing ${run.activation}: ${run.converged ? "converged" : "stopped at the cap"} after ${run.iterations} iterations, ${run.seconds.toFixed(2)} s`);
  }
  out.log(`finished in ${seconds.toFixed(1)} s`);
  if (plots.length > 0) out.log(`plots are in ${outDir}:\n${plots.map((p) => `  ${p}`).join("\n")}`);
  out.log("more: tensorgrad-examples <sine|digits|marks|vanishing|worked> --help (e.g. digits --data DIR for MNIST)");
  out.log(`models built from the nn layers (longer runs, not part of this tour; add --help for their options):\n${MODEL_EXAMPLES.map(([cmd, what]) => `  tensorgrad-examples ${cmd.padEnd(9)} ${what}`).join("\n")}`);
  return { example: "demo", sine, marks, worked, digits, vanishing, outDir, plots, seconds };
}
