"""Drawing cost in instructions (valgrind callgrind), phase by phase, against the analysis it draws.

Wall time on this shared 2-core machine swings by tens of percent (bench_draw.py pairs its rounds for
that reason); an instruction count does not depend on the load. Each figure is the difference between
two runs of the same interpreter: the set-up (the corpus read, analysed and drawn once, so that every
phase has its input) plus one pass of the step, minus the set-up alone. PYTHONHASHSEED=0 in every run;
a code change can still move a figure by a few percent through memory layout alone.

    python bench/bench_draw_instructions.py [--shared ../shared] [--repo CHECKOUT]

Prints, in millions of instructions, each as a multiple of the first row:
  * analyze every corpus cfg again (every training size: what `validate` does, documents parsed before)
  * draw every corpus cfg (folded SVG: the four phases below together)
  * the phases: Picture (block detection, the title), view (box texts, tooltips, edges), place
    (text metrics + layout passes), render (SVG text)
Needs valgrind (exits with a message when it is not installed).
"""
from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_instructions import ENV, corpus_and_repo, count  # noqa: E402  (this folder: one callgrind run, its count)

SETUP = ("import sys, glob; sys.path.insert(0, {repo!r}); from cfggen.cfg import read_file; "
         "from cfggen.lint.engine import analyze; from cfggen.draw import Picture, draw, place; "
         "from cfggen.draw.svg import render; "
         "files = sorted(glob.glob({corpus!r} + '/**/*.cfg', recursive=True)); "
         "ans = [analyze(read_file(f)) for f in files]; pics = [Picture(a) for a in ans]; "
         "views = [p.view() for p in pics]; placed = [place(v) for v in views]\n")
STEPS = [
    ("analyze the corpus again", "for a in ans: analyze(a.doc)"),
    ("draw it (folded SVG)", "for a in ans: draw(a)"),
    ("  Picture: block detection", "for a in ans: Picture(a)"),
    ("  view: box texts, edges", "for p in pics: p.view()"),
    ("  place: metrics + layout", "for v in views: place(v)"),
    ("  render: SVG text", "for v, pl in zip(views, placed): render(v, pl)"),
]


def main() -> None:
    corpus, repo = corpus_and_repo()
    setup = SETUP.format(repo=repo, corpus=str(corpus))
    subprocess.run([sys.executable, "-c", setup], cwd=repo, env=ENV, check=True)   # bytecode caches first
    codes = ["", *(code for _, code in STEPS)]
    with ThreadPoolExecutor(2) as pool:        # two valgrind runs at a time (2 cores)
        counts = list(pool.map(lambda code: count(["-c", setup + code], repo), codes))
    base, steps = counts[0], counts[1:]
    first = (steps[0] - base) / 1e6
    print(f"cfggen at {repo}: the corpus's {len(list(corpus.rglob('*.cfg')))} cfgs (millions of instructions)")
    for (name, _), n in zip(STEPS, steps):
        n = (n - base) / 1e6
        print(f"  {name:30s} {n:8.1f} M   x{n / first:.2f}")


if __name__ == "__main__":
    main()
