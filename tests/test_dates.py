"""One date reader for the inventory and the gap register: the same forms are dates in both, the
same ambiguous form is refused by both, and a due date the register cannot read is reported,
never dropped."""

from __future__ import annotations

import datetime as dt
import io
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest

import nistpf
from nistpf.errors import InventoryError
from nistpf.export.register_edits import read_register_edits
from tests.inventory_files import valid_sheets, write_workbook

MARCH_31 = dt.date(2027, 3, 31)
# Every form the inventory's README lists, for 31 March 2027.
READABLE = [
    "2027-03-31",
    "2027-3-31",
    "31.03.2027",
    "31/03/2027",
    "31 March 2027",
    "31. März 2027",
    "March 31, 2027",
]
AMBIGUOUS = "03/04/2027"  # 3 April or 4 March
README_EXAMPLE = "03/04/2026"  # "03/04/2026 is refused as ambiguous" (README, the inventory)


# -- the inventory reader ------------------------------------------------------------------------


def inventory_with_rating_date(tmp_path, written):
    """An inventory workbook with one Responses row dated ``written``, loaded."""
    sheets = valid_sheets()
    sheets["Responses"] = [
        ["subcategory", "system", "current", "date"],
        ["ID.IM-P1", "", 2, written],
    ]
    return nistpf.load_inventory(write_workbook(tmp_path / "inventory.xlsx", sheets))


@pytest.mark.parametrize("written", READABLE)
def test_the_inventory_reads_each_form(tmp_path, written):
    responses = inventory_with_rating_date(tmp_path, written).responses
    assert responses["date"].tolist() == [MARCH_31]


@pytest.mark.parametrize("written", [AMBIGUOUS, README_EXAMPLE])
def test_the_inventory_refuses_an_ambiguous_date(tmp_path, written):
    with pytest.raises(InventoryError) as raised:
        inventory_with_rating_date(tmp_path, written)
    issues = raised.value.issues
    (row,) = issues[issues["code"] == "ambiguous-date"].itertuples(index=False)
    assert row.problem == f"{written!r} could be day/month or month/day"


# -- the register reader -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def assessment():
    return nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))


@pytest.fixture(scope="module")
def register(assessment, tmp_path_factory):
    return nistpf.write_gap_register(
        assessment, tmp_path_factory.mktemp("register") / "register.xlsx"
    )


def returned(register, tmp_path, due_dates: list) -> tuple:
    """The register as the client returns it: ``due_dates`` typed into the Due date column of
    the first rows (text as typed, numbers as numbers). Returns the path and the Subcategories
    of those rows."""
    book = openpyxl.load_workbook(register)
    sheet = book["Gap Register"]
    column = [c.value for c in sheet[1]].index("Due date") + 1
    subcategories = []
    for row, value in enumerate(due_dates, start=2):
        cell = sheet.cell(row, column, value)
        if isinstance(value, str):
            cell.data_type = "s"
            cell.number_format = "@"
        subcategories.append(sheet.cell(row, 1).value)
    path = tmp_path / "returned.xlsx"
    book.save(path)
    return path, subcategories


def test_the_register_reads_each_form_the_inventory_reads(register, tmp_path):
    path, subcategories = returned(register, tmp_path, READABLE)
    edits = read_register_edits(path).set_index("subcategory")
    assert edits.loc[subcategories, "due_date"].tolist() == [MARCH_31] * len(READABLE)
    assert edits.attrs["notes"] == []


def test_the_register_reads_a_date_that_lost_its_format(register, tmp_path):
    serial = (MARCH_31 - dt.date(1899, 12, 30)).days  # Excel's days since its epoch
    path, (subcategory,) = returned(register, tmp_path, [serial])
    assert read_register_edits(path).set_index("subcategory").loc[subcategory, "due_date"] == (
        MARCH_31
    )


@pytest.mark.parametrize("written", [AMBIGUOUS, README_EXAMPLE])
def test_the_register_refuses_an_ambiguous_date_as_the_inventory_does(register, tmp_path, written):
    path, (subcategory,) = returned(register, tmp_path, [written])
    edits = read_register_edits(path)
    # Not a date, not dropped: kept as the client wrote it, and said so.
    assert edits.set_index("subcategory").loc[subcategory, "due_date"] == written
    assert edits.attrs["notes"] == [
        f"returned.xlsx, sheet Gap Register row 2 ({subcategory}), column 'Due date': "
        f"{written!r} could be day/month or month/day, so it is carried over as text, not as a "
        "date (write dates as YYYY-MM-DD, or as 31.03.2027)"
    ]


def test_a_due_date_that_is_no_date_is_reported_with_its_row(register, tmp_path):
    path, subcategories = returned(register, tmp_path, ["2027-03-31", "Q3 2027", "31.02.2027"])
    edits = read_register_edits(path).set_index("subcategory")
    assert edits.loc[subcategories, "due_date"].tolist() == [MARCH_31, "Q3 2027", "31.02.2027"]
    notes = edits.attrs["notes"]
    assert len(notes) == 2
    assert notes[0].startswith(
        f"returned.xlsx, sheet Gap Register row 3 ({subcategories[1]}), column 'Due date': "
        "'Q3 2027' is not a date"
    )
    assert notes[1].startswith(
        f"returned.xlsx, sheet Gap Register row 4 ({subcategories[2]}), column 'Due date': "
        "'31.02.2027' is not a real date"
    )


def test_every_unreadable_date_is_named_with_its_row(register, tmp_path):
    path, subcategories = returned(register, tmp_path, [f"Sprint {n}" for n in range(8)])
    notes = read_register_edits(path).attrs["notes"]
    # One sentence per cell, however many: rows 2 to 9, each with its Subcategory.
    assert notes == [
        f"returned.xlsx, sheet Gap Register row {row} ({subcategory}), column 'Due date': "
        f"'Sprint {row - 2}' is not a date, so it is carried over as text, not as a date "
        "(write dates as YYYY-MM-DD, or as 31.03.2027)"
        for row, subcategory in enumerate(subcategories, start=2)
    ]


def test_a_carried_over_date_becomes_a_date_cell(assessment, register, tmp_path):
    path, (first, second) = returned(register, tmp_path, ["31.03.2027", AMBIGUOUS])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        new = nistpf.write_gap_register(assessment, tmp_path / "next.xlsx", carry_over=path)
    assert any("'03/04/2027' could be day/month or month/day" in str(w.message) for w in caught)
    sheet = openpyxl.load_workbook(new)["Gap Register"]
    headers = [c.value for c in sheet[1]]
    due = {
        row[0]: row[headers.index("Due date")]
        for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert due[first] == dt.datetime(2027, 3, 31)
    assert due[second] == AMBIGUOUS


def test_replacing_a_register_with_a_text_date_keeps_no_copy(assessment, register, tmp_path):
    path, _ = returned(register, tmp_path, ["Q3 2027"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nistpf.write_gap_register(assessment, path)  # replaces it, carrying its edits over
    assert any("'Q3 2027' is not a date" in str(w.message) for w in caught)
    assert [p.name for p in tmp_path.iterdir()] == ["returned.xlsx"]
    assert "Q3 2027" in read_register_edits(path)["due_date"].tolist()


# -- a time of day, and nothing else, may follow a date -----------------------------------------

TIMED = [
    "2027-03-31T12:00",
    "2027-03-31 12:00",
    "2027-03-31 12:00:00",
    "2027-3-31T08:05:09",
    "31.03.2027 17:30",
    "31/03/2027 17:30:05",
    "31 March 2027 17:30",
    "March 31, 2027 08:00",
]
# A date followed by anything but a time of day is no date: the rest may change its meaning.
TRAILED = [
    "2027-03-31 (tentative, may slip to 2027-06-30)",
    "2027-03-31 revised",
    "2027-03-31T",
    "2027-03-31 25:00",
    "2027-03-31 12",
    "31.03.2027 next week",
    "31 March 2027 or later",
]


@pytest.mark.parametrize("written", TIMED)
def test_the_inventory_reads_a_date_with_a_time_of_day(tmp_path, written):
    assert inventory_with_rating_date(tmp_path, written).responses["date"].tolist() == [MARCH_31]


@pytest.mark.parametrize("written", TRAILED)
def test_the_inventory_refuses_a_date_followed_by_other_text(tmp_path, written):
    with pytest.raises(InventoryError) as raised:
        inventory_with_rating_date(tmp_path, written)
    issues = raised.value.issues
    (row,) = issues[issues["code"] == "invalid-date"].itertuples(index=False)
    assert (row.sheet, row.excel_row, row.problem) == (
        "Responses",
        2,
        f"{written!r} is not a date",
    )


def test_the_register_reads_a_time_of_day_and_keeps_other_text(register, tmp_path):
    path, subcategories = returned(register, tmp_path, [*TIMED, *TRAILED])
    edits = read_register_edits(path).set_index("subcategory")
    assert edits.loc[subcategories, "due_date"].tolist() == [MARCH_31] * len(TIMED) + TRAILED
    first = len(TIMED) + 2  # the sheet's row of the first trailed date
    assert edits.attrs["notes"] == [
        f"returned.xlsx, sheet Gap Register row {row} ({subcategory}), column 'Due date': "
        f"{written!r} is not a date, so it is carried over as text, not as a date "
        "(write dates as YYYY-MM-DD, or as 31.03.2027)"
        for row, (subcategory, written) in enumerate(
            zip(subcategories[len(TIMED) :], TRAILED, strict=True), start=first
        )
    ]


# -- numbers and yes/no in the date-formatted Due date column --------------------------------------
# openpyxl turns a number in a date-formatted cell into the date Excel shows for it: 2027 is day
# 2027 counted from 1899-12-30 (Excel's day 1 is 1900-01-01 and it counts a 29 February 1900):
# 1899-12-30 + 2027 days = 1905-07-19; 3 is 1900-01-03; -5 is 1899-12-25. None is a plausible
# due date (2000 to 2200), so each is kept as the number written, and said.


def test_a_number_that_is_no_plausible_due_date_is_kept_as_written(register, tmp_path):
    written = [2027, 3, -5, 3000000, True, "1900-01-01", "2300-01-01", MARCH_31]
    path, subcategories = returned(register, tmp_path, written)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # openpyxl's own warning about 3000000 is not passed on
        edits = read_register_edits(path)
    kept = ["2027", "3", "-5", "3000000", "TRUE", "1900-01-01", "2300-01-01", MARCH_31]
    assert edits.set_index("subcategory").loc[subcategories, "due_date"].tolist() == kept
    problems = [
        "1905-07-19 (the number 2027 in a date cell?) is not a plausible due date (before 2000)",
        "1900-01-03 (the number 3 in a date cell?) is not a plausible due date (before 2000)",
        "1899-12-25 (the number -5 in a date cell?) is not a plausible due date (before 2000)",
        "the number 3000000 in a date cell is past Excel's last date",
        "TRUE is a yes/no value, not a date",
        "'1900-01-01' is not a plausible due date (before 2000)",
        "'2300-01-01' is not a plausible due date (after 2200)",
    ]
    assert edits.attrs["notes"] == [
        f"returned.xlsx, sheet Gap Register row {row} ({subcategory}), column 'Due date': "
        f"{problem}, so it is carried over as text, not as a date "
        "(write dates as YYYY-MM-DD, or as 31.03.2027)"
        for row, (subcategory, problem) in enumerate(
            zip(subcategories[:-1], problems, strict=True), start=2
        )
    ]


def test_a_number_kept_as_written_is_text_in_the_new_register(assessment, register, tmp_path):
    path, (subcategory,) = returned(register, tmp_path, [2027])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        new = nistpf.write_gap_register(assessment, tmp_path / "next.xlsx", carry_over=path)
    assert [str(w.message) for w in caught if "the number 2027" in str(w.message)]
    sheet = openpyxl.load_workbook(new)["Gap Register"]
    column = [c.value for c in sheet[1]].index("Due date")
    due = {row[0].value: row[column] for row in sheet.iter_rows(min_row=2)}
    assert (due[subcategory].value, due[subcategory].data_type) == ("2027", "s")


# -- formulas --------------------------------------------------------------------------------------
# openpyxl saves a formula without the value Excel would show: read with data_only, such a cell
# is blank. It is kept as the formula's text, and said, in every client column.

FORMULAS = {
    "Recommended action": '=CONCAT("Train ", "staff")',
    "Owner": "=A1",
    "Due date": "=DATE(2027,3,31)",
    "Status": '=IF(TRUE,"In progress","Open")',
    "Comments": '="see "&A1',
}


def returned_with(register, path, cells: dict[str, object]):
    """The register with ``cells`` (header → value) typed into its first row; the path and that
    row's Subcategory."""
    book = openpyxl.load_workbook(register)
    sheet = book["Gap Register"]
    headers = [c.value for c in sheet[1]]
    for header, value in cells.items():
        sheet.cell(2, headers.index(header) + 1, value)
    book.save(path)
    return path, sheet.cell(2, 1).value


def test_a_formula_without_a_saved_value_is_kept_and_noted(assessment, register, tmp_path):
    path, subcategory = returned_with(register, tmp_path / "returned.xlsx", FORMULAS)
    edits = read_register_edits(path)
    row = edits.set_index("subcategory").loc[subcategory]
    columns = ["recommended_action", "owner", "due_date", "status", "comments"]
    assert row[columns].tolist() == list(FORMULAS.values())
    assert edits.attrs["notes"] == [
        f"returned.xlsx, sheet Gap Register row 2 ({subcategory}), column {header!r}: the "
        f"formula {formula} has no saved value (the file was saved by a program that does not "
        "calculate formulas), so it is carried over as written, as text (open the register in "
        "Excel or LibreOffice and save it, or type the value)"
        for header, formula in FORMULAS.items()
    ]
    # The next register holds what was typed, as text: never a blank, never a live formula.
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        new = nistpf.write_gap_register(assessment, tmp_path / "next.xlsx", carry_over=path)
    sheet = openpyxl.load_workbook(new)["Gap Register"]
    headers = [c.value for c in sheet[1]]
    (cells,) = [r for r in sheet.iter_rows(min_row=2) if r[0].value == subcategory]
    for header, formula in FORMULAS.items():
        cell = cells[headers.index(header)]
        assert (cell.value, cell.data_type) == (formula, "s"), header


def with_saved_value(path: Path, formula: str, value: str) -> None:
    """Give ``formula`` in ``path``'s sheets the saved value ``value``, as Excel does on saving."""
    source = path.read_bytes()
    patched = path.with_suffix(".tmp")
    with zipfile.ZipFile(io.BytesIO(source)) as old, zipfile.ZipFile(patched, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace(
                    f"<f>{formula}</f><v></v>".encode(), f"<f>{formula}</f><v>{value}</v>".encode()
                )
            new.writestr(item, data)
    patched.replace(path)


def test_a_formula_with_a_saved_value_reads_as_its_value(register, tmp_path):
    path, subcategory = returned_with(
        register, tmp_path / "returned.xlsx", {"Due date": "=DATE(2027,3,31)"}
    )
    serial = (MARCH_31 - dt.date(1899, 12, 30)).days
    with_saved_value(path, "DATE(2027,3,31)", str(serial))
    edits = read_register_edits(path)
    assert edits.set_index("subcategory").loc[subcategory, "due_date"] == MARCH_31
    assert edits.attrs["notes"] == []
