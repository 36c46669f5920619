"""The deck's data-flow slides (where customer data goes; the riskiest data actions) and the
data-flow notebook, read back and compared with NIST PRAM worked out by hand.

The hand computation applies ``nistpf/data/pram_rules.csv`` and ``pram_impact.csv`` to two
flows of the sample (``data/cx-sample``): the facts of each flow are derived here from the CSV
rows, each rule's condition is evaluated as the Python expression it reads as, and NIST's
arithmetic (PRAM worksheet 3) is done here: a problem's likelihood is the highest likelihood of
the rules naming it, each cost factor the points of the impact rows that hold (held to 1–10),
impact their sum, risk likelihood × impact.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from PIL import Image
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.oxml.ns import qn

import nistpf
from nistpf.export import deck_slides, images
from nistpf.export.deck import tell, write_deck
from nistpf.flows import diagram
from tests import conftest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "cx-sample"
RULES = ROOT / "nistpf" / "data"
NOTEBOOK = ROOT / "notebooks" / "05_cx_data_flows.ipynb"
FACTORS = ("noncompliance", "direct_business", "reputational", "internal_culture", "other")
# Fides keys nistpf/data/sensitive_categories.csv lists that the two flows carry or not.
SENSITIVE = ("user.financial", "user.biometric", "user.health_and_medical", "user.childrens")
STIGMATIZING = ("user.biometric", "user.health_and_medical", "user.childrens")
TRACKING = ("user.behavior", "user.device", "user.location", "user.unique_id")
GAP_KINDS = ("never disposed", "external party", "AI system", "no owner", "collected, used nowhere")
DIAGRAM_SLIDE, RISK_SLIDE = 6, 7  # 0-based: right after the data-flow findings slide


def rows(name: str) -> list[dict[str, str]]:
    with (SAMPLE / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _under(category: str, prefixes: tuple[str, ...]) -> bool:
    return any(category == p or category.startswith(p + ".") for p in prefixes)


def facts(flow_id: str) -> dict[str, object]:
    """The facts the rule conditions name, derived from the sample's CSV rows by hand."""
    flow = next(r for r in rows("DataFlows.csv") if r["flow_id"] == flow_id)
    systems = {r["system_id"]: r for r in rows("Systems.csv")}
    cats = [c.strip() for c in flow["data_categories"].split(";") if c.strip()]
    ends = [flow["source"], flow["destination"]]
    known = [systems.get(e) for e in ends if e in systems]
    external = [e.startswith("external:") for e in ends]
    minimised = flow["minimization"].strip().lower() in ("masked", "tokenized", "pseudonymized")
    records = [int(s["records"] or 0) for s in known]
    destination = systems.get(flow["destination"], {})
    return {
        "personal": any(not c.startswith("system.") for c in cats),
        "sensitive": any(_under(c, SENSITIVE) for c in cats),
        "stigmatizing": any(_under(c, STIGMATIZING) for c in cats),
        "financial": any(_under(c, ("user.financial", "user.payment")) for c in cats),
        "tracking": any(_under(c, TRACKING) for c in cats),
        "children": any(_under(c, ("user.childrens",)) for c in cats),
        "unencrypted": flow["encrypted_in_transit"].strip().lower() in ("no", "false"),
        "encryption_unknown": not flow["encrypted_in_transit"].strip(),
        "minimised": minimised,
        "minimization": flow["minimization"],
        "stage": flow["stage"],
        "destination_type": destination.get("type", ""),
        "shared": external[1] or flow["third_party"].strip().lower() == "yes",
        "internal": ends[0] == ends[1],
        "unknown_system": any(
            not x and e not in systems for e, x in zip(ends, external, strict=True)
        ),
        "no_consent_basis": not flow["consent_basis"].strip(),
        "no_purpose": not flow["purpose"].strip(),
        "no_retention": not flow["retention_days"].strip(),
        "no_owner": not flow["owner"].strip(),
        "customer_facing": any(s["channels"].strip() for s in known),
        "critical": any(s["criticality"] == "High" for s in known),
        "records_100k": any(n >= 100_000 for n in records),
        "records_1m": any(n >= 1_000_000 for n in records),
    }


def holds(condition: str, names: dict[str, object]) -> bool:
    return bool(eval(condition, {"__builtins__": {}}, names))  # the grammar reads as Python


def by_hand(flow_id: str) -> dict[str, tuple[float, float]]:
    """problem -> (likelihood, impact) of the flow's data action, by NIST PRAM worksheet 3."""
    names = facts(flow_id)
    with (RULES / "pram_rules.csv").open(encoding="utf-8", newline="") as handle:
        rules = list(csv.DictReader(handle))
    with (RULES / "pram_impact.csv").open(encoding="utf-8", newline="") as handle:
        impact_rows = list(csv.DictReader(handle))
    likelihood: dict[str, float] = {}
    for rule in rules:
        if holds(rule["condition"], names):
            for problem in (p.strip() for p in rule["problems"].split(";")):
                likelihood[problem] = max(likelihood.get(problem, 0), float(rule["likelihood"]))
    result = {}
    for problem, chance in likelihood.items():
        points = dict.fromkeys(FACTORS, 0.0)
        for row in impact_rows:
            only = [p.strip() for p in row["problems"].split(";") if p.strip()]
            if holds(row["condition"], names) and (not only or problem in only):
                points[row["factor"]] += float(row["points"])
        result[problem] = (chance, sum(min(max(v, 1), 10) for v in points.values()))
    return result


def xy(series) -> list[tuple[float, float]]:
    """(x, y) of every point of a scatter series, read from the chart's XML."""
    xs = [float(v.text) for v in series._element.find(qn("c:xVal")).iter(qn("c:v"))]
    ys = [float(v.text) for v in series._element.find(qn("c:yVal")).iter(qn("c:v"))]
    assert len(xs) == len(ys)
    return list(zip(xs, ys, strict=True))


def named_shape(slide, name):
    found = [s for s in slide.shapes if s.name == name]
    assert len(found) == 1, f"{len(found)} shapes named {name!r}"
    return found[0]


def tiny_pictures(figures, **kwargs) -> dict[str, bytes]:
    """Stand-ins for the kaleido charts: a small PNG each (these tests read other slides)."""
    stream = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(stream, format="PNG")
    return dict.fromkeys(figures, stream.getvalue())


@pytest.fixture(scope="module")
def assessment() -> nistpf.Assessment:
    return nistpf.assess(nistpf.load_inventory(SAMPLE))


@pytest.fixture(scope="module")
def deck(assessment, tmp_path_factory):
    path = tmp_path_factory.mktemp("deck") / "deck.pptx"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(images, "render_png", tiny_pictures)
        write_deck(assessment, path)
    return Presentation(str(path))


# -- the hand computation itself ----------------------------------------------------------------


def test_the_hand_computation_of_two_flows():
    # F-030 (CCS-01 → BPO-01, unencrypted, card and voice data, shared with the BPO):
    # P01 (7), P09 (6), P18 (4); impact 7 + 7 + 8 + 1 + 1, the card data adds 1 direct business
    # cost to Economic Loss. F-019 (TKT-01 → XLS-01, a system not in the Systems sheet, health
    # data, no owner or retention): P02 (4), P03 (6), P09 (6), P13 (3), P15 (3).
    assert by_hand("F-030") == {
        "Economic Loss": (7, 25),
        "Dignity Loss": (7, 24),
        "Loss of Trust": (7, 24),
        "Discrimination": (6, 24),
    }
    assert by_hand("F-019") == {
        "Economic Loss": (6, 26),
        "Dignity Loss": (6, 26),
        "Loss of Trust": (6, 26),
        "Loss of Autonomy": (3, 26),
        "Discrimination": (6, 26),
    }


def test_pram_agrees_with_the_hand_computation(assessment):
    problems = nistpf.pram(assessment).problems
    for flow_id, action in (("F-030", "disclosure"), ("F-019", "transfer")):
        mine = problems[problems["data_action"] == f"{flow_id}:{action}"]
        engine = {p: (li, im) for p, li, im in mine[["problem", "likelihood", "impact"]].values}
        assert engine == by_hand(flow_id), flow_id


# -- the slides ---------------------------------------------------------------------------------


def test_the_two_slides_follow_the_findings_slide(deck, assessment):
    sections = [named_shape(s, "section").text_frame.text for s in list(deck.slides)[1:]]
    assert sections[4:8] == [
        "DATA FLOWS",
        "WHERE CUSTOMER DATA GOES",
        "THE RISKIEST DATA ACTIONS",
        "ROADMAP",
    ]
    flows = rows("DataFlows.csv")
    parties = {r["destination"] for r in flows if r["destination"].startswith("external:")}
    paths = nistpf.trace(assessment.inventory).paths
    never = int((paths["ending"] == "never disposed").sum())
    assert deck.slides[DIAGRAM_SLIDE].shapes.title.text_frame.text == (
        f"Customer data reaches {len(parties)} external parties; {never} of its {len(paths)} "
        "paths are never disposed of"
    )
    # F-019's risk by hand: the sum over its problems of likelihood × impact.
    risk = sum(li * im for li, im in by_hand("F-019").values())
    pram = nistpf.pram(assessment)
    assert risk == pram.data_actions["risk"].max()  # the riskiest data action of the sample
    assert deck.slides[RISK_SLIDE].shapes.title.text_frame.text.startswith(
        f"F-019:transfer (TKT-01 → XLS-01) carries the most privacy risk: {risk:g} of "
        f"{pram.total:g} ({100 * risk / pram.total:.1f}%); "
    )


def test_the_risk_chart_plots_impact_against_likelihood(deck, assessment):
    slide = deck.slides[RISK_SLIDE]
    frame = named_shape(slide, "risk-chart")
    assert frame.has_chart  # a native chart, not a picture
    chart = frame.chart
    assert chart.chart_type == XL_CHART_TYPE.XY_SCATTER
    series = {s.name: xy(s) for s in chart.plots[0].series}
    assert list(series) == ["Problems for individuals", "Top outliers"]
    shown = series["Problems for individuals"] + series["Top outliers"]
    # Every data action × problem of the PRAM is one point (x = impact, y = likelihood).
    problems = nistpf.pram(assessment).problems
    assert sorted(shown) == sorted(zip(problems["impact"], problems["likelihood"], strict=True))
    # The two data actions worked by hand are there, each problem a point.
    for flow_id in ("F-030", "F-019"):
        for likelihood, impact in by_hand(flow_id).values():
            assert (impact, likelihood) in shown, flow_id
    # The top outliers: the problems whose risk is among the five highest, ties included.
    risks = sorted((li * im for im, li in shown), reverse=True)
    cut = risks[4]
    top = sorted(p for p in shown if p[0] * p[1] >= cut)
    assert sorted(series["Top outliers"]) == top
    # By hand: F-030's Economic Loss (7 × 25), Dignity Loss and Loss of Trust (7 × 24) and
    # F-019's four problems of likelihood 6 × impact 26 (Loss of Autonomy is 3 × 26).
    hand = by_hand("F-030") | {f"F-019 {p}": v for p, v in by_hand("F-019").items()}
    assert top == sorted((im, li) for li, im in hand.values() if li * im >= cut)
    assert len(top) == 7


def test_the_outliers_table(deck):
    table = named_shape(deck.slides[RISK_SLIDE], "outliers-table").table
    cells = [[cell.text for cell in row.cells] for row in table.rows]
    assert cells[0] == ["Data action", "Problem", "Likelihood", "Impact", "Risk"]
    expected = [
        ("F-030:disclosure", problem, li, im)
        for problem, (li, im) in by_hand("F-030").items()
        if li * im >= 156
    ] + [
        ("F-019:transfer", problem, li, im)
        for problem, (li, im) in by_hand("F-019").items()
        if li * im >= 156
    ]
    body = sorted(cells[1:], key=lambda r: (-float(r[4]), r[0], r[1]))
    assert body == sorted(
        ([a, p, f"{li:g}", f"{im:g}", f"{li * im:g}"] for a, p, li, im in expected),
        key=lambda r: (-float(r[4]), r[0], r[1]),
    )
    risks = [float(r[4]) for r in cells[1:]]
    assert risks == sorted(risks, reverse=True)  # highest first


def test_the_diagram_is_on_its_slide_fitted(deck):
    conftest.dot("to draw the data-flow diagram of the deck")
    slide = deck.slides[DIAGRAM_SLIDE]
    picture = named_shape(slide, "flow-diagram")
    assert picture.image.content_type == "image/png"
    width, height = Image.open(io.BytesIO(picture.image.blob)).size
    assert picture.width / picture.height == pytest.approx(width / height, rel=0.01)
    assert picture.left >= 0
    assert picture.left + picture.width <= deck.slide_width
    assert picture.top >= deck_slides.Inches(deck_slides.CONTENT_TOP) - 1
    assert picture.top + picture.height <= deck_slides.Inches(6.55) + 1  # above the caption
    assert not [s for s in slide.shapes if s.name == "diagram-missing"]


def test_the_slide_diagram_reads_at_9_pt_or_more(deck, assessment):
    conftest.dot("to draw the data-flow diagram of the deck")
    import re

    graph = diagram.flow_diagram(
        assessment.inventory,
        findings=assessment.findings,
        flow_risk=nistpf.pram(assessment).flow_risk,
        compact=True,
    )
    svg = diagram.render(graph, "svg").decode("utf-8")
    width, height = (
        float(v) for v in re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()
    )
    # the smallest type a node's name (bold) is set in, read from the laid-out SVG
    names = [
        float(size)
        for node in re.findall(r'<g id="node\d+" class="node">(.*?)</g>', svg, re.S)
        for size in re.findall(r'<text[^>]*font-weight="bold"[^>]*font-size="([\d.]+)"', node)
    ]
    assert len(names) >= 16 + 4 + 1  # the sample's 16 systems, 4 parties, XLS-01 at least
    picture = named_shape(deck.slides[DIAGRAM_SLIDE], "flow-diagram")
    pixels = Image.open(io.BytesIO(picture.image.blob)).size
    assert pixels[0] / pixels[1] == pytest.approx(width / height, rel=0.01)  # that diagram
    shown = picture.width / 12700  # EMU to points
    assert min(names) * shown / width >= 9.0
    # and no arrow carries flow IDs or data categories: the sample has no two flows on one arrow
    edges = re.findall(r'<g id="edge\d+" class="edge">(.*?)</g>', svg, re.S)
    assert edges
    assert not [e for e in edges if "<text" in e]


def test_without_graphviz_the_slide_lists_the_gaps(assessment, tmp_path, monkeypatch):
    def no_dot(*args, **kwargs):
        raise diagram.GraphvizMissingError()

    monkeypatch.setattr(diagram, "render", no_dot)
    monkeypatch.setattr(images, "render_png", tiny_pictures)
    path = write_deck(assessment, tmp_path / "deck.pptx")
    slide = Presentation(str(path)).slides[DIAGRAM_SLIDE]
    assert not [s for s in slide.shapes if s.shape_type == 13]  # no picture
    missing = named_shape(slide, "diagram-missing").text_frame.text
    assert missing.startswith("The data-flow diagram is not part of this edition")
    # a client's slide carries no install instructions (the console prints them)
    text = " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
    for word in ("Graphviz", "install", "apt-get", "brew install"):
        assert word.casefold() not in text.casefold(), word
    gaps = nistpf.trace(assessment.inventory).gaps
    kinds = [[c.text for c in r.cells] for r in named_shape(slide, "gap-kinds").table.rows]
    counts = gaps["kind"].value_counts()
    assert kinds[1:] == [[k, str(counts.get(k, 0))] for k in GAP_KINDS]
    lines = named_shape(slide, "journey-gaps").text_frame.text.split("\n")
    # Sensitive categories first: the sample's card data ends in the warehouse undisposed.
    assert lines[0].startswith("user.financial.credit_card ends at DWH-01")
    assert set(lines[:-1]) <= set(gaps["message"])
    assert lines[-1] == (
        f"+ {len(gaps) - (len(lines) - 1)} more: nistpf.trace(inventory).gaps lists them all"
    )


def test_a_deck_without_flows_has_both_slides(tmp_path):
    from nistpf.synth import write_synthetic_workbook

    path = write_synthetic_workbook(tmp_path / "small.xlsx", systems=3, controls=30, flows=0)
    story = tell(nistpf.assess(nistpf.load_inventory(path)))
    assert story.titles[DIAGRAM_SLIDE] == (
        "No customer data category is traced: the flows record none"
    )
    assert story.titles[RISK_SLIDE] == "No data actions: the inventory records no data flows"
    figures = dict.fromkeys(("radar-function", "heatmap", "flow-map"))
    presentation = deck_slides.build(story, tiny_pictures(figures), missing={"flow-diagram": ""})
    slide = presentation.slides[RISK_SLIDE]
    assert not [s for s in slide.shapes if s.name == "risk-chart"]


# -- the notebook -------------------------------------------------------------------------------


def tagged(notebook, tag: str) -> str:
    """The text an executed cell tagged ``tag`` shows (streams and text/plain)."""
    cell = next(c for c in notebook.cells if tag in c.metadata.get("tags", []))
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif "data" in output:
            parts.append(output.data.get("text/plain", ""))
    return "\n".join(parts)


def test_the_notebook_shows_the_journey_and_the_arithmetic(executed_notebook):
    notebook = executed_notebook(NOTEBOOK)
    # The default category is the first sensitive one the flows carry: card data.
    journey = tagged(notebook, "journey")
    assert journey.startswith("user.financial.credit_card: 4 paths, 7 flows")
    carrying = {
        r["flow_id"]
        for r in rows("DataFlows.csv")
        if "user.financial.credit_card" in [c.strip() for c in r["data_categories"].split(";")]
    }
    assert carrying == {"F-003", "F-005", "F-011", "F-021", "F-025", "F-030", "F-033"}
    for flow_id in carrying:
        assert flow_id in journey
    # The riskiest data action on that journey is F-030's disclosure, explained term by term.
    explained = tagged(notebook, "explain")
    assert explained.startswith("F-030:disclosure: Disclosure from CCS-01")
    hand = by_hand("F-030")
    li, im = hand["Economic Loss"]
    assert f"- Economic Loss: likelihood {li:g} × impact (7 + 8 + 8 + 1 + 1 = {im:g})" in explained
    total = sum(a * b for a, b in hand.values())
    assert f"= {total:g}; " in explained


def test_one_path_and_one_party_read_in_the_singular():
    import pandas as pd

    from nistpf.export.deck import reach_note

    # one flow: customers' names into PAY, which sends them to one outside party
    frames = {
        "Systems": pd.DataFrame(
            [["PAY", "Payments", "Ops"]], columns=["system_id", "name", "owner"]
        ),
        "Controls": pd.DataFrame(
            [["C1", "TLS", "Implemented", "PR.DS-P2", "ALL"]],
            columns=["control_id", "name", "status", "subcategories", "applies_to"],
        ),
        "DataFlows": pd.DataFrame(
            [["F-1", "external:Customers", "PAY", "user.name", "collection", "Ops"],
             ["F-2", "PAY", "external:Acme", "user.name", "sharing", "Ops"]],
            columns=["flow_id", "source", "destination", "data_categories", "stage", "owner"],
        ),
    }  # fmt: skip
    a = nistpf.assess(nistpf.load_inventory(frames))
    traced = nistpf.trace(a.inventory)
    assert len(traced.paths) == 1  # the premise
    assert len(traced.categories) == 1
    note = reach_note(traced)
    assert note.startswith("1 path of 1 data category from where they enter")
    assert "1 paths" not in note
    assert "1 data categories" not in note
    story = tell(a)
    texts = [v for v in vars(story).values() if isinstance(v, str)]
    texts += [
        t for v in vars(story).values() if isinstance(v, tuple) for t in v if isinstance(t, str)
    ]
    text = " | ".join(texts)
    assert "Customer data reaches 1 external party;" in text
    assert "1 external parties" not in text
    assert " 1 paths" not in text


def test_the_risk_note_gives_the_likelihood_scale_as_everywhere(assessment):
    story = tell(assessment)
    assert "likelihood (0–10; 0: the concern does not arise; NIST's scale is 1–10)" in (
        story.risk_note
    )


def test_the_risk_note_is_filled_in():
    # The caption under the risk chart states the system risk and the count of data actions.
    p = nistpf.pram(nistpf.assess(nistpf.load_inventory(nistpf.sample_path())))
    story = tell(nistpf.assess(nistpf.load_inventory(nistpf.sample_path())))
    assert "{" not in story.risk_note
    assert (
        f"System risk {round(p.total)} over {len(p.data_actions)} data actions" in story.risk_note
    )
