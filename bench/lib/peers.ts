/**
 * Loading the peer libraries from bench/peers/node_modules (a folder outside the pnpm workspace,
 * installed on demand), by path, so that nothing here is resolved at typecheck time.
 */

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * A peer library's module, untyped: peers are not installed when the repository is typechecked,
 * so their type declarations cannot be imported.
 */
export type Untyped = any;

/** `require` rooted at bench/peers (CommonJS entries: one module instance per package). */
export function peerRequire(peersDir: string): NodeJS.Require {
  return createRequire(join(peersDir, "package.json"));
}

/** The folder of an installed peer package. */
export function peerPackageDir(peersDir: string, name: string): string {
  return join(peersDir, "node_modules", name);
}

/** Imports a peer package's ES module entry (exports["."].import, else module, else main). */
export async function peerImport(peersDir: string, name: string): Promise<Untyped> {
  const dir = peerPackageDir(peersDir, name);
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
    exports?: { "."?: { import?: string } };
    module?: string;
    main?: string;
  };
  const entry = pkg.exports?.["."]?.import ?? pkg.module ?? pkg.main ?? "index.js";
  return import(pathToFileURL(join(dir, entry)).href);
}

/** The installed version of a peer package. */
export function peerVersion(peersDir: string, name: string): string {
  const pkg = JSON.parse(readFileSync(join(peerPackageDir(peersDir, name), "package.json"), "utf8")) as { version: string };
  return pkg.version;
}

/** The folder holding a file that a peer package ships (e.g. its .wasm binaries). */
export function peerFileDir(peersDir: string, specifier: string): string {
  return dirname(peerRequire(peersDir).resolve(specifier));
}
