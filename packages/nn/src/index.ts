/**
 * @tensorgrad/nn — PyTorch-style neural network building blocks on @tensorgrad/autograd.
 * Exports only through this file.
 */

// --- modules, layers, functional, losses, init
export { Parameter } from "./parameter.js";
export { Module, StateDictError } from "./module.js";
export type {
  AnyModule, StateDict, LoadStateDictOptions, IncompatibleKeys, MismatchedKey, ZeroGradOptions, BufferOptions,
  NamedMembersOptions, MembersOptions, NumParametersOptions,
} from "./module.js";
export { Sequential, ModuleList, ModuleDict } from "./layers/container.js";
export type { TensorModule } from "./layers/container.js";
export { Linear, Identity, Flatten } from "./layers/linear.js";
export type { LinearOptions, DTypeOptions } from "./layers/linear.js";
export { LayerNorm, BatchNorm1d } from "./layers/normalization.js";
export type { LayerNormOptions, BatchNormOptions } from "./layers/normalization.js";
export { Embedding } from "./layers/embedding.js";
export type { EmbeddingOptions, EmbeddingFromPretrainedOptions } from "./layers/embedding.js";
export { RNN, LSTM, GRU } from "./layers/rnn.js";
export type { RNNBaseOptions, RNNOptions, LSTMOptions, GRUOptions, RNNNonlinearity } from "./layers/rnn.js";
export { RNNCell, LSTMCell, GRUCell } from "./layers/rnn-cell.js";
export type { RNNCellBaseOptions, RNNCellOptions, LSTMCellOptions, GRUCellOptions } from "./layers/rnn-cell.js";
export { ReLU, LeakyReLU, Sigmoid, Tanh, GELU, SiLU, Softplus, ELU, Softmax, LogSoftmax, Dropout } from "./layers/activation.js";
// convolution, pooling and their normalization / dropout / reshaping companions
export { Conv1d, Conv2d, ConvTranspose2d } from "./layers/conv.js";
export type { ConvLayerOptions, ConvTransposeLayerOptions, PaddingMode } from "./layers/conv.js";
export { MaxPool1d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from "./layers/pooling.js";
export type { MaxPoolLayerOptions, AvgPoolLayerOptions } from "./layers/pooling.js";
export { BatchNorm2d } from "./layers/batch-norm-2d.js";
export { GroupNorm } from "./layers/group-norm.js";
export type { GroupNormLayerOptions } from "./layers/group-norm.js";
export { Dropout2d } from "./layers/dropout-2d.js";
export { Unflatten } from "./layers/unflatten.js";
export { MultiheadAttention, NonDynamicallyQuantizableLinear } from "./layers/attention.js";
export type { MultiheadAttentionOptions, MultiheadAttentionForwardOptions } from "./layers/attention.js";
export { TransformerEncoderLayer, TransformerEncoder, generateSquareSubsequentMask } from "./layers/transformer.js";
export type { SubsequentMaskOptions } from "./layers/transformer.js";
export type {
  TransformerActivation, TransformerEncoderLayerOptions, TransformerEncoderLayerForwardOptions, TransformerEncoderOptions, TransformerEncoderForwardOptions,
} from "./layers/transformer.js";
export { RMSNorm } from "./layers/rms-norm.js";
export type { RMSNormOptions } from "./layers/rms-norm.js";
export {
  Loss, MSELoss, L1Loss, SmoothL1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, NLLLoss,
} from "./losses/modules.js";
export type { Reduction, ReductionOptions } from "./losses/reduction.js";
// The loss functions also live at the top level (as well as in `functional`).
export { mseLoss, l1Loss, smoothL1Loss, huberLoss } from "./losses/regression.js";
export { binaryCrossEntropy, binaryCrossEntropyWithLogits, bceWithLogits } from "./losses/binary.js";
export { crossEntropy, nllLoss } from "./losses/classification.js";
export type { SmoothL1Options, HuberOptions } from "./losses/regression.js";
export type { BCEOptions, BCEWithLogitsOptions } from "./losses/binary.js";
export type { CrossEntropyOptions, NLLLossOptions } from "./losses/classification.js";
export * as functional from "./functional/index.js";
export * as init from "./init.js";

// --- optim, lr schedulers, data, save/load
export * as optim from "./optim/index.js";
export * from "./data/index.js";
export * from "./io/index.js";
