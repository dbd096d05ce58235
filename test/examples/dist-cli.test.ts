/** The built `tensorgrad-examples` binary (pnpm test builds first, so a missing dist/ is a failure). */

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
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

  it("prints --help", () => {
    const out = execFileSync(process.execPath, [cli, "--help"], { encoding: "utf8", timeout: 60_000 });
    expect(out).toContain("Usage: tensorgrad-examples [options] [command]");
    expect(out).toContain("demo");
  });
});
