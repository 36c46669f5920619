"""The gap register's sheets as data: every cell's value, built from an Assessment with no file
I/O and no score computed (:mod:`nistpf.export.excel` renders them with openpyxl).

A sheet is a tuple of :class:`Block` s. Table sheets (Gap Register, Profile, Systems, Data Flows,
Data journeys, Privacy risk (PRAM), Validation) hold a block whose header is row 1 (Data journeys
and Privacy risk, built in :mod:`nistpf.export.flows_sheets`, have titled blocks below it);
block sheets (Summary, Method) stack titled
blocks under a sheet title (:func:`layout` says where each row goes; the Method sheet is built
in :mod:`nistpf.export.excel_method`). Values are final cell
values — text, numbers, dates or None — so the renderer only styles and writes them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nistpf.assessment import Assessment
from nistpf.errors import shown
from nistpf.inventory.model import FLOW_COLUMNS
from nistpf.io.register_columns import (  # noqa: F401 - the register modules import them here
    DEFAULT_STATUS,
    EDIT_COLUMNS,
    EDIT_HEADERS,
    STATUSES,
)
from nistpf.io.xlsx import cell_value, storable_text

SUMMARY, GAP_REGISTER, PROFILE, SYSTEMS, DATA_FLOWS, VALIDATION, METHOD = (
    "Summary",
    "Gap Register",
    "Profile",
    "Systems",
    "Data Flows",
    "Validation",
    "Method",
)
DATA_JOURNEYS, PRIVACY_RISK = "Data journeys", "Privacy risk (PRAM)"  # flows_sheets.py builds them
# fmt: off
SHEET_NAMES = (SUMMARY, GAP_REGISTER, PROFILE, SYSTEMS, DATA_FLOWS, DATA_JOURNEYS, PRIVACY_RISK,
               VALIDATION, METHOD)
# fmt: on
SUGGESTION_HEADER = "nistpf's suggestion"
CLOSED_REASON = "Now"  # the Summary's closed block: why an outcome left the register
# crosswalk name -> (column of the gap_register table, header)
CROSSWALKS = {"sp800-53r5": ("sp800_53r5", "SP 800-53 Rev. 5"), "gdpr": ("gdpr", "GDPR")}
# A cell lists up to LISTED_IN_FULL affected systems, data categories, controls or crosswalk
# references; beyond, it counts them and names the first NAMED_IN_SUMMARY ("23 data categories:
# email, name, phone (+20 more)"), and the register's "All …" columns hold every one.
LISTED_IN_FULL = 6
NAMED_IN_SUMMARY = 3
IDS_LISTED = 50  # findings named in one cell; the rest are counted
NO_PROBLEMS = "No problems found"
SEVERITY_RANK = {"High": 3, "Medium": 2, "Low": 1}

LEVEL = "0.00"
PERCENT = "0%"
WHOLE = "0"
DATE = "yyyy-mm-dd"
LEFT = "left"
CENTRE = "center"


@dataclass(frozen=True)
class Column:
    """A column of a block: its header, width (characters), number format, whether text wraps,
    whether the client edits it, and a horizontal alignment ("left" for numbers in text
    columns)."""

    header: str
    width: float = 12
    format: str | None = None
    wrap: bool = False
    editable: bool = False
    align: str | None = None
    max_lines: int | None = None  # the most lines of this column a row grows to show


@dataclass(frozen=True)
class Block:
    """A table: ``key`` names it for the renderer (charts, formats), ``title`` is a row above
    it on block sheets, ``header`` says whether the column headers are written."""

    key: str
    columns: tuple[Column, ...]
    rows: Sequence[Sequence[object]]
    title: str = ""
    header: bool = True


@dataclass(frozen=True)
class Sheet:
    name: str
    blocks: tuple[Block, ...]
    title: str = ""  # block sheets only
    widths: tuple[float, ...] = ()  # block sheets only; table sheets use their columns'
    printed: int | None = None  # table sheets: the leading columns that print (None: all)

    @property
    def is_table(self) -> bool:
        return not self.title

    @property
    def table(self) -> Block:
        return self.blocks[0]


def layout(sheet: Sheet) -> Iterator[tuple[str, Block | None, Sequence[object]]]:
    """Every row of ``sheet`` in order, as ``(kind, block, values)``; ``kind`` is ``title``,
    ``block-title``, ``header``, ``row`` or ``blank``. A table sheet's blocks after its table
    follow it, each after a blank row."""
    if sheet.is_table:
        block = sheet.table
        yield "header", block, [c.header for c in block.columns]
        for row in block.rows:
            yield "row", block, row
    else:
        yield "title", None, [sheet.title]
    for block in sheet.blocks[1:] if sheet.is_table else sheet.blocks:
        yield "blank", None, []
        if block.title:
            yield "block-title", block, [block.title]
        if block.header:
            yield "header", block, [c.header for c in block.columns]
        for row in block.rows:
            yield "row", block, row


# -- the Gap Register ---------------------------------------------------------------------------


def listed_subcategories(a: Assessment) -> pd.DataFrame:
    """The Subcategories the Gap Register lists, in the one ranking every output uses
    (:meth:`nistpf.Assessment.ranked_gaps`): in the Target Profile with a gap above 0 or a
    data-flow finding, by gap points, then gap, then the framework's order."""
    return a.ranked_gaps(findings=True).drop(columns="rank")


def gap_register(a: Assessment) -> pd.DataFrame:
    """One row per listed Subcategory: the Assessment's figures, the affected systems and their
    data categories, crosswalk references, and nistpf's default for the client's columns."""
    table = listed_subcategories(a)
    fw = a.framework
    names = dict(zip(fw.core["id"], fw.core["name"], strict=True))
    below, uncapped = _systems_below_target(a, table)
    categories_of = dict(
        zip(a.inventory.systems["system_id"], a.inventory.systems["data_categories"], strict=True)
    )
    table["function_label"] = [f"{f} {names.get(f, '')}".strip() for f in table["function"]]
    table["category_label"] = [f"{c} {names.get(c, '')}".strip() for c in table["category"]]
    table["affected"] = [below.get(s, ()) for s in table["subcategory"]]
    table["data_categories"] = [
        tuple(sorted(set(itertools.chain.from_iterable(categories_of.get(y, ()) for y in ys))))
        for ys in table["affected"]
    ]
    for name, (column, _) in CROSSWALKS.items():
        table[column] = _crosswalk_ids(a, name, table["subcategory"])
    table["recommended_action"] = _default_actions(a, table, uncapped)
    table["owner"] = None
    table["due_date"] = None
    table["status"] = DEFAULT_STATUS
    table["comments"] = None
    table["suggested_action"] = table["recommended_action"]
    return table


def _systems_below_target(a: Assessment, table: pd.DataFrame) -> tuple[dict, dict]:
    """Per listed Subcategory, the in-scope systems whose level is below its target (in the
    systems' order), and those of them no finding capped."""
    levels = a.levels
    levels = levels[levels["subcategory"].isin(table["subcategory"])]
    target = levels["subcategory"].map(table.set_index("subcategory")["target"])
    below = levels[levels["level"].to_numpy() < target.to_numpy()]
    by_sub = below.groupby("subcategory", sort=False)["system"].agg(tuple).to_dict()
    uncapped = below[below["capped_by"] == ""]
    return by_sub, uncapped.groupby("subcategory", sort=False)["system"].agg(tuple).to_dict()


def _crosswalk_ids(a: Assessment, name: str, subcategories: pd.Series) -> list[tuple[str, ...]]:
    fw = a.framework
    if name not in fw.crosswalks():
        return [()] * len(subcategories)
    walk = fw.crosswalk(name)
    ids = walk.groupby("pf_id", sort=False)["target_id"].agg(lambda v: tuple(dict.fromkeys(v)))
    return [ids.get(s, ()) for s in subcategories]


def _default_actions(a: Assessment, table: pd.DataFrame, uncapped: dict) -> list[str]:
    """nistpf's suggested action per row, from the data (see the Method sheet)."""
    controls = a.inventory.controls.set_index("control_id")
    coverage = a.defaults["coverage"]
    status_of = controls["status"].to_dict()
    working = {c for c, s in status_of.items() if coverage.get(s, 0) > 0}
    partial = {c for c, s in status_of.items() if 0 < coverage.get(s, 0) < 1}
    findings = a.findings
    flows_of = findings.groupby("subcategory", sort=False)["flow_id"].agg(
        lambda v: tuple(dict.fromkeys(v))
    )
    need_cover = [
        row.subcategory
        for row in table.itertuples(index=False)
        if row.gap > 0 and row.coverage < 1 and working.intersection(row.controls)
    ]
    uncovered = _uncovered_systems(a, need_cover, working)
    label = a.scale.label
    actions = []
    for row in table.itertuples(index=False):
        parts = []
        mapped = list(row.controls)
        active = [c for c in mapped if c in working]
        if row.gap > 0:
            if not mapped:
                parts.append(f"Define and implement a control for: {row.text}")
            elif not active:
                planned = [f"{c} ({status_of.get(c, '')})" for c in mapped]
                parts.append(f"Implement {_names(planned, 5, 'controls')}.")
            elif uncovered.get(row.subcategory):
                systems = uncovered[row.subcategory]
                parts.append(f"Extend {_names(active, 5)} to {_names(systems, 10, 'systems')}.")
            elif any(c in partial for c in active) and row.coverage < 1:
                done = [c for c in active if c in partial]
                parts.append(f"Complete the implementation of {_names(done, 5)}.")
            elif uncapped.get(row.subcategory) or not row.findings:
                parts.append(
                    f"Raise the maturity of {_names(active, 5)} to "
                    f"{row.target:g} {label(row.target)}."
                )
        if row.findings:
            flows = flows_of.get(row.subcategory, ())
            parts.append(f"Fix the data flows: {_names(flows, 20, 'flows')}.")
        actions.append(" ".join(parts))
    return actions


def _uncovered_systems(a: Assessment, subcategories: list[str], working: set) -> dict:
    """In-scope systems that no Implemented or Partially implemented control of each
    Subcategory applies to (the systems its coverage misses)."""
    if not subcategories:
        return {}
    inv = a.inventory
    links = inv.control_subcategories
    links = links[links["subcategory"].isin(subcategories) & links["control_id"].isin(working)]
    everywhere = set(inv.controls.loc[inv.controls["applies_to_all"].astype(bool), "control_id"])
    whole = set(links.loc[links["control_id"].isin(everywhere), "subcategory"])
    named = links.merge(inv.control_systems[["control_id", "system_id"]], on="control_id")
    covered = named.groupby("subcategory")["system_id"].agg(set).to_dict()
    levels = a.levels
    in_scope = list(dict.fromkeys(levels["system"]))
    return {
        s: [y for y in in_scope if y not in covered.get(s, set())]
        for s in subcategories
        if s not in whole
    }


def _names(items: Sequence[str], shown: int, noun: str = "") -> str:
    """``A, B and C``; beyond ``shown`` items, ``A, B, … and 12 more <noun>``."""
    items = list(items)
    if len(items) <= shown:
        if len(items) <= 2:
            return " and ".join(items)
        return f"{', '.join(items[:-1])} and {items[-1]}"
    rest = len(items) - shown
    return f"{', '.join(items[:shown])} and {rest} more {noun}".rstrip()


SCREEN_LINES = 3  # the most lines a row grows to for a column that does not print

# The printed register: what the reader of a paper copy needs — which outcome, where it falls
# short, by how much, how urgent, and what is to be done by whom and when — is the first
# PRINTED columns, the sheet's print area, one landscape page wide on A4 or Letter with text at
# 8 pt or more. The columns after it are for the screen (filter, sort, look up): the client's
# comments, Function and Category (the ID names both), the current level's source, coverage, the
# data categories, controls, findings, crosswalk references, and the full lists that the cells
# of the printed columns summarise. (Clearing the print area prints every column, too small
# to read.)
GAP_COLUMNS = (
    Column("Subcategory", 12),
    Column("Outcome", 33, wrap=True),
    Column("Affected systems", 19, wrap=True, max_lines=6),
    Column("Current", 8, LEVEL),
    Column("Target", 7, LEVEL),
    Column("Gap", 6, LEVEL),
    Column("Priority", 9, align=CENTRE),
    Column("Gap points", 7, LEVEL),
    Column(EDIT_HEADERS["recommended_action"], 32, wrap=True, editable=True),
    Column(EDIT_HEADERS["owner"], 12, wrap=True, editable=True),
    Column(EDIT_HEADERS["due_date"], 11, DATE, editable=True),
    Column(EDIT_HEADERS["status"], 12, wrap=True, editable=True),
    # For the screen: a row is as tall as its printed columns need, and these show at most
    # SCREEN_LINES lines of it (the cell holds everything).
    Column(EDIT_HEADERS["comments"], 36, wrap=True, editable=True, max_lines=SCREEN_LINES),
    Column("Function", 14, wrap=True, max_lines=SCREEN_LINES),
    Column("Category", 20, wrap=True, max_lines=SCREEN_LINES),
    Column("Source", 11, align=CENTRE),
    Column("Coverage", 10, PERCENT),
    Column("Data categories", 28, wrap=True, max_lines=SCREEN_LINES),
    Column("Controls", 30, wrap=True, max_lines=SCREEN_LINES),
    Column("Findings", 14, wrap=True, max_lines=SCREEN_LINES),
    *(Column(header, 18, wrap=True, max_lines=SCREEN_LINES) for _, header in CROSSWALKS.values()),
    # The full lists: one line each (the cell holds them all; the row does not grow).
    Column("All affected systems", 24),
    Column("All data categories", 24),
    Column("All controls", 24),
    *(Column(f"All {header}", 24) for _, header in CROSSWALKS.values()),
    # What nistpf suggested as the action when it wrote this register: read back, an action
    # equal to it is nistpf's own (replaced by the next suggestion), anything else the client's.
    Column(SUGGESTION_HEADER, 24),
)
PRINTED = 12  # Subcategory to Status


def gap_register_sheet(a: Assessment, table: pd.DataFrame) -> Sheet:
    controls = a.inventory.controls.drop_duplicates("control_id")
    names = dict(zip(controls["control_id"], controls["name"], strict=True))
    rows = [
        (
            r.subcategory,
            r.text,
            summarised(r.affected, "systems", in_scope=int(r.systems_in_scope)),
            float(r.current),
            float(r.target),
            float(r.gap),
            r.priority,
            float(r.gap_points),
            r.recommended_action or None,
            r.owner,
            r.due_date,
            r.status,
            r.comments,
            r.function_label,
            r.category_label,
            r.source,
            float(r.coverage),
            summarised(r.data_categories, "data categories"),
            _controls(r.controls, names),
            _listing(r.findings, IDS_LISTED),
            summarised(r.sp800_53r5, "references"),
            summarised(r.gdpr, "references"),
            _joined(r.affected),
            _joined(r.data_categories),
            _joined(r.controls),
            _joined(r.sp800_53r5),
            _joined(r.gdpr),
            r.suggested_action or None,
        )
        for r in table.itertuples(index=False)
    ]
    return Sheet(GAP_REGISTER, (Block("gaps", GAP_COLUMNS, rows),), printed=PRINTED)


def summarised(items: Sequence[object], noun: str, *, in_scope: int | None = None) -> str | None:
    """``items`` "; "-joined when there are at most LISTED_IN_FULL; beyond, their number and
    the first NAMED_IN_SUMMARY: ``23 data categories: email, name, phone (+20 more)``. With
    ``in_scope`` (the in-scope systems), ``9 of 15 in-scope systems: CRM-01, … (+6 more)``, or
    ``all 15 in-scope systems`` when every one is listed.

    >>> summarised(["CRM", "CDP"], "systems", in_scope=2)
    'CRM; CDP'
    >>> summarised(["a", "b", "c", "d", "e", "f", "g"], "data categories")
    '7 data categories: a, b, c (+4 more)'
    """
    items = [str(i) for i in items]
    if len(items) <= LISTED_IN_FULL:
        return "; ".join(items) or None
    if in_scope is not None and len(items) == in_scope:
        return f"all {in_scope} in-scope {noun}"
    counted = f"{len(items)} of {in_scope} in-scope {noun}" if in_scope else f"{len(items)} {noun}"
    named = ", ".join(items[:NAMED_IN_SUMMARY])
    return f"{counted}: {named} (+{len(items) - NAMED_IN_SUMMARY} more)"


def _controls(ids: Sequence[str], names: dict) -> str | None:
    """One line per control, its ID and name; beyond LISTED_IN_FULL, :func:`summarised`."""
    if len(ids) > LISTED_IN_FULL:
        return summarised(ids, "controls")
    return "\n".join(f"{c} {names.get(c) or ''}".rstrip() for c in ids) or None


def _joined(items: Iterable[object]) -> str | None:
    return "; ".join(str(i) for i in items) or None


def _listing(items: Iterable[object], shown: int) -> str | None:
    """``items`` "; "-joined; beyond ``shown`` the rest are counted (``… and 12 more``)."""
    items = [str(i) for i in items]
    if not items:
        return None
    if len(items) <= shown:
        return "; ".join(items)
    return "; ".join(items[:shown]) + f"; … and {len(items) - shown} more"


# -- Profile, Systems, Data Flows, Validation ---------------------------------------------------

# Widths that print one landscape page across with text at 8 pt or more (xlsx.pages_across).
PROFILE_COLUMNS = (
    Column("Subcategory", 12),
    Column("Function", 8),
    Column("Category", 10),
    Column("Outcome", 28, wrap=True),
    Column("In profile", 8, align=CENTRE),
    Column("Priority", 9, align=CENTRE),
    Column("Target", 7, LEVEL),
    Column("Current", 8, LEVEL),
    Column("Source", 11, align=CENTRE),
    Column("Derived", 8, LEVEL),
    Column("Assessor", 8, LEVEL),
    Column("Disagreement", 12),
    Column("Gap", 6, LEVEL),
    Column("Gap points", 7, LEVEL),
    Column("Coverage", 9, PERCENT),
    Column("Systems covered", 8, WHOLE),
    Column("Systems in scope", 8, WHOLE),
)


def profile_sheet(a: Assessment) -> Sheet:
    """Every Subcategory of the framework, in its order, in the Target Profile or not."""
    rows = [
        (
            r.subcategory,
            r.function,
            r.category,
            r.text,
            cell_value(bool(r.in_profile)),
            r.priority or None,
            _number(r.target),
            _number(r.current),
            r.source,
            _number(r.derived),
            _number(r.assessor),
            "yes" if r.disagreement else None,
            _number(r.gap),
            _number(r.gap_points),
            _number(r.coverage),
            int(r.systems_covered),
            int(r.systems_in_scope),
        )
        for r in a.subcategories.itertuples(index=False)
    ]
    return Sheet(PROFILE, (Block("profile", PROFILE_COLUMNS, rows),))


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def systems_sheet(a: Assessment) -> Sheet:
    """In-scope systems × Functions: the mean level per system and Function."""
    fw = a.framework
    functions = list(fw.functions["id"])
    names = dict(zip(fw.functions["id"], fw.functions["name"], strict=True))
    view = a.systems
    order = list(dict.fromkeys(view["system"]))
    wide = view.pivot(index="system", columns="function", values="level")
    wide = wide.reindex(index=order, columns=functions)
    first = view.drop_duplicates("system").set_index("system")
    inv = a.inventory.systems.drop_duplicates("system_id").set_index("system_id")
    columns = (
        Column("System", 12),
        Column("Name", 30, wrap=True),
        Column("Type", 12),
        Column("Owner", 24, wrap=True),
        Column("Criticality", 11),
        *(Column(f"{f} {names[f]}", 16, LEVEL) for f in functions),
    )
    levels = wide.to_numpy()
    rows = []
    for i, system in enumerate(order):
        rows.append(
            (
                cell_value(system),
                cell_value(first.at[system, "name"]),
                cell_value(first.at[system, "type"]),
                cell_value(inv.at[system, "owner"]) if system in inv.index else None,
                cell_value(inv.at[system, "criticality"]) if system in inv.index else None,
                *(None if np.isnan(v) else float(v) for v in levels[i]),
            )
        )
    return Sheet(SYSTEMS, (Block("systems", columns, rows),))


FLOW_WIDTHS = {
    "flow_id": 10,
    "source": 18,
    "destination": 18,
    "data_categories": 30,
    "purpose": 30,
    "stage": 11,
    "encrypted_in_transit": 11,
    "minimization": 13,
    "consent_basis": 24,
    "third_party": 10,
    "retention_days": 10,
    "owner": 20,
}
# Short values (IDs, choices, yes/no, numbers) never need wrapping.
FLOW_UNWRAPPED = frozenset(
    {"flow_id", "stage", "encrypted_in_transit", "minimization", "third_party", "retention_days"}
)
FLOW_FINDING_HEADERS = ("Findings", "Severity", "Finding messages")
# The Data Flows sheet's headers: in the register's words, as every sheet of it is headed (the
# inventory's own column names are snake_case; the register reads as a document).
FLOW_HEADERS = {
    "flow_id": "Flow ID",
    "source": "Source",
    "destination": "Destination",
    "data_categories": "Data categories",
    "purpose": "Purpose",
    "stage": "Stage",
    "encrypted_in_transit": "Encrypted in transit",
    "minimization": "Minimization",
    "consent_basis": "Consent basis",
    "third_party": "Third party",
    "retention_days": "Retention (days)",
    "owner": "Owner",
}
INVENTORY_ROW = "Inventory row"  # where a flow, or a problem, is in the inventory
_NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


def header_text(name: str) -> str:
    """A column's header on the register: nistpf's own in sentence case (:data:`FLOW_HEADERS`),
    a client's column named like the inventory's (``notes``, ``legal_review``) likewise
    (``Notes``, ``Legal review``), any other as the client wrote it."""
    if name in FLOW_HEADERS:
        return FLOW_HEADERS[name]
    if _NAME.fullmatch(name):
        return name.replace("_", " ").capitalize()
    return name


def data_flows_sheet(a: Assessment) -> Sheet:
    """Every data flow of the inventory with its columns (the client's own ones too), its
    findings, their highest severity and messages, and its row in the inventory."""
    flows = a.inventory.flows
    own = [c for c in FLOW_COLUMNS if c != "excel_row"]
    extra = [c for c in flows.columns if c not in FLOW_COLUMNS]
    findings = a.findings
    ids: dict[str, list[str]] = {}
    messages: dict[str, list[str]] = {}
    severity: dict[str, str] = {}
    for flow, finding, level, message in zip(
        findings["flow_id"],
        findings["finding_id"],
        findings["severity"],
        findings["message"],
        strict=True,
    ):
        ids.setdefault(flow, []).append(finding)
        messages.setdefault(flow, []).append(message)
        if SEVERITY_RANK.get(level, 0) > SEVERITY_RANK.get(severity.get(flow, ""), 0):
            severity[flow] = level
    flow_ids = flows["flow_id"].tolist()
    values = [_column_values(flows[c]) for c in [*own, *extra]]
    values += [
        [_join(ids.get(flow), "; ") for flow in flow_ids],
        [severity.get(flow) for flow in flow_ids],
        [_join(messages.get(flow), "\n") for flow in flow_ids],
        _column_values(flows["excel_row"]),
    ]
    wrap = len(flows) <= WRAP_ROW_LIMIT
    columns = (
        *(
            Column(header_text(c), _flow_width(c), wrap=wrap and c not in FLOW_UNWRAPPED)
            for c in [*own, *map(str, extra)]
        ),
        Column(FLOW_FINDING_HEADERS[0], 16, wrap=wrap),
        Column(FLOW_FINDING_HEADERS[1], 9),
        Column(FLOW_FINDING_HEADERS[2], 60, wrap=wrap),
        Column(INVENTORY_ROW, 10),
    )
    return Sheet(DATA_FLOWS, (Block("flows", columns, list(zip(*values, strict=True))),))


def _join(items: list[str] | None, separator: str) -> str | None:
    return separator.join(items) if items else None


def _flow_width(column: str) -> float:
    return max(FLOW_WIDTHS.get(column, 16), len(header_text(column)) + 2)


# Wrapped text needs a row height per row; beyond this many rows a sheet is not wrapped (a
# 20,000-row sheet of wrapped text is slow to write and slower to open).
WRAP_ROW_LIMIT = 5000


def _column_values(series: pd.Series) -> list[object]:
    """Cell values of a column, converting each distinct value once."""
    codes, uniques = pd.factorize(series.map(_hashable), use_na_sentinel=True)
    converted = [_storable(cell_value(u)) for u in uniques]
    return [None if c < 0 else converted[c] for c in codes]


def _storable(value: object) -> object:
    return storable_text(value) if isinstance(value, str) else value


def _hashable(value: object) -> object:
    return tuple(value) if isinstance(value, (list, np.ndarray)) else value


VALIDATION_COLUMNS = (
    Column("Sheet", 14),
    Column(INVENTORY_ROW, 10, WHOLE, align=LEFT),
    Column("Column", 18),
    Column("Value", 26, wrap=True),
    Column("Problem", 54, wrap=True),
    Column("Hint", 46, wrap=True),
)


def validation_sheet(a: Assessment) -> Sheet:
    """The inventory's validation report (its warnings), or one row saying there are none."""
    issues = a.inventory.issues
    columns = ["sheet", "excel_row", "column", "value", "problem", "hint"]
    rows = [tuple(cell_value(v) for v in row) for row in issues[columns].itertuples(index=False)]
    if not rows:
        rows = [(NO_PROBLEMS, None, None, None, None, None)]
    return Sheet(VALIDATION, (Block("issues", VALIDATION_COLUMNS, rows),))


# -- Summary -----------------------------------------------------------------------------------

SUMMARY_WIDTHS = (16, 48, 12, 12, 12, 12, 14)
FIELD_COLUMNS = (Column("Field"), Column("Value", wrap=True))
ROLLUP_COLUMNS = (
    Column("Current", format=LEVEL),
    Column("Target", format=LEVEL),
    Column("Gap", format=LEVEL),
    Column("Coverage", format=PERCENT),
)


def summary_sheet(
    a: Assessment,
    register: pd.DataFrame,
    closed: pd.DataFrame | None,
    more: Sequence[tuple[str, str]] = (),
) -> Sheet:
    """The Summary sheet: the engagement, the scale, the overall, per-Function and
    per-Category scores, the Tiers and the outcomes closed since ``closed``'s register; ``more``
    adds (field, value) rows to the engagement block (the data-flow sheets' headlines)."""
    inv, fw, o = a.inventory, a.framework, a.overall
    names = dict(zip(fw.core["id"], fw.core["name"], strict=True))
    about = [
        ("Client", inv.about_value("client") or None),
        ("Engagement", inv.about_value("engagement") or None),
        ("Assessor", inv.about_value("assessor") or None),
        ("Date", _date_text(inv.about_value("date"))),
        ("Framework", f"{fw.title} ({fw.manifest.get('publication', '')})".replace(" ()", "")),
        ("Framework version", fw.version),
        ("Scale", f"{a.scale.name}: {a.scale.describe()}"),
        ("Input", shown(inv.source)),
        ("Evidence", f"{a.completeness.sentence} (source 'no evidence' on the Profile sheet)"),
        ("Gap Register", f"{len(register)} Subcategories with a gap or a finding"),
        ("Data-flow findings", f"{len(a.findings)} (see the Data Flows sheet)"),
        *more,
    ]
    in_profile = int(a.subcategories["in_profile"].sum())
    blocks = [
        Block("about", FIELD_COLUMNS, about, header=False),
        Block(
            "overall",
            (
                Column("Scope"),
                Column("Subcategories in the Target Profile", format=WHOLE, align=LEFT),
                *ROLLUP_COLUMNS,
            ),
            [("Organisation", in_profile, o.current, o.target, o.gap, o.coverage)],
            title="Overall",
        ),
        Block(
            "functions",
            (Column("Function"), Column("Name"), *ROLLUP_COLUMNS),
            [
                (r.function, names.get(r.function), r.current, r.target, r.gap, r.coverage)
                for r in a.functions.itertuples(index=False)
            ],
            title="By Function",
        ),
        Block(
            "categories",
            (Column("Category"), Column("Name", wrap=True), *ROLLUP_COLUMNS),
            [
                (r.category, names.get(r.category), r.current, r.target, r.gap, r.coverage)
                for r in a.categories.itertuples(index=False)
            ],
            title="By Category",
        ),
    ]
    tiers = a.tiers
    if len(tiers):
        blocks.append(
            Block(
                "tiers",
                (
                    Column("Tier", format=WHOLE, align=LEFT),
                    Column("Attribute"),
                    Column("Tier name"),
                ),
                [
                    (_number(r.tier), cell_value(r.attribute), cell_value(r.tier_name))
                    for r in tiers.itertuples(index=False)
                ],
                title="Implementation Tiers (organisation level)",
            )
        )
    if closed is not None and len(closed):
        blocks.append(
            Block(
                "closed",
                # Everything the client wrote on the row, under the Gap Register's headers, so
                # it is read back next time (an outcome that opens again gets it back).
                (
                    Column(EDIT_HEADERS["subcategory"]),
                    Column(EDIT_HEADERS["recommended_action"], wrap=True),
                    Column(EDIT_HEADERS["owner"], wrap=True),
                    Column(EDIT_HEADERS["due_date"], DATE),
                    Column(EDIT_HEADERS["status"]),
                    Column(EDIT_HEADERS["comments"], wrap=True),
                    Column(CLOSED_REASON),
                ),
                [
                    (
                        r.subcategory,
                        r.recommended_action,
                        r.owner,
                        r.due_date,
                        r.status,
                        r.comments,
                        r.reason,
                    )
                    for r in closed.itertuples()
                ],
                title="Closed since the previous register",
            )
        )
    return Sheet(
        SUMMARY,
        tuple(blocks),
        title="NIST Privacy Framework gap register",
        widths=SUMMARY_WIDTHS,
    )


def _date_text(value: str) -> str | None:
    """About's date as written, without the midnight time a date cell reads back with."""
    return value.removesuffix(" 00:00:00") or None
