"""Notebook benchmark: how soon the first chart appears, and how fast the charts follow a rating.

    uv run python benchmarks/bench_notebook.py [--repeat 3] [--changes 20] [--browser]

- Run All to the first chart (nbclient): ``02_guided_assessment`` and ``04_leadership_charts``
  executed in a fresh ``python3`` kernel in a temporary folder, as Run All does in JupyterLab
  once the notebook is open and its kernel idle: the time from the first cell's execution to
  the end of the first cell whose output holds a chart (a plotly figure, or the wizard's
  widget, which holds the Review step's charts), and to the end of the notebook.
  Kernel start-up is reported apart. The kernel's time only: the browser's rendering is not in
  it.
- With ``--browser``, the same in JupyterLab (headless Chromium, Playwright, the helpers of
  ``tests/browser.py``), the notebook open and its kernel idle: from opening the Run menu to
  the first chart on screen (``.js-plotly-plot`` in 04, the wizard's tabs in 02; the
  Review step's charts are in a tab not shown yet).
- Rating change to updated charts (``nistpf.ui``, on the sample): ``--changes`` ratings set
  through the Rate step's ``rating`` Dropdown, each to a level other than the one shown; the
  widget's handlers run synchronously (save in the store, re-score, redraw the Review step's
  charts), so the time of the assignment is the latency. Measured headless
  (no kernel: widget messages go nowhere) and inside a kernel run by nbclient (every widget
  update is serialised and sent to the frontend, as in JupyterLab), with where the time goes
  (median per change): the store's write, the re-score, and each step's refresh (the Review
  step's is the charts' redraw). Goal: under 200 ms.

It reports figures (JSON) and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CHART_OUTPUTS = {"application/vnd.plotly.v1+json", "application/vnd.jupyter.widget-view+json"}


def summary(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    return {
        "median_ms": round(statistics.median(ms), 1),
        "p95_ms": round(ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))], 1),
        "max_ms": round(ms[-1], 1),
    }


# -- Run All to the first chart -----------------------------------------------------------------
def run_all_once(name: str) -> dict[str, float]:
    """Execute notebook ``name`` cell by cell in a fresh kernel; seconds to the first chart."""
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    with tempfile.TemporaryDirectory() as folder:
        client = NotebookClient(
            notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": folder}}
        )
        started = time.perf_counter()
        with client.setup_kernel():
            kernel = time.perf_counter() - started
            start = time.perf_counter()
            first = None
            for index, cell in enumerate(notebook.cells):
                if cell.cell_type != "code":
                    continue
                client.execute_cell(cell, index)
                charts = any(CHART_OUTPUTS & set(output.get("data", {})) for output in cell.outputs)
                if first is None and charts:
                    first = time.perf_counter() - start
            total = time.perf_counter() - start
    return {"kernel_start_s": kernel, "first_chart_s": first, "all_cells_s": total}


def run_all(name: str, repeat: int) -> dict[str, float]:
    runs = [run_all_once(name) for _ in range(repeat)]
    return {
        key: round(statistics.median(run[key] for run in runs), 2)
        for key in ("kernel_start_s", "first_chart_s", "all_cells_s")
    }


def run_all_in_jupyterlab(repeat: int) -> dict[str, float]:
    """Run All in JupyterLab to the first rendered chart, median seconds per notebook."""
    sys.path.insert(0, str(ROOT))
    from tests.browser import chromium, jupyterlab, menu, open_session, wait_idle

    rendered = {
        "02_guided_assessment.ipynb": ".jp-OutputArea-output .widget-tab",
        "04_leadership_charts.ipynb": ".js-plotly-plot",
    }
    times: dict[str, list[float]] = {name: [] for name in rendered}
    for _ in range(repeat):
        for name, selector in rendered.items():
            with tempfile.TemporaryDirectory() as folder:
                root = Path(folder) / "root"
                root.mkdir()
                shutil.copy(NOTEBOOKS / name, root / name)
                with (
                    jupyterlab(root, Path(folder)) as lab,
                    chromium(Path(folder) / "chromium") as context,
                ):
                    open_session(lab, name)
                    page = context.pages[0] if context.pages else context.new_page()
                    page.goto(f"{lab.url}/lab/tree/{name}")
                    wait_idle(page)
                    start = time.perf_counter()
                    menu(page, "Run", "runmenu:run-all")
                    page.locator(selector).first.wait_for(state="visible", timeout=90_000)
                    times[name].append(time.perf_counter() - start)
    return {name: round(statistics.median(seconds), 2) for name, seconds in times.items()}


# -- rating change to updated charts ------------------------------------------------------------
def rating_latency(changes: int) -> dict:
    """Set ``changes`` ratings through the Rate step's widget; how long until the Review step's
    charts show them. Importable, so a kernel can run it too."""
    import nistpf
    from nistpf.ui import guided_assessment
    from nistpf.ui.steps_review import FIGURES

    with tempfile.TemporaryDirectory() as folder:
        wizard = guided_assessment(Path(folder) / "bench.nistpf", source=nistpf.sample_path())
        rate, review = wizard.steps["rate"], wizard.steps["review"]
        session = wizard.session
        # Where the time goes: the store's write, the re-score, each step's refresh.
        calls: dict[str, list[float]] = {"save": [], "rescore": []}
        _time_calls(session.store, "set_rating", calls["save"])
        _time_calls(session, "rescore", calls["rescore"])
        for name, step in wizard.steps.items():
            calls[f"{name}_step"] = []
            _time_calls(step, "_update", calls[f"{name}_step"])
        parts: dict[str, list[float]] = {name: [] for name in calls}
        rows = session.assessment.subcategories
        targets = list(rows.loc[rows["in_profile"].fillna(False).astype(bool), "subcategory"])
        latencies, redrawn = [], 0
        for number in range(changes):
            subcategory = targets[number % len(targets)]
            rate.controls["subcategory"].value = subcategory
            scores = session.assessment.subcategories.set_index("subcategory")["current"]
            options = [o for o in rate.controls["rating"].options if o[:1].isdigit()]
            # A level other than the score shown, so that every change moves the charts.
            level = next(
                o
                for o in options[number % len(options) :] + options
                if float(o.split()[0]) != scores[subcategory]
            )
            before = _plotted(review, FIGURES)
            marks = {name: len(times) for name, times in calls.items()}
            start = time.perf_counter()
            rate.controls["rating"].value = level
            latencies.append(time.perf_counter() - start)
            for name, times in calls.items():
                parts[name].append(sum(times[marks[name] :]))
            redrawn += _plotted(review, FIGURES) != before
        return {
            "changes": changes,
            "charts_changed": redrawn,
            "rating_to_charts": summary(latencies),
            "of_which_median_ms": {
                name: round(statistics.median(times) * 1000, 1) for name, times in parts.items()
            },
        }


def _time_calls(owner: object, name: str, into: list[float]) -> None:
    """Record the duration of every call of ``owner.name`` in ``into``."""
    method = getattr(owner, name)

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            into.append(time.perf_counter() - start)

    setattr(owner, name, timed)


def _plotted(review, names) -> str:
    return json.dumps(
        [review.controls[name].to_plotly_json()["data"] for name in names], default=str
    )


def rating_latency_in_kernel(changes: int) -> dict:
    """:func:`rating_latency` inside a kernel run by nbclient, where widget messages are sent."""
    code = (
        f"import json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "import bench_notebook\n"
        f"print(json.dumps(bench_notebook.rating_latency({changes})))"
    )
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    with tempfile.TemporaryDirectory() as folder:
        NotebookClient(
            notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": folder}}
        ).execute()
    text = "".join(
        o.get("text", "") for o in notebook.cells[0].outputs if o.output_type == "stream"
    )
    return json.loads(text.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--browser", action="store_true", help="also time Run All in JupyterLab")
    args = parser.parse_args(argv)
    figures: dict = {
        "run_all_to_first_chart_nbclient": {
            name: run_all(name, args.repeat)
            for name in ("02_guided_assessment.ipynb", "04_leadership_charts.ipynb")
        },
    }
    if args.browser:
        figures["run_all_to_first_chart_jupyterlab_s"] = run_all_in_jupyterlab(args.repeat)
    figures["rating_change_headless"] = rating_latency(args.changes)
    figures["rating_change_in_kernel"] = rating_latency_in_kernel(args.changes)
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
