/** Backend memory shared by a tensor and all of its views, with the in-place version counter. */

import type { Backend, BackendBuffer } from "./backend/backend.js";

/** A buffer plus the backend that owns it. Views of one tensor share one Storage. */
export class Storage {
  /** Bumped by every in-place write; autograd compares it to detect modified saved tensors. */
  version = 0;

  constructor(
    readonly backend: Backend,
    readonly buffer: BackendBuffer,
  ) {}
}
