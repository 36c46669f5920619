"""Every data file in the package loads, and every crosswalk is tidy."""

from __future__ import annotations

import pytest

import nistpf
from nistpf.framework import CROSSWALK_COLUMNS

EXPECTED_CROSSWALKS = ["csf-1.1", "csf-2.0", "sp800-53r5", "gdpr", "ccpa", "cpra", "iso27701"]


def test_crosswalk_names(fw):
    assert fw.crosswalks() == EXPECTED_CROSSWALKS


@pytest.mark.parametrize("name", EXPECTED_CROSSWALKS)
def test_each_crosswalk_is_tidy_and_points_at_real_pf_ids(fw, name):
    table = fw.crosswalk(name)
    assert list(table.columns) == CROSSWALK_COLUMNS
    assert len(table) == fw.manifest["crosswalks"][name]["rows"] > 0
    assert set(table["framework"]) == {name}
    assert set(table["pf_id"]) <= set(fw.core["id"])
    assert (table["target_id"].str.strip() != "").all()
    assert not table.duplicated(["pf_id", "target_id"]).any()
    assert not table.isna().any().any()
    assert fw.crosswalk_title(name)


def test_unknown_crosswalk_lists_the_names(fw):
    with pytest.raises(nistpf.UnknownCrosswalkError) as caught:
        fw.crosswalk("hipaa")
    assert str(caught.value) == (
        "no crosswalk named 'hipaa'; available: " + ", ".join(EXPECTED_CROSSWALKS)
    )
    assert isinstance(caught.value, KeyError)


def test_crosswalk_names_are_case_insensitive(fw):
    assert fw.crosswalk("GDPR").equals(fw.crosswalk("gdpr"))
