/** Entry point of tensorgrad's WebAssembly kernels (compiled by scripts/build-wasm.mjs). */
export { matmulF32, matmulF64, MR_F32, NR_F32, MR_F64, NR_F64 } from "./matmul";
export { packF32, packF64 } from "./pack";
export { unaryF32, unaryF64, binaryF32, binaryF64, softmaxRows, sumRows, sumColumns, vecMat, outer } from "./elementwise";
