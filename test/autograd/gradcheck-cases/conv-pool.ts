/**
 * gradcheck cases of the convolution and pooling family (primitives conv2d, conv2dInputGrad,
 * conv2dWeightGrad, unfold, fold, maxPool2d, maxPool2dBackward, dropout and the composites built on them;
 * the smooth cases are also gradgradchecked, which runs the gradient primitives' own vjps), spread into OP_CASES (ops.ts).
 * Configurations are drawn at random and encoded in an int32 tensor, so each case stays a
 * function of tensors only.
 */

import fc from "fast-check";
import {
  Generator, adaptiveAvgPool2d, avgPool2d, conv1d, conv2d, convTranspose2d, dropout, fold, maxPool1d, maxPool2d, pad, tensor, unfold,
  type PadMode, type Tensor,
} from "@tensorgrad/autograd";
import { tensorArb } from "@tensorgrad/autograd/testing/arbitraries";
import { config } from "./config.js";

/** The shape of a case in gradcheck-ops.test.ts. */
export interface WindowOpCase {
  readonly name: string;
  readonly covers: readonly string[];
  readonly inputs: fc.Arbitrary<Tensor[]>;
  readonly fn: (...xs: Tensor[]) => Tensor;
  readonly smooth: boolean;
  readonly valid?: (...xs: Tensor[]) => boolean;
}

const grad = { requiresGrad: true } as const;
const ints = (values: number[]): Tensor => config(values);
const read = (t: Tensor): number[] => t.toFlatArray();

/** Values at least 2e-3 apart, so max pooling's choice stays put under a finite-difference step. */
const distinctArb = (shape: number[]): fc.Arbitrary<Tensor> => {
  const n = shape.reduce((a, b) => a * b, 1);
  return fc
    .uniqueArray(fc.integer({ min: -1000, max: 1000 }), { minLength: n, maxLength: n })
    .map((v) => tensor(v.map((i) => i / 500), { dtype: "float64" }).reshape(shape).requiresGrad_());
};

/** A conv configuration: groups, channels, kernel, stride, padding (−1: "same"), dilation, and sizes. */
const convConfig = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    groups: fc.integer({ min: 1, max: 2 }),
    cPer: fc.integer({ min: 1, max: 2 }),
    oPer: fc.integer({ min: 1, max: 2 }),
    h: fc.integer({ min: 3, max: 4 }),
    w: fc.integer({ min: 3, max: 5 }),
    kh: fc.integer({ min: 1, max: 3 }),
    kw: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 2 }),
    padding: fc.integer({ min: -1, max: 1 }),
    dilation: fc.integer({ min: 1, max: 2 }),
    bias: fc.boolean(),
  })
  .filter((c) => (c.padding !== -1 || c.stride === 1) && c.dilation * (c.kh - 1) < c.h && c.dilation * (c.kw - 1) < c.w);

const convOptions = (spec: Tensor) => {
  const [stride, padding, dilation, groups] = read(spec);
  return { stride, padding: padding === -1 ? ("same" as const) : padding, dilation, groups };
};

const PAD_MODES: readonly PadMode[] = ["constant", "reflect", "replicate", "circular"];

export const CONV_POOL_CASES: WindowOpCase[] = [
  {
    name: "conv2d (stride, padding incl. same, dilation, groups, bias)",
    covers: ["conv2d", "conv2dInputGrad", "conv2dWeightGrad"],
    smooth: true,
    inputs: convConfig.chain((c) =>
      fc
        .tuple(
          tensorArb([c.n, c.cPer * c.groups, c.h, c.w], grad),
          tensorArb([c.oPer * c.groups, c.cPer, c.kh, c.kw], grad),
          tensorArb([c.oPer * c.groups], grad),
        )
        .map(([x, w, b]) => [x, w, b, ints([c.stride, c.padding, c.dilation, c.groups, c.bias ? 1 : 0])]),
    ),
    fn: (x, w, b, spec) => conv2d(x, w, read(spec)[4] ? b : null, convOptions(spec)).add(b.sum().mul(0)),
  },
  {
    name: "conv1d and an unbatched conv2d",
    covers: ["conv2d"],
    smooth: true,
    inputs: convConfig.chain((c) =>
      fc
        .tuple(tensorArb([c.n, c.cPer * c.groups, c.w], grad), tensorArb([c.oPer * c.groups, c.cPer, c.kw], grad), tensorArb([c.cPer * c.groups, c.h, c.w], grad))
        .map(([x, w, img]) => [x, w, img, ints([c.stride, c.padding, c.dilation, c.groups])]),
    ),
    fn: (x, w, img, spec) => {
      const options = convOptions(spec);
      const y = conv1d(x, w, null, options);
      return y.sum().add(conv2d(img, w.unsqueeze(2), null, options).square().sum());
    },
  },
  {
    name: "convTranspose2d (stride, padding, outputPadding, groups, dilation)",
    covers: ["conv2dInputGrad"],
    smooth: true,
    inputs: fc
      .record({
        groups: fc.integer({ min: 1, max: 2 }),
        cPer: fc.integer({ min: 1, max: 2 }),
        oPer: fc.integer({ min: 1, max: 2 }),
        h: fc.integer({ min: 2, max: 3 }),
        w: fc.integer({ min: 2, max: 3 }),
        k: fc.integer({ min: 1, max: 3 }),
        stride: fc.integer({ min: 1, max: 2 }),
        padding: fc.integer({ min: 0, max: 1 }),
        dilation: fc.integer({ min: 1, max: 2 }),
        outputPadding: fc.integer({ min: 0, max: 1 }),
      })
      .filter(
        (c) =>
          (c.outputPadding < c.stride || c.outputPadding < c.dilation) &&
          [c.h, c.w].every((size) => (size - 1) * c.stride - 2 * c.padding + c.dilation * (c.k - 1) + c.outputPadding + 1 >= 1),
      )
      .chain((c) =>
        fc
          .tuple(tensorArb([1, c.cPer * c.groups, c.h, c.w], grad), tensorArb([c.cPer * c.groups, c.oPer, c.k, c.k], grad), tensorArb([c.oPer * c.groups], grad))
          .map(([x, w, b]) => [x, w, b, ints([c.stride, c.padding, c.outputPadding, c.groups, c.dilation])]),
      ),
    fn: (x, w, b, spec) => {
      const [stride, padding, outputPadding, groups, dilation] = read(spec);
      return convTranspose2d(x, w, b, { stride, padding, outputPadding, groups, dilation });
    },
  },
  {
    name: "unfold and fold",
    covers: ["unfold", "fold"],
    smooth: true,
    inputs: fc
      .record({ k: fc.integer({ min: 1, max: 2 }), stride: fc.integer({ min: 1, max: 2 }), padding: fc.integer({ min: 0, max: 1 }), dilation: fc.integer({ min: 1, max: 2 }) })
      .chain((c) => fc.tuple(tensorArb([1, 2, 4, 3], grad), fc.constant(c)))
      .map(([x, c]) => [x, ints([c.k, c.stride, c.padding, c.dilation])]),
    fn: (x, spec) => {
      const [k, stride, padding, dilation] = read(spec);
      const options = { stride, padding, dilation };
      const cols = unfold(x, k, options);
      return fold(cols.mul(cols), [4, 3], k, options);
    },
  },
  {
    name: "maxPool2d (stride, padding, dilation, ceilMode) and maxPool1d",
    covers: ["maxPool2d", "maxPool2dBackward"],
    smooth: true,
    inputs: fc
      .record({
        k: fc.integer({ min: 1, max: 3 }),
        stride: fc.integer({ min: 1, max: 2 }),
        padding: fc.integer({ min: 0, max: 1 }),
        dilation: fc.integer({ min: 1, max: 2 }),
        ceil: fc.boolean(),
      })
      .filter((c) => 2 * c.padding <= c.k && c.dilation * (c.k - 1) + 1 <= 4 + 2 * c.padding)
      .chain((c) => fc.tuple(distinctArb([2, 1, 5, 4]), fc.constant(c)))
      .map(([x, c]) => [x, ints([c.k, c.stride, c.padding, c.dilation, c.ceil ? 1 : 0])]),
    fn: (x, spec) => {
      const [k, stride, padding, dilation, ceil] = read(spec);
      const options = { stride, padding, dilation, ceilMode: ceil === 1 };
      return maxPool2d(x, k, options).sum().add(maxPool1d(x.reshape([2, 4, 5]), k, options).square().sum());
    },
  },
  {
    name: "avgPool2d (padding, ceilMode, countIncludePad, divisorOverride)",
    covers: ["unfold", "sum", "div"],
    smooth: true,
    inputs: fc
      .record({
        k: fc.integer({ min: 1, max: 3 }),
        stride: fc.integer({ min: 1, max: 2 }),
        padding: fc.integer({ min: 0, max: 1 }),
        ceil: fc.boolean(),
        includePad: fc.boolean(),
        override: fc.integer({ min: 0, max: 3 }),
      })
      .filter((c) => 2 * c.padding <= c.k)
      .chain((c) => fc.tuple(tensorArb([1, 2, 4, 5], grad), fc.constant(c)))
      .map(([x, c]) => [x, ints([c.k, c.stride, c.padding, c.ceil ? 1 : 0, c.includePad ? 1 : 0, c.override])]),
    fn: (x, spec) => {
      const [k, stride, padding, ceil, includePad, override] = read(spec);
      return avgPool2d(x, k, { stride, padding, ceilMode: ceil === 1, countIncludePad: includePad === 1, divisorOverride: override || null });
    },
  },
  {
    // The same seed each call gives the same mask, so the function is deterministic; the square
    // makes the gradient depend on x (gradgradcheck runs dropout's vjp, itself a dropout).
    name: "dropout (seeded mask, p drawn)",
    covers: ["dropout"],
    smooth: true,
    inputs: fc
      .tuple(tensorArb([2, 3, 4], grad), fc.integer({ min: 0, max: 1000 }), fc.constantFrom(0.2, 0.5, 0.75))
      .map(([x, seed, p]) => [x, config([seed, p], "float64")]),
    fn: (x, spec) => {
      const [seed, p] = read(spec);
      return dropout(x, p, new Generator(seed)).square();
    },
  },
  {
    name: "adaptiveAvgPool2d",
    covers: ["matmul"],
    smooth: true,
    inputs: fc
      .tuple(tensorArb([1, 2, 5, 3], grad), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }))
      .map(([x, oh, ow]) => [x, ints([oh, ow])]),
    fn: (x, spec) => adaptiveAvgPool2d(x, read(spec)),
  },
  {
    name: "pad (constant, reflect, replicate, circular; negative pads crop)",
    covers: ["sliceScatter", "gather", "slice"],
    smooth: true,
    inputs: fc
      .tuple(tensorArb([1, 2, 3, 4], grad), fc.integer({ min: 0, max: 3 }), fc.array(fc.integer({ min: -1, max: 2 }), { minLength: 4, maxLength: 4 }))
      .map(([x, mode, amounts]) => [x, ints([mode, ...amounts])]),
    fn: (x, spec) => {
      const [mode, ...amounts] = read(spec);
      return pad(x, amounts, { mode: PAD_MODES[mode], value: mode === 0 ? 0.5 : undefined }).square();
    },
  },
];
