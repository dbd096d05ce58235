/**
 * The command stream's arena (gpu-context.ts): kernel info words and small uploads of a batch live
 * in one device buffer written right before the batch is submitted. These check the orderings
 * that design relies on, against values computed on the host: a batch whose uploads overflow
 * the arena (submitted mid-batch), an upload into pooled memory that an earlier dispatch of the
 * same batch still reads, and dispatches of different kernels (different info lengths) sharing
 * one compute pass.
 */

import { expect, it } from "vitest";
import { noGrad, tensor, type Tensor } from "@tensorgrad/autograd";
import { describeGpu } from "./gpu.js";

const values = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => ((i * 37 + seed * 101) % 97) - 48);

describeGpu("webgpu command stream", () => {
  it("uploads past the arena's size in one batch arrive, each where its dispatches read it", async () => {
    // 40 uploads of 4 KB (the largest that go through the arena) overflow its 64 KB, with a
    // dispatch reading each in between: the batch is submitted part way and goes on.
    const sums: Tensor[] = [];
    const expected: number[] = [];
    noGrad(() => {
      for (let k = 0; k < 40; k++) {
        const v = values(1024, k);
        sums.push(tensor(v, { device: "webgpu" }).mul(2).sum());
        expected.push(2 * v.reduce((a, b) => a + b, 0));
      }
    });
    const got = await Promise.all(sums.map((s) => s.itemAsync()));
    expect(got).toEqual(expected);
  });

  it("an upload into reused pool memory does not reach a dispatch encoded before it", async () => {
    const first = values(256, 1);
    const second = values(256, 2);
    const results = noGrad(() => {
      const a = tensor(first, { device: "webgpu" });
      const doubled = a.mul(2); // encoded, not yet submitted: reads a's memory
      a.dispose(); // a's memory goes back to the pool...
      const b = tensor(second, { device: "webgpu" }); // ...and is uploaded into again
      return [doubled, b.add(1)];
    });
    expect(await results[0].toArrayAsync()).toEqual(first.map((x) => 2 * x));
    expect(await results[1].toArrayAsync()).toEqual(second.map((x) => x + 1));
  });

  it("long chains of mixed kernels (many batches, info words of different lengths) give the host's values", async () => {
    const v = values(300, 3).map((x) => x / 64);
    let host = v.slice();
    const y = noGrad(() => {
      let t = tensor(v, { device: "webgpu" }).reshape(3, 100);
      for (let i = 0; i < 150; i++) {
        // elementwise over strided views (transpose), a broadcast add and a reduction, in turn
        if (i % 3 === 0) t = t.mul(0.5).add(1);
        else if (i % 3 === 1) t = t.t().contiguous().t();
        else t = t.sub(t.mean(1, true));
      }
      return t;
    });
    for (let i = 0; i < 150; i++) {
      if (i % 3 === 0) host = host.map((x) => x * 0.5 + 1);
      else if (i % 3 === 2) {
        const rows = [0, 1, 2].map((r) => host.slice(r * 100, r * 100 + 100));
        host = rows.flatMap((row) => {
          const mean = row.reduce((a, b) => a + b, 0) / 100;
          return row.map((x) => x - mean);
        });
      }
    }
    const got = (await y.toArrayAsync()) as number[][];
    const flat = got.flat();
    for (let i = 0; i < host.length; i++) expect(flat[i]).toBeCloseTo(host[i], 4);
  });
});
