/**
 * The live training page: `pnpm web` serves it (with the COOP/COEP headers that give the worker
 * threads), `pnpm build:web` builds it into web/dist. The @tensorgrad packages resolve to their
 * TypeScript sources, so the page needs no build of the packages first.
 */

import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const src = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));

/** Cross-origin isolation: SharedArrayBuffer, so the wasm kernels' worker threads. */
const isolation = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./", // relative asset URLs, so the built page works from any folder
  resolve: {
    alias: [
      { find: /^@tensorgrad\/autograd$/, replacement: src("autograd/src/index.ts") },
      { find: /^@tensorgrad\/nn$/, replacement: src("nn/src/index.ts") },
    ],
  },
  worker: { format: "es" },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
  server: { headers: isolation },
  preview: { headers: isolation },
});
