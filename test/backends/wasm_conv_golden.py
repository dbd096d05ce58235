"""Records PyTorch float64 results for the float32 accuracy test of the wasm convolution kernels.

Run with PyTorch 1.13 (Debian's python3-torch): /usr/bin/python3 test/backends/wasm_conv_golden.py
It writes test/backends/wasm-conv-golden.json, which test/backends/wasm-conv.test.ts compares
against.

The case is the MNIST net's first convolution: x [64, 1, 28, 28], weight [32, 1, 3, 3], bias,
then max pooling 2, and loss = sum(conv * G) + sum(pool * P). Each weight-gradient entry is a
sum of 64 * 26 * 26 = 43264 products, and, as with MNIST's images (a constant background), x has
a large mean while G's is near zero, so the sum is small against its terms: the long float32
chain the kernels must keep accurate. Inputs come from exact integer formulas (value(i, a, b) below, also
written in the test), rounded to float32, so both sides start from the same float32 values; the
reference is computed in float64 from them.
"""

import json
import os

import torch
import torch.nn.functional as F


def value(n, a, b):
    """((i * a + b) mod 2001 - 1000) / 1000 for i = 0..n-1, rounded to float32, as float64."""
    i = torch.arange(n, dtype=torch.int64)
    v = ((i * a + b) % 2001 - 1000).double() / 1000
    return v.float().double()


N, C, O, H, W = 64, 1, 32, 28, 28
x = value(N * C * H * W, 7919, 13).mul(0.1).add(1).float().double().reshape(N, C, H, W).requires_grad_()
w = value(O * C * 9, 104729, 5).reshape(O, C, 3, 3).mul(0.3).float().double().requires_grad_()
b = value(O, 31, 7).requires_grad_()
G = value(N * O * 26 * 26, 1299709, 3).reshape(N, O, 26, 26)
P = value(N * O * 13 * 13, 15485863, 11).reshape(N, O, 13, 13)

y = F.conv2d(x, w, b)
z = F.max_pool2d(y, 2)
loss = (y * G).sum() + (z * P).sum()
loss.backward()

# Every 997th element of the large tensors, all of the small ones.
sample = lambda t: [float(v) for v in t.detach().flatten()[::997].tolist()]
out = {
    "y": sample(y),
    "z": sample(z),
    "xGrad": sample(x.grad),
    "wGrad": [float(v) for v in w.grad.flatten().tolist()],
    "bGrad": [float(v) for v in b.grad.flatten().tolist()],
    "every": 997,
    "torch": torch.__version__,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wasm-conv-golden.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", path)
