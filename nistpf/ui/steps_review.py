"""Steps 6 and 7: the leadership charts as they change, and the deliverables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from nistpf.engagement import deliverable_name, engagement_label
from nistpf.errors import NistpfError
from nistpf.export import charts
from nistpf.numbers import fixed, percent
from nistpf.ui._widgets import WIDE, Step, esc, handler
from nistpf.ui.session import Change, Session

FIGURES = ("radar", "heatmap", "top_gaps")
# What changes a chart: a level, the profile, or the systems in scope (not the Tiers).
REDRAW = {"rating", "profile", "scope"}
_PLOTTED = ["subcategory", "in_profile", "target", "priority", "current", "gap", "gap_points"]
PLOTLY_MIME = "application/vnd.plotly.v1+json"
# Charts follow the width of the notebook (``responsive``); plotly's logo is left out.
CHART_CONFIG = {"responsive": True, "displaylogo": False}


def plotly_output(figure: go.Figure) -> dict[str, Any]:
    """``figure`` as the display_data output a notebook cell holds when it shows a figure:
    plotly's own mime type (``application/vnd.plotly.v1+json``, drawn by the plotly renderer
    that JupyterLab and Voilà load) and its title as plain text."""
    spec = json.loads(pio.to_json(figure, validate=False))
    spec["config"] = dict(CHART_CONFIG)
    title = figure.layout.title.text or "plotly figure"
    return {
        "output_type": "display_data",
        "data": {PLOTLY_MIME: spec, "text/plain": title},
        "metadata": {},
    }


class Chart(w.Output):
    """A plotly figure in the wizard, drawn by the notebook's plotly renderer inside an
    ``ipywidgets.Output``, as a figure in a cell output is. ``show(figure)`` replaces the
    figure shown; ``figure`` is that figure and ``data`` its traces.

    Not ``go.FigureWidget``: with plotly 6 and later it is an anywidget whose view never
    resizes (it is drawn at plotly's default 700 px when its tab is hidden, and stays so),
    and whose updates sent before its script has loaded in the browser are lost (the chart
    stays blank, then ignores later updates). A cell output's renderer is drawn again at the
    width of the notebook whenever its tab is shown or resized, and each ``show`` sends the
    whole figure, so nothing depends on an earlier message having arrived."""

    def __init__(self, figure: go.Figure | None = None) -> None:
        super().__init__(layout=w.Layout(width="100%"))
        self.figure = go.Figure()
        if figure is not None:
            self.show(figure)

    @property
    def data(self) -> tuple:
        return self.figure.data

    def to_plotly_json(self) -> dict[str, Any]:
        return self.figure.to_plotly_json()

    def show(self, figure: go.Figure) -> None:
        self.figure = figure
        self.outputs = (plotly_output(figure),)


class ReviewStep(Step):
    """The radar (current vs target per Function), the heat map (systems × Functions) and the
    top gaps, drawn again as ratings, targets or scope change, with the overall scores.

    ``controls``: ``summary`` (HTML), ``radar``, ``heatmap``, ``top_gaps`` (:class:`Chart`:
    ``figure`` is the ``plotly.graph_objects.Figure`` shown)."""

    title = "6 Review"
    key = "review"

    def __init__(self, session: Session):
        super().__init__(session)
        c = self.controls
        c["summary"] = w.HTML()
        for name in FIGURES:
            c[name] = Chart()
        self.body.children = [c["summary"], c["radar"], c["top_gaps"], c["heatmap"]]
        self._numbers: tuple[pd.DataFrame, pd.DataFrame] | None = None
        self._build()
        self._sync()

    def figures(self) -> dict[str, go.Figure]:
        """The charts of the session's current assessment (``nistpf.export.charts``)."""
        a = self.session.assessment
        return {
            "radar": charts.radar(a),
            "heatmap": charts.heatmap(a),
            "top_gaps": charts.top_gaps(a),
        }

    def _build(self) -> None:
        if self.session.ready:
            self._redraw()

    def _update(self, change: Change) -> None:
        if change.kind in REDRAW and not self._unchanged():
            self._redraw()

    def _plotted(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        a = self.session.assessment
        return a.subcategories[_PLOTTED], a.systems

    def _unchanged(self) -> bool:
        """Whether the charts already show these numbers (only evidence or notes changed)."""
        return self._numbers is not None and all(
            new.equals(old) for new, old in zip(self._plotted(), self._numbers, strict=True)
        )

    def _redraw(self) -> None:
        self._numbers = self._plotted()
        for name, figure in self.figures().items():
            self.controls[name].show(figure)
        a = self.session.assessment
        o = a.overall
        label = a.scale.label
        self.controls["summary"].value = (
            f"<p style='font-size:115%'><b>Overall</b>: current {fixed(o.current)} "
            f"({esc(label(o.current))}) · target {fixed(o.target)} ({esc(label(o.target))}) · "
            f"gap {fixed(o.gap)} · coverage {percent(o.coverage)} · {len(a.findings)} data-flow "
            f"findings</p><p>{esc(a.completeness.sentence)}</p>"
        )


EXPORTS = {  # control name → (label, file name after the engagement: deliverable_name)
    "register": ("Gap register (.xlsx)", "gap-register.xlsx"),
    "report": ("Report (.html)", "report.html"),
    "deck": ("Leadership deck (.pptx)", "deck.pptx"),
    "images": ("Chart images (.png)", "charts"),
}


class ExportStep(Step):
    """Write the deliverables of the current assessment into a folder (default ``outputs``
    beside the store), with a progress bar, the paths written, and any error as one line
    (files of the same name are replaced by the newer version). The deck and images need
    Chromium.

    ``controls``: ``register``, ``report``, ``deck``, ``images`` (Checkbox), ``folder``
    (Text), ``export`` (Button), ``progress`` (IntProgress), ``paths`` (HTML list),
    ``status`` (HTML: one line per failed deliverable)."""

    title = "7 Export"
    key = "export"

    def __init__(self, session: Session):
        super().__init__(session)
        c = self.controls
        for name, (label, _file) in EXPORTS.items():
            c[name] = w.Checkbox(
                value=name in ("register", "report"), description=label, indent=False
            )
        c["folder"] = w.Text(
            value=str(session.folder / "outputs"),
            description="Folder",
            layout=w.Layout(width="70%"),
            style=WIDE,
        )
        c["export"] = w.Button(description="Export", button_style="primary", icon="download")
        c["progress"] = w.IntProgress(value=0, min=0, max=1, description="Progress")
        c["paths"] = w.HTML()
        c["status"] = w.HTML()
        c["export"].on_click(self._on_export)
        self.body.children = [
            w.HTML("<p>Choose what to write; the files reflect every rating saved so far.</p>"),
            w.HBox([c[name] for name in EXPORTS]),
            c["folder"],
            w.HBox([c["export"], c["progress"]]),
            c["status"],
            c["paths"],
        ]
        self.written: list[Path] = []
        self._sync()

    @handler
    def _on_export(self, _button: w.Button) -> None:
        c = self.controls
        chosen = [name for name in EXPORTS if c[name].value]
        folder = Path(c["folder"].value.strip() or self.session.folder / "outputs")
        c["progress"].max = max(1, len(chosen))
        c["progress"].value = 0
        c["paths"].value = c["status"].value = ""
        self.written = []
        problems = []
        for name in chosen:
            try:
                result = self._write(name, folder)
            except (NistpfError, ImportError, OSError, ValueError) as error:
                problems.append(f"{EXPORTS[name][0]}: {' '.join(str(error).split())}")
            else:
                self.written += result if isinstance(result, list) else [Path(result)]
            c["progress"].value += 1
            c["paths"].value = (
                "<ul>" + "".join(f"<li><code>{esc(p)}</code></li>" for p in self.written) + "</ul>"
            )
        c["status"].value = (
            "".join(f"<p style='color:#b00020'>{esc(p)}</p>" for p in problems)
            or f"<p style='color:#1b5e20'>{len(self.written)} files written.</p>"
        )

    def _write(self, name: str, folder: Path) -> Any:
        """Call one exporter; imported here so the UI works before every exporter exists."""
        session = self.session
        a = session.assessment
        folder.mkdir(parents=True, exist_ok=True)
        # Named after the engagement (the About sheet's client), made a safe file name.
        label = engagement_label(a.inventory, session.store.engagement_name)
        path = folder / deliverable_name(label, EXPORTS[name][1])
        edits = session.store.register_edits(session.number)
        edits = None if edits.empty else edits
        if name == "register":
            from nistpf.export.excel import write_gap_register

            return write_gap_register(a, path, carry_over=edits)
        if name == "report":
            from nistpf.export.report import write_report

            return write_report(a, path)
        if name == "deck":
            from nistpf.export.deck import write_deck

            return write_deck(a, path, carry_over=edits)
        from nistpf.export.images import write_images

        return write_images(a, path, formats=("png",))
