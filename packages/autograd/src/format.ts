/** PyTorch-style printing: `tensor([[1.0000, 2.5000], [3.0000, 4.0000]], requires_grad=True)`. */

import type { DType } from "./dtype.js";

const SUMMARIZE_ABOVE = 1000;
const EDGE_ITEMS = 3;

/** How each value is written, and the width all are padded to. */
interface Formatter {
  readonly format: (v: number) => string;
  readonly width: number;
}

/**
 * PyTorch's `_Formatter`: integers as `1.`, fixed `1.2500`, or scientific `1.2500e+03`, chosen
 * from the nonzero finite values, which alone set the width — so a zero, NaN or −0 may stick out
 * (`tensor([-0., 1.])`), as in PyTorch.
 */
function formatter(values: ArrayLike<number>, dtype: DType): Formatter {
  if (dtype === "bool" || dtype === "int32") {
    const format = dtype === "bool" ? (v: number) => (v ? "True" : "False") : (v: number) => String(v);
    let width = 1;
    for (let i = 0; i < values.length; i++) width = Math.max(width, format(values[i]).length);
    return { format, width };
  }
  let count = 0;
  let intMode = true;
  let maxAbs = 0;
  let minAbs = Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v) || v === 0) continue;
    count++;
    if (!Number.isInteger(v)) intMode = false;
    const a = Math.abs(v);
    if (a > maxAbs) maxAbs = a;
    if (a < minAbs) minAbs = a;
  }
  const sciMode = count > 0 && (maxAbs / minAbs > 1000 || maxAbs > 1e8 || (!intMode && minAbs < 1e-4));
  const plain = sciMode
    ? (v: number) => v.toExponential(4).replace(/e([+-])(\d)$/, "e$10$2")
    : intMode
      ? (v: number) => `${v.toFixed(0)}.`
      : (v: number) => v.toFixed(4);
  // NaN, ±inf, and −0, whose sign JS's toFixed/toExponential drop but PyTorch prints (`-0.`).
  const format = (v: number): string =>
    Number.isNaN(v) ? "nan" : v === Infinity ? "inf" : v === -Infinity ? "-inf" : Object.is(v, -0) ? "-" + plain(0) : plain(v);
  let width = 1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v) && v !== 0) width = Math.max(width, plain(v).length);
  }
  return { format, width };
}

/** Formats row-major values of `shape` as PyTorch prints them; `suffixes` go after the data. */
export function formatTensor(values: ArrayLike<number>, shape: readonly number[], dtype: DType, suffixes: string[]): string {
  if (values.length === 0) {
    // As PyTorch: `tensor([], size=(2, 0))`; the size unless the shape is [0], and the dtype
    // unless it is the default (an empty tensor shows no values to tell it by, so bool is named too).
    const size = shape.length === 1 ? [] : [`size=(${shape.join(", ")})`];
    const extras = [...size, ...(dtype === "float32" ? [] : [`dtype=${dtype}`]), ...suffixes];
    return `tensor([]${extras.length ? ", " + extras.join(", ") : ""})`;
  }
  const summarize = values.length > SUMMARIZE_ABOVE;
  const { format, width } = formatter(values, dtype);
  const strings: string[] = [];
  for (let i = 0; i < values.length; i++) strings.push(format(values[i]));
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
