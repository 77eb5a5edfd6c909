"""Block strings: one MBConv stage per string, in TF/timm notation.

Grammar (TF ``efficientnet_builder.BlockDecoder``; timm ``_decode_block_str``): tokens joined by
``_``; each token is a key (its leading letters) followed by a value (the rest)::

    r1_k3_s11_e1_i32_o16_se0.25

    r       repeats: blocks in the stage (before depth scaling)
    k       depthwise kernel size (odd: darknet's pad=1 keeps the size only for odd kernels)
    s       stride of the stage's first block: TF writes both axes (s22), timm one (s2)
    e       expand ratio: the 1x1 expand conv widens the block input e times (e1: no expand conv)
    i       input filters (optional: defaults to the previous stage's output, or the stem)
    o / c   output filters (``c`` is timm's spelling)
    se      squeeze-and-excitation ratio of the block *input* filters (absent: no SE)
    noskip  never add the residual connection

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
    kernel: int
    stride: int
    expand_ratio: int
    out_filters: int
    in_filters: int | None = None    # None: chained from the previous stage's output
    se_ratio: float | None = None    # None: no squeeze-and-excitation
    id_skip: bool = True             # False: 'noskip'


def _positive_int(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise ValueError("expects a positive integer")
    return int(value)


def _kernel(value: str) -> int:
    k = _positive_int(value)
    if k % 2 == 0:
        raise ValueError("kernel must be odd (darknet pads size/2, which keeps the size only for odd kernels)")
    return k


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
    "k": ("kernel", _kernel),
    "s": ("stride", _stride),
    "e": ("expand_ratio", _positive_int),
    "i": ("in_filters", _positive_int),
    "o": ("out_filters", _positive_int),
    "c": ("out_filters", _positive_int),
    "se": ("se_ratio", _ratio),
    "noskip": ("id_skip", _flag),
}
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
    parts = [f"r{block.repeats}", f"k{block.kernel}", f"s{block.stride}{block.stride}",
             f"e{block.expand_ratio}"]
    if block.in_filters is not None:
        parts.append(f"i{block.in_filters}")
    parts.append(f"o{block.out_filters}")
    if block.se_ratio is not None:
        parts.append(f"se{block.se_ratio!r}")  # repr round-trips every float
    if not block.id_skip:
        parts.append("noskip")
    return "_".join(parts)


def decode_list(blocks: str | Iterable[str | BlockArgs]) -> tuple[BlockArgs, ...]:
    """A comma-separated string (the CLI's --blocks) or a sequence of strings/BlockArgs."""
    items = [b for b in blocks.split(",")] if isinstance(blocks, str) else list(blocks)
    if not items or all(isinstance(b, str) and not b.strip() for b in items):
        raise GenerateError("no blocks given")
    return tuple(b if isinstance(b, BlockArgs) else decode(b, where=f"block {n}")
                 for n, b in enumerate(items, start=1))
