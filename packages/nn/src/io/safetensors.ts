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
import { StrictJsonError, parseStrictJson } from "./strict-json.js";
import { checkOptions, type SpecFor } from "../options.js";

/**
 * The safetensors dtype names tensorgrad reads (it writes all but I64). I64 — PyTorch's int64,
 * e.g. BatchNorm's num_batches_tracked — is read as int32 when every value fits.
 */
export type SafetensorsDType = "F32" | "F64" | "I32" | "BOOL" | "I64";

const TO_FILE: { [D in DType]: SafetensorsDType } = { float32: "F32", float64: "F64", int32: "I32", bool: "BOOL" };
const FROM_FILE: { [S in SafetensorsDType]: DType } = { F32: "float32", F64: "float64", I32: "int32", BOOL: "bool", I64: "int32" };
const ITEMSIZE: { [S in SafetensorsDType]: number } = { F32: 4, F64: 8, I32: 4, BOOL: 1, I64: 8 };
/** dtypes of the format that tensorgrad has no tensor type for. */
const OTHER_DTYPES = ["F16", "BF16", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "I8", "I16", "U8", "U16", "U32", "U64", "C64"];
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

/** What SaveSafetensorsOptions may hold (the values of metadata are checked where it is written). */
const SAVE_SPEC = { metadata: "object" } as const satisfies SpecFor<SaveSafetensorsOptions>;

function fail(op: string, problem: string): never {
  throw new ValueError(`${op}: ${problem}`);
}

/** Little-endian bytes of a tensor's elements (row-major, as toTypedArray gives them). */
function tensorBytes(values: Float32Array | Float64Array | Int32Array | Uint8Array): Uint8Array {
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

/**
 * Elements of `dtype` from little-endian bytes, which may be a view at any byteOffset, aligned or
 * not, into a larger buffer. They are copied into an aligned buffer of their own first, with
 * `set` rather than `slice`: on a Node Buffer (a Uint8Array subclass) `slice` returns a view, and
 * a small Buffer from readFileSync is a view into a shared 8 KB pool. I64 is read as int32:
 * `name` names a value that does not fit.
 */
function fromBytes(bytes: Uint8Array, dtype: SafetensorsDType, name: string): Float32Array | Float64Array | Int32Array | Uint8Array {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  if (dtype === "BOOL") return copy;
  if (dtype === "I64") {
    const view = new DataView(copy.buffer);
    const out = new Int32Array(copy.byteLength / 8);
    for (let i = 0; i < out.length; i++) {
      const v = view.getBigInt64(i * 8, true);
      if (v < -2147483648n || v > 2147483647n) fail("loadSafetensors", `tensor "${name}": I64 value ${v} does not fit in int32`);
      out[i] = Number(v);
    }
    return out;
  }
  const n = copy.byteLength / ITEMSIZE[dtype];
  if (LITTLE_ENDIAN_HOST) return dtype === "F32" ? new Float32Array(copy.buffer) : dtype === "F64" ? new Float64Array(copy.buffer) : new Int32Array(copy.buffer);
  const view = new DataView(copy.buffer);
  if (dtype === "F32") return Float32Array.from({ length: n }, (_, i) => view.getFloat32(i * 4, true));
  if (dtype === "F64") return Float64Array.from({ length: n }, (_, i) => view.getFloat64(i * 8, true));
  return Int32Array.from({ length: n }, (_, i) => view.getInt32(i * 4, true));
}

/**
 * Serializes a state dict (name → tensor) to safetensors bytes: tensors sorted by name and stored
 * back to back, header padded with spaces to a multiple of 8 bytes. Tensors on a device read
 * asynchronously (webgpu) need saveSafetensorsAsync.
 */
export function saveSafetensors(stateDict: Readonly<Record<string, Tensor>>, options: SaveSafetensorsOptions = {}): Uint8Array {
  const op = "saveSafetensors";
  const names = checkStateDict(op, stateDict, options);
  for (const name of names) {
    const t = stateDict[name];
    if (t.backend.asyncReads) {
      fail(op, `"${name}" is on ${t.device}, whose memory is read asynchronously; use await saveSafetensorsAsync(stateDict) (or move the model first: await model.toAsync("cpu"))`);
    }
  }
  return encode(stateDict, names, options, names.map((name) => tensorBytes(stateDict[name].toTypedArray())));
}

/**
 * saveSafetensors for tensors on any device: each tensor is read with toTypedArrayAsync (a GPU
 * tensor waits for the device), then the same bytes are written.
 */
export async function saveSafetensorsAsync(stateDict: Readonly<Record<string, Tensor>>, options: SaveSafetensorsOptions = {}): Promise<Uint8Array> {
  const names = checkStateDict("saveSafetensorsAsync", stateDict, options);
  const values = await Promise.all(names.map((name) => stateDict[name].toTypedArrayAsync()));
  return encode(stateDict, names, options, values.map(tensorBytes));
}

/** Checks a state dict and the options; returns its names, sorted. */
function checkStateDict(op: string, stateDict: Readonly<Record<string, Tensor>>, options: SaveSafetensorsOptions): string[] {
  if (stateDict === null || typeof stateDict !== "object" || Array.isArray(stateDict) || stateDict instanceof Map || stateDict instanceof Tensor) {
    const got = Array.isArray(stateDict) ? "an array" : stateDict instanceof Map ? "a Map (use Object.fromEntries)" : stateDict instanceof Tensor ? "a Tensor" : String(stateDict);
    fail(op, `expected a state dict (an object of tensors), got ${got}`);
  }
  checkOptions(op, options, SAVE_SPEC);
  const names = Object.keys(stateDict).sort();
  for (const name of names) {
    if (name === "") fail(op, "tensor names must not be empty");
    if (name === "__metadata__") fail(op, 'the name "__metadata__" is reserved for metadata');
    if (!(stateDict[name] instanceof Tensor)) fail(op, `"${name}" is not a Tensor`);
  }
  if (options.metadata !== undefined) {
    const metadata = options.metadata;
    if (metadata === null || typeof metadata !== "object") fail(op, "metadata must be an object of strings");
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== "string") fail(op, `metadata value of "${k}" is a ${typeof v}, not a string`);
  }
  return names;
}

/** The file's bytes, from the checked names (sorted) and each tensor's little-endian data. */
function encode(stateDict: Readonly<Record<string, Tensor>>, names: readonly string[], options: SaveSafetensorsOptions, datas: readonly Uint8Array[]): Uint8Array {
  const parts: string[] = [];
  if (options.metadata !== undefined) {
    const metadata = options.metadata;
    // Built by hand so keys keep this order even when they look like integers.
    const entries = Object.keys(metadata).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`);
    parts.push(`"__metadata__":{${entries.join(",")}}`);
  }
  let offset = 0;
  names.forEach((name, i) => {
    const t = stateDict[name];
    const info = { dtype: TO_FILE[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + datas[i].byteLength] };
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    offset += datas[i].byteLength;
  });
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

/** How a value from the header shows in messages. */
const show = (value: unknown): string => (value === undefined ? "nothing" : JSON.stringify(value) ?? String(value));

/** Stores `value` under `key` as an own property, even for a key such as "__proto__". */
function put<V>(record: Record<string, V>, key: string, value: V): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Reads and checks the header; returns it with the byte position where the data starts. Checks
 * what the format asks (https://github.com/huggingface/safetensors, "Format"): an 8-byte
 * little-endian length, a UTF-8 JSON object starting with '{' and no duplicate keys, string-to-
 * string `__metadata__`, each tensor's known dtype, non-negative integer shape and [begin, end]
 * offsets whose length is numel·itemsize, and tensors tiling the data exactly — no gap, no
 * overlap, no trailing bytes (in any header order). Tensor names must be non-empty, as the writer
 * demands.
 */
function readHeader(op: string, bytes: Uint8Array): SafetensorsHeader & { dataStart: number } {
  if (!((bytes as unknown) instanceof Uint8Array)) {
    const got = (bytes as unknown) === null ? "null" : (bytes as unknown) instanceof ArrayBuffer ? "an ArrayBuffer (wrap it: new Uint8Array(buffer))" : typeof bytes;
    fail(op, `expected a Uint8Array, got ${got}`);
  }
  if (bytes.byteLength < 8) fail(op, `file too short (${bytes.byteLength} bytes): the 8-byte header length is missing, the file is truncated`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER)) fail(op, `header length ${n} is larger than the ${MAX_HEADER}-byte limit: the file is corrupted or not safetensors`);
  const headerLength = Number(n);
  if (8 + headerLength > bytes.byteLength) {
    fail(op, `header length ${headerLength} runs past the end of the file (${bytes.byteLength} bytes): the file is truncated or corrupted`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    return fail(op, "the header is not valid UTF-8: the file is corrupted");
  }
  if (!text.startsWith("{")) fail(op, "the header does not start with '{': the file is corrupted or not safetensors");
  let json: unknown;
  try {
    json = parseStrictJson(text);
  } catch (e) {
    if (!(e instanceof StrictJsonError)) throw e;
    return fail(op, `the header is not valid JSON (${e.message}): the file is corrupted`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) fail(op, "the header is not a JSON object");

  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  let metadata: Record<string, string> | null = null;
  const tensors: Record<string, SafetensorsTensorInfo> = {};
  for (const [name, entry] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (entry === null || typeof entry !== "object" || Array.isArray(entry)) fail(op, `__metadata__ is not an object of strings (got ${show(entry)})`);
      metadata = {};
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== "string") fail(op, `__metadata__ value of ${JSON.stringify(k)} is not a string (got ${show(v)})`);
        put(metadata, k, v);
      }
      continue;
    }
    if (name === "") fail(op, "a tensor has an empty name (saveSafetensors refuses to write one)");
    const where = `tensor ${JSON.stringify(name)}`;
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) fail(op, `${where}: its header entry is not an object (got ${show(entry)})`);
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (typeof dtype !== "string") fail(op, `${where}: dtype must be a string, got ${show(dtype)}`);
    if (!Object.hasOwn(FROM_FILE, dtype)) {
      if (OTHER_DTYPES.includes(dtype)) fail(op, `${where}: dtype ${dtype} is not supported (tensorgrad reads F32, F64, I32, I64 and BOOL)`);
      fail(op, `${where}: unknown dtype ${JSON.stringify(dtype)}`);
    }
    if (!Array.isArray(shape) || !shape.every(isCount)) fail(op, `${where}: shape must be an array of non-negative integers, got ${show(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
      fail(op, `${where}: data_offsets must be [begin, end] with 0 ≤ begin ≤ end, got ${show(offsets)}`);
    }
    const st = dtype as SafetensorsDType;
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    const [begin, end] = offsets as [number, number];
    if (numel * ITEMSIZE[st] !== end - begin) {
      fail(op, `${where}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but dtype ${st} with shape [${(shape as number[]).join(", ")}] needs ${numel * ITEMSIZE[st]}`);
    }
    if (end > dataLength) fail(op, `${where}: data_offsets [${begin}, ${end}] run past the end of the data (${dataLength} bytes): the file is truncated`);
    put(tensors, name, { dtype: st, shape: [...(shape as number[])], data_offsets: [begin, end] });
  }
  // The tensors must tile the data exactly: no gaps, no overlaps, nothing left over.
  const ordered = Object.entries(tensors).sort(([, a], [, b]) => a.data_offsets[0] - b.data_offsets[0] || a.data_offsets[1] - b.data_offsets[1]);
  let covered = 0;
  let previous = "";
  for (const [name, info] of ordered) {
    const [begin, end] = info.data_offsets;
    if (begin < covered) fail(op, `tensors ${JSON.stringify(previous)} and ${JSON.stringify(name)} overlap (bytes ${begin} to ${covered})`);
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
      const values = fromBytes(bytes.subarray(dataStart + begin, dataStart + end), info.dtype, name);
      return [name, tensor(values, { dtype: FROM_FILE[info.dtype], shape: info.shape })];
    }),
  );
}

/** The checked header of safetensors bytes: each tensor's dtype, shape and offsets, and the metadata. */
export function readSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  const { tensors, metadata } = readHeader("readSafetensorsHeader", bytes);
  return { tensors, metadata };
}
