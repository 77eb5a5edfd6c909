"""The package's floors: lower modules never import higher ones (issue #14, part 4)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "cfggen"

# module (file or folder) -> packages it must not import
FORBIDDEN = {
    "findings.py": ("cfggen.lint", "cfggen.ir", "cfggen.cfg", "cfggen.report", "cfggen.commands"),
    "cfg": ("cfggen.lint", "cfggen.ir", "cfggen.report", "cfggen.commands"),
    "ir": ("cfggen.lint", "cfggen.report", "cfggen.commands"),
    # the readers' verdicts are data; how they are shown lives with the other formats (cfggen/report)
    "targets": ("cfggen.report", "cfggen.commands"),
}


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


@pytest.mark.parametrize("floor", sorted(FORBIDDEN))
def test_no_import_runs_back_up(floor):
    target = PKG / floor
    files = [target] if target.is_file() else sorted(target.glob("*.py"))
    assert files
    bad = [(f.name, m) for f in files for m in _imports(f)
           if any(m == p or m.startswith(p + ".") for p in FORBIDDEN[floor])]
    assert not bad, f"{floor} imports from a higher floor: {bad}"
