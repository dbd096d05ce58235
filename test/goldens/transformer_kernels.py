"""Records PyTorch's gelu (both forms), layer_norm and the attention softmax (scale, causal mask,
softmax) with their gradients into transformer_kernels.json, which
test/autograd/transformer-kernels.test.ts compares against (issue 13's fused kernels).

Run with the system Python that has PyTorch (1.13 here):  /usr/bin/python3 test/goldens/transformer_kernels.py

Every case records a random gout and the gradients of sum(out * gout) with respect to each input.
The gelu grid covers the tails (|x| up to 10) where Φ is tiny or 1; float64 throughout.
"""

import json
import math
import os

import torch
import torch.nn.functional as F

torch.manual_seed(13)
f64 = torch.float64
HERE = os.path.dirname(os.path.abspath(__file__))


def enc(t):
    t = t.detach()
    data = [v if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")) for v in t.reshape(-1).tolist()]
    return {"shape": list(t.shape), "dtype": "float64", "data": data}


def grads(out, inputs):
    gout = torch.randn(out.shape, dtype=f64)
    gs = torch.autograd.grad((out * gout).sum(), inputs)
    return gout, gs


cases = {"torch": torch.__version__, "gelu": {}, "layerNorm": {}, "attentionSoftmax": {}}

grid = torch.cat([torch.linspace(-10, 10, 81, dtype=f64), torch.randn(40, dtype=f64) * 3])
for approximate in ["none", "tanh"]:
    x = grid.clone().requires_grad_()
    out = F.gelu(x, approximate=approximate)
    gout, (gx,) = grads(out, [x])
    cases["gelu"][approximate] = {"x": enc(x), "out": enc(out), "gout": enc(gout), "gx": enc(gx)}

for name, shape, norm, affine in [
    ("[4, 6] over the last dim, affine", [4, 6], [6], True),
    ("[2, 3, 4] over the last two dims, affine", [2, 3, 4], [3, 4], True),
    ("[3, 5] without weight and bias", [3, 5], [5], False),
]:
    x = (torch.randn(shape, dtype=f64) * 2 + 0.5).requires_grad_()
    w = (torch.randn(norm, dtype=f64) + 1).requires_grad_() if affine else None
    b = torch.randn(norm, dtype=f64).requires_grad_() if affine else None
    out = F.layer_norm(x, norm, w, b, eps=1e-5)
    inputs = [x, w, b] if affine else [x]
    gout, gs = grads(out, inputs)
    case = {"x": enc(x), "normalizedShape": norm, "eps": 1e-5, "out": enc(out), "gout": enc(gout), "gx": enc(gs[0])}
    if affine:
        case.update({"weight": enc(w), "bias": enc(b), "gweight": enc(gs[1]), "gbias": enc(gs[2])})
    cases["layerNorm"][name] = case

for name, (B, H, L, S), causal, scale in [
    ("causal [2, 2, 5, 5], scale 0.5", (2, 2, 5, 5), True, 0.5),
    ("causal [1, 3, 3, 6] (fewer queries than keys), scale 1/sqrt(8)", (1, 3, 3, 6), True, 1 / math.sqrt(8)),
    ("causal [1, 1, 6, 4] (more queries than keys), scale 2", (1, 1, 6, 4), True, 2.0),
    ("unmasked [2, 1, 4, 7], scale 0.3", (2, 1, 4, 7), False, 0.3),
]:
    x = (torch.randn(B, H, L, S, dtype=f64) * 3).requires_grad_()
    s = x * scale
    if causal:
        keep = torch.ones(L, S, dtype=torch.bool).tril()
        s = s.masked_fill(~keep, float("-inf"))
    out = torch.softmax(s, -1)
    gout, (gx,) = grads(out, [x])
    cases["attentionSoftmax"][name] = {"x": enc(x), "causal": causal, "scale": scale, "out": enc(out), "gout": enc(gout), "gx": enc(gx)}

with open(os.path.join(HERE, "transformer_kernels.json"), "w") as f:
    json.dump(cases, f)
    f.write("\n")
