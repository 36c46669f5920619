"""The scoring engine and ``explain``, pinned where mutation testing found them loose: which
control a level names when several apply, what an Inventory built by code with blanks scores,
what ``explain`` lists. Every expected value is worked out by hand from the README's method.
See README, "Mutation testing"."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import nistpf
from nistpf.findings import FINDING_COLUMNS
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


def test_a_system_no_control_applies_to_names_no_control():
    a = nistpf.assess(
        small_inventory([["C1", "a", "Implemented", None, "CT.DM-P5", "CDP"]], systems=SYSTEMS)
    )
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


@pytest.fixture(scope="module")
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
        "note: the assessor's 1 and the derived 3.50 differ by a full level or more",
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
    with pytest.raises(
        ValueError, match=r"^PR\.DS-P is a category; explain takes a Subcategory ID$"
    ):
        a.explain("PR.DS-P")
    with pytest.raises(ValueError, match=r"^PR-P is a function; explain takes a Subcategory ID$"):
        a.explain("PR-P")


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
