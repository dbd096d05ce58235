"""PyTorch goldens for tensorgrad's recurrent layers (test/nn/rnn.test.ts).

Run from the repository root with PyTorch (1.13 was used):  /usr/bin/python3 test/goldens/rnn.py

For each case it builds a small RNN/LSTM/GRU or cell with a fixed seed (PyTorch's own default
init), and writes to test/goldens/rnn/:
  <case>.safetensors   the model's state dict exactly as PyTorch names it
  io.safetensors       per case "<case>/<what>": the input, initial states (when given), the
                       outputs, the loss weights and the gradients of the loss
                       loss = Σ output·w_output + Σ hN·w_hN (+ Σ cN·w_cN)
                       with respect to input, initial states and every parameter ("grad/<name>")
  cases.json           each case's layer, sizes and options, in tensorgrad's (camelCase) spelling
Everything is float64 except the "_f32" case, a float32 model as PyTorch saves one by default.
safetensors is written by safetensors_file.py beside this script, so no package beyond torch is needed.
"""

import itertools
import json
import os

import torch
import torch.nn as nn
from safetensors_file import write_safetensors

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rnn")
DTYPES = {torch.float64: "F64", torch.float32: "F32"}


T, B, IN, HID, PROJ = 4, 2, 3, 4, 2
cases, io = [], {}


def record(name, kind, model, inputs, states, config, dtype=torch.float64):
    """Runs model on inputs[0] (and states), backprops the weighted loss, and stores everything."""
    model = model.to(dtype)
    leaves = [t.to(dtype).requires_grad_(True) for t in inputs + states]
    x, st = leaves[0], leaves[1:]
    is_cell = kind.endswith("Cell")
    if kind == "LSTM":
        out, (h, c) = model(x, tuple(st) if st else None)
        outs = {"output": out, "hN": h, "cN": c}
    elif kind == "LSTMCell":
        h, c = model(x, tuple(st) if st else None)
        outs = {"h": h, "c": c}
    elif is_cell:
        outs = {"h": model(x, st[0] if st else None)}
    else:
        out, h = model(x, st[0] if st else None)
        outs = {"output": out, "hN": h}
    loss = 0
    for key, value in outs.items():
        w = torch.randn(value.shape, dtype=dtype)
        io[f"{name}/w_{key}"] = w
        io[f"{name}/{key}"] = value.detach()
        loss = loss + (value * w).sum()
    loss.backward()
    state_names = (["hx", "cx"] if is_cell else ["h0", "c0"])[: len(st)]
    io[f"{name}/input"] = x.detach()
    io[f"{name}/grad/input"] = x.grad
    for s_name, s in zip(state_names, st):
        io[f"{name}/{s_name}"] = s.detach()
        io[f"{name}/grad/{s_name}"] = s.grad
    for p_name, p in model.named_parameters():
        io[f"{name}/grad/{p_name}"] = p.grad
    write_safetensors(os.path.join(OUT, f"{name}.safetensors"), model.state_dict(), {"format": "pt"})
    cases.append({"name": name, "kind": kind, "inputSize": IN, "hiddenSize": HID, "options": config,
                  "states": state_names, "outputs": list(outs), "dtype": "float64" if dtype == torch.float64 else "float32",
                  "params": [n for n, _ in model.named_parameters()]})


def layer_case(kind, num_layers, bidirectional, batch_first, with_state, *, bias=True, batched=True, nonlinearity=None, proj=0, dtype=torch.float64, name=None):
    seed = len(cases)
    torch.manual_seed(seed)
    kwargs = dict(num_layers=num_layers, bias=bias, batch_first=batch_first, bidirectional=bidirectional)
    config = dict(numLayers=num_layers, bias=bias, batchFirst=batch_first, bidirectional=bidirectional)
    if nonlinearity:
        kwargs["nonlinearity"] = config["nonlinearity"] = nonlinearity
    if proj:
        kwargs["proj_size"] = config["projSize"] = proj
    model = getattr(nn, kind)(IN, HID, **kwargs)
    shape = ([B, T, IN] if batch_first else [T, B, IN]) if batched else [T, IN]
    inputs = [torch.randn(shape, dtype=torch.float64)]
    rows = num_layers * (2 if bidirectional else 1)
    states = []
    if with_state:
        h_size = proj if proj else HID
        states.append(torch.randn([rows, B, h_size] if batched else [rows, h_size], dtype=torch.float64))
        if kind == "LSTM":
            states.append(torch.randn([rows, B, HID] if batched else [rows, HID], dtype=torch.float64))
    if name is None:
        name = f"{kind.lower()}{'_' + nonlinearity if nonlinearity else ''}_L{num_layers}{'_bi' if bidirectional else ''}" \
               f"{'_bf' if batch_first else ''}{'_state' if with_state else ''}{'' if bias else '_nobias'}" \
               f"{'' if batched else '_unbatched'}{f'_proj{proj}' if proj else ''}"
    record(name, kind, model, inputs, states, config, dtype)


def cell_case(kind, with_state, *, bias=True, batched=True, nonlinearity=None):
    torch.manual_seed(len(cases))
    kwargs, config = dict(bias=bias), dict(bias=bias)
    if nonlinearity:
        kwargs["nonlinearity"] = config["nonlinearity"] = nonlinearity
    model = getattr(nn, kind)(IN, HID, **kwargs)
    inputs = [torch.randn([B, IN] if batched else [IN], dtype=torch.float64)]
    n_states = (2 if kind == "LSTMCell" else 1) if with_state else 0
    states = [torch.randn([B, HID] if batched else [HID], dtype=torch.float64) for _ in range(n_states)]
    name = f"{kind.lower()}{'_' + nonlinearity if nonlinearity else ''}{'_state' if with_state else ''}" \
           f"{'' if bias else '_nobias'}{'' if batched else '_unbatched'}"
    record(name, kind, model, inputs, states, config)


def main():
    os.makedirs(OUT, exist_ok=True)
    for kind in ["RNN", "LSTM", "GRU"]:
        for layers, bi, bf, st in itertools.product([1, 2], [False, True], [False, True], [False, True]):
            layer_case(kind, layers, bi, bf, st)
        layer_case(kind, 2, True, False, True, bias=False)
        layer_case(kind, 2, True, False, True, batched=False)
        layer_case(kind, 1, False, True, False, batched=False)  # batchFirst is ignored for 2-d input
    layer_case("RNN", 1, False, False, True, nonlinearity="relu")
    layer_case("RNN", 2, True, True, True, nonlinearity="relu")
    layer_case("LSTM", 1, False, False, True, proj=PROJ)
    layer_case("LSTM", 2, True, True, True, proj=PROJ)
    layer_case("LSTM", 2, True, False, False, proj=PROJ, bias=False, batched=False)
    layer_case("LSTM", 2, False, False, True, dtype=torch.float32, name="lstm_L2_state_f32")
    for kind in ["RNNCell", "LSTMCell", "GRUCell"]:
        cell_case(kind, True)
        cell_case(kind, False)
        cell_case(kind, True, batched=False)
        cell_case(kind, True, bias=False)
    cell_case("RNNCell", True, nonlinearity="relu")
    write_safetensors(os.path.join(OUT, "io.safetensors"), io, {"format": "pt"})
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, indent=1)
        f.write("\n")
    print(f"{len(cases)} cases written to {OUT}")


if __name__ == "__main__":
    main()
