/**
 * Rebuilds one WebAssembly binary from another plus a small patch, so the bundle carries the FMA
 * build of the kernels as the few function bodies in which it differs from the plain build
 * (~6 KB) instead of a second whole module (~62 KB, ~26 KB gzipped as base64).
 *
 * A binary is a header and a list of sections (id byte, LEB128 size, contents). The two builds of
 * the kernels have the same sections in the same order and the same functions; they differ only in
 * some sections' contents and some function bodies of the code section (id 10). The patch, written
 * by scripts/build-wasm.mjs as unsigned LEB128 numbers and raw bytes:
 *
 *   count, then count × (section position, length, contents)    whole sections replaced
 *   count, then count × (function index, length, body)          code-section bodies replaced
 *
 * test/backends/wasm-artifact.test.ts checks that the rebuilt module equals a fresh compile of the
 * relaxed-SIMD build byte for byte.
 */

const CODE_SECTION = 10;

/** Reads unsigned LEB128 numbers and byte runs from a buffer. */
class Reader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  uleb(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.bytes[this.pos++];
      if (byte === undefined) throw new Error("wasm binary patch: unexpected end of data");
      result += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return result;
      shift += 7;
    }
  }

  take(length: number): Uint8Array {
    if (this.pos + length > this.bytes.length) throw new Error("wasm binary patch: unexpected end of data");
    const run = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return run;
  }

  /** A length-prefixed byte run. */
  sized(): Uint8Array {
    return this.take(this.uleb());
  }

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }
}

function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return out;
}

/** Concatenates byte runs and numbers (as unsigned LEB128). */
function concat(parts: (Uint8Array | number)[]): Uint8Array {
  const runs = parts.map((p) => (typeof p === "number" ? Uint8Array.from(uleb(p)) : p));
  const out = new Uint8Array(runs.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of runs) {
    out.set(r, at);
    at += r.length;
  }
  return out;
}

/** Applies a patch written by scripts/build-wasm.mjs to `base` and returns the rebuilt binary. */
export function applyWasmPatch(base: Uint8Array, patch: Uint8Array): Uint8Array {
  const p = new Reader(patch);
  const sections = new Map<number, Uint8Array>();
  for (let n = p.uleb(); n > 0; n--) {
    const position = p.uleb();
    sections.set(position, p.sized());
  }
  const bodies = new Map<number, Uint8Array>();
  for (let n = p.uleb(); n > 0; n--) {
    const index = p.uleb();
    bodies.set(index, p.sized());
  }
  if (!p.done) throw new Error("wasm binary patch: trailing bytes");

  const b = new Reader(base);
  const parts: (Uint8Array | number)[] = [b.take(8)]; // magic and version
  for (let position = 0; !b.done; position++) {
    const id = b.take(1);
    let contents = b.sized();
    const replaced = sections.get(position);
    if (replaced) contents = replaced;
    else if (id[0] === CODE_SECTION && bodies.size > 0) contents = patchBodies(contents, bodies);
    parts.push(id, contents.length, contents);
  }
  return concat(parts);
}

/** The code section's contents (a count, then length-prefixed bodies) with some bodies replaced. */
function patchBodies(code: Uint8Array, bodies: Map<number, Uint8Array>): Uint8Array {
  const r = new Reader(code);
  const count = r.uleb();
  const parts: (Uint8Array | number)[] = [count];
  for (let i = 0; i < count; i++) {
    const body = bodies.get(i) ?? r.sized();
    if (bodies.has(i)) r.sized();
    parts.push(body.length, body);
  }
  for (const index of bodies.keys()) {
    if (index >= count) throw new Error(`wasm binary patch: function ${index} is past the code section's ${count}`);
  }
  return concat(parts);
}
