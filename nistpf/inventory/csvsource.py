"""CSV sources: a folder of CSV files (one per sheet, named after the sheet) or a single CSV
file, decoded and split into raw rows under the bounds of :mod:`nistpf.inventory.limits`."""

from __future__ import annotations

import csv
import hashlib
import io
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
            f"the folder {folder.name} holds no CSV files",
            "put one CSV file per sheet in it (Systems.csv, Controls.csv, DataFlows.csv, …)",
            "empty-folder",
        )
    return read_csv_files(files, folder.name, report)


def read_csv_files(files: list[Path], name: str, report: Report) -> RawBook:
    """CSV files as sheets named after the files (``Systems.csv`` → ``Systems``). The SHA-256
    covers every file's name and bytes; a single file's is the file's own."""
    sheets = {}
    digest = hashlib.sha256()
    for path in files:
        _check_file_size(path)
        data = path.read_bytes()
        digest.update(path.name.encode("utf-8") + b"\0" + data)
        text = _decode(data, path.name, report)
        rows = _csv_rows(text, path.name)
        sheets[path.stem] = RawSheet(path.name, rows, list(range(1, len(rows) + 1)))
    sha = (
        hashlib.sha256(files[0].read_bytes()).hexdigest() if len(files) == 1 else digest.hexdigest()
    )
    return RawBook(name, sheets, sha, "csv")


def _csv_rows(text: str, name: str) -> list[list[str]]:
    """The records of a CSV file, held to the row, column and field bounds."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    try:
        for row in reader:
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
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252 with a warning."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
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
