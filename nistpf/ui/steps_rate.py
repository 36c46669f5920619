"""Step 4: walk the Subcategories and rate them, seeing why each scores what it does."""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import pandas as pd

from nistpf.inventory.schema import METHODS
from nistpf.numbers import fixed, percent
from nistpf.ui._widgets import (
    NOT_RATED,
    WIDE,
    Step,
    esc,
    handler,
    html_table,
    level_label,
    level_options,
    level_value,
    with_option,
)
from nistpf.ui.session import Change, Session

ALL_FUNCTIONS = ""
ORGANISATION = ""
CONTROL_COLUMNS = ["control_id", "name", "status", "maturity", "level", "applies_to"]
FINDING_COLUMNS = ["finding_id", "severity", "systems", "cap", "message"]


class RateStep(Step):
    """One Subcategory at a time: its outcome, the derived level and why (the controls, the
    systems covered, the findings and the arithmetic of ``Assessment.explain``), and the
    assessor's rating, saved on change (``store.set_rating``). Filters narrow the walk to a
    Function, to Subcategories with a gap, to those not yet rated (no organisation-level
    rating), or to those with no evidence (no mapped control on a system in scope, no rating:
    ``Assessment.no_evidence``, the ones to rate first); previous/next move within the
    filtered list.

    ``controls``: ``function`` (Dropdown: "" for all), ``gap_only``, ``unrated_only`` and
    ``no_evidence_only`` (Checkbox), ``subcategory`` (Dropdown), ``previous`` / ``next``
    (Button), ``position`` (HTML), ``outcome`` (HTML), ``why`` (HTML: the explanation in a
    <pre>), ``mapped_controls`` and ``findings`` (HTML tables), ``system`` (Dropdown: "" = the
    organisation, or a system ID for a per-system rating), ``rating`` (Dropdown of scale
    labels, "not rated" first), ``evidence`` (Textarea), ``method`` (Dropdown: "", examine,
    interview, test), ``notes`` (Textarea), ``saved`` (HTML: who rated it, when)."""

    title = "4 Rate"
    key = "rate"

    def __init__(self, session: Session):
        super().__init__(session)
        c = self.controls
        c["function"] = w.Dropdown(description="Function", style=WIDE)
        c["gap_only"] = w.Checkbox(description="has a gap", indent=False)
        c["unrated_only"] = w.Checkbox(description="not yet rated", indent=False)
        c["no_evidence_only"] = w.Checkbox(description="no evidence", indent=False)
        c["subcategory"] = w.Dropdown(
            description="Subcategory", style=WIDE, layout=w.Layout(width="60%")
        )
        c["previous"] = w.Button(description="Previous", icon="arrow-left")
        c["next"] = w.Button(description="Next", icon="arrow-right")
        c["position"] = w.HTML()
        c["outcome"] = w.HTML()
        c["why"] = w.HTML()
        c["mapped_controls"] = w.HTML()
        c["findings"] = w.HTML()
        c["system"] = w.Dropdown(description="Rating for", style=WIDE)
        c["rating"] = w.Dropdown(description="Level", style=WIDE)
        c["method"] = w.Dropdown(
            options=[("—", ""), *((m, m) for m in METHODS)], description="Method", style=WIDE
        )
        c["evidence"] = w.Textarea(
            description="Evidence",
            placeholder="documents seen, people interviewed, tests run",
            continuous_update=False,
            layout=w.Layout(width="80%", height="5em"),
        )
        c["notes"] = w.Textarea(
            description="Notes", continuous_update=False, layout=w.Layout(width="80%")
        )
        c["saved"] = w.HTML()
        for name in ("function", "gap_only", "unrated_only", "no_evidence_only"):
            c[name].observe(self._on_filter, names="value")
        c["subcategory"].observe(self._on_pick, names="value")
        c["system"].observe(self._on_pick, names="value")
        for name in ("rating", "evidence", "method", "notes"):
            c[name].observe(self._on_rating, names="value")
        c["previous"].on_click(lambda _b: self._step(-1))
        c["next"].on_click(lambda _b: self._step(+1))
        self._saving = False
        self.body.children = [
            w.HBox([c["function"], c["gap_only"], c["unrated_only"], c["no_evidence_only"]]),
            w.HBox([c["previous"], c["subcategory"], c["next"], c["position"]]),
            c["outcome"],
            w.HTML("<h4>Assessor's rating</h4>"),
            w.HBox([c["system"], c["rating"], c["method"]]),
            c["evidence"],
            c["notes"],
            c["saved"],
            w.HTML("<h4>Why it scores this</h4>"),
            c["why"],
            w.HTML("<h4>Controls</h4>"),
            c["mapped_controls"],
            w.HTML("<h4>Findings</h4>"),
            c["findings"],
        ]
        self._build()
        self._sync()

    # -- the list --------------------------------------------------------------------------
    def _build(self) -> None:
        if not self.session.ready:
            return
        a = self.session.assessment
        c = self.controls
        self._order = list(a.framework.subcategories["id"])
        self._labels = {
            row.id: f"{row.id} {_short(row.text)}"
            for row in a.framework.subcategories.itertuples(index=False)
        }
        with self.quiet():
            c["function"].options = [("All Functions", ALL_FUNCTIONS)] + [
                (f"{f.id} {f.name}", f.id) for f in a.framework.functions.itertuples(index=False)
            ]
            c["function"].value = ALL_FUNCTIONS
            self._systems_options()
            c["system"].value = ORGANISATION
        self._relist()

    def _systems_options(self) -> None:
        systems = self.session.assessment.inventory.systems
        scoped = systems[systems["in_scope"].fillna(True).astype(bool)]
        self.controls["system"].options = [("the organisation", ORGANISATION)] + [
            (f"{r.system_id} {r.name}", r.system_id) for r in scoped.itertuples(index=False)
        ]

    def filtered(self) -> list[str]:
        """The Subcategory IDs the filters let through, in the framework's order."""
        c = self.controls
        table = self.session.assessment.subcategories
        keep = pd.Series(True, index=table.index)
        if c["function"].value:
            keep &= table["function"] == c["function"].value
        if c["gap_only"].value:
            keep &= table["gap"].fillna(0) > 0
        if c["unrated_only"].value:
            keep &= table["assessor"].isna()
        if c["no_evidence_only"].value:
            keep &= table["in_profile"] & (table["source"] == "no evidence")
        return list(table.loc[keep, "subcategory"])

    def _relist(self, shown: str | None = None) -> None:
        """Refresh the Subcategory list and show ``shown`` (default: the one shown now) when it
        passes the filters, else the next one that does. A Subcategory rated while the "not
        yet rated" filter is on stays shown until the consultant moves on."""
        c = self.controls
        current = shown or c["subcategory"].value
        ids = self.filtered()
        if current in ids:
            target = current
        else:
            target = self._after(current, ids, +1) or (ids[0] if ids else None)
        with self.quiet():
            c["subcategory"].options = [(self._labels[s], s) for s in ids]
            c["subcategory"].value = target
        self._position(ids, target)
        self._show(inputs=True)

    def _after(self, current: str | None, ids: list[str], direction: int) -> str | None:
        if not ids:
            return None
        if current is None:
            return ids[0]
        here = self._order.index(current)
        moves = [s for s in ids if (self._order.index(s) - here) * direction > 0]
        if not moves:
            return None
        return moves[0] if direction > 0 else moves[-1]

    def _step(self, direction: int) -> None:
        if not self.enabled:
            return
        ids = self.filtered()
        target = self._after(self.controls["subcategory"].value, ids, direction)
        if target is not None:
            self._relist(target)

    def _position(self, ids: list[str], shown: str | None) -> None:
        where = f"{ids.index(shown) + 1} of {len(ids)}" if shown in ids else f"{len(ids)} listed"
        self.controls["position"].value = f"<span>&ensp;{where}</span>"

    # -- handlers --------------------------------------------------------------------------
    @handler
    def _on_filter(self, _change: dict[str, Any]) -> None:
        self._relist()

    @handler
    def _on_pick(self, _change: dict[str, Any]) -> None:
        self._position(self.filtered(), self.controls["subcategory"].value)
        self._show(inputs=True)

    @handler
    def _on_rating(self, change: dict[str, Any]) -> None:
        c = self.controls
        sub = c["subcategory"].value
        if sub is None:
            return
        values = {
            "rating": lambda: {"current": level_value(c["rating"].value, NOT_RATED)},
            "evidence": lambda: {"evidence": c["evidence"].value.strip()},
            "method": lambda: {"method": c["method"].value},
            "notes": lambda: {"notes": c["notes"].value.strip()},
        }
        # Only the input that changed is saved, so a field another notebook saved since this
        # one last showed the rating is not written back over (the store's KEEP for the rest).
        changed = [name for name in values if c[name] is change.get("owner")]
        fields = {}
        for name in changed or values:  # no owner (called directly): every input
            fields.update(values[name]())
        self._saving = True
        try:
            self.session.rate(sub, system=c["system"].value or None, **fields)
        finally:
            self._saving = False

    def _update(self, change: Change) -> None:
        if change.kind not in ("rating", "profile", "scope"):
            return
        if change.kind == "scope":
            with self.quiet():
                chosen = self.controls["system"].value
                self._systems_options()
                options = [value for _, value in self.controls["system"].options]
                self.controls["system"].value = chosen if chosen in options else ORGANISATION
        shown = (self.controls["subcategory"].value, self.controls["system"].value)
        # Reload the inputs only when someone else changed this very rating.
        inputs = change.kind == "rating" and not self._saving and change.key == shown
        self._show(inputs=inputs)
        self._position(self.filtered(), shown[0])

    # -- showing ---------------------------------------------------------------------------
    def _show(self, *, inputs: bool) -> None:
        c = self.controls
        sub = c["subcategory"].value
        if sub is None:
            for name in ("outcome", "why", "mapped_controls", "findings", "saved"):
                c[name].value = ""
            c["outcome"].value = "<p><i>No Subcategory passes the filters.</i></p>"
            return
        a = self.session.assessment
        scale = a.scale
        explanation = a.explain(sub)  # only the one shown: explaining all would be slow
        element = a.framework.get(sub)
        names = dict(zip(a.framework.categories["id"], a.framework.categories["name"], strict=True))
        if explanation.in_profile:
            status = (
                f"derived {fixed(explanation.derived)} ({esc(scale.label(explanation.derived))}) · "
                f"current {fixed(explanation.current)} ({esc(explanation.source)}) · target "
                f"{explanation.target:g} ({esc(explanation.priority)} priority) · gap "
                f"{fixed(explanation.gap)} · coverage {percent(explanation.coverage)}"
            )
        else:
            status = f"not in the Target Profile · derived {fixed(explanation.derived)}"
        c["outcome"].value = (
            f"<h3 style='margin-bottom:0'>{esc(sub)}</h3>"
            f"<p style='font-size:110%'>{esc(element.text)}</p>"
            f"<p style='color:#555'>{esc(element.category)} {esc(names.get(element.category))}"
            f" · {status}</p>"
        )
        c["why"].value = f"<pre style='white-space:pre-wrap'>{esc(str(explanation))}</pre>"
        c["mapped_controls"].value = html_table(
            explanation.controls.reindex(columns=CONTROL_COLUMNS),
            empty="no control is mapped to it",
        )
        c["findings"].value = html_table(
            explanation.findings.reindex(columns=FINDING_COLUMNS), empty="no finding"
        )
        rating = self.session.rating(sub, c["system"].value or None)
        if inputs:
            level = rating["current"]
            shown = NOT_RATED if level is None else level_label(scale, level)
            with self.quiet():
                c["rating"].options = with_option(level_options(scale, NOT_RATED), shown)
                c["rating"].value = shown
                c["evidence"].value = rating["evidence"]
                c["method"].value = rating["method"] if rating["method"] in METHODS else ""
                c["notes"].value = rating["notes"]
        if rating["current"] is None:
            c["saved"].value = "<p style='color:#555'><i>not rated yet</i></p>"
        else:
            who = f" by {esc(rating['assessor'])}" if rating["assessor"] else ""
            when = f" on {esc(rating['date'])}" if rating["date"] else ""
            c["saved"].value = f"<p style='color:#1b5e20'>rated{who}{when}; saved</p>"


def _short(text: Any, limit: int = 80) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
