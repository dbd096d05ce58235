/**
 * The autograd half of the bad-input suite: malformed calls, one `describe` per class of input.
 * Each case asserts the error CLASS and that the message starts with the op's name and shows the
 * offending value — never a silent NaN, an empty result, a wrapped integer, or a TypeError /
 * RangeError from deep inside. (errors.test.ts holds the older cases; they are not repeated here.)
 */

import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  DTypeError, GradError, Generator, IndexError, ShapeError, Tensor, TensorgradError, ValueError,
  addcmul, arange, avgPool2d, backward, cat, conv2d, createCpuBackend, cumsum, defineFunction, eye, full, fullLike, getBackend, grad, hessian, jacobian, jvp,
  elu, leakyRelu, linear, linspace, maxPool2d, noGrad, ones, onesLike, pad, rand, randint, randn, randperm, registerBackend, scaledDotProductAttention, setBackend,
  softplus, stack, tensor, unfold, vjp, where, zeros, zerosLike, type Backend,
} from "@tensorgrad/autograd";
import { randomPermutation } from "../../packages/autograd/src/random.js";
import { tempDir } from "../helpers/temp-dir.js";

type ErrorClass = new (message: string) => Error;

/** A value as a message shows it, escaped for a RegExp. */
const shown = (text: string): RegExp => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));

/**
 * Runs fn and checks it throws a `cls` (a TensorgradError) whose message starts with `op: ` and
 * names the offending value (`value`: a RegExp, or the exact text, such as `0.5` or `"2"`).
 */
function expectTypedError(fn: () => unknown, cls: ErrorClass, op: string, value: RegExp | string): void {
  let caught: unknown = undefined;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${cls.name} from ${op}, got no error`).toBeDefined();
  expect(caught, String(caught)).toBeInstanceOf(TensorgradError);
  expect(caught, String(caught)).toBeInstanceOf(cls);
  const message = (caught as Error).message;
  expect(message.startsWith(`${op}: `), message).toBe(true);
  expect(message).toMatch(typeof value === "string" ? shown(value) : value);
}

/** A value of the wrong type, for calls whose TypeScript signature would refuse it. */
const bad = <T>(value: unknown): T => value as T;

describe("creation: values, options, dtypes and int32 overflow", () => {
  it("full with a fill value that is not a number (was NaN)", () => {
    expectTypedError(() => full([2], bad("a")), ValueError, "full", 'fill value must be a number, got "a"');
    expectTypedError(() => full([2], bad(undefined)), ValueError, "full", "got undefined");
    expectTypedError(() => full([2], bad(null)), ValueError, "full", "got null");
    expectTypedError(() => fullLike(ones([2]), bad("1")), ValueError, "fullLike", '"1"');
    expectTypedError(() => ones([2]).newFull([2], bad("a")), ValueError, "newFull", '"a"');
  });

  it("a shape that is not an array of sizes (was a TypeError from deep inside)", () => {
    expectTypedError(() => zeros(bad<never>(null)), ValueError, "zeros", "expected sizes as separate numbers or one array, then optionally an options object, got (null)");
    expectTypedError(() => ones(bad<never>("3")), ValueError, "ones", '"3"');
    expectTypedError(() => rand(bad<never>({ length: 2 })), ValueError, "rand", "expected a size, got only an object");
    expectTypedError(() => zeros([2, bad(null)]), ValueError, "zeros", "invalid size null in shape [2,null]");
    expectTypedError(() => randn([NaN]), ValueError, "randn", "invalid size NaN");
    expectTypedError(() => ones([2]).newZeros([1.5]), ValueError, "newFull", "invalid size 1.5");
  });

  it("tensor() data that is not numbers names the position and what was there", () => {
    expectTypedError(() => tensor(bad([1, null])), ValueError, "tensor", "at [1], got null");
    expectTypedError(() => tensor(bad("a")), ValueError, "tensor", 'got "a"');
    expectTypedError(() => tensor(bad(undefined)), ValueError, "tensor", "got undefined");
    expectTypedError(() => tensor(bad(new BigInt64Array(2))), ValueError, "tensor", "BigInt64Array");
  });

  it("an unknown dtype is refused by every creation function, not only tensor()", () => {
    const f16 = { dtype: bad<"float32">("float16") };
    const cases: [string, () => unknown][] = [
      ["zeros", () => zeros([2], f16)], ["ones", () => ones([2], f16)], ["full", () => full([2], 1, f16)],
      ["zerosLike", () => zerosLike(ones([2]), f16)], ["onesLike", () => onesLike(ones([2]), f16)],
      ["fullLike", () => fullLike(ones([2]), 1, f16)], ["arange", () => arange(3, f16)], ["linspace", () => linspace(0, 1, 3, f16)],
      ["eye", () => eye(2, 2, f16)], ["rand", () => rand([2], f16)], ["randn", () => randn([2], f16)],
      ["randint", () => randint(0, 3, [2], f16)], ["randperm", () => randperm(3, f16)],
    ];
    for (const [op, fn] of cases) expectTypedError(fn, DTypeError, op, "unknown dtype float16");
  });

  it("options: not an object, a misspelt key, a requiresGrad that is not a boolean, a generator that is not one", () => {
    expectTypedError(() => zeros([2], bad<never>("float64")), ValueError, "zeros", 'got (an array [2], "float64")');
    expectTypedError(() => ones([2], bad<never>({ dtpye: "float64" })), ValueError, "ones", 'unknown option "dtpye"');
    expectTypedError(() => tensor([1], bad({ requiresgrad: true })), ValueError, "tensor", '"requiresgrad"');
    expectTypedError(() => zeros([2], { requiresGrad: bad("yes") }), ValueError, "zeros", 'requiresGrad must be a boolean, got "yes"');
    expectTypedError(() => ones([2]).requiresGrad_(bad(1)), ValueError, "requiresGrad", "got 1");
    expectTypedError(() => randn([2], { generator: bad({}) }), ValueError, "randn", "generator must be a Generator, got an object");
    expectTypedError(() => rand([2], { generator: bad(42) }), ValueError, "rand", "got 42");
    expectTypedError(() => randint(0, 3, [2], { generator: bad(null) }), ValueError, "randint", "got null");
    expectTypedError(() => randperm(3, { generator: bad("seed") }), ValueError, "randperm", '"seed"');
    expectTypedError(() => noGrad(() => zeros([2]).uniform_(0, 1, bad({}))), ValueError, "uniform_", "an object");
    expectTypedError(() => noGrad(() => zeros([2]).normal_(0, 1, bad(7))), ValueError, "normal_", "got 7");
    // The valid forms still work.
    expect(zeros([2], { dtype: "float64", requiresGrad: true }).requiresGrad).toBe(true);
    expect(randn([2], { generator: new Generator(1) }).shape).toEqual([2]);
  });

  it("int32 values past its range are refused, as PyTorch's overflow error (they wrapped)", () => {
    expectTypedError(() => tensor([2 ** 31], { dtype: "int32" }), ValueError, "tensor", "value 2147483648 at flat index 0 cannot be converted to int32");
    expectTypedError(() => tensor([[0, 1], [2, -(2 ** 31) - 1]], { dtype: "int32" }), ValueError, "tensor", "-2147483649 at flat index 3");
    expectTypedError(() => tensor([NaN], { dtype: "int32" }), ValueError, "tensor", "NaN");
    expectTypedError(() => tensor(new Float64Array([Infinity]), { dtype: "int32" }), ValueError, "tensor", "Infinity");
    expectTypedError(() => full([2], 2 ** 31, { dtype: "int32" }), ValueError, "full", "2147483648");
    expectTypedError(() => fullLike(tensor([1], { dtype: "int32" }), -Infinity), ValueError, "fullLike", "-Infinity");
    expectTypedError(() => noGrad(() => zeros([2], { dtype: "int32" }).fill_(2 ** 31)), ValueError, "fill_", "2147483648");
    expectTypedError(() => arange(2 ** 31 - 1, 2 ** 31 + 1), ValueError, "arange", "values from 2147483647 to 2147483648");
    expectTypedError(() => arange(-(2 ** 31) - 2, 0, 1, { dtype: "int32" }), ValueError, "arange", "-2147483650");
    expectTypedError(() => linspace(0, 2 ** 31, 3, { dtype: "int32" }), ValueError, "linspace", "2147483648");
    // The edges of the range, and fractions (truncated, as PyTorch), are fine.
    expect(tensor([-(2 ** 31), 2 ** 31 - 1, 2.7, -2.7], { dtype: "int32" }).toArray()).toEqual([-(2 ** 31), 2 ** 31 - 1, 2, -2]);
    expect(full([1], 0.5, { dtype: "int32" }).toArray()).toEqual([0]);
    expect(arange(2 ** 31 - 2, 2 ** 31).toArray()).toEqual([2 ** 31 - 2, 2 ** 31 - 1]);
    // float and bool tensors take any number (bool: nonzero is true).
    expect(tensor([2 ** 40], { dtype: "float64" }).item()).toBe(2 ** 40);
    expect(full([1], 2 ** 31, { dtype: "bool" }).toArray()).toEqual([true]);
  });

  it("randint: bounds must be integers with low < high that fit the dtype (int32 returned negative numbers)", () => {
    expectTypedError(() => randint(0, 2 ** 40, [3]), ValueError, "randint", "the range [0, 1099511627776) does not fit int32");
    expectTypedError(() => randint(-(2 ** 31) - 1, 0, [3]), ValueError, "randint", "-2147483649");
    expectTypedError(() => randint(0, 3, [2], { dtype: "bool" }), ValueError, "randint", "[0, 3) does not fit bool");
    expectTypedError(() => randint(3, 3, [2]), ValueError, "randint", "got 3, 3");
    expectTypedError(() => randint(5, 2, [2]), ValueError, "randint", "got 5, 2");
    expectTypedError(() => randint(0, 2.5, [2]), ValueError, "randint", "got 0, 2.5");
    expectTypedError(() => randint(NaN, 2, [2]), ValueError, "randint", "NaN");
    expectTypedError(() => randint(0, bad<never>("9"), [2]), ValueError, "randint", '"9"');
    // The int32 range itself is allowed (PyTorch: high up to 2^31), and wider ranges in float64.
    const x = randint(-(2 ** 31), 2 ** 31, [1000], { generator: new Generator(3) }).toTypedArray();
    expect(Math.min(...x)).toBeLessThan(0);
    expect(Math.max(...x)).toBeGreaterThan(0);
    const wide = randint(2 ** 40, 2 ** 40 + 3, [50], { dtype: "float64", generator: new Generator(4) }).toFlatArray();
    expect(wide.every((v) => Number.isInteger(v) && v >= 2 ** 40 && v < 2 ** 40 + 3)).toBe(true);
  });

  it("randperm: n must be a size whose largest value n − 1 the dtype holds exactly", () => {
    expectTypedError(() => randperm(2.5), ValueError, "randperm", "n must be a non-negative integer, got 2.5");
    expectTypedError(() => randperm(-1), ValueError, "randperm", "got -1");
    expectTypedError(() => randperm(bad("4")), ValueError, "randperm", '"4"');
    expectTypedError(() => randperm(2 ** 24 + 2, { dtype: "float32" }), ValueError, "randperm", "n 16777218 is too large for float32");
    expectTypedError(() => randperm(2 ** 31 + 1), ValueError, "randperm", "n 2147483649 is too large for int32");
    expectTypedError(() => randperm(3, { dtype: "bool" }), ValueError, "randperm", "too large for bool");
  });

  it("arange and linspace: bounds and steps that are not numbers or not finite", () => {
    expectTypedError(() => arange(bad("5")), ValueError, "arange", 'bounds must be finite, got 0, "5"');
    expectTypedError(() => arange(0, Infinity), ValueError, "arange", "Infinity");
    expectTypedError(() => arange(0, 5, NaN), ValueError, "arange", "step must be nonzero and finite, got NaN");
    expectTypedError(() => arange(0, 5, bad("1")), ValueError, "arange", '"1"');
    expectTypedError(() => linspace(bad("0"), 1, 3), ValueError, "linspace", 'start must be a number, got "0"');
    expectTypedError(() => linspace(0, 1, 2.5), ValueError, "linspace", "steps must be a non-negative integer, got 2.5");
    expectTypedError(() => linspace(0, 1, NaN), ValueError, "linspace", "NaN");
    // Fractional steps are fine (PyTorch too); NaN endpoints of linspace give NaNs, as PyTorch's.
    expect(arange(0, 2, 0.5).toArray()).toEqual([0, 0.5, 1, 1.5]);
    expect(linspace(0, NaN, 2).toFlatArray().every(Number.isNaN)).toBe(true);
  });
});

describe("dims: not integers", () => {
  const x = zeros([2, 3]);

  it("reductions refuse 0.5, NaN, strings and null as dims (mean(null) was a TypeError)", () => {
    expectTypedError(() => x.sum(0.5), IndexError, "sum", "dim must be an integer, got 0.5");
    expectTypedError(() => x.mean(bad(null)), IndexError, "mean", "got null");
    expectTypedError(() => x.mean(bad("0")), IndexError, "mean", '"0"');
    expectTypedError(() => x.amax([0, NaN]), IndexError, "amax", "got NaN");
    expectTypedError(() => x.var(bad({})), IndexError, "var", "an object");
    expectTypedError(() => x.logsumexp(1.5), IndexError, "logsumexp", "1.5");
    expectTypedError(() => x.argmax(0.5), IndexError, "argmax", "0.5");
    expectTypedError(() => x.max(bad("1")), IndexError, "max", '"1"');
  });

  it("movement ops and dim-taking ops", () => {
    expectTypedError(() => x.softmax(NaN), IndexError, "softmax", "dim must be an integer, got NaN");
    expectTypedError(() => x.logSoftmax(bad(undefined)), IndexError, "logSoftmax", "undefined");
    expectTypedError(() => x.transpose(0, 1.5), IndexError, "transpose", "1.5");
    expectTypedError(() => x.unsqueeze(Infinity), IndexError, "unsqueeze", "Infinity");
    expectTypedError(() => x.squeeze([0.5]), IndexError, "squeeze", "0.5");
    expectTypedError(() => x.flatten(0.5), IndexError, "flatten", "0.5");
    expectTypedError(() => x.permute(0.5, 0), IndexError, "permute", "0.5");
    expectTypedError(() => x.size(0.5), IndexError, "size", "0.5");
    expectTypedError(() => cat([x, x], 0.5), IndexError, "cat", "0.5");
    expectTypedError(() => stack([x, x], NaN), IndexError, "stack", "NaN");
    expectTypedError(() => x.split(1, 0.5), IndexError, "split", "0.5");
    expectTypedError(() => x.gather(0.5, zeros([1, 1], { dtype: "int32" })), IndexError, "gather", "0.5");
    expectTypedError(() => x.indexSelect(bad("0"), zeros([1], { dtype: "int32" })), IndexError, "indexSelect", '"0"');
  });
});

describe("flags and option objects: booleans must be booleans, keys must be known", () => {
  const x = zeros([2, 3]);

  it("keepdim and the other flags of reductions, sort and topk refuse non-booleans (sum(0, 1) kept the dim silently)", () => {
    expectTypedError(() => x.sum(0, bad(1)), ValueError, "sum", "keepdim must be a boolean, got 1");
    expectTypedError(() => x.mean(0, bad("true")), ValueError, "mean", 'keepdim must be a boolean, got "true"');
    expectTypedError(() => x.amax(1, bad(0)), ValueError, "amax", "keepdim must be a boolean, got 0");
    expectTypedError(() => x.amin(undefined, bad(null)), ValueError, "amin", "keepdim must be a boolean, got null");
    expectTypedError(() => x.logsumexp(0, bad(1)), ValueError, "logsumexp", "keepdim must be a boolean, got 1");
    expectTypedError(() => x.var(0, bad({ keepdim: 1 })), ValueError, "var", "keepdim must be a boolean, got 1");
    expectTypedError(() => x.std(0, bad({ keepdim: "yes" })), ValueError, "std", 'keepdim must be a boolean, got "yes"');
    expectTypedError(() => x.argmax(0, bad(1)), ValueError, "argmax", "keepdim must be a boolean, got 1");
    expectTypedError(() => x.argmin(undefined, bad("no")), ValueError, "argmin", 'keepdim must be a boolean, got "no"');
    expectTypedError(() => x.max(0, bad(1)), ValueError, "max", "keepdim must be a boolean, got 1");
    expectTypedError(() => x.min(1, bad([])), ValueError, "min", "keepdim must be a boolean, got an array []");
    expectTypedError(() => x.sort(0, bad(1)), ValueError, "sort", "descending must be a boolean, got 1");
    expectTypedError(() => x.argsort(0, bad("desc")), ValueError, "argsort", 'descending must be a boolean, got "desc"');
    expectTypedError(() => x.topk(1, 1, bad(0)), ValueError, "topk", "largest must be a boolean, got 0");
    expectTypedError(() => x.topk(1, 1, true, bad(1)), ValueError, "topk", "sorted must be a boolean, got 1");
    expectTypedError(() => maxPool2d(zeros([1, 1, 2, 2]), 2, bad({ ceilMode: 1 })), ValueError, "maxPool2d", "ceilMode must be a boolean, got 1");
    expectTypedError(() => maxPool2d(zeros([1, 1, 2, 2]), 2, bad({ returnIndices: "yes" })), ValueError, "maxPool2d", 'returnIndices must be a boolean, got "yes"');
    expectTypedError(() => avgPool2d(zeros([1, 1, 2, 2]), 2, bad({ countIncludePad: 0 })), ValueError, "avgPool2d", "countIncludePad must be a boolean, got 0");
  });

  it("the option objects of ops refuse misspelt keys, naming the op and the keys they take (they were ignored)", () => {
    const img = zeros([1, 1, 3, 3]);
    expectTypedError(() => x.var(0, bad({ unbiased: false })), ValueError, "var", 'unknown option "unbiased" (expected correction, keepdim)');
    expectTypedError(() => x.std(0, bad(null)), ValueError, "std", "options must be an object, got null");
    expectTypedError(() => conv2d(img, zeros([1, 1, 2, 2]), null, bad({ padding_mode: "zeros" })), ValueError, "conv2d", 'unknown option "padding_mode" (expected stride, padding, dilation, groups)');
    expectTypedError(() => maxPool2d(img, 2, bad({ ceil_mode: true })), ValueError, "maxPool2d", 'unknown option "ceil_mode"');
    expectTypedError(() => avgPool2d(img, 2, bad({ divisor_override: 2 })), ValueError, "avgPool2d", 'unknown option "divisor_override"');
    expectTypedError(() => pad(img, [1, 1], bad({ mode: "constant", valu: 1 })), ValueError, "pad", 'unknown option "valu" (expected mode, value)');
    expectTypedError(() => scaledDotProductAttention(zeros([2, 2]), zeros([2, 2]), zeros([2, 2]), bad({ is_causal: true })), ValueError, "scaledDotProductAttention", 'unknown option "is_causal"');
    expectTypedError(() => scaledDotProductAttention(zeros([2, 2]), zeros([2, 2]), zeros([2, 2]), bad({ isCausal: 1 })), ValueError, "scaledDotProductAttention", "isCausal must be a boolean, got 1");
    expectTypedError(() => cumsum(x, 0, bad({ dtyp: "float64" })), ValueError, "cumsum", 'unknown option "dtyp" (expected dtype)');
    expectTypedError(() => addcmul(x, x, x, bad({ alpha: 2 })), ValueError, "addcmul", 'unknown option "alpha" (expected value)');
    expectTypedError(() => unfold(img, 2, bad({ strides: 1 })), ValueError, "unfold", 'unknown option "strides" (expected dilation, padding, stride)');
    expectTypedError(() => x.gelu(bad({ approx: "tanh" })), ValueError, "gelu", 'unknown option "approx" (expected approximate)');
  });
});

describe("indices, slice bounds and sizes: not integers", () => {
  const x = tensor([1, 2, 3, 4]);

  it("slice refuses fractional and NaN bounds (it gave NaN values, or an empty slice)", () => {
    expectTypedError(() => x.slice(0, 0.5, 2), IndexError, "slice", "start must be an integer, got 0.5");
    expectTypedError(() => x.slice(0, NaN), IndexError, "slice", "start must be an integer, got NaN");
    expectTypedError(() => x.slice(0, 0, NaN), IndexError, "slice", "end must be an integer, got NaN");
    expectTypedError(() => x.slice(0, 0, 2.5), IndexError, "slice", "2.5");
    expectTypedError(() => x.slice(0, bad("1")), IndexError, "slice", '"1"');
    expectTypedError(() => x.slice(0, 0, 4, 1.5), ValueError, "slice", "step must be a positive integer, got 1.5");
    // Out-of-range integer bounds clamp, as in Python.
    expect(x.slice(0, -100, 100, 2).toArray()).toEqual([1, 3]);
  });

  it("narrow, select, split, chunk", () => {
    expectTypedError(() => x.narrow(0, 0.5, 1), IndexError, "narrow", "start must be an integer, got 0.5");
    expectTypedError(() => x.narrow(0, 0, 1.5), ValueError, "narrow", "length must be a non-negative integer, got 1.5");
    expectTypedError(() => x.narrow(0, 0, -1), ValueError, "narrow", "got -1");
    expectTypedError(() => x.select(0, 0.5), IndexError, "select", "index must be an integer, got 0.5");
    expectTypedError(() => x.select(0, NaN), IndexError, "select", "NaN");
    expectTypedError(() => x.split([1.5, 2.5]), ValueError, "split", "each size must be a non-negative integer, got 1.5");
    expectTypedError(() => x.split(bad("2")), ValueError, "split", '"2"');
    expectTypedError(() => x.split(NaN), ValueError, "split", "NaN");
    expectTypedError(() => x.chunk(1.5), ValueError, "chunk", "1.5");
  });

  it("reshape, view and expand sizes", () => {
    expectTypedError(() => x.reshape(2.5, -1), ValueError, "reshape", "invalid size 2.5");
    expectTypedError(() => x.reshape(bad<number>(null)), ValueError, "reshape", "got (null)");
    expectTypedError(() => x.view(NaN), ValueError, "view", "invalid size NaN");
    expectTypedError(() => x.view(bad<number>("4")), ValueError, "view", '"4"');
    expectTypedError(() => ones([1]).expand(2.5), ShapeError, "expand", "invalid size 2.5");
  });
});

describe("operands of the wrong type", () => {
  const x = tensor([1, 2, 3]);

  it("arithmetic with undefined, null, a string, an object or a plain array (TypeErrors before)", () => {
    for (const [value, text] of [[undefined, "undefined"], [null, "null"], ["2", '"2"'], [{}, "an object"], [[1, 2, 3], "an array [1,2,3]"], [true, "true"]] as const) {
      expectTypedError(() => x.add(bad(value)), ValueError, "add", `expected a Tensor or a number, got ${text}`);
    }
    expectTypedError(() => x.add(bad([1, 2, 3])), ValueError, "add", "wrap an array with tensor()");
    expectTypedError(() => x.rsub(bad("1")), ValueError, "sub", '"1"');
    expectTypedError(() => x.mul(bad(null)), ValueError, "mul", "null");
    expectTypedError(() => x.div(bad({})), ValueError, "div", "an object");
    expectTypedError(() => x.pow(bad("2")), ValueError, "pow", '"2"');
    expectTypedError(() => x.maximum(bad(undefined)), ValueError, "maximum", "undefined");
    expectTypedError(() => x.lt(bad("1")), ValueError, "lt", '"1"');
    expectTypedError(() => x.eq(bad([1, 2, 3])), ValueError, "eq", "an array");
    expectTypedError(() => x.logicalAnd(bad(null)), ValueError, "logicalAnd", "null");
  });

  it("in-place arithmetic and fills", () => {
    noGrad(() => {
      expectTypedError(() => x.clone().add_(bad("2")), ValueError, "add_", '"2"');
      expectTypedError(() => x.clone().mul_(bad(null)), ValueError, "mul_", "null");
      expectTypedError(() => x.clone().add_(x, bad("2")), ValueError, "add_", 'alpha must be a number, got "2"');
      expectTypedError(() => x.clone().fill_(bad("a")), ValueError, "fill_", '"a"');
      expectTypedError(() => x.clone().copy_(bad([1, 2, 3])), ValueError, "copy_", "src must be a Tensor, got an array");
    });
  });

  it("number arguments: clamp bounds, seeds, backend names", () => {
    expectTypedError(() => x.clamp(bad("0")), ValueError, "clamp", 'min and max must be numbers or undefined, got "0" and undefined');
    expectTypedError(() => x.clamp(undefined, bad(null)), ValueError, "clamp", "got undefined and null");
    expectTypedError(() => new Generator(bad("a")), ValueError, "manualSeed", 'seed must be a finite number, got "a"');
    expectTypedError(() => setBackend("gpu0"), ValueError, "setBackend", 'unknown backend "gpu0"');
  });

  it("activation hyperparameters: leakyRelu's slope, softplus's beta and threshold, elu's alpha", () => {
    expectTypedError(() => leakyRelu(x, bad("0.1")), ValueError, "leakyRelu", 'negativeSlope must be a number, got "0.1"');
    expectTypedError(() => softplus(x, bad(null)), ValueError, "softplus", "beta must be a number, got null");
    expectTypedError(() => softplus(x, 1, bad({})), ValueError, "softplus", "threshold must be a number, got an object");
    expectTypedError(() => elu(x, bad("1")), ValueError, "elu", 'alpha must be a number, got "1"');
  });

  it("tensor arguments: where, matmul, gather, scatterAdd, indexSelect, expandAs, linear, cat, stack, *Like", () => {
    const idx = zeros([1], { dtype: "int32" });
    expectTypedError(() => where(bad("c"), x, 0), ValueError, "where", 'condition must be a Tensor, got "c"');
    expectTypedError(() => where(x.gt(1), x, bad("a")), ValueError, "where", '"a"');
    expectTypedError(() => x.matmul(bad(5)), ValueError, "matmul", "other must be a Tensor, got 5");
    expectTypedError(() => x.gather(0, bad([0])), ValueError, "gather", "index must be a Tensor, got an array [0]");
    expectTypedError(() => x.scatterAdd(0, idx, bad(1)), ValueError, "scatterAdd", "src must be a Tensor, got 1");
    expectTypedError(() => x.indexSelect(0, bad(0)), ValueError, "indexSelect", "index must be a Tensor, got 0");
    expectTypedError(() => x.expandAs(bad(null)), ValueError, "expandAs", "null");
    expectTypedError(() => linear(x, bad([[1, 2, 3]])), ValueError, "linear", "weight must be a Tensor, got an array [[1,2,3]]");
    expectTypedError(() => linear(x, ones([2, 3]), bad(0)), ValueError, "linear", "bias must be a Tensor, got 0");
    expectTypedError(() => cat(bad(null)), ValueError, "cat", "expected an array of tensors, got null");
    expectTypedError(() => cat([x, bad(5)]), ValueError, "cat", "tensor 1 must be a Tensor, got 5");
    expectTypedError(() => stack(bad(x)), ValueError, "stack", "a Tensor");
    expectTypedError(() => zerosLike(bad([1, 2])), ValueError, "zerosLike", "an array [1,2]");
  });
});

describe("autograd: hooks, the functional API and custom functions given the wrong things", () => {
  it("a hook returning a non-tensor names the hook, where it was registered and what it returned", () => {
    const a = tensor([1, 2], { requiresGrad: true });
    a.registerHook(function five() {
      return bad<Tensor>(5);
    });
    expectTypedError(() => a.mul(2).sum().backward(), GradError, "backward", "the hook 'five' on a leaf of shape [2] returned 5");
    const b = tensor([1, 2], { requiresGrad: true });
    const h = b.mul(2);
    h.registerHook(() => bad<Tensor>("x"));
    expectTypedError(() => h.sum().backward(), GradError, "backward", `a hook on output 0 of 'mul' returned "x"`);
  });

  it("a hook returning a tensor of another shape or dtype (PyTorch refuses both)", () => {
    const a = tensor([1, 2], { requiresGrad: true });
    a.registerHook(() => tensor([1, 2, 3]));
    expectTypedError(() => a.mul(2).sum().backward(), GradError, "backward", "returned a float32 gradient of shape [3] for a float32 gradient of shape [2]");
    const b = tensor([1, 2], { requiresGrad: true });
    b.registerHook((g) => g.to("float64"));
    expectTypedError(() => b.mul(2).sum().backward(), GradError, "backward", "returned a float64 gradient");
    // Returning nothing, or a tensor of the same shape, works.
    const c = tensor([1, 2], { requiresGrad: true });
    c.registerHook(() => undefined);
    c.registerHook((g) => g.mul(3));
    c.mul(2).sum().backward();
    expect(c.grad?.toArray()).toEqual([6, 6]);
  });

  it("jacobian, hessian, vjp, jvp of a function returning a number (was 'out.detach is not a function')", () => {
    const x = tensor([1, 2]);
    const three = () => bad<Tensor>(3);
    expectTypedError(() => jacobian(three, x), ValueError, "jacobian", "the value fn returned must be a Tensor, got 3");
    expectTypedError(() => hessian(three, x), ValueError, "hessian", "got 3");
    expectTypedError(() => vjp(three, x), ValueError, "vjp", "got 3");
    expectTypedError(() => jvp(three, x, ones([2])), ValueError, "jvp", "got 3");
    expectTypedError(() => jacobian(() => bad<Tensor>([1, 2]), x), ValueError, "jacobian", "an array [1,2]");
  });

  it("the functional API given a non-function, non-tensor inputs, outputs, tangents or v", () => {
    const x = tensor([1, 2]);
    expectTypedError(() => jacobian(bad(3), x), ValueError, "jacobian", "fn must be a function, got 3");
    expectTypedError(() => hessian(bad(null), x), ValueError, "hessian", "null");
    expectTypedError(() => jacobian((t) => t, bad([1, 2])), ValueError, "jacobian", "input 0 must be a Tensor, got 1");
    expectTypedError(() => vjp((t) => t, x, bad(3)), ValueError, "vjp", "v must be a Tensor, got 3");
    expectTypedError(() => jvp((t) => t, x, bad(3)), ValueError, "jvp", "tangent must be a Tensor, got 3");
    const w = tensor([1], { requiresGrad: true });
    expectTypedError(() => grad(bad(3), w), ValueError, "grad", "output must be a Tensor, got 3");
    expectTypedError(() => grad(w.sum(), bad("w")), ValueError, "grad", 'input must be a Tensor, got "w"');
    expectTypedError(() => backward(bad(w), undefined), ValueError, "backward", "expected an array of output tensors, got a Tensor");
    expectTypedError(() => backward([bad(2)], undefined), ValueError, "backward", "output 0 must be a Tensor, got 2");
  });

  it("backward, grad, vjp and jacobian options: misspelt keys and flags that are not booleans (both were ignored)", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = () => x.mul(x).sum();
    expectTypedError(() => y().backward(undefined, bad({ retain_graph: true })), ValueError, "backward", 'unknown option "retain_graph" (expected retainGraph, createGraph)');
    expectTypedError(() => y().backward(undefined, bad({ retainGraph: "yes" })), ValueError, "backward", 'retainGraph must be a boolean, got "yes"');
    expectTypedError(() => backward([y()], undefined, bad({ createGraph: 1 })), ValueError, "backward", "createGraph must be a boolean, got 1");
    expectTypedError(() => y().backward(undefined, bad(null)), ValueError, "backward", "options must be an object, got null");
    expectTypedError(() => grad(y(), x, bad({ allowUnused: 1 })), ValueError, "grad", "allowUnused must be a boolean, got 1");
    expectTypedError(() => grad(y(), x, bad({ create_graph: true })), ValueError, "grad", 'unknown option "create_graph" (expected gradOutputs, retainGraph, createGraph, allowUnused)');
    expectTypedError(() => grad(y(), x, bad({ retainGraph: "true" })), ValueError, "grad", 'retainGraph must be a boolean, got "true"');
    expectTypedError(() => vjp((t) => t.sum(), tensor([1, 2]), undefined, bad({ create_graph: true })), ValueError, "vjp", 'unknown option "create_graph" (expected createGraph)');
    expectTypedError(() => jacobian((t) => t.mul(2), tensor([1, 2]), bad({ createGraph: "no" })), ValueError, "jacobian", 'createGraph must be a boolean, got "no"');
    // Nothing ran: the graph is intact and a correct call works.
    const out = y();
    expect(() => out.backward(undefined, bad({ retainGraph: 1 }))).toThrow(ValueError);
    out.backward();
    expect(x.grad?.toArray()).toEqual([2, 4]);
  });

  it("a custom function whose backward returns a number, a string or too many gradients", () => {
    const make = (back: () => unknown) =>
      defineFunction({ name: "twice", forward: (_ctx, a: Tensor) => a.mul(2), backward: () => bad<Tensor>(back()) });
    const a = tensor([1, 2], { requiresGrad: true });
    expectTypedError(() => make(() => 3)(a).sum().backward(), GradError, "twice", "backward returned 3 as the gradient of argument 0");
    expectTypedError(() => make(() => "g")(a).sum().backward(), GradError, "twice", '"g"');
    expectTypedError(() => make(() => [ones([2]), ones([2])])(a).sum().backward(), GradError, "twice", "backward returned 2 gradients, but forward took 1 arguments");
    expectTypedError(() => make(() => ones([3]))(a).sum().backward(), GradError, "twice", "gradient for input 0 has shape [3] but the input has shape [2]");
    expectTypedError(() => defineFunction(bad<Parameters<typeof defineFunction>[0]>({ name: "half", forward: () => ones([1]) })), ValueError, "half", "needs forward and backward functions");
    const leaky = defineFunction({ name: "leaky", forward: (_ctx, _a: Tensor) => bad<Tensor>(7), backward: () => null });
    expectTypedError(() => leaky(a), ValueError, "leaky", "output 0 is 7");
  });
});

describe("empty tensors: indices and reductions that have nothing to work on", () => {
  const e = zeros([0]);
  const e2 = zeros([2, 0]);

  it("max/min/argmax over an empty dim name the dim and the shape", () => {
    expectTypedError(() => e.max(), IndexError, "max", "dim 0 of size 0 (shape [0])");
    expectTypedError(() => e2.min(1), IndexError, "min", "dim 1 of size 0 (shape [2,0])");
    expectTypedError(() => e.argmax(), IndexError, "argmax", "size 0");
    expectTypedError(() => e2.amin(1), IndexError, "amin", "dim 1 of size 0");
  });

  it("indexing into an empty dim names the index and the size", () => {
    expectTypedError(() => e.select(0, 0), IndexError, "select", "index 0 is out of range for dim 0 of size 0");
    expectTypedError(() => e.narrow(0, 0, 1), ValueError, "narrow", "start 0 and length 1 exceed dim 0 of size 0");
    expectTypedError(() => e.indexSelect(0, tensor([0], { dtype: "int32" })), IndexError, "indexSelect", "index 0 is out of range for dim 0 of size 0");
    expectTypedError(() => e.gather(0, tensor([0], { dtype: "int32" })), IndexError, "gather", "index 0 is out of bounds for dimension of size 0");
    expectTypedError(() => e.item(), ValueError, "item", "got shape [0]");
  });

  it("empty ranges and lists", () => {
    expectTypedError(() => randint(0, 0, [0]), ValueError, "randint", "got 0, 0");
    expectTypedError(() => stack([]), ValueError, "stack", "non-empty list");
    expectTypedError(() => e.chunk(0), ValueError, "chunk", "got 0");
    // ...while empty shapes themselves are fine.
    expect(e2.slice(1, 0, 0).shape).toEqual([2, 0]);
    expect(randperm(0).shape).toEqual([0]);
    expect(arange(0).shape).toEqual([0]);
  });
});

describe("absurd sizes: refused up front with one error naming the limit (2^32 elements), never allocated", () => {
  const LIMIT = /more than the 4294967296 \(2\^32\) a tensor can hold/;

  it("creation functions", () => {
    expectTypedError(() => zeros([2 ** 53]), ValueError, "zeros", /shape \[9007199254740992\] has 9007199254740992 elements, more than the 4294967296/);
    expectTypedError(() => ones([65537, 65536]), ValueError, "ones", LIMIT);
    expectTypedError(() => full([2 ** 40], 1), ValueError, "full", LIMIT);
    expectTypedError(() => eye(65537), ValueError, "eye", /\[65537,65537\] has 4295098369 elements/);
    expectTypedError(() => arange(0, 2 ** 33), ValueError, "arange", LIMIT);
    expectTypedError(() => linspace(0, 1, 2 ** 33), ValueError, "linspace", LIMIT);
    expectTypedError(() => rand([2 ** 20, 2 ** 20]), ValueError, "rand", LIMIT);
    expectTypedError(() => randn([2 ** 33]), ValueError, "randn", LIMIT);
    expectTypedError(() => randint(0, 2, [2 ** 33]), ValueError, "randint", LIMIT);
    expectTypedError(() => randperm(2 ** 32 + 1, { dtype: "float64" }), ValueError, "randperm", LIMIT);
    expectTypedError(() => tensor([1], { shape: [2 ** 40, 2 ** 40] }), ValueError, "tensor", LIMIT);
    expectTypedError(() => ones([1]).newZeros([2 ** 33]), ValueError, "newFull", LIMIT);
  });

  it("results of ops: broadcasting, matmul, expand", () => {
    expectTypedError(() => zeros([65537, 1]).mul(zeros([1, 65536])), ValueError, "mul", /\[65537,65536\] has 4295032832 elements/);
    expectTypedError(() => zeros([65537, 1]).matmul(zeros([1, 65536])), ValueError, "matmul", LIMIT);
    expectTypedError(() => where(zeros([65537, 1]).gt(0), zeros([1, 65536]), 0), ValueError, "where", LIMIT);
    expectTypedError(() => ones([1]).expand(2 ** 33), ValueError, "expand", LIMIT);
    // A zero-size shape is fine however large its other dims.
    expect(zeros([0, 2 ** 40]).shape).toEqual([0, 2 ** 40]);
  });

  it("argmax/argmin/max/min/sort/argsort/topk over more than 2^31 elements: refused up front, an int32 index cannot reach the last one", () => {
    // Expanded views: no memory behind them, and the refusal comes before any work or copy.
    const long = zeros([1]).expand([2 ** 31 + 1]);
    const INT32 = /has 2147483649 elements, more than int32 indices can address \(the last index, 2147483648, is past 2147483647/;
    expectTypedError(() => long.argmax(), ValueError, "argmax", INT32);
    expectTypedError(() => long.argmin(0), ValueError, "argmin", INT32);
    expectTypedError(() => long.max(0), ValueError, "max", INT32);
    expectTypedError(() => long.min(-1, true), ValueError, "min", INT32);
    expectTypedError(() => long.sort(), ValueError, "sort", INT32);
    expectTypedError(() => long.argsort(0, true), ValueError, "argsort", INT32);
    expectTypedError(() => long.topk(1), ValueError, "topk", INT32);
    // Flattened: [65536, 32769] is 2^31 + 65536 elements, though each dim is small.
    const wide = zeros([1, 1]).expand([65536, 32769]);
    expectTypedError(() => wide.argmax(), ValueError, "argmax", /flattened input of shape \[65536,32769\] has 2147549184 elements/);
    expectTypedError(() => wide.argmin(undefined, true), ValueError, "argmin", /2147549184 elements/);
  });

  it("toArray/toFlatArray past what a JavaScript array holds are refused up front, naming the size", () => {
    const huge = zeros([1]).expand([2 ** 32]); // a view: nothing allocated
    expectTypedError(() => huge.toFlatArray(), ValueError, "toFlatArray", /shape \[4294967296\] has 4294967296 elements, more than a JavaScript array holds \(4294967295\)/);
    expectTypedError(() => zeros([1, 1]).expand([2, 2 ** 31]).toArray(), ValueError, "toArray", /shape \[2,2147483648\] has 4294967296 elements/);
  });

  it("host memory that cannot be had while reading a tensor is a ValueError naming the op and the size, not a bare RangeError", () => {
    // Fakes stand in for the engine's failures (an ArrayBuffer it cannot allocate, an array
    // longer than V8 builds, ~2^27 elements), which would take gigabytes to provoke for real.
    const t = zeros([2, 2]);
    const read = vi.spyOn(t.backend, "read").mockImplementation(() => {
      throw new RangeError("Array buffer allocation failed");
    });
    try {
      expectTypedError(() => t.toTypedArray(), ValueError, "toTypedArray", /the 4 elements of a float32 tensor of shape \[2,2\] into host memory \(Array buffer allocation failed\)/);
    } finally {
      read.mockRestore();
    }
    for (const [op, fn] of [["toFlatArray", () => t.toFlatArray()], ["toArray", () => t.toArray()]] as const) {
      const from = vi.spyOn(Array, "from").mockImplementation(() => {
        throw new RangeError("Invalid array length");
      });
      try {
        expectTypedError(fn, ValueError, op, /the 4 elements of a float32 tensor of shape \[2,2\] into host memory \(Invalid array length\)/);
      } finally {
        from.mockRestore();
      }
    }
    // Other errors pass through unchanged.
    const failing = vi.spyOn(t.backend, "read").mockImplementation(() => {
      throw new TypeError("not a memory problem");
    });
    try {
      expect(() => t.toTypedArray()).toThrow(TypeError);
    } finally {
      failing.mockRestore();
    }
    expect(t.toArray()).toEqual([[0, 0], [0, 0]]);
  });
});

describe("large creations are built in bounded chunks: no float64 staging array of the whole size", () => {
  let previous = "";
  afterEach(() => setBackend(previous));

  it("arange, linspace, rand, randn, randint, randperm, full, ones, eye pass the backend at most 65,536 values at a time", () => {
    previous = getBackend().name;
    const base = createCpuBackend() as unknown as Backend;
    let largest = 0;
    const spy: Backend = {
      ...base,
      name: "chunk-spy",
      fromValues(dtype, values) {
        largest = Math.max(largest, values.length);
        return base.fromValues(dtype, values);
      },
    };
    registerBackend(spy);
    setBackend("chunk-spy");
    const n = 200_003;
    const made = [
      arange(0, n), arange(0, n / 4, 0.25), linspace(-1, 1, n), rand([n]), randn([n]), randint(0, 7, [n]), randperm(n),
      full([n], 3), ones([n, 2]), eye(500),
    ];
    expect(largest).toBeLessThanOrEqual(65536);
    // ...and the chunks land where they belong.
    expect(made[0].slice(0, n - 3).toArray()).toEqual([n - 3, n - 2, n - 1]);
    expect(made[0].slice(0, 65535, 65538).toArray()).toEqual([65535, 65536, 65537]);
    expect(made[2].slice(0, 0, 1).item()).toBe(-1);
    expect(made[2].slice(0, n - 1).item()).toBe(1);
    const perm = made[6].toTypedArray();
    const seen = new Uint8Array(n);
    for (const v of perm) seen[v]++;
    expect(seen.every((c) => c === 1)).toBe(true);
    expect(made[9].sum().item()).toBe(500);
  });
});

describe("randperm's bucketed shuffle for large n is uniform and a permutation", () => {
  it("every permutation of 4 elements is equally likely through 2 and 4 buckets (chi-square, 24 classes)", () => {
    for (const bits of [1, 2]) {
      const g = new Generator(2024 + bits);
      const counts = new Map<string, number>();
      const draws = 24_000;
      for (let k = 0; k < draws; k++) {
        const key = randomPermutation(g, 4, bits).join("");
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      expect(counts.size).toBe(24);
      const expected = draws / 24;
      let chi2 = 0;
      for (const c of counts.values()) chi2 += (c - expected) ** 2 / expected;
      expect(chi2).toBeLessThan(49.7); // the 0.1% point of chi-square with 23 degrees of freedom
    }
  });

  it("each element lands in each position equally often (10 elements, 8 buckets); 1000 elements make a permutation", () => {
    const g = new Generator(7);
    const n = 10;
    const hits = new Float64Array(n * n);
    const draws = 20_000;
    for (let k = 0; k < draws; k++) {
      const p = randomPermutation(g, n, 3);
      for (let i = 0; i < n; i++) hits[i * n + p[i]]++;
    }
    let chi2 = 0;
    for (const h of hits) chi2 += (h - draws / n) ** 2 / (draws / n);
    expect(chi2).toBeLessThan(149.4); // the 0.1% point of chi-square with 81 degrees of freedom
    const big = randomPermutation(new Generator(8), 1000, 3);
    expect([...big].sort((a, b) => a - b)).toEqual([...Array(1000).keys()]);
  });
});

describe("WebAssembly memory that cannot be allocated (ulimit -v)", () => {
  it("falls back to the cpu backend with one warning; ops work; a too-large tensor is a typed out-of-memory error", () => {
    const root = fileURLToPath(new URL("../..", import.meta.url));
    const script = join(tempDir("wasm-memory"), "probe.ts");
    writeFileSync(
      script,
      `import { createWasmBackend, getBackend, ones, registerBackend, setBackend, wasmSimdSupported, zeros } from ${JSON.stringify(join(root, "packages/autograd/src/index.ts"))};
const report: Record<string, unknown> = { simd: wasmSimdSupported(), backend: getBackend().name };
report.sum = ones([1000]).exp().sum().item();
report.matmul = ones([100, 100]).matmul(ones([100, 100])).sum().item();
// A wasm backend made by hand runs the cpu kernels when its memory cannot be had.
registerBackend(createWasmBackend({ matmulMinMacs: 0, elementwiseMinSize: 0 }));
setBackend("wasm");
report.forced = ones([1000]).exp().sum().item();
if (process.env.TRY_BIG === "1") try {
  zeros([2 ** 30]);
  report.big = "allocated";
} catch (e) {
  report.big = (e as Error).constructor.name + ": " + (e as Error).message;
}
console.log("REPORT " + JSON.stringify(report));
`,
    );
    // tsx's own lexer is wasm too: under the limit it fails (an unhandled rejection) and tsx
    // parses in JS instead, so that rejection must only warn.
    const run = (limitKb: number | null) =>
      spawnSync("bash", ["-c", `${limitKb === null ? "" : `ulimit -v ${limitKb} && `}exec "$0" --unhandled-rejections=warn --import tsx "$1"`, process.execPath, script], {
        cwd: root,
        // Only under the limit does the script ask for 4 GiB, which the limit refuses at once.
        env: { ...process.env, TRY_BIG: limitKb === null ? "0" : "1" },
        encoding: "utf8",
        timeout: 120_000,
      });
    const parse = (out: string) => JSON.parse(out.split("\n").find((l) => l.startsWith("REPORT "))?.slice(7) ?? "null");

    const limited = run(4_000_000); // ~3.8 GiB of address space: plenty for JS, too little for a wasm memory
    expect(limited.status, limited.stderr).toBe(0);
    const report = parse(limited.stdout);
    expect(report.backend).toBe("cpu");
    expect(report.sum).toBeCloseTo(1000 * Math.E, 1);
    expect(report.matmul).toBe(1_000_000);
    expect(report.forced).toBeCloseTo(1000 * Math.E, 1);
    expect(report.big).toMatch(/^ValueError: zeros: out of memory allocating 4294967296 bytes for a float32 tensor of shape \[1073741824\]/);
    const warnings = limited.stderr.match(/TENSORGRAD_WASM_MEMORY/g) ?? [];
    expect(warnings.length, limited.stderr).toBe(1);
    expect(limited.stderr).toMatch(/WebAssembly memory could not be allocated \(.*\); using the cpu backend/);

    // Without the limit the same script runs on wasm, with no warning (the fallback is not the default).
    const free = run(null);
    expect(free.status, free.stderr).toBe(0);
    const control = parse(free.stdout);
    expect(control.backend).toBe(control.simd ? "wasm" : "cpu");
    expect(free.stderr).not.toMatch(/TENSORGRAD_WASM_MEMORY/);
  });
});
