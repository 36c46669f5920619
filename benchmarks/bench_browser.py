"""Browser-test benchmark: how long each test of ``tests/test_browser.py`` takes, setup to
teardown, against the deadline it is given.

    uv run python benchmarks/bench_browser.py [--repeat 1]

Runs the browser tests (JupyterLab and Voilà on 127.0.0.1, Chromium driven by Playwright; see
``tests/test_browser.py``) with pytest's ``--durations``, ``--repeat`` times, and reports for
each test its setup, call and teardown times, their sum, the deadline the test module gives it
(``@deadline``, a SIGALRM guard against a hang) and the deadline's multiple of the slowest
sum. The deadlines are meant to stay at least ten times the figure on a loaded two-core
machine; run this with the other core busy to see that they do.

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


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
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
