"""The value readers, pinned where mutation testing found them loose: what each refuses, in one
whole problem and hint, and the edges of what each reads. See README, "Mutation testing"."""

from __future__ import annotations

import datetime as dt

import pytest

from nistpf.inventory.values import Bad, count_reader, read_count, read_date, read_days, read_tier

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
    assert read_count(written) == Bad(
        f"{written!r} is ambiguous: {grouping} if {mark!r} groups thousands, "
        f"{decimal} if it is the decimal separator",
        LOCALE_HINT,
        "ambiguous-number",
    )


def test_an_ambiguous_number_of_days_names_both_readings():
    assert read_days("1.000 Tage") == Bad(
        "'1.000 Tage' is ambiguous: 1000 if '.' groups thousands, 1 if it is the decimal separator",
        LOCALE_HINT,
        "ambiguous-number",
    )


# -- what is refused, whole --------------------------------------------------------------------
def test_what_is_no_count_is_refused_naming_the_cell():
    hint = "write a whole number, e.g. 250000"
    assert read_count("about a lot") == Bad("'about a lot' is not a number", hint, "invalid-number")
    assert read_count(True) == Bad("'yes' is not a number", hint, "invalid-number")
    assert count_reader()("12 apples") == Bad("'12 apples' is not a number", hint, "invalid-number")


def test_a_count_past_the_largest_whole_number_is_too_large():
    assert read_count(1e19) == Bad(
        "'10000000000000000000' is too large a number", "check the number", "invalid-number"
    )
    assert read_days(1e19) == Bad(
        "'10000000000000000000' is too large a number", "check the number", "invalid-number"
    )


def test_what_is_no_number_of_days_is_refused_naming_the_cell():
    hint = "write the days, e.g. 365"
    assert read_days("until further notice") == Bad(
        "'until further notice' is not a number of days", hint, "invalid-days"
    )
    assert read_days(False) == Bad("'no' is not a number of days", hint, "invalid-days")
    assert read_days(-1) == Bad("'-1' is not a number of days", hint, "invalid-days")


# -- dates ---------------------------------------------------------------------------------------
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
