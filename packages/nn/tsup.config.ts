import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", node: "src/node.ts" },
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  // No source maps: they would double the tarball and point into src/, which is not shipped.
  sourcemap: false,
  target: "es2022",
  external: [/^@tensorgrad\//],
  // Code splitting for CJS too (tsup does it for ESM only by default): index.cjs and node.cjs share
  // one chunk instead of each bundling its own copy of the library (Module, errors, safetensors).
  splitting: true,
  // csv-parse's browser ESM build is bundled in, so the CJS output never require()s an ES module
  // (which Node supports only from 20.19) and browsers don't need Node's Buffer.
  noExternal: ["csv-parse"],
});
