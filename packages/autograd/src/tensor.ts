/**
 * The user-facing Tensor: a handle to backend memory with a shape, strides and offset (so views
 * share memory), plus the autograd fields. Methods are thin sugar over the ops in `ops/`.
 */

import type { Backend, BackendBuffer, HostArray, StridedView } from "./backend/backend.js";
import { canCast, checkDType, checkStorable, DTYPES, isFloating, promoteWithScalar, type DType } from "./dtype.js";
import { backendNamed, listBackends } from "./backend/registry.js";
import { backward as runBackward, type BackwardOptions } from "./engine/backward.js";
import { isGradEnabled, noGrad } from "./engine/grad-mode.js";
import type { GradHook, Node } from "./engine/node.js";
import { swapGrad, trackTensor } from "./engine/memory-scope.js";
import { DTypeError, GradError, ShapeError, ValueError, fmtShape, fmtValue } from "./errors.js";
import { formatTensor } from "./format.js";
import * as act from "./ops/activations.js";
import { binary } from "./ops/binary.js";
import { cast, castTo, copy } from "./ops/cast.js";
import { compare, isfinite, logicalNot } from "./ops/compare.js";
import { allocBuffer, broadcastView, ownsWholeBuffer } from "./ops/define.js";
import { scalarTensor, type Operand } from "./ops/elementwise.js";
import { expand } from "./ops/expand.js";
import { amax, amin, argExtremum, extremumOfAll } from "./ops/extremum.js";
import { gather, scatterAdd } from "./ops/gather.js";
import { indexAdd, indexSelect, type IndexAddOptions } from "./ops/index-select.js";
import { matmul } from "./ops/matmul.js";
import { permute } from "./ops/permute.js";
import * as red from "./ops/reductions.js";
import { reshape, view } from "./ops/reshape.js";
import * as shp from "./ops/shape-ops.js";
import { narrow, slice } from "./ops/slice.js";
import { logSoftmax, softmax } from "./ops/softmax.js";
import { sum } from "./ops/sum.js";
import { hostValues, toDevice, toDeviceAsync } from "./ops/to-device.js";
import { unary } from "./ops/unary.js";
import { where } from "./ops/where.js";
import { defaultGenerator, generatorOf, normalValues, uniformValues, type Generator } from "./random.js";
import {
  broadcastShapes, checkOptionKeys, checkShape, contiguousStrides, isContiguousLayout, isShape, normalizeDim, numelOf, shapesEqual, sizeArgs, type SizeArgs,
} from "./shape.js";
import { checkTensor, operandError } from "./validate.js";
import type { TensorOptions } from "./creation.js";
import { addcdiv, addcmul, type AddcOptions } from "./ops/addc.js";
import { maskedFill, tril, triu } from "./ops/masks.js";
import { flip, repeat, roll, tile } from "./ops/rearrange.js";
import { cumprod, cumsum, type ScanOptions } from "./ops/scan.js";
import { argsort, sort, topk } from "./ops/sort.js";
import { multinomial, type SampleOptions } from "./sampling.js";

/** Nested arrays as `toArray()` returns them. */
export type NestedNumbers = number | boolean | NestedNumbers[];

/** A shape given as an array or as separate numbers: `reshape([2, 3])` or `reshape(2, 3)`. */
type ShapeArgs = [readonly number[]] | number[];

/** The sizes of `reshape(2, 3)` or `reshape([2, 3])`; anything else throws, naming `op`. */
function shapeArgs(args: ShapeArgs, op = "reshape"): readonly number[] {
  if (args.length === 1 && Array.isArray(args[0])) return args[0];
  return sizeArgs(op, args, false).sizes;
}

/** Handle returned by `registerHook`. */
export interface RemovableHandle {
  remove(): void;
}

/** Hooks on leaf tensors: rare, so kept beside the tensors rather than in a field of every one. */
const leafHooks = new WeakMap<Tensor, GradHook[]>();
const NO_HOOKS: readonly GradHook[] = Object.freeze([]);

/** An n-dimensional array that can record the operations applied to it for reverse-mode autodiff. */
export class Tensor implements StridedView {
  private gradTensor: Tensor | null = null;
  private requiresGradFlag = false;
  private node: Node | null = null;
  private nodeOutput = 0;

  /** @internal Use the creation functions (`tensor`, `zeros`, ...) instead. */
  constructor(
    /** @internal The backend that owns the memory. */
    readonly backend: Backend,
    /** @internal The backend memory (for kernels), shared with views; it carries the version counter. */
    readonly buffer: BackendBuffer,
    readonly shape: readonly number[],
    /** Elements to skip to move one step along each dim. */
    readonly strides: readonly number[],
    /** Index of the first element in the buffer. */
    readonly offset: number,
    readonly dtype: DType,
  ) {
    trackTensor(this);
  }

  // ---------------------------------------------------------------- metadata

  /** Number of dims. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Number of dims (PyTorch's x.dim()). */
  dim(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  numel(): number {
    return numelOf(this.shape);
  }

  /** The shape, or the size of one dim. */
  size(): readonly number[];
  size(dim: number): number;
  size(dim?: number): number | readonly number[] {
    return dim === undefined ? this.shape : this.shape[normalizeDim("size", dim, this.ndim)];
  }

  /** True when the elements are laid out row-major with no gaps. */
  isContiguous(): boolean {
    return isContiguousLayout(this.shape, this.strides);
  }

  /** True for float32 and float64. */
  isFloatingPoint(): boolean {
    return isFloating(this.dtype);
  }

  /** The in-place version counter of the underlying memory (shared with views). */
  get version(): number {
    return this.buffer.version;
  }

  /** Name of the backend holding the data. */
  get device(): string {
    return this.backend.name;
  }

  // ---------------------------------------------------------------- autograd fields

  /** The gradient accumulated by `backward()`; null until then. */
  get grad(): Tensor | null {
    return this.gradTensor;
  }

  /** Assigns a gradient: null, or a tensor of this tensor's shape, dtype and backend (as PyTorch checks). */
  set grad(value: Tensor | null) {
    if (value !== null) {
      if (!(value instanceof Tensor)) throw new ValueError(`grad: assigned grad must be a Tensor or null, got ${fmtValue(value)}`);
      if (!shapesEqual(value.shape, this.shape)) {
        throw new ShapeError(`grad: assigned grad has shape ${fmtShape(value.shape)}, but the tensor has shape ${fmtShape(this.shape)}`);
      }
      if (value.dtype !== this.dtype) throw new DTypeError(`grad: assigned grad has dtype ${value.dtype}, but the tensor is ${this.dtype}`);
      if (value.backend !== this.backend) {
        throw new ValueError(`grad: assigned grad is on backend ${value.backend.name}, but the tensor is on ${this.backend.name}`);
      }
    }
    swapGrad(this.gradTensor, value); // a .grad outlives memory scopes (engine/memory-scope.ts)
    this.gradTensor = value;
  }

  /** Whether operations on this tensor are recorded for backward. */
  get requiresGrad(): boolean {
    return this.requiresGradFlag;
  }

  set requiresGrad(value: boolean) {
    if (typeof value !== "boolean") throw new ValueError(`requiresGrad: expected a boolean, got ${fmtValue(value)}`);
    if (this.node !== null) {
      if (!value) throw new GradError("requiresGrad: only leaf tensors can change requiresGrad; use detach() to get a tensor without grad");
      return;
    }
    if (value && !this.isFloatingPoint()) {
      throw new DTypeError(`requiresGrad: only floating point tensors can require gradients, got ${this.dtype}`);
    }
    this.requiresGradFlag = value;
  }

  /** Sets requiresGrad in place and returns this tensor (PyTorch's requires_grad_). */
  requiresGrad_(value = true): this {
    this.requiresGrad = value;
    return this;
  }

  /** True for tensors not produced by a recorded op: user-created tensors and parameters. */
  get isLeaf(): boolean {
    return this.node === null;
  }

  /** The graph node that produced this tensor, or null for a leaf. */
  get gradFn(): Node | null {
    return this.node;
  }

  /** @internal Which output of `gradFn` this tensor is. */
  get outputIndex(): number {
    return this.nodeOutput;
  }

  /** @internal Records that `node` produced this tensor as output `index`. */
  attachGradFn(node: Node, index: number): void {
    this.node = node;
    this.nodeOutput = index;
    this.requiresGradFlag = true;
  }

  /** @internal Hooks registered on a leaf. */
  get hooks(): readonly GradHook[] {
    return leafHooks.get(this) ?? NO_HOOKS;
  }

  /** Whether a non-leaf keeps its `.grad` (false for leaves, which always do, as in PyTorch). */
  get retainsGrad(): boolean {
    return this.node !== null && this.node.retainedOutput(this.nodeOutput) === this;
  }

  /** Keeps `.grad` on this non-leaf tensor after backward (leaves keep theirs anyway). */
  retainGrad(): this {
    if (!this.requiresGrad) throw new GradError("retainGrad: called on a tensor that does not require grad");
    if (this.node !== null) this.node.retainOutput(this.nodeOutput, this);
    return this;
  }

  /**
   * Calls `hook(grad)` whenever the gradient with respect to this tensor is computed; a returned
   * tensor replaces the gradient. Returns a handle whose `remove()` unregisters it.
   */
  registerHook(hook: GradHook): RemovableHandle {
    if (!this.requiresGrad) throw new GradError("registerHook: cannot register a hook on a tensor that does not require grad");
    let list: GradHook[];
    if (this.node === null) {
      list = leafHooks.get(this) ?? [];
      leafHooks.set(this, list);
    }
    else list = this.node.hookList(this.nodeOutput);
    list.push(hook);
    return { remove: () => void list.splice(list.indexOf(hook) >>> 0, list.includes(hook) ? 1 : 0) };
  }

  /**
   * Computes the gradient of this tensor with respect to every leaf that requires grad and adds it
   * to their `.grad`. A scalar is seeded with 1; any other shape needs `gradient` (∂L/∂this).
   */
  backward(gradient?: Tensor | number, options: BackwardOptions = {}): void {
    runBackward([this], gradient === undefined ? undefined : [gradient], options);
  }

  // ---------------------------------------------------------------- reading data

  /** The elements, row-major, as a fresh TypedArray of the dtype's array type (bool: Uint8Array). */
  toTypedArray(): HostArray {
    checkSyncRead("toTypedArray", this, "toTypedArrayAsync");
    try {
      return this.backend.read(this);
    } catch (e) {
      throw readFailure("toTypedArray", this, e);
    }
  }

  /** The elements, row-major, as plain numbers (bools as 0/1). */
  toFlatArray(): number[] {
    checkSyncRead("toFlatArray", this, "toTypedArrayAsync");
    checkJsArrayLength("toFlatArray", this);
    const values = this.toTypedArray();
    try {
      return Array.from(values);
    } catch (e) {
      throw readFailure("toFlatArray", this, e);
    }
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.numel() !== 1) {
      throw new ValueError(`item: only one-element tensors can be converted to a number, got shape ${fmtShape(this.shape)}`);
    }
    checkSyncRead("item", this, "itemAsync");
    return this.backend.readElement(this.buffer, this.offset);
  }

  /** The elements as nested arrays (a number for a 0-d tensor; booleans for bool tensors). */
  toArray(): NestedNumbers {
    checkSyncRead("toArray", this, "toArrayAsync");
    checkJsArrayLength("toArray", this);
    return this.nested(this.toTypedArray());
  }

  /**
   * The elements, row-major, as a fresh TypedArray once the device has computed them: the read for
   * a GPU tensor (host backends resolve at once).
   */
  async toTypedArrayAsync(): Promise<HostArray> {
    const backend = this.backend;
    return backend.asyncReads && backend.readAsync !== undefined ? backend.readAsync(this) : this.toTypedArray();
  }

  /** toArray, asynchronously: the form that works on every device (a GPU's memory is read asynchronously). */
  async toArrayAsync(): Promise<NestedNumbers> {
    checkJsArrayLength("toArrayAsync", this);
    return this.nested(await this.toTypedArrayAsync());
  }

  /** item, asynchronously: the form that works on every device. */
  async itemAsync(): Promise<number> {
    if (this.numel() !== 1) {
      throw new ValueError(`itemAsync: only one-element tensors can be converted to a number, got shape ${fmtShape(this.shape)}`);
    }
    return (await this.toTypedArrayAsync())[0];
  }

  /** Row-major values as nested arrays of this tensor's shape. */
  private nested(flat: HostArray): NestedNumbers {
    const asValue = this.dtype === "bool" ? (v: number) => v !== 0 : (v: number) => v;
    const build = (dim: number, offset: number): NestedNumbers => {
      if (dim === this.ndim) return asValue(flat[offset]);
      const inner = numelOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * inner));
    };
    try {
      return build(0, 0);
    } catch (e) {
      throw readFailure("toArray", this, e);
    }
  }

  /** PyTorch-style text: `tensor([1.0000, 2.0000], requires_grad=True)`. */
  toString(): string {
    const suffixes: string[] = [];
    if (this.node) suffixes.push(`grad_fn=<${this.node.toString()}>`);
    else if (this.requiresGrad) suffixes.push("requires_grad=True");
    if (this.backend.asyncReads) {
      // Printing cannot wait for the GPU: say where the values are and how to read them.
      const where = [`device='${this.device}'`, `dtype=${this.dtype}`, ...suffixes].join(", ");
      return `tensor(<${fmtShape(this.shape)} on the GPU: read it with await t.toArrayAsync()>, ${where})`;
    }
    return formatTensor(this.toTypedArray(), this.shape, this.dtype, suffixes);
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  // ---------------------------------------------------------------- copies and conversion

  /** A tensor sharing this one's data but cut off from the graph (no grad). */
  detach(): Tensor {
    return new Tensor(this.backend, this.buffer, this.shape, this.strides, this.offset, this.dtype);
  }

  /** A copy with its own memory; gradients flow back to this tensor. */
  clone(): Tensor {
    return copy([this], undefined);
  }

  /** This tensor if it is contiguous, else a contiguous copy. */
  contiguous(): Tensor {
    return this.isContiguous() ? this : copy([this], undefined);
  }

  /**
   * Converted to a dtype (`to("float64")`) or copied to a device (`to("webgpu")`, `to("cpu")`):
   * this tensor itself when it already has it. Gradients flow back through either.
   */
  to(dtypeOrDevice: DType | string): Tensor {
    if (typeof dtypeOrDevice === "string" && !(DTYPES as readonly string[]).includes(dtypeOrDevice)) {
      if (dtypeOrDevice === "webgpu" || listBackends().includes(dtypeOrDevice)) return toDevice(this, dtypeOrDevice);
      throw new DTypeError(`to: unknown dtype ${dtypeOrDevice} (expected ${DTYPES.join(", ")}) or device (registered: ${listBackends().join(", ")})`);
    }
    return castTo(this, checkDType("to", dtypeOrDevice));
  }

  /** Copied to `device` (a GPU tensor read asynchronously first): `await x.toAsync("cpu")`. */
  toAsync(device: string): Promise<Tensor> {
    return toDeviceAsync(this, device);
  }

  /**
   * Gives this tensor's device memory back now (to the GPU pool; a no-op on host backends, whose
   * memory the garbage collector owns), rather than when the tensor is collected. The tensor and
   * every view of its memory must not be used afterwards.
   */
  dispose(): void {
    this.backend.dispose(this.buffer);
  }

  /**
   * @internal Moves this tensor's memory to `device` in place (Module.to): the same object then
   * holds a contiguous copy of its elements there, and its grad is moved too. `host` holds the
   * elements when they were read beforehand (asynchronously, from a GPU).
   */
  moveTo_(device: string, host: HostArray | null = null, gradHost: HostArray | null = null): this {
    const target = backendNamed("to", device);
    if (target === this.backend) return this;
    const values = host ?? hostValues("to", this, device);
    const grad = this.gradTensor;
    const self = this as unknown as { backend: Backend; buffer: BackendBuffer; strides: readonly number[]; offset: number };
    self.buffer = target.fromValues(this.dtype, values);
    self.backend = target;
    self.strides = contiguousStrides(this.shape);
    self.offset = 0;
    if (grad !== null && grad.backend !== target) {
      const moved = grad.detach().moveTo_(device, gradHost);
      swapGrad(grad, moved);
      this.gradTensor = moved;
    }
    return this;
  }

  /** Converted to float32. */
  float(): Tensor {
    return this.to("float32");
  }

  /** Converted to float64. */
  double(): Tensor {
    return this.to("float64");
  }

  /** Converted to int32 (truncating toward zero). */
  int(): Tensor {
    return this.to("int32");
  }

  /** Converted to bool (nonzero → true). */
  bool(): Tensor {
    return cast([this], "bool");
  }

  /** Zeros of this tensor's shape, dtype and backend. */
  zerosLike(): Tensor {
    return this.newZeros(this.shape);
  }

  /** Zeros of a size (`newZeros(2, 3)` or `newZeros([2, 3])`) with this tensor's dtype (unless given) and backend. */
  newZeros(...args: SizeArgs<TensorOptions>): Tensor {
    const { sizes, options } = sizeArgs("newZeros", args, true);
    return this.newFull(sizes, 0, options);
  }

  /** Ones of a size (`newOnes(2, 3)` or `newOnes([2, 3])`) with this tensor's dtype (unless given) and backend. */
  newOnes(...args: SizeArgs<TensorOptions>): Tensor {
    const { sizes, options } = sizeArgs("newOnes", args, true);
    return this.newFull(sizes, 1, options);
  }

  /** PyTorch's new_empty: here zero-filled (JS memory is always initialized). */
  newEmpty(...args: SizeArgs<TensorOptions>): Tensor {
    const { sizes, options } = sizeArgs("newEmpty", args, true);
    return this.newFull(sizes, 0, options);
  }

  /** `value` in `shape` (an array, or a number for 1-d), with this tensor's dtype (unless given) and backend. */
  newFull(shape: number | readonly number[], value: number, options: TensorOptions = {}): Tensor {
    // A valid shape is used without a copy (vjps call this with the engine's own shapes).
    const s = typeof shape === "number" ? checkShape("newFull", [shape]) : isShape(shape) ? shape : checkShape("newFull", sizeArgs("newFull", [shape], false).sizes);
    if (typeof value !== "number") throw new ValueError(`newFull: fill value must be a number, got ${fmtValue(value)}`);
    if (options === null || typeof options !== "object") throw new ValueError(`newFull: options must be an object, got ${fmtValue(options)}`);
    const dtype = options.dtype === undefined ? this.dtype : checkDType("newFull", options.dtype);
    checkStorable("newFull", value, dtype);
    const backend = options.device === undefined ? this.backend : backendNamed("newFull", options.device);
    const out = new Tensor(backend, allocBuffer(backend, dtype, s, "newFull"), s, contiguousStrides(s), 0, dtype);
    if (value !== 0) backend.fill(out, value);
    if (options.requiresGrad) out.requiresGrad = true;
    return out;
  }

  // ---------------------------------------------------------------- elementwise arithmetic

  /** this + other, broadcasting. */
  add(other: Operand): Tensor {
    return binary("add", this, other);
  }

  /** this − other. */
  sub(other: Operand): Tensor {
    return binary("sub", this, other);
  }

  /** other − this (for `1 - x` style expressions). */
  rsub(other: Operand): Tensor {
    return binary("sub", other, this);
  }

  /** this · other, elementwise. */
  mul(other: Operand): Tensor {
    return binary("mul", this, other);
  }

  /** this / other (true division: ints give floats). */
  div(other: Operand): Tensor {
    return binary("div", this, other);
  }

  /** this ^ exponent. */
  pow(exponent: Operand): Tensor {
    return binary("pow", this, exponent);
  }

  /** Elementwise maximum (NaN propagates; ties share the gradient). */
  maximum(other: Operand): Tensor {
    return binary("maximum", this, other);
  }

  /** Elementwise minimum. */
  minimum(other: Operand): Tensor {
    return binary("minimum", this, other);
  }

  /** −x */
  neg(): Tensor {
    return unary("neg", this);
  }

  /** eˣ */
  exp(): Tensor {
    return unary("exp", this);
  }

  /** Natural logarithm. */
  log(): Tensor {
    return unary("log", this);
  }

  /** ln(1 + x), accurate near 0. */
  log1p(): Tensor {
    return unary("log1p", this);
  }

  /** eˣ − 1, accurate near 0. */
  expm1(): Tensor {
    return unary("expm1", this);
  }

  /** √x */
  sqrt(): Tensor {
    return unary("sqrt", this);
  }

  /** 1/√x */
  rsqrt(): Tensor {
    return act.rsqrt(this);
  }

  /** |x| */
  abs(): Tensor {
    return unary("abs", this);
  }

  /** −1, 0 or 1 by the sign of x. */
  sign(): Tensor {
    return unary("sign", this);
  }

  /** x² */
  square(): Tensor {
    return act.square(this);
  }

  /** 1/x */
  reciprocal(): Tensor {
    return act.reciprocal(this);
  }

  /** Hyperbolic tangent. */
  tanh(): Tensor {
    return unary("tanh", this);
  }

  /** Logistic sigmoid 1/(1 + e⁻ˣ). */
  sigmoid(): Tensor {
    return unary("sigmoid", this);
  }

  /** max(x, 0) */
  relu(): Tensor {
    return unary("relu", this);
  }

  /** x for x > 0, negativeSlope·x otherwise. */
  leakyRelu(negativeSlope = 0.01): Tensor {
    return act.leakyRelu(this, negativeSlope);
  }

  /** Gaussian error linear unit (exact, or the tanh approximation). */
  gelu(options: { approximate?: "none" | "tanh" } = {}): Tensor {
    checkOptionKeys("gelu", options, GELU_OPTIONS);
    return act.gelu(this, options.approximate);
  }

  /** (1/β)·log(1 + e^{βx}), linear above the threshold. */
  softplus(beta = 1, threshold = 20): Tensor {
    return act.softplus(this, beta, threshold);
  }

  /** x·σ(x) */
  silu(): Tensor {
    return act.silu(this);
  }

  /** x for x > 0, α(eˣ − 1) otherwise. */
  elu(alpha = 1): Tensor {
    return act.elu(this, alpha);
  }

  /** The error function. */
  erf(): Tensor {
    return unary("erf", this);
  }

  /** Sine. */
  sin(): Tensor {
    return unary("sin", this);
  }

  /** Cosine. */
  cos(): Tensor {
    return unary("cos", this);
  }

  /** Rounds down. */
  floor(): Tensor {
    return unary("floor", this);
  }

  /** Rounds up. */
  ceil(): Tensor {
    return unary("ceil", this);
  }

  /** Rounds to nearest, ties to even. */
  round(): Tensor {
    return unary("round", this);
  }

  /** Limits values to [min, max] (either bound may be omitted). */
  clamp(min?: number, max?: number): Tensor {
    return act.clamp(this, min, max);
  }

  // ---------------------------------------------------------------- comparisons and selection

  /** this == other (bool). */
  eq(other: Operand): Tensor {
    return compare("eq", this, other);
  }

  /** this != other (bool). */
  ne(other: Operand): Tensor {
    return compare("ne", this, other);
  }

  /** this < other (bool). */
  lt(other: Operand): Tensor {
    return compare("lt", this, other);
  }

  /** this <= other (bool). */
  le(other: Operand): Tensor {
    return compare("le", this, other);
  }

  /** this > other (bool). */
  gt(other: Operand): Tensor {
    return compare("gt", this, other);
  }

  /** this >= other (bool). */
  ge(other: Operand): Tensor {
    return compare("ge", this, other);
  }

  /** Elementwise and of truth values (bool). */
  logicalAnd(other: Operand): Tensor {
    return compare("logicalAnd", this, other);
  }

  /** Elementwise or of truth values (bool). */
  logicalOr(other: Operand): Tensor {
    return compare("logicalOr", this, other);
  }

  /** Elementwise not (bool). */
  logicalNot(): Tensor {
    return logicalNot(this);
  }

  /** True where the element is finite (bool). */
  isfinite(): Tensor {
    return isfinite(this);
  }

  /** True where the element is NaN (bool). */
  isnan(): Tensor {
    return this.ne(this);
  }

  /** This tensor where `condition` holds, else `other` (PyTorch's x.where(cond, y)). */
  where(condition: Tensor, other: Operand): Tensor {
    return where(condition, this, other);
  }

  // ---------------------------------------------------------------- reductions

  /** Σ over `dim` (all dims when omitted). */
  sum(dim?: number | readonly number[], keepdim = false): Tensor {
    return sum(this, dim, keepdim);
  }

  /** Mean over `dim` (all dims when omitted). */
  mean(dim?: number | readonly number[], keepdim = false): Tensor {
    return red.mean(this, dim, keepdim);
  }

  /** Variance over `dim`, with Bessel's correction unless `correction: 0`. */
  var(dim?: number | readonly number[], options?: red.VarOptions): Tensor {
    return red.variance(this, dim, options);
  }

  /** Standard deviation over `dim`. */
  std(dim?: number | readonly number[], options?: red.VarOptions): Tensor {
    return red.std(this, dim, options);
  }

  /** log Σ eˣ over `dim`, computed stably. */
  logsumexp(dim?: number | readonly number[], keepdim = false): Tensor {
    return red.logsumexp(this, dim, keepdim);
  }

  /** The largest element; with `dim`, the values and indices of the max along it. */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): red.ValuesIndices;
  max(dim?: number, keepdim = false): Tensor | red.ValuesIndices {
    return dim === undefined ? extremumOfAll("max", this) : red.extremumAlong("max", this, dim, keepdim);
  }

  /** The smallest element; with `dim`, the values and indices of the min along it. */
  min(): Tensor;
  min(dim: number, keepdim?: boolean): red.ValuesIndices;
  min(dim?: number, keepdim = false): Tensor | red.ValuesIndices {
    return dim === undefined ? extremumOfAll("min", this) : red.extremumAlong("min", this, dim, keepdim);
  }

  /** The max over `dim` (all when omitted); ties share the gradient. */
  amax(dim?: number | readonly number[], keepdim = false): Tensor {
    return amax(this, dim, keepdim);
  }

  /** The min over `dim` (all when omitted); ties share the gradient. */
  amin(dim?: number | readonly number[], keepdim = false): Tensor {
    return amin(this, dim, keepdim);
  }

  /** Index (int32) of the max along `dim`, or in the flattened tensor. */
  argmax(dim?: number, keepdim = false): Tensor {
    return argExtremum("argmax", this, dim, keepdim);
  }

  /** Index (int32) of the min along `dim`, or in the flattened tensor. */
  argmin(dim?: number, keepdim = false): Tensor {
    return argExtremum("argmin", this, dim, keepdim);
  }

  /** True if every element is nonzero (a bool scalar; true for an empty tensor, as in PyTorch). */
  all(): Tensor {
    return this.eq(0).sum().eq(0);
  }

  /** True if some element is nonzero (a bool scalar; false for an empty tensor). */
  any(): Tensor {
    return this.ne(0).sum().gt(0);
  }

  // ---------------------------------------------------------------- linear algebra

  /** Matrix product with PyTorch's matmul rules (dot, matrix-vector, batched). */
  matmul(other: Tensor): Tensor {
    return matmul(this, other);
  }

  /** The last two dims swapped (a view). */
  get mT(): Tensor {
    if (this.ndim < 2) throw new ShapeError(`mT: needs at least 2 dims, got ${fmtShape(this.shape)}`);
    return shp.transpose(this, -2, -1);
  }

  /** The transpose of a ≤2-d tensor (a view). */
  t(): Tensor {
    if (this.ndim > 2) throw new ShapeError(`t: expects a tensor with at most 2 dims, got ${fmtShape(this.shape)}; use transpose or mT`);
    return shp.transpose(this, 0, this.ndim < 2 ? 0 : 1); // a new view even for ≤1 dims, as in PyTorch
  }

  // ---------------------------------------------------------------- shape and movement

  /** The same elements in a new shape (one dim may be -1); copies only when a view is impossible. */
  reshape(...shape: ShapeArgs): Tensor {
    return reshape(this, shapeArgs(shape));
  }

  /** A view with a new shape; throws when the memory layout doesn't allow one (use reshape). */
  view(...shape: ShapeArgs): Tensor {
    return view(this, shapeArgs(shape, "view"));
  }

  /** Merges dims startDim..endDim. */
  flatten(startDim = 0, endDim = -1): Tensor {
    return shp.flatten(this, startDim, endDim);
  }

  /** Removes size-1 dims (all, or the given ones). */
  squeeze(dim?: number | readonly number[]): Tensor {
    return shp.squeeze(this, dim);
  }

  /** Inserts a size-1 dim. */
  unsqueeze(dim: number): Tensor {
    return shp.unsqueeze(this, dim);
  }

  /** Swaps two dims (a view). */
  transpose(dim0: number, dim1: number): Tensor {
    return shp.transpose(this, dim0, dim1);
  }

  /** Reorders dims (a view). */
  permute(...dims: ShapeArgs): Tensor {
    return permute(this, shapeArgs(dims, "permute"));
  }

  /** Repeats size-1 dims to a larger shape without copying. */
  expand(...shape: ShapeArgs): Tensor {
    return expand(this, shapeArgs(shape, "expand"));
  }

  /** Expanded to other's shape. */
  expandAs(other: Tensor): Tensor {
    return expand(this, checkTensor("expandAs", "other", other).shape);
  }

  /** x[start:end:step] along `dim`, as a view. */
  slice(dim: number, start?: number, end?: number, step?: number): Tensor {
    return slice(this, dim, start, end, step);
  }

  /** `length` elements from `start` along `dim`, as a view. */
  narrow(dim: number, start: number, length: number): Tensor {
    return narrow(this, dim, start, length);
  }

  /** The slice at `index` along `dim`, with that dim removed. */
  select(dim: number, index: number): Tensor {
    return shp.select(this, dim, index);
  }

  /** Pieces of `splitSize` (or the listed sizes) along `dim`, as views. */
  split(splitSize: number | readonly number[], dim = 0): Tensor[] {
    return shp.split(this, splitSize, dim);
  }

  /** `chunks` nearly equal pieces along `dim`, as views. */
  chunk(chunks: number, dim = 0): Tensor[] {
    return shp.chunk(this, chunks, dim);
  }

  /** Rows (or other slices along `dim`) picked by a 1-d int32 index. */
  indexSelect(dim: number, index: Tensor): Tensor {
    return indexSelect(this, dim, index);
  }

  /** A copy with alpha·src[…, i, …] added at […, index[i], …] along `dim` (PyTorch's index_add). */
  indexAdd(dim: number, index: Tensor, src: Tensor, options?: IndexAddOptions): Tensor {
    return indexAdd(this, dim, index, src, options);
  }

  /** out[i][j] = this[i][index[i][j]] for dim 1. */
  gather(dim: number, index: Tensor): Tensor {
    return gather(this, dim, index);
  }

  /** A copy with src added at the positions `index` names along `dim`. */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return scatterAdd(this, dim, index, src);
  }

  /** Softmax along `dim`. */
  softmax(dim: number): Tensor {
    return softmax(this, dim);
  }

  /** Log-softmax along `dim`. */
  logSoftmax(dim: number): Tensor {
    return logSoftmax(this, dim);
  }

  // ---------------------------------------------------------------- models: masks, scans, sorting, rearranging

  /** A view with other's shape. */
  viewAs(other: Tensor): Tensor {
    return view(this, other.shape);
  }

  /** The lower triangle of the last two dims (column − row ≤ diagonal), the rest 0. */
  tril(diagonal = 0): Tensor {
    return tril(this, diagonal);
  }

  /** The upper triangle of the last two dims (column − row ≥ diagonal), the rest 0. */
  triu(diagonal = 0): Tensor {
    return triu(this, diagonal);
  }

  /** `value` where the bool mask is true, this tensor elsewhere. */
  maskedFill(mask: Tensor, value: number | Tensor): Tensor {
    return maskedFill(this, mask, value);
  }

  /** maskedFill in place (mask broadcast to this shape). */
  maskedFill_(mask: Tensor, value: number | Tensor): this {
    return this.inPlace("maskedFill_", () => maskedFill(this, mask, typeof value === "number" ? value : value.detach()));
  }

  /** Running sums along `dim`. */
  cumsum(dim: number, options: ScanOptions = {}): Tensor {
    return cumsum(this, dim, options);
  }

  /** Running products along `dim`. */
  cumprod(dim: number, options: ScanOptions = {}): Tensor {
    return cumprod(this, dim, options);
  }

  /** Values sorted along `dim` (stable) and the int32 indices they came from. */
  sort(dim = -1, descending = false): red.ValuesIndices {
    return sort(this, dim, descending);
  }

  /** The int32 indices that sort this tensor along `dim` (stable). */
  argsort(dim = -1, descending = false): Tensor {
    return argsort(this, dim, descending);
  }

  /** The k largest (or smallest) values along `dim` and their int32 indices. */
  topk(k: number, dim = -1, largest = true, sorted = true): red.ValuesIndices {
    return topk(this, k, dim, largest, sorted);
  }

  /** The elements reversed along `dims` (`flip(0, 1)` or `flip([0, 1])`), as a copy. */
  flip(...dims: ShapeArgs): Tensor {
    return flip(this, shapeArgs(dims, "flip"));
  }

  /** The elements shifted along `dims` with wrap-around (the flattened tensor when dims are omitted). */
  roll(shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
    return roll(this, shifts, dims);
  }

  /** Tiled sizes[i] times along dim i (`repeat(2, 3)` or `repeat([2, 3])`; extra sizes add leading dims). */
  repeat(...sizes: ShapeArgs): Tensor {
    return repeat(this, shapeArgs(sizes, "repeat"));
  }

  /** Like repeat, with fewer sizes than dims padded by leading 1s. */
  tile(...dims: ShapeArgs): Tensor {
    return tile(this, shapeArgs(dims, "tile"));
  }

  /** Category indices (int32) drawn from this tensor's rows of weights. */
  multinomial(numSamples: number, replacement = false, options: SampleOptions = {}): Tensor {
    return multinomial(this, numSamples, replacement, options);
  }

  /** this + value·t1·t2. */
  addcmul(t1: Tensor, t2: Tensor, options: AddcOptions = {}): Tensor {
    return addcmul(this, t1, t2, options);
  }

  /** this + value·t1/t2. */
  addcdiv(t1: Tensor, t2: Tensor, options: AddcOptions = {}): Tensor {
    return addcdiv(this, t1, t2, options);
  }

  /** this += value·t1·t2, in place (as optimizers use it). */
  addcmul_(t1: Tensor, t2: Tensor, options: AddcOptions = {}): this {
    return this.inPlace("addcmul_", () => addcmul(this, t1, t2, options));
  }

  /** this += value·t1/t2, in place. */
  addcdiv_(t1: Tensor, t2: Tensor, options: AddcOptions = {}): this {
    return this.inPlace("addcdiv_", () => addcdiv(this, t1, t2, options));
  }

  // ---------------------------------------------------------------- in-place (for optimizers)

  /**
   * Writes `compute()` into this tensor's memory and bumps its version. Not recorded by autograd,
   * so it refuses tensors that require grad while grad mode is on.
   */
  private inPlace(op: string, compute: () => Tensor): this {
    this.checkInPlaceAllowed(op);
    const result = noGrad(compute);
    if (!shapesEqual(broadcastShapes(op, this.shape, result.shape), this.shape)) {
      throw new ShapeError(`${op}: result of shape ${fmtShape(result.shape)} cannot be written into a tensor of shape ${fmtShape(this.shape)}`);
    }
    if (!canCast(result.dtype, this.dtype)) {
      throw new DTypeError(`${op}: result type ${result.dtype} can't be cast to the in-place target's type ${this.dtype}`);
    }
    this.backend.copy(broadcastView(result, this.shape), this);
    this.buffer.version++;
    return this;
  }

  private checkInPlaceAllowed(op: string): void {
    if (this.requiresGrad && isGradEnabled()) {
      throw new GradError(
        `${op}: in-place operation on a tensor that requires grad while grad mode is on; ` +
          `wrap the update in noGrad(() => ...) or use the out-of-place form`,
      );
    }
  }

  /**
   * this = this op other. When this tensor owns its whole buffer contiguously (parameters,
   * optimizer state) the kernel writes straight into it; otherwise via a temporary.
   */
  private inPlaceBinary(op: string, kernel: "add" | "sub" | "mul" | "div", other: Operand): this {
    if (typeof other !== "number" && !(other instanceof Tensor)) throw operandError(op, other);
    const o = typeof other === "number" ? other : other.detach();
    // Anything unusual (views, mixed or int/bool dtypes, aliasing) takes the checked path with a temporary.
    if (!this.canWriteDirectly(o)) return this.inPlace(op, () => binary(kernel, this, o));
    const operand = typeof o === "number" ? scalarTensor(o, this.dtype, this) : o;
    this.backend.binary(kernel, this, this.directOperand(op, operand), this.buffer);
    this.buffer.version++;
    return this;
  }

  /**
   * `operand` broadcast to this shape for a kernel writing straight into this tensor (see
   * canWriteDirectly), once the write is allowed and the result fits this shape.
   */
  private directOperand(op: string, operand: Tensor): StridedView {
    this.checkInPlaceAllowed(op);
    const shape = broadcastShapes(op, this.shape, operand.shape);
    if (!shapesEqual(shape, this.shape)) {
      throw new ShapeError(`${op}: result of shape ${fmtShape(shape)} cannot be written into a tensor of shape ${fmtShape(this.shape)}`);
    }
    return broadcastView(operand, this.shape);
  }

  /**
   * Whether `this op= other` may run its kernel straight into this tensor's memory: this owns its
   * whole buffer contiguously (parameters, optimizer state), is floating point, other has the
   * same dtype (or is a scalar that keeps it) and does not share this memory.
   */
  private canWriteDirectly(other: Operand): boolean {
    const owner = ownsWholeBuffer(this);
    const sameType = typeof other === "number" ? promoteWithScalar(this.dtype, other) === this.dtype : other.dtype === this.dtype;
    const aliased = typeof other !== "number" && other.buffer === this.buffer;
    return owner && sameType && this.isFloatingPoint() && !aliased;
  }

  /** this += other (alpha·other when alpha is given: one pass, no temporary, for float tensors). */
  add_(other: Operand, alpha = 1): this {
    if (typeof alpha !== "number") throw new ValueError(`add_: alpha must be a number, got ${fmtValue(alpha)}`);
    if (alpha === 1) return this.inPlaceBinary("add_", "add", other);
    if (typeof other === "number") return this.inPlaceBinary("add_", "add", other * alpha);
    const addScaled = this.backend.addScaled;
    if (addScaled !== undefined && this.canWriteDirectly(other)) {
      addScaled.call(this.backend, this.directOperand("add_", other), alpha, this.buffer);
      this.buffer.version++;
      return this;
    }
    return this.inPlaceBinary("add_", "add", noGrad(() => other.mul(alpha)));
  }

  /** this −= other. */
  sub_(other: Operand): this {
    return this.inPlaceBinary("sub_", "sub", other);
  }

  /** this *= other. */
  mul_(other: Operand): this {
    return this.inPlaceBinary("mul_", "mul", other);
  }

  /** this /= other. */
  div_(other: Operand): this {
    return this.inPlaceBinary("div_", "div", other);
  }

  /** this = √this, in place (one pass in this memory where it owns it, as optimizers use it). */
  sqrt_(): this {
    if (!this.canWriteDirectly(0)) return this.inPlace("sqrt_", () => this.sqrt());
    this.checkInPlaceAllowed("sqrt_");
    this.backend.unary("sqrt", this, this.buffer); // elementwise: reading and writing one place is safe
    this.buffer.version++;
    return this;
  }

  /** Limits this tensor's values to [min, max] in place. */
  clamp_(min?: number, max?: number): this {
    return this.inPlace("clamp_", () => this.clamp(min, max));
  }

  /** Copies src's values (broadcast to this shape, converted to this dtype and device, as PyTorch) into this tensor. */
  copy_(src: Tensor): this {
    // A source sharing our memory (x.copy_(x.t())) is copied first so reads don't see writes.
    checkTensor("copy_", "src", src);
    return this.inPlace("copy_", () => (src.buffer === this.buffer ? src.clone() : src).to(this.dtype).to(this.device));
  }

  /** Sets every element to `value`. */
  fill_(value: number): this {
    if (typeof value !== "number") throw new ValueError(`fill_: fill value must be a number, got ${fmtValue(value)}`);
    checkStorable("fill_", value, this.dtype);
    return this.inPlace("fill_", () => this.newFull([], value));
  }

  /** Sets every element to 0. */
  zero_(): this {
    return this.fill_(0);
  }

  /** Fills with uniform samples from [low, high). */
  uniform_(low = 0, high = 1, generator: Generator = defaultGenerator): this {
    const g = generatorOf("uniform_", generator);
    return this.fillRandom("uniform_", () => uniformValues(g, this.numel(), low, high));
  }

  /** Fills with normal samples of the given mean and std. */
  normal_(mean = 0, std = 1, generator: Generator = defaultGenerator): this {
    const g = generatorOf("normal_", generator);
    return this.fillRandom("normal_", () => normalValues(g, this.numel(), mean, std));
  }

  private fillRandom(op: string, sample: () => Float64Array): this {
    if (!this.isFloatingPoint()) throw new DTypeError(`${op}: expected a floating point tensor, got ${this.dtype}`);
    const values = sample();
    const backend = this.backend;
    const samples = new Tensor(backend, backend.fromValues(this.dtype, values), this.shape, contiguousStrides(this.shape), 0, this.dtype);
    return this.inPlace(op, () => samples);
  }
}

const GELU_OPTIONS: readonly string[] = ["approximate"];

/** The longest JavaScript array (2^32 − 1 elements): toArray/toFlatArray of more cannot be built. */
const MAX_JS_ARRAY = 2 ** 32 - 1;

/** Throws, naming the async form, when `t` lives where memory is read asynchronously (a GPU). */
function checkSyncRead(op: string, t: Tensor, asyncForm: string): void {
  if (t.backend.asyncReads) {
    throw new ValueError(`${op}: this tensor lives on the GPU (device ${t.device}), whose memory is read asynchronously; use await t.${asyncForm}()`);
  }
}

/** Throws up front unless `t`'s elements fit in one JavaScript array (`op`: toArray, toFlatArray). */
function checkJsArrayLength(op: string, t: Tensor): void {
  const n = t.numel();
  if (n > MAX_JS_ARRAY) {
    throw new ValueError(`${op}: a tensor of shape ${fmtShape(t.shape)} has ${n} elements, more than a JavaScript array holds (${MAX_JS_ARRAY}); read it with toTypedArray() or in slices`);
  }
}

/**
 * The engine's RangeError for host memory it cannot get (a typed array that cannot be allocated,
 * an array past what V8 builds, ~2^27 elements) as a ValueError naming the op and the size; other
 * errors pass unchanged.
 */
function readFailure(op: string, t: Tensor, e: unknown): unknown {
  if (!(e instanceof RangeError)) return e;
  return new ValueError(`${op}: cannot read the ${t.numel()} elements of a ${t.dtype} tensor of shape ${fmtShape(t.shape)} into host memory (${e.message}); read it in slices`);
}
