"""explain reads what the engine recorded in the Assessment: its figures are the Assessment's
tables, and it works with the engine's steps gone."""

from __future__ import annotations

import pandas as pd
import pytest

import nistpf
import nistpf.scoring as scoring
from nistpf.errors import NistpfError
from nistpf.scoring import NotASubcategoryError
from tests.inventory_files import THREE_SYSTEMS, healthy_flow, small_inventory

SYSTEMS = THREE_SYSTEMS.drop(columns="data_categories")
CRITICALITY = dict(zip(SYSTEMS["system_id"], SYSTEMS["criticality"], strict=True))
# Chosen to show each kind of row: capped by a finding, rated by an assessor for one system,
# rated for the organisation, covered by a partial control, not in the profile, no evidence.
EXPLAINED = ["PR.DS-P2", "CT.DM-P1", "ID.IM-P1", "GV.PO-P1", "PR.AC-P1", "CM.AW-P1"]


@pytest.fixture(scope="module")
def assessment():
    inventory = small_inventory(
        [
            ["C1", "TLS", "Implemented", None, "PR.DS-P2", "ALL"],
            ["C2", "DSAR", "Partially implemented", 2, "CT.DM-P1", "CRM; CDP"],
            ["C3", "Inventory", "Implemented", 4, "ID.IM-P1", "BOT"],
            ["C4", "Least privilege", "Planned", None, "PR.AC-P1", "ALL"],
            ["C5", "Old", "Not applicable", None, "PR.AC-P1", "ALL"],
        ],
        [healthy_flow("F-1", "CRM", "CDP", encrypted_in_transit="no")],
        systems=SYSTEMS,
        Profile=pd.DataFrame(
            {"pf_id": ["PR.AC-P1", "CT.DM-P1"], "target": [None, 4], "in_profile": ["no", None]}
        ),
        Responses=pd.DataFrame(
            {
                "subcategory": ["ID.IM-P1", "GV.PO-P1"],
                "system": ["CDP", ""],
                "current": [2, 1],
            }
        ),
    )
    return nistpf.assess(
        inventory, defaults={"criticality_weights": {"High": 5, "Medium": 2, "Low": 1}}
    )


@pytest.mark.parametrize("sub_id", EXPLAINED)
def test_explain_states_the_assessments_figures(assessment, sub_id):
    why = assessment.explain(sub_id)
    row = assessment.subcategories.set_index("subcategory").loc[sub_id]
    assert why.current == row["current"]
    assert why.derived == row["derived"]
    assert why.coverage == row["coverage"]
    assert why.source == row["source"]
    assert why.in_profile == row["in_profile"]
    if row["in_profile"]:
        assert (why.target, why.gap) == (row["target"], row["gap"])
    else:
        assert why.target is None
        assert why.gap is None
    systems = why.systems.set_index("system")
    # The weights are the criticality weights the assessment used, system by system.
    weights = assessment.defaults["criticality_weights"]
    assert systems["weight"].to_dict() == {y: weights[c] for y, c in CRITICALITY.items()}
    # derived and coverage are the weighted means of the per-system figures explain shows.
    w = systems["weight"]
    assert (w * systems["level"]).sum() / w.sum() == pytest.approx(row["derived"])
    assert (w * systems["coverage"]).sum() / w.sum() == pytest.approx(row["coverage"])
    if row["in_profile"]:
        levels = assessment.levels
        levels = levels[levels["subcategory"] == sub_id].set_index("system")
        for column in ("level", "control", "capped_by", "source"):
            assert systems[column].to_dict() == levels[column].to_dict(), column
    else:
        assert sub_id not in set(assessment.levels["subcategory"])


def test_explain_shows_the_level_a_finding_lowered(assessment):
    systems = assessment.explain("PR.DS-P2").systems.set_index("system")
    # TLS (Implemented, level 3) on every system; the unencrypted flow CRM → CDP caps both at 1.
    assert systems["uncapped"].to_dict() == {"CRM": 3.0, "CDP": 3.0, "BOT": 3.0}
    assert systems["level"].to_dict() == {"CRM": 1.0, "CDP": 1.0, "BOT": 3.0}
    assert systems.loc["CRM", "capped_by"] == "R01:F-1"
    assert assessment.explain("PR.DS-P2").arithmetic == "(5×1 + 2×1 + 1×3) / 8 = 1.25"


def test_explain_shows_an_assessors_rating_per_system(assessment):
    systems = assessment.explain("ID.IM-P1").systems.set_index("system")
    assert systems.loc["CDP", ["level", "source", "control"]].tolist() == [
        2.0,
        "assessor",
        "assessor",
    ]
    assert systems.loc["BOT", ["level", "control"]].tolist() == [4.0, "C3"]


def test_explain_gives_each_control_the_level_it_counts_at(assessment):
    controls = assessment.explain("PR.AC-P1").controls.set_index("control_id")
    # Planned counts at the tiers scale's default for Planned, 0; Not applicable is ignored (0).
    assert controls["level"].to_dict() == {"C4": 0.0, "C5": 0.0}
    partial = assessment.explain("CT.DM-P1")
    assert partial.controls.set_index("control_id")["level"].to_dict() == {"C2": 2.0}
    coverage = partial.systems.set_index("system")["coverage"].to_dict()
    assert coverage == {"CRM": 0.5, "CDP": 0.5, "BOT": 0.0}


def test_explain_needs_none_of_the_engines_steps(assessment, monkeypatch):
    before = {sub_id: str(assessment.explain(sub_id)) for sub_id in EXPLAINED}

    def gone(*args, **kwargs):
        raise AssertionError("explain ran a step of the engine")

    for name in ("__init__", "run", "_control_levels", "_matrices", "_system_ratings", "_caps"):
        monkeypatch.setattr(scoring._Engine, name, gone)
    for name in ("_profile", "_levels_table", "_system_view", "_tiers"):
        monkeypatch.setattr(scoring._Engine, name, gone)
    monkeypatch.setattr(scoring, "evaluate_findings", gone)
    monkeypatch.setattr(scoring, "settings", gone)
    with pytest.raises(AssertionError, match="explain ran a step"):
        nistpf.assess(assessment.inventory)
    for sub_id in EXPLAINED:
        assert str(assessment.explain(sub_id)) == before[sub_id]


# -- the disagreement note states the threshold used --------------------------------------------


@pytest.mark.parametrize(
    ("threshold", "note"),
    [
        # GV.PO-P1: rated 1 for the organisation, no control: derived 0, a difference of 1.
        (0.25, "differ by 0.25 levels or more"),
        (1, "differ by 1 level or more"),
        (1.5, None),  # 1 < 1.5: not flagged
    ],
)
def test_the_disagreement_note_states_the_threshold_used(assessment, threshold, note):
    a = nistpf.assess(
        assessment.inventory,
        defaults={
            "criticality_weights": {"High": 5, "Medium": 2, "Low": 1},
            "disagreement": threshold,
        },
    )
    why = a.explain("GV.PO-P1")
    if note is None:
        assert why.notes == ()
        return
    assert why.notes == (
        f"note: the assessor's 1 and the derived 0.00 {note} (the disagreement setting)",
    )
    assert "full level" not in str(why)


def test_the_arithmetic_shows_the_weights_used_exactly(assessment):
    a = nistpf.assess(
        assessment.inventory,
        defaults={
            "criticality_weights": {"High": 1.0000001, "Medium": 1.5, "Low": 1e-7},
            "target": 2.123456789,
        },
    )
    why = a.explain("PR.DS-P2")
    # TLS at 3 on every system, CRM and CDP capped at 1 by the unencrypted flow:
    # (1.0000001×1 + 1.5×1 + 0.0000001×3) / 2.5000002 = 2.5000004 / 2.5000002 = 1.00
    assert why.arithmetic == "(1.0000001×1 + 1.5×1 + 0.0000001×3) / 2.5000002 = 1.00"
    assert "target 2.123456789 (Moderate priority)" in str(why)


# -- a Category or Function ID ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            "PR.DS-P",
            "PR.DS-P is a Category; explain takes a Subcategory ID, e.g. PR.DS-P1, PR.DS-P2 (a "
            "Category's figures are the means in Assessment.categories)",
        ),
        (
            "PR-P",
            "PR-P is a Function; explain takes a Subcategory ID, e.g. PR.PO-P1, PR.PO-P2 (a "
            "Function's figures are the means in Assessment.functions)",
        ),
    ],
)
def test_explain_of_a_category_or_function_says_it_takes_a_subcategory(assessment, given, message):
    with pytest.raises(NotASubcategoryError) as raised:
        assessment.explain(given)
    assert str(raised.value) == message
    assert isinstance(raised.value, NistpfError)
    assert raised.value.code == "not-a-subcategory"
