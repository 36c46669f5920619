"""The data-flow diagram: customer data as it moves between systems, laid out by Graphviz's dot.

:func:`flow_diagram` draws a whole inventory, :func:`journey_diagram` one data category's trace,
and :func:`render` turns either into SVG or PNG bytes. The diagrams are ``graphviz.Digraph``
objects: their DOT text (``.source``) is deterministic (sorted, stable node IDs), so a test or a
reviewer can read it; laying it out needs Graphviz's ``dot`` (:func:`dot_available`).

What the picture shows (a data-flow diagram in the usual sense: systems as rounded boxes,
external entities as plain rectangles, flows as arrows):

- **Boundary** (the outer boxes). A system is *internal* when the company runs it: its hosting
  begins with "on-prem" (licensed software in the company's own data centre, whoever the
  vendor), or its vendor is blank or begins with "in-house" / "internal" (built and run by the
  company, even on its own cloud tenancy such as Azure). Every other system is a *vendor or
  processor*: a named vendor runs it (SaaS, a BPO site, a vendor's cloud). *External parties*
  are the ``external:<party>`` endpoints of the DataFlows sheet (customers, recipients).
  *Not in the Systems sheet* holds endpoints that name no listed system: a gap in the inventory
  to fix, drawn with a vermillion dashed outline.
- **System type** (inner dashed boxes): within a boundary, two or more systems of one type share
  a box labelled with the type; a type with one system sits in the boundary directly.
- **Arrow**: every flow between the same two nodes (and of the same kind, disposal or not) is one
  arrow. Its label gives the flow IDs (up to three) or the number of flows, and the data category
  groups carried: the Fides taxonomy's top two levels (``user.contact.email`` → "contact",
  ``user.financial.credit_card`` → "financial", ``system.operations`` → "system operations");
  a category that is not a Fides key is shown as written, shortened.
- **Colour** of an arrow: the worst finding severity on any of its flows (High vermillion,
  Medium orange, Low yellow, none grey; nistpf.findings rules), or, when ``flow_risk`` is given,
  the worst NIST PRAM risk band of its flows (NIST Privacy Risk Assessment Methodology,
  worksheet 3 "Risk per Data Action", summed per flow): High when the risk is at least two thirds
  of the largest flow risk, Medium at least one third, Low above zero, none at zero or unknown.
  Heavier lines for worse bands, so the order survives a grey-scale print.
- **Disposal** (NISTIR 8062 data action "disposal", stage ``disposal``): dashed arrows. A
  disposal flow from a system to itself (deleted in place) is a dashed arrow to the one
  "Disposed of" node rather than a loop.
- **Aggregation**: beyond ``max_systems`` system nodes (listed systems that appear in a flow,
  plus unknown endpoints) the systems of each boundary are merged by type (or by owner), one
  node per group ("CRM × 37 systems"); arrows between groups merge the same way, with counts and
  the worst colour. Beyond ``max_parties`` external parties, the parties with the fewest flows
  merge into one "+ N external parties" node. The graph's title line says so.

Every text from the client's workbook goes into Graphviz HTML-like labels with ``&``, ``<``,
``>``, quotes, backslashes, braces and bars written as character references, line breaks and
other control characters made visible or spaces, and long names cut with an ellipsis: a name
cannot end a label or start DOT statements. Node IDs are built from ``[A-Za-z0-9_]`` only.
"""

from __future__ import annotations

import math
import re
import shutil
import textwrap
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import graphviz
import pandas as pd

from nistpf.errors import ImageExportError, NistpfError, shown
from nistpf.findings import SEVERITIES, evaluate_findings
from nistpf.inventory.model import Inventory
from nistpf.inventory.schema import EXTERNAL_PREFIX

BOUNDARIES = ("internal", "vendor", "external", "unknown")
BOUNDARY_TITLES = {
    "internal": "Internal: run by the company (in-house or on-premises)",
    "vendor": "Vendors and processors (a named vendor runs it: SaaS, BPO, vendor cloud)",
    "external": "External parties",
    "unknown": "Not in the Systems sheet: add them, or correct the flow",
}
BOUNDARY_STYLE = {  # (fill, outline, style)
    "internal": ("#EAF3FB", "#0072B2", "rounded,filled"),
    "vendor": ("#FDF3E1", "#E69F00", "rounded,filled"),
    "external": ("#EAF6F1", "#009E73", "rounded,filled"),
    "unknown": ("#FBE9E0", "#D55E00", "rounded,filled,dashed"),
}
# Okabe-Ito colours, as the charts use them; Low is a darker yellow so a line shows on white.
BAND_COLORS = {"High": "#D55E00", "Medium": "#E69F00", "Low": "#C8B400", None: "#8C8C8C"}
BAND_WIDTHS = {"High": 2.8, "Medium": 2.2, "Low": 1.7, None: 1.2}
BANDS = (*SEVERITIES, None)  # worst first
GROUP_BY = ("type", "owner")
MAX_SYSTEMS = 40
MAX_PARTIES = 12
MAX_EDGES = 60
FONT = "Liberation Sans,Arial,Helvetica,sans-serif"
DISPOSAL = "DISPOSAL"
MORE_PARTIES = "X__more"  # a party's own ID never has two underscores in a row
NAME_LIMIT = 60  # characters of a name from the workbook; longer names end in "…"
WRAP = 22  # characters per line of a node's name
INSTALL = "install Graphviz: apt-get install graphviz / brew install graphviz"

_FIDES_KEY = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*")
_ENTITIES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "'": "&#39;",
    "\\": "&#92;",
    "{": "&#123;",
    "}": "&#125;",
    "|": "&#124;",
}
_INTERNAL_VENDORS = ("in-house", "in house", "inhouse", "internal")
_ON_PREMISES = ("on-prem", "on prem", "onprem")


class DiagramError(NistpfError, ValueError):
    """A diagram was asked for with arguments it cannot draw (an unknown ``group_by`` or
    format, hops without the trace's columns)."""

    code = "diagram-invalid"


class GraphvizMissingError(ImageExportError):
    """Graphviz's ``dot`` is not installed, so a diagram cannot be laid out."""

    code = "graphviz-missing"

    def __init__(self) -> None:
        super().__init__(f"cannot draw the data-flow diagram: Graphviz's dot is missing; {INSTALL}")


class DiagramRenderError(ImageExportError):
    """Graphviz's ``dot`` ran and failed."""

    code = "diagram-render-failed"


# -- the rules ------------------------------------------------------------------------------


def system_boundary(vendor: object, hosting: object) -> str:
    """``"internal"`` or ``"vendor"`` for a listed system, by the module's boundary rule:
    internal when ``hosting`` begins with "on-prem" (any spelling: "On-premises", "on prem")
    or ``vendor`` is blank or begins with "in-house" / "internal"; otherwise vendor."""
    vendor_text, hosting_text = _plain(vendor).casefold(), _plain(hosting).casefold()
    if hosting_text.startswith(_ON_PREMISES):
        return "internal"
    if not vendor_text or vendor_text.startswith(_INTERNAL_VENDORS):
        return "internal"
    return "vendor"


def category_group(category: object) -> str:
    """The group an arrow names for a data category: for a Fides key, its top two levels
    (``user.contact.email`` → ``"contact"``, ``user`` → ``"user"``, ``system.operations.x`` →
    ``"system operations"``; underscores as spaces); any other label as written, on one line,
    cut at 24 characters."""
    text = _plain(category)
    if _FIDES_KEY.fullmatch(text):
        parts = text.split(".")
        words = parts[1:2] if parts[0] == "user" and len(parts) > 1 else parts[:2]
        return " ".join(words).replace("_", " ")
    return _short(text, 24)


def flow_bands(
    flows: pd.DataFrame, findings: pd.DataFrame | None, flow_risk: object = None
) -> tuple[dict[str, str | None], str]:
    """Each flow's colour band (``"High"``, ``"Medium"``, ``"Low"`` or None) and a line saying
    how bands were cut. Without ``flow_risk``: the worst severity among ``findings`` (columns
    ``flow_id``, ``severity``) on the flow. With it (a Series or mapping flow_id → risk, higher
    worse; NIST PRAM risk per flow): High at ≥ ⅔ of the largest risk, Medium at ≥ ⅓, Low above
    0, None at 0, NaN or no value. Raises :class:`DiagramError` for a ``flow_risk`` that is no
    mapping."""
    ids = [str(f) for f in flows["flow_id"]]
    if flow_risk is None:
        rank = {s: i for i, s in enumerate(SEVERITIES)}
        worst: dict[str, str | None] = dict.fromkeys(ids)
        if findings is not None and len(findings):
            for flow_id, severity in zip(findings["flow_id"], findings["severity"], strict=True):
                key = str(flow_id)
                if severity in rank and key in worst:
                    current = worst[key]
                    if current is None or rank[severity] < rank[current]:
                        worst[key] = severity
        return worst, "worst finding severity on the flow (nistpf findings rules)"
    if not isinstance(flow_risk, pd.Series | Mapping):
        raise DiagramError(
            f"flow_risk must be a pandas Series (or dict) of flow ID → PRAM risk, not "
            f"{type(flow_risk).__name__}; pass Pram.flow_risk"
        )
    series = pd.Series(flow_risk, dtype=object)
    risk = pd.to_numeric(series, errors="coerce")
    by_id = {str(k): float(v) for k, v in risk.items() if not pd.isna(v)}
    values = [by_id.get(i, math.nan) for i in ids]
    top = max((v for v in values if not math.isnan(v)), default=0.0)
    bands: dict[str, str | None] = {}
    for flow_id, value in zip(ids, values, strict=True):
        if math.isnan(value) or value <= 0 or top <= 0:
            bands[flow_id] = None
        elif value >= top * 2 / 3:
            bands[flow_id] = "High"
        elif value >= top / 3:
            bands[flow_id] = "Medium"
        else:
            bands[flow_id] = "Low"
    cut = (
        f"NIST PRAM risk per flow: High ≥ {_num(top * 2 / 3)}, Medium ≥ {_num(top / 3)} "
        f"(thirds of the largest, {_num(top)}), Low > 0"
    )
    return bands, cut


# -- the diagrams ---------------------------------------------------------------------------


@dataclass
class _Node:
    key: str  # the endpoint as the DataFlows sheet writes it, or a group's key
    boundary: str
    group: str  # the type (or owner) a node is boxed or aggregated by
    label: str  # an HTML-like label's inside, already escaped
    shape: str = "box"
    style: str = "rounded,filled"
    color: str = "#444444"
    members: int = 1


@dataclass
class _Edge:
    tail: str
    head: str
    disposal: bool
    flows: list[str] = field(default_factory=list)
    groups: set[str] = field(default_factory=set)
    steps: list[str] = field(default_factory=list)  # journey labels


def flow_diagram(
    inventory: Inventory,
    *,
    findings: pd.DataFrame | None = None,
    flow_risk: pd.Series | Mapping | None = None,
    max_systems: int = MAX_SYSTEMS,
    group_by: str | None = None,
    max_parties: int = MAX_PARTIES,
    max_edges: int = MAX_EDGES,
) -> graphviz.Digraph:
    """The inventory's data flows as a Graphviz digraph (rules in the module docstring).

    ``inventory.flows`` columns used: ``flow_id``, ``source``, ``destination``,
    ``data_categories`` (tuple), ``stage``; ``inventory.systems``: ``system_id``, ``name``,
    ``type``, ``owner``, ``vendor``, ``hosting``, ``in_scope``. ``findings``: a findings table
    (``flow_id``, ``severity``); None evaluates the package's rules on ``inventory``.
    ``flow_risk``: NIST PRAM risk per flow (``Pram.flow_risk``); given, it colours the arrows
    instead of the findings. ``max_systems``: more system nodes than this are aggregated by
    ``group_by`` (``"type"``, the default, or ``"owner"``). ``max_parties``: more external
    parties than this are partly merged into one node.

    Node IDs: ``S_<id>`` listed system, ``U_<id>`` endpoint not in Systems, ``X_<party>``
    external party, ``G_<boundary>_<group>`` aggregated group, ``X__more`` the merged parties,
    ``DISPOSAL``; ``<id>`` is the text with every run of characters other than
    ``A-Z a-z 0-9`` written ``_`` (``CRM-01`` → ``S_CRM_01``), cut at 40 characters and a
    digest, and numbered ``_2``, ``_3`` in sorted order if two texts meet. Raises
    :class:`DiagramError` for an unknown ``group_by`` or a ``max_systems`` below 0."""
    if group_by is not None and group_by not in GROUP_BY:
        raise DiagramError(
            f"group_by must be one of {', '.join(GROUP_BY)} or None, not {group_by!r}"
        )
    if isinstance(max_systems, bool) or not isinstance(max_systems, int) or max_systems < 0:
        raise DiagramError(f"max_systems must be a whole number ≥ 0, not {max_systems!r}")
    flows = inventory.flows
    if findings is None and flow_risk is None:
        findings = evaluate_findings(inventory)
    bands, band_rule = flow_bands(flows, findings, flow_risk)
    systems = _systems(inventory)
    endpoints = _endpoints(flows)
    listed = sorted(e for e in endpoints if e in systems)
    unknown = sorted(e for e in endpoints if e not in systems and not _is_external(e))
    parties = Counter()
    for source, destination in zip(flows["source"], flows["destination"], strict=True):
        for end in {_plain(source), _plain(destination)}:
            if _is_external(end):
                parties[end] += 1
    aggregated = len(listed) + len(unknown) > max_systems
    key = group_by or "type"
    nodes: dict[str, _Node] = {}  # endpoint → its node
    if aggregated:
        groups: dict[tuple[str, str], list[str]] = {}
        for system_id in listed:
            row = systems[system_id]
            groups.setdefault((row["boundary"], _plain(row[key]) or f"(no {key})"), []).append(
                system_id
            )
        for (bound, group), members in groups.items():
            node = _group_node(bound, group, len(members))
            for system_id in members:
                nodes[system_id] = node
        if unknown:
            node = _group_node("unknown", "not in Systems", len(unknown))
            for endpoint in unknown:
                nodes[endpoint] = node
    else:
        for system_id in listed:
            nodes[system_id] = _system_node(system_id, systems[system_id])
        for endpoint in unknown:
            nodes[endpoint] = _unknown_node(endpoint)
    kept = sorted(parties, key=lambda p: (-parties[p], p))
    limit = max(1, max_parties)
    merged_parties = kept[limit - 1 :] if len(kept) > limit else []
    for party in kept:
        nodes[party] = _party_node(party)
    if merged_parties:
        more = _Node(
            MORE_PARTIES,
            "external",
            "",
            f"<B>+ {len(merged_parties):,} external parties</B>"
            f"<BR/>{_small('fewer flows each; see the DataFlows sheet')}",
            shape="box",
            style="filled",
            color=BOUNDARY_STYLE["external"][1],
            members=len(merged_parties),
        )
        for party in merged_parties:
            nodes[party] = more
    ids = _node_ids(nodes.values(), systems_mode=not aggregated)
    edges: dict[tuple[str, str, bool], _Edge] = {}
    for flow in flows.itertuples(index=False):
        source, destination = _plain(flow.source), _plain(flow.destination)
        disposal = _plain(flow.stage).casefold() == "disposal"
        tail = ids[id(nodes[source])]
        head = DISPOSAL if disposal and source == destination else ids[id(nodes[destination])]
        edge = edges.setdefault((tail, head, disposal), _Edge(tail, head, disposal))
        edge.flows.append(_plain(flow.flow_id))
        edge.groups.update(category_group(c) for c in _categories(flow.data_categories))
    drawn = _heaviest(edges, bands, max_edges)
    graph = _digraph("data_flows")
    title = _title_lines(inventory, listed, unknown, kept, flows, aggregated, key, nodes, ids)
    if len(drawn) < len(edges):
        left = sum(len(e.flows) for k, e in edges.items() if k not in drawn)
        title.append(
            f"The {len(drawn):,} worst of {len(edges):,} arrows drawn (worst colour, then most "
            f"flows); {left:,} flows in the other {len(edges) - len(drawn):,} are not drawn"
        )
    boundaries = {n.boundary for n in nodes.values()}
    graph.attr(label=_heading(title, _legend(band_rule, boundaries)))
    disposal = any(e.head == DISPOSAL for e in drawn.values())
    if disposal:
        graph.node(DISPOSAL, **_disposal_attrs())
    column = _layout(
        graph,
        nodes.values(),
        ids,
        drawn,
        type_boxes=not aggregated,
        others=[DISPOSAL] if disposal else [],
        senders={tail for tail, _, _ in edges},
    )
    for key_ in sorted(drawn):
        edge = edges[key_]
        bands_ = [bands.get(f) for f in edge.flows]
        _draw_edge(graph, edge, bands_, column, compact=aggregated)
    return graph


def _heaviest(
    edges: dict[tuple[str, str, bool], _Edge], bands: Mapping[str, str | None], limit: int
) -> dict[tuple[str, str, bool], _Edge]:
    """The ``limit`` arrows to draw when there are more: worst band first, then most flows."""
    if len(edges) <= limit:
        return edges
    rank = {band: i for i, band in enumerate(BANDS)}

    def weight(key: tuple[str, str, bool]) -> tuple:
        found = {bands.get(f) for f in edges[key].flows}
        worst = min((rank[b] for b in found), default=rank[None])
        return (worst, -len(edges[key].flows), key)

    return {key: edges[key] for key in sorted(edges, key=weight)[: max(0, limit)]}


def journey_diagram(
    hops: pd.DataFrame,
    inventory: Inventory,
    *,
    findings: pd.DataFrame | None = None,
    title: str | None = None,
) -> graphviz.Digraph:
    """One journey (the hops of one data category's trace) as its own diagram.

    ``hops``: ``Trace.hops`` rows; the columns used are ``category``, ``path``, ``step``,
    ``flow_id``, ``source``, ``destination``, ``stage``, ``action`` (NISTIR 8062 data action),
    ``findings`` (tuple of finding IDs). Each distinct hop (flow) is one arrow, labelled with its
    step(s) along the paths, the flow ID and the data action (and the stage where it differs);
    coloured by its worst finding (``findings``, or the package's rules on ``inventory`` when
    None). Where each path ends is marked: the "Disposed of" node (a disposal hop), "Leaves the
    company" (the path ends at an external party), "Never disposed" (neither; vermillion).
    Nodes and boundaries as in :func:`flow_diagram`, never aggregated. Raises
    :class:`DiagramError` when ``hops`` lacks a column."""
    needed = ("category", "path", "step", "flow_id", "source", "destination", "stage", "action")
    missing = [c for c in (*needed, "findings") if c not in getattr(hops, "columns", ())]
    if missing:
        raise DiagramError(
            f"the hops table lacks the column(s) {', '.join(missing)}; pass Trace.hops from "
            "nistpf.trace"
        )
    if findings is None:
        findings = evaluate_findings(inventory)
    severity = dict(zip(findings["finding_id"].astype(str), findings["severity"], strict=True))
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    systems = _systems(inventory)
    frame = hops.sort_values(["path", "step"], kind="stable", key=_natural_key)
    nodes: dict[str, _Node] = {}
    for end in sorted({_plain(v) for v in (*frame["source"], *frame["destination"])}):
        if _is_external(end):
            nodes[end] = _party_node(end)
        elif end in systems:
            nodes[end] = _system_node(end, systems[end])
        else:
            nodes[end] = _unknown_node(end)
    ids = _node_ids(nodes.values(), systems_mode=True)
    edges: dict[tuple[str, str, bool], _Edge] = {}
    worst: dict[tuple[str, str, bool], str | None] = {}
    endings: dict[str, set[str]] = {}
    for _path, rows in frame.groupby("path", sort=False):
        rows = rows.reset_index(drop=True)
        for row in rows.itertuples(index=False):
            source, destination = _plain(row.source), _plain(row.destination)
            disposal = "disposal" in (_plain(row.stage).casefold(), _plain(row.action).casefold())
            tail = ids[id(nodes[source])]
            head = DISPOSAL if disposal and source == destination else ids[id(nodes[destination])]
            key = (tail, head, disposal)
            edge = edges.setdefault(key, _Edge(tail, head, disposal))
            flow_id = _plain(row.flow_id)
            if flow_id not in edge.flows:
                edge.flows.append(flow_id)
            action, stage = _plain(row.action), _plain(row.stage)
            step = f"step {_plain(row.step)}: {_short(action, 20) or 'flow'}"
            if stage and stage.casefold() != action.casefold():
                step += f" ({_short(stage, 16)})"
            if step not in edge.steps:
                edge.steps.append(step)
            for finding in row.findings if isinstance(row.findings, tuple | list) else ():
                level = severity.get(str(finding))
                if level in rank and (
                    worst.get(key) is None or rank[level] < rank[worst[key]]  # type: ignore[index]
                ):
                    worst[key] = level
        last = rows.iloc[-1]
        end, stage = _plain(last["destination"]), _plain(last["stage"]).casefold()
        if stage == "disposal" or _plain(last["action"]).casefold() == "disposal":
            if end != _plain(last["source"]):
                endings.setdefault("disposed", set()).add(ids[id(nodes[end])])
            else:
                endings.setdefault("disposed", set())
        elif _is_external(end):
            endings.setdefault("leaves", set()).add(ids[id(nodes[end])])
        else:
            endings.setdefault("kept", set()).add(ids[id(nodes[end])])
    categories = sorted({_plain(c) for c in frame["category"]} - {""})
    name = ", ".join(categories) or "the data category"
    heading = title if title is not None else f"Journey of {name}"
    paths = frame["path"].nunique()
    sub = f"{paths} path{'s' * (paths != 1)}, {len(edges)} hop{'s' * (len(edges) != 1)}"
    graph = _digraph("journey")
    legend = _legend("worst finding severity", {n.boundary for n in nodes.values()}, endings=True)
    graph.attr(label=_heading([_short(heading, 120), sub], legend))
    disposal = "disposed" in endings or any(e.head == DISPOSAL for e in edges.values())
    if disposal:
        graph.node(DISPOSAL, **_disposal_attrs())
    column = _layout(
        graph,
        nodes.values(),
        ids,
        edges,
        type_boxes=False,
        others=[DISPOSAL] if disposal else [],
        senders={tail for tail, _, _ in edges},
    )
    for key in sorted(edges):
        _draw_edge(graph, edges[key], [worst.get(key)], column, compact=False, journey=True)
    ends = {
        "leaves": ("END_LEAVES", "Leaves the company", "no further record", "#009E73"),
        "kept": ("END_KEPT", "Never disposed", "no disposal flow recorded", BAND_COLORS["High"]),
    }
    for kind in ("disposed", "leaves", "kept"):
        if kind not in endings:
            continue
        target = DISPOSAL
        if kind in ends:
            target, text, note, color = ends[kind]
            graph.node(
                target,
                label=f"<<B>{text}</B><BR/>{_small(note)}>",
                shape="box",
                style="rounded,bold",
                color=color,
                fontcolor=color,
            )
        for tail in sorted(endings[kind]):
            graph.edge(tail, target, style="dotted", color="#666666", arrowhead="empty")
    if not len(frame):
        graph.node("EMPTY", label="<No flow carries this data category>", shape="plaintext")
    return graph


def dot_available() -> bool:
    """Whether Graphviz's ``dot`` is on the PATH (what :func:`render` runs)."""
    return shutil.which("dot") is not None


def render(digraph: graphviz.Digraph, fmt: str = "svg", *, dpi: int = 144) -> bytes:
    """``digraph`` laid out by Graphviz's ``dot``, as SVG or PNG bytes (``fmt``; ``dpi`` for
    PNG only). Raises :class:`GraphvizMissingError` (with the fix: install Graphviz) when
    ``dot`` is missing, :class:`DiagramRenderError` when it fails, :class:`DiagramError` for
    another format."""
    if fmt not in ("svg", "png"):
        raise DiagramError(f"fmt must be 'svg' or 'png', not {fmt!r}")
    graph = digraph
    if fmt == "png":
        graph = digraph.copy()
        graph.attr(dpi=str(int(dpi)))
    try:
        return graph.pipe(format=fmt, engine="dot", quiet=True)
    except graphviz.ExecutableNotFound:
        raise GraphvizMissingError() from None
    except graphviz.CalledProcessError as error:
        detail = shown((error.stderr or b"").decode("utf-8", "replace").strip())[:300]
        raise DiagramRenderError(
            f"Graphviz's dot could not lay out the diagram ({detail or error.returncode}); "
            f"check the Graphviz installation ({INSTALL})"
        ) from None


# -- nodes ----------------------------------------------------------------------------------


def _systems(inventory: Inventory) -> dict[str, dict]:
    """Listed systems by ID (the first row of a repeated ID), with their boundary."""
    found: dict[str, dict] = {}
    for row in inventory.systems.to_dict("records"):
        system_id = _plain(row.get("system_id"))
        if system_id and system_id not in found:
            row["boundary"] = system_boundary(row.get("vendor"), row.get("hosting"))
            found[system_id] = row
    return found


def _endpoints(flows: pd.DataFrame) -> set[str]:
    return {_plain(v) for v in (*flows["source"], *flows["destination"])}


def _is_external(endpoint: str) -> bool:
    return endpoint.startswith(EXTERNAL_PREFIX)


def _system_node(system_id: str, row: Mapping) -> _Node:
    name = _lines(row.get("name") or system_id)
    kind = _plain(row.get("type"))
    detail = " · ".join(_esc(_short(t, 28)) for t in (system_id, kind) if t)
    lines = [f"<B>{name}</B>", _small(detail, escaped=True)]
    out_of_scope = row.get("in_scope") is False or _plain(row.get("in_scope")) == "False"
    if out_of_scope:
        lines.append(_small("out of scope", color="#8C8C8C"))
    style = "rounded,filled,dashed" if out_of_scope else "rounded,filled"
    return _Node(system_id, row["boundary"], kind, "<BR/>".join(lines), style=style)


def _unknown_node(endpoint: str) -> _Node:
    label = f"<B>{_lines(endpoint or '(blank)')}</B><BR/>{_small('not in the Systems sheet')}"
    return _Node(
        endpoint, "unknown", "", label, style="rounded,filled,dashed,bold", color="#D55E00"
    )


def _party_node(endpoint: str) -> _Node:
    party = endpoint[len(EXTERNAL_PREFIX) :].strip() or "(unnamed party)"
    label = f"<B>{_lines(party)}</B><BR/>{_small('external party')}"
    return _Node(endpoint, "external", "", label, style="filled", color="#009E73")


def _group_node(boundary: str, group: str, count: int) -> _Node:
    noun = "system" if count == 1 else "systems"
    label = f"<B>{_lines(group)} × {count:,}</B><BR/>{_small(f'{count:,} {noun}')}"
    style = "rounded,filled,dashed,bold" if boundary == "unknown" else "rounded,filled"
    color = "#D55E00" if boundary == "unknown" else "#444444"
    return _Node(f"{boundary}\x00{group}", boundary, group, label, style=style, color=color,
                 members=count)  # fmt: skip


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_") or "x"
    if len(slug) > 40:
        import hashlib

        slug = (
            f"{slug[:31]}_{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"
        )
    return slug


def _node_ids(nodes: Iterable[_Node], *, systems_mode: bool) -> dict[int, str]:
    """Stable DOT IDs for the distinct nodes, keyed by ``id(node)`` (see :func:`flow_diagram`)."""
    distinct = {id(n): n for n in nodes}
    wanted: list[tuple[str, str, int]] = []
    for key, node in distinct.items():
        if node.key == MORE_PARTIES:
            wanted.append((MORE_PARTIES, node.key, key))
        elif node.boundary == "external":
            wanted.append((f"X_{_slug(node.key[len(EXTERNAL_PREFIX) :])}", node.key, key))
        elif "\x00" in node.key:
            bound, group = node.key.split("\x00", 1)
            wanted.append((f"G_{bound}_{_slug(group)}", node.key, key))
        elif node.boundary == "unknown":
            wanted.append((f"U_{_slug(node.key)}", node.key, key))
        else:
            wanted.append((f"S_{_slug(node.key)}", node.key, key))
    used = {DISPOSAL}
    ids: dict[int, str] = {}
    for want, _raw, key in sorted(wanted):
        name, number = want, 1
        while name in used:
            number += 1
            name = f"{want}_{number}"
        used.add(name)
        ids[key] = name
    return ids


def _columns(
    nodes: dict[str, _Node], edges: Iterable[tuple[str, str, bool]], senders: set[str]
) -> dict[str, int]:
    """The column (dot rank, left to right) of every node ID in ``nodes`` and of
    :data:`DISPOSAL`: external parties that send data (``senders``) in column 0; a system at
    its shortest number of flows from them (a system nothing reaches starts a column-1 walk
    of its own, those with no inbound flow first); external parties that only receive data, and the
    disposal node, in one last column. Arrows that would go right to left (or stay in their
    column) do not move nodes, so the diagram is as wide as its shortest paths, not its
    longest."""
    external = {i for i, n in nodes.items() if n.boundary == "external"}
    forward: dict[str, set[str]] = {}
    inbound: Counter = Counter()
    column: dict[str, int] = dict.fromkeys(sorted(external & senders), 0)
    for tail, head, _ in edges:
        if head in (DISPOSAL, tail) or head in external:
            continue
        forward.setdefault(tail, set()).add(head)
        inbound[head] += 1

    def walk(queue: deque) -> None:
        while queue:
            tail = queue.popleft()
            for head in sorted(forward.get(tail, ())):
                if head not in column:
                    column[head] = column[tail] + 1
                    queue.append(head)

    walk(deque(sorted(column)))
    for start in sorted((i for i in nodes if i not in external), key=lambda i: (inbound[i] > 0, i)):
        if start not in column:
            column[start] = 1
            walk(deque([start]))
    last = max(column.values(), default=0) + 1
    for node_id in (*nodes, DISPOSAL):
        column.setdefault(node_id, last)
    return column


def _layout(
    graph: graphviz.Digraph,
    nodes: Iterable[_Node],
    ids: dict[int, str],
    edge_keys: Iterable[tuple[str, str, bool]],
    *,
    type_boxes: bool,
    others: Iterable[str] = (),
    senders: Iterable[str] = (),
) -> dict[str, int]:
    """Draw the nodes in their boundary boxes (external parties in two: where data comes from,
    where it goes to), pin each column with ``rank=same``, and return the columns."""
    by_id = {ids[id(n)]: n for n in nodes}
    column = _columns(by_id, edge_keys, set(senders))
    ordered = sorted(by_id.items())
    boxes: list[tuple[str, str, list[tuple[str, _Node]]]] = []
    for bound in BOUNDARIES:
        members = [(i, n) for i, n in ordered if n.boundary == bound]
        if bound == "external":
            sending = [(i, n) for i, n in members if column[i] == 0]
            receiving = [(i, n) for i, n in members if column[i] != 0]
            boxes.append(("external_from", "External parties: data comes from", sending))
            boxes.append(("external_to", "External parties: data goes to", receiving))
        else:
            boxes.append((bound, BOUNDARY_TITLES[bound], members))
    for name, title, members in boxes:
        if not members:
            continue
        fill, outline, style = BOUNDARY_STYLE[members[0][1].boundary]
        with graph.subgraph(name=f"cluster_{name}") as box:
            box.attr(
                label=f"<<B>{_esc(title)}</B>>",
                style=style,
                fillcolor=fill,
                color=outline,
                penwidth="1.6",
                fontsize="14",
                labeljust="l",
                margin="10",
            )
            by_group: dict[str, list[tuple[str, _Node]]] = {}
            for node_id, node in members:
                by_group.setdefault(node.group, []).append((node_id, node))
            for group in sorted(by_group):
                inner = by_group[group]
                if type_boxes and group and len(inner) > 1 and name in ("internal", "vendor"):
                    with box.subgraph(name=f"cluster_{name}_t_{_slug(group)}") as sub:
                        sub.attr(
                            label=f"<{_esc(_short(group, 40))}>",
                            style="rounded,dashed",
                            color="#999999",
                            fontsize="12",
                            labeljust="l",
                        )
                        for node_id, node in inner:
                            _draw_node(sub, node_id, node)
                else:
                    for node_id, node in inner:
                        _draw_node(box, node_id, node)
    drawn = set(by_id) | set(others)
    previous: str | None = None
    for number in sorted(set(column.values())):
        same = sorted(i for i, c in column.items() if c == number and i in drawn)
        if len(same) > 1:
            with graph.subgraph() as rank:
                rank.attr(rank="same")
                for node_id in same:
                    rank.node(node_id)
        if same and previous is not None:  # keeps the columns in order when no arrow does
            graph.edge(previous, same[0], style="invis")
        previous = same[0] if same else previous
    return column


def _draw_node(graph: graphviz.Digraph, node_id: str, node: _Node) -> None:
    graph.node(
        node_id,
        label=f"<{node.label}>",
        shape=node.shape,
        style=node.style,
        fillcolor="#FFFFFF",
        color=node.color,
    )


def _disposal_attrs() -> dict[str, str]:
    return {
        "label": f"<<B>Disposed of</B><BR/>{_small('deleted or destroyed in place')}>",
        "shape": "box",
        "style": "rounded,dashed,filled",
        "fillcolor": "#F2F2F2",
        "color": "#666666",
    }


# -- edges ----------------------------------------------------------------------------------


def _draw_edge(
    graph: graphviz.Digraph,
    edge: _Edge,
    bands: list[str | None],
    column: dict[str, int],
    *,
    compact: bool,
    journey: bool = False,
) -> None:
    worst = next((b for b in BANDS if b in bands), None)
    count = len(edge.flows)
    lines: list[str] = []
    if journey:
        lines.append(_small(", ".join(_short(f, 16) for f in edge.flows[:3])))
        lines += [_esc(s) for s in edge.steps[:4]]
        if len(edge.steps) > 4:
            lines.append(_esc(f"+ {len(edge.steps) - 4} more steps"))
    else:
        head = "disposal: " if edge.disposal else ""
        if count <= 3 and not compact:
            flows = ", ".join(_short(f, 16) for f in sorted(edge.flows, key=_natural))
            head += f"{count} flows: {flows}" if count > 1 else flows
        else:
            head += f"{count:,} flow{'s' * (count != 1)}"
            if worst is not None:
                head += f" ({sum(1 for b in bands if b == worst):,} {worst})"
        lines.append(_small(head, color=BAND_COLORS[worst]))
        groups = sorted(g for g in edge.groups if g)
        if not compact or len(groups) <= 3:
            wrapped = textwrap.wrap(", ".join(groups), 24) or ["(no category)"]
            lines += [_esc(line) for line in wrapped[:4]]
    forward = column[edge.head] > column[edge.tail]
    # A forward arrow's label takes a place of its own in the layout (never overlapping); an
    # arrow within a column or back to the left is not laid out, so its label floats (xlabel).
    text = {"label" if forward else "xlabel": f"<{'<BR/>'.join(lines)}>"}
    graph.edge(
        edge.tail,
        edge.head,
        **text,
        color=BAND_COLORS[worst],
        fontcolor="#333333",
        penwidth=str(BAND_WIDTHS[worst]),
        style="dashed" if edge.disposal else "solid",
        constraint="true" if forward else "false",
    )


# -- the graph, its title and legend --------------------------------------------------------


def _digraph(name: str) -> graphviz.Digraph:
    graph = graphviz.Digraph(name=name, engine="dot")
    graph.attr(
        rankdir="LR",
        newrank="true",
        fontname=FONT,
        fontsize="13",
        labelloc="t",
        labeljust="l",
        nodesep="0.25",
        ranksep="0.45",
        forcelabels="true",
        pad="0.3",
        bgcolor="white",
    )
    graph.attr("node", fontname=FONT, fontsize="13", margin="0.12,0.06")
    graph.attr("edge", fontname=FONT, fontsize="11", arrowsize="0.8")
    return graph


def _title_lines(inventory, listed, unknown, parties, flows, aggregated, key, nodes, ids) -> list:
    client = (
        _plain(inventory.about_value("client", "")) if hasattr(inventory, "about_value") else ""
    )
    lines = [_short(f"Customer data flows{': ' + client if client else ''}", 120)]
    facts = (
        f"{len(listed):,} systems, {len(flows):,} flows, {len(parties):,} external part"
        f"{'ies' if len(parties) != 1 else 'y'}"
    )
    if unknown:
        facts += f", {len(unknown):,} endpoint{'s' * (len(unknown) != 1)} not in the Systems sheet"
    lines.append(facts)
    if aggregated:
        groups = len({ids[id(nodes[e])] for e in (*listed, *unknown)})
        noun = "system type" if key == "type" else key
        lines.append(
            f"Aggregated by {noun}: {len(listed) + len(unknown):,} systems in {groups:,} groups"
        )
    return lines


def _heading(lines: list[str], legend: str) -> str:
    """The graph's label: a title (first line, large), fact lines, then the legend row."""
    rows = [
        f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="22"><B>{_esc(_one_line(lines[0]))}</B></FONT>'
        "</TD></TR>"
    ]
    rows += [f'<TR><TD ALIGN="LEFT">{_esc(_one_line(line))}</TD></TR>' for line in lines[1:]]
    rows.append(f'<TR><TD ALIGN="LEFT">{legend}</TD></TR>')
    table = '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">'
    return f"<{table}{''.join(rows)}</TABLE>>"


def _legend(band_rule: str, boundaries: set[str], *, endings: bool = False) -> str:
    """The legend, one row: arrow colours (and how they are cut), disposal, boundaries."""
    cells = [f'<TD ALIGN="LEFT"><B>Arrows</B> by {_esc(band_rule)}:</TD>']
    for band in BANDS:
        cells.append(
            f'<TD><FONT COLOR="{BAND_COLORS[band]}"><B>━━</B></FONT> {band or "none"}</TD>'
        )
    cells.append("<TD>┄┄ disposal</TD>")
    if endings:
        cells.append("<TD>⋯▷ where a path ends</TD>")
    swatches = []
    for bound in BOUNDARIES:
        if bound in boundaries:
            fill, outline, _ = BOUNDARY_STYLE[bound]
            short = BOUNDARY_TITLES[bound].split(" (")[0].split(":")[0]
            swatches.append(f'<TD BGCOLOR="{fill}" COLOR="{outline}" BORDER="1">{_esc(short)}</TD>')
    row = "".join(cells) + '<TD WIDTH="16"></TD><TD><B>Boxes</B>:</TD>' + "".join(swatches)
    table = '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="4" CELLPADDING="3">'
    return f"{table}<TR>{row}</TR></TABLE>"


# -- text -----------------------------------------------------------------------------------


def _plain(value: object) -> str:
    """A cell as text: blank for None and NaN/NA, else ``str``."""
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).strip()


def _one_line(value: object) -> str:
    text = re.sub(r"[\r\n\t\v\f\u2028\u2029\x85]+", " ", _plain(value))
    return " ".join(shown(text).split())


def _short(value: object, limit: int) -> str:
    text = _one_line(value)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _esc(text: str) -> str:
    """``text`` (one line) safe inside a Graphviz HTML-like label."""
    return "".join(_ENTITIES.get(c, c) for c in text)


def _lines(value: object, width: int = WRAP, limit: int = NAME_LIMIT) -> str:
    """A name cut at ``limit`` characters, wrapped at ``width``, escaped, lines joined by
    ``<BR/>``."""
    text = _short(value, limit)
    return "<BR/>".join(_esc(line) for line in textwrap.wrap(text, width) or [""])


def _small(text: str, *, color: str = "#555555", escaped: bool = False) -> str:
    return f'<FONT POINT-SIZE="10" COLOR="{color}">{text if escaped else _esc(text)}</FONT>'


def _categories(value: object) -> tuple[str, ...]:
    if isinstance(value, tuple | list):
        return tuple(_plain(v) for v in value)
    text = _plain(value)
    return tuple(p.strip() for p in re.split(r"[;,\n]+", text) if p.strip()) if text else ()


def _num(value: float) -> str:
    return f"{value:,.1f}".rstrip("0").rstrip(".")


def _natural(text: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", str(text)))


def _natural_key(column: pd.Series) -> pd.Series:
    if column.name == "step":
        return pd.to_numeric(column, errors="coerce")
    return column.map(lambda v: _natural(_plain(v)))
