/**
 * Matmul throughput: the cpu backend's JS loops vs the wasm SIMD backend, single- and
 * multi-threaded. Run with `node --import tsx bench/matmul-wasm.ts`.
 * Prints GFLOP/s (2·m·n·k / time, best of several runs) with the machine, load and date.
 */

import { availableParallelism, cpus, loadavg } from "node:os";
import {
  createCpuBackend, createWasmBackend, setNumThreads, type Backend, type StridedView,
} from "../packages/autograd/src/index.js";
import type { CpuBuffer } from "../packages/autograd/src/backend/cpu/cpu-backend.js";

type View = StridedView<CpuBuffer>;
type FloatDType = "float32" | "float64";

const cpu = createCpuBackend();
const wasm = createWasmBackend();

/** An m×n operand with random values; `transposed` stores it n×m and views it transposed. */
function operand(dtype: FloatDType, m: number, n: number, transposed = false): View {
  const buffer = cpu.fromValues(dtype, Float64Array.from({ length: m * n }, () => Math.random() * 2 - 1));
  return transposed
    ? { buffer, shape: [m, n], strides: [1, m], offset: 0 }
    : { buffer, shape: [m, n], strides: [n, 1], offset: 0 };
}

/** Best time in ms of `f` over runs lasting at least `budgetMs` in total (after one warm-up). */
function time(f: () => void, budgetMs = 1500, minRuns = 3): number {
  f();
  let best = Infinity;
  const start = performance.now();
  for (let runs = 0; runs < minRuns || performance.now() - start < budgetMs; runs++) {
    const t0 = performance.now();
    f();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

interface Case {
  readonly name: string;
  readonly dtype: FloatDType;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly aT?: boolean;
  readonly bT?: boolean;
}

const threads = Math.min(availableParallelism(), 8);
const CASES: Case[] = [
  { name: "1024×1024×1024", dtype: "float32", m: 1024, k: 1024, n: 1024 },
  { name: "1024×1024×1024", dtype: "float64", m: 1024, k: 1024, n: 1024 },
  // nn.Linear(784, 128) on a batch of 64: forward x·Wᵀ, then gX = g·W and gW = gᵀ·x.
  { name: "W2 fwd 64×784 @ (128×784)ᵀ", dtype: "float32", m: 64, k: 784, n: 128, bT: true },
  { name: "W2 gX 64×128 @ 128×784", dtype: "float32", m: 64, k: 128, n: 784 },
  { name: "W2 gW (64×128)ᵀ @ 64×784", dtype: "float32", m: 128, k: 64, n: 784, aT: true },
  { name: "small 32×32×32", dtype: "float32", m: 32, k: 32, n: 32 },
];

const row = (cells: (string | number)[]): string => cells.map((c, i) => String(c).padStart(i === 0 ? 30 : 12)).join(" ");
console.log(`matmul GFLOP/s — ${cpus()[0]?.model ?? "unknown cpu"}, ${availableParallelism()} cores, load ${loadavg().map((l) => l.toFixed(1)).join(" ")}, node ${process.version}, ${new Date().toISOString()}`);
console.log(row(["shape", "dtype", "cpu (JS)", "wasm 1T", `wasm ${threads}T`, "speedup"]));
for (const c of CASES) {
  const a = c.aT ? operand(c.dtype, c.m, c.k, true) : operand(c.dtype, c.m, c.k);
  const b = c.bT ? operand(c.dtype, c.k, c.n, true) : operand(c.dtype, c.k, c.n);
  const out = cpu.alloc(c.dtype, c.m * c.n);
  const gflops = (backend: Backend<CpuBuffer>): number => (2 * c.m * c.n * c.k) / time(() => backend.matmul(a, b, out)) / 1e6;
  const base = gflops(cpu);
  setNumThreads(1);
  const one = gflops(wasm);
  setNumThreads(threads);
  const many = gflops(wasm);
  console.log(row([c.name, c.dtype, base.toFixed(2), one.toFixed(2), many.toFixed(2), `${(Math.max(one, many) / base).toFixed(1)}×`]));
}

// Elementwise kernels over 2^20 elements (softmax: rows of 1024), single-threaded.
console.log();
console.log(row(["op over 2^20 elements", "dtype", "cpu ms", "wasm ms", "", "speedup"]));
for (const dtype of ["float32", "float64"] as const) {
  const n = 1 << 20;
  const buffer = cpu.fromValues(dtype, Float64Array.from({ length: n }, () => Math.random() * 8 - 4));
  const flat: View = { buffer, shape: [n], strides: [1], offset: 0 };
  const rows: View = { buffer, shape: [n / 1024, 1024], strides: [1024, 1], offset: 0 };
  const out = cpu.alloc(dtype, n);
  const sums = cpu.alloc(dtype, n / 1024);
  const ops: [string, (b: Backend<CpuBuffer>) => void][] = [
    ["exp", (b) => b.unary("exp", flat, out)],
    ["tanh", (b) => b.unary("tanh", flat, out)],
    ["sigmoid", (b) => b.unary("sigmoid", flat, out)],
    ["softmax (last dim)", (b) => b.softmax(rows, 1, false, out)],
    ["logSoftmax (last dim)", (b) => b.softmax(rows, 1, true, out)],
    ["sum (last dim)", (b) => b.reduce("sum", rows, [1], sums)],
  ];
  for (const [name, f] of ops) {
    const tc = time(() => f(cpu), 500);
    const tw = time(() => f(wasm), 500);
    console.log(row([name, dtype, tc.toFixed(2), tw.toFixed(2), "", `${(tc / tw).toFixed(1)}×`]));
  }
}
