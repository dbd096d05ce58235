/**
 * The vae example: its network and loss are pytorch/examples' VAE and loss_function (checked
 * against PyTorch 1.13 goldens from test/goldens/examples12.py with the same ε: reconstruction,
 * μ, log σ², loss and every parameter gradient), it learns the generated digits in a fast mode,
 * and runs from the CLI.
 */

import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Generator, tensor, zeros, type Tensor } from "@tensorgrad/autograd";
import { VaeNet, createProgram, main, runVae, vaeLoss } from "@tensorgrad/examples";
import { readGoldens } from "../helpers/goldens.js";
import { tempDir } from "../helpers/temp-dir.js";

type Flat = { shape: number[]; data: number[] };
const golden = readGoldens<Record<string, unknown>>("examples12.json").vae as {
  sizes: { pixels: number; hidden: number; latent: number };
  state: Record<string, Flat>;
  input: Flat;
  eps: Flat;
  recon: Flat;
  mu: Flat;
  logvar: Flat;
  loss: number;
  grads: Record<string, Flat>;
};
const f64 = (t: Flat): Tensor => tensor(t.data, { shape: t.shape, dtype: "float64" });

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe("VaeNet and vaeLoss are pytorch/examples' VAE and loss_function", () => {
  it("has PyTorch's state dict keys and shapes at full size", () => {
    const shapes = Object.fromEntries(Object.entries(new VaeNet().stateDict()).map(([k, v]) => [k, v.shape]));
    expect(shapes).toEqual({
      "fc1.weight": [400, 784], "fc1.bias": [400],
      "fc21.weight": [20, 400], "fc21.bias": [20],
      "fc22.weight": [20, 400], "fc22.bias": [20],
      "fc3.weight": [400, 20], "fc3.bias": [400],
      "fc4.weight": [784, 400], "fc4.bias": [784],
    });
  });

  it("reproduces PyTorch's reconstruction, μ, log σ², BCE + KL loss and gradients for the same ε (float64)", () => {
    const net = new VaeNet(golden.sizes).double();
    const state = Object.fromEntries(Object.entries(golden.state).map(([k, v]) => [k, f64(v)]));
    expect(net.loadStateDict(state)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    const x = f64(golden.input); // [4, 6, 6]: vaeLoss and the encoder flatten it as x.view(-1, 36)
    const [mu, logvar] = net.encode(x.reshape(-1, golden.sizes.pixels));
    const recon = net.decode(net.reparameterize(mu, logvar, f64(golden.eps)));
    expect(mu).toBeAllclose(f64(golden.mu), { rtol: 1e-10, atol: 1e-12 });
    expect(logvar).toBeAllclose(f64(golden.logvar), { rtol: 1e-10, atol: 1e-12 });
    expect(recon).toBeAllclose(f64(golden.recon), { rtol: 1e-10, atol: 1e-12 });
    const loss = vaeLoss(recon, x, mu, logvar);
    expect(loss.item()).toBeCloseTo(golden.loss, 10);
    loss.backward();
    for (const [name, p] of net.namedParameters()) expect(p.grad!, name).toBeAllclose(f64(golden.grads[name]), { rtol: 1e-9, atol: 1e-12 });
  });

  it("KL term by hand: zero for μ = 0, log σ² = 0; ½(μ² + σ² − 1 − log σ²) per coordinate otherwise", () => {
    const recon = tensor([[0.5, 0.5]], { dtype: "float64" });
    const x = tensor([[1, 0]], { dtype: "float64" });
    const bce = 2 * Math.log(2); // −log ½ for each pixel
    expect(vaeLoss(recon, x, zeros([1, 3], { dtype: "float64" }), zeros([1, 3], { dtype: "float64" })).item()).toBeCloseTo(bce, 12);
    const mu = tensor([[1, -2]], { dtype: "float64" });
    const logvar = tensor([[0.5, -1]], { dtype: "float64" });
    const kl = 0.5 * (1 + Math.exp(0.5) - 1 - 0.5) + 0.5 * (4 + Math.exp(-1) - 1 + 1);
    expect(vaeLoss(recon, x, mu, logvar).item()).toBeCloseTo(bce + kl, 12);
  });

  it("draws ε from its generator: same seed, same z; eval mode samples too, as the original", () => {
    const a = new VaeNet({ pixels: 4, hidden: 3, latent: 2, generator: new Generator(9) });
    const b = new VaeNet({ pixels: 4, hidden: 3, latent: 2, generator: new Generator(9) });
    const mu = zeros([5, 2]);
    const logvar = zeros([5, 2]);
    const za = a.reparameterize(mu, logvar);
    expect(za).toBeAllclose(b.reparameterize(mu, logvar));
    expect(a.reparameterize(mu, logvar).sub(za).abs().max().item()).toBeGreaterThan(0);
  });
});

describe("vae example", () => {
  it("learns the generated digits in its fast mode: the loss falls far below the untrained one, and it writes the plots", async () => {
    const dir = tempDir("vae");
    const r = await runVae({ quiet: true, outDir: dir, hidden: 200, latent: 10, trainSize: 2000, testSize: 300, epochs: 3, samples: 16 });
    expect([r.pixels, r.hidden, r.latent]).toEqual([784, 200, 10]);
    expect(r.initialTestLoss).toBeGreaterThan(500); // ≈ 784·ln 2 ≈ 543 for outputs near ½
    for (let e = 1; e < 3; e++) expect(r.trainLoss[e]).toBeLessThan(r.trainLoss[e - 1]);
    expect(r.testLoss[2]).toBeLessThan(r.testLoss[0]);
    expect(r.finalTestLoss).toBeLessThan(300); // ≈ 274 here
    expect(r.plots.map((p) => p.slice(dir.length + 1))).toEqual(["vae-loss.svg", "vae-samples.svg", "vae-reconstructions.svg"]);
    for (const p of r.plots) expect(readFileSync(p, "utf8").startsWith("<svg")).toBe(true);
    expect(readFileSync(r.plots[1], "utf8")).toContain("16 digits decoded from z ~ N(0, I)");
  });

  it("is reproducible with the same seed", async () => {
    const options = { quiet: true, noPlots: true, hidden: 16, latent: 2, trainSize: 100, testSize: 50, epochs: 1 };
    const a = await runVae({ ...options, seed: 5 });
    const b = await runVae({ ...options, seed: 5 });
    expect(a.history).toEqual(b.history);
    expect(a.finalTestLoss).toBe(b.finalTestLoss);
  });

  it("rejects bad options with the option's name", async () => {
    await expect(runVae({ quiet: true, latent: 0 })).rejects.toThrow("vae: latent must be a positive integer, got 0");
    await expect(runVae({ quiet: true, lr: -1 })).rejects.toThrow("vae: lr must be a positive number, got -1");
  });
});

describe("vae on the command line", () => {
  it("parses its options, with pytorch/examples' defaults", async () => {
    const calls: { name: string; options: Record<string, unknown> }[] = [];
    const program = createProgram(async (name, options) => (calls.push({ name, options }), { example: name }));
    await program.parseAsync(["node", "x", "vae"]);
    await program.parseAsync(["node", "x", "vae", "--latent", "2", "--epochs", "3", "--seed", "4", "--out", "plots"]);
    expect(calls[0]).toMatchObject({ name: "vae", options: { hidden: 400, latent: 20, lr: 0.001, batchSize: 128, epochs: 10, trainSize: 5000, testSize: 1000, samples: 64 } });
    expect(calls[1].options).toMatchObject({ latent: 2, epochs: 3, seed: 4, outDir: "plots" });
  });

  it("prints --help", async () => {
    let out = "";
    const program = createProgram(async () => ({}));
    for (const c of [program, ...program.commands]) c.exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: () => {} });
    await expect(program.parseAsync(["node", "x", "--help"])).rejects.toMatchObject({ code: "commander.helpDisplayed" });
    expect(out).toContain("vae");
    out = "";
    await expect(program.parseAsync(["node", "x", "vae", "--help"])).rejects.toMatchObject({ code: "commander.helpDisplayed" });
    for (const option of ["Usage: tensorgrad-examples vae [options]", "--latent <n>", "--data <dir>", "--seed", "--quiet", "--json", "--out <dir>"]) expect(out).toContain(option);
  });

  it("--json prints one JSON object with the per-epoch losses and no per-batch history", async () => {
    let stdout = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    await main(["node", "cli", "vae", "--hidden", "16", "--latent", "2", "--train-size", "100", "--test-size", "20", "--epochs", "2", "--json", "--no-plots"]);
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0]);
    expect(result).toMatchObject({ example: "vae", dataset: "generated", pixels: 784, hidden: 16, latent: 2, trainSize: 100, testSize: 20, plots: [] });
    expect(result.trainLoss).toHaveLength(2);
    expect(result.testLoss).toHaveLength(2);
    expect(result.history).toBeUndefined();
  });
});
