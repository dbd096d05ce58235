/**
 * Where the CPU backends' arrays come from. In V8 a `new Float32Array(n)` of its own costs
 * 1–10 µs whatever its size (a separate off-heap allocation the garbage collector must track),
 * while a view into an existing ArrayBuffer costs a tenth of that. Eager training loops allocate
 * dozens of small and medium arrays per step, so arrays up to 16 KiB are carved out of shared
 * slabs, as Node's Buffer pool does for small Buffers. A slab is freed when the last array in it
 * is; the price is that one array kept alive holds on to its whole slab. Size classes bound that:
 * the slab of a class holds at least 16 arrays of its largest size, so memory kept by long-lived
 * medium arrays is at most 16× their size, and tiny ones (a kept loss) share 4 KiB slabs.
 */

import type { DType } from "../../dtype.js";
import type { HostArray } from "../backend.js";

const BYTES_PER_ELEMENT: { readonly [K in DType]: number } = { float32: 4, float64: 8, int32: 4, bool: 1 };

/** One size class: arrays of at most `maxBytes`, carved from slabs of `slabBytes`. */
interface SlabClass {
  readonly maxBytes: number;
  readonly slabBytes: number;
  slab: ArrayBuffer | null;
  used: number;
}

const CLASSES: SlabClass[] = [
  { maxBytes: 64, slabBytes: 4096, slab: null, used: 0 },
  { maxBytes: 1024, slabBytes: 16 * 1024, slab: null, used: 0 },
  { maxBytes: 16 * 1024, slabBytes: 256 * 1024, slab: null, used: 0 },
];

/** Largest array (bytes) served from a slab; larger ones get an ArrayBuffer of their own. */
export const MAX_SLAB_ARRAY_BYTES = CLASSES[CLASSES.length - 1].maxBytes;

/** A zero-filled array of `length` elements of `dtype`. */
export function newArray(dtype: DType, length: number): HostArray {
  const bytes = length * BYTES_PER_ELEMENT[dtype];
  if (length === 0 || bytes > MAX_SLAB_ARRAY_BYTES) return ownArray(dtype, length);
  const cls = bytes <= CLASSES[0].maxBytes ? CLASSES[0] : bytes <= CLASSES[1].maxBytes ? CLASSES[1] : CLASSES[2];
  const size = (bytes + 7) & ~7; // 8-byte aligned, for float64
  if (cls.slab === null || cls.used + size > cls.slabBytes) {
    // Fresh ArrayBuffers are zero-filled and each stretch is handed out once: arrays start at 0.
    cls.slab = new ArrayBuffer(cls.slabBytes);
    cls.used = 0;
  }
  const at = cls.used;
  cls.used += size;
  const slab = cls.slab;
  switch (dtype) {
    case "float32": return new Float32Array(slab, at, length);
    case "float64": return new Float64Array(slab, at, length);
    case "int32": return new Int32Array(slab, at, length);
    case "bool": return new Uint8Array(slab, at, length);
    default: return dtype satisfies never;
  }
}

/**
 * A zero-filled array with an ArrayBuffer of its own: for large arrays, and arrays handed to
 * users, who may use `.buffer`. The memory comes from the recycled pool when it holds a buffer of
 * exactly this many bytes.
 */
export function ownArray(dtype: DType, length: number): HostArray {
  const reused = length * BYTES_PER_ELEMENT[dtype] > MAX_SLAB_ARRAY_BYTES ? takeRecycled(length * BYTES_PER_ELEMENT[dtype]) : undefined;
  switch (dtype) {
    case "float32": return reused ? new Float32Array(reused) : new Float32Array(length);
    case "float64": return reused ? new Float64Array(reused) : new Float64Array(length);
    case "int32": return reused ? new Int32Array(reused) : new Int32Array(length);
    case "bool": return reused ? new Uint8Array(reused) : new Uint8Array(length);
    default: return dtype satisfies never;
  }
}

/*
 * The recycled pool. A fresh ArrayBuffer of a few hundred KiB or more is new memory from the
 * operating system, and its first write page-faults on every 4 KiB page: on the test machine
 * (a virtual machine) allocating and filling a fresh 1.25 MB array took 2.3 ms, refilling a kept
 * one 0.04 ms. Reverse mode knows when a gradient's memory is dead (engine/gradient-memory.ts)
 * and hands it here; the next array of the same byte length reuses it. Training loops allocate
 * the same shapes every step, so exact lengths match. The pool keeps at most POOL_LIMIT_BYTES;
 * what does not fit is left to the garbage collector.
 */
const recycled = new Map<number, ArrayBuffer[]>();
let recycledBytes = 0;
/** Most memory the pool keeps for reuse. */
export const POOL_LIMIT_BYTES = 128 * 1024 * 1024;

/** Whether `data` may go to the pool: larger than a slab array, and the whole of its own ArrayBuffer. */
export function isRecyclable(data: HostArray): boolean {
  const buffer = data.buffer;
  return data.byteLength > MAX_SLAB_ARRAY_BYTES && data.byteOffset === 0 && data.byteLength === buffer.byteLength && buffer instanceof ArrayBuffer;
}

/**
 * Hands an array's memory to the pool. The caller guarantees that nothing reads or writes
 * `data` (or any view of its buffer) again.
 */
export function recycleArray(data: HostArray): void {
  if (!isRecyclable(data) || recycledBytes + data.byteLength > POOL_LIMIT_BYTES) return;
  const list = recycled.get(data.byteLength);
  if (list === undefined) recycled.set(data.byteLength, [data.buffer as ArrayBuffer]);
  else list.push(data.buffer as ArrayBuffer);
  recycledBytes += data.byteLength;
}

/** A pooled ArrayBuffer of exactly `bytes`, zero-filled, or undefined. */
function takeRecycled(bytes: number): ArrayBuffer | undefined {
  const buffer = recycled.get(bytes)?.pop();
  if (buffer === undefined) return undefined;
  recycledBytes -= bytes;
  new Uint8Array(buffer).fill(0);
  return buffer;
}

/** Bytes in the pool now (for tests and memory reports). */
export function recycledPoolBytes(): number {
  return recycledBytes;
}
