/**
 * Primitive `gruCell`: one GRU step's elementwise part from gi = W_ih·x + b_ih and
 * gh = W_hh·h + b_hh, each [B, 3H] in PyTorch's order r, z, n, and h [B, H]:
 * r = σ(gi_r + gh_r), z = σ(gi_z + gh_z), n = tanh(gi_n + r·gh_n), h' = (1 − z)·n + z·h.
 * One kernel forward (Backend.gruCell) and one backward (Backend.gruCellBackward) instead of about
 * ten and twenty elementwise ops; when the backward pass is itself recorded (createGraph), the
 * vjp is the same formulas in Tensor ops. Kernels: backend/cpu/recurrent.ts, assembly/recurrent.ts.
 */

import { isGradEnabled } from "../engine/grad-mode.js";
import { DTypeError, ShapeError, fmtShape } from "../errors.js";
import { promoteTypes } from "../dtype.js";
import type { Tensor } from "../tensor.js";
import { checkTensor } from "../validate.js";
import { castTo } from "./cast.js";
import { cat } from "./cat.js";
import { sigmoidBackward, tanhBackward } from "./activation-grads.js";
import { allocTensor, commonBackend, defineOp, viewTensor } from "./define.js";

const gruCellOp = defineOp({
  name: "gruCell",
  saves: { inputs: true, output: false },
  forward: (inputs) => {
    const [gi, gh, h] = inputs;
    const backend = commonBackend("gruCell", inputs);
    const out = allocTensor(backend, h.shape, h.dtype, "gruCell");
    backend.gruCell(gi, gh, h, out.buffer);
    return out;
  },
  vjp: (g, ctx) => {
    const [gi, gh, h] = ctx.inputs;
    const [rows, hid] = h.shape;
    if (!isGradEnabled()) {
      // the plain backward pass: one kernel for the three gradients, views of one buffer
      const all = allocTensor(h.backend, [7 * rows * hid], h.dtype, "gruCell");
      h.backend.gruCellBackward(gi, gh, h, g, all.buffer);
      const part = (k: number, width: number, offset: number): Tensor | null =>
        ctx.needsInputGrad(k) ? viewTensor(all, [rows, width], [width, 1], offset) : null;
      return [part(0, 3 * hid, 0), part(1, 3 * hid, 3 * rows * hid), part(2, hid, 6 * rows * hid)];
    }
    // Recorded backward, the kernel's formulas in Tensor ops: a = g·(1 − z)·(1 − n²),
    // dr = a·gh_n·σ'(r), dz = g·(h − n)·σ'(z); ∂gi = (dr, dz, a), ∂gh = (dr, dz, a·r), ∂h = g·z.
    const [ir, iz, inn] = gi.chunk(3, 1);
    const [hr, hz, hn] = gh.chunk(3, 1);
    const r = ir.add(hr).sigmoid();
    const z = iz.add(hz).sigmoid();
    const n = inn.add(r.mul(hn)).tanh();
    const a = tanhBackward(g.mul(z.neg().add(1)), n);
    const dr = sigmoidBackward(a.mul(hn), r);
    const dz = sigmoidBackward(g.mul(h.sub(n)), z);
    return [
      ctx.needsInputGrad(0) ? cat([dr, dz, a], 1) : null,
      ctx.needsInputGrad(1) ? cat([dr, dz, a.mul(r)], 1) : null,
      ctx.needsInputGrad(2) ? g.mul(z) : null,
    ];
  },
});

/**
 * One GRU step (PyTorch's GRUCell after its two products): from gi = W_ih·x + b_ih and
 * gh = W_hh·h + b_hh, each [B, 3H] (r, z, n), and h [B, H], the next state
 * h' = (1 − z)·n + z·h with r = σ(gi_r + gh_r), z = σ(gi_z + gh_z), n = tanh(gi_n + r·gh_n).
 */
export function gruCell(gi: Tensor, gh: Tensor, h: Tensor): Tensor {
  checkTensor("gruCell", "gi", gi);
  checkTensor("gruCell", "gh", gh);
  checkTensor("gruCell", "h", h);
  if (!gi.isFloatingPoint() || !gh.isFloatingPoint() || !h.isFloatingPoint()) {
    throw new DTypeError(`gruCell: gi, gh and h must be float, got ${gi.dtype}, ${gh.dtype} and ${h.dtype}`);
  }
  const ok = (t: Tensor): boolean => t.ndim === 2 && t.shape[0] === h.shape[0] && t.shape[1] === 3 * h.shape[1];
  if (h.ndim !== 2 || !ok(gi) || !ok(gh)) {
    throw new ShapeError(`gruCell: expected gi and gh [B, 3H] and h [B, H], got ${fmtShape(gi.shape)}, ${fmtShape(gh.shape)} and ${fmtShape(h.shape)}`);
  }
  const dtype = promoteTypes(promoteTypes(gi.dtype, gh.dtype), h.dtype);
  return gruCellOp([castTo(gi, dtype), castTo(gh, dtype), castTo(h, dtype)], undefined);
}
