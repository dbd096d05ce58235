/**
 * Reverse mode hands the memory of consumed gradients back for reuse (engine/gradient-memory.ts,
 * backend/cpu/slabs.ts). Reusing memory that someone can still see would be silent corruption, so
 * these tests keep every gradient user code could have seen — `.grad`s, retained gradients,
 * what hooks and custom functions received or returned — then overwrite all recycled memory
 * with NaN-filled tensors of the same sizes, and check nothing they kept changed. Reference
 * values come from `grad()`, which reuses nothing, and from hand formulas.
 */

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Tensor, full, getBackend, grad, gruCell, lstmCell, randn, tensor, manualSeed } from "@tensorgrad/autograd";
import type { BufferRecycler } from "../../packages/autograd/src/backend/backend.js";
import type { CpuBuffer } from "../../packages/autograd/src/backend/cpu/cpu-backend.js";
import { POOL_LIMIT_BYTES, recycledPoolBytes } from "../../packages/autograd/src/backend/cpu/slabs.js";
import { backwardThroughHooks, keepingDouble, randomGraphLoss, type GraphStep } from "../helpers/gradient-memory-graphs.js";

/** Rows × cols floats: 64 × 100 float32 is 25.6 KB, above the 16 KiB slab arrays, so it is recycled. */
const R = 64;
const C = 100;
const big = (seed: number): Tensor => {
  manualSeed(seed);
  return randn([R, C]).requiresGrad_();
};

/** Allocates and fills (with NaN) arrays of every size this file uses, taking whatever the pool holds. */
function clobberPool(): void {
  for (let i = 0; i < 64 && recycledPoolBytes() > 0; i++) {
    for (const shape of [[R, C], [C, C], [R, R], [C, R]]) full(shape, Number.NaN).add(1);
  }
}

const snapshot = (t: Tensor): number[] => Array.from(t.toTypedArray());

/**
 * Runs fn with the backend's recycler filling every buffer it takes with NaN at once, so that a
 * gradient read after its memory was handed back shows it even when no allocation reused the
 * memory in between.
 */
function withPoisonedRecycling(fn: () => void): void {
  const recycler = getBackend().recycler as { recycle: BufferRecycler<CpuBuffer>["recycle"] } | undefined;
  if (recycler === undefined) throw new Error("this backend has no recycler");
  const recycle = recycler.recycle;
  recycler.recycle = (buffer) => {
    buffer.data.fill(Number.NaN);
    recycle(buffer);
  };
  try {
    fn();
  } finally {
    recycler.recycle = recycle;
  }
}

describe("gradient memory reuse", () => {
  it("consumed gradients go to the pool, and a later step's allocations take them", () => {
    clobberPool();
    const x = big(1);
    const w = big(2);
    const before = recycledPoolBytes();
    // x·w is [64, 100]·... : a chain whose intermediate gradients are large
    x.mul(w).relu().mul(2).exp().sum().backward();
    expect(recycledPoolBytes()).toBeGreaterThan(before);
    clobberPool();
    expect(recycledPoolBytes()).toBe(0);
    expect(POOL_LIMIT_BYTES).toBeGreaterThan(0);
  });

  it("a gradient added into an existing .grad (in place) goes to the pool", () => {
    clobberPool();
    const x = big(8);
    x.mul(2).exp().sum().backward();
    const first = x.grad!;
    clobberPool();
    x.mul(2).exp().sum().backward(); // the new gradient 2·exp(2x) is summed into .grad, then free
    expect(x.grad).toBe(first);
    expect(recycledPoolBytes()).toBeGreaterThanOrEqual(R * C * 4);
    clobberPool();
    expect(x.grad).toBeAllclose(x.detach().mul(2).exp().mul(4), { rtol: 1e-6, atol: 0 });
  });

  it("leaf gradients match grad() (no reuse) and the hand formula, and survive the pool being reused", () => {
    const x = big(3);
    const w = big(4);
    // L = Σ exp(2·relu(x·w)) + Σ (x·w)·x: dL/dx = 2·exp(2·relu(xw))·[xw > 0]·w + 2·x·w
    const loss = (): Tensor => {
      const xw = x.mul(w);
      return xw.relu().mul(2).exp().sum().add(xw.mul(x).sum());
    };
    const [gx, gw] = grad([loss()], [x, w]) as Tensor[];
    loss().backward();
    const kept = [snapshot(x.grad!), snapshot(w.grad!)];
    clobberPool();
    expect(snapshot(x.grad!)).toEqual(kept[0]);
    expect(snapshot(w.grad!)).toEqual(kept[1]);
    expect(x.grad).toBeAllclose(gx, { rtol: 0, atol: 0 });
    expect(w.grad).toBeAllclose(gw, { rtol: 0, atol: 0 });
    const xv = x.toTypedArray();
    const wv = w.toTypedArray();
    const hand = xv.map((xi, i) => {
      const xw = xi * wv[i];
      return (xw > 0 ? 2 * Math.exp(2 * xw) * wv[i] : 0) + 2 * xi * wv[i];
    });
    expect(x.grad).toBeAllclose(tensor(Array.from(hand)).reshape([R, C]), { rtol: 1e-5, atol: 1e-5 });
  });

  it("a vjp's gradients that share one buffer (lstmCell's two views) all reach their inputs, when the first is summed into a waiting one", () => {
    // lstmCell's backward returns gates' and c's gradients as two views of one [5·B·H] buffer
    // (5·64·20 float32 = R·C: clobberPool's size). gates is also used by square(), so its view is
    // summed into the gradient already waiting there — which consumes it — before c's view is
    // sent: the buffer must stay held until every view is. Both orders of the two terms.
    const H = 20;
    for (const squareFirst of [false, true]) {
      manualSeed(11);
      const gates = randn([R, 4 * H]).requiresGrad_();
      const c = randn([R, H]).requiresGrad_();
      const loss = (): Tensor => {
        const square = (): Tensor => gates.square().sum();
        const cell = (): Tensor => lstmCell(gates, c).mul(c.unsqueeze(0)).sum();
        return squareFirst ? square().add(cell()) : cell().add(square());
      };
      const [gGates, gC] = grad([loss()], [gates, c]) as Tensor[];
      withPoisonedRecycling(() => loss().backward());
      clobberPool();
      expect(gates.grad).toBeAllclose(gGates, { rtol: 0, atol: 0 });
      expect(c.grad).toBeAllclose(gC, { rtol: 0, atol: 0 });
    }
  });

  it("retained gradients, and gradients hooks received, kept or returned, are never reused", () => {
    const x = big(5);
    const { h, seen } = backwardThroughHooks(x);
    clobberPool();
    // seen: ∂L/∂h3 = 3 (h3's hook), ∂L/∂h2 = 3x (h2's hook), ∂L/∂x (x's hook, = x.grad)
    expect(seen).toHaveLength(3);
    expect(seen[0]).toBeAllclose(full([R, C], 3), { rtol: 0, atol: 0 });
    expect(seen[1]).toBeAllclose(x.detach().mul(3), { rtol: 1e-6, atol: 0 });
    expect(seen[2]).toBeAllclose(x.grad!, { rtol: 0, atol: 0 });
    // d(3·Σ x·exp(3x))/dx = 3·exp(3x)·(1 + 3x); h.grad = 3x·exp(3x)
    const xv = Array.from(x.toTypedArray());
    expect(x.grad).toBeAllclose(tensor(xv.map((v) => 3 * Math.exp(3 * v) * (1 + 3 * v))).reshape([R, C]), { rtol: 1e-5, atol: 1e-5 });
    expect(h.grad).toBeAllclose(tensor(xv.map((v) => 3 * v * Math.exp(3 * v))).reshape([R, C]), { rtol: 1e-5, atol: 1e-5 });
  });

  it("a tensor a hook returns (and keeps) is never reused, even when a vjp passes it on unchanged", () => {
    const x = big(7);
    const keptByHooks: Tensor[] = [];
    const b = x.mul(5).add(1); // add's vjp passes its gradient on as it is
    b.registerHook((g) => {
      const own = g.mul(1);
      keptByHooks.push(own);
      return own;
    });
    x.registerHook((g) => {
      keptByHooks.push(g); // a leaf's hook keeps what it gets and returns something else
      return g.mul(2);
    });
    b.mul(3).sum().backward();
    clobberPool();
    expect(keptByHooks).toHaveLength(2);
    expect(keptByHooks[0]).toBeAllclose(full([R, C], 3), { rtol: 0, atol: 0 });
    expect(keptByHooks[1]).toBeAllclose(full([R, C], 15), { rtol: 0, atol: 0 });
    expect(x.grad).toBeAllclose(full([R, C], 30), { rtol: 0, atol: 0 });
  });

  it("a custom function's backward may keep the gradients it gets and return memory it shares", () => {
    const { double, stash, returned } = keepingDouble();
    const x = big(6);
    double(x.mul(1).exp()).mul(3).sum().backward();
    clobberPool();
    // what it received is d(3·Σ y)/dy = 3, what it returned 6
    expect(stash).toHaveLength(1);
    expect(stash[0]).toBeAllclose(full([R, C], 3), { rtol: 0, atol: 0 });
    expect(returned()).toBeAllclose(full([R, C], 6), { rtol: 0, atol: 0 });
    expect(x.grad).toBeAllclose(x.detach().exp().mul(6), { rtol: 1e-6, atol: 0 });
  });

  it.each(["gruCell", "lstmCell"] as const)(
    "%s's fused backward returns its gradients as views of one buffer: merging the first into a waiting gradient frees none of them",
    (op) => {
      manualSeed(9);
      const H = C;
      const k = op === "gruCell" ? 7 : 5; // the fused backward's buffer is [R, k·H], as the projection
      const p = randn([R, k * H]).requiresGrad_();
      // The cell's inputs are slices of one projection, and the first one is used again, so its
      // gradient is waiting when the cell's vjp sends its own. Were the buffer freed at that
      // merge, the next slice's vjp (a zero-padded [R, k·H]) would take it while the other views
      // still had to be read.
      const loss = (): Tensor => {
        const proj = p.mul(1);
        const first = proj.slice(1, 0, (op === "gruCell" ? 3 : 4) * H); // gi, or the gates
        const out = op === "gruCell"
          ? gruCell(first, proj.slice(1, 3 * H, 6 * H), proj.slice(1, 6 * H, 7 * H))
          : lstmCell(first, proj.slice(1, 4 * H, 5 * H));
        return out.tanh().sum().add(first.square().sum());
      };
      const [expected] = grad([loss()], [p]) as Tensor[];
      loss().backward();
      expect(p.grad).toBeAllclose(expected, { rtol: 0, atol: 0 });
    },
  );

  it("random graphs with fan-in, views and broadcasts: backward equals grad(), and reuse corrupts nothing", () => {
    type Step = GraphStep;
    const step = fc.record({
      op: fc.constantFrom<Step["op"]>("mul", "add", "exp", "tanh", "t", "matmul", "rowsum", "twice"),
      operand: fc.nat(5),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 10 }), fc.nat(1000), (steps, seed) => {
        manualSeed(seed);
        const leaves = [randn([C, C]), randn([C, C]), randn([C]), randn([C, 1])].map((t) => t.mul(0.1).requiresGrad_());
        const build = (): Tensor => randomGraphLoss(leaves, steps);
        const expected = grad([build()], leaves) as Tensor[];
        for (const l of leaves) l.grad = null;
        build().backward();
        const kept = leaves.map((l) => snapshot(l.grad!));
        clobberPool();
        leaves.forEach((l, i) => {
          expect(snapshot(l.grad!)).toEqual(kept[i]);
          expect(l.grad).toBeAllclose(expected[i], { rtol: 0, atol: 0 });
        });
      }),
      { numRuns: 40 },
    );
  });
});
