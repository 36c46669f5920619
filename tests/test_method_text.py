"""The method is written once and states the settings an assessment used, in the register's
Method sheet, the HTML report and the deck alike."""

from __future__ import annotations

import html
import re

import openpyxl
import pytest
from pptx import Presentation

import nistpf
from nistpf.export.method_text import method_rows
from nistpf.scales import scale

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
