/**
 * The committed wasm module (src/backend/wasm/wasm-kernels.generated.ts) must be exactly what
 * the AssemblyScript sources compile to: `build-wasm.mjs --check` recompiles them and compares.
 * The relaxed-SIMD (FMA) build is committed as a patch of the plain one, so the binary the
 * runtime rebuilds from it must equal the freshly compiled relaxed build byte for byte.
 */

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { applyWasmPatch } from "../../packages/autograd/src/backend/wasm/binary-patch.js";
import { kernelBinary } from "../../packages/autograd/src/backend/wasm/runtime.js";

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
    const dir = mkdtempSync(join(tmpdir(), "tensorgrad-wasm-"));
    try {
      const fmaFile = join(dir, "relaxed.wasm");
      const res = spawnSync(process.execPath, ["scripts/build-wasm.mjs", "--check", "--fma-out", fmaFile], { cwd: pkg, encoding: "utf8", timeout: 120_000 });
      expect(res.stderr).toBe("");
      expect(res.status).toBe(0);
      const compiled = new Uint8Array(readFileSync(fmaFile));
      const rebuilt = kernelBinary(true);
      // Not vacuous: the relaxed build really differs from the plain one that the patch starts from.
      expect(Buffer.from(kernelBinary(false)).equals(compiled)).toBe(false);
      expect(rebuilt.length).toBe(compiled.length);
      expect(Buffer.from(rebuilt).equals(compiled)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("applyWasmPatch", () => {
  const plain = kernelBinary(false);

  it("rebuilds the base unchanged from an empty patch (no sections, no bodies)", () => {
    expect(Buffer.from(applyWasmPatch(plain, new Uint8Array([0, 0]))).equals(plain)).toBe(true);
  });

  it("rejects a patch that names a function past the code section, or has trailing bytes", () => {
    // one body replaced: function 100000 (LEB128 a0 8d 06), 1 byte long
    expect(() => applyWasmPatch(plain, new Uint8Array([0, 1, 0xa0, 0x8d, 0x06, 1, 0x0b]))).toThrow(/function 100000 is past the code section/);
    expect(() => applyWasmPatch(plain, new Uint8Array([0, 0, 7]))).toThrow(/trailing bytes/);
    expect(() => applyWasmPatch(plain, new Uint8Array([1, 0]))).toThrow(/unexpected end/);
  });
});
