/** Datasets (PyTorch's torch.utils.data): the Dataset interface, TensorDataset, Subset and randomSplit. */

import { IndexError, Tensor, ValueError, defaultGenerator, randperm, tensor, type Generator } from "@tensorgrad/autograd";

const fmtShapeOf = (t: Tensor): string => `[${t.shape.join(",")}]`;

/** A map-style dataset: `length` samples, sample i from `get(i)`. */
export interface Dataset<T> {
  /** Number of samples. */
  readonly length: number;
  /** Sample `index` (0 ≤ index < length). */
  get(index: number): T;
}

/** A dataset that can also return a whole batch at once, already collated (the DataLoader's fast path). */
export interface BatchedDataset<T, B> extends Dataset<T> {
  /** The collated batch of the samples at `indices`: the same as collating `get(i)` for each i. */
  getBatch(indices: readonly number[]): B;
}

/**
 * `index` as a position in [0, length): negative indices count from the end (−1 is the last
 * sample, as in PyTorch); a non-integer or out-of-range index is an IndexError.
 */
function normIndex(op: string, index: number, length: number): number {
  if (typeof index !== "number" || !Number.isInteger(index)) {
    throw new IndexError(`${op}: index must be an integer, got ${typeof index === "string" ? JSON.stringify(index) : String(index)}`);
  }
  if (index < -length || index >= length) throw new IndexError(`${op}: index ${index} is out of range for a dataset of length ${length}`);
  return index < 0 ? index + length : index;
}

/** Throws unless `dataset` has an integer length and a get method. */
function checkDataset(op: string, dataset: unknown): asserts dataset is Dataset<unknown> {
  const d = dataset as Partial<Dataset<unknown>> | null;
  if (d === null || typeof d !== "object" || typeof d.get !== "function" || !Number.isInteger(d.length) || (d.length as number) < 0) {
    throw new ValueError(`${op}: dataset must have a non-negative integer length and a get(index) method, got ${d === null ? "null" : typeof d}`);
  }
}

/** Samples are the rows (slices along dim 0) of tensors that share their first dimension. */
export class TensorDataset implements BatchedDataset<Tensor[], Tensor[]> {
  /** The tensors, each with `length` rows. */
  readonly tensors: readonly Tensor[];

  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new ValueError("TensorDataset: expected at least one tensor");
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new ValueError(`TensorDataset: argument ${i} is not a Tensor`);
      if (t.ndim === 0) throw new ValueError(`TensorDataset: tensor ${i} is 0-d; every tensor needs a first dimension to index samples`);
    });
    const n = tensors[0].shape[0];
    tensors.forEach((t, i) => {
      if (t.shape[0] !== n) {
        throw new ValueError(`TensorDataset: size mismatch between tensors: tensor 0 has ${n} rows ${fmtShapeOf(tensors[0])}, tensor ${i} has ${t.shape[0]} ${fmtShapeOf(t)}`);
      }
    });
    this.tensors = tensors;
  }

  /** Number of rows. */
  get length(): number {
    return this.tensors[0].shape[0];
  }

  /** Row `index` of every tensor (negative counts from the end: −1 is the last row). */
  get(index: number): Tensor[] {
    const i = normIndex("TensorDataset", index, this.length);
    return this.tensors.map((t) => t.select(0, i));
  }

  /** The rows at `indices` of every tensor, stacked: one indexSelect per tensor. */
  getBatch(indices: readonly number[]): Tensor[] {
    if (!Array.isArray(indices)) throw new ValueError(`TensorDataset.getBatch: indices must be an array of integers, got ${typeof indices}`);
    const ids = Int32Array.from(indices, (i) => normIndex("TensorDataset", i, this.length));
    // the index on each tensor's own device (once per device), not on the default one
    const byDevice = new Map<string, Tensor>();
    const indexOn = (device: string): Tensor => {
      let index = byDevice.get(device);
      if (index === undefined) byDevice.set(device, (index = tensor(ids, { device })));
      return index;
    };
    return this.tensors.map((t) => t.indexSelect(0, indexOn(t.device)));
  }
}

/** The samples of `dataset` at `indices`, in that order. */
export class Subset<T> implements Dataset<T> {
  constructor(
    /** The dataset the samples come from. */
    readonly dataset: Dataset<T>,
    /** Positions in `dataset`, one per sample of the subset. */
    readonly indices: readonly number[],
  ) {
    checkDataset("Subset", dataset);
    if (!Array.isArray(indices)) throw new ValueError(`Subset: indices must be an array of integers, got ${typeof indices}`);
    indices.forEach((i) => normIndex("Subset", i, dataset.length));
  }

  /** Number of samples. */
  get length(): number {
    return this.indices.length;
  }

  /** Sample `index` of the subset (negative counts from the end): `dataset.get(indices[index])`. */
  get(index: number): T {
    return this.dataset.get(this.indices[normIndex("Subset", index, this.indices.length)]);
  }
}

/** @internal A function returning collated batches through `getBatch`, when the dataset (or the one under a Subset) has it. */
export function batchAccess(dataset: Dataset<unknown>): ((indices: readonly number[]) => unknown) | null {
  if (dataset instanceof Subset) {
    const inner = batchAccess(dataset.dataset);
    const map = dataset.indices;
    if (inner === null) return null;
    return (indices) => inner(indices.map((i) => map[normIndex("Subset", i, map.length)]));
  }
  const d = dataset as Partial<BatchedDataset<unknown, unknown>>;
  return typeof d.getBatch === "function" ? (indices) => (d.getBatch as (i: readonly number[]) => unknown).call(dataset, indices) : null;
}

/**
 * Splits a dataset into non-overlapping random subsets of the given lengths, or of the given
 * fractions (summing to 1: each gets ⌊n·f⌋ and the remainder is dealt out one by one from the
 * first, as PyTorch does). Reproducible through `generator` (default: the global one).
 */
export function randomSplit<T>(dataset: Dataset<T>, lengths: readonly number[], generator: Generator = defaultGenerator): Subset<T>[] {
  checkDataset("randomSplit", dataset);
  const n = dataset.length;
  if (!Array.isArray(lengths) || lengths.length === 0 || lengths.some((l) => typeof l !== "number" || !Number.isFinite(l) || l < 0)) {
    throw new ValueError(`randomSplit: lengths must be non-negative numbers, got ${Array.isArray(lengths) ? `[${lengths.map((l) => (typeof l === "string" ? JSON.stringify(l) : String(l))).join(", ")}]` : String(lengths)}`);
  }
  const total = lengths.reduce((a, b) => a + b, 0);
  let sizes = [...lengths];
  // As PyTorch (math.isclose(sum, 1) and sum <= 1, here with a rounding margin): fractions, even [1, 0].
  if (Math.abs(total - 1) <= 1e-9 && total <= 1 + 1e-9) {
    sizes = lengths.map((f) => Math.floor(n * f));
    const remainder = n - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < remainder; i++) sizes[i % sizes.length] += 1;
  } else if (lengths.some((l) => !Number.isInteger(l))) {
    throw new ValueError(`randomSplit: lengths must be integers, or fractions summing to 1, got [${lengths.join(", ")}] (sum ${total})`);
  }
  const sum = sizes.reduce((a, b) => a + b, 0);
  if (sum !== n) throw new ValueError(`randomSplit: lengths [${sizes.join(", ")}] sum to ${sum}, but the dataset has ${n} samples`);
  const order = randperm(n, { generator }).toFlatArray();
  let start = 0;
  return sizes.map((size) => {
    const subset = new Subset(dataset, order.slice(start, start + size));
    start += size;
    return subset;
  });
}
