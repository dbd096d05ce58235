"""Records PyTorch's convolution, pooling, pad and unfold/fold results as goldens.

Run with PyTorch 1.13 (Debian's python3-torch): /usr/bin/python3 test/goldens/conv_pool.py
It writes test/goldens/conv_pool.json, which test/autograd/conv-pool.test.ts compares against.

Every case is computed in float64: the output, the gradient of sum(output * gradOutput) with
respect to each floating-point input, and for some cases a second-order gradient: with
g_i = d sum(output * gradOutput) / d input_i, the gradient of sum_i sum(g_i * r_i) with
respect to every input and to gradOutput (r_i random, recorded as "second.r").
Arguments are recorded with tensorgrad's option names; KW maps them to PyTorch's.
"""

import json
import os
import warnings

import torch
import torch.nn.functional as F

warnings.filterwarnings("ignore", message="Using padding='same'")
torch.manual_seed(20261124)
torch.set_default_dtype(torch.float64)

KW = {
    "stride": "stride", "padding": "padding", "dilation": "dilation", "groups": "groups",
    "outputPadding": "output_padding", "ceilMode": "ceil_mode", "returnIndices": "return_indices",
    "countIncludePad": "count_include_pad", "divisorOverride": "divisor_override",
}


def tuple_args(d):
    return {KW[k]: (tuple(v) if isinstance(v, list) else v) for k, v in d.items()}


def enc(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().flatten().tolist()]}


def run(call, inputs):
    out = call(**inputs)
    return out[0] if isinstance(out, tuple) else out, out


cases = []


def case(name, op, inputs, args=None, extra=None, second=False):
    args = args or {}
    extra = extra or {}
    tensors = {k: v.clone().requires_grad_(v.is_floating_point()) for k, v in inputs.items()}
    call = CALLS[op](args, extra)
    out, full = run(call, tensors)
    seed = torch.randn(out.shape)
    diff = [k for k, v in tensors.items() if v.requires_grad]
    grads = torch.autograd.grad((out * seed).sum(), [tensors[k] for k in diff], create_graph=second, allow_unused=True)
    record = {
        "name": name, "op": op, "args": args, "extra": extra,
        "inputs": {k: enc(v) for k, v in inputs.items()},
        "output": enc(out), "gradOutput": enc(seed),
        "grads": {k: enc(g if g is not None else torch.zeros_like(tensors[k])) for k, g in zip(diff, grads)},
    }
    if isinstance(full, tuple):
        record["indices"] = enc(full[1].double())
    if second:
        seed_leaf = seed.clone().requires_grad_(True)
        out2, _ = run(call, tensors)
        firsts = torch.autograd.grad((out2 * seed_leaf).sum(), [tensors[k] for k in diff], create_graph=True)
        rs = {k: torch.randn(tensors[k].shape) for k in diff}
        total = sum((g * rs[k]).sum() for k, g in zip(diff, firsts))
        wrt = [tensors[k] for k in diff] + [seed_leaf]
        seconds = torch.autograd.grad(total, wrt, allow_unused=True)
        record["second"] = {
            "r": {k: enc(v) for k, v in rs.items()},
            "grads": {k: enc(g if g is not None else torch.zeros_like(w)) for k, g, w in zip(diff + ["gradOutput"], seconds, wrt)},
        }
    cases.append(record)


CALLS = {
    "conv1d": lambda a, e: lambda input, weight, bias=None: F.conv1d(input, weight, bias, **tuple_args(a)),
    "conv2d": lambda a, e: lambda input, weight, bias=None: F.conv2d(input, weight, bias, **tuple_args(a)),
    "convTranspose2d": lambda a, e: lambda input, weight, bias=None: F.conv_transpose2d(input, weight, bias, **tuple_args(a)),
    "maxPool1d": lambda a, e: lambda input: F.max_pool1d(input, e["kernelSize"], **tuple_args(a)),
    "maxPool2d": lambda a, e: lambda input: F.max_pool2d(input, e["kernelSize"], **tuple_args(a)),
    "avgPool2d": lambda a, e: lambda input: F.avg_pool2d(input, e["kernelSize"], **tuple_args(a)),
    "adaptiveAvgPool2d": lambda a, e: lambda input: F.adaptive_avg_pool2d(input, tuple(e["outputSize"]) if isinstance(e["outputSize"], list) else e["outputSize"]),
    "pad": lambda a, e: lambda input: F.pad(input, tuple(e["pad"]), mode=e["mode"], **({"value": e["value"]} if "value" in e else {})),
    "unfold": lambda a, e: lambda input: F.unfold(input, e["kernelSize"], **tuple_args(a)),
    "fold": lambda a, e: lambda input: F.fold(input, e["outputSize"], e["kernelSize"], **tuple_args(a)),
}

r = torch.randn

# conv2d
case("conv2d basic with bias", "conv2d", {"input": r(2, 3, 5, 6), "weight": r(4, 3, 3, 3), "bias": r(4)}, second=True)
case("conv2d stride 2, padding 1", "conv2d", {"input": r(2, 3, 7, 6), "weight": r(4, 3, 3, 2), "bias": r(4)}, {"stride": 2, "padding": 1})
case("conv2d stride (2,1), padding (1,2), dilation (2,1)", "conv2d", {"input": r(1, 2, 8, 7), "weight": r(3, 2, 3, 3)}, {"stride": [2, 1], "padding": [1, 2], "dilation": [2, 1]}, second=True)
case("conv2d groups 2, padding 1, no bias", "conv2d", {"input": r(2, 4, 5, 5), "weight": r(6, 2, 3, 3)}, {"padding": 1, "groups": 2}, second=True)
case("conv2d depthwise (groups = C), stride 2", "conv2d", {"input": r(1, 3, 6, 6), "weight": r(3, 1, 3, 3), "bias": r(3)}, {"stride": 2, "groups": 3})
case("conv2d padding same, odd kernel", "conv2d", {"input": r(1, 2, 5, 6), "weight": r(3, 2, 3, 3), "bias": r(3)}, {"padding": "same"})
case("conv2d padding same, even kernel and dilation (asymmetric)", "conv2d", {"input": r(1, 2, 5, 6), "weight": r(2, 2, 4, 2)}, {"padding": "same", "dilation": [1, 2]}, second=True)
case("conv2d padding valid", "conv2d", {"input": r(1, 2, 4, 4), "weight": r(2, 2, 2, 2)}, {"padding": "valid"})
case("conv2d unbatched 3-d input", "conv2d", {"input": r(3, 5, 5), "weight": r(2, 3, 3, 3), "bias": r(2)}, {"padding": 1})
case("conv2d 1x1 pointwise", "conv2d", {"input": r(2, 3, 4, 4), "weight": r(5, 3, 1, 1), "bias": r(5)})
case("conv2d 1x1 stride 2", "conv2d", {"input": r(1, 3, 5, 5), "weight": r(2, 3, 1, 1)}, {"stride": 2})
case("conv2d odd sizes, padding 2, stride 3", "conv2d", {"input": r(1, 1, 3, 4), "weight": r(1, 1, 2, 3), "bias": r(1)}, {"padding": 2, "stride": 3})

# conv1d
case("conv1d stride 2, padding 1, bias", "conv1d", {"input": r(2, 3, 9), "weight": r(4, 3, 3), "bias": r(4)}, {"stride": 2, "padding": 1}, second=True)
case("conv1d groups 3, dilation 2", "conv1d", {"input": r(1, 3, 10), "weight": r(6, 1, 3)}, {"groups": 3, "dilation": 2})
case("conv1d padding same, even kernel", "conv1d", {"input": r(2, 2, 7), "weight": r(3, 2, 4), "bias": r(3)}, {"padding": "same"})
case("conv1d unbatched, valid", "conv1d", {"input": r(2, 8), "weight": r(3, 2, 2)}, {"padding": "valid"})

# convTranspose2d
case("convTranspose2d stride 2, padding 1, outputPadding 1, bias", "convTranspose2d", {"input": r(2, 3, 4, 4), "weight": r(3, 2, 3, 3), "bias": r(2)}, {"stride": 2, "padding": 1, "outputPadding": 1}, second=True)
case("convTranspose2d groups 2, stride (2,3), padding (0,1), dilation (1,2), outputPadding (1,0)", "convTranspose2d", {"input": r(1, 4, 3, 5), "weight": r(4, 3, 2, 3)}, {"stride": [2, 3], "padding": [0, 1], "dilation": [1, 2], "outputPadding": [1, 0], "groups": 2}, second=True)
case("convTranspose2d defaults", "convTranspose2d", {"input": r(1, 2, 3, 3), "weight": r(2, 3, 2, 2)})
case("convTranspose2d unbatched, stride 2", "convTranspose2d", {"input": r(2, 3, 4), "weight": r(2, 2, 3, 3), "bias": r(2)}, {"stride": 2})
case("convTranspose2d outputPadding below dilation (not stride)", "convTranspose2d", {"input": r(1, 1, 3, 3), "weight": r(1, 2, 2, 2)}, {"dilation": 2, "outputPadding": 1})

# maxPool2d
case("maxPool2d kernel 2", "maxPool2d", {"input": r(2, 3, 6, 6)}, {"returnIndices": True}, {"kernelSize": 2}, second=True)
case("maxPool2d kernel 3, stride 2, padding 1", "maxPool2d", {"input": r(1, 2, 7, 7)}, {"stride": 2, "padding": 1, "returnIndices": True}, {"kernelSize": 3})
case("maxPool2d kernel (3,2), stride (2,1), padding (1,0), dilation (2,1)", "maxPool2d", {"input": r(1, 2, 9, 6)}, {"stride": [2, 1], "padding": [1, 0], "dilation": [2, 1], "returnIndices": True}, {"kernelSize": [3, 2]})
case("maxPool2d ceilMode, kernel 3, stride 2", "maxPool2d", {"input": r(1, 2, 8, 8)}, {"stride": 2, "ceilMode": True, "returnIndices": True}, {"kernelSize": 3})
case("maxPool2d ceilMode with padding 1, odd size", "maxPool2d", {"input": r(1, 1, 6, 7)}, {"stride": 2, "padding": 1, "ceilMode": True, "returnIndices": True}, {"kernelSize": 3})
case("maxPool2d overlapping windows (stride 1) share maxima", "maxPool2d", {"input": r(1, 2, 5, 5)}, {"stride": 1, "returnIndices": True}, {"kernelSize": 3})
case("maxPool2d ties pick the first maximum", "maxPool2d", {"input": torch.randint(0, 3, (1, 2, 5, 5)).double()}, {"stride": 1, "padding": 1, "returnIndices": True}, {"kernelSize": 3})
case("maxPool2d unbatched", "maxPool2d", {"input": r(2, 5, 5)}, {"returnIndices": True}, {"kernelSize": 2})

# maxPool1d
case("maxPool1d kernel 3, stride 2, padding 1", "maxPool1d", {"input": r(2, 3, 9)}, {"stride": 2, "padding": 1, "returnIndices": True}, {"kernelSize": 3})
case("maxPool1d unbatched, ceilMode, dilation 2", "maxPool1d", {"input": r(2, 10)}, {"dilation": 2, "ceilMode": True, "returnIndices": True}, {"kernelSize": 2})

# avgPool2d
case("avgPool2d kernel 2", "avgPool2d", {"input": r(2, 3, 6, 6)}, {}, {"kernelSize": 2}, second=True)
case("avgPool2d kernel 3, stride 2, padding 1", "avgPool2d", {"input": r(1, 2, 7, 8)}, {"stride": 2, "padding": 1}, {"kernelSize": 3})
case("avgPool2d countIncludePad false", "avgPool2d", {"input": r(1, 2, 7, 8)}, {"stride": 2, "padding": 1, "countIncludePad": False}, {"kernelSize": 3})
case("avgPool2d ceilMode with padding", "avgPool2d", {"input": r(1, 2, 6, 7)}, {"stride": 2, "padding": 1, "ceilMode": True}, {"kernelSize": 3})
case("avgPool2d ceilMode with padding, countIncludePad false", "avgPool2d", {"input": r(1, 2, 6, 7)}, {"stride": 2, "padding": 1, "ceilMode": True, "countIncludePad": False}, {"kernelSize": 3})
case("avgPool2d ceilMode, window past the input", "avgPool2d", {"input": r(1, 1, 5, 5)}, {"ceilMode": True}, {"kernelSize": 2})
case("avgPool2d divisorOverride", "avgPool2d", {"input": r(1, 2, 5, 7)}, {"stride": [1, 2], "divisorOverride": 5}, {"kernelSize": [2, 3]})
case("avgPool2d unbatched", "avgPool2d", {"input": r(3, 4, 6)}, {"stride": [2, 3]}, {"kernelSize": [2, 3]})

# adaptiveAvgPool2d
case("adaptiveAvgPool2d (3, 2) from 7x5", "adaptiveAvgPool2d", {"input": r(2, 3, 7, 5)}, {}, {"outputSize": [3, 2]}, second=True)
case("adaptiveAvgPool2d to 1", "adaptiveAvgPool2d", {"input": r(2, 3, 4, 5)}, {}, {"outputSize": 1})
case("adaptiveAvgPool2d (None, 4) keeps the height", "adaptiveAvgPool2d", {"input": r(1, 2, 3, 5)}, {}, {"outputSize": [None, 4]})
case("adaptiveAvgPool2d larger than the input", "adaptiveAvgPool2d", {"input": r(1, 2, 3, 4)}, {}, {"outputSize": [5, 6]})
case("adaptiveAvgPool2d unbatched", "adaptiveAvgPool2d", {"input": r(2, 6, 6)}, {}, {"outputSize": 4})

# pad
case("pad constant last dim, value 0.5", "pad", {"input": r(2, 3, 4)}, {}, {"pad": [1, 2], "mode": "constant", "value": 0.5}, second=True)
case("pad constant two dims", "pad", {"input": r(2, 3, 4, 5)}, {}, {"pad": [1, 0, 2, 1], "mode": "constant"})
case("pad constant negative (crops)", "pad", {"input": r(2, 3, 4, 5)}, {}, {"pad": [-1, 2, 0, -1], "mode": "constant"})
case("pad constant three dims of a 3-d tensor", "pad", {"input": r(2, 3, 2)}, {}, {"pad": [1, 1, 0, 2, 1, 0], "mode": "constant", "value": -1.5})
case("pad reflect 1-d", "pad", {"input": r(2, 3, 5)}, {}, {"pad": [2, 1], "mode": "reflect"}, second=True)
case("pad reflect 2-d", "pad", {"input": r(1, 2, 4, 5)}, {}, {"pad": [1, 2, 3, 0], "mode": "reflect"})
case("pad reflect on an unbatched 2-d input", "pad", {"input": r(3, 5)}, {}, {"pad": [4, 4], "mode": "reflect"})
case("pad reflect with a negative pad", "pad", {"input": r(1, 2, 5)}, {}, {"pad": [-1, 2], "mode": "reflect"})
case("pad replicate 1-d", "pad", {"input": r(1, 2, 4)}, {}, {"pad": [2, 3], "mode": "replicate"})
case("pad replicate 2-d", "pad", {"input": r(2, 1, 3, 4)}, {}, {"pad": [1, 1, 2, 0], "mode": "replicate"})
case("pad replicate 3-d", "pad", {"input": r(1, 1, 2, 3, 3)}, {}, {"pad": [1, 0, 0, 1, 1, 1], "mode": "replicate"})
case("pad circular 1-d", "pad", {"input": r(1, 2, 4)}, {}, {"pad": [1, 3], "mode": "circular"})
case("pad circular 2-d", "pad", {"input": r(1, 1, 3, 4)}, {}, {"pad": [2, 1, 1, 2], "mode": "circular"})

# unfold / fold
case("unfold kernel (2,3)", "unfold", {"input": r(2, 3, 5, 6)}, {}, {"kernelSize": [2, 3]}, second=True)
case("unfold kernel 3, dilation 2, padding 1, stride 2", "unfold", {"input": r(1, 2, 7, 8)}, {"dilation": 2, "padding": 1, "stride": 2}, {"kernelSize": 3})
case("unfold unbatched", "unfold", {"input": r(2, 4, 4)}, {"stride": [1, 2]}, {"kernelSize": 2})
case("fold kernel 2 into 5x6", "fold", {"input": r(2, 12, 20)}, {}, {"outputSize": [5, 6], "kernelSize": 2}, second=True)
case("fold stride 2, padding 1, dilation (1,2)", "fold", {"input": r(1, 8, 4 * 3)}, {"stride": 2, "padding": 1, "dilation": [1, 2]}, {"outputSize": [6, 5], "kernelSize": 2})
case("fold unbatched", "fold", {"input": r(4, 6)}, {"stride": [1, 2]}, {"outputSize": [3, 5], "kernelSize": [2, 1]})

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conv_pool.json")
with open(path, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))
print(f"wrote {len(cases)} cases to {path}")
