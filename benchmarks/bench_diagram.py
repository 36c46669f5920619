"""Data-flow diagram benchmark: ``flow_diagram`` and ``render`` on the sample and at scale.

    uv run python benchmarks/bench_diagram.py [--systems 2000 --flows 20000 --repeat 3]

- Bundled sample (16 systems, 35 flows): the time to build the diagram (findings included),
  and to lay it out as SVG and as PNG with Graphviz's dot, best of ``--repeat``.
- Generated inventory (``nistpf.synth``, seed 0, no controls): the same, aggregated by system
  type; and the peak memory of a fresh process that loads the inventory, against one that
  loads it, builds the diagram and renders it as SVG.

It reports figures and asserts nothing; the README quotes them. Without dot on the PATH it
reports the build figures only.
"""

from __future__ import annotations

import argparse
import json
import tracemalloc

from _measure import best_of, peak_mib

import nistpf
from nistpf.flows.diagram import dot_available, flow_diagram, render
from nistpf.synth import synthetic_inventory

LOAD = (
    "import nistpf; from nistpf.synth import synthetic_inventory; "
    "inventory = nistpf.load_inventory(synthetic_inventory(systems={systems}, controls=0, "
    "flows={flows}, seed=0))"
)
DRAW = "; from nistpf.flows.diagram import flow_diagram, render; render(flow_diagram(inventory))"


def measure(inventory: nistpf.Inventory, repeat: int) -> dict:
    """Build and render times (best of ``repeat``) and the build's peak Python allocation."""
    graph = flow_diagram(inventory)
    tracemalloc.start()
    flow_diagram(inventory)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    (build,) = best_of(repeat, lambda: flow_diagram(inventory))
    figures = {
        "systems": len(inventory.systems),
        "flows": len(inventory.flows),
        "dot_source_kib": round(len(graph.source) / 1024, 1),
        "arrows_drawn": graph.source.count(" -> ") - graph.source.count("style=invis"),
        "build_seconds": round(build, 3),
        "build_peak_traced_mib": round(peak / 2**20, 1),
    }
    if dot_available():
        svg, png = best_of(repeat, lambda: render(graph, "svg"), lambda: render(graph, "png"))
        figures["render_svg_seconds"] = round(svg, 3)
        figures["render_png_seconds"] = round(png, 3)
        figures["svg_kib"] = round(len(render(graph, "svg")) / 1024, 1)
        figures["png_kib"] = round(len(render(graph, "png")) / 1024, 1)
    return figures


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", type=int, default=2000)
    parser.add_argument("--flows", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    sample = nistpf.load_inventory(nistpf.sample_path())
    frames = synthetic_inventory(systems=args.systems, controls=0, flows=args.flows, seed=0)
    enterprise = nistpf.load_inventory(frames)
    figures = {
        "sample": measure(sample, args.repeat),
        "generated": measure(enterprise, args.repeat),
    }
    load = LOAD.format(systems=args.systems, flows=args.flows)
    figures["generated"]["peak_mib_load"] = round(peak_mib(load), 1)
    if dot_available():
        figures["generated"]["peak_mib_load_draw_render"] = round(peak_mib(load + DRAW), 1)
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
