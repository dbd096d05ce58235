// The TensorFlow.js the tfjs bench worker loads, bundled by bench/lib/harness.ts (esbuild through
// tsup) into one CommonJS file in the scratch folder. Why a bundle: tfjs-core's Node build
// (dist/tf-core.node.js) holds neither the gradient functions nor the chained ops (x.mul(...)); they
// are registered by per-file ES modules with extensionless imports that Node cannot load directly —
// the @tensorflow/tfjs umbrella package, or an application's bundler, normally does this step.
// ES module entries everywhere (mainFields module-first) so that there is one copy of tfjs-core.
export * from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import "@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops";
import "@tensorflow/tfjs-backend-cpu";
export { setWasmPaths, getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
