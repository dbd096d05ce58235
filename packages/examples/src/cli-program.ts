/**
 * The `tensorgrad-examples` command line: one sub-command per example, each with `--help`, the
 * common options (--seed, --quiet, --json, --out, --no-plots, --no-progress) and its own.
 */

import { Command, InvalidArgumentError, Option } from "commander";
import { TensorgradError } from "@tensorgrad/autograd";
import manifest from "../package.json" with { type: "json" };
import { plotsAvailable } from "./common/plot.js";
import { DEFAULT_OUT_DIR, DEFAULT_SEED, type CommonOptions } from "./common/options.js";
import { runDemo } from "./examples/demo.js";
import { runCnn, type CnnOptions } from "./examples/cnn.js";
import { runDigits, type DigitsOptions } from "./examples/digits.js";
import { runGpt, type GptOptions } from "./examples/gpt.js";
import { runLstm, type LstmOptions } from "./examples/lstm.js";
import { runMakemore, type MakemoreOptions } from "./examples/makemore.js";
import { runMarks, type MarksOptions } from "./examples/marks.js";
import { runSine, type SineOptions } from "./examples/sine.js";
import { runVae, type VaeOptions } from "./examples/vae.js";
import { runVanishing, type HiddenActivation, type VanishingOptions } from "./examples/vanishing.js";
import { runWorked, type WorkedOptions } from "./examples/worked.js";

/** The example names the CLI knows. */
export type ExampleName = "sine" | "digits" | "marks" | "vanishing" | "worked" | "demo"
  | "cnn" | "vae" | "makemore" | "gpt" | "lstm";

/** Runs one example with parsed options; the CLI's default calls runSine, runDigits, … */
export type ExampleRunner = (name: ExampleName, options: CommonOptions & Record<string, unknown>) => Promise<object>;

const defaultRunner: ExampleRunner = (name, options) => {
  switch (name) {
    case "sine": return runSine(options as SineOptions);
    case "digits": return runDigits(options as DigitsOptions);
    case "marks": return runMarks(options as MarksOptions);
    case "vanishing": return runVanishing(options as VanishingOptions);
    case "worked": return runWorked(options as WorkedOptions);
    case "demo": return runDemo(options);
    case "cnn": return runCnn(options as CnnOptions);
    case "vae": return runVae(options as VaeOptions);
    case "makemore": return runMakemore(options as MakemoreOptions);
    case "gpt": return runGpt(options as GptOptions);
    case "lstm": return runLstm(options as LstmOptions);
    default: return name satisfies never;
  }
};

function number(value: string): number {
  const v = Number(value);
  if (value.trim() === "" || !Number.isFinite(v)) throw new InvalidArgumentError(`not a number: ${value}`);
  return v;
}

function integer(value: string): number {
  const v = number(value);
  if (!Number.isInteger(v)) throw new InvalidArgumentError(`not an integer: ${value}`);
  return v;
}

function positiveNumber(value: string): number {
  const v = number(value);
  if (v <= 0) throw new InvalidArgumentError(`must be positive: ${value}`);
  return v;
}

function positiveInteger(value: string): number {
  const v = integer(value);
  if (v <= 0) throw new InvalidArgumentError(`must be a positive integer: ${value}`);
  return v;
}

function nonNegativeNumber(value: string): number {
  const v = number(value);
  if (v < 0) throw new InvalidArgumentError(`must not be negative: ${value}`);
  return v;
}

function nonNegativeInteger(value: string): number {
  const v = integer(value);
  if (v < 0) throw new InvalidArgumentError(`must be a non-negative integer: ${value}`);
  return v;
}

function dropoutProbability(value: string): number {
  const v = number(value);
  if (v < 0 || v >= 1) throw new InvalidArgumentError(`must be in [0, 1): ${value}`);
  return v;
}

/** Text with the escapes \n, \t and \\ turned into a newline, a tab and a backslash (for gpt --start). */
function escapedText(value: string): string {
  return value.replace(/\\(n|t|\\)/g, (_, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : "\\"));
}

function integerList(value: string): number[] {
  const parts = value.split(",").map((s) => s.trim());
  if (parts.length < 2) throw new InvalidArgumentError(`expected a comma-separated list like 784,30,10, got ${value}`);
  return parts.map(positiveInteger);
}

function channelPair(value: string): number[] {
  const parts = value.split(",").map((s) => s.trim());
  if (parts.length !== 2) throw new InvalidArgumentError(`expected two comma-separated channel counts like 32,64, got ${value}`);
  return parts.map(positiveInteger);
}

function activationList(value: string): HiddenActivation[] {
  return value.split(",").map((s) => {
    const a = s.trim();
    if (a !== "sigmoid" && a !== "relu") throw new InvalidArgumentError(`expected sigmoid and/or relu, got ${a}`);
    return a;
  });
}

/** Drops the long per-iteration series (history, lrHistory, batchHistory, …) so --json prints the final metrics only. */
export function summary(result: object): unknown {
  return JSON.parse(JSON.stringify(result, (key, value: unknown) => (key === "history" || key.endsWith("History") ? undefined : value)));
}

function addCommon(cmd: Command): Command {
  return cmd
    .option("--seed <n>", "seed of every random draw", integer, DEFAULT_SEED)
    .option("-q, --quiet", "print nothing but errors (and the JSON object with --json)", false)
    .option("--json", "print the final metrics as one JSON object on stdout (progress lines go to stderr)", false)
    .option("-o, --out <dir>", "folder for the SVG plots (with --json: none unless given)", DEFAULT_OUT_DIR)
    .option("--no-plots", "write no plots")
    .option("--no-progress", "no progress bar (it is also off when stderr is not a terminal)");
}

/** Builds the CLI; `run` replaces the example runner (tests pass a recorder). */
export function createProgram(run: ExampleRunner = defaultRunner): Command {
  const program = new Command("tensorgrad-examples")
    .version(manifest.version, "-V, --version", "print the version of @tensorgrad/examples")
    .description("Classic numpy backprop programs, rewritten the tensorgrad way (model + optimizer + backward()).")
    .showHelpAfterError("(add --help for usage)")
    .addHelpText("after", "\nExamples:\n  tensorgrad-examples demo\n  tensorgrad-examples sine --out plots\n  tensorgrad-examples digits --epochs 5 --cost cross-entropy\n  tensorgrad-examples digits --data ./mnist\n  tensorgrad-examples marks --csv marks.csv --json\n  tensorgrad-examples cnn --channels 8,16 --hidden 64\n  tensorgrad-examples vae --epochs 5");

  const action = (name: ExampleName, map: (o: Record<string, unknown>) => Record<string, unknown> = (o) => o) =>
    async (opts: Record<string, unknown>, cmd: Command) => {
      const { out, plots, progress, ...rest } = opts;
      // --json is for scripts: it writes plots only where --out asks for them.
      let noPlots = plots === false || (rest.json === true && cmd.getOptionValueSource("out") === "default");
      if (!noPlots && !(await plotsAvailable())) {
        process.stderr.write("tensorgrad-examples: plots skipped: they need the optional packages vega and vega-lite (npm install vega vega-lite)\n");
        noPlots = true;
      }
      const options = { ...map(rest), outDir: out as string, noPlots, progress: progress !== false } as CommonOptions & Record<string, unknown>;
      const result = await run(name, options);
      if (options.json) process.stdout.write(`${JSON.stringify(summary(result))}\n`);
    };

  addCommon(program.command("sine"))
    .description("fit y = 20·sin(2πx) with a 1-25-1 sigmoid network, full-batch gradient descent")
    .option("--points <n>", "training points x = i/n in [0, 1)", positiveInteger, 100)
    .option("--hidden <n>", "hidden units", positiveInteger, 25)
    .option("--lr <rate>", "learning rate", positiveNumber, 0.3)
    .option("--iterations <n>", "gradient steps", positiveInteger, 4000)
    .option("--log-every <n>", "print the loss every n iterations", positiveInteger, 100)
    .addOption(new Option("--loss <kind>", "half-mse = ½·mean((ŷ−y)²) as the article; mse = mean").choices(["half-mse", "mse"]).default("half-mse"))
    .action(action("sine"));

  addCommon(program.command("digits"))
    .description("Nielsen's mini-batch SGD network: sigmoid layers, quadratic cost, batch 10, eta 3.0")
    .option("--data <dir>", "folder with MNIST's four IDX files (gzipped or not); generated digits when omitted")
    .option("--sizes <list>", "layer sizes, input first, e.g. 784,30,10 (default: pixels,30,10)", integerList)
    .option("--epochs <n>", "passes over the training set", positiveInteger, 5)
    .option("--batch-size <n>", "mini-batch size", positiveInteger, 10)
    .option("--eta <rate>", "learning rate (default 3.0 quadratic, 0.5 cross-entropy)", positiveNumber)
    .addOption(new Option("--cost <kind>", "quadratic (sigmoid output) or cross-entropy (softmax output)").choices(["quadratic", "cross-entropy"]).default("quadratic"))
    .option("--train-size <n>", "generated data: training images", positiveInteger, 10000)
    .option("--test-size <n>", "generated data: test images", positiveInteger, 2000)
    .option("--image-size <n>", "generated data: image side in pixels, 28 like MNIST or 8 like the small UCI digits", positiveInteger, 28)
    .option("--train-limit <n>", "MNIST: read at most n training images", positiveInteger)
    .option("--test-limit <n>", "MNIST: read at most n test images", positiveInteger)
    .action(action("digits"));

  addCommon(program.command("cnn"))
    .description("pytorch/examples' MNIST CNN: two 3x3 convs, max-pool, dropout, fc 9216-128-10; Adadelta lr 1.0 + StepLR gamma 0.7")
    .option("--data <dir>", "folder with MNIST's four IDX files (gzipped or not); generated 28x28 digits when omitted")
    .option("--channels <c1,c2>", "output channels of the two convs (32,64 is the original: about 10 ms per training image on 2 CPU cores; 8,16 is ~10x faster)", channelPair, [32, 64])
    .option("--hidden <n>", "units of the hidden fully connected layer", positiveInteger, 128)
    .option("--epochs <n>", "passes over the training set (the original runs 14 over MNIST's 60000 images)", positiveInteger, 3)
    .option("--batch-size <n>", "training mini-batch size", positiveInteger, 64)
    .option("--test-batch-size <n>", "test batch size (memory only)", positiveInteger, 1000)
    .option("--lr <rate>", "Adadelta learning rate", positiveNumber, 1.0)
    .option("--gamma <factor>", "StepLR: multiply the learning rate by this after every epoch", positiveNumber, 0.7)
    .option("--train-size <n>", "generated data: training images (the default run takes about a minute)", positiveInteger, 2000)
    .option("--test-size <n>", "generated data: test images", positiveInteger, 500)
    .option("--train-limit <n>", "MNIST: read at most n training images", positiveInteger)
    .option("--test-limit <n>", "MNIST: read at most n test images", positiveInteger)
    .option("--samples <n>", "test images drawn with their predictions in cnn-predictions.svg", positiveInteger, 20)
    .action(action("cnn"));

  addCommon(program.command("vae"))
    .description("pytorch/examples' VAE: 784-400-20 encoder, reparameterization, 20-400-784 decoder, BCE + KL, Adam lr 1e-3")
    .option("--data <dir>", "folder with MNIST's four IDX files (gzipped or not); generated 28x28 digits when omitted")
    .option("--hidden <n>", "hidden units of encoder and decoder", positiveInteger, 400)
    .option("--latent <n>", "dimensions of the latent code z", positiveInteger, 20)
    .option("--epochs <n>", "passes over the training set", positiveInteger, 10)
    .option("--batch-size <n>", "mini-batch size", positiveInteger, 128)
    .option("--lr <rate>", "Adam learning rate", positiveNumber, 1e-3)
    .option("--train-size <n>", "generated data: training images", positiveInteger, 5000)
    .option("--test-size <n>", "generated data: test images", positiveInteger, 1000)
    .option("--train-limit <n>", "MNIST: read at most n training images", positiveInteger)
    .option("--test-limit <n>", "MNIST: read at most n test images", positiveInteger)
    .option("--samples <n>", "digits decoded from z ~ N(0, I) in vae-samples.svg", positiveInteger, 64)
    .action(action("vae"));

  addCommon(program.command("marks"))
    .description("3-4-1 pass/fail network from three exam marks: sigmoid, binary cross-entropy, lr 0.2")
    .option("--csv <file>", "CSV with header y,x1,x2,x3 (y is 0/1); generated marks when omitted")
    .option("--rows <n>", "generated data: rows", positiveInteger, 400)
    .option("--train-rows <n>", "the first n rows train, the rest test", positiveInteger, 300)
    .option("--lr <rate>", "learning rate", positiveNumber, 0.2)
    .option("--iterations <n>", "gradient steps", positiveInteger, 4500)
    .option("--log-every <n>", "print cost and accuracy every n iterations", positiveInteger, 500)
    .action(action("marks"));

  addCommon(program.command("vanishing"))
    .description("sigmoid vs ReLU in a 3-3-2-1 network on two balls of points: iterations, time, gradient norms per layer")
    .option("--activations <list>", "hidden activations to train, in order", activationList, ["sigmoid", "relu"])
    .option("--per-class <n>", "points per ball", positiveInteger, 100)
    .option("--batch-size <n>", "batch size", positiveInteger, 128)
    .option("--lr <rate>", "learning rate", positiveNumber, 0.1)
    .option("--target <loss>", "stop when the windowed mean loss is below this", positiveNumber, 0.01)
    .option("--window <n>", "iterations averaged by the stopping rule", positiveInteger, 1000)
    .option("--max-iters <n>", "give up after n iterations", positiveInteger, 100000)
    .option("--record-every <n>", "record gradient norms every n iterations", positiveInteger, 20)
    .action(action("vanishing"));

  addCommon(program.command("worked"))
    .description("the 3-2-1 backprop step by autograd next to the hand formulas, then the admissions network")
    .option("--csv <file>", "part 2: CSV with header admit,gre,gpa,rank; a generated table when omitted")
    .option("--rows <n>", "part 2: generated rows", positiveInteger, 400)
    .option("--epochs <n>", "part 2: epochs", positiveInteger, 900)
    .option("--lr <rate>", "part 2: learning rate", positiveNumber, 0.005)
    .option("--hidden <n>", "part 2: hidden units", positiveInteger, 2)
    .option("--holdout <fraction>", "part 2: fraction of rows held out for testing", positiveNumber, 0.1)
    .option("--part1-only", "skip part 2", false)
    .action(action("worked", ({ lr, ...o }) => ({ ...o, part2Lr: lr })));

  addCommon(program.command("makemore"))
    .description("karpathy/makemore's character MLP (embedding, context, tanh hidden layer) learns first names and makes up new ones")
    .option("--data <file>", "text file with one word a line; the shipped 1990 US Census first names when omitted")
    .option("--block-size <n>", "characters of context", positiveInteger, 3)
    .option("--emb-dim <n>", "embedding dimension per character", positiveInteger, 10)
    .option("--hidden <n>", "hidden units", positiveInteger, 200)
    .option("--batch-norm", "BatchNorm1d before the tanh (part 3 of the lecture)", false)
    .option("--steps <n>", "SGD steps (the learning rate drops ×0.1 halfway)", positiveInteger, 10000)
    .option("--batch-size <n>", "minibatch size", positiveInteger, 32)
    .option("--lr <rate>", "learning rate of the first half", positiveNumber, 0.1)
    .option("--eval-every <n>", "measure train and validation loss every n steps", positiveInteger, 1000)
    .option("--samples <n>", "names to sample after training", positiveInteger, 20)
    .option("--temperature <t>", "sampling temperature", positiveNumber, 1)
    .action(action("makemore"));

  addCommon(program.command("gpt"))
    .description("a nanoGPT-style character transformer: causal self-attention, AdamW with decay groups, warmup + cosine lr, clipping, top-k sampling")
    .option("--data <file>", "text to train on; the shipped Pride and Prejudice chapters when omitted")
    .option("--n-layer <n>", "transformer blocks", positiveInteger, 2)
    .option("--n-head <n>", "attention heads (must divide --n-embd)", positiveInteger, 2)
    .option("--n-embd <n>", "embedding width", positiveInteger, 32)
    .option("--block-size <n>", "context length in characters", positiveInteger, 32)
    .option("--dropout <p>", "dropout probability", dropoutProbability, 0)
    .option("--batch-size <n>", "sequences per batch", positiveInteger, 16)
    .option("--steps <n>", "training iterations", positiveInteger, 2000)
    .option("--lr <rate>", "peak learning rate", positiveNumber, 3e-3)
    .option("--min-lr <rate>", "learning rate at the end of the cosine decay (default lr/10)", nonNegativeNumber)
    .option("--warmup-iters <n>", "iterations of linear warmup", nonNegativeInteger, 100)
    .option("--weight-decay <w>", "AdamW weight decay of the matmul weights", nonNegativeNumber, 0.1)
    .option("--beta2 <b>", "Adam's beta2", dropoutProbability, 0.99)
    .option("--grad-clip <norm>", "clip the gradient norm to this (0 = off)", nonNegativeNumber, 1)
    .option("--eval-interval <n>", "estimate train and validation loss every n iterations", positiveInteger, 250)
    .option("--eval-iters <n>", "batches per loss estimate", positiveInteger, 20)
    .option("--sample-length <n>", "characters to sample after training", positiveInteger, 300)
    .option("--temperature <t>", "sampling temperature (< 1: more conservative)", positiveNumber, 0.8)
    .option("--top-k <k>", "sample among the k most likely characters", positiveInteger, 200)
    .option("--start <text>", "text the sample continues (\\n for a newline)", escapedText, "\n")
    .action(action("gpt"));

  addCommon(program.command("lstm"))
    .description("pytorch/examples word_language_model: Embedding → LSTM/GRU → dropout → Linear, truncated BPTT, clipping, perplexity")
    .option("--data <file>", "text to train on; the shipped Pride and Prejudice chapters when omitted")
    .addOption(new Option("--level <kind>", "tokens: characters, or whitespace-separated words with <eos> at line ends").choices(["char", "word"]).default("char"))
    .addOption(new Option("--model <kind>", "recurrent layer").choices(["LSTM", "GRU"]).default("LSTM"))
    .option("--emsize <n>", "embedding size", positiveInteger, 64)
    .option("--nhid <n>", "hidden units per layer", positiveInteger, 128)
    .option("--nlayers <n>", "recurrent layers", positiveInteger, 2)
    .option("--lr <rate>", "initial learning rate of plain SGD (÷4 when validation stops improving)", positiveNumber, 20)
    .option("--clip <norm>", "gradient norm clipping", positiveNumber, 0.25)
    .option("--epochs <n>", "passes over the training tokens", positiveInteger, 3)
    .option("--batch-size <n>", "columns of the training stream", positiveInteger, 20)
    .option("--bptt <n>", "steps of truncated backpropagation through time", positiveInteger, 35)
    .option("--dropout <p>", "dropout probability", dropoutProbability, 0.2)
    .option("--tied", "share the embedding and decoder weights (needs --emsize = --nhid)", false)
    .option("--max-tokens <n>", "use only the first n tokens of the text", positiveInteger)
    .option("--log-interval <n>", "print the training loss every n chunks", positiveInteger, 50)
    .option("--sample-length <n>", "tokens to generate after training", positiveInteger, 300)
    .option("--temperature <t>", "generation temperature", positiveNumber, 1)
    .action(action("lstm"));

  addCommon(program.command("demo"))
    .description("a one-minute tour: sine, marks, worked, and reduced digits and vanishing; says where the plots are")
    .option("--vanishing-max-iters <n>", "iteration cap of the vanishing part", positiveInteger, 30000)
    .action(action("demo"));

  return program;
}

/** Runs the CLI on `argv` (process.argv layout); prints typed errors as one line and sets exit code 1. */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  try {
    await createProgram().parseAsync([...argv]);
  } catch (e) {
    if (e instanceof TensorgradError) {
      process.stderr.write(`tensorgrad-examples: ${e.name}: ${e.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw e;
  }
}
