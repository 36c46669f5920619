"""Steps 1 and 2: load the inventory (the validation report; errors stop), choose the scope."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd

from nistpf.errors import NistpfError
from nistpf.inventory.schema import CRITICALITIES
from nistpf.sample import sample_path
from nistpf.ui._widgets import WIDE, Step, esc, handler, html_table
from nistpf.ui.session import Change, Session

REPORT_COLUMNS = ["severity", "sheet", "excel_row", "column", "value", "problem", "hint"]


class LoadStep(Step):
    """Pick a workbook (a path, or an upload saved into the engagement folder) and optionally
    a mapping, click Load: the validation report appears as a table. Errors leave
    ``session.ready`` False, which keeps the later steps disabled.

    The assessment open is named, and another one of the engagement can be picked; a
    follow-up (next year's assessment, from this one's Target Profile and scope) is started
    explicitly. What the store keeps that applies to nothing in the workbook (ratings of a
    system no longer listed) is shown, never dropped.

    ``controls``: ``assessor`` (Text: the name saved with every change), ``path`` (Text),
    ``upload`` (FileUpload, .xlsx/.xlsm/.ods), ``mapping`` (Text), ``mapping_upload`` (FileUpload,
    .toml), ``load`` (Button), ``status`` (HTML: one line), ``report`` (HTML: the table),
    ``assessment`` (Dropdown of the store's assessments: the one open), ``follow_up_name``
    (Text), ``follow_up`` (Button), ``orphans`` (HTML: what applies to nothing)."""

    title = "1 Load"
    key = "load"
    needs_inventory = False

    def __init__(self, session: Session):
        super().__init__(session)
        source = session.source or sample_path()
        c = self.controls
        c["assessor"] = w.Text(
            value=session.assessor or "",
            description="Your name",
            placeholder="saved with every change",
            continuous_update=False,
            style=WIDE,
        )
        c["path"] = w.Text(
            value=str(source),
            description="Inventory",
            layout=w.Layout(width="70%"),
            style=WIDE,
        )
        c["upload"] = w.FileUpload(accept=".xlsx,.xlsm,.ods", multiple=False, description="Upload")
        c["mapping"] = w.Text(
            value=str(session.mapping or ""),
            description="Mapping (optional)",
            placeholder="a .toml mapping for the client's own layout",
            layout=w.Layout(width="70%"),
            style=WIDE,
        )
        c["mapping_upload"] = w.FileUpload(accept=".toml", multiple=False, description="Upload")
        c["load"] = w.Button(description="Load", button_style="primary", icon="upload")
        c["status"] = w.HTML()
        c["report"] = w.HTML()
        c["assessment"] = w.Dropdown(
            description="Assessment", options=[], layout=w.Layout(width="60%"), style=WIDE
        )
        c["follow_up_name"] = w.Text(
            description="Follow-up",
            placeholder="e.g. Follow-up 2027",
            layout=w.Layout(width="40%"),
            style=WIDE,
        )
        c["follow_up"] = w.Button(description="Start follow-up", icon="forward")
        c["orphans"] = w.HTML()
        c["assessment"].observe(self._on_assessment, names="value")
        c["follow_up"].on_click(self._on_follow_up)
        c["assessor"].observe(self._on_assessor, names="value")
        c["upload"].observe(self._on_upload, names="value")
        c["mapping_upload"].observe(self._on_mapping_upload, names="value")
        c["load"].on_click(self._on_load)
        self.body.children = [
            w.HTML(
                "<p>Choose the client's inventory workbook (or upload it: it is saved next to "
                "the engagement store) and click <b>Load</b>. Every problem found is listed "
                "below; fix the errors in the workbook and load again.</p>"
            ),
            c["assessor"],
            w.HBox([c["path"], c["upload"]]),
            w.HBox([c["mapping"], c["mapping_upload"]]),
            c["load"],
            c["status"],
            c["assessment"],
            w.HBox([c["follow_up_name"], c["follow_up"]]),
            c["orphans"],
            c["report"],
        ]
        self._show_assessments()
        if session.source is not None:
            self._show_report(session.report)

    @handler
    def _on_assessor(self, change: dict[str, Any]) -> None:
        self.session.set_assessor(change["new"])

    @handler
    def _on_upload(self, change: dict[str, Any]) -> None:
        path = self._save(change["new"])
        if path is not None:
            self.controls["path"].value = str(path)

    @handler
    def _on_mapping_upload(self, change: dict[str, Any]) -> None:
        path = self._save(change["new"])
        if path is not None:
            self.controls["mapping"].value = str(path)

    def _save(self, files: Any) -> Path | None:
        if not files:
            return None
        upload = files[0]
        path = self.session.save_upload(upload["name"], bytes(upload["content"]))
        self.controls["status"].value = f"<p>Saved the upload as {esc(path)}</p>"
        return path

    @handler
    def _on_load(self, _button: w.Button) -> None:
        c = self.controls
        if not c["path"].value.strip():
            c["status"].value = "<p style='color:#b00020'>Choose a workbook or upload one.</p>"
            return
        c["status"].value = "<p>Loading…</p>"
        try:  # the session's "load" change shows the report (see _build)
            self.session.load(c["path"].value.strip(), c["mapping"].value.strip())
        except NistpfError:
            c["status"].value = ""
            raise

    @handler
    def _on_assessment(self, change: dict[str, Any]) -> None:
        if change["new"] is not None and change["new"] != self.session.number:
            self.session.open_assessment(change["new"])

    @handler
    def _on_follow_up(self, _button: w.Button) -> None:
        name = self.controls["follow_up_name"].value.strip()
        if not name:
            self.controls[
                "status"
            ].value = (
                "<p style='color:#b00020'>Name the follow-up first (e.g. “Follow-up 2027”).</p>"
            )
            return
        self.session.follow_up(name)
        self.controls["follow_up_name"].value = ""

    def _show_assessments(self) -> None:
        """The dropdown lists the store's assessments and shows the one open."""
        runs = self.session.store.assessments()
        options = [
            (f"{r.id} · {r.name}" + (f" · {r.date}" if r.date else ""), int(r.id))
            for r in runs.itertuples(index=False)
        ]
        c = self.controls
        with self.quiet():
            c["assessment"].options = options
            c["assessment"].value = self.session.number if self.session.number else None
        c["assessment"].disabled = not self.session.ready
        c["follow_up"].disabled = not self.session.ready
        orphans = self.session.orphans if self.session.ready else pd.DataFrame()
        c["orphans"].value = (
            ""
            if orphans.empty
            else "<p><b>Saved in the store but applying to nothing in this workbook</b> "
            "(kept, not scored):</p>" + html_table(orphans, empty="")
        )

    def _show_report(self, report: pd.DataFrame) -> None:
        errors = int((report["severity"] == "error").sum())
        warnings = int((report["severity"] == "warning").sum())
        counts = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
        session = self.session
        if session.ready:
            inv = session.inventory
            run = session.run
            opened = "started" if session.created else "reopened"
            line = (
                f"<p style='color:#1b5e20'>Loaded {esc(inv.source)}: {len(inv.systems)} "
                f"systems, {len(inv.controls)} controls, {len(inv.flows)} flows ({counts}). "
                f"Assessment {session.number} “{esc(run['name'])}” {opened}; every change is "
                f"saved in {esc(session.store_path.name)}.</p>"
            )
        else:
            line = (
                f"<p style='color:#b00020'><b>{esc(Path(str(session.source)).name)} cannot be "
                f"assessed yet: {counts}.</b> Fix the errors below and load again.</p>"
            )
        self.controls["status"].value = line
        shown = report.reindex(columns=REPORT_COLUMNS)
        self.controls["report"].value = html_table(shown, empty="No problems found.")

    def _build(self) -> None:
        self._show_report(self.session.report)
        self._show_assessments()


class ScopeStep(Step):
    """Tick the systems in scope, listed by type with their criticality; the counts follow.

    ``controls``: ``in_scope`` (dict system ID → Checkbox), ``counts`` (HTML, e.g. "15 of 16
    systems in scope; High 9, Medium 5, Low 1")."""

    title = "2 Scope"
    key = "scope"

    def __init__(self, session: Session):
        super().__init__(session)
        self.controls["in_scope"] = {}
        self.controls["counts"] = w.HTML()
        self._build()
        self._sync()

    def _build(self) -> None:
        boxes: dict[str, w.Checkbox] = self.controls["in_scope"]
        boxes.clear()
        if not self.session.ready:
            self.body.children = []
            return
        systems = self.session.assessment.inventory.systems
        groups = []
        for kind, rows in systems.groupby("type", sort=True, dropna=False):
            group = []
            for row in rows.itertuples(index=False):
                box = w.Checkbox(
                    value=bool(row.in_scope),
                    description=f"{row.system_id} {row.name} · {row.criticality} criticality",
                    indent=False,
                    layout=w.Layout(width="auto"),
                )
                box.observe(self._on_tick(row.system_id), names="value")
                boxes[row.system_id] = box
                group.append(box)
            groups.append(w.HTML(f"<b>{esc(kind)}</b>"))
            groups.append(w.VBox(group, layout=w.Layout(margin="0 0 0 1em")))
        self.body.children = [
            w.HTML("<p>Untick the systems this assessment leaves out; the scores follow.</p>"),
            self.controls["counts"],
            *groups,
        ]
        self._show_counts()

    def _on_tick(self, system: str):
        @handler
        def tick(step: ScopeStep, change: dict[str, Any]) -> None:
            step.session.set_scope(system, change["new"])

        return lambda change: tick(self, change)

    def _update(self, change: Change) -> None:
        if change.kind != "scope":
            return
        systems = self.session.assessment.inventory.systems
        with self.quiet():
            for row in systems.itertuples(index=False):
                box = self.controls["in_scope"].get(row.system_id)
                if box is not None:
                    box.value = bool(row.in_scope)
        self._show_counts()

    def _show_counts(self) -> None:
        systems = self.session.assessment.inventory.systems
        scoped = systems[systems["in_scope"].fillna(True).astype(bool)]
        by = scoped["criticality"].value_counts()
        parts = ", ".join(f"{c} {int(by.get(c, 0))}" for c in CRITICALITIES)
        self.controls[
            "counts"
        ].value = f"<p><b>{len(scoped)} of {len(systems)} systems in scope</b>; {parts}</p>"
