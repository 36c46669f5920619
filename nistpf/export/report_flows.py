"""The leadership report's data-flow sections: **Where customer data goes** (the data-flow
diagram as inline SVG, and each sensitive data category's journey: its paths, where each ends,
its gaps) and **The riskiest data actions** (the NIST PRAM likelihood × impact heat map and
the top outliers).

:mod:`nistpf.export.report` places them; the markup follows its own (``data-field`` on cells,
exact numbers in ``data-value``, ``data-id`` on rows, all inventory text HTML-escaped). The
diagram is Graphviz's SVG put inline (its XML declaration and DOCTYPE, which reference the W3C
DTD, left out), so the report stays one file that works offline. Without Graphviz's ``dot``
(or when it fails) the section keeps the Sankey flow map
(:func:`nistpf.export.charts.flow_map`) and says, in words fit for the client, that the diagram
is not part of this edition (the console says how to install Graphviz).

Sources: journeys :func:`nistpf.trace` (NISTIR 8062 data actions; gaps by NIST PF CT.DM-P5,
ID.IM-P2, CT.DM-P); risk NIST PRAM (2019) worksheet 3 (:func:`nistpf.pram`).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go

from nistpf.assessment import Assessment
from nistpf.errors import NistpfError
from nistpf.export import charts
from nistpf.export.flows_sheets import (
    NO_FLOWS,
    PRAM_WORKBOOK,
    chain,
    endpoint,
    journeys,
    outlier_ranks,
    path_ending,
)
from nistpf.export.pram_edits import LIKELIHOOD_SCALE
from nistpf.flows.pram import analyse
from nistpf.inventory.schema import EXTERNAL_PREFIX
from nistpf.numbers import fixed, percent

FLOWS_TITLE = "Where customer data goes"
RISK_TITLE = "The riskiest data actions"
NO_DIAGRAM = "The data-flow diagram is not part of this edition; the flows as a Sankey diagram:"
FLOW_MAP_CAPTION = (
    "Customer-data flows between systems and external parties; coloured links carry data-flow "
    "findings (hover for details)."
)
HEATMAP_CAPTION = (
    "Every problem for individuals on every data action by likelihood "
    f"({LIKELIHOOD_SCALE}) and impact (the sum of five cost factors, 5–50), over a background "
    "coloured by risk = likelihood × impact; the top outliers in vermillion (hover for the "
    "data action and the arithmetic)."
)
DIAGRAM_CAPTION = (
    "The data-flow diagram (drawn by Graphviz): systems by boundary, external parties, "
    "disposal; arrow colour and width by the NIST PRAM risk of the flow's data action."
)
LISTED = 25  # paths and gaps listed per category; the register lists every one
_NUM = ' class="num"'
_SVG_START = re.compile(r"<svg[\s>]")

ChartHtml = Callable[[go.Figure, str], str]


def _e(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def _text(value: object, field: str, css: str = "") -> str:
    klass = f' class="{css}"' if css else ""
    return f'<td{klass} data-field="{_e(field)}">{_e(value)}</td>'


def _number(value: float, field: str, shown: str) -> str:
    return f'<td class="num" data-field="{_e(field)}" data-value="{float(value)!r}">{shown}</td>'


def _table(table_id: str, headers: list[tuple[str, bool]], rows: list[str]) -> str:
    head = "".join(
        f'<th scope="col"{_NUM if numeric else ""}>{_e(h)}</th>' for h, numeric in headers
    )
    return (
        f'<table id="{table_id}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def inline_svg(svg: bytes | str) -> str:
    """Graphviz's SVG ready to sit inside HTML: from its ``<svg`` element on (the XML
    declaration, the DOCTYPE naming the W3C DTD and the comments before it left out), every
    element and attribute of the drawing kept. Raises ValueError when there is no ``<svg``."""
    text = svg.decode("utf-8") if isinstance(svg, bytes) else svg
    match = _SVG_START.search(text)
    if match is None:
        raise ValueError("Graphviz's output holds no <svg> element")
    return text[match.start() :].strip()


def diagram_svg(a: Assessment) -> str | None:
    """The data-flow diagram of ``a`` (arrows coloured by NIST PRAM risk) as inline SVG, or
    None when Graphviz's ``dot`` is missing or fails, or no flow is recorded."""
    if not len(a.inventory.flows):
        return None
    try:
        from nistpf.flows import diagram

        if not diagram.dot_available():
            return None
        graph = diagram.flow_diagram(
            a.inventory, findings=a.findings, flow_risk=analyse(a).flow_risk
        )
        return inline_svg(diagram.render(graph, "svg"))
    except (ImportError, NistpfError, ValueError):
        return None


def flows_section(a: Assessment, chart_html: ChartHtml) -> str:
    """The section ``flows``: the diagram (``flow-diagram``, inline SVG) or, without
    Graphviz, a client-neutral line (``no-diagram``: :data:`NO_DIAGRAM`) and the Sankey
    (``figure-flow-map``); then one ``journey``
    block per traced category (:func:`nistpf.export.flows_sheets.journeys`) with a sentence,
    a table of its paths (``journey-<n>``: path, the hops as a chain, where it ends) and its
    gaps."""
    if not len(a.inventory.flows):
        return f'<section id="flows"><h2>{_e(FLOWS_TITLE)}</h2><p>{_e(NO_FLOWS)}.</p></section>'
    intro = (
        "Every flow of customer data between the systems of the customer-experience stack and "
        "outside parties, the arrows coloured by the NIST PRAM risk of their data actions."
    )
    svg = diagram_svg(a)
    if svg is not None:
        picture = (
            f'<figure class="diagram" id="flow-diagram">{svg}'
            f"<figcaption>{_e(DIAGRAM_CAPTION)}</figcaption></figure>"
        )
    else:
        picture = (
            f'<p class="note" id="no-diagram">{_e(NO_DIAGRAM)}</p>'
            f'<figure class="chart" id="figure-flow-map">'
            f"{chart_html(charts.flow_map(a), 'flow-map')}"
            f"<figcaption>{_e(FLOW_MAP_CAPTION)}</figcaption></figure>"
        )
    chosen = journeys(a)
    t = chosen.trace
    lead = (
        "The journey of each sensitive data category: every path from where it enters to where "
        "it ends, and what is missing on the way."
        if chosen.sensitive
        else "No data category is sensitive; the journey of every category the flows carry."
    )
    parts = []
    for number, summary in enumerate(t.categories.itertuples(index=False), start=1):
        parts.append(_journey(number, summary, t))
    body = "".join(parts) if parts else ""
    return (
        f'<section id="flows"><h2>{_e(FLOWS_TITLE)}</h2><p>{_e(intro)}</p>{picture}'
        f'<h3 id="journeys">Journeys of customer data</h3><p>{_e(lead)}</p>{body}</section>'
    )


def _journey(number: int, summary, t) -> str:
    category = summary.category
    paths = t.paths[t.paths["category"] == category]
    hops = t.hops[t.hops["category"] == category]
    gaps = t.gaps[t.gaps["category"] == category]
    endings = paths["ending"].value_counts()
    cut = category in t.truncated
    ends = [*hops["source"], *hops["destination"]]
    parties = list(dict.fromkeys(e.removeprefix(EXTERNAL_PREFIX) for e in ends if _outside(e)))
    if len(parties) > LISTED:
        parties = [*parties[:LISTED], f"{len(parties) - LISTED:,} more"]
    said = "; ".join(
        f"{int(endings[e])} {e}"
        for e in ("disposed", "leaves the company", "never disposed")
        if e in endings
    )
    sentence = (
        f"{_count(int(summary.paths), 'path')} over {_count(int(summary.flows), 'flow')} and "
        f"{_count(int(summary.systems), 'system')}"
        + (f": {said}" if said else "")
        + (f"; reaches {_count(int(summary.ai_systems), 'AI system')}" * bool(summary.ai_systems))
        + (f"; outside parties: {', '.join(parties)}" if parties else "")
        + "."
        + (" More paths exist than are traced here (the most per category)." * cut)
    )
    by_path = dict(list(hops.groupby("path", sort=False)))
    rows = []
    for row in paths.head(LISTED).to_dict("records"):
        rows.append(
            f'<tr data-id="{_e(row["path"])}">'
            + _text(row["path"], "path", "id")
            + _text(chain(by_path[row["path"]]), "journey")
            + _text(path_ending(row), "ending")
            + "</tr>"
        )
    table = _table(
        f"journey-{number}", [("Path", False), ("Journey", False), ("Where it ends", False)], rows
    ) + _more(len(paths), "path")
    listed = "".join(
        f'<li data-field="gap" data-kind="{_e(g.kind)}"><strong>{_e(g.kind)}</strong>: '
        f"{_e(g.message)}</li>"
        for g in _each_kind_first(gaps).head(LISTED).itertuples(index=False)
    )
    gap_list = (
        f'<ul class="gaps">{listed}</ul>{_more(len(gaps), "gap")}'
        if listed
        else "<p>No gap on these paths.</p>"
    )
    return (
        f'<div class="journey" data-category="{_e(category)}">'
        f"<h4>{_e(summary.label)} <code>{_e(category)}</code></h4><p>{_e(sentence)}</p>"
        f"{table}<p><strong>Gaps</strong></p>{gap_list}</div>"
    )


def _each_kind_first(gaps: pd.DataFrame) -> pd.DataFrame:
    """The gaps with the first of each kind ahead of the rest, so that a list cut short still
    shows every kind of gap."""
    first = ~gaps["kind"].duplicated()
    return pd.concat([gaps[first], gaps[~first]])


def _more(count: int, noun: str) -> str:
    """The line under a list cut at :data:`LISTED` items."""
    if count <= LISTED:
        return ""
    return (
        f'<p class="note">… and {_count(count - LISTED, "more " + noun)}: the gap register\'s '
        "Data journeys sheet lists every one.</p>"
    )


def _outside(value: object) -> bool:
    return str(value).startswith(EXTERNAL_PREFIX)


def _count(n: int, word: str) -> str:
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word[:-1]}ies" if word.endswith("y") else f"{n} {word}s"


def risk_section(a: Assessment, chart_html: ChartHtml) -> str:
    """The section ``risk``: the NIST PRAM heat map (:func:`charts.pram_heatmap`,
    ``figure-pram-heatmap``) and the top outliers (``outliers-table``: data action, its name,
    problem for individuals, likelihood, impact, risk; rows ``data-id`` ``<data action>|
    <problem>``), with where NIST's full layout is (the PRAM workbook)."""
    p = analyse(a)
    ranked = p.data_actions.sort_values("rank", kind="stable")
    intro = (
        "NIST's Privacy Risk Assessment Methodology weighs each data action (a system operation "
        "that processes customer data) by the problems for individuals it may cause: risk = "
        "likelihood × impact, summed per data action."
    )
    if len(ranked) and p.total > 0:
        top = ranked.iloc[0]
        intro += (
            f" System risk {fixed(p.total, 0)} over {_count(len(ranked), 'data action')}; the "
            f"riskiest, {top['data_action']}, carries {percent(float(top['percent']))} of it."
        )
    figure = (
        '<figure class="chart" id="figure-pram-heatmap">'
        f"{chart_html(charts.pram_heatmap(a), 'pram-heatmap')}"
        f"<figcaption>{_e(HEATMAP_CAPTION)}</figcaption></figure>"
    )
    names = dict(zip(p.data_actions["data_action"], p.data_actions["name"], strict=True))
    rows = []
    for number, r in zip(outlier_ranks(p), p.outliers.itertuples(index=False), strict=True):
        rows.append(
            f'<tr data-id="{_e(r.data_action)}|{_e(r.problem)}">'
            + _number(number, "rank", str(number))
            + _text(r.data_action, "data_action", "id")
            + _text(names.get(r.data_action, ""), "name", "outcome")
            + _text(r.problem, "problem")
            + _number(r.likelihood, "likelihood", fixed(r.likelihood))
            + _number(r.impact, "impact", fixed(r.impact))
            + _number(r.risk, "risk", fixed(r.risk))
            + "</tr>"
        )
    if rows:
        table = _table(
            "outliers-table",
            [
                ("Rank", True),
                ("Data action", False),
                ("What it is", False),
                ("Problem for individuals", False),
                ("Likelihood", True),
                ("Impact", True),
                ("Risk", True),
            ],
            rows,
        )
        outliers = f"<h3>Top outliers</h3>{table}"
    else:
        outliers = "<p>No rule finds a problematic data action, so no risk to rank.</p>"
    return (
        f'<section id="risk"><h2>{_e(RISK_TITLE)}</h2><p>{_e(intro)}</p>{figure}{outliers}'
        f'<p class="note">{_e(PRAM_WORKBOOK)}</p></section>'
    )


__all__ = ["diagram_svg", "endpoint", "flows_section", "inline_svg", "risk_section"]
