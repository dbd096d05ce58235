/**
 * Host side of the fused LSTM and GRU cells (assembly/recurrent.ts): the operands are copied into
 * scratch memory row-major, one call computes every row, and the result leaves in one block copy.
 * float32 only: float64 cells, cells under `minSize` values of the state and hidden sizes under 4
 * (one vector) stay on the cpu kernels (backend/cpu/recurrent.ts) — float64 recurrent layers are
 * rare, and their kernels would add ~5 KB to the module every bundle carries.
 */

import type { StridedView } from "../backend.js";
import type { CpuBuffer } from "../cpu/cpu-backend.js";
import { copyIn, paddedBytes } from "./elementwise.js";
import { SCRATCH_BASE, availableRuntime } from "./runtime.js";

type View = StridedView<CpuBuffer>;

/** float32 throughout, a hidden size of at least one vector, and at least minSize state values. */
function fits(views: readonly View[], out: CpuBuffer, hid: number, n: number, minSize: number): boolean {
  return out.dtype === "float32" && hid >= 4 && n >= minSize && views.every((v) => v.buffer.dtype === "float32");
}

/** out [2, B, H] = (h', c') of one LSTM step in wasm; false when the cpu kernel should run it. */
export function wasmLstmCell(gates: View, c: View, out: CpuBuffer, minSize: number): boolean {
  const [rows, hid] = c.shape;
  const n = rows * hid;
  if (!fits([gates, c], out, hid, n, minSize)) return false;
  const rt = availableRuntime();
  const bpe = 4;
  const G = SCRATCH_BASE;
  const C = G + paddedBytes(4 * n, bpe);
  const O = C + paddedBytes(n, bpe);
  if (rt === undefined || !rt.reserve(O + paddedBytes(2 * n, bpe))) return false;
  const heap = rt.f32();
  copyIn(gates, heap, G / bpe, 4 * n);
  copyIn(c, heap, C / bpe, n);
  rt.kernels.lstmCellF32(G, C, O, rows, hid);
  (out.data as Float32Array).set(rt.view(true, O, 2 * n));
  return true;
}

/** lstmCell's gradients in wasm (out = ∂gates [B, 4H] then ∂c [B, H]); false as wasmLstmCell. */
export function wasmLstmCellBackward(gates: View, c: View, gOut: View, out: CpuBuffer, minSize: number): boolean {
  const [rows, hid] = c.shape;
  const n = rows * hid;
  if (!fits([gates, c, gOut], out, hid, n, minSize)) return false;
  const rt = availableRuntime();
  const bpe = 4;
  const G = SCRATCH_BASE;
  const C = G + paddedBytes(4 * n, bpe);
  const U = C + paddedBytes(n, bpe);
  const O = U + paddedBytes(2 * n, bpe);
  if (rt === undefined || !rt.reserve(O + paddedBytes(5 * n, bpe))) return false;
  const heap = rt.f32();
  copyIn(gates, heap, G / bpe, 4 * n);
  copyIn(c, heap, C / bpe, n);
  copyIn(gOut, heap, U / bpe, 2 * n);
  rt.kernels.lstmCellBackwardF32(G, C, U, O, rows, hid);
  (out.data as Float32Array).set(rt.view(true, O, 5 * n));
  return true;
}

/** h' of one GRU step in wasm; false when the cpu kernel should run it (as wasmLstmCell). */
export function wasmGruCell(gi: View, gh: View, h: View, out: CpuBuffer, minSize: number): boolean {
  const [rows, hid] = h.shape;
  const n = rows * hid;
  if (!fits([gi, gh, h], out, hid, n, minSize)) return false;
  const rt = availableRuntime();
  const bpe = 4;
  const I = SCRATCH_BASE;
  const G = I + paddedBytes(3 * n, bpe);
  const H = G + paddedBytes(3 * n, bpe);
  const O = H + paddedBytes(n, bpe);
  if (rt === undefined || !rt.reserve(O + paddedBytes(n, bpe))) return false;
  const heap = rt.f32();
  copyIn(gi, heap, I / bpe, 3 * n);
  copyIn(gh, heap, G / bpe, 3 * n);
  copyIn(h, heap, H / bpe, n);
  rt.kernels.gruCellF32(I, G, H, O, rows, hid);
  (out.data as Float32Array).set(rt.view(true, O, n));
  return true;
}

/** gruCell's gradients in wasm (out = ∂gi, ∂gh, ∂h); false as wasmLstmCell. */
export function wasmGruCellBackward(gi: View, gh: View, h: View, g: View, out: CpuBuffer, minSize: number): boolean {
  const [rows, hid] = h.shape;
  const n = rows * hid;
  if (!fits([gi, gh, h, g], out, hid, n, minSize)) return false;
  const rt = availableRuntime();
  const bpe = 4;
  const I = SCRATCH_BASE;
  const G = I + paddedBytes(3 * n, bpe);
  const H = G + paddedBytes(3 * n, bpe);
  const U = H + paddedBytes(n, bpe);
  const O = U + paddedBytes(n, bpe);
  if (rt === undefined || !rt.reserve(O + paddedBytes(7 * n, bpe))) return false;
  const heap = rt.f32();
  copyIn(gi, heap, I / bpe, 3 * n);
  copyIn(gh, heap, G / bpe, 3 * n);
  copyIn(h, heap, H / bpe, n);
  copyIn(g, heap, U / bpe, n);
  rt.kernels.gruCellBackwardF32(I, G, H, U, O, rows, hid);
  (out.data as Float32Array).set(rt.view(true, O, 7 * n));
  return true;
}
