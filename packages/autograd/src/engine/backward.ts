/**
 * Reverse-mode differentiation. From the roots, order the graph's nodes with an iterative
 * depth-first search (no recursion, so 100,000-deep graphs are fine), then walk that order
 * backwards: each node receives the summed gradients of its outputs, runs its vjp, and sends
 * each input's gradient along its edge — to another node, or into a leaf's `.grad`.
 */

import type { DType } from "../dtype.js";
import { GradError, ShapeError, ValueError, fmtShape } from "../errors.js";
import { shapesEqual } from "../shape.js";
import type { Storage } from "../storage.js";
import type { Tensor } from "../tensor.js";
import { enableGrad, isAnomalyEnabled, noGrad } from "./grad-mode.js";
import { Node, OutputRef, edgeDType, edgeShape, type Edge } from "./node.js";

/** Options of `backward()`. */
export interface BackwardOptions {
  /** Keep the saved values so backward can run through this graph again (default: createGraph). */
  readonly retainGraph?: boolean;
  /** Record the backward pass itself, so the gradients can be differentiated again. */
  readonly createGraph?: boolean;
}

/** Where gradients go: leaves' `.grad` (backward) or a list of captured results (grad()). */
interface Sink {
  /** For grad(): the positions of each requested tensor in the result list (it may be listed twice). */
  readonly leafSlots: Map<Tensor, number[]> | null;
  readonly nodeSlots: Map<Node, { index: number; slot: number }[]> | null;
  readonly results: (Tensor | null)[];
  /** Storages already handed to a `.grad`, so no two grads share memory. */
  readonly owned: Set<Storage>;
}

/** Runs backward from `roots` seeded with `gradients` (ones for scalar roots when omitted). */
export function backward(
  roots: readonly Tensor[],
  gradients: readonly (Tensor | number)[] | undefined,
  options: BackwardOptions = {},
): void {
  const createGraph = options.createGraph ?? false;
  const seeds = resolveSeeds("backward", roots, gradients);
  const sink: Sink = { leafSlots: null, nodeSlots: null, results: [], owned: new Set(seeds.map((s) => s.storage)) };
  run(roots, seeds, options.retainGraph ?? createGraph, createGraph, sink);
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
  if (gradients !== undefined && gradients.length !== roots.length) {
    throw new ValueError(`${op}: got ${gradients.length} gradients for ${roots.length} outputs`);
  }
  return roots.map((root, i) => {
    if (!root.requiresGrad) {
      throw new GradError(`${op}: output ${i} does not require grad and has no gradFn (did you forget requiresGrad: true, or run inside noGrad?)`);
    }
    const given: unknown = gradients?.[i];
    if (given !== undefined && typeof given !== "number" && !isTensor(given)) {
      throw new ValueError(
        `${op}: the gradient for output ${i} must be a Tensor or a number, got ${given === null ? "null" : typeof given}` +
          (op === "backward" ? " (options go second: backward(undefined, { retainGraph: true }))" : ""),
      );
    }
    let seed: Tensor;
    if (given === undefined || typeof given === "number") {
      if (root.numel() !== 1) {
        throw new GradError(
          `${op}: a gradient can be created implicitly only for one-element outputs, but output ${i} has shape ` +
            `${fmtShape(root.shape)}; pass a gradient of that shape`,
        );
      }
      seed = root.newFull(root.shape, (given as number | undefined) ?? 1);
    } else {
      if (!shapesEqual(given.shape, root.shape)) {
        throw new ShapeError(`${op}: gradient has shape ${fmtShape(given.shape)} but output ${i} has shape ${fmtShape(root.shape)}`);
      }
      seed = given.dtype === root.dtype ? given : noGrad(() => given.to(root.dtype));
    }
    const values = seed.toTypedArray();
    for (let k = 0; k < values.length; k++) {
      if (!Number.isFinite(values[k])) throw new ValueError(`${op}: gradient for output ${i} contains ${values[k]} at element ${k}`);
    }
    return seed;
  });
}

/** Structural check (this module can't import Tensor's class without a cycle). */
function isTensor(value: unknown): value is Tensor {
  return typeof value === "object" && value !== null && "storage" in value && "strides" in value;
}

let traversal = 0;

/** Nodes reachable from the roots, inputs before the nodes that consume them (iterative post-order DFS). */
function topologicalOrder(roots: readonly Tensor[]): Node[] {
  const order: Node[] = [];
  const pass = ++traversal;
  const stack: Node[] = [];
  const nextEdge: number[] = [];
  for (const root of roots) {
    const start = root.gradFn;
    if (start === null || start.visitedIn === pass) continue;
    start.visitedIn = pass;
    stack.push(start);
    nextEdge.push(0);
    while (stack.length > 0) {
      const top = stack.length - 1;
      const node = stack[top];
      const edges = node.edges;
      let pushed = false;
      while (nextEdge[top] < edges.length) {
        const edge = edges[nextEdge[top]++];
        const next = edge instanceof Node ? edge : edge instanceof OutputRef ? edge.node : null;
        if (next !== null && next.visitedIn !== pass) {
          next.visitedIn = pass;
          stack.push(next);
          nextEdge.push(0);
          pushed = true;
          break;
        }
      }
      if (!pushed) {
        node.orderIndex = order.length;
        order.push(node);
        stack.pop();
        nextEdge.pop();
      }
    }
  }
  return order;
}

function run(roots: readonly Tensor[], seeds: readonly Tensor[], retainGraph: boolean, createGraph: boolean, sink: Sink): void {
  const order = topologicalOrder(roots);
  // The gradients waiting for each node: a single-output node's (nearly all) in a flat array by
  // its position in `order`; per-output slots in a map for the others, and as a fallback should a
  // nested backward (from a hook) have renumbered a shared node.
  const waiting = new Array<Tensor | null>(order.length).fill(null);
  const pending = new Map<Node, (Tensor | null)[]>();
  const send = (node: Node, index: number, g: Tensor): void => {
    const at = node.orderIndex;
    if (index === 0 && order[at] === node && node.numOutputs === 1) {
      const prev = waiting[at];
      waiting[at] = prev === null ? g : prev.add(g);
      return;
    }
    let slots = pending.get(node);
    if (slots === undefined) {
      slots = new Array<Tensor | null>(node.numOutputs).fill(null);
      pending.set(node, slots);
    }
    const prev = slots[index];
    slots[index] = prev === null ? g : prev.add(g); // a tensor used twice gets both contributions
  };
  // Leaves too collect every contribution first, so their hooks see the total gradient once.
  // grad() skips the leaves it was not asked about (as PyTorch does, their hooks don't run).
  const pendingLeaves = new Map<Tensor, Tensor>();
  const sendToLeaf = (leaf: Tensor, g: Tensor): void => {
    if (sink.leafSlots !== null && !sink.leafSlots.has(leaf)) return;
    const prev = pendingLeaves.get(leaf);
    pendingLeaves.set(leaf, prev === undefined ? g : prev.add(g));
  };

  const body = (): void => {
    roots.forEach((root, i) => {
      const node = root.gradFn;
      if (node === null) sendToLeaf(root, seeds[i]);
      else send(node, root.outputIndex, seeds[i]);
    });
    const single: (Tensor | null)[] = [null];
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i];
      let grads: (Tensor | null)[] | undefined;
      if (waiting[i] !== null) {
        single[0] = waiting[i];
        waiting[i] = null;
        grads = single;
      }
      const slots = pending.size > 0 ? pending.get(node) : undefined;
      if (slots !== undefined) {
        pending.delete(node);
        if (grads !== undefined) slots[0] = slots[0] === null ? grads[0] : (slots[0] as Tensor).add(grads[0] as Tensor);
        grads = slots;
      }
      if (grads !== undefined) {
        for (let k = 0; k < grads.length; k++) {
          const g = grads[k];
          if (g !== null) grads[k] = observeOutputGrad(node, k, g, createGraph, sink);
        }
        const inputGrads = node.backwardFn(grads, node);
        const edges = node.edges;
        for (let j = 0; j < edges.length; j++) {
          const edge = edges[j];
          const raw = inputGrads[j];
          if (edge === null || raw === null || raw === undefined) continue;
          const g = fitToInput(node, j, edge, raw);
          if (isAnomalyEnabled()) checkFinite(node, j, g);
          if (edge instanceof Node) send(edge, 0, g);
          else if (edge instanceof OutputRef) send(edge.node, edge.index, g);
          else sendToLeaf(edge, g);
        }
      }
      if (!retainGraph) node.free();
    }
    for (const [leaf, g] of pendingLeaves) deliverToLeaf(leaf, g, createGraph, sink);
  };
  // Without createGraph the backward pass records nothing: it is plain arithmetic on gradients.
  if (createGraph) enableGrad(body);
  else noGrad(body);
}

/** Runs hooks, retainGrad and grad() captures for output `index` of `node`; returns the (possibly replaced) gradient. */
function observeOutputGrad(node: Node, index: number, g: Tensor, createGraph: boolean, sink: Sink): Tensor {
  for (const hook of node.outputHooks(index)) g = hook(g) ?? g;
  const kept = node.retainedOutput(index);
  if (kept !== undefined && sink.leafSlots === null) kept.grad = accumulate(kept.grad, g, createGraph, sink);
  for (const { index: i, slot } of sink.nodeSlots?.get(node) ?? []) {
    if (i === index) sink.results[slot] = sink.results[slot] === null ? g : (sink.results[slot] as Tensor).add(g);
  }
  return g;
}

function deliverToLeaf(leaf: Tensor, g: Tensor, createGraph: boolean, sink: Sink): void {
  for (const hook of leaf.hooks) g = hook(g) ?? g;
  if (sink.leafSlots !== null) {
    for (const slot of sink.leafSlots.get(leaf) ?? []) sink.results[slot] = g;
    return;
  }
  leaf.grad = accumulate(leaf.grad, g, createGraph, sink);
}

/** The new `.grad`: the old one plus g, or g itself held in memory no other `.grad` shares. */
function accumulate(previous: Tensor | null, g: Tensor, createGraph: boolean, sink: Sink): Tensor {
  if (previous !== null) return createGraph ? previous.add(g) : noGrad(() => previous.add(g));
  // Gradients are often views (an expanded sum gradient, a slice of a cat gradient) or shared
  // between inputs (add passes g to both). A .grad must be a tensor of its own — with createGraph
  // too, where the copy is recorded so the .grad stays differentiable.
  if (!g.isContiguous() || g.offset !== 0 || g.storage.buffer.length !== g.numel() || sink.owned.has(g.storage)) {
    g = createGraph ? g.clone() : noGrad(() => g.clone());
  }
  sink.owned.add(g.storage);
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
