"""Mapping files: validated against the declared schema (one line per mistake, naming the file,
the key path and the fix), and what they can say: columns by header and occurrence, letter or
constant, skip rules, sheets from other files, a locale, rewrites to a control status's level;
and the bundled CISO Assistant mapping, on code-built exports and on the field sample."""

from __future__ import annotations

import csv
import hashlib
import tomllib
from pathlib import Path

import pytest

import nistpf
from nistpf.cli import main
from nistpf.errors import InventoryError, UnreadableInventoryError
from nistpf.inventory.mapping import ColumnRef, MappingError, load_mapping
from tests.conftest import shared_path
from tests.inventory_files import valid_sheets, write_workbook

SYSTEMS_HEAD = '[sheets.Systems]\nsource = "Systems"\n'


def _mapping_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "client.toml"
    path.write_text(body, encoding="utf-8")
    return path


# -- every mistake is one line ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "line"),
    [
        (
            SYSTEMS_HEAD + 'columns = "x"',
            'client.toml: [sheets.Systems].columns is "x", not a table; write a table: '
            "[sheets.<Sheet>.columns]",
        ),
        (
            SYSTEMS_HEAD + "values = 3",
            "client.toml: [sheets.Systems].values is 3, not a table; write a table per column",
        ),
        (
            SYSTEMS_HEAD + "colums = {}",
            "client.toml: [sheets.Systems] has an unknown key 'colums'; did you mean columns?",
        ),
        (
            SYSTEMS_HEAD + "[sheets.Systems.columns]\nowner = 3",
            "client.toml: [sheets.Systems].columns.owner is 3, not text or a table; name the "
            'client\'s column by its header (owner = "Owner")',
        ),
        (
            SYSTEMS_HEAD + '[sheets.Systems.columns]\nowner = { letter = "4" }',
            'client.toml: [sheets.Systems].columns.owner.letter = "4" is not a column letter; '
            'write the column\'s letter as Excel shows it, e.g. { letter = "D" }',
        ),
        (
            SYSTEMS_HEAD + '[sheets.Systems.columns]\nowner = { letter = "D", header = "Owner" }',
            "client.toml: [sheets.Systems].columns.owner gives header and letter together; "
            "give one of them",
        ),
        (
            SYSTEMS_HEAD + '[sheets.Systems.columns]\nowner = { header = "O", occurrence = 0 }',
            "client.toml: [sheets.Systems].columns.owner.occurrence = 0 is not an occurrence",
        ),
        (
            SYSTEMS_HEAD + '[sheets.Systems.columns]\nowner = { heading = "Owner" }',
            "client.toml: [sheets.Systems].columns.owner has an unknown key 'heading'; did you "
            "mean header?",
        ),
        (
            SYSTEMS_HEAD + 'header_row = "5"',
            'client.toml: [sheets.Systems].header_row is "5", not a whole number',
        ),
        (
            SYSTEMS_HEAD + '[sheets.Systems.skip]\nStatus = "retired"',
            'client.toml: [sheets.Systems].skip.Status is "retired", not a list; write the '
            'values whose rows are skipped as a list, e.g. ["", "not_assessed"]',
        ),
        (
            SYSTEMS_HEAD + '[sheets.Systems.values.criticality]\n"Tier 1" = ["High"]',
            'client.toml: [sheets.Systems].values.criticality."Tier 1" is a list, not text, a '
            "number or true or false",
        ),
        (
            'locale = "german"\n' + SYSTEMS_HEAD,
            'client.toml: locale = "german" is not a BCP 47 language tag; write the client\'s '
            'locale as a BCP 47 tag, e.g. locale = "de-DE"',
        ),
        (
            'locale = "de_DE"\n' + SYSTEMS_HEAD,
            'client.toml: locale = "de_DE" is not a BCP 47 language tag',
        ),
        (
            'lokale = "de-DE"\n' + SYSTEMS_HEAD,
            "client.toml: the file has an unknown key 'lokale'; did you mean locale?",
        ),
        (
            SYSTEMS_HEAD + '[sheets.Systems.columns]\nowner_name = "Owner"',
            "client.toml: [sheets.Systems].columns: 'owner_name' is not a Systems column; use "
            "one of owner",
        ),
        (
            SYSTEMS_HEAD + '[sheets.Sytems]\nsource = "x"',
            "client.toml: [sheets.Sytems] is not an inventory sheet; use one of Systems",
        ),
        (
            '[sheets.Systems]\nsource = "  "',
            "client.toml: [sheets.Systems].source is blank; write source = ",
        ),
    ],
)
def test_each_mistake_is_one_line_naming_the_key_and_the_fix(tmp_path, body, line):
    with pytest.raises(MappingError) as caught:
        load_mapping(_mapping_file(tmp_path, body))
    assert str(caught.value).startswith(line)
    assert "\n" not in str(caught.value)
    assert caught.value.problems == [str(caught.value)]


def test_several_mistakes_are_one_line_each_in_file_order(tmp_path):
    body = (
        'locale = "deutsch"\n'
        + SYSTEMS_HEAD
        + "header_row = 0\n[sheets.Systems.columns]\nowner = 3\n[sheets.Systems.skip]\nX = []"
    )
    with pytest.raises(MappingError) as caught:
        load_mapping(_mapping_file(tmp_path, body))
    keys = [line.split(" ")[1] for line in caught.value.problems]
    assert keys == [
        "locale",
        "[sheets.Systems].header_row",
        "[sheets.Systems].columns.owner",
        "[sheets.Systems].skip.X",
    ]


def test_mistakes_the_schema_finds_and_mistakes_in_names_come_together(tmp_path):
    """A bad locale, a misspelt sheet, an unknown column in another sheet and a locale nistpf
    has no words for: the consultant fixes them all in one pass, not one per run."""
    body = (
        'locale = "german"\n'
        + SYSTEMS_HEAD
        + '[sheets.Systems.columns]\nnom = "Nom"\n[sheets.Sytems]\nsource = "x"\n'
        + '[sheets.Controls]\nsource = "Mesures"\ncolums = {}\n'
    )
    with pytest.raises(MappingError) as caught:
        load_mapping(_mapping_file(tmp_path, body))
    assert [line.split(": ", 1)[1][:40] for line in caught.value.problems] == [
        'locale = "german" is not a BCP 47 langua',
        "[sheets.Systems].columns: 'nom' is not a",
        "[sheets.Sytems] is not an inventory shee",
        "[sheets.Controls] has an unknown key 'co",
    ]
    known_tag = 'locale = "sr-RS"\n' + SYSTEMS_HEAD + '[sheets.Systems.columns]\nnom = "Nom"\n'
    with pytest.raises(MappingError) as caught:
        load_mapping(_mapping_file(tmp_path, known_tag))
    assert [line.split(": ", 1)[1][:30] for line in caught.value.problems] == [
        "locale = 'sr-RS' is not a loca",
        "[sheets.Systems].columns: 'nom",
    ]


def test_the_cli_prints_a_mapping_mistake_on_one_line_with_exit_2(tmp_path, capsys):
    path = write_workbook(tmp_path / "inv.xlsx", valid_sheets())
    mapping = _mapping_file(tmp_path, SYSTEMS_HEAD + "values = 3")
    assert main(["validate", str(path), "--mapping", str(mapping)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        "nistpf: client.toml: [sheets.Systems].values is 3, not a table; write a table per "
        'column: [sheets.<Sheet>.values.<column>] with "client value" = "value" lines'
    ]


def test_the_four_ways_to_name_a_column_and_a_locale(tmp_path):
    body = (
        'locale = "de-de"\n'
        + SYSTEMS_HEAD
        + "[sheets.Systems.columns]\n"
        + 'name = "Name"\n'
        + 'owner = { header = "Contact details", occurrence = 2 }\n'
        + 'records = { letter = "d" }\n'
        + 'criticality = { constant = "High" }\n'
    )
    mapping = load_mapping(_mapping_file(tmp_path, body))
    assert mapping.locale == "de-DE"
    assert mapping.sheets["Systems"].columns == {
        "name": ColumnRef(header="Name"),
        "owner": ColumnRef(header="Contact details", occurrence=2),
        "records": ColumnRef(letter="D"),
        "criticality": ColumnRef(constant="High", has_constant=True),
    }


def test_a_bundled_mapping_by_name_and_an_unknown_name(tmp_path):
    assert set(load_mapping("ciso-assistant-audit").sheets) == {"Systems", "Responses", "Profile"}
    with pytest.raises(MappingError) as caught:
        load_mapping("ciso-assistent")
    assert str(caught.value).startswith(
        "mapping file not found: ciso-assistent; give the path of a .toml file, or the name of "
        "a bundled mapping: ciso-assistant-audit"
    )


# -- constants, skip rules, other files ------------------------------------------------------


def _register(tmp_path: Path, rows: list[list]) -> Path:
    return write_workbook(tmp_path / "register.xlsx", {"Register": rows})


def test_a_constant_goes_through_the_cell_reader(tmp_path):
    path = _register(tmp_path, [["Ref", "App"], ["A-1", "CRM"], ["A-2", "Bot"]])
    mapping = {
        "sheets": {
            "Systems": {
                "source": "Register",
                "columns": {
                    "system_id": "Ref",
                    "name": "App",
                    "criticality": {"constant": "hi"},  # an alias of High
                    "in_scope": {"constant": "no"},
                },
            }
        }
    }
    inventory = nistpf.load_inventory(path, mapping=mapping)
    assert list(inventory.systems["criticality"]) == ["High", "High"]
    assert list(inventory.systems["in_scope"]) == [False, False]
    issues = inventory.issues
    assert issues[["code", "column", "value"]].values.tolist() == [
        ["value-read-as", "criticality (the mapping's constant)", "hi"]
    ]
    assert "on 2 rows" in issues.loc[0, "problem"]


def test_a_constant_that_cannot_be_read_is_one_error(tmp_path):
    path = _register(tmp_path, [["Ref", "App"], ["A-1", "CRM"], ["A-2", "Bot"], ["A-3", "X"]])
    mapping = {
        "sheets": {
            "Systems": {
                "source": "Register",
                "columns": {"system_id": "Ref", "name": "App", "records": {"constant": "many"}},
            }
        }
    }
    with pytest.raises(nistpf.InventoryError) as caught:
        nistpf.load_inventory(path, mapping=mapping)
    errors = caught.value.issues
    assert len(errors) == 1
    assert errors.loc[0, "column"] == "records (the mapping's constant)"
    assert errors.loc[0, "value"] == "many"
    assert errors.loc[0, "problem"].startswith("the mapping's constant 'many' for records")
    assert errors.loc[0, "hint"].endswith("correct the constant in the mapping")


def test_skip_rules_drop_rows_with_one_warning_per_rule(tmp_path):
    rows = [
        ["Ref", "App", "State", "Kind"],
        ["A-1", "CRM", "live", "SaaS"],  # row 2
        ["A-2", "Old CRM", "Retired", "SaaS"],  # row 3: skipped (case forgiven)
        ["A-3", "Bot", "", "SaaS"],  # row 4: skipped (blank)
        ["A-4", "Old bot", "retired", "SaaS"],  # row 5: skipped
        ["A-5", "Sandbox", "live", "test"],  # row 6: skipped by the second rule
        ["A-6", "CDP", "live", "SaaS"],  # row 7
    ]
    path = _register(tmp_path, rows)
    mapping = {
        "sheets": {
            "Systems": {
                "source": "Register",
                "columns": {"system_id": "Ref", "name": "App"},
                "skip": {"state": ["", "retired"], "Kind": ["TEST"]},
            }
        }
    }
    inventory = nistpf.load_inventory(path, mapping=mapping)
    assert list(inventory.systems["system_id"]) == ["A-1", "A-6"]
    assert list(inventory.systems["excel_row"]) == [2, 7]
    issues = inventory.issues
    assert issues[["code", "excel_row", "column", "value"]].values.tolist() == [
        ["rows-skipped", 3, "state", "Retired, (blank)"],
        ["rows-skipped", 6, "Kind", "test"],
    ]
    assert issues.loc[0, "problem"] == (
        "3 rows not read as Systems (the mapping's skip rule): state is 'Retired' (2) or "
        "blank (1); rows 3-5"
    )
    assert issues.loc[1, "problem"] == (
        "1 row not read as Systems (the mapping's skip rule): Kind is 'test' (1); rows 6"
    )


def test_a_skip_rule_on_a_header_that_is_not_there(tmp_path):
    path = _register(tmp_path, [["Ref", "App"], ["A-1", "CRM"]])
    mapping = {
        "sheets": {
            "Systems": {
                "source": "Register",
                "columns": {"system_id": "Ref", "name": "App"},
                "skip": {"Status": ["retired"]},
            }
        }
    }
    with pytest.raises(nistpf.InventoryError) as caught:
        nistpf.load_inventory(path, mapping=mapping)
    row = caught.value.issues.iloc[0]
    assert (row["code"], row["column"], row["hint"]) == (
        "skip-column-missing",
        "Status",
        "headers found: Ref, App",
    )


def test_sheets_from_another_file_relative_and_absolute(tmp_path):
    systems = tmp_path / "client" / "systems.xlsx"
    systems.parent.mkdir()
    write_workbook(systems, {"Apps": [["Ref", "App"], ["A-1", "CRM"], ["A-2", "Bot"]]})
    controls = [
        ["ID", "Measure", "State", "PF"],
        ["C-1", "TLS", "Implemented", "PR.DS-P2"],
    ]
    write_workbook(tmp_path / "client" / "controls.xlsx", {"Measures": controls})
    elsewhere = tmp_path / "flows.csv"
    elsewhere.write_text("From,To\nA-1,A-2\n", encoding="utf-8")
    mapping = {
        "sheets": {
            "Systems": {"source": "Apps", "columns": {"system_id": "Ref", "name": "App"}},
            "Controls": {
                "source": "measures",
                "file": "controls.xlsx",
                "columns": {
                    "control_id": "ID",
                    "name": "Measure",
                    "status": "State",
                    "subcategories": "PF",
                },
            },
            "DataFlows": {
                "source": "anything",  # the file's one CSV, whatever its name
                "file": str(elsewhere),
                "columns": {
                    "flow_id": {"constant": "F-1"},
                    "source": "From",
                    "destination": "To",
                },
            },
        }
    }
    inventory = nistpf.load_inventory(systems, mapping=mapping)
    assert list(inventory.systems["system_id"]) == ["A-1", "A-2"]
    assert inventory.controls[["control_id", "status"]].values.tolist() == [["C-1", "Implemented"]]
    assert inventory.control_subcategories.values.tolist() == [["C-1", "PR.DS-P2"]]
    assert inventory.flows[["flow_id", "source", "destination"]].values.tolist() == [
        ["F-1", "A-1", "A-2"]
    ]
    # The inventory's digest covers the other files: a change to flows.csv alone is a new
    # inventory, and it is not the digest of systems.xlsx (whose bytes alone are not it).
    own = hashlib.sha256(systems.read_bytes()).hexdigest()
    assert inventory.sha256 != own
    elsewhere.write_text("From,To\nA-2,A-1\n", encoding="utf-8")
    changed = nistpf.load_inventory(systems, mapping=mapping)
    assert changed.sha256 not in (inventory.sha256, own)
    assert (
        nistpf.load_inventory(
            systems, mapping={"sheets": {"Systems": mapping["sheets"]["Systems"]}}
        ).sha256
        == own
    )


def test_another_file_that_is_missing_or_lacks_the_sheet(tmp_path):
    path = _register(tmp_path, [["Ref", "App"], ["A-1", "CRM"]])
    write_workbook(tmp_path / "controls.xlsx", {"Measures": [["x"]]})
    mapping = {
        "sheets": {
            "Systems": {"source": "Register", "columns": {"system_id": "Ref", "name": "App"}},
            "Controls": {"source": "Controls", "file": "controls.xlsx"},
            "DataFlows": {"source": "Flows", "file": "flows.xlsx"},
        }
    }
    with pytest.raises(nistpf.InventoryError) as caught:
        nistpf.load_inventory(path, mapping=mapping)
    issues = caught.value.issues
    assert issues[["code", "sheet"]].values.tolist() == [
        ["mapped-sheet-missing", "controls.xlsx"],
        ["missing-file", "flows.xlsx"],
    ]
    assert issues.loc[0, "hint"] == "sheets found: Measures"
    assert issues.loc[1, "problem"].startswith("flows.xlsx (the mapping's file for DataFlows): ")


# -- rewrites to a control status's level ----------------------------------------------------


@pytest.mark.parametrize(
    ("scale", "levels"),
    [
        # status defaults, nistpf/scales.py: tiers Implemented 3, Partially 1, Not 0, Planned 0;
        # implementation 3, 2, 0 and 1.
        ("tiers", [3.0, 1.0, 0.0, 0.0, 2.0]),
        ("implementation", [3.0, 2.0, 0.0, 1.0, 2.0]),
    ],
)
def test_a_rewrite_to_a_status_means_that_statuss_level_on_the_scale(tmp_path, scale, levels):
    ratings = [
        ["Outcome", "Result"],
        ["PR.DS-P1", "pass"],
        ["PR.DS-P2", "partial"],
        ["PR.DS-P3", "fail"],
        ["PR.DS-P4", "later"],
        ["PR.DS-P5", 2],  # not rewritten: read as the level it is
    ]
    sheets = {
        "Systems": [["Ref", "App"], ["A-1", "CRM"]],
        "Ratings": ratings,
        "About": [["field", "value"], ["scale", scale]],
    }
    path = write_workbook(tmp_path / "audit.xlsx", sheets)
    mapping = {
        "sheets": {
            "Systems": {"source": "Systems", "columns": {"system_id": "Ref", "name": "App"}},
            "About": {"source": "About"},
            "Responses": {
                "source": "Ratings",
                "columns": {"subcategory": "Outcome", "current": "Result"},
                "values": {
                    "current": {
                        "pass": "Implemented",
                        "partial": "partially implemented",
                        "fail": "Not implemented",
                        "later": "Planned",
                    }
                },
            },
        }
    }
    inventory = nistpf.load_inventory(path, mapping=mapping)
    assert list(inventory.responses["current"]) == levels
    notes = inventory.issues[inventory.issues["code"] == "status-level"]
    assert notes[["excel_row", "value"]].values.tolist() == [
        [2, "pass"],
        [3, "partial"],
        [4, "fail"],
        [5, "later"],
    ]
    assert f"on the {scale} scale" in notes.iloc[0]["problem"]


# -- CISO Assistant audit exports ------------------------------------------------------------

# Counted by hand from ../shared/samples/field/ciso-assistant-audit-export/audit_export.csv.
COMPLIANT = [
    "ID.IM-P4",
    "ID.IM-P5",
    "ID.IM-P7",
    "ID.BE-P2",
    "ID.RA-P2",
    "ID.RA-P3",
    "ID.DE-P1",
    "ID.DE-P3",
    "GV.PO-P1",
    "GV.PO-P3",
    "GV.PO-P6",
    "GV.AT-P1",
    "GV.AT-P3",
    "GV.MT-P6",
    "CT.PO-P4",
    "CT.DM-P5",
    "CT.DM-P7",
    "CT.DM-P9",
    "CM.AW-P7",
    "PR.PO-P8",
    "PR.PO-P9",
    "PR.DS-P1",
    "PR.DS-P2",
    "PR.PT-P2",
    "PR.PT-P3",
]
PARTIAL = [
    "ID.IM-P2",
    "ID.RA-P1",
    "ID.DE-P2",
    "GV.PO-P4",
    "GV.AT-P2",
    "GV.MT-P1",
    "GV.MT-P4",
    "CT.PO-P3",
    "CT.DM-P3",
    "CT.DP-P1",
    "CM.AW-P4",
    "CM.AW-P5",
    "CM.AW-P6",
    "PR.AC-P2",
    "PR.AC-P4",
]
NON_COMPLIANT = [
    "ID.IM-P1",
    "ID.IM-P8",
    "GV.MT-P2",
    "CT.PO-P1",
    "CT.DM-P4",
    "CT.DP-P5",
    "CM.AW-P2",
    "CM.AW-P3",
    "PR.PO-P1",
    "PR.PO-P4",
    "PR.PO-P6",
    "PR.AC-P3",
    "PR.DS-P5",
    "PR.DS-P6",
    "PR.DS-P7",
    "PR.PT-P4",
]
NOT_APPLICABLE = [
    "ID.IM-P6",
    "ID.BE-P1",
    "ID.BE-P3",
    "ID.DE-P4",
    "GV.PO-P2",
    "GV.PO-P5",
    "GV.RM-P1",
    "GV.RM-P2",
    "GV.AT-P4",
    "GV.MT-P5",
    "GV.MT-P7",
    "CT.PO-P2",
    "CT.DM-P1",
    "CT.DM-P2",
    "CT.DM-P6",
    "CT.DM-P8",
    "CT.DM-P10",
    "CT.DP-P3",
    "CM.PO-P2",
    "CM.AW-P8",
    "PR.PO-P2",
    "PR.PO-P7",
    "PR.PO-P10",
    "PR.DS-P3",
    "PR.DS-P4",
    "PR.DS-P8",
    "PR.MA-P2",
]
NOT_ASSESSED = [
    "ID.IM-P3",
    "ID.RA-P4",
    "ID.RA-P5",
    "ID.DE-P5",
    "GV.RM-P3",
    "GV.MT-P3",
    "CT.DP-P2",
    "CT.DP-P4",
    "CM.PO-P1",
    "CM.AW-P1",
    "PR.PO-P3",
    "PR.PO-P5",
    "PR.AC-P1",
    "PR.AC-P5",
    "PR.AC-P6",
    "PR.MA-P1",
    "PR.PT-P1",
]
EVIDENCE = "Reviewed with DPO, 2026-10-14"  # on every partially_compliant row, and only there


@pytest.fixture
def ciso_export() -> Path:
    """CISO Assistant's export in ``../shared/samples/field`` (skipped where ../shared is
    missing, except in CI)."""
    return shared_path("samples", "field", "ciso-assistant-audit-export")


@pytest.mark.shared
def test_the_ciso_assistant_field_export_in_one_command(ciso_export, capsys):
    folder = ciso_export
    assert main(["validate", str(folder), "--mapping", "ciso-assistant-audit"]) == 0
    assert "2 systems" in capsys.readouterr().out
    inventory = nistpf.load_inventory(folder, mapping="ciso-assistant-audit")
    assert inventory.systems[["system_id", "type", "criticality"]].values.tolist() == [
        ["CRM-01", "CRM", "High"],
        ["CHAT-01", "Chatbot", "Medium"],
    ]
    responses = inventory.responses.set_index("subcategory")
    # The export's scale is nistpf's default (tiers): Implemented 3, Partially 1, Not 0.
    expected = {**dict.fromkeys(COMPLIANT, 3.0), **dict.fromkeys(PARTIAL, 1.0)}
    expected |= dict.fromkeys(NON_COMPLIANT, 0.0)
    assert responses["current"].to_dict() == expected
    assert set(responses["system"]) == {""}  # rated for the organisation
    assert responses["evidence"].to_dict() == {
        s: EVIDENCE if s in PARTIAL else "" for s in expected
    }
    profile = inventory.profile
    assert list(profile["pf_id"]) == NOT_APPLICABLE
    assert set(profile["in_profile"]) == {False}
    assert set(profile["rationale"]) == {""}  # the export has no observations on these rows
    skipped = inventory.issues[inventory.issues["code"] == "rows-skipped"]
    counts = {row.problem.split(" not read as ")[1].split(" ")[0]: int(row.problem.split()[0])
              for row in skipped.itertuples()}  # fmt: skip
    # 124 lines: a header and 123 rows, 23 of them Function and Category rows.
    assert counts == {"Profile": 23 + 25 + 15 + 16 + 17, "Responses": 23 + 17 + 27}
    assessment = nistpf.assess(inventory)
    subcategories = assessment.subcategories.set_index("subcategory")
    assert not subcategories.loc[NOT_APPLICABLE, "in_profile"].any()
    assert subcategories.loc[NOT_ASSESSED, "in_profile"].all()
    # 100 Subcategories, 27 out of the profile; the 17 not assessed have no evidence and score 0.
    assert assessment.overall.current == pytest.approx((25 * 3 + 15 * 1 + 16 * 0) / 73)


def _ciso_export(folder: Path, rows: list[list[str]], delimiter: str = ";") -> Path:
    """A CISO Assistant export as the tool writes it (UTF-8 with BOM), and a systems.csv."""
    folder.mkdir()
    header = [
        "urn", "ref_id", "name", "description", "typical_evidence", "annotation",
        "compliance_result", "extended_result", "requirement_progress", "score", "observations",
    ]  # fmt: skip
    with (folder / "audit_export.csv").open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream, delimiter=delimiter)
        writer.writerow(header)
        for ref_id, result, observations in rows:
            urn = "urn:intuitem:risk:req_node:nist-privacy-1.0:" + ref_id.lower()
            writer.writerow([urn, ref_id, "", "", "", "", result, "", "done", "", observations])
    (folder / "systems.csv").write_text(
        "system_id,name,type,criticality\nCRM-01,Customer CRM,CRM,High\n", encoding="utf-8"
    )
    return folder


def test_ciso_assistant_export_built_by_code_on_the_implementation_scale(tmp_path):
    rows = [
        ["PR-P", "", ""],
        ["PR.DS-P", "", ""],
        ["PR.DS-P1", "compliant", "Disk encryption verified"],
        ["PR.DS-P2", "partially_compliant", "TLS 1.0 still on the legacy API"],
        ["PR.DS-P3", "non_compliant", ""],
        ["PR.DS-P4", "not_assessed", ""],
        ["PR.DS-P5", "not_applicable", "No removable media in scope"],
    ]
    folder = _ciso_export(tmp_path / "export", rows)
    mapping = tomllib.loads(
        (
            Path(nistpf.__file__).parents[1] / "data" / "mappings" / "ciso-assistant-audit.toml"
        ).read_text(encoding="utf-8")
    )
    inventory = nistpf.load_inventory(folder, mapping=mapping)
    assert inventory.responses[["subcategory", "current", "evidence"]].values.tolist() == [
        ["PR.DS-P1", 3.0, "Disk encryption verified"],
        ["PR.DS-P2", 1.0, "TLS 1.0 still on the legacy API"],
        ["PR.DS-P3", 0.0, ""],
    ]
    assert inventory.profile[["pf_id", "in_profile", "rationale"]].values.tolist() == [
        ["PR.DS-P5", False, "No removable media in scope"]
    ]
    # On the implementation scale, partially_compliant is that scale's Partially implemented.
    mapping["sheets"]["About"] = {"source": "About", "file": "about.xlsx"}
    write_workbook(
        folder / "about.xlsx", {"About": [["field", "value"], ["scale", "implementation"]]}
    )
    inventory = nistpf.load_inventory(folder, mapping=mapping)
    assert list(inventory.responses["current"]) == [3.0, 2.0, 0.0]


def test_ciso_assistant_result_word_it_does_not_know_is_refused(tmp_path):
    rows = [["PR.DS-P1", "compliant", ""], ["PR.DS-P2", "in_progress", ""]]
    folder = _ciso_export(tmp_path / "export", rows, delimiter=",")
    with pytest.raises(nistpf.InventoryError) as caught:
        nistpf.load_inventory(folder, mapping="ciso-assistant-audit")
    errors = caught.value.issues[caught.value.issues["severity"] == "error"]
    assert errors[["excel_row", "column", "value"]].values.tolist() == [
        [3, "compliance_result", "in_progress"]
    ]


def test_an_error_in_a_rewritten_value_names_the_clients_cell_and_the_rewrite(tmp_path):
    """A rewrite to a value the column cannot read ("Élevée" → "3" for criticality) is an error
    naming what the client wrote and the rewrite, not only the rewritten value."""
    path = write_workbook(
        tmp_path / "registre.xlsx",
        {
            "Systèmes": [
                ["ID", "Nom", "Criticité"],
                ["S1", "CRM", "Élevée"],
                ["S2", "Bot", "Faible"],
            ]
        },
    )
    mapping = {
        "sheets": {
            "Systems": {
                "source": "Systèmes",
                "columns": {"system_id": "ID", "name": "Nom", "criticality": "Criticité"},
                "values": {"criticality": {"Élevée": "3", "Faible": "Low"}},
            }
        }
    }
    with pytest.raises(nistpf.InventoryError) as caught:
        nistpf.load_inventory(path, mapping=mapping)
    errors = caught.value.issues.query("severity == 'error'")
    assert errors[["excel_row", "column", "value", "code"]].values.tolist() == [
        [2, "Criticité", "Élevée", "invalid-choice"]
    ]
    assert errors["problem"].iloc[0] == (
        "'3' is not a valid criticality (the mapping rewrites 'Élevée' to '3')"
    )


def test_an_export_under_another_file_name_says_which_name_the_mapping_wants(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "systems.csv").write_text("system_id,name\nCRM-01,CRM\n", encoding="utf-8")
    (folder / "nist-pf-audit.csv").write_text("ref_id;compliance_result\n", encoding="utf-8")
    with pytest.raises(nistpf.InventoryError) as caught:
        nistpf.load_inventory(folder, mapping="ciso-assistant-audit")
    hints = caught.value.issues.query("code == 'mapped-sheet-missing'")["hint"].tolist()
    wanted = (
        "files found: nist-pf-audit.csv, systems.csv; rename the file to audit_export.csv, or "
        "change source in a copy of the mapping"
    )
    assert hints == [wanted, wanted]  # Responses and Profile both read audit_export


def test_a_mapping_nested_too_deeply_is_one_line(tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text(
        '[sheets.Systems]\nsource = "Register"\n[sheets.Systems.columns]\nsystem_id = '
        + "[" * 500
        + "]" * 500
        + "\n"
    )
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert str(caught.value).startswith("mapping file deep.toml nests arrays or tables too deeply")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("given", [5, b"mapping.toml", 1.5, ["a.toml"]])
def test_a_mapping_of_the_wrong_type_names_the_accepted_types(tmp_path, given):
    with pytest.raises(MappingError) as caught:
        load_mapping(given)
    message = str(caught.value)
    assert f"of type {type(given).__name__}" in message
    assert "pathlib.Path" in message
    assert "a dict shaped like the file" in message


@pytest.mark.parametrize("given", [123, b"book.xlsx", None, 2.0])
def test_a_source_of_the_wrong_type_is_unreadable_in_one_line(given):
    with pytest.raises(UnreadableInventoryError) as caught:
        nistpf.load_inventory(given)
    message = str(caught.value)
    assert f"of type {type(given).__name__}" in message
    assert "pathlib.Path" in message
    assert "DataFrame" in message


def test_a_mapped_file_that_is_a_symlink_loop_is_one_error_row(tmp_path):
    book = write_workbook(tmp_path / "reg.xlsx", {"Register": [["ID", "Name"], ["S1", "One"]]})
    (tmp_path / "loop.xlsx").symlink_to(tmp_path / "loop.xlsx")
    mapping = {
        "sheets": {
            "Systems": {"source": "Register", "columns": {"system_id": "ID", "name": "Name"}},
            "Controls": {"source": "X", "file": "loop.xlsx"},
        }
    }
    with pytest.raises(InventoryError) as caught:
        nistpf.load_inventory(book, mapping=mapping)
    errors = caught.value.issues[caught.value.issues["severity"] == "error"]
    assert len(errors) == 1
    assert errors.iloc[0]["problem"].startswith("loop.xlsx (the mapping's file for Controls)")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            '[sheets.Systems]\nsource = "R"\n[sheets.Systems.columns]\nsystem_id = "ID"\n'
            'name = "Name"\nSystem_ID = "Name"\n',
            "client.toml: [sheets.Systems].columns: 'system_id' and 'System_ID' both map "
            "system_id; keep one of them",
        ),
        (
            '[sheets.systems]\nsource = "R"\n[sheets.systems.columns]\nsystem_id = "ID"\n'
            '[sheets.Systems]\nsource = "S"\n',
            "client.toml: [sheets.systems] and [sheets.Systems] both map Systems; keep one of them",
        ),
        (
            '[sheets.Systems]\nsource = "R"\n[sheets.Systems.columns]\nsystem_id = "ID"\n'
            '[sheets.Systems.values.in_scope]\n"ja" = "yes"\n',
            "client.toml: [sheets.Systems].values.in_scope: in_scope is not mapped in "
            "[sheets.Systems.columns], so its rewrites would never apply; map it "
            '(in_scope = "<client header>") or delete the rewrites',
        ),
    ],
)
def test_a_mapping_that_names_a_column_or_sheet_twice_or_rewrites_an_unmapped_column(
    tmp_path, body, expected
):
    with pytest.raises(MappingError) as caught:
        load_mapping(_mapping_file(tmp_path, body))
    assert expected in caught.value.problems
    assert len(caught.value.problems) == 1


def test_a_dataframe_cell_holding_a_dict_is_unreadable_in_one_line():
    import pandas as pd

    frames = {"Systems": pd.DataFrame({"system_id": ["A"], "name": [{"nested": 1}]})}
    with pytest.raises(nistpf.UnreadableInventoryError) as caught:
        nistpf.load_inventory(frames)
    row = caught.value.issues.iloc[0]
    assert (row["code"], row["problem"]) == (
        "not-a-value",
        "the DataFrame 'Systems', row 0 (index), column 'name' holds a dict, not a value",
    )


def test_a_mapping_of_thousands_of_sheet_tables_is_refused_in_linear_time(tmp_path):
    """16,000 ``[sheets.sN]`` tables (a 400 KB file, inside the size bound) are 32,000
    mistakes; ordering them searched every table for every mistake (76 s measured), now each
    is looked up (2.1 s measured, the schema checker loaded; guard 10 times that)."""
    import time

    from nistpf.inventory.mapping import _validator

    path = tmp_path / "many.toml"
    path.write_text("".join(f'[sheets.s{i}]\nsource = ""\n' for i in range(16_000)))
    _validator()  # loaded once per process; not what is measured
    started = time.perf_counter()
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert time.perf_counter() - started < 21
    lines = str(caught.value).splitlines()
    assert lines[0].startswith(f"{path.name}: [sheets.s0]")  # in the file's order
