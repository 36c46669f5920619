"""NIST PRAM workbook benchmark: ``write_pram_workbook`` and ``read_pram_edits``.

    uv run python benchmarks/bench_pram_workbook.py [--flows 20000 --repeat 3]

- The bundled sample, and a generated inventory (``nistpf.synth``, seed 0, ``--flows`` flows,
  ``--systems`` systems), each loaded and analysed once (``nistpf.pram``).
- Time, best of ``--repeat``: writing the workbook from the analysed PRAM (every sheet, the
  formulas, styles, conditional formats, the atomic save), and reading it back with
  ``read_pram_edits`` (no edits: every input cell compared with what was written).
- Peak memory (VmHWM) in fresh processes, the peak reset after loading and analysing, so it is
  the writer's (and the reader's) own; and the workbook's size.

It reports figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from _measure import best_of

import nistpf
from nistpf.export.pram_workbook import read_pram_edits, write_pram_workbook
from nistpf.synth import write_synthetic_workbook


def peak_mib(setup: str, code: str) -> tuple[float, float]:
    """A fresh process runs ``setup`` then ``code``: its resident memory after ``setup`` and its
    peak while running ``code`` (reset through /proc/self/clear_refs), in MiB."""
    status = (
        "def status(key):\n"
        "    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith(key))"
    )
    reset = "open('/proc/self/clear_refs', 'w').write('5')"
    script = f"{status}\n{setup}\nbase = status('VmRSS')\n{reset}\n{code}\n"
    script += "print(base, status('VmHWM'))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    base, peak = out.stdout.split()[-2:]
    return int(base) / 1024, int(peak) / 1024


def measure(name: str, source: Path, folder: Path, repeat: int) -> dict:
    inventory = nistpf.load_inventory(source)
    pram = nistpf.pram(inventory)
    out = folder / f"{name}-pram.xlsx"
    (write,) = best_of(repeat, lambda: write_pram_workbook(pram, out, force=True))
    (read,) = best_of(repeat, lambda: read_pram_edits(out))
    setup = f"import nistpf\npram = nistpf.pram(nistpf.load_inventory({str(source)!r}))\n"
    base, write_peak = peak_mib(
        setup, f"nistpf.write_pram_workbook(pram, {str(folder / 'peak.xlsx')!r}, force=True)"
    )
    _, read_peak = peak_mib(setup, f"nistpf.read_pram_edits({str(out)!r})")
    return {
        "inventory": name,
        "flows": len(inventory.flows),
        "data_actions": len(pram.data_actions),
        "problems": len(pram.problems),
        "write_s": round(write, 2),
        "read_s": round(read, 2),
        "resident_after_analysis_mib": round(base),
        "write_peak_mib": round(write_peak),
        "read_peak_mib": round(read_peak),
        "workbook_mib": round(out.stat().st_size / 2**20, 2),
    }


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", type=int, default=2000)
    parser.add_argument("--flows", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results.append(measure("sample", nistpf.sample_path(), folder, args.repeat))
        generated = write_synthetic_workbook(
            folder / "synthetic.xlsx", systems=args.systems, controls=100, flows=args.flows
        )
        results.append(measure(f"synthetic {args.flows}", generated, folder, args.repeat))
    for result in results:
        print(json.dumps(result))
    return results


if __name__ == "__main__":
    main()
