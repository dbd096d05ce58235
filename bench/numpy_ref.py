"""NumPy reference for the tensorgrad benchmarks: the same workloads, gradients written by hand.

Run by `pnpm bench:peers` as `python3 bench/numpy_ref.py <w1|w2|w3|w4> <dataDir>`; reads the data
folder written by bench/lib/data.ts (manifest.json + raw little-endian float32/int32 files) and
prints one line `BENCH_RESULT <json>` with the fields of WorkloadResult (bench/lib/protocol.ts).
Everything is float32, as in the JS libraries.
"""

import json
import os
import resource
import statistics
import sys
import time

import numpy as np

F32 = np.float32


def load(data_dir, ref):
    dtype = np.int32 if ref["dtype"] == "int32" else np.float32
    return np.fromfile(os.path.join(data_dir, ref["file"]), dtype="<" + np.dtype(dtype).str[1:]).reshape(ref["shape"])


def rss_mb():
    """Resident set size now (Linux /proc), in MB; falls back to the peak elsewhere."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return peak_rss_mb()


def peak_rss_mb():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KB on Linux


def w1(m, d):
    s = m["w1"]
    n = s["n"]
    a, b = load(d, s["a"]), load(d, s["b"])
    base = rss_mb()
    for _ in range(s["warmup"]):
        c = a @ b
    times = []
    for _ in range(s["reps"]):
        t0 = time.perf_counter()
        c = a @ b
        times.append(time.perf_counter() - t0)
    sec = statistics.median(times)
    probes = [float(c[i, j]) for i, j, _ in s["probes"]]
    return {"seconds": sec, "gflops": 2 * n**3 / sec / 1e9, "probes": probes, "baseRssMB": base}


def w2(m, d):
    s = m["w2"]
    xs, ys = load(d, s["x"]), load(d, s["y"])
    w1_, b1, w2_, b2 = (load(d, s[k]).copy() for k in ("w1", "b1", "w2", "b2"))
    lr = F32(s["lr"])
    batch = s["batch"]
    rows = np.arange(batch)
    base = rss_mb()

    def step(i):
        nonlocal w1_, b1, w2_, b2
        x, y = xs[i % s["nBatches"]], ys[i % s["nBatches"]]
        pre = x @ w1_.T + b1
        h = np.maximum(pre, F32(0))
        logits = h @ w2_.T + b2
        z = logits - logits.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        loss = -logp[rows, y].mean()
        # d loss / d logits = (softmax − onehot) / batch
        g = np.exp(logp)
        g[rows, y] -= F32(1)
        g /= F32(batch)
        g_w2, g_b2 = g.T @ h, g.sum(axis=0)
        gh = (g @ w2_) * (pre > 0)  # relu'(pre) = [pre > 0]
        g_w1, g_b1 = gh.T @ x, gh.sum(axis=0)
        w1_ = w1_ - lr * g_w1
        b1 = b1 - lr * g_b1
        w2_ = w2_ - lr * g_w2
        b2 = b2 - lr * g_b2
        return float(loss)

    times, first, loss = [], None, None
    for i in range(s["warmup"] + s["timed"]):
        t0 = time.perf_counter()
        loss = step(i)
        if i >= s["warmup"]:
            times.append(time.perf_counter() - t0)
        if i == 0:
            first = loss
    return {"seconds": statistics.median(times), "firstLoss": first, "loss": loss, "baseRssMB": base}


def w3(m, d):
    s = m["w3"]
    x, y = load(d, s["x"]), load(d, s["y"])
    w1_, b1, w2_, b2 = (load(d, s[k]).copy() for k in ("w1", "b1", "w2", "b2"))
    lr = F32(s["lr"])
    n = F32(x.shape[0])
    base = rss_mb()
    t0 = time.perf_counter()
    loss = None
    for _ in range(s["steps"]):
        h = F32(1) / (F32(1) + np.exp(-(x @ w1_.T + b1)))
        diff = h @ w2_.T + b2 - y
        loss = (diff * diff).mean() * F32(0.5)
        g = diff / n  # d/d out of mean(diff²)/2
        g_w2, g_b2 = g.T @ h, g.sum(axis=0)
        gz = (g @ w2_) * h * (F32(1) - h)  # σ' = σ(1 − σ)
        g_w1, g_b1 = gz.T @ x, gz.sum(axis=0)
        w1_ = w1_ - lr * g_w1
        b1 = b1 - lr * g_b1
        w2_ = w2_ - lr * g_w2
        b2 = b2 - lr * g_b2
    return {"seconds": time.perf_counter() - t0, "loss": float(loss), "baseRssMB": base}


def w4(m, _d):
    s = m["w4"]
    a, b = F32(s["a"]), F32(s["b"])
    y = np.array([s["y0"]], dtype=F32)
    base = rss_mb()
    t0 = time.perf_counter()
    dy = np.ones(1, dtype=F32)
    for _ in range(s["n"]):
        y = y * a + b
        dy = dy * a  # chain rule by hand: d(y·a + b)/dy = a
    sec = time.perf_counter() - t0
    return {"seconds": sec, "grad": float(dy[0]), "value": float(y[0]), "baseRssMB": base}


def main():
    workload, data_dir = sys.argv[1], sys.argv[2]
    with open(os.path.join(data_dir, "manifest.json")) as f:
        manifest = json.load(f)
    result = {"w1": w1, "w2": w2, "w3": w3, "w4": w4}[workload](manifest, data_dir)
    config = np.show_config(mode="dicts") if hasattr(np, "show_config") else {}
    blas = config.get("Build Dependencies", {}).get("blas", {}).get("name", "?") if isinstance(config, dict) else "?"
    result.update(workload=workload, peakRssMB=peak_rss_mb(), note=f"numpy {np.__version__}, BLAS {blas}, gradients by hand")
    print("BENCH_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
