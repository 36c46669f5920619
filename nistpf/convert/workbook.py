"""Reading NIST's presentation workbooks: non-empty rows with Excel row numbers, clean text."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl

# "ID.IM-P1: text", "Inventory and Mapping (ID.IM-P): text", "IDENTIFY-P (ID-P): text",
# and the CSF equivalents ("ID.AM-1: text", "Asset Management (ID.AM): text", "IDENTIFY (ID)").
_SUBCATEGORY = re.compile(r"^(?P<id>[A-Z]{2}\.[A-Z]{2}(?:-P)?-?P?\d+)\s*:\s*(?P<text>.*)$", re.S)
_NAMED = re.compile(
    r"^(?P<name>[^():]+?)\s*\((?P<id>[A-Z]{2}(?:[.-][A-Z]{1,2})?(?:-P)?)\)\s*:?\s*(?P<text>.*)$",
    re.S,
)


@dataclass(frozen=True)
class Row:
    """One non-empty worksheet row: its 1-based Excel row number and its cell values."""

    number: int
    cells: tuple[Any, ...]

    def get(self, column: int) -> Any:
        """The value in 0-based ``column``, or None past the end of the row."""
        return self.cells[column] if column < len(self.cells) else None


def clean_text(value: Any) -> str:
    """Cell text as NIST means it: no-break spaces made plain, runs of white space (including
    line breaks inside a sentence) folded to one space, ends trimmed. Curly quotes are kept."""
    if value is None:
        return ""
    text = str(value).replace("\xa0", " ")
    return re.sub(r"\s+", " ", text).strip()


def cell_lines(value: Any) -> list[str]:
    """A multi-valued cell split on its line breaks, each line cleaned, empty lines dropped."""
    if value is None:
        return []
    return [line for line in (clean_text(part) for part in str(value).splitlines()) if line]


def split_id_text(value: Any) -> tuple[str, str, str] | None:
    """Split a cell such as ``"ID.IM-P1: Systems ... inventoried."`` or
    ``"Inventory and Mapping (ID.IM-P): Data processing ..."`` into ``(id, name, text)``.

    ``name`` is empty for Subcategories. Returns None when the cell holds no identifier.
    """
    text = clean_text(value)
    match = _SUBCATEGORY.match(text)
    if match:
        return match["id"], "", match["text"].strip()
    match = _NAMED.match(text)
    if match:
        return match["id"], match["name"].strip(), match["text"].strip()
    return None


def _open(path: Path, **options: Any) -> openpyxl.Workbook:
    """Open read-only. NIST's files carry a print area openpyxl cannot apply and a missing
    default style; both warnings are about presentation, not content, so they are silenced."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        return openpyxl.load_workbook(path, read_only=True, **options)


def read_rows(path: Path, sheet: str | int = 0) -> list[Row]:
    """Every row of ``sheet`` that has at least one non-blank cell, with its Excel row number.

    Opened read-only with values only: formatting and the phantom used range cost nothing.
    ``sheet`` is a name or a 0-based position.
    """
    workbook = _open(path, data_only=True)
    try:
        worksheet = workbook[sheet] if isinstance(sheet, str) else workbook.worksheets[sheet]
        rows = []
        for number, cells in enumerate(worksheet.iter_rows(values_only=True), start=1):
            if any(clean_text(cell) for cell in cells):
                rows.append(Row(number, tuple(cells)))
        return rows
    finally:
        workbook.close()


def sheet_names(path: Path) -> list[str]:
    """The worksheet names of a workbook, in order."""
    workbook = _open(path)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def source_label(path: Path, sheet: str, row: int) -> str:
    """Where a value came from, as ``"<file name>:<sheet>:row <n>"`` (n is the Excel row)."""
    return f"{Path(path).name}:{sheet}:row {row}"


def find_header(rows: list[Row], text: str, within: int = 5) -> tuple[int, int]:
    """The (position in ``rows``, 0-based column) of the first cell among the first ``within``
    rows whose cleaned text starts with ``text``. Raises ValueError when there is none."""
    for position, row in enumerate(rows[:within]):
        for column, value in enumerate(row.cells):
            if clean_text(value).startswith(text):
                return position, column
    raise ValueError(f"no header cell starting with {text!r} in the first {within} rows")


def rows_below_header(rows: list[Row], header: str) -> tuple[list[Row], int]:
    """The data rows of a NIST crosswalk sheet and the column whose header starts with
    ``header``: the rows below that header and below a "Subcategory" column-label row if the
    sheet has one (several sheets put a banner above "Function / Category / Subcategory")."""
    position, column = find_header(rows, header)
    try:
        labels, _ = find_header(rows, "Subcategory")
    except ValueError:
        labels = position
    return rows[max(position, labels) + 1 :], column


def most_specific_id(row: Row, columns: range | list[int]) -> tuple[str, str, str] | None:
    """``split_id_text`` of the rightmost cell among ``columns`` that holds an identifier: on a
    sheet with Function, Category and Subcategory columns that is the row's own, most specific
    ID (merged parent cells only fill their first row). None when no column holds one."""
    for column in reversed(list(columns)):
        parsed = split_id_text(row.get(column))
        if parsed is not None:
            return parsed
    return None
