/**
 * Gradient memory reuse on webgpu (engine/gradient-memory.ts, the webgpu backend's recycler):
 * backward disposes each gradient it consumed into the size-bucketed pool at once, without the
 * garbage collector. As on the cpu (test/autograd/gradient-memory.test.ts), reusing memory that
 * someone can still see would be corruption, so these tests keep every gradient user code could
 * have seen, then take every pooled buffer of that size with NaN-filled tensors, and check that
 * nothing they kept changed (on webgpu a wrongly reused gradient fails louder: the recycler
 * disposes its buffer, so reading it throws "memory was disposed"). References: hand formulas and
 * `grad()`, which reuses nothing.
 */

import { expect, it } from "vitest";
import fc from "fast-check";
import { Generator, Tensor, full, grad, gruCell, linspace, lstmCell, randn, webgpuMemory } from "@tensorgrad/autograd";
import { describeGpu } from "./gpu.js";
import { backwardThroughHooks, keepingDouble, randomGraphLoss, type GraphStep } from "../helpers/gradient-memory-graphs.js";

/** 64 × 100 float32 is 25,600 bytes: the pool's 32 KiB bucket. */
const R = 64;
const C = 100;
const BUCKET = 32768;
/** A one-element tensor's bucket (the backward seed). */
const SEED = 16;

/** An [R, C] leaf on webgpu with values spread over [lo, hi]. */
const leaf = (lo: number, hi: number): Tensor => linspace(lo, hi, R * C, { device: "webgpu" }).reshape([R, C]).requiresGrad_();

/**
 * Takes every pooled buffer of the buckets of `shapes` and fills it with NaN (the tensors are
 * returned, so they hold the buffers). Call it synchronously after backward: no finalizer can run
 * in between, so the pool's buffers of those sizes include everything backward gave back.
 */
function clobberPool(shapes: readonly (readonly number[])[] = [[R, C]]): Tensor[] {
  const held: Tensor[] = [];
  for (const shape of shapes) {
    for (;;) {
      const before = webgpuMemory()!.pooledBytes;
      held.push(full(shape, Number.NaN, { device: "webgpu" }));
      if (webgpuMemory()!.pooledBytes === before) break; // a fresh buffer: none of this bucket left in the pool
    }
  }
  return held;
}

const values = async (t: Tensor): Promise<number[]> => Array.from(await t.toTypedArrayAsync());

describeGpu("gradient memory reuse on webgpu", () => {
  it("backward's net new GPU memory is the leaf's gradient and the seed: the 3 consumed gradients went back to the pool", async () => {
    const x = leaf(-0.5, 0.5);
    for (let step = 0; step < 2; step++) {
      x.grad = null;
      // L = Σ exp(3·exp(2x)). Backward computes 4 gradients of [R, C]: those of exp(2x)·3, exp(2x),
      // 2x, and x; the first 3 are consumed by the next vjp, the last becomes x.grad.
      const loss = x.mul(2).exp().mul(3).exp().sum();
      const before = webgpuMemory()!;
      loss.backward();
      const after = webgpuMemory()!;
      // Synchronous: no finalizer ran in between, so only the recycler gave memory back.
      expect(after.liveBytes - before.liveBytes).toBe(BUCKET + SEED);
      expect(after.liveBuffers - before.liveBuffers).toBe(2);
    }
    // dL/dx = exp(3·e^{2x})·3·e^{2x}·2
    const xs = await values(x);
    const hand = xs.map((v) => 6 * Math.exp(2 * v) * Math.exp(3 * Math.exp(2 * v)));
    expect(await values(x.grad!)).toBeAllclose(hand, { rtol: 1e-5, atol: 0 });
  });

  it("the next allocation of that size takes a recycled buffer instead of new GPU memory", () => {
    const x = leaf(-1, 1);
    const step = (): void => {
      x.grad = null;
      x.mul(2).exp().mul(3).exp().sum().backward();
    };
    step(); // caches the scalars 2 and 3 on the device
    const held = clobberPool(); // the pool has no buffer of the bucket now...
    step(); // ...until backward gives back the gradients it consumed
    const before = webgpuMemory()!;
    const y = x.mul(2);
    const after = webgpuMemory()!;
    expect(before.pooledBytes - after.pooledBytes).toBe(BUCKET);
    expect(after.liveBytes - before.liveBytes).toBe(BUCKET);
    expect([y.shape, held.length > 0]).toEqual([[R, C], true]);
  });

  it("leaf gradients equal grad() (which reuses nothing) and the hand formula, after the pool is clobbered", async () => {
    const x = leaf(-1, 1);
    const w = leaf(0.5, -0.7);
    // L = Σ exp(2·relu(x·w)) + Σ (x·w)·x: dL/dx = 2·exp(2·relu(xw))·[xw > 0]·w + 2·x·w
    const loss = (): Tensor => {
      const xw = x.mul(w);
      return xw.relu().mul(2).exp().sum().add(xw.mul(x).sum());
    };
    const [gx, gw] = grad([loss()], [x, w]) as Tensor[];
    loss().backward();
    const clobbered = clobberPool();
    expect(clobbered.length).toBeGreaterThan(1); // backward gave buffers back, and NaN now fills them
    expect(await values(x.grad!)).toEqual(await values(gx));
    expect(await values(w.grad!)).toEqual(await values(gw));
    const [xv, wv] = [await values(x), await values(w)];
    const hand = xv.map((xi, i) => {
      const xw = Math.fround(xi * wv[i]);
      return (xw > 0 ? 2 * Math.exp(2 * xw) * wv[i] : 0) + 2 * xi * wv[i];
    });
    expect(await values(x.grad!)).toBeAllclose(hand, { rtol: 1e-5, atol: 1e-6 });
  });

  it("retained gradients, and gradients hooks received, kept or returned, are never reused", async () => {
    const x = leaf(-0.5, 0.5);
    const { h, seen } = backwardThroughHooks(x);
    clobberPool();
    const xv = await values(x);
    // seen: ∂L/∂h3 = 3, ∂L/∂h2 = 3x, ∂L/∂x (= x.grad); d(3·Σ x·exp(3x))/dx = 3·exp(3x)·(1 + 3x); h.grad = 3x·exp(3x)
    expect(seen).toHaveLength(3);
    expect(await values(seen[0])).toEqual(xv.map(() => 3));
    expect(await values(seen[1])).toBeAllclose(xv.map((v) => 3 * v), { rtol: 1e-6, atol: 0 });
    expect(await values(seen[2])).toEqual(await values(x.grad!));
    expect(await values(x.grad!)).toBeAllclose(xv.map((v) => 3 * Math.exp(3 * v) * (1 + 3 * v)), { rtol: 1e-5, atol: 1e-6 });
    expect(await values(h.grad!)).toBeAllclose(xv.map((v) => 3 * v * Math.exp(3 * v)), { rtol: 1e-5, atol: 1e-6 });
  });

  it("a custom function's backward may keep the gradients it gets and return memory it shares", async () => {
    const { double, stash, returned } = keepingDouble();
    const x = leaf(-1, 1);
    double(x.mul(1).exp()).mul(3).sum().backward();
    clobberPool();
    // it received d(3·Σ y)/dy = 3 and returned 6; dL/dx = 6·exp(x)
    const xv = await values(x);
    expect(await values(stash[0])).toEqual(xv.map(() => 3));
    expect(await values(returned()!)).toEqual(xv.map(() => 6));
    expect(await values(x.grad!)).toBeAllclose(xv.map((v) => 6 * Math.exp(v)), { rtol: 1e-5, atol: 0 });
  });

  it.each(["gruCell", "lstmCell"] as const)(
    "%s's fused backward returns its gradients as views of one buffer: merging the first into a waiting gradient frees none of them",
    async (op) => {
      const gen = new Generator(9);
      const rnd = (...shape: number[]): Tensor => randn(shape, { device: "cpu", generator: gen }).to("webgpu").requiresGrad_();
      const [B, H] = [R, C / 4];
      const inputs = op === "gruCell" ? [rnd(B, 3 * H), rnd(B, 3 * H), rnd(B, H)] : [rnd(B, 4 * H), rnd(B, H)];
      // input 0 also feeds a later op, so its gradient is waiting when the cell's vjp sends its own
      const loss = (): Tensor => {
        const out = op === "gruCell" ? gruCell(inputs[0], inputs[1], inputs[2]) : lstmCell(inputs[0], inputs[1]);
        return out.tanh().sum().add(inputs[0].mul(inputs[0]).sum());
      };
      const expected = grad([loss()], inputs) as Tensor[];
      loss().backward();
      clobberPool([[B, (op === "gruCell" ? 7 : 5) * H]]); // the fused backward's one buffer
      for (let i = 0; i < inputs.length; i++) expect(await values(inputs[i].grad!)).toEqual(await values(expected[i]));
    },
  );

  it("random graphs with fan-in, views and broadcasts: backward equals grad(), and reuse corrupts nothing", async () => {
    type Step = GraphStep & { op: "mul" | "add" | "tanh" | "t" | "matmul" | "rowsum" | "twice" };
    const step = fc.record({ op: fc.constantFrom<Step["op"]>("mul", "add", "tanh", "t", "matmul", "rowsum", "twice"), operand: fc.nat(5) });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), fc.nat(1000), async (steps, seed) => {
        const gen = new Generator(seed);
        const leaves = [[C, C], [C, C], [C], [C, 1]].map((s) => randn(s, { device: "cpu", generator: gen }).mul(0.1).to("webgpu").requiresGrad_());
        const build = (): Tensor => randomGraphLoss(leaves, steps);
        const expected = grad([build()], leaves) as Tensor[];
        build().backward();
        const held = clobberPool([[C, C], [C]]);
        for (let i = 0; i < leaves.length; i++) expect(await values(leaves[i].grad!)).toEqual(await values(expected[i]));
        expect(held.length).toBeGreaterThan(0);
      }),
      { numRuns: 15 },
    );
  });
});
