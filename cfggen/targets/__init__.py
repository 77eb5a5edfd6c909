"""Will it load *there*? What other Darknet cfg readers do with a file (``validate --target``).

``TARGETS`` is the one table: ``alexeyab`` (cfggen's own model, the default), ``hank-ai``,
``pjreddie``, ``opencv``. ``check(doc, names)`` returns one ``Verdict`` per name: the status the
reader ends with (ok / error / crash), the reader's own reason located in the file, and, where the
reader loads the file but builds something else than AlexeyAB, findings that say so. Each target
has its own finding-code range: HK (hank-ai), PJ (pjreddie), CV (OpenCV); AlexeyAB's are DN codes.
"""
from __future__ import annotations

import dataclasses
from typing import Iterable

from cfggen.findings import replace

from cfggen.targets.model import STATUSES, Stop, Target, Verdict

ORDER = ("alexeyab", "hank-ai", "pjreddie", "opencv")


def _alexeyab(doc, base):
    from cfggen.targets.alexeyab import verdict
    return verdict(doc, base)


def _hank(doc, base):
    from cfggen.targets import hankai
    v = _run(hankai.NAME, hankai.NAMES, doc, base, lambda: (None, hankai.run(doc, base)))
    reason = v.reason
    if reason is not None and reason.code in hankai.PORTABLE:
        # say so when --fix --target hank-ai rewrites this very line
        from cfggen.lint.model import Edit, Fix
        from cfggen.targets.port import port_to_hank
        port = port_to_hank(doc, verify=False)
        if reason.line in port.edits:
            fix = Fix(port.why[reason.line] + " (cfggen validate --fix --target hank-ai)",
                      (Edit(reason.line, port.edits[reason.line]),))
            v = replace(v, findings=(replace(reason, fix=fix),) + v.findings[1:])
    return v


def _pjreddie(doc, base):
    from cfggen.targets import pjreddie
    return _run(pjreddie.NAME, pjreddie.NAMES, doc, base, lambda: pjreddie.run(doc, base), pjreddie.CODES)


def _opencv(doc, base):
    from cfggen.targets import opencv
    return _run(opencv.NAME, opencv.NAMES, doc, base, lambda: opencv.run(doc, base), opencv.CODES, opencv.outputs)


def _names():
    from cfggen.targets import hankai, opencv, pjreddie
    return hankai.NAMES, pjreddie.NAMES, opencv.NAMES


TARGETS: dict[str, Target] = {
    "alexeyab": Target("alexeyab", "AlexeyAB/darknet (cfggen's own model)", "DN", _alexeyab),
    "hank-ai": Target("hank-ai", 'hank-ai/darknet V5 "Moonlit" v5.1', "HK", _hank),
    "pjreddie": Target("pjreddie", "pjreddie/darknet (master)", "PJ", _pjreddie),
    "opencv": Target("opencv", "OpenCV 4.14 cv2.dnn.readNetFromDarknet", "CV", _opencv),
}


def expand(names: Iterable[str]) -> tuple[str, ...]:
    """``all`` -> every target; duplicates dropped; the table's order kept."""
    wanted = set()
    for n in names:
        wanted.update(ORDER if n == "all" else (n,))
    return tuple(n for n in ORDER if n in wanted)


def base_network(doc):
    """AlexeyAB's network for ``doc`` at its own size (what the other readers are compared with)."""
    from cfggen.ir.build import infer, plan
    p = plan(doc)
    if doc.net is None:
        return p, None, []
    net, found = infer(p)
    return p, net, found


class Base:
    """cfggen's AlexeyAB view of a document, computed once and shared by every target.

    With validate's ``analysis`` the plan and network are taken from it; the build's own findings
    (``found``) are computed only if a target asks for them.
    """

    def __init__(self, doc, analysis=None, complete: bool = False):
        self.doc, self.analysis = doc, analysis
        self.complete = complete          # the analysis reports every build finding (nothing selected away)
        if analysis is not None and analysis.network is not None:
            self.plan, self.network, self._found = analysis.plan, analysis.network, None
        else:
            self.plan, self.network, self._found = base_network(doc)

    @property
    def found(self) -> list:
        if self._found is None:
            from cfggen.ir.build import infer
            self._found = infer(self.plan)[1]
        return self._found


def check(doc, names: Iterable[str] = ("alexeyab",), analysis=None, enabled=None) -> dict[str, Verdict]:
    """One verdict per target name (``all`` allowed); ``analysis``: cfggen's analysis of ``doc``, if any,
    made with the rule codes ``enabled`` (None: every rule)."""
    from cfggen.targets.alexeyab import BUILD_CODES
    complete = analysis is not None and (enabled is None or BUILD_CODES <= set(enabled)) and not any(
        "cfggen:" in c.text for c in doc.comments)
    base = Base(doc, analysis, complete)
    out = {n: TARGETS[n].check(doc, base) for n in expand(names)}
    if any(n != "alexeyab" for n in out):
        # each verdict knows whether AlexeyAB itself loads the file ("same network as AlexeyAB" needs it)
        alexeyab = out.get("alexeyab") or TARGETS["alexeyab"].check(doc, base)
        what = (alexeyab.status, alexeyab.reason)
        out = {n: v if n == "alexeyab" else dataclasses.replace(v, extra={**v.extra, "alexeyab": what})
               for n, v in out.items()}
    return out


def _run(name, names, doc, base, call, codes=None, outputs=None) -> Verdict:
    from cfggen.targets.differences import compare
    from cfggen.targets.engine import stop_finding
    reader, layers = None, ()
    try:
        reader, layers = call()
    except Stop as stop:
        status, findings = stop.status, [stop_finding(stop, names, doc.path)]
        extra = {"reader_bug": stop.reader_bug}
    else:
        status, findings, extra = "ok", [], {}
    notes = list(getattr(reader, "notes", ())) if reader is not None else []
    forward = list(getattr(reader, "forward", ())) if reader is not None else []
    if status == "ok":
        differences = compare(name, names, codes, doc, base, layers, notes, forward)
        if len(differences) > 1:
            # one finding per fact, by the catalogue's own grouping (cfggen.lint.group)
            from cfggen.findings import Diagnostic
            from cfggen.lint.group import group
            differences = group(sorted(differences, key=Diagnostic.sort_key))
        findings.extend(differences)
    findings = [replace(d, path=doc.path) for d in findings]
    outs = outputs(layers) if outputs is not None and status == "ok" else ()
    return Verdict(name, status, tuple(findings), tuple(layers), outs, extra)


__all__ = ["TARGETS", "ORDER", "STATUSES", "Verdict", "check", "expand"]
