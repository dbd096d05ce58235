/**
 * Bundle-size budget: a trivial autograd program and an nn training program, bundled for the
 * browser with esbuild (tsup's own, so nothing extra is installed), minified and gzipped. Fails
 * when either grows by more than 10 % over test/packaging/bundle-budget.json; raise the budget
 * there on purpose, in the commit that needs it. The sizes include the inlined wasm kernels
 * (base64: the SIMD build and the small patch that turns it into the FMA build), which make
 * loading synchronous.
 */

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
/** The slice of esbuild's API used here (esbuild is tsup's dependency, not ours, so no types). */
interface Esbuild {
  build(options: Record<string, unknown>): Promise<{ outputFiles: { contents: Uint8Array }[] }>;
}
// esbuild is a dependency of tsup, which the root package.json lists.
const esbuild = createRequire(createRequire(`${root}package.json`).resolve("tsup"))("esbuild") as Esbuild;
const budget = JSON.parse(readFileSync(`${root}test/packaging/bundle-budget.json`, "utf8")) as Record<string, number>;

const PROGRAMS: Record<string, string> = {
  autograd: `import { tensor } from "@tensorgrad/autograd";
    const x = tensor([1, 2, 3], { requiresGrad: true });
    x.mul(x).sum().backward();
    console.log(x.grad.toArray());`,
  nn: `import { randn } from "@tensorgrad/autograd";
    import { Linear, ReLU, Sequential, mseLoss, optim } from "@tensorgrad/nn";
    const model = new Sequential(new Linear(1, 16), new ReLU(), new Linear(16, 1));
    const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
    const x = randn(64, 1), y = x.sin();
    for (let i = 0; i < 100; i++) { opt.zeroGrad(); const loss = mseLoss(model.call(x), y); loss.backward(); opt.step(); }
    console.log(mseLoss(model.call(x), y).item());`,
};

async function gzippedSize(program: string): Promise<{ minified: number; gzipped: number }> {
  const result = await esbuild.build({
    stdin: { contents: program, resolveDir: root, loader: "ts" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    alias: {
      "@tensorgrad/autograd": `${root}packages/autograd/src/index.ts`,
      "@tensorgrad/nn": `${root}packages/nn/src/index.ts`,
    },
    logLevel: "silent",
  });
  const code = result.outputFiles[0].contents;
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
}

describe("bundle-size budget (minified + gzip)", () => {
  it.each(Object.keys(PROGRAMS))("%s program stays within 10 percent of its budget", async (name) => {
    const { minified, gzipped } = await gzippedSize(PROGRAMS[name]);
    console.log(`${name}: ${(minified / 1024).toFixed(1)} KB minified, ${(gzipped / 1024).toFixed(1)} KB gzipped (budget ${(budget[name] / 1024).toFixed(1)} KB)`);
    expect(gzipped, `${name} bundle grew past its budget: raise test/packaging/bundle-budget.json on purpose`).toBeLessThanOrEqual(budget[name] * 1.1);
  });
});
