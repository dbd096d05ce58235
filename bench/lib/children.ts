/** Child processes of both scripts: tensorgrad's backends and one workload per child. */

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT_DIR, runChild, TENSORGRAD_DIST, type Outcome, type Scratch } from "./harness.js";
import type { WorkloadId } from "./protocol.js";

/** The backends the built package registers, asked of a child so the parent stays clean. */
export function tensorgradBackends(scratch: Scratch): string[] {
  const out = execFileSync(process.execPath, [scratch.worker("tensorgrad"), "backends", `lib=${TENSORGRAD_DIST}`], { encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").at(-1)!) as string[];
}

/** The version of the built package, as its package.json says. */
function tensorgradVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT_DIR, "packages/autograd/package.json"), "utf8")) as { version: string }).version;
}

/** Runs one workload of tensorgrad on one backend in a child. */
export function runTensorgrad(scratch: Scratch, workload: WorkloadId, backend: string, timeoutS: number): Promise<Outcome> {
  const args = [scratch.worker("tensorgrad"), workload, scratch.dataDir, `lib=${TENSORGRAD_DIST}`, `backend=${backend}`, `version=${tensorgradVersion()}`];
  return runChild(process.execPath, args, timeoutS);
}

/** Prints one finished child as a progress line on stderr. */
export function progress(label: string, w: WorkloadId, o: Outcome): void {
  const what = o.ok ? `${o.result.seconds.toPrecision(3)} s${o.result.note ? ` (${o.result.note})` : ""}` : `FAILED ${o.error}`;
  console.error(`  ${label.padEnd(20)} ${w.toUpperCase()}  ${what}`);
}
