/**
 * `pnpm bench`: W1–W9 on tensorgrad, once per registered backend (listBackends()), each
 * workload × backend in its own child process running the built package under bare `node`.
 * Prints a markdown table headed by the machine, date and load average.
 */

import { loadavg } from "node:os";
import { progress, runTensorgrad, tensorgradBackends, tensorgradColumns } from "./lib/children.js";
import { machineInfo, machineLines, parseOptions, prepareScratch, requireDist, type Outcome } from "./lib/harness.js";
import { isModelWorkload, type WorkloadId } from "./lib/protocol.js";
import { buildReport, type Column } from "./lib/report.js";

const USAGE = `usage: pnpm bench [-- options]
  --only w1,w2,...     workloads to run (default all: w1..w9; the model programs: w5,w6,w7,w8,w9)
  --reps N             timed W1 matmuls, median reported (default 5)
  --backends a,b       tensorgrad backends (default: every one listBackends() returns)
  --timeout S          seconds before a child is killed (default 600)
  --wasm-plain         add a column for the wasm backend's plain SIMD build (TENSORGRAD_WASM_FMA=0)
                       beside the default one, the FMA build wherever relaxed SIMD exists
  --keep               keep the scratch folder (data and compiled workers)`;

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), USAGE);
  requireDist(options.only.some(isModelWorkload));
  const machine = machineInfo();
  const scratch = await prepareScratch(["tensorgrad"], options);
  try {
    const registered = tensorgradBackends(scratch);
    const backends = options.extra.backends?.split(",") ?? registered;
    const tgColumns = tensorgradColumns(scratch, backends, options.wasmPlain);
    console.error(`tensorgrad backends: ${registered.join(", ")}; running ${tgColumns.map((c) => c.name).join(", ")} on ${options.only.join(", ")}`);
    const columns: Column[] = tgColumns.map((c) => ({ name: c.name, outcomes: {} }));
    for (const w of options.only) {
      for (const [k, c] of tgColumns.entries()) {
        const o = await runTensorgrad(scratch, w, c, options.timeoutS);
        (columns[k].outcomes as Record<WorkloadId, Outcome>)[w] = o;
        progress(columns[k].name, w, o);
      }
    }
    const report = buildReport(scratch.manifest, columns, options.only, { lossTolerance: 1e-3 });
    console.log(["", "## tensorgrad benchmarks", "", ...machineLines(machine, loadavg()), "", report.table, ""].join("\n"));
    if (report.notes.length) console.log(report.notes.join("\n"));
    const notes = new Set(columns.flatMap((c) => Object.values(c.outcomes).flatMap((o) => (o?.ok && o.result.note ? [o.result.note] : []))));
    if (notes.size) console.log(`backends: ${[...notes].join("; ")}`);
    const m = scratch.manifest;
    const models = options.only.filter(isModelWorkload).map((w) => `${w.toUpperCase()} median of ${m[w].timed} steps after ${m[w].warmup} (and ${m[w].prewarmSeconds} s of discarded pre-runs), loss tolerance ${m[w].tolerance.first.toExponential()} / ${m[w].tolerance.last.toExponential()}`);
    console.log(`W1 reps ${m.w1.reps} (median); W2 median of ${m.w2.timed} steps after ${m.w2.warmup} warm-up; losses checked against the median of all columns (relative 1e-3${models.length ? `; ${models.join("; ")}` : ""}).`);
    // Every column is tensorgrad's: any failure or wrong number fails the run.
    if (report.failedColumns.size || report.wrongColumns.size) process.exitCode = 1;
  } finally {
    scratch.cleanup();
  }
}

await main();
