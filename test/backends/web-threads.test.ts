/**
 * Threads in browsers: inside a Web Worker of a cross-origin-isolated page, the wasm backend
 * starts nested Web Workers from a blob: URL, which then take shares of its jobs. CI has no browser, so a child
 * process plays one: it hides Node's worker_threads from the library, declares itself a
 * cross-origin-isolated worker scope, and provides `Worker`, `Blob` and `URL.createObjectURL`
 * that run the blob's source in a worker_thread behind a `self` with onmessage/postMessage.
 * The library's browser code path is what runs. (It was also checked in headless Chromium 156:
 * 1024³ float32 in a worker took ~80 ms on 1 thread and ~43 ms on 2; test/browser runs the live
 * page there.) The start-up rules are checked the same way: a long synchronous loop before the
 * first yield, workers that never start while the thread yields, a Worker constructor that throws.
 */

import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";

const dist = fileURLToPath(new URL("../../packages/autograd/dist/index.js", import.meta.url));

// The browser worker scope, as the library sees it. `Worker` runs the blob's source in a
// worker_thread behind a `self`, and only once this thread yields (a timer), as a browser worker's
// children do. HOLD=1 keeps every worker's start-up message until globalThis.releaseWorkers().
// THROW=1 makes the constructor throw a SecurityError, as a browser may under a CSP without
// worker-src blob: (Chromium 156 fires an error event instead, which test/browser checks).
const SCOPE = `
import { Worker as NodeWorker } from "node:worker_threads";
delete process.getBuiltinModule;
globalThis.WorkerGlobalScope = class WorkerGlobalScope { static [Symbol.hasInstance](x) { return x === globalThis; } };
globalThis.crossOriginIsolated = true;
globalThis.navigator = { hardwareConcurrency: 2 };
const sources = new Map();
globalThis.Blob = class Blob { constructor(parts) { this.text = parts.join(""); } };
URL.createObjectURL = (blob) => { const url = "blob:test/" + sources.size; sources.set(url, blob.text); return url; };
const stats = { started: 0, messages: 0, workerCalls: 0 };
const held = [];
globalThis.releaseWorkers = () => { for (const f of held.splice(0)) f(); };
globalThis.Worker = class Worker {
  constructor(url) {
    if (process.env.THROW === "1") {
      const e = new Error("Failed to construct 'Worker': Access to the script at '" + url + "' is denied by the document's Content Security Policy.");
      e.name = "SecurityError";
      throw e;
    }
    stats.started++;
    this.onerror = null;
    this.queue = [];
    setTimeout(() => {
      // Each kernel call in the worker is reported to this thread (a worker busy in its job loop
      // can still post): the proof that it ran shares.
      const prelude = 'const { parentPort } = require("node:worker_threads"); const self = globalThis;' +
        'self.postMessage = (m) => parentPort.postMessage(m); parentPort.on("message", (data) => self.onmessage({ data }));' +
        'const RealInstance = WebAssembly.Instance;' +
        'WebAssembly.Instance = function (m, i) { const e = new RealInstance(m, i).exports; const exports = {};' +
        ' for (const [k, v] of Object.entries(e)) exports[k] = typeof v === "function" ? (...a) => { parentPort.postMessage({ ran: k }); return v(...a); } : v;' +
        ' return { exports }; };';
      this.w = new NodeWorker(prelude + sources.get(url), { eval: true });
      this.w.on("error", (e) => this.onerror?.(e));
      this.w.on("message", (m) => { if (m?.ran) stats.workerCalls++; });
      this.w.unref(); // after the listeners: adding a "message" listener refs the worker again
      for (const m of this.queue.splice(0)) this.send(m);
    }, 0);
  }
  send(m) {
    const first = this.first === undefined;
    this.first = false;
    if (first && process.env.HOLD === "1") held.push(() => this.w.postMessage(m));
    else this.w.postMessage(m);
  }
  postMessage(m) { stats.messages++; if (this.w) this.send(m); else this.queue.push(m); }
  terminate() { void this.w?.terminate(); }
};
`;

const CHILD = `
const [dist, scenario] = process.argv.slice(2);
const warnings = [];
process.on("warning", (w) => warnings.push(w.code));
const tg = await import(new URL("file://" + dist).href);
const split = tg.createWasmBackend({ threadMinMacsPerThread: 1 });
tg.registerBackend({ ...split, name: "split" });
tg.setBackend("split");
tg.manualSeed(3);
const a = tg.randn([130, 70]), b = tg.randn([70, 90]);
tg.setNumThreads(1);
const single = Array.from(a.matmul(b).toTypedArray());
tg.setNumThreads(2);
const products = [];
const product = () => products.push(Array.from(a.matmul(b).toTypedArray()));
const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));
const report = {};
if (scenario === "late-yield") {
  // A synchronous loop that runs past the 10 s start-up window before it first yields (the clock
  // is moved on rather than waited for): the workers had no chance yet, so threads stay on.
  product();
  const now = Date.now;
  Date.now = () => now() + 11_000;
  product();
  report.threadsBeforeYield = tg.getNumThreads();
} else if (scenario === "stall") {
  // The workers never start although this thread yields (their start-up message is held): after
  // 10 s of yielding (timers and clock sped up) threads are off, until the workers do come up.
  const [now, timeout] = [Date.now, setTimeout];
  let skew = 0;
  Date.now = () => now() + skew;
  globalThis.setTimeout = (f, ms) => timeout(() => { skew += ms; f(); }, 0);
  product();
  for (let i = 0; i < 2000 && tg.getNumThreads() > 1; i++) await tick();
  report.threadsWhenStalled = tg.getNumThreads();
  product();
  globalThis.releaseWorkers();
  globalThis.setTimeout = timeout;
}
// Keep multiplying (at least 5 times) until the worker has run a share, for at most 20 s: a
// loaded machine takes a while to start a worker_thread.
const deadline = Date.now() + 20_000;
for (let i = 0; i < 5 || (stats.workerCalls === 0 && Date.now() < deadline && stats.started > 0); i++) {
  product();
  await tick();
}
const same = products.every((p) => p.every((v, i) => Object.is(v, single[i])));
console.log(JSON.stringify({ ...report, threads: tg.getNumThreads(), features: tg.wasmFeatures(), ...stats, same, warnings }));
`;

interface Report {
  threads: number;
  features: { sharedMemory: boolean };
  started: number;
  messages: number;
  workerCalls: number;
  same: boolean;
  warnings: string[];
  threadsBeforeYield?: number;
  threadsWhenStalled?: number;
}

function runChild(scenario: string, env: Record<string, string> = {}): Report {
  if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`pnpm build\` (pnpm test builds before vitest)`);
  const file = join(tempDir("web-threads"), "child.mjs");
  writeFileSync(file, SCOPE + CHILD);
  const res = spawnSync(process.execPath, [file, dist, scenario], { encoding: "utf8", timeout: 60_000, env: { ...process.env, ...env } });
  if (res.status !== 0) throw new Error(`child failed (status ${res.status}): ${res.error?.message ?? ""}\n${res.stderr}`);
  return JSON.parse(res.stdout.trim().split("\n").at(-1)!) as Report;
}

describe("threads in a browser worker (simulated)", () => {
  it("starts nested Web Workers from a blob: URL, runs shares of a product on them, same results as one thread", () => {
    const report = runChild("plain");
    expect(report.threads).toBe(2);
    expect(report.features.sharedMemory).toBe(true);
    expect(report.started).toBe(1); // one worker besides this thread
    // one message starts it (jobs go through shared memory), and it ran shares of later products
    expect(report.messages).toBe(1);
    expect(report.workerCalls).toBeGreaterThan(0);
    expect(report.same).toBe(true);
    expect(report.warnings).toEqual([]);
  });

  it("a synchronous loop past the start-up window before the first yield does not switch threads off", () => {
    const report = runChild("late-yield");
    expect(report.threadsBeforeYield).toBe(2);
    expect(report.threads).toBe(2);
    expect(report.workerCalls).toBeGreaterThan(0);
    expect(report.same).toBe(true);
    expect(report.warnings).toEqual([]);
  });

  it("workers that do not start while the thread yields switch threads off with one warning, and back on when they come up", () => {
    const report = runChild("stall", { HOLD: "1" });
    expect(report.threadsWhenStalled).toBe(1);
    expect(report.warnings).toEqual(["TENSORGRAD_WASM_THREADS_STALLED"]);
    expect(report.threads).toBe(2);
    expect(report.workerCalls).toBeGreaterThan(0);
    expect(report.same).toBe(true);
  });

  it("a Worker constructor refused by the CSP (SecurityError) warns once with the worker-src hint; one thread, same results", () => {
    const report = runChild("plain", { THROW: "1" });
    expect(report.threads).toBe(1);
    expect(report.started).toBe(0);
    expect(report.same).toBe(true);
    expect(report.warnings).toEqual(["TENSORGRAD_WASM_THREADS"]);
  });
});
