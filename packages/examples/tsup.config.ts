import { defineConfig } from "tsup";

export default defineConfig({
  // index: each example as a function (runSine, runDigits, …); cli: `tensorgrad-examples`.
  // src/cli.ts starts with `#!/usr/bin/env node`; esbuild keeps it and tsup marks the file executable.
  entry: { index: "src/index.ts", cli: "src/cli.ts" },
  format: ["esm"],
  dts: { entry: { index: "src/index.ts" } },
  clean: true,
  // No source maps: they would double the tarball and point into src/, which is not shipped.
  sourcemap: false,
  target: "es2022",
  external: [/^@tensorgrad\//, "commander", "cli-progress", "vega", "vega-lite"],
});
