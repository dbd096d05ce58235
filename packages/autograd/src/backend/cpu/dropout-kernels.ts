/** The dropout kernel (ops/dropout.ts) in plain TypeScript: the oracle of the wasm one (wasm/dropout.ts). */

import type { CpuBuffer } from "./cpu-backend.js";

/**
 * out[i] = x[i]·(u[i] < threshold ? scale : 0) over whole buffers of one float dtype. Written to a
 * Float32Array, the float64 product of two float32 values rounds once: float32 multiplication.
 */
export function cpuDropout(x: CpuBuffer, u: CpuBuffer, threshold: number, scale: number, out: CpuBuffer): void {
  const xd = x.data;
  const ud = u.data;
  const od = out.data;
  for (let i = 0; i < od.length; i++) od[i] = xd[i] * (ud[i] < threshold ? scale : 0);
}
