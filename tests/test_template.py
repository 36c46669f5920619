"""The inventory template: read the written workbook back and check it against the schema."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import openpyxl
import pandas as pd
import pytest

import nistpf
from nistpf.cli import main
from nistpf.errors import NistpfError, OutputExistsError
from nistpf.inventory import schema, template
from nistpf.inventory.template import write_template

TABLE_SHEETS = [s for s in schema.SHEETS if s.layout == "table"]
INJECTIONS = ['=HYPERLINK("http://x")', "+cmd", "-1+2", "@SUM(A1)"]


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> openpyxl.Workbook:
    path = write_template(tmp_path_factory.mktemp("template") / "inventory.xlsx")
    return openpyxl.load_workbook(path)


def list_values(book: openpyxl.Workbook, reference: str) -> list[object]:
    """The values a list validation's ``Lists!$C$2:$C$9`` reference points at."""
    match = re.fullmatch(r"'?Lists'?!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)", reference)
    assert match, reference
    first, start, last, end = match.groups()
    assert first == last
    return [c.value for c in book["Lists"][f"{first}{start}:{first}{end}"] for c in c]


def validation_for(worksheet, letter: str, row: int = 3):
    """The one data validation covering ``letter`` in rows 3..LAST_VALIDATED_ROW."""
    found = [
        dv
        for dv in worksheet.data_validations.dataValidation
        if f"{letter}{row}" in dv.sqref and f"{letter}{template.LAST_VALIDATED_ROW}" in dv.sqref
    ]
    assert len(found) == 1, f"{worksheet.title}!{letter}: {len(found)} validations"
    return found[0]


def test_sheets_in_order_with_lists_hidden(book):
    names = ["Instructions", *(s.name for s in schema.SHEETS), "PF Subcategories", "Lists"]
    assert book.sheetnames == names
    assert book["Lists"].sheet_state == "hidden"
    assert all(book[name].sheet_state == "visible" for name in names[:-1])


@pytest.mark.parametrize("spec", TABLE_SHEETS, ids=lambda s: s.name)
def test_table_sheet_headers_descriptions_and_layout(book, spec):
    worksheet = book[spec.name]
    width = len(spec.columns)
    assert [c.value for c in worksheet[1]][:width] == spec.column_names
    assert worksheet.max_column == width
    assert [c.value for c in worksheet[2]] == [c.description for c in spec.columns]
    assert all(c.font.bold for c in worksheet[1])
    assert all(c.font.italic and c.alignment.wrap_text for c in worksheet[2])
    assert worksheet.freeze_panes == "A3"
    assert worksheet.auto_filter.ref.startswith("A1:")
    for index, column in enumerate(spec.columns, start=1):
        letter = openpyxl.utils.get_column_letter(index)
        assert worksheet.column_dimensions[letter].width >= column.width
    assert worksheet.page_setup.orientation == "landscape"
    assert worksheet.sheet_properties.pageSetUpPr.fitToPage


@pytest.mark.parametrize("spec", TABLE_SHEETS, ids=lambda s: s.name)
def test_choice_and_yesno_columns_have_dropdowns_from_lists(book, spec):
    worksheet = book[spec.name]
    for index, column in enumerate(spec.columns, start=1):
        if column.kind not in ("choice", "yesno"):
            continue
        validation = validation_for(worksheet, openpyxl.utils.get_column_letter(index))
        assert validation.type == "list"
        assert validation.formula1.startswith("'Lists'!")
        allowed = list(column.choices) if column.kind == "choice" else ["yes", "no"]
        assert list_values(book, validation.formula1) == allowed
        assert validation.showErrorMessage
        assert validation.errorStyle in (None, "stop")
        assert all(value in validation.error for value in allowed)


def test_tier_and_level_validations(book):
    tier = validation_for(book["Tiers"], "B")
    assert tier.type == "list"
    assert list_values(book, tier.formula1) == [1, 2, 3, 4]
    for sheet, letter in (("Controls", "F"), ("Profile", "B"), ("Responses", "C")):
        level = validation_for(book[sheet], letter)
        assert (level.type, level.operator) == ("decimal", "between")
        assert (level.formula1, level.formula2) == ("0", "4")
        assert level.errorStyle == "warning"


def test_pf_subcategories_sheet_matches_the_framework(book, fw):
    worksheet = book["PF Subcategories"]
    rows = list(worksheet.iter_rows(values_only=True))
    assert list(rows[0]) == ["ID", "Function", "Category", "Subcategory text"]
    subcategories = fw.subcategories
    by_id = {row[0]: row for row in rows[1:]}
    found = [row for row in rows[1:] if row[0] in set(subcategories["id"])]
    assert len(found) == 100
    assert [row[0] for row in found] == list(subcategories["id"])
    assert [row[3] for row in found] == list(subcategories["text"])
    assert by_id["ID.IM-P1"][1:3] == ("ID-P Identify-P", "ID.IM-P Inventory and Mapping")
    for category in fw.categories.itertuples():
        assert by_id[category.id][2] == f"{category.id} {category.name}"
    for function in fw.functions.itertuples():
        assert by_id[function.id][1] == f"{function.id} {function.name}"
    assert len(rows) == 1 + len(fw.core)


def test_tiers_sheet_prefills_the_four_attributes_unrated(book):
    rows = list(book["Tiers"].iter_rows(min_row=3, values_only=True))
    assert [row[0] for row in rows] == list(schema.TIER_ATTRIBUTES)
    assert all(row[1] is None and row[2] is None for row in rows)


def test_about_sheet_lists_the_fields_with_comments_and_dropdowns(book):
    worksheet = book["About"]
    assert [c.value for c in worksheet[1]] == ["field", "value"]
    assert [c.value for c in worksheet[2]] == [c.description for c in schema.ABOUT.columns]
    assert worksheet.max_column == 2
    fields = list(worksheet.iter_rows(min_row=3, values_only=True))
    assert [row[0] for row in fields] == [f.name for f in schema.ABOUT_FIELDS]
    assert all(row[1] is None for row in fields)
    for row, field in enumerate(schema.ABOUT_FIELDS, start=3):
        assert worksheet.cell(row, 1).comment.text == field.description
    rows = {field.name: row for row, field in enumerate(schema.ABOUT_FIELDS, start=3)}
    scale = validation_for_cell(worksheet, f"B{rows['scale']}")
    assert list_values(book, scale.formula1) == ["tiers", "cmmi", "implementation"]
    version = validation_for_cell(worksheet, f"B{rows['framework_version']}")
    assert list_values(book, version.formula1) == nistpf.versions()


def validation_for_cell(worksheet, coordinate: str):
    found = [dv for dv in worksheet.data_validations.dataValidation if coordinate in dv.sqref]
    assert len(found) == 1
    return found[0]


def test_instructions_cover_sheets_and_conventions(book):
    text = "\n".join(
        str(value) for row in book["Instructions"].iter_rows(values_only=True) for value in row
    )
    for spec in schema.SHEETS:
        assert spec.description in text
    for needle in (";", "yes or no", "external:<party>", "type:CRM", "do not rename the header"):
        assert needle in text
    assert nistpf.scales.scale("tiers").describe() in text
    # As the README's table says: a missing DataFlows sheet is a warning, not an error.
    assert "Systems (required)" in text
    assert "DataFlows (expected)" in text
    assert "Profile (optional)" in text


def test_framework_version_fills_about(tmp_path):
    path = write_template(tmp_path / "t.xlsx", framework_version="1.0")
    worksheet = openpyxl.load_workbook(path)["About"]
    values = {row[0]: row[1] for row in worksheet.iter_rows(min_row=3, values_only=True)}
    assert values["framework_version"] == "1.0"


def test_unknown_framework_version_writes_nothing(tmp_path):
    with pytest.raises(nistpf.UnknownVersionError):
        write_template(tmp_path / "t.xlsx", framework_version="9.9")
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_overwrite_unless_forced(tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"old")
    with pytest.raises(OutputExistsError) as caught:
        write_template(path)
    assert str(caught.value) == f"{path} exists; pass force=True to replace it"
    assert caught.value.code == "output-exists"
    assert isinstance(caught.value, FileExistsError)
    assert path.read_bytes() == b"old"
    assert write_template(path, force=True) == path
    assert openpyxl.load_workbook(path).sheetnames[0] == "Instructions"
    assert [p.name for p in tmp_path.iterdir()] == ["t.xlsx"]


def test_creates_missing_folders_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "a" / "b" / "inventory.xlsx"
    assert write_template(str(path)) == path
    assert [p.name for p in path.parent.iterdir()] == ["inventory.xlsx"]


def test_failure_mid_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"old")

    def broken_save(self, stream):
        stream.write(b"PK half a file")
        raise RuntimeError("disk full")

    monkeypatch.setattr(openpyxl.Workbook, "save", broken_save)
    with pytest.raises(RuntimeError, match="disk full"):
        write_template(path, force=True)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.xlsx"]
    with pytest.raises(RuntimeError):
        write_template(tmp_path / "new.xlsx")
    assert [p.name for p in tmp_path.iterdir()] == ["t.xlsx"]


# -- data= -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> openpyxl.Workbook:
    systems = pd.DataFrame(
        {
            "system_id": ["CRM-01", "CDP-01", *(f"X-{i}" for i in range(len(INJECTIONS)))],
            "name": ["Salesforce", "Segment", *INJECTIONS],
            "data_categories": [("user.contact.email", "user.financial"), ["a"], *[None] * 4],
            "records": [250_000, np.int64(12), None, np.nan, pd.NA, 1.5],
            "in_scope": [True, np.False_, None, None, None, None],
            "owner_team": ["CX", None, None, None, None, None],  # not in the schema: kept
        }
    )
    controls = pd.DataFrame(
        {
            "control_id": ["CTL-001"],
            "name": ["TLS"],
            "status": ["Implemented"],
            "subcategories": [["PR.DS-P2", "PR.AC-P4"]],
            "last_tested": [dt.date(2024, 5, 1)],
        }
    )
    responses = pd.DataFrame(
        {"subcategory": ["ID.IM-P1"], "current": [2.5], "date": [pd.Timestamp("2024-06-30")]}
    )
    tiers = pd.DataFrame({"attribute": ["Workforce"], "tier": [3], "evidence": ["training"]})
    about = pd.DataFrame({"field": ["client", "date"], "value": ["Acme", dt.date(2024, 7, 1)]})
    data = {
        "Systems": systems,
        "Controls": controls,
        "Responses": responses,
        "Tiers": tiers,
        "About": about,
    }
    before = {name: frame.copy() for name, frame in data.items()}
    path = write_template(tmp_path_factory.mktemp("filled") / "filled.xlsx", data=data)
    for name, frame in data.items():
        pd.testing.assert_frame_equal(frame, before[name])  # never mutates the caller's data
    return openpyxl.load_workbook(path)


def test_data_fills_table_sheets_from_row_3(filled):
    worksheet = filled["Systems"]
    headers = [c.value for c in worksheet[1]]
    assert headers == [*schema.SYSTEMS.column_names, "owner_team"]
    assert worksheet.cell(2, len(headers)).value is None  # no description for extra columns
    row = {h: c.value for h, c in zip(headers, worksheet[3], strict=True)}
    assert row["system_id"] == "CRM-01"
    assert row["data_categories"] == "user.contact.email; user.financial"
    assert row["records"] == 250_000
    assert row["in_scope"] == "yes"
    assert row["owner_team"] == "CX"
    assert row["type"] is None
    second = {h: c.value for h, c in zip(headers, worksheet[4], strict=True)}
    assert (second["in_scope"], second["records"], second["data_categories"]) == ("no", 12, "a")
    assert [worksheet.cell(r, 10).value for r in range(5, 9)] == [None, None, None, 1.5]
    assert worksheet.max_row == 2 + 6


def test_data_dates_are_excel_dates(filled):
    cell = filled["Controls"]["J3"]
    assert cell.value == dt.datetime(2024, 5, 1)
    assert cell.is_date
    assert cell.number_format == "yyyy-mm-dd"
    assert filled["Controls"]["D3"].value is None
    assert filled["Controls"]["G3"].value == "PR.DS-P2; PR.AC-P4"
    response = filled["Responses"]
    assert response["H3"].value == dt.datetime(2024, 6, 30)
    assert response["H3"].number_format == "yyyy-mm-dd"
    assert response["C3"].value == 2.5


def test_data_text_is_never_a_formula(filled):
    worksheet = filled["Systems"]
    cells = [worksheet.cell(row, 2) for row in range(5, 5 + len(INJECTIONS))]
    assert [c.value for c in cells] == INJECTIONS
    assert all(c.data_type == "s" for c in cells)
    assert all(c.quotePrefix for c in cells)


def test_data_replaces_tiers_and_about_rows(filled):
    assert list(filled["Tiers"].iter_rows(min_row=3, values_only=True)) == [
        ("Workforce", 3, "training")
    ]
    about = filled["About"]
    assert about["A3"].value == "client"
    assert about["B3"].value == "Acme"
    assert about["A3"].comment.text == "Client organisation"
    assert about["B4"].value == dt.datetime(2024, 7, 1)
    assert about["B4"].number_format == "yyyy-mm-dd"
    assert about.max_row == 4


def test_data_for_an_unknown_sheet_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no inventory sheet named 'Sytems'"):
        write_template(tmp_path / "t.xlsx", data={"Sytems": pd.DataFrame()})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (("a", "b"), "a; b"),
        ([True, None, 3], "yes; 3"),
        (False, "no"),
        (np.bool_(True), "yes"),
        (None, None),
        (float("nan"), None),
        (pd.NA, None),
        (pd.NaT, None),
        ("", None),
        (np.int64(7), 7),
        (np.float64(0.5), 0.5),
        (dt.date(2024, 1, 2), dt.date(2024, 1, 2)),
        (pd.Timestamp("2024-01-02 10:00", tz="UTC"), dt.datetime(2024, 1, 2, 10)),
        ("=1+1", "=1+1"),
        (object, str(object)),
    ],
)
def test_cell_value(value, expected):
    assert template.cell_value(value) == expected


# -- the command --------------------------------------------------------------------------------


def test_cli_writes_the_template(tmp_path, capsys):
    path = tmp_path / "inventory.xlsx"
    assert main(["template", str(path)]) == 0
    assert capsys.readouterr().out == f"wrote {path}\n"
    assert openpyxl.load_workbook(path).sheetnames[0] == "Instructions"


def test_cli_refuses_an_existing_file_in_one_line(tmp_path, capsys):
    path = tmp_path / "inventory.xlsx"
    path.write_bytes(b"old")
    assert main(["template", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"nistpf: {path} exists; pass --force to replace it\n"
    assert path.read_bytes() == b"old"
    assert main(["template", str(path), "--force"]) == 0
    assert path.read_bytes()[:2] == b"PK"


def test_output_exists_error_is_a_nistpf_error():
    assert issubclass(OutputExistsError, NistpfError)
    assert "write_template" in nistpf.__all__
    assert nistpf.write_template is write_template


def test_text_excel_cannot_hold_is_refused_with_its_cell(tmp_path):
    bad = pd.DataFrame({"system_id": ["S-1"], "name": ["bell\x07"]})
    with pytest.raises(ValueError, match=r"Systems!B3: .*control character"):
        write_template(tmp_path / "t.xlsx", data={"Systems": bad})
    long = pd.DataFrame({"system_id": ["S-1"], "name": ["x" * 40_000]})
    with pytest.raises(ValueError, match=r"Systems!B3: text of 40000 characters"):
        write_template(tmp_path / "t.xlsx", data={"Systems": long})
    assert list(tmp_path.iterdir()) == []


def test_cli_reports_an_unwritable_path_in_one_line(tmp_path, capsys):
    folder = tmp_path / "taken"
    (folder / "child").mkdir(parents=True)
    assert main(["template", str(folder), "--force"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"nistpf: cannot write {folder}: ")
    assert err.count("\n") == 1


def test_write_template_never_replaces_nistpfs_own_sample():
    """From Python too (the CLI checks its outputs itself), ``force=True`` replaces a file the
    consultant named, never nistpf's bundled sample."""
    from nistpf.errors import OutputIsInputError

    sample = nistpf.sample_path()
    before = sample.read_bytes()
    with pytest.raises(OutputIsInputError, match="bundled sample"):
        write_template(sample, force=True)
    assert sample.read_bytes() == before
