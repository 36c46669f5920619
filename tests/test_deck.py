"""The leadership deck: read the .pptx back with python-pptx and compare it with the Assessment."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import zipfile

import openpyxl
import pandas as pd
import pptx.presentation
import pytest
from pptx import Presentation
from pptx.util import Emu

import nistpf
from nistpf.errors import BrowserMissingError, OutputIsInputError
from nistpf.export.deck import write_deck
from nistpf.export.deck_slides import ROADMAP_ROWS
from nistpf.io import atomic

SECTIONS = [
    "EXECUTIVE SUMMARY",
    "PRIVACY FRAMEWORK FUNCTIONS",
    "SYSTEMS",
    "TOP GAPS",
    "DATA FLOWS",
    "WHERE CUSTOMER DATA GOES",
    "THE RISKIEST DATA ACTIONS",
    "ROADMAP",
    "APPENDIX: METHOD",
]
# 1-based slide numbers that show a chart picture: the data-flow diagram (7) needs Graphviz's dot.
CHART_SLIDES = {3, 4, 6} | ({7} if shutil.which("dot") else set())
SCRIPT = "<script>alert('x')</script>"
FORMULA = "=cmd|' /C calc'!A0"


@pytest.fixture(scope="module")
def assessment() -> nistpf.Assessment:
    return nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))


@pytest.fixture(scope="module")
def deck_path(assessment, tmp_path_factory):
    folder = tmp_path_factory.mktemp("deck")
    return write_deck(assessment, folder / "leadership.pptx")


@pytest.fixture(scope="module")
def deck(deck_path):
    return Presentation(str(deck_path))


@pytest.fixture(scope="module")
def edits() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "subcategory": ["PR.DS-P3", "gv.at-p2", "ID.RA-P2"],
            "recommended_action": ["Define disposal procedures", "", "Run a DPIA refresh"],
            "owner": ["Head of Data Protection", FORMULA, SCRIPT],
            "due_date": [dt.date(2027, 3, 31), "2027-06-30", pd.NaT],
            "status": ["In progress", "Open", None],
            "comments": ["", "", ""],
        }
    )


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> nistpf.Assessment:
    """The sample with markup and formula payloads in the About sheet and a system name."""
    folder = tmp_path_factory.mktemp("hostile")
    path = folder / "hostile.xlsx"
    shutil.copy(nistpf.sample_path(), path)
    book = openpyxl.load_workbook(path)
    for row in book["About"].iter_rows(min_row=3):
        if row[0].value in ("client", "engagement"):
            row[1].value = SCRIPT if row[0].value == "client" else FORMULA
            row[1].data_type = "s"  # text, not a formula
    for row in book["Systems"].iter_rows(min_row=3):
        if row[0].value == "IDN-01":
            row[1].value = f"{SCRIPT} & {FORMULA}"
            row[1].data_type = "s"
    book.save(path)
    return nistpf.assess(nistpf.load_inventory(path))


@pytest.fixture(scope="module")
def hostile_deck(hostile, edits, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-deck")
    path = write_deck(hostile, folder / "deck.pptx", carry_over=edits)
    return path, Presentation(str(path))


# -- reading the deck back -----------------------------------------------------------------------


def shape(slide, name):
    found = [s for s in slide.shapes if s.name == name]
    assert len(found) == 1, f"{len(found)} shapes named {name!r}"
    return found[0]


def table_rows(slide, name) -> list[list[str]]:
    table = shape(slide, name).table
    return [[cell.text for cell in row.cells] for row in table.rows]


def all_runs(presentation):
    for slide in presentation.slides:
        for s in slide.shapes:
            if s.has_text_frame:
                for paragraph in s.text_frame.paragraphs:
                    yield from paragraph.runs
            if s.has_table:
                for row in s.table.rows:
                    for cell in row.cells:
                        for paragraph in cell.text_frame.paragraphs:
                            yield from paragraph.runs


def slide_text(slide) -> str:
    parts = []
    for s in slide.shapes:
        if s.has_text_frame:
            parts.append(s.text_frame.text)
        if s.has_table:
            parts.extend(cell.text for row in s.table.rows for cell in row.cells)
    return "\n".join(parts)


def number(text: str) -> float:
    assert re.fullmatch(r"-?\d+\.\d\d", text), f"{text!r} is not a number with 2 decimals"
    return float(text)


def close(shown: str, value: float) -> bool:
    return number(shown) == pytest.approx(value, abs=0.005)


def ranked(a: nistpf.Assessment) -> pd.DataFrame:
    subs = a.subcategories
    gaps = subs[subs["in_profile"] & (subs["gap"] > 0)]
    return gaps.sort_values(["gap_points", "gap"], ascending=False, kind="stable")


def tied_at_the_top(a: nistpf.Assessment) -> tuple[str, str]:
    """The two outcomes tied for the most gap points (the sample has exactly two: PR.DS-P3 and
    PR.DS-P7, no control against a High-priority target of 4, so 4 levels × 3 = 12 each)."""
    gaps = ranked(a)
    top = gaps[gaps["gap_points"] == gaps["gap_points"].max()]
    assert len(top) == 2, list(top["subcategory"])
    assert (top["gap_points"] == (top["target"] - top["current"]) * 3).all()
    return tuple(top["subcategory"])


# -- structure -----------------------------------------------------------------------------------


def test_ten_slides_on_16_9(deck):
    assert len(deck.slides) == 10
    assert (deck.slide_width, deck.slide_height) == (Emu(12192000), Emu(6858000))
    assert deck.slide_width / deck.slide_height == pytest.approx(16 / 9, abs=1e-3)
    assert deck.slide_width.inches == pytest.approx(13.333, abs=1e-3)


def test_slides_come_in_order(deck):
    sections = [shape(slide, "section").text_frame.text for slide in list(deck.slides)[1:]]
    assert sections == SECTIONS
    pages = [shape(slide, "page").text_frame.text for slide in list(deck.slides)[1:]]
    assert pages == [f"{n} / 10" for n in range(2, 11)]


def test_titles_state_the_point(deck, assessment):
    a = assessment
    o = a.overall
    titles = [slide.shapes.title.text_frame.text for slide in deck.slides]
    fnames = a.framework.functions.set_index("id")["name"]
    weakest = a.functions.sort_values("gap", ascending=False, kind="stable").iloc[0]
    system_means = a.systems.groupby("system", sort=False)["level"].mean()
    findings = a.findings
    top = ranked(a).iloc[0]

    client = a.inventory.about_value("client")
    assert titles[0] == f"{client}: NIST Privacy Framework {a.framework.version} assessment"
    assert titles[1] == (
        f"Privacy outcomes average {o.current:.2f} ({a.scale.label(o.current)}) against a "
        f"target of {o.target:.2f}, a gap of {o.gap:.2f}"
    )
    assert titles[2].startswith(
        f"{fnames[weakest['function']]} is {weakest['gap']:.2f} levels below target"
    )
    assert f"({system_means.idxmin()}) is the weakest system" in titles[3]
    assert f"mean level {system_means.min():.2f}" in titles[3]
    # The sample's two largest gaps tie: both are named, neither leads.
    first, second = tied_at_the_top(a)
    assert (
        f"; {first} and {second} tie for the largest ({top['gap_points']:.2f} gap points)"
        in (titles[4])
    )
    assert "led by" not in titles[4]
    high = int((findings["severity"] == "High").sum())
    assert titles[5] == (
        f"{len(findings)} data-flow findings on {findings['flow_id'].nunique()} of "
        f"{len(a.inventory.flows)} flows; {high} High severity"
    )
    assert titles[8].startswith("Roadmap: close ")
    assert titles[8].endswith("; owners to be assigned")
    assert titles[9].startswith("Method:")


# -- numbers -------------------------------------------------------------------------------------


def test_summary_numbers_are_the_assessment(deck, assessment):
    slide = deck.slides[1]
    o = assessment.overall
    for key in ("current", "target", "gap"):
        caption, value, _ = shape(slide, f"kpi-{key}").text_frame.text.split("\n")
        assert caption == key.capitalize()
        assert close(value, getattr(o, key)), key
    assert shape(slide, "kpi-current").text_frame.text.endswith(assessment.scale.label(o.current))
    coverage = shape(slide, "kpi-coverage").text_frame.text.split("\n")[1]
    assert coverage == f"{round(o.coverage * 100)}%"


def test_key_messages_are_the_reports_and_come_from_the_data(deck, assessment):
    from nistpf.export.report import key_messages

    a = assessment
    lines = shape(deck.slides[1], "key-messages").text_frame.text.split("\n")
    messages = [re.sub(r"^\d\.\s+", "", line) for line in lines]
    assert messages == key_messages(a)
    weakest = a.functions.sort_values("gap", ascending=False, kind="stable").iloc[0]
    assert f"a gap of {weakest['gap']:.2f} levels" in messages[0]
    high = a.findings[a.findings["severity"] == "High"]
    touched = {s for systems in high["systems"] for s in systems}
    assert f"{len(high)} High-severity data-flow findings" in messages[1]
    assert f"touch {len(touched)} systems" in messages[1]
    first, second = tied_at_the_top(a)
    points = ranked(a).iloc[0]["gap_points"]
    assert messages[2].startswith(
        f"{first} and {second} share the largest gap: {points:.2f} gap points each"
    )


def test_function_table_equals_the_functions(deck, assessment):
    rows = table_rows(deck.slides[2], "function-table")
    assert rows[0] == ["Function", "Current", "Target", "Gap", "Coverage"]
    functions = assessment.functions.set_index("function")
    shown = [re.search(r"\((\S+)\)$", row[0]).group(1) for row in rows[1:]]
    assert shown == list(functions.index)
    for row, (_, expected) in zip(rows[1:], functions.iterrows(), strict=True):
        assert close(row[1], expected["current"])
        assert close(row[2], expected["target"])
        assert close(row[3], expected["gap"])
        assert row[4] == f"{round(expected['coverage'] * 100)}%"


def test_top_gaps_table_is_the_ten_largest_by_gap_points(deck, assessment):
    rows = table_rows(deck.slides[4], "top-gaps-table")
    assert rows[0] == [
        "Subcategory",
        "Outcome",
        "Current",
        "Target",
        "Gap",
        "Gap points",
        "Priority",
    ]
    expected = ranked(assessment).head(10)
    assert [row[0] for row in rows[1:]] == list(expected["subcategory"])
    for row, (_, sub) in zip(rows[1:], expected.iterrows(), strict=True):
        outcome = row[1].removesuffix("…")
        assert sub["text"].startswith(outcome)
        assert len(row[1]) <= 150
        assert close(row[2], sub["current"])
        assert close(row[3], sub["target"])
        assert close(row[4], sub["gap"])
        assert close(row[5], sub["gap_points"])
        assert row[6] == sub["priority"]


def test_findings_by_severity(deck, assessment):
    slide = deck.slides[5]
    rows = table_rows(slide, "findings-table")
    counts = assessment.findings["severity"].value_counts()
    assert rows == [["Severity", "Findings"]] + [
        [s, str(int(counts.get(s, 0)))] for s in ("High", "Medium", "Low")
    ]
    high = assessment.findings[assessment.findings["severity"] == "High"]
    listed = shape(slide, "high-flows").text_frame.text.split("\n")
    assert [line.split(":")[0] for line in listed] == sorted(set(high["flow_id"]))


def test_roadmap_groups_gaps_by_priority(deck, assessment):
    slide = deck.slides[8]
    gaps = ranked(assessment)
    for priority in ("High", "Moderate", "Low"):
        group = gaps[gaps["priority"] == priority]
        heading = shape(slide, f"roadmap-{priority.lower()}-heading").text_frame.text
        assert heading == f"{priority} priority: {len(group)} gap{'' if len(group) == 1 else 's'}"
        rows = table_rows(slide, f"roadmap-{priority.lower()}")
        assert rows[0] == ["Subcategory", "Owner", "Due date"]
        more = len(group) - ROADMAP_ROWS
        if more > 0:
            assert rows.pop()[0] == f"+ {more} more in the gap register"
        assert [row[0] for row in rows[1:]] == list(group["subcategory"].head(ROADMAP_ROWS))
        assert {row[1] for row in rows[1:]} == {"to be assigned"}
        assert {row[2] for row in rows[1:]} == {"to be assigned"}


def test_roadmap_carries_register_edits_over(hostile_deck, hostile, edits):
    _, deck = hostile_deck
    slide = deck.slides[8]
    rows = {}
    for priority in ("high", "moderate", "low"):
        for row in table_rows(slide, f"roadmap-{priority}")[1:]:
            rows[row[0]] = row[1:]
    gaps = ranked(hostile)
    longer = {
        p: len(group) - ROADMAP_ROWS
        for p, group in gaps.groupby("priority")
        if len(group) > ROADMAP_ROWS
    }
    assert longer  # the sample has a priority with more gaps than the roadmap shows
    more = sorted(key for key in rows if key.startswith("+ "))
    assert more == sorted(f"+ {n} more in the gap register" for n in longer.values())
    assert rows["PR.DS-P3"] == ["Head of Data Protection", "2027-03-31"]
    assert rows["GV.AT-P2"] == [FORMULA, "2027-06-30"]  # the ID is normalised
    assert rows["ID.RA-P2"] == [SCRIPT, "to be assigned"]
    pairs = zip(edits["subcategory"], edits["owner"], strict=True)
    owned = {s.upper() for s, owner in pairs if owner}
    assert owned <= set(gaps["subcategory"])
    assert slide.shapes.title.text_frame.text.endswith(
        f"; {len(owned)} of {len(gaps)} have an owner"
    )
    notes = slide.notes_slide.notes_text_frame.text
    assert "PR.DS-P3 (High, Head of Data Protection, 2027-03-31): Define disposal procedures" in (
        notes
    )


def test_method_appendix(deck, assessment):
    slide = deck.slides[9]
    method = shape(slide, "method").text_frame.text
    sources = shape(slide, "sources").text_frame.text
    assert assessment.scale.describe() in method
    assert "High 3, Medium 2, Low 1" in method
    assert "High 3, Moderate 2, Low 1" in method
    assert "max(0, target − current)" in method
    assert "NIST Privacy Framework 1.0 (NIST CSWP 01162020, 2020-01-16)" in sources
    assert f"Input: {assessment.inventory.source}" in sources
    assert f"SHA-256: {assessment.inventory.sha256}" in sources
    assert f"nistpf: {nistpf.__version__}" in sources


# -- form ----------------------------------------------------------------------------------------


def test_one_font_family_everywhere(deck, hostile_deck):
    for presentation in (deck, hostile_deck[1]):
        runs = list(all_runs(presentation))
        assert len(runs) > 100
        assert {run.font.name for run in runs} == {"Arial"}
        assert all(run.font.size is not None for run in runs)


def test_charts_are_pictures_and_text_is_native(deck):
    for number, slide in enumerate(deck.slides, start=1):
        pictures = [s for s in slide.shapes if s.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE
        assert len(pictures) == (1 if number in CHART_SLIDES else 0), number
        for picture in pictures:
            assert picture.image.content_type == "image/png"
            right = picture.left + picture.width
            bottom = picture.top + picture.height
            assert picture.left >= 0, number
            assert right <= deck.slide_width, number
            assert bottom <= deck.slide_height, number
    tables = [s.name for slide in deck.slides for s in slide.shapes if s.has_table]
    assert "top-gaps-table" in tables
    assert "function-table" in tables


def test_inventory_text_stays_literal(hostile_deck, hostile):
    path, deck = hostile_deck
    assert deck.slides[0].shapes.title.text_frame.text.startswith(SCRIPT + ":")
    assert FORMULA in slide_text(deck.slides[0])
    assert deck.slides[3].shapes.title.text_frame.text.startswith(f"{SCRIPT} & {FORMULA} (IDN-01)")
    with zipfile.ZipFile(path) as archive:
        xml = "".join(
            archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.startswith("ppt/slides/") and name.endswith(".xml")
        )
    assert "<script>" not in xml
    assert "&lt;script&gt;" in xml


def test_written_with_nothing_left_over(deck_path):
    assert os.listdir(deck_path.parent) == [deck_path.name]


@pytest.fixture(scope="module")
def pictures(assessment) -> dict[str, bytes]:
    """The deck's charts rendered once, for the tests that write several decks."""
    from nistpf.export import deck_slides, images
    from nistpf.export.deck import DECK_CHARTS

    figures = deck_slides.prepare_figures(images.chart_figures(assessment, DECK_CHARTS))
    return images.render_png(figures, sizes=deck_slides.PICTURE_SIZES)


def _half_then_disk_full(self, stream):
    """Presentation.save that writes half the deck, then fails as a full disk does."""
    import io

    whole = io.BytesIO()
    REAL_SAVE(self, whole)
    stream.write(whole.getvalue()[: len(whole.getvalue()) // 2])
    raise OSError(28, "No space left on device")


def _half_then_interrupted(self, stream):
    """Presentation.save interrupted (Ctrl+C) after writing part of the deck."""
    stream.write(b"PK\x03\x04 part of a deck")
    raise KeyboardInterrupt


def _fail(*args, **kwargs):
    raise OSError(5, "Input/output error")


REAL_SAVE = pptx.presentation.Presentation.save
FAILURES = {
    # where the write fails: (object, attribute, replacement, exception raised by write_deck)
    "mid-save": (pptx.presentation.Presentation, "save", _half_then_disk_full, "disk"),
    "interrupted": (pptx.presentation.Presentation, "save", _half_then_interrupted, "interrupt"),
    "fsync": (atomic.os, "fsync", _fail, "io"),
    "rename": (atomic.os, "replace", _fail, "io"),
}


@pytest.mark.parametrize("where", sorted(FAILURES))
def test_a_write_failing_midway_leaves_the_previous_deck_and_no_temporary_file(
    where, assessment, deck_path, pictures, tmp_path, monkeypatch
):
    from nistpf.errors import OutputNotWritableError
    from nistpf.export import images

    target = tmp_path / "deck.pptx"
    shutil.copy(deck_path, target)
    previous = target.read_bytes()
    monkeypatch.setattr(images, "render_png", lambda figures, **kwargs: pictures)
    owner, name, replacement, kind = FAILURES[where]
    with monkeypatch.context() as failing:
        failing.setattr(owner, name, replacement)
        if kind == "interrupt":
            with pytest.raises(KeyboardInterrupt):
                write_deck(assessment, target)
        else:
            with pytest.raises(OutputNotWritableError) as caught:
                write_deck(assessment, target)
            reason = "no space left on the device" if kind == "disk" else "input/output error"
            assert reason in str(caught.value)
            assert str(target) in str(caught.value)
            assert "\n" not in str(caught.value)
    assert target.read_bytes() == previous
    assert os.listdir(tmp_path) == [target.name]
    # The next write, with nothing failing, replaces it with a whole deck.
    write_deck(assessment, target)
    assert len(Presentation(str(target)).slides) == 10
    assert os.listdir(tmp_path) == [target.name]


def test_no_browser_no_deck(assessment, tmp_path, monkeypatch):
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-chromium"))
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(BrowserMissingError, match=r"^cannot render images: no Chromium"):
        write_deck(assessment, tmp_path / "deck.pptx")
    assert os.listdir(tmp_path) == ["empty-path"]


def test_refuses_to_overwrite_the_inventory(hostile):
    before = hostile.inventory.path.read_bytes()
    with pytest.raises(OutputIsInputError, match="is the input workbook"):
        write_deck(hostile, hostile.inventory.path)
    assert hostile.inventory.path.read_bytes() == before


def test_edits_must_name_subcategories(assessment, tmp_path):
    with pytest.raises(ValueError, match="carry_over: expected a DataFrame with a 'subcategory'"):
        write_deck(assessment, tmp_path / "deck.pptx", carry_over=pd.DataFrame({"owner": ["x"]}))
    assert not (tmp_path / "deck.pptx").exists()


def test_a_deck_without_flows_says_so(tmp_path):
    from nistpf.export.deck import tell
    from nistpf.synth import write_synthetic_workbook

    path = write_synthetic_workbook(tmp_path / "small.xlsx", systems=3, controls=30, flows=0)
    story = tell(nistpf.assess(nistpf.load_inventory(path)))
    assert story.titles[5] == "No data flows are recorded in the inventory"
    assert story.key_messages[1] == (
        "The inventory records no data flow, so no data-flow rule was checked."
    )
    assert story.findings["findings"].tolist() == [0, 0, 0]


def test_the_heat_map_slide_keeps_the_weakest_systems():
    import plotly.graph_objects as go

    from nistpf.export.deck_slides import HEATMAP_ROWS, prepare_figures

    rows = HEATMAP_ROWS + 5
    figure = go.Figure(go.Heatmap(z=[[i] for i in range(rows)], y=[f"S{i}" for i in range(rows)]))
    figure.update_layout(title={"text": "S0 is the weakest system"})
    prepared = prepare_figures({"heatmap": figure})["heatmap"]
    assert list(prepared.data[0].y) == [f"S{i}" for i in range(HEATMAP_ROWS)]
    assert [row[0] for row in prepared.data[0].z] == list(range(HEATMAP_ROWS))
    assert not prepared.layout.title.text
    assert len(figure.data[0].y) == rows  # the caller's figure is untouched
