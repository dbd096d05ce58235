import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Generator, manualSeed } from "@tensorgrad/autograd";
import { MakemoreMLP, Vocab, createProgram, main, runMakemore, sampleWords, shippedTextPath } from "@tensorgrad/examples";
import { tempDir } from "../helpers/temp-dir.js";

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe("makemore example", () => {
  it("the shipped names are 5,163 lowercase words of a–z", () => {
    const names = readFileSync(shippedTextPath("names"), "utf8").trim().split("\n");
    expect(names).toHaveLength(5163);
    expect(names.every((n) => /^[a-z]+$/.test(n))).toBe(true);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain("elizabeth");
  });

  it("the MLP learns the names: validation loss far below log(27), the uniform guess; samples are a–z words", async () => {
    const dir = tempDir("makemore");
    const r = await runMakemore({ quiet: true, outDir: dir, steps: 600, hidden: 64, evalEvery: 200, samples: 12 });
    expect(r.vocabSize).toBe(27); // "." and a–z
    expect(r.uniformLoss).toBeCloseTo(Math.log(27), 12);
    expect(Math.abs(r.initialLoss - Math.log(27))).toBeLessThan(0.05); // the scaled-down output layer starts near uniform
    expect(r.valLoss).toBeLessThan(2.65); // ≈ 2.45 here; log(27) = 3.30
    expect(r.trainLoss).toBeLessThan(2.65);
    expect(r.history.map((h) => h.step)).toEqual([200, 400, 600]);
    expect(r.samples).toHaveLength(12);
    for (const s of r.samples) expect(s).toMatch(/^[a-z]*$/);
    expect(r.samples.filter((s) => s.length > 0).length).toBeGreaterThan(8);
    expect(r.plots.map((p) => p.slice(dir.length + 1))).toEqual(["makemore-loss.svg"]);
    expect(readFileSync(r.plots[0], "utf8").startsWith("<svg")).toBe(true);
  });

  it("with BatchNorm1d (part 3 of the lecture) learns too, its hidden Linear without bias", async () => {
    const r = await runMakemore({ quiet: true, noPlots: true, steps: 400, hidden: 64, evalEvery: 400, samples: 3, batchNorm: true });
    expect(r.batchNorm).toBe(true);
    expect(r.valLoss).toBeLessThan(2.75);
    const model = new MakemoreMLP(27, 3, 10, 64, true);
    expect(model.namedParameters().map(([n]) => n)).toEqual(["wte.weight", "mlp.0.weight", "mlp.1.weight", "mlp.1.bias", "mlp.3.weight", "mlp.3.bias"]);
    expect(Object.keys(model.stateDict())).toContain("mlp.1.running_mean");
  });

  it("sampling is seeded: the same generator seed gives the same names, another seed others", () => {
    manualSeed(3);
    const model = new MakemoreMLP(27, 3, 10, 32, false);
    const vocab = Vocab.ofChars("abcdefghijklmnopqrstuvwxyz", ["."]);
    const a = sampleWords(model, vocab, 10, { generator: new Generator(5) });
    const b = sampleWords(model, vocab, 10, { generator: new Generator(5) });
    const c = sampleWords(model, vocab, 10, { generator: new Generator(6) });
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    for (const s of [...a, ...c]) {
      expect(s).toMatch(/^[a-z]*$/);
      expect(s.length).toBeLessThanOrEqual(30); // maxLength
    }
  });

  it("is reproducible with the same seed", async () => {
    const run = () => runMakemore({ quiet: true, noPlots: true, steps: 60, hidden: 16, evalEvery: 60, samples: 5, seed: 7 });
    const [a, b] = [await run(), await run()];
    expect(a.valLoss).toBe(b.valLoss);
    expect(a.samples).toEqual(b.samples);
  });

  it("trains on --data FILE: its characters make the vocabulary", async () => {
    const dir = tempDir("makemore-data");
    const file = join(dir, "words.txt");
    const words = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? "ab" : "ba").repeat(1 + (i % 3)));
    writeFileSync(file, `${words.join("\n")}\n\n`);
    const r = await runMakemore({ quiet: true, noPlots: true, data: file, steps: 300, hidden: 32, evalEvery: 300, samples: 10 });
    expect(r.dataset).toBe(file);
    expect(r.words).toBe(200);
    expect(r.vocabSize).toBe(3); // ".", "a", "b"
    expect(r.valLoss).toBeLessThan(0.7 * Math.log(3));
    for (const s of r.samples) expect(s).toMatch(/^[ab]*$/);
  });

  it("rejects bad data and options with clear errors", async () => {
    const dir = tempDir("makemore-bad");
    const dotted = join(dir, "dotted.txt");
    writeFileSync(dotted, Array.from({ length: 20 }, (_, i) => (i === 4 ? "st.john" : "anna")).join("\n"));
    await expect(runMakemore({ quiet: true, data: dotted })).rejects.toThrow('makemore: words must not contain ".", the start/end token, got "st.john"');
    await expect(runMakemore({ quiet: true, data: join(dir, "missing.txt") })).rejects.toThrow(/^makemore: cannot read .*missing\.txt \(ENOENT\)$/);
    await expect(runMakemore({ quiet: true, blockSize: 0 })).rejects.toThrow("makemore: blockSize must be a positive integer, got 0");
  });
});

describe("makemore CLI", () => {
  it("maps the options and has the defaults; --help lists them", async () => {
    const calls: { name: string; options: Record<string, unknown> }[] = [];
    let help = "";
    const program = createProgram(async (name, options) => (calls.push({ name, options }), { example: name }));
    for (const c of [program, ...program.commands]) c.exitOverride().configureOutput({ writeOut: (s) => (help += s), writeErr: () => {} });
    await program.parseAsync(["node", "cli", "makemore", "--batch-norm", "--block-size", "4", "--data", "my.txt"]);
    expect(calls[0]).toMatchObject({ name: "makemore", options: { batchNorm: true, blockSize: 4, data: "my.txt", embDim: 10, hidden: 200, steps: 10000, batchSize: 32, lr: 0.1, samples: 20, seed: 0 } });
    await expect(program.parseAsync(["node", "cli", "makemore", "--help"])).rejects.toMatchObject({ code: "commander.helpDisplayed" });
    expect(help).toContain("Usage: tensorgrad-examples makemore [options]");
    for (const option of ["--data <file>", "--batch-norm", "--block-size <n>", "--seed", "--json", "--out <dir>"]) expect(help).toContain(option);
  });

  it("--json prints one JSON object with the final metrics and the samples", async () => {
    let stdout = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    await main(["node", "cli", "makemore", "--steps", "40", "--hidden", "16", "--eval-every", "20", "--samples", "4", "--json", "--no-plots"]);
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0]);
    expect(result).toMatchObject({ example: "makemore", vocabSize: 27, steps: 40 });
    expect(result.history).toBeUndefined();
    expect(result.samples).toHaveLength(4);
  });
});

describe("makemore from the built CLI", () => {
  it("finds the shipped names next to dist/ (pnpm test builds first)", () => {
    const cli = fileURLToPath(new URL("../../packages/examples/dist/cli.js", import.meta.url));
    const out = execFileSync(process.execPath, [cli, "makemore", "--steps", "20", "--hidden", "8", "--eval-every", "20", "--samples", "2", "--json", "--no-plots"], { encoding: "utf8", timeout: 60_000 });
    expect(JSON.parse(out)).toMatchObject({ example: "makemore", dataset: "names", words: 5163, vocabSize: 27 });
  });
});
