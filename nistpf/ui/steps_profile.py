"""Steps 3 and 5: the Target Profile (target and priority per Function, Category and
Subcategory) and the organisation's Implementation Tiers."""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import pandas as pd

from nistpf.inventory.schema import PRIORITIES, TIER_ATTRIBUTES
from nistpf.numbers import fixed
from nistpf.ui._widgets import (
    INHERIT,
    NOT_RATED,
    Step,
    esc,
    handler,
    level_label,
    level_options,
    level_value,
    with_option,
)
from nistpf.ui.session import Change, Session

IN_PROFILE = {INHERIT: None, "yes": True, "no": False}
# The widths of the profile's columns, shared by the headings, the Function and Category rows
# and the Subcategory override (the rationale takes the rest of the row).
COLUMNS = {"name": "26em", "target": "13em", "priority": "9em", "in_profile": "7em"}
OVERRIDE = ("subcategory", "sub_target", "sub_priority", "sub_in_profile", "sub_rationale")


def headings(*columns: str | tuple[str, str]) -> w.HBox:
    """A row of column headings over the profile's inputs: each column a name of
    :data:`COLUMNS` (or ``"rationale"``, the rest of the row) headed by the Profile sheet's
    header for it (``in_profile`` → "in profile"), or a ``(column, heading)`` pair."""
    cells = []
    for column in columns:
        name, text = column if isinstance(column, tuple) else (column, column.replace("_", " "))
        width = COLUMNS.get(name)
        layout = w.Layout(width=width) if width else w.Layout(flex="1")
        cells.append(w.HTML(f"<b>{esc(text)}</b>", layout=layout))
    return w.HBox(cells, layout=w.Layout(width="100%"))


class ProfileStep(Step):
    """The Target Profile: target level and priority per Function and Category (a Category's
    row overrides its Function's, "inherit" takes the wider row's), and overrides for single
    Subcategories, in columns headed as the Profile sheet's (target, priority, in profile,
    rationale). Saved on change (``store.set_profile``).

    ``controls``: ``target`` and ``priority`` (dicts Function/Category ID → Dropdown; target
    options are scale labels like "3 Repeatable"), ``rollup`` (dict ID → HTML: current,
    target, gap), ``subcategory`` (Dropdown: the Subcategory to override), ``sub_target``,
    ``sub_priority``, ``sub_in_profile`` (Dropdowns), ``sub_rationale`` (Text),
    ``sub_effective`` (HTML: what applies to it after inheritance)."""

    title = "3 Target Profile"
    key = "profile"

    def __init__(self, session: Session):
        super().__init__(session)
        c = self.controls
        c["target"], c["priority"], c["rollup"] = {}, {}, {}
        # The override's inputs sit in the grid's columns, under the same headings.
        c["subcategory"] = w.Dropdown(layout=w.Layout(width=COLUMNS["name"]))
        c["sub_target"] = w.Dropdown(layout=w.Layout(width=COLUMNS["target"]))
        c["sub_priority"] = w.Dropdown(
            options=[INHERIT, *PRIORITIES], layout=w.Layout(width=COLUMNS["priority"])
        )
        c["sub_in_profile"] = w.Dropdown(
            options=list(IN_PROFILE), layout=w.Layout(width=COLUMNS["in_profile"])
        )
        c["sub_rationale"] = w.Text(
            placeholder="why this target", continuous_update=False, layout=w.Layout(flex="1")
        )
        c["sub_effective"] = w.HTML()
        c["subcategory"].observe(self._on_pick, names="value")
        for name in ("sub_target", "sub_priority", "sub_in_profile", "sub_rationale"):
            c[name].observe(self._on_override, names="value")
        self._build()
        self._sync()

    def _build(self) -> None:
        c = self.controls
        for name in ("target", "priority", "rollup"):
            c[name].clear()
        if not self.session.ready:
            self.body.children = []
            return
        a = self.session.assessment
        fw = a.framework
        targets = level_options(a.scale, INHERIT)
        rows = []
        categories = fw.categories
        for function in fw.functions.itertuples(index=False):
            rows.append(self._row(function.id, function.name, targets, bold=True))
            for category in categories[categories["function"] == function.id].itertuples():
                rows.append(self._row(category.id, category.name, targets, bold=False))
        subs = fw.subcategories
        with self.quiet():
            c["sub_target"].options = targets
            c["subcategory"].options = [
                (f"{s.id} {_short(s.text)}", s.id) for s in subs.itertuples(index=False)
            ]
            if c["subcategory"].value is None and len(subs):  # a row of inputs, never blanks
                c["subcategory"].value = subs["id"].iloc[0]
        self.body.children = [
            w.HTML(
                "<p>Set the level the client aims for and how much it matters. A Category's "
                "row overrides its Function's; <i>inherit</i> takes the wider row's (by "
                "default target 3, Moderate priority, in the profile).</p>"
            ),
            headings(("name", "function or category"), "target", "priority", ("rollup", "roll-up")),
            *rows,
            w.HTML("<h4>Override one Subcategory</h4>"),
            headings(("name", "subcategory"), "target", "priority", "in_profile", "rationale"),
            w.HBox(
                [c[name] for name in OVERRIDE],
                layout=w.Layout(width="100%"),
            ),
            c["sub_effective"],
        ]
        self._show_values()
        self._show_override()

    def _row(self, pf_id: str, name: str, targets: list[str], *, bold: bool) -> w.HBox:
        c = self.controls
        c["target"][pf_id] = w.Dropdown(options=targets, layout=w.Layout(width=COLUMNS["target"]))
        c["priority"][pf_id] = w.Dropdown(
            options=[INHERIT, *PRIORITIES], layout=w.Layout(width=COLUMNS["priority"])
        )
        c["rollup"][pf_id] = w.HTML()
        c["target"][pf_id].observe(self._on_target(pf_id, "target"), names="value")
        c["priority"][pf_id].observe(self._on_target(pf_id, "priority"), names="value")
        text = f"<b>{esc(pf_id)} {esc(name)}</b>" if bold else f"&emsp;{esc(pf_id)} {esc(name)}"
        label = w.HTML(text, layout=w.Layout(width=COLUMNS["name"]))
        return w.HBox([label, c["target"][pf_id], c["priority"][pf_id], c["rollup"][pf_id]])

    def _on_target(self, pf_id: str, attribute: str):
        @handler
        def changed(step: ProfileStep, change: dict[str, Any]) -> None:
            if attribute == "target":
                step.session.set_target(pf_id, level_value(change["new"], INHERIT))
            else:
                step.session.set_target(pf_id, priority=_priority(change["new"]))

        return lambda change: changed(self, change)

    @handler
    def _on_pick(self, _change: dict[str, Any]) -> None:
        self._show_override()

    @handler
    def _on_override(self, change: dict[str, Any]) -> None:
        c = self.controls
        values = {
            "sub_target": lambda: {"target": level_value(c["sub_target"].value, INHERIT)},
            "sub_priority": lambda: {"priority": _priority(c["sub_priority"].value)},
            "sub_in_profile": lambda: {"in_profile": IN_PROFILE[c["sub_in_profile"].value]},
            "sub_rationale": lambda: {"rationale": c["sub_rationale"].value.strip()},
        }
        # Only the input that changed is saved, so an attribute another notebook saved since
        # this one last showed the row is not written back over.
        changed = [name for name in values if c[name] is change.get("owner")]
        fields: dict[str, Any] = {}
        for name in changed or values:  # no owner (called directly): every input
            fields.update(values[name]())
        self.session.set_target(c["subcategory"].value, **fields)

    def _update(self, change: Change) -> None:
        if change.kind not in ("rating", "profile", "scope"):
            return
        if change.kind == "profile":
            self._show_values()
        self._show_rollups()
        self._show_override(inputs=change.kind == "profile")

    def _show_values(self) -> None:
        scale = self.session.scale
        with self.quiet():
            for pf_id, dropdown in self.controls["target"].items():
                row = self.session.profile_row(pf_id)
                shown = INHERIT if row["target"] is None else level_label(scale, row["target"])
                dropdown.options = with_option(level_options(scale, INHERIT), shown)
                dropdown.value = shown
                self.controls["priority"][pf_id].value = row["priority"] or INHERIT
        self._show_rollups()

    def _show_rollups(self) -> None:
        a = self.session.assessment
        tables = [a.functions.set_index("function"), a.categories.set_index("category")]
        for pf_id, html in self.controls["rollup"].items():
            table = next((t for t in tables if pf_id in t.index), None)
            if table is None:
                html.value = "<i>no Subcategory in the profile</i>"
                continue
            r = table.loc[pf_id]
            html.value = (
                f"current {fixed(r['current'])} · target {fixed(r['target'])} · "
                f"gap {fixed(r['gap'])}"
            )

    def _show_override(self, *, inputs: bool = True) -> None:
        c = self.controls
        sub = c["subcategory"].value
        if sub is None:
            return
        if inputs:
            row = self.session.profile_row(sub)
            scale = self.session.scale
            shown = INHERIT if row["target"] is None else level_label(scale, row["target"])
            with self.quiet():
                c["sub_target"].options = with_option(level_options(scale, INHERIT), shown)
                c["sub_target"].value = shown
                c["sub_priority"].value = row["priority"] or INHERIT
                c["sub_in_profile"].value = {None: INHERIT, True: "yes", False: "no"}[
                    row["in_profile"]
                ]
                c["sub_rationale"].value = row["rationale"]
        effective = self.session.assessment.subcategories.set_index("subcategory").loc[sub]
        if bool(effective["in_profile"]):
            c["sub_effective"].value = (
                f"<p>Applies: target {effective['target']:g}, {esc(effective['priority'])} "
                f"priority; current {fixed(effective['current'])}, "
                f"gap {fixed(effective['gap'])}</p>"
            )
        else:
            c["sub_effective"].value = "<p>Applies: not in the Target Profile</p>"


class TiersStep(Step):
    """The organisation's Implementation Tier for each of the four attributes, chosen among
    NIST's definitions (each option's tooltip is the definition; the chosen one is shown in
    full), with the evidence. Saved on change (``store.set_tier``).

    ``controls``: ``tier`` (dict attribute → ToggleButtons: "not rated", "1 Partial", "2 Risk
    Informed", "3 Repeatable", "4 Adaptive"), ``evidence`` (dict attribute → Textarea),
    ``definition`` (dict attribute → HTML)."""

    title = "5 Tiers"
    key = "tiers"

    def __init__(self, session: Session):
        super().__init__(session)
        c = self.controls
        c["tier"], c["evidence"], c["definition"] = {}, {}, {}
        self._definitions: dict[str, dict[str, str]] = {}
        self._build()
        self._sync()

    def _build(self) -> None:
        c = self.controls
        for name in ("tier", "evidence", "definition"):
            c[name].clear()
        if not self.session.ready:
            self.body.children = []
            return
        tiers = self.session.assessment.framework.tiers
        parts = [
            w.HTML(
                "<p>Choose the Tier that best describes the organisation for each attribute "
                "(hover an option for NIST's definition) and note the evidence. Tiers are "
                "judged for the organisation, apart from the Subcategory scores.</p>"
            )
        ]
        for attribute in TIER_ATTRIBUTES:
            rows = tiers[tiers["attribute"] == attribute].sort_values("tier")
            labels = {f"{r.tier} {r.tier_name}": r.text for r in rows.itertuples(index=False)}
            self._definitions[attribute] = labels
            c["tier"][attribute] = w.ToggleButtons(
                options=[NOT_RATED, *labels],
                tooltips=["no Tier chosen yet", *labels.values()],
                style={"button_width": "9em"},
            )
            c["evidence"][attribute] = w.Textarea(
                description="evidence",
                placeholder="what shows it (documents, interviews)",
                continuous_update=False,
                layout=w.Layout(width="70%", height="4em"),
            )
            c["definition"][attribute] = w.HTML()
            for name in ("tier", "evidence"):
                c[name][attribute].observe(self._on_change(attribute), names="value")
            parts += [
                w.HTML(f"<h4>{esc(attribute)}</h4>"),
                c["tier"][attribute],
                c["definition"][attribute],
                c["evidence"][attribute],
            ]
        self.body.children = parts
        self._show()

    def _on_change(self, attribute: str):
        @handler
        def changed(step: TiersStep, change: dict[str, Any]) -> None:
            # Only the input that changed is saved: the other stays as the store has it, so
            # evidence saved in another notebook is not written back over with this one's.
            tier_input = step.controls["tier"][attribute]
            evidence_input = step.controls["evidence"][attribute]
            fields: dict[str, Any] = {}
            if change.get("owner") is not evidence_input:
                chosen = tier_input.value
                fields["tier"] = None if chosen == NOT_RATED else int(chosen.split(" ", 1)[0])
            if change.get("owner") is not tier_input:
                fields["evidence"] = evidence_input.value.strip()
            step.session.set_tier(attribute, **fields)

        return lambda change: changed(self, change)

    def _update(self, change: Change) -> None:
        if change.kind == "tier":
            self._show()

    def _show(self) -> None:
        c = self.controls
        with self.quiet():
            for attribute, buttons in c["tier"].items():
                saved = self.session.tier(attribute)
                labels = self._definitions[attribute]
                chosen = next(
                    (label for label in labels if label.startswith(f"{saved['tier']} ")),
                    NOT_RATED,
                )
                buttons.value = chosen
                c["evidence"][attribute].value = saved["evidence"]
                text = labels.get(chosen, "")
                c["definition"][attribute].value = (
                    f"<p style='max-width:60em'><i>{esc(chosen)}:</i> {esc(text)}</p>"
                    if text
                    else "<p><i>not rated yet</i></p>"
                )


def _priority(value: str) -> str:
    return "" if value == INHERIT else value


def _short(text: Any, limit: int = 70) -> str:
    text = "" if text is None or (not isinstance(text, str) and pd.isna(text)) else str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
