"""The loader on workbooks built from code: what loads, and the exact report row per problem."""

from __future__ import annotations

import datetime as dt
import os

import pandas as pd
import pytest

import nistpf
from tests.inventory_files import valid_sheets, write_csv_folder, write_workbook


def problems(error: nistpf.InventoryError) -> list[tuple]:
    """The report rows without hints, as plain tuples."""
    table = error.issues
    return [
        (
            r.severity,
            r.sheet,
            None if pd.isna(r.excel_row) else int(r.excel_row),
            r.column,
            r.value,
            r.problem,
        )
        for r in table.itertuples()
    ]


def load_error(tmp_path, sheets) -> nistpf.InventoryError:
    path = write_workbook(tmp_path / "inventory.xlsx", sheets)
    with pytest.raises(nistpf.InventoryError) as caught:
        nistpf.load_inventory(path)
    return caught.value


# -- what loads ------------------------------------------------------------------------------


def test_a_valid_workbook_loads_into_tidy_tables(tmp_path):
    path = write_workbook(tmp_path / "inventory.xlsx", valid_sheets())
    inventory = nistpf.load_inventory(path)
    assert inventory.issues.empty
    systems = inventory.systems
    assert list(systems["system_id"]) == ["CRM-01", "CDP-01", "BOT-01"]
    assert systems.loc[0, "data_categories"] == ("user.contact.email", "user.name")
    assert list(systems["criticality"]) == ["High", "Medium", "Low"]
    assert systems["in_scope"].tolist() == [True, True, True]
    assert list(systems["excel_row"]) == [2, 3, 4]
    controls = inventory.controls.set_index("control_id")
    assert controls.loc["CTL-001", "applies_to_all"]
    assert controls.loc["CTL-002", "subcategories"] == ("CT.DM-P1", "CT.DM-P4")
    assert controls.loc["CTL-002", "maturity"] == 2.0
    assert pd.isna(controls.loc["CTL-001", "maturity"])
    assert inventory.control_subcategories.values.tolist() == [
        ["CTL-001", "PR.DS-P2"],
        ["CTL-002", "CT.DM-P1"],
        ["CTL-002", "CT.DM-P4"],
        ["CTL-003", "PR.AC-P1"],
    ]
    assert inventory.control_systems.values.tolist() == [
        ["CTL-002", "CRM-01", "CRM-01"],
        ["CTL-002", "CDP-01", "CDP-01"],
        ["CTL-003", "BOT-01", "type:Chatbot"],
    ]
    assert inventory.flows["encrypted_in_transit"].tolist() == [True, True]
    assert len(inventory.sha256) == 64
    assert inventory.framework_version == "1.0"
    assert inventory.scale == "tiers"


def test_header_row_below_title_rows_headers_with_synonyms_and_extra_columns(tmp_path):
    sheets = valid_sheets()
    sheets["Systems"] = [
        ["Customer systems — Acme Retail", None],
        ["Prepared for the privacy office", None],
        [],
        ["System ID", "System Name", "Type", "Business Criticality", "In Scope", "Hosting Notes"],
        ["CRM-01", "Service Cloud", "crm", "high", "Y", "EU pod"],
        ["CDP-01", "Customer Data Platform", "customer data platform", "med", "true", ""],
        ["BOT-01", "Web Chatbot", "virtual agent", "Low", "no", "US"],
    ]
    inventory = nistpf.load_inventory(write_workbook(tmp_path / "inv.xlsx", sheets))
    systems = inventory.systems
    assert list(systems["type"]) == ["CRM", "CDP", "Chatbot"]
    assert list(systems["criticality"]) == ["High", "Medium", "Low"]
    assert systems["in_scope"].tolist() == [True, True, False]
    assert list(systems["excel_row"]) == [5, 6, 7]
    assert list(systems["Hosting Notes"]) == ["EU pod", "", "US"]


def test_sheet_names_match_case_and_space_insensitively(tmp_path):
    sheets = valid_sheets()
    renamed = {
        "SYSTEMS": sheets["Systems"],
        " controls ": sheets["Controls"],
        "Data Flows": sheets["DataFlows"],
    }
    inventory = nistpf.load_inventory(write_workbook(tmp_path / "inv.xlsx", renamed))
    assert len(inventory.systems) == 3
    assert len(inventory.flows) == 2


def test_lists_split_on_semicolons_commas_and_new_lines_and_ids_normalise(tmp_path):
    sheets = valid_sheets()
    sheets["Controls"][1][4] = "pr.ds-p2, PRDS-P01\nPR.DS-P2"
    inventory = nistpf.load_inventory(write_workbook(tmp_path / "inv.xlsx", sheets))
    assert inventory.controls.loc[0, "subcategories"] == ("PR.DS-P2", "PR.DS-P1")


def test_a_csv_folder_loads_like_the_workbook(tmp_path):
    folder = write_csv_folder(tmp_path / "inventory", valid_sheets())
    from_csv = nistpf.load_inventory(folder)
    from_xlsx = nistpf.load_inventory(write_workbook(tmp_path / "inv.xlsx", valid_sheets()))
    for table in ("systems", "controls", "control_subcategories", "control_systems", "flows"):
        pd.testing.assert_frame_equal(
            getattr(from_csv, table), getattr(from_xlsx, table), check_dtype=False
        )
    assert from_csv.source == "inventory"


def test_a_dict_of_dataframes_loads(tmp_path):
    frames = {
        name: pd.DataFrame(rows[1:], columns=rows[0]) for name, rows in valid_sheets().items()
    }
    inventory = nistpf.load_inventory(frames)
    assert list(inventory.systems["system_id"]) == ["CRM-01", "CDP-01", "BOT-01"]
    assert inventory.sha256 is None


def test_optional_sheets_profile_responses_tiers_about(tmp_path):
    sheets = valid_sheets()
    sheets["Profile"] = [
        ["pf_id", "target", "priority", "in_profile", "rationale"],
        ["PR-P", 3, "High", "yes", None],
        ["pr.ds-p", 4, "medium", None, None],
        ["CT.DM-P10", None, None, "no", "No algorithmic decisions"],
    ]
    sheets["Responses"] = [
        ["subcategory", "system", "current", "method", "date"],
        ["PR.DS-P2", None, "Repeatable", "test", dt.datetime(2026, 3, 1)],
        ["PR.DS-P2", "crm-01", "1 - Partial", "Interviewed", "2026-03-02"],
    ]
    sheets["Tiers"] = [
        ["attribute", "tier", "evidence"],
        ["Privacy Risk Management Process", 2, "Risk register exists"],
        ["Workforce", "Tier 3", None],
        ["Data Processing Ecosystem Relationships", None, None],
    ]
    sheets["About"] = [
        ["field", "value"],
        ["Client", "Acme Retail"],
        ["Framework version", "1.0"],
        ["Scale", "tiers"],
        ["Date", dt.datetime(2026, 3, 4)],
    ]
    inventory = nistpf.load_inventory(write_workbook(tmp_path / "inv.xlsx", sheets))
    profile = inventory.profile
    assert list(profile["pf_id"]) == ["PR-P", "PR.DS-P", "CT.DM-P10"]
    assert list(profile["level"]) == ["function", "category", "subcategory"]
    assert list(profile["priority"]) == ["High", "Moderate", ""]
    assert profile["in_profile"].tolist() == [True, True, False]
    responses = inventory.responses
    assert responses["current"].tolist() == [3.0, 1.0]
    assert list(responses["system"]) == ["", "CRM-01"]
    assert list(responses["method"]) == ["test", "interview"]
    assert list(responses["date"]) == [dt.date(2026, 3, 1), dt.date(2026, 3, 2)]
    assert inventory.tiers[["attribute", "tier"]].values.tolist() == [
        ["Privacy Risk Management Process", 2],
        ["Workforce", 3],
    ]
    assert inventory.about_value("client") == "Acme Retail"
    assert inventory.about_value("date") == "2026-03-04"


def test_the_source_file_is_never_modified(tmp_path):
    path = write_workbook(tmp_path / "inventory.xlsx", valid_sheets())
    before = path.read_bytes()
    os.utime(path, (1_700_000_000, 1_700_000_000))
    nistpf.load_inventory(path)
    broken = valid_sheets()
    broken["Systems"][1][0] = None
    bad = write_workbook(tmp_path / "bad.xlsx", broken)
    bad_before = bad.read_bytes()
    with pytest.raises(nistpf.InventoryError):
        nistpf.load_inventory(bad)
    assert path.read_bytes() == before
    assert path.stat().st_mtime == 1_700_000_000
    assert bad.read_bytes() == bad_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.xlsx", "inventory.xlsx"]


# -- one workbook per problem: the exact report row ------------------------------------------


def test_missing_required_sheet(tmp_path):
    sheets = valid_sheets()
    del sheets["Controls"]
    error = load_error(tmp_path, sheets)
    assert problems(error) == [
        ("error", "Controls", None, "", "", "the workbook has no Controls sheet"),
    ]
    assert error.issues.loc[0, "hint"] == (
        "add a sheet named Controls (see nistpf template); sheets found: Systems, DataFlows"
    )


def test_missing_dataflows_sheet_is_a_warning(tmp_path):
    sheets = valid_sheets()
    del sheets["DataFlows"]
    inventory = nistpf.load_inventory(write_workbook(tmp_path / "inv.xlsx", sheets))
    assert inventory.issues[["severity", "sheet", "code"]].values.tolist() == [
        ["warning", "DataFlows", "missing-sheet"]
    ]
    assert inventory.flows.empty


def test_missing_required_column(tmp_path):
    sheets = valid_sheets()
    sheets["Systems"] = [[r[0], *r[2:]] for r in sheets["Systems"]]
    error = load_error(tmp_path, sheets)
    assert problems(error) == [
        ("error", "Systems", 1, "name", "", "required column name is missing")
    ]


def test_duplicate_ids(tmp_path):
    sheets = valid_sheets()
    sheets["Controls"][3][0] = "ctl-001"
    error = load_error(tmp_path, sheets)
    assert problems(error) == [
        ("error", "Controls", 4, "control_id", "ctl-001", "control_id 'ctl-001' is used twice"),
    ]
    assert (
        error.issues.loc[0, "hint"] == "its first use is on row 2; give each row its own control_id"
    )


def test_blank_required_cells(tmp_path):
    sheets = valid_sheets()
    sheets["Systems"][2][1] = "   "
    sheets["Controls"][1][2] = None
    error = load_error(tmp_path, sheets)
    assert problems(error) == [
        ("error", "Systems", 3, "name", "", "name is required but the cell is blank"),
        ("error", "Controls", 2, "status", "", "status is required but the cell is blank"),
    ]


def test_unknown_subcategory_names_the_closest_ids(tmp_path):
    sheets = valid_sheets()
    sheets["Controls"][2][4] = "CT.DM-P1; CT.DM-P11"
    error = load_error(tmp_path, sheets)
    assert problems(error) == [
        (
            "error", "Controls", 3, "subcategories", "CT.DM-P11",
            "'CT.DM-P11' is not a Privacy Framework 1.0 ID",
        )
    ]  # fmt: skip
    assert error.issues.loc[0, "hint"].startswith("did you mean CT.DM-P1")


def test_a_category_where_subcategories_belong(tmp_path):
    sheets = valid_sheets()
    sheets["Controls"][1][4] = "PR.DS-P"
    error = load_error(tmp_path, sheets)
    assert problems(error) == [
        (
            "error",
            "Controls",
            2,
            "subcategories",
            "PR.DS-P",
            "PR.DS-P is a category, not a subcategory",
        )
    ]
    assert error.issues.loc[0, "hint"] == (
        "list the subcategory IDs it holds instead: PR.DS-P1, PR.DS-P2, PR.DS-P3, PR.DS-P4, "
        "PR.DS-P5, PR.DS-P6, PR.DS-P7, PR.DS-P8"
    )


def test_control_applying_to_an_unknown_system(tmp_path):
    sheets = valid_sheets()
    sheets["Controls"][2][5] = "CRM-01; CPD-01"
    error = load_error(tmp_path, sheets)
    assert problems(error) == [
        (
            "error", "Controls", 3, "applies_to", "CPD-01",
            "the control applies to 'CPD-01', which is not in Systems",
        )
    ]  # fmt: skip
    assert error.issues.loc[0, "hint"].startswith("did you mean CDP-01")


def test_flow_to_an_unknown_system_is_a_warning(tmp_path):
    sheets = valid_sheets()
    sheets["DataFlows"][2][2] = "SHEETS-99"
    inventory = nistpf.load_inventory(write_workbook(tmp_path / "inv.xlsx", sheets))
    row = inventory.issues.iloc[0]
    assert (row.severity, row.sheet, row.excel_row, row.column, row.value, row.code) == (
        "warning", "DataFlows", 3, "destination", "SHEETS-99", "unknown-flow-system",
    )  # fmt: skip
    assert row.problem == (
        "the flow's destination 'SHEETS-99' is not in Systems: customer data goes somewhere "
        "nobody inventoried"
    )
    assert inventory.flows.loc[1, "destination"] == "SHEETS-99"


def test_value_outside_an_enumeration_lists_the_allowed_values_closest_first(tmp_path):
    sheets = valid_sheets()
    sheets["Controls"][1][2] = "Implemnted"
    error = load_error(tmp_path, sheets)
    assert problems(error) == [
        ("error", "Controls", 2, "status", "Implemnted", "'Implemnted' is not a valid status")
    ]
    assert error.issues.loc[0, "hint"] == (
        "use one of: Implemented, Not implemented, Partially implemented, Planned, Not applicable"
    )


def test_maturity_outside_the_scale(tmp_path):
    sheets = valid_sheets()
    sheets["Controls"][2][3] = 5
    error = load_error(tmp_path, sheets)
    assert problems(error) == [
        ("error", "Controls", 3, "maturity", "5", "5 is outside the tiers scale (0-4)")
    ]
    assert error.issues.loc[0, "hint"] == (
        "use a level of the tiers scale: 0 Not performed, 1 Partial, 2 Risk informed, "
        "3 Repeatable, 4 Adaptive"
    )


def test_maturity_5_is_fine_on_the_cmmi_scale(tmp_path):
    sheets = valid_sheets()
    sheets["Controls"][2][3] = 5
    sheets["About"] = [["field", "value"], ["scale", "CMMI"]]
    inventory = nistpf.load_inventory(write_workbook(tmp_path / "inv.xlsx", sheets))
    assert inventory.scale == "cmmi"
    assert inventory.controls.loc[1, "maturity"] == 5.0


def test_formula_with_no_saved_value(tmp_path):
    sheets = valid_sheets()
    sheets["Systems"][3][3] = '=IF(1=1,"High","Low")'
    error = load_error(tmp_path, sheets)
    assert problems(error) == [
        (
            "error",
            "Systems",
            4,
            "criticality",
            "",
            "the cell holds a formula whose result was never saved",
        )
    ]
    assert error.issues.loc[0, "hint"].startswith(
        "open the file in Excel or LibreOffice and save it"
    )


def test_all_problems_are_collected_before_stopping(tmp_path):
    sheets = valid_sheets()
    sheets["Systems"][1][2] = "Mainframe"
    sheets["Systems"][2][3] = "Critical"
    sheets["Controls"][1][4] = "XX.YY-P1"
    sheets["DataFlows"][1][5] = "archival"
    error = load_error(tmp_path, sheets)
    assert [(r[1], r[2], r[3]) for r in problems(error)] == [
        ("Systems", 2, "type"),
        ("Systems", 3, "criticality"),
        ("Controls", 2, "subcategories"),
        ("DataFlows", 2, "stage"),
    ]
    assert str(error) == (
        "inventory.xlsx: 4 errors; first: sheet Systems, row 2, column type: "
        "'Mainframe' is not a valid type"
    )


# -- files that cannot be read at all --------------------------------------------------------


def unreadable(path) -> nistpf.UnreadableInventoryError:
    with pytest.raises(nistpf.UnreadableInventoryError) as caught:
        nistpf.load_inventory(path)
    assert len(caught.value.issues) == 1
    return caught.value


def test_missing_file(tmp_path):
    error = unreadable(tmp_path / "nowhere.xlsx")
    assert str(error).startswith("nowhere.xlsx: no such file or folder:")
    assert error.issues.loc[0, "code"] == "missing-file"


def test_a_text_file_named_xlsx(tmp_path):
    path = tmp_path / "inventory.xlsx"
    path.write_text("system_id,name\nCRM-01,CRM\n", encoding="utf-8")
    error = unreadable(path)
    assert str(error) == (
        "inventory.xlsx: this is a text file, not an Excel workbook (save the inventory as .xlsx; "
        "a CSV file must end in .csv)"
    )


def test_an_old_xls_file(tmp_path):
    from tests.hostile import old_excel_97_workbook

    path = old_excel_97_workbook(tmp_path).rename(tmp_path / "inventory.xls")
    error = unreadable(path)
    assert str(error) == (
        "inventory.xls: this is an old Excel 97-2003 (.xls) file (open it in Excel or LibreOffice "
        "and save it as .xlsx)"
    )


def test_an_encrypted_workbook(tmp_path):
    from tests.hostile import encrypted_workbook

    path = encrypted_workbook(tmp_path)
    before = path.read_bytes()
    error = unreadable(path)
    assert error.issues.loc[0, "code"] == "encrypted"
    assert "password" in str(error)
    assert path.read_bytes() == before


def test_an_empty_workbook(tmp_path):
    path = write_workbook(tmp_path / "inventory.xlsx", {"Sheet1": []})
    error = unreadable(path)
    assert (
        str(error)
        == "inventory.xlsx: the workbook is empty (fill in the template (nistpf template))"
    )


def test_a_zip_that_is_not_a_workbook(tmp_path):
    import zipfile

    path = tmp_path / "inventory.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    error = unreadable(path)
    assert error.issues.loc[0, "problem"] == "this is a ZIP archive, not an Excel workbook"


def test_an_html_page_named_xlsx(tmp_path):
    path = tmp_path / "export.xlsx"
    path.write_text("<!DOCTYPE html><html><body><table><tr><td>x</td></tr></table></body></html>")
    error = unreadable(path)
    assert error.issues.loc[0, "problem"] == "this is an HTML page, not an Excel workbook"


def test_a_truncated_workbook(tmp_path):
    path = write_workbook(tmp_path / "inventory.xlsx", valid_sheets())
    path.write_bytes(path.read_bytes()[:300])
    error = unreadable(path)
    assert error.issues.loc[0, "code"] == "damaged"


def test_an_encrypted_workbook_whose_stream_directory_sits_after_the_package(tmp_path):
    """Excel writes the EncryptedPackage stream before the directory naming EncryptionInfo."""
    path = tmp_path / "big.xlsx"
    package = bytes(range(256)) * (5 * 2**20 // 256)  # 5 MiB standing in for the package
    path.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + package + "EncryptionInfo".encode("utf-16-le")
    )
    assert unreadable(path).issues.loc[0, "code"] == "encrypted"
