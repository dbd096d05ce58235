/**
 * Memory scopes for tight loops on a GPU. PyTorch frees CUDA memory when the last reference to a
 * tensor goes; JavaScript frees a tensor only when the garbage collector runs, and V8 times its
 * collections by host memory, knowing nothing of the GPU memory behind a small tensor object. So
 * a loop can hold many steps' worth of GPU memory before a collection hands it back (the webgpu
 * backend returns it then, through a FinalizationRegistry). `memoryScope(fn)` gives it back as
 * soon as `fn` ends: the memory of every tensor created while it runs goes back to the backend
 * (`Backend.dispose`), except what `fn` returns, what `keep` marks, gradients stored as `.grad`
 * and, in nn, parameters, module buffers and optimizer state; a `.grad` made in a scope and
 * dropped in a later one (zeroGrad) goes back at the end of that one. On host backends, whose
 * memory the garbage collector owns, disposing is a no-op and a scope changes nothing.
 */

import type { Backend, BackendBuffer } from "../backend/backend.js";
import { backendNamed, listBackends } from "../backend/registry.js";
import { ValueError } from "../errors.js";
import { Tensor } from "../tensor.js";

/** One open scope: the tensors created in it (and .grads dropped in it), and each backend's allocation count at its start. */
interface Frame {
  readonly tensors: Tensor[];
  readonly adopted: Tensor[];
  readonly marks: Map<Backend, number>;
}

const frames: Frame[] = [];
/** Memory that outlives every scope (keep). */
const kept = new WeakSet<BackendBuffer>();
/** Memory held as some tensor's .grad, with how many .grads hold it. */
const heldAsGrad = new WeakMap<BackendBuffer, number>();
/** Tensors created while a scope was open. */
const madeInScope = new WeakSet<Tensor>();

/** @internal Called by the Tensor constructor: the innermost open scope owns the new tensor. */
export function trackTensor(t: Tensor): void {
  if (frames.length === 0) return;
  frames[frames.length - 1].tensors.push(t);
  madeInScope.add(t);
}

/**
 * Marks `t`'s memory to outlive every memory scope (a no-op outside them) and returns `t`: for
 * tensors a scope's function stores elsewhere instead of returning (a running total, a list of
 * losses). Views of the same memory are kept with it; the garbage collector still frees it.
 */
export function keep<T extends Tensor>(t: T): T {
  kept.add(t.buffer);
  return t;
}

/**
 * @internal The grad setter: `value` becomes a .grad (its memory outlives scopes while it is
 * one) and `old` stops being one. A dropped .grad that a scope created (backward's, at the first
 * step) belongs to the scope that drops it (zeroGrad's set-to-none inside the next step), which
 * disposes it at its end; memory made outside scopes is never adopted.
 */
export function swapGrad(old: Tensor | null, value: Tensor | null): void {
  if (value !== null) heldAsGrad.set(value.buffer, (heldAsGrad.get(value.buffer) ?? 0) + 1);
  if (old === null) return;
  const count = (heldAsGrad.get(old.buffer) ?? 1) - 1;
  if (count > 0) heldAsGrad.set(old.buffer, count);
  else heldAsGrad.delete(old.buffer);
  if (frames.length > 0 && madeInScope.has(old)) frames[frames.length - 1].adopted.push(old);
}

/** The tensors in a returned value: a tensor, or arrays and plain objects holding tensors, at any depth. */
function collectTensors(value: unknown, into: Tensor[], seen: Set<unknown>): void {
  if (value === null || typeof value !== "object" || seen.has(value)) return;
  seen.add(value);
  if (value instanceof Tensor) {
    into.push(value);
  } else if (Array.isArray(value)) {
    for (const item of value) collectTensors(item, into, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype || value instanceof Map) {
    for (const item of value instanceof Map ? value.values() : Object.values(value)) collectTensors(item, into, seen);
  }
}

/**
 * Runs `fn` and then gives back the memory of every tensor created while it ran (to the GPU
 * pool on webgpu; host memory stays with the garbage collector), except:
 * - what `fn` returns (a tensor, or arrays and plain objects of tensors, with their views);
 * - tensors marked with `keep`, and gradients stored as a tensor's `.grad` (by `backward()` or
 *   by assignment) — until a later scope drops them (zeroGrad), which then disposes them;
 * - in nn: parameters, module buffers and optimizer state created inside.
 * Put a whole training step inside (forward, backward, the optimizer's step): a tensor disposed
 * here is unusable afterwards, including for a backward pass through a graph built inside.
 * Scopes nest: what an inner scope returns belongs to the outer one. `fn` must be synchronous:
 * a Promise is refused (tensors made after its first await would escape the scope), without
 * disposing anything. If `fn` throws, its tensors are disposed and the error propagates.
 *
 * @example
 * for (let step = 0; step < 10_000; step++) {
 *   const loss = memoryScope(() => {
 *     optimizer.zeroGrad();
 *     const loss = crossEntropy(model.forward(x), y);
 *     loss.backward();
 *     optimizer.step();
 *     return loss; // kept: read it after the scope, then dispose it or let it go
 *   });
 * }
 */
export function memoryScope<T>(fn: () => T): T {
  if (typeof fn !== "function") throw new ValueError(`memoryScope: expected a function, got ${typeof fn}`);
  const marks = new Map<Backend, number>();
  for (const name of listBackends()) {
    const backend = backendNamed("memoryScope", name);
    if (backend.recycler !== undefined) marks.set(backend, backend.recycler.mark());
  }
  const frame: Frame = { tensors: [], adopted: [], marks };
  frames.push(frame);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    frames.pop();
    disposeFrame(frame, []);
    throw e;
  }
  frames.pop();
  if (result !== null && typeof result === "object" && typeof (result as { then?: unknown }).then === "function") {
    throw new ValueError("memoryScope: the function returned a Promise; scopes take synchronous functions (tensors made after an await would escape the scope), so nothing was disposed");
  }
  const returned: Tensor[] = [];
  if (frame.tensors.length > 0) collectTensors(result, returned, new Set());
  disposeFrame(frame, returned);
  return result;
}

/**
 * Disposes the memory of the frame's tensors that was allocated in the scope and is neither
 * returned, kept nor a .grad, and of the .grads it adopted; survivors made in the scope pass to
 * the enclosing scope, which then owns them.
 */
function disposeFrame(frame: Frame, returned: readonly Tensor[]): void {
  const survivors = new Set<BackendBuffer>();
  for (const t of returned) survivors.add(t.buffer);
  const outer = frames.length > 0 ? frames[frames.length - 1] : null;
  const done = new Set<BackendBuffer>();
  const release = (t: Tensor, mark: number): void => {
    const buffer = t.buffer;
    if (done.has(buffer)) return;
    if (survivors.has(buffer) || kept.has(buffer) || heldAsGrad.has(buffer)) {
      outer?.tensors.push(t);
      return;
    }
    done.add(buffer);
    // only memory not given back already (a recycled gradient) and, for a made tensor, allocated inside the scope
    if (t.backend.recycler?.recyclable(buffer, mark) === true) t.backend.dispose(buffer);
  };
  for (const t of frame.tensors) {
    const mark = frame.marks.get(t.backend);
    if (mark !== undefined) release(t, mark);
  }
  for (const t of frame.adopted) release(t, 0);
}
