/**
 * runShares' claim protocol (backend/wasm/threads.ts): every share runs exactly once, whichever
 * thread claims it (the calling one or a worker), with as many shares as threads or several per
 * thread, and a worker that wakes after its job has finished does nothing to the next one. The
 * shares are in-place Adam steps (p, m and v updated where they lie), so a share run twice or
 * never leaves a region different from the same steps run one by one on this thread. Eight
 * threads on a machine with fewer cores leave many workers to wake late. A job whose description
 * does not fit the control block runs in rounds, and a share larger than the whole block on the
 * calling thread: every call still runs exactly once.
 */

import { afterAll, describe, expect, it } from "vitest";
import { SCRATCH_BASE, getSharedRuntime } from "../../packages/autograd/src/backend/wasm/runtime.js";
import { getNumThreads, runShares, setNumThreads, type KernelCalls } from "../../packages/autograd/src/backend/wasm/threads.js";

const rt = getSharedRuntime();

describe.runIf(rt !== undefined && getNumThreads() > 1)("runShares on worker threads", () => {
  const before = getNumThreads();
  afterAll(() => setNumThreads(before));

  /** Adam state for `count` regions of n floats at `base` and a reference copy after them; returns both bases and the stride. */
  function adamRegions(count: number, n: number): { threaded: number; reference: number; stride: number } {
    const shared = rt!;
    const bytes = n * 4;
    // per region: p, g, m, v and 8 scalars; the threaded copy first, the reference copy after it
    const stride = 4 * bytes + 32;
    const threaded = SCRATCH_BASE;
    const reference = threaded + count * stride;
    expect(shared.reserve(reference + count * stride)).toBe(true);
    const heap = shared.f32();
    for (const base of [threaded, reference]) {
      for (let t = 0; t < count; t++) {
        const at = (base + t * stride) / 4;
        for (let i = 0; i < n; i++) {
          heap[at + i] = Math.sin(i + t); // p
          heap[at + n + i] = Math.cos(3 * i + t); // g
          heap[at + 2 * n + i] = 0; // m
          heap[at + 3 * n + i] = 0; // v
        }
        // decay, weight decay, β1 weight, β2, 1 − β2, √(bias correction 2), eps, −step size
        heap.set([1, 0, 0.1, 0.999, 0.001, 1, 1e-8, -1e-3], at + 4 * n);
      }
    }
    return { threaded, reference, stride };
  }

  /** The adamF32 arguments for region t at base. */
  const adamArgs = (base: number, t: number, n: number, stride: number): number[] => {
    const at = base + t * stride;
    const bytes = n * 4;
    return [at, at + bytes, at + 2 * bytes, at + 3 * bytes, at + 4 * bytes, n, 0];
  };

  /** The first float at which the threaded regions differ from the reference ones (−1: none). */
  function firstDifference(count: number, threaded: number, reference: number, stride: number): number {
    const got = rt!.f32();
    for (let i = 0; i < (count * stride) / 4; i++) if (!Object.is(got[threaded / 4 + i], got[reference / 4 + i])) return i;
    return -1;
  }

  it.each([
    [2, 2],
    [2, 8],
    [4, 4],
    [3, 13],
    [8, 8],
  ])("%i threads, %i shares: every share runs exactly once, 300 calls in a row", (threads, count) => {
    const shared = rt!;
    setNumThreads(threads);
    const n = 8192; // floats per array: shares long enough that the workers claim some
    const { threaded, reference, stride } = adamRegions(count, n);
    for (let round = 0; round < 300; round++) {
      const shares: KernelCalls[] = [];
      for (let t = 0; t < count; t++) shares.push({ kernel: "adamF32", calls: [adamArgs(threaded, t, n, stride)] });
      runShares(shared, shares, threads);
      for (let t = 0; t < count; t++) shared.kernels.adamF32(...(adamArgs(reference, t, n, stride) as [number, number, number, number, number, number, number]));
    }
    expect(firstDifference(count, threaded, reference, stride)).toBe(-1);
  });

  it("a job too large for the control block runs in rounds, and a share larger than the block here: every call once", () => {
    const shared = rt!;
    setNumThreads(2);
    // 8 float64 per call (its argument count and 7 arguments): 24 shares of 1,500 calls are
    // 288,000 slots, about 4 rounds of the block's 65,536; one share of 9,000 calls (72,000) fits none.
    const n = 8;
    const sizes = [...Array(12).fill(1500), 9000, ...Array(12).fill(1500)];
    const regions = sizes.reduce((a, b) => a + b, 0);
    const { threaded, reference, stride } = adamRegions(regions, n);
    for (let round = 0; round < 3; round++) {
      const shares: KernelCalls[] = [];
      let t = 0;
      for (const size of sizes) {
        const calls: number[][] = [];
        for (let c = 0; c < size; c++, t++) calls.push(adamArgs(threaded, t, n, stride));
        shares.push({ kernel: "adamF32", calls });
      }
      runShares(shared, shares, 2);
      for (let r = 0; r < regions; r++) shared.kernels.adamF32(...(adamArgs(reference, r, n, stride) as [number, number, number, number, number, number, number]));
    }
    expect(firstDifference(regions, threaded, reference, stride)).toBe(-1);
  });
});
