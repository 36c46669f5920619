"""The Excel gap register: the consultant's main deliverable (DESIGN §6).

>>> import nistpf
>>> from nistpf.export.excel import write_gap_register
>>> a = nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))
>>> write_gap_register(a, "gap-register.xlsx")  # doctest: +SKIP
PosixPath('gap-register.xlsx')

Sheets, in this order: **Summary** (engagement, scale, overall and per-Function and per-Category
scores, Tiers, a radar and a bar chart that Excel draws from the tables, and the Subcategories
closed since a previous register), **Gap Register** (one row per in-profile Subcategory with a
gap or a finding, by gap points; the client fills the last five columns), **Profile** (every
Subcategory), **Systems** (systems × Functions heat map), **Data Flows** (every flow with its
findings), **Data journeys** (every path of each sensitive data category, hop by hop, where it
ends, the gaps, and the data-flow diagram when Graphviz is installed), **Privacy risk (PRAM)**
(the data actions ranked by NIST PRAM risk, the top outliers), **Validation** (the inventory's
warnings) and **Method** (how every figure is
computed, the scale, weights, framework, input file and its SHA-256, nistpf's version, the
data-flow rules).

Every number comes from the :class:`~nistpf.Assessment` as a full-precision float; number
formats round it for display only. Text from the inventory is always stored as text, never as a
formula. The file is written to a temporary file beside ``path`` and renamed into place.

The sheets are built as data first (:func:`build_sheets`, :mod:`nistpf.export.excel_sheets`), then
rendered with openpyxl's write-only mode, which streams rows: 20,000 data flows write in about
the time xlsxwriter takes (see ``benchmarks/bench_register.py``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, RadarChart, Reference
from openpyxl.drawing.image import Image
from openpyxl.formatting.rule import ColorScaleRule, DataBarRule, FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.pagebreak import Break
from openpyxl.writer.excel import ExcelWriter

from nistpf.assessment import Assessment
from nistpf.errors import OutputNotWritableError, RegisterError
from nistpf.export.excel_method import method_sheet
from nistpf.export.excel_sheets import (
    DATA_FLOWS,
    DATA_JOURNEYS,
    DATE,
    DEFAULT_STATUS,
    EDIT_HEADERS,
    FLOW_FINDING_HEADERS,
    GAP_REGISTER,
    PRIVACY_RISK,
    PROFILE,
    STATUSES,
    SUMMARY,
    SYSTEMS,
    VALIDATION,
    WRAP_ROW_LIMIT,
    Block,
    Column,
    Sheet,
    data_flows_sheet,
    gap_register,
    gap_register_sheet,
    layout,
    profile_sheet,
    summary_sheet,
    systems_sheet,
    validation_sheet,
)
from nistpf.export.flows_sheets import diagram_png, journeys_sheet, pram_sheet, summary_rows
from nistpf.export.register_edits import (
    apply_edits,
    client_wrote,
    closed_items,
    normalise_edits,
    read_register_edits,
)
from nistpf.io.atomic import atomic_open, check_destination, same_file
from nistpf.io.paths import Use, check_paths, fit_name, name_max, source_uses
from nistpf.io.xlsx import (
    FONT_NAME,
    HEADER_FILL,
    HEADER_FONT,
    MARGINS,
    POINTS_PER_WIDTH,
    PRINTABLE_WIDTH,
    CellMaker,
    limit,
    pages_across,
    print_setup,
    row_height,
    wrapped_lines,
)

__all__ = [
    "build_sheets",
    "closed_items",
    "discard_workbook",
    "read_register_edits",
    "save_workbook",
    "write_gap_register",
]

EDIT_FILL = PatternFill("solid", fgColor="E2EFDA")  # the columns the client fills
FINDING_FILL = PatternFill("solid", fgColor="FFF2CC")
HIGH_FINDING_FILL = PatternFill("solid", fgColor="F8CBAD")
CURRENT_COLOUR = "1F4E78"
TARGET_COLOUR = "ED7D31"
MAX_LINES = 40
# The Summary's charts: two, 8 cm tall, fill a landscape A4 or Letter page (8 cm is 15 rows of
# 15 points; the next chart starts 18 rows down, clear of the first even where rows are lower).
CHART_HEIGHT = 8
CHART_ROWS = 18
# The data-flow diagram on the Data journeys sheet prints on a page of its own (a page break
# before it), as large as fits: no wider than the columns that print on the first page at 100 %
# (Excel's column unit is 5.25 points, the narrower: POINTS_PER_WIDTH is LibreOffice's), no
# taller than a landscape A4 page (the shorter of A4 and Letter) between its margins.
EXCEL_POINTS_PER_WIDTH = 5.25
PRINTABLE_HEIGHT = (8.27 - MARGINS["top"] - MARGINS["bottom"]) * 72  # points, A4 landscape
PIXELS_PER_POINT = 96 / 72  # an image's size in a workbook is in pixels at 96 dpi
FROZEN = {
    GAP_REGISTER: "B2",
    PROFILE: "B2",
    SYSTEMS: "C2",
    DATA_FLOWS: "B2",
    DATA_JOURNEYS: "C2",
    PRIVACY_RISK: "C2",
    VALIDATION: "A2",
}


def write_gap_register(
    assessment: Assessment,
    path: str | PathLike[str],
    *,
    carry_over: str | PathLike[str] | pd.DataFrame | None = None,
    overwrite: bool = False,
) -> Path:
    """Write the gap register of ``assessment`` to ``path`` (an ``.xlsx``) and return the path.

    ``carry_over`` is an earlier register (its path, or what :func:`read_register_edits`
    returned): for the Subcategories the new register still lists, the client's recommended
    action and status (when not blank), owner, due date and comments replace the defaults; the
    Subcategories it no longer lists appear on the Summary sheet as closed
    (:func:`closed_items` returns them). The earlier register is read before anything is
    written, so it may be ``path`` itself.

    Nothing the client typed is lost: when ``path`` already holds a register, its edits carry
    over too (:func:`gather_edits`, whose notes are a warning); ``overwrite=True`` replaces it
    without them. A file at ``path`` that is not a register nistpf can read is a
    :class:`RegisterError` unless ``overwrite``.

    An existing file at ``path`` is replaced, atomically: a failure leaves it as it was.
    Refuses the input workbook, or any path in a source folder (OutputIsInputError,
    :func:`nistpf.io.paths.check_paths`); a folder that is missing or read-only, a file that is
    read-only or open in Excel or LibreOffice, a name too long, or a write the operating system
    refuses (no space left, permission) is an OutputNotWritableError naming the cause.
    """
    path = Path(path)
    # The register carried over is read, but may be ``path`` itself: replacing it with the
    # register that carries its edits is what carrying over is for, so it is not protected.
    check_paths(source_uses(assessment.inventory.path), [Use(path, "the gap register")])
    check_destination(path)
    carried = gather_edits(path, carry_over, overwrite=overwrite)
    if carried.notes:
        warnings.warn("; ".join(carried.notes), UserWarning, stacklevel=2)
    sheets = build_sheets(assessment, carry_over=carried.edits)
    return write_streamed(path, lambda workbook: render(sheets, assessment, workbook))


def write_streamed(path: Path, fill: Callable[[Workbook], None]) -> Path:
    """A write-only (streamed) openpyxl workbook, filled by ``fill``, saved at ``path`` through
    :func:`nistpf.io.atomic.atomic_open`: whole or not at all, its temporary parts removed
    whatever happens. An OSError is an :class:`OutputNotWritableError` naming ``path``."""
    workbook = Workbook(write_only=True)
    try:
        fill(workbook)
        with atomic_open(path, "wb") as stream:
            save_workbook(workbook, stream)
    except OSError as error:
        discard_workbook(workbook)
        raise OutputNotWritableError.from_os_error(path, error) from error
    except BaseException:
        discard_workbook(workbook)
        raise
    return path


def save_workbook(workbook: Workbook, stream) -> None:
    """``workbook.save(stream)``, with the zip archive closed even when writing fails (openpyxl
    leaves it to the garbage collector, which then writes into a closed file)."""
    with ZipFile(stream, "w", ZIP_DEFLATED, allowZip64=True) as archive:
        workbook.properties.modified = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        ExcelWriter(workbook, archive).write_data()


def discard_workbook(workbook: Workbook) -> None:
    """Close the streams of a write-only workbook that will not be saved and remove the
    temporary files openpyxl streams its sheets into (else they stay until the process
    exits, and their generators complain when collected)."""
    for worksheet in workbook.worksheets:
        writer = getattr(worksheet, "_writer", None)
        if writer is None:
            continue
        with contextlib.suppress(Exception):
            if not worksheet.closed:
                worksheet.close()
        with contextlib.suppress(Exception):
            writer.cleanup()


def build_sheets(
    a: Assessment,
    *,
    carry_over: pd.DataFrame | None = None,
    edits: pd.DataFrame | None = None,
) -> tuple[Sheet, ...]:
    """The register's nine sheets as data (no I/O but the data-flow diagram, drawn by
    Graphviz when it is installed): what every cell holds, in order.

    ``carry_over`` is the client's edits of an earlier register (what
    :func:`read_register_edits` returns), as for :func:`write_gap_register`. ``edits`` is its
    earlier name: still accepted, with a DeprecationWarning; giving both is a TypeError."""
    edits = _renamed(carry_over, edits, "build_sheets")
    register = gap_register(a)
    closed = closed_items(a, edits) if edits is not None else None
    return (
        summary_sheet(a, register, closed, summary_rows(a)),
        gap_register_sheet(a, apply_edits(register, edits)),
        profile_sheet(a),
        systems_sheet(a),
        data_flows_sheet(a),
        journeys_sheet(a),
        pram_sheet(a),
        validation_sheet(a),
        method_sheet(a),
    )


def _renamed(carry_over: object, edits: object, function: str) -> object:
    """``carry_over``, or ``edits`` (its earlier name) with a DeprecationWarning; both given is
    a TypeError."""
    if edits is None:
        return carry_over
    if carry_over is not None:
        raise TypeError(f"{function}: give carry_over or edits (its earlier name), not both")
    warnings.warn(
        f"{function}(edits=...) is deprecated: use carry_over=", DeprecationWarning, stacklevel=3
    )
    return edits


@dataclass(frozen=True)
class CarriedEdits:
    """What a new register carries over: ``edits`` (:func:`read_register_edits`' columns, or
    None), the registers they come from (``sources``, the one being replaced first) and
    ``notes``, sentences about what could not be carried and where the replaced register was
    kept."""

    edits: pd.DataFrame | None
    sources: tuple[Path, ...]
    notes: tuple[str, ...]


def gather_edits(
    path: Path,
    carry_over: str | PathLike[str] | pd.DataFrame | None = None,
    *,
    overwrite: bool = False,
) -> CarriedEdits:
    """The edits a register written to ``path`` carries over: ``carry_over``'s (a register or
    edits), and — unless ``overwrite`` or ``carry_over`` is already that file or a DataFrame —
    those of the register at ``path`` that the new one replaces, merged row by row
    (:func:`merge_edits`). A replaced register holding what cannot be carried over (a column
    the client added, a renamed header) is first copied aside (:func:`keep_previous`); a due
    date that is not a date is carried over as text, noted, and needs no copy. A file at
    ``path`` that is not a register is a :class:`RegisterError`."""
    edits = _edits(carry_over)
    sources = [] if carry_over is None or isinstance(carry_over, pd.DataFrame) else [carry_over]
    notes = list(edits.attrs.get("notes", [])) if edits is not None else []
    replaced = path.exists() and not overwrite and not isinstance(carry_over, pd.DataFrame)
    if replaced and not (sources and same_file(Path(sources[0]), path)):
        existing = existing_edits(path)
        # Cells carried over as written (a due date that is no date, a formula without a
        # saved value): nothing lost, no copy needed.
        dates = existing.attrs["cell_notes"]
        if any(n not in dates for n in existing.attrs["notes"]):
            kept = keep_previous(path)
            notes = [*existing.attrs["notes"], f"the register replaced is kept as {kept.name}"]
            notes += edits.attrs.get("notes", []) if edits is not None else []
        else:
            notes = [*dates, *notes]
        edits = merge_edits(existing, edits)
        sources.insert(0, path)
    return CarriedEdits(edits, tuple(Path(s) for s in sources), tuple(notes))


def existing_edits(path: Path) -> pd.DataFrame:
    """The client's edits in the register about to be replaced at ``path``; a file there that
    is not a register is a :class:`RegisterError` saying how to go on."""
    if path.is_dir():
        raise RegisterError(path, "is a folder; name the register file to write") from None
    try:
        return read_register_edits(path)
    except RegisterError as error:
        raise RegisterError(
            path, f"{error.problem}; write elsewhere, or pass overwrite=True (--overwrite)"
        ) from None


def keep_previous(path: Path) -> Path:
    """Copy the register about to be replaced to ``<name> (replaced <date> <time>).xlsx``
    beside it, because it holds something the new one cannot carry over (a column the client
    added, a renamed header, a Subcategory on several rows). Returns the copy's path. A name
    that the stamp would take past the file system's limit keeps as much of its stem as fits;
    a copy that cannot be written is an OutputNotWritableError naming the cause (and the
    register is then not replaced)."""
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H.%M.%S")
    tail = f" (replaced {stamp}){path.suffix}"
    room = name_max(path.parent) - len(tail.encode("utf-8"))
    kept = path.with_name(fit_name(path.stem, room) + tail)
    try:
        with atomic_open(kept, "wb") as stream:
            stream.write(path.read_bytes())
    except OSError as error:
        raise OutputNotWritableError.from_os_error(kept, error) from error
    return kept


def merge_edits(first: pd.DataFrame, then: pd.DataFrame | None) -> pd.DataFrame:
    """The edits of two registers, row by row: for each Subcategory, ``first``'s row (the
    register being replaced) when the client wrote anything on it, else ``then``'s (an older
    register). Rows are never mixed, so an owner never sits beside another year's comment."""
    first = normalise_edits(first)
    if then is None:
        return first
    then = normalise_edits(then)
    written = client_wrote(first)
    kept = first[written]
    older = then[~then["subcategory"].isin(kept["subcategory"])]
    blank = first[~written & ~first["subcategory"].isin(older["subcategory"])]
    return normalise_edits(pd.concat([kept, older, blank], ignore_index=True))


def _edits(carry_over: object) -> pd.DataFrame | None:
    if carry_over is None:
        return None
    if isinstance(carry_over, pd.DataFrame):
        return normalise_edits(carry_over)
    return read_register_edits(carry_over)


# -- where it goes -----------------------------------------------------------------------------


# -- rendering ---------------------------------------------------------------------------------


def render(sheets: tuple[Sheet, ...], a: Assessment, workbook: Workbook | None = None) -> Workbook:
    """The sheets in an openpyxl write-only Workbook (a new one unless given), styled, ready to
    save (once)."""
    workbook = workbook if workbook is not None else Workbook(write_only=True)
    for sheet in sheets:
        worksheet = workbook.create_sheet(sheet.name)
        places = _write_sheet(worksheet, sheet)
        finish = _FINISH.get(sheet.name)
        if finish:
            finish(worksheet, sheet, places, a)
    return workbook


# Where a block landed: (header row or None, first data row, last data row).
Places = dict[str, tuple[int | None, int, int]]


def _write_sheet(worksheet, sheet: Sheet) -> Places:
    maker = CellMaker(worksheet, {})
    cell = maker.cell
    widths = [c.width for c in sheet.table.columns] if sheet.is_table else sheet.widths
    for index, width in enumerate(widths, start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = width
    # A write-only sheet writes its properties, views and columns with the first row.
    if sheet.name in FROZEN:
        worksheet.freeze_panes = FROZEN[sheet.name]
    _print(worksheet, sheet, widths)
    places: Places = {}
    styles: dict[str, list[str | None]] = {}
    wrapped: dict[str, list[tuple[int, float, int | None]]] = {}
    for row_number, (kind, block, values) in enumerate(layout(sheet), start=1):
        if kind == "blank":
            worksheet.append([])
        elif kind == "title":
            worksheet.append([maker.cell(values[0], _style(maker, "title", font=_TITLE))])
        elif kind == "block-title":
            worksheet.append([maker.cell(values[0], _style(maker, "block", font=_BLOCK))])
        elif kind == "header":
            assert block is not None
            places[block.key] = (row_number, row_number + 1, row_number + len(block.rows))
            header_widths = _header_widths(block, widths)
            _height(worksheet, row_number, values, header_widths, [None] * len(values))
            worksheet.append(
                [
                    maker.cell(v, _header_style(maker, column))
                    for v, column in zip(values, block.columns, strict=True)
                ]
            )
        else:
            assert block is not None
            if block.key not in styles:
                styles[block.key] = _column_styles(maker, block)
                wrapped[block.key] = _wrapped(block, widths, sheet.is_table)
                places.setdefault(block.key, (None, row_number, row_number + len(block.rows) - 1))
            if wrapped[block.key]:
                texts = [(values[i], w, most) for i, w, most in wrapped[block.key]]
                _height(worksheet, row_number, *zip(*texts, strict=True))
            column_styles = styles[block.key]
            if any(column_styles):
                worksheet.append([cell(v, s) for v, s in zip(values, column_styles, strict=True)])
            else:  # numbers and blanks as they are; text is checked
                worksheet.append([v if v.__class__ in _AS_IS else cell(v) for v in values])
    return places


_AS_IS = frozenset({int, type(None)})


def _print(worksheet, sheet: Sheet, widths) -> None:
    """How a sheet prints. The Summary at 100 %, its charts on a page of their own (a fitted
    page would ignore the page break). A table sheet with its header row on every page, as
    many pages across as keep its text at 8 pt or more (then its first column, the ID, on
    every page too); of the Gap Register only the columns a reader of the paper copy needs
    (``excel_sheets.GAP_COLUMNS`` says which), one page across."""
    if sheet.name == SUMMARY:
        print_setup(worksheet, pages_wide=None)
        return
    if not sheet.is_table:
        print_setup(worksheet, pages_wide=pages_across(widths))
        return
    printed = widths[: sheet.printed] if sheet.printed else widths
    pages = pages_across(printed, repeated=widths[0])
    print_setup(
        worksheet,
        title_rows="1:1",
        title_columns="A:A" if pages > 1 else None,
        area=f"A1:{get_column_letter(len(printed))}{1 + len(sheet.table.rows)}"
        if sheet.printed
        else None,
        pages_wide=pages,
    )


_TITLE = Font(name=FONT_NAME, bold=True, size=14, color=CURRENT_COLOUR)
_BLOCK = Font(name=FONT_NAME, bold=True, size=12, color=CURRENT_COLOUR)


def _style(maker: CellMaker, name: str, **attributes) -> str:
    maker.styles.setdefault(name, attributes)
    return name


def _header_style(maker: CellMaker, column: Column) -> str:
    """Headers of the client's columns are green; a number column's header is centred over
    its numbers."""
    centre = bool(column.format) and column.align is None and column.format != DATE
    name = f"header|{column.editable}|{centre}"
    return _style(
        maker,
        name,
        font=HEADER_FONT,
        fill=EDIT_FILL if column.editable else HEADER_FILL,
        alignment=Alignment(
            wrap_text=True, vertical="top", horizontal="center" if centre else None
        ),
    )


def _column_styles(maker: CellMaker, block: Block) -> list[str | None]:
    """A style name per column (None: no style, the fast path). Cells of a block with wrapped
    text align to the top, so a row reads as one line of text."""
    top = any(c.wrap for c in block.columns) and len(block.rows) <= WRAP_ROW_LIMIT
    names: list[str | None] = []
    for column in block.columns:
        if not (column.format or column.align or top):
            names.append(None)
            continue
        name = f"cell|{column.format}|{column.align}|{column.wrap}|{top}"
        attributes = {}
        if column.format:
            attributes["number_format"] = column.format
        if column.align or top:
            attributes["alignment"] = Alignment(
                horizontal=column.align,
                vertical="top" if top else None,
                wrap_text=column.wrap or None,
            )
        names.append(_style(maker, name, **attributes))
    return names


def _wrapped(block: Block, widths, is_table: bool) -> list[tuple[int, float, int | None]]:
    """(index, width, most lines) of the wrapped columns whose text sets the row height."""
    if len(block.rows) > WRAP_ROW_LIMIT:
        return []
    return [
        (i, widths[i] if i < len(widths) else column.width, column.max_lines)
        for i, column in enumerate(block.columns)
        if column.wrap
    ]


def _header_widths(block: Block, widths) -> list[float]:
    return [widths[i] if i < len(widths) else c.width for i, c in enumerate(block.columns)]


def _height(worksheet, row: int, values, widths, most) -> None:
    """Give ``row`` the height its wrapped text needs (Excel does not grow rows on opening);
    a column with a most number of lines shows no more (its cell holds all the text)."""
    lines = max(
        (
            min(wrapped_lines(v, w), m or MAX_LINES)
            for v, w, m in zip(values, widths, most, strict=True)
            if isinstance(v, str)
        ),
        default=1,
    )
    if lines > 1:
        worksheet.row_dimensions[row].height = row_height(lines)


# -- per sheet ---------------------------------------------------------------------------------


def _summary(worksheet, sheet: Sheet, places: Places, a: Assessment) -> None:
    """A radar of current vs target by Function and bars by Category, drawn by Excel from the
    Summary's own tables (none over an empty table), one above the other below the tables and
    on a printed page of their own."""
    top = a.scale.maximum
    end = max((place[2] for place in places.values()), default=1)
    places = {key: place for key, place in places.items() if place[2] >= place[1]}
    charts = []
    if "functions" in places:
        header, first, last = places["functions"]
        radar = RadarChart()
        radar.type = "marker"
        radar.title = "Current vs target by Function"
        radar.add_data(
            Reference(worksheet, min_col=3, max_col=4, min_row=header, max_row=last),
            titles_from_data=True,
        )
        radar.set_categories(Reference(worksheet, min_col=2, min_row=first, max_row=last))
        _level_axes(radar, top)
        for series, colour in zip(radar.series, (CURRENT_COLOUR, TARGET_COLOUR), strict=False):
            series.graphicalProperties.line.solidFill = colour
            series.graphicalProperties.line.width = 28575  # 2.25 pt
            series.marker.symbol = "circle"
            series.marker.graphicalProperties.solidFill = colour
            series.marker.graphicalProperties.line.solidFill = colour
        radar.width, radar.height = 14, CHART_HEIGHT
        radar.legend.position = "b"
        charts.append(radar)
    if "categories" in places:
        header, first, last = places["categories"]
        bar = BarChart()
        bar.type = "col"
        bar.grouping = "clustered"
        bar.title = "Current vs target by Category"
        bar.add_data(
            Reference(worksheet, min_col=3, max_col=4, min_row=header, max_row=last),
            titles_from_data=True,
        )
        bar.set_categories(Reference(worksheet, min_col=1, min_row=first, max_row=last))
        _level_axes(bar, top)
        bar.x_axis.tickLblPos = "low"
        for series, colour in zip(bar.series, (CURRENT_COLOUR, TARGET_COLOUR), strict=False):
            series.graphicalProperties.solidFill = colour
            series.graphicalProperties.line.solidFill = colour
        bar.width, bar.height = 22, CHART_HEIGHT  # as wide as the tables
        bar.legend.position = "b"
        charts.append(bar)
    if charts:
        worksheet.row_breaks.append(Break(id=end + 1))  # a new page from row end + 2
    for index, chart in enumerate(charts):
        worksheet.add_chart(chart, f"A{end + 2 + index * CHART_ROWS}")


def _level_axes(chart, top: float) -> None:
    """Both axes shown, the value axis running over the scale's whole levels (0 to ``top``)."""
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = top
    chart.y_axis.majorUnit = 1
    chart.y_axis.delete = False
    chart.y_axis.number_format = "0"
    chart.x_axis.delete = False


def _gap_register(worksheet, sheet: Sheet, places: Places, a: Assessment) -> None:
    block = sheet.table
    last = 1 + len(block.rows)
    headers = [c.header for c in block.columns]
    _filter(worksheet, block, last)
    if not block.rows:
        return
    status = _letter(headers, EDIT_HEADERS["status"])
    dropdown = DataValidation(
        type="list",
        formula1='"' + ",".join(STATUSES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle="Status",
        error=limit(f"Choose one of {', '.join(STATUSES)} (another status is kept as written)."),
        showInputMessage=True,
        promptTitle="Status",
        prompt=limit(f"{', '.join(STATUSES)}; new gaps start as {DEFAULT_STATUS}."),
    )
    dropdown.add(f"{status}2:{status}{last}")
    worksheet.data_validations.append(dropdown)
    due = _letter(headers, EDIT_HEADERS["due_date"])
    dates = DataValidation(
        type="date",
        operator="greaterThan",
        formula1="1",
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle="Due date",
        error="Enter a date, for example 2027-03-31.",
    )
    dates.add(f"{due}2:{due}{last}")
    worksheet.data_validations.append(dates)
    gap = _letter(headers, "Gap")
    worksheet.conditional_formatting.add(f"{gap}2:{gap}{last}", _gap_bar(a))


def _profile(worksheet, sheet: Sheet, places: Places, a: Assessment) -> None:
    block = sheet.table
    last = 1 + len(block.rows)
    _filter(worksheet, block, last)
    gap = _letter([c.header for c in block.columns], "Gap")
    worksheet.conditional_formatting.add(f"{gap}2:{gap}{last}", _gap_bar(a))


def _systems(worksheet, sheet: Sheet, places: Places, a: Assessment) -> None:
    block = sheet.table
    last = 1 + len(block.rows)
    _filter(worksheet, block, last)
    first = next(i for i, c in enumerate(block.columns, start=1) if c.format)
    top = a.scale.maximum
    cells = f"{get_column_letter(first)}2:{get_column_letter(len(block.columns))}{max(last, 2)}"
    worksheet.conditional_formatting.add(
        cells,
        ColorScaleRule(
            start_type="num",
            start_value=a.scale.minimum,
            start_color="F8696B",
            mid_type="num",
            mid_value=(a.scale.minimum + top) / 2,
            mid_color="FFEB84",
            end_type="num",
            end_value=top,
            end_color="63BE7B",
        ),
    )


def _data_flows(worksheet, sheet: Sheet, places: Places, a: Assessment) -> None:
    block = sheet.table
    last = 1 + len(block.rows)
    _filter(worksheet, block, last)
    if not block.rows:
        return
    headers = [c.header for c in block.columns]
    found = _letter(headers, FLOW_FINDING_HEADERS[0])
    severity = _letter(headers, FLOW_FINDING_HEADERS[1])
    cells = f"A2:{get_column_letter(len(headers))}{last}"
    formats = worksheet.conditional_formatting
    formats.add(
        cells,
        FormulaRule(formula=[f'${severity}2="High"'], fill=HIGH_FINDING_FILL, stopIfTrue=True),
    )
    formats.add(cells, FormulaRule(formula=[f'${found}2<>""'], fill=FINDING_FILL))


def _journeys(worksheet, sheet: Sheet, places: Places, a: Assessment) -> None:
    """A filter over the hops; the data-flow diagram (PNG, :func:`diagram_png`) below the
    notes, whose last line says it is there (or that Graphviz is needed)."""
    _filter(worksheet, sheet.table, 1 + len(sheet.table.rows))
    png = diagram_png(a)
    if png is not None:
        image = Image(io.BytesIO(png))
        widths = [c.width for c in sheet.table.columns]
        # shown smaller, so it prints on one page; the picture keeps every pixel
        image.width, image.height = diagram_size(widths, image.width, image.height)
        row = places["notes"][2] + 2
        worksheet.row_breaks.append(Break(id=row - 1))  # the diagram starts a printed page
        worksheet.add_image(image, f"A{row}")


def diagram_size(widths: list[float], width: float, height: float) -> tuple[int, int]:
    """The size (pixels at 96 dpi, aspect kept, never enlarged) at which a picture of
    ``width`` × ``height`` pixels, anchored in column A of a sheet whose columns are
    ``widths`` (characters) wide, prints on one landscape page (A4 or Letter, the sheet's
    margins): no wider than the columns that fit the page's width at 100 % (so however the
    sheet is fitted to its pages, the picture stays within the first page's columns), no
    taller than the page's printable height."""
    used = 0.0
    for column in widths:
        if (used + column) * POINTS_PER_WIDTH > PRINTABLE_WIDTH:
            break
        used += column
    room = min(PRINTABLE_WIDTH, max(used, widths[0] if widths else 0) * EXCEL_POINTS_PER_WIDTH)
    fit = min(
        1.0,
        room * PIXELS_PER_POINT / max(width, 1),
        PRINTABLE_HEIGHT * PIXELS_PER_POINT / max(height, 1),
    )
    return int(width * fit), int(height * fit)


def _pram(worksheet, sheet: Sheet, places: Places, a: Assessment) -> None:
    """A filter over the data actions; a data bar on their risk."""
    block = sheet.table
    last = 1 + len(block.rows)
    _filter(worksheet, block, last)
    risk = _letter([c.header for c in block.columns], "Risk")
    worksheet.conditional_formatting.add(
        f"{risk}2:{risk}{max(last, 2)}",
        DataBarRule(start_type="num", start_value=0, end_type="max", color="F4B183"),
    )


def _validation(worksheet, sheet: Sheet, places: Places, a: Assessment) -> None:
    _filter(worksheet, sheet.table, 1 + len(sheet.table.rows))


def _filter(worksheet, block: Block, last: int) -> None:
    worksheet.auto_filter.ref = f"A1:{get_column_letter(len(block.columns))}{max(last, 1)}"


def _letter(headers: list[str], header: str) -> str:
    return get_column_letter(headers.index(header) + 1)


def _gap_bar(a: Assessment) -> DataBarRule:
    return DataBarRule(
        start_type="num",
        start_value=0,
        end_type="num",
        end_value=a.scale.maximum - a.scale.minimum,
        color="F4B183",
    )


_FINISH: dict[str, Callable] = {
    SUMMARY: _summary,
    GAP_REGISTER: _gap_register,
    PROFILE: _profile,
    SYSTEMS: _systems,
    DATA_FLOWS: _data_flows,
    DATA_JOURNEYS: _journeys,
    PRIVACY_RISK: _pram,
    VALIDATION: _validation,
}
