"""The Privacy Framework as shipped: counts, NIST's exact texts, Tiers, lookups, versions."""

from __future__ import annotations

import csv
import importlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import nistpf

framework_module = importlib.import_module("nistpf.framework")

CATEGORY_SIZES = {
    "ID.IM-P": 8, "ID.BE-P": 3, "ID.RA-P": 5, "ID.DE-P": 5, "GV.PO-P": 6, "GV.RM-P": 3,
    "GV.AT-P": 4, "GV.MT-P": 7, "CT.PO-P": 4, "CT.DM-P": 10, "CT.DP-P": 5, "CM.PO-P": 2,
    "CM.AW-P": 8, "PR.PO-P": 10, "PR.AC-P": 6, "PR.DS-P": 8, "PR.MA-P": 2, "PR.PT-P": 4,
}  # fmt: skip


def read_reference(reference: Path, name: str) -> list[dict[str, str]]:
    with (reference / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_pf_1_0_has_5_functions_18_categories_100_subcategories(fw):
    assert len(fw.functions) == 5
    assert len(fw.categories) == 18
    assert len(fw.subcategories) == 100
    assert fw.subcategories.groupby("category").size().to_dict() == CATEGORY_SIZES
    assert list(fw.functions["id"]) == ["ID-P", "GV-P", "CT-P", "CM-P", "PR-P"]
    assert list(fw.functions["name"]) == [
        "Identify-P", "Govern-P", "Control-P", "Communicate-P", "Protect-P",
    ]  # fmt: skip


def test_core_ids_and_texts_equal_the_verified_reference(fw, reference):
    expected = read_reference(reference, "nist-pf-1.0-core.csv")
    core = fw.core
    assert list(core["id"]) == [row["id"] for row in expected]
    assert list(core["text"]) == [row["text"] for row in expected]
    assert list(core["name"]) == [row["name"] for row in expected]
    assert list(core["parent_id"]) == [row["parent_id"] for row in expected]
    assert list(core["level"]) == [row["level"] for row in expected]


def test_shipped_core_file_is_the_reference_csv_text_for_text(reference):
    shipped = (Path(nistpf.__file__).parent / "data" / "pf-1.0" / "core.csv").read_text("utf-8")
    assert shipped == (reference / "nist-pf-1.0-core.csv").read_text("utf-8")


def test_tiers_equal_the_verified_reference(fw, reference):
    expected = read_reference(reference, "nist-pf-1.0-tiers.csv")
    tiers = fw.tiers
    assert tiers.shape == (16, 4)
    assert tiers["tier"].tolist() == [int(row["tier"]) for row in expected]
    for column in ("tier_name", "attribute", "text"):
        assert tiers[column].tolist() == [row[column] for row in expected]
    assert sorted(tiers["tier_name"].unique()) == [
        "Adaptive", "Partial", "Repeatable", "Risk Informed",
    ]  # fmt: skip
    assert tiers.groupby("tier")["attribute"].nunique().tolist() == [4, 4, 4, 4]


def test_subcategory_rows_name_their_function_and_category(fw):
    row = fw.subcategories.set_index("id").loc["PR.DS-P2"]
    assert row["function"] == "PR-P"
    assert row["category"] == "PR.DS-P"
    assert row["function_name"] == "Protect-P"
    assert row["category_name"] == "Data Security"
    assert fw.categories.set_index("id").loc["CT.DM-P", "function_name"] == "Control-P"


def test_get_returns_the_element_with_its_crosswalk_references(fw):
    element = fw.get("id.im-p1")
    assert element.id == "ID.IM-P1"
    assert element.level == "subcategory"
    assert element.text == "Systems/products/services that process data are inventoried."
    assert (element.function, element.category, element.parent_id) == ("ID-P", "ID.IM-P", "ID.IM-P")
    assert [r.target_id for r in element.references["sp800-53r5"]] == [
        "CM-8", "CM-12", "CM-13", "PM-5",
    ]  # fmt: skip
    assert set(element.references) <= set(fw.crosswalks())
    assert str(element).startswith("ID.IM-P1: Systems/products/services")
    category = fw.get("CT.DM-P")
    assert (category.level, category.name) == ("category", "Data Processing Management")


def test_children_of_a_category_a_function_and_a_subcategory(fw):
    assert list(fw.children("ID.IM-P")["id"]) == [f"ID.IM-P{i}" for i in range(1, 9)]
    assert list(fw.children("gv-p")["id"]) == ["GV.PO-P", "GV.RM-P", "GV.AT-P", "GV.MT-P"]
    assert fw.children("ID.IM-P1").empty


def test_search_matches_every_word_case_insensitively(fw):
    assert list(fw.search("consent")["id"]) == ["CT.PO-P1", "CM.AW-P8"]
    assert list(fw.search("DATA Deletion")["id"]) == [
        "CT.PO-P2",
        "CT.DM-P4",
        "CM.AW-P5",
        "CM.AW-P8",
    ]
    assert list(fw.search("inventory and mapping")["id"]) == ["ID.IM-P"]
    assert fw.search("no such outcome anywhere").empty


def test_unknown_version_lists_the_available_versions():
    with pytest.raises(nistpf.UnknownVersionError) as caught:
        nistpf.framework("9.9")
    assert "9.9" in str(caught.value)
    assert "1.0" in str(caught.value)
    assert caught.value.available == ("1.0",)
    assert caught.value.code == "unknown-version"


def test_tables_are_copies_the_framework_never_changes(fw):
    table = fw.subcategories
    table.loc[0, "text"] = "changed"
    core = fw.core
    core.loc[0, "id"] = "changed"
    gdpr = fw.crosswalk("gdpr")
    gdpr.iloc[0, 0] = "changed"
    assert fw.subcategories.loc[0, "text"] != "changed"
    assert fw.core.loc[0, "id"] == "ID-P"
    assert fw.crosswalk("gdpr").iloc[0, 0] != "changed"


def test_adding_a_version_is_a_data_change(tmp_path, monkeypatch):
    """A folder ``pf-<version>`` with a manifest is all a new version needs."""
    shipped = Path(nistpf.__file__).parent / "data"
    root = tmp_path / "nistpf"
    shutil.copytree(shipped, root / "data")
    draft = root / "data" / "pf-1.1"
    shutil.copytree(root / "data" / "pf-1.0", draft)
    manifest = json.loads((draft / "manifest.json").read_text("utf-8"))
    manifest.update(version="1.1", status="draft", title="A draft for this test")
    (draft / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    core = pd.read_csv(draft / "core.csv", dtype=str, keep_default_na=False)
    core.loc[core["id"] == "ID.IM-P1", "text"] = "A changed outcome."
    core.to_csv(draft / "core.csv", index=False)

    monkeypatch.setattr(framework_module, "_data_root", lambda: root / "data")
    framework_module._manifests.cache_clear()
    framework_module._load.cache_clear()
    try:
        assert nistpf.versions() == ["1.0", "1.1"]
        assert framework_module.default_version() == "1.0"  # a draft is never the default
        assert nistpf.framework("1.1").get("ID.IM-P1").text == "A changed outcome."
        assert nistpf.framework().version == "1.0"
    finally:
        framework_module._manifests.cache_clear()
        framework_module._load.cache_clear()


def test_repr_and_manifest_describe_the_publication(fw):
    assert repr(fw) == (
        "<Framework NIST Privacy Framework 1.0: 5 Functions, 18 Categories, 100 Subcategories>"
    )
    manifest = fw.manifest
    assert manifest["doi"] == "10.6028/NIST.CSWP.01162020"
    assert manifest["counts"] == {"function": 5, "category": 18, "subcategory": 100}
    manifest["version"] = "changed"
    assert fw.version == "1.0"
