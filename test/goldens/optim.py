"""Records PyTorch's Adadelta, Adamax, NAdam and RAdam trajectories and state dicts as goldens.

Run with PyTorch 1.13 (Debian's python3-torch): /usr/bin/python3 test/goldens/optim.py
It writes test/goldens/optim.json, which test/nn/optim-goldens.test.ts compares against.

Each case starts from fixed parameters, and at step t gives each parameter the gradient
    grad = G[t] + (p - c) * 2       (G random, c a fixed target: the gradient of sum(G*p) + sum((p-c)^2))
so the gradient depends on where the optimizer has taken the parameter. Some cases leave one
parameter's grad at None for a step (it must be skipped), some step an LR scheduler after every
optimizer step. After every step the case records every parameter's values and the optimizer's
state dict, with PyTorch's names turned into tensorgrad's (snake_case -> camelCase, `foreach`
dropped, one-element tensors such as `step` and `mu_product` as numbers).

The default dtype is float64, so NAdam's `mu_product` (a scalar tensor of the default dtype) is
float64 like tensorgrad's. NAdam is recorded with foreach=True: in 1.13 that path computes the
documented equations, while the default single-tensor path counts mu_t twice in
mu_product_next (fixed in pytorch/pytorch#92699). The single-tensor trajectory of one case is
recorded too ("nadamSingleTensor113"), to show the two differ. RAdam is recorded with the
default single-tensor path: 1.13's foreach path leaves eps out of the denominator (it differs
by 1e-4 with eps 1e-3). For Adadelta and Adamax the script checks that both 1.13 paths agree.
"""

import json
import os
import re

import torch

torch.set_default_dtype(torch.float64)
torch.manual_seed(20261204)

STEPS = 10
P0 = [
    {"shape": [4], "data": [1.0, -2.0, 0.5, 3.0]},
    {"shape": [2, 3], "data": [0.3, -0.7, 1.2, -1.5, 0.0, 2.2]},
]
C = [
    {"shape": [4], "data": [0.5, 0.5, -1.0, 2.0]},
    {"shape": [2, 3], "data": [0.0, 1.0, -0.5, 0.25, -2.0, 1.5]},
]
G = [[[float(v) for v in (torch.randn(p["shape"]) * 0.5).flatten().tolist()] for p in P0] for _ in range(STEPS)]

OPTIMIZERS = {"Adadelta": torch.optim.Adadelta, "Adamax": torch.optim.Adamax, "NAdam": torch.optim.NAdam, "RAdam": torch.optim.RAdam}
KW = {"lr": "lr", "rho": "rho", "eps": "eps", "betas": "betas", "weightDecay": "weight_decay", "maximize": "maximize", "momentumDecay": "momentum_decay"}


def camel(name):
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


def torch_kw(options):
    return {KW[k]: (tuple(v) if isinstance(v, list) else v) for k, v in options.items()}


def enc(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().flatten().tolist()]}


def state_dict(opt):
    sd = opt.state_dict()
    state = {}
    for idx, s in sd["state"].items():
        state[str(idx)] = {camel(k): (v.item() if torch.is_tensor(v) and v.dim() == 0 else enc(v) if torch.is_tensor(v) else v) for k, v in s.items()}
    groups = []
    for g in sd["param_groups"]:
        groups.append({camel(k): (list(v) if isinstance(v, tuple) else v) for k, v in g.items() if k != "foreach"})
    return {"state": state, "paramGroups": groups}


def run(c, foreach):
    dtype = getattr(torch, c["dtype"])
    params = [torch.tensor(p["data"], dtype=dtype).reshape(p["shape"]).requires_grad_() for p in P0]
    targets = [torch.tensor(t["data"], dtype=dtype).reshape(t["shape"]) for t in C]
    groups = [{"params": [params[i] for i in g["params"]], **torch_kw(g["options"])} for g in c["groups"]]
    opt = OPTIMIZERS[c["optimizer"]](groups, foreach=foreach, **torch_kw(c["options"]))
    sched = None
    if c.get("scheduler"):
        s = c["scheduler"]
        if s["kind"] == "StepLR":
            sched = torch.optim.lr_scheduler.StepLR(opt, s["stepSize"], s["gamma"])
        else:
            sched = torch.optim.lr_scheduler.ExponentialLR(opt, s["gamma"])
    skip = {(t, i) for t, i in c.get("noGrad", [])}
    steps = []
    for t in range(c["steps"]):
        for i, p in enumerate(params):
            if (t, i) in skip:
                p.grad = None
            else:
                with torch.no_grad():
                    p.grad = torch.tensor(G[t][i], dtype=dtype).reshape(p.shape) + (p - targets[i]) * 2.0
        opt.step()
        if sched is not None:
            sched.step()
        steps.append({"params": [enc(p) for p in params], "stateDict": state_dict(opt)})
    return steps


cases = []


def case(name, optimizer, options, groups=None, scheduler=None, noGrad=None, dtype="float64", steps=STEPS):
    c = {
        "name": name, "optimizer": optimizer, "options": options, "dtype": dtype, "steps": steps,
        "groups": groups or [{"params": [0, 1], "options": {}}],
        "scheduler": scheduler, "noGrad": noGrad or [],
    }
    c["trajectory"] = run(c, optimizer == "NAdam")
    if optimizer in ("Adadelta", "Adamax"):
        for a, b in zip(c["trajectory"], run(c, True)):
            for pa, pb in zip(a["params"], b["params"]):
                assert all(abs(x - y) <= 1e-13 * max(1.0, abs(x)) for x, y in zip(pa["data"], pb["data"])), name
    cases.append(c)


TWO_GROUPS = lambda a, b: [{"params": [0], "options": a}, {"params": [1], "options": b}]

# Adadelta (lr 1, rho 0.9, eps 1e-6 by default; maximize exists in 1.13)
case("Adadelta defaults", "Adadelta", {})
case("Adadelta lr 0.5, rho 0.8, eps 1e-4, weight decay 0.1", "Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weightDecay": 0.1})
case("Adadelta maximize with weight decay", "Adadelta", {"lr": 2.0, "eps": 1e-3, "weightDecay": 0.05, "maximize": True})
case("Adadelta two groups, a skipped grad", "Adadelta", {"eps": 1e-3}, TWO_GROUPS({}, {"rho": 0.5, "lr": 0.3}), noGrad=[[3, 1], [4, 0]])
case("Adadelta rho 1 and rho 0 (the ends of the range)", "Adadelta", {"eps": 1e-2}, TWO_GROUPS({"rho": 1.0}, {"rho": 0.0}))
case("Adadelta with StepLR(3, 0.5)", "Adadelta", {"eps": 1e-3}, scheduler={"kind": "StepLR", "stepSize": 3, "gamma": 0.5})

# Adamax (lr 2e-3; eps inside the maximum)
case("Adamax defaults", "Adamax", {})
case("Adamax lr 0.1", "Adamax", {"lr": 0.1})
case("Adamax betas (0.5, 0.8), eps 0.3 (larger than |g|), weight decay 0.05", "Adamax", {"lr": 0.1, "betas": [0.5, 0.8], "eps": 0.3, "weightDecay": 0.05})
case("Adamax maximize", "Adamax", {"lr": 0.1, "maximize": True})
case("Adamax two groups, a skipped grad", "Adamax", {"lr": 0.05}, TWO_GROUPS({"betas": [0.8, 0.9]}, {"lr": 0.2, "weightDecay": 0.1}), noGrad=[[2, 0]])
case("Adamax with ExponentialLR(0.8)", "Adamax", {"lr": 0.1}, scheduler={"kind": "ExponentialLR", "gamma": 0.8})

# NAdam (lr 2e-3, momentum_decay 4e-3; no maximize in 1.13)
case("NAdam defaults", "NAdam", {})
case("NAdam lr 0.1", "NAdam", {"lr": 0.1})
case("NAdam betas (0.8, 0.9), eps 1e-3, momentum decay 0.1", "NAdam", {"lr": 0.05, "betas": [0.8, 0.9], "eps": 1e-3, "momentumDecay": 0.1})
case("NAdam weight decay 0.1", "NAdam", {"lr": 0.1, "weightDecay": 0.1})
case("NAdam two groups, a skipped grad", "NAdam", {"lr": 0.05}, TWO_GROUPS({"momentumDecay": 0.5}, {"lr": 0.2, "betas": [0.5, 0.99]}), noGrad=[[1, 1], [5, 1]])
case("NAdam with StepLR(4, 0.3)", "NAdam", {"lr": 0.1}, scheduler={"kind": "StepLR", "stepSize": 4, "gamma": 0.3})

# RAdam (lr 1e-3; rho_t > 5 from step 6 with beta2 0.999; no maximize in 1.13)
case("RAdam defaults", "RAdam", {})
case("RAdam lr 0.1 (rectified from step 6)", "RAdam", {"lr": 0.1})
case("RAdam beta2 0.9 (rho_inf 19), eps 1e-3, weight decay 0.1", "RAdam", {"lr": 0.1, "betas": [0.8, 0.9], "eps": 1e-3, "weightDecay": 0.1})
case("RAdam beta2 0.5 (rho_inf 3: never rectified)", "RAdam", {"lr": 0.1, "betas": [0.9, 0.5]})
case("RAdam two groups, a skipped grad", "RAdam", {"lr": 0.05}, TWO_GROUPS({"betas": [0.9, 0.99]}, {"lr": 0.2}), noGrad=[[6, 0]])
case("RAdam with ExponentialLR(0.9)", "RAdam", {"lr": 0.1}, scheduler={"kind": "ExponentialLR", "gamma": 0.9})

# float32 parameters
case("Adadelta float32", "Adadelta", {"lr": 0.5, "eps": 1e-3, "weightDecay": 0.1}, dtype="float32")
case("Adamax float32", "Adamax", {"lr": 0.1, "weightDecay": 0.1}, dtype="float32")
case("NAdam float32", "NAdam", {"lr": 0.1, "momentumDecay": 0.1}, dtype="float32")
case("RAdam float32", "RAdam", {"lr": 0.1, "weightDecay": 0.1}, dtype="float32")

# PyTorch 1.13's single-tensor NAdam (its default path), which counts mu_t twice in mu_product_next.
single = dict(next(c for c in cases if c["name"] == "NAdam lr 0.1"))
nadam_single = [s["params"] for s in run(single, False)]

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optim.json")
with open(path, "w") as f:
    json.dump({"torch": torch.__version__, "p0": P0, "c": C, "g": G, "cases": cases, "nadamSingleTensor113": nadam_single}, f, separators=(",", ":"))
print(f"wrote {len(cases)} cases to {path}")
