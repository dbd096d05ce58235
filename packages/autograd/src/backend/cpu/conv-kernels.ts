/**
 * 2-d convolution kernels in plain TypeScript, the oracle of the wasm ones: forward, input
 * gradient and weight gradient, straight from the definition, each output a float64 sum rounded
 * once to the dtype. The family's other pieces: the contracts in backend/backend.ts, the
 * primitives in ops/conv2d.ts, the wasm kernels in backend/wasm/conv.ts and assembly/conv.ts.
 *
 * Every loop runs over whole rows of the window grid with the in-image column range of each
 * kernel tap worked out once (as backend/cpu/window-kernels.ts does), so inner loops have no
 * bounds tests.
 */

import type { StridedView, Window2d } from "../backend.js";
import type { CpuBuffer } from "./cpu-backend.js";

type View = StridedView<CpuBuffer>;

/** The column range [j0, j1) of the grid whose tap at column offset colOff lands inside a width-`size` row. */
function columnRange(colOff: number, step: number, size: number, count: number): [number, number] {
  const j0 = colOff >= 0 ? 0 : Math.min(count, Math.ceil(-colOff / step));
  const j1 = Math.max(j0, Math.min(count, Math.ceil((size - colOff) / step)));
  return [j0, j1];
}

/** conv2d: out[n, o, i, j] = bias[o] + Σ_{c in o's group, r, q} w[o, c, r, q]·x[n, c, i·sh − ph + r·dh, j·sw − pw + q·dw]. */
export function cpuConv2d(x: View, weight: View, bias: View | null, win: Window2d, groups: number, out: CpuBuffer): void {
  const [N, , H, W] = x.shape;
  const [xn, xc, xy, xx] = x.strides;
  const [O, cg] = weight.shape;
  const [wo, wc, wr, wq] = weight.strides;
  const { kh, kw, sh, sw, ph, pw, dh, dw, oh, ow } = win;
  const og = O / groups;
  const xd = x.buffer.data;
  const wd = weight.buffer.data;
  const od = out.data;
  const acc = new Float64Array(oh * ow);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      acc.fill(bias === null ? 0 : bias.buffer.data[bias.offset + o * bias.strides[0]]);
      const c0 = Math.floor(o / og) * cg;
      for (let c = 0; c < cg; c++) {
        const plane = x.offset + n * xn + (c0 + c) * xc;
        for (let r = 0; r < kh; r++) {
          for (let q = 0; q < kw; q++) {
            const wv = wd[weight.offset + o * wo + c * wc + r * wr + q * wq];
            const colOff = q * dw - pw;
            const [j0, j1] = columnRange(colOff, sw, W, ow);
            for (let i = 0; i < oh; i++) {
              const y = i * sh - ph + r * dh;
              if (y < 0 || y >= H) continue;
              let ix = plane + y * xy + (j0 * sw + colOff) * xx;
              for (let j = i * ow + j0, end = i * ow + j1; j < end; j++, ix += sw * xx) acc[j] += wv * xd[ix];
            }
          }
        }
      }
      od.set(acc, (n * O + o) * oh * ow);
    }
  }
}

/** conv2d's input gradient: out[n, c, y, x] = Σ over the (o, r, q, i, j) that read x[n, c, y, x] of g[n, o, i, j]·w[o, c, r, q]. */
export function cpuConv2dInputGrad(g: View, weight: View, win: Window2d, groups: number, height: number, width: number, out: CpuBuffer): void {
  const [N, O] = g.shape;
  const [gn, go, gi, gj] = g.strides;
  const [, cg] = weight.shape;
  const [wo, wc, wr, wq] = weight.strides;
  const { kh, kw, sh, sw, ph, pw, dh, dw, oh, ow } = win;
  const og = O / groups;
  const C = cg * groups;
  const gd = g.buffer.data;
  const wd = weight.buffer.data;
  const od = out.data;
  const acc = new Float64Array(height * width);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      acc.fill(0);
      const group = Math.floor(c / cg);
      for (let o = group * og; o < (group + 1) * og; o++) {
        const gPlane = g.offset + n * gn + o * go;
        for (let r = 0; r < kh; r++) {
          for (let q = 0; q < kw; q++) {
            const wv = wd[weight.offset + o * wo + (c - group * cg) * wc + r * wr + q * wq];
            const colOff = q * dw - pw;
            const [j0, j1] = columnRange(colOff, sw, width, ow);
            for (let i = 0; i < oh; i++) {
              const y = i * sh - ph + r * dh;
              if (y < 0 || y >= height) continue;
              let ig = gPlane + i * gi + j0 * gj;
              for (let j = j0, a = y * width + j0 * sw + colOff; j < j1; j++, a += sw, ig += gj) acc[a] += wv * gd[ig];
            }
          }
        }
      }
      od.set(acc, (n * C + c) * height * width);
    }
  }
}

/** conv2d's weight gradient: out[o, c, r, q] = Σ_{n, i, j} g[n, o, i, j]·x[n, c of o's group, i·sh − ph + r·dh, j·sw − pw + q·dw]. */
export function cpuConv2dWeightGrad(x: View, g: View, win: Window2d, groups: number, out: CpuBuffer): void {
  const [N, C, H, W] = x.shape;
  const [xn, xc, xy, xx] = x.strides;
  const O = g.shape[1];
  const [gn, go, gi, gj] = g.strides;
  const { kh, kw, sh, sw, ph, pw, dh, dw, oh, ow } = win;
  const og = O / groups;
  const cg = C / groups;
  const xd = x.buffer.data;
  const gd = g.buffer.data;
  const od = out.data;
  let k = 0;
  for (let o = 0; o < O; o++) {
    const c0 = Math.floor(o / og) * cg;
    for (let c = 0; c < cg; c++) {
      for (let r = 0; r < kh; r++) {
        for (let q = 0; q < kw; q++, k++) {
          const colOff = q * dw - pw;
          const [j0, j1] = columnRange(colOff, sw, W, ow);
          let s = 0;
          for (let n = 0; n < N; n++) {
            const plane = x.offset + n * xn + (c0 + c) * xc;
            const gPlane = g.offset + n * gn + o * go;
            for (let i = 0; i < oh; i++) {
              const y = i * sh - ph + r * dh;
              if (y < 0 || y >= H) continue;
              let ix = plane + y * xy + (j0 * sw + colOff) * xx;
              let ig = gPlane + i * gi + j0 * gj;
              for (let j = j0; j < j1; j++, ix += sw * xx, ig += gj) s += gd[ig] * xd[ix];
            }
          }
          od[k] = s;
        }
      }
    }
  }
}

/** Max pooling's gradient: out = zeros [N, C, height, width], then out[n, c, indices[n, c, i, j]] += g[n, c, i, j]. */
export function cpuMaxPool2dBackward(g: View, indices: View, height: number, width: number, out: CpuBuffer): void {
  const [N, C, oh, ow] = g.shape;
  const [gn, gc, gi, gj] = g.strides;
  const [jn, jc, ji, jj] = indices.strides;
  const gd = g.buffer.data;
  const id = indices.buffer.data;
  const od = out.data;
  od.fill(0);
  const plane = height * width;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = (n * C + c) * plane;
      for (let i = 0; i < oh; i++) {
        let ig = g.offset + n * gn + c * gc + i * gi;
        let ii = indices.offset + n * jn + c * jc + i * ji;
        for (let j = 0; j < ow; j++, ig += gj, ii += jj) od[base + id[ii]] += gd[ig];
      }
    }
  }
}
