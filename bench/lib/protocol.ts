/**
 * What a benchmark worker (one child process per library × workload) is told and what it answers.
 * A worker is run as `node <worker>.mjs <workload> <dataDir> [key=value ...]` and prints one line
 * `BENCH_RESULT <json>` on success; on failure it exits non-zero and the parent reports stderr.
 */

import { readManifest, type Manifest } from "./data.js";

/** The workloads: W1–W4 (kernels and tiny training loops), W5–W9 (the model programs). */
export const WORKLOADS = ["w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "w9"] as const;
export type WorkloadId = (typeof WORKLOADS)[number];

/** The model workloads: a training loop from a safetensors file of initial weights, ms per step. */
export const MODEL_WORKLOADS = ["w5", "w6", "w7", "w8", "w9"] as const;
export type ModelWorkloadId = (typeof MODEL_WORKLOADS)[number];

/** Whether `w` is one of W5–W9. */
export function isModelWorkload(w: WorkloadId): w is ModelWorkloadId {
  return (MODEL_WORKLOADS as readonly string[]).includes(w);
}

/** One workload's measurements, from its own process. */
export interface WorkloadResult {
  readonly workload: WorkloadId;
  /**
   * The timed quantity in seconds: W1 one matmul (median of reps), W2 and W5–W9 one training step
   * (median of the timed steps), W3 all steps, W4 the forward chain plus backward.
   */
  readonly seconds: number;
  /** W1: 2n³ / seconds / 1e9. */
  readonly gflops?: number;
  /** W1: C[i][j] at the manifest's probe positions. */
  readonly probes?: number[];
  /** W2, W5–W9: loss of the first step; W2, W3, W5–W9: loss of the last step. */
  readonly firstLoss?: number;
  readonly loss?: number;
  /** W4: dy/dy0 and y. */
  readonly grad?: number;
  readonly value?: number;
  /** Peak resident set of the process (MB), and its resident set once the library and data were loaded. */
  readonly peakRssMB: number;
  readonly baseRssMB: number;
  /** Anything a reader should know (threads, variant used). */
  readonly note?: string;
}

/** The line prefix that marks a worker's answer on stdout. */
export const RESULT_PREFIX = "BENCH_RESULT ";
/** The line prefix of a worker that cannot run its workload, with the reason (a result, not a failure). */
export const UNSUPPORTED_PREFIX = "BENCH_UNSUPPORTED ";

/** Thrown by a worker whose library cannot run the workload (a missing kernel, say): its cell says why. */
export class Unsupported extends Error {
  override name = "Unsupported";
}

/** Parsed command line of a worker. */
export interface WorkerArgs {
  readonly workload: WorkloadId;
  readonly dataDir: string;
  readonly manifest: Manifest;
  readonly options: Readonly<Record<string, string>>;
}

/** Reads `<workload> <dataDir> [key=value ...]` from process.argv. */
export function parseWorkerArgs(): WorkerArgs {
  const [workload, dataDir, ...rest] = process.argv.slice(2);
  if (!WORKLOADS.includes(workload as WorkloadId) || !dataDir) {
    throw new Error(`usage: worker <${WORKLOADS.join("|")}> <dataDir> [key=value ...] (got ${process.argv.slice(2).join(" ")})`);
  }
  const options: Record<string, string> = {};
  for (const kv of rest) {
    const eq = kv.indexOf("=");
    if (eq < 0) throw new Error(`worker: expected key=value, got "${kv}"`);
    options[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return { workload: workload as WorkloadId, dataDir, manifest: readManifest(dataDir), options };
}

/** Resident set size now, in MB. */
export function rssMB(): number {
  return process.memoryUsage.rss() / 2 ** 20;
}

/** Peak resident set size of this process so far, in MB. */
export function peakRssMB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Seconds elapsed since `start` (a performance.now() value). */
export function since(start: number): number {
  return (performance.now() - start) / 1000;
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Runs `run` (a whole model workload, discarded) again and again until `seconds` have passed:
 * the pre-runs every library gets before its recorded run (ModelSpec.prewarmSeconds).
 */
export function prewarm(seconds: number, run: () => void): void {
  const t0 = performance.now();
  while (since(t0) < seconds) run();
}

/** Runs the worker's chosen workload and prints its result line; exits 1 with the error otherwise. */
export async function runWorker(
  run: (args: WorkerArgs) => Promise<Omit<WorkloadResult, "workload" | "peakRssMB">>,
): Promise<void> {
  try {
    const args = parseWorkerArgs();
    const result = await run(args);
    const full: WorkloadResult = { workload: args.workload, ...result, peakRssMB: peakRssMB() };
    process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(full)}\n`);
    process.exit(0);
  } catch (error) {
    if (error instanceof Unsupported) {
      process.stdout.write(`${UNSUPPORTED_PREFIX}${error.message}\n`);
      process.exit(0);
    }
    const e = error as Error;
    process.stderr.write(`${e?.name ?? "Error"}: ${e?.message ?? String(error)}\n${e?.stack ?? ""}\n`);
    process.exit(1);
  }
}
