/**
 * Setup file of the "wasm-fma" vitest project (started with --experimental-wasm-relaxed-simd):
 * fails the run at once, with the reason, unless the wasm backend really uses its FMA build.
 */

import { wasmFeatures } from "@tensorgrad/autograd";

const features = wasmFeatures();
if (!features.fma) {
  throw new Error(
    `wasm-fma project: the wasm backend is not on its FMA build (${JSON.stringify(features)}); ` +
      `it needs relaxed SIMD (node --experimental-wasm-relaxed-simd on Node 20) and TENSORGRAD_WASM_FMA unset`,
  );
}
