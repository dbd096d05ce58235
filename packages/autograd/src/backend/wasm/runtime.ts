/**
 * The WebAssembly runtime behind the wasm backend: one module instance over one linear memory,
 * created lazily on first use and shared by every backend object. The memory is scratch space
 * only — tensors live in JS TypedArrays — so it grows to the largest kernel's high-water mark
 * and is never freed. Views of it are made at the moment of use (a grow detaches old views).
 *
 * The module comes in two builds of the same sources (assembly/matmul.ts): plain SIMD, and
 * relaxed SIMD, whose matmul tiles use fused multiply-add. The relaxed build is used wherever
 * the engine validates relaxed SIMD (V8 ≥ 11.4: Node ≥ 22, Chrome ≥ 114; on Node 20 the backend
 * turns on V8's `--experimental-wasm-relaxed-simd` itself, see enableRelaxedSimdOnNode20), unless
 * the environment variable TENSORGRAD_WASM_FMA=0 asks for the plain one. Worker threads receive the compiled module, so they run the same build.
 */

import { applyWasmPatch } from "./binary-patch.js";
import {
  WASM_KERNELS_BASE64, WASM_KERNELS_FLAGS_OFFSET, WASM_KERNELS_FMA_FLAGS_OFFSET, WASM_KERNELS_FMA_PATCH_BASE64,
} from "./wasm-kernels.generated.js";

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
  sumRows(x: number, out: number, rows: number, len: number, f32: number): void;
  sumColumns(x: number, out: number, rows: number, len: number, f32: number): void;
  vecMat(v: number, b: number, out: number, k: number, n: number, f32: number): void;
  matVec(a: number, v: number, out: number, m: number, k: number, f32: number): void;
  outer(a: number, b: number, out: number, m: number, n: number, f32: number): void;
  /** One fused Adam(W) step (assembly/optim.ts): p, m, v in place; scalars at s; flags say which terms. */
  adamF32(p: number, g: number, m: number, v: number, s: number, n: number, flags: number): void;
  adamF64(p: number, g: number, m: number, v: number, s: number, n: number, flags: number): void;
  /** One fused Adadelta step in place (assembly/optim.ts). */
  adadeltaF32(p: number, g: number, v: number, u: number, s: number, n: number, flags: number): void;
  adadeltaF64(p: number, g: number, v: number, u: number, s: number, n: number, flags: number): void;
  // 2-d convolution, one image per call (assembly/conv.ts; host in backend/wasm/conv.ts).
  convForwardF32(x: number, geo: number, a: number, raw: number, pb: number, c: number, bias: number, y: number): void;
  convForwardF64(x: number, geo: number, a: number, raw: number, pb: number, c: number, bias: number, y: number): void;
  convInputGradF32(gy: number, geo: number, a: number, pb: number, c: number, dx: number): void;
  convInputGradF64(gy: number, geo: number, a: number, pb: number, c: number, dx: number): void;
  convWeightGradF32(x: number, gy: number, geo: number, raw: number, pa: number, pb: number, c: number, acc: number): void;
  convWeightGradF64(x: number, gy: number, geo: number, raw: number, pa: number, pb: number, c: number, acc: number): void;
  // Transformer kernels (assembly/gelu.ts, layernorm.ts, attention.ts; hosts in gelu.ts, layernorm.ts, attention.ts here).
  /** out = gelu(x) over n float32 values; tanhForm ≠ 0 for the tanh approximation. */
  geluF32(x: number, out: number, n: number, tanhForm: number): void;
  /** out = g·gelu′(x) over n float32 values. */
  geluBackwardF32(g: number, x: number, out: number, n: number, tanhForm: number): void;
  /** In place: erf of n float32 values. */
  erfF32(p: number, n: number): void;
  /** Softmax / log-softmax of rows r0..r1−1 of `len` values (assembly/softmax.ts); x may equal out. */
  softmaxF32(x: number, out: number, r0: number, r1: number, len: number, log: number): void;
  softmaxF64(x: number, out: number, r0: number, r1: number, len: number, log: number): void;
  /** Their fused backward from upstream g and forward output y; out may equal g. */
  softmaxBackwardF32(g: number, y: number, out: number, r0: number, r1: number, len: number, log: number): void;
  /** Cross entropy of float32 logit rows r0..r1−1 against int32 indices (assembly/softmax.ts). */
  softmaxCrossEntropyF32(x: number, t: number, out: number, r0: number, r1: number, len: number): void;
  /** Its gradient rows: (softmax(x) − onehot(t))·g; out may equal x. */
  softmaxCrossEntropyBackwardF32(g: number, x: number, t: number, out: number, r0: number, r1: number, len: number): void;
  softmaxBackwardF64(g: number, y: number, out: number, r0: number, r1: number, len: number, log: number): void;
  // LayerNorm and the attention softmax (assembly/layernorm.ts, attention.ts; hosts in layernorm.ts, attention.ts here).
  /** LayerNorm of float32 rows r0..r1−1 of `cols` values: out, and each row's mean and rstd; flags: 1 weight, 2 bias. */
  layerNormF32(x: number, w: number, b: number, out: number, mean: number, rstd: number, r0: number, r1: number, cols: number, eps: number, flags: number): void;
  /** Its backward: dx, and dweight/dbias added into f64 arrays; flags: 1 weight, 4 dx, 8 dweight, 16 dbias. */
  layerNormBackwardF32(g: number, x: number, mean: number, rstd: number, w: number, dx: number, dw: number, db: number, r0: number, r1: number, cols: number, flags: number): void;
  /** softmax(x·scale) of float32 rows r0..r1−1 of S keys, causal: query r mod L sees keys ≤ itself; x may equal out. */
  attentionSoftmaxF32(x: number, out: number, r0: number, r1: number, L: number, S: number, scale: number, causal: number): void;
  /** Its backward, out = scale·y·(g − Σ g·y); out may equal g. */
  attentionSoftmaxBackwardF32(g: number, y: number, out: number, r0: number, r1: number, S: number, scale: number): void;
  /** Row gather / scatter-add along one dim, operands read as [outer, size, inner] (assembly/index-rows.ts). */
  indexSelectRows(x: number, idx: number, out: number, outer: number, size: number, n: number, rowBytes: number): void;
  indexAddRowsF32(out: number, idx: number, src: number, outer: number, size: number, n: number, inner: number, alpha: number): void;
  /** Binary cross entropy of n float32 values (assembly/loss.ts); out may equal p or y. */
  bceF32(p: number, y: number, out: number, n: number, flag: number): void;
  /** binaryCrossEntropy's input gradient over n float32 values (assembly/loss.ts); gScalar: g is one value. */
  bceBackwardF32(g: number, p: number, y: number, out: number, n: number, gScalar: number): void;
  // Small-k products, float32 (assembly/small-gemm.ts; host in small-gemm.ts here).
  /** Rows i0..i1−1 of C [m, n] = A [m, k]·B [k, n] (+ bias row [n] when bias ≠ 0), row-major, float32. */
  smallGemmF32(a: number, b: number, bias: number, c: number, k: number, n: number, i0: number, i1: number): void;
  /** As smallGemmF32 with B packed in strips of 8 columns and C [m, nP] (nP = n rounded up to 8). */
  smallGemmPackedF32(a: number, b: number, bias: number, c: number, k: number, nP: number, i0: number, i1: number): void;
  /** dst [cols, rows] = transpose of src [rows, cols], row-major. */
  transposeF32(src: number, dst: number, rows: number, cols: number): void;
  /** C[e] = A[e]·B[e] for `batches` small strided entries at i32 element offsets offs[2e], offs[2e+1] (assembly/batched-gemm.ts). */
  batchedGemmF32(a: number, b: number, c: number, offs: number, pa: number, pb: number, batches: number, m: number, k: number, n: number, sam: number, sak: number, sbk: number, sbn: number): void;
  // Fused LSTM and GRU cells, float32 (assembly/recurrent.ts; host in recurrent.ts here).
  /** out [2, rows, hid] = (h', c') from gates [rows, 4·hid] and c [rows, hid], contiguous. */
  lstmCellF32(gates: number, c: number, out: number, rows: number, hid: number): void;
  /** out = ∂gates [rows, 4·hid] then ∂c [rows, hid] from gOut [2, rows, hid]. */
  lstmCellBackwardF32(gates: number, c: number, gOut: number, out: number, rows: number, hid: number): void;
  /** out h' [rows, hid] from gi, gh [rows, 3·hid] and h [rows, hid], contiguous. */
  gruCellF32(gi: number, gh: number, h: number, out: number, rows: number, hid: number): void;
  /** out = ∂gi [rows, 3·hid], ∂gh [rows, 3·hid], ∂h [rows, hid] from g [rows, hid]. */
  gruCellBackwardF32(gi: number, gh: number, h: number, g: number, out: number, rows: number, hid: number): void;
  // 2-d max pooling with indices and its backward, by plane ranges (assembly/pool.ts; host in backend/wasm/pool.ts).
  maxPool2dF32(x: number, geo: number, values: number, indices: number, p0: number, p1: number): void;
  maxPool2dF64(x: number, geo: number, values: number, indices: number, p0: number, p1: number): void;
  maxPool2dBackwardF32(g: number, indices: number, dx: number, p0: number, p1: number, outs: number, plane: number): void;
  maxPool2dBackwardF64(g: number, indices: number, dx: number, p0: number, p1: number, outs: number, plane: number): void;
  /** out = x·(u < threshold ? scale : 0) for n values, whole vectors (assembly/dropout.ts; host in backend/wasm/dropout.ts). */
  dropoutF32(x: number, u: number, out: number, n: number, threshold: number, scale: number): void;
  dropoutF64(x: number, u: number, out: number, n: number, threshold: number, scale: number): void;
}

/** The unary ops with wasm kernels: one export per op and type, `${op}F32` and `${op}F64`. */
export type WasmUnaryOp = "exp" | "tanh" | "sigmoid" | "relu" | "sqrt" | "abs" | "neg";
/** The binary ops with wasm kernels, exported the same way. */
export type WasmBinaryOp = "add" | "sub" | "mul" | "div" | "sigmoidBackward" | "tanhBackward" | "reluBackward";
/** In place: p[i] = op(p[i]) for n values from byte address p (padded to whole vectors). */
export type UnaryKernel = (p: number, n: number) => void;
/** out[i] = op(a[i], b[…]) for n values, b read as `mode` says (len: the row length of a row-broadcast b). */
export type BinaryKernel = (mode: number, a: number, b: number, out: number, n: number, len: number) => void;

/** Every export of the compiled module: the named kernels plus one per elementwise op and type. */
export type ModuleExports = KernelExports &
  { readonly [K in `${WasmUnaryOp}F${32 | 64}`]: UnaryKernel } &
  { readonly [K in `${WasmBinaryOp}F${32 | 64}`]: BinaryKernel };

const UNARY_OPS: readonly WasmUnaryOp[] = ["exp", "tanh", "sigmoid", "relu", "sqrt", "abs", "neg"];
const BINARY_OPS: readonly WasmBinaryOp[] = ["add", "sub", "mul", "div", "sigmoidBackward", "tanhBackward", "reluBackward"];

/** An elementwise op's float32 and float64 kernels. */
export interface KernelPair<K> {
  readonly float32: K;
  readonly float64: K;
}

/** The elementwise kernels of a module by op, looked up once. */
function elementwiseKernels(k: ModuleExports): Pick<Runtime, "unary" | "binary"> {
  const unary = {} as Record<WasmUnaryOp, KernelPair<UnaryKernel>>;
  for (const op of UNARY_OPS) unary[op] = { float32: k[`${op}F32`], float64: k[`${op}F64`] };
  const binary = {} as Record<WasmBinaryOp, KernelPair<BinaryKernel>>;
  for (const op of BINARY_OPS) binary[op] = { float32: k[`${op}F32`], float64: k[`${op}F64`] };
  return { unary, binary };
}

/** A register tile's rows (mr) and columns (nr), as the module exports them (assembly/matmul.ts). */
export interface Tile {
  readonly mr: number;
  readonly nr: number;
}

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
  /** Whether this is the relaxed-SIMD (FMA) build. */
  readonly fma: boolean;
  readonly kernels: ModuleExports;
  /** The unary kernels by op (undefined for ops without one). */
  readonly unary: Readonly<Partial<Record<string, KernelPair<UnaryKernel>>>>;
  /** The binary kernels by op (undefined for ops without one). */
  readonly binary: Readonly<Partial<Record<string, KernelPair<BinaryKernel>>>>;
  /** The matmul register tiles of this build. */
  readonly tile: { readonly float32: Tile; readonly float64: Tile };
  /** Grows the memory so that [0, bytes) is addressable; false when that exceeds the maximum. */
  reserve(bytes: number): boolean;
  f32(): Float32Array;
  f64(): Float64Array;
  /**
   * A view of n float32 (or float64) values from byteOffset, reused across calls (a fresh
   * subarray per kernel call was the largest allocation left on the small-op path).
   */
  view(f32: boolean, byteOffset: number, n: number): Float32Array | Float64Array;
}

/** Views up to this many elements from scratch offsets below VIEW_CACHE_MAX_OFFSET are cached. */
const VIEW_CACHE_MAX_LENGTH = 2 ** 20;
const VIEW_CACHE_MAX_OFFSET = 2 ** 26;
const VIEW_CACHE_MAX_ENTRIES = 512;

function decodeBase64(text: string): Uint8Array {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** The kernels' binary: the plain build, or the relaxed-SIMD (FMA) build rebuilt from its patch. */
export function kernelBinary(fma: boolean): Uint8Array {
  const plain = decodeBase64(WASM_KERNELS_BASE64);
  return fma ? applyWasmPatch(plain, decodeBase64(WASM_KERNELS_FMA_PATCH_BASE64)) : plain;
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

// (module (func (param v128 v128 v128) (result v128)
//   local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd))
const RELAXED_SIMD_PROBE = [
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // header
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type: (v128 v128 v128) -> v128
  0x03, 0x02, 0x01, 0x00, // function 0 has type 0
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // its body
];

let relaxedSupported: boolean | undefined;

/** The bits of Node's `process` read here (typed locally: the core imports no modules by name). */
interface NodeProcessInfo {
  env?: Record<string, string | undefined>;
  versions?: { node?: string };
  getBuiltinModule?: (name: string) => unknown;
}

const nodeProcess = (): NodeProcessInfo | undefined => (globalThis as { process?: NodeProcessInfo }).process;

/** TENSORGRAD_WASM_FMA=0 keeps the plain build (and, on Node 20, V8's flags as they are). */
const fmaOptedOut = (): boolean => nodeProcess()?.env?.TENSORGRAD_WASM_FMA === "0";

/**
 * Node 20's V8 (11.3) has relaxed SIMD but validates it only under
 * --experimental-wasm-relaxed-simd, which Node 22's V8 turns on by default. The FMA build's
 * matmul runs W1–W9 up to 1.4× faster, so on Node 20 the backend turns the flag on itself
 * (v8.setFlagsFromString: the flag only widens what validates, and V8 reads it whenever a module
 * is validated or compiled, workers' too), unless TENSORGRAD_WASM_FMA=0. Returns whether it did.
 */
function enableRelaxedSimdOnNode20(): boolean {
  const proc = nodeProcess();
  if (fmaOptedOut() || proc?.versions?.node?.split(".")[0] !== "20") return false;
  const v8 = proc.getBuiltinModule?.("node:v8") as { setFlagsFromString?: (flags: string) => void } | undefined;
  if (typeof v8?.setFlagsFromString !== "function") return false; // Node 20 before 20.16
  v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
  return true;
}

/**
 * True when this engine validates WebAssembly relaxed SIMD (tested on a one-instruction module);
 * on Node 20, after turning on V8's flag for it (enableRelaxedSimdOnNode20).
 */
export function relaxedSimdSupported(): boolean {
  if (relaxedSupported === undefined) {
    const validates = (): boolean => {
      try {
        return wasmApi !== undefined && wasmApi.validate(new Uint8Array(RELAXED_SIMD_PROBE));
      } catch {
        return false;
      }
    };
    relaxedSupported = validates() || (enableRelaxedSimdOnNode20() && validates());
  }
  return relaxedSupported;
}

/** Whether the runtime uses (or will use) the FMA build: relaxed SIMD validates and TENSORGRAD_WASM_FMA is not "0". */
function useFma(): boolean {
  return !fmaOptedOut() && relaxedSimdSupported();
}

/** What the wasm backend found in this engine and which build of its kernels it runs. */
export interface WasmFeatures {
  /** WebAssembly SIMD, which the wasm backend needs. */
  readonly simd: boolean;
  /** Relaxed SIMD (Node ≥ 22, Chrome ≥ 114; Node 20 from 20.16, where the backend turns on V8's flag for it unless TENSORGRAD_WASM_FMA=0). */
  readonly relaxedSimd: boolean;
  /** The matmul kernels use fused multiply-add: relaxed SIMD is there and TENSORGRAD_WASM_FMA is not "0". */
  readonly fma: boolean;
  /** Shared memory, which worker threads need. */
  readonly sharedMemory: boolean;
  /**
   * The engine refused to compile the kernels (a Content-Security-Policy without
   * 'wasm-unsafe-eval'), so the wasm backend runs the cpu kernels. Known once a kernel large
   * enough for wasm has run; false before.
   */
  readonly compileRefused: boolean;
}

/** Reports the engine's WebAssembly features and the kernel build the wasm backend uses. */
export function wasmFeatures(): WasmFeatures {
  const simd = wasmSimdSupported();
  return {
    simd,
    relaxedSimd: relaxedSimdSupported(),
    fma: simd && !compileRefused && (runtime?.fma ?? useFma()),
    sharedMemory: sharedMemorySupported(),
    compileRefused,
  };
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

function createRuntime(shared: boolean, fma: boolean): Runtime {
  if (!wasmApi) throw new Error("wasm backend: this JavaScript engine has no WebAssembly");
  const bytes = kernelBinary(fma);
  // The shared-memory build differs in one byte, the memory import's limits flags (build-wasm.mjs checks).
  if (shared) bytes[fma ? WASM_KERNELS_FMA_FLAGS_OFFSET : WASM_KERNELS_FLAGS_OFFSET] = 0x03;
  let module: WasmModule;
  try {
    module = new wasmApi.Module(bytes);
  } catch (e) {
    // A Content-Security-Policy without 'wasm-unsafe-eval' lets WebAssembly.validate pass but
    // refuses to compile (a CompileError in Chromium, an EvalError elsewhere). Say once what to
    // add, then fail like an allocation failure, so the callers run the cpu kernels; the memory
    // warnings that would follow are suppressed, since memory is not the problem.
    if (!(e instanceof Error) || !/CompileError|EvalError/.test(e.name)) throw e;
    compileRefused = true;
    warnOnce(
      "TENSORGRAD_WASM_CSP",
      `WebAssembly compilation was refused (${e.message}); using the cpu kernels. A Content-Security-Policy needs script-src 'wasm-unsafe-eval' for the wasm backend (and worker-src blob: for its threads)`,
    );
    warned.add("TENSORGRAD_WASM_MEMORY").add("TENSORGRAD_WASM_SHARED_MEMORY");
    throw new RangeError(`WebAssembly compilation refused: ${e.message}`);
  }
  const memory = (!shared ? takeProbedMemory() : undefined) ?? new wasmApi.Memory({ initial: 2, maximum: MAX_PAGES, shared });
  const instance = new wasmApi.Instance(module, { env: { memory } });
  const kernels = instance.exports as unknown as ModuleExports;
  const exported = (name: string): number => Number((instance.exports as Record<string, { value: unknown }>)[name].value);
  const tile = {
    float32: { mr: exported("MR_F32"), nr: exported("NR_F32") },
    float64: { mr: exported("MR_F64"), nr: exported("NR_F64") },
  };
  // Only reserve() grows the memory (workers never do), so the views are remade right there.
  let f32 = new Float32Array(memory.buffer);
  let f64 = new Float64Array(memory.buffer);
  let size = memory.buffer.byteLength;
  let views = new Map<number, Float32Array | Float64Array>();
  return {
    module, memory, shared, fma, kernels, tile, ...elementwiseKernels(kernels),
    reserve(need) {
      if (need <= size) return true;
      const pages = Math.ceil((need - size) / PAGE);
      if (size / PAGE + pages > MAX_PAGES) return false;
      try {
        memory.grow(pages);
      } catch (e) {
        if (e instanceof RangeError) return false; // the engine could not commit the memory: the caller runs the cpu kernel
        throw e;
      }
      f32 = new Float32Array(memory.buffer);
      f64 = new Float64Array(memory.buffer);
      size = memory.buffer.byteLength;
      views = new Map(); // views of the old buffer are detached (ordinary memory) or too short
      return true;
    },
    f32: () => f32,
    f64: () => f64,
    view(isF32, byteOffset, n) {
      const heap = isF32 ? f32 : f64;
      if (n > VIEW_CACHE_MAX_LENGTH || byteOffset >= VIEW_CACHE_MAX_OFFSET) return subarrayAt(heap, byteOffset, n);
      const key = (byteOffset * 2 + (isF32 ? 1 : 0)) * VIEW_CACHE_MAX_LENGTH * 2 + n;
      let v = views.get(key);
      if (v === undefined) {
        if (views.size >= VIEW_CACHE_MAX_ENTRIES) views.clear();
        views.set(key, (v = subarrayAt(heap, byteOffset, n)));
      }
      return v;
    },
  };
}

/** n elements of heap from byteOffset. */
function subarrayAt(heap: Float32Array | Float64Array, byteOffset: number, n: number): Float32Array | Float64Array {
  const start = byteOffset / heap.BYTES_PER_ELEMENT;
  return heap.subarray(start, start + n);
}

/** Set when the engine refused to compile the kernels (see createRuntime); reported by wasmFeatures. */
let compileRefused = false;
let runtime: Runtime | undefined;
let sharedRuntime: Runtime | undefined;
/** Why the (ordinary or shared) runtime could not be created; it is not tried again. */
let runtimeFailure: string | undefined;
let sharedRuntimeFailure: string | undefined;
/** The memory wasmMemoryAvailable allocated, handed to the runtime when it is created. */
let probedMemory: WasmMemory | undefined;

function takeProbedMemory(): WasmMemory | undefined {
  const m = probedMemory;
  probedMemory = undefined;
  return m;
}

const warned = new Set<string>();

/** One warning per kind for the whole process: Node's process.emitWarning where there is one, else console.warn. */
export function warnOnce(code: string, message: string): void {
  if (warned.has(code)) return;
  warned.add(code);
  const proc = (globalThis as { process?: { emitWarning?: (m: string, o: { code: string }) => void } }).process;
  if (typeof proc?.emitWarning === "function") proc.emitWarning(message, { code });
  else (globalThis as { console?: { warn(m: string): void } }).console?.warn(`${code}: ${message}`);
}

/** The failure of allocating wasm memory or instantiating over it (a RangeError), else rethrows. */
function allocationFailure(e: unknown): string {
  if (e instanceof RangeError) return e.message;
  throw e;
}

/**
 * Whether the runtime's WebAssembly memory can be allocated here, tried once and kept for the
 * runtime. Each memory reserves gigabytes of address space, so a low `ulimit -v` refuses it
 * ("WebAssembly.Memory(): could not allocate memory") while ordinary arrays still work: then this
 * warns once and answers false, and the cpu backend stays the default.
 */
export function wasmMemoryAvailable(): boolean {
  if (runtime !== undefined || probedMemory !== undefined) return true;
  if (runtimeFailure !== undefined || !wasmApi) return false;
  try {
    probedMemory = new wasmApi.Memory({ initial: 2, maximum: MAX_PAGES, shared: false });
    return true;
  } catch (e) {
    runtimeFailure = allocationFailure(e);
    warnOnce("TENSORGRAD_WASM_MEMORY", `WebAssembly memory could not be allocated (${runtimeFailure}); using the cpu backend`);
    return false;
  }
}

/**
 * The runtime for kernels this thread runs alone, over ordinary memory: copying a JS array into
 * (or out of) shared memory costs about twice as much (10 KB: 0.6 against 0.33 µs in, 0.72
 * against 0.44 out), since V8 copies shared buffers with relaxed atomics. Undefined (after one
 * warning) where its memory cannot be allocated: every wasm kernel then runs the cpu one.
 */
export function availableRuntime(): Runtime | undefined {
  if (runtime === undefined && runtimeFailure === undefined) {
    try {
      runtime = createRuntime(false, useFma());
    } catch (e) {
      runtimeFailure = allocationFailure(e);
      warnOnce("TENSORGRAD_WASM_MEMORY", `WebAssembly memory could not be allocated (${runtimeFailure}); the wasm backend runs the cpu kernels`);
    }
  }
  return runtime;
}

/** availableRuntime(), for callers that cannot do without it (tests, tools): throws where there is none. */
export function getRuntime(): Runtime {
  const rt = availableRuntime();
  if (rt === undefined) throw new RangeError(`wasm backend: no WebAssembly runtime (${runtimeFailure})`);
  return rt;
}

/**
 * The runtime over shared memory that worker threads run kernels in; undefined where shared
 * memory is unsupported or cannot be allocated (large products then run on one thread).
 */
export function getSharedRuntime(): Runtime | undefined {
  if (sharedRuntime === undefined && sharedRuntimeFailure === undefined && sharedMemorySupported()) {
    try {
      sharedRuntime = createRuntime(true, useFma());
    } catch (e) {
      sharedRuntimeFailure = allocationFailure(e);
      warnOnce("TENSORGRAD_WASM_SHARED_MEMORY", `shared WebAssembly memory could not be allocated (${sharedRuntimeFailure}); wasm kernels run on one thread`);
    }
  }
  return sharedRuntime;
}
