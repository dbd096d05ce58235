/**
 * Orchestration shared by `pnpm bench` and `pnpm bench:peers`: a scratch folder with the data and
 * the workers compiled to plain JavaScript (so children run under bare `node`, no loader), one
 * child process per library × workload with a timeout, the machine description, and tables.
 */

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { writeData, type Manifest } from "./data.js";
import { RESULT_PREFIX, UNSUPPORTED_PREFIX, WORKLOADS, type WorkloadId, type WorkloadResult } from "./protocol.js";

/** The bench/ folder. */
export const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** The repository root. */
export const ROOT_DIR = resolve(BENCH_DIR, "..");
/** The built tensorgrad package the benchmarks import. */
export const TENSORGRAD_DIST = join(ROOT_DIR, "packages/autograd/dist/index.js");
/** The built @tensorgrad/nn and @tensorgrad/examples, which the model workloads W5–W9 also import. */
export const NN_DIST = join(ROOT_DIR, "packages/nn/dist/index.js");
export const EXAMPLES_DIST = join(ROOT_DIR, "packages/examples/dist/index.js");

/** Command-line options common to both scripts. */
export interface CommonOptions {
  /** Workloads to run. */
  readonly only: readonly WorkloadId[];
  /** W1 timed repetitions. */
  readonly reps: number;
  /** Per-child timeout in seconds (W1..W4). */
  readonly timeoutS: number;
  /** Keep the scratch folder (data + compiled workers) for inspection. */
  readonly keep: boolean;
  /** Add a column for the wasm backend's plain SIMD build (TENSORGRAD_WASM_FMA=0) beside the default FMA build. */
  readonly wasmPlain: boolean;
  /** Other `--name value` options, for the script's own use. */
  readonly extra: Readonly<Record<string, string>>;
  /** The script's own `--name` switches (without a value) that were given. */
  readonly flags: ReadonlySet<string>;
}

/**
 * Parses `--only w1,w3 --reps 5 --timeout 300 --keep --wasm-plain`, the script's own switches
 * `flagNames` (`--name`, no value) and any other `--name value`.
 */
export function parseOptions(argv: readonly string[], usage: string, flagNames: readonly string[] = []): CommonOptions {
  const flags = new Set<string>();
  const extra: Record<string, string> = {};
  let only: WorkloadId[] = [...WORKLOADS];
  let reps = 5;
  let timeoutS = 600;
  let keep = false;
  let wasmPlain = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") continue;
    if (arg === "--help" || arg === "-h") {
      console.log(usage);
      process.exit(0);
    }
    if (arg === "--keep") {
      keep = true;
      continue;
    }
    if (arg === "--wasm-plain") {
      wasmPlain = true;
      continue;
    }
    if (arg.startsWith("--") && flagNames.includes(arg.slice(2))) {
      flags.add(arg.slice(2));
      continue;
    }
    if (!arg.startsWith("--") || i + 1 >= argv.length) throw new Error(`bench: unexpected argument "${arg}"\n${usage}`);
    const value = argv[++i];
    switch (arg) {
      case "--only":
        only = value.split(",").map((w) => w.trim().toLowerCase()) as WorkloadId[];
        for (const w of only) if (!WORKLOADS.includes(w)) throw new Error(`bench: unknown workload "${w}" (known: ${WORKLOADS.join(", ")})`);
        break;
      case "--reps":
        reps = positiveInt(arg, value);
        break;
      case "--timeout":
        timeoutS = positiveInt(arg, value);
        break;
      default:
        extra[arg.slice(2)] = value;
    }
  }
  return { only, reps, timeoutS, keep, wasmPlain, extra, flags };
}

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`bench: ${name} needs a positive integer, got "${value}"`);
  return n;
}

/** The scratch folder: data, manifest, compiled workers. */
export interface Scratch {
  readonly dir: string;
  readonly dataDir: string;
  readonly manifest: Manifest;
  /** Path of the compiled worker `name` (bench/workers/<name>.ts → <dir>/workers/<name>.mjs). */
  worker(name: string): string;
  /** Path of the bundle `name` (<dir>/workers/<name>.cjs). */
  bundle(name: string): string;
  /** Removes the folder unless --keep. */
  cleanup(): void;
}

/** A third-party bundle to build next to the workers: `<dir>/workers/<name>.cjs` from `entry`. */
export interface BundleSpec {
  readonly name: string;
  readonly entry: string;
}

/**
 * Writes the data and compiles the given workers (bench/workers/<name>.ts) with tsup, each to one
 * ES module with only node: imports left (libraries are loaded at run time by path); `bundles` are
 * built into CommonJS files with all their dependencies, resolving ES module entries first.
 */
export async function prepareScratch(workers: readonly string[], options: CommonOptions, bundles: readonly BundleSpec[] = []): Promise<Scratch> {
  const dir = mkdtempSync(join(tmpdir(), "tensorgrad-bench-"));
  const dataDir = join(dir, "data");
  const manifest = writeData(dataDir, { w1Reps: options.reps });
  const outDir = join(dir, "workers");
  const { build } = await import("tsup");
  await build({
    entry: Object.fromEntries(workers.map((w) => [w, join(BENCH_DIR, "workers", `${w}.ts`)])),
    outDir,
    format: ["esm"],
    platform: "node",
    target: "node20",
    splitting: false,
    sourcemap: false,
    dts: false,
    clean: true,
    silent: true,
    config: false,
    outExtension: () => ({ js: ".mjs" }),
  });
  for (const b of bundles) {
    await build({
      entry: { [b.name]: b.entry },
      outDir,
      format: ["cjs"],
      platform: "node",
      target: "node20",
      splitting: false,
      sourcemap: false,
      dts: false,
      silent: true,
      config: false,
      noExternal: [/./],
      esbuildOptions: (o) => {
        o.mainFields = ["module", "main"];
        o.logLevel = "error";
      },
      outExtension: () => ({ js: ".cjs" }),
    });
  }
  return {
    dir,
    dataDir,
    manifest,
    worker: (name) => join(outDir, `${name}.mjs`),
    bundle: (name) => join(outDir, `${name}.cjs`),
    cleanup: () => {
      if (options.keep) console.error(`bench: scratch folder kept at ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A child's outcome: its measurements, or why there are none. `skipped`: the library was not run on
 * this workload on purpose (not implemented there, or too slow), a result rather than a failure.
 */
export type Outcome =
  | { readonly ok: true; readonly result: WorkloadResult }
  | { readonly ok: false; readonly error: string; readonly skipped?: boolean };

/** The outcome of a library × workload that is not run, and why. */
export function skipped(reason: string): Outcome {
  return { ok: false, error: reason, skipped: true };
}

/** Runs one child process to completion (or kills it at the timeout) and reads its result line. */
export function runChild(command: string, args: readonly string[], timeoutS: number, env: NodeJS.ProcessEnv = process.env): Promise<Outcome> {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { cwd: ROOT_DIR, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutS * 1000);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolvePromise({ ok: false, error: `could not start ${command}: ${e.message}` });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
      const unsupported = stdout.split("\n").find((l) => l.startsWith(UNSUPPORTED_PREFIX));
      if (timedOut) resolvePromise({ ok: false, error: `timeout after ${timeoutS} s` });
      else if (code === 0 && unsupported) resolvePromise(skipped(unsupported.slice(UNSUPPORTED_PREFIX.length)));
      else if (code === 0 && line) resolvePromise({ ok: true, result: JSON.parse(line.slice(RESULT_PREFIX.length)) as WorkloadResult });
      else resolvePromise({ ok: false, error: summarizeError(stderr, code, signal) });
    });
  });
}

/** The most telling line of a failed child's stderr (the error message), shortened for a table cell. */
function summarizeError(stderr: string, code: number | null, signal: NodeJS.Signals | null): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter(Boolean);
  const msg =
    lines.find((l) => /^(\w*Error|RangeError|Traceback|FATAL|.*heap out of memory)/.test(l) && !l.startsWith("Traceback")) ??
    lines.find((l) => /error/i.test(l)) ??
    lines.at(-1) ??
    "";
  const how = signal ? `killed by ${signal}` : `exit ${code}`;
  return `${how}${msg ? `: ${msg.slice(0, 140)}` : ""}`;
}

/** The machine and moment a table was measured on. */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGB: number;
  readonly node: string;
  readonly platform: string;
  readonly date: string;
  readonly load: readonly number[];
}

/** Describes this machine now (CPU model, logical cores, Node version, date, load average). */
export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? "unknown CPU",
    cores: list.length,
    memoryGB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    load: loadavg(),
  };
}

/** Machine lines printed above a table; the load before and after the run says how noisy it was. */
export function machineLines(m: MachineInfo, loadAfter?: readonly number[]): string[] {
  const fmtLoad = (l: readonly number[]) => l.map((x) => x.toFixed(2)).join(" ");
  const loaded = Math.max(m.load[0], loadAfter?.[0] ?? 0) > m.cores * 0.25;
  return [
    `machine: ${m.cpu}, ${m.cores} logical cores, ${m.memoryGB} GB, ${m.platform}, Node ${m.node}`,
    `date: ${m.date}`,
    `load average (1/5/15 min): ${fmtLoad(m.load)} at start${loadAfter ? `, ${fmtLoad(loadAfter)} at end` : ""}` +
      (loaded ? " — the machine was busy: numbers are indicative only" : ""),
  ];
}

/** A markdown table with padded columns (first column left-aligned, the rest right-aligned). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(" | ")} |`;
  const rule = `|${widths.map((w, c) => (c === 0 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

/** Number formatting for table cells: `digits` significant digits, plain integers when large. */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 10 ** digits && a < 1e12) return Math.round(x).toString();
  if (a < 1e-4) return x.toExponential(digits - 1);
  return x.toPrecision(digits);
}

/**
 * Whether the built tensorgrad packages are present (autograd; nn and examples too when `models`,
 * for W5–W9); exits with a hint when one is not.
 */
export function requireDist(models = false): void {
  for (const file of models ? [TENSORGRAD_DIST, NN_DIST, EXAMPLES_DIST] : [TENSORGRAD_DIST]) {
    if (!existsSync(file)) {
      console.error(`bench: ${file} not found; build the packages first: pnpm build`);
      process.exit(1);
    }
  }
}

/** The workload names as printed in tables. */
export const WORKLOAD_TITLES: Readonly<Record<WorkloadId, string>> = {
  w1: "W1 matmul 1024³ f32",
  w2: "W2 MLP 784-128-10 b64 SGD step",
  w3: "W3 sine fit 1-25-1, 4000 steps",
  w4: "W4 100k chained ops + backward",
  w5: "W5 MNIST CNN b64 Adadelta step",
  w6: "W6 makemore MLP b32 SGD step",
  w7: "W7 char GPT 2L/2H/32 b32 AdamW step",
  w8: "W8 word LSTM 2x32 bptt35 b20 SGD step",
  w9: "W9 VAE 784-400-20 b128 Adam step",
};
