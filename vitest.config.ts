import { fileURLToPath } from "node:url";
import { defineConfig, type ViteUserConfig } from "vitest/config";

const src = (p: string) => fileURLToPath(new URL(`./packages/${p}`, import.meta.url));

const resolve: ViteUserConfig["resolve"] = {
  // Tests run against the TypeScript sources, so no build is needed before `vitest`.
  alias: [
    { find: /^@tensorgrad\/autograd\/testing\/arbitraries$/, replacement: src("autograd/src/testing/arbitraries.ts") },
    { find: /^@tensorgrad\/autograd\/testing$/, replacement: src("autograd/src/testing/index.ts") },
    { find: /^@tensorgrad\/autograd$/, replacement: src("autograd/src/index.ts") },
    { find: /^@tensorgrad\/nn\/node$/, replacement: src("nn/src/node.ts") },
    { find: /^@tensorgrad\/nn$/, replacement: src("nn/src/index.ts") },
    { find: /^@tensorgrad\/examples$/, replacement: src("examples/src/index.ts") },
  ],
};

/** The op and nn suites, which every backend must pass. */
const backendSuites = ["test/autograd/**/*.test.ts", "test/nn/**/*.test.ts", "test/readme.test.ts"];

const project = (name: string, include: string[], setupFiles: string[], env: Record<string, string> = {}, execArgv: string[] = [], exclude: string[] = []) => ({
  resolve,
  test: { name, include, exclude: ["**/node_modules/**", ...exclude], setupFiles: ["test/setup.ts", ...setupFiles], env, execArgv, testTimeout: 60_000, pool: "forks" as const },
});

/**
 * Node finds a WebGPU adapter through Dawn (the `webgpu` package) and a Vulkan driver: on a machine
 * without a GPU, SwiftShader from Debian's chromium package (.ci/run installs it).
 */
const SWIFTSHADER = { LD_LIBRARY_PATH: "/usr/lib/chromium", VK_ICD_FILENAMES: "/usr/lib/chromium/vk_swiftshader_icd.json" };

export default defineConfig({
  resolve,
  test: {
    projects: [
      // Everything, on the default backend (wasm where WebAssembly SIMD exists, else cpu).
      // (the webgpu suites run in their own project, which sets up the GPU driver)
      project("default", ["test/**/*.test.ts"], [], {}, [], ["test/webgpu/**"]),
      // The same op and nn suites on the plain TypeScript oracle...
      project("cpu", backendSuites, ["test/backends/cpu-default.setup.ts"]),
      // ...and on wasm with every float kernel forced into wasm, however small the tensor.
      project("wasm-forced", backendSuites, ["test/backends/wasm-default.setup.ts"], { TENSORGRAD_WASM_FORCE: "1" }),
      // The default and wasm-forced projects run the FMA (relaxed-SIMD) build of the kernels, which
      // the backend picks wherever relaxed SIMD exists (on Node 20 it turns on V8's flag). Engines
      // without it run the plain build: the wasm kernel and parity suites on that build too.
      project("wasm-plain", ["test/backends/wasm-*.test.ts"], ["test/backends/wasm-plain.setup.ts"], { TENSORGRAD_WASM_FMA: "0" }, [], ["test/backends/wasm-fma.test.ts", "test/backends/wasm-artifact.test.ts"]),
      // The webgpu backend against the cpu oracle, in Node over Dawn (SwiftShader where there is no
      // GPU; --expose-gc lets the leak test collect tensors). Without an adapter its tests say
      // "skipped: no WebGPU adapter (reason)", except under CI, where that is a failure.
      project("webgpu", ["test/webgpu/**/*.test.ts"], [], SWIFTSHADER, ["--expose-gc"]),
    ],
  },
});
