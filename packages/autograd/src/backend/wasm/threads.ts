/**
 * Worker threads for large wasm kernels (Node only for now). Every worker instantiates the same
 * compiled module over the same shared WebAssembly.Memory, so a job is just a list of kernel
 * calls on pointers into that memory. The calling thread posts each worker its share, runs its
 * own share, then blocks in Atomics.wait until every worker has counted itself done — the
 * Backend interface is synchronous, and blocking is allowed on Node's main thread.
 *
 * Workers are created lazily on the first job that asks for them and are unref'd, so an idle
 * pool never keeps a finished script alive.
 *
 * TODO: browsers. Their main thread may not Atomics.wait, so threads there need the backend
 * to run inside a worker of its own (and a cross-origin-isolated page for shared memory);
 * until then browsers run every kernel single-threaded.
 */

import type { KernelExports, Runtime } from "./runtime.js";

/** The worker_threads surface we use (typed locally: the core imports no modules by name). */
interface WorkerLike {
  postMessage(value: unknown): void;
  unref(): void;
  on(event: "error" | "exit", listener: (arg: unknown) => void): void;
  terminate(): Promise<number>;
}
interface WorkerThreadsModule {
  Worker: new (code: string, options: { eval: true; workerData: unknown; execArgv: string[] }) => WorkerLike;
}
interface NodeProcess {
  getBuiltinModule?: (name: string) => unknown;
}

/** A kernel name and its argument lists, one call per entry. */
export interface KernelCalls {
  readonly kernel: keyof KernelExports;
  readonly calls: readonly (readonly number[])[];
}

// Runs in each worker: instantiate over the shared memory and count itself ready (slot 2), then
// run the calls of each message and count done (slot 0); a failure sets slot 1 so the caller
// can throw. It reaches worker_threads through process.getBuiltinModule, which works whether
// the eval'd source is taken as CommonJS or as an ES module.
const WORKER_SOURCE = `
const { parentPort, workerData } = process.getBuiltinModule("node:worker_threads");
const { module, memory, control } = workerData;
const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
const flags = new Int32Array(control);
Atomics.add(flags, 2, 1);
Atomics.notify(flags, 2);
parentPort.on("message", ({ kernel, calls }) => {
  try {
    const f = kernels[kernel];
    for (const args of calls) f(...args);
  } catch (e) {
    Atomics.store(flags, 1, 1);
  }
  Atomics.add(flags, 0, 1);
  Atomics.notify(flags, 0);
});
`;

let threadsModule: WorkerThreadsModule | null | undefined;

function workerThreads(): WorkerThreadsModule | undefined {
  if (threadsModule === undefined) {
    const proc = (globalThis as { process?: NodeProcess }).process;
    try {
      threadsModule = (proc?.getBuiltinModule?.("node:worker_threads") as WorkerThreadsModule | undefined) ?? null;
    } catch {
      threadsModule = null;
    }
  }
  return threadsModule ?? undefined;
}

let cores: number | undefined;

function defaultThreads(): number {
  if (cores === undefined) {
    const proc = (globalThis as { process?: NodeProcess }).process;
    cores = 1;
    try {
      const os = proc?.getBuiltinModule?.("node:os") as { availableParallelism?: () => number; cpus(): unknown[] } | undefined;
      if (os) cores = os.availableParallelism?.() ?? os.cpus().length;
    } catch {
      cores = 1;
    }
  }
  return Math.max(1, Math.min(cores, MAX_DEFAULT_THREADS));
}

/** The default thread count is the number of cores, capped here. */
const MAX_DEFAULT_THREADS = 8;
/** How long the caller waits for new workers to start before running without them. */
const STARTUP_MS = 10_000;
/** How long the caller waits for workers without any progress before giving up. */
const STALL_MS = 120_000;

let requested: number | undefined;
let workers: WorkerLike[] = [];
let spawned = 0; // workers ever started: the ready count (control slot 2) counts up to this
let control: Int32Array | undefined;
let broken = false;

/** Sets how many threads (the calling one included) large wasm kernels may use; 1 turns threads off. */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: expected a positive integer, got ${n}`);
  requested = n;
  if (workers.length > n - 1) {
    for (const w of workers.splice(n - 1)) void w.terminate();
  }
}

/** The number of threads large wasm kernels use (1 where worker threads are unavailable). */
export function getNumThreads(): number {
  if (broken || !workerThreads()) return 1;
  return requested ?? defaultThreads();
}

/** How many worker threads are running now (for tests and diagnostics). */
export function liveWorkers(): number {
  return workers.length;
}

/**
 * Starts workers up to `count` over the runtime's shared memory and waits until they are ready;
 * false (and threads off for good) if that is impossible or a worker fails to start.
 */
function ensureWorkers(rt: Runtime, count: number): boolean {
  if (!rt.shared || broken) return false;
  if (workers.length >= count) return true;
  const wt = workerThreads();
  if (!wt) return false;
  control ??= new Int32Array(new SharedArrayBuffer(12));
  const flags = control;
  while (workers.length < count) {
    const w = new wt.Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module: rt.module, memory: rt.memory, control: flags.buffer },
      execArgv: [], // not the parent's loaders or --input-type: the source above is plain JS
    });
    w.unref();
    w.on("error", () => {
      broken = true;
    });
    workers.push(w);
    spawned++;
  }
  // A worker whose startup throws can only report through an event, which cannot fire while
  // this thread blocks, so wait for the ready count with a deadline instead.
  const deadline = Date.now() + STARTUP_MS;
  for (;;) {
    const ready = Atomics.load(flags, 2);
    if (ready >= spawned) return true;
    const left = deadline - Date.now();
    if (left <= 0 || Atomics.wait(flags, 2, ready, left) === "timed-out") {
      broken = true;
      for (const w of workers.splice(0)) void w.terminate();
      return false;
    }
  }
}

/**
 * Runs shares[0] on this thread and shares[1..] on workers, returning when all are done.
 * Falls back to running every share here when workers cannot be had.
 */
export function runShares(rt: Runtime, shares: readonly KernelCalls[]): void {
  const run = (share: KernelCalls): void => {
    const f = rt.kernels[share.kernel] as (...args: number[]) => void;
    for (const args of share.calls) f(...args);
  };
  if (shares.length <= 1 || !ensureWorkers(rt, shares.length - 1) || !control) {
    for (const share of shares) run(share);
    return;
  }
  const flags = control;
  Atomics.store(flags, 0, 0);
  Atomics.store(flags, 1, 0);
  for (let t = 1; t < shares.length; t++) workers[t - 1].postMessage(shares[t]);
  let failure: unknown;
  try {
    run(shares[0]);
  } catch (e) {
    failure = e; // still wait: the workers are writing into the same scratch memory
  }
  const expected = shares.length - 1;
  for (;;) {
    const done = Atomics.load(flags, 0);
    if (done >= expected) break;
    if (Atomics.wait(flags, 0, done, STALL_MS) === "timed-out") {
      broken = true;
      throw new Error(`wasm backend: worker threads stalled (${done} of ${expected} done); threads are now off`);
    }
  }
  if (failure !== undefined) throw failure;
  if (Atomics.load(flags, 1) !== 0) throw new Error("wasm backend: a kernel failed in a worker thread");
}
