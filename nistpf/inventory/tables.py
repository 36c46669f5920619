"""From a raw sheet to named columns: find the header row, match headers to the schema (with
synonyms, or through a mapping), skip the template's description row and blank rows.

What the workbook says about its own structure is read here too (the facts come from
:mod:`nistpf.inventory.structure` and python-calamine), and each interpretation is a row in the
validation report:

- **Merged cells.** In the data area a merged range gives its value to every cell it covers
  (Excel shows it there), with one warning per range; a range starting above the data area gives
  its cells nothing, and a required cell left blank by a merge says so. Merged cells in the
  header are read as one header per column: a header merged across or down gives each covered
  column its text, and a group header merged over several columns in the row above the header
  row ("Processor" over "Name" and "Contact details") is joined with the header below it
  ("Processor Name"). A merge over every column above the header is a title and is not joined.
  A joined header whose lower part names a schema column no other header names is read as that
  column ("Risk" over "records" reads records; "Processor Name" stays an extra when another
  header is "Name"), and the header warning says so. Merged ranges that overlap (Excel never
  writes them) are reported once and none of them is read; the others are.
- **Excel Tables** (and .ods database ranges). When a table's header row is the best header on
  the sheet and the columns it is read into lie inside the table, the table's header row and
  range bound the data: rows below it and columns beside it are not read (one warning when they
  hold anything). A small table beside the list (contacts, a budget) is not the list. A table's
  totals row is never data (one warning per table); another table's totals row drops a row of
  the list only when that row holds nothing outside that table. A totals count above 1, which
  Excel never writes, is read as one totals row, the last, with a warning. A table without a
  header row bounds the data when the header row found on the sheet is the row just above it.
- **Headers of punctuation alone** (``#``, ``€``, ``%``) are told apart by their text.
- **Duplicate headers.** Both columns are kept: a schema column is read from the first, the later
  one is an extra column named ``Contact details (2)``; one warning per header says which is
  which. A mapping picks another one by occurrence or by letter.
- **Hidden rows and columns, filters.** Data in hidden rows and columns, or in rows a filter
  hides, is read: what was assessed must not depend on what was on screen. One warning per sheet
  names them. Frozen panes and sheet protection change nothing and are not reported.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nistpf.inventory.mapping import ColumnRef, SheetMapping
from nistpf.inventory.read import RawSheet
from nistpf.inventory.report import Report
from nistpf.inventory.schema import Sheet, fold
from nistpf.inventory.structure import TablePart, column_index, column_letters, range_ref
from nistpf.inventory.values import is_blank, text

HEADER_SEARCH_ROWS = 30


@dataclass
class Table:
    """A sheet's data rows by column. ``columns`` holds schema columns found (name → raw
    values), ``extras`` the client's other columns (header → raw values), ``headers`` the
    header each schema column had in the source (for the report)."""

    sheet: str  # the sheet or file name as the client wrote it
    header_row: int | None
    numbers: list[int] = field(default_factory=list)
    columns: dict[str, list[Any]] = field(default_factory=dict)
    extras: dict[str, list[Any]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    unsaved: set[tuple[int, str]] = field(default_factory=set)  # (excel_row, column name)
    errors: dict[tuple[int, str], str] = field(default_factory=dict)  # → "#REF!"
    # (excel_row, column name) → why the cell is blank because of a merged range
    merged_blanks: dict[tuple[int, str], str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.numbers)

    def header(self, column: str) -> str:
        return self.headers.get(column, column)


@dataclass(frozen=True)
class _Merge:
    """A merged range clipped to the sheet's cells: ``rows[top..bottom]``, columns
    ``left..right`` (all from 0, inclusive); ``ref`` as the client sees it (``C3:C4``)."""

    top: int
    left: int
    bottom: int
    right: int
    ref: str


def header_key(header: object) -> str:
    """The form in which a client's header is compared with a header a mapping names: folded
    (:func:`nistpf.inventory.schema.fold`), or, for a header of punctuation alone (``#``,
    ``€``, ``%``), which folds to nothing, its text without surrounding spaces: ``#`` and ``€``
    are two headers, not one."""
    return fold(header) or str(header).strip()


def _header_score(row: list[Any], spec: Sheet, wanted: dict[str, str]) -> int:
    if wanted:
        keys = {header_key(cell) for cell in row if not is_blank(cell)}
        return sum(1 for header in wanted.values() if header_key(header) in keys)
    cells = {fold(cell) for cell in row if not is_blank(cell)}
    return sum(1 for column in spec.columns if cells.intersection(column.names))


def find_header(
    raw: RawSheet, spec: Sheet, wanted: dict[str, str], rows: list[list[Any]] | None = None
) -> int | None:
    """Index (in ``raw.rows``) of the header row: the row among the first rows that names the
    most schema columns (or mapped client headers). None when no row names any. ``rows``: the
    first rows as they are scored, when they differ from ``raw.rows`` (merged header cells
    filled in)."""
    best, best_score = None, 0
    for index, row in enumerate((raw.rows if rows is None else rows)[:HEADER_SEARCH_ROWS]):
        score = _header_score(row, spec, wanted)
        if score > best_score:
            best, best_score = index, score
    return best


def _resolve(ref: ColumnRef, keys: list[str], first_column: int) -> int | None:
    """The position (in the header cells, as :func:`header_key` gives them) of the column
    ``ref`` names, None when there is none or ``ref`` is a constant. ``first_column``: the sheet
    column of position 0."""
    if ref.has_constant:
        return None
    if ref.letter:
        column = column_index(ref.letter)
        position = None if column is None else column - first_column
        return position if position is not None and 0 <= position < len(keys) else None
    if not ref.header:
        return None
    key = header_key(ref.header)
    positions = [position for position, cell in enumerate(keys) if cell == key]
    occurrence = max(ref.occurrence, 1)
    return positions[occurrence - 1] if len(positions) >= occurrence else None


def _assign(
    header_cells: list[str],
    spec: Sheet,
    mapping: SheetMapping | None,
    *,
    first_column: int = 0,
    lower: dict[int, str] | None = None,
    through_lower: dict[int, str] | None = None,
) -> dict[str, int]:
    """Schema column name → position. With a mapping, exactly the mapped columns: by header
    (its first occurrence, or the one the mapping names), or by letter (``first_column`` is the
    sheet column of position 0); two columns may share one client column, e.g. a register whose
    system name is also its ID; constants are the loader's; the client's other columns are kept
    as extras. Without, exact names first, then synonyms in the order the schema lists them,
    each position used once; of two columns with the same header the first is used.

    ``lower``: position → the header below a group header, for the headers joined with one
    ("Risk records" over "records"). A joined header names no schema column, so a column no
    header names is read from the one joined header whose lower part names it (without a
    mapping, by name or synonym; with one, the header the mapping names); two joined headers
    naming one column are both left as extras, as is "Processor Name" when another header is
    "Name". Decided so that optional columns under a group header ("Risk" over records and
    criticality) are read, not left to their defaults. Each position so read goes into
    ``through_lower`` (position → column)."""
    assigned: dict[str, int] = {}
    folded = [fold(cell) for cell in header_cells]
    lower = lower or {}
    via = through_lower if through_lower is not None else {}
    if mapping:
        keys = [header_key(cell) if cell else "" for cell in header_cells]
        for column, ref in mapping.columns.items():
            position = _resolve(ref, keys, first_column)
            if position is None and lower and ref.header and not ref.has_constant:
                key = header_key(ref.header)
                below = [p for p, header in lower.items() if header_key(header) == key]
                if len(below) == 1 and ref.occurrence <= 1:
                    position = below[0]
                    via[position] = column
            if position is not None:
                assigned[column] = position
        return assigned
    taken: set[int] = set()
    candidates = []
    for order, column in enumerate(spec.columns):
        for rank, name in enumerate(column.names):
            for position, cell in enumerate(folded):
                if cell and cell == name:
                    candidates.append((rank, order, position, column.name))
    for _, _, position, column in sorted(candidates):
        if position not in taken and column not in assigned:
            assigned[column] = position
            taken.add(position)
    claims: dict[str, list[int]] = {}
    for position, header in sorted(lower.items()):
        if position in taken or not fold(header):
            continue
        key = fold(header)
        named = [
            (rank, order, column.name)
            for order, column in enumerate(spec.columns)
            for rank, name in enumerate(column.names)
            if name == key and column.name not in assigned
        ]
        if named:
            claims.setdefault(min(named)[2], []).append(position)
    for column, positions in claims.items():
        if len(positions) == 1:
            assigned[column] = positions[0]
            via[positions[0]] = column
    return assigned


def _report_unheaded(
    raw: RawSheet,
    header_cells: list[str],
    filled_masks: list[Any],
    keep: Any,
    numbers: list[int],
    left: int,
    report: Report,
) -> None:
    """One warning per column that holds values in the data rows but has no header (a blank
    header cell, or cells right of the last header): nistpf cannot tell what they are, so they
    are not read, and the report says which column, how many values and on which rows."""
    last = max((p for p, header in enumerate(header_cells) if header), default=-1)
    for position, mask in enumerate(filled_masks):
        if position < len(header_cells) and header_cells[position]:
            continue
        rows = np.flatnonzero(mask & keep)
        if not len(rows):
            continue
        letter = column_letters(left + position)
        where = "right of the last header" if position > last else "under a blank header"
        count = len(rows)
        report.warning(
            "cells-without-header",
            f"column {letter} holds {count} value{'s' * (count != 1)} {where}; "
            f"{'they were' if count != 1 else 'it was'} not read",
            sheet=raw.name,
            excel_row=numbers[rows[0]],
            column=letter,
            value=_first_value(raw, numbers[rows[0]], left + position),
            hint=f"give column {letter} a header in the header row (the mapping can then name "
            "it), or delete its cells",
        )


def _first_value(raw: RawSheet, excel_row: int, column: int) -> Any:
    row = raw.rows[raw.numbers.index(excel_row)]
    return row[column] if column < len(row) else None


def _is_description_row(row: list[Any], assigned: dict[str, int], spec: Sheet) -> bool:
    descriptions = {c.name: c.description for c in spec.columns}
    return any(
        text(row[position]) == descriptions[column]
        for column, position in assigned.items()
        if position < len(row) and not is_blank(row[position])
    )


def read_table(
    raw: RawSheet, spec: Sheet, report: Report, mapping: SheetMapping | None = None
) -> Table | None:
    """The data rows of ``raw`` under ``spec``'s columns. Reports a sheet with no recognisable
    header, mapped columns that are not there, and every reading of the sheet's structure (see
    the module docstring); returns None when there is no header."""
    refs = mapping.columns if mapping else {}
    wanted = {c: ref.header for c, ref in refs.items() if ref.header and not ref.has_constant}
    merges = _merges(raw, report)
    excel_table = _excel_table(raw, spec, wanted, mapping, merges)
    if excel_table is not None:
        index = excel_table.first_row - 1
    elif mapping and mapping.header_row:
        index = mapping.header_row - 1
        if index >= len(raw.rows):
            report.error(
                "header-row-missing",
                f"the mapping's header_row {mapping.header_row} is past the end of the sheet",
                sheet=raw.name,
                hint=f"the sheet has {len(raw.rows)} rows; fix header_row in the mapping",
            )
            return None
    else:
        view = _header_view(raw, merges)
        index = find_header(raw, spec, wanted, view)
        if index is not None and view is not None:
            index = _under_group_headers(raw, index, merges, view, spec, wanted)
    if index is None:
        report.error(
            "no-header",
            "no header row found",
            sheet=raw.name,
            hint=_no_header_hint(spec, wanted, mapping),
        )
        return None
    if excel_table is None:
        excel_table = _headerless_table(raw, index)
    left = excel_table.first_column if excel_table else 0
    right = excel_table.last_column + 1 if excel_table else None
    stop = min(_data_stop(excel_table), len(raw.rows)) if excel_table else len(raw.rows)
    header_row = _header_cells(raw, index, merges, left, right, group=not excel_table)
    header_cells, read_as = header_row.cells, {}
    assigned = _assign(
        header_cells,
        spec,
        mapping,
        first_column=left,
        lower=header_row.lower,
        through_lower=read_as,
    )
    _report_header_row(raw, index, header_row, left, read_as, report)
    table = Table(raw.name, raw.numbers[index])
    if mapping:
        _report_unmapped(raw, mapping, assigned, header_cells, left, excel_table, report, index)
    start = index + 1
    if start < stop and _is_description_row(raw.rows[start][left:right], assigned, spec):
        start += 1
    numbers = raw.numbers[start:stop]
    rows = raw.rows[start:stop]
    if excel_table is not None:
        rows = [row[left:right] for row in rows]
    longest = max(map(len, rows), default=0)
    if any(len(row) != longest for row in rows):  # ragged CSV records
        rows = [list(row) + [None] * (longest - len(row)) for row in rows]
    own = list(rows)  # the cells as typed: a merge fills copies of the rows it covers
    blanks = _fill_merges(raw, merges, rows, start, left, header_cells, report) if merges else {}
    by_column = [np.array(cells, dtype=object) for cells in zip(*rows, strict=True)]
    # How many cells of each row hold something: 0 is a blank row, 1 a lone note (or a
    # pre-filled label), more an entry. Counted column by column, in numpy, on the cells as
    # typed: a merge running on over blank rows (or a sentinel row) makes no entry of them.
    typed = (
        by_column
        if not merges
        else [np.array(cells, dtype=object) for cells in zip(*own, strict=True)]
    )
    filled_masks = [(cells != "") & (cells != None) for cells in typed]  # noqa: E711
    filled = np.sum(filled_masks, axis=0) if filled_masks else np.zeros(0, dtype=int)
    used = set(assigned.values())
    label_position = assigned.get(spec.row_label) if spec.row_label else None
    keep = filled > 1 if len(used) > 2 else filled > 0
    totals = (
        _drop_totals(raw, excel_table, numbers, start, left, right, report)
        if raw.structure.tables
        else []
    )
    if totals:
        keep[totals] = False
    for row in np.flatnonzero(filled == 1):
        if row in totals:
            continue
        position = next(p for p, mask in enumerate(filled_masks) if mask[row])
        if position == label_position:
            continue  # a pre-filled label with nothing against it, e.g. an unrated Tier
        if len(used) > 2:
            report.warning(
                "lone-cell-row",
                "row ignored: it holds a single cell of text, not an entry",
                sheet=raw.name,
                excel_row=numbers[row],
                value=rows[row][position],
                hint="delete the row, or fill in the entry's other columns",
            )
    _report_unheaded(raw, header_cells, filled_masks, keep, numbers, left, report)
    kept = np.flatnonzero(keep)
    table.numbers = [numbers[i] for i in kept]
    extras_at = _extra_names(header_cells, used)
    shown = _shown_headers(header_cells, left)
    _report_duplicates(raw, table, header_cells, assigned, extras_at, left, mapping, report)
    if excel_table is not None:
        _report_outside(raw, excel_table, report)

    def column_values(position: int) -> list[Any]:
        if position >= len(by_column):
            return [None] * len(kept)
        return by_column[position][kept].tolist()

    for column, position in assigned.items():
        table.columns[column] = column_values(position)
        table.headers[column] = shown[position]
        for row_number, col in raw.unsaved_formulas:
            if col - left == position:
                table.unsaved.add((row_number, column))
        for (row_number, col), error in raw.errors.items():
            if col - left == position:
                table.errors[(row_number, column)] = error
        for (row_number, col), why in blanks.items():
            if col == position:
                table.merged_blanks[(row_number, column)] = why
    for position, header in extras_at.items():
        table.extras[header] = column_values(position)
    structure = raw.structure
    if structure.hidden_rows or structure.hidden_columns:
        _report_hidden(raw, table, filled_masks, kept, shown, used | set(extras_at), left, report)
    return table


def header_cells(raw: RawSheet, index: int) -> list[str]:
    """The header row ``raw.rows[index]`` as :func:`read_table` reads it, for tools that show a
    sheet's headers (``nistpf map``): each merged header given to every column it covers, group
    headers merged above it joined with the headers below ("Processor Name"). Reports nothing."""
    return _header_cells(raw, index, _merges(raw, Report()), 0, None, group=True).cells


@dataclass(frozen=True)
class HeaderLayout:
    """A sheet's columns and data rows as :func:`read_table` reads them under a mapping whose
    ``header_row`` is the row at ``index``: ``headers`` (merged and group headers read through),
    from sheet column ``left``; ``data``, the indexes in ``raw.rows`` of the rows below the
    header that may hold data (inside the Excel Table's range when one bounds it, totals rows
    left out); ``table``, that Excel Table's name or ``""``."""

    index: int
    headers: list[str]
    left: int
    data: list[int]
    table: str = ""

    def extra_names(self, used: set[int]) -> dict[int, str]:
        """Position → the name read_table keeps each unused column under (``Owner (2)``)."""
        return _extra_names(self.headers, used)


def header_layout(raw: RawSheet, index: int) -> HeaderLayout:
    """The :class:`HeaderLayout` of ``raw`` when its header is ``raw.rows[index]``, for tools
    that draft a mapping (``nistpf map``): an Excel Table whose header row it is (or a table
    without a header just below it) bounds the columns and rows, as in :func:`read_table`.
    Reports nothing."""
    quiet = Report()
    tables = [t for t in raw.structure.tables if t.header_rows and t.first_row == index + 1]
    part = max(tables, key=lambda t: t.last_column - t.first_column, default=None)
    part = part or _headerless_table(raw, index)
    left = part.first_column if part else 0
    right = part.last_column + 1 if part else None
    stop = min(_data_stop(part), len(raw.rows)) if part else len(raw.rows)
    headers = _header_cells(raw, index, _merges(raw, quiet), left, right, group=not part).cells
    data = [
        i
        for i in range(index + 1, stop)
        if not any(
            _is_totals_row(raw, t, raw.numbers[i], left, right) for t in raw.structure.tables
        )
    ]
    return HeaderLayout(index, headers, left, data, part.name if part else "")


def _no_header_hint(spec: Sheet, wanted: dict[str, str], mapping: SheetMapping | None) -> str:
    """What the header row must hold: the mapping's client headers when a mapping is used."""
    if mapping is None:
        expected = ", ".join(spec.required_columns or spec.column_names)
        return f"the first rows must include a header row with {expected}"
    headers = list(dict.fromkeys(wanted.values()))
    if not headers:
        return "the mapping names no header to look for; set header_row in the mapping"
    return (
        "the first rows must include a header row with the mapping's headers "
        + ", ".join(repr(h) for h in headers)
        + "; check them against the sheet, or set header_row in the mapping"
    )


def _report_unmapped(
    raw: RawSheet,
    mapping: SheetMapping,
    assigned: dict[str, int],
    header_cells: list[str],
    left: int,
    excel_table: TablePart | None,
    report: Report,
    index: int,
) -> None:
    """An error for each mapped column the sheet does not have (constants are not columns)."""
    found = ", ".join(h for h in header_cells if h)
    keys = [header_key(cell) if cell else "" for cell in header_cells]
    for column, ref in mapping.columns.items():
        if column in assigned or ref.has_constant:
            continue
        where = {"sheet": raw.name, "excel_row": raw.numbers[index]}
        if ref.letter:
            first, last = column_letters(left), column_letters(left + len(header_cells) - 1)
            inside = f"the Excel Table {excel_table.name!r}" if excel_table else "the sheet"
            report.error(
                "mapped-header-missing",
                f"the mapping reads {column} from column {ref.letter}, but {inside} spans "
                f"columns {first} to {last}",
                column=str(ref.letter),
                hint=f"name a column from {first} to {last}, or the column by its header",
                **where,
            )
        elif ref.header and ref.occurrence > 1:
            count = keys.count(header_key(ref.header))
            report.error(
                "mapped-header-missing",
                f"the mapping reads {column} from occurrence {ref.occurrence} of header "
                f"{ref.header!r}, but the header row has {count}",
                column=ref.header,
                hint=f"use an occurrence from 1 to {count}" if count else f"headers found: {found}",
                **where,
            )
        elif ref.header:
            report.error(
                "mapped-header-missing",
                f"the mapping names header {ref.header!r} for {column}, "
                "but the header row has no such column",
                column=ref.header,
                hint="headers found: " + found,
                **where,
            )


# -- merged cells ------------------------------------------------------------------------------


def _merges(raw: RawSheet, report: Report) -> list[_Merge]:
    """The sheet's merged ranges, clipped to the cells it has. Ranges that overlap one another,
    which Excel never writes (a file made by a script or crafted), are reported once and none
    of them is read as merged (nistpf cannot tell which one the client meant); the others are
    read. The ranges left cover each cell at most once, so filling them costs no more than the
    sheet's size."""
    if not raw.merged or not raw.rows:
        return []
    height, width = len(raw.rows), max(map(len, raw.rows))
    found = []
    for (top, left), (bottom, right) in raw.merged:
        top, bottom = sorted((top, bottom))
        left, right = sorted((left, right))
        if top >= height or left >= width or (top, left) == (bottom, right):
            continue
        ref = range_ref(top + 1, left, bottom + 1, right)
        bottom, right = min(bottom, height - 1), min(right, width - 1)
        found.append(_Merge(top, left, bottom, right, ref))
    found.sort(key=lambda merge: (merge.top, merge.left))
    overlapping = _overlapping(found, width)
    if overlapping:
        first = [found[i].ref for i in sorted(overlapping)[:2]]
        report.warning(
            "merged-cells-overlap",
            f"{len(overlapping):,} of the sheet's {len(found):,} merged ranges overlap (the "
            f"first: {' and '.join(first)}), which Excel never writes; none of those "
            f"{len(overlapping):,} was read as merged",
            sheet=raw.name,
            excel_row=found[min(overlapping)].top + 1,
            hint="open the file in Excel (it repairs the merges) and save it again, or unmerge "
            "those cells and fill in each one",
        )
        found = [merge for i, merge in enumerate(found) if i not in overlapping]
    return found


def _overlapping(merges: list[_Merge], width: int) -> set[int]:
    """Indexes of the ``merges`` (sorted by top row) that share a cell with another one. A sweep
    down the rows: the ranges still open at a row are kept per column, those not yet found
    overlapping by owner (they cover each column at most once), the others as a count; each
    range costs a few numpy operations over its columns and a heap step, so thousands of ranges
    take milliseconds."""
    owner = np.full(width, -1, dtype=np.int64)  # column → the open range covering it
    crowded = np.zeros(width, dtype=np.int64)  # column → open ranges found overlapping
    bad: set[int] = set()
    open_ranges: list[tuple[int, int]] = []  # heap of (bottom, index)
    for index, merge in enumerate(merges):
        while open_ranges and open_ranges[0][0] < merge.top:
            _, done = heapq.heappop(open_ranges)
            span = slice(merges[done].left, merges[done].right + 1)
            if done in bad:
                crowded[span] -= 1
            else:
                owner[span] = -1
        span = slice(merge.left, merge.right + 1)
        owners = {int(o) for o in np.unique(owner[span]) if o >= 0}
        if owners or crowded[span].any():
            for other in owners:
                bad.add(other)
                other_span = slice(merges[other].left, merges[other].right + 1)
                owner[other_span] = -1
                crowded[other_span] += 1
            bad.add(index)
            crowded[span] += 1
        else:
            owner[span] = index
        heapq.heappush(open_ranges, (merge.bottom, index))
    return bad


def _header_view(raw: RawSheet, merges: list[_Merge]) -> list[list[Any]] | None:
    """The first rows with each merged range's value in every cell it covers, for scoring
    header rows (a header merged down from a title row is still a header); None when no merged
    range starts there."""
    near = [m for m in merges if m.top < HEADER_SEARCH_ROWS]
    if not near:
        return None
    rows = [list(row) for row in raw.rows[:HEADER_SEARCH_ROWS]]
    for merge in near:
        value = raw.rows[merge.top][merge.left]
        for row in rows[merge.top : merge.bottom + 1]:
            row[merge.left : merge.right + 1] = [value] * (merge.right - merge.left + 1)
    return rows


def _under_group_headers(
    raw: RawSheet,
    index: int,
    merges: list[_Merge],
    view: list[list[Any]],
    spec: Sheet,
    wanted: dict[str, str],
) -> int:
    """The header row when the row found holds group headers: a range merged across several
    columns of that row alone, over filled cells in the row below, where the row below (its
    own headers merged down filled in) names as many columns. Otherwise ``index``."""
    if index + 1 >= min(len(view), len(raw.rows)):
        return index
    row, below = raw.rows[index], raw.rows[index + 1]
    filled = [c for c, cell in enumerate(row) if not is_blank(cell)]
    for merge in merges:
        if merge.top != index or merge.bottom != index or merge.right == merge.left:
            continue
        if is_blank(row[merge.left]) or (merge.left <= filled[0] and filled[-1] <= merge.right):
            continue  # blank, or over every cell of the row: a title
        if not any(not is_blank(cell) for cell in below[merge.left : merge.right + 1]):
            continue
        if _header_score(view[index + 1], spec, wanted) >= _header_score(view[index], spec, wanted):
            return index + 1
    return index


@dataclass
class _HeaderRow:
    """The header row as read: ``cells`` (text, ``""`` for a blank), and for the headers read
    through merged cells, ``through`` (position → how) and ``lower`` (position → the header
    below a group header it was joined with)."""

    cells: list[str]
    through: dict[int, str] = field(default_factory=dict)
    lower: dict[int, str] = field(default_factory=dict)


def _header_cells(
    raw: RawSheet,
    index: int,
    merges: list[_Merge],
    left: int,
    right: int | None,
    *,
    group: bool,
) -> _HeaderRow:
    """The header row's cells as text, each merged header given to every column it covers, and
    group headers merged over several columns in the row above joined with the header below
    (``group``: not for an Excel Table, whose header is one row)."""
    cells = [text(cell) if not is_blank(cell) else "" for cell in raw.rows[index][left:right]]
    width = len(cells)
    row = _HeaderRow(cells)
    for merge in merges:
        if not merge.top <= index <= merge.bottom:
            continue
        value = raw.rows[merge.top][merge.left]
        if is_blank(value):
            continue
        for position in range(max(merge.left - left, 0), min(merge.right - left + 1, width)):
            if not cells[position]:
                cells[position] = text(value)
                row.through[position] = f"merged {merge.ref}"
    if group and index > 0:
        filled = [left + p for p, cell in enumerate(cells) if cell]
        for merge in merges:
            value = raw.rows[merge.top][merge.left]
            if merge.bottom != index - 1 or merge.right == merge.left or is_blank(value):
                continue
            if filled and merge.left <= filled[0] and filled[-1] <= merge.right:
                continue  # over every header: a title, not a group
            for position in range(max(merge.left - left, 0), min(merge.right - left + 1, width)):
                below = cells[position]
                cells[position] = f"{text(value)} {below}" if below else text(value)
                row.through[position] = f"group {merge.ref}"
                if below:
                    row.lower[position] = below
    return row


def _report_header_row(
    raw: RawSheet,
    index: int,
    row: _HeaderRow,
    left: int,
    read_as: dict[int, str],
    report: Report,
) -> None:
    """One warning naming the headers read through merged cells, and the schema column a joined
    header is read as when its lower part names it (``read_as``: position → column)."""
    if not row.through:
        return
    listed = ", ".join(
        f"{column_letters(left + p)} {row.cells[p]!r}"
        + (f" (read as {read_as[p]})" if p in read_as else "")
        for p in sorted(row.through)
    )
    report.warning(
        "merged-header",
        f"the header row is read through merged cells, one header per column: {listed}",
        sheet=raw.name,
        excel_row=raw.numbers[index],
        hint="check these names (a mapping names the columns by them), or unmerge the "
        "header cells and write one header per column in a single row",
    )


def _fill_merges(
    raw: RawSheet,
    merges: list[_Merge],
    rows: list[list[Any]],
    start: int,
    left: int,
    header_cells: list[str],
    report: Report,
) -> dict[tuple[int, int], str]:
    """Give each merged range in the data area (``rows``, which begin at ``raw.rows[start]``
    and column ``left``) its value in every cell it covers, with one warning per range; rows
    are copied before they change. Returns (excel_row, position) → why the cell is blank, for
    cells a merge leaves blank (its value is blank, or it starts above the data area)."""
    blanks: dict[tuple[int, int], str] = {}
    copied: set[int] = set()

    def name(position: int) -> str:
        if position < len(header_cells) and header_cells[position]:
            return header_cells[position]
        return column_letters(left + position)

    stop, width = start + len(rows), len(rows[0]) if rows else 0
    for merge in merges:
        first, last = max(merge.top, start), min(merge.bottom, stop - 1)
        low, high = max(merge.left - left, 0), min(merge.right - left, width - 1)
        if first > last or low > high:
            continue
        value = raw.rows[merge.top][merge.left]
        cells = [(i, p) for i in range(first, last + 1) for p in range(low, high + 1)]
        if merge.top < start or is_blank(value):
            why = (
                f"merged range {merge.ref} starts at row {raw.numbers[merge.top]}, above the "
                "data, so its cells hold no value of their own"
                if merge.top < start
                else f"the merged range {merge.ref} covering it is blank"
            )
            for i, p in cells:
                blanks[(raw.numbers[i], p)] = why
            if merge.top < start:
                report.warning(
                    "merged-cells-above-data",
                    f"the merged range {merge.ref} starts above the data (row "
                    f"{raw.numbers[merge.top]}) and covers {_rows_text(raw, first, last)}; "
                    "those cells were read as blank",
                    sheet=raw.name,
                    excel_row=raw.numbers[first],
                    column=name(low),
                    hint="unmerge the cells and fill in each row",
                )
            continue
        for i, p in cells:
            if i not in copied:
                rows[i - start] = list(rows[i - start])
                copied.add(i)
            rows[i - start][p] = value
        columns = ", ".join(dict.fromkeys(name(p) for p in range(low, high + 1)))
        report.warning(
            "merged-cells-filled",
            f"the merged range {merge.ref} holds {text(value)!r}; it was read in every cell it "
            f"covers: {columns}, {_rows_text(raw, first, last)}",
            sheet=raw.name,
            excel_row=raw.numbers[first],
            column=name(low),
            value=value,
            hint=f"confirm with the client that {text(value)!r} holds for each of those rows, or "
            "unmerge the cells and fill in each row",
        )
    return blanks


def _rows_text(raw: RawSheet, first: int, last: int) -> str:
    if first == last:
        return f"row {raw.numbers[first]}"
    return f"rows {raw.numbers[first]}-{raw.numbers[last]}"


# -- Excel Tables ------------------------------------------------------------------------------


def _excel_table(
    raw: RawSheet,
    spec: Sheet,
    wanted: dict[str, str],
    mapping: SheetMapping | None,
    merges: list[_Merge],
) -> TablePart | None:
    """The Excel Table whose header row is the sheet's header, or None. A table qualifies when
    its header row, read inside the table, names as many schema columns (or mapped headers) as
    the best of the sheet's first rows and its own row, read outside the other tables, and when
    the columns that its row is read into (outside the other tables) all lie inside it: a small
    table beside the list (a contact list) is not the list, even when its header names a mapped
    column. Of the tables that qualify, the one naming the most wins. A mapping's header_row,
    when given, must be the table's header row (and the first rows are then not compared)."""
    parts = [p for p in raw.structure.tables if p.header_rows and p.first_row <= len(raw.rows)]
    if not parts:
        return None
    view = _header_view(raw, merges) or raw.rows[:HEADER_SEARCH_ROWS]
    best, best_score = None, 0
    for part in parts:
        if mapping and mapping.header_row and mapping.header_row != part.first_row:
            continue
        whole = raw.rows[part.first_row - 1]
        score = _header_score(whole[part.first_column : part.last_column + 1], spec, wanted)
        if score <= best_score:
            continue
        others = [p for p in raw.structure.tables if p is not part]
        own = _outside_tables(whole, part.first_row - 1, others)
        if _header_score(own, spec, wanted) > score:
            continue  # its row names more outside it: the header runs on beyond the table
        if not (mapping and mapping.header_row) and any(
            _header_score(_outside_tables(row, i, others), spec, wanted) > score
            for i, row in enumerate(view)
        ):
            continue  # another row is a better header
        cells = [text(cell) if not is_blank(cell) else "" for cell in own]
        read = _assign(cells, spec, mapping).values()
        if all(part.first_column <= column <= part.last_column for column in read):
            best, best_score = part, score
    return best


def _outside_tables(row: list[Any], index: int, parts: list[TablePart]) -> list[Any]:
    """``row`` (``raw.rows[index]``) with the cells inside any of ``parts`` left blank."""
    number = index + 1
    inside = [p for p in parts if p.first_row <= number <= p.last_row]
    if not inside:
        return row
    row = list(row)
    for part in inside:
        row[part.first_column : part.last_column + 1] = [None] * len(
            row[part.first_column : part.last_column + 1]
        )
    return row


def _headerless_table(raw: RawSheet, index: int) -> TablePart | None:
    """A table without a header row (headerRowCount 0) that starts just below the header row
    found: it bounds the data as a table with that header would."""
    row = raw.numbers[index]
    return next(
        (t for t in raw.structure.tables if not t.header_rows and t.first_row == row + 1), None
    )


def _totals(part: TablePart) -> range:
    """The Excel rows of ``part``'s totals row. Excel writes ``totalsRowCount`` 0 or 1; a larger
    count is a damaged table, and only its last row is taken as the totals row (decided: the Total
    Row was switched on, and a table has one; the rows above it are read as data, and the
    ``table-totals-count`` warning says so)."""
    count = min(part.totals_rows, 1)
    return range(part.last_row - count + 1, part.last_row + 1)


def _data_stop(part: TablePart) -> int:
    """The Excel row of ``part``'s totals row, or the row after its range: its data ends above."""
    return _totals(part).start


def _is_totals_row(
    raw: RawSheet, part: TablePart, number: int, left: int = 0, right: int | None = None
) -> bool:
    """Whether Excel row ``number`` is ``part``'s totals row as far as the data read in columns
    ``left`` to ``right`` (exclusive) is concerned: it is, when no cell of the row in those
    columns outside the table holds anything. A totals row of a small table beside the list,
    on a row of the list that holds an entry, is not a reason to drop that entry."""
    if number not in _totals(part):
        return False
    if number > len(raw.rows):
        return True
    row = raw.rows[number - 1]
    stop = len(row) if right is None else min(right, len(row))
    return all(
        is_blank(row[column])
        for column in range(left, stop)
        if not part.first_column <= column <= part.last_column
    )


def _drop_totals(
    raw: RawSheet,
    chosen: TablePart | None,
    numbers: list[int],
    start: int,
    left: int,
    right: int | None,
    report: Report,
) -> list[int]:
    """Indexes (in ``numbers``) of the data rows that are a table's totals row, which are never
    data: the totals row of the table that bounds the data (``chosen``, read in columns
    ``left`` to ``right``), and that of another table when the row holds nothing in the columns
    read outside that table (see :func:`_is_totals_row`). One warning per table whose totals row
    is among the data rows or is left out by the chosen table's range, and one per such table
    whose totals count is damaged."""
    position = {number: i for i, number in enumerate(numbers)}
    dropped = []
    for part in raw.structure.tables:
        totals = [n for n in _totals(part) if n > raw.numbers[start - 1]]
        found = [
            position[n]
            for n in totals
            if n in position and (part is chosen or _is_totals_row(raw, part, n, left, right))
        ]
        if not totals or (part is not chosen and not found):
            continue
        dropped.extend(found)
        cells = raw.rows[totals[0] - 1] if totals[0] <= len(raw.rows) else []
        report.warning(
            "table-totals-row",
            f"row {totals[0]} is the totals row of the Excel Table {part.name!r} ({part.ref}); "
            "a totals row is not data and was not read",
            sheet=raw.name,
            excel_row=totals[0],
            value=next((text(c) for c in cells if not is_blank(c)), ""),
            hint="nothing to fix: nistpf adds up the data itself",
        )
        if part.totals_rows > 1:
            report.warning(
                "table-totals-count",
                f"the Excel Table {part.name!r} ({part.ref}) says it has {part.totals_rows} "
                f"totals rows, which Excel never writes (a table has one); only its last row, "
                f"row {totals[0]}, was taken as the totals row, and the rows above it were read",
                sheet=raw.name,
                excel_row=totals[0],
                value=part.totals_rows,
                hint="open the file in Excel (it repairs the table) and save it again; check "
                f"that row {totals[0]} is the totals row",
            )
    return dropped


def _report_outside(raw: RawSheet, part: TablePart, report: Report) -> None:
    """One warning when cells beside or below the Excel Table whose range bounds the data hold
    anything (rows above its header are titles and notes, and are not counted)."""
    count, first, first_row = 0, "", 0
    totals = set(_totals(part))
    for i in range(part.first_row - 1, len(raw.rows)):
        number = raw.numbers[i]
        if number in totals:
            continue
        inside = number <= part.last_row
        for column, cell in enumerate(raw.rows[i]):
            if is_blank(cell) or (inside and part.first_column <= column <= part.last_column):
                continue
            count += 1
            if not first:
                first, first_row = f"{column_letters(column)}{number}", number
    if count:
        report.warning(
            "cells-outside-table",
            f"{count} filled cell{'s' * (count != 1)} outside the Excel Table {part.name!r} "
            f"({part.ref}) {'were' if count != 1 else 'was'} not read, the first at {first}",
            sheet=raw.name,
            excel_row=first_row,
            hint="if they belong to the inventory, extend the table over them (drag its "
            "resize handle); otherwise nothing to fix",
        )


# -- duplicate headers -------------------------------------------------------------------------


def _extra_names(header_cells: list[str], used: set[int]) -> dict[int, str]:
    """Position → name of each extra column (a header nistpf does not read into a column of
    its own): its header, or ``Contact details (2)`` for the second column so headed (counted
    over every column, schema ones too), never two extras under one name."""
    counts: dict[str, int] = {}
    names: dict[int, str] = {}
    taken = {header for position, header in enumerate(header_cells) if header}
    for position, header in enumerate(header_cells):
        if not header:
            continue
        key = fold(header) or header
        counts[key] = counts.get(key, 0) + 1
        if position in used:
            continue
        name = header
        if counts[key] > 1:
            number = counts[key]
            name = f"{header} ({number})"
            while name in taken or name in names.values():
                number += 1
                name = f"{header} ({number})"
        names[position] = name
    return names


def _shown_headers(header_cells: list[str], left: int) -> list[str]:
    """Each position's header as the report names it: ``Contact details (2)`` for a repeated
    header, ``column F`` for a column without one."""
    counts: dict[str, int] = {}
    shown = []
    for position, header in enumerate(header_cells):
        if not header:
            shown.append(f"column {column_letters(left + position)}")
            continue
        key = fold(header) or header
        counts[key] = counts.get(key, 0) + 1
        shown.append(header if counts[key] == 1 else f"{header} ({counts[key]})")
    return shown


def _report_duplicates(
    raw: RawSheet,
    table: Table,
    header_cells: list[str],
    assigned: dict[str, int],
    extras_at: dict[int, str],
    left: int,
    mapping: SheetMapping | None,
    report: Report,
) -> None:
    """One warning per header that heads more than one column, saying which column each is
    read as."""
    positions: dict[str, list[int]] = {}
    for position, header in enumerate(header_cells):
        if header:
            positions.setdefault(fold(header) or header, []).append(position)
    for found in positions.values():
        if len(found) < 2:
            continue
        header = header_cells[found[0]]
        letters = [column_letters(left + p) for p in found]
        fates = []
        for position, letter in zip(found, letters, strict=True):
            columns = [c for c, p in assigned.items() if p == position]
            if columns:
                fates.append(f"column {letter} is read as {' and '.join(columns)}")
            elif position in extras_at:
                fates.append(f"column {letter} is kept as {extras_at[position]!r}")
        other = letters[1]
        report.warning(
            "duplicate-header",
            f"the header {header!r} heads {len(found)} columns ({', '.join(letters)}): "
            + "; ".join(fates),
            sheet=raw.name,
            excel_row=table.header_row,
            column=header,
            hint=(
                "rename one of them, or say in the mapping which one a column is read from: "
                f'{{ header = "{header}", occurrence = 2 }} or {{ letter = "{other}" }}'
            ),
        )


# -- hidden rows and columns, filters ----------------------------------------------------------


def _report_hidden(
    raw: RawSheet,
    table: Table,
    filled_masks: list[np.ndarray],
    kept: np.ndarray,
    shown: list[str],
    read: set[int],
    left: int,
    report: Report,
) -> None:
    """One warning for the data rows hidden in the workbook (or by a filter), one for the hidden
    columns that hold data: they are read, and the consultant should know the client may not
    have seen them."""
    structure = raw.structure
    rows = [number for number in table.numbers if number in structure.hidden_rows]
    if rows:
        many = len(rows) != 1
        where = f"row{'s' * many} {row_ranges(rows)}"
        if structure.filter:
            problem = (
                f"a filter is on ({structure.filter}) and hides {len(rows)} row{'s' * many} "
                f"holding data ({where}); {'they were' if many else 'it was'} read"
            )
            hint = (
                "clear the filter (Excel: Data > Clear) to see every row that was read; "
                "delete the rows that are not part of the inventory"
            )
        else:
            problem = (
                f"{len(rows)} row{'s' * many} hidden in the workbook hold{'s' * (not many)} data "
                f"({where}); {'they were' if many else 'it was'} read"
            )
            hint = (
                f"unhide {'them' if many else 'it'} so the client sees what was read, or delete "
                f"{'them' if many else 'it'} if not part of the inventory"
            )
        report.warning(
            "filtered-rows" if structure.filter else "hidden-rows",
            problem,
            sheet=raw.name,
            excel_row=rows[0],
            hint=hint,
        )
    columns = [
        position
        for position in sorted(read)
        if left + position in structure.hidden_columns
        and position < len(filled_masks)
        and filled_masks[position][kept].any()
    ]
    if columns:
        listed = ", ".join(f"{column_letters(left + p)} ({shown[p]})" for p in columns)
        many = len(columns) != 1
        report.warning(
            "hidden-columns",
            f"{'columns' if many else 'a column'} hidden in the workbook "
            f"{'hold' if many else 'holds'} data and {'were' if many else 'was'} read: {listed}",
            sheet=raw.name,
            excel_row=table.header_row,
            column=shown[columns[0]],
            hint=f"unhide {'them' if many else 'it'} so the client sees what was read, or delete "
            f"{'them' if many else 'it'} if not part of the inventory",
        )


def row_ranges(numbers: list[int], limit: int = 10) -> str:
    """``[3, 4, 5, 9]`` → ``3-5, 9``; past ``limit`` runs, ``…`` and how many rows more."""
    runs: list[list[int]] = []
    for number in sorted(numbers):
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    shown = [f"{a}-{b}" if a != b else str(a) for a, b in runs[:limit]]
    if len(runs) > limit:
        rest = sum(b - a + 1 for a, b in runs[limit:])
        shown.append(f"… and {rest} more")
    return ", ".join(shown)


def read_fields(raw: RawSheet, spec: Sheet) -> list[tuple[int, str, Any]]:
    """A field-per-row sheet (About): ``(excel_row, label, value)`` for each row whose first
    filled cell is a label; the header and description rows are skipped."""
    skip = {fold(c.name) for c in spec.columns} | {fold(c.description) for c in spec.columns}
    found = []
    for number, row in zip(raw.numbers, raw.rows, strict=True):
        filled = [cell for cell in row if not is_blank(cell)]
        if not filled or fold(filled[0]) in skip:
            continue
        found.append((number, text(filled[0]), filled[1] if len(filled) > 1 else None))
    return found
