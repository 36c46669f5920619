"""NIST PRAM per data action: each rule on a hand-built flow, NIST's arithmetic on a
hand-computed example, the consultant's edits, roll-ups and the rules files' checks.

Expected figures are worked out in the comments from NIST's worksheet 3 (risk = likelihood ×
impact, impact = the sum of five cost factors, risk per data action = the sum over its
problems, percent of system risk, Excel's RANK) and the rule rows, never read from the engine.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

import nistpf
from nistpf.findings import RuleError
from nistpf.flows.pram import (
    DATA_ACTION_COLUMNS,
    PROBLEM_COLUMNS,
    analyse,
    load_impact_rules,
    load_pram_rules,
)
from nistpf.flows.pram_input import PramEditsError
from nistpf.inventory.model import PRAM_EDIT_COLUMNS
from tests.inventory_files import CONTROLS
from tests.test_pram_catalog import NIST_PROBLEMATIC_DATA_ACTIONS

SYSTEMS = pd.DataFrame(
    [
        ["CRM-01", "Customer 360 CRM", "CRM", "High", "web; voice", 2_000_000],
        ["CDP-01", "Customer Data Platform", "CDP", "Medium", "", 50_000],
        ["ANL-01", "Analytics", "Analytics", "Low", "", 10],
        ["AIA-01", "Agent Assist", "AI", "Medium", "", 10],
    ],
    columns=["system_id", "name", "type", "criticality", "channels", "records"],
)
HEALTHY = {
    "source": "CDP-01",
    "destination": "ANL-01",
    "data_categories": "user.name",
    "purpose": "Reporting",
    "stage": "transfer",
    "encrypted_in_transit": "yes",
    "minimization": "none",
    "consent_basis": "Contract",
    "third_party": "no",
    "retention_days": "365",
    "owner": "Data Lead",
}


def inventory(*flows: dict) -> nistpf.Inventory:
    rows = [{"flow_id": f"F-{n}", **HEALTHY, **f} for n, f in enumerate(flows, 1)]
    return nistpf.load_inventory(
        {
            "Systems": SYSTEMS,
            "Controls": pd.DataFrame(CONTROLS[1:], columns=CONTROLS[0]),
            "DataFlows": pd.DataFrame(rows),
        }
    )


def problems_of(pram, flow: str) -> dict[str, float]:
    table = pram.problems[pram.problems["data_action"].str.startswith(f"{flow}:")]
    return dict(zip(table["problem"], table["likelihood"], strict=True))


def rules_of(pram, flow: str) -> set[str]:
    table = pram.problems[pram.problems["data_action"].str.startswith(f"{flow}:")]
    return {rule for rules in table["rules"] for rule in rules}


# -- the shipped rules, one by one, on hand-built flows ----------------------------------------
def test_a_healthy_flow_has_no_problem_and_no_risk():
    p = analyse(inventory({}))
    assert p.problems.empty
    assert list(p.data_actions["risk"]) == [0.0]
    assert list(p.data_actions.columns) == DATA_ACTION_COLUMNS
    assert list(p.problems.columns) == PROBLEM_COLUMNS


@pytest.mark.parametrize(
    ("flow", "rule"),
    [
        ({"encrypted_in_transit": "no"}, "P01"),
        ({"encrypted_in_transit": ""}, "P02"),
        ({"destination": "XLS-09"}, "P03"),
        ({"data_categories": "user.device.cookie_id"}, "P04"),
        ({"data_categories": "user.device.cookie_id", "minimization": "pseudonymized"}, "P05"),
        ({"destination": "AIA-01"}, "P06"),
        ({"destination": "AIA-01"}, "P07"),
        ({"destination": "external:Agency", "minimization": "pseudonymized"}, "P08"),
        ({"data_categories": "user.health_and_medical"}, "P09"),
        ({"data_categories": "user.health_and_medical", "minimization": "masked"}, "P10"),
        ({"third_party": "yes", "consent_basis": ""}, "P11"),
        ({"purpose": ""}, "P12"),
        ({"retention_days": ""}, "P13"),
        ({"data_categories": "user.biometric.voice", "stage": "collection"}, "P14"),
        ({"owner": ""}, "P15"),
        ({"data_categories": "user.childrens", "third_party": "yes"}, "P16"),
        ({"stage": "generation"}, "P17"),
        ({"data_categories": "user.financial.credit_card", "third_party": "yes"}, "P18"),
        ({"third_party": "yes"}, "P19"),
        ({"destination": "external:Courier"}, "P19"),
    ],
)
def test_each_rule_holds_on_its_flow_and_not_on_a_healthy_one(flow, rule):
    assert rule in rules_of(analyse(inventory(flow)), "F-1")
    assert rule not in rules_of(analyse(inventory({})), "F-1")


def test_rules_that_do_not_apply_to_disposal_or_financial_data():
    # Deleting health data does not stigmatise; payment data is not stigmatising data.
    disposal = {"data_categories": "user.health_and_medical", "stage": "disposal"}
    assert not {"P09", "P10"} & rules_of(analyse(inventory(disposal)), "F-1")
    card = {"data_categories": "user.financial.credit_card"}
    assert not {"P09", "P10"} & rules_of(analyse(inventory(card)), "F-1")


def test_unencrypted_health_data_to_an_ai_system_by_hand():
    """One data action through the shipped rules and impact rows, worked out by hand.

    Flow: CRM-01 (channels, 2,000,000 records, criticality High) → AIA-01 (type AI), health
    data, not encrypted, not minimised, transfer, purpose, basis, retention, owner recorded.
    Rules that hold: P01 (L7: Economic Loss, Dignity Loss, Loss of Trust), P06 (L6: Dignity
    Loss, Loss of Trust, Loss of Autonomy), P07 (L5: Discrimination, Dignity Loss, Loss of
    Trust), P09 (L6: Dignity Loss, Discrimination), P17 (L4: Discrimination, Economic Loss).
    Likelihood = the highest per problem: Economic 7, Dignity 7, Trust 7, Autonomy 6,
    Discrimination 6.
    Impact rows: noncompliance 1 (personal) + 4 (sensitive) = 5; direct business 1 + 2
    (≥100,000 records) + 2 (≥1,000,000) + 2 (criticality High) = 7; reputational 1 + 2
    (customer-facing) + 2 (sensitive) + 2 (≥1,000,000) = 7; internal culture 1; other 1.
    Impact = 5 + 7 + 7 + 1 + 1 = 21 for every problem.
    Risk = 7×21 × 3 + 6×21 × 2 = 441 + 252 = 693.
    """
    flow = {
        "source": "CRM-01",
        "destination": "AIA-01",
        "data_categories": "user.health_and_medical",
        "encrypted_in_transit": "no",
    }
    p = analyse(inventory(flow))
    assert problems_of(p, "F-1") == {
        "Dignity Loss": 7,
        "Discrimination": 6,
        "Economic Loss": 7,
        "Loss of Autonomy": 6,
        "Loss of Trust": 7,
    }
    factors = p.problems[["noncompliance", "direct_business", "reputational", "internal_culture",
                          "other"]].drop_duplicates()  # fmt: skip
    assert factors.values.tolist() == [[5, 7, 7, 1, 1]]
    assert set(p.problems["impact"]) == {21}
    assert p.data_actions.loc[0, "risk"] == 693
    dignity = p.problems[p.problems["problem"] == "Dignity Loss"].iloc[0]
    assert dignity["problematic_data_actions"] == (
        "Insecurity",
        "Unanticipated Revelation",
        "Re-identification",
        "Stigmatization",
    )
    assert dignity["rules"] == ("P01", "P06", "P07", "P09")
    assert p.data_actions.loc[0, "data_action"] == "F-1:transfer"
    assert p.data_actions.loc[0, "name"] == (
        "Transfer from CRM-01 Customer 360 CRM to AIA-01 Agent Assist: Reporting"
    )


# -- NIST's arithmetic with rules of the test's own ---------------------------------------------
RULES = pd.DataFrame(
    [
        ["X", "Insecurity", "Economic Loss; Loss of Trust", "8", "unencrypted", "why X"],
        ["Y", "Appropriation", "Loss of Trust", "3", "no_purpose", "why Y"],
    ],
    columns=["id", "problematic_data_action", "problems", "likelihood", "condition", "rationale"],
)
IMPACT = pd.DataFrame(
    [
        ["noncompliance", "4", "personal", "", "n"],
        ["reputational", "2", "unencrypted", "", "r"],
    ],
    columns=["factor", "points", "condition", "problems", "rationale"],
)
# F-1 unencrypted: X → Economic 8, Trust 8; impact 4 + 1 + 2 + 1 + 1 = 9 (unset factors are
#   held to NIST's minimum 1): risks 72 + 72 = 144.
# F-2 no purpose: Y → Trust 3; impact 4 + 1 + 1 + 1 + 1 = 8: risk 24.
# F-3 unencrypted, no purpose: Economic 8, Trust max(8, 3) = 8; impact 9: 144.
# F-4 healthy: 0.   F-5 like F-1: 144.
# System risk 144 + 24 + 144 + 0 + 144 = 456.
FLOWS = (
    {"encrypted_in_transit": "no"},
    {"purpose": ""},
    {"encrypted_in_transit": "no", "purpose": ""},
    {},
    {"encrypted_in_transit": "no"},
)


def test_nist_arithmetic_risk_sum_percent_rank_and_outliers():
    p = analyse(inventory(*FLOWS), rules=RULES, impact_rules=IMPACT)
    actions = p.data_actions.set_index("flow_id")
    assert list(actions["risk"]) == [144, 24, 144, 0, 144]
    assert p.total == 456
    for flow, risk in zip(actions.index, [144, 24, 144, 0, 144], strict=True):
        assert math.isclose(actions.loc[flow, "percent"], risk / 456)
    # Excel's RANK(x, range, 0): ties share the rank, the next rank skips.
    assert list(actions["rank"]) == [1, 4, 1, 5, 1]
    # Problem risks: 72 ×6 and 24; the five highest are 72s, so every 72 is an outlier (ties
    # at the cut-off included) and the 24 is not.
    outliers = p.problems.loc[p.problems["outlier"], "risk"]
    assert list(outliers) == [72] * 6
    assert list(actions["outlier"]) == [True, False, True, False, True]
    f3 = p.problems[p.problems["data_action"] == "F-3:transfer"]
    trust = f3[f3["problem"] == "Loss of Trust"].iloc[0]
    assert trust["problematic_data_actions"] == ("Insecurity", "Appropriation")
    assert (trust["likelihood"], trust["impact"], trust["risk"]) == (8, 9, 72)


def test_roll_ups_per_system_party_and_category():
    flows = (
        {"encrypted_in_transit": "no", "destination": "external:Agency"},  # 144
        {"purpose": "", "source": "CRM-01", "data_categories": "user.contact.email"},  # 24
    )
    p = analyse(inventory(*flows), rules=RULES, impact_rules=IMPACT)
    assert p.by_system.loc["CDP-01", "risk"] == 144
    assert p.by_system.loc["CRM-01", "risk"] == 24
    assert p.by_system.loc["ANL-01", "risk"] == 24
    assert p.by_party.loc["Agency", "risk"] == 144
    assert p.by_category.loc["user.name", "risk"] == 144
    assert p.by_category.loc["user.contact.email", "label"] == "User Contact Email"
    assert p.by_system.loc["CDP-01", "highest"] == "F-1:transfer"
    assert math.isclose(p.by_party.loc["Agency", "percent"], 144 / 168)


def test_explain_shows_the_arithmetic():
    p = analyse(inventory(*FLOWS), rules=RULES, impact_rules=IMPACT)
    text = p.explain("F-3:transfer")
    assert "Economic Loss: likelihood 8 × impact (4 + 1 + 2 + 1 + 1 = 9) = risk 72" in text
    assert "rule Y: why Y" in text
    assert "= 72 + 72 = 144" in text
    assert "rank 1 of 5" in text
    with pytest.raises(KeyError, match="F-3:transfer"):
        p.explain("F-3:transfr")


# -- the consultant's edits ------------------------------------------------------------------
def edits(*rows: dict) -> pd.DataFrame:
    blank = {c: (float("nan") if c not in TEXT else "") for c in PRAM_EDIT_COLUMNS}
    return pd.DataFrame([{**blank, **row} for row in rows], columns=PRAM_EDIT_COLUMNS)


TEXT = ("data_action", "problem", "selected_controls", "rationale", "reason")


def test_edits_replace_likelihoods_and_factors_add_problems_and_keep_orphans():
    changes = edits(
        {"data_action": "F-2:transfer", "problem": "Loss of Trust", "likelihood": 10,
         "reason": "purpose unknown for years"},
        {"data_action": "F-1:transfer", "problem": "Economic Loss", "other": 6,
         "reason": "card-scheme fines", "selected_controls": "TLS 1.3", "rationale": "closes it"},
        {"data_action": "F-4:transfer", "problem": "Loss of Autonomy", "likelihood": 2,
         "reason": "seen in interviews"},
        {"data_action": "F-9:transfer", "problem": "Loss of Trust", "likelihood": 4,
         "reason": "x"},
    )  # fmt: skip
    p = analyse(inventory(*FLOWS), rules=RULES, impact_rules=IMPACT, edits=changes)
    rows = p.problems.set_index(["data_action", "problem"])
    # F-2: 10 × 8 = 80.  F-1 Economic Loss: other 6 → impact 4 + 1 + 2 + 1 + 6 = 14, 8 × 14 =
    # 112, F-1 = 112 + 72 = 184.  F-4: a new problem, impact from the rows: 4+1+1+1+1 = 8, 16.
    assert rows.loc[("F-2:transfer", "Loss of Trust"), "risk"] == 80
    assert rows.loc[("F-1:transfer", "Economic Loss"), "risk"] == 112
    assert rows.loc[("F-1:transfer", "Economic Loss"), "source"] == "edited"
    assert rows.loc[("F-1:transfer", "Economic Loss"), "selected_controls"] == "TLS 1.3"
    assert rows.loc[("F-4:transfer", "Loss of Autonomy"), "risk"] == 16
    assert rows.loc[("F-4:transfer", "Loss of Autonomy"), "reason"] == "seen in interviews"
    actions = p.data_actions.set_index("flow_id")["risk"]
    assert list(actions) == [184, 80, 144, 16, 144]
    assert list(p.orphans["data_action"]) == ["F-9:transfer"]


def test_edits_travel_with_the_inventory():
    inv = inventory(*FLOWS)
    changes = edits({"data_action": "F-2:transfer", "problem": "Loss of Trust",
                     "likelihood": 1, "reason": "r"})  # fmt: skip
    import dataclasses

    carried = dataclasses.replace(inv, pram_edits=changes)
    p = analyse(carried, rules=RULES, impact_rules=IMPACT)
    assert p.data_actions.set_index("flow_id").loc["F-2", "risk"] == 8


# -- the sample ------------------------------------------------------------------------------
def test_the_sample_percents_sum_to_one_and_ranks_follow_risk():
    a = nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))
    p = nistpf.pram(a)
    assert p is nistpf.pram(a)  # computed once per Assessment
    assert len(p.data_actions) == len(a.inventory.flows)
    assert math.isclose(p.data_actions["percent"].sum(), 1.0)
    ordered = p.data_actions.sort_values("risk", ascending=False)
    assert list(ordered["rank"]) == sorted(ordered["rank"])
    # F-030 sends call recordings with card data unencrypted to the BPO: P01 holds there.
    assert "P01" in rules_of(p, "F-030")


# -- rules files -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"problems": "Loss of Face"}, "problem 'Loss of Face' is not one of NIST's"),
        ({"problematic_data_action": "Snooping"}, "not one of NIST's"),
        ({"likelihood": "11"}, "likelihood '11' is not a number from 1 to 10"),
        ({"condition": "unencrypted and"}, "syntax error"),
        ({"condition": "encrypted"}, "unknown column 'encrypted'"),
        ({"rationale": ""}, "rationale is empty"),
    ],
)
def test_a_bad_rule_is_refused_naming_it(tmp_path, change, message):
    table = RULES.copy()
    for column, value in change.items():
        table.loc[1, column] = value
    path = tmp_path / "rules.csv"
    table.to_csv(path, index=False)
    with pytest.raises(RuleError, match=message) as caught:
        load_pram_rules(path)
    assert "rule Y" in str(caught.value)


def test_a_bad_impact_row_is_refused_naming_it(tmp_path):
    table = IMPACT.copy()
    table.loc[1, "factor"] = "legal"
    path = tmp_path / "impact.csv"
    table.to_csv(path, index=False)
    with pytest.raises(RuleError, match="row 3: factor 'legal' is not one of"):
        load_impact_rules(path)


def test_the_shipped_rules_name_every_problematic_data_action():
    rules = load_pram_rules()
    assert len(rules) >= 15
    assert set(rules["problematic_data_action"]) == set(NIST_PROBLEMATIC_DATA_ACTIONS)
    assert all(rules["rationale"].str.len() > 20)


# -- the tie-in to the Privacy Framework (NIST's PF 1.0 → PRAM mapping) -----------------------
def test_pram_evidence_follows_nists_pf_to_pram_mapping():
    changes = edits(
        {"data_action": "F-1:transfer", "problem": "Economic Loss", "likelihood": 5,
         "reason": "r", "selected_controls": "TLS 1.3"},
    )  # fmt: skip
    p = analyse(inventory(*FLOWS), rules=RULES, impact_rules=IMPACT, edits=changes)
    evidence = p.pf_evidence().set_index("subcategory")
    # NIST maps ID.IM-P1..P4, P6..P8 and ID.RA-P1 to worksheet 2, ID.RA-P4 to worksheet 3 and
    # the catalog, ID.RA-P5 to worksheet 4; ID.IM-P5 and ID.RA-P3 to no worksheet.
    assert {"ID.IM-P5", "ID.RA-P3"}.isdisjoint(evidence.index)
    assert evidence.loc["ID.IM-P8", "evidence"].startswith("5 data actions inventoried")
    # Problems: F-1 2, F-2 1, F-3 2, F-5 2 = 7; one edited; one with selected controls.
    assert evidence.loc["ID.RA-P4", "evidence"] == (
        "7 problems for individuals weighed by likelihood and impact; 1 reviewed by the "
        "consultant (PRAM worksheet 3)"
    )
    assert evidence.loc["ID.RA-P5", "evidence"].startswith("1 of 7 problems have selected")
    text = p.explain("id.ra-p5")
    assert text.startswith("ID.RA-P5 — NIST's mapping of PF 1.0 to the PRAM: Worksheet 4.")
    assert "raises no level itself" in text


# -- edits from any source meet the store's rules -------------------------------------------
@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"likelihood": 10.5}, "likelihood 10.5 is outside 0 to 10"),
        ({"likelihood": -1}, "likelihood -1 is outside 0 to 10"),
        ({"likelihood": float("inf")}, "likelihood inf is outside 0 to 10"),
        ({"likelihood": "abc"}, "likelihood 'abc' is not a number"),
        ({"likelihood": True}, "likelihood True is not a number"),
        ({"noncompliance": 0}, "noncompliance 0 is outside 1 to 10"),
        ({"noncompliance": 11}, "noncompliance 11 is outside 1 to 10"),
        ({"likelihood": 5, "reason": " "}, "likelihood override the rules' and need a reason"),
        ({"problem": "Boredom"}, "problem 'Boredom' is not one of NIST's"),
        ({"data_action": ""}, "the data action is blank"),
    ],
)
def test_edits_off_nists_scales_are_refused_in_one_line(row, message):
    base = {"data_action": "F-1:transfer", "problem": "Economic Loss", "likelihood": 5,
            "reason": "r"}  # fmt: skip
    with pytest.raises(PramEditsError) as caught:
        analyse(inventory(*FLOWS), rules=RULES, impact_rules=IMPACT, edits=edits({**base, **row}))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_edits_forgive_the_problems_spelling_and_refuse_two_rows_for_one_key():
    spelled = edits({"data_action": "F-2:transfer", "problem": "  loss of  TRUST ",
                     "likelihood": 10, "reason": "r"})  # fmt: skip
    p = analyse(inventory(*FLOWS), rules=RULES, impact_rules=IMPACT, edits=spelled)
    assert p.data_actions.set_index("flow_id").loc["F-2", "risk"] == 80  # 10 × 8
    twice = edits(
        {"data_action": "F-2:transfer", "problem": "Loss of Trust", "likelihood": 9, "reason": "r"},
        {"data_action": "F-2:transfer", "problem": "loss of trust", "likelihood": 1, "reason": "r"},
    )
    with pytest.raises(PramEditsError, match=r"edited twice \(rows 0 and 1\)"):
        analyse(inventory(*FLOWS), rules=RULES, impact_rules=IMPACT, edits=twice)
    for wrong in ([{"data_action": "F-2:transfer"}], pd.DataFrame({"x": [1]})):
        with pytest.raises(PramEditsError):
            analyse(inventory(*FLOWS), rules=RULES, impact_rules=IMPACT, edits=wrong)


@pytest.mark.parametrize("points", ["nan", "inf", "-inf", "1e300", "11"])
def test_impact_points_must_be_finite_and_on_the_scale(tmp_path, points):
    table = IMPACT.copy()
    table.loc[0, "points"] = points
    path = tmp_path / "impact.csv"
    table.to_csv(path, index=False)
    with pytest.raises(RuleError, match=r"row 2: points .* is not a number from -10 to 10"):
        load_impact_rules(path)


def test_a_condition_nested_too_deeply_is_a_rule_error(tmp_path):
    table = RULES.copy()
    table.loc[0, "condition"] = "personal and (" * 30 + "personal" + ")" * 30
    path = tmp_path / "rules.csv"
    table.to_csv(path, index=False)
    with pytest.raises(RuleError, match=r"rule X: .*more than 20 parentheses"):
        load_pram_rules(path)


def test_explain_points_from_a_flow_or_an_unmapped_outcome_to_what_exists():
    p = analyse(inventory(*FLOWS), rules=RULES, impact_rules=IMPACT)
    with pytest.raises(KeyError, match=r"did you mean F-3:transfer\?"):
        p.explain("f-3")  # the flow's ID, in lower case
    with pytest.raises(KeyError, match=r"GV\.PO-P1 is not an outcome .* evidences ID\.IM-P1"):
        p.explain("GV.PO-P1")
