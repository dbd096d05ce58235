/**
 * Tables for the examples: a CSV file read by @tensorgrad/nn's CSV reader, or a generated table
 * that goes through the same parser (as CSV text), so both paths produce the same tensors.
 */

import type { Tensor } from "@tensorgrad/autograd";
import { parseCsv, type CsvData, type CsvOptions } from "@tensorgrad/nn";
import { readCsv } from "@tensorgrad/nn/node";
import { DataError } from "../common/errors.js";
import type { Table } from "./synthetic.js";


/** A generated table as CSV text with a header row. */
export function tableToCsv(table: Table): string {
  return [table.columns.join(","), ...table.rows.map((r) => r.join(","))].join("\n");
}

/** Reads `csv` when given, else parses the generated table, with the same options either way. */
export function loadTable(csv: string | undefined, generate: () => Table, options: CsvOptions): CsvData {
  return csv !== undefined ? readCsv(csv, options) : parseCsv(tableToCsv(generate()), options);
}

/** (x − mean)/std per column, with the mean and population std of `fit` (the training rows): test rows never leak into them. */
export function standardize(x: Tensor, fit: Tensor): Tensor {
  const mean = fit.mean(0, true);
  const std = fit.std(0, { correction: 0, keepdim: true });
  return x.sub(mean).div(std.add(std.eq(0).float())); // a constant column keeps std 1
}

/** Throws unless every value of the 1-d target `y` is 0 or 1. */
export function checkBinaryTarget(op: string, name: string, y: Tensor): void {
  const ok = y.eq(0).logicalOr(y.eq(1));
  if (!ok.all().item()) {
    const values = y.toFlatArray();
    const row = ok.toFlatArray().findIndex((v) => !v);
    throw new DataError(`${op}: ${name} must be 0 or 1, got ${values[row]} in data row ${row + 1}`);
  }
}
