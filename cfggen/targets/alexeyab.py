"""The default target: AlexeyAB/darknet, as cfggen's own model predicts it.

Its status comes from the findings cfggen's build makes about darknet's own behaviour (an exit, an
assert, a crash) plus the rules that model a crash after parsing; its findings are those DN findings.
"""
from __future__ import annotations

from cfggen.findings import replace

from cfggen.targets.model import Verdict

# findings that mean darknet leaves through a signal rather than its error path
CRASH_CODES = frozenset({"DN211", "DN206", "DN109", "DN218", "DN404"})
CRASH_WORDS = ("segmentation fault", "SIGFPE", "sigsegv", "crash")
# every code the build (plan + infer) and the crash rules report
BUILD_CODES = frozenset({"DN109", "DN112", "DN113", "DN114", "DN115", "DN201", "DN202", "DN203", "DN204",
                         "DN205", "DN206", "DN207", "DN208", "DN209", "DN211", "DN212", "DN218", "DN220", "DN301",
                         "DN404"})
# findings of darknet's build that it survives (a message, a silently zeroed layer, a mis-shared kernel)
NOT_FATAL = frozenset({"DN202", "DN203", "DN220"})


def verdict(doc, base) -> Verdict:
    v = _verdict(doc, base, use_analysis=base.analysis is not None and base.complete)
    if v.status != "ok" and not v.findings and base.analysis is not None:
        v = _verdict(doc, base, use_analysis=False)     # a stop only the build itself names (e.g. DN116)
    return v


def _verdict(doc, base, use_analysis: bool) -> Verdict:
    # what darknet does does not depend on --select/--ignore or suppressions: take validate's findings
    # only when nothing was filtered out of them, else build again
    if use_analysis:
        found = [d for d in base.analysis.findings if d.size is None and d.code in BUILD_CODES]
    else:
        found = list(base.plan.findings) + list(base.found)
    if base.network is not None and not use_analysis:
        from cfggen.lint.rules import RULES
        from cfggen.lint.rules._base import RuleContext
        ctx = RuleContext(doc, base.plan, base.network, None, {})
        for code in ("DN218", "DN404", "DN109"):
            rule = RULES.get(code)
            if rule is not None and rule.check is not None:
                found.extend(rule.check(ctx))
    stops = [d for d in found if d.code not in NOT_FATAL and (d.code in CRASH_CODES or d.code in (
        "DN112", "DN113", "DN114", "DN115") or d.layer is not None)]
    # a broken layer darknet stops at has a finding (above); the others are layers darknet builds empty
    # and goes on from (an unknown section no later layer needs an image from): the network loads
    net = base.network
    broken = net is not None and any(L.broken and L.index not in net.empty for L in net.layers)
    if not stops and not broken and base.plan.usable:
        return Verdict("alexeyab", "ok", (), base.network.layers if base.network else ())
    stops.sort(key=lambda d: (d.line, d.col))
    first = stops[0] if stops else None
    crash = first is not None and (first.code in CRASH_CODES or any(w in first.message for w in CRASH_WORDS))
    findings = tuple(replace(d, path=doc.path, severity="error") for d in stops)
    return Verdict("alexeyab", "crash" if crash else "error", findings,
                   base.network.layers if base.network else ())
