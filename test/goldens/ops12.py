"""Records PyTorch's outputs and gradients for the model ops of issue 12 (tril, cumprod, sort,
einsum, ...) into ops12.json, which test/autograd/ops-models.test.ts compares against.

Run with the system Python that has PyTorch (1.13 here):  /usr/bin/python3 test/goldens/ops12.py

Every case: float64 inputs from a fixed seed (or given values), the op's output, and for float
inputs the gradient of sum(out * gout) with a random gout; cases marked "gradgrad" also record
the gradient of sum(grad_i * v_i) (second order, through create_graph=True).
"""

import json
import math
import os

import torch
import torch.nn.functional as F

torch.manual_seed(12)
f64 = torch.float64


def enc(t):
    """A tensor as {shape, dtype, data} with non-finite numbers as strings (JSON has no NaN)."""
    t = t.detach()
    dtype = {torch.float64: "float64", torch.float32: "float32", torch.int64: "int32", torch.int32: "int32", torch.bool: "bool"}[t.dtype]
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


def values(out):
    return out.values if hasattr(out, "values") and not torch.is_tensor(out) else out


cases = {}


def case(name, fn, *inputs, gradgrad=False):
    inputs = [x.clone() for x in inputs]
    for x in inputs:
        if x.is_floating_point():
            x.requires_grad_(True)
    out = fn(*inputs)
    rec = {"inputs": [enc(x) for x in inputs]}
    if torch.is_tensor(out):
        rec["out"] = enc(out)
    else:
        rec["values"] = enc(out.values)
        rec["indices"] = enc(out.indices)
    diff = [x for x in inputs if x.requires_grad]
    v = values(out)
    if diff and v.is_floating_point() and v.requires_grad:
        gout = torch.randn(v.shape, dtype=v.dtype)
        rec["gout"] = enc(gout)
        grads = torch.autograd.grad((v * gout).sum(), diff, create_graph=gradgrad, allow_unused=True)
        grads = [g if g is not None else torch.zeros_like(x) for g, x in zip(grads, diff)]
        rec["grads"] = [enc(g) for g in grads]
        if gradgrad:
            vs = [torch.randn(x.shape, dtype=f64) for x in diff]
            rec["v"] = [enc(t) for t in vs]
            total = sum((g * w).sum() for g, w in zip(grads, vs))
            gg = torch.autograd.grad(total, diff, allow_unused=True) if total.requires_grad else [None] * len(diff)
            rec["gradgrad"] = [enc(g if g is not None else torch.zeros_like(x)) for g, x in zip(gg, diff)]
    cases[name] = rec


# ---------------------------------------------------------------- tril / triu
m = rnd(3, 4)
for k in (0, -1, 1, 2, -3, 5):
    case(f"tril diagonal={k}", lambda x, k=k: x.tril(k), m)
    case(f"triu diagonal={k}", lambda x, k=k: x.triu(k), m)
case("tril batched [2,3,3]", lambda x: torch.tril(x), rnd(2, 3, 3))
case("triu batched [2,4,2] diagonal=-1", lambda x: torch.triu(x, -1), rnd(2, 4, 2))
case("tril bool", lambda x: x.tril(), torch.rand(3, 3) > 0.3)
case("triu int32", lambda x: x.triu(), torch.arange(12, dtype=torch.int32).reshape(3, 4))

# ---------------------------------------------------------------- maskedFill
mask = torch.tensor([True, False, True])
case("maskedFill broadcast mask, -inf", lambda x, mk: x.masked_fill(mk, float("-inf")), rnd(2, 3), mask)
case("maskedFill 0-d tensor value", lambda x, mk, v: x.masked_fill(mk, v), rnd(2, 3), torch.rand(2, 3) > 0.5, torch.tensor(0.7, dtype=f64))
case("maskedFill mask broadcasts larger", lambda x, mk: x.masked_fill(mk, 2.5), rnd(2, 1, 3), torch.rand(2, 2, 1) > 0.5)
case("maskedFill int32 with 0.5 (truncated)", lambda x, mk: x.masked_fill(mk, 7.9), torch.arange(4, dtype=torch.int32), torch.tensor([True, False, False, True]))

# ---------------------------------------------------------------- cumsum / cumprod
case("cumsum dim 0", lambda x: x.cumsum(0), rnd(3, 4), gradgrad=True)
case("cumsum dim -1", lambda x: torch.cumsum(x, -1), rnd(3, 4))
case("cumsum 3-d dim 1", lambda x: x.cumsum(1), rnd(2, 3, 2))
case("cumsum 0-d", lambda x: x.cumsum(0), torch.tensor(1.5, dtype=f64))
case("cumsum int32", lambda x: x.cumsum(0), torch.tensor([3, -1, 4, 1], dtype=torch.int32))
case("cumsum bool", lambda x: x.cumsum(0), torch.tensor([True, False, True, True]))
case("cumprod no zeros", lambda x: x.cumprod(1), rnd(2, 5), gradgrad=True)
case("cumprod one zero", lambda x: x.cumprod(0), torch.tensor([0.5, -1.5, 0.0, 2.0, 0.7], dtype=f64), gradgrad=True)
case("cumprod zero first", lambda x: x.cumprod(0), torch.tensor([0.0, 1.5, -2.0, 0.8], dtype=f64), gradgrad=True)
case("cumprod zero last", lambda x: x.cumprod(0), torch.tensor([1.2, 1.5, -2.0, 0.0], dtype=f64), gradgrad=True)
case("cumprod two zeros", lambda x: x.cumprod(-1), torch.tensor([[1.1, 0.0, 2.0, 0.0, 1.3, -0.9], [0.6, -1.2, 0.0, 0.0, 2.0, 1.5]], dtype=f64), gradgrad=True)
case("cumprod zeros along dim 0", lambda x: x.cumprod(0), torch.tensor([[1.1, 0.0, 2.0], [0.0, -1.2, 1.5], [0.7, 2.0, 0.0], [1.3, 0.4, 0.9]], dtype=f64), gradgrad=True)
case("cumprod int32", lambda x: x.cumprod(0), torch.tensor([3, -1, 4, 2], dtype=torch.int32))

# ---------------------------------------------------------------- roll / flip / repeat / tile
r = rnd(2, 3)
case("roll 1 (flattened)", lambda x: x.roll(1), r)
case("roll -4 (flattened)", lambda x: torch.roll(x, -4), r)
case("roll (1, -2) dims (0, 1)", lambda x: x.roll((1, -2), (0, 1)), r)
case("roll 5 dim 1 (wraps)", lambda x: x.roll(5, 1), r)
case("roll 3-d dim -1", lambda x: x.roll(2, -1), rnd(2, 2, 4))
f = rnd(2, 3, 4)
case("flip dim 0", lambda x: x.flip(0), f)
case("flip dims (0, 2)", lambda x: torch.flip(x, (0, 2)), f)
case("flip dim -1", lambda x: x.flip(-1), f)
case("flip bool", lambda x: x.flip(0), torch.tensor([True, False, False]))
case("repeat (2, 1)", lambda x: x.repeat(2, 1), r)
case("repeat (2, 2, 3) adds a dim", lambda x: x.repeat(2, 2, 3), r)
case("repeat 1-d (2, 2)", lambda x: x.repeat(2, 2), rnd(3))
case("tile (2,)", lambda x: torch.tile(x, (2,)), r)
case("tile (2, 1, 2)", lambda x: x.tile((2, 1, 2)), r)

# ---------------------------------------------------------------- oneHot / viewAs / addcmul / addcdiv
case("oneHot inferred", lambda x: F.one_hot(x), torch.tensor([0, 2, 1, 2]))
case("oneHot numClasses 5, 2-d", lambda x: F.one_hot(x, 5), torch.tensor([[0, 4], [3, 1]]))
case("viewAs", lambda x, o: x.view_as(o), rnd(2, 6), rnd(3, 4))
case("addcmul value 0.5 broadcast", lambda x, a, b: torch.addcmul(x, a, b, value=0.5), rnd(2, 3), rnd(3), rnd(2, 1), gradgrad=True)
case("addcdiv value -2", lambda x, a, b: torch.addcdiv(x, a, b, value=-2), rnd(2, 3), rnd(2, 3), rnd(2, 3).abs() + 0.5, gradgrad=True)

# ---------------------------------------------------------------- sort / argsort / topk
s = rnd(3, 5)
case("sort dim -1", lambda x: x.sort(), s)
case("sort dim 0 descending", lambda x: x.sort(0, True), s)
case("sort ties stable", lambda x: torch.sort(x, stable=True), torch.tensor([[2.0, 1.0, 2.0, 1.0, 3.0, 1.0]], dtype=f64))
case("sort ties stable descending", lambda x: torch.sort(x, descending=True, stable=True), torch.tensor([[2.0, 1.0, 2.0, 1.0, 3.0, 1.0]], dtype=f64))
case("sort NaN", lambda x: torch.sort(x.detach(), stable=True), torch.tensor([1.0, float("nan"), 0.0, float("nan"), -1.0, float("inf")], dtype=f64))
case("sort NaN descending", lambda x: torch.sort(x.detach(), descending=True, stable=True), torch.tensor([1.0, float("nan"), 0.0, float("nan"), -1.0, float("-inf")], dtype=f64))
case("sort int32", lambda x: x.sort(), torch.tensor([3, 1, 2, -5], dtype=torch.int32))
case("argsort dim 1", lambda x: x.argsort(1), s)
case("argsort descending dim 0", lambda x: torch.argsort(x, 0, True), s)
t6 = rnd(3, 6)
case("topk 3", lambda x: x.topk(3), t6)
case("topk 2 smallest", lambda x: x.topk(2, largest=False), t6)
case("topk 2 dim 0", lambda x: torch.topk(x, 2, 0), t6)
case("topk all (k = size)", lambda x: x.topk(6), t6)
case("topk NaN largest", lambda x: x.detach().topk(2), torch.tensor([1.0, float("nan"), 0.0, 3.0, -1.0], dtype=f64))
case("topk NaN smallest", lambda x: x.detach().topk(2, largest=False), torch.tensor([1.0, float("nan"), 0.0, 3.0, -1.0], dtype=f64))

# ---------------------------------------------------------------- einsum
case("einsum ij,jk->ik", lambda a, b: torch.einsum("ij,jk->ik", a, b), rnd(2, 3), rnd(3, 4), gradgrad=True)
case("einsum ij,kj (implicit)", lambda a, b: torch.einsum("ij,kj", a, b), rnd(2, 3), rnd(4, 3))
case("einsum bij,bjk->bik", lambda a, b: torch.einsum("bij,bjk->bik", a, b), rnd(2, 2, 3), rnd(2, 3, 2))
case("einsum bhqd,bhkd->bhqk", lambda a, b: torch.einsum("bhqd,bhkd->bhqk", a, b), rnd(2, 2, 3, 4), rnd(2, 2, 5, 4))
case("einsum ii->i", lambda a: torch.einsum("ii->i", a), rnd(3, 3), gradgrad=True)
case("einsum ii (trace)", lambda a: torch.einsum("ii", a), rnd(3, 3))
case("einsum iij->ji", lambda a: torch.einsum("iij->ji", a), rnd(2, 2, 3))
case("einsum i,j->ij (outer)", lambda a, b: torch.einsum("i,j->ij", a, b), rnd(3), rnd(4), gradgrad=True)
case("einsum i,i-> (dot)", lambda a, b: torch.einsum("i,i->", a, b), rnd(4), rnd(4))
case("einsum ij->ji", lambda a: torch.einsum("ij->ji", a), rnd(2, 3))
case("einsum ijk->kj", lambda a: torch.einsum("ijk->kj", a), rnd(2, 3, 4))
case("einsum ij,jk,kl->il", lambda a, b, c: torch.einsum("ij,jk,kl->il", a, b, c), rnd(2, 3), rnd(3, 4), rnd(4, 2), gradgrad=True)
case("einsum ...ij,...jk->...ik broadcast", lambda a, b: torch.einsum("...ij,...jk->...ik", a, b), rnd(2, 1, 3, 4), rnd(5, 4, 2))
case("einsum ...ij->ij (sums ...)", lambda a: torch.einsum("...ij->ij", a), rnd(4, 2, 3))
case("einsum i...,i... implicit", lambda a, b: torch.einsum("i...,i...", a, b), rnd(2, 3, 4), rnd(2, 4))
case("einsum ...ii->...i", lambda a: torch.einsum("...ii->...i", a), rnd(2, 3, 3))
case("einsum ba implicit order", lambda a: torch.einsum("ba", a), rnd(2, 3))
case("einsum bA->Ab", lambda a: torch.einsum("bA->Ab", a), rnd(2, 3))
case("einsum ij,ij->ij size-1 broadcast", lambda a, b: torch.einsum("ij,ij->ij", a, b), rnd(1, 3), rnd(2, 1))
case("einsum i,i size-1 contracted", lambda a, b: torch.einsum("i,i", a, b), rnd(3), rnd(1))
case("einsum bij,jk (batch on one side, spaces)", lambda a, b: torch.einsum("b i j , j k -> b i k", a, b), rnd(2, 3, 4), rnd(4, 2))

out = {"torch": torch.__version__, "cases": cases}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ops12.json")
with open(path, "w") as fh:
    json.dump(out, fh, separators=(",", ":"))
    fh.write("\n")
print(f"wrote {len(cases)} cases to {path}")
