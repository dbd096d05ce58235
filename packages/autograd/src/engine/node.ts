/**
 * A node of the recorded graph: one applied op (or custom function), the edges to where its
 * inputs came from, and the values its backward needs. Gradients flow from a node's outputs
 * along its edges to the nodes (or leaf tensors) that produced its inputs.
 */

import type { DType } from "../dtype.js";
import { GradError } from "../errors.js";
import type { Tensor } from "../tensor.js";

/** Where an input's gradient goes: the node output that produced it, or the leaf tensor itself. */
export type Edge = { readonly node: Node; readonly index: number; readonly dtype: DType } | { readonly leaf: Tensor };

/** A gradient hook: sees a gradient as it is computed and may return a replacement. */
export type GradHook = (grad: Tensor) => Tensor | void;

/** Computes input gradients from output gradients (one entry per input, null where none). */
export type BackwardFn = (gradOutputs: readonly (Tensor | null)[], node: Node) => readonly (Tensor | null | undefined)[];

const NO_VERSIONS: readonly number[] = Object.freeze([]);

/** One recorded operation. */
export class Node {
  /** Per input: where its gradient is sent, or null when that input needs none. */
  readonly edges: readonly (Edge | null)[];
  /** Shapes of the inputs, kept after the graph is freed to check gradients (dtypes live on the edges). */
  readonly inputShapes: readonly (readonly number[])[];
  /** Tensors the backward reads, with their storage versions at save time; null once freed. */
  private saved: readonly Tensor[] | null;
  private savedVersions: readonly number[];
  private freed = false;
  /** @internal The number of the last graph traversal that reached this node (cheaper than a visited Set). */
  visitedIn = 0;
  /** Stack trace of the forward call, recorded in anomaly mode only. */
  readonly createdAt: string | undefined;
  /** Per output: tensors whose `.grad` should be kept (retainGrad). */
  retained: (Tensor | undefined)[] | undefined;
  /** Per output: hooks registered on the output tensor. */
  hooks: (GradHook[] | undefined)[] | undefined;

  constructor(
    /** The op's name, as users wrote it (`mul`, `matmul`, a custom function's name). */
    readonly name: string,
    inputs: readonly Tensor[],
    saved: readonly Tensor[],
    readonly numOutputs: number,
    readonly backwardFn: BackwardFn,
    createdAt: string | undefined,
    /** The op's non-tensor arguments (dims, shapes, ...), read by its vjp. */
    readonly attrs: unknown = undefined,
  ) {
    const edges: (Edge | null)[] = new Array(inputs.length);
    const shapes: (readonly number[])[] = new Array(inputs.length);
    for (let i = 0; i < inputs.length; i++) {
      const t = inputs[i];
      shapes[i] = t.shape;
      const fn = t.gradFn;
      edges[i] = fn ? { node: fn, index: t.outputIndex, dtype: t.dtype } : t.requiresGrad ? { leaf: t } : null;
    }
    this.edges = edges;
    this.inputShapes = shapes;
    this.saved = saved;
    this.savedVersions = saved.length === 0 ? NO_VERSIONS : saved.map((t) => t.version);
    this.createdAt = createdAt;
  }

  /** Whether input i needs a gradient. */
  needsInputGrad(i: number): boolean {
    return this.edges[i] !== null;
  }

  /** The saved tensors, after checking none was modified in place since it was saved. */
  savedTensors(): readonly Tensor[] {
    if (this.saved === null) {
      throw new GradError(
        `backward: trying to backward through the graph a second time (the values saved by '${this.name}' were freed); ` +
          `pass { retainGraph: true } to the first backward if you need to call it twice`,
      );
    }
    for (let i = 0; i < this.saved.length; i++) {
      const t = this.saved[i];
      if (t.version !== this.savedVersions[i]) {
        throw new GradError(
          `backward: a tensor of shape [${t.shape.join(",")}] saved by '${this.name}' was modified by an in-place ` +
            `operation after it was saved (version ${this.savedVersions[i]} → ${t.version}); use an out-of-place op instead`,
        );
      }
    }
    return this.saved;
  }

  /** True once a backward without retainGraph has run through this node. */
  get isFreed(): boolean {
    return this.freed;
  }

  /** Drops the saved tensors so their memory can be reclaimed. */
  free(): void {
    if (this.saved !== null && this.saved.length > 0) this.saved = null;
    this.freed = true;
  }

  /** PyTorch-style name for display: `MulBackward`. */
  toString(): string {
    return `${this.name.charAt(0).toUpperCase()}${this.name.slice(1)}Backward`;
  }
}
