"""CSV that a spreadsheet opens as data, never as formulas.

Excel, LibreOffice Calc and Google Sheets take a CSV cell that starts with ``=``, ``+``, ``-``
or ``@`` for a formula (some after a leading tab or carriage return too) and run it when the
file is opened: ``=HYPERLINK("http://x","y")`` makes a link that sends data away,
``+cmd|' /C calc'!A0`` asks to start a program. This is CSV injection (OWASP, "CSV Injection",
https://owasp.org/www-community/attacks/CSV_Injection). Every CSV nistpf writes goes through
:func:`csv_text`, which follows OWASP's advice: a text cell that starts with one of
:data:`nistpf.io.xlsx.FORMULA_STARTS` — the characters the gap register's ``.xlsx`` cells get
Excel's quote prefix for — is written with a single quote ``'`` in front, so the spreadsheet
shows it as text (the quote included: a CSV has no quote prefix that hides it, as ``.xlsx`` has).

A cell's start is not the only start. OWASP warns that a field separator inside the text starts a
new cell; nistpf writes commas, and a cell holding a comma is quoted, which every spreadsheet
honours. But a spreadsheet that splits on semicolons (Excel opening a CSV where the comma is the
decimal mark, as in Germany or France; LibreOffice's import with ``;`` ticked) or on tabs
ignores those quotes, and so does every spreadsheet for a line break inside a quoted cell when
it splits on ``;``: LibreOffice opens ``"x;=2+2"`` split on ``;`` as ``x`` and a formula
``=2+2"``. So the quote also goes after each ``;``, tab, carriage return and line feed in the
text that a formula start follows, possibly behind double quotes (``x;=2+2`` → ``x;'=2+2``).

Only text is changed. A number nistpf writes as a number (a level, a row number, ``-3``,
``2.5``) is written as the number, and a spreadsheet reads it as one; dates are written as ISO
text (``2027-03-31``), which starts with a digit. Text that looks like a number — ``"-1"``
typed by a client, a JSON value in the store's log — is text, and is prefixed (``'-1``):
nistpf cannot tell a client's ``-1`` from the start of ``-1+cmd|' /C calc'!A0``, and a
reader wanting the client's text back removes the one ``'`` before a formula start. JSON output
needs none of this: spreadsheets do not open it.
"""

from __future__ import annotations

import numbers
import re
from pathlib import Path

import pandas as pd

from nistpf.io.atomic import atomic_open
from nistpf.io.xlsx import FORMULA_STARTS

QUOTE = "'"
# Where a spreadsheet may start a cell inside a CSV cell's text: its start, and after each
# separator a spreadsheet may split on where the comma is not one (";", a tab) or a line end.
SEPARATORS = (";", "\t", "\r", "\n")
_STARTS = "".join(re.escape(c) for c in FORMULA_STARTS)
_SEPARATORS = "".join(re.escape(c) for c in SEPARATORS)
# Zero-width: the places the quote goes (a formula start ahead, behind any double quotes).
_RISKY = re.compile(rf'(?:^|(?<=[{_SEPARATORS}]))(?="*[{_STARTS}])')
# The quick test that a text needs a look at all: a risky first character, or a separator.
_FIRST = frozenset(FORMULA_STARTS) | {'"'}
_SEPARATOR = re.compile(rf"[{_SEPARATORS}]")

CSV_WRITERS = (
    "nistpf.inventory.report.format_report (nistpf validate --format csv)",
    "nistpf.store.Store.export_log",
    "nistpf.export.tables.write_framework_tables (nistpf demo's pf-<version>-*.csv)",
    "nistpf.cli._emit (nistpf framework --format csv)",
)
"""Every writer of CSV meant to be opened (by a consultant, a client, a spreadsheet); each
writes through :func:`csv_text`. Not here: ``nistpf.convert.build.to_csv_text``, which writes
nistpf's own framework data files (``nistpf/data/pf-*/``) from NIST's workbooks for nistpf to
read back — they must hold NIST's text exactly, and none of it starts a cell with a formula
character (a test holds that the framework's CSV tables are the same through
:func:`csv_text`)."""


def neutral_text(text: str) -> str:
    """``text`` with ``'`` put before each formula start (:data:`FORMULA_STARTS`, behind any
    double quotes) at its beginning or after a ``;``, tab, carriage return or line feed;
    unchanged when it has none. ``"=1"`` → ``"'=1"``, ``"a;-b"`` → ``"a;'-b"``,
    ``"a; -b"`` and ``"2027-03-31"`` unchanged. Source of the rule: OWASP, "CSV Injection"."""
    if text[:1] not in _FIRST and not _SEPARATOR.search(text):
        return text
    return _RISKY.sub(QUOTE, text)


def _neutral_cell(value: object) -> object:
    """A cell as :func:`neutralise` leaves it: numbers (and booleans), None and NaN as they
    are; text, and anything else that the CSV writer writes as text, neutralised."""
    if value.__class__ is str:
        return neutral_text(value)
    if value is None or isinstance(value, numbers.Number):
        return value
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return value
    written = str(value)  # what the CSV writer would write for it (a date, a list)
    safe = neutral_text(written)
    return value if safe == written else safe


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` (any shape) that a spreadsheet opens as data: every text cell and
    column label passed through :func:`neutral_text`. Columns of a numeric, boolean or date
    dtype are left as they are; in other columns, numbers stay numbers (``-3`` stays ``-3``)
    and only text (or a value written as text, e.g. a list) changes. The index is not
    touched (nistpf's CSV writes none)."""
    safe = frame.copy()
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
            # Built as objects: Series.map would infer a dtype, making 1 and None 1.0 and NaN.
            cleaned = [
                neutral_text(value) if value.__class__ is str else _neutral_cell(value)
                for value in values
            ]
            safe.isetitem(position, pd.Series(cleaned, index=values.index, dtype=object))
    safe.columns = [_neutral_cell(c) for c in frame.columns]
    return safe


# A quoted cell (its doubled quotes inside) or a row's end: in CSV written with "\r\n" row ends,
# every "\r\n" outside a quoted cell ends a row.
_QUOTED_OR_ROW_END = re.compile(r'("[^"]*(?:""[^"]*)*")|\r\n')


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as the CSV text nistpf writes: :func:`neutralise`'d, a header row, no index,
    ``\\n`` row ends, minimal quoting — a cell holding a comma, a double quote, a line feed or
    a carriage return is in double quotes (RFC 4180). Python's csv writer, under pandas, quotes
    line breaks only of the row end it is given, so a lone carriage return in a client's text
    would end the row for every reader; a table holding one is written with ``\\r\\n`` row
    ends, which quotes both, and those row ends become ``\\n``. Write it as UTF-8
    (:func:`nistpf.io.atomic.write_text`)."""
    safe = neutralise(frame)
    text = safe.to_csv(index=False, lineterminator="\n")
    if "\r" not in text:  # the usual case: every line break is quoted already
        return text
    text = safe.to_csv(index=False, lineterminator="\r\n")
    return _QUOTED_OR_ROW_END.sub(lambda found: found.group(1) or "\n", text)


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` as :func:`csv_text` to the file ``path``, atomically, in UTF-8 with a
    byte-order mark: Excel (opening the file by double-click) and LibreOffice's default import
    read a CSV without one in the system's legacy code page, which turns ``’`` into ``â€™``
    and ``Müller`` into ``MÃ¼ller``; with the mark both read UTF-8, and Python's ``utf-8-sig``
    and pandas read it as any UTF-8 file. (CSV written to standard output has no mark: it
    goes to other programs, for which the mark would be part of the first header.) Returns
    ``path``."""
    path = Path(path)
    with atomic_open(path, "w", encoding="utf-8-sig", newline="") as stream:
        stream.write(csv_text(frame))
    return path
