"""One date reader for the inventory and the gap register: the same forms are dates in both, the
same ambiguous form is refused by both, and a due date the register cannot read is reported,
never dropped."""

from __future__ import annotations

import datetime as dt
import warnings

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


def test_many_unreadable_dates_are_named_then_counted(register, tmp_path):
    path, _ = returned(register, tmp_path, [f"Sprint {n}" for n in range(8)])
    notes = read_register_edits(path).attrs["notes"]
    assert len(notes) == 6
    assert notes[-1] == "returned.xlsx: 3 more due dates are not dates and are carried over as text"


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
