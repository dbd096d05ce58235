/**
 * Parity of the wasm dropout kernel (backend/wasm/dropout.ts, assembly/dropout.ts) with the cpu
 * oracle (cpu/dropout-kernels.ts): identical bits, float32 and float64, lengths that leave a
 * partial vector, NaN, ±∞ and −0 in x, noise on and around the threshold.
 */

import { describe, expect, it } from "vitest";
import { createCpuBackend, wasmSimdSupported } from "@tensorgrad/autograd";
import { wasmDropout } from "../../packages/autograd/src/backend/wasm/dropout.js";

const cpu = createCpuBackend();

describe.skipIf(!wasmSimdSupported())("wasm dropout matches the cpu kernel bit for bit", () => {
  for (const dtype of ["float32", "float64"] as const) {
    for (const n of [1, 3, 4, 7, 33, 1001]) {
      it(`${dtype}, ${n} elements`, () => {
        const round = dtype === "float32" ? Math.fround : (v: number): number => v;
        const threshold = round(1 - 0.3);
        const scale = round(1 / 0.7);
        const specials = [NaN, Infinity, -Infinity, -0, 0, -1.5];
        const xs = Array.from({ length: n }, (_, i) => (i % 7 === 3 ? specials[i % specials.length] : Math.sin(i * 1.7) * 3));
        // every fifth noise value sits exactly on the threshold (not kept), one just below it
        const us = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? threshold : i % 5 === 1 ? round(threshold - 2 ** -20) : (Math.cos(i * 0.37) + 1) / 2));
        const [x, u] = [cpu.fromValues(dtype, xs), cpu.fromValues(dtype, us)];
        const [got, want] = [cpu.alloc(dtype, n), cpu.alloc(dtype, n)];
        expect(wasmDropout(x, u, threshold, scale, got, 0)).toBe(true);
        cpu.dropout(x, u, threshold, scale, want);
        const [a, b] = [Array.from(got.data), Array.from(want.data)];
        expect(a.findIndex((v, i) => !Object.is(v, b[i]))).toBe(-1);
      });
    }
  }
});
