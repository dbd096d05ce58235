/** DataLoader: iterates a dataset in (optionally shuffled) batches, after PyTorch's torch.utils.data.DataLoader. */

import { ValueError, defaultGenerator, randperm, type Generator } from "@tensorgrad/autograd";
import { checkOptions, type SpecFor } from "../options.js";
import { defaultCollate, type Collated } from "./collate.js";
import { batchAccess, type Dataset } from "./dataset.js";

/** DataLoader options (PyTorch's defaults). */
export interface DataLoaderOptions<T, B> {
  /** Samples per batch (default 1). */
  batchSize?: number;
  /** Reshuffle the order at the start of every epoch (default false). */
  shuffle?: boolean;
  /** Drop the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Source of the shuffling order (default: the global generator, so manualSeed makes it reproducible). */
  generator?: Generator;
  /** Turns a list of samples into a batch (default: defaultCollate, which stacks). */
  collate?: (samples: T[]) => B;
}

/** What DataLoaderOptions may hold. */
const SPEC = {
  batchSize: "number", shuffle: "boolean", dropLast: "boolean", generator: "generator", collate: "function",
} as const satisfies SpecFor<DataLoaderOptions<unknown, unknown>>;

/**
 * Iterates over a dataset in batches; each `for…of` is one epoch (with `shuffle`, a new random
 * order, every sample exactly once). Datasets with `getBatch` (TensorDataset and its Subsets) are
 * batched with one indexSelect per tensor instead of stacking single samples.
 */
export class DataLoader<T, B = Collated<T>> implements Iterable<B> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly generator: Generator;
  private readonly collate: ((samples: T[]) => B) | undefined;

  constructor(
    /** The dataset to iterate over. */
    readonly dataset: Dataset<T>,
    options: DataLoaderOptions<T, B> = {},
  ) {
    checkOptions("DataLoader", options, SPEC);
    const { batchSize = 1, shuffle = false, dropLast = false, generator = defaultGenerator, collate } = options;
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw new ValueError(`DataLoader: invalid batchSize ${batchSize} (expected a positive integer)`);
    if (dataset === null || typeof dataset !== "object" || typeof dataset.get !== "function" || !Number.isInteger(dataset.length) || dataset.length < 0) {
      throw new ValueError(`DataLoader: dataset must have a non-negative integer length and a get(index) method, got ${dataset === null ? "null" : typeof dataset}`);
    }
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.generator = generator;
    this.collate = collate;
  }

  /** Number of batches per epoch: ⌈n/batchSize⌉, or ⌊n/batchSize⌋ with dropLast. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The sample order of one epoch (a fresh permutation when shuffling), split into batches. */
  batchIndices(): number[][] {
    const n = this.dataset.length;
    const order = this.shuffle ? randperm(n, { generator: this.generator }).toFlatArray() : Array.from({ length: n }, (_, i) => i);
    const batches: number[][] = [];
    for (let start = 0; start < n; start += this.batchSize) {
      const batch = order.slice(start, start + this.batchSize);
      if (batch.length < this.batchSize && this.dropLast) break;
      batches.push(batch);
    }
    return batches;
  }

  /** One epoch of batches. */
  *[Symbol.iterator](): Iterator<B> {
    const fast = this.collate === undefined ? batchAccess(this.dataset) : null;
    for (const indices of this.batchIndices()) {
      if (fast !== null) yield fast(indices) as B;
      else {
        const samples = indices.map((i) => this.dataset.get(i));
        yield this.collate === undefined ? (defaultCollate(samples) as B) : this.collate(samples);
      }
    }
  }
}
