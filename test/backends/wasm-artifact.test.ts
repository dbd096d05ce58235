/**
 * The committed wasm module (src/backend/wasm/wasm-kernels.generated.ts) must be exactly what
 * the AssemblyScript sources compile to: `build-wasm.mjs --check` recompiles them and compares.
 */

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const pkg = fileURLToPath(new URL("../../packages/autograd/", import.meta.url));
const ascInstalled = existsSync(`${pkg}node_modules/assemblyscript/package.json`);

describe("wasm artifact", () => {
  const name = "matches a fresh compile of packages/autograd/assembly";
  if (!ascInstalled) {
    // assemblyscript is a devDependency of @tensorgrad/autograd: only an install without dev
    // dependencies lacks the compiler to check against.
    it.skip(`${name} (skipped: assemblyscript is not installed in packages/autograd)`, () => {});
    return;
  }
  it(name, () => {
    const res = spawnSync(process.execPath, ["scripts/build-wasm.mjs", "--check"], { cwd: pkg, encoding: "utf8", timeout: 120_000 });
    expect(res.stderr).toBe("");
    expect(res.status).toBe(0);
  });
});
