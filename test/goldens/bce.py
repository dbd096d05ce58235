"""Records PyTorch's binary_cross_entropy (reduction "none"): values and gradients, p at 0 and 1 included.

Run with PyTorch 1.13 (Debian's python3-torch): /usr/bin/python3 test/goldens/bce.py
It writes test/goldens/bce.json, which test/autograd/binary-cross-entropy.test.ts compares against.
"""

import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(20261205)
p = torch.tensor([0.0, 1.0, 1e-30, 0.3, 0.999, 0.5, 0.02, 1.0], dtype=torch.float64, requires_grad=True)
y = torch.tensor([0.0, 1.0, 0.7, 1.0, 0.0, 0.5, 0.25, 0.4], dtype=torch.float64, requires_grad=True)
out = F.binary_cross_entropy(p, y, reduction="none")
g = torch.randn(out.shape, dtype=torch.float64)
(out * g).sum().backward()
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bce.json")
with open(path, "w") as f:
    json.dump({"torch": torch.__version__, "p": p.tolist(), "y": y.tolist(), "out": out.tolist(), "gradOut": g.tolist(),
               "gradP": p.grad.tolist(),
               # PyTorch leaves the target's gradient unclamped (±inf at p = 0 or 1, where ours is
               # finite, as the clamped loss): recorded as null there and not compared.
               "gradY": [v if abs(v) != float("inf") else None for v in y.grad.tolist()]}, f)
    f.write("\n")
