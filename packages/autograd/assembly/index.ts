/** Entry point of tensorgrad's WebAssembly kernels (compiled by scripts/build-wasm.mjs). */
export { matmulF32, matmulF64, MR_F32, NR_F32, MR_F64, NR_F64 } from "./matmul";
export { packF32, packF64 } from "./pack";
export { expF32, tanhF32, sigmoidF32, reluF32, sqrtF32, absF32, negF32 } from "./elementwise";
export { expF64, tanhF64, sigmoidF64, reluF64, sqrtF64, absF64, negF64 } from "./elementwise";
export { sumRows, sumColumns, vecMat, matVec, outer } from "./elementwise";
export {
  addF32, subF32, mulF32, divF32, sigmoidBackwardF32, tanhBackwardF32, reluBackwardF32,
  addF64, subF64, mulF64, divF64, sigmoidBackwardF64, tanhBackwardF64, reluBackwardF64,
} from "./elementwise";
export { adadeltaF32, adadeltaF64, adamF32, adamF64 } from "./optim";
export {
  convForwardF32, convForwardF64, convInputGradF32, convInputGradF64, convWeightGradF32, convWeightGradF64,
} from "./conv";
export { geluF32, geluBackwardF32, erfF32 } from "./gelu";
export { softmaxF32, softmaxF64, softmaxBackwardF32, softmaxBackwardF64, softmaxCrossEntropyF32, softmaxCrossEntropyBackwardF32 } from "./softmax";
export { layerNormF32, layerNormBackwardF32 } from "./layernorm";
export { attentionSoftmaxF32, attentionSoftmaxBackwardF32 } from "./attention";
export { bceF32, bceBackwardF32 } from "./loss";
export { indexSelectRows, indexAddRowsF32 } from "./index-rows";
export { smallGemmF32, smallGemmPackedF32, transposeF32 } from "./small-gemm";
export { batchedGemmF32 } from "./batched-gemm";
export { lstmCellF32, lstmCellBackwardF32, gruCellF32, gruCellBackwardF32 } from "./recurrent";
export { maxPool2dF32, maxPool2dF64, maxPool2dBackwardF32, maxPool2dBackwardF64 } from "./pool";
export { dropoutF32, dropoutF64 } from "./dropout";
