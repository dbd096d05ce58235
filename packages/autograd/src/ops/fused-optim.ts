/**
 * Fused optimizer updates: one backend call in place of the dozen elementwise ops (and their
 * temporaries) of an update written in Tensor ops. Bit for bit the op-by-op result; backends
 * without a fused kernel say so, and the optimizer runs the ops instead.
 */

import type { AdamStepScalars } from "../backend/backend.js";
import { isGradEnabled } from "../engine/grad-mode.js";
import { shapesEqual } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { ownsWholeBuffer } from "./define.js";

/**
 * One Adam or AdamW step in place on `param`, `expAvg` and `expAvgSq` through the backend's fused
 * kernel, when it has one and the tensors allow it: same backend, shape and float dtype, each
 * owning its whole buffer, no two sharing memory, outside grad mode (or param not requiring grad).
 * Returns false, changing nothing, otherwise: the caller then runs the op-by-op update, which this
 * matches bit for bit. Used by nn's Adam and AdamW; `scalars` says how to compute the step.
 */
export function fusedAdamStep_(param: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, scalars: AdamStepScalars): boolean {
  const backend = param.backend;
  if (backend.adamStep === undefined) return false;
  if (param.requiresGrad && isGradEnabled()) return false; // the op path gives the in-place error
  const tensors = [param, grad, expAvg, expAvgSq];
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i];
    if (t.backend !== backend || t.dtype !== param.dtype || !shapesEqual(t.shape, param.shape) || !ownsWholeBuffer(t)) return false;
    for (let j = 0; j < i; j++) if (tensors[j].buffer === t.buffer) return false;
  }
  if (!param.isFloatingPoint()) return false;
  if (!backend.adamStep(param.buffer, grad.buffer, expAvg.buffer, expAvgSq.buffer, scalars)) return false;
  param.buffer.version++;
  expAvg.buffer.version++;
  expAvgSq.buffer.version++;
  return true;
}
