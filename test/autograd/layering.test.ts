/** Layering is enforced, not hoped for: backend/ knows nothing of Tensor, graphs or ops. */

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const src = fileURLToPath(new URL("../../packages/autograd/src", import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith(".ts") ? [path] : [];
  });
}

const importsOf = (file: string): string[] =>
  [...readFileSync(file, "utf8").matchAll(/^(?:import|export)[^;]*?from\s+"([^"]+)"/gm)].map((m) => m[1]);

describe("layering", () => {
  it("backend/** imports nothing from tensor, engine, ops, creation or testing", () => {
    const offenders = filesUnder(join(src, "backend")).flatMap((file) =>
      importsOf(file)
        .filter((spec) => /(^|\/)(tensor|creation)\.js$|\/(engine|ops|testing)\//.test(spec))
        .map((spec) => `${file.slice(src.length)} imports ${spec}`),
    );
    expect(offenders).toEqual([]);
  });

  it("the core imports no runtime dependency (fast-check is only for testing/)", () => {
    const offenders = filesUnder(src)
      .filter((file) => !file.includes("/testing/"))
      .flatMap((file) => importsOf(file).filter((spec) => !spec.startsWith(".")).map((spec) => `${file.slice(src.length)} imports ${spec}`));
    expect(offenders).toEqual([]);
  });
});
