"""Random cell values of every type in every inventory column of every sheet, through the real
loader: it raises nothing but InventoryError, and names the sheet of every problem, and the row
and column of every cell problem."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nistpf
from nistpf.inventory.schema import SHEETS
from tests.inventory_files import write_workbook

DATAFRAME_EXAMPLES = 150
WORKBOOK_EXAMPLES = 25

ERRORS = ["#REF!", "#DIV/0!", "#N/A", "#NAME?", "#VALUE!"]
FORMULAS = ["=SUM(A1:A3)", '=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "@SUM(1)"]


def cell_values(*, excel: bool) -> st.SearchStrategy:
    text = st.text(max_size=40)
    if excel:  # what openpyxl can write: no control characters, no NaN/inf, no '=' formulas
        text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40).filter(
            lambda s: not s.startswith("=")
        )
    values = [
        st.none(),
        text,
        st.integers(-(10**12), 10**12),
        st.floats(allow_nan=not excel, allow_infinity=not excel),
        st.booleans(),
        st.dates(dt.date(1900, 3, 1), dt.date(9999, 12, 31)),
        st.sampled_from(ERRORS),
        st.sampled_from(["yes", "High", "PR.DS-P2", "ALL", "type:CRM", "2026-02-30", "3"]),
    ]
    if not excel:
        values += [
            st.sampled_from(FORMULAS),
            st.just("x" * 33_000),
            st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(2100, 1, 1)),
        ]
    return st.one_of(values)


@st.composite
def inventories(draw, *, excel: bool) -> dict[str, list[list]]:
    sheets = {}
    for spec in SHEETS:
        if not draw(st.booleans()) and spec.name not in ("Systems", "Controls"):
            continue
        columns = spec.column_names
        rows = draw(
            st.lists(
                st.lists(cell_values(excel=excel), min_size=len(columns), max_size=len(columns)),
                max_size=4,
            )
        )
        sheets[spec.name] = [list(columns), *rows]
    return sheets


def check(source) -> None:
    try:
        inventory = nistpf.load_inventory(source)
    except nistpf.InventoryError as error:  # UnreadableInventoryError is one
        issues = error.issues
        if isinstance(error, nistpf.UnreadableInventoryError):
            assert len(issues) == 1
            return
    else:
        issues = inventory.issues
    for row in issues.itertuples():
        assert row.sheet, row
        if row.code in CELL_CODES:
            assert not pd.isna(row.excel_row), row
            assert row.column, row


# Problems that are about one cell, and so must name its row and column.
CELL_CODES = {
    "blank-required", "invalid-date", "excel-error", "cell-too-long", "unknown-pf-id",
    "duplicate-id", "unknown-system", "ambiguous-date", "not-a-subcategory",
}  # fmt: skip


@settings(max_examples=DATAFRAME_EXAMPLES, deadline=None)
@given(inventories(excel=False))
def test_random_cells_in_dataframes_never_crash_the_loader(sheets):
    frames = {name: pd.DataFrame(rows[1:], columns=rows[0]) for name, rows in sheets.items()}
    check(frames)


@settings(
    max_examples=WORKBOOK_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(sheets=inventories(excel=True))
def test_random_cells_in_a_real_workbook_never_crash_the_loader(sheets, tmp_path):
    path = write_workbook(tmp_path / "random.xlsx", sheets)
    check(path)


def test_infinity_in_a_numeric_column_is_a_cell_error_and_nan_is_a_blank():
    """+inf and -inf in a count column are each one error row naming the cell; NaN is how a
    DataFrame holds a missing value, so it reads as a blank count, with no row."""
    frames = {
        "Systems": pd.DataFrame(
            [
                ["A", "a", "CRM", "High", math.inf],
                ["B", "b", "CRM", "High", math.nan],
                ["C", "c", "CRM", "High", -math.inf],
            ],
            columns=["system_id", "name", "type", "criticality", "records"],
        ),
        "Controls": pd.DataFrame(columns=["control_id", "name", "status", "subcategories"]),
    }
    with pytest.raises(nistpf.InventoryError) as caught:
        nistpf.load_inventory(frames)
    errors = caught.value.issues[caught.value.issues["severity"] == "error"]
    # DataFrame row i is the sheet's row i + 2 (row 1 holds the headers)
    assert errors[["sheet", "excel_row", "column", "value", "code"]].values.tolist() == [
        ["Systems", 2, "records", "inf", "invalid-number"],
        ["Systems", 4, "records", "-inf", "invalid-number"],
    ]
    assert errors["problem"].tolist() == ["'inf' is not a count", "'-inf' is not a count"]
    frames["Systems"] = frames["Systems"].iloc[[1]]  # the NaN row alone loads
    inventory = nistpf.load_inventory(frames)
    assert inventory.systems["records"].isna().tolist() == [True]
    assert inventory.issues[inventory.issues["sheet"] == "Systems"].empty


def test_a_count_too_large_for_int64_is_a_cell_error_not_an_overflow():
    """Found by the property test: 9.2e18 records overflowed the Int64 column."""
    frames = {
        "Systems": pd.DataFrame(
            [["A", "a", "CRM", "High", 9.223372036854776e18]],
            columns=["system_id", "name", "type", "criticality", "records"],
        ),
        "Controls": pd.DataFrame(columns=["control_id", "name", "status", "subcategories"]),
    }
    try:
        nistpf.load_inventory(frames)
    except nistpf.InventoryError as error:
        row = error.issues.iloc[0]
        assert (row.sheet, row.excel_row, row.column, row.code) == (
            "Systems", 2, "records", "invalid-number",
        )  # fmt: skip
    else:
        raise AssertionError("expected an error row")


def test_an_excel_error_in_a_list_column_reads_as_an_empty_list():
    """Found by the property test: #REF! in applies_to became None where a tuple belongs."""
    frames = {
        "Systems": pd.DataFrame(
            [["A", "a", "CRM", "High"]], columns=["system_id", "name", "type", "criticality"]
        ),
        "Controls": pd.DataFrame(
            [["C1", "c", "Implemented", "PR.DS-P2", "#REF!"]],
            columns=["control_id", "name", "status", "subcategories", "applies_to"],
        ),
    }
    try:
        nistpf.load_inventory(frames)
    except nistpf.InventoryError as error:
        errors = error.issues[error.issues["severity"] == "error"]
        assert errors[["excel_row", "column", "code"]].values.tolist() == [
            [2, "applies_to", "excel-error"]
        ]
    else:
        raise AssertionError("expected an error row")
