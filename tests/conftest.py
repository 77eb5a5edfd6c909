"""Shared test fixtures: where ../shared is, and a skip with a reason when it is absent."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

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
