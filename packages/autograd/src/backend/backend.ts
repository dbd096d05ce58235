/**
 * The Backend seam: buffers in, buffers out. A backend knows nothing of Tensor, graphs or
 * gradients, and never checks shapes — the op layer has already validated and broadcast
 * everything, so a kernel receives operands of agreeing shapes (broadcast dims have stride 0).
 */

import type { DType } from "../dtype.js";

/** Elementwise ops of one operand. */
export type UnaryOp =
  | "neg" | "exp" | "log" | "log1p" | "expm1" | "sqrt" | "abs" | "sign" | "tanh" | "sigmoid"
  | "relu" | "erf" | "sin" | "cos" | "floor" | "ceil" | "round" | "isfinite" | "logicalNot";

/**
 * Elementwise ops of two operands. Comparisons write 0/1. The `…Backward` ops take (g, y), an
 * activation's output gradient and its output, and give its input gradient in one pass:
 * sigmoidBackward = g·y·(1 − y), tanhBackward = g·(1 − y²), reluBackward = y ≤ 0 ? 0 : g.
 */
export type BinaryOp =
  | "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "minimum"
  | "eq" | "ne" | "lt" | "le" | "gt" | "ge" | "logicalAnd" | "logicalOr"
  | "sigmoidBackward" | "tanhBackward" | "reluBackward";

/**
 * The scalars of one Adam or AdamW step (PyTorch's single-tensor update), computed by the caller
 * in float64 exactly as the op-by-op update computes them.
 */
export interface AdamStepScalars {
  /** Step against the gradient's sign (g ← −grad). */
  readonly maximize: boolean;
  /** Adam's L2 term: g ← g + p·weightDecay (0: none). Unused when `decay` is given. */
  readonly weightDecay: number;
  /** AdamW's decoupled decay: p ← p·decay first (1 − lr·wd); null for Adam. */
  readonly decay: number | null;
  readonly beta1: number;
  readonly beta2: number;
  /** √(1 − β2ᵗ). */
  readonly biasCorrection2Sqrt: number;
  readonly eps: number;
  /** lr / (1 − β1ᵗ). */
  readonly stepSize: number;
}

/**
 * The scalars of one Adadelta step (PyTorch's single-tensor update). Each is rounded to the
 * dtype, as the scalar operands of the op-by-op update are.
 */
export interface AdadeltaStepScalars {
  /** Step against the gradient's sign (g ← −grad). */
  readonly maximize: boolean;
  /** L2 term: g ← g + p·weightDecay (0: none). */
  readonly weightDecay: number;
  readonly rho: number;
  readonly eps: number;
  readonly lr: number;
}

/** GELU's two forms: x·Φ(x) exactly ("none"), or PyTorch's tanh approximation ("tanh"). */
export type GeluApproximate = "none" | "tanh";

/** Reductions over a set of axes. */
export type ReduceOp = "sum" | "prod" | "max" | "min";

/** Index-of-extremum reductions over one axis. */
export type ArgReduceOp = "argmax" | "argmin";

/** Cumulative (inclusive prefix) reductions along one axis: cumsum and cumprod. */
export type ScanOp = "sum" | "prod";

/**
 * A backend-owned block of memory holding `length` elements of `dtype`; its contents are opaque
 * above the backend. `version` is the tensor layer's in-place write counter for this memory
 * (autograd compares it to detect saved tensors modified in place): a backend creates buffers
 * with version 0 and never changes it.
 */
export interface BackendBuffer {
  readonly dtype: DType;
  readonly length: number;
  version: number;
}

/** A strided window onto a buffer: element (i0, i1, ...) lives at offset + Σ ik·strides[k]. */
export interface StridedView<B extends BackendBuffer = BackendBuffer> {
  readonly buffer: B;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/**
 * A grid of sliding windows over the last two dims of an image [N, C, H, W] (convolution's
 * im2col/col2im and pooling; kernels in backend/cpu/window-kernels.ts, ops in ops/unfold.ts and
 * ops/max-pool.ts). Window (i, j) of the oh×ow grid covers rows i·sh − ph + r·dh (r < kh) and
 * columns j·sw − pw + c·dw (c < kw); positions outside the image are padding.
 */
export interface Window2d {
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly ph: number;
  readonly pw: number;
  readonly dh: number;
  readonly dw: number;
  readonly oh: number;
  readonly ow: number;
}

/** A contiguous copy of a buffer's elements, in the JS array type of its dtype. */
export type HostArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * How a backend lets reverse mode reuse gradient memory. `mark()` numbers the allocations made so
 * far; `recyclable(buffer, mark)` says whether `buffer` was allocated after that mark and is worth
 * reusing (large, memory of its own); `recycle(buffer)` takes its memory for later allocs — the
 * caller has proved that no tensor will read or write the buffer again.
 */
export interface BufferRecycler<B extends BackendBuffer = BackendBuffer> {
  mark(): number;
  recyclable(buffer: B, mark: number): boolean;
  recycle(buffer: B): void;
}

/** The kernels every backend provides. Outputs are contiguous buffers the caller allocated. */
export interface Backend<B extends BackendBuffer = BackendBuffer> {
  readonly name: string;

  /** A zero-filled buffer. */
  alloc(dtype: DType, length: number): B;
  /** A buffer holding `values` converted to `dtype` (bool: nonzero → 1). */
  fromValues(dtype: DType, values: ArrayLike<number>): B;
  /** The elements of a view, row-major, as a fresh host array. */
  read(src: StridedView<B>): HostArray;
  /** One element of a buffer. */
  readElement(buffer: B, index: number): number;
  /** Releases the buffer's memory (a no-op where the garbage collector owns it). */
  dispose(buffer: B): void;
  /**
   * True where memory can only be read asynchronously (a GPU): `read` and `readElement` then throw,
   * and the tensor layer names the async form (`toArrayAsync`, `itemAsync`) in its error.
   */
  readonly asyncReads?: boolean;
  /** The elements of a view as a fresh host array, once the device has computed them (GPU backends). */
  readAsync?(src: StridedView<B>): Promise<HostArray>;
  /**
   * Reuse of gradient memory by reverse mode (engine/gradient-memory.ts), where the backend can
   * hand a buffer's memory to a later alloc. Optional: without it gradients are left to the
   * garbage collector.
   */
  readonly recycler?: BufferRecycler<B>;
  /**
   * GPU backends: the op layer's index check without a host read. Raises the device's error flag
   * for any value of the int32 view outside [0, size) other than `ignore`, so that the next read
   * from the device throws an IndexError naming `op` (one of the ops the backend knows: webgpu's
   * INDEX_CODES). Sync backends leave it out: their callers check on the host.
   */
  checkIndices?(op: string, index: StridedView<B>, size: number, ignore: number): void;

  /** dst[i] = cast(src[i]) over two views of the same shape (dst may be strided: in-place writes). */
  copy(src: StridedView<B>, dst: StridedView<B>): void;
  /** dst[i] = value over a view. */
  fill(dst: StridedView<B>, value: number): void;
  /** out = op(x), elementwise; `out` is contiguous with x's shape. */
  unary(op: UnaryOp, x: StridedView<B>, out: B): void;
  /** out = a op b, elementwise over views of one shape; `out` is contiguous with that shape. */
  binary(op: BinaryOp, a: StridedView<B>, b: StridedView<B>, out: B): void;
  /**
   * out += alpha·x in place (PyTorch's add_ with alpha), x viewed with out's shape; float dtypes.
   * alpha·x is rounded to the dtype before the add, exactly as a mul kernel then an add kernel
   * would round, but with no temporary array. Optional: without it add_ runs a mul and an add.
   */
  addScaled?(x: StridedView<B>, alpha: number, out: B): void;
  /**
   * Optional fused Adam(W) step over whole, equally long buffers of one float dtype, in place on
   * param, expAvg and expAvgSq: bit for bit the op-by-op update (m ← lerp(m, g, 1−β1),
   * v ← β2·v + (1−β2)·g², p ← p − stepSize·m/(√v/√(1−β2ᵗ) + eps)), each op rounding to the
   * dtype. Returns false when it does not handle the case (the caller then runs the ops).
   */
  adamStep?(param: B, grad: B, expAvg: B, expAvgSq: B, scalars: AdamStepScalars): boolean;
  /**
   * Optional fused Adadelta step, as adamStep: in place on param, squareAvg (v) and accDelta (u),
   * bit for bit the op-by-op update v ← ρ·v + (1−ρ)·g², Δ = √(u + eps)/√(v + eps)·g,
   * u ← ρ·u + (1−ρ)·Δ², p ← p − lr·Δ. Returns false when it does not handle the case.
   */
  adadeltaStep?(param: B, grad: B, squareAvg: B, accDelta: B, scalars: AdadeltaStepScalars): boolean;
  /** out = cond ? a : b over views of one shape. */
  where(cond: StridedView<B>, a: StridedView<B>, b: StridedView<B>, out: B): void;
  /** Reduces `axes` of x; `out` is contiguous with x's shape minus those axes. */
  reduce(op: ReduceOp, x: StridedView<B>, axes: readonly number[], out: B): void;
  /** Index (int32) of the first max/min along `axis`; `out` has x's shape minus that axis. */
  argReduce(op: ArgReduceOp, x: StridedView<B>, axis: number, out: B): void;
  /**
   * out[…, i, …] = x[…, 0, …] op … op x[…, i, …] along `axis`, accumulated in float64 (as PyTorch's
   * CPU kernels do) and rounded to the dtype at each store; `out` is contiguous with x's shape.
   */
  scan(op: ScanOp, x: StridedView<B>, axis: number, out: B): void;
  /**
   * The int32 indices that sort each lane of x along `axis`, stably (ties keep their order), NaN
   * above every number (last ascending, first descending), as PyTorch's stable sort; `out` is
   * contiguous with x's shape.
   */
  argsort(x: StridedView<B>, axis: number, descending: boolean, out: B): void;
  /**
   * Batched matrix product: a [...batch, m, k] @ b [...batch, k, n] → out [...batch, m, n]; with
   * `bias` (a [n] view, Linear's b — PyTorch's addmm) added to every row of the product, in the
   * product's output pass where the kernel can (one dtype throughout).
   */
  matmul(a: StridedView<B>, b: StridedView<B>, out: B, bias?: StridedView<B>): void;
  /** Softmax (or log-softmax when `log`) along `axis`, computed stably with the max subtracted. */
  softmax(x: StridedView<B>, axis: number, log: boolean, out: B): void;
  /**
   * The gradient of softmax (log-softmax when `log`) along `axis` from the upstream gradient g and
   * the forward output y (one shape): y ⊙ (g − Σ g⊙y), or g − eʸ ⊙ Σ g; `out` is contiguous.
   */
  softmaxBackward(g: StridedView<B>, y: StridedView<B>, axis: number, log: boolean, out: B): void;
  /**
   * Cross entropy of logits against class indices, per row: out[i] = log Σⱼ e^{x[i, j]} − x[i, t[i]]
   * for contiguous x [rows, cols] and int32 t [rows] (indices checked by the op layer on sync
   * backends; a GPU kernel flags a bad one, see checkIndices), computed
   * stably with the row max subtracted. Kernels: backend/cpu/softmax.ts, assembly/softmax.ts; op:
   * ops/softmax-cross-entropy.ts.
   */
  softmaxCrossEntropy(x: B, target: B, rows: number, cols: number, out: B): void;
  /** Its gradient: out[i, j] = (softmax(x)[i, j] − [j = t[i]])·g[i], contiguous [rows, cols]. */
  softmaxCrossEntropyBackward(g: B, x: B, target: B, rows: number, cols: number, out: B): void;
  /** out[p] = x[p with p[axis] ← index[p]]; `out` has index's shape; indices checked by the op layer. */
  gather(x: StridedView<B>, axis: number, index: StridedView<B>, out: B): void;
  /**
   * out = base; out[p with p[axis] ← index[p]] += src[p]. `out` has base's shape; indices checked
   * by the op layer. A base that is one broadcast +0 (a gradient's zeros) is not copied: `out`
   * arrives zero-filled from alloc.
   */
  scatterAdd(base: StridedView<B>, axis: number, index: StridedView<B>, src: StridedView<B>, out: B): void;
  /**
   * Row gather along `axis` (indexSelect): out[…, i, …] = x[…, index[i], …], index a 1-d (or 0-d)
   * int32 view whose values the op layer checked to lie in [0, x.shape[axis]); out is contiguous
   * with x's shape and index's length at `axis`. Kernels in backend/cpu/index-kernels.ts.
   */
  indexSelect(x: StridedView<B>, axis: number, index: StridedView<B>, out: B): void;
  /**
   * Row scatter-add along `axis`, indexSelect's adjoint (indexAdd): out = base, then
   * out[…, index[i], …] += alpha·src[…, i, …]; out has base's shape, indices were checked by the
   * op layer. A base that is one broadcast +0 is not copied (out arrives zero-filled from alloc).
   */
  indexAdd(base: StridedView<B>, axis: number, index: StridedView<B>, src: StridedView<B>, alpha: number, out: B): void;
  /**
   * Binary cross entropy on probabilities, elementwise over p and y of one shape: out =
   * −(y·max(log p, −100) + (1 − y)·max(log(1 − p), −100)), float64 inside, rounded once.
   * Kernel in backend/cpu/loss-kernels.ts; op in ops/binary-cross-entropy.ts. Returns whether
   * every p and y lies in [0, 1] (NaN does not): the op's range check, made in the same pass so
   * that a training step reads nothing back.
   */
  binaryCrossEntropy(p: StridedView<B>, y: StridedView<B>, out: B): boolean;
  /**
   * binaryCrossEntropy's input gradient, elementwise over views of one shape: out =
   * g·(p − y) / max(p·(1 − p), 1e-12) (PyTorch's, finite where p is 0 or 1), float64 inside,
   * rounded once.
   */
  binaryCrossEntropyBackward(g: StridedView<B>, p: StridedView<B>, y: StridedView<B>, out: B): void;
  /**
   * im2col: x [N, C, H, W] → out [N, C·kh·kw, oh·ow], out[n, (c·kh + r)·kw + q, i·ow + j] = the
   * image element under kernel tap (r, q) of window (i, j), 0 in the padding.
   */
  im2col(x: StridedView<B>, window: Window2d, out: B): void;
  /**
   * col2im, im2col's adjoint: cols [N, C·kh·kw, oh·ow] → out [N, C, height, width] (zero-filled
   * by the caller), each column entry added to the image element it was read from; entries in
   * the padding are dropped.
   */
  col2im(cols: StridedView<B>, window: Window2d, height: number, width: number, out: B): void;
  /**
   * Max pooling: x [N, C, H, W] → values [N, C, oh, ow] and int32 indices (h·W + w of the max
   * in its plane); padding is −∞. A NaN wins (the last one in the window), as in PyTorch.
   */
  maxPool2d(x: StridedView<B>, window: Window2d, values: B, indices: B): void;

  // Convolution (ops/conv2d.ts; kernels in backend/cpu/conv-kernels.ts and backend/wasm/conv.ts).
  // Shapes: x [N, C, H, W], weight [O, C/groups, kh, kw], output gradient g [N, O, oh, ow], the
  // window grid over x; channel group k maps input channels [k·C/groups, (k+1)·C/groups) to
  // output channels [k·O/groups, (k+1)·O/groups).
  /** out [N, O, oh, ow] = Σ_{c, r, q} weight[o, c, r, q]·x[n, c, tap (r, q) of window (i, j)] (+ bias[o]). */
  conv2d(x: StridedView<B>, weight: StridedView<B>, bias: StridedView<B> | null, window: Window2d, groups: number, out: B): void;
  /** conv2d's gradient with respect to x: out [N, C, height, width] = the adjoint of conv2d applied to g. */
  conv2dInputGrad(g: StridedView<B>, weight: StridedView<B>, window: Window2d, groups: number, height: number, width: number, out: B): void;
  /** conv2d's gradient with respect to weight: out [O, C/groups, kh, kw] = Σ_{n, i, j} g[n, o, i, j]·x[n, c, tap (r, q) of (i, j)]. */
  conv2dWeightGrad(x: StridedView<B>, g: StridedView<B>, window: Window2d, groups: number, out: B): void;
  /**
   * Max pooling's gradient: out [N, C, height, width] = zeros with each g[n, c, i, j] added at its
   * plane's indices[n, c, i, j]. `window` (the forward's; the op passes it) lets a kernel that
   * gathers per input element (webgpu: no float atomics) visit only the windows that can hold it.
   */
  maxPool2dBackward(g: StridedView<B>, indices: StridedView<B>, height: number, width: number, out: B, window?: Window2d): void;
  // Transformer kernels (ops/gelu.ts, ops/layer-norm.ts, ops/attention-softmax.ts; cpu kernels in
  // cpu/norm-kernels.ts and cpu/attention-kernels.ts). Every operand is a whole contiguous float
  // buffer of one dtype; the op layer checks shapes and makes the copies.
  /** out = gelu(x): x·Φ(x) with Φ the normal CDF, or 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))). */
  gelu(x: B, approximate: GeluApproximate, out: B): void;
  /** out = g·gelu′(x), the input gradient of gelu in one pass. */
  geluBackward(g: B, x: B, approximate: GeluApproximate, out: B): void;
  /**
   * Layer normalization of `rows` rows of `cols` values: out = (x − mean)·rstd·weight + bias, with
   * rstd = 1/√(var + eps) (biased variance); weight and bias [cols] or null (1 and 0). Writes each
   * row's mean and rstd ([rows], float64 statistics rounded to the dtype) for the backward pass.
   */
  layerNorm(x: B, weight: B | null, bias: B | null, rows: number, cols: number, eps: number, out: B, mean: B, rstd: B): void;
  /**
   * layerNorm's gradients from the saved mean and rstd: with x̂ = (x − mean)·rstd and
   * ĝ = g·weight, dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) per row, dweight = Σ_rows g·x̂ and
   * dbias = Σ_rows g (each written only when its buffer is given).
   */
  layerNormBackward(g: B, x: B, mean: B, rstd: B, weight: B | null, rows: number, cols: number, dx: B | null, dweight: B | null, dbias: B | null): void;
  // ---- fused LSTM cell (ops/lstm-cell.ts; kernels backend/cpu/recurrent.ts)
  /**
   * One LSTM step from pre-activation gates [B, 4H] (i, f, g, o) and the cell state c [B, H]:
   * out [2, B, H] = (h', c') with c' = σ(f)·c + σ(i)·tanh(g) and h' = σ(o)·tanh(c').
   */
  lstmCell(gates: StridedView<B>, c: StridedView<B>, out: B): void;
  /** lstmCell's gradients from gOut [2, B, H] = (∂L/∂h', ∂L/∂c'): out = ∂L/∂gates [B, 4H] then ∂L/∂c [B, H]. */
  lstmCellBackward(gates: StridedView<B>, c: StridedView<B>, gOut: StridedView<B>, out: B): void;
  /**
   * One GRU step from gi, gh [B, 3H] (r, z, n) and h [B, H]: r = σ(gi_r + gh_r), z = σ(gi_z + gh_z),
   * n = tanh(gi_n + r·gh_n), out h' = (1 − z)·n + z·h [B, H].
   */
  gruCell(gi: StridedView<B>, gh: StridedView<B>, h: StridedView<B>, out: B): void;
  /** gruCell's gradients from g = ∂L/∂h': out = ∂L/∂gi [B, 3H], then ∂L/∂gh [B, 3H], then ∂L/∂h [B, H]. */
  gruCellBackward(gi: StridedView<B>, gh: StridedView<B>, h: StridedView<B>, g: StridedView<B>, out: B): void;
  /**
   * Attention weights: softmax along rows of length S of x·scale, with key j of query row i
   * (i = row mod L) masked out (−∞) where j > i when `causal`. out has x's [rows, S] layout.
   */
  attentionSoftmax(x: B, rows: number, L: number, S: number, scale: number, causal: boolean, out: B): void;
  /** attentionSoftmax's input gradient from its output y: dx = scale·y·(g − Σ_row g·y). */
  attentionSoftmaxBackward(g: B, y: B, rows: number, S: number, scale: number, out: B): void;
  // Dropout (ops/dropout.ts; kernel in cpu/dropout-kernels.ts): whole contiguous buffers of one float dtype.
  /** out = x·(u < threshold ? scale : 0): inverted dropout with the uniform noise u. */
  dropout(x: B, u: B, threshold: number, scale: number, out: B): void;
}
