/**
 * Worker threads for large wasm kernels. Every worker instantiates the same compiled module over
 * the same shared WebAssembly.Memory, so a job is just a list of kernel calls on pointers into
 * that memory. The calling thread describes the job in a shared control block and wakes the
 * workers, claims and runs shares itself alongside them, then blocks in Atomics.wait until every
 * share is done — the Backend interface is synchronous.
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
  /** Starts a worker that instantiates the runtime's module over the control block, counts itself ready and serves jobs. */
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

// The control block every thread shares: Int32 slots, then the job's description in float64.
// A worker never returns to its event loop: it sleeps in Atomics.wait on the claim word and wakes
// when the caller stores a new job there. (Jobs once came as messages, but a message reaches a
// worker only through its event loop: 0.1–2 ms on a 2-core virtual machine, long enough that the
// calling thread ran 5 of a product's 8 shares itself, and all but one of a loss kernel's 2.)
const SLOT_DONE = 0; // shares of the current job finished
const SLOT_FAILED = 1; // 1 when a kernel threw in a worker
const SLOT_READY = 2; // workers that are up
const SLOT_CLAIM = 3; // the claim word: shares << 16 | next share to claim
const CONTROL_SLOTS = 4;
const JOB_BYTE_OFFSET = 16;
/** Float64 slots for a job's description: a job that needs more runs in rounds (runShares). */
const JOB_CAPACITY = 1 << 16;
/** Most shares in one job: the claim word's 16-bit fields. */
const MAX_JOB_SHARES = 0x7fff;

// What each worker runs once it has its kernels and the control block: sleep until the claim
// word holds a job with shares left (count << 16 | next, next < count), claim them one at a time
// by compare-exchange of that word (next → next + 1) and run them, counting each done; a failure
// sets the failed slot so the caller can throw. A job's description: for share i, job[i] is where
// it starts; there, the kernel's index among the instance's function exports (in their order),
// the number of calls, then per call its argument count and arguments (see encodeJob).
const RUN_JOBS = `
const fns = Object.values(kernels).filter((f) => typeof f === "function");
const runShare = (i) => {
  let o = job[i];
  const f = fns[job[o]];
  const calls = job[o + 1];
  o += 2;
  for (let c = 0; c < calls; c++) {
    const argc = job[o];
    f.apply(null, job.subarray(o + 1, o + 1 + argc));
    o += 1 + argc;
  }
};
const serve = () => {
  for (;;) {
    const w = Atomics.load(flags, ${SLOT_CLAIM});
    const next = w & 0xffff;
    if (next >= w >>> 16) {
      Atomics.wait(flags, ${SLOT_CLAIM}, w);
      continue;
    }
    if (Atomics.compareExchange(flags, ${SLOT_CLAIM}, w, w + 1) !== w) continue;
    try {
      runShare(next);
    } catch (e) {
      Atomics.store(flags, ${SLOT_FAILED}, 1);
    }
    Atomics.add(flags, ${SLOT_DONE}, 1);
    Atomics.notify(flags, ${SLOT_DONE});
  }
};
`;

// Every worker, given module, memory and control: instantiate the kernels over the shared memory,
// count itself ready, then serve jobs (never returning to its event loop).
const START_SERVING = `
const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
const flags = new Int32Array(control, 0, ${CONTROL_SLOTS});
const job = new Float64Array(control, ${JOB_BYTE_OFFSET});
${RUN_JOBS}
Atomics.add(flags, ${SLOT_READY}, 1);
Atomics.notify(flags, ${SLOT_READY});
serve();
`;

// Node: the module, memory and control block come as workerData. It reaches worker_threads
// through process.getBuiltinModule, which works whether the eval'd source is taken as CommonJS or
// as an ES module.
const NODE_WORKER_SOURCE = `
const { workerData } = process.getBuiltinModule("node:worker_threads");
const { module, memory, control } = workerData;
${START_SERVING}`;

// Browser: the one message brings them.
const WEB_WORKER_SOURCE = `
self.onmessage = ({ data }) => {
  const { module, memory, control } = data;
  ${START_SERVING}
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
      return { terminate: () => void w.terminate() };
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
      return { terminate: () => w.terminate() };
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
let spawned = 0; // workers ever started: the ready count (SLOT_READY) counts up to this
let spawnedAt = 0; // when the latest worker was started (Date.now())
let control: Int32Array | undefined; // the control slots (SLOT_*) of the control block
let job: Float64Array | undefined; // the job description area of the same block
let jobFunctions: Map<string, number> | undefined; // kernel name → its index in the job description
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
  return control !== undefined && Atomics.load(control, SLOT_READY) >= spawned;
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
  if (control === undefined) {
    const block = new SharedArrayBuffer(JOB_BYTE_OFFSET + JOB_CAPACITY * 8);
    control = new Int32Array(block, 0, CONTROL_SLOTS);
    job = new Float64Array(block, JOB_BYTE_OFFSET);
  }
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
    const ready = Atomics.load(flags, SLOT_READY);
    if (ready >= spawned) return true;
    const left = deadline - Date.now();
    if (left <= 0 || Atomics.wait(flags, SLOT_READY, ready, left) === "timed-out") {
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
 * shares than threads (see sharesPerThread), and a share that uses per-share scratch may run on
 * any thread. On a loaded 2-core machine the VAE's products waited 1–4 ms per step for a late
 * worker with one fixed share per thread.
 *
 * A job is described in the control block (encodeJob), then published by one store of the claim
 * word, which wakes the sleeping workers. The description is rewritten only after every share of
 * the previous job is done, and a worker claims a share by compare-exchange of the very word that
 * publishes the current job, so a worker that wakes late can only ever claim (and read) a share
 * of the job in the block now. A job too large for the block runs in rounds.
 */
export function runShares(rt: Runtime, shares: readonly KernelCalls[], threads: number = shares.length): void {
  const helpers = Math.min(threads, shares.length) - 1;
  if (helpers <= 0 || !ensureWorkers(rt, helpers) || !control || !job) {
    for (const share of shares) runShare(rt, share);
    return;
  }
  for (let first = 0; first < shares.length; ) {
    const count = encodeJob(rt, shares, first, job);
    if (count === 0) {
      runShare(rt, shares[first++]); // one share larger than the whole block: run here
      continue;
    }
    runJob(rt, shares, first, count, control, helpers);
    first += count;
  }
}

/** Runs one share's kernel calls on this thread. */
function runShare(rt: Runtime, share: KernelCalls): void {
  const f = rt.kernels[share.kernel] as (...args: number[]) => void;
  for (const args of share.calls) f(...args);
}

/**
 * Writes shares[first], shares[first + 1], … into the job area (layout: RUN_JOBS) while they fit,
 * and returns how many it wrote.
 */
function encodeJob(rt: Runtime, shares: readonly KernelCalls[], first: number, out: Float64Array): number {
  // The same numbering as the workers' (RUN_JOBS): the instance's function exports in order.
  const exports = rt.kernels as unknown as Record<string, unknown>;
  jobFunctions ??= new Map(Object.keys(exports).filter((name) => typeof exports[name] === "function").map((name, i) => [name, i]));
  const ids = jobFunctions;
  const count = Math.min(shares.length - first, MAX_JOB_SHARES, out.length);
  let o = count; // the share index table comes first
  for (let i = 0; i < count; i++) {
    const share = shares[first + i];
    let size = 2;
    for (const args of share.calls) size += 1 + args.length;
    if (o + size > out.length) return i;
    out[i] = o;
    out[o] = ids.get(share.kernel) ?? -1;
    out[o + 1] = share.calls.length;
    o += 2;
    for (const args of share.calls) {
      out[o++] = args.length;
      out.set(args, o);
      o += args.length;
    }
  }
  return count;
}

/** Publishes the job in the control block, runs shares here until none is left, and waits for the workers' ones. */
function runJob(rt: Runtime, shares: readonly KernelCalls[], first: number, count: number, flags: Int32Array, helpers: number): void {
  Atomics.store(flags, SLOT_DONE, 0);
  Atomics.store(flags, SLOT_FAILED, 0);
  Atomics.store(flags, SLOT_CLAIM, count << 16);
  Atomics.notify(flags, SLOT_CLAIM, helpers);
  let failure: unknown;
  for (;;) {
    const w = Atomics.load(flags, SLOT_CLAIM);
    const next = w & 0xffff;
    if (next >= count) break;
    if (Atomics.compareExchange(flags, SLOT_CLAIM, w, w + 1) !== w) continue;
    // After a failure the remaining shares are claimed but not run: the error is thrown anyway.
    if (failure === undefined) {
      try {
        runShare(rt, shares[first + next]);
      } catch (e) {
        failure = e; // still wait: the workers are writing into the same scratch memory
      }
    }
    Atomics.add(flags, SLOT_DONE, 1);
  }
  for (;;) {
    const done = Atomics.load(flags, SLOT_DONE);
    if (done >= count) break;
    if (Atomics.wait(flags, SLOT_DONE, done, STALL_MS) === "timed-out") {
      broken = true;
      throw new Error(`wasm backend: worker threads stalled (${done} of ${count} shares done); threads are now off`);
    }
  }
  if (failure !== undefined) throw failure;
  if (Atomics.load(flags, SLOT_FAILED) !== 0) throw new Error("wasm backend: a kernel failed in a worker thread");
}
