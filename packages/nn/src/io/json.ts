/**
 * A JSON convenience format for state dicts: human-readable and diffable, for small models.
 * { "format": "tensorgrad-state-dict", "version": 1, "tensors": { name: { dtype, shape, data } } },
 * with non-finite floats written as the strings "NaN", "Infinity" and "-Infinity".
 */

import { Tensor, ValueError, tensor, type DType } from "@tensorgrad/autograd";

const FORMAT = "tensorgrad-state-dict";
const DTYPES: readonly DType[] = ["float32", "float64", "int32", "bool"];
const SPECIAL: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };

/** Serializes a state dict to JSON text (float32 values round-trip exactly). */
export function stateDictToJSON(stateDict: Readonly<Record<string, Tensor>>): string {
  if (stateDict === null || typeof stateDict !== "object") throw new ValueError(`stateDictToJSON: expected a state dict, got ${String(stateDict)}`);
  const tensors: Record<string, { dtype: DType; shape: number[]; data: (number | string)[] }> = {};
  for (const name of Object.keys(stateDict).sort()) {
    const t = stateDict[name];
    if (!(t instanceof Tensor)) throw new ValueError(`stateDictToJSON: "${name}" is not a Tensor`);
    const data = t.toFlatArray().map((v) => (Number.isFinite(v) ? v : String(v)));
    Object.defineProperty(tensors, name, { value: { dtype: t.dtype, shape: [...t.shape], data }, enumerable: true });
  }
  return JSON.stringify({ format: FORMAT, version: 1, tensors });
}

/** Reads JSON text written by stateDictToJSON, checking every entry before creating any tensor. */
export function stateDictFromJSON(text: string): Record<string, Tensor> {
  const op = "stateDictFromJSON";
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ValueError(`${op}: not valid JSON (${(e as Error).message})`);
  }
  const root = json as { format?: unknown; version?: unknown; tensors?: unknown } | null;
  if (root === null || typeof root !== "object" || root.format !== FORMAT) throw new ValueError(`${op}: not a tensorgrad state dict (expected "format": "${FORMAT}")`);
  if (root.version !== 1) throw new ValueError(`${op}: unsupported version ${String(root.version)}`);
  if (root.tensors === null || typeof root.tensors !== "object" || Array.isArray(root.tensors)) throw new ValueError(`${op}: "tensors" must be an object`);
  const checked = Object.entries(root.tensors as Record<string, unknown>).map(([name, entry]) => {
    const e = entry as { dtype?: unknown; shape?: unknown; data?: unknown } | null;
    if (e === null || typeof e !== "object") throw new ValueError(`${op}: tensor "${name}" is not an object`);
    if (!DTYPES.includes(e.dtype as DType)) throw new ValueError(`${op}: tensor "${name}" has unknown dtype ${JSON.stringify(e.dtype)}`);
    if (!Array.isArray(e.shape) || !e.shape.every((s) => Number.isSafeInteger(s) && s >= 0)) throw new ValueError(`${op}: tensor "${name}" has an invalid shape ${JSON.stringify(e.shape)}`);
    const shape = e.shape as number[];
    const numel = shape.reduce((a, b) => a * b, 1);
    if (!Array.isArray(e.data) || e.data.length !== numel) {
      throw new ValueError(`${op}: tensor "${name}" has ${Array.isArray(e.data) ? e.data.length : "no"} values, its shape [${shape.join(", ")}] needs ${numel}`);
    }
    const values = Float64Array.from(e.data as unknown[], (v, i) => {
      if (typeof v === "number") return v;
      if (typeof v === "string" && v in SPECIAL) return SPECIAL[v];
      throw new ValueError(`${op}: tensor "${name}" value ${i} is not a number (${JSON.stringify(v)})`);
    });
    return [name, e.dtype as DType, shape, values] as const;
  });
  return Object.fromEntries(checked.map(([name, dtype, shape, values]) => [name, tensor(values, { dtype, shape })]));
}
