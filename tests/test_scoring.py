"""The scoring method, pinned with hand-computed numbers."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import nistpf
from tests.inventory_files import THREE_SYSTEMS, healthy_flow, small_inventory

SYSTEMS = THREE_SYSTEMS.drop(columns="data_categories")


def inventory(
    controls, flows=(), profile=None, responses=None, systems=SYSTEMS, tiers=None, about=None
):
    return small_inventory(
        controls, flows, systems=systems, Profile=profile, Responses=responses, Tiers=tiers,
        About=about,
    )  # fmt: skip


def sub(assessment, subcategory):
    return assessment.subcategories.set_index("subcategory").loc[subcategory]


def levels(assessment, subcategory):
    table = assessment.levels
    return table[table["subcategory"] == subcategory].set_index("system")


# -- the worked example ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def worked():
    return nistpf.assess(
        inventory(
            [["CTL-1", "TLS everywhere", "Implemented", None, "PR.DS-P2", "ALL"]],
            [healthy_flow("F-1", "CRM", "CDP", encrypted_in_transit="no")],
        )
    )


def test_worked_example_levels_current_and_coverage(worked):
    table = levels(worked, "PR.DS-P2")
    assert table["level"].to_dict() == {"CRM": 1.0, "CDP": 1.0, "BOT": 3.0}
    assert table["capped_by"].to_dict() == {"CRM": "R01:F-1", "CDP": "R01:F-1", "BOT": ""}
    assert table["control"].to_dict() == {"CRM": "CTL-1", "CDP": "CTL-1", "BOT": "CTL-1"}
    row = sub(worked, "PR.DS-P2")
    assert row["derived"] == pytest.approx((3 * 1 + 2 * 1 + 1 * 3) / 6)
    assert round(row["current"], 2) == 1.33
    assert row["source"] == "derived"
    assert row["coverage"] == 1.0
    assert row["gap"] == pytest.approx(3 - 8 / 6)
    assert row["gap_points"] == pytest.approx((3 - 8 / 6) * 2)
    assert row["controls"] == ("CTL-1",)
    assert row["findings"] == ("R01:F-1",)
    assert (row["systems_in_scope"], row["systems_covered"]) == (3, 3)


def test_worked_example_explained(worked):
    why = worked.explain("pr.ds-p2")
    assert why.arithmetic == "(3×1 + 2×1 + 1×3) / 6 = 1.33"
    assert why.systems_covered == ["CRM", "CDP", "BOT"]
    assert why.systems_not_covered == []
    assert list(why.controls["control_id"]) == ["CTL-1"]
    assert list(why.findings["finding_id"]) == ["R01:F-1"]
    text = str(why)
    assert text.startswith("PR.DS-P2: Data-in-transit are protected.")
    assert (
        "current 1.33 (between Partial and Risk informed, derived); target 3 (Moderate "
        "priority); gap 1.67; coverage 100%" in text
    )
    assert "derived = (3×1 + 2×1 + 1×3) / 6 = 1.33" in text
    assert "CTL-1 TLS everywhere — Implemented, level 3, applies to all systems" in text
    assert "finding R01:F-1 (cap 1):" in text


def test_a_subcategory_with_no_control_scores_zero_and_names_every_system_uncovered(worked):
    row = sub(worked, "ID.IM-P1")
    assert (row["current"], row["coverage"], row["gap"], row["gap_points"]) == (0.0, 0.0, 3.0, 6.0)
    why = worked.explain("ID.IM-P1")
    assert why.systems_not_covered == ["CRM", "CDP", "BOT"]
    assert "no control is mapped to it" in str(why)
    assert why.arithmetic == "(3×0 + 2×0 + 1×0) / 6 = 0.00"


# -- levels ----------------------------------------------------------------------------------


def test_control_level_is_maturity_for_implemented_controls_else_the_status_default():
    a = nistpf.assess(
        inventory(
            [
                ["C1", "a", "Implemented", 4, "PR.AC-P1", "CRM"],
                ["C2", "b", "Partially implemented", 2, "PR.AC-P1", "CDP"],
                ["C3", "c", "Partially implemented", None, "PR.AC-P1", "BOT"],
                ["C4", "d", "Planned", 3, "PR.AC-P2", "ALL"],  # maturity ignored when planned
                ["C5", "e", "Not implemented", None, "PR.AC-P3", "ALL"],
            ]
        )
    )
    assert levels(a, "PR.AC-P1")["level"].to_dict() == {"CRM": 4.0, "CDP": 2.0, "BOT": 1.0}
    assert sub(a, "PR.AC-P1")["derived"] == pytest.approx((3 * 4 + 2 * 2 + 1 * 1) / 6)
    assert sub(a, "PR.AC-P1")["coverage"] == pytest.approx((3 * 1 + 2 * 0.5 + 1 * 0.5) / 6)
    assert levels(a, "PR.AC-P2")["level"].tolist() == [0.0, 0.0, 0.0]
    assert sub(a, "PR.AC-P3")["coverage"] == 0.0


def test_the_best_control_wins_and_not_applicable_controls_are_ignored():
    a = nistpf.assess(
        inventory(
            [
                ["C1", "weak everywhere", "Partially implemented", None, "CT.DM-P5", "ALL"],
                ["C2", "strong on CRM", "Implemented", 4, "CT.DM-P5", "CRM"],
                ["C3", "N/A on CDP", "Not applicable", None, "CT.DM-P5", "CDP"],
                ["C4", "by type", "Implemented", None, "CT.DM-P5", "type:Chatbot"],
            ]
        )
    )
    table = levels(a, "CT.DM-P5")
    assert table["level"].to_dict() == {"CRM": 4.0, "CDP": 1.0, "BOT": 3.0}
    assert table["control"].to_dict() == {"CRM": "C2", "CDP": "C1", "BOT": "C4"}
    assert sub(a, "CT.DM-P5")["controls"] == ("C1", "C2", "C4")
    assert sub(a, "CT.DM-P5")["coverage"] == pytest.approx((3 * 1 + 2 * 0.5 + 1 * 1) / 6)


def test_out_of_scope_systems_do_not_count():
    systems = SYSTEMS.assign(in_scope=["yes", "yes", "no"])
    a = nistpf.assess(
        inventory([["C1", "a", "Implemented", None, "PR.DS-P1", "BOT"]], systems=systems)
    )
    assert sub(a, "PR.DS-P1")["derived"] == 0.0
    assert sub(a, "PR.DS-P1")["systems_in_scope"] == 2
    assert set(a.levels["system"]) == {"CRM", "CDP"}


def test_assessor_ratings_per_system_replace_the_level_and_organisation_ratings_become_current():
    responses = pd.DataFrame(
        {
            "subcategory": ["PR.DS-P1", "PR.DS-P1", "GV.PO-P1"],
            "system": ["CRM", "", ""],
            "current": [1, 2, 4],
        }
    )
    a = nistpf.assess(
        inventory(
            [["C1", "a", "Implemented", None, "PR.DS-P1; GV.PO-P1", "ALL"]], responses=responses
        )
    )
    table = levels(a, "PR.DS-P1")
    assert table["level"].to_dict() == {"CRM": 1.0, "CDP": 3.0, "BOT": 3.0}
    assert table.loc["CRM", "source"] == "assessor"
    assert table.loc["CRM", "control"] == "assessor"
    row = sub(a, "PR.DS-P1")
    assert row["derived"] == pytest.approx((3 * 1 + 2 * 3 + 1 * 3) / 6)
    assert (row["current"], row["assessor"], row["source"]) == (2.0, 2.0, "assessor")
    assert not row["disagreement"]  # |2 - 2.0| < 1
    row = sub(a, "GV.PO-P1")
    assert (row["current"], row["derived"], row["disagreement"]) == (4.0, 3.0, True)
    assert "differ by 1 level or more (the disagreement setting)" in str(a.explain("GV.PO-P1"))


def test_findings_cap_an_assessor_rating_too():
    responses = pd.DataFrame({"subcategory": ["PR.DS-P2"], "system": ["CRM"], "current": [4]})
    a = nistpf.assess(
        inventory(
            [["C1", "a", "Implemented", None, "PR.DS-P2", "ALL"]],
            [healthy_flow("F-1", "CRM", "external:Acme Logistics", encrypted_in_transit="no")],
            responses=responses,
        )
    )
    assert levels(a, "PR.DS-P2")["level"].to_dict() == {"CRM": 1.0, "CDP": 3.0, "BOT": 3.0}


# -- the profile -----------------------------------------------------------------------------


def test_profile_inheritance_narrowest_row_wins_attribute_by_attribute():
    profile = pd.DataFrame(
        {
            "pf_id": ["PR-P", "PR.DS-P", "PR.DS-P8", "CT.DM-P1"],
            "target": [4, 2, None, None],
            "priority": ["High", None, None, "Low"],
            "in_profile": [None, None, "no", None],
        }
    )
    a = nistpf.assess(
        inventory([["C1", "a", "Implemented", None, "PR.DS-P1", "ALL"]], profile=profile)
    )
    row = sub(a, "PR.DS-P1")
    assert (row["target"], row["priority"], row["in_profile"]) == (2.0, "High", True)
    assert (row["gap"], row["gap_points"]) == (0.0, 0.0)
    row = sub(a, "PR.AC-P1")
    assert (row["target"], row["priority"]) == (4.0, "High")
    assert (row["gap"], row["gap_points"]) == (4.0, 12.0)
    row = sub(a, "PR.DS-P8")
    assert not row["in_profile"]
    assert math.isnan(row["gap"])
    assert "PR.DS-P8" not in set(a.levels["subcategory"])
    row = sub(a, "CT.DM-P1")
    assert (row["target"], row["priority"], row["gap_points"]) == (3.0, "Low", 3.0)


def test_defaults_are_configuration():
    a = nistpf.assess(
        inventory([["C1", "a", "Implemented", None, "PR.DS-P1", "ALL"]]),
        defaults={
            "target": 2,
            "priority": "High",
            "criticality_weights": {"High": 1, "Medium": 1, "Low": 1},
        },
    )
    assert sub(a, "PR.DS-P1")["gap"] == 0.0
    assert sub(a, "ID.IM-P1")["gap_points"] == 2 * 3


# -- roll-ups and views ----------------------------------------------------------------------


def test_rollups_are_means_over_in_profile_subcategories(worked):
    subs = worked.subcategories
    category = worked.categories.set_index("category").loc["PR.DS-P"]
    in_cat = subs[subs["category"] == "PR.DS-P"]
    assert category["current"] == pytest.approx(in_cat["current"].mean())
    assert category["current"] == pytest.approx((8 / 6) / 8)
    assert category["gap"] == pytest.approx(in_cat["gap"].mean())
    function = worked.functions.set_index("function").loc["PR-P"]
    assert function["current"] == pytest.approx((8 / 6) / 30)
    assert worked.overall.current == pytest.approx((8 / 6) / 100)
    assert worked.overall.target == 3.0
    assert worked.overall.gap == pytest.approx(subs["gap"].mean())
    assert list(worked.functions["function"]) == ["ID-P", "GV-P", "CT-P", "CM-P", "PR-P"]
    assert len(worked.categories) == 18


def test_system_view_is_the_mean_level_per_system_and_function(worked):
    view = worked.systems.set_index(["system", "function"])["level"]
    assert view[("CRM", "PR-P")] == pytest.approx(1 / 30)
    assert view[("BOT", "PR-P")] == pytest.approx(3 / 30)
    assert view[("CRM", "ID-P")] == 0.0
    assert len(worked.systems) == 3 * 5


def test_tiers_are_reported_apart_with_nists_definitions():
    tiers = pd.DataFrame({"attribute": ["Workforce"], "tier": [2], "evidence": ["Annual training"]})
    a = nistpf.assess(inventory([], tiers=tiers))
    row = a.tiers.iloc[0]
    assert (row["attribute"], row["tier"], row["tier_name"]) == ("Workforce", 2, "Risk Informed")
    assert row["definition"].startswith(
        "There are personnel with specific privacy responsibilities"
    )


# -- scales ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scale", "expected"),
    [("tiers", [1.0, 1.0, 3.0]), ("implementation", [1.0, 1.0, 3.0]), ("cmmi", [1.0, 1.0, 3.0])],
)
def test_each_scale_uses_its_status_defaults(scale, expected):
    a = nistpf.assess(
        inventory(
            [
                ["C1", "a", "Implemented", None, "PR.DS-P2", "ALL"],
                ["C2", "b", "Partially implemented", None, "PR.DS-P1", "ALL"],
            ],
            [healthy_flow("F-1", "CRM", "CDP", encrypted_in_transit="no")],
        ),
        scale=scale,
    )
    assert levels(a, "PR.DS-P2")["level"].tolist() == expected
    partial = {"tiers": 1.0, "implementation": 2.0, "cmmi": 1.0}[scale]
    assert levels(a, "PR.DS-P1")["level"].tolist() == [partial] * 3
    assert a.scale.name == scale


def test_the_scale_comes_from_the_about_sheet():
    about = pd.DataFrame({"field": ["scale"], "value": ["cmmi"]})
    a = nistpf.assess(inventory([["C1", "a", "Implemented", 5, "PR.DS-P1", "ALL"]], about=about))
    assert a.scale.name == "cmmi"
    assert sub(a, "PR.DS-P1")["current"] == 5.0


# -- immutability, determinism, comparisons --------------------------------------------------


def test_assessment_tables_are_copies_and_results_are_deterministic(worked):
    table = worked.subcategories
    table.loc[0, "current"] = 99.0
    assert worked.subcategories.loc[0, "current"] != 99.0
    again = nistpf.assess(worked.inventory)
    pd.testing.assert_frame_equal(again.subcategories, worked.subcategories)
    pd.testing.assert_frame_equal(again.levels, worked.levels)
    with pytest.raises(AttributeError):
        worked.scale = None  # type: ignore[misc]


@pytest.fixture(scope="module")
def sample_assessment():
    return nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))


def test_compare_two_assessments_of_the_sample(sample_assessment):
    inv = sample_assessment.inventory
    ratings = pd.concat(
        [
            inv.responses[["subcategory", "system", "current"]],
            pd.DataFrame({"subcategory": ["ID.IM-P1"], "system": [""], "current": [4.0]}),
        ],
        ignore_index=True,
    )
    sheets = {
        "Systems": inv.systems.drop(columns=["excel_row"]),
        "Controls": inv.controls.drop(columns=["excel_row", "applies_to_all"]),
        "DataFlows": inv.flows.drop(columns=["excel_row"]),
        "Profile": inv.profile.drop(columns=["excel_row", "level"]),
        "Responses": ratings,
        "About": inv.about,
    }
    improved = nistpf.assess(nistpf.load_inventory(sheets))
    delta = nistpf.compare(sample_assessment, improved)
    assert list(delta.columns) == [
        "level", "id", "baseline", "current", "delta", "baseline_gap", "gap", "gap_delta",
        "baseline_target", "target",
    ]  # fmt: skip
    row = delta.set_index(["level", "id"]).loc[("subcategory", "ID.IM-P1")]
    before = sub(sample_assessment, "ID.IM-P1")
    assert row["baseline"] == pytest.approx(before["current"])
    assert row["current"] == 4.0
    assert row["delta"] == pytest.approx(4.0 - before["current"])
    assert row["gap"] == 0.0
    changed = delta[(delta["level"] == "subcategory") & (delta["delta"].abs() > 1e-9)]
    assert list(changed["id"]) == ["ID.IM-P1"]
    function = delta.set_index(["level", "id"]).loc[("function", "ID-P")]
    assert function["delta"] == pytest.approx((4.0 - before["current"]) / 21, rel=1e-6)
    overall = delta.set_index(["level", "id"]).loc[("overall", "overall")]
    assert overall["delta"] == pytest.approx(
        improved.overall.current - sample_assessment.overall.current
    )


def test_the_sample_assessment_holds_together(sample_assessment):
    a = sample_assessment
    subs = a.subcategories
    assert len(subs) == 100
    assert subs["current"].between(0, 4).all()
    assert (subs["gap"].dropna() >= 0).all()
    assert len(a.levels) == subs["in_profile"].sum() * 15
    assert set(a.findings["finding_id"]) >= {"R01:F-030", "R01:F-018"}
    assert 0 < a.overall.current < a.overall.target
    assert repr(a).startswith("<Assessment of cx-sample.xlsx: current ")


def test_an_inventory_with_no_controls_no_flows_and_no_ratings_scores_zero():
    one = SYSTEMS.iloc[:1]
    a = nistpf.assess(inventory([], systems=one))
    assert (a.subcategories["current"] == 0).all()
    assert a.findings.empty
    assert len(a.levels) == 100
    assert a.overall == (0.0, 3.0, 3.0, 0.0)


def test_a_rating_for_an_out_of_scope_system_is_ignored():
    systems = SYSTEMS.assign(in_scope=["yes", "yes", "no"])
    responses = pd.DataFrame({"subcategory": ["PR.DS-P1"], "system": ["BOT"], "current": [4]})
    a = nistpf.assess(inventory([], systems=systems, responses=responses))
    assert sub(a, "PR.DS-P1")["current"] == 0.0
