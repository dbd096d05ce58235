/** Data loading: datasets, the DataLoader, random splits and CSV reading. */

export { TensorDataset, Subset, randomSplit } from "./dataset.js";
export type { Dataset, BatchedDataset } from "./dataset.js";
export { DataLoader } from "./dataloader.js";
export type { DataLoaderOptions } from "./dataloader.js";
export { defaultCollate } from "./collate.js";
export type { Collated } from "./collate.js";
export { parseCsv } from "./csv.js";
export type { CsvOptions, CsvData, CsvTransform } from "./csv.js";
