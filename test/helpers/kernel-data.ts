/** Deterministic data for the kernel parity tests (test/backends/wasm-*.test.ts). */

/** Uniform values in [0, 1) from a seed (mulberry32): the same stream on every run and machine. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform values in [−scale, scale) from a seed (mulberry32). */
export function uniform(seed: number, scale = 1): () => number {
  const next = mulberry32(seed);
  return () => (next() * 2 - 1) * scale;
}

/** The row-major (C-contiguous) strides of `shape`. */
export function rowMajor(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  for (let i = shape.length - 1, acc = 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i];
  }
  return strides;
}

/** The number of elements of `shape`. */
export const numel = (shape: readonly number[]): number => shape.reduce((p, s) => p * s, 1);
