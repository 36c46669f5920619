"""Browser-test benchmark: how long each test of ``tests/test_browser.py`` takes, setup to
teardown, against the deadline it is given.

    uv run python benchmarks/bench_browser.py [--repeat 1]

Runs the browser tests (JupyterLab and Voilà on 127.0.0.1, Chromium driven by Playwright; see
``tests/test_browser.py``) with pytest's ``--durations``, ``--repeat`` times, and reports for
each test its setup, call and teardown times, their sum, the deadline the test module gives it
(``@deadline``, a SIGALRM guard against a hang) and the deadline's multiple of the slowest
sum. The deadlines are meant to stay at least ten times the figure on a loaded two-core
machine; run this with the other core busy to see that they do.

With ``--images``, it times instead what nistpf's browser switches cost: one kaleido session
(start Chromium, draw one small chart as PNG, close) with choreographer's own command line and
with nistpf's (:class:`nistpf.export.images.OfflineChromium`), alternately, best of
``--repeat`` (default 5 there) each, on the network this machine has.

    uv run python benchmarks/bench_browser.py --images --repeat 5

It reports figures (JSON) and asserts nothing; the README quotes them.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LINE = re.compile(r"^\s*([\d.]+)s (setup|call|teardown)\s+tests/test_browser\.py::(\w+)")


def run_once() -> dict[str, dict[str, float]]:
    """One pytest run of the browser tests: test name → phase → seconds."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--durations=0",
            "--durations-min=0",
            "tests/test_browser.py",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the browser tests failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    phases: dict[str, dict[str, float]] = {}
    for line in done.stdout.splitlines():
        match = LINE.match(line)
        if match:
            seconds, phase, test = match.groups()
            phases.setdefault(test, {})[phase] = float(seconds)
    return phases


def image_sessions(repeat: int) -> dict:
    """The best time of one kaleido session (start, one 600x400 PNG, close) with
    choreographer's Chromium and with nistpf's offline one, ``repeat`` times each in turn."""
    import asyncio

    import kaleido
    import plotly.graph_objects as go
    from _measure import best_of
    from choreographer.browsers import Chromium

    from nistpf.export.images import OfflineChromium, find_browser

    browser = find_browser()
    figure = go.Figure(go.Bar(x=["a", "b", "c"], y=[3, 1, 2]))

    def session(browser_cls: type) -> None:
        async def run() -> bytes:
            async with kaleido.Kaleido(path=browser, mathjax=False, browser_cls=browser_cls) as k:
                return await k.calc_fig(figure, opts={"format": "png", "width": 600, "height": 400})

        assert asyncio.run(run())[:8] == b"\x89PNG\r\n\x1a\n"

    plain, offline = best_of(repeat, lambda: session(Chromium), lambda: session(OfflineChromium))
    return {
        "browser": browser,
        "repeat": repeat,
        "choreographer_switches_seconds": round(plain, 2),
        "nistpf_switches_seconds": round(offline, 2),
        "added_seconds": round(offline - plain, 2),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument(
        "--images", action="store_true", help="time a chart-image browser session instead"
    )
    args = parser.parse_args(argv)
    if args.images:
        figures = image_sessions(args.repeat or 5)
        print(json.dumps(figures, indent=2))
        return figures
    args.repeat = args.repeat or 1
    import tests.test_browser as module

    runs = [run_once() for _ in range(args.repeat)]
    figures = {}
    for test in sorted(runs[0]):
        totals = [round(sum(run[test].values()), 1) for run in runs]
        deadline = getattr(module, test).deadline
        figures[test] = {
            "runs": [{k: round(v, 1) for k, v in run[test].items()} for run in runs],
            "total_seconds": totals,
            "deadline_seconds": deadline,
            "deadline_over_slowest": round(deadline / max(totals), 1),
        }
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
