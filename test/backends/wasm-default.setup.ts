/**
 * Setup file that runs a test suite with "wasm" as the active backend. The integrator adds it
 * to a vitest project (see the report in the wasm backend's commit); with
 * TENSORGRAD_WASM_FORCE=1 every float matmul and elementwise kernel goes to wasm regardless of
 * size, so small test tensors exercise the wasm code too.
 */

import { createWasmBackend, registerBackend, setBackend } from "@tensorgrad/autograd";

if (process.env.TENSORGRAD_WASM_FORCE === "1") {
  registerBackend(createWasmBackend({ matmulMinMacs: 0, elementwiseMinSize: 0, threadMinMacsPerThread: 1 }));
}
setBackend("wasm");
