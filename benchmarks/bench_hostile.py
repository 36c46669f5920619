"""Hostile-input benchmark: how long each case of the hostile corpora takes to load or be
refused, and how much memory the bomb cases cost.

    uv run python benchmarks/bench_hostile.py [--repeat 3] [--case NAME ...]

- Every case of ``tests/hostile.py`` (inventories) and of ``tests/hostile_registers.py`` (gap
  registers read back by ``--carry-over``, named ``register:NAME``), or the ``--case`` ones, is
  built once in a temporary folder, then ``nistpf.load_inventory`` (or
  ``read_register_edits``) is timed on it, best and worst of ``--repeat`` runs (a case ends in
  a loaded inventory, an error row or a one-line refusal alike).
- The bomb cases (``bomb=True``) are loaded again in a fresh process that has imported nistpf:
  its resident memory is noted, the peak is reset (``/proc/self/clear_refs``), the case is
  loaded, and the peak (VmHWM) above that resident memory is the load's own cost, in MiB.

The tests keep a guard at least ten times these figures (``SECONDS`` and ``PEAK_MIB`` in
``tests/test_hostile.py`` and ``tests/test_register_bounds.py``, and the bound on the ``.ods``
whose valued row repeats a million times in ``tests/test_formats.py``); the figures themselves
go in the README. It reports figures (JSON) and asserts nothing.
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
from nistpf.errors import RegisterError
from nistpf.export.register_edits import read_register_edits
from tests.hostile import CASES
from tests.hostile_registers import REGISTER_CASES

REGISTER = "register:"  # the prefix of a register case's name

MEASURE = """
import sys
import nistpf

def status(key):
    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith(key))

base = status('VmRSS')
open('/proc/self/clear_refs', 'w').write('5')
try:
    if sys.argv[2] == "register":
        from nistpf.export.register_edits import read_register_edits

        read_register_edits(sys.argv[1])
    else:
        nistpf.load_inventory(sys.argv[1])
except (nistpf.InventoryError, nistpf.NistpfError):
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


def read_register(path: Path) -> str:
    """How reading the register at ``path`` back ends: ``read`` or ``refused``."""
    try:
        read_register_edits(path)
    except RegisterError:
        return "refused"
    return "read"


def extra_mib(path: Path, kind: str = "inventory") -> float:
    """The peak memory above a process that has imported nistpf, of loading ``path`` (``kind``
    ``"register"``: of reading it back as a gap register)."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), kind],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.split()[-1])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    every = {**CASES, **{REGISTER + name: case for name, case in REGISTER_CASES.items()}}
    parser.add_argument("--case", action="append", choices=sorted(every), default=None)
    args = parser.parse_args(argv)
    figures: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as root:
        for name in args.case or sorted(every):
            folder = Path(root) / name.replace(":", "-")
            folder.mkdir()
            path = every[name].build(folder)
            register = name.startswith(REGISTER)
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                outcome = read_register(path) if register else load(path)
                times.append(time.perf_counter() - start)
            figures[name] = {
                "outcome": outcome,
                "best_seconds": round(min(times), 3),
                "worst_seconds": round(max(times), 3),
            }
            if every[name].bomb:
                kind = "register" if register else "inventory"
                figures[name]["extra_mib"] = round(extra_mib(path, kind), 1)
    slowest = max(figures, key=lambda n: figures[n]["worst_seconds"])
    bombs = [f["extra_mib"] for f in figures.values() if "extra_mib" in f]
    summary = {
        "cases": len(figures),
        "register_cases": sum(name.startswith(REGISTER) for name in figures),
        "slowest_case": slowest,
        "slowest_worst_seconds": figures[slowest]["worst_seconds"],
        "bomb_extra_mib_max": max(bombs) if bombs else None,
    }
    print(json.dumps({"cases": figures, "summary": summary}, indent=2))
    return figures


if __name__ == "__main__":
    main()
