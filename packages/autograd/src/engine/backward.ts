/**
 * Reverse-mode differentiation. Starting from the roots, nodes are visited in reverse
 * topological order — the most recently created first, from a priority queue, with no recursion,
 * so 100,000-deep graphs are fine. Each node receives the summed gradients of its outputs, runs
 * its vjp, and sends each input's gradient along its edge — to another node (which then joins
 * the queue), or into a leaf's `.grad`.
 */

import { GradError, ShapeError, ValueError, fmtShape, fmtValue } from "../errors.js";
import { checkOptionKeys, flagOption, optionKeys, shapesEqual } from "../shape.js";
import type { BackendBuffer } from "../backend/backend.js";
import type { Tensor } from "../tensor.js";
import { enableGrad, isAnomalyEnabled, noGrad } from "./grad-mode.js";
import { GradientMemory } from "./gradient-memory.js";
import { Node, OutputRef, edgeDType, edgeShape, type Edge, type GradHook } from "./node.js";

/** Options of `backward()`. */
export interface BackwardOptions {
  /** Keep the saved values so backward can run through this graph again (default: createGraph). */
  readonly retainGraph?: boolean;
  /** Record the backward pass itself, so the gradients can be differentiated again. */
  readonly createGraph?: boolean;
}

const BACKWARD_OPTIONS = optionKeys<BackwardOptions>({ retainGraph: 0, createGraph: 0 });

/** Where gradients go: leaves' `.grad` (backward) or a list of captured results (grad()). */
interface Sink {
  /** For grad(): the positions of each requested tensor in the result list (it may be listed twice). */
  readonly leafSlots: Map<Tensor, number[]> | null;
  readonly nodeSlots: Map<Node, { index: number; slot: number }[]> | null;
  readonly results: (Tensor | null)[];
  /** Buffers already handed to a `.grad`, so no two grads share memory. */
  readonly owned: Set<BackendBuffer>;
}

/** Runs backward from `roots` seeded with `gradients` (ones for scalar roots when omitted). */
export function backward(
  roots: readonly Tensor[],
  gradients: readonly (Tensor | number)[] | undefined,
  options: BackwardOptions = {},
): void {
  checkOptionKeys("backward", options, BACKWARD_OPTIONS);
  const createGraph = flagOption("backward", "createGraph", options.createGraph, false);
  const retainGraph = flagOption("backward", "retainGraph", options.retainGraph, createGraph);
  const seeds = resolveSeeds("backward", roots, gradients);
  const owned = new Set<BackendBuffer>();
  for (let i = 0; i < seeds.length; i++) owned.add(seeds[i].buffer);
  const sink: Sink = { leafSlots: null, nodeSlots: null, results: [], owned };
  run(roots, seeds, retainGraph, createGraph, sink);
}

/**
 * The gradients of `outputs` with respect to `inputs`, returned rather than accumulated into
 * `.grad` (null where an input is unreachable). The engine behind `grad()`.
 */
export function captureGradients(
  outputs: readonly Tensor[],
  gradOutputs: readonly (Tensor | number)[] | undefined,
  inputs: readonly Tensor[],
  retainGraph: boolean,
  createGraph: boolean,
): (Tensor | null)[] {
  const seeds = resolveSeeds("grad", outputs, gradOutputs);
  const leafSlots = new Map<Tensor, number[]>();
  const nodeSlots = new Map<Node, { index: number; slot: number }[]>();
  inputs.forEach((t, slot) => {
    if (!isTensor(t)) throw new ValueError(`grad: input ${slot} must be a Tensor, got ${fmtValue(t)}`);
    if (!t.requiresGrad) throw new GradError(`grad: input ${slot} does not require grad`);
    const node = t.gradFn;
    if (node === null) leafSlots.set(t, [...(leafSlots.get(t) ?? []), slot]);
    else {
      const list = nodeSlots.get(node) ?? [];
      list.push({ index: t.outputIndex, slot });
      nodeSlots.set(node, list);
    }
  });
  const sink: Sink = { leafSlots, nodeSlots, results: inputs.map(() => null), owned: new Set() };
  run(outputs, seeds, retainGraph, createGraph, sink);
  return sink.results;
}

/** Checks and completes the seeds: ones for one-element roots, shape and finiteness checks otherwise. */
function resolveSeeds(op: string, roots: readonly Tensor[], gradients: readonly (Tensor | number)[] | undefined): Tensor[] {
  if (!Array.isArray(roots)) throw new ValueError(`${op}: expected an array of output tensors, got ${fmtValue(roots)}`);
  if (gradients !== undefined && !Array.isArray(gradients)) throw new ValueError(`${op}: expected an array of gradients, got ${fmtValue(gradients)}`);
  if (gradients !== undefined && gradients.length !== roots.length) {
    throw new ValueError(`${op}: got ${gradients.length} gradients for ${roots.length} outputs`);
  }
  // A loop, not roots.map: .map's result changes array kind once TurboFan inlines it (see packedZeros).
  const seeds: Tensor[] = [];
  for (let i = 0; i < roots.length; i++) seeds.push(resolveSeed(op, roots[i], i, gradients?.[i]));
  return seeds;
}

/** The seed gradient of root i: the given one (checked: shape, finite values) or ones for a one-element root. */
function resolveSeed(op: string, root: Tensor, i: number, given: unknown): Tensor {
  if (!isTensor(root)) throw new ValueError(`${op}: output ${i} must be a Tensor, got ${fmtValue(root)}`);
  if (!root.requiresGrad) {
    throw new GradError(`${op}: output ${i} does not require grad and has no gradFn (did you forget requiresGrad: true, or run inside noGrad?)`);
  }
  if (given !== undefined && typeof given !== "number" && !isTensor(given)) {
    throw new ValueError(
      `${op}: the gradient for output ${i} must be a Tensor or a number, got ${given === null ? "null" : typeof given}` +
        (op === "backward" ? " (options go second: backward(undefined, { retainGraph: true }))" : ""),
    );
  }
  if (given === undefined || typeof given === "number") {
    if (root.numel() !== 1) {
      throw new GradError(
        `${op}: a gradient can be created implicitly only for one-element outputs, but output ${i} has shape ` +
          `${fmtShape(root.shape)}; pass a gradient of that shape`,
      );
    }
    const value = (given as number | undefined) ?? 1;
    if (!Number.isFinite(value)) throw new ValueError(`${op}: gradient for output ${i} contains ${value} at element 0`);
    return root.newFull(root.shape, value);
  }
  if (!shapesEqual(given.shape, root.shape)) {
    throw new ShapeError(`${op}: gradient has shape ${fmtShape(given.shape)} but output ${i} has shape ${fmtShape(root.shape)}`);
  }
  const seed = given.dtype === root.dtype ? given : noGrad(() => given.to(root.dtype));
  // A GPU seed stays on the device: its finiteness is not checked (that would read it on the host).
  if (seed.backend.asyncReads) return seed;
  const values = seed.toTypedArray();
  for (let k = 0; k < values.length; k++) {
    if (!Number.isFinite(values[k])) throw new ValueError(`${op}: gradient for output ${i} contains ${values[k]} at element ${k}`);
  }
  return seed;
}

/** Structural check (this module can't import Tensor's class without a cycle). */
function isTensor(value: unknown): value is Tensor {
  return typeof value === "object" && value !== null && "buffer" in value && "strides" in value;
}

/**
 * The nodes that have received a gradient, most recently created first. A node is created after
 * every node that produced its inputs, so when a node comes out of this queue all of its consumers
 * have already run and sent their gradients (PyTorch's engine orders its ready queue the same
 * way). This gives a topological order without a separate pass over the graph, and no recursion.
 */
class ReadyQueue {
  private readonly heap: Node[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(node: Node): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(node);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent].sequenceNr >= node.sequenceNr) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = node;
  }

  /** Removes and returns the most recently created node. */
  pop(): Node {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop() as Node;
    const n = heap.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && heap[right].sequenceNr > heap[left].sequenceNr ? right : left;
        if (heap[child].sequenceNr <= last.sequenceNr) break;
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

let runs = 0;

function run(roots: readonly Tensor[], seeds: readonly Tensor[], retainGraph: boolean, createGraph: boolean, sink: Sink): void {
  const runId = ++runs;
  const ready = new ReadyQueue();
  // Gradients waiting for a node. Output 0's (nearly all nodes have one output) sits on the node
  // itself, tagged with this run; per-output slots in a map for later outputs, or for a node that
  // a nested backward (from a hook) is using at the same time.
  const pending = new Map<Node, (Tensor | null)[]>();
  // Gradient memory reuse (gradient-memory.ts): every gradient stored in a waiting place below is
  // held, and released when it is consumed. Not with createGraph (gradients are then part of a
  // graph) nor for grad() (its results go to the caller).
  const memory = createGraph || sink.leafSlots !== null ? null : new GradientMemory(roots);
  /** `sum` replaces the waiting gradients a and b. */
  const merged = (a: Tensor, b: Tensor): Tensor => {
    const sum = a.add(b);
    memory?.hold(sum);
    memory?.release(a);
    memory?.release(b);
    return sum;
  };
  const send = (node: Node, index: number, g: Tensor): void => {
    memory?.hold(g);
    if (index === 0 && node.pendingRun === runId) {
      node.pendingGrad = merged(node.pendingGrad as Tensor, g); // a tensor used twice gets both contributions
      return;
    }
    if (index === 0 && node.pendingRun === 0 && !pending.has(node)) {
      node.pendingRun = runId;
      node.pendingGrad = g;
      ready.push(node);
      return;
    }
    let slots = pending.get(node);
    if (slots === undefined) {
      if (node.pendingRun !== runId) ready.push(node);
      slots = new Array<Tensor | null>(node.numOutputs).fill(null);
      pending.set(node, slots);
    }
    const prev = slots[index];
    slots[index] = prev === null ? g : merged(prev, g);
  };
  /** The gradients that reached `node`'s outputs, taken out of the waiting places. */
  const take = (node: Node): (Tensor | null)[] => {
    let own: Tensor | null = null;
    if (node.pendingRun === runId) {
      own = node.pendingGrad;
      node.pendingRun = 0;
      node.pendingGrad = null;
    }
    const slots = pending.size > 0 ? pending.get(node) : undefined;
    if (slots === undefined) return [own];
    pending.delete(node);
    if (own !== null) slots[0] = slots[0] === null ? own : merged(slots[0], own);
    return slots;
  };
  // Leaves too collect every contribution first, so their hooks see the total gradient once.
  // grad() skips the leaves it was not asked about (as PyTorch does, their hooks don't run).
  const pendingLeaves = new Map<Tensor, Tensor>();
  const sendToLeaf = (leaf: Tensor, g: Tensor): void => {
    if (sink.leafSlots !== null && !sink.leafSlots.has(leaf)) return;
    memory?.hold(g);
    const prev = pendingLeaves.get(leaf);
    pendingLeaves.set(leaf, prev === undefined ? g : merged(prev, g));
  };

  const body = (): void => {
    roots.forEach((root, i) => {
      const node = root.gradFn;
      if (node === null) sendToLeaf(root, seeds[i]);
      else send(node, root.outputIndex, seeds[i]);
    });
    while (ready.size > 0) {
      const node = ready.pop();
      const held = take(node);
      const grads = held.slice();
      for (let k = 0; k < grads.length; k++) {
        const g = grads[k];
        if (g !== null) grads[k] = observeOutputGrad(node, k, g, createGraph, sink, memory);
      }
      const inputGrads = node.backwardFn(grads, node);
      const sent: Tensor[] = [];
      for (let j = 0; j < node.numInputs; j++) {
        const edge = node.edge(j);
        const raw = inputGrads[j];
        if (edge === null || raw === null || raw === undefined) continue;
        const g = fitToInput(node, j, edge, raw);
        if (isAnomalyEnabled()) checkFinite(node, j, g);
        if (memory !== null && node.kind.userCode) memory.escape(g);
        // Held until every input's gradient is sent: a vjp may return views of one buffer
        // (lstmCell's), and the first one summed into a waiting gradient is consumed at once.
        memory?.hold(g);
        sent.push(g);
        if (edge instanceof Node) send(edge, 0, g);
        else if (edge instanceof OutputRef) send(edge.node, edge.index, g);
        else sendToLeaf(edge, g);
      }
      // The sends hold what they passed on; then the gradients this node received are consumed
      // (after the sends: a vjp may pass one on).
      if (memory !== null) {
        for (const g of sent) memory.release(g);
        for (let k = 0; k < held.length; k++) {
          const g = held[k];
          if (g === null) continue;
          if (node.kind.userCode) memory.escape(g);
          memory.release(g);
        }
      }
      if (!retainGraph) node.free();
    }
    for (const [leaf, g] of pendingLeaves) {
      deliverToLeaf(leaf, g, createGraph, sink, memory);
      memory?.release(g);
    }
  };
  try {
    // Without createGraph the backward pass records nothing: it is plain arithmetic on gradients.
    if (createGraph) enableGrad(body);
    else noGrad(body);
  } finally {
    // After an error (in a hook or a vjp), leave no gradient parked on the nodes not yet reached.
    while (ready.size > 0) take(ready.pop());
  }
}

/** Runs hooks, retainGrad and grad() captures for output `index` of `node`; returns the (possibly replaced) gradient. */
function observeOutputGrad(node: Node, index: number, g: Tensor, createGraph: boolean, sink: Sink, memory: GradientMemory | null): Tensor {
  for (const hook of node.outputHooks(index)) {
    memory?.escape(g); // the hook may keep what it is given, and what it returns is its own
    g = runHook(hook, g, () => `output ${index} of '${node.name}'`);
    memory?.escape(g);
  }
  const kept = node.retainedOutput(index);
  if (kept !== undefined) memory?.escape(g);
  if (kept !== undefined && sink.leafSlots === null) kept.grad = accumulate(kept.grad, g, createGraph, sink);
  for (const { index: i, slot } of sink.nodeSlots?.get(node) ?? []) {
    if (i === index) sink.results[slot] = sink.results[slot] === null ? g : (sink.results[slot] as Tensor).add(g);
  }
  return g;
}

/**
 * Runs a gradient hook. What it returns replaces g, if it is a tensor of g's shape and dtype
 * (PyTorch's rule); nothing (undefined or null) keeps g. Anything else names the hook and what it
 * returned, rather than failing later inside another op.
 */
function runHook(hook: GradHook, g: Tensor, where: () => string): Tensor {
  const returned: unknown = hook(g);
  if (returned === undefined || returned === null) return g;
  const name = hook.name ? `the hook '${hook.name}'` : "a hook";
  if (!isTensor(returned)) {
    throw new GradError(`backward: ${name} on ${where()} returned ${fmtValue(returned)}; a hook must return a Tensor or nothing`);
  }
  if (!shapesEqual(returned.shape, g.shape) || returned.dtype !== g.dtype) {
    throw new GradError(
      `backward: ${name} on ${where()} returned a ${returned.dtype} gradient of shape ${fmtShape(returned.shape)} ` +
        `for a ${g.dtype} gradient of shape ${fmtShape(g.shape)}`,
    );
  }
  return returned;
}

function deliverToLeaf(leaf: Tensor, g: Tensor, createGraph: boolean, sink: Sink, memory: GradientMemory | null): void {
  for (const hook of leaf.hooks) {
    memory?.escape(g); // a hook may keep what it is given; what it returns ends in .grad (escaped below)
    g = runHook(hook, g, () => `a leaf of shape ${fmtShape(leaf.shape)}`);
  }
  if (sink.leafSlots !== null) {
    for (const slot of sink.leafSlots.get(leaf) ?? []) sink.results[slot] = g;
    return;
  }
  leaf.grad = accumulate(leaf.grad, g, createGraph, sink, true);
  memory?.escape(leaf.grad); // a .grad may be g itself
}

/** The new `.grad`: the old one plus g, or g itself held in memory no other `.grad` shares. */
function accumulate(previous: Tensor | null, g: Tensor, createGraph: boolean, sink: Sink, inPlace = false): Tensor {
  if (previous !== null) {
    if (createGraph) return previous.add(g);
    // A leaf's .grad takes the sum in place, as PyTorch's AccumulateGrad does without createGraph
    // (the same tensor before and after; g's memory can then be reused): where it is a plain
    // dense tensor of g's shape, else a new sum.
    if (inPlace && previous.gradFn === null && !previous.requiresGrad && previous.isContiguous() && shapesEqual(previous.shape, g.shape) && previous.dtype === g.dtype) {
      noGrad(() => previous.add_(g));
      return previous;
    }
    return noGrad(() => previous.add(g));
  }
  // Gradients are often views (an expanded sum gradient, a slice of a cat gradient) or shared
  // between inputs (add passes g to both). A .grad must be a tensor of its own — with createGraph
  // too, where the copy is recorded so the .grad stays differentiable.
  if (!g.isContiguous() || g.offset !== 0 || g.buffer.length !== g.numel() || sink.owned.has(g.buffer)) {
    g = createGraph ? g.clone() : noGrad(() => g.clone());
  }
  sink.owned.add(g.buffer);
  return createGraph ? g : g.detach();
}

/** Sums a broadcast gradient back to input j's shape, casts it to the input's dtype, and checks the shape. */
function fitToInput(node: Node, j: number, edge: Exclude<Edge, null>, g: Tensor): Tensor {
  const shape = edgeShape(edge);
  const dtype = edgeDType(edge);
  if (!shapesEqual(g.shape, shape)) {
    const lead = g.ndim - shape.length;
    const mismatch = (): GradError =>
      new GradError(`${node.name}: gradient for input ${j} has shape ${fmtShape(g.shape)} but the input has shape ${fmtShape(shape)}`);
    if (lead < 0) throw mismatch();
    const dims: number[] = [];
    for (let d = 0; d < g.ndim; d++) {
      if (d < lead) dims.push(d);
      else if (shape[d - lead] === 1 && g.shape[d] !== 1) dims.push(d);
      else if (shape[d - lead] !== g.shape[d]) throw mismatch();
    }
    g = g.sum(dims, true).reshape(shape);
  }
  return g.dtype === dtype ? g : g.to(dtype);
}

/** Anomaly mode: a NaN or Inf in a gradient names the op and where it was created. */
function checkFinite(node: Node, j: number, g: Tensor): void {
  const values = g.toTypedArray();
  for (let k = 0; k < values.length; k++) {
    if (!Number.isFinite(values[k])) {
      const where = node.createdAt ? `; the forward op was created at:\n${node.createdAt}` : "";
      throw new GradError(`backward: '${node.name}' returned ${values[k]} in the gradient of its input ${j} (element ${k})${where}`);
    }
  }
}
