"""The HTML report's data-flow sections: "Where customer data goes" (the Graphviz diagram inline,
or the Sankey and an install line without Graphviz; the sensitive categories' journeys) and "The
riskiest data actions" (the NIST PRAM heat map and the top outliers), offline like the rest."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import nistpf
from nistpf.export.report import build_report_html
from tests import conftest
from tests.test_report_html import RESOURCE_ATTRIBUTES, Page, shown

CARD = "user.financial.credit_card"
# Worked out by hand from data/cx-sample/DataFlows.csv (see tests/test_register_journeys.py):
# the paths of the card data, as the report writes them, and where each ends.
CARD_JOURNEYS = {
    ("Customers (external) → PAY-01 (F-003) → DWH-01 (F-025)", "never disposed: rests in DWH-01"),
    (
        "Customers (external) → CCS-01 (F-005) → BPO-01 (F-030) → AIA-01 (F-021)",
        "never disposed: rests in AIA-01",
    ),
    ("Customers (external) → CCS-01 (F-005) → disposed (F-033)", "disposed at CCS-01"),
    ("ECM-01 → PAY-01 (F-011) → DWH-01 (F-025)", "never disposed: rests in DWH-01"),
}
# NIST PRAM for F-030:disclosure by hand (tests/test_register_journeys.py:hand_pram_f030):
# problem -> (likelihood, impact).
F030 = {
    "Economic Loss": (7, 25),
    "Dignity Loss": (7, 24),
    "Loss of Trust": (7, 24),
    "Discrimination": (6, 24),
}


@pytest.fixture(scope="module")
def a() -> nistpf.Assessment:
    return nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))


@pytest.fixture(scope="module")
def report(a) -> str:
    return build_report_html(a)


@pytest.fixture(scope="module")
def page(report) -> Page:
    return Page(report)


def section(report: str, section_id: str) -> str:
    start = report.index(f'<section id="{section_id}">')
    return report[start : report.index("</section>", start) + len("</section>")]


def test_the_two_sections_follow_the_top_gaps(page):
    headings = page.headings
    at = headings.index("Top gaps")
    assert headings[at + 1 : at + 3] == ["Where customer data goes", "The riskiest data actions"]
    assert {"flows", "risk", "journeys", "figure-pram-heatmap", "outliers-table"} <= page.ids


def test_the_diagram_is_inline_svg_when_graphviz_is_installed(report):
    conftest.dot("to draw the data-flow diagram in the report")
    flows = section(report, "flows")
    figure = flows[flows.index('<figure class="diagram" id="flow-diagram">') :]
    assert figure.startswith('<figure class="diagram" id="flow-diagram"><svg')
    svg = figure[figure.index("<svg") : figure.index("</svg>")]
    assert "<?xml" not in report
    assert "<!DOCTYPE svg" not in report
    for system in ("S_PAY_01", "S_DWH_01", "S_AIA_01"):  # flow_diagram's node IDs
        assert f"<title>{system}</title>" in svg
    assert "Install Graphviz" not in flows
    assert 'id="figure-flow-map"' not in report  # the Sankey is no longer the picture


def test_the_inline_diagram_fetches_nothing(report):
    conftest.dot("to draw the data-flow diagram in the report")
    flows = Page(section(report, "flows"))
    svg_tags = [(t, attrs) for t, attrs in flows.tags if t in {"svg", "g", "a", "image", "use"}]
    assert svg_tags
    for tag, attrs in flows.tags:
        for name, value in attrs.items():
            if name.startswith("xmlns"):
                continue  # a namespace name, never fetched
            if name in RESOURCE_ATTRIBUTES or name.endswith(":href"):
                assert not re.match(r"\s*(https?:)?//", value or "", re.I), (tag, name, value)
            assert "url(http" not in (value or "").lower(), (tag, name)
    assert not [t for t, _ in flows.tags if t in {"img", "image", "script", "iframe", "link"}]


def test_without_graphviz_the_sankey_stays_with_no_install_instructions(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot on it
    a = nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))
    report = build_report_html(a)
    flows = section(report, "flows")
    # a client's report says the diagram is missing, never how to install software
    assert "The data-flow diagram is not part of this edition" in flows
    for words in ("Graphviz", "install", "apt-get", "brew install", "winget"):
        assert words.casefold() not in flows.casefold(), words
    assert "<svg" not in flows
    assert 'id="figure-flow-map"' in flows
    assert 'id="chart-flow-map"' in flows
    assert '"type":"sankey"' in flows.replace(" ", "")
    page = Page(report)
    assert page.headings.count("Where customer data goes") == 1


def test_each_sensitive_category_has_its_journey(page, report):
    flows = section(report, "flows")
    categories = re.findall(r'<div class="journey" data-category="([^"]+)">', flows)
    assert set(categories) == {
        CARD,
        "user.location.precise",
        "user.childrens",
        "user.biometric.voice",
        "user.health_and_medical",
        "user.financial.bank_account",
    }
    table = f"journey-{categories.index(CARD) + 1}"
    rows = page.rows[table]
    assert {(shown(r["journey"]), shown(r["ending"])) for r in rows.values()} == CARD_JOURNEYS
    card = flows[flows.index(f'data-category="{CARD}"') :]
    card = card[: card.index("</div>")]
    kinds = re.findall(r'<li data-field="gap" data-kind="([^"]+)">', card)
    assert sorted(kinds) == ["AI system", "never disposed", "never disposed", "never disposed"]
    assert "4 paths over 7 flows" in card


def test_the_report_embeds_the_heat_map(report):
    risk = section(report, "risk")
    assert 'id="chart-pram-heatmap"' in risk
    script = risk[risk.index("Plotly.newPlot") :]
    assert '"Top outliers"' in script
    assert '"heatmap"' in script


def test_the_outliers_table_rows(page, a):
    rows = page.rows["outliers-table"]
    problems = nistpf.pram(a).problems
    risks = sorted(problems["risk"], reverse=True)
    cut = risks[4]
    expected = {
        f"{r.data_action}|{r.problem}"
        for r in problems.itertuples(index=False)
        if r.likelihood * r.impact >= cut
    }
    assert set(rows) == expected
    for problem, (likelihood, impact) in F030.items():
        key = f"F-030:disclosure|{problem}"
        if likelihood * impact < cut:
            assert key not in rows
            continue
        cells = rows[key]
        assert shown(cells["data_action"]) == "F-030:disclosure"
        assert shown(cells["problem"]) == problem
        assert float(cells["likelihood"]["attrs"]["data-value"]) == likelihood
        assert float(cells["impact"]["attrs"]["data-value"]) == impact
        assert float(cells["risk"]["attrs"]["data-value"]) == likelihood * impact
    order = [float(r["risk"]["attrs"]["data-value"]) for r in rows.values()]
    assert order == sorted(order, reverse=True)
    assert [int(float(r["rank"]["attrs"]["data-value"])) for r in rows.values()] == [
        1 + sum(o > x for o in order) for x in order
    ]


def test_the_report_with_its_new_sections_is_still_one_offline_file(report, page):
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            if name in RESOURCE_ATTRIBUTES and value:
                assert not re.match(r"\s*(https?:)?//", value, re.I), (tag, name, value)
    assert not [attrs for tag, attrs in page.tags if tag == "script" and "src" in attrs]
    assert not [t for t, _ in page.tags if t in {"img", "iframe", "object", "embed", "link"}]
    # Every chart's data is in the page (no fetch): the heat map's points among them.
    script = section(report, "risk")
    assert '"Top outliers"' in script
    assert '"customdata"' in script


def test_a_category_with_many_paths_lists_the_first_and_counts_the_rest():
    # Card data collected into 30 systems, each keeping it: 30 paths, each never disposed.
    systems = [f"S{n:02d}" for n in range(1, 31)]
    sheets = {
        "Systems": pd.DataFrame({"system_id": systems, "name": systems, "owner": "Ops"}),
        "Controls": pd.DataFrame(
            [["C1", "TLS", "Implemented", "PR.DS-P2", "ALL"]],
            columns=["control_id", "name", "status", "subcategories", "applies_to"],
        ),
        "DataFlows": pd.DataFrame(
            {
                "flow_id": [f"F-{n:02d}" for n in range(1, 31)],
                "source": "external:Customers",
                "destination": systems,
                "data_categories": CARD,
                "purpose": "Payments",
                "stage": "collection",
                "owner": "Ops",
            }
        ),
    }
    report = build_report_html(nistpf.assess(nistpf.load_inventory(sheets)))
    page = Page(report)
    assert len(page.rows["journey-1"]) == 25
    flows = section(report, "flows")
    assert "… and 5 more paths: the gap register's Data journeys sheet lists every one." in flows
    # 31 gaps: 30 paths never disposed, and card data collected but used nowhere; 25 listed.
    assert "… and 6 more gaps" in flows
    assert flows.count('data-kind="collected, used nowhere"') == 1


def test_an_inventory_without_flows_says_so_and_draws_nothing():
    sheets = {
        "Systems": pd.DataFrame({"system_id": ["CRM"], "name": ["CRM"], "owner": ["Ops"]}),
        "Controls": pd.DataFrame(
            [["C1", "TLS", "Implemented", "PR.DS-P2", "ALL"]],
            columns=["control_id", "name", "status", "subcategories", "applies_to"],
        ),
    }
    report = build_report_html(nistpf.assess(nistpf.load_inventory(sheets)))
    flows = section(report, "flows")
    assert "No data flow is recorded" in flows
    assert "<svg" not in flows
    assert "Install Graphviz" not in flows
    assert "No rule finds a problematic data action" in section(report, "risk")


def test_the_heat_map_caption_gives_the_likelihood_scale_as_everywhere(report):
    risk = section(report, "risk")
    # NIST PRAM worksheet 3 scores likelihood 1-10 and lets 0 stand for a summary issue that
    # alleviates the concern; nistpf takes 0-10, and every deliverable says so alike
    assert "likelihood (0–10; 0: the concern does not arise; NIST&#x27;s scale is 1–10)" in (
        risk.replace("&#39;", "&#x27;").replace("'", "&#x27;")
    )
    assert "likelihood (1–10)" not in risk
