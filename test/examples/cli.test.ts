import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createProgram, main } from "@tensorgrad/examples";
import { tempDir } from "../helpers/temp-dir.js";

type Call = { name: string; options: Record<string, unknown> };
type Command = ReturnType<typeof createProgram>;

/** The CLI with a recording runner, exits turned into exceptions and output captured. */
function cli() {
  const calls: Call[] = [];
  const output = { out: "", err: "" };
  const program = createProgram(async (name, options) => {
    calls.push({ name, options });
    return { example: name };
  });
  const quietly = (c: Command) => c.exitOverride().configureOutput({ writeOut: (s: string) => (output.out += s), writeErr: (s: string) => (output.err += s) });
  quietly(program);
  program.commands.forEach(quietly);
  const parse = (...args: string[]) => program.parseAsync(["node", "tensorgrad-examples", ...args]);
  return { calls, output, parse };
}

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe("tensorgrad-examples CLI", () => {
  it("parses an example's options into its run function's options", async () => {
    const { calls, parse } = cli();
    await parse("sine", "--lr", "0.1", "--iterations", "20", "--seed", "3", "--quiet", "--out", "plots", "--loss", "mse");
    expect(calls).toHaveLength(1);
    expect(calls[0].name).toBe("sine");
    expect(calls[0].options).toMatchObject({ lr: 0.1, iterations: 20, seed: 3, quiet: true, json: false, outDir: "plots", loss: "mse", noPlots: false, progress: true, points: 100, hidden: 25 });
  });

  it("has the article's defaults and maps the special options", async () => {
    const { calls, parse } = cli();
    await parse("digits", "--sizes", "784,100,10", "--cost", "cross-entropy", "--no-plots");
    await parse("worked", "--lr", "0.5", "--csv", "binary.csv");
    await parse("vanishing", "--activations", "relu", "--max-iters", "500", "--no-progress");
    await parse("marks");
    expect(calls[0].options).toMatchObject({ sizes: [784, 100, 10], cost: "cross-entropy", epochs: 5, batchSize: 10, noPlots: true, seed: 0, imageSize: 28, trainSize: 10000, testSize: 2000 });
    expect(calls[0].options.eta).toBeUndefined(); // chosen by the cost: 3.0 quadratic, 0.5 cross-entropy
    expect(calls[1].options).toMatchObject({ part2Lr: 0.5, csv: "binary.csv", epochs: 900, hidden: 2, holdout: 0.1 });
    expect(calls[2].options).toMatchObject({ activations: ["relu"], maxIters: 500, batchSize: 128, lr: 0.1, target: 0.01, window: 1000, progress: false });
    expect(calls[3].options).toMatchObject({ lr: 0.2, iterations: 4500, trainRows: 300, logEvery: 500 });
  });

  it("prints --help for the program and for each example", async () => {
    const { output, parse } = cli();
    await expect(parse("--help")).rejects.toMatchObject({ code: "commander.helpDisplayed" });
    for (const name of ["sine", "digits", "marks", "vanishing", "worked", "demo"]) expect(output.out).toContain(name);
    for (const [name, option] of [["sine", "--iterations"], ["digits", "--data <dir>"], ["marks", "--csv <file>"], ["vanishing", "--max-iters"], ["worked", "--part1-only"], ["demo", "--out <dir>"]]) {
      output.out = "";
      await expect(parse(name, "--help")).rejects.toMatchObject({ code: "commander.helpDisplayed" });
      expect(output.out).toContain(`Usage: tensorgrad-examples ${name} [options]`);
      expect(output.out).toContain(option);
      expect(output.out).toContain("--seed");
      expect(output.out).toContain("--json");
    }
  });

  it("rejects bad values and unknown options", async () => {
    const { calls, output, parse } = cli();
    await expect(parse("sine", "--lr", "-2")).rejects.toMatchObject({ code: "commander.invalidArgument" });
    expect(output.err).toContain("must be positive: -2");
    await expect(parse("digits", "--cost", "hinge")).rejects.toMatchObject({ code: "commander.invalidArgument" });
    await expect(parse("marks", "--bogus")).rejects.toMatchObject({ code: "commander.unknownOption" });
    await expect(parse("vanishing", "--activations", "tanh")).rejects.toMatchObject({ code: "commander.invalidArgument" });
    expect(calls).toHaveLength(0);
  });

  it("--json prints one JSON object with the final metrics on stdout", async () => {
    let stdout = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    await main(["node", "cli", "worked", "--part1-only", "--json", "--no-plots"]);
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0]);
    expect(result.example).toBe("worked");
    expect(result.maxAbsDifference).toBeLessThanOrEqual(1e-12);
  });

  it("--json writes plots only where --out asks for them (issue 14)", async () => {
    const { calls, parse } = cli();
    await parse("sine", "--json");
    await parse("sine", "--json", "--out", "plots");
    await parse("sine");
    expect(calls.map((c) => [c.options.noPlots, c.options.outDir])).toEqual([[true, "out"], [false, "plots"], [false, "out"]]);
  });

  it("--version prints the package's version", async () => {
    const { output, parse } = cli();
    const { version } = JSON.parse(readFileSync(new URL("../../packages/examples/package.json", import.meta.url), "utf8")) as { version: string };
    await expect(parse("--version")).rejects.toMatchObject({ code: "commander.version" });
    expect(output.out.trim()).toBe(version);
  });

  it("writes SVG plots to --out, and reports typed errors as one line with exit code 1", async () => {
    const dir = tempDir("cli");
    let stderr = "";
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
    await main(["node", "cli", "sine", "--iterations", "10", "--quiet", "--out", dir]);
    expect(readdirSync(dir).sort()).toEqual(["sine-fit.svg", "sine-loss.svg"]);
    await main(["node", "cli", "digits", "--data", join(dir, "no-such-folder"), "--quiet"]);
    expect(process.exitCode).toBe(1);
    expect(stderr).toMatch(/^tensorgrad-examples: DataError: loadMnist: neither train-images-idx3-ubyte nor train-images-idx3-ubyte.gz found in /);
  });
});
