/**
 * Seeded pseudo-random numbers: xoshiro128** seeded through splitmix32. Like PyTorch, the default
 * generator starts from a fixed seed, so programs are reproducible unless reseeded.
 */

import { ValueError, fmtValue } from "./errors.js";

const DEFAULT_SEED = 67280421;

/** A reproducible stream of random numbers. */
export class Generator {
  /**
   * The 128-bit state as four uint32 words. A typed array, not four number fields: a uint32 above
   * 2^31 is not a small integer to V8, so every store to a field would allocate a heap number.
   */
  private readonly state = new Uint32Array(4);
  /** Box–Muller makes normals in pairs: the second waits here for the next call. */
  private hasSpareNormal = false;
  private spareNormal = 0.5;
  private seedValue = DEFAULT_SEED;

  constructor(seed: number = DEFAULT_SEED) {
    this.manualSeed(seed);
  }

  /** Restarts the stream from `seed` (any integer). */
  manualSeed(seed: number): this {
    if (!Number.isFinite(seed)) throw new ValueError(`manualSeed: seed must be a finite number, got ${fmtValue(seed)}`);
    this.seedValue = seed;
    // splitmix32 spreads the seed over the 128-bit state; both 32-bit halves of large seeds count.
    let x = (Math.trunc(seed) ^ Math.trunc(seed / 2 ** 32)) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    for (let i = 0; i < 4; i++) this.state[i] = next();
    this.hasSpareNormal = false;
    return this;
  }

  /** The seed this generator was last started from. */
  initialSeed(): number {
    return this.seedValue;
  }

  /** A uniform 32-bit unsigned integer (xoshiro128**). */
  nextUint32(): number {
    const st = this.state;
    const s0 = st[0];
    const s1 = st[1];
    const s2 = st[2] ^ s0;
    const s3 = st[3] ^ s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    st[0] = s0 ^ s3;
    st[1] = s1 ^ s2;
    st[2] = s2 ^ (s1 << 9);
    st[3] = rotl(s3, 11);
    return result;
  }

  /** A uniform float in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A standard normal sample (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.hasSpareNormal) {
      this.hasSpareNormal = false;
      return this.spareNormal;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    this.hasSpareNormal = true;
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A uniform integer in [low, high). */
  integer(low: number, high: number): number {
    return low + Math.floor(this.uniform() * (high - low));
  }

  /** @internal A generator at this one's current state (drawing from it does not move this one). */
  fork(): Generator {
    const copy = new Generator(this.seedValue);
    copy.state.set(this.state);
    copy.hasSpareNormal = this.hasSpareNormal;
    copy.spareNormal = this.spareNormal;
    return copy;
  }
}

/** Permutations up to this size are shuffled in place (Fisher–Yates); larger ones bucket first. */
export const PERMUTATION_BUCKET_MIN = 1 << 22;

/**
 * A uniformly random permutation of 0..n−1. Up to PERMUTATION_BUCKET_MIN elements, Fisher–Yates in
 * place. Beyond that, Fisher–Yates would make one cache miss per element (minutes for 2^31), so
 * the elements are first scattered into 2^bucketBits buckets, each element to a uniformly random
 * one, and each bucket, now small enough for the cache, is shuffled by Fisher–Yates: the result
 * is again uniform (P. Sanders, "Random permutations on distributed, external and hierarchical
 * memory", 1998). The bucket draws are made twice from the same state — once to count, once to
 * place — so no per-element bucket array is needed.
 */
export function randomPermutation(g: Generator, n: number, bucketBits = bucketBitsFor(n)): Uint32Array {
  const values = new Uint32Array(n);
  if (bucketBits === 0) {
    for (let i = 0; i < n; i++) values[i] = i;
    shuffleRange(g, values, 0, n);
    return values;
  }
  const buckets = 2 ** bucketBits;
  const shift = 32 - bucketBits; // the top bits of a uniform uint32: exactly uniform over the buckets
  const ends = new Float64Array(buckets);
  const replay = g.fork();
  for (let i = 0; i < n; i++) ends[g.nextUint32() >>> shift]++;
  for (let b = 1; b < buckets; b++) ends[b] += ends[b - 1];
  const next = new Float64Array(buckets); // where bucket b's next element goes
  for (let b = 1; b < buckets; b++) next[b] = ends[b - 1];
  for (let i = 0; i < n; i++) values[next[replay.nextUint32() >>> shift]++] = i;
  for (let b = 0; b < buckets; b++) shuffleBucket(g, values, b === 0 ? 0 : ends[b - 1], ends[b]);
  return values;
}

/** Bucket bits for n elements: none up to PERMUTATION_BUCKET_MIN, else buckets of about 2^18 (1 MiB). */
function bucketBitsFor(n: number): number {
  return n <= PERMUTATION_BUCKET_MIN ? 0 : Math.min(16, Math.ceil(Math.log2(n / 2 ** 18)));
}

/** Fisher–Yates over values[start..end). */
function shuffleRange(g: Generator, values: Uint32Array, start: number, end: number): void {
  for (let i = end - 1; i > start; i--) {
    const j = start + g.integer(0, i - start + 1);
    const v = values[i]; // a plain swap: a destructuring one allocated two arrays per element
    values[i] = values[j];
    values[j] = v;
  }
}

/** Fisher–Yates over one bucket, drawing each index from one uint32 (below) while the bucket allows. */
function shuffleBucket(g: Generator, values: Uint32Array, start: number, end: number): void {
  if (end - start > 2 ** 21) return shuffleRange(g, values, start, end);
  for (let i = end - 1; i > start; i--) {
    const j = start + below(g, i - start + 1);
    const v = values[i];
    values[i] = values[j];
    values[j] = v;
  }
}

/**
 * A uniform integer in [0, s) for s ≤ 2^21 from one uint32 (usually): Lemire's multiply-and-reject
 * (2019), exact because x·s < 2^53 stays an exact double.
 */
function below(g: Generator, s: number): number {
  let m = g.nextUint32() * s;
  let low = m % 4294967296;
  if (low < s) {
    const threshold = (4294967296 - s) % s; // draws whose low part falls under it would bias the result
    while (low < threshold) {
      m = g.nextUint32() * s;
      low = m % 4294967296;
    }
  }
  return Math.floor(m / 4294967296);
}

/** 32-bit rotate left (the result as int32 bits; stores into the Uint32Array state wrap it). */
function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** n uniform samples from [low, high) (a plain loop: Float64Array.from with a callback is ~3x slower). */
export function uniformValues(g: Generator, n: number, low = 0, high = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = low + (high - low) * g.uniform();
  return out;
}

/** n normal samples of the given mean and std. */
export function normalValues(g: Generator, n: number, mean = 0, std = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = mean + std * g.normal();
  return out;
}

/** The generator used when none is passed. */
export const defaultGenerator = new Generator();

/** Reseeds the default generator, making later random draws reproducible. */
export function manualSeed(seed: number): Generator {
  return defaultGenerator.manualSeed(seed);
}

/** The generator to draw from: `value` when it is one, the default one when undefined; anything else is refused. */
export function generatorOf(op: string, value: unknown): Generator {
  if (value === undefined) return defaultGenerator;
  if (!(value instanceof Generator)) throw new ValueError(`${op}: generator must be a Generator, got ${fmtValue(value)}`);
  return value;
}
