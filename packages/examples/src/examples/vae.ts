/**
 * vae — the variational autoencoder of pytorch/examples `vae/main.py` (Kingma & Welling), with
 * built-in layers only: encoder 784→400 (ReLU) → μ, log σ² (20 each); z = μ + ε·exp(½·log σ²)
 * with ε ~ N(0, I) drawn from a seeded Generator (the reparameterization trick); decoder
 * 20→400 (ReLU) →784 with a sigmoid; loss = BCE(reconstruction, x) summed over pixels and batch
 * + KL(q(z|x) ‖ N(0, I)) = −½·Σ(1 + log σ² − μ² − σ²); Adam, lr 1e-3, batches of 128. Per epoch it
 * reports the training and test loss per image, as the original.
 *
 * The data is MNIST when `data` names a folder with its four IDX files, else the generated
 * handwritten-like digits of the `digits` example at 28×28. Plots: the loss curves, 64 digits
 * decoded from z ~ N(0, I), and test images next to their reconstructions.
 */

import { Generator, manualSeed, noGrad, randn, randnLike, tensor, type Tensor } from "@tensorgrad/autograd";
import { DataLoader, Linear, Module, TensorDataset, optim, functional as F } from "@tensorgrad/nn";
import { imageGridSpec } from "../common/image-grid.js";
import { DEFAULT_OUT_DIR, DEFAULT_SEED, positive, positiveInt, type CommonOptions } from "../common/options.js";
import { lineChart, thin, writeSvg, type Row } from "../common/plot.js";
import { Reporter } from "../common/reporter.js";
import { loadDigitData } from "../data/digit-data.js";

/** Options of the vae example (defaults: pytorch/examples' recipe, on 5000 generated digits). */
export interface VaeOptions extends CommonOptions {
  /** Folder with MNIST's four IDX files (gzipped or not); generated 28×28 digits when omitted. */
  readonly data?: string;
  /** Units of the encoder's and decoder's hidden layers (default 400). */
  readonly hidden?: number;
  /** Dimensions of the latent code z (default 20). */
  readonly latent?: number;
  /** Passes over the training set (default 10, as the original, which runs them on MNIST's 60000 images). */
  readonly epochs?: number;
  /** Mini-batch size (default 128). */
  readonly batchSize?: number;
  /** Adam's learning rate (default 1e-3). */
  readonly lr?: number;
  /** Generated data: training images (default 5000). */
  readonly trainSize?: number;
  /** Generated data: test images (default 1000). */
  readonly testSize?: number;
  /** MNIST: read at most this many training images. */
  readonly trainLimit?: number;
  /** MNIST: read at most this many test images. */
  readonly testLimit?: number;
  /** Digits decoded from z ~ N(0, I) in vae-samples.svg (default 64, in rows of 8). */
  readonly samples?: number;
}

/** What runVae measured. */
export interface VaeResult {
  readonly example: "vae";
  /** "mnist" or "generated". */
  readonly dataset: string;
  readonly pixels: number;
  readonly hidden: number;
  readonly latent: number;
  /** Learnable numbers in the network. */
  readonly parameters: number;
  /** Summed loss over each epoch's training batches / training images. */
  readonly trainLoss: number[];
  /** Summed loss over the test set / test images, after each epoch. */
  readonly testLoss: number[];
  /** Test loss after the last epoch. */
  readonly finalTestLoss: number;
  /** The test loss of the untrained network, for comparison (about 550 for 784 pixels). */
  readonly initialTestLoss: number;
  readonly trainSize: number;
  readonly testSize: number;
  readonly seconds: number;
  /** Every training batch's loss per image (left out of --json). */
  readonly history: { step: number; loss: number }[];
  readonly plots: string[];
}

/** Sizes of VaeNet; the defaults are pytorch/examples'. */
export interface VaeNetOptions {
  /** Pixels per image (default 784). */
  readonly pixels?: number;
  /** Hidden units of encoder and decoder (default 400). */
  readonly hidden?: number;
  /** Latent dimensions (default 20). */
  readonly latent?: number;
  /** Random source of ε in `reparameterize` (the default generator when omitted). */
  readonly generator?: Generator;
}

/**
 * pytorch/examples' `VAE`, with the same attribute names, so its state dict keys are PyTorch's
 * (`fc1.weight`, `fc21.weight`, `fc22.weight`, `fc3.weight`, `fc4.weight` and biases).
 */
export class VaeNet extends Module<[Tensor], [Tensor, Tensor, Tensor]> {
  readonly pixels: number;
  readonly generator: Generator | undefined;
  fc1: Linear;
  fc21: Linear;
  fc22: Linear;
  fc3: Linear;
  fc4: Linear;

  constructor(options: VaeNetOptions = {}) {
    super();
    const pixels = positiveInt("VaeNet", "pixels", options.pixels ?? 784);
    const hidden = positiveInt("VaeNet", "hidden", options.hidden ?? 400);
    const latent = positiveInt("VaeNet", "latent", options.latent ?? 20);
    this.pixels = pixels;
    this.generator = options.generator;
    this.fc1 = new Linear(pixels, hidden);
    this.fc21 = new Linear(hidden, latent);
    this.fc22 = new Linear(hidden, latent);
    this.fc3 = new Linear(latent, hidden);
    this.fc4 = new Linear(hidden, pixels);
  }

  /** x [N, pixels] → [μ, log σ²], each [N, latent]. */
  encode(x: Tensor): [Tensor, Tensor] {
    const h1 = F.relu(this.fc1.call(x));
    return [this.fc21.call(h1), this.fc22.call(h1)];
  }

  /** z = μ + ε·σ with σ = exp(½·log σ²); ε ~ N(0, I) from the generator unless given. */
  reparameterize(mu: Tensor, logvar: Tensor, eps?: Tensor): Tensor {
    const std = logvar.mul(0.5).exp();
    return mu.add((eps ?? randnLike(std, { generator: this.generator })).mul(std));
  }

  /** z [N, latent] → pixel probabilities [N, pixels]. */
  decode(z: Tensor): Tensor {
    const h3 = F.relu(this.fc3.call(z));
    return F.sigmoid(this.fc4.call(h3));
  }

  /** x (any shape with `pixels` per image) → [reconstruction, μ, log σ²]. */
  forward(x: Tensor): [Tensor, Tensor, Tensor] {
    const [mu, logvar] = this.encode(x.reshape(-1, this.pixels));
    const z = this.reparameterize(mu, logvar);
    return [this.decode(z), mu, logvar];
  }
}

/**
 * pytorch/examples' loss_function: BCE(recon, x) summed over pixels and batch, plus the KL
 * divergence of N(μ, σ²) from N(0, I), −½·Σ(1 + log σ² − μ² − σ²). Appendix B of Kingma & Welling.
 */
export function vaeLoss(recon: Tensor, x: Tensor, mu: Tensor, logvar: Tensor): Tensor {
  const bce = F.binaryCrossEntropy(recon, x.reshape(recon.shape), { reduction: "sum" });
  const kld = logvar.add(1).sub(mu.square()).sub(logvar.exp()).sum().mul(-0.5);
  return bce.add(kld);
}

/** Trains the VAE and writes vae-loss.svg, vae-samples.svg and vae-reconstructions.svg. */
export async function runVae(options: VaeOptions = {}): Promise<VaeResult> {
  const op = "vae";
  const hidden = positiveInt(op, "hidden", options.hidden ?? 400);
  const latent = positiveInt(op, "latent", options.latent ?? 20);
  const epochs = positiveInt(op, "epochs", options.epochs ?? 10);
  const batchSize = positiveInt(op, "batchSize", options.batchSize ?? 128);
  const lr = positive(op, "lr", options.lr ?? 1e-3);
  const samples = positiveInt(op, "samples", options.samples ?? 64);
  const seed = options.seed ?? DEFAULT_SEED;
  const out = new Reporter(options);
  manualSeed(seed); // initial weights

  const { train, test, dataset } = await loadDigitData(op, options, { trainSize: 5000, testSize: 1000 }, seed);
  const pixels = train.rows * train.cols;

  const model = new VaeNet({ pixels, hidden, latent, generator: new Generator(seed + 3) });
  const parameters = model.parameters().reduce((n, p) => n + p.numel(), 0);
  const optimizer = new optim.Adam(model.parameters(), { lr });
  const trainX = tensor(train.images, { shape: [train.count, pixels] });
  const testX = tensor(test.images, { shape: [test.count, pixels] });
  const loader = new DataLoader(new TensorDataset(trainX), { batchSize, shuffle: true, generator: new Generator(seed + 2) });

  /** pytorch/examples' test(): the summed loss over the test set / test images, without gradients. */
  const evaluate = (): number => {
    model.eval();
    let total = 0;
    noGrad(() => {
      for (let start = 0; start < test.count; start += 1000) {
        const xb = testX.narrow(0, start, Math.min(1000, test.count - start));
        const [recon, mu, logvar] = model.call(xb);
        total += vaeLoss(recon, xb, mu, logvar).item();
      }
    });
    model.train();
    return total / test.count;
  };

  out.log(
    `vae: ${dataset} data, ${train.count} training / ${test.count} test images of ${train.rows}x${train.cols}; ` +
      `${pixels}-${hidden}-${latent} encoder, ${latent}-${hidden}-${pixels} decoder (${parameters} parameters); Adam lr ${lr}, batch ${batchSize}`,
  );
  const initialTestLoss = evaluate();
  out.log(`untrained: test set loss ${initialTestLoss.toFixed(4)}`);
  const trainLoss: number[] = [];
  const testLoss: number[] = [];
  const history: { step: number; loss: number }[] = [];
  const start = performance.now();
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const bar = out.progress(`epoch ${epoch}`, loader.length);
    let total = 0;
    let batches = 0;
    for (const [xb] of loader) {
      optimizer.zeroGrad();
      const [recon, mu, logvar] = model.call(xb);
      const loss = vaeLoss(recon, xb, mu, logvar);
      loss.backward();
      optimizer.step();
      const value = loss.item();
      total += value;
      batches++;
      history.push({ step: history.length + 1, loss: value / xb.shape[0] });
      bar.update(batches, `loss ${(value / xb.shape[0]).toFixed(2)}`);
    }
    bar.done();
    trainLoss.push(total / train.count);
    testLoss.push(evaluate());
    out.log(`====> Epoch: ${epoch} Average loss: ${trainLoss[epoch - 1].toFixed(4)}; test set loss: ${testLoss[epoch - 1].toFixed(4)}`);
  }
  const seconds = (performance.now() - start) / 1000;

  const plots: string[] = [];
  if (!options.noPlots) {
    const dir = options.outDir ?? DEFAULT_OUT_DIR;
    const perEpoch = loader.length;
    const lossRows: Row[] = [
      ...thin(history).map((h) => ({ epoch: h.step / perEpoch, loss: h.loss, series: "training batch" })),
      ...[initialTestLoss, ...testLoss].map((l, i) => ({ epoch: i, loss: l, series: "test" })),
    ];
    plots.push(await writeSvg(dir, "vae-loss.svg", lineChart({ title: `vae: loss per image, BCE + KL (${dataset})`, x: "epoch", y: "loss", rows: lossRows, series: "series", logY: true })));
    // Generated digits: decode z ~ N(0, I), as the original's sample_<epoch>.png.
    const decoded = noGrad(() => model.decode(randn([samples, latent], { generator: new Generator(seed + 4) })));
    plots.push(await writeSvg(dir, "vae-samples.svg", imageGridSpec({
      title: `${samples} digits decoded from z ~ N(0, I)`, images: decoded.toTypedArray(), count: samples, rows: train.rows, cols: train.cols, columns: 8, threshold: 0.2,
    })));
    // Reconstructions: the first test images over their reconstructions, as reconstruction_<epoch>.png.
    const n = Math.min(8, test.count);
    const originals = testX.narrow(0, 0, n);
    model.eval();
    const recon = noGrad(() => model.call(originals)[0]);
    model.train();
    const both = new Float32Array(2 * n * pixels);
    both.set(originals.toTypedArray());
    both.set(recon.toTypedArray(), n * pixels);
    const captions = [...Array.from({ length: n }, (_, k) => `#${k}`), ...Array.from({ length: n }, (_, k) => `#${k} decoded`)];
    plots.push(await writeSvg(dir, "vae-reconstructions.svg", imageGridSpec({
      title: `test images (top) and their reconstructions (bottom)`, images: both, count: 2 * n, rows: test.rows, cols: test.cols, captions, columns: n, threshold: 0.2,
    })));
    out.log(`plots: ${plots.join(", ")}`);
  }
  return {
    example: "vae", dataset, pixels, hidden, latent, parameters, trainLoss, testLoss, finalTestLoss: testLoss[testLoss.length - 1], initialTestLoss,
    trainSize: train.count, testSize: test.count, seconds, history, plots,
  };
}
