"""The leadership report: one self-contained HTML file that works offline.

:func:`build_report_html` is pure (an Assessment in, a string out); :func:`write_report` writes
that string atomically. The file embeds plotly.js once, inline, and every chart of
:mod:`nistpf.export.charts`; it references nothing outside itself (no CDN, web font, image or
MathJax), so it opens on an air-gapped laptop and can be mailed as it is. Sections: title,
executive summary (overall scores, three key messages, scores by Function), the charts, the top
gaps, where customer data goes (the data-flow diagram as inline SVG drawn by Graphviz, or the
Sankey flow map without it, and each sensitive data category's journey), the riskiest data
actions (the NIST PRAM heat map and top outliers; :mod:`nistpf.export.report_flows`), the
Implementation Tiers, the data-flow findings, the method, and a footer naming the nistpf
version, the framework version and the input file with its SHA-256.

Every number is the Assessment's: levels, gaps and gap points are shown with two decimals,
coverage as a whole percentage, and each table cell and summary figure carries the exact value
in a ``data-value`` attribute (with ``data-field``; rows carry ``data-id``) so that a test, or a
reviewer, can compare it with the gap register. All text from the inventory is HTML-escaped.

>>> import nistpf
>>> from nistpf.export.report import build_report_html
>>> a = nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))
>>> build_report_html(a).startswith("<!DOCTYPE html>")
True
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from nistpf.assessment import Assessment, largest_gap_phrase, leaders, named
from nistpf.errors import OutputNotWritableError, shown
from nistpf.export import charts, method_text, theme
from nistpf.export.report_flows import FLOWS_TITLE, flows_section, risk_section
from nistpf.io.atomic import check_destination, write_text
from nistpf.io.paths import Use, check_paths, source_uses
from nistpf.numbers import fixed, percent

TOP_GAPS = 10
# (section id, chart function, keyword options, caption)
CHARTS = (
    (
        "radar",
        charts.radar,
        {},
        "Current level (blue) against the Target Profile (orange) for each Function; the "
        "further apart, the larger the gap.",
    ),
    (
        "heatmap",
        charts.heatmap,
        {},
        "Mean level of each in-scope system per Function, weakest system on top.",
    ),
    (
        "top-gaps",
        charts.top_gaps,
        {"n": TOP_GAPS},
        "The largest gaps by gap points (levels below target × priority weight), with current "
        "and target level.",
    ),
    (
        "coverage",
        charts.coverage,
        {},
        "Weighted share of systems with an implemented control (half for a partially "
        "implemented one), by Category.",
    ),
    (
        "sunburst",
        charts.sunburst,
        {},
        "The Privacy Framework Core in the profile: Functions, Categories, Subcategories, "
        "coloured by how far each is below target.",
    ),
)
PLOTLY_CONFIG = {
    "displaylogo": False,
    "showSendToCloud": False,
    "responsive": True,
}
_SEVERITY_ORDER = {severity: rank for rank, severity in enumerate(charts.SEVERITIES)}


# -- what the report says ------------------------------------------------------------------------


def key_messages(a: Assessment) -> list[str]:
    """Three sentences for leadership, derived from the data (plain text, numbers with two
    decimals): the Function furthest from target, the High-severity data-flow findings and the
    systems they touch, and the largest gap.

    >>> import nistpf
    >>> a = nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))
    >>> key_messages(a)[0].split(":")[0]
    'Control-P is furthest from target'
    """
    messages = []
    functions = a.functions
    names = charts.function_names(a)
    if functions.empty or functions["gap"].isna().all():
        messages.append(
            "No Subcategory is in the Target Profile, so no Function has a gap."
            if not a.completeness.outcomes
            else "No outcome in the Target Profile has evidence yet, so no Function is scored."
        )
    else:
        tied = functions.loc[leaders(functions["gap"])]
        worst = tied.iloc[0]
        if worst["gap"] > 0 and len(tied) == 1:
            name = names.get(worst["function"], worst["function"])
            messages.append(
                f"{name} is furthest from target: current {fixed(worst['current'])} "
                f"({a.scale.label(worst['current'])}) against a target of "
                f"{fixed(worst['target'])}, a gap of {fixed(worst['gap'])} levels."
            )
        elif worst["gap"] > 0:
            who = named([names.get(f, f) for f in tied["function"]], "Functions")
            messages.append(
                f"{who} are furthest from target, each a gap of {fixed(worst['gap'])} levels."
            )
        else:
            messages.append("Every Function meets its target.")

    findings = a.findings
    high = findings[findings["severity"] == "High"]
    if len(high):
        systems = list(dict.fromkeys(s for touched in high["systems"] for s in touched))
        flows = high["flow_id"].nunique()
        reach = (
            f"touch {_count(len(systems), 'system')}: {', '.join(systems)}"
            if systems
            else "touch no inventoried system"
        )
        messages.append(
            f"{_count(len(high), 'High-severity data-flow finding')} on "
            f"{_count(flows, 'flow')} {reach}."
        )
    elif len(findings):
        messages.append(
            f"No High-severity data-flow finding; {_count(len(findings), 'finding')} of lower "
            "severity."
        )
    elif len(a.inventory.flows):
        messages.append("No data-flow finding: every flow passes the data-flow rules.")
    else:
        messages.append("The inventory records no data flow, so no data-flow rule was checked.")

    gaps = charts.ranked_gaps(a)
    unranked = ""
    if a.completeness.excluded:
        listed = a.ranked_gaps(findings=True)
        extra = int(((listed["gap"] > 0) & (listed["source"] == "no evidence")).sum())
        if extra:
            unranked = f" ({extra} more have no evidence and are not ranked)"
    first = gaps[gaps["rank"] == 1]
    if len(first) == 1:
        top = gaps.iloc[0]
        messages.append(
            f"The largest gap is {top['subcategory']} ({top['priority']} priority): current "
            f"{fixed(top['current'])} against a target of {fixed(top['target'])}, "
            f"{fixed(top['gap_points'])} gap points; {_count(len(gaps), 'Subcategory')} "
            f"below target in all{unranked}."
        )
    elif len(first):
        top = gaps.iloc[0]
        messages.append(
            f"{largest_gap_phrase(a)}: {fixed(top['gap_points'])} gap points each; "
            f"{_count(len(gaps), 'Subcategory')} below target in all{unranked}."
        )
    elif a.completeness.excluded and a.completeness.missing:
        messages.append(
            f"Every outcome with evidence meets its target; {a.completeness.missing} have no "
            "evidence and are not scored."
        )
    else:
        messages.append("Every in-profile Subcategory meets its target.")
    return messages


def _count(n: int, word: str) -> str:
    if n == 1:
        return f"{n} {word}"
    plural = word[:-1] + "ies" if word.endswith("y") else word + "s"
    return f"{n} {plural}"


# -- HTML pieces ---------------------------------------------------------------------------------


def _e(value: object) -> str:
    """Text (from the inventory, the framework, anywhere) made safe for HTML text and
    attribute values."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _shown(value: object, kind: str) -> str:
    if _missing(value):
        return "–"
    if kind == "percent":
        return f"{percent(float(value))}"
    if kind == "int":
        return f"{int(value)}"
    return f"{fixed(float(value))}"


def _value(value: object, field: str, kind: str = "level", tag: str = "td") -> str:
    """A number shown rounded with its exact value in ``data-value``."""
    exact = "" if _missing(value) else repr(float(value))
    css = "num" if tag == "td" else "value"
    return (
        f'<{tag} class="{css}" data-field="{_e(field)}" data-value="{exact}">'
        f"{_shown(value, kind)}</{tag}>"
    )


def _text(value: object, field: str, css: str = "") -> str:
    klass = f' class="{css}"' if css else ""
    return f'<td{klass} data-field="{_e(field)}">{_e(value)}</td>'


_NUMERIC_HEADERS = {"#", "Current", "Target", "Gap", "Gap points", "Coverage", "Tier"}


def _table(table_id: str, headers: list[str], rows: list[str]) -> str:
    cells = []
    for header in headers:
        css = ' class="num"' if header in _NUMERIC_HEADERS else ""
        cells.append(f'<th scope="col"{css}>{_e(header)}</th>')
    head = "".join(cells)
    return (
        f'<table id="{table_id}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _severity(value: str) -> str:
    css = {"High": "sev-high", "Medium": "sev-medium", "Low": "sev-low"}.get(value, "")
    return f'<td data-field="severity"><span class="badge {css}">{_e(value)}</span></td>'


def _chart_html(fig: go.Figure, div_id: str) -> str:
    height = fig.layout.height or 500
    return fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        config=PLOTLY_CONFIG,
        div_id=f"chart-{div_id}",
        default_width="100%",
        default_height=f"{height}px",
    )


# -- sections ------------------------------------------------------------------------------------


def _header(a: Assessment) -> str:
    inv = a.inventory
    client = inv.about_value("client") or "Client not named"
    details = [
        ("Engagement", inv.about_value("engagement")),
        ("Date", inv.about_value("date")),
        ("Assessor", inv.about_value("assessor")),
        ("Framework", f"NIST Privacy Framework {a.framework.version}"),
        ("Scale", f"{a.scale.name}: {a.scale.describe()}"),
    ]
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in details if v)
    return (
        '<header id="title"><p class="eyebrow">NIST Privacy Framework assessment</p>'
        f'<h1 data-field="client">{_e(client)}</h1><dl class="about">{items}</dl></header>'
    )


def _nav() -> str:
    links = [
        ("summary", "Executive summary"),
        ("charts", "Charts"),
        ("gaps", "Top gaps"),
        ("flows", FLOWS_TITLE),
        ("risk", "Riskiest data actions"),
        ("tiers", "Tiers"),
        ("findings", "Data-flow findings"),
        ("method", "Method"),
    ]
    return (
        '<nav aria-label="Contents"><ol>'
        + "".join(f'<li><a href="#{i}">{_e(t)}</a></li>' for i, t in links)
        + "</ol></nav>"
    )


def _summary(a: Assessment) -> str:
    o = a.overall
    label = a.scale.label
    findings = a.findings
    high = int((findings["severity"] == "High").sum())
    kpis = [
        ("Overall current", _kpi(o.current, "overall.current"), _label(label, o.current)),
        ("Target", _kpi(o.target, "overall.target"), _label(label, o.target)),
        ("Gap", _kpi(o.gap, "overall.gap"), "levels: the mean of the outcomes' gaps"),
        ("Coverage", _kpi(o.coverage, "overall.coverage", "percent"), "of weighted systems"),
        ("Findings", _kpi(len(findings), "findings.count", "int"), f"{high} High severity"),
        (
            "Evidence",
            f'<span class="value" data-field="completeness">{a.completeness.evidenced} of '
            f"{a.completeness.outcomes}</span>",
            "outcomes have evidence"
            + ("" if not a.completeness.missing else f"; {a.completeness.missing} have none"),
        ),
    ]
    cards = "".join(
        f'<div class="kpi"><div class="kpi-name">{_e(name)}</div>{value}'
        f'<div class="kpi-note">{_e(note)}</div></div>'
        for name, value, note in kpis
    )
    messages = "".join(
        f'<li data-field="key_message">{_e(message)}</li>' for message in key_messages(a)
    )
    names = charts.function_names(a)
    rows = []
    for row in a.functions.itertuples(index=False):
        rows.append(
            f'<tr data-id="{_e(row.function)}">'
            + _text(f"{row.function} {names.get(row.function, '')}".strip(), "function")
            + _value(row.current, "current")
            + _text(_label(label, row.current), "label")
            + _value(row.target, "target")
            + _value(row.gap, "gap")
            + _value(row.coverage, "coverage", "percent")
            + "</tr>"
        )
    table = _table(
        "functions-table",
        ["Function", "Current", "Level", "Target", "Gap", "Coverage"],
        rows,
    )
    return (
        '<section id="summary"><h2>Executive summary</h2>'
        f'<div class="kpis">{cards}</div>'
        f'<h3>Key messages</h3><ol class="messages">{messages}</ol>'
        f"<h3>Scores by Function</h3>{table}</section>"
    )


def _kpi(value: object, field: str, kind: str = "level") -> str:
    return _value(value, field, kind, tag="span")


def _label(label, value: float) -> str:
    return "" if _missing(value) else label(value)


def _charts(a: Assessment) -> str:
    figures = []
    for chart_id, function, options, caption in CHARTS:
        fig = function(a, **options)
        figures.append(
            f'<figure class="chart" id="figure-{chart_id}">{_chart_html(fig, chart_id)}'
            f"<figcaption>{_e(caption)}</figcaption></figure>"
        )
    return '<section id="charts"><h2>Charts</h2>' + "".join(figures) + "</section>"


def _gaps(a: Assessment) -> str:
    ranked = charts.ranked_gaps(a)
    top = ranked.head(TOP_GAPS)
    rows = []
    for rank, row in enumerate(top.itertuples(index=False), start=1):
        rows.append(
            f'<tr data-id="{_e(row.subcategory)}">'
            + _value(rank, "rank", "int")
            + _text(row.subcategory, "subcategory", "id")
            + _text(row.text, "outcome", "outcome")
            + _value(row.current, "current")
            + _value(row.target, "target")
            + _value(row.gap, "gap")
            + _value(row.gap_points, "gap_points")
            + _text(row.priority, "priority")
            + "</tr>"
        )
    if not rows:
        return (
            '<section id="gaps"><h2>Top gaps</h2>'
            "<p>Every in-profile Subcategory meets its target.</p></section>"
        )
    table = _table(
        "gaps-table",
        ["#", "Subcategory", "Outcome", "Current", "Target", "Gap", "Gap points", "Priority"],
        rows,
    )
    note = (
        f"The {_count(len(top), 'largest gap')} of {len(ranked)} by gap points (gap × priority "
        "weight); the gap register lists every gap with its systems, controls and findings."
    )
    return f'<section id="gaps"><h2>Top gaps</h2><p>{_e(note)}</p>{table}</section>'


def _tiers(a: Assessment) -> str:
    tiers = a.tiers
    intro = (
        "Implementation Tiers are an organisation-level judgement of how privacy risk is "
        "managed (1 Partial, 2 Risk Informed, 3 Repeatable, 4 Adaptive), kept apart from the "
        "Subcategory scores. The definition is NIST's for the tier rated."
    )
    if tiers.empty:
        body = "<p>The inventory rates no Implementation Tier (its Tiers sheet is empty).</p>"
    else:
        rows = []
        for row in tiers.itertuples(index=False):
            rows.append(
                f'<tr data-id="{_e(row.attribute)}">'
                + _text(row.attribute, "attribute")
                + _value(row.tier, "tier", "int")
                + _text(row.tier_name, "tier_name")
                + _text(row.evidence, "evidence")
                + _text(row.definition, "definition", "definition")
                + "</tr>"
            )
        body = _table(
            "tiers-table", ["Attribute", "Tier", "Name", "Evidence", "NIST definition"], rows
        )
    return f'<section id="tiers"><h2>Implementation Tiers</h2><p>{_e(intro)}</p>{body}</section>'


def _findings(a: Assessment) -> str:
    findings = a.findings
    if findings.empty:
        body = f"<p>{_e(key_messages(a)[1])}</p>"
    else:
        ranks = findings["severity"].map(_SEVERITY_ORDER).fillna(len(_SEVERITY_ORDER))
        ordered = findings.assign(_rank=ranks).sort_values("_rank", kind="stable")
        rows = []
        for row in ordered.itertuples(index=False):
            rows.append(
                f'<tr data-id="{_e(row.finding_id)}">'
                + _text(row.finding_id, "finding_id", "id")
                + _severity(row.severity)
                + _text(row.subcategory, "subcategory", "id")
                + _text(", ".join(row.systems) or "none inventoried", "systems")
                + _text(row.message, "message")
                + "</tr>"
            )
        body = _table(
            "findings-table",
            ["Finding", "Severity", "Subcategory", "Systems touched", "Message"],
            rows,
        )
    intro = (
        "Weaknesses a data flow shows on its face (unencrypted, no purpose, no legal basis, no "
        "retention, unminimised sensitive data, systems nobody inventoried…). Each caps the "
        "level of its Subcategory on the systems it touches."
    )
    return f'<section id="findings"><h2>Data-flow findings</h2><p>{_e(intro)}</p>{body}</section>'


def _method(a: Assessment) -> str:
    """The method's rows (:func:`method_text.method_rows`, as the register and the deck state
    them) as a definition list."""
    rows = "".join(
        f"<dt>{_e(title)}</dt><dd>{_e(text)}</dd>" for title, text in method_text.method_rows(a)
    )
    return (
        '<section id="method"><h2>Method</h2><p>One scoring engine computes every number in '
        "this report, the gap register and the deck; <code>assessment.explain(ID)</code> "
        f'shows the arithmetic behind any Subcategory.</p><dl class="method">{rows}</dl>'
        "</section>"
    )


def _version() -> str:
    import nistpf  # at call time: nistpf's __init__ may import this module

    return nistpf.__version__


def _footer(a: Assessment) -> str:
    inv = a.inventory
    sha = inv.sha256 or "not recorded (built from DataFrames)"
    parts = [
        ("nistpf", f"nistpf {_version()}"),
        ("framework", f"NIST Privacy Framework {a.framework.version}"),
        ("input", f"input {shown(inv.source)}"),
        ("sha256", f"SHA-256 {sha}"),
    ]
    spans = " · ".join(f'<span data-field="{k}">{_e(v)}</span>' for k, v in parts)
    return f"<footer><p>{spans}</p></footer>"


# -- the document --------------------------------------------------------------------------------


def build_report_html(a: Assessment) -> str:
    """The report of ``a`` as one self-contained HTML document (see the module's docstring)."""
    client = a.inventory.about_value("client")
    title = "NIST Privacy Framework assessment"
    if client:
        title = f"{client} — {title}"
    body = "".join(
        [
            _header(a),
            _nav(),
            "<main>",
            _summary(a),
            _charts(a),
            _gaps(a),
            flows_section(a, _chart_html),
            risk_section(a, _chart_html),
            _tiers(a),
            _findings(a),
            _method(a),
            "</main>",
            _footer(a),
        ]
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="nistpf {_e(_version())}">'
        f"<title>{_e(title)}</title><style>{_CSS}</style>\n"
        f"<script>{get_plotlyjs()}</script>\n"
        f"</head><body>{body}</body></html>\n"
    )


def write_report(a: Assessment, path: Path | str) -> Path:
    """Write the HTML report of ``a`` to ``path`` and return the path. The file is written to
    a temporary file beside it and renamed into place, so a failure leaves the old file (or
    none); an existing report is replaced. Refuses to write over the inventory ``a`` was read
    from, or into its source folder (:class:`~nistpf.errors.OutputIsInputError`); a destination
    that cannot be written, or a write the operating system refuses (no space left, permission,
    a name too long), is an :class:`~nistpf.errors.OutputNotWritableError` naming the cause.

    >>> import nistpf, tempfile, pathlib
    >>> a = nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))
    >>> out = write_report(a, pathlib.Path(tempfile.mkdtemp()) / "report.html")
    >>> out.stat().st_size > 1_000_000
    True
    """
    path = Path(path)
    check_paths(source_uses(a.inventory.path), [Use(path, "the HTML report")])
    check_destination(path)
    html = build_report_html(a)
    try:
        write_text(path, html)
    except OSError as error:
        raise OutputNotWritableError.from_os_error(path, error) from error
    return path


_CSS = f"""
:root {{ --text: {theme.TEXT_COLOR}; --muted: {theme.MUTED_COLOR}; --accent: {theme.BLUE};
  --rule: #D9D9D9; --zebra: #F6F7F9; }}
* {{ box-sizing: border-box; }}
body {{ font-family: {theme.FONT_FAMILY}; color: var(--text); margin: 0 auto; max-width: 1180px;
  padding: 32px 40px 24px; line-height: 1.45; font-size: 15px; background: #FFFFFF; }}
h1 {{ font-size: 34px; margin: 4px 0 12px; }}
h2 {{ font-size: 24px; margin: 40px 0 12px; padding-bottom: 6px;
  border-bottom: 3px solid var(--accent); }}
h3 {{ font-size: 17px; margin: 24px 0 8px; }}
.eyebrow {{ text-transform: uppercase; letter-spacing: .08em; color: var(--accent);
  font-weight: bold; margin: 0; font-size: 13px; }}
dl.about {{ display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0;
  color: var(--muted); }}
dl.about dt {{ font-weight: bold; }} dl.about dd {{ margin: 0; }}
dl.method {{ display: grid; grid-template-columns: 11em 1fr; gap: 6px 16px; }}
dl.method dt {{ font-weight: bold; }} dl.method dd {{ margin: 0; }}
nav ol {{ list-style: none; padding: 0; margin: 20px 0 0; display: flex; flex-wrap: wrap;
  gap: 6px 18px; font-size: 14px; }}
nav a {{ color: var(--accent); text-decoration: none; }}
.kpis {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; }}
.kpi {{ border: 1px solid var(--rule); border-top: 4px solid var(--accent); padding: 10px 14px;
  border-radius: 4px; }}
.kpi-name {{ color: var(--muted); font-size: 13px; text-transform: uppercase;
  letter-spacing: .05em; }}
.kpi .value {{ display: block; font-size: 30px; font-weight: bold; margin: 2px 0; }}
.kpi-note {{ color: var(--muted); font-size: 13px; }}
ol.messages li {{ margin: 6px 0; font-size: 16px; }}
table {{ border-collapse: collapse; width: 100%; font-size: 14px; margin: 8px 0 4px; }}
th {{ text-align: left; background: #EEF2F6; border-bottom: 2px solid #AAB4BE; padding: 6px 8px;
  vertical-align: bottom; }}
td {{ border-bottom: 1px solid var(--rule); padding: 6px 8px; vertical-align: top; }}
tbody tr:nth-child(even) {{ background: var(--zebra); }}
td.num, th.num {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
td.id {{ white-space: nowrap; font-weight: bold; }}
td.outcome, td.definition {{ font-size: 13px; }}
.badge {{ display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
  font-weight: bold; }}
.sev-high {{ background: {theme.VERMILLION}; color: #FFFFFF; }}
.sev-medium {{ background: {theme.ORANGE}; color: #222222; }}
.sev-low {{ background: {theme.YELLOW}; color: #222222; }}
figure.chart {{ margin: 24px 0; border: 1px solid var(--rule); border-radius: 4px;
  padding: 8px; }}
figcaption {{ color: var(--muted); font-size: 13px; padding: 4px 8px 2px; }}
figure.diagram {{ margin: 24px 0; border: 1px solid var(--rule); border-radius: 4px;
  padding: 8px; overflow-x: auto; }}
figure.diagram svg {{ max-width: 100%; height: auto; display: block; margin: 0 auto; }}
.journey {{ margin: 18px 0 26px; }}
.journey h4 {{ font-size: 16px; margin: 0 0 4px; }}
ul.gaps li {{ margin: 3px 0; }}
p.note {{ color: var(--muted); font-size: 13px; }}
footer {{ margin-top: 40px; padding-top: 10px; border-top: 1px solid var(--rule);
  color: var(--muted); font-size: 12px; overflow-wrap: anywhere; }}
code {{ font-size: 13px; background: #F2F2F2; padding: 0 4px; border-radius: 3px; }}
@media print {{
  body {{ max-width: none; padding: 0; font-size: 11pt; }}
  nav {{ display: none; }}
  h2 {{ break-after: avoid; }}
  figure.chart, figure.diagram, tr, .kpi {{ break-inside: avoid; }}
  figure.chart, figure.diagram {{ border: none; }}
  #charts, #gaps, #flows, #risk, #tiers, #findings, #method {{ break-before: page; }}
}}
@page {{ size: A4; margin: 14mm; }}
"""
