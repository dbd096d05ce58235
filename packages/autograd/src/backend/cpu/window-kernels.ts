/**
 * Sliding-window kernels of the convolution and pooling family, in plain TypeScript: im2col,
 * col2im (its adjoint) and max pooling with indices. The rest of the family: the Window2d
 * geometry and the kernel contracts in backend/backend.ts; the primitives in ops/unfold.ts
 * (unfold/fold) and ops/max-pool.ts; composites in ops/conv.ts, ops/avg-pool.ts and ops/pad.ts;
 * argument checks in ops/window-args.ts. The wasm backend inherits these kernels from the cpu one.
 *
 * Every loop runs over whole rows of the window grid with the in-image column range worked out
 * once per kernel tap, so the inner loops have no bounds tests.
 */

import type { StridedView, Window2d } from "../backend.js";
import type { CpuBuffer } from "./cpu-backend.js";

type View = StridedView<CpuBuffer>;

/** The first j ≥ 0 with j·step + off ≥ 0. */
function firstInside(off: number, step: number): number {
  return off >= 0 ? 0 : Math.ceil(-off / step);
}

/** One past the last j (capped at count) with j·step + off < size. */
function endInside(off: number, step: number, size: number, count: number): number {
  return Math.max(0, Math.min(count, Math.ceil((size - off) / step)));
}

/** im2col: x [N, C, H, W] (any strides) → out [N, C·kh·kw, oh·ow], zeros in the padding. */
export function cpuIm2col(x: View, w: Window2d, out: CpuBuffer): void {
  const [N, C, H, W] = x.shape;
  const [sn, sc, sy, sx] = x.strides;
  const xd = x.buffer.data;
  const od = out.data;
  const { kh, kw, sh, sw, ph, pw, dh, dw, oh, ow } = w;
  const step = sw * sx;
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const plane = x.offset + n * sn + c * sc;
      for (let r = 0; r < kh; r++) {
        for (let q = 0; q < kw; q++) {
          const colOff = q * dw - pw;
          const j0 = Math.min(ow, firstInside(colOff, sw));
          const j1 = Math.max(j0, endInside(colOff, sw, W, ow));
          for (let i = 0; i < oh; i++, o += ow) {
            const y = i * sh - ph + r * dh;
            if (y < 0 || y >= H) {
              od.fill(0, o, o + ow);
              continue;
            }
            if (j0 > 0) od.fill(0, o, o + j0);
            let ix = plane + y * sy + (j0 * sw + colOff) * sx;
            for (let j = o + j0, end = o + j1; j < end; j++, ix += step) od[j] = xd[ix];
            if (j1 < ow) od.fill(0, o + j1, o + ow);
          }
        }
      }
    }
  }
}

/** col2im: cols [N, C·kh·kw, oh·ow] (any strides) → out [N, C, height, width], overlaps summed. */
export function cpuCol2im(cols: View, w: Window2d, height: number, width: number, out: CpuBuffer): void {
  const { kh, kw, sh, sw, ph, pw, dh, dw, oh, ow } = w;
  const [N, rows] = cols.shape;
  const C = rows / (kh * kw);
  const [cn, ck, cl] = cols.strides;
  const cd = cols.buffer.data;
  const od = out.data;
  od.fill(0);
  const plane = height * width;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const outPlane = (n * C + c) * plane;
      for (let r = 0; r < kh; r++) {
        for (let q = 0; q < kw; q++) {
          const colOff = q * dw - pw;
          const j0 = Math.min(ow, firstInside(colOff, sw));
          const j1 = Math.max(j0, endInside(colOff, sw, width, ow));
          const rowStart = cols.offset + n * cn + ((c * kh + r) * kw + q) * ck;
          for (let i = 0; i < oh; i++) {
            const y = i * sh - ph + r * dh;
            if (y < 0 || y >= height) continue;
            let io = outPlane + y * width + j0 * sw + colOff;
            let ic = rowStart + (i * ow + j0) * cl;
            for (let j = j0; j < j1; j++, io += sw, ic += cl) od[io] += cd[ic];
          }
        }
      }
    }
  }
}

/**
 * Max pooling with indices, PyTorch's CPU loop: each window is clipped to the image (padding is
 * −∞), the first strict maximum wins, and a NaN replaces whatever came before it.
 */
export function cpuMaxPool2d(x: View, w: Window2d, values: CpuBuffer, indices: CpuBuffer): void {
  const [N, C, H, W] = x.shape;
  const [sn, sc, sy, sx] = x.strides;
  const xd = x.buffer.data;
  const vd = values.data;
  const id = indices.data;
  const { kh, kw, sh, sw, ph, pw, dh, dw, oh, ow } = w;
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const plane = x.offset + n * sn + c * sc;
      for (let i = 0; i < oh; i++) {
        let y0 = i * sh - ph;
        const y1 = Math.min(y0 + (kh - 1) * dh + 1, H);
        while (y0 < 0) y0 += dh;
        for (let j = 0; j < ow; j++, o++) {
          let x0 = j * sw - pw;
          const x1 = Math.min(x0 + (kw - 1) * dw + 1, W);
          while (x0 < 0) x0 += dw;
          let best = -Infinity;
          let bestIndex = y0 * W + x0;
          for (let y = y0; y < y1; y += dh) {
            for (let xx = x0, ix = plane + y * sy + x0 * sx; xx < x1; xx += dw, ix += dw * sx) {
              const v = xd[ix];
              if (v > best || v !== v) {
                best = v;
                bestIndex = y * W + xx;
              }
            }
          }
          vd[o] = best;
          id[o] = bestIndex;
        }
      }
    }
  }
}
