"""Records PyTorch's index_select, index_add and embedding (values and gradients) as goldens.

Run with PyTorch 1.13 (Debian's python3-torch): /usr/bin/python3 test/goldens/index_rows.py
It writes test/goldens/index_rows.json, which test/autograd/index-select.test.ts compares against.

Each case is computed in float64: the output and the gradient of sum(output * gradOutput) with
respect to each floating-point input (gradOutput random, recorded). Indices are int32 in
tensorgrad, int64 here; dims and alpha are recorded as given (negative dims included).
"""

import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(20261205)
torch.set_default_dtype(torch.float64)


def enc(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().flatten().tolist()]}


def idx(values, shape=None):
    t = torch.tensor(values, dtype=torch.int64)
    return t.reshape(shape) if shape is not None else t


cases = []


def case(name, op, floats, index, args, call):
    leaves = {k: v.clone().requires_grad_(True) for k, v in floats.items()}
    out = call(index=index, **leaves)
    g = torch.randn(out.shape)
    (out * g).sum().backward()
    cases.append({
        "name": name,
        "op": op,
        "inputs": {k: enc(v) for k, v in floats.items()},
        "index": {"shape": list(index.shape), "data": index.flatten().tolist()},
        "args": args,
        "out": enc(out),
        "gradOut": enc(g),
        "grads": {k: enc(v.grad if v.grad is not None else torch.zeros_like(v)) for k, v in leaves.items()},
    })


def index_select(name, shape, dim, index):
    case(name, "indexSelect", {"x": torch.randn(shape)}, index, {"dim": dim},
         lambda index, x: torch.index_select(x, dim, index))


def index_add(name, shape, dim, index, alpha):
    src_shape = list(shape)
    src_shape[dim] = index.numel()
    case(name, "indexAdd", {"base": torch.randn(shape), "src": torch.randn(src_shape)}, index,
         {"dim": dim, "alpha": alpha},
         lambda index, base, src: torch.index_add(base, dim, index, src, alpha=alpha))


def embedding(name, num, dim, index, padding_idx):
    case(name, "embedding", {"weight": torch.randn(num, dim)}, index, {"paddingIdx": padding_idx},
         lambda index, weight: F.embedding(index, weight, padding_idx=padding_idx))


index_select("rows, repeated", [4, 3], 0, idx([2, 0, 2, 3]))
index_select("last dim via -1", [2, 3, 4], -1, idx([3, 3, 1]))
index_select("middle dim", [2, 3, 4], 1, idx([1, 1, 0, 2, 1]))
index_select("empty index", [2, 3, 4], 1, idx([], [0]))
index_select("0-d index", [5], 0, idx(3))
index_select("0-size other dim", [0, 3], 1, idx([2, 0]))

index_add("rows, repeated", [5, 3], 0, idx([1, 4, 1]), 1)
index_add("last dim via -1, alpha", [2, 4], -1, idx([0, 0, 3]), 2.5)
index_add("middle dim, negative alpha", [2, 3, 2], 1, idx([2, 0, 2, 2]), -0.5)
index_add("empty index", [2, 3], 1, idx([], [0]), 1)

embedding("2-d indices, repeated", 6, 4, idx([[1, 5, 1], [0, 5, 2]]), None)
embedding("paddingIdx", 6, 4, idx([[1, 5, 1], [0, 5, 2]]), 5)
embedding("negative paddingIdx", 6, 4, idx([3, 0, 5, 0]), -6)
embedding("empty indices", 3, 2, idx([], [0, 3]), None)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "index_rows.json")
with open(path, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, indent=None, separators=(",", ":"))
    f.write("\n")
print(f"wrote {len(cases)} cases to {path}")
