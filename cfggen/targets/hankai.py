"""hank-ai/darknet V5 ("Moonlit" v5.1): the maintained C++ fork, strict where AlexeyAB is lenient.

Read from its ``darknet_cfg.cpp`` / ``darknet_enums.cpp``: every line a section does not consume is
fatal ("unused or invalid", found in key order, since the lines live in a ``std::map``), ``[net]``
included; a duplicate key is fatal; a value is a number only if it is made of ``-.0123456789``
(``4e-5`` is "not numeric"); ``[reorg]``, ``[crop]``, ``[local]``, ``[detection]``, ``[gru]``,
``[batchnorm]`` and a few more are gone. Its layers are AlexeyAB's, so shapes come from the shared
registry. It is built ``-DNDEBUG``: AlexeyAB's asserts (e.g. [shortcut] same size) are not checked.

The data: ``SECTIONS`` (names it knows -> layer type), ``READS`` (the keys each parse function
consumes, in order; ``!`` marks where it builds the layer), the enumerations it validates.
"""
from __future__ import annotations

from cfggen.ir.layers import BY_TYPE, Fault, LayerSpec, Out
from cfggen.targets.engine import Reuse, build_network, conf_for, located, same_options
from cfggen.targets.lines import hank_line_text, hank_number, hank_sections
from cfggen.targets.model import RSection, Stop

NAME = "hank-ai"
TITLE = 'hank-ai/darknet V5 "Moonlit" v5.1'

# section name (without brackets) -> cfggen layer type; None: a name it knows but cannot build
SECTIONS: dict[str, str | None] = {
    "conv": "convolutional", "convolutional": "convolutional", "conn": "connected", "connected": "connected",
    "max": "maxpool", "maxpool": "maxpool", "local_avg": "local_avgpool", "local_avgpool": "local_avgpool",
    "avg": "avgpool", "avgpool": "avgpool", "soft": "softmax", "softmax": "softmax", "reorg3d": "reorg3d",
    "shortcut": "shortcut", "scale_channels": "scale_channels", "sam": "sam", "cost": "cost", "region": "region",
    "yolo": "yolo", "Gaussian_yolo": "gaussian_yolo", "crnn": "crnn", "lstm": "lstm", "rnn": "rnn",
    "dropout": "dropout", "contrastive": "contrastive", "route": "route", "upsample": "upsample",
    "net": None, "network": None, "empty": None, "silence": None,
}
KNOWN = frozenset(SECTIONS)

ACTIVATIONS = frozenset((
    "elu gelu hard_mish hardtan leaky lhtan linear logistic loggy mish normalize_channels normalize_channels_softmax "
    "normalize_channels_softmax_maxval plse ramp relie relu relu6 revleaky selu stair swish tanh").split())
POLICIES = frozenset("random poly constant step exp sigmoid steps sgdr".split())
IOU_LOSSES = frozenset("iou giou mse diou ciou".split())
NMS_KINDS = frozenset("default greedynms diounms cornersnms".split())
ENUMS = {"a": ("activation name", ACTIVATIONS), "p": ("learning rate policy", POLICIES),
         "u": ("IoU loss type", IOU_LOSSES), "n": ("NMS type", NMS_KINDS)}

# What each parse function consumes, in order. Types: i int, f float (both must be numeric), I int that
# must exist, s string, l array (never fatal), a/p/u/n an enumeration. "@cond" reads a key only when
# cond holds; "!name" is a check at that point of the function.
NET_READS = (
    "max_batches:i batch:i learning_rate:f learning_rate_min:f sgdr_cycle:i sgdr_mult:i momentum:f decay:f "
    "subdivisions:i !subdivisions time_steps:i track:i augment_speed:i sequential_subdivisions:i try_fix_nan:i "
    "weights_reject_freq:i equidistant_point:i badlabels_rejection_percentage:f num_sigmas_reject_badlabels:f "
    "ema_alpha:f use_cuda_graph:i loss_scale:f dynamic_minibatch:i optimized_memory:i workspace_size_limit_MB:f "
    "adam:i B1:f@adam B2:f@adam eps:f@adam height:i width:i channels:i inputs:i flip:i blur:i gaussian_noise:i "
    "mixup:i cutmix:i mosaic:i letter_box:i mosaic_bound:i contrastive:i contrastive_jit_flip:i "
    "contrastive_color:i !contrastive label_smooth_eps:f resize_step:f attention:i adversarial_lr:f "
    "max_chart_loss:f angle:f aspect:f saturation:f exposure:f hue:f power:f !inputs policy:p burn_in:i "
    "step:i@step scale:f@step steps:l@steps scales:l@steps seq_scales:l@steps !steps gamma:f@exp "
    "step:i@sigmoid show_receptive_field:i")
COMMON_READS = ("clip:f onlyforward:i dont_update:i burnin_update:i stopbackward:i train_only_bn:i dontload:i "
                "dontloadscales:i learning_rate:f")
_YOLO_TAIL = ("iou_normalizer:f obj_normalizer:f cls_normalizer:f delta_normalizer:f iou_loss:u iou_thresh_kind:u "
              "beta_nms:f nms_kind:n")
READS: dict[str, str] = {
    "convolutional": "filters:i groups:i size:i stride_x:i stride_y:i stride:i dilation:i antialiasing:i pad:i "
                     "padding:i activation:a assisted_excitation:f share_index:i ! batch_normalize:i cbn:i binary:i "
                     "xnor:i bin_output:i sway:i rotate:i stretch:i stretch_sway:i flipped:i dot:f angle:f "
                     "grad_centr:i reverse:f coordconv:i stream:i wait_stream:i",
    "route": "layers:l ! groups:i group_id:i stream:i wait_stream:i",
    "maxpool": "stride:i stride_x:i stride_y:i size:i padding:i maxpool_depth:i out_channels:i antialiasing:i ! "
               "maxpool_zero_nonmax:i",
    "yolo": "classes:i num:i max:i mask:l ! max_delta:f counters_per_class:l label_smooth_eps:f scale_x_y:f "
            "!counters objectness_smooth:i new_coords:i " + _YOLO_TAIL + " jitter:f resize:f focal_loss:i ignore_thresh:f "
            "truth_thresh:f iou_thresh:f random:f track_history_size:i sim_thresh:f dets_for_track:i dets_for_show:i "
            "track_ciou_norm:f embedding_layer:i map:s anchors:l !anchors",
    "upsample": "stride:i ! scale:f",
    "shortcut": "activation:a weights_type:s weights_normalization:s from:l !",
    "connected": "output:i activation:a batch_normalize:i !",
    "crnn": "size:i stride:i dilation:i pad:i padding:i output:i hidden:i groups:i batch_normalize:i xnor:i "
            "activation:a ! shortcut:i",
    "rnn": "output:i hidden:i batch_normalize:i logistic:i activation:a ! shortcut:i",
    "local_avgpool": "stride:i stride_x:i stride_y:i size:i padding:i !",
    "lstm": "output:i batch_normalize:i !",
    "reorg3d": "stride:i reverse:i !",
    "avgpool": "!",
    "cost": "type:s scale:f ! ratio:f",
    "region": "coords:i classes:i num:i max:i ! log:i sqrt:i softmax:i focal_loss:i rescore:i classfix:i absolute:i "
              "bias_match:i jitter:f resize:f thresh:f random:f coord_scale:f object_scale:f noobject_scale:f "
              "mask_scale:f class_scale:f tree:s map:s anchors:l",
    "gaussian_yolo": "classes:i max:i num:i mask:l ! objectness_smooth:i label_smooth_eps:f scale_x_y:f "
                     "uc_normalizer:f iou_normalizer:f obj_normalizer:f cls_normalizer:f delta_normalizer:f "
                     "max_delta:f counters_per_class:l !counters iou_loss:u iou_thresh_kind:u beta_nms:f nms_kind:n "
                     "yolo_point:s jitter:f resize:f ignore_thresh:f truth_thresh:f iou_thresh:f random:f map:s "
                     "anchors:l !anchors",
    "contrastive": "classes:i yolo_layer:i ! temperature:f cls_normalizer:f max_delta:f contrastive_neg_max:i",
    "softmax": "groups:i ! temperature:f tree:s spatial:f noloss:i",
    "scale_channels": "from:I scale_wh:i ! activation:a !no_swish",
    "sam": "from:I ! activation:a !no_swish",
    "dropout": "dropblock:i probability:f dropblock_size_rel:f dropblock_size_abs:f !",
}

CODES = {"section": "HK101", "orphan": "HK102", "duplicate": "HK103", "number": "HK104", "numeric": "HK105",
         "unused": "HK106", "enum": "HK107", "missing": "HK108", "structure": "HK109", "layer": "HK201",
         "size32": "HK202", "crash": "HK301"}
PORTABLE = frozenset({"HK103", "HK105", "HK106"})     # reasons the hank-ai port (port.py) may rewrite away
NAMES = {"HK101": ("unsupported-section", "error"), "HK102": ("option-before-section", "error"),
         "HK103": ("duplicate-key", "error"), "HK104": ("unparsable-number", "error"),
         "HK105": ("not-numeric", "error"), "HK106": ("unused-key", "error"), "HK107": ("unsupported-name", "error"),
         "HK108": ("missing-key", "error"), "HK109": ("bad-structure", "error"), "HK201": ("layer-error", "error"),
         "HK202": ("yolo-size-not-32", "error"), "HK301": ("crash", "error"),
         "HK401": ("different-network", "warning")}


def _items(spec: str) -> list[tuple[str, str, str]]:
    """``"a:i b:f@adam !x"`` -> [("a", "i", ""), ("b", "f", "adam"), ("!x", "", "")]."""
    out = []
    for item in spec.split():
        if item.startswith("!"):
            out.append((item, "", ""))
            continue
        key, _, rest = item.partition(":")
        typ, _, cond = rest.partition("@")
        out.append((key, typ, cond))
    return out


_NET_ITEMS = tuple(_items(NET_READS))
_COMMON_ITEMS = tuple(_items(COMMON_READS))
_LAYER_ITEMS = {t: _items(s) for t, s in READS.items()}
CONSUMED = {t: frozenset(k for k, typ, _ in items if typ) | frozenset(k for k, _, _ in _COMMON_ITEMS)
            for t, items in _LAYER_ITEMS.items()}
NET_CONSUMED = frozenset(k for k, typ, _ in _NET_ITEMS if typ)


def to_int(value: str) -> int:
    """``find_int``: ``std::stof`` then the integer part (``modf``)."""
    f = hank_number(value)
    return int(f) if f is not None else 0


def to_float(value: str) -> float:
    f = hank_number(value)
    return f if f is not None else 0.0


def int_array(value: str) -> str | None:
    """``find_int_array``: every run of ``-0123456789`` is one ``std::stoi`` (as a comma list)."""
    import re
    out = []
    for tok in re.findall(r"[-0-9]+", value):
        try:
            out.append(str(int(tok)))
        except ValueError:
            break
    return ",".join(out) if out else None


def float_count(value: str | None) -> int:
    import re
    if not value:
        return 0
    n = 0
    for tok in re.findall(r"[-.0-9]+", value):
        try:
            float(tok)
        except ValueError:
            break
        n += 1
    return n


_TABLES: dict[int, tuple[dict[str, str], list[str]]] = {}   # id of a module-level item tuple -> lookups


def _split(items):
    cut = next((i for i, (k, _, _) in enumerate(items) if k == "!"), len(items))
    return tuple(items[:cut]), tuple(items[cut + 1:])


_SPLIT = {t: _split(items) for t, items in _LAYER_ITEMS.items()}
_FULL = {t: tuple(i for i in items if i[1]) + _COMMON_ITEMS for t, items in _LAYER_ITEMS.items()}
_FULL_KEYS = {t: frozenset(k for k, _, _ in items) for t, items in _FULL.items()}
_MARKS = {t: tuple(k for k, typ, _ in items if not typ and k != "!") for t, items in _LAYER_ITEMS.items()}


def _policy_cond(cond: str, policy: str, adam: int) -> bool:
    if not cond:
        return True
    if cond == "adam":
        return adam != 0
    return policy in {"step": ("step",), "steps": ("steps", "sgdr"), "exp": ("exp", "sigmoid"),
                      "sigmoid": ("sigmoid",)}[cond]


class _Reader:
    """One run of hank-ai's parser over one document."""

    def __init__(self, doc, base):
        self.doc, self.base = doc, base
        self.text = doc.text

    # -- consuming keys ------------------------------------------------------------------------
    def consume(self, sec: RSection, items, used: set[str], checks=None, cond=None) -> None:
        """Read ``items`` in order (conditions, checks at their marks); the first bad value stops it."""
        if cond is None and self._quick(sec, items, used):
            for key, typ, _ in items:
                if not typ and checks is not None and key in checks:
                    checks[key]()
            return
        for key, typ, c in items:
            if not typ:
                if checks is not None and key in checks:
                    checks[key]()
                continue
            if cond is not None and not cond(c):
                continue
            opt = sec.first(key)
            if opt is None:
                if typ == "I":
                    raise Stop("error", CODES["missing"], f"section [{sec.name}] at line {sec.line} was expecting to "
                               f'find a key named "{key}" but it does not exist', sec.line, sec.col)
                continue
            used.add(key)
            if typ in "ifI":
                if hank_number(opt.value or "") is None:
                    raise Stop("error", CODES["numeric"], f'key "{key}" on line #{opt.line} should be numeric, '
                               f'but found "{opt.value}"', opt.line, opt.col,
                               hint="hank-ai reads numbers written with -.0123456789 only (no exponent, no comment "
                                    "text); write the value in plain decimal")
            elif typ in ENUMS:
                what, allowed = ENUMS[typ]
                if opt.value not in allowed:
                    raise Stop("error", CODES["enum"], f'{what} "{opt.value}" is not supported', opt.line, opt.col)

    def _quick(self, sec: RSection, items, used: set[str]) -> bool:
        """The common case in one pass over the section's few options: every key these ``items`` read is
        valid (then nothing stops here). False when the ordered walk must find the first problem."""
        table = _TABLES.get(id(items))
        if table is None:
            table = _TABLES[id(items)] = ({k: t for k, t, _ in items if t}, [k for k, t, _ in items if t == "I"])
        types, required = table
        for k in required:
            if k not in sec.firsts:
                return False
        hit = []
        for key, opt in sec.firsts.items():
            typ = types.get(key)
            if typ is None:
                continue
            if typ in "ifI":
                if hank_number(opt.value or "") is None:
                    return False
            elif typ in ENUMS and opt.value not in ENUMS[typ][1]:
                return False
            hit.append(key)
        used.update(hit)
        return True

    def unused(self, sec: RSection, used: set[str]) -> None:
        for key in sorted(o.key for o in sec.options):      # std::map: in key (byte) order
            if key not in used:
                opt = sec.first(key)
                raise Stop("error", CODES["unused"], f"config line #{opt.line} from section [{sec.name}] is unused "
                           f"or invalid: {hank_line_text(self.text, opt.line)}", opt.line, opt.col,
                           hint="hank-ai refuses every key it does not read; AlexeyAB ignores this one"
                           if key not in self.alexeyab_keys(sec) else "hank-ai does not read this key")

    def alexeyab_keys(self, sec: RSection) -> frozenset[str]:
        from cfggen.ir.layers import COMMON_KEYS, LAYERS, NET_TYPES
        if sec.name in ("net", "network"):
            return frozenset(NET_TYPES)
        spec = LAYERS.get(sec.header)
        return frozenset(spec.types) | frozenset(COMMON_KEYS) if spec else frozenset()

    # -- the run ------------------------------------------------------------------------------
    def run(self):
        sections = hank_sections(self.text, KNOWN, CODES, self.doc)
        if len(sections) < 2:
            raise Stop("error", CODES["structure"], "cannot create a network from empty configuration file",
                       sections[0].line if sections else 1, hint="a network needs [net] and at least one layer")
        net_sec = sections[0]
        if net_sec.name not in ("net", "network"):
            raise Stop("error", CODES["structure"], f"expected to find [net] or [network], but instead found "
                       f"[{net_sec.name}] on line #{net_sec.line}", net_sec.line, net_sec.col)
        used: set[str] = set()
        get = lambda k, d=0: to_int(net_sec.first(k).value) if net_sec.first(k) else d  # noqa: E731
        policy_opt = net_sec.first("policy")
        policy = policy_opt.value if policy_opt else "constant"

        def check_subdivisions():
            if net_sec.first("subdivisions") and get("subdivisions", 1) == 0:
                opt = net_sec.first("subdivisions")
                raise Stop("crash", CODES["crash"], "subdivisions=0: hank-ai divides batch by zero (SIGFPE)",
                           opt.line, opt.col)

        def check_contrastive():
            if get("contrastive") and (get("batch", 1) // max(1, get("subdivisions", 1))) < 2:
                raise Stop("error", CODES["layer"], "mini_batch size (batch/subdivisions) should be higher than 1 "
                           "for contrastive loss", net_sec.line, net_sec.col)

        def check_inputs():
            w, h, c = get("width"), get("height"), get("channels")
            if not get("inputs", w * h * c) and not (w and h and c):
                raise Stop("error", CODES["layer"], "no input parameters supplied", net_sec.line, net_sec.col)

        def check_steps():
            if policy == "steps" and (not int_array(_v(net_sec, "steps")) or not float_count(_v(net_sec, "scales"))):
                raise Stop("error", CODES["layer"], "STEPS policy must have steps and scales in cfg file",
                           net_sec.line, net_sec.col)

        adam = 0
        # adam is read before B1/B2/eps: evaluate the condition lazily
        self.consume(net_sec, _NET_ITEMS, used,
                     {"!subdivisions": check_subdivisions, "!contrastive": check_contrastive,
                      "!inputs": check_inputs, "!steps": check_steps},
                     cond=lambda c: _policy_cond(c, policy, get("adam", adam)))
        self.unused(net_sec, used)
        w, h, c = get("width"), get("height"), get("channels")
        inputs = get("inputs", w * h * c)
        layers = build_network(w, h, c, inputs, list(sections[1:]), spec_of=self.spec_of, conf_of=self.conf_of,
                               fault=self.fault, before=self.before, after=self.after,
                               base=Reuse(self.base, _same) if self.base is not None else None)
        if not any(L.input.w > 1 and L.input.h > 1 for L in layers):
            raise Stop("crash", CODES["crash"], "no layer receives an input wider and taller than 1: hank-ai divides "
                       "by zero (SIGFPE) after parsing (avg_outputs / avg_counter); a reader bug inherited from AlexeyAB",
                       net_sec.line, net_sec.col, reader_bug=True)
        if layers[-1].type in ("yolo", "region") and (w % 32 or h % 32 or w < 32 or h < 32):
            opt = net_sec.first("width") if (w % 32 or w < 32) else net_sec.first("height")
            line, col = (opt.line, opt.col) if opt else (net_sec.line, net_sec.col)
            raise Stop("error", CODES["size32"], f"width={w} and height={h} in cfg file must be divisible by 32 "
                       "for YOLO networks", line, col, hint="use a multiple of 32, at least 32")
        return layers

    def spec_of(self, index: int, sec: RSection) -> LayerSpec | None:
        typ = SECTIONS.get(sec.name)
        if typ is None:
            raise Stop("error", CODES["section"], f'layer type "{sec.name}" not recognized on line #{sec.line}',
                       sec.line, sec.col, layer=index)
        return BY_TYPE[typ]

    def conf_of(self, spec: LayerSpec, sec: RSection) -> dict:
        return conf_for(spec, sec, to_int=to_int, to_float=to_float, to_list=int_array)

    def before(self, index, sec, spec, conf, cur, layers):
        self._used = set()
        self._index = index
        # the common case: every key is one this type reads, with a valid value -- nothing can stop here
        self._clean = self._quick(sec, _FULL[spec.type], set()) and len(sec.firsts) == sum(
            1 for k in sec.firsts if k in _FULL_KEYS[spec.type])
        if self._clean:
            return
        # consume up to the build point; the build (infer) runs next, then ``after`` consumes the rest
        head, self._rest = _SPLIT[spec.type]
        self.consume(sec, head, self._used)

    def after(self, index, sec, spec, conf, layer, layers):
        def no_swish():
            opt = sec.first("activation")
            if opt is not None and opt.value in ("swish", "mish"):
                raise Stop("error", CODES["layer"], f"[{sec.name}] layer on line #{sec.line} does not support SWISH "
                           "or MISH activation", opt.line, opt.col, layer=index)

        def anchors():
            # parse_yolo_section copies every anchor value into biases[2*total] without a bound
            n = float_count(_v(sec, "anchors"))
            if n > 2 * max(0, conf.get("num") or 0):
                opt = sec.first("anchors")
                raise Stop("crash", CODES["crash"], f"anchors= has {n} values but num={conf.get('num')} leaves room "
                           f"for {2 * conf.get('num')}: hank-ai writes past the end of its anchor array (heap "
                           "overflow; it crashes or not depending on the heap layout). A reader bug; AlexeyAB stops "
                           "at 2*num", opt.line, opt.col, layer=index, reader_bug=True)

        def counters():
            opt = sec.first("counters_per_class")
            if opt is None:
                return
            values = int_array(opt.value or "")
            n = len(values.split(",")) if values else 0
            if n and n != conf.get("classes"):
                raise Stop("error", CODES["layer"], f"number of values in counters_per_class={n} doesn't match "
                           f"classes={conf.get('classes')}", opt.line, opt.col, layer=index)

        if self._clean:
            for key in _MARKS[spec.type]:
                {"!no_swish": no_swish, "!anchors": anchors, "!counters": counters}[key]()
            return
        self.consume(sec, self._rest, self._used, {"!no_swish": no_swish, "!anchors": anchors, "!counters": counters})
        self.consume(sec, _COMMON_ITEMS, self._used)
        self.unused(sec, self._used)

    def fault(self, index: int, sec: RSection, f: Fault) -> Out:
        line, col = located(sec, f.key)
        code = f.code
        if code in ("DN211", "DN220") and f.key == "share_index":
            # make_convolutional_layer: hank-ai stops through darknet_fatal_error (AlexeyAB prints and goes on)
            raise Stop("error", CODES["layer"], "Layer size, nweights, channels or filters don't match for the "
                       "share_layer", line, col, layer=index, hint=f.message.split(";")[0])
        if code == "DN211" or (code == "DN212" and "zero" in f.message):
            raise Stop("crash", CODES["crash"], f.message.replace("darknet", "hank-ai"), line, col, layer=index)
        if code == "DN206" or (code == "DN207" and sec.name != "route") or (code == "DN208" and sec.name == "contrastive"):
            raise Stop("crash", CODES["crash"], f.message.replace("darknet", "hank-ai"), line, col, layer=index)
        if code in ("DN201", "DN202", "DN203", "DN204", "DN205", "DN212") and f.output is not None:
            return f.output        # an assert AlexeyAB makes; hank-ai is built with NDEBUG
        messages = {
            "DN208": f"route layer at line #{sec.line} must specify input layers" if sec.name == "route"
            else 'shortcut layer must specify "from=..." input layer',
            "DN207": f"cannot route layer in [{sec.name}] at line #{sec.line} (a layer at or after this one)",
            "DN209": f"layer before [{sec.name}] at line #{sec.line} must output image",
            "DN301": f"filters in the convolutional layer prior to [{sec.name}] on line {sec.line} does not match "
                     "either the classes or the mask",
        }
        raise Stop("error", CODES["layer"], messages.get(code, f.message.replace("darknet", "hank-ai")), line, col,
                   layer=index, hint=f.hint)


def _same(spec: LayerSpec, sec: RSection, layer) -> bool:
    return same_options(sec, layer, None, spec)


def _v(sec: RSection, key: str) -> str | None:
    opt = sec.first(key)
    return opt.value if opt else None


def run(doc, base):
    """(layers, None) or raises Stop."""
    return _Reader(doc, base).run()


