/**
 * Threads in browsers: inside a Web Worker of a cross-origin-isolated page, the wasm backend
 * starts nested Web Workers from a blob: URL and hands them jobs. CI has no browser, so a child
 * process plays one: it hides Node's worker_threads from the library, declares itself a
 * cross-origin-isolated worker scope, and provides `Worker`, `Blob` and `URL.createObjectURL`
 * that run the blob's source in a worker_thread behind a `self` with onmessage/postMessage.
 * The library's browser code path is what runs. (It was also checked in headless Chromium 156:
 * 1024³ float32 in a worker took ~80 ms on 1 thread and ~43 ms on 2.)
 */

import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";

const dist = fileURLToPath(new URL("../../packages/autograd/dist/index.js", import.meta.url));

const CHILD = `
import { Worker as NodeWorker } from "node:worker_threads";
const [dist] = process.argv.slice(2);

// A browser worker scope, as the library sees it.
delete process.getBuiltinModule;
globalThis.WorkerGlobalScope = class WorkerGlobalScope { static [Symbol.hasInstance](x) { return x === globalThis; } };
globalThis.crossOriginIsolated = true;
globalThis.navigator = { hardwareConcurrency: 2 };
const sources = new Map();
globalThis.Blob = class Blob { constructor(parts) { this.text = parts.join(""); } };
URL.createObjectURL = (blob) => { const url = "blob:test/" + sources.size; sources.set(url, blob.text); return url; };
const stats = { started: 0, messages: 0 };
globalThis.Worker = class Worker {
  constructor(url) {
    stats.started++;
    const prelude = 'const { parentPort } = require("node:worker_threads"); const self = globalThis;' +
      'self.postMessage = (m) => parentPort.postMessage(m); parentPort.on("message", (data) => self.onmessage({ data }));';
    this.w = new NodeWorker(prelude + sources.get(url), { eval: true });
    this.w.unref();
    this.onerror = null;
    this.w.on("error", (e) => this.onerror?.(e));
  }
  postMessage(m) { stats.messages++; this.w.postMessage(m); }
  terminate() { void this.w.terminate(); }
};

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
// A browser worker's children start once it yields; on a loaded machine that takes a while, so
// keep multiplying (at least 5 times) until the child has taken a job, for at most 20 s.
const deadline = Date.now() + 20_000;
for (let i = 0; i < 5 || (stats.messages <= 1 && Date.now() < deadline); i++) {
  products.push(Array.from(a.matmul(b).toTypedArray()));
  await new Promise((r) => setTimeout(r, 20));
}
const same = products.every((p) => p.every((v, i) => Object.is(v, single[i])));
console.log(JSON.stringify({ threads: tg.getNumThreads(), features: tg.wasmFeatures(), ...stats, same }));
`;

describe("threads in a browser worker (simulated)", () => {
  it("starts nested Web Workers from a blob: URL, runs shares of a product on them, same results as one thread", () => {
    if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`pnpm build\` (pnpm test builds before vitest)`);
    const file = join(tempDir("web-threads"), "child.mjs");
    writeFileSync(file, CHILD);
    const res = spawnSync(process.execPath, [file, dist], { encoding: "utf8", timeout: 60_000 });
    if (res.status !== 0) throw new Error(`child failed (status ${res.status}): ${res.error?.message ?? ""}\n${res.stderr}`);
    const report = JSON.parse(res.stdout.trim().split("\n").at(-1)!) as {
      threads: number; features: { sharedMemory: boolean }; started: number; messages: number; same: boolean;
    };
    expect(report.threads).toBe(2);
    expect(report.features.sharedMemory).toBe(true);
    expect(report.started).toBe(1); // one worker besides this thread
    // its start-up message, then at least one job: the first product ran here while it started
    expect(report.messages).toBeGreaterThan(1);
    expect(report.same).toBe(true);
  });
});
