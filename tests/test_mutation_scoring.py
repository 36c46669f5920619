"""The scoring engine and ``explain``, pinned where mutation testing found them loose: which
control a level names when several apply, what an Inventory built by code with blanks scores,
what ``explain`` lists, the roll-ups with ``no_evidence="exclude"``, caps on the cmmi scale, the
settings' messages. Every expected value is worked out by hand from the README's method.

Each test builds its own assessment: mutmut credits a test with the functions it runs, and a
module-scoped fixture runs them for its first test only, so the others would never be run
against a mutant. See README, "Mutation testing"."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import nistpf
from nistpf.assessment import SYSTEM_VIEW_COLUMNS, TIER_VIEW_COLUMNS
from nistpf.findings import FINDING_COLUMNS
from nistpf.scales import scale
from nistpf.scoring import DEFAULTS, SettingsError, quoted, settings
from tests.inventory_files import THREE_SYSTEMS, healthy_flow, small_inventory

SYSTEMS = THREE_SYSTEMS.drop(columns="data_categories")  # CRM High, CDP Medium, BOT Low


def sub(assessment, subcategory):
    return assessment.subcategories.set_index("subcategory").loc[subcategory]


def levels(assessment, subcategory):
    table = assessment.levels
    return table[table["subcategory"] == subcategory].set_index("system")


# -- which control a level names -------------------------------------------------------------


def test_of_the_controls_applying_to_all_systems_the_best_names_the_level():
    # Best first: the highest level, then the highest coverage, then the first listed.
    a = nistpf.assess(
        small_inventory(
            [
                # PR.DS-P1: levels 2 (c ½), 2 (c 1), 3: the level-3 control wins.
                ["C1", "a", "Partially implemented", 2, "PR.DS-P1", "ALL"],
                ["C2", "b", "Implemented", 2, "PR.DS-P1", "ALL"],
                ["C3", "c", "Implemented", None, "PR.DS-P1", "ALL"],
                # PR.DS-P2: both at level 2; the Implemented one (c 1) beats the partial (c ½).
                ["C4", "d", "Partially implemented", 2, "PR.DS-P2", "ALL"],
                ["C5", "e", "Implemented", 2, "PR.DS-P2", "ALL"],
                # PR.DS-P3: level 3 and c 1 both: the first listed.
                ["C6", "f", "Implemented", None, "PR.DS-P3", "ALL"],
                ["C7", "g", "Implemented", None, "PR.DS-P3", "ALL"],
            ],
            systems=SYSTEMS,
        )
    )
    everyone = ["CRM", "CDP", "BOT"]
    for subcategory, control, level in (
        ("PR.DS-P1", "C3", 3.0),
        ("PR.DS-P2", "C5", 2.0),
        ("PR.DS-P3", "C6", 3.0),
    ):
        table = levels(a, subcategory)
        assert table["control"].to_dict() == dict.fromkeys(everyone, control), subcategory
        assert table["level"].to_dict() == dict.fromkeys(everyone, level), subcategory
        assert sub(a, subcategory)["coverage"] == 1.0


def test_of_the_controls_naming_a_system_the_best_names_its_level():
    # The same order among controls naming CRM; a control for all systems keeps a level that a
    # control naming the system only equals (at no better coverage) or falls below.
    a = nistpf.assess(
        small_inventory(
            [
                # CT.DM-P5 on CRM: levels 2 (c ½), 2 (c 1), 3: the level-3 control.
                ["C1", "a", "Partially implemented", 2, "CT.DM-P5", "CRM"],
                ["C2", "b", "Implemented", 2, "CT.DM-P5", "CRM"],
                ["C3", "c", "Implemented", None, "CT.DM-P5", "CRM; CDP"],
                # CT.DM-P6 on CRM: both level 2; the Implemented one (c 1).
                ["C4", "d", "Partially implemented", 2, "CT.DM-P6", "CRM"],
                ["C5", "e", "Implemented", 2, "CT.DM-P6", "CRM"],
                # CT.DM-P7 on CRM: level 3 and c 1 both: the first listed.
                ["C6", "f", "Implemented", None, "CT.DM-P7", "CRM"],
                ["C7", "g", "Implemented", None, "CT.DM-P7", "CRM"],
                # CT.DM-P8: 3 for all; CRM's own control is lower (1): 3 stands.
                ["C8", "h", "Implemented", None, "CT.DM-P8", "ALL"],
                ["C9", "i", "Partially implemented", None, "CT.DM-P8", "CRM"],
                # CT.DM-P9: 3 for all (c 1) first; CRM's own 3 at c ½: the control for all.
                ["C10", "j", "Implemented", None, "CT.DM-P9", "ALL"],
                ["C11", "k", "Partially implemented", 3, "CT.DM-P9", "CRM"],
            ],
            systems=SYSTEMS,
        )
    )
    expected = {
        "CT.DM-P5": ({"CRM": "C3", "CDP": "C3", "BOT": ""}, {"CRM": 3.0, "CDP": 3.0, "BOT": 0.0}),
        "CT.DM-P6": ({"CRM": "C5", "CDP": "", "BOT": ""}, {"CRM": 2.0, "CDP": 0.0, "BOT": 0.0}),
        "CT.DM-P7": ({"CRM": "C6", "CDP": "", "BOT": ""}, {"CRM": 3.0, "CDP": 0.0, "BOT": 0.0}),
        "CT.DM-P8": ({"CRM": "C8", "CDP": "C8", "BOT": "C8"}, {"CRM": 3.0, "CDP": 3.0, "BOT": 3.0}),
        "CT.DM-P9": (
            {"CRM": "C10", "CDP": "C10", "BOT": "C10"},
            {"CRM": 3.0, "CDP": 3.0, "BOT": 3.0},
        ),
    }
    for subcategory, (control, level) in expected.items():
        table = levels(a, subcategory)
        assert table["control"].to_dict() == control, subcategory
        assert table["level"].to_dict() == level, subcategory
    # coverage is the best c over the controls that apply: C8's 1 on CRM, not C9's ½
    assert sub(a, "CT.DM-P8")["coverage"] == 1.0


def test_a_system_no_control_applies_to_names_no_control():
    a = nistpf.assess(
        small_inventory([["C1", "a", "Implemented", None, "CT.DM-P5", "CDP"]], systems=SYSTEMS)
    )
    assert sub(a, "CT.DM-P5")["source"] == "derived"  # a control for one system is evidence
    table = levels(a, "CT.DM-P5")
    assert table["control"].to_dict() == {"CRM": "", "CDP": "C1", "BOT": ""}
    assert table["level"].to_dict() == {"CRM": 0.0, "CDP": 3.0, "BOT": 0.0}
    assert set(levels(a, "ID.IM-P1")["control"]) == {""}


def test_with_no_system_in_scope_a_control_for_all_systems_is_no_evidence():
    systems = SYSTEMS.assign(in_scope=["no", "no", "no"])
    a = nistpf.assess(
        small_inventory([["C1", "a", "Implemented", None, "PR.DS-P1", "ALL"]], systems=systems)
    )
    row = sub(a, "PR.DS-P1")
    assert (row["source"], row["current"], row["coverage"]) == ("no evidence", 0.0, 0.0)
    assert row["systems_in_scope"] == 0
    assert a.explain("PR.DS-P1").arithmetic == "no system in scope: 0"


# -- an Inventory built by code ----------------------------------------------------------------


def test_a_blank_in_scope_in_an_inventory_built_by_code_is_in_scope():
    # The README: in_scope blank = yes. CDP's is blank, BOT's is no; one control for all.
    loaded = small_inventory([["C1", "a", "Implemented", None, "PR.DS-P1", "ALL"]], systems=SYSTEMS)
    systems = loaded.systems.copy()
    systems["in_scope"] = pd.array([True, None, False], dtype="boolean")
    a = nistpf.assess(dataclasses.replace(loaded, systems=systems))
    assert sub(a, "PR.DS-P1")["systems_in_scope"] == 2
    assert list(levels(a, "PR.DS-P1").index) == ["CRM", "CDP"]


def test_a_status_the_scale_has_no_level_for_scores_0():
    # An Inventory built by code may hold a status outside the list: no level and no coverage
    # for it (c is 1 only for Implemented, ½ for Partially implemented).
    loaded = small_inventory(
        [
            ["C1", "a", "Implemented", None, "PR.DS-P1", "ALL"],
            ["C2", "b", "Implemented", None, "PR.DS-P2", "ALL"],
        ],
        systems=SYSTEMS,
    )
    controls = loaded.controls.assign(status=["Retired", "Implemented"])
    a = nistpf.assess(dataclasses.replace(loaded, controls=controls))
    assert (sub(a, "PR.DS-P1")["derived"], sub(a, "PR.DS-P1")["coverage"]) == (0.0, 0.0)
    assert (sub(a, "PR.DS-P2")["derived"], sub(a, "PR.DS-P2")["coverage"]) == (3.0, 1.0)


# -- explain -------------------------------------------------------------------------------------


@pytest.fixture
def explained():
    """PR.DS-P1 with a control on CRM and CDP at maturity 4, a Not applicable one for all and a
    partial one for chatbots; an organisation-level rating of 1 on it; an unencrypted flow
    CRM → CDP (R01, on PR.DS-P2)."""
    responses = pd.DataFrame({"subcategory": ["PR.DS-P1"], "system": [""], "current": [1]})
    profile = pd.DataFrame({"pf_id": ["CT.DM-P1"], "in_profile": ["no"]})
    return nistpf.assess(
        small_inventory(
            [
                ["C1", "Disk encryption", "Implemented", 4, "PR.DS-P1", "CRM; CDP"],
                ["C2", "Legacy vault", "Not applicable", None, "PR.DS-P1", "ALL"],
                ["C3", "Bot storage", "Partially implemented", None, "PR.DS-P1", "type:Chatbot"],
                ["C4", "TLS", "Implemented", None, "PR.DS-P2", "ALL"],
            ],
            [healthy_flow("F-1", "CRM", "CDP", encrypted_in_transit="no")],
            systems=SYSTEMS,
            Responses=responses,
            Profile=profile,
        )
    )


def test_explain_lists_every_mapped_control_at_the_level_it_counts(explained):
    why = explained.explain("PR.DS-P1")
    table = why.controls
    assert list(table.columns) == [
        "control_id",
        "name",
        "status",
        "maturity",
        "level",
        "applies_to",
    ]
    assert table[["control_id", "level", "applies_to"]].values.tolist() == [
        ["C1", 4.0, "CRM, CDP"],
        ["C2", 0.0, "all systems"],  # Not applicable: listed, at 0
        ["C3", 1.0, "type:Chatbot"],  # Partially implemented: the status default 1
    ]


def test_explain_names_each_system_with_its_weight_and_levels(explained):
    why = explained.explain("PR.DS-P1")
    assert list(why.systems.columns) == [
        "system", "name", "weight", "level", "uncapped", "control", "coverage", "capped_by",
        "source",
    ]  # fmt: skip
    assert why.systems[["system", "name", "weight", "level", "control"]].values.tolist() == [
        ["CRM", "Service Cloud", 3.0, 4.0, "C1"],
        ["CDP", "Customer Data Platform", 2.0, 4.0, "C1"],
        ["BOT", "Web Chatbot", 1.0, 1.0, "C3"],
    ]
    # derived = (3×4 + 2×4 + 1×1) / 6 = 21/6 = 3.5; no two terms are equal
    assert why.arithmetic == "(3×4 + 2×4 + 1×1) / 6 = 3.50"


def test_explain_gives_the_assessor_and_the_disagreement(explained):
    why = explained.explain("PR.DS-P1")
    assert (why.assessor, why.current, why.source) == (1.0, 1.0, "assessor")
    assert why.derived == pytest.approx(21 / 6)
    assert why.notes == (
        "note: the assessor's 1 and the derived 3.50 differ by 1 level or more (the "
        "disagreement setting)",
    )
    other = explained.explain("PR.DS-P2")
    assert (other.assessor, other.notes) == (None, ())
    assert other.derived == pytest.approx((3 * 1 + 2 * 1 + 1 * 3) / 6)  # R01 caps CRM and CDP at 1


def test_explain_of_an_outcome_outside_the_profile_has_no_target_and_no_gap(explained):
    why = explained.explain("CT.DM-P1")
    assert (why.in_profile, why.target, why.gap) == (False, None, None)
    inside = explained.explain("CT.DM-P2")
    assert (inside.in_profile, inside.target, inside.gap) == (True, 3.0, 3.0)


def test_explain_findings_are_the_assessments_rows_on_it(explained):
    why = explained.explain("PR.DS-P2")
    assert list(why.findings.columns) == FINDING_COLUMNS
    assert list(why.findings.index) == [0]
    assert why.findings.loc[0, "finding_id"] == "R01:F-1"
    assert explained.explain("PR.DS-P1").findings.empty


def test_explain_takes_a_subcategory_only():
    a = nistpf.assess(small_inventory([], systems=SYSTEMS))
    with pytest.raises(ValueError, match="is a Category") as raised:
        a.explain("PR.DS-P")
    assert str(raised.value) == (
        "PR.DS-P is a Category; explain takes a Subcategory ID, e.g. PR.DS-P1, PR.DS-P2 (a "
        "Category's figures are the means in Assessment.categories)"
    )
    with pytest.raises(ValueError, match="is a Function") as raised:
        a.explain("PR-P")
    assert str(raised.value) == (
        "PR-P is a Function; explain takes a Subcategory ID, e.g. PR.PO-P1, PR.PO-P2 (a "
        "Function's figures are the means in Assessment.functions)"
    )


@pytest.mark.parametrize(
    ("criticalities", "arithmetic"),
    [
        # Two High systems at 3 and one Low: the equal terms are written once, counted.
        (["High", "High", "Low"], "(2·(3×3) + 1×3) / 7 = 3.00"),
        (["High", "High", "High"], "(3·(3×3)) / 9 = 3.00"),
        (["High", "Medium", "Low"], "(3×3 + 2×3 + 1×3) / 6 = 3.00"),
    ],
)
def test_the_arithmetic_groups_equal_terms(criticalities, arithmetic):
    systems = SYSTEMS.assign(criticality=criticalities)
    a = nistpf.assess(
        small_inventory([["C1", "a", "Implemented", None, "PR.DS-P1", "ALL"]], systems=systems)
    )
    assert a.explain("PR.DS-P1").arithmetic == arithmetic


# -- the levels table: sources, caps and what explain reads ------------------------------------


def test_levels_name_their_source_control_and_every_finding_that_lowered_them():
    # C1 (level 3, c 1) on PR.DS-P2 for all; CRM rated 4 and BOT rated 2 by the assessor; two
    # unencrypted flows from CRM (R01, cap 1): F-1 to CDP touches CRM and CDP, F-2 to an
    # outside party touches CRM only.
    responses = pd.DataFrame(
        {"subcategory": ["PR.DS-P2", "PR.DS-P2"], "system": ["CRM", "BOT"], "current": [4, 2]}
    )
    a = nistpf.assess(
        small_inventory(
            [["C1", "TLS", "Implemented", None, "PR.DS-P2", "ALL"]],
            [
                healthy_flow("F-1", "CRM", "CDP", encrypted_in_transit="no"),
                healthy_flow("F-2", "CRM", "external:Acme", encrypted_in_transit="no"),
            ],
            systems=SYSTEMS,
            Responses=responses,
        )
    )
    table = levels(a, "PR.DS-P2")
    assert table[["level", "control", "capped_by", "source"]].values.tolist() == [
        [1.0, "assessor", "R01:F-1; R01:F-2", "assessor"],
        [1.0, "C1", "R01:F-1", "derived"],
        [2.0, "assessor", "", "assessor"],
    ]
    why = a.explain("PR.DS-P2")
    assert why.systems["uncapped"].tolist() == [4.0, 3.0, 2.0]
    assert why.systems["coverage"].tolist() == [1.0, 1.0, 1.0]
    assert why.systems["capped_by"].tolist() == ["R01:F-1; R01:F-2", "R01:F-1", ""]
    assert why.systems["source"].tolist() == ["assessor", "derived", "assessor"]
    assert why.derived == pytest.approx((3 * 1 + 2 * 1 + 1 * 2) / 6)
    assert set(levels(a, "PR.DS-P1")["source"]) == {"derived"}


def test_a_rule_cap_is_rescaled_to_the_cmmi_scale_and_rounded_half_up():
    # R07 (no owner) caps ID.IM-P2 at 2 on the 0-4 tiers scale: 2 × 5/4 = 2.5 on cmmi (0-5),
    # rounded half up to 3. A control at maturity 5 for all: CRM and CDP drop to 3, BOT keeps 5.
    a = nistpf.assess(
        small_inventory(
            [["C1", "Data map", "Implemented", 5, "ID.IM-P2", "ALL"]],
            [healthy_flow("F-1", "CRM", "CDP", owner="")],
            systems=SYSTEMS,
            About=pd.DataFrame({"field": ["scale"], "value": ["cmmi"]}),
        )
    )
    assert a.scale.name == "cmmi"
    table = levels(a, "ID.IM-P2")
    assert table["level"].to_dict() == {"CRM": 3.0, "CDP": 3.0, "BOT": 5.0}
    assert table["capped_by"].to_dict() == {"CRM": "R07:F-1", "CDP": "R07:F-1", "BOT": ""}


def test_of_two_ratings_of_one_outcome_the_later_row_stands():
    responses = pd.DataFrame(
        {
            "subcategory": ["PR.DS-P1", "PR.DS-P1", "GV.PO-P1", "GV.PO-P1"],
            "system": ["CDP", "CDP", "", ""],
            "current": [1, 2, 3, 1],
        }
    )
    a = nistpf.assess(small_inventory([], systems=SYSTEMS, Responses=responses))
    assert levels(a, "PR.DS-P1")["level"].to_dict() == {"CRM": 0.0, "CDP": 2.0, "BOT": 0.0}
    assert (sub(a, "GV.PO-P1")["current"], sub(a, "GV.PO-P1")["source"]) == (1.0, "assessor")


def test_a_system_rating_without_a_level_in_an_inventory_built_by_code_changes_nothing():
    loaded = small_inventory(
        [["C1", "a", "Implemented", None, "PR.DS-P1", "ALL"]],
        systems=SYSTEMS,
        Responses=pd.DataFrame({"subcategory": ["PR.DS-P1"], "system": ["CRM"], "current": [1]}),
    )
    responses = loaded.responses.assign(current=[None])
    a = nistpf.assess(dataclasses.replace(loaded, responses=responses))
    assert levels(a, "PR.DS-P1")["level"].to_dict() == {"CRM": 3.0, "CDP": 3.0, "BOT": 3.0}
    assert set(levels(a, "PR.DS-P1")["source"]) == {"derived"}


# -- the Subcategory table -----------------------------------------------------------------------


def test_each_subcategory_row_carries_its_framework_text_and_empty_lists_where_nothing_applies():
    profile = pd.DataFrame({"pf_id": ["CT.DM-P1"], "in_profile": ["no"]})
    a = nistpf.assess(
        small_inventory(
            [["C1", "a", "Implemented", None, "PR.DS-P2", "CDP"]],
            [healthy_flow("F-1", "CRM", "CDP", encrypted_in_transit="no")],
            systems=SYSTEMS,
            Profile=profile,
        )
    )
    row = sub(a, "PR.DS-P2")
    assert (row["function"], row["category"]) == ("PR-P", "PR.DS-P")
    assert row["text"] == "Data-in-transit are protected."
    assert (row["controls"], row["findings"]) == (("C1",), ("R01:F-1",))
    assert (row["systems_covered"], row["systems_in_scope"]) == (1, 3)
    untouched = sub(a, "PR.AC-P1")
    assert (untouched["controls"], untouched["findings"], untouched["systems_covered"]) == (
        (),
        (),
        0,
    )
    outside = sub(a, "CT.DM-P1")
    assert (outside["in_profile"], outside["priority"]) == (False, "")
    assert pd.isna(outside["target"])
    assert sub(a, "CT.DM-P2")["priority"] == "Moderate"


# -- the profile -----------------------------------------------------------------------------------


def test_a_profile_row_whose_in_profile_is_missing_keeps_the_broader_rows_answer():
    # In the workbook a blank in_profile cell means yes (the template says so); in an Inventory
    # built by code it may be missing (NA), and then the narrower row says nothing about it.
    # PR-P is out; the PR.DS-P row sets a target only; the PR.DS-P2 row brings that one back.
    profile = pd.DataFrame(
        {"pf_id": ["PR-P", "PR.DS-P", "PR.DS-P2"], "target": [None, 4, None], "in_profile": "yes"}
    )
    loaded = small_inventory([], systems=SYSTEMS, Profile=profile)
    edited = loaded.profile.assign(in_profile=pd.array([False, None, True], dtype="boolean"))
    a = nistpf.assess(dataclasses.replace(loaded, profile=edited))
    assert not sub(a, "PR.DS-P1")["in_profile"]
    assert (sub(a, "PR.DS-P2")["in_profile"], sub(a, "PR.DS-P2")["target"]) == (True, 4.0)
    assert not sub(a, "PR.AC-P1")["in_profile"]


def test_with_in_profile_false_by_default_only_the_profiles_yes_rows_are_in():
    profile = pd.DataFrame({"pf_id": ["PR.DS-P1"], "in_profile": ["yes"]})
    a = nistpf.assess(
        small_inventory([], systems=SYSTEMS, Profile=profile), defaults={"in_profile": False}
    )
    assert a.subcategories.loc[a.subcategories["in_profile"], "subcategory"].tolist() == [
        "PR.DS-P1"
    ]
    assert set(a.levels["subcategory"]) == {"PR.DS-P1"}


# -- roll-ups: zero and exclude --------------------------------------------------------------------
# C1 (level 3, c 1) on PR.DS-P1 for all; the organisation rated GV.PO-P1 2; CRM rated CT.DM-P1 4,
# so CT.DM-P1 derives (3×4 + 2×0 + 1×0) / 6 = 2. Every other outcome has no evidence.


def evidence_of_three_outcomes(no_evidence: str):
    responses = pd.DataFrame(
        {"subcategory": ["GV.PO-P1", "CT.DM-P1"], "system": ["", "CRM"], "current": [2, 4]}
    )
    return nistpf.assess(
        small_inventory(
            [["C1", "a", "Implemented", None, "PR.DS-P1", "ALL"]],
            systems=SYSTEMS,
            Responses=responses,
        ),
        defaults={"no_evidence": no_evidence},
    )


def test_exclude_rolls_up_only_the_outcomes_with_evidence():
    a = evidence_of_three_outcomes("exclude")
    assert [sub(a, s)["source"] for s in ("PR.DS-P1", "GV.PO-P1", "CT.DM-P1", "ID.IM-P1")] == [
        "derived", "assessor", "derived", "no evidence",
    ]  # fmt: skip
    # current (3 + 2 + 2) / 3, target 3, gap (0 + 1 + 1) / 3, coverage (1 + 0 + 0) / 3
    assert tuple(a.overall) == pytest.approx((7 / 3, 3.0, 2 / 3, 1 / 3))
    # in the framework's order, only the Functions and Categories with evidence
    assert a.functions.values.tolist() == [
        ["GV-P", 2.0, 3.0, 1.0, 0.0],
        ["CT-P", 2.0, 3.0, 1.0, 0.0],
        ["PR-P", 3.0, 3.0, 0.0, 1.0],
    ]
    assert a.categories.values.tolist() == [
        ["GV.PO-P", 2.0, 3.0, 1.0, 0.0],
        ["CT.DM-P", 2.0, 3.0, 1.0, 0.0],
        ["PR.DS-P", 3.0, 3.0, 0.0, 1.0],
    ]
    view = a.systems.set_index(["system", "function"])["level"]
    assert view[("CRM", "PR-P")] == 3.0
    assert view[("CRM", "CT-P")] == 4.0
    assert view[("CDP", "CT-P")] == 0.0
    assert view[("CRM", "GV-P")] == 0.0  # the organisation's rating is not a system's level
    assert a.systems["level"].dtype == float
    assert pd.isna(view[("CRM", "ID-P")])  # nothing with evidence in ID-P
    assert pd.isna(view[("BOT", "CM-P")])


def test_zero_rolls_up_every_outcome_in_the_profile():
    a = evidence_of_three_outcomes("zero")
    assert a.overall.current == pytest.approx((3 + 2 + 2) / 100)
    assert list(a.functions["function"]) == ["ID-P", "GV-P", "CT-P", "CM-P", "PR-P"]
    assert a.functions.set_index("function").loc["PR-P", "current"] == pytest.approx(3 / 30)
    assert len(a.categories) == 18
    view = a.systems.set_index(["system", "function"])["level"]
    assert view[("CRM", "PR-P")] == pytest.approx(3 / 30)
    assert view[("CRM", "ID-P")] == 0.0


def test_the_system_view_names_each_system_and_function():
    a = evidence_of_three_outcomes("zero")
    assert list(a.systems.columns) == SYSTEM_VIEW_COLUMNS
    assert len(a.systems) == 3 * 5
    first = a.systems.iloc[0]
    assert first[["system", "name", "type", "function"]].tolist() == [
        "CRM", "Service Cloud", "CRM", "ID-P",
    ]  # fmt: skip
    assert a.systems["system"].tolist()[:6] == ["CRM", "CDP", "BOT", "CRM", "CDP", "BOT"]
    assert a.systems["function"].tolist()[:6] == ["ID-P"] * 3 + ["GV-P"] * 3


# -- Tiers --------------------------------------------------------------------------------------


def test_a_tier_without_a_definition_is_still_listed():
    # The loader leaves unrated attributes out; an Inventory built by code may hold one with no
    # tier, and it is listed, with no tier name and no definition, not dropped.
    tiers = pd.DataFrame({"attribute": ["Workforce"], "tier": [3], "evidence": ["Champions"]})
    loaded = small_inventory([], systems=SYSTEMS, Tiers=tiers)
    unrated = pd.DataFrame(
        {
            "attribute": ["Data Processing Ecosystem Relationships"],
            "tier": [None],
            "evidence": [None],
        }
    )
    edited = pd.concat([loaded.tiers, unrated], ignore_index=True)
    a = nistpf.assess(dataclasses.replace(loaded, tiers=edited))
    assert list(a.tiers.columns) == TIER_VIEW_COLUMNS
    assert list(a.tiers.index) == [0, 1]
    assert a.tiers["attribute"].tolist() == [
        "Workforce", "Data Processing Ecosystem Relationships",
    ]  # fmt: skip
    assert (a.tiers.loc[0, "tier_name"], a.tiers.loc[0, "evidence"]) == ("Repeatable", "Champions")
    assert a.tiers.loc[0, "definition"]
    assert pd.isna(a.tiers.loc[1, "tier_name"])
    assert pd.isna(a.tiers.loc[1, "definition"])


# -- settings: whole messages, ranges ------------------------------------------------------------
SETTING_NAMES = ", ".join(
    ["target", "priority", "in_profile", "criticality_weights", "priority_weights", "coverage",
     "disagreement", "cap_scale_maximum", "no_evidence"]
)  # fmt: skip


def test_the_settings_are_the_nine_documented():
    assert ", ".join(DEFAULTS) == SETTING_NAMES


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ([1], f"defaults must be a mapping of settings (a dict), not list; the settings are "
              f"{SETTING_NAMES}"),
        ({"zzz": 1}, f"defaults: 'zzz' is not a setting; the settings are {SETTING_NAMES}"),
        ({"disagreement": -1}, "defaults: disagreement must be a number above 0, not -1"),
        ({"disagreement": 0}, "defaults: disagreement must be a number above 0, not 0"),
        ({"disagreement": "high"}, "defaults: disagreement must be a number above 0, not 'high'"),
        ({"target": -0.5}, "defaults: target must be a number 0 or more and at most 4, not -0.5"),
        ({"target": 5}, "defaults: target must be a number 0 or more and at most 4, not 5"),
        (
            {"criticality_weights": {"High": 3, "Medium": 2, "Low": 1, "Critical": 4, "Top": 5}},
            "defaults: criticality_weights has 'Critical', 'Top', not a criticality; its keys "
            "are High, Medium, Low",
        ),
        (
            {"criticality_weights": {"High": 3, "Medium": 2, "Low": 1, "A": 1, "B": 1, "C": 1}},
            "defaults: criticality_weights has 'A', 'B', 'C', not a criticality; its keys are "
            "High, Medium, Low",
        ),
        (
            {"criticality_weights": {"High": 3, "A": 1, "B": 1, "C": 1, "D": 1}},
            "defaults: criticality_weights has 'A', 'B', 'C' and others, not a criticality; its "
            "keys are High, Medium, Low",
        ),
        ({"coverage": [1, 2]}, "defaults: coverage must be a mapping with a number for each of "
                               "Implemented, Partially implemented, not list [1, 2]"),
        ({"no_evidence": "none"}, "defaults: no_evidence must be one of zero, exclude, not 'none'"),
        ({"in_profile": "yes"}, "defaults: in_profile must be True or False, not 'yes'"),
    ],
)  # fmt: skip
def test_settings_that_cannot_be_used_are_one_whole_message(given, message):
    with pytest.raises(SettingsError) as caught:
        settings(given, scale("tiers"))
    assert str(caught.value) == message


@pytest.mark.parametrize("target", [0, 0.5, 4])
def test_a_target_from_0_to_the_scales_maximum_is_a_target(target):
    assert settings({"target": target}, scale("tiers"))["target"] == float(target)
    a = nistpf.assess(small_inventory([], systems=SYSTEMS), defaults={"target": target})
    assert sub(a, "PR.DS-P1")["gap"] == float(target)


class _Unprintable:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def test_a_value_is_quoted_whole_up_to_60_characters_and_by_its_type_when_it_has_no_repr():
    sixty = "x" * 58  # with its quotes, 60 characters
    assert quoted(sixty) == f"'{sixty}'"
    assert quoted(sixty + "y") == f"'{sixty}" + "…"  # 61: cut to 59 and the ellipsis
    assert quoted(_Unprintable()) == "_Unprintable <_Unprintable>"


def test_without_a_scale_a_target_is_any_number_from_0():
    assert settings({"target": 0})["target"] == 0.0
    assert settings({"target": 0.5})["target"] == 0.5
    assert settings({"target": 12})["target"] == 12.0
