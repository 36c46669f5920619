"""What every benchmark needs: best-of timings and the peak memory of a fresh process."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable


def best_of(repeat: int, *works: Callable[[], object]) -> list[float]:
    """The best time of each of ``works``, run in turn ``repeat`` times (A B A B …), so that a
    slow moment of a shared machine falls on all of them alike."""
    best = [float("inf")] * len(works)
    for _ in range(repeat):
        for i, work in enumerate(works):
            start = time.perf_counter()
            work()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def peak_mib(code: str) -> float:
    """Peak resident memory (VmHWM) of a fresh Python process running ``code``, in MiB.
    (``ru_maxrss`` would not do: Linux carries it across exec from a larger parent.)"""
    script = (
        f"{code}\nprint(next(line.split()[1] for line in open('/proc/self/status') "
        "if line.startswith('VmHWM')))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024
