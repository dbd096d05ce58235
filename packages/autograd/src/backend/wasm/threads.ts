/**
 * Worker threads for large wasm kernels. Every worker instantiates the same compiled module over
 * the same shared WebAssembly.Memory, so a job is just a list of kernel calls on pointers into
 * that memory. The calling thread posts each worker its share, runs its own share, then blocks in
 * Atomics.wait until every worker has counted itself done — the Backend interface is synchronous.
 *
 * Where: Node (worker_threads; blocking is allowed on its main thread) and browsers inside a
 * Web Worker of a cross-origin-isolated page (nested Web Workers; a page's main thread may not
 * Atomics.wait, so there every kernel runs single-threaded — run the model in a worker to get
 * threads). A browser worker's children start only after it yields to its event loop, so there
 * the first large products run single-threaded and later ones use the workers once they are up
 * (see ensureWorkers for how long they may take).
 *
 * Workers are created lazily on the first job that asks for them; Node's are unref'd, so an idle
 * pool never keeps a finished script alive.
 */

import { warnOnce, type KernelExports, type Runtime } from "./runtime.js";

/** What the pool needs of a started worker (Node's Worker or a Web Worker, adapted). */
interface WorkerLike {
  postMessage(value: unknown): void;
  terminate(): void;
}
/** The worker_threads surface we use (typed locally: the core imports no modules by name). */
interface NodeWorker {
  postMessage(value: unknown): void;
  unref(): void;
  on(event: "error" | "exit", listener: (arg: unknown) => void): void;
  terminate(): Promise<number>;
}
interface WorkerThreadsModule {
  Worker: new (code: string, options: { eval: true; workerData: unknown; execArgv: string[] }) => NodeWorker;
}
interface NodeProcess {
  getBuiltinModule?: (name: string) => unknown;
}
/** The Web Worker surface we use. */
interface WebWorker {
  postMessage(value: unknown): void;
  terminate(): void;
  onerror: ((event: unknown) => void) | null;
}
interface WebGlobals {
  Worker?: new (url: string) => WebWorker;
  WorkerGlobalScope?: abstract new () => unknown;
  crossOriginIsolated?: boolean;
  navigator?: { hardwareConcurrency?: number };
}

/** How this environment starts workers. */
interface ThreadHost {
  /** Starts a worker that instantiates the runtime's module and counts itself ready in control slot 2. */
  spawn(rt: Runtime, control: SharedArrayBuffer): WorkerLike;
  /** Whether the caller may block until new workers are ready (not in a browser: see the file comment). */
  readonly waitForStart: boolean;
  /** Logical cores. */
  cores(): number;
}

/** A kernel name and its argument lists, one call per entry. */
export interface KernelCalls {
  readonly kernel: keyof KernelExports;
  readonly calls: readonly (readonly number[])[];
}

// What each worker runs once it has its kernels and the control flags: claim shares of the job
// one at a time and run them, counting each done (slot 0); a failure sets slot 1 so the caller
// can throw. A share is claimed by moving the claim counter (slot 3) from base + i to base + i + 1
// while i < the job's share count (see runShares); a job whose counter has moved past its range
// (the caller and the other workers took every share) is skipped.
const RUN_JOBS = `
const runJob = ({ shares, base }) => {
  for (;;) {
    const v = Atomics.load(flags, 3);
    const i = (v - base) | 0;
    if (i < 0 || i >= shares.length) return;
    if (Atomics.compareExchange(flags, 3, v, (v + 1) | 0) !== v) continue;
    try {
      const f = kernels[shares[i].kernel];
      for (const args of shares[i].calls) f(...args);
    } catch (e) {
      Atomics.store(flags, 1, 1);
    }
    Atomics.add(flags, 0, 1);
    Atomics.notify(flags, 0);
  }
};
`;

// Node: instantiate over the shared memory from workerData, count itself ready (slot 2), then
// run jobs. It reaches worker_threads through process.getBuiltinModule, which works whether the
// eval'd source is taken as CommonJS or as an ES module.
const NODE_WORKER_SOURCE = `
const { parentPort, workerData } = process.getBuiltinModule("node:worker_threads");
const { module, memory, control } = workerData;
const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
const flags = new Int32Array(control);
${RUN_JOBS}
Atomics.add(flags, 2, 1);
Atomics.notify(flags, 2);
parentPort.on("message", runJob);
`;

// Browser: the first message brings the module, the shared memory and the flags; later ones are jobs.
const WEB_WORKER_SOURCE = `
let kernels, flags;
${RUN_JOBS}
self.onmessage = ({ data }) => {
  if (kernels !== undefined) return runJob(data);
  kernels = new WebAssembly.Instance(data.module, { env: { memory: data.memory } }).exports;
  flags = new Int32Array(data.control);
  Atomics.add(flags, 2, 1);
  Atomics.notify(flags, 2);
};
`;

/** Node's worker_threads, through process.getBuiltinModule. */
function nodeHost(): ThreadHost | undefined {
  const proc = (globalThis as { process?: NodeProcess }).process;
  let wt: WorkerThreadsModule | undefined;
  let os: { availableParallelism?: () => number; cpus(): unknown[] } | undefined;
  try {
    wt = proc?.getBuiltinModule?.("node:worker_threads") as WorkerThreadsModule | undefined;
    os = proc?.getBuiltinModule?.("node:os") as typeof os;
  } catch {
    return undefined;
  }
  if (!wt) return undefined;
  const { Worker } = wt;
  return {
    spawn(rt, control) {
      const w = new Worker(NODE_WORKER_SOURCE, {
        eval: true,
        workerData: { module: rt.module, memory: rt.memory, control },
        execArgv: [], // not the parent's loaders or --input-type: the source above is plain JS
      });
      w.unref();
      w.on("error", (e) => switchOff(`a worker thread failed (${errorText(e)})`));
      return { postMessage: (v) => w.postMessage(v), terminate: () => void w.terminate() };
    },
    waitForStart: true,
    cores: () => os?.availableParallelism?.() ?? os?.cpus().length ?? 1,
  };
}

/** Nested Web Workers, when this code runs in a Web Worker of a cross-origin-isolated page. */
function webHost(): ThreadHost | undefined {
  const g = globalThis as WebGlobals;
  const { Worker, WorkerGlobalScope } = g;
  // Atomics.wait is allowed off the page's main thread only; shared memory needs isolation.
  if (!Worker || !WorkerGlobalScope || !(globalThis instanceof WorkerGlobalScope) || g.crossOriginIsolated !== true) return undefined;
  let url: string | undefined;
  return {
    spawn(rt, control) {
      url ??= URL.createObjectURL(new Blob([WEB_WORKER_SOURCE], { type: "text/javascript" }));
      const w = new Worker(url);
      // A CSP without worker-src blob: fails the worker here, with an event that carries no message.
      w.onerror = (e) => switchOff(`a worker thread failed to start (${errorText(e)}); a Content-Security-Policy needs worker-src blob: for them`);
      w.postMessage({ module: rt.module, memory: rt.memory, control });
      return w;
    },
    waitForStart: false,
    cores: () => g.navigator?.hardwareConcurrency ?? 1,
  };
}

let host: ThreadHost | null | undefined;

function threadHost(): ThreadHost | undefined {
  if (host === undefined) {
    try {
      host = nodeHost() ?? webHost() ?? null;
    } catch {
      host = null;
    }
  }
  return host ?? undefined;
}

let cachedDefault: number | undefined;

/** The cores (capped), asked once: getNumThreads runs on every matmul, and os.availableParallelism() is a syscall. */
function defaultThreads(): number {
  cachedDefault ??= Math.max(1, Math.min(threadHost()?.cores() ?? 1, MAX_DEFAULT_THREADS));
  return cachedDefault;
}

/**
 * How many shares a split kernel cuts its work into per thread. runShares lets each thread claim
 * the next share, so with several shares per thread a worker that starts late (0.1–2 ms on a
 * loaded 2-core machine) costs at most about one share of waiting instead of its whole share.
 * Products of more than FINE_SPLIT_MAX_MACS multiply-adds per thread keep one share per thread:
 * a late start is small next to them, and every extra share streams the other operand again
 * (1024³ float32 in 8 row shares ran 7% slower on one thread than in 1; the VAE's 784×400
 * products ran at the same speed in 1, 2, 8 or 16 shares).
 */
export function sharesPerThread(macsPerThread: number): number {
  return macsPerThread <= FINE_SPLIT_MAX_MACS ? 4 : 1;
}
const FINE_SPLIT_MAX_MACS = 1 << 25;

/** The default thread count is the number of cores, capped here. */
const MAX_DEFAULT_THREADS = 8;
/**
 * How long new workers may take to start before threads are turned off: in Node, time the caller
 * waits; in a browser, time this thread has spent yielding (see ensureWorkers).
 */
const STARTUP_MS = 10_000;
/** A browser thread's yields are sampled by a timer of this period; a late tick counts as one period of yielding. */
const PROBE_MS = 20;
/** How long the caller waits for workers without any progress before giving up. */
const STALL_MS = 120_000;

let requested: number | undefined;
let workers: WorkerLike[] = [];
let spawned = 0; // workers ever started: the ready count (control slot 2) counts up to this
let spawnedAt = 0; // when the latest worker was started (Date.now())
let control: Int32Array | undefined;
let broken = false; // threads off for good: a worker failed, or could not be created or started
let stalled = false; // browser: the workers had STARTUP_MS of chances and are not up yet; threads off until they are
let chanceMs = 0; // browser: how long this thread has yielded since the pending workers were spawned
let probing = false; // browser: the timer that measures chanceMs is running

/** Why threads are off, said once; large kernels then run on the calling thread. */
function switchOff(why: string): void {
  broken = true;
  for (const w of workers.splice(0)) w.terminate();
  warnOnce("TENSORGRAD_WASM_THREADS", `${why}; wasm kernels run on one thread`);
}

/** The message of an error, error event or anything thrown. */
function errorText(e: unknown): string {
  const m = (e as { message?: unknown } | null)?.message;
  if (typeof m === "string" && m !== "") return m;
  return (e as { type?: unknown } | null)?.type === "error" ? "an error event without a message" : String(e);
}

/** Whether every worker ever spawned has counted itself ready. */
function allReady(): boolean {
  return control !== undefined && Atomics.load(control, 2) >= spawned;
}

/**
 * Browser: adds up how long this thread yields while workers are pending, by a timer that ticks
 * every PROBE_MS when the thread is free. A tick that comes late (the thread was busy in a long
 * synchronous loop) counts one period only, so workers that never had a chance to start are not
 * taken for broken ones. After STARTUP_MS of chances it marks the pool stalled, with a warning.
 */
function probeYields(): void {
  const timer = (globalThis as { setTimeout?: (f: () => void, ms: number) => unknown }).setTimeout;
  if (probing || !timer) return;
  probing = true;
  let last = Date.now();
  const tick = (): void => {
    const now = Date.now();
    chanceMs += Math.min(now - last, PROBE_MS);
    last = now;
    if (!broken && !allReady() && chanceMs >= STARTUP_MS) {
      stalled = true;
      warnOnce(
        "TENSORGRAD_WASM_THREADS_STALLED",
        `worker threads have not started although this thread yielded for ${STARTUP_MS / 1000} s; wasm kernels run on one thread until they do`,
      );
    }
    if (broken || stalled || allReady()) probing = false;
    else timer(tick, PROBE_MS);
  };
  timer(tick, PROBE_MS);
}

/** Sets how many threads (the calling one included) large wasm kernels may use; 1 turns threads off. */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: expected a positive integer, got ${n}`);
  requested = n;
  if (workers.length > n - 1) {
    for (const w of workers.splice(n - 1)) w.terminate();
  }
}

/** The number of threads large wasm kernels use (1 where worker threads are unavailable). */
export function getNumThreads(): number {
  if (broken || !threadHost()) return 1;
  if (stalled) {
    if (!allReady()) return 1;
    stalled = false; // the late workers came up: threads are back
  }
  return requested ?? defaultThreads();
}

/** How many worker threads are running now (for tests and diagnostics). */
export function liveWorkers(): number {
  return workers.length;
}

/**
 * Starts workers up to `count` over the runtime's shared memory; true once they are all ready.
 * In Node it waits for them, and a worker that does not start within STARTUP_MS turns threads off
 * for good. In a browser it does not wait (they start once this thread yields), so a false there
 * just means "not yet"; workers still not up after this thread has yielded for STARTUP_MS in all
 * switch threads off (with a warning) until they do come up. Time spent in a synchronous loop
 * before the first yield does not count: the workers had no chance to start.
 */
function ensureWorkers(rt: Runtime, count: number): boolean {
  if (!rt.shared || broken) return false;
  const h = threadHost();
  if (!h) return false;
  control ??= new Int32Array(new SharedArrayBuffer(16)); // done, failed, ready, claim counter
  const flags = control;
  while (workers.length < count) {
    try {
      workers.push(h.spawn(rt, flags.buffer as SharedArrayBuffer));
    } catch (e) {
      // A Content-Security-Policy without worker-src blob: may make the constructor throw a
      // SecurityError (Chromium fires an error event instead: see webHost's onerror).
      const csp = (e as { name?: unknown } | null)?.name === "SecurityError";
      switchOff(`worker threads could not be created (${errorText(e)})${csp ? ". A Content-Security-Policy needs worker-src blob: for them" : ""}`);
      return false;
    }
    spawned++;
    spawnedAt = Date.now();
    chanceMs = 0;
  }
  if (allReady()) return true;
  if (!h.waitForStart) {
    probeYields();
    return false;
  }
  // A worker whose startup throws can only report through an event, which cannot fire while
  // this thread blocks, so wait for the ready count with a deadline instead.
  const deadline = spawnedAt + STARTUP_MS;
  for (;;) {
    const ready = Atomics.load(flags, 2);
    if (ready >= spawned) return true;
    const left = deadline - Date.now();
    if (left <= 0 || Atomics.wait(flags, 2, ready, left) === "timed-out") {
      switchOff(`worker threads did not start within ${STARTUP_MS / 1000} s`);
      return false;
    }
  }
}

/**
 * Runs the shares on this thread and up to `threads` − 1 workers, returning when all are done.
 * Falls back to running every share here when workers cannot be had.
 *
 * Shares are not assigned to threads: every thread, this one included, claims the next share not
 * yet taken until none is left, so a worker the OS schedules late (more busy threads than cores)
 * or that wakes slowly simply runs fewer of them. Callers therefore cut the work into a few more
 * shares than threads (see splitShares), and a share that uses per-share scratch may run on any
 * thread. On a loaded 2-core machine the VAE's products waited 1–4 ms per step for a late worker
 * with one fixed share per thread.
 *
 * The claim counter (control slot 3) only ever grows: job j owns the values base..base+count−1,
 * the next job starts where it ended, and a claim moves it by one with a compare-exchange only
 * while it is inside the job's range. So a job message that reaches its worker after the job has
 * finished finds the counter past its range and does nothing (Atomics convert with ToInt32: the
 * counter wraps consistently past 2^32 shares).
 */
export function runShares(rt: Runtime, shares: readonly KernelCalls[], threads: number = shares.length): void {
  const run = (share: KernelCalls): void => {
    const f = rt.kernels[share.kernel] as (...args: number[]) => void;
    for (const args of share.calls) f(...args);
  };
  const helpers = Math.min(threads, shares.length) - 1;
  if (helpers <= 0 || !ensureWorkers(rt, helpers) || !control) {
    for (const share of shares) run(share);
    return;
  }
  const flags = control;
  const count = shares.length;
  Atomics.store(flags, 0, 0);
  Atomics.store(flags, 1, 0);
  const base = Atomics.load(flags, 3); // no claim is in flight between calls: runShares waited for them
  for (let t = 0; t < helpers; t++) workers[t].postMessage({ shares, base });
  let failure: unknown;
  for (;;) {
    const v = Atomics.load(flags, 3);
    const i = (v - base) | 0;
    if (i >= count) break;
    if (Atomics.compareExchange(flags, 3, v, (v + 1) | 0) !== v) continue;
    // After a failure the remaining shares are claimed but not run: the error is thrown anyway.
    if (failure === undefined) {
      try {
        run(shares[i]);
      } catch (e) {
        failure = e; // still wait: the workers are writing into the same scratch memory
      }
    }
    Atomics.add(flags, 0, 1);
  }
  for (;;) {
    const done = Atomics.load(flags, 0);
    if (done >= count) break;
    if (Atomics.wait(flags, 0, done, STALL_MS) === "timed-out") {
      broken = true;
      throw new Error(`wasm backend: worker threads stalled (${done} of ${count} shares done); threads are now off`);
    }
  }
  if (failure !== undefined) throw failure;
  if (Atomics.load(flags, 1) !== 0) throw new Error("wasm backend: a kernel failed in a worker thread");
}
