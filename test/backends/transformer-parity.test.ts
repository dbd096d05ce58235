/**
 * The wasm backend's transformer kernels (assembly/gelu.ts, math32.ts's erf) against the cpu
 * kernels, the oracle, through the Backend interface: float32 erf over 2^18 bit patterns spanning
 * every exponent, and gelu / geluBackward (both forms) over a dense grid of [−20, 20]. float64
 * runs the cpu kernels on both backends.
 */

import { describe, expect, it } from "vitest";
import { createCpuBackend, createWasmBackend, wasmSimdSupported, type GeluApproximate } from "@tensorgrad/autograd";
import type { CpuBuffer } from "../../packages/autograd/src/backend/cpu/cpu-backend.js";

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
});
