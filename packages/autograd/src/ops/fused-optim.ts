/**
 * Fused optimizer updates: one backend call in place of the dozen elementwise ops (and their
 * temporaries) of an update written in Tensor ops. Bit for bit the op-by-op result; backends
 * without a fused kernel say so, and the optimizer runs the ops instead.
 */

import type { AdadeltaStepScalars, AdamStepScalars } from "../backend/backend.js";
import { isGradEnabled } from "../engine/grad-mode.js";
import { shapesEqual } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { ownsWholeBuffer } from "./define.js";

/**
 * Whether a fused kernel may update [param, grad, state...] in place: same backend, shape and
 * float dtype, each owning its whole buffer, no two sharing memory, outside grad mode (or param
 * not requiring grad; in grad mode the op path gives the in-place error).
 */
function fusable(tensors: readonly Tensor[]): boolean {
  const param = tensors[0];
  if (param.requiresGrad && isGradEnabled()) return false;
  if (!param.isFloatingPoint()) return false;
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i];
    if (t.backend !== param.backend || t.dtype !== param.dtype || !shapesEqual(t.shape, param.shape) || !ownsWholeBuffer(t)) return false;
    for (let j = 0; j < i; j++) if (tensors[j].buffer === t.buffer) return false;
  }
  return true;
}

/** Marks the updated tensors (param and the states) as written. */
function bumpVersions(updated: readonly Tensor[]): true {
  for (const t of updated) t.buffer.version++;
  return true;
}

/**
 * One Adam or AdamW step in place on `param`, `expAvg` and `expAvgSq` through the backend's fused
 * kernel, when it has one and the tensors allow it (see fusable). Returns false, changing
 * nothing, otherwise: the caller then runs the op-by-op update, which this matches bit for bit.
 * Used by nn's Adam and AdamW; `scalars` says how to compute the step.
 */
export function fusedAdamStep_(param: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, scalars: AdamStepScalars): boolean {
  const backend = param.backend;
  if (backend.adamStep === undefined || !fusable([param, grad, expAvg, expAvgSq])) return false;
  if (!backend.adamStep(param.buffer, grad.buffer, expAvg.buffer, expAvgSq.buffer, scalars)) return false;
  return bumpVersions([param, expAvg, expAvgSq]);
}

/**
 * One Adadelta step in place on `param`, `squareAvg` and `accDelta` through the backend's fused
 * kernel, under the same conditions as fusedAdamStep_; false, changing nothing, otherwise. Used
 * by nn's Adadelta.
 */
export function fusedAdadeltaStep_(param: Tensor, grad: Tensor, squareAvg: Tensor, accDelta: Tensor, scalars: AdadeltaStepScalars): boolean {
  const backend = param.backend;
  if (backend.adadeltaStep === undefined || !fusable([param, grad, squareAvg, accDelta])) return false;
  if (!backend.adadeltaStep(param.buffer, grad.buffer, squareAvg.buffer, accDelta.buffer, scalars)) return false;
  return bumpVersions([param, squareAvg, accDelta]);
}
