"""The synthetic inventory generator: valid against the schema, deterministic, right-sized."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest

import nistpf
from nistpf.inventory import schema
from nistpf.synth import FIDES_CATEGORIES, synthetic_inventory, write_synthetic_workbook

SMALL = {"systems": 50, "controls": 200, "flows": 300}


@pytest.fixture(scope="module")
def small() -> dict[str, pd.DataFrame]:
    return synthetic_inventory(**SMALL, seed=7)


@pytest.fixture(scope="module")
def large() -> dict[str, pd.DataFrame]:
    """Big enough for the shares (20 % ALL, 2 % external, ≈5 Subcategories) to settle."""
    return synthetic_inventory(systems=500, controls=4000, flows=10000, seed=11)


def tokens(cell: str) -> list[str]:
    return [token for token in cell.split("; ") if token]


def test_every_sheet_has_the_template_columns_in_order(small):
    assert list(small) == [spec.name for spec in schema.SHEETS]
    for spec in schema.SHEETS:
        assert list(small[spec.name].columns) == spec.column_names, spec.name


def test_sheets_have_the_sizes_asked_for(small):
    assert len(small["Systems"]) == 50
    assert len(small["Controls"]) == 200
    assert len(small["DataFlows"]) == 300
    assert len(small["Tiers"]) == len(schema.TIER_ATTRIBUTES)
    assert list(small["About"]["field"]) == [
        "client",
        "engagement",
        "assessor",
        "date",
        "framework_version",
        "scale",
    ]
    assert len(small["Profile"]) > 0
    assert len(small["Responses"]) > 0


def test_ids_are_unique(small):
    assert small["Systems"]["system_id"].is_unique
    assert small["Controls"]["control_id"].is_unique
    assert small["DataFlows"]["flow_id"].is_unique
    assert small["Profile"]["pf_id"].is_unique
    assert not small["Responses"].duplicated(["subcategory", "system"]).any()


def test_choices_are_spelled_as_the_schema_spells_them(large):
    systems, controls, flows = large["Systems"], large["Controls"], large["DataFlows"]
    assert set(systems["type"]) <= set(schema.SYSTEM_TYPES)
    assert set(systems["criticality"]) == set(schema.CRITICALITIES)
    assert set(systems["in_scope"]) == {"yes", "no"}
    assert set(controls["status"]) == set(schema.STATUSES)
    assert set(flows["stage"]) == set(schema.STAGES)
    assert set(flows["minimization"]) == set(schema.MINIMIZATIONS)
    assert set(flows["encrypted_in_transit"]) == {"yes", "no", ""}
    assert set(flows["third_party"]) == {"yes", "no"}
    assert set(large["Profile"]["priority"]) <= set(schema.PRIORITIES)
    assert set(large["Profile"]["in_profile"]) == {"yes", "no"}
    assert set(large["Responses"]["method"]) <= set(schema.METHODS)
    assert list(large["Tiers"]["attribute"]) == list(schema.TIER_ATTRIBUTES)
    assert large["Tiers"]["tier"].between(1, 4).all()


def test_status_mix_is_realistic(large):
    share = large["Controls"]["status"].value_counts(normalize=True)
    assert share["Implemented"] == pytest.approx(0.45, abs=0.03)
    assert share["Not applicable"] == pytest.approx(0.05, abs=0.02)


def test_controls_map_to_three_to_seven_real_subcategories(large, fw):
    real = set(fw.subcategories["id"])
    for cell in large["Controls"]["subcategories"]:
        ids = tokens(cell)
        assert 3 <= len(ids) <= 7, cell
        assert len(set(ids)) == len(ids), cell
        assert set(ids) <= real, cell


def test_mappings_are_about_five_per_control(large):
    mappings = large["Controls"]["subcategories"].map(lambda cell: len(tokens(cell))).sum()
    assert mappings == pytest.approx(5 * len(large["Controls"]), rel=0.03)


def test_applies_to_is_all_a_type_selector_or_one_to_five_system_ids(large):
    systems = set(large["Systems"]["system_id"])
    applies_to = large["Controls"]["applies_to"]
    assert (applies_to == schema.ALL_SYSTEMS).mean() == pytest.approx(0.20, abs=0.02)
    selectors = applies_to[applies_to.str.startswith(schema.TYPE_SELECTOR)]
    assert len(selectors) > 0
    assert set(selectors.str.removeprefix(schema.TYPE_SELECTOR)) <= set(large["Systems"]["type"])
    explicit = applies_to[
        (applies_to != schema.ALL_SYSTEMS) & ~applies_to.index.isin(selectors.index)
    ]
    for cell in explicit:
        ids = tokens(cell)
        assert 1 <= len(ids) <= 5, cell
        assert len(set(ids)) == len(ids), cell
        assert set(ids) <= systems, cell


def test_flow_endpoints_are_system_ids_or_external_parties(large):
    systems = set(large["Systems"]["system_id"])
    flows = large["DataFlows"]
    endpoints = pd.concat([flows["source"], flows["destination"]])
    external = endpoints.str.startswith(schema.EXTERNAL_PREFIX)
    assert set(endpoints[~external]) <= systems
    assert (endpoints[external].str.len() > len(schema.EXTERNAL_PREFIX)).all()
    share = (
        flows["source"].str.startswith(schema.EXTERNAL_PREFIX)
        | flows["destination"].str.startswith(schema.EXTERNAL_PREFIX)
    ).mean()
    assert share == pytest.approx(0.02, abs=0.01)
    # A flow that leaves for an outside party reaches a third party.
    leaving = flows["destination"].str.startswith(schema.EXTERNAL_PREFIX)
    assert (flows.loc[leaving, "third_party"] == "yes").all()


def test_maturity_only_on_implemented_or_partially_implemented_controls(large):
    controls = large["Controls"]
    rated = controls["maturity"].notna()
    assert set(controls.loc[rated, "status"]) == {"Implemented", "Partially implemented"}
    assert controls.loc[rated, "maturity"].between(0, 4).all()
    eligible = controls["status"].isin(["Implemented", "Partially implemented"])
    assert rated[eligible].mean() == pytest.approx(0.5, abs=0.05)


def test_data_categories_are_fides_keys(small):
    for frame in (small["Systems"], small["DataFlows"]):
        for cell in frame["data_categories"]:
            assert tokens(cell), cell
            assert set(tokens(cell)) <= set(FIDES_CATEGORIES), cell


def test_fides_keys_exist_in_the_fides_taxonomy(fides_csv):
    taxonomy = set(pd.read_csv(fides_csv)["fides_key"])
    assert set(FIDES_CATEGORIES) <= taxonomy


def test_cells_are_what_a_person_would_type(small):
    controls = small["Controls"]
    tested = controls["last_tested"].dropna()
    assert len(tested) > 0
    assert all(type(value) is dt.date for value in tested)
    assert all(type(value) is dt.date for value in small["Responses"]["date"])
    assert not controls["applies_to"].str.contains(",").any()
    assert small["Systems"]["records"].ge(0).all()
    assert small["DataFlows"]["retention_days"].dropna().gt(0).all()


def test_same_seed_gives_equal_frames_and_another_seed_differs():
    first = synthetic_inventory(**SMALL, seed=3)
    again = synthetic_inventory(**SMALL, seed=3)
    other = synthetic_inventory(**SMALL, seed=4)
    for name in first:
        pd.testing.assert_frame_equal(first[name], again[name])
    assert not first["Controls"].equals(other["Controls"])
    assert not first["DataFlows"].equals(other["DataFlows"])


def test_tiny_inventories_are_still_valid():
    frames = synthetic_inventory(systems=1, controls=3, flows=2, seed=0)
    only = frames["Systems"]["system_id"].iloc[0]
    for cell in frames["Controls"]["applies_to"]:
        assert cell in (schema.ALL_SYSTEMS, only) or cell.startswith(schema.TYPE_SELECTOR)
    for endpoint in frames["DataFlows"][["source", "destination"]].to_numpy().ravel():
        assert endpoint == only or endpoint.startswith(schema.EXTERNAL_PREFIX)
    empty = synthetic_inventory(systems=2, controls=0, flows=0)
    assert empty["Controls"].empty
    assert list(empty["Controls"].columns) == schema.CONTROLS.column_names


@pytest.mark.parametrize(
    ("argument", "value"), [("systems", 0), ("controls", -1), ("flows", 2.5), ("systems", True)]
)
def test_bad_sizes_name_the_argument(argument, value):
    with pytest.raises(ValueError, match=argument):
        synthetic_inventory(**{argument: value})


def test_written_workbook_reads_back_with_the_sheets_and_rows(tmp_path, small):
    path = write_synthetic_workbook(tmp_path / "synthetic.xlsx", **SMALL, seed=7)
    assert path == tmp_path / "synthetic.xlsx"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["synthetic.xlsx"]
    workbook = openpyxl.load_workbook(path, read_only=True)
    assert workbook.sheetnames == list(small)
    for name, frame in small.items():
        rows = list(workbook[name].iter_rows(values_only=True))
        assert list(rows[0]) == list(frame.columns), name
        assert len(rows) == len(frame) + 1, name
    first = next(workbook["Controls"].iter_rows(min_row=2, max_row=2, values_only=True))
    assert first[0] == small["Controls"]["control_id"].iloc[0]
    workbook.close()


def test_the_loader_reads_the_written_workbook_without_issues(tmp_path):
    path = write_synthetic_workbook(tmp_path / "synthetic.xlsx", **SMALL, seed=5)
    inventory = nistpf.load_inventory(path)
    assert len(inventory.systems) == SMALL["systems"]
    assert len(inventory.controls) == SMALL["controls"]
    assert len(inventory.flows) == SMALL["flows"]
    assert inventory.issues.empty, inventory.issues.to_string()
