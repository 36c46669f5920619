"""What an OpenDocument spreadsheet (``.ods``) says about its cells, beyond what python-calamine
reads: each table's last row and column holding a value, its merged ranges, the cells holding an
error, and the formulas whose result was never saved.

python-calamine reads the values, but it expands ``table:number-rows-repeated`` and
``table:number-columns-repeated`` densely: a valued row repeated 1,000,000 times (a few bytes of
XML) would become a million rows. So ``content.xml`` is scanned first, one element at a time and
never whole, and the repetitions are counted, not expanded, until the used ranges are known to be
inside :mod:`nistpf.inventory.limits`.

The rules, from the OpenDocument 1.3 schema (part 3, §9.1 tables and §19.385 ``office:value-type``)
and what LibreOffice Calc writes:

- A cell holds a value when it has an ``office:value-type``, a ``table:formula``, text in a
  ``text:p``, or a value attribute (``office:value``, ``office:string-value``,
  ``office:date-value``, ``office:time-value``, ``office:boolean-value``): python-calamine reads
  ``<table:table-cell office:value="1"/>`` as the number 1 though it names no type.
  ``table:covered-table-cell`` (the cells a merged range hides) take grid positions like any
  cell.
- The text a table's cells hold is counted as calamine builds it, each repeated cell (a
  ``table:number-columns-repeated`` cell in a ``table:number-rows-repeated`` row) once for every
  cell it stands for: every piece of text inside the cell, each ``<text:s text:c="n"/>`` as
  ``n`` spaces, and the string, date, time and formula attributes it copies into each cell
  (``Table.text_chars``; the reader holds it to ``MAX_TEXT_CHARS``).
- A merged range is a ``table:table-cell`` with ``table:number-rows-spanned`` or
  ``table:number-columns-spanned`` above 1; it is given in calamine's shape for ``.xlsx``,
  ``((first row, first column), (last row, last column))``, 0-based and inclusive.
- An error cell is one LibreOffice marks ``calcext:value-type="error"``, or a formula cell whose
  shown text is an error (``#REF!``, ``#DIV/0!``, ``Err:502``…). calamine reads such a cell as
  blank, as ``0`` or as the error's text, so the reader blanks it and reports the error instead.
- A row or column is hidden when its ``table:visibility`` is ``collapse`` (hidden) or ``filter``
  (hidden by a filter); a filter is on when a ``table:database-range`` holds filter conditions,
  and its range is that database range's. These fill the same
  :class:`~nistpf.inventory.structure.SheetStructure` an ``.xlsx`` gives.
- A named ``table:database-range`` is what an Excel Table becomes when LibreOffice saves the
  workbook as ``.ods`` (and what Data > Define Range makes): it is given as the same
  :class:`~nistpf.inventory.structure.TablePart` an ``.xlsx`` table part gives, so its header
  row and range bound the data and its totals row is never data. Its header row is there unless
  ``table:contains-header="false"`` (§9.4.2); its totals row is there when
  ``calcext:contains-footer="true"`` (what LibreOffice writes since 24.8, tdf#162963; read in the
  ``table`` namespace too, for the ODF version that takes it in), and is inferred by
  :func:`_inferred_totals` when the file says nothing. The anonymous ranges LibreOffice makes
  for an AutoFilter on a plain sheet (``__Anonymous_Sheet_DB__0``) are filters, not tables, as
  an ``.xlsx`` sheet's ``<autoFilter>`` is: they only say where a filter is.
- A formula's result was never saved when the cell has no ``office:value-type`` and no text, or a
  number, date, time or boolean type without its value attribute (a file written by a script and
  never opened in a spreadsheet program). A ``string`` result is saved even when empty.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.parsers import expat

from defusedxml import DTDForbidden, ElementTree

from nistpf.inventory.structure import TablePart, cell_range, column_index

# Names as expat gives them: the namespace URI and the local name joined by "}".
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}"

_TABLE_TAG = _TABLE + "table"
_ROW_TAG = _TABLE + "table-row"
_CELL_TAG = _TABLE + "table-cell"
_COVERED_TAG = _TABLE + "covered-table-cell"
_CELL_TAGS = frozenset({_CELL_TAG, _COVERED_TAG})
_COLUMN_TAG = _TABLE + "table-column"
_RANGE_TAG = _TABLE + "database-range"
_CONTAINS_HEADER = _TABLE + "contains-header"
_CONTAINS_FOOTER = (_CALCEXT + "contains-footer", _TABLE + "contains-footer")
_ANONYMOUS_RANGE = "__Anonymous_"  # __Anonymous_Sheet_DB__0: an AutoFilter, not a table
_CONDITION_TAGS = frozenset(_TABLE + tag for tag in ("filter-condition", "filter-set-item"))
_VISIBILITY = _TABLE + "visibility"
_HIDDEN = frozenset({"collapse", "filter"})
_PARAGRAPH_TAG = _TEXT + "p"
_ROWS_REPEATED = _TABLE + "number-rows-repeated"
_COLUMNS_REPEATED = _TABLE + "number-columns-repeated"
_ROWS_SPANNED = _TABLE + "number-rows-spanned"
_COLUMNS_SPANNED = _TABLE + "number-columns-spanned"
_FORMULA = _TABLE + "formula"
_SPACES_TAG = _TEXT + "s"  # <text:s text:c="3"/>: three spaces
_SPACES_COUNT = _TEXT + "c"
# Attributes whose value python-calamine copies into each cell the cell stands for: a string, a
# date or a time as written, and the formula (read with the values, one copy a cell too).
_TEXT_ATTRIBUTES = (
    *(_OFFICE + name for name in ("string-value", "date-value", "time-value")),
    _FORMULA,
)
# Attributes that give a cell a value to python-calamine whatever its office:value-type, or
# without one: <table:table-cell office:value="1"/> is the number 1.
_VALUE_ATTRIBUTES = tuple(
    _OFFICE + name
    for name in ("value", "string-value", "date-value", "time-value", "boolean-value")
)
_VALUE_TYPE = _OFFICE + "value-type"

# The attribute holding a saved result of each value type (``string`` results are the text).
_VALUE_ATTRIBUTE = {
    "float": _OFFICE + "value",
    "percentage": _OFFICE + "value",
    "currency": _OFFICE + "value",
    "date": _OFFICE + "date-value",
    "time": _OFFICE + "time-value",
    "boolean": _OFFICE + "boolean-value",
}
# What a formula cell shows when it failed: Excel's error values (which LibreOffice writes for
# the errors they share) and LibreOffice's own "Err:nnn" codes.
_ERROR_TEXT = re.compile(r"#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A)|Err:\d{3}")
# Repetition counts beyond this are treated as this: far past any limit, and cheap to multiply.
_MAX_COUNT = 10**9
# Cells a workbook's error cells, unsaved formulas and merged ranges may cover, counted from their
# runs before they are expanded one entry per cell (a row of 26 error cells repeated 190,000
# times is a few hundred bytes of XML and would be 5 million entries). A real inventory has a
# handful; a spreadsheet past this is refused, not read with the rest silently as values.
MAX_NOTED_CELLS = 100_000
# Rows holding a SUBTOTAL or AGGREGATE formula kept per table for totals-row inference; past
# this many (no inventory has them) later ones are not kept, and no totals row is inferred there.
_MAX_SUBTOTAL_ROWS = 10_000


@dataclass
class Table:
    """One ``table:table`` of ``content.xml``: the extent of its values (1-based: the last row
    and column holding one, 0 when none does) and, in compact form (a run of repeated cells is
    one entry), its merges, error cells and unsaved formulas. :meth:`merged`, :meth:`errors` and
    :meth:`unsaved` expand the runs; call them only once the extent is known to be in bounds."""

    name: str
    max_row: int = 0
    max_col: int = 0
    position: int = 0  # 0 for the first table of content.xml, as calamine lists its sheets
    # (first row, rows repeated, first column, columns repeated, row span, column span), 0-based
    merge_runs: list[tuple[int, int, int, int, int, int]] = field(default_factory=list)
    # (first row, rows repeated, first column, columns repeated, error text), 0-based
    error_runs: list[tuple[int, int, int, int, str]] = field(default_factory=list)
    # (first row, rows repeated, first column, columns repeated), 0-based
    unsaved_runs: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden_row_runs: list[tuple[int, int]] = field(default_factory=list)  # (first, count) 0-based
    hidden_column_runs: list[tuple[int, int]] = field(default_factory=list)
    filter: str = ""  # the range of a filter that is on ("A1:E20"), "" when none is
    columns: int = 0  # table:table-column positions counted so far
    # its named database ranges, as the table parts of an .xlsx sheet (by first row and column)
    database_ranges: list[TablePart] = field(default_factory=list)
    # rows holding a SUBTOTAL or AGGREGATE formula: (first row 0-based, rows repeated, cells),
    # each cell holding a formula or a value other than text as (first column 0-based, columns
    # repeated, value type, formula)
    subtotal_rows: list[tuple[int, int, list[tuple[int, int, str | None, str | None]]]] = field(
        default_factory=list
    )
    # characters of text its cells hold once each repeated cell is a cell of its own: what
    # python-calamine builds (see _Scanner.text_of)
    text_chars: int = 0

    def merged(self) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        """Merged ranges whose first cell lies inside the used range,
        ``((r0, c0), (r1, c1))`` 0-based and inclusive, as calamine gives them for ``.xlsx``."""
        return [
            ((row, col), (row + rows - 1, col + cols - 1))
            for row, col, (rows, cols) in self._cells(self.merge_runs)
        ]

    def errors(self) -> dict[tuple[int, int], str]:
        """(row number, 0-based column) → the error the cell shows (``#REF!``, ``Err:502``)."""
        return {(row + 1, col): text for row, col, (text,) in self._cells(self.error_runs)}

    def unsaved(self) -> set[tuple[int, int]]:
        """(row number, 0-based column) of formulas whose result was never saved."""
        return {(row + 1, col) for row, col, _ in self._cells(self.unsaved_runs)}

    def hidden_rows(self) -> frozenset[int]:
        """Row numbers of the used range hidden in the spreadsheet or by a filter."""
        return frozenset(
            row + 1
            for first, count in self.hidden_row_runs
            for row in range(first, min(first + count, self.max_row))
        )

    def hidden_columns(self) -> frozenset[int]:
        """0-based columns of the used range hidden in the spreadsheet."""
        return frozenset(
            col
            for first, count in self.hidden_column_runs
            for col in range(first, min(first + count, self.max_col))
        )

    def noted_cells(self) -> int:
        """How many entries :meth:`merged`, :meth:`errors` and :meth:`unsaved` would give
        together, counted from the runs, none expanded."""
        runs = (*self.error_runs, *self.unsaved_runs, *self.merge_runs)
        return sum(self._extent(run) for run in runs)

    def _extent(self, run: tuple) -> int:
        first_row, rows, first_col, cols = run[:4]
        height = max(0, min(first_row + rows, self.max_row) - first_row)
        width = max(0, min(first_col + cols, self.max_col) - first_col)
        return height * width

    def _cells(self, runs) -> Iterator[tuple[int, int, tuple]]:
        for first_row, rows, first_col, cols, *rest in runs:
            for row in range(first_row, min(first_row + rows, self.max_row)):
                for col in range(first_col, min(first_col + cols, self.max_col)):
                    yield row, col, tuple(rest)


def scan_content(archive: zipfile.ZipFile, part: str = "content.xml") -> dict[str, Table]:
    """Every table of an OpenDocument spreadsheet's ``content.xml``, by name, in one streaming
    pass (expat, 1 MiB at a time, no tree built) that holds only the cell being read, in the
    order of the document (each table's ``position``). Raises :class:`DuplicateTable` for two
    tables of one name. Raises
    what a damaged archive or XML raises (:mod:`zipfile`, :mod:`zlib`, ``ParseError``) and
    defusedxml's ``DTDForbidden`` for a DTD (which the reader's first scan has refused before);
    the caller turns each into a one-line message."""
    scanner = _Scanner()
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.StartElementHandler = scanner.start
    parser.EndElementHandler = scanner.end
    parser.CharacterDataHandler = scanner.data
    try:
        with archive.open(part) as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                parser.Parse(block, False)
            parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise ElementTree.ParseError(f"{part}: {error}") from error
    tables = scanner.tables
    for address in scanner.filters:
        sheet, reference = _range_address(address)
        if sheet in tables and reference:
            tables[sheet].filter = tables[sheet].filter or reference
    for database_range in scanner.ranges:
        _add_database_range(tables, database_range)
    for table in tables.values():
        table.database_ranges.sort(key=lambda t: (t.first_row, t.first_column))
    return tables


class DuplicateTable(Exception):
    """Two tables of ``content.xml`` have one name (``name``), which LibreOffice never writes:
    which one a name means would be a guess."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def _refuse_dtd(*_) -> None:
    raise DTDForbidden(None, None, None)


class _Scanner:
    """expat's handlers for :func:`scan_content`: positions are counted as the grid has them,
    repeated rows and cells as one run each."""

    def __init__(self) -> None:
        self.tables: dict[str, Table] = {}
        self.table: Table | None = None
        self.depth = 0  # of nested table:table elements (a table inside a cell is not a sheet)
        self.cell: tuple[str, dict] | None = None  # the cell being read: its tag and attributes
        self.inner = 0  # elements open inside that cell
        self.paragraphs: list[list[str]] = []  # the text of its text:p children
        self.in_paragraph = False
        self.cell_chars = 0  # characters of text anywhere inside it, spaces of text:s included
        self.row = self.col = 0  # 0-based: the row being read, the next cell's column
        self.row_repeat = 1
        self.row_last = 0  # 1-based column of the last value in the row being read
        self.filter_range: str | None = None  # the address of the database range being read
        self.filters: list[str] = []  # the addresses of database ranges with filter conditions
        self.ranges: list[_DatabaseRange] = []  # every database range, in document order
        self.row_cells: list[tuple[int, int, str | None, str | None]] = []  # the row's values
        self.row_subtotal = False  # the row being read holds a SUBTOTAL or AGGREGATE formula

    def start(self, tag: str, attributes: dict) -> None:
        if self.cell is not None:
            self.inner += 1
            if self.inner == 1 and tag == _PARAGRAPH_TAG:
                self.in_paragraph = True
                self.paragraphs.append([])
            if tag == _SPACES_TAG:
                self.cell_chars += _count(attributes.get(_SPACES_COUNT))
            elif tag == _PARAGRAPH_TAG:
                self.cell_chars += 1  # the line break calamine puts between paragraphs
            return
        if tag == _TABLE_TAG:
            self.depth += 1
            if self.depth == 1:
                name = attributes.get(_TABLE + "name", "")
                if name in self.tables:
                    raise DuplicateTable(name)
                self.table = self.tables[name] = Table(name, position=len(self.tables))
                self.row = 0
            return
        table = self.table
        if self.depth == 0:
            if tag == _RANGE_TAG:
                self.filter_range = attributes.get(_TABLE + "target-range-address", "")
                footer = next((attributes[a] for a in _CONTAINS_FOOTER if a in attributes), None)
                self.ranges.append(
                    _DatabaseRange(
                        attributes.get(_TABLE + "name", ""),
                        self.filter_range,
                        attributes.get(_CONTAINS_HEADER, "true").strip() != "false",
                        None if footer is None else footer.strip() == "true",
                    )
                )
        elif tag in _CELL_TAGS:
            self.cell, self.inner, self.paragraphs = (tag, attributes), 0, []
            self.cell_chars = 0
        elif tag == _ROW_TAG and table is not None:
            self.row_repeat = _count(attributes.get(_ROWS_REPEATED))
            self.col = self.row_last = 0
            self.row_subtotal = False
            if self.row_cells:
                self.row_cells = []
            if attributes.get(_VISIBILITY) in _HIDDEN:
                table.hidden_row_runs.append((self.row, self.row_repeat))
        elif tag == _COLUMN_TAG and table is not None:
            repeat = _count(attributes.get(_COLUMNS_REPEATED))
            if attributes.get(_VISIBILITY) in _HIDDEN:
                table.hidden_column_runs.append((table.columns, repeat))
            table.columns = min(table.columns + repeat, _MAX_COUNT)

    def end(self, tag: str) -> None:
        if self.cell is not None:
            if self.inner:
                if self.inner == 1 and tag == _PARAGRAPH_TAG:
                    self.in_paragraph = False
                self.inner -= 1
                return
            cell_tag, attributes = self.cell
            self.cell = None
            if self.table is None:
                return
            repeat = _count(attributes.get(_COLUMNS_REPEATED))
            text = "\n".join("".join(parts) for parts in self.paragraphs)
            at = (self.row, self.row_repeat, self.col, repeat)
            held = _cell(self.table, cell_tag, attributes, text, at, self.row_cells)
            if held:
                self.row_last = min(self.col + repeat, _MAX_COUNT)
                self.row_subtotal = self.row_subtotal or held == _SUBTOTAL
                self.table.text_chars += self.text_of(attributes) * repeat * self.row_repeat
            self.col = min(self.col + repeat, _MAX_COUNT)
        elif tag == _TABLE_TAG:
            self.depth -= 1
        elif tag == _ROW_TAG and self.depth == 1 and self.table is not None:
            if self.row_last:
                self.table.max_row = max(
                    self.table.max_row, min(self.row + self.row_repeat, _MAX_COUNT)
                )
                self.table.max_col = max(self.table.max_col, self.row_last)
            if self.row_subtotal and len(self.table.subtotal_rows) < _MAX_SUBTOTAL_ROWS:
                self.table.subtotal_rows.append((self.row, self.row_repeat, self.row_cells))
            self.row = min(self.row + self.row_repeat, _MAX_COUNT)
        elif tag in _CONDITION_TAGS and self.filter_range and self.depth == 0:
            self.filters.append(self.filter_range)
            self.filter_range = None
            if self.ranges:
                self.ranges[-1].filtered = True
        elif tag == _RANGE_TAG:
            self.filter_range = None

    def data(self, text: str) -> None:
        if self.cell is not None:
            self.cell_chars += len(text)
            if self.in_paragraph:
                self.paragraphs[-1].append(text)

    def text_of(self, attributes: dict) -> int:
        """A bound on the characters of text python-calamine gives one copy of the cell being
        closed: for a string cell every piece of text inside it (annotations too), each
        ``<text:s text:c="n"/>`` as ``n`` spaces and a line break between paragraphs, or its
        ``office:string-value``; a date or time as written; and its formula. (It counts both
        where calamine takes one, so it never counts short.)"""
        return self.cell_chars + sum(len(attributes.get(name, "")) for name in _TEXT_ATTRIBUTES)


# "'Sheet name'.A1:'Sheet name'.E20", "Systems.$A$1:.$E$20" (OpenDocument 1.3 part 3, §9.2.5)
_ADDRESS = re.compile(
    r"\$?('(?:[^']|'')*'|[^.']*)\.\$?([A-Za-z]{1,3})\$?(\d+)"
    r"(?::\$?(?:'(?:[^']|'')*'|[^.']*)\.\$?([A-Za-z]{1,3})\$?(\d+))?"
)


def _range_address(address: str) -> tuple[str, str]:
    """A database range's address as (sheet name, ``"A1:E20"``); ``("", "")`` when it is not
    one cell range."""
    found = _ADDRESS.fullmatch(address.strip())
    if not found:
        return "", ""
    sheet, first_col, first_row, last_col, last_row = found.groups()
    if sheet.startswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    reference = f"{first_col.upper()}{first_row}"
    if last_col:
        reference += f":{last_col.upper()}{last_row}"
    return sheet, reference


# -- database ranges: the tables of an .ods -------------------------------------------------


@dataclass
class _DatabaseRange:
    """A ``table:database-range`` as written: its name, its target range address, whether its
    first row is a header row, whether the file says it has a totals row (None: it does not say)
    and whether its filter holds conditions."""

    name: str
    address: str
    header: bool
    footer: bool | None
    filtered: bool = False


def _add_database_range(tables: dict[str, Table], found: _DatabaseRange) -> None:
    """Give the table the range lies on a :class:`TablePart` for it, shaped as
    :func:`nistpf.inventory.structure._table` shapes an ``.xlsx`` table part. An anonymous range
    (an AutoFilter), one on a table that is not there and one whose address is not one cell
    range are left out."""
    if found.name.startswith(_ANONYMOUS_RANGE):
        return
    sheet, reference = _range_address(found.address)
    bounds = cell_range(reference) if sheet in tables and reference else None
    if bounds is None:
        return
    table = tables[sheet]
    header_rows = min(int(found.header), bounds[2] - bounds[0] + 1)
    if found.footer is None:
        totals_rows = int(_inferred_totals(table, bounds, header_rows))
    else:
        totals_rows = int(found.footer)
    table.database_ranges.append(
        TablePart.spanning(
            found.name,
            reference,
            bounds,
            header_rows=header_rows,
            totals_rows=totals_rows,
            filtered=found.filtered,
        )
    )


# The totals row of a range whose file does not say it has one (LibreOffice before 24.8 drops
# Excel's totalsRowCount when it saves an .ods) is inferred, and only on this evidence, so that
# an entry is never taken for a total: the range's LAST row, below its header and at least one
# data row, holds at least one formula inside the range; EVERY formula there is one call of
# SUBTOTAL or AGGREGATE (what Excel's Total Row writes, and LibreOffice's own Data > Subtotals)
# whose cell references all lie in the formula's own column, on the range's sheet, within the
# range's rows between its header and that row (the column above); and every other cell of the
# row inside the range is blank or text (a label such as "Total"). A last row with a typed
# number, a date, any other formula, or a SUBTOTAL over another column or beyond the data is
# read as data.
_TOTALS_WORD = re.compile(r"SUBTOTAL|AGGREGATE", re.IGNORECASE)
_TOTALS_CALL = re.compile(
    r"\s*(?:[A-Za-z]+:)?=\s*(?:[A-Za-z_][\w.]*\.)?(?:SUBTOTAL|AGGREGATE)\s*\((.*)\)\s*",
    re.IGNORECASE | re.DOTALL,
)
_REFERENCE = re.compile(r"\[([^\]]*)\]")
_SHEET = r"\$?('(?:[^']|'')*'|[^.'\[\]]*)"
_CELL_REFERENCE = re.compile(
    _SHEET + r"\.\$?([A-Za-z]{1,3})\$?(\d+)(?::" + _SHEET + r"\.\$?([A-Za-z]{1,3})\$?(\d+))?"
)


def _inferred_totals(table: Table, bounds: tuple[int, int, int, int], header_rows: int) -> bool:
    """Is the last row of the range ``bounds`` (first row, first column, last row, last column;
    rows as numbered in the sheet, columns from 0) a totals row, by the rule above?"""
    first_row, first_column, last_row, last_column = bounds
    if last_row - first_row + 1 - header_rows < 2:
        return False  # no data row above it
    row = last_row - 1  # 0-based
    cells = next(
        (cells for first, repeat, cells in table.subtotal_rows if first <= row < first + repeat),
        None,
    )
    if cells is None:
        return False
    above = (first_row + header_rows, last_row - 1)
    formulas = 0
    for first, repeat, value_type, formula in cells:
        columns = range(max(first, first_column), min(first + repeat, last_column + 1))
        if not columns:
            continue  # outside the range
        if formula is None:
            if value_type not in (None, "string"):
                return False
            continue
        for column in columns:
            if not _subtotal_over(formula, table.name, column, above):
                return False
            formulas += 1
    return formulas > 0


def _subtotal_over(formula: str, sheet: str, column: int, rows: tuple[int, int]) -> bool:
    """Is ``formula`` one SUBTOTAL or AGGREGATE call whose references all lie in ``column`` of
    ``sheet`` within ``rows`` (first and last, as numbered in the sheet)?"""
    call = _TOTALS_CALL.fullmatch(formula)
    if call is None or not _one_call(call.group(1)):
        return False
    references = _REFERENCE.findall(call.group(1))
    if not references:
        return False
    for reference in references:
        found = _CELL_REFERENCE.fullmatch(reference.strip())
        if found is None:
            return False
        sheet0, col0, row0, sheet1, col1, row1 = found.groups()
        if col1 is None:
            sheet1, col1, row1 = sheet0, col0, row0
        for name, letters, number in ((sheet0, col0, row0), (sheet1, col1, row1)):
            if name.startswith("'"):
                name = name[1:-1].replace("''", "'")
            if name not in ("", sheet) or column_index(letters) != column:
                return False
            if not rows[0] <= int(number) <= rows[1]:
                return False
    return True


def _one_call(arguments: str) -> bool:
    """Do the parentheses of a call's ``arguments`` (strings left out) never close the call
    before its end, so that the formula is that one call and nothing after it?"""
    depth = 0
    for part in re.sub(r'"(?:[^"]|"")*"', "", arguments):
        if part == "(":
            depth += 1
        elif part == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _count(value: str | None) -> int:
    """A repetition or span attribute; a malformed one counts as 1, as LibreOffice reads it."""
    if not value or not value.isdigit():
        return 1
    return max(1, min(int(value[:12]), _MAX_COUNT))


# What _cell found: no value, a value, a value from a SUBTOTAL or AGGREGATE formula.
_EMPTY, _VALUE, _SUBTOTAL = 0, 1, 2


def _cell(table: Table, tag: str, attributes: dict, text: str, at: tuple, row_cells: list) -> int:
    """Note the cell's merge, error or unsaved formula (``at``: first row, rows repeated, first
    column, columns repeated) and, in ``row_cells``, a formula or a value other than text, for
    totals-row inference (text, the most common value, may stand in a totals row and is not
    kept). Returns ``_EMPTY``, ``_VALUE`` or ``_SUBTOTAL`` (a SUBTOTAL or AGGREGATE formula)."""
    value_type = attributes.get(_VALUE_TYPE)
    formula = attributes.get(_FORMULA)
    if formula is not None or (value_type is not None and value_type != "string"):
        row_cells.append((at[2], at[3], value_type, formula))
    if tag == _CELL_TAG:
        spans = (_count(attributes.get(_ROWS_SPANNED)), _count(attributes.get(_COLUMNS_SPANNED)))
        if spans != (1, 1):
            table.merge_runs.append((*at, *spans))
    if attributes.get(_CALCEXT + "value-type") == "error" or (
        formula and _ERROR_TEXT.fullmatch(text.strip())
    ):
        shown = text.strip() or (formula or "").strip() or "error"
        table.error_runs.append((*at, shown[:20]))
    elif formula and _unsaved(attributes, value_type, text):
        table.unsaved_runs.append(at)
    if formula and _TOTALS_WORD.search(formula):
        return _SUBTOTAL
    if value_type or formula or text or any(name in attributes for name in _VALUE_ATTRIBUTES):
        return _VALUE
    return _EMPTY


def _unsaved(attributes: dict, value_type: str | None, text: str) -> bool:
    if value_type is None:
        return not text
    attribute = _VALUE_ATTRIBUTE.get(value_type)
    return attribute is not None and attribute not in attributes
