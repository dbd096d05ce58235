/**
 * runShares' claim protocol (backend/wasm/threads.ts): every share runs exactly once, whichever
 * thread claims it (the calling one or a worker), with as many shares as threads or several per
 * thread, and a job message that reaches a worker after its job has finished does nothing. The
 * shares are in-place Adam steps (p, m and v updated where they lie), so a share run twice or
 * never leaves a region different from the same steps run one by one on this thread. Eight
 * threads on a machine with fewer cores leave many job messages to arrive late.
 */

import { afterAll, describe, expect, it } from "vitest";
import { SCRATCH_BASE, getSharedRuntime } from "../../packages/autograd/src/backend/wasm/runtime.js";
import { getNumThreads, runShares, setNumThreads, type KernelCalls } from "../../packages/autograd/src/backend/wasm/threads.js";

const rt = getSharedRuntime();

describe.runIf(rt !== undefined && getNumThreads() > 1)("runShares on worker threads", () => {
  const before = getNumThreads();
  afterAll(() => setNumThreads(before));

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
    const bytes = n * 4;
    // per share: p, g, m, v and 8 scalars; the threaded copy first, the reference copy after it
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
    const args = (base: number, t: number): number[] => {
      const at = base + t * stride;
      return [at, at + bytes, at + 2 * bytes, at + 3 * bytes, at + 4 * bytes, n, 0];
    };
    for (let round = 0; round < 300; round++) {
      const shares: KernelCalls[] = [];
      for (let t = 0; t < count; t++) shares.push({ kernel: "adamF32", calls: [args(threaded, t)] });
      runShares(shared, shares, threads);
      for (let t = 0; t < count; t++) shared.kernels.adamF32(...(args(reference, t) as [number, number, number, number, number, number, number]));
    }
    const got = shared.f32();
    let wrong = -1;
    for (let i = 0; i < (count * stride) / 4 && wrong < 0; i++) if (!Object.is(got[threaded / 4 + i], got[reference / 4 + i])) wrong = i;
    expect(wrong).toBe(-1);
  });
});
