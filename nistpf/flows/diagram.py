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
- **Arrow**: every flow between the same two nodes is one arrow, with a head at both ends when
  data goes both ways (two arrows between two nodes can make Graphviz 2.43's dot abort). Its
  label gives the flow IDs (up to three) or the number of flows, and the data category groups
  carried: the Fides taxonomy's top two levels (``user.contact.email`` → "contact",
  ``user.financial.credit_card`` → "financial", ``system.operations`` → "system operations");
  a category that is not a Fides key is shown as written, shortened.
- **Colour** of an arrow: the worst finding severity on any of its flows (High vermillion,
  Medium orange, Low yellow, none grey; nistpf.findings rules), or, when ``flow_risk`` is given,
  the worst NIST PRAM risk band of its flows (NIST Privacy Risk Assessment Methodology,
  worksheet 3 "Risk per Data Action", summed per flow): High when the risk is at least two thirds
  of the largest flow risk, Medium at least one third, Low above zero, none at zero or unknown.
  Heavier lines for worse bands, so the order survives a grey-scale print.
- **Disposal** (NISTIR 8062 data action "disposal", stage ``disposal``): an arrow whose flows
  are all disposal is dashed. A disposal flow from a system to itself (deleted in place) is a
  dashed arrow to the one "Disposed of" node rather than a loop.
- **Columns** (left to right): the parties data comes from, then each system at its shortest
  number of flows from them, then the parties data goes to and the disposal node.
- **Aggregation**: beyond ``max_systems`` system nodes (listed systems that appear in a flow,
  plus unknown endpoints) the systems of each boundary are merged by type (or by owner), one
  node per group ("CRM × 37 systems"); arrows between groups merge the same way, with counts and
  the worst colour. Beyond ``max_parties`` external parties, the parties with the fewest flows
  merge into one "+ N external parties" node. Beyond ``max_edges`` arrows, only the worst are
  drawn (worst colour, then most flows). The graph's title lines say so.

``flow_diagram(..., compact=True)`` is the variant for a slide or a printed page (the deck, the
gap register): arrows carry no flow IDs or data categories, only the number of flows when two or
more share an arrow; nodes are filled with their boundary's colour instead of sitting in boxes;
names are set in 18 pt with tighter spacing, and the title is left to the slide. The sample lays
out 1,333 × 516 pt, so on a 13.33 × 7.5 in slide (a 12.3 × 4.85 in picture area) its names read
at about 12 pt. The full, labelled diagram is for the report, where it can be zoomed.

Every text from the client's workbook goes into Graphviz HTML-like labels with ``&``, ``<``,
``>``, quotes, backslashes, braces and bars written as character references, line breaks and
other control characters made visible or spaces, and long names cut with an ellipsis: a name
cannot end a label or start DOT statements. Node IDs are built from ``[A-Za-z0-9_]`` only.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Mapping

import graphviz
import pandas as pd

from nistpf.errors import ImageExportError, NistpfError, shown
from nistpf.findings import evaluate_findings
from nistpf.flows.diagram_layout import (
    BAND_COLORS,
    BAND_WIDTHS,
    BANDS,
    BOUNDARIES,
    BOUNDARY_STYLE,
    BOUNDARY_TITLES,
    BRIEF_FONT,
    BRIEF_SMALL,
    BRIEF_WRAP,
    DISPOSAL,
    FONT,
    MORE_PARTIES,
    NAME_LIMIT,
    WRAP,
    Key,
    _categories,
    _count,
    _digraph,
    _draw_edge,
    _Edge,
    _esc,
    _heading,
    _layout,
    _legend,
    _lines,
    _natural,
    _Node,
    _node_ids,
    _num,
    _plain,
    _short,
    _small,
    _worst,
)
from nistpf.inventory.model import Inventory
from nistpf.inventory.schema import EXTERNAL_PREFIX

# The drawing's constants (from nistpf.flows.diagram_layout) stay importable from here.
__all__ = [
    "BANDS",
    "BAND_COLORS",
    "BAND_WIDTHS",
    "BOUNDARIES",
    "BOUNDARY_STYLE",
    "BOUNDARY_TITLES",
    "BRIEF_FONT",
    "DISPOSAL",
    "FONT",
    "GROUP_BY",
    "HOP_COLUMNS",
    "INSTALL",
    "MAX_EDGES",
    "MAX_PARTIES",
    "MAX_SYSTEMS",
    "MORE_PARTIES",
    "NAME_LIMIT",
    "NOT_DRAWN",
    "RENDER_SECONDS",
    "WRAP",
    "DiagramError",
    "DiagramRenderError",
    "GraphvizMissingError",
    "category_group",
    "dot_available",
    "flow_bands",
    "flow_diagram",
    "journey_diagram",
    "render",
    "system_boundary",
]  # fmt: skip

GROUP_BY = ("type", "owner")
MAX_SYSTEMS, MAX_PARTIES, MAX_EDGES = 40, 12, 60
RENDER_SECONDS = 120  # the sample lays out in 0.3 s, 2,000 systems in 0.4 s (bench_diagram.py)
INSTALL = "install Graphviz: apt-get install graphviz / brew install graphviz"
# What a client deliverable says in the diagram's place when it could not be drawn (no install
# instructions there: the console says how to install Graphviz).
NOT_DRAWN = "The data-flow diagram is not part of this edition"
HOP_COLUMNS = ("category", "path", "step", "flow_id", "source", "destination", "stage", "action")

_FIDES_KEY = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*")
_INTERNAL_VENDORS = ("in-house", "in house", "inhouse", "internal")
_ON_PREMISES = ("on-prem", "on prem", "onprem")
_ENDS = {  # where a journey's path ends: node ID, title, note, colour
    "leaves": ("END_LEAVES", "Leaves the company", "no further record", "#009E73"),
    "kept": ("END_KEPT", "Never disposed", "no disposal flow recorded", BAND_COLORS["High"]),
}


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
    if hosting_text.startswith(_ON_PREMISES) or not vendor_text:
        return "internal"
    return "internal" if vendor_text.startswith(_INTERNAL_VENDORS) else "vendor"


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
    ids = [_plain(f) for f in flows["flow_id"]]
    if flow_risk is None:
        found: dict[str, set] = {i: set() for i in ids}
        if findings is not None:
            for flow_id, severity in zip(findings["flow_id"], findings["severity"], strict=True):
                found.get(_plain(flow_id), set()).add(severity)
        rule = "worst finding severity on the flow (nistpf findings rules)"
        return {i: _worst(levels) for i, levels in found.items()}, rule
    if not isinstance(flow_risk, pd.Series | Mapping):
        raise DiagramError(
            f"flow_risk must be a pandas Series (or dict) of flow ID → PRAM risk, not "
            f"{type(flow_risk).__name__}; pass Pram.flow_risk"
        )
    risk = pd.to_numeric(pd.Series(flow_risk, dtype=object), errors="coerce")
    by_id = {_plain(k): float(v) for k, v in risk.items() if not pd.isna(v)}
    values = {i: by_id.get(i, math.nan) for i in ids}
    top = max((v for v in values.values() if not math.isnan(v)), default=0.0)

    def band(value: float) -> str | None:
        if math.isnan(value) or value <= 0 or top <= 0:
            return None
        return "High" if value >= top * 2 / 3 else "Medium" if value >= top / 3 else "Low"

    rule = (
        f"NIST PRAM risk per flow: High ≥ {_num(top * 2 / 3)}, Medium ≥ {_num(top / 3)} "
        f"(thirds of the largest, {_num(top)}), Low > 0"
    )
    return {i: band(v) for i, v in values.items()}, rule


# -- the diagrams ---------------------------------------------------------------------------


def flow_diagram(
    inventory: Inventory,
    *,
    findings: pd.DataFrame | None = None,
    flow_risk: pd.Series | Mapping | None = None,
    max_systems: int = MAX_SYSTEMS,
    group_by: str | None = None,
    max_parties: int = MAX_PARTIES,
    max_edges: int = MAX_EDGES,
    compact: bool = False,
) -> graphviz.Digraph:
    """The inventory's data flows as a Graphviz digraph (rules in the module docstring).

    ``inventory.flows`` columns used: ``flow_id``, ``source``, ``destination``,
    ``data_categories`` (tuple), ``stage``; ``inventory.systems``: ``system_id``, ``name``,
    ``type``, ``owner``, ``vendor``, ``hosting``, ``in_scope``. ``findings``: a findings table
    (``flow_id``, ``severity``); None evaluates the package's rules on ``inventory``.
    ``flow_risk``: NIST PRAM risk per flow (``Pram.flow_risk``); given, it colours the arrows
    instead of the findings. ``max_systems``: more system nodes than this are aggregated by
    ``group_by`` (``"type"``, the default, or ``"owner"``). ``max_parties``: more external
    parties than this are partly merged into one node. ``max_edges``: more arrows than this,
    and only the worst are drawn (worst colour, then most flows); the title says how many.
    ``compact``: the variant for a slide or a printed page (the deck, the register): no arrow
    labels but the number of flows on an arrow of two or more (colour and dashes say the rest),
    no flow IDs or categories, no boundary boxes (each node filled with its boundary's colour),
    names in :data:`BRIEF_FONT` pt type, tighter spacing, one line of facts and the legend; the
    full diagram (for the report, where it can be zoomed) is the default.

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
    endpoints = {_plain(v) for v in (*flows["source"], *flows["destination"])}
    listed = sorted(e for e in endpoints if e in systems)
    unknown = sorted(e for e in endpoints if e not in systems and not _is_external(e))
    aggregated = len(listed) + len(unknown) > max_systems
    key = group_by or "type"
    if aggregated:
        nodes = _groups(listed, unknown, systems, key)
    else:
        nodes = {e: _endpoint_node(e, systems, compact) for e in (*listed, *unknown)}
    parties = _parties(flows, nodes, max_parties, compact)
    ids = _node_ids(nodes.values())
    edges: dict[Key, _Edge] = {}
    for flow in flows.itertuples(index=False):
        source, destination = _plain(flow.source), _plain(flow.destination)
        disposal = _plain(flow.stage).casefold() == "disposal"
        tail = ids[id(nodes[source])]
        head = DISPOSAL if disposal and source == destination else ids[id(nodes[destination])]
        edge = _arrow(edges, tail, head, disposal)
        edge.flows.append(_plain(flow.flow_id))
        edge.bands.append(bands.get(_plain(flow.flow_id)))
        edge.groups.update(category_group(c) for c in _categories(flow.data_categories))
    drawn = _heaviest(edges, max_edges)
    client = _plain(inventory.about_value("client", ""))
    title = [
        f"Customer data flows{': ' + client if client else ''}",
        f"{len(listed):,} systems, {len(flows):,} flows, {_count(parties, 'external party')}"
        + _party_roles(flows)
        + (f", {_count(len(unknown), 'endpoint')} not in the Systems sheet" if unknown else ""),
    ]
    if aggregated:
        groups = len({id(nodes[e]) for e in (*listed, *unknown)})
        noun = "system type" if key == "type" else key
        total = len(listed) + len(unknown)
        title.append(f"Aggregated by {noun}: {total:,} systems in {groups:,} groups")
    if len(drawn) < len(edges):
        left = sum(len(e.flows) for k, e in edges.items() if k not in drawn)
        title.append(
            f"The {len(drawn):,} worst of {len(edges):,} arrows drawn (worst colour, then most "
            f"flows); {left:,} flows in the other {len(edges) - len(drawn):,} are not drawn"
        )
    graph = _digraph("data_flows", brief=compact)
    legend = _legend(band_rule, {n.boundary for n in nodes.values()}, brief=compact)
    graph.attr(label=_heading(title[1:] if compact else title, legend, brief=compact))
    senders = {tail for edge in edges.values() for tail, _ in edge.ways}
    column = _layout(
        graph, nodes.values(), ids, drawn, senders, type_boxes=not aggregated, brief=compact
    )
    for key_ in sorted(drawn):
        _draw_edge(graph, drawn[key_], column, compact=aggregated, brief=compact)
    return graph


def _groups(listed: list[str], unknown: list[str], systems: dict, key: str) -> dict[str, _Node]:
    """One node per boundary × ``key`` value (type or owner); one for all unknown endpoints."""
    members: dict[tuple[str, str], list[str]] = {}
    for system_id in listed:
        row = systems[system_id]
        group = _plain(row.get(key)) or f"(no {key})"
        members.setdefault((row["boundary"], group), []).append(system_id)
    if unknown:
        members[("unknown", "not in Systems")] = unknown
    nodes: dict[str, _Node] = {}
    for (bound, group), ends in members.items():
        count = len(ends)
        label = f"<B>{_lines(group)} × {count:,}</B><BR/>{_small(_count(count, 'system'))}"
        node = _Node(f"{bound}\0{group}", bound, group, label)
        if bound == "unknown":
            node.style, node.color = "rounded,filled,dashed,bold", BAND_COLORS["High"]
        nodes.update(dict.fromkeys(ends, node))
    return nodes


def _parties(flows: pd.DataFrame, nodes: dict[str, _Node], limit: int, brief=False) -> int:
    """Add the external parties to ``nodes``: beyond ``limit``, those with the fewest flows
    share one node. Returns the number of parties."""
    count: Counter = Counter()
    for source, destination in zip(flows["source"], flows["destination"], strict=True):
        count.update(e for e in {_plain(source), _plain(destination)} if _is_external(e))
    kept = sorted(count, key=lambda p: (-count[p], p))
    nodes.update((party, _party_node(party, brief)) for party in kept)
    if len(kept) > max(1, limit):
        merged = kept[max(1, limit) - 1 :]
        label = f"<B>+ {len(merged):,} external parties</B><BR/>{_small('fewer flows each')}"
        more = _Node(MORE_PARTIES, "external", "", label, "filled", "#009E73")
        nodes.update(dict.fromkeys(merged, more))
    return len(kept)


def _arrow(edges: dict[Key, _Edge], tail: str, head: str, disposal: bool) -> _Edge:
    """The arrow between ``tail`` and ``head`` (either way), noting this flow's direction."""
    edge = edges.setdefault((min(tail, head), max(tail, head)), _Edge())
    edge.ways.add((tail, head))
    edge.disposals += disposal
    return edge


def _heaviest(edges: dict[Key, _Edge], limit: int) -> dict[Key, _Edge]:
    """The ``limit`` arrows to draw when there are more: worst band first, then most flows."""
    if len(edges) <= limit:
        return edges
    rank = {band: i for i, band in enumerate(BANDS)}

    def weight(key: Key) -> tuple:
        return (rank[_worst(edges[key].bands)], -len(edges[key].flows), key)

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
    missing = [c for c in (*HOP_COLUMNS, "findings") if c not in getattr(hops, "columns", ())]
    if missing:
        raise DiagramError(
            f"the hops table lacks the column(s) {', '.join(missing)}; pass Trace.hops from "
            "nistpf.trace"
        )
    if findings is None:
        findings = evaluate_findings(inventory)
    severity = dict(zip(findings["finding_id"].astype(str), findings["severity"], strict=True))
    systems = _systems(inventory)
    rows = sorted(
        hops.to_dict("records"),
        key=lambda r: (_natural(_plain(r["path"])), pd.to_numeric(r["step"], errors="coerce")),
    )
    ends = sorted({_plain(r[c]) for r in rows for c in ("source", "destination")})
    nodes = {e: _endpoint_node(e, systems) for e in ends}
    ids = _node_ids(nodes.values())
    edges: dict[Key, _Edge] = {}
    last: dict[str, dict] = {}  # path → its last hop
    for row in rows:
        source, destination = _plain(row["source"]), _plain(row["destination"])
        action, stage = _plain(row["action"]), _plain(row["stage"])
        disposal = "disposal" in (stage.casefold(), action.casefold())
        tail = ids[id(nodes[source])]
        head = DISPOSAL if disposal and source == destination else ids[id(nodes[destination])]
        edge = _arrow(edges, tail, head, disposal)
        if _plain(row["flow_id"]) not in edge.flows:
            edge.flows.append(_plain(row["flow_id"]))
        step = f"step {_plain(row['step'])}: {_short(action, 20) or 'flow'}"
        step += f" ({_short(stage, 16)})" if stage and stage.casefold() != action.casefold() else ""
        if step not in edge.steps:
            edge.steps.append(step)
        found = row["findings"] if isinstance(row["findings"], tuple | list) else ()
        edge.bands += [severity.get(str(f)) for f in found] or [None]
        last[_plain(row["path"])] = {**row, "disposal": disposal, "head": head}
    endings: dict[str, set[str]] = {"disposed": set(), "leaves": set(), "kept": set()}
    for hop in last.values():
        end = _plain(hop["destination"])
        kind = "disposed" if hop["disposal"] else "leaves" if _is_external(end) else "kept"
        if hop["head"] != DISPOSAL:
            endings[kind].add(ids[id(nodes[end])])
    name = ", ".join(sorted({_plain(r["category"]) for r in rows} - {""})) or "the data category"
    heading = [
        _short(title if title is not None else f"Journey of {name}", 120),
        f"{_count(len(last), 'path')}, {_count(len(edges), 'hop')}",
    ]
    graph = _digraph("journey")
    boundaries = {n.boundary for n in nodes.values()}
    graph.attr(label=_heading(heading, _legend("worst finding severity", boundaries, ends=True)))
    senders = {tail for edge in edges.values() for tail, _ in edge.ways}
    extra = [DISPOSAL] if endings["disposed"] else []
    column = _layout(graph, nodes.values(), ids, edges, senders, type_boxes=False, others=extra)
    for key in sorted(edges):
        _draw_edge(graph, edges[key], column, compact=False, journey=True)
    for kind, tails in endings.items():
        target = DISPOSAL
        if kind in _ENDS and tails:
            target, text, note, color = _ENDS[kind]
            graph.node(target, label=f"<<B>{text}</B><BR/>{_small(note)}>", shape="box",
                       style="rounded,bold", color=color, fontcolor=color)  # fmt: skip
        for tail in sorted(tails):
            graph.edge(tail, target, style="dotted", color="#666666", arrowhead="empty")
    if not rows:
        graph.node("EMPTY", label="<No flow carries this data category>", shape="plaintext")
    return graph


def _party_roles(flows: pd.DataFrame) -> str:
    """`` (3 receive data, 1 sends it)``: the external parties data goes to (as the deck's
    headline counts them) and those it only comes from."""
    receive = {d for d in flows["destination"] if _is_external(d)}
    send = {s for s in flows["source"] if _is_external(s)} - receive
    if not receive and not send:
        return ""
    parts = []
    if receive:
        parts.append(f"{len(receive):,} {'receives' if len(receive) == 1 else 'receive'} data")
    if send:
        parts.append(f"{len(send):,} only {'sends' if len(send) == 1 else 'send'} it")
    return f" ({', '.join(parts)})"


def dot_available() -> bool:
    """Whether Graphviz's ``dot`` is on the PATH (what :func:`render` runs)."""
    return shutil.which("dot") is not None


def render(digraph: graphviz.Digraph, fmt: str = "svg", *, dpi: int = 144) -> bytes:
    """``digraph`` laid out by Graphviz's ``dot``, as SVG or PNG bytes (``fmt``; ``dpi`` for
    PNG only). ``dot`` runs as a child process with a time limit (:data:`RENDER_SECONDS`): the
    graphviz package's own ``pipe`` has none, and a pathological layout can run for minutes.
    Raises :class:`GraphvizMissingError` (with the fix: install Graphviz) when ``dot`` is
    missing, :class:`DiagramRenderError` when it fails or runs out of time,
    :class:`DiagramError` for another format."""
    if fmt not in ("svg", "png"):
        raise DiagramError(f"fmt must be 'svg' or 'png', not {fmt!r}")
    graph = digraph
    if fmt == "png":
        graph = digraph.copy()
        graph.attr(dpi=str(int(dpi)))
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizMissingError()
    try:
        done = subprocess.run(
            [dot, f"-T{fmt}"],
            input=graph.source.encode("utf-8"),
            capture_output=True,
            timeout=RENDER_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise DiagramRenderError(
            f"Graphviz's dot did not finish laying out the diagram in {RENDER_SECONDS} s; "
            "draw fewer systems (flow_diagram's max_systems) or check the Graphviz installation"
        ) from None
    except OSError as error:
        raise DiagramRenderError(f"Graphviz's dot could not run ({error}); {INSTALL}") from None
    if done.returncode != 0:
        detail = shown(done.stderr.decode("utf-8", "replace").strip())[:300]
        raise DiagramRenderError(
            f"Graphviz's dot could not lay out the diagram ({detail or done.returncode}); "
            f"check the Graphviz installation ({INSTALL})"
        )
    return done.stdout


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


def _is_external(endpoint: str) -> bool:
    return endpoint.startswith(EXTERNAL_PREFIX)


def _endpoint_node(end: str, systems: dict[str, dict], brief: bool = False) -> _Node:
    if _is_external(end):
        return _party_node(end, brief)
    if end in systems:
        return _system_node(end, systems[end], brief)
    return _unknown_node(end, brief)


def _system_node(system_id: str, row: Mapping, brief: bool = False) -> _Node:
    kind = _plain(row.get("type"))
    detail = " · ".join(_esc(_short(t, 28)) for t in (system_id, kind) if t)
    if brief:  # the slide's diagram: the name and the ID, no type (the fill gives the boundary)
        label = f"<B>{_lines(row.get('name') or system_id, BRIEF_WRAP)}</B>"
        label += f"<BR/>{_small(_short(system_id, 20), size=BRIEF_SMALL)}"
        return _Node(system_id, row["boundary"], kind, label,
                     "rounded,filled,dashed" if _plain(row.get("in_scope")) == "False"
                     else "rounded,filled")  # fmt: skip
    lines = [f"<B>{_lines(row.get('name') or system_id)}</B>", _small(detail, escaped=True)]
    out_of_scope = _plain(row.get("in_scope")) == "False"
    if out_of_scope:
        lines.append(_small("out of scope", color=BAND_COLORS[None]))
    style = "rounded,filled,dashed" if out_of_scope else "rounded,filled"
    return _Node(system_id, row["boundary"], kind, "<BR/>".join(lines), style)


def _unknown_node(endpoint: str, brief: bool = False) -> _Node:
    note = (
        _small("not in Systems", size=BRIEF_SMALL) if brief else _small("not in the Systems sheet")
    )
    label = f"<B>{_lines(endpoint or '(blank)', BRIEF_WRAP if brief else WRAP)}</B><BR/>{note}"
    return _Node(endpoint, "unknown", "", label, "rounded,filled,dashed,bold", "#D55E00")


def _party_node(endpoint: str, brief: bool = False) -> _Node:
    party = endpoint[len(EXTERNAL_PREFIX) :].strip() or "(unnamed party)"
    if brief:
        label = f"<B>{_lines(party, BRIEF_WRAP)}</B>"
        return _Node(endpoint, "external", "", label, "filled", "#009E73")
    label = f"<B>{_lines(party)}</B><BR/>{_small('external party')}"
    return _Node(endpoint, "external", "", label, "filled", "#009E73")
