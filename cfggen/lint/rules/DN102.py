"""unknown-key: a key the section's type does not read.

*Why*: darknet looks up the keys it knows and ignores the rest. In a layer section it prints
"Unused field" and goes on with the default; in `[net]` it says nothing at all, so `subdivision=16`
(for `subdivisions`) or `mosiac=1` train with the defaults and nobody notices. The Hank.ai fork
rejects every unused key. Keys of another layer type (`mask` in `[region]`, `uc_normalizer` in
`[yolo]`, `classes=`/`anchors=` in `[net]`) are reported too, without a did-you-mean (they are not
typos). Sections darknet does not recognise are left to DN101, `key=` lines
without a value (darknet drops them before any lookup) to DN104.

*Severity*: an error when the key is a near-miss of a key this section reads and that key is not
set (`subdivision=16`, `mosiac=1`): the intended setting silently keeps its default, so darknet
trains something other than the file says (a warning when the value written is that default,
`mosiac=0`: the network is the same). Everything else is a warning, because darknet builds
and trains exactly the same network with or without the line: keys of another section type (often
metadata that repeats the heads, or `uc_normalizer` as AlexeyAB's own cfgs carry), keys no darknet
reads (`seen=`: darknet takes it from the `.weights` file), keys only pjreddie/darknet reads
(`[net] random`, `center`, ...), and near-misses whose key is set as well.
The same unused key with the same effect in several layers (`uc_normalizer=` in every `[yolo]`) is
one finding at the first, listing the other layers.

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
from cfggen.lint.rules._base import RuleContext, at_option, facts, is_default, suggest

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
        if opt.form != "ok" or opt.key in known or opt.line in f.conflict_lines:
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
    owners = [o for o in _OWNERS.get(key, []) if o != where]
    if owners:
        # a real key of another section type (metadata such as classes= in [net], uc_normalizer= of
        # [Gaussian_yolo] in [yolo]): no did-you-mean, it is not a typo; darknet builds the same network
        return at_option(CODE, f"{where} does not read {key}=: {effect} ({key}= is read in "
                         f"{', '.join(owners[:3])})", opt, severity="warning", hint=f"delete {key}= if it is "
                         f"only a note; darknet takes it from {owners[0]} sections")
    guess = suggest(key, known)
    if guess is None and not is_net:
        guess = suggest(key, COMMON_KEYS)
    if guess is not None and section.get(guess) is None:
        if is_default(section, is_net, guess, opt.value):
            # the near-miss asks for the default darknet uses anyway: the network is the same
            return at_option(CODE, f"{where} does not read {key}=: {effect}; {guess}= keeps its default, which is "
                             "the value written here", opt, severity="warning", hint=f"did you mean {guess}=?")
        # a near-miss of a key this section reads, and that key is not set: the intended setting is lost
        return at_option(CODE, f"{where} does not read {key}=: {effect}, so {guess}= keeps its default", opt,
                         hint=f"did you mean {guess}=?")
    hint = f"{guess}= is set too; delete {key}=" if guess is not None else f"delete it, or see the reference for " \
        f"the keys {where} reads"
    return at_option(CODE, f"{where} does not read {key}=: {effect}", opt, severity="warning", hint=hint)

