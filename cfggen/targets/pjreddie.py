"""pjreddie/darknet (the original C code, master): lenient, and silently different.

Read from its ``parser.c``/``option_list.c``/``utils.c``/``activations.c``: ``strip()`` deletes
spaces, tabs and LF but not CR, so a CRLF file's first section is ``[net]\\r`` and the reader exits
"First section must be [net] or [network]"; a section it does not know becomes a zeroed 0x0x0 layer
(and the next layer that needs an image exits); an unknown activation becomes ReLU; unknown keys are
only printed ("Unused field"); ``[route]`` reads ``layers`` only (no ``groups``), ``[crnn]`` reads
``output_filters``/``hidden_filters``. Asserts are compiled in (``assert(l.outputs == params.inputs)``
in [yolo]/[region]/[detection]); there is no [shortcut] size assert.
"""
from __future__ import annotations

from cfggen.ir.layers import BY_TYPE, Fault, LayerSpec, Out
from cfggen.ir.model import ZERO
from cfggen.targets.engine import Reuse, build_network, conf_for, located, same_options
from cfggen.targets.lines import pjreddie_sections
from cfggen.targets.model import RSection, Stop

NAME = "pjreddie"
TITLE = "pjreddie/darknet (master)"

# header -> cfggen layer type (the identity layers it has and AlexeyAB does not: same shape as [activation])
SECTIONS: dict[str, str] = {
    "[shortcut]": "shortcut", "[crop]": "crop", "[cost]": "cost", "[detection]": "detection", "[region]": "region",
    "[yolo]": "yolo", "[local]": "local", "[conv]": "convolutional", "[convolutional]": "convolutional",
    "[activation]": "activation", "[logistic]": "activation", "[l2norm]": "activation", "[crnn]": "crnn",
    "[gru]": "gru", "[lstm]": "lstm", "[rnn]": "rnn", "[conn]": "connected", "[connected]": "connected",
    "[max]": "maxpool", "[maxpool]": "maxpool", "[reorg]": "reorg", "[avg]": "avgpool", "[avgpool]": "avgpool",
    "[dropout]": "dropout", "[lrn]": "normalization", "[normalization]": "normalization",
    "[batchnorm]": "batchnorm", "[soft]": "softmax", "[softmax]": "softmax", "[route]": "route",
    "[upsample]": "upsample",
}
ACTIVATIONS = frozenset("logistic loggy relu elu selu relie plse hardtan lhtan linear ramp leaky tanh stair".split())
# the keys each parse_* function reads (for the shapes and the "ignored key" findings)
READS: dict[str, frozenset[str]] = {t: frozenset(s.split()) for t, s in {
    "convolutional": "filters size stride pad padding groups activation batch_normalize binary xnor flipped dot",
    "local": "filters size stride pad activation",
    "maxpool": "stride size padding",
    "avgpool": "",
    "route": "layers",
    "shortcut": "from activation alpha beta",
    "upsample": "stride scale",
    "yolo": "classes num mask max jitter ignore_thresh truth_thresh random map anchors",
    "region": "coords classes num softmax jitter rescore thresh classfix absolute random coord_scale object_scale "
              "noobject_scale mask_scale class_scale bias_match tree map anchors",
    "detection": "coords classes rescore num side softmax sqrt max jitter forced coord_scale object_scale "
                 "noobject_scale class_scale random reorg",
    "reorg": "stride reverse flatten extra",
    "crop": "crop_height crop_width flip angle saturation exposure noadjust shift",
    "softmax": "groups temperature tree spatial noloss",
    "connected": "output activation batch_normalize",
    "rnn": "output activation batch_normalize shortcut",
    "gru": "output batch_normalize",
    "lstm": "output batch_normalize",
    "crnn": "output hidden activation batch_normalize",
    "dropout": "probability",
    "batchnorm": "",
    "normalization": "alpha beta kappa size",
    "activation": "activation",
    "cost": "type scale ratio noobject_scale thresh",
}.items()}
# keys parse_network_cfg reads for every layer
COMMON_READS = frozenset("truth onlyforward stopbackward dontsave dontload numload dontloadscales learning_rate "
                         "smooth".split())
ALIASES = {"crnn": {"output": "output_filters", "hidden": "hidden_filters"}}
SAME_AS = {"rnn": {"hidden": "output"}}                      # make_rnn_layer: the hidden size is the output size
FIXED = {"crnn": {"size": 3, "stride": 1, "pad": 1}}          # make_crnn_layer's convolutions are 3x3/1, pad 1
# layers whose struct pjreddie leaves without out_w/out_h/out_c (0x0x0; ``outputs`` is set)
NO_SPATIAL_OUTPUT = frozenset({"rnn", "lstm"})
NEEDS_IMAGE = {"convolutional": "convolutional", "local": "local", "maxpool": "maxpool", "avgpool": "avgpool",
               "crop": "crop", "reorg": "reorg"}

CODES = {"structure": "PJ101", "orphan": "PJ102", "image": "PJ201", "assert": "PJ202", "crash": "PJ301",
         "blank": "PJ401", "activation": "PJ402", "ignored": "PJ403", "different": "PJ404"}
NAMES = {"PJ101": ("bad-structure", "error"), "PJ102": ("option-before-section", "error"),
         "PJ201": ("not-an-image", "error"), "PJ202": ("assert", "error"), "PJ301": ("crash", "error"),
         "PJ401": ("unknown-section-blank", "warning"), "PJ402": ("unknown-activation-relu", "warning"),
         "PJ403": ("ignored-key", "warning"), "PJ404": ("different-network", "warning")}


class _Reader:
    def __init__(self, doc, base=None):
        self.doc, self.base = doc, base
        self._notes: list[tuple[str, str, int, int, int | None]] = []   # (code, message, line, col, layer)
        self._acts: dict[str, list] = {}      # unknown activation -> [line, col, layer, count]

    @property
    def notes(self) -> list[tuple[str, str, int, int, int | None]]:
        """The reader's messages that mean a different network: one per unknown activation name."""
        out = list(self._notes)
        for act, (line, col, layer, n) in self._acts.items():
            where = f" (at {n} layers; this is the first)" if n > 1 else ""
            out.append((CODES["activation"], f"pjreddie does not know activation {act!r}: \"Couldn't find activation "
                        f"function {act}, going with ReLU\"{where}", line, col, layer))
        return sorted(out, key=lambda t: (t[2], t[3]))

    def run(self):
        sections, orphans = pjreddie_sections(self.doc.text, self.doc)
        if orphans:
            o = orphans[0]
            raise Stop("crash", CODES["orphan"], f"line {o.line} comes before any section: pjreddie stores it in a "
                       "section that does not exist (NULL pointer, segmentation fault); a reader bug", o.line, o.col,
                       reader_bug=True)
        if not sections:
            raise Stop("error", CODES["structure"], "Config file has no sections", 1)
        first = sections[0]
        if first.header not in ("[net]", "[network]"):
            crlf = first.header.rstrip("\r") in ("[net]", "[network]")
            raise Stop("error", CODES["structure"], "First section must be [net] or [network]", first.line, first.col,
                       hint="the file has Windows (CRLF) line endings and pjreddie keeps the CR in every line: "
                            "convert it to LF" if crlf else "start the file with [net]")
        net = first
        geti = lambda k, d=0: _int(net, k, d)  # noqa: E731
        sub = net.first("subdivisions")
        if sub is not None and geti("subdivisions", 1) == 0:
            raise Stop("crash", CODES["crash"], "subdivisions=0: pjreddie divides batch by zero (SIGFPE)",
                       sub.line, sub.col)
        w, h, c = geti("width"), geti("height"), geti("channels")
        inputs = geti("inputs", w * h * c)
        if not inputs and not (w and h and c):
            raise Stop("error", CODES["structure"], "No input parameters supplied", net.line, net.col)
        policy = net.first("policy")
        if policy is not None and policy.value == "steps" and (
                net.first("steps") is None or net.first("scales") is None):
            raise Stop("error", CODES["structure"], "STEPS policy must have steps and scales in cfg file",
                       policy.line, policy.col)
        return build_network(w, h, c, inputs, list(sections[1:]), spec_of=self.spec_of, conf_of=self.conf_of,
                             fault=self.fault, before=self.before, adjust=_adjust,
                             base=Reuse(self.base, _same) if self.base is not None else None)

    def spec_of(self, index: int, sec: RSection) -> LayerSpec | None:
        typ = SECTIONS.get(sec.header)
        if typ is None:
            self._notes.append((CODES["blank"], f"pjreddie does not know {sec.header.rstrip()!s}: it keeps an empty "
                               "0x0x0 layer here (\"Type not recognized\") and goes on", sec.line, sec.col, index))
            return None
        return BY_TYPE[typ]

    def conf_of(self, spec: LayerSpec, sec: RSection) -> dict:
        conf = conf_for(spec, sec, reads=READS.get(spec.type, frozenset()), aliases=ALIASES.get(spec.type))
        conf.update(FIXED.get(spec.type, {}))
        for key, src in SAME_AS.get(spec.type, {}).items():
            conf[key] = conf[src]
        return conf

    def before(self, index, sec, spec, conf, cur, layers):
        if spec is None:
            return
        what = NEEDS_IMAGE.get(spec.type)
        if what and not (cur.w and cur.h and cur.c):
            raise Stop("error", CODES["image"], f"Layer before {what} layer must output image.", sec.line, sec.col,
                       layer=index, hint=f"its input is {cur.w}x{cur.h}x{cur.c}"
                       + (" (after a section pjreddie does not know)" if layers and layers[-1].type == "blank" else ""))
        if "activation" in READS.get(spec.type, ()):
            opt = sec.first("activation")
            if opt is not None and opt.value not in ACTIVATIONS:
                seen = self._acts.setdefault(opt.value, [opt.line, opt.col, index, 0])
                seen[3] += 1

    def fault(self, index: int, sec: RSection, f: Fault) -> Out:
        line, col = located(sec, f.key)
        code = f.code
        if code in ("DN211", "DN206", "DN207") or (code == "DN212" and "zero" in f.message) or code == "DN208":
            msg = f.message.replace("darknet", "pjreddie")
            if code == "DN208":
                key = "layers" if sec.header == "[route]" else "from"
                msg = (f"{sec.header} without {key}=: pjreddie reads a NULL string (strlen/atoi), segmentation fault;"
                       " a reader bug")
            raise Stop("crash", CODES["crash"], msg, line, col, layer=index, reader_bug=code == "DN208")
        if code in ("DN301", "DN212"):
            raise Stop("error", CODES["assert"], f"assertion failed in {sec.header}: " + {
                "DN301": "l.outputs == params.inputs", "DN212": "inputs%groups == 0"}[code], line, col, layer=index,
                hint=f.hint)
        if f.output is not None:
            return f.output        # no assert in pjreddie for this (e.g. [shortcut] sizes): it carries on
        return Out(ZERO, 0)


def _adjust(spec: LayerSpec, out: Out) -> Out:
    return out._replace(output=ZERO) if spec.type in NO_SPATIAL_OUTPUT else out


def _int(sec: RSection, key: str, default: int) -> int:
    from cfggen.ir.cnum import atoi
    opt = sec.first(key)
    return atoi(opt.value) if opt is not None and opt.value is not None else default


def _same(spec: LayerSpec, sec: RSection, layer) -> bool:
    t = spec.type
    if t in ALIASES or t in FIXED or t in NO_SPATIAL_OUTPUT or t in SAME_AS:
        return False
    return same_options(sec, layer, READS.get(t, frozenset()), spec)


def run(doc, base=None):
    r = _Reader(doc, base)
    return r, r.run()
