/**
 * The wasm backend's transformer kernels (assembly/gelu.ts, math32.ts's erf) against the cpu
 * kernels, the oracle, through the Backend interface: float32 erf over 2^18 bit patterns spanning
 * every exponent, and gelu / geluBackward (both forms) over a dense grid of [−20, 20] (float64
 * runs the cpu kernels on both backends); float32 layerNorm and attention softmax with their
 * backward passes (assembly/layernorm.ts, attention.ts) at odd sizes, on one thread and split
 * across threads (float64 runs the cpu kernels there too).
 */

import { describe, expect, it } from "vitest";
import { createCpuBackend, createWasmBackend, setNumThreads, wasmSimdSupported, type GeluApproximate } from "@tensorgrad/autograd";
import { wasmGelu, wasmGeluBackward } from "../../packages/autograd/src/backend/wasm/gelu.js";
import type { CpuBuffer } from "../../packages/autograd/src/backend/cpu/cpu-backend.js";
import { wasmLayerNorm, wasmLayerNormBackward } from "../../packages/autograd/src/backend/wasm/layernorm.js";
import { wasmAttentionSoftmax, wasmAttentionSoftmaxBackward } from "../../packages/autograd/src/backend/wasm/attention.js";

const cpu = createCpuBackend();
const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
/** Float32 values as integers in value order (±0 both 0). */
function ordered(x: number): number {
  f32[0] = x;
  const b = i32[0];
  return b < 0 ? -(b & 0x7fffffff) : b;
}

/** Largest |got − want| over the grid in units of 2^-23·(|want| + 1): ulps of the result above 1, of 1 below. */
function worstScaled(got: ArrayLike<number>, want: ArrayLike<number>, x: ArrayLike<number>): { worst: number; at: number } {
  let worst = 0;
  let at = 0;
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(got[i]) && Number.isNaN(want[i])) continue;
    const d = got[i] === want[i] ? 0 : Math.abs(got[i] - want[i]) / (2 ** -23 * (Math.abs(want[i]) + 1));
    if (!(d <= worst)) [worst, at] = [d, x[i]];
  }
  return { worst, at };
}

describe.runIf(wasmSimdSupported())("wasm transformer kernels (float32) against the cpu's", () => {
  const wasm = createWasmBackend({ elementwiseMinSize: 0 });

  it("erf within 2 float32 ulps of the float64 erf rounded, over 2^18 bit patterns", () => {
    const n = 2 ** 18;
    const bits = new Uint32Array(n);
    for (let i = 0; i < n; i++) bits[i] = (i * 16384 + ((i * 2654435761) >>> 18)) >>> 0;
    const values = Array.from(new Float32Array(bits.buffer));
    const x = { buffer: cpu.fromValues("float32", values) as CpuBuffer, shape: [n], strides: [1], offset: 0 };
    const got = wasm.alloc("float32", n) as CpuBuffer;
    const want = cpu.alloc("float32", n) as CpuBuffer;
    wasm.unary("erf", x, got);
    cpu.unary("erf", x, want);
    let worst = 0;
    let at = 0;
    for (let i = 0; i < n; i++) {
      const [g, w] = [got.data[i], want.data[i]];
      const d = Number.isNaN(g) && Number.isNaN(w) ? 0 : Math.abs(ordered(g) - ordered(w));
      if (!(d <= worst)) [worst, at] = [d, i];
    }
    if (worst > 2) expect.fail(`erf(${values[at]}) = ${got.data[at]}, cpu says ${want.data[at]}: ${worst} ulps apart`);
  });

  // Measured: gelu 0.9 ("none") and 1.0 ("tanh"); g·gelu′ (g up to 2) 0.7 and 8.8 (the tanh form's
  // derivative sums terms that cancel where 1 + tanh(u) → 0, around x = −5).
  const BOUNDS: Record<GeluApproximate, { forward: number; backward: number }> = { none: { forward: 2, backward: 2 }, tanh: { forward: 2, backward: 12 } };
  it.each(["none", "tanh"] as const)("gelu and geluBackward (%s) over [−20, 20], NaN and ±Inf", (approximate) => {
    const n = 160_003;
    const xs = Array.from({ length: n }, (_, i) => -20 + (40 * i) / (n - 4));
    xs[n - 3] = NaN;
    xs[n - 2] = Infinity;
    xs[n - 1] = -Infinity;
    const x = cpu.fromValues("float32", xs) as CpuBuffer;
    const g = cpu.fromValues("float32", xs.map((_, i) => 1 + ((i * 7) % 13) / 13)) as CpuBuffer;
    const xv = x.data;
    for (const pass of ["forward", "backward"] as const) {
      const got = wasm.alloc("float32", n) as CpuBuffer;
      const want = cpu.alloc("float32", n) as CpuBuffer;
      if (pass === "forward") {
        wasm.gelu(x, approximate, got);
        cpu.gelu(x, approximate, want);
      } else {
        wasm.geluBackward(g, x, approximate, got);
        cpu.geluBackward(g, x, approximate, want);
      }
      const { worst, at } = worstScaled(got.data, want.data, xv);
      if (worst > BOUNDS[approximate][pass]) expect.fail(`gelu ${approximate} ${pass} at x = ${at}: ${worst} units of 2^-23·(|y| + 1) from the cpu's`);
    }
  });

  it.each(["none", "tanh"] as const)("gelu and geluBackward (%s) split across 2 and 3 threads equal one thread's, bit for bit (odd sizes)", (approximate) => {
    try {
      for (const n of [9, 1001, 4099]) {
        const x = cpu.fromValues("float32", values(n, 1)) as CpuBuffer;
        const g = cpu.fromValues("float32", values(n, 2)) as CpuBuffer;
        const one = [cpu.alloc("float32", n) as CpuBuffer, cpu.alloc("float32", n) as CpuBuffer];
        setNumThreads(1);
        expect(wasmGelu(x, approximate, one[0], 0)).toBe(true);
        expect(wasmGeluBackward(g, x, approximate, one[1], 0)).toBe(true);
        for (const threads of [2, 3]) {
          setNumThreads(threads);
          const split = [cpu.alloc("float32", n) as CpuBuffer, cpu.alloc("float32", n) as CpuBuffer];
          expect(wasmGelu(x, approximate, split[0], 0, 2)).toBe(true); // 2 elements per thread: every split
          expect(wasmGeluBackward(g, x, approximate, split[1], 0, 2)).toBe(true);
          expect(Array.from(split[0].data)).toEqual(Array.from(one[0].data));
          expect(Array.from(split[1].data)).toEqual(Array.from(one[1].data));
        }
      }
    } finally {
      setNumThreads(1);
    }
  });
});

type Float = "float32" | "float64";

/** Deterministic values in about [−3, 3] with a per-call phase. */
function values(n: number, phase: number): number[] {
  return Array.from({ length: n }, (_, i) => 3 * Math.sin(i * 1.7 + phase) + 0.5 * Math.cos(i * 0.31 * phase));
}

/** Fails unless got equals want within tol·(|want| + 1) everywhere (NaN where NaN). */
function expectClose(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(got[i]) && Number.isNaN(want[i])) continue;
    if (!(Math.abs(got[i] - want[i]) <= tol * (Math.abs(want[i]) + 1))) expect.fail(`${what}[${i}] = ${got[i]}, cpu says ${want[i]}`);
  }
}

/** Float32 results within 2 float32 ulps of (|y| + 1). */
const TOL = 2 * 2 ** -23;

describe.runIf(wasmSimdSupported())("wasm layerNorm and attention softmax against the cpu's", () => {
  const buf = (dtype: Float, v: number[]): CpuBuffer => cpu.fromValues(dtype, v) as CpuBuffer;
  const alloc = (dtype: Float, n: number): CpuBuffer => cpu.alloc(dtype, n) as CpuBuffer;

  // [rows, cols, affine]: odd widths exercise the scalar tails; perThread 64 splits the larger ones
  const LN_CASES: readonly [number, number, boolean][] = [[1, 1, true], [7, 5, true], [33, 32, false], [64, 129, true], [300, 3, true]];
  describe("float32", () => {
    const dtype = "float32";
    it.each(LN_CASES)("layerNorm forward and backward, %i rows × %i (affine %s), one thread and split", (rows, cols, affine) => {
      const n = rows * cols;
      const x = buf(dtype, values(n, 1));
      const w = affine ? buf(dtype, values(cols, 2)) : null;
      const b = affine ? buf(dtype, values(cols, 3)) : null;
      const g = buf(dtype, values(n, 4));
      const want = { out: alloc(dtype, n), mean: alloc(dtype, rows), rstd: alloc(dtype, rows), dx: alloc(dtype, n), dw: alloc(dtype, cols), db: alloc(dtype, cols) };
      cpu.layerNorm(x, w, b, rows, cols, 1e-5, want.out, want.mean, want.rstd);
      cpu.layerNormBackward(g, x, want.mean, want.rstd, w, rows, cols, want.dx, affine ? want.dw : null, affine ? want.db : null);
      for (const perThread of [2 ** 30, 64]) {
        const got = { out: alloc(dtype, n), mean: alloc(dtype, rows), rstd: alloc(dtype, rows), dx: alloc(dtype, n), dw: alloc(dtype, cols), db: alloc(dtype, cols) };
        expect(wasmLayerNorm(x, w, b, rows, cols, 1e-5, got.out, got.mean, got.rstd, 0, perThread)).toBe(true);
        // the backward from the cpu's statistics, so only the backward's own rounding is compared
        expect(wasmLayerNormBackward(g, x, want.mean, want.rstd, w, rows, cols, got.dx, affine ? got.dw : null, affine ? got.db : null, 0, perThread)).toBe(true);
        for (const key of ["out", "mean", "rstd", "dx", "dw", "db"] as const) expectClose(`${key} (perThread ${perThread})`, got[key].data, want[key].data, TOL);
      }
    });

    // [batch·heads, L, S, causal]: S = 1, odd S, fewer and more queries than keys
    const ATT_CASES: readonly [number, number, number, boolean][] = [
      [3, 7, 7, true], [3, 7, 7, false], [2, 5, 9, true], [1, 9, 3, true], [4, 32, 32, true], [2, 4, 1, false], [16, 17, 33, false],
    ];
    it.each(ATT_CASES)("attentionSoftmax forward and backward, %i × [%i, %i] (causal %s), one thread and split", (bh, L, S, causal) => {
      const rows = bh * L;
      const n = rows * S;
      const x = buf(dtype, values(n, 5).map((v) => 4 * v));
      const g = buf(dtype, values(n, 6));
      const want = { y: alloc(dtype, n), dx: alloc(dtype, n) };
      cpu.attentionSoftmax(x, rows, L, S, 0.35, causal, want.y);
      cpu.attentionSoftmaxBackward(g, want.y, rows, S, 0.35, want.dx);
      for (const perThread of [2 ** 30, 64]) {
        const got = { y: alloc(dtype, n), dx: alloc(dtype, n) };
        expect(wasmAttentionSoftmax(x, rows, L, S, 0.35, causal, got.y, 0, perThread)).toBe(true);
        expect(wasmAttentionSoftmaxBackward(g, want.y, rows, S, 0.35, got.dx, 0, perThread)).toBe(true);
        expectClose(`y (perThread ${perThread})`, got.y.data, want.y.data, TOL);
        expectClose(`dx (perThread ${perThread})`, got.dx.data, want.dx.data, TOL);
        // masked keys are exactly 0
        if (causal) for (let r = 0; r < rows; r++) for (let j = (r % L) + 1; j < S; j++) expect(got.y.data[r * S + j]).toBe(0);
      }
    });
  });

  it("float64 is left to the cpu kernels", () => {
    const x = buf("float64", values(12, 1));
    const out = alloc("float64", 12);
    expect(wasmLayerNorm(x, null, null, 3, 4, 1e-5, out, alloc("float64", 3), alloc("float64", 3), 0)).toBe(false);
    expect(wasmAttentionSoftmax(x, 3, 3, 4, 1, true, out, 0)).toBe(false);
  });

  it("attentionSoftmax propagates NaN and gives NaN for an all −∞ row, as the cpu's", () => {
    const x = buf("float32", [1, NaN, 2, 3, -Infinity, -Infinity, -Infinity, -Infinity]);
    const want = alloc("float32", 8);
    const got = alloc("float32", 8);
    cpu.attentionSoftmax(x, 2, 2, 4, 1, false, want);
    expect(wasmAttentionSoftmax(x, 2, 2, 4, 1, false, got, 0)).toBe(true);
    expectClose("y", got.data, want.data, 0);
    expect(Array.from(got.data).every(Number.isNaN)).toBe(true);
  });
});
