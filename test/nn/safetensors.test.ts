/**
 * safetensors: golden files spelled out byte by byte, round trips, and rejection of truncated,
 * corrupted and mismatched files with clear errors.
 */

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Tensor, ValueError, randn, tensor } from "@tensorgrad/autograd";
import { loadSafetensors, readSafetensorsHeader, saveSafetensors, saveSafetensorsAsync, stateDictFromJSON, stateDictToJSON } from "@tensorgrad/nn";
import { load, save, saveAsync } from "@tensorgrad/nn/node";
import { tempDir } from "../helpers/temp-dir.js";

/** ASCII text as bytes (the headers below are ASCII). */
const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));
/** An 8-byte little-endian unsigned length. */
const u64 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff, 0, 0, 0, 0];
/** A safetensors file from a header string (padded here with spaces to a multiple of 8) and data bytes. */
function file(header: string, data: number[]): Uint8Array {
  const padded = header + " ".repeat((8 - (header.length % 8)) % 8);
  return Uint8Array.from([...u64(padded.length), ...ascii(padded), ...data]);
}

describe("golden files", () => {
  // One F32 tensor x = [1.0, -2.0]. The header is 54 bytes, padded with 2 spaces to 56 = 0x38.
  // (These are exactly the bytes the reference implementation, safetensors 0.8.0, writes for
  // save({"x": np.array([1, -2], np.float32)}).)
  const header1 = '{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  ';
  const golden1 = Uint8Array.from([
    0x38, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ...ascii(header1),
    0x00, 0x00, 0x80, 0x3f, // 1.0f
    0x00, 0x00, 0x00, 0xc0, // -2.0f
  ]);

  // F64 scalar a = 0.5, I32 b = [[7], [-1]], BOOL c = [true, false, true], with metadata.
  // The header is 196 bytes, padded with 4 spaces to 200 = 0xC8.
  const header2 =
    '{"__metadata__":{"format":"pt"},' +
    '"a":{"dtype":"F64","shape":[],"data_offsets":[0,8]},' +
    '"b":{"dtype":"I32","shape":[2,1],"data_offsets":[8,16]},' +
    '"c":{"dtype":"BOOL","shape":[3],"data_offsets":[16,19]}}    ';
  const golden2 = Uint8Array.from([
    0xc8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ...ascii(header2),
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe0, 0x3f, // 0.5
    0x07, 0x00, 0x00, 0x00, // 7
    0xff, 0xff, 0xff, 0xff, // -1
    0x01, 0x00, 0x01, // true, false, true
  ]);

  it("the golden byte strings are laid out as described", () => {
    expect(header1.length).toBe(56);
    expect(header2.length).toBe(200);
    expect(golden1.length).toBe(8 + 56 + 8);
    expect(golden2.length).toBe(8 + 200 + 19);
  });

  // Written by the reference implementation (safetensors 0.8.0, save_file of d = 0.5 as F64,
  // w = [[1.5, -2]] F32, i = [7, -1] I32, m = [true, false] BOOL): it lays tensors out by dtype
  // alignment, not by name, and the header is 220 bytes padded to 224 = 0xE0.
  const reference = Uint8Array.from([
    0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ...ascii(
      '{"d":{"dtype":"F64","shape":[],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[1,2],"data_offsets":[8,16]},' +
        '"i":{"dtype":"I32","shape":[2],"data_offsets":[16,24]},"m":{"dtype":"BOOL","shape":[2],"data_offsets":[24,26]}}    ',
    ),
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe0, 0x3f, // d = 0.5
    0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0, // w = 1.5, -2
    0x07, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, // i = 7, -1
    0x01, 0x00, // m = true, false
  ]);

  it("reads a file written by the reference implementation", () => {
    const sd = loadSafetensors(reference);
    expect(Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, [t.dtype, t.shape, t.toArray()]]))).toEqual({
      d: ["float64", [], 0.5],
      w: ["float32", [1, 2], [[1.5, -2]]],
      i: ["int32", [2], [7, -1]],
      m: ["bool", [2], [true, false]],
    });
  });

  it("loadSafetensors reads a one-tensor F32 file", () => {
    const sd = loadSafetensors(golden1);
    expect(Object.keys(sd)).toEqual(["x"]);
    expect(sd.x.dtype).toBe("float32");
    expect(sd.x.shape).toEqual([2]);
    expect(sd.x.toFlatArray()).toEqual([1, -2]);
  });

  it("saveSafetensors reproduces it byte for byte", () => {
    expect(saveSafetensors({ x: tensor([1, -2]) })).toEqual(golden1);
  });

  it("reads and writes F64, I32, BOOL, a 0-d tensor and metadata", () => {
    const sd = loadSafetensors(golden2);
    expect(sd.a.dtype).toBe("float64");
    expect(sd.a.shape).toEqual([]);
    expect(sd.a.item()).toBe(0.5);
    expect(sd.b.dtype).toBe("int32");
    expect(sd.b.toArray()).toEqual([[7], [-1]]);
    expect(sd.c.dtype).toBe("bool");
    expect(sd.c.toArray()).toEqual([true, false, true]);
    expect(readSafetensorsHeader(golden2).metadata).toEqual({ format: "pt" });
    const written = saveSafetensors(
      { c: tensor([true, false, true]), a: tensor(0.5, { dtype: "float64" }), b: tensor([[7], [-1]], { dtype: "int32" }) },
      { metadata: { format: "pt" } },
    );
    expect(written).toEqual(golden2);
  });
});

describe("round trips", () => {
  it("save → load → save gives identical bytes and equal tensors", () => {
    const sd: Record<string, Tensor> = {
      "layers.0.weight": randn([3, 4]),
      "layers.0.bias": randn([3], { dtype: "float64" }),
      "10": tensor([1, 2, 3], { dtype: "int32" }),
      "9": tensor([[true], [false]]),
      empty: tensor([], { dtype: "float32", shape: [0, 5] }),
      special: tensor([NaN, Infinity, -Infinity, -0]),
      transposed: randn([2, 3]).t(),
    };
    const bytes = saveSafetensors(sd);
    const loaded = loadSafetensors(bytes);
    expect(Object.keys(loaded).sort()).toEqual(Object.keys(sd).sort());
    for (const [name, t] of Object.entries(sd)) {
      expect(loaded[name].dtype).toBe(t.dtype);
      expect(loaded[name].shape).toEqual(t.shape);
      expect(loaded[name].toTypedArray()).toEqual(t.toTypedArray());
    }
    expect(Object.is(loaded.special.toFlatArray()[3], -0)).toBe(true);
    expect(saveSafetensors(loaded)).toEqual(bytes);
    // Names are sorted as strings ("10" before "9") in the header and the data.
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + new DataView(bytes.buffer).getUint32(0, true)));
    const order = ["10", "9", "empty", "layers.0.bias", "layers.0.weight", "special", "transposed"].map((n) => header.indexOf(`"${n}":`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(readSafetensorsHeader(bytes).tensors["10"].data_offsets).toEqual([0, 12]);
    expect(readSafetensorsHeader(bytes).tensors["9"].data_offsets).toEqual([12, 14]);
  });

  it("every header is padded with spaces to a multiple of 8 bytes", () => {
    for (const name of ["a", "ab", "abc", "abcd", "abcde", "abcdef", "abcdefg", "abcdefgh"]) {
      const bytes = saveSafetensors({ [name]: tensor([1]) });
      const n = new DataView(bytes.buffer).getUint32(0, true);
      expect(n % 8).toBe(0);
      const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
      expect(header).toMatch(/^\{.*\} *$/);
    }
  });

  it("save(path) / load(path) through the file system", () => {
    const dir = tempDir("st");
    const path = join(dir, "model.safetensors");
    const sd = { w: tensor([[1, 2], [3, 4]], { dtype: "float64" }) };
    save(sd, path, { metadata: { epoch: "3" } });
    expect(readSafetensorsHeader(new Uint8Array(readFileSync(path))).metadata).toEqual({ epoch: "3" });
    expect(load(path).w.toArray()).toEqual([[1, 2], [3, 4]]);
    writeFileSync(path, readFileSync(path).subarray(0, 30));
    expect(() => load(path)).toThrow(`load: "${path}": header length 88 runs past the end of the file (30 bytes): the file is truncated or corrupted`);
    expect(() => load(join(dir, "missing.safetensors"))).toThrow(/^load: cannot read ".*missing.safetensors": ENOENT/);
  });

  it("saveAsync(path) and saveSafetensorsAsync write the same bytes as the sync forms (any device; errors name the async op)", async () => {
    const dir = tempDir("st-async");
    const sd = { b: tensor([true, false]), w: tensor([[1, 2], [3, 4]], { dtype: "float64" }), i: tensor([7, -1], { dtype: "int32" }) };
    const sync = saveSafetensors(sd, { metadata: { epoch: "3" } });
    expect(await saveSafetensorsAsync(sd, { metadata: { epoch: "3" } })).toEqual(sync);
    await saveAsync(sd, join(dir, "a.safetensors"), { metadata: { epoch: "3" } });
    expect(new Uint8Array(readFileSync(join(dir, "a.safetensors")))).toEqual(sync);
    await expect(saveSafetensorsAsync({ w: 3 as unknown as Tensor })).rejects.toThrow('saveSafetensorsAsync: "w" is not a Tensor');
    await expect(saveAsync(sd, join(dir, "missing-dir", "a.safetensors"))).rejects.toThrow(/^saveAsync: cannot write ".*a\.safetensors": ENOENT/);
  });

  it("loadSafetensors reads a small file straight from readFileSync (a Buffer into Node's shared pool)", () => {
    const path = join(tempDir("st-small"), "small.safetensors");
    const sd = { b: tensor([true, false]), f: tensor([1.5, -2]), d: tensor([[0.25]], { dtype: "float64" }), i: tensor([7, -1], { dtype: "int32" }) };
    writeFileSync(path, saveSafetensors(sd));
    const bytes = readFileSync(path);
    // The premise: a small Buffer is a view into a larger pool, so bytes.buffer is not the file.
    expect(bytes.buffer.byteLength).toBeGreaterThan(bytes.byteLength);
    const loaded = loadSafetensors(bytes);
    expect(Object.fromEntries(Object.entries(loaded).map(([k, t]) => [k, [t.dtype, t.shape, t.toArray()]]))).toEqual({
      b: ["bool", [2], [true, false]],
      f: ["float32", [2], [1.5, -2]],
      d: ["float64", [1, 1], [[0.25]]],
      i: ["int32", [2], [7, -1]],
    });
  });

  it("loadSafetensors reads a view at an odd byteOffset into a larger buffer (Uint8Array and Buffer)", () => {
    const file = saveSafetensors({ f: tensor([1.5, -2]), d: tensor([0.125, 3], { dtype: "float64" }) });
    for (const offset of [1, 3, 5, 7]) {
      const big = new ArrayBuffer(offset + file.byteLength + 13);
      new Uint8Array(big).fill(0xab); // garbage around the file
      new Uint8Array(big, offset, file.byteLength).set(file);
      for (const view of [new Uint8Array(big, offset, file.byteLength), Buffer.from(big, offset, file.byteLength)]) {
        const loaded = loadSafetensors(view);
        expect(loaded.f.toArray()).toEqual([1.5, -2]);
        expect(loaded.d.toArray()).toEqual([0.125, 3]);
        expect(readSafetensorsHeader(view).tensors.f).toEqual({ dtype: "F32", shape: [2], data_offsets: [16, 24] });
      }
    }
  });

  it("JSON convenience format round trips values exactly, NaN and infinities included", () => {
    const sd = { b: tensor([0.1, NaN, -Infinity]), a: tensor([[1, 2]], { dtype: "int32" }), c: tensor(Math.PI, { dtype: "float64" }) };
    const text = stateDictToJSON(sd);
    expect(JSON.parse(text).tensors.b).toEqual({ dtype: "float32", shape: [3], data: [new Float32Array([0.1])[0], "NaN", "-Infinity"] });
    const back = stateDictFromJSON(text);
    for (const [name, t] of Object.entries(sd)) {
      expect(back[name].dtype).toBe(t.dtype);
      expect(back[name].shape).toEqual(t.shape);
      expect(back[name].toTypedArray()).toEqual(t.toTypedArray());
    }
    expect(() => stateDictFromJSON("{")).toThrow("stateDictFromJSON: not valid JSON");
    expect(() => stateDictFromJSON('{"format":"other"}')).toThrow("stateDictFromJSON: not a tensorgrad state dict");
    const bad = text.replace('"shape":[3]', '"shape":[4]');
    expect(() => stateDictFromJSON(bad)).toThrow('stateDictFromJSON: tensor "b" has 3 values, its shape [4] needs 4');
  });

  it("rejects what it cannot write", () => {
    expect(() => saveSafetensors({ x: [1, 2] as unknown as Tensor })).toThrow('saveSafetensors: "x" is not a Tensor');
    expect(() => saveSafetensors({ __metadata__: tensor([1]) })).toThrow('the name "__metadata__" is reserved');
    expect(() => saveSafetensors({ "": tensor([1]) })).toThrow("saveSafetensors: tensor names must not be empty");
    expect(() => saveSafetensors(new Map([["w", tensor([1])]]) as unknown as Record<string, Tensor>)).toThrow("saveSafetensors: expected a state dict (an object of tensors), got a Map (use Object.fromEntries)");
    expect(() => saveSafetensors([tensor([1])] as unknown as Record<string, Tensor>)).toThrow("saveSafetensors: expected a state dict (an object of tensors), got an array");
    expect(() => saveSafetensors(null as unknown as Record<string, Tensor>)).toThrow(ValueError);
    expect(() => saveSafetensors({}, { metadata: { n: 3 as unknown as string } })).toThrow('saveSafetensors: metadata value of "n" is a number, not a string');
  });
});

describe("rejects bad files with clear errors", () => {
  const valid = file('{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]);

  const cases: [string, Uint8Array, string][] = [
    ["shorter than the length prefix", valid.subarray(0, 5), "loadSafetensors: file too short (5 bytes): the 8-byte header length is missing, the file is truncated"],
    ["truncated inside the header", valid.subarray(0, 40), "loadSafetensors: header length 56 runs past the end of the file (40 bytes): the file is truncated or corrupted"],
    ["truncated inside the data", valid.subarray(0, valid.length - 1), 'loadSafetensors: tensor "x": data_offsets [0, 8] run past the end of the data (7 bytes): the file is truncated'],
    ["an absurd header length", Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, ...valid.subarray(8)]), "loadSafetensors: header length 18446744073709551615 is larger than the 100000000-byte limit"],
    ["a header that is not JSON", file('{"x":{"dtype":"F32",', [0, 0, 0, 0]), "loadSafetensors: the header is not valid JSON"],
    ["a header that does not start with {", file('["x"]', []), "loadSafetensors: the header does not start with '{'"],
    ["invalid UTF-8 in the header", Uint8Array.from([...u64(8), 0x7b, 0xff, 0x7d, 0x20, 0x20, 0x20, 0x20, 0x20]), "loadSafetensors: the header is not valid UTF-8"],
    ["an unknown dtype", file('{"x":{"dtype":"F17","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0]), 'loadSafetensors: tensor "x": unknown dtype "F17"'],
    ["an unsupported dtype", file('{"x":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0]), 'loadSafetensors: tensor "x": dtype F16 is not supported (tensorgrad reads F32, F64, I32, I64 and BOOL)'],
    ["a negative shape", file('{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', [0, 0, 0, 0]), 'loadSafetensors: tensor "x": shape must be an array of non-negative integers, got [-1]'],
    ["reversed offsets", file('{"x":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}', [0, 0, 0, 0]), 'loadSafetensors: tensor "x": data_offsets must be [begin, end] with 0 ≤ begin ≤ end, got [4,0]'],
    ["byte length ≠ numel·itemsize", file('{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', [0, 0, 0, 0, 0, 0, 0, 0]), 'loadSafetensors: tensor "x": data_offsets [0, 8] hold 8 bytes, but dtype F32 with shape [3] needs 12'],
    [
      "overlapping tensors",
      file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', [0, 0, 0, 0, 0, 0, 0, 0]),
      'loadSafetensors: tensors "a" and "b" overlap (bytes 4 to 8)',
    ],
    [
      "a gap between tensors",
      file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      "loadSafetensors: bytes 4 to 8 of the data belong to no tensor: the file is corrupted",
    ],
    ["trailing bytes", Uint8Array.from([...valid, 0]), "loadSafetensors: the data has 1 bytes after the last tensor that belong to no tensor: the file is corrupted"],
    ["non-string metadata", file('{"__metadata__":{"epoch":3}}', []), 'loadSafetensors: __metadata__ value of "epoch" is not a string'],
    ["an entry that is not an object", file('{"x":5}', []), 'loadSafetensors: tensor "x": its header entry is not an object'],
    ["an empty tensor name", file('{"":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0]), "loadSafetensors: a tensor has an empty name (saveSafetensors refuses to write one)"],
    [
      "a tensor name given twice (same entry)",
      file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0]),
      'loadSafetensors: the header is not valid JSON (duplicate key "a" at position',
    ],
    [
      "a tensor name given twice, spelled with an escape the second time",
      file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\\u0061":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0]),
      'loadSafetensors: the header is not valid JSON (duplicate key "a" at position',
    ],
    ["a metadata key given twice", file('{"__metadata__":{"k":"1","k":"2"}}', []), 'loadSafetensors: the header is not valid JSON (duplicate key "k" at position'],
    ["__metadata__ given twice", file('{"__metadata__":{},"__metadata__":{"k":"2"}}', []), 'loadSafetensors: the header is not valid JSON (duplicate key "__metadata__" at position'],
    ["__metadata__ that is not an object", file('{"__metadata__":["a"]}', []), 'loadSafetensors: __metadata__ is not an object of strings (got ["a"])'],
    ["a metadata value that is an object", file('{"__metadata__":{"k":{"a":"b"}}}', []), 'loadSafetensors: __metadata__ value of "k" is not a string (got {"a":"b"})'],
    ["a dtype that is an Object.prototype key", file('{"x":{"dtype":"constructor","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0]), 'loadSafetensors: tensor "x": unknown dtype "constructor"'],
    ["a dtype that is not a string", file('{"x":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0]), 'loadSafetensors: tensor "x": dtype must be a string, got 4'],
    ["a missing dtype", file('{"x":{"shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0]), 'loadSafetensors: tensor "x": dtype must be a string, got nothing'],
    ["a non-integer shape entry", file('{"x":{"dtype":"F32","shape":[2.5],"data_offsets":[0,4]}}', [0, 0, 0, 0]), 'loadSafetensors: tensor "x": shape must be an array of non-negative integers, got [2.5]'],
    ["a shape entry past 2^53", file('{"x":{"dtype":"F32","shape":[9007199254740993,0],"data_offsets":[0,0]}}', []), 'loadSafetensors: tensor "x": shape must be an array of non-negative integers, got [9007199254740992,0]'],
    ["a shape that is not an array", file('{"x":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}', [0, 0, 0, 0, 0, 0, 0, 0]), 'loadSafetensors: tensor "x": shape must be an array of non-negative integers, got "2"'],
    ["three data_offsets", file('{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4,4]}}', [0, 0, 0, 0]), 'loadSafetensors: tensor "x": data_offsets must be [begin, end] with 0 ≤ begin ≤ end, got [0,4,4]'],
    ["a negative offset", file('{"x":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}', [0, 0, 0, 0]), 'loadSafetensors: tensor "x": data_offsets must be [begin, end] with 0 ≤ begin ≤ end, got [-4,0]'],
    [
      "an offset far past the end of the data",
      file('{"x":{"dtype":"F32","shape":[1073741824],"data_offsets":[0,4294967296]}}', [0, 0, 0, 0]),
      'loadSafetensors: tensor "x": data_offsets [0, 4294967296] run past the end of the data (4 bytes): the file is truncated',
    ],
    ["an empty header", Uint8Array.from(u64(0)), "loadSafetensors: the header does not start with '{'"],
    ["a header with a byte-order mark", Uint8Array.from([...u64(8), 0xef, 0xbb, 0xbf, 0x7b, 0x7d, 0x20, 0x20, 0x20]), "loadSafetensors: the header does not start with '{'"],
    ["a header with text after the JSON object", file("{} {}", []), "loadSafetensors: the header is not valid JSON (unexpected character \"{\" after the end of the JSON value at position 3)"],
    ["a header padded with NUL bytes", Uint8Array.from([...u64(8), 0x7b, 0x7d, 0, 0, 0, 0, 0, 0]), "loadSafetensors: the header is not valid JSON"],
    ["a header nested absurdly deep", file(`{"x":${"[".repeat(5000)}${"]".repeat(5000)}}`, []), "loadSafetensors: the header is not valid JSON (nesting deeper than 64 levels at position"],
  ];
  it.each(cases)("%s", (_, bytes, message) => {
    expect(() => loadSafetensors(bytes)).toThrow(ValueError);
    expect(() => loadSafetensors(bytes)).toThrow(message);
  });

  it("rejects what is not bytes, with a typed error", () => {
    for (const [input, got] of [[null, "null"], [undefined, "undefined"], ["abc", "string"], [new ArrayBuffer(8), "an ArrayBuffer (wrap it: new Uint8Array(buffer))"], [[1, 2], "object"]] as const) {
      expect(() => loadSafetensors(input as unknown as Uint8Array)).toThrow(ValueError);
      expect(() => loadSafetensors(input as unknown as Uint8Array)).toThrow(`loadSafetensors: expected a Uint8Array, got ${got}`);
    }
  });

  it("accepts what the format allows: tensors in any header order, extra entry fields, whitespace, an escaped or __proto__ name", () => {
    // Offsets out of header order still tile the data; the reference implementation sorts them too.
    const bytes = file(
      '{ "b" : {"dtype":"F32","shape":[1],"data_offsets":[4,8],"extra":[1.5,{}]},\n\t"a\\"q":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},' +
        '"__proto__":{"dtype":"BOOL","shape":[],"data_offsets":[8,9]}, "__metadata__":{"__proto__":"x"}}',
      [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 1],
    );
    const sd = loadSafetensors(bytes);
    expect(Object.keys(sd).sort()).toEqual(['a"q', "__proto__", "b"].sort());
    expect(Object.getPrototypeOf(sd)).toBe(Object.prototype);
    expect(sd['a"q'].toArray()).toEqual([1]);
    expect(sd.b.toArray()).toEqual([2]);
    expect(Object.getOwnPropertyDescriptor(sd, "__proto__")?.value.toArray()).toBe(true);
    const header = readSafetensorsHeader(bytes);
    expect(Object.keys(header.tensors).sort()).toEqual(['a"q', "__proto__", "b"].sort());
    expect(Object.getOwnPropertyDescriptor(header.metadata, "__proto__")?.value).toBe("x");
    // The writer writes such names back, and they read the same.
    const again = loadSafetensors(saveSafetensors(sd));
    expect(Object.keys(again).sort()).toEqual(Object.keys(sd).sort());
  });

  it("the valid file these are cut from loads", () => {
    expect(loadSafetensors(valid).x.toFlatArray()).toEqual([1, -2]);
  });

  it("a corrupted byte in a tensor name's header entry is caught (no partial dict)", () => {
    const bytes = saveSafetensors({ a: tensor([1, 2]), b: tensor([3]) });
    const text = new TextDecoder().decode(bytes);
    const at = text.indexOf('"data_offsets":[8,12]') + '"data_offsets":[8,1'.length;
    const corrupted = bytes.slice();
    corrupted[at] = "3".charCodeAt(0); // b now claims [8,13]
    expect(() => loadSafetensors(corrupted)).toThrow('loadSafetensors: tensor "b": data_offsets [8, 13] hold 5 bytes, but dtype F32 with shape [1] needs 4');
  });
});
