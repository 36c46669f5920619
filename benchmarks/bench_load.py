"""Load + validate benchmark: the loader against a plain pandas read of the same workbook.

    uv run python benchmarks/bench_load.py [--systems 2000 --controls 10000 --flows 20000]

Generates an enterprise-scale inventory with ``nistpf.synth`` (deterministic, seed 0), writes it
as an .xlsx, then times, best of ``--repeat`` runs each:

- ``pandas.read_excel(path, sheet_name=None, engine="calamine")`` — reading the cells and nothing
  else, the floor any loader stands on;
- ``nistpf.load_inventory(path)`` — reading, finding headers, checking every cell, resolving IDs,
  systems and selectors, building the tidy tables and the validation report;

and reports the machine-independent ratio of the two, and the peak memory of a load measured in a
fresh process. It asserts nothing; the figures go in the README.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pandas as pd
from _measure import best_of, peak_mib

import nistpf
from nistpf.synth import write_synthetic_workbook


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", type=int, default=2000)
    parser.add_argument("--controls", type=int, default=10000)
    parser.add_argument("--flows", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "enterprise.xlsx"
        start = time.perf_counter()
        write_synthetic_workbook(
            path, systems=args.systems, controls=args.controls, flows=args.flows
        )
        written = time.perf_counter() - start
        inventory = nistpf.load_inventory(path)
        plain, load = best_of(
            args.repeat,
            lambda: pd.read_excel(path, sheet_name=None, engine="calamine"),
            lambda: nistpf.load_inventory(path),
        )
        baseline_mib = peak_mib("import nistpf, pandas")
        load_mib = peak_mib(f"import nistpf; nistpf.load_inventory({str(path)!r})")
        figures = {
            "systems": len(inventory.systems),
            "controls": len(inventory.controls),
            "control_subcategory_mappings": len(inventory.control_subcategories),
            "flows": len(inventory.flows),
            "file_mib": round(path.stat().st_size / 2**20, 2),
            "write_seconds": round(written, 2),
            "read_excel_calamine_seconds": round(plain, 3),
            "load_inventory_seconds": round(load, 3),
            "ratio_load_to_read_excel": round(load / plain, 2),
            "peak_rss_mib_load": round(load_mib, 1),
            "peak_rss_mib_imports_only": round(baseline_mib, 1),
        }
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
