"""schedule-keys: learning-rate keys that do not fit the `policy`.

*Why*: `policy=steps` without both `steps=` and `scales=` makes darknet exit; `policy=step` with
`step=0` divides by zero when training starts (errors). Keys the chosen policy never reads are
ignored silently (warnings; the Hank.ai fork rejects them): `steps`/`scales` without
`policy=steps`/`sgdr`, `step` without `step`/`sigmoid`, `scale` without `step`, `gamma` without
`exp`/`sigmoid`, `B1`/`B2`/`eps` without `adam=1`. A schedule written for another policy is
usually a sign that `policy=` was changed by mistake. All the keys one policy ignores are one
finding (`steps=` and `scales=` of a `policy=poly` cfg).

*Severity*: an error when darknet exits or divides by zero at the start of training; a warning for
ignored keys: darknet trains with the policy the file names, the leftover keys change nothing.

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
from cfggen.lint.rules._base import at_net, at_option, net_options

CODE, NAME, SEVERITY, SCOPE = "DN407", "schedule-keys", "error", "file"
SUMMARY = "policy without its keys, or keys the policy ignores"

_READ_BY = {"steps": ("steps", "sgdr"), "scales": ("steps", "sgdr"), "seq_scales": ("steps", "sgdr"),
            "step": ("step", "sigmoid"), "scale": ("step",), "gamma": ("exp", "sigmoid")}


def check(ctx):
    net = ctx.doc.net
    if net is None:
        return
    get = net_options(ctx.doc).get   # net.get for every key at once
    conf = ctx.plan.net
    policy = conf["policy"]
    pol = get("policy")
    related = ((pol.line, f"policy={pol.value}"),) if pol is not None else ()
    if policy == "steps":
        missing = [k for k in ("steps", "scales") if get(k) is None]
        if missing:
            line, col = at_net(ctx.doc, "policy")
            yield Diagnostic(CODE, f"policy=steps without {' and '.join(k + '=' for k in missing)}: darknet exits "
                             "'STEPS policy must have steps and scales'", line=line, col=col,
                             hint="add steps= at 80% and 90% of max_batches and scales=.1,.1")
    if policy == "step" and conf["step"] == 0 and get("step") is not None:
        yield at_option(CODE, "step=0 with policy=step: darknet divides by zero when training starts",
                        get("step"), value=True, related=related, hint="step is the interval between drops")
    ignored = [(get(key), policies) for key, policies in _READ_BY.items()
               if get(key) is not None and policy not in policies]
    if ignored:
        # one schedule written for another policy is one finding (steps= and scales= together)
        (first, policies), rest = ignored[0], ignored[1:]
        keys = [o.key + "=" for o, _ in ignored]
        users = list(dict.fromkeys(p for _, ps in ignored for p in ps))
        yield at_option(CODE, f"{', '.join(keys)} {'are' if len(keys) > 1 else 'is'} ignored with policy={policy} "
                        f"(read only by policy={'/'.join(users)})", first, severity="warning",
                        related=related + tuple((o.line, f"{o.key}={o.value}, ignored too") for o, _ in rest),
                        hint=f"delete {' and '.join(keys)}, or set the policy that uses {'them' if rest else 'it'}")
    if not conf["adam"]:
        unused = [get(key) for key in ("B1", "B2", "eps") if get(key) is not None]
        if unused:
            keys = [o.key + "=" for o in unused]
            yield at_option(CODE, f"{', '.join(keys)} {'are' if len(keys) > 1 else 'is'} ignored without adam=1",
                            unused[0], severity="warning",
                            related=tuple((o.line, f"{o.key}={o.value}, ignored too") for o in unused[1:]),
                            hint=f"delete {' and '.join(keys)}, or set adam=1")
