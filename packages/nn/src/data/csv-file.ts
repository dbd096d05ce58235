/** Reading a CSV file from disk (Node only; parseCsv works on text anywhere). */

import { readFileSync } from "node:fs";
import { ValueError } from "@tensorgrad/autograd";
import { csvToTensors, type CsvData, type CsvOptions } from "./csv.js";

/** Reads the CSV file at `path` (UTF-8) into feature and target tensors; see parseCsv for the options. */
export function readCsv(path: string, options: CsvOptions = {}): CsvData {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ValueError(`readCsv: cannot read "${path}": ${(e as Error).message}`);
  }
  return csvToTensors("readCsv", text, options);
}
