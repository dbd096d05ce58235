/** Comparison of tensors / nested arrays with tolerances, reporting the first differing index. */

import { Tensor } from "@tensorgrad/autograd";

export interface AllcloseOptions {
  readonly rtol?: number;
  readonly atol?: number;
  readonly equalNan?: boolean;
}

interface Flat {
  shape: number[];
  values: number[];
}

function flatten(x: unknown): Flat {
  if (x instanceof Tensor) return { shape: [...x.shape], values: x.toFlatArray() };
  if (typeof x === "number" || typeof x === "boolean") return { shape: [], values: [Number(x)] };
  if (ArrayBuffer.isView(x)) return { shape: [(x as unknown as ArrayLike<number>).length], values: Array.from(x as unknown as ArrayLike<number>) };
  if (Array.isArray(x)) {
    const parts = x.map(flatten);
    const inner = parts[0]?.shape ?? [];
    return { shape: [x.length, ...inner], values: parts.flatMap((p) => p.values) };
  }
  throw new Error(`toBeAllclose: cannot compare a value of type ${typeof x}`);
}

function indexOf(flatIndex: number, shape: readonly number[]): number[] {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(flatIndex % shape[d]);
    flatIndex = Math.floor(flatIndex / shape[d]);
  }
  return idx;
}

/** pass/fail plus a message naming the first differing element and its values. */
export function allcloseReport(received: unknown, expected: unknown, options: AllcloseOptions = {}): { pass: boolean; message: string } {
  const { rtol = 1e-5, atol = 1e-8, equalNan = false } = options;
  const a = flatten(received);
  const b = flatten(expected);
  // A scalar expectation is broadcast against the received values.
  const bValues = b.values.length === 1 && a.values.length !== 1 ? a.values.map(() => b.values[0]) : b.values;
  const bShape = b.values.length === 1 && a.values.length !== 1 ? a.shape : b.shape;
  if (a.shape.join(",") !== bShape.join(",")) {
    return { pass: false, message: `shapes differ: received [${a.shape}] expected [${bShape}]` };
  }
  let worst = 0;
  for (let i = 0; i < a.values.length; i++) {
    const x = a.values[i];
    const y = bValues[i];
    const bothNan = Number.isNaN(x) && Number.isNaN(y);
    const ok = bothNan ? equalNan : x === y || Math.abs(x - y) <= atol + rtol * Math.abs(y);
    if (!ok) {
      return {
        pass: false,
        message: `first difference at index [${indexOf(i, a.shape)}]: received ${x}, expected ${y} (|diff| ${Math.abs(x - y)}, atol ${atol}, rtol ${rtol})`,
      };
    }
    if (!bothNan) worst = Math.max(worst, Math.abs(x - y));
  }
  return { pass: true, message: `expected values not to be allclose (max |diff| ${worst})` };
}
