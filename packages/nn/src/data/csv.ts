/**
 * Reading numeric tables from CSV text into tensors (browser-friendly: no file system), with
 * column selection, a target column, one-hot encoding and standardization whose fitted
 * statistics come back so the same transform can be applied to test data.
 */

import { parse } from "csv-parse/browser/esm/sync";
import { Tensor, ValueError, tensor } from "@tensorgrad/autograd";
import { checkOptions, oneOf, type SpecFor } from "../options.js";

/** Options of `parseCsv` / `readCsv`. */
export interface CsvOptions {
  /** The first row names the columns (default true); without a header columns are named "0", "1", … */
  header?: boolean;
  /** Field delimiter (default ","). */
  delimiter?: string;
  /** Feature columns, in order (default: every column except the target). */
  columns?: readonly string[];
  /** The target column, returned separately (default: none). */
  target?: string;
  /** "number" (default): target values are numbers; "class": labels become int32 indices into sorted categories. */
  targetType?: "number" | "class";
  /** Categorical feature columns, each expanded into one 0/1 column per category ("color=red"). */
  oneHot?: readonly string[];
  /** Numeric feature columns to rescale to zero mean and unit population std; true: all numeric features. */
  standardize?: readonly string[] | boolean;
  /** Feature (and numeric target) dtype (default float32). */
  dtype?: "float32" | "float64";
  /** Statistics and categories fitted on training data: used instead of fitting on this data. */
  transform?: CsvTransform;
}

/** What was fitted on the data, to apply the same preprocessing to other data. */
export interface CsvTransform {
  /** Mean of each standardized column. */
  mean: Record<string, number>;
  /**
   * Population standard deviation √(Σ(x − mean)²/n) of each standardized column, as scikit-learn's
   * StandardScaler (a constant column gets 1, so it maps to 0).
   */
  std: Record<string, number>;
  /** Categories of each one-hot column and of a class target, in encoding order. */
  categories: Record<string, string[]>;
}

/** A CSV table as tensors. */
export interface CsvData {
  /** [rows, features] in `dtype`. */
  features: Tensor;
  /** [rows]: numbers in `dtype`, or int32 class indices; null without a target column. */
  target: Tensor | null;
  /** Names of the feature columns after one-hot expansion ("color=red"). */
  featureNames: string[];
  /** Name of the target column, or null. */
  targetName: string | null;
  /** Every column of the file, in file order. */
  columns: string[];
  /** Fitted statistics and categories; pass as `transform` to preprocess test data the same way. */
  transform: CsvTransform;
}

/** What CsvOptions may hold. */
const OPTIONS = {
  header: "boolean", delimiter: "string", columns: "strings", target: "string", targetType: oneOf("number", "class"), oneHot: "strings",
  standardize: ["boolean", "strings"], dtype: oneOf("float32", "float64"), transform: "object",
} as const satisfies SpecFor<CsvOptions>;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const SPECIAL: Record<string, number> = { nan: NaN, inf: Infinity, "+inf": Infinity, "-inf": -Infinity, infinity: Infinity, "+infinity": Infinity, "-infinity": -Infinity };

/** A cell as a number, or undefined when it isn't one (empty cells aren't). */
function toNumber(text: string): number | undefined {
  if (NUMBER.test(text)) return Number(text);
  return SPECIAL[text.toLowerCase()];
}

/** Categories in encoding order: numerically when every label is a number, else by string order. */
function sortCategories(values: Iterable<string>): string[] {
  const unique = [...new Set(values)];
  const numbers = unique.map(toNumber);
  if (numbers.every((x) => x !== undefined && !Number.isNaN(x))) {
    return unique.map((u, i) => [u, numbers[i] as number] as const).sort((a, b) => a[1] - b[1]).map(([u]) => u);
  }
  return unique.sort();
}

/**
 * Parses CSV text into feature and target tensors. Errors name the problem and where: a missing
 * column, a non-numeric value (with its row, line and column), a ragged row, an unknown category.
 */
export function parseCsv(text: string, options: CsvOptions = {}): CsvData {
  return csvToTensors("parseCsv", text, options);
}

/** @internal parseCsv with the calling function's name in errors. */
export function csvToTensors(op: string, text: string, options: CsvOptions): CsvData {
  if (typeof text !== "string") throw new ValueError(`${op}: expected CSV text, got ${typeof text}`);
  checkOptions(op, options, OPTIONS);
  const { header = true, delimiter = ",", target, targetType = "number", oneHot = [], dtype = "float32", transform } = options;

  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { delimiter, info: true, relax_column_count: true, skip_empty_lines: true, trim: true, bom: true }) as unknown as typeof records;
  } catch (e) {
    throw new ValueError(`${op}: malformed CSV: ${(e as Error).message}`);
  }
  if (records.length === 0) throw new ValueError(`${op}: the CSV is empty`);
  const width = records[0].record.length;
  const columns = header ? records[0].record : Array.from({ length: width }, (_, i) => String(i));
  const rows = header ? records.slice(1) : records;
  const seen = new Set<string>();
  columns.forEach((c, i) => {
    if (c === "") throw new ValueError(`${op}: column ${i + 1} of the header has no name`);
    if (seen.has(c)) throw new ValueError(`${op}: duplicate column name "${c}" in the header`);
    seen.add(c);
  });
  if (rows.length === 0) throw new ValueError(`${op}: the CSV has a header but no data rows`);
  rows.forEach(({ record, info }, r) => {
    if (record.length !== width) {
      throw new ValueError(`${op}: row ${r + 1} (line ${info.lines}) has ${record.length} fields, expected ${width} like the ${header ? "header" : "first row"}`);
    }
  });

  const where = new Map(columns.map((c, i) => [c, i]));
  const need = (c: string, role: string) => {
    if (!where.has(c)) throw new ValueError(`${op}: ${role} column "${c}" not found (columns: ${columns.join(", ")})`);
    return where.get(c) as number;
  };
  if (target !== undefined) need(target, "target");
  const featureColumns = options.columns ? [...options.columns] : columns.filter((c) => c !== target);
  featureColumns.forEach((c, i) => {
    need(c, "feature");
    if (featureColumns.indexOf(c) !== i) throw new ValueError(`${op}: feature column "${c}" is listed twice`);
  });
  if (target !== undefined && featureColumns.includes(target)) throw new ValueError(`${op}: column "${target}" is both a feature and the target`);
  oneHot.forEach((c) => {
    need(c, "one-hot");
    if (!featureColumns.includes(c)) throw new ValueError(`${op}: one-hot column "${c}" is not among the feature columns`);
  });
  const numericFeatures = featureColumns.filter((c) => !oneHot.includes(c));
  const standardize = options.standardize === true ? numericFeatures : options.standardize === false || options.standardize === undefined ? [] : [...options.standardize];
  standardize.forEach((c) => {
    need(c, "standardize");
    if (!numericFeatures.includes(c)) throw new ValueError(`${op}: standardize column "${c}" is not a numeric feature column${oneHot.includes(c) ? " (it is one-hot encoded)" : ""}`);
  });

  const cell = (r: number, c: string) => rows[r].record[where.get(c) as number];
  // `standardized`: the values are rescaled in float64 before the cast, so only float64 must hold them.
  const numericColumn = (c: string, standardized = false): Float64Array => {
    const out = new Float64Array(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const text = cell(r, c);
      const at = `in column "${c}" at row ${r + 1} (line ${rows[r].info.lines})`;
      if (text === "") throw new ValueError(`${op}: empty value ${at}`);
      const x = toNumber(text);
      if (x === undefined) throw new ValueError(`${op}: non-numeric value "${text}" ${at}`);
      // A finite literal that does not fit (1e400, or 1e39 in float32) would become ±Infinity silently.
      if (NUMBER.test(text) && !Number.isFinite(dtype === "float32" && !standardized ? Math.fround(x) : x)) {
        throw new ValueError(`${op}: value "${text}" ${at} is too large for ${standardized ? "float64" : dtype}`);
      }
      out[r] = x;
    }
    return out;
  };
  const fitted: CsvTransform = { mean: {}, std: {}, categories: {} };
  const categoriesOf = (c: string): string[] => {
    if (transform) {
      const cats = transform.categories?.[c];
      if (!Array.isArray(cats)) throw new ValueError(`${op}: the given transform has no categories for column "${c}"`);
      return [...cats];
    }
    return sortCategories(rows.map((_, r) => cell(r, c)));
  };
  const encode = (c: string, categories: string[]): Int32Array => {
    const index = new Map(categories.map((v, i) => [v, i]));
    return Int32Array.from(rows, (_, r) => {
      const i = index.get(cell(r, c));
      if (i === undefined) throw new ValueError(`${op}: unknown category "${cell(r, c)}" in column "${c}" at row ${r + 1} (line ${rows[r].info.lines}); known: ${categories.join(", ")}`);
      return i;
    });
  };

  // Build the feature columns (one-hot columns expand in place).
  const blocks: { names: string[]; values: Float64Array[] }[] = featureColumns.map((c) => {
    if (oneHot.includes(c)) {
      const categories = categoriesOf(c);
      fitted.categories[c] = categories;
      const codes = encode(c, categories);
      return { names: categories.map((v) => `${c}=${v}`), values: categories.map((_, k) => Float64Array.from(codes, (code) => (code === k ? 1 : 0))) };
    }
    const values = numericColumn(c, standardize.includes(c));
    if (standardize.includes(c)) {
      let mean: number;
      let std: number;
      if (transform) {
        mean = transform.mean?.[c];
        std = transform.std?.[c];
        if (typeof mean !== "number" || typeof std !== "number") throw new ValueError(`${op}: the given transform has no mean/std for column "${c}"`);
      } else {
        mean = values.reduce((a, b) => a + b, 0) / values.length;
        const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
        std = Math.sqrt(variance) || 1;
      }
      fitted.mean[c] = mean;
      fitted.std[c] = std;
      for (let r = 0; r < values.length; r++) values[r] = (values[r] - mean) / std;
    }
    return { names: [c], values: [values] };
  });
  const featureNames = blocks.flatMap((b) => b.names);
  const featureValues = blocks.flatMap((b) => b.values);
  const flat = new Float64Array(rows.length * featureValues.length);
  featureValues.forEach((col, j) => {
    for (let r = 0; r < rows.length; r++) flat[r * featureValues.length + j] = col[r];
  });

  let targetTensor: Tensor | null = null;
  if (target !== undefined) {
    if (targetType === "class") {
      const categories = categoriesOf(target);
      fitted.categories[target] = categories;
      targetTensor = tensor(encode(target, categories), { dtype: "int32" });
    } else targetTensor = tensor(numericColumn(target), { dtype });
  }
  return {
    features: tensor(flat, { dtype, shape: [rows.length, featureValues.length] }),
    target: targetTensor,
    featureNames,
    targetName: target ?? null,
    columns: [...columns],
    transform: fitted,
  };
}
