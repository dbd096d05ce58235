/**
 * Weight initialization (PyTorch's torch.nn.init), in place and without recording gradients.
 * Fan rules as PyTorch: for a weight of shape [out, in, k…], fanIn = in·Πk and fanOut = out·Πk.
 */

import { DTypeError, Generator, ShapeError, Tensor, ValueError, defaultGenerator, noGrad, tensor } from "@tensorgrad/autograd";
import { checkOptions, oneOf, type SpecFor } from "./options.js";

const NONLINEARITIES = [
  "linear", "identity", "sigmoid", "tanh", "relu", "leakyRelu", "leaky_relu", "selu",
  "conv1d", "conv2d", "conv3d", "convTranspose1d", "convTranspose2d", "convTranspose3d",
  "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
] as const;

/** Nonlinearities `calculateGain` knows (PyTorch's snake_case spellings are accepted too). */
export type Nonlinearity = (typeof NONLINEARITIES)[number];

/** Which fan kaiming init scales by: fanIn preserves activations' variance forward, fanOut gradients' backward. */
export type FanMode = "fanIn" | "fanOut";

/** The optional random source of an init function (the default generator when omitted). */
export interface InitOptions {
  readonly generator?: Generator;
}

/** What InitOptions may hold. */
const INIT_SPEC = { generator: "generator" } as const satisfies SpecFor<InitOptions>;

/** Options of the xavier inits. */
export interface XavierOptions extends InitOptions {
  /** Scale factor (default 1), e.g. calculateGain("tanh"). */
  readonly gain?: number;
}

/** What XavierOptions may hold. */
const XAVIER_SPEC = { ...INIT_SPEC, gain: "number" } as const satisfies SpecFor<XavierOptions>;

/** Options of the kaiming inits. */
export interface KaimingOptions extends InitOptions {
  /** Negative slope of the rectifier after this layer (leakyRelu only; default 0). */
  readonly a?: number;
  /** "fanIn" (default) or "fanOut". */
  readonly mode?: FanMode;
  /** The nonlinearity after this layer (default "leakyRelu", which with a = 0 is relu). */
  readonly nonlinearity?: Nonlinearity;
}

/** What KaimingOptions may hold. */
const KAIMING_SPEC = {
  ...INIT_SPEC, a: "number", mode: oneOf("fanIn", "fanOut"), nonlinearity: oneOf(...NONLINEARITIES),
} as const satisfies SpecFor<KaimingOptions>;

const LINEAR_LIKE = new Set<string>([
  "linear", "identity", "conv1d", "conv2d", "conv3d", "convTranspose1d", "convTranspose2d", "convTranspose3d",
  "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
]);

/**
 * The recommended gain for a nonlinearity: 1 for linear/conv/sigmoid, 5/3 for tanh, √2 for relu,
 * √(2/(1 + slope²)) for leakyRelu (slope `param`, default 0.01), 3/4 for selu.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  if (LINEAR_LIKE.has(nonlinearity) || nonlinearity === "sigmoid") return 1;
  switch (nonlinearity) {
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.SQRT2;
    case "leakyRelu":
    case "leaky_relu": {
      const slope = param ?? 0.01;
      if (typeof slope !== "number" || !Number.isFinite(slope)) throw new ValueError(`calculateGain: negative slope ${String(slope)} is not a valid number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu":
      return 3 / 4;
    default:
      throw new ValueError(`calculateGain: unsupported nonlinearity "${String(nonlinearity)}"`);
  }
}

/** fanIn = size(1)·receptive field and fanOut = size(0)·receptive field, where receptive field = Π size(2…). */
export function calculateFanInAndFanOut(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2) {
    throw new ShapeError(`calculateFanInAndFanOut: fan in and fan out can not be computed for a tensor with fewer than 2 dims, got [${t.shape.join(",")}]`);
  }
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

function checkFloat(op: string, t: Tensor): void {
  if (!(t instanceof Tensor)) throw new ValueError(`${op}: expected a Tensor`);
  if (!t.isFloatingPoint()) throw new DTypeError(`${op}: expected a floating point tensor, got ${t.dtype}`);
}


/** Fills `t` with samples of U(a, b); returns t. */
export function uniform_(t: Tensor, a = 0, b = 1, options: InitOptions = {}): Tensor {
  checkFloat("uniform_", t);
  checkOptions("uniform_", options, INIT_SPEC);
  if (!(a <= b)) throw new ValueError(`uniform_: expected a <= b, got a=${a}, b=${b}`);
  return noGrad(() => t.uniform_(a, b, options.generator ?? defaultGenerator));
}

/** Fills `t` with samples of N(mean, std²); returns t. */
export function normal_(t: Tensor, mean = 0, std = 1, options: InitOptions = {}): Tensor {
  checkFloat("normal_", t);
  checkOptions("normal_", options, INIT_SPEC);
  if (!(std >= 0)) throw new ValueError(`normal_: std must be non-negative, got ${std}`);
  return noGrad(() => t.normal_(mean, std, options.generator ?? defaultGenerator));
}

/**
 * Fills `t` with N(mean, std²) samples redrawn until they lie in [a, b] (a truncated normal);
 * returns t.
 */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2, options: InitOptions = {}): Tensor {
  checkFloat("truncNormal_", t);
  checkOptions("truncNormal_", options, INIT_SPEC);
  if (!(std > 0) || !(a < b)) throw new ValueError(`truncNormal_: expected std > 0 and a < b, got std=${std}, a=${a}, b=${b}`);
  const g = options.generator ?? defaultGenerator;
  const values = new Float64Array(t.numel());
  for (let i = 0; i < values.length; i++) {
    let v: number;
    let tries = 0;
    do {
      v = mean + std * g.normal();
      if (++tries > 10_000) throw new ValueError(`truncNormal_: [${a}, ${b}] is too far from N(${mean}, ${std}²) to sample`);
    } while (v < a || v > b);
    values[i] = v;
  }
  return noGrad(() => t.copy_(tensor(values, { dtype: t.dtype, shape: t.shape })));
}

/** Fills `t` with `value`; returns t. */
export function constant_(t: Tensor, value: number): Tensor {
  checkFloat("constant_", t);
  return noGrad(() => t.fill_(value));
}

/** Fills `t` with 0; returns t. */
export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

/** Fills `t` with 1; returns t. */
export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

/** Fills a 2-d `t` with the identity matrix (ones on the diagonal); returns t. */
export function eye_(t: Tensor): Tensor {
  checkFloat("eye_", t);
  if (t.ndim !== 2) throw new ShapeError(`eye_: only 2-d tensors are supported, got [${t.shape.join(",")}]`);
  const [n, m] = t.shape;
  const values = new Float64Array(n * m);
  for (let i = 0; i < Math.min(n, m); i++) values[i * m + i] = 1;
  return noGrad(() => t.copy_(tensor(values, { dtype: t.dtype, shape: t.shape })));
}

/** Glorot uniform: U(−a, a) with a = gain·√(6/(fanIn + fanOut)); returns t. */
export function xavierUniform_(t: Tensor, options: XavierOptions = {}): Tensor {
  checkFloat("xavierUniform_", t);
  checkOptions("xavierUniform_", options, XAVIER_SPEC);
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const std = (options.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut));
  const a = Math.sqrt(3) * std;
  return uniform_(t, -a, a, { generator: options.generator });
}

/** Glorot normal: N(0, std²) with std = gain·√(2/(fanIn + fanOut)); returns t. */
export function xavierNormal_(t: Tensor, options: XavierOptions = {}): Tensor {
  checkFloat("xavierNormal_", t);
  checkOptions("xavierNormal_", options, XAVIER_SPEC);
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const std = (options.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut));
  return normal_(t, 0, std, { generator: options.generator });
}

function kaimingStd(op: string, t: Tensor, options: KaimingOptions): number {
  checkFloat(op, t);
  checkOptions(op, options, KAIMING_SPEC);
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const fan = (options.mode ?? "fanIn") === "fanIn" ? fanIn : fanOut;
  if (fan === 0) return 0; // PyTorch warns and leaves a zero-element tensor alone
  const gain = calculateGain(options.nonlinearity ?? "leakyRelu", options.a ?? 0);
  return gain / Math.sqrt(fan);
}

/** He uniform: U(−bound, bound) with bound = √3·gain/√fan (gain from nonlinearity and a); returns t. */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd("kaimingUniform_", t, options);
  return uniform_(t, -bound, bound, { generator: options.generator });
}

/** He normal: N(0, std²) with std = gain/√fan (gain from nonlinearity and a); returns t. */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd("kaimingNormal_", t, options), { generator: options.generator });
}
