"""Inventories as they arrive: the template filled in by the client, CSV files, a client's own
layout through a mapping file, and real published registers. Plus ``nistpf validate``."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import openpyxl
import pandas as pd
import pytest

import nistpf
from nistpf.cli import main
from nistpf.errors import BlankInventoryError
from nistpf.inventory.schema import SHEETS
from tests.conftest import ROOT
from tests.inventory_files import valid_sheets, write_workbook

MAPPINGS = ROOT / "data" / "mappings"


def fill(sheet, rows: list[list], first_row: int = 3) -> None:
    for offset, row in enumerate(rows):
        for column, value in enumerate(row, start=1):
            sheet.cell(first_row + offset, column, value)


def test_the_template_filled_in_by_code_loads_clean(tmp_path):
    path = nistpf.write_template(tmp_path / "inventory.xlsx")
    # The blank template itself is read, and named for what it is: not yet filled in.
    with pytest.raises(BlankInventoryError, match="is still the blank template"):
        nistpf.load_inventory(path)
    workbook = openpyxl.load_workbook(path)
    order = {sheet.name: [c.name for c in sheet.columns] for sheet in SHEETS}
    for name, rows in valid_sheets().items():
        header = rows[0]
        positions = [order[name].index(column) for column in header]
        laid_out = []
        for row in rows[1:]:
            line = [None] * len(order[name])
            for position, value in zip(positions, row, strict=True):
                line[position] = value
            laid_out.append(line)
        fill(workbook[name], laid_out)
    workbook["Tiers"]["B3"] = 2
    workbook["Tiers"]["B6"] = 3
    about = workbook["About"]
    for row in range(3, about.max_row + 1):
        if about.cell(row, 1).value == "client":
            about.cell(row, 2).value = "Acme Retail"
        if about.cell(row, 1).value == "date":
            about.cell(row, 2).value = dt.datetime(2026, 5, 1)
    workbook.save(path)

    inventory = nistpf.load_inventory(path)
    assert inventory.issues.empty, inventory.issues.to_string()
    assert list(inventory.systems["system_id"]) == ["CRM-01", "CDP-01", "BOT-01"]
    assert list(inventory.systems["excel_row"]) == [3, 4, 5]
    assert len(inventory.control_subcategories) == 4
    assert inventory.tiers["tier"].tolist() == [2, 3]
    assert inventory.about_value("client") == "Acme Retail"
    assert inventory.about_value("date") == "2026-05-01"


def test_template_and_loader_share_one_schema(tmp_path):
    """Every header the template writes is a column the loader reads, and the reverse."""
    path = nistpf.write_template(tmp_path / "inventory.xlsx")
    workbook = openpyxl.load_workbook(path)
    for sheet in SHEETS:
        headers = [cell.value for cell in workbook[sheet.name][1] if cell.value is not None]
        assert headers == [column.name for column in sheet.columns]
    frames = {
        name: pd.DataFrame(rows[1:], columns=rows[0]) for name, rows in valid_sheets().items()
    }
    filled = nistpf.write_template(tmp_path / "filled.xlsx", data=frames)
    from_template = nistpf.load_inventory(filled)
    from_frames = nistpf.load_inventory(frames)
    for table in ("systems", "controls", "flows", "control_subcategories", "control_systems"):
        left = getattr(from_template, table).drop(columns="excel_row", errors="ignore")
        right = getattr(from_frames, table).drop(columns="excel_row", errors="ignore")
        pd.testing.assert_frame_equal(left, right, check_dtype=False)


def test_a_single_csv_file_with_the_sheet_name_loads_as_that_sheet(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    rows = valid_sheets()["Systems"]
    pd.DataFrame(rows[1:], columns=rows[0]).to_csv(folder / "Systems.csv", index=False)
    with pytest.raises(nistpf.InventoryError) as caught:
        nistpf.load_inventory(folder / "Systems.csv")
    assert caught.value.issues["code"].tolist() == ["missing-sheet", "missing-sheet"]
    assert caught.value.issues.loc[0, "problem"] == "there is no Controls.csv"


def test_csv_in_windows_1252_loads_with_a_warning(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name, rows in valid_sheets().items():
        frame = pd.DataFrame(rows[1:], columns=rows[0])
        if name == "Systems":
            frame.loc[0, "name"] = "Café Kundenservice"
        frame.to_csv(folder / f"{name}.csv", index=False, encoding="cp1252")
    inventory = nistpf.load_inventory(folder)
    assert inventory.systems.loc[0, "name"] == "Café Kundenservice"
    assert inventory.issues[["severity", "sheet", "code"]].values.tolist() == [
        ["warning", "Systems.csv", "not-utf8"]
    ]


# -- a client's own layout -------------------------------------------------------------------


def test_a_mapped_foreign_layout_loads(tmp_path):
    register = [
        ["Customer systems register"],
        [],
        ["Ref", "Application", "Kind", "Importance", "Personal data", "TLS?"],
        ["A-1", "Service Cloud", "crm", "High", "email; phone", "Y (TLS 1.3)"],
        ["A-2", "Journey Builder", "marketing automation", "Low", "email", "N (batch SFTP)"],
    ]
    path = write_workbook(tmp_path / "register.xlsx", {"Register": register, "Other": [["x"]]})
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        """
[sheets.Systems]
source = "register"
[sheets.Systems.columns]
system_id = "Ref"
name = "Application"
type = "Kind"
criticality = "Importance"
data_categories = "Personal data"
[sheets.Systems.values.criticality]
"High" = "High"
"Low" = "Low"
""",
        encoding="utf-8",
    )
    inventory = nistpf.load_inventory(path, mapping=mapping)
    systems = inventory.systems
    assert list(systems["system_id"]) == ["A-1", "A-2"]
    assert list(systems["type"]) == ["CRM", "Marketing"]
    assert systems.loc[0, "data_categories"] == ("email", "phone")
    assert list(systems["TLS?"]) == ["Y (TLS 1.3)", "N (batch SFTP)"]  # unmapped: kept as is
    assert list(systems["excel_row"]) == [4, 5]
    assert inventory.controls.empty
    assert inventory.flows.empty
    # "crm" is CRM spelled in lower case; "marketing automation" is another word for Marketing.
    # The sheet "Other", which the mapping does not name, is said to be left unread.
    issues = inventory.issues.astype(object).where(inventory.issues.notna(), None)
    assert issues[["excel_row", "column", "value", "problem"]].values.tolist() == [
        [None, "", "", "sheet 'Other' is not named in the mapping and was not read"],
        [
            5,
            "Kind",
            "marketing automation",
            "'marketing automation' was read as 'Marketing' (type)",
        ],
    ]


def test_mapping_value_rewrites_apply_before_checks(tmp_path):
    sheets = valid_sheets()
    sheets["Systems"][1][3] = "Tier 1"
    path = write_workbook(tmp_path / "inv.xlsx", sheets)
    mapping = {
        "sheets": {
            "Systems": {
                "source": "Systems",
                "columns": {"system_id": "system_id", "name": "name", "criticality": "criticality"},
                "values": {"criticality": {"Tier 1": "High"}},
            }
        }
    }
    inventory = nistpf.load_inventory(path, mapping=mapping)
    assert inventory.systems.loc[0, "criticality"] == "High"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[sheets.Sistems]\nsource = 'x'",
            "[sheets.Sistems] is not an inventory sheet; use one of Systems",
        ),
        ("[sheets.Controls]\nsource = 'x'", "a mapping must name the Systems sheet"),
        (
            "[sheets.Systems]\nsource = 'x'\n[sheets.Systems.columns]\nsystem = 'A'",
            "'system' is not a Systems column",
        ),
        ("[sheets.Systems\nsource = 'x'", "is not valid TOML"),
        ("[sheets.Systems]\nheader_row = 2", 'needs source = "<sheet or CSV file name>"'),
    ],
)
def test_a_wrong_mapping_file_is_one_clear_error(tmp_path, text, message):
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(text, encoding="utf-8")
    path = write_workbook(tmp_path / "inv.xlsx", valid_sheets())
    with pytest.raises(nistpf.MappingError, match=None) as caught:
        nistpf.load_inventory(path, mapping=mapping)
    assert message in str(caught.value)


def test_a_mapped_header_that_is_not_there(tmp_path):
    path = write_workbook(tmp_path / "inv.xlsx", valid_sheets())
    mapping = {
        "sheets": {
            "Systems": {"source": "systems", "columns": {"system_id": "Ref", "name": "name"}}
        }
    }
    with pytest.raises(nistpf.InventoryError) as caught:
        nistpf.load_inventory(path, mapping=mapping)
    issues = caught.value.issues
    assert issues[["sheet", "excel_row", "column", "problem"]].values.tolist()[0] == [
        "Systems", 1, "Ref",
        "the mapping names header 'Ref' for system_id, but the header row has no such column",
    ]  # fmt: skip


# -- real registers that privacy teams publish -----------------------------------------------


def test_german_art30_register_through_its_mapping(real_world):
    inventory = nistpf.load_inventory(
        real_world / "klotzkette--01_verarbeitungsverzeichnis_vvt_art30_dsgvo.xlsx",
        mapping=MAPPINGS / "vvt-art30-dsgvo.toml",
    )
    systems = inventory.systems
    assert list(systems["system_id"]) == [str(i) for i in range(1, 9)]
    assert systems.loc[0, "name"] == "ProspectScore Pro — KI-Profiling Mietinteressenten"
    assert systems.loc[2, "data_categories"] == ("Name", "Adresse", "E-Mail", "Bankverbindung")
    assert list(systems["excel_row"]) == list(range(6, 14))
    assert systems.loc[0, "Drittlandtransfer"] == "Sundara Tech (Indien) — SCC FEHLT"
    assert inventory.issues.empty


def test_system_data_map_csv_skips_its_sentinel_and_trailer(real_world):
    inventory = nistpf.load_inventory(
        real_world / "specuslabs--system-data-map.csv", mapping=MAPPINGS / "system-data-map.toml"
    )
    assert len(inventory.systems) == 10
    assert inventory.systems.loc[0, "system_id"] == "Shopify"
    assert inventory.systems.loc[0, "Encryption (Y/N)"] == "Y"
    assert inventory.issues["code"].tolist() == ["lone-cell-row"] * 3
    assert inventory.issues.loc[0, "value"] == "Add more rows above this line"
    assert inventory.issues["excel_row"].tolist() == [18, 20, 21]


@pytest.mark.parametrize(
    ("file", "count", "types", "read_as"),
    [
        (
            "specuslabs--d2c-data-inventory.csv",
            10,
            {"Payments", "Marketing", "Analytics", "Ticketing"},
            {"Payment gateway": "Payments", "Web analytics": "Analytics"},
        ),
        (
            "specuslabs--ai-saas-data-inventory.csv",
            11,
            {"AI", "Identity", "Payments"},
            {"Product analytics": "Analytics"},
        ),
    ],
)
def test_data_inventories_through_one_mapping(real_world, file, count, types, read_as):
    inventory = nistpf.load_inventory(real_world / file, mapping=MAPPINGS / "data-inventory.toml")
    assert len(inventory.systems) == count
    assert types <= set(inventory.systems["type"])
    assert set(inventory.systems["criticality"]) <= {"High", "Medium", "Low"}
    issues = inventory.issues
    assert set(issues["code"]) == {"lone-cell-row", "value-read-as"}
    readings = issues[issues["code"] == "value-read-as"]
    assert dict(zip(readings["value"], readings["problem"], strict=True)) == {
        value: f"{value!r} was read as {target!r} (type)" for value, target in read_as.items()
    }


def test_an_asset_register_without_a_mapping_says_what_is_missing(real_world, tmp_path):
    folder = tmp_path / "register"
    folder.mkdir()
    shutil.copy(
        real_world / "cybersoluce--Information_Asset_Register_Template.csv", folder / "Systems.csv"
    )
    with pytest.raises(nistpf.InventoryError) as caught:
        nistpf.load_inventory(folder)
    rows = caught.value.issues[["sheet", "column", "problem"]].values.tolist()
    assert ["Systems.csv", "system_id", "required column system_id is missing"] in rows
    assert ["Controls", "", "there is no Controls.csv"] in rows
    assert ["Systems.csv", "type", "'Database' is not a valid type"] in rows


# -- nistpf validate -------------------------------------------------------------------------


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_exit_0_with_warnings_listed(capsys, tmp_path):
    sheets = valid_sheets()
    sheets["DataFlows"][2][2] = "SHEETS-99"
    path = write_workbook(tmp_path / "inv.xlsx", sheets)
    code, out, err = run(capsys, "validate", str(path))
    assert code == 0
    assert err == ""
    assert "WARNING DataFlows, row 3, column destination [SHEETS-99]: the flow's destination" in out
    assert out.rstrip().endswith("inv.xlsx: 3 systems, 3 controls, 2 data flows; no errors")


def test_validate_exit_1_with_the_report(capsys, tmp_path):
    sheets = valid_sheets()
    sheets["Controls"][1][2] = "Done-ish"
    path = write_workbook(tmp_path / "inv.xlsx", sheets)
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 1
    assert (
        "ERROR   Controls, row 2, column status [Done-ish]: 'Done-ish' is not a valid status" in out
    )
    assert "        fix: use one of:" in out
    code, out, _ = run(capsys, "validate", str(path), "--format", "json")
    records = json.loads(out)
    assert records[0] | {"hint": None} == {
        "severity": "error", "sheet": "Controls", "excel_row": 2, "column": "status",
        "value": "Done-ish", "problem": "'Done-ish' is not a valid status", "hint": None,
        "code": "invalid-choice",
    }  # fmt: skip
    code, out, _ = run(capsys, "validate", str(path), "--format", "csv")
    assert out.splitlines()[0] == "severity,sheet,excel_row,column,value,problem,hint,code"
    assert out.splitlines()[1].startswith("error,Controls,2,status,Done-ish,")


def test_validate_exit_2_when_the_file_cannot_be_read(capsys, tmp_path):
    from tests.hostile import old_excel_97_workbook

    path = old_excel_97_workbook(tmp_path).rename(tmp_path / "inventory.xlsx")  # a real .xls
    code, out, err = run(capsys, "validate", str(path))
    assert code == 2
    assert out == ""
    assert err == (
        "nistpf: inventory.xlsx: this is an old Excel 97-2003 (.xls) file (open it in Excel or "
        "LibreOffice and save it as .xlsx)\n"
    )


def test_validate_with_a_mapping_from_the_command_line(capsys, real_world):
    code, out, _ = run(
        capsys,
        "validate",
        str(real_world / "klotzkette--01_verarbeitungsverzeichnis_vvt_art30_dsgvo.xlsx"),
        "--mapping",
        str(MAPPINGS / "vvt-art30-dsgvo.toml"),
    )
    assert code == 0
    assert "8 systems, 0 controls, 0 data flows; no errors" in out


def test_validate_with_a_broken_mapping_is_exit_2(capsys, tmp_path):
    mapping = tmp_path / "m.toml"
    mapping.write_text("[sheets.Nope]\nsource='x'\n", encoding="utf-8")
    path = write_workbook(tmp_path / "inv.xlsx", valid_sheets())
    code, _, err = run(capsys, "validate", str(path), "--mapping", str(mapping))
    assert code == 2
    assert err.startswith("nistpf: m.toml: [sheets.Nope] is not an inventory sheet")
    assert err.count("\n") == 1
