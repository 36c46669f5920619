"""The bundled CX sample: it loads clean, it is the story data/README.md tells, and its workbook
is built from its CSV files with the template writer."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

import nistpf
from nistpf.inventory.schema import SHEETS, STAGES
from nistpf.sample import build_sample_workbook, sample_path


@pytest.fixture(scope="module")
def sample() -> nistpf.Inventory:
    return nistpf.load_inventory(sample_path("xlsx"))


def test_the_sample_loads_with_no_errors_and_one_deliberate_warning(sample):
    assert sample.issues[["severity", "sheet", "column", "code"]].values.tolist() == [
        ["warning", "DataFlows", "destination", "unknown-flow-system"]
    ]


def test_the_sample_is_the_size_the_story_needs(sample):
    assert 12 <= len(sample.systems) <= 20
    assert len(sample.controls) >= 50
    assert len(sample.flows) >= 25
    assert set(sample.flows["stage"]) == set(STAGES)
    types = set(sample.systems["type"])
    assert {"CRM", "CDP", "CCaaS", "Ticketing", "Chatbot", "AI", "Survey", "Marketing"} <= types
    assert {"Analytics", "DataWarehouse", "Payments", "Identity"} <= types
    statuses = sample.controls["status"].value_counts()
    assert set(statuses.index) == {
        "Implemented", "Partially implemented", "Planned", "Not implemented", "Not applicable",
    }  # fmt: skip
    assert statuses["Implemented"] < len(sample.controls) * 0.6
    functions = {i.split(".")[0] for i in sample.control_subcategories["subcategory"]}
    assert functions == {"ID", "GV", "CT", "CM", "PR"}
    assert not sample.profile.empty
    assert len(sample.responses) >= 3
    assert len(sample.tiers) == 4
    assert sample.about_value("client")
    assert (~sample.systems["in_scope"]).sum() >= 1


def test_the_sample_carries_the_weaknesses_real_cx_stacks_have(sample):
    flows = sample.flows
    known = set(sample.systems["system_id"])
    external = flows["destination"].str.startswith("external:")
    assert (flows["encrypted_in_transit"] == False).any()  # noqa: E712 - nullable boolean
    assert (flows["purpose"] == "").any()
    shared = external | flows["third_party"].fillna(False)
    assert (shared & (flows["consent_basis"] == "")).any()
    assert ((flows["stage"] == "storage") & flows["retention_days"].isna()).any()
    sensitive = flows["data_categories"].map(
        lambda cats: any(
            c.startswith(("user.financial", "user.biometric", "user.health_and_medical",
                          "user.government_id", "user.location.precise", "user.childrens"))
            for c in cats
        )
    )  # fmt: skip
    assert (sensitive & (flows["minimization"] == "none")).any()
    endpoints = set(flows["source"]) | set(flows["destination"])
    assert any(e not in known and not e.startswith("external:") for e in endpoints)
    ai = set(sample.systems.query("type == 'AI'")["system_id"])
    assert flows["destination"].isin(ai).any()


def test_workbook_and_csv_files_hold_the_same_inventory(sample):
    from_csv = nistpf.load_inventory(sample_path("csv"))
    tables = ["systems", "controls", "control_subcategories", "control_systems", "flows"]
    for table in [*tables, "profile", "responses", "tiers", "about"]:
        left = getattr(sample, table).drop(columns="excel_row", errors="ignore")
        right = getattr(from_csv, table).drop(columns="excel_row", errors="ignore")
        pd.testing.assert_frame_equal(left, right, check_dtype=False, obj=table)


def test_the_workbook_is_rebuilt_from_the_csv_files_by_the_template_writer(tmp_path, sample):
    rebuilt = nistpf.load_inventory(build_sample_workbook(path=tmp_path / "cx-sample.xlsx"))
    for table in ("systems", "controls", "flows", "profile", "responses", "tiers", "about"):
        pd.testing.assert_frame_equal(getattr(rebuilt, table), getattr(sample, table), obj=table)
    workbook = openpyxl.load_workbook(sample_path("xlsx"), read_only=True)
    template = openpyxl.load_workbook(nistpf.write_template(tmp_path / "t.xlsx"), read_only=True)
    assert workbook.sheetnames == template.sheetnames
    for sheet in SHEETS:
        headers = [c.value for c in next(workbook[sheet.name].iter_rows(max_row=1))]
        expected = [c.value for c in next(template[sheet.name].iter_rows(max_row=1))]
        assert headers[: len(expected)] == expected
