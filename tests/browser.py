"""What the browser tests share: Jupyter servers on 127.0.0.1 in throwaway settings, and
Debian's Chromium driven by Playwright.

Everything here is bounded: every wait has a timeout, and every server is stopped (its kernels,
then its whole process group) whatever the test does, so no test can hang or leak a server.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 1000}
# Generous guards, not benchmarks (benchmarks/bench_browser.py measures): Run All on the sample
# takes ~20 s idle; the whole JupyterLab test ~42 s idle and 70-83 s with both cores busy.
WAIT = 300_000  # ms: the longest any single wait in a page may take (15x Run All, idle)
START_TIMEOUT = 120.0  # seconds for a server to answer
START_ATTEMPTS = 3  # a port found free may be taken before the server binds it: try another
STOP_TIMEOUT = 10.0  # seconds for a server to shut down before it is killed


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def jupyter_env(folder: Path) -> dict[str, str]:
    """An environment whose Jupyter config, data and runtime folders live in ``folder``: the
    ``python3`` kernel is this interpreter (the project's venv), JupyterLab neither fetches
    news nor checks for updates, and notebooks render every cell (no windowing), so what the
    test looks for is in the page."""
    config, data, runtime = (folder / name for name in ("config", "data", "runtime"))
    kernel = data / "kernels" / "python3"
    kernel.mkdir(parents=True)
    runtime.mkdir()
    (kernel / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (nistpf)",
                "language": "python",
            }
        )
    )
    settings = config / "lab" / "user-settings" / "@jupyterlab"
    _write_json(
        settings / "apputils-extension" / "notification.jupyterlab-settings",
        {"fetchNews": "false", "checkForUpdates": False},
    )
    _write_json(
        settings / "notebook-extension" / "tracker.jupyterlab-settings",
        {"windowingMode": "none"},
    )
    _write_json(
        config / "jupyter_server_config.json",
        {"LabApp": {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"}},
    )
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(config),
        JUPYTER_DATA_DIR=str(data),
        JUPYTER_RUNTIME_DIR=str(runtime),
        # First on the search path, so the venv's own kernel.json ("python" from PATH) loses.
        JUPYTER_PATH=str(data),
        JUPYTERLAB_SETTINGS_DIR=str(config / "lab" / "user-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(config / "lab" / "workspaces"),
        JUPYTER_PLATFORM_DIRS="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def _write_json(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))


@dataclass
class Server:
    """A running Jupyter server (JupyterLab or Voilà): its URL, process, and log file."""

    url: str
    process: subprocess.Popen
    log: Path

    def tail(self, lines: int = 40) -> str:
        """The end of the server's log, for failure messages."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@contextlib.contextmanager
def serve(
    args: Callable[[int], Sequence[str]], *, cwd: Path, env: dict[str, str], log: Path, ready: str
) -> Iterator[Server]:
    """Run ``python -m <args(port)>`` on a free port, in its own process group, until the block
    ends; wait until ``http://127.0.0.1:<port><ready>`` answers (any HTTP status: the server is
    up; at most :data:`START_TIMEOUT` s). A server that exits while starting (its port taken
    meanwhile) is started again on another port."""
    for _attempt in range(START_ATTEMPTS):
        port = free_port()
        with log.open("ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", *args(port)],
                cwd=cwd,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        server = Server(f"http://127.0.0.1:{port}", process, log)
        try:
            up = _wait_until_up(server, ready)
        except BaseException:
            stop(server)
            raise
        if up:
            break
        stop(server)
    else:
        raise RuntimeError(f"the server exited {START_ATTEMPTS} times starting:\n{server.tail()}")
    try:
        yield server
    finally:
        stop(server)


def jupyterlab(root: Path, folder: Path) -> contextlib.AbstractContextManager[Server]:
    """JupyterLab serving ``root`` on a free port, no token, its settings, kernels' runtime
    files and log (``jupyterlab.log``) in ``folder``."""

    def args(port: int) -> list[str]:
        return [
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.token=",
            "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True",  # the REST calls of open_session carry no cookie
            f"--ServerApp.root_dir={root}",
        ]

    env = jupyter_env(folder / "jupyter")
    log = folder / "jupyterlab.log"
    return serve(args, cwd=root, env=env, log=log, ready="/api/status")


def voila(notebook: Path, folder: Path) -> contextlib.AbstractContextManager[Server]:
    """Voilà serving ``notebook`` (run in its folder) on a free port; settings and log
    (``voila.log``) in ``folder``. A failing cell shows its traceback in the page.

    Outputs are rendered progressively, as the cells run (``voila.json`` beside the notebooks,
    which ``nistpf new`` copies, says so): then Voilà hands each output to
    its renderer as an output model. Rendered at the end instead, a plotly figure's output is
    handed over as plain JSON, and the plotly renderer, which stores a PNG of the chart in
    its output model once drawn, fails with "r.setData is not a function" (one uncaught
    error per chart; the chart itself is drawn)."""

    def args(port: int) -> list[str]:
        return [
            "voila",
            notebook.name,
            "--no-browser",
            f"--port={port}",
            "--Voila.ip=127.0.0.1",
            "--Voila.port_retries=0",
            "--show_tracebacks=True",
            # progressive_rendering comes from the voila.json beside the notebooks, as it does
            # for a consultant who runs `voila 04_leadership_charts.ipynb` in the folder.
        ]

    env = jupyter_env(folder / "jupyter")
    log = folder / "voila.log"
    # Any answer means it is up; asking for the notebook itself would run it.
    return serve(args, cwd=notebook.parent, env=env, log=log, ready="/voila/static/")


def _wait_until_up(server: Server, ready: str) -> bool:
    """True once the server answers; False if it exits first."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            urllib.request.urlopen(server.url + ready, timeout=5).close()
        except urllib.error.HTTPError:
            return True  # it answers: up, whatever it thinks of the path
        except OSError:
            time.sleep(0.25)
        else:
            return True
    raise TimeoutError(
        f"{server.url}{ready} did not answer in {START_TIMEOUT:.0f} s:\n{server.tail()}"
    )


def stop(server: Server) -> None:
    """Shut the kernels down, then the server's process group: SIGTERM, then SIGKILL."""
    kernels = _kernel_ids(server)
    for kernel in kernels:
        request = urllib.request.Request(f"{server.url}/api/kernels/{kernel}", method="DELETE")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(request, timeout=5).close()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGTERM)
    try:
        server.process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=STOP_TIMEOUT)


def open_session(server: Server, notebook: str) -> str:
    """Start ``notebook``'s kernel (``python3``) through the REST API and return its ID, so
    JupyterLab attaches to it instead of asking which kernel to start."""
    body = {"path": notebook, "type": "notebook", "name": "", "kernel": {"name": "python3"}}
    request = urllib.request.Request(
        f"{server.url}/api/sessions",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["kernel"]["id"]


def _kernel_ids(server: Server) -> list[str]:
    if server.process.poll() is not None:
        return []
    try:
        with urllib.request.urlopen(f"{server.url}/api/kernels", timeout=5) as response:
            return [kernel["id"] for kernel in json.load(response)]
    except (OSError, ValueError, urllib.error.URLError):
        return []


@contextlib.contextmanager
def chromium(profile: Path) -> Iterator[BrowserContext]:
    """Debian's headless Chromium with a fresh profile in ``profile``, closed at the end."""
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            user_data_dir=str(profile),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport=VIEWPORT,
        )
        try:
            context.set_default_timeout(30_000)
            yield context
        finally:
            context.close()


def screenshot(page: Page, path: Path) -> Path:
    """Save what ``page`` shows as ``path`` (PNG) and print where, for the CI log."""
    page.screenshot(path=str(path), full_page=False)
    print(f"screenshot: {path}")
    return path


def menu(page: Page, name: str, command: str) -> None:
    """Click ``command`` (its ``data-command``) in the top menu ``name``."""
    page.locator("#jp-MainMenu").get_by_role("menuitem", name=name, exact=True).click()
    page.locator(f"li.lm-Menu-item[data-command='{command}']").click()


def wait_idle(page: Page) -> None:
    """Wait until the notebook's kernel — the project's, see ``jupyter_env`` — is idle."""
    expect(page.locator("#jp-main-statusbar")).to_contain_text(
        "Python 3 (nistpf) | Idle", timeout=WAIT
    )


# -- plotly charts in a page ------------------------------------------------------------------
_CHARTS_JS = """(scope) => {
  const box = (e) => {
    if (!e) return null;
    const r = e.getBoundingClientRect();
    return r.width || r.height ? [r.left, r.top, r.right, r.bottom] : null;
  };
  // A tick label as the four corners of its text on screen: rotated labels stay exact.
  const corners = (text) => {
    const b = text.getBBox(), m = text.getScreenCTM();
    if (!m || !b.width || getComputedStyle(text).display === 'none') return null;
    const [x0, y0, x1, y1] = [b.x, b.y, b.x + b.width, b.y + b.height];
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
      .map(([x, y]) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f]);
  };
  const labels = (plot, selector) => [...plot.querySelectorAll(selector)]
    .map((t) => ({text: t.textContent, corners: corners(t)})).filter((l) => l.corners);
  const plots = document.querySelectorAll(`${scope} .js-plotly-plot, ${scope}.js-plotly-plot`);
  return [...plots].map((plot) => ({
    title: plot.querySelector('.gtitle')?.textContent ?? '',
    traces: (plot.data || []).length,
    drawn: (plot._fullData || []).length,
    types: (plot._fullData || []).map((t) => t.type),
    current: ((plot._fullData || []).find((t) => t.name === 'Current') || {}).r || null,
    width: box(plot.querySelector('.main-svg'))?.[2] - box(plot.querySelector('.main-svg'))?.[0],
    area: box(plot.closest('.jp-OutputArea')),
    title_box: box(plot.querySelector('.gtitle')),
    subtitle_box: box(plot.querySelector('.gtitle-subtitle')),
    modebar_box: box(plot.querySelector('.modebar')),
    yticks: labels(plot, '.ytick text, .y2tick text'),
    xticks: labels(plot, '.xtick text, .x2tick text'),
  }));
}"""


def plotly_charts(page: Page, scope: str = "") -> list[dict]:
    """Every plotly chart in or at the CSS selector ``scope`` as drawn in ``page``: its title,
    the traces it was given (``traces``) and drew (``drawn``, plotly's ``_fullData``), their
    types, the "Current" trace's ``r`` (the radar), the drawn SVG's width, the boxes (left,
    top, right, bottom) of its output area, title, subtitle and modebar, and its x and y tick
    labels as the corners of their text on screen."""
    return page.evaluate(_CHARTS_JS, scope)


def overlapping(labels: list[dict]) -> list[tuple[str, str]]:
    """The pairs of tick labels (from :func:`plotly_charts`) whose text boxes intersect, tilted
    or not (the separating-axis test on their corners)."""
    pairs = []
    for i, one in enumerate(labels):
        for other in labels[i + 1 :]:
            if _polygons_intersect(one["corners"], other["corners"]):
                pairs.append((one["text"], other["text"]))
    return pairs


def _polygons_intersect(a: list[list[float]], b: list[list[float]], slack: float = 0.5) -> bool:
    for polygon in (a, b):
        for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
            axis = (y1 - y2, x2 - x1)
            on_a = [axis[0] * x + axis[1] * y for x, y in a]
            on_b = [axis[0] * x + axis[1] * y for x, y in b]
            length = (axis[0] ** 2 + axis[1] ** 2) ** 0.5 or 1.0
            if min(on_a) >= max(on_b) - slack * length or min(on_b) >= max(on_a) - slack * length:
                return False
    return True
