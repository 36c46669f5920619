"""Getting cells out of a source: an ``.xlsx``/``.xlsm`` workbook (transitional or Strict Open
XML), an OpenDocument spreadsheet (``.ods``), a folder of CSV files, or a dict of DataFrames.
Nothing here interprets the cells; it returns every sheet as rows of raw values with their row
numbers, or says in one line why the source cannot be read at all.

Cell values come from python-calamine, which reads workbooks several times faster than openpyxl.
What calamine cannot tell — a formula whose result was never saved (a file written by a script
and never opened in Excel), and a cell holding an Excel error such as ``#REF!`` (calamine reads
it as blank) — is found by scanning the sheet's XML, only for sheets that may hold either. An
``.ods`` has its own scan (:mod:`nistpf.inventory.ods`), which also finds its merged ranges. An
``.xlsb`` is refused: its parts are binary, so none of these checks could be made.

Every source is held to the bounds of :mod:`nistpf.inventory.limits` before it is parsed: the
file's size, the ZIP directory's declared sizes, and a streaming scan of every XML part that
refuses a DTD, finds each sheet's last row and column holding a value, bounds the text its cells
expand to (a shared string copied into every cell that refers to it, a repeated ``.ods`` cell
into every cell it stands for) and refuses a shared-string number a reader would read as another
string. For a workbook that is :func:`check_archive`, which the gap register's reader
(:func:`nistpf.export.register_edits.read_register_edits`) goes through too.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import posixpath
import re
import zipfile
import zlib
from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

import pandas as pd
import python_calamine
from defusedxml import DefusedXmlException, ElementTree

from nistpf.inventory import limits
from nistpf.inventory.limits import megabytes
from nistpf.inventory.report import Report
from nistpf.inventory.structure import (
    SheetFlags,
    SheetStructure,
    archive_names,
    column_letters,
    read_structure,
    tag_blocks,
)
from nistpf.io.paths import file_kind

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".ods")
# The parts that say where the sheets are, read (after their own scan) before the others.
_WORKBOOK_PART = "xl/workbook.xml"
_WORKBOOK_PARTS = frozenset({_WORKBOOK_PART, "xl/_rels/workbook.xml.rels"})
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
# What Excel writes for "Strict Open XML Spreadsheet": the same elements in other namespaces.
_STRICT_MAIN_NS = "{http://purl.oclc.org/ooxml/spreadsheetml/main}"
_STRICT_REL_NS = "{http://purl.oclc.org/ooxml/officeDocument/relationships}"
MAIN_NAMESPACES = (_MAIN_NS, _STRICT_MAIN_NS)
REL_NAMESPACES = (_REL_NS, _STRICT_REL_NS)
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
    # (excel_row, 0-based column) → the Excel error the cell holds ("#REF!"); calamine reads
    # error cells as blank, so they are found in the sheet's XML
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    hidden: str = ""  # "", "hidden" or "very hidden"
    # merged ranges as python-calamine gives them: ((first row, first column), (last row, last
    # column)), all from 0 (C3:C4 is ((2, 2), (3, 2)))
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    # Excel Tables, hidden rows and columns, the filter (see nistpf.inventory.structure)
    structure: SheetStructure = field(default_factory=SheetStructure)


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
            "check the path; pass an .xlsx or .ods workbook, a CSV file or a folder of CSV files",
            "missing-file",
        )
    from nistpf.inventory import csvsource  # it builds on this module's RawBook and bounds

    if path.is_dir():
        return csvsource.read_csv_folder(path, report)
    _refuse_special(
        path,
        "pass an .xlsx or .ods workbook, a CSV file or a folder of CSV files; save what the pipe "
        "or device gives into a file first",
    )
    _check_file_size(path)
    if path.suffix.lower() == ".csv":
        _refuse_workbook_named_csv(path)
        return csvsource.read_csv_files([path], path.name, report)
    return _read_workbook(path)


def _refuse_special(path: Path, hint: str) -> None:
    """Refuse ``path`` when it is not a regular file (a named pipe, a device, a socket, a
    folder: :func:`nistpf.io.paths.file_kind`) before it is opened: opening a pipe waits for a
    writer that may never come, and a device never ends."""
    kind = file_kind(path)
    if kind:
        raise Unreadable(f"it is not a file but {kind}", hint, "not-a-file")


def _too_large(problem: str, hint: str = "") -> Unreadable:
    return Unreadable(
        problem,
        hint
        or "open it in Excel or LibreOffice, delete what is not the inventory, and save it again",
        "too-large",
    )


def _check_file_size(path: Path) -> None:
    size = path.stat().st_size
    if size > limits.MAX_FILE_BYTES:
        raise _too_large(
            f"{path.name} is {megabytes(size)}; nistpf reads files of at most "
            f"{megabytes(limits.MAX_FILE_BYTES)}",
            "keep only the inventory sheets in the file, or split it",
        )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- workbooks -------------------------------------------------------------------------------


def _sniff(path: Path) -> None:
    """Raise Unreadable unless ``path`` is a ZIP package (an OOXML or OpenDocument workbook,
    told apart by :func:`_zip_kind`)."""
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
    if b"urn:oasis:names:tc:opendocument" in head:
        raise Unreadable(
            "this is a flat OpenDocument file (.fods), which nistpf does not read",
            "open it in LibreOffice and save it as .ods (OpenDocument Spreadsheet) or .xlsx",
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
        "save the inventory as .xlsx or .ods, or pass a folder of CSV files",
        "not-a-workbook",
    )


def _refuse_workbook_named_csv(path: Path) -> None:
    """Refuse a ``.csv`` file that is a workbook (a ZIP package or an old Excel file, told by
    its first bytes), rather than read its bytes as Windows-1252 text."""
    with path.open("rb") as stream:
        head = stream.read(8)
    if head.startswith(_OLE_MAGIC):
        what, suffix = "an old Excel 97-2003 workbook (or an encrypted one)", ".xls"
    elif head.startswith(_ZIP_MAGIC):
        what, suffix = "a ZIP archive", ".xlsx or .ods"
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                if "xl/workbook.xml" in names:
                    what, suffix = "an Excel workbook", ".xlsx"
                elif _mimetype(archive, names) == _ODS_MIMETYPE:
                    what, suffix = "an OpenDocument spreadsheet", ".ods"
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
            pass  # a damaged archive: named a ZIP archive
    else:
        return
    raise Unreadable(
        f"this is {what}, not a CSV file, though it is named .csv",
        f"rename it to {suffix}; or, to give CSV, open it in Excel and save it as CSV UTF-8",
        "wrong-extension",
    )


def _check_suffix(path: Path, kind: str) -> None:
    """python-calamine opens a workbook by its file name's suffix: refuse one whose suffix
    says another format than its content (an OpenDocument spreadsheet named ``.xlsx``), with
    the name to give it."""
    suffix = path.suffix.lower()
    if kind == "ods" and suffix != ".ods":
        what, rename = "an OpenDocument spreadsheet", ".ods"
    elif kind == "xlsx" and suffix not in (".xlsx", ".xlsm"):
        what, rename = "an Excel workbook", ".xlsx, or .xlsm if it holds macros"
    else:
        return
    named = f"its name ends in {suffix}" if suffix else "its name has no suffix"
    raise Unreadable(
        f"this is {what}, but {named}",
        f"rename it to {rename}",
        "wrong-extension",
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


@dataclass
class CheckedArchive:
    """What :func:`check_archive` found in a workbook that passed every bound: its ``kind``
    (``"xlsx"`` or ``"ods"``); for an ``.xlsx``, each worksheet's part by sheet name
    (``parts``), the scan of every part (``scans``) and each sheet part's hidden rows, columns
    and filter (``flags``, by part); for an ``.ods``, its tables by name (``tables``, from
    :func:`nistpf.inventory.ods.scan_content`). ``text_chars`` is the bound on the text its
    cells expand to that was checked against ``MAX_TEXT_CHARS`` (0 for an ``.xlsx`` without
    shared strings), ``shared_strings`` how many shared strings it lists."""

    kind: str
    parts: dict[str, str] = field(default_factory=dict)
    scans: dict[str, Any] = field(default_factory=dict)
    flags: dict[str, SheetFlags] = field(default_factory=dict)
    tables: dict[str, Any] = field(default_factory=dict)
    text_chars: int = 0
    shared_strings: int = 0


def check_archive(path: str | Path, *, reader: str = "calamine") -> CheckedArchive:
    """Hold the workbook at ``path`` to every bound of :mod:`nistpf.inventory.limits` before
    anything parses it, and refuse what no parser should be given: the file's size, that it is
    a ZIP package ``reader`` reads (``"calamine"``: an ``.xlsx``/``.xlsm`` or an ``.ods``;
    ``"openpyxl"``: an ``.xlsx``/``.xlsm``), its ZIP directory (the number of parts, each part's
    declared size and compression ratio, encrypted parts, ``MAX_WHOLE_PART_BYTES`` for each
    part parsed whole: with calamine the workbook part, the relationships and the table parts
    nistpf parses itself, with openpyxl every XML part but the worksheets and the shared
    strings), one streaming pass over every part (no DTD; each sheet's last row and column
    holding a value; the text its cells expand to, ``MAX_TEXT_CHARS``) and, in an ``.xlsx``,
    each cell that refers to a shared string by a number neither calamine nor openpyxl reads as
    written (``t="s"`` with ``-1``, ``abc``, ``1.0``, 20 digits or more: calamine reads them as
    the first string, openpyxl ``-1`` as the last). A number past the last string is an error
    in both readers; :func:`shared_string_error` names its cell when one reports it. It also
    refuses, before opening it, a pipe, device or socket (opening a pipe waits for a writer);
    two sheets read from one part, or two sheets of one name (calamine reads the part once for
    each sheet, the bounds count it once); and a ``[Content_Types].xml`` naming another main
    workbook part than ``xl/workbook.xml`` (openpyxl would read that part, unchecked). With
    openpyxl a chartsheet, and any part that is XML whatever its name, counts as parsed whole.

    Both readers of client files go through it: the inventory reader (then python-calamine)
    and the gap register read back by ``--carry-over``
    (:func:`nistpf.export.register_edits.read_register_edits`, then openpyxl). Returns a
    :class:`CheckedArchive`; raises :class:`Unreadable` naming the bound broken or what is wrong
    (its ``code``: ``too-large``, ``zip-bomb``, ``xml-entities``, ``damaged``,
    ``bad-shared-string``, ``encrypted``, ``not-a-workbook``, ``old-xls``, ``xlsb``,
    ``wrong-extension``, ``empty-file``, ``not-a-file``). A missing file is an ``OSError``:
    callers say so in their own words first."""
    path = Path(path)
    _refuse_special(
        path, "save what the pipe or device gives into a file first, and pass that file"
    )
    _check_file_size(path)
    _sniff(path)
    _check_directory_size(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as error:
        raise Unreadable(
            "the file is damaged (its ZIP structure cannot be read)",
            "open it in Excel, repair it if asked, and save it again",
            "damaged",
        ) from error
    with archive:
        try:
            kind = _zip_kind(archive, path)
        except _BROKEN_ZIP as error:
            raise _damaged(error) from error
        if kind == "ods" and reader == "openpyxl":
            raise Unreadable(
                "this is an OpenDocument spreadsheet (.ods); only an Excel workbook (.xlsx) is "
                "read here",
                "open it in LibreOffice and save it as Excel 2007-365 (.xlsx)",
                "not-a-workbook",
            )
        _check_suffix(path, kind)
        _check_declared_sizes(archive)
        _check_whole_parts(archive, reader)
        try:
            if kind == "ods":
                for info in archive.infolist():
                    _scan_part(archive, info)
                tables = _check_ods(archive)
                text = _check_ods_text(tables)
                return CheckedArchive(kind, tables=tables, text_chars=text)
            return _check_xlsx(archive, reader)
        except DefusedXmlException as error:  # a DTD past the first block the scan searched
            raise _entities("content.xml" if kind == "ods" else "") from error
        except _BROKEN_ZIP as error:
            raise _damaged(error) from error


def _check_xlsx(archive: zipfile.ZipFile, reader: str) -> CheckedArchive:
    """:func:`check_archive` for an Office Open XML workbook. The workbook, its relationships
    and ``[Content_Types].xml`` are scanned for a DTD before they are parsed; then the shared
    strings (their count and each one's size), then every other part, each sheet's hidden
    rows, columns and filter and its cells that refer to a shared string gathered in the same
    pass."""
    types = _ContentTypes()
    first = [i for i in archive.infolist() if i.filename in _WORKBOOK_PARTS or i.filename == _TYPES]
    scans = {
        info.filename: _scan_part(archive, info, also=(types,) if info.filename == _TYPES else ())
        for info in first
    }
    _check_workbook_part(types)
    parts = _sheet_parts(archive)
    table = _shared_strings(archive, types, scans)
    # openpyxl parses a chartsheet whole; it streams the worksheets and the shared strings
    charts = _sheet_parts(archive, chartsheets=True) if reader == "openpyxl" else {}
    worksheets = set(parts.values()) - set(charts.values())
    streamed = {*worksheets, *([table.part] if table else [])}
    _check_whole_parts(archive, reader, streamed=streamed)
    flags = {part: SheetFlags() for part in parts.values()}
    refs = {part: _StringRefs(name, table) for name, part in parts.items()} if table else {}
    for info in archive.infolist():
        if info.filename not in scans:
            also = (flags.get(info.filename), refs.get(info.filename))
            scans[info.filename] = _scan_part(archive, info, also=tuple(filter(None, also)))
    for counter in refs.values():
        counter.finish()
    _check_prefixes(scans, parts)
    _check_used_ranges(archive, scans, parts)
    text = _check_shared_text(archive, table, refs) if table else 0
    return CheckedArchive(
        "xlsx",
        parts=parts,
        scans=scans,
        flags=flags,
        text_chars=text,
        shared_strings=len(table.sizes) if table else 0,
    )


def _read_workbook(path: Path) -> RawBook:
    checked = check_archive(path)
    # sheet name → (merged ranges, structure), which calamine does not give for an .ods
    shapes: dict[str, tuple] = {}
    structures: dict[str, SheetStructure] = {}  # sheet name → Excel Tables, hidden rows, filter
    if checked.kind == "ods":
        notes, shapes = _ods_notes(checked.tables)
    else:
        try:
            with zipfile.ZipFile(path) as archive:
                notes = {
                    name: _cell_notes(archive, part)
                    for name, part in checked.parts.items()
                    if part in checked.scans
                    and (checked.scans[part].formulas or checked.scans[part].errors)
                }
                structures = read_structure(archive, checked.parts, checked.flags)
        except DefusedXmlException as error:
            raise _entities("") from error
        except _BROKEN_ZIP as error:
            raise _damaged(error) from error
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError as error:
        raise Unreadable(
            "the workbook is encrypted (password-protected)",
            "remove the password in Excel and save again",
            "encrypted",
        ) from error
    except (python_calamine.CalamineError, OSError, ValueError) as error:
        raise _calamine_error(path, error) from error
    except BaseException as error:  # a panic in calamine's Rust code is not an Exception
        if type(error).__name__ != "PanicException":
            raise
        raise _damaged(error) from None
    sheets = {}
    try:
        for meta in workbook.sheets_metadata:
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            sheet = workbook.get_sheet_by_name(meta.name)
            rows = sheet.to_python(skip_empty_area=False, nrows=limits.MAX_ROWS)
            unsaved, errors = notes.get(meta.name, (set(), {}))
            sheets[meta.name] = RawSheet(
                meta.name,
                rows,
                list(range(1, len(rows) + 1)),
                unsaved,
                errors,
                _HIDDEN.get(str(meta.visible).rsplit(".", 1)[-1], ""),
                merged=list(sheet.merged_cell_ranges or ()),
                structure=structures.get(meta.name, SheetStructure()),
            )
    except (python_calamine.CalamineError, ValueError, OSError) as error:
        raise _calamine_error(path, error) from error
    except BaseException as error:
        if type(error).__name__ != "PanicException":
            raise
        raise _damaged(error) from None
    finally:
        workbook.close()
    if checked.kind == "ods":
        _apply_ods_notes(sheets, notes, shapes)
    if not any(
        any(not _blank(cell) for cell in row) for sheet in sheets.values() for row in sheet.rows
    ) and not any(sheet.errors for sheet in sheets.values()):
        raise Unreadable(
            "the workbook is empty", "fill in the template (nistpf template)", "empty-workbook"
        )
    return RawBook(path.name, sheets, file_sha256(path), "workbook")


def _calamine_error(path: Path, error: BaseException) -> Unreadable:
    """The refusal for an error python-calamine raised: a cell referring to a shared string past
    the last (calamine says only that an index was not found) named by
    :func:`shared_string_error`, anything else as damaged."""
    if "string index" in str(error):
        found = shared_string_error(path)
        if found is not None:
            return found
    return _damaged(error)


# What reading a damaged archive or XML part can raise (defusedxml's refusals are ValueErrors).
_BROKEN_ZIP = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    KeyError,
    NotImplementedError,
    RuntimeError,
    ElementTree.ParseError,
)
_HIDDEN = {"Hidden": "hidden", "VeryHidden": "very hidden"}


# ZIP packages that are not spreadsheets, by a part only they hold: what the message calls them.
_OTHER_PACKAGES = (
    ("word/document.xml", "a Word document"),
    ("ppt/presentation.xml", "a PowerPoint presentation"),
    ("visio/document.xml", "a Visio drawing"),
    ("Index/Document.iwa", "an Apple iWork document (Numbers, Pages or Keynote)"),
)
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_OPENDOCUMENT_KINDS = {
    b"application/vnd.oasis.opendocument.text": "an OpenDocument text document (.odt)",
    b"application/vnd.oasis.opendocument.presentation": "an OpenDocument presentation (.odp)",
    b"application/vnd.oasis.opendocument.graphics": "an OpenDocument drawing (.odg)",
    b"application/vnd.oasis.opendocument.spreadsheet-template": (
        "an OpenDocument spreadsheet template (.ots)"
    ),
}
_SAVE_AS = "save the inventory as .xlsx (Excel Workbook) or .ods (OpenDocument Spreadsheet)"


def _zip_kind(archive: zipfile.ZipFile, path: Path) -> str:
    """``"xlsx"`` (an Office Open XML workbook, transitional or Strict: ``.xlsx``, ``.xlsm``) or
    ``"ods"``, told by the parts the archive holds, never by the file's suffix. Raises
    :class:`Unreadable` naming what any other ZIP package is: an Excel Binary Workbook, whose
    binary parts nistpf's checks cannot read (the used range before parsing, error cells,
    formulas without a saved value), a Word or OpenDocument text document, an encrypted
    OpenDocument spreadsheet."""
    names = set(archive.namelist())
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        raise Unreadable(
            "this is an Excel Binary Workbook (.xlsb); nistpf reads .xlsx, .xlsm and .ods, "
            "because it checks a workbook's XML before reading it, and an .xlsb has none",
            "open it in Excel and save it as Excel Workbook (.xlsx)",
            "xlsb",
        )
    mimetype = _mimetype(archive, names)
    if mimetype == _ODS_MIMETYPE and "content.xml" in names:
        if "META-INF/manifest.xml" in names and _encrypted_package(archive):
            raise Unreadable(
                "the spreadsheet is encrypted (saved with a password)",
                "open it in LibreOffice, save a copy without a password (File > Save As, untick "
                "Save with password), and try again",
                "encrypted",
            )
        return "ods"
    what = _OPENDOCUMENT_KINDS.get(mimetype) or next(
        (what for part, what in _OTHER_PACKAGES if part in names), ""
    )
    if what:
        raise Unreadable(f"this is {what}, not a spreadsheet", _SAVE_AS, "not-a-workbook")
    if path.suffix.lower() == ".ods":
        raise Unreadable(
            "this is a ZIP archive, not an OpenDocument spreadsheet (it has no content.xml "
            "or no spreadsheet mimetype)",
            "open it in LibreOffice and save it again as .ods, or save it as .xlsx",
            "not-a-workbook",
        )
    raise Unreadable("this is a ZIP archive, not an Excel workbook", _SAVE_AS, "not-a-workbook")


def _mimetype(archive: zipfile.ZipFile, names: set[str]) -> bytes:
    """An OpenDocument package's media type, from its ``mimetype`` part (the first 100 bytes
    only, so a hostile part costs nothing); ``b""`` when there is none."""
    if "mimetype" not in names:
        return b""
    with archive.open("mimetype") as stream:
        return stream.read(100).strip()


def _encrypted_package(archive: zipfile.ZipFile) -> bool:
    """Does the OpenDocument manifest say its parts are encrypted (``manifest:encryption-data``)?
    Read only when the manifest is small, as a real one is (a few KB)."""
    info = archive.getinfo("META-INF/manifest.xml")
    return info.file_size < (8 << 20) and b"encryption-data" in archive.read(info)


def _check_ods(archive: zipfile.ZipFile) -> dict[str, Any]:
    """An OpenDocument spreadsheet's tables (:func:`nistpf.inventory.ods.scan_content`), once
    none reaches past the bounds (its repeated rows and columns counted, not expanded) and none
    notes more than ``MAX_NOTED_CELLS`` error cells, unsaved formulas and merged cells."""
    from nistpf.inventory import ods

    try:
        tables = ods.scan_content(archive)
    except ods.DuplicateTable as error:
        raise Unreadable(
            f"the spreadsheet has two sheets named {error.name!r}, which LibreOffice never "
            "writes: which one the name means cannot be told",
            "open it in LibreOffice, rename one of the two sheets, and save it again",
            "damaged",
        ) from None
    scans = {
        name: _PartScan(max_row=t.max_row, max_col=t.max_col, max_ref=column_letters(t.max_col - 1))
        for name, t in tables.items()
    }
    _check_used_ranges(archive, scans, {name: name for name in tables})
    for name, table in tables.items():  # checked before any run is expanded
        noted = table.noted_cells()
        if noted > ods.MAX_NOTED_CELLS:
            raise _too_large(
                f"sheet {name!r} has {noted:,} cells holding an error, a formula without a saved "
                f"result or a merged range; nistpf reads at most {ods.MAX_NOTED_CELLS:,}",
                "fix or delete the failing formulas and unmerge the cells, or copy the inventory "
                "sheets into a new spreadsheet, and save again",
            )
    return tables


def _check_ods_text(tables: dict[str, Any]) -> int:
    """The text an OpenDocument spreadsheet's cells hold once each repeated cell is a cell of
    its own (``Table.text_chars``, summed); refused past ``MAX_TEXT_CHARS``, naming the table
    holding the most."""
    total = sum(table.text_chars for table in tables.values())
    if total > limits.MAX_TEXT_CHARS:
        most = max(tables.values(), key=lambda table: table.text_chars)
        raise _too_large(
            f"the spreadsheet's cells hold up to {total:,} characters of text once each repeated "
            f"cell counts as the cells it stands for ({most.text_chars:,} in sheet "
            f"{most.name!r}); nistpf reads at most {limits.MAX_TEXT_CHARS:,}",
            "shorten or delete the long texts repeated over many cells (or copy the inventory "
            "sheets into a new spreadsheet), and save again",
        )
    return total


def _ods_notes(tables: dict[str, Any]) -> tuple[dict[str, tuple], dict[str, tuple]]:
    """For an OpenDocument spreadsheet's tables (:func:`_check_ods`, in bounds): each table's
    unsaved formulas and error cells (as :func:`_cell_notes` gives them), and its merged ranges
    and structure (hidden rows and columns, the filter, its database ranges as tables)."""
    notes = {name: (t.unsaved(), t.errors()) for name, t in tables.items()}
    return notes, {
        name: (
            t.merged(),
            SheetStructure(tuple(t.database_ranges), t.hidden_rows(), t.hidden_columns(), t.filter),
        )
        for name, t in tables.items()
    }


def _apply_ods_notes(sheets: dict[str, RawSheet], notes: dict, shapes: dict) -> None:
    """Give each sheet of an ``.ods`` its merged ranges and structure, and blank its error cells
    and unsaved formulas, which calamine reads as ``0``, as the error's text or as blank; the
    error or the missing value is reported from the notes instead, as it is for ``.xlsx``.

    The notes are matched to calamine's sheets by position (the scan and calamine both list the
    tables in document order), not by name: the XML parser normalizes a tab or line break in a
    ``table:name`` to a space and calamine keeps it, so a name would miss. By name only when the
    two lists differ in length."""
    scanned = list(notes)  # in document order
    by_position = len(scanned) == len(sheets)
    for position, (name, sheet) in enumerate(sheets.items()):
        key = scanned[position] if by_position else name
        sheet.merged, sheet.structure = shapes.get(key, ([], SheetStructure()))
        unsaved, errors = notes.get(key, (set(), {}))
        sheet.unsaved_formulas, sheet.errors = unsaved, errors
        for number, column in (*unsaved, *errors):
            if number <= len(sheet.rows) and column < len(sheet.rows[number - 1]):
                sheet.rows[number - 1][column] = ""


def _damaged(error: BaseException) -> Unreadable:
    return Unreadable(
        f"the workbook cannot be read ({_short(error)})",
        "open it in Excel or LibreOffice, save it again (as .xlsx or .ods), and try again",
        "damaged",
    )


# -- the bounds, checked before anything is parsed (see nistpf.inventory.limits) --------------


def _check_directory_size(path: Path) -> None:
    """Refuse a ZIP whose directory lists more than ``MAX_PARTS`` entries, from the
    end-of-directory record, before :mod:`zipfile` indexes them."""
    with path.open("rb") as stream:
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(max(0, size - (1 << 16) - 22))
        tail = stream.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return  # no directory: zipfile says the file is damaged
    entries = int.from_bytes(tail[at + 10 : at + 12], "little")
    if entries > limits.MAX_PARTS:
        raise _too_large(
            f"the workbook's archive lists {entries:,} parts; nistpf reads at most "
            f"{limits.MAX_PARTS:,} (Excel writes a few dozen)"
        )


def _check_declared_sizes(archive: zipfile.ZipFile) -> None:
    """Refuse encrypted parts, zip bombs and oversized parts from the ZIP directory alone."""
    total = 0
    for info in archive.infolist():
        if info.flag_bits & 0x1:
            raise Unreadable(
                "the workbook is encrypted (its ZIP parts have a password)",
                "remove the password and save it as .xlsx again",
                "encrypted",
            )
        size, packed = info.file_size, max(info.compress_size, 1)
        if size > limits.RATIO_FLOOR_BYTES and size > limits.MAX_RATIO * packed:
            raise Unreadable(
                f"the workbook's part {info.filename} would inflate from {megabytes(packed)} to "
                f"{megabytes(size)} ({size // packed:,} to 1), the mark of a zip bomb; it was "
                "not opened",
                "do not open the file; ask the client to export the inventory again",
                "zip-bomb",
            )
        if size > limits.MAX_PART_BYTES:
            raise _too_large(
                f"the workbook's part {info.filename} is {megabytes(size)} uncompressed; nistpf "
                f"reads parts of at most {megabytes(limits.MAX_PART_BYTES)}"
            )
        total += size
    if total > limits.MAX_TOTAL_BYTES:
        raise _too_large(
            f"the workbook is {megabytes(total)} uncompressed; nistpf reads workbooks of at most "
            f"{megabytes(limits.MAX_TOTAL_BYTES)}"
        )


def _check_whole_parts(
    archive: zipfile.ZipFile, reader: str, streamed: set[str] | None = None
) -> None:
    """Refuse a part over ``MAX_WHOLE_PART_BYTES`` (declared size) that is parsed whole rather
    than streamed. Before the sheets are known (``streamed`` None): the workbook part, the
    relationships and ``[Content_Types].xml``; then, with openpyxl, every other XML part but
    the worksheets and the shared strings (``streamed``), and with calamine the table parts
    (nistpf parses them; calamine streams the rest)."""
    for info in archive.infolist():
        name = info.filename.lower()
        if info.file_size <= limits.MAX_WHOLE_PART_BYTES:
            continue
        if streamed is None:
            whole = name in ("xl/workbook.xml", _TYPES.lower()) or name.endswith(".rels")
        elif reader == "openpyxl":
            # a part is parsed whole by what refers to it, whatever its name (a chartsheet, or
            # a chart it shows, named .bin): any part that is XML counts
            whole = info.filename not in streamed and (
                name.endswith((".xml", ".rels", ".vml")) or _looks_like_xml(archive, info)
            )
        else:
            whole = name.startswith("xl/tables/")
        if whole:
            raise _too_large(
                f"the workbook's part {info.filename} is {megabytes(info.file_size)} "
                f"uncompressed; nistpf reads at most {megabytes(limits.MAX_WHOLE_PART_BYTES)} "
                "in a part that is parsed whole rather than read as it streams",
                "delete the defined names it does not need (Formulas > Name Manager), or copy "
                "the sheets into a new workbook, and save again"
                if name == "xl/workbook.xml"
                else "",
            )


def _looks_like_xml(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Might a part be XML, whatever its name: its first bytes, after a byte-order mark and
    white space, are ``<``, or hold a NUL (UTF-16)? An image or a VBA project is not."""
    with archive.open(info) as stream:
        head = stream.read(64)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:4]:
        return True
    return head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n").startswith(b"<")


@dataclass
class _PartScan:
    formulas: bool = False  # might hold a formula (a false alarm costs an exact scan)
    errors: bool = False  # might hold an error cell (t="e")
    max_row: int = 0  # the last row and column (1-based) holding a value, or bounds on them
    max_col: int = 0
    max_ref: str = ""  # that column's letters
    approximate: bool = False  # max_row and max_col are upper bounds, not exact figures
    max_row_tag: int = 0
    # a cell or row tag with another prefix than the root's (<x:worksheet> around <c>), which
    # the scan would not see: refused for a worksheet part (see _check_prefixes)
    mixed_prefixes: bool = False


_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?[A-Za-z_][\w.-]*[\s/>]")
_DTD_NEEDLES = tuple(
    needle.encode(codec)
    for needle in ("<!DOCTYPE", "<!ENTITY", "<!doctype")
    for codec in ("ascii", "utf-16-le", "utf-16-be")
)
_ATTR_R = re.compile(rb'\sr="([^"]*)"')
_REF = re.compile(rb"([A-Za-z]*)(\d*)")


def _scan_part(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    *,
    precise: bool = False,
    also: tuple[Any, ...] = (),
):
    """One streaming pass over a part, 1 MiB at a time, that never holds it whole: refuses a
    DTD (entity bombs, external entities), notes whether the part may hold formulas or error
    cells, and bounds (or, ``precise``, finds) the last row and column holding a value; each
    block is also given to each of ``also`` (its ``feed``: a sheet's hidden rows, columns and
    filter, :class:`~nistpf.inventory.structure.SheetFlags`; its cells that refer to shared
    strings, :class:`_StringRefs`; the shared strings themselves, :class:`_StringTable`).
    :mod:`zipfile` stops at the declared size and checks the CRC, so a directory that lies about
    a size is caught here."""
    scan = _PartScan(approximate=not precise)
    step = _scan_precise if precise else _scan_fast
    prefix = None
    regular = True  # every cell starts <c r="...">
    with archive.open(info) as stream:
        for buffer in tag_blocks(stream):
            # A DTD may only stand in the prolog, so the first block is searched; defusedxml
            # refuses one anywhere else, and calamine's parser expands no declared entity.
            if prefix is None and any(needle in buffer for needle in _DTD_NEEDLES):
                raise _entities(info.filename)
            if prefix is None:
                root = _ROOT.search(buffer)
                prefix = (root.group(1) + b":") if root and root.group(1) else b""
                tags = _tags(prefix)
            if not scan.mixed_prefixes and _foreign_tags(buffer, prefix, tags):
                scan.mixed_prefixes = True
            if regular:
                regular = step(buffer, tags, scan)
            for feeder in also:
                feeder.feed(buffer)
    if not regular:  # cells without a leading r="A1": counted as calamine counts them
        scan = _scan_exact(archive, info, tags)
    return scan


_PREFIXED_TAG = re.compile(rb":(?:c|row)[\s/>]")


def _foreign_tags(buffer: bytes, prefix: bytes, tags: dict[str, Any]) -> bool:
    """Does the block hold a cell or row tag the scan, looking for ``<{prefix}c``, would not
    see? Without a prefix, only a prefixed tag can be one, and a block without ``:c`` or
    ``:row`` (nearly every block) is passed after one quick search for a literal colon."""
    if not prefix and not _PREFIXED_TAG.search(buffer):
        return False
    return tags["foreign"].search(buffer) is not None


def _entities(part: str) -> Unreadable:
    """The refusal of a part that declares XML entities (``part``: its name, or "" when it is
    not known)."""
    named = f"the workbook's part {part}" if part else "a part of the workbook"
    return Unreadable(
        f"{named} declares XML entities (a DTD), which Excel and LibreOffice "
        "never write: the mark of an entity bomb or an attempt to read local files; it was not "
        "parsed",
        "do not open the file; ask the client to export the inventory again",
        "xml-entities",
    )


def _tags(prefix: bytes) -> dict[str, Any]:
    p = re.escape(prefix)
    return {
        "cell": re.compile(rb"<" + p + rb"c[\s>/]"),
        "cell_without_r": re.compile(rb"<" + p + rb'c[\s>/](?!r=")'),
        "cell_r": b"<" + prefix + b'c r="',
        "cell_opens": tuple(b"<" + prefix + b"c" + end for end in (b" ", b">", b"/", b"\t", b"\n")),
        "row_open": b"<" + prefix + b'row r="',
        "row_r": re.compile(rb"<" + p + rb'row r="(\d+)"'),
        "multi": re.compile(rb"<" + p + rb'c r="([A-Za-z]{2,})\d'),
        "filled": re.compile(rb"<" + p + rb'c r="([A-Za-z]+)(\d+)"[^>/]*>'),
        "formula": (b"<" + prefix + b"f",),  # a false alarm (<filterColumn) costs little
        "any": re.compile(rb"<" + p + rb"(row|c)([\s/>])([^>]*?)(/?)>"),
        # a cell or row tag under any other prefix, or none (a literal "<" first, so that the
        # regex engine skips ahead with a fast search)
        "foreign": re.compile(
            rb"<(?!" + p + rb"(?:c|row)[\s/>])(?:[A-Za-z_][\w.-]*:)?(?:c|row)[\s/>]"
            if prefix
            else rb"<[A-Za-z_][\w.-]*:(?:c|row)[\s/>]"
        ),
    }


def _scan_fast(buffer: bytes, tags: dict[str, Any], scan: _PartScan) -> bool:
    """Bounds on the last row and column, for a part whose cells all start ``<c r="..."``
    (False when one does not), in a few regex searches rather than a Python object per cell:
    the last row is bounded by the row tags (no cell may name a row whose first digit is past
    the last row tag's: 20,001 → at most 29,999), the last column by the two- and three-letter
    references (26 when there are none). When the bounds break a limit, the part is scanned
    again with :func:`_scan_precise`."""
    if not tags["cell"].search(buffer):
        return True
    if sum(map(buffer.count, tags["cell_opens"])) != buffer.count(tags["cell_r"]):
        return False  # a cell without a leading r="A1" (bytes.count runs in C, no regex)
    scan.formulas = scan.formulas or any(tag in buffer for tag in tags["formula"])
    scan.errors = scan.errors or _may_hold_errors(buffer)
    # Excel writes rows in ascending order; the last row tag bounds the block (a cell past
    # its row tag, or rows out of order, sends the part to the exact scan below).
    last = tags["row_r"].match(buffer, max(buffer.rfind(tags["row_open"]), 0))
    if last:
        scan.max_row_tag = max(scan.max_row_tag, int(last.group(1)))
    digits = str(scan.max_row_tag)
    first, length = int(digits[0]), len(digits)
    beyond = rb"\d{%d,}" % (length + 1)
    if first < 9:
        beyond += rb"|[%d-9]\d{%d}" % (first + 1, length - 1)
    if not scan.max_row_tag or re.search(
        re.escape(tags["cell_r"]) + rb"[A-Za-z]+(?:" + beyond + rb')"', buffer
    ):
        scan.max_row = 10**10  # a cell past its row tags: only the exact figures will do
    scan.max_row = max(scan.max_row, (first + 1) * 10 ** (length - 1) - 1)
    if scan.max_col < 26:
        scan.max_col, scan.max_ref = 26, "Z"
    for letters in set(tags["multi"].findall(buffer)):
        _widen(scan, letters)
    return True


def _may_hold_errors(buffer: bytes) -> bool:
    """Might the block hold an error cell (``t="e"``, ``t='e'``, ``t = "e"``)? A value ``e``
    in either quote is enough: a false alarm costs only the exact scan of the part."""
    return b'"e"' in buffer or (b"'" in buffer and b"'e'" in buffer)


def _scan_precise(buffer: bytes, tags: dict[str, Any], scan: _PartScan) -> bool:
    """The exact last row and column holding a value, for a part whose cells all start
    ``<c r="..."`` (False when one does not)."""
    if not tags["cell"].search(buffer):
        return True
    if tags["cell_without_r"].search(buffer):
        return False
    scan.formulas = scan.formulas or any(tag in buffer for tag in tags["formula"])
    scan.errors = scan.errors or _may_hold_errors(buffer)
    refs = tags["filled"].findall(buffer)
    if refs:
        scan.max_row = max(scan.max_row, max(map(int, map(itemgetter(1), refs))))
        for letters in set(map(itemgetter(0), refs)):
            _widen(scan, letters)
    return True


def _column_number(letters: bytes) -> int:
    if len(letters) > 7:  # far past Excel's XFD: refused by the column bound
        return 10**10
    number = 0
    for letter in letters.upper():
        number = number * 26 + (letter - 64)
    return number


def _widen(scan: _PartScan, letters: bytes) -> None:
    number = _column_number(letters)
    if number > scan.max_col:
        scan.max_col, scan.max_ref = number, letters.decode("ascii", "replace")[:12]


def _scan_exact(archive: zipfile.ZipFile, info: zipfile.ZipInfo, tags) -> _PartScan:
    """Every row and cell tag, positions counted as calamine counts them when ``r`` is missing."""
    scan = _PartScan(formulas=True, errors=True)
    row = col = 0
    with archive.open(info) as stream:
        for buffer in tag_blocks(stream):
            for name, _, attributes, closed in tags["any"].findall(buffer):
                found = _ATTR_R.search(b" " + attributes)
                ref = _REF.match(found.group(1)) if found else None
                if name == b"row":
                    row = int(ref.group(2)) if ref and ref.group(2) else row + 1
                    col = 0
                    continue
                if ref and ref.group(1):
                    col = _column_number(ref.group(1))
                    cell_row = int(ref.group(2)) if ref.group(2) else row
                else:
                    col, cell_row = col + 1, row
                if not closed and col and cell_row:
                    scan.max_row = max(scan.max_row, cell_row)
                    if col > scan.max_col:
                        scan.max_col, scan.max_ref = col, column_letters(col - 1)
    return scan


def _check_prefixes(scans: dict[str, _PartScan], parts: dict[str, str]) -> None:
    """Refuse a worksheet part whose cell or row tags carry another namespace prefix than its
    root element (``<x:worksheet>`` around ``<c>``, or the reverse): valid XML, but Excel never
    writes it, and the scans that bound the used range and find formulas and error cells look
    for the root's prefix, so they would see no cells there."""
    for name, part in parts.items():
        if part in scans and scans[part].mixed_prefixes:
            raise Unreadable(
                f"sheet {name!r} ({part}) mixes XML namespace prefixes on its cells and rows, "
                "which Excel never writes; nistpf cannot check such a sheet before reading it",
                "open the workbook in Excel or LibreOffice and save it again",
                "damaged",
            )


def _over_limits(scans: dict[str, _PartScan]) -> bool:
    return (
        any(s.max_col > limits.MAX_COLUMNS or s.max_row > limits.MAX_ROWS for s in scans.values())
        or sum(s.max_row * s.max_col for s in scans.values()) > limits.MAX_CELLS
    )


def _check_used_ranges(
    archive: zipfile.ZipFile, scans: dict[str, _PartScan], parts: dict[str, str]
) -> None:
    """Refuse a sheet whose values reach past ``MAX_ROWS`` or ``MAX_COLUMNS``, and a workbook
    whose used ranges add up to more than ``MAX_CELLS`` (calamine holds them densely). The
    cheap bounds usually settle it; when they do not, the exact figures are found."""
    if not _over_limits(scans):
        return
    for part, scan in list(scans.items()):
        if scan.approximate and scan.max_row:
            scans[part] = _scan_part(archive, archive.getinfo(part), precise=True)
    names = {part: name for name, part in parts.items()}
    total = 0
    for part, scan in scans.items():
        sheet = f"sheet {names[part]!r}" if part in names else f"the part {part}"
        if scan.max_col > limits.MAX_COLUMNS:
            columns = f"{scan.max_col:,} columns" if scan.max_col < 10**10 else "too many columns"
            raise _too_large(
                f"{sheet} has values out to column {scan.max_ref} ({columns}); nistpf reads at "
                f"most {limits.MAX_COLUMNS:,} columns a sheet",
                "delete the columns right of the inventory (or copy the inventory sheets into a "
                "new workbook) and save again",
            )
        if scan.max_row > limits.MAX_ROWS:
            raise _too_large(
                f"{sheet} has values down to row {scan.max_row:,}; nistpf reads at most "
                f"{limits.MAX_ROWS:,} rows a sheet",
                "delete the rows below the inventory (or copy the inventory sheets into a new "
                "workbook) and save again",
            )
        total += scan.max_row * scan.max_col
    if total > limits.MAX_CELLS:
        raise _too_large(
            f"the workbook's used ranges span {total:,} cells; nistpf reads at most "
            f"{limits.MAX_CELLS:,}",
            "delete stray values far below or right of the inventory, or copy the inventory "
            "sheets into a new workbook, and save again",
        )


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text[:120]


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _sheet_parts(archive: zipfile.ZipFile, *, chartsheets: bool = False) -> dict[str, str]:
    """Worksheet name → its XML part, from the workbook and its relationships (``chartsheets``:
    only the sheets whose relationship is a chartsheet's, which openpyxl parses whole). A
    target is matched to the archive's part names without regard to case, as python-calamine
    matches it (``/XL/worksheets/sheet1.xml`` is ``xl/worksheets/sheet1.xml``). Raises
    :class:`Unreadable` for a sheet whose part is not in the archive, and for two sheets of one
    name or on one part, which Excel never writes: calamine reads the part once for each sheet,
    so a 2 MB file of 120 sheets on one part of a million cells would be 120 million cells,
    while the bounds count each part once."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    try:
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return {}
    if workbook is None or rels is None:
        return {}
    targets = {
        rel.get("Id"): (rel.get("Target", ""), rel.get("Type", ""))
        for rel in rels.iter(f"{_PKG_REL_NS}Relationship")
    }
    names = archive_names(archive)
    parts = {}
    sheet_of: dict[str, str] = {}  # part → the sheet read from it
    named = set()
    sheets = (sheet for ns in MAIN_NAMESPACES for sheet in workbook.iter(f"{ns}sheet"))
    for sheet in sheets:
        ids = (sheet.get(f"{ns}id") for ns in REL_NAMESPACES)
        target, kind = targets.get(next(filter(None, ids), None), ("", ""))
        if not target:
            continue
        path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        part = names.get(posixpath.normpath(path).lower())
        name = sheet.get("name")
        if part is None:
            raise Unreadable(
                f"sheet {name!r} is listed in the workbook, but its part "
                f"{posixpath.normpath(path)} is not in the file",
                "open it in Excel, repair it if asked, and save it again",
                "damaged",
            )
        if part in sheet_of or name in named:
            raise Unreadable(
                (
                    f"sheets {sheet_of[part]!r} and {name!r} are both read from the part {part}"
                    if part in sheet_of
                    else f"the workbook lists two sheets named {name!r}"
                )
                + ", which Excel never writes; nistpf cannot check such a workbook before "
                "reading it",
                "open it in Excel or LibreOffice, repair it if asked, and save it again",
                "damaged",
            )
        sheet_of[part] = name
        named.add(name)
        if not chartsheets or "chartsheet" in kind:
            parts[name] = part
    return parts


_CELL_TAGS = frozenset(f"{ns}c" for ns in MAIN_NAMESPACES)


def _cell_notes(
    archive: zipfile.ZipFile, part: str
) -> tuple[set[tuple[int, int]], dict[tuple[int, int], str]]:
    """Cells of a sheet part that hold a formula but no saved value, and cells that hold an
    Excel error (``#REF!``), which calamine reads as blank."""
    unsaved, errors = set(), {}
    with archive.open(part) as stream:
        for _, element in ElementTree.iterparse(stream, events=("end",)):
            if element.tag not in _CELL_TAGS:
                continue
            ns = element.tag[:-1]  # the cell's own namespace, transitional or Strict
            formula = element.find(f"{ns}f")
            value = element.find(f"{ns}v")
            inline = element.find(f"{ns}is")
            row, column = _cell_position(element.get("r", ""))
            if row and element.get("t") == "e" and value is not None and value.text:
                errors[(row, column)] = value.text.strip()[:20]
            elif (
                formula is not None
                # a text result (t="str") is saved even when it is the empty string: <v></v>
                and (value is None or (not value.text and element.get("t") != "str"))
                and inline is None
                and row
            ):
                unsaved.add((row, column))
            element.clear()
    return unsaved, errors


def _cell_position(reference: str) -> tuple[int, int]:
    letters = "".join(ch for ch in reference if ch.isalpha())
    digits = "".join(ch for ch in reference if ch.isdigit())
    column = 0
    for letter in letters.upper():
        column = column * 26 + (ord(letter) - 64)
    return (int(digits) if digits else 0, column - 1)


# -- shared strings: text many cells refer to, bounded before it is copied into each ----------

# How a workbook's shared strings are found: calamine reads xl/sharedStrings.xml in any case,
# openpyxl the part [Content_Types].xml names with this content type.
_TYPES = "[Content_Types].xml"
_STRINGS_PART = "xl/sharedstrings.xml"
_STRINGS_TYPE = b"sharedStrings+xml"
_OVERRIDE = re.compile(rb"<(?:[\w.-]+:)?Override\s[^>]*>")
_PART_NAME = re.compile(rb"""\sPartName\s*=\s*(?:"([^"]*)"|'([^']*)')""")
# A string's start tag under any prefix (<si>, <x:si>, <si/> for an empty one)
_SI_START = re.compile(rb"<(?:[\w.-]+:)?si(?:\s[^>]*)?/?>")
# A type attribute that is, or may be once its character references are read, t="s"
_SHARED_TYPE = re.compile(rb"""\st\s*=\s*(?:"(?:s|&#[^"]*)"|'(?:s|&#[^']*)')""")
# A sheet's blocks are aligned on a cell's end so that no cell is split; a run this long without
# one is taken as it is.
_CARRY_BYTES = 4 << 20
_SAVE_AGAIN = "open it in Excel or LibreOffice and save it again"


class _ContentTypes:
    """Fed ``[Content_Types].xml`` block by block: the part it names as the shared strings, as
    openpyxl finds it (the first ``Override`` with the shared-strings content type; ``None``
    when there is none), and every part it names as a main workbook part (``workbooks``: an
    ``Override`` whose content type ends ``main+xml``, the first of which openpyxl reads as the
    workbook)."""

    def __init__(self) -> None:
        self.strings: str | None = None
        self.workbooks: list[str] = []

    def feed(self, buffer: bytes) -> None:
        if _STRINGS_TYPE not in buffer and b"main+xml" not in buffer.lower():
            return
        for tag in _OVERRIDE.findall(buffer):
            name = _PART_NAME.search(tag)
            value = (name.group(1) or name.group(2) or b"") if name else b""
            if b"main+xml" in tag.lower():
                self.workbooks.append(value.decode("utf-8", "replace"))
            elif self.strings is None and _STRINGS_TYPE in tag:
                self.strings = value.decode("utf-8", "replace")


def _check_workbook_part(types: _ContentTypes) -> None:
    """Refuse a workbook whose ``[Content_Types].xml`` names another main workbook part than
    ``/xl/workbook.xml``: openpyxl reads the part named there (with its own relationships,
    sheets and defined names), calamine and the checks ``xl/workbook.xml``, so a decoy would
    be checked and the other part read unchecked."""
    for part in types.workbooks:
        if part != "/" + _WORKBOOK_PART:
            raise Unreadable(
                f"the workbook's [Content_Types].xml names {part or '(nothing)'} as its main "
                f"workbook part, but it is {_WORKBOOK_PART}: the two would be read differently",
                _SAVE_AGAIN,
                "damaged",
            )


class _StringTable:
    """The shared strings part, fed block by block (each cut just after a ``>``) by the scan
    that also refuses its DTD: ``sizes[i]`` is a bound on the characters of string ``i``, the
    bytes of its XML from its ``<si>`` to the next string's (its text, the dozen bytes of
    ``<t></t></si>`` around it, two to four bytes for a character outside ASCII, five for
    ``&amp;``), so no string is parsed; ``len(sizes)`` is how many strings the part lists, as
    calamine and openpyxl both count them (every ``si`` element, ``<si/>`` too).

    Refuses a part that is not UTF-8 (calamine does not read it), one holding a comment, a CDATA
    section or a processing instruction (Excel and LibreOffice never write one there, and text
    inside one could hide where a string starts from this count), and one listing more strings
    than ``MAX_CELLS`` (no workbook within the bounds refers to more)."""

    def __init__(self, part: str) -> None:
        self.part = part
        self.sizes = array("I")
        self.current = -1  # bytes of the string being read so far; -1 before the first string
        self.started = False

    def feed(self, buffer: bytes) -> None:
        body = buffer
        if not self.started:
            self.started = True
            if _utf16(buffer):
                raise _odd_part(self.part, "is not UTF-8 (calamine reads only UTF-8)")
            head = buffer.lstrip(b"\xef\xbb\xbf \t\r\n")
            if head.startswith(b"<?xml") and b"?>" in head:
                body = head[head.index(b"?>") + 2 :]  # the XML declaration
        if b"<!" in body or b"<?" in body:
            raise _odd_part(
                self.part,
                "holds a comment, a CDATA section or a processing instruction, which Excel and "
                "LibreOffice never write there",
            )
        if buffer.count(b"<si") != buffer.count(b"<si>") or b":si" in buffer:
            pieces = _SI_START.split(buffer)  # <si/>, <si ...>, <x:si>: the exact form
        else:
            pieces = buffer.split(b"<si>")  # what Excel and LibreOffice write
        if len(pieces) == 1:
            if self.current >= 0:
                self.current += len(buffer)
            return
        sizes = list(map(len, pieces))
        if self.current >= 0:
            self.sizes.append(self.current + sizes[0])
        self.sizes.extend(sizes[1:-1])
        self.current = sizes[-1]
        self._check_count()

    def finish(self) -> None:
        if self.current >= 0:
            self.sizes.append(self.current)
            self.current = -1
        self._check_count()

    def _check_count(self) -> None:
        if len(self.sizes) > limits.MAX_CELLS:
            raise _too_large(
                f"the workbook's shared strings ({self.part}) list more than "
                f"{limits.MAX_CELLS:,} strings; nistpf reads at most {limits.MAX_CELLS:,} "
                "cells, so no workbook it reads needs more"
            )


def _utf16(buffer: bytes) -> bool:
    """Does the part's first block look UTF-16 (a byte-order mark, or NUL bytes)?"""
    return buffer.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in buffer[:512]


def _odd_part(part: str, what: str) -> Unreadable:
    return Unreadable(
        f"the workbook's part {part} {what}; nistpf cannot check it before reading it",
        _SAVE_AGAIN,
        "damaged",
    )


def _shared_strings(
    archive: zipfile.ZipFile, types: _ContentTypes, scans: dict[str, Any]
) -> _StringTable | None:
    """The workbook's shared strings, scanned (:class:`_StringTable`, its DTD refused in the
    same pass), or None when it has none. calamine reads ``xl/sharedStrings.xml`` (in any case),
    openpyxl the part ``[Content_Types].xml`` names: a workbook naming another part there is
    refused, since its cells would be checked against one table and read from the other."""
    names = archive_names(archive)
    part = names.get(_STRINGS_PART)
    if types.strings is not None:
        named = names.get(types.strings.lstrip("/").lower())
        if named != part:
            raise Unreadable(
                f"the workbook's [Content_Types].xml names {types.strings or '(nothing)'} as its "
                f"shared strings, but {part or 'xl/sharedStrings.xml'} "
                f"{'holds them' if part else 'is missing'}: the two would be read differently",
                _SAVE_AGAIN,
                "damaged",
            )
    if part is None:
        return None
    table = _StringTable(part)
    scans[part] = _scan_part(archive, archive.getinfo(part), also=(table,))
    table.finish()
    return table


@dataclass(frozen=True)
class _RefPatterns:
    """The searches for a sheet's shared-string cells, spelled with the sheet's prefix."""

    close: bytes  # a cell's end tag, </c>
    # the form Excel writes, up to the number: "s"><v> (the type's value, then the number)
    opened: bytes
    # a value "s" not followed by that form: a number of at most 19 digits (a longer one
    # overflows calamine's index, which then reads string 0) and the cell's end
    odd: re.Pattern
    # the number of each cell of that form (the second pass)
    fast: re.Pattern
    # any cell whose type is t="s", with its number when it holds one plain <v>, "" when it
    # holds none (a blank cell to both readers)
    cell: re.Pattern


@functools.lru_cache(maxsize=8)
def _ref_patterns(prefix: bytes) -> _RefPatterns:
    p = re.escape(prefix)
    v_open, v_close, c_close = b"<" + p + b"v>", b"</" + p + b"v>", b"</" + p + b"c>"
    return _RefPatterns(
        close=b"</" + prefix + b"c>",
        opened=b'"s"><' + prefix + b"v>",
        odd=re.compile(rb'"s"(?!>' + v_open + rb"\d{0,19}" + v_close + c_close + rb")"),
        fast=re.compile(rb'"s">' + v_open + rb"(\d*)" + v_close + c_close),
        cell=re.compile(
            rb"<" + p + rb"c\s(?:[^>]*?\s)?t\s*=\s*[\"']s[\"'][^>]*?(?:/>|>\s*(?:<" + p
            + rb"v\s*/>|" + v_open + rb"(\d*)</" + p + rb"v\s*>)?\s*</" + p + rb"c\s*>)"
        ),
    )  # fmt: skip


class _StringRefs:
    """A worksheet part's cells that refer to a shared string (``t="s"``), fed block by block:
    ``refs`` cells counted in the form Excel writes (``t="s"><v>12</v></c>``, each bounded by
    the longest string), ``chars`` the bound on the cells read one by one (each by its own
    string's size), and, ``exact``, every cell by its own string. Refuses a shared-string cell
    whose number calamine and openpyxl would not read as written: not a plain number (``-1``,
    ``abc``, `` 1 ``), 20 digits or more, or (when read one by one) past the last string; and a
    part in UTF-16, whose cells the scan cannot see (calamine reads such a sheet as empty).

    The blocks are counted where they stand (no copy), up to the last cell's end; what follows
    it is carried, and counted with the next block's start up to its first cell's end, so no
    cell is split. A block in which every value ``"s"`` is in the form Excel writes, and no
    type is single-quoted or a character reference, is counted by a few searches; any other
    cell by cell."""

    def __init__(self, sheet: str, table: _StringTable, *, exact: bool = False) -> None:
        self.sheet = sheet
        self.table = table
        self.exact = exact
        self.refs = 0
        self.chars = 0
        self.cells = 0  # cells read one by one (not blank)
        self.carry = b""
        self.patterns: _RefPatterns | None = None

    def feed(self, buffer: bytes) -> None:
        if self.patterns is None:
            if _utf16(buffer):
                raise Unreadable(
                    f"sheet {self.sheet!r} is written in UTF-16, which Excel never writes; "
                    "nistpf cannot check it before reading it",
                    _SAVE_AGAIN,
                    "damaged",
                )
            root = _ROOT.search(buffer)
            self.patterns = _ref_patterns((root.group(1) + b":") if root and root.group(1) else b"")
        close = self.patterns.close
        start = 0
        if self.carry:
            head = buffer.find(close)
            if head < 0 and len(self.carry) + len(buffer) < _CARRY_BYTES:
                self.carry += buffer
                return
            start = len(buffer) if head < 0 else head + len(close)
            joined, self.carry = self.carry + buffer[:start], b""
            self._count(joined, 0, len(joined))
        if all(buffer.find(mark, start) < 0 for mark in (b'"s"', b"'s'", b"&#")):
            return  # no type attribute here can be "s"
        end = buffer.rfind(close, start)
        if end < 0:
            if len(buffer) - start < _CARRY_BYTES:
                self.carry = buffer[start:]
                return
            end = len(buffer)
        else:
            end += len(close)
        self._count(buffer, start, end)
        self.carry = buffer[end:]

    def finish(self) -> None:
        if self.carry:
            self._count(self.carry, 0, len(self.carry))
            self.carry = b""

    def _count(self, chunk: bytes, start: int, end: int) -> None:
        """Count the cells of ``chunk[start:end]``, which ends where a cell ends."""
        patterns = self.patterns
        if (
            patterns.odd.search(chunk, start, end) is None
            and chunk.find(b"'s'", start, end) < 0
            and chunk.find(b"&#", start, end) < 0
        ):
            if self.exact:
                self._add(patterns.fast.findall(chunk, start, end), chunk[start:end])
            else:
                self.refs += chunk.count(patterns.opened, start, end)
            return
        chunk = chunk[start:end]
        numbers = patterns.cell.findall(chunk)
        if len(numbers) != len(_SHARED_TYPE.findall(chunk)):
            raise self._odd_cell(chunk)
        self._add(numbers, chunk)

    def _add(self, numbers: list[bytes], chunk: bytes) -> None:
        numbers = [n for n in numbers if n]  # <v></v>: blank to both readers
        if not numbers:
            return
        sizes = self.table.sizes
        if max(map(len, numbers)) > 19 or max(map(int, numbers)) >= len(sizes):
            raise self._past_the_last(chunk)
        self.cells += len(numbers)
        self.chars += sum(map(sizes.__getitem__, map(int, numbers)))

    # -- the refusals: the cell found again, one by one ---------------------------------------

    def _odd_cell(self, chunk: bytes) -> Unreadable:
        """The first shared-string type attribute of ``chunk`` outside a cell of the form
        :attr:`_RefPatterns.cell` reads."""
        cells = [(m.start(), m.end()) for m in self.patterns.cell.finditer(chunk)]
        starts = [start for start, _ in cells]
        for found in _SHARED_TYPE.finditer(chunk):
            at = bisect.bisect_right(starts, found.start()) - 1
            if at >= 0 and cells[at][0] <= found.start() < cells[at][1]:
                continue
            begin = chunk.rfind(b"<", 0, found.start())
            end = chunk.find(b">", found.start())
            tag = chunk[begin : end + 1 if end >= 0 else len(chunk)]
            value = _LOOSE_VALUE.match(chunk, end + 1) if end >= 0 else None
            if value is not None and not value.group(1).isdigit():
                what = (
                    f"refers to shared string {_shown(value.group(1))}, which is not a string's "
                    "number"
                )
            else:
                what = f"refers to a shared string in a form Excel never writes ({_shown(tag)})"
            return self._refusal(_reference(tag), what)
        return _damaged(ValueError("a shared-string cell that could not be read"))

    def _past_the_last(self, chunk: bytes) -> Unreadable:
        count = len(self.table.sizes)
        for found in self.patterns.cell.finditer(chunk):
            number = found.group(1)
            if number and (len(number) > 19 or int(number) >= count):
                shown = number.decode("ascii")
                what = f"refers to shared string {shown}, past the last"
                return self._refusal(_reference(found.group(0)), what)
        return _damaged(ValueError("a shared-string index past the last"))

    def _refusal(self, reference: str, what: str) -> Unreadable:
        count = len(self.table.sizes)
        strings = (
            f"the workbook has {count:,} shared strings (0 to {count - 1:,})"
            if count
            else "the workbook has no shared strings"
        )
        return Unreadable(
            f"sheet {self.sheet!r}, cell {reference or '(no reference)'} {what}; {strings}",
            _SAVE_AGAIN,
            "bad-shared-string",
        )


# What a shared-string cell of an odd form holds, when that is one <v> (the refusal shows it)
_LOOSE_VALUE = re.compile(
    rb"\s*<(?:[\w.-]+:)?v(?:\s[^>]*)?>(.{0,40}?)</(?:[\w.-]+:)?v\s*>\s*</(?:[\w.-]+:)?c\s*>",
    re.DOTALL,
)


def _reference(tag: bytes) -> str:
    found = _ATTR_R.search(b" " + tag)
    return found.group(1).decode("ascii", "replace")[:12] if found else ""


def _shown(value: bytes) -> str:
    text = value.decode("utf-8", "replace")
    return repr(text if len(text) <= 40 else text[:40] + "…")


def _check_shared_text(
    archive: zipfile.ZipFile, table: _StringTable, refs: dict[str, _StringRefs]
) -> int:
    """Refuse a workbook whose cells that refer to shared strings would hold more than
    ``MAX_TEXT_CHARS`` characters once each is given its own copy (calamine copies the string
    into every cell). First bounded by the longest string times the cells counted; when that
    is over the limit, each part is read again and every cell counted by its own string's
    size. Returns the bound checked."""
    longest = max(table.sizes, default=0)
    bound = sum(r.chars + r.refs * longest for r in refs.values())
    if bound <= limits.MAX_TEXT_CHARS:
        return bound
    counted = {}
    for part, first in refs.items():
        if not first.refs:
            counted[part] = first
            continue
        again = _StringRefs(first.sheet, table, exact=True)
        with archive.open(part) as stream:
            for buffer in tag_blocks(stream):
                again.feed(buffer)
        again.finish()
        counted[part] = again
    total = sum(r.chars for r in counted.values())
    if total > limits.MAX_TEXT_CHARS:
        most = max(counted.values(), key=lambda r: r.chars)
        cells = sum(r.cells for r in counted.values())
        raise _too_large(
            f"{cells:,} cells refer to shared strings that, each cell counting its own copy, "
            f"come to up to {total:,} characters of text ({most.chars:,} in sheet "
            f"{most.sheet!r}); nistpf reads at most {limits.MAX_TEXT_CHARS:,}",
            "shorten or delete the long texts repeated over many cells (or copy the inventory "
            "sheets into a new workbook), and save again",
        )
    return total


def shared_string_error(path: str | Path) -> Unreadable | None:
    """The refusal naming the first cell of the ``.xlsx`` at ``path`` that refers to a shared
    string the workbook does not have (past the last, or any when it has none), or None: what
    a reader's own error for it (calamine's ``Cell string index not found``, openpyxl's
    ``IndexError``) does not say. Each sheet part is read again, cell by cell; call it only
    once :func:`check_archive` has passed the file."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive_names(archive)
            part = names.get(_STRINGS_PART)
            table = _StringTable(part or _STRINGS_PART)
            if part is not None:
                with archive.open(part) as stream:
                    for buffer in tag_blocks(stream):
                        table.feed(buffer)
                table.finish()
            for name, sheet in _sheet_parts(archive).items():
                counter = _StringRefs(name, table, exact=True)
                with archive.open(sheet) as stream:
                    for buffer in tag_blocks(stream):
                        counter.feed(buffer)
                counter.finish()
    except Unreadable as found:
        return found
    except (*_BROKEN_ZIP, DefusedXmlException):
        return None
    return None


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
        for number, row in enumerate(body, start=2):
            for position, value in enumerate(row):
                if type(value).__hash__ is None:  # a dict, or another value no cell can hold
                    raise Unreadable(
                        f"the DataFrame {name!r}, row {number - 2} (index), column "
                        f"{header[position]!r} holds a {type(value).__name__}, not a value",
                        "put text, a number, a date or a list in each cell",
                        "not-a-value",
                    )
        sheets[str(name)] = RawSheet(str(name), [header, *body], list(range(1, len(body) + 2)))
    return RawBook("DataFrames", sheets, None, "frames")
