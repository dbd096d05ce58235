"""Writes a small PyTorch CNN's state dict as safetensors, plus an input and PyTorch's output.

Run with PyTorch 1.13 (Debian's python3-torch): /usr/bin/python3 test/goldens/conv_model.py
It writes test/goldens/conv_model.safetensors (the state dict exactly as PyTorch holds it:
float32 weights, int64 num_batches_tracked) and test/goldens/conv_model.json (the input, the
eval-mode output, and print(model)), which test/nn/conv-layers.test.ts loads and compares.
The safetensors package is not installed here, so the file is written by safetensors_file.py
beside this script.
"""

import json
import os

import torch
from torch import nn
from safetensors_file import write_safetensors

torch.manual_seed(20261124)

model = nn.Sequential(
    nn.Conv2d(1, 4, 3, padding=1),
    nn.BatchNorm2d(4),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(4, 6, 3, padding="same", padding_mode="reflect", groups=2, bias=False),
    nn.GroupNorm(3, 6),
    nn.ReLU(),
    nn.ConvTranspose2d(6, 4, 2, stride=2),
    nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    nn.AdaptiveAvgPool2d((2, 3)),
    nn.Dropout2d(0.3),
    nn.Flatten(),
    nn.Linear(24, 5),
    nn.Unflatten(1, (1, 5)),
)

# A few training-mode passes so BatchNorm's running stats (and batch count) are not the defaults.
with torch.no_grad():
    for _ in range(3):
        model(torch.randn(6, 1, 8, 8) * 2 + 0.5)
model.eval()

x = torch.randn(3, 1, 8, 8)
with torch.no_grad():
    y = model(x)

here = os.path.dirname(os.path.abspath(__file__))
state = model.state_dict()
write_safetensors(os.path.join(here, "conv_model.safetensors"), state, {"format": "pt"})
with open(os.path.join(here, "conv_model.json"), "w") as f:
    json.dump({
        "torch": torch.__version__,
        "input": {"shape": list(x.shape), "data": x.flatten().tolist()},
        "output": {"shape": list(y.shape), "data": y.flatten().tolist()},
        "repr": str(model),
        "keys": list(state.keys()),
    }, f, indent=1)
print(model)
print("wrote", offset, "bytes of tensors")
