/**
 * Convolution, pooling, pad and unfold/fold against PyTorch 1.13: outputs, max-pool indices,
 * gradients and (for some cases) second-order gradients recorded in float64 by
 * test/goldens/conv_pool.py; the same cases in float32 to float32 accuracy. Then the hand-made
 * cases and the argument errors.
 */

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  DTypeError, ShapeError, Tensor, ValueError, adaptiveAvgPool2d, avgPool2d, conv1d, conv2d, convTranspose2d, fold, grad,
  maxPool1d, maxPool2d, pad, tensor, unfold, type DType, type PadMode,
} from "@tensorgrad/autograd";

interface Encoded {
  readonly shape: number[];
  readonly data: number[];
}

interface GoldenCase {
  readonly name: string;
  readonly op: string;
  readonly args: Record<string, unknown>;
  readonly extra: Record<string, unknown>;
  readonly inputs: Record<string, Encoded>;
  readonly output: Encoded;
  readonly gradOutput: Encoded;
  readonly grads: Record<string, Encoded>;
  readonly indices?: Encoded;
  readonly second?: { readonly r: Record<string, Encoded>; readonly grads: Record<string, Encoded> };
}

const goldens = JSON.parse(readFileSync(new URL("../goldens/conv_pool.json", import.meta.url), "utf8")) as { torch: string; cases: GoldenCase[] };

type Size = number | number[];
type Call = (t: Record<string, Tensor>, args: never, extra: never) => Tensor | [Tensor, Tensor];

/** How each recorded op is called here: the recorded options are tensorgrad's option objects. */
const CALLS: Record<string, Call> = {
  conv1d: (t, a: object) => conv1d(t.input, t.weight, t.bias ?? null, a),
  conv2d: (t, a: object) => conv2d(t.input, t.weight, t.bias ?? null, a),
  convTranspose2d: (t, a: object) => convTranspose2d(t.input, t.weight, t.bias ?? null, a),
  maxPool1d: (t, a: object, e: { kernelSize: Size }) => maxPool1d(t.input, e.kernelSize, a),
  maxPool2d: (t, a: object, e: { kernelSize: Size }) => maxPool2d(t.input, e.kernelSize, a),
  avgPool2d: (t, a: object, e: { kernelSize: Size }) => avgPool2d(t.input, e.kernelSize, a),
  adaptiveAvgPool2d: (t, _a: object, e: { outputSize: number | (number | null)[] }) => adaptiveAvgPool2d(t.input, e.outputSize),
  pad: (t, _a: object, e: { pad: number[]; mode: PadMode; value?: number }) => pad(t.input, e.pad, { mode: e.mode, value: e.value }),
  unfold: (t, a: object, e: { kernelSize: Size }) => unfold(t.input, e.kernelSize, a),
  fold: (t, a: object, e: { outputSize: Size; kernelSize: Size }) => fold(t.input, e.outputSize, e.kernelSize, a),
};

const decode = (e: Encoded, dtype: DType, requiresGrad = false): Tensor => tensor(e.data, { dtype }).reshape(e.shape).requiresGrad_(requiresGrad);

function run(c: GoldenCase, dtype: DType): { inputs: Record<string, Tensor>; out: Tensor; indices: Tensor | null } {
  const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, decode(v, dtype, true)]));
  const result = CALLS[c.op](inputs, c.args as never, c.extra as never);
  const [out, indices] = Array.isArray(result) ? result : [result, null];
  return { inputs, out, indices };
}

const F64 = { rtol: 1e-10, atol: 1e-12 };
const F32 = { rtol: 2e-4, atol: 2e-5 };

describe(`matches PyTorch ${goldens.torch} (test/goldens/conv_pool.py)`, () => {
  it("has cases for every op", () => {
    expect(new Set(goldens.cases.map((c) => c.op))).toEqual(new Set(Object.keys(CALLS)));
  });

  describe.each(goldens.cases.map((c) => [c.name, c] as const))("%s", (_, c) => {
    it("float64: output, indices and gradients", () => {
      const { inputs, out, indices } = run(c, "float64");
      expect(out.dtype).toBe("float64");
      expect(out).toBeAllclose(decode(c.output, "float64"), F64);
      if (c.indices) {
        expect(indices?.dtype).toBe("int32");
        expect(indices?.shape).toEqual(c.indices.shape);
        expect(indices?.toFlatArray()).toEqual(c.indices.data);
      }
      out.backward(decode(c.gradOutput, "float64"));
      for (const [k, g] of Object.entries(c.grads)) expect(inputs[k].grad, `grad of ${k}`).toBeAllclose(decode(g, "float64"), F64);
    });

    it("float32: output and gradients", () => {
      const { inputs, out } = run(c, "float32");
      expect(out.dtype).toBe("float32");
      expect(out).toBeAllclose(decode(c.output, "float64"), F32);
      out.backward(decode(c.gradOutput, "float32"));
      for (const [k, g] of Object.entries(c.grads)) expect(inputs[k].grad, `grad of ${k}`).toBeAllclose(decode(g, "float64"), F32);
    });

    if (c.second) {
      const second = c.second;
      it("float64: second-order gradients", () => {
        const { inputs, out } = run(c, "float64");
        const names = Object.keys(c.grads);
        const seed = decode(c.gradOutput, "float64", true);
        const firsts = grad(out.mul(seed).sum(), names.map((k) => inputs[k]), { createGraph: true });
        const total = firsts.map((g, i) => g.mul(decode(second.r[names[i]], "float64")).sum()).reduce((a, b) => a.add(b));
        const wrt = [...names.map((k) => inputs[k]), seed];
        const seconds = grad(total, wrt, { allowUnused: true });
        [...names, "gradOutput"].forEach((k, i) => expect(seconds[i], `second-order grad of ${k}`).toBeAllclose(decode(second.grads[k], "float64"), F64));
      });
    }
  });
});

describe("hand-computed cases", () => {
  it("conv2d of a 3×3 image with a 2×2 kernel, by hand", () => {
    const x = tensor([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]);
    const w = tensor([[[[1, 0], [0, -1]]]]);
    // out[i][j] = x[i][j] − x[i+1][j+1] = −4 everywhere
    expect(conv2d(x, w, tensor([0.5])).toArray()).toEqual([[[[-3.5, -3.5], [-3.5, -3.5]]]]);
  });

  it("maxPool2d picks each window's maximum and its flat index", () => {
    const x = tensor([[[[1, 5, 2, 0], [3, 4, 8, 1], [0, 0, 1, 1], [9, 0, 1, 2]]]]);
    const [v, i] = maxPool2d(x, 2, { returnIndices: true });
    expect(v.toArray()).toEqual([[[[5, 8], [9, 2]]]]);
    expect(i.toArray()).toEqual([[[[1, 6], [12, 15]]]]);
  });

  it("maxPool2d: NaN wins its window; -inf input stays -inf", () => {
    const x = tensor([[[[1, NaN, 2, -Infinity], [3, 4, -Infinity, -Infinity]]]]);
    const [v, i] = maxPool2d(x, 2, { returnIndices: true });
    expect(v.toFlatArray()).toEqual([NaN, 2]);
    expect(i.toFlatArray()).toEqual([1, 2]);
  });

  it("avgPool2d with and without the padding in the divisor", () => {
    const x = tensor([[[[1, 2], [3, 4]]]]);
    // Window at (0,0) with padding 1 covers only x[0][0] = 1: 1/4 with the pad counted, 1/1 without.
    expect(avgPool2d(x, 2, { padding: 1 }).toArray()).toEqual([[[[0.25, 0.5], [0.75, 1]]]]);
    expect(avgPool2d(x, 2, { padding: 1, countIncludePad: false }).toArray()).toEqual([[[[1, 2], [3, 4]]]]);
  });

  it("pad reflect and replicate, by hand", () => {
    const x = tensor([[[1, 2, 3]]]);
    expect(pad(x, [2, 1], "reflect").toArray()).toEqual([[[3, 2, 1, 2, 3, 2]]]);
    expect(pad(x, [2, 1], "replicate").toArray()).toEqual([[[1, 1, 1, 2, 3, 3]]]);
    expect(pad(x, [2, 1], "circular").toArray()).toEqual([[[2, 3, 1, 2, 3, 1]]]);
    expect(pad(x, [1, -1], "constant", 7).toArray()).toEqual([[[7, 1, 2]]]);
  });

  it("pad keeps int32 and bool dtypes and returns a new tensor when nothing is padded", () => {
    const x = tensor([[1, 2]], { dtype: "int32" });
    expect(pad(x, [1, 0], { value: 5 }).toArray()).toEqual([[5, 1, 2]]);
    expect(pad(x, [1, 0]).dtype).toBe("int32");
    const same = pad(x, [0, 0]);
    expect(same).not.toBe(x);
    expect(same.toArray()).toEqual([[1, 2]]);
  });

  it("fold(unfold(x)) multiplies each pixel by the number of blocks covering it", () => {
    const x = tensor([[[[1, 1, 1], [1, 1, 1], [1, 1, 1]]]]);
    expect(fold(unfold(x, 2), 3, 2).toArray()).toEqual([[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]]);
  });

  it("conv layers see no gradient for input that was never read (stride larger than kernel)", () => {
    const x = tensor([[[1, 2, 3, 4, 5]]], { dtype: "float64", requiresGrad: true });
    const w = tensor([[[1]]], { dtype: "float64" });
    conv1d(x, w, null, { stride: 3 }).sum().backward();
    expect(x.grad?.toArray()).toEqual([[[1, 0, 0, 1, 0]]]);
  });
});

describe("argument errors name the op and the values", () => {
  const x = tensor(new Array(8 * 4 * 28 * 28).fill(0)).reshape([8, 4, 28, 28]);

  it("conv2d: channel mismatch, bad rank, groups, dtype, bias, same with stride", () => {
    const w = tensor(new Array(6 * 3 * 5 * 5).fill(0)).reshape([6, 3, 5, 5]);
    expect(() => conv2d(x, w)).toThrow(ShapeError);
    expect(() => conv2d(x, w)).toThrow("conv2d: expected input [N, C, H, W] with C = 3, got [8,4,28,28]");
    expect(() => conv2d(x.reshape([8, 3136]), w)).toThrow("conv2d: expected input [N, C, H, W] (or without the batch dim), got [8,3136]");
    // a 3-d input is one unbatched image [C, H, W], as in PyTorch
    expect(() => conv2d(x.reshape([8, 4, 784]), w)).toThrow("conv2d: expected input [N, C, H, W] with C = 3, got [8,4,784]");
    expect(() => conv2d(x, w.reshape([6, 75]))).toThrow("conv2d: expected weight [outChannels, inChannels/groups, kH, kW], got [6,75]");
    expect(() => conv2d(x, w, null, { groups: 4 })).toThrow("conv2d: out channels 6 must be divisible by groups 4");
    expect(() => conv2d(x, w, null, { groups: 0 })).toThrow("conv2d: groups must be a positive integer, got 0");
    expect(() => conv2d(x, w.double())).toThrow(DTypeError);
    expect(() => conv2d(x, w.double())).toThrow("conv2d: input (float32) and weight (float64) must have the same dtype");
    expect(() => conv2d(x.int(), w)).toThrow("conv2d: input must be float32 or float64, got int32");
    expect(() => conv2d(x, null as unknown as Tensor)).toThrow("conv2d: weight must be a Tensor, got null");
    // options passed where the bias goes
    expect(() => conv2d(x, w, { stride: 2 } as unknown as Tensor)).toThrow("conv2d: bias must be a Tensor, got object");
    expect(() => maxPool2d([1, 2] as unknown as Tensor, 2)).toThrow("maxPool2d: input must be a Tensor, got object");
    const w4 = tensor(new Array(6 * 4 * 5 * 5).fill(0)).reshape([6, 4, 5, 5]);
    expect(() => conv2d(x, w4, tensor([1, 2]))).toThrow("conv2d: expected bias of shape [6], got [2]");
    expect(() => conv2d(x, w4, null, { stride: 2, padding: "same" })).toThrow('conv2d: padding "same" is not supported for strided convolutions (stride (2, 2))');
    expect(() => conv2d(x, w4, null, { stride: 0 })).toThrow("conv2d: stride must be an integer >= 1 or 2 of them, got 0");
    expect(() => conv2d(x, w4, null, { padding: [1, 2, 3] })).toThrow("conv2d: padding must be an integer >= 0 or 2 of them, got [1, 2, 3]");
    expect(() => conv2d(x.narrow(2, 0, 3), w4)).toThrow("conv2d: kernel size (5, 5) (dilated) is larger than the padded input (3, 28) (input [8,4,3,28])");
  });

  it("convTranspose2d: channels and outputPadding", () => {
    const w = tensor(new Array(3 * 2 * 3 * 3).fill(0)).reshape([3, 2, 3, 3]);
    expect(() => convTranspose2d(x, w)).toThrow("convTranspose2d: expected input [N, C, H, W] with C = 3, got [8,4,28,28]");
    const w4 = tensor(new Array(4 * 2 * 3 * 3).fill(0)).reshape([4, 2, 3, 3]);
    expect(() => convTranspose2d(x, w4, null, { outputPadding: 1 })).toThrow(
      "convTranspose2d: outputPadding must be smaller than either stride or dilation, got outputPadding (1, 1), stride (1, 1), dilation (1, 1)",
    );
    expect(() => convTranspose2d(x, w4, null, { groups: 3 })).toThrow("convTranspose2d: in channels 4 must be divisible by groups 3");
  });

  it("pooling: padding too large, output too small, bad kernel", () => {
    expect(() => maxPool2d(x, 3, { padding: 2 })).toThrow(ValueError);
    expect(() => maxPool2d(x, 3, { padding: 2 })).toThrow("maxPool2d: padding should be at most half of the kernel size, got padding (2, 2) and kernelSize (3, 3)");
    expect(() => maxPool2d(x.narrow(3, 0, 2), 3)).toThrow("maxPool2d: output size is too small: input [8,4,28,2] gives spatial output (9, 0)");
    expect(() => maxPool1d(x, 2)).toThrow("maxPool1d: expected input [N, C, L] (or without the batch dim), got [8,4,28,28]");
    expect(() => avgPool2d(x, 0)).toThrow("avgPool2d: kernelSize must be an integer >= 1 or 2 of them, got 0");
    expect(() => avgPool2d(x, 2, { divisorOverride: 0 })).toThrow("avgPool2d: divisorOverride must be a non-zero number, got 0");
    expect(() => adaptiveAvgPool2d(x, [2, 0])).toThrow("adaptiveAvgPool2d: outputSize must be an integer >= 1 or 2 of them, got [2, 0]");
  });

  it("pad: odd lengths, too many dims, reflect beyond the size, modes", () => {
    const t = tensor([[[1, 2, 3]]]);
    expect(() => pad(t, [1])).toThrow("pad: pad length must be divisible by 2, got 1 ([1])");
    expect(() => pad(t, [1, 1, 1, 1, 1, 1, 1, 1])).toThrow("pad: pad [1, 1, 1, 1, 1, 1, 1, 1] covers 4 dims, but input [1,1,3] has 3");
    expect(() => pad(t, [3, 0], "reflect")).toThrow("pad: reflect padding (3, 0) must be less than the size of dim 2 of input [1,1,3]");
    expect(() => pad(t, [4, 0], "circular")).toThrow("pad: circular padding (4, 0) must be at most the size of dim 2 of input [1,1,3]");
    expect(() => pad(t, [1, 1, 1, 1, 1, 1], "reflect")).toThrow('pad: "reflect" padding of the last 3 dims expects a 4-d or 5-d input, got [1,1,3]');
    expect(() => pad(t, [1, 1], { mode: "wrap" as PadMode })).toThrow('pad: mode must be one of "constant", "reflect", "replicate", "circular", got "wrap"');
    expect(() => pad(t, [-2, -2])).toThrow("pad: padding (-2, -2) of dim 2 (size 3) gives a negative size -1");
  });

  it("unfold/fold: blocks and sizes", () => {
    expect(() => unfold(x.narrow(2, 0, 2), 3)).toThrow(
      "unfold: spatial size (2, 28) with kernelSize (3, 3), dilation (1, 1), padding (0, 0), stride (1, 1) gives (0, 26) sliding blocks; each must be at least 1",
    );
    const cols = tensor(new Array(2 * 12 * 8).fill(0)).reshape([2, 12, 8]);
    expect(() => fold(cols, [5, 6], 2)).toThrow("fold: outputSize (5, 6) has 4 * 5 = 20 sliding blocks, but input [2,12,8] has 8");
    expect(() => fold(cols, [5, 6], 5)).toThrow("fold: expected input's dim 1 to be divisible by the kernel size product 25, got [2,12,8]");
  });
});
