"""Settings reach the engine checked, in one place, whichever way they come: a mistyped key, a
partial or ill-typed weight mapping is a SettingsError naming the valid keys, never ignored and
never a bare KeyError."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import nistpf
from nistpf.engagement import open_engagement
from nistpf.errors import NistpfError
from nistpf.scales import custom_scale
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


# -- any value: a SettingsError of one line, never another exception ---------------------------


@pytest.mark.parametrize(
    ("defaults", "start"),
    [
        ({"priority": ["High"]}, "defaults: priority must be one of"),  # unhashable
        ({"priority": {"a": 1}}, "defaults: priority must be one of"),
        ({"no_evidence": np.array(["zero", "x"])}, "defaults: no_evidence must be one of"),
        ({"no_evidence": pd.NA}, "defaults: no_evidence must be one of"),
        ({"target": 10**400}, "defaults: target must be a number"),  # too large for a float
        ({"cap_scale_maximum": 10**400}, "defaults: cap_scale_maximum must be a number"),
        ({"disagreement": pd.NA}, "defaults: disagreement must be a number"),
        ({"in_profile": np.array([True, False])}, "defaults: in_profile must be True or False"),
        ({"coverage": {"Implemented": pd.NA, "Partially implemented": 0.5}}, "defaults: coverage"),
        ({"criticality_weights": {"High": 3, "Medium": 2, "Low": 1, ("Low",): 1}},
         "defaults: criticality_weights has tuple ('Low',), not a criticality"),
        ({("target",): 3}, "defaults: tuple ('target',) is not a setting"),
    ],
)  # fmt: skip
def test_any_value_of_any_setting_is_a_settings_error(inventory, defaults, start):
    with pytest.raises(SettingsError) as raised:
        nistpf.assess(inventory, defaults=defaults)
    assert str(raised.value).startswith(start)
    assert "\n" not in str(raised.value)


def test_a_value_is_quoted_on_one_line_and_cut_to_60_characters(inventory):
    with pytest.raises(SettingsError) as raised:
        nistpf.assess(inventory, defaults={"target": pd.Series([1, 2, 3])})
    # The Series' repr, "0    1\n1    2\n2    3\ndtype: int64", its whitespace made one space.
    assert str(raised.value) == (
        "defaults: target must be a number 0 or more and at most 4, not "
        "Series 0 1 1 2 2 3 dtype: int64"
    )
    with pytest.raises(SettingsError) as raised:
        nistpf.assess(inventory, defaults={"priority": "x" * 100})
    # 'xxx…: the opening quote and 58 x, then the ellipsis: 60 characters.
    quoted = "'" + "x" * 58 + "…"
    assert str(raised.value) == (
        f"defaults: priority must be one of High, Moderate, Low, not {quoted}"
    )
    with pytest.raises(SettingsError) as raised:
        nistpf.assess(inventory, defaults={"target": 10**400})
    assert str(raised.value) == (
        "defaults: target must be a number 0 or more and at most 4, not 1" + "0" * 58 + "…"
    )


# -- weights: relative, so bounded -------------------------------------------------------------


@pytest.mark.parametrize("name", ["criticality_weights", "priority_weights"])
@pytest.mark.parametrize("huge", [1_000_000.5, 1e300, 1e307, 1e308])
def test_a_weight_above_a_million_is_refused_as_relative(inventory, name, huge):
    keys = list(DEFAULTS[name])
    with pytest.raises(SettingsError) as raised:
        nistpf.assess(inventory, defaults={name: dict.fromkeys(keys, huge)})
    assert str(raised.value) == (
        f"defaults: {name}['High'] must be a number "
        f"{'above 0' if name == 'criticality_weights' else '0 or more'} and at most 1000000 "
        f"(weights are relative: divide them all by the same number), not {huge!r}"
    )


def test_a_weight_of_a_million_is_used_exactly(inventory):
    a = nistpf.assess(
        inventory,
        defaults={
            "criticality_weights": {"High": 1_000_000, "Medium": 1, "Low": 1},
            "priority_weights": {"High": 1, "Moderate": 1_000_000, "Low": 1},
        },
    )
    # CT.DM-P1: level 2 on CRM (High) only: (1e6×2 + 1×0 + 1×0) / (1e6 + 2).
    row = subcategory(a, "CT.DM-P1")
    assert row["derived"] == pytest.approx(2_000_000 / 1_000_002, rel=1e-15)
    # The default priority is Moderate: gap points = gap × 1e6.
    assert row["gap_points"] == pytest.approx((3 - 2_000_000 / 1_000_002) * 1_000_000, rel=1e-15)
    # Equal weights of a million score as equal weights of 1.
    same = nistpf.assess(
        inventory, defaults={"criticality_weights": dict.fromkeys(["High", "Medium", "Low"], 1e6)}
    )
    # CT.DM-P1 is then 2 on one system of three: 2/3.
    assert subcategory(same, "CT.DM-P1")["derived"] == pytest.approx(2 / 3, rel=1e-15)


def test_priority_weights_may_all_be_zero_but_criticality_weights_may_not(inventory):
    a = nistpf.assess(
        inventory, defaults={"priority_weights": {"High": 0, "Moderate": 0, "Low": 0}}
    )
    # Nothing divides by their sum: the gaps stand, their points are all 0.
    assert (a.subcategories["gap_points"].dropna() == 0).all()
    assert subcategory(a, "CT.DM-P1")["gap"] == pytest.approx(3 - 2 * 3 / 6)
    with pytest.raises(
        SettingsError, match=r"criticality_weights\['High'\] must be a number above 0"
    ):
        nistpf.assess(
            inventory, defaults={"criticality_weights": {"High": 0, "Medium": 0, "Low": 0}}
        )


# -- the target: the scale's minimum to its maximum --------------------------------------------

ONE_TO_FIVE = {1: "Ad hoc", 2: "Defined", 3: "Managed", 4: "Measured", 5: "Optimised"}
ONE_TO_FIVE_DEFAULTS = {
    "Implemented": 4,
    "Partially implemented": 2,
    "Planned": 1,
    "Not implemented": 1,
}


@pytest.mark.parametrize("target", [0, 0.5, 5.5])
def test_the_target_is_held_to_a_scale_that_starts_at_1(inventory, target):
    one = custom_scale("one-to-five", ONE_TO_FIVE, ONE_TO_FIVE_DEFAULTS)
    with pytest.raises(SettingsError) as raised:
        nistpf.assess(inventory, scale=one, defaults={"target": target})
    assert str(raised.value) == (
        f"defaults: target must be a number 1 or more and at most 5, not {target!r}"
    )


def test_the_lowest_level_of_a_scale_that_starts_at_1_is_a_target(inventory):
    one = custom_scale("one-to-five", ONE_TO_FIVE, ONE_TO_FIVE_DEFAULTS)
    assert nistpf.assess(inventory, scale=one, defaults={"target": 1}).defaults["target"] == 1.0
    assert settings({"target": 1}, one)["target"] == 1.0
    with pytest.raises(SettingsError, match=r"1 or more and at most 5, not 0\.99$"):
        settings({"target": 0.99}, one)
