"""Data-flow benchmark: ``nistpf.trace`` and ``nistpf.pram`` at enterprise scale and on the sample.

    uv run python benchmarks/bench_flows.py [--systems 2000 --flows 20000 --repeat 3]

- Generated inventory (``nistpf.synth``, seed 0, built in memory): the time of tracing every
  data category, of tracing one (``user.financial.credit_card``), and of the NIST PRAM
  (best of ``--repeat``); the peak memory of a fresh process that builds the inventory and
  traces and weighs it, against one that only builds it.
- Bundled sample: the same three times.

The diagram has its own benchmark (``bench_diagram.py``). This one reports figures and asserts
nothing; the README quotes them.
"""

from __future__ import annotations

import argparse
import json

from _measure import best_of, peak_mib

import nistpf
from nistpf.synth import synthetic_inventory

CATEGORY = "user.financial.credit_card"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", type=int, default=2000)
    parser.add_argument("--flows", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    build = (
        "import nistpf; from nistpf.synth import synthetic_inventory; "
        f"inv = nistpf.load_inventory(synthetic_inventory(systems={args.systems}, "
        f"controls=0, flows={args.flows}))"
    )
    inventory = nistpf.load_inventory(
        synthetic_inventory(systems=args.systems, controls=0, flows=args.flows)
    )
    findings = nistpf.findings.evaluate_findings(inventory)
    every, one, pram = best_of(
        args.repeat,
        lambda: nistpf.trace(inventory, findings=findings),
        lambda: nistpf.trace(inventory, data_category=CATEGORY, findings=findings),
        lambda: nistpf.pram(inventory),
    )
    traced = nistpf.trace(inventory, findings=findings)
    weighed = nistpf.pram(inventory)
    sample = nistpf.load_inventory(nistpf.sample_path())
    sample_every, sample_one, sample_pram = best_of(
        args.repeat * 3,
        lambda: nistpf.trace(sample),
        lambda: nistpf.trace(sample, data_category=CATEGORY),
        lambda: nistpf.pram(sample),
    )
    figures = {
        "systems": len(inventory.systems),
        "flows": len(inventory.flows),
        "categories_traced": len(traced.categories),
        "paths": len(traced.paths),
        "categories_cut_at_max_paths": len(traced.truncated),
        "gaps": len(traced.gaps),
        "data_actions": len(weighed.data_actions),
        "problems": len(weighed.problems),
        "trace_every_category_seconds": round(every, 2),
        "trace_one_category_seconds": round(one, 2),
        "pram_seconds": round(pram, 2),
        "peak_mib_inventory": round(peak_mib(build), 1),
        "peak_mib_inventory_trace_pram": round(
            peak_mib(f"{build}; nistpf.trace(inv); nistpf.pram(inv)"), 1
        ),
        "sample_trace_every_category_ms": round(sample_every * 1000, 1),
        "sample_trace_one_category_ms": round(sample_one * 1000, 1),
        "sample_pram_ms": round(sample_pram * 1000, 1),
    }
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
