/**
 * A page whose Content-Security-Policy lacks 'wasm-unsafe-eval': WebAssembly.validate passes but
 * compiling throws a CompileError. Simulated in Node by a WebAssembly.Module that throws what
 * Chromium throws; the library must fall back to the cpu kernels with one warning that says what
 * to add to the CSP. Runs the built package in a child process (`pnpm test` builds first), so the
 * library loads after the patch, as it would on such a page.
 */

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const cwd = fileURLToPath(new URL("../../packages/nn", import.meta.url)); // resolves @tensorgrad/autograd's dist

const program = (refuse: boolean) => `
  ${refuse ? `WebAssembly.Module = class { constructor() {
    throw new WebAssembly.CompileError("WebAssembly.Module(): Refused to compile or instantiate WebAssembly module because 'unsafe-eval' is not an allowed source of script in the following Content Security Policy directive: \\"script-src 'self'\\"");
  } };` : ""}
  const ag = await import("@tensorgrad/autograd");
  const n = 96;
  const a = ag.arange(n * n).reshape(n, n).mul(0.001).sin(), b = a.transpose(0, 1).cos();
  const wasm = a.matmul(b).mul(0.01).add(a).exp().sum(1);
  ag.setBackend("cpu");
  const cpu = ag.tensor(a.toArray()).matmul(ag.tensor(b.toArray())).mul(0.01).add(ag.tensor(a.toArray())).exp().sum(1);
  const diff = Math.max(...wasm.toArray().map((v, i) => Math.abs(v - cpu.toArray()[i]) / Math.abs(cpu.toArray()[i])));
  console.log(JSON.stringify({ diff, again: a.matmul(b).sum().item() > -Infinity, refused: ag.wasmFeatures().compileRefused }));
`;

function run(refuse: boolean) {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", program(refuse)], { cwd, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe("Content-Security-Policy without 'wasm-unsafe-eval'", () => {
  it("falls back to the cpu kernels with one warning naming the CSP fix", () => {
    const { status, out, err } = run(true);
    expect(err).not.toMatch(/TypeError|Uncaught/);
    expect(status).toBe(0);
    const result = JSON.parse(out.trim()) as { diff: number; again: boolean; refused: boolean };
    expect(result.diff).toBeLessThan(1e-5);
    expect(result.again).toBe(true);
    expect(result.refused).toBe(true); // wasmFeatures() says the cpu kernels ran
    const warnings = err.split("\n").filter((l) => l.includes("Warning"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("TENSORGRAD_WASM_CSP");
    expect(warnings[0]).toContain("script-src 'wasm-unsafe-eval'");
    expect(warnings[0]).toContain("worker-src blob:");
  });

  it("warns nothing where compiling is allowed", () => {
    const { status, out, err } = run(false);
    expect(status).toBe(0);
    expect((JSON.parse(out.trim()) as { refused: boolean }).refused).toBe(false);
    expect(err).not.toContain("Warning");
  });
});
