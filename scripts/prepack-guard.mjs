#!/usr/bin/env node
/**
 * `prepack` of every package: refuses to pack a package.json that still has `workspace:`
 * dependency specifiers, unless the packer rewrites them (pnpm pack / pnpm publish, yarn). A plain
 * `npm pack` or `npm publish` keeps `workspace:*`, and the tarball would not install anywhere.
 */
import { readFileSync } from "node:fs";

const manifest = JSON.parse(readFileSync("package.json", "utf8"));
const agent = process.env.npm_config_user_agent ?? "";
const rewrites = /^(pnpm|yarn)\//.test(agent);
const kept = ["dependencies", "peerDependencies", "optionalDependencies"].flatMap((field) =>
  Object.entries(manifest[field] ?? {})
    .filter(([, spec]) => String(spec).startsWith("workspace:"))
    .map(([name, spec]) => `${field}.${name}: ${spec}`),
);
if (kept.length > 0 && !rewrites) {
  console.error(
    `${manifest.name}: refusing to pack with workspace: specifiers (${kept.join(", ")}); ` +
      `use \`pnpm pack\` or \`pnpm publish\`, which replace them with the workspace packages' versions`,
  );
  process.exit(1);
}
