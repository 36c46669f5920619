"""The data-flow diagram's drawing: node IDs, columns, boundary boxes, arrows, the title and
legend, and the text rules for Graphviz HTML-like labels.

:mod:`nistpf.flows.diagram` decides what is drawn (which nodes, which arrows, which colour band);
this module draws it into a ``graphviz.Digraph``. The rules are those of
:mod:`nistpf.flows.diagram`'s docstring: columns left to right from the external parties that
send data, one box per boundary (internal, vendor, external, unknown), arrows coloured by the
worst band of their flows (Okabe-Ito colours), and every text from the client's workbook
escaped, kept on its lines and cut with an ellipsis so it cannot end a label or start DOT
statements. Node IDs are built from ``[A-Za-z0-9_]`` only.
"""

from __future__ import annotations

import hashlib
import math
import re
import textwrap
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import graphviz
import pandas as pd

from nistpf.errors import shown
from nistpf.findings import SEVERITIES
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
FONT = "Liberation Sans,Arial,Helvetica,sans-serif"
DISPOSAL = "DISPOSAL"
MORE_PARTIES = "X__more"  # a party's own ID never has two underscores in a row
NAME_LIMIT = 60  # characters of a name from the workbook; longer names end in "…"
WRAP = 22  # characters per line of a node's name
BRIEF_FONT = 18  # points: a node's name on the slide's diagram (flow_diagram(compact=True))
BRIEF_SMALL = 14  # points: the ID line under it
BRIEF_WRAP = 26  # characters per line of a name there

_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
                           "\\": "&#92;", "{": "&#123;", "}": "&#125;", "|": "&#124;"})  # fmt: skip

Key = tuple[str, str]  # an arrow: its two node IDs, sorted


def _worst(levels: Iterable[str | None]) -> str | None:
    found = set(levels)
    return next((band for band in BANDS if band in found), None)


@dataclass(eq=False)
class _Node:
    key: str  # the endpoint as the DataFlows sheet writes it, or "<boundary>\0<group>"
    boundary: str
    group: str  # the type (or owner) a node is boxed or aggregated by
    label: str  # an HTML-like label's inside, already escaped
    style: str = "rounded,filled"
    color: str = "#444444"


@dataclass
class _Edge:
    ways: set[tuple[str, str]] = field(default_factory=set)  # (tail, head) of its flows
    disposals: int = 0  # flows of the disposal stage (or data action)
    flows: list[str] = field(default_factory=list)
    groups: set[str] = field(default_factory=set)
    steps: list[str] = field(default_factory=list)  # a journey's labels
    bands: list[str | None] = field(default_factory=list)


# -- layout -------------------------------------------------------------------------------


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_") or "x"
    if len(slug) > 40:
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        slug = f"{slug[:31]}_{digest}"
    return slug


def _node_ids(nodes: Iterable[_Node]) -> dict[int, str]:
    """Stable DOT IDs for the distinct nodes, keyed by ``id(node)`` (see :func:`flow_diagram`)."""
    wanted = []
    for node in {id(n): n for n in nodes}.values():
        if node.key == MORE_PARTIES:
            want = MORE_PARTIES
        elif node.boundary == "external":
            want = f"X_{_slug(node.key[len(EXTERNAL_PREFIX) :])}"
        elif "\0" in node.key:
            bound, group = node.key.split("\0", 1)
            want = f"G_{bound}_{_slug(group)}"
        else:
            want = f"{'U' if node.boundary == 'unknown' else 'S'}_{_slug(node.key)}"
        wanted.append((want, node.key, node))
    used, ids = {DISPOSAL}, {}
    for want, _key, node in sorted(wanted, key=lambda w: w[:2]):
        name, number = want, 1
        while name in used:
            number += 1
            name = f"{want}_{number}"
        used.add(name)
        ids[id(node)] = name
    return ids


def _columns(nodes: dict[str, _Node], edges: Iterable[_Edge], senders: set[str]) -> dict[str, int]:
    """The column (dot rank, left to right) of every node ID in ``nodes`` and of
    :data:`DISPOSAL`: external parties that send data (``senders``) in column 0; a system at
    its shortest number of flows from them (a system nothing reaches starts a column-1 walk
    of its own, those with no inbound flow first); external parties that only receive data,
    and the disposal node, in one last column. Arrows that would go right to left (or stay in
    their column) do not move nodes, so the diagram is as wide as its shortest paths, not its
    longest."""
    external = {i for i, n in nodes.items() if n.boundary == "external"}
    forward: dict[str, set[str]] = {}
    inbound: Counter = Counter()
    column: dict[str, int] = dict.fromkeys(sorted(external & senders), 0)
    for tail, head in (way for edge in edges for way in edge.ways):
        if head != DISPOSAL and head not in external and head != tail:
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
    for start in sorted(set(nodes) - external, key=lambda i: (inbound[i] > 0, i)):
        if start not in column:
            column[start] = 1
            walk(deque([start]))
    last = max(column.values(), default=0) + 1
    for node_id in (*nodes, DISPOSAL):
        column.setdefault(node_id, last)
    return column


def _layout(graph, nodes: Iterable[_Node], ids: dict[int, str], edges: Mapping[Key, _Edge],
            senders: set[str], *, type_boxes: bool, others=(),
            brief: bool = False) -> dict[str, int]:  # fmt: skip
    """Draw the nodes in their boundary boxes (external parties in two: where data comes from,
    where it goes to), and the disposal node if an arrow (or ``others``) needs it; pin each
    column with ``rank=same``; return the columns. ``brief`` (the slide's diagram): no boxes,
    each node filled with its boundary's colour instead."""
    by_id = {ids[id(n)]: n for n in nodes}
    column = _columns(by_id, edges.values(), senders)
    drawn = set(by_id) | set(others) | {DISPOSAL for pair in edges if DISPOSAL in pair}
    if DISPOSAL in drawn:
        note = _small("deleted or destroyed", size=BRIEF_SMALL if brief else 10)
        graph.node(DISPOSAL, label=f"<<B>Disposed of</B><BR/>{note}>",
                   shape="box", style="rounded,dashed,filled", fillcolor="#F2F2F2",
                   color="#666666")  # fmt: skip
    ordered = sorted(by_id.items())
    boxes = []
    for bound in BOUNDARIES:
        members = [(i, n) for i, n in ordered if n.boundary == bound]
        if bound == "external":
            boxes.append(("external_from", "External parties: data comes from",
                          [(i, n) for i, n in members if column[i] == 0]))  # fmt: skip
            boxes.append(("external_to", "External parties: data goes to",
                          [(i, n) for i, n in members if column[i] != 0]))  # fmt: skip
        else:
            boxes.append((bound, BOUNDARY_TITLES[bound], members))
    for name, title, members in boxes:
        if members and brief:
            for node_id, node in members:
                fill, outline, _ = BOUNDARY_STYLE[node.boundary]
                color = node.color if node.boundary == "unknown" else outline
                graph.node(node_id, label=f"<{node.label}>", shape="box", style=node.style,
                           fillcolor=fill, color=color, penwidth="1.4")  # fmt: skip
        elif members:
            _box(graph, name, title, members, type_boxes=type_boxes)
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


def _box(graph, name: str, title: str, members: list[tuple[str, _Node]], *, type_boxes: bool):
    """One boundary's box; inside it a dashed box per type with two or more systems."""
    fill, outline, style = BOUNDARY_STYLE[members[0][1].boundary]
    with graph.subgraph(name=f"cluster_{name}") as box:
        box.attr(label=f"<<B>{_esc(title)}</B>>", style=style, fillcolor=fill, color=outline,
                 penwidth="1.6", fontsize="14", labeljust="l", margin="10")  # fmt: skip
        by_group: dict[str, list[tuple[str, _Node]]] = {}
        for node_id, node in members:
            by_group.setdefault(node.group, []).append((node_id, node))
        for group in sorted(by_group):
            inner = by_group[group]
            typed = type_boxes and group and len(inner) > 1 and name in ("internal", "vendor")
            with box.subgraph(name=f"cluster_{name}_t_{_slug(group)}" if typed else None) as sub:
                if typed:
                    sub.attr(label=f"<{_esc(_short(group, 40))}>", style="rounded,dashed",
                             color="#999999", fontsize="12", labeljust="l")  # fmt: skip
                for node_id, node in inner:
                    sub.node(node_id, label=f"<{node.label}>", shape="box", style=node.style,
                             fillcolor="#FFFFFF", color=node.color)  # fmt: skip


# -- edges ----------------------------------------------------------------------------------


def _draw_edge(graph, edge: _Edge, column: dict[str, int], *, compact: bool, journey=False,
               brief=False):  # fmt: skip
    """One arrow: its label, colour (worst band of its flows), dashes when all its flows are
    disposal, a head at both ends when its flows go both ways. ``brief`` (the slide's
    diagram): no flow IDs or data categories; only an arrow of two or more flows is labelled,
    with their number."""
    worst = _worst(edge.bands)
    ways = sorted(edge.ways, key=lambda w: (column[w[1]] - column[w[0]], w), reverse=True)
    (tail, head), *others = ways  # the way that goes furthest right draws the arrow
    disposal = edge.disposals == len(edge.flows)
    count = len(edge.flows)
    lines: list[str] = []
    if brief:
        lines += [_esc(f"{count:,} flows")] if count > 1 else []
    elif journey:
        lines.append(_small(", ".join(_short(f, 16) for f in edge.flows[:3])))
        lines += [_esc(s) for s in edge.steps[:4]]
        if len(edge.steps) > 4:
            lines.append(_esc(f"+ {len(edge.steps) - 4} more steps"))
    else:
        first = "disposal: " if disposal else "both ways: " if others else ""
        if count <= 3 and not compact:
            flows = ", ".join(_short(f, 16) for f in sorted(edge.flows, key=_natural))
            first += f"{count} flows: {flows}" if count > 1 else flows
        else:
            first += f"{count:,} flow{'s' * (count != 1)}"
            if worst is not None:
                first += f" ({sum(1 for b in edge.bands if b == worst):,} {worst})"
        lines.append(_small(first, color=BAND_COLORS[worst]))
        groups = sorted(g for g in edge.groups if g)
        if not compact or len(groups) <= 3:
            wrapped = textwrap.wrap(", ".join(groups), 24) or ["(no category)"]
            lines += [_esc(line) for line in wrapped[:4]]
    forward = column[head] > column[tail]
    # A forward arrow's label takes a place of its own in the layout (never overlapping); an
    # arrow within a column or back to the left is not laid out, so its label floats (xlabel).
    text = {"label" if forward else "xlabel": f"<{'<BR/>'.join(lines)}>"} if lines else {}
    graph.edge(tail, head, **text, dir="both" if others else "forward", color=BAND_COLORS[worst],
               fontcolor="#333333", penwidth=str(BAND_WIDTHS[worst]),
               style="dashed" if disposal else "solid",
               constraint="true" if forward else "false")  # fmt: skip


# -- the graph, its title and legend --------------------------------------------------------


def _digraph(name: str, *, brief: bool = False) -> graphviz.Digraph:
    """An empty digraph with the diagrams' defaults; ``brief`` (the slide's diagram): larger
    type (nodes 18 pt, arrow labels 15 pt) and tighter spacing, so that it stays legible when
    shrunk onto a 13.33 × 7.5 in slide."""
    graph = graphviz.Digraph(name=name, engine="dot")
    if brief:
        graph.attr(rankdir="LR", newrank="true", fontname=FONT, fontsize="16", labelloc="t",
                   labeljust="l", nodesep="0.12", ranksep="0.55", forcelabels="true",
                   pad="0.1", bgcolor="white")  # fmt: skip
        graph.attr("node", fontname=FONT, fontsize=str(BRIEF_FONT), margin="0.08,0.03")
        graph.attr("edge", fontname=FONT, fontsize="15", arrowsize="0.9")
        return graph
    graph.attr(rankdir="LR", newrank="true", fontname=FONT, fontsize="13", labelloc="t",
               labeljust="l", nodesep="0.35", ranksep="0.45", forcelabels="true", pad="0.3",
               bgcolor="white")  # fmt: skip
    graph.attr("node", fontname=FONT, fontsize="13", margin="0.12,0.06")
    graph.attr("edge", fontname=FONT, fontsize="11", arrowsize="0.8")
    return graph


def _heading(lines: list[str], legend: str, *, brief: bool = False) -> str:
    """The graph's label: a title (first line, large), fact lines, then the legend row;
    ``brief``: no title (the slide has one), the fact lines, then the legend."""
    if brief:
        rows = [_esc(_one_line(line)) for line in lines] + [legend]
    else:
        rows = [f'<FONT POINT-SIZE="22"><B>{_esc(_one_line(lines[0]))}</B></FONT>']
        rows += [_esc(_one_line(line)) for line in lines[1:]] + [legend]
    cells = "".join(f'<TR><TD ALIGN="LEFT">{row}</TD></TR>' for row in rows)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">{cells}</TABLE>>'


def _legend(band_rule: str, boundaries: set[str], *, ends: bool = False, brief=False) -> str:
    """The legend, one row: arrow colours (and how they are cut), disposal, boundaries;
    ``brief``: the colours' meaning without the cut points, boundaries as fill colours."""
    rule = band_rule.split(":")[0] if brief else band_rule
    cells = [f'<TD ALIGN="LEFT"><B>Arrows</B> by {_esc(rule)}:</TD>']
    cells += [
        f'<TD><FONT COLOR="{BAND_COLORS[band]}"><B>━━</B></FONT> {band or "none"}</TD>'
        for band in BANDS
    ]
    cells.append("<TD>┄┄ disposal</TD>" + ("<TD>⋯▷ where a path ends</TD>" if ends else ""))
    cells.append(f'<TD WIDTH="16"></TD><TD><B>{"Fill" if brief else "Boxes"}</B>:</TD>')
    for bound in BOUNDARIES:
        if bound in boundaries:
            fill, outline, _ = BOUNDARY_STYLE[bound]
            short = BOUNDARY_TITLES[bound].split(" (")[0].split(":")[0]
            cells.append(f'<TD BGCOLOR="{fill}" COLOR="{outline}" BORDER="1">{_esc(short)}</TD>')
    table = '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="4" CELLPADDING="3">'
    return f"{table}<TR>{''.join(cells)}</TR></TABLE>"


# -- text -----------------------------------------------------------------------------------


def _plain(value: object) -> str:
    """A cell as text: blank for None and NaN/NA, else ``str``."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value).strip()


def _one_line(value: object) -> str:
    text = re.sub(r"[\r\n\t\v\f\u2028\u2029\x85]+", " ", _plain(value))
    return " ".join(shown(text).split())


def _short(value: object, limit: int) -> str:
    text = _one_line(value)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _esc(text: str) -> str:
    """``text`` (one line) safe inside a Graphviz HTML-like label: markup characters, quotes,
    backslashes, braces and bars as character references."""
    return text.translate(_ENTITIES)


def _lines(value: object, width: int = WRAP, limit: int = NAME_LIMIT) -> str:
    """A name cut at ``limit`` characters, wrapped at ``width``, escaped, lines joined by
    ``<BR/>``."""
    text = _short(value, limit)
    return "<BR/>".join(_esc(line) for line in textwrap.wrap(text, width) or [""])


def _small(text: str, *, color: str = "#555555", escaped: bool = False, size: int = 10) -> str:
    return f'<FONT POINT-SIZE="{size}" COLOR="{color}">{text if escaped else _esc(text)}</FONT>'


def _count(number: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{number:,} {noun if number == 1 else plural}"


def _categories(value: object) -> tuple[str, ...]:
    if isinstance(value, tuple | list):
        return tuple(_plain(v) for v in value)
    return tuple(p.strip() for p in re.split(r"[;,\n]+", _plain(value)) if p.strip())


def _num(value: float) -> str:
    return f"{value:,.1f}".rstrip("0").rstrip(".")


def _natural(text: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", str(text)))
