/**
 * Where a model step's time goes, by backend method (matmuls by shape): wraps every method of
 * the current backend with a timer, then runs bench/probe/models.ts.
 * `node --import tsx bench/probe/op-times.ts vae [--steps N]` (same arguments as models.ts).
 * Times include the first steps' warm-up; a transposed operand is marked ᵀ.
 */
import { getBackend, type StridedView } from "@tensorgrad/autograd";

const backend = getBackend() as unknown as Record<string, unknown>;
const totals = new Map<string, { ms: number; calls: number }>();

/** The label of one call: the method, and for matmul its operand shapes. */
function label(method: string, args: unknown[]): string {
  if (method !== "matmul") return method;
  const operand = (v: StridedView): string => `${v.shape.join("×")}${v.shape.length === 2 && v.strides[0] === 1 && v.shape[1] > 1 ? "ᵀ" : ""}`;
  return `matmul ${operand(args[0] as StridedView)} @ ${operand(args[1] as StridedView)}${args[3] ? " + bias" : ""}`;
}

for (const method of Object.keys(backend)) {
  const f = backend[method];
  if (typeof f !== "function") continue;
  backend[method] = function (this: unknown, ...args: unknown[]): unknown {
    const start = performance.now();
    try {
      return (f as (...a: unknown[]) => unknown).apply(this, args);
    } finally {
      const entry = totals.get(label(method, args)) ?? { ms: 0, calls: 0 };
      entry.ms += performance.now() - start;
      entry.calls++;
      totals.set(label(method, args), entry);
    }
  };
}

process.on("exit", () => {
  const at = process.argv.indexOf("--steps");
  const steps = at >= 0 ? Number(process.argv[at + 1]) : 30;
  const rows = [...totals].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25);
  for (const [name, { ms, calls }] of rows) console.log(`${name.padEnd(40)} ${(ms / steps).toFixed(3)} ms/step  ${(calls / steps).toFixed(1)} calls/step`);
});

await import("./models.js"); // tsx maps .js to the .ts source
