/**
 * Large elementwise kernels of the wasm backend at the CNN's (W5) activation size [64, 64, 24, 24]:
 * relu, reluBackward and a bias-like row add, wall ms per call (fresh outputs, as in a training
 * step). `node --import tsx bench/probe/elementwise-chunks.ts`.
 */
import { getBackend, type Backend, type StridedView } from "@tensorgrad/autograd";

const backend = getBackend() as Backend;
const shape = [64, 64, 24, 24];
const n = shape.reduce((a, b) => a * b);
const view = (buffer: ReturnType<Backend["alloc"]>, s = shape, strides = [36864, 576, 24, 1]): StridedView => ({ buffer, shape: s, strides, offset: 0 });
const x = backend.fromValues("float32", Float32Array.from({ length: n }, (_, i) => Math.sin(i)));
const g = backend.fromValues("float32", Float32Array.from({ length: n }, (_, i) => Math.cos(i)));
const row = backend.fromValues("float32", Float32Array.from({ length: 576 }, (_, i) => i / 576));
const cases: [string, () => void][] = [
  ["relu", () => backend.unary("relu", view(x), backend.alloc("float32", n))],
  ["reluBackward", () => backend.binary("reluBackward", view(g), view(x), backend.alloc("float32", n))],
  ["add a row", () => backend.binary("add", view(x), view(row, shape, [0, 0, 24, 1]), backend.alloc("float32", n))],
];
for (const [name, run] of process.argv.includes("--reverse") ? [...cases].reverse() : cases) {
  for (let i = 0; i < 5; i++) run();
  const reps = 40;
  const start = performance.now();
  for (let i = 0; i < reps; i++) run();
  console.log(`${name.padEnd(14)} ${((performance.now() - start) / reps).toFixed(2)} ms`);
}
