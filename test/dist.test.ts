/**
 * The built packages load and work as users get them: ESM and CJS entry points, the testing
 * subpath, nn resolving autograd through its package exports. (`pnpm test` builds first.)
 */

import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const pkg = (p: string) => `${root}packages/${p}`;

function node(args: string[], cwd: string): string {
  return execFileSync(process.execPath, args, { cwd, encoding: "utf8", timeout: 60_000 });
}

describe("built packages", () => {
  it("were built (pnpm test runs the build first)", () => {
    for (const file of ["autograd/dist/index.js", "autograd/dist/index.cjs", "autograd/dist/testing/index.js", "autograd/dist/testing/arbitraries.js", "nn/dist/index.js", "nn/dist/index.cjs", "nn/dist/node.js", "nn/dist/node.cjs"]) {
      expect(existsSync(pkg(file)), `${file} is missing: run pnpm build`).toBe(true);
    }
  });

  it("the main entries import no Node built-in, so they bundle for browsers", () => {
    // Every import specifier of an entry and its chunks (esbuild writes node:fs as plain "fs").
    const builtinsOf = (file: string): string[] =>
      [...readFileSync(file, "utf8").matchAll(/(?:\bfrom|\bimport)\s*\(?\s*["']([^"']+)["']/g)]
        .map((m) => m[1].replace(/^node:/, ""))
        .filter((spec) => builtinModules.includes(spec));
    const withChunks = (entry: string): string[] => [
      pkg(entry),
      ...readdirSync(dirname(pkg(entry))).filter((f) => /^chunk-.*\.js$/.test(f)).map((f) => join(dirname(pkg(entry)), f)),
    ];
    for (const entry of ["autograd/dist/index.js", "autograd/dist/testing/index.js", "nn/dist/index.js"]) {
      for (const file of withChunks(entry)) expect(builtinsOf(file), file).toEqual([]);
    }
    expect(builtinsOf(pkg("nn/dist/node.js"))).toContain("fs"); // the Node entry does use the file system
  });

  it("autograd ESM: backward and gradcheck", () => {
    const out = node(
      [
        "--input-type=module",
        "-e",
        `import { tensor } from "@tensorgrad/autograd";
         import { gradcheck } from "@tensorgrad/autograd/testing";
         const x = tensor([1, 2], { requiresGrad: true, dtype: "float64" });
         x.mul(x).sum().backward();
         console.log(JSON.stringify(x.grad.toArray()), gradcheck((t) => t.tanh(), [x]).ok);`,
      ],
      pkg("nn"), // resolves @tensorgrad/autograd the way a dependent package does
    );
    expect(out.trim()).toBe("[2,4] true");
  });

  it("CJS /testing uses the app's copy of the library: gradcheck on require()d tensors (issue 14)", () => {
    const out = node(
      [
        "-e",
        `const ag = require("@tensorgrad/autograd");
         const { gradcheck } = require("@tensorgrad/autograd/testing");
         const x = ag.tensor([0.5, -1], { requiresGrad: true, dtype: "float64" });
         console.log(gradcheck((t) => t.tanh(), [x]).ok);`,
      ],
      pkg("nn"),
    );
    expect(out.trim()).toBe("true");
    // /testing (ESM and CJS) loads the main entry rather than bundling a second copy of it.
    for (const file of ["testing/index.js", "testing/index.cjs", "testing/arbitraries.js", "testing/arbitraries.cjs"]) {
      const code = readFileSync(pkg(`autograd/dist/${file}`), "utf8");
      expect(code, file).toMatch(/(from |require\()"@tensorgrad\/autograd"/);
      expect(code, file).not.toContain("class Tensor");
    }
  });

  it("/testing's gradcheck needs no fast-check; /testing/arbitraries names it when missing", () => {
    // The built package alone in a temporary node_modules, where fast-check cannot be resolved.
    const dir = mkdtempSync(join(tmpdir(), "tg-nofc-"));
    try {
      const target = join(dir, "node_modules", "@tensorgrad", "autograd");
      cpSync(pkg("autograd/dist"), join(target, "dist"), { recursive: true });
      cpSync(pkg("autograd/package.json"), join(target, "package.json"));
      const esm = `import { tensor } from "@tensorgrad/autograd";
        import { gradcheck } from "@tensorgrad/autograd/testing";
        console.log(gradcheck((t) => t.exp(), [tensor([1, 2], { dtype: "float64", requiresGrad: true })]).ok);`;
      expect(node(["--input-type=module", "-e", esm], dir).trim()).toBe("true");
      const cjs = `const { gradcheck } = require("@tensorgrad/autograd/testing"); const { tensor } = require("@tensorgrad/autograd");
        console.log(gradcheck((t) => t.exp(), [tensor([1, 2], { dtype: "float64", requiresGrad: true })]).ok);`;
      expect(node(["-e", cjs], dir).trim()).toBe("true");
      expect(() => execFileSync(process.execPath, ["--input-type=module", "-e", `import "@tensorgrad/autograd/testing/arbitraries";`], { cwd: dir, stdio: "pipe" })).toThrow(/fast-check/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("nn's CJS entries share one copy of nn (index.cjs and node.cjs load a common chunk)", () => {
    for (const file of ["nn/dist/index.cjs", "nn/dist/node.cjs"]) {
      const code = readFileSync(pkg(file), "utf8");
      expect(code, file).toMatch(/require\(['"]\.\/chunk-[\w-]+\.cjs['"]\)/);
    }
    expect(readFileSync(pkg("nn/dist/node.cjs"), "utf8")).not.toMatch(/\bclass _?Module\b/);
    const out = node(["-e", `const nn = require("@tensorgrad/nn"); const { load } = require("@tensorgrad/nn/node");
      try { load("/nonexistent.safetensors"); } catch (e) { console.log(e instanceof require("@tensorgrad/autograd").TensorgradError || e.code); }`], pkg("examples"));
    expect(out.trim()).not.toBe("");
  });

  it("autograd CJS", () => {
    const out = node(["-e", `const { tensor } = require("@tensorgrad/autograd"); console.log(String(tensor([[1, 2]]).matmul(tensor([[3], [4]]))));`], pkg("nn"));
    expect(out.trim()).toBe("tensor([[11.]])");
  });

  it("nn ESM and CJS: a Linear layer trains one step", () => {
    const script = (load: string) => `${load}
      const { manualSeed, tensor } = ag;
      manualSeed(0);
      const model = new nn.Linear(2, 1);
      const opt = new nn.optim.SGD(model.parameters(), { lr: 0.01 });
      const x = tensor([[1, 2], [3, 4]]), y = tensor([[1], [2]]);
      const before = nn.mseLoss(model.call(x), y).item();
      opt.zeroGrad(); nn.mseLoss(model.call(x), y).backward(); opt.step();
      console.log(nn.mseLoss(model.call(x), y).item() < before);`;
    const esm = `import * as ag from "@tensorgrad/autograd"; import * as nn from "@tensorgrad/nn";`;
    const cjs = `const ag = require("@tensorgrad/autograd"); const nn = require("@tensorgrad/nn");`;
    expect(node(["--input-type=module", "-e", script(esm)], pkg("examples")).trim()).toBe("true");
    expect(node(["-e", script(cjs)], pkg("examples")).trim()).toBe("true");
  });
});
