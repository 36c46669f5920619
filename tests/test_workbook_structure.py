"""What a workbook says about its own structure, as the loader reads it: merged cells (in the data
area and in two-row headers), Excel Tables (their range and totals row), duplicate headers (with
and without a mapping), hidden rows and columns, filters, frozen panes and protected sheets.

Every workbook is built here with openpyxl (or rewritten from one), except the field samples,
which are reached through ``shared_path``."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.worksheet.table import Table as ExcelTable

import nistpf
from nistpf.inventory.mapping import ColumnMapping, ColumnRef, SheetMapping
from nistpf.inventory.read import read_source
from nistpf.inventory.report import Report
from nistpf.inventory.structure import cell_range, column_index, column_letters, range_ref
from nistpf.inventory.tables import header_cells, row_ranges
from tests.conftest import shared_path
from tests.hostile import deeply_merged_regions
from tests.inventory_files import CONTROLS, FLOWS
from tests.test_formats import strict_copy

HEADER = ["system_id", "name", "type", "criticality", "in_scope"]
# Controls and DataFlows that name no system, so that any Systems sheet goes with them
OTHER_SHEETS = {
    "Controls": [
        CONTROLS[0],
        ["CTL-001", "TLS everywhere", "Implemented", None, "PR.DS-P2", "ALL"],
    ],
    "DataFlows": [FLOWS[0]],
}


def build(path: Path, systems: list[list], change=None, **sheets: list[list]) -> Path:
    """A workbook whose Systems sheet holds ``systems`` from A1 (``change(sheet)`` then merges,
    hides, adds tables…), with the valid Controls and DataFlows sheets, or ``sheets``."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Systems"
    for row in systems:
        sheet.append(list(row))
    if change:
        change(sheet)
    for name, rows in {**OTHER_SHEETS, **sheets}.items():
        other = workbook.create_sheet(name)
        for row in rows:
            other.append(list(row))
    workbook.save(path)
    return path


def load(path: Path, mapping=None):
    """The inventory, or the InventoryError (both carry ``issues``)."""
    try:
        return nistpf.load_inventory(path, mapping=mapping)
    except nistpf.InventoryError as error:
        return error


def rows(issues: pd.DataFrame, code: str) -> list[dict]:
    found = issues[issues["code"] == code]
    return found[["severity", "sheet", "excel_row", "column", "value", "problem"]].to_dict(
        "records"
    )


def systems_mapping(**columns: ColumnRef) -> ColumnMapping:
    return ColumnMapping({"Systems": SheetMapping("Systems", "Systems", columns=columns)})


@pytest.fixture
def field_samples() -> Path:
    """``../shared/samples/field`` (skipped where ../shared is missing, except in CI)."""
    return shared_path("samples", "field")


# -- merged cells ------------------------------------------------------------------------------


@pytest.mark.shared
def test_field_sample_merged_cells_gives_each_row_of_a_merged_range_its_value(field_samples):
    inventory = nistpf.load_inventory(field_samples / "merged-cells.xlsx")
    systems = inventory.systems.set_index("system_id")
    # C3:C4 holds Low and D3:D4 holds no: OLD-02 on row 4 is Low and out of scope, not the
    # defaults (Medium, in scope).
    assert systems.loc["OLD-02", "criticality"] == "Low"
    assert not systems.loc["OLD-02", "in_scope"]
    assert systems.loc["OLD-01", "criticality"] == "Low"
    assert systems.loc["CRM-01", "criticality"] == "High"
    filled = rows(inventory.issues, "merged-cells-filled")
    assert [(r["excel_row"], r["column"], r["value"]) for r in filled] == [
        (3, "criticality", "Low"),
        (3, "in_scope", "no"),
    ]
    assert "C3:C4" in filled[0]["problem"]
    assert "rows 3-4" in filled[0]["problem"]
    assert "D3:D4" in filled[1]["problem"]
    assert "rows 3-4" in filled[1]["problem"]
    assert all(r["severity"] == "warning" for r in filled)


def test_a_range_merged_down_the_data_area_fills_every_row_with_one_warning(tmp_path):
    data = [
        HEADER,
        ["A-1", "First", "CRM", "High", "yes"],
        ["A-2", "Second", "CRM", None, "yes"],
        ["A-3", "Third", "CRM", None, "yes"],
        ["A-4", "Fourth", "CRM", "Medium", "yes"],
    ]
    path = build(tmp_path / "m.xlsx", data, lambda s: s.merge_cells("D2:D4"))
    inventory = nistpf.load_inventory(path)
    assert list(inventory.systems["criticality"]) == ["High", "High", "High", "Medium"]
    filled = rows(inventory.issues, "merged-cells-filled")
    assert len(filled) == 1
    assert filled[0]["excel_row"] == 2
    assert filled[0]["value"] == "High"
    assert "D2:D4" in filled[0]["problem"]
    assert "rows 2-4" in filled[0]["problem"]


def test_a_range_merged_across_columns_in_the_data_area_copies_its_value_to_each(tmp_path):
    data = [
        ["system_id", "name", "owner", "vendor"],
        ["A-1", "First", "Acme Ltd", None],
        ["A-2", "Second", "CX Ops", "Zendesk"],
    ]
    path = build(tmp_path / "h.xlsx", data, lambda s: s.merge_cells("C2:D2"))
    inventory = nistpf.load_inventory(path)
    assert list(inventory.systems["owner"]) == ["Acme Ltd", "CX Ops"]
    assert list(inventory.systems["vendor"]) == ["Acme Ltd", "Zendesk"]
    filled = rows(inventory.issues, "merged-cells-filled")
    assert len(filled) == 1
    assert "C2:D2" in filled[0]["problem"]
    assert "owner, vendor" in filled[0]["problem"]


def test_a_required_cell_blank_because_its_merged_range_is_blank_says_so(tmp_path):
    data = [HEADER, ["A-1", None, "CRM", "High", "yes"], ["A-2", None, "CRM", "Low", "yes"]]
    path = build(tmp_path / "b.xlsx", data, lambda s: s.merge_cells("B2:B3"))
    error = load(path)
    assert isinstance(error, nistpf.InventoryError)
    blank = rows(error.issues, "blank-required")
    assert [(r["excel_row"], r["column"]) for r in blank] == [(2, "name"), (3, "name")]
    assert all("merged range B2:B3" in r["problem"] for r in blank)
    assert not rows(error.issues, "merged-cells-filled")


def test_a_merge_from_the_header_into_the_data_leaves_its_cells_blank_and_says_so(tmp_path):
    # system_id typed in A1 and merged down over A2: A2 is not a system ID.
    data = [HEADER, [None, "First", "CRM", "High", "yes"], ["A-2", "Second", "CRM", "Low", "yes"]]
    path = build(tmp_path / "a.xlsx", data, lambda s: s.merge_cells("A1:A2"))
    error = load(path)
    assert isinstance(error, nistpf.InventoryError)
    [blank] = rows(error.issues, "blank-required")
    assert (blank["excel_row"], blank["column"]) == (2, "system_id")
    assert "merged range A1:A2 starts at row 1, above the data" in blank["problem"]
    [above] = rows(error.issues, "merged-cells-above-data")
    assert above["excel_row"] == 2
    assert "A1:A2" in above["problem"]


def test_a_group_header_merged_over_two_columns_is_joined_with_the_headers_below(tmp_path):
    data = [
        [None, None, "Processor", None],
        ["system_id", "name", "Name", "Contact details"],
        ["A-1", "First", "Acme Ltd", "dpo@acme.example"],
    ]
    path = build(tmp_path / "g.xlsx", data, lambda s: s.merge_cells("C1:D1"))
    inventory = nistpf.load_inventory(path)
    systems = inventory.systems
    assert list(systems["name"]) == ["First"]  # the system's name, not the processor's
    assert list(systems["Processor Name"]) == ["Acme Ltd"]
    assert list(systems["Processor Contact details"]) == ["dpo@acme.example"]
    assert list(systems["excel_row"]) == [3]
    [header] = rows(inventory.issues, "merged-header")
    assert header["excel_row"] == 2
    assert "C 'Processor Name', D 'Processor Contact details'" in header["problem"]
    assert not rows(inventory.issues, "duplicate-header")


def test_a_two_row_header_with_headers_merged_down_and_a_group_header(tmp_path):
    data = [
        ["System ID", "Name", "Processor", None],
        [None, None, "Name", "Contact details"],
        ["A-1", "First", "Acme Ltd", "dpo@acme.example"],
        ["A-2", "Second", "Beta GmbH", "privacy@beta.example"],
    ]

    def change(sheet):
        for merged in ("A1:A2", "B1:B2", "C1:D1"):
            sheet.merge_cells(merged)

    inventory = nistpf.load_inventory(build(tmp_path / "two.xlsx", data, change))
    systems = inventory.systems
    assert list(systems["system_id"]) == ["A-1", "A-2"]
    assert list(systems["name"]) == ["First", "Second"]
    assert list(systems["Processor Contact details"]) == [
        "dpo@acme.example",
        "privacy@beta.example",
    ]
    assert list(systems["excel_row"]) == [3, 4]
    [header] = rows(inventory.issues, "merged-header")
    assert header["excel_row"] == 2
    assert "A 'System ID', B 'Name', C 'Processor Name'" in header["problem"]
    raw = read_source(tmp_path / "two.xlsx", Report()).sheets["Systems"]
    assert header_cells(raw, 1) == [
        "System ID",
        "Name",
        "Processor Name",
        "Processor Contact details",
    ]
    # the mapping names the joined headers
    mapping = systems_mapping(
        system_id=ColumnRef(header="System ID"),
        name=ColumnRef(header="Processor Name"),
        owner=ColumnRef(header="Processor Contact details"),
    )
    mapped = nistpf.load_inventory(build(tmp_path / "two-m.xlsx", data, change), mapping=mapping)
    assert list(mapped.systems["name"]) == ["Acme Ltd", "Beta GmbH"]
    assert list(mapped.systems["owner"]) == ["dpo@acme.example", "privacy@beta.example"]


RISK = [
    [None, None, None, "Risk", None, None],
    ["system_id", "name", "type", "records", "criticality", "in_scope"],
    ["S1", "One", "CRM", 100, "Low", "no"],
    ["S2", "Two", "CRM", 200, "High", "yes"],
]


def test_optional_columns_under_a_group_header_are_read_as_the_columns_below(tmp_path):
    # "Risk" over records | criticality: the joined headers name no schema column, the headers
    # below do and no other header does, so they are read (not left to Medium / in scope).
    path = build(tmp_path / "risk.xlsx", RISK, lambda s: s.merge_cells("D1:E1"))
    inventory = nistpf.load_inventory(path)
    systems = inventory.systems
    assert list(systems["records"]) == [100, 200]
    assert list(systems["criticality"]) == ["Low", "High"]
    assert list(systems["in_scope"]) == [False, True]
    assert "Risk records" not in systems.columns
    [header] = rows(inventory.issues, "merged-header")
    assert header["excel_row"] == 2
    assert (
        "D 'Risk records' (read as records), E 'Risk criticality' (read as criticality)"
        in header["problem"]
    )
    # a mapping may name the header below or the joined one
    for records, criticality in (("records", "criticality"), ("Risk records", "Risk criticality")):
        mapping = systems_mapping(
            system_id=ColumnRef("system_id"),
            name=ColumnRef("name"),
            records=ColumnRef(records),
            criticality=ColumnRef(criticality),
        )
        mapped = load(path, mapping)
        assert list(mapped.systems["records"]) == [100, 200]
        assert list(mapped.systems["criticality"]) == ["Low", "High"]
        assert not rows(mapped.issues, "mapped-header-missing")


def test_two_group_headers_over_one_column_name_leave_both_as_extras(tmp_path):
    # "Processor" over records and "Controller" over records: which one is meant is unknown
    data = [
        [None, None, "Processor", None, "Controller", None],
        ["system_id", "name", "records", "criticality", "records", "owner"],
        ["S1", "One", 100, "Low", 7, "Ann"],
    ]

    def change(sheet):
        sheet.merge_cells("C1:D1")
        sheet.merge_cells("E1:F1")

    inventory = nistpf.load_inventory(build(tmp_path / "two.xlsx", data, change))
    systems = inventory.systems
    assert list(systems["Processor records"]) == ["100"]
    assert list(systems["Controller records"]) == ["7"]
    assert systems["records"].isna().all()
    assert list(systems["criticality"]) == ["Low"]  # named under one group only
    assert list(systems["owner"]) == ["Ann"]


def test_a_title_merged_over_every_column_is_not_a_group_header(tmp_path):
    data = [["Customer systems, 2026", None, None, None, None], HEADER]
    data.append(["A-1", "First", "CRM", "High", "yes"])
    path = build(tmp_path / "t.xlsx", data, lambda s: s.merge_cells("A1:E1"))
    inventory = nistpf.load_inventory(path)
    assert list(inventory.systems["system_id"]) == ["A-1"]
    assert not rows(inventory.issues, "merged-header")
    assert not rows(inventory.issues, "merged-cells-filled")


def test_a_header_merged_across_two_columns_heads_both_as_a_duplicate(tmp_path):
    data = [
        ["system_id", "name", "Contact", None],
        ["A-1", "First", "dpo@acme.example", "+44 20 0000"],
    ]
    path = build(tmp_path / "c.xlsx", data, lambda s: s.merge_cells("C1:D1"))
    inventory = nistpf.load_inventory(path)
    assert list(inventory.systems["Contact"]) == ["dpo@acme.example"]
    assert list(inventory.systems["Contact (2)"]) == ["+44 20 0000"]
    assert "D 'Contact'" in rows(inventory.issues, "merged-header")[0]["problem"]
    assert len(rows(inventory.issues, "duplicate-header")) == 1


def test_overlapping_merged_ranges_are_reported_once_and_not_read(tmp_path):
    inventory = nistpf.load_inventory(deeply_merged_regions(tmp_path))
    assert list(inventory.systems["system_id"]) == ["CRM-01", "CDP-01", "BOT-01"]
    [overlap] = rows(inventory.issues, "merged-cells-overlap")
    assert overlap["sheet"] == "Systems"
    # A1:XFD1048575 … : the 4 ranges starting on the sheet's 4 rows all cover row 4
    assert "4 of the sheet's 4 merged ranges overlap" in overlap["problem"]
    assert not rows(inventory.issues, "merged-cells-filled")


def with_merges(path: Path, refs: list[str]) -> Path:
    """``path`` with the Systems sheet's merged ranges replaced by ``refs`` (written into the
    sheet XML, as openpyxl would refuse ranges that overlap)."""
    merges = "".join(f'<mergeCell ref="{ref}"/>' for ref in refs)
    tail = f'<mergeCells count="{len(refs)}">{merges}</mergeCells>'.encode()
    out = path.with_name("merged-" + path.name)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b"</sheetData>" + tail)
            target.writestr(item, data)
    return out


def test_two_overlapping_merges_are_neither_read_and_the_others_are(tmp_path):
    data = [HEADER] + [
        [f"S{i}", f"System {i}", "CRM", ["High", "Low"][i % 2], "yes"] for i in range(1, 6)
    ]
    # E2:E4 and E3:E6 share E3:E4; D5:D6 overlaps neither and is read (D5 "Low" fills D6)
    path = with_merges(build(tmp_path / "o.xlsx", data), ["E2:E4", "D5:D6", "E3:E6"])
    inventory = nistpf.load_inventory(path)
    systems = inventory.systems
    # in_scope as typed: every row says yes, none read through a merge
    assert list(systems["in_scope"]) == [True] * 5
    assert list(systems["criticality"]) == ["Low", "High", "Low", "High", "High"]
    [overlap] = rows(inventory.issues, "merged-cells-overlap")
    assert "2 of the sheet's 3 merged ranges overlap" in overlap["problem"]
    assert "E2:E4 and E3:E6" in overlap["problem"]
    assert overlap["excel_row"] == 2
    [filled] = rows(inventory.issues, "merged-cells-filled")
    assert "D5:D6" in filled["problem"]


def test_overlap_detection_among_thousands_of_merges_is_exact_and_fast():
    import random
    import time

    from nistpf.inventory.tables import _Merge, _overlapping

    chance = random.Random(12)
    merges = []
    for _ in range(2_000):
        top, left = chance.randrange(5_000), chance.randrange(200)
        bottom, right = top + chance.randrange(4), left + chance.randrange(3)
        merges.append(_Merge(top, left, bottom, right, f"{top}:{left}"))
    merges.sort(key=lambda m: (m.top, m.left))

    def meet(a, b):
        return a.top <= b.bottom and b.top <= a.bottom and a.left <= b.right and b.left <= a.right

    expected = {
        i
        for i, a in enumerate(merges)
        for j, b in enumerate(merges)
        if i != j and abs(a.top - b.top) <= 4 and meet(a, b)
    }
    assert expected  # the draw has overlaps, and ranges that overlap nothing
    assert len(expected) < len(merges)
    started = time.perf_counter()
    found = _overlapping(merges, 203)
    # A guard against a pairwise walk, not a benchmark: measured 15-40 ms on two cores; the
    # guard is 25x that (comparing every pair of the 2,000 takes about 2 s).
    assert time.perf_counter() - started < 1.0
    assert found == expected
    # one column covered by 2,000 stacked ranges, each overlapping the next
    stacked = [_Merge(i, 0, i + 1, 0, str(i)) for i in range(2_000)]
    started = time.perf_counter()
    assert _overlapping(stacked, 1) == set(range(2_000))
    assert time.perf_counter() - started < 1.0


# -- Excel Tables ------------------------------------------------------------------------------


@pytest.mark.shared
def test_field_sample_excel_table_with_a_totals_row_loads_without_the_total(field_samples):
    folder = field_samples
    inventory = nistpf.load_inventory(
        folder / "excel-table-with-totals-row.xlsx",
        mapping=folder / "excel-table-with-totals-row.toml",
    )
    systems = inventory.systems
    assert list(systems["system_id"]) == ["Customer CRM", "Web chatbot"]
    assert list(systems["criticality"]) == ["High", "Low"]
    assert list(systems["records"]) == [250_000, 40_000]
    assert "Total" not in set(systems["system_id"])
    [totals] = rows(inventory.issues, "table-totals-row")
    assert (totals["sheet"], totals["excel_row"], totals["value"]) == ("Register", 4, "Total")
    assert "'Register' (A1:C4)" in totals["problem"]


def test_a_table_not_at_a1_bounds_the_data_and_drops_its_totals_row(tmp_path):
    data = [
        ["Systems register (owner: CX Ops)"],
        [],
        [None, "system_id", "name", "criticality", "records"],
        ["note:", "A-1", "First", "High", 1000],
        [None, "A-2", "Second", "Low", 500],
        [None, "Total", None, None, "=SUBTOTAL(109,Register[records])"],
        [],
        [None, "Prepared by the DPO", "for the 2026 review", None, None],
    ]

    def change(sheet):
        sheet.add_table(ExcelTable(displayName="Register", ref="B3:E6", totalsRowCount=1))

    inventory = nistpf.load_inventory(build(tmp_path / "t.xlsx", data, change))
    systems = inventory.systems
    assert list(systems["system_id"]) == ["A-1", "A-2"]
    assert list(systems["records"]) == [1000, 500]
    assert list(systems["excel_row"]) == [4, 5]
    assert "note:" not in systems.columns  # column A is outside the table
    [totals] = rows(inventory.issues, "table-totals-row")
    assert (totals["excel_row"], totals["value"]) == (6, "Total")
    [outside] = rows(inventory.issues, "cells-outside-table")
    # A4 ("note:"), B8 and C8 lie outside B3:E6; the title rows above the header do not count
    assert "3 filled cells outside the Excel Table 'Register' (B3:E6)" in outside["problem"]
    assert "the first at A4" in outside["problem"]
    assert outside["excel_row"] == 4
    assert not rows(inventory.issues, "lone-cell-row")


def test_a_table_without_a_header_row_bounds_the_data_below_the_header_above_it(tmp_path):
    # headerRowCount 0: the header is typed in the row above the table, which holds data and a
    # totals row. Decided: the header row found just above such a table makes it the data's
    # range, as a table with that header would.
    data = [
        HEADER,
        ["A-1", "First", "CRM", "High", "yes"],
        ["A-2", "Second", "CRM", "Low", "yes"],
        ["Total", None, None, None, None],
    ]

    def change(sheet):
        sheet.add_table(
            ExcelTable(displayName="NoHeader", ref="A2:E4", headerRowCount=0, totalsRowCount=1)
        )

    inventory = nistpf.load_inventory(build(tmp_path / "h0.xlsx", data, change))
    assert list(inventory.systems["system_id"]) == ["A-1", "A-2"]
    [totals] = rows(inventory.issues, "table-totals-row")
    assert totals["excel_row"] == 4
    assert "'NoHeader' (A2:E4)" in totals["problem"]


def test_a_totals_row_is_dropped_in_a_strict_open_xml_workbook(tmp_path):
    data = [HEADER, ["A-1", "First", "CRM", "High", "yes"], ["Total", "1", None, None, None]]

    def change(sheet):
        sheet.add_table(ExcelTable(displayName="Systems", ref="A1:E3", totalsRowCount=1))

    twin = build(tmp_path / "transitional.xlsx", data, change)
    strict = strict_copy(twin, tmp_path / "strict.xlsx")
    with zipfile.ZipFile(strict) as archive:
        assert b"purl.oclc.org/ooxml/spreadsheetml/main" in archive.read("xl/tables/table1.xml")
    for path in (twin, strict):
        inventory = nistpf.load_inventory(path)
        assert list(inventory.systems["system_id"]) == ["A-1"], path.name
        assert len(rows(inventory.issues, "table-totals-row")) == 1, path.name


SEVEN = [HEADER] + [[f"S{i}", f"System {i}", "CRM", "High", "yes"] for i in range(1, 8)]
# a budget beside the list, H1:I4, whose Total Row (row 4) is on the row of S3
BUDGET = {"H1": "Region", "I1": "Budget", "H2": "EU", "I2": 5, "H3": "US", "I3": 7}
BUDGET_TOTAL = {"H4": "Total", "I4": 12}


def test_a_side_tables_totals_row_does_not_drop_the_lists_row_beside_it(tmp_path):
    def change(sheet):
        for ref, value in {**BUDGET, **BUDGET_TOTAL}.items():
            sheet[ref] = value
        sheet.add_table(ExcelTable(displayName="SystemList", ref="A1:E8"))
        sheet.add_table(ExcelTable(displayName="Budget", ref="H1:I4", totalsRowCount=1))

    inventory = nistpf.load_inventory(build(tmp_path / "side.xlsx", SEVEN, change))
    assert list(inventory.systems["system_id"]) == [f"S{i}" for i in range(1, 8)]
    assert list(inventory.systems["excel_row"]) == list(range(2, 9))
    assert not rows(inventory.issues, "table-totals-row")
    [outside] = rows(inventory.issues, "cells-outside-table")  # H1:I4, 8 cells
    assert "8 filled cells outside the Excel Table 'SystemList' (A1:E8)" in outside["problem"]


def test_a_side_tables_totals_row_is_dropped_when_the_row_holds_nothing_else(tmp_path):
    # No table bounds the list; the Budget table's Total Row (row 9, below the list) holds
    # nothing outside the table, so it is the table's total, not an entry.
    data = [*SEVEN, [None] * 5]

    def change(sheet):
        for ref, value in {**BUDGET, "H4": "APAC", "I4": 1, "H9": "Total", "I9": 13}.items():
            sheet[ref] = value
        sheet.add_table(ExcelTable(displayName="Budget", ref="H1:I9", totalsRowCount=1))

    inventory = nistpf.load_inventory(build(tmp_path / "side9.xlsx", data, change))
    assert list(inventory.systems["system_id"]) == [f"S{i}" for i in range(1, 8)]
    [totals] = rows(inventory.issues, "table-totals-row")
    assert (totals["excel_row"], totals["value"]) == (9, "Total")


def test_an_ods_side_database_ranges_footer_does_not_drop_the_lists_row(tmp_path):
    from tests.hostile import crafted_ods, ods_rows

    # the list in A1:E8, the budget in G1:H4 with its footer (Total) on the row of S3
    side = [["Region", "Budget"], ["EU", 5], ["US", 7], ["Total", 12]]
    values = [[*row, None, *(side[i] if i < len(side) else [])] for i, row in enumerate(SEVEN)]
    tables = {
        "Systems": ods_rows(values),
        **{name: ods_rows(sheet) for name, sheet in OTHER_SHEETS.items()},
    }
    ranges = (
        "<table:database-ranges>"
        '<table:database-range table:name="SystemList" '
        'table:target-range-address="Systems.A1:Systems.E8"/>'
        '<table:database-range table:name="Budget" table:target-range-address='
        '"Systems.G1:Systems.H4" calcext:contains-footer="true"/>'
        "</table:database-ranges>"
    )
    path = crafted_ods(tmp_path / "side.ods", tables)
    with zipfile.ZipFile(path) as archive:
        content = archive.read("content.xml").decode()
    content = content.replace("</office:spreadsheet>", ranges + "</office:spreadsheet>")
    crafted_ods(path, tables, parts={"content.xml": content})
    inventory = nistpf.load_inventory(path)
    assert list(inventory.systems["system_id"]) == [f"S{i}" for i in range(1, 8)]
    assert not rows(inventory.issues, "table-totals-row")


def test_a_damaged_totals_row_count_takes_only_the_last_row_with_a_warning(tmp_path):
    # totalsRowCount="5" on A1:E8: Excel writes 0 or 1. Decided: one totals row, the last.
    data = [*SEVEN[:-1], ["Total", None, None, None, None]]

    def change(sheet):
        sheet.add_table(ExcelTable(displayName="T", ref="A1:E8", totalsRowCount=5))

    inventory = nistpf.load_inventory(build(tmp_path / "t5.xlsx", data, change))
    assert list(inventory.systems["system_id"]) == [f"S{i}" for i in range(1, 7)]
    [totals] = rows(inventory.issues, "table-totals-row")
    assert (totals["excel_row"], totals["value"]) == (8, "Total")
    [count] = rows(inventory.issues, "table-totals-count")
    assert count["excel_row"] == 8
    assert "says it has 5 totals rows" in count["problem"]


def test_a_side_table_whose_header_names_a_mapped_column_is_not_the_data(tmp_path):
    register = [
        ["Name", "Vendor", "Criticality"],
        ["Salesforce", "SFDC", "High"],
        ["Zendesk", "Zendesk", "Low"],
        ["Segment", "Twilio", "High"],
    ]

    def change(sheet):
        cells = {"F1": "Name", "G1": "Email", "F2": "Ann Smith", "G2": "ann@x.example"}
        for ref, value in {**cells, "F3": "Bob Jones", "G3": "bob@x.example"}.items():
            sheet[ref] = value
        sheet.add_table(ExcelTable(displayName="Contacts", ref="F1:G3"))

    path = build(tmp_path / "contacts.xlsx", register, change)
    mapping = systems_mapping(system_id=ColumnRef("Name"), name=ColumnRef("Name"))
    inventory = load(path, mapping)
    assert list(inventory.systems["system_id"]) == ["Salesforce", "Zendesk", "Segment"]
    assert list(inventory.systems["Vendor"]) == ["SFDC", "Zendesk", "Twilio"]
    assert not rows(inventory.issues, "cells-outside-table")


def test_table_parts_are_read_from_the_sheet_relationships(tmp_path):
    data = [HEADER, ["A-1", "First", "CRM", "High", "yes"], ["Total", None, None, None, None]]

    def change(sheet):
        sheet.add_table(ExcelTable(displayName="Systems", ref="A1:E3", totalsRowCount=1))

    book = read_source(build(tmp_path / "r.xlsx", data, change), Report())
    [part] = book.sheets["Systems"].structure.tables
    assert (part.name, part.ref, part.header_rows, part.totals_rows) == ("Systems", "A1:E3", 1, 1)
    assert (part.first_row, part.first_column, part.last_row, part.last_column) == (1, 0, 3, 4)
    assert list(part.data_rows) == [2]
    assert list(part.totals) == [3]
    assert book.sheets["Controls"].structure.tables == ()


# -- duplicate headers -------------------------------------------------------------------------

DUPLICATED = [
    ["system_id", "name", "Contact details", "owner", "owner", "Contact details"],
    ["A-1", "First", "dpo@first.example", "CX Ops", "IT", "+44 1"],
    ["A-2", "Second", "dpo@second.example", "Sales", "Legal", "+44 2"],
]


def test_duplicate_headers_are_kept_both_and_reported(tmp_path):
    inventory = nistpf.load_inventory(build(tmp_path / "d.xlsx", DUPLICATED))
    systems = inventory.systems
    assert list(systems["owner"]) == ["CX Ops", "Sales"]  # the first of the two
    assert list(systems["owner (2)"]) == ["IT", "Legal"]
    # an extra column never overwrites an earlier one
    assert list(systems["Contact details"]) == ["dpo@first.example", "dpo@second.example"]
    assert list(systems["Contact details (2)"]) == ["+44 1", "+44 2"]
    duplicates = {r["column"]: r["problem"] for r in rows(inventory.issues, "duplicate-header")}
    assert duplicates == {
        "Contact details": "the header 'Contact details' heads 2 columns (C, F): column C is kept "
        "as 'Contact details'; column F is kept as 'Contact details (2)'",
        "owner": "the header 'owner' heads 2 columns (D, E): column D is read as owner; column E "
        "is kept as 'owner (2)'",
    }


def test_a_mapping_picks_a_duplicated_header_by_occurrence_or_by_letter(tmp_path):
    path = build(tmp_path / "d.xlsx", DUPLICATED)
    by_occurrence = systems_mapping(
        system_id=ColumnRef(header="system_id"),
        name=ColumnRef(header="name"),
        owner=ColumnRef(header="Contact details", occurrence=2),
    )
    inventory = nistpf.load_inventory(path, mapping=by_occurrence)
    assert list(inventory.systems["owner"]) == ["+44 1", "+44 2"]
    assert list(inventory.systems["Contact details"]) == ["dpo@first.example", "dpo@second.example"]
    problem = next(
        r["problem"]
        for r in rows(inventory.issues, "duplicate-header")
        if r["column"] == "Contact details"
    )
    assert "column C is kept as 'Contact details'; column F is read as owner" in problem
    by_letter = systems_mapping(
        system_id=ColumnRef(letter="A"), name=ColumnRef(header="name"), owner=ColumnRef(letter="E")
    )
    inventory = nistpf.load_inventory(path, mapping=by_letter)
    assert list(inventory.systems["system_id"]) == ["A-1", "A-2"]
    assert list(inventory.systems["owner"]) == ["IT", "Legal"]
    assert list(inventory.systems["owner"]) != list(inventory.systems["owner (extra)"])


def test_a_mapping_naming_a_missing_occurrence_or_letter_is_an_error(tmp_path):
    path = build(tmp_path / "d.xlsx", DUPLICATED)
    mapping = systems_mapping(
        system_id=ColumnRef(header="system_id"),
        name=ColumnRef(header="name"),
        owner=ColumnRef(header="Contact details", occurrence=3),
        vendor=ColumnRef(letter="K"),
    )
    error = load(path, mapping)
    assert isinstance(error, nistpf.InventoryError)
    problems = [r["problem"] for r in rows(error.issues, "mapped-header-missing")]
    assert problems == [
        "the mapping reads owner from occurrence 3 of header 'Contact details', but the header "
        "row has 2",
        "the mapping reads vendor from column K, but the sheet spans columns A to F",
    ]


def test_a_constant_in_a_mapping_is_not_a_missing_column(tmp_path):
    path = build(tmp_path / "d.xlsx", DUPLICATED)
    mapping = systems_mapping(
        system_id=ColumnRef(header="system_id"),
        name=ColumnRef(header="name"),
        criticality=ColumnRef(constant="High", has_constant=True),
    )
    inventory = nistpf.load_inventory(path, mapping=mapping)
    assert not rows(inventory.issues, "mapped-header-missing")
    assert list(inventory.systems["system_id"]) == ["A-1", "A-2"]


def test_with_a_mapping_the_no_header_hint_names_the_clients_headers(tmp_path):
    path = build(tmp_path / "d.xlsx", DUPLICATED)
    mapping = systems_mapping(
        system_id=ColumnRef(header="Asset tag"), name=ColumnRef(header="Application")
    )
    error = load(path, mapping)
    [row] = error.issues[error.issues["code"] == "no-header"].to_dict("records")
    assert "'Asset tag', 'Application'" in row["hint"]
    assert "system_id" not in row["hint"]


def test_headers_of_punctuation_alone_are_told_apart_by_their_text(tmp_path):
    # "#", "€" and "%" all fold to nothing: compared by their text, "#" is the fourth column.
    register = [
        ["ID", "Name", "€", "#", "%", "Crit"],
        ["S1", "One", 25000, 1200, None, "High"],
        ["S2", "Two", 9000, 300, None, "Low"],
        ["S3", "Three", 7, 8, "n/a", "Low"],
    ]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Register"
    for row in register:
        sheet.append(row)
    workbook.save(tmp_path / "punct.xlsx")
    (tmp_path / "punct.toml").write_text(
        '[sheets.Systems]\nsource = "Register"\n[sheets.Systems.columns]\nsystem_id = "ID"\n'
        'name = "Name"\ncriticality = "Crit"\nrecords = "#"\n'
        '[sheets.Systems.skip]\n"%" = ["n/a"]\n',
        encoding="utf-8",
    )
    inventory = load(tmp_path / "punct.xlsx", tmp_path / "punct.toml")
    systems = inventory.systems
    assert list(systems["system_id"]) == ["S1", "S2"]  # S3 skipped by its "%" cell
    assert list(systems["records"]) == [1200, 300]
    assert list(systems["€"]) == ["25000", "9000"]  # an extra column, kept as text
    # a header of punctuation the sheet does not have is reported, not read from another
    (tmp_path / "missing.toml").write_text(
        '[sheets.Systems]\nsource = "Register"\n[sheets.Systems.columns]\nsystem_id = "ID"\n'
        'name = "Name"\nrecords = "$"\n',
        encoding="utf-8",
    )
    error = load(tmp_path / "punct.xlsx", tmp_path / "missing.toml")
    [missing] = rows(error.issues, "mapped-header-missing")
    assert missing["column"] == "$"


# -- hidden rows and columns, filters, frozen panes, protection ---------------------------------

PLAIN = [
    HEADER,
    ["A-1", "First", "CRM", "High", "yes"],
    ["A-2", "Second", "CRM", "Low", "yes"],
    ["A-3", "Third", "CRM", "Low", "yes"],
    ["A-4", "Fourth", "CRM", "Medium", "no"],
]


def test_rows_hidden_in_excel_are_read_with_one_warning(tmp_path):
    def change(sheet):
        for number in (3, 5, 8):  # row 8 is blank: hidden, but holds no data
            sheet.row_dimensions[number].hidden = True

    inventory = nistpf.load_inventory(build(tmp_path / "h.xlsx", PLAIN, change))
    assert list(inventory.systems["system_id"]) == ["A-1", "A-2", "A-3", "A-4"]
    [hidden] = rows(inventory.issues, "hidden-rows")
    assert hidden["excel_row"] == 3
    assert hidden["problem"] == (
        "2 rows hidden in the workbook hold data (rows 3, 5); they were read"
    )


def test_rows_hidden_by_a_filter_are_read_with_a_warning_that_a_filter_is_on(tmp_path):
    def change(sheet):
        sheet.auto_filter.ref = "A1:E5"
        sheet.auto_filter.add_filter_column(3, ["High", "Medium"])
        for number in (3, 4):
            sheet.row_dimensions[number].hidden = True

    inventory = nistpf.load_inventory(build(tmp_path / "f.xlsx", PLAIN, change))
    assert list(inventory.systems["system_id"]) == ["A-1", "A-2", "A-3", "A-4"]
    assert not rows(inventory.issues, "hidden-rows")
    [filtered] = rows(inventory.issues, "filtered-rows")
    assert filtered["problem"] == (
        "a filter is on (A1:E5) and hides 2 rows holding data (rows 3-4); they were read"
    )


def test_a_filter_that_hides_nothing_is_not_reported(tmp_path):
    def change(sheet):
        sheet.auto_filter.ref = "A1:E5"

    inventory = nistpf.load_inventory(build(tmp_path / "f0.xlsx", PLAIN, change))
    assert inventory.issues.empty


def test_columns_hidden_in_excel_are_read_and_named_when_they_hold_data(tmp_path):
    data = [[*row, note] for row, note in zip(PLAIN, ["Notes", "x", None, None, None], strict=True)]

    def change(sheet):
        sheet.column_dimensions["D"].hidden = True  # criticality
        sheet.column_dimensions["F"].hidden = True  # Notes: one value
        sheet.column_dimensions.group("H", "Z", hidden=True)  # empty columns

    inventory = nistpf.load_inventory(build(tmp_path / "c.xlsx", data, change))
    assert list(inventory.systems["criticality"]) == ["High", "Low", "Low", "Medium"]
    assert list(inventory.systems["Notes"]) == ["x", "", "", ""]
    [hidden] = rows(inventory.issues, "hidden-columns")
    assert (
        hidden["problem"]
        == "columns hidden in the workbook hold data and were read: D (criticality), F (Notes)"
    )


def test_frozen_panes_and_sheet_protection_change_nothing(tmp_path):
    def change(sheet):
        sheet.freeze_panes = "B2"
        sheet.protection.sheet = True
        sheet.protection.password = "client-secret"

    plain = nistpf.load_inventory(build(tmp_path / "plain.xlsx", PLAIN))
    locked = nistpf.load_inventory(build(tmp_path / "locked.xlsx", PLAIN, change))
    with zipfile.ZipFile(tmp_path / "locked.xlsx") as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    assert b"<sheetProtection" in sheet
    assert b"<pane" in sheet
    pd.testing.assert_frame_equal(locked.systems, plain.systems)
    assert locked.issues.empty


def test_structure_is_found_in_sheet_xml_with_a_namespace_prefix(tmp_path):
    def change(sheet):
        sheet.row_dimensions[3].hidden = True

    path = build(tmp_path / "p.xlsx", PLAIN, change)
    prefixed = strict_copy(path, tmp_path / "prefixed.xlsx", prefix="x")
    with zipfile.ZipFile(prefixed) as archive:
        assert b'<x:row r="3" hidden="1"' in archive.read("xl/worksheets/sheet1.xml")
    structure = read_source(prefixed, Report()).sheets["Systems"].structure
    assert structure.hidden_rows == frozenset({3})


# -- references --------------------------------------------------------------------------------


def test_cell_references_and_ranges():
    assert [column_letters(i) for i in (0, 25, 26, 27, 16_383)] == ["A", "Z", "AA", "AB", "XFD"]
    assert [column_index(s) for s in ("A", "c", "AB", "XFD", "XFE", "A1", "")] == [
        0,
        2,
        27,
        16_383,
        None,
        None,
        None,
    ]
    assert cell_range("B3:E10") == (3, 1, 10, 4)
    assert cell_range("$C$4") == (4, 2, 4, 2)
    assert cell_range("E10:B3") == (3, 1, 10, 4)
    assert cell_range("nonsense") is None
    assert range_ref(3, 2, 4, 2) == "C3:C4"
    assert range_ref(7, 0, 7, 0) == "A7"
    assert row_ranges([9, 3, 4, 5]) == "3-5, 9"
    assert row_ranges(list(range(1, 40, 2)), limit=2) == "1, 3, … and 18 more"


def test_a_column_with_values_but_no_header_is_one_warning_naming_its_letter(tmp_path):
    """Values under a blank header cell (column F here) and right of the last header (column H)
    cannot be read as anything; each such column is one warning with its letter, how many
    values and the first row, never a silent drop or a warning per row."""
    systems = [
        [*HEADER, None, "notes", None],
        ["CRM-01", "CRM", "CRM", "High", "yes", "kept under no header", "a", None],
        ["WEB-01", "Web", "Chatbot", "Low", "yes", "also here", "b", "stray"],
        ["APP-01", "App", "Other", "Low", "yes", None, None, None],
    ]
    issues = load(build(tmp_path / "unheaded.xlsx", systems)).issues
    found = rows(issues, "cells-without-header")
    assert [(r["column"], r["excel_row"], r["value"]) for r in found] == [
        ("F", 2, "kept under no header"),
        ("H", 3, "stray"),
    ]
    assert "column F holds 2 values under a blank header" in found[0]["problem"]
    assert "column H holds 1 value right of the last header" in found[1]["problem"]


def test_a_merge_running_over_blank_rows_and_a_sentinel_makes_no_entry_of_them(tmp_path):
    """ "Low" merged down D3:D7 while the entries stop at row 4: rows 5-6 hold nothing the
    client typed and row 7 only the template's sentinel, so none of them is an entry (no
    phantom lone-cell rows, no "name is required" on the sentinel); the entries get "Low"."""

    def merge(sheet):
        sheet.merge_cells("D3:D7")

    systems = [
        HEADER,
        ["CRM-01", "CRM", "CRM", "High", "yes"],
        ["OLD-01", "Legacy app", "Other", "Low", "no"],
        ["OLD-02", "Legacy survey", "Survey", None, "no"],
        [None] * 5,
        [None] * 5,
        ["Add more rows above this line", None, None, None, None],
    ]
    inventory = load(build(tmp_path / "long-merge.xlsx", systems, merge))
    assert not isinstance(inventory, nistpf.InventoryError), inventory.issues
    assert inventory.systems[["system_id", "criticality"]].values.tolist() == [
        ["CRM-01", "High"],
        ["OLD-01", "Low"],
        ["OLD-02", "Low"],
    ]
    lone = rows(inventory.issues, "lone-cell-row")
    assert [(r["excel_row"], r["value"]) for r in lone] == [(7, "Add more rows above this line")]
