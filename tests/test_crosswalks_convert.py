"""Converting NIST's crosswalk workbooks: shape, row counts, values read off the workbooks,
the derived CSF 2.0 chain, and errors on content that cannot be parsed."""

from __future__ import annotations

import pandas as pd
import pytest

from nistpf.convert.core import convert_core
from nistpf.convert.crosswalks import (
    ALL_MINUS_ONE,
    CROSSWALK_COLUMNS,
    CROSSWALK_TITLES,
    convert_crosswalks,
    parse_california_cell,
    parse_gdpr_line,
    parse_iso_cell,
    parse_sp80053_cell,
)
from nistpf.convert.crosswalks_csf import Pair, csf20_id, csf20_records, merge_directions

KEYS = ["csf-1.1", "csf-2.0", "sp800-53r5", "gdpr", "ccpa", "cpra", "iso27701"]

# Row counts, established independently of the converter: the workbooks were read with
# python-calamine (not openpyxl) and counted with plain string splitting, then repeated
# (PF ID, target) pairs removed (there are none in any crosswalk):
# - sp800-53r5: comma-separated tokens in column E of "PF to SP 800-53r5", rows 4-103.
# - gdpr: 483 lines starting "Art." in the article columns E-P of "PF to GDPR", rows 4-103,
#   plus the rows that paragraph lists and ranges add: Art. 28(1,3, 4,6 &9) once (+4),
#   Art. 28(1,3,4 &9) three times (+3 each), Art. 12(3-6) once (+3): 483 + 16 = 499.
# - ccpa / cpra: non-empty lines of the CCPA (column C) / CPRA (column E) Provision cells.
# - iso27701: clause numbers after the "ISO/IEC 27701:2019" prefix in column C ("All of 6.8" and
#   "All of section 6" one each).
# - csf-1.1: "ID: text" lines in column H of "Privacy Framework to CSF" (64); the lines of
#   column D of "Cybersecurity Framework to PF" give the same 64 pairs.
# - csf-2.0: distinct (PF ID, CSF 2.0 ID) after replacing each of the 64 CSF 1.1 IDs by the list
#   in its "[Withdrawn: ...]" row of the export, or by itself written with two digits.
ROW_COUNTS = {
    "csf-1.1": 64,
    "csf-2.0": 99,
    "sp800-53r5": 472,
    "gdpr": 499,
    "ccpa": 210,
    "cpra": 228,
    "iso27701": 247,
}
RELATIONSHIPS = {
    "csf-1.1": {"bidirectional", "pf-to-target", "target-to-pf"},
    "csf-2.0": {"derived"},
}
WHERE = "book.xlsx:Sheet:row 9"


@pytest.fixture(scope="module")
def core(reference) -> pd.DataFrame:
    return convert_core(reference)


@pytest.fixture(scope="module")
def crosswalks(reference, core) -> dict[str, pd.DataFrame]:
    return convert_crosswalks(reference, core)


def targets(frame: pd.DataFrame, pf_id: str) -> list[str]:
    return frame.loc[frame["pf_id"] == pf_id, "target_id"].tolist()


def row(frame: pd.DataFrame, pf_id: str, target_id: str) -> dict[str, str]:
    found = frame[(frame["pf_id"] == pf_id) & (frame["target_id"] == target_id)]
    assert len(found) == 1, (pf_id, target_id)
    return found.iloc[0].to_dict()


def test_keys_in_order_with_titles(crosswalks):
    assert list(crosswalks) == KEYS
    assert list(CROSSWALK_TITLES) == KEYS
    assert CROSSWALK_TITLES["sp800-53r5"] == "NIST SP 800-53 Rev. 5"


@pytest.mark.parametrize("name", KEYS)
def test_shape_and_values(crosswalks, core, name):
    frame = crosswalks[name]
    assert len(frame) == ROW_COUNTS[name]
    assert list(frame.columns) == CROSSWALK_COLUMNS
    for column in CROSSWALK_COLUMNS:
        assert pd.api.types.is_string_dtype(frame[column]), column
        assert frame[column].map(type).eq(str).all(), column
    assert not frame.isna().any().any()
    assert (frame["pf_id"] != "").all()
    assert (frame["target_id"] != "").all()
    assert (frame["target_id"] == frame["target_id"].str.strip()).all()
    assert (frame["framework"] == name).all()
    assert set(frame["relationship"]) <= RELATIONSHIPS.get(name, {"pf-to-target"})
    assert not frame.duplicated(["pf_id", "target_id"]).any()
    order = {id_: position for position, id_ in enumerate(core["id"])}
    assert frame["pf_id"].isin(order).all()
    positions = frame["pf_id"].map(order)
    assert positions.is_monotonic_increasing  # PF Core order
    assert (frame["source"] != "").all()


def test_sp80053(crosswalks):
    frame = crosswalks["sp800-53r5"]
    assert targets(frame, "ID.IM-P1") == ["CM-8", "CM-12", "CM-13", "PM-5"]
    assert targets(frame, "ID.IM-P2") == ["CM-8(4)", "CM-13"]
    assert targets(frame, "GV.PO-P5") == [ALL_MINUS_ONE]
    assert targets(frame, "GV.PO-P3")[:2] == [ALL_MINUS_ONE, "CP-2"]
    assert targets(frame, "ID.RA-P2") == []  # NIST leaves the cell empty
    first = row(frame, "ID.IM-P1", "CM-8")
    assert first["source"] == "crosswalk-csf-pf-to-sp800-53r5.xlsx:PF to SP 800-53r5:row 4"
    assert first["relationship"] == "pf-to-target"
    assert first["target_text"] == first["notes"] == ""


def test_gdpr(crosswalks):
    frame = crosswalks["gdpr"]
    first = row(frame, "ID.IM-P1", "Art. 5(2)")
    assert first["target_text"] == "Accountability"
    assert first["notes"] == "Chapter II - Principles / Articles 5-11"
    assert first["source"] == "crosswalk-pf-1.0-gdpr.xlsx:PF to GDPR:row 4"
    assert targets(frame, "ID.IM-P1") == ["Art. 5(2)", "Art. 24(1)", "Art. 30", "Art. 35"]
    assert row(frame, "ID.IM-P1", "Art. 24(1)")["notes"] == (
        "Chapter IV - Controllers and Processors / Section 1 General Obligations / Articles 24-31"
    )
    # "Art. 32.4" and "Art. 13)(2)(b)" repaired; paragraph lists and ranges one row each
    assert "Art. 32(4)" in targets(frame, "ID.IM-P5")
    assert row(frame, "CT.PO-P3", "Art. 13(2)(b)")["target_text"] == (
        "Notification of right to erasure"
    )
    paragraphs = [t for t in targets(frame, "ID.DE-P3") if t.startswith("Art. 28(")]
    assert paragraphs == [f"Art. 28({n})" for n in (1, 3, 4, 6, 9)]
    assert row(frame, "ID.DE-P3", "Art. 28(6)")["target_text"] == "Processors governed by contract"
    assert targets(frame, "GV.MT-P7")[:4] == [f"Art. 12({n})" for n in (3, 4, 5, 6)]
    # NIST's bracketed drafting note travels with its cell's rows
    assert row(frame, "ID.BE-P1", "Art. 13")["notes"].endswith(
        "Articles 13-15; [Note who has oblighations under these articles]"
    )
    assert not frame["target_id"].str.contains("Limitations|warranty").any()


def test_ccpa_and_cpra(crosswalks):
    ccpa, cpra = crosswalks["ccpa"], crosswalks["cpra"]
    assert row(ccpa, "ID.IM-P1", "1798.100")["source"] == (
        "crosswalk-pf-1.0-ccpa-cpra.xlsx:Privacy Framework to Source:row 5"
    )
    assert targets(ccpa, "ID.RA-P3") == ["1798.150", "1798.155", "§ 999.317"]
    assert row(ccpa, "ID.RA-P3", "§ 999.317")["notes"] == (
        "In addition to the CCPA, CCPA regulations provide separate record-keeping requirements."
    )
    assert targets(ccpa, "ID.BE-P3") == []  # CPRA-only row
    assert targets(cpra, "ID.BE-P3") == ["1798.100"]
    # CPRA-only sections
    assert "1798.106" in targets(cpra, "CT.DM-P1")
    assert "1798.121" in targets(cpra, "CT.DM-P1")
    assert "1798.106" not in targets(ccpa, "CT.DM-P1")
    assert set(cpra["target_id"]) - set(ccpa["target_id"]) == {"1798.106", "1798.121", "1798.185"}
    assert row(cpra, "ID.DE-P1", "1798.185")["notes"].startswith(
        "185 Regulations - Attorney General must establish rules"
    )
    # a note with no provision beside it yields no row
    assert targets(cpra, "GV.PO-P2") == []
    assert targets(ccpa, "GV.PO-P2") == ["§ 999.317"]
    assert targets(ccpa, "PR-P") == []
    assert targets(cpra, "PR-P") == []


def test_iso27701(crosswalks):
    frame = crosswalks["iso27701"]
    assert targets(frame, "ID.IM-P1") == ["7.2.8", "8.2.6"]
    assert targets(frame, "ID.IM-P5") == ["7.2.1", "8.2.2", "7.2.5"]  # NIST's order
    split = targets(frame, "CT.PO-P2")  # "7.3.10 7.5.1": NIST left out a comma
    assert split[split.index("7.3.10") + 1] == "7.5.1"
    assert targets(frame, "PR.PO-P4") == ["6.8"]
    assert targets(frame, "PR.DS-P5") == ["6"]
    assert row(frame, "ID.IM-P1", "7.2.8")["source"] == (
        "crosswalk-pf-1.0-iso27701.xlsx:Privacy Framework to Source:row 5"
    )


def test_csf11(crosswalks):
    frame = crosswalks["csf-1.1"]
    pair = row(frame, "ID.IM-P1", "ID.AM-1")
    assert pair["relationship"] == "bidirectional"
    assert (
        pair["target_text"]
        == "Physical devices and systems within the organization are inventoried"
    )
    assert pair["source"] == (
        "crosswalk-pf-1.0-csf-1.1.xlsx:Privacy Framework to CSF:row 4 | "
        "crosswalk-pf-1.0-csf-1.1.xlsx:Cybersecurity Framework to PF:row 4"
    )
    assert targets(frame, "ID.IM-P7") == ["ID.AM-1", "ID.AM-2", "ID.AM-4"]
    assert targets(frame, "PR.AC-P6") == ["PR.AC-6", "PR.AC-7"]
    # NIST's two sheets list exactly the same 64 pairs: no pair appears in one direction only
    assert set(frame["relationship"]) == {"bidirectional"}


def test_merge_directions_marks_one_way_pairs():
    forward = [
        Pair("P1", "A-1", "a", "f:4"),
        Pair("P1", "A-2", "", "f:4"),
        Pair("P1", "A-1", "a", "f:5"),
    ]
    backward = [Pair("P2", "B-1", "b", "b:9"), Pair("P1", "A-1", "a2", "b:4")]
    merged = merge_directions(forward, backward)
    assert [(r["pf_id"], r["target_id"], r["relationship"], r["source"]) for r in merged] == [
        ("P1", "A-1", "bidirectional", "f:4 | b:4"),
        ("P1", "A-2", "pf-to-target", "f:4"),
        ("P2", "B-1", "target-to-pf", "b:9"),
    ]
    assert merged[0]["target_text"] == "a"


def test_csf20_derived(crosswalks):
    frame = crosswalks["csf-2.0"]
    first = row(frame, "ID.IM-P1", "ID.AM-01")
    assert first["relationship"] == "derived"
    assert first["source"] == (
        "derived via csf-1.1 ID.AM-1; csf-2.0-reference-tool-export.xlsx:CSF 2.0:row 44"
    )
    assert (
        first["target_text"] == "Inventories of hardware managed by the organization are maintained"
    )
    # withdrawn CSF 1.1 Subcategories go where the export says, Categories included
    assert targets(frame, "GV.PO-P1") == ["GV.PO", "GV.PO-01", "GV.PO-02"]
    moved = row(frame, "GV.PO-P6", "GV.RM-04")
    assert moved["source"] == (
        "derived via csf-1.1 ID.GV-4; csf-2.0-reference-tool-export.xlsx:CSF 2.0:row 78"
    )
    assert moved["notes"] == "Withdrawn: Moved to GV.RM-04"
    assert targets(frame, "GV.PO-P6") == ["GV.RM-04"]  # not GV.RM-03, which only cites ID.GV-4
    assert targets(frame, "GV.PO-P3") == ["GV.RR-02", "GV.SC-02"]  # via ID.AM-6
    assert targets(frame, "PR.AC-P6") == ["PR.AA-02", "PR.AA-03"]
    assert set(frame["pf_id"]) == set(crosswalks["csf-1.1"]["pf_id"])


def test_csf20_keeps_first_of_converging_paths(reference):
    # PR.AT-3 was incorporated into PR.AT-01 and PR.AT-02; PR.AT-4 into PR.AT-02
    links = [
        {"pf_id": "GV.AT-P4", "target_id": "PR.AT-3"},
        {"pf_id": "GV.AT-P4", "target_id": "PR.AT-4"},
    ]
    records = csf20_records(reference, links)
    assert [(r["target_id"], r["source"].split(";")[0]) for r in records] == [
        ("PR.AT-01", "derived via csf-1.1 PR.AT-3"),
        ("PR.AT-02", "derived via csf-1.1 PR.AT-3"),
    ]


def test_csf20_id():
    assert csf20_id("ID.AM-1") == "ID.AM-01"
    assert csf20_id("PR.IP-12") == "PR.IP-12"


def test_parsers_on_well_formed_cells():
    assert parse_sp80053_cell("CM-8, CM-12,\nPM-5(1) ", WHERE) == ["CM-8", "CM-12", "PM-5(1)"]
    assert parse_sp80053_cell(" -1 controls from all security control families", WHERE) == [
        ALL_MINUS_ONE
    ]
    assert parse_gdpr_line("Art. 30: Records of Processing", WHERE) == [
        ("Art. 30", "Records of Processing")
    ]
    assert parse_gdpr_line("Art. 32.4: Security", WHERE) == [("Art. 32(4)", "Security")]
    assert parse_california_cell(100, WHERE) == ["1798.100"]
    assert parse_california_cell(150.0, WHERE) == ["1798.150"]
    assert parse_california_cell("150\n155\nCCPA Regulations § 999.317", WHERE) == [
        "1798.150",
        "1798.155",
        "§ 999.317",
    ]
    assert parse_iso_cell("ISO/IEC 27701:2019 5.2.2, 7.3.9, 8.3.1, ", WHERE) == [
        "5.2.2",
        "7.3.9",
        "8.3.1",
    ]


@pytest.mark.parametrize(
    ("parse", "cell"),
    [
        (parse_sp80053_cell, "CM-8, see SP 800-53B"),
        (parse_gdpr_line, "Recital 39: Transparency"),
        (parse_gdpr_line, "Art. 5(x)(y): Odd"),
        (parse_california_cell, "1798.100 et seq. as amended"),
        (parse_iso_cell, "ISO/IEC 27701:2019 7.2.8, Annex A"),
        (parse_iso_cell, "ISO/IEC 27001:2013 A.18"),
    ],
)
def test_unparseable_cell_raises_naming_the_row(parse, cell):
    with pytest.raises(ValueError, match=r"book\.xlsx:Sheet:row 9: .*in cell") as raised:
        parse(cell, WHERE)
    assert repr(cell.strip())[1:-1][:20] in str(raised.value)


def test_unknown_pf_id_raises_naming_file_sheet_and_row(reference, core):
    with pytest.raises(ValueError, match=r"Privacy Framework to CSF:row 4: 'ID\.IM-P1' is not"):
        convert_crosswalks(reference, core[core["id"] != "ID.IM-P1"])


def test_deterministic(reference, crosswalks, core):
    again = convert_crosswalks(reference, core)
    assert list(again) == list(crosswalks)
    for name, frame in crosswalks.items():
        pd.testing.assert_frame_equal(again[name], frame)
