/**
 * The WebAssembly runtime behind the wasm backend: one module instance over one linear memory,
 * created lazily on first use and shared by every backend object. The memory is scratch space
 * only — tensors live in JS TypedArrays — so it grows to the largest kernel's high-water mark
 * and is never freed. Views of it are made at the moment of use (a grow detaches old views).
 */

import { WASM_KERNELS_BASE64, WASM_KERNELS_SHARED_BASE64 } from "./wasm-kernels.generated.js";

/** A compiled WebAssembly module (opaque here; workers receive it by structured clone). */
export type WasmModule = object;

/** The part of WebAssembly.Memory we use. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

/** The WebAssembly JS API, typed locally: the core's type environment has no DOM/wasm lib. */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: object };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}

const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** The kernels the compiled module exports (see packages/autograd/assembly/). */
export interface KernelExports {
  matmulF32(a: number, b: number, c: number, k: number, ldc: number, i0: number, i1: number, j0: number, j1: number): void;
  matmulF64(a: number, b: number, c: number, k: number, ldc: number, i0: number, i1: number, j0: number, j1: number): void;
  packF32(src: number, dst: number, rows: number, cols: number, rs: number, cs: number, r: number): void;
  packF64(src: number, dst: number, rows: number, cols: number, rs: number, cs: number, r: number): void;
  unaryF32(op: number, p: number, n: number): void;
  unaryF64(op: number, p: number, n: number): void;
  softmaxRows(x: number, out: number, tmp: number, rows: number, len: number, log: number, f32: number): void;
  sumRows(x: number, out: number, rows: number, len: number, f32: number): void;
}

/** Register-tile sizes the kernels were compiled with (assembly/matmul.ts). */
export const TILE = {
  float32: { mr: 4, nr: 8 },
  float64: { mr: 4, nr: 4 },
} as const;

const PAGE = 65536;
/** Maximum memory in pages, as compiled (--maximumMemory): 2 GiB. */
export const MAX_PAGES = 32768;
/** Scratch starts past the first page, leaving room for the module's own (tiny) statics. */
export const SCRATCH_BASE = PAGE;

/** A live module instance over its memory, with views refreshed on demand. */
export interface Runtime {
  readonly module: WasmModule;
  readonly memory: WasmMemory;
  readonly shared: boolean;
  readonly kernels: KernelExports;
  /** Grows the memory so that [0, bytes) is addressable; false when that exceeds the maximum. */
  reserve(bytes: number): boolean;
  f32(): Float32Array;
  f64(): Float64Array;
}

function decodeBase64(text: string): Uint8Array {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

let simdSupported: boolean | undefined;

/** True when this JavaScript engine can compile the backend's WebAssembly SIMD module. */
export function wasmSimdSupported(): boolean {
  if (simdSupported === undefined) {
    try {
      simdSupported = wasmApi !== undefined && wasmApi.validate(decodeBase64(WASM_KERNELS_BASE64));
    } catch {
      simdSupported = false;
    }
  }
  return simdSupported === true;
}

/** True when shared WebAssembly memory can be created here (Node, or a cross-origin-isolated page). */
export function sharedMemorySupported(): boolean {
  if (typeof SharedArrayBuffer !== "function" || !wasmApi) return false;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  if (isolated === false) return false;
  try {
    return new wasmApi.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

function createRuntime(shared: boolean): Runtime {
  if (!wasmApi) throw new Error("wasm backend: this JavaScript engine has no WebAssembly");
  const bytes = decodeBase64(shared ? WASM_KERNELS_SHARED_BASE64 : WASM_KERNELS_BASE64);
  const module = new wasmApi.Module(bytes);
  const memory = new wasmApi.Memory({ initial: 2, maximum: MAX_PAGES, shared });
  const instance = new wasmApi.Instance(module, { env: { memory } });
  const kernels = instance.exports as unknown as KernelExports;
  // Only reserve() grows the memory (workers never do), so the views are remade right there.
  let f32 = new Float32Array(memory.buffer);
  let f64 = new Float64Array(memory.buffer);
  let size = memory.buffer.byteLength;
  return {
    module, memory, shared, kernels,
    reserve(need) {
      if (need <= size) return true;
      const pages = Math.ceil((need - size) / PAGE);
      if (size / PAGE + pages > MAX_PAGES) return false;
      memory.grow(pages);
      f32 = new Float32Array(memory.buffer);
      f64 = new Float64Array(memory.buffer);
      size = memory.buffer.byteLength;
      return true;
    },
    f32: () => f32,
    f64: () => f64,
  };
}

let runtime: Runtime | undefined;

/** The process-wide runtime, instantiated on first call (shared memory where threads are possible). */
export function getRuntime(): Runtime {
  runtime ??= createRuntime(sharedMemorySupported());
  return runtime;
}
