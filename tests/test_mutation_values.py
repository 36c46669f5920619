"""The value readers, pinned where mutation testing found them loose: what each refuses, in one
whole problem and hint, and the edges of what each reads. See README, "Mutation testing".

Counts and days are read through a reader made in the test (``count_reader()``), as the loader
makes one per load: ``read_count`` and ``read_days`` are made once, when nistpf is imported, so a
mutant of ``count_reader`` or ``days_reader`` would never reach them."""

from __future__ import annotations

import datetime as dt

import pytest

from nistpf.inventory.schema import ALL_SYSTEMS, SYSTEM_TYPES, sheet
from nistpf.inventory.values import (
    Bad,
    Noted,
    ReadAs,
    choice_reader,
    count_reader,
    days_reader,
    is_blank,
    level_reader,
    read_date,
    read_tier,
    read_yesno,
    selector_reader,
    split_list,
    text,
)
from nistpf.scales import scale

LOCALE_HINT = (
    "declare the workbook's locale (a locale row in About, e.g. de-DE or en-US, or locale in the "
    "mapping), or write the number without separators"
)
DATE_HINT = "write dates as YYYY-MM-DD"
TIER_HINT = "use 1 Partial, 2 Risk Informed, 3 Repeatable or 4 Adaptive"


# -- ambiguous numbers: both readings, the separator, the multiplier -------------------------
@pytest.mark.parametrize(
    ("written", "grouping", "mark", "decimal"),
    [
        ("12.400", "12400", ".", "12.4"),
        ("12,400", "12400", ",", "12.4"),
        ("1.250K", "1250000", ".", "1250"),  # 1250 × 1000, or 1.25 × 1000
        ("2,500 Mio.", "2500000000", ",", "2500000"),
    ],
)
def test_an_ambiguous_count_names_both_readings_and_how_to_decide(written, grouping, mark, decimal):
    assert count_reader()(written) == Bad(
        f"{written!r} is ambiguous: {grouping} if {mark!r} groups thousands, "
        f"{decimal} if it is the decimal separator",
        LOCALE_HINT,
        "ambiguous-number",
    )


def test_an_ambiguous_number_of_days_names_both_readings():
    assert days_reader()("1.000 Tage") == Bad(
        "'1.000 Tage' is ambiguous: 1000 if '.' groups thousands, 1 if it is the decimal separator",
        LOCALE_HINT,
        "ambiguous-number",
    )


# -- what is refused, whole --------------------------------------------------------------------
def test_what_is_no_count_is_refused_naming_the_cell():
    hint = "write a whole number, e.g. 250000"
    assert count_reader()("about a lot") == Bad(
        "'about a lot' is not a number", hint, "invalid-number"
    )
    assert count_reader()(True) == Bad("'yes' is not a number", hint, "invalid-number")
    assert count_reader()("12 apples") == Bad("'12 apples' is not a number", hint, "invalid-number")


def test_a_count_past_the_largest_whole_number_is_too_large():
    assert count_reader()(1e19) == Bad(
        "'10000000000000000000' is too large a number", "check the number", "invalid-number"
    )
    assert days_reader()(1e19) == Bad(
        "'10000000000000000000' is too large a number", "check the number", "invalid-number"
    )


def test_what_is_no_number_of_days_is_refused_naming_the_cell():
    hint = "write the days, e.g. 365"
    assert days_reader()("until further notice") == Bad(
        "'until further notice' is not a number of days", hint, "invalid-days"
    )
    assert days_reader()(False) == Bad("'no' is not a number of days", hint, "invalid-days")
    assert days_reader()(-1) == Bad("'-1' is not a number of days", hint, "invalid-days")


# -- dates -------------------------------------------------------------------------------------
@pytest.mark.parametrize("written", ["05/12/2026", "12/05/2026", "01/12/2026", "12/01/2026"])
def test_a_date_whose_day_or_month_is_12_is_still_ambiguous(written):
    # 05/12/2026 is 5 December day first and 12 May month first: neither number is over 12.
    assert read_date(written) == Bad(
        f"{written!r} could be day/month or month/day", DATE_HINT, "ambiguous-date"
    )


def test_a_date_past_12_on_one_side_reads_one_way():
    assert read_date("05/13/2026") == dt.date(2026, 5, 13)
    assert read_date("13/05/2026") == dt.date(2026, 5, 13)


def test_dates_that_cannot_be_are_refused_whole():
    assert read_date("2026-02-30") == Bad(
        "'2026-02-30' is not a real date", DATE_HINT, "invalid-date"
    )
    assert read_date("30.02.2026") == Bad(
        "'30.02.2026' is not a real date", DATE_HINT, "invalid-date"
    )
    assert read_date("next Tuesday") == Bad(
        "'next Tuesday' is not a date", DATE_HINT, "invalid-date"
    )
    assert read_date("2026") == Bad("'2026' is not a date", DATE_HINT, "invalid-date")


# -- Implementation Tiers ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("written", "tier"),
    [("1", 1), ("2", 2), ("3", 3), ("4", 4), (4, 4), (4.0, 4), ("4.0", 4), ("Tier 4", 4),
     ("4 - Adaptive", 4), ("Adaptive", 4), ("Partial", 1)],
)  # fmt: skip
def test_each_tier_from_1_to_4_reads_as_itself(written, tier):
    assert read_tier(written) == tier


@pytest.mark.parametrize("written", ["0", "5", "Tier 5", "high", "", "2.5"])
def test_what_is_no_tier_is_refused_whole(written):
    assert read_tier(written) == Bad(
        f"{written!r} is not an Implementation Tier", TIER_HINT, "invalid-tier"
    )


# -- Excel serial dates (the register's Due date column) --------------------------------------
# Anchors Excel itself shows: serial 1 is 1900-01-01, 61 is 1900-03-01 (60 is Excel's
# 29 February 1900, which never was: read as the 28th), 25569 is 1970-01-01, 44927 is
# 2023-01-01, 2958465 is 9999-12-31 (the last day Excel shows).
@pytest.mark.parametrize(
    ("serial", "date"),
    [
        (1, dt.date(1900, 1, 1)),
        (2, dt.date(1900, 1, 2)),
        (59, dt.date(1900, 2, 28)),
        (60, dt.date(1900, 2, 28)),
        (61, dt.date(1900, 3, 1)),
        (25569, dt.date(1970, 1, 1)),
        (44927, dt.date(2023, 1, 1)),
        (44927.75, dt.date(2023, 1, 1)),  # 18:00 on that day
        (2958465, dt.date(9999, 12, 31)),
        (2958465.5, dt.date(9999, 12, 31)),
    ],
)
def test_an_excel_serial_reads_as_its_date_where_serials_are_allowed(serial, date):
    assert read_date(serial, serial=True) == date


@pytest.mark.parametrize(
    ("raw", "shown"),
    [(0, "0"), (0.5, "0.5"), (-1, "-1"), (2958466, "2958466"), (True, "yes"), ("44927", "44927")],
)
def test_what_is_no_excel_serial_is_not_a_date(raw, shown):
    assert read_date(raw, serial=True) == Bad(f"{shown!r} is not a date", DATE_HINT, "invalid-date")


def test_a_number_is_no_date_where_serials_are_not_allowed():
    assert read_date(44927) == Bad("'44927' is not a date", DATE_HINT, "invalid-date")


# -- lists, blanks, selectors, yes/no ------------------------------------------------------------
def test_a_list_cell_splits_on_separators_whatever_the_cell_holds():
    assert split_list("a; b,c\nd") == ("a", "b", "c", "d")
    assert split_list(" a ;a; ") == ("a",)
    assert split_list(12.0) == ("12",)  # a number typed in a list column
    assert split_list(7) == ("7",)


@pytest.mark.parametrize(
    ("raw", "blank"),
    [
        (None, True),
        (float("nan"), True),
        ("  ", True),
        ("", True),
        (0, False),
        ("x", False),
        (False, False),
    ],
)
def test_blank_is_none_nan_or_white_space(raw, blank):
    assert is_blank(raw) is blank


@pytest.mark.parametrize("token", ["ALL", "all", "All systems", "allsystems", "ALL SYSTEMS", "  "])
def test_every_spelling_of_all_reads_as_all(token):
    assert selector_reader()(token) == ALL_SYSTEMS


@pytest.mark.parametrize("token", ["everything", "*", "-"])
def test_everything_or_punctuation_alone_reads_as_all_and_says_so(token):
    assert selector_reader()(token) == ReadAs(ALL_SYSTEMS, ALL_SYSTEMS)


def test_a_type_selector_names_a_system_type():
    read = selector_reader()
    assert read("type:crm") == "type:CRM"
    assert read("Type: data warehouse") == "type:DataWarehouse"
    assert read(" CRM-01 ") == "CRM-01"
    bad = read("type:Chatbots")
    assert (bad.problem, bad.code) == ("'Chatbots' is not a system type", "invalid-selector")
    listed = bad.hint.removeprefix("use type: with one of ").split(", ")
    assert listed[0] == "Chatbot"  # the closest first
    assert sorted(listed) == sorted(SYSTEM_TYPES)


@pytest.mark.parametrize(
    ("raw", "meaning"),
    [(1, True), (0, False), (1.0, True), (0.0, False), (True, True), (False, False), ("Yes", True)],
)
def test_one_and_zero_are_yes_and_no(raw, meaning):
    assert read_yesno(raw) is meaning


@pytest.mark.parametrize(("raw", "shown"), [(2, "2"), (0.5, "0.5"), (2.0, "2"), ("maybe", "maybe")])
def test_what_is_no_yes_or_no_is_refused_whole(raw, shown):
    assert read_yesno(raw) == Bad(f"{shown!r} is not yes or no", "write yes or no", "invalid-yesno")


# -- levels ------------------------------------------------------------------------------------
TIERS = scale("tiers")
LEVEL_HINT = f"use a level of the tiers scale: {TIERS.describe()}"


def test_what_is_no_level_is_refused_whole():
    read = level_reader(TIERS)
    assert read("Excellent") == Bad("'Excellent' is not a level", LEVEL_HINT, "invalid-level")
    assert read(True) == Bad("'yes' is not a level", LEVEL_HINT, "invalid-level")
    assert read(5) == Bad("5 is outside the tiers scale (0-4)", LEVEL_HINT, "level-outside-scale")
    assert read("7 - Great") == Bad(
        "7 - Great is outside the tiers scale (0-4)", LEVEL_HINT, "level-outside-scale"
    )


# -- counts ------------------------------------------------------------------------------------
def test_zero_is_a_count_and_below_zero_or_infinite_is_not():
    hint = "write a whole number ≥ 0"
    assert count_reader()(0) == 0
    assert count_reader()("0") == 0
    assert count_reader()(-5) == Bad("'-5' is not a count", hint, "invalid-number")
    assert count_reader()(float("inf")) == Bad("'inf' is not a count", hint, "invalid-number")


def test_a_multiplier_and_a_decimal_comma_are_both_said():
    # 4.1 × 10⁶ is 4099999.9999999995 in floating point: still the whole number 4100000
    assert count_reader()("4.1M") == Noted(
        4100000,
        "'4.1M' read as 4100000 ('M' is a million)",
        "confirm the number with the client, or write it as 4100000",
        "number-converted",
    )
    assert count_reader()("2,5M") == Noted(
        2500000,
        "'2,5M' read as 2500000 (with a decimal comma; 'M' is a million)",
        "confirm the number with the client, or write it as 2500000",
        "number-converted",
    )


def test_words_after_a_multiplier_must_say_what_is_counted():
    assert count_reader()("2.5M apples") == Bad(
        "'2.5M apples' is not a number", "write a whole number, e.g. 250000", "invalid-number"
    )


def test_a_count_is_whole_within_float_noise_and_not_beyond():
    assert count_reader()(1e-9) == 0  # 1e-9 from a whole number: float noise, inclusive
    assert count_reader()(3.0000000001) == 3
    reading = count_reader()("1.0000000015")  # 1.5e-9 from 1: not float noise
    assert (reading.code, reading.problem) == (
        "invalid-number", "'1.0000000015' is not a whole number",
    )  # fmt: skip


# -- days --------------------------------------------------------------------------------------
@pytest.mark.parametrize("written", ["Indefinite", "unbefristet"])
def test_indefinite_is_no_retention_period_and_said(written):
    assert days_reader()(written) == Noted(
        None,
        f"{written!r} read as no retention period",
        "write the number of days if there is a limit",
        "no-retention-limit",
    )


def test_days_that_are_not_whole_are_rounded_and_say_so_and_conversions_do_not():
    hint = "write the number of days"
    assert days_reader()("30.4") == Noted(
        30, "'30.4' read as 30 days (rounded to a whole day)", hint, "converted-days"
    )
    assert days_reader()("1,51 Monate") == Noted(  # 45.3 days: a conversion, approximate anyway
        45, "'1,51 Monate' read as 45 days", hint, "converted-days"
    )
    assert days_reader()("1,5 Monate") == Noted(
        45, "'1,5 Monate' read as 45 days", hint, "converted-days"
    )


def test_what_is_no_number_of_days_names_the_cell():
    hint = "write the days, e.g. 365"
    assert days_reader()("5 apples") == Bad(
        "'5 apples' is not a number of days", hint, "invalid-days"
    )
    assert days_reader()("1,2,3 Tage") == Bad(
        "'1,2,3 Tage' is not a number of days", hint, "invalid-days"
    )
    assert days_reader()("99999999999999999999 days") == Bad(
        "'99999999999999999999 days' is too large a number", "check the number", "invalid-number"
    )


def test_the_largest_whole_number_of_days_a_table_holds_is_read():
    assert days_reader()(2**63 - 1) == 2**63 - 1


# -- choices -----------------------------------------------------------------------------------
def test_a_criticality_in_another_language_is_read_as_its_choice_and_said():
    read = choice_reader(sheet("Systems").column("criticality"))
    assert read("hoch") == ReadAs("High", "High")
    assert read("faible") == ReadAs("Low", "Low")
    assert read("HIGH") == "High"


def test_a_count_that_is_not_whole_says_how_it_was_read():
    hint = (
        "write the number of records as a whole number, e.g. 12400; if the client writes '.' "
        "between thousands, declare the locale (About or the mapping)"
    )
    assert count_reader()("12,4") == Bad(
        "'12,4' is not a whole number (read as 12.4: with a decimal comma)", hint, "invalid-number"
    )
    assert count_reader()(12.4) == Bad("'12.4' is not a whole number", hint, "invalid-number")


def test_a_date_and_time_cell_reads_as_text_with_its_time_only_when_it_has_one():
    assert text(dt.datetime(2026, 3, 3)) == "2026-03-03"
    assert text(dt.datetime(2026, 3, 3, 14, 30)) == "2026-03-03 14:30:00"
    assert text(dt.date(2026, 3, 3)) == "2026-03-03"


@pytest.mark.parametrize(
    ("written", "date"),
    [
        ("03.03.2026 17:30", dt.date(2026, 3, 3)),
        ("13/03/2026 09:15", dt.date(2026, 3, 13)),
        ("3 March 2026 17:30:00", dt.date(2026, 3, 3)),
        ("2026-03-03T12:00", dt.date(2026, 3, 3)),
    ],
)
def test_a_time_of_day_after_a_date_is_dropped(written, date):
    assert read_date(written) == date


def test_a_time_of_day_does_not_make_an_ambiguous_date_or_a_bad_time_a_date():
    assert read_date("03/04/2026 10:00") == Bad(
        "'03/04/2026 10:00' could be day/month or month/day", DATE_HINT, "ambiguous-date"
    )
    assert read_date("03.03.2026 25:00") == Bad(
        "'03.03.2026 25:00' is not a date", DATE_HINT, "invalid-date"
    )
