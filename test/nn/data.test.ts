/** Datasets, the DataLoader, randomSplit and CSV reading, checked against values worked out by hand. */

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Generator, IndexError, Tensor, ValueError, arange, manualSeed, tensor } from "@tensorgrad/autograd";
import { DataLoader, Subset, TensorDataset, defaultCollate, parseCsv, randomSplit, type Dataset } from "@tensorgrad/nn";
import { readCsv } from "@tensorgrad/nn/node";
import { tempDir } from "../helpers/temp-dir.js";

/** x row i = [i, 10·i], y[i] = i. */
function numbered(n: number): TensorDataset {
  const x = tensor(Array.from({ length: n }, (_, i) => [i, 10 * i]));
  const y = arange(n);
  return new TensorDataset(x, y);
}

/** The y values of every batch of one epoch. */
const epochOrder = (loader: DataLoader<Tensor[]>) => [...loader].map(([, y]) => y.toFlatArray());

describe("TensorDataset", () => {
  it("samples are the rows of each tensor", () => {
    const ds = numbered(5);
    expect(ds.length).toBe(5);
    const [x, y] = ds.get(3);
    expect(x.toFlatArray()).toEqual([3, 30]);
    expect(y.item()).toBe(3);
  });

  it("checks that the tensors have the same number of rows", () => {
    expect(() => new TensorDataset(tensor([[1], [2], [3]]), tensor([1, 2]))).toThrow(
      "TensorDataset: size mismatch between tensors: tensor 0 has 3 rows [3,1], tensor 1 has 2 [2]",
    );
    expect(() => new TensorDataset()).toThrow("TensorDataset: expected at least one tensor");
    expect(() => new TensorDataset(tensor(1))).toThrow("TensorDataset: tensor 0 is 0-d");
    expect(() => numbered(3).get(3)).toThrow(IndexError);
    expect(() => numbered(3).get(3)).toThrow("TensorDataset: index 3 is out of range for a dataset of length 3");
  });
});

describe("DataLoader", () => {
  it("batches in order; the last batch is smaller", () => {
    const loader = new DataLoader(numbered(10), { batchSize: 4 });
    expect(loader.length).toBe(3);
    const batches = [...loader];
    expect(batches.length).toBe(3);
    expect(batches[0][0].toArray()).toEqual([[0, 0], [1, 10], [2, 20], [3, 30]]);
    expect(batches[0][1].toArray()).toEqual([0, 1, 2, 3]);
    expect(batches[2][0].toArray()).toEqual([[8, 80], [9, 90]]);
    expect(batches.map(([x, y]) => [x.shape, y.shape])).toEqual([[[4, 2], [4]], [[4, 2], [4]], [[2, 2], [2]]]);
  });

  it("dropLast drops the incomplete batch", () => {
    const loader = new DataLoader(numbered(10), { batchSize: 4, dropLast: true });
    expect(loader.length).toBe(2);
    expect(epochOrder(loader)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
    expect(new DataLoader(numbered(8), { batchSize: 4, dropLast: true }).length).toBe(2);
    expect(new DataLoader(numbered(3), { batchSize: 4, dropLast: true }).length).toBe(0);
  });

  it("batchSize defaults to 1", () => {
    expect(epochOrder(new DataLoader(numbered(3)))).toEqual([[0], [1], [2]]);
  });

  it("shuffle: every index exactly once per epoch, a new order each epoch", () => {
    const loader = new DataLoader(numbered(23), { batchSize: 5, shuffle: true, generator: new Generator(1) });
    const e1 = epochOrder(loader);
    const e2 = epochOrder(loader);
    expect(e1.map((b) => b.length)).toEqual([5, 5, 5, 5, 3]);
    const all = (e: number[][]) => e.flat().sort((a, b) => a - b);
    expect(all(e1)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(all(e2)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(e1.flat()).not.toEqual(e2.flat());
    expect(e1.flat()).not.toEqual(Array.from({ length: 23 }, (_, i) => i));
  });

  it("shuffle is reproducible with a seeded generator or manualSeed", () => {
    const order = (g?: Generator) => epochOrder(new DataLoader(numbered(12), { batchSize: 3, shuffle: true, generator: g })).flat();
    expect(order(new Generator(42))).toEqual(order(new Generator(42)));
    expect(order(new Generator(42))).not.toEqual(order(new Generator(43)));
    manualSeed(7);
    const a = order();
    manualSeed(7);
    expect(order()).toEqual(a);
  });

  it("the TensorDataset fast path gives the same batches as stacking single samples", () => {
    const ds = numbered(7);
    const fast = [...new DataLoader(ds, { batchSize: 3, shuffle: true, generator: new Generator(5) })];
    const slow = [...new DataLoader(ds, { batchSize: 3, shuffle: true, generator: new Generator(5), collate: (s: Tensor[][]) => defaultCollate(s) })];
    expect(fast.map((b) => b.map((t) => t.toArray()))).toEqual(slow.map((b) => b.map((t) => t.toArray())));
    expect(fast.map((b) => b.map((t) => t.dtype))).toEqual(slow.map((b) => b.map((t) => t.dtype)));
  });

  it("collates objects and tuples of tensors, numbers and strings; custom collate", () => {
    const ds: Dataset<{ x: Tensor; label: number; weight: number; name: string }> = {
      length: 4,
      get: (i) => ({ x: tensor([i, -i]), label: i % 2, weight: i / 2, name: `s${i}` }),
    };
    const [first] = [...new DataLoader(ds, { batchSize: 3 })];
    expect(first.x.toArray()).toEqual([[0, -0], [1, -1], [2, -2]]);
    expect(first.label.dtype).toBe("int32");
    expect(first.label.toArray()).toEqual([0, 1, 0]);
    expect(first.weight.dtype).toBe("float32");
    expect(first.weight.toArray()).toEqual([0, 0.5, 1]);
    expect(first.name).toEqual(["s0", "s1", "s2"]);

    const pairs: Dataset<[Tensor, boolean]> = { length: 2, get: (i) => [tensor([[i]]), i === 1] };
    const [[xs, flags]] = [...new DataLoader(pairs, { batchSize: 2 })];
    expect(xs.shape).toEqual([2, 1, 1]);
    expect(flags.toArray()).toEqual([false, true]);

    const sums = [...new DataLoader(numbered(4), { batchSize: 2, collate: (s) => s.reduce((acc, [, y]) => acc + y.item(), 0) })];
    expect(sums).toEqual([1, 5]);
  });

  it("rejects bad options and samples it cannot collate", () => {
    expect(() => new DataLoader(numbered(3), { batchSize: 0 })).toThrow("DataLoader: invalid batchSize 0 (expected a positive integer)");
    const ragged: Dataset<Tensor> = { length: 2, get: (i) => tensor(i === 0 ? [1] : [1, 2]) };
    expect(() => [...new DataLoader(ragged, { batchSize: 2 })]).toThrow("stack: all tensors must have the same shape");
    const mixed: Dataset<unknown> = { length: 2, get: (i) => (i === 0 ? 1 : "a") };
    expect(() => [...new DataLoader(mixed, { batchSize: 2 })]).toThrow("defaultCollate: batch: sample 1 is a string but sample 0 is a number");
  });
});

describe("randomSplit", () => {
  it("integer lengths: the sizes asked for, disjoint, covering every index", () => {
    const ds = numbered(10);
    const parts = randomSplit(ds, [7, 3], new Generator(0));
    expect(parts.map((p) => p.length)).toEqual([7, 3]);
    const all = parts.flatMap((p) => [...p.indices]);
    expect(new Set(all).size).toBe(10);
    expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    // A Subset's samples are the dataset's samples at its indices.
    const [x, y] = parts[1].get(2);
    expect(y.item()).toBe(parts[1].indices[2]);
    expect(x.toFlatArray()).toEqual([parts[1].indices[2], 10 * parts[1].indices[2]]);
  });

  it("fractions: ⌊n·f⌋ each, the remainder dealt out from the first (11 → 6, 3, 2)", () => {
    expect(randomSplit(numbered(11), [0.5, 0.3, 0.2], new Generator(0)).map((p) => p.length)).toEqual([6, 3, 2]);
    expect(randomSplit(numbered(10), [0.25, 0.25, 0.5], new Generator(0)).map((p) => p.length)).toEqual([3, 2, 5]);
  });

  it("is reproducible with a generator, and a Subset batches through the fast path", () => {
    const a = randomSplit(numbered(20), [15, 5], new Generator(3));
    const b = randomSplit(numbered(20), [15, 5], new Generator(3));
    expect(a[0].indices).toEqual(b[0].indices);
    const [[, y]] = [...new DataLoader(a[1], { batchSize: 5 })];
    expect(y.toFlatArray()).toEqual(a[1].indices);
  });

  it("rejects lengths that do not add up", () => {
    expect(() => randomSplit(numbered(10), [5, 4])).toThrow("randomSplit: lengths [5, 4] sum to 9, but the dataset has 10 samples");
    expect(() => randomSplit(numbered(10), [0.5, 0.4])).toThrow("randomSplit: lengths must be integers, or fractions summing to 1");
    expect(() => new Subset(numbered(3), [0, 5])).toThrow("Subset: index 5 is out of range for a dataset of length 3");
  });
});

describe("CSV", () => {
  const train = ["sepal,petal,color,label", "1.0,2.0,red,a", "2.0,4.0,blue,b", "3.0,0.0,red,a", "6.0,2.0,green,c"].join("\n");

  it("reads every column as a feature by default", () => {
    const data = parseCsv("a,b\n1,2\n3,4.5\n-1e3,.5\n");
    expect(data.columns).toEqual(["a", "b"]);
    expect(data.featureNames).toEqual(["a", "b"]);
    expect(data.features.dtype).toBe("float32");
    expect(data.features.toArray()).toEqual([[1, 2], [3, 4.5], [-1000, 0.5]]);
    expect(data.target).toBeNull();
  });

  it("target, one-hot (sorted categories) and standardization (population std), checked by hand", () => {
    const data = parseCsv(train, { target: "label", targetType: "class", oneHot: ["color"], standardize: true, dtype: "float64" });
    expect(data.featureNames).toEqual(["sepal", "petal", "color=blue", "color=green", "color=red"]);
    // sepal [1,2,3,6]: mean 3, variance (4+1+0+9)/4 = 3.5; petal [2,4,0,2]: mean 2, variance (0+4+4+0)/4 = 2.
    const s = Math.sqrt(3.5);
    const p = Math.sqrt(2);
    expect(data.features).toBeAllclose([
      [-2 / s, 0, 0, 0, 1],
      [-1 / s, 2 / p, 1, 0, 0],
      [0, -2 / p, 0, 0, 1],
      [3 / s, 0, 0, 1, 0],
    ], { rtol: 1e-15, atol: 1e-15 });
    expect(data.target?.dtype).toBe("int32");
    expect(data.target?.toArray()).toEqual([0, 1, 0, 2]);
    expect(data.transform.mean).toEqual({ sepal: 3, petal: 2 });
    expect(data.transform.std.sepal).toBeCloseTo(s, 15);
    expect(data.transform.std.petal).toBeCloseTo(p, 15);
    expect(data.transform.categories).toEqual({ color: ["blue", "green", "red"], label: ["a", "b", "c"] });
  });

  it("the fitted transform applies the same preprocessing to test data", () => {
    const options = { target: "label", targetType: "class", oneHot: ["color"], standardize: true, dtype: "float64" } as const;
    const fitted = parseCsv(train, options).transform;
    const test = parseCsv("sepal,petal,color,label\n3.0,2.0,green,c\n4.0,1.0,green,a\n", { ...options, transform: fitted });
    expect(test.features).toBeAllclose([[0, 0, 0, 1, 0], [1 / Math.sqrt(3.5), -1 / Math.sqrt(2), 0, 1, 0]], { rtol: 1e-15, atol: 1e-15 });
    expect(test.target?.toArray()).toEqual([2, 0]);
    expect(test.transform).toEqual(fitted);
    expect(() => parseCsv("sepal,petal,color,label\n1,2,purple,a\n", { ...options, transform: fitted })).toThrow(
      'parseCsv: unknown category "purple" in column "color" at row 1 (line 2); known: blue, green, red',
    );
  });

  it("column selection, a numeric target, no header, numeric class labels sorted as numbers", () => {
    const data = parseCsv(train, { columns: ["petal"], target: "sepal" });
    expect(data.featureNames).toEqual(["petal"]);
    expect(data.features.toArray()).toEqual([[2], [4], [0], [2]]);
    expect(data.target?.dtype).toBe("float32");
    expect(data.target?.toArray()).toEqual([1, 2, 3, 6]);

    const noHeader = parseCsv("1,2,10\n3,4,9\n5,6,10\n", { header: false, target: "2", targetType: "class" });
    expect(noHeader.columns).toEqual(["0", "1", "2"]);
    expect(noHeader.features.toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(noHeader.transform.categories["2"]).toEqual(["9", "10"]);
    expect(noHeader.target?.toArray()).toEqual([1, 0, 1]);
  });

  it("quoted fields, other delimiters, blank lines, a BOM, a constant column", () => {
    const data = parseCsv('\uFEFFname;x;k\n"Smith; J.";1;5\n\n"O""Neil";2;5\n', { delimiter: ";", columns: ["x", "k"], oneHot: [], standardize: ["k"] });
    expect(data.columns).toEqual(["name", "x", "k"]);
    expect(data.features.toArray()).toEqual([[1, 0], [2, 0]]);
    expect(data.transform.std.k).toBe(1);
  });

  it("clear errors: missing columns, non-numeric values, ragged rows, empty input, duplicate names", () => {
    expect(() => parseCsv(train, { target: "species" })).toThrow('parseCsv: target column "species" not found (columns: sepal, petal, color, label)');
    expect(() => parseCsv(train, { columns: ["sepal", "width"] })).toThrow('parseCsv: feature column "width" not found');
    expect(() => parseCsv(train, { columns: ["sepal", "color"] })).toThrow('parseCsv: non-numeric value "red" in column "color" at row 1 (line 2)');
    expect(() => parseCsv("a,b\n1,2\n3,\n")).toThrow('parseCsv: empty value in column "b" at row 2 (line 3)');
    expect(() => parseCsv("a,b\n1,2\n3,4,5\n")).toThrow("parseCsv: row 2 (line 3) has 3 fields, expected 2 like the header");
    expect(() => parseCsv("")).toThrow("parseCsv: the CSV is empty");
    expect(() => parseCsv("a,b\n")).toThrow("parseCsv: the CSV has a header but no data rows");
    expect(() => parseCsv("a,a\n1,2\n")).toThrow('parseCsv: duplicate column name "a" in the header');
    expect(() => parseCsv('a,b\n"1,2\n')).toThrow("parseCsv: malformed CSV");
    expect(() => parseCsv(train, { oneHot: ["color"], standardize: ["color"] })).toThrow('parseCsv: standardize column "color" is not a numeric feature column (it is one-hot encoded)');
    expect(() => parseCsv(train, { target: "label", columns: ["label"] })).toThrow('parseCsv: column "label" is both a feature and the target');
    expect(() => parseCsv(train, { oneHot: ["color"], standardize: ["sepal"], transform: { mean: {}, std: {}, categories: { color: ["red"] } } })).toThrow(
      'parseCsv: the given transform has no mean/std for column "sepal"',
    );
    for (const bad of [() => parseCsv(train, { columns: ["color"] })]) expect(bad).toThrow(ValueError);
  });

  it("readCsv reads a file (and says which file it could not read)", () => {
    const dir = tempDir("csv");
    const path = join(dir, "train.csv");
    writeFileSync(path, train);
    const data = readCsv(path, { target: "label", targetType: "class", oneHot: ["color"] });
    expect(data.features.shape).toEqual([4, 5]);
    expect(data.target?.toArray()).toEqual([0, 1, 0, 2]);
    expect(() => readCsv(path, { columns: ["nope"] })).toThrow('readCsv: feature column "nope" not found');
    expect(() => readCsv(join(dir, "missing.csv"))).toThrow(/^readCsv: cannot read ".*missing.csv": ENOENT/);
  });
});
