/**
 * Gradient memory reuse in reverse mode. An eager training step allocates every gradient afresh,
 * and JavaScript frees memory only when the garbage collector runs — never inside a synchronous
 * loop. But the engine knows when most gradients die: a gradient waiting for a node is consumed
 * by that node's vjp, and nobody else can see it. This ledger counts, per buffer, the waiting
 * gradients that use it; when the count of a buffer allocated during this backward pass comes
 * back to zero, its memory goes back to the backend for the next alloc (backend.ts,
 * BufferRecycler). Only buffers that reached user code are never reused: anything a hook or
 * a custom function's backward saw, retained gradients and `.grad`s ("escaped").
 */

import type { Backend, BackendBuffer } from "../backend/backend.js";
import type { Tensor } from "../tensor.js";

export class GradientMemory {
  /** Per backend, its allocation count when this pass first met it: later buffers are this pass's. */
  private readonly marks = new Map<Backend, number>();
  /** How many waiting gradients use each tracked buffer. */
  private readonly holders = new Map<BackendBuffer, number>();
  private readonly escaped = new Set<BackendBuffer>();

  /** Starts the pass: the roots' backends are marked now, before any gradient is computed. */
  constructor(roots: readonly Tensor[]) {
    for (const root of roots) this.markOf(root.backend);
  }

  private markOf(backend: Backend): number {
    let mark = this.marks.get(backend);
    if (mark === undefined) {
      mark = backend.recycler?.mark() ?? Infinity;
      this.marks.set(backend, mark);
    }
    return mark;
  }

  /** g is now waiting (for a node or a leaf). */
  hold(g: Tensor): void {
    const buffer = g.buffer;
    const count = this.holders.get(buffer);
    if (count !== undefined) this.holders.set(buffer, count + 1);
    else if (!this.escaped.has(buffer) && g.backend.recycler?.recyclable(buffer, this.markOf(g.backend))) this.holders.set(buffer, 1);
  }

  /** A held g was consumed (by a vjp, or summed into another gradient): its memory is free when no other waiting gradient uses it. */
  release(g: Tensor): void {
    const buffer = g.buffer;
    const count = this.holders.get(buffer);
    if (count === undefined) return;
    if (count > 1) {
      this.holders.set(buffer, count - 1);
      return;
    }
    this.holders.delete(buffer);
    if (!this.escaped.has(buffer)) g.backend.recycler?.recycle(buffer);
  }

  /** g reached user code or became a `.grad`: its buffer is never reused. */
  escape(g: Tensor): void {
    this.escaped.add(g.buffer);
  }
}
