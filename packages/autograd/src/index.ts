/**
 * @tensorgrad/autograd — n-d tensors with broadcasting and strided views, and reverse-mode
 * automatic differentiation through a dynamically recorded graph.
 */

export { Tensor } from "./tensor.js";
export type { NestedNumbers, RemovableHandle } from "./tensor.js";
export type { DType } from "./dtype.js";
export { DTYPES, isFloating, promoteTypes } from "./dtype.js";
export {
  TensorgradError, ShapeError, DTypeError, IndexError, GradError, ValueError,
} from "./errors.js";
export {
  tensor, zeros, ones, full, zerosLike, onesLike, fullLike, arange, linspace, eye,
  rand, randn, randint, randperm,
} from "./creation.js";
export type { TensorOptions, RandomOptions, TensorData, NestedArray, ShapeLike } from "./creation.js";
export { Generator, manualSeed, defaultGenerator } from "./random.js";
export { broadcastShapes } from "./shape.js";

// Engine
export { noGrad, enableGrad, isGradEnabled, setGradEnabled, detectAnomaly, setDetectAnomaly, isAnomalyEnabled } from "./engine/grad-mode.js";
export { backward } from "./engine/backward.js";
export type { BackwardOptions } from "./engine/backward.js";
export { grad, vjp, jvp, jacobian, hessian } from "./engine/functional.js";
export type { GradOptions, JacobianOptions } from "./engine/functional.js";
export { defineFunction } from "./engine/custom-function.js";
export type { FunctionContext, FunctionDefinition } from "./engine/custom-function.js";
export { Node } from "./engine/node.js";
export type { GradHook } from "./engine/node.js";

// Functional forms of the ops (the Tensor methods call the same code).
export { where } from "./ops/where.js";
export { matmul } from "./ops/matmul.js";
export { linear } from "./ops/linear.js";
export { cat } from "./ops/cat.js";
export { stack, flatten, squeeze, unsqueeze, transpose, select, split, chunk } from "./ops/shape-ops.js";
export { indexSelect, indexAdd, embedding, checkClassIndices, type IndexAddOptions } from "./ops/index-select.js";
export { binaryCrossEntropy } from "./ops/binary-cross-entropy.js";
export { gather, scatterAdd } from "./ops/gather.js";
export { slice, narrow, sliceScatter } from "./ops/slice.js";
export { softmax, logSoftmax, softmaxBackward } from "./ops/softmax.js";
export { leakyRelu, gelu, softplus, silu, elu, clamp } from "./ops/activations.js";
export { sigmoidBackward, tanhBackward, reluBackward } from "./ops/activation-grads.js";
export type { ValuesIndices, VarOptions } from "./ops/reductions.js";
export type { Operand } from "./ops/elementwise.js";
export { fusedAdadeltaStep_, fusedAdamStep_ } from "./ops/fused-optim.js";
export { keep, memoryScope } from "./engine/memory-scope.js";
export { tril, triu, maskedFill } from "./ops/masks.js";
export { cumsum, cumprod } from "./ops/scan.js";
export type { ScanOptions } from "./ops/scan.js";
export { sort, argsort, topk } from "./ops/sort.js";
export { flip, roll, repeat, tile } from "./ops/rearrange.js";
export { oneHot } from "./ops/one-hot.js";
export { addcmul, addcdiv } from "./ops/addc.js";
export type { AddcOptions } from "./ops/addc.js";
export { einsum } from "./ops/einsum.js";
export { scaledDotProductAttention } from "./ops/attention.js";
export { attentionSoftmax } from "./ops/attention-softmax.js";
export { softmaxCrossEntropy } from "./ops/softmax-cross-entropy.js";
export { layerNorm } from "./ops/layer-norm.js";
export { lstmCell } from "./ops/lstm-cell.js";
export { gruCell } from "./ops/gru-cell.js";
export type { AttentionOptions } from "./ops/attention.js";
export { multinomial, randLike, randnLike, randintLike } from "./sampling.js";
export type { SampleOptions, RandomLikeOptions } from "./sampling.js";
export { empty, emptyLike } from "./creation.js";
export type { SizeArgs } from "./shape.js";

// Convolution and pooling (torch.nn.functional's forms)
export { conv1d, conv2d, convTranspose2d } from "./ops/conv.js";
export type { ConvOptions, ConvTransposeOptions } from "./ops/conv.js";
export { maxPool1d, maxPool2d } from "./ops/max-pool.js";
export { dropout } from "./ops/dropout.js";
export type { MaxPoolOptions } from "./ops/max-pool.js";
export { avgPool2d, adaptiveAvgPool2d } from "./ops/avg-pool.js";
export type { AvgPoolOptions } from "./ops/avg-pool.js";
export { pad } from "./ops/pad.js";
export type { PadMode, PadOptions } from "./ops/pad.js";
export { unfold, fold } from "./ops/unfold.js";
export type { FoldOptions } from "./ops/unfold.js";
export type { SizeArg } from "./ops/window-args.js";

// Backends
export type { Backend, BackendBuffer, StridedView, HostArray, UnaryOp, BinaryOp, ReduceOp, ArgReduceOp, AdamStepScalars, AdadeltaStepScalars } from "./backend/backend.js";
export type { ScanOp, Window2d } from "./backend/backend.js";
export type { GeluApproximate } from "./backend/backend.js";
export { getBackend, setBackend, registerBackend, listBackends } from "./backend/registry.js";
export { createCpuBackend } from "./backend/cpu/cpu-backend.js";
// WebGPU: initWebGPU imports the backend itself on first call, so programs without it don't bundle it.
export { initWebGPU, webgpuMemory, type WebGPUOptions, type WebGPUInfo } from "./backend/webgpu/init.js";
export type { GpuMemoryInfo } from "./backend/webgpu/gpu-context.js";
export {
  createWasmBackend, wasmSimdSupported, wasmFeatures, setNumThreads, getNumThreads, type WasmBackendOptions, type WasmFeatures,
} from "./backend/wasm/index.js";

// One copy of the library: a Tensor from a second copy (ESM and CJS both loaded) is named in errors.
export { isForeignTensor, foreignTensorHint, TWO_COPIES_HINT } from "./copies.js";
export { registeredOps } from "./ops/registry.js";
