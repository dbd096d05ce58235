/**
 * The fused LSTM and GRU cells in float32 lanes (f32x4; written for any lane type T, but float64
 * cells run on the cpu kernels, to keep the module small), over contiguous row-major operands the
 * host copied in (src/backend/wasm/recurrent.ts). LSTM: gates [B, 4H] (i, f, g, o), c [B, H], out
 * [2, B, H] = (h', c'); the backward reads gOut [2, B, H] and writes ∂gates [B, 4H] then ∂c [B, H].
 * GRU: gi, gh [B, 3H] (r, z, n), h [B, H], out h' [B, H]; the backward writes ∂gi, ∂gh, ∂h. The
 * formulas are backend/cpu/recurrent.ts's (the oracle); sigmoid and tanh are activations.ts's.
 * A row's last H mod 4 values are covered by one more vector ending at H (columns recomputed to
 * the same values); the host keeps H < 4 on the cpu kernels.
 */

import { sigmoidOf, tanhOf } from "./activations";

// σ and tanh as called functions, not inlined: each expands to an exp polynomial, 3–5 per body in
// 16 bodies per type, which grew the module (inlined into the bundle as base64) by ~10 KB gzipped.

/** σ in T lanes (activations.ts's sigmoidOf, called). */
function sig<T>(x: v128): v128 {
  return sigmoidOf<T>(x);
}

/** tanh in T lanes (activations.ts's tanhOf, called). */
function th<T>(x: v128): v128 {
  return tanhOf<T>(x);
}

/** Forward at row b, columns j..j+L−1. */
// @ts-ignore: decorator
@inline function cellAt<T>(gates: usize, c: usize, out: usize, rows: i32, hid: i32, b: i32, j: i32): void {
  const es = <usize>sizeof<T>();
  const hb = <usize>hid * es;
  const gp = gates + (<usize>b * 4 * <usize>hid + <usize>j) * es;
  const at = (<usize>b * <usize>hid + <usize>j) * es;
  const i = sig<T>(v128.load(gp));
  const f = sig<T>(v128.load(gp + hb));
  const g = th<T>(v128.load(gp + 2 * hb));
  const o = sig<T>(v128.load(gp + 3 * hb));
  const cn = v128.add<T>(v128.mul<T>(f, v128.load(c + at)), v128.mul<T>(i, g));
  v128.store(out + <usize>rows * hb + at, cn);
  v128.store(out + at, v128.mul<T>(o, th<T>(cn)));
}

/** Backward at row b, columns j..j+L−1, as cellAt. */
// @ts-ignore: decorator
@inline function cellBackAt<T>(gates: usize, c: usize, gOut: usize, out: usize, rows: i32, hid: i32, b: i32, j: i32): void {
  const es = <usize>sizeof<T>();
  const hb = <usize>hid * es;
  const gp = gates + (<usize>b * 4 * <usize>hid + <usize>j) * es;
  const at = (<usize>b * <usize>hid + <usize>j) * es;
  const one = v128.splat<T>(<T>1);
  const i = sig<T>(v128.load(gp));
  const f = sig<T>(v128.load(gp + hb));
  const g = th<T>(v128.load(gp + 2 * hb));
  const o = sig<T>(v128.load(gp + 3 * hb));
  const cPrev = v128.load(c + at);
  const tc = th<T>(v128.add<T>(v128.mul<T>(f, cPrev), v128.mul<T>(i, g)));
  const gh = v128.load(gOut + at);
  const gc = v128.load(gOut + <usize>rows * hb + at);
  // dc' = gc + gh·o·(1 − tc²)
  const dc = v128.add<T>(gc, v128.mul<T>(v128.mul<T>(gh, o), v128.sub<T>(one, v128.mul<T>(tc, tc))));
  const op = out + (<usize>b * 4 * <usize>hid + <usize>j) * es;
  v128.store(op, v128.mul<T>(v128.mul<T>(dc, g), v128.mul<T>(i, v128.sub<T>(one, i))));
  v128.store(op + hb, v128.mul<T>(v128.mul<T>(dc, cPrev), v128.mul<T>(f, v128.sub<T>(one, f))));
  v128.store(op + 2 * hb, v128.mul<T>(v128.mul<T>(dc, i), v128.sub<T>(one, v128.mul<T>(g, g))));
  v128.store(op + 3 * hb, v128.mul<T>(v128.mul<T>(gh, tc), v128.mul<T>(o, v128.sub<T>(one, o))));
  v128.store(out + <usize>rows * 4 * hb + at, v128.mul<T>(dc, f));
}

// @ts-ignore: decorator
@inline function lstmCell<T>(gates: usize, c: usize, out: usize, rows: i32, hid: i32): void {
  const lanes = 16 / <i32>sizeof<T>();
  const hv = hid - (hid % lanes);
  for (let b = 0; b < rows; b++) {
    for (let j = 0; j < hv; j += lanes) cellAt<T>(gates, c, out, rows, hid, b, j);
    // the last partial vector again from hid − L: those columns are recomputed to the same values
    if (hv < hid) { const j = hid - lanes; cellAt<T>(gates, c, out, rows, hid, b, j); }
  }
}

// @ts-ignore: decorator
@inline function lstmCellBackward<T>(gates: usize, c: usize, gOut: usize, out: usize, rows: i32, hid: i32): void {
  const lanes = 16 / <i32>sizeof<T>();
  const hv = hid - (hid % lanes);
  for (let b = 0; b < rows; b++) {
    for (let j = 0; j < hv; j += lanes) cellBackAt<T>(gates, c, gOut, out, rows, hid, b, j);
    // the last partial vector again from hid − L: those columns are recomputed to the same values
    if (hv < hid) { const j = hid - lanes; cellBackAt<T>(gates, c, gOut, out, rows, hid, b, j); }
  }
}

/** out [2, rows, hid] = (h', c') from gates [rows, 4·hid] and c [rows, hid], float32. */
export function lstmCellF32(gates: usize, c: usize, out: usize, rows: i32, hid: i32): void {
  lstmCell<f32>(gates, c, out, rows, hid);
}


/** out = ∂gates [rows, 4·hid] then ∂c [rows, hid] from gOut [2, rows, hid], float32. */
export function lstmCellBackwardF32(gates: usize, c: usize, gOut: usize, out: usize, rows: i32, hid: i32): void {
  lstmCellBackward<f32>(gates, c, gOut, out, rows, hid);
}


/** GRU forward at row b, columns j..j+L−1, as cellAt. */
// @ts-ignore: decorator
@inline function gruAt<T>(gi: usize, gh: usize, h: usize, out: usize, hid: i32, b: i32, j: i32): void {
  const es = <usize>sizeof<T>();
  const hb = <usize>hid * es;
  const off = (<usize>b * 3 * <usize>hid + <usize>j) * es;
  const at = (<usize>b * <usize>hid + <usize>j) * es;
  const r = sig<T>(v128.add<T>(v128.load(gi + off), v128.load(gh + off)));
  const z = sig<T>(v128.add<T>(v128.load(gi + off + hb), v128.load(gh + off + hb)));
  const n = th<T>(v128.add<T>(v128.load(gi + off + 2 * hb), v128.mul<T>(r, v128.load(gh + off + 2 * hb))));
  // (1 − z)·n + z·h
  v128.store(out + at, v128.add<T>(v128.mul<T>(v128.sub<T>(v128.splat<T>(<T>1), z), n), v128.mul<T>(z, v128.load(h + at))));
}

/** GRU backward at row b, columns j..j+L−1: out = ∂gi [B, 3H], ∂gh [B, 3H], ∂h [B, H]. */
// @ts-ignore: decorator
@inline function gruBackAt<T>(gi: usize, gh: usize, h: usize, g: usize, out: usize, rows: i32, hid: i32, b: i32, j: i32): void {
  const es = <usize>sizeof<T>();
  const hb = <usize>hid * es;
  const off = (<usize>b * 3 * <usize>hid + <usize>j) * es;
  const at = (<usize>b * <usize>hid + <usize>j) * es;
  const one = v128.splat<T>(<T>1);
  const r = sig<T>(v128.add<T>(v128.load(gi + off), v128.load(gh + off)));
  const z = sig<T>(v128.add<T>(v128.load(gi + off + hb), v128.load(gh + off + hb)));
  const hn = v128.load(gh + off + 2 * hb);
  const n = th<T>(v128.add<T>(v128.load(gi + off + 2 * hb), v128.mul<T>(r, hn)));
  const gv = v128.load(g + at);
  // a = g·(1 − z)·(1 − n²), dr = a·gh_n·r(1 − r), dz = g·(h − n)·z(1 − z)
  const a = v128.mul<T>(v128.mul<T>(gv, v128.sub<T>(one, z)), v128.sub<T>(one, v128.mul<T>(n, n)));
  const dr = v128.mul<T>(v128.mul<T>(a, hn), v128.mul<T>(r, v128.sub<T>(one, r)));
  const dz = v128.mul<T>(v128.mul<T>(gv, v128.sub<T>(v128.load(h + at), n)), v128.mul<T>(z, v128.sub<T>(one, z)));
  const second = out + <usize>rows * 3 * hb;
  v128.store(out + off, dr);
  v128.store(out + off + hb, dz);
  v128.store(out + off + 2 * hb, a);
  v128.store(second + off, dr);
  v128.store(second + off + hb, dz);
  v128.store(second + off + 2 * hb, v128.mul<T>(a, r));
  v128.store(second + <usize>rows * 3 * hb + at, v128.mul<T>(gv, z));
}

// @ts-ignore: decorator
@inline function gruCell<T>(gi: usize, gh: usize, h: usize, out: usize, rows: i32, hid: i32): void {
  const lanes = 16 / <i32>sizeof<T>();
  const hv = hid - (hid % lanes);
  for (let b = 0; b < rows; b++) {
    for (let j = 0; j < hv; j += lanes) gruAt<T>(gi, gh, h, out, hid, b, j);
    // the last partial vector again from hid − L: those columns are recomputed to the same values
    if (hv < hid) { const j = hid - lanes; gruAt<T>(gi, gh, h, out, hid, b, j); }
  }
}

// @ts-ignore: decorator
@inline function gruCellBackward<T>(gi: usize, gh: usize, h: usize, g: usize, out: usize, rows: i32, hid: i32): void {
  const lanes = 16 / <i32>sizeof<T>();
  const hv = hid - (hid % lanes);
  for (let b = 0; b < rows; b++) {
    for (let j = 0; j < hv; j += lanes) gruBackAt<T>(gi, gh, h, g, out, rows, hid, b, j);
    // the last partial vector again from hid − L: those columns are recomputed to the same values
    if (hv < hid) { const j = hid - lanes; gruBackAt<T>(gi, gh, h, g, out, rows, hid, b, j); }
  }
}

/** out h' [rows, hid] from gi, gh [rows, 3·hid] and h [rows, hid], float32. */
export function gruCellF32(gi: usize, gh: usize, h: usize, out: usize, rows: i32, hid: i32): void {
  gruCell<f32>(gi, gh, h, out, rows, hid);
}


/** out = ∂gi [rows, 3·hid], ∂gh [rows, 3·hid], ∂h [rows, hid] from g [rows, hid], float32. */
export function gruCellBackwardF32(gi: usize, gh: usize, h: usize, g: usize, out: usize, rows: i32, hid: i32): void {
  gruCellBackward<f32>(gi, gh, h, g, out, rows, hid);
}

