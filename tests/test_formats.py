"""Spreadsheet formats besides the transitional .xlsx: Strict Open XML, OpenDocument (.ods), and
the ZIP packages nistpf refuses by name (.xlsb, Word, OpenDocument text, iWork)."""

from __future__ import annotations

import re
import subprocess
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import openpyxl.worksheet.table
import pandas as pd
import pytest

import nistpf
from nistpf.cli import main
from nistpf.inventory import ods, read
from nistpf.inventory.report import Report
from nistpf.inventory.structure import TablePart, cell_range
from tests import conftest
from tests.conftest import shared_path
from tests.hostile import (
    CASES,
    LAUGHS,
    crafted_ods,
    crafted_workbook,
    ods_cell,
    ods_row,
    ods_rows,
    prefixed_root,
    sheet_xml,
    valid_ods_tables,
    valid_xml_sheets,
)
from tests.inventory_files import CONTROLS, valid_sheets, write_workbook

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
    assert err == ""
    # two systems, two controls and one flow, as read above, and no issue rows
    assert out.splitlines() == [
        "No problems found.",
        f"{field_ods.name}: 2 systems, 2 controls, 1 data flow; no errors",
    ]


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
    # A guard, not a measurement: refused from the streaming scan in 4 ms idle, 19 ms with both
    # cores busy (worst of 3 runs on a 2-core machine, benchmarks/bench_hostile.py); 1 s is 50x.
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


# -- OpenDocument database ranges: the Excel Tables of an .ods ---------------------------------

# LibreOffice saves an Excel Table as a database range.


def soffice() -> str:
    return conftest.soffice("to save a workbook as .ods")


def save_as_ods(source: Path, folder: Path) -> Path:
    """``source`` saved as .ods by LibreOffice, in ``folder``."""
    profile = (folder / "profile").as_uri()
    subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "ods",
            "--outdir",
            str(folder),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return folder / (source.stem + ".ods")


def controls_table_xlsx(path: Path, *, outside: dict[str, str] | None = None) -> Path:
    """The small valid inventory with Controls an Excel Table (A1:F5) whose Total Row (row 5)
    says "Total", counts the names and sums the maturities, as Excel writes it; ``outside``
    fills cells beside the table."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in valid_sheets().items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    controls = workbook["Controls"]
    controls.append(
        ["Total", "=SUBTOTAL(103,Controls[name])", None, "=SUBTOTAL(109,Controls[maturity])"]
    )
    controls.add_table(
        openpyxl.worksheet.table.Table(displayName="Controls", ref="A1:F5", totalsRowCount=1)
    )
    for ref, value in (outside or {}).items():
        controls[ref] = value
    workbook.save(path)
    return path


TOTALS_WARNING = [
    "Controls",
    5,
    "Total",
    "row 5 is the totals row of the Excel Table 'Controls' (A1:F5); a totals row is not data "
    "and was not read",
]


def warnings_of(issues: pd.DataFrame, code: str) -> list[list]:
    rows = issues[issues["code"] == code]
    return rows[["sheet", "excel_row", "value", "problem"]].values.tolist()


def test_an_excel_table_with_a_totals_row_saved_as_ods_by_libreoffice_loads_as_the_xlsx(tmp_path):
    """The consultant's case: the .xlsx drops its Total Row with one warning; saved as .ods by
    LibreOffice (a database range with no word of a totals row), the same row, values and
    report. A note beside the table is the same "outside the table" warning in both."""
    xlsx = controls_table_xlsx(tmp_path / "inventory.xlsx", outside={"H3": "check with IT"})
    ods = save_as_ods(xlsx, tmp_path)
    with zipfile.ZipFile(ods) as archive:
        assert b'table:name="Controls"' in archive.read("content.xml")
    inventory, expected = nistpf.load_inventory(ods), nistpf.load_inventory(xlsx)
    assert list(inventory.controls["control_id"]) == ["CTL-001", "CTL-002", "CTL-003"]
    assert list(inventory.controls["status"]) == ["Implemented", "Partially implemented", "Planned"]
    for name in ("systems", "controls", "flows"):
        pd.testing.assert_frame_equal(getattr(inventory, name), getattr(expected, name))
    expected_rows = [
        [
            "cells-outside-table",
            "Controls",
            3,
            "1 filled cell outside the Excel Table 'Controls' "
            "(A1:F5) was not read, the first at H3",
        ],
        ["table-totals-row", *TOTALS_WARNING[:2], TOTALS_WARNING[3]],
    ]
    for issues in (inventory.issues, expected.issues):
        assert issues["severity"].tolist() == ["warning", "warning"]
        got = issues[["code", "sheet", "excel_row", "problem"]].values.tolist()
        assert sorted(got) == expected_rows
        assert warnings_of(issues, "table-totals-row") == [TOTALS_WARNING]


def formula_cell(formula: str, value: float) -> str:
    """A formula cell with its saved numeric result, as LibreOffice writes one."""
    return (
        f'<table:table-cell table:formula="{escape(formula)}" office:value-type="float" '
        f'office:value="{value}" calcext:value-type="float"><text:p>{value}</text:p>'
        "</table:table-cell>"
    )


def ods_with_ranges(path: Path, controls: list[list[str]], *ranges: str) -> Path:
    """The small valid inventory as an .ods whose Controls table has the rows ``controls``
    (cells as XML) and whose content.xml ends with these ``table:database-range`` elements."""
    tables = valid_ods_tables(Controls="".join(map(ods_row, controls)))
    crafted_ods(path, tables)
    with zipfile.ZipFile(path) as archive:
        content = archive.read("content.xml").decode()
    block = f"<table:database-ranges>{''.join(ranges)}</table:database-ranges>"
    content = content.replace("</office:spreadsheet>", block + "</office:spreadsheet>")
    return crafted_ods(path, tables, parts={"content.xml": content})


def database_range(address: str, attributes: str = "", name: str = "Controls") -> str:
    return (
        f'<table:database-range table:name="{name}" table:target-range-address="{address}" '
        f'table:display-filter-buttons="true"{attributes}/>'
    )


def controls_cells(totals: list[str] | None = None, *, top: int = 0) -> list[list[str]]:
    """The Controls rows as cells (header in row 1), then ``totals`` as row 5; ``top`` blank
    rows above them."""
    cells = [[ods_cell(None)]] * top + [[ods_cell(v) for v in row] for row in CONTROLS]
    return cells + ([totals] if totals is not None else [])


# Excel's Total Row as LibreOffice saves it: a label, a count of the names, a sum of maturities
TOTALS = [
    ods_cell("Total"),
    formula_cell("of:=SUBTOTAL(103;[$Controls.$B$2:.$B$4])", 3),
    ods_cell(None),
    formula_cell("of:=SUBTOTAL(109;[$Controls.$D$2:.$D$4])", 2),
]


def controls_parts(path: Path) -> list[TablePart]:
    with zipfile.ZipFile(path) as archive:
        return ods.scan_content(archive)["Controls"].database_ranges


def expected_part(ref: str, *, header_rows: int = 1, totals_rows: int = 0) -> TablePart:
    first_row, first_column, last_row, last_column = cell_range(ref)
    return TablePart(
        "Controls",
        ref,
        first_row,
        first_column,
        last_row,
        last_column,
        header_rows=header_rows,
        totals_rows=totals_rows,
    )


def test_a_database_range_with_an_inferred_totals_row_loads_as_the_excel_table(tmp_path):
    """A range with a header row and, as LibreOffice before 24.8 saves it, no word of its
    totals row: the last row, "Total" with SUBTOTALs over the columns above, is the totals row;
    the same controls and the one warning as the .xlsx Table."""
    path = ods_with_ranges(
        tmp_path / "t.ods", controls_cells(TOTALS), database_range("Controls.A1:Controls.F5")
    )
    assert controls_parts(path) == [expected_part("A1:F5", totals_rows=1)]
    inventory = nistpf.load_inventory(path)
    expected = nistpf.load_inventory(controls_table_xlsx(tmp_path / "t.xlsx"))
    assert list(inventory.controls["control_id"]) == ["CTL-001", "CTL-002", "CTL-003"]
    assert inventory.controls["maturity"].iloc[1] == 2
    pd.testing.assert_frame_equal(inventory.controls, expected.controls)
    for issues in (inventory.issues, expected.issues):
        assert issues["code"].tolist() == ["table-totals-row"]
        assert warnings_of(issues, "table-totals-row") == [TOTALS_WARNING]


def test_a_totals_row_the_file_declares_is_dropped_whatever_it_holds(tmp_path):
    """LibreOffice 24.8 and later write ``calcext:contains-footer="true"``: the last row is the
    totals row even with no formula in it (a typed count)."""
    typed = [ods_cell("Total"), ods_cell(3)]
    path = ods_with_ranges(
        tmp_path / "t.ods",
        controls_cells(typed),
        database_range("Controls.A1:Controls.F5", ' calcext:contains-footer="true"'),
    )
    assert controls_parts(path) == [expected_part("A1:F5", totals_rows=1)]
    inventory = nistpf.load_inventory(path)
    assert list(inventory.controls["control_id"]) == ["CTL-001", "CTL-002", "CTL-003"]
    assert warnings_of(inventory.issues, "table-totals-row") == [TOTALS_WARNING]
    assert len(inventory.issues) == 1


def test_a_range_the_file_says_has_no_totals_row_keeps_its_last_row_as_data(tmp_path):
    """``contains-footer="false"`` is the file's word: no totals row is inferred, so the last
    row is an entry: a control "Total" named by the count 3, with no status or Subcategory."""
    path = ods_with_ranges(
        tmp_path / "t.ods",
        controls_cells(TOTALS),
        database_range("Controls.A1:Controls.F5", ' calcext:contains-footer="false"'),
    )
    assert controls_parts(path) == [expected_part("A1:F5")]
    error = load(path)
    assert isinstance(error, nistpf.InventoryError)
    assert error.issues[["code", "sheet", "excel_row", "column"]].values.tolist() == [
        ["blank-required", "Controls", 5, "status"],
        ["blank-required", "Controls", 5, "subcategories"],
    ]


def test_a_range_without_a_header_row_and_with_a_totals_row(tmp_path):
    """``contains-header="false"``: the range A2:F5 holds only data and the totals row, under
    the header row in row 1, as an Excel Table without a header row does."""
    path = ods_with_ranges(
        tmp_path / "t.ods",
        controls_cells(TOTALS),
        database_range("Controls.A2:Controls.F5", ' table:contains-header="false"'),
    )
    assert controls_parts(path) == [expected_part("A2:F5", header_rows=0, totals_rows=1)]
    inventory = nistpf.load_inventory(path)
    assert list(inventory.controls["control_id"]) == ["CTL-001", "CTL-002", "CTL-003"]
    assert warnings_of(inventory.issues, "table-totals-row") == [
        [
            "Controls",
            5,
            "Total",
            "row 5 is the totals row of the Excel Table 'Controls' (A2:F5); "
            "a totals row is not data and was not read",
        ]
    ]
    assert len(inventory.issues) == 1


def test_a_range_without_a_header_row_or_a_totals_row_bounds_the_data(tmp_path):
    """A2:F4 without header or totals: every row is data, and a note beside it (H3) is the
    same "outside the table" warning an .xlsx Table gives."""
    cells = controls_cells()
    cells[2] = [*cells[2], ods_cell(None), ods_cell("check with IT")]
    path = ods_with_ranges(
        tmp_path / "t.ods",
        cells,
        database_range("Controls.A2:Controls.F4", ' table:contains-header="false"'),
    )
    assert controls_parts(path) == [expected_part("A2:F4", header_rows=0)]
    inventory = nistpf.load_inventory(path)
    assert list(inventory.controls["control_id"]) == ["CTL-001", "CTL-002", "CTL-003"]
    issues = inventory.issues
    assert issues[["code", "sheet", "excel_row", "problem"]].values.tolist() == [
        [
            "cells-outside-table",
            "Controls",
            3,
            "1 filled cell outside the Excel Table "
            "'Controls' (A2:F4) was not read, the first at H3",
        ]
    ]


def test_a_range_with_a_header_and_no_totals_row_reads_its_last_row_as_data(tmp_path):
    path = ods_with_ranges(
        tmp_path / "t.ods", controls_cells(), database_range("Controls.A1:Controls.F4")
    )
    assert controls_parts(path) == [expected_part("A1:F4")]
    inventory = nistpf.load_inventory(path)
    assert list(inventory.controls["control_id"]) == ["CTL-001", "CTL-002", "CTL-003"]
    assert inventory.issues.empty


@pytest.mark.parametrize(
    ("formula", "is_totals"),
    [
        ("of:=SUBTOTAL(109;[.D2:.D4])", True),
        ("of:=SUBTOTAL(109;[$Controls.$D$2:.$D$4])", True),
        ("of:=SUBTOTAL(109;[$Controls.$D$3:.$D$4])", True),  # part of the column above
        ("of:=COM.MICROSOFT.AGGREGATE(9;5;[.D2:.D4])", True),  # Excel's AGGREGATE
        ("of:=subtotal(109;[.D2:.D4])", True),
        ("of:=SUBTOTAL(109;[.C2:.C4])", False),  # another column
        ("of:=SUBTOTAL(109;[.D1:.D4])", False),  # takes in the header
        ("of:=SUBTOTAL(109;[.D2:.D5])", False),  # takes in its own row
        ("of:=SUBTOTAL(109;[$Systems.D2:.D4])", False),  # another sheet
        ("of:=SUM([.D2:.D4])", False),
        ("of:=SUBTOTAL(109;[.D2:.D4])+1", False),
        ("of:=SUBTOTAL(109;[.D2:.D4])+SUM([.D2:.D4])", False),
        ("of:=SUBTOTAL(109;2)", False),  # over no cells
        ("of:=SUBTOTAL(109;Controls)", False),  # a name, not the column above
    ],
)
def test_the_totals_row_inferred_only_from_subtotals_over_the_column_above(
    tmp_path, formula, is_totals
):
    """The formula in D5 (maturity), under "Total" in A5, of the range A1:F5."""
    totals = [ods_cell("Total"), ods_cell(None), ods_cell(None), formula_cell(formula, 2)]
    path = ods_with_ranges(
        tmp_path / "t.ods", controls_cells(totals), database_range("Controls.A1:Controls.F5")
    )
    assert controls_parts(path) == [expected_part("A1:F5", totals_rows=int(is_totals))]


def test_a_totals_row_is_not_inferred_beside_a_typed_number_or_with_no_data_above(tmp_path):
    """A number typed in the last row (not a label) makes it an entry; a range of a header and
    one row has no data row for that row to total."""
    typed = [*TOTALS, ods_cell(None), ods_cell(7)]  # F5 = 7
    path = ods_with_ranges(
        tmp_path / "t.ods", controls_cells(typed), database_range("Controls.A1:Controls.F5")
    )
    assert controls_parts(path) == [expected_part("A1:F5")]
    short = [[ods_cell(v) for v in CONTROLS[0]], TOTALS]
    path = ods_with_ranges(tmp_path / "s.ods", short, database_range("Controls.A1:Controls.F2"))
    assert controls_parts(path) == [expected_part("A1:F2")]


def test_an_autofilter_range_and_a_range_on_no_sheet_are_not_tables(tmp_path):
    """LibreOffice's anonymous range for an AutoFilter on a plain sheet is a filter, as an
    .xlsx sheet's autoFilter is, not a table; a range naming a missing sheet is left out."""
    path = ods_with_ranges(
        tmp_path / "t.ods",
        controls_cells(TOTALS),
        database_range("Controls.A1:Controls.F5", name="__Anonymous_Sheet_DB__1"),
        database_range("Gone.A1:Gone.F5", name="Gone"),
    )
    with zipfile.ZipFile(path) as archive:
        tables = ods.scan_content(archive)
    assert all(not table.database_ranges for table in tables.values())
    error = load(path)  # the totals row is an entry again, as in a plain .xlsx sheet
    assert isinstance(error, nistpf.InventoryError)
    assert 5 in error.issues["excel_row"].tolist()


def test_database_ranges_on_a_sheet_with_a_space_in_its_name_are_found(tmp_path):
    body = "".join(map(ods_row, controls_cells(TOTALS)))
    body = body.replace("$Controls.", "$'My controls'.")
    path = crafted_ods(tmp_path / "t.ods", {"My controls": body})
    with zipfile.ZipFile(path) as archive:
        content = archive.read("content.xml").decode()
    block = (
        "<table:database-ranges>"
        + database_range("'My controls'.A1:'My controls'.F5", name="CtlTable")
        + "</table:database-ranges>"
    )
    content = content.replace("</office:spreadsheet>", block + "</office:spreadsheet>")
    path = crafted_ods(path, {"My controls": body}, parts={"content.xml": content})
    with zipfile.ZipFile(path) as archive:
        parts = ods.scan_content(archive)["My controls"].database_ranges
    assert parts == [TablePart("CtlTable", "A1:F5", 1, 0, 5, 5, header_rows=1, totals_rows=1)]


@pytest.mark.shared
def test_the_field_excel_table_with_a_totals_row_saved_as_ods_loads_the_same(tmp_path):
    """The field sample's Register table (A1:C4, Total Row on) saved as .ods by LibreOffice:
    the two systems and the one totals-row warning, as from the .xlsx."""
    folder = shared_path("samples", "field")
    ods_path = save_as_ods(folder / "excel-table-with-totals-row.xlsx", tmp_path)
    inventory = nistpf.load_inventory(ods_path, mapping=folder / "excel-table-with-totals-row.toml")
    systems = inventory.systems
    assert list(systems["system_id"]) == ["Customer CRM", "Web chatbot"]
    assert list(systems["criticality"]) == ["High", "Low"]
    assert list(systems["records"]) == [250_000, 40_000]
    assert warnings_of(inventory.issues, "table-totals-row") == [
        [
            "Register",
            4,
            "Total",
            "row 4 is the totals row of the Excel Table 'Register' (A1:C4); a totals row is not "
            "data and was not read",
        ]
    ]
    assert len(inventory.issues) == 1


# -- what the scans before calamine must not miss --------------------------------------------


def systems_xml(**cells: str) -> str:
    """The valid Systems sheet as crafted XML, with cells replaced by reference (``D3=...``)."""
    xml = sheet_xml(valid_sheets()["Systems"])
    for ref, cell in cells.items():
        xml, count = re.subn(rf'<c r="{ref}"[^>]*>.*?</c>', cell, xml)
        assert count == 1, ref
    return xml


def unreadable(path: Path) -> nistpf.UnreadableInventoryError:
    with pytest.raises(nistpf.UnreadableInventoryError) as caught:
        nistpf.load_inventory(path)
    assert len(caught.value.issues) == 1
    assert "\n" not in str(caught.value)
    return caught.value


def test_a_prefixed_root_around_an_excel_error_is_refused_not_read_as_blank(tmp_path):
    """The scans look for the root's prefix (<x:c>): under <x:worksheet>, unprefixed cells went
    unseen, so #REF! in D3 was read as a blank criticality and loaded."""
    xml = systems_xml(D3='<c r="D3" t="e"><f>#REF!+1</f><v>#REF!</v></c>')
    plain = crafted_workbook(tmp_path / "plain.xlsx", valid_xml_sheets(Systems=xml))
    assert issue_rows(load(plain).issues, "excel-error") == [
        ["Systems", 3, "criticality", "#REF!", "the cell holds an Excel error #REF!"]
    ]
    for reverse in (False, True):
        path = crafted_workbook(
            tmp_path / f"mixed{reverse}.xlsx",
            valid_xml_sheets(Systems=prefixed_root(xml, cells_prefixed=reverse)),
        )
        error = unreadable(path)
        assert error.issues.loc[0, "code"] == "damaged"
        assert "sheet 'Systems' (xl/worksheets/sheet1.xml) mixes XML namespace prefixes" in str(
            error
        )
        assert "save it again" in error.issues.loc[0, "hint"]


def test_a_sheet_prefixed_throughout_still_loads():
    assert not read._foreign_tags(
        b'<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c>', b"x:", read._tags(b"x:")
    )
    assert read._foreign_tags(b'<x:row r="1"><c r="A1"><v>1</v></c>', b"x:", read._tags(b"x:"))
    assert read._foreign_tags(b'<y:c r="A1">', b"x:", read._tags(b"x:"))
    assert read._foreign_tags(b'<x:c r="A1">', b"", read._tags(b""))
    assert read._foreign_tags(b"<x:row>", b"", read._tags(b""))
    # a colon in text, a chart's <c:chart> and <c:catAx>, a drawing's <xdr:col>: no cell tag
    assert not read._foreign_tags(
        b"<t>type:CRM</t><c:chart/><c:catAx><xdr:col>", b"", read._tags(b"")
    )


@pytest.mark.parametrize("attribute", ["t='e'", 't = "e"', 't=\n"e"'])
def test_an_error_cell_is_found_whatever_the_quotes_and_spaces_of_its_type(tmp_path, attribute):
    xml = systems_xml(
        D2=f'<c r="D2" {attribute}><v>#REF!</v></c>', B4=f'<c r="B4" {attribute}><v>#N/A</v></c>'
    )
    error = load(crafted_workbook(tmp_path / "q.xlsx", valid_xml_sheets(Systems=xml)))
    assert issue_rows(error.issues, "excel-error") == [
        ["Systems", 2, "criticality", "#REF!", "the cell holds an Excel error #REF!"],
        ["Systems", 4, "name", "#N/A", "the cell holds an Excel error #N/A"],
    ]


def test_an_upper_case_sheet_target_is_found_as_calamine_finds_it(tmp_path):
    """A target of /XL/worksheets/sheet1.xml: calamine read the sheet, the error and formula
    scans did not, so #REF! loaded as a blank."""
    xml = systems_xml(
        D2='<c r="D2" t="e"><f>#REF!+1</f><v>#REF!</v></c>',
        D3='<c r="D3"><f>IF(1,"Low","High")</f></c>',
    )
    path = crafted_workbook(tmp_path / "u.xlsx", valid_xml_sheets(Systems=xml))
    upper = tmp_path / "upper.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(upper, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b'Target="worksheets/sheet1.xml"', b'Target="/XL/worksheets/sheet1.xml"'
                )
                assert b"/XL/" in data
            out.writestr(info, data)
    with zipfile.ZipFile(upper) as archive:
        assert read._sheet_parts(archive)["Systems"] == "xl/worksheets/sheet1.xml"
    error = load(upper)
    assert issue_rows(error.issues, "excel-error") == [
        ["Systems", 2, "criticality", "#REF!", "the cell holds an Excel error #REF!"]
    ]
    rows = error.issues[error.issues["code"] == "formula-no-value"]
    assert rows[["sheet", "excel_row", "column"]].values.tolist() == [["Systems", 3, "criticality"]]


def test_a_sheet_whose_part_is_not_in_the_file_is_refused_in_one_line(tmp_path):
    path = crafted_workbook(tmp_path / "m.xlsx", valid_xml_sheets())
    missing = tmp_path / "missing.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(missing, "w") as out:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet2.xml":
                out.writestr(info, source.read(info))
    error = unreadable(missing)
    assert error.issues.loc[0, "code"] == "damaged"
    assert "sheet 'Controls' is listed in the workbook, but its part xl/worksheets/sheet2.xml" in (
        str(error)
    )


def test_a_formula_whose_saved_result_is_the_empty_string_is_saved(tmp_path):
    xml = systems_xml(
        E3='<c r="E3" t="str"><f>IF(A3="CDP-01","",A3)</f><v></v></c>',
        E4='<c r="E4"><f>1+1</f><v></v></c>',  # a number result that is empty: never saved
    )
    error = load(crafted_workbook(tmp_path / "s.xlsx", valid_xml_sheets(Systems=xml)))
    rows = error.issues[error.issues["code"] == "formula-no-value"]
    assert rows[["sheet", "excel_row", "column"]].values.tolist() == [
        ["Systems", 4, "data_categories"]
    ]


def test_an_ods_table_name_with_a_tab_keeps_its_error_cells(tmp_path):
    """The XML parser reads a tab in table:name as a space, calamine keeps it: the notes filed
    under the parser's name were never found, and #DIV/0! loaded as 0."""
    error_cell = (
        '<table:table-cell table:formula="of:=1/0" office:value-type="float" office:value="0" '
        'calcext:value-type="error"><text:p>#DIV/0!</text:p></table:table-cell>'
    )
    rows = valid_sheets()["Systems"]
    cells = [[ods_cell(v) for v in row] for row in rows]
    cells[2][1] = error_cell  # CDP-01's name
    tables = valid_ods_tables(Systems="".join(map(ods_row, cells)))
    tables = {("Sys\ttems" if name == "Systems" else name): body for name, body in tables.items()}
    path = crafted_ods(tmp_path / "tab.ods", tables)
    assert b'table:name="Sys\ttems"' in zipfile.ZipFile(path).read("content.xml")
    error = load(path)
    assert isinstance(error, nistpf.InventoryError)
    rows = error.issues[error.issues["code"] == "excel-error"]
    assert rows[["excel_row", "column", "value"]].values.tolist() == [[3, "name", "#DIV/0!"]]


def test_two_ods_tables_of_one_name_are_refused(tmp_path):
    error = unreadable(CASES["ods_two_tables_with_one_name"].build(tmp_path))
    assert "two sheets named 'Notes'" in str(error)


def test_ods_error_runs_are_counted_before_they_are_expanded(tmp_path):
    error = unreadable(CASES["ods_error_cells_repeated_190000_rows"].build(tmp_path))
    assert f"sheet 'Notes' has {26 * 190_000:,} cells holding an error" in str(error)
    table = ods.Table("T", max_row=10, max_col=4)
    table.error_runs.append((8, 5, 2, 5, "#REF!"))  # rows 9-10 and columns C-D inside
    table.merge_runs.append((0, 1, 0, 1, 2, 2))
    assert table.noted_cells() == 2 * 2 + 1 == len(table.errors()) + len(table.merged())


@pytest.mark.parametrize(
    ("build", "name", "said"),
    [
        (
            "ods",
            "inventory.xlsx",
            "this is an OpenDocument spreadsheet, but its name ends in .xlsx",
        ),
        ("xlsx", "inventory.ods", "this is an Excel workbook, but its name ends in .ods"),
        ("xlsx", "inventory.csv", "this is an Excel workbook, not a CSV file"),
        ("ods", "inventory.csv", "this is an OpenDocument spreadsheet, not a CSV file"),
    ],
)
def test_a_workbook_named_as_another_format_is_refused_naming_both(tmp_path, build, name, said):
    if build == "ods":
        made = crafted_ods(tmp_path / "made.ods", valid_ods_tables())
    else:
        made = crafted_workbook(tmp_path / "made.xlsx", valid_xml_sheets())
    path = made.rename(tmp_path / name)
    error = unreadable(path)
    assert error.issues.loc[0, "code"] == "wrong-extension"
    assert said in str(error)
    assert error.issues.loc[0, "hint"].startswith(
        "rename it to ." + build[:3].replace("xls", "xlsx")
    )


@pytest.mark.parametrize("case", ["old_excel_97_workbook", "encrypted_workbook"])
def test_an_old_or_encrypted_excel_file_named_csv_is_refused(tmp_path, case, capsys):
    """A real .xls (xlwt) and a real password-encrypted .xlsx (msoffcrypto-tool) are both OLE2
    files: named .csv, each is refused by its first bytes rather than read as text."""
    path = CASES[case].build(tmp_path).rename(tmp_path / "inventory.csv")
    before = path.read_bytes()
    error = unreadable(path)
    problem = (
        "this is an old Excel 97-2003 workbook (or an encrypted one), not a CSV file, though it "
        "is named .csv"
    )
    hint = "rename it to .xls; or, to give CSV, open it in Excel and save it as CSV UTF-8"
    assert error.issues.loc[0, "code"] == "wrong-extension"
    assert str(error) == f"inventory.csv: {problem} ({hint})"
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err == f"nistpf: inventory.csv: {problem} ({hint})\n"
    assert path.read_bytes() == before


def test_an_excel_table_whose_range_names_row_0_is_refused_in_one_line(tmp_path):
    assert cell_range("A0:F2") is None
    assert cell_range("A1:XFE2") is None
    assert cell_range("A1:A1048577") is None
    assert cell_range("A1:XFD1048576") == (1, 0, 1_048_576, 16_383)
    path = tmp_path / "t.xlsx"
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for sheet_name, rows in valid_sheets().items():
        sheet = workbook.create_sheet(sheet_name)
        for row in rows:
            sheet.append(row)
    workbook["Systems"].add_table(openpyxl.worksheet.table.Table(displayName="T", ref="A1:F4"))
    workbook.save(path)
    broken = tmp_path / "row0.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(broken, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.startswith("xl/tables/"):
                data = data.replace(b'ref="A1:F4"', b'ref="A0:F4"')
                assert b"A0:F4" in data
            out.writestr(info, data)
    error = unreadable(broken)
    assert "the Excel Table 'T' (xl/tables/table1.xml) has the range 'A0:F4'" in str(error)


def test_a_dtd_past_the_first_mebibyte_of_content_xml_is_refused_as_entities(tmp_path):
    comments = "<!-- padding -->" * 70_000  # 1.1 MB of comments before the DTD, in the prolog
    path = crafted_ods(tmp_path / "late.ods", valid_ods_tables(), prolog=comments + LAUGHS)
    error = unreadable(path)
    assert error.issues.loc[0, "code"] == "xml-entities"
    assert str(error).startswith("late.ods: the workbook's part content.xml declares XML entities")
