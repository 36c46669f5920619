"""What a workbook says about its own structure, beside its cells: the Excel Tables on each sheet
(their range, header row and totals row), the rows and columns hidden in Excel, and whether a
filter is on. Merged ranges come from python-calamine (``merged_cell_ranges``); the rest is read
here from the ``.xlsx`` archive, in both the transitional and the Strict Open XML namespaces.

The sheet XML is not parsed again: one streaming pass, 1 MiB at a time, looks only for the few
attributes that matter (``hidden="1"`` on ``<row>`` and ``<col>``, ``<autoFilter>``,
``<filterColumn>``, ``filterMode``), so a 20,000-row sheet costs a decompression and a handful of
byte searches. Table parts are small and are parsed with defusedxml.

What :mod:`nistpf.inventory.tables` does with these facts is decided there: a table's header row
and range bound the data and its totals row is never data; hidden rows and columns are read, with
a warning; frozen panes and sheet protection change nothing and are not read at all.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from defusedxml import ElementTree

_PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"  # also Strict
_BLOCK = 1 << 20


@dataclass(frozen=True)
class TablePart:
    """An Excel Table (Insert > Table) as its part ``xl/tables/tableN.xml`` defines it. Rows are
    numbered as Excel numbers them, columns from 0 (A = 0)."""

    name: str
    ref: str  # "A1:C4": the whole table, header and totals rows included
    first_row: int
    first_column: int
    last_row: int
    last_column: int
    header_rows: int = 1  # headerRowCount: 1, or 0 for a table without a header row
    totals_rows: int = 0  # totalsRowCount: 1 when the Total Row is switched on
    filtered: bool = False  # its own filter has a condition set (<filterColumn>)

    @classmethod
    def spanning(
        cls,
        name: str,
        ref: str,
        bounds: tuple[int, int, int, int],
        *,
        header_rows: int,
        totals_rows: int,
        filtered: bool = False,
    ) -> TablePart:
        """The table over ``bounds`` (:func:`cell_range`'s first row, first column, last row,
        last column), its header and totals rows held to its height: what an ``.xlsx`` table
        part and an ``.ods`` database range both give."""
        first_row, first_column, last_row, last_column = bounds
        height = last_row - first_row + 1
        header_rows = min(header_rows, height)
        return cls(
            name, ref, first_row, first_column, last_row, last_column,
            header_rows, min(totals_rows, height - header_rows), filtered,
        )  # fmt: skip

    @property
    def header_row(self) -> int | None:
        """The Excel row of the table's header, None when it has none."""
        return self.first_row if self.header_rows else None

    @property
    def data_rows(self) -> range:
        """The Excel rows between the header row and the totals row."""
        return range(self.first_row + self.header_rows, self.last_row - self.totals_rows + 1)

    @property
    def totals(self) -> range:
        """The Excel rows of the totals row (empty when it is off)."""
        return range(self.last_row - self.totals_rows + 1, self.last_row + 1)


def tag_blocks(stream: Any) -> Iterator[bytes]:
    """An XML part read 1 MiB at a time, in blocks each cut just after a ``>`` so that no tag is
    split between two blocks; a run of 4 MiB with no ``>`` (no real tag is that long) is given
    as it is. The part is never held whole."""
    carry = b""
    while True:
        block = stream.read(_BLOCK)
        buffer = carry + block
        if not block:
            if buffer:
                yield buffer
            return
        cut = buffer.rfind(b">") + 1
        if cut == 0 and len(buffer) < 4 * _BLOCK:
            carry = buffer
            continue
        cut = cut or len(buffer)
        carry = buffer[cut:]
        yield buffer[:cut]


@dataclass(frozen=True)
class SheetStructure:
    """A worksheet's structure facts: its Excel Tables, the rows (Excel numbers) and columns
    (from 0) hidden in Excel, and the range of its filter when a filter is on (``""`` when
    not)."""

    tables: tuple[TablePart, ...] = ()
    hidden_rows: frozenset[int] = field(default_factory=frozenset)
    hidden_columns: frozenset[int] = field(default_factory=frozenset)
    filter: str = ""


def archive_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """The archive's part names by their lower-case form: a relationship's target is matched
    to a part without regard to case, as python-calamine matches it (the first of two names
    differing only in case wins)."""
    names: dict[str, str] = {}
    for name in archive.namelist():
        names.setdefault(name.lower(), name)
    return names


def read_structure(
    archive: zipfile.ZipFile, parts: dict[str, str], flags: dict[str, SheetFlags]
) -> dict[str, SheetStructure]:
    """Sheet name → its structure, for each worksheet part in ``parts`` (sheet name → part path,
    as :func:`nistpf.inventory.read._sheet_parts` finds them), from its table parts and the
    ``flags`` gathered while the part was scanned (part path → :class:`SheetFlags`). Sheets with
    nothing to tell are left out. Raises what a damaged archive or XML part raises
    (``KeyError``, ``zlib.error``, ``ElementTree.ParseError``, defusedxml's refusals); the
    caller turns those into one line."""
    found = {}
    names = archive_names(archive)
    for sheet, part in parts.items():
        if part not in names:
            continue
        tables = tuple(_tables(archive, part, names))
        rows, columns, sheet_filter = flags[part].result() if part in flags else ((), (), "")
        if not sheet_filter:
            sheet_filter = next((t.ref for t in tables if t.filtered), "")
        if tables or rows or columns or sheet_filter:
            found[sheet] = SheetStructure(tables, rows, columns, sheet_filter)
    return found


# -- Excel Tables ------------------------------------------------------------------------------


def _tables(archive: zipfile.ZipFile, part: str, names: dict[str, str]) -> list[TablePart]:
    """The tables a sheet part's relationships name (``Type`` ending ``/table``, in either
    namespace set); ``names`` are the archive's part names by their lower-case form."""
    folder, base = posixpath.split(part)
    rels = names.get(posixpath.join(folder, "_rels", base + ".rels").lower())
    if rels is None:
        return []
    root = ElementTree.fromstring(archive.read(rels))
    found = []
    for rel in root.iter(f"{_PACKAGE_RELS}Relationship"):
        if not rel.get("Type", "").endswith("/table") or rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        path = names.get(posixpath.normpath(path).lower())
        if path is not None:
            table = _table(archive.read(path), path)
            if table is not None:
                found.append(table)
    return sorted(found, key=lambda t: (t.first_row, t.first_column))


def _table(xml: bytes, part: str = "") -> TablePart | None:
    """The table a table part defines; None for a part that is not a table or has no range.
    Raises :class:`nistpf.inventory.read.Unreadable` for a range that is not one on a sheet
    (row 0, a row past 1,048,576 or a column past XFD), which Excel never writes: the table
    cannot bound the data, and reading around it would be a guess."""
    from nistpf.inventory.read import MAIN_NAMESPACES, Unreadable  # read imports this module

    root = ElementTree.fromstring(xml)
    namespace = next((ns for ns in MAIN_NAMESPACES if root.tag == f"{ns}table"), None)
    ref = (root.get("ref") or "").strip()
    if not namespace or not ref:
        return None  # not a table part, or one without a range: nothing it could bound
    bounds = cell_range(ref)
    if bounds is None:
        name = root.get("displayName") or root.get("name") or ""
        raise Unreadable(
            f"the Excel Table {name!r} ({part or 'a table part'}) has the range {ref[:40]!r}, "
            "which is not a range of cells on a sheet",
            "open the workbook in Excel, repair it if asked, and save it again",
            "damaged",
        )
    auto_filter = root.find(f"{namespace}autoFilter")
    return TablePart.spanning(
        root.get("displayName") or root.get("name") or "",
        root.get("ref", ""),
        bounds,
        header_rows=_count(root.get("headerRowCount"), 1),
        totals_rows=_count(root.get("totalsRowCount"), 0),
        filtered=auto_filter is not None
        and auto_filter.find(f"{namespace}filterColumn") is not None,
    )


def _count(value: str | None, default: int) -> int:
    return int(value) if value and value.strip().isdigit() else default


# -- hidden rows and columns, filters: one streaming pass over the sheet XML -------------------

# A literal first, so that the regex engine skips ahead with a fast search (no \b before it).
_HIDDEN = re.compile(rb"""hidden\s*=\s*["'](?:1|true)["']""")
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|col)\s([^>]*)>")
_ATTRIBUTE = re.compile(rb"""\b(r|min|max)\s*=\s*["'](\d+)["']""")
_FILTER = re.compile(rb"""<(?:[A-Za-z_][\w.-]*:)?autoFilter\b[^>]*?\bref\s*=\s*["']([^"']*)["']""")
_FILTER_MODE = re.compile(rb"""\bfilterMode\s*=\s*["'](?:1|true)["']""")
_MAX_COLUMN = 16_384  # XFD: a <col> may hide "every column to the right"
_MAX_ROW = 1_048_576  # Excel's last row


class SheetFlags:
    """Hidden rows (Excel numbers), hidden columns (from 0) and the filter's range when a filter
    is on (``<filterColumn>`` under the sheet's ``<autoFilter>``, or ``filterMode="1"``),
    gathered block by block (:func:`tag_blocks`) while the reader's own scan of the sheet part
    streams it, so the part is inflated once. A row hidden without an ``r`` attribute cannot be
    numbered without parsing every row and is not reported (Excel always writes ``r``)."""

    def __init__(self) -> None:
        self.rows: set[int] = set()
        self.columns: set[int] = set()
        self.filter_ref = ""
        self.filter_on = False

    def feed(self, buffer: bytes) -> None:
        """Take in the next block of the part's XML (cut after a tag)."""
        for hit in _HIDDEN.finditer(buffer):
            if not buffer[hit.start() - 1 : hit.start()].isspace():
                continue  # part of a longer name
            tag = _TAG.match(buffer, buffer.rfind(b"<", 0, hit.start()))
            if tag is None or hit.start() > tag.end():
                continue
            numbers = dict(_ATTRIBUTE.findall(tag.group(2)))
            if tag.group(1) == b"row" and b"r" in numbers:
                self.rows.add(int(numbers[b"r"]))
            elif tag.group(1) == b"col" and b"min" in numbers:
                low = int(numbers[b"min"])
                high = min(int(numbers.get(b"max", low)), _MAX_COLUMN)
                self.columns.update(range(low - 1, high))
        if b"ilter" in buffer:  # one search for autoFilter, filterColumn and filterMode
            found = _FILTER.search(buffer) if b"autoFilter" in buffer else None
            self.filter_ref = (
                found.group(1).decode("ascii", "replace") if found else self.filter_ref
            )
            self.filter_on = (
                self.filter_on
                or b"filterColumn" in buffer
                or (b"filterMode" in buffer and bool(_FILTER_MODE.search(buffer)))
            )

    def result(self) -> tuple[frozenset[int], frozenset[int], str]:
        """(hidden rows, hidden columns, the filter's range or ``""`` when none is on)."""
        return (
            frozenset(self.rows),
            frozenset(self.columns),
            self.filter_ref if self.filter_on else "",
        )


# -- cell references ---------------------------------------------------------------------------

_CELL = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})")


def column_letters(column: int) -> str:
    """The letters of a column numbered from 0 (0 → A, 27 → AB)."""
    out, number = "", column + 1
    while number > 0:
        number, rest = divmod(number - 1, 26)
        out = chr(65 + rest) + out
    return out


def column_index(letters: str) -> int | None:
    """The column (from 0) that ``letters`` name (``"C"`` → 2, ``"ab"`` → 27), None when they
    are not column letters or pass Excel's last column, XFD."""
    letters = letters.strip().upper()
    if not letters.isascii() or not letters.isalpha() or len(letters) > 3:
        return None
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number - 1 if number <= _MAX_COLUMN else None


def cell_range(ref: str) -> tuple[int, int, int, int] | None:
    """``"B3:E10"`` → (first row, first column, last row, last column): rows as Excel numbers
    them, columns from 0. A single cell is a range of one. None when ``ref`` is not a range, or
    names row 0, a row past 1,048,576 or a column past XFD."""
    ends = [_CELL.fullmatch(end) for end in ref.strip().split(":")]
    if not 1 <= len(ends) <= 2 or not all(ends):
        return None
    (c0, r0), (c1, r1) = ((end.group(1), end.group(2)) for end in (ends[0], ends[-1]))
    first, last = column_index(c0), column_index(c1)
    if first is None or last is None or not all(1 <= int(r) <= _MAX_ROW for r in (r0, r1)):
        return None
    return min(int(r0), int(r1)), min(first, last), max(int(r0), int(r1)), max(first, last)


def range_ref(first_row: int, first_column: int, last_row: int, last_column: int) -> str:
    """The reference Excel shows for a range (rows as Excel numbers them, columns from 0)."""
    start = f"{column_letters(first_column)}{first_row}"
    if (first_row, first_column) == (last_row, last_column):
        return start
    return f"{start}:{column_letters(last_column)}{last_row}"
