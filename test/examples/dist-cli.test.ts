/** The built `tensorgrad-examples` binary (pnpm test builds first, so a missing dist/ is a failure). */

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const cli = fileURLToPath(new URL("../../packages/examples/dist/cli.js", import.meta.url));

describe("built CLI", () => {
  it("was built (pnpm test runs the build first)", () => {
    expect(existsSync(cli), `${cli} is missing: run pnpm build`).toBe(true);
  });

  it("is an executable node script that runs an example and prints JSON", () => {
    expect(readFileSync(cli, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(statSync(cli).mode & 0o111).not.toBe(0);
    const out = execFileSync(process.execPath, [cli, "worked", "--part1-only", "--json", "--no-plots"], { encoding: "utf8", timeout: 60_000 });
    const result = JSON.parse(out);
    expect(result.maxAbsDifference).toBeLessThanOrEqual(1e-12);
  });

  it("prints --version, and --json without --out writes no files (issue 14)", () => {
    const { version } = JSON.parse(readFileSync(new URL("../../packages/examples/package.json", import.meta.url), "utf8")) as { version: string };
    expect(execFileSync(process.execPath, [cli, "--version"], { encoding: "utf8", timeout: 60_000 }).trim()).toBe(version);
    const cwd = mkdtempSync(join(tmpdir(), "tg-cli-"));
    try {
      const out = execFileSync(process.execPath, [cli, "sine", "--iterations", "5", "--json"], { cwd, encoding: "utf8", timeout: 60_000 });
      expect(JSON.parse(out).example).toBe("sine");
      expect(readdirSync(cwd)).toEqual([]);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it("prints --help", () => {
    const out = execFileSync(process.execPath, [cli, "--help"], { encoding: "utf8", timeout: 60_000 });
    expect(out).toContain("Usage: tensorgrad-examples [options] [command]");
    expect(out).toContain("demo");
  });
});
