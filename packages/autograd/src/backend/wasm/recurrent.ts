/**
 * Host side of the fused LSTM and GRU cells (assembly/recurrent.ts): the operands are copied into scratch
 * memory row-major, one call computes every row, and the result leaves in one block copy. Cells
 * under `minSize` values of c, and non-float dtypes, stay on the cpu kernels (backend/cpu/recurrent.ts).
 */

import type { StridedView } from "../backend.js";
import type { CpuBuffer } from "../cpu/cpu-backend.js";
import { copyIn, isFloat, paddedBytes } from "./elementwise.js";
import { SCRATCH_BASE, availableRuntime } from "./runtime.js";

type View = StridedView<CpuBuffer>;
type Floats = Float32Array | Float64Array;

/** out [2, B, H] = (h', c') of one LSTM step in wasm; false when the cpu kernel should run it. */
export function wasmLstmCell(gates: View, c: View, out: CpuBuffer, minSize: number): boolean {
  const [rows, hid] = c.shape;
  const n = rows * hid;
  if (!isFloat(out) || n < minSize || n === 0 || gates.buffer.dtype !== out.dtype || c.buffer.dtype !== out.dtype) return false;
  const rt = availableRuntime();
  const f32 = out.dtype === "float32";
  const bpe = f32 ? 4 : 8;
  const G = SCRATCH_BASE;
  const C = G + paddedBytes(4 * n, bpe);
  const O = C + paddedBytes(n, bpe);
  if (rt === undefined || !rt.reserve(O + paddedBytes(2 * n, bpe))) return false;
  const heap = f32 ? rt.f32() : rt.f64();
  copyIn(gates, heap, G / bpe, 4 * n);
  copyIn(c, heap, C / bpe, n);
  (f32 ? rt.kernels.lstmCellF32 : rt.kernels.lstmCellF64)(G, C, O, rows, hid);
  (out.data as Floats).set(rt.view(f32, O, 2 * n));
  return true;
}

/** lstmCell's gradients in wasm (out = ∂gates [B, 4H] then ∂c [B, H]); false as wasmLstmCell. */
export function wasmLstmCellBackward(gates: View, c: View, gOut: View, out: CpuBuffer, minSize: number): boolean {
  const [rows, hid] = c.shape;
  const n = rows * hid;
  if (!isFloat(out) || n < minSize || n === 0 || gates.buffer.dtype !== out.dtype || c.buffer.dtype !== out.dtype || gOut.buffer.dtype !== out.dtype) return false;
  const rt = availableRuntime();
  const f32 = out.dtype === "float32";
  const bpe = f32 ? 4 : 8;
  const G = SCRATCH_BASE;
  const C = G + paddedBytes(4 * n, bpe);
  const U = C + paddedBytes(n, bpe);
  const O = U + paddedBytes(2 * n, bpe);
  if (rt === undefined || !rt.reserve(O + paddedBytes(5 * n, bpe))) return false;
  const heap = f32 ? rt.f32() : rt.f64();
  copyIn(gates, heap, G / bpe, 4 * n);
  copyIn(c, heap, C / bpe, n);
  copyIn(gOut, heap, U / bpe, 2 * n);
  (f32 ? rt.kernels.lstmCellBackwardF32 : rt.kernels.lstmCellBackwardF64)(G, C, U, O, rows, hid);
  (out.data as Floats).set(rt.view(f32, O, 5 * n));
  return true;
}

/** h' of one GRU step in wasm; false when the cpu kernel should run it (as wasmLstmCell). */
export function wasmGruCell(gi: View, gh: View, h: View, out: CpuBuffer, minSize: number): boolean {
  const [rows, hid] = h.shape;
  const n = rows * hid;
  if (!isFloat(out) || n < minSize || n === 0 || [gi, gh, h].some((v) => v.buffer.dtype !== out.dtype)) return false;
  const rt = availableRuntime();
  const f32 = out.dtype === "float32";
  const bpe = f32 ? 4 : 8;
  const I = SCRATCH_BASE;
  const G = I + paddedBytes(3 * n, bpe);
  const H = G + paddedBytes(3 * n, bpe);
  const O = H + paddedBytes(n, bpe);
  if (rt === undefined || !rt.reserve(O + paddedBytes(n, bpe))) return false;
  const heap = f32 ? rt.f32() : rt.f64();
  copyIn(gi, heap, I / bpe, 3 * n);
  copyIn(gh, heap, G / bpe, 3 * n);
  copyIn(h, heap, H / bpe, n);
  (f32 ? rt.kernels.gruCellF32 : rt.kernels.gruCellF64)(I, G, H, O, rows, hid);
  (out.data as Floats).set(rt.view(f32, O, n));
  return true;
}

/** gruCell's gradients in wasm (out = ∂gi, ∂gh, ∂h); false as wasmLstmCell. */
export function wasmGruCellBackward(gi: View, gh: View, h: View, g: View, out: CpuBuffer, minSize: number): boolean {
  const [rows, hid] = h.shape;
  const n = rows * hid;
  if (!isFloat(out) || n < minSize || n === 0 || [gi, gh, h, g].some((v) => v.buffer.dtype !== out.dtype)) return false;
  const rt = availableRuntime();
  const f32 = out.dtype === "float32";
  const bpe = f32 ? 4 : 8;
  const I = SCRATCH_BASE;
  const G = I + paddedBytes(3 * n, bpe);
  const H = G + paddedBytes(3 * n, bpe);
  const U = H + paddedBytes(n, bpe);
  const O = U + paddedBytes(n, bpe);
  if (rt === undefined || !rt.reserve(O + paddedBytes(7 * n, bpe))) return false;
  const heap = f32 ? rt.f32() : rt.f64();
  copyIn(gi, heap, I / bpe, 3 * n);
  copyIn(gh, heap, G / bpe, 3 * n);
  copyIn(h, heap, H / bpe, n);
  copyIn(g, heap, U / bpe, n);
  (f32 ? rt.kernels.gruCellBackwardF32 : rt.kernels.gruCellBackwardF64)(I, G, H, U, O, rows, hid);
  (out.data as Floats).set(rt.view(f32, O, 7 * n));
  return true;
}
