"""What the client wrote into a gap register, read back, and carried into the next register.

The client's columns — recommended action, owner, due date, status, comments — are found by their
headers, not their positions, so a register re-saved by Excel or LibreOffice, with columns moved,
added or removed, still reads:

>>> from nistpf.export.register_edits import read_register_edits
>>> edits = read_register_edits("gap-register.xlsx")  # doctest: +SKIP
>>> list(edits.columns)  # doctest: +SKIP
['subcategory', 'recommended_action', 'owner', 'due_date', 'status', 'comments']
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
import zipfile
import zlib
from itertools import chain, islice, zip_longest
from os import PathLike
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from nistpf.assessment import Assessment
from nistpf.errors import NistpfError, RegisterError
from nistpf.export.excel_sheets import (
    CLOSED_REASON,
    DEFAULT_STATUS,
    EDIT_COLUMNS,
    EDIT_HEADERS,
    GAP_COLUMNS,
    GAP_REGISTER,
    STATUSES,
    SUGGESTION_HEADER,
    SUMMARY,
    listed_subcategories,
)
from nistpf.framework import framework
from nistpf.inventory.read import Unreadable, check_archive, shared_string_error
from nistpf.inventory.values import Bad, is_blank, read_date, text

HEADER_SEARCH_ROWS = 50  # the header row is looked for this far down
CLOSED_COLUMNS = [*EDIT_COLUMNS, "reason"]
# Header spellings accepted for each column (compared without case, spaces or punctuation).
_ALIASES = {
    "subcategory": ("subcategory", "subcategoryid", "pfid", "id"),
    "recommended_action": ("recommendedaction", "action", "recommendation"),
    "owner": ("owner", "actionowner"),
    "due_date": ("duedate", "due", "targetdate"),
    "status": ("status",),
    "comments": ("comments", "comment", "notes"),
    "suggested_action": ("nistpfssuggestion",),
}
# A due date outside these years is no plausible due date: a number in the date-formatted Due
# date column (2027 shows as 1905-07-19), or a typing slip; it is carried over as written.
PLAUSIBLE_DUE = (dt.date(2000, 1, 1), dt.date(2200, 12, 31))
DATE_HINT = "write dates as YYYY-MM-DD"


def read_register_edits(path: str | PathLike[str]) -> pd.DataFrame:
    """The client's columns of the Gap Register sheet of the register at ``path``: a DataFrame
    with ``subcategory, recommended_action, owner, due_date, status, comments``, one row per
    Subcategory in the register's order. Blank cells are None; a status is spelled as in the
    dropdown when it matches one case-insensitively; ``due_date`` is a ``datetime.date`` when
    the cell is a date or a date written as the inventory's dates are read
    (:func:`due_date`: ``2027-03-31``, ``2027-3-31``, ``31.03.2027``, ``31/03/2027``,
    ``31 March 2027``, an Excel serial number), else the text as the client wrote it
    (``Q3 2027``, the ambiguous ``03/04/2027``) — never dropped. A due date before 2000 or
    after 2200 is no plausible due date: it is kept as written (the number ``2027`` typed into
    the date-formatted column, which Excel shows as 1905-07-19, is ``"2027"``), as is ``TRUE``.
    A formula without a saved value (a file saved by a program that does not calculate
    formulas) is kept as its text (``=DATE(2027,3,31)``), in every client column.

    ``edits.attrs["notes"]`` lists, as sentences, what cannot be carried over as it stands:
    a client column nistpf cannot find, columns nistpf did not write, a Subcategory on several
    rows, and, one sentence per cell, each due date that is not a date and each formula
    without a saved value (its sheet, row, Subcategory, column, what it says and why; these
    are also ``edits.attrs["cell_notes"]``: carried over as written, nothing lost).
    :func:`nistpf.write_gap_register` and :func:`nistpf.write_deck` warn with them and
    ``nistpf assess`` prints them.

    The header row is the first row with a Subcategory cell (``Subcategory``, or another of
    its headers: ``Subcategory ID``, ``PF ID``, ``ID``), found by header text whatever the
    spelling (``Due date``, ``due_date``, ``DUE DATE``), so registers of earlier nistpf
    versions read too; rows whose Subcategory is not a Privacy Framework Subcategory ID (notes,
    totals) are skipped. A file that cannot be read, or has no Gap Register sheet or header, is
    a :class:`RegisterError`.

    The file is held to the inventory's bounds before openpyxl parses it
    (:func:`nistpf.inventory.read.check_archive`: its size, its ZIP directory, no DTD, the used
    ranges, the text its shared strings expand to, each shared-string number), and anything
    openpyxl raises on what passed (malformed XML, a damaged part, a part missing) is a
    :class:`RegisterError` too: one line naming the file, the cause and what to do."""
    path = Path(path)
    _check(path)
    with warnings.catch_warnings():
        # Excel and LibreOffice add extensions openpyxl does not read (and we need not).
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        try:
            records, columns, headers, closed = _read(path)
        except RegisterError:
            raise
        except _PARSE_ERRORS as error:
            raise _unparsable(path, error) from None
    cells = _cell_notes(path, records) + _cell_notes(path, closed)
    for record in (*records, *closed):
        for key in [k for k in record if k.startswith("_")]:
            del record[key]
    frame = pd.DataFrame(records, columns=columns) if records else None
    if frame is not None and "suggested_action" in frame.columns:
        # An action equal to what nistpf suggested when it wrote the register is nistpf's own:
        # the next register suggests anew. Anything else was typed by the client.
        typed = frame["recommended_action"].map(text_or_none)
        same = typed.notna() & (typed == frame["suggested_action"].map(text_or_none))
        frame.loc[same, "recommended_action"] = None
    if closed:
        # Outcomes that had left the register, with what the client had written on them: after
        # the register's own rows, so they fill only what it leaves blank.
        frame = pd.concat([frame, pd.DataFrame(closed)], ignore_index=True)
    empty = pd.DataFrame(columns=["subcategory"])
    edits = normalise_edits(frame if frame is not None else empty)
    edits.attrs["notes"] = [*_notes(path, columns, headers, records), *cells]
    edits.attrs["cell_notes"] = cells  # carried over as written: nothing lost
    return edits


def _cell_notes(path: Path, records: list[dict]) -> list[str]:
    """One sentence per cell of ``records`` (:func:`_records`') carried over as written rather
    than as what it means: a formula without a saved value, in any client column, and a due
    date that is not a date — naming the sheet, row, Subcategory and column of each."""
    notes = []
    for record in records:
        for column in EDIT_COLUMNS[1:]:
            if column not in record:
                continue
            where = (
                f"{path.name}, sheet {record['_sheet']} row {record['_row']} "
                f"({record['subcategory']}), column {record['_headers'][column]!r}"
            )
            formula = record["_formulas"].get(column)
            if formula is not None:
                notes.append(
                    f"{where}: the formula {formula} has no saved value (the file was saved by a "
                    "program that does not calculate formulas), so it is carried over as "
                    "written, as text (open the register in Excel or LibreOffice and save it, "
                    "or type the value)"
                )
                continue
            if column == "due_date":
                bad = read_due_date(record[column])[1]
                if bad is not None:
                    notes.append(
                        f"{where}: {bad.problem}, so it is carried over as text, not as a date "
                        f"({bad.hint}, or as 31.03.2027)"
                    )
    return notes


def _notes(
    path: Path, columns: dict[str, int], headers: dict[int, str], records: list[dict]
) -> list[str]:
    """What of the register cannot be carried over, in sentences: a client column nistpf
    cannot find (renamed?), columns nistpf did not write (and does not read under another of
    its headers, as ``Target date``), a Subcategory on several rows. ``columns`` are the
    columns read and their positions, ``headers`` the header row's texts by position."""
    notes = []
    if records and "suggested_action" not in columns:
        notes.append(
            f"{path.name} has no {SUGGESTION_HEADER!r} column, so nistpf cannot tell its own "
            "suggested actions from the client's: every recommended action is carried over as "
            "written"
        )
    missing = [EDIT_HEADERS[c] for c in EDIT_COLUMNS[1:] if c not in columns]
    if missing:
        notes.append(
            f"{path.name} has no column {', '.join(repr(m) for m in missing)}: what it held is "
            "not carried over (restore the header, or copy it across by hand)"
        )
    ours = {_key(c.header) for c in GAP_COLUMNS}
    read = set(columns.values())  # read through one of its headers: carried over
    extra = [h for i, h in headers.items() if _key(h) not in ours and i not in read]
    if extra:
        notes.append(
            f"{path.name} has columns nistpf did not write ({', '.join(repr(h) for h in extra)}):"
            " they are not carried into the new register; copy them across by hand"
        )
    counts = pd.Series([r["subcategory"] for r in records], dtype=object).value_counts()
    repeated = list(counts[counts > 1].index)
    if repeated:
        notes.append(
            f"{path.name} lists {', '.join(repeated)} on more than one row: the first row's "
            "values are carried over, the others' only where the first is blank"
        )
    return notes


def _read(path: Path) -> tuple[list[dict], dict[str, int], dict[int, str], list[dict]]:
    """The Gap Register's rows (as dicts of the client's columns, :func:`_records`), the
    columns found and their positions, the header row's texts by position, and the Summary's
    closed outcomes (:func:`_closed`).

    The workbook is read twice, row by row in step: for the values Excel saved, and for what
    was typed — the formulas, and the numbers before openpyxl turns those of a date-formatted
    cell into dates — so a formula without a saved value, or a number that is no plausible
    date, is kept as written."""
    values = _open(path, data_only=True)
    try:
        typed = _open(path, data_only=False)
    except BaseException:
        values.close()
        raise
    # Numbers as typed: openpyxl turns a number in a date-formatted cell into a date (1905-07-19
    # for 2027) or, past 9999, into '#VALUE!' — losing what the client wrote.
    typed._date_formats = set()
    try:
        worksheet = _register_sheet(values, path)
        rows = _rows(worksheet, typed[worksheet.title])
        columns, headers, rows = _header(rows, path)
        records = _records(rows, columns, GAP_REGISTER, headers)
        closed = _closed(values, typed)
    finally:
        values.close()
        typed.close()
    return records, columns, headers, closed


# What the register's check says to do, by the code of the refusal, where the inventory's own
# advice (export the inventory again, delete what is not the inventory) does not fit.
_REGISTER_FIXES = {
    "zip-bomb": "do not open it; ask the client to send the register again",
    "xml-entities": "do not open it; ask the client to send the register again",
    "too-large": "open it in Excel or LibreOffice, delete what is not the register, and save it "
    "again, or ask the client to send the register again",
    "damaged": "open it in Excel or LibreOffice and save it again, or ask the client to send the "
    "register again",
    "bad-shared-string": "open it in Excel or LibreOffice and save it again",
    "not-a-workbook": "pass the gap register as the Excel workbook (.xlsx) nistpf wrote and the "
    "client edited",
    "empty-file": "ask the client to send the register again",
}


def _check(path: Path) -> None:
    """Hold the register at ``path`` to the bounds every workbook a client sends is held to
    (:func:`~nistpf.inventory.read.check_archive`, as openpyxl reads it: an ``.xlsx``, every
    part openpyxl parses whole held to ``MAX_WHOLE_PART_BYTES``); a refusal is a
    :class:`RegisterError` with its problem and what to do about a register."""
    if not path.exists():
        raise RegisterError(path, "no such file")
    if path.is_dir():
        raise RegisterError(path, "is a folder, not a gap register (.xlsx)")
    try:
        check_archive(path, reader="openpyxl")
    except Unreadable as refused:
        raise RegisterError(path, _register_words(refused)) from None
    except OSError as error:
        raise RegisterError(path, f"cannot be read: {error.strerror or error}") from None


def _register_words(refused: Unreadable) -> str:
    return f"{refused.problem} ({_REGISTER_FIXES.get(refused.code, refused.hint)})"


# What openpyxl raises on a workbook whose XML or ZIP data is wrong in a way the check before it
# does not look for: the XML parsers' errors (ElementTree's ParseError and lxml's
# XMLSyntaxError are SyntaxErrors; defusedxml's refusals ValueErrors), int() of a cell's text,
# a shared string past the last (IndexError), a part the package names but does not hold
# (KeyError), damaged compressed data, and attributes missing where openpyxl expects them.
_PARSE_ERRORS = (
    SyntaxError,
    ValueError,
    IndexError,
    KeyError,
    TypeError,
    AttributeError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
)


def _unparsable(path: Path, error: BaseException) -> RegisterError:
    """The one line for what openpyxl raised while reading the register at ``path``."""
    if isinstance(error, IndexError):
        found = shared_string_error(path)
        if found is not None:
            return RegisterError(path, _register_words(found))
    detail = (str(error).strip().splitlines() or [type(error).__name__])[0][:120]
    if isinstance(error, SyntaxError):
        cause = f"its XML is malformed ({detail})"
    elif isinstance(error, zipfile.BadZipFile | zlib.error | EOFError):
        cause = f"its compressed data is damaged ({detail})"
    elif isinstance(error, KeyError):
        cause = f"a part it refers to is missing ({detail})"
    else:
        cause = f"{type(error).__name__}: {detail}"
    return RegisterError(path, f"cannot be read: {cause} ({_REGISTER_FIXES['damaged']})")


def _open(path: Path, *, data_only: bool):
    """``path`` opened read-only by openpyxl; a file that is not a workbook is a
    :class:`RegisterError`."""
    try:
        return load_workbook(path, read_only=True, data_only=data_only)
    except FileNotFoundError:
        raise RegisterError(path, "no such file") from None
    except IsADirectoryError:
        raise RegisterError(path, "is a folder, not a gap register (.xlsx)") from None
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        reason = getattr(error, "strerror", None) or "not an Excel workbook (.xlsx)"
        raise RegisterError(path, f"cannot be read: {reason}") from None


def _rows(values_sheet, typed_sheet):
    """``(row number, (values, typed))`` for each row of a sheet read both ways (the values
    saved, and the formulas and numbers typed), in step."""
    values_sheet.reset_dimensions()  # files written by other tools may state wrong ones
    typed_sheet.reset_dimensions()
    pairs = zip_longest(
        values_sheet.iter_rows(values_only=True),
        typed_sheet.iter_rows(values_only=True),
        fillvalue=(),
    )
    return enumerate(pairs, start=1)


def _records(rows, columns: dict[str, int], sheet: str, headers: dict[int, str]) -> list[dict]:
    """The rows below a header (:func:`_rows`' pairs) as dicts of ``columns`` (each cell as
    :func:`_as_written` reads it), with ``_row``, the row's number in the sheet, ``_sheet``,
    ``_headers`` (each column's header as the file spells it) and ``_formulas`` (the formula
    of each cell that has no saved value); those naming a Subcategory only."""
    named = {name: headers.get(i, EDIT_HEADERS.get(name, name)) for name, i in columns.items()}
    records = []
    for number, (row, typed) in rows:
        record: dict = {"_formulas": {}}
        for name, i in columns.items():
            value = row[i] if i < len(row) else None
            record[name], formula = _as_written(
                value, typed[i] if i < len(typed) else None, due=name == "due_date"
            )
            if formula is not None:
                record["_formulas"][name] = formula
        subcategory = _subcategory(record.get("subcategory"))
        if subcategory:
            record.update(subcategory=subcategory, _row=number, _sheet=sheet, _headers=named)
            records.append(record)
    return records


def _as_written(value: object, typed: object, *, due: bool = False) -> tuple[object, str | None]:
    """A client cell as read (``value``, what Excel saved) and as typed (``typed``: its formula,
    or its number before openpyxl made it a date): ``(what to carry over, its formula when the
    cell is a formula without a saved value)``. Such a formula is carried over as its text; a
    Due date (``due``) that is a number whose date is no plausible due date (2027 in a date
    cell, 1905-07-19), or past Excel's last date (``'#VALUE!'`` to openpyxl), is carried over
    as that number."""
    formula = getattr(typed, "text", typed)  # an array formula's text
    if isinstance(formula, str) and formula.startswith("=") and (value is None or value == ""):
        return formula, formula
    number = isinstance(typed, (int, float)) and not isinstance(typed, bool)
    if due and number and not (isinstance(value, dt.date) and _plausible(value)):
        return typed, None
    return value, None


def _closed(values, typed) -> list[dict]:
    """The Summary's block of outcomes closed since the register before (what the client had
    written on each), read under the same headers; empty when there is none. ``values`` and
    ``typed`` are the workbook read both ways (:func:`_read`)."""
    sheet = next((n for n in values.sheetnames if _key(n) == _key(SUMMARY)), None)
    if sheet is None:
        return []
    rows = _rows(values[sheet], typed[sheet])
    for _, (_, (row, _typed)) in zip(range(HEADER_SEARCH_ROWS * 4), rows, strict=False):
        keys = [_key(v) if isinstance(v, str) else "" for v in row]
        if _is_header(keys) and _key(CLOSED_REASON) in keys:
            columns = {
                name: keys.index(_key(EDIT_HEADERS[name]))
                for name in EDIT_COLUMNS
                if _key(EDIT_HEADERS[name]) in keys
            }
            headers = {i: str(v).strip() for i, v in enumerate(row) if isinstance(v, str)}
            return _records(rows, columns, sheet, headers)
    return []


def _register_sheet(workbook, path: Path):
    for name in workbook.sheetnames:
        if _key(name) == _key(GAP_REGISTER):
            return workbook[name]
    raise RegisterError(
        path, f"has no {GAP_REGISTER!r} sheet (sheets: {', '.join(workbook.sheetnames)})"
    )


# Headers that say Subcategory; the generic ones ("ID", "PF ID") mark a header row only above
# Subcategory IDs, so a note or an unrelated table above the register is not taken for it.
_SUBCATEGORY_WORDS = ("subcategory", "subcategoryid")


def _is_header(keys: list[str]) -> bool:
    """Whether a row (its cells as :func:`_key` keys) names a Subcategory column in words
    (``Subcategory``, ``Subcategory ID``)."""
    return any(key in _SUBCATEGORY_WORDS for key in keys)


def _header(rows, path: Path):
    """Column positions of the header row, every header text of that row by position, and the
    rows below it (:func:`_rows`' pairs). The header row is the first of the first
    HEADER_SEARCH_ROWS with a Subcategory cell under any of that column's headers: in words
    (``Subcategory``, ``Subcategory ID``: :func:`_is_header`), or a generic one (``PF ID``,
    ``ID``) above a Subcategory ID. The headers nistpf writes are found first; another
    spelling ("Action", "Notes") stands in only for one of them that is missing, so a column
    the client adds under such a name never takes the place of nistpf's own."""
    head = list(islice(rows, 2 * HEADER_SEARCH_ROWS))  # the candidates, and rows below them
    for at, (_, (row, _typed)) in enumerate(head[:HEADER_SEARCH_ROWS]):
        keys = [_key(v) if isinstance(v, str) else "" for v in row]
        ids = [i for i, k in enumerate(keys) if k in _ALIASES["subcategory"]]
        below = [r for _, (r, _t) in head[at + 1 :]]
        if _is_header(keys) or any(_subcategory(r[i]) for i in ids for r in below if i < len(r)):
            return (*_columns(row, keys), chain(head[at + 1 :], rows))
    raise RegisterError(
        path,
        f"the {GAP_REGISTER} sheet has no header row with a 'Subcategory' column in its first "
        f"{HEADER_SEARCH_ROWS} rows",
    )


def _columns(row: tuple, keys: list[str]) -> tuple[dict[str, int], dict[int, str]]:
    """The client columns' positions in a header ``row`` (its cells as ``keys``), and its
    header texts by position (:func:`_header`)."""
    canonical = {_key(EDIT_HEADERS[c]): c for c in EDIT_COLUMNS}
    canonical[_key(SUGGESTION_HEADER)] = "suggested_action"
    wanted = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}
    columns: dict[str, int] = {}
    for i, key in enumerate(keys):
        name = canonical.get(key)
        if name and name not in columns:
            columns[name] = i
    for i, key in enumerate(keys):
        name = wanted.get(key)
        if name and name not in columns and i not in columns.values():
            columns[name] = i
    return columns, {i: v.strip() for i, v in enumerate(row) if isinstance(v, str) and v.strip()}


def _key(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", str(text).casefold())


def _subcategory(value: object) -> str | None:
    """The Subcategory ID ``value`` spells, or None (blank, a note, another kind of ID)."""
    text = text_or_none(value)
    if text is None:
        return None
    try:
        element = framework().get(text)
    except (NistpfError, KeyError, ValueError):
        return None
    return element.id if element.level == "subcategory" else None


# -- values ---------------------------------------------------------------------------------


def text_or_none(value: object) -> str | None:
    """A cell's text as the inventory reads text (:func:`nistpf.inventory.values.text`:
    stripped, a whole number as ``5`` not ``5.0``, a date as YYYY-MM-DD); None for blanks
    (None, NaN, pandas' NA and NaT, white space)."""
    if value is None or value is pd.NA or value is pd.NaT or is_blank(value):
        return None
    return text(value) or None


def due_date(value: object) -> dt.date | str | None:
    """A due date as the inventory reads dates (:func:`nistpf.inventory.values.read_date`, the
    one date reader): a date cell, ``2027-03-31``, ``2027-3-31``, ``31.03.2027``,
    ``31/03/2027``, ``31 March 2027``, ``31. März 2027`` (each optionally with a time of day,
    ``2027-03-31T12:00``), or an Excel serial number that lost its date format, is a
    ``datetime.date`` when it falls in 2000–2200. Anything else — ``Q3 2027``, ``03/04/2027``
    (3 April or 4 March, so no date to the inventory either), ``2027-03-31 (tentative)``, a
    date in 1905 or 2300, the number 2027, ``TRUE`` — is kept as the client wrote it, as text,
    never dropped (:func:`read_due_date` says why; :func:`read_register_edits` notes it);
    blank is None."""
    return read_due_date(value)[0]


def read_due_date(value: object) -> tuple[dt.date | str | None, Bad | None]:
    """``(due_date(value), why it is no date)``: the problem is None for a blank or a date,
    else a :class:`~nistpf.inventory.values.Bad` saying what was written and why it is no due
    date — ``'Q3 2027' is not a date``, ``1905-07-19 (the number 2027 in a date cell?) is not
    a plausible due date (before 2000)``, ``TRUE is a yes/no value, not a date``."""
    if value is None or value is pd.NaT or is_blank(value):
        return None, None
    if isinstance(value, bool):
        written = "TRUE" if value else "FALSE"
        return written, Bad(f"{written} is a yes/no value, not a date", DATE_HINT, "invalid-date")
    number = isinstance(value, (int, float))
    reading = read_date(value, serial=True)
    if number and isinstance(reading, Bad):  # before Excel's first day, or past its last
        reading = _excel_date(value)
        if reading is None:
            problem = f"the number {text(value)} in a date cell is past Excel's last date"
            return text(value), Bad(problem, DATE_HINT, "invalid-date")
    if isinstance(reading, Bad):
        return text_or_none(value), reading
    if _plausible(reading):
        return reading, None
    earliest, latest = PLAUSIBLE_DUE
    when = f"before {earliest.year}" if reading < earliest else f"after {latest.year}"
    if number:
        seen = f"{reading.isoformat()} (the number {text(value)} in a date cell?)"
    elif isinstance(value, dt.date):
        seen = reading.isoformat()
    else:
        seen = repr(text(value))
    problem = f"{seen} is not a plausible due date ({when})"
    return text(value), Bad(problem, DATE_HINT, "implausible-date")


def _plausible(date: dt.date) -> bool:
    """Whether ``date`` (a date or datetime) falls in PLAUSIBLE_DUE."""
    day = date.date() if isinstance(date, dt.datetime) else date
    return PLAUSIBLE_DUE[0] <= day <= PLAUSIBLE_DUE[1]


def _excel_date(number: float) -> dt.date | None:
    """The day Excel's serial ``number`` stands for before Excel's first day (``-5`` is
    1899-12-25, as openpyxl shows it), or None past the last date Python knows."""
    try:
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(number))
    except OverflowError:
        return None


def normalise_status(text: str | None) -> str | None:
    """A status as the dropdown spells it when it matches one ("in progress" → "In
    progress"); another status as written."""
    if text is None:
        return None
    return {_key(s): s for s in STATUSES}.get(_key(text), text)


def normalise_edits(edits: pd.DataFrame) -> pd.DataFrame:
    """``edits`` (from :func:`read_register_edits`, the engagement store or a caller) with
    exactly EDIT_COLUMNS: Subcategory IDs as NIST writes them (``pr.ds-p1`` → ``PR.DS-P1``),
    text stripped and blanks None, due dates as ``datetime.date``,
    statuses normalised, one row per Subcategory (a later row fills what an earlier one left
    blank)."""
    if not isinstance(edits, pd.DataFrame) or "subcategory" not in edits.columns:
        raise ValueError(
            "carry_over: expected the path of a gap register, or a DataFrame with a "
            f"'subcategory' column and any of {', '.join(EDIT_COLUMNS[1:])} (what "
            "read_register_edits returns)"
        )
    table = {}
    for column in EDIT_COLUMNS:
        values = edits[column].tolist() if column in edits.columns else [None] * len(edits)
        if column == "subcategory":
            texts = [text_or_none(v) for v in values]
            table[column] = [_subcategory(t) or t for t in texts]
        elif column == "due_date":
            table[column] = [due_date(v) for v in values]
        elif column == "status":
            table[column] = [normalise_status(text_or_none(v)) for v in values]
        else:
            table[column] = [text_or_none(v) for v in values]
    frame = pd.DataFrame(table, columns=EDIT_COLUMNS, dtype=object)
    frame = frame[frame["subcategory"].notna()]
    if frame["subcategory"].duplicated().any():
        frame = frame.groupby("subcategory", sort=False, as_index=False).first()
        frame = frame.astype(object).where(frame.notna(), None)
    return frame.reset_index(drop=True)


# -- carrying over --------------------------------------------------------------------------


def client_wrote(edits: pd.DataFrame) -> pd.Series:
    """Per row of ``edits`` (:func:`normalise_edits`' columns): whether the client wrote
    anything on it — an owner, a due date, comments, a recommended action (read back as
    blank when it was nistpf's own suggestion) or a status other than the default Open."""
    typed = edits[["owner", "due_date", "comments", "recommended_action"]].notna().any(axis=1)
    return typed | (edits["status"].notna() & (edits["status"] != DEFAULT_STATUS))


def apply_edits(register: pd.DataFrame, edits: pd.DataFrame | None) -> pd.DataFrame:
    """``register`` (one row per listed Subcategory with nistpf's defaults) with the client's
    earlier edits for the Subcategories it still lists: a non-blank recommended action or
    status replaces the default; owner, due date and comments are taken as they were."""
    if edits is None:
        return register
    old = normalise_edits(edits).set_index("subcategory")
    table = register.copy()
    known = table["subcategory"].isin(old.index)
    for column in EDIT_COLUMNS[1:]:
        previous = table["subcategory"].map(old[column].to_dict())
        previous = previous.astype(object).where(previous.notna(), None)
        if column == "recommended_action":
            keep = known & previous.notna()
        elif column == "status":
            keep = known & previous.notna()
            previous = previous.where(keep, DEFAULT_STATUS)
        else:
            keep = known
        table[column] = previous.where(keep, table[column])
    return table


def closed_items(a: Assessment, edits: pd.DataFrame) -> pd.DataFrame:
    """The Subcategories of an earlier register (``edits``) that the register of ``a`` no
    longer lists, in their old order: EDIT_COLUMNS with their old values and ``reason`` — "gap
    closed", "no longer in the Target Profile" or "not a Subcategory of PF <version>"."""
    old = normalise_edits(edits)
    listed = set(listed_subcategories(a)["subcategory"])
    closed = old[~old["subcategory"].isin(listed)].reset_index(drop=True)
    subs = a.subcategories.set_index("subcategory")
    reasons = []
    for sub in closed["subcategory"]:
        if sub not in subs.index:
            reasons.append(f"not a Subcategory of PF {a.framework.version}")
        elif not bool(subs.at[sub, "in_profile"]):
            reasons.append("no longer in the Target Profile")
        else:
            reasons.append("gap closed")
    closed["reason"] = reasons
    return closed[CLOSED_COLUMNS]
