"""Lint configuration: ``[tool.cfggen]`` in pyproject.toml or ``[cfggen]`` in setup.cfg.

Discovered upward from each linted file, like other linters: in each folder pyproject.toml is read
first, then setup.cfg; the search stops at the first file that has the section, or after the folder
that holds ``.git`` (the repository root). Keys:

* ``select`` — codes, slugs or code prefixes to enable (default: every rule);
* ``ignore`` — codes, slugs or prefixes to disable; the more specific selector wins
  (``select = ["DN3"]``, ``ignore = ["DN304"]`` runs every 3xx rule but DN304; ``ignore = ["DN3"]``
  with ``select = ["DN304"]`` runs DN304 alone from the 3xx);
* ``severity`` — code (or slug) to ``error``/``warning``/``info``;
* ``per-file-ignores`` — glob (relative to the configuration file's folder; without a ``/`` it also
  matches the file name) to codes/prefixes ignored in matching files.

pyproject.toml::

    [tool.cfggen]
    select = ["DN"]
    ignore = ["DN406"]
    severity = { DN304 = "error" }
    per-file-ignores = { "legacy/*.cfg" = ["DN102", "DN103"] }

setup.cfg (lists separated by commas or new lines; mappings as ``key: value`` lines)::

    [cfggen]
    ignore = DN406
    severity =
        DN304: error
    per-file-ignores =
        legacy/*.cfg: DN102, DN103

A configuration that cannot be read is a ``ConfigError`` (exit 2) naming the file and the key.
"""
from __future__ import annotations

import fnmatch
import os
import re

from cfggen.errors import CfggenError
from cfggen.findings import _Record, _set
from cfggen.lint.rules import BY_NAME, RULES

LEVELS = ("error", "warning", "info")
KEYS = ("select", "ignore", "severity", "per-file-ignores")


class ConfigError(CfggenError):
    """A configuration file or option that cannot be used (exit 2)."""


class Config(_Record):
    """One configuration (a read-only record, see ``cfggen.findings``)."""

    __slots__ = ("path", "select", "ignore", "severity", "per_file_ignores")
    __match_args__ = __slots__
    path: str | None                            # the file it was read from (None: defaults)
    select: tuple[str, ...] | None              # None: every rule
    ignore: tuple[str, ...]
    severity: dict[str, str]
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...]

    def __init__(self, path: str | None = None, select: tuple[str, ...] | None = None, ignore: tuple[str, ...] = (),
                 severity: dict[str, str] | None = None,
                 per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()):
        _set(self, "path", path)
        _set(self, "select", select)
        _set(self, "ignore", ignore)
        _set(self, "severity", {} if severity is None else severity)
        _set(self, "per_file_ignores", per_file_ignores)

    @property
    def root(self) -> str:
        return os.path.dirname(os.path.abspath(self.path)) if self.path else os.getcwd()

    def ignores_for(self, path: str) -> tuple[str, ...]:
        """The per-file-ignores that apply to ``path``."""
        if not self.per_file_ignores:
            return ()
        rel = os.path.relpath(os.path.abspath(path), self.root).replace(os.sep, "/")
        base = os.path.basename(path)
        out: list[str] = []
        for pattern, codes in self.per_file_ignores:
            if fnmatch.fnmatchcase(rel, pattern) or ("/" not in pattern and fnmatch.fnmatchcase(base, pattern)):
                out.extend(codes)
        return tuple(out)


# ------------------------------------------------------------------------------------------------
# selectors

def specificity(selector: str, code: str) -> int:
    """How specifically ``selector`` names rule ``code``: -1 no match, 0 ALL, len(prefix), 100 exact."""
    s = selector.strip()
    rule = RULES[code]
    if s.upper() == "ALL":
        return 0
    if s.upper() == code or s.lower() == rule.NAME:
        return 100
    if code.startswith(s.upper()) and s:
        return len(s)
    return -1


def check_selector(selector: str) -> bool:
    s = selector.strip()
    return bool(s) and (s.upper() == "ALL" or s.lower() in BY_NAME or any(c.startswith(s.upper()) for c in RULES))


def enabled_codes(select: tuple[str, ...] | None, ignore: tuple[str, ...]) -> frozenset[str]:
    """Every rule code that ``select``/``ignore`` leave on (the more specific selector wins; ties: off)."""
    chosen = select if select is not None else ("ALL",)
    out = set()
    for code in RULES:
        on = max((specificity(s, code) for s in chosen), default=-1)
        off = max((specificity(s, code) for s in ignore), default=-1)
        if on >= 0 and on > off:
            out.add(code)
    return frozenset(out)


def resolve_code(name: str) -> str | None:
    rule = RULES.get(name.strip().upper()) or BY_NAME.get(name.strip().lower())
    return rule.CODE if rule is not None else None


# ------------------------------------------------------------------------------------------------
# reading

def _split(value) -> list[str]:
    if isinstance(value, str):
        return [p for p in re.split(r"[\s,]+", value) if p]
    return list(value)


def _selectors(path: str, key: str, value) -> tuple[str, ...]:
    if not isinstance(value, (str, list)) or (isinstance(value, list) and not all(isinstance(v, str) for v in value)):
        raise ConfigError(f"'{key}' must be a list of rule codes, slugs or prefixes", path=path)
    items = _split(value)
    for item in items:
        if not check_selector(item):
            raise ConfigError(f"'{key}': '{item}' is not a cfggen rule code, slug or prefix", path=path)
    return tuple(items)


def _pairs(path: str, key: str, value) -> list[tuple[str, object]]:
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, str):
        pairs = []
        for line in re.split(r"[\n]+", value):
            line = line.strip()
            if not line:
                continue
            m = re.match(r"^(.+?)\s*[:=]\s*(.*)$", line)
            if not m:
                raise ConfigError(f"'{key}': '{line}' is not 'name: value'", path=path)
            pairs.append((m.group(1).strip(), m.group(2).strip()))
        return pairs
    raise ConfigError(f"'{key}' must be a mapping", path=path)


def build(path: str, table: dict) -> Config:
    """A Config from the raw ``[tool.cfggen]``/``[cfggen]`` table (validated; errors name the key)."""
    select = None
    ignore: tuple[str, ...] = ()
    severity: dict[str, str] = {}
    pfi: list[tuple[str, tuple[str, ...]]] = []
    for raw_key, value in table.items():
        key = raw_key.replace("_", "-")
        if key not in KEYS:
            raise ConfigError(f"unknown key '{raw_key}' (cfggen reads {', '.join(KEYS)})", path=path)
        if key == "select":
            select = _selectors(path, raw_key, value)
        elif key == "ignore":
            ignore = _selectors(path, raw_key, value)
        elif key == "severity":
            for name, level in _pairs(path, raw_key, value):
                code = resolve_code(str(name))
                if code is None:
                    raise ConfigError(f"'{raw_key}': '{name}' is not a cfggen rule code or slug", path=path)
                if not isinstance(level, str) or level.lower() not in LEVELS:
                    raise ConfigError(f"'{raw_key}': {name} = {level!r} is not one of {', '.join(LEVELS)}", path=path)
                severity[code] = level.lower()
        else:
            for pattern, codes in _pairs(path, raw_key, value):
                if isinstance(codes, str):
                    codes = _split(codes)
                pfi.append((str(pattern), _selectors(path, f"{raw_key}.{pattern}", codes)))
    return Config(path, select, ignore, severity, tuple(pfi))


def read_config_file(path: str) -> Config | None:
    """The configuration in ``path`` (pyproject.toml or setup.cfg style), or None if it has no section."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise ConfigError(f"cannot read configuration: {exc.strerror or exc}", path=path) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("configuration is not UTF-8 text", path=path) from None
    if os.path.basename(path).endswith(".toml"):
        if "cfggen" not in text:
            return None
        import tomllib
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"invalid TOML: {exc}", path=path) from None
        table = doc.get("tool", {}).get("cfggen") if isinstance(doc.get("tool"), dict) else None
        if table is None:
            return None
        if not isinstance(table, dict):
            raise ConfigError("[tool.cfggen] must be a table", path=path)
        return build(path, table)
    if "[cfggen]" not in text:
        return None
    import configparser   # only when a setup.cfg/tox.ini is found
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(text, source=path)
    except configparser.Error as exc:
        raise ConfigError(f"invalid configuration: {str(exc).splitlines()[0]}", path=path) from None
    if not parser.has_section("cfggen"):
        return None
    return build(path, dict(parser.items("cfggen")))


class ConfigFinder:
    """Upward discovery with a per-folder cache (a folder of 1000 cfgs reads its config once)."""

    NAMES = ("pyproject.toml", "setup.cfg")

    def __init__(self) -> None:
        self._cache: dict[str, Config] = {}

    def for_file(self, path: str) -> Config:
        folder = os.path.dirname(os.path.abspath(path))
        return self._for_folder(folder)

    def _for_folder(self, folder: str) -> Config:
        if folder in self._cache:
            return self._cache[folder]
        found: Config | None = None
        for name in self.NAMES:
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate):
                found = read_config_file(candidate)
                if found is not None:
                    break
        if found is None:
            parent = os.path.dirname(folder)
            if os.path.exists(os.path.join(folder, ".git")) or parent == folder:
                found = Config()
            else:
                found = self._for_folder(parent)
        self._cache[folder] = found
        return found
