"""How many CPU cores this process may run on: the default of every ``--jobs``."""
from __future__ import annotations

import os


def usable_cores() -> int:
    """The cores of this process's affinity mask (a container's or taskset's share), else the machine's."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):   # no affinity call (macOS, Windows)
        return os.cpu_count() or 1
