import { sep } from "node:path";
import { defineConfig } from "tsup";
import type { Plugin } from "esbuild";

/**
 * /testing and /testing/arbitraries import the library through its public entry (`../index.js`);
 * the build turns that import into `@tensorgrad/autograd`, kept external, so they never bundle a
 * second copy of the library: `gradcheck` from `require("@tensorgrad/autograd/testing")` works on
 * tensors from `require("@tensorgrad/autograd")`. (Node resolves a package's own name through its
 * `exports`, and an installed package resolves it from node_modules.)
 */
const mainEntryExternal: Plugin = {
  name: "testing-imports-main-entry",
  setup(build) {
    build.onResolve({ filter: /^\.\.\/index\.js$/ }, (args) =>
      args.importer.includes(`${sep}src${sep}testing${sep}`) ? { path: "@tensorgrad/autograd", external: true } : undefined,
    );
  },
};

export default defineConfig({
  entry: { index: "src/index.ts", "testing/index": "src/testing/index.ts", "testing/arbitraries": "src/testing/arbitraries.ts" },
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  // No source maps: they would double the tarball and point into src/, which is not shipped.
  sourcemap: false,
  target: "es2022",
  external: ["fast-check"],
  esbuildPlugins: [mainEntryExternal],
});
