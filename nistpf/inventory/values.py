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

YES = {"yes", "y", "true", "1", "x", "ja", "oui", "si", "sí", "✓", "✔", "t"}
NO = {"no", "n", "false", "0", "nein", "non", "✗", "f"}
_ANNOTATED = re.compile(r"^\s*([^\s(\[:;,–—-]+)\s*[(\[:;,–—-]")
_COUNT = re.compile(
    r"^(?P<number>\d[\d,'_ ]*(?:\.\d+)?)\s*(?P<unit>[kmb])?\s*"
    r"(?:records?|customers?|rows?|profiles?|contacts?|users?|accounts?)?$",
    re.I,
)
_DURATION = re.compile(
    r"^(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>d|days?|w|wks?|weeks?|mo|mos|months?|y|yrs?|years?)?$",
    re.I,
)
_DAYS_PER = {"d": 1, "w": 7, "m": 30, "y": 365}
_NO_LIMIT = {"indefinite", "indefinitely", "forever", "unlimited", "permanent", "noretention"}
_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$")
_DMY_DATE = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$")
_LEADING_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\b")
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
    implemented is a judgement about the client's words, not a spelling)."""
    canonical = {fold(choice): choice for choice in column.choices}
    aliases = {
        fold(alias): ReadAs(target, target)
        for alias, target in column.aliases.items()
        if fold(alias) not in canonical
    }

    def read(raw: Any) -> Any:
        key = fold(text(raw))
        found = canonical.get(key) or aliases.get(key)
        if found is not None:
            return found
        return Bad(
            f"{text(raw)!r} is not a valid {column.name}",
            "use one of: " + ", ".join(closest_first(text(raw), column.choices)),
            "invalid-choice",
        )

    return read


def read_yesno(raw: Any) -> Any:
    """yes/no in the usual spellings (yes, y, true, 1, x / no, n, false, 0), also annotated
    (``Y (AES-256)``, ``No - spreadsheet``).

    The plain spellings in ``YES`` and ``NO`` (and TRUE/FALSE cells, 1/0 numbers) are read
    silently: each says yes or no and nothing else. An annotated cell says more than yes or no,
    and only its first word is kept (``Y (except the nightly export)`` is read as yes), so it is
    a :class:`ReadAs` the consultant sees."""
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
    """``written`` folded as YES and NO hold it; a tick or a cross, which folding would erase
    to nothing, is kept."""
    return fold(written) or written.strip()


def read_count(raw: Any) -> Any:
    """A whole number ≥ 0; "2.5M", "15K", "12,400" and "1.2M records" are read as numbers."""
    if isinstance(raw, bool):
        return Bad(
            f"{text(raw)!r} is not a number", "write a whole number, e.g. 250000", "invalid-number"
        )
    if isinstance(raw, int | float):
        number = float(raw)
    else:
        match = _COUNT.match(text(raw))
        if not match:
            return Bad(
                f"{text(raw)!r} is not a number",
                "write a whole number, e.g. 250000",
                "invalid-number",
            )
        number = float(re.sub(r"[,'_ ]", "", match["number"]))
        number *= {"k": 1e3, "m": 1e6, "b": 1e9}.get((match["unit"] or "").lower(), 1)
    if number < 0 or not math.isfinite(number):
        return Bad(f"{text(raw)!r} is not a count", "write a whole number ≥ 0", "invalid-number")
    return round(number)


def read_days(raw: Any) -> Any:
    """A number of days. "90" and "90 days" are days; weeks, months (30 days) and years
    (365 days) are converted with a warning; "indefinite" means no retention period."""
    if isinstance(raw, bool):
        return Bad(
            f"{text(raw)!r} is not a number of days", "write the days, e.g. 365", "invalid-days"
        )
    if isinstance(raw, int | float):
        if raw < 0 or not math.isfinite(raw):
            return Bad(
                f"{text(raw)!r} is not a number of days", "write the days, e.g. 365", "invalid-days"
            )
        return round(raw)
    written = text(raw)
    if fold(written) in _NO_LIMIT:
        return Noted(
            None,
            f"{written!r} read as no retention period",
            "write the number of days if there is a limit",
            "no-retention-limit",
        )
    match = _DURATION.match(written)
    if not match:
        return Bad(
            f"{written!r} is not a number of days", "write the days, e.g. 365", "invalid-days"
        )
    unit = (match["unit"] or "d")[0].lower()
    days = round(float(match["number"]) * _DAYS_PER[unit])
    if unit == "d":
        return days
    return Noted(
        days, f"{written!r} read as {days} days", "write the number of days", "converted-days"
    )


def level_reader(scale: Scale) -> Reader:
    """A level on ``scale``: a number, a label ("Repeatable"), or both ("3 - Repeatable"). A
    number followed by anything but its own label (``3 out of 4``, ``3 - Initial``) is read as
    the number, as a :class:`ReadAs`."""
    labels = {fold(label): level for level, label in scale.labels.items()}
    own_label = {float(level): fold(label) for level, label in scale.labels.items()}
    hint = f"use a level of the {scale.name} scale: {scale.describe()}"

    def read(raw: Any) -> Any:
        rest = ""
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
            number = float(match.group(1))
            rest = fold(written[match.end() :])
        if not scale.contains(number):
            return Bad(
                f"{text(raw)} is outside the {scale.name} scale ({scale.minimum}-{scale.maximum})",
                hint,
                "level-outside-scale",
            )
        if rest and rest != own_label.get(number):
            return ReadAs(number, text(number))
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


def read_date(raw: Any) -> Any:
    """A date: an Excel date, or text as YYYY-MM-DD (DD.MM.YYYY, and DD/MM/YYYY where the day
    is over 12, are unambiguous too)."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    written = text(raw)
    hint = "write dates as YYYY-MM-DD"
    try:
        iso = _ISO_DATE.match(written)
        if iso:
            return dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
        dmy = _DMY_DATE.match(written)
        if dmy:
            first, second, year = int(dmy[1]), int(dmy[2]), int(dmy[3])
            if "." in written or first > 12:
                return dt.date(year, second, first)
            if second > 12:
                return dt.date(year, first, second)
            return Bad(f"{written!r} could be day/month or month/day", hint, "ambiguous-date")
        for pattern in ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y"):
            try:
                return dt.datetime.strptime(written, pattern).date()
            except ValueError:
                continue
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
