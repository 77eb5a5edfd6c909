"""Block strings: one MBConv stage per string, in TF/timm notation.

Grammar (TF ``efficientnet_builder.BlockDecoder``; timm ``_decode_block_str``): tokens joined by
``_``; each token is a key (its leading letters) followed by a value (the rest)::

    r1_k3_s11_e1_i32_o16_se0.25

    r       repeats: blocks in the stage (before depth scaling)
    k       depthwise kernel size (odd: darknet's pad=1 keeps the size only for odd kernels);
            MixNet's mixed kernels are dot-separated (k3.5.7: the expanded channels split in three
            groups, one 3x3, 5x5, 7x7 depthwise conv each)
    a / p   MixNet's grouped expand / project 1x1 convs: one ``1`` per group (a1.1: two groups)
    s       stride of the stage's first block: TF writes both axes (s22), timm one (s2)
    e       expand ratio: the 1x1 expand conv widens the block input e times (e1: no expand conv)
    i       input filters (optional: defaults to the previous stage's output, or the stem)
    o / c   output filters (``c`` is timm's spelling)
    se      squeeze-and-excitation ratio of the block *input* filters (absent: no SE)
    noskip  never add the residual connection
    sw      swish in this block (TF MixNet); timm spells it ``nsw``, and ``nre``/``nr6`` mean relu/relu6.
            Absent: the family's activation

A leading timm block type is accepted too: ``ir`` (inverted residual, the default) or ``ds``
(depthwise separable: no expand conv, so ``e`` must be 1 or absent).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

from cfggen.errors import GenerateError


@dataclass(frozen=True)
class BlockArgs:
    """One stage of MBConv blocks, unscaled, as written in a block string."""

    repeats: int
    kernel: int | tuple[int, ...]    # a tuple: MixNet's mixed depthwise kernels, one per channel group
    stride: int
    expand_ratio: int
    out_filters: int
    in_filters: int | None = None    # None: chained from the previous stage's output
    se_ratio: float | None = None    # None: no squeeze-and-excitation
    id_skip: bool = True             # False: 'noskip'
    expand_groups: int = 1           # a1.1 -> 2: the expand conv is grouped
    project_groups: int = 1          # p1.1 -> 2: the project conv is grouped
    activation: str | None = None    # None: the family's activation

    @property
    def kernels(self) -> tuple[int, ...]:
        return self.kernel if isinstance(self.kernel, tuple) else (self.kernel,)


def _positive_int(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise ValueError("expects a positive integer")
    return int(value)


def _kernel(value: str) -> int:
    k = _positive_int(value)
    if k % 2 == 0:
        raise ValueError("kernel must be odd (darknet pads size/2, which keeps the size only for odd kernels)")
    return k


def _kernels(value: str) -> int | tuple[int, ...]:
    kernels = tuple(_kernel(k) for k in value.split("."))
    return kernels[0] if len(kernels) == 1 else kernels


def _groups(value: str) -> int:
    # timm writes a grouped 1x1 conv as a list of 1x1 kernels, one per group: "1.1" is two groups
    parts = value.split(".")
    if any(p != "1" for p in parts):
        raise ValueError("expects 1x1 kernels, one '1' per group (a1, a1.1, p1.1.1)")
    return len(parts)


def _stride(value: str) -> int:
    # TF: one digit per axis ("s22"); timm: a single number ("s2"). Darknet cfgs here are square.
    if len(value) == 2 and value.isdigit():
        if value[0] != value[1]:
            raise ValueError("expects equal strides on both axes (s11 or s22)")
        value = value[0]
    return _positive_int(value)


def _ratio(value: str) -> float:
    try:
        ratio = float(value)
    except ValueError:
        raise ValueError("expects a number") from None
    if not 0.0 < ratio <= 1.0:
        raise ValueError("expects a ratio in (0, 1]")
    return ratio


def _flag(value: str) -> bool:
    if value:
        raise ValueError("takes no value")
    return False


# key -> (BlockArgs field, converter). One table drives decoding; encode() writes the same keys.
KEYS: dict[str, tuple[str, Callable[[str], object]]] = {
    "r": ("repeats", _positive_int),
    "k": ("kernel", _kernels),
    "s": ("stride", _stride),
    "e": ("expand_ratio", _positive_int),
    "i": ("in_filters", _positive_int),
    "o": ("out_filters", _positive_int),
    "c": ("out_filters", _positive_int),
    "se": ("se_ratio", _ratio),
    "noskip": ("id_skip", _flag),
    "a": ("expand_groups", _groups),
    "p": ("project_groups", _groups),
}
# whole tokens naming the block's activation (TF MixNet's "sw", timm's "n" + short name)
ACTIVATION_TOKENS = {"sw": "swish", "nsw": "swish", "nre": "relu", "nr6": "relu6"}
ENCODED_ACTIVATION = {"swish": "sw", "relu": "nre", "relu6": "nr6"}
REQUIRED = ("repeats", "kernel", "stride", "out_filters")
BLOCK_TYPES = {"ir": {}, "ds": {"expand_ratio": 1}}  # timm type token -> implied fields

_TOKEN = re.compile(r"([a-z]+)(.*)", re.DOTALL)


def decode(text: str, where: str = "block string") -> BlockArgs:
    """Parse one block string; a bad token raises GenerateError naming the token and its position."""
    tokens = text.strip().split("_")
    fields: dict[str, object] = {}
    implied: dict[str, object] = {}
    column = 1
    for position, token in enumerate(tokens, start=1):
        def fail(reason: str) -> GenerateError:
            return GenerateError(f"{where} {text!r}: token {position} {token!r} (column {column}): {reason}")

        match = _TOKEN.fullmatch(token)
        key, value = match.groups() if match else ("", token)
        if position == 1 and key in BLOCK_TYPES and not value:
            implied = BLOCK_TYPES[key]
        elif token in ACTIVATION_TOKENS:
            if "activation" in fields:
                raise fail("activation given twice")
            fields["activation"] = ACTIVATION_TOKENS[token]
        elif key not in KEYS:
            raise fail(f"unknown key {key!r}; expected one of {', '.join(KEYS)}")
        else:
            name, convert = KEYS[key]
            if name in fields:
                raise fail(f"{name} given twice")
            try:
                fields[name] = convert(value)
            except ValueError as exc:
                raise fail(f"{key!r} {exc}") from None
        column += len(token) + 1
    for name, value in implied.items():
        if fields.setdefault(name, value) != value:
            raise GenerateError(f"{where} {text!r}: a 'ds' block has no expand conv, so e must be 1")
    fields.setdefault("expand_ratio", 1)
    missing = [name for name in REQUIRED if name not in fields]
    if missing:
        keys = [k for k, (name, _) in KEYS.items() if name in missing and k != "c"]
        raise GenerateError(f"{where} {text!r}: missing {', '.join(repr(k) for k in keys)}")
    return BlockArgs(**fields)  # type: ignore[arg-type]


def encode(block: BlockArgs) -> str:
    """The canonical TF spelling of a block; ``decode(encode(b)) == b``."""
    parts = [f"r{block.repeats}", "k" + ".".join(map(str, block.kernels))]
    parts += [f"{key}{'.'.join(['1'] * groups)}" for key, groups in
              (("a", block.expand_groups), ("p", block.project_groups)) if groups != 1]
    parts += [f"s{block.stride}{block.stride}", f"e{block.expand_ratio}"]
    if block.in_filters is not None:
        parts.append(f"i{block.in_filters}")
    parts.append(f"o{block.out_filters}")
    if block.se_ratio is not None:
        parts.append(f"se{block.se_ratio!r}")  # repr round-trips every float
    if not block.id_skip:
        parts.append("noskip")
    if block.activation is not None:
        parts.append(ENCODED_ACTIVATION[block.activation])
    return "_".join(parts)


def decode_list(blocks: str | Iterable[str | BlockArgs]) -> tuple[BlockArgs, ...]:
    """A comma-separated string (the CLI's --blocks) or a sequence of strings/BlockArgs."""
    items = [b for b in blocks.split(",")] if isinstance(blocks, str) else list(blocks)
    if not items or all(isinstance(b, str) and not b.strip() for b in items):
        raise GenerateError("no blocks given")
    return tuple(b if isinstance(b, BlockArgs) else decode(b, where=f"block {n}")
                 for n, b in enumerate(items, start=1))


def decode_stages(stages: Iterable[str | BlockArgs | Iterable[str | BlockArgs]]
                  ) -> tuple[BlockArgs | tuple[BlockArgs, ...], ...]:
    """A family's stages: a string per stage, or a tuple of strings (MixNet's multi-string stages)."""
    return tuple(decode_list([s])[0] if isinstance(s, (str, BlockArgs)) else decode_list(s) for s in stages)
