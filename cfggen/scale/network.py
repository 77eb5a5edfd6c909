"""Scale a list of stages (BlockArgs) into the concrete blocks of one network.

``scale`` is the whole of EfficientNet's compound scaling: widths through ``round_filters``, repeats
through ``round_repeats``, the stage's stride on its first block only, and the derived fields (SE
width, residual, drop-connect rate) computed once, here, so the templates only print them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from cfggen.errors import GenerateError
from cfggen.scale.blocks import BlockArgs
from cfggen.scale.rounding import round_filters, round_repeats
from cfggen.scale.variants import HEAD_FILTERS, STEM_FILTERS, Family

STEM_STRIDE = 2
DROP_CONNECT_RATE = 0.2  # TF: survival probability 0.8 at the last block, linear in the block index


@dataclass(frozen=True)
class Block:
    """One MBConv block with every width resolved."""

    stage: int          # 1-based stage number
    index: int          # 1-based position in its stage
    number: int         # 0-based position in the network (drop-connect rate uses it)
    kernel: int
    stride: int
    expand_ratio: int
    in_filters: int
    out_filters: int
    se_filters: int     # squeeze width; 0 = no squeeze-and-excitation
    skip: bool          # residual connection (stride 1 and in == out)
    drop_rate: float    # drop-connect probability of the residual branch (0 without skip)
    out_stride: int     # total stride of the network after this block

    @property
    def expanded(self) -> int:
        return self.in_filters * self.expand_ratio


@dataclass(frozen=True)
class Network:
    stem: int                   # filters of the 3x3 stride-2 stem conv
    blocks: tuple[Block, ...]
    head: int                   # filters of the 1x1 conv before pooling (classifier head)

    def stage_ends(self) -> dict[int, Block]:
        """The last block at each total stride: the feature maps a detector head taps."""
        return {block.out_stride: block for block in self.blocks}


def stage_repeats(stages: Sequence[BlockArgs], depth_mult: float, rules: Family) -> list[int]:
    last = len(stages) - 1
    return [stage.repeats if rules.fixed_end_repeats and i in (0, last)
            else round_repeats(stage.repeats, depth_mult)
            for i, stage in enumerate(stages)]


def check_chaining(stages: Sequence[BlockArgs]) -> None:
    """An explicit ``i`` must equal the previous stage's ``o`` (block strings spell it redundantly)."""
    for n, (prev, stage) in enumerate(zip(stages, stages[1:]), start=2):
        if stage.in_filters is not None and stage.in_filters != prev.out_filters:
            raise GenerateError(f"stage {n} has input filters i{stage.in_filters}, but stage {n - 1} "
                                f"outputs o{prev.out_filters}")


def scale(stages: Sequence[BlockArgs], width_mult: float, depth_mult: float, rules: Family,
          se: bool = True) -> Network:
    """Compound-scale ``stages``; ``se=False`` drops squeeze-and-excitation everywhere."""
    if not stages:
        raise GenerateError("no blocks given")
    if width_mult <= 0 or depth_mult <= 0:
        raise GenerateError(f"width and depth multipliers must be positive (got {width_mult}, {depth_mult})")
    check_chaining(stages)

    def width(filters: int, fixed: bool = False) -> int:
        return filters if fixed else round_filters(filters, width_mult)

    stem = width(stages[0].in_filters or STEM_FILTERS, rules.fixed_stem_head)
    repeats = stage_repeats(stages, depth_mult, rules)
    total = sum(repeats)
    blocks: list[Block] = []
    channels, out_stride = stem, STEM_STRIDE
    for stage_no, (stage, count) in enumerate(zip(stages, repeats), start=1):
        out = width(stage.out_filters)
        for index in range(1, count + 1):
            # only a stage's first block changes the resolution; the others keep it and the width
            stride = stage.stride if index == 1 else 1
            out_stride *= stride
            skip = stage.id_skip and stride == 1 and channels == out
            number = len(blocks)
            # SE squeezes to a fraction of the block's *input* filters, not of the expanded ones
            squeeze = max(1, int(channels * stage.se_ratio)) if se and rules.se and stage.se_ratio else 0
            blocks.append(Block(stage_no, index, number, stage.kernel, stride, stage.expand_ratio,
                                channels, out, squeeze, skip,
                                DROP_CONNECT_RATE * number / total if skip else 0.0, out_stride))
            channels = out
    return Network(stem, tuple(blocks), width(HEAD_FILTERS, rules.fixed_stem_head))
