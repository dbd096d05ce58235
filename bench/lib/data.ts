/**
 * The benchmark workloads' data and initial weights, generated deterministically in JS (our own
 * seeded generator, independent of every library under test) and written to a folder as raw
 * little-endian float32/int32 files plus a manifest.json, so that every library — numpy included —
 * starts from the same bytes.
 */

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Bumped whenever the data or a workload's definition changes. */
export const DATA_VERSION = 1;

/** splitmix32: tiny, seedable, good enough for benchmark data. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** A uniform float in [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * (this.nextUint32() / 4294967296);
  }

  /** A uniform integer in [low, high). */
  integer(low: number, high: number): number {
    return low + Math.floor((this.nextUint32() / 4294967296) * (high - low));
  }
}

/** One array in the data folder: a file of raw little-endian values and its shape. */
export interface ArrayRef {
  readonly file: string;
  readonly dtype: "float32" | "int32";
  readonly shape: readonly number[];
}

/** W1: float32 matmul n×n @ n×n; `probes` are [i, j, C[i][j] in float64] to check the product. */
export interface W1Spec {
  readonly n: number;
  readonly a: ArrayRef;
  readonly b: ArrayRef;
  readonly warmup: number;
  readonly reps: number;
  readonly probes: readonly (readonly [number, number, number])[];
}

/**
 * W2: MLP sizes[0]-sizes[1]-sizes[2], ReLU, softmax cross-entropy (mean over the batch), plain SGD.
 * Step s (0-based) uses batch s % nBatches; steps = warmup + timed; `loss` is recorded at the last
 * step (its forward pass, before its update). Weights are [out, in] (PyTorch layout).
 */
export interface W2Spec {
  readonly sizes: readonly [number, number, number];
  readonly batch: number;
  readonly nBatches: number;
  readonly x: ArrayRef; // [nBatches, batch, 784]
  readonly y: ArrayRef; // [nBatches, batch] int32 class indices
  readonly w1: ArrayRef;
  readonly b1: ArrayRef;
  readonly w2: ArrayRef;
  readonly b2: ArrayRef;
  readonly lr: number;
  readonly warmup: number;
  readonly timed: number;
}

/**
 * W3: the sine fit, 1-hidden-1 with sigmoid hidden and linear output, full batch, loss
 * mean((out − y)²)/2, `steps` steps of gradient descent; `loss` is recorded at the last step.
 */
export interface W3Spec {
  readonly hidden: number;
  readonly x: ArrayRef; // [points, 1]
  readonly y: ArrayRef; // [points, 1]
  readonly w1: ArrayRef; // [hidden, 1]
  readonly b1: ArrayRef; // [hidden]
  readonly w2: ArrayRef; // [1, hidden]
  readonly b2: ArrayRef; // [1]
  readonly lr: number;
  readonly steps: number;
}

/** W4: y ← y·a + b chained `n` times from a 1-element y0, then dy/dy0 by backward. */
export interface W4Spec {
  readonly n: number;
  readonly a: number;
  readonly b: number;
  readonly y0: number;
}

/** Everything a worker needs, read from `<dir>/manifest.json`. */
export interface Manifest {
  readonly version: number;
  readonly seed: number;
  readonly w1: W1Spec;
  readonly w2: W2Spec;
  readonly w3: W3Spec;
  readonly w4: W4Spec;
}

/** Knobs of a run: repetition counts only; the data and the trained steps never change. */
export interface DataOptions {
  /** Timed repetitions of the W1 matmul (median reported). */
  readonly w1Reps: number;
}

const SEED = 20240601;
/** W3's initial weights' own seed (see writeData). */
const W3_INIT_SEED = 34;

/** Generates every workload's data into `dir` and returns the manifest (also written there). */
export function writeData(dir: string, options: DataOptions): Manifest {
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(SEED);
  const put = (file: string, values: Float32Array | Int32Array, shape: readonly number[]): ArrayRef => {
    writeFileSync(join(dir, file), new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    return { file, dtype: values instanceof Int32Array ? "int32" : "float32", shape };
  };
  const uniform = (length: number, low: number, high: number): Float32Array =>
    Float32Array.from({ length }, () => rng.uniform(low, high));

  // W1: entries uniform in [-1, 1); probes checked in float64 against the float32 inputs.
  const n = 1024;
  const a = uniform(n * n, -1, 1);
  const b = uniform(n * n, -1, 1);
  const probes: [number, number, number][] = [];
  for (let p = 0; p < 16; p++) {
    const i = rng.integer(0, n);
    const j = rng.integer(0, n);
    let s = 0;
    for (let k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j];
    probes.push([i, j, s]);
  }
  const w1: W1Spec = { n, a: put("w1_a.f32", a, [n, n]), b: put("w1_b.f32", b, [n, n]), warmup: 1, reps: options.w1Reps, probes };

  // W2: MNIST-shaped inputs in [0, 1), PyTorch's default Linear init U(-1/√in, 1/√in).
  const [inF, hid, outF] = [784, 128, 10] as const;
  const batch = 64;
  const nBatches = 8;
  const k1 = 1 / Math.sqrt(inF);
  const k2 = 1 / Math.sqrt(hid);
  const w2: W2Spec = {
    sizes: [inF, hid, outF],
    batch,
    nBatches,
    x: put("w2_x.f32", uniform(nBatches * batch * inF, 0, 1), [nBatches, batch, inF]),
    y: put("w2_y.i32", Int32Array.from({ length: nBatches * batch }, () => rng.integer(0, outF)), [nBatches, batch]),
    w1: put("w2_w1.f32", uniform(hid * inF, -k1, k1), [hid, inF]),
    b1: put("w2_b1.f32", uniform(hid, -k1, k1), [hid]),
    w2: put("w2_w2.f32", uniform(outF * hid, -k2, k2), [outF, hid]),
    b2: put("w2_b2.f32", uniform(outF, -k2, k2), [outF]),
    lr: 0.1,
    warmup: 10,
    timed: 50,
  };

  // W3: x = i/100 (100 points in [0, 1)), y = 20·sin(2πx); Linear(1, 25) and Linear(25, 1) init.
  // At lr 0.3 this recipe oscillates across the valley (the loss rises on about half of the steps),
  // which amplifies rounding differences: from most initial weights, float32 and float64 runs end
  // several percent apart, and so would two correct float32 libraries. The weights come from their
  // own seed, picked (of 60 scanned with NumPy) because float32, float64 and float64 runs from
  // weights perturbed by 1e-6 end within 2e-5 of each other — so a loss check can mean something.
  const points = 100;
  const hidden = 25;
  const k3 = 1 / Math.sqrt(hidden);
  const w3Rng = new Rng(W3_INIT_SEED);
  const w3Uniform = (length: number, low: number, high: number): Float32Array =>
    Float32Array.from({ length }, () => w3Rng.uniform(low, high));
  const w3: W3Spec = {
    hidden,
    x: put("w3_x.f32", Float32Array.from({ length: points }, (_, i) => i / points), [points, 1]),
    y: put("w3_y.f32", Float32Array.from({ length: points }, (_, i) => 20 * Math.sin((2 * Math.PI * i) / points)), [points, 1]),
    w1: put("w3_w1.f32", w3Uniform(hidden, -1, 1), [hidden, 1]),
    b1: put("w3_b1.f32", w3Uniform(hidden, -1, 1), [hidden]),
    w2: put("w3_w2.f32", w3Uniform(hidden, -k3, k3), [1, hidden]),
    b2: put("w3_b2.f32", w3Uniform(1, -k3, k3), [1]),
    lr: 0.3,
    steps: 4000,
  };

  const w4: W4Spec = { n: 100_000, a: 1.0001, b: 0.0001, y0: 1 };

  const manifest: Manifest = { version: DATA_VERSION, seed: SEED, w1, w2, w3, w4 };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest, null, 1));
  return manifest;
}

/** Reads `<dir>/manifest.json`. */
export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
}

/** Reads one array of the data folder (an aligned copy). */
export function readArray(dir: string, ref: ArrayRef): Float32Array | Int32Array {
  const bytes = new Uint8Array(readFileSync(join(dir, ref.file)));
  return ref.dtype === "int32" ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer);
}

/** Reads a float32 array of the data folder. */
export function readF32(dir: string, ref: ArrayRef): Float32Array {
  const values = readArray(dir, ref);
  if (!(values instanceof Float32Array)) throw new Error(`bench data: ${ref.file} is not float32`);
  return values;
}

/** Reads an int32 array of the data folder. */
export function readI32(dir: string, ref: ArrayRef): Int32Array {
  const values = readArray(dir, ref);
  if (!(values instanceof Int32Array)) throw new Error(`bench data: ${ref.file} is not int32`);
  return values;
}

/**
 * W4's exact answer for a float32 chain: with a = fround(1.0001), dy_n/dy0 = aⁿ. A float32 chain
 * accumulates rounding, so checks allow a relative 1e-3.
 */
export function w4ExpectedGrad(spec: W4Spec): number {
  return Math.fround(spec.a) ** spec.n;
}
