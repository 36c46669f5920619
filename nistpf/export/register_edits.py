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
DATES_NAMED = 5  # unreadable due dates named one by one in the notes; the rest are counted


def read_register_edits(path: str | PathLike[str]) -> pd.DataFrame:
    """The client's columns of the Gap Register sheet of the register at ``path``: a DataFrame
    with ``subcategory, recommended_action, owner, due_date, status, comments``, one row per
    Subcategory in the register's order. Blank cells are None; a status is spelled as in the
    dropdown when it matches one case-insensitively; ``due_date`` is a ``datetime.date`` when
    the cell is a date or a date written as the inventory's dates are read
    (:func:`due_date`: ``2027-03-31``, ``2027-3-31``, ``31.03.2027``, ``31/03/2027``,
    ``31 March 2027``, an Excel serial number), else the text as the client wrote it
    (``Q3 2027``, the ambiguous ``03/04/2027``) — never dropped.

    ``edits.attrs["notes"]`` lists, as sentences, what cannot be carried over as it stands:
    a client column nistpf cannot find, columns nistpf did not write, a Subcategory on several
    rows, and each due date that is not a date (its sheet, row, Subcategory, what it says and
    why; these are also ``edits.attrs["date_notes"]``: carried over as text, nothing lost).
    :func:`nistpf.write_gap_register` and :func:`nistpf.write_deck` warn with them and
    ``nistpf assess`` prints them.

    The header row is the first row with a "Subcategory" cell, found by header text whatever
    the spelling (``Due date``, ``due_date``, ``DUE DATE``), so registers of earlier nistpf
    versions read too; rows whose Subcategory is not a Privacy Framework Subcategory ID (notes,
    totals) are skipped. A file that cannot be read, or has no Gap Register sheet or header, is
    a :class:`RegisterError`."""
    path = Path(path)
    with warnings.catch_warnings():
        # Excel and LibreOffice add extensions openpyxl does not read (and we need not).
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        records, columns, headers, closed = _read(path)
    unreadable = [
        *_unreadable_dates(records, GAP_REGISTER),
        *_unreadable_dates(closed, SUMMARY),
    ]
    for record in (*records, *closed):
        record.pop("_row", None)
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
    dates = _date_notes(path, unreadable)
    edits.attrs["notes"] = [*_notes(path, columns, headers, records), *dates]
    edits.attrs["date_notes"] = dates  # carried over as text: nothing lost
    return edits


def _unreadable_dates(records: list[dict], sheet: str) -> list[tuple[str, int, str, Bad]]:
    """``(sheet, row, Subcategory, problem)`` for each record whose due date is not blank and
    not a date."""
    found = []
    for record in records:
        value = record.get("due_date")
        if is_blank(value):
            continue
        reading = read_date(value, serial=True)
        if isinstance(reading, Bad):
            found.append((sheet, record["_row"], record["subcategory"], reading))
    return found


def _date_notes(path: Path, unreadable: list[tuple[str, int, str, Bad]]) -> list[str]:
    """One sentence per due date that is not a date (the first DATES_NAMED, then a count)."""
    notes = [
        f"{path.name}, sheet {sheet} row {row} ({subcategory}), column "
        f"{EDIT_HEADERS['due_date']!r}: {bad.problem}, so it is carried over as text, not as a "
        f"date ({bad.hint}, or as 31.03.2027)"
        for sheet, row, subcategory, bad in unreadable[:DATES_NAMED]
    ]
    if len(unreadable) > DATES_NAMED:
        notes.append(
            f"{path.name}: {len(unreadable) - DATES_NAMED} more due dates are not dates and are "
            "carried over as text"
        )
    return notes


def _notes(path: Path, columns: list[str], headers: list[str], records: list[dict]) -> list[str]:
    """What of the register cannot be carried over, in sentences: a client column nistpf
    cannot find (renamed?), columns nistpf did not write, a Subcategory on several rows."""
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
    extra = [h for h in headers if _key(h) not in ours]
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


def _read(path: Path) -> tuple[list[dict], list[str], list[str]]:
    """The Gap Register's rows (as dicts of the client's columns), the columns found, and the
    header row's texts."""
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise RegisterError(path, "no such file") from None
    except IsADirectoryError:
        raise RegisterError(path, "is a folder, not a gap register (.xlsx)") from None
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        reason = getattr(error, "strerror", None) or "not an Excel workbook (.xlsx)"
        raise RegisterError(path, f"cannot be read: {reason}") from None
    try:
        worksheet = _register_sheet(workbook, path)
        worksheet.reset_dimensions()  # files written by other tools may state wrong ones
        rows = enumerate(worksheet.iter_rows(values_only=True), start=1)
        columns, headers = _header(rows, path)
        records = _records(rows, columns)
        closed = _closed(workbook)
    finally:
        workbook.close()
    return records, list(columns), headers, closed


def _records(rows, columns: dict[str, int]) -> list[dict]:
    """The rows below a header (``(row number, values)`` pairs) as dicts of ``columns`` and
    ``_row``, the row's number in the sheet; those naming a Subcategory only."""
    records = []
    for number, row in rows:
        record = {name: row[i] if i < len(row) else None for name, i in columns.items()}
        subcategory = _subcategory(record.get("subcategory"))
        if subcategory:
            record["subcategory"] = subcategory
            record["_row"] = number
            records.append(record)
    return records


def _closed(workbook) -> list[dict]:
    """The Summary's block of outcomes closed since the register before (what the client had
    written on each), read under the same headers; empty when there is none."""
    sheet = next((workbook[n] for n in workbook.sheetnames if _key(n) == _key(SUMMARY)), None)
    if sheet is None:
        return []
    sheet.reset_dimensions()
    rows = enumerate(sheet.iter_rows(values_only=True), start=1)
    for _, (_, row) in zip(range(HEADER_SEARCH_ROWS * 4), rows, strict=False):
        keys = [_key(v) if isinstance(v, str) else "" for v in row]
        if "subcategory" in keys and _key(CLOSED_REASON) in keys:
            columns = {
                name: keys.index(_key(EDIT_HEADERS[name]))
                for name in EDIT_COLUMNS
                if _key(EDIT_HEADERS[name]) in keys
            }
            return _records(rows, columns)
    return []


def _register_sheet(workbook, path: Path):
    for name in workbook.sheetnames:
        if _key(name) == _key(GAP_REGISTER):
            return workbook[name]
    raise RegisterError(
        path, f"has no {GAP_REGISTER!r} sheet (sheets: {', '.join(workbook.sheetnames)})"
    )


def _header(rows, path: Path) -> tuple[dict[str, int], list[str]]:
    """Column positions of the header row (the first with a Subcategory cell), and every
    header text of that row. The headers nistpf writes are found first; another spelling
    ("Action", "Notes") stands in only for one of them that is missing, so a column the
    client adds under such a name never takes the place of nistpf's own."""
    canonical = {_key(EDIT_HEADERS[c]): c for c in EDIT_COLUMNS}
    canonical[_key(SUGGESTION_HEADER)] = "suggested_action"
    wanted = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}
    for _, (_, row) in zip(range(HEADER_SEARCH_ROWS), rows, strict=False):
        keys = [_key(v) if isinstance(v, str) else "" for v in row]
        if "subcategory" not in keys:
            continue
        columns: dict[str, int] = {}
        for i, key in enumerate(keys):
            name = canonical.get(key)
            if name and name not in columns:
                columns[name] = i
        for i, key in enumerate(keys):
            name = wanted.get(key)
            if name and name not in columns and i not in columns.values():
                columns[name] = i
        return columns, [str(v).strip() for v in row if isinstance(v, str) and v.strip()]
    raise RegisterError(
        path,
        f"the {GAP_REGISTER} sheet has no header row with a 'Subcategory' column in its first "
        f"{HEADER_SEARCH_ROWS} rows",
    )


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
    ``31/03/2027``, ``31 March 2027``, ``31. März 2027``, or an Excel serial number that lost
    its date format, is a ``datetime.date``. Other text — ``Q3 2027``, or ``03/04/2027``,
    which could be 3 April or 4 March and so is no date to the inventory either — is kept as
    the client wrote it, never dropped (:func:`read_register_edits` notes it); blank is
    None."""
    if value is None or value is pd.NaT or is_blank(value):
        return None
    reading = read_date(value, serial=True)
    if isinstance(reading, Bad):
        return text_or_none(value)
    return reading


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
