/** The README's code blocks run as written (so the front door never shows stale code). */

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const readme = readFileSync(`${root}README.md`, "utf8");

/** The first ```ts block after a heading. */
function blockAfter(heading: string): string {
  const start = readme.indexOf(heading);
  expect(start, `README has no "${heading}" section`).toBeGreaterThanOrEqual(0);
  const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(start));
  expect(match, `no ts block after "${heading}"`).not.toBeNull();
  return (match as RegExpExecArray)[1];
}

async function runAsModule(name: string, code: string): Promise<Record<string, unknown>> {
  mkdirSync(`${root}test/.generated`, { recursive: true });
  const path = `${root}test/.generated/${name}.ts`;
  writeFileSync(path, code);
  return import(/* @vite-ignore */ path);
}

describe("README", () => {
  it("quick start fits y = 3x + 2", async () => {
    const code = blockAfter("## Quick start").replace(/console\.log\((.*)\);.*$/m, "export const result = [$1];");
    const { result } = (await runAsModule("quick-start", code)) as { result: [number, number] };
    expect(result[0]).toBeCloseTo(3, 1);
    expect(result[1]).toBeCloseTo(2, 1);
  });

  it("the browser section's sine recipe fits with ½·MSE", async () => {
    const code = blockAfter("## In the browser").replace(/console\.log\((.*)\);.*$/m, "export const result = $1;");
    const { result } = (await runAsModule("browser-sine", code)) as { result: number };
    expect(result).toBeLessThan(0.01);
  });

  it("nn example learns XOR", async () => {
    const code = blockAfter("## Neural networks with `@tensorgrad/nn`").replace(
      /console\.log\((.*)\);.*$/m,
      "export const result = $1;",
    );
    const { result } = (await runAsModule("nn-xor", code)) as { result: number[] };
    expect(result).toEqual([0, 1, 1, 0]);
  });

  it("gradcheck example passes", async () => {
    await expect(runAsModule("gradcheck", blockAfter("## Checking your own gradients"))).resolves.toBeDefined();
  });

  it("names the two commands that .ci/run uses", () => {
    const ci = readFileSync(`${root}.ci/run`, "utf8");
    const testCommand = ci.split("\n").find((l) => l.includes("pnpm") && l.includes("test"));
    expect(testCommand).toBeDefined();
    expect(readme).toContain(testCommand as string);
    expect(readme).toContain("npx --yes pnpm@10.34.9 install && npx --yes pnpm@10.34.9 demo");
  });
});
