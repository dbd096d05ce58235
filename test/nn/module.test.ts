import { describe, expect, it } from "vitest";
import { DTypeError, Tensor, manualSeed, ones, tensor, zeros } from "@tensorgrad/autograd";
import {
  BatchNorm1d, Dropout, Embedding, Identity, LayerNorm, Linear, Module, ModuleDict, ModuleList, Parameter, ReLU,
  Sequential, Sigmoid, StateDictError, type AnyModule,
} from "@tensorgrad/nn";

/** A module with parameters, a sub-module and buffers assigned in a deliberate, non-alphabetical order. */
class Net extends Module {
  second: Linear;
  scale: Parameter;
  first: Linear;
  notRegistered: Linear[];
  plain: Tensor;
  declare stats: Tensor;
  declare scratch: Tensor;

  constructor() {
    super();
    this.second = new Linear(2, 3);
    this.scale = new Parameter(ones([1]));
    this.first = new Linear(3, 1, { bias: false });
    this.notRegistered = [new Linear(5, 5)]; // plain arrays are not registered
    this.plain = zeros([2]); // a plain tensor attribute is neither parameter nor buffer
    this.registerBuffer("stats", zeros([3]));
    this.registerBuffer("scratch", ones([2]), { persistent: false });
  }

  forward(x: Tensor): Tensor {
    return this.first.call(this.second.call(x).relu()).mul(this.scale);
  }
}

class Encoder extends Module {
  layers = new ModuleList([new Linear(4, 4), new Linear(4, 2)]);
  norm = new LayerNorm(2);

  forward(x: Tensor): Tensor {
    let h = x;
    for (const layer of this.layers) h = (layer as Linear).call(h);
    return this.norm.call(h);
  }
}

class AutoEncoder extends Module {
  encoder = new Encoder();
  decoder = new Sequential(new Linear(2, 4), new Sigmoid());

  forward(x: Tensor): Tensor {
    return this.decoder.call(this.encoder.call(x));
  }
}

const names = (pairs: [string, unknown][]): string[] => pairs.map(([n]) => n);

describe("Parameter", () => {
  it("is a leaf Tensor that requires grad and shares the wrapped tensor's memory", () => {
    const data = tensor([1, 2, 3]);
    const p = new Parameter(data);
    expect(p).toBeInstanceOf(Tensor);
    expect(p.requiresGrad).toBe(true);
    expect(p.isLeaf).toBe(true);
    data.add_(1);
    expect(p).toBeAllclose([2, 3, 4]);
    expect(new Parameter(data, false).requiresGrad).toBe(false);
    expect(p.toString()).toMatch(/^Parameter containing:\ntensor\(\[2\., 3\., 4\.\], requires_grad=True\)$/);
  });

  it("detaches a non-leaf and refuses integer data", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const p = new Parameter(x.mul(2));
    expect(p.isLeaf).toBe(true);
    expect(() => new Parameter(tensor([1, 2], { dtype: "int32" }))).toThrow(DTypeError);
  });
});

describe("Module discovery", () => {
  it("finds parameters, buffers and children in insertion order, own parameters first (as PyTorch)", () => {
    const net = new Net();
    expect(names(net.namedParameters())).toEqual(["scale", "second.weight", "second.bias", "first.weight"]);
    expect(names(net.namedChildren())).toEqual(["second", "first"]);
    expect(names(net.namedModules())).toEqual(["", "second", "first"]);
    expect(names(net.namedBuffers())).toEqual(["stats", "scratch"]);
    expect(net.parameters()).toHaveLength(4);
    expect(net.parameters()[0]).toBe(net.scale);
    expect(net.children()[0]).toBe(net.second);
    // 2·3 + 3 + 3·1 + 1 parameters
    expect(net.numParameters()).toBe(13);
  });

  it("names nested modules with dots, as PyTorch (encoder.layers.1.bias)", () => {
    const model = new AutoEncoder();
    expect(names(model.namedParameters())).toEqual([
      "encoder.layers.0.weight", "encoder.layers.0.bias", "encoder.layers.1.weight", "encoder.layers.1.bias",
      "encoder.norm.weight", "encoder.norm.bias", "decoder.0.weight", "decoder.0.bias",
    ]);
    expect(names(model.namedModules())).toEqual([
      "", "encoder", "encoder.layers", "encoder.layers.0", "encoder.layers.1", "encoder.norm", "decoder", "decoder.0", "decoder.1",
    ]);
    expect(model.getSubmodule("encoder.layers.1")).toBe(model.encoder.layers.get(1));
    expect(() => model.getSubmodule("encoder.nope")).toThrow(/no sub-module "nope"/);
    expect(names(model.namedParameters({ prefix: "model" }))[0]).toBe("model.encoder.layers.0.weight");
    expect(names(model.encoder.namedParameters({ recurse: false }))).toEqual([]);
  });

  it("lists a shared parameter once: the same Linear used twice", () => {
    const lin = new Linear(2, 2);
    const seq = new Sequential(lin, new ReLU(), lin);
    expect(seq.parameters()).toHaveLength(2);
    expect(names(seq.namedParameters())).toEqual(["0.weight", "0.bias"]);
    expect(seq.children()).toHaveLength(2); // lin once, ReLU once
    expect(names(seq.namedModules())).toEqual(["", "0", "1"]);
    // The state dict keeps every path, as PyTorch's does.
    expect(Object.keys(seq.stateDict())).toEqual(["0.weight", "0.bias", "2.weight", "2.bias"]);
    // A Parameter object shared between two modules is also listed once.
    const a = new Linear(2, 2);
    const b = new Linear(2, 2);
    b.weight = a.weight;
    expect(new Sequential(a, b).parameters()).toHaveLength(3);
  });

  it("registers modules, parameters and buffers under computed names", () => {
    class Dyn extends Module {
      constructor() {
        super();
        for (let i = 0; i < 2; i++) this.addModule(`block${i}`, new Linear(1, 1));
        this.registerParameter("alpha", new Parameter(zeros([1])));
      }
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(names(new Dyn().namedParameters())).toEqual(["alpha", "block0.weight", "block0.bias", "block1.weight", "block1.bias"]);
    expect(() => new Dyn().addModule("a.b", new ReLU())).toThrow(/can't contain "\."/);
  });

  it("ModuleDict keeps insertion order, even for numeric-looking keys", () => {
    const d = new ModuleDict<AnyModule>({ b: new Linear(1, 1) });
    d.set("10", new Linear(1, 1)).set("a", new ReLU());
    expect(d.keys()).toEqual(["b", "10", "a"]);
    expect(names(d.namedParameters())).toEqual(["b.weight", "b.bias", "10.weight", "10.bias"]);
    expect(() => d.get("zzz")).toThrow(/no module named "zzz"/);
    expect(() => d.call()).toThrow(/has no forward/);
  });

  it("Sequential is indexable, appendable and calls its modules in order", () => {
    const seq = new Sequential(new Linear(2, 3), new ReLU());
    seq.append(new Linear(3, 1));
    expect(seq.length).toBe(3);
    expect(seq.get(-1)).toBe(seq.at(2));
    expect(() => seq.get(3)).toThrow(/index 3 is out of range for 3 modules/);
    expect(names(seq.namedChildren())).toEqual(["0", "1", "2"]);
    const x = tensor([[1, -2]]);
    const l0 = seq.get(0) as Linear;
    const l2 = seq.get(2) as Linear;
    const manual = l2.call(l0.call(x).relu());
    expect(seq.call(x)).toBeAllclose(manual);
    expect(seq.forward(x)).toBeAllclose(manual);
    expect([...seq]).toHaveLength(3);
    expect(seq.slice(0, 2).length).toBe(2);
  });
});

describe("state dicts", () => {
  it("holds parameters and persistent buffers under PyTorch keys, detached", () => {
    const net = new Net();
    const sd = net.stateDict();
    expect(Object.keys(sd)).toEqual(["scale", "stats", "second.weight", "second.bias", "first.weight"]);
    expect(sd["second.weight"].requiresGrad).toBe(false);
    expect(sd["second.weight"]).toBeAllclose(net.second.weight);
    const bn = new Sequential(new Linear(2, 3), new BatchNorm1d(3));
    expect(Object.keys(bn.stateDict())).toEqual([
      "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
    ]);
    expect(bn.stateDict()["1.num_batches_tracked"].dtype).toBe("int32");
  });

  it("loads a matching state dict by copying values (no shared memory afterwards)", () => {
    manualSeed(1);
    const a = new Net();
    const b = new Net();
    const sd = a.stateDict();
    const result = b.loadStateDict(sd);
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
    for (const key of Object.keys(sd)) expect(b.stateDict()[key]).toBeAllclose(sd[key]);
    b.second.weight.grad = null;
    sd["second.weight"].fill_(7);
    expect(b.second.weight.toFlatArray().includes(7)).toBe(false);
  });

  it("strict loading reports every missing, unexpected and mis-shaped key in one error and changes nothing", () => {
    manualSeed(2);
    const model = new Sequential(new Linear(2, 3), new BatchNorm1d(3), new Linear(3, 1));
    const before = Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, v.clone()]));
    const sd = Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, v.clone().add(1)]));
    delete (sd as Record<string, Tensor>)["2.bias"];
    delete (sd as Record<string, Tensor>)["1.running_var"];
    sd["3.weight"] = zeros([1]);
    sd["0.weight"] = zeros([3, 4]);
    let error: unknown;
    try {
      model.loadStateDict(sd);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateDictError);
    const err = error as StateDictError;
    expect(err.missingKeys).toEqual(["1.running_var", "2.bias"]);
    expect(err.unexpectedKeys).toEqual(["3.weight"]);
    expect(err.mismatchedKeys).toEqual([{ key: "0.weight", checkpointShape: [3, 4], modelShape: [3, 2] }]);
    expect(err.message).toContain('missing keys: "1.running_var", "2.bias"');
    expect(err.message).toContain('unexpected keys: "3.weight"');
    expect(err.message).toContain('size mismatch for "0.weight": checkpoint has [3,4], model has [3,2]');
    // Nothing was copied: not even the keys that were fine (0.bias, 1.weight, ...).
    for (const [k, v] of Object.entries(model.stateDict())) expect(v).toBeAllclose(before[k]);
  });

  it("non-strict loading skips missing/unexpected keys and reports them, but still rejects wrong shapes", () => {
    const model = new Sequential(new Linear(2, 2), new Linear(2, 1));
    const result = model.loadStateDict({ "0.weight": tensor([[1, 2], [3, 4]]), "9.bias": zeros([1]) }, { strict: false });
    expect(result.missingKeys).toEqual(["0.bias", "1.weight", "1.bias"]);
    expect(result.unexpectedKeys).toEqual(["9.bias"]);
    expect((model.get(0) as Linear).weight).toBeAllclose([[1, 2], [3, 4]]);
    const w1 = (model.get(1) as Linear).weight.clone();
    expect(() => model.loadStateDict({ "0.bias": zeros([2]), "1.weight": zeros([2, 2]) }, { strict: false })).toThrow(/size mismatch for "1.weight"/);
    expect((model.get(1) as Linear).weight).toBeAllclose(w1);
    expect((model.get(0) as Linear).weight).toBeAllclose([[1, 2], [3, 4]]);
  });

  it("casts loaded tensors to the module's dtypes and accepts a Map", () => {
    const lin = new Linear(1, 1);
    lin.loadStateDict(new Map([["weight", tensor([[0.5]], { dtype: "float64" })], ["bias", tensor([2], { dtype: "float64" })]]));
    expect(lin.weight.dtype).toBe("float32");
    expect(lin.call(tensor([[2]]))).toBeAllclose([[3]]);
  });

  it("loadStateDictAsync loads a host state dict as loadStateDict does (Map, casts, strictness, the same errors)", async () => {
    const lin = new Linear(1, 1);
    expect(await lin.loadStateDictAsync(new Map([["weight", tensor([[0.5]], { dtype: "float64" })], ["bias", tensor([2], { dtype: "float64" })]]))).toEqual({
      missingKeys: [],
      unexpectedKeys: [],
    });
    expect(lin.call(tensor([[2]]))).toBeAllclose([[3]]);
    expect(await lin.loadStateDictAsync({ weight: tensor([[1]]), extra: zeros([1]) }, { strict: false })).toEqual({ missingKeys: ["bias"], unexpectedKeys: ["extra"] });
    await expect(lin.loadStateDictAsync({ weight: zeros([2, 2]), bias: zeros([1]) })).rejects.toThrow(/size mismatch for "weight"/);
    await expect(lin.loadStateDictAsync([] as unknown as Record<string, Tensor>)).rejects.toThrow("loadStateDict: expected a state dict (an object or Map of tensors by name), got an array");
    expect(lin.call(tensor([[2]]))).toBeAllclose([[1 * 2 + 2]]);
  });
});

describe("modes, gradients and conversion", () => {
  it("train() and eval() recurse into every sub-module", () => {
    const model = new Sequential(new Linear(2, 2), new Sequential(new Dropout(0.5), new BatchNorm1d(2)));
    expect(model.modules().every((m) => m.training)).toBe(true);
    expect(model.eval()).toBe(model);
    expect(model.modules().every((m) => !m.training)).toBe(true);
    model.train();
    expect(model.modules().every((m) => m.training)).toBe(true);
    model.train(false);
    expect(model.modules().map((m) => m.training)).toEqual([false, false, false, false, false]);
  });

  it("zeroGrad sets gradients to null by default, or to zeros with setToNone: false", () => {
    const lin = new Linear(2, 1);
    lin.call(tensor([[1, 2]])).sum().backward();
    expect(lin.weight.grad).toBeAllclose([[1, 2]]);
    lin.zeroGrad({ setToNone: false });
    expect(lin.weight.grad).toBeAllclose([[0, 0]]);
    expect(lin.bias!.grad).toBeAllclose([0]);
    lin.zeroGrad();
    expect(lin.weight.grad).toBeNull();
    expect(lin.bias!.grad).toBeNull();
  });

  it("apply visits children before their parent and can re-initialize", () => {
    const model = new Sequential(new Linear(2, 2), new Sequential(new ReLU(), new Identity()));
    const visited: string[] = [];
    model.apply((m) => visited.push(m.constructor.name));
    expect(visited).toEqual(["Linear", "ReLU", "Identity", "Sequential", "Sequential"]);
    model.apply((m: AnyModule) => {
      if (m instanceof Linear) m.weight.grad = null;
      if (m instanceof Linear) m.weight.requiresGrad_(false);
    });
    expect((model.get(0) as Linear).weight.requiresGrad).toBe(false);
  });

  it("to(dtype) converts float parameters and buffers, keeps int buffers, and keeps shared parameters shared", () => {
    const lin = new Linear(2, 2);
    const bn = new BatchNorm1d(2);
    const model = new Sequential(lin, bn, lin);
    const w = lin.weight.clone();
    expect(model.to("float64")).toBe(model);
    expect(lin.weight.dtype).toBe("float64");
    expect(lin.weight).toBeInstanceOf(Parameter);
    expect(lin.weight.requiresGrad).toBe(true);
    expect(lin.weight).toBeAllclose(w);
    expect(bn.runningMean!.dtype).toBe("float64");
    expect(bn.numBatchesTracked!.dtype).toBe("int32");
    expect(model.parameters()).toHaveLength(4);
    expect(model.call(tensor([[1, 2], [3, 4]], { dtype: "float64" })).dtype).toBe("float64");
    model.float();
    expect(lin.bias!.dtype).toBe("float32");
    expect(() => model.to("int32")).toThrow(DTypeError);
  });

  it("call and forward are the same computation", () => {
    const relu = new ReLU();
    expect(relu.call(tensor([-1, 2]))).toBeAllclose([0, 2]);
    expect(relu.forward(tensor([-1, 2]))).toBeAllclose([0, 2]);
  });

  it("requiresGrad_(false) freezes every parameter", () => {
    const model = new AutoEncoder().requiresGrad_(false);
    expect(model.parameters().every((p) => !p.requiresGrad)).toBe(true);
    expect(model.numParameters({ trainableOnly: true })).toBe(0);
  });
});

describe("toString", () => {
  it("prints like PyTorch's repr", () => {
    const seq = new Sequential(new Linear(2, 3), new ReLU());
    expect(seq.toString()).toBe("Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n)");
    expect(new Linear(4, 1, { bias: false }).toString()).toBe("Linear(in_features=4, out_features=1, bias=False)");
    expect(String(new Sequential())).toBe("Sequential()");
  });

  it("indents nested modules and shows every layer's settings as PyTorch does", () => {
    expect(new AutoEncoder().toString()).toBe(
      [
        "AutoEncoder(",
        "  (encoder): Encoder(",
        "    (layers): ModuleList(",
        "      (0): Linear(in_features=4, out_features=4, bias=True)",
        "      (1): Linear(in_features=4, out_features=2, bias=True)",
        "    )",
        "    (norm): LayerNorm((2,), eps=1e-05, elementwise_affine=True)",
        "  )",
        "  (decoder): Sequential(",
        "    (0): Linear(in_features=2, out_features=4, bias=True)",
        "    (1): Sigmoid()",
        "  )",
        ")",
      ].join("\n"),
    );
    expect(new ModuleList([new ReLU(), new ReLU(), new ReLU(), new Sigmoid()]).toString()).toBe(
      "ModuleList(\n  (0-2): 3 x ReLU()\n  (3): Sigmoid()\n)",
    );
    expect(new BatchNorm1d(3).toString()).toBe("BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
    expect(new Dropout(0.25).toString()).toBe("Dropout(p=0.25, inplace=False)");
    expect(new Embedding(10, 3, { paddingIdx: 0 }).toString()).toBe("Embedding(10, 3, padding_idx=0)");
  });
});
