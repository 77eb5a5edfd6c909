"""The one Jinja environment that renders cfg templates.

Strict: a variable a template expects but was not given is an error (``StrictUndefined``), never a
silently empty ``filters=``. jinja2 is imported here only, so commands that never render (validate)
do not pay for it.
"""
from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

TEMPLATES_PACKAGE = "cfggen.templates"  # setup.cfg installs templates/ as this package


def templates_dir() -> Path:
    """Installed: the ``cfggen.templates`` package; source checkout: ``templates/`` beside ``cfggen/``."""
    try:
        spec = importlib.util.find_spec(TEMPLATES_PACKAGE)
    except ModuleNotFoundError:
        spec = None
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parents[2] / "templates"


@functools.cache
def environment() -> "jinja2.Environment":
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,      # a line holding only a {% tag %} leaves no empty line behind
        lstrip_blocks=True,
        autoescape=False,      # cfg text, not HTML
        auto_reload=False,     # templates do not change while a process runs: skip the stat per render
    )


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
