"""The rule catalogue: one module per rule, listed explicitly (no import magic).

Each module has ``CODE``, ``NAME`` (slug), ``SEVERITY`` (default), ``SCOPE`` and a docstring that is
its documentation (*Why*, **FAIL**/**PASS**, *Fix safety*), plus ``check(ctx)`` yielding
Diagnostics. Scopes: ``file`` (the text; once), ``network`` (the network at its own size; once),
``size`` (every input size checked), ``infer`` (found by shape inference itself; ``check`` is None),
``suppress`` (about suppression comments; emitted by the engine), ``dataset`` (about the files a
``.data`` file names: found by ``cfggen.dataset.checks``; ``check`` is None; one table, ``dataset.py``).
A ``size`` rule also has
``quiet(ctx, size)``: True when it cannot report anything at ``size`` given that every map there is
positive and every multi-input layer lined up (``cfggen.ir.spatial``), so the engine can skip it.
A ``network`` rule may have ``LAYER_TYPES``: layer types without one of which its check reports
nothing, so the engine does not run it on a network that has none of them.
Codes: 1xx syntax and keys, 2xx shapes and wiring, 3xx detection heads, 4xx training schedule and
dataset, 5xx performance and portability.
"""
from __future__ import annotations

from types import ModuleType

from cfggen.lint.rules import (DN101, DN102, DN103, DN104, DN105, DN106, DN107, DN108, DN109, DN110, DN111,
                               DN112, DN113, DN114, DN115, DN116, DN117, DN118, DN119, DN120, DN121, DN190, DN191,
                               DN201, DN202, DN203, DN204, DN205, DN206, DN207, DN208, DN209, DN210, DN211,
                               DN212, DN213, DN214, DN215, DN216, DN217, DN218, DN219, DN220,
                               DN301, DN302, DN303, DN304, DN305, DN306, DN307, DN308, DN309, DN310, DN311, DN312,
                               DN401, DN402, DN403, DN404, DN405, DN406, DN407, DN408, DN460, DN461, DN462,
                               DN501, DN502, dataset)

_MODULES: tuple[ModuleType, ...] = (
    DN101, DN102, DN103, DN104, DN105, DN106, DN107, DN108, DN109, DN110, DN111,
    DN112, DN113, DN114, DN115, DN116, DN117, DN118, DN119, DN120, DN121, DN190, DN191,
    DN201, DN202, DN203, DN204, DN205, DN206, DN207, DN208, DN209, DN210, DN211,
    DN212, DN213, DN214, DN215, DN216, DN217, DN218, DN219, DN220,
    DN301, DN302, DN303, DN304, DN305, DN306, DN307, DN308, DN309, DN310, DN311, DN312,
    DN401, DN402, DN403, DN404, DN405, DN406, DN407, DN408,
    *(m for m in dataset.RULES if m.CODE < "DN460"), DN460, DN461, DN462,
    *(m for m in dataset.RULES if m.CODE > "DN462"),
    DN501, DN502,
)

RULES: dict[str, ModuleType] = {m.CODE: m for m in _MODULES}
BY_NAME: dict[str, ModuleType] = {m.NAME: m for m in _MODULES}


def get(code_or_name: str) -> ModuleType:
    rule = RULES.get(code_or_name.upper()) or BY_NAME.get(code_or_name.lower())
    if rule is None:
        raise KeyError(code_or_name)
    return rule
