"""schedule-keys: learning-rate keys that do not fit the `policy`.

*Why*: `policy=steps` without both `steps=` and `scales=` makes darknet exit; `policy=step` with
`step=0` divides by zero when training starts (errors). Keys the chosen policy never reads are
ignored silently (warnings; the Hank.ai fork rejects them): `steps`/`scales` without
`policy=steps`/`sgdr`, `step` without `step`/`sigmoid`, `scale` without `step`, `gamma` without
`exp`/`sigmoid`, `B1`/`B2`/`eps` without `adam=1`. A schedule written for another policy is
usually a sign that `policy=` was changed by mistake.

**FAIL**
    [net]
    policy=poly
    steps=4000,4500
    scales=.1,.1
**PASS**
    [net]
    policy=steps
    steps=4000,4500
    scales=.1,.1

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

from cfggen.lint.model import Diagnostic
from cfggen.lint.rules._base import at, at_option

CODE, NAME, SEVERITY, SCOPE = "DN407", "schedule-keys", "error", "file"
SUMMARY = "policy without its keys, or keys the policy ignores"

_READ_BY = {"steps": ("steps", "sgdr"), "scales": ("steps", "sgdr"), "seq_scales": ("steps", "sgdr"),
            "step": ("step", "sigmoid"), "scale": ("step",), "gamma": ("exp", "sigmoid")}


def check(ctx):
    net = ctx.doc.net
    if net is None:
        return
    conf = ctx.plan.net
    policy = conf["policy"]
    pol = net.get("policy")
    related = ((pol.line, f"policy={pol.value}"),) if pol is not None else ()
    if policy == "steps":
        missing = [k for k in ("steps", "scales") if net.get(k) is None]
        if missing:
            line, col = at(net, "policy")
            yield Diagnostic(CODE, f"policy=steps without {' and '.join(k + '=' for k in missing)}: darknet exits "
                             "'STEPS policy must have steps and scales'", line=line, col=col,
                             hint="add steps= at 80% and 90% of max_batches and scales=.1,.1")
    if policy == "step" and conf["step"] == 0 and net.get("step") is not None:
        yield at_option(CODE, "step=0 with policy=step: darknet divides by zero when training starts",
                        net.get("step"), value=True, related=related, hint="step is the interval between drops")
    for key, policies in _READ_BY.items():
        opt = net.get(key)
        if opt is not None and policy not in policies:
            yield at_option(CODE, f"{key}= is ignored with policy={policy} (read only by policy="
                            f"{'/'.join(policies)})", opt, severity="warning", related=related,
                            hint=f"delete {key}=, or set the policy that uses it")
    if not conf["adam"]:
        for key in ("B1", "B2", "eps"):
            opt = net.get(key)
            if opt is not None:
                yield at_option(CODE, f"{key}= is ignored without adam=1", opt, severity="warning",
                                hint=f"delete {key}=, or set adam=1")
