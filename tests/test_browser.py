"""The notebooks in a real browser: JupyterLab and Voilà on 127.0.0.1, Debian's Chromium driven
by Playwright. These run in CI (``.ci/run`` installs Chromium); they never skip.

1. ``02_guided_assessment`` in JupyterLab: run all cells, change a rating through the rendered
   wizard, restart the kernel, and find the rating in the engagement store and back in the
   wizard after the cells run again.
2. ``04_leadership_charts`` in Voilà: every chart renders, no cell fails.

Each test saves a screenshot under its ``tmp_path`` and prints the path.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect

from nistpf.store import open_store
from tests.browser import (
    WAIT,
    Server,
    chromium,
    jupyterlab,
    menu,
    open_session,
    screenshot,
    voila,
    wait_idle,
)

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
GUIDED = "02_guided_assessment.ipynb"
CHARTS = "04_leadership_charts.ipynb"


def deadline(seconds: int):
    """Give a test ``seconds`` to run, fixtures included; past that it fails and its fixtures
    stop the servers and the browser. The deadlines add up to three minutes, about twice
    what the tests take on a two-core machine."""

    def mark(test):
        test.deadline = seconds
        return test

    return mark


@pytest.fixture(autouse=True)
def _deadline(request: pytest.FixtureRequest) -> Iterator[None]:
    seconds = request.function.deadline

    def expire(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"{request.node.name} ran over its {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The server's folder: a copy of the notebooks and nothing else."""
    folder = tmp_path / "root"
    shutil.copytree(NOTEBOOKS, folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return folder


@pytest.fixture
def lab(root: Path, tmp_path: Path) -> Iterator[Server]:
    with jupyterlab(root, tmp_path) as server:
        yield server


@pytest.fixture
def charts_in_voila(root: Path, tmp_path: Path) -> Iterator[Server]:
    with voila(root / CHARTS, tmp_path) as server:
        yield server


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    """A Chromium tab; what it shows at the end is kept as ``last.png``, to see why a test
    failed."""
    with chromium(tmp_path / "chromium") as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(WAIT)
        try:
            yield page
        finally:
            with contextlib.suppress(PlaywrightError):
                screenshot(page, tmp_path / "last.png")


# -- JupyterLab -------------------------------------------------------------------------------
def run_all(page: Page) -> Locator:
    """Run every cell and return the rendered wizard (the ipywidgets Tab)."""
    wait_idle(page)
    menu(page, "Run", "runmenu:run-all")
    wizard = page.locator(".jp-OutputArea-output .widget-tab")
    expect(wizard).to_have_count(1, timeout=WAIT)
    wait_idle(page)
    return wizard


def dropdown(wizard: Locator, label: str) -> Locator:
    """The <select> of the visible ipywidgets Dropdown described as ``label``."""
    found = wizard.locator(".widget-dropdown:visible").filter(
        has=wizard.page.locator("label", has_text=re.compile(f"^{re.escape(label)}$"))
    )
    expect(found).to_have_count(1)
    return found.locator("select")


def rate_tab(wizard: Locator) -> Locator:
    """Open the Rate tab and return its Level dropdown (a <select> of scale labels)."""
    wizard.locator(".lm-TabBar-tab", has_text="Rate").click()
    return dropdown(wizard, "Level")


def saved_ratings(store_path: Path):
    store = open_store(store_path)
    return store.ratings(store.latest())


def restart_kernel(page: Page, server: Server) -> None:
    """Kernel > Restart Kernel…, confirm, and wait until the server has restarted it."""
    restarts = server.log.read_text(errors="replace").count("Kernel restarted")
    menu(page, "Kernel", "kernelmenu:restart")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    give_up = time.monotonic() + WAIT / 1000
    while server.log.read_text(errors="replace").count("Kernel restarted") == restarts:
        assert time.monotonic() < give_up, f"the kernel did not restart:\n{server.tail()}"
        time.sleep(0.2)
    wait_idle(page)


@deadline(120)
def test_rating_changed_in_jupyterlab_survives_a_kernel_restart(
    lab: Server, page: Page, root: Path, tmp_path: Path
):
    store_path = root / "engagement.nistpf"
    open_session(lab, GUIDED)
    page.goto(f"{lab.url}/lab/tree/{GUIDED}")
    wizard = run_all(page)
    level = rate_tab(wizard)
    subcategory = dropdown(wizard, "Subcategory").input_value().split(" ", 1)[0]  # "ID.IM-P1 …"
    assert re.fullmatch(r"[A-Z]{2}\.[A-Z]{2}-P\d+", subcategory), subcategory

    labels = level.locator("option").evaluate_all("options => options.map(o => o.value)")
    shown = level.input_value()
    chosen = next(label for label in reversed(labels) if label[:1].isdigit() and label != shown)
    assert saved_ratings(store_path).empty
    level.select_option(value=chosen)  # e.g. "4 Adaptive"

    expected = float(chosen.split()[0])
    give_up = time.monotonic() + WAIT / 1000
    while saved_ratings(store_path).empty:  # saved as it is made: no button to click
        assert time.monotonic() < give_up, "the rating never reached the store"
        time.sleep(0.2)
    saved = wizard.locator(".widget-html:visible", has_text=re.compile(r"^rated .*; saved$"))
    expect(saved).to_have_count(1)

    restart_kernel(page, lab)
    ratings = saved_ratings(store_path)
    assert ratings[["subcategory", "system", "current"]].to_dict("records") == [
        {"subcategory": subcategory, "system": "", "current": expected}
    ]

    menu(page, "Edit", "editmenu:clear-all")
    expect(page.locator(".widget-tab")).to_have_count(0)
    wizard = run_all(page)
    level = rate_tab(wizard)
    expect(level).to_have_value(chosen)
    level.scroll_into_view_if_needed()
    screenshot(page, tmp_path / "jupyterlab-rate.png")


# -- Voilà ------------------------------------------------------------------------------------
@deadline(60)
def test_leadership_charts_render_in_voila(charts_in_voila: Server, page: Page, tmp_path: Path):
    # Voilà streams the page as the cells run: the document is complete once all have run.
    page.goto(f"{charts_in_voila.url}/", wait_until="domcontentloaded")
    expect(page.locator("#rendered_cells")).to_be_visible()
    charts = page.locator(".js-plotly-plot")
    expect(charts.nth(6)).to_be_visible()  # radar ×2, heat map, top gaps, coverage, flows, sunburst
    assert charts.count() >= 7
    expect(charts.locator(".main-svg").first).to_be_visible()
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.all_inner_texts()
    screenshot(page, tmp_path / "voila-charts.png")
