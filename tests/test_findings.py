"""Data-flow findings: every rule pinned by hand-made flows, rules-file validation, and the
weaknesses of the bundled sample."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

import nistpf
import nistpf.sample
from nistpf.findings import (
    FACT_COLUMNS,
    FINDING_COLUMNS,
    RULE_COLUMNS,
    RuleError,
    evaluate_findings,
    flow_facts,
    is_sensitive,
    load_rules,
)
from tests.inventory_files import CONTROLS

SYSTEMS = pd.DataFrame(
    [
        ["CRM-01", "Customer 360 CRM", "CRM", "High"],
        ["CDP-01", "Customer Data Platform", "CDP", "Medium"],
        ["BOT-01", "Web chatbot", "Chatbot", "Low"],
        ["AIA-01", "Agent Assist", "AI", "Medium"],
    ],
    columns=["system_id", "name", "type", "criticality"],
)
# A flow with nothing wrong: every test changes only what it is about.
HEALTHY = {
    "flow_id": "F-001",
    "source": "CRM-01",
    "destination": "CDP-01",
    "data_categories": "user.contact.email",
    "purpose": "Profile unification",
    "stage": "transfer",
    "encrypted_in_transit": "yes",
    "minimization": "none",
    "consent_basis": "Consent (personalisation)",
    "third_party": "no",
    "retention_days": "365",
    "owner": "CRM Platform Owner",
}


def inventory(*flows: dict) -> nistpf.Inventory:
    """The four systems above and one flow per dict (HEALTHY with the dict's changes)."""
    rows = [{**HEALTHY, "flow_id": f"F-{n:03d}", **changes} for n, changes in enumerate(flows, 1)]
    return nistpf.load_inventory(
        {
            "Systems": SYSTEMS,
            "Controls": pd.DataFrame(CONTROLS[1:], columns=CONTROLS[0]),
            "DataFlows": pd.DataFrame(rows, columns=list(HEALTHY)),
        }
    )


def found(*flows: dict) -> list[tuple]:
    """(rule, systems) of every finding on the flows, in the findings' order."""
    table = evaluate_findings(inventory(*flows))
    return list(zip(table["rule"], table["systems"], strict=True))


# -- the worked example and the finding row -----------------------------------------


def test_a_healthy_flow_has_no_findings():
    table = evaluate_findings(inventory({}))
    assert table.empty
    assert list(table.columns) == FINDING_COLUMNS
    assert table["cap"].dtype == float


def test_unencrypted_crm_to_cdp_is_one_r01_finding_touching_both():
    table = evaluate_findings(inventory({"encrypted_in_transit": "no"}))
    assert list(table.columns) == FINDING_COLUMNS
    assert table.to_dict("records") == [
        {
            "finding_id": "R01:F-001",
            "rule": "R01",
            "flow_id": "F-001",
            "subcategory": "PR.DS-P2",
            "systems": ("CRM-01", "CDP-01"),
            "severity": "High",
            "cap": 1.0,
            "message": "Flow F-001 sends personal data from CRM-01 to CDP-01 without "
            "encryption in transit",
        }
    ]


# -- each rule: a flow that shows the weakness, and flows that do not -----------------------

EXTERNAL = {"destination": "external:Acme Ads", "third_party": "yes", "stage": "sharing"}
CASES = {
    # R01 unencrypted personal data → PR.DS-P2
    "unencrypted": ({"encrypted_in_transit": "no"}, [("R01", ("CRM-01", "CDP-01"))]),
    "encryption unknown is not unencrypted": (
        {"encrypted_in_transit": ""},
        [("R09", ("CRM-01", "CDP-01"))],
    ),
    "unencrypted system data is not personal": (
        {"encrypted_in_transit": "no", "data_categories": "system.operations"},
        [],
    ),
    "unencrypted blank categories count as personal": (
        {"encrypted_in_transit": "no", "data_categories": ""},
        [("R01", ("CRM-01", "CDP-01"))],
    ),
    # R02 no purpose → ID.IM-P5
    "no purpose": ({"purpose": ""}, [("R02", ("CRM-01", "CDP-01"))]),
    "purpose n/a": ({"purpose": "n/a"}, [("R02", ("CRM-01", "CDP-01"))]),
    # R03 sharing with no consent basis → CT.PO-P1
    "external without consent basis": (
        {**EXTERNAL, "consent_basis": ""},
        [("R03", ("CRM-01",))],
    ),
    "third party system without consent basis": (
        {"third_party": "yes", "consent_basis": ""},
        [("R03", ("CRM-01", "CDP-01"))],
    ),
    "external with consent basis": (EXTERNAL, []),
    "internal flow without consent basis": ({"consent_basis": ""}, []),
    # R04 kept with no retention period → CT.DM-P5 (the destination keeps it)
    "stored without retention": (
        {"stage": "storage", "retention_days": ""},
        [("R04", ("CDP-01",))],
    ),
    "transferred without retention": ({"retention_days": ""}, [("R04", ("CDP-01",))]),
    "disposal needs no retention": ({"stage": "disposal", "retention_days": ""}, []),
    "retention of zero days is a period": ({"retention_days": "0"}, []),
    # R05 sensitive data leaving its system unminimised → CT.DP-P2
    "card data unminimised": (
        {"data_categories": "user.financial.credit_card"},
        [("R05", ("CRM-01", "CDP-01"))],
    ),
    "card number as a plain label": (
        {"data_categories": "Card number"},
        [("R05", ("CRM-01", "CDP-01"))],
    ),
    "card data masked": (
        {"data_categories": "user.financial.credit_card", "minimization": "masked"},
        [],
    ),
    "card data tokenized": (
        {"data_categories": "user.financial.credit_card", "minimization": "tokenized"},
        [],
    ),
    "contact data is not sensitive": ({"data_categories": "user.contact.email"}, []),
    "a credit score is not sensitive": ({"data_categories": "Schufa-Score"}, []),
    "collected from customers": (
        {
            "source": "external:Customers",
            "stage": "collection",
            "data_categories": "user.childrens",
        },
        [],
    ),
    "inside one system": (
        {"destination": "CRM-01", "data_categories": "user.health_and_medical"},
        [],
    ),
    "sent for destruction": (
        {**EXTERNAL, "stage": "disposal", "data_categories": "user.financial.bank_account"},
        [],
    ),
    # R06 a system missing from Systems → ID.IM-P1 (only inventoried systems are touched)
    "unknown destination": ({"destination": "XLS-01"}, [("R06", ("CRM-01",))]),
    "unknown source to an external party": (
        {**EXTERNAL, "source": "XLS-02"},
        [("R06", ())],
    ),
    "external parties are not unknown systems": (
        {"source": "external:Customers", "stage": "collection"},
        [],
    ),
    # R07 no owner → ID.IM-P2
    "no owner": ({"owner": ""}, [("R07", ("CRM-01", "CDP-01"))]),
    "owner TBD": ({"owner": "TBD"}, [("R07", ("CRM-01", "CDP-01"))]),
    # R08 unminimised personal data to an AI system → CT.DP-P2 (the AI system)
    "transcripts to an AI assistant": (
        {"destination": "AIA-01", "data_categories": "user.content.private"},
        [("R08", ("AIA-01",))],
    ),
    "masked transcripts to an AI assistant": (
        {
            "destination": "AIA-01",
            "data_categories": "user.content.private",
            "minimization": "masked",
        },
        [],
    ),
    "transcripts to a chatbot are not an AI finding": (
        {"destination": "BOT-01", "data_categories": "user.content.private"},
        [],
    ),
    # R09 encryption not recorded → PR.DS-P2
    "encryption unknown inside one system": (
        {"destination": "CRM-01", "encrypted_in_transit": ""},
        [],
    ),
}


@pytest.mark.parametrize(("changes", "expected"), CASES.values(), ids=CASES.keys())
def test_rule(changes, expected):
    assert found(changes) == expected


def test_sensitive_finding_names_the_sensitive_categories():
    flow = {"data_categories": "user.contact.email; user.biometric.voice; user.childrens"}
    row = evaluate_findings(inventory(flow)).iloc[0]
    assert (row["finding_id"], row["subcategory"], row["severity"], row["cap"]) == (
        "R05:F-001",
        "CT.DP-P2",
        "High",
        1.0,
    )
    assert row["message"] == (
        "Flow F-001 sends sensitive data (user.biometric.voice; user.childrens) from CRM-01 "
        "to CDP-01 without minimisation"
    )


def test_blank_categories_read_as_not_recorded_in_messages():
    row = evaluate_findings(inventory({"destination": "AIA-01", "data_categories": ""})).iloc[0]
    assert row["rule"] == "R08"
    assert row["message"] == (
        "Flow F-001 gives the AI system AIA-01 unminimised personal data from CRM-01 "
        "(categories not recorded)"
    )


def test_one_flow_can_break_several_rules_sorted_by_rule_then_flow():
    table = evaluate_findings(
        inventory({"owner": ""}, {"encrypted_in_transit": "no", "owner": ""}, {"purpose": ""})
    )
    assert table["finding_id"].tolist() == ["R01:F-002", "R02:F-003", "R07:F-001", "R07:F-002"]


# -- facts --------------------------------------------------------------------------------------


def test_flow_facts_one_row_per_flow_with_plain_booleans():
    facts = flow_facts(
        inventory({"encrypted_in_transit": ""}, {**EXTERNAL, "data_categories": "user.childrens"})
    )
    assert list(facts.columns) == FACT_COLUMNS
    assert facts["flow_id"].tolist() == ["F-001", "F-002"]
    assert facts.loc[0, ["unencrypted", "encryption_unknown", "shared"]].tolist() == [
        False,
        True,
        False,
    ]
    assert facts.loc[1, ["external_destination", "shared", "sensitive"]].tolist() == [
        True,
        True,
        True,
    ]
    assert facts.loc[1, "sensitive_categories"] == ("user.childrens",)
    assert facts.loc[0, ["source_type", "destination_type"]].tolist() == ["CRM", "CDP"]
    assert facts.loc[1, "destination_type"] == ""
    booleans = facts.drop(columns=[*FACT_COLUMNS[:10], "data_categories", "sensitive_categories"])
    assert {str(dtype) for dtype in booleans.dtypes} == {"bool"}


def test_findings_never_change_the_inventory():
    loaded = inventory({"encrypted_in_transit": "no"}, {"destination": "XLS-01"})
    before = copy.deepcopy(loaded.flows), copy.deepcopy(loaded.systems)
    evaluate_findings(loaded)
    flow_facts(loaded)
    assert loaded.flows.equals(before[0])
    assert loaded.systems.equals(before[1])


def test_an_inventory_without_flows_has_no_findings():
    controls = pd.DataFrame(CONTROLS[1:], columns=CONTROLS[0])
    loaded = nistpf.load_inventory({"Systems": SYSTEMS, "Controls": controls})
    assert flow_facts(loaded).empty
    assert evaluate_findings(loaded).empty


@pytest.mark.parametrize(
    "category",
    [
        "user.financial.credit_card",
        "user.financial",
        "user.payment",
        "user.biometric.voice",
        "user.health_and_medical",
        "user.government_id.passport_number",
        "user.location.precise",
        "user.childrens",
        "Card numbers",
        "Payment card",
        "Voice print",
        "voiceprint",
        "Children's first names",
        "GPS coordinates",
        "SSN",
        "passport scan",
        "Gesundheitsdaten",
    ],
)
def test_sensitive_categories(category):
    assert is_sensitive(category)


@pytest.mark.parametrize(
    "category",
    [
        "user.contact",
        "user.contact.email",
        "user.location.imprecise",
        "user.childrensclub",
        "Schufa-Score",
        "Healthy living newsletter",
        "Cardholder name",
        "Order history",
    ],
)
def test_not_sensitive_categories(category):
    assert not is_sensitive(category)


# -- the rules file -----------------------------------------------------------------------------


def test_the_package_rules():
    rules = load_rules()
    assert list(rules.columns) == RULE_COLUMNS
    assert rules["cap"].dtype == float
    assert rules["id"].tolist() == [f"R{n:02d}" for n in range(1, 10)]
    summary = rules.set_index("id")[["subcategory", "severity", "cap", "touches"]]
    assert summary.loc[["R01", "R02", "R03", "R04", "R05", "R06"]].values.tolist() == [
        ["PR.DS-P2", "High", 1.0, "both"],
        ["ID.IM-P5", "Medium", 2.0, "both"],
        ["CT.PO-P1", "High", 1.0, "both"],
        ["CT.DM-P5", "Medium", 2.0, "destination"],
        ["CT.DP-P2", "High", 1.0, "both"],
        ["ID.IM-P1", "High", 1.0, "both"],
    ]
    assert (rules["description"].str.len() > 20).all()


GOOD_RULE = {
    "id": "X01",
    "description": "Stored data is not minimised.",
    "condition": "stage == 'storage' and not minimised",
    "subcategory": "pr.ds-p1",
    "severity": "low",
    "cap": "3",
    "touches": "Source",
    "message": "Flow {flow_id} stores {categories} in {destination} as it is ({stage})",
}


def write_rules(path, *rules: dict):
    pd.DataFrame(list(rules), columns=RULE_COLUMNS).to_csv(path, index=False)
    return path


def test_a_custom_rules_file(tmp_path):
    path = write_rules(tmp_path / "rules.csv", GOOD_RULE, {**GOOD_RULE, "id": "X02"})
    rules = load_rules(path)
    assert rules.loc[0, ["subcategory", "severity", "cap", "touches"]].tolist() == [
        "PR.DS-P1",
        "Low",
        3.0,
        "source",
    ]
    loaded = inventory({"stage": "storage"}, {}, {"stage": "storage", "source": "XLS-03"})
    for given in (rules, path, str(path)):
        table = evaluate_findings(loaded, rules=given)
        assert table["finding_id"].tolist() == ["X01:F-001", "X01:F-003", "X02:F-001", "X02:F-003"]
    first = evaluate_findings(loaded, rules=rules).iloc[0]
    assert first["systems"] == ("CRM-01",)
    assert first["message"] == "Flow F-001 stores user.contact.email in CDP-01 as it is (storage)"
    # touches source, and the unknown source XLS-03 is never touched
    assert evaluate_findings(loaded, rules=rules).iloc[1]["systems"] == ()


def test_blank_rows_in_a_rules_file_are_skipped(tmp_path):
    path = write_rules(tmp_path / "rules.csv", GOOD_RULE, dict.fromkeys(RULE_COLUMNS, ""))
    assert load_rules(path)["id"].tolist() == ["X01"]


def test_touches_destination_and_both(tmp_path):
    loaded = inventory({"stage": "storage"}, {"stage": "storage", "source": "CDP-01"})
    for touches, expected in [
        ("destination", [("CDP-01",), ("CDP-01",)]),
        ("both", [("CRM-01", "CDP-01"), ("CDP-01",)]),
    ]:
        path = write_rules(tmp_path / f"{touches}.csv", {**GOOD_RULE, "touches": touches})
        assert evaluate_findings(loaded, rules=load_rules(path))["systems"].tolist() == expected


BAD_RULES = {
    "unknown column": (
        {"condition": "personel and unencrypted"},
        "unknown column 'personel' (did you mean 'personal'?)",
    ),
    "syntax error": ({"condition": "personal and (unencrypted"}, "syntax error"),
    "pandas variable": ({"condition": "personal and @flag"}, "syntax error"),
    "arithmetic": ({"condition": "personal + 1"}, "is not allowed"),
    "function call": ({"condition": "stage.str.len() == '3'"}, "cannot be compared"),
    "bare text column": ({"condition": "stage"}, "stage is text"),
    "boolean compared": ({"condition": "personal == 'yes'"}, "personal is true or false"),
    "less than": ({"condition": "stage < 'use'"}, "compare with == or != only"),
    "empty condition": ({"condition": ""}, "the condition is empty"),
    "bad PF ID": ({"subcategory": "PR.DS-P9"}, "'PR.DS-P9' is not a Privacy Framework 1.0 ID"),
    "a Category": ({"subcategory": "PR.DS-P"}, "PR.DS-P is a category"),
    "bad severity": ({"severity": "Critical"}, "severity 'Critical' is not one of High"),
    "bad touches": ({"touches": "everyone"}, "touches 'everyone' is not one of both"),
    "cap not a number": ({"cap": "high"}, "cap 'high' is not a level from 0 to 4"),
    "cap above the scale": ({"cap": "5"}, "cap '5' is not a level from 0 to 4"),
    "unknown placeholder": ({"message": "Flow {flow} leaks"}, "placeholder {flow} is unknown"),
    "attribute in placeholder": ({"message": "{source.__class__}"}, "is unknown"),
    "no description": ({"description": ""}, "description is empty"),
}


@pytest.mark.parametrize(("changes", "problem"), BAD_RULES.values(), ids=BAD_RULES.keys())
def test_invalid_rules_name_the_rule_and_the_problem(tmp_path, changes, problem):
    path = write_rules(tmp_path / "rules.csv", GOOD_RULE, {**GOOD_RULE, "id": "X07", **changes})
    with pytest.raises(RuleError) as caught:
        load_rules(path)
    error = caught.value
    assert isinstance(error, nistpf.NistpfError)
    assert error.code == "rule-invalid"
    assert error.rule == "X07"
    assert str(error).startswith(f"{path}: rule X07: ")
    assert problem in error.problem


def test_a_rules_table_is_validated_when_evaluated():
    rules = pd.DataFrame([{**GOOD_RULE, "condition": "nonsense"}])
    with pytest.raises(RuleError, match=r"rules: rule X01: condition 'nonsense': unknown column"):
        evaluate_findings(inventory({}), rules=rules)


def test_rules_file_problems_without_a_rule(tmp_path):
    duplicate = write_rules(tmp_path / "duplicate.csv", GOOD_RULE, GOOD_RULE)
    with pytest.raises(RuleError, match="rule X01: the id is used by two rules"):
        load_rules(duplicate)
    missing = tmp_path / "missing.csv"
    pd.DataFrame([GOOD_RULE]).drop(columns=["touches"]).to_csv(missing, index=False)
    with pytest.raises(RuleError, match="missing column") as caught:
        load_rules(missing)
    assert caught.value.rule is None
    with pytest.raises(RuleError, match="cannot read the rules file"):
        load_rules(tmp_path / "nowhere.csv")


# -- the bundled sample ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_findings() -> pd.DataFrame:
    return evaluate_findings(nistpf.load_inventory(nistpf.sample.sample_path()))


def test_the_sample_weaknesses_are_found(sample_findings):
    assert sample_findings["finding_id"].tolist() == [
        "R01:F-018",  # survey webhook over plain HTTP
        "R01:F-030",  # recordings to the BPO over FTP
        "R02:F-016",  # CDP to analytics with no purpose
        "R03:F-032",  # media agency, no consent basis
        "R04:F-019",  # the team leads' spreadsheet keeps complaints with no retention
        "R04:F-028",  # Agent Assist logs in the warehouse
        "R05:F-014",  # precise location and children's data
        "R05:F-019",  # injury details to the spreadsheet
        "R05:F-021",  # BPO transcripts with health and card data
        "R05:F-030",  # voice and card numbers to the BPO
        "R06:F-019",  # XLS-01 is not in Systems
        "R07:F-019",  # nobody owns the export
        "R08:F-021",  # unredacted transcripts to Agent Assist
        "R09:F-019",  # encryption of the export unknown
    ]


def test_the_sample_unknown_system_finding(sample_findings):
    row = sample_findings.set_index("finding_id").loc["R06:F-019"]
    assert (row["subcategory"], row["systems"], row["severity"], row["cap"]) == (
        "ID.IM-P1",
        ("TKT-01",),
        "High",
        1.0,
    )
    assert row["message"] == (
        "Flow F-019 from TKT-01 to XLS-01 names a system that is not in the Systems sheet"
    )
