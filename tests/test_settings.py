"""Settings reach the engine checked, in one place, whichever way they come: a mistyped key, a
partial or ill-typed weight mapping is a SettingsError naming the valid keys, never ignored and
never a bare KeyError."""

from __future__ import annotations

import pytest

import nistpf
from nistpf.engagement import open_engagement
from nistpf.errors import NistpfError
from nistpf.scoring import DEFAULTS, SettingsError, settings
from tests.inventory_files import THREE_SYSTEMS, small_inventory

SYSTEMS = THREE_SYSTEMS.drop(columns="data_categories")
SETTING_NAMES = (
    "target, priority, in_profile, criticality_weights, priority_weights, coverage, "
    "disagreement, cap_scale_maximum, no_evidence"
)


@pytest.fixture(scope="module")
def inventory():
    # PR.DS-P2: Implemented on every system (level 3); CT.DM-P1: Partially implemented at
    # maturity 2 on CRM (High) only.
    return small_inventory(
        [
            ["C1", "TLS", "Implemented", None, "PR.DS-P2", "ALL"],
            ["C2", "DSAR", "Partially implemented", 2, "CT.DM-P1", "CRM"],
        ],
        systems=SYSTEMS,
    )


def subcategory(a, sub_id):
    return a.subcategories.set_index("subcategory").loc[sub_id]


# -- unknown keys ------------------------------------------------------------------------------


def test_a_mistyped_setting_is_refused_with_the_valid_ones_listed(inventory):
    with pytest.raises(SettingsError) as raised:
        nistpf.assess(inventory, defaults={"no_evidense": "exclude"})
    message = str(raised.value)
    assert "'no_evidense' is not a setting" in message
    assert "did you mean 'no_evidence'?" in message
    assert message.endswith(f"the settings are {SETTING_NAMES}")
    assert isinstance(raised.value, NistpfError)
    assert raised.value.code == "invalid-settings"


def test_defaults_that_are_not_a_mapping_are_refused(inventory):
    with pytest.raises(SettingsError, match="defaults must be a mapping of settings"):
        nistpf.assess(inventory, defaults=[("target", 2)])


# -- weight mappings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "given", "missing", "keys"),
    [
        ("criticality_weights", {"High": 3}, "Medium, Low", "High, Medium, Low"),
        ("priority_weights", {"Moderate": 1, "Low": 1}, "High", "High, Moderate, Low"),
        ("coverage", {"Implemented": 1}, "Partially implemented", "Implemented, Partially "
         "implemented"),
    ],
)  # fmt: skip
def test_a_partial_mapping_names_what_it_misses(inventory, name, given, missing, keys):
    with pytest.raises(SettingsError) as raised:
        nistpf.assess(inventory, defaults={name: given})
    assert str(raised.value) == (
        f"defaults: {name} misses {missing}: give a number for each of {keys}"
    )
    assert not isinstance(raised.value, KeyError)


def test_a_mapping_with_another_key_names_the_valid_ones(inventory):
    weights = {"High": 3, "Medium": 2, "Low": 1, "Critical": 5}
    with pytest.raises(SettingsError) as raised:
        nistpf.assess(inventory, defaults={"criticality_weights": weights})
    assert str(raised.value) == (
        "defaults: criticality_weights has 'Critical', not a criticality; its keys are High, "
        "Medium, Low"
    )


@pytest.mark.parametrize(
    ("defaults", "fragment"),
    [
        ({"criticality_weights": [3, 2, 1]}, "criticality_weights must be a mapping"),
        ({"criticality_weights": {"High": "3", "Medium": 2, "Low": 1}}, "['High'] must be"),
        ({"criticality_weights": {"High": 3, "Medium": 0, "Low": 1}}, "must be a number above 0"),
        ({"priority_weights": {"High": True, "Moderate": 2, "Low": 1}}, "not True"),
        ({"priority_weights": {"High": -1, "Moderate": 2, "Low": 1}}, "0 or more"),
        ({"coverage": {"Implemented": 1, "Partially implemented": 1.5}}, "at most 1"),
        ({"coverage": {"Implemented": float("nan"), "Partially implemented": 0}}, "not nan"),
        ({"target": "3"}, "target must be a number"),
        ({"target": 5}, "at most 4"),  # the tiers scale goes to 4
        ({"priority": "high"}, "priority must be one of High, Moderate, Low"),
        ({"in_profile": "yes"}, "in_profile must be True or False"),
        ({"disagreement": 0}, "disagreement must be a number above 0"),
        ({"no_evidence": "skip"}, "no_evidence must be one of zero, exclude"),
    ],
)
def test_ill_typed_values_are_refused_by_name(inventory, defaults, fragment):
    with pytest.raises(SettingsError) as raised:
        nistpf.assess(inventory, defaults=defaults)
    assert fragment in str(raised.value)
    assert str(raised.value).startswith("defaults")


def test_the_target_is_held_to_the_scale_of_the_assessment(inventory):
    assert nistpf.assess(inventory, scale="cmmi", defaults={"target": 5}).defaults["target"] == 5


# -- what is used --------------------------------------------------------------------------------


def test_the_settings_used_are_complete_checked_and_used(inventory):
    given = {"criticality_weights": {"Low": 5, "High": 1, "Medium": 2}, "target": 2}
    a = nistpf.assess(inventory, defaults=given)
    assert a.defaults["criticality_weights"] == {"High": 1.0, "Medium": 2.0, "Low": 5.0}
    assert list(a.defaults) == list(DEFAULTS)
    assert a.defaults["priority_weights"] == DEFAULTS["priority_weights"]
    # CT.DM-P1: level 2 on CRM only, now of weight 1 of 8; coverage 0.5 on CRM.
    row = subcategory(a, "CT.DM-P1")
    assert row["derived"] == pytest.approx(1 * 2 / (1 + 2 + 5))
    assert row["coverage"] == pytest.approx(1 * 0.5 / 8)
    assert row["gap"] == pytest.approx(2 - 2 / 8)
    # The caller's dict is neither changed nor shared.
    given["criticality_weights"]["Low"] = 99
    assert a.defaults["criticality_weights"]["Low"] == 5.0


def test_settings_are_checked_once_by_one_function(inventory, monkeypatch):
    import nistpf.scoring as scoring

    calls = []
    real = scoring.settings

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(scoring, "settings", counted)
    nistpf.assess(inventory, defaults={"target": 2})
    assert len(calls) == 1


def test_settings_alone_fill_in_the_defaults():
    assert settings() == DEFAULTS
    assert settings() is not DEFAULTS
    assert settings()["coverage"] is not DEFAULTS["coverage"]


# -- through an engagement -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def engagement(tmp_path_factory):
    return open_engagement(tmp_path_factory.mktemp("engagement"), sample=True)


def test_an_engagement_checks_its_settings_too(engagement):
    with pytest.raises(SettingsError, match="criticality_weights misses Medium, Low"):
        engagement.assess(defaults={"criticality_weights": {"High": 3}})
    with pytest.raises(SettingsError, match="'no_evidense' is not a setting"):
        engagement.assess(defaults={"no_evidense": "exclude"})


def test_an_engagement_refuses_an_option_assess_does_not_take(engagement):
    with pytest.raises(SettingsError) as raised:
        engagement.assess(default={"target": 2})
    assert str(raised.value).startswith(
        "'default' is not an option of assess; the options are framework, scale, defaults, rules"
    )
    with pytest.raises(SettingsError) as raised:
        engagement.assess(no_evidence="exclude")
    assert str(raised.value).startswith(
        "no_evidence is a setting: pass it as defaults={'no_evidence': ...}"
    )


def test_an_engagement_passes_its_settings_to_the_engine(engagement):
    a = engagement.assess(defaults={"target": 2.5, "no_evidence": "exclude"})
    assert (a.defaults["target"], a.defaults["no_evidence"]) == (2.5, "exclude")
    assert a.completeness.excluded  # the roll-ups leave the outcomes without evidence out
