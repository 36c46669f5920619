"""Hostile-input benchmark: how long each case of the hostile corpus takes to load or be refused,
and how much memory the bomb cases cost.

    uv run python benchmarks/bench_hostile.py [--repeat 3] [--case NAME ...]

- Every case of ``tests/hostile.py`` (or the ``--case`` ones) is built once in a temporary
  folder, then ``nistpf.load_inventory`` is timed on it, best and worst of ``--repeat`` runs
  (a case ends in a loaded inventory, an error row or a one-line refusal alike).
- The bomb cases (``Case.bomb``) are loaded again in a fresh process that has imported nistpf:
  its resident memory is noted, the peak is reset (``/proc/self/clear_refs``), the case is
  loaded, and the peak (VmHWM) above that resident memory is the load's own cost, in MiB.

The tests keep a guard at least ten times these figures (``SECONDS`` and ``PEAK_MIB`` in
``tests/test_hostile.py``, and the bound on the ``.ods`` whose valued row repeats a million
times in ``tests/test_formats.py``); the figures themselves go in the README. It reports
figures (JSON) and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import nistpf
from tests.hostile import CASES

MEASURE = """
import sys
import nistpf

def status(key):
    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith(key))

base = status('VmRSS')
open('/proc/self/clear_refs', 'w').write('5')
try:
    nistpf.load_inventory(sys.argv[1])
except nistpf.InventoryError:
    pass
print((status('VmHWM') - base) / 1024)
"""


def load(path: Path) -> str:
    """How loading ``path`` ends: ``loaded``, ``invalid`` or ``unreadable:<code>``."""
    try:
        nistpf.load_inventory(path)
    except nistpf.UnreadableInventoryError as error:
        return f"unreadable:{error.issues.loc[0, 'code']}"
    except nistpf.InventoryError:
        return "invalid"
    return "loaded"


def extra_mib(path: Path) -> float:
    """The peak memory above a process that has imported nistpf, of loading ``path``."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True, check=True
    )
    return float(done.stdout.split()[-1])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--case", action="append", choices=sorted(CASES), default=None)
    args = parser.parse_args(argv)
    figures: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as root:
        for name in args.case or sorted(CASES):
            folder = Path(root) / name
            folder.mkdir()
            path = CASES[name].build(folder)
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                outcome = load(path)
                times.append(time.perf_counter() - start)
            figures[name] = {
                "outcome": outcome,
                "best_seconds": round(min(times), 3),
                "worst_seconds": round(max(times), 3),
            }
            if CASES[name].bomb:
                figures[name]["extra_mib"] = round(extra_mib(path), 1)
    slowest = max(figures, key=lambda n: figures[n]["worst_seconds"])
    bombs = [f["extra_mib"] for f in figures.values() if "extra_mib" in f]
    summary = {
        "cases": len(figures),
        "slowest_case": slowest,
        "slowest_worst_seconds": figures[slowest]["worst_seconds"],
        "bomb_extra_mib_max": max(bombs) if bombs else None,
    }
    print(json.dumps({"cases": figures, "summary": summary}, indent=2))
    return figures


if __name__ == "__main__":
    main()
