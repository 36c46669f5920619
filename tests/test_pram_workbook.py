"""The NIST PRAM workbook (nistpf.export.pram_workbook): NIST's tabs and headers, formulas that
LibreOffice recalculates to the engine's numbers after a consultant's changes, the edits read
back, the errors for bad edits, and text that never becomes a formula.

Expected values come from NIST's worksheets (read here with openpyxl), from LibreOffice's
recalculation, and from the PRAM arithmetic done by hand (NIST PRAM worksheet 3: risk per
problem = likelihood x the sum of five cost factors; risk per data action = their sum)."""

from __future__ import annotations

import dataclasses
import math
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import nistpf
from nistpf.export.pram_workbook import (
    PramEditError,
    PramReasonError,
    PramRowsError,
    PramWorkbookError,
    read_pram_edits,
    write_pram_workbook,
)
from tests import conftest

TABS = ["Data Action Analysis", "Likelihood", "Impact", "Risk", "Risk Prioritization",
        "Selected Controls"]  # fmt: skip
FACTORS = ["noncompliance", "direct_business", "reputational", "internal_culture", "other"]
COLUMNS = ["data_action", "problem", "likelihood", *FACTORS, "selected_controls", "rationale",
           "reason"]  # fmt: skip


@pytest.fixture(scope="module")
def inventory():
    return nistpf.load_inventory(nistpf.sample_path())


@pytest.fixture
def written(inventory, tmp_path) -> Path:
    return write_pram_workbook(inventory, tmp_path / "pram.xlsx")


def rows_by_key(sheet, id_column: int, problem_column: int) -> dict[tuple[str, str], int]:
    """(data action ID, problem) -> row, read off a problem sheet as a consultant sees it."""
    found = {}
    for row in range(7, sheet.max_row + 1):
        da = sheet.cell(row, id_column).value
        if da:
            found[(da, sheet.cell(row, problem_column).value)] = row
    return found


def texts(sheet, row: int, first: int, last: int) -> list:
    return [
        None if (v := sheet.cell(row, c).value) is None else str(v).strip()
        for c in range(first, last + 1)
    ]


# -- (a) NIST's tabs and headers ------------------------------------------------------------
def nist_header_row(sheet, first_header: str, second: str | None = None) -> int:
    """The row of the last table whose columns A (and B) say ``first_header`` (and
    ``second``): NIST's input table, below its example."""

    def text(r: int, c: int) -> str:
        return str(sheet.cell(r, c).value or "").strip()

    rows = [r for r in range(1, sheet.max_row + 1)
            if text(r, 1) == first_header and second in (None, text(r, 2))]  # fmt: skip
    assert rows, f"{sheet.title}: no {first_header!r}"
    return rows[-1]


@pytest.mark.filterwarnings("ignore:.*(extension|header or footer).*:UserWarning")
def test_tabs_and_headers_are_nists(reference, written):
    folder = reference / "nist" / "pram"
    ws2 = openpyxl.load_workbook(folder / "worksheet-2-assessing-sys-design.xlsx")
    ws3 = openpyxl.load_workbook(folder / "worksheet-3-prioritizing-risk.xlsx")
    ws4 = openpyxl.load_workbook(folder / "worksheet-4-selecting-controls.xlsx")
    ours = openpyxl.load_workbook(written)
    visible = [s.title for s in ours.worksheets if s.sheet_state == "visible"]
    assert visible == TABS
    nist_tabs = {*ws2.sheetnames, *ws3.sheetnames, *ws4.sheetnames}
    for tab in TABS:  # NIST's names ("Risk Prioritization INPUT": the tab to fill in)
        assert tab in nist_tabs or f"{tab} INPUT" in nist_tabs, tab
    # One header row: NIST's cells, column for column, in our row 6.
    for book, tab, first, width in [
        (ws2, "Data Action Analysis", "Data Action", 4),
        (ws3, "Likelihood", "Data Actions", 5),
        (ws3, "Risk", "Data Actions", 6),
        (ws3, "Risk Prioritization INPUT", "Data Actions", 4),
        (ws4, "Selected Controls", "Data Actions", 4),
    ]:
        sheet = book[tab]
        row = nist_header_row(sheet, first, "Risk" if "Prioritization" in tab else None)
        mine = ours[tab.removesuffix(" INPUT")]
        assert texts(mine, 6, 1, width) == texts(sheet, row, 1, width), tab
        assert all(texts(sheet, row, 1, width)), tab
    # Impact: NIST's two header rows (the factor group over the five factors).
    impact = ws3["Impact"]
    row = nist_header_row(impact, "Data Actions")
    assert texts(ours["Impact"], 5, 1, 10) == texts(impact, row, 1, 10)
    assert texts(ours["Impact"], 6, 5, 9) == texts(impact, row + 1, 5, 9)
    assert texts(impact, row + 1, 5, 9)[0] == "Noncompliance Costs"
    # The two-dimensional table (NIST merges B:C for the problem; ours is one column, at G).
    two_d = ws3["Risk Prioritization INPUT"]
    row = next(r for r in range(1, 60) if two_d.cell(r, 4).value == "Point Label")
    nist = [t for t in texts(two_d, row, 1, 6) if t]
    assert texts(ours["Risk Prioritization"], 6, 7, 11) == nist


# -- (b) LibreOffice recalculates to the engine's numbers -------------------------------------
RECALC = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode"
 oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def recalculated(source: Path, folder: Path) -> Path:
    """``source`` opened, recalculated and saved by LibreOffice (as a consultant's copy comes
    back): the path of the saved workbook."""
    soffice = conftest.soffice("to recalculate the PRAM workbook's formulas")
    profile = folder / "profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC, encoding="utf-8")
    out = folder / "out"
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to",
         "xlsx", "--outdir", str(out), str(source)],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    return out / source.name


def values_of(path: Path):
    return openpyxl.load_workbook(path, data_only=True)


def action_rows(sheet) -> dict[str, int]:
    """Data action ID -> row of the Simple Data Action Risk Prioritization Table."""
    return {
        sheet.cell(r, 5).value: r for r in range(7, sheet.max_row + 1) if sheet.cell(r, 5).value
    }


def assert_prioritization(values, pram) -> None:
    sheet = values["Risk Prioritization"]
    rows = action_rows(sheet)
    assert len(rows) == len(pram.data_actions)
    for action in pram.data_actions.itertuples(index=False):
        row = rows[action.data_action]
        assert sheet.cell(row, 2).value == pytest.approx(action.risk), action.data_action
        assert sheet.cell(row, 3).value == pytest.approx(action.percent), action.data_action
        assert sheet.cell(row, 4).value == action.rank, action.data_action
    assert sheet["B4"].value == pytest.approx(pram.total)


def test_unchanged_workbook_recalculates_to_the_engine(inventory, written, tmp_path):
    values = values_of(recalculated(written, tmp_path))
    pram = nistpf.pram(inventory)
    assert_prioritization(values, pram)
    risk = values["Risk"]
    keys = rows_by_key(risk, 7, 2)
    for p in pram.problems.itertuples(index=False):
        assert risk.cell(keys[(p.data_action, p.problem)], 5).value == pytest.approx(p.risk)


def test_consultant_changes_recalculate_to_the_engine_and_by_hand(inventory, written, tmp_path):
    book = openpyxl.load_workbook(written)
    likelihood, impact = book["Likelihood"], book["Impact"]
    keys = rows_by_key(likelihood, 6, 4)
    first, second, third = [*list(keys)[:2], list(keys)[-1]]
    changes = [  # two likelihoods and one cost factor, as a consultant types them
        (first, "likelihood", likelihood, 5, 2),
        (second, "likelihood", likelihood, 5, 9),
        (third, "reputational", impact, 7, 1),
    ]
    edits = []
    for key, field, sheet, column, value in changes:
        row = keys[key]
        assert sheet.cell(row, column).value != value  # a change, not the value written
        sheet.cell(row, column).value = value
        sheet.cell(row, 7 if sheet is likelihood else 12).value = f"reviewed {field}"
        edits.append({"data_action": key[0], "problem": key[1], field: float(value),
                      "reason": f"reviewed {field}"})  # fmt: skip
    book.save(written)
    saved = recalculated(written, tmp_path)
    values = values_of(saved)
    edits = pd.DataFrame(edits).reindex(columns=COLUMNS)
    edits[["selected_controls", "rationale"]] = None  # left as written
    edits[["likelihood", *FACTORS]] = edits[["likelihood", *FACTORS]].astype(float)
    # The copy LibreOffice saved reads back to exactly these edits.
    pd.testing.assert_frame_equal(read_pram_edits(saved), edits)
    pram = nistpf.pram(inventory, edits=edits)
    assert_prioritization(values, pram)
    # By hand, from the cells: likelihood x the sum of the five factors, summed per data action.
    da = first[0]
    hand = 0.0
    for (action, _problem), row in keys.items():
        if action == da:
            factors = [impact.cell(row, c).value for c in range(5, 10)]
            hand += likelihood.cell(row, 5).value * sum(factors)
    sheet = values["Risk Prioritization"]
    assert sheet.cell(action_rows(sheet)[da], 2).value == pytest.approx(hand)
    engine = pram.data_actions.set_index("data_action")
    assert engine.at[da, "risk"] == pytest.approx(hand)
    assert values["Risk"].cell(keys[first], 6).value == pytest.approx(hand)
    # What the engine had before differs: the edits changed the numbers.
    assert nistpf.pram(inventory).data_actions.set_index("data_action").at[da, "risk"] != hand


# -- (c) the edits read back ----------------------------------------------------------------
def test_edits_round_trip(written):
    book = openpyxl.load_workbook(written)
    likelihood, impact, controls = book["Likelihood"], book["Impact"], book["Selected Controls"]
    keys = rows_by_key(likelihood, 6, 4)
    a, b, c, d = list(keys)[:4]
    likelihood.cell(keys[a], 5).value = 0  # NIST: a summary issue alleviates the concern
    likelihood.cell(keys[a], 7).value = "consent banner fixed"
    impact.cell(keys[b], 5).value = 10
    impact.cell(keys[b], 9).value = 2.5
    impact.cell(keys[b], 12).value = "regulator active"
    controls.cell(keys[c], 3).value = "Geofence opt-in"
    controls.cell(keys[c], 4).value = "Customers choose"
    written_value = likelihood.cell(keys[d], 5).value
    likelihood.cell(keys[d], 5).value = written_value  # typed again, unchanged
    book.save(written)
    got = read_pram_edits(written)
    nan = math.nan
    expected = pd.DataFrame(
        [
            [*a, 0.0, nan, nan, nan, nan, nan, None, None, "consent banner fixed"],
            [*b, nan, 10.0, nan, nan, nan, 2.5, None, None, "regulator active"],
            [*c, nan, nan, nan, nan, nan, nan, "Geofence opt-in", "Customers choose", ""],
        ],
        columns=COLUMNS,
    )
    pd.testing.assert_frame_equal(got, expected)


def test_cleared_controls_read_back_as_cleared_not_as_unchanged(inventory, tmp_path):
    # A workbook written with the store's selected controls on one problem; the consultant
    # clears them there and changes a likelihood elsewhere.
    first = nistpf.pram(inventory).problems.iloc[0]
    key = (first["data_action"], first["problem"])
    stored = pd.DataFrame(
        [{"data_action": key[0], "problem": key[1], "selected_controls": "CTL-OLD",
          "rationale": "old"}]
    )  # fmt: skip
    path = write_pram_workbook(
        dataclasses.replace(inventory, pram_edits=stored), tmp_path / "pram.xlsx"
    )
    book = openpyxl.load_workbook(path)
    controls, likelihood = book["Selected Controls"], book["Likelihood"]
    row = rows_by_key(controls, 5, 2)[key]
    assert controls.cell(row, 3).value == "CTL-OLD"
    controls.cell(row, 3).value = None
    other = next(k for k in rows_by_key(likelihood, 6, 4) if k != key)
    likelihood.cell(rows_by_key(likelihood, 6, 4)[other], 5).value = 1
    likelihood.cell(rows_by_key(likelihood, 6, 4)[other], 7).value = "seen"
    book.save(path)
    got = read_pram_edits(path).set_index(["data_action", "problem"])
    assert got.loc[key, "selected_controls"] == ""  # cleared
    assert pd.isna(got.loc[key, "rationale"])  # left as written: missing
    assert pd.isna(got.loc[other, "selected_controls"])


def test_unchanged_workbook_has_no_edits(written):
    got = read_pram_edits(written)
    assert list(got.columns) == COLUMNS
    assert got.empty


# -- (d) bad edits: one line naming the file, sheet, row, column, value and fix ----------------
def edit(path: Path, sheet: str, cell: str, value) -> None:
    book = openpyxl.load_workbook(path)
    book[sheet][cell] = value
    book.save(path)


@pytest.mark.parametrize(
    ("sheet", "cell", "value", "error", "words"),
    [
        ("Likelihood", "E7", "high", PramEditError, ["'Likelihood'", "row 7", "column E", "'high'",
                                                      "from 0 to 10"]),
        ("Likelihood", "E7", 11, PramEditError, ["row 7", "column E", "11", "from 0 to 10"]),
        ("Impact", "F7", 0, PramEditError, ["'Impact'", "row 7", "column F", "from 1 to 10"]),
        ("Likelihood", "E7", "=2*3", PramEditError, ["row 7", "'=2*3'", "formula"]),
        ("Likelihood", "E7", None, PramEditError, ["row 7", "blank"]),
        ("Likelihood", "E7", 3, PramReasonError, ["Likelihood row 7", "without a reason",
                                                  "Reason for the change"]),
        ("Impact", "F6", None, PramWorkbookError, ["'Impact'", "column F",
                                                   "'Direct Business Costs'"]),
        ("Likelihood", "F7", "F-999:collection", PramRowsError, ["'Likelihood'", "row 7",
                                                                 "F-999:collection"]),
    ],
)  # fmt: skip
def test_bad_edits_are_one_line_errors(written, sheet, cell, value, error, words):
    edit(written, sheet, cell, value)
    with pytest.raises(error) as raised:
        read_pram_edits(written)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(str(written))
    for word in words:
        assert word in message
    assert raised.value.code.startswith("pram-")


def test_deleted_row_is_an_error(written):
    book = openpyxl.load_workbook(written)
    book["Impact"].delete_rows(8)
    book.save(written)
    with pytest.raises(PramRowsError, match=r"'Impact'.*was deleted"):
        read_pram_edits(written)


def test_a_row_copied_over_another_is_an_error(written):
    book = openpyxl.load_workbook(written)
    sheet = book["Impact"]
    for column in ("D", "K"):  # the problem and the data action ID of row 7 on row 8
        sheet[f"{column}8"] = sheet[f"{column}7"].value
    book.save(written)
    with pytest.raises(PramRowsError, match=r"'Impact', rows 7 and 8 are both .*delete the copy"):
        read_pram_edits(written)


def test_a_workbook_nistpf_did_not_write(tmp_path):
    other = tmp_path / "other.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Data Actions", "Likelihood"])
    book.save(other)
    with pytest.raises(PramWorkbookError, match="not a PRAM workbook nistpf wrote") as raised:
        read_pram_edits(other)
    assert raised.value.code == "pram-workbook-unreadable"
    text = tmp_path / "notes.xlsx"
    text.write_text("not a zip", encoding="utf-8")
    with pytest.raises(PramWorkbookError, match=r"notes\.xlsx"):
        read_pram_edits(text)


def test_edits_of_data_actions_the_inventory_lost(inventory, written):
    book = openpyxl.load_workbook(written)
    sheet = book["Likelihood"]
    da = sheet["F7"].value
    sheet["E7"] = 1
    sheet["G7"] = "checked"
    book.save(written)
    assert read_pram_edits(written, inventory)["data_action"].tolist() == [da]
    flows = inventory.flows[inventory.flows["flow_id"] != da.split(":")[0]]
    fewer = dataclasses.replace(inventory, flows=flows.reset_index(drop=True))
    with pytest.raises(PramRowsError, match=f"{da}.*not in the inventory"):
        read_pram_edits(written, fewer)


def test_refuses_to_overwrite(inventory, written):
    with pytest.raises(nistpf.errors.OutputExistsError):
        write_pram_workbook(inventory, written)
    assert write_pram_workbook(inventory, written, force=True) == written
    with pytest.raises(nistpf.errors.OutputIsInputError):
        write_pram_workbook(inventory, inventory.path, force=True)


# -- (e) text from the client's workbook stays text ----------------------------------------
def test_formula_like_text_stays_text(inventory, tmp_path):
    flows = inventory.flows.copy()
    flows.loc[0, "purpose"] = '=HYPERLINK("http://evil.example","click")'
    flows.at[0, "data_categories"] = ("=1+1",)
    changed = dataclasses.replace(inventory, flows=flows)
    pram = nistpf.pram(changed)
    problem = pram.problems.iloc[0]
    edits = pd.DataFrame([{"data_action": problem["data_action"], "problem": problem["problem"],
                           "selected_controls": "=cmd|'/C calc'!A0", "rationale": "+1+1",
                           "reason": ""}]).reindex(columns=COLUMNS)  # fmt: skip
    path = write_pram_workbook(nistpf.pram(changed, edits=edits), tmp_path / "pram.xlsx")
    book = openpyxl.load_workbook(path)
    data = book["Data Action Analysis"]["B7"]
    assert (data.value, data.data_type, data.quotePrefix) == ("=1+1", "s", True)
    name = book["Data Action Analysis"]["A7"]
    assert name.data_type == "s"
    assert name.value.endswith('=HYPERLINK("http://evil.example","click")')
    controls = book["Selected Controls"]
    row = rows_by_key(controls, 5, 2)[(problem["data_action"], problem["problem"])]
    for column, text in ((3, "=cmd|'/C calc'!A0"), (4, "+1+1")):
        cell = controls.cell(row, column)
        assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)
    assert read_pram_edits(path).empty  # read back as the text written: no change


# -- printing, the basis columns, the likelihood scale ------------------------------------------
def test_every_sheet_prints_landscape_one_page_wide_with_its_header(written):
    book = openpyxl.load_workbook(written)
    for tab in TABS:
        sheet = book[tab]
        setup = sheet.page_setup
        assert setup.orientation == "landscape", tab
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, tab
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), tab  # 1 wide, as long as needed
        # NIST's header row is row 6 (the Impact tab's two: 5 and 6, factor names under the
        # group); it repeats on every printed page
        assert sheet.print_title_rows == ("$5:$6" if tab == "Impact" else "$6:$6"), tab


def test_header_rows_are_tall_enough_for_their_wrapped_text(written):
    book = openpyxl.load_workbook(written)
    sheet = book["Risk Prioritization"]
    header = [str(sheet.cell(6, c).value or "").strip() for c in range(1, 6)]
    assert header[2] == "Percent of System Risk"
    width = sheet.column_dimensions["C"].width
    # "Percent of System Risk" (22 characters, bold) cannot sit on one line of a column this
    # narrow: two lines at least, 15 points a line (11-point text)
    assert width < 22
    assert sheet.cell(6, 3).alignment.wrap_text
    assert (sheet.row_dimensions[6].height or 15) >= 2 * 15


def test_the_cost_factors_basis_is_short_wrapped_and_adds_up(written):
    import csv
    from importlib import resources

    with (resources.files("nistpf") / "data" / "pram_impact.csv").open(encoding="utf-8") as f:
        conditions = {(r["factor"], r["condition"]) for r in csv.DictReader(f)}
    sheet = openpyxl.load_workbook(written)["Impact"]
    assert str(sheet.cell(5, 13).value).startswith("Basis of the cost factors")
    assert sheet.column_dimensions["M"].width <= 60
    checked = 0
    for row in range(7, sheet.max_row + 1):
        text = sheet.cell(row, 13).value
        if not text:
            continue
        assert sheet.cell(row, 13).alignment.wrap_text
        assert len(text) <= 400  # no rationales: they were up to 1,315 characters
        # even at 1.5 narrow characters a width unit, the text takes this many lines
        width = sheet.column_dimensions["M"].width
        lines = math.ceil(len(text) / (1.5 * width))
        assert (sheet.row_dimensions[row].height or 15) >= lines * 15, row
        for part in text.split("; "):
            name, terms = part.split(": ", 1)
            factor = name.replace(" ", "_")
            column = 5 + FACTORS.index(factor)
            sums = terms.split(", held to ")[0].split(" = ")
            items = [t.rsplit(" ", 1) for t in sums[0].split(" + ")]
            for condition, _ in items:
                assert (factor, condition) in conditions, (row, condition)
            total = sum(float(points) for _, points in items)
            if len(sums) > 1:
                assert float(sums[1]) == total, (row, part)
            # NIST's cost factor is 1-10: the sum, held to the scale, is the cell's value
            assert sheet.cell(row, column).value == min(max(total, 1), 10), (row, part)
            checked += 1
    assert checked > 50


def test_the_likelihood_scale_reads_the_same_everywhere_in_the_workbook(written):
    book = openpyxl.load_workbook(written)
    scale = "0–10; 0: the concern does not arise; NIST's scale is 1–10"
    assert scale in book["Likelihood"]["A2"].value
    assert "1-10, that" not in book["Likelihood"]["A2"].value  # the old, narrower text
    checks = book["Likelihood"].data_validations.dataValidation
    assert len(checks) == 1
    assert (checks[0].formula1, checks[0].formula2) == ("0", "10")
    assert scale in checks[0].error
