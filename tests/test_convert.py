"""The converter rebuilds the shipped framework data from NIST's workbooks, byte for byte."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

import nistpf
from nistpf.convert.__main__ import main as convert_main
from nistpf.convert.build import build, to_csv_text
from nistpf.convert.core import convert_core, function_name
from nistpf.convert.workbook import clean_text, split_id_text

SHIPPED = Path(nistpf.__file__).parent / "data" / "pf-1.0"


@pytest.fixture(scope="module")
def rebuilt(reference) -> dict[str, str]:
    return build(reference)


def test_rerunning_the_converter_reproduces_every_shipped_file(rebuilt):
    shipped = sorted(str(p.relative_to(SHIPPED)) for p in SHIPPED.rglob("*") if p.is_file())
    assert sorted(rebuilt) == shipped
    for relative, text in rebuilt.items():
        assert (SHIPPED / relative).read_text("utf-8") == text, (
            f"{relative} differs; rerun the converter"
        )


def test_core_parsed_from_nists_workbook_equals_the_verified_table(reference):
    core = convert_core(reference)
    expected = (reference / "nist-pf-1.0-core.csv").read_text("utf-8")
    assert to_csv_text(core) == expected


def test_manifest_records_each_source_workbook_and_its_sha256(rebuilt, reference):
    manifest = json.loads(rebuilt["manifest.json"])
    assert "nist/NIST-Privacy-Framework-V1.0-Core.xlsx" in manifest["sources"]
    assert len(manifest["sources"]) == 8
    for name, digest in manifest["sources"].items():
        assert hashlib.sha256((reference / name).read_bytes()).hexdigest() == digest
    for name, entry in manifest["crosswalks"].items():
        table = pd.read_csv(SHIPPED / entry["file"], dtype=str, keep_default_na=False)
        assert len(table) == entry["rows"], name


def test_command_line_converter_writes_a_loadable_version_folder(reference, tmp_path, capsys):
    assert convert_main([str(reference), "--out", str(tmp_path)]) == 0
    written = capsys.readouterr().out.split()
    assert str(tmp_path / "pf-1.0" / "core.csv") in written
    for path in SHIPPED.rglob("*"):
        if path.is_file():
            copy = tmp_path / "pf-1.0" / path.relative_to(SHIPPED)
            assert copy.read_bytes() == path.read_bytes()
    assert not list(tmp_path.rglob("*.tmp"))


def test_command_line_converter_reports_a_missing_folder_on_one_line(tmp_path, capsys):
    assert convert_main([str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("nistpf.convert: ")
    assert err.count("\n") == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("ID.IM-P1: Systems are inventoried.", ("ID.IM-P1", "", "Systems are inventoried.")),
        (
            "Inventory and Mapping (ID.IM-P): Data\nprocessing.",
            ("ID.IM-P", "Inventory and Mapping", "Data processing."),
        ),
        ("IDENTIFY-P (ID-P): Develop\xa0the", ("ID-P", "IDENTIFY-P", "Develop the")),
        ("ID.AM-1: Physical devices ", ("ID.AM-1", "", "Physical devices")),
        ("GV.OC-01: The organizational mission", ("GV.OC-01", "", "The organizational mission")),
        ("Shading Key:", None),
        (None, None),
    ],
)
def test_split_id_text_reads_nists_packed_cells(cell, expected):
    assert split_id_text(cell) == expected


def test_clean_text_and_function_names():
    assert clean_text(" a\xa0\n b ") == "a b"
    assert clean_text(None) == ""
    assert function_name("IDENTIFY-P") == "Identify-P"
    assert function_name("COMMUNICATE-P") == "Communicate-P"
