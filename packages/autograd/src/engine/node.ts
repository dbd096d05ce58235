/**
 * A node of the recorded graph: one applied op (or custom function), the edges to where its
 * inputs came from, and the values its backward needs. Gradients flow from a node's outputs
 * along its edges to the nodes (or leaf tensors) that produced its inputs.
 *
 * A long chain of small ops keeps every node alive until backward, so a node is kept lean: an
 * edge to a single-output node is the node itself, input shapes and dtypes are read from the
 * producers rather than copied, and rarely used state (hooks, retainGrad, anomaly traces) lives
 * in one object created on first use.
 */

import type { DType } from "../dtype.js";
import { GradError } from "../errors.js";
import type { Tensor } from "../tensor.js";

/** Output `index` (≥ 1) of a node with several outputs, as an edge of the node that consumes it. */
export class OutputRef {
  constructor(
    readonly node: Node,
    readonly index: number,
  ) {}
}

/**
 * Where an input's gradient goes: the node that produced the input (its output 0), an
 * `OutputRef` for a later output of a multi-output node, the leaf tensor itself, or null when
 * the input needs no gradient.
 */
export type Edge = Node | OutputRef | Tensor | null;

/** A gradient hook: sees a gradient as it is computed and may return a replacement. */
export type GradHook = (grad: Tensor) => Tensor | void;

/** Computes input gradients from output gradients (one entry per input, null where none). */
export type BackwardFn = (gradOutputs: readonly (Tensor | null)[], node: Node) => readonly (Tensor | null | undefined)[];

/** What every node of one op kind shares. */
export interface OpKind {
  /** The op's name, as users wrote it (`mul`, `matmul`, a custom function's name). */
  readonly name: string;
  readonly backwardFn: BackwardFn;
  /**
   * The backward is user code (a custom function): it may keep the gradients it receives or
   * return memory it shares elsewhere, so reverse mode reuses neither (gradient-memory.ts).
   */
  readonly userCode?: boolean;
}

/** Per-node state most nodes never need. */
interface NodeExtras {
  /** Where the gradients of inputs 2.. go (most ops have one or two inputs). */
  moreEdges?: readonly Edge[];
  /** Buffer versions of the saved tensors at save time, when some was not 0 (fresh tensors are). */
  savedVersions?: readonly number[];
  /** Shapes and dtypes of outputs 1.. of a node with several outputs. */
  laterOutputs?: readonly { readonly shape: readonly number[]; readonly dtype: DType }[];
  /** Stack trace of the forward call, recorded in anomaly mode only. */
  createdAt?: string;
  /** Per output: tensors whose `.grad` should be kept (retainGrad). */
  retained?: (Tensor | undefined)[];
  /** Per output: hooks registered on the output tensor. */
  hooks?: (GradHook[] | undefined)[];
}

const NOTHING: readonly Tensor[] = Object.freeze([]);
let nodesCreated = 0;

/** One recorded operation. */
export class Node {
  /** How many tensor inputs the op took. */
  readonly numInputs: number;
  // Where each input's gradient is sent (see `Edge`): most ops have one or two inputs, so those
  // two are fields (no array per node); inputs 2.. of the others are in `extras.moreEdges`.
  private readonly edge0: Edge;
  private readonly edge1: Edge;
  /** Tensors the backward reads (one is kept without an array: a product saves one factor); null once freed. */
  private saved: readonly Tensor[] | Tensor | null;
  /** Creation order: every node has a larger number than the nodes that produced its inputs. */
  readonly sequenceNr = ++nodesCreated;
  /** @internal The backward run whose gradient for output 0 is parked in `pendingGrad` (0: none). */
  pendingRun = 0;
  /** @internal The sum of the gradients output 0 received so far in that run. */
  pendingGrad: Tensor | null = null;
  /** Shape and dtype of output 0 (those of later outputs are in `extras`). */
  private readonly shape0: readonly number[];
  private readonly dtype0: DType;
  private extras: NodeExtras | undefined;

  constructor(
    readonly kind: OpKind,
    inputs: readonly Tensor[],
    saved: readonly Tensor[],
    /** The outputs this node computes (their shapes and dtypes are kept, not the tensors). */
    outputs: Tensor | readonly Tensor[],
    createdAt: string | undefined,
    /** The op's non-tensor arguments (dims, shapes, ...), read by its vjp. */
    readonly attrs: unknown = undefined,
  ) {
    const n = inputs.length;
    this.numInputs = n;
    this.edge0 = n > 0 ? edgeTo(inputs[0]) : null;
    this.edge1 = n > 1 ? edgeTo(inputs[1]) : null;
    if (n > 2) {
      const moreEdges: Edge[] = []; // push, not .map: see packedZeros in shape.ts
      for (let i = 2; i < n; i++) moreEdges.push(edgeTo(inputs[i]));
      this.extras = { moreEdges };
    }
    this.saved = saved.length === 0 ? NOTHING : saved.length === 1 ? saved[0] : saved;
    let versions: number[] | null = null;
    for (let i = 0; i < saved.length; i++) {
      if (saved[i].version !== 0) (versions ??= new Array<number>(saved.length).fill(0))[i] = saved[i].version;
    }
    if (versions !== null) (this.extras ??= {}).savedVersions = versions;
    const first = Array.isArray(outputs) ? (outputs as readonly Tensor[])[0] : (outputs as Tensor);
    this.shape0 = first.shape;
    this.dtype0 = first.dtype;
    if (Array.isArray(outputs) && outputs.length > 1) {
      (this.extras ??= {}).laterOutputs = (outputs as readonly Tensor[]).slice(1).map((t) => ({ shape: t.shape, dtype: t.dtype }));
    }
    if (createdAt !== undefined) (this.extras ??= {}).createdAt = createdAt;
  }

  /** Where input i's gradient is sent. */
  edge(i: number): Edge {
    return i === 0 ? this.edge0 : i === 1 ? this.edge1 : this.extras!.moreEdges![i - 2];
  }

  /** Per input: where its gradient is sent (a fresh array; the engine reads `edge(i)`). */
  get edges(): readonly Edge[] {
    return Array.from({ length: this.numInputs }, (_, i) => this.edge(i));
  }

  /** The op's name, as users wrote it (`mul`, `matmul`, a custom function's name). */
  get name(): string {
    return this.kind.name;
  }

  /** @internal Runs this node's backward. */
  get backwardFn(): BackwardFn {
    return this.kind.backwardFn;
  }

  /** How many outputs the op computed. */
  get numOutputs(): number {
    const later = this.extras?.laterOutputs;
    return later === undefined ? 1 : later.length + 1;
  }

  /** Shape of output `index`. */
  outputShape(index: number): readonly number[] {
    return index === 0 ? this.shape0 : this.laterOutput(index).shape;
  }

  /** Dtype of output `index`. */
  outputDType(index: number): DType {
    return index === 0 ? this.dtype0 : this.laterOutput(index).dtype;
  }

  private laterOutput(index: number): { readonly shape: readonly number[]; readonly dtype: DType } {
    const later = this.extras?.laterOutputs;
    if (later === undefined || index > later.length) throw new GradError(`${this.name}: has no output ${index}`);
    return later[index - 1];
  }

  /** Shape of input `i`, for inputs that need a gradient (the others are not tracked). */
  inputShape(i: number): readonly number[] {
    const edge = this.edge(i);
    if (edge === null) throw new GradError(`${this.name}: input ${i} needs no gradient, its shape is not recorded`);
    return edgeShape(edge);
  }

  /** Whether input i needs a gradient. */
  needsInputGrad(i: number): boolean {
    return this.edge(i) !== null;
  }

  /** The saved tensors, after checking none was modified in place since it was saved. */
  savedTensors(): readonly Tensor[] {
    const kept = this.saved;
    if (kept === null) {
      throw new GradError(
        `backward: trying to backward through the graph a second time (the values saved by '${this.name}' were freed); ` +
          `pass { retainGraph: true } to the first backward if you need to call it twice`,
      );
    }
    const saved = Array.isArray(kept) ? (kept as readonly Tensor[]) : [kept as Tensor];
    for (let i = 0; i < saved.length; i++) {
      const t = saved[i];
      const savedVersion = this.extras?.savedVersions?.[i] ?? 0;
      if (t.version !== savedVersion) {
        throw new GradError(
          `backward: a tensor of shape [${t.shape.join(",")}] saved by '${this.name}' was modified by an in-place ` +
            `operation after it was saved (version ${savedVersion} → ${t.version}); use an out-of-place op instead`,
        );
      }
    }
    return saved;
  }

  /**
   * True once a backward without retainGraph has released this node's saved values. A node that
   * saved nothing is never freed: backward can run through it again, as in PyTorch.
   */
  get isFreed(): boolean {
    return this.saved === null;
  }

  /** Drops the saved tensors so their memory can be reclaimed. */
  free(): void {
    if (this.saved !== null && this.saved !== NOTHING) this.saved = null;
  }

  /** Stack trace of the forward call, recorded in anomaly mode only. */
  get createdAt(): string | undefined {
    return this.extras?.createdAt;
  }

  /** @internal The tensor of output `index` that keeps its `.grad` (retainGrad), if any. */
  retainedOutput(index: number): Tensor | undefined {
    return this.extras?.retained?.[index];
  }

  /** @internal Makes output `index`'s gradient land in `tensor.grad`. */
  retainOutput(index: number, tensor: Tensor): void {
    ((this.extras ??= {}).retained ??= new Array(this.numOutputs))[index] = tensor;
  }

  /** @internal The hooks on output `index` (empty when none). */
  outputHooks(index: number): readonly GradHook[] {
    return this.extras?.hooks?.[index] ?? NO_HOOKS;
  }

  /** @internal The (mutable) hook list of output `index`, created on first use. */
  hookList(index: number): GradHook[] {
    return (((this.extras ??= {}).hooks ??= new Array(this.numOutputs))[index] ??= []);
  }

  /** PyTorch-style name for display: `MulBackward`. */
  toString(): string {
    return `${this.name.charAt(0).toUpperCase()}${this.name.slice(1)}Backward`;
  }
}

const NO_HOOKS: readonly GradHook[] = Object.freeze([]);

/** The edge to where input `t` came from. */
function edgeTo(t: Tensor): Edge {
  const fn = t.gradFn;
  if (fn === null) return t.requiresGrad ? t : null;
  return t.outputIndex === 0 ? fn : new OutputRef(fn, t.outputIndex);
}

/** Shape of the tensor an (non-null) edge stands for. */
export function edgeShape(edge: Exclude<Edge, null>): readonly number[] {
  if (edge instanceof Node) return edge.outputShape(0);
  if (edge instanceof OutputRef) return edge.node.outputShape(edge.index);
  return edge.shape;
}

/** Dtype of the tensor an (non-null) edge stands for. */
export function edgeDType(edge: Exclude<Edge, null>): DType {
  if (edge instanceof Node) return edge.outputDType(0);
  if (edge instanceof OutputRef) return edge.node.outputDType(edge.index);
  return edge.dtype;
}
