/**
 * tensorgrad on one workload and one backend, in its own process. Imports the BUILT package
 * (`lib=<path to packages/autograd/dist/index.js>`), never the sources — for W5–W9 also the built
 * @tensorgrad/nn and @tensorgrad/examples (`nn=<path>`, `examples=<path>`; they import
 * @tensorgrad/autograd through the workspace links, which resolve to the same file) — and selects
 * `backend=<name>` with setBackend. `node tensorgrad.mjs backends lib=<path>` prints the
 * registered backends as JSON instead, and `node tensorgrad.mjs features lib=<path>` the wasm
 * backend's wasmFeatures() (null for a build without it).
 */

import { pathToFileURL } from "node:url";
import { readF32, readI32 } from "../lib/data.js";
import { isModelWorkload, median, prewarm, rssMB, runWorker, since, type WorkerArgs, type WorkloadResult } from "../lib/protocol.js";
import { MODEL_RUNS, type Libs } from "./tensorgrad-models.js";

type Tg = typeof import("@tensorgrad/autograd");
type Tensor = import("@tensorgrad/autograd").Tensor;
type Measured = Omit<WorkloadResult, "workload" | "peakRssMB">;

/** Imports the built package. A backend that needs asynchronous set-up would be awaited here. */
async function loadTensorgrad(lib: string | undefined): Promise<Tg> {
  if (!lib) throw new Error("tensorgrad worker: missing lib=<path to dist/index.js>");
  return (await import(pathToFileURL(lib).href)) as Tg;
}

/** The built nn and examples packages for W5–W9; checks that they share `tg`'s module instance. */
async function loadModelLibs(tg: Tg, { options }: WorkerArgs): Promise<Libs> {
  if (!options.nn || !options.examples) throw new Error("tensorgrad worker: W5–W9 need nn=<path to nn dist/index.js> and examples=<path to examples dist/index.js>");
  const nn = (await import(pathToFileURL(options.nn).href)) as Libs["nn"];
  const ex = (await import(pathToFileURL(options.examples).href)) as Libs["ex"];
  // One autograd instance: a Parameter made by nn must be a Tensor of the autograd we set the backend on.
  if (!(new nn.Linear(1, 1).weight instanceof tg.Tensor)) throw new Error("tensorgrad worker: @tensorgrad/nn resolved a second copy of @tensorgrad/autograd");
  return { tg, nn, ex };
}

/** W1: one matmul, median of `reps` after `warmup`. */
function w1(tg: Tg, { manifest: m, dataDir }: WorkerArgs): Measured {
  const { n } = m.w1;
  const a = tg.tensor(readF32(dataDir, m.w1.a), { shape: [n, n] });
  const b = tg.tensor(readF32(dataDir, m.w1.b), { shape: [n, n] });
  const baseRssMB = rssMB();
  let c = a.matmul(b);
  for (let i = 1; i < m.w1.warmup; i++) c = a.matmul(b);
  const times: number[] = [];
  for (let i = 0; i < m.w1.reps; i++) {
    const t0 = performance.now();
    c = a.matmul(b);
    times.push(since(t0));
  }
  const values = c.toTypedArray();
  const seconds = median(times);
  return { seconds, gflops: (2 * n ** 3) / seconds / 1e9, probes: m.w1.probes.map(([i, j]) => values[i * n + j]), baseRssMB };
}

/** W2: MLP 784-128-10 SGD steps; median step time of the timed steps. */
function w2(tg: Tg, { manifest: m, dataDir }: WorkerArgs): Measured {
  const s = m.w2;
  const [inF, hid, outF] = s.sizes;
  const xAll = readF32(dataDir, s.x);
  const yAll = readI32(dataDir, s.y);
  const xs: Tensor[] = [];
  const ys: Tensor[] = [];
  for (let i = 0; i < s.nBatches; i++) {
    xs.push(tg.tensor(xAll.subarray(i * s.batch * inF, (i + 1) * s.batch * inF), { shape: [s.batch, inF] }));
    ys.push(tg.tensor(yAll.subarray(i * s.batch, (i + 1) * s.batch), { shape: [s.batch, 1], dtype: "int32" }));
  }
  const w1 = tg.tensor(readF32(dataDir, s.w1), { shape: [hid, inF], requiresGrad: true });
  const b1 = tg.tensor(readF32(dataDir, s.b1), { shape: [hid], requiresGrad: true });
  const w2 = tg.tensor(readF32(dataDir, s.w2), { shape: [outF, hid], requiresGrad: true });
  const b2 = tg.tensor(readF32(dataDir, s.b2), { shape: [outF], requiresGrad: true });
  const params = [w1, b1, w2, b2];
  const baseRssMB = rssMB();

  const step = (i: number): Tensor => {
    const x = xs[i % s.nBatches];
    const y = ys[i % s.nBatches];
    const logits = x.matmul(w1.mT).add(b1).relu().matmul(w2.mT).add(b2);
    const loss = logits.logSoftmax(1).gather(1, y).mean().neg();
    loss.backward();
    tg.noGrad(() => {
      for (const p of params) {
        p.sub_(p.grad!.mul(s.lr));
        p.grad = null;
      }
    });
    return loss;
  };

  const total = s.warmup + s.timed;
  const times: number[] = [];
  let firstLoss = NaN;
  let last: Tensor | null = null;
  for (let i = 0; i < total; i++) {
    const t0 = performance.now();
    last = step(i);
    if (i >= s.warmup) times.push(since(t0));
    if (i === 0) firstLoss = last.item();
  }
  return { seconds: median(times), firstLoss, loss: last!.item(), baseRssMB };
}

/** W3: the sine fit, all steps timed together. */
function w3(tg: Tg, { manifest: m, dataDir }: WorkerArgs): Measured {
  const s = m.w3;
  const x = tg.tensor(readF32(dataDir, s.x), { shape: s.x.shape });
  const y = tg.tensor(readF32(dataDir, s.y), { shape: s.y.shape });
  const params = [s.w1, s.b1, s.w2, s.b2].map((ref) => tg.tensor(readF32(dataDir, ref), { shape: ref.shape, requiresGrad: true }));
  const [w1, b1, w2, b2] = params;
  const baseRssMB = rssMB();
  const t0 = performance.now();
  let loss: Tensor | null = null;
  for (let i = 0; i < s.steps; i++) {
    const out = x.matmul(w1.mT).add(b1).sigmoid().matmul(w2.mT).add(b2);
    loss = out.sub(y).square().mean().mul(0.5);
    loss.backward();
    tg.noGrad(() => {
      for (const p of params) {
        p.sub_(p.grad!.mul(s.lr));
        p.grad = null;
      }
    });
  }
  const value = loss!.item();
  return { seconds: since(t0), loss: value, baseRssMB };
}

/** W4: a 100k-op chain on one element, then backward. */
function w4(tg: Tg, { manifest: m }: WorkerArgs): Measured {
  const s = m.w4;
  const y0 = tg.tensor([s.y0], { requiresGrad: true });
  const baseRssMB = rssMB();
  const t0 = performance.now();
  let y = y0;
  for (let i = 0; i < s.n; i++) y = y.mul(s.a).add(s.b);
  y.sum().backward();
  const grad = y0.grad!.item();
  const seconds = since(t0);
  return { seconds, grad, value: y.item(), baseRssMB };
}

/** How the wasm backend runs here: thread count and kernel build (absent from builds that predate them). */
function wasmNote(tg: Tg): string {
  const threads = typeof tg.getNumThreads === "function" ? `, ${tg.getNumThreads()} thread(s)` : "";
  const build = typeof tg.wasmFeatures === "function" ? (tg.wasmFeatures().fma ? ", FMA (relaxed SIMD)" : ", SIMD without FMA") : "";
  return threads + build;
}

const query = process.argv[2];
if (query === "backends" || query === "features") {
  const lib = process.argv.find((a) => a.startsWith("lib="))?.slice(4);
  const tg = await loadTensorgrad(lib);
  const answer = query === "backends" ? tg.listBackends() : typeof tg.wasmFeatures === "function" ? tg.wasmFeatures() : null;
  process.stdout.write(`${JSON.stringify(answer)}\n`);
} else {
  await runWorker(async (args) => {
    const tg = await loadTensorgrad(args.options.lib);
    const backend = args.options.backend ?? "cpu";
    tg.setBackend(backend);
    const w = args.workload;
    let measured: Measured;
    if (isModelWorkload(w)) {
      const libs = await loadModelLibs(tg, args);
      prewarm(args.manifest[w].prewarmSeconds, () => MODEL_RUNS[w](libs, args));
      measured = MODEL_RUNS[w](libs, args);
    } else {
      measured = { w1, w2, w3, w4 }[w](tg, args);
    }
    const name = tg.getBackend().name;
    return { ...measured, note: `tensorgrad ${args.options.version ?? "?"} ${name}${name === "wasm" ? wasmNote(tg) : ""}` };
  });
}
