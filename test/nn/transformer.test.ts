/**
 * MultiheadAttention, TransformerEncoderLayer, TransformerEncoder and RMSNorm against PyTorch:
 * state dicts saved by torch 1.13 as safetensors (test/goldens/attention.py) load unchanged and
 * reproduce PyTorch's outputs, attention weights and gradients (inputs and every parameter, by
 * PyTorch's names) in float64. RMSNorm (not in 1.13) against PyTorch 2.4's formula evaluated by
 * torch. Then float64 gradchecks, PyTorch's init and reprs, dropout, deep copies and the errors.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DTypeError, Generator, ShapeError, Tensor, ValueError, cat, grad, manualSeed, noGrad, ones, randn, tensor, zeros,
} from "@tensorgrad/autograd";
import { gradcheck } from "@tensorgrad/autograd/testing";
import { tensorArb, valuesArb } from "@tensorgrad/autograd/testing/arbitraries";
import {
  LayerNorm, Linear, MultiheadAttention, RMSNorm, TransformerEncoder, TransformerEncoderLayer, functional as F, generateSquareSubsequentMask,
  loadSafetensors, type AnyModule,
} from "@tensorgrad/nn";
import { decode, goldenValues, readGoldenBytes, readGoldens, type Encoded } from "../helpers/goldens.js";

interface Recorded {
  readonly module?: string;
  readonly inputs: Record<string, Encoded>;
  readonly out: Encoded;
  readonly weights?: Encoded;
  readonly gouts: Encoded[];
  readonly grads: Record<string, Encoded>;
  readonly paramGrads?: Record<string, Encoded>;
}

interface MhaCase extends Recorded {
  readonly selfAttention: boolean;
  readonly needWeights: boolean;
  readonly averageAttnWeights: boolean;
}

interface RmsCase extends Recorded {
  readonly normalizedShape: number[];
  readonly eps: number | null;
}

const goldens = readGoldens<{
  torch: string;
  mha: Record<string, MhaCase>;
  encoder: Record<string, Recorded>;
  rmsNorm: Record<string, RmsCase>;
  reprs: Record<string, string>;
}>("attention.json");

const tol = { rtol: 1e-10, atol: 1e-12 };
const f64 = { dtype: "float64" } as const;

/** Our module for each recorded state dict (PyTorch's constructor arguments, camelCased). */
const MODULES: Record<string, () => AnyModule> = {
  "mha-8x2.safetensors": () => new MultiheadAttention(8, 2, f64),
  "mha-6x3-kdim5-vdim4-biaskv-zeroattn-batchfirst.safetensors": () =>
    new MultiheadAttention(6, 3, { kdim: 5, vdim: 4, addBiasKv: true, addZeroAttn: true, batchFirst: true, ...f64 }),
  "mha-4x1-nobias-batchfirst.safetensors": () => new MultiheadAttention(4, 1, { bias: false, batchFirst: true, ...f64 }),
  "encoder-post-norm-relu.safetensors": () =>
    new TransformerEncoder(new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0.1, ...f64 }), 2, { norm: new LayerNorm(8, f64) }).eval(),
  "encoder-pre-norm-gelu-batchfirst.safetensors": () =>
    new TransformerEncoder(
      new TransformerEncoderLayer(8, 4, { dimFeedforward: 12, dropout: 0, activation: "gelu", layerNormEps: 1e-6, batchFirst: true, normFirst: true, ...f64 }),
      3,
    ),
  "encoder-layer-tanh.safetensors": () => new TransformerEncoderLayer(6, 2, { dimFeedforward: 10, dropout: 0, activation: (x) => x.tanh(), ...f64 }),
};

/** The module for a recorded file, with PyTorch's state dict loaded (strict: every name must match). */
function loaded<M extends AnyModule>(file: string): M {
  const module = MODULES[file]() as M;
  module.loadStateDict(loadSafetensors(readGoldenBytes(`attention/${file}`)));
  return module;
}

/** Compares outputs and the gradients of Σ out·gout (inputs and parameters) with the recording. */
function checkRecorded(name: string, c: Recorded, module: AnyModule, outs: Tensor[], leaves: Record<string, Tensor>): void {
  const recordedOuts = [c.out, ...(c.weights ? [c.weights] : [])];
  expect(outs.length).toBe(recordedOuts.length);
  outs.forEach((o, i) => {
    expect(o.shape, `${name}: shape of output ${i}`).toEqual(recordedOuts[i].shape);
    expect(o.toFlatArray(), `${name}: output ${i}`).toBeAllclose(goldenValues(recordedOuts[i]), tol);
  });
  const total = outs.map((o, i) => o.mul(decode(c.gouts[i])).sum()).reduce((a, b) => a.add(b));
  const named = module.namedParameters();
  const leafNames = Object.keys(c.grads);
  const grads = grad(total, [...leafNames.map((n) => leaves[n]), ...named.map(([, p]) => p)], { allowUnused: true });
  leafNames.forEach((n, i) => expect(grads[i].toFlatArray(), `${name}: gradient of ${n}`).toBeAllclose(goldenValues(c.grads[n]), tol));
  if (c.paramGrads === undefined) return;
  // Our parameters, by name and in order, are PyTorch's.
  expect(named.map(([n]) => n)).toEqual(Object.keys(c.paramGrads));
  named.forEach(([n], i) => expect(grads[leafNames.length + i].toFlatArray(), `${name}: gradient of ${n}`).toBeAllclose(goldenValues((c.paramGrads as Record<string, Encoded>)[n]), tol));
}

describe(`MultiheadAttention matches PyTorch ${goldens.torch} (state dicts from test/goldens/attention.py)`, () => {
  for (const [name, c] of Object.entries(goldens.mha)) {
    it(name, () => {
      const mha = loaded<MultiheadAttention>(c.module as string);
      const leaves: Record<string, Tensor> = {};
      for (const [k, e] of Object.entries(c.inputs)) leaves[k] = decode(e, "float64", true);
      const query = leaves.query;
      const [key, value] = c.selfAttention ? [query, query] : [leaves.key, leaves.value];
      // 1.13 has no isCausal: that case recorded PyTorch with the explicit causal mask, and we build it ourselves.
      const causal = name.startsWith("causal");
      const [out, weights] = mha.call(query, key, value, {
        keyPaddingMask: leaves.keyPaddingMask ?? null,
        attnMask: causal ? null : (leaves.attnMask ?? null),
        isCausal: causal,
        needWeights: c.needWeights,
        averageAttnWeights: c.averageAttnWeights,
      });
      expect(weights === null).toBe(!c.needWeights);
      checkRecorded(name, c, mha, weights === null ? [out] : [out, weights], leaves);
    });
  }
});

describe(`TransformerEncoder(Layer) matches PyTorch ${goldens.torch}`, () => {
  for (const [name, c] of Object.entries(goldens.encoder)) {
    const variants = name.includes("causal") ? ["mask", "isCausal instead of the mask"] : ["as recorded"];
    for (const variant of variants) {
      it(`${name} (${variant})`, () => {
        const module = loaded<AnyModule>(c.module as string);
        const src = decode(c.inputs.src, "float64", true);
        const mask = c.inputs.mask === undefined || variant.startsWith("isCausal") ? null : decode(c.inputs.mask);
        const srcKeyPaddingMask = c.inputs.src_key_padding_mask === undefined ? null : decode(c.inputs.src_key_padding_mask);
        const isCausal = variant.startsWith("isCausal");
        const out =
          module instanceof TransformerEncoder
            ? module.call(src, { mask, srcKeyPaddingMask, isCausal })
            : (module as TransformerEncoderLayer).call(src, { srcMask: mask, srcKeyPaddingMask, isCausal });
        checkRecorded(name, c, module, [out], { src });
      });
    }
  }

  it("the causal mask PyTorch's recordings used is generateSquareSubsequentMask", () => {
    const recorded = goldens.encoder["post-norm relu, causal mask and key padding"].inputs.mask;
    expect(generateSquareSubsequentMask(4, f64).toFlatArray()).toEqual(goldenValues(recorded));
    expect(generateSquareSubsequentMask(3).toArray()).toEqual([[0, -Infinity, -Infinity], [0, 0, -Infinity], [0, 0, 0]]);
  });
});

describe(`RMSNorm matches PyTorch 2.4's formula (evaluated by torch ${goldens.torch})`, () => {
  for (const [name, c] of Object.entries(goldens.rmsNorm)) {
    it(name, () => {
      const dtype = c.inputs.input.dtype;
      const input = decode(c.inputs.input, dtype, true);
      const norm = new RMSNorm(c.normalizedShape, { eps: c.eps, elementwiseAffine: c.inputs.weight !== undefined, dtype });
      if (c.inputs.weight !== undefined) norm.loadStateDict({ weight: decode(c.inputs.weight, dtype) });
      const out = norm.call(input);
      const t = dtype === "float64" ? tol : { rtol: 2e-6, atol: 1e-7 };
      expect(out.dtype).toBe(dtype);
      expect(out.toFlatArray()).toBeAllclose(goldenValues(c.out), t);
      const leaves = norm.weight === null ? [input] : [input, norm.weight];
      const grads = grad(out, leaves, { gradOutputs: decode(c.gouts[0], dtype) });
      expect(grads[0].toFlatArray()).toBeAllclose(goldenValues(c.grads.input), dtype === "float64" ? tol : { rtol: 1e-4, atol: 1e-4 });
      if (norm.weight !== null) expect(grads[1].toFlatArray()).toBeAllclose(goldenValues(c.grads.weight), dtype === "float64" ? tol : { rtol: 1e-4, atol: 1e-6 });
      // the functional form is the same computation
      expect(F.rmsNorm(input, c.normalizedShape, { weight: norm.weight, eps: c.eps })).toBeAllclose(out, { rtol: 0, atol: 0 });
    });
  }

  it("has PyTorch's parameter, defaults and repr", () => {
    const norm = new RMSNorm([3, 4]);
    expect(norm.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([["weight", [3, 4]]]);
    expect(norm.weight?.toFlatArray().every((v) => v === 1)).toBe(true);
    expect(norm.eps).toBeNull();
    expect(String(norm)).toBe("RMSNorm((3, 4), eps=None, elementwise_affine=True)");
    expect(String(new RMSNorm(4, { eps: 1e-5, elementwiseAffine: false }))).toBe("RMSNorm((4,), eps=1e-05, elementwise_affine=False)");
    expect(new RMSNorm(4, { elementwiseAffine: false }).parameters()).toEqual([]);
  });

  it("by hand: x / √(mean(x²) + eps)", () => {
    const x = tensor([[3, 4]], f64);
    // mean(x²) = 12.5
    expect(new RMSNorm(2, { eps: 0, ...f64 }).call(x)).toBeAllclose([[3 / Math.sqrt(12.5), 4 / Math.sqrt(12.5)]], { rtol: 1e-15 });
    expect(F.rmsNorm(x, [2], { eps: 0.5 })).toBeAllclose([[3 / Math.sqrt(13), 4 / Math.sqrt(13)]], { rtol: 1e-15 });
  });
});

describe("gradcheck in float64", () => {
  it("MultiheadAttention: query, key, value and a float mask, through the output and the per-head weights", () => {
    const mha = new MultiheadAttention(4, 2, { kdim: 3, addBiasKv: true, generator: new Generator(5), ...f64 });
    const padding = tensor([[false, false, true], [false, false, false]], { dtype: "bool" });
    const gradOn = { requiresGrad: true, min: -1, max: 1 } as const;
    fc.assert(
      fc.property(tensorArb([2, 2, 4], gradOn), tensorArb([3, 2, 3], gradOn), tensorArb([3, 2, 4], gradOn), tensorArb([2, 3], gradOn), (q, k, v, m) => {
        const fn = (qq: Tensor, kk: Tensor, vv: Tensor, mm: Tensor) => {
          const [out, w] = mha.call(qq, kk, vv, { attnMask: mm, keyPaddingMask: padding, averageAttnWeights: false });
          return cat([out.flatten(), (w as Tensor).flatten()]);
        };
        const report = gradcheck(fn, [q, k, v, m], { atol: 1e-6, rtol: 1e-4 });
        if (!report.ok) throw new Error(report.message);
      }),
      { numRuns: 10 },
    );
  });

  it("TransformerEncoderLayer (pre-norm, gelu, causal) and RMSNorm", () => {
    const layer = new TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0, activation: "gelu", normFirst: true, generator: new Generator(6), ...f64 });
    const norm = new RMSNorm(4, f64);
    // Spread apart by feature: LayerNorm is sharply curved where a row is nearly constant
    // (variance → 0 + eps), and fast-check likes equal values.
    const srcArb = valuesArb(24, { min: -0.5, max: 0.5 }).map((v) => tensor(v.map((x, i) => x + [-0.9, -0.3, 0.3, 0.9][i % 4]), { ...f64, shape: [3, 2, 4], requiresGrad: true }));
    fc.assert(
      fc.property(srcArb, (src) => {
        fc.pre(src.var(-1, { correction: 0 }).amin().item() > 0.02);
        const report = gradcheck((x) => norm.call(layer.call(x, { isCausal: true })), [src], { atol: 1e-6, rtol: 1e-4 });
        if (!report.ok) throw new Error(report.message);
      }),
      { numRuns: 10 },
    );
  });
});

describe("MultiheadAttention", () => {
  it("names its parameters as PyTorch (packed, separate kdim/vdim, bias_k/bias_v, no bias)", () => {
    const names = (m: AnyModule) => m.namedParameters().map(([n, p]) => `${n}[${p.shape}]`);
    expect(names(new MultiheadAttention(8, 2))).toEqual(["in_proj_weight[24,8]", "in_proj_bias[24]", "out_proj.weight[8,8]", "out_proj.bias[8]"]);
    expect(names(new MultiheadAttention(6, 3, { kdim: 5, vdim: 4, addBiasKv: true }))).toEqual([
      "q_proj_weight[6,6]", "k_proj_weight[6,5]", "v_proj_weight[6,4]", "in_proj_bias[18]", "bias_k[1,1,6]", "bias_v[1,1,6]", "out_proj.weight[6,6]", "out_proj.bias[6]",
    ]);
    expect(names(new MultiheadAttention(4, 1, { bias: false }))).toEqual(["in_proj_weight[12,4]", "out_proj.weight[4,4]"]);
  });

  it("prints as PyTorch", () => {
    expect(String(new MultiheadAttention(8, 2))).toBe(goldens.reprs["mha-8x2"]);
    expect(String(new MultiheadAttention(6, 3, { kdim: 5, vdim: 4, addBiasKv: true }))).toBe(goldens.reprs["mha-6x3"]);
    expect(String(new MultiheadAttention(4, 1, { bias: false }))).toBe(goldens.reprs["mha-4x1"]);
    expect(String(new TransformerEncoderLayer(6, 2, { dimFeedforward: 10, dropout: 0, activation: (x) => x.tanh() }))).toBe(goldens.reprs["encoder-layer-tanh"]);
  });

  it("initializes as PyTorch: xavier-uniform projections, zero biases, out_proj weight as Linear, xavier-normal bias_k", () => {
    const E = 64;
    const mha = new MultiheadAttention(E, 4, { addBiasKv: true, generator: new Generator(11), ...f64 });
    const w = mha.in_proj_weight as Tensor;
    const a = Math.sqrt(6 / (E + 3 * E)); // fanIn E, fanOut 3E
    expect(w.abs().amax().item()).toBeLessThanOrEqual(a);
    expect(w.abs().amax().item()).toBeGreaterThan(0.98 * a);
    expect(w.std().item()).toBeCloseTo(a / Math.sqrt(3), 2);
    expect((mha.in_proj_bias as Tensor).abs().amax().item()).toBe(0);
    expect((mha.out_proj.bias as Tensor).abs().amax().item()).toBe(0);
    const bound = 1 / Math.sqrt(E); // Linear's kaiming-uniform(a = √5) bound
    expect(mha.out_proj.weight.abs().amax().item()).toBeLessThanOrEqual(bound);
    expect(mha.out_proj.weight.abs().amax().item()).toBeGreaterThan(0.95 * bound);
    // bias_k [1, 1, E]: fanIn = fanOut = E, std = √(2/(2E))
    const both = cat([(mha.bias_k as Tensor).flatten(), (mha.bias_v as Tensor).flatten()]);
    expect(both.std().item()).toBeGreaterThan(0.7 / Math.sqrt(E));
    expect(both.std().item()).toBeLessThan(1.3 / Math.sqrt(E));
  });

  it("unbatched input gives unbatched output and weights; batchFirst transposes both ways", () => {
    manualSeed(3);
    const mha = new MultiheadAttention(4, 2, f64);
    const first = new MultiheadAttention(4, 2, { batchFirst: true, ...f64 });
    first.loadStateDict(mha.stateDict());
    const x = randn([3, 2, 4], f64); // [L, N, E]
    const [out, w] = mha.call(x, x, x);
    const [outB, wB] = first.call(x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1));
    expect(outB.transpose(0, 1)).toBeAllclose(out, { rtol: 1e-14, atol: 1e-15 });
    expect(wB).toBeAllclose(w as Tensor, { rtol: 1e-14, atol: 1e-15 });
    const [out1, w1] = mha.call(x.select(1, 0), x.select(1, 0), x.select(1, 0));
    expect(out1.shape).toEqual([3, 4]);
    expect(w1?.shape).toEqual([3, 3]);
    expect(out1).toBeAllclose(out.select(1, 0), { rtol: 1e-14, atol: 1e-15 });
  });

  it("dropout on the weights only in training, reproducible from its generator", () => {
    const make = () => new MultiheadAttention(4, 2, { dropout: 0.5, generator: new Generator(8), ...f64 });
    const x = randn([5, 2, 4], { ...f64, generator: new Generator(1) });
    const [a, wa] = make().call(x, x, x);
    const [b] = make().call(x, x, x);
    expect(a).toBeAllclose(b, { rtol: 0, atol: 0 });
    const zerosFound = (wa as Tensor).eq(0).any().item();
    expect(zerosFound).toBe(1);
    const m = make().eval();
    const plain = new MultiheadAttention(4, 2, { generator: new Generator(8), ...f64 });
    expect(m.call(x, x, x)[0]).toBeAllclose(plain.call(x, x, x)[0], { rtol: 0, atol: 0 });
  });

  it("isCausal without a mask equals the explicit causal mask, bool or float", () => {
    const mha = new MultiheadAttention(4, 2, { generator: new Generator(2), ...f64 });
    const x = randn([4, 1, 4], { ...f64, generator: new Generator(3) });
    const [causal, wc] = mha.call(x, x, x, { isCausal: true });
    const [byBool] = mha.call(x, x, x, { attnMask: ones([4, 4], { dtype: "bool" }).triu(1) });
    const [byFloat] = mha.call(x, x, x, { attnMask: generateSquareSubsequentMask(4, f64) });
    expect(causal).toBeAllclose(byBool, { rtol: 0, atol: 0 });
    expect(causal).toBeAllclose(byFloat, { rtol: 0, atol: 0 });
    expect((wc as Tensor).triu(1).abs().sum().item()).toBe(0); // no weight above the diagonal
  });

  it("a query whose keys are all masked gives NaN, as PyTorch", () => {
    const mha = new MultiheadAttention(4, 2, f64);
    const x = randn([2, 1, 4], f64);
    const [out] = mha.call(x, x, x, { keyPaddingMask: tensor([[true, true]], { dtype: "bool" }) });
    expect(out.isnan().all().item()).toBe(1);
  });

  it.each<[string, () => unknown, typeof ShapeError | typeof DTypeError | typeof ValueError, RegExp]>([
    ["embedDim not divisible", () => new MultiheadAttention(10, 3), ValueError, /MultiheadAttention: embedDim must be divisible by numHeads \(embedDim 10, numHeads 3\)/],
    ["dropout 2", () => new MultiheadAttention(4, 2, { dropout: 2 }), ValueError, /MultiheadAttention: dropout has to be between 0 and 1, but got 2/],
    ["4-d query", () => new MultiheadAttention(4, 2).call(zeros([1, 2, 3, 4]), zeros([1, 2, 3, 4]), zeros([1, 2, 3, 4])), ShapeError, /expected query of shape \[L, N, E\] or \[L, E\] \(unbatched\), got \[1,2,3,4\]/],
    ["wrong features", () => new MultiheadAttention(4, 2).call(zeros([3, 2, 5]), zeros([3, 2, 4]), zeros([3, 2, 4])), ShapeError, /expected query with 4 features \(embedDim\), got 5/],
    ["key 2-d with 3-d query", () => new MultiheadAttention(4, 2).call(zeros([3, 2, 4]), zeros([3, 4]), zeros([3, 4])), ShapeError, /for 3-d query \[3,2,4\], expected 3-d key and value/],
    ["batch sizes differ", () => new MultiheadAttention(4, 2).call(zeros([3, 2, 4]), zeros([3, 1, 4]), zeros([3, 1, 4])), ShapeError, /same batch size/],
    ["kdim", () => new MultiheadAttention(4, 2, { kdim: 3 }).call(zeros([3, 2, 4]), zeros([3, 2, 4]), zeros([3, 2, 4])), ShapeError, /expected key with 3 features \(kdim\), got 4/],
    ["padding mask shape", () => new MultiheadAttention(4, 2).call(zeros([3, 2, 4]), zeros([3, 2, 4]), zeros([3, 2, 4]), { keyPaddingMask: zeros([3, 2], { dtype: "bool" }) }), ShapeError, /expected keyPaddingMask of shape \[2,3\] \(\[N, S\]\), got \[3,2\]/],
    ["int32 padding mask", () => new MultiheadAttention(4, 2).call(zeros([3, 2, 4]), zeros([3, 2, 4]), zeros([3, 2, 4]), { keyPaddingMask: zeros([2, 3], { dtype: "int32" }) }), DTypeError, /keyPaddingMask must be bool or floating point, got int32/],
    ["2-d attnMask shape", () => new MultiheadAttention(4, 2).call(zeros([3, 2, 4]), zeros([5, 2, 4]), zeros([5, 2, 4]), { attnMask: zeros([3, 3]) }), ShapeError, /the 2-d attnMask must have shape \[3, 5\] \(\[L, S\]\), got \[3,3\]/],
    ["3-d attnMask shape", () => new MultiheadAttention(4, 2).call(zeros([3, 2, 4]), zeros([5, 2, 4]), zeros([5, 2, 4]), { attnMask: zeros([2, 3, 5]) }), ShapeError, /the 3-d attnMask must have shape \[4, 3, 5\]/],
    ["dtype mismatch", () => new MultiheadAttention(4, 2).call(zeros([3, 2, 4], f64), zeros([3, 2, 4], f64), zeros([3, 2, 4], f64)), DTypeError, /parameters' dtype float32, got float64/],
  ])("error: %s", (_, fn, type, message) => {
    expect(fn).toThrow(type);
    expect(fn).toThrow(message);
  });
});

describe("TransformerEncoder(Layer)", () => {
  it("copies the layer numLayers times: PyTorch's names, equal values, independent parameters", () => {
    const layer = new TransformerEncoderLayer(4, 2, { dimFeedforward: 8 });
    const encoder = new TransformerEncoder(layer, 3, { norm: new LayerNorm(4) });
    const names = encoder.namedParameters().map(([n]) => n);
    expect(names.slice(0, 4)).toEqual(["layers.0.self_attn.in_proj_weight", "layers.0.self_attn.in_proj_bias", "layers.0.self_attn.out_proj.weight", "layers.0.self_attn.out_proj.bias"]);
    expect(names).toContain("layers.2.norm2.bias");
    expect(names.slice(-2)).toEqual(["norm.weight", "norm.bias"]);
    expect(names.length).toBe(3 * 12 + 2);
    const first = encoder.layers.get(0);
    expect(first).not.toBe(layer);
    expect(first.linear1.weight).not.toBe(encoder.layers.get(1).linear1.weight);
    expect(first.linear1.weight).toBeAllclose(layer.linear1.weight, { rtol: 0, atol: 0 });
    noGrad(() => first.linear1.weight.mul_(0));
    expect(encoder.layers.get(1).linear1.weight.abs().sum().item()).toBeGreaterThan(0);
    expect(layer.linear1.weight.abs().sum().item()).toBeGreaterThan(0);
  });

  it("copies keep the layer's dtype, training mode and frozen parameters", () => {
    const layer = new TransformerEncoderLayer(4, 2, { dimFeedforward: 8 }).double().eval();
    layer.norm1.weight?.requiresGrad_(false);
    const encoder = new TransformerEncoder(layer, 2);
    const copy = encoder.layers.get(1);
    expect(copy.linear2.weight.dtype).toBe("float64");
    expect(copy.training).toBe(false);
    expect(copy.dropout.training).toBe(false);
    expect(copy.norm1.weight?.requiresGrad).toBe(false);
    expect(copy.norm2.weight?.requiresGrad).toBe(true);
  });

  it("a Module activation is registered as `activation`, as in PyTorch", async () => {
    const { GELU } = await import("@tensorgrad/nn");
    const layer = new TransformerEncoderLayer(4, 2, { activation: new GELU() });
    expect(layer.namedChildren().map(([n]) => n)).toEqual(["self_attn", "linear1", "dropout", "linear2", "norm1", "norm2", "dropout1", "dropout2", "activation"]);
    const x = randn([3, 2, 4]);
    layer.eval();
    const asString = new TransformerEncoderLayer(4, 2, { activation: "gelu" }).eval();
    asString.loadStateDict(layer.stateDict());
    expect(layer.call(x)).toBeAllclose(asString.call(x), { rtol: 0, atol: 0 });
  });

  it("dropout 0.1 in training changes the output; eval gives the deterministic one", () => {
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, generator: new Generator(4) });
    const x = randn([5, 2, 8], { generator: new Generator(5) });
    const trained = layer.call(x);
    layer.eval();
    const a = layer.call(x);
    expect(a).toBeAllclose(layer.call(x), { rtol: 0, atol: 0 });
    expect(trained.sub(a).abs().amax().item()).toBeGreaterThan(1e-3);
  });

  it.each<[string, () => unknown, typeof ShapeError | typeof ValueError, RegExp]>([
    ["bad activation", () => new TransformerEncoderLayer(4, 2, { activation: "tanh" as "relu" }), ValueError, /TransformerEncoderLayer: option activation must be one of "relu", "gelu" or a function or a Module, got "tanh"/],
    ["nhead not dividing dModel", () => new TransformerEncoderLayer(6, 4), ValueError, /MultiheadAttention: embedDim must be divisible by numHeads \(embedDim 6, numHeads 4\)/],
    ["src with the wrong width", () => new TransformerEncoderLayer(4, 2).call(zeros([3, 2, 5])), ShapeError, /TransformerEncoderLayer: expected src of shape \[L, N, dModel\] or \[L, dModel\] with dModel = 4, got \[3,2,5\]/],
    ["numLayers 0", () => new TransformerEncoder(new TransformerEncoderLayer(4, 2), 0), ValueError, /TransformerEncoder: numLayers must be an integer >= 1, got 0/],
    ["not a layer", () => new TransformerEncoder(new Linear(4, 4) as unknown as TransformerEncoderLayer, 2), ValueError, /TransformerEncoder: encoderLayer must be a TransformerEncoderLayer/],
    ["RMSNorm on the wrong trailing shape", () => new RMSNorm([3, 4]).call(zeros([2, 4, 3])), ShapeError, /RMSNorm: expected input with trailing shape \[3,4\], got \[2,4,3\]/],
    ["RMSNorm negative eps", () => new RMSNorm(3, { eps: -1 }), ValueError, /RMSNorm: eps must be a non-negative finite number, got -1/],
  ])("error: %s", (_, fn, type, message) => {
    expect(fn).toThrow(type);
    expect(fn).toThrow(message);
  });
});
