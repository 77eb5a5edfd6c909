"""Shared test fixtures: where ../shared is, and a skip with a reason when it is absent."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cfggen.cli import main

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("CFGGEN_SHARED", REPO.parent / "shared"))
CORPUS = SHARED / "corpus" / "darknet"
GOLDEN = SHARED / "golden" / "darknet"
GOLDEN_SIZES = SHARED / "golden" / "darknet-enet-coco-sizes"

needs_shared = pytest.mark.skipif(
    not CORPUS.is_dir(),
    reason=f"the shared corpus and goldens are not here ({SHARED}); CI provides them next to the checkout",
)


def corpus_files() -> list[Path]:
    return sorted(CORPUS.rglob("*.cfg")) if CORPUS.is_dir() else []


def golden_name(path: Path) -> str:
    return str(path.relative_to(CORPUS)).replace(os.sep, "__") + ".json"


def run_cli(*args, input=None) -> tuple[int, str, str]:
    """cfggen's real entry point (``cli.main``: error mapping and exit codes) with its output captured.

    Returns (exit code, stdout, stderr). ``input`` is fed to standard input.
    """
    runner = CliRunner()
    with runner.isolation(input=input) as (out, err, _):
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        return code, out.getvalue().decode(), err.getvalue().decode()
