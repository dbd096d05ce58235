/**
 * Small and medium tensors share slabs of memory (one ArrayBuffer per tensor costs more than
 * its bytes). Sharing must never alias: every tensor, whatever its dtype and size, keeps its own
 * values while its neighbours are written, float64 data stays 8-byte aligned, and arrays handed
 * to users own their ArrayBuffer.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tensor, type DType, type Tensor } from "@tensorgrad/autograd";

const dtypes: DType[] = ["float32", "float64", "int32", "bool"];

/** What a tensor of `dtype` holds after storing `k`, for value checks that don't depend on rounding. */
const stored = (dtype: DType, k: number): number => (dtype === "bool" ? (k % 2 === 0 ? 0 : 1) : k);

describe("tiny buffers", () => {
  it("many small tensors of mixed dtypes and sizes never overwrite each other", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({
          dtype: fc.constantFrom(...dtypes),
          // Sizes on both sides of each slab class's limit (64 B, 1 KiB, 16 KiB) and beyond.
          size: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 100, max: 300 }), fc.integer({ min: 1000, max: 4200 })),
        }), { minLength: 1, maxLength: 200 }),
        (specs) => {
          // Interleave creation with ops (whose results are tiny too), then check everything at the end.
          const made: { t: Tensor; expected: number[] }[] = [];
          specs.forEach(({ dtype, size }, i) => {
            const values = Array.from({ length: size }, (_, j) => stored(dtype, (i * 31 + j) % 97));
            const t = tensor(values, { dtype });
            made.push({ t, expected: values });
            if (dtype === "float32" || dtype === "float64") {
              made.push({ t: t.add(1), expected: values.map((v) => v + 1) });
            }
          });
          for (const { t, expected } of made) expect(t.toFlatArray()).toEqual(expected);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("toTypedArray returns an array with an ArrayBuffer of its own", () => {
    for (const size of [1, 5, 300, 3000, 10_000]) {
      const t = tensor(Array.from({ length: size }, (_, i) => i)).add(0);
      const values = t.toTypedArray();
      expect(values.byteOffset).toBe(0);
      expect(values.buffer.byteLength).toBe(values.byteLength);
    }
  });

  it("a float64 scalar after odd-sized float32/bool ones is still readable and exact (alignment)", () => {
    const keep: Tensor[] = [];
    for (let i = 0; i < 300; i++) {
      keep.push(tensor([1, 0, 1], { dtype: "bool" }), tensor([i + 0.5], { dtype: "float32" }));
      keep.push(tensor([Math.PI * i], { dtype: "float64" }).mul(1));
    }
    for (let i = 0; i < 300; i++) {
      expect(keep[3 * i].toFlatArray()).toEqual([1, 0, 1]);
      expect(keep[3 * i + 1].item()).toBe(i + 0.5);
      expect(keep[3 * i + 2].item()).toBe(Math.PI * i);
    }
  });
});
