"""Records PyTorch's attention and transformer results for issue 12 into attention.json, and small
float64 state dicts into attention/*.safetensors, which test/autograd/attention.test.ts and
test/nn/transformer.test.ts compare against.

Run with the system Python that has PyTorch (1.13 here):  /usr/bin/python3 test/goldens/attention.py

PyTorch 1.13 has neither F.scaled_dot_product_attention nor nn.RMSNorm (both came later, 2.0 and
2.4). For those two this script spells out the reference formulas of PyTorch 2.x's documentation
in torch ops (sdpa_reference, rms_norm_reference below), and torch's autograd differentiates
them. nn.MultiheadAttention, nn.TransformerEncoderLayer and nn.TransformerEncoder are PyTorch's
own modules. 1.13's MultiheadAttention has no is_causal argument: the cases that test our
isCausal record PyTorch with the explicit causal mask instead.

The safetensors files are written by hand (no safetensors package here): an 8-byte little-endian
header length, the JSON header (space-padded to a multiple of 8), then the raw little-endian data.
Every case records a random gout (and gweights) and the gradients of
sum(out * gout) + sum(weights * gweights) with respect to the inputs and every parameter.
"""

import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors_file import write_safetensors

torch.manual_seed(12)
f64 = torch.float64
HERE = os.path.dirname(os.path.abspath(__file__))
STATE_DIR = os.path.join(HERE, "attention")


def enc(t):
    """A tensor as {shape, dtype, data} with non-finite numbers as strings (JSON has no NaN)."""
    t = t.detach()
    dtype = {torch.float64: "float64", torch.float32: "float32", torch.int64: "int32", torch.bool: "bool"}[t.dtype]
    data = []
    for v in t.reshape(-1).tolist():
        if isinstance(v, bool):
            data.append(1 if v else 0)
        elif isinstance(v, float) and not math.isfinite(v):
            data.append("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))
        else:
            data.append(v)
    return {"shape": list(t.shape), "dtype": dtype, "data": data}


def rnd(*shape):
    return torch.randn(*shape, dtype=f64)


def save_safetensors(name, module):
    """The module's state dict as a safetensors file (float64 tensors, sorted by name)."""
    sd = module.state_dict()
    os.makedirs(STATE_DIR, exist_ok=True)
    write_safetensors(os.path.join(STATE_DIR, f"{name}.safetensors"), {key: sd[key].to(f64) for key in sorted(sd)})
    return f"{name}.safetensors"


def backward_record(rec, outs, leaves, params=None):
    """Random cotangents for `outs`, and the gradients of Σ out·gout for `leaves` (and params by name)."""
    gouts = [torch.randn(o.shape, dtype=o.dtype) for o in outs]
    total = sum((o * g).sum() for o, g in zip(outs, gouts))
    named = list(params.items()) if params else []
    wrt = [t for _, t in leaves] + [p for _, p in named]
    grads = torch.autograd.grad(total, wrt, allow_unused=True)
    grads = [g if g is not None else torch.zeros_like(t) for g, t in zip(grads, wrt)]
    rec["gouts"] = [enc(g) for g in gouts]
    rec["grads"] = {name: enc(g) for (name, _), g in zip(leaves, grads)}
    if named:
        rec["paramGrads"] = {name: enc(g) for (name, _), g in zip(named, grads[len(leaves):])}
    return grads


# ---------------------------------------------------------------- scaled dot-product attention


def sdpa_reference(query, key, value, attn_mask=None, is_causal=False, scale=None):
    """PyTorch 2.x's documented reference for F.scaled_dot_product_attention (dropout_p = 0)."""
    L, S = query.size(-2), key.size(-2)
    scale_factor = 1 / math.sqrt(query.size(-1)) if scale is None else scale
    attn_bias = torch.zeros(L, S, dtype=query.dtype)
    if is_causal:
        assert attn_mask is None
        temp_mask = torch.ones(L, S, dtype=torch.bool).tril(diagonal=0)
        attn_bias = attn_bias.masked_fill(temp_mask.logical_not(), float("-inf"))
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            attn_bias = attn_bias.masked_fill(attn_mask.logical_not(), float("-inf"))
        else:
            attn_bias = attn_mask + attn_bias
    attn_weight = query @ key.transpose(-2, -1) * scale_factor
    attn_weight = attn_weight + attn_bias
    attn_weight = torch.softmax(attn_weight, dim=-1)
    return attn_weight @ value


sdpa = {}


def sdpa_case(name, q, k, v, mask=None, is_causal=False, scale=None, gradgrad=False):
    leaves = [("query", q.clone().requires_grad_()), ("key", k.clone().requires_grad_()), ("value", v.clone().requires_grad_())]
    if mask is not None:
        mask = mask.clone()
        if mask.is_floating_point():
            mask.requires_grad_()
            leaves.append(("attnMask", mask))
    out = sdpa_reference(*[t for _, t in leaves[:3]], attn_mask=mask, is_causal=is_causal, scale=scale)
    rec = {"inputs": {name: enc(t) for name, t in leaves}, "isCausal": is_causal, "scale": scale, "out": enc(out)}
    if mask is not None:
        rec["inputs"]["attnMask"] = enc(mask)
    gouts = torch.randn(out.shape, dtype=f64)
    grads = torch.autograd.grad((out * gouts).sum(), [t for _, t in leaves], create_graph=gradgrad)
    rec["gouts"] = [enc(gouts)]
    rec["grads"] = {name: enc(g) for (name, _), g in zip(leaves, grads)}
    if gradgrad:
        vs = [torch.randn(t.shape, dtype=f64) for _, t in leaves]
        total = sum((g * w).sum() for g, w in zip(grads, vs))
        gg = torch.autograd.grad(total, [t for _, t in leaves], allow_unused=True)
        rec["v"] = {name: enc(w) for (name, _), w in zip(leaves, vs)}
        rec["gradgrad"] = {name: enc(g if g is not None else torch.zeros_like(t)) for (name, t), g in zip(leaves, gg)}
    sdpa[name] = rec


def bool_mask(*shape, p=0.35):
    """A random bool mask (true = takes part) whose first key column always takes part."""
    m = torch.rand(*shape) > p
    m[..., 0] = True
    return m


sdpa_case("3-d, value dim differs", rnd(2, 3, 4), rnd(2, 5, 4), rnd(2, 5, 6), gradgrad=True)
sdpa_case("4-d causal, L = S", rnd(2, 2, 4, 3), rnd(2, 2, 4, 3), rnd(2, 2, 4, 3), is_causal=True, gradgrad=True)
sdpa_case("causal, L < S (top-left triangle)", rnd(3, 4), rnd(5, 4), rnd(5, 2), is_causal=True)
sdpa_case("causal, L > S", rnd(2, 5, 3), rnd(2, 3, 3), rnd(2, 3, 3), is_causal=True)
sdpa_case("bool mask broadcast over batch", rnd(2, 3, 4), rnd(2, 5, 4), rnd(2, 5, 4), mask=bool_mask(3, 5))
sdpa_case("bool mask per batch and head", rnd(2, 2, 3, 4), rnd(2, 2, 5, 4), rnd(2, 2, 5, 4), mask=bool_mask(2, 2, 3, 5))
sdpa_case("float mask with a gradient", rnd(2, 2, 3, 4), rnd(2, 2, 5, 4), rnd(2, 2, 5, 4), mask=rnd(2, 1, 3, 5), gradgrad=True)
sdpa_case("explicit scale", rnd(2, 3, 4), rnd(2, 5, 4), rnd(2, 5, 4), scale=0.3)
sdpa_case("broadcast batch dims", rnd(2, 1, 3, 4), rnd(1, 2, 5, 4), rnd(2, 5, 4))
sdpa_case("unbatched 2-d", rnd(3, 4), rnd(5, 4), rnd(5, 3))
full_row = bool_mask(3, 5)
full_row[1] = False
sdpa_case("a fully masked row gives NaN", rnd(3, 4), rnd(5, 4), rnd(5, 3), mask=full_row)

# ---------------------------------------------------------------- RMSNorm


def rms_norm_reference(x, normalized_shape, weight=None, eps=None):
    """PyTorch 2.4's F.rms_norm: x / sqrt(mean(x², trailing dims) + eps) · weight, eps default finfo(x.dtype).eps."""
    if eps is None:
        eps = torch.finfo(x.dtype).eps
    dims = tuple(range(-len(normalized_shape), 0))
    y = x * torch.rsqrt(x.pow(2).mean(dims, keepdim=True) + eps)
    return y * weight if weight is not None else y


rms = {}


def rms_case(name, x, normalized_shape, affine=True, eps=None):
    x = x.clone().requires_grad_()
    leaves = [("input", x)]
    weight = None
    if affine:
        weight = (1 + 0.5 * torch.randn(normalized_shape, dtype=f64)).to(x.dtype).requires_grad_()
        leaves.append(("weight", weight))
    out = rms_norm_reference(x, normalized_shape, weight, eps)
    rec = {"normalizedShape": list(normalized_shape), "eps": eps, "inputs": {n: enc(t) for n, t in leaves}, "out": enc(out)}
    backward_record(rec, [out], leaves)
    rms[name] = rec


rms_case("[2,3,4] over [4], default eps", rnd(2, 3, 4), [4])
rms_case("[2,3,4] over [3,4], eps 1e-5", rnd(2, 3, 4), [3, 4], eps=1e-5)
rms_case("no affine", rnd(3, 5), [5], affine=False)
# float32 inputs of size ~1e-4: mean(x²) ~ 1e-8, so eps = finfo(float32).eps ≈ 1.19e-7 dominates;
# float64's eps (or LayerNorm's 1e-5) would give a very different result.
rms_case("float32 tiny inputs: eps is float32's machine epsilon", (1e-4 * torch.randn(2, 6)).float(), [6])

# ---------------------------------------------------------------- MultiheadAttention

mha = {}


def mha_case(name, module_file, module, inputs, self_attention=False, **kwargs):
    """module(query, key, value, **kwargs) with gradients for the float inputs and every parameter."""
    leaves = []
    tensors = {}
    for key, t in inputs.items():
        t = t.clone()
        if t.is_floating_point() and key in ("query", "key", "value", "attnMask", "keyPaddingMask"):
            t.requires_grad_()
            leaves.append((key, t))
        tensors[key] = t
    q = tensors["query"]
    k = q if self_attention else tensors["key"]
    v = q if self_attention else tensors["value"]
    out, weights = module(q, k, v, key_padding_mask=tensors.get("keyPaddingMask"), attn_mask=tensors.get("attnMask"), **kwargs)
    rec = {"module": module_file, "selfAttention": self_attention, "inputs": {n: enc(t) for n, t in tensors.items()}, "out": enc(out)}
    rec["needWeights"] = kwargs.get("need_weights", True)
    rec["averageAttnWeights"] = kwargs.get("average_attn_weights", True)
    outs = [out]
    if weights is not None:
        rec["weights"] = enc(weights)
        outs.append(weights)
    backward_record(rec, outs, leaves, dict(module.named_parameters()))
    mha[name] = rec


def padding(n, s, pad):
    """A key padding mask [n, s] (true = padding) with the last pad[i] keys of batch i padded."""
    m = torch.zeros(n, s, dtype=torch.bool)
    for i, p in enumerate(pad):
        if p:
            m[i, s - p:] = True
    return m


def causal_bool(L, S):
    """MultiheadAttention's bool convention: true = NOT allowed (above the diagonal)."""
    return torch.ones(L, S, dtype=torch.bool).triu(1)


m1 = nn.MultiheadAttention(8, 2).double()
for p in m1.parameters():  # PyTorch zeroes the biases: give them values so the test sees them
    if p.dim() == 1:
        nn.init.normal_(p, std=0.2)
f1 = save_safetensors("mha-8x2", m1)
L, N, S = 3, 2, 4
mha_case("self-attention [L, N, E]", f1, m1, {"query": rnd(L, N, 8)}, self_attention=True)
mha_case("cross-attention, L != S", f1, m1, {"query": rnd(L, N, 8), "key": rnd(S, N, 8), "value": rnd(S, N, 8)})
mha_case("keyPaddingMask bool", f1, m1, {"query": rnd(L, N, 8), "keyPaddingMask": padding(N, L, [0, 2])}, self_attention=True)
mha_case("keyPaddingMask float", f1, m1, {"query": rnd(L, N, 8), "keyPaddingMask": 0.5 * rnd(N, L)}, self_attention=True)
mha_case("attnMask bool 2-d", f1, m1, {"query": rnd(L, N, 8), "key": rnd(S, N, 8), "value": rnd(S, N, 8), "attnMask": ~bool_mask(L, S)})
mha_case("attnMask float 2-d plus keyPaddingMask bool", f1, m1,
         {"query": rnd(L, N, 8), "key": rnd(S, N, 8), "value": rnd(S, N, 8), "attnMask": 0.5 * rnd(L, S), "keyPaddingMask": padding(N, S, [1, 2])})
mha_case("attnMask 3-d [N*H, L, S] float", f1, m1, {"query": rnd(L, N, 8), "key": rnd(S, N, 8), "value": rnd(S, N, 8), "attnMask": rnd(N * 2, L, S)})
mha_case("causal (isCausal in ours)", f1, m1, {"query": rnd(L, N, 8), "attnMask": causal_bool(L, L)}, self_attention=True)
mha_case("per-head weights", f1, m1, {"query": rnd(L, N, 8), "keyPaddingMask": padding(N, L, [1, 0])}, self_attention=True, average_attn_weights=False)
mha_case("needWeights false", f1, m1, {"query": rnd(L, N, 8), "key": rnd(S, N, 8), "value": rnd(S, N, 8)}, need_weights=False)
mha_case("unbatched [L, E]", f1, m1, {"query": rnd(L, 8), "key": rnd(S, 8), "value": rnd(S, 8), "keyPaddingMask": padding(1, S, [2])[0]})

m2 = nn.MultiheadAttention(6, 3, kdim=5, vdim=4, add_bias_kv=True, add_zero_attn=True, batch_first=True).double()
for p in m2.parameters():
    if p.dim() == 1:
        nn.init.normal_(p, std=0.2)
f2 = save_safetensors("mha-6x3-kdim5-vdim4-biaskv-zeroattn-batchfirst", m2)
mha_case("kdim/vdim, addBiasKv, addZeroAttn, batchFirst, both masks", f2, m2,
         {"query": rnd(2, 3, 6), "key": rnd(2, 4, 5), "value": rnd(2, 4, 4), "attnMask": ~bool_mask(3, 4), "keyPaddingMask": padding(2, 4, [1, 0])},
         average_attn_weights=False)
mha_case("kdim/vdim, no masks", f2, m2, {"query": rnd(2, 3, 6), "key": rnd(2, 4, 5), "value": rnd(2, 4, 4)})

m3 = nn.MultiheadAttention(4, 1, bias=False, batch_first=True).double()
f3 = save_safetensors("mha-4x1-nobias-batchfirst", m3)
mha_case("one head, no bias, batchFirst", f3, m3, {"query": rnd(2, 3, 4)}, self_attention=True)

# ---------------------------------------------------------------- TransformerEncoder(Layer)

encoders = {}


def encoder_case(name, module_file, module, src, param_grads=True, **kwargs):
    src = src.clone().requires_grad_()
    args = {k: v.clone() for k, v in kwargs.items()}
    out = module(src, **args)
    rec = {"module": module_file, "inputs": {"src": enc(src), **{k: enc(v) for k, v in args.items()}}, "out": enc(out)}
    backward_record(rec, [out], [("src", src)], dict(module.named_parameters()) if param_grads else None)
    encoders[name] = rec


def randomize_norms(module):
    """LayerNorms start at weight 1, bias 0: give them values so the test sees them."""
    for name, p in module.named_parameters():
        if "norm" in name:
            nn.init.normal_(p, mean=1.0 if name.endswith("weight") else 0.0, std=0.2)
        elif p.dim() == 1:
            nn.init.normal_(p, std=0.2)


layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.1)
enc1 = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8)).double().eval()  # eval: dropout off
randomize_norms(enc1)
e1 = save_safetensors("encoder-post-norm-relu", enc1)
Ls, Nb = 4, 2
causal_float = torch.triu(torch.full((Ls, Ls), float("-inf"), dtype=f64), diagonal=1)  # Transformer.generate_square_subsequent_mask
encoder_case("post-norm relu, 2 layers + final norm", e1, enc1, rnd(Ls, Nb, 8))
encoder_case("post-norm relu, causal mask and key padding", e1, enc1, param_grads=False, src=rnd(Ls, Nb, 8), mask=causal_float, src_key_padding_mask=padding(Nb, Ls, [0, 2]))
encoder_case("post-norm relu, bool mask", e1, enc1, param_grads=False, src=rnd(Ls, Nb, 8), mask=~bool_mask(Ls, Ls))

layer2 = nn.TransformerEncoderLayer(8, 4, dim_feedforward=12, dropout=0.0, activation="gelu", layer_norm_eps=1e-6, batch_first=True, norm_first=True)
enc2 = nn.TransformerEncoder(layer2, 3).double()  # dropout 0, training mode
randomize_norms(enc2)
e2 = save_safetensors("encoder-pre-norm-gelu-batchfirst", enc2)
encoder_case("pre-norm gelu batchFirst, 3 layers", e2, enc2, rnd(2, Ls, 8), src_key_padding_mask=padding(2, Ls, [2, 0]))
encoder_case("pre-norm gelu batchFirst, causal", e2, enc2, param_grads=False, src=rnd(2, Ls, 8), mask=causal_float)

layer3 = nn.TransformerEncoderLayer(6, 2, dim_feedforward=10, dropout=0.0, activation=torch.tanh).double()
randomize_norms(layer3)
e3 = save_safetensors("encoder-layer-tanh", layer3)
encoder_case("one layer, activation a function (tanh)", e3, layer3, rnd(4, 2, 6), src_key_padding_mask=padding(2, 4, [1, 0]))

# ---------------------------------------------------------------- write

out_path = os.path.join(HERE, "attention.json")
with open(out_path, "w") as f:
    reprs = {"mha-8x2": repr(m1), "mha-6x3": repr(m2), "mha-4x1": repr(m3), "encoder-layer-tanh": repr(layer3)}
    json.dump({"torch": torch.__version__, "sdpa": sdpa, "rmsNorm": rms, "mha": mha, "encoder": encoders, "reprs": reprs}, f, separators=(",", ":"))
print(f"wrote {out_path}: {len(sdpa)} sdpa, {len(rms)} rmsNorm, {len(mha)} mha, {len(encoders)} encoder cases")
