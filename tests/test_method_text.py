"""The method is written once and states the settings an assessment used, in the register's
Method sheet, the HTML report and the deck alike."""

from __future__ import annotations

import html
import re

import openpyxl
import pytest
from pptx import Presentation

import nistpf
from nistpf.errors import NistpfError
from nistpf.export.method_text import level_names, method_rows
from nistpf.scales import Scale, ScaleError, custom_scale, scale
from tests.inventory_files import THREE_SYSTEMS, small_inventory

# Every setting moved off its default.
SETTINGS = {
    "target": 2.5,
    "priority": "High",
    "in_profile": True,
    "criticality_weights": {"High": 1, "Medium": 2, "Low": 5},
    "priority_weights": {"High": 4, "Moderate": 2.5, "Low": 0.5},
    "coverage": {"Implemented": 0.75, "Partially implemented": 0.25},
    "disagreement": 0.5,
    "cap_scale_maximum": 5,
    "no_evidence": "exclude",
}
SCALE = "implementation"  # 0-3, Partially implemented stands for 2


def listed(weights: dict) -> str:
    """How a weight mapping reads in a sentence: name, a space, the number as written."""
    return ", ".join(f"{name} {value}" for name, value in weights.items())


# Computed from the settings above, by hand: what the method must state.
EXPECTED = [
    "High 1, Medium 2, Low 5",  # criticality weights
    "High 4, Moderate 2.5, Low 0.5",  # priority weights
    "Implemented 0.75, Partially implemented 0.25",  # the c values of coverage
    "target 2.5, priority High",  # the defaults of the Target Profile
    "0.5 levels or more",  # the disagreement threshold
    "0-5 scale",  # the scale the rules' caps are written on
    "no_evidence = exclude",
    "Implemented 3, Partially implemented 2, Planned 1, Not implemented 0",  # the scale's
    "0 Not implemented, 1 Planned, 2 Partially implemented, 3 Implemented",  # its labels
    "max(0, target − current)",
    "2.92 is 'between Partially implemented and Implemented'",  # a band of this scale
]
DEFAULT_VALUES = [
    "High 3, Medium 2, Low 1",
    "Partially implemented 0.5",
    "½",
    "target 3",
    "Risk informed",  # the tiers scale's, not this one's
]


def test_the_expected_values_are_the_settings():
    assert EXPECTED[0] == listed(SETTINGS["criticality_weights"])
    assert EXPECTED[1] == listed(SETTINGS["priority_weights"])
    assert EXPECTED[2] == listed(SETTINGS["coverage"])
    assert EXPECTED[7] == listed(scale(SCALE).status_defaults)


@pytest.fixture(scope="module")
def assessment():
    return nistpf.assess(
        nistpf.load_inventory(nistpf.sample_path()), scale=SCALE, defaults=SETTINGS
    )


@pytest.fixture(scope="module")
def outputs(assessment, tmp_path_factory):
    """The method as each output shows it: {output: [(title, text), ...]}."""
    folder = tmp_path_factory.mktemp("method")
    register = nistpf.write_gap_register(assessment, folder / "register.xlsx")
    report = nistpf.write_report(assessment, folder / "report.html")
    deck = nistpf.write_deck(assessment, folder / "deck.pptx")
    return {
        "register": register_method(register),
        "report": report_method(report.read_text(encoding="utf-8")),
        "deck": deck_method(deck),
    }


def register_method(path) -> list[tuple[str, str]]:
    """The Method sheet's Method block: the rows under its "Figure" header, to the blank row."""
    rows = list(openpyxl.load_workbook(path, read_only=True)["Method"].iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[:2] == ("Figure", "How it is computed"))
    block = []
    for row in rows[start + 1 :]:
        if not row or row[0] is None:
            break
        block.append((row[0], row[1]))
    return block


def report_method(page: str) -> list[tuple[str, str]]:
    section = page[page.index('<section id="method">') :]
    section = section[: section.index("</section>")]
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", section, flags=re.S)
    return [(html.unescape(t), html.unescape(d)) for t, d in pairs]


def deck_method(path) -> list[tuple[str, str]]:
    slide = Presentation(str(path)).slides[-1]
    (shape,) = [s for s in slide.shapes if s.name == "method"]
    rows = []
    for paragraph in shape.text_frame.paragraphs:
        label, text = paragraph.runs[0].text, "".join(r.text for r in paragraph.runs[1:])
        rows.append((label.removesuffix(": "), text))
    return rows


@pytest.mark.parametrize("output", ["register", "report", "deck"])
def test_each_output_states_the_settings_used(outputs, output):
    text = " ".join(f"{t}: {d}" for t, d in outputs[output])
    for fragment in EXPECTED:
        assert fragment in text, (output, fragment)
    for fragment in DEFAULT_VALUES:
        assert fragment not in text, (output, fragment)


@pytest.mark.parametrize("output", ["register", "report", "deck"])
def test_each_output_states_the_gap_with_its_floor(outputs, output):
    gap = dict(outputs[output])["Gap"]
    assert gap.startswith("gap = max(0, target − current)")


def test_the_three_outputs_show_one_text(assessment, outputs):
    rows = list(method_rows(assessment))
    assert outputs["report"] == rows
    assert outputs["deck"] == rows
    # The register adds what only it has (its sheets, printing, its columns) after them.
    assert outputs["register"][: len(rows)] == rows
    assert [t for t, _ in outputs["register"][len(rows) :]] == [
        "Systems sheet",
        "Gap Register rows",
        "Affected systems",
        "Long lists",
        "Printing",
        "Recommended action",
        "Owner, due date, status, comments",
    ]


def test_no_other_text_of_the_deck_drops_the_floor_of_the_gap(tmp_path, assessment):
    deck = Presentation(str(nistpf.write_deck(assessment, tmp_path / "deck.pptx")))
    texts = [
        shape.text_frame.text
        for slide in deck.slides
        for shape in slide.shapes
        if shape.has_text_frame
    ]
    stated = [t for t in texts if re.search(r"gap = ", t, flags=re.I)]
    assert stated
    assert all("max(0, target − current)" in t for t in stated), stated


# -- settings as used, exactly -----------------------------------------------------------------

SMALL_SYSTEMS = THREE_SYSTEMS.drop(columns="data_categories")


@pytest.fixture(scope="module")
def small():
    return small_inventory(
        [["C1", "TLS", "Implemented", None, "PR.DS-P2", "ALL"]], systems=SMALL_SYSTEMS
    )


def test_settings_are_stated_exactly_as_used_not_to_six_digits(small):
    a = nistpf.assess(
        small,
        defaults={
            "criticality_weights": {"High": 1.0000001, "Medium": 1.23456789, "Low": 1e-7},
            "priority_weights": {"High": 3.3333333, "Moderate": 2, "Low": 1},
            "target": 2.123456789,
            "disagreement": 1.0000001,
            "cap_scale_maximum": 4.5,
        },
    )
    text = dict(method_rows(a))
    assert (
        "criticality: High 1.0000001, Medium 1.23456789, Low 0.0000001 (blank"
        in (text["Systems in scope"])
    )
    assert "(High 3.3333333, Moderate 2, Low 1)" in text["Gap points"]
    assert "Without a row: target 2.123456789, priority Moderate" in text["Target, priority"]
    assert "a difference of 1.0000001 levels or more between the two" in text["Current"]
    assert "written on a 0-4.5 scale" in text["Data-flow findings"]


@pytest.mark.parametrize(
    ("threshold", "phrase"),
    [(1, "1 level"), (0.5, "0.5 levels"), (2, "2 levels"), (0.25, "0.25 levels")],
)
def test_the_disagreement_threshold_reads_as_english(small, threshold, phrase):
    a = nistpf.assess(small, defaults={"disagreement": threshold})
    assert f"a difference of {phrase} or more between" in dict(method_rows(a))["Current"]


# -- the gap of a roll-up ----------------------------------------------------------------------


def test_the_method_says_a_roll_ups_gap_is_the_mean_of_the_gaps():
    a = nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))
    rows = a.subcategories[a.subcategories["in_profile"]]
    # Recomputed from target and current: the mean of the floored gaps, which is more than
    # the overall target − current as soon as one outcome is above its target.
    gaps = (rows["target"] - rows["current"]).clip(lower=0)
    assert a.overall.gap == pytest.approx(gaps.mean())
    assert (rows["current"] > rows["target"]).any()
    assert a.overall.gap > a.overall.target - a.overall.current + 0.005
    gap = dict(method_rows(a))["Gap"]
    assert gap.startswith("gap = max(0, target − current)")
    assert "the overall gap is the mean of its Subcategories' gaps" in gap
    assert "a roll-up's gap can be larger than its target − current" in gap


def test_the_report_does_not_call_the_mean_gap_the_distance_below_target(tmp_path):
    a = nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))
    page = nistpf.write_report(a, tmp_path / "report.html").read_text(encoding="utf-8")
    summary = page[page.index('data-field="overall.gap"') :][:400]
    assert "levels below target" not in summary
    assert "the mean of the outcomes&#x27; gaps" in summary or "the mean of the outcomes' gaps" in (
        summary
    )


# -- scales: levels are named from the scale's own levels ---------------------------------------

STATUS_DEFAULTS = {"Implemented": 4, "Partially implemented": 2, "Planned": 0, "Not implemented": 0}


def test_a_scale_with_a_gap_between_its_levels_is_refused_when_made():
    with pytest.raises(ScaleError) as raised:
        custom_scale("gappy", {0: "None", 2: "Some", 4: "All"}, STATUS_DEFAULTS)
    assert str(raised.value) == (
        "scale 'gappy': levels 0, 2, 4 leave out 1, 3; give a label for every whole level from "
        "0 to 4 (a figure between two levels is named by the two around it)"
    )
    assert isinstance(raised.value, NistpfError)
    assert isinstance(raised.value, ValueError)
    with pytest.raises(ScaleError, match="levels 0, 4 leave out 1, 2, 3"):
        Scale("direct", {0: "None", 4: "All"})
    with pytest.raises(ScaleError, match=r"levels are whole numbers \(0, 1, 2, …\), not 0\.5"):
        Scale("halves", {0: "None", 0.5: "Half", 1: "All"})
    with pytest.raises(ScaleError, match="has no levels"):
        Scale("empty", {})


def test_a_status_default_outside_the_levels_is_a_scale_error():
    with pytest.raises(ScaleError, match=r"status defaults outside its levels \(0\.\.2\)"):
        custom_scale("abc", {0: "None", 1: "Some", 2: "All"}, STATUS_DEFAULTS)
    with pytest.raises(ScaleError, match="no default level for status Planned"):
        custom_scale("abc", {0: "None", 1: "Some"}, {"Implemented": 1, "Partially implemented": 1})


def test_a_scale_from_1_to_5_names_its_levels_in_the_method(small, tmp_path):
    one = custom_scale(
        "one-to-five",
        {1: "Ad hoc", 2: "Defined", 3: "Managed", 4: "Measured", 5: "Optimised"},
        {"Implemented": 4, "Partially implemented": 2, "Planned": 1, "Not implemented": 1},
    )
    a = nistpf.assess(small, scale=one)
    # The example is three levels above the lowest, less 0.08: 4 − 0.08 = 3.92, between 3 and 4.
    assert "(3.92 is 'between Managed and Measured')" in dict(method_rows(a))["Level names"]
    assert nistpf.write_gap_register(a, tmp_path / "register.xlsx").exists()


def test_a_scale_of_one_level_states_the_rule_without_a_band():
    single = custom_scale("single", {0: "Only"}, dict.fromkeys(STATUS_DEFAULTS, 0))
    assert level_names(single) == (
        "A figure that is a whole level when shown to two decimals carries that level's name; a "
        "figure between two levels names the band it lies in, never the lower level as if it "
        "were achieved."
    )
