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

/** An array with an ArrayBuffer of its own: for arrays handed to users, who may use `.buffer`. */
export function ownArray(dtype: DType, length: number): HostArray {
  switch (dtype) {
    case "float32": return new Float32Array(length);
    case "float64": return new Float64Array(length);
    case "int32": return new Int32Array(length);
    case "bool": return new Uint8Array(length);
    default: return dtype satisfies never;
  }
}
