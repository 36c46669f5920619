"""NIST's PRAM (February 2019) as package data: the Catalog of Problematic Data Actions and
Problems, the PF 1.0 → PRAM and PF 1.0 → NISTIR 8062 mappings, the worksheets' tabs and headers.

The expected names, rows and headers below are typed by hand from NIST's files (catalog-PDAP.md,
the mapping workbooks, worksheets 2-4 opened in a spreadsheet), not taken from the converter."""

from __future__ import annotations

import ast
import hashlib
import json
import re
import shutil
from pathlib import Path

import openpyxl
import pytest

import nistpf
from nistpf import pram_catalog
from nistpf.convert.__main__ import main as convert_main
from nistpf.convert.pram import build_pram

SHIPPED = Path(nistpf.__file__).parent / "data" / "pram"

# catalog-PDAP.md, "## Problematic Data Actions" and "## Problems", in NIST's order.
NIST_PROBLEMATIC_DATA_ACTIONS = [
    "Appropriation",
    "Distortion",
    "Induced Disclosure",
    "Insecurity",
    "Re-identification",
    "Stigmatization",
    "Surveillance",
    "Unanticipated Revelation",
    "Unwarranted Restriction",
]
NIST_PROBLEMS = [
    "Dignity Loss",
    "Discrimination",
    "Economic Loss",
    "Loss of Autonomy",
    "Loss of Liberty",
    "Physical Harm",
    "Loss of Trust",
]
NIST_TABS = {
    "worksheet 2": [
        "Introduction",
        "System Privacy Capabilities",
        "Contextual Factors",
        "Data Action Analysis",
    ],
    "worksheet 3": [
        "Introduction",
        "Likelihood",
        "Impact",
        "Risk",
        "Risk Prioritization SAMPLE",
        "Risk Prioritization INPUT",
    ],
    "worksheet 4": ["Introduction", "Define System Requirements", "Selected Controls"],
}
MAPPING = "pf-1.0-to-pram-mapping.xlsx"


# -- (a) the converter reproduces the shipped files -------------------------------------------
@pytest.fixture(scope="module")
def rebuilt(reference) -> dict[str, str]:
    return build_pram(reference)


def test_rerunning_the_converter_reproduces_every_shipped_pram_file(rebuilt):
    shipped = sorted(p.name for p in SHIPPED.iterdir() if p.is_file())
    assert sorted(rebuilt) == shipped
    for name, text in rebuilt.items():
        assert (SHIPPED / name).read_bytes() == text.encode("utf-8"), (
            f"{name} differs; rerun python -m nistpf.convert"
        )


def test_command_line_converter_writes_the_pram_folder(reference, tmp_path, capsys):
    assert convert_main([str(reference), "--out", str(tmp_path)]) == 0
    written = capsys.readouterr().out.split()
    assert str(tmp_path / "pram" / "pf_to_pram.csv") in written
    for path in SHIPPED.iterdir():
        assert (tmp_path / "pram" / path.name).read_bytes() == path.read_bytes(), path.name
    assert not list(tmp_path.rglob("*.tmp"))


def test_catalog_texts_are_nists_word_for_word(reference):
    # Independently of the converter: each description is a run of the catalog's own text once
    # white space is folded, and follows "**<name>:**".
    markdown = (reference / "nist" / "pram" / "catalog-PDAP.md").read_text("utf-8")
    folded = re.sub(r"\s+", " ", markdown)
    for table in (pram_catalog.problematic_data_actions(), pram_catalog.problems()):
        for name, description in zip(table["name"], table["description"], strict=True):
            assert f"**{name}:** {description}" in folded, name


def test_manifest_gives_the_publication_and_each_sources_sha256(reference):
    manifest = pram_catalog.manifest()
    assert manifest["publication"] == (
        "NIST Privacy Risk Assessment Methodology, version February 2019"
    )
    assert len(manifest["sources"]) == 6
    for name, digest in manifest["sources"].items():
        assert hashlib.sha256((reference / name).read_bytes()).hexdigest() == digest, name


# -- (b) the shipped data, without ../shared ----------------------------------------------------
def test_the_nine_problematic_data_actions_in_catalog_order():
    table = pram_catalog.problematic_data_actions()
    assert list(table.columns) == ["name", "description"]
    assert table["name"].tolist() == NIST_PROBLEMATIC_DATA_ACTIONS
    assert list(pram_catalog.PROBLEMATIC_DATA_ACTIONS) == NIST_PROBLEMATIC_DATA_ACTIONS
    by_name = dict(zip(table["name"], table["description"], strict=True))
    assert by_name["Insecurity"] == (
        "Lapses in data security can result in various problems, including loss of trust, "
        "exposure to economic loss and other identity theft-related harms, and dignity losses."
    )
    assert by_name["Appropriation"].startswith(
        "Data is used in ways that exceed an individual\u2019s expectation"
    )


def test_the_seven_problems_and_the_self_determination_group():
    table = pram_catalog.problems()
    assert list(table.columns) == ["name", "group", "description"]
    assert table["name"].tolist() == NIST_PROBLEMS
    assert list(pram_catalog.PROBLEMS) == NIST_PROBLEMS
    groups = dict(zip(table["name"], table["group"], strict=True))
    assert groups == {
        "Dignity Loss": "",
        "Discrimination": "",
        "Economic Loss": "",
        "Loss of Autonomy": "Loss of Self-Determination",
        "Loss of Liberty": "Loss of Self-Determination",
        "Physical Harm": "Loss of Self-Determination",
        "Loss of Trust": "",
    }
    by_name = dict(zip(table["name"], table["description"], strict=True))
    assert by_name["Physical Harm"] == "Physical harm or death."
    assert by_name["Dignity Loss"] == "Includes embarrassment and emotional distress."


@pytest.mark.parametrize("loader", [pram_catalog.pf_to_pram, pram_catalog.pf_to_nistir8062])
def test_each_mapping_has_one_row_per_pf_subcategory(loader, fw):
    table = loader()
    assert list(table.columns) == ["subcategory", "worksheet", "notes"]
    assert len(table) == 100
    assert table["subcategory"].tolist() == fw.subcategories["id"].tolist()
    assert (table["notes"] == "").all()  # NIST's Notes column is empty in both workbooks


def test_pf_to_pram_rows_as_nist_wrote_them():
    rows = dict(pram_catalog.pf_to_pram()[["subcategory", "worksheet"]].values.tolist())
    assert rows["ID.RA-P4"] == "Worksheet 3, Catalog of Problematic Data Actions and Problems"
    assert rows["ID.RA-P5"] == "Worksheet 4"
    assert rows["ID.IM-P5"] == ""
    assert rows["ID.IM-P1"] == "Worksheet 2"
    assert rows["ID.BE-P2"] == "Worksheet 1"
    assert rows["PR.PT-P4"] == ""
    # Counted in the workbook's column E: 6 x Worksheet 1, 8 x Worksheet 2, one each of 3 and 4.
    mapped = [value for value in rows.values() if value]
    assert sorted(set(mapped)) == [
        "Worksheet 1",
        "Worksheet 2",
        "Worksheet 3, Catalog of Problematic Data Actions and Problems",
        "Worksheet 4",
    ]
    assert (mapped.count("Worksheet 1"), mapped.count("Worksheet 2"), len(mapped)) == (6, 8, 16)


def test_pf_to_nistir8062_rows_as_nist_wrote_them():
    rows = dict(pram_catalog.pf_to_nistir8062()[["subcategory", "worksheet"]].values.tolist())
    assert rows["ID.IM-P1"] == "NISTIR 8062"
    assert rows["CT.DP-P5"] == "NISTIR 8062"
    assert rows["CM.AW-P2"] == "NISTIR 8062"
    assert rows["ID.IM-P5"] == ""
    assert rows["ID.RA-P2"] == ""
    assert sum(1 for value in rows.values() if value == "NISTIR 8062") == 20
    assert set(rows.values()) == {"NISTIR 8062", ""}


def test_worksheet_tabs_in_nists_order():
    headers = pram_catalog.worksheet_headers()
    assert {key: list(tabs) for key, tabs in headers.items()} == NIST_TABS


def test_worksheet_headers_of_the_tables_nist_draws():
    headers = pram_catalog.worksheet_headers()
    assert headers["worksheet 3"]["Risk"] == [
        "Data Actions",
        "Potential Problems for Individuals",
        "Likelihood",
        "Impact",
        "Risk per Potential Problem",
        "Risk per Data Action",
    ]
    assert headers["worksheet 2"]["Data Action Analysis"] == [
        "Data Action",
        "Data",
        "Specific Context",
        "Summary Issues",
    ]
    assert headers["worksheet 3"]["Likelihood"] == [
        "Data Actions",
        "Summary Issues",
        "Problematic Data Actions",
        "Potential Problems for Individuals",
        "Likelihood",
    ]
    assert headers["worksheet 3"]["Impact"] == [
        "Data Actions",
        "Summary Issues",
        "Problematic Data Actions",
        "Potential Problems for Individuals",
        "Noncompliance Costs",
        "Direct Business Costs",
        "Reputational Costs",
        "Internal Culture Costs",
        "Other",
        "Total Business Impact (per Potential Problem)",
    ]
    assert headers["worksheet 2"]["System Privacy Capabilities"] == [
        "Objective",
        "Privacy Capability",
    ]
    assert headers["worksheet 4"]["Selected Controls"] == [
        "Data Actions",
        "Potential Problems for Individuals",
        "Selected Controls",
        "Rationale",
        "System Requirements Met",
        "Residual Risks",
    ]
    assert headers["worksheet 3"]["Introduction"] == []


def test_impacts_two_row_header_is_kept_for_the_writer():
    tabs = pram_catalog.worksheet_tables()["worksheet 3"]["tabs"]
    impact = next(tab for tab in tabs if tab["name"] == "Impact")
    example, blank = impact["tables"]
    assert (example["rows"], example["example"]) == ([17, 18], True)
    assert (blank["rows"], blank["example"]) == ([24, 25], False)
    top, lower = blank["header"]
    assert {"cell": "E24:I24", "text": "Organizational Impact Factors"} in top
    assert [cell["cell"] for cell in lower] == ["E25", "F25", "G25", "H25", "I25"]
    assert lower[0]["text"] == "Noncompliance Costs"
    prioritisation = next(tab for tab in tabs if tab["name"] == "Risk Prioritization INPUT")
    assert [table["rows"] for table in prioritisation["tables"]] == [[8], [24]]
    assert prioritisation["tables"][1]["columns"] == [
        "Data Actions",
        "Potential Problems for Individuals",
        "Point Label",
        "Likelihood",
        "Impact",
    ]


def test_loaders_return_copies():
    problems = pram_catalog.problems()
    problems.loc[0, "name"] = "changed"
    mapping = pram_catalog.pf_to_pram()
    mapping.loc[0, "worksheet"] = "changed"
    pram_catalog.worksheet_headers()["worksheet 3"]["Risk"].append("changed")
    pram_catalog.worksheet_tables()["worksheet 3"]["tabs"].clear()
    assert pram_catalog.problems().loc[0, "name"] == "Dignity Loss"
    assert pram_catalog.pf_to_pram().loc[0, "worksheet"] == "Worksheet 2"
    assert len(pram_catalog.worksheet_headers()["worksheet 3"]["Risk"]) == 6
    assert len(pram_catalog.worksheet_tables()["worksheet 3"]["tabs"]) == 6


def test_shipped_manifest_counts_match_the_files():
    manifest = json.loads((SHIPPED / "manifest.json").read_text("utf-8"))
    assert manifest["counts"] == {
        "problematic_data_actions": 9,
        "problems": 7,
        "pf_to_pram": 100,
        "pf_to_nistir8062": 100,
    }
    assert set(manifest["files"].values()) | {"manifest.json"} == {
        p.name for p in SHIPPED.iterdir()
    }


# -- (c) damaged sources give a clear one-line error --------------------------------------------
@pytest.fixture
def copied(reference, tmp_path) -> Path:
    """A reference folder whose nist/pram/ is a copy (free to damage); the rest is linked."""
    root = tmp_path / "reference"
    (root / "nist").mkdir(parents=True)
    for entry in reference.iterdir():
        if entry.name != "nist":
            (root / entry.name).symlink_to(entry)
    for entry in (reference / "nist").iterdir():
        if entry.name != "pram":
            (root / "nist" / entry.name).symlink_to(entry)
    shutil.copytree(reference / "nist" / "pram", root / "nist" / "pram")
    return root


def _edit_mapping(root: Path, edits: dict[str, str | None]) -> None:
    path = root / "nist" / "pram" / MAPPING
    workbook = openpyxl.load_workbook(path)
    for cell, value in edits.items():
        workbook.worksheets[0][cell] = value
    workbook.save(path)


def test_a_mapping_row_whose_id_is_not_a_subcategory_is_refused_on_one_line(
    copied, tmp_path, capsys
):
    _edit_mapping(copied, {"D8": "ID.IM-P9: The purposes for the data actions are identified."})
    out = tmp_path / "out"
    assert convert_main([str(copied), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert err.startswith(f"nistpf.convert: {MAPPING}:Privacy Framework to PRAM:row 8: column D")
    assert "'ID.IM-P9' is not a PF 1.0 Subcategory (did you mean ID.IM-P8?)" in err
    assert "fix: start the cell with one of the Subcategory IDs" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        ({"D9": "ID.IM-P5: again"}, "row 9: column D holds ID.IM-P5 again (first on row 8)"),
        ({"D103": None}, "column D lacks 1 PF 1.0 Subcategories (PR.PT-P4)"),
        ({"D8": "no identifier here", "E8": "Worksheet 2"}, "row 8: column E holds 'Worksheet 2'"),
        ({"E2": "Worksheet"}, "no column headed 'PRAM Worksheet'"),
    ],
)
def test_damaged_mapping_rows_are_named(copied, edits, expected):
    _edit_mapping(copied, edits)
    with pytest.raises(ValueError, match=re.escape(MAPPING)) as caught:
        build_pram(copied)
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message


def test_a_catalog_line_that_is_no_entry_is_named(copied):
    path = copied / "nist" / "pram" / "catalog-PDAP.md"
    path.write_bytes(path.read_bytes().replace(b"**Distortion:**", b"Distortion:"))
    with pytest.raises(ValueError, match=r"^catalog-PDAP\.md: line 9: 'Distortion: Inaccurate"):
        build_pram(copied)


@pytest.mark.filterwarnings("ignore::UserWarning")  # openpyxl on NIST's header and footer
def test_a_renamed_worksheet_tab_is_named(copied):
    path = copied / "nist" / "pram" / "worksheet-3-prioritizing-risk.xlsx"
    workbook = openpyxl.load_workbook(path)
    workbook["Risk"].title = "Risk calculation"
    workbook.save(path)
    with pytest.raises(ValueError, match=r"worksheet-3-prioritizing-risk\.xlsx: the tabs are .*"):
        build_pram(copied)


def test_the_loader_sits_in_the_bottom_layer():
    # Like nistpf.framework: it may build on nistpf.errors, nistpf.io and nistpf.framework only.
    tree = ast.parse(Path(pram_catalog.__file__).read_text("utf-8"))
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    ours = {name for name in imported if name.split(".")[0] == "nistpf"}
    assert ours
    assert all(
        name in ("nistpf.errors", "nistpf.framework") or name.startswith("nistpf.io")
        for name in ours
    ), ours
