"""Reading one cell as the kind of value its column holds.

Each reader takes the raw cell (text, number, bool, date — whatever the spreadsheet or CSV gave)
and returns the value, or a :class:`Bad` saying what is wrong and how to fix it, or a
:class:`Noted` value read with a conversion the consultant should see, or a :class:`ReadAs` value
written another way than its canonical spelling (a synonym, an annotated yes/no). Noted and ReadAs
values are warning rows, one per distinct raw value in a column. Readers are pure, so the loader
calls each once per distinct raw value in a column, however long the sheet is.

What stays silent and what is a reading: a difference of case, spacing or punctuation only
(``partially-implemented`` for ``Partially implemented``, ``data warehouse`` for
``DataWarehouse``) is the same word and is read silently, as are a number for a number and a
level's or Tier's own label. A different word for a value (an alias: ``In progress`` →
Partially implemented, ``med`` → Medium), or a value taken out of a longer cell
(``Y (AES-256)`` → yes, ``3 out of 4`` → 3) is a reading the client never wrote, so it is
reported for the consultant to confirm.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from nistpf.inventory.locale import (
    AMBIGUOUS,
    CHOICE_WORDS,
    COUNT_WORDS,
    DAYS_PER,
    DURATION,
    MONTH_NUMBER,
    MULTIPLIERS,
    NUMBER_START,
    YESNO,
    Convention,
    convention,
    parse_number,
    shown,
    word_key,
)
from nistpf.inventory.schema import (
    ALL_SYSTEMS,
    LIST_SEPARATORS,
    SYSTEM_TYPES,
    TIER_NAMES,
    TYPE_SELECTOR,
    Column,
    fold,
)
from nistpf.scales import Scale


class Bad(NamedTuple):
    """A value that cannot be used: an error row."""

    problem: str
    hint: str
    code: str


class Noted(NamedTuple):
    """A value read with a conversion worth a warning row."""

    value: Any
    problem: str
    hint: str
    code: str


class ReadAs(NamedTuple):
    """A value written another way than its canonical spelling, read as ``shown``: a warning row
    (code ``value-read-as``) naming the reading, so the consultant confirms it with the client."""

    value: Any
    shown: str


Reader = Callable[[Any], Any]

# Yes and no in the seven languages of nistpf/data/words.csv (as word keys: accents dropped).
YES = frozenset(key for key, meaning in YESNO.items() if meaning == "yes")
NO = frozenset(key for key, meaning in YESNO.items() if meaning == "no")
_ANNOTATED = re.compile(r"^\s*([^\s(\[:;,–—-]+)\s*[(\[:;,–—-]")
_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
# A time of day after any form of date (``2027-03-31T12:00``, ``31.03.2027 17:30``, ``… 17:30:05``):
# the date is read, the time dropped. Anything else after a date makes it no date.
_TIME_OF_DAY = re.compile(
    r"^(?P<date>.*?\d)(?:T|\s+)(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?$"
)
_DMY_DATE = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$")
# Excel's serial dates: day 1 is 1900-01-01, and (Excel's 1900 leap-year bug) day 61 is 1 March
# 1900, so from then on a serial counts from 1899-12-30; the last day Excel shows is 9999-12-31
# (serial 2958465).
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_DAYS = 2958466
# A level's number: a decimal point or a decimal comma (``2.5``, ``2,5``), never thousands.
_LEADING_NUMBER = re.compile(r"^\s*(\d+)(?:([.,])(\d+))?\b")
# A date with its month in words, day first (``3 March 2026``, ``3. März 2026``, ``3 de marzo de
# 2026``, ``1er mars 2026``, ``3-Mar-2026``) or month first (``March 3, 2026``).
_DAY_MONTH_YEAR = re.compile(
    r"^(?P<day>\d{1,2})(?:\.|º|ª|°|er|st|nd|rd|th)?[\s/-]*(?:de\s+)?(?P<month>[^\W\d_]+)\.?"
    r"[\s/,-]*(?:de\s+|del\s+)?(?P<year>\d{4})$",
    re.I,
)
_MONTH_DAY_YEAR = re.compile(
    r"^(?P<month>[^\W\d_]+)\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})$", re.I
)
_READ_AS_YES = ReadAs(True, "yes")
_READ_AS_NO = ReadAs(False, "no")
_READ_AS_ALL = ReadAs(ALL_SYSTEMS, ALL_SYSTEMS)


def is_blank(raw: Any) -> bool:
    """True for an empty cell: None, NaN, or text of white space only."""
    if raw is None:
        return True
    if isinstance(raw, float) and math.isnan(raw):
        return True
    return isinstance(raw, str) and not raw.strip()


def text(raw: Any) -> str:
    """A cell as text: white space trimmed; a whole number typed in a text column (Excel stores
    ``1`` as ``1.0``) without its ``.0``; a date as YYYY-MM-DD."""
    if isinstance(raw, bool):
        return "yes" if raw else "no"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat() if raw.time() == dt.time() else raw.isoformat(sep=" ")
    if isinstance(raw, dt.date):
        return raw.isoformat()
    return str(raw).strip()


def split_list(raw: Any) -> tuple[str, ...]:
    """``"a; b,c\\nd"`` → ``("a", "b", "c", "d")``: split on ``;``, ``,`` and new lines, blanks
    and repeats dropped, order kept."""
    parts = LIST_SEPARATORS.split(raw if raw.__class__ is str else text(raw))
    return tuple(dict.fromkeys(filter(None, map(str.strip, parts))))


def closest_first(value: str, choices: Iterable[str]) -> list[str]:
    """``choices`` with the ones most like ``value`` first."""
    choices = list(choices)
    close = difflib.get_close_matches(
        fold(value), [fold(c) for c in choices], n=len(choices), cutoff=0.0
    )
    by_fold = {fold(c): c for c in choices}
    return [by_fold[c] for c in close]


def choice_reader(column: Column) -> Reader:
    """One of ``column.choices``; case, spaces and punctuation forgiven silently; the listed
    aliases read as their choice, as a :class:`ReadAs` (``In progress`` → Partially
    implemented is a judgement about the client's words, not a spelling). A criticality or a
    control status in German, French, Spanish, Italian, Dutch or Portuguese (``hoch``,
    ``mis en œuvre``; ``nistpf/data/words.csv``) is read as its choice, also as a ReadAs."""
    canonical = {fold(choice): choice for choice in column.choices}
    aliases = {
        fold(alias): ReadAs(target, target)
        for alias, target in column.aliases.items()
        if fold(alias) not in canonical
    }
    foreign = {
        key: ReadAs(choice, choice)
        for key, choice in CHOICE_WORDS.get(column.name, {}).items()
        if choice in column.choices
    }

    def read(raw: Any) -> Any:
        key = fold(text(raw))
        found = canonical.get(key) or aliases.get(key)
        if found is not None:
            return found
        found = foreign.get(word_key(text(raw))) if foreign else None
        if found is not None:
            return found
        return Bad(
            f"{text(raw)!r} is not a valid {column.name}",
            "use one of: " + ", ".join(closest_first(text(raw), column.choices)),
            "invalid-choice",
        )

    return read


def read_yesno(raw: Any) -> Any:
    """yes/no in the usual spellings of the seven languages of ``nistpf/data/words.csv`` (yes,
    y, true, 1, x, ja, oui, sí, sì, sim, waar … / no, n, false, 0, nein, non, nee, não …), also
    annotated (``Y (AES-256)``, ``No - spreadsheet``).

    The plain spellings in ``YES`` and ``NO`` (and TRUE/FALSE cells, 1/0 numbers) are read
    silently, in any of the languages: each says yes or no and nothing else. An annotated cell
    says more than yes or no, and only its first word is kept (``Y (except the nightly export)``
    is read as yes), so it is a :class:`ReadAs` the consultant sees."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    word = _yesno_word(text(raw))
    if word in YES:
        return True
    if word in NO:
        return False
    annotated = _ANNOTATED.match(text(raw))
    if annotated:
        first = _yesno_word(annotated.group(1))
        if first in YES:
            return _READ_AS_YES
        if first in NO:
            return _READ_AS_NO
    return Bad(f"{text(raw)!r} is not yes or no", "write yes or no", "invalid-yesno")


def _yesno_word(written: str) -> str:
    """``written`` as YES and NO hold it (:func:`word_key`: accents dropped, so ``sí`` and
    ``si`` are one word); a tick or a cross, which folding would erase to nothing, is kept."""
    return word_key(written)


def count_reader(locale: Convention | None = None) -> Reader:
    """A reader of whole numbers ≥ 0 (records): a number cell, or text in either convention,
    with a multiplier (``2.5M``, ``15K``, ``2,5 Mio.``) and what it counts (``records``,
    ``Datensätze``) in the seven languages of ``nistpf/data/words.csv``.

    ``12400`` (and ``12400.0``) is read silently. Any other form is read by
    :func:`nistpf.inventory.locale.parse_number` and is a :class:`Noted` value saying how
    (``'2,5M' read as 2500000``): grouped thousands, a decimal comma, a multiplier. A number
    that reads differently in the two conventions (``12.400``: 12400 or 12.4) is a
    :class:`Bad` ``ambiguous-number`` unless ``locale`` (the workbook's declared locale) says
    which; then it is read so, and noted."""

    def read(raw: Any) -> Any:
        if isinstance(raw, bool):
            return _not_a_number(raw)
        if isinstance(raw, int | float):
            number, how = float(raw), ""
        else:
            written = text(raw)
            number, how = _number_with_words(written, locale, COUNT_WORDS, "records")
            if number.__class__ is Bad:
                return number
            if number is None:
                return _not_a_number(raw)
        if number < 0 or not math.isfinite(number):
            return Bad(
                f"{text(raw)!r} is not a count", "write a whole number ≥ 0", "invalid-number"
            )
        if not _whole(number):  # 12.4 records: not a count, whatever convention it was read in
            return Bad(
                f"{text(raw)!r} is not a whole number"
                + (f" (read as {number:g}: {how})" if how else ""),
                "write the number of records as a whole number, e.g. 12400; if the client writes "
                "'.' between thousands, declare the locale (About or the mapping)",
                "invalid-number",
            )
        count = round(number)
        if count > _LARGEST:
            return _too_large(raw)
        if not how:
            return count
        return Noted(
            count,
            f"{written!r} read as {count} ({how})",
            f"confirm the number with the client, or write it as {count}",
            "number-converted",
        )

    return read


read_count = count_reader()


# The largest whole number a nullable Int64 column holds: a count or a duration past it would
# overflow the table, so each reader refuses it (9.2e18 records once crashed the load).
_LARGEST = 2**63 - 1


def _whole(number: float) -> bool:
    """A whole number, allowing for the binary representation of a decimal (2.3 × 10⁶ is
    2299999.9999999995 in floating point)."""
    return abs(number - round(number)) <= 1e-9 * max(1.0, abs(number))


def _too_large(raw: Any) -> Bad:
    return Bad(f"{text(raw)!r} is too large a number", "check the number", "invalid-number")


def _not_a_number(raw: Any) -> Bad:
    return Bad(
        f"{text(raw)!r} is not a number", "write a whole number, e.g. 250000", "invalid-number"
    )


def _number_with_words(
    written: str, locale: Convention | None, words: dict[str, str], noun: str
) -> tuple[Any, str]:
    """The number at the start of ``written`` times the multiplier after it (``2,5 Mio.``),
    and how it was read (``""`` when plainly); the words after it may only be ``noun``s (what
    is counted). Returns (None, "") when ``written`` is no such number, (Bad, "") when it is
    ambiguous between the two conventions."""
    match = NUMBER_START.match(written)
    if not match:
        return None, ""
    digits = match.group().rstrip()
    tokens = written[len(digits) :].split()
    factor, hows = 1, []
    if tokens and words.get(word_key(tokens[0])) in MULTIPLIERS:
        meaning = words[word_key(tokens[0])]
        factor = MULTIPLIERS[meaning]
        hows.append(f"{tokens[0]!r} is a {meaning}")
        tokens = tokens[1:]
    if any(words.get(word_key(token)) != noun for token in tokens):
        return None, ""
    reading = parse_number(digits, locale)
    if reading is None:
        return None, ""
    if reading is AMBIGUOUS:
        return _ambiguous(written, digits, factor), ""
    if reading.how:
        hows.insert(0, reading.how)
    return reading.value * factor, "; ".join(hows)


_POINT, _COMMA = convention("en"), convention("de")


def _ambiguous(written: str, digits: str, factor: float = 1) -> Bad:
    """The error for a number whose two readings differ (``12.400``: 12400 or 12.4)."""
    point = parse_number(digits, _POINT).value * factor
    comma = parse_number(digits, _COMMA).value * factor
    mark = "." if "." in digits else ","
    grouping, decimal = (comma, point) if mark == "." else (point, comma)
    return Bad(
        f"{written!r} is ambiguous: {shown(grouping)} if {mark!r} groups thousands, "
        f"{shown(decimal)} if it is the decimal separator",
        "declare the workbook's locale (a locale row in About, e.g. de-DE or en-US, or locale in "
        "the mapping), or write the number without separators",
        "ambiguous-number",
    )


def days_reader(locale: Convention | None = None) -> Reader:
    """A reader of a number of days (retention). ``90`` and ``90 days`` (``90 Tage``, ``90
    jours`` …) are days; weeks, months (30 days) and years (365 days) in the seven languages
    of ``nistpf/data/words.csv`` (``6 Monate``, ``3 mois``, ``2 años``) are converted, and a
    number written other than plainly (``1,5 Jahre``) is read as :func:`count_reader` reads it,
    each as a :class:`Noted` value; "indefinite" (``unbefristet``, ``illimité`` …) means no
    retention period, also noted. An ambiguous number is a :class:`Bad`, as for counts."""

    def read(raw: Any) -> Any:
        if isinstance(raw, bool):
            return _not_days(raw)
        if isinstance(raw, int | float):
            if raw < 0 or not math.isfinite(raw):
                return _not_days(raw)
            if round(raw) > _LARGEST:
                return _too_large(raw)
            if not _whole(raw):  # 30.5 days: kept as a whole number of days, said so
                return Noted(
                    round(raw),
                    f"{text(raw)} read as {round(raw)} days (rounded to a whole day)",
                    "write the number of days",
                    "converted-days",
                )
            return round(raw)
        written = text(raw)
        if DURATION.get(word_key(written)) == "indefinite":
            return Noted(
                None,
                f"{written!r} read as no retention period",
                "write the number of days if there is a limit",
                "no-retention-limit",
            )
        match = NUMBER_START.match(written)
        if not match:
            return _not_days(raw)
        digits = match.group().rstrip()
        unit_text = written[len(digits) :].strip()
        unit = DURATION.get(word_key(unit_text)) if unit_text else "day"
        if unit not in DAYS_PER:
            return _not_days(raw)
        reading = parse_number(digits, locale)
        if reading is None:
            return _not_days(raw)
        if reading is AMBIGUOUS:
            return _ambiguous(written, digits)
        exact = reading.value * DAYS_PER[unit]
        days = round(exact)
        if days > _LARGEST:
            return _too_large(raw)
        if unit == "day" and not reading.how and _whole(exact):
            return days
        # A conversion (months of 30 days) is an approximation already, so said once as such.
        rounded = "" if unit != "day" or _whole(exact) else " (rounded to a whole day)"
        return Noted(
            days,
            f"{written!r} read as {days} days{rounded}",
            "write the number of days",
            "converted-days",
        )

    return read


read_days = days_reader()


def _not_days(raw: Any) -> Bad:
    return Bad(f"{text(raw)!r} is not a number of days", "write the days, e.g. 365", "invalid-days")


def level_reader(scale: Scale) -> Reader:
    """A level on ``scale``: a number, a label ("Repeatable"), or both ("3 - Repeatable"). A
    number followed by anything but its own label (``3 out of 4``, ``3 - Initial``) is read as
    the number, as a :class:`ReadAs`.

    A decimal comma is read (``2,5`` is 2.5), as a :class:`Noted` value (code
    ``decimal-comma``), whatever locale the workbook declares: no scale reaches the thousands,
    so a single ``.`` or ``,`` in a level is always its decimal separator (``2,500`` is 2.5)."""
    labels = {fold(label): level for level, label in scale.labels.items()}
    own_label = {float(level): fold(label) for level, label in scale.labels.items()}
    hint = f"use a level of the {scale.name} scale: {scale.describe()}"

    def read(raw: Any) -> Any:
        rest, comma = "", False
        if isinstance(raw, bool):
            return Bad(f"{text(raw)!r} is not a level", hint, "invalid-level")
        if isinstance(raw, int | float):
            number = float(raw)
        else:
            written = text(raw)
            if fold(written) in labels:
                return float(labels[fold(written)])
            match = _LEADING_NUMBER.match(written)
            if not match:
                return Bad(f"{written!r} is not a level", hint, "invalid-level")
            number = float(match[1] + ("." + match[3] if match[3] else ""))
            comma = match[2] == ","
            rest = fold(written[match.end() :])
        if not scale.contains(number):
            return Bad(
                f"{text(raw)} is outside the {scale.name} scale ({scale.minimum}-{scale.maximum})",
                hint,
                "level-outside-scale",
            )
        if rest and rest != own_label.get(number):
            return ReadAs(number, text(number))
        if comma:
            return Noted(
                number,
                f"{text(raw)!r} read as {shown(number)} with a decimal comma",
                f"confirm the level {shown(number)} with the client",
                "decimal-comma",
            )
        return number

    return read


_TIERS_BY_NAME = {fold(name): tier for tier, name in TIER_NAMES.items()}


def read_tier(raw: Any) -> Any:
    """An Implementation Tier: 1-4, "Tier 2", its name ("Risk Informed") or both ("2 - Risk
    Informed"). A Tier number in other text (``Tier 2, moving to 3``) is read as that Tier, as
    a :class:`ReadAs`."""
    written = text(raw)
    if fold(written) in _TIERS_BY_NAME:
        return _TIERS_BY_NAME[fold(written)]
    match = re.search(r"\d+(?:\.\d+)?", written)
    if match and float(match.group()) in (1, 2, 3, 4):
        tier = int(float(match.group()))
        rest = fold(written[: match.start()] + " " + written[match.end() :])
        rest = rest.removeprefix("tier")
        if rest in ("", fold(TIER_NAMES[tier])):
            return tier
        return ReadAs(tier, str(tier))
    return Bad(
        f"{written!r} is not an Implementation Tier",
        "use 1 Partial, 2 Risk Informed, 3 Repeatable or 4 Adaptive",
        "invalid-tier",
    )


def read_date(raw: Any, *, serial: bool = False) -> dt.date | Bad:
    """A date: an Excel date, or text as YYYY-MM-DD (DD.MM.YYYY, and DD/MM/YYYY where the day
    is over 12, are unambiguous too), or with the month in words or abbreviated in any of the
    seven languages of ``nistpf/data/words.csv`` (``3 March 2026``, ``March 3, 2026``,
    ``3. März 2026``, ``3 mars 2026``, ``3 de marzo de 2026``, ``3 mrt. 2026``, ``3-Mar-2026``):
    a month name is unambiguous, so these are read silently. Any of these forms may be followed
    by a time of day (``2026-03-03T12:00``, ``03.03.2026 17:30``, ``3 March 2026 17:30:00``),
    which is dropped; anything else after a date (``2026-03-03 (tentative)``) makes it no date.
    ``03/04/2026``, which reads as 3 April or 4 March, is :class:`Bad` (code
    ``ambiguous-date``), whatever the workbook's locale; anything else is Bad with code
    ``invalid-date``.

    The one date reader: the inventory's date columns and the gap register's due dates
    (:func:`nistpf.export.register_edits.due_date`) both read with it. ``serial=True`` also
    reads a number (not text) in Excel's range of days as an Excel serial date — for the
    register's Due date column, a date column nistpf formatted, where a number is a date whose
    format was lost."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if (
        serial
        and isinstance(raw, (int, float))
        and not isinstance(raw, bool)
        and 1 <= raw < _EXCEL_DAYS
    ):
        days = int(raw)
        if days <= 60:  # before Excel's 29 February 1900, which never was (day 60: the 28th)
            return dt.date(1899, 12, 31) + dt.timedelta(days=min(days, 59))
        return _EXCEL_EPOCH + dt.timedelta(days=days)
    written = text(raw)
    hint = "write dates as YYYY-MM-DD"
    timed = _TIME_OF_DAY.match(written)
    day = timed["date"] if timed else written
    try:
        iso = _ISO_DATE.match(day)
        if iso:
            return dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
        dmy = _DMY_DATE.match(day)
        if dmy:
            first, second, year = int(dmy[1]), int(dmy[2]), int(dmy[3])
            if "." in day or first > 12:
                return dt.date(year, second, first)
            if second > 12:
                return dt.date(year, first, second)
            return Bad(f"{written!r} could be day/month or month/day", hint, "ambiguous-date")
        named = _DAY_MONTH_YEAR.match(day) or _MONTH_DAY_YEAR.match(day)
        if named:
            month = MONTH_NUMBER.get(word_key(named["month"]))
            if month is not None:
                return dt.date(int(named["year"]), month, int(named["day"]))
    except ValueError:
        return Bad(f"{written!r} is not a real date", hint, "invalid-date")
    return Bad(f"{written!r} is not a date", hint, "invalid-date")


def selector_reader() -> Reader:
    """``applies_to`` tokens: ALL, ``type:CRM`` (type checked here), or a system reference
    (resolved against the Systems sheet by the loader). ``All systems`` is ALL; ``everything``
    and punctuation alone (``*``, ``-``) are read as ALL, as a :class:`ReadAs`."""
    types = {fold(t): t for t in SYSTEM_TYPES}

    def read(token: str) -> Any:
        key = fold(token)
        if key in ("all", "allsystems") or not token.strip():
            return ALL_SYSTEMS
        if key in ("everything", ""):  # "everything", or only punctuation: "*", "-"
            return _READ_AS_ALL
        if token.casefold().startswith(TYPE_SELECTOR):
            wanted = token[len(TYPE_SELECTOR) :].strip()
            if fold(wanted) in types:
                return TYPE_SELECTOR + types[fold(wanted)]
            return Bad(
                f"{wanted!r} is not a system type",
                "use type: with one of " + ", ".join(closest_first(wanted, SYSTEM_TYPES)),
                "invalid-selector",
            )
        return token.strip()

    return read
