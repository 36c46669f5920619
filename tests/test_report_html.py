"""The HTML report: self-contained and offline, every section, the Assessment's numbers, inert
inventory text, and written atomically."""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
from html.parser import HTMLParser

import pandas as pd
import pytest
from plotly.offline import get_plotlyjs

import nistpf
from nistpf.export.charts import ranked_gaps
from nistpf.export.report import build_report_html, key_messages, write_report
from nistpf.flows import diagram
from nistpf.io import atomic

PAYLOAD = "<script>alert(1)</script>"
# The Sankey flow map stands in for the data-flow diagram where Graphviz's dot is missing.
CHART_IDS = ["radar", "heatmap", "top-gaps", "coverage", "sunburst", "pram-heatmap"] + (
    [] if diagram.dot_available() else ["flow-map"]
)
RESOURCE_ATTRIBUTES = {"src", "href", "data", "action", "poster", "srcset", "background"}


class Page(HTMLParser):
    """What a browser would fetch or show: tags with their attributes, script blocks, style
    text, element ids, ``data-value`` figures and the text of selected elements."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[dict] = []
        self.styles: list[str] = []
        self.ids: set[str] = set()
        self.values: list[dict] = []  # every element with data-value
        self.messages: list[str] = []
        self.headings: list[str] = []
        self.rows: dict[str, dict[str, dict]] = {}  # table id -> row id -> field -> cell
        self._stack: list[dict] = []
        self._table: str | None = None
        self._row: str | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if tag == "table":
            self._table = attributes.get("id")
            self.rows.setdefault(self._table, {})
        if tag == "tr":
            self._row = attributes.get("data-id")
        element = {"tag": tag, "attrs": attributes, "text": ""}
        if tag == "script":
            self.scripts.append(element)
        if tag not in {"meta", "br", "img", "link", "input", "hr"}:
            self._stack.append(element)

    def handle_endtag(self, tag):
        while self._stack:
            element = self._stack.pop()
            for parent in self._stack:
                parent["text"] += element["text"]
            if element["tag"] == tag:
                break
        else:
            return
        attrs = element["attrs"]
        if "data-value" in attrs:
            element["table"] = self._table
            element["row"] = self._row
            self.values.append(element)
            if self._table and self._row is not None:
                self.rows[self._table].setdefault(self._row, {})[attrs["data-field"]] = element
        elif attrs.get("data-field") and self._table and self._row is not None and tag == "td":
            self.rows[self._table].setdefault(self._row, {})[attrs["data-field"]] = element
        if attrs.get("data-field") == "key_message":
            self.messages.append(element["text"])
        if tag == "style":
            self.styles.append(element["text"])
        if tag == "h2":
            self.headings.append(element["text"])
        if tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._stack:
            self._stack[-1]["text"] += data


@pytest.fixture(scope="module")
def a() -> nistpf.Assessment:
    return nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))


@pytest.fixture(scope="module")
def report(a) -> str:
    return build_report_html(a)


@pytest.fixture(scope="module")
def page(report) -> Page:
    return Page(report)


# -- offline, self-contained ---------------------------------------------------------------------


def test_no_resource_is_fetched_from_the_web(page):
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            if name in RESOURCE_ATTRIBUTES and value:
                assert not re.match(r"\s*(https?:)?//", value, re.I), (tag, name, value)
                assert not value.strip().lower().startswith(("http", "javascript:")), (tag, value)
        style = attrs.get("style") or ""
        assert "url(" not in style.lower(), (tag, style)
    assert not [attrs for tag, attrs in page.tags if tag == "link"]  # no stylesheet, no font
    assert not [attrs for tag, attrs in page.tags if tag == "script" and "src" in attrs]
    assert not [attrs for tag, attrs in page.tags if tag in {"img", "iframe", "object", "embed"}]
    for css in page.styles:
        assert "url(" not in css.lower()
        assert "@import" not in css.lower()
        assert "http" not in css.lower()


def test_plotly_js_is_embedded_exactly_once_and_mathjax_not_at_all(report, page):
    assert report.count(get_plotlyjs()) == 1
    assert len(page.scripts) == 1 + len(CHART_IDS)  # plotly.js, then one per chart
    assert get_plotlyjs() in page.scripts[0]["text"]
    for script in page.scripts[1:]:
        code = script["text"]
        assert "Plotly.newPlot" in code
        assert "http://" not in code
        assert "https://" not in code  # no chart studio link, no mathjax CDN
        assert '"displaylogo": false' in code
    assert "mathjax" not in "".join(s["text"] for s in page.scripts[1:]).lower()


def test_every_section_is_there(page):
    assert {
        "title", "summary", "charts", "gaps", "flows", "risk", "tiers", "findings", "method"
    } <= page.ids  # fmt: skip
    assert {f"figure-{c}" for c in CHART_IDS} <= page.ids
    assert {f"chart-{c}" for c in CHART_IDS} <= page.ids
    assert {"functions-table", "gaps-table", "tiers-table", "findings-table"} <= page.ids
    assert page.headings == [
        "Executive summary",
        "Charts",
        "Top gaps",
        "Where customer data goes",
        "The riskiest data actions",
        "Implementation Tiers",
        "Data-flow findings",
        "Method",
    ]
    assert [t for t, _ in page.tags if t == "footer"]


def test_title_names_the_client_engagement_and_date(a, report):
    inv = a.inventory
    for field in ("client", "engagement", "date"):
        assert html.escape(inv.about_value(field)) in report
    assert f"<title>{html.escape(inv.about_value('client'))} — " in report


# -- the numbers ---------------------------------------------------------------------------------


def shown(element) -> str:
    return element["text"].strip()


def test_summary_figures_are_the_assessments(a, page):
    figures = {e["attrs"]["data-field"]: e for e in page.values if e["table"] is None}
    overall = a.overall
    for field in ("current", "target", "gap"):
        element = figures[f"overall.{field}"]
        assert float(element["attrs"]["data-value"]) == getattr(overall, field)
        assert shown(element) == f"{getattr(overall, field):.2f}"
    coverage = figures["overall.coverage"]
    assert float(coverage["attrs"]["data-value"]) == overall.coverage
    assert shown(coverage) == f"{overall.coverage:.0%}"
    assert float(figures["findings.count"]["attrs"]["data-value"]) == len(a.findings)


def test_function_table_is_the_assessments(a, page):
    rows = page.rows["functions-table"]
    assert list(rows) == list(a.functions["function"])
    for row in a.functions.itertuples(index=False):
        cells = rows[row.function]
        for field in ("current", "target", "gap", "coverage"):
            assert float(cells[field]["attrs"]["data-value"]) == getattr(row, field)
        assert shown(cells["current"]) == f"{row.current:.2f}"
        assert shown(cells["coverage"]) == f"{row.coverage:.0%}"
        assert shown(cells["label"]) == a.scale.label(row.current)


def test_top_gaps_table_is_the_assessments_ranking(a, page):
    rows = page.rows["gaps-table"]
    expected = ranked_gaps(a, n=10)
    assert list(rows) == list(expected["subcategory"])
    for row in expected.itertuples(index=False):
        cells = rows[row.subcategory]
        for field in ("current", "target", "gap", "gap_points"):
            value = getattr(row, field)
            assert float(cells[field]["attrs"]["data-value"]) == value
            assert shown(cells[field]) == f"{value:.2f}"
        assert shown(cells["outcome"]) == row.text
        assert shown(cells["priority"]) == row.priority


def test_tiers_table_shows_each_rated_tier_with_nists_definition(a, page):
    rows = page.rows["tiers-table"]
    tiers = a.tiers
    assert list(rows) == list(tiers["attribute"])
    for row in tiers.itertuples(index=False):
        cells = rows[row.attribute]
        assert float(cells["tier"]["attrs"]["data-value"]) == row.tier
        assert shown(cells["tier_name"]) == row.tier_name
        assert shown(cells["definition"]) == row.definition
        assert shown(cells["evidence"]) == row.evidence


def test_findings_table_lists_every_finding_high_first(a, page):
    rows = page.rows["findings-table"]
    findings = a.findings.set_index("finding_id")
    assert set(rows) == set(findings.index)
    severities = [shown(cells["severity"]) for cells in rows.values()]
    rank = {"High": 0, "Medium": 1, "Low": 2}
    assert severities == sorted(severities, key=rank.get)
    for finding_id, cells in rows.items():
        assert shown(cells["message"]) == findings.loc[finding_id, "message"]
        assert shown(cells["subcategory"]) == findings.loc[finding_id, "subcategory"]


def test_every_shown_number_matches_its_exact_value(page):
    assert len(page.values) > 40
    for element in page.values:
        value, text = element["attrs"]["data-value"], shown(element)
        if element["attrs"]["data-field"] in {"coverage", "overall.coverage"}:
            assert text == f"{float(value):.0%}"
        elif element["attrs"]["data-field"] in {"rank", "tier", "findings.count"}:
            assert text == f"{int(float(value))}"
        else:
            assert text == f"{float(value):.2f}"


# -- key messages, method, footer ----------------------------------------------------------------


def test_the_three_key_messages_are_derived_from_the_data(a, page):
    messages = key_messages(a)
    assert page.messages == messages
    assert len(messages) == 3
    functions = a.functions
    worst = functions.loc[functions["gap"].idxmax()]
    assert (functions["gap"] == worst["gap"]).sum() == 1  # one Function alone is furthest
    name = a.framework.functions.set_index("id").loc[worst["function"], "name"]
    assert messages[0] == (
        f"{name} is furthest from target: current {worst['current']:.2f} "
        f"({a.scale.label(worst['current'])}) against a target of {worst['target']:.2f}, "
        f"a gap of {worst['gap']:.2f} levels."
    )
    high = a.findings[a.findings["severity"] == "High"]
    systems = {s for touched in high["systems"] for s in touched}
    assert messages[1].startswith(f"{len(high)} High-severity data-flow findings")
    assert f"touch {len(systems)} systems: " in messages[1]
    assert all(system in messages[1] for system in systems)
    # The sample's two largest gaps tie, so neither is "the" largest: both are named.
    below = a.subcategories
    below = below[below["in_profile"] & (below["gap"] > 0)]
    most = below["gap_points"].max()
    tied = below[below["gap_points"] == most].sort_values("gap", ascending=False, kind="stable")
    assert len(tied) == 2
    first, second = tied["subcategory"]
    assert messages[2].startswith(
        f"{first} and {second} share the largest gap: {most:.2f} gap points each; "
    )
    assert messages[2].endswith(f"{len(below)} Subcategories below target in all.")


def test_method_states_the_scale_weights_and_formulas(a, page, report):
    assert a.scale.describe() in report
    assert "High 3, Medium 2, Low 1" in report
    assert "gap = max(0, target − current)" in report


def test_footer_names_version_framework_input_and_hash(a, report):
    footer = report[report.index("<footer>") :]
    assert f"nistpf {nistpf.__version__}" in footer
    assert f"NIST Privacy Framework {a.framework.version}" in footer
    assert a.inventory.source in footer
    assert a.inventory.sha256 in footer


def test_the_report_holds_nothing_but_the_assessment(a, report, page):
    """No build time, no random chart ids: the same inventory, loaded and assessed again into
    new objects, gives the same bytes, and every id in the page is one the report names."""
    again = nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))
    assert again is not a
    assert build_report_html(again) == report
    uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    assert not uuid.search(report.replace(get_plotlyjs(), ""))
    charts = {f"chart-{c}" for c in CHART_IDS} | {f"figure-{c}" for c in CHART_IDS}
    assert {i for i in page.ids if i.startswith(("chart-", "figure-"))} == charts
    today = dt.date.today().isoformat()
    assert (today in report) == (today in {a.inventory.about_value("date")})


# -- injection -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile() -> nistpf.Assessment:
    sheets = {
        "Systems": pd.DataFrame(
            {
                "system_id": ["CRM", "BOT"],
                "name": [PAYLOAD, "Web Chatbot"],
                "criticality": ["High", "Low"],
            }
        ),
        "Controls": pd.DataFrame(
            [["C1", "TLS", "Implemented", "PR.DS-P2", "ALL"]],
            columns=["control_id", "name", "status", "subcategories", "applies_to"],
        ),
        "DataFlows": pd.DataFrame(
            [["F-1", "BOT", "CRM", "user.contact.email", PAYLOAD, "transfer", "no", "Ops", 30]],
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
        "Tiers": pd.DataFrame(
            {"attribute": ["Workforce"], "tier": [2], "evidence": [PAYLOAD]},
        ),
        "About": pd.DataFrame(
            {"field": ["client", "engagement"], "value": [PAYLOAD, '"><img src=x onerror=1>']}
        ),
    }
    return nistpf.assess(nistpf.load_inventory(sheets))


def test_injection_payloads_from_the_inventory_come_out_inert(hostile):
    text = build_report_html(hostile)
    assert PAYLOAD not in text
    assert "<img" not in text.replace(get_plotlyjs(), "")
    assert html.escape(PAYLOAD) in text  # the client's name, the tier's evidence
    page = Page(text)
    assert len(page.scripts) == 1 + len(CHART_IDS)
    assert not [tag for tag, _ in page.tags if tag == "img"]
    assert shown(page.rows["tiers-table"]["Workforce"]["evidence"]) == PAYLOAD  # shown as text


# -- writing -------------------------------------------------------------------------------------


def test_write_report_writes_the_assessments_report_and_no_temporary_file(a, tmp_path):
    (tmp_path / "out").mkdir()
    path = write_report(a, tmp_path / "out" / "report.html")
    assert path == tmp_path / "out" / "report.html"
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]
    # read back from the file, the figures are the assessment's
    written = Page(path.read_text(encoding="utf-8"))
    figures = {e["attrs"]["data-field"]: e for e in written.values if e["table"] is None}
    for field in ("current", "target", "gap"):
        value = getattr(a.overall, field)
        assert float(figures[f"overall.{field}"]["attrs"]["data-value"]) == value
        assert shown(figures[f"overall.{field}"]) == f"{value:.2f}"
    assert list(written.rows["functions-table"]) == list(a.functions["function"])
    assert set(written.rows["findings-table"]) == set(a.findings["finding_id"])
    footer = path.read_text(encoding="utf-8").split("<footer>")[1]
    assert a.inventory.sha256 in footer


def test_a_missing_folder_is_one_clear_line(a, tmp_path):
    with pytest.raises(nistpf.errors.OutputNotWritableError) as caught:
        write_report(a, tmp_path / "nowhere" / "report.html")
    assert "does not exist" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_failed_write_leaves_the_old_report_and_no_temporary_file(a, tmp_path, monkeypatch):
    path = tmp_path / "report.html"
    path.write_text("the old report", encoding="utf-8")

    def fail(fd):
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "fsync", fail)  # after the text is written, before rename
    with pytest.raises(OSError, match="disk full"):
        write_report(a, path)
    assert path.read_text(encoding="utf-8") == "the old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_write_report_refuses_to_replace_the_inventory_it_reads(tmp_path):
    workbook = tmp_path / "inventory.xlsx"
    shutil.copy(nistpf.sample_path(), workbook)
    before = workbook.read_bytes()
    a = nistpf.assess(nistpf.load_inventory(workbook))
    with pytest.raises(nistpf.errors.OutputIsInputError, match="never writes over its input"):
        write_report(a, workbook)
    assert workbook.read_bytes() == before
