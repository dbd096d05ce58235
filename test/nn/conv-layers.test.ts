/**
 * The convolution and pooling layers: a CNN saved by PyTorch 1.13 as safetensors
 * (test/goldens/conv_model.py) loads unchanged and reproduces PyTorch's output and repr; then
 * PyTorch's parameter layouts, default initialization, BatchNorm2d / GroupNorm / Dropout2d /
 * Unflatten by hand, and the argument errors.
 */

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Generator, ShapeError, ValueError, manualSeed, noGrad, ones, randn, tensor, type Tensor } from "@tensorgrad/autograd";
import {
  AdaptiveAvgPool2d, AvgPool2d, BatchNorm2d, Conv1d, Conv2d, ConvTranspose2d, Dropout2d, Flatten, GroupNorm, Linear, MaxPool1d,
  MaxPool2d, ReLU, Sequential, Unflatten, crossEntropy, functional as F, loadSafetensors, optim, readSafetensorsHeader,
} from "@tensorgrad/nn";

const golden = (name: string) => new URL(`../goldens/${name}`, import.meta.url);
const f64 = { dtype: "float64" as const };

/** The model of test/goldens/conv_model.py, layer for layer. */
function pytorchModel(): Sequential {
  return new Sequential(
    new Conv2d(1, 4, 3, { padding: 1 }),
    new BatchNorm2d(4),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(4, 6, 3, { padding: "same", paddingMode: "reflect", groups: 2, bias: false }),
    new GroupNorm(3, 6),
    new ReLU(),
    new ConvTranspose2d(6, 4, 2, { stride: 2 }),
    new AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
    new AdaptiveAvgPool2d([2, 3]),
    new Dropout2d(0.3),
    new Flatten(),
    new Linear(24, 5),
    new Unflatten(1, [1, 5]),
  );
}

describe("a CNN saved by PyTorch as safetensors", () => {
  const expected = JSON.parse(readFileSync(golden("conv_model.json"), "utf8")) as {
    input: { shape: number[]; data: number[] };
    output: { shape: number[]; data: number[] };
    repr: string;
    keys: string[];
  };
  const bytes = new Uint8Array(readFileSync(golden("conv_model.safetensors")));

  it("has PyTorch's state-dict keys, in PyTorch's order, and PyTorch's repr", () => {
    const model = pytorchModel();
    expect(Object.keys(model.stateDict())).toEqual(expected.keys);
    expect(model.toString()).toBe(expected.repr);
  });

  it("loads unchanged (int64 num_batches_tracked included) and reproduces PyTorch's eval output", () => {
    expect(readSafetensorsHeader(bytes).tensors["1.num_batches_tracked"].dtype).toBe("I64");
    const model = pytorchModel();
    const result = model.loadStateDict(loadSafetensors(bytes));
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect((model.get(1) as BatchNorm2d).numBatchesTracked?.item()).toBe(3);
    model.eval();
    const x = tensor(expected.input.data).reshape(expected.input.shape);
    const y = noGrad(() => model.call(x));
    expect(y.shape).toEqual(expected.output.shape);
    const want = tensor(expected.output.data).reshape(expected.output.shape);
    expect(y).toBeAllclose(want, { rtol: 1e-5, atol: 1e-6 });
    // ...and in float64, with the float32 weights widened.
    const y64 = noGrad(() => model.double().call(x.double()));
    expect(y64).toBeAllclose(want, { rtol: 1e-5, atol: 1e-6 });
  });
});

describe("safetensors I64 (PyTorch's int64)", () => {
  /** A file with one I64 tensor "n" of the given values. */
  function i64File(values: bigint[]): Uint8Array {
    let header = `{"n":{"dtype":"I64","shape":[${values.length}],"data_offsets":[0,${8 * values.length}]}}`;
    header += " ".repeat((8 - (header.length % 8)) % 8);
    const out = new Uint8Array(8 + header.length + 8 * values.length);
    const view = new DataView(out.buffer);
    view.setBigUint64(0, BigInt(header.length), true);
    for (let i = 0; i < header.length; i++) out[8 + i] = header.charCodeAt(i);
    values.forEach((v, i) => view.setBigInt64(8 + header.length + 8 * i, v, true));
    return out;
  }

  it("reads as int32 when every value fits, and names the tensor and value when one does not", () => {
    const t = loadSafetensors(i64File([3n, -7n, 2147483647n])).n;
    expect(t.dtype).toBe("int32");
    expect(t.toFlatArray()).toEqual([3, -7, 2147483647]);
    expect(() => loadSafetensors(i64File([1n, 2n ** 40n]))).toThrow('loadSafetensors: tensor "n": I64 value 1099511627776 does not fit in int32');
  });
});

describe("parameters: PyTorch's layouts and default initialization", () => {
  it("weight shapes: [out, in/groups, k…] for convolutions, [in, out/groups, kH, kW] transposed", () => {
    expect(new Conv1d(4, 6, 3, { groups: 2 }).weight.shape).toEqual([6, 2, 3]);
    expect(new Conv2d(4, 6, [3, 2]).weight.shape).toEqual([6, 4, 3, 2]);
    expect(new ConvTranspose2d(4, 6, 3, { groups: 2 }).weight.shape).toEqual([4, 3, 3, 3]);
    expect(new ConvTranspose2d(4, 6, 3).bias?.shape).toEqual([6]);
    expect(new Conv2d(4, 6, 3, { bias: false }).bias).toBeNull();
    expect(new Conv2d(1, 2, 3, f64).weight.dtype).toBe("float64");
    expect(Object.keys(new BatchNorm2d(3).stateDict())).toEqual(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
    expect(Object.keys(new GroupNorm(2, 4).stateDict())).toEqual(["weight", "bias"]);
    expect(new GroupNorm(2, 4, { affine: false }).parameters()).toEqual([]);
  });

  it("weight and bias are U(±1/√fanIn) with fanIn = weight.size(1)·Πkernel (kaiming_uniform, a = √5)", () => {
    const cases: [Conv2d | Conv1d | ConvTranspose2d, number][] = [
      [new Conv2d(8, 32, 3, { generator: new Generator(1) }), 8 * 9],
      [new Conv2d(8, 32, 3, { groups: 4, generator: new Generator(2) }), 2 * 9],
      [new Conv1d(6, 40, 5, { generator: new Generator(3) }), 6 * 5],
      [new ConvTranspose2d(16, 24, 3, { groups: 2, generator: new Generator(4) }), 12 * 9],
    ];
    for (const [layer, fanIn] of cases) {
      const bound = 1 / Math.sqrt(fanIn);
      for (const t of [layer.weight, layer.bias as Tensor]) {
        const values = t.toFlatArray();
        const max = Math.max(...values.map(Math.abs));
        expect(max).toBeLessThanOrEqual(bound);
        expect(max).toBeGreaterThan(0.8 * bound); // drawn across the whole range, not a narrower one
      }
      // U(−b, b) has variance b²/3: the weights (≥ 288 of them) agree within sampling error.
      const w = layer.weight.toFlatArray();
      const variance = w.reduce((s, v) => s + v * v, 0) / w.length;
      expect(variance / (bound * bound / 3)).toBeGreaterThan(0.8);
      expect(variance / (bound * bound / 3)).toBeLessThan(1.2);
    }
  });

  it("the same generator seed gives the same weights", () => {
    const a = new Conv2d(2, 3, 3, { generator: new Generator(7) });
    const b = new Conv2d(2, 3, 3, { generator: new Generator(7) });
    expect(a.weight.toFlatArray()).toEqual(b.weight.toFlatArray());
  });
});

describe("layers by hand", () => {
  it("Conv1d with circular padding sums each element's wrapped neighbours", () => {
    const conv = new Conv1d(1, 1, 3, { padding: 1, paddingMode: "circular", bias: false });
    conv.loadStateDict({ weight: ones([1, 1, 3]) });
    expect(conv.call(tensor([[[1, 2, 3, 4]]])).toArray()).toEqual([[[7, 6, 9, 8]]]);
    expect(conv.toString()).toBe("Conv1d(1, 1, kernel_size=(3,), stride=(1,), padding=(1,), bias=False, padding_mode=circular)");
  });

  it("ConvTranspose2d: outputSize picks the output padding (and is checked)", () => {
    const up = new ConvTranspose2d(2, 3, 3, { stride: 2, padding: 1 });
    const x = randn([1, 2, 4, 4]);
    expect(up.call(x).shape).toEqual([1, 3, 7, 7]);
    expect(up.forward(x, [8, 8]).shape).toEqual([1, 3, 8, 8]);
    expect(up.forward(x, [1, 3, 8, 7]).shape).toEqual([1, 3, 8, 7]);
    expect(() => up.forward(x, [9, 8])).toThrow("ConvTranspose2d: requested an output size of [9, 8], but valid sizes range from 7 to 8 along dim 0 (for an input of [4, 4])");
    expect(up.toString()).toBe("ConvTranspose2d(2, 3, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))");
  });

  it("BatchNorm2d normalizes per channel over N, H, W and updates the running stats (unbiased variance)", () => {
    const x = tensor([[[[1, 2], [3, 4]], [[0, 0], [2, 2]]], [[[5, 6], [7, 8]], [[4, 4], [6, 6]]]], f64);
    const bn = new BatchNorm2d(2, { ...f64, momentum: 0.5 });
    const y = bn.call(x);
    // channel 0: values 1..8, mean 4.5, biased var 5.25, unbiased 6; channel 1: 0,0,2,2,4,4,6,6 mean 3, var 5, unbiased 40/7
    const eps = 1e-5;
    expect(y.select(1, 0)).toBeAllclose(x.select(1, 0).sub(4.5).div(Math.sqrt(5.25 + eps)), { rtol: 1e-12 });
    expect(y.select(1, 1)).toBeAllclose(x.select(1, 1).sub(3).div(Math.sqrt(5 + eps)), { rtol: 1e-12 });
    expect(bn.runningMean).toBeAllclose([2.25, 1.5], { rtol: 1e-12 });
    expect(bn.runningVar).toBeAllclose([0.5 + 0.5 * 6, 0.5 + 0.5 * (40 / 7)], { rtol: 1e-12 });
    expect(bn.numBatchesTracked?.item()).toBe(1);
    expect(bn.toString()).toBe("BatchNorm2d(2, eps=1e-05, momentum=0.5, affine=True, track_running_stats=True)");
    expect(() => bn.call(x.select(0, 0))).toThrow("BatchNorm2d: expected 4D input (got 3D input [2,2,2])");
    expect(() => new BatchNorm2d(3).call(randn([2, 2, 2, 2]))).toThrow("BatchNorm2d: expected input with 3 channels at dim 1, got [2,2,2,2]");
  });

  it("GroupNorm normalizes each group of channels of each sample", () => {
    const x = tensor([[[1, 3], [5, 7], [0, 2], [0, 2]]], f64); // [1, 4, 2], 2 groups of 2 channels
    const gn = new GroupNorm(2, 4, f64);
    gn.loadStateDict({ weight: tensor([1, 2, 1, 1], f64), bias: tensor([0, 0, 0, 1], f64) });
    // group 0: 1, 3, 5, 7 (mean 4, var 5); group 1: 0, 2, 0, 2 (mean 1, var 1)
    const s0 = Math.sqrt(5 + 1e-5);
    const s1 = Math.sqrt(1 + 1e-5);
    expect(gn.call(x)).toBeAllclose([[[-3 / s0, -1 / s0], [2 / s0, 6 / s0], [-1 / s1, 1 / s1], [1 - 1 / s1, 1 + 1 / s1]]], { rtol: 1e-12 });
    expect(F.groupNorm(x, 4).shape).toEqual([1, 4, 2]);
    expect(() => gn.call(randn([1, 3, 2]))).toThrow("GroupNorm: expected input with 4 channels at dim 1, got [1,3,2]");
    expect(() => new GroupNorm(3, 4)).toThrow("GroupNorm: numChannels must be divisible by numGroups (4 % 3 != 0)");
    expect(() => F.groupNorm(randn([2, 6]), 4)).toThrow("groupNorm: expected the channels of input [2,6] (6) to be divisible by numGroups 4");
  });

  it("Dropout2d zeroes whole channels and scales the rest; identity in eval", () => {
    manualSeed(3);
    const drop = new Dropout2d(0.5);
    const x = ones([4, 8, 3, 3]);
    const y = drop.call(x);
    const perChannel = y.reshape([32, 9]).toArray() as number[][];
    for (const channel of perChannel) expect(new Set(channel).size).toBe(1); // all 0 or all 2
    const values = new Set(perChannel.map((c) => c[0]));
    expect(values).toEqual(new Set([0, 2]));
    drop.eval();
    expect(drop.call(x)).toBe(x);
    // 3-d input: [N, C, L], as PyTorch 1.13 reads it
    const z = new Dropout2d(0.5).call(ones([2, 6, 5])).reshape([12, 5]).toArray() as number[][];
    for (const row of z) expect(new Set(row).size).toBe(1);
    expect(() => new Dropout2d(1.5)).toThrow("Dropout2d: dropout probability has to be between 0 and 1, but got 1.5");
  });

  it("Unflatten splits one dim (inferring −1) and names bad sizes", () => {
    const x = randn([2, 12, 3]);
    expect(new Unflatten(1, [3, 4]).call(x).shape).toEqual([2, 3, 4, 3]);
    expect(new Unflatten(-1, [1, -1]).call(x).shape).toEqual([2, 12, 1, 3]);
    expect(() => new Unflatten(1, [5, 2]).call(x)).toThrow("Unflatten: sizes (5, 2) don't multiply up to the size of dim 1 (12) of input [2,12,3]");
    expect(() => new Unflatten(1, [-1, -1])).toThrow("Unflatten: only one size can be -1, got (-1, -1)");
  });

  it("pooling layers: returnIndices gives [values, indices]; reprs as PyTorch's", () => {
    const x = randn([1, 2, 6, 6]);
    const [v, i] = new MaxPool2d(2, { returnIndices: true }).call(x);
    expect(v.shape).toEqual([1, 2, 3, 3]);
    expect(i.dtype).toBe("int32");
    expect(new MaxPool1d(3, { stride: 2, padding: 1 }).call(x.reshape([2, 6, 6])).shape).toEqual([2, 6, 3]);
    expect(new MaxPool2d([3, 2], { stride: 1, ceilMode: true }).toString()).toBe("MaxPool2d(kernel_size=(3, 2), stride=1, padding=0, dilation=1, ceil_mode=True)");
    expect(new AvgPool2d(2).toString()).toBe("AvgPool2d(kernel_size=2, stride=2, padding=0)");
    expect(new AdaptiveAvgPool2d([null, 7]).toString()).toBe("AdaptiveAvgPool2d(output_size=(None, 7))");
    expect(new AdaptiveAvgPool2d(1).call(x).shape).toEqual([1, 2, 1, 1]);
  });
});

describe("argument errors name the layer or op and the values", () => {
  it("Conv2d on an input with the wrong channel count", () => {
    const conv = new Conv2d(3, 6, 5);
    const x = randn([8, 4, 28, 28]);
    expect(() => conv.call(x)).toThrow(ShapeError);
    expect(() => conv.call(x)).toThrow("conv2d: expected input [N, C, H, W] with C = 3, got [8,4,28,28]");
  });

  it("constructor arguments", () => {
    expect(() => new Conv2d(3, 6, 3, { groups: 2 })).toThrow("Conv2d: inChannels must be divisible by groups (3 % 2 != 0)");
    expect(() => new Conv2d(4, 6, 3, { groups: 4 })).toThrow("Conv2d: outChannels must be divisible by groups (6 % 4 != 0)");
    expect(() => new Conv2d(0, 6, 3)).toThrow(ValueError);
    expect(() => new Conv2d(3, 6, [3, 3, 3])).toThrow("Conv2d: kernelSize must be an integer >= 1 or 2 of them, got [3, 3, 3]");
    expect(() => new Conv2d(3, 6, 3, { stride: 2, padding: "same" })).toThrow('Conv2d: padding "same" is not supported for strided convolutions (stride (2, 2))');
    expect(() => new Conv2d(3, 6, 3, { padding: "full" as "same" })).toThrow('Conv2d: option padding must be a number or an array of numbers or one of "same", "valid", got "full"');
    expect(() => new Conv1d(3, 6, 3, { paddingMode: "wrap" as "circular" })).toThrow('Conv1d: option paddingMode must be one of "zeros", "reflect", "replicate", "circular", got "wrap"');
    expect(() => new ConvTranspose2d(3, 6, 3, { paddingMode: "reflect" as "zeros" })).toThrow('ConvTranspose2d: option paddingMode must be one of "zeros", got "reflect"');
    expect(() => new MaxPool2d(0)).toThrow("MaxPool2d: kernelSize must be an integer >= 1 or a list of them, got 0");
    expect(() => new AvgPool2d(2, { padding: -1 })).toThrow("AvgPool2d: padding must be an integer >= 0 or a list of them, got -1");
    expect(() => new AdaptiveAvgPool2d([2, 0])).toThrow("AdaptiveAvgPool2d: outputSize must be an integer >= 1 or 2 of them (null keeps the input's), got 2,0");
  });
});

describe("training", () => {
  it("a small CNN learns to tell horizontal from vertical bars", () => {
    manualSeed(0);
    const images: number[][][][] = [];
    const labels: number[] = [];
    for (let k = 0; k < 6; k++) {
      for (const vertical of [0, 1]) {
        const img = Array.from({ length: 6 }, (_, r) => Array.from({ length: 6 }, (_, c) => ((vertical ? c : r) === k ? 1 : 0)));
        images.push([img]);
        labels.push(vertical);
      }
    }
    const x = tensor(images);
    const y = tensor(labels, { dtype: "int32" });
    const model = new Sequential(
      new Conv2d(1, 4, 3, { padding: 1 }), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
      new Conv2d(4, 4, 3), new ReLU(), new AdaptiveAvgPool2d(1), new Flatten(), new Linear(4, 2),
    );
    const opt = new optim.Adam(model.parameters(), { lr: 0.05 });
    let first = 0;
    let last = 0;
    for (let step = 0; step < 40; step++) {
      opt.zeroGrad();
      const loss = crossEntropy(model.call(x), y);
      loss.backward();
      opt.step();
      if (step === 0) first = loss.item();
      last = loss.item();
    }
    expect(last).toBeLessThan(0.2 * first);
    model.eval();
    expect(model.call(x).argmax(1).toFlatArray()).toEqual(labels);
  });
});
