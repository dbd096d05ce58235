/**
 * memoryScope on the default backend, where disposing is a no-op: which memory a scope hands to
 * Backend.dispose (a spy records it), what it returns, and the errors it raises.
 */

import { afterEach, describe, expect, it } from "vitest";
import { Tensor, getBackend, keep, memoryScope, randn, tensor, type BackendBuffer } from "@tensorgrad/autograd";
import { BatchNorm1d, Linear, Sequential, optim } from "@tensorgrad/nn";

describe("memoryScope", () => {
  const backend = getBackend();
  const original = backend.dispose.bind(backend);
  afterEach(() => {
    backend.dispose = original;
  });
  /** Runs fn in a scope and returns its result with the buffers the scope disposed. */
  function disposedBy<T>(fn: () => T): { result: T; disposed: BackendBuffer[] } {
    const disposed: BackendBuffer[] = [];
    backend.dispose = (b: BackendBuffer) => {
      disposed.push(b);
      original(b);
    };
    const result = memoryScope(fn);
    backend.dispose = original;
    return { result, disposed };
  }

  it("returns what the function returns; disposes what it made and did not return, keep or store as .grad (large buffers: the recycler's)", () => {
    const x = randn([128, 128]).requiresGrad_(); // made outside: never disposed
    let a: Tensor | null = null;
    let kept: Tensor | null = null;
    const { result, disposed } = disposedBy(() => {
      a = x.mul(2).detach(); // dropped: disposed
      kept = keep(x.add(1).detach());
      x.mul(x).sum().backward(); // x.grad is kept
      return [x.exp().t()]; // a view of a made tensor: its memory survives
    });
    expect(result[0].shape).toEqual([128, 128]);
    expect(disposed).toContain(a!.buffer);
    for (const alive of [x.buffer, kept!.buffer, x.grad!.buffer, result[0].buffer]) expect(disposed).not.toContain(alive);
  });

  it("a .grad made in one scope and cleared in the next is disposed by the next; one made outside scopes never", () => {
    const x = randn([128, 128]).requiresGrad_();
    disposedBy(() => x.sum().backward());
    const grad = x.grad!;
    const { disposed } = disposedBy(() => {
      x.grad = null;
    });
    expect(disposed).toContain(grad.buffer);
    const y = randn([128, 128]).requiresGrad_();
    y.sum().backward(); // outside any scope
    const yGrad = y.grad!;
    expect(disposedBy(() => (y.grad = null)).disposed).not.toContain(yGrad.buffer);
  });

  it("refuses a Promise (an async function) without disposing anything, and a non-function", async () => {
    let made: Tensor | null = null;
    const { disposed } = (() => {
      const list: BackendBuffer[] = [];
      backend.dispose = (b: BackendBuffer) => list.push(b) as unknown as void;
      try {
        expect(() =>
          memoryScope(async () => {
            made = randn([128, 128]);
            return made;
          }),
        ).toThrow("memoryScope: the function returned a Promise");
      } finally {
        backend.dispose = original;
      }
      return { disposed: list };
    })();
    expect(disposed).toEqual([]);
    expect(made).not.toBeNull();
    // @ts-expect-error: not a function
    expect(() => memoryScope(3)).toThrow("memoryScope: expected a function, got number");
  });

  it("nn state made inside survives: parameters, module buffers, SGD momentum and AMSGrad's maximum (large enough for the recycler)", () => {
    const { result, disposed } = disposedBy(() => {
      const model = new Sequential(new Linear(128, 64), new BatchNorm1d(5000));
      const sgd = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
      const adam = new optim.Adam(model.parameters(), { lr: 0.1, amsgrad: true });
      const x = randn([8, 128]);
      const norm = new BatchNorm1d(5000);
      norm.forward(randn([4, 5000])).pow(2).sum().backward();
      model.get(0).forward(x).pow(2).sum().backward();
      sgd.step();
      adam.step();
      return { model, norm, sgd, adam };
    });
    expect(disposed.length).toBeGreaterThan(0); // the activations and temporaries went back
    const stateTensors = (o: { state: Map<Tensor, object> }): Tensor[] => [...o.state.values()].flatMap((st) => Object.values(st).filter((v): v is Tensor => v instanceof Tensor));
    const { model, norm, sgd, adam } = result;
    const buffers = [...model.namedBuffers(), ...norm.namedBuffers()].map(([, t]) => t);
    expect(stateTensors(sgd).length).toBe(2); // the Linear weight and bias had grads: their momentum buffers
    expect(stateTensors(adam).length).toBe(2 * 3); // expAvg, expAvgSq, maxExpAvgSq
    expect(buffers.some((t) => t.numel() === 5000)).toBe(true);
    const alive = [...model.parameters(), ...norm.parameters(), ...buffers, ...stateTensors(sgd), ...stateTensors(adam)];
    for (const t of alive) expect(disposed).not.toContain(t.buffer);
  });

  it("values computed inside are the same as outside (host backends: nothing changes)", () => {
    const x = tensor([1, 2, 3]);
    expect(memoryScope(() => x.mul(2).add(1)).toArray()).toEqual([3, 5, 7]);
  });
});
