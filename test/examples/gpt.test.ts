import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Generator, manualSeed, noGrad, tensor, zerosLike } from "@tensorgrad/autograd";
import { optim } from "@tensorgrad/nn";
import { GPT, createProgram, gptLearningRate, gptParamGroups, main, runGpt, shippedTextPath, type GPTConfig } from "@tensorgrad/examples";
import { tempDir } from "../helpers/temp-dir.js";

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

const tiny: GPTConfig = { vocabSize: 11, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8, dropout: 0 };
const fast = { quiet: true, steps: 200, nLayer: 1, nEmbd: 16, blockSize: 16, batchSize: 8, evalInterval: 100, evalIters: 5, warmupIters: 20, lr: 0.01, sampleLength: 80 } as const;

describe("gpt example", () => {
  it("the character transformer learns the shipped text: validation loss far below log(vocabulary); the sample uses the text's characters", async () => {
    const dir = tempDir("gpt");
    const r = await runGpt({ ...fast, outDir: dir });
    const chars = new Set(readFileSync(shippedTextPath("prideAndPrejudice"), "utf8"));
    expect(r.vocabSize).toBe(chars.size);
    expect(r.uniformLoss).toBeCloseTo(Math.log(chars.size), 12);
    expect(Math.abs(r.initialLoss - r.uniformLoss)).toBeLessThan(0.1); // N(0, 0.02) weights: near-uniform logits
    expect(r.valLoss).toBeLessThan(3.0); // ≈ 2.5 here; log(74) = 4.30
    expect(r.trainLoss).toBeLessThan(3.0);
    expect(r.history.map((h) => h.step)).toEqual([100, 200]);
    expect(r.sample).toHaveLength(80);
    for (const c of r.sample) expect(chars.has(c)).toBe(true);
    expect(r.plots.map((p) => p.slice(dir.length + 1))).toEqual(["gpt-loss.svg", "gpt-lr.svg"]);
    expect(readFileSync(r.plots[1], "utf8").startsWith("<svg")).toBe(true);
    // the schedule it ran: lr·1/21 at step 0, the peak after 20 warmup steps, decaying toward lr/10
    expect(r.lrHistory[0].lr).toBeCloseTo(0.01 / 21, 12);
    expect(r.lrHistory[20].lr).toBeCloseTo(0.01, 12);
    expect(r.lrHistory[199].lr).toBeLessThan(0.0011);
  });

  it("learning rate: linear warmup, then cosine decay to minLr (nanoGPT's get_lr)", () => {
    const s = { lr: 1, minLr: 0.1, warmupIters: 10, decayIters: 110 };
    expect(gptLearningRate(0, s)).toBeCloseTo(1 / 11, 15);
    expect(gptLearningRate(9, s)).toBeCloseTo(10 / 11, 15);
    expect(gptLearningRate(10, s)).toBeCloseTo(1, 15);
    expect(gptLearningRate(35, s)).toBeCloseTo(0.1 + 0.45 * (1 + Math.SQRT1_2), 15); // a quarter into the decay: cos(π/4)
    expect(gptLearningRate(60, s)).toBeCloseTo(0.55, 15); // halfway: cos(π/2) = 0
    expect(gptLearningRate(110, s)).toBeCloseTo(0.1, 15);
    expect(gptLearningRate(500, s)).toBe(0.1);
  });

  it("AdamW groups: matmul weights decay; biases, LayerNorm and embeddings do not", () => {
    manualSeed(1);
    const model = new GPT(tiny);
    const { decay, noDecay, groups } = gptParamGroups(model, 0.5);
    expect(decay.map(([n]) => n)).toEqual([
      "transformer.h.0.attn.c_attn.weight", "transformer.h.0.attn.c_proj.weight", "transformer.h.0.mlp.c_fc.weight", "transformer.h.0.mlp.c_proj.weight", "lm_head.weight",
    ]);
    expect(noDecay.map(([n]) => n)).toEqual([
      "transformer.wte.weight", "transformer.wpe.weight", "transformer.h.0.ln_1.weight", "transformer.h.0.ln_1.bias", "transformer.h.0.attn.c_attn.bias",
      "transformer.h.0.attn.c_proj.bias", "transformer.h.0.ln_2.weight", "transformer.h.0.ln_2.bias", "transformer.h.0.mlp.c_fc.bias", "transformer.h.0.mlp.c_proj.bias", "transformer.ln_f.weight",
      "transformer.ln_f.bias",
    ]);
    // With zero gradients an AdamW step is pure decoupled decay: p ← p·(1 − lr·wd) in the decayed group, unchanged in the other.
    const before = new Map(model.parameters().map((p) => [p, p.toFlatArray()]));
    const optimizer = new optim.AdamW(groups, { lr: 0.1 });
    for (const p of model.parameters()) p.grad = zerosLike(p);
    optimizer.step();
    for (const [, p] of decay) expect(p.toFlatArray()).toBeAllclose((before.get(p) as number[]).map((v) => v * (1 - 0.1 * 0.5)), { rtol: 1e-6, atol: 0 });
    for (const [, p] of noDecay) expect(p.toFlatArray()).toEqual(before.get(p));
  });

  it("self-attention is causal: a later token does not change the logits of earlier positions", () => {
    manualSeed(2);
    const model = new GPT(tiny);
    const a = [1, 2, 3, 4, 5, 6, 7, 8];
    const b = [1, 2, 3, 4, 5, 9, 7, 8];
    const [la, lb] = noGrad(() => [a, b].map((ids) => model.call(tensor(ids, { shape: [1, 8], dtype: "int32" }))));
    expect(la.shape).toEqual([1, 8, 11]);
    expect(lb.narrow(1, 0, 5)).toBeAllclose(la.narrow(1, 0, 5), { rtol: 0, atol: 0 });
    const diff = lb.narrow(1, 5, 1).sub(la.narrow(1, 5, 1)).abs().max().item();
    expect(diff).toBeGreaterThan(1e-4);
  });

  it("generate: seeded sampling gives the same tokens for the same seed; top-k 1 is greedy decoding", () => {
    manualSeed(4);
    const model = new GPT(tiny);
    const start = tensor([3], { shape: [1, 1], dtype: "int32" });
    const draw = (seed: number, topK: number | null) => model.generate(start, 20, { temperature: 1, topK, generator: new Generator(seed) }).toFlatArray();
    const a = draw(1, null);
    expect(a).toHaveLength(21); // longer than blockSize 8: the context is cropped to the last 8 tokens
    expect(a[0]).toBe(3);
    expect(a.every((t) => Number.isInteger(t) && t >= 0 && t < tiny.vocabSize)).toBe(true);
    expect(draw(1, null)).toEqual(a);
    expect(draw(2, null)).not.toEqual(a);
    // top-k 1 leaves one candidate: every seed gives the argmax chain, computed here step by step
    const greedy = draw(1, 1);
    expect(draw(2, 1)).toEqual(greedy);
    const ids = [3];
    noGrad(() => {
      for (let i = 0; i < 20; i++) {
        const context = ids.slice(-tiny.blockSize);
        const logits = model.call(tensor(context, { shape: [1, context.length], dtype: "int32" })).select(1, -1).toFlatArray();
        ids.push(logits.indexOf(Math.max(...logits)));
      }
    });
    expect(greedy).toEqual(ids);
  });

  it("is reproducible with the same seed, and trains on --data FILE", async () => {
    const dir = tempDir("gpt-data");
    const file = join(dir, "abc.txt");
    writeFileSync(file, "abcabcabcabc\n".repeat(200));
    const run = () => runGpt({ ...fast, noPlots: true, data: file, steps: 60, evalInterval: 60, sampleLength: 30, start: "a", seed: 3 });
    const [a, b] = [await run(), await run()];
    expect(a.vocabSize).toBe(4);
    expect(a.valLoss).toBe(b.valLoss);
    expect(a.sample).toBe(b.sample);
    expect(a.valLoss).toBeLessThan(0.5); // a periodic text is learned quickly (log 4 = 1.39)
    expect(a.sample).toMatch(/^[abc\n]{30}$/);
  });

  it("rejects bad options with clear errors", async () => {
    await expect(runGpt({ quiet: true, nEmbd: 10, nHead: 3 })).rejects.toThrow("gpt: nEmbd must be a multiple of nHead, got nEmbd 10 and nHead 3");
    await expect(runGpt({ quiet: true, start: "€" })).rejects.toThrow('gpt: start contains "€", which is not in the text\'s 74 characters');
    await expect(runGpt({ quiet: true, minLr: 1 })).rejects.toThrow("gpt: minLr must be in [0, lr = 0.003], got 1");
    expect(() => new GPT(tiny).call(tensor([[1, 2, 3, 4, 5, 6, 7, 8, 9]], { dtype: "int32" }))).toThrow("GPT: expected token ids [B, T] with T <= blockSize 8, got [1, 9]");
  });
});

describe("gpt CLI", () => {
  it("maps the options and has nanoGPT-like defaults; --help lists them", async () => {
    const calls: { name: string; options: Record<string, unknown> }[] = [];
    let help = "";
    const program = createProgram(async (name, options) => (calls.push({ name, options }), { example: name }));
    for (const c of [program, ...program.commands]) c.exitOverride().configureOutput({ writeOut: (s) => (help += s), writeErr: () => {} });
    await program.parseAsync(["node", "cli", "gpt", "--n-layer", "3", "--top-k", "5", "--start", "It is\\n", "--min-lr", "0"]);
    expect(calls[0]).toMatchObject({
      name: "gpt",
      options: { nLayer: 3, nHead: 2, nEmbd: 32, blockSize: 32, topK: 5, start: "It is\n", minLr: 0, lr: 0.003, warmupIters: 100, weightDecay: 0.1, gradClip: 1, temperature: 0.8, steps: 2000 },
    });
    await program.parseAsync(["node", "cli", "gpt"]);
    expect(calls[1].options.minLr).toBeUndefined(); // lr / 10
    expect(calls[1].options.start).toBe("\n");
    await expect(program.parseAsync(["node", "cli", "gpt", "--dropout", "1"])).rejects.toMatchObject({ code: "commander.invalidArgument" });
    await expect(program.parseAsync(["node", "cli", "gpt", "--help"])).rejects.toMatchObject({ code: "commander.helpDisplayed" });
    expect(help).toContain("Usage: tensorgrad-examples gpt [options]");
    for (const option of ["--n-head <n>", "--top-k <k>", "--warmup-iters <n>", "--grad-clip <norm>", "--data <file>", "--seed", "--json"]) expect(help).toContain(option);
  });

  it("--json prints one JSON object without the long series", async () => {
    let stdout = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    await main(["node", "cli", "gpt", "--steps", "10", "--n-layer", "1", "--n-embd", "8", "--block-size", "8", "--batch-size", "4", "--eval-iters", "2", "--sample-length", "10", "--json", "--no-plots"]);
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0]);
    expect(result).toMatchObject({ example: "gpt", steps: 10, vocabSize: 74 });
    expect(result.history).toBeUndefined();
    expect(result.lrHistory).toBeUndefined();
    expect(result.sample).toHaveLength(10);
  });
});
