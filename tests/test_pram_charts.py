"""The NIST PRAM heat map (``charts.pram_heatmap``): one point per data action × problem for
individuals at (impact, likelihood) on NIST's axes, the top outliers highlighted, inventory text
escaped, and a message when no rule finds a problem."""

from __future__ import annotations

import pandas as pd
import pytest

import nistpf
from nistpf.export import charts
from tests.test_report_flows import F030  # NIST PRAM for F-030:disclosure, worked by hand


@pytest.fixture(scope="module")
def a() -> nistpf.Assessment:
    return nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))


def _points(fig) -> list[tuple]:
    points = []
    for trace in fig.data:
        if trace.type != "scatter":
            continue
        for x, y, custom in zip(trace.x, trace.y, trace.customdata, strict=True):
            points.append((custom[0], custom[1], x, y, trace.name))
    return points


def test_the_heat_map_places_every_problem_by_impact_and_likelihood(a):
    fig = charts.pram_heatmap(a)
    problems = nistpf.pram(a).problems
    points = _points(fig)
    assert len(points) == len(problems)
    expected = {
        (r.data_action, r.problem, r.impact, r.likelihood) for r in problems.itertuples(index=False)
    }
    assert {p[:4] for p in points} == expected
    for problem, (likelihood, impact) in F030.items():  # by hand
        assert ("F-030:disclosure", problem, impact, likelihood) in {p[:4] for p in points}
    # NIST's axes: impact 5-50 (five factors of 1-10), likelihood 1-10.
    assert fig.layout.xaxis.range[0] <= 5
    assert fig.layout.xaxis.range[1] >= 50
    assert fig.layout.yaxis.range[0] <= 1
    assert fig.layout.yaxis.range[1] >= 10


def test_the_top_outliers_are_highlighted(a):
    fig = charts.pram_heatmap(a)
    points = _points(fig)
    risks = sorted((x * y for _, _, x, y, _ in points), reverse=True)
    cut = risks[4]  # NIST's top 5, ties with the fifth included
    flagged = {(d, p) for d, p, x, y, name in points if name == "Top outliers"}
    assert flagged == {(d, p) for d, p, x, y, _ in points if x * y >= cut}
    assert ("F-030:disclosure", "Economic Loss") in flagged
    assert ("F-030:disclosure", "Discrimination") not in flagged  # 6 × 24 = 144 < 156
    outliers = next(t for t in fig.data if t.name == "Top outliers")
    others = next(t for t in fig.data if t.name == "Problems")
    assert outliers.marker.color != others.marker.color
    assert outliers.marker.size > others.marker.size
    # Labelled on the chart, one label per spot: it names every data action there.
    spots: dict[tuple, list[str]] = {}
    for x, y, text, custom in zip(
        outliers.x, outliers.y, outliers.text, outliers.customdata, strict=True
    ):
        spots.setdefault((x, y), []).append((text, custom[0]))
    for found in spots.values():
        labels = [t for t, _ in found if t]
        assert len(labels) == 1
        for _, action in found:
            assert action.split(":")[0] in labels[0]
    assert all("likelihood" in h and "impact" in h for h in outliers.hovertext)


def test_the_title_names_the_riskiest_problem_with_its_arithmetic(a):
    fig = charts.pram_heatmap(a)
    # F-030's Economic Loss, 7 × 25 = 175 by hand, is the highest of the sample.
    assert fig.layout.title.text == (
        "F-030:disclosure carries the highest risk: Economic Loss, 7 × 25 = 175"
    )


def _inventory(purpose: str, encrypted: str) -> nistpf.Assessment:
    sheets = {
        "Systems": pd.DataFrame({"system_id": ["CRM"], "name": ["CRM"], "owner": ["Ops"]}),
        "Controls": pd.DataFrame(
            [["C1", "TLS", "Implemented", "PR.DS-P2", "ALL"]],
            columns=["control_id", "name", "status", "subcategories", "applies_to"],
        ),
        "DataFlows": pd.DataFrame(
            [
                [
                    "F-1",
                    "external:Customers",
                    "CRM",
                    "user.contact.email",
                    purpose,
                    "collection",
                    encrypted,
                    "none",
                    "Contract",
                    "no",
                    30,
                    "Ops",
                ]
            ],
            columns=[
                "flow_id",
                "source",
                "destination",
                "data_categories",
                "purpose",
                "stage",
                "encrypted_in_transit",
                "minimization",
                "consent_basis",
                "third_party",
                "retention_days",
                "owner",
            ],
        ),
    }
    return nistpf.assess(nistpf.load_inventory(sheets))


def test_inventory_text_in_the_hover_is_escaped():
    a = _inventory("<b>bold</b> offers", "no")  # unencrypted: rule P01 finds problems
    fig = charts.pram_heatmap(a)
    hover = " ".join(h for t in fig.data if t.type == "scatter" for h in t.hovertext)
    assert "&lt;b&gt;bold&lt;/b&gt; offers" in hover
    assert "<b>bold</b>" not in hover


def test_no_problem_gives_a_message_and_no_point():
    a = _inventory("Orders", "yes")  # encrypted, purpose, basis, retention, owner: no rule
    assert nistpf.pram(a).problems.empty
    fig = charts.pram_heatmap(a)
    assert not [t for t in fig.data if t.type == "scatter"]
    assert fig.layout.title.text == "No problematic data action found by the rules"


def test_a_likelihood_of_0_is_on_the_chart():
    # NIST's guidance scores 0 a concern that does not arise; nistpf takes it, so it is drawn.
    layout = charts.pram_heatmap(nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))).layout
    assert layout.yaxis.range[0] < 0 < layout.yaxis.range[1]
