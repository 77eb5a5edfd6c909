"""Scale a list of stages (BlockArgs) into the concrete blocks of one network.

``scale`` is the whole of EfficientNet's compound scaling: widths through ``round_filters``, repeats
through ``round_repeats``, the stage's stride on its first block only, and the derived fields (SE
width, residual, drop-connect rate) computed once, here, so the templates only print them.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Sequence, Union

from cfggen.errors import GenerateError
from cfggen.scale.blocks import BlockArgs
from cfggen.scale.mixconv import ConvPlan, plan_conv
from cfggen.scale.rounding import round_filters, round_repeats
from cfggen.scale.variants import Family

Stage = Union[BlockArgs, Sequence[BlockArgs]]   # one block string, or several (MixNet's stages)

STEM_STRIDE = 2


# a depth multiplier whose network has more blocks than this is refused before any is written
# (the largest EfficientNet, B7 at depth 3.1, has 55)
MAX_BLOCKS = 10_000


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
    drop_rate: float    # drop-connect probability of the residual branch (0 without skip: no [dropout])
    out_stride: int     # total stride of the network after this block
    kernel_sizes: tuple[int, ...] = ()   # MixNet: one depthwise kernel per channel group
    expand_groups: int = 1
    project_groups: int = 1
    activation: str | None = None        # None: the network's activation
    part: int = 1       # 1-based block string of the stage this block comes from
    first_of_part: bool = True

    @property
    def expanded(self) -> int:
        return self.in_filters * self.expand_ratio

    @property
    def kernels(self) -> tuple[int, ...]:
        return self.kernel_sizes or (self.kernel,)

    @property
    def mixed(self) -> bool:
        return len(self.kernels) > 1 or self.expand_groups > 1 or self.project_groups > 1

    @property
    def where(self) -> str:
        return f"stage {self.stage} block {self.index}"

    @functools.cached_property
    def plans(self) -> tuple[ConvPlan | None, ConvPlan, ConvPlan]:
        """Sections of the expand (None without one), depthwise and project convs."""
        e, where = self.expanded, self.where
        expand = (plan_conv(self.in_filters, e, (1,), groups=self.expand_groups, where=where + " expand")
                  if self.expand_ratio != 1 else None)
        depthwise = plan_conv(e, e, self.kernels, self.stride, depthwise=True, where=where + " depthwise")
        project = plan_conv(e, self.out_filters, (1,), groups=self.project_groups, where=where + " project")
        return expand, depthwise, project

    @property
    def body_layers(self) -> int:
        """Layers from the block's first to its last before the [shortcut] (what it reaches over)."""
        expand, depthwise, project = self.plans
        return ((expand.layers if expand else 0) + depthwise.layers + 4 * (self.se_filters > 0)
                + project.layers + (self.drop_rate > 0))


@dataclass(frozen=True)
class Network:
    stem: int                   # filters of the 3x3 stride-2 stem conv
    blocks: tuple[Block, ...]
    head: int                   # filters of the 1x1 conv before pooling (classifier head)

    def stage_ends(self) -> dict[int, Block]:
        """The last block at each total stride: the feature maps a detector head taps."""
        return {block.out_stride: block for block in self.blocks}


def stage_rows(stages: Sequence[Stage]) -> list[tuple[BlockArgs, ...]]:
    """Every stage as a tuple of block strings (EfficientNet's stages have one each)."""
    return [(s,) if isinstance(s, BlockArgs) else tuple(s) for s in stages]


def stage_repeats(stages: Sequence[Stage], depth_mult: float, rules: Family) -> list[list[int]]:
    """Repeats per block string: TF scales each string (MixNet's builder too) with round_repeats."""
    rows = stage_rows(stages)
    last = len(rows) - 1
    return [[b.repeats if rules.fixed_end_repeats and i in (0, last) else round_repeats(b.repeats, depth_mult)
             for b in row] for i, row in enumerate(rows)]


def check_chaining(stages: Sequence[Stage]) -> None:
    """An explicit ``i`` must equal the previous stage's ``o`` (block strings spell it redundantly)."""
    strings = [b for row in stage_rows(stages) for b in row]
    for n, (prev, stage) in enumerate(zip(strings, strings[1:]), start=2):
        if stage.in_filters is not None and stage.in_filters != prev.out_filters:
            raise GenerateError(f"stage {n} has input filters i{stage.in_filters}, but stage {n - 1} "
                                f"outputs o{prev.out_filters}")


def scale(stages: Sequence[Stage], width_mult: float, depth_mult: float, rules: Family,
          se: bool = True) -> Network:
    """Compound-scale ``stages``; ``se=False`` drops squeeze-and-excitation everywhere.

    A channel split darknet cannot take exactly raises GenerateError here (``Block.plans``).
    """
    if not stages:
        raise GenerateError("no blocks given")
    if not (0 < width_mult < float("inf") and 0 < depth_mult < float("inf")):   # nan fails both
        raise GenerateError(f"width and depth multipliers must be positive (got {width_mult}, {depth_mult})")
    check_chaining(stages)
    rows = stage_rows(stages)

    def width(filters: int, fixed: bool = False) -> int:
        return filters if fixed else round_filters(filters, width_mult)

    stem = width(rows[0][0].in_filters or rules.stem, rules.fixed_stem_head)
    repeats = stage_repeats(rows, depth_mult, rules)
    total = sum(map(sum, repeats))
    if total > MAX_BLOCKS:
        raise GenerateError(f"depth multiplier {depth_mult:g} makes {total:,} blocks: more than {MAX_BLOCKS:,} "
                            "(a cfg of millions of layers no reader builds)")
    blocks: list[Block] = []
    channels, out_stride = stem, STEM_STRIDE
    for stage_no, (row, counts) in enumerate(zip(rows, repeats), start=1):
        index = 0
        for part, (string, count) in enumerate(zip(row, counts), start=1):
            out = width(string.out_filters)
            for n in range(count):
                index += 1
                # only a stage's first block changes the resolution; the others keep it and the width
                stride = string.stride if index == 1 else 1
                out_stride *= stride
                skip = string.id_skip and stride == 1 and channels == out
                number = len(blocks)
                # SE squeezes to a fraction of the block's *input* filters, not of the expanded ones
                squeeze = max(1, int(channels * string.se_ratio)) if se and rules.se and string.se_ratio else 0
                kernels = string.kernels
                block = Block(stage_no, index, number, kernels[0], stride, string.expand_ratio,
                              channels, out, squeeze, skip,
                              rules.drop_connect * number / total if skip else 0.0, out_stride,
                              kernels if len(kernels) > 1 else (), string.expand_groups,
                              string.project_groups, string.activation, part, n == 0)
                block.plans   # noqa: B018 -- refuse an inexpressible channel split now, not mid-render
                blocks.append(block)
                channels = out
    return Network(stem, tuple(blocks), width(rules.head, rules.fixed_stem_head or rules.fixed_head))
