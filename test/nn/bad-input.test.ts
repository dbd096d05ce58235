/**
 * The nn half of the bad-input suite: every malformed call to an optimizer, layer, loss, state
 * dict, dataset, CSV reader or safetensors reader is a typed error whose message names the
 * operation and the offending value — never a silent result, a NaN, or a RangeError/TypeError
 * from deep inside. Each case asserts the error CLASS and the words of the message. The last
 * block is a fast-check property that corrupts valid safetensors files.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DTypeError, IndexError, ShapeError, Tensor, TensorgradError, ValueError, tensor, zeros, type DType } from "@tensorgrad/autograd";
import {
  AvgPool2d, BCELoss, BCEWithLogitsLoss, BatchNorm1d, BatchNorm2d, Conv2d, ConvTranspose2d, CrossEntropyLoss, DataLoader, Dropout, Dropout2d, Embedding, GELU, GRUCell,
  GroupNorm, HuberLoss, LSTM, LayerNorm, Linear, MSELoss, MaxPool2d, Module, MultiheadAttention, NLLLoss, RMSNorm, RNN, Sequential, SmoothL1Loss, StateDictError,
  Subset, TensorDataset, TransformerEncoder, TransformerEncoderLayer, functional as F, generateSquareSubsequentMask, init, loadSafetensors, optim, parseCsv,
  randomSplit, saveSafetensors,
} from "@tensorgrad/nn";
import { readCsv } from "@tensorgrad/nn/node";

type ErrorClass = abstract new (...args: never[]) => TensorgradError;

/** Runs `fn` and checks it throws an instance of `cls` whose message contains every part. */
function expectError(fn: () => unknown, cls: ErrorClass, ...parts: string[]): void {
  let error: unknown = null;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error, "expected an error").not.toBeNull();
  expect(error, `expected ${cls.name}, got ${String(error)}`).toBeInstanceOf(cls);
  for (const part of parts) expect((error as Error).message).toContain(part);
}

/** A float32 parameter with a gradient of ones. */
function param(shape: number[] = [2]): Tensor {
  const p = zeros(shape, { requiresGrad: true });
  p.grad = zeros(shape).add(1);
  return p;
}

// ---------------------------------------------------------------- optimizers

describe("optimizers", () => {
  const makers: [string, (params: Tensor[], options: Record<string, unknown>) => optim.Optimizer][] = [
    ["SGD", (ps, o) => new optim.SGD(ps, o)],
    ["Adam", (ps, o) => new optim.Adam(ps, o)],
    ["AdamW", (ps, o) => new optim.AdamW(ps, o)],
    ["RMSprop", (ps, o) => new optim.RMSprop(ps, o)],
    ["Adagrad", (ps, o) => new optim.Adagrad(ps, o)],
  ];

  it.each(makers)("%s rejects an unknown option, naming the optimizer, the option and its value", (name, make) => {
    expectError(() => make([param()], { lrr: 0.1 }), ValueError, `${name}: unknown option "lrr" (0.1); known: lr,`);
  });

  it.each(makers)("%s rejects an option of the wrong type", (name, make) => {
    expectError(() => make([param()], { lr: "0.1" }), ValueError, `${name}: option lr must be a number, got "0.1"`);
    expectError(() => make([param()], { maximize: "yes" }), ValueError, `${name}: option maximize must be a boolean, got "yes"`);
    expectError(() => make([param()], null as unknown as Record<string, unknown>), ValueError, `${name}: options must be an object, got null`);
  });

  it.each(makers)("%s checks parameter groups and addParamGroup the same way", (name, make) => {
    const bad = [{ params: [param()], lrr: 0.1 }] as unknown as Tensor[];
    expectError(() => make(bad, {}), ValueError, `${name}: unknown parameter group option "lrr" (0.1)`);
    const opt = make([param()], {});
    expectError(() => opt.addParamGroup({ params: [param()], lr: [0.1] } as never), ValueError, `${name}: parameter group option lr must be a number, got [0.1]`);
    expect(opt.paramGroups).toHaveLength(1);
  });

  it("Adam's amsgrad: \"yes\" and betas of strings are refused; undefined means the default", () => {
    expectError(() => new optim.Adam([param()], { amsgrad: "yes" as unknown as boolean }), ValueError, 'Adam: option amsgrad must be a boolean, got "yes"');
    expectError(() => new optim.Adam([param()], { betas: ["0.9", "0.99"] as unknown as [number, number] }), ValueError, 'Adam: option betas must be an array of numbers, got ["0.9", "0.99"]');
    expect(new optim.Adam([param()], { lr: undefined }).defaults.lr).toBe(1e-3);
    expect(new optim.Adam([{ params: [param()], lr: undefined }], { lr: 0.5 }).paramGroups[0].lr).toBe(0.5);
  });

  it("loadStateDict checks the options of the loaded groups", () => {
    const opt = new optim.SGD([param()], { lr: 0.1 });
    const sd = opt.stateDict();
    const withUnknown = { ...sd, paramGroups: [{ ...sd.paramGroups[0], lrr: 0.5 }] };
    expectError(() => opt.loadStateDict(withUnknown), ValueError, 'SGD.loadStateDict: unknown parameter group 0 option "lrr" (0.5)');
    const wrongType = { ...sd, paramGroups: [{ ...sd.paramGroups[0], nesterov: "no" }] };
    expectError(() => opt.loadStateDict(wrongType), ValueError, 'SGD.loadStateDict: parameter group 0 option nesterov must be a boolean, got "no"');
    expectError(() => opt.loadStateDict({ state: {}, paramGroups: [null] } as never), ValueError, "SGD.loadStateDict: parameter group 0 is not an object (null)");
    expectError(() => opt.loadStateDict({ state: { 0: null }, paramGroups: sd.paramGroups } as never), ValueError, "SGD.loadStateDict: the state of parameter 0 is not an object (null)");
    expect(opt.paramGroups[0].lr).toBe(0.1);
  });

  it("a .grad of another shape, dtype or kind is refused when assigned, so step() never broadcasts one (PyTorch checks at assignment too)", () => {
    const p = param([2]);
    expectError(() => { p.grad = tensor([1]); }, ShapeError, "grad: assigned grad has shape [1], but the tensor has shape [2]");
    expectError(() => { p.grad = zeros([2], { dtype: "float64" }); }, DTypeError, "grad: assigned grad has dtype float64, but the tensor is float32");
    expectError(() => { p.grad = [1, 2] as unknown as Tensor; }, ValueError, "grad: assigned grad must be a Tensor or null, got an array [1,2]");
    expect(p.grad!.toArray()).toEqual([1, 1]); // untouched by the refused assignments
    expectError(() => new optim.SGD([p], { lr: 0.1 }).step(5 as unknown as () => number), ValueError, "SGD.step: closure must be a function, got number");
  });

  it("LR schedulers reject unknown options, wrong types and a missing optimizer", () => {
    const opt = () => new optim.SGD([param()], { lr: 0.1, momentum: 0.9 });
    expectError(() => new optim.LinearLR(opt(), { totalIter: 3 } as never), ValueError, 'LinearLR: unknown option "totalIter" (3); known: startFactor, endFactor, totalIters');
    expectError(() => new optim.LinearLR(opt(), { startFactor: "0.5" } as never), ValueError, 'LinearLR: option startFactor must be a number, got "0.5"');
    expectError(() => new optim.OneCycleLR(opt(), { maxLr: 0.1, totalSteps: 10, anneal: "cos" } as never), ValueError, 'OneCycleLR: unknown option "anneal" ("cos")');
    expectError(() => new optim.OneCycleLR(opt(), { maxLr: "0.1", totalSteps: 10 } as never), ValueError, 'OneCycleLR: option maxLr must be a number or an array of numbers, got "0.1"');
    expectError(() => new optim.OneCycleLR(opt(), { maxLr: 0.1, totalSteps: 10, threePhase: 1 } as never), ValueError, "OneCycleLR: option threePhase must be a boolean, got 1");
    expectError(() => new optim.OneCycleLR(null as never, { maxLr: [0.1], totalSteps: 10 }), ValueError, "OneCycleLR: expected an Optimizer, got null");
    expectError(() => new optim.OneCycleLR(opt(), undefined as never), ValueError, "OneCycleLR: options with maxLr are required");
    expectError(() => new optim.ReduceLROnPlateau(opt(), { patient: 3 } as never), ValueError, 'ReduceLROnPlateau: unknown option "patient" (3)');
    expectError(() => new optim.ReduceLROnPlateau(opt(), { mode: 1 } as never), ValueError, 'ReduceLROnPlateau: option mode must be one of "min", "max", got 1');
    expectError(() => new optim.ReduceLROnPlateau(opt(), null as never), ValueError, "ReduceLROnPlateau: options must be an object, got null");
    expectError(() => new optim.ReduceLROnPlateau(undefined as never), ValueError, "ReduceLROnPlateau: expected an Optimizer, got undefined");
    expectError(() => new optim.StepLR({} as never, 2), ValueError, "StepLR: expected an Optimizer, got an object");
    expectError(() => new optim.StepLR(opt(), 2, "0.5" as never), ValueError, "StepLR: invalid gamma 0.5");
    expectError(() => new optim.ExponentialLR(opt(), undefined as never), ValueError, "ExponentialLR: invalid gamma undefined");
  });
});

// ---------------------------------------------------------------- nn layers

describe("nn layers", () => {
  it("Linear refuses int32 and bool input and a dtype other than its weight's, naming the layer and the dtypes", () => {
    const layer = new Linear(2, 3);
    expectError(() => layer.call(tensor([1, 2], { dtype: "int32" })), DTypeError, "Linear: input must be a floating point tensor, got int32");
    expectError(() => layer.call(tensor([true, false])), DTypeError, "Linear: input must be a floating point tensor, got bool");
    expectError(() => layer.call(tensor([1, 2], { dtype: "float64" })), DTypeError, "Linear: input has dtype float64 but weight has dtype float32");
    expectError(() => layer.call([1, 2] as unknown as Tensor), ValueError, "Linear: input must be a Tensor, got object");
    expectError(() => layer.call(tensor([1, 2, 3])), ShapeError, "Linear: expected input with last dim 2, got [3]");
    expectError(() => F.linear(tensor([1, 2]), zeros([3, 2]), zeros([3], { dtype: "float64" })), DTypeError, "linear: bias has dtype float64 but weight has dtype float32");
  });

  it("Embedding refuses float indices and out-of-range ones, naming the layer", () => {
    const layer = new Embedding(3, 2);
    expectError(() => layer.call(tensor([0, 1])), DTypeError, "Embedding: indices must be an int32 tensor of indices, got float32");
    expectError(() => layer.call(tensor([0, 3], { dtype: "int32" })), IndexError, "Embedding: index 3 is out of range for 3 embeddings");
    expectError(() => layer.call(tensor([-1], { dtype: "int32" })), IndexError, "Embedding: index -1 is out of range for 3 embeddings");
  });

  it("LayerNorm refuses int32 input and a dtype other than its weight's", () => {
    const layer = new LayerNorm(2);
    expectError(() => layer.call(tensor([[1, 2]], { dtype: "int32" })), DTypeError, "LayerNorm: input must be a floating point tensor, got int32");
    expectError(() => layer.call(tensor([[1, 2]], { dtype: "float64" })), DTypeError, "LayerNorm: weight has dtype float32 but the input has dtype float64");
    expectError(() => layer.call(tensor([[1, 2, 3]])), ShapeError, "LayerNorm: expected input with trailing shape [2], got [1,3]");
  });

  it("BatchNorm1d refuses bad input without counting the batch or touching its running stats", () => {
    const layer = new BatchNorm1d(2, { momentum: null });
    const before = () => [layer.numBatchesTracked?.item(), layer.runningMean?.toArray(), layer.runningVar?.toArray()];
    const start = before();
    expectError(() => layer.call(tensor([[1, 2], [3, 4]], { dtype: "int32" })), DTypeError, "BatchNorm1d: input must be a floating point tensor, got int32");
    expectError(() => layer.call(tensor([[1, 2]])), ValueError, "BatchNorm1d: expected more than 1 value per channel when training, got input size [1,2]");
    expectError(() => layer.call(tensor([[1, 2], [3, 4]], { dtype: "float64" })), DTypeError, "BatchNorm1d: runningMean has dtype float32 but the input has dtype float64");
    expectError(() => layer.call(5 as unknown as Tensor), ValueError, "BatchNorm1d: input must be a Tensor, got number");
    expect(before()).toEqual(start);
    // A good batch is counted once, with the cumulative-average weight 1/1.
    layer.call(tensor([[1, 2], [3, 6]]));
    expect(layer.numBatchesTracked?.item()).toBe(1);
    expect(layer.runningMean?.toArray()).toEqual([2, 4]);
  });
});

// ---------------------------------------------------------------- losses

describe("losses", () => {
  it("binaryCrossEntropy refuses input or target outside [0, 1] or NaN, naming the value", () => {
    expectError(() => F.binaryCrossEntropy(tensor([1.5]), tensor([1])), ValueError, "binaryCrossEntropy: all elements of input should be between 0 and 1, got 1.5");
    expectError(() => F.binaryCrossEntropy(tensor([NaN]), tensor([1])), ValueError, "binaryCrossEntropy: all elements of input should be between 0 and 1, got NaN");
    expectError(() => F.binaryCrossEntropy(tensor([0.5]), tensor([2])), ValueError, "binaryCrossEntropy: all elements of target should be between 0 and 1, got 2");
    expectError(() => new BCELoss().call(tensor([0.5, 0.5]), tensor([1, -1])), ValueError, "binaryCrossEntropy: all elements of target should be between 0 and 1, got -1 at flat index 1");
    expectError(() => F.binaryCrossEntropy(tensor([0.5]), tensor([1], { dtype: "int32" })), DTypeError, "binaryCrossEntropy: target must be a floating point tensor, got int32");
  });

  it("other losses name the loss and the bad argument", () => {
    expectError(() => F.mseLoss(tensor([1, 2]), tensor([1, 2, 3])), ShapeError, "mseLoss: target shape [3] differs from input shape [2]");
    expectError(() => F.mseLoss(tensor([1], { dtype: "int32" }), tensor([1], { dtype: "int32" })), DTypeError, "mseLoss: input must be a floating point tensor, got int32");
    expectError(() => F.l1Loss(tensor([1]), tensor([1]), { reduction: "avg" as never }), ValueError, 'l1Loss: option reduction must be one of "mean", "sum", "none", got "avg"');
    expectError(() => F.crossEntropy(tensor([[0.1, 0.9]]), tensor([2], { dtype: "int32" })), IndexError, "crossEntropy: target 2 is out of bounds for 2 classes");
    expectError(() => F.crossEntropy(tensor([[0.1, 0.9]]), null as unknown as Tensor), ValueError, "crossEntropy: target must be a Tensor, got null");
  });
});

// ---------------------------------------------------------------- options of layers, losses, functionals

/**
 * Every options object in nn goes through one checker: a misspelt key is refused with the keys
 * the owner knows, a value of the wrong kind or outside an enum's strings is refused naming the
 * owner, the option and the value. Each case below was silently accepted before (the key ignored,
 * the value used as given) or failed deep inside with another owner's name.
 */
describe("options", () => {
  type Case = [fn: () => unknown, message: string];
  const refuses = (cases: Case[]) => {
    for (const [fn, message] of cases) expectError(fn, ValueError, message);
  };
  // Casts for values the types rule out, as a JavaScript caller could pass them.
  const bad = (value: unknown): never => value as never;

  it("layer constructors refuse unknown keys, wrong kinds and strings outside an enum, naming the layer", () => {
    const encoderLayer = new TransformerEncoderLayer(4, 2, { dimFeedforward: 8 });
    refuses([
      [() => new Linear(2, 3, bad({ bias: "no" })), 'Linear: option bias must be a boolean, got "no"'],
      [() => new Linear(2, 3, bad({ biass: false })), 'Linear: unknown option "biass" (false); known: bias, generator, dtype'],
      [() => new Linear(2, 3, { dtype: "int32" as never }), 'Linear: option dtype must be one of "float32", "float64", got "int32"'],
      [() => new Linear(2, 3, bad(null)), "Linear: options must be an object, got null"],
      [() => new Conv2d(1, 1, 3, bad({ padding_mode: "reflect" })), 'Conv2d: unknown option "padding_mode" ("reflect"); known: stride, padding, dilation, groups, bias, paddingMode, generator, dtype'],
      [() => new ConvTranspose2d(1, 1, 3, bad({ outputPadding: "1" })), 'ConvTranspose2d: option outputPadding must be a number or an array of numbers, got "1"'],
      [() => new Embedding(3, 2, bad({ padding_idx: 0 })), 'Embedding: unknown option "padding_idx" (0); known: paddingIdx, generator, weight, dtype'],
      [() => Embedding.fromPretrained(zeros([3, 2]), bad({ freeze: 1 })), "Embedding.fromPretrained: option freeze must be a boolean, got 1"],
      [() => new LayerNorm(2, bad({ elementwiseAffine: "yes" })), 'LayerNorm: option elementwiseAffine must be a boolean, got "yes"'],
      [() => new BatchNorm1d(2, bad({ momentum: "0.1" })), 'BatchNorm1d: option momentum must be a number or null, got "0.1"'],
      [() => new BatchNorm2d(2, bad({ track_running_stats: false })), 'BatchNorm2d: unknown option "track_running_stats" (false); known: eps, momentum, affine, trackRunningStats, dtype'],
      [() => new GroupNorm(1, 2, bad({ affine: 0 })), "GroupNorm: option affine must be a boolean, got 0"],
      [() => new RMSNorm(2, bad({ eps: "1e-6" })), 'RMSNorm: option eps must be a number or null, got "1e-6"'],
      [() => new MaxPool2d(2, bad({ ceil_mode: true })), 'MaxPool2d: unknown option "ceil_mode" (true); known: stride, padding, dilation, returnIndices, ceilMode'],
      [() => new AvgPool2d(2, bad({ countIncludePad: "no" })), 'AvgPool2d: option countIncludePad must be a boolean, got "no"'],
      [() => new Dropout(0.5, bad({ seed: 1 })), 'Dropout: unknown option "seed" (1); known: generator'],
      [() => new Dropout2d(0.5, bad({ generator: {} })), "Dropout2d: option generator must be a Generator, got an object"],
      [() => new GELU({ approximate: "erf" as never }), 'GELU: option approximate must be one of "none", "tanh", got "erf"'],
      [() => new RNN(2, 3, { nonlinearity: "sigmoid" as never }), 'RNN: option nonlinearity must be one of "tanh", "relu", got "sigmoid"'],
      [() => new LSTM(2, 3, bad({ batch_first: true })), 'LSTM: unknown option "batch_first" (true); known: numLayers, bias, batchFirst, dropout, bidirectional, generator, dtype, projSize'],
      [() => new GRUCell(2, 3, bad({ bias: "false" })), 'GRUCell: option bias must be a boolean, got "false"'],
      [() => new MultiheadAttention(4, 2, bad({ batch_first: true })), 'MultiheadAttention: unknown option "batch_first" (true); known: dropout, bias, addBiasKv'],
      [() => new MultiheadAttention(4, 2).call(zeros([1, 4]), zeros([1, 4]), zeros([1, 4]), bad({ needWeights: "no" })), 'MultiheadAttention.forward: option needWeights must be a boolean, got "no"'],
      [() => new TransformerEncoderLayer(4, 2, { activation: "tanh" as never }), 'TransformerEncoderLayer: option activation must be one of "relu", "gelu" or a function or a Module, got "tanh"'],
      [() => encoderLayer.call(zeros([1, 4]), bad({ src_mask: null })), 'TransformerEncoderLayer.forward: unknown option "src_mask" (null); known: srcMask, srcKeyPaddingMask, isCausal'],
      [() => new TransformerEncoder(encoderLayer, 1, bad({ norm: {} })), "TransformerEncoder: option norm must be a Module or null, got an object"],
      [() => new TransformerEncoder(encoderLayer, 1).call(zeros([1, 4]), bad({ isCausal: 1 })), "TransformerEncoder.forward: option isCausal must be a boolean, got 1"],
      [() => generateSquareSubsequentMask(3, { dtype: "int32" as never }), 'generateSquareSubsequentMask: option dtype must be one of "float32", "float64", got "int32"'],
      [() => generateSquareSubsequentMask(3, bad({ device: 0 })), "generateSquareSubsequentMask: option device must be a string, got 0"],
    ]);
  });

  it("losses refuse them in function and Module form alike, naming the loss", () => {
    const x = tensor([0.2, 0.7]);
    const y = tensor([0, 1]);
    const logits = tensor([[0.1, 0.9]]);
    const target = tensor([1], { dtype: "int32" });
    refuses([
      [() => new BCELoss(bad({ reductio: "sum" })), 'BCELoss: unknown option "reductio" ("sum"); known: reduction, weight'],
      [() => new MSELoss({ reduction: "avg" as never }), 'MSELoss: option reduction must be one of "mean", "sum", "none", got "avg"'],
      [() => new SmoothL1Loss(bad({ beta: null })), "SmoothL1Loss: option beta must be a number, got null"],
      [() => new HuberLoss(bad({ delta: "1" })), 'HuberLoss: option delta must be a number, got "1"'],
      [() => new BCEWithLogitsLoss(bad({ pos_weight: tensor([2]) })), 'BCEWithLogitsLoss: unknown option "pos_weight" (a Tensor of shape [1]); known: reduction, weight, posWeight'],
      [() => new CrossEntropyLoss(bad({ label_smoothing: 0.1 })), 'CrossEntropyLoss: unknown option "label_smoothing" (0.1); known: reduction, weight, ignoreIndex, labelSmoothing'],
      [() => new NLLLoss(bad({ ignoreIndex: "-100" })), 'NLLLoss: option ignoreIndex must be a number, got "-100"'],
      [() => F.mseLoss(x, y, bad(null)), "mseLoss: options must be an object, got null"],
      [() => F.l1Loss(x, y, bad({ reduce: false })), 'l1Loss: unknown option "reduce" (false); known: reduction'],
      [() => F.huberLoss(x, y, bad({ beta: 1 })), 'huberLoss: unknown option "beta" (1); known: reduction, delta'],
      [() => F.smoothL1Loss(x, y, bad({ delta: 1 })), 'smoothL1Loss: unknown option "delta" (1); known: reduction, beta'],
      [() => F.binaryCrossEntropy(x, y, bad({ weight: [1, 2] })), "binaryCrossEntropy: option weight must be a Tensor or null, got [1, 2]"],
      [() => F.bceWithLogits(x, y, { reduction: "mean ", posWeight: null } as never), 'binaryCrossEntropyWithLogits: option reduction must be one of "mean", "sum", "none", got "mean "'],
      [() => F.crossEntropy(logits, target, bad({ labelSmooting: 0.1 })), 'crossEntropy: unknown option "labelSmooting" (0.1); known: reduction, weight, ignoreIndex, labelSmoothing'],
      [() => F.nllLoss(logits, target, bad({ weight: 1 })), "nllLoss: option weight must be a Tensor or null, got 1"],
    ]);
  });

  it("functionals refuse them on every call, naming the function (or the layer calling it)", () => {
    const x = zeros([2, 2]);
    refuses([
      [() => F.gelu(x, { approximate: "erf" as never }), 'gelu: option approximate must be one of "none", "tanh", got "erf"'],
      [() => F.dropout(x, 0.5, true, bad({ generator: 1 })), "dropout: option generator must be a Generator, got 1"],
      [() => F.dropout2d(x, 0.5, true, bad({ gen: null })), 'dropout2d: unknown option "gen" (null); known: generator'],
      [() => F.embedding(tensor([0], { dtype: "int32" }), x, bad({ padding_idx: 0 })), 'embedding: unknown option "padding_idx" (0); known: paddingIdx'],
      [() => F.layerNorm(x, 2, bad({ epsilon: 1e-5 })), 'layerNorm: unknown option "epsilon" (0.00001); known: weight, bias, eps'],
      [() => F.batchNorm(x, null, null, bad({ training: "yes" })), 'batchNorm: option training must be a boolean, got "yes"'],
      [() => F.groupNorm(x, 1, bad({ weight: [1, 1] })), "groupNorm: option weight must be a Tensor or null, got [1, 1]"],
      [() => F.rmsNorm(x, 2, bad({ eps: "small" })), 'rmsNorm: option eps must be a number or null, got "small"'],
    ]);
  });

  it("init, gradient clipping, Module and optimizer methods, schedulers, CSV and safetensors refuse them too", () => {
    const w = zeros([3, 2]);
    const p = param();
    const model = new Linear(2, 2);
    refuses([
      [() => init.kaimingUniform_(w, { mode: "fan_in" as never }), 'kaimingUniform_: option mode must be one of "fanIn", "fanOut", got "fan_in"'],
      [() => init.kaimingNormal_(w, { nonlinearity: "swish" as never }), 'kaimingNormal_: option nonlinearity must be one of "linear", "identity", "sigmoid", "tanh", "relu"'],
      [() => init.xavierUniform_(w, bad({ gain: "1" })), 'xavierUniform_: option gain must be a number, got "1"'],
      [() => init.uniform_(w, 0, 1, bad({ seed: 1 })), 'uniform_: unknown option "seed" (1); known: generator'],
      [() => optim.clipGradNorm_([p], 1, 2, bad({ errorIfNonFinite: true })), 'clipGradNorm_: unknown option "errorIfNonFinite" (true); known: errorIfNonfinite'],
      [() => model.zeroGrad(bad({ set_to_none: false })), 'zeroGrad: unknown option "set_to_none" (false); known: setToNone'],
      [() => model.parameters(bad({ recursive: false })), 'parameters: unknown option "recursive" (false); known: recurse'],
      [() => model.namedParameters(bad({ prefix: 1 })), "namedParameters: option prefix must be a string, got 1"],
      [() => model.registerBuffer("b", zeros([1]), bad({ persistent: "no" })), 'registerBuffer: option persistent must be a boolean, got "no"'],
      [() => new optim.SGD([p], { lr: 0.1 }).zeroGrad(bad({ setToNone: 0 })), "SGD.zeroGrad: option setToNone must be a boolean, got 0"],
      [() => new optim.OneCycleLR(new optim.SGD([p], { lr: 0.1, momentum: 0.9 }), { maxLr: 1, totalSteps: 10, annealStrategy: "cosine" as never }), 'OneCycleLR: option annealStrategy must be one of "cos", "linear", got "cosine"'],
      [() => parseCsv("a\n1", { dtype: "int32" as never }), 'parseCsv: option dtype must be one of "float32", "float64", got "int32"'],
      [() => saveSafetensors({ a: zeros([1]) }, bad({ meta: {} })), 'saveSafetensors: unknown option "meta" (an object); known: metadata'],
    ]);
  });

  it("valid options, and options set to undefined, are accepted", () => {
    expect(() => new Linear(2, 3, { bias: undefined, dtype: "float64" })).not.toThrow();
    expect(F.mseLoss(tensor([1, 2]), tensor([1, 4]), { reduction: "sum" }).item()).toBe(4);
    expect(() => new TransformerEncoderLayer(4, 2, { dimFeedforward: 8, activation: (t: Tensor) => t.relu(), normFirst: true })).not.toThrow();
    expect(() => new TransformerEncoder(new TransformerEncoderLayer(4, 2, { dimFeedforward: 8 }), 1, { norm: new LayerNorm(4) })).not.toThrow();
  });
});

// ---------------------------------------------------------------- state dicts

describe("state dicts", () => {
  const model = () => new Sequential(new Linear(2, 2), new BatchNorm1d(2));
  const snapshot = (m: Module) => Object.entries(m.stateDict()).map(([k, t]) => [k, t.toArray()]);

  it.each([
    [null, "null"],
    [undefined, "undefined undefined"],
    [5, "number 5"],
    ["weights", "string weights"],
    [[tensor([1])], "an array"],
    [tensor([1]), "a Tensor"],
  ])("loadStateDict(%s) is a ValueError and leaves the model untouched", (value, got) => {
    const m = model();
    const before = snapshot(m);
    expectError(() => m.loadStateDict(value as never), ValueError, `loadStateDict: expected a state dict (an object or Map of tensors by name), got ${got}`);
    expect(snapshot(m)).toEqual(before);
  });

  it("non-tensor values (undefined included) are listed by key, and nothing is loaded", () => {
    const m = model();
    const before = snapshot(m);
    const sd: Record<string, unknown> = { ...m.stateDict() };
    sd["0.weight"] = zeros([2, 2]).add(7);
    sd["0.bias"] = [1, 2];
    sd["1.weight"] = undefined;
    sd["1.bias"] = null;
    let error: unknown = null;
    try {
      m.loadStateDict(sd as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateDictError);
    expect((error as Error).message).toContain('not tensors: "0.bias" (object), "1.weight" (undefined), "1.bias" (null)');
    expect(snapshot(m)).toEqual(before);
    // Non-strict loading ignores unexpected non-tensors but still refuses non-tensors for its own keys.
    expectError(() => m.loadStateDict({ "0.bias": 3 } as never, { strict: false }), StateDictError, 'not tensors: "0.bias" (number)');
    expect(m.loadStateDict({ extra: 3 } as never, { strict: false }).unexpectedKeys).toEqual(["extra"]);
    expectError(() => m.loadStateDict({}, { strict: "no" } as never), ValueError, 'loadStateDict: option strict must be a boolean, got "no"');
    expectError(() => m.loadStateDict({}, { strictt: false } as never), ValueError, 'loadStateDict: unknown option "strictt" (false)');
  });

  it("a mis-shaped tensor is a StateDictError naming the key and both shapes; the model is untouched", () => {
    const m = model();
    const before = snapshot(m);
    const sd = { ...m.stateDict(), "0.weight": zeros([2, 3]) };
    expectError(() => m.loadStateDict(sd), StateDictError, 'size mismatch for "0.weight": checkpoint has [2,3], model has [2,2]');
    expect(snapshot(m)).toEqual(before);
  });
});

// ---------------------------------------------------------------- data

describe("data", () => {
  const ds = () => new TensorDataset(tensor([[1, 2], [3, 4], [5, 6]]), tensor([10, 20, 30], { dtype: "int32" }));

  it("TensorDataset.get takes negative indices from the end, as PyTorch", () => {
    const d = ds();
    expect(d.get(-1).map((t) => t.toArray())).toEqual([[5, 6], 30]);
    expect(d.get(-3).map((t) => t.toArray())).toEqual([[1, 2], 10]);
    expect(d.getBatch([-1, 0]).map((t) => t.toArray())).toEqual([[[5, 6], [1, 2]], [30, 10]]);
    const sub = new Subset(d, [2, 0]);
    expect(sub.get(-1)[1].item()).toBe(10);
    expect(new Subset(d, [-1]).get(0)[1].item()).toBe(30);
  });

  it("out-of-range and non-integer indices are IndexErrors naming the index", () => {
    const d = ds();
    expectError(() => d.get(3), IndexError, "TensorDataset: index 3 is out of range for a dataset of length 3");
    expectError(() => d.get(-4), IndexError, "TensorDataset: index -4 is out of range for a dataset of length 3");
    expectError(() => d.get(1.5), IndexError, "TensorDataset: index must be an integer, got 1.5");
    expectError(() => d.get(NaN), IndexError, "TensorDataset: index must be an integer, got NaN");
    expectError(() => d.get("1" as never), IndexError, 'TensorDataset: index must be an integer, got "1"');
    expectError(() => d.getBatch([0, 7]), IndexError, "TensorDataset: index 7 is out of range for a dataset of length 3");
    expectError(() => new Subset(d, [0]).get(1), IndexError, "Subset: index 1 is out of range for a dataset of length 1");
    expectError(() => new Subset(d, [5]), IndexError, "Subset: index 5 is out of range for a dataset of length 3");
    expectError(() => new Subset(null as never, [0]), ValueError, "Subset: dataset must have a non-negative integer length and a get(index) method, got null");
  });

  it("DataLoader checks its dataset and options by name", () => {
    const d = ds();
    expectError(() => new DataLoader(d, { batchSize: 0 }), ValueError, "DataLoader: invalid batchSize 0 (expected a positive integer)");
    expectError(() => new DataLoader(d, { batchSize: 1.5 }), ValueError, "DataLoader: invalid batchSize 1.5");
    expectError(() => new DataLoader(d, { batchSize: "4" } as never), ValueError, 'DataLoader: option batchSize must be a number, got "4"');
    expectError(() => new DataLoader(d, { shuffle: "yes" } as never), ValueError, 'DataLoader: option shuffle must be a boolean, got "yes"');
    expectError(() => new DataLoader(d, { batch_size: 4 } as never), ValueError, 'DataLoader: unknown option "batch_size" (4); known: batchSize, shuffle, dropLast, generator, collate');
    expectError(() => new DataLoader([1, 2] as never), ValueError, "DataLoader: dataset must have a non-negative integer length and a get(index) method, got object");
  });

  it("randomSplit: lengths that are not counts summing to n nor fractions summing to 1 are ValueErrors", () => {
    const d = ds();
    expectError(() => randomSplit(d, [0.5, 0.3]), ValueError, "randomSplit: lengths must be integers, or fractions summing to 1, got [0.5, 0.3] (sum 0.8)");
    expectError(() => randomSplit(d, [2, 2]), ValueError, "randomSplit: lengths [2, 2] sum to 4, but the dataset has 3 samples");
    expectError(() => randomSplit(d, [-1, 4]), ValueError, "randomSplit: lengths must be non-negative numbers, got [-1, 4]");
    expectError(() => randomSplit(d, ["1", 2] as never), ValueError, 'randomSplit: lengths must be non-negative numbers, got ["1", 2]');
    expectError(() => randomSplit(d, []), ValueError, "randomSplit: lengths must be non-negative numbers, got []");
    expectError(() => randomSplit(undefined as never, [1]), ValueError, "randomSplit: dataset must have a non-negative integer length and a get(index) method, got undefined");
    // [1, 0] sums to 1: fractions, as in PyTorch (all samples in the first split).
    expect(randomSplit(d, [1, 0]).map((s) => s.length)).toEqual([3, 0]);
  });
});

// ---------------------------------------------------------------- CSV

describe("CSV", () => {
  it.each([
    ["an empty file", "", {}, "parseCsv: the CSV is empty"],
    ["only blank lines", " \n\n", {}, "parseCsv: the CSV is empty"],
    ["a header without rows", "a,b\n", {}, "parseCsv: the CSV has a header but no data rows"],
    ["a short row", "a,b\n1,2\n3\n", {}, "parseCsv: row 2 (line 3) has 1 fields, expected 2 like the header"],
    ["a long row", "a,b\n1,2,3\n", {}, "parseCsv: row 1 (line 2) has 3 fields, expected 2 like the header"],
    ["a word among numbers", "a,b\n1,2\n3,x\n", {}, 'parseCsv: non-numeric value "x" in column "b" at row 2 (line 3)'],
    ["an empty cell", "a,b\n1,\n", {}, 'parseCsv: empty value in column "b" at row 1 (line 2)'],
    ["a number too large for float64", "a,b\n1e400,2\n", { dtype: "float64" }, 'parseCsv: value "1e400" in column "a" at row 1 (line 2) is too large for float64'],
    ["a number too large for float32", "a,b\n1e39,2\n", {}, 'parseCsv: value "1e39" in column "a" at row 1 (line 2) is too large for float32'],
    ["an unnamed header column", "a,\n1,2\n", {}, "parseCsv: column 2 of the header has no name"],
    ["a duplicate header column", "a,a\n1,2\n", {}, 'parseCsv: duplicate column name "a" in the header'],
    ["an unclosed quote", 'a,b\n1,"2\n', {}, "parseCsv: malformed CSV: Quote Not Closed"],
    ["a missing target column", "a,b\n1,2\n", { target: "c" }, 'parseCsv: target column "c" not found (columns: a, b)'],
    ["a column listed twice", "a,b\n1,2\n", { columns: ["a", "a"] }, 'parseCsv: feature column "a" is listed twice'],
    ["a misspelt option", "a,b\n1,2\n", { colums: ["a"] }, 'parseCsv: unknown option "colums" (["a"])'],
    ["columns given as a string", "a,b\n1,2\n", { columns: "a" }, 'parseCsv: option columns must be an array of strings, got "a"'],
    ["header given as a string", "a,b\n1,2\n", { header: "no" }, 'parseCsv: option header must be a boolean, got "no"'],
    ["oneHot given as a string", "a,b\n1,2\n", { oneHot: "a" }, 'parseCsv: option oneHot must be an array of strings, got "a"'],
    ["a transform that is a number", "a,b\n1,2\n", { transform: 5 }, "parseCsv: option transform must be an object, got 5"],
    ["an empty delimiter", "a,b\n1,2\n", { delimiter: "" }, "parseCsv: malformed CSV: Invalid option delimiter"],
  ])("%s", (_, text, options, message) => {
    expectError(() => parseCsv(text, options as never), ValueError, message);
  });

  it("a standardized column may hold values past float32's range: they are rescaled in float64 first", () => {
    expect(parseCsv("a\n1e39\n3e39\n", { standardize: true }).features.toArray()).toEqual([[-1], [1]]);
  });

  it("readCsv names the file it cannot read", () => {
    expectError(() => readCsv("/nonexistent/dir/data.csv"), ValueError, 'readCsv: cannot read "/nonexistent/dir/data.csv"');
  });
});

// ---------------------------------------------------------------- safetensors

describe("safetensors", () => {
  const valid = () => saveSafetensors({ w: tensor([[1, 2]]), b: tensor([0.5], { dtype: "float64" }) }, { metadata: { format: "pt" } });

  /** The header length a file's prefix claims, clamped to what the file holds (for corrupted files). */
  const headerLength = (bytes: Uint8Array) => (bytes.length < 8 ? 0 : Math.min(Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true)), bytes.length - 8));
  /** `bytes` with its header replaced by `header` (the length prefix rewritten to match). */
  function withHeader(bytes: Uint8Array, header: string): Uint8Array {
    const n = headerLength(bytes);
    const text = new TextEncoder().encode(header);
    const out = new Uint8Array(8 + text.length + bytes.length - 8 - n);
    new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
    out.set(text, 8);
    out.set(bytes.subarray(8 + n), 8 + text.length);
    return out;
  }
  const headerOf = (bytes: Uint8Array) => new TextDecoder().decode(bytes.subarray(8, 8 + headerLength(bytes)));

  it("the reader refuses the empty name the writer refuses", () => {
    const bytes = valid();
    expectError(() => saveSafetensors({ "": tensor([1]) }), ValueError, "saveSafetensors: tensor names must not be empty");
    expectError(() => loadSafetensors(withHeader(bytes, headerOf(bytes).replace('"w"', '""'))), ValueError, "loadSafetensors: a tensor has an empty name");
  });

  it.each([
    ["a duplicate name", (h: string) => h.replace('"w":', '"b":'), 'loadSafetensors: the header is not valid JSON (duplicate key "b"'],
    ["an unknown dtype", (h: string) => h.replace('"F64"', '"F65"'), 'loadSafetensors: tensor "b": unknown dtype "F65"'],
    ["a negative shape entry", (h: string) => h.replace('"shape":[1,2]', '"shape":[-1,-2]'), 'loadSafetensors: tensor "w": shape must be an array of non-negative integers, got [-1,-2]'],
    ["a fractional shape entry", (h: string) => h.replace('"shape":[1,2]', '"shape":[0.5,4]'), 'loadSafetensors: tensor "w": shape must be an array of non-negative integers, got [0.5,4]'],
    ["a shape of the wrong size", (h: string) => h.replace('"shape":[1,2]', '"shape":[1,3]'), 'loadSafetensors: tensor "w": data_offsets [8, 16] hold 8 bytes, but dtype F32 with shape [1, 3] needs 12'],
    ["overlapping offsets", (h: string) => h.replace('"data_offsets":[8,16]', '"data_offsets":[4,12]'), "loadSafetensors: tensors \"b\" and \"w\" overlap (bytes 4 to 8)"],
    ["offsets past the data", (h: string) => h.replace('"data_offsets":[8,16]', '"data_offsets":[16,24]'), 'loadSafetensors: tensor "w": data_offsets [16, 24] run past the end of the data (16 bytes)'],
    ["a header that is an array", () => '[{"w":1}]', "loadSafetensors: the header does not start with '{'"],
    ["a header that is not an object after all", () => "{}[]", "loadSafetensors: the header is not valid JSON"],
    ["non-string metadata", (h: string) => h.replace('"format":"pt"', '"format":1'), 'loadSafetensors: __metadata__ value of "format" is not a string (got 1)'],
  ])("%s is a ValueError naming the tensor and the value", (_, edit, message) => {
    const bytes = valid();
    expectError(() => loadSafetensors(withHeader(bytes, edit(headerOf(bytes)))), ValueError, message);
  });

  it("a header length past the file, and trailing bytes, are ValueErrors", () => {
    const bytes = valid();
    const longer = bytes.slice();
    new DataView(longer.buffer).setBigUint64(0, BigInt(bytes.length), true);
    expectError(() => loadSafetensors(longer), ValueError, `loadSafetensors: header length ${bytes.length} runs past the end of the file (${bytes.length} bytes)`);
    expectError(() => loadSafetensors(Uint8Array.from([...bytes, 0, 0])), ValueError, "loadSafetensors: the data has 2 bytes after the last tensor that belong to no tensor");
  });

  it("a failed load changes nothing in the model it was meant for", () => {
    const model = new Linear(2, 1);
    const before = model.stateDict();
    const saved = Object.fromEntries(Object.entries(before).map(([k, t]) => [k, t.clone()]));
    const bytes = saveSafetensors({ weight: zeros([1, 2]).add(9), bias: zeros([1]).add(9) });
    const corrupted = bytes.subarray(0, bytes.length - 1);
    expectError(() => model.loadStateDict(loadSafetensors(corrupted)), ValueError, "loadSafetensors:");
    for (const [k, t] of Object.entries(model.stateDict())) expect(t.toArray()).toEqual(saved[k].toArray());
  });

  // ---------------------------------------------------------------- property: corrupted files

  type Entry = { name: string; dtype: DType; shape: number[] };
  /** What a file holds, by name: dtype and shape. */
  const structureOf = (sd: Record<string, Tensor>) => Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, [t.dtype, [...t.shape]]]));
  const DTYPES: Record<string, DType> = { F32: "float32", F64: "float64", I32: "int32", BOOL: "bool" };

  /**
   * An oracle independent of the reader under test: JSON.parse for the header and a DataView for
   * the values. What it returns for a file the reader accepted is what that file describes.
   */
  function describeFile(bytes: Uint8Array): Record<string, { dtype: DType; shape: number[]; values: number[] }> {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = Number(view.getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    const out: Record<string, { dtype: DType; shape: number[]; values: number[] }> = {};
    for (const [name, info] of Object.entries(header)) {
      if (name === "__metadata__") continue;
      const size = { F32: 4, F64: 8, I32: 4, BOOL: 1 }[info.dtype] as number;
      const values: number[] = [];
      for (let at = 8 + n + info.data_offsets[0]; at < 8 + n + info.data_offsets[1]; at += size) {
        values.push(info.dtype === "F32" ? view.getFloat32(at, true) : info.dtype === "F64" ? view.getFloat64(at, true) : info.dtype === "I32" ? view.getInt32(at, true) : view.getUint8(at) === 0 ? 0 : 1);
      }
      Object.defineProperty(out, name, { value: { dtype: DTYPES[info.dtype], shape: info.shape, values }, enumerable: true });
    }
    return out;
  }

  const entryArb: fc.Arbitrary<Entry[]> = fc.uniqueArray(
    fc.record({
      name: fc.constantFrom("w", "layers.0.bias", 'a"b', "ü", "__proto__", "x y", "0"),
      dtype: fc.constantFrom<DType>("float32", "float64", "int32", "bool"),
      shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
    }),
    { selector: (e) => e.name, minLength: 1, maxLength: 4 },
  );

  const HEADER_TOKENS = ['"', "{", "}", "[", "]", ",", ":", " ", "\n", "-1", "0", "7", "1.5", "1e999", "9007199254740993", '"F16"', '"I32"', '""', "null", "true", '"__metadata__"', '"\\u0000"', "\\", "\u00ff"];
  type Mutation =
    | { kind: "flip"; flips: { at: number; xor: number }[] }
    | { kind: "dataFlip"; at: number; xor: number }
    | { kind: "truncate"; at: number }
    | { kind: "header"; at: number; remove: number; token: string }
    | { kind: "prefix"; value: bigint }
    | { kind: "prefixDelta"; delta: number }
    | { kind: "append"; bytes: number[] };
  const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ kind: fc.constant("flip" as const), flips: fc.array(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 }) }),
    fc.record({ kind: fc.constant("dataFlip" as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("header" as const), at: fc.nat(), remove: fc.integer({ min: 0, max: 4 }), token: fc.constantFrom(...HEADER_TOKENS) }),
    fc.record({ kind: fc.constant("prefix" as const), value: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom(0n, 100_000_001n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n)) }),
    fc.record({ kind: fc.constant("prefixDelta" as const), delta: fc.integer({ min: -16, max: 16 }) }),
    fc.record({ kind: fc.constant("append" as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }),
  );

  function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
    const out = bytes.slice();
    const view = new DataView(out.buffer);
    switch (m.kind) {
      case "flip":
        for (const { at, xor } of m.flips) out[at % out.length] ^= xor;
        return out;
      case "dataFlip": {
        // A byte of the tensor data (after the header the prefix claims), when there is one.
        const start = 8 + headerLength(out);
        if (out.length > start) out[start + (m.at % (out.length - start))] ^= m.xor;
        return out;
      }
      case "truncate":
        return out.subarray(0, m.at % out.length);
      case "header": {
        if (out.length < 8) return out;
        const header = headerOf(out);
        const at = m.at % (header.length + 1);
        return withHeader(out, header.slice(0, at) + m.token + header.slice(at + m.remove));
      }
      case "prefix":
        if (out.length < 8) return out;
        view.setBigUint64(0, m.value, true);
        return out;
      case "prefixDelta": {
        if (out.length < 8) return out;
        const n = view.getBigUint64(0, true) + BigInt(m.delta);
        view.setBigUint64(0, n < 0n ? 0n : n, true);
        return out;
      }
      case "append":
        return Uint8Array.from([...out, ...m.bytes]);
      default:
        return m satisfies never;
    }
  }

  it("property: a corrupted file loads as what it describes (the original, when only data changed) or throws a TensorgradError", () => {
    const outcomes = { loaded: 0, sameAsOriginal: 0, refused: 0 };
    fc.assert(
      fc.property(entryArb, fc.boolean(), fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (entries, withMetadata, mutations) => {
        const sd = Object.fromEntries(
          entries.map((e) => {
            const numel = e.shape.reduce((a, b) => a * b, 1);
            const values = Array.from({ length: numel }, (_, i) => (e.dtype === "bool" ? i % 2 : ((i * 7) % 11) - 5 + (e.dtype.startsWith("float") ? 0.5 : 0)));
            return [e.name, tensor(values, { dtype: e.dtype, shape: e.shape })];
          }),
        );
        const original = saveSafetensors(sd, withMetadata ? { metadata: { format: "pt" } } : {});
        const corrupted = mutations.reduce(mutate, original);
        let loaded: Record<string, Tensor>;
        try {
          loaded = loadSafetensors(corrupted);
        } catch (e) {
          if (!(e instanceof TensorgradError)) throw new Error(`expected a TensorgradError, got ${String(e)}`);
          expect(e.message).toMatch(/^loadSafetensors: /);
          outcomes.refused += 1;
          return;
        }
        outcomes.loaded += 1;
        // Accepted: exactly what the file describes, read independently...
        const described = describeFile(corrupted);
        expect(structureOf(loaded)).toEqual(Object.fromEntries(Object.entries(described).map(([k, d]) => [k, [d.dtype, d.shape]])));
        for (const [name, d] of Object.entries(described)) expect(Object.getOwnPropertyDescriptor(loaded, name)?.value.toFlatArray().map(Number)).toEqual(d.values);
        // ...and the original structure whenever the header came through unchanged.
        const n = headerLength(original);
        if (corrupted.length >= 8 + n && corrupted.subarray(0, 8 + n).every((b, i) => b === original[i])) {
          expect(structureOf(loaded)).toEqual(structureOf(sd));
          outcomes.sameAsOriginal += 1;
        }
      }),
      { seed: 20261123, numRuns: 1000 },
    );
    // The property is not vacuous: both outcomes happen often.
    expect(outcomes.refused).toBeGreaterThan(100);
    expect(outcomes.sameAsOriginal).toBeGreaterThan(50);
  });
});
