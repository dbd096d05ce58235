/**
 * The fused LSTM and GRU cell kernels: the readable oracle, which the wasm backend's kernels
 * (assembly/recurrent.ts) are checked against and which it runs for tiny cells. Gates come in
 * PyTorch's order i, f, g, o along the last dim of gates [B, 4H]; operands are any 2-d strided
 * views; out is contiguous.
 *
 * Forward: c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c'), out [2, B, H] = (h', c').
 * Backward, from gh = ∂L/∂h' and gc = ∂L/∂c' (with c' recomputed as stored, so rounded to the dtype):
 *   dc' = gc + gh·σ(o)·(1 − tanh²c'),
 *   ∂L/∂i = dc'·tanh(g)·σ(i)(1 − σ(i)),  ∂L/∂f = dc'·c·σ(f)(1 − σ(f)),
 *   ∂L/∂g = dc'·σ(i)·(1 − tanh²g),      ∂L/∂o = gh·tanh(c')·σ(o)(1 − σ(o)),  ∂L/∂c = dc'·σ(f).
 */

import type { StridedView } from "../backend.js";
import type { CpuBuffer } from "./cpu-backend.js";
import { sigmoid } from "./scalar-math.js";

type View = StridedView<CpuBuffer>;

/** out [2, B, H] = (h', c') of one LSTM step from gates [B, 4H] and c [B, H]. */
export function cpuLstmCell(gates: View, c: View, out: CpuBuffer): void {
  const [rows, h4] = gates.shape;
  const hid = h4 / 4;
  const gd = gates.buffer.data;
  const cd = c.buffer.data;
  const od = out.data;
  const [gr, gs] = gates.strides;
  const [cr, cs] = c.strides;
  for (let b = 0; b < rows; b++) {
    const g0 = gates.offset + b * gr;
    for (let j = 0; j < hid; j++) {
      const i = sigmoid(gd[g0 + j * gs]);
      const f = sigmoid(gd[g0 + (hid + j) * gs]);
      const g = Math.tanh(gd[g0 + (2 * hid + j) * gs]);
      const o = sigmoid(gd[g0 + (3 * hid + j) * gs]);
      const at = b * hid + j;
      od[rows * hid + at] = f * cd[c.offset + b * cr + j * cs] + i * g;
      od[at] = o * Math.tanh(od[rows * hid + at]); // tanh of c' as stored
    }
  }
}

/**
 * The LSTM step's gradients from gOut [2, B, H] = (∂L/∂h', ∂L/∂c'): out [5·B·H] holds ∂L/∂gates
 * [B, 4H] then ∂L/∂c [B, H], both contiguous.
 */
export function cpuLstmCellBackward(gates: View, c: View, gOut: View, out: CpuBuffer): void {
  const [rows, h4] = gates.shape;
  const hid = h4 / 4;
  const gd = gates.buffer.data;
  const cd = c.buffer.data;
  const ud = gOut.buffer.data;
  const od = out.data;
  const [gr, gs] = gates.strides;
  const [cr, cs] = c.strides;
  const [u0, ur, us] = gOut.strides;
  // c' rounded to the dtype as the forward stored it
  const round = od instanceof Float32Array ? Math.fround : (v: number): number => v;
  for (let b = 0; b < rows; b++) {
    const g0 = gates.offset + b * gr;
    for (let j = 0; j < hid; j++) {
      const i = sigmoid(gd[g0 + j * gs]);
      const f = sigmoid(gd[g0 + (hid + j) * gs]);
      const g = Math.tanh(gd[g0 + (2 * hid + j) * gs]);
      const o = sigmoid(gd[g0 + (3 * hid + j) * gs]);
      const cPrev = cd[c.offset + b * cr + j * cs];
      const tc = Math.tanh(round(f * cPrev + i * g));
      const gh = ud[gOut.offset + b * ur + j * us];
      const gc = ud[gOut.offset + u0 + b * ur + j * us];
      const dc = gc + gh * o * (1 - tc * tc);
      const row = b * h4;
      od[row + j] = dc * g * i * (1 - i);
      od[row + hid + j] = dc * cPrev * f * (1 - f);
      od[row + 2 * hid + j] = dc * i * (1 - g * g);
      od[row + 3 * hid + j] = gh * tc * o * (1 - o);
      od[rows * h4 + b * hid + j] = dc * f;
    }
  }
}

/**
 * One GRU step from gi = W_ih·x + b_ih and gh = W_hh·h + b_hh, each [B, 3H] (r, z, n), and h [B, H]:
 * r = σ(gi_r + gh_r), z = σ(gi_z + gh_z), n = tanh(gi_n + r·gh_n), out h' = (1 − z)·n + z·h [B, H].
 */
export function cpuGruCell(gi: View, gh: View, h: View, out: CpuBuffer): void {
  const [rows, hid] = h.shape;
  const [id, hd, xd, od] = [gi.buffer.data, gh.buffer.data, h.buffer.data, out.data];
  const [ir, is] = gi.strides;
  const [hr, hs] = gh.strides;
  const [xr, xs] = h.strides;
  for (let b = 0; b < rows; b++) {
    const i0 = gi.offset + b * ir;
    const h0 = gh.offset + b * hr;
    for (let j = 0; j < hid; j++) {
      const r = sigmoid(id[i0 + j * is] + hd[h0 + j * hs]);
      const z = sigmoid(id[i0 + (hid + j) * is] + hd[h0 + (hid + j) * hs]);
      const n = Math.tanh(id[i0 + (2 * hid + j) * is] + r * hd[h0 + (2 * hid + j) * hs]);
      od[b * hid + j] = (1 - z) * n + z * xd[h.offset + b * xr + j * xs];
    }
  }
}

/**
 * The GRU step's gradients from g = ∂L/∂h' [B, H]: out [7·B·H] holds ∂L/∂gi [B, 3H], ∂L/∂gh
 * [B, 3H] and ∂L/∂h [B, H], each contiguous. With a = g·(1 − z)·(1 − n²):
 * ∂gi = (dr, dz, a), ∂gh = (dr, dz, a·r), ∂h = g·z, where dr = a·gh_n·r(1 − r), dz = g·(h − n)·z(1 − z).
 */
export function cpuGruCellBackward(gi: View, gh: View, h: View, g: View, out: CpuBuffer): void {
  const [rows, hid] = h.shape;
  const [id, hd, xd, gd, od] = [gi.buffer.data, gh.buffer.data, h.buffer.data, g.buffer.data, out.data];
  const [ir, is] = gi.strides;
  const [hr, hs] = gh.strides;
  const [xr, xs] = h.strides;
  const [gr, gs] = g.strides;
  const h3 = 3 * hid;
  for (let b = 0; b < rows; b++) {
    const i0 = gi.offset + b * ir;
    const h0 = gh.offset + b * hr;
    for (let j = 0; j < hid; j++) {
      const r = sigmoid(id[i0 + j * is] + hd[h0 + j * hs]);
      const z = sigmoid(id[i0 + (hid + j) * is] + hd[h0 + (hid + j) * hs]);
      const hn = hd[h0 + (2 * hid + j) * hs];
      const n = Math.tanh(id[i0 + (2 * hid + j) * is] + r * hn);
      const gv = gd[g.offset + b * gr + j * gs];
      const a = gv * (1 - z) * (1 - n * n);
      const dr = a * hn * r * (1 - r);
      const dz = gv * (xd[h.offset + b * xr + j * xs] - n) * z * (1 - z);
      const row = b * h3;
      od[row + j] = dr;
      od[row + hid + j] = dz;
      od[row + 2 * hid + j] = a;
      od[rows * h3 + row + j] = dr;
      od[rows * h3 + row + hid + j] = dz;
      od[rows * h3 + row + 2 * hid + j] = a * r;
      od[2 * rows * h3 + b * hid + j] = gv * z;
    }
  }
}
