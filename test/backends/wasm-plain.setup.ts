/**
 * Setup file of the "wasm-plain" vitest project (TENSORGRAD_WASM_FMA=0): fails the run at once,
 * with the reason, unless the wasm backend really uses its plain (non-FMA) build, the one engines
 * without relaxed SIMD run.
 */

import { wasmFeatures } from "@tensorgrad/autograd";

const features = wasmFeatures();
if (features.fma || !features.simd) {
  throw new Error(`wasm-plain project: the wasm backend is not on its plain SIMD build (${JSON.stringify(features)}); it needs TENSORGRAD_WASM_FMA=0`);
}
