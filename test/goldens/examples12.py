"""Goldens for the cnn and vae examples: pytorch/examples' MNIST `Net` and `VAE`, at reduced sizes.

Run with PyTorch 1.13 (Debian's python3-torch): /usr/bin/python3 test/goldens/examples12.py
It writes test/goldens/examples12.json, which test/examples/cnn.test.ts and vae.test.ts load: the
float64 state dicts, inputs, outputs, losses and parameter gradients of the two models below. The
model code is pytorch/examples' (mnist/main.py and vae/main.py) with the layer sizes made
parameters, so that the goldens stay small.
"""

import json
import os

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(20261212)
torch.set_default_dtype(torch.float64)


class Net(nn.Module):
    """mnist/main.py's Net; c1=32, c2=64, hidden=128, fc_in=9216 there."""

    def __init__(self, c1, c2, hidden, fc_in):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, c1, 3, 1)
        self.conv2 = nn.Conv2d(c1, c2, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(fc_in, hidden)
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


class VAE(nn.Module):
    """vae/main.py's VAE; pixels=784, hidden=400, latent=20 there. `eps` is passed in here."""

    def __init__(self, pixels, hidden, latent):
        super(VAE, self).__init__()
        self.pixels = pixels
        self.fc1 = nn.Linear(pixels, hidden)
        self.fc21 = nn.Linear(hidden, latent)
        self.fc22 = nn.Linear(hidden, latent)
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, pixels)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar, eps):
        std = torch.exp(0.5 * logvar)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x, eps):
        mu, logvar = self.encode(x.view(-1, self.pixels))
        z = self.reparameterize(mu, logvar, eps)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar, pixels):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, pixels), reduction="sum")
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def flat(t):
    return {"shape": list(t.shape), "data": t.detach().flatten().tolist()}


def grads(model):
    return {name: flat(p.grad) for name, p in model.named_parameters()}


# --- cnn: 10×10 images, conv 1→3→4, pool → 4·3·3 = 36 features, fc 36→6→10
cnn = Net(3, 4, 6, 36)
x = torch.randn(5, 1, 10, 10)
target = torch.tensor([3, 0, 9, 3, 7])
cnn.eval()  # dropout off: the outputs and gradients are deterministic
out = cnn(x)
loss = F.nll_loss(out, target)
loss.backward()
cnn_golden = {
    "sizes": {"channels": [3, 4], "hidden": 6, "imageSize": [10, 10]},
    "state": {k: flat(v) for k, v in cnn.state_dict().items()},
    "input": flat(x),
    "target": target.tolist(),
    "output": flat(out),
    "loss": loss.item(),
    "grads": grads(cnn),
}

# --- vae: 36 pixels, hidden 10, latent 3
vae = VAE(36, 10, 3)
xv = torch.rand(4, 6, 6)
eps = torch.randn(4, 3)
recon, mu, logvar = vae(xv, eps)
vloss = loss_function(recon, xv, mu, logvar, 36)
vloss.backward()
vae_golden = {
    "sizes": {"pixels": 36, "hidden": 10, "latent": 3},
    "state": {k: flat(v) for k, v in vae.state_dict().items()},
    "input": flat(xv),
    "eps": flat(eps),
    "recon": flat(recon),
    "mu": flat(mu),
    "logvar": flat(logvar),
    "loss": vloss.item(),
    "grads": grads(vae),
}

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "examples12.json"), "w") as f:
    json.dump({"torch": torch.__version__, "cnn": cnn_golden, "vae": vae_golden}, f, indent=1)
print("cnn loss", loss.item(), "vae loss", vloss.item())
