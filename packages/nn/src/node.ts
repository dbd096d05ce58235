/**
 * @tensorgrad/nn/node — the parts that touch the file system (Node.js only). The main entry works
 * anywhere: parseCsv, saveSafetensors and loadSafetensors do the same on strings and bytes.
 */

export { readCsv } from "./data/csv-file.js";
export { save, saveAsync, load } from "./io/file.js";
