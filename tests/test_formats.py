"""Spreadsheet formats besides the transitional .xlsx: Strict Open XML, OpenDocument (.ods), and
the ZIP packages nistpf refuses by name (.xlsb, Word, OpenDocument text, iWork)."""

from __future__ import annotations

import re
import time
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import nistpf
from nistpf.cli import main
from nistpf.inventory import read
from nistpf.inventory.report import Report
from tests.conftest import shared_path
from tests.hostile import (
    CASES,
    crafted_ods,
    crafted_workbook,
    ods_cell,
    ods_row,
    ods_rows,
    valid_ods_tables,
    valid_xml_sheets,
)
from tests.inventory_files import valid_sheets, write_workbook

# Transitional namespace → its Strict Open XML twin (ISO/IEC 29500-1 Strict, what Excel writes
# for "Strict Open XML Spreadsheet"); the package namespaces (content types, package
# relationships) are the same in both.
STRICT = {
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main": (
        "http://purl.oclc.org/ooxml/spreadsheetml/main"
    ),
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships": (
        "http://purl.oclc.org/ooxml/officeDocument/relationships"
    ),
    "http://schemas.openxmlformats.org/drawingml/2006/main": (
        "http://purl.oclc.org/ooxml/drawingml/main"
    ),
    "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties": (
        "http://purl.oclc.org/ooxml/officeDocument/extendedProperties"
    ),
}


def strict_copy(source: Path, target: Path, *, prefix: str = "") -> Path:
    """``source`` rewritten as Strict Open XML: every part's transitional namespaces (element
    namespaces, relationship types) swapped for the Strict ones, and the workbook marked
    ``conformance="strict"``. With ``prefix``, the worksheets' elements carry it (``<x:c>``),
    as some writers emit them."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as out:
        for info in original.infolist():
            text = original.read(info).decode("utf-8")
            for transitional, strict in STRICT.items():
                text = text.replace(transitional, strict)
            if info.filename == "xl/workbook.xml":
                text = re.sub(r"<workbook\b", '<workbook conformance="strict"', text, count=1)
            if prefix and info.filename.startswith("xl/worksheets/"):
                text = re.sub(r"<(/?)(?=[A-Za-z])", rf"<\1{prefix}:", text)
                text = text.replace("xmlns=", f"xmlns:{prefix}=", 1)
            out.writestr(info.filename, text, zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(target) as check:  # the rewrite left no transitional part behind
        for name in check.namelist():
            data = check.read(name)
            assert b"schemas.openxmlformats.org/spreadsheetml" not in data, name
    return target


def load(path):
    try:
        return nistpf.load_inventory(path)
    except nistpf.InventoryError as error:
        return error


def issue_rows(issues: pd.DataFrame, code: str) -> list[list]:
    rows = issues[issues["code"] == code]
    return rows[["sheet", "excel_row", "column", "value", "problem"]].values.tolist()


# -- Strict Open XML -------------------------------------------------------------------------


def test_a_strict_workbook_loads_the_same_values_as_its_transitional_twin(tmp_path):
    twin = write_workbook(tmp_path / "transitional.xlsx", valid_sheets())
    strict = strict_copy(twin, tmp_path / "strict.xlsx")
    inventory, expected = nistpf.load_inventory(strict), nistpf.load_inventory(twin)
    assert list(inventory.systems["system_id"]) == ["CRM-01", "CDP-01", "BOT-01"]
    assert list(inventory.systems["criticality"]) == ["High", "Medium", "Low"]
    assert list(inventory.controls["maturity"].isna()) == [True, False, True]
    assert inventory.controls["maturity"].iloc[1] == 2
    for name in ("systems", "controls", "flows"):
        pd.testing.assert_frame_equal(getattr(inventory, name), getattr(expected, name))
    assert inventory.issues.empty


@pytest.mark.parametrize("prefix", ["", "x"])
def test_excel_errors_in_a_strict_workbook_are_the_same_rows_as_in_a_transitional_one(
    tmp_path, prefix
):
    twin = CASES["formulas_with_cached_values_and_excel_errors"].build(tmp_path)
    strict = strict_copy(twin, tmp_path / "strict.xlsx", prefix=prefix)
    expected = [
        ["Systems", 3, "criticality", "#REF!", "the cell holds an Excel error #REF!"],
        ["Systems", 4, "name", "#DIV/0!", "the cell holds an Excel error #DIV/0!"],
    ]
    error = load(strict)
    assert isinstance(error, nistpf.InventoryError)
    assert issue_rows(error.issues, "excel-error") == expected
    assert issue_rows(load(twin).issues, "excel-error") == expected


def test_a_formula_without_a_saved_value_in_a_strict_workbook_is_an_error_row(tmp_path):
    twin = tmp_path / "transitional.xlsx"
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in valid_sheets().items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook["Systems"]["D3"] = '=IF(TRUE,"Medium","Low")'  # openpyxl saves no result
    workbook.save(twin)
    error = load(strict_copy(twin, tmp_path / "strict.xlsx"))
    assert isinstance(error, nistpf.InventoryError)
    rows = error.issues[error.issues["code"] == "formula-no-value"]
    assert rows[["sheet", "excel_row", "column"]].values.tolist() == [["Systems", 3, "criticality"]]


def test_the_sheet_parts_of_a_strict_workbook_are_found(tmp_path):
    path = crafted_workbook(tmp_path / "t.xlsx", valid_xml_sheets())
    strict = strict_copy(path, tmp_path / "strict.xlsx")
    with zipfile.ZipFile(strict) as archive:
        assert read._sheet_parts(archive) == {
            "Systems": "xl/worksheets/sheet1.xml",
            "Controls": "xl/worksheets/sheet2.xml",
            "DataFlows": "xl/worksheets/sheet3.xml",
        }


# -- OpenDocument ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def field_ods() -> Path:
    return shared_path("samples", "field", "inventory.ods")


@pytest.mark.shared
def test_the_field_sample_saved_by_libreoffice_loads(field_ods):
    inventory = nistpf.load_inventory(field_ods)
    systems = inventory.systems
    assert systems[["system_id", "name", "type", "criticality", "records"]].values.tolist() == [
        ["CRM-01", "Customer CRM", "CRM", "High", 250_000],
        ["CHAT-01", "Web chatbot", "Chatbot", "Medium", 40_000],
    ]
    assert list(systems["in_scope"]) == [True, True]
    controls = inventory.controls
    assert controls[["control_id", "name", "status"]].values.tolist() == [
        ["C-01", "TLS everywhere", "Implemented"],
        ["C-02", "System inventory", "Partially implemented"],
    ]
    assert list(controls["subcategories"]) == [("PR.DS-P2",), ("ID.IM-P1",)]
    assert list(controls["applies_to_all"]) == [True, False]
    assert list(controls["applies_to"].iloc[1]) == ["CRM-01"]
    flow = inventory.flows.iloc[0]
    assert (flow.flow_id, flow.source, flow.destination, flow.purpose, flow.owner) == (
        "F-01",
        "CHAT-01",
        "CRM-01",
        "support",
        "Ops",
    )
    assert flow.data_categories == ("contact details",)
    assert bool(flow.encrypted_in_transit) is True
    assert flow.retention_days == 365
    assert len(inventory.flows) == 1
    assert inventory.issues.empty


@pytest.mark.shared
def test_the_field_sample_validates_through_the_cli(field_ods, capsys):
    assert main(["validate", str(field_ods)]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err


def test_an_ods_loads_the_same_values_as_the_xlsx_with_the_same_cells(tmp_path):
    ods = crafted_ods(tmp_path / "inventory.ods", valid_ods_tables())
    xlsx = write_workbook(tmp_path / "inventory.xlsx", valid_sheets())
    inventory, expected = nistpf.load_inventory(ods), nistpf.load_inventory(xlsx)
    assert list(inventory.systems["name"]) == [
        "Service Cloud",
        "Customer Data Platform",
        "Web Chatbot",
    ]
    for name in ("systems", "controls", "flows"):
        pd.testing.assert_frame_equal(getattr(inventory, name), getattr(expected, name))
    assert inventory.issues.empty


def test_error_cells_in_an_ods_are_excel_error_rows_naming_the_error(tmp_path):
    error = load(CASES["ods_with_error_cells"].build(tmp_path))
    assert isinstance(error, nistpf.InventoryError)
    assert issue_rows(error.issues, "excel-error") == [
        ["Systems", 3, "criticality", "#DIV/0!", "the cell holds an Excel error #DIV/0!"],
        ["Systems", 4, "name", "Err:502", "the cell holds an Excel error Err:502"],
    ]
    assert len(error.issues) == 2  # the Err:502 cell's numeric 0 is not read as a name


def test_an_ods_formula_without_a_saved_value_is_an_error_row(tmp_path):
    rows = valid_sheets()["Systems"]
    cells = [[ods_cell(v) for v in row] for row in rows]
    cells[1][3] = '<table:table-cell table:formula="of:=IF(TRUE();&quot;High&quot;)"/>'
    # a numeric result type without its value is unsaved too; a string result, even empty, is
    # saved (so it is a blank criticality, which takes the default)
    cells[2][5] = '<table:table-cell table:formula="of:=1" office:value-type="float"/>'
    cells[3][3] = (
        '<table:table-cell table:formula="of:=&quot;&quot;" office:value-type="string" '
        'office:string-value=""><text:p/></table:table-cell>'
    )
    path = crafted_ods(tmp_path / "f.ods", valid_ods_tables(Systems="".join(map(ods_row, cells))))
    error = load(path)
    assert isinstance(error, nistpf.InventoryError)
    rows = error.issues[error.issues["code"] == "formula-no-value"]
    assert rows[["sheet", "excel_row", "column"]].values.tolist() == [
        ["Systems", 2, "criticality"],
        ["Systems", 3, "in_scope"],
    ]


def test_repeated_rows_and_columns_are_counted_like_cells(tmp_path):
    """Rows after a block of repeated empty rows keep their row numbers, a repeated valued row
    gives that many rows, and an error cell after repeated cells is found in its column."""
    error = (
        '<table:table-cell table:formula="of:=#REF!" office:value-type="string" '
        'office:string-value="" calcext:value-type="error"><text:p>#REF!</text:p>'
        "</table:table-cell>"
    )
    body = (
        ods_row([ods_cell("a"), ods_cell("b")])
        + ods_row([ods_cell(None)], 4)  # rows 2-5 empty
        + ods_row([ods_cell("r"), ods_cell(1)], 3)  # rows 6-8 the same
        + ods_row([ods_cell(None, ' table:number-columns-repeated="3"'), error])  # row 9, D
    )
    path = crafted_ods(tmp_path / "r.ods", {"S": body})
    sheet = read.read_source(path, Report()).sheets["S"]
    assert sheet.rows[5:8] == [["r", 1.0, "", ""]] * 3
    assert sheet.rows[1:5] == [["", "", "", ""]] * 4
    assert sheet.errors == {(9, 3): "#REF!"}
    assert sheet.rows[8] == ["", "", "", ""]  # the error cell is blank, reported from errors
    assert len(sheet.rows) == 9


def test_merged_ranges_in_an_ods_have_calamines_xlsx_shape(tmp_path):
    """B2:C3 merged, and a one-row merge A5:B5 in a row repeated twice (rows 5 and 6)."""
    body = (
        ods_row([ods_cell("h1"), ods_cell("h2"), ods_cell("h3")])
        + ods_row(
            [
                ods_cell("x"),
                ods_cell("m", ' table:number-rows-spanned="2" table:number-columns-spanned="2"'),
                "<table:covered-table-cell/>",
            ]
        )
        + ods_row([ods_cell("y"), '<table:covered-table-cell table:number-columns-repeated="2"/>'])
        + ods_row([ods_cell(None)])
        + ods_row(
            [ods_cell("z", ' table:number-columns-spanned="2"'), "<table:covered-table-cell/>"],
            2,
        )
    )
    ods = crafted_ods(tmp_path / "m.ods", {"S": body})
    sheet = read.read_source(ods, Report()).sheets["S"]
    assert sorted(sheet.merged) == [((1, 1), (2, 2)), ((4, 0), (4, 1)), ((5, 0), (5, 1))]
    assert sheet.rows[1] == ["x", "m", ""]
    # the same merges written by openpyxl: calamine gives them in the same shape
    workbook = openpyxl.Workbook()
    for ref in ("B2:C3", "A5:B5", "A6:B6"):
        workbook.active.merge_cells(ref)
    workbook.active["A1"] = "h1"
    workbook.active["A6"] = "z"
    workbook.save(tmp_path / "m.xlsx")
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_path(str(tmp_path / "m.xlsx"))
    assert sorted(book.get_sheet_by_index(0).merged_cell_ranges) == sorted(sheet.merged)


def test_a_hidden_ods_table_is_read_with_a_warning(tmp_path):
    inventory = nistpf.load_inventory(CASES["ods_hidden_systems_table"].build(tmp_path))
    row = inventory.issues.iloc[0]
    assert (row.severity, row.sheet, row.code) == ("warning", "Systems", "hidden-sheet")
    assert len(inventory.systems) == 3


def test_an_ods_whose_valued_row_repeats_a_million_times_is_refused_before_calamine(tmp_path):
    path = CASES["ods_row_repeated_a_million_times"].build(tmp_path)
    start = time.perf_counter()
    error = load(path)
    assert time.perf_counter() - start < 1.0
    assert isinstance(error, nistpf.UnreadableInventoryError)
    # 4 rows written once, then the repeated row a million times
    assert str(error) == (
        "repeated.ods: sheet 'Systems' has values down to row 1,000,004; nistpf reads at most "
        "200,000 rows a sheet (delete the rows below the inventory (or copy the inventory "
        "sheets into a new workbook) and save again)"
    )


def test_an_ods_with_a_dtd_or_an_oversized_part_is_refused_in_one_line(tmp_path):
    laughs = load(CASES["ods_entity_bomb_in_content_xml"].build(tmp_path))
    assert str(laughs).startswith("laughs.ods: the workbook's part content.xml declares XML")
    declared = load(CASES["ods_content_declared_over_the_part_limit"].build(tmp_path))
    assert str(declared).startswith(
        "declared.ods: the workbook's part content.xml is 200 MB uncompressed; nistpf reads "
        "parts of at most 128 MB"
    )


def test_an_encrypted_ods_is_refused_as_encrypted(tmp_path):
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:'
        'names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-'
        'entry manifest:full-path="content.xml" manifest:media-type="text/xml"><manifest:'
        'encryption-data manifest:checksum-type="SHA1/1K"/></manifest:file-entry>'
        "</manifest:manifest>"
    )
    path = crafted_ods(
        tmp_path / "locked.ods", {"S": ods_rows([["x"]])}, parts={"META-INF/manifest.xml": manifest}
    )
    error = load(path)
    assert error.issues.loc[0, "code"] == "encrypted"
    assert str(error).startswith("locked.ods: the spreadsheet is encrypted (saved with a password)")


# -- formats refused by name -----------------------------------------------------------------


def package(path: Path, parts: dict[str, str], mimetype: str = "") -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        if mimetype:
            archive.writestr(zipfile.ZipInfo("mimetype"), mimetype, zipfile.ZIP_STORED)
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize("name", ["inventory.xlsb", "inventory.xlsx"])
def test_an_excel_binary_workbook_is_refused_by_its_content_whatever_its_name(tmp_path, name):
    path = package(
        tmp_path / name,
        {"[Content_Types].xml": "<Types/>", "xl/workbook.bin": "\x83\x01", "xl/styles.bin": ""},
    )
    error = load(path)
    assert error.issues.loc[0, "code"] == "xlsb"
    assert str(error) == (
        f"{name}: this is an Excel Binary Workbook (.xlsb); nistpf reads .xlsx, .xlsm and .ods, "
        "because it checks a workbook's XML before reading it, and an .xlsb has none (open it "
        "in Excel and save it as Excel Workbook (.xlsx))"
    )


@pytest.mark.parametrize(
    ("parts", "mimetype", "what"),
    [
        ({"word/document.xml": "<w/>"}, "", "a Word document"),
        ({"ppt/presentation.xml": "<p/>"}, "", "a PowerPoint presentation"),
        (
            {"content.xml": "<x/>"},
            "application/vnd.oasis.opendocument.text",
            "an OpenDocument text document (.odt)",
        ),
        (
            {"Index/Document.iwa": "\0"},
            "",
            "an Apple iWork document (Numbers, Pages or Keynote)",
        ),
    ],
)
def test_other_office_packages_are_named_in_the_refusal(tmp_path, parts, mimetype, what):
    error = load(package(tmp_path / "inventory.xlsx", parts, mimetype))
    assert error.issues.loc[0, "code"] == "not-a-workbook"
    assert error.issues.loc[0, "problem"] == f"this is {what}, not a spreadsheet"
    assert ".ods" in error.issues.loc[0, "hint"]


def test_a_zip_named_ods_that_is_not_one_says_so(tmp_path):
    error = load(package(tmp_path / "inventory.ods", {"notes.txt": "hello"}))
    assert error.issues.loc[0, "problem"].startswith(
        "this is a ZIP archive, not an OpenDocument spreadsheet"
    )


def test_a_flat_opendocument_file_is_refused_by_name(tmp_path):
    path = tmp_path / "inventory.fods"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><office:document xmlns:office="urn:oasis:names:'
        'tc:opendocument:xmlns:office:1.0" office:mimetype="application/vnd.oasis.opendocument.'
        'spreadsheet"><office:body/></office:document>',
        encoding="utf-8",
    )
    error = load(path)
    assert error.issues.loc[0, "code"] == "not-a-workbook"
    assert error.issues.loc[0, "problem"] == (
        "this is a flat OpenDocument file (.fods), which nistpf does not read"
    )


def test_hidden_rows_columns_and_a_filter_in_an_ods_are_warned_as_in_an_xlsx(tmp_path):
    """Systems: column E (data_categories) hidden, row 3 hidden, row 4 hidden by a filter;
    LibreOffice writes a filter as a database range holding its conditions."""
    columns = (
        '<table:table-column table:number-columns-repeated="4"/>'
        '<table:table-column table:visibility="collapse"/>'
        '<table:table-column table:number-columns-repeated="1019"/>'
    )
    visibility = {3: ' table:visibility="collapse"', 4: ' table:visibility="filter"'}
    rows = "".join(
        ods_row([ods_cell(v) for v in row]).replace(
            "<table:table-row>", f"<table:table-row{visibility.get(number, '')}>"
        )
        for number, row in enumerate(valid_sheets()["Systems"], 1)
    )
    tables = valid_ods_tables(Systems=columns + rows)

    hidden = nistpf.load_inventory(crafted_ods(tmp_path / "hidden.ods", tables)).issues
    by_code = {row.code: row for row in hidden.itertuples()}
    assert (by_code["hidden-rows"].sheet, by_code["hidden-rows"].excel_row) == ("Systems", 3)
    assert by_code["hidden-rows"].problem.startswith(
        "2 rows hidden in the workbook hold data (rows 3-4)"
    )
    assert "data_categories" in by_code["hidden-columns"].problem

    condition = (
        '<table:database-ranges><table:database-range table:name="__Anonymous_Sheet_DB__0" '
        'table:target-range-address="Systems.A1:Systems.F4" table:display-filter-buttons="true">'
        '<table:filter><table:filter-condition table:field-number="3" table:value="Low" '
        'table:operator="!="/></table:filter></table:database-range></table:database-ranges>'
    )
    path = crafted_ods(tmp_path / "filtered.ods", tables)
    with zipfile.ZipFile(path) as archive:
        content = archive.read("content.xml").decode()
    content = content.replace("</office:spreadsheet>", condition + "</office:spreadsheet>")
    crafted = crafted_ods(path, tables, parts={"content.xml": content})
    sheet = read.read_source(crafted, Report()).sheets["Systems"]
    assert sheet.structure.hidden_rows == {3, 4}
    assert sheet.structure.hidden_columns == {4}
    assert sheet.structure.filter == "A1:F4"
    issues = nistpf.load_inventory(crafted).issues
    filtered = issues[issues["code"] == "filtered-rows"]
    assert filtered["problem"].tolist() == [
        "a filter is on (A1:F4) and hides 2 rows holding data (rows 3-4); they were read"
    ]


def test_a_merged_range_in_an_ods_fills_its_cells_with_one_warning_as_in_an_xlsx(tmp_path):
    """A criticality typed once and merged down over the three systems (D2:D4)."""
    cells = [[ods_cell(v) for v in row] for row in valid_sheets()["Systems"]]
    cells[1][3] = ods_cell("High", ' table:number-rows-spanned="3"')
    cells[2][3] = cells[3][3] = "<table:covered-table-cell/>"
    path = crafted_ods(tmp_path / "m.ods", valid_ods_tables(Systems="".join(map(ods_row, cells))))
    inventory = nistpf.load_inventory(path)
    assert list(inventory.systems["criticality"]) == ["High", "High", "High"]
    assert inventory.issues[["code", "sheet", "excel_row", "column"]].values.tolist() == [
        ["merged-cells-filled", "Systems", 2, "criticality"]
    ]


def test_the_ods_scan_refuses_a_dtd_itself_and_malformed_xml_is_a_damaged_file(tmp_path):
    from defusedxml import DTDForbidden

    from nistpf.inventory import ods

    laughs = CASES["ods_entity_bomb_in_content_xml"].build(tmp_path)
    with zipfile.ZipFile(laughs) as archive, pytest.raises(DTDForbidden):
        ods.scan_content(archive)  # the reader's first scan refuses it before this one runs
    broken = crafted_ods(
        tmp_path / "broken.ods", {"S": ods_rows([["x"]])}, parts={"content.xml": "<office:doc"}
    )
    error = load(broken)
    assert error.issues.loc[0, "code"] == "damaged"
    assert "\n" not in str(error)


def test_libreoffice_error_codes_exported_to_csv_are_errors_with_their_meaning(tmp_path):
    """A CSV exported from LibreOffice shows a failed formula as ``Err:502``; like ``#REF!`` it
    is an error row, and the hint gives the code's meaning from LibreOffice's Help."""
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "Systems.csv").write_text(
        "system_id,name,records\nCRM-01,CRM,Err:502\nWEB-01,Web,10\n", encoding="utf-8"
    )
    (folder / "Controls.csv").write_text(
        "control_id,name,status,subcategories\nC-1,TLS,Implemented,PR.DS-P2\n", encoding="utf-8"
    )
    with pytest.raises(nistpf.InventoryError) as caught:
        nistpf.load_inventory(folder)
    errors = caught.value.issues.query("code == 'excel-error'")
    assert errors[["sheet", "excel_row", "column", "value"]].values.tolist() == [
        ["Systems.csv", 2, "records", "Err:502"]
    ]
    assert "a function got an invalid argument" in errors["hint"].iloc[0]
