/**
 * Primitive `lstmCell`: one LSTM step's elementwise part, from the pre-activation gates [B, 4H]
 * (PyTorch's order i, f, g, o) and the cell state c [B, H] to (h', c') as one [2, B, H] tensor:
 * c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c'). One kernel forward (Backend.lstmCell) instead of
 * nine elementwise ops, and one backward (Backend.lstmCellBackward) instead of about twenty.
 * When the backward pass is itself recorded (createGraph), the vjp is the same formulas in Tensor
 * ops, so gradients of every order are right. Kernels: backend/cpu/recurrent.ts.
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

const lstmCellOp = defineOp({
  name: "lstmCell",
  saves: { inputs: true, output: false },
  forward: (inputs) => {
    const [gates, c] = inputs;
    const backend = commonBackend("lstmCell", inputs);
    const out = allocTensor(backend, [2, ...c.shape], c.dtype, "lstmCell");
    backend.lstmCell(gates, c, out.buffer);
    return out;
  },
  vjp: (g, ctx) => {
    const [gates, c] = ctx.inputs;
    const [rows, hid] = c.shape;
    if (!isGradEnabled()) {
      // the plain backward pass: one kernel for both gradients, views of one buffer
      const both = allocTensor(gates.backend, [5 * rows * hid], c.dtype, "lstmCell");
      gates.backend.lstmCellBackward(gates, c, g, both.buffer);
      return [
        ctx.needsInputGrad(0) ? viewTensor(both, [rows, 4 * hid], [4 * hid, 1], 0) : null,
        ctx.needsInputGrad(1) ? viewTensor(both, [rows, hid], [hid, 1], 4 * rows * hid) : null,
      ];
    }
    // Recorded backward, the kernel's formulas (backend/cpu/recurrent.ts) in Tensor ops:
    // dc' = gc + gh·σ(o)·(1 − tanh²c'); ∂i = σ'·dc'·tanh(g), ∂f = σ'·dc'·c, ∂g = tanh'·dc'·σ(i),
    // ∂o = σ'·gh·tanh(c'), ∂c = dc'·σ(f).
    const [i, f, gg, o] = gates.chunk(4, 1).map((x, k) => (k === 2 ? x.tanh() : x.sigmoid()));
    const tc = f.mul(c).add(i.mul(gg)).tanh();
    const gh = g.select(0, 0);
    const dc = g.select(0, 1).add(tanhBackward(gh.mul(o), tc));
    return [
      ctx.needsInputGrad(0)
        ? cat([sigmoidBackward(dc.mul(gg), i), sigmoidBackward(dc.mul(c), f), tanhBackward(dc.mul(i), gg), sigmoidBackward(gh.mul(tc), o)], 1)
        : null,
      ctx.needsInputGrad(1) ? dc.mul(f) : null,
    ];
  },
});

/**
 * One LSTM step's gates and state update: from gates [B, 4H] (i, f, g, o pre-activations, as
 * W_ih·x + b_ih + W_hh·h + b_hh) and c [B, H], the [2, B, H] tensor (h', c') with
 * c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c') (PyTorch's LSTMCell).
 */
export function lstmCell(gates: Tensor, c: Tensor): Tensor {
  checkTensor("lstmCell", "gates", gates);
  checkTensor("lstmCell", "c", c);
  if (!gates.isFloatingPoint() || !c.isFloatingPoint()) throw new DTypeError(`lstmCell: gates and c must be float, got ${gates.dtype} and ${c.dtype}`);
  if (c.ndim !== 2 || gates.ndim !== 2 || gates.shape[0] !== c.shape[0] || gates.shape[1] !== 4 * c.shape[1]) {
    throw new ShapeError(`lstmCell: expected gates [B, 4H] and c [B, H], got ${fmtShape(gates.shape)} and ${fmtShape(c.shape)}`);
  }
  const dtype = promoteTypes(gates.dtype, c.dtype);
  return lstmCellOp([castTo(gates, dtype), castTo(c, dtype)], undefined);
}
