/**
 * GELU's cpu kernels (ops/gelu.ts is the op; assembly/gelu.ts the wasm ones): evaluated in
 * float64 and rounded once to the dtype on store, the oracle of the wasm parity tests.
 */

import type { GeluApproximate } from "../backend.js";
import type { CpuBuffer } from "./cpu-backend.js";
import { erfc } from "./scalar-math.js";

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const TANH_C = 0.044715;

/**
 * Φ(x) = ½·erfc(−x/√2), the standard normal CDF, with no cancellation in its lower tail (where
 * ½(1 + erf(x/√2)) would lose every digit).
 */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * Math.SQRT1_2);
}

/** Backend.gelu on host arrays. */
export function cpuGelu(x: CpuBuffer, approximate: GeluApproximate, out: CpuBuffer): void {
  const xd = x.data;
  const o = out.data;
  const n = o.length;
  if (approximate === "tanh") {
    for (let i = 0; i < n; i++) {
      const v = xd[i];
      o[i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + TANH_C * v * v * v)));
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = xd[i];
      o[i] = v * normalCdf(v);
    }
  }
}

/**
 * Backend.geluBackward on host arrays: g·gelu′(x) with gelu′(x) = Φ(x) + x·φ(x) (φ the normal
 * density), or for the tanh form, with t = tanh(u), u = √(2/π)(x + 0.044715x³):
 * ½(1 + t) + ½x·(1 − t²)·√(2/π)(1 + 3·0.044715x²).
 */
export function cpuGeluBackward(g: CpuBuffer, x: CpuBuffer, approximate: GeluApproximate, out: CpuBuffer): void {
  const gd = g.data;
  const xd = x.data;
  const o = out.data;
  const n = o.length;
  if (approximate === "tanh") {
    for (let i = 0; i < n; i++) {
      const v = xd[i];
      const t = Math.tanh(SQRT_2_OVER_PI * (v + TANH_C * v * v * v));
      const du = SQRT_2_OVER_PI * (1 + 3 * TANH_C * v * v);
      o[i] = gd[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = xd[i];
      o[i] = gd[i] * (normalCdf(v) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v));
    }
  }
}
