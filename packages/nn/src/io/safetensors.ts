/**
 * The safetensors format (readable by PyTorch and Hugging Face tools), in memory:
 *
 *   [8 bytes: N, little-endian u64] [N bytes: UTF-8 JSON header, space-padded to a multiple of 8]
 *   [data: each tensor's little-endian elements, row-major, back to back]
 *
 * The header maps each tensor name to {"dtype","shape","data_offsets":[begin,end]} (offsets
 * relative to the start of the data) and may hold "__metadata__": {string: string}. We write
 * tensors sorted by name, so the same state dict always gives the same bytes, and we check a file
 * completely before creating any tensor, so a bad file is an error, never a partial dict.
 */

import { Tensor, ValueError, tensor, type DType } from "@tensorgrad/autograd";

/** The safetensors dtype names tensorgrad reads and writes. */
export type SafetensorsDType = "F32" | "F64" | "I32" | "BOOL";

const TO_FILE: { [D in DType]: SafetensorsDType } = { float32: "F32", float64: "F64", int32: "I32", bool: "BOOL" };
const FROM_FILE: { [S in SafetensorsDType]: DType } = { F32: "float32", F64: "float64", I32: "int32", BOOL: "bool" };
const ITEMSIZE: { [S in SafetensorsDType]: number } = { F32: 4, F64: 8, I32: 4, BOOL: 1 };
/** dtypes of the format that tensorgrad has no tensor type for. */
const OTHER_DTYPES = ["F16", "BF16", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "I8", "I16", "I64", "U8", "U16", "U32", "U64", "C64"];
/** The reference implementation refuses headers above 100 MB. */
const MAX_HEADER = 100_000_000;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A tensor's entry in the header. */
export interface SafetensorsTensorInfo {
  dtype: SafetensorsDType;
  shape: number[];
  /** [begin, end) in bytes, relative to the start of the data after the header. */
  data_offsets: [number, number];
}

/** The checked header of a safetensors file. */
export interface SafetensorsHeader {
  /** Tensor entries by name. */
  tensors: Record<string, SafetensorsTensorInfo>;
  /** The `__metadata__` map, or null when the file has none. */
  metadata: Record<string, string> | null;
}

/** Options of `saveSafetensors`. */
export interface SaveSafetensorsOptions {
  /** Free-form string metadata stored under `__metadata__` (e.g. {"format": "pt"}). */
  metadata?: Readonly<Record<string, string>>;
}

function fail(op: string, problem: string): never {
  throw new ValueError(`${op}: ${problem}`);
}

/** Little-endian bytes of a tensor's elements (row-major). */
function tensorBytes(t: Tensor): Uint8Array {
  const values = t.toTypedArray();
  if (LITTLE_ENDIAN_HOST || values.BYTES_PER_ELEMENT === 1) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.byteLength);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    if (values instanceof Float32Array) view.setFloat32(i * 4, v, true);
    else if (values instanceof Float64Array) view.setFloat64(i * 8, v, true);
    else view.setInt32(i * 4, v, true);
  });
  return out;
}

/** Elements of `dtype` from little-endian bytes. */
function fromBytes(bytes: Uint8Array, dtype: SafetensorsDType): Float32Array | Float64Array | Int32Array | Uint8Array {
  // An own, aligned buffer of exactly these bytes. (Not bytes.slice(): a Node Buffer's slice is a
  // view into the whole file, whose .buffer starts at the file's first byte.)
  const copy = new Uint8Array(bytes);
  if (dtype === "BOOL") return copy;
  const n = copy.byteLength / ITEMSIZE[dtype];
  if (LITTLE_ENDIAN_HOST) return dtype === "F32" ? new Float32Array(copy.buffer) : dtype === "F64" ? new Float64Array(copy.buffer) : new Int32Array(copy.buffer);
  const view = new DataView(copy.buffer);
  if (dtype === "F32") return Float32Array.from({ length: n }, (_, i) => view.getFloat32(i * 4, true));
  if (dtype === "F64") return Float64Array.from({ length: n }, (_, i) => view.getFloat64(i * 8, true));
  return Int32Array.from({ length: n }, (_, i) => view.getInt32(i * 4, true));
}

/**
 * Serializes a state dict (name → tensor) to safetensors bytes: tensors sorted by name and stored
 * back to back, header padded with spaces to a multiple of 8 bytes.
 */
export function saveSafetensors(stateDict: Readonly<Record<string, Tensor>>, options: SaveSafetensorsOptions = {}): Uint8Array {
  const op = "saveSafetensors";
  if (stateDict === null || typeof stateDict !== "object") fail(op, `expected a state dict (an object of tensors), got ${String(stateDict)}`);
  const names = Object.keys(stateDict).sort();
  for (const name of names) {
    if (name === "") fail(op, "tensor names must not be empty");
    if (name === "__metadata__") fail(op, 'the name "__metadata__" is reserved for metadata');
    if (!(stateDict[name] instanceof Tensor)) fail(op, `"${name}" is not a Tensor`);
  }
  const parts: string[] = [];
  if (options.metadata !== undefined) {
    const metadata = options.metadata;
    if (metadata === null || typeof metadata !== "object") fail(op, "metadata must be an object of strings");
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== "string") fail(op, `metadata value of "${k}" is a ${typeof v}, not a string`);
    // Built by hand so keys keep this order even when they look like integers.
    const entries = Object.keys(metadata).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`);
    parts.push(`"__metadata__":{${entries.join(",")}}`);
  }
  const datas: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const t = stateDict[name];
    const data = tensorBytes(t);
    const info = { dtype: TO_FILE[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + data.byteLength] };
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    datas.push(data);
    offset += data.byteLength;
  }
  let header = new TextEncoder().encode(`{${parts.join(",")}}`);
  const padded = Math.ceil(header.byteLength / 8) * 8;
  if (padded !== header.byteLength) {
    const withSpaces = new Uint8Array(padded).fill(0x20);
    withSpaces.set(header);
    header = withSpaces;
  }
  const out = new Uint8Array(8 + header.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.byteLength), true);
  out.set(header, 8);
  let at = 8 + header.byteLength;
  for (const data of datas) {
    out.set(data, at);
    at += data.byteLength;
  }
  return out;
}

const isCount = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;

/** Reads and checks the header; returns it with the byte position where the data starts. */
function readHeader(op: string, bytes: Uint8Array): SafetensorsHeader & { dataStart: number } {
  if (!(bytes instanceof Uint8Array)) fail(op, `expected a Uint8Array, got ${bytes === null ? "null" : typeof bytes}`);
  if (bytes.byteLength < 8) fail(op, `file too short (${bytes.byteLength} bytes): the 8-byte header length is missing, the file is truncated`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER)) fail(op, `header length ${n} is larger than the ${MAX_HEADER}-byte limit: the file is corrupted or not safetensors`);
  const headerLength = Number(n);
  if (8 + headerLength > bytes.byteLength) {
    fail(op, `header length ${headerLength} runs past the end of the file (${bytes.byteLength} bytes): the file is truncated or corrupted`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    return fail(op, "the header is not valid UTF-8: the file is corrupted");
  }
  if (!text.startsWith("{")) fail(op, "the header does not start with '{': the file is corrupted or not safetensors");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(op, `the header is not valid JSON (${(e as Error).message}): the file is corrupted`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) fail(op, "the header is not a JSON object");

  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  let metadata: Record<string, string> | null = null;
  const tensors: Record<string, SafetensorsTensorInfo> = {};
  for (const [name, entry] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (entry === null || typeof entry !== "object" || Array.isArray(entry)) fail(op, "__metadata__ is not an object");
      for (const [k, v] of Object.entries(entry)) if (typeof v !== "string") fail(op, `__metadata__ value of "${k}" is not a string`);
      metadata = { ...(entry as Record<string, string>) };
      continue;
    }
    const where = `tensor "${name}"`;
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) fail(op, `${where}: its header entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (typeof dtype !== "string") fail(op, `${where}: missing dtype`);
    if (!(dtype in FROM_FILE)) {
      if (OTHER_DTYPES.includes(dtype)) fail(op, `${where}: dtype ${dtype} is not supported (tensorgrad reads F32, F64, I32 and BOOL)`);
      fail(op, `${where}: unknown dtype ${JSON.stringify(dtype)}`);
    }
    if (!Array.isArray(shape) || !shape.every(isCount)) fail(op, `${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
      fail(op, `${where}: data_offsets must be [begin, end] with 0 ≤ begin ≤ end, got ${JSON.stringify(offsets)}`);
    }
    const st = dtype as SafetensorsDType;
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    const [begin, end] = offsets as [number, number];
    if (numel * ITEMSIZE[st] !== end - begin) {
      fail(op, `${where}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but dtype ${st} with shape [${(shape as number[]).join(", ")}] needs ${numel * ITEMSIZE[st]}`);
    }
    if (end > dataLength) fail(op, `${where}: data_offsets [${begin}, ${end}] run past the end of the data (${dataLength} bytes): the file is truncated`);
    tensors[name] = { dtype: st, shape: [...(shape as number[])], data_offsets: [begin, end] };
  }
  // The tensors must tile the data exactly: no gaps, no overlaps, nothing left over.
  const ordered = Object.entries(tensors).sort(([, a], [, b]) => a.data_offsets[0] - b.data_offsets[0] || a.data_offsets[1] - b.data_offsets[1]);
  let covered = 0;
  let previous = "";
  for (const [name, info] of ordered) {
    const [begin, end] = info.data_offsets;
    if (begin < covered) fail(op, `tensors "${previous}" and "${name}" overlap (bytes ${begin} to ${covered})`);
    if (begin > covered) fail(op, `bytes ${covered} to ${begin} of the data belong to no tensor: the file is corrupted`);
    covered = end;
    previous = name;
  }
  if (covered !== dataLength) fail(op, `the data has ${dataLength - covered} bytes after the last tensor that belong to no tensor: the file is corrupted`);
  return { tensors, metadata, dataStart };
}

/** Reads safetensors bytes into a state dict, after checking the whole file (never a partial dict). */
export function loadSafetensors(bytes: Uint8Array): Record<string, Tensor> {
  const { tensors, dataStart } = readHeader("loadSafetensors", bytes);
  return Object.fromEntries(
    Object.entries(tensors).map(([name, info]) => {
      const [begin, end] = info.data_offsets;
      const values = fromBytes(bytes.subarray(dataStart + begin, dataStart + end), info.dtype);
      return [name, tensor(values, { dtype: FROM_FILE[info.dtype], shape: info.shape })];
    }),
  );
}

/** The checked header of safetensors bytes: each tensor's dtype, shape and offsets, and the metadata. */
export function readSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  const { tensors, metadata } = readHeader("readSafetensorsHeader", bytes);
  return { tensors, metadata };
}
