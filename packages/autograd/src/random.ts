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
    if (!Number.isFinite(seed)) throw new ValueError(`manualSeed: seed must be a finite number, got ${seed}`);
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
