"""From a raw sheet to named columns: find the header row, match headers to the schema (with
synonyms, or through a mapping), skip the template's description row and blank rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nistpf.inventory.mapping import SheetMapping
from nistpf.inventory.read import RawSheet
from nistpf.inventory.report import Report
from nistpf.inventory.schema import Sheet, fold
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

    def __len__(self) -> int:
        return len(self.numbers)

    def header(self, column: str) -> str:
        return self.headers.get(column, column)


def _header_score(row: list[Any], spec: Sheet, wanted: dict[str, str]) -> int:
    cells = {fold(cell) for cell in row if not is_blank(cell)}
    if wanted:
        return sum(1 for header in wanted.values() if fold(header) in cells)
    return sum(1 for column in spec.columns if cells.intersection(column.names))


def find_header(raw: RawSheet, spec: Sheet, wanted: dict[str, str]) -> int | None:
    """Index (in ``raw.rows``) of the header row: the row among the first rows that names the
    most schema columns (or mapped client headers). None when no row names any."""
    best, best_score = None, 0
    for index, row in enumerate(raw.rows[:HEADER_SEARCH_ROWS]):
        score = _header_score(row, spec, wanted)
        if score > best_score:
            best, best_score = index, score
    return best


def _assign(header_cells: list[str], spec: Sheet, mapping: SheetMapping | None) -> dict[str, int]:
    """Schema column name → position. With a mapping, exactly the mapped headers (two columns
    may share one client header, e.g. a register whose system name is also its ID; the client's
    other columns are kept as extras). Without, exact names first, then synonyms in the order
    the schema lists them, each position used once."""
    assigned: dict[str, int] = {}
    folded = [fold(cell) for cell in header_cells]
    if mapping:
        for column, ref in mapping.columns.items():
            if ref.header and fold(ref.header) in folded:
                assigned[column] = folded.index(fold(ref.header))
        return assigned
    taken = set(assigned.values())
    candidates = []
    for order, column in enumerate(spec.columns):
        if column.name in assigned:
            continue
        for rank, name in enumerate(column.names):
            for position, cell in enumerate(folded):
                if cell and cell == name:
                    candidates.append((rank, order, position, column.name))
    for _, _, position, column in sorted(candidates):
        if position not in taken and column not in assigned:
            assigned[column] = position
            taken.add(position)
    return assigned


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
    header, and mapped headers that are not there; returns None when there is no header."""
    wanted = {c: ref.header for c, ref in mapping.columns.items() if ref.header} if mapping else {}
    if mapping and mapping.header_row:
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
        index = find_header(raw, spec, wanted)
    if index is None:
        expected = ", ".join(spec.required_columns or spec.column_names)
        report.error(
            "no-header",
            "no header row found",
            sheet=raw.name,
            hint=f"the first rows must include a header row with {expected}",
        )
        return None
    header_cells = [text(cell) if not is_blank(cell) else "" for cell in raw.rows[index]]
    assigned = _assign(header_cells, spec, mapping)
    table = Table(raw.name, raw.numbers[index])
    if mapping:
        for column, ref in mapping.columns.items():
            if column not in assigned and ref.header:
                report.error(
                    "mapped-header-missing",
                    f"the mapping names header {ref.header!r} for {column}, "
                    "but the header row has no such column",
                    sheet=raw.name,
                    excel_row=raw.numbers[index],
                    column=ref.header,
                    hint="headers found: " + ", ".join(h for h in header_cells if h),
                )
    start = index + 1
    if start < len(raw.rows) and _is_description_row(raw.rows[start], assigned, spec):
        start += 1
    numbers = raw.numbers[start:]
    rows = raw.rows[start:]
    longest = max(map(len, rows), default=0)
    if any(len(row) != longest for row in rows):  # ragged CSV records
        rows = [list(row) + [None] * (longest - len(row)) for row in rows]
    by_column = [np.array(cells, dtype=object) for cells in zip(*rows, strict=True)]
    # How many cells of each row hold something: 0 is a blank row, 1 a lone note (or a
    # pre-filled label), more an entry. Counted column by column, in numpy.
    filled_masks = [(cells != "") & (cells != None) for cells in by_column]  # noqa: E711
    filled = np.sum(filled_masks, axis=0) if filled_masks else np.zeros(0, dtype=int)
    used = set(assigned.values())
    label_position = assigned.get(spec.row_label) if spec.row_label else None
    keep = filled > 1 if len(used) > 2 else filled > 0
    for row in np.flatnonzero(filled == 1):
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
    width = len(header_cells)
    beyond = np.sum(filled_masks[width:], axis=0) if len(filled_masks) > width else None
    for row in np.flatnonzero(keep & (beyond > 0)) if beyond is not None else []:
        report.warning(
            "cells-without-header",
            "cells to the right of the last header are ignored",
            sheet=raw.name,
            excel_row=numbers[row],
            hint="give the column a header, or remove the cells",
        )
    kept = np.flatnonzero(keep)
    table.numbers = [numbers[i] for i in kept]
    extras_at = {
        position: header
        for position, header in enumerate(header_cells)
        if header and position not in used
    }

    def column_values(position: int) -> list[Any]:
        if position >= len(by_column):
            return [None] * len(kept)
        return by_column[position][kept].tolist()

    for column, position in assigned.items():
        table.columns[column] = column_values(position)
        table.headers[column] = header_cells[position]
        for row_number, col in raw.unsaved_formulas:
            if col == position:
                table.unsaved.add((row_number, column))
        for (row_number, col), error in raw.errors.items():
            if col == position:
                table.errors[(row_number, column)] = error
    for position, header in extras_at.items():
        table.extras[header] = column_values(position)
    return table


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
