/**
 * The model workloads W5–W9 on TensorFlow.js, written with tfjs-core ops and tf.variableGrads (the
 * bundle has no tfjs-layers): the same programs as bench/torch_ref.py, from the same safetensors
 * weights. Optimizers (SGD, Adadelta, Adam, AdamW) and clip_grad_norm are written here with
 * PyTorch's formulas (tf.train's Adam differs in its default epsilon and has no AdamW).
 *
 * TF.js layouts: images are NHWC (tfjs's conv2d has no NCHW on its cpu and wasm backends), so
 * conv weights are transposed to [kh, kw, in, out] and fc1's columns permuted from PyTorch's
 * (c, h, w) flattening to (h, w, c) once, at load — an equivalent parametrization (every optimizer
 * here is elementwise), so the losses are the same numbers. Linear weights stay [out, in]
 * (matMul(x, w, false, true)), as in W2.
 *
 * tfjs-backend-wasm 4.22 lacks Conv2DBackpropFilter (conv2d's weight gradient): W5 is reported as
 * not supported there. Gathers get their gradient from tf.scatterND (see makeGather).
 */

import { join } from "node:path";
import { readF32, readI32, type ModelSpec } from "../lib/data.js";
import type { Untyped } from "../lib/peers.js";
import { median, rssMB, since, Unsupported, type ModelWorkloadId, type WorkerArgs, type WorkloadResult } from "../lib/protocol.js";
import { readSafetensors } from "../lib/safetensors.js";

type Measured = Omit<WorkloadResult, "workload" | "peakRssMB">;
type Vars = Record<string, Untyped>;

/** Everything a model workload needs from the tfjs worker. */
interface Ctx {
  readonly tf: Untyped;
  /** Gathers rows of `table` ([V, ...] or [V]) at int32 `indices` [N] with a gradient for `table`. */
  readonly gather: (table: Untyped, indices: Untyped) => Untyped;
}

/** The initial weights as tf.Variables named by their PyTorch names (after `transform`). */
function loadVars(tf: Untyped, dataDir: string, spec: ModelSpec, transform: (name: string, shape: readonly number[], data: Float32Array) => Untyped = (_n, shape, data) => tf.tensor(data, shape)): Vars {
  const out: Vars = {};
  for (const [name, t] of Object.entries(readSafetensors(join(dataDir, spec.weights)))) out[name] = tf.variable(transform(name, t.shape, t.data), true, name);
  return out;
}

/** Batch i of a [nBatches, ...shape] array. */
function batches(tf: Untyped, values: Float32Array | Int32Array, spec: ModelSpec, shape: readonly number[]): Untyped[] {
  const size = shape.reduce((a, b) => a * b, 1);
  const dtype = values instanceof Int32Array ? "int32" : "float32";
  return Array.from({ length: spec.nBatches }, (_, i) => tf.tensor(values.subarray(i * size, (i + 1) * size), shape, dtype));
}

/** warmup + timed steps; `step` returns the loss (a scalar tensor); the previous one is disposed. */
function trainLoop(spec: ModelSpec, step: (i: number) => Untyped): Measured {
  const baseRssMB = rssMB();
  const times: number[] = [];
  let firstLoss = NaN;
  let loss: Untyped = null;
  for (let i = 0; i < spec.warmup + spec.timed; i++) {
    loss?.dispose();
    const t0 = performance.now();
    loss = step(i); // cpu and wasm compute synchronously when an op is called
    if (i >= spec.warmup) times.push(since(t0));
    if (i === 0) firstLoss = loss.dataSync()[0];
  }
  return { seconds: median(times), firstLoss, loss: loss.dataSync()[0], baseRssMB };
}

/** One training step: value and gradients of `lossFn` over `vars`, then `update(grads)`; returns the loss. */
function trainStep(tf: Untyped, vars: Vars, lossFn: () => Untyped, update: (grads: Vars) => void): Untyped {
  const { value, grads } = tf.variableGrads(lossFn, Object.values(vars));
  tf.tidy(() => update(grads));
  tf.dispose(Object.values(grads));
  return value;
}

/** PyTorch's clip_grad_norm_: g ← g·min(1, maxNorm / (‖g‖₂ + 1e-6)), ‖g‖ over all gradients together. */
function clipGradNorm(tf: Untyped, grads: Vars, maxNorm: number): Vars {
  const total = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
  const coef = tf.minimum(tf.div(maxNorm, tf.add(total, 1e-6)), 1);
  return Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, coef)]));
}

/** Plain SGD: p ← p − lr·g. */
function sgd(tf: Untyped, vars: Vars, lr: number): (grads: Vars) => void {
  return (grads) => {
    for (const [k, v] of Object.entries(vars)) v.assign(tf.sub(v, tf.mul(grads[k], lr)));
  };
}

/** Zero-initialized optimizer state, one non-trainable variable per parameter. */
function zerosLike(tf: Untyped, vars: Vars): Vars {
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, tf.variable(tf.zerosLike(v), false)]));
}

/** torch.optim.Adadelta: v ← ρv + (1−ρ)g²; Δ = √(u + ε)/√(v + ε)·g; u ← ρu + (1−ρ)Δ²; p ← p − lr·Δ. */
function adadelta(tf: Untyped, vars: Vars, lr: number, rho: number, eps: number): (grads: Vars) => void {
  const sq = zerosLike(tf, vars);
  const acc = zerosLike(tf, vars);
  return (grads) => {
    for (const [k, p] of Object.entries(vars)) {
      const g = grads[k];
      sq[k].assign(tf.add(tf.mul(sq[k], rho), tf.mul(tf.square(g), 1 - rho)));
      const delta = tf.mul(tf.div(tf.sqrt(tf.add(acc[k], eps)), tf.sqrt(tf.add(sq[k], eps))), g);
      acc[k].assign(tf.add(tf.mul(acc[k], rho), tf.mul(tf.square(delta), 1 - rho)));
      p.assign(tf.sub(p, tf.mul(delta, lr)));
    }
  };
}

/**
 * torch.optim.Adam / AdamW (weightDecay > 0: decoupled, p ← p·(1 − lr·wd) first):
 * m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε).
 */
function adam(tf: Untyped, vars: Vars, lr: number, [b1, b2]: readonly [number, number], eps: number, weightDecay = 0): (grads: Vars) => void {
  const m = zerosLike(tf, vars);
  const v = zerosLike(tf, vars);
  let t = 0;
  return (grads) => {
    t += 1;
    const stepSize = lr / (1 - b1 ** t);
    const bc2Sqrt = Math.sqrt(1 - b2 ** t);
    for (const [k, p] of Object.entries(vars)) {
      const g = grads[k];
      m[k].assign(tf.add(tf.mul(m[k], b1), tf.mul(g, 1 - b1)));
      v[k].assign(tf.add(tf.mul(v[k], b2), tf.mul(tf.square(g), 1 - b2)));
      const decayed = weightDecay ? tf.mul(p, 1 - lr * weightDecay) : p;
      const denom = tf.add(tf.div(tf.sqrt(v[k]), bc2Sqrt), eps);
      p.assign(tf.sub(decayed, tf.mul(tf.div(m[k], denom), stepSize)));
    }
  };
}

/** x [N, in] @ weight [out, in]ᵀ + bias: a Linear with PyTorch's weight layout. */
function linear(tf: Untyped, x: Untyped, w: Untyped, b?: Untyped): Untyped {
  const y = tf.matMul(x, w, false, true);
  return b ? tf.add(y, b) : y;
}

/** −mean log p[y] from log-probabilities [N, C] and int32 targets [N], with the context's gather. */
function nll(ctx: Ctx, logp: Untyped, targets: Untyped): Untyped {
  const { tf } = ctx;
  const [n, c] = logp.shape;
  const flat = tf.add(tf.range(0, n * c, c, "int32"), targets); // row·C + y, int32
  return tf.neg(tf.mean(ctx.gather(tf.reshape(logp, [n * c]), flat)));
}

function w5(ctx: Ctx, { manifest: m, dataDir }: WorkerArgs): Measured {
  const { tf } = ctx;
  if (!tf.getKernel("Conv2DBackpropFilter", tf.getBackend())) {
    throw new Unsupported(`not supported: tfjs-backend-${tf.getBackend()} has no Conv2DBackpropFilter kernel (conv2d's weight gradient)`);
  }
  const s = m.w5;
  const vars = loadVars(tf, dataDir, s, (name, shape, data) => {
    const t = tf.tensor(data, shape);
    if (name.startsWith("conv") && name.endsWith(".weight")) return tf.transpose(t, [2, 3, 1, 0]); // [out,in,kh,kw] → [kh,kw,in,out]
    if (name === "fc1.weight") return tf.reshape(tf.transpose(tf.reshape(t, [128, 64, 12, 12]), [0, 2, 3, 1]), [128, 9216]); // (c,h,w) → (h,w,c)
    return t;
  });
  const xs = batches(tf, readF32(dataDir, s.x), s, [s.batch, 28, 28, 1]); // [B,1,28,28] and [B,28,28,1] are the same bytes
  const ys = batches(tf, readI32(dataDir, s.y), s, [s.batch]);
  const update = adadelta(tf, vars, s.lr, s.rho, s.eps);
  return trainLoop(s, (i) =>
    trainStep(tf, vars, () => {
      let h = tf.relu(tf.add(tf.conv2d(xs[i % s.nBatches], vars["conv1.weight"], 1, "valid"), vars["conv1.bias"]));
      h = tf.relu(tf.add(tf.conv2d(h, vars["conv2.weight"], 1, "valid"), vars["conv2.bias"]));
      h = tf.reshape(tf.maxPool(h, 2, 2, "valid"), [s.batch, 9216]); // dropout p = 0
      h = tf.relu(linear(tf, h, vars["fc1.weight"], vars["fc1.bias"]));
      return nll(ctx, tf.logSoftmax(linear(tf, h, vars["fc2.weight"], vars["fc2.bias"])), ys[i % s.nBatches]);
    }, update),
  );
}

function w6(ctx: Ctx, { manifest: m, dataDir }: WorkerArgs): Measured {
  const { tf } = ctx;
  const s = m.w6;
  const vars = loadVars(tf, dataDir, s);
  const xs = batches(tf, readI32(dataDir, s.x), s, [s.batch * s.blockSize]);
  const ys = batches(tf, readI32(dataDir, s.y), s, [s.batch]);
  const update = sgd(tf, vars, s.lr);
  return trainLoop(s, (i) =>
    trainStep(tf, vars, () => {
      const emb = tf.reshape(ctx.gather(vars["wte.weight"], xs[i % s.nBatches]), [s.batch, s.blockSize * s.embDim]);
      const h = tf.tanh(linear(tf, emb, vars["mlp.0.weight"], vars["mlp.0.bias"]));
      return nll(ctx, tf.logSoftmax(linear(tf, h, vars["mlp.2.weight"], vars["mlp.2.bias"])), ys[i % s.nBatches]);
    }, update),
  );
}

function w7(ctx: Ctx, { manifest: m, dataDir }: WorkerArgs): Measured {
  const { tf } = ctx;
  const s = m.w7;
  const [B, T, C, H] = [s.batch, s.blockSize, s.nEmbd, s.nHead];
  const hd = C / H;
  const vars = loadVars(tf, dataDir, s);
  const xs = batches(tf, readI32(dataDir, s.x), s, [B * T]);
  const ys = batches(tf, readI32(dataDir, s.y), s, [B * T]);
  // Causal mask: 0 on and below the diagonal, −∞ above (PyTorch's masked_fill(−inf) before softmax).
  const maskValues = new Float32Array(T * T);
  for (let r = 0; r < T; r++) for (let c = r + 1; c < T; c++) maskValues[r * T + c] = -Infinity;
  const mask = tf.tensor(maskValues, [1, 1, T, T]);
  const layerNorm = (x: Untyped, p: string) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), vars[`${p}.weight`]), vars[`${p}.bias`]);
  };
  const gelu = (x: Untyped) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)); // exact GELU
  const update = adam(tf, vars, s.lr, s.betas, s.eps, s.weightDecay);
  return trainLoop(s, (i) =>
    trainStep(tf, vars, () => {
      let x = tf.add(ctx.gather(vars["transformer.wte.weight"], xs[i % s.nBatches]), tf.tile(vars["transformer.wpe.weight"], [B, 1])); // [B·T, C]
      for (let l = 0; l < s.nLayer; l++) {
        const p = `transformer.h.${l}`;
        const qkv = tf.split(linear(tf, layerNorm(x, `${p}.ln_1`), vars[`${p}.attn.c_attn.weight`], vars[`${p}.attn.c_attn.bias`]), 3, 1);
        const [q, k, v] = qkv.map((t: Untyped) => tf.transpose(tf.reshape(t, [B, T, H, hd]), [0, 2, 1, 3])); // [B, H, T, hd]
        const att = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)), mask));
        const y = tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [B * T, C]);
        x = tf.add(x, linear(tf, y, vars[`${p}.attn.c_proj.weight`], vars[`${p}.attn.c_proj.bias`]));
        const hid = gelu(linear(tf, layerNorm(x, `${p}.ln_2`), vars[`${p}.mlp.c_fc.weight`], vars[`${p}.mlp.c_fc.bias`]));
        x = tf.add(x, linear(tf, hid, vars[`${p}.mlp.c_proj.weight`], vars[`${p}.mlp.c_proj.bias`]));
      }
      const logits = linear(tf, layerNorm(x, "transformer.ln_f"), vars["lm_head.weight"]);
      return nll(ctx, tf.logSoftmax(logits), ys[i % s.nBatches]);
    }, (grads) => update(clipGradNorm(tf, grads, s.clip))),
  );
}

function w8(ctx: Ctx, { manifest: m, dataDir }: WorkerArgs): Measured {
  const { tf } = ctx;
  const s = m.w8;
  const [T, B, Hd] = [s.bptt, s.batch, s.hidden];
  const vars = loadVars(tf, dataDir, s);
  const xs = batches(tf, readI32(dataDir, s.x), s, [T * B]);
  const ys = batches(tf, readI32(dataDir, s.y), s, [T * B]);
  // The carried state: [h, c] per layer, constants to the next step's graph (repackage_hidden).
  let state: Untyped[][] = Array.from({ length: s.layers }, () => [tf.zeros([B, Hd]), tf.zeros([B, Hd])]);
  const update = sgd(tf, vars, s.lr);
  return trainLoop(s, (i) => {
    const next: Untyped[][] = [];
    const loss = trainStep(tf, vars, () => {
      let input = ctx.gather(vars["encoder.weight"], xs[i % s.nBatches]); // [T·B, emb], dropout p = 0
      for (let l = 0; l < s.layers; l++) {
        // PyTorch's LSTM: gates = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh, chunks i, f, g, o.
        const gx = tf.unstack(tf.reshape(linear(tf, input, vars[`rnn.weight_ih_l${l}`], tf.add(vars[`rnn.bias_ih_l${l}`], vars[`rnn.bias_hh_l${l}`])), [T, B, 4 * Hd]));
        let [h, c] = state[l];
        const outs: Untyped[] = [];
        for (let t = 0; t < T; t++) {
          const [gi, gf, gg, go] = tf.split(tf.add(gx[t], tf.matMul(h, vars[`rnn.weight_hh_l${l}`], false, true)), 4, 1);
          c = tf.add(tf.mul(tf.sigmoid(gf), c), tf.mul(tf.sigmoid(gi), tf.tanh(gg)));
          h = tf.mul(tf.sigmoid(go), tf.tanh(c));
          outs.push(h);
        }
        next.push([tf.keep(h), tf.keep(c)]);
        input = tf.stack(outs).reshape([T * B, Hd]);
      }
      const logp = tf.logSoftmax(linear(tf, input, vars["decoder.weight"], vars["decoder.bias"]));
      return nll(ctx, logp, ys[i % s.nBatches]);
    }, (grads) => update(clipGradNorm(tf, grads, s.clip)));
    tf.dispose(state.flat());
    state = next;
    return loss;
  });
}

function w9(ctx: Ctx, { manifest: m, dataDir }: WorkerArgs): Measured {
  const { tf } = ctx;
  const s = m.w9;
  const vars = loadVars(tf, dataDir, s);
  const xs = batches(tf, readF32(dataDir, s.x), s, [s.batch, s.pixels]);
  const noise = batches(tf, readF32(dataDir, s.noise), s, [s.batch, s.latent]);
  const update = adam(tf, vars, s.lr, s.betas, s.eps);
  const L = (x: Untyped, name: string) => linear(tf, x, vars[`${name}.weight`], vars[`${name}.bias`]);
  return trainLoop(s, (i) =>
    trainStep(tf, vars, () => {
      const x = xs[i % s.nBatches];
      const h1 = tf.relu(L(x, "fc1"));
      const mu = L(h1, "fc21");
      const logvar = L(h1, "fc22");
      const z = tf.add(mu, tf.mul(noise[i % s.nBatches], tf.exp(tf.mul(logvar, 0.5))));
      const recon = tf.sigmoid(L(tf.relu(L(z, "fc3")), "fc4"));
      // binary_cross_entropy(reduction="sum"), with PyTorch's clamp of each log at −100
      const logR = tf.maximum(tf.log(recon), -100);
      const log1mR = tf.maximum(tf.log(tf.sub(1, recon)), -100);
      const bce = tf.neg(tf.sum(tf.add(tf.mul(x, logR), tf.mul(tf.sub(1, x), log1mR))));
      const kld = tf.mul(tf.sum(tf.sub(tf.sub(tf.add(logvar, 1), tf.square(mu)), tf.exp(logvar))), -0.5);
      return tf.add(bce, kld);
    }, update),
  );
}

/**
 * The gather the models use (embeddings, and picking log p[y] for the nll): tf.gather with a custom
 * gradient that scatter-adds with tf.scatterND (which sums duplicate indices). tf.gather's own
 * gradient is UnsortedSegmentSum, which tfjs-backend-wasm 4.22 lacks and tfjs-backend-cpu
 * computes with one mask-multiply-sum pass per segment (O(rows of the table × indices): seconds
 * per step for W7's nll over 1024·65 log-probabilities, far longer for W8's 700·3985).
 */
function makeGather(tf: Untyped): Ctx["gather"] {
  const custom = tf.customGrad((table: Untyped, idx: Untyped, save: (ts: Untyped[]) => void) => {
    save([idx]);
    return {
      value: tf.gather(table, idx),
      gradFunc: (dy: Untyped, saved: Untyped[]) => [tf.scatterND(tf.expandDims(saved[0], 1), dy, table.shape), tf.zerosLike(saved[0])],
    };
  });
  return (table, idx) => custom(table, idx);
}

/** Runs model workload `w`. */
export function runModel(tf: Untyped, w: ModelWorkloadId, args: WorkerArgs): Measured {
  return { w5, w6, w7, w8, w9 }[w]({ tf, gather: makeGather(tf) }, args);
}
