"""unknown-key: a key the section's type does not read.

*Why*: darknet looks up the keys it knows and ignores the rest. In a layer section it prints
"Unused field" and goes on with the default; in `[net]` it says nothing at all, so `subdivision=16`
(for `subdivisions`) or `mosiac=1` train with the defaults and nobody notices. The Hank.ai fork
rejects every unused key. Keys of another layer type (`mask` in `[region]`, `uc_normalizer` in
`[yolo]`) are reported too. Keys that only pjreddie/darknet reads (`[net] random`, `center`, ...)
are warnings. Sections darknet does not recognise are left to DN101.

**FAIL**
    [net]
    batch=64
    subdivision=16
**PASS**
    [net]
    batch=64
    subdivisions=16

*Fix safety*: not fixed automatically (the did-you-mean is a guess); the hint names the likely key.
"""
from __future__ import annotations

from cfggen.ir.layers import COMMON_KEYS, LAYERS, NET_TYPES
from cfggen.lint.rules._base import RuleContext, at_option, facts, suggest

CODE, NAME, SEVERITY, SCOPE = "DN102", "unknown-key", "error", "file"
SUMMARY = "key the section does not read (darknet ignores it)"

# [net] keys that pjreddie/darknet reads and AlexeyAB's parser does not (reference §2.1, §10.2)
_LEGACY_NET = {
    "random": "multi-scale training is switched on by random= in the last [yolo]/[region] section",
    "center": "", "max_ratio": "", "min_ratio": "", "notruth": "", "clip": "",
}

# key -> the section types that read it (for "this is a [yolo] key")
_OWNERS: dict[str, list[str]] = {}
for _header, _spec in LAYERS.items():
    for _key in _spec.types:
        owners = _OWNERS.setdefault(_key, [])
        if _spec.headers[0] not in owners:
            owners.append(_spec.headers[0])
for _key in NET_TYPES:
    _OWNERS.setdefault(_key, []).insert(0, "[net]")


def check(ctx: RuleContext):
    f = facts(ctx.doc)
    for i, section, opt in f.odd:   # the options that are not plainly right (one shared pass)
        known = f.key_types[i]
        if known is None:
            continue  # an unknown section: DN101
        is_net = known is NET_TYPES
        if opt.form == "noeq" or opt.key in known or opt.line in f.conflict_lines:
            continue  # a line without '=' is DN105's
        yield _finding(section, opt, known, is_net)


def _finding(section, opt, known, is_net):
    key = opt.key
    where = "[net]" if is_net else section.header
    if not key:
        return at_option(CODE, f"'{opt.text}' has no key before '=': darknet stores it under an empty key and "
                         "never reads it", opt, hint="write key=value")
    effect = ("darknet ignores it silently ([net] keys are never checked)" if is_net
              else "darknet prints 'Unused field' and ignores it")
    if is_net and key in _LEGACY_NET:
        extra = _LEGACY_NET[key]
        return at_option(CODE, f"[net] {key}= is read only by pjreddie/darknet; AlexeyAB's darknet ignores it",
                         opt, severity="warning", hint=extra or "remove it")
    guess = suggest(key, known)
    if guess is None and not is_net:
        guess = suggest(key, COMMON_KEYS)
    owners = [o for o in _OWNERS.get(key, []) if o != where]
    if guess is not None:
        hint = f"did you mean {guess}=?"
    elif owners:
        hint = f"{key}= is read in {', '.join(owners[:3])}, not in {where}"
    else:
        hint = f"see the reference for the keys {where} reads"
    return at_option(CODE, f"{where} does not read {key}=: {effect}", opt, hint=hint)
