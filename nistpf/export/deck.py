"""The leadership deck: an editable 16:9 PowerPoint file (python-pptx) that tells the
assessment's story in ten slides.

1. title — client, engagement, date;
2. executive summary — overall current, target, gap and coverage, three key messages;
3. radar by Function — chart and a table of Function scores;
4. heat map of systems;
5. top gaps — a table of the ten largest gaps by gap points;
6. data-flow map — Sankey chart and findings by severity;
7. where customer data goes — the data-flow diagram (Graphviz, :mod:`nistpf.flows.diagram`),
   arrows coloured by NIST PRAM risk per flow; without Graphviz's dot, the journeys' gaps as text
   (:func:`nistpf.trace`);
8. the riskiest data actions — NIST PRAM (worksheet 3): likelihood × impact of every data action
   × problem for individuals as a native scatter chart, and the top outliers as a table
   (:func:`nistpf.pram`);
9. roadmap — gaps grouped by priority with owners and due dates (carried over from a register);
10. method appendix — scale, weights, formulas, framework version, input file and its hash.

Every title states the point the slide makes, computed from the Assessment; every number is the
Assessment's, rounded to two decimals (coverage as a percentage). Text and tables are native
PowerPoint objects a consultant can edit; the charts are pictures rendered by kaleido in one
browser session, except the PRAM risk chart, a native PowerPoint chart. Without a browser the
deck is not written: :class:`BrowserMissingError` says how to install one (a deck with holes
where the charts belong would be worse). Without Graphviz the deck is still written: the
diagram's slide says the diagram is not part of this edition (no install instructions on a
client's slide) and lists the journeys' gaps instead.

This module decides *what* the deck says (pure functions over the Assessment);
:mod:`nistpf.export.deck_slides` lays it out.

>>> import nistpf
>>> from nistpf.export.deck import write_deck
>>> a = nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))
>>> write_deck(a, "leadership.pptx")  # doctest: +SKIP
PosixPath('leadership.pptx')
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from nistpf.assessment import Assessment, Completeness, leaders, named, tie_phrase
from nistpf.errors import NistpfError, OutputNotWritableError, shown
from nistpf.export import images, method_text
from nistpf.export.flows_sheets import full_trace
from nistpf.export.pram_edits import LIKELIHOOD_SCALE
from nistpf.export.report import key_messages
from nistpf.flows.pram import OUTLIERS, Pram
from nistpf.flows.pram import analyse as pram_of
from nistpf.flows.trace import GAP_KINDS, Trace
from nistpf.inventory.schema import EXTERNAL_PREFIX
from nistpf.io.atomic import atomic_open, check_destination
from nistpf.io.paths import Use, check_paths, source_uses
from nistpf.io.register_columns import EDIT_COLUMNS
from nistpf.numbers import exact, fixed, percent

TO_BE_ASSIGNED = "to be assigned"
PRIORITIES = ("High", "Moderate", "Low")
SEVERITIES = ("High", "Medium", "Low")
TOP_GAPS = 10
OUTCOME_LIMIT = 150  # characters of an outcome in the top gaps table: two lines of a cell
# The charts the deck shows, by their name in nistpf.export.images.CHARTS.
DECK_CHARTS = ("radar-function", "heatmap", "flow-map")
DIAGRAM = "flow-diagram"  # the data-flow diagram's picture, drawn by Graphviz's dot
GAP_LINES = 18  # journey gaps listed on the diagram slide when there is no diagram
OUTLIER_ROWS = 8  # top outliers in the risk slide's table
# How each ending of a traced path reads (nistpf.flows.trace.ENDINGS, in its order).
ENDING_WORDS = {
    "disposed": "disposed of",
    "leaves the company": "leave the company",
    "never disposed": "never disposed of",
}
# The diagram slide without a diagram (no Graphviz, or it failed): client-neutral words; the
# console (nistpf deck) says how to install Graphviz.
DIAGRAM_MISSING = (
    "The data-flow diagram is not part of this edition; the journeys' gaps are listed instead."
)
RISK_POINT_COLUMNS = ("data_action", "problem", "likelihood", "impact", "risk", "outlier")


def write_deck(
    a: Assessment,
    path: Path | str,
    *,
    carry_over: str | PathLike[str] | pd.DataFrame | None = None,
    edits: pd.DataFrame | None = None,
) -> Path:
    """Write the leadership deck of ``a`` to ``path`` (.pptx) and return the path.

    ``carry_over`` is an earlier gap register whose client edits fill the roadmap, as for
    :func:`nistpf.write_gap_register`: its path (read with
    :func:`~nistpf.export.register_edits.read_register_edits`, whose notes are a warning), or
    the DataFrame that function returns (``subcategory, recommended_action, owner, due_date,
    status, comments``). The roadmap shows their owners and due dates, "to be assigned" where
    there are none. ``edits`` is the same argument under its earlier name, deprecated: still
    accepted, with a DeprecationWarning naming ``carry_over=``; giving both is a TypeError, and
    a DataFrame without a ``subcategory`` column a ValueError naming the argument.

    The charts are rendered in one browser session before anything is written; without a
    browser :class:`~nistpf.errors.BrowserMissingError` is raised and no file is written. The
    file is written to a temporary file and renamed into place. Refuses the inventory the
    assessment was read from (:class:`~nistpf.errors.OutputIsInputError`); a file that cannot
    be written is an :class:`~nistpf.errors.OutputNotWritableError`."""
    from nistpf.export import deck_slides  # it imports this module: lay out after telling

    path = Path(path)
    reads = source_uses(a.inventory.path)
    for earlier in (carry_over, edits):
        if isinstance(earlier, str | PathLike):
            reads.append(Use(Path(earlier), "the register carried over"))
    check_paths(reads, [Use(path, "the slide deck")])
    check_destination(path)
    if edits is not None:
        if carry_over is not None:
            raise TypeError("write_deck: give carry_over or edits (its earlier name), not both")
        warnings.warn(
            "write_deck(edits=...) is deprecated: use carry_over=", DeprecationWarning, stacklevel=2
        )
        story = tell(a, carry_over=_carried(edits, "edits"))
    else:
        story = tell(a, carry_over=_carried(carry_over, "carry_over"))
    figures = images.chart_figures(a, DECK_CHARTS)
    pictures = images.render_png(
        deck_slides.prepare_figures(figures), sizes=deck_slides.PICTURE_SIZES
    )
    pictures = dict(pictures)
    missing = {}
    try:
        pictures[DIAGRAM] = diagram_png(a)
    except NistpfError as error:  # no dot, or dot failed: the slide says so, never no deck
        missing[DIAGRAM] = str(error)
    presentation = deck_slides.build(story, pictures, missing=missing)
    try:
        with atomic_open(path, "wb") as stream:
            presentation.save(stream)
    except OSError as error:
        raise OutputNotWritableError.from_os_error(path, error) from error
    return path


@dataclass(frozen=True)
class Story:
    """Everything the deck says, computed from one Assessment; the slides only lay it out.

    Tables are DataFrames with plain values (numbers as floats, text as str); ``titles`` holds
    one title per slide, in order."""

    client: str
    engagement: str
    date: str
    assessor: str
    framework_title: str
    overall: Mapping[str, float]
    overall_label: str
    target_label: str
    key_messages: tuple[str, ...]
    functions: pd.DataFrame  # function, name, current, target, gap, coverage
    scale_text: str
    evidence: str  # "90 of 99 outcomes have evidence; the 9 without score 0 in the roll-ups"
    systems: pd.DataFrame  # system, name, level (mean over Functions), weakest first
    top_gaps: pd.DataFrame  # subcategory, outcome, text, current, target, gap, gap_points, …
    findings: pd.DataFrame  # severity, findings (count per severity)
    high_flows: tuple[str, ...]
    roadmap: pd.DataFrame  # priority, subcategory, gap, gap_points, owner, due_date, …
    roadmap_counts: Mapping[str, int]
    reach_note: str  # how the traced paths end, for the diagram slide's caption
    gap_kinds: pd.DataFrame  # kind, gaps (count per GAP_KINDS)
    gap_lines: tuple[str, ...]  # the journeys' gaps, sensitive categories first, cut to fit
    risk_points: pd.DataFrame  # data_action, problem, likelihood, impact, risk, outlier
    outliers: tuple[tuple[str, ...], ...]  # table rows: header, then the top outliers
    risk_note: str  # the PRAM arithmetic and the system risk, for the slide's caption
    method: tuple[tuple[str, str], ...]  # (label, text) pairs
    sources: tuple[tuple[str, str], ...]
    titles: tuple[str, ...]


def tell(a: Assessment, *, carry_over: pd.DataFrame | None = None) -> Story:
    """The :class:`Story` of ``a``: every title, number and sentence of the deck.
    ``carry_over``: the client's edits of an earlier register (:func:`roadmap`)."""
    inv = a.inventory
    fw = a.framework
    version = fw.version
    overall = a.overall
    label = a.scale.label
    client = _line(inv.about_value("client")) or "Client"
    functions = function_table(a)
    systems = system_table(a)
    gaps = gap_ranking(a)
    top = gaps.head(TOP_GAPS).reset_index(drop=True)
    findings = a.findings
    counts = finding_counts(findings)
    high = findings[findings["severity"] == "High"]
    roadmap_table = roadmap(a, carry_over=carry_over)
    roadmap_counts = {p: int((roadmap_table["priority"] == p).sum()) for p in PRIORITIES}

    weakest = functions.loc[leaders(functions["gap"])]
    messages = tuple(key_messages(a))  # the same three sentences as the HTML report

    flows = inv.flows
    flagged = sorted(set(findings["flow_id"]))
    high_flows = tuple(_flow_line(flows, flow_id) for flow_id in sorted(set(high["flow_id"])))
    traced = full_trace(a)  # the register's and the report's trace, made once
    pram = pram_of(a)

    titles = (
        f"{client}: NIST Privacy Framework {version} assessment",
        (
            f"Privacy outcomes average {fixed(overall.current)} ({label(overall.current)}) "
            f"against a target of {fixed(overall.target)}, a gap of {fixed(overall.gap)}"
            if overall.current == overall.current  # not NaN
            else f"No outcome is scored yet: {a.completeness}"
        ),
        _functions_title(weakest, len(functions)),
        _systems_title(systems),
        _gaps_title(top, functions, gaps, a.completeness),
        _flows_title(findings, len(flagged), len(flows), len(high)),
        _reach_title(traced),
        _risk_title(pram),
        _roadmap_title(roadmap_table, roadmap_counts),
        "Method: every number comes from one scoring engine and can be traced to the inventory",
    )
    return Story(
        client=client,
        engagement=_line(inv.about_value("engagement")),
        date=_line(inv.about_value("date")),
        assessor=_line(inv.about_value("assessor")),
        framework_title=f"NIST Privacy Framework {version}",
        overall=overall._asdict(),
        overall_label=label(overall.current),
        target_label=label(overall.target),
        key_messages=messages,
        functions=functions,
        scale_text=f"{a.scale.name} scale: {a.scale.describe()}",
        evidence=a.completeness.sentence,
        systems=systems,
        top_gaps=top,
        findings=counts,
        high_flows=high_flows,
        roadmap=roadmap_table,
        roadmap_counts=roadmap_counts,
        reach_note=reach_note(traced),
        gap_kinds=gap_kinds(traced),
        gap_lines=gap_lines(traced),
        risk_points=pram.problems[list(RISK_POINT_COLUMNS)].reset_index(drop=True),
        outliers=outlier_rows(pram),
        risk_note=_risk_note(pram),
        method=method_notes(a),
        sources=source_notes(a),
        titles=titles,
    )


def function_table(a: Assessment) -> pd.DataFrame:
    """``function, name, current, target, gap, coverage`` in framework order."""
    names = a.framework.functions.set_index("id")["name"]
    table = a.functions
    table.insert(1, "name", table["function"].map(names).fillna(table["function"]))
    return table.reset_index(drop=True)


def system_table(a: Assessment) -> pd.DataFrame:
    """``system, name, level``: each in-scope system's mean level over the Functions, weakest
    first (ties in inventory order)."""
    view = a.systems
    table = view.groupby("system", sort=False).agg(name=("name", "first"), level=("level", "mean"))
    table = table.reset_index().sort_values("level", kind="mergesort")
    return table.reset_index(drop=True)


def gap_ranking(a: Assessment, *, worklist: bool = False) -> pd.DataFrame:
    """In-profile Subcategories with a gap in the order the charts and the report use
    (:func:`nistpf.export.charts.ranked_gaps`: largest gap points first, then the larger gap,
    then framework order), with ``outcome``: the outcome text shortened for a table cell."""
    from nistpf.export.charts import ranked_gaps

    if worklist:  # every gap, those without evidence too, as the Gap Register lists them
        gaps = a.ranked_gaps(findings=True)
        gaps = gaps[gaps["gap"] > 0].reset_index(drop=True)
    else:
        gaps = ranked_gaps(a).reset_index(drop=True)
    gaps.insert(2, "outcome", gaps["text"].map(shorten))
    return gaps


def finding_counts(findings: pd.DataFrame) -> pd.DataFrame:
    """``severity, findings``: how many data-flow findings of each severity (all three rows)."""
    counts = findings["severity"].value_counts()
    return pd.DataFrame(
        {"severity": list(SEVERITIES), "findings": [int(counts.get(s, 0)) for s in SEVERITIES]}
    )


def roadmap(a: Assessment, *, carry_over: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every gap, grouped by priority (High, Moderate, Low) and largest gap points first within
    a group: ``priority, subcategory, gap, gap_points, recommended_action, owner, due_date,
    status``. Owners and due dates come from ``carry_over`` when given (the client's edits of
    an earlier register, :func:`~nistpf.export.register_edits.read_register_edits`' columns);
    blanks read "to be
    assigned"."""
    gaps = gap_ranking(a, worklist=True)
    order = {p: i for i, p in enumerate(PRIORITIES)}
    gaps = gaps.assign(_order=gaps["priority"].map(order).fillna(len(order)))
    gaps = gaps.sort_values("_order", kind="mergesort").drop(columns="_order")
    table = gaps[["priority", "subcategory", "gap", "gap_points"]].reset_index(drop=True)
    carried = _edits_by_subcategory(a, carry_over)
    for column in ("recommended_action", "owner", "due_date", "status"):
        values = [carried.get(s, {}).get(column, "") for s in table["subcategory"]]
        if column in ("owner", "due_date"):
            values = [v or TO_BE_ASSIGNED for v in values]
        table[column] = values
    return table


def diagram_png(a: Assessment) -> bytes:
    """The data-flow diagram of ``a``'s inventory as PNG bytes (144 dpi): every flow between
    systems and external parties (:func:`nistpf.flows.diagram.flow_diagram`, its compact
    variant for a slide: no arrow labels but flow counts, larger type), arrows coloured by NIST
    PRAM risk per flow (``Pram.flow_risk``: NIST PRAM, worksheet 3, risk per data action). Raises
    :class:`~nistpf.flows.diagram.GraphvizMissingError` without Graphviz's ``dot``, and
    :class:`~nistpf.flows.diagram.DiagramRenderError` when ``dot`` fails (both
    :class:`~nistpf.errors.NistpfError`)."""
    from nistpf.flows import diagram

    graph = diagram.flow_diagram(
        a.inventory, findings=a.findings, flow_risk=pram_of(a).flow_risk, compact=True
    )
    return diagram.render(graph, "png")


def reach_note(traced: Trace) -> str:
    """How the traced paths (one data category's route from where it enters to its last
    system) end: disposed of, leaving the company, never disposed of; and how to read the
    diagram."""
    counts = traced.paths["ending"].value_counts()
    ends = ", ".join(f"{int(counts.get(e, 0))} {shown}" for e, shown in ENDING_WORDS.items())
    return (
        f"{_n(len(traced.paths), 'path')} of {_n(len(traced.categories), 'data category')} "
        f"from where they enter to their last system: {ends}. Arrows coloured by NIST PRAM "
        "risk per flow; dashed arrows dispose of data."
    )


def gap_kinds(traced: Trace) -> pd.DataFrame:
    """``kind, gaps``: the journeys' gaps counted by kind (every one of ``GAP_KINDS``)."""
    counts = traced.gaps["kind"].value_counts()
    return pd.DataFrame(
        {"kind": list(GAP_KINDS), "gaps": [int(counts.get(k, 0)) for k in GAP_KINDS]}
    )


def gap_lines(traced: Trace, limit: int = GAP_LINES) -> tuple[str, ...]:
    """The journeys' gap messages for a slide: sensitive categories' gaps first (then the
    trace's order), at most ``limit`` lines, the last one saying how many more there are."""
    gaps = traced.gaps
    if gaps.empty:
        return ()
    categories = traced.categories
    sensitive = set(categories.loc[categories["sensitive"].astype(bool), "category"])
    order = gaps.assign(_s=~gaps["category"].isin(sensitive)).sort_values("_s", kind="stable")
    lines = [_line(m) for m in order["message"]]
    if len(lines) > limit:
        rest = len(lines) - (limit - 1)
        lines = [*lines[: limit - 1], f"+ {rest} more: nistpf.trace(inventory).gaps lists them all"]
    return tuple(lines)


def outlier_rows(pram: Pram, limit: int = OUTLIER_ROWS) -> tuple[tuple[str, ...], ...]:
    """The top outliers (NIST PRAM worksheet 3, Risk Prioritization: the problems whose risk is
    among the five highest, ties included) as table rows: a header, then ``data action,
    problem, likelihood, impact, risk`` highest risk first, at most ``limit`` rows and a last
    row saying how many more."""
    rows: list[tuple[str, ...]] = [("Data action", "Problem", "Likelihood", "Impact", "Risk")]
    top = pram.outliers
    for row in top.head(limit).itertuples(index=False):
        rows.append(
            (
                row.data_action,
                row.problem,
                exact(row.likelihood),
                exact(row.impact),
                exact(row.risk),
            )
        )
    if len(top) > limit:
        rows.append((f"+ {len(top) - limit} more top outliers", "", "", "", ""))
    return tuple(rows)


def _risk_note(pram: Pram) -> str:
    actions = pram.data_actions
    return (
        f"NIST PRAM worksheet 3: risk = likelihood ({LIKELIHOOD_SCALE}) × impact (the sum of "
        f"five cost factors, each 1–10). System risk {fixed(pram.total, 0)} over "
        f"{len(actions)} data action{_s(len(actions))}; the top {OUTLIERS} outliers, ties "
        "included, in vermillion."
    )


def method_notes(a: Assessment) -> tuple[tuple[str, str], ...]:
    """How the numbers are computed, as (label, text) pairs for the appendix: the method's
    rows as the register and the report state them (:func:`method_text.method_rows`), with the
    settings ``a`` was scored with."""
    return method_text.method_rows(a)


def source_notes(a: Assessment) -> tuple[tuple[str, str], ...]:
    """Where the numbers come from: framework, input file and hash, nistpf version, counts."""
    from nistpf import __version__

    inv = a.inventory
    manifest = a.framework.manifest
    publication = ", ".join(
        str(manifest[key]) for key in ("publication", "published") if manifest.get(key)
    )
    in_profile = int(a.subcategories["in_profile"].sum())
    return (
        (
            "Framework",
            f"NIST Privacy Framework {a.framework.version}"
            + (f" ({publication})" if publication else ""),
        ),
        ("Input", shown(inv.source) if inv.source else "DataFrames"),
        ("SHA-256", inv.sha256 or "not recorded (the inventory was not read from a file)"),
        ("nistpf", __version__),
        (
            "Scope",
            f"{_n(in_profile, 'in-profile Subcategory')}, "
            f"{_n(a.systems['system'].nunique(), 'system')} in scope, "
            f"{_n(len(inv.controls), 'control')}, {_n(len(inv.flows), 'data flow')}, "
            f"{_n(len(a.findings), 'finding')}",
        ),
    )


def shorten(text: object, limit: int = OUTCOME_LIMIT) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters (with an
    ellipsis when cut)."""
    line = _line(text)
    if len(line) <= limit:
        return line
    cut = line[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:. ")
    return cut + "…"


def _carried(carry_over: object, name: str) -> pd.DataFrame | None:
    """The client's edits ``carry_over`` stands for (a register's path, or edits as a
    DataFrame), checked; ``name`` is the argument's name, for the message."""
    if carry_over is None:
        return None
    if isinstance(carry_over, str | PathLike):
        from nistpf.export.register_edits import read_register_edits

        edits = read_register_edits(carry_over)
        if edits.attrs.get("notes"):
            warnings.warn("; ".join(edits.attrs["notes"]), UserWarning, stacklevel=3)
        return edits
    if not isinstance(carry_over, pd.DataFrame) or "subcategory" not in carry_over.columns:
        raise ValueError(
            f"{name}: expected a DataFrame with a 'subcategory' column and any of "
            f"{', '.join(EDIT_COLUMNS[1:])} (what read_register_edits returns), or the path of "
            "a gap register"
        )
    return carry_over


def _edits_by_subcategory(a: Assessment, edits: pd.DataFrame | None) -> dict[str, dict[str, str]]:
    if edits is None:
        return {}
    carried: dict[str, dict[str, str]] = {}
    for row in edits.to_dict("records"):
        key = _subcategory(a, row.get("subcategory"))
        if not key:
            continue
        values = {column: _cell(row.get(column)) for column in EDIT_COLUMNS[1:]}
        # A later row for the same Subcategory fills in what an earlier one left blank.
        merged = carried.setdefault(key, {})
        merged.update({k: v for k, v in values.items() if v})
    return carried


def _subcategory(a: Assessment, value: Any) -> str:
    text = _cell(value)
    if not text:
        return ""
    try:
        return a.framework.normalize_id(text)
    except NistpfError:
        return text


def _cell(value: Any) -> str:
    """A register cell as plain one-line text: blanks for None/NaN, ISO dates for dates."""
    if value is None:
        return ""
    if isinstance(value, float | int) and not isinstance(value, bool) and pd.isna(value):
        return ""
    if value is pd.NaT:
        return ""
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date().isoformat() if not pd.isna(value) else ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return _line(value)


def _line(value: object) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _flow_line(flows: pd.DataFrame, flow_id: str) -> str:
    match = flows[flows["flow_id"] == flow_id]
    if not len(match):
        return flow_id
    row = match.iloc[0]
    return f"{flow_id}: {_line(row['source'])} → {_line(row['destination'])}"


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _n(count: int, noun: str) -> str:
    """``1 path``, ``2 paths``, ``2 data categories``: a count and its noun, plural unless 1."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {noun[:-1]}ies" if noun.endswith("y") else f"{count} {noun}s"


def _functions_title(weakest: pd.DataFrame, count: int) -> str:
    """``weakest``: the Functions that share the widest gap (one row, or every one tied)."""
    if weakest.empty:
        return "No Function is scored: no outcome in the Target Profile has evidence yet"
    if not weakest["gap"].iloc[0] > 0:
        return (
            "The one Function scored meets its target"
            if count == 1
            else f"Every one of the {count} Functions meets its target"
        )
    if len(weakest) > 1:
        return (
            f"{named(list(weakest['name']), 'Functions')} are each "
            f"{fixed(weakest['gap'].iloc[0])} levels below target, the widest gap of the {count} "
            "Functions"
        )
    return (
        f"{weakest['name'].iloc[0]} is {fixed(weakest['gap'].iloc[0])} levels below target, the "
        f"widest gap of the {count} Functions"
    )


def _flows_title(findings: pd.DataFrame, flagged: int, flows: int, high: int) -> str:
    if not flows:
        return "No data flows are recorded in the inventory"
    if not len(findings):
        return f"No data-flow findings on the {flows} flow{_s(flows)}"
    return (
        f"{len(findings)} data-flow finding{_s(len(findings))} on {flagged} of {flows} "
        f"flow{_s(flows)}; {high} High severity"
    )


def _endpoint(endpoint: object) -> str:
    return _line(endpoint).removeprefix(EXTERNAL_PREFIX)


def _reach_title(traced: Trace) -> str:
    """``traced``: every category's journeys."""
    paths = traced.paths
    if paths.empty:
        return "No customer data category is traced: the flows record none"
    hops = traced.hops
    parties = {d for d in hops["destination"] if str(d).startswith(EXTERNAL_PREFIX)}
    never = int((paths["ending"] == "never disposed").sum())
    reached = (
        f"Customer data reaches {len(parties)} external part{'y' if len(parties) == 1 else 'ies'}"
        if parties
        else "Customer data stays inside the company"
    )
    return (
        f"{reached}; {never} of its {len(paths)} path{_s(len(paths))} "
        f"{'is' if never == 1 else 'are'} never disposed of"
    )


def _risk_title(pram: Pram) -> str:
    actions = pram.data_actions
    if actions.empty:
        return "No data actions: the inventory records no data flows"
    if not pram.total > 0:
        return (
            f"No PRAM rule finds a problem for individuals in the {_n(len(actions), 'data action')}"
        )
    top = actions[actions["rank"] == 1]
    first = top.iloc[0]
    outliers = pram.outliers
    share = percent(first["percent"], 1)
    tail = (
        f"; {len(outliers)} problem{_s(len(outliers))} on "
        f"{outliers['data_action'].nunique()} data action{_s(outliers['data_action'].nunique())}"
        " are the top outliers"
    )
    if len(top) > 1:
        ids = named(list(top["data_action"]), "data actions")
        return (
            f"{ids} tie for the most privacy risk, {exact(first['risk'])} each ({share} of "
            f"{exact(pram.total)})" + tail
        )
    return (
        f"{first['data_action']} ({_endpoint(first['source'])} → "
        f"{_endpoint(first['destination'])}) carries the most privacy risk: "
        f"{exact(first['risk'])} of {exact(pram.total)} ({share})" + tail
    )


def _systems_title(systems: pd.DataFrame) -> str:
    if not len(systems):
        return "No system is in scope"
    tied = systems.loc[leaders(systems["level"], largest=False)]
    if tied.empty:
        return "No system is scored yet: no outcome in the Target Profile has evidence"
    if len(tied) > 1:
        return (
            f"{named([_line(n) for n in tied['name']], 'systems')} share the lowest mean "
            f"level, {fixed(tied['level'].iloc[0])} across the Functions"
        )
    weakest = systems.iloc[0]
    return (
        f"{_line(weakest['name'])} ({weakest['system']}) is the weakest system: mean level "
        f"{fixed(weakest['level'])} across the Functions"
    )


def _gaps_title(
    top: pd.DataFrame, functions: pd.DataFrame, ranked: pd.DataFrame, completeness: Completeness
) -> str:
    """``top``: the gaps shown; ``ranked``: all of them (for how many tie at the top)."""
    if not len(top) and completeness.excluded and completeness.missing:
        return (
            f"No scored outcome is below target; the {completeness.missing} without evidence "
            "are not ranked (see the register)"
        )
    if not len(top):
        return "No gaps: every in-profile Subcategory meets its target"
    names = functions.set_index("function")["name"]
    counts = top["function"].value_counts().reindex(functions["function"], fill_value=0)
    leading = counts.idxmax()  # the first Function in framework order with the most gaps
    points = f"{fixed(top.iloc[0]['gap_points'])} gap points"
    if (top["rank"] == 1).sum() > 1:
        # Tied at the top: all of them, never one singled out (the full ranking, not the ten
        # shown, says how many tie).
        lead = f"{tie_phrase(ranked, 'leads', 'tie for the largest')} ({points})"
    else:
        lead = f"led by {top.iloc[0]['subcategory']} ({points})"
    last = top["rank"].iloc[-1]
    if (ranked["rank"] == last).sum() > (top["rank"] == last).sum():
        # The cut falls inside a tie: which tied gaps are shown is the framework's order, not
        # a finding, so no count by Function is drawn from them.
        return f"The {len(top)} largest gaps, ties in the framework's order; {lead}"
    return (
        f"The {len(top)} largest gaps: {counts[leading]} in {names.get(leading, leading)}; {lead}"
    )


def _roadmap_title(table: pd.DataFrame, counts: Mapping[str, int]) -> str:
    first = next((p for p in PRIORITIES if counts[p]), None)
    if first is None:
        return "Roadmap: no gaps to close"
    assigned = int((table["owner"] != TO_BE_ASSIGNED).sum())
    rest = ", ".join(f"{counts[p]} {p}" for p in PRIORITIES if p != first and counts[p])
    owners = f"{assigned} of {len(table)} have an owner" if assigned else "owners to be assigned"
    return (
        f"Roadmap: close {counts[first]} {first}-priority gap{_s(counts[first])} first"
        + (f", then {rest}" if rest else "")
        + f"; {owners}"
    )
