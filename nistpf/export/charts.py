"""Leadership charts: plotly figures built from an :class:`~nistpf.assessment.Assessment`.

Every function takes the assessment first and keyword-only options, returns a
``plotly.graph_objects.Figure`` and has no side effect: it never shows the figure and never
writes a file (the report and image exporters do that). The values plotted are the
Assessment's own numbers, unrounded, so a chart always agrees with the gap register; titles
state the finding the chart shows ("Control-P is 2.2 levels below target"), rounded from those
same numbers. All figures share the ``nistpf`` template (:mod:`nistpf.export.theme`).
``pram_heatmap`` (NIST PRAM likelihood × impact) is :mod:`nistpf.export.pram_chart`'s.

Text that comes from the inventory (system names, flow purposes, finding messages) is
HTML-escaped before it goes into a figure, because plotly renders ``<b>``-style tags in labels
and hover text; plotly shows the escaped text as written.

>>> import nistpf
>>> from nistpf.export import charts
>>> a = nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))
>>> charts.radar(a).layout.title.text
'Control-P is 2.2 levels below target'
"""

from __future__ import annotations

import html
import math
import textwrap
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nistpf.assessment import Assessment, largest_gap_phrase, leaders, named, nothing_scored
from nistpf.export import theme
from nistpf.export.pram_chart import pram_heatmap  # noqa: F401 - charts.pram_heatmap, NIST PRAM
from nistpf.inventory.schema import EXTERNAL_PREFIX
from nistpf.numbers import fixed, percent

SEVERITIES = ("High", "Medium", "Low")  # worst first
_LEVELS = ("function", "category")


# -- shared helpers ------------------------------------------------------------------------------


def _esc(value: object) -> str:
    """Inventory text made inert for plotly's HTML-like labels (plotly displays it as written)."""
    return html.escape(str(value), quote=False)


def _figure(title: str, subtitle: str = "", **layout) -> go.Figure:
    fig = go.Figure(layout={"template": theme.TEMPLATE_NAME, **layout})
    fig.update_layout(title={"text": title, "subtitle": {"text": subtitle}})
    return fig


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def _levels_phrase(gap: float) -> str:
    shown = fixed(gap)  # two decimals, as every table and the register show it
    return f"{shown} level" if shown == "1.00" else f"{shown} levels"


def function_names(a: Assessment) -> dict[str, str]:
    """``{"ID-P": "Identify-P", …}`` in the framework's order."""
    table = a.framework.functions
    return dict(zip(table["id"], table["name"], strict=True))


def category_names(a: Assessment) -> dict[str, str]:
    """``{"ID.IM-P": "Inventory and Mapping", …}`` in the framework's order."""
    table = a.framework.categories
    return dict(zip(table["id"], table["name"], strict=True))


def ranked_gaps(a: Assessment, *, n: int | None = None) -> pd.DataFrame:
    """The in-profile Subcategories below target in the one ranking every output uses
    (:meth:`nistpf.Assessment.ranked_gaps`: gap points, then gap, then framework order; tied
    outcomes share a ``rank``); the first ``n`` when given."""
    return a.ranked_gaps(n=n)


_empty = theme.empty


# -- radar ---------------------------------------------------------------------------------------


def _wrap(text: str, width: int = 24) -> str:
    """A long axis label broken over lines (plotly's ``<br>``)."""
    return "<br>".join(textwrap.wrap(text, width)) or text


def radar(a: Assessment, *, level: str = "function") -> go.Figure:
    """Current vs target per Function (``level="function"``) or per Category
    (``level="category"``): two Scatterpolar traces, "Current" and "Target". ``theta`` holds
    the Function names ("Identify-P") or Category names (long ones broken over lines with
    ``<br>``) in the framework's order and ``r`` the roll-ups of ``a.functions`` /
    ``a.categories``; the first point is repeated at the end so that the outline closes. The
    radial axis carries the scale's labels; the title names the Function (Category) with the
    largest gap."""
    if level not in _LEVELS:
        raise ValueError(f"level must be 'function' or 'category', not {level!r}")
    table = a.functions if level == "function" else a.categories
    names = function_names(a) if level == "function" else category_names(a)
    theta = [names.get(key, key) for key in table[level]]
    if level == "category":
        theta = [_wrap(name) for name in theta]
    word = "Function" if level == "function" else "Category"

    gaps = table["gap"].astype(float)
    if len(table) == 0 or gaps.isna().all():
        title = nothing_scored(a)
    elif gaps.max() <= 0:
        title = f"Every {word} meets its target"
    else:
        worst = [names.get(k, k) for k in table.loc[leaders(gaps), level]]
        plural = "Functions" if level == "function" else "Categories"
        verb = "is" if len(worst) == 1 else "are each"
        title = f"{named(worst, plural)} {verb} {_levels_phrase(gaps.max())} below target"
    o = a.overall
    subtitle = (
        f"Current vs target level by {word} on the {a.scale.name} scale · overall current "
        f"{fixed(o.current)} ({a.scale.label(o.current)}), target {fixed(o.target)} · "
        f"{a.completeness}"
        if len(table)
        else ""
    )
    fig = _figure(title, subtitle, height=560 if level == "function" else 720)
    if table.empty:
        return fig
    # Figures in the hover text are formatted here, as every table shows them
    # (nistpf.numbers), not by plotly, which rounds the binary value.
    hover = (
        "<b>%{theta}</b> (%{customdata[0]})<br>%{fullData.name}: %{customdata[3]}"
        "<br>gap %{customdata[1]} · coverage %{customdata[2]}<extra></extra>"
    )
    closed = [*theta, theta[0]]
    for name, column, color, extra in (
        ("Current", "current", theme.CURRENT_COLOR, {"fill": "toself"}),
        ("Target", "target", theme.TARGET_COLOR, {}),
    ):
        values = table[column].astype(float).tolist()
        custom = [
            [key, fixed(gap), percent(cover), fixed(value)]
            for key, gap, cover, value in zip(
                table[level], table["gap"], table["coverage"], values, strict=True
            )
        ]
        custom = [*custom, custom[0]]
        fig.add_trace(
            go.Scatterpolar(
                name=name,
                r=[*values, values[0]],
                theta=closed,
                line={"color": color, "width": 2.5, "dash": "dash" if name == "Target" else None},
                marker={"size": 7, "symbol": "diamond" if name == "Target" else "circle"},
                fillcolor="rgba(0, 114, 178, 0.22)",
                customdata=custom,
                hovertemplate=hover,
                **extra,
            )
        )
    fig.update_polars(
        radialaxis={
            "range": [a.scale.minimum, a.scale.maximum],
            # drawn between the first spoke and the last, where no value sits on it
            "angle": 90 + 180 / len(theta),
            "tickangle": 90 + 180 / len(theta),
            "tickfont": {"size": theme.BODY_SIZE - 2, "color": theme.MUTED_COLOR},
            **theme.level_axis(dict(a.scale.labels)),
        },
        angularaxis={"direction": "clockwise", "rotation": 90},
    )
    side = 120 if level == "function" else 170
    fig.update_layout(
        margin={"l": side, "r": side, "t": 110, "b": 40 if level == "function" else 80}
    )
    return fig


# -- heat map ------------------------------------------------------------------------------------


def _system_matrix(a: Assessment) -> pd.DataFrame:
    """Systems × Functions levels (framework order of Functions), weakest system first: the
    lowest mean of its Function levels (Functions with no in-profile Subcategory skipped); ties
    keep the inventory's order."""
    view = a.systems
    functions = [f for f in function_names(a) if f in set(view["function"])]
    order = list(dict.fromkeys(view["system"]))
    matrix = view.pivot(index="system", columns="function", values="level")
    matrix = matrix.reindex(index=order, columns=functions)
    mean = matrix.mean(axis=1, skipna=True)
    ranked = sorted(range(len(order)), key=lambda i: (_sort_key(mean.iloc[i]), i))
    return matrix.iloc[ranked]


def _sort_key(value: float) -> float:
    return math.inf if pd.isna(value) else float(value)


def heatmap(a: Assessment) -> go.Figure:
    """Mean level of every in-scope system per Function (``a.systems``): rows are systems,
    labelled ``"SYS-ID Name"`` and ordered weakest first (the lowest mean of its Function
    levels on top; ties keep the inventory's order), columns are the Functions. Colours run
    from 0 to the scale's maximum with the scale's labels on the colour bar."""
    matrix = _system_matrix(a)
    view = a.systems.drop_duplicates("system").set_index("system")
    fnames = function_names(a)
    labels = [f"{_esc(s)} {_esc(view.loc[s, 'name'])}".strip() for s in matrix.index]
    if matrix.empty:
        return _empty(_figure("No system is in scope", height=400), "no system is in scope")
    if matrix.isna().all().all():
        return _empty(_figure(nothing_scored(a), height=400), "no level to show")
    weakest = [str(s) for s in leaders(matrix.mean(axis=1), largest=False)]
    row = matrix.iloc[0]
    lowest = row.idxmin() if row.notna().any() else None
    subtitle = "Mean level per system and Function, weakest system on top"
    if lowest is not None:
        subtitle += f" · its lowest: {fnames.get(lowest, lowest)} at {fixed(row[lowest])}"
    fig = _figure(
        f"{_esc(weakest[0])} is the weakest system"
        if len(weakest) == 1
        else f"{_esc(named(weakest, 'systems'))} share the lowest mean level",
        subtitle,
        height=max(420, 150 + 30 * len(matrix)),
    )
    z = [[None if pd.isna(v) else float(v) for v in values] for values in matrix.to_numpy()]
    fig.add_trace(
        go.Heatmap(
            z=z,
            x=[fnames.get(f, f) for f in matrix.columns],
            y=labels,
            zmin=a.scale.minimum,
            zmax=a.scale.maximum,
            colorscale=[list(stop) for stop in theme.LEVEL_COLORSCALE],
            colorbar={"title": {"text": "Level"}, **theme.level_axis(dict(a.scale.labels))},
            text=[["" if v is None else fixed(v) for v in values] for values in z],
            texttemplate="%{text}",
            textfont={"size": theme.BODY_SIZE - 1},
            xgap=2,
            ygap=2,
            hoverongaps=False,
            hovertemplate="<b>%{y}</b><br>%{x}: %{text}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", showgrid=False)
    fig.update_xaxes(side="top", showgrid=False)
    fig.update_layout(margin={"t": 120})
    return fig


# -- top gaps ------------------------------------------------------------------------------------


def top_gaps(a: Assessment, *, n: int = 10) -> go.Figure:
    """The ``n`` largest gaps (:func:`ranked_gaps`), largest on top. Left: horizontal bars of
    gap points (gap × priority weight; the bar values are ``gap_points`` exactly), coloured by
    priority. Right, on the same rows: current (circle) and target (diamond) level on the
    scale's axis, joined by a line that is the gap."""
    rows = ranked_gaps(a, n=n)
    if rows.empty:
        return _empty(_figure("No Subcategory is below target", height=400), "no gaps")
    top = rows.iloc[0]
    each = " each" if (rows["rank"] == 1).sum() > 1 else ""
    title = (
        f"{largest_gap_phrase(a)}: {fixed(top['gap_points'])} gap points{each}, "
        f"{_levels_phrase(top['gap'])} below target"
    )
    total = len(ranked_gaps(a))
    key = " ".join(
        f"<span style='color:{color}'>■</span> {priority}"
        for priority, color in theme.PRIORITY_COLORS.items()
    )
    subtitle = (
        f"The {_plural(len(rows), 'largest gap')} of {total} by gap points (gap × priority "
        f"weight); bars by priority: {key}"
    )
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        column_widths=[0.55, 0.45],
        horizontal_spacing=0.04,
        subplot_titles=("Gap points", "Current → target level"),
    )
    fig.update_layout(
        template=theme.TEMPLATE_NAME,
        title={"text": title, "subtitle": {"text": subtitle}},
        height=170 + 34 * len(rows),
        bargap=0.3,
    )
    ids = list(rows["subcategory"])
    priorities = list(rows["priority"])
    custom = [
        [text, fixed(current), fixed(target), fixed(gap), priority, fixed(points)]
        for text, current, target, gap, priority, points in zip(
            rows["text"],
            rows["current"],
            rows["target"],
            rows["gap"],
            rows["priority"],
            rows["gap_points"],
            strict=True,
        )
    ]
    fig.add_trace(
        go.Bar(
            name="Gap points",
            orientation="h",
            x=rows["gap_points"].astype(float).tolist(),
            y=ids,
            marker={"color": [theme.PRIORITY_COLORS.get(p, theme.VERMILLION) for p in priorities]},
            text=[fixed(v) for v in rows["gap_points"]],
            textposition="outside",
            cliponaxis=False,
            customdata=custom,
            showlegend=False,
            hovertemplate=(
                "<b>%{y}</b> %{customdata[0]}<br>gap points %{customdata[5]} "
                "(%{customdata[4]} priority)<br>current %{customdata[1]} → target "
                "%{customdata[2]}, gap %{customdata[3]}<extra></extra>"
            ),
        ),
        row=1,
        col=1,
    )
    line_x: list[float | None] = []
    line_y: list[str | None] = []
    for sub, current, target in zip(ids, rows["current"], rows["target"], strict=True):
        line_x += [float(current), float(target), None]
        line_y += [sub, sub, None]
    fig.add_trace(
        go.Scatter(
            name="Gap",
            x=line_x,
            y=line_y,
            mode="lines",
            hoverinfo="skip",
            showlegend=False,
            line={"color": "#9A9A9A", "width": 3},
        ),
        row=1,
        col=2,
    )
    for name, column, color, symbol in (
        ("Current", "current", theme.CURRENT_COLOR, "circle"),
        ("Target", "target", theme.TARGET_COLOR, "diamond"),
    ):
        fig.add_trace(
            go.Scatter(
                name=name,
                x=rows[column].astype(float).tolist(),
                y=ids,
                mode="markers",
                marker={"color": color, "symbol": symbol, "size": 11},
                hovertemplate=f"<b>%{{y}}</b> {name.lower()} %{{x:.2f}}<extra></extra>",
            ),
            row=1,
            col=2,
        )
    fig.update_yaxes(autorange="reversed", showgrid=False)
    most = float(rows["gap_points"].max())
    fig.update_xaxes(range=[0, most * 1.15], row=1, col=1)
    fig.update_xaxes(
        range=[a.scale.minimum - 0.3, a.scale.maximum + 0.3],
        row=1,
        col=2,
        # level labels side by side where the column is wide enough, else tilted to the left
        # (so that the last one, tilted, stays inside the figure)
        autotickangles=[0, -30, -90],
        **theme.level_axis(dict(a.scale.labels)),
    )
    fig.update_layout(
        margin={"t": 130, "b": 120},
        # at the foot of the figure, below the level labels however far they are tilted
        legend={
            "orientation": "h",
            "yref": "container",
            "y": 0.0,
            "yanchor": "bottom",
            "x": 1.0,
            "xanchor": "right",
        },
    )
    return fig


# -- sunburst ------------------------------------------------------------------------------------


def sunburst(a: Assessment) -> go.Figure:
    """The Core as rings — Functions, Categories, in-profile Subcategories — each wedge sized by
    its number of in-profile Subcategories (the roll-ups are plain means over them, so a wedge's
    area is its weight in the overall score) and coloured by its gap below target (the
    Assessment's ``gap``: 0 blue … the scale's maximum vermillion)."""
    subs = a.subcategories
    subs = subs[subs["in_profile"]]
    if a.defaults.get("no_evidence") == "exclude":  # the rings show what the roll-ups hold
        subs = subs[subs["source"] != "no evidence"]
    subs = subs.reset_index(drop=True)
    below = int((subs["gap"] > 0).sum())
    if a.completeness.excluded:
        profiled = _plural(len(subs), "scored Subcategory", "scored Subcategories")
    else:
        profiled = _plural(len(subs), "Subcategory", "Subcategories")
    verb = "is" if below == 1 or len(subs) == 1 else "are"
    title = f"{below} of {profiled} in the profile {verb} below target"
    if subs.empty:
        return _empty(_figure(nothing_scored(a), height=400), "empty profile")
    fnames, cnames = function_names(a), category_names(a)
    functions = a.functions.set_index("function")
    categories = a.categories.set_index("category")
    counts_f = subs.groupby("function", sort=False).size()
    counts_c = subs.groupby("category", sort=False).size()
    ids, labels, parents, values, colors, custom = [], [], [], [], [], []

    def add(id_, label, parent, value, row, name):
        ids.append(id_)
        labels.append(label)
        parents.append(parent)
        values.append(int(value))
        colors.append(float(row["gap"]))
        custom.append([name, fixed(row["current"]), fixed(row["target"]), fixed(row["gap"])])

    for f in [f for f in fnames if f in counts_f.index]:
        add(f, fnames[f], "", counts_f[f], functions.loc[f], fnames[f])
    for c in [c for c in cnames if c in counts_c.index]:
        function = subs.loc[subs["category"] == c, "function"].iloc[0]
        add(c, c, function, counts_c[c], categories.loc[c], cnames[c])
    for row in subs.itertuples(index=False):
        add(row.subcategory, row.subcategory, row.category, 1, row._asdict(), row.text)
    worst = a.functions.loc[a.functions["gap"].idxmax()]
    subtitle = (
        f"Functions → Categories → Subcategories, coloured by levels below target; "
        f"furthest: {fnames.get(worst['function'], worst['function'])} at {fixed(worst['gap'])}"
    )
    fig = _figure(title, subtitle, height=680)
    fig.add_trace(
        go.Sunburst(
            ids=ids,
            labels=labels,
            parents=parents,
            values=values,
            branchvalues="total",
            marker={
                "colors": colors,
                "cmin": 0,
                "cmax": a.scale.maximum,
                "colorscale": [list(stop) for stop in theme.GAP_COLORSCALE],
                "showscale": True,
                "line": {"color": "#FFFFFF", "width": 1},
                "colorbar": {"title": {"text": "Levels below target"}},
            },
            customdata=custom,
            insidetextorientation="radial",
            sort=False,
            hovertemplate=(
                "<b>%{id}</b> %{customdata[0]}<br>current %{customdata[1]} · target "
                "%{customdata[2]} · gap %{customdata[3]}<extra></extra>"
            ),
        )
    )
    fig.update_layout(margin={"l": 20, "r": 20, "t": 100, "b": 20})
    return fig


# -- data-flow map -------------------------------------------------------------------------------


def _node(endpoint: str, systems: pd.DataFrame) -> tuple[str, str]:
    """(label, kind) of a flow endpoint: a system (its ID, then its name broken over short
    lines, so that labels of neighbouring columns do not run into each other), an external
    party (as written) or a system the Systems sheet does not list."""
    if endpoint.startswith(EXTERNAL_PREFIX):
        return _esc(endpoint), "external"
    if endpoint in systems.index:
        row = systems.loc[endpoint]
        name = str(row["name"])
        in_scope = row["in_scope"]
        if not (pd.isna(in_scope) or bool(in_scope)):
            name += " (out of scope)"
        lines = [_esc(line) for line in textwrap.wrap(name, 18)]
        return "<br>".join([_esc(endpoint), *lines]), "system"
    return f"{_esc(endpoint)}<br>(not in Systems)", "unknown"


def flow_map(a: Assessment) -> go.Figure:
    """A Sankey of the inventory's customer-data flows: nodes are systems (``"SYS-ID<br>Name"``),
    external parties (``"external:Party"``, as the DataFlows sheet writes them) and systems the
    Systems sheet does not list (``"ID<br>(not in Systems)"``, vermillion); every flow is one link
    of value 1. A link is coloured by its worst finding (High vermillion, Medium orange, Low
    yellow; grey with none) and its hover text names the flow and each finding (ID, severity,
    message). A flow inside one system (a disposal, say) ends in a node of its own,
    ``"disposal within SYS-ID"`` (its stage, or "internal"), which reads better than a loop."""
    flows = a.inventory.flows
    systems = a.inventory.systems.drop_duplicates("system_id").set_index("system_id")
    findings = a.findings
    by_flow = dict(list(findings.groupby("flow_id", sort=False)))
    nodes: dict[object, int] = {}
    node_labels, node_colors, node_kinds = [], [], []

    def node(key: object, label: str, kind: str) -> int:
        if key not in nodes:
            nodes[key] = len(nodes)
            node_labels.append(label)
            node_kinds.append(kind)
            node_colors.append(theme.NODE_COLORS[kind])
        return nodes[key]

    sources, targets, colors, hover, worst_of = [], [], [], [], []
    for flow in flows.itertuples(index=False):
        source, destination = str(flow.source), str(flow.destination)
        sources.append(node(source, *_node(source, systems)))
        if destination == source:
            stage = str(flow.stage or "internal")
            label = f"{_esc(stage)} within {_esc(source)}"
            targets.append(node(("internal", source, stage), label, "internal"))
        else:
            targets.append(node(destination, *_node(destination, systems)))
        group = by_flow.get(flow.flow_id)
        lines = [
            f"<b>{_esc(flow.flow_id)}</b>: {_esc(flow.source)} → {_esc(flow.destination)}"
            + (f" ({_esc(flow.stage)})" if flow.stage else ""),
            _esc(flow.purpose) if flow.purpose else "no purpose recorded",
        ]
        worst = None
        if group is not None:
            ranks = group["severity"].map({s: i for i, s in enumerate(SEVERITIES)}).fillna(99)
            worst = group.loc[ranks.idxmin(), "severity"]
            for finding in group.assign(rank=ranks).sort_values("rank", kind="stable").itertuples():
                severity = _esc(finding.severity)
                lines.append(f"{_esc(finding.finding_id)} ({severity}): {_esc(finding.message)}")
        else:
            lines.append("no finding")
        worst_of.append(worst)
        colors.append(theme.SEVERITY_LINK_COLORS.get(worst, theme.NO_FINDING_LINK))
        hover.append("<br>".join(lines))

    high = sum(1 for w in worst_of if w == "High")
    with_findings = sum(1 for w in worst_of if w is not None)
    if high:
        title = f"{_plural(high, 'flow')} with High findings"
    elif with_findings:
        title = f"{_plural(with_findings, 'flow')} with findings, none High"
    elif len(flows):
        title = f"No finding on {_plural(len(flows), 'data flow')}"
    else:
        title = "No data flow in the inventory"
    legend = " ".join(
        f"<span style='color:{theme.SEVERITY_COLORS[s]}'>■</span> {s}" for s in SEVERITIES
    )
    subtitle = (
        f"{_plural(len(flows), 'customer-data flow')} between CX systems and external parties; "
        f"links by worst finding: {legend} <span style='color:#999999'>■</span> none"
    )
    fig = _figure(title, subtitle, height=max(720, 36 * len(nodes)))
    if flows.empty:
        return _empty(fig, "no data flows in the inventory")
    fig.add_trace(
        go.Sankey(
            arrangement="snap",
            node={
                "label": node_labels,
                "color": node_colors,
                "pad": 28,
                "thickness": 14,
                "line": {"width": 0},
                "customdata": node_kinds,
                "hovertemplate": "<b>%{label}</b> (%{customdata})<extra></extra>",
            },
            link={
                "source": sources,
                "target": targets,
                "value": [1] * len(sources),
                "color": colors,
                "customdata": hover,
                "hovertemplate": "%{customdata}<extra></extra>",
            },
        )
    )
    fig.update_layout(margin={"l": 20, "r": 20, "t": 100, "b": 20}, font={"size": 12})
    return fig


# -- coverage ------------------------------------------------------------------------------------


def coverage(a: Assessment) -> go.Figure:
    """Coverage by Category (``a.categories.coverage``: the weighted share of systems with an
    Implemented, or half for a Partially implemented, control), one bar trace per Function,
    0-100 %, with the organisation's overall coverage as a dashed line. The title names the
    Function with the lowest coverage."""
    categories = a.categories
    fnames, cnames = function_names(a), category_names(a)
    functions = a.functions
    if categories.empty:
        return _empty(_figure(nothing_scored(a), height=400), "no data")
    lowest = functions.loc[leaders(functions["coverage"].round(4), largest=False), "function"].map(
        lambda f: fnames.get(f, f)
    )
    title = (
        f"{named(list(lowest), 'Functions')} outcomes are covered on "
        f"{percent(functions['coverage'].min())} of weighted systems"
    )
    subtitle = (
        f"Weighted share of systems with an implemented control, by Category · overall "
        f"{percent(a.overall.coverage)}"
    )
    fig = _figure(title, subtitle, height=500, barmode="group", bargap=0.25)
    function_of = a.subcategories.drop_duplicates("category").set_index("category")["function"]
    for i, (function, name) in enumerate(fnames.items()):
        part = categories[categories["category"].map(function_of) == function]
        if part.empty:
            continue
        fig.add_trace(
            go.Bar(
                name=name,
                x=list(part["category"]),
                y=part["coverage"].astype(float).tolist(),
                marker={"color": theme.PALETTE[i % len(theme.PALETTE)]},
                text=[f"{percent(v)}" for v in part["coverage"]],
                textposition="outside",
                customdata=[cnames.get(c, c) for c in part["category"]],
                cliponaxis=False,
                hovertemplate="<b>%{x}</b> %{customdata}<br>coverage %{y:.0%}<extra></extra>",
            )
        )
    fig.add_hline(
        y=a.overall.coverage, line={"dash": "dash", "color": theme.MUTED_COLOR, "width": 1.5}
    )
    fig.add_annotation(
        text=f"overall<br>{percent(a.overall.coverage)}",
        xref="paper",
        x=1.0,
        xanchor="left",
        y=a.overall.coverage,
        showarrow=False,
        align="left",
        font={"color": theme.MUTED_COLOR},
    )
    fig.update_yaxes(range=[0, 1.08], tickformat=".0%", tickvals=[0, 0.25, 0.5, 0.75, 1])
    fig.update_xaxes(
        type="category",
        tickangle=-45,
        categoryorder="array",
        categoryarray=list(categories["category"]),
    )
    fig.update_layout(legend={"y": 1.02}, margin={"t": 120, "r": 80})
    return fig


# -- trend ---------------------------------------------------------------------------------------


def assessment_dates(assessments: Sequence[Assessment]) -> list[str] | None:
    """ISO dates (``YYYY-MM-DD``) from each inventory's About ``date``; None when any is
    missing or unreadable."""
    dates = []
    for a in assessments:
        value = pd.to_datetime(a.inventory.about_value("date"), errors="coerce")
        if pd.isna(value):
            return None
        dates.append(value.date().isoformat())
    return dates


def trend(assessments: Sequence[Assessment]) -> go.Figure:
    """Overall and per-Function current level across assessments: an "Overall" line and one
    line per Function (named like "Control-P"). x is each inventory's About ``date`` in date
    order; when any assessment has no readable date, x is its position (1, 2, …) in the order
    given. All assessments must use one scale."""
    assessments = list(assessments)
    if not assessments or not all(isinstance(a, Assessment) for a in assessments):
        raise ValueError("assessments must be a non-empty list of Assessments")
    scales = {a.scale.name for a in assessments}
    if len(scales) > 1:
        raise ValueError(f"assessments use different scales ({', '.join(sorted(scales))})")
    dates = assessment_dates(assessments)
    if dates is not None:
        order = sorted(range(len(assessments)), key=lambda i: dates[i])
        x: list = [dates[i] for i in order]
    else:
        order = list(range(len(assessments)))
        x = [i + 1 for i in order]
    ordered = [assessments[i] for i in order]
    first, last = ordered[0].overall.current, ordered[-1].overall.current
    scale = ordered[-1].scale
    if math.isnan(first) or math.isnan(last):
        title = "Overall current across assessments (one has an empty profile)"
    elif len(ordered) == 1:
        title = f"Overall current is {fixed(last)} ({scale.label(last)})"
    elif round(last, 2) > round(first, 2):
        title = f"Overall current rose from {fixed(first)} to {fixed(last)} ({scale.label(last)})"
    elif round(last, 2) < round(first, 2):
        title = f"Overall current fell from {fixed(first)} to {fixed(last)} ({scale.label(last)})"
    else:
        title = f"Overall current held at {fixed(last)} ({scale.label(last)})"
    subtitle = (
        f"Current level across {_plural(len(ordered), 'assessment')}, overall and by Function"
    )
    fig = _figure(title, subtitle, height=500)
    fnames: dict[str, str] = {}
    for a in ordered:
        fnames.update(function_names(a))
    for i, (function, name) in enumerate(fnames.items()):
        y = []
        for a in ordered:
            row = a.functions.set_index("function")["current"]
            y.append(float(row[function]) if function in row.index else None)
        fig.add_trace(
            go.Scatter(
                name=name,
                x=x,
                y=y,
                mode="lines+markers",
                line={"color": theme.PALETTE[i % len(theme.PALETTE)], "width": 2},
                hovertemplate=f"{name} %{{y:.2f}}<extra>%{{x}}</extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            name="Overall",
            x=x,
            y=[a.overall.current for a in ordered],
            mode="lines+markers",
            line={"color": theme.OVERALL_COLOR, "width": 4},
            marker={"size": 9},
            hovertemplate="Overall %{y:.2f}<extra>%{x}</extra>",
        )
    )
    fig.update_yaxes(
        range=[scale.minimum, scale.maximum + 0.1], **theme.level_axis(dict(scale.labels))
    )
    if dates is not None:
        fig.update_xaxes(type="date", tickformat="%d %b %Y", tickvals=x)
    else:
        fig.update_xaxes(title_text="assessment", tickvals=x, type="linear")
    return fig
