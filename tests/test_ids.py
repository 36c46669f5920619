"""ID normalisation: what people type resolves to NIST's ID, or fails naming the closest IDs."""

from __future__ import annotations

import pytest

import nistpf


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ID.IM-P1", "ID.IM-P1"),
        ("id.im-p1", "ID.IM-P1"),
        ("ID.IM-P01", "ID.IM-P1"),
        ("ID.IM-P 1", "ID.IM-P1"),
        ("IDIM-P1", "ID.IM-P1"),
        ("  id im p1 ", "ID.IM-P1"),
        ("ＩＤ.ＩＭ-Ｐ１", "ID.IM-P1"),  # full-width characters pasted from a document
        ("ct.dm-p10", "CT.DM-P10"),
        ("CT.DM-P010", "CT.DM-P10"),
        ("ID.IM-P1: Systems/products/services that process data are inventoried.", "ID.IM-P1"),
        ("id.im-p", "ID.IM-P"),
        ("IDIM-P", "ID.IM-P"),
        ("gv-p", "GV-P"),
        ("PR P", "PR-P"),
    ],
)
def test_forgiving_spellings_resolve_to_nist_ids(typed, expected):
    assert nistpf.normalize_id(typed) == expected


def test_every_real_id_is_its_own_normal_form(fw):
    assert [fw.normalize_id(i) for i in fw.core["id"]] == list(fw.core["id"])
    assert [fw.normalize_id(i.lower().replace(".", "")) for i in fw.core["id"]] == list(
        fw.core["id"]
    )


def test_unknown_subcategory_names_the_closest_subcategories():
    with pytest.raises(nistpf.UnknownIdError) as caught:
        nistpf.normalize_id("ID.IM-P9")
    error = caught.value
    assert error.code == "unknown-id"
    assert error.value == "ID.IM-P9"
    assert error.suggestions[0] == "ID.IM-P8"
    assert all(s.startswith("ID.IM-P") and s[-1].isdigit() for s in error.suggestions)
    assert str(error) == (
        "'ID.IM-P9' is not a Privacy Framework 1.0 ID; closest: " + ", ".join(error.suggestions)
    )


def test_a_cybersecurity_framework_id_points_to_the_pf_ids_nist_maps_it_to(fw):
    with pytest.raises(nistpf.UnknownIdError) as caught:
        nistpf.normalize_id("ID.AM-1")
    mapped = fw.crosswalk("csf-1.1").query("target_id == 'ID.AM-1'")["pf_id"].drop_duplicates()
    assert list(caught.value.suggestions) == list(mapped)
    assert "ID.IM-P1" in caught.value.suggestions
    assert "Cybersecurity Framework" in str(caught.value)


@pytest.mark.parametrize("value", ["", "   ", None, 3.0, "hello world"])
def test_text_that_names_nothing_is_an_error_with_a_hint(value):
    with pytest.raises(nistpf.UnknownIdError) as caught:
        nistpf.normalize_id(value)
    assert "is not a Privacy Framework 1.0 ID" in str(caught.value)
    assert "IDs look like ID-P, ID.IM-P or ID.IM-P1" in str(caught.value)


def test_unknown_id_error_is_a_value_error_for_callers_that_catch_broadly():
    with pytest.raises(ValueError, match="closest"):
        nistpf.framework().get("PR.DS-P9")
