/** Whole contiguous buffers for the kernels that take them (gelu, layerNorm, attentionSoftmax). */

import type { BackendBuffer } from "../backend/backend.js";
import type { Tensor } from "../tensor.js";
import { allocTensor, ownsWholeBuffer } from "./define.js";

/** The buffer of `t` when t owns all of it in row-major order, else of a fresh contiguous copy (no graph node). */
export function denseBuffer(t: Tensor): BackendBuffer {
  if (ownsWholeBuffer(t)) return t.buffer;
  const out = allocTensor(t.backend, t.shape, t.dtype);
  t.backend.copy(t, out);
  return out.buffer;
}
