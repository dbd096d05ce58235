/** PyTorch-style printing: `tensor([[1.0000, 2.5000], [3.0000, 4.0000]], requires_grad=True)`. */

import type { DType } from "./dtype.js";

const SUMMARIZE_ABOVE = 1000;
const EDGE_ITEMS = 3;

function formatter(values: ArrayLike<number>, dtype: DType): (v: number) => string {
  if (dtype === "bool") return (v) => (v ? "True" : "False");
  if (dtype === "int32") return (v) => String(v);
  let allIntegers = true;
  let maxAbs = 0;
  let minAbs = Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (!Number.isInteger(v)) allIntegers = false;
    const a = Math.abs(v);
    if (a > maxAbs) maxAbs = a;
    if (a !== 0 && a < minAbs) minAbs = a;
  }
  const special = (v: number): string | null => (Number.isNaN(v) ? "nan" : v === Infinity ? "inf" : v === -Infinity ? "-inf" : null);
  const scientific = maxAbs >= 1e8 || (minAbs < 1e-4 && minAbs !== Infinity) || (minAbs !== Infinity && maxAbs / minAbs > 1000 && !allIntegers);
  if (allIntegers && maxAbs < 1e8) return (v) => special(v) ?? `${v.toFixed(0)}.`;
  if (scientific) return (v) => special(v) ?? v.toExponential(4).replace(/e([+-])(\d)$/, "e$10$2");
  return (v) => special(v) ?? v.toFixed(4);
}

/** Formats row-major values of `shape` as PyTorch prints them; `suffixes` go after the data. */
export function formatTensor(values: ArrayLike<number>, shape: readonly number[], dtype: DType, suffixes: string[]): string {
  const summarize = values.length > SUMMARIZE_ABOVE;
  const fmt = formatter(values, dtype);
  const strings: string[] = [];
  for (let i = 0; i < values.length; i++) strings.push(fmt(values[i]));
  const width = strings.reduce((w, s) => Math.max(w, s.length), 0);
  const pad = (s: string) => s.padStart(width);
  const indent = "tensor(".length;

  const render = (dim: number, offset: number, stride: number): string => {
    if (dim === shape.length) return pad(strings[offset]);
    const size = shape[dim];
    const inner = stride / Math.max(size, 1);
    let indices = Array.from({ length: size }, (_, i) => i);
    const cut = summarize && size > 2 * EDGE_ITEMS;
    if (cut) indices = [...indices.slice(0, EDGE_ITEMS), -1, ...indices.slice(size - EDGE_ITEMS)];
    const parts = indices.map((i) => (i < 0 ? "..." : render(dim + 1, offset + i * inner, inner)));
    const last = dim === shape.length - 1;
    const sep = last ? ", " : "," + "\n".repeat(shape.length - dim - 1) + " ".repeat(indent + dim + 1);
    return `[${parts.join(sep)}]`;
  };

  const body = shape.length === 0 ? strings[0] : render(0, 0, values.length);
  const extras = [...(dtype === "float32" || (dtype === "bool") ? [] : [`dtype=${dtype}`]), ...suffixes];
  return `tensor(${body}${extras.length ? ", " + extras.join(", ") : ""})`;
}
