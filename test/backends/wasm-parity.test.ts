/**
 * Parity of the wasm backend against the cpu backend (the oracle), kernel by kernel through the
 * Backend interface on random data: odd sizes that leave partial register tiles, transposed,
 * stepped and broadcast (stride-0) operands, threads off and on. One test goes through the
 * public API: a small MLP's gradients on "wasm" equal those on "cpu".
 */

import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  createCpuBackend, createWasmBackend, listBackends, setBackend, setNumThreads, tensor, wasmSimdSupported,
  type Backend, type StridedView, type Tensor,
} from "@tensorgrad/autograd";
import { liveWorkers } from "../../packages/autograd/src/backend/wasm/threads.js";
import { SCRATCH_BASE, getRuntime, getSharedRuntime } from "../../packages/autograd/src/backend/wasm/runtime.js";
import { packRows } from "../../packages/autograd/src/backend/wasm/pack.js";
import { wasmSoftmax, wasmSoftmaxBackward } from "../../packages/autograd/src/backend/wasm/softmax.js";
import type { CpuBuffer } from "../../packages/autograd/src/backend/cpu/cpu-backend.js";
import { tempDir } from "../helpers/temp-dir.js";
import { numel, rowMajor, uniform as random } from "../helpers/kernel-data.js";

type View = StridedView<CpuBuffer>;
type FloatDType = "float32" | "float64";

const cpu = createCpuBackend();


/**
 * The most float32 ulps the wasm float32 exp/sigmoid/tanh may be from the cpu kernel (measured:
 * 1, 2, 2); relu, sqrt, abs and neg must give the cpu's exact results (compared with Object.is).
 */
const ULPS32 = { exp: 1, sigmoid: 2, tanh: 2, relu: 0, sqrt: 0, abs: 0, neg: 0 } as const;
const UNARY_OPS = Object.keys(ULPS32) as (keyof typeof ULPS32)[];

const f32Cell = new Float32Array(1);
const f32Bits = new Int32Array(f32Cell.buffer);
/** Float32 values as integers in value order (so adjacent floats differ by 1; ±0 both map to 0). */
function orderedBits32(x: number): number {
  f32Cell[0] = x;
  const b = f32Bits[0];
  return b < 0 ? -(b & 0x7fffffff) : b;
}
/** How many float32 steps apart two float32 values are (Infinity when exactly one is NaN). */
function ulpDistance32(x: number, y: number): number {
  if (Number.isNaN(x) !== Number.isNaN(y)) return Infinity;
  return Math.abs(orderedBits32(x) - orderedBits32(y));
}

/**
 * How an operand is laid out in its buffer: row-major; "transposed" (the last two dims swapped
 * in memory, as `x.mT` of a contiguous tensor); "stepped" (every other element of a wider
 * buffer, from offset 1); "broadcast" (the leading dim has stride 0).
 */
type Layout = "contiguous" | "transposed" | "stepped" | "broadcast";

function makeView(dtype: FloatDType, shape: readonly number[], layout: Layout, rand: () => number): View {
  const r = shape.length;
  switch (layout) {
    case "contiguous":
      return { buffer: cpu.fromValues(dtype, Array.from({ length: numel(shape) }, rand)), shape, strides: rowMajor(shape), offset: 0 };
    case "transposed": {
      const stored = [...shape.slice(0, r - 2), shape[r - 1], shape[r - 2]];
      const s = rowMajor(stored);
      const strides = [...s.slice(0, r - 2), s[r - 1], s[r - 2]];
      return { buffer: cpu.fromValues(dtype, Array.from({ length: numel(stored) }, rand)), shape, strides, offset: 0 };
    }
    case "stepped": {
      const stored = [...shape.slice(0, r - 1), 2 * shape[r - 1]];
      const strides = rowMajor(stored).map((s, i) => (i === r - 1 ? 2 : s));
      return { buffer: cpu.fromValues(dtype, Array.from({ length: numel(stored) + 1 }, rand)), shape, strides, offset: 1 };
    }
    case "broadcast": {
      const inner = makeView(dtype, shape.slice(1), "contiguous", rand);
      return { ...inner, shape, strides: [0, ...inner.strides] };
    }
    default:
      return layout satisfies never;
  }
}

const abs = (v: View): View => {
  const values = Array.from(cpu.read(v), Math.abs);
  return { buffer: cpu.fromValues(v.buffer.dtype, values), shape: v.shape, strides: rowMajor(v.shape), offset: 0 };
};

/**
 * Runs `backend.matmul` and the cpu oracle on the same views and checks each element within
 * rtol·Σ_p |a_ip||b_pj| — the scale of rounding error a float sum of products can carry.
 */
function expectMatmulParity(backend: Backend<CpuBuffer>, a: View, b: View, rtol: number): void {
  const r = a.shape.length;
  const outShape = [...a.shape.slice(0, r - 2), a.shape[r - 2], b.shape[r - 1]];
  const dtype = a.buffer.dtype;
  const got = backend.alloc(dtype, numel(outShape));
  const want = cpu.alloc(dtype, numel(outShape));
  const scale = cpu.alloc("float64", numel(outShape));
  backend.matmul(a, b, got);
  cpu.matmul(a, b, want);
  const a64 = abs(a);
  const b64 = abs(b);
  cpu.matmul(
    { ...a64, buffer: cpu.fromValues("float64", a64.buffer.data) },
    { ...b64, buffer: cpu.fromValues("float64", b64.buffer.data) },
    scale,
  );
  for (let i = 0; i < want.length; i++) {
    const [x, y, s] = [got.data[i], want.data[i], scale.data[i]];
    if (x === y || (Number.isNaN(y) && Number.isNaN(x))) continue;
    if (!(Math.abs(x - y) <= rtol * s + 1e-30)) {
      expect.fail(`matmul ${JSON.stringify(a.shape)}@${JSON.stringify(b.shape)}: element ${i} is ${x}, cpu says ${y} (Σ|a||b| = ${s}, rtol ${rtol})`);
    }
  }
}

interface MatmulCase {
  readonly name: string;
  readonly a: readonly number[];
  readonly b: readonly number[];
  readonly layouts?: readonly [Layout, Layout];
}

const CASES: readonly MatmulCase[] = [
  { name: "1×1×1", a: [1, 1], b: [1, 1] },
  { name: "7×33×5", a: [7, 33], b: [33, 5] },
  { name: "33×33×33", a: [33, 33], b: [33, 33] },
  { name: "65×1025×3", a: [65, 1025], b: [1025, 3] },
  { name: "128×257×129", a: [128, 257], b: [257, 129] },
  { name: "1025×7×33", a: [1025, 7], b: [7, 33] },
  { name: "9×300×520 (split by columns)", a: [9, 300], b: [300, 520] },
  { name: "matrix·vector 33×1025×1", a: [33, 1025], b: [1025, 1] },
  { name: "outer product 65×1×33", a: [65, 1], b: [1, 33] },
  { name: "vector·matrix 1×300×77", a: [1, 300], b: [300, 77] },
  { name: "aᵀ·v (matrix·vector, transposed matrix)", a: [25, 100], b: [100, 1], layouts: ["transposed", "contiguous"] },
  { name: "vᵀ·B with stepped operands", a: [1, 37], b: [37, 23], layouts: ["stepped", "stepped"] },
  { name: "outer product, stepped operands", a: [40, 1], b: [1, 25], layouts: ["stepped", "stepped"] },
  { name: "aᵀ @ b", a: [33, 65], b: [65, 17], layouts: ["transposed", "contiguous"] },
  { name: "a @ bᵀ", a: [33, 65], b: [65, 17], layouts: ["contiguous", "transposed"] },
  { name: "aᵀ @ bᵀ", a: [70, 33], b: [33, 41], layouts: ["transposed", "transposed"] },
  { name: "stepped slices", a: [19, 37], b: [37, 23], layouts: ["stepped", "stepped"] },
  { name: "batched [2,3]", a: [2, 3, 33, 17], b: [2, 3, 17, 9] },
  { name: "batched, b broadcast (stride 0)", a: [4, 64, 96], b: [4, 96, 80], layouts: ["contiguous", "broadcast"] },
  { name: "batched, a broadcast and b transposed", a: [3, 31, 45], b: [3, 45, 29], layouts: ["broadcast", "transposed"] },
];

const RTOL: Record<FloatDType, number> = { float32: 1e-5, float64: 1e-12 };

describe.runIf(wasmSimdSupported())("wasm backend", () => {
  afterAll(() => setNumThreads(1));

  it("registers as \"wasm\"", () => {
    expect(listBackends()).toContain("wasm");
  });

  it("runs single-thread kernels over ordinary memory and only split products over the shared one", () => {
    // JS arrays copy into a SharedArrayBuffer about twice as slowly (V8 uses relaxed atomics).
    expect(getRuntime().shared).toBe(false);
    expect(getRuntime().memory.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    const shared = getSharedRuntime();
    expect(shared?.shared).toBe(true);
    expect(shared?.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  describe.each([
    { dtype: "float32" as const, threads: 1 },
    { dtype: "float64" as const, threads: 1 },
    { dtype: "float32" as const, threads: 2 },
    { dtype: "float64" as const, threads: 2 },
    { dtype: "float32" as const, threads: 3 }, // uneven splits
  ])("matmul $dtype, $threads thread(s)", ({ dtype, threads }) => {
    // Every float product goes to wasm here (no size threshold), split across threads when on.
    const forced = createWasmBackend({ matmulMinMacs: 0, threadMinMacsPerThread: 1 });
    const defaults = createWasmBackend();

    it.each(CASES)("$name", ({ a, b, layouts = ["contiguous", "contiguous"] }) => {
      setNumThreads(threads);
      const rand = random(a.length * 1000 + a[a.length - 1] * 31 + b[b.length - 1]);
      const av = makeView(dtype, a, layouts[0], rand);
      const bv = makeView(dtype, b, layouts[1], rand);
      expectMatmulParity(forced, av, bv, RTOL[dtype]);
      expectMatmulParity(defaults, av, bv, RTOL[dtype]);
    });

    // Only meaningful with several threads, so only declared there (not a skip).
    if (threads > 1) {
      it("ran on worker threads", () => {
        expect(liveWorkers()).toBeGreaterThan(0);
      });
    }

    it("thin products (outer, matrix·vector, vector·matrix) give the cpu's exact results", () => {
      setNumThreads(threads);
      const rand = random(11);
      const thin: [number[], number[], Layout, Layout][] = [
        [[100, 1], [1, 25], "contiguous", "contiguous"],
        [[100, 25], [25, 1], "contiguous", "transposed"],
        [[33, 17], [17, 1], "contiguous", "stepped"], // row-major a, odd row count
        [[7, 40], [40, 1], "stepped", "contiguous"],
        [[25, 100], [100, 1], "transposed", "contiguous"],
        [[1, 100], [100, 25], "contiguous", "contiguous"],
        [[1, 33], [33, 7], "stepped", "transposed"],
      ];
      for (const [sa, sb, la, lb] of thin) {
        const av = makeView(dtype, sa, la, rand);
        const bv = makeView(dtype, sb, lb, rand);
        const size = sa[0] * sb[1];
        const got = defaults.alloc(dtype, size);
        const want = cpu.alloc(dtype, size);
        defaults.matmul(av, bv, got);
        cpu.matmul(av, bv, want);
        for (let i = 0; i < size; i++) {
          if (!Object.is(got.data[i], want.data[i])) expect.fail(`${JSON.stringify(sa)}@${JSON.stringify(sb)} element ${i}: ${got.data[i]}, cpu says ${want.data[i]}`);
        }
      }
    });

    it("matrix·vector sums each row in order, as the cpu does (1e16 + 1 − 1e16 + 1 = 1, reversed 0)", () => {
      setNumThreads(threads);
      const row = [1e16, 1, -1e16, 1];
      for (const rows of [2, 3, 4, 7]) { // every path: four rows, two, one
        const av: View = { buffer: cpu.fromValues(dtype, Array.from({ length: rows }, () => row).flat()), shape: [rows, 4], strides: [4, 1], offset: 0 };
        const bv: View = { buffer: cpu.fromValues(dtype, [1, 1, 1, 1]), shape: [4, 1], strides: [1, 1], offset: 0 };
        const thinInWasm = createWasmBackend({ matmulMinMacs: 1 }); // thin products of any size in wasm
        const got = thinInWasm.alloc(dtype, rows);
        thinInWasm.matmul(av, bv, got);
        expect(Array.from(got.data)).toEqual(Array.from({ length: rows }, () => 1));
      }
    });

    it("propagates NaN and Inf through 0·NaN and 0·Inf", () => {
      setNumThreads(threads);
      const rand = random(7);
      const av = makeView(dtype, [9, 20], "contiguous", rand);
      const bv = makeView(dtype, [20, 11], "contiguous", rand);
      av.buffer.data[3] = 0; // a[0, 3] = 0 meets b[3, 2] = NaN
      bv.buffer.data[3 * 11 + 2] = NaN;
      bv.buffer.data[5 * 11 + 4] = Infinity;
      const got = forced.alloc(dtype, 99);
      forced.matmul(av, bv, got);
      expect(Number.isNaN(got.data[2])).toBe(true);
      expectMatmulParity(forced, av, bv, RTOL[dtype]);
    });
  });

  describe.each(["float32", "float64"] as const)("elementwise %s", (dtype) => {
    const forced = createWasmBackend({ elementwiseMinSize: 0 });
    // float64: exp and sigmoid within 1 ulp of V8's Math.exp-based results, tanh within 3.
    // float32 runs in float32 lanes (math32.ts): within ULPS32 float32 ulps of the cpu kernel's
    // float64 result rounded to float32.
    const rtol = 1e-15;
    const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 709.78, 709.8, -745.1, -746, 1e-310, -1e-300, 19.1, -20, 40, 88.7, -103.9];

    const closeEnough = (x: number, y: number, tol: number, atol = 0): boolean =>
      Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)) || Math.abs(x - y) <= tol * Math.abs(y) + atol;
    const agrees = (op: keyof typeof ULPS32, x: number, y: number): boolean =>
      ULPS32[op] === 0 ? Object.is(x, y) : dtype === "float32" ? (Number.isNaN(x) && Number.isNaN(y)) || ulpDistance32(x, y) <= ULPS32[op] : closeEnough(x, y, rtol);

    if (dtype === "float32") {
      it.each(UNARY_OPS)("%s within its ulp bound over 2^18 float32 bit patterns spanning every exponent", (op) => {
        // Every 16384th pattern, shifted by i mod 16384 so low mantissa bits vary too: all signs,
        // subnormals, the overflow and underflow edges, ±Inf and NaNs.
        const n = 2 ** 18;
        const bits = new Uint32Array(n);
        for (let i = 0; i < n; i++) bits[i] = (i * 16384 + ((i * 2654435761) >>> 18)) >>> 0;
        const x: View = { buffer: cpu.fromValues("float32", Array.from(new Float32Array(bits.buffer))), shape: [n], strides: [1], offset: 0 };
        const got = forced.alloc("float32", n);
        const want = cpu.alloc("float32", n);
        forced.unary(op, x, got);
        cpu.unary(op, x, want);
        let worst = 0;
        let at = 0;
        for (let i = 0; i < n; i++) {
          const [g, w] = [got.data[i], want.data[i]];
          const d = Number.isNaN(g) && Number.isNaN(w) ? 0 : ULPS32[op] === 0 && !Object.is(g, w) ? Infinity : ulpDistance32(g, w);
          if (d > worst) [worst, at] = [d, i];
        }
        if (worst > ULPS32[op]) expect.fail(`${op}(${x.buffer.data[at]}) = ${got.data[at]}, cpu says ${want.data[at]}: ${worst} ulps apart`);
      });
    }

    // 20000: past the chunk the whole-operand kernels work in (ELEMENTWISE_CHUNK_BYTES: 16384
    // float32, 8192 float64 elements), with a partial last chunk, and rows longer than a chunk.
    describe.each([1, 7, 33, 1025, 20000])("size %i", (size) => {
      it.each(UNARY_OPS)("%s, contiguous and stepped", (op) => {
        const rand = random(size * 7 + op.length);
        for (const layout of ["contiguous", "stepped"] as const) {
          const x = makeView(dtype, [size], layout, () => rand() * (size === 1025 ? 800 : 30));
          if (layout === "contiguous" && size === 33) SPECIAL.forEach((v, i) => (x.buffer.data[i] = v));
          const got = forced.alloc(dtype, size);
          const want = cpu.alloc(dtype, size);
          forced.unary(op, x, got);
          cpu.unary(op, x, want);
          for (let i = 0; i < size; i++) {
            if (!agrees(op, got.data[i], want.data[i])) {
              expect.fail(`${op}(${cpu.read(x)[i]}) = ${got.data[i]}, cpu says ${want.data[i]}`);
            }
          }
        }
      });

      it.each(["add", "sub", "mul", "div", "sigmoidBackward", "tanhBackward", "reluBackward"] as const)(
        "%s: whole, scalar (either side), row and unsupported layouts give the cpu's exact results",
        (op) => {
          const rand = random(size * 11 + op.length);
          const rows = 3;
          // [rows, size] operands in every layout the kernel reads, plus ones it must hand to the cpu.
          const whole = (): View => makeView(dtype, [rows, size], "contiguous", () => rand() * 4);
          const scalar = (): View => ({ ...makeView(dtype, [1], "contiguous", () => rand() * 4), shape: [rows, size], strides: [0, 0] });
          const row = (): View => makeView(dtype, [rows, size], "broadcast", () => rand() * 4);
          const pairs: [string, View, View][] = [
            ["whole, whole", whole(), whole()],
            ["whole, scalar", whole(), scalar()],
            ["scalar, whole", scalar(), whole()],
            ["whole, row", whole(), row()],
            ["row, whole (cpu)", row(), whole()],
            ["stepped, whole (cpu)", makeView(dtype, [rows, size], "stepped", rand), whole()],
            ["transposed, whole (cpu)", makeView(dtype, [rows, size], "transposed", rand), whole()],
          ];
          const [, w] = pairs[0];
          if (size >= 7) SPECIAL.slice(0, 7).forEach((v, i) => (w.buffer.data[i] = v)); // ±0, ±Inf, NaN
          for (const [name, a, b] of pairs) {
            const got = forced.alloc(dtype, rows * size);
            const want = cpu.alloc(dtype, rows * size);
            forced.binary(op, a, b, got);
            cpu.binary(op, a, b, want);
            for (let i = 0; i < got.length; i++) {
              if (!closeEnough(got.data[i], want.data[i], 0)) expect.fail(`${op} (${name}) element ${i}: ${got.data[i]}, cpu says ${want.data[i]}`);
            }
          }
        },
      );

      it.each(["add", "reluBackward"] as const)("%s of [40, 1000] and a repeated row: several whole rows per chunk, the last chunk partial", (op) => {
        const rand = random(41 + op.length);
        const a = makeView(dtype, [40, 1000], "contiguous", () => rand() * 4);
        const b = makeView(dtype, [40, 1000], "broadcast", () => rand() * 4);
        const got = forced.alloc(dtype, 40000);
        const want = cpu.alloc(dtype, 40000);
        forced.binary(op, a, b, got);
        cpu.binary(op, a, b, want);
        for (let i = 0; i < got.length; i++) if (!closeEnough(got.data[i], want.data[i], 0)) expect.fail(`${op} element ${i}: ${got.data[i]}, cpu says ${want.data[i]}`);
      });

      it.each([false, true])("softmax over the last dim (log: %s), rows of this size, contiguous and transposed", (log) => {
        const rand = random(size + (log ? 1 : 0));
        for (const layout of ["contiguous", "transposed"] as const) {
          const x = makeView(dtype, [5, size], layout, () => rand() * 20);
          if (size >= 7) x.buffer.data[3] = -Infinity;
          const got = forced.alloc(dtype, 5 * size);
          const want = cpu.alloc(dtype, 5 * size);
          forced.softmax(x, 1, log, got);
          cpu.softmax(x, 1, log, want);
          // float32 rows run in float32 lanes (exp within 1 ulp, then a scale or two subtractions):
          // within 4 ulps, or 4 ulps of the row's largest |x − max| ≈ 20 for log-softmax.
          for (let i = 0; i < got.length; i++) {
            if (!closeEnough(got.data[i], want.data[i], dtype === "float32" ? 2 ** -21 : 1e-14, dtype === "float32" ? 1e-5 : 1e-13)) {
              expect.fail(`softmax(log ${log}) element ${i}: ${got.data[i]}, cpu says ${want.data[i]}`);
            }
          }
        }
      });

      it.each([false, true])("softmax (log: %s) of rows holding NaN or ±Inf gives the cpu's NaNs and values", (log) => {
        const rand = random(9 * size + (log ? 1 : 0));
        const x = makeView(dtype, [4, size], "contiguous", () => rand() * 20);
        x.buffer.data[size - 1] = NaN; // row 0: NaN at the end (past the unrolled max loop when size ≥ 16)
        x.buffer.data[size] = Infinity; // row 1: +Inf first, then NaN in the middle
        if (size > 2) x.buffer.data[size + (size >> 1)] = NaN;
        for (let i = 2 * size; i < 3 * size; i++) x.buffer.data[i] = -Infinity; // row 2: all −Inf
        const got = forced.alloc(dtype, 4 * size);
        const want = cpu.alloc(dtype, 4 * size);
        forced.softmax(x, 1, log, got);
        cpu.softmax(x, 1, log, want);
        for (let i = 0; i < 3 * size; i++) expect(Number.isNaN(got.data[i]) ? NaN : got.data[i]).toEqual(Number.isNaN(want.data[i]) ? NaN : want.data[i]);
      });

      it.each([false, true])("fused softmax backward (log: %s), rows of this size, contiguous and transposed", (log) => {
        const rand = random(3 * size + (log ? 1 : 0));
        for (const layout of ["contiguous", "transposed", "broadcast"] as const) {
          const g = makeView(dtype, [5, size], layout, () => rand() * 4 - 2);
          const y = makeView(dtype, [5, size], "contiguous", () => (log ? -rand() * 8 : rand() / size));
          const got = forced.alloc(dtype, 5 * size);
          const want = cpu.alloc(dtype, 5 * size);
          forced.softmaxBackward(g, y, 1, log, got);
          cpu.softmaxBackward(g, y, 1, log, want);
          // float32 in float32 lanes with float64 row sums: a few ulps of the terms' size (|g| ≤ 2).
          for (let i = 0; i < got.length; i++) {
            if (!closeEnough(got.data[i], want.data[i], dtype === "float32" ? 2 ** -21 : 1e-14, dtype === "float32" ? 2e-6 : 1e-14)) {
              expect.fail(`softmaxBackward(log ${log}) element ${i}: ${got.data[i]}, cpu says ${want.data[i]}`);
            }
          }
        }
      });

      it.each([false, true])("softmax and its backward split by rows across threads (log: %s)", (log) => {
        const rand = random(5 * size + (log ? 1 : 0));
        const rows = 9;
        const x = makeView(dtype, [rows, size], "contiguous", () => rand() * 10);
        const g = makeView(dtype, [rows, size], "contiguous", () => rand() - 0.5);
        const n = rows * size;
        const [one, split] = [cpu.alloc(dtype, n), cpu.alloc(dtype, n)];
        expect(wasmSoftmax(x, 1, log, one, 0, Infinity)).toBe(true);
        expect(wasmSoftmax(x, 1, log, split, 0, 1)).toBe(true);
        expect(Array.from(split.data)).toEqual(Array.from(one.data));
        const y: View = { buffer: cpu.fromValues(dtype, Array.from(one.data)), shape: [rows, size], strides: [size, 1], offset: 0 };
        expect(wasmSoftmaxBackward(g, y, 1, log, one, 0, Infinity)).toBe(true);
        expect(wasmSoftmaxBackward(g, y, 1, log, split, 0, 1)).toBe(true);
        expect(Array.from(split.data)).toEqual(Array.from(one.data));
      });

      // Leading axes ([0], [0, 1]) run in wasm adding in the cpu's order: identical results.
      // Trailing axes ([1, 2]) run in wasm in another order: within rounding. [1] is neither and
      // goes to the cpu kernel, and must still agree.
      it.each([
        { axes: [0], exact: true },
        { axes: [0, 1], exact: true },
        { axes: [1], exact: false },
        { axes: [1, 2], exact: false },
      ])("sum over axes $axes (identical: $exact)", ({ axes, exact }) => {
        const rand = random(size * 3 + axes.length + (exact ? 2 : 0));
        const shape = [3, size, 2];
        const reduced = shape.filter((_, i) => !axes.includes(i));
        const scale = numel(shape) * (dtype === "float32" ? 1e-13 : 1e-15);
        for (const layout of ["contiguous", "stepped", "transposed"] as const) {
          const x = makeView(dtype, shape, layout, rand);
          const got = forced.alloc(dtype, numel(reduced));
          const want = cpu.alloc(dtype, numel(reduced));
          forced.reduce("sum", x, axes, got);
          cpu.reduce("sum", x, axes, want);
          for (let i = 0; i < got.length; i++) {
            const ok = exact
              ? Object.is(got.data[i], want.data[i])
              : closeEnough(got.data[i], want.data[i], dtype === "float32" ? 2 ** -23 : 0, scale);
            if (!ok) expect.fail(`sum over ${JSON.stringify(axes)} (${layout}) element ${i}: ${got.data[i]}, cpu says ${want.data[i]}`);
          }
        }
      });
    });

    it("sum over all axes, NaN and Inf", () => {
      const x = makeView(dtype, [4, 9], "contiguous", random(3));
      const all = forced.alloc(dtype, 1);
      forced.reduce("sum", x, [0, 1], all);
      const want = cpu.alloc(dtype, 1);
      cpu.reduce("sum", x, [0, 1], want);
      expect(closeEnough(all.data[0], want.data[0], 2 ** -23, 1e-13)).toBe(true);
      x.buffer.data[5] = Infinity;
      forced.reduce("sum", x, [0, 1], all);
      expect(all.data[0]).toBe(Infinity);
      x.buffer.data[6] = NaN;
      forced.reduce("sum", x, [0, 1], all);
      expect(all.data[0]).toBeNaN();
    });
  });

  it.each(["float32", "float64"] as const)(
    "the wasm packer lays out strips exactly as the host packer, partial strips zero-padded (%s)",
    (dtype) => {
      // packRows (host, JS) is an independent implementation of the same strip layout.
      const rt = getRuntime();
      const f32 = dtype === "float32";
      const bpe = f32 ? 4 : 8;
      const pack = f32 ? rt.kernels.packF32 : rt.kernels.packF64;
      const rand = random(77);
      // [rows, cols, row-major?] × strip heights: full and partial strips, row- and column-major
      // sources (each path of the packer), and columns shorter than a strip (cs < r).
      for (const [rows, cols, rowMajor] of [[10, 13, true], [10, 13, false], [8, 9, true], [30, 7, false], [3, 11, false], [1, 5, true], [13, 1, false]] as const) {
        for (const r of [4, 5, 8]) {
          const rs = rowMajor ? cols : 1;
          const cs = rowMajor ? 1 : rows;
          const strips = Math.ceil(rows / r);
          const src = Array.from({ length: rows * cols }, () => rand());
          rt.reserve(SCRATCH_BASE + (rows * cols + strips * r * cols + 64) * bpe);
          const heap = f32 ? rt.f32() : rt.f64();
          const srcAt = SCRATCH_BASE / bpe;
          const dstAt = srcAt + rows * cols;
          heap.set(src, srcAt);
          heap.fill(NaN, dstAt, dstAt + strips * r * cols + 16); // every slot must be written
          pack(srcAt * bpe, dstAt * bpe, rows, cols, rs, cs, r);
          const want = f32 ? new Float32Array(strips * r * cols) : new Float64Array(strips * r * cols);
          packRows(f32 ? Float32Array.from(src) : Float64Array.from(src), 0, rs, cs, rows, cols, r, want, 0);
          const got = Array.from(heap.subarray(dstAt, dstAt + want.length));
          expect(got, `${rows}×${cols} ${rowMajor ? "row" : "column"}-major, strips of ${r}`).toEqual(Array.from(want));
        }
      }
    },
  );

  it("int32 products fall back to the cpu kernel", () => {
    const forced = createWasmBackend({ matmulMinMacs: 0 });
    const a: View = { buffer: cpu.fromValues("int32", [1, 2, 3, 4, 5, 6]), shape: [2, 3], strides: [3, 1], offset: 0 };
    const b: View = { buffer: cpu.fromValues("int32", [1, 0, -1, 2, 3, 1]), shape: [3, 2], strides: [2, 1], offset: 0 };
    const out = forced.alloc("int32", 4);
    forced.matmul(a, b, out);
    expect(Array.from(out.data)).toEqual([8, 7, 17, 16]);
  });

  it("a script that used worker threads exits on its own", () => {
    const entry = fileURLToPath(new URL("../../packages/autograd/src/index.ts", import.meta.url));
    const script = `
      const { createCpuBackend, createWasmBackend, setNumThreads } = await import(${JSON.stringify(entry)});
      setNumThreads(2);
      const cpu = createCpuBackend();
      const w = createWasmBackend({ threadMinMacsPerThread: 1 });
      const a = { buffer: cpu.fromValues("float32", new Float32Array(256 * 256).fill(1)), shape: [256, 256], strides: [256, 1], offset: 0 };
      const out = w.alloc("float32", 256 * 256);
      w.matmul(a, a, out);
      console.log(out.data[0]);
    `;
    const file = join(tempDir("wasm"), "threads-exit.mjs");
    writeFileSync(file, script);
    const res = spawnSync(process.execPath, ["--import", "tsx", file], { encoding: "utf8", timeout: 30_000 });
    expect(res.stderr).toBe("");
    expect(res.stdout.trim()).toBe("256");
    expect(res.status).toBe(0);
  });

  describe("through the public API", () => {
    afterAll(() => setBackend("cpu"));

    it.each(["float32", "float64"] as const)("MLP gradients on wasm equal cpu (%s)", (dtype) => {
      const rand = random(42);
      const data = (n: number): number[] => Array.from({ length: n }, rand);
      const [x, w1, b1, w2] = [data(32 * 40), data(40 * 64), data(64), data(64 * 10)];
      const run = (backend: string): Tensor[] => {
        setBackend(backend);
        const X = tensor(x, { dtype, shape: [32, 40] });
        const W1 = tensor(w1, { dtype, shape: [40, 64], requiresGrad: true });
        const B1 = tensor(b1, { dtype, shape: [64], requiresGrad: true });
        const W2 = tensor(w2, { dtype, shape: [64, 10], requiresGrad: true });
        const loss = X.matmul(W1).add(B1).tanh().matmul(W2).logSoftmax(1).mean();
        loss.backward();
        expect(loss.device).toBe(backend);
        return [loss, W1.grad!, B1.grad!, W2.grad!];
      };
      const onWasm = run("wasm");
      const onCpu = run("cpu");
      const tol = dtype === "float32" ? { rtol: 1e-4, atol: 1e-6 } : { rtol: 1e-10, atol: 1e-13 };
      for (let i = 0; i < onCpu.length; i++) expect(onWasm[i]).toBeAllclose(onCpu[i], tol);
    });
  });
});
