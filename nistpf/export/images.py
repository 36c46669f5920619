"""The leadership pack's charts as PNG or PDF files, drawn by kaleido in the system's Chromium.

kaleido 1.x renders plotly figures in a headless Chromium. Starting that browser costs seconds,
so every call here starts it **once** and renders all its figures in that one session
(``kaleido.write_fig_from_object_sync`` with a list of figures). nistpf never downloads a
browser: it uses Debian's ``chromium`` (or any Chrome), found on ``PATH`` or named by the
``BROWSER_PATH`` environment variable; without one, :class:`~nistpf.errors.BrowserMissingError`
says in one line how to install it.

>>> import nistpf
>>> from nistpf.export.images import write_images
>>> a = nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))
>>> [p.name for p in write_images(a, "pack")][:2]  # doctest: +SKIP
['radar-function.png', 'radar-category.png']
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import kaleido
from kaleido.errors import (
    BrowserClosedError,
    BrowserFailedError,
    ChromeNotFoundError,
    JavascriptError,
    KaleidoError,
)

from nistpf.assessment import Assessment
from nistpf.errors import BrowserMissingError, ImageExportError
from nistpf.export import charts


class Chart(NamedTuple):
    """One chart of the leadership pack: the ``nistpf.export.charts`` function that draws it,
    its keyword options, its width and a default height in CSS pixels (a figure that sets its
    own height, growing with the number of systems or gaps, keeps it); ``scale`` multiplies
    both in a PNG file."""

    function: str
    options: Mapping[str, Any]
    width: int
    height: int


# File stem → chart, in the order of the pack.
CHARTS: dict[str, Chart] = {
    "radar-function": Chart("radar", {"level": "function"}, 900, 700),
    "radar-category": Chart("radar", {"level": "category"}, 1000, 800),
    "heatmap": Chart("heatmap", {}, 1200, 640),
    "top-gaps": Chart("top_gaps", {"n": 10}, 1200, 700),
    "sunburst": Chart("sunburst", {}, 900, 900),
    "flow-map": Chart("flow_map", {}, 1100, 720),
    "coverage": Chart("coverage", {}, 1200, 700),
}
DEFAULT_SIZE = (1200, 700)
FORMATS = ("png", "pdf")

# Executables looked up on PATH, then places browsers are installed when PATH misses them.
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
BROWSER_LOCATIONS = (
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
)


def find_browser() -> str:
    """The Chromium or Chrome executable kaleido will use: ``BROWSER_PATH`` when set (and only
    it, so a wrong setting is reported rather than silently bypassed), else the first of
    :data:`BROWSER_NAMES` on ``PATH``, else the first of :data:`BROWSER_LOCATIONS` that exists.
    Raises :class:`BrowserMissingError` when there is none."""
    configured = os.environ.get("BROWSER_PATH")
    if configured:
        if _is_executable(configured):
            return configured
        raise BrowserMissingError()
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found and _is_executable(found):
            return found
    for location in BROWSER_LOCATIONS:
        if _is_executable(location):
            return location
    raise BrowserMissingError()


def _is_executable(path: str) -> bool:
    return Path(path).is_file() and os.access(path, os.X_OK)


def chart_figures(a: Assessment, names: Iterable[str] | None = None) -> dict[str, Any]:
    """The plotly figures of the charts ``names`` (default: all of :data:`CHARTS`), keyed by
    name."""
    chosen = list(CHARTS) if names is None else list(names)
    unknown = [name for name in chosen if name not in CHARTS]
    if unknown:
        raise ValueError(
            f"names: no chart named {', '.join(map(repr, unknown))}; charts: {', '.join(CHARTS)}"
        )
    return {
        name: getattr(charts, CHARTS[name].function)(a, **CHARTS[name].options) for name in chosen
    }


def write_images(
    a: Assessment, folder: Path | str, *, formats: Iterable[str] = ("png",), scale: float = 2
) -> list[Path]:
    """Write every chart of the leadership pack into ``folder`` as ``<chart>.<format>``
    (``radar-function.png``, ``heatmap.pdf``, …; see :data:`CHARTS`) and return the paths, in
    the order of :data:`CHARTS`, one format after the other.

    ``formats`` is any of ``"png"`` and ``"pdf"``; ``scale`` multiplies the pixel size of PNG
    files (2 suits slides and print). One browser renders all the files. They are written into a
    temporary folder inside ``folder`` and each moved into place when all are done, so an
    interrupted run leaves no half-written image. Raises :class:`BrowserMissingError` without a
    browser, :class:`~nistpf.errors.ImageExportError` when rendering fails."""
    chosen = _formats(formats)
    if not scale > 0:
        raise ValueError(f"scale: {scale!r} is not a positive number")
    browser = find_browser()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    figures = chart_figures(a)
    names = [f"{name}.{fmt}" for fmt in chosen for name in figures]
    staging = Path(tempfile.mkdtemp(dir=folder, prefix=".nistpf-images-"))
    try:
        jobs = [
            _job(figures[name], staging / f"{name}.{fmt}", *_size(name, figures[name]), fmt, scale)
            for fmt in chosen
            for name in figures
        ]
        render(jobs, browser=browser)
        written = []
        for file_name in names:
            target = folder / file_name
            os.replace(staging / file_name, target)
            written.append(target)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def render_png(
    figures: Mapping[str, Any],
    *,
    sizes: Mapping[str, tuple[int, int]] | None = None,
    scale: float = 2,
    browser: str | None = None,
) -> dict[str, bytes]:
    """``figures`` (name → plotly figure) as PNG bytes, keyed by name, rendered in one browser
    session without leaving files behind (the deck embeds them). ``sizes`` gives a figure's
    (width, height) in CSS pixels; by default a chart of :data:`CHARTS` keeps its own size."""
    browser = browser or find_browser()
    sizes = dict(sizes or {})
    with tempfile.TemporaryDirectory(prefix="nistpf-images-") as staging:
        # Numbered file names: figure names are the caller's and need not be file names.
        paths = {name: Path(staging) / f"{i:03d}.png" for i, name in enumerate(figures)}
        jobs = []
        for name, figure in figures.items():
            width, height = sizes.get(name) or _size(name, figure)
            jobs.append(_job(figure, paths[name], width, height, "png", scale))
        render(jobs, browser=browser)
        return {name: path.read_bytes() for name, path in paths.items()}


def render(jobs: list[dict[str, Any]], *, browser: str) -> None:
    """Render kaleido figure dicts (``fig``, ``path``, ``opts``) in one browser session.

    ``kaleido.write_fig_from_object_sync`` starts one Chromium for the whole list (it runs in
    its own thread, so this also works inside Jupyter's event loop). MathJax is off: it would be
    fetched from a CDN, and no chart uses LaTeX; plotly.js comes from the installed plotly."""
    try:
        kaleido.write_fig_from_object_sync(
            jobs, kopts={"path": browser, "mathjax": False}, cancel_on_error=True
        )
    except ChromeNotFoundError as error:
        raise BrowserMissingError() from error
    except (
        BrowserFailedError,
        BrowserClosedError,
        JavascriptError,
        KaleidoError,
        TimeoutError,
    ) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise ImageExportError(
            f"cannot render images with {browser}: {type(error).__name__}"
            + (f": {reason}" if reason else "")
        ) from error


def _job(
    figure: Any, path: Path, width: int, height: int, fmt: str, scale: float
) -> dict[str, Any]:
    opts: dict[str, Any] = {"format": fmt, "width": width, "height": height}
    if fmt == "png":
        opts["scale"] = scale
    return {"fig": figure, "path": path, "opts": opts}


def _size(name: str, figure: Any) -> tuple[int, int]:
    width, height = (CHARTS[name].width, CHARTS[name].height) if name in CHARTS else DEFAULT_SIZE
    layout = getattr(figure, "layout", None)
    own = getattr(layout, "height", None) if layout is not None else None
    return width, int(own or height)


def _formats(formats: Iterable[str]) -> list[str]:
    if isinstance(formats, str):
        formats = (formats,)
    chosen = []
    for fmt in formats:
        key = str(fmt).strip().lower().lstrip(".")
        if key not in FORMATS:
            raise ValueError(f"formats: {fmt!r} is not supported; use {' or '.join(FORMATS)}")
        if key not in chosen:
            chosen.append(key)
    if not chosen:
        raise ValueError("formats: name at least one of " + ", ".join(FORMATS))
    return chosen
