/**
 * Matmul throughput: the cpu backend's JS loops vs the wasm SIMD backend, single- and
 * multi-threaded. Run with `node --import tsx bench/matmul-wasm.ts`.
 * Prints GFLOP/s (2·m·n·k / time, best of several runs) with the machine, load, date and the
 * kernel build in use (FMA where relaxed SIMD validates, see wasmFeatures()).
 *
 * `node --import tsx bench/matmul-wasm.ts --fma-ab [rounds]` instead compares the two builds of
 * the wasm kernels side by side: child processes alternate TENSORGRAD_WASM_FMA=0 (plain SIMD) and
 * the FMA build (the default wherever relaxed SIMD exists, Node 20 included), `rounds`
 * times each (default 3), and a table shows every measurement per case and thread count.
 */

import { spawnSync } from "node:child_process";
import { availableParallelism, cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import {
  createCpuBackend, createWasmBackend, setNumThreads, wasmFeatures, type Backend, type StridedView,
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
const header = (): string => {
  const f = wasmFeatures();
  const build = f.fma ? "FMA (relaxed SIMD)" : `plain SIMD${f.relaxedSimd ? ", TENSORGRAD_WASM_FMA=0" : ""}`;
  return `${cpus()[0]?.model ?? "unknown cpu"}, ${availableParallelism()} cores, load ${loadavg().map((l) => l.toFixed(1)).join(" ")}, node ${[process.version, ...process.execArgv.filter((a) => a.startsWith("--exp"))].join(" ")}, ${new Date().toISOString()}; wasm kernels: ${build}`;
};

/** GFLOP/s of one case on a backend: (2·m·n·k / best time). */
function gflops(c: Case, backend: Backend<CpuBuffer>): number {
  const a = c.aT ? operand(c.dtype, c.m, c.k, true) : operand(c.dtype, c.m, c.k);
  const b = c.bT ? operand(c.dtype, c.k, c.n, true) : operand(c.dtype, c.k, c.n);
  const out = cpu.alloc(c.dtype, c.m * c.n);
  return (2 * c.m * c.n * c.k) / time(() => backend.matmul(a, b, out)) / 1e6;
}

/** GFLOP/s of one case on wasm with 1 and with `threads` threads. */
function wasmCase(c: Case): [number, number] {
  setNumThreads(1);
  const one = gflops(c, wasm);
  setNumThreads(threads);
  return [one, gflops(c, wasm)];
}

/** The A/B parent: alternating children of each build, then one table of all their numbers. */
function fmaAb(rounds: number): void {
  const script = fileURLToPath(import.meta.url);
  const relaxedFlag = wasmFeatures().relaxedSimd || process.execArgv.includes("--experimental-wasm-relaxed-simd") ? [] : ["--experimental-wasm-relaxed-simd"];
  const builds = [
    { name: "plain", argv: [], env: "0" },
    { name: "FMA", argv: relaxedFlag, env: "1" },
  ];
  const results = new Map<string, number[][]>(); // `${build} ${case}` → [1T, nT] per round
  const headers = new Set<string>();
  for (let r = 0; r < rounds; r++) {
    for (const build of r % 2 ? [...builds].reverse() : builds) {
      const res = spawnSync(process.execPath, [...process.execArgv, ...build.argv, script, "--json"], {
        encoding: "utf8", env: { ...process.env, TENSORGRAD_WASM_FMA: build.env },
      });
      if (res.status !== 0) throw new Error(`matmul-wasm: the ${build.name} child failed:\n${res.stderr}`);
      const lines = res.stdout.trim().split("\n");
      headers.add(`${build.name}: ${lines[0]}`);
      for (const line of lines.slice(1)) {
        const { name, dtype, gflops } = JSON.parse(line) as { name: string; dtype: string; gflops: number[] };
        const key = `${build.name} ${name} ${dtype}`;
        results.set(key, [...(results.get(key) ?? []), gflops]);
      }
      console.error(`round ${r + 1}/${rounds}: ${build.name} done`);
    }
  }
  for (const h of headers) console.log(h);
  console.log(`GFLOP/s of each of ${rounds} alternating runs (best of several timings each); wasm with 1 and ${threads} threads`);
  console.log(["shape".padStart(30), "dtype".padStart(8), "threads".padStart(8), "plain".padStart(22), "FMA".padStart(22), "FMA/plain".padStart(10)].join(" "));
  for (const c of CASES) {
    for (const [t, label] of [[0, "1"], [1, String(threads)]] as const) {
      const runs = builds.map((b) => (results.get(`${b.name} ${c.name} ${c.dtype}`) ?? []).map((g) => g[t]));
      const best = runs.map((xs) => Math.max(...xs));
      console.log(
        [c.name.padStart(30), c.dtype.padStart(8), label.padStart(8), ...runs.map((xs) => xs.map((x) => x.toFixed(1)).join(" / ").padStart(22)),
          `${(best[1] / best[0]).toFixed(2)}×`.padStart(10)].join(" "),
      );
    }
  }
}

const args = process.argv.slice(2);
if (args[0] === "--fma-ab") {
  fmaAb(Number(args[1] ?? 3));
  process.exit(0);
}
if (args[0] === "--json") {
  // A child of --fma-ab: the header line, then one JSON line per case, wasm only.
  console.log(header());
  for (const c of CASES) console.log(JSON.stringify({ name: c.name, dtype: c.dtype, gflops: wasmCase(c) }));
  process.exit(0);
}

console.log(`matmul GFLOP/s — ${header()}`);
console.log(row(["shape", "dtype", "cpu (JS)", "wasm 1T", `wasm ${threads}T`, "speedup"]));
for (const c of CASES) {
  const base = gflops(c, cpu);
  const [one, many] = wasmCase(c);
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
