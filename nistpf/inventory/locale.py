"""The languages and number conventions a client's workbook may be written in.

Everything language-specific lives in one table kept as data, ``nistpf/data/words.csv``
(columns ``language``, ``meaning``, ``word``): the words for yes and no, for days, weeks, months
and years, for "indefinite", for thousands and millions, for what a count counts, the month names
and their abbreviations, and each language's decimal separator. It covers English (``en``),
German (``de``), French (``fr``), Spanish (``es``), Italian (``it``), Dutch (``nl``) and
Portuguese (``pt``); ``*`` marks symbols every language uses (✓, 1, 0), and a language with a
region (``de-CH``) is listed only where the region's decimal separator differs from its
language's. The table is read once, at import, into the lookups below.

Words are compared by :func:`word_key`: case, accents, spaces and punctuation ignored
(``Datensätze``, ``datensatze`` and ``DATENSÄTZE`` are one word).

Numbers: :func:`parse_number` reads the digits of a number in either convention, decimal point
(``1,234.5``) or decimal comma (``1.234,5``), grouped by spaces, apostrophes or no-break spaces
as well. A number whose reading differs between the two conventions — one ``.`` or ``,`` followed
by exactly three digits (``12.400``, ``1,250``) — is :data:`AMBIGUOUS` unless the workbook's
locale is declared (:func:`convention`).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources

LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt")
ANY_LANGUAGE = "*"
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
# The meanings words.csv may hold, grouped so a word means one thing within its group (``m`` is
# a million beside a number of records; a month is never written "m").
GROUPS = {
    "yesno": ("yes", "no"),
    "duration": ("day", "week", "month", "year", "indefinite"),
    "count": ("thousand", "million", "billion", "records"),
    "month": MONTHS,
    "number": ("decimal",),
    # the choices of a choice column, in the client's language ("hoch" → criticality High)
    "criticality": ("criticality:High", "criticality:Medium", "criticality:Low"),
    "status": (
        "status:Implemented",
        "status:Partially implemented",
        "status:Planned",
        "status:Not implemented",
        "status:Not applicable",
    ),
}
DAYS_PER = {"day": 1, "week": 7, "month": 30, "year": 365}
MULTIPLIERS = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}


def word_key(written: object) -> str:
    """The form words are compared in: case-folded, accents dropped, everything but letters and
    digits removed (``"Für immer"`` → ``furimmer``; a tick ``✓`` is kept as itself)."""
    decomposed = unicodedata.normalize("NFKD", str(written).casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", "", plain) or str(written).strip()


@dataclass(frozen=True)
class Word:
    language: str
    meaning: str
    word: str


def _read_table() -> tuple[Word, ...]:
    path = resources.files("nistpf") / "data" / "words.csv"
    with path.open("r", encoding="utf-8", newline="") as handle:
        return tuple(
            Word(row["language"].strip(), row["meaning"].strip(), row["word"])
            for row in csv.DictReader(handle)
        )


WORDS: tuple[Word, ...] = _read_table()


def lookup(words: tuple[Word, ...], group: str) -> dict[str, str]:
    """word key → meaning, for the meanings of ``group`` (a key of :data:`GROUPS`). Raises
    ValueError when one word has two meanings in the group (``mar`` as March in one language and
    May in another would make a date depend on a guess)."""
    meanings = GROUPS[group]
    found: dict[str, Word] = {}
    for word in words:
        if word.meaning not in meanings:
            continue
        key = word_key(word.word)
        other = found.setdefault(key, word)
        if other.meaning != word.meaning:
            raise ValueError(
                f"words.csv: {word.word!r} means {other.meaning} in {other.language!r} and "
                f"{word.meaning} in {word.language!r}; a word has one meaning in its group"
            )
    return {key: word.meaning for key, word in found.items()}


YESNO = lookup(WORDS, "yesno")  # key → "yes" / "no"
DURATION = lookup(WORDS, "duration")  # key → "day" … "year" / "indefinite"
COUNT_WORDS = lookup(WORDS, "count")  # key → "thousand" … / "records"
MONTH_NUMBER = {key: MONTHS.index(m) + 1 for key, m in lookup(WORDS, "month").items()}
DECIMAL = {w.language.casefold(): w.word for w in WORDS if w.meaning == "decimal"}
# column name → {word key → the choice it means}: "Umgesetzt" is status Implemented
CHOICE_WORDS = {
    group: {key: meaning.split(":", 1)[1] for key, meaning in lookup(WORDS, group).items()}
    for group in ("criticality", "status")
}


# -- locales --------------------------------------------------------------------------------


class UnknownLocaleError(ValueError):
    """A declared locale nistpf does not know; the message lists the accepted ones."""


ACCEPTED = (
    "a language code ("
    + ", ".join(LANGUAGES)
    + "), alone or with a region: de-DE, fr-FR, en-US, pt-BR, de-CH …"
)
_TAG = re.compile(r"^([a-z]{2})(?:[-_]([a-z]{2}|\d{3}))?$")


@dataclass(frozen=True)
class Convention:
    """How a declared locale writes numbers: ``decimal`` is ``"."`` or ``","``; the other of
    the two groups thousands. ``tag`` is the locale as the consultant declared it."""

    tag: str
    decimal: str

    @property
    def grouping(self) -> str:
        return "," if self.decimal == "." else "."

    def describe(self) -> str:
        """``"de-DE (decimal comma)"``."""
        return f"{self.tag} (decimal {'comma' if self.decimal == ',' else 'point'})"


def convention(declared: object) -> Convention:
    """The number convention of a declared locale (``"de-DE"``, ``"fr"``, ``"en_US"``, case
    ignored): the decimal separator of its region where words.csv lists one, else its
    language's. Raises :class:`UnknownLocaleError` naming the accepted values for anything
    else."""
    tag = str(declared).strip()
    match = _TAG.match(tag.casefold())
    if not match or match[1] not in LANGUAGES:
        raise UnknownLocaleError(f"{tag!r} is not a locale nistpf knows; use {ACCEPTED}")
    language, region = match[1], match[2]
    decimal = DECIMAL.get(f"{language}-{region}") if region else None
    return Convention(tag, decimal or DECIMAL[language])


# -- numbers --------------------------------------------------------------------------------


class _Ambiguous:
    """The result for a number that reads differently in the two conventions."""

    def __repr__(self) -> str:
        return "AMBIGUOUS"


AMBIGUOUS = _Ambiguous()

# Grouping marks every convention uses: space, no-break space, narrow no-break space, thin
# space, apostrophe and right single quote (Swiss), underscore.
_SPACES = " \u00a0\u202f\u2009'’_"
_MARK_NAMES = {
    " ": "spaces",
    "\u00a0": "no-break spaces",
    "\u202f": "narrow no-break spaces",
    "\u2009": "thin spaces",
    "'": "apostrophes",
    "’": "apostrophes",
    "_": "underscores",
}
NUMBER_START = re.compile(r"^\d[\d.," + re.escape(_SPACES) + r"]*")
_GROUPED = re.compile(r"^[1-9]\d{0,2}(?:[" + re.escape(_SPACES) + r"]\d{3})+$")


@dataclass(frozen=True)
class NumberReading:
    """A number read from text: ``value``, and ``how`` it was read when it was not written as a
    plain number (``""`` for ``12400`` or ``2.5``): e.g. ``"with a decimal comma"``."""

    value: float
    how: str = ""


def _grouped(digits: str, mark: str) -> bool:
    """``digits`` is a whole number grouped by ``mark`` in threes (``1.234.567``)."""
    parts = digits.split(mark)
    return (
        1 <= len(parts[0]) <= 3
        and parts[0].isdigit()
        and parts[0][0] != "0"
        and all(len(p) == 3 and p.isdigit() for p in parts[1:])
    )


def parse_number(
    written: str, locale: Convention | None = None
) -> NumberReading | _Ambiguous | None:
    """The number ``written`` holds (digits and separators only, no sign, no unit), or None
    when it is not a number, or :data:`AMBIGUOUS`.

    Rules (for a consultant's records and durations, written by people in any of the
    languages): ``12400`` and ``2.5`` are plain; spaces, apostrophes and no-break spaces group
    thousands in every convention (``12 400``, ``12'400``); when both ``.`` and ``,`` appear,
    the last is the decimal separator and the other groups thousands (``1.234,5``,
    ``1,234.5``); one separator repeated groups thousands (``1.234.567``); one separator once
    is decimal unless exactly three digits follow it and the digits before it could be a
    first group (``12.400``, ``1,250``), which reads 12400 in one convention and 12.4 in the
    other: AMBIGUOUS, unless ``locale`` says which convention the workbook uses."""
    text = written.strip()
    if text.isdigit():
        return NumberReading(float(text))
    spaced = any(mark in text for mark in _SPACES)
    points, commas = text.count("."), text.count(",")
    if points and commas:
        decimal = "." if text.rfind(".") > text.rfind(",") else ","
        group = "," if decimal == "." else "."
        whole, _, fraction = text.rpartition(decimal)
        if spaced or decimal in whole or not fraction.isdigit() or not _grouped(whole, group):
            return None
        how = f"{group!r} groups thousands, {decimal!r} is the decimal separator"
        return NumberReading(float(whole.replace(group, "") + "." + fraction), how)
    if spaced:
        whole, mark, fraction = text, "", ""
        if points or commas:
            mark = "." if points else ","
            if text.count(mark) > 1:
                return None
            whole, _, fraction = text.partition(mark)
            if not fraction.isdigit():
                return None
        if not _GROUPED.match(whole):
            return None
        digits = re.sub("[" + re.escape(_SPACES) + "]", "", whole)
        how = _MARK_NAMES[next(m for m in whole if m in _SPACES)] + " group thousands"
        if mark == ",":
            how += ", with a decimal comma"
        return NumberReading(float(digits + ("." + fraction if fraction else "")), how)
    mark = "." if points else ","
    if text.count(mark) > 1:
        if not _grouped(text, mark):
            return None
        return NumberReading(float(text.replace(mark, "")), f"{mark!r} groups thousands")
    whole, _, fraction = text.partition(mark)
    if not whole.isdigit() or not fraction.isdigit():
        return None
    if len(fraction) == 3 and _grouped(text, mark):
        if locale is None:
            return AMBIGUOUS
        if mark == locale.grouping:
            how = f"{mark!r} groups thousands in the declared locale {locale.tag}"
            return NumberReading(float(whole + fraction), how)
        how = f"{mark!r} is the decimal separator in the declared locale {locale.tag}"
        return NumberReading(float(whole + "." + fraction), how)
    if mark == ",":
        return NumberReading(float(whole + "." + fraction), "with a decimal comma")
    return NumberReading(float(text))


def shown(number: float) -> str:
    """A number as messages show it, in neither convention's grouping: ``12400``, ``2.5``."""
    return str(int(number)) if float(number).is_integer() else repr(float(number))
