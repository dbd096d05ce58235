/** Child processes of both scripts: tensorgrad's backends and one workload per child. */

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EXAMPLES_DIST, NN_DIST, ROOT_DIR, runChild, TENSORGRAD_DIST, type Outcome, type Scratch } from "./harness.js";
import type { WorkloadId } from "./protocol.js";

/** V8's switch for WebAssembly relaxed SIMD, which Node 20 ships off (on from Node 22). */
const RELAXED_SIMD_FLAG = "--experimental-wasm-relaxed-simd";

/** One tensorgrad column: a registered backend, run in children started with `nodeFlags`. */
export interface TensorgradColumn {
  readonly name: string;
  readonly backend: string;
  readonly nodeFlags: readonly string[];
}

/** Asks a child of the built package (`node [flags] tensorgrad.mjs <query>`) and parses its last line. */
function askTensorgrad(scratch: Scratch, query: string, nodeFlags: readonly string[] = []): unknown {
  const out = execFileSync(process.execPath, [...nodeFlags, scratch.worker("tensorgrad"), query, `lib=${TENSORGRAD_DIST}`], { encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").at(-1)!);
}

/** The backends the built package registers, asked of a child so the parent stays clean. */
export function tensorgradBackends(scratch: Scratch): string[] {
  return askTensorgrad(scratch, "backends") as string[];
}

/**
 * The column of the wasm backend's FMA build: children get --experimental-wasm-relaxed-simd when
 * this Node does not validate relaxed SIMD without it. Throws when neither way works.
 */
function wasmFmaColumn(scratch: Scratch): TensorgradColumn {
  for (const nodeFlags of [[], [RELAXED_SIMD_FLAG]]) {
    const features = askTensorgrad(scratch, "features", nodeFlags) as { relaxedSimd?: boolean } | null;
    if (features?.relaxedSimd) {
      return { name: `tensorgrad/wasm (FMA${nodeFlags.map((f) => `, ${f}`).join("")})`, backend: "wasm", nodeFlags };
    }
  }
  throw new Error(`bench: --wasm-fma: relaxed SIMD is unavailable in Node ${process.version}, even with ${RELAXED_SIMD_FLAG} (or the built package predates wasmFeatures)`);
}

/** The version of the built package, as its package.json says. */
function tensorgradVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT_DIR, "packages/autograd/package.json"), "utf8")) as { version: string }).version;
}

/** Runs one workload of tensorgrad on one column's backend in a child. */
export function runTensorgrad(scratch: Scratch, workload: WorkloadId, column: TensorgradColumn, timeoutS: number): Promise<Outcome> {
  const args = [
    ...column.nodeFlags, scratch.worker("tensorgrad"), workload, scratch.dataDir,
    `lib=${TENSORGRAD_DIST}`, `nn=${NN_DIST}`, `examples=${EXAMPLES_DIST}`, `backend=${column.backend}`, `version=${tensorgradVersion()}`,
  ];
  return runChild(process.execPath, args, timeoutS);
}

/** The plain columns of these backends, plus the wasm FMA build's when `wasmFma` asks for it. */
export function tensorgradColumns(scratch: Scratch, backends: readonly string[], wasmFma: boolean): TensorgradColumn[] {
  const columns = backends.map((b) => ({ name: `tensorgrad/${b}`, backend: b, nodeFlags: [] }));
  return wasmFma ? [...columns, wasmFmaColumn(scratch)] : columns;
}

/** Prints one finished child as a progress line on stderr. */
export function progress(label: string, w: WorkloadId, o: Outcome): void {
  const what = o.ok ? `${o.result.seconds.toPrecision(3)} s${o.result.note ? ` (${o.result.note})` : ""}` : `${o.skipped ? "skipped" : "FAILED"} ${o.error}`;
  console.error(`  ${label.padEnd(20)} ${w.toUpperCase()}  ${what}`);
}
