/**
 * The packages as a JavaScript developer gets them: `pnpm pack` each one, install the tarballs into
 * a temporary project, import every entry from ESM and CJS, bundle an app of them with esbuild (for
 * Node as ESM and CJS, run; for the browser) and the README's Web Worker recipe with Vite, and
 * type-check a consumer with tsc in node16, node10 (`module: commonjs`) and bundler resolution,
 * without the optional peers (fast-check, vega, vega-lite). (`pnpm test` builds first.)
 *
 * Installing is offline: each tarball is unpacked into the project's node_modules as npm would,
 * and the few third-party runtime dependencies (the examples' commander and cli-progress) and the
 * consumer's tools (typescript, @types/node) are linked from this checkout's node_modules, where
 * `pnpm install` put them. Nothing is downloaded while the test runs.
 */

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const PACKAGES = ["autograd", "nn", "examples"] as const;

/** pnpm: the one running `pnpm test`, else the version the repository pins, through npx. */
function pnpm(args: string[], cwd: string): string {
  const execPath = process.env.npm_execpath ?? "";
  if (/pnpm/.test(execPath) && existsSync(execPath)) {
    return execFileSync(execPath.endsWith(".cjs") || execPath.endsWith(".js") ? process.execPath : execPath, execPath.endsWith("js") ? [execPath, ...args] : args, { cwd, encoding: "utf8", stdio: "pipe" });
  }
  const pinned = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { packageManager: string }).packageManager;
  return execFileSync("npx", ["--yes", pinned, ...args], { cwd, encoding: "utf8", stdio: "pipe" });
}

/**
 * Runs node in the consumer project as its user would: without NODE_PATH, which pnpm's bin shims
 * (vitest's included) point at this checkout's node_modules/.pnpm/node_modules, where every
 * package of the workspace is hoisted (vega-lite too), so that require() would find there what
 * the installed tarballs fail to bring.
 */
function node(args: string[], cwd: string): string {
  const { NODE_PATH: _nodePath, ...env } = process.env;
  return execFileSync(process.execPath, args, { cwd, env, encoding: "utf8", stdio: "pipe", timeout: 60_000 });
}

/** Whether `name` resolves from the consumer project (without NODE_PATH). */
function resolvable(name: string): boolean {
  return node(["-e", `try { require.resolve(${JSON.stringify(name)}); console.log("yes"); } catch { console.log("no"); }`], project).trim() === "yes";
}

/** The real directory of `name` as the package at `from` resolves it. */
function installedDir(name: string, from: string): string {
  return realpathSync(join(from, "node_modules", name));
}

let project = "";
const tarballs: Record<string, string> = {};
const unpacked: Record<string, string[]> = {};

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), "tg-consumer-"));
  const packs = join(project, "packs");
  mkdirSync(packs);
  for (const p of PACKAGES) {
    const before = new Set(readdirSync(packs));
    pnpm(["pack", "--pack-destination", packs], join(root, "packages", p));
    tarballs[p] = join(packs, readdirSync(packs).find((f) => !before.has(f))!);
    // Unpack as npm install does: the tarball's package/ becomes node_modules/@tensorgrad/<p>.
    const target = join(project, "node_modules", "@tensorgrad", p);
    mkdirSync(target, { recursive: true });
    execFileSync("tar", ["xzf", tarballs[p], "-C", target, "--strip-components=1"]);
    unpacked[p] = execFileSync("tar", ["tzf", tarballs[p]], { encoding: "utf8" }).trim().split("\n").map((f) => f.replace(/^package\//, ""));
  }
  const link = (name: string, dir: string) => {
    const at = join(project, "node_modules", name);
    mkdirSync(dirname(at), { recursive: true });
    symlinkSync(dir, at, "dir");
  };
  for (const dep of ["commander", "cli-progress"]) link(dep, installedDir(dep, join(root, "packages", "examples")));
  link("typescript", installedDir("typescript", root));
  link("@types/node", installedDir("@types/node", root));
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, version: "1.0.0" }));
}, 120_000);

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe("packed tarballs", () => {
  it("hold dist, LICENSE, README and package.json; no source maps, no src/; no workspace: specifiers", () => {
    for (const p of PACKAGES) {
      const files = unpacked[p];
      expect(files, p).toContain("LICENSE");
      expect(files, p).toContain("README.md");
      expect(files.filter((f) => f.endsWith(".map") || f.startsWith("src/")), p).toEqual([]);
      const manifest = readFileSync(join(project, "node_modules", "@tensorgrad", p, "package.json"), "utf8");
      expect(manifest, p).not.toContain("workspace:");
    }
    const nn = JSON.parse(readFileSync(join(project, "node_modules", "@tensorgrad", "nn", "package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(Object.keys(nn.dependencies)).toEqual(["@tensorgrad/autograd"]); // csv-parse is bundled
    // vega and vega-lite (~49 MB) are optional peers of the examples, not dependencies
    const examples = JSON.parse(readFileSync(join(project, "node_modules", "@tensorgrad", "examples", "package.json"), "utf8")) as {
      dependencies: Record<string, string>; peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    expect(Object.keys(examples.dependencies).sort()).toEqual(["@tensorgrad/autograd", "@tensorgrad/nn", "cli-progress", "commander"]);
    expect(examples.peerDependenciesMeta).toEqual({ vega: { optional: true }, "vega-lite": { optional: true } });
    expect(unpacked.examples).toContain("docs/numpy-to-tensorgrad.md"); // the README links it
    // Sizes, for the record (issue 14 measured autograd at 2.7 MB unpacked before).
    const sizes = PACKAGES.map((p) => `${p} ${(statSync(tarballs[p]).size / 1024).toFixed(0)} KB packed`);
    console.log(sizes.join(", "));
  });

  it("every relative link in a shipped Markdown file names a file in the same tarball", () => {
    const broken: string[] = [];
    for (const p of PACKAGES) {
      for (const md of unpacked[p].filter((f) => f.endsWith(".md"))) {
        const text = readFileSync(join(project, "node_modules", "@tensorgrad", p, md), "utf8");
        for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
          if (/^[a-z]+:|^#/.test(target)) continue; // https:, mailto:, an anchor in the same file
          const file = posix.normalize(posix.join(posix.dirname(md), target.split("#")[0]));
          if (!unpacked[p].includes(file)) broken.push(`${p}/${md}: ${target}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it("import from ESM: autograd, /testing, nn, nn/node, examples", () => {
    // /testing's gradcheck must not need fast-check (an optional peer for the arbitraries), and the project has none
    expect(resolvable("fast-check")).toBe(false);
    const out = node(
      [
        "--input-type=module",
        "-e",
        `import { tensor, manualSeed, Tensor } from "@tensorgrad/autograd";
         import { gradcheck } from "@tensorgrad/autograd/testing";
         import * as nn from "@tensorgrad/nn";
         import { save, load } from "@tensorgrad/nn/node";
         import { runWorked } from "@tensorgrad/examples";
         manualSeed(0);
         const x = tensor([0.5, -1], { dtype: "float64", requiresGrad: true });
         const lin = new nn.Linear(2, 1);
         const y = lin.call(tensor([[1, 2]]));
         console.log(gradcheck((t) => t.tanh(), [x]).ok, y instanceof Tensor, typeof save, typeof load, typeof runWorked);`,
      ],
      project,
    );
    expect(out.trim()).toBe("true true function function function");
  });

  it("require from CJS: the same, and /testing shares the app's copy", () => {
    const out = node(
      [
        "-e",
        `const { tensor, Tensor } = require("@tensorgrad/autograd");
         const { gradcheck } = require("@tensorgrad/autograd/testing");
         const nn = require("@tensorgrad/nn");
         const { save } = require("@tensorgrad/nn/node");
         const x = tensor([0.5, -1], { dtype: "float64", requiresGrad: true });
         console.log(gradcheck((t) => t.tanh(), [x]).ok, new nn.Linear(2, 1).call(tensor([[1, 2]])) instanceof Tensor, typeof save,
           require("@tensorgrad/autograd/package.json").version);`,
      ],
      project,
    );
    expect(out.trim()).toMatch(/^true true function \d+\.\d+\.\d+/);
  });

  it("mixing the ESM and CJS copies is an error that says so", () => {
    const out = node(
      [
        "--input-type=module",
        "-e",
        `import { createRequire } from "node:module";
         import * as nn from "@tensorgrad/nn";
         const { tensor } = createRequire(import.meta.url)("@tensorgrad/autograd");
         try { new nn.Linear(2, 1).call(tensor([[1, 2]])); console.log("no error"); } catch (e) { console.log(e.message); }`,
      ],
      project,
    );
    expect(out).toContain("two copies of @tensorgrad/autograd are loaded (ESM and CJS?)");
  });

  it("the examples CLI runs from the installed package", () => {
    const cli = join(project, "node_modules", "@tensorgrad", "examples", "dist", "cli.js");
    expect(node([cli, "--version"], project).trim()).toBe("0.1.0");
    const result = JSON.parse(node([cli, "worked", "--part1-only", "--json"], project)) as { maxAbsDifference: number };
    expect(result.maxAbsDifference).toBeLessThanOrEqual(1e-12);
    expect(existsSync(join(project, "out"))).toBe(false);
  });

  it.each([
    ["node", "esm"],
    ["node", "cjs"],
    ["browser", "esm"],
  ] as const)("a bundler (esbuild) bundles an app of the installed packages for %s as %s", async (platform, format) => {
    // esbuild is tsup's dependency (the root lists tsup); only the slice of its API used here is typed.
    type Esbuild = { build(options: Record<string, unknown>): Promise<{ errors: unknown[]; warnings: unknown[] }> };
    const esbuild = createRequire(createRequire(join(root, "package.json")).resolve("tsup"))("esbuild") as Esbuild;
    const dir = mkdtempSync(join(project, "bundle-"));
    writeFileSync(
      join(dir, "app.js"),
      `import { tensor } from "@tensorgrad/autograd";
       import { Linear, mseLoss, optim } from "@tensorgrad/nn";
       const model = new Linear(1, 1);
       const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
       const x = tensor([[1], [2], [3]]), y = tensor([[2], [4], [6]]);
       for (let i = 0; i < 200; i++) { opt.zeroGrad(); const loss = mseLoss(model.call(x), y); loss.backward(); opt.step(); }
       console.log(mseLoss(model.call(x), y).item() < 1e-3 ? "trained" : "not trained");`,
    );
    const outfile = join(dir, format === "cjs" ? "app.cjs" : "app.mjs");
    const result = await esbuild.build({ entryPoints: [join(dir, "app.js")], absWorkingDir: project, bundle: true, platform, format, outfile, logLevel: "silent" });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    const bundled = readFileSync(outfile, "utf8");
    expect(bundled).not.toMatch(/(require\(|from\s*|import\()["']@tensorgrad\//); // everything inlined, nothing left to resolve
    if (platform === "node") expect(node([outfile], dir).trim()).toBe("trained");
  });

  it("Vite builds the README's Web Worker recipe from the installed packages (worker.format 'es'), and the worker trains", () => {
    const dir = mkdtempSync(join(project, "vite-"));
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "index.html"), `<!doctype html><script type="module" src="./src/main.js"></script>`);
    writeFileSync(
      join(dir, "src", "main.js"),
      `const worker = new Worker(new URL("./train.worker.js", import.meta.url), { type: "module" });
       worker.onmessage = (e) => console.log(e.data);`,
    );
    writeFileSync(
      join(dir, "src", "train.worker.js"),
      `import { getBackend, linspace, manualSeed } from "@tensorgrad/autograd";
       import { Linear, Sequential, Tanh, optim } from "@tensorgrad/nn";
       manualSeed(0);
       const x = linspace(0, 1, 64).reshape(64, 1), y = x.mul(2 * Math.PI).sin();
       const model = new Sequential(new Linear(1, 32), new Tanh(), new Linear(32, 1));
       const opt = new optim.Adam(model.parameters(), { lr: 0.02 });
       let loss = 0;
       for (let step = 0; step < 600; step++) {
         opt.zeroGrad();
         const halfMse = model.call(x).sub(y).square().mean().mul(0.5);
         halfMse.backward();
         opt.step();
         loss = halfMse.item();
       }
       postMessage({ backend: getBackend().name, loss });`,
    );
    writeFileSync(join(dir, "vite.config.mjs"), `export default { worker: { format: "es" }, build: { target: "es2022" } };`);
    // the examples package's Vite (its devDependency, which builds the live page)
    const vite = join(root, "packages", "examples", "node_modules", "vite", "bin", "vite.js");
    const log = node([vite, "build", "--config", "vite.config.mjs", "--logLevel", "warn"], dir);
    expect(log.trim()).toBe(""); // no warnings
    const assets = join(dir, "dist", "assets");
    const worker = readdirSync(assets).find((f) => f.startsWith("train.worker"));
    expect(worker).toBeDefined();
    const bundled = readFileSync(join(assets, worker!), "utf8");
    expect(bundled).not.toMatch(/(from\s*|import\()["']@tensorgrad\//);
    // the worker bundle runs in Node too, with postMessage stubbed: it trains
    const out = node(["--input-type=module", "-e", `globalThis.postMessage = (m) => console.log(JSON.stringify(m)); await import(${JSON.stringify(join(assets, worker!))});`], dir);
    const result = JSON.parse(out.trim()) as { backend: string; loss: number };
    expect(result.backend).toBe("wasm");
    expect(result.loss).toBeLessThan(0.01);
  });

  it.each([
    ["node16", { module: "node16", moduleResolution: "node16" }],
    ["node10 (module: commonjs)", { module: "commonjs", moduleResolution: "node10" }],
    ["bundler", { module: "esnext", moduleResolution: "bundler" }],
  ])("a TypeScript consumer type-checks with %s resolution", (_name, options) => {
    const dir = mkdtempSync(join(project, "ts-"));
    const body = `
      const x: Tensor = tensor([1, 2], { dtype: "float64", requiresGrad: true });
      const report: GradcheckReport = gradcheck((t) => t.mul(t).sum(), [x]);
      const layer = new Linear(2, 1);
      const y: Tensor = layer.call(x.reshape(1, 2).float());
      const saver: typeof save = save;
      export const result = [report.ok, y.shape, saver] as const;
    `;
    const imports = `
      import { tensor, type Tensor } from "@tensorgrad/autograd";
      import { gradcheck, type GradcheckReport } from "@tensorgrad/autograd/testing";
      import { Linear } from "@tensorgrad/nn";
      import { save } from "@tensorgrad/nn/node";
    `;
    // @tensorgrad/examples is ESM only: imported where the file is ESM. Its declarations must not
    // need vega-lite, an optional peer dependency that this project does not have.
    expect(resolvable("vega-lite")).toBe(false);
    const esmOnly = `
      import { lineChart, runWorked, type PlotSpec } from "@tensorgrad/examples";
      export const plot: PlotSpec = lineChart({ title: "loss", x: "step", y: "loss", rows: [{ step: 0, loss: 1 }] });
      export const worked: typeof runWorked = runWorked;
    `;
    const files = options.module === "node16" ? ["esm.mts", "cjs.cts"] : ["index.ts"];
    for (const f of files) writeFileSync(join(dir, f), imports + (f.endsWith(".cts") || options.module === "commonjs" ? "" : esmOnly) + body);
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { ...options, target: "es2022", strict: true, noEmit: true, skipLibCheck: false, types: ["node"] }, files }),
    );
    const tsc = createRequire(join(project, "package.json")).resolve("typescript/bin/tsc");
    let output = "";
    try {
      output = node([tsc, "-p", join(dir, "tsconfig.json")], dir);
    } catch (e) {
      output = String((e as { stdout?: string }).stdout ?? e);
    }
    expect(output).toBe("");
  });
});
