"""Cost of ``validate --target all`` against a single-target run, and agreement with the readers.

    python bench/bench_targets.py [--shared ../shared] [--repeat 5]

Goal (issue 10): ``cfggen validate --target all`` on the corpus costs less than twice a single-target
run (``cfggen validate`` = AlexeyAB). Both run in this process through the real command (``cli.main``,
JSON written to a temporary file), best of --repeat. Then, per reader, how many corpus and generated
cfgs cfggen's prediction agrees with (status, first error line, per-layer shapes / forward outputs).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from cfggen.cfg import read_file  # noqa: E402
from cfggen.cli import main  # noqa: E402
from cfggen.targets import check  # noqa: E402


def run(args) -> float:
    """CPU time of one in-process run (other processes on a shared machine do not count)."""
    t = time.process_time()
    try:
        main(list(args))
    except SystemExit:
        pass
    return time.process_time() - t


def best_of(variants: dict[str, list[str]], repeat: int) -> dict[str, float]:
    """Best time of each variant; the variants take turns, so a busy spell hurts all of them alike."""
    times: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(repeat):
        for k, args in variants.items():
            times[k].append(run(args))
    return {k: min(v) for k, v in times.items()}


def agreement(shared: Path) -> Counter:
    corpus, dialects = shared / "corpus" / "darknet", shared / "golden" / "dialects"
    cases = [(p, str(p.relative_to(corpus)).replace(os.sep, "__") + ".json") for p in sorted(corpus.rglob("*.cfg"))]
    cases += [(p, f"generated__{p.name}.json") for p in sorted((HERE.parent / "generated_cfgs").glob("*.cfg"))]
    out: Counter = Counter()
    for path, name in cases:
        verdicts = check(read_file(str(path)), ["all"])
        for reader in ("hank-ai", "pjreddie", "opencv"):
            g = json.loads((dialects / reader / name).read_text())
            v = verdicts[reader]
            same = v.status == g["status"] or (g["status"] == "crash" and v.status == "error"
                                                and v.extra.get("reader_bug"))
            if same and g["status"] != "ok" and g.get("error_line"):
                same = v.reason is not None and v.reason.line == g["error_line"]
            if same and g["status"] == "ok" and reader != "opencv":
                same = [(tuple(L.output), L.outputs) for L in v.layers] == [
                    ((x["out_w"], x["out_h"], x["out_c"]), x["outputs"]) for x in g["layers"]]
            if same and g["status"] == "ok" and reader == "opencv" and g.get("outputs"):
                flat = [eval("*".join(map(str, o["shape"]))) for o in g["outputs"]]  # noqa: S307 - ints only
                same = sorted(flat) == sorted(n for _, n in v.outputs)
            out[(reader, "agree" if same else "differ")] += 1
    return out


def main_() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(HERE.parent.parent / "shared"))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    shared = Path(args.shared)
    corpus = shared / "corpus" / "darknet"
    if not corpus.is_dir():
        sys.exit(f"no corpus at {corpus}")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "report.json")
        base = ["validate", str(corpus), "--format", "json", "-o", out, "--exit-zero"]
        run(base + ["--target", "all"])                # warm caches and imports
        variants = {"validate (alexeyab, the default)": base}
        variants.update({f"validate --target {n}": base + ["--target", n]
                         for n in ("hank-ai", "pjreddie", "opencv", "all")})
        times = best_of(variants, args.repeat)
        rows = list(times.items())
        single = rows[0][1]
    print(f"corpus: {len(list(corpus.rglob('*.cfg')))} cfgs, CPU seconds, best of {args.repeat} (interleaved)")
    for label, t in rows:
        print(f"  {label:<36s} {t * 1000:8.1f} ms   {t / single:5.2f}x")
    ratio = rows[-1][1] / single
    worst = max(t for label, t in rows[1:-1])
    print(f"--target all / the default run (alexeyab): {ratio:.2f}x (goal < 2x): {'met' if ratio < 2 else 'NOT met'}")
    print(f"--target all / the slowest one-reader run: {rows[-1][1] / worst:.2f}x")
    if (shared / "golden" / "dialects").is_dir():
        counts = agreement(shared)
        for reader in ("hank-ai", "pjreddie", "opencv"):
            a, d = counts[(reader, "agree")], counts[(reader, "differ")]
            print(f"agreement with {reader}: {a}/{a + d} cfgs")


if __name__ == "__main__":
    main_()
