/**
 * The fused LSTM and GRU cells in T lanes (f32x4 / f64x2), over contiguous row-major operands the
 * host copied in (src/backend/wasm/recurrent.ts). LSTM: gates [B, 4H] (i, f, g, o), c [B, H], out
 * [2, B, H] = (h', c'); the backward reads gOut [2, B, H] and writes ∂gates [B, 4H] then ∂c [B, H].
 * GRU: gi, gh [B, 3H] (r, z, n), h [B, H], out h' [B, H]; the backward writes ∂gi, ∂gh, ∂h. The
 * formulas are backend/cpu/recurrent.ts's (the oracle); sigmoid and tanh are activations.ts's.
 * A row's last H mod lanes values go one at a time through the same code (a splat, lane 0 kept).
 */

import { sigmoidOf, tanhOf } from "./activations";

/** A vector of T from p, or (scalar) the one value at p in every lane. */
// @ts-ignore: decorator
@inline function ld<T>(p: usize, scalar: bool): v128 {
  if (!scalar) return v128.load(p);
  return sizeof<T>() == 4 ? v128.load32_splat(p) : v128.load64_splat(p);
}

/** Stores the vector at p, or (scalar) its lane 0. */
// @ts-ignore: decorator
@inline function st<T>(p: usize, v: v128, scalar: bool): void {
  if (!scalar) v128.store(p, v);
  else if (sizeof<T>() == 4) store<f32>(p, f32x4.extract_lane(v, 0));
  else store<f64>(p, f64x2.extract_lane(v, 0));
}

/** Forward at row b, column j (a vector of columns, or one when `scalar`). */
// @ts-ignore: decorator
@inline function cellAt<T>(gates: usize, c: usize, out: usize, rows: i32, hid: i32, b: i32, j: i32, scalar: bool): void {
  const es = <usize>sizeof<T>();
  const hb = <usize>hid * es;
  const gp = gates + (<usize>b * 4 * <usize>hid + <usize>j) * es;
  const at = (<usize>b * <usize>hid + <usize>j) * es;
  const i = sigmoidOf<T>(ld<T>(gp, scalar));
  const f = sigmoidOf<T>(ld<T>(gp + hb, scalar));
  const g = tanhOf<T>(ld<T>(gp + 2 * hb, scalar));
  const o = sigmoidOf<T>(ld<T>(gp + 3 * hb, scalar));
  const cn = v128.add<T>(v128.mul<T>(f, ld<T>(c + at, scalar)), v128.mul<T>(i, g));
  st<T>(out + <usize>rows * hb + at, cn, scalar);
  st<T>(out + at, v128.mul<T>(o, tanhOf<T>(cn)), scalar);
}

/** Backward at row b, column j, as cellAt. */
// @ts-ignore: decorator
@inline function cellBackAt<T>(gates: usize, c: usize, gOut: usize, out: usize, rows: i32, hid: i32, b: i32, j: i32, scalar: bool): void {
  const es = <usize>sizeof<T>();
  const hb = <usize>hid * es;
  const gp = gates + (<usize>b * 4 * <usize>hid + <usize>j) * es;
  const at = (<usize>b * <usize>hid + <usize>j) * es;
  const one = v128.splat<T>(<T>1);
  const i = sigmoidOf<T>(ld<T>(gp, scalar));
  const f = sigmoidOf<T>(ld<T>(gp + hb, scalar));
  const g = tanhOf<T>(ld<T>(gp + 2 * hb, scalar));
  const o = sigmoidOf<T>(ld<T>(gp + 3 * hb, scalar));
  const cPrev = ld<T>(c + at, scalar);
  const tc = tanhOf<T>(v128.add<T>(v128.mul<T>(f, cPrev), v128.mul<T>(i, g)));
  const gh = ld<T>(gOut + at, scalar);
  const gc = ld<T>(gOut + <usize>rows * hb + at, scalar);
  // dc' = gc + gh·o·(1 − tc²)
  const dc = v128.add<T>(gc, v128.mul<T>(v128.mul<T>(gh, o), v128.sub<T>(one, v128.mul<T>(tc, tc))));
  const op = out + (<usize>b * 4 * <usize>hid + <usize>j) * es;
  st<T>(op, v128.mul<T>(v128.mul<T>(dc, g), v128.mul<T>(i, v128.sub<T>(one, i))), scalar);
  st<T>(op + hb, v128.mul<T>(v128.mul<T>(dc, cPrev), v128.mul<T>(f, v128.sub<T>(one, f))), scalar);
  st<T>(op + 2 * hb, v128.mul<T>(v128.mul<T>(dc, i), v128.sub<T>(one, v128.mul<T>(g, g))), scalar);
  st<T>(op + 3 * hb, v128.mul<T>(v128.mul<T>(gh, tc), v128.mul<T>(o, v128.sub<T>(one, o))), scalar);
  st<T>(out + <usize>rows * 4 * hb + at, v128.mul<T>(dc, f), scalar);
}

// @ts-ignore: decorator
@inline function lstmCell<T>(gates: usize, c: usize, out: usize, rows: i32, hid: i32): void {
  const lanes = 16 / <i32>sizeof<T>();
  const hv = hid - (hid % lanes);
  for (let b = 0; b < rows; b++) {
    for (let j = 0; j < hv; j += lanes) cellAt<T>(gates, c, out, rows, hid, b, j, false);
    for (let j = hv; j < hid; j++) cellAt<T>(gates, c, out, rows, hid, b, j, true);
  }
}

// @ts-ignore: decorator
@inline function lstmCellBackward<T>(gates: usize, c: usize, gOut: usize, out: usize, rows: i32, hid: i32): void {
  const lanes = 16 / <i32>sizeof<T>();
  const hv = hid - (hid % lanes);
  for (let b = 0; b < rows; b++) {
    for (let j = 0; j < hv; j += lanes) cellBackAt<T>(gates, c, gOut, out, rows, hid, b, j, false);
    for (let j = hv; j < hid; j++) cellBackAt<T>(gates, c, gOut, out, rows, hid, b, j, true);
  }
}

/** out [2, rows, hid] = (h', c') from gates [rows, 4·hid] and c [rows, hid], float32. */
export function lstmCellF32(gates: usize, c: usize, out: usize, rows: i32, hid: i32): void {
  lstmCell<f32>(gates, c, out, rows, hid);
}

/** lstmCellF32 for float64. */
export function lstmCellF64(gates: usize, c: usize, out: usize, rows: i32, hid: i32): void {
  lstmCell<f64>(gates, c, out, rows, hid);
}

/** out = ∂gates [rows, 4·hid] then ∂c [rows, hid] from gOut [2, rows, hid], float32. */
export function lstmCellBackwardF32(gates: usize, c: usize, gOut: usize, out: usize, rows: i32, hid: i32): void {
  lstmCellBackward<f32>(gates, c, gOut, out, rows, hid);
}

/** lstmCellBackwardF32 for float64. */
export function lstmCellBackwardF64(gates: usize, c: usize, gOut: usize, out: usize, rows: i32, hid: i32): void {
  lstmCellBackward<f64>(gates, c, gOut, out, rows, hid);
}

/** GRU forward at row b, column j, as cellAt. */
// @ts-ignore: decorator
@inline function gruAt<T>(gi: usize, gh: usize, h: usize, out: usize, hid: i32, b: i32, j: i32, scalar: bool): void {
  const es = <usize>sizeof<T>();
  const hb = <usize>hid * es;
  const off = (<usize>b * 3 * <usize>hid + <usize>j) * es;
  const at = (<usize>b * <usize>hid + <usize>j) * es;
  const r = sigmoidOf<T>(v128.add<T>(ld<T>(gi + off, scalar), ld<T>(gh + off, scalar)));
  const z = sigmoidOf<T>(v128.add<T>(ld<T>(gi + off + hb, scalar), ld<T>(gh + off + hb, scalar)));
  const n = tanhOf<T>(v128.add<T>(ld<T>(gi + off + 2 * hb, scalar), v128.mul<T>(r, ld<T>(gh + off + 2 * hb, scalar))));
  // (1 − z)·n + z·h
  st<T>(out + at, v128.add<T>(v128.mul<T>(v128.sub<T>(v128.splat<T>(<T>1), z), n), v128.mul<T>(z, ld<T>(h + at, scalar))), scalar);
}

/** GRU backward at row b, column j: out = ∂gi [B, 3H], ∂gh [B, 3H], ∂h [B, H]. */
// @ts-ignore: decorator
@inline function gruBackAt<T>(gi: usize, gh: usize, h: usize, g: usize, out: usize, rows: i32, hid: i32, b: i32, j: i32, scalar: bool): void {
  const es = <usize>sizeof<T>();
  const hb = <usize>hid * es;
  const off = (<usize>b * 3 * <usize>hid + <usize>j) * es;
  const at = (<usize>b * <usize>hid + <usize>j) * es;
  const one = v128.splat<T>(<T>1);
  const r = sigmoidOf<T>(v128.add<T>(ld<T>(gi + off, scalar), ld<T>(gh + off, scalar)));
  const z = sigmoidOf<T>(v128.add<T>(ld<T>(gi + off + hb, scalar), ld<T>(gh + off + hb, scalar)));
  const hn = ld<T>(gh + off + 2 * hb, scalar);
  const n = tanhOf<T>(v128.add<T>(ld<T>(gi + off + 2 * hb, scalar), v128.mul<T>(r, hn)));
  const gv = ld<T>(g + at, scalar);
  // a = g·(1 − z)·(1 − n²), dr = a·gh_n·r(1 − r), dz = g·(h − n)·z(1 − z)
  const a = v128.mul<T>(v128.mul<T>(gv, v128.sub<T>(one, z)), v128.sub<T>(one, v128.mul<T>(n, n)));
  const dr = v128.mul<T>(v128.mul<T>(a, hn), v128.mul<T>(r, v128.sub<T>(one, r)));
  const dz = v128.mul<T>(v128.mul<T>(gv, v128.sub<T>(ld<T>(h + at, scalar), n)), v128.mul<T>(z, v128.sub<T>(one, z)));
  const second = out + <usize>rows * 3 * hb;
  st<T>(out + off, dr, scalar);
  st<T>(out + off + hb, dz, scalar);
  st<T>(out + off + 2 * hb, a, scalar);
  st<T>(second + off, dr, scalar);
  st<T>(second + off + hb, dz, scalar);
  st<T>(second + off + 2 * hb, v128.mul<T>(a, r), scalar);
  st<T>(second + <usize>rows * 3 * hb + at, v128.mul<T>(gv, z), scalar);
}

// @ts-ignore: decorator
@inline function gruCell<T>(gi: usize, gh: usize, h: usize, out: usize, rows: i32, hid: i32): void {
  const lanes = 16 / <i32>sizeof<T>();
  const hv = hid - (hid % lanes);
  for (let b = 0; b < rows; b++) {
    for (let j = 0; j < hv; j += lanes) gruAt<T>(gi, gh, h, out, hid, b, j, false);
    for (let j = hv; j < hid; j++) gruAt<T>(gi, gh, h, out, hid, b, j, true);
  }
}

// @ts-ignore: decorator
@inline function gruCellBackward<T>(gi: usize, gh: usize, h: usize, g: usize, out: usize, rows: i32, hid: i32): void {
  const lanes = 16 / <i32>sizeof<T>();
  const hv = hid - (hid % lanes);
  for (let b = 0; b < rows; b++) {
    for (let j = 0; j < hv; j += lanes) gruBackAt<T>(gi, gh, h, g, out, rows, hid, b, j, false);
    for (let j = hv; j < hid; j++) gruBackAt<T>(gi, gh, h, g, out, rows, hid, b, j, true);
  }
}

/** out h' [rows, hid] from gi, gh [rows, 3·hid] and h [rows, hid], float32. */
export function gruCellF32(gi: usize, gh: usize, h: usize, out: usize, rows: i32, hid: i32): void {
  gruCell<f32>(gi, gh, h, out, rows, hid);
}

/** gruCellF32 for float64. */
export function gruCellF64(gi: usize, gh: usize, h: usize, out: usize, rows: i32, hid: i32): void {
  gruCell<f64>(gi, gh, h, out, rows, hid);
}

/** out = ∂gi [rows, 3·hid], ∂gh [rows, 3·hid], ∂h [rows, hid] from g [rows, hid], float32. */
export function gruCellBackwardF32(gi: usize, gh: usize, h: usize, g: usize, out: usize, rows: i32, hid: i32): void {
  gruCellBackward<f32>(gi, gh, h, g, out, rows, hid);
}

/** gruCellBackwardF32 for float64. */
export function gruCellBackwardF64(gi: usize, gh: usize, h: usize, g: usize, out: usize, rows: i32, hid: i32): void {
  gruCellBackward<f64>(gi, gh, h, g, out, rows, hid);
}
