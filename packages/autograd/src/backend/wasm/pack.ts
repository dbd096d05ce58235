/**
 * Host-side packing for the wasm matmul: copies an operand from its own strides (sliced with a
 * step, or any layout that is not one dense block) straight into the strip layout the kernels
 * read, so no transpose copy is ever made by the caller. Dense row- or column-major operands
 * are instead copied in whole and packed by assembly/pack.ts. Layouts: assembly/matmul.ts.
 */

import type { Runtime } from "./runtime.js";

type Floats = Float32Array | Float64Array;
type Source = Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * Packs an m×k matrix (element (i, p) at off + i·sm + p·sk) into strips of `mr` rows:
 * dst[base + s·k·mr + p·mr + r] = a[s·mr + r, p], zero past row m.
 */
export function packRows(src: Source, off: number, sm: number, sk: number, m: number, k: number, mr: number, dst: Floats, base: number): void {
  const strips = Math.ceil(m / mr);
  // Walk whichever of the two source strides is shorter in the inner loop.
  const kInner = Math.abs(sk) <= Math.abs(sm);
  for (let s = 0; s < strips; s++) {
    const sBase = base + s * k * mr;
    const rows = Math.min(mr, m - s * mr);
    const rowOff = off + s * mr * sm;
    if (kInner) {
      for (let r = 0; r < rows; r++) {
        let ia = rowOff + r * sm;
        let io = sBase + r;
        for (let p = 0; p < k; p++, ia += sk, io += mr) dst[io] = src[ia];
      }
    } else {
      let io = sBase;
      let ip = rowOff;
      for (let p = 0; p < k; p++, ip += sk) {
        let ia = ip;
        for (let r = 0; r < rows; r++, ia += sm) dst[io + r] = src[ia];
        io += mr;
      }
    }
    if (rows < mr) {
      for (let p = 0; p < k; p++) for (let r = rows; r < mr; r++) dst[sBase + p * mr + r] = 0;
    }
  }
}

/** True when a rows×cols matrix with these strides fills one block of memory (row- or column-major). */
export function isDense(rows: number, cols: number, rs: number, cs: number): boolean {
  const rowMajor = (cols === 1 || cs === 1) && (rows === 1 || rs === cols);
  const colMajor = (rows === 1 || rs === 1) && (cols === 1 || cs === rows);
  return rowMajor || colMajor;
}

/**
 * Packs a rows×cols operand (element (i, p) at off + i·rs + p·cs) into strips of `tile` rows at
 * element `dst` of the runtime's float32 or float64 memory: a dense block is copied in with one
 * memcpy to element `raw` and the strided gather runs in wasm (SIMD copies and transposes,
 * assembly/pack.ts); any other layout is gathered here (packRows).
 */
export function packOperand(rt: Runtime, f32: boolean, data: Source, off: number, rows: number, cols: number, rs: number, cs: number, tile: number, dst: number, raw: number): void {
  const heap: Floats = f32 ? rt.f32() : rt.f64();
  if (isDense(rows, cols, rs, cs)) {
    heap.set(data.subarray(off, off + rows * cols), raw);
    const bpe = heap.BYTES_PER_ELEMENT;
    (f32 ? rt.kernels.packF32 : rt.kernels.packF64)(raw * bpe, dst * bpe, rows, cols, rs, cs, tile);
  } else {
    packRows(data, off, rs, cs, rows, cols, tile, heap, dst);
  }
}

/** Copies the valid m×n corner of a padded result (ldc elements per row) to out[outOff...]. */
export function unpackResult(src: Floats, base: number, ldc: number, m: number, n: number, out: Floats, outOff: number): void {
  if (ldc === n && m * n >= 256) {
    out.set(src.subarray(base, base + m * n), outOff);
    return;
  }
  if (n >= 64) {
    for (let i = 0; i < m; i++) out.set(src.subarray(base + i * ldc, base + i * ldc + n), outOff + i * n);
    return;
  }
  for (let i = 0; i < m; i++) {
    const row = base + i * ldc;
    const o = outOff + i * n;
    for (let j = 0; j < n; j++) out[o + j] = src[row + j];
  }
}
