"""The rules file, pinned where mutation testing found it loose: every problem a rule can have
is one whole message naming the file, the rule and the fix; the file is read as written (a byte
order mark, ``N/A`` and ``01`` kept as text, a condition over two lines, extra columns kept
beside their rule); the caps run over the whole 0-4 tiers scale. See README, "Mutation
testing"."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import nistpf
import nistpf.findings
from nistpf.findings import (
    RULE_COLUMNS,
    RuleError,
    evaluate_findings,
    flow_facts,
    is_sensitive,
    load_rules,
)
from tests.inventory_files import healthy_flow, small_inventory

GOOD_RULE = {
    "id": "X01",
    "description": "Personal data is sent without encryption.",
    "condition": "personal and unencrypted",
    "subcategory": "PR.DS-P2",
    "severity": "High",
    "cap": "1",
    "touches": "both",
    "message": "Flow {flow_id} is not encrypted",
}
PLACEHOLDERS = (
    "{flow_id}, {source}, {destination}, {stage}, {minimization}, {purpose}, {consent_basis}, "
    "{owner}, {source_type}, {destination_type}, {categories}, {sensitive}"
)
FLOWS = ["flow_id", "source", "destination", "encrypted_in_transit"]


def write_rules(path, rows: list[dict], *, columns=RULE_COLUMNS, encoding="utf-8"):
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False, encoding=encoding)
    return path


def unencrypted_crm_to_cdp() -> nistpf.Inventory:
    return small_inventory(
        [], [], DataFlows=pd.DataFrame([["F-1", "CRM", "CDP", "no"]], columns=FLOWS)
    )


def problem_of(tmp_path, changes: dict) -> str:
    path = write_rules(tmp_path / "rules.csv", [{**GOOD_RULE, "id": "X07", **changes}])
    with pytest.raises(RuleError) as caught:
        load_rules(path)
    assert caught.value.rule == "X07"
    assert str(caught.value) == f"{path}: rule X07: {caught.value.problem}"
    return caught.value.problem


WHOLE_PROBLEMS = {
    "empty condition": ({"condition": ""}, "condition '': the condition is empty"),
    "two comparisons": (
        {"condition": "stage == 'use' == purpose"},
        "condition \"stage == 'use' == purpose\": compare with == or != only, one comparison "
        "at a time",
    ),
    "no fact compared": (
        {"condition": "'a' == 'b'"},
        "condition \"'a' == 'b'\": a comparison needs a fact column",
    ),
    "arithmetic": (
        {"condition": "personal + 1"},
        "condition 'personal + 1': 'personal + 1' is not allowed; use and, or, not, ==, !=, "
        "parentheses, fact columns and 'quoted values'",
    ),
    "unknown column right of a value": (
        {"condition": "'AI' == destination_typ"},
        "condition \"'AI' == destination_typ\": unknown column 'destination_typ' (did you mean "
        "'destination_type'?); the flow facts are listed in nistpf.findings",
    ),
    "unknown column like no fact": (
        {"condition": "zzzz"},
        "condition 'zzzz': unknown column 'zzzz'; the flow facts are listed in nistpf.findings",
    ),
    "no description": (
        {"description": " "},
        "description is empty; say in one sentence what the rule finds",
    ),
    "bad severity": (
        {"severity": "Critical"},
        "severity 'Critical' is not one of High, Medium, Low",
    ),
    "bad touches": (
        {"touches": "everyone"},
        "touches 'everyone' is not one of both, source, destination",
    ),
    "cap below the scale": (
        {"cap": "-0.5"},
        "cap '-0.5' is not a level from 0 to 4 (the tiers scale)",
    ),
    "cap above the scale": (
        {"cap": "4.5"},
        "cap '4.5' is not a level from 0 to 4 (the tiers scale)",
    ),
    "no message": ({"message": ""}, "message is empty"),
    "unknown placeholder": (
        {"message": "Flow {flow} leaks"},
        f"message placeholder {{flow}} is unknown; use {PLACEHOLDERS}",
    ),
}


@pytest.mark.parametrize(("changes", "problem"), WHOLE_PROBLEMS.values(), ids=WHOLE_PROBLEMS.keys())
def test_each_rule_problem_is_one_whole_message(tmp_path, changes, problem):
    assert problem_of(tmp_path, changes) == problem


@pytest.mark.parametrize("cap", ["0", "4", "0.0", "4.0", "2.5"])
def test_a_cap_from_0_to_4_inclusive_is_a_level_of_the_tiers_scale(tmp_path, cap):
    rules = load_rules(write_rules(tmp_path / "rules.csv", [{**GOOD_RULE, "cap": cap}]))
    assert rules.loc[0, "cap"] == float(cap)
    assert rules["cap"].dtype == float


def test_a_cap_of_0_brings_the_level_to_0_and_a_cap_of_4_changes_nothing(tmp_path):
    # A control at maturity 4 on PR.DS-P2 for every system; the unencrypted flow CRM → CDP
    # touches both. Cap 0: CRM and CDP drop to 0, BOT stays 4. Cap 4: nothing is below 4.
    inventory = small_inventory(
        [["C1", "TLS", "Implemented", 4, "PR.DS-P2", "ALL"]],
        [],
        DataFlows=pd.DataFrame([["F-1", "CRM", "CDP", "no"]], columns=FLOWS),
    )
    for cap, expected, named in (("0", [0.0, 0.0, 4.0], ["X01:F-1", "X01:F-1", ""]),
                                 ("4", [4.0, 4.0, 4.0], ["", "", ""])):  # fmt: skip
        rules = load_rules(write_rules(tmp_path / f"cap{cap}.csv", [{**GOOD_RULE, "cap": cap}]))
        levels = nistpf.assess(inventory, rules=rules).levels
        levels = levels[levels["subcategory"] == "PR.DS-P2"]
        assert levels["level"].tolist() == expected, cap
        assert levels["capped_by"].tolist() == named, cap


def test_a_condition_written_over_two_lines_is_one_condition(tmp_path):
    path = write_rules(
        tmp_path / "rules.csv", [{**GOOD_RULE, "condition": "personal and\nunencrypted"}]
    )
    rules = load_rules(path)
    assert rules.loc[0, "condition"] == "personal and unencrypted"
    findings = evaluate_findings(unencrypted_crm_to_cdp(), rules=rules)
    assert findings["finding_id"].tolist() == ["X01:F-1"]


def test_a_rules_file_is_read_as_written_with_extra_columns_beside_their_rule(tmp_path):
    # Excel's "CSV UTF-8" starts with a byte order mark; "N/A" and "01" are text, not a missing
    # value or the number 1; a row blank in the rule's columns, between rules, is skipped (not
    # the end of the file), whatever its extra columns hold.
    columns = [*RULE_COLUMNS, "notes", "order"]
    path = write_rules(
        tmp_path / "rules.csv",
        [
            {**GOOD_RULE, "notes": "N/A", "order": "01"},
            {**dict.fromkeys(RULE_COLUMNS, ""), "notes": "", "order": "00"},
            {**GOOD_RULE, "id": "X02", "notes": "01", "order": "02"},
            {**GOOD_RULE, "id": "X03", "notes": "", "order": "03"},
        ],
        columns=columns,
        encoding="utf-8-sig",
    )
    rules = load_rules(path)
    assert list(rules.columns) == columns
    assert rules["id"].tolist() == ["X01", "X02", "X03"]
    assert rules["notes"].tolist() == ["N/A", "01", ""]
    assert rules["order"].tolist() == ["01", "02", "03"]  # a column of digits alone stays text
    assert rules["cap"].tolist() == [1.0, 1.0, 1.0]


def test_a_rules_file_of_headers_alone_is_no_rules_and_finds_nothing(tmp_path):
    rules = load_rules(write_rules(tmp_path / "rules.csv", []))
    assert list(rules.columns) == RULE_COLUMNS
    assert len(rules) == 0
    findings = evaluate_findings(unencrypted_crm_to_cdp(), rules=rules)
    assert findings.empty
    assert list(findings.columns) == nistpf.findings.FINDING_COLUMNS


def test_blank_cells_of_a_rules_table_are_blank():
    # A rules DataFrame built in a notebook has NaN where nothing was written: a row of NaN is a
    # blank row, and a NaN description is an empty one.
    blank = dict.fromkeys(RULE_COLUMNS, float("nan"))
    rules = pd.DataFrame([blank, GOOD_RULE, blank])
    findings = evaluate_findings(unencrypted_crm_to_cdp(), rules=rules)
    assert findings["finding_id"].tolist() == ["X01:F-1"]
    with pytest.raises(RuleError) as caught:
        evaluate_findings(
            unencrypted_crm_to_cdp(), rules=pd.DataFrame([{**GOOD_RULE, "description": None}])
        )
    assert str(caught.value) == (
        "rules: rule X01: description is empty; say in one sentence what the rule finds"
    )


def test_problems_of_the_whole_file_name_the_file_and_the_row(tmp_path):
    missing = write_rules(tmp_path / "missing.csv", [GOOD_RULE], columns=RULE_COLUMNS[:-2])
    with pytest.raises(RuleError) as caught:
        load_rules(missing)
    assert str(caught.value) == (
        f"{missing}: missing column(s) touches, message; a rules file has the columns id, "
        "description, condition, subcategory, severity, cap, touches, message"
    )
    assert (caught.value.rule, caught.value.source) == (None, str(missing))
    # Line 1 is the header, so the second rule is on line 3.
    no_id = write_rules(tmp_path / "no-id.csv", [GOOD_RULE, {**GOOD_RULE, "id": ""}])
    with pytest.raises(RuleError) as caught:
        load_rules(no_id)
    assert str(caught.value) == f"{no_id}: row 3 has no id"
    assert (caught.value.rule, caught.value.problem) == (None, "row 3 has no id")
    twice = write_rules(tmp_path / "twice.csv", [GOOD_RULE, GOOD_RULE])
    with pytest.raises(RuleError) as caught:
        load_rules(twice)
    assert (
        str(caught.value) == f"{twice}: rule X01: the id is used by two rules; ids must be unique"
    )
    assert caught.value.source == str(twice)


def test_a_rule_error_names_its_source_and_rule():
    error = RuleError("R09", "cap 'x' is not a level")
    assert (error.rule, error.problem, error.source) == ("R09", "cap 'x' is not a level", "rules")
    assert str(error) == "rules: rule R09: cap 'x' is not a level"
    error = RuleError(None, "cannot read the rules file", source="my-rules.csv")
    assert error.source == "my-rules.csv"
    assert str(error) == "my-rules.csv: cannot read the rules file"
    assert error.code == "rule-invalid"


def test_the_package_rules_and_sensitive_categories_are_read_from_the_installed_package():
    # Both are cached after the first read: clear the caches, so this reads the files again.
    nistpf.findings._package_rules.cache_clear()
    nistpf.findings._sensitive_matcher.cache_clear()
    try:
        rules = load_rules()
        assert rules["id"].tolist() == [f"R{n:02d}" for n in range(1, 10)]
        assert is_sensitive("user.financial.credit_card")
        assert not is_sensitive("user.contact.email")
    finally:
        nistpf.findings._package_rules.cache_clear()
        nistpf.findings._sensitive_matcher.cache_clear()


def test_a_message_without_placeholders_is_the_message_of_every_finding(tmp_path):
    path = write_rules(tmp_path / "rules.csv", [{**GOOD_RULE, "message": "Encrypt it."}])
    findings = evaluate_findings(unencrypted_crm_to_cdp(), rules=load_rules(path))
    assert findings["message"].tolist() == ["Encrypt it."]


def test_a_flow_with_no_sensitive_category_fills_sensitive_with_nothing(tmp_path):
    message = "{flow_id}: [{sensitive}] of [{categories}]"
    path = write_rules(tmp_path / "rules.csv", [{**GOOD_RULE, "message": message}])
    flows = pd.DataFrame(
        [
            ["F-1", "CRM", "CDP", "no", "user.contact.email; user.financial.credit_card"],
            ["F-2", "CRM", "CDP", "no", "user.contact.email"],
            ["F-3", "CRM", "CDP", "no", ""],
        ],
        columns=[*FLOWS, "data_categories"],
    )
    inventory = small_inventory([], [], DataFlows=flows)
    findings = evaluate_findings(inventory, rules=load_rules(path))
    assert findings["message"].tolist() == [
        "F-1: [user.financial.credit_card] of [user.contact.email; user.financial.credit_card]",
        "F-2: [] of [user.contact.email]",
        "F-3: [] of [categories not recorded]",
    ]


def test_a_condition_with_or_holds_where_either_side_holds(tmp_path):
    path = write_rules(
        tmp_path / "rules.csv", [{**GOOD_RULE, "condition": "unencrypted or no_owner"}]
    )
    inventory = small_inventory(
        [],
        [
            healthy_flow("F-1", "CRM", "CDP", encrypted_in_transit="no"),
            healthy_flow("F-2", "CRM", "BOT", owner=""),
            healthy_flow("F-3", "CDP", "BOT"),
        ],
    )
    findings = evaluate_findings(inventory, rules=load_rules(path))
    assert findings["finding_id"].tolist() == ["X01:F-1", "X01:F-2"]


def test_rules_are_applied_in_natural_order_of_their_ids(tmp_path):
    rules = [{**GOOD_RULE, "id": rule} for rule in ("X10", "X2", "x1")]
    path = write_rules(tmp_path / "rules.csv", rules)
    findings = evaluate_findings(unencrypted_crm_to_cdp(), rules=load_rules(path))
    assert findings["rule"].tolist() == ["x1", "X2", "X10"]


def test_flow_facts_of_an_inventory_built_by_code_read_blanks_and_plain_strings():
    # An Inventory built by code may hold a category list as one string, NaN where nothing is
    # written, and a system with no type: the facts read them as the loader would have.
    loaded = small_inventory(
        [],
        [
            healthy_flow("F-1", "CRM", "CDP"),
            healthy_flow("F-2", "CRM", "BOT"),
            healthy_flow("F-3", "BOT", "CDP"),
        ],
    )
    flows = loaded.flows.assign(
        data_categories=pd.Series(["user.payment.method", float("nan"), "  "], dtype=object),
        purpose=pd.Series([float("nan"), "Service", "Service"], dtype=object),
    )
    systems = loaded.systems.assign(type=pd.Series(["CRM", float("nan"), "Chatbot"], dtype=object))
    facts = flow_facts(dataclasses.replace(loaded, flows=flows, systems=systems))
    assert facts["data_categories"].tolist() == [("user.payment.method",), (), ()]
    assert facts["sensitive"].tolist() == [True, False, False]
    assert facts["personal"].tolist() == [True, True, True]  # blank categories count as personal
    assert facts["purpose"].tolist() == ["", "Service", "Service"]
    assert facts["no_purpose"].tolist() == [True, False, False]
    assert facts["destination_type"].tolist() == ["", "Chatbot", ""]
    assert facts["source_type"].tolist() == ["CRM", "CRM", "Chatbot"]


def test_an_outside_endpoint_has_no_type_and_a_blank_third_party_is_not_one():
    # F-1 comes from outside; F-2 stays inside with no third party recorded and no consent basis,
    # which is no sharing (R03 needs an outside destination or a third party).
    inventory = small_inventory(
        [],
        [
            healthy_flow("F-1", "external:Acme", "CRM"),
            healthy_flow("F-2", "CRM", "CDP", consent_basis=""),
        ],
    )
    facts = flow_facts(inventory)
    assert facts["source_type"].tolist() == ["", "CRM"]
    assert facts["destination_type"].tolist() == ["CRM", "CDP"]
    assert facts["third_party"].tolist() == [False, False]
    assert facts["shared"].tolist() == [False, False]
    assert "R03" not in set(evaluate_findings(inventory)["rule"])


@pytest.mark.parametrize(
    ("category", "sensitive"),
    [
        ("user.payment", True),  # a listed Fides key itself
        ("user.payment.method", True),  # below a listed key, no keyword in it
        ("user.financial.account_number", True),
        ("user.paymentx", False),  # a longer key is not below it
        ("user.contact.email", False),
    ],
)
def test_a_fides_key_is_sensitive_at_or_below_a_listed_key(category, sensitive):
    assert is_sensitive(category) is sensitive


def test_an_unreadable_rules_file_names_the_file(tmp_path):
    path = tmp_path / "nowhere.csv"
    with pytest.raises(RuleError) as caught:
        load_rules(path)
    assert (caught.value.rule, caught.value.source) == (None, str(path))
    assert str(caught.value).startswith(f"{path}: cannot read the rules file (")
