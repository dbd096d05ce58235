/** Child processes of both scripts: tensorgrad's backends and one workload per child. */

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EXAMPLES_DIST, NN_DIST, ROOT_DIR, runChild, TENSORGRAD_DIST, type Outcome, type Scratch } from "./harness.js";
import type { WorkloadId } from "./protocol.js";

/** One tensorgrad column: a registered backend, run in children with extra environment variables. */
export interface TensorgradColumn {
  readonly name: string;
  readonly backend: string;
  readonly env: Readonly<Record<string, string>>;
}

/** Asks a child of the built package (`node [flags] tensorgrad.mjs <query>`) and parses its last line. */
function askTensorgrad(scratch: Scratch, query: string, env: Readonly<Record<string, string>> = {}): unknown {
  const out = execFileSync(process.execPath, [scratch.worker("tensorgrad"), query, `lib=${TENSORGRAD_DIST}`], { encoding: "utf8", env: { ...process.env, ...env } });
  return JSON.parse(out.trim().split("\n").at(-1)!);
}

/** The backends the built package registers, asked of a child so the parent stays clean. */
export function tensorgradBackends(scratch: Scratch): string[] {
  return askTensorgrad(scratch, "backends") as string[];
}

/**
 * The column of the wasm backend's plain SIMD build (TENSORGRAD_WASM_FMA=0), next to the default
 * column, which runs the FMA build wherever the engine has relaxed SIMD (on Node 20 the backend
 * turns on V8's flag for it). Throws when the default column would be the plain build too.
 */
function wasmPlainColumn(scratch: Scratch): TensorgradColumn {
  const env = { TENSORGRAD_WASM_FMA: "0" };
  const byDefault = askTensorgrad(scratch, "features") as { fma?: boolean } | null;
  if (!byDefault?.fma) throw new Error(`bench: --wasm-plain: the default wasm column already runs the plain build here (Node ${process.version}: no relaxed SIMD), or the built package predates wasmFeatures`);
  return { name: "tensorgrad/wasm (plain SIMD, TENSORGRAD_WASM_FMA=0)", backend: "wasm", env };
}

/** The version of the built package, as its package.json says. */
function tensorgradVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT_DIR, "packages/autograd/package.json"), "utf8")) as { version: string }).version;
}

/** Runs one workload of tensorgrad on one column's backend in a child. */
export function runTensorgrad(scratch: Scratch, workload: WorkloadId, column: TensorgradColumn, timeoutS: number): Promise<Outcome> {
  const args = [
    scratch.worker("tensorgrad"), workload, scratch.dataDir,
    `lib=${TENSORGRAD_DIST}`, `nn=${NN_DIST}`, `examples=${EXAMPLES_DIST}`, `backend=${column.backend}`, `version=${tensorgradVersion()}`,
  ];
  return runChild(process.execPath, args, timeoutS, { ...process.env, ...column.env });
}

/** A column per backend, plus the wasm plain build's when `wasmPlain` asks for it. */
export function tensorgradColumns(scratch: Scratch, backends: readonly string[], wasmPlain: boolean): TensorgradColumn[] {
  const columns: TensorgradColumn[] = backends.map((b) => ({ name: `tensorgrad/${b}`, backend: b, env: {} }));
  return wasmPlain ? [...columns, wasmPlainColumn(scratch)] : columns;
}

/** Prints one finished child as a progress line on stderr. */
export function progress(label: string, w: WorkloadId, o: Outcome): void {
  const what = o.ok ? `${o.result.seconds.toPrecision(3)} s${o.result.note ? ` (${o.result.note})` : ""}` : `${o.skipped ? "skipped" : "FAILED"} ${o.error}`;
  console.error(`  ${label.padEnd(20)} ${w.toUpperCase()}  ${what}`);
}
