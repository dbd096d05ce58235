/**
 * What npm shows and installs: a LICENSE in every tarball, repository/homepage/bugs/keywords,
 * a `./package.json` export, and a prepack guard against publishing `workspace:*` specifiers.
 */

import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const PACKAGES = ["autograd", "nn", "examples"] as const;
const manifest = (p: string) => JSON.parse(readFileSync(`${root}/packages/${p}/package.json`, "utf8")) as Record<string, unknown>;

describe("package metadata", () => {
  it("the MIT LICENSE is at the root and in every package (npm packs it whatever `files` says)", () => {
    const license = readFileSync(`${root}/LICENSE`, "utf8");
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) 2026 tensorgrad contributors\n/);
    for (const p of PACKAGES) expect(readFileSync(`${root}/packages/${p}/LICENSE`, "utf8"), p).toBe(license);
  });

  it.each(PACKAGES)("%s: repository, homepage, bugs, keywords, ./package.json export, prepack guard", (p) => {
    const m = manifest(p);
    expect(m.license).toBe("MIT");
    expect(m.repository).toMatchObject({ type: "git", directory: `packages/${p}` });
    expect(String(m.homepage)).toMatch(/^https:\/\//);
    expect(m.bugs).toMatchObject({ url: expect.stringMatching(/^https:\/\/.*\/issues$/) });
    expect((m.keywords as string[]).length).toBeGreaterThan(3);
    expect((m.exports as Record<string, unknown>)["./package.json"]).toBe("./package.json");
    expect((m.scripts as Record<string, string>).prepack).toBe("node ../../scripts/prepack-guard.mjs");
  });

  it("the prepack guard stops npm (which keeps workspace:*) and lets pnpm (which rewrites it) pack", () => {
    const guard = (agent: string) =>
      spawnSync(process.execPath, [`${root}/scripts/prepack-guard.mjs`], {
        cwd: `${root}/packages/nn`,
        env: { ...process.env, npm_config_user_agent: agent },
        encoding: "utf8",
      });
    const npm = guard("npm/10.8.2 node/v20.19.0 linux x64 workspaces/false");
    expect(npm.status).toBe(1);
    expect(npm.stderr).toContain("@tensorgrad/nn: refusing to pack with workspace: specifiers (dependencies.@tensorgrad/autograd: workspace:*)");
    expect(guard("pnpm/10.34.9 npm/? node/v20.19.0 linux x64").status).toBe(0);
    // autograd has no workspace dependency: npm may pack it.
    expect(spawnSync(process.execPath, [`${root}/scripts/prepack-guard.mjs`], { cwd: `${root}/packages/autograd`, env: { ...process.env, npm_config_user_agent: "npm/10" } }).status).toBe(0);
  });

  it("a real `npm pack` of nn fails in the guard", () => {
    // Under `pnpm test` the environment says npm_config_user_agent=pnpm/…, which npm reads as its own
    // user-agent setting and hands to the prepack script: drop it, so npm reports itself.
    const { npm_config_user_agent: _agent, ...env } = process.env;
    expect(() => execFileSync("npm", ["pack", "--dry-run", "--ignore-scripts=false"], { cwd: `${root}/packages/nn`, env, stdio: "pipe", timeout: 60_000 })).toThrow(/prepack-guard/);
  });
});
