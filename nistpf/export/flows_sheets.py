"""The gap register's data-flow sheets as data: **Data journeys** (where each sensitive data
category goes, hop by hop, where each path ends, the gaps, and the data-flow diagram) and
**Privacy risk (PRAM)** (the data actions ranked by NIST PRAM risk and the top outliers).

Built from the Assessment with no file I/O, like :mod:`nistpf.export.excel_sheets`, whose
:class:`~nistpf.export.excel_sheets.Sheet` and :class:`~nistpf.export.excel_sheets.Block` they
use: the first block of each sheet is its table (header on row 1, frozen, filtered); the blocks
after it follow below, each with a title. :func:`diagram_png` renders the data-flow diagram once
per Assessment for :mod:`nistpf.export.excel` to place on the Data journeys sheet.

Sources: the journeys are :func:`nistpf.trace` (NISTIR 8062's data actions per hop; the gaps
NIST PF CT.DM-P5, ID.IM-P2 and CT.DM-P data minimisation); the risk is NIST's Privacy Risk
Assessment Methodology (PRAM, 2019), worksheet 3 (:func:`nistpf.pram`).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import pandas as pd

from nistpf.assessment import Assessment
from nistpf.errors import NistpfError
from nistpf.export.excel_sheets import (
    DATA_JOURNEYS,
    PRIVACY_RISK,
    WHOLE,
    WRAP_ROW_LIMIT,
    Block,
    Column,
    Sheet,
)
from nistpf.export.pram_chart import amount
from nistpf.export.pram_edits import LIKELIHOOD_SCALE
from nistpf.flows.pram import FACTOR_NAMES, FACTORS, Pram, analyse
from nistpf.flows.trace import ENDINGS, MAX_PATHS, Trace, trace
from nistpf.inventory.schema import EXTERNAL_PREFIX
from nistpf.io.xlsx import cell_value
from nistpf.numbers import fixed

RISK = "0"
SHARE = "0.0%"
JOURNEY_HEADERS = (
    "Data category",
    "Path",
    "Step",
    "Flow ID",
    "From",
    "To",
    "Stage",
    "Data action (NISTIR 8062)",
    "Purpose",
    "Encrypted in transit",
    "Minimization",
    "Consent basis",
    "Retention (days)",
    "Owner",
    "Findings",
    "Path ends",
)
GAP_HEADERS = ("Data category", "Path", "Flow ID", "Gap", "System", "What is missing")
PRAM_HEADERS = (
    "Rank",
    "Data action",
    "Name",
    "Data",
    "Problems for individuals (likelihood × impact = risk)",
    "Risk",
    "Percent of system risk",
    "Top outlier",
    "Systems",
    "External party",
    "Summary issues",
)
OUTLIER_HEADERS = (
    "Rank",
    "Data action",
    "Problem for individuals",
    "Problematic data actions",
    "Impact: the five cost factors",
    "Likelihood",
    "Impact",
    "Risk",
)
NO_FLOWS = "No data flow is recorded: the inventory's DataFlows sheet is empty"
# The note in the diagram's place when it could not be drawn: client-neutral (the console says
# how to install Graphviz).
NO_DIAGRAM = (
    "The data-flow diagram is not part of this edition; the journeys and their gaps are listed "
    "above."
)
PRAM_WORKBOOK = (
    "NIST's full PRAM layout (worksheet 2, Data Action Analysis, and worksheet 3, Likelihood, "
    "Impact, Risk and Risk Prioritization, with every cost factor and the consultant's edits "
    "and reasons) is the PRAM workbook: nistpf pram <inventory> writes it "
    "(nistpf.write_pram_workbook in Python)."
)


# -- journeys ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Journeys:
    """The journeys the register and the report show: ``trace`` holds the categories chosen
    (the sensitive ones, or every one when none is sensitive), ``sensitive`` says which."""

    trace: Trace
    sensitive: bool


_TRACES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_JOURNEYS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_PNG: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def full_trace(a: Assessment) -> Trace:
    """:func:`nistpf.trace` of every category ``a``'s flows carry, with ``a.findings``: traced
    once per Assessment for the register, the report and the deck."""
    if a not in _TRACES:
        _TRACES[a] = trace(a.inventory, findings=a.findings)
    return _TRACES[a]


def journeys(a: Assessment) -> Journeys:
    """The journeys of ``a``'s sensitive data categories (``Trace.categories["sensitive"]``,
    by ``nistpf/data/sensitive_categories.csv``), or of every category when none is sensitive:
    :func:`nistpf.trace` of every category the flows carry with ``a.findings``, kept to those
    categories (path IDs are the full trace's). Computed once per Assessment."""
    if a in _JOURNEYS:
        return _JOURNEYS[a]
    full = full_trace(a)
    sensitive = full.categories["sensitive"].astype(bool)
    chosen = set(full.categories.loc[sensitive, "category"]) if sensitive.any() else None
    if chosen is not None:

        def kept(table: pd.DataFrame) -> pd.DataFrame:
            return table[table["category"].isin(chosen)].reset_index(drop=True)

        full = Trace(
            kept(full.hops),
            kept(full.paths),
            kept(full.gaps),
            kept(full.categories),
            tuple(c for c in full.truncated if c in chosen),
        )
    result = Journeys(full, chosen is not None)
    _JOURNEYS[a] = result
    return result


def endpoint(value: object) -> str:
    """An endpoint as a reader names it: a system ID as written, ``external:Customers`` as
    ``Customers (external)``."""
    text = str(value)
    if text.startswith(EXTERNAL_PREFIX):
        return f"{text.removeprefix(EXTERNAL_PREFIX)} (external)"
    return text


def path_ending(row) -> str:
    """Where a path (a row of ``Trace.paths``) ends, in words: ``disposed at CCS-01``,
    ``leaves the company: Cinderbox (external)``, ``never disposed: rests in DWH-01``."""
    end = endpoint(row["end"])
    if row["ending"] == "disposed":
        return f"disposed at {end}"
    if row["ending"] == "leaves the company":
        return f"leaves the company: {end}"
    return f"never disposed: rests in {end}"


def chain(hops: pd.DataFrame) -> str:
    """One path's hops as a chain: ``Customers (external) → PAY-01 (F-003) → DWH-01 (F-025)``;
    a disposal within a system reads ``→ disposed (F-033)``."""
    rows = hops.sort_values("step", kind="stable")
    if rows.empty:
        return ""
    parts = [endpoint(rows.iloc[0]["source"])]
    for row in rows.itertuples(index=False):
        if row.source == row.destination and row.action == "disposal":
            parts.append(f"disposed ({row.flow_id})")
        else:
            parts.append(f"{endpoint(row.destination)} ({row.flow_id})")
    return " → ".join(parts)


def _n(count: int, noun: str) -> str:
    """``1 path``, ``2 paths``, ``2 data categories``: a count and its noun, plural unless 1."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {noun[:-1]}ies" if noun.endswith("y") else f"{count} {noun}s"


def _days(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _encrypted(value: object) -> str | None:
    return None if value is None or pd.isna(value) else ("yes" if value else "no")


def journeys_sheet(a: Assessment) -> Sheet:
    """The Data journeys sheet: one row per hop of every path of the sensitive categories
    (:func:`journeys`; ``JOURNEY_HEADERS``: the NISTIR 8062 data action, the protections, the
    consent basis, retention in days, the owner, the data-flow findings on the flow and where
    the path ends), then the gaps (``GAP_HEADERS``; kinds: never disposed, external party, AI
    system, no owner, collected, used nowhere) and notes, among them the data-flow diagram's
    place (:func:`diagram_png`)."""
    chosen = journeys(a)
    t = chosen.trace
    # a path is named within its category (P1, P2 … in each), so the key is both
    ends = {(r["category"], r["path"]): path_ending(r) for r in t.paths.to_dict("records")}
    wrap = len(t.hops) <= WRAP_ROW_LIMIT
    columns = (
        Column(JOURNEY_HEADERS[0], 26),
        Column(JOURNEY_HEADERS[1], 7),
        Column(JOURNEY_HEADERS[2], 10, WHOLE),
        Column(JOURNEY_HEADERS[3], 20),
        Column(JOURNEY_HEADERS[4], 24, wrap=wrap),
        Column(JOURNEY_HEADERS[5], 24, wrap=wrap),
        Column(JOURNEY_HEADERS[6], 11),
        Column(JOURNEY_HEADERS[7], 13),
        Column(JOURNEY_HEADERS[8], 32, wrap=wrap),
        Column(JOURNEY_HEADERS[9], 11),
        Column(JOURNEY_HEADERS[10], 13),
        Column(JOURNEY_HEADERS[11], 24, wrap=wrap),
        Column(JOURNEY_HEADERS[12], 10, WHOLE),
        Column(JOURNEY_HEADERS[13], 20, wrap=wrap),
        Column(JOURNEY_HEADERS[14], 18, wrap=wrap),
        Column(JOURNEY_HEADERS[15], 30, wrap=wrap),
    )
    rows = [
        (
            h.category,
            h.path,
            int(h.step),
            h.flow_id,
            endpoint(h.source),
            endpoint(h.destination),
            h.stage or None,
            h.action,
            h.purpose or None,
            _encrypted(h.encrypted_in_transit),
            h.minimization or None,
            h.consent_basis or None,
            _days(h.retention_days),
            h.owner or None,
            cell_value(tuple(h.findings)),
            ends.get((h.category, h.path)),
        )
        for h in t.hops.itertuples(index=False)
    ]
    if not rows:
        rows = [(NO_FLOWS, *([None] * (len(columns) - 1)))]
    gap_columns = (
        Column(GAP_HEADERS[0]),
        Column(GAP_HEADERS[1]),
        Column(GAP_HEADERS[2]),
        Column(GAP_HEADERS[3]),
        Column(GAP_HEADERS[4]),
        Column(GAP_HEADERS[5]),  # not wrapped: the text runs on over the empty cells beside it
    )
    gaps = [
        (g.category, g.path or None, g.flow_id, g.kind, endpoint(g.system), g.message)
        for g in t.gaps.itertuples(index=False)
    ]
    if not gaps and len(t.hops):
        gaps = [(None, None, None, "none", None, "Every path is disposed of or accounted for.")]
    blocks = [Block("hops", columns, rows)]
    if len(t.hops):
        blocks.append(Block("gaps", gap_columns, gaps, title="Gaps"))
    blocks.append(
        Block(
            "notes",
            (Column("Notes"),),
            [(note,) for note in journey_notes(a, chosen)],
            title="About these journeys",
            header=False,
        )
    )
    return Sheet(DATA_JOURNEYS, tuple(blocks))


def journey_notes(a: Assessment, chosen: Journeys) -> list[str]:
    """The Data journeys sheet's notes: which categories are shown and why, any cut short, and
    the diagram (drawn below, or that it is not part of this edition)."""
    t = chosen.trace
    if not len(a.inventory.flows):
        return ["No data flow is recorded, so there is no journey to trace and no diagram to draw."]
    names = ", ".join(t.categories["category"]) or "none"
    notes = [
        (
            f"Sensitive data categories traced: {names}."
            if chosen.sensitive
            else f"No data category is sensitive, so every category is traced: {names}."
        ),
        "Paths run from where the data enters (an external party, a collection flow, or a "
        "system nothing feeds) to a disposal flow, an external party, or the system where it "
        "rests with no disposal recorded (NIST PF CT.DM-P5). Data actions are NISTIR 8062's.",
    ]
    if t.truncated:
        notes.append(
            f"Too many paths to list in full for: {', '.join(t.truncated)} (the first "
            f"{MAX_PATHS} of each are listed); nistpf.trace(inventory, data_category=..., "
            "max_paths=...) lists more of one."
        )
    png = diagram_png(a)
    if png is None:
        notes.append(NO_DIAGRAM)
    else:
        notes.append(
            "The data-flow diagram of every flow, arrows coloured by NIST PRAM risk, on the "
            "next printed page (below):"
        )
    return notes


def diagram_png(a: Assessment) -> bytes | None:
    """The data-flow diagram of ``a`` (:func:`nistpf.flows.diagram.flow_diagram`, its compact
    variant for a printed page: arrows coloured by the NIST PRAM risk of their flows, no arrow
    labels but flow counts, larger type) as PNG bytes at 144 dpi, or None when Graphviz's dot
    is missing or cannot draw it, or the inventory records no flow. Rendered once per
    Assessment."""
    if a in _PNG:
        return _PNG[a]
    png = None
    if len(a.inventory.flows):
        try:
            from nistpf.flows import diagram

            if diagram.dot_available():
                graph = diagram.flow_diagram(
                    a.inventory, findings=a.findings, flow_risk=analyse(a).flow_risk, compact=True
                )
                png = diagram.render(graph, "png", dpi=144)
        except (ImportError, NistpfError):
            png = None
    _PNG[a] = png
    return png


def summary_rows(a: Assessment) -> list[tuple[str, str]]:
    """The Summary sheet's headlines of the two data-flow sheets: the journeys' paths by how
    they end, and the NIST PRAM system risk with the riskiest data action."""
    t = journeys(a).trace
    endings = t.paths["ending"].value_counts()
    ends = ", ".join(f"{int(endings[e])} {e}" for e in ENDINGS if e in endings)
    kind = "sensitive data category" if journeys(a).sensitive else "data category"
    rows = [
        (
            DATA_JOURNEYS,
            f"{_n(len(t.categories), kind)}, {_n(len(t.paths), 'path')}"
            + (f" ({ends})" if ends else "")
            + f", {_n(len(t.gaps), 'gap')} (see the {DATA_JOURNEYS} sheet)",
        )
    ]
    p = analyse(a)
    top = ranked_actions(p)
    risk = f"system risk {fixed(p.total, 0)} over {_n(len(top), 'data action')}"
    if len(top) and p.total > 0:
        first = top.iloc[0]
        share = fixed(100 * first["percent"], 0)
        risk += f"; the riskiest, {first['data_action']}, carries {share}% of it"
    rows.append((PRIVACY_RISK, f"NIST PRAM {risk} (see the {PRIVACY_RISK} sheet)"))
    return rows


# -- PRAM --------------------------------------------------------------------------------------


def problem_text(row) -> str:
    """``Economic Loss 7 × 25 = 175``: a problem's likelihood × impact = risk."""
    return f"{row.problem} {amount(row.likelihood)} × {amount(row.impact)} = {amount(row.risk)}"


def outlier_ranks(p: Pram) -> list[int]:
    """The rank of each top outlier (rows of ``p.outliers``) by its risk, as Excel's
    ``RANK(risk, outliers, 0)``: 1 + the number of outliers with a higher risk."""
    risks = list(p.outliers["risk"])
    return [1 + sum(other > risk for other in risks) for risk in risks]


def ranked_actions(p: Pram) -> pd.DataFrame:
    """The data actions by rank (highest risk first; ties in flow order)."""
    return p.data_actions.sort_values("rank", kind="stable").reset_index(drop=True)


def pram_sheet(a: Assessment) -> Sheet:
    """The Privacy risk (PRAM) sheet: every data action ranked by its NIST PRAM risk
    (``PRAM_HEADERS``: rank as Excel's RANK, risk = Σ likelihood × impact over its problems,
    percent of system risk as a fraction shown as a percentage, top outlier), then the top
    outliers (``OUTLIER_HEADERS``; NIST PRAM worksheet 3, Risk Prioritization, "Top 5
    Outliers") and where NIST's full layout is (the PRAM workbook, ``nistpf pram``)."""
    p = analyse(a)
    by_action: dict[str, list[str]] = {}
    for row in p.problems.sort_values("risk", ascending=False, kind="stable").itertuples():
        by_action.setdefault(row.data_action, []).append(problem_text(row))
    wrap = len(p.data_actions) <= WRAP_ROW_LIMIT
    columns = (
        Column(PRAM_HEADERS[0], 7, WHOLE),
        Column(PRAM_HEADERS[1], 20),
        Column(PRAM_HEADERS[2], 40, wrap=wrap, max_lines=4),
        Column(PRAM_HEADERS[3], 28, wrap=wrap, max_lines=4),
        Column(PRAM_HEADERS[4], 36, wrap=wrap),
        Column(PRAM_HEADERS[5], 10, RISK),
        Column(PRAM_HEADERS[6], 10, SHARE),
        Column(PRAM_HEADERS[7], 10),
        Column(PRAM_HEADERS[8], 16, wrap=wrap),
        Column(PRAM_HEADERS[9], 18, wrap=wrap),
        Column(PRAM_HEADERS[10], 50, wrap=wrap, max_lines=3),
    )
    rows = [
        (
            int(r.rank),
            r.data_action,
            r.name,
            r.data,
            "\n".join(by_action.get(r.data_action, ())) or None,
            float(r.risk),
            float(r.percent),
            "yes" if r.outlier else None,
            cell_value(tuple(r.systems)),
            r.external_party or None,
            r.summary_issues,
        )
        for r in ranked_actions(p).itertuples(index=False)
    ]
    if not rows:
        rows = [(None, NO_FLOWS, *([None] * (len(columns) - 2)))]
    outlier_columns = (
        Column(OUTLIER_HEADERS[0], format=WHOLE),
        Column(OUTLIER_HEADERS[1]),
        Column(OUTLIER_HEADERS[2]),
        Column(OUTLIER_HEADERS[3], wrap=wrap),
        Column(OUTLIER_HEADERS[4], wrap=wrap),
        Column(OUTLIER_HEADERS[5], format=RISK),
        Column(OUTLIER_HEADERS[6], format=RISK),
        Column(OUTLIER_HEADERS[7], format=RISK),
    )
    outliers = [
        (
            number,
            r.data_action,
            r.problem,
            "; ".join(r.problematic_data_actions) or None,
            " + ".join(f"{FACTOR_NAMES[f]} {amount(getattr(r, f))}" for f in FACTORS),
            float(r.likelihood),
            float(r.impact),
            float(r.risk),
        )
        for number, r in zip(outlier_ranks(p), p.outliers.itertuples(index=False), strict=True)
    ]
    total = (
        f"System risk (the sum over the {_n(len(p.data_actions), 'data action')}): "
        f"{fixed(p.total, 0)}. Risk per problem = likelihood ({LIKELIHOOD_SCALE}) × impact (the "
        "sum of five cost factors, each 1–10); a data action's risk is the sum over its problems "
        "(NIST PRAM worksheet 3)."
    )
    blocks = [Block("actions", columns, rows)]
    if outliers:
        blocks.append(Block("outliers", outlier_columns, outliers, title="Top outliers"))
    blocks.append(
        Block(
            "pram-notes",
            (Column("Notes"),),
            [(total,), (PRAM_WORKBOOK,)],
            title="NIST PRAM",
            header=False,
        )
    )
    return Sheet(PRIVACY_RISK, tuple(blocks))
