import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { manualSeed, tensor, zeros } from "@tensorgrad/autograd";
import { GRU, LSTM } from "@tensorgrad/nn";
import { RNNModel, batchify, createProgram, main, repackageHidden, runLstm, shippedTextPath } from "@tensorgrad/examples";
import { tempDir } from "../helpers/temp-dir.js";

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

const fast = { quiet: true, maxTokens: 20000, epochs: 4, nhid: 64, emsize: 32, nlayers: 1, dropout: 0, bptt: 20, batchSize: 10, sampleLength: 100 } as const;
const text = () => readFileSync(shippedTextPath("prideAndPrejudice"), "utf8");

describe("lstm example", () => {
  it("the character LSTM learns: validation and test perplexity far below the vocabulary size (a uniform guess)", async () => {
    const dir = tempDir("lstm");
    const r = await runLstm({ ...fast, outDir: dir });
    const chars = new Set(text().slice(0, 20000));
    expect(r.tokens).toBe(20000);
    expect(r.vocabSize).toBe(chars.size);
    expect(r.initialValPerplexity / r.vocabSize).toBeGreaterThan(0.8); // untrained: about uniform
    expect(r.initialValPerplexity / r.vocabSize).toBeLessThan(1.25);
    expect(r.valPerplexity).toBeLessThan(15); // ≈ 9 here, vocabulary 64
    expect(r.testPerplexity).toBeLessThan(15);
    expect(r.valPerplexity).toBeCloseTo(Math.exp(r.valLoss), 10);
    expect(r.history).toHaveLength(4);
    expect(r.history[3].valLoss).toBeLessThan(r.history[0].valLoss);
    expect(r.sample).toHaveLength(100);
    for (const c of r.sample) expect(chars.has(c)).toBe(true);
    expect(r.plots.map((p) => p.slice(dir.length + 1))).toEqual(["lstm-loss.svg"]);
    expect(readFileSync(r.plots[0], "utf8").startsWith("<svg")).toBe(true);
  });

  it("with a GRU it learns too", async () => {
    const r = await runLstm({ ...fast, model: "GRU", maxTokens: 12000, epochs: 3, sampleLength: 20 });
    expect(r.model).toBe("GRU");
    expect(r.valPerplexity).toBeLessThan(r.vocabSize / 2.5);
  });

  it("word level: whitespace-separated words with <eos> at line ends; the sample is made of them", async () => {
    const r = await runLstm({ ...fast, level: "word", maxTokens: 3000, epochs: 2, sampleLength: 30 });
    const words = text().split("\n").flatMap((line) => [...line.split(/\s+/).filter((w) => w !== ""), "<eos>"]).slice(0, 3000);
    expect(r.level).toBe("word");
    expect(r.tokens).toBe(3000);
    expect(r.vocabSize).toBe(new Set(words).size);
    expect(r.valPerplexity).toBeLessThan(r.vocabSize / 2); // at least the word frequencies are learned
    const known = new Set(words);
    const sampled = r.sample.split(/\s+/).filter((w) => w !== "");
    expect(sampled.length).toBeGreaterThan(0);
    for (const w of sampled) expect(known.has(w)).toBe(true);
  });

  it("is reproducible with the same seed", async () => {
    const run = () => runLstm({ ...fast, maxTokens: 4000, epochs: 1, sampleLength: 30, seed: 5, dropout: 0.2 });
    const [a, b] = [await run(), await run()];
    expect(a.valLoss).toBe(b.valLoss);
    expect(a.sample).toBe(b.sample);
  });

  it("batchify cuts the stream into columns, as word_language_model", () => {
    const b = batchify(Int32Array.from({ length: 11 }, (_, i) => i), 2);
    expect(b.shape).toEqual([5, 2]);
    expect(b.toArray()).toEqual([[0, 5], [1, 6], [2, 7], [3, 8], [4, 9]]); // token 10 does not fit and is dropped
  });

  it("repackageHidden cuts the state from the graph (truncated BPTT)", () => {
    manualSeed(1);
    const model = new RNNModel("LSTM", 7, 4, 5, 2, 0);
    const [, state] = model.call(tensor([[1, 2], [3, 4], [5, 6]], { dtype: "int32" }), model.initHidden(2));
    const [h, c] = state as [ReturnType<typeof zeros>, ReturnType<typeof zeros>];
    expect(h.shape).toEqual([2, 2, 5]);
    expect(h.requiresGrad && c.requiresGrad).toBe(true);
    const [h2, c2] = repackageHidden(state) as [typeof h, typeof c];
    expect(h2.requiresGrad || c2.requiresGrad).toBe(false);
    expect(h2.gradFn === null && c2.gradFn === null).toBe(true);
    expect(h2.toFlatArray()).toEqual(h.toFlatArray());
  });

  it("RNNModel: PyTorch's layer names, LSTM or GRU, tied weights shared once", () => {
    manualSeed(2);
    const lstm = new RNNModel("LSTM", 10, 6, 8, 1);
    expect(lstm.rnn).toBeInstanceOf(LSTM);
    expect(lstm.namedParameters().map(([n]) => n)).toEqual(["encoder.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "decoder.weight", "decoder.bias"]);
    const w = lstm.encoder.weight.toFlatArray();
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(0.1); // init_weights: U(−0.1, 0.1)
    expect(lstm.decoder.bias?.toFlatArray()).toEqual(new Array(10).fill(0));
    expect(new RNNModel("GRU", 10, 6, 8, 1).rnn).toBeInstanceOf(GRU);
    const tied = new RNNModel("LSTM", 10, 8, 8, 1, 0.2, true);
    expect(tied.decoder.weight).toBe(tied.encoder.weight);
    expect(tied.numParameters()).toBe(new RNNModel("LSTM", 10, 8, 8, 1).numParameters() - 80);
    expect(() => new RNNModel("LSTM", 10, 6, 8, 1, 0.2, true)).toThrow("RNNModel: when using the tied flag, nhid must be equal to emsize, got nhid 8 and emsize 6");
  });

  it("rejects bad options and too little data with clear errors", async () => {
    await expect(runLstm({ quiet: true, clip: 0 })).rejects.toThrow("lstm: clip must be a positive number, got 0");
    await expect(runLstm({ quiet: true, maxTokens: 50 })).rejects.toThrow("lstm: the validation split has 5 of the 50 char tokens, too few for 10 columns of at least 2");
  });
});

describe("lstm CLI", () => {
  it("maps the options and has word_language_model's defaults; --help lists them", async () => {
    const calls: { name: string; options: Record<string, unknown> }[] = [];
    let help = "";
    const program = createProgram(async (name, options) => (calls.push({ name, options }), { example: name }));
    for (const c of [program, ...program.commands]) c.exitOverride().configureOutput({ writeOut: (s) => (help += s), writeErr: () => {} });
    await program.parseAsync(["node", "cli", "lstm", "--model", "GRU", "--level", "word", "--tied", "--max-tokens", "5000"]);
    expect(calls[0]).toMatchObject({
      name: "lstm",
      options: { model: "GRU", level: "word", tied: true, maxTokens: 5000, lr: 20, clip: 0.25, bptt: 35, batchSize: 20, dropout: 0.2, epochs: 3, emsize: 64, nhid: 128, nlayers: 2 },
    });
    await expect(program.parseAsync(["node", "cli", "lstm", "--model", "RNN"])).rejects.toMatchObject({ code: "commander.invalidArgument" });
    await expect(program.parseAsync(["node", "cli", "lstm", "--help"])).rejects.toMatchObject({ code: "commander.helpDisplayed" });
    expect(help).toContain("Usage: tensorgrad-examples lstm [options]");
    for (const option of ["--bptt <n>", "--clip <norm>", "--model <kind>", "--level <kind>", "--data <file>", "--seed", "--json"]) expect(help).toContain(option);
  });

  it("--json prints one JSON object with the perplexities", async () => {
    let stdout = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    await main(["node", "cli", "lstm", "--max-tokens", "3000", "--epochs", "1", "--nhid", "16", "--emsize", "8", "--nlayers", "1", "--sample-length", "10", "--json", "--no-plots"]);
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0]);
    expect(result).toMatchObject({ example: "lstm", level: "char", model: "LSTM", tokens: 3000, epochs: 1 });
    expect(result.testPerplexity).toBeGreaterThan(1);
    expect(result.history).toBeUndefined();
    expect(result.batchHistory).toBeUndefined();
  });
});
