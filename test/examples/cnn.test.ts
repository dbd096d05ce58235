/**
 * The cnn example: its network is pytorch/examples' MNIST Net (checked against PyTorch 1.13 goldens
 * from test/goldens/examples12.py: outputs, loss and every parameter gradient), it learns the
 * generated digits in a reduced fast mode, reads MNIST IDX folders, and runs from the CLI.
 */

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Generator, tensor, type Tensor } from "@tensorgrad/autograd";
import { functional as F } from "@tensorgrad/nn";
import { CnnNet, OptionError, createProgram, encodeIdx, generateDigits, main, runCnn } from "@tensorgrad/examples";
import { readGoldens } from "../helpers/goldens.js";
import { tempDir } from "../helpers/temp-dir.js";

type Flat = { shape: number[]; data: number[] };
const golden = readGoldens<Record<string, unknown>>("examples12.json").cnn as {
  sizes: { channels: number[]; hidden: number; imageSize: [number, number] };
  state: Record<string, Flat>;
  input: Flat;
  target: number[];
  output: Flat;
  loss: number;
  grads: Record<string, Flat>;
};
const f64 = (t: Flat): Tensor => tensor(t.data, { shape: t.shape, dtype: "float64" });

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe("CnnNet is pytorch/examples' MNIST Net", () => {
  it("has PyTorch's state dict keys and shapes, and 1,199,882 parameters at full size", () => {
    const net = new CnnNet();
    const shapes = Object.fromEntries(Object.entries(net.stateDict()).map(([k, v]) => [k, v.shape]));
    expect(shapes).toEqual({
      "conv1.weight": [32, 1, 3, 3], "conv1.bias": [32],
      "conv2.weight": [64, 32, 3, 3], "conv2.bias": [64],
      "fc1.weight": [128, 9216], "fc1.bias": [128],
      "fc2.weight": [10, 128], "fc2.bias": [10],
    });
    // 32·9 + 32 + 64·32·9 + 64 + 128·9216 + 128 + 10·128 + 10, the count PyTorch prints for Net
    expect(net.parameters().reduce((n, p) => n + p.numel(), 0)).toBe(1_199_882);
  });

  it("reproduces PyTorch's log-probabilities, NLL loss and parameter gradients (eval mode, float64)", () => {
    const net = new CnnNet(golden.sizes).double();
    const state = Object.fromEntries(Object.entries(golden.state).map(([k, v]) => [k, f64(v)]));
    expect(net.loadStateDict(state)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    net.eval();
    const output = net.call(f64(golden.input));
    expect(output).toBeAllclose(f64(golden.output), { rtol: 1e-10, atol: 1e-12 });
    const loss = F.nllLoss(output, tensor(golden.target, { dtype: "int32" }));
    expect(loss.item()).toBeCloseTo(golden.loss, 12);
    loss.backward();
    const named = net.namedParameters();
    expect(named.map(([n]) => n).sort()).toEqual(Object.keys(golden.grads).sort());
    for (const [name, p] of named) expect(p.grad!, name).toBeAllclose(f64(golden.grads[name]), { rtol: 1e-9, atol: 1e-12 });
  });

  it("drops activations in training mode only", () => {
    const net = new CnnNet({ channels: [2, 3], hidden: 8, imageSize: [8, 8] });
    const x = tensor(Array.from({ length: 2 * 64 }, (_, i) => Math.sin(i)), { shape: [2, 1, 8, 8] });
    net.eval();
    expect(net.call(x)).toBeAllclose(net.call(x));
    net.train();
    expect(net.call(x).sub(net.call(x)).abs().max().item()).toBeGreaterThan(0);
  });

  it("rejects channel lists that are not two positive integers and images too small for the network", () => {
    expect(() => new CnnNet({ channels: [32] })).toThrow(OptionError);
    expect(() => new CnnNet({ channels: [32, 0] })).toThrow("CnnNet: channels must be two positive integers (conv1 and conv2 outputs), got [32,0]");
    expect(() => new CnnNet({ imageSize: [5, 28] })).toThrow("CnnNet: images must be at least 6x6 for two 3x3 convolutions and a 2x2 pool, got 5x28");
  });
});

describe("cnn example", () => {
  it("learns the generated digits in its fast mode (reduced channels), with Adadelta + StepLR, and writes SVG plots", async () => {
    const dir = tempDir("cnn");
    const r = await runCnn({ quiet: true, outDir: dir, channels: [8, 16], hidden: 64, trainSize: 1500, testSize: 300, epochs: 2 });
    expect(r.dataset).toBe("generated");
    expect(r.lrs).toEqual([1, 0.7]); // StepLR(stepSize 1, gamma 0.7)
    expect(r.history).toHaveLength(2 * Math.ceil(1500 / 64));
    expect(r.trainLoss[1]).toBeLessThan(r.trainLoss[0]);
    expect(r.testLoss[1]).toBeLessThan(r.testLoss[0]);
    expect(r.testLoss[1]).toBeLessThan(0.8); // ln 10 ≈ 2.30 is the loss of guessing
    expect(r.finalTestAccuracy).toBeGreaterThan(0.7); // chance is 0.1; ≈ 0.86 here
    expect(r.plots.map((p) => p.slice(dir.length + 1))).toEqual(["cnn-loss.svg", "cnn-accuracy.svg", "cnn-predictions.svg"]);
    for (const p of r.plots) expect(readFileSync(p, "utf8").startsWith("<svg")).toBe(true);
    expect(readFileSync(r.plots[2], "utf8")).toContain("predicted digit");
  });

  it("is reproducible with the same seed", async () => {
    const options = { quiet: true, noPlots: true, channels: [2, 4], hidden: 8, trainSize: 100, testSize: 50, epochs: 1 };
    const a = await runCnn({ ...options, seed: 5 });
    const b = await runCnn({ ...options, seed: 5 });
    expect(a.history).toEqual(b.history);
    expect(a.testLoss).toEqual(b.testLoss);
  });

  it("trains on an MNIST folder of IDX files, and says when its images are too small", async () => {
    const dir = tempDir("cnn-mnist");
    const write = (prefix: string, count: number, size: number) => {
      const set = generateDigits({ count, size, generator: new Generator(count) });
      writeFileSync(join(dir, `${prefix}-images-idx3-ubyte`), encodeIdx([count, size, size], Array.from(set.images, (v) => Math.round(v * 255))));
      writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), encodeIdx([count], set.labels));
    };
    write("train", 30, 28);
    write("t10k", 20, 28);
    const r = await runCnn({ quiet: true, noPlots: true, data: dir, channels: [2, 4], hidden: 8, epochs: 1, trainLimit: 25 });
    expect([r.dataset, r.trainSize, r.testSize, r.testAccuracy.length]).toEqual(["mnist", 25, 20, 1]);
    write("train", 10, 4);
    write("t10k", 10, 4);
    await expect(runCnn({ quiet: true, noPlots: true, data: dir })).rejects.toThrow("CnnNet: images must be at least 6x6 for two 3x3 convolutions and a 2x2 pool, got 4x4");
  });

  it("rejects bad options with the option's name", async () => {
    await expect(runCnn({ quiet: true, gamma: 0 })).rejects.toThrow("cnn: gamma must be a positive number, got 0");
    await expect(runCnn({ quiet: true, channels: [1, 2, 3] })).rejects.toThrow("cnn: channels must be two positive integers");
  });
});

describe("cnn on the command line", () => {
  it("parses its options, with pytorch/examples' defaults", async () => {
    const calls: { name: string; options: Record<string, unknown> }[] = [];
    const program = createProgram(async (name, options) => (calls.push({ name, options }), { example: name }));
    await program.parseAsync(["node", "x", "cnn"]);
    await program.parseAsync(["node", "x", "cnn", "--channels", "8,16", "--hidden", "64", "--gamma", "0.5", "--data", "mnist", "--train-limit", "100"]);
    expect(calls[0]).toMatchObject({ name: "cnn", options: { channels: [32, 64], hidden: 128, lr: 1, gamma: 0.7, batchSize: 64, testBatchSize: 1000, epochs: 3, trainSize: 2000, testSize: 500 } });
    expect(calls[1].options).toMatchObject({ channels: [8, 16], hidden: 64, gamma: 0.5, data: "mnist", trainLimit: 100 });
  });

  it("prints --help and rejects a bad channel list", async () => {
    let out = "";
    let err = "";
    const program = createProgram(async () => ({}));
    for (const c of [program, ...program.commands]) c.exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
    await expect(program.parseAsync(["node", "x", "--help"])).rejects.toMatchObject({ code: "commander.helpDisplayed" });
    expect(out).toContain("cnn");
    out = "";
    await expect(program.parseAsync(["node", "x", "cnn", "--help"])).rejects.toMatchObject({ code: "commander.helpDisplayed" });
    for (const option of ["Usage: tensorgrad-examples cnn [options]", "--channels <c1,c2>", "--gamma", "--data <dir>", "--seed", "--json", "--out <dir>"]) expect(out).toContain(option);
    await expect(program.parseAsync(["node", "x", "cnn", "--channels", "32"])).rejects.toMatchObject({ code: "commander.invalidArgument" });
    expect(err).toContain("expected two comma-separated channel counts like 32,64, got 32");
  });

  it("--json prints one JSON object with the per-epoch metrics and no per-batch history", async () => {
    let stdout = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    await main(["node", "cli", "cnn", "--channels", "2,4", "--hidden", "8", "--train-size", "64", "--test-size", "20", "--epochs", "2", "--json", "--no-plots"]);
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0]);
    expect(result).toMatchObject({ example: "cnn", dataset: "generated", channels: [2, 4], hidden: 8, lrs: [1, 0.7], trainSize: 64, testSize: 20, plots: [] });
    expect(result.testAccuracy).toHaveLength(2);
    expect(result.history).toBeUndefined();
  });
});
