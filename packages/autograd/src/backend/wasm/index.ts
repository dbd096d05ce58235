/** The wasm backend's public surface. */
export { createWasmBackend, WASM_MATMUL_MIN_MACS, WASM_ELEMENTWISE_MIN_SIZE, THREAD_MIN_MACS_PER_THREAD } from "./wasm-backend.js";
export type { WasmBackendOptions } from "./wasm-backend.js";
export { wasmSimdSupported, wasmFeatures, wasmMemoryAvailable, type WasmFeatures } from "./runtime.js";
export { setNumThreads, getNumThreads } from "./threads.js";
