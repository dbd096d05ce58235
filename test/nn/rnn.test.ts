/**
 * Recurrent layers (RNN, LSTM, GRU and their cells) against PyTorch: state dicts written by
 * PyTorch (test/goldens/rnn.py, PyTorch 1.13) load unchanged through loadSafetensors +
 * loadStateDict and reproduce PyTorch's outputs and the gradients of a weighted loss with respect
 * to input, initial states and every parameter, in float64. Plus float64 finite differences
 * (gradcheck, first and second order), PyTorch's default init bounds, dropout between layers,
 * reprs and argument errors.
 */

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DTypeError, Generator, ShapeError, Tensor, ValueError, noGrad, randn, tensor, zeros } from "@tensorgrad/autograd";
import { gradcheck, gradgradcheck } from "@tensorgrad/autograd/testing";
import { GRU, GRUCell, LSTM, LSTMCell, Module, RNN, RNNCell, loadSafetensors, type AnyModule } from "@tensorgrad/nn";
import { allcloseReport } from "../helpers/allclose.js";

const dir = fileURLToPath(new URL("../goldens/rnn/", import.meta.url));

interface GoldenCase {
  readonly name: string;
  readonly kind: "RNN" | "LSTM" | "GRU" | "RNNCell" | "LSTMCell" | "GRUCell";
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly options: Record<string, unknown>;
  readonly states: readonly string[];
  readonly outputs: readonly string[];
  readonly dtype: "float32" | "float64";
  readonly params: readonly string[];
}

const { cases } = JSON.parse(readFileSync(`${dir}cases.json`, "utf8")) as { cases: GoldenCase[] };
const io = loadSafetensors(readFileSync(`${dir}io.safetensors`));

const LAYERS = { RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell };

function expectClose(received: Tensor, expected: Tensor, what: string, tol: { rtol: number; atol: number }): void {
  expect(received.shape, `${what}: shape`).toEqual(expected.shape);
  const report = allcloseReport(received, expected, tol);
  expect(report.pass, `${what}: ${report.message}`).toBe(true);
}

/** Runs a layer or cell of any kind on x and the states, returning its outputs by the golden's names. */
function runModel(kind: GoldenCase["kind"], model: AnyModule, x: Tensor, states: Tensor[]): Record<string, Tensor> {
  const st = states.length === 0 ? null : states;
  switch (kind) {
    case "LSTM": {
      const [output, [hN, cN]] = (model as unknown as LSTM).call(x, st as [Tensor, Tensor] | null);
      return { output, hN, cN };
    }
    case "RNN":
    case "GRU": {
      const [output, hN] = (model as unknown as RNN).call(x, st?.[0] ?? null);
      return { output, hN };
    }
    case "LSTMCell": {
      const [h, c] = (model as unknown as LSTMCell).call(x, st as [Tensor, Tensor] | null);
      return { h, c };
    }
    case "RNNCell":
    case "GRUCell":
      return { h: (model as unknown as RNNCell).call(x, st?.[0] ?? null) };
    default:
      return kind satisfies never;
  }
}

describe("PyTorch goldens: safetensors state dicts load and reproduce outputs and gradients", () => {
  it("covers every layer and cell kind, and every combination of layers, directions, batchFirst and initial state", () => {
    const kinds = new Set(cases.map((c) => c.kind));
    expect([...kinds].sort()).toEqual(["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNCell"]);
    for (const kind of ["RNN", "LSTM", "GRU"]) {
      const combos = new Set(
        cases
          .filter((c) => c.kind === kind && c.states !== undefined && !c.name.includes("unbatched") && !("projSize" in c.options) && !("nonlinearity" in c.options))
          .map((c) => `${c.options.numLayers}/${c.options.bidirectional}/${c.options.batchFirst}/${c.states.length > 0}`),
      );
      expect(combos.size, kind).toBe(16);
    }
  });

  for (const c of cases) {
    it(`${c.name}`, () => {
      const tol = c.dtype === "float64" ? { rtol: 1e-11, atol: 1e-13 } : { rtol: 2e-5, atol: 1e-6 };
      const model = new LAYERS[c.kind](c.inputSize, c.hiddenSize, { ...c.options, dtype: c.dtype }) as unknown as AnyModule;
      // PyTorch's names in PyTorch's registration order.
      expect(model.namedParameters().map(([n]) => n)).toEqual(c.params);
      const sd = loadSafetensors(readFileSync(`${dir}${c.name}.safetensors`));
      model.loadStateDict(sd);

      const x = io[`${c.name}/input`].clone().requiresGrad_(true);
      const states = c.states.map((s) => io[`${c.name}/${s}`].clone().requiresGrad_(true));
      const outs = runModel(c.kind, model, x, states);
      expect(Object.keys(outs)).toEqual(c.outputs);
      let loss: Tensor | null = null;
      for (const key of c.outputs) {
        expectClose(outs[key], io[`${c.name}/${key}`], `${c.name} ${key}`, tol);
        const term = outs[key].mul(io[`${c.name}/w_${key}`]).sum();
        loss = loss === null ? term : loss.add(term);
      }
      (loss as Tensor).backward();
      expectClose(x.grad as Tensor, io[`${c.name}/grad/input`], `${c.name} grad input`, tol);
      c.states.forEach((s, i) => expectClose(states[i].grad as Tensor, io[`${c.name}/grad/${s}`], `${c.name} grad ${s}`, tol));
      for (const [name, p] of model.namedParameters()) {
        expectClose(p.grad as Tensor, io[`${c.name}/grad/${name}`], `${c.name} grad ${name}`, tol);
      }
    });
  }
});

// ---------------------------------------------------------------- finite differences

/** A function of (x, states…, params…) for gradcheck: the given tensors stand in for the module's parameters. */
function functionalize(model: AnyModule, kind: GoldenCase["kind"], numStates: number): { fn: (...ts: Tensor[]) => Tensor[]; params: Tensor[] } {
  const named = model.namedParameters();
  const fn = (...ts: Tensor[]): Tensor[] => {
    const [x, ...rest] = ts;
    // The forward reads parameters from properties at call time: put the checked leaves there.
    named.forEach(([name], i) => Reflect.set(model, name, rest[numStates + i]));
    try {
      return Object.values(runModel(kind, model, x, rest.slice(0, numStates)));
    } finally {
      named.forEach(([name, p]) => Reflect.set(model, name, p));
    }
  };
  return { fn, params: named.map(([, p]) => p.detach().clone().requiresGrad_(true)) };
}

const f64 = (shape: number[], g: Generator): Tensor => randn(shape, { dtype: "float64", generator: g }).requiresGrad_(true);

describe("gradcheck (float64 central differences) with respect to input, states and every parameter", () => {
  it("LSTM, 2 layers, bidirectional, with projection and initial state", () => {
    const g = new Generator(1);
    const model = new LSTM(2, 3, { numLayers: 2, bidirectional: true, projSize: 2, dtype: "float64", generator: g }) as unknown as AnyModule;
    const { fn, params } = functionalize(model, "LSTM", 2);
    const report = gradcheck(fn, [f64([3, 2, 2], g), f64([4, 2, 2], g), f64([4, 2, 3], g), ...params]);
    expect(report.ok, report.message).toBe(true);
  });

  it("GRU, 2 layers, bidirectional, batchFirst, with initial state", () => {
    const g = new Generator(2);
    const model = new GRU(2, 3, { numLayers: 2, bidirectional: true, batchFirst: true, dtype: "float64", generator: g }) as unknown as AnyModule;
    const { fn, params } = functionalize(model, "GRU", 1);
    const report = gradcheck(fn, [f64([2, 3, 2], g), f64([4, 2, 3], g), ...params]);
    expect(report.ok, report.message).toBe(true);
  });

  it("RNN (relu and tanh), unbatched", () => {
    for (const nonlinearity of ["tanh", "relu"] as const) {
      const g = new Generator(3);
      const model = new RNN(2, 3, { numLayers: 2, nonlinearity, dtype: "float64", generator: g }) as unknown as AnyModule;
      const { fn, params } = functionalize(model, "RNN", 1);
      const report = gradcheck(fn, [f64([3, 2], g), f64([2, 3], g), ...params]);
      expect(report.ok, `${nonlinearity}: ${report.message}`).toBe(true);
    }
  });

  it("cells", () => {
    const g = new Generator(4);
    for (const kind of ["RNNCell", "LSTMCell", "GRUCell"] as const) {
      const model = new LAYERS[kind](2, 3, { dtype: "float64", generator: g }) as unknown as AnyModule;
      const numStates = kind === "LSTMCell" ? 2 : 1;
      const { fn, params } = functionalize(model, kind, numStates);
      const states = Array.from({ length: numStates }, () => f64([2, 3], g));
      const report = gradcheck(fn, [f64([2, 2], g), ...states, ...params]);
      expect(report.ok, `${kind}: ${report.message}`).toBe(true);
    }
  });

  it("second order: LSTM and GRU gradients are differentiable (gradgradcheck)", () => {
    const g = new Generator(5);
    const lstm = new LSTM(2, 2, { dtype: "float64", generator: g }) as unknown as AnyModule;
    const l = functionalize(lstm, "LSTM", 2);
    const r1 = gradgradcheck(l.fn, [f64([3, 1, 2], g), f64([1, 1, 2], g), f64([1, 1, 2], g), ...l.params]);
    expect(r1.ok, r1.message).toBe(true);
    const gru = new GRU(2, 2, { bidirectional: true, dtype: "float64", generator: g }) as unknown as AnyModule;
    const r = functionalize(gru, "GRU", 1);
    const r2 = gradgradcheck(r.fn, [f64([3, 1, 2], g), f64([2, 1, 2], g), ...r.params]);
    expect(r2.ok, r2.message).toBe(true);
  });
});

// ---------------------------------------------------------------- init, dropout, modes

describe("default initialization: PyTorch's U(−1/√hidden, 1/√hidden) for every parameter", () => {
  const layers: [string, () => Module<never[], unknown>][] = [
    ["RNN", () => new RNN(5, 16, { numLayers: 2, bidirectional: true, generator: new Generator(21) }) as unknown as AnyModule],
    ["LSTM", () => new LSTM(5, 16, { numLayers: 2, projSize: 4, generator: new Generator(22) }) as unknown as AnyModule],
    ["GRU", () => new GRU(5, 16, { bidirectional: true, generator: new Generator(23) }) as unknown as AnyModule],
    ["RNNCell", () => new RNNCell(5, 16, { generator: new Generator(24) }) as unknown as AnyModule],
    ["LSTMCell", () => new LSTMCell(5, 16, { generator: new Generator(25) }) as unknown as AnyModule],
    ["GRUCell", () => new GRUCell(5, 16, { generator: new Generator(26) }) as unknown as AnyModule],
  ];
  for (const [name, make] of layers) {
    it(name, () => {
      const bound = 1 / Math.sqrt(16); // 0.25, whatever the parameter's shape (PyTorch's rule)
      const model = make();
      for (const [pname, p] of model.namedParameters()) {
        const v = p.toFlatArray();
        expect(Math.max(...v), pname).toBeLessThanOrEqual(bound);
        expect(Math.min(...v), pname).toBeGreaterThanOrEqual(-bound);
        if (v.length >= 256) {
          // U(−b, b) comes near both ends (P(no sample in the top 5%) = 0.95^256 ≈ 2e-6)...
          expect(Math.max(...v), pname).toBeGreaterThan(0.95 * bound);
          expect(Math.min(...v), pname).toBeLessThan(-0.95 * bound);
        }
        if (v.length >= 64) {
          // ...and has mean 0 and variance b²/3 (seeded generators keep these checks deterministic).
          const mean = v.reduce((a, b) => a + b, 0) / v.length;
          const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
          expect(Math.abs(mean), pname).toBeLessThan(4 * bound / Math.sqrt(3 * v.length));
          expect(variance / (bound * bound / 3), pname).toBeGreaterThan(0.7);
          expect(variance / (bound * bound / 3), pname).toBeLessThan(1.3);
        }
      }
    });
  }

  it("a generator makes the initial weights reproducible", () => {
    const a = new LSTM(3, 4, { generator: new Generator(7) }).stateDict();
    const b = new LSTM(3, 4, { generator: new Generator(7) }).stateDict();
    const c = new LSTM(3, 4, { generator: new Generator(8) }).stateDict();
    for (const k of Object.keys(a)) expect(a[k].toFlatArray()).toEqual(b[k].toFlatArray());
    expect(a.weight_ih_l0.toFlatArray()).not.toEqual(c.weight_ih_l0.toFlatArray());
  });
});

describe("dropout between layers", () => {
  const x = randn([5, 2, 3], { generator: new Generator(11) });

  it("is not applied after the last layer (one layer with dropout 1 in training = no dropout)", () => {
    const gru = new GRU(3, 4, { dropout: 1, generator: new Generator(1) });
    const [train] = gru.call(x);
    gru.eval();
    const [evalOut] = gru.call(x);
    expect(train.toFlatArray()).toEqual(evalOut.toFlatArray());
  });

  it("zeroes the second layer's input with p = 1 in training, and is off in eval mode", () => {
    const lstm = new LSTM(3, 4, { numLayers: 2, dropout: 1, generator: new Generator(2) });
    // The second layer alone, on an all-zero input sequence.
    const second = new LSTM(4, 4);
    const sd = lstm.stateDict();
    second.loadStateDict(Object.fromEntries(["weight_ih", "weight_hh", "bias_ih", "bias_hh"].map((k) => [`${k}_l0`, sd[`${k}_l1`]])));
    const [expected] = second.call(zeros([5, 2, 4]));
    const [train] = lstm.call(x);
    expectClose(train, expected, "train", { rtol: 1e-6, atol: 1e-7 });
    lstm.eval();
    const [evalOut] = lstm.call(x);
    const plain = new LSTM(3, 4, { numLayers: 2 });
    plain.loadStateDict(sd);
    plain.eval();
    expect(evalOut.toFlatArray()).toEqual(plain.call(x)[0].toFlatArray());
  });

  it("with 0 < p < 1 drops a seeded mask in training only", () => {
    const make = (): RNN => new RNN(3, 8, { numLayers: 2, dropout: 0.5, generator: new Generator(3) });
    const a = make();
    const b = make();
    const [outA] = a.call(x);
    const [outB] = b.call(x);
    expect(outA.toFlatArray()).toEqual(outB.toFlatArray()); // same generator, same masks
    a.eval();
    expect(a.call(x)[0].toFlatArray()).not.toEqual(outA.toFlatArray());
  });
});

describe("shapes, modes and dtypes", () => {
  it("returns PyTorch's shapes for batched, batch-first and unbatched input", () => {
    const lstm = new LSTM(3, 5, { numLayers: 2, bidirectional: true, projSize: 2, batchFirst: true });
    const [out, [h, c]] = lstm.call(randn([4, 6, 3])); // [B, T, F]
    expect([out.shape, h.shape, c.shape]).toEqual([[4, 6, 4], [4, 4, 2], [4, 4, 5]]);
    const [u, [hu, cu]] = lstm.call(randn([6, 3])); // unbatched [T, F], batchFirst ignored
    expect([u.shape, hu.shape, cu.shape]).toEqual([[6, 4], [4, 2], [4, 5]]);
    const gru = new GRU(3, 5);
    const [o, hn] = gru.call(randn([6, 4, 3]));
    expect([o.shape, hn.shape]).toEqual([[6, 4, 5], [1, 4, 5]]);
    expect(new GRUCell(3, 5).call(randn([3])).shape).toEqual([5]);
    const [hc, cc] = new LSTMCell(3, 5).call(randn([2, 3]));
    expect([hc.shape, cc.shape]).toEqual([[2, 5], [2, 5]]);
  });

  it("allWeights lists each layer and direction's parameters in registration order (PyTorch's all_weights)", () => {
    const lstm = new LSTM(3, 5, { numLayers: 2, bidirectional: true, projSize: 2 });
    expect(lstm.allWeights.map((ws) => ws.length)).toEqual([5, 5, 5, 5]);
    expect(lstm.allWeights.flat()).toEqual(lstm.parameters());
    expect(new GRU(3, 4, { bias: false }).allWeights.map((ws) => ws.map((w) => w.shape))).toEqual([[[12, 3], [12, 4]]]);
  });

  it("the last time step of the output is hN (one direction)", () => {
    const rnn = new RNN(3, 4, { numLayers: 2 });
    const [out, h] = rnn.call(randn([5, 2, 3]));
    expect(out.select(0, 4).toFlatArray()).toEqual(h.select(0, 1).toFlatArray());
  });

  it("Module.to(float64) replaces the parameters and the forward uses the new ones", () => {
    const lstm = new LSTM(3, 4, { numLayers: 2, bidirectional: true }).double();
    expect(lstm.parameters().every((p) => p.dtype === "float64")).toBe(true);
    const [out, [h]] = lstm.call(randn([5, 2, 3], { dtype: "float64" }));
    expect([out.dtype, h.dtype]).toEqual(["float64", "float64"]);
    out.sum().backward();
    expect(lstm.parameters().every((p) => p.grad !== null && p.grad.dtype === "float64")).toBe(true);
  });

  it("runs without recording under noGrad", () => {
    const lstm = new LSTM(3, 4);
    const [out] = noGrad(() => lstm.call(randn([5, 2, 3])));
    expect(out.requiresGrad).toBe(false);
    expect(out.gradFn).toBeNull();
  });

  it("reprs read like PyTorch's", () => {
    // The expected strings are what PyTorch 1.13 prints for the same constructors.
    expect(String(new LSTM(10, 20, { numLayers: 2 }))).toBe("LSTM(10, 20, num_layers=2)");
    expect(String(new LSTM(10, 20, { numLayers: 2, dropout: 0.5, bidirectional: true, batchFirst: true, bias: false, projSize: 5 }))).toBe(
      "LSTM(10, 20, proj_size=5, num_layers=2, bias=False, batch_first=True, dropout=0.5, bidirectional=True)",
    );
    expect(String(new RNN(10, 20, { nonlinearity: "relu" }))).toBe("RNN(10, 20)");
    expect(String(new GRU(3, 4))).toBe("GRU(3, 4)");
    expect(String(new RNNCell(3, 4, { nonlinearity: "relu", bias: false }))).toBe("RNNCell(3, 4, bias=False, nonlinearity=relu)");
    expect(String(new LSTMCell(3, 4))).toBe("LSTMCell(3, 4)");
    expect(String(new GRUCell(3, 4))).toBe("GRUCell(3, 4)");
  });
});

describe("argument errors name the layer and the values", () => {
  const lstm = new LSTM(10, 20, { numLayers: 2 });

  it("input", () => {
    expect(() => lstm.call(randn([5, 3, 8]))).toThrow(new ShapeError("LSTM: expected input of size 10 in the last dim, got [5,3,8]"));
    expect(() => lstm.call(randn([5, 3, 2, 10]))).toThrow(new ShapeError("LSTM: expected input to be 2-d (unbatched) or 3-d (batched), got [5,3,2,10]"));
    expect(() => lstm.call(randn([0, 3, 10]))).toThrow(new ShapeError("LSTM: expected a sequence of length > 0, got input [0,3,10]"));
    expect(() => lstm.call(tensor([[1]], { dtype: "int32" }))).toThrow(DTypeError);
    expect(() => new GRU(4, 2).call(randn([5, 3, 3]))).toThrow(/^GRU: expected input of size 4 in the last dim, got \[5,3,3\]$/);
    expect(() => new RNNCell(4, 2).call(randn([2, 3]))).toThrow(new ShapeError("RNNCell: expected input of size 4 in the last dim, got [2,3]"));
    expect(() => new GRUCell(4, 2).call(randn([1, 2, 4]))).toThrow(new ShapeError("GRUCell: expected input to be 1-d (unbatched) or 2-d (batched), got [1,2,4]"));
  });

  it("initial states", () => {
    const x = randn([5, 3, 10]);
    expect(() => lstm.call(x, [randn([1, 3, 20]), randn([2, 3, 20])])).toThrow(new ShapeError("LSTM: expected h0 of shape [2,3,20], got [1,3,20]"));
    expect(() => lstm.call(x, [randn([2, 3, 20]), randn([2, 3, 2])])).toThrow(new ShapeError("LSTM: expected c0 of shape [2,3,20], got [2,3,2]"));
    expect(() => lstm.call(x, randn([2, 3, 20]) as unknown as [Tensor, Tensor])).toThrow(new ValueError("LSTM: hx must be a pair [h0, c0], got a Tensor [2,3,20]"));
    // Unbatched input wants unbatched states.
    expect(() => new GRU(10, 20).call(randn([5, 10]), randn([1, 1, 20]))).toThrow(new ShapeError("GRU: expected h0 of shape [1,20], got [1,1,20]"));
    expect(() => new RNN(10, 20, { bidirectional: true }).call(x, randn([1, 3, 20]))).toThrow(new ShapeError("RNN: expected h0 of shape [2,3,20], got [1,3,20]"));
    const proj = new LSTM(10, 20, { projSize: 5 });
    expect(() => proj.call(x, [randn([1, 3, 20]), randn([1, 3, 20])])).toThrow(new ShapeError("LSTM: expected h0 of shape [1,3,5], got [1,3,20]"));
    expect(() => new LSTMCell(10, 20).call(randn([3, 10]), [randn([3, 20]), randn([2, 20])])).toThrow(new ShapeError("LSTMCell: expected cx of shape [3,20], got [2,20]"));
    expect(() => new RNNCell(10, 20).call(randn([10]), randn([1, 20]))).toThrow(new ShapeError("RNNCell: expected hx of shape [20], got [1,20]"));
  });

  it("constructor options", () => {
    expect(() => new LSTM(10, 0)).toThrow(new ValueError("LSTM: hiddenSize must be an integer >= 1, got 0"));
    expect(() => new GRU(10, 20, { numLayers: 0 })).toThrow(new ValueError("GRU: numLayers must be an integer >= 1, got 0"));
    expect(() => new RNN(10, 20, { dropout: 1.5 })).toThrow(/^RNN: dropout has to be between 0 and 1, but got 1.5$/);
    expect(() => new LSTM(10, 20, { projSize: 20 })).toThrow(new ValueError("LSTM: projSize has to be smaller than hiddenSize, got projSize=20, hiddenSize=20"));
    expect(() => new GRU(10, 20, { projSize: 5 } as never)).toThrow(new ValueError("GRU: unknown option \"projSize\" (5); known: numLayers, bias, batchFirst, dropout, bidirectional, generator, dtype"));
    expect(() => new RNN(10, 20, { nonlinearity: "sigmoid" as never })).toThrow(new ValueError('RNN: option nonlinearity must be one of "tanh", "relu", got "sigmoid"'));
    expect(() => new RNNCell(10, 20, { nonlinearity: "gelu" as never })).toThrow(new ValueError('RNNCell: option nonlinearity must be one of "tanh", "relu", got "gelu"'));
    expect(() => new LSTMCell(2.5, 20)).toThrow(new ValueError("LSTMCell: inputSize must be an integer >= 0, got 2.5"));
  });
});
