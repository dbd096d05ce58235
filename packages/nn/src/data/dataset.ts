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

function checkIndex(op: string, index: number, length: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new IndexError(`${op}: index ${index} is out of range for a dataset of length ${length}`);
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

  /** Row `index` of every tensor. */
  get(index: number): Tensor[] {
    checkIndex("TensorDataset", index, this.length);
    return this.tensors.map((t) => t.select(0, index));
  }

  /** The rows at `indices` of every tensor, stacked: one indexSelect per tensor. */
  getBatch(indices: readonly number[]): Tensor[] {
    indices.forEach((i) => checkIndex("TensorDataset", i, this.length));
    const index = tensor(Int32Array.from(indices));
    return this.tensors.map((t) => t.indexSelect(0, index));
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
    indices.forEach((i) => checkIndex("Subset", i, dataset.length));
  }

  /** Number of samples. */
  get length(): number {
    return this.indices.length;
  }

  /** Sample `index` of the subset: `dataset.get(indices[index])`. */
  get(index: number): T {
    checkIndex("Subset", index, this.indices.length);
    return this.dataset.get(this.indices[index]);
  }
}

/** @internal A function returning collated batches through `getBatch`, when the dataset (or the one under a Subset) has it. */
export function batchAccess(dataset: Dataset<unknown>): ((indices: readonly number[]) => unknown) | null {
  if (dataset instanceof Subset) {
    const inner = batchAccess(dataset.dataset);
    const map = dataset.indices;
    if (inner === null) return null;
    return (indices) => {
      indices.forEach((i) => checkIndex("Subset", i, map.length));
      return inner(indices.map((i) => map[i]));
    };
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
  const n = dataset.length;
  if (!Array.isArray(lengths) || lengths.length === 0 || lengths.some((l) => typeof l !== "number" || !Number.isFinite(l) || l < 0)) {
    throw new ValueError(`randomSplit: lengths must be non-negative numbers, got [${String(lengths)}]`);
  }
  const total = lengths.reduce((a, b) => a + b, 0);
  let sizes = [...lengths];
  if (Math.abs(total - 1) <= 1e-9 && total <= 1 + 1e-9 && lengths.some((l) => !Number.isInteger(l))) {
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
