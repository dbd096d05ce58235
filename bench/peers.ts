/**
 * `pnpm bench:peers`: W1–W9 on tensorgrad (every registered backend), TensorFlow.js (cpu, wasm),
 * jax-js (wasm, jit; W1–W4), NumPy with gradients by hand (W1–W4, when python3 with numpy is found)
 * and PyTorch (the model programs W5–W9, when a python3 with torch is found), from the same data and
 * initial weights, each library × workload in its own child process. Prints ONE table with time
 * ratios against tensorgrad measured in the same run, and checks that every library's losses (and
 * W1 product, W4 gradient) agree.
 *
 * The JS peers live in bench/peers/ — its own package.json, outside the pnpm workspace — and are
 * installed there on demand with `npm install --prefix bench/peers`.
 */

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { progress, runTensorgrad, tensorgradBackends, tensorgradColumns, type TensorgradColumn } from "./lib/children.js";
import {
  BENCH_DIR, machineInfo, machineLines, parseOptions, prepareScratch, requireDist, runChild, skipped, type Outcome, type Scratch,
} from "./lib/harness.js";
import { isModelWorkload, type WorkloadId } from "./lib/protocol.js";
import { buildReport, type Column } from "./lib/report.js";

const PEERS_DIR = join(BENCH_DIR, "peers");

const USAGE = `usage: pnpm bench:peers [-- options]
  --only w1,w2,...     workloads to run (default all: w1..w9; the model programs: w5,w6,w7,w8,w9)
  --libs a,b           columns to run, by name or prefix (default all: tensorgrad/<each backend>,
                       tfjs-cpu, tfjs-wasm, jax-js, numpy, pytorch)
  --baseline NAME      tensorgrad backend the ratios divide by (default wasm if registered, else cpu)
  --reps N             timed W1 matmuls, median reported (default 5)
  --timeout S          seconds before a child is killed (default 600)
  --python CMD         python interpreter for the NumPy reference and PyTorch (default: python3 for
                       NumPy; for PyTorch the first of python3, /usr/bin/python3 that imports torch)
  --slow               also run the cells skipped as too slow (tfjs-cpu on W5: ~100 s per step)
  --wasm-plain         add a column for the wasm backend's plain SIMD build (TENSORGRAD_WASM_FMA=0)
                       beside the default one, the FMA build wherever relaxed SIMD exists
  --keep               keep the scratch folder (data and compiled workers)`;

/** Installs bench/peers/package.json's dependencies unless every one is already there at its pinned version. */
function ensurePeers(): void {
  const pkg = JSON.parse(readFileSync(join(PEERS_DIR, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  const missing = Object.entries(pkg.dependencies).filter(([name, version]) => {
    const file = join(PEERS_DIR, "node_modules", name, "package.json");
    return !existsSync(file) || (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version !== version;
  });
  if (missing.length === 0) return;
  console.error(`bench:peers: installing ${missing.map(([n, v]) => `${n}@${v}`).join(", ")} into bench/peers (npm, outside the workspace)`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  execFileSync(npm, ["install", "--prefix", PEERS_DIR, "--no-audit", "--no-fund", "--loglevel", "error"], { stdio: "inherit" });
}

/** The numpy version behind `python`, or null when python or numpy is missing. */
function findNumpy(python: string): string | null {
  const r = spawnSync(python, ["-c", "import numpy; print(numpy.__version__)"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** The first of `candidates` that imports torch, with torch's version; null when none does. */
function findTorch(candidates: readonly string[]): { python: string; version: string } | null {
  for (const python of candidates) {
    const r = spawnSync(python, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8", env: { ...process.env, OPENBLAS_NUM_THREADS: "1" } });
    if (r.status === 0) return { python, version: r.stdout.trim() };
  }
  return null;
}

/** PyTorch's threads: torch.set_num_threads(2) and a single-threaded OpenBLAS under it. */
const TORCH_THREADS = 2;

/** Why jax-js, NumPy and PyTorch have no cells for some workloads. */
const NOT_IMPLEMENTED = {
  "jax-js": "not implemented (the model programs are not ported to jax-js here)",
  numpy: "not implemented (no NumPy backprop is written for the model programs)",
  pytorch: "not implemented (PyTorch runs the model programs W5–W9 only)",
} as const;

/** One column of the table and how to run a workload for it. */
interface Lib {
  readonly name: string;
  run(w: WorkloadId): Promise<Outcome>;
}

/** Where the Python columns come from: interpreters with numpy / torch, or null. */
interface Pythons {
  readonly numpy: string | null;
  readonly torch: string | null;
}

/**
 * Cells skipped unless --slow, and why: measured on our 2-core machine, they would
 * outlast the default timeout and say nothing more than "very slow".
 */
const SLOW: Readonly<Record<string, Partial<Record<WorkloadId, string>>>> = {
  "tfjs-cpu": { w5: "skipped as too slow: ~100 s per step measured (tfjs-backend-cpu's conv2d gradients), 13 steps outlast the timeout; --slow runs it" },
};

function libraries(scratch: Scratch, tensorgrad: readonly TensorgradColumn[], python: Pythons, timeoutS: number, slow: boolean): Lib[] {
  const node = (worker: string, ...kv: string[]) => (w: WorkloadId) =>
    runChild(process.execPath, [scratch.worker(worker), w, scratch.dataDir, `peers=${PEERS_DIR}`, ...kv], timeoutS);
  const notImplemented = (lib: keyof typeof NOT_IMPLEMENTED) => Promise.resolve(skipped(NOT_IMPLEMENTED[lib]));
  const libs: Lib[] = [
    ...tensorgrad.map((c) => ({ name: c.name, run: (w: WorkloadId) => runTensorgrad(scratch, w, c, timeoutS) })),
    { name: "tfjs-cpu", run: node("tfjs", "backend=cpu", `tfjs=${scratch.bundle("tfjs-bundle")}`) },
    { name: "tfjs-wasm", run: node("tfjs", "backend=wasm", `tfjs=${scratch.bundle("tfjs-bundle")}`) },
    { name: "jax-js", run: (w) => (isModelWorkload(w) ? notImplemented("jax-js") : node("jax", "device=wasm")(w)) },
  ];
  const numpy = python.numpy;
  if (numpy) {
    libs.push({
      name: "numpy",
      run: (w) => (isModelWorkload(w) ? notImplemented("numpy") : runChild(numpy, [join(BENCH_DIR, "numpy_ref.py"), w, scratch.dataDir], timeoutS)),
    });
  }
  const torch = python.torch;
  if (torch) {
    const env = { ...process.env, OPENBLAS_NUM_THREADS: "1" };
    const script = join(BENCH_DIR, "torch_ref.py");
    libs.push({
      name: "pytorch",
      run: (w) => (isModelWorkload(w) ? runChild(torch, [script, w, scratch.dataDir, `threads=${TORCH_THREADS}`], timeoutS, env) : notImplemented("pytorch")),
    });
  }
  // The slow cells answer "skipped" unless --slow.
  return libs.map((lib) => ({
    name: lib.name,
    run: (w: WorkloadId) => {
      const reason = slow ? undefined : SLOW[lib.name]?.[w];
      return reason ? Promise.resolve(skipped(reason)) : lib.run(w);
    },
  }));
}

/** The step-1 / last-step loss tolerances of the model workloads in `only`, for the legend. */
function modelTolerances(scratch: Scratch, only: readonly WorkloadId[]): string {
  const m = scratch.manifest;
  const groups = new Map<string, string[]>(); // "first|last" → workloads
  for (const w of only.filter(isModelWorkload)) {
    const key = `${m[w].tolerance.first.toExponential()} at step 1 and ${m[w].tolerance.last.toExponential()} at the last step`;
    groups.set(key, [...(groups.get(key) ?? []), w.toUpperCase()]);
  }
  return [...groups].map(([key, ws]) => `${ws.join(", ")}: ${key}`).join("; ");
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), USAGE, ["slow"]);
  requireDist(options.only.some(isModelWorkload));
  ensurePeers();
  const python = options.extra.python ?? "python3";
  const numpyVersion = findNumpy(python);
  const torchCandidates = options.extra.python ? [options.extra.python] : ["python3", "/usr/bin/python3"];
  const torch = findTorch(torchCandidates);
  const machine = machineInfo();
  const scratch = await prepareScratch(["tensorgrad", "tfjs", "jax"], options, [{ name: "tfjs-bundle", entry: join(PEERS_DIR, "tfjs-entry.js") }]);
  try {
    const backends = tensorgradBackends(scratch);
    const baselineBackend = options.extra.baseline ?? (backends.includes("wasm") ? "wasm" : "cpu");
    const wanted = options.extra.libs?.split(",").map((s) => s.trim());
    const pythons = { numpy: numpyVersion === null ? null : python, torch: torch?.python ?? null };
    const libs = libraries(scratch, tensorgradColumns(scratch, backends, options.wasmPlain), pythons, options.timeoutS, options.flags.has("slow")).filter(
      (l) => !wanted || wanted.some((x) => l.name === x || l.name.startsWith(x)),
    );
    console.error(`bench:peers: ${libs.map((l) => l.name).join(", ")} on ${options.only.join(", ")}`);

    const columns: Column[] = libs.map((l) => ({ name: l.name, outcomes: {} }));
    const notes = new Map<string, string>();
    // Workload by workload, so that all libraries of one row run close together in time.
    for (const w of options.only) {
      for (const [k, lib] of libs.entries()) {
        const o = await lib.run(w);
        (columns[k].outcomes as Record<WorkloadId, Outcome>)[w] = o;
        if (o.ok && o.result.note) notes.set(lib.name, o.result.note.replace(/, (eager|jit)( valueAndGrad)?/, ""));
        progress(lib.name, w, o);
      }
    }

    const baseline = `tensorgrad/${baselineBackend}`;
    const report = buildReport(scratch.manifest, columns, options.only, { baseline, lossTolerance: 1e-3, modelReference: "pytorch" });
    const out = [
      "",
      "## tensorgrad vs peers",
      "",
      ...machineLines(machine, loadavg()),
      "",
      report.table,
      "",
      columns.some((c) => c.name === baseline)
        ? `(x×) = library time / ${baseline} time, measured in this run (W4 peak RSS: RSS ratio); >1 means tensorgrad is faster.`
        : `(no ratios: the baseline ${baseline} was not run)`,
      `Losses must agree with the median of all columns to a relative 1e-3 (float32)${options.only.some(isModelWorkload) ? `; W5–W9's with PyTorch's when it ran (else the median), ${modelTolerances(scratch, options.only)}` : ""}; ✗ marks a disagreement, never a silent comparison.`,
      ...report.notes,
      "",
      "libraries:",
      ...[...notes].map(([name, note]) => `  ${name}: ${note}`),
      numpyVersion === null ? `numpy: skipped (${python} with numpy not found)` : "",
      torch === null
        ? `pytorch: skipped (no ${torchCandidates.join(" or ")} with torch found; on Debian/Ubuntu: apt-get install -y python3-torch libopenblas0-pthread gives /usr/bin/python3 one; or --python CMD)`
        : `pytorch: ${torch.python}, torch ${torch.version}, torch.set_num_threads(${TORCH_THREADS}), OPENBLAS_NUM_THREADS=1`,
    ];
    console.log(out.filter((l, i) => l !== "" || i < out.length - 1).join("\n"));
    // A peer that fails is a result (its cell says so); tensorgrad failing, or any wrong number, fails the run.
    if (report.wrongColumns.size || [...report.failedColumns].some((c) => c.startsWith("tensorgrad/"))) process.exitCode = 1;
  } finally {
    scratch.cleanup();
  }
}

await main();
