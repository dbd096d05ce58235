/** Python-style value formatting for module reprs, so they read exactly like PyTorch's. */

/** A number as Python prints a float: `1.0`, `0.1`, `1e-05`, `1e+20`. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mantissa, exp] = x.toExponential().split("e");
  const e = Number(exp);
  if (e < -4 || e >= 16) return `${mantissa}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  const s = String(x);
  return Number.isInteger(x) ? `${s}.0` : s;
}

/** A boolean as Python prints it: `True` / `False`. */
export function pyBool(b: boolean): string {
  return b ? "True" : "False";
}

/** A shape as Python prints a tuple: `(4,)`, `(2, 3)`. */
export function pyTuple(values: readonly number[]): string {
  return values.length === 1 ? `(${values[0]},)` : `(${values.join(", ")})`;
}
