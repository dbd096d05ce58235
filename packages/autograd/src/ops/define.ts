/**
 * How a primitive op is declared: its forward (validation + a backend kernel call, or a view) and
 * its vector-Jacobian product written in Tensor ops, so that gradients of gradients come for free.
 */

import type { Backend, BackendBuffer, StridedView } from "../backend/backend.js";
import type { DType } from "../dtype.js";
import { GradError, ValueError, fmtShape } from "../errors.js";
import { isAnomalyEnabled, isGradEnabled } from "../engine/grad-mode.js";
import { Node, type BackwardFn, type OpKind } from "../engine/node.js";
import { checkNumel, contiguousStrides, packedZeros } from "../shape.js";
import { Tensor } from "../tensor.js";
import { registerOpName } from "./registry.js";

/** What an op's vjp can read. */
export interface VjpContext<A> {
  /** The op's inputs (only when the spec saves them all: `saves.inputs === true`). */
  readonly inputs: readonly Tensor[];
  /** Input i, when the spec saved it (see `saves.inputs`); a clear error otherwise. Call as `ctx.input(i)`. */
  input(this: VjpContext<A>, i: number): Tensor;
  /** The op's output (only when the spec saves it). */
  readonly output: Tensor;
  /** The op's non-tensor arguments. */
  readonly attrs: A;
  /** The shape of input i (recorded for the inputs that need a gradient). Call as `ctx.inputShape(i)`. */
  inputShape(this: VjpContext<A>, i: number): readonly number[];
  /** Whether input i needs a gradient: skip the work for those that don't. */
  needsInputGrad(this: VjpContext<A>, i: number): boolean;
}

/** A primitive op: forward and vjp side by side. */
export interface OpSpec<A> {
  readonly name: string;
  /**
   * The values the vjp reads. They stay alive and are checked for in-place changes until backward.
   * `inputs: "forOthers"` keeps input i only when another input needs a gradient — a product's
   * d(ab)/da reads b alone — so a chain like y = y·c + d keeps no intermediate y alive.
   */
  readonly saves: { readonly inputs: boolean | "forOthers"; readonly output: boolean };
  /** Computes the output with no graph work: validate, allocate and run a kernel, or build a view. */
  forward(inputs: readonly Tensor[], attrs: A): Tensor;
  /** The gradient of each input given the output gradient `g` — written in Tensor ops. */
  vjp(g: Tensor, ctx: VjpContext<A>): readonly (Tensor | null | undefined)[];
}

/** The context of one vjp call: what the node recorded, read on demand. */
class VjpCall<A> implements VjpContext<A> {
  constructor(
    private readonly node: Node,
    /** Saved inputs by position; undefined where the op did not save one. */
    private readonly savedInputs: readonly (Tensor | undefined)[],
    /** Whether every input was saved (decided once per call in backwardFn, not on each read). */
    private readonly allInputsSaved: boolean,
    private readonly savedOutput: Tensor | null,
  ) {}

  get inputs(): readonly Tensor[] {
    if (!this.allInputsSaved) {
      const what = this.savedInputs.length === 0 ? "which the op does not save" : "but the op saves only some (read them with ctx.input(i))";
      throw new GradError(`${this.node.name}: its vjp read all inputs, ${what}`);
    }
    return this.savedInputs as readonly Tensor[];
  }

  input(i: number): Tensor {
    const t = this.savedInputs[i];
    if (t === undefined) throw new GradError(`${this.node.name}: its vjp read input ${i}, which the op did not save`);
    return t;
  }

  get output(): Tensor {
    if (this.savedOutput === null) throw new GradError(`${this.node.name}: its vjp read the output, which the op does not save`);
    return this.savedOutput;
  }

  get attrs(): A {
    return this.node.attrs as A;
  }

  inputShape(i: number): readonly number[] {
    return this.node.inputShape(i);
  }

  needsInputGrad(i: number): boolean {
    return this.node.needsInputGrad(i);
  }
}

/** A callable op: runs forward and records a graph node when an input requires grad. */
export type Op<A> = (inputs: readonly Tensor[], attrs: A) => Tensor;

const NOTHING_SAVED: readonly Tensor[] = Object.freeze([]);

/** Declares a differentiable primitive. */
export function defineOp<A = undefined>(spec: OpSpec<A>): Op<A> {
  const { name, saves } = spec;
  registerOpName(name);
  const savesAnything = saves.inputs !== false || saves.output;
  // One backward function per op kind, not per call: what differs per call lives on the node.
  const backwardFn: BackwardFn = (grads, node) => {
    const values = savesAnything ? node.savedTensors() : NOTHING_SAVED;
    let inputs: readonly (Tensor | undefined)[] = NOTHING_SAVED;
    let allInputsSaved = saves.inputs === true;
    if (saves.inputs === "forOthers") {
      // Rebuild the positions from which inputs need a gradient: that decided what was saved.
      const byPosition: (Tensor | undefined)[] = [];
      let next = 0;
      for (let i = 0; i < node.numInputs; i++) byPosition.push(someOtherNeedsGrad(i, node.numInputs, (j) => node.needsInputGrad(j)) ? values[next++] : undefined);
      inputs = byPosition;
      allInputsSaved = next === node.numInputs;
    } else if (saves.inputs) inputs = saves.output ? values.slice(0, node.numInputs) : values;
    const output = saves.output ? values[values.length - 1] : null;
    const g = grads[0] as Tensor;
    return withZeroGrads(g, node, spec.vjp(g, new VjpCall<A>(node, inputs, allInputsSaved, output)));
  };
  const kind: OpKind = { name, backwardFn };
  return (inputs, attrs) => {
    const output = spec.forward(inputs, attrs);
    if (!isGradEnabled() || !anyRequiresGrad(inputs) || !output.isFloatingPoint()) return output;
    // Saving all inputs keeps the caller's array itself: every op is called with a fresh one.
    const savedInputs = saves.inputs === "forOthers" ? inputsOthersNeed(inputs) : saves.inputs ? inputs : NOTHING_SAVED;
    const saved = saves.output ? [...savedInputs, output] : savedInputs;
    output.attachGradFn(new Node(kind, inputs, saved, output, creationSite(), attrs), 0);
    return output;
  };
}

/**
 * The vjp's gradients, with zeros for each input that needs a gradient but got none (null): a
 * primitive's input whose gradient is structurally zero (the `y` of reluBackward) gets zeros, so a
 * leaf's `.grad` becomes zeros rather than staying null and grad() answers zeros rather than
 * "unused" — as PyTorch's built-in ops do. (Custom functions keep null as "no gradient", as
 * PyTorch's do.)
 */
function withZeroGrads(g: Tensor, node: Node, grads: readonly (Tensor | null | undefined)[]): readonly (Tensor | null | undefined)[] {
  let out: (Tensor | null | undefined)[] | null = null;
  for (let i = 0; i < node.numInputs; i++) {
    if (grads[i] == null && node.needsInputGrad(i)) (out ??= grads.slice())[i] = g.newZeros(node.inputShape(i));
  }
  return out ?? grads;
}

/** The inputs whose values another input's gradient needs, in order (an exactly sized array: nodes keep it). */
function inputsOthersNeed(inputs: readonly Tensor[]): readonly Tensor[] {
  const n = inputs.length;
  const needs = (j: number): boolean => inputs[j].requiresGrad;
  let count = 0;
  for (let i = 0; i < n; i++) if (someOtherNeedsGrad(i, n, needs)) count++;
  if (count === n) return inputs;
  const kept = new Array<Tensor>(count);
  for (let i = 0, k = 0; i < n; i++) if (someOtherNeedsGrad(i, n, needs)) kept[k++] = inputs[i];
  return kept;
}

/** Whether an input other than i (of n) needs a gradient. */
function someOtherNeedsGrad(i: number, n: number, needsGrad: (j: number) => boolean): boolean {
  for (let j = 0; j < n; j++) if (j !== i && needsGrad(j)) return true;
  return false;
}

/** True when some input requires grad. */
export function anyRequiresGrad(inputs: readonly Tensor[]): boolean {
  for (let i = 0; i < inputs.length; i++) if (inputs[i].requiresGrad) return true;
  return false;
}

/** The caller's stack, in anomaly mode only. */
export function creationSite(): string | undefined {
  if (!isAnomalyEnabled()) return undefined;
  const frames = (new Error().stack ?? "").split("\n").slice(1);
  // Start at the user's code: drop the frames of this package (sources or built files).
  const own = /[\\/](?:autograd[\\/](?:src|dist)|@tensorgrad[\\/]autograd)[\\/]/;
  const user = frames.filter((line) => !own.test(line));
  return (user.length > 0 ? user : frames).join("\n");
}

/**
 * A fresh contiguous tensor on `backend` (zero-filled). `op` names the caller in the one error a
 * result too large to allocate gets (past MAX_NUMEL, or more memory than there is).
 */
export function allocTensor(backend: Backend, shape: readonly number[], dtype: DType, op = "allocate"): Tensor {
  const buffer = allocBuffer(backend, dtype, shape, op);
  return new Tensor(backend, buffer, shape, contiguousStrides(shape), 0, dtype);
}

const BYTES_PER_ELEMENT: { readonly [K in DType]: number } = { float32: 4, float64: 8, int32: 4, bool: 1 };

/**
 * `backend.alloc` for a tensor of `shape`, refusing sizes past MAX_NUMEL up front and turning the
 * engine's RangeError for memory it cannot get into a ValueError that names the op and the size.
 */
export function allocBuffer(backend: Backend, dtype: DType, shape: readonly number[], op: string): BackendBuffer {
  const n = checkNumel(op, shape);
  try {
    return backend.alloc(dtype, n);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new ValueError(`${op}: out of memory allocating ${n * BYTES_PER_ELEMENT[dtype]} bytes for a ${dtype} tensor of shape ${fmtShape(shape)} (${e.message})`);
  }
}

/** A tensor sharing `base`'s memory under a new shape/strides/offset (no copy). */
export function viewTensor(base: Tensor, shape: readonly number[], strides: readonly number[], offset: number): Tensor {
  return new Tensor(base.backend, base.buffer, shape, strides, offset, base.dtype);
}

/** `t` as a kernel operand broadcast to `shape`: missing leading dims and expanded dims get stride 0. */
export function broadcastView(t: Tensor, shape: readonly number[]): StridedView {
  if (t.shape.length === shape.length) {
    let same = true;
    for (let i = 0; i < shape.length; i++) if (t.shape[i] !== shape[i]) same = false;
    if (same) return t;
  }
  // A 0-d operand (a scalar) reads its one element everywhere: shared all-zero strides.
  if (t.shape.length === 0) return { buffer: t.buffer, shape, strides: zeroStrides(shape.length), offset: t.offset };
  return { buffer: t.buffer, shape, strides: broadcastStrides(t, shape), offset: t.offset };
}

/** t's strides read at `shape` (t broadcast to it): missing leading dims and expanded dims get stride 0. */
export function broadcastStrides(t: StridedView, shape: readonly number[]): number[] {
  const lead = shape.length - t.shape.length;
  const strides: number[] = [];
  for (let i = 0; i < shape.length; i++) strides.push(i < lead || t.shape[i - lead] !== shape[i] ? 0 : t.strides[i - lead]);
  return strides;
}

/** Whether t owns its whole buffer as one contiguous block (parameters, grads, optimizer state). */
export function ownsWholeBuffer(t: Tensor): boolean {
  return t.offset === 0 && t.isContiguous() && t.buffer.length === t.numel();
}

const ZERO_STRIDES: (readonly number[])[] = [];

function zeroStrides(rank: number): readonly number[] {
  return (ZERO_STRIDES[rank] ??= Object.freeze(packedZeros(rank)));
}

/** Throws unless both tensors live on the same backend; returns that backend (no array per call). */
export function pairBackend(op: string, a: Tensor, b: Tensor): Backend {
  if (a.backend !== b.backend) {
    // PyTorch's wording, naming both devices and how to move one.
    throw new ValueError(
      `${op}: expected all tensors to be on the same device, but found at least two devices, ${a.backend.name} and ${b.backend.name} (move one with .to("${a.backend.name}"))`,
    );
  }
  return a.backend;
}

/** Throws unless every tensor lives on the same backend; returns that backend. */
export function commonBackend(op: string, tensors: readonly Tensor[]): Backend {
  for (let i = 1; i < tensors.length; i++) pairBackend(op, tensors[0], tensors[i]);
  return tensors[0].backend;
}
