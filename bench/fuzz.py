"""Mutation fuzzing of `cfggen validate`, in-process, through the same code path as the CLI.

    python bench/fuzz.py N [--corpus ../shared/corpus/darknet] [--jobs 2] [--seed 1] [--keep DIR]

Takes the corpus cfgs, applies 1-4 random mutations to each input (delete / duplicate / shuffle
lines, change numbers to random, huge, zero or negative values, insert random bytes, unknown
sections, suppression comments, conflict markers, a BOM, CRLF, trailing commas, deep route chains,
truncation) and runs `cfggen validate` on it exactly as the console script does (click parsing,
reading the file, every rule at every training size, a report format, `--diff` for some), catching
what `cfggen.cli.main` would turn into exit code 3. Prints the count per exit code, inputs per
second and every internal error (the input is saved under --keep for replay:
`cfggen --debug validate FILE`). Exit status 1 when there was an internal error.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from multiprocessing import Pool
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

NUMBER_POOL = ["0", "-1", "1", "2", "3", "-3", "7", "32", "416", "65536", "2147483647", "-2147483648",
               "99999999999999999999", "1e9", "nan", "inf", "0x10", "1.5", "-0", "", "abc", "1,", ",", "-1,-4,",
               "[(classes+5)*3]"]
SECTIONS = ["[net]", "[convolutional]", "[route]", "[shortcut]", "[yolo]", "[region]", "[maxpool]", "[upsample]",
            "[connected]", "[softmax]", "[detection]", "[Gaussian_yolo]", "[sam]", "[scale_channels]", "[reorg]",
            "[reorg3d]", "[crop]", "[local]", "[implicit]", "[empty]", "[crnn]", "[conv_lstm]", "[rnn]", "[gru]",
            "[lstm]", "[history]", "[contrastive]", "[cost]", "[dropout]", "[avgpool]", "[batchnorm]",
            "[activation]", "[Yolo]", "[deconvolutional]", "[", "[]"]
KEYS = ["filters", "size", "stride", "stride_x", "stride_y", "pad", "padding", "dilation", "groups", "layers",
        "from", "mask", "anchors", "num", "classes", "random", "width", "height", "channels", "batch",
        "subdivisions", "steps", "scales", "policy", "max_batches", "activation", "antialiasing", "share_index",
        "embedding_layer", "yolo_layer", "side", "coords", "output", "resize_step", "counters_per_class",
        "new_coords", "maxpool_depth", "out_channels", "reverse", "scale_wh", "group_id", "crop_width",
        "history_size", "atoms", "weights_type", "xnor", "burn_in", "letter_box", "mosaic"]
DIRECTIVES = ["# cfggen: disable-next-line DN202", "# cfggen: disable DN1", "# cfggen: enable",
              "# cfggen: disable-file DN501,DN999", "; cfggen: bogus", "# cfggen: disable-next-line"]


def mutate(text: str, rng: random.Random) -> bytes:
    data = mutate_text(text, rng)
    return mutate_bytes(data, rng) if rng.random() < 0.4 else data


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """Byte-level damage: legacy encodings, NUL bytes, UTF-16, flipped or cut bytes (issue #14)."""
    op = rng.randrange(7)
    pos = rng.randrange(len(data) + 1)
    if op == 0:                                             # a Latin-1 / GBK / Shift-JIS comment line
        comment = rng.choice(["# café\n".encode("latin-1"), "# 检测层\n".encode("gbk"),
                              "# 学習率\n".encode("shift_jis"), "; naïve\r\n".encode("cp1252")])
        nl = data.rfind(b"\n", 0, pos) + 1
        return data[:nl] + comment + data[nl:]
    if op == 1:                                             # a non-UTF-8 byte inside a header, key or value
        return data[:pos] + bytes([rng.randrange(0x80, 0x100)]) + data[pos:]
    if op == 2:                                             # NUL bytes
        return data[:pos] + b"\x00" * rng.randint(1, 3) + data[pos:]
    if op == 3:                                             # the whole file in UTF-16
        return data.decode("utf-8", "surrogateescape").encode("utf-16", "surrogatepass")
    if op == 4:                                             # flip bits here and there
        b = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            if b:
                k = rng.randrange(len(b))
                b[k] ^= 1 << rng.randrange(8)
        return bytes(b)
    if op == 5:                                             # cut in the middle of a multi-byte character
        return data[:pos] + "é检".encode("utf-8")[:rng.randint(1, 4)] + data[pos:]
    return data[:pos] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 64))) + data[pos:]


def mutate_text(text: str, rng: random.Random) -> bytes:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 4)):
        if not lines:
            lines = [""]
        op = rng.randrange(16)
        n = len(lines)
        i = rng.randrange(max(1, n))
        if op == 0 and n > 1:                                   # delete lines
            del lines[i:i + rng.randint(1, 8)]
        elif op == 1:                                           # duplicate lines
            lines[i:i] = lines[i:i + rng.randint(1, 12)]
        elif op == 2 and n > 2:                                 # shuffle a block
            j = min(n, i + rng.randint(2, 40))
            block = lines[i:j]
            rng.shuffle(block)
            lines[i:j] = block
        elif op == 3:                                           # change a number
            for _ in range(rng.randint(1, 10)):
                k = rng.randrange(max(1, len(lines)))
                if "=" in lines[k]:
                    key = lines[k].split("=", 1)[0]
                    lines[k] = f"{key}={rng.choice(NUMBER_POOL) if rng.random() < .6 else rng.randint(-64, 1024)}"
        elif op == 4:                                           # new key with a random value
            lines.insert(i, f"{rng.choice(KEYS)}={rng.choice(NUMBER_POOL)}")
        elif op == 5:                                           # new section
            lines.insert(i, rng.choice(SECTIONS))
        elif op == 6:                                           # deep route / shortcut chain
            kind = rng.choice(["[route]\nlayers=-1", "[shortcut]\nfrom=-1", "[route]\nlayers=-1,-2",
                               "[upsample]\nstride=2", "[maxpool]\nsize=2\nstride=2"])
            lines.extend([kind] * rng.randint(20, 400))
        elif op == 7:                                           # suppression comments
            lines.insert(i, rng.choice(DIRECTIVES))
        elif op == 8:                                           # conflict markers
            lines[i:i] = ["<<<<<<< HEAD", "filters=255", "=======", "filters=18", ">>>>>>> branch"]
        elif op == 9:                                           # truncate
            lines = lines[:i]
        elif op == 10:                                          # trailing comma / inline comment
            k = rng.randrange(max(1, len(lines)))
            if "=" in lines[k]:
                lines[k] += rng.choice([",", " # note", " #a, b", ",,", " ; x"])
        elif op == 11:                                          # blanks inside values
            k = rng.randrange(max(1, len(lines)))
            lines[k] = " ".join(lines[k])
        elif op == 12:                                          # CRLF / BOM
            if rng.random() < .5:
                lines = [line + "\r" for line in lines]
            else:
                lines[0] = "\ufeff" + (lines[0] if lines else "")
        elif op == 13:                                          # swap two sections' headers
            heads = [k for k, line in enumerate(lines) if line.startswith("[")]
            if len(heads) > 1:
                a, b = rng.sample(heads, 2)
                lines[a], lines[b] = lines[b], lines[a]
        elif op == 14:                                          # huge values everywhere
            lines = [f"{line.split('=', 1)[0]}=2147483647" if "=" in line and rng.random() < .1 else line
                     for line in lines]
        else:                                                   # random bytes
            data = "\n".join(lines).encode()
            pos = rng.randrange(len(data) + 1)
            junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
            return data[:pos] + junk + data[pos:]
    return "\n".join(lines).encode("utf-8", errors="surrogatepass")


def run_cli(args: list[str]) -> tuple[int, str, str]:
    """What `cfggen.cli.main` does, without sys.exit: (exit code, or 3 with the traceback; stdout)."""
    import click
    from cfggen.cli import cli
    from cfggen.errors import CfggenError
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = cli.main(args=args, prog_name="cfggen", standalone_mode=False)
        except click.exceptions.Exit as exc:
            rc = exc.exit_code
        except click.ClickException as exc:
            rc = exc.exit_code
        except CfggenError as exc:
            rc = exc.exit_code
        except InputTimeout:
            raise
        except Exception:  # noqa: BLE001 - this is what the fuzzer looks for
            return 3, traceback.format_exc(), ""
    rc = rc if isinstance(rc, int) else 0
    text = out.getvalue() + err.getvalue()
    if "Traceback" in text:
        return 3, text, ""
    return rc, "", out.getvalue()


def result_problem(rc: int, out: str, path: str, fmt: str) -> str | None:
    """Issue #14's contract: every file gets a result, exit 2 only for unreadable or non-network paths."""
    if fmt != "json":
        return "exit 2 for a readable file" if rc == 2 else None
    import json
    try:
        files = json.loads(out)["files"]
    except (ValueError, KeyError, TypeError) as exc:
        return f"no JSON report: {exc}"
    if [f.get("path") for f in files] != [path]:
        return "the path is missing from the JSON report"
    status = files[0].get("status")
    if rc == 2 and status == "checked":
        return "exit 2 for a network cfg"
    if rc not in (0, 1, 2) or (status != "checked" and rc == 1):
        return f"exit {rc} with status {status}"
    return None


FORMATS = ["text", "json", "github", "sarif"]   # each on 1 input in 10, text on the rest


class InputTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise InputTimeout(f"no result after {TIME_LIMIT} s")


MEMORY_LIMIT = 3 << 30    # a worker that needs more is a bug (MemoryError -> reported as an internal error)
TIME_LIMIT = 30           # seconds per input (InputTimeout -> reported)


def worker(job: tuple[int, int, int, list[str], str | None]) -> tuple[Counter, list[tuple[int, str, bytes]]]:
    import resource
    import signal
    start, count, seed, corpus, keep = job
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    signal.signal(signal.SIGALRM, _alarm)
    texts = [Path(p).read_text(encoding="utf-8", errors="replace") for p in corpus]
    counts: Counter = Counter()
    failures: list[tuple[int, str, bytes]] = []
    with tempfile.TemporaryDirectory(prefix="cfggen-fuzz-") as tmp:
        path = os.path.join(tmp, "input.cfg")
        for k in range(start, start + count):
            rng = random.Random(seed * 1_000_003 + k)
            data = mutate(rng.choice(texts), rng)
            with open(path, "wb") as fh:
                fh.write(data)
            fmt = FORMATS[k % 10] if k % 10 < 4 else "json" if k % 10 < 7 else "text"
            args = ["validate", "--format", fmt, path]
            if k % 10 == 0:
                args.insert(1, "--diff")
            if k % 7 == 0:
                args.insert(1, "--native-only")
            signal.alarm(TIME_LIMIT)
            out = ""
            try:
                rc, tb, out = run_cli(args)
            except InputTimeout:
                rc, tb = 3, traceback.format_exc()
            finally:
                signal.alarm(0)
            counts[rc] += 1
            if rc == 2:
                counts["exit 2, " + fmt] += 1
            if fmt == "json" and rc in (0, 1, 2) and "--diff" not in args:
                counts["json reports"] += 1
                problem = result_problem(rc, out, path, fmt)
                if problem:
                    counts["contract broken"] += 1
                    failures.append((k, problem, data))
            elif rc == 2:
                problem = result_problem(rc, out, path, fmt)
                if problem:
                    counts["contract broken"] += 1
                    failures.append((k, problem, data))
            if rc not in (0, 1, 2):
                failures.append((k, tb, data))
                if keep:
                    Path(keep).mkdir(parents=True, exist_ok=True)
                    Path(keep, f"crash-{seed}-{k}.cfg").write_bytes(data)
    return counts, failures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int, help="number of mutated inputs")
    ap.add_argument("--corpus", default=str(HERE.parent.parent / "shared" / "corpus" / "darknet"))
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", default=None, help="save inputs that caused internal errors here")
    args = ap.parse_args()
    corpus = sorted(str(p) for p in Path(args.corpus).rglob("*.cfg"))
    if not corpus:
        print(f"no corpus in {args.corpus}", file=sys.stderr)
        return 2
    chunk = 500
    jobs = [(s, min(chunk, args.n - s), args.seed, corpus, args.keep) for s in range(0, args.n, chunk)]
    t = time.perf_counter()
    total: Counter = Counter()
    failures: list = []
    with Pool(args.jobs) as pool:
        for counts, fails in pool.imap_unordered(worker, jobs):
            total.update(counts)
            failures.extend(fails)
    dt = time.perf_counter() - t
    print(f"{args.n} inputs from {len(corpus)} corpus files, seed {args.seed}, {args.jobs} processes: "
          f"{dt:.1f} s ({args.n / dt:.0f} inputs/s)")
    print("exit codes: " + ", ".join(f"{rc}: {total[rc]}" for rc in (0, 1, 2, 3) if total[rc]))
    print(f"JSON reports checked: {total['json reports']}; contract broken (no result, or exit 2 for a "
          f"network cfg): {total['contract broken']}")
    print(f"internal errors: {sum(1 for _, tb, _ in failures if 'Traceback' in tb or 'InputTimeout' in tb)}")
    for k, tb, data in failures[:10]:
        print(f"--- input #{k} ({len(data)} bytes): {tb.strip().splitlines()[-1] if tb else ''}")
        print("\n".join(tb.strip().splitlines()[-6:]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
