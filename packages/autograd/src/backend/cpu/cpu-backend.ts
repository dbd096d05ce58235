/**
 * The plain TypeScript backend over TypedArrays: the readable reference implementation and the
 * oracle other backends are tested against. Every kernel accepts strided views, so transposed,
 * sliced and broadcast (stride-0) operands are read in place without copies.
 */

import type { DType } from "../../dtype.js";
import type {
  Backend, BackendBuffer, BinaryOp, BufferRecycler, HostArray, ReduceOp, StridedView, UnaryOp,
} from "../backend.js";
import { erf, roundHalfEven, sigmoid } from "./scalar-math.js";
import { contiguousStrides } from "../../shape.js";
import { isRecyclable, newArray, ownArray, recycleArray } from "./slabs.js";
import { flatStep, forEachRow } from "./strided.js";
import { cpuArgsort, cpuScan } from "./scan-sort.js";
import { cpuCol2im, cpuIm2col, cpuMaxPool2d } from "./window-kernels.js";
import { cpuConv2d, cpuConv2dInputGrad, cpuConv2dWeightGrad, cpuMaxPool2dBackward } from "./conv-kernels.js";
import { cpuIndexAdd, cpuIndexSelect, isBroadcastZero } from "./index-kernels.js";
import { cpuBinaryCrossEntropy, cpuBinaryCrossEntropyBackward } from "./loss-kernels.js";
import { cpuGelu, cpuGeluBackward } from "./gelu-kernels.js";
import { cpuDropout } from "./dropout-kernels.js";
import { cpuLayerNorm, cpuLayerNormBackward } from "./norm-kernels.js";
import { cpuAttentionSoftmax, cpuAttentionSoftmaxBackward } from "./attention-kernels.js";
import { cpuSoftmaxBackward, cpuSoftmaxCrossEntropy, cpuSoftmaxCrossEntropyBackward } from "./softmax.js";
import { cpuGruCell, cpuGruCellBackward, cpuLstmCell, cpuLstmCellBackward } from "./recurrent.js";

/** A CPU buffer: a TypedArray of the dtype's JS array type. */
export interface CpuBuffer extends BackendBuffer {
  readonly data: HostArray;
  /** Allocation number (1, 2, …), for the recycler's marks. */
  readonly serial: number;
}

type View = StridedView<CpuBuffer>;

let allocations = 0;

/** A host array as a buffer; its serial is a getter, so buffers equal in content compare equal (toEqual). */
class HostBuffer implements CpuBuffer {
  readonly length: number;
  version = 0;
  readonly #serial = ++allocations;

  constructor(
    readonly dtype: DType,
    readonly data: HostArray,
  ) {
    this.length = data.length;
  }

  get serial(): number {
    return this.#serial;
  }
}

function wrap(dtype: DType, data: HostArray): CpuBuffer {
  return new HostBuffer(dtype, data);
}

/** Large gradient arrays go back to slabs.ts's pool for the next ownArray (see BufferRecycler). */
const recycler: BufferRecycler<CpuBuffer> = {
  mark: () => allocations,
  recyclable: (buffer, mark) => buffer.serial > mark && isRecyclable(buffer.data),
  recycle: (buffer) => recycleArray(buffer.data),
};

const UNARY: { [K in UnaryOp]: (x: number) => number } = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  expm1: Math.expm1,
  sqrt: Math.sqrt,
  abs: Math.abs,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x), // keeps ±0 and NaN like torch.sign
  tanh: Math.tanh,
  sigmoid,
  relu: (x) => (x > 0 || x !== x ? x : 0), // NaN passes through, as in PyTorch
  erf,
  sin: Math.sin,
  cos: Math.cos,
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  isfinite: (x) => (Number.isFinite(x) ? 1 : 0),
  logicalNot: (x) => (x === 0 ? 1 : 0),
};

const BINARY: { [K in BinaryOp]: (a: number, b: number) => number } = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  // NaN propagates through maximum/minimum, as in PyTorch.
  maximum: (a, b) => (a !== a || b !== b ? NaN : a > b ? a : b),
  minimum: (a, b) => (a !== a || b !== b ? NaN : a < b ? a : b),
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  logicalAnd: (a, b) => (a !== 0 && b !== 0 ? 1 : 0),
  logicalOr: (a, b) => (a !== 0 || b !== 0 ? 1 : 0),
  sigmoidBackward: (g, y) => g * y * (1 - y),
  tanhBackward: (g, y) => g * (1 - y * y),
  reluBackward: (g, y) => (y <= 0 ? 0 : g), // PyTorch's threshold_backward: a NaN y passes g
};

/** Conversion applied when a value is stored into an array of `dtype` (bool: nonzero and NaN → 1). */
function storeCast(dtype: DType): ((x: number) => number) | null {
  return dtype === "bool" ? (x) => (x === 0 ? 0 : 1) : null;
}

function unaryRow(op: UnaryOp, x: HostArray, out: HostArray, ix: number, io: number, n: number, sx: number, so: number): void {
  // The hottest ops get their own loop; the rest go through the table.
  switch (op) {
    case "neg": for (let i = 0; i < n; i++, ix += sx, io += so) out[io] = -x[ix]; return;
    case "exp": for (let i = 0; i < n; i++, ix += sx, io += so) out[io] = Math.exp(x[ix]); return;
    case "tanh": for (let i = 0; i < n; i++, ix += sx, io += so) out[io] = Math.tanh(x[ix]); return;
    case "relu": for (let i = 0; i < n; i++, ix += sx, io += so) { const v = x[ix]; out[io] = v > 0 || v !== v ? v : 0; } return;
    case "sigmoid": for (let i = 0; i < n; i++, ix += sx, io += so) out[io] = sigmoid(x[ix]); return;
    // (through the table these cost 28-45 ns per element: an indirect call V8 cannot inline)
    case "log": for (let i = 0; i < n; i++, ix += sx, io += so) out[io] = Math.log(x[ix]); return;
    case "sqrt": for (let i = 0; i < n; i++, ix += sx, io += so) out[io] = Math.sqrt(x[ix]); return;
    case "abs": for (let i = 0; i < n; i++, ix += sx, io += so) out[io] = Math.abs(x[ix]); return;
    default: {
      const f = UNARY[op];
      for (let i = 0; i < n; i++, ix += sx, io += so) out[io] = f(x[ix]);
    }
  }
}

/** Backend.addScaled on host arrays: out += alpha·x (the wasm backend's fallback too). */
export function cpuAddScaled(x: View, alpha: number, out: CpuBuffer): void {
  const o = out.data;
  const xd = x.buffer.data;
  // float32: fround(alpha·x) is the f32 product a mul kernel would store (the scalar itself
  // becomes float32 first, as an f32 tensor of it would); the store into o rounds the sum.
  const f32 = out.dtype === "float32";
  const a = f32 ? Math.fround(alpha) : alpha;
  const sx = flatStep(x.shape, x.strides);
  if (sx >= 0) return addScaledRow(f32, a, xd, o, x.offset, 0, o.length, sx, 1);
  forEachRow(x.shape, [x.strides, contiguousStrides(x.shape)], [x.offset, 0], (offs, n, s) =>
    addScaledRow(f32, a, xd, o, offs[0], offs[1], n, s[0], s[1]),
  );
}

/** out[io] += alpha·x[ix] along one row, the product rounded to float32 first when f32. */
function addScaledRow(f32: boolean, alpha: number, x: HostArray, out: HostArray, ix: number, io: number, n: number, sx: number, so: number): void {
  if (f32) for (let i = 0; i < n; i++, ix += sx, io += so) out[io] += Math.fround(alpha * x[ix]);
  else for (let i = 0; i < n; i++, ix += sx, io += so) out[io] += alpha * x[ix];
}

function binaryRow(
  op: BinaryOp, a: HostArray, b: HostArray, out: HostArray,
  ia: number, ib: number, io: number, n: number, sa: number, sb: number, so: number,
): void {
  switch (op) {
    case "add": for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) out[io] = a[ia] + b[ib]; return;
    case "sub": for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) out[io] = a[ia] - b[ib]; return;
    case "mul": for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) out[io] = a[ia] * b[ib]; return;
    case "div": for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) out[io] = a[ia] / b[ib]; return;
    case "sigmoidBackward":
      for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) { const y = b[ib]; out[io] = a[ia] * y * (1 - y); }
      return;
    case "reluBackward": for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) out[io] = b[ib] <= 0 ? 0 : a[ia]; return;
    // (through the table these cost 25-45 ns per element: an indirect call V8 cannot inline)
    case "tanhBackward":
      for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) { const y = b[ib]; out[io] = a[ia] * (1 - y * y); }
      return;
    case "pow": for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) out[io] = Math.pow(a[ia], b[ib]); return;
    case "maximum":
      for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) { const x = a[ia], y = b[ib]; out[io] = x !== x || y !== y ? NaN : x > y ? x : y; }
      return;
    case "minimum":
      for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) { const x = a[ia], y = b[ib]; out[io] = x !== x || y !== y ? NaN : x < y ? x : y; }
      return;
    default: {
      const f = BINARY[op];
      for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) out[io] = f(a[ia], b[ib]);
    }
  }
}

const REDUCE_INIT: { [K in ReduceOp]: number } = { sum: 0, prod: 1, max: -Infinity, min: Infinity };

/** Creates the CPU backend. */
export function createCpuBackend(): Backend<CpuBuffer> {
  return {
    name: "cpu",

    alloc: (dtype, length) => wrap(dtype, newArray(dtype, length)),

    fromValues(dtype, values) {
      const data = newArray(dtype, values.length);
      if (dtype === "bool") for (let i = 0; i < values.length; i++) data[i] = values[i] === 0 ? 0 : 1;
      else data.set(values);
      return wrap(dtype, data);
    },

    read(src) {
      const n = src.shape.reduce((p, s) => p * s, 1);
      const out = ownArray(src.buffer.dtype, n); // handed to users: not a view into a shared slab
      const x = src.buffer.data;
      forEachRow(src.shape, [src.strides, contiguousStrides(src.shape)], [src.offset, 0], (offs, len, s) => {
        let ix = offs[0];
        let io = offs[1];
        for (let i = 0; i < len; i++, ix += s[0], io += s[1]) out[io] = x[ix];
      });
      return out;
    },

    readElement: (buffer, index) => buffer.data[index],

    recycler,

    dispose() {
      // Garbage-collected memory: nothing to release.
    },

    copy(src, dst) {
      const x = src.buffer.data;
      const out = dst.buffer.data;
      const cast = storeCast(dst.buffer.dtype);
      forEachRow(src.shape, [src.strides, dst.strides], [src.offset, dst.offset], (offs, n, s) => copyRow(x, out, offs, n, s, cast));
    },

    fill(dst, value) {
      const out = dst.buffer.data;
      const v = dst.buffer.dtype === "bool" ? (value === 0 ? 0 : 1) : value;
      forEachRow(dst.shape, [dst.strides], [dst.offset], (offs, n, s) => fillRow(out, v, offs[0], n, s[0]));
    },

    unary(op, x, out) {
      const o = out.data;
      const xd = x.buffer.data;
      // Small tensors are common (and dominated by overhead): a flat operand needs no strided walk.
      const sx = flatStep(x.shape, x.strides);
      if (sx >= 0) return unaryRow(op, xd, o, x.offset, 0, o.length, sx, 1);
      forEachRow(x.shape, [x.strides, contiguousStrides(x.shape)], [x.offset, 0], (offs, n, s) =>
        unaryRow(op, xd, o, offs[0], offs[1], n, s[0], s[1]),
      );
    },

    binary(op, a, b, out) {
      const o = out.data;
      const ad = a.buffer.data;
      const bd = b.buffer.data;
      const sa = flatStep(a.shape, a.strides);
      const sb = sa < 0 ? -1 : flatStep(b.shape, b.strides);
      if (sb >= 0) return binaryRow(op, ad, bd, o, a.offset, b.offset, 0, o.length, sa, sb, 1);
      forEachRow(a.shape, [a.strides, b.strides, contiguousStrides(a.shape)], [a.offset, b.offset, 0], (offs, n, s) =>
        binaryRow(op, ad, bd, o, offs[0], offs[1], offs[2], n, s[0], s[1], s[2]),
      );
    },

    addScaled: cpuAddScaled,

    where(cond, a, b, out) {
      const o = out.data;
      const c = cond.buffer.data;
      const ad = a.buffer.data;
      const bd = b.buffer.data;
      forEachRow(
        a.shape,
        [cond.strides, a.strides, b.strides, contiguousStrides(a.shape)],
        [cond.offset, a.offset, b.offset, 0],
        (offs, n, s) => whereRow(c, ad, bd, o, offs, n, s),
      );
    },

    reduce(op, x, axes, out) {
      // Walk x in its own order and fold each element into its output slot: the output view
      // has stride 0 on the reduced axes. Accumulate in float64, then store once.
      const outShape = x.shape.filter((_, i) => !axes.includes(i));
      const outStrides = contiguousStrides(outShape);
      const viewStrides: number[] = [];
      for (let i = 0, j = 0; i < x.shape.length; i++) viewStrides.push(axes.includes(i) ? 0 : outStrides[j++]);
      const acc = (newArray("float64", out.length) as Float64Array).fill(REDUCE_INIT[op]);
      const xd = x.buffer.data;
      forEachRow(x.shape, [x.strides, viewStrides], [x.offset, 0], (offs, n, s) => reduceRow(op, xd, acc, offs, n, s));
      const cast = storeCast(out.dtype);
      if (cast) for (let i = 0; i < acc.length; i++) out.data[i] = cast(acc[i]);
      else out.data.set(acc);
    },

    argReduce(op, x, axis, out) {
      const better = op === "argmax" ? (v: number, best: number) => v > best : (v: number, best: number) => v < best;
      const xd = x.buffer.data;
      const len = x.shape[axis];
      const step = x.strides[axis];
      const laneShape = x.shape.filter((_, i) => i !== axis);
      const laneStrides = x.strides.filter((_, i) => i !== axis);
      let o = 0;
      forEachRow(laneShape, [laneStrides], [x.offset], (offs, n, s) => {
        let base = offs[0];
        for (let r = 0; r < n; r++, base += s[0]) {
          let bestIndex = 0;
          let best = xd[base];
          if (best === best) {
            for (let i = 1, ix = base + step; i < len; i++, ix += step) {
              const v = xd[ix];
              if (v !== v) { bestIndex = i; break; } // the first NaN is the extremum
              if (better(v, best)) { best = v; bestIndex = i; }
            }
          }
          out.data[o++] = bestIndex;
        }
      });
    },

    scan: cpuScan,
    argsort: cpuArgsort,

    matmul(a, b, out, bias) {
      const r = a.shape.length;
      const dims: MatmulDims = {
        m: a.shape[r - 2], k: a.shape[r - 1], n: b.shape[r - 1],
        sam: a.strides[r - 2], sak: a.strides[r - 1], sbk: b.strides[r - 2], sbn: b.strides[r - 1],
      };
      const acc = newArray("float64", dims.n) as Float64Array;
      if (r === 2) {
        matmulOne(a.buffer.data, b.buffer.data, out.data, a.offset, b.offset, 0, dims, acc);
      } else {
        // Merging batch dims is safe: it visits the same offsets in the same (row-major) order.
        let oOff = 0;
        forEachRow(a.shape.slice(0, r - 2), [a.strides.slice(0, r - 2), b.strides.slice(0, r - 2)], [a.offset, b.offset], (offs, cnt, s) => {
          for (let i = 0; i < cnt; i++, oOff += dims.m * dims.n) {
            matmulOne(a.buffer.data, b.buffer.data, out.data, offs[0] + i * s[0], offs[1] + i * s[1], oOff, dims, acc);
          }
        });
      }
      if (bias !== undefined) addRowBias(out.data, bias.buffer.data, bias.offset, bias.strides[0], dims.n);
    },

    softmax(x, axis, log, out) {
      const xd = x.buffer.data;
      const od = out.data;
      const len = x.shape[axis];
      const step = x.strides[axis];
      const outStrides = contiguousStrides(x.shape);
      const oStep = outStrides[axis];
      const laneShape = x.shape.filter((_, i) => i !== axis);
      const laneX = x.strides.filter((_, i) => i !== axis);
      const laneO = outStrides.filter((_, i) => i !== axis);
      forEachRow(laneShape, [laneX, laneO], [x.offset, 0], (offs, n, s) => {
        let bx = offs[0];
        let bo = offs[1];
        for (let r = 0; r < n; r++, bx += s[0], bo += s[1]) {
          let max = -Infinity;
          for (let i = 0, ix = bx; i < len; i++, ix += step) if (xd[ix] > max || xd[ix] !== xd[ix]) max = xd[ix];
          if (max === -Infinity) max = 0; // an all -inf lane: keep exp(-inf - 0) = 0 rather than NaN
          let sum = 0;
          for (let i = 0, ix = bx; i < len; i++, ix += step) sum += Math.exp(xd[ix] - max);
          if (log) {
            const lse = Math.log(sum);
            for (let i = 0, ix = bx, io = bo; i < len; i++, ix += step, io += oStep) od[io] = xd[ix] - max - lse;
          } else {
            for (let i = 0, ix = bx, io = bo; i < len; i++, ix += step, io += oStep) od[io] = Math.exp(xd[ix] - max) / sum;
          }
        }
      });
    },

    softmaxBackward: cpuSoftmaxBackward,
    softmaxCrossEntropy: cpuSoftmaxCrossEntropy,
    softmaxCrossEntropyBackward: cpuSoftmaxCrossEntropyBackward,

    gather(x, axis, index, out) {
      const xd = x.buffer.data;
      const id = index.buffer.data;
      const od = out.data;
      const step = x.strides[axis];
      // Walk index's shape; x is addressed with stride 0 on `axis` plus index·step. Indices were
      // checked by the op layer, once per call.
      const xStrides = withZeroAt(x.strides, axis);
      forEachRow(index.shape, [index.strides, xStrides, contiguousStrides(index.shape)], [index.offset, x.offset, 0], (offs, n, s) => {
        const [i0, x0, o0] = offs;
        const [si, sx, so] = s;
        for (let r = 0; r < n; r++) od[o0 + r * so] = xd[x0 + r * sx + id[i0 + r * si] * step];
      });
    },

    scatterAdd(base, axis, index, src, out) {
      const od = out.data;
      const outStrides = contiguousStrides(base.shape);
      // A broadcast +0 base (a gradient's zeros) needs no copy: out is zero-filled already.
      if (!isBroadcastZero(base)) this.copy(base, { buffer: out, shape: base.shape, strides: outStrides, offset: 0 });
      const id = index.buffer.data;
      const sd = src.buffer.data;
      const step = outStrides[axis];
      const oStrides = withZeroAt(outStrides, axis);
      forEachRow(index.shape, [index.strides, src.strides, oStrides], [index.offset, src.offset, 0], (offs, n, s) => {
        const [i0, s0, o0] = offs;
        const [si, ss, so] = s;
        for (let r = 0; r < n; r++) od[o0 + r * so + id[i0 + r * si] * step] += sd[s0 + r * ss];
      });
    },

    indexSelect(x, axis, index, out) {
      cpuIndexSelect(x, axis, index, out, (a, b) => this.copy(a, b));
    },

    indexAdd(base, axis, index, src, alpha, out) {
      cpuIndexAdd(base, axis, index, src, alpha, out, (a, b) => this.copy(a, b));
    },

    binaryCrossEntropy: cpuBinaryCrossEntropy,
    binaryCrossEntropyBackward: cpuBinaryCrossEntropyBackward,
    im2col: cpuIm2col,
    col2im: cpuCol2im,
    maxPool2d: cpuMaxPool2d,
    conv2d: cpuConv2d,
    conv2dInputGrad: cpuConv2dInputGrad,
    conv2dWeightGrad: cpuConv2dWeightGrad,
    maxPool2dBackward: cpuMaxPool2dBackward,
    gelu: cpuGelu,
    geluBackward: cpuGeluBackward,
    lstmCell: cpuLstmCell,
    lstmCellBackward: cpuLstmCellBackward,
    gruCell: cpuGruCell,
    gruCellBackward: cpuGruCellBackward,
    layerNorm: cpuLayerNorm,
    layerNormBackward: cpuLayerNormBackward,
    attentionSoftmax: cpuAttentionSoftmax,
    attentionSoftmaxBackward: cpuAttentionSoftmaxBackward,
    dropout: cpuDropout,
  };
}

/** Sizes and strides of one matrix product a [m, k] @ b [k, n]. */
/** out[i, j] += bias[j] for every row of `out` (rows of n): the product's own rounding, then the add, as a separate add would. */
function addRowBias(od: HostArray, bd: HostArray, bOff: number, sb: number, n: number): void {
  for (let io = 0; io < od.length; io += n) {
    for (let j = 0, ib = bOff; j < n; j++, ib += sb) od[io + j] += bd[ib];
  }
}

interface MatmulDims {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly sam: number;
  readonly sak: number;
  readonly sbk: number;
  readonly sbn: number;
}

/**
 * One product into the contiguous block at oOff. A top-level function on purpose: V8 optimizes a
 * hot loop inside a closure created per call much worse (measured 2.4× slower per multiply-add).
 */
function matmulOne(ad: HostArray, bd: HostArray, od: HostArray, aOff: number, bOff: number, oOff: number, dims: MatmulDims, acc: Float64Array): void {
  const { m, k, n, sam, sak, sbk, sbn } = dims;
  if (n === 1) {
    // matrix · vector: one dot product per row
    for (let i = 0; i < m; i++) {
      let sum = 0;
      for (let p = 0, ia = aOff + i * sam, ib = bOff; p < k; p++, ia += sak, ib += sbk) sum += ad[ia] * bd[ib];
      od[oOff + i] = sum;
    }
    return;
  }
  if (k === 1) {
    // outer product
    for (let i = 0; i < m; i++) {
      const ai = ad[aOff + i * sam];
      for (let j = 0, ib = bOff, io = oOff + i * n; j < n; j++, ib += sbn, io++) od[io] = ai * bd[ib];
    }
    return;
  }
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    // i-p-j order: the inner loop walks a row of b and of the accumulator.
    for (let p = 0; p < k; p++) {
      const aip = ad[aOff + i * sam + p * sak];
      for (let j = 0, ib = bOff + p * sbk; j < n; j++, ib += sbn) acc[j] += aip * bd[ib];
    }
    for (let j = 0; j < n; j++) od[oOff + i * n + j] = acc[j];
  }
}

// Row loops live in top-level functions, not in the per-call callbacks that forEachRow takes:
// V8 optimizes a hot loop inside a freshly created closure much worse.

function copyRow(x: HostArray, out: HostArray, offs: number[], n: number, s: readonly number[], cast: ((v: number) => number) | null): void {
  let ix = offs[0];
  let io = offs[1];
  const sx = s[0];
  const so = s[1];
  if (cast) for (let i = 0; i < n; i++, ix += sx, io += so) out[io] = cast(x[ix]);
  else for (let i = 0; i < n; i++, ix += sx, io += so) out[io] = x[ix];
}

function fillRow(out: HostArray, v: number, io: number, n: number, so: number): void {
  for (let i = 0; i < n; i++, io += so) out[io] = v;
}

function whereRow(c: HostArray, a: HostArray, b: HostArray, o: HostArray, offs: number[], n: number, s: readonly number[]): void {
  let [ic, ia, ib, io] = offs;
  for (let i = 0; i < n; i++, ic += s[0], ia += s[1], ib += s[2], io += s[3]) o[io] = c[ic] !== 0 ? a[ia] : b[ib];
}

function reduceRow(op: ReduceOp, xd: HostArray, acc: Float64Array, offs: number[], n: number, s: readonly number[]): void {
  let ix = offs[0];
  let io = offs[1];
  const sx = s[0];
  const so = s[1];
  switch (op) {
    case "sum": for (let i = 0; i < n; i++, ix += sx, io += so) acc[io] += xd[ix]; return;
    case "prod": for (let i = 0; i < n; i++, ix += sx, io += so) acc[io] *= xd[ix]; return;
    case "max":
      for (let i = 0; i < n; i++, ix += sx, io += so) {
        const v = xd[ix];
        if (v > acc[io] || v !== v) acc[io] = v; // NaN wins, as in PyTorch
      }
      return;
    case "min":
      for (let i = 0; i < n; i++, ix += sx, io += so) {
        const v = xd[ix];
        if (v < acc[io] || v !== v) acc[io] = v;
      }
      return;
    default: op satisfies never;
  }
}

/** `strides` with a 0 at `axis` (a packed array, not .map: see packedZeros in shape.ts). */
function withZeroAt(strides: readonly number[], axis: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < strides.length; i++) out.push(i === axis ? 0 : strides[i]);
  return out;
}
