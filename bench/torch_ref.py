"""PyTorch twin of the model workloads W5-W9 (bench/lib/data.ts), for `pnpm bench:peers`.

Run as `python3 bench/torch_ref.py <w5|...|w9> <dataDir> [threads=N] [dtype=float64]`; reads the data
folder written by bench/lib/data.ts (manifest.json, raw little-endian float32/int32 files, and each
workload's initial weights as a safetensors file, read by the small reader below: the `safetensors`
package is not assumed) and prints one line `BENCH_RESULT <json>` with the fields of WorkloadResult
(bench/lib/protocol.ts). float32 as in the JS libraries; `dtype=float64` runs the same steps in
float64 from the same float32 weights and data (used to measure how far float32 rounding moves the
losses: see bench/README.md). Threads: torch.set_num_threads(threads, default 2) and
OPENBLAS_NUM_THREADS=1 (set here when the environment has none, before torch is imported).
The programs follow pytorch/examples (mnist, word_language_model, vae), makemore and nanoGPT, with
dropout p = 0 so that every library computes the same losses.
"""

import json
import math
import os
import resource
import statistics
import struct
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

DTYPES = {"int32": torch.int32, "float32": torch.float32}


def load(data_dir, ref, dtype=torch.float32):
    """A raw little-endian array of the data folder (float arrays converted to `dtype`)."""
    with open(os.path.join(data_dir, ref["file"]), "rb") as f:
        buf = bytearray(f.read())
    t = torch.frombuffer(buf, dtype=DTYPES[ref["dtype"]]).reshape(ref["shape"])
    return t.long() if ref["dtype"] == "int32" else t.to(dtype)


def read_safetensors(path, dtype=torch.float32):
    """{name: tensor} from a safetensors file of F32 tensors: 8-byte header length, JSON header, data."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf8"))
    data = bytearray(raw[8 + n :])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise ValueError(f"{path}: {name} is {info['dtype']}, only F32 is read here")
        begin, end = info["data_offsets"]
        out[name] = torch.frombuffer(data, dtype=torch.float32, count=(end - begin) // 4, offset=begin).reshape(info["shape"]).to(dtype)
    return out


def rss_mb():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return peak_rss_mb()


def peak_rss_mb():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


# --- the models (PyTorch's names, so the safetensors files load with strict=True) ---


class MnistNet(nn.Module):
    """pytorch/examples mnist Net, dropout p = 0."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0)
        self.dropout2 = nn.Dropout(0)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = torch.flatten(self.dropout1(x), 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)


class MakemoreMLP(nn.Module):
    def __init__(self, vocab, block, emb, hidden):
        super().__init__()
        self.wte = nn.Embedding(vocab, emb)
        self.mlp = nn.Sequential(nn.Linear(block * emb, hidden), nn.Tanh(), nn.Linear(hidden, vocab))

    def forward(self, idx):
        e = self.wte(idx)
        return self.mlp(e.view(e.shape[0], -1))


class CausalSelfAttention(nn.Module):
    """nanoGPT's attention without flash (torch 1.13 has no scaled_dot_product_attention), dropout 0."""

    def __init__(self, c, heads, block):
        super().__init__()
        self.n_head = heads
        self.c_attn = nn.Linear(c, 3 * c)
        self.c_proj = nn.Linear(c, c)
        self.register_buffer("bias", torch.tril(torch.ones(block, block)).view(1, 1, block, block), persistent=False)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = F.softmax(att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf")), dim=-1)
        return self.c_proj((att @ v).transpose(1, 2).contiguous().view(B, T, C))


class GptMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_fc = nn.Linear(c, 4 * c)
        self.gelu = nn.GELU()  # exact (erf) GELU
        self.c_proj = nn.Linear(4 * c, c)

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, c, heads, block):
        super().__init__()
        self.ln_1 = nn.LayerNorm(c)
        self.attn = CausalSelfAttention(c, heads, block)
        self.ln_2 = nn.LayerNorm(c)
        self.mlp = GptMLP(c)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """nanoGPT (no weight tying, as tensorgrad's example)."""

    def __init__(self, vocab, block, layers, heads, c):
        super().__init__()
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(vocab, c),
                wpe=nn.Embedding(block, c),
                h=nn.ModuleList([Block(c, heads, block) for _ in range(layers)]),
                ln_f=nn.LayerNorm(c),
            )
        )
        self.lm_head = nn.Linear(c, vocab, bias=False)

    def forward(self, idx):
        t = idx.shape[1]
        x = self.transformer.wte(idx) + self.transformer.wpe(torch.arange(t))
        for block in self.transformer.h:
            x = block(x)
        return self.lm_head(self.transformer.ln_f(x))


class RNNModel(nn.Module):
    """word_language_model's RNNModel (LSTM), dropout 0."""

    def __init__(self, ntoken, ninp, nhid, nlayers):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(0)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=0)
        self.decoder = nn.Linear(nhid, ntoken)

    def forward(self, x, hidden):
        emb = self.drop(self.encoder(x))
        output, hidden = self.rnn(emb, hidden)
        decoded = self.decoder(self.drop(output)).view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden


class VAE(nn.Module):
    """pytorch/examples VAE; the reparameterization's eps is passed in."""

    def __init__(self, pixels, hidden, latent):
        super().__init__()
        self.fc1 = nn.Linear(pixels, hidden)
        self.fc21 = nn.Linear(hidden, latent)
        self.fc22 = nn.Linear(hidden, latent)
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, pixels)

    def forward(self, x, eps):
        h1 = F.relu(self.fc1(x))
        mu, logvar = self.fc21(h1), self.fc22(h1)
        z = mu + eps * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


# --- the workloads ---


def train_loop(spec, step):
    """warmup + timed steps; median of the timed steps' times, loss of the first and of the last."""
    base = rss_mb()
    times, first, loss = [], None, None
    for i in range(spec["warmup"] + spec["timed"]):
        t0 = time.perf_counter()
        loss = step(i)
        if i >= spec["warmup"]:
            times.append(time.perf_counter() - t0)
        if i == 0:
            first = float(loss)
    return {"seconds": statistics.median(times), "firstLoss": first, "loss": float(loss), "baseRssMB": base}


def setup(model, spec, d, dtype):
    model.load_state_dict(read_safetensors(os.path.join(d, spec["weights"]), dtype), strict=True)
    return model.to(dtype).train()


def w5(m, d, dtype):
    s = m["w5"]
    model = setup(MnistNet(), s, d, dtype)
    xs, ys = load(d, s["x"], dtype), load(d, s["y"])
    opt = torch.optim.Adadelta(model.parameters(), lr=s["lr"], rho=s["rho"], eps=s["eps"])

    def step(i):
        opt.zero_grad()
        loss = F.nll_loss(model(xs[i % s["nBatches"]]), ys[i % s["nBatches"]])
        loss.backward()
        opt.step()
        return loss

    return train_loop(s, step)


def w6(m, d, dtype):
    s = m["w6"]
    model = setup(MakemoreMLP(s["vocab"], s["blockSize"], s["embDim"], s["hidden"]), s, d, dtype)
    xs, ys = load(d, s["x"]), load(d, s["y"])
    opt = torch.optim.SGD(model.parameters(), lr=s["lr"])

    def step(i):
        opt.zero_grad()
        loss = F.cross_entropy(model(xs[i % s["nBatches"]]), ys[i % s["nBatches"]])
        loss.backward()
        opt.step()
        return loss

    return train_loop(s, step)


def w7(m, d, dtype):
    s = m["w7"]
    model = setup(GPT(s["vocab"], s["blockSize"], s["nLayer"], s["nHead"], s["nEmbd"]), s, d, dtype)
    xs, ys = load(d, s["x"]), load(d, s["y"])
    opt = torch.optim.AdamW(model.parameters(), lr=s["lr"], betas=tuple(s["betas"]), eps=s["eps"], weight_decay=s["weightDecay"])

    def step(i):
        opt.zero_grad()
        logits = model(xs[i % s["nBatches"]])
        loss = F.cross_entropy(logits.view(-1, s["vocab"]), ys[i % s["nBatches"]].view(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), s["clip"])
        opt.step()
        return loss

    return train_loop(s, step)


def w8(m, d, dtype):
    s = m["w8"]
    model = setup(RNNModel(s["vocab"], s["emb"], s["hidden"], s["layers"]), s, d, dtype)
    xs, ys = load(d, s["x"]), load(d, s["y"])
    opt = torch.optim.SGD(model.parameters(), lr=s["lr"])
    shape = (s["layers"], s["batch"], s["hidden"])
    state = {"h": (torch.zeros(shape, dtype=dtype), torch.zeros(shape, dtype=dtype))}

    def step(i):
        hidden = tuple(h.detach() for h in state["h"])  # repackage_hidden
        opt.zero_grad()
        out, state["h"] = model(xs[i % s["nBatches"]], hidden)
        loss = F.nll_loss(out, ys[i % s["nBatches"]])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), s["clip"])
        opt.step()
        return loss

    return train_loop(s, step)


def w9(m, d, dtype):
    s = m["w9"]
    model = setup(VAE(s["pixels"], s["hidden"], s["latent"]), s, d, dtype)
    xs, noise = load(d, s["x"], dtype), load(d, s["noise"], dtype)
    opt = torch.optim.Adam(model.parameters(), lr=s["lr"], betas=tuple(s["betas"]), eps=s["eps"])

    def step(i):
        opt.zero_grad()
        x = xs[i % s["nBatches"]]
        recon, mu, logvar = model(x, noise[i % s["nBatches"]])
        bce = F.binary_cross_entropy(recon, x, reduction="sum")
        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        loss = bce + kld
        loss.backward()
        opt.step()
        return loss

    return train_loop(s, step)


def main():
    workload, data_dir = sys.argv[1], sys.argv[2]
    options = dict(kv.split("=", 1) for kv in sys.argv[3:])
    torch.set_num_threads(int(options.get("threads", "2")))
    dtype = {"float32": torch.float32, "float64": torch.float64}[options.get("dtype", "float32")]
    with open(os.path.join(data_dir, "manifest.json")) as f:
        manifest = json.load(f)
    runs = {"w5": w5, "w6": w6, "w7": w7, "w8": w8, "w9": w9}
    if workload not in runs:
        raise SystemExit(f"torch_ref: {workload} is not implemented for PyTorch (W5-W9 only)")
    # Discarded whole runs until prewarmSeconds have passed, as every library does (bench/README.md).
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < manifest[workload]["prewarmSeconds"]:
        runs[workload](manifest, data_dir, dtype)
    result = runs[workload](manifest, data_dir, dtype)
    note = f"torch {torch.__version__}, {torch.get_num_threads()} threads, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}"
    result.update(workload=workload, peakRssMB=peak_rss_mb(), note=note + ("" if dtype == torch.float32 else ", float64"))
    print("BENCH_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
