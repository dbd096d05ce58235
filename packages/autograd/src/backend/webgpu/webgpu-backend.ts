/// <reference types="@webgpu/types" />
/**
 * The webgpu backend: tensors in GPU storage buffers, kernels in WGSL (wgsl.ts), memory and
 * command batching in gpu-context.ts, set-up in init.ts (`await initWebGPU()`). Reads are
 * asynchronous (`readAsync`); the sync `read`/`readElement` throw naming the async forms.
 * Every Backend method has a WGSL kernel: nothing computes on the host.
 */

import type { ArgReduceOp, Backend, BackendBuffer, BinaryOp, BufferRecycler, ReduceOp, StridedView, UnaryOp, Window2d } from "../backend.js";
import type { DType } from "../../dtype.js";
import { DTypeError, ValueError } from "../../errors.js";
import { GpuContext, WORD, type GpuMemoryInfo, type PooledBuffer } from "./gpu-context.js";
import {
  ADAM, ADAM_COUPLED, ADAM_DECOUPLED, ADAM_LERP_UPPER, ADAM_MAXIMIZE, ADD_SCALED, BCE, BCE_BACKWARD, DROPOUT, argReduceKernel,
  binaryExpr, elementwiseInfo, fillKernel, flatInfo, gatherKernel, geluBackwardKernel, geluKernel, groupsFor, FLAG_CODES, INDEX_CODES, laneInfo,
  mapKernel, matmulKernel, argsortKernel, ATTENTION_SOFTMAX, ATTENTION_SOFTMAX_BACKWARD, GRU_CELL, GRU_CELL_BACKWARD, LSTM_CELL, LSTM_CELL_BACKWARD, CHECK_INDICES, CONV2D, CONV2D_INPUT_GRAD, CONV2D_WEIGHT_GRAD, MAX_POOL_2D, MAX_POOL_2D_BACKWARD, col2imKernel, im2colKernel, LAYER_NORM, LAYER_NORM_AFFINE_GRAD, LAYER_NORM_BACKWARD, SOFTMAX_CROSS_ENTROPY, SOFTMAX_CROSS_ENTROPY_BACKWARD, scanKernel, scatterAddKernel, reduceKernel, softmaxBackwardKernel, softmaxKernel, TILE, unaryExpr, type Wgsl,
} from "./wgsl.js";

/** A tensor's GPU memory: one pooled storage buffer, or null once disposed. */
export class WebGPUBuffer implements BackendBuffer {
  version = 0;
  readonly #serial: number;
  constructor(
    readonly dtype: DType,
    readonly length: number,
    /** @internal */
    public pooled: PooledBuffer | null,
    serial: number,
  ) {
    this.#serial = serial;
  }

  /** Allocation number on its backend (1, 2, …), for the recycler's marks. */
  get serial(): number {
    return this.#serial;
  }
}

type View = StridedView<WebGPUBuffer>;

/** The webgpu backend plus what the tests and the README use: pool statistics and a flush. */
export interface WebGPUBackend extends Backend<WebGPUBuffer> {
  /** Bytes live, bytes pooled, live buffers (memory that garbage collection gave back is pooled). */
  memory(): GpuMemoryInfo;
  /** Submits the encoded work now (reads do it anyway). */
  flush(): void;
}

/** The WGSL type a dtype is stored as; float64 cannot live on the GPU. */
function storage(op: string, dtype: DType): Wgsl {
  switch (dtype) {
    case "float32": return "f32";
    case "int32": case "bool": return "i32";
    case "float64":
      throw new DTypeError(`webgpu: ${op}: float64 tensors cannot live on the GPU (WGSL has no f64); convert with .float() first`);
    default: return dtype satisfies never;
  }
}

/** Throws unless every buffer is float32 (the whole-buffer float kernels). */
function float32(op: string, ...buffers: readonly WebGPUBuffer[]): void {
  for (const b of buffers) if (storage(op, b.dtype) !== "f32") throw new DTypeError(`webgpu: ${op}: expected float32 buffers, got ${b.dtype}`);
}

/** The row-major strides of `shape`. */
function rowMajor(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** Creates the webgpu backend on a device (init.ts requests it). */
export function createWebGPUBackend(device: GPUDevice): WebGPUBackend {
  const ctx = new GpuContext(device, FLAG_CODES, INDEX_CODES.length);
  // Memory comes back to the pool when its tensor (every view of it) is garbage-collected.
  const collected = new FinalizationRegistry<PooledBuffer>((pooled) => ctx.release(pooled));
  let allocations = 0;

  function gpu(b: WebGPUBuffer): GPUBuffer {
    if (b.pooled === null) throw new ValueError("webgpu: this tensor's memory was disposed (dispose() was called on it or on a tensor sharing its memory)");
    return b.pooled.gpu;
  }

  function allocRaw(op: string, dtype: DType, length: number): WebGPUBuffer {
    storage(op, dtype);
    const pooled = ctx.acquire(Math.max(1, length) * WORD);
    const b = new WebGPUBuffer(dtype, length, pooled, ++allocations);
    collected.register(b, pooled, b);
    return b;
  }

  /** Operand k of an elementwise kernel: the buffer and its view (offset, strides). */
  function run(source: string, info: Int32Array, buffers: readonly WebGPUBuffer[], n: number): void {
    if (n === 0) return;
    ctx.dispatch(source, info, buffers.map(gpu), groupsFor(n));
  }

  /** Host words of `values` in `dtype`'s storage (bool: nonzero and NaN → 1). */
  function words(dtype: DType, values: ArrayLike<number>): Float32Array | Int32Array {
    if (storage("fromValues", dtype) === "f32") return values instanceof Float32Array ? values : Float32Array.from(values);
    if (dtype === "bool") {
      const out = new Int32Array(values.length);
      for (let i = 0; i < out.length; i++) out[i] = values[i] === 0 ? 0 : 1;
      return out;
    }
    return values instanceof Int32Array ? values : Int32Array.from(values);
  }

  /**
   * `v`, or a contiguous copy of it when it reads the buffer the kernel writes (in-place updates:
   * add_, Adam's steps): WebGPU forbids one buffer bound for reading and writing in one dispatch.
   * The copy goes back to the pool once `done` runs (after the dispatch is encoded; the queue's
   * order keeps the reuse safe).
   */
  function unalias(v: View, out: WebGPUBuffer, done: (() => void)[]): View {
    if (v.buffer !== out) return v;
    const strides = rowMajor(v.shape);
    const copy = allocRaw("copy", v.buffer.dtype, numel(v.shape));
    backend.copy(v, { buffer: copy, shape: v.shape, strides, offset: 0 });
    done.push(() => backend.dispose(copy));
    return { buffer: copy, shape: v.shape, strides, offset: 0 };
  }

  /** Runs `body` on the operands made safe to read while `out` is written (see unalias). */
  function withoutAliases<T extends readonly (View | undefined)[]>(out: WebGPUBuffer, views: T, body: (...vs: T) => void): void {
    const done: (() => void)[] = [];
    const safe = views.map((v) => (v === undefined ? v : unalias(v, out, done))) as unknown as T;
    body(...safe);
    for (const f of done) f();
  }

  /** Code of an index kernel in the device's error flag (see INDEX_CODES). */
  const code = (op: (typeof INDEX_CODES)[number]): number => INDEX_CODES.indexOf(op) + 1;
  const isIndexOp = (op: string): op is (typeof INDEX_CODES)[number] => (INDEX_CODES as readonly string[]).includes(op);
  const f32Bits = (v: number): number => new Int32Array(new Float32Array([v]).buffer)[0];

  /** x[…, index[p], …] over `shape` (gather: index's shape; indexSelect: out's), index viewed with that shape. */
  function gatherAlong(op: "gather" | "indexSelect", x: View, axis: number, index: View, shape: readonly number[], out: WebGPUBuffer): void {
    const t = storage(op, x.buffer.dtype);
    const xView = { offset: x.offset, strides: x.strides.map((s, d) => (d === axis ? 0 : s)) };
    const info = elementwiseInfo(shape, [xView, index, { offset: 0, strides: rowMajor(shape) }], [x.strides[axis], x.shape[axis], code(op)]);
    const n = numel(shape);
    if (n > 0) ctx.dispatch(gatherKernel(t), info, [gpu(x.buffer), gpu(index.buffer), gpu(out), ctx.flag], groupsFor(n));
  }

  /** out = base + alpha·(src scattered along `axis` by index), index and src viewed with `indexShape`. */
  function scatterAlong(op: "scatterAdd" | "indexAdd", base: View, axis: number, index: View, src: View, indexShape: readonly number[], alpha: number, out: WebGPUBuffer): void {
    const t = storage(op, out.dtype);
    const shape = base.shape;
    const info = elementwiseInfo(shape, [base, index, src, { offset: 0, strides: rowMajor(shape) }], [axis, code(op), f32Bits(alpha), ...indexShape]);
    const n = numel(shape);
    if (n > 0) ctx.dispatch(scatterAddKernel(t), info, [gpu(base.buffer), gpu(index.buffer), gpu(src.buffer), gpu(out), ctx.flag], groupsFor(n));
  }

  /** Info words of a recurrent cell kernel (wgsl.ts, CELL): rows, hid, then each view's offset and 3 strides (2-d views padded in front). */
  function cellInfo(rows: number, hid: number, views: readonly View[]): Int32Array {
    const words = [rows, hid];
    for (const v of views) words.push(v.offset, ...new Array<number>(3 - v.strides.length).fill(0), ...v.strides);
    return new Int32Array(words);
  }

  /** Info words of a window kernel (wgsl.ts, WIN): the grid's size, the geometry, then each view's offset and strides. */
  function windowInfo(total: number, c: number, h: number, w: number, win: Window2d, views: readonly { offset: number; strides: readonly number[] }[], extra: readonly number[] = []): Int32Array {
    const words = [total, c, h, w, win.oh, win.ow, win.kh, win.kw, win.sh, win.sw, win.ph, win.pw, win.dh, win.dw];
    for (const v of views) words.push(v.offset, ...v.strides, ...new Array<number>(4 - v.strides.length).fill(0));
    return new Int32Array([...words, ...extra]);
  }

  /** A contiguous copy of a view in a fresh buffer (or the view's own buffer when it already is one). */
  function contiguous(v: View): WebGPUBuffer {
    const n = numel(v.shape);
    const strides = rowMajor(v.shape);
    if (v.offset === 0 && v.strides.every((s, d) => s === strides[d] || v.shape[d] === 1)) return v.buffer;
    const out = allocRaw("read", v.buffer.dtype, n);
    backend.copy(v, { buffer: out, shape: v.shape, strides, offset: 0 });
    return out;
  }

  /**
   * Reverse mode hands back the gradients it consumed (engine/gradient-memory.ts): dispose puts
   * their storage in the pool at once, for the next step's allocations, instead of waiting for
   * the garbage collector (which never runs inside a synchronous training loop). Every buffer has
   * memory of its own, so every one allocated after the mark is worth it.
   */
  const recycler: BufferRecycler<WebGPUBuffer> = {
    mark: () => allocations,
    recyclable: (buffer, mark) => buffer.serial > mark && buffer.pooled !== null,
    recycle: (buffer) => backend.dispose(buffer),
  };

  const backend: WebGPUBackend = {
    name: "webgpu",
    asyncReads: true,
    recycler,

    alloc(dtype, length) {
      const b = allocRaw("alloc", dtype, length);
      ctx.clear(gpu(b), b.pooled!.bytes);
      return b;
    },

    fromValues(dtype, values) {
      const b = allocRaw("fromValues", dtype, values.length);
      ctx.upload(gpu(b), 0, words(dtype, values));
      return b;
    },

    read() {
      throw new ValueError("webgpu: memory on the GPU is read asynchronously; use await t.toArrayAsync() (or toTypedArrayAsync, itemAsync)");
    },

    readElement() {
      throw new ValueError("webgpu: memory on the GPU is read asynchronously; use await t.itemAsync()");
    },

    async readAsync(src) {
      const n = numel(src.shape);
      const flat = contiguous(src);
      const bytes = await ctx.read(gpu(flat), n * WORD);
      if (flat !== src.buffer) backend.dispose(flat);
      switch (src.buffer.dtype) {
        case "float32": return new Float32Array(bytes);
        case "int32": return new Int32Array(bytes);
        case "bool": return Uint8Array.from(new Int32Array(bytes));
        default: return storage("read", src.buffer.dtype) as never;
      }
    },

    dispose(buffer) {
      if (buffer.pooled === null) return;
      collected.unregister(buffer);
      ctx.release(buffer.pooled);
      buffer.pooled = null;
    },

    copy(src0, dst) {
      if (src0.buffer === dst.buffer) return withoutAliases(dst.buffer, [src0] as const, (src) => backend.copy(src, dst));
      const src = src0;
      const from = storage("copy", src.buffer.dtype);
      const to = storage("copy", dst.buffer.dtype);
      const source = mapKernel([from], to, from, ([a]) => a, "value", dst.buffer.dtype === "bool");
      run(source, elementwiseInfo(dst.shape, [src, dst]), [src.buffer, dst.buffer], numel(dst.shape));
    },

    fill(dst, value) {
      const t = storage("fill", dst.buffer.dtype);
      const bits = t === "f32" ? new Int32Array(new Float32Array([value]).buffer)[0] : dst.buffer.dtype === "bool" ? (value === 0 ? 0 : 1) : value | 0;
      run(fillKernel(t), elementwiseInfo(dst.shape, [dst], [bits]), [dst.buffer], numel(dst.shape));
    },

    unary(op: UnaryOp, x0, out) {
      if (x0.buffer === out) return withoutAliases(out, [x0] as const, (x) => backend.unary(op, x, out));
      const x = x0;
      const tx = storage(op, x.buffer.dtype);
      const to = storage(op, out.dtype);
      const { expr, result } = unaryExpr(op, "a0", tx);
      const source = mapKernel([tx], to, tx, () => expr, result, out.dtype === "bool");
      run(source, elementwiseInfo(x.shape, [x, { offset: 0, strides: rowMajor(x.shape) }]), [x.buffer, out], numel(x.shape));
    },

    binary(op: BinaryOp, a0, b0, out) {
      if (a0.buffer === out || b0.buffer === out) return withoutAliases(out, [a0, b0] as const, (a, b) => backend.binary(op, a, b, out));
      const [a, b] = [a0, b0];
      const ta = storage(op, a.buffer.dtype);
      const tb = storage(op, b.buffer.dtype);
      const to = storage(op, out.dtype);
      const t: Wgsl = ta === "f32" || tb === "f32" ? "f32" : "i32";
      const { expr, result } = binaryExpr(op, "a0", "a1", t);
      const source = mapKernel([ta, tb], to, t, () => expr, result, out.dtype === "bool");
      run(source, elementwiseInfo(a.shape, [a, b, { offset: 0, strides: rowMajor(a.shape) }]), [a.buffer, b.buffer, out], numel(a.shape));
    },

    where(c0, a0, b0, out) {
      if (c0.buffer === out || a0.buffer === out || b0.buffer === out) {
        return withoutAliases(out, [c0, a0, b0] as const, (c, a, b) => backend.where(c, a, b, out));
      }
      const [cond, a, b] = [c0, a0, b0];
      const tc = storage("where", cond.buffer.dtype);
      const t = storage("where", out.dtype);
      const source = mapKernel([tc, t, t], t, t, ([c, x, y]) => `select(${y}, ${x}, ${c} != ${t}(0))`, "value", out.dtype === "bool");
      // The condition is loaded converted to the arithmetic type; nonzero selects a.
      run(source, elementwiseInfo(a.shape, [cond, a, b, { offset: 0, strides: rowMajor(a.shape) }]), [cond.buffer, a.buffer, b.buffer, out], numel(a.shape));
    },

    reduce(op: ReduceOp, x, axes, out) {
      const t = storage(op, x.buffer.dtype);
      if (storage(op, out.dtype) !== t) throw new DTypeError(`webgpu: reduce ${op}: ${x.buffer.dtype} into ${out.dtype} has no kernel`);
      const keep = x.shape.map((_, d) => d).filter((d) => !axes.includes(d));
      const red = x.shape.map((_, d) => d).filter((d) => axes.includes(d));
      const nOut = numel(keep.map((d) => x.shape[d]));
      const info = new Int32Array(5 + 2 * keep.length + 2 * red.length);
      info[0] = nOut;
      info[1] = keep.length;
      info[2] = red.length;
      info[3] = numel(red.map((d) => x.shape[d]));
      info[4] = x.offset;
      info.set(keep.map((d) => x.shape[d]), 5);
      info.set(keep.map((d) => x.strides[d]), 5 + keep.length);
      info.set(red.map((d) => x.shape[d]), 5 + 2 * keep.length);
      info.set(red.map((d) => x.strides[d]), 5 + 2 * keep.length + red.length);
      run(reduceKernel(op, t), info, [x.buffer, out], nOut);
    },

    argReduce(op: ArgReduceOp, x, axis, out) {
      const t = storage(op, x.buffer.dtype);
      const outShape = x.shape.map((s, d) => (d === axis ? 1 : s));
      const info = laneInfo(x.shape, axis, [x, { offset: 0, strides: rowMajor(outShape) }]);
      run(argReduceKernel(op, t), info, [x.buffer, out], info[0]);
    },

    matmul(a, b, out, bias) {
      const t = storage("matmul", a.buffer.dtype);
      const r = a.shape.length;
      const [m, k] = [a.shape[r - 2], a.shape[r - 1]];
      const n = b.shape[b.shape.length - 1];
      const batch = a.shape.slice(0, r - 2);
      const batches = numel(batch);
      if (m === 0 || n === 0 || batches === 0) return;
      if (batches > 65535) throw new ValueError(`webgpu: matmul of ${batches} batches: more than 65535 are not supported yet (issue 15)`);
      const nb = batch.length;
      const info = new Int32Array(13 + 3 * nb);
      info.set([m, k, n, nb, a.offset, a.strides[r - 2], a.strides[r - 1], b.offset, b.strides[r - 2], b.strides[r - 1]]);
      if (bias !== undefined) info.set([bias.offset, bias.strides[0], 1], 10);
      info.set(batch, 13);
      info.set(a.strides.slice(0, nb), 13 + nb);
      info.set(b.strides.slice(0, nb), 13 + 2 * nb);
      const buffers = [a.buffer, b.buffer, bias?.buffer ?? a.buffer, out].map(gpu);
      ctx.dispatch(matmulKernel(t), info, buffers, [Math.ceil(n / TILE), Math.ceil(m / TILE), batches]);
    },

    scan(op, x, axis, out) {
      const t = storage(op === "sum" ? "cumsum" : "cumprod", x.buffer.dtype);
      const info = laneInfo(x.shape, axis, [x, { offset: 0, strides: rowMajor(x.shape) }]);
      run(scanKernel(op, t), info, [x.buffer, out], info[0]);
    },

    softmax(x, axis, log, out) {
      storage("softmax", x.buffer.dtype);
      const info = laneInfo(x.shape, axis, [x, { offset: 0, strides: rowMajor(x.shape) }]);
      run(softmaxKernel(log), info, [x.buffer, out], info[0]);
    },

    softmaxBackward(g, y, axis, log, out) {
      storage("softmaxBackward", g.buffer.dtype);
      const info = laneInfo(g.shape, axis, [g, y, { offset: 0, strides: rowMajor(g.shape) }]);
      run(softmaxBackwardKernel(log), info, [g.buffer, y.buffer, out], info[0]);
    },

    addScaled(x0, alpha, out) {
      float32("add_", x0.buffer, out);
      withoutAliases(out, [x0] as const, (x) => {
        const bits = new Int32Array(new Float32Array([alpha]).buffer)[0];
        run(ADD_SCALED, elementwiseInfo(x.shape, [x, { offset: 0, strides: rowMajor(x.shape) }], [bits]), [x.buffer, out], out.length);
      });
    },

    adamStep(param, grad, expAvg, expAvgSq, s) {
      if (param.dtype !== "float32") return false;
      float32("adamStep", param, grad, expAvg, expAvgSq);
      // m ← lerp(m, g, w), w = 1 − β1, in nn's lerp_ forms: m + (g − m)·w for w < 0.5, else g − (g − m)·(1 − w).
      const w = 1 - s.beta1;
      const upper = w >= 0.5;
      const flags =
        (s.maximize ? ADAM_MAXIMIZE : 0) | (s.decay !== null ? ADAM_DECOUPLED : s.weightDecay !== 0 ? ADAM_COUPLED : 0) | (upper ? ADAM_LERP_UPPER : 0);
      const scalars = [s.decay ?? 1, s.weightDecay, upper ? 1 - w : w, s.beta2, 1 - s.beta2, s.biasCorrection2Sqrt, s.eps, -s.stepSize];
      const info = new Int32Array(2 + scalars.length);
      info[0] = param.length;
      info[1] = flags;
      info.set(new Int32Array(new Float32Array(scalars).buffer), 2);
      run(ADAM, info, [param, grad, expAvg, expAvgSq], param.length);
      return true;
    },

    gelu(x, approximate, out) {
      float32("gelu", x, out);
      run(geluKernel(approximate === "tanh"), flatInfo(out.length), [x, out], out.length);
    },

    geluBackward(g, x, approximate, out) {
      float32("geluBackward", g, x, out);
      run(geluBackwardKernel(approximate === "tanh"), flatInfo(out.length), [g, x, out], out.length);
    },

    dropout(x, u, threshold, scale, out) {
      float32("dropout", x, u, out);
      run(DROPOUT, flatInfo(out.length, [threshold, scale]), [x, u, out], out.length);
    },

    binaryCrossEntropy(p, y, out) {
      const [pc, yc] = [contiguous(p), contiguous(y)];
      float32("binaryCrossEntropy", pc, yc, out);
      // The range check raises the device's error flag instead of reading back: true here, and a
      // value outside [0, 1] makes the next read from the GPU throw (gpu-context.ts).
      if (out.length > 0) ctx.dispatch(BCE, flatInfo(out.length), [gpu(pc), gpu(yc), gpu(out), ctx.flag], groupsFor(out.length));
      for (const [c, v] of [[pc, p], [yc, y]] as const) if (c !== v.buffer) backend.dispose(c);
      return true;
    },

    binaryCrossEntropyBackward(g, p, y, out) {
      const cs = [contiguous(g), contiguous(p), contiguous(y)];
      float32("binaryCrossEntropyBackward", ...cs, out);
      run(BCE_BACKWARD, flatInfo(out.length), [...cs, out], out.length);
      [g, p, y].forEach((v, k) => cs[k] !== v.buffer && backend.dispose(cs[k]));
    },

    gather(x, axis, index, out) {
      gatherAlong("gather", x, axis, index, index.shape, out);
    },

    indexSelect(x, axis, index, out) {
      const shape = x.shape.map((s, d) => (d === axis ? (index.shape[0] ?? 1) : s));
      const indexView = { buffer: index.buffer, shape, offset: index.offset, strides: shape.map((_, d) => (d === axis ? (index.strides[0] ?? 0) : 0)) };
      gatherAlong("indexSelect", x, axis, indexView, shape, out);
    },

    scatterAdd(base, axis, index, src, out) {
      scatterAlong("scatterAdd", base, axis, index, src, index.shape, 1, out);
    },

    indexAdd(base, axis, index, src, alpha, out) {
      const indexView = { buffer: index.buffer, shape: src.shape, offset: index.offset, strides: src.shape.map((_, d) => (d === axis ? (index.strides[0] ?? 0) : 0)) };
      scatterAlong("indexAdd", base, axis, indexView, src, src.shape, alpha, out);
    },

    checkIndices(op, index, size, ignore) {
      if (!isIndexOp(op)) throw new ValueError(`webgpu: checkIndices: no error code for op "${op}" (known: ${INDEX_CODES.join(", ")})`);
      if (index.buffer.dtype !== "int32") throw new DTypeError(`webgpu: ${op}: indices must be int32, got ${index.buffer.dtype}`);
      const n = numel(index.shape);
      if (n > 0) ctx.dispatch(CHECK_INDICES, elementwiseInfo(index.shape, [index], [size, ignore, code(op)]), [gpu(index.buffer), ctx.flag], groupsFor(n));
    },

    softmaxCrossEntropy(x, target, rows, cols, out) {
      float32("softmaxCrossEntropy", x, out);
      // A target outside [0, cols) raises the device's error flag (an IndexError at the next read).
      if (rows > 0) ctx.dispatch(SOFTMAX_CROSS_ENTROPY, new Int32Array([rows, cols, code("softmaxCrossEntropy")]), [gpu(x), gpu(target), gpu(out), ctx.flag], groupsFor(rows));
    },

    softmaxCrossEntropyBackward(g, x, target, rows, cols, out) {
      float32("softmaxCrossEntropyBackward", g, x, out);
      if (rows > 0) {
        ctx.dispatch(SOFTMAX_CROSS_ENTROPY_BACKWARD, new Int32Array([rows, cols, code("softmaxCrossEntropy")]), [gpu(g), gpu(x), gpu(target), gpu(out), ctx.flag], groupsFor(rows));
      }
    },

    layerNorm(x, weight, bias, rows, cols, eps, out, mean, rstd) {
      float32("layerNorm", x, out, mean, rstd, ...[weight, bias].filter((b) => b !== null));
      if (rows === 0 || cols === 0) return;
      const info = new Int32Array([rows, cols, weight === null ? 0 : 1, bias === null ? 0 : 1, f32Bits(eps)]);
      ctx.dispatch(LAYER_NORM, info, [x, weight ?? x, bias ?? x, out, mean, rstd].map(gpu), groupsFor(rows));
    },

    layerNormBackward(g, x, mean, rstd, weight, rows, cols, dx, dweight, dbias) {
      float32("layerNormBackward", g, x, mean, rstd, ...[weight, dx, dweight, dbias].filter((b) => b !== null));
      if (cols === 0) return;
      if (rows === 0) {
        // no rows: the affine gradients are sums of nothing
        for (const d of [dweight, dbias]) if (d !== null) ctx.clear(gpu(d), d.pooled!.bytes);
        return;
      }
      const stats = [g, x, mean, rstd];
      if (dx !== null) ctx.dispatch(LAYER_NORM_BACKWARD, new Int32Array([rows, cols, weight === null ? 0 : 1]), [...stats, weight ?? x, dx].map(gpu), groupsFor(rows));
      if (dweight !== null) ctx.dispatch(LAYER_NORM_AFFINE_GRAD, new Int32Array([rows, cols, 1]), [...stats, dweight].map(gpu), groupsFor(cols));
      if (dbias !== null) ctx.dispatch(LAYER_NORM_AFFINE_GRAD, new Int32Array([rows, cols, 0]), [...stats, dbias].map(gpu), groupsFor(cols));
    },

    maxPool2d(x, win, values, indices) {
      float32("maxPool2d", x.buffer, values);
      const [n, c, h, w] = x.shape;
      const total = n * c * win.oh * win.ow;
      if (total > 0) ctx.dispatch(MAX_POOL_2D, windowInfo(total, c, h, w, win, [x]), [x.buffer, values, indices].map(gpu), groupsFor(total));
    },

    maxPool2dBackward(g, indices, height, width, out, win) {
      float32("maxPool2dBackward", g.buffer, out);
      const [n, c] = g.shape;
      const total = n * c * height * width;
      // Without the forward's window every window is searched (the last word says which).
      const geometry = win ?? { oh: g.shape[2], ow: g.shape[3], kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1 };
      const info = windowInfo(total, c, height, width, geometry, [g, indices], [win === undefined ? 0 : 1]);
      if (total > 0) ctx.dispatch(MAX_POOL_2D_BACKWARD, info, [g.buffer, indices.buffer, out].map(gpu), groupsFor(total));
    },

    im2col(x, win, out) {
      const t = storage("im2col", x.buffer.dtype);
      const [n, c, h, w] = x.shape;
      const total = n * c * win.kh * win.kw * win.oh * win.ow;
      if (total > 0) ctx.dispatch(im2colKernel(t), windowInfo(total, c, h, w, win, [x]), [x.buffer, out].map(gpu), groupsFor(total));
    },

    col2im(cols, win, height, width, out) {
      const t = storage("col2im", cols.buffer.dtype);
      const n = cols.shape[0];
      const c = cols.shape[1] / (win.kh * win.kw);
      const total = n * c * height * width;
      if (total > 0) ctx.dispatch(col2imKernel(t), windowInfo(total, c, height, width, win, [cols]), [cols.buffer, out].map(gpu), groupsFor(total));
    },

    conv2d(x, weight, bias, win, groups, out) {
      float32("conv2d", x.buffer, weight.buffer, out, ...(bias === null ? [] : [bias.buffer]));
      const [n, c, h, w] = x.shape;
      const o = weight.shape[0];
      const total = n * o * win.oh * win.ow;
      const info = windowInfo(total, c, h, w, win, [x, weight], [o, groups, bias === null ? 0 : 1, bias?.offset ?? 0, bias?.strides[0] ?? 0]);
      if (total > 0) ctx.dispatch(CONV2D, info, [x.buffer, weight.buffer, (bias ?? x).buffer, out].map(gpu), groupsFor(total));
    },

    conv2dInputGrad(g, weight, win, groups, height, width, out) {
      float32("conv2dInputGrad", g.buffer, weight.buffer, out);
      const [n, o] = g.shape;
      const c = weight.shape[1] * groups;
      const total = n * c * height * width;
      const info = windowInfo(total, c, height, width, win, [g, weight], [o, groups, 0, 0, 0]);
      if (total > 0) ctx.dispatch(CONV2D_INPUT_GRAD, info, [g.buffer, weight.buffer, out].map(gpu), groupsFor(total));
    },

    conv2dWeightGrad(x, g, win, groups, out) {
      float32("conv2dWeightGrad", x.buffer, g.buffer, out);
      const [n, c, h, w] = x.shape;
      const o = g.shape[1];
      const total = o * (c / groups) * win.kh * win.kw;
      const info = windowInfo(total, c, h, w, win, [x, g], [o, groups, 0, 0, 0, n]);
      if (total > 0) ctx.dispatch(CONV2D_WEIGHT_GRAD, info, [x.buffer, g.buffer, out].map(gpu), groupsFor(total));
    },

    attentionSoftmax(x, rows, L, S, scale, causal, out) {
      float32("attentionSoftmax", x, out);
      if (rows > 0 && S > 0) ctx.dispatch(ATTENTION_SOFTMAX, new Int32Array([rows, L, S, causal ? 1 : 0, f32Bits(scale)]), [gpu(x), gpu(out)], groupsFor(rows));
    },

    attentionSoftmaxBackward(g, y, rows, S, scale, out) {
      float32("attentionSoftmaxBackward", g, y, out);
      if (rows > 0 && S > 0) ctx.dispatch(ATTENTION_SOFTMAX_BACKWARD, new Int32Array([rows, S, f32Bits(scale)]), [gpu(g), gpu(y), gpu(out)], groupsFor(rows));
    },

    lstmCell(gates, c, out) {
      float32("lstmCell", gates.buffer, c.buffer, out);
      const [rows, hid] = c.shape;
      if (rows * hid > 0) ctx.dispatch(LSTM_CELL, cellInfo(rows, hid, [gates, c]), [gates.buffer, c.buffer, out].map(gpu), groupsFor(rows * hid));
    },

    lstmCellBackward(gates, c, gOut, out) {
      float32("lstmCellBackward", gates.buffer, c.buffer, gOut.buffer, out);
      const [rows, hid] = c.shape;
      if (rows * hid > 0) ctx.dispatch(LSTM_CELL_BACKWARD, cellInfo(rows, hid, [gates, c, gOut]), [gates.buffer, c.buffer, gOut.buffer, out].map(gpu), groupsFor(rows * hid));
    },

    gruCell(gi, gh, h, out) {
      float32("gruCell", gi.buffer, gh.buffer, h.buffer, out);
      const [rows, hid] = h.shape;
      if (rows * hid > 0) ctx.dispatch(GRU_CELL, cellInfo(rows, hid, [gi, gh, h]), [gi.buffer, gh.buffer, h.buffer, out].map(gpu), groupsFor(rows * hid));
    },

    gruCellBackward(gi, gh, h, g, out) {
      float32("gruCellBackward", gi.buffer, gh.buffer, h.buffer, g.buffer, out);
      const [rows, hid] = h.shape;
      if (rows * hid > 0) ctx.dispatch(GRU_CELL_BACKWARD, cellInfo(rows, hid, [gi, gh, h, g]), [gi.buffer, gh.buffer, h.buffer, g.buffer, out].map(gpu), groupsFor(rows * hid));
    },

    memory: () => ctx.memory(),
    flush: () => ctx.submit(),

    argsort(x, axis, descending, out) {
      const t = storage("argsort", x.buffer.dtype);
      const info = laneInfo(x.shape, axis, [x, { offset: 0, strides: rowMajor(x.shape) }]);
      const n = info[0] * info[2];
      if (n > 0) ctx.dispatch(argsortKernel(t, descending), info, [gpu(x.buffer), gpu(out)], groupsFor(n));
    },
  };
  return backend;
}
