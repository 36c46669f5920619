"""Cells, styles and print settings shared by the workbooks nistpf writes (the inventory template
and the gap register).

The one rule every workbook follows: text is stored as text. openpyxl takes a string that starts
with ``=`` for a formula (and ``#N/A`` for an error); Excel and LibreOffice evaluate what starts
with ``+``, ``-`` or ``@`` once someone edits the cell. Text from a client's inventory is
therefore written with the string data type, and with Excel's quote prefix when it starts with
one of :data:`FORMULA_STARTS`, so it stays text even after editing.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Sequence
from copy import copy
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.cell.cell import ERROR_CODES, Cell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE as _ILLEGAL
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.worksheet.worksheet import Worksheet

FONT_NAME = "Calibri"  # Excel's default; LibreOffice substitutes a metric-compatible font
HEADER_FONT = Font(name=FONT_NAME, bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TITLE_FONT = Font(name=FONT_NAME, bold=True, size=14)
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"
YES_NO = ("yes", "no")
EXCEL_TEXT_LIMIT = 32767
# What makes Excel, LibreOffice or a CSV export treat text as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_RISKY_FIRST = frozenset(FORMULA_STARTS) | {""}  # "" is a blank cell
_ERRORS = frozenset(ERROR_CODES)
LINE_HEIGHT = 15  # points per line of 11-point text
MAX_ROW_HEIGHT = 409  # Excel's limit


# -- values ----------------------------------------------------------------------------------


def cell_value(value: object) -> object:
    """What a cell holds for ``value``: None for missing values, "yes"/"no" for booleans, lists
    joined with "; ", dates as datetime/date, numbers as int/float, anything else as text.
    An empty string is a blank cell too."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple, set, frozenset)):
        values = value if isinstance(value, (list, tuple)) else sorted(value, key=str)
        items = (cell_value(item) for item in values)
        return "; ".join(as_text(item) for item in items if item is not None)
    if isinstance(value, str):
        return value or None
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return YES_NO[0] if value else YES_NO[1]
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones
    if isinstance(value, dt.date):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else str(number)
    return str(value)


def as_text(value: object) -> str:
    """``value`` as text for a list in one cell (dates as ISO dates)."""
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def needs_string_type(text: str) -> bool:
    """True when openpyxl, Excel or LibreOffice would not keep ``text`` as plain text."""
    return text.startswith(FORMULA_STARTS) or text in ERROR_CODES


def write_cell(cell: Cell, value: object) -> Cell:
    """Put ``value`` into ``cell`` of a normal worksheet; text is stored as a string even when it
    starts with "=", and gets Excel's quote prefix when it looks like a formula, so editing it
    keeps it text. Text Excel cannot hold (too long, control characters) is a ValueError."""
    value = cell_value(value)
    if isinstance(value, str):
        if len(value) > EXCEL_TEXT_LIMIT:
            raise ValueError(
                f"{cell.parent.title}!{cell.coordinate}: text of {len(value)} characters; "
                f"Excel holds at most {EXCEL_TEXT_LIMIT} in a cell"
            )
        try:
            cell.value = value
        except IllegalCharacterError:
            raise ValueError(
                f"{cell.parent.title}!{cell.coordinate}: {value[:40]!r} holds a control "
                "character that Excel cannot store; remove it"
            ) from None
        cell.data_type = "s"
        if needs_string_type(value):
            cell.quotePrefix = True
    else:
        cell.value = value
        if isinstance(value, (dt.date, dt.datetime)):
            cell.number_format = DATE_FORMAT
    return cell


def storable_text(text: str) -> str:
    """``text`` as Excel can store it: control characters Excel refuses become U+FFFD and text
    beyond Excel's 32,767 characters is cut, ending in "…". For outputs derived from an
    inventory, where refusing the whole file for one odd character helps nobody."""
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub("\ufffd", text)
    if len(text) > EXCEL_TEXT_LIMIT:
        text = text[: EXCEL_TEXT_LIMIT - 1] + "…"
    return text


# -- streamed (write-only) worksheets ----------------------------------------------------------


class CellMaker:
    """Cells for the rows of an openpyxl write-only worksheet.

    :meth:`cell` returns plain values where openpyxl writes them faithfully (the fast path for
    large sheets), and a :class:`Cell` with the string data type for text that could be taken
    for a formula or an error, or with a style when one is asked for. ``styles`` maps a style
    name to cell attributes (``font``, ``fill``, ``alignment``, ``number_format``, ``border``);
    each style is built once."""

    def __init__(self, worksheet: Any, styles: dict[str, dict[str, Any]]):
        self.worksheet = worksheet
        self.styles = styles
        self._arrays: dict[tuple[str | None, bool], Any] = {}

    def _array(self, style: str | None, quote: bool):
        key = (style, quote)
        if key not in self._arrays:
            template = Cell(self.worksheet, row=1, column=1)
            for name, value in (self.styles[style] if style else {}).items():
                setattr(template, name, value)
            if quote:
                template.quotePrefix = True
            self._arrays[key] = copy(template._style)
        return self._arrays[key]

    def cell(self, value: object, style: str | None = None) -> object:
        kind = value.__class__
        if style is None:  # the fast path: values openpyxl writes as they are
            if kind is str:
                if not (
                    value[:1] in _RISKY_FIRST
                    or value in _ERRORS
                    or len(value) > EXCEL_TEXT_LIMIT
                    or _ILLEGAL.search(value)
                ):
                    return value
            elif (
                kind is int
                or value is None
                or (kind is float and math.isfinite(value) and _exact(value))
            ):
                return value
        value = cell_value(value)
        quote = False
        if isinstance(value, str):
            value = storable_text(value)
            quote = needs_string_type(value)
        elif isinstance(value, float) and not _exact(value):
            return self._full_precision(value, style)
        if style is None and not quote:
            return value
        made = Cell(self.worksheet, row=1, column=1, style_array=self._array(style, quote))
        if value is not None:
            made.value = value
            if isinstance(value, str):
                made.data_type = "s"
        return made

    def _full_precision(self, value: float, style: str | None) -> Cell:
        """openpyxl writes numbers with 16 significant digits, and some floats need 17 to read
        back exactly; such a cell carries ``repr(value)``, which the writer copies as it is."""
        made = Cell(self.worksheet, row=1, column=1, style_array=self._array(style, False))
        made._value = repr(value)
        made.data_type = "n"
        return made


def _exact(value: float) -> bool:
    """True when openpyxl's 16 significant digits give ``value`` back."""
    return float("%.16g" % value) == value  # noqa: UP031 - openpyxl's own format


def text_lines(text: str, width: float) -> int:
    """Lines that ``text`` wraps to in a column ``width`` characters wide (for row heights)."""
    usable = max(width - 1, 1)
    return sum(max(1, math.ceil(len(line) / usable)) for line in text.split("\n"))


def wrapped_lines(text: str, width: float) -> int:
    """Lines that ``text`` takes in a wrapped cell ``width`` characters wide: words wrap whole
    (a word wider than the cell breaks), upper case and digits are wider than lower case."""
    if len(text) * 0.82 <= width - 1 and "\n" not in text:
        return 1
    heavy = sum(map(str.isupper, text)) + sum(map(str.isdigit, text))
    capacity = max((width - 1) / (0.82 + 0.28 * heavy / max(len(text), 1)), 1.0)
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = -1.0
        for word in paragraph.split(" "):
            if used >= 0 and used + 1 + len(word) <= capacity:
                used += 1 + len(word)
                continue
            if used >= 0:
                lines += 1
            used = float(len(word))
            while used > capacity:
                lines += 1
                used -= capacity
    return lines


def row_height(lines: int) -> float:
    return min(MAX_ROW_HEIGHT, LINE_HEIGHT * lines + 2)


# -- printing --------------------------------------------------------------------------------

# Every sheet prints landscape on A4 or Letter; Letter is the narrower, so what fits its width
# fits A4's. Margins in inches.
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.5, "bottom": 0.6, "header": 0.3, "footer": 0.3}
PRINTABLE_WIDTH = (11 - MARGINS["left"] - MARGINS["right"]) * 72  # points, Letter landscape
# A column width unit in points: the width of Calibri 11's digit as LibreOffice lays it out
# (0.507 em); Excel rounds it to 7 pixels (5.25 points), so a sheet that fits here fits there.
POINTS_PER_WIDTH = 5.58
TEXT_SIZE = 11  # points, the cells' text
# Fitting to the page width shrinks text; past this size, sheets print more pages across
# instead (8 pt, the smallest a printed table reads at, and room for Excel's whole percents).
SMALLEST_PRINTED = 8.5
FOOTER = "&A, page &P of &N"  # the sheet's name and the page number


def pages_across(widths: Sequence[float], *, repeated: float = 0) -> int:
    """Pages across that columns ``widths`` (in characters) take when printed with text at
    SMALLEST_PRINTED points or more; ``repeated`` is the width of the title columns printed
    on every page. A page breaks between columns, so they are laid out one by one."""
    page = PRINTABLE_WIDTH * TEXT_SIZE / SMALLEST_PRINTED / POINTS_PER_WIDTH
    pages, used = 1, 0.0
    for width in widths:
        if used + width > page and used > repeated:
            pages, used = pages + 1, repeated
        used += width
    return pages


def print_setup(
    worksheet: Worksheet,
    *,
    title_rows: str | None = None,
    title_columns: str | None = None,
    area: str | None = None,
    pages_wide: int | None = 1,
) -> None:
    """Landscape, narrow margins, the sheet's name and page number in the footer.

    ``pages_wide`` pages across, as many down as the rows take (None: at 100 %, no fitting, so
    manual page breaks hold); ``title_rows`` (``"1:1"``) and ``title_columns`` (``"A:A"``)
    repeated on every page; ``area`` the print area (``"A1:L72"``), else the whole sheet."""
    setup = worksheet.page_setup
    setup.orientation = "landscape"
    for side, inches in MARGINS.items():
        setattr(worksheet.page_margins, side, inches)
    if pages_wide:
        setup.fitToWidth = pages_wide
        setup.fitToHeight = 0
    worksheet.sheet_properties.pageSetUpPr.fitToPage = bool(pages_wide)
    worksheet.oddFooter.center.text = FOOTER
    if title_rows:
        worksheet.print_title_rows = title_rows
    if title_columns:
        worksheet.print_title_cols = title_columns
    if area:
        worksheet.print_area = area


def limit(text: str, size: int = 255) -> str:
    """Excel refuses validation messages over 255 characters."""
    return text if len(text) <= size else text[: size - 1] + "…"
