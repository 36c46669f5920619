"""Leadership charts: the figure data is the Assessment's, titles state what the data shows,
one theme, and no chart ever shows itself or writes a file."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

import nistpf
from nistpf.export import charts, theme

PAYLOAD = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def a() -> nistpf.Assessment:
    return nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))


@pytest.fixture(autouse=True)
def never_shown(monkeypatch):
    def show(*args, **kwargs):
        raise AssertionError("a chart function called Figure.show()")

    monkeypatch.setattr(go.Figure, "show", show)


def function_names(a):
    return dict(zip(a.framework.functions["id"], a.framework.functions["name"], strict=True))


def all_charts(a):
    return {
        "radar": charts.radar(a),
        "radar-category": charts.radar(a, level="category"),
        "heatmap": charts.heatmap(a),
        "top_gaps": charts.top_gaps(a),
        "sunburst": charts.sunburst(a),
        "flow_map": charts.flow_map(a),
        "coverage": charts.coverage(a),
        "trend": charts.trend([a]),
    }


def small_inventory(*, date=None, responses=None, system_name="Service Cloud", purpose="Service"):
    """Two systems, one control, one unencrypted flow (a High finding), one external flow."""
    sheets = {
        "Systems": pd.DataFrame(
            {
                "system_id": ["CRM", "BOT"],
                "name": [system_name, "Web Chatbot"],
                "type": ["CRM", "Chatbot"],
                "criticality": ["High", "Low"],
            }
        ),
        "Controls": pd.DataFrame(
            [["C1", "TLS", "Implemented", None, "PR.DS-P2; ID.IM-P1", "ALL"]],
            columns=["control_id", "name", "status", "maturity", "subcategories", "applies_to"],
        ),
        "DataFlows": pd.DataFrame(
            [
                ["F-1", "BOT", "CRM", "user.contact.email", purpose, "transfer", "no", "Ops", 30],
                [
                    "F-2",
                    "CRM",
                    "external:Mailer",
                    "user.contact.email",
                    "News",
                    "sharing",
                    "yes",
                    "Ops",
                    30,
                ],
            ],
            columns=[
                "flow_id",
                "source",
                "destination",
                "data_categories",
                "purpose",
                "stage",
                "encrypted_in_transit",
                "owner",
                "retention_days",
            ],
        ),
    }
    if date is not None:
        sheets["About"] = pd.DataFrame({"field": ["client", "date"], "value": ["Acme", date]})
    if responses is not None:
        sheets["Responses"] = responses
    return nistpf.load_inventory(sheets)


# -- radar ---------------------------------------------------------------------------------------


def test_radar_by_function_plots_the_assessments_current_and_target(a):
    fig = charts.radar(a)
    assert [t.type for t in fig.data] == ["scatterpolar", "scatterpolar"]
    assert [t.name for t in fig.data] == ["Current", "Target"]
    functions = a.functions
    names = [function_names(a)[f] for f in functions["function"]]
    for trace, column in zip(fig.data, ["current", "target"], strict=True):
        # the first point is repeated at the end to close the outline
        assert list(trace.theta) == [*names, names[0]]
        assert list(trace.r[:-1]) == functions[column].tolist()
        assert trace.r[-1] == trace.r[0]
    axis = fig.layout.polar.radialaxis
    assert list(axis.tickvals) == list(a.scale.labels)
    assert [t.split(" ", 1)[1] for t in axis.ticktext] == list(a.scale.labels.values())
    assert tuple(axis.range) == (0, a.scale.maximum)


def test_radar_title_names_the_function_with_the_largest_gap(a):
    functions = a.functions
    worst = functions.loc[functions["gap"].idxmax()]
    expected = f"{function_names(a)[worst['function']]} is {worst['gap']:.2f} levels below target"
    assert (functions["gap"] == worst["gap"]).sum() == 1  # one Function alone: no tie to name
    assert charts.radar(a).layout.title.text == expected


def test_radar_by_category_uses_category_names_and_values(a):
    fig = charts.radar(a, level="category")
    categories = a.categories
    names = dict(zip(a.framework.categories["id"], a.framework.categories["name"], strict=True))
    shown = [label.replace("<br>", " ") for label in fig.data[0].theta[:-1]]
    assert shown == [names[c] for c in categories["category"]]
    assert list(fig.data[0].r[:-1]) == categories["current"].tolist()
    assert list(fig.data[1].r[:-1]) == categories["target"].tolist()
    worst = categories.loc[categories["gap"].idxmax()]
    assert (
        fig.layout.title.text
        == f"{names[worst['category']]} is {worst['gap']:.2f} levels below target"
    )


def test_radar_rejects_an_unknown_level_naming_the_argument(a):
    with pytest.raises(ValueError, match="level must be 'function' or 'category', not 'system'"):
        charts.radar(a, level="system")


# -- heat map ------------------------------------------------------------------------------------


def test_heatmap_rows_are_systems_weakest_first_with_the_assessments_levels(a):
    fig = charts.heatmap(a)
    (trace,) = fig.data
    assert trace.type == "heatmap"
    view = a.systems
    names = view.drop_duplicates("system").set_index("system")["name"]
    order = list(dict.fromkeys(view["system"]))
    means = view.groupby("system")["level"].mean()
    expected = sorted(order, key=lambda s: (means[s], order.index(s)))
    assert list(trace.y) == [f"{s} {names[s]}" for s in expected]
    assert fig.layout.yaxis.autorange == "reversed"  # the first row, the weakest, on top
    row_means = [sum(row) / len(row) for row in trace.z]
    assert row_means == sorted(row_means)
    fnames = function_names(a)
    assert list(trace.x) == [fnames[f] for f in a.framework.functions["id"]]
    levels = view.set_index(["system", "function"])["level"]
    for system, row in zip(expected, trace.z, strict=True):
        assert list(row) == [levels[(system, f)] for f in a.framework.functions["id"]]


def test_heatmap_colour_scale_spans_the_scale_with_its_labels(a):
    (trace,) = charts.heatmap(a).data
    assert (trace.zmin, trace.zmax) == (0, a.scale.maximum)
    assert list(trace.colorbar.tickvals) == list(a.scale.labels)
    assert list(trace.colorbar.ticktext) == [f"{k} {v}" for k, v in a.scale.labels.items()]


def test_heatmap_title_names_the_weakest_system(a):
    means = a.systems.groupby("system", sort=False)["level"].mean()
    assert (means == means.min()).sum() == 1  # one system alone is the weakest
    assert charts.heatmap(a).layout.title.text == f"{means.idxmin()} is the weakest system"


# -- top gaps ------------------------------------------------------------------------------------


def expected_gaps(a, n):
    subs = a.subcategories
    subs = subs[subs["in_profile"] & (subs["gap"] > 0)]
    return subs.sort_values(["gap_points", "gap"], ascending=False, kind="stable").head(n)


def test_top_gaps_bars_are_the_n_largest_gap_points_largest_on_top(a):
    fig = charts.top_gaps(a)
    bar = next(t for t in fig.data if t.type == "bar")
    expected = expected_gaps(a, 10)
    assert list(bar.y) == list(expected["subcategory"])
    assert list(bar.x) == expected["gap_points"].tolist()
    assert len(bar.x) == 10
    assert list(bar.x) == sorted(bar.x, reverse=True)
    assert fig.layout.yaxis.autorange == "reversed"


def test_top_gaps_marks_current_and_target_on_the_scales_axis(a):
    fig = charts.top_gaps(a, n=4)
    expected = expected_gaps(a, 4)
    traces = {t.name: t for t in fig.data}
    assert list(traces["Current"].x) == expected["current"].tolist()
    assert list(traces["Target"].x) == expected["target"].tolist()
    assert list(traces["Current"].y) == list(expected["subcategory"])
    assert len(traces["Gap points"].x) == 4
    axis = fig.layout[traces["Current"].xaxis.replace("x", "xaxis")]
    assert list(axis.tickvals) == list(a.scale.labels)


def test_top_gaps_title_names_every_outcome_tied_for_the_largest_gap(a):
    # In the sample, two outcomes have no control (current 0) against a High-priority target
    # of 4: 4 levels × weight 3 = 12 gap points each, a tie no title may break.
    gaps = expected_gaps(a, 100)
    top = gaps[gaps["gap_points"] == gaps["gap_points"].max()]
    assert len(top) == 2
    assert list(top["current"]) == [0, 0]
    assert list(top["gap_points"]) == list((top["target"] - top["current"]) * 3)
    first, second = top["subcategory"]
    points, gap = top["gap_points"].iloc[0], top["gap"].iloc[0]
    title = charts.top_gaps(a).layout.title.text
    assert title == (
        f"{first} and {second} share the largest gap: {points:.2f} gap points each, "
        f"{gap:.2f} levels below target"
    )


@pytest.mark.parametrize("n", [0, -1, 2.5, True])
def test_top_gaps_rejects_a_bad_n(a, n):
    with pytest.raises(ValueError, match="n must be a positive whole number"):
        charts.top_gaps(a, n=n)


# -- sunburst ------------------------------------------------------------------------------------


def test_sunburst_is_the_profiled_core_coloured_by_gap(a):
    fig = charts.sunburst(a)
    (trace,) = fig.data
    assert trace.type == "sunburst"
    subs = a.subcategories
    subs = subs[subs["in_profile"]]
    ids = list(trace.ids)
    colors = dict(zip(ids, trace.marker.colors, strict=True))
    values = dict(zip(ids, trace.values, strict=True))
    parents = dict(zip(ids, trace.parents, strict=True))
    for row in subs.itertuples(index=False):
        assert colors[row.subcategory] == row.gap
        assert values[row.subcategory] == 1
        assert parents[row.subcategory] == row.category
    for row in a.functions.itertuples(index=False):
        assert colors[row.function] == row.gap
        assert values[row.function] == (subs["function"] == row.function).sum()
        assert parents[row.function] == ""
    for row in a.categories.itertuples(index=False):
        assert colors[row.category] == row.gap
    assert trace.branchvalues == "total"
    assert (trace.marker.cmin, trace.marker.cmax) == (0, a.scale.maximum)
    below = int((subs["gap"] > 0).sum())
    assert fig.layout.title.text == (
        f"{below} of {len(subs)} Subcategories in the profile are below target"
    )


# -- flow map ------------------------------------------------------------------------------------


def test_flow_map_has_a_link_per_flow_and_nodes_for_external_parties_and_unknown_systems(a):
    fig = charts.flow_map(a)
    (trace,) = fig.data
    assert trace.type == "sankey"
    labels = list(trace.node.label)
    flows = a.inventory.flows
    for party in {
        e for e in [*flows["source"], *flows["destination"]] if e.startswith("external:")
    }:
        assert party in labels
    systems = a.inventory.systems.set_index("system_id")["name"]
    ends = {e for e in [*flows["source"], *flows["destination"]] if not e.startswith("external:")}
    unknown = ends - set(systems.index)
    assert unknown  # the sample has a flow to a system nobody inventoried
    for system in unknown:
        assert f"{system}<br>(not in Systems)" in labels
    flat = [label.replace("<br>", " ") for label in labels]  # long names are wrapped
    for system in ends & set(systems.index):
        assert any(label.startswith(f"{system} {systems[system]}") for label in flat), system
    assert len(trace.link.source) == len(flows)
    assert list(trace.link.value) == [1] * len(flows)
    first = flows.iloc[0]
    assert labels[trace.link.source[0]] == first["source"]  # external:Customers
    assert labels[trace.link.target[0]].startswith(first["destination"])


def test_flow_map_highlights_flows_with_findings_and_names_them_in_the_hover(a):
    (trace,) = charts.flow_map(a).data
    findings = a.findings
    rank = {"High": 0, "Medium": 1, "Low": 2}
    for i, flow in enumerate(a.inventory.flows["flow_id"]):
        own = findings[findings["flow_id"] == flow]
        hover = trace.link.customdata[i]
        if own.empty:
            assert trace.link.color[i] == theme.NO_FINDING_LINK
            assert "no finding" in hover
            continue
        worst = min(own["severity"], key=rank.get)
        assert trace.link.color[i] == theme.SEVERITY_LINK_COLORS[worst]
        for finding in own.itertuples(index=False):
            assert finding.finding_id in hover
            assert html.escape(finding.message, quote=False) in hover
    assert trace.link.hovertemplate == "%{customdata}<extra></extra>"
    assert theme.SEVERITY_LINK_COLORS["High"] != theme.NO_FINDING_LINK


def test_flow_map_title_counts_the_flows_with_high_findings(a):
    high = a.findings.loc[a.findings["severity"] == "High", "flow_id"].nunique()
    assert charts.flow_map(a).layout.title.text == f"{high} flows with High findings"


def test_flow_map_ends_a_flow_inside_one_system_in_its_own_node(a):
    (trace,) = charts.flow_map(a).data
    labels = list(trace.node.label)
    flows = a.inventory.flows
    inside = flows[flows["source"] == flows["destination"]]
    assert len(inside)  # the sample has a flow inside one system (a disposal)
    for flow in inside.itertuples(index=False):
        assert f"{flow.stage} within {flow.source}" in labels
    assert all(s != t for s, t in zip(trace.link.source, trace.link.target, strict=True))


# -- coverage ------------------------------------------------------------------------------------


def test_coverage_bars_are_the_categories_coverage_grouped_by_function(a):
    fig = charts.coverage(a)
    assert {t.type for t in fig.data} == {"bar"}
    assert [t.name for t in fig.data] == list(function_names(a).values())
    x = [c for t in fig.data for c in t.x]
    y = [v for t in fig.data for v in t.y]
    assert x == list(a.categories["category"])
    assert y == a.categories["coverage"].tolist()
    assert fig.layout.yaxis.tickformat == ".0%"
    assert tuple(fig.layout.yaxis.range) == (0, 1.08)


def test_coverage_title_names_the_least_covered_function(a):
    low = a.functions.loc[a.functions["coverage"].idxmin()]
    title = charts.coverage(a).layout.title.text
    assert title == (
        f"{function_names(a)[low['function']]} outcomes are covered on {low['coverage']:.0%} "
        "of weighted systems"
    )
    assert (a.functions["coverage"] == low["coverage"]).sum() == 1  # no tie to name


# -- trend ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_dated():
    early = nistpf.assess(small_inventory(date="2026-01-15"))
    rating = pd.DataFrame({"subcategory": ["ID.IM-P2"], "system": [""], "current": [4]})
    later = nistpf.assess(small_inventory(date="2026-06-30", responses=rating))
    return early, later


def test_trend_plots_overall_and_function_current_in_date_order(two_dated):
    early, later = two_dated
    assert later.overall.current > early.overall.current
    fig = charts.trend([later, early])  # given out of order
    traces = {t.name: t for t in fig.data}
    assert set(traces) == {"Overall", *function_names(early).values()}
    assert list(traces["Overall"].x) == ["2026-01-15", "2026-06-30"]
    assert list(traces["Overall"].y) == [early.overall.current, later.overall.current]
    for function, name in function_names(early).items():
        expected = [
            x.functions.set_index("function").loc[function, "current"] for x in (early, later)
        ]
        assert list(traces[name].y) == expected
    assert fig.layout.xaxis.type == "date"
    assert list(fig.layout.yaxis.tickvals) == list(early.scale.labels)
    assert fig.layout.title.text == (
        f"Overall current rose from {early.overall.current:.2f} to "
        f"{later.overall.current:.2f} ({later.scale.label(later.overall.current)})"
    )


def test_trend_falls_back_to_positions_when_an_assessment_has_no_date(two_dated):
    early, _ = two_dated
    undated = nistpf.assess(small_inventory())
    fig = charts.trend([undated, early])
    overall = next(t for t in fig.data if t.name == "Overall")
    assert list(overall.x) == [1, 2]
    assert list(overall.y) == [undated.overall.current, early.overall.current]


def test_trend_needs_assessments():
    with pytest.raises(ValueError, match="non-empty list of Assessments"):
        charts.trend([])


# -- theme, side effects, escaping ---------------------------------------------------------------


def test_every_chart_uses_the_nistpf_theme(a):
    for name, fig in all_charts(a).items():
        template = fig.layout.template
        assert template == pio.templates[theme.TEMPLATE_NAME], name
        assert tuple(template.layout.colorway) == theme.PALETTE, name
        assert template.layout.font.family == theme.FONT_FAMILY, name
        assert fig.layout.title.text, name


def test_the_palette_is_okabe_ito():
    okabe_ito = {
        "#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
    }  # fmt: skip
    assert set(theme.PALETTE) == okabe_ito
    assert theme.TEMPLATE_NAME == "nistpf"


def test_charts_neither_show_nor_write_anything(a, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    figures = all_charts(a)
    assert all(isinstance(fig, go.Figure) for fig in figures.values())
    assert list(tmp_path.iterdir()) == []


def test_inventory_text_is_escaped_in_chart_labels():
    inventory = small_inventory(system_name=PAYLOAD, purpose=PAYLOAD)
    a = nistpf.assess(inventory)
    escaped = html.escape(PAYLOAD, quote=False)
    heat = charts.heatmap(a).data[0]
    assert f"CRM {escaped}" in heat.y
    sankey = charts.flow_map(a).data[0]
    assert any("&lt;script&gt;" in label for label in sankey.node.label)  # wrapped, escaped
    assert escaped in sankey.link.customdata[0]
    for fig in (charts.heatmap(a), charts.flow_map(a)):
        assert PAYLOAD not in fig.to_json()
