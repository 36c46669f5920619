"""A value spelled another way is never reinterpreted silently: every reading of a synonym (an
alias, an annotated yes/no, a number taken out of longer text) is a warning row, once per
distinct value of a column, on the first row that holds it; case, spacing and punctuation alone
stay silent; a value nistpf cannot read is an error listing the closest choices."""

from __future__ import annotations

import pandas as pd
import pytest

import nistpf
from nistpf.cli import main
from nistpf.inventory.schema import SHEETS, fold
from nistpf.inventory.values import ReadAs, choice_reader, level_reader, read_tier, read_yesno
from nistpf.scales import scale
from tests.inventory_files import valid_sheets, write_csv_folder, write_workbook

REPORTED = ["severity", "sheet", "excel_row", "column", "value", "problem", "code"]


def client_sheets() -> dict[str, list[list]]:
    """The small valid inventory as a client fills it in: "med" for Medium on one system and
    "In progress" for a status on three controls (rows 3, 5 and 6)."""
    sheets = valid_sheets()
    sheets["Systems"][2][3] = "med"
    sheets["Controls"][2][2] = "In progress"
    sheets["Controls"] += [
        ["CTL-004", "Consent banner", "In progress", None, "CT.PO-P1", "CRM-01"],
        ["CTL-005", "Chat transcript purge", "In progress", None, "CT.DP-P2", "BOT-01"],
    ]
    return sheets


def rows(issues: pd.DataFrame) -> list[list]:
    return [[None if pd.isna(v) else v for v in row] for row in issues[REPORTED].values.tolist()]


def test_each_synonym_read_is_one_warning_row_per_distinct_value(tmp_path):
    path = write_workbook(tmp_path / "acme.xlsx", client_sheets())
    inventory = nistpf.load_inventory(path)
    assert rows(inventory.issues) == [
        [
            "warning", "Systems", 3, "criticality", "med",
            "'med' was read as 'Medium' (criticality)", "value-read-as",
        ],
        [
            "warning", "Controls", 3, "status", "In progress",
            "'In progress' was read as 'Partially implemented' (status) on 3 rows",
            "value-read-as",
        ],
    ]  # fmt: skip
    assert inventory.issues["hint"].tolist() == [
        "confirm with the client that 'med' means 'Medium', or write 'Medium' in the sheet",
        "confirm with the client that 'In progress' means 'Partially implemented', or write "
        "'Partially implemented' in the sheet",
    ]
    # The readings themselves stand: the warning is there to confirm them.
    assert inventory.systems.loc[1, "criticality"] == "Medium"
    assert inventory.controls["status"].tolist() == [
        "Implemented", "Partially implemented", "Planned",
        "Partially implemented", "Partially implemented",
    ]  # fmt: skip


def test_a_csv_folder_reports_the_same_readings(tmp_path):
    inventory = nistpf.load_inventory(write_csv_folder(tmp_path / "acme", client_sheets()))
    assert [row[1:] for row in rows(inventory.issues)] == [
        ["Systems.csv", 3, "criticality", "med", "'med' was read as 'Medium' (criticality)",
         "value-read-as"],
        ["Controls.csv", 3, "status", "In progress",
         "'In progress' was read as 'Partially implemented' (status) on 3 rows", "value-read-as"],
    ]  # fmt: skip


def test_validate_lists_the_readings_and_still_exits_0(tmp_path, capsys):
    path = write_workbook(tmp_path / "acme.xlsx", client_sheets())
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert (
        "WARNING Controls, row 3, column status [In progress]: 'In progress' was read as "
        "'Partially implemented' (status) on 3 rows\n"
    ) in out
    assert "0 errors, 2 warnings" in out


@pytest.mark.parametrize(
    ("status", "closest"),
    [
        ("Done", "Planned, Not applicable, Not implemented, Implemented, Partially implemented"),
        ("Live", "Planned, Not applicable, Implemented, Not implemented, Partially implemented"),
    ],
)
def test_a_value_that_is_no_spelling_of_a_choice_is_an_error_with_the_closest_choices(
    tmp_path, status, closest
):
    sheets = valid_sheets()
    sheets["Controls"][1][2] = status
    with pytest.raises(nistpf.InventoryError) as caught:
        nistpf.load_inventory(write_workbook(tmp_path / "inv.xlsx", sheets))
    assert rows(caught.value.issues) == [
        ["error", "Controls", 2, "status", status, f"'{status}' is not a valid status",
         "invalid-choice"],
    ]  # fmt: skip
    assert caught.value.issues.loc[0, "hint"] == f"use one of: {closest}"


def test_case_spacing_and_punctuation_alone_are_silent(tmp_path):
    sheets = valid_sheets()
    sheets["Systems"][1][2:4] = ["crm", " HIGH "]
    sheets["Systems"][2][2] = "customer-data-platform"  # an alias: read as CDP, reported
    sheets["Systems"][3][2] = "chat bot"  # Chatbot with a space: the same word
    sheets["Controls"][1][2] = "IMPLEMENTED"
    sheets["Controls"][2][2] = "partially-implemented"
    sheets["DataFlows"][1][5:7] = ["Transfer", "Y"]
    sheets["DataFlows"][2][5:7] = ["transfer", "true"]
    inventory = nistpf.load_inventory(write_workbook(tmp_path / "inv.xlsx", sheets))
    assert inventory.issues["value"].tolist() == ["customer-data-platform"]
    assert list(inventory.systems["type"]) == ["CRM", "CDP", "Chatbot"]
    assert list(inventory.controls["status"][:2]) == ["Implemented", "Partially implemented"]


def test_every_kind_of_reading_is_reported_once_per_distinct_value(tmp_path):
    sheets = valid_sheets()
    sheets["Systems"][1][2] = "contact centre"
    sheets["Controls"][1][3] = None
    sheets["Controls"][2][3] = "2 out of 4"
    sheets["Controls"][3][5] = "everything"
    sheets["Controls"].append(
        ["CTL-004", "Consent banner", "Implemented", "3 - Repeatable", "CT.PO-P1", "everything"]
    )
    sheets["DataFlows"][0] += ["retention_days", "minimization"]
    sheets["DataFlows"][1][6:] = ["Y (AES-256)", "3 months", "tokenised"]
    sheets["DataFlows"][2][6:] = ["Y (AES-256)", "3 months", "none"]
    sheets["DataFlows"].append(
        ["F-003", "CDP-01", "BOT-01", "user.name", "Bot context", "use", "ja", "90", "masking"]
    )
    sheets["Tiers"] = [
        ["attribute", "tier"],
        ["Process", "Risk Informed"],
        ["Integrated Privacy Risk Management Program", "Tier 3 - Repeatable"],
        ["Data Processing Ecosystem Relationships", "2, moving to 3"],
        ["Workforce", 1],
    ]
    inventory = nistpf.load_inventory(write_workbook(tmp_path / "inv.xlsx", sheets))
    assert [row[1:] for row in rows(inventory.issues)] == [
        ["Systems", 2, "type", "contact centre", "'contact centre' was read as 'CCaaS' (type)",
         "value-read-as"],
        ["Controls", 3, "maturity", "2 out of 4", "'2 out of 4' was read as '2' (maturity)",
         "value-read-as"],
        ["Controls", 4, "applies_to", "everything",
         "'everything' was read as 'ALL' (applies_to) on 2 rows", "value-read-as"],
        ["DataFlows", 2, "encrypted_in_transit", "Y (AES-256)",
         "'Y (AES-256)' was read as 'yes' (encrypted_in_transit) on 2 rows", "value-read-as"],
        ["DataFlows", 2, "minimization", "tokenised",
         "'tokenised' was read as 'tokenized' (minimization)", "value-read-as"],
        ["DataFlows", 2, "retention_days", "3 months", "'3 months' read as 90 days on 2 rows",
         "converted-days"],
        ["DataFlows", 4, "minimization", "masking", "'masking' was read as 'masked' (minimization)",
         "value-read-as"],
        ["Tiers", 2, "attribute", "Process",
         "'Process' was read as 'Privacy Risk Management Process' (attribute)", "value-read-as"],
        ["Tiers", 4, "tier", "2, moving to 3", "'2, moving to 3' was read as '2' (tier)",
         "value-read-as"],
    ]  # fmt: skip
    maturity = inventory.controls["maturity"]
    assert [None if pd.isna(v) else v for v in maturity] == [None, 2.0, None, 3.0]
    assert inventory.controls["applies_to_all"].tolist() == [True, False, True, True]
    assert inventory.flows["encrypted_in_transit"].tolist() == [True, True, True]
    assert inventory.tiers["tier"].tolist() == [2, 3, 2, 1]


# -- the readers, over every alias the schema lists --------------------------------------------

ALIASES = [
    pytest.param(column, alias, target, id=f"{sheet.name}.{column.name}:{alias}")
    for sheet in SHEETS
    for column in sheet.columns
    for alias, target in column.aliases.items()
]


@pytest.mark.parametrize(("column", "alias", "target"), ALIASES)
def test_every_alias_is_read_as_its_choice_and_reported_unless_only_spaced_differently(
    column, alias, target
):
    result = choice_reader(column)(alias)
    if fold(alias) in {fold(choice) for choice in column.choices}:
        assert result == target  # "chat bot", "data warehouse": the choice itself, spaced
        assert result.__class__ is str
    else:
        assert result == ReadAs(target, target)


def test_plain_yes_and_no_are_silent_and_annotated_ones_are_readings():
    # A tick or a cross is a plain yes or no too (folding once erased them: "✓" was refused).
    for plain in ("yes", "Y", "TRUE", "1", "x", "ja", "oui", "✓", 1, True):
        assert read_yesno(plain) is True, plain
    for plain in ("no", "N", "false", "0", "nein", "✗", 0, False):
        assert read_yesno(plain) is False, plain
    assert read_yesno("Y (AES-256)") == ReadAs(True, "yes")
    assert read_yesno("No - spreadsheet") == ReadAs(False, "no")
    assert read_yesno("✓ (AES-256)") == ReadAs(True, "yes")


def test_a_tier_or_level_with_its_own_label_is_silent_and_with_other_text_a_reading():
    for written in (
        2,
        "2",
        "Tier 2",
        "Risk Informed",
        "2 - Risk Informed",
        "Tier 2: risk informed",
    ):
        assert read_tier(written) == 2, written
    assert read_tier("Tier 2 (3 next year)") == ReadAs(2, "2")
    assert read_tier("3 - Risk Informed") == ReadAs(3, "3")
    read_level = level_reader(scale("tiers"))
    for written in (3, 3.0, "3", "Repeatable", "3 - Repeatable", "3 (Repeatable)"):
        assert read_level(written) == 3.0, written
    assert read_level("3 - Initial") == ReadAs(3.0, "3")
    assert read_level("2.5 roughly") == ReadAs(2.5, "2.5")


def test_spellings_that_differ_only_in_case_or_punctuation_are_one_reading():
    from tests.inventory_files import small_inventory

    inventory = small_inventory(
        [
            ["C1", "a", "In progress", None, "PR.DS-P1", "ALL"],
            ["C2", "b", "IN PROGRESS", None, "PR.DS-P2", "ALL"],
            ["C3", "c", "in-progress", None, "PR.DS-P3", "ALL"],
            ["C4", "d", "In progress", None, "PR.DS-P4", "ALL"],
        ]
    )
    readings = inventory.warnings[inventory.warnings["code"] == "value-read-as"]
    assert readings["problem"].tolist() == [
        "'In progress' was read as 'Partially implemented' (status) on 4 rows "
        "(also written 'IN PROGRESS', 'in-progress')"
    ]
