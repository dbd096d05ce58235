/**
 * Replays the PyTorch goldens written by generate.py: an interpreter for its op programs over
 * tensorgrad's API (mirroring the OPS table there, under tensorgrad's names), and a comparison
 * that names the program and the first differing element.
 */

import { readFileSync } from "node:fs";
import {
  Tensor, arange, cat, defineFunction, enableGrad, eye, full, fullLike, grad, hessian, jacobian, jvp, linspace, noGrad, ones,
  onesLike, reluBackward, sigmoidBackward, sliceScatter, stack, tanhBackward, tensor, vjp, where, zeros, zerosLike,
  type DType, type Operand,
} from "@tensorgrad/autograd";

// ------------------------------------------------------------------------------------ the file

/** A value as JSON holds it: NaN and ±Infinity are strings. */
export type Encoded = number | "NaN" | "Infinity" | "-Infinity";

/** An expected tensor. */
export interface Golden {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly values: readonly Encoded[];
  /**
   * float32 only, where large: PyTorch's own float32 error, measured against a float64 run of the
   * program (beyond what rtol covers). An ill-conditioned result gets 3·err of absolute tolerance.
   */
  readonly err?: number;
}

type ViewStep = readonly ["permute", readonly number[]] | readonly ["slice", number, number, number] | readonly ["expand", readonly number[]];

export interface InputSpec {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly base: readonly number[];
  readonly view: readonly ViewStep[];
  readonly values: readonly Encoded[];
  readonly grad: boolean;
  readonly hook?: number;
}

type Kw = Readonly<Record<string, unknown>>;
interface Flags {
  readonly retain?: boolean;
  readonly hook?: number;
  readonly nograd?: boolean;
  readonly enablegrad?: boolean;
}
/** [name, refs, kw, out, flags?] */
export type OpEntry = readonly [string, readonly string[], Kw, string | readonly string[], Flags?];

interface ProgramBase {
  readonly id: string;
  readonly note: string;
  readonly inputs: readonly InputSpec[];
  readonly ops: readonly OpEntry[];
  readonly outputs: readonly string[];
}

/** An op program checked through outputs, backward() gradients and Hessian-vector products. */
export interface GradProgram extends ProgramBase {
  readonly fn?: undefined;
  readonly weights?: readonly (readonly Encoded[] | null)[];
  readonly v?: readonly (readonly Encoded[] | null)[];
  readonly expect: {
    readonly outputs: readonly Golden[];
    readonly grads?: readonly (Golden | null)[];
    readonly retained?: Readonly<Record<string, Golden | null>>;
    readonly hvp?: readonly (Golden | null)[];
  };
}

/** A program checked through the functional API (vjp, jvp, jacobian, hessian, grad). */
export interface FunctionalProgram extends ProgramBase {
  readonly fn: "vjp" | "jvp" | "jacobian" | "hessian" | "grad";
  readonly args: readonly number[];
  readonly v?: readonly Encoded[];
  readonly tangents?: readonly (readonly Encoded[])[];
  readonly expect: {
    readonly output?: Golden;
    readonly grads?: readonly Golden[];
    readonly jvp?: Golden;
    readonly jacobians?: readonly Golden[];
    readonly hessian?: Golden;
  };
}

export type Program = GradProgram | FunctionalProgram;

/** A random-sampling call: only its shape, dtype and range are compared (see generate.py). */
export interface RandomCase {
  readonly id: string;
  readonly op: "rand" | "randn" | "randint" | "randperm" | "uniform_" | "normal_";
  readonly kw: Kw;
  readonly expect: { readonly dtype: DType; readonly shape: readonly number[] };
}

/** A tensor and PyTorch's repr of it (for toString). */
export interface ReprCase {
  readonly id: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly values: readonly Encoded[];
  readonly grad: boolean;
  readonly repr: string;
}

export interface Goldens {
  readonly torch: string;
  readonly seed: number;
  readonly programs: readonly Program[];
  readonly random: readonly RandomCase[];
  readonly repr: readonly ReprCase[];
}

/** The tensor a repr case describes. */
export function buildReprTensor(c: ReprCase): Tensor {
  const t = fromGolden(c.values, c.dtype, c.shape);
  return c.grad ? t.requiresGrad_(true) : t;
}

/** The goldens file, parsed. */
export function loadGoldens(): Goldens {
  return JSON.parse(readFileSync(new URL("./goldens.json", import.meta.url), "utf8")) as Goldens;
}

/** A JSON value back to a number. */
export function decode(v: Encoded): number {
  return typeof v === "number" ? v : v === "NaN" ? NaN : v === "Infinity" ? Infinity : -Infinity;
}

function fromGolden(values: readonly Encoded[], dtype: DType, shape: readonly number[]): Tensor {
  return tensor(values.map(decode), { dtype, shape });
}

// ------------------------------------------------------------------------------------ inputs

/** An input as the program describes it: base values, view steps, then a detached leaf. */
export function buildInput(spec: InputSpec): Tensor {
  let t = fromGolden(spec.values, spec.dtype, spec.base);
  for (const step of spec.view) {
    if (step[0] === "permute") t = t.permute(step[1]);
    else if (step[0] === "slice") t = t.slice(step[1], step[2], undefined, step[3]);
    else t = t.expand(step[1]);
  }
  t = t.detach();
  if (spec.grad) t.requiresGrad_(true);
  if (spec.hook !== undefined) {
    const s = spec.hook;
    t.registerHook((g) => g.mul(s));
  }
  return t;
}

// ------------------------------------------------------------------------------------ ops

type OpFn = (r: readonly Tensor[], kw: Kw) => Tensor | Tensor[];

const n = (kw: Kw, k: string): number => kw[k] as number;
const opt = (kw: Kw, k: string): number | undefined => kw[k] as number | undefined;
const dims = (kw: Kw): number | number[] | undefined => kw.dim as number | number[] | undefined;
const keep = (kw: Kw): boolean => (kw.keepdim as boolean | undefined) ?? false;
const shapeOf = (kw: Kw, k = "shape"): number[] => kw[k] as number[];
const dtypeOf = (kw: Kw): { dtype?: DType } => (kw.dtype === undefined ? {} : { dtype: kw.dtype as DType });
/** The second operand: a tensor ref, or the number in kw.other. */
const other = (r: readonly Tensor[], kw: Kw): Operand => (r.length > 1 ? r[1] : (kw.other as number));

const unary = (f: (x: Tensor) => Tensor): OpFn => (r) => f(r[0]);
const binary = (f: (x: Tensor, o: Operand) => Tensor): OpFn => (r, kw) => f(r[0], other(r, kw));

// The custom functions of generate.py (SteRound, MulAdd, TwiceAndExp), defined the same way.
const steRound = defineFunction({
  name: "steRound",
  forward: (_ctx, x: Tensor) => x.round(),
  backward: (_ctx, g) => g, // straight through
});
const mulAdd = defineFunction({
  name: "mulAdd",
  forward: (ctx, a: Tensor, b: Tensor) => {
    ctx.saveForBackward(a, b);
    return a.mul(b).add(a);
  },
  backward: (ctx, g) => {
    const [a, b] = ctx.savedTensors; // d(ab + a) = (b + 1)·da + a·db
    return [g.mul(b.add(1)), g.mul(a)];
  },
});
const twiceAndExp = defineFunction({
  name: "twiceAndExp",
  forward: (ctx, x: Tensor) => {
    const e = x.exp();
    ctx.saveForBackward(e);
    return [x.mul(2), e];
  },
  backward: (ctx, g1, g2) => g1.mul(2).add(g2.mul(ctx.savedTensors[0])),
});

/** Every op the generator emits, under its tensorgrad name (the same table as OPS in generate.py). */
export const OPS: Readonly<Record<string, OpFn>> = {
  neg: unary((x) => x.neg()), exp: unary((x) => x.exp()), log: unary((x) => x.log()), log1p: unary((x) => x.log1p()),
  expm1: unary((x) => x.expm1()), sqrt: unary((x) => x.sqrt()), rsqrt: unary((x) => x.rsqrt()), abs: unary((x) => x.abs()),
  sign: unary((x) => x.sign()), square: unary((x) => x.square()), reciprocal: unary((x) => x.reciprocal()),
  sin: unary((x) => x.sin()), cos: unary((x) => x.cos()), erf: unary((x) => x.erf()), floor: unary((x) => x.floor()),
  ceil: unary((x) => x.ceil()), round: unary((x) => x.round()), tanh: unary((x) => x.tanh()),
  sigmoid: unary((x) => x.sigmoid()), relu: unary((x) => x.relu()), silu: unary((x) => x.silu()),
  logicalNot: unary((x) => x.logicalNot()), isfinite: unary((x) => x.isfinite()), isnan: unary((x) => x.isnan()),
  contiguous: unary((x) => x.contiguous()), clone: unary((x) => x.clone()), detach: unary((x) => x.detach()),
  float: unary((x) => x.float()), double: unary((x) => x.double()), int: unary((x) => x.int()), bool: unary((x) => x.bool()),
  mT: unary((x) => x.mT), t: unary((x) => x.t()), all: unary((x) => x.all()), any: unary((x) => x.any()),
  max: unary((x) => x.max()), min: unary((x) => x.min()), zerosLike: unary((x) => zerosLike(x)), onesLike: unary((x) => onesLike(x)),

  add: binary((x, o) => x.add(o)), sub: binary((x, o) => x.sub(o)), rsub: binary((x, o) => x.rsub(o)),
  mul: binary((x, o) => x.mul(o)), div: binary((x, o) => x.div(o)), pow: binary((x, o) => x.pow(o)),
  maximum: binary((x, o) => x.maximum(o)), minimum: binary((x, o) => x.minimum(o)),
  eq: binary((x, o) => x.eq(o)), ne: binary((x, o) => x.ne(o)), lt: binary((x, o) => x.lt(o)), le: binary((x, o) => x.le(o)),
  gt: binary((x, o) => x.gt(o)), ge: binary((x, o) => x.ge(o)),
  logicalAnd: binary((x, o) => x.logicalAnd(o)), logicalOr: binary((x, o) => x.logicalOr(o)),
  where: (r, kw) => {
    const rest = r.slice(1);
    const a: Operand = "a" in kw ? n(kw, "a") : rest.shift()!;
    const b: Operand = "b" in kw ? n(kw, "b") : rest.shift()!;
    return where(r[0], a, b);
  },

  leakyRelu: (r, kw) => r[0].leakyRelu(n(kw, "negativeSlope")),
  gelu: (r, kw) => r[0].gelu({ approximate: kw.approximate as "none" | "tanh" }),
  softplus: (r, kw) => r[0].softplus(n(kw, "beta"), n(kw, "threshold")),
  elu: (r, kw) => r[0].elu(n(kw, "alpha")),
  clamp: (r, kw) => r[0].clamp(opt(kw, "min"), opt(kw, "max")),
  to: (r, kw) => r[0].to(kw.dtype as DType),

  sum: (r, kw) => r[0].sum(dims(kw), keep(kw)),
  mean: (r, kw) => r[0].mean(dims(kw), keep(kw)),
  logsumexp: (r, kw) => r[0].logsumexp(dims(kw), keep(kw)),
  amax: (r, kw) => r[0].amax(dims(kw), keep(kw)),
  amin: (r, kw) => r[0].amin(dims(kw), keep(kw)),
  var: (r, kw) => r[0].var(dims(kw), { correction: opt(kw, "correction"), keepdim: keep(kw) }),
  std: (r, kw) => r[0].std(dims(kw), { correction: opt(kw, "correction"), keepdim: keep(kw) }),
  maxDim: (r, kw) => {
    const { values, indices } = r[0].max(n(kw, "dim"), keep(kw));
    return [values, indices];
  },
  minDim: (r, kw) => {
    const { values, indices } = r[0].min(n(kw, "dim"), keep(kw));
    return [values, indices];
  },
  argmax: (r, kw) => r[0].argmax(opt(kw, "dim"), keep(kw)),
  argmin: (r, kw) => r[0].argmin(opt(kw, "dim"), keep(kw)),

  matmul: (r) => r[0].matmul(r[1]),
  reshape: (r, kw) => r[0].reshape(shapeOf(kw)),
  view: (r, kw) => r[0].view(shapeOf(kw)),
  flatten: (r, kw) => r[0].flatten(opt(kw, "startDim"), opt(kw, "endDim")),
  squeeze: (r, kw) => r[0].squeeze(dims(kw)),
  unsqueeze: (r, kw) => r[0].unsqueeze(n(kw, "dim")),
  transpose: (r, kw) => r[0].transpose(n(kw, "dim0"), n(kw, "dim1")),
  permute: (r, kw) => r[0].permute(shapeOf(kw, "dims")),
  expand: (r, kw) => r[0].expand(shapeOf(kw)),
  expandAs: (r) => r[0].expandAs(r[1]),
  slice: (r, kw) => r[0].slice(n(kw, "dim"), opt(kw, "start"), opt(kw, "end"), opt(kw, "step")),
  narrow: (r, kw) => r[0].narrow(n(kw, "dim"), n(kw, "start"), n(kw, "length")),
  select: (r, kw) => r[0].select(n(kw, "dim"), n(kw, "index")),
  split: (r, kw) => r[0].split(kw.splitSize as number | number[], opt(kw, "dim")),
  chunk: (r, kw) => r[0].chunk(n(kw, "chunks"), opt(kw, "dim")),
  cat: (r, kw) => cat(r, opt(kw, "dim")),
  stack: (r, kw) => stack(r, opt(kw, "dim")),
  indexSelect: (r, kw) => r[0].indexSelect(n(kw, "dim"), r[1]),
  gather: (r, kw) => r[0].gather(n(kw, "dim"), r[1]),
  scatterAdd: (r, kw) => r[0].scatterAdd(n(kw, "dim"), r[1], r[2]),
  sliceScatter: (r, kw) => sliceScatter(r[0], r[1], n(kw, "dim"), opt(kw, "start"), opt(kw, "end"), opt(kw, "step")),
  softmax: (r, kw) => r[0].softmax(n(kw, "dim")),
  logSoftmax: (r, kw) => r[0].logSoftmax(n(kw, "dim")),
  sigmoidBackward: (r) => sigmoidBackward(r[0], r[1]),
  tanhBackward: (r) => tanhBackward(r[0], r[1]),
  reluBackward: (r) => reluBackward(r[0], r[1]),

  zeros: (_r, kw) => zeros(shapeOf(kw), dtypeOf(kw)),
  ones: (_r, kw) => ones(shapeOf(kw), dtypeOf(kw)),
  full: (_r, kw) => full(shapeOf(kw), n(kw, "value"), dtypeOf(kw)),
  fullLike: (r, kw) => fullLike(r[0], n(kw, "value")),
  arange: (_r, kw) => arange(n(kw, "start"), n(kw, "end"), n(kw, "step"), dtypeOf(kw)),
  linspace: (_r, kw) => linspace(n(kw, "start"), n(kw, "end"), n(kw, "steps"), dtypeOf(kw)),
  eye: (_r, kw) => eye(n(kw, "n"), n(kw, "m"), dtypeOf(kw)),

  add_: (r, kw) => r[0].add_(other(r, kw), opt(kw, "alpha")),
  sub_: (r, kw) => r[0].sub_(other(r, kw)),
  mul_: (r, kw) => r[0].mul_(other(r, kw)),
  div_: (r, kw) => r[0].div_(other(r, kw)),
  clamp_: (r, kw) => r[0].clamp_(opt(kw, "min"), opt(kw, "max")),
  copy_: (r) => r[0].copy_(r[1]),
  fill_: (r, kw) => r[0].fill_(n(kw, "value")),
  zero_: (r) => r[0].zero_(),

  customSteRound: (r) => steRound(r[0]),
  customMulAdd: (r) => mulAdd(r[0], r[1]),
  customTwiceAndExp: (r) => twiceAndExp(r[0]),
};

/** Runs the program's ops on `xs` (x0, x1, ...); returns every named tensor. */
export function interpret(program: ProgramBase, xs: readonly Tensor[]): Map<string, Tensor> {
  const env = new Map<string, Tensor>(xs.map((x, i) => [`x${i}`, x]));
  for (const [name, refs, kw, out, flags = {}] of program.ops) {
    const f = OPS[name];
    if (f === undefined) throw new Error(`no replay rule for op "${name}"`);
    const args = refs.map((r) => env.get(r)!);
    const res = flags.enablegrad ? noGrad(() => enableGrad(() => f(args, kw))) : flags.nograd ? noGrad(() => f(args, kw)) : f(args, kw);
    if (Array.isArray(res)) {
      const names = out as readonly string[];
      if (res.length !== names.length) throw new Error(`${name} returned ${res.length} tensors, PyTorch ${names.length}`);
      names.forEach((o, i) => env.set(o, res[i]));
      continue;
    }
    const t = res as Tensor;
    env.set(out as string, t);
    if (flags.retain) t.retainGrad();
    if (flags.hook !== undefined) {
      const s = flags.hook;
      t.registerHook((g) => g.mul(s));
    }
  }
  return env;
}

// ------------------------------------------------------------------------------------ comparison

/** Tolerances: |got − expected| ≤ atol + rtol·|expected|, elementwise. */
export interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(flat % shape[d]);
    flat = Math.floor(flat / shape[d]);
  }
  return idx;
}

/** Null when `got` matches `expected`, else a sentence naming the first differing element. */
export function compareTensor(label: string, got: Tensor | null, expected: Golden | null, tol: Tolerance): string | null {
  if (expected === null || got === null) {
    if (expected === got) return null;
    return `${label}: expected ${expected === null ? "null" : `a [${expected.shape}] tensor`}, got ${got === null ? "null" : `a [${got.shape}] tensor`}`;
  }
  if (got.dtype !== expected.dtype) return `${label}: dtype ${got.dtype}, PyTorch ${expected.dtype}`;
  if (got.shape.length !== expected.shape.length || got.shape.some((s, i) => s !== expected.shape[i])) {
    return `${label}: shape [${got.shape}], PyTorch [${expected.shape}]`;
  }
  const values = got.toTypedArray();
  if (expected.err !== undefined) tol = { rtol: tol.rtol, atol: Math.max(tol.atol, 3 * expected.err) };
  let first = -1;
  let bad = 0;
  const exact = expected.dtype === "int32" || expected.dtype === "bool";
  for (let i = 0; i < values.length; i++) {
    const a = values[i];
    const e = decode(expected.values[i]);
    let ok: boolean;
    if (Number.isNaN(e)) ok = Number.isNaN(a);
    else if (!Number.isFinite(e) || exact) ok = a === e;
    else ok = Number.isFinite(a) && Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e);
    if (!ok) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (first < 0) return null;
  const e = decode(expected.values[first]);
  const a = values[first];
  const rel = Number.isFinite(a - e) ? ` (|diff| ${Math.abs(a - e).toExponential(2)}, rtol ${tol.rtol}, atol ${tol.atol})` : "";
  return `${label}: ${bad} of ${values.length} elements differ; first at [${unravel(first, expected.shape)}]: got ${a}, PyTorch ${e}${rel}`;
}

/**
 * The reading API on an output: toArray() nests to PyTorch's shape and holds the same values
 * (booleans for bool), and item() of a one-element tensor is PyTorch's value.
 */
export function checkReading(label: string, got: Tensor, expected: Golden, tol: Tolerance): string | null {
  const flat: unknown[] = [];
  const shape: number[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (!Array.isArray(v)) {
      flat.push(v);
      return;
    }
    if (shape.length === depth) shape.push(v.length);
    v.forEach((u) => walk(u, depth + 1));
  };
  walk(got.toArray(), 0);
  const empty = expected.shape.includes(0);
  if (!empty && shape.join() !== expected.shape.join()) return `${label}: toArray() nests as [${shape}], PyTorch's shape is [${expected.shape}]`;
  const values = Array.from(got.toTypedArray(), (v) => (got.dtype === "bool" ? v !== 0 : v));
  if (flat.length !== values.length || flat.some((v, i) => !Object.is(v, values[i]))) return `${label}: toArray() disagrees with toTypedArray()`;
  if (values.length === 1) {
    const item = compareTensor(`${label}.item()`, tensor([got.item()], { dtype: got.dtype === "bool" ? "bool" : got.dtype }).reshape(expected.shape), expected, tol);
    if (item !== null) return item;
  }
  return null;
}

// ------------------------------------------------------------------------------------ printing

function fmtKw(kw: Kw): string {
  return Object.entries(kw)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(", ");
}

/** The program as text: inputs with dtype, shape and layout, then one line per op. */
export function describe(p: Program): string {
  const lines = [`program ${p.id} (${p.note})${p.fn ? ` through ${p.fn}` : ""}`];
  p.inputs.forEach((x, i) => {
    const layout = x.view.length ? ` from base [${x.base}] via ${x.view.map((s) => `${s[0]}(${JSON.stringify(s.slice(1)).slice(1, -1)})`).join(", ")}` : "";
    const values = x.values.length > 24 ? `${x.values.slice(0, 24).join(", ")}, ...` : x.values.join(", ");
    lines.push(`  x${i}: ${x.dtype} [${x.shape}]${layout}${x.grad ? " requiresGrad" : ""}${x.hook !== undefined ? ` hook*${x.hook}` : ""} = [${values}]`);
  });
  for (const [name, refs, kw, out, flags] of p.ops) {
    const args = [...refs, ...(Object.keys(kw).length ? [fmtKw(kw)] : [])].join(", ");
    const f = flags && Object.keys(flags).length ? `   ${JSON.stringify(flags)}` : "";
    lines.push(`  ${Array.isArray(out) ? `[${out.join(", ")}]` : out} = ${name}(${args})${f}`);
  }
  lines.push(`  outputs: ${p.outputs.join(", ")}`);
  return lines.join("\n");
}

// ------------------------------------------------------------------------------------ replay

/** Which tolerance a comparison uses, by dtype (the caller decides the numbers). */
export type TolFor = (dtype: DType) => Tolerance;

function checkAll(failures: string[], label: string, got: readonly (Tensor | null)[], expected: readonly (Golden | null)[], tol: TolFor): void {
  if (got.length !== expected.length) {
    failures.push(`${label}: ${got.length} tensors, PyTorch ${expected.length}`);
    return;
  }
  got.forEach((g, i) => {
    const e = expected[i];
    const msg = compareTensor(`${label}[${i}]`, g, e, tol(e?.dtype ?? g?.dtype ?? "float64"));
    if (msg !== null) failures.push(msg);
  });
}

/** Σ_k sum(outs[k] · weights[k]) over the outputs with weights. */
function weightedSum(outs: readonly Tensor[], weights: readonly (readonly Encoded[] | null)[]): Tensor | null {
  let loss: Tensor | null = null;
  weights.forEach((w, k) => {
    if (w === null) return;
    const term = outs[k].mul(fromGolden(w, outs[k].dtype, outs[k].shape)).sum();
    loss = loss === null ? term : loss.add(term);
  });
  return loss;
}

/** float32 tolerances for every comparison once float32 takes part anywhere (a float64 result cast from it). */
function widened(tol: TolFor, tensors: Iterable<Tensor>): TolFor {
  for (const t of tensors) if (t.dtype === "float32") return (dtype) => tol(dtype === "float64" ? "float32" : dtype);
  return tol;
}

function replayGrad(p: GradProgram, baseTol: TolFor, failures: string[]): void {
  const xs = p.inputs.map(buildInput);
  const env = interpret(p, xs);
  const tol = widened(baseTol, env.values());
  const outs = p.outputs.map((o) => env.get(o)!);
  checkAll(failures, "output", outs, p.expect.outputs, tol);
  outs.forEach((t, k) => {
    const e = p.expect.outputs[k];
    const msg = e === undefined ? null : checkReading(`output[${k}]`, t, e, tol(e.dtype));
    if (msg !== null) failures.push(msg);
  });
  if (p.weights === undefined || p.expect.grads === undefined) return;
  const loss = weightedSum(outs, p.weights)!;
  const hvp = p.expect.hvp !== undefined;
  loss.backward(undefined, { createGraph: hvp });
  checkAll(failures, "grad", xs.map((x) => x.grad), p.expect.grads, tol);
  for (const [name, g] of Object.entries(p.expect.retained ?? {})) {
    checkAll(failures, `retained grad of ${name}`, [env.get(name)!.grad], [g], tol);
  }
  if (!hvp) return;
  const leaves = xs.filter((x) => x.requiresGrad);
  let s: Tensor | null = null;
  xs.forEach((x, i) => {
    const v = p.v![i];
    if (v === null || x.grad === null || !x.grad.requiresGrad) return;
    const term = x.grad.mul(fromGolden(v, x.dtype, x.shape)).sum();
    s = s === null ? term : s.add(term);
  });
  const hs = s === null ? leaves.map((x) => x.zerosLike()) : grad(s, leaves, { allowUnused: true });
  const byInput: (Tensor | null)[] = xs.map(() => null);
  leaves.forEach((x, k) => (byInput[xs.indexOf(x)] = hs[k]));
  checkAll(failures, "hessian-vector product", byInput, p.expect.hvp!, tol);
}

function replayFunctional(p: FunctionalProgram, baseTol: TolFor, failures: string[]): void {
  const leaves = p.inputs.map((spec) => buildInput(spec).detach());
  const tol = widened(baseTol, noGrad(() => interpret(p, leaves)).values());
  const out = p.outputs[0];
  const f = (...as: Tensor[]): Tensor => {
    const all = leaves.slice();
    p.args.forEach((i, k) => (all[i] = as[k]));
    return interpret(p, all).get(out)!;
  };
  const xs = p.args.map((i) => leaves[i]);
  const e = p.expect;
  const shapeOfOut = (): Tensor => noGrad(() => f(...xs));
  switch (p.fn) {
    case "vjp": {
      const o = shapeOfOut();
      const r = vjp(f, xs, fromGolden(p.v!, o.dtype, o.shape));
      checkAll(failures, "vjp output", [r.output], [e.output!], tol);
      checkAll(failures, "vjp", r.grads, e.grads!, tol);
      break;
    }
    case "grad": {
      const xr = xs.map((x) => x.detach().requiresGrad_(true));
      const o = f(...xr);
      const g = grad(o, xr, { gradOutputs: fromGolden(p.v!, o.dtype, o.shape), allowUnused: true });
      checkAll(failures, "grad output", [o], [e.output!], tol);
      checkAll(failures, "grad", g, e.grads!, tol);
      break;
    }
    case "jvp": {
      const r = jvp(f, xs, xs.map((x, i) => fromGolden(p.tangents![i], x.dtype, x.shape)));
      checkAll(failures, "jvp output", [r.output], [e.output!], tol);
      checkAll(failures, "jvp", [r.jvp], [e.jvp!], tol);
      break;
    }
    case "jacobian": {
      checkAll(failures, "jacobian output", [shapeOfOut()], [e.output!], tol);
      checkAll(failures, "jacobian", jacobian(f, xs), e.jacobians!, tol);
      break;
    }
    case "hessian": {
      const o = shapeOfOut();
      const w = fromGolden(p.v!, o.dtype, o.shape);
      checkAll(failures, "hessian", [hessian((x) => f(x).mul(w).sum(), xs[0])], [e.hessian!], tol);
      break;
    }
    default:
      p.fn satisfies never;
  }
}

/** Replays one program; returns one line per mismatch (empty when everything agrees with PyTorch). */
export function replay(p: Program, tol: TolFor): string[] {
  const failures: string[] = [];
  try {
    if (p.fn === undefined) replayGrad(p, tol, failures);
    else replayFunctional(p, tol, failures);
  } catch (err) {
    failures.push(`threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  }
  return failures;
}
