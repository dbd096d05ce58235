/**
 * TensorFlow.js on one workload, in its own process: `backend=cpu` (tfjs-backend-cpu, plain JS) or
 * `backend=wasm` (tfjs-backend-wasm, its .wasm binaries loaded from node_modules — no network).
 * `peers=<bench/peers>` says where the packages are installed, `tfjs=<bundle>` the bundle to load.
 */

import { readF32, readI32 } from "../lib/data.js";
import { createRequire } from "node:module";
import { peerFileDir, peerVersion, type Untyped } from "../lib/peers.js";
import { isModelWorkload, median, prewarm, rssMB, runWorker, since, type WorkerArgs, type WorkloadResult } from "../lib/protocol.js";
import { runModel } from "./tfjs-models.js";

type Measured = Omit<WorkloadResult, "workload" | "peakRssMB">;

/**
 * Loads the tfjs bundle (`tfjs=<path>`: tfjs-core with its gradients and chained ops, and both
 * backends; see bench/peers/tfjs-entry.js) and selects the backend.
 */
async function loadTf(peersDir: string, bundle: string, backend: string): Promise<{ tf: Untyped; note: string }> {
  const tf = createRequire(import.meta.url)(bundle);
  if (backend === "wasm") tf.setWasmPaths(`${peerFileDir(peersDir, "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm")}/`);
  else if (backend !== "cpu") throw new Error(`tfjs worker: unknown backend "${backend}"`);
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs worker: backend "${backend}" failed to initialize`);
  await tf.ready();
  let note = `tfjs ${peerVersion(peersDir, "@tensorflow/tfjs-core")} ${backend}`;
  if (backend === "wasm") {
    note += `, ${tf.getThreadsCount()} thread(s), SIMD ${(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) ? "on" : "off"}`;
  }
  return { tf, note };
}

/** Plain SGD on tf.Variables: v ← v − lr·g. */
function sgd(tf: Untyped, grads: Record<string, Untyped>, vars: Untyped[], lr: number): void {
  tf.tidy(() => {
    for (const v of vars) v.assign(v.sub(grads[v.name].mul(lr)));
  });
  tf.dispose(Object.values(grads));
}

function w1(tf: Untyped, { manifest: m, dataDir }: WorkerArgs): Measured {
  const { n } = m.w1;
  const a = tf.tensor2d(readF32(dataDir, m.w1.a), [n, n]);
  const b = tf.tensor2d(readF32(dataDir, m.w1.b), [n, n]);
  const baseRssMB = rssMB();
  // cpu and wasm compute synchronously when the op is called; dataSync() only copies the result.
  for (let i = 0; i < m.w1.warmup; i++) tf.matMul(a, b).dispose();
  const times: number[] = [];
  let c: Untyped = null;
  for (let i = 0; i < m.w1.reps; i++) {
    c?.dispose();
    const t0 = performance.now();
    c = tf.matMul(a, b);
    times.push(since(t0));
  }
  const values = c.dataSync() as Float32Array;
  const seconds = median(times);
  return { seconds, gflops: (2 * n ** 3) / seconds / 1e9, probes: m.w1.probes.map(([i, j]) => values[i * n + j]), baseRssMB };
}

function w2(tf: Untyped, { manifest: m, dataDir }: WorkerArgs): Measured {
  const s = m.w2;
  const [inF, hid, outF] = s.sizes;
  const xAll = readF32(dataDir, s.x);
  const yAll = readI32(dataDir, s.y);
  const xs: Untyped[] = [];
  const ys: Untyped[] = [];
  for (let i = 0; i < s.nBatches; i++) {
    xs.push(tf.tensor2d(xAll.subarray(i * s.batch * inF, (i + 1) * s.batch * inF), [s.batch, inF]));
    ys.push(tf.oneHot(tf.tensor1d(yAll.subarray(i * s.batch, (i + 1) * s.batch), "int32"), outF).toFloat());
  }
  const w1 = tf.variable(tf.tensor2d(readF32(dataDir, s.w1), [hid, inF]), true, "w1");
  const b1 = tf.variable(tf.tensor1d(readF32(dataDir, s.b1)), true, "b1");
  const w2 = tf.variable(tf.tensor2d(readF32(dataDir, s.w2), [outF, hid]), true, "w2");
  const b2 = tf.variable(tf.tensor1d(readF32(dataDir, s.b2)), true, "b2");
  const vars = [w1, b1, w2, b2];
  const baseRssMB = rssMB();

  // loss = −mean_i Σ_c onehot[i,c]·logSoftmax(logits)[i,c], the same number as gathering log p[y].
  const step = (i: number): Untyped => {
    const x = xs[i % s.nBatches];
    const y = ys[i % s.nBatches];
    const { value, grads } = tf.variableGrads(() => {
      const logits = tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1, false, true), b1)), w2, false, true), b2);
      return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), y), 1)));
    }, vars);
    sgd(tf, grads, vars, s.lr);
    return value;
  };

  const times: number[] = [];
  let firstLoss = NaN;
  let loss: Untyped = null;
  for (let i = 0; i < s.warmup + s.timed; i++) {
    loss?.dispose();
    const t0 = performance.now();
    loss = step(i);
    if (i >= s.warmup) times.push(since(t0));
    if (i === 0) firstLoss = loss.dataSync()[0];
  }
  return { seconds: median(times), firstLoss, loss: loss.dataSync()[0], baseRssMB };
}

function w3(tf: Untyped, { manifest: m, dataDir }: WorkerArgs): Measured {
  const s = m.w3;
  const x = tf.tensor2d(readF32(dataDir, s.x), s.x.shape);
  const y = tf.tensor2d(readF32(dataDir, s.y), s.y.shape);
  const vars = (["w1", "b1", "w2", "b2"] as const).map((k) => tf.variable(tf.tensor(readF32(dataDir, s[k]), s[k].shape), true, k));
  const [w1, b1, w2, b2] = vars;
  const baseRssMB = rssMB();
  const t0 = performance.now();
  let loss: Untyped = null;
  for (let i = 0; i < s.steps; i++) {
    loss?.dispose();
    const { value, grads } = tf.variableGrads(() => {
      const out = tf.add(tf.matMul(tf.sigmoid(tf.add(tf.matMul(x, w1, false, true), b1)), w2, false, true), b2);
      return tf.mul(tf.mean(tf.square(tf.sub(out, y))), 0.5);
    }, vars);
    sgd(tf, grads, vars, s.lr);
    loss = value;
  }
  const value = loss.dataSync()[0];
  return { seconds: since(t0), loss: value, baseRssMB };
}

function w4(tf: Untyped, { manifest: m }: WorkerArgs): Measured {
  const s = m.w4;
  const y0 = tf.tensor1d([s.y0]);
  const baseRssMB = rssMB();
  const t0 = performance.now();
  const { value, grad } = tf.valueAndGrad((y: Untyped) => {
    for (let i = 0; i < s.n; i++) y = y.mul(s.a).add(s.b);
    return y.sum();
  })(y0);
  const g = grad.dataSync()[0];
  const seconds = since(t0);
  return { seconds, grad: g, value: value.dataSync()[0], baseRssMB };
}

await runWorker(async (args) => {
  const { peers, tfjs } = args.options;
  if (!peers || !tfjs) throw new Error("tfjs worker: needs peers=<bench/peers> and tfjs=<bundle>");
  const { tf, note } = await loadTf(peers, tfjs, args.options.backend ?? "cpu");
  const w = args.workload;
  if (isModelWorkload(w)) {
    // Discarded pre-runs, each leaving nothing behind: its tensors (scope) and its named weights.
    prewarm(args.manifest[w].prewarmSeconds, () => {
      tf.engine().startScope();
      try {
        runModel(tf, w, args);
      } finally {
        tf.engine().endScope();
        tf.disposeVariables();
      }
    });
    return { ...runModel(tf, w, args), note };
  }
  return { ...{ w1, w2, w3, w4 }[w](tf, args), note };
});
