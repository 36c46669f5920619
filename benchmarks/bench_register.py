"""Gap register benchmark: ``write_gap_register`` on an enterprise-scale inventory.

    uv run python benchmarks/bench_register.py [--systems 2000 --controls 10000 --flows 20000]

- Generated inventory (``nistpf.synth``, seed 0), loaded and assessed once.
- ``write_gap_register`` end to end (building the sheets, styling, charts, formats, the atomic
  save), best of ``--repeat``; and building the sheets' values alone.
- The reference: the same cell values (same sheets, rows and columns, from
  ``nistpf.export.excel.build_sheets``) written with xlsxwriter in ``constant_memory`` mode, values
  only, no styles; best of ``--repeat``. The ratio register / reference is the figure that does
  not depend on the machine (goal ≤ 2).
- Memory, in fresh processes: the peak (VmHWM) of loading and assessing; the resident memory
  after it; the peak while writing the register, and while building the sheets and writing the
  reference (the peak is reset after assessing, so it is the writer's own).

It reports figures and asserts nothing; the README quotes them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from _measure import best_of

import nistpf
from nistpf.export.excel import build_sheets, write_gap_register
from nistpf.export.excel_sheets import layout
from nistpf.synth import write_synthetic_workbook


def peak_mib(setup: str, code: str = "") -> tuple[float, float]:
    """A fresh Python process runs ``setup``, then ``code``: its resident memory (VmRSS) after
    ``setup`` and its peak (VmHWM) while running ``code`` (the peak is reset in between, through
    /proc/self/clear_refs), in MiB. Without ``code``, the peak of ``setup``."""
    status = (
        "def status(key):\n"
        "    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith(key))"
    )
    reset = "open('/proc/self/clear_refs', 'w').write('5')" if code else ""
    script = (
        f"{status}\n{setup}\nbase = status('VmRSS')\n{reset}\n{code}\nprint(base, status('VmHWM'))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    base, peak = out.stdout.split()[-2:]
    return int(base) / 1024, int(peak) / 1024


def write_reference(sheets, path: Path) -> None:
    """The register's cell values, nothing else, with xlsxwriter's constant-memory mode."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    for sheet in sheets:
        worksheet = workbook.add_worksheet(sheet.name)
        for row, (_, _, values) in enumerate(layout(sheet)):
            for column, value in enumerate(values):
                if value is None:
                    continue
                if isinstance(value, str):
                    worksheet.write_string(row, column, value)
                elif isinstance(value, (dt.date, dt.datetime)):
                    worksheet.write_datetime(row, column, value)
                else:
                    worksheet.write_number(row, column, value)
    workbook.close()


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", type=int, default=2000)
    parser.add_argument("--controls", type=int, default=10000)
    parser.add_argument("--flows", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        source = folder / "enterprise.xlsx"
        write_synthetic_workbook(
            source, systems=args.systems, controls=args.controls, flows=args.flows
        )
        assessment = nistpf.assess(nistpf.load_inventory(source))
        register = folder / "register.xlsx"
        reference = folder / "reference.xlsx"
        sheets = build_sheets(assessment)
        seconds, reference_seconds, build = best_of(
            args.repeat,
            lambda: write_gap_register(assessment, register),
            lambda: write_reference(sheets, reference),
            lambda: build_sheets(assessment),
        )
        cells = sum(
            sum(v is not None for v in values) for s in sheets for _, _, values in layout(s)
        )
        assess = (
            f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
            "import nistpf\n"
            "from bench_register import write_reference\n"
            "from nistpf.export.excel import build_sheets, write_gap_register\n"
            f"a = nistpf.assess(nistpf.load_inventory({str(source)!r}))"
        )
        _, peak_assess = peak_mib(assess)
        base, peak_register = peak_mib(
            assess, f"write_gap_register(a, {str(folder / 'peak.xlsx')!r})"
        )
        _, peak_reference = peak_mib(
            assess, f"write_reference(build_sheets(a), {str(folder / 'peak-ref.xlsx')!r})"
        )
        figures = {
            "systems": len(assessment.inventory.systems),
            "controls": len(assessment.inventory.controls),
            "flows": len(assessment.inventory.flows),
            "gap_register_rows": len(sheets[1].table.rows),
            "cells_with_a_value": cells,
            "write_gap_register_seconds": round(seconds, 3),
            "build_sheets_seconds": round(build, 3),
            "xlsxwriter_constant_memory_values_seconds": round(reference_seconds, 3),
            "ratio_register_to_xlsxwriter": round(seconds / reference_seconds, 2),
            "register_mib": round(register.stat().st_size / 2**20, 2),
            "reference_mib": round(reference.stat().st_size / 2**20, 2),
            "peak_mib_load_and_assess": round(peak_assess, 1),
            "rss_mib_after_load_and_assess": round(base, 1),
            "peak_mib_while_writing_register": round(peak_register, 1),
            "peak_mib_while_writing_reference": round(peak_reference, 1),
        }
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
