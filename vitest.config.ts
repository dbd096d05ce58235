import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (p: string) => fileURLToPath(new URL(`./packages/${p}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources, so no build is needed before `vitest`.
    alias: [
      { find: /^@tensorgrad\/autograd\/testing$/, replacement: src("autograd/src/testing/index.ts") },
      { find: /^@tensorgrad\/autograd$/, replacement: src("autograd/src/index.ts") },
      { find: /^@tensorgrad\/nn$/, replacement: src("nn/src/index.ts") },
      { find: /^@tensorgrad\/examples$/, replacement: src("examples/src/index.ts") },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/setup.ts"],
    testTimeout: 60_000,
    pool: "forks",
  },
});
