"""Drawing speed against validation, measured side by side in the same run (issue #23 goals).

    python bench/bench_draw.py [--shared ../shared] [--repeat 7]

The machine is shared: the two sides of each pair run alternately, best of ``--repeat`` kept, and the
median of the per-round ratios printed beside it. Prints:
  * the corpus in one process, from parsed documents: `validate` (analyze every cfg at every training
    size + the text report) against `draw` (the same analysis + the folded SVG)   goal: ratio <= 2.0
    (the strict form: the documents are parsed once before timing and analysed again each round)
  * the same from the files' bytes (read into memory before timing): each round parses every cfg, as
    both commands do and as bench_validate.py times `validate`
  * the HTML page (every box's SVG and the wiring, laid out by the page's script)  (no goal; for scale)
  * a synthetic 10,000-layer chain (a [shortcut] every 10 layers): analysis, SVG every layer and
    folded, HTML; time and output size
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))    # synthetic_cfgs: the chain tests/test_draw.py checks

from cfggen.cfg import parse, parse_bytes, read_file  # noqa: E402
from cfggen.draw import Picture, draw  # noqa: E402
from cfggen.lint.engine import analyze  # noqa: E402
from cfggen.report import Report, format_text  # noqa: E402

from bench_validate import pair  # noqa: E402  (this folder: the alternating A/B timing)
from synthetic_cfgs import chain  # noqa: E402  (tests/)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(HERE.parent.parent / "shared"))
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    paths = sorted((Path(args.shared) / "corpus" / "darknet").rglob("*.cfg"))
    if not paths:
        sys.exit(f"no corpus under {args.shared}")
    docs = [read_file(str(p)) for p in paths]
    datas = [(p.read_bytes(), str(p)) for p in paths]
    drawable = []

    def validate():
        analyses = [analyze(d) for d in docs]
        format_text(Report(analyses))

    def draw_all(fmt="svg"):
        for d in docs:
            a = analyze(d)
            if a.network is not None and a.network.layers:
                draw(a, fmt)

    def validate_bytes():
        format_text(Report([analyze(parse_bytes(data, path)) for data, path in datas]))

    def draw_bytes():
        for data, path in datas:
            a = analyze(parse_bytes(data, path))
            if a.network is not None and a.network.layers:
                draw(a)

    for d in docs:
        a = analyze(d)
        if a.network is not None and a.network.layers:
            drawable.append(d)
    print(f"corpus: {len(docs)} cfgs ({len(drawable)} drawable: darknet builds a network), one process")
    tv, td, med = pair(validate, draw_all, args.repeat)
    print(f"  validate (analysis + text report)  {tv * 1e3:8.1f} ms")
    print(f"  draw     (analysis + folded SVG)   {td * 1e3:8.1f} ms   ratio draw/validate {td / tv:.2f} "
          f"(median per round {1 / med:.2f}; goal <= 2.0)")
    tv, td, med = pair(validate_bytes, draw_bytes, args.repeat)
    print(f"  from the bytes: validate (parse + analysis + report) {tv * 1e3:6.1f} ms, draw (parse + analysis + "
          f"folded SVG) {td * 1e3:6.1f} ms   ratio {td / tv:.2f} (median per round {1 / med:.2f})")
    tv, th, med = pair(validate, lambda: draw_all("html"), max(1, args.repeat // 2))
    print(f"  draw     (analysis + HTML page)    {th * 1e3:8.1f} ms   ratio html/validate {th / tv:.2f}")

    text = chain(10_000)
    t = time.perf_counter()
    a = analyze(parse(text, "chain.cfg"), "native")
    t_an = time.perf_counter() - t
    pic = Picture(a)
    rows = []
    for name, fn in (("SVG, every layer", lambda: pic.svg("none")), ("SVG, folded", lambda: pic.svg("auto")),
                     ("HTML page", lambda: draw(a, "html"))):
        best, out = None, ""
        for _ in range(max(1, args.repeat // 3)):
            t = time.perf_counter()
            out = fn()
            dt = time.perf_counter() - t
            best = dt if best is None else min(best, dt)
        rows.append((name, best, len(out.encode())))
    print(f"10,000-layer chain: analysis {t_an * 1e3:.0f} ms; blocks {len(pic.blocks)}")
    for name, dt, size in rows:
        print(f"  {name:<18} {dt * 1e3:8.1f} ms  {size / 1e6:6.2f} MB  ({dt / t_an:.2f}x the analysis, "
              f"{size / 10_000:.0f} bytes per layer)")


if __name__ == "__main__":
    main()
