"""The leadership pack's charts as PNG or PDF files, drawn by kaleido in the system's Chromium.

kaleido 1.x renders plotly figures in a headless Chromium. Starting that browser costs seconds,
so every call here starts it **once** and renders all its figures in that one session. nistpf
never downloads a browser: it uses Debian's ``chromium`` (or any Chrome), found on ``PATH`` or
named by the ``BROWSER_PATH`` environment variable; without one,
:class:`~nistpf.errors.BrowserMissingError` says in one line how to install it.

The browser is started offline: with :data:`BROWSER_SWITCHES` and a blank start page, it looks
up no host name and asks no Google or search-engine service for anything
(``tests/test_browser_offline.py`` records the lookups it makes: none). kaleido hands each
image back as bytes; nistpf writes the files itself, so a folder that cannot be written (a
file, read-only, a full disk) is one :class:`~nistpf.errors.OutputNotWritableError` naming the
path and the cause, and leaves nothing behind.

>>> import nistpf
>>> from nistpf.export.images import write_images
>>> a = nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))
>>> [p.name for p in write_images(a, "pack")][:2]  # doctest: +SKIP
['radar-function.png', 'radar-category.png']
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import kaleido
from choreographer.browsers import Chromium
from choreographer.errors import ChannelClosedError
from kaleido.errors import (
    BrowserClosedError,
    BrowserFailedError,
    ChromeNotFoundError,
    JavascriptError,
    KaleidoError,
)

from nistpf.assessment import Assessment
from nistpf.errors import BrowserMissingError, ImageExportError, OutputNotWritableError, shown
from nistpf.export import charts
from nistpf.io.atomic import write_target
from nistpf.io.paths import Use, check_paths, file_kind, installed_uses


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


# Chromium features that reach Google's servers on their own, switched off by name.
DISABLED_FEATURES = (
    "NetworkTimeServiceQuerying",  # clients2.google.com/time/1/current, the clock's check
    "OptimizationHints",  # optimizationguide-pa.googleapis.com: hints about pages
    "OptimizationHintsFetching",
    "OptimizationGuideModelDownloading",  # models for on-device predictions
    "OptimizationTargetPrediction",
    "MediaRouter",  # Cast: looks for devices on the network
    "DialMediaRouteProvider",
    "Translate",  # translate.googleapis.com
    "AutofillServerCommunication",  # content-autofill.googleapis.com
    "CertificateTransparencyComponentUpdater",
    "InterestFeedContentSuggestions",
)
# What nistpf adds to the command line kaleido starts Chromium with (choreographer's own
# switches, ``Chromium.get_cli``: headless, no sandbox, ``--disable-component-update``,
# ``--disable-sync``, ``--no-first-run``, ``--metrics-recording-only``, ...), so that the
# browser drawing the charts asks nothing of the network. Without them, Debian's Chromium 156
# looked up update.googleapis.com, clients2.google.com and start.duckduckgo.com at every start
# (tests/test_browser_offline.py). Some repeat choreographer's: this list is what nistpf relies
# on whatever a later choreographer passes. The last rule is the safety net: every host name but
# the local ones resolves to nothing inside the browser, so a service a future Chromium adds
# cannot look a name up either (kaleido reaches the page it draws in through a file and talks to
# the browser over a pipe: neither needs a host name).
BROWSER_SWITCHES: tuple[str, ...] = (
    "--disable-background-networking",  # the requests several services make in the background
    "--disable-component-update",  # component downloads (update.googleapis.com)
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-default-apps",
    "--disable-domain-reliability",  # reports on Google domains' reachability
    "--disable-client-side-phishing-detection",  # its model download
    "--disable-features=" + ",".join(DISABLED_FEATURES),
    "--metrics-recording-only",  # metrics are recorded, never uploaded
    "--no-pings",  # hyperlink auditing pings
    "--dns-prefetch-disable",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
)
# Chromium 156 asks update.googleapis.com for the manifest of its on-device AI models at every
# start, --disable-component-update notwithstanding (an on-demand update); no switch turns that
# off, but this one makes it read the manifest from a folder instead: an empty folder in the
# browser's throwaway profile, so there is nothing to read and nothing to fetch.
MODEL_MANIFEST_SWITCH = "--optimization-guide-manifest-override"
# The page the browser opens first. Without one it opens its New Tab page, which for Debian's
# Chromium is the search engine's start page (start.duckduckgo.com), looked up and preconnected.
START_PAGE = "about:blank"


class _ByeFilter(logging.Filter):
    """Drops choreographer's report of the browser's last word as it closes: its wrapper writes
    ``{bye}`` into the pipe, which is no JSON, and now and then choreographer reads it before
    it stops reading and logs the decoding error, traceback and all, then ignores it (its own
    words: "Ignoring"). With no logging set up, Python prints that on stderr, under nistpf's
    one line or after a run that went well."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("JSONError decoding message")


logging.getLogger("choreographer.channels.pipe").addFilter(_ByeFilter())


class OfflineChromium(Chromium):
    """choreographer's :class:`~choreographer.browsers.Chromium` started with
    :data:`BROWSER_SWITCHES`, :data:`MODEL_MANIFEST_SWITCH` and :data:`START_PAGE` added to its
    command line.

    kaleido passes its keyword arguments on to ``choreographer.Browser``, whose ``browser_cls``
    names the class that builds the command line (``get_cli``): subclassing it is choreographer's
    own way to change that line, with no wrapper script around the browser."""

    def get_cli(self) -> list[str]:
        """choreographer's command line with nistpf's switches and start page added (a
        ``--disable-features`` of choreographer's own is merged with nistpf's: the browser
        would take only the last one)."""
        return browser_command(list(super().get_cli()), Path(self.tmp_dir.path))


def browser_command(command: Sequence[str], profile: Path) -> list[str]:
    """``command`` (the browser's command line as choreographer builds it) with
    :data:`BROWSER_SWITCHES`, :data:`MODEL_MANIFEST_SWITCH` (an empty folder made in
    ``profile``, the browser's throwaway user-data folder) and :data:`START_PAGE` added, in
    that order; features ``command`` disables already stay disabled."""
    features = "--disable-features="
    ours = [switch for switch in BROWSER_SWITCHES if not switch.startswith(features)]
    disabled = [
        name
        for switch in (*command, *BROWSER_SWITCHES)
        if switch.startswith(features)
        for name in switch[len(features) :].split(",")
        if name
    ]
    manifests = profile / "no-model-manifest"
    manifests.mkdir(exist_ok=True)
    return [
        *(switch for switch in command if not switch.startswith(features)),
        *ours,
        features + ",".join(dict.fromkeys(disabled)),
        f"{MODEL_MANIFEST_SWITCH}={manifests}",
        START_PAGE,
    ]


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
    files (2 suits slides and print). ``folder`` is made if missing. One browser renders all
    the images, into memory; each is then written to a temporary file beside its place and,
    when all are written, moved into place, so a failed run leaves no half-written image, no
    temporary file and no folder it made.

    Before the browser starts, ``folder`` is checked: a file rather than a folder, a folder
    that cannot be made or written to (a test file is made and removed: permissions alone do
    not tell, for root or on a read-only disk), or an image's name taken by a folder raises
    :class:`~nistpf.errors.OutputNotWritableError` naming the path and the cause, as does a
    failed write (a full disk). Raises :class:`~nistpf.errors.BrowserMissingError` without a
    browser, :class:`~nistpf.errors.ImageExportError` when rendering fails, ``ValueError`` for
    an unknown format or a scale that is not positive."""
    chosen = _formats(formats)
    if not scale > 0:
        raise ValueError(f"scale: {scale!r} is not a positive number")
    browser = find_browser()
    folder = Path(folder)
    targets = [folder / f"{name}.{fmt}" for fmt in chosen for name in CHARTS]
    made = _make_folder(folder)
    try:
        _check_writable(folder, targets)
        figures = chart_figures(a)
        jobs = [
            _job(figures[name], *_size(name, figures[name]), fmt, scale)
            for fmt in chosen
            for name in figures
        ]
        _write_files(dict(zip(targets, render(jobs, browser=browser), strict=True)))
    except BaseException:
        for made_folder in reversed(made):  # only what this call made, and only if empty
            with contextlib.suppress(OSError):
                made_folder.rmdir()
        raise
    return targets


def render_png(
    figures: Mapping[str, Any],
    *,
    sizes: Mapping[str, tuple[int, int]] | None = None,
    scale: float = 2,
    browser: str | None = None,
) -> dict[str, bytes]:
    """``figures`` (name → plotly figure) as PNG bytes, keyed by name, rendered in one browser
    session without writing any file (the deck embeds them). ``sizes`` gives a figure's
    (width, height) in CSS pixels; by default a chart of :data:`CHARTS` keeps its own size.
    Raises as :func:`render`."""
    browser = browser or find_browser()
    sizes = dict(sizes or {})
    jobs = [
        _job(figure, *(sizes.get(name) or _size(name, figure)), "png", scale)
        for name, figure in figures.items()
    ]
    return dict(zip(figures, render(jobs, browser=browser), strict=True))


def render(jobs: Sequence[Mapping[str, Any]], *, browser: str) -> list[bytes]:
    """The images of kaleido figure dicts (``fig``, and ``opts``: ``format``, ``width``,
    ``height`` in CSS pixels, ``scale``), as bytes in the order of ``jobs``, rendered in one
    browser session (none is started for no job).

    The browser is :class:`OfflineChromium` at ``browser``; it runs in a thread of its own with
    its own event loop (as kaleido's ``*_sync`` functions do), so this also works inside
    Jupyter's running loop. MathJax is off: it would be fetched from a CDN, and no chart uses
    LaTeX; plotly.js comes from the installed plotly. Raises
    :class:`~nistpf.errors.BrowserMissingError` when ``browser`` is not a browser,
    :class:`~nistpf.errors.ImageExportError` (one line) when the browser fails or a figure
    cannot be drawn."""
    if not jobs:
        return []

    async def session() -> list[bytes]:
        async with kaleido.Kaleido(
            path=browser, mathjax=False, browser_cls=OfflineChromium
        ) as browser_session:
            return [
                await browser_session.calc_fig(job["fig"], opts=job.get("opts")) for job in jobs
            ]

    try:
        return _in_thread(lambda: asyncio.run(session()))
    except ChromeNotFoundError as error:
        raise BrowserMissingError() from error
    except (
        BrowserFailedError,
        BrowserClosedError,
        ChannelClosedError,  # the browser went away mid-render
        JavascriptError,
        KaleidoError,
        TimeoutError,
    ) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise ImageExportError(
            f"cannot render images with {browser}: {type(error).__name__}"
            + (f": {reason}" if reason else "")
        ) from error


def _in_thread(call: Callable[[], Any]) -> Any:
    """``call()`` run in a new thread, waited for; what it raises is raised here."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as error:  # handed to the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=run, name="nistpf-images")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _make_folder(folder: Path) -> list[Path]:
    """Make ``folder`` and its missing parents; return those made, outermost first. Raises
    :class:`~nistpf.errors.OutputNotWritableError` when ``folder`` or a folder above it is a
    file, or a folder cannot be made (what was made is removed again)."""
    missing = []
    place = folder
    while not os.path.lexists(place) and place != place.parent:
        missing.append(place)
        place = place.parent
    if not place.is_dir():
        where = "it is" if place == folder else f"{shown(place)} is"
        raise OutputNotWritableError(
            folder, f"{where} a file, not a folder; name a folder for the images"
        )
    made: list[Path] = []
    for path in reversed(missing):
        try:
            path.mkdir()
        except OSError as error:
            for made_folder in reversed(made):
                with contextlib.suppress(OSError):
                    made_folder.rmdir()
            raise OutputNotWritableError.from_os_error(folder, error) from error
        made.append(path)
    return made


def _check_writable(folder: Path, targets: Iterable[Path]) -> None:
    """Raise :class:`~nistpf.errors.OutputNotWritableError` when an image's name in ``folder``
    is taken by a folder, or when a file cannot be made in ``folder`` (one is made and removed:
    ``os.access`` says yes to root in a read-only folder and knows nothing of read-only disks)."""
    targets = list(targets)
    check_paths(installed_uses(), [Use(t, "a chart image") for t in targets])
    for target in targets:
        kind = file_kind(target)  # through a symbolic link: what the write would land on
        if kind == "a folder":
            raise OutputNotWritableError(
                target, "it is a folder; move it away or choose another folder for the images"
            )
        if kind:
            raise OutputNotWritableError(
                target, f"it is {kind}, not a file; move it away or choose another folder"
            )
    try:
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".nistpf-write-test-")
    except OSError as error:
        raise OutputNotWritableError.from_os_error(folder, error) from error
    os.close(handle)
    os.unlink(probe)


def _write_files(files: Mapping[Path, bytes]) -> None:
    """Write each file's bytes to a temporary file beside it (synced to disk), then, when all
    are written, move each into place. On any failure the temporary files are removed and no
    file is replaced; :class:`~nistpf.errors.OutputNotWritableError` names the file and the
    cause (no space left, permission, ...)."""
    staged: list[tuple[str, Path]] = []
    try:
        for target, data in files.items():
            # an image that is a symbolic link: the file it points to is written, the link kept
            try:
                target = write_target(target)
            except OSError as error:
                raise OutputNotWritableError.from_os_error(target, error) from error
            try:
                staged.append((_stage(target, data), target))
            except OSError as error:
                raise OutputNotWritableError.from_os_error(target, error) from error
        while staged:
            temporary, target = staged[0]
            try:
                os.replace(temporary, target)
            except OSError as error:
                raise OutputNotWritableError.from_os_error(target, error) from error
            staged.pop(0)
    finally:
        for temporary, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _stage(target: Path, data: bytes) -> str:
    """``data`` in a new temporary file beside ``target``, flushed to disk, with the mode a new
    file gets (or the mode of the file it will replace); its path. Removed again on failure."""
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            os.chmod(temporary, _file_mode(target))
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return temporary


def _file_mode(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _job(figure: Any, width: int, height: int, fmt: str, scale: float) -> dict[str, Any]:
    opts: dict[str, Any] = {"format": fmt, "width": width, "height": height}
    if fmt == "png":
        opts["scale"] = scale
    return {"fig": figure, "opts": opts}


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
