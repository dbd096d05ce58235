/**
 * LayerNorm's cpu kernels (ops/layer-norm.ts is the op; assembly/layernorm.ts the wasm ones):
 * statistics and sums in float64, each stored value rounded once to the dtype.
 */

import type { CpuBuffer } from "./cpu-backend.js";
import { newArray } from "./slabs.js";

/** Backend.layerNorm on host arrays: two passes per row (mean, then the centred variance). */
export function cpuLayerNorm(
  x: CpuBuffer, weight: CpuBuffer | null, bias: CpuBuffer | null, rows: number, cols: number, eps: number,
  out: CpuBuffer, mean: CpuBuffer, rstd: CpuBuffer,
): void {
  const xd = x.data;
  const o = out.data;
  const w = weight === null ? null : weight.data;
  const b = bias === null ? null : bias.data;
  for (let r = 0, base = 0; r < rows; r++, base += cols) {
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += xd[base + c];
    const mu = sum / cols;
    let sq = 0;
    for (let c = 0; c < cols; c++) {
      const d = xd[base + c] - mu;
      sq += d * d;
    }
    const rs = 1 / Math.sqrt(sq / cols + eps);
    mean.data[r] = mu;
    rstd.data[r] = rs;
    for (let c = 0; c < cols; c++) {
      const y = (xd[base + c] - mu) * rs;
      o[base + c] = (w === null ? y : y * w[c]) + (b === null ? 0 : b[c]);
    }
  }
}

/**
 * Backend.layerNormBackward on host arrays. Per row, with x̂ = (x − mean)·rstd and ĝ = g·w:
 * dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) (the Jacobian of the normalization applied to ĝ);
 * dweight and dbias sum g·x̂ and g over the rows, in float64.
 */
export function cpuLayerNormBackward(
  g: CpuBuffer, x: CpuBuffer, mean: CpuBuffer, rstd: CpuBuffer, weight: CpuBuffer | null, rows: number, cols: number,
  dx: CpuBuffer | null, dweight: CpuBuffer | null, dbias: CpuBuffer | null,
): void {
  const gd = g.data;
  const xd = x.data;
  const w = weight === null ? null : weight.data;
  const dw = dweight === null ? null : (newArray("float64", cols) as Float64Array);
  const db = dbias === null ? null : (newArray("float64", cols) as Float64Array);
  for (let r = 0, base = 0; r < rows; r++, base += cols) {
    const mu = mean.data[r];
    const rs = rstd.data[r];
    let sumG = 0;
    let sumGX = 0;
    for (let c = 0; c < cols; c++) {
      const gv = gd[base + c];
      const xh = (xd[base + c] - mu) * rs;
      const gh = w === null ? gv : gv * w[c];
      sumG += gh;
      sumGX += gh * xh;
      if (dw !== null) dw[c] += gv * xh;
      if (db !== null) db[c] += gv;
    }
    if (dx === null) continue;
    const mG = sumG / cols;
    const mGX = sumGX / cols;
    const o = dx.data;
    for (let c = 0; c < cols; c++) {
      const xh = (xd[base + c] - mu) * rs;
      const gh = w === null ? gd[base + c] : gd[base + c] * w[c];
      o[base + c] = rs * (gh - mG - xh * mGX);
    }
  }
  if (dweight !== null && dw !== null) dweight.data.set(dw);
  if (dbias !== null && db !== null) dbias.data.set(db);
}
