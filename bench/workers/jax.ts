/**
 * jax-js on one workload, in its own process, on its "wasm" device. Training steps are
 * `jit(valueAndGrad(...))` — jax-js's intended fast path; W4 is differentiated eagerly (tracing
 * 100k ops under jit overflows the stack just the same, from about 1000 ops). jax-js arrays are
 * reference-counted: every use but the last takes `.ref`. `peers=<bench/peers>`.
 */

import { readF32, readI32 } from "../lib/data.js";
import { peerImport, peerVersion, type Untyped } from "../lib/peers.js";
import { median, rssMB, runWorker, since, type WorkerArgs, type WorkloadResult } from "../lib/protocol.js";

type Measured = Omit<WorkloadResult, "workload" | "peakRssMB">;

async function w1(jax: Untyped, { manifest: m, dataDir }: WorkerArgs): Promise<Measured> {
  const { numpy: np } = jax;
  const { n } = m.w1;
  const a = np.array(readF32(dataDir, m.w1.a)).reshape([n, n]);
  const b = np.array(readF32(dataDir, m.w1.b)).reshape([n, n]);
  await jax.blockUntilReady([a, b]);
  const baseRssMB = rssMB();
  for (let i = 0; i < m.w1.warmup; i++) (await np.matmul(a.ref, b.ref).blockUntilReady()).dispose();
  const times: number[] = [];
  let c: Untyped = null;
  for (let i = 0; i < m.w1.reps; i++) {
    c?.dispose();
    const t0 = performance.now();
    c = await np.matmul(a.ref, b.ref).blockUntilReady();
    times.push(since(t0));
  }
  const values = c.dataSync() as Float32Array;
  const seconds = median(times);
  return { seconds, gflops: (2 * n ** 3) / seconds / 1e9, probes: m.w1.probes.map(([i, j]) => values[i * n + j]), baseRssMB };
}

/** One jitted SGD step: (params, ...batch) → [loss, new params]. */
function sgdStep(jax: Untyped, lossFn: (p: Untyped, ...batch: Untyped[]) => Untyped, lr: number): Untyped {
  return jax.jit((p: Untyped, ...batch: Untyped[]) => {
    const [loss, g] = jax.valueAndGrad(lossFn)(jax.tree.ref(p), ...batch);
    return [loss, jax.tree.map((pi: Untyped, gi: Untyped) => pi.sub(gi.mul(lr)), p, g)];
  });
}

async function w2(jax: Untyped, { manifest: m, dataDir }: WorkerArgs): Promise<Measured> {
  const { numpy: np, nn } = jax;
  const s = m.w2;
  const [inF, hid, outF] = s.sizes;
  const xAll = readF32(dataDir, s.x);
  const yAll = readI32(dataDir, s.y);
  const xs: Untyped[] = [];
  const ys: Untyped[] = [];
  for (let i = 0; i < s.nBatches; i++) {
    xs.push(np.array(xAll.subarray(i * s.batch * inF, (i + 1) * s.batch * inF)).reshape([s.batch, inF]));
    const oneHot = new Float32Array(s.batch * outF);
    for (let r = 0; r < s.batch; r++) oneHot[r * outF + yAll[i * s.batch + r]] = 1;
    ys.push(np.array(oneHot).reshape([s.batch, outF]));
  }
  let p: Untyped = {
    w1: np.array(readF32(dataDir, s.w1)).reshape([hid, inF]),
    b1: np.array(readF32(dataDir, s.b1)),
    w2: np.array(readF32(dataDir, s.w2)).reshape([outF, hid]),
    b2: np.array(readF32(dataDir, s.b2)),
  };
  await jax.blockUntilReady([xs, ys, p]);
  const baseRssMB = rssMB();

  // loss = −mean_i Σ_c onehot[i,c]·logSoftmax(logits)[i,c], the same number as gathering log p[y].
  const lossFn = (q: Untyped, x: Untyped, y: Untyped): Untyped => {
    const h = nn.relu(np.matmul(x, q.w1.transpose()).add(q.b1));
    const logits = np.matmul(h, q.w2.transpose()).add(q.b2);
    return np.mean(np.sum(nn.logSoftmax(logits, -1).mul(y), -1)).neg();
  };
  const step = sgdStep(jax, lossFn, s.lr);

  const times: number[] = [];
  let firstLoss = NaN;
  let loss: Untyped = null;
  for (let i = 0; i < s.warmup + s.timed; i++) {
    loss?.dispose();
    const t0 = performance.now();
    [loss, p] = step(p, xs[i % s.nBatches].ref, ys[i % s.nBatches].ref);
    await jax.blockUntilReady([loss, p]);
    if (i >= s.warmup) times.push(since(t0));
    if (i === 0) firstLoss = loss.ref.dataSync()[0];
  }
  return { seconds: median(times), firstLoss, loss: loss.dataSync()[0], baseRssMB };
}

async function w3(jax: Untyped, { manifest: m, dataDir }: WorkerArgs): Promise<Measured> {
  const { numpy: np, nn } = jax;
  const s = m.w3;
  const arr = (ref: typeof s.x) => np.array(readF32(dataDir, ref)).reshape([...ref.shape]);
  const x = arr(s.x);
  const y = arr(s.y);
  let p: Untyped = { w1: arr(s.w1), b1: arr(s.b1), w2: arr(s.w2), b2: arr(s.b2) };
  await jax.blockUntilReady([x, y, p]);
  const baseRssMB = rssMB();
  const lossFn = (q: Untyped, xb: Untyped, yb: Untyped): Untyped => {
    const out = np.matmul(nn.sigmoid(np.matmul(xb, q.w1.transpose()).add(q.b1)), q.w2.transpose()).add(q.b2);
    return np.mean(np.square(out.sub(yb))).mul(0.5);
  };
  const step = sgdStep(jax, lossFn, s.lr);
  const t0 = performance.now();
  let loss: Untyped = null;
  for (let i = 0; i < s.steps; i++) {
    loss?.dispose();
    [loss, p] = step(p, x.ref, y.ref);
    // jax-js dispatches lazily; wait now and then so the queue of pending steps stays short.
    if (i % 100 === 99) await jax.blockUntilReady(p);
  }
  const value = loss.dataSync()[0];
  return { seconds: since(t0), loss: value, baseRssMB };
}

async function w4(jax: Untyped, { manifest: m }: WorkerArgs): Promise<Measured> {
  const { numpy: np } = jax;
  const s = m.w4;
  const y0 = np.array(new Float32Array([s.y0]));
  await y0.blockUntilReady();
  const baseRssMB = rssMB();
  const chain = (y: Untyped): Untyped => {
    for (let i = 0; i < s.n; i++) y = y.mul(s.a).add(s.b);
    return y.sum();
  };
  const t0 = performance.now();
  const [value, grad] = jax.valueAndGrad(chain)(y0);
  const g = grad.dataSync()[0];
  const seconds = since(t0);
  return { seconds, grad: g, value: value.dataSync()[0], baseRssMB };
}

await runWorker(async (args) => {
  const peers = args.options.peers;
  if (!peers) throw new Error("jax worker: missing peers=<bench/peers>");
  const jax = await peerImport(peers, "@jax-js/jax");
  const device = args.options.device ?? "wasm";
  const available: string[] = await jax.init(device);
  if (!available.includes(device)) throw new Error(`jax worker: device "${device}" unavailable (got ${available.join(", ") || "none"})`);
  jax.defaultDevice(device);
  const w = args.workload;
  if (w !== "w1" && w !== "w2" && w !== "w3" && w !== "w4") throw new Error(`jax worker: ${w} is not implemented for jax-js`);
  const result = await { w1, w2, w3, w4 }[w](jax, args);
  const how = args.workload === "w1" ? "eager" : args.workload === "w4" ? "eager valueAndGrad" : "jit";
  // jax-js uses a Wasm worker pool only where a global Worker exists (browsers); Node has none.
  const threads = typeof (globalThis as { Worker?: unknown }).Worker === "undefined" ? "1 thread" : "worker pool";
  return { ...result, note: `jax-js ${peerVersion(peers, "@jax-js/jax")} ${device}, ${how}, ${threads}` };
});
