"""CSV sources: a folder of CSV files (one per sheet, named after the sheet) or a single CSV
file, decoded and split into raw rows under the bounds of :mod:`nistpf.inventory.limits`.

Each file's dialect is its own (a tool's export beside a hand-made file): the encoding is UTF-8
(with or without a byte order mark), UTF-16 (little- or big-endian, with a byte order mark, or
without one when its NUL bytes say so) or else Windows-1252; the delimiter is ``,`` ``;`` tab or
``|`` — Excel writes ``;`` in German, French, Italian … locales, and a tab in "Unicode Text" —
found by :func:`detect_delimiter`, or named by Excel's ``sep=;`` first line. Whatever is not the
default (UTF-8, ``,``) is a warning row per file in the validation report, so the consultant sees
how the file was read."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path

from nistpf.inventory import limits
from nistpf.inventory.read import (
    RawBook,
    RawSheet,
    Unreadable,
    _check_file_size,
    _short,
    _too_large,
)
from nistpf.inventory.report import Report

# -- CSV folders -----------------------------------------------------------------------------


def read_csv_folder(folder: Path, report: Report) -> RawBook:
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
    if not files:
        raise Unreadable(
            f"the folder {folder.resolve().name} holds no CSV files",
            "put one CSV file per sheet in it (Systems.csv, Controls.csv, DataFlows.csv, …)",
            "empty-folder",
        )
    return read_csv_files(files, folder.resolve().name, report)


def read_csv_files(files: list[Path], name: str, report: Report) -> RawBook:
    """CSV files as sheets named after the files (``Systems.csv`` → ``Systems``). The SHA-256
    covers every file's name and bytes; a single file's is the file's own."""
    sheets = {}
    digest = hashlib.sha256()
    budget = limits.MAX_CELLS  # cells left for the folder's files together
    for path in files:
        _check_file_size(path)
        data = path.read_bytes()
        digest.update(path.name.encode("utf-8") + b"\0" + data)
        text = _decode(data, path.name, report)
        first = 1
        named = _SEP_LINE.match(text)
        if named:
            # Excel reads the line as an instruction and does not show it: rows are numbered
            # as Excel shows them, the line after it being row 1.
            delimiter, text, first = named[1], text[named.end() :], 1
            report.warning(
                "csv-delimiter",
                f"the file's first line {named[0].strip()!r} names {_shown(delimiter)} as the "
                "delimiter between fields; it was read so, and rows are numbered as Excel shows "
                "them (without that line)",
                sheet=path.name,
                hint="nothing to do if the columns look right",
            )
        else:
            delimiter = detect_delimiter(text)
            if delimiter != ",":
                report.warning(
                    "csv-delimiter",
                    f"the file uses {_shown(delimiter)} between fields; it was read so",
                    sheet=path.name,
                    hint="nothing to do if the columns look right; if they do not, check the "
                    "file in a text editor: each line must hold one record",
                )
        rows = _csv_rows(text, path.name, delimiter, budget)
        budget -= len(rows) * max(map(len, rows), default=0)
        if len(files) == 1 and not any(ch.isalnum() for ch in text):  # blanks, delimiters
            raise Unreadable(
                f"{path.name} is empty" + (f" ({len(data)} bytes, no value)" if data else ""),
                "export the sheet again, with its header row and its rows",
                "empty-file",
            )
        sheets[path.stem] = RawSheet(path.name, rows, list(range(first, len(rows) + first)))
    sha = (
        hashlib.sha256(files[0].read_bytes()).hexdigest() if len(files) == 1 else digest.hexdigest()
    )
    return RawBook(name, sheets, sha, "csv")


# -- the dialect -------------------------------------------------------------------------------

DELIMITERS = (",", ";", "\t", "|")  # the default first: it wins a tie
_SEP_LINE = re.compile(r"\A\ufeff?sep=([,;\t|])[ \t]*(?:\r\n|\n|\r)", re.I)
_SAMPLE_CHARS = 65_536
_SAMPLE_RECORDS = 50


def _shown(delimiter: str) -> str:
    return "a tab" if delimiter == "\t" else repr(delimiter)


def detect_delimiter(text: str) -> str:
    """The delimiter of a CSV file's ``text`` among ``,`` ``;`` tab and ``|``.

    Each candidate splits the first records (at most 50, within the first 64 KiB) as a CSV
    reader would, quotes respected, so a quoted field holding another candidate does not count.
    A candidate's score is the number of records that agree on one width of more than one field;
    the best score wins (then the wider records, then the order above). It must cover at least
    half the non-blank records, else the file is read with ``,``: a one-column file, or a
    column of text holding the odd ``;``, stays one column."""
    sample = text[:_SAMPLE_CHARS]
    if len(text) > _SAMPLE_CHARS:
        cut = max(sample.rfind("\n"), sample.rfind("\r"))
        sample = sample[:cut] if cut > 0 else sample
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        widths: dict[int, int] = {}
        records = 0
        try:
            for row in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter):
                if not any(field.strip() for field in row):
                    continue
                records += 1
                if len(row) > 1:
                    widths[len(row)] = widths.get(len(row), 0) + 1
                if records >= _SAMPLE_RECORDS:
                    break
        except csv.Error:
            continue  # a field past the reader's limit: not this delimiter
        if not widths:
            continue
        width, agreeing = max(widths.items(), key=lambda item: (item[1], item[0]))
        if 2 * agreeing >= records and (agreeing, width) > best_score:
            best, best_score = delimiter, (agreeing, width)
    return best


def _csv_rows(
    text: str, name: str, delimiter: str = ",", budget: int = limits.MAX_CELLS
) -> list[list[str]]:
    """The records of a CSV file, held to the row, column and field bounds, and to ``budget``
    cells counted as the sheet is held (its records × its widest record: the ragged records
    are padded to the widest), so that a file of delimiters cannot make millions of cells."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    widest = 0
    try:
        for row in reader:
            widest = max(widest, len(row))
            if (len(rows) + 1) * widest > budget:
                raise _too_large(
                    f"{name} reaches {len(rows) + 1:,} records of up to {widest:,} fields by line "
                    f"{reader.line_num}: more than the {limits.MAX_CELLS:,} cells nistpf reads "
                    "in a source",
                    "check the delimiter, or delete the rows and columns that are not the "
                    "inventory",
                )
            if len(row) > limits.MAX_COLUMNS:
                raise _too_large(
                    f"{name} line {reader.line_num} has {len(row):,} columns; nistpf reads at "
                    f"most {limits.MAX_COLUMNS:,}",
                    "check the delimiter, or delete the columns that are not the inventory",
                )
            rows.append(row)
            if len(rows) > limits.MAX_ROWS:
                raise _too_large(
                    f"{name} has more than {limits.MAX_ROWS:,} records; nistpf reads at most "
                    f"{limits.MAX_ROWS:,} rows a sheet",
                    "delete the rows that are not the inventory, or split the file",
                )
    except csv.Error as error:
        raise Unreadable(
            f"{name} line {reader.line_num} cannot be read as CSV ({_short(error)})",
            f"a field holds more than {limits.MAX_CSV_FIELD_CHARS:,} characters, or the file is "
            "not a CSV file; export the sheet as CSV UTF-8 again",
            "damaged",
        ) from error
    return rows


def _decode(data: bytes, name: str, report: Report) -> str:
    """UTF-8 (with or without BOM) silently; UTF-16 with a BOM, or without one when every other
    byte of the start is NUL, and else Windows-1252, each with a warning row naming it."""
    utf16 = _utf16(data)
    if utf16:
        encoding, shown = utf16
        text = data.decode(encoding, errors="replace").removeprefix("\ufeff")
        report.warning(
            "csv-encoding",
            f"the file is {shown}; it was read so",
            sheet=name,
            hint="nothing to do if the characters look right",
        )
        if "\ufffd" in text:
            report.warning(
                "bad-utf16",
                "the file is UTF-16 but some bytes are not; they read as \ufffd",
                sheet=name,
                hint="save it as CSV UTF-8 again",
            )
        return text
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.warning(
            "not-utf8",
            "the file is not UTF-8; it was read as Windows-1252",
            sheet=name,
            hint="save it as CSV UTF-8 if characters look wrong",
        )
        return data.decode("cp1252", errors="replace")


def _utf16(data: bytes) -> tuple[str, str] | None:
    """The UTF-16 codec of ``data`` and how the report names it, or None when it is not UTF-16:
    a byte order mark says so, or (without one) NULs in every other byte of the first 1,000
    bytes, as ASCII text in UTF-16 has and no UTF-8 or Windows-1252 text does."""
    if data.startswith(b"\xff\xfe"):
        return "utf-16-le", "UTF-16 (little-endian, with a byte order mark)"
    if data.startswith(b"\xfe\xff"):
        return "utf-16-be", "UTF-16 (big-endian, with a byte order mark)"
    head = data[:1000]
    if len(head) < 4 or b"\0" not in head:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.1 * len(even):
        return "utf-16-le", "UTF-16 (little-endian, without a byte order mark)"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.1 * len(odd):
        return "utf-16-be", "UTF-16 (big-endian, without a byte order mark)"
    return None
