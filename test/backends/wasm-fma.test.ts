/**
 * The wasm backend's two kernel builds, as users get them: child processes load the BUILT package
 * (packages/autograd/dist, which `pnpm test` builds first) and check which build runtime feature
 * detection picked, and its matmul against a float64 reference. The FMA (relaxed-SIMD) build
 * needs relaxed SIMD, which Node 20 validates only under --experimental-wasm-relaxed-simd (the
 * backend turns that flag on itself there, unless TENSORGRAD_WASM_FMA=0), so children run with
 * the flag, with it and TENSORGRAD_WASM_FMA=0 (the plain build is forced), bare, and bare with
 * TENSORGRAD_WASM_FMA=0.
 */

import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";

const dist = fileURLToPath(new URL("../../packages/autograd/dist/index.js", import.meta.url));
const RELAXED = "--experimental-wasm-relaxed-simd";

// The child: every float product goes to wasm (however small) and is split across threads when
// threads are on. For each case it prints the worst error relative to the rounding-error bound
// |ĉ − c| ≤ γ_k·Σ_p |a_ip·b_pj| (γ_k ≈ k·u), which holds for any summation order, fused or not;
// a dropped or misplaced term is off by about Σ|a·b|/k, far past it.
const CHILD = `
const [dist] = process.argv.slice(2);
const tg = await import(new URL("file://" + dist).href);
tg.registerBackend(tg.createWasmBackend({ matmulMinMacs: 0, threadMinMacsPerThread: 1 }));
tg.setBackend("wasm");

let seed = 12345;
const random = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
};
const rand = (shape, dtype) => tg.tensor(Float64Array.from({ length: shape.reduce((p, s) => p * s, 1) }, random), { shape, dtype });

// A·B of [...batch, m, k] and [...batch, k, n] in float64, and Σ_p |a_ip·b_pj|, for the rows
// (of the batch-flattened product) that \`rows\` selects.
function reference(a, b, lead, rows) {
  const [m, k] = a.shape.slice(-2);
  const n = b.shape.at(-1);
  const A = a.expand(...lead, m, k).contiguous().toTypedArray();
  const B = b.expand(...lead, k, n).contiguous().toTypedArray();
  const ref = new Float64Array(rows.length * n);
  const abs = new Float64Array(rows.length * n);
  rows.forEach((row, r) => {
    const t = Math.floor(row / m);
    for (let p = 0; p < k; p++) {
      const x = A[row * k + p];
      const off = (t * k + p) * n;
      for (let j = 0; j < n; j++) {
        const y = x * B[off + j];
        ref[r * n + j] += y;
        abs[r * n + j] += Math.abs(y);
      }
    }
  });
  return { k, n, rows, ref, abs };
}

// The worst |ĉ − c| / bound over the selected entries of c, where the bound γ_k·Σ|a·b| is the
// product's own plus the float64 reference's (Infinity for a non-finite entry).
function worstRatio(c, { k, n, rows, ref, abs }) {
  const C = c.toTypedArray();
  const gamma = (u) => (k * u) / (1 - k * u);
  const g = gamma(c.dtype === "float32" ? 2 ** -24 : 2 ** -53) + gamma(2 ** -53);
  let worst = 0;
  rows.forEach((row, r) => {
    for (let j = 0; j < n; j++) {
      const err = Math.abs(C[row * n + j] - ref[r * n + j]);
      worst = Math.max(worst, Number.isFinite(err) ? err / (g * abs[r * n + j] + Number.MIN_VALUE) : Infinity);
    }
  });
  return worst;
}

const range = (from, to) => Array.from({ length: to - from }, (_, i) => from + i);
// The broadcast batch dims of a and b.
function batchDims(a, b) {
  const [x, y] = [a.shape.slice(0, -2), b.shape.slice(0, -2)];
  const r = Math.max(x.length, y.length);
  return range(0, r).map((i) => Math.max(x[i - r + x.length] ?? 1, y[i - r + y.length] ?? 1));
}

const cases = [];
for (const dtype of ["float32", "float64"]) {
  const add = (name, a, b, rows) => cases.push({ name: dtype + " " + name, a, b, rows });
  for (const s of [1, 7, 33]) add(s + "×" + s + "×" + s, rand([s, s], dtype), rand([s, s], dtype));
  // Past every block: k > KC = 256, m > MC (60 or 64 rows), n > NC (1024 f32 / 512 f64 columns).
  // The reference covers the first two row blocks, rows in the middle and the last rows (runs of
  // at least 5, so every row of a register tile), to stay fast.
  const n = dtype === "float32" ? 1030 : 520;
  const rows = [...range(0, 130), ...range(500, 512), ...range(1010, 1025)];
  add("1025×300×" + n + " (" + rows.length + " rows checked)", rand([1025, 300], dtype), rand([300, n], dtype), rows);
  add("aᵀ 70×260×90", rand([260, 70], dtype).mT, rand([260, 90], dtype));
  add("bᵀ 70×260×90", rand([70, 260], dtype), rand([90, 260], dtype).mT);
  add("aᵀ bᵀ 33×41×29", rand([41, 33], dtype).mT, rand([29, 41], dtype).mT);
  add("batched [3] 33×20×17", rand([3, 33, 20], dtype), rand([3, 20, 17], dtype));
  add("broadcast [2,1]·[3] 9×40×11", rand([2, 1, 9, 40], dtype), rand([3, 40, 11], dtype));
}

const results = [];
for (const { name, a, b, rows } of cases) {
  const lead = batchDims(a, b);
  const ref = reference(a, b, lead, rows ?? range(0, lead.reduce((p, s) => p * s, a.shape.at(-2))));
  for (const threads of [1, 2]) {
    tg.setNumThreads(threads);
    results.push({ name, threads: tg.getNumThreads(), ratio: worstRatio(a.matmul(b), ref) });
  }
}
// f32x4.relaxed_madd in a one-function module: whether relaxed SIMD validates in this process now
const probe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11]);
console.log(JSON.stringify({ features: tg.wasmFeatures(), relaxedProbeValidates: WebAssembly.validate(probe), results }));
`;

interface ChildReport {
  readonly features: { simd: boolean; relaxedSimd: boolean; fma: boolean; sharedMemory: boolean; compileRefused: boolean };
  readonly relaxedProbeValidates: boolean;
  readonly results: readonly { name: string; threads: number; ratio: number }[];
}

let childFile: string | undefined;

/** Runs the child under `node [flags]` with extra environment variables; fails with its stderr. */
function runChild(flags: readonly string[], env: Record<string, string> = {}): ChildReport {
  if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`pnpm build\` (pnpm test builds before vitest)`);
  if (!childFile) {
    childFile = join(tempDir("fma"), "fma-child.mjs");
    writeFileSync(childFile, CHILD);
  }
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  if (!("TENSORGRAD_WASM_FMA" in env)) delete childEnv.TENSORGRAD_WASM_FMA;
  const res = spawnSync(process.execPath, [...flags, childFile, dist], { encoding: "utf8", env: childEnv, timeout: 60_000 });
  if (res.error || res.status !== 0) {
    throw new Error(`child \`node ${flags.join(" ")}\` failed (status ${res.status}): ${res.error?.message ?? ""}\n${res.stderr}`);
  }
  return JSON.parse(res.stdout.trim().split("\n").at(-1)!) as ChildReport;
}

/** Every product within the rounding bound, on 1 and 2 threads. */
function expectAccurate(report: ChildReport): void {
  expect(new Set(report.results.map((r) => r.threads))).toEqual(new Set([1, 2]));
  const bad = report.results.filter((r) => !(r.ratio <= 1));
  expect(bad, `products past the rounding-error bound: ${JSON.stringify(bad)}`).toEqual([]);
  expect(report.results.length).toBe(36);
}

const nodeMajor = Number(process.versions.node.split(".")[0]);

describe("wasm kernel builds (children on the built package)", () => {
  it(`selects the FMA build under ${RELAXED}, and its matmul is right: sizes 1..1030, transposed, batched, threads off and on`, () => {
    const report = runChild([RELAXED]);
    expect(report.features).toEqual({ simd: true, relaxedSimd: true, fma: true, sharedMemory: true, compileRefused: false });
    expectAccurate(report);
  });

  it(`TENSORGRAD_WASM_FMA=0 forces the plain build even under ${RELAXED}`, () => {
    const report = runChild([RELAXED], { TENSORGRAD_WASM_FMA: "0" });
    expect(report.features).toMatchObject({ relaxedSimd: true, fma: false });
    expectAccurate(report);
  });

  it("bare Node uses the FMA build: built in from Node 22, turned on by the backend on Node 20", () => {
    const report = runChild([]);
    expect(report.features).toEqual({ simd: true, relaxedSimd: true, fma: true, sharedMemory: true, compileRefused: false });
    expect(report.relaxedProbeValidates).toBe(true);
    expectAccurate(report);
  });

  it("TENSORGRAD_WASM_FMA=0 on bare Node keeps the plain build and, on Node 20, leaves V8's flags alone", () => {
    const report = runChild([], { TENSORGRAD_WASM_FMA: "0" });
    // Node 20's V8 validates relaxed SIMD only under the flag, which the backend did not set.
    expect(report.features).toMatchObject({ simd: true, relaxedSimd: nodeMajor >= 22, fma: false });
    expect(report.relaxedProbeValidates).toBe(nodeMajor >= 22);
    expectAccurate(report);
  });
});
