/**
 * The training worker: generates the digits, trains the classifier, answers predictions, saves and
 * loads its weights, and fits the sine curve — off the page's thread, so the page stays responsive
 * and, when the page is cross-origin isolated, the wasm kernels can use threads.
 *
 * The network is the digits example's (packages/examples/src/examples/digits-model.ts): 784-30-10
 * with a sigmoid hidden layer, in its cross-entropy form, so that the softmax of its outputs gives
 * the class probabilities the page shows. The data are the example's generated digits. Both come
 * from the package's source modules rather than its index, which also holds the Node-only CLI,
 * file readers and plots.
 */

import { Generator, getBackend, getNumThreads, manualSeed, noGrad, tensor, wasmFeatures, type Tensor } from "@tensorgrad/autograd";
import { DataLoader, Linear, Sequential, Sigmoid, TensorDataset, loadSafetensors, optim, saveSafetensors, functional as F, type Module } from "@tensorgrad/nn";
import { generateDigits } from "../../src/data/digit-glyphs.js";
import type { DigitSet } from "../../src/data/idx.js";
import { sineData } from "../../src/data/synthetic.js";
import { digitsNetwork } from "../../src/examples/digits-model.js";
import type { BackendInfo, FromWorker, ToWorker } from "./protocol.js";

/** The slice of a dedicated worker's global scope used here (the project types the DOM, not workers). */
interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  crossOriginIsolated?: boolean;
}
const scope = globalThis as unknown as WorkerScope;
const post = (message: FromWorker, transfer: Transferable[] = []): void => scope.postMessage(message, transfer);

/** Layer sizes: 28×28 pixels in, one output per digit. */
const SIZES = [784, 30, 10] as const;
/** Nielsen's chapter-3 recipe: cross-entropy cost, mini-batches of 10, η = 0.5. */
const BATCH_SIZE = 10;
const ETA = 0.5;
/** Report progress (and let messages in) after this much work. */
const REPORT_MS = 40;
/** Measure test accuracy this many times per epoch. */
const EVALS_PER_EPOCH = 4;

let model: Module = digitsNetwork(SIZES, "cross-entropy");
let testSet: { x: Tensor; y: Tensor } | undefined;
let training = false;
let stopRequested = false;

function backendInfo(): BackendInfo {
  const features = wasmFeatures();
  return {
    backend: getBackend().name,
    simd: features.simd,
    relaxedSimd: features.relaxedSimd,
    fma: features.fma,
    compileRefused: features.compileRefused,
    threads: getNumThreads(),
    isolated: scope.crossOriginIsolated === true,
  };
}

/** Lets queued messages (predict, stop) run and lets the kernels' worker threads start. */
function yieldToEventLoop(): Promise<void> {
  // A MessageChannel task, not setTimeout, whose nested calls are clamped to 4 ms.
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

function toTensors(set: DigitSet): { x: Tensor; y: Tensor } {
  return { x: tensor(set.images, { shape: [set.count, set.rows * set.cols] }), y: tensor(set.labels, { dtype: "int32" }) };
}

/** Fraction of the test images the network classifies right. */
function accuracy(test: { x: Tensor; y: Tensor }): number {
  return noGrad(() => model.call(test.x).argmax(1).eq(test.y).float().mean().item());
}

async function train(epochs: number, trainSize: number, testSize: number, seed: number): Promise<void> {
  training = true;
  stopRequested = false;
  try {
    manualSeed(seed);
    post({ type: "status", text: `generating ${trainSize + testSize} digits…` });
    await yieldToEventLoop();
    const generator = new Generator(seed + 1); // the digits example's data: train, then test, from one generator
    const train = toTensors(generateDigits({ count: trainSize, generator }));
    const test = toTensors(generateDigits({ count: testSize, generator }));
    testSet = test;
    model = digitsNetwork(SIZES, "cross-entropy");
    const optimizer = new optim.SGD(model.parameters(), { lr: ETA });
    const loader = new DataLoader(new TensorDataset(train.x, train.y), { batchSize: BATCH_SIZE, shuffle: true, generator: new Generator(seed + 2) });
    const perEpoch = Math.ceil(trainSize / BATCH_SIZE);
    const total = epochs * perEpoch;
    const evalEvery = Math.max(1, Math.floor(perEpoch / EVALS_PER_EPOCH));
    post({ type: "status", text: "training…" });
    post({ type: "accuracy", done: 0, accuracy: accuracy(test) });

    const start = performance.now();
    let done = 0;
    let lossSum = 0;
    let lossCount = 0;
    let reported = performance.now();
    for (let epoch = 1; epoch <= epochs && !stopRequested; epoch++) {
      for (const [xb, yb] of loader) {
        const loss = F.crossEntropy(model.call(xb), yb); // softmax + log-likelihood, fused
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step(); // w ← w − η·∂C/∂w
        lossSum += loss.item();
        lossCount++;
        done++;
        if (done % evalEvery === 0) post({ type: "accuracy", done, accuracy: accuracy(test) });
        if (performance.now() - reported > REPORT_MS) {
          post({ type: "progress", epoch, epochs, done, total, loss: lossSum / lossCount });
          lossSum = lossCount = 0;
          await yieldToEventLoop();
          reported = performance.now();
          if (stopRequested) break;
        }
      }
      post({ type: "info", info: backendInfo() }); // threads may have come up meanwhile
    }
    if (lossCount > 0) post({ type: "progress", epoch: epochs, epochs, done, total, loss: lossSum / lossCount });
    const final = accuracy(test);
    if (done % evalEvery !== 0) post({ type: "accuracy", done, accuracy: final });
    post({ type: "trained", accuracy: final, seconds: (performance.now() - start) / 1000, stopped: stopRequested });
  } finally {
    training = false;
  }
}

/** Softmax of the network's outputs for one image. */
function predict(pixels: Float32Array): number[] {
  return noGrad(() => F.softmax(model.call(tensor(pixels, { shape: [1, 784] })), 1).toFlatArray());
}

/** Loads a safetensors file into the network (all or nothing: loadStateDict checks every key and shape first). */
function load(bytes: Uint8Array): void {
  if (training) throw new Error("load: stop training first");
  model.loadStateDict(loadSafetensors(bytes));
  testSet ??= toTensors(generateDigits({ count: 2000, generator: new Generator(1234) }));
  post({ type: "loaded", accuracy: accuracy(testSet), parameters: model.parameters().reduce((n, p) => n + p.numel(), 0) });
}

/**
 * The examples' sine fit (1-25-1, sigmoid hidden layer, full-batch gradient descent with lr 0.3 on
 * ½·mean((ŷ − y)²)), slowed down to show the fit every `every` steps.
 */
async function fitSine(steps: number, every: number): Promise<void> {
  manualSeed(0);
  const data = sineData(100);
  const x = tensor(data.x, { shape: [data.x.length, 1] });
  const y = tensor(data.y, { shape: [data.y.length, 1] });
  const grid = Array.from({ length: 201 }, (_, i) => i / 200);
  const gridX = tensor(grid, { shape: [grid.length, 1] });
  post({ type: "sine-data", x: data.x, y: data.y, grid });
  const net = new Sequential(new Linear(1, 25), new Sigmoid(), new Linear(25, 1));
  const optimizer = new optim.SGD(net.parameters(), { lr: 0.3 });
  const frame = (step: number, mse: number): void => post({ type: "sine-step", step, steps, mse, fit: noGrad(() => net.call(gridX).toFlatArray()) });
  frame(0, noGrad(() => F.mseLoss(net.call(x), y).item()));
  for (let step = 1; step <= steps; step++) {
    const mse = F.mseLoss(net.call(x), y);
    optimizer.zeroGrad();
    mse.mul(0.5).backward(); // ½·MSE, the hand-written recipe's loss
    optimizer.step();
    if (step % every === 0 || step === steps) {
      frame(step, mse.item());
      await new Promise((resolve) => setTimeout(resolve, 16)); // about one frame per display refresh
    }
  }
}

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case "train":
      if (!training) await train(message.epochs, message.trainSize, message.testSize, message.seed);
      return;
    case "stop":
      stopRequested = true;
      return;
    case "predict":
      post({ type: "prediction", probabilities: predict(message.pixels) });
      return;
    case "save": {
      // a copy in an ArrayBuffer of its own, to transfer to the page
      const bytes = Uint8Array.from(saveSafetensors(model.stateDict(), { metadata: { sizes: SIZES.join(","), cost: "cross-entropy", format: "pt" } }));
      post({ type: "saved", bytes }, [bytes.buffer]);
      return;
    }
    case "load":
      load(message.bytes);
      return;
    case "sine":
      await fitSine(message.steps, message.every);
      return;
    default:
      message satisfies never;
  }
}

scope.onmessage = (event) => {
  const request = event.data.type;
  handle(event.data).catch((e: unknown) => post({ type: "error", message: e instanceof Error ? e.message : String(e), request }));
};
post({ type: "info", info: backendInfo() });
