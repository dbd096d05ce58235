/**
 * The wasm backend's binary-cross-entropy kernels (assembly/loss.ts) against the cpu kernels, the
 * oracle, through the Backend interface: float32 (float64 stays on the cpu kernels), odd sizes, p
 * at and next to 0 and 1 and tiny (where log1p's relative precision matters), the gradient with g
 * read whole or broadcast from one value (a summed loss).
 */

import { describe, expect, it } from "vitest";
import { createCpuBackend, createWasmBackend, setNumThreads, wasmSimdSupported } from "@tensorgrad/autograd";
import type { StridedView } from "../../packages/autograd/src/backend/backend.js";
import type { CpuBuffer } from "../../packages/autograd/src/backend/cpu/cpu-backend.js";
import { wasmBinaryCrossEntropy, wasmBinaryCrossEntropyBackward } from "../../packages/autograd/src/backend/wasm/loss.js";

const cpu = createCpuBackend();

describe.runIf(wasmSimdSupported())("wasm binaryCrossEntropy and its backward against the cpu's", () => {
  const wasm = createWasmBackend({ elementwiseMinSize: 0 });
  const whole = (b: CpuBuffer, shape: number[]): StridedView<CpuBuffer> => ({ buffer: b, shape, strides: shape.length === 2 ? [shape[1], 1] : [1], offset: 0 });

  const CASES: readonly ["float32", number[]][] = [["float32", [1]], ["float32", [3, 7]], ["float32", [5]], ["float32", [128, 784]]];
  it.each(CASES)("%s %j: the loss within 2 ulps, the gradient (g whole and broadcast) exactly the cpu's", (dtype, shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    // p over [0, 1] with both ends and values next to them; y in [0, 1]
    const special = [0, 1, 1e-9, 1e-30, 1 - 2 ** -24, 2 ** -24, 0.5];
    const pv = Array.from({ length: n }, (_, i) => (i % 11 < special.length ? special[i % 11] : (i * 0.618034) % 1));
    const yv = Array.from({ length: n }, (_, i) => ((i * 0.377) % 1 < 0.5 ? (i * 0.377) % 1 : 1));
    const gv = Array.from({ length: n }, (_, i) => Math.cos(i));
    const p = whole(cpu.fromValues(dtype, pv) as CpuBuffer, [...shape]);
    const y = whole(cpu.fromValues(dtype, yv) as CpuBuffer, [...shape]);
    const gWhole = whole(cpu.fromValues(dtype, gv) as CpuBuffer, [...shape]);
    const gScalar: StridedView<CpuBuffer> = { buffer: cpu.fromValues(dtype, [0.75]) as CpuBuffer, shape: [...shape], strides: shape.map(() => 0), offset: 0 };
    const want = cpu.alloc(dtype, n) as CpuBuffer;
    const got = wasm.alloc(dtype, n) as CpuBuffer;
    cpu.binaryCrossEntropy(p, y, want);
    wasm.binaryCrossEntropy(p, y, got);
    // 2 ulps of the result (log and Goldberg's log1p against fdlibm's; float32 rounds the same f64 value)
    const ulp = 2 ** -23;
    for (let i = 0; i < n; i++) {
      const [a, b] = [got.data[i], want.data[i]];
      if (!(Math.abs(a - b) <= 2 * ulp * Math.abs(b))) expect.fail(`bce(p = ${pv[i]}, y = ${yv[i]}) = ${a}, cpu says ${b}`);
    }
    for (const g of [gWhole, gScalar]) {
      const want = cpu.alloc(dtype, n) as CpuBuffer;
      const got = wasm.alloc(dtype, n) as CpuBuffer;
      cpu.binaryCrossEntropyBackward(g, p, y, want);
      wasm.binaryCrossEntropyBackward(g, p, y, got);
      expect(Array.from(got.data)).toEqual(Array.from(want.data));
    }
  });

  it("float32: ln p (y = 1) and ln(1 − p) (y = 0) within 1 ulp of the cpu's over 2^16 values of p", () => {
    const n = 2 ** 16;
    // p = 2^e over e in [−140, 0) (ln p ≥ −97, above the −100 clamp, subnormals included), and 1 − 2^−e
    const pv = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 2 ** (-140 + (140 * i) / n) : 1 - 2 ** (-1 - (23 * i) / n)));
    const p = whole(cpu.fromValues("float32", pv) as CpuBuffer, [n]);
    for (const yValue of [1, 0]) {
      const y = whole(cpu.fromValues("float32", pv.map(() => yValue)) as CpuBuffer, [n]);
      const got = wasm.alloc("float32", n) as CpuBuffer;
      const want = cpu.alloc("float32", n) as CpuBuffer;
      wasm.binaryCrossEntropy(p, y, got);
      cpu.binaryCrossEntropy(p, y, want);
      for (let i = 0; i < n; i++) {
        const d = Math.abs(got.data[i] - want.data[i]) / (2 ** -23 * Math.abs(want.data[i]));
        if (!(d <= 1)) expect.fail(`y = ${yValue}, p = ${p.buffer.data[i]}: ${got.data[i]}, cpu says ${want.data[i]} (${d} ulps)`);
      }
    }
  });

  it("float32: ln p (y = 1) and ln(1 − p) (y = 0) within 1 ulp of the cpu's over p spread across every float32 in (0, 1]", () => {
    // every 4099th bit pattern from the smallest subnormal to 1: all binades, mantissas of every kind
    const bits = new Uint32Array(Math.ceil(0x3f800000 / 4099));
    for (let i = 0; i < bits.length; i++) bits[i] = Math.min(1 + i * 4099, 0x3f800000);
    const n = bits.length;
    const p = whole(cpu.fromValues("float32", Array.from(new Float32Array(bits.buffer))) as CpuBuffer, [n]);
    for (const yValue of [1, 0]) {
      const y = whole(cpu.fromValues("float32", new Array<number>(n).fill(yValue)) as CpuBuffer, [n]);
      const got = wasm.alloc("float32", n) as CpuBuffer;
      const want = cpu.alloc("float32", n) as CpuBuffer;
      wasm.binaryCrossEntropy(p, y, got);
      cpu.binaryCrossEntropy(p, y, want);
      for (let i = 0; i < n; i++) {
        const w = want.data[i];
        // one ulp of the cpu's value, from its binade (w = 0 at p = 1, y = 1: then exactly 0)
        const ulp = w === 0 ? 0 : 2 ** (Math.floor(Math.log2(Math.abs(w))) - 23);
        if (!(Math.abs(got.data[i] - w) <= ulp)) expect.fail(`y = ${yValue}, p = ${p.buffer.data[i]}: ${got.data[i]}, cpu says ${w}`);
      }
    }
  });

  it("the range check in the kernels' pass: false for p or y outside [0, 1] or NaN at any position, true for 0 and 1 themselves", () => {
    for (const n of [1, 2, 7, 8, 33]) {
      const ones = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : i % 3 === 1 ? 1 : 0.5));
      const inRange = whole(cpu.fromValues("float32", ones) as CpuBuffer, [n]);
      // garbage (out of range) in the scratch past the last value: an odd n's padding lane must not count
      wasm.binaryCrossEntropy(whole(cpu.fromValues("float32", new Array(n + 3).fill(7)) as CpuBuffer, [n + 3]), whole(cpu.fromValues("float32", new Array(n + 3).fill(7)) as CpuBuffer, [n + 3]), wasm.alloc("float32", n + 3) as CpuBuffer);
      for (const backend of [wasm, cpu]) expect(backend.binaryCrossEntropy(inRange, inRange, backend.alloc("float32", n) as CpuBuffer)).toBe(true);
      for (const bad of [-1e-7, 1.0000001, NaN, Infinity]) {
        for (const at of [0, n - 1, n >> 1]) {
          const values: number[] = ones.slice();
          values[at] = bad;
          const badView = whole(cpu.fromValues("float32", values) as CpuBuffer, [n]);
          for (const backend of [wasm, cpu]) {
            expect(backend.binaryCrossEntropy(badView, inRange, backend.alloc("float32", n) as CpuBuffer), `p[${at}] = ${bad}, n ${n}`).toBe(false);
            expect(backend.binaryCrossEntropy(inRange, badView, backend.alloc("float32", n) as CpuBuffer), `y[${at}] = ${bad}, n ${n}`).toBe(false);
          }
        }
      }
    }
  });

  it("split across 2 and 3 threads: the loss and gradient equal one thread's bit for bit, and a bad value in any share is caught", () => {
    try {
      for (const n of [5, 33, 1001]) {
        const pv = Array.from({ length: n }, (_, i) => (i * 0.618034) % 1);
        const yv = Array.from({ length: n }, (_, i) => ((i * 0.377) % 1 < 0.5 ? 0 : 1));
        const p = whole(cpu.fromValues("float32", pv) as CpuBuffer, [n]);
        const y = whole(cpu.fromValues("float32", yv) as CpuBuffer, [n]);
        const g = whole(cpu.fromValues("float32", pv.map((_, i) => Math.cos(i))) as CpuBuffer, [n]);
        const gOne: StridedView<CpuBuffer> = { buffer: cpu.fromValues("float32", [0.25]) as CpuBuffer, shape: [n], strides: [0], offset: 0 };
        const run = (perThread: number): number[][] => {
          const outs = [0, 1, 2].map(() => cpu.alloc("float32", n) as CpuBuffer);
          expect(wasmBinaryCrossEntropy(p, y, outs[0], 0, perThread)).toBe(true);
          expect(wasmBinaryCrossEntropyBackward(g, p, y, outs[1], 0, perThread)).toBe(true);
          expect(wasmBinaryCrossEntropyBackward(gOne, p, y, outs[2], 0, perThread)).toBe(true);
          return outs.map((o) => Array.from(o.data));
        };
        setNumThreads(1);
        const one = run(Infinity);
        for (const threads of [2, 3]) {
          setNumThreads(threads);
          expect(run(2)).toEqual(one); // 2 elements per thread: every split
          for (const at of [0, n >> 1, n - 1]) {
            const bad = whole(cpu.fromValues("float32", pv.map((v, i) => (i === at ? 1.5 : v))) as CpuBuffer, [n]);
            expect(wasmBinaryCrossEntropy(bad, y, cpu.alloc("float32", n) as CpuBuffer, 0, 2), `p[${at}] = 1.5, n ${n}, ${threads} threads`).toBe(false);
          }
        }
      }
    } finally {
      setNumThreads(1);
    }
  });

  it("float64 is left to the cpu kernels", () => {
    const v = whole(cpu.fromValues("float64", [0.25, 0.5, 0.75]) as CpuBuffer, [3]);
    const out = cpu.alloc("float64", 3) as CpuBuffer;
    expect(wasmBinaryCrossEntropy(v, v, out, 0)).toBeUndefined();
    expect(wasmBinaryCrossEntropyBackward(v, v, v, out, 0)).toBe(false);
  });
});
