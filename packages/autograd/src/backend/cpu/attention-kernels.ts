/**
 * The attention softmax's cpu kernels (ops/attention-softmax.ts is the op; assembly/attention.ts
 * the wasm ones): scale, causal mask and softmax in one pass over each row, in float64.
 */

import type { CpuBuffer } from "./cpu-backend.js";

/**
 * Backend.attentionSoftmax on host arrays. Row r is query i = r mod L; under `causal` only keys
 * j ≤ i take part (the rest get exactly 0, as e^{−∞}), and the max is taken over those.
 */
export function cpuAttentionSoftmax(x: CpuBuffer, rows: number, L: number, S: number, scale: number, causal: boolean, out: CpuBuffer): void {
  const xd = x.data;
  const o = out.data;
  for (let r = 0, base = 0; r < rows; r++, base += S) {
    const len = causal ? Math.min(S, (r % L) + 1) : S; // keys [0, len) take part (len ≥ 1)
    let max = -Infinity;
    for (let j = 0; j < len; j++) {
      const v = xd[base + j] * scale;
      if (v > max || v !== v) max = v;
    }
    let sum = 0;
    for (let j = 0; j < len; j++) {
      const e = Math.exp(xd[base + j] * scale - max);
      o[base + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j < len; j++) o[base + j] *= inv;
    for (let j = len; j < S; j++) o[base + j] = 0;
  }
}

/** Backend.attentionSoftmaxBackward on host arrays: dx = scale·y·(g − Σ_row g·y). */
export function cpuAttentionSoftmaxBackward(g: CpuBuffer, y: CpuBuffer, rows: number, S: number, scale: number, out: CpuBuffer): void {
  const gd = g.data;
  const yd = y.data;
  const o = out.data;
  for (let r = 0, base = 0; r < rows; r++, base += S) {
    let dot = 0;
    for (let j = 0; j < S; j++) dot += gd[base + j] * yd[base + j];
    for (let j = 0; j < S; j++) o[base + j] = scale * yd[base + j] * (gd[base + j] - dot);
  }
}
