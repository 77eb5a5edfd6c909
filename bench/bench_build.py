"""Benchmark: build every default cfg and validate it, in one process.

The defaults: 17 backbones (b0-b7, lite0-lite4, mixnet-s/m/l, mobilenetv2) x 3 heads, plus the
EfficientDet-style detectors d0-d7 (BiFPN + yolo heads, up to 1536x1536): 59 cfgs.

Goal: under 1 s. The baseline, measured in the same run, is reading and parsing the committed
files in generated_cfgs/ (the floor any "generate + check" pipeline pays), so the ratio stays
meaningful on slower or busier machines. Wall and CPU time are both split into generate and
validate (CPU time is the steadier one when other processes share the cores); rows per family
show where the time goes.

    python bench/bench_build.py [--repeat N] [--sizes training|native]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import NamedTuple

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from cfggen.api import analyze_text  # noqa: E402
from cfggen.cfg import parse  # noqa: E402
from cfggen.generate import HEADS, default_filename, generate  # noqa: E402
from cfggen.scale import VARIANTS  # noqa: E402
from cfggen.scale.bifpn import EFFICIENTDET  # noqa: E402

# (variant, head) of every default; head None: the variant's own (d0..d7: yolo on a BiFPN)
DEFAULTS = [(v, h) for v in VARIANTS for h in HEADS] + [(d, None) for d in EFFICIENTDET]


def family(variant: str) -> str:
    if variant in EFFICIENTDET:
        return "efficientdet d0-d7"
    return {"efficientnet": "efficientnet b0-b7", "lite": "lite0-lite4", "mobilenetv2": "mobilenetv2"}.get(
        VARIANTS[variant].family, "mixnet s/m/l")

GOAL_SECONDS = 1.0


class Run(NamedTuple):
    """One pass over the defaults: wall and CPU seconds of each phase, and the findings (should be 0)."""

    gen: float
    val: float
    gen_cpu: float
    val_cpu: float
    findings: int


def build_and_validate(sizes: str, per_family: dict[str, float] | None = None) -> Run:
    gen = val = gen_cpu = val_cpu = 0.0
    findings = 0
    clock, cpu = time.perf_counter, time.process_time
    for variant, head in DEFAULTS:
        c0, t0 = cpu(), clock()
        text = generate(variant, head=head)
        c1, t1 = cpu(), clock()
        findings += len(analyze_text(text, path=default_filename(variant, head), sizes=sizes).findings)
        c2, t2 = cpu(), clock()
        gen, val = gen + t1 - t0, val + t2 - t1
        gen_cpu, val_cpu = gen_cpu + c1 - c0, val_cpu + c2 - c1
        if per_family is not None:   # CPU seconds: comparable across runs on a shared machine
            per_family[family(variant)] = per_family.get(family(variant), 0.0) + c2 - c0
    return Run(gen, val, gen_cpu, val_cpu, findings)


def read_and_parse() -> float:
    directory = os.path.join(REPO, "generated_cfgs")
    t0 = time.perf_counter()
    for variant, head in DEFAULTS:
        name = default_filename(variant, head)
        with open(os.path.join(directory, name), encoding="utf-8") as fh:
            parse(fh.read(), name)
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs; the best one counts")
    parser.add_argument("--sizes", default="training", choices=("training", "native"),
                        help="validate at every multi-scale training size (default) or the cfg's own")
    args = parser.parse_args()

    count = len(DEFAULTS)
    t0 = time.perf_counter()
    findings = build_and_validate(args.sizes).findings   # cold: templates compile, lazy imports load
    cold = time.perf_counter() - t0
    per_family: dict[str, float] = {}
    runs = [build_and_validate(args.sizes, per_family) for _ in range(args.repeat)]
    wall = min(runs, key=lambda r: r.gen + r.val)            # the best run, split into its phases
    cpu = min(runs, key=lambda r: r.gen_cpu + r.val_cpu)
    best, best_cpu = wall.gen + wall.val, cpu.gen_cpu + cpu.val_cpu
    baseline = min(read_and_parse() for _ in range(args.repeat))

    print(f"{count} cfgs, validated at {args.sizes} sizes, {findings} findings")
    print(f"first run (cold: templates compile, lazy imports): {cold:.3f} s")
    print(f"best of {args.repeat}: {best:.3f} s = generate {wall.gen:.3f} s + validate {wall.val:.3f} s "
          f"({1000 * best / count:.1f} ms per cfg)")
    # CPU time of this process: stable when other processes share the cores (wall time is not)
    print(f"CPU time, best of {args.repeat}: {best_cpu:.3f} s = generate {cpu.gen_cpu:.3f} s + "
          f"validate {cpu.val_cpu:.3f} s")
    print(f"baseline, read + parse the {count} committed files: {baseline:.3f} s; "
          f"build + validate is {best / baseline:.1f}x the baseline (generate {wall.gen / baseline:.1f}x, "
          f"validate {wall.val / baseline:.1f}x)")
    for name, seconds in per_family.items():
        print(f"  {name:<20} {seconds / args.repeat:.3f} s CPU per run (mean)")
    print(f"goal < {GOAL_SECONDS:.1f} s: {'met' if best < GOAL_SECONDS else 'NOT met'} (wall), "
          f"{'met' if best_cpu < GOAL_SECONDS else 'NOT met'} (CPU)")
    return 0 if findings == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
