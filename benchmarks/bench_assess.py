"""Scoring benchmark: ``nistpf.assess`` on an enterprise-scale inventory and on the sample.

    uv run python benchmarks/bench_assess.py [--systems 2000 --controls 10000 --flows 20000]

- Generated inventory (``nistpf.synth``, seed 0; 20% of controls apply to all systems): the time
  of ``assess`` (best of ``--repeat``), and the peak memory of a fresh process that loads and
  assesses it, against one that only loads it.
- Bundled sample: the time to re-assess after one changed rating (a notebook re-scores on every
  click), best of ``--repeat``.

It reports figures and asserts nothing; the README quotes them.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
from pathlib import Path

import pandas as pd
from _measure import best_of, peak_mib

import nistpf
from nistpf.synth import write_synthetic_workbook


def one_rating_changed(inventory: nistpf.Inventory, level: float) -> nistpf.Inventory:
    rating = pd.DataFrame({"subcategory": ["PR.DS-P1"], "system": [""], "current": [level]})
    responses = pd.concat([inventory.responses, rating], ignore_index=True)
    return dataclasses.replace(inventory, responses=responses)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", type=int, default=2000)
    parser.add_argument("--controls", type=int, default=10000)
    parser.add_argument("--flows", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "enterprise.xlsx"
        write_synthetic_workbook(
            path, systems=args.systems, controls=args.controls, flows=args.flows
        )
        inventory = nistpf.load_inventory(path)
        assessment = nistpf.assess(inventory)
        (seconds,) = best_of(args.repeat, lambda: nistpf.assess(inventory))
        load_only = peak_mib(f"import nistpf; nistpf.load_inventory({str(path)!r})")
        load_assess = peak_mib(
            f"import nistpf; nistpf.assess(nistpf.load_inventory({str(path)!r}))"
        )
    sample = nistpf.load_inventory(nistpf.sample_path())
    levels = iter([0.0, 1.0, 2.0, 3.0, 4.0] * args.repeat * 4)
    (rescore,) = best_of(
        args.repeat * 4, lambda: nistpf.assess(one_rating_changed(sample, next(levels)))
    )
    figures = {
        "systems": len(inventory.systems),
        "controls": len(inventory.controls),
        "controls_applying_to_all": int(inventory.controls["applies_to_all"].sum()),
        "control_subcategory_mappings": len(inventory.control_subcategories),
        "control_system_links": len(inventory.control_systems),
        "flows": len(inventory.flows),
        "findings": len(assessment.findings),
        "levels_rows": len(assessment.levels),
        "assess_seconds": round(seconds, 3),
        "peak_mib_load": round(load_only, 1),
        "peak_mib_load_and_assess": round(load_assess, 1),
        "sample_rescore_after_one_rating_ms": round(rescore * 1000, 1),
    }
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
