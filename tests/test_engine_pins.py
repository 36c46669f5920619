"""Behaviours of the scoring engine, the data-flow findings and the value readers that the rest
of the suite left open: each test here kills a mutant that survived it (see README, "Mutation
testing"). Every expected value is worked out by hand from the method in the README."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

import nistpf
from nistpf.inventory.values import Bad, read_date
from tests.inventory_files import (
    THREE_SYSTEMS,
    healthy_flow,
    small_inventory,
    valid_sheets,
    write_workbook,
)

SYSTEMS = THREE_SYSTEMS.drop(columns="data_categories")


def sub(assessment, subcategory):
    return assessment.subcategories.set_index("subcategory").loc[subcategory]


def levels(assessment, subcategory):
    table = assessment.levels
    return table[table["subcategory"] == subcategory].set_index("system")


def load_error(tmp_path, sheets) -> nistpf.InventoryError:
    path = write_workbook(tmp_path / "inventory.xlsx", sheets)
    with pytest.raises(nistpf.InventoryError) as caught:
        nistpf.load_inventory(path)
    return caught.value


def rows(issues: pd.DataFrame, code: str) -> list[tuple]:
    found = issues[issues["code"] == code]
    return [
        (r.severity, r.sheet, int(r.excel_row), r.column, r.value, r.problem)
        for r in found.itertuples()
    ]


# -- a finding's cap equal to the level ------------------------------------------------------
# R07 (a flow with no owner) is on ID.IM-P2 with cap 2, touching both ends. A Partially
# implemented control of maturity 2 that applies to all systems puts ID.IM-P2 at 2 on the tiers
# scale. On the implementation scale (0-3) the same control, without a maturity, stands at its
# status default 2, and the cap rescales to 2 × 3/4 = 1.5, rounded half up to 2.


@pytest.mark.parametrize(("scale", "maturity"), [("tiers", 2), ("implementation", None)])
def test_a_finding_whose_cap_equals_the_level_neither_lowers_it_nor_is_named(scale, maturity):
    a = nistpf.assess(
        small_inventory(
            [["C1", "Flow ownership", "Partially implemented", maturity, "ID.IM-P2", "ALL"]],
            [healthy_flow("F-1", "CRM", "CDP", owner="")],
            systems=SYSTEMS,
        ),
        scale=scale,
    )
    assert list(a.findings["finding_id"]) == ["R07:F-1"]
    table = levels(a, "ID.IM-P2")
    assert table["level"].to_dict() == {"CRM": 2.0, "CDP": 2.0, "BOT": 2.0}
    # Only a cap below the level lowers it, and only a finding that lowered a level is named.
    assert table["capped_by"].to_dict() == {"CRM": "", "CDP": "", "BOT": ""}
    assert sub(a, "ID.IM-P2")["findings"] == ("R07:F-1",)  # the finding itself still stands
    assert sub(a, "ID.IM-P2")["derived"] == pytest.approx(2.0)


def test_a_finding_whose_cap_is_one_below_the_level_lowers_it_and_is_named():
    # Maturity 3 against R07's cap 2: CRM and CDP (both ends) drop to 2, BOT keeps 3.
    a = nistpf.assess(
        small_inventory(
            [["C1", "Flow ownership", "Implemented", 3, "ID.IM-P2", "ALL"]],
            [healthy_flow("F-1", "CRM", "CDP", owner="")],
            systems=SYSTEMS,
        )
    )
    table = levels(a, "ID.IM-P2")
    assert table["level"].to_dict() == {"CRM": 2.0, "CDP": 2.0, "BOT": 3.0}
    assert table["capped_by"].to_dict() == {"CRM": "R07:F-1", "CDP": "R07:F-1", "BOT": ""}
    assert sub(a, "ID.IM-P2")["derived"] == pytest.approx((3 * 2 + 2 * 2 + 1 * 3) / 6)


# -- a blank criticality weighs as Medium ----------------------------------------------------
# One Implemented control (level 3, c = 1) applies to CDP only; CRM (High, 3) and BOT (Low, 1)
# have none. With CDP's criticality blank, weighted as Medium (2):
#   derived = (3×0 + 2×3 + 1×0) / (3 + 2 + 1) = 1, coverage = 2 / 6 = 1/3.
# (Weighted as Low it would be 3/5 and 1/5; as High 9/7 and 3/7.)
BLANK_CDP_DERIVED = (3 * 0 + 2 * 3 + 1 * 0) / (3 + 2 + 1)
BLANK_CDP_COVERAGE = 2 / (3 + 2 + 1)
CDP_ONLY = [["C1", "Retention schedule", "Implemented", None, "CT.DM-P5", "CDP"]]


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_a_blank_criticality_cell_is_loaded_as_medium_and_weighs_2(blank):
    systems = SYSTEMS.assign(criticality=["High", blank, "Low"])
    inventory = small_inventory(CDP_ONLY, systems=systems)
    assert inventory.systems["criticality"].tolist() == ["High", "Medium", "Low"]
    row = sub(nistpf.assess(inventory), "CT.DM-P5")
    assert row["derived"] == pytest.approx(BLANK_CDP_DERIVED)
    assert row["coverage"] == pytest.approx(BLANK_CDP_COVERAGE)


@pytest.mark.parametrize("blank", [None, float("nan"), ""])
def test_a_blank_criticality_in_an_inventory_built_by_code_weighs_as_medium(blank):
    # An Inventory is a public dataclass: code may build or edit one without the loader, and
    # the engine itself must weigh a system with no criticality as Medium.
    loaded = small_inventory(CDP_ONLY, systems=SYSTEMS)
    systems = loaded.systems.copy()
    systems["criticality"] = pd.Series(["High", blank, "Low"], dtype=object)
    a = nistpf.assess(dataclasses.replace(loaded, systems=systems))
    row = sub(a, "CT.DM-P5")
    assert row["derived"] == pytest.approx(BLANK_CDP_DERIVED)
    assert row["coverage"] == pytest.approx(BLANK_CDP_COVERAGE)
    assert row["current"] == pytest.approx(BLANK_CDP_DERIVED)


def test_explicit_criticalities_weigh_3_2_1():
    # The same control on CDP, with CDP written Medium, and then High and Low in turn.
    for criticality, weight in (("Medium", 2), ("High", 3), ("Low", 1)):
        systems = SYSTEMS.assign(criticality=["High", criticality, "Low"])
        row = sub(nistpf.assess(small_inventory(CDP_ONLY, systems=systems)), "CT.DM-P5")
        assert row["derived"] == pytest.approx(weight * 3 / (3 + weight + 1)), criticality


# -- the README's ambiguous date -------------------------------------------------------------
# The README: "`03/04/2026` is refused as ambiguous"; `13/03/2026` (no month 13) is read one
# way only; "the dotted form is day first wherever it is written".


def test_the_readmes_ambiguous_date_is_refused_by_the_reader():
    for written in ("03/04/2026", "04/03/2026", "03-04-2026", "12/11/2026"):
        reading = read_date(written)
        assert isinstance(reading, Bad), written
        assert reading.code == "ambiguous-date"
        assert reading.problem == f"{written!r} could be day/month or month/day"
        assert reading.hint == "write dates as YYYY-MM-DD"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("13/03/2026", dt.date(2026, 3, 13)),  # day first: there is no month 13
        ("03/13/2026", dt.date(2026, 3, 13)),  # month first: there is no month 13
        ("31-12-2026", dt.date(2026, 12, 31)),
        ("12-31-2026", dt.date(2026, 12, 31)),
        ("03.04.2026", dt.date(2026, 4, 3)),  # dotted: day first, even with both ≤ 12
        ("3.4.2026", dt.date(2026, 4, 3)),
        ("2026-04-03", dt.date(2026, 4, 3)),
        ("2026/4/3", dt.date(2026, 4, 3)),
    ],
)
def test_dates_that_read_one_way_only(written, expected):
    assert read_date(written) == expected


def test_a_day_or_month_out_of_range_is_not_a_real_date():
    for written in ("31/02/2026", "13/13/2026", "2026-02-30", "29.02.2027", "02/31/2026"):
        reading = read_date(written)
        assert isinstance(reading, Bad), written
        assert (reading.code, reading.problem) == (
            "invalid-date",
            f"{written!r} is not a real date",
        )


def test_the_readmes_ambiguous_date_is_an_error_row_where_the_inventory_holds_a_date(tmp_path):
    sheets = valid_sheets()
    # Controls: last_tested on CTL-001 (Excel row 2).
    sheets["Controls"][0].append("last_tested")
    for row, value in zip(sheets["Controls"][1:], ["03/04/2026", None, None], strict=True):
        row.append(value)
    sheets["Responses"] = [
        ["subcategory", "system", "current", "date"],
        ["PR.DS-P2", "CRM-01", 2, "13/03/2026"],  # row 2: unambiguous, read
        ["PR.DS-P1", "", 3, "03/04/2026"],  # row 3: ambiguous
    ]
    sheets["About"] = [["field", "value"], ["client", "Acme"], ["date", "03/04/2026"]]
    error = load_error(tmp_path, sheets)
    problem = "'03/04/2026' could be day/month or month/day"
    assert set(rows(error.issues, "ambiguous-date")) == {
        ("error", "Controls", 2, "last_tested", "03/04/2026", problem),
        ("error", "Responses", 3, "date", "03/04/2026", problem),
        ("error", "About", 3, "value", "03/04/2026", problem),
    }
    assert len(error.issues) == 3


def test_unambiguous_dates_load_as_dates(tmp_path):
    sheets = valid_sheets()
    sheets["Responses"] = [
        ["subcategory", "system", "current", "date"],
        ["PR.DS-P2", "CRM-01", 2, "13/03/2026"],
        ["PR.DS-P1", "", 3, "03.04.2026"],
        ["PR.AC-P1", "", 1, "04/13/2026"],
    ]
    sheets["About"] = [["field", "value"], ["date", "03.04.2026"]]
    inventory = nistpf.load_inventory(write_workbook(tmp_path / "inventory.xlsx", sheets))
    assert list(inventory.responses["date"]) == [
        dt.date(2026, 3, 13),
        dt.date(2026, 4, 3),
        dt.date(2026, 4, 13),
    ]
    assert inventory.about_value("date") == "2026-04-03"


# -- a maturity that the status makes meaningless --------------------------------------------
# The method uses a control's maturity only when its status is Implemented or Partially
# implemented; for Planned, Not implemented and Not applicable the maturity is ignored, and the
# reader says so for each.


def test_a_maturity_on_a_planned_not_implemented_or_not_applicable_control_is_a_warning(
    tmp_path,
):
    sheets = valid_sheets()
    sheets["Controls"] = [
        ["control_id", "name", "status", "maturity", "subcategories", "applies_to"],
        ["C1", "a", "Implemented", 2, "PR.DS-P1", "ALL"],  # row 2
        ["C2", "b", "Partially implemented", 2, "PR.DS-P1", "ALL"],  # row 3
        ["C3", "c", "Planned", 2, "PR.DS-P1", "ALL"],  # row 4
        ["C4", "d", "Not implemented", 3, "PR.DS-P1", "ALL"],  # row 5
        ["C5", "e", "Not applicable", 4, "PR.DS-P1", "ALL"],  # row 6
        ["C6", "f", "Planned", None, "PR.DS-P1", "ALL"],  # row 7: no maturity, nothing to say
    ]
    inventory = nistpf.load_inventory(write_workbook(tmp_path / "inventory.xlsx", sheets))
    assert rows(inventory.issues, "maturity-ignored") == [
        ("warning", "Controls", 4, "maturity", "2", "maturity is ignored for a control that is "
         "Planned"),
        ("warning", "Controls", 5, "maturity", "3", "maturity is ignored for a control that is "
         "Not implemented"),
        ("warning", "Controls", 6, "maturity", "4", "maturity is ignored for a control that is "
         "Not applicable"),
    ]  # fmt: skip
    hints = inventory.issues.loc[inventory.issues["code"] == "maturity-ignored", "hint"]
    assert set(hints) == {"clear the maturity, or correct the status"}


@pytest.mark.parametrize("status", ["Planned", "Not implemented", "Not applicable"])
def test_the_ignored_maturity_really_is_ignored_in_the_score(status):
    # One control of that status with maturity 4 on every system: Planned and Not implemented
    # stand at their status default 0 on the tiers scale, Not applicable controls are ignored
    # (no control: 0). So derived is 0 and coverage 0, not 4 and 1.
    inventory = small_inventory([["C1", "a", status, 4, "PR.DS-P1", "ALL"]], systems=SYSTEMS)
    assert rows(inventory.issues, "maturity-ignored") == [
        ("warning", "Controls", 2, "maturity", "4",
         f"maturity is ignored for a control that is {status}"),
    ]  # fmt: skip
    row = sub(nistpf.assess(inventory), "PR.DS-P1")
    assert (row["derived"], row["coverage"]) == (0.0, 0.0)
