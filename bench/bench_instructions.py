"""Validation cost in instructions (valgrind callgrind): the steady figure on a shared machine.

Wall-clock time on a loaded 2-core VM swings by tens of percent between runs (bench_validate.py pairs
its measurements for that reason); an instruction count does not depend on the load. Each figure is
the difference between two runs of the same interpreter: the step's code after the set-up, minus
the set-up alone (imports, reading the corpus files into memory). Every run uses PYTHONHASHSEED=0;
a code change can still move a figure by a few percent through memory layout alone.

    python bench/bench_instructions.py [--shared ../shared] [--repo CHECKOUT]

``--repo``: count another checkout's cfggen (e.g. a worktree of an older commit) with the same
command, for a before/after pair. Needs valgrind (skips with a message when it is not installed).
Prints, in millions of instructions, with the ratio to the first row (reading and parsing):
  * parse the corpus                                (95 files, ~63,000 lines)
  * parse + plan + infer at the cfg's own size      (shape inference, no rules)
  * parse + analyze, every training size            (what `cfggen validate` does per file)
  * the same again in the same process              (warm process-wide caches: bench_validate's rounds)
  * a cold `cfggen validate yolov4.cfg` process above `python -c pass`
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

SETUP = ("import sys, glob; sys.path.insert(0, {repo!r}); from cfggen.cfg.parse import parse_bytes; "
         "from cfggen.ir.build import plan, infer; from cfggen.lint.engine import analyze; "
         "files = sorted(glob.glob({corpus!r} + '/**/*.cfg', recursive=True)); "
         "datas = [open(f, 'rb').read() for f in files]\n")
STEPS = [
    ("parse the corpus", "for d in datas: parse_bytes(d)"),
    ("parse + plan + infer (own size)", "for d in datas:\n    p = plan(parse_bytes(d))\n    if p.net is not None: infer(p)"),
    ("parse + analyze (training sizes)", "for d, f in zip(datas, files): analyze(parse_bytes(d, f), 'training')"),
]


# bytecode caches written (a warm-up run writes them), one hash seed for every run
ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "PYTHONHASHSEED": "0"}


def count(args: list[str], cwd: str) -> int:
    err = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, *args],
                         capture_output=True, text=True, env=ENV, cwd=cwd).stderr
    lines = [line for line in err.splitlines() if "Collected" in line]
    if not lines:
        sys.exit(f"valgrind gave no count for {args[:2]}: {err.strip().splitlines()[-1:]}")
    return int(lines[-1].split()[-1])


def corpus_and_repo() -> tuple[Path, str]:
    """The command line every instruction bench takes (``--shared``, ``--repo``): the corpus folder and
    the checkout to count; exits with a message when valgrind or the corpus is missing."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(HERE.parent.parent / "shared"))
    ap.add_argument("--repo", default=str(HERE.parent))
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed: this benchmark counts instructions with valgrind --tool=callgrind")
    corpus = Path(args.shared) / "corpus" / "darknet"
    if not any(corpus.rglob("*.cfg")):
        sys.exit(f"no corpus at {corpus}: pass --shared")
    return corpus, str(Path(args.repo).resolve())


def main() -> None:
    corpus, repo = corpus_and_repo()
    setup = SETUP.format(repo=repo, corpus=str(corpus))
    cfg = str(corpus / "yolov4.cfg")
    # write the bytecode caches first, so that no run below counts compiling
    subprocess.run([sys.executable, "-c", setup], cwd=repo, env=ENV, check=True)
    subprocess.run([sys.executable, "-m", "cfggen", "validate", cfg], cwd=repo, env=ENV, capture_output=True)
    print(f"cfggen at {repo} (millions of instructions)")
    base = count(["-c", setup], repo)
    first = None
    for name, code in STEPS:
        once = count(["-c", setup + code], repo)
        n = (once - base) / 1e6
        first = first or n
        print(f"  {name:36s} {n:8.1f} M   x{n / first:.2f}")
    # the last step again in the same process: what bench_validate.py's best-of-N rounds measure
    # (a process-wide cache such as cnum's int-list parser, or training_sizes, is warm by then)
    warm = (count(["-c", setup + code + "\n" + code], repo) - once) / 1e6
    print(f"  {'  the same, a second pass':36s} {warm:8.1f} M")
    cold = (count(["-m", "cfggen", "validate", cfg], repo) - count(["-c", "pass"], repo)) / 1e6
    print(f"  {'cold validate yolov4.cfg over pass':36s} {cold:8.1f} M")


if __name__ == "__main__":
    main()
