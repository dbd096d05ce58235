/**
 * The functional API (PyTorch's torch.nn.functional): `import { functional as F } from "@tensorgrad/nn"`.
 * Stateless forms of the layers, and every loss.
 */

export { relu, leakyRelu, sigmoid, tanh, gelu, silu, softplus, elu, softmax, logSoftmax } from "./activations.js";
export type { GELUOptions } from "./activations.js";
export { linear, dropout, oneHot, embedding } from "./linear.js";
export type { DropoutOptions, EmbeddingFunctionOptions } from "./linear.js";
export { layerNorm, batchNorm } from "./normalization.js";
export type { LayerNormOptions, BatchNormOptions } from "./normalization.js";
// convolution and pooling: the ops of @tensorgrad/autograd, plus groupNorm and dropout2d
export {
  conv1d, conv2d, convTranspose2d, maxPool1d, maxPool2d, avgPool2d, adaptiveAvgPool2d, pad, unfold, fold,
} from "@tensorgrad/autograd";
export { groupNorm } from "./group-norm.js";
export type { GroupNormOptions } from "./group-norm.js";
export { dropout2d } from "./dropout-2d.js";
export { rmsNorm } from "./rms-norm.js";
export type { RMSNormOptions } from "./rms-norm.js";
export { scaledDotProductAttention } from "@tensorgrad/autograd";
// A local alias, not `export type { … } from`: the declaration bundler turns a re-exported external
// type inside the `functional` namespace into `typeof AttentionOptions`, which does not type-check.
import type { AttentionOptions as AutogradAttentionOptions } from "@tensorgrad/autograd";
/** Options of scaledDotProductAttention (autograd's AttentionOptions). */
export type AttentionOptions = AutogradAttentionOptions;
export { mseLoss, l1Loss, smoothL1Loss, huberLoss } from "../losses/regression.js";
export type { SmoothL1Options, HuberOptions } from "../losses/regression.js";
export { binaryCrossEntropy, binaryCrossEntropyWithLogits, bceWithLogits } from "../losses/binary.js";
export type { BCEOptions, BCEWithLogitsOptions } from "../losses/binary.js";
export { crossEntropy, nllLoss } from "../losses/classification.js";
export type { CrossEntropyOptions, NLLLossOptions } from "../losses/classification.js";
export type { Reduction, ReductionOptions } from "../losses/reduction.js";
