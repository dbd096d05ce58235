/**
 * `pnpm bench:peers`: W1–W4 on tensorgrad (every registered backend), TensorFlow.js (cpu, wasm),
 * jax-js (wasm, jit) and — when python3 with numpy is found — NumPy with gradients by hand, from the
 * same data and initial weights, each library × workload in its own child process. Prints ONE table
 * with time ratios against tensorgrad measured in the same run, and checks that every library's
 * W2/W3 losses (and W1 product, W4 gradient) agree.
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
  BENCH_DIR, machineInfo, machineLines, parseOptions, prepareScratch, requireDist, runChild, type Outcome, type Scratch,
} from "./lib/harness.js";
import type { WorkloadId } from "./lib/protocol.js";
import { buildReport, type Column } from "./lib/report.js";

const PEERS_DIR = join(BENCH_DIR, "peers");

const USAGE = `usage: pnpm bench:peers [-- options]
  --only w1,w2,w3,w4   workloads to run (default all)
  --libs a,b           columns to run, by name or prefix (default all: tensorgrad/<each backend>,
                       tfjs-cpu, tfjs-wasm, jax-js, numpy)
  --baseline NAME      tensorgrad backend the ratios divide by (default wasm if registered, else cpu)
  --reps N             timed W1 matmuls, median reported (default 5)
  --timeout S          seconds before a child is killed (default 600)
  --python CMD         python interpreter for the NumPy reference (default python3)
  --wasm-fma           add a column for tensorgrad's wasm FMA build (relaxed SIMD; Node 20 gets
                       --experimental-wasm-relaxed-simd)
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

/** One column of the table and how to run a workload for it. */
interface Lib {
  readonly name: string;
  run(w: WorkloadId): Promise<Outcome>;
}

function libraries(scratch: Scratch, tensorgrad: readonly TensorgradColumn[], python: string | null, timeoutS: number): Lib[] {
  const node = (worker: string, ...kv: string[]) => (w: WorkloadId) =>
    runChild(process.execPath, [scratch.worker(worker), w, scratch.dataDir, `peers=${PEERS_DIR}`, ...kv], timeoutS);
  const libs: Lib[] = [
    ...tensorgrad.map((c) => ({ name: c.name, run: (w: WorkloadId) => runTensorgrad(scratch, w, c, timeoutS) })),
    { name: "tfjs-cpu", run: node("tfjs", "backend=cpu", `tfjs=${scratch.bundle("tfjs-bundle")}`) },
    { name: "tfjs-wasm", run: node("tfjs", "backend=wasm", `tfjs=${scratch.bundle("tfjs-bundle")}`) },
    { name: "jax-js", run: node("jax", "device=wasm") },
  ];
  if (python) {
    libs.push({ name: "numpy", run: (w) => runChild(python, [join(BENCH_DIR, "numpy_ref.py"), w, scratch.dataDir], timeoutS) });
  }
  return libs;
}

async function main(): Promise<void> {
  requireDist();
  const options = parseOptions(process.argv.slice(2), USAGE);
  ensurePeers();
  const python = options.extra.python ?? "python3";
  const numpyVersion = findNumpy(python);
  const machine = machineInfo();
  const scratch = await prepareScratch(["tensorgrad", "tfjs", "jax"], options, [{ name: "tfjs-bundle", entry: join(PEERS_DIR, "tfjs-entry.js") }]);
  try {
    const backends = tensorgradBackends(scratch);
    const baselineBackend = options.extra.baseline ?? (backends.includes("wasm") ? "wasm" : "cpu");
    const wanted = options.extra.libs?.split(",").map((s) => s.trim());
    const libs = libraries(scratch, tensorgradColumns(scratch, backends, options.wasmFma), numpyVersion === null ? null : python, options.timeoutS).filter(
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
    const report = buildReport(scratch.manifest, columns, options.only, { baseline, lossTolerance: 1e-3 });
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
      `Losses must agree with the median of all columns to a relative 1e-3 (float32); ✗ marks a disagreement, never a silent comparison.`,
      ...report.notes,
      "",
      "libraries:",
      ...[...notes].map(([name, note]) => `  ${name}: ${note}`),
      numpyVersion === null ? `numpy: skipped (${python} with numpy not found)` : "",
    ];
    console.log(out.filter((l, i) => l !== "" || i < out.length - 1).join("\n"));
    // A peer that fails is a result (its cell says so); tensorgrad failing, or any wrong number, fails the run.
    if (report.wrongColumns.size || [...report.failedColumns].some((c) => c.startsWith("tensorgrad/"))) process.exitCode = 1;
  } finally {
    scratch.cleanup();
  }
}

await main();
