#!/usr/bin/env node
/**
 * Compiles the AssemblyScript kernels in assembly/ and regenerates
 * src/backend/wasm/wasm-kernels.generated.ts, which holds the .wasm binaries as base64 so the
 * backend loads synchronously in Node and browsers with no fs, fetch or download.
 *
 * Two builds come from the same sources: plain SIMD (works anywhere with WebAssembly SIMD) and
 * relaxed SIMD, whose matmul tiles use fused multiply-add (ASC_FEATURE_RELAXED_SIMD in
 * assembly/matmul.ts); the runtime picks the relaxed one where the engine validates it. The
 * relaxed build differs from the plain one in a few function bodies only, so it is written out as
 * a patch of the plain one (src/backend/wasm/binary-patch.ts rebuilds it). Each is also compiled over a shared memory (for worker threads), but that binary differs from the
 * ordinary one in a single byte, the memory import's limits flags, so only that byte's offset is
 * written out and the runtime sets it. This script checks that it is so.
 *
 *   node scripts/build-wasm.mjs          regenerate the module
 *   node scripts/build-wasm.mjs --check  exit 1 if the committed module differs from a fresh build
 *   ... --fma-out FILE                   also write the relaxed-SIMD binary whole (the artifact
 *                                        test rebuilds it from the patch and compares)
 */

import asc from "assemblyscript/asc";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const target = join(root, "src/backend/wasm/wasm-kernels.generated.ts");
const MAX_PAGES = 32768; // keep in sync with MAX_PAGES in src/backend/wasm/runtime.ts

const common = [
  "assembly/index.ts",
  "--baseDir", root,
  "-O3", "--noAssert",
  "--runtime", "stub",
  "--enable", "simd",
  "--importMemory", "--noExportMemory",
  "--initialMemory", "1", "--maximumMemory", String(MAX_PAGES),
  "--use", "abort=",
];

/** Compiles the kernels with extra flags and returns the .wasm bytes. */
async function compile(extra) {
  let binary;
  const errors = [];
  const { error } = await asc.main([...common, ...extra, "--outFile", "kernels.wasm"], {
    stdout: { write: () => true },
    stderr: { write: (s) => (errors.push(String(s)), true) },
    writeFile(name, contents) {
      if (name.endsWith(".wasm")) binary = contents;
    },
  });
  if (error) throw new Error(`asc failed: ${error.message}\n${errors.join("")}`);
  if (!binary) throw new Error("asc produced no .wasm");
  return Buffer.from(binary);
}

const { version } = JSON.parse(readFileSync(join(root, "node_modules/assemblyscript/package.json"), "utf8"));

const SHARED = ["--enable", "threads", "--sharedMemory"];

/** The plain build and the relaxed-SIMD build (FMA matmul tiles: ASC_FEATURE_RELAXED_SIMD in assembly/matmul.ts). */
const PLAIN = [];
const RELAXED = ["--enable", "relaxed-simd"];

/**
 * The offset of the only byte in which `shared` differs from `plain`: the memory import's limits
 * flags, 0x01 (has a maximum) there and 0x03 (shared, has a maximum) here.
 */
function sharedFlagsOffset(plain, shared) {
  const differ = [];
  for (let i = 0; i < plain.length; i++) if (plain[i] !== shared[i]) differ.push(i);
  const at = differ[0];
  if (plain.length !== shared.length || differ.length !== 1 || plain[at] !== 0x01 || shared[at] !== 0x03) {
    throw new Error(`the shared-memory build differs from the plain one in more than the memory limits flags (bytes ${differ.slice(0, 8)})`);
  }
  return at;
}

// (binary-patch.ts has the same 6-line encoder: this script runs in plain Node, without a TypeScript loader.)
const uleb = (value) => {
  const out = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return Buffer.from(out);
};

/** Reads a length-prefixed list (sections after the 8-byte header, or code-section bodies). */
function split(bytes, start, { withIds }) {
  const items = [];
  let pos = start;
  const readUleb = () => {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[pos++];
      result += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return result;
    }
  };
  const count = withIds ? Infinity : readUleb();
  while (items.length < count && pos < bytes.length) {
    const id = withIds ? bytes[pos++] : undefined;
    const size = readUleb();
    items.push({ id, contents: bytes.subarray(pos, pos + size) });
    pos += size;
  }
  return items;
}

/**
 * The patch that turns `base` into `target` (format: src/backend/wasm/binary-patch.ts): the
 * non-code sections that differ, whole, and the code-section function bodies that differ. The two
 * builds must have the same sections in the same order and the same number of functions.
 */
function wasmPatch(base, target) {
  const bs = split(base, 8, { withIds: true });
  const ts = split(target, 8, { withIds: true });
  if (bs.map((s) => s.id).join() !== ts.map((s) => s.id).join()) {
    throw new Error(`the two builds have different sections: ${bs.map((s) => s.id)} and ${ts.map((s) => s.id)}`);
  }
  const sections = [];
  let bodies = [];
  bs.forEach((s, position) => {
    const t = ts[position];
    if (s.id === 10) {
      const bb = split(s.contents, 0, { withIds: false });
      const tb = split(t.contents, 0, { withIds: false });
      if (bb.length !== tb.length) throw new Error(`the two builds have ${bb.length} and ${tb.length} functions`);
      bodies = tb.map((b, i) => [i, b.contents]).filter(([i, c]) => !Buffer.from(c).equals(bb[i].contents));
    } else if (!Buffer.from(s.contents).equals(t.contents)) {
      sections.push([position, t.contents]);
    }
  });
  const entries = (list) => [uleb(list.length), ...list.flatMap(([n, c]) => [uleb(n), uleb(c.length), c])];
  return Buffer.concat([...entries(sections), ...entries(bodies)]);
}

/** The full text of the generated module, and the relaxed-SIMD binary it encodes as a patch. */
export async function generate() {
  const wrap = (b64) => b64.replace(/.{1,100}/g, (line) => `  "${line}" +\n`).replace(/ \+\n$/, ";\n");
  const plain = await compile(PLAIN);
  const relaxed = await compile(RELAXED);
  const patch = wasmPatch(plain, relaxed);
  const flags = "/** Where its memory import's limits flags are: 0x01 (has a maximum), 0x03 makes the memory shared. */";
  const text = [
    "// GENERATED by scripts/build-wasm.mjs from packages/autograd/assembly/ — do not edit.",
    `// assemblyscript ${version}; regenerate with \`pnpm --filter @tensorgrad/autograd build:wasm\`.`,
    "",
    `/** The kernels over an ordinary imported memory (${plain.length} bytes). */`,
    "export const WASM_KERNELS_BASE64 =",
    wrap(plain.toString("base64")),
    flags,
    `export const WASM_KERNELS_FLAGS_OFFSET = ${sharedFlagsOffset(plain, await compile([...PLAIN, ...SHARED]))};`,
    "",
    "/**",
    ` * The kernels built with relaxed SIMD (FMA matmul tiles; ${relaxed.length} bytes), as a patch of the`,
    ` * plain build above (${patch.length} bytes; applied by binary-patch.ts).`,
    " */",
    "export const WASM_KERNELS_FMA_PATCH_BASE64 =",
    wrap(patch.toString("base64")),
    flags,
    `export const WASM_KERNELS_FMA_FLAGS_OFFSET = ${sharedFlagsOffset(relaxed, await compile([...RELAXED, ...SHARED]))};`,
    "",
  ].join("\n");
  return { text, relaxed };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { text, relaxed } = await generate();
  // --fma-out FILE writes the relaxed-SIMD binary whole, for the artifact test to check the patch.
  const fmaOut = process.argv.indexOf("--fma-out");
  if (fmaOut > 0) writeFileSync(process.argv[fmaOut + 1], relaxed);
  if (process.argv.includes("--check")) {
    let current = "";
    try {
      current = readFileSync(target, "utf8");
    } catch {
      // a missing file differs
    }
    if (current !== text) {
      console.error(`${target} is stale: run \`pnpm --filter @tensorgrad/autograd build:wasm\``);
      process.exit(1);
    }
    console.log("wasm-kernels.generated.ts matches the AssemblyScript sources");
  } else {
    writeFileSync(target, text);
    console.log(`wrote ${target}`);
  }
}
