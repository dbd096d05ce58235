/** Saving and loading state dicts as safetensors files (Node only; the in-memory functions work anywhere). */

import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { ValueError, type Tensor } from "@tensorgrad/autograd";
import { loadSafetensors, saveSafetensors, saveSafetensorsAsync, type SaveSafetensorsOptions } from "./safetensors.js";

/**
 * Writes a state dict to `path` in safetensors format. The bytes go to a temporary file that is
 * then renamed over `path`, so a crash mid-write never leaves a half-written checkpoint.
 */
export function save(stateDict: Readonly<Record<string, Tensor>>, path: string, options: SaveSafetensorsOptions = {}): void {
  writeAtomically("save", path, saveSafetensors(stateDict, options));
}

/** save for tensors on any device (a GPU's are read asynchronously first: saveSafetensorsAsync). */
export async function saveAsync(stateDict: Readonly<Record<string, Tensor>>, path: string, options: SaveSafetensorsOptions = {}): Promise<void> {
  writeAtomically("saveAsync", path, await saveSafetensorsAsync(stateDict, options));
}

/** Writes bytes to a temporary file, then renames it over `path`. */
function writeAtomically(op: string, path: string, bytes: Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new ValueError(`${op}: cannot write "${path}": ${(e as Error).message}`);
  }
}

/** Reads a safetensors file into a state dict, checking the whole file first (never a partial dict). */
export function load(path: string): Record<string, Tensor> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new ValueError(`load: cannot read "${path}": ${(e as Error).message}`);
  }
  try {
    return loadSafetensors(bytes);
  } catch (e) {
    if (e instanceof ValueError) throw new ValueError(`load: "${path}": ${e.message.replace(/^loadSafetensors: /, "")}`);
    throw e;
  }
}
