"""Getting cells out of a source: an ``.xlsx``/``.xlsm`` workbook, a folder of CSV files, or a
dict of DataFrames. Nothing here interprets the cells; it returns every sheet as rows of raw
values with their row numbers, or says in one line why the source cannot be read at all.

Cell values come from python-calamine, which reads workbooks several times faster than openpyxl.
The one thing calamine cannot tell is a formula whose result was never saved (a file written
by a script and never opened in Excel): those cells are found by scanning the sheet's XML,
and only for sheets that contain formulas at all.
"""

from __future__ import annotations

import csv
import hashlib
import io
import posixpath
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import python_calamine
from defusedxml import ElementTree

from nistpf.inventory.report import Report

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


class Unreadable(Exception):
    """The source cannot be read at all; ``problem`` and ``hint`` say why and what to do."""

    def __init__(self, problem: str, hint: str, code: str):
        super().__init__(problem)
        self.problem = problem
        self.hint = hint
        self.code = code


@dataclass
class RawSheet:
    """A sheet's cells: ``rows[i]`` is the row Excel numbers ``numbers[i]``."""

    name: str
    rows: list[list[Any]]
    numbers: list[int]
    # (excel_row, 0-based column) of formula cells whose value was never saved
    unsaved_formulas: set[tuple[int, int]] = field(default_factory=set)


@dataclass
class RawBook:
    name: str  # the source as the report names it (file or folder name)
    sheets: dict[str, RawSheet]
    sha256: str | None
    kind: str  # "workbook", "csv", "frames"


def read_source(source: Any, report: Report) -> RawBook:
    """Every sheet of ``source`` as raw rows. Raises :class:`Unreadable` when there is nothing
    that can be read."""
    if isinstance(source, Mapping):
        return _read_frames(source)
    path = Path(source)
    if not path.exists():
        raise Unreadable(
            f"no such file or folder: {path}",
            "check the path; pass an .xlsx workbook or a folder of CSV files",
            "missing-file",
        )
    if path.is_dir():
        return _read_csv_folder(path, report)
    if path.suffix.lower() == ".csv":
        return _read_csv_files([path], path.name, report)
    return _read_workbook(path)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- workbooks -------------------------------------------------------------------------------


def _sniff(path: Path) -> None:
    """Raise Unreadable unless ``path`` looks like an OOXML workbook."""
    with path.open("rb") as stream:
        head = stream.read(4096)
    if not head:
        raise Unreadable("the file is empty (0 bytes)", "export the workbook again", "empty-file")
    if head.startswith(_OLE_MAGIC):
        if _contains(path, _ENCRYPTION_STREAM):
            raise Unreadable(
                "the workbook is encrypted (password-protected)",
                "remove the password in Excel (File > Info > Protect Workbook) and save again",
                "encrypted",
            )
        raise Unreadable(
            "this is an old Excel 97-2003 (.xls) file",
            "open it in Excel or LibreOffice and save it as .xlsx",
            "old-xls",
        )
    if head.startswith(_ZIP_MAGIC):
        return
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<table" in lowered[:1024]:
        raise Unreadable(
            "this is an HTML page, not an Excel workbook",
            "open it in Excel and save it as .xlsx (Excel Workbook)",
            "not-a-workbook",
        )
    if b"\0" not in head:
        raise Unreadable(
            "this is a text file, not an Excel workbook",
            "save the inventory as .xlsx; a CSV file must end in .csv",
            "not-a-workbook",
        )
    raise Unreadable(
        "this is not an Excel workbook",
        "save the inventory as .xlsx, or pass a folder of CSV files",
        "not-a-workbook",
    )


def _contains(path: Path, needle: bytes) -> bool:
    """Does the file hold ``needle`` anywhere? Read in blocks: an encrypted workbook's stream
    directory may sit after megabytes of encrypted package."""
    with path.open("rb") as stream:
        tail = b""
        for block in iter(lambda: stream.read(1 << 22), b""):
            if needle in tail + block[: len(needle)] or needle in block:
                return True
            tail = block[-len(needle) :]
    return False


def _read_workbook(path: Path) -> RawBook:
    _sniff(path)
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise Unreadable(
            "the file is damaged (its ZIP structure cannot be read)",
            "open it in Excel, repair it if asked, and save it again",
            "damaged",
        ) from error
    with archive:
        names = set(archive.namelist())
        if "xl/workbook.xml" not in names:
            raise Unreadable(
                "this is a ZIP archive, not an Excel workbook",
                "save the inventory as .xlsx (Excel Workbook)",
                "not-a-workbook",
            )
        parts = _sheet_parts(archive)
        formula_parts = {
            name: part
            for name, part in parts.items()
            if part in names and _has_formulas(archive, part)
        }
        unsaved = {name: _unsaved_formulas(archive, part) for name, part in formula_parts.items()}
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError as error:
        raise Unreadable(
            "the workbook is encrypted (password-protected)",
            "remove the password in Excel and save again",
            "encrypted",
        ) from error
    except (python_calamine.CalamineError, OSError, ValueError) as error:
        raise Unreadable(
            f"the workbook cannot be read ({_short(error)})",
            "open it in Excel, save it as .xlsx, and try again",
            "damaged",
        ) from error
    sheets = {}
    try:
        for meta in workbook.sheets_metadata:
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            rows = workbook.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
            sheets[meta.name] = RawSheet(
                meta.name,
                rows,
                list(range(1, len(rows) + 1)),
                unsaved.get(meta.name, set()),
            )
    except (python_calamine.CalamineError, ValueError) as error:
        raise Unreadable(
            f"the workbook cannot be read ({_short(error)})",
            "open it in Excel, save it as .xlsx, and try again",
            "damaged",
        ) from error
    finally:
        workbook.close()
    if not any(
        any(not _blank(cell) for cell in row) for sheet in sheets.values() for row in sheet.rows
    ):
        raise Unreadable(
            "the workbook is empty", "fill in the template (nistpf template)", "empty-workbook"
        )
    return RawBook(path.name, sheets, file_sha256(path), "workbook")


def _short(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text[:120]


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet name → its XML part, from the workbook and its relationships."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    try:
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return {}
    targets = {
        rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{_PKG_REL_NS}Relationship")
    }
    parts = {}
    for sheet in workbook.iter(f"{_MAIN_NS}sheet"):
        target = targets.get(sheet.get(f"{_REL_NS}id"), "")
        if target:
            path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
            parts[sheet.get("name")] = posixpath.normpath(path)
    return parts


_ROOT_PREFIX = re.compile(rb"<(\w+):worksheet[\s>]")


def _has_formulas(archive: zipfile.ZipFile, part: str) -> bool:
    """Might the sheet part hold a formula? A plain byte search for the ``<f`` tag (with the
    namespace prefix the part uses, if any), streamed; a false alarm (``<filterColumn``) only
    costs the exact scan that follows."""
    with archive.open(part) as stream:
        block = stream.read(1 << 20)
        prefix = _ROOT_PREFIX.search(block[:4096])
        needle = b"<" + prefix.group(1) + b":f" if prefix else b"<f"
        tail = b""
        while block:
            if needle in block or needle in tail + block[: len(needle)]:
                return True
            tail = block[-len(needle) :]
            block = stream.read(1 << 20)
    return False


def _unsaved_formulas(archive: zipfile.ZipFile, part: str) -> set[tuple[int, int]]:
    """Cells of a sheet part that hold a formula but no saved value."""
    found = set()
    with archive.open(part) as stream:
        for _, element in ElementTree.iterparse(stream, events=("end",)):
            if element.tag != f"{_MAIN_NS}c":
                continue
            formula = element.find(f"{_MAIN_NS}f")
            value = element.find(f"{_MAIN_NS}v")
            inline = element.find(f"{_MAIN_NS}is")
            if formula is not None and (value is None or not (value.text or "")) and inline is None:
                row, column = _cell_position(element.get("r", ""))
                if row:
                    found.add((row, column))
            element.clear()
    return found


def _cell_position(reference: str) -> tuple[int, int]:
    letters = "".join(ch for ch in reference if ch.isalpha())
    digits = "".join(ch for ch in reference if ch.isdigit())
    column = 0
    for letter in letters.upper():
        column = column * 26 + (ord(letter) - 64)
    return (int(digits) if digits else 0, column - 1)


# -- CSV folders -----------------------------------------------------------------------------


def _read_csv_folder(folder: Path, report: Report) -> RawBook:
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
    if not files:
        raise Unreadable(
            f"the folder {folder.name} holds no CSV files",
            "put one CSV file per sheet in it (Systems.csv, Controls.csv, DataFlows.csv, …)",
            "empty-folder",
        )
    return _read_csv_files(files, folder.name, report)


def _read_csv_files(files: list[Path], name: str, report: Report) -> RawBook:
    """CSV files as sheets named after the files (``Systems.csv`` → ``Systems``). The SHA-256
    covers every file's name and bytes; a single file's is the file's own."""
    sheets = {}
    digest = hashlib.sha256()
    for path in files:
        data = path.read_bytes()
        digest.update(path.name.encode("utf-8") + b"\0" + data)
        text = _decode(data, path.name, report)
        rows = list(csv.reader(io.StringIO(text, newline="")))
        sheets[path.stem] = RawSheet(path.name, rows, list(range(1, len(rows) + 1)))
    sha = (
        hashlib.sha256(files[0].read_bytes()).hexdigest() if len(files) == 1 else digest.hexdigest()
    )
    return RawBook(name, sheets, sha, "csv")


def _decode(data: bytes, name: str, report: Report) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252 with a warning."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
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


# -- DataFrames ------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    """A DataFrame cell as a spreadsheet would hold it: a list, tuple or set as ``a; b`` text."""
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return "; ".join(str(item) for item in items)
    return value


def _read_frames(frames: Mapping[str, Any]) -> RawBook:
    """A dict of DataFrames: each frame's columns are the header (row 1), its rows follow."""
    sheets = {}
    for name, frame in frames.items():
        if not isinstance(frame, pd.DataFrame):
            raise Unreadable(
                f"the value for {name!r} is a {type(frame).__name__}, not a DataFrame",
                "pass a dict of sheet name → pandas DataFrame",
                "not-a-dataframe",
            )
        header = [str(column) for column in frame.columns]
        body = [
            [_cell(value) for value in row]
            for row in frame.astype(object).where(frame.notna(), None).values.tolist()
        ]
        sheets[str(name)] = RawSheet(str(name), [header, *body], list(range(1, len(body) + 2)))
    return RawBook("DataFrames", sheets, None, "frames")
