/**
 * A hand-written safetensors writer and reader for the benchmark's initial weights (float32 only),
 * independent of every library under test: the data generator writes one file per model workload,
 * the TF.js worker reads it here, tensorgrad through its own loadSafetensors, PyTorch through the
 * equally small reader in torch_ref.py. The format: an 8-byte little-endian header length N, N
 * bytes of JSON {name: {"dtype", "shape", "data_offsets": [begin, end]}} padded with spaces to a
 * multiple of 8, then the tensors' little-endian bytes back to back.
 */

import { readFileSync, writeFileSync } from "node:fs";

/** One named float32 tensor of a safetensors file. */
export interface NamedArray {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Writes `tensors` (in the given order) to `path` as a safetensors file of F32 tensors. */
export function writeSafetensors(path: string, tensors: Readonly<Record<string, NamedArray>>): void {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) throw new Error(`safetensors: ${name} has ${t.data.length} values for shape [${t.shape.join(", ")}]`);
    header[name] = { dtype: "F32", shape: [...t.shape], data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const jsonBytes = Buffer.from(json, "utf8");
  const out = Buffer.alloc(8 + jsonBytes.length + offset);
  out.writeBigUInt64LE(BigInt(jsonBytes.length), 0);
  jsonBytes.copy(out, 8);
  let at = 8 + jsonBytes.length;
  for (const t of Object.values(tensors)) {
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(out, at);
    at += t.data.byteLength;
  }
  writeFileSync(path, out);
}

/** Reads a safetensors file of F32 tensors into aligned Float32Arrays, in the header's order. */
export function readSafetensors(path: string): Record<string, NamedArray> {
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString("utf8")) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out: Record<string, NamedArray> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    if (info.dtype !== "F32") throw new Error(`safetensors: ${path}: ${name} is ${info.dtype}, only F32 is read here`);
    const [begin, end] = info.data_offsets;
    const data = new Float32Array((end - begin) / 4);
    new Uint8Array(data.buffer).set(bytes.subarray(8 + n + begin, 8 + n + end));
    out[name] = { shape: info.shape, data };
  }
  return out;
}
