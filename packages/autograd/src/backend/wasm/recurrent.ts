/**
 * Host side of the fused LSTM cell (assembly/recurrent.ts): the operands are copied into scratch
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
