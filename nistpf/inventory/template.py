"""The blank inventory workbook the consultant sends the client (``nistpf template``).

Every sheet, header, description and dropdown comes from :mod:`nistpf.inventory.schema`, so the
template and the loader can never disagree about a column. The workbook holds:

- **Instructions**: what the workbook is for, one paragraph per sheet, how to write lists, yes/no,
  IDs, endpoints and selectors, and the levels of the default assessment scale;
- one sheet per ``schema.SHEETS`` entry, named exactly ``Sheet.name``: row 1 the headers
  (``Column.name``), row 2 each column's description (the loader skips this row because its cells
  equal the schema's descriptions), data from row 3; dropdowns for enumerated columns;
- **PF Subcategories**: the Functions, Categories and Subcategories of the Core, to pick IDs from;
- **Lists** (hidden): the enumerations the dropdowns reference (a range, not an inline list, so
  Excel's 255-character limit on inline lists never bites).

>>> from nistpf import write_template
>>> write_template("inventory.xlsx")  # doctest: +SKIP
PosixPath('inventory.xlsx')

``data`` fills the sheets instead of leaving them blank (the bundled sample and the generator use
it). Text is always stored as text, never as a formula, whatever it starts with.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from nistpf import scales
from nistpf.errors import OutputExistsError, OutputNotWritableError
from nistpf.framework import Framework, versions
from nistpf.framework import framework as load_framework
from nistpf.inventory import schema
from nistpf.inventory.schema import Column, Sheet
from nistpf.io.atomic import atomic_open
from nistpf.io.paths import Use, check_paths, installed_uses
from nistpf.io.xlsx import (
    DATE_FORMAT,
    FONT_NAME,
    HEADER_FILL,
    HEADER_FONT,
    TEXT_FORMAT,
    TITLE_FONT,
    WRAP_TOP,
    YES_NO,
    cell_value,
    print_setup,
    text_lines,
)
from nistpf.io.xlsx import limit as _limit
from nistpf.io.xlsx import write_cell as _write

INSTRUCTIONS = "Instructions"
REFERENCE = "PF Subcategories"
LISTS = "Lists"
HEADER_ROW = 1
DESCRIPTION_ROW = 2
FIRST_DATA_ROW = 3
LAST_VALIDATED_ROW = 5000  # dropdowns and checks cover rows 3..5000 (more if data is longer)
REFERENCE_COLUMNS = ("ID", "Function", "Category", "Subcategory text")
TIER_LEVELS = tuple(schema.TIER_NAMES)
# Kinds typed as text: Excel must not turn "03-01" into a date or "1e3" into a number.
TEXT_KINDS = frozenset(
    {
        "key",
        "text",
        "list",
        "subcategories",
        "subcategory",
        "pf_id",
        "systems",
        "system",
        "endpoint",
    }
)

_FONT = FONT_NAME
_HEADER_FONT = HEADER_FONT
_REQUIRED_FONT = Font(name=_FONT, bold=True, color="FFFFFF")
_HEADER_FILL = HEADER_FILL
_REQUIRED_FILL = PatternFill("solid", fgColor="1F4E78")
_DESCRIPTION_FONT = Font(name=_FONT, italic=True, color="595959", size=9)
_TITLE_FONT = TITLE_FONT
_WRAP_TOP = WRAP_TOP


def write_template(
    path: str | Path,
    *,
    force: bool = False,
    data: Mapping[str, pd.DataFrame] | None = None,
    framework_version: str | None = None,
) -> Path:
    """Write the inventory workbook to ``path`` (an ``.xlsx``) and return the path.

    ``data`` maps sheet names (``"Systems"``, ``"About"``, …) to DataFrames whose columns are the
    schema's column names, optionally followed by extra columns; their rows fill the sheet from
    row 3. For About the rows (``field``, ``value``) replace the blank field list, for Tiers they
    replace the four pre-filled attributes. ``framework_version`` picks the Privacy Framework
    version of the PF Subcategories sheet and fills About's ``framework_version``.

    Refuses to replace an existing file unless ``force`` (OutputExistsError). The file is written
    to a temporary name and renamed into place, so a failure leaves no file or the old one; a
    write the operating system refuses (permission, no space left, a name too long, a folder at
    ``path``) is an OutputNotWritableError naming the cause.
    """
    path = Path(path)
    # Never one of nistpf's own files (its sample, notebooks, data); a device or a pipe is
    # refused by atomic_open. Missing folders are made, so the folder is not checked here.
    check_paths(installed_uses(), [Use(path, "the inventory template")])
    try:
        exists = path.exists()  # a name too long for the file system fails here already
    except OSError as error:
        raise OutputNotWritableError.from_os_error(path, error) from None
    if exists and not force:
        raise OutputExistsError(path)
    workbook = build_template(data=data, framework_version=framework_version)
    # Saved in memory first (a template is a few hundred KB at most): openpyxl leaves its zip
    # archive open when the file system fails mid-save, and that archive then complains when
    # it is collected; a failing write of bytes leaves nothing open.
    buffer = io.BytesIO()
    workbook.save(buffer)
    try:
        with atomic_open(path, "wb") as stream:
            stream.write(buffer.getbuffer())
    except OSError as error:
        raise OutputNotWritableError.from_os_error(path, error) from error
    return path


def build_template(
    *, data: Mapping[str, pd.DataFrame] | None = None, framework_version: str | None = None
) -> Workbook:
    """The template as an openpyxl Workbook, built in memory (no side effects); see
    :func:`write_template` for ``data`` and ``framework_version``."""
    fw = load_framework(framework_version)
    data = dict(data or {})
    unknown = [name for name in data if name not in schema.SHEETS_BY_NAME]
    if unknown:
        raise ValueError(
            f"data has no inventory sheet named {', '.join(map(repr, unknown))}; "
            f"sheets: {', '.join(schema.SHEETS_BY_NAME)}"
        )
    for name, frame in data.items():
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"data[{name!r}] must be a pandas DataFrame, not {type(frame)}")

    workbook = Workbook()
    _instructions(workbook.active)
    lists = _Lists(workbook.create_sheet(LISTS), fw)  # moved to the end below
    about_defaults = {"framework_version": framework_version} if framework_version else {}
    for spec in schema.SHEETS:
        worksheet = workbook.create_sheet(spec.name)
        if spec.layout == "fields":
            _about_sheet(worksheet, spec, data.get(spec.name), lists, about_defaults)
        else:
            _table_sheet(worksheet, spec, data.get(spec.name), lists)
    _reference_sheet(workbook.create_sheet(REFERENCE), fw)
    workbook.move_sheet(LISTS, offset=len(workbook.sheetnames) - 1)
    workbook[LISTS].sheet_state = "hidden"
    workbook.active = 0
    return workbook


# -- Lists -----------------------------------------------------------------------------------


class _Lists:
    """The hidden Lists sheet: one column per enumeration, its name in row 1, values below."""

    def __init__(self, worksheet: Worksheet, fw: Framework):
        self.worksheet = worksheet
        self.fw = fw
        self.ranges: dict[str, str] = {}

    def range(self, name: str, values: Iterable[object]) -> str:
        """An absolute reference (``Lists!$B$2:$B$6``) to ``values``, added once per name."""
        if name not in self.ranges:
            values = list(values)
            column = len(self.ranges) + 1
            letter = get_column_letter(column)
            _write(self.worksheet.cell(HEADER_ROW, column), name).font = _HEADER_FONT
            for row, value in enumerate(values, start=HEADER_ROW + 1):
                _write(self.worksheet.cell(row, column), value)
            self.worksheet.column_dimensions[letter].width = max(
                [len(name), *(len(str(v)) for v in values)]
            )
            last = HEADER_ROW + len(values)
            self.ranges[name] = f"{quote_sheetname(LISTS)}!${letter}$2:${letter}${last}"
        return self.ranges[name]


def _list_validation(reference: str, error: str, *, warning: bool = False) -> DataValidation:
    """A dropdown of the values at ``reference``; ``error`` is shown for any other value, which
    is refused (or, with ``warning``, may be kept)."""
    return DataValidation(
        type="list",
        formula1=reference,
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning" if warning else "stop",
        errorTitle="Not in the list",
        error=_limit(error),
    )


def _validation(column: Column, sheet_name: str, lists: _Lists) -> DataValidation | None:
    """The data validation of ``column``, or None when its kind has none."""
    if column.kind == "choice":
        reference = lists.range(f"{sheet_name}.{column.name}", column.choices)
        return _list_validation(reference, f"Allowed values: {', '.join(column.choices)}")
    if column.kind == "yesno":
        return _list_validation(lists.range("yesno", YES_NO), "Allowed values: yes, no")
    if column.kind == "tier":
        names = ", ".join(f"{tier} {name}" for tier, name in schema.TIER_NAMES.items())
        reference = lists.range("Tiers.tier", TIER_LEVELS)
        return _list_validation(reference, f"A Tier is a whole number 1-4: {names}")
    if column.kind == "level":
        top = scales.scale(scales.DEFAULT_SCALE)
        return DataValidation(
            type="decimal",
            operator="between",
            formula1=str(top.minimum),
            formula2=str(top.maximum),
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="warning",  # About's scale may allow more (cmmi: 0-5)
            errorTitle="Outside the scale",
            error=_limit(
                f"The default scale runs {top.minimum}-{top.maximum} ({top.describe()}); "
                "keep the value only if About sets another scale."
            ),
        )
    if column.kind in ("subcategory", "pf_id"):
        if column.kind == "subcategory":
            reference = lists.range("PF.subcategory", lists.fw.subcategories["id"])
        else:
            reference = lists.range("PF.id", lists.fw.core["id"])
        return _list_validation(
            reference,
            "Not a Privacy Framework ID as the PF Subcategories sheet writes it. Other "
            "spellings (idim-p1) are read too: keep it if you mean one.",
            warning=True,
        )
    return None


# -- sheets ----------------------------------------------------------------------------------


def _headers(worksheet: Worksheet, columns: list[Column | str]) -> None:
    """Row 1 headers and row 2 descriptions (blank for columns outside the schema), widths,
    column formats, frozen panes and print setup."""
    lines = 1
    for index, column in enumerate(columns, start=1):
        spec = column if isinstance(column, Column) else None
        name = spec.name if spec else str(column)
        header = _write(worksheet.cell(HEADER_ROW, index), name)
        header.font = _REQUIRED_FONT if spec and spec.required else _HEADER_FONT
        header.fill = _REQUIRED_FILL if spec and spec.required else _HEADER_FILL
        header.alignment = Alignment(vertical="top")
        dimension = worksheet.column_dimensions[get_column_letter(index)]
        dimension.width = max(spec.width if spec else 18, len(name) + 3)  # room for the filter
        if spec is None:
            continue
        note = _write(worksheet.cell(DESCRIPTION_ROW, index), spec.description)
        note.font = _DESCRIPTION_FONT
        note.alignment = _WRAP_TOP
        lines = max(lines, text_lines(spec.description, dimension.width))
        if spec.kind in TEXT_KINDS:
            dimension.number_format = TEXT_FORMAT
        elif spec.kind == "date":
            dimension.number_format = DATE_FORMAT
    worksheet.row_dimensions[DESCRIPTION_ROW].height = 12 * lines + 3
    worksheet.freeze_panes = f"A{FIRST_DATA_ROW}"
    worksheet.print_title_rows = f"{HEADER_ROW}:{DESCRIPTION_ROW}"
    print_setup(worksheet)


def _table_sheet(
    worksheet: Worksheet, spec: Sheet, frame: pd.DataFrame | None, lists: _Lists
) -> None:
    """A table sheet: headers, descriptions, ``frame``'s rows (or, for Tiers, the four attributes
    unrated) from row 3, and a validation per enumerated column down to LAST_VALIDATED_ROW."""
    extras = [] if frame is None else [c for c in frame.columns if c not in spec.column_names]
    columns: list[Column | str] = [*spec.columns, *map(str, extras)]
    _headers(worksheet, columns)
    if frame is not None:
        names = [*spec.column_names, *extras]
        for offset, row in enumerate(frame.itertuples(index=False)):
            values = dict(zip(frame.columns, row, strict=True))
            for index, name in enumerate(names, start=1):
                if name in values:
                    _write(worksheet.cell(FIRST_DATA_ROW + offset, index), values[name])
        last_data = FIRST_DATA_ROW + len(frame) - 1
    elif spec is schema.TIERS:
        attribute = spec.column_names.index("attribute") + 1
        for offset, name in enumerate(schema.TIER_ATTRIBUTES):
            _write(worksheet.cell(FIRST_DATA_ROW + offset, attribute), name)
        last_data = FIRST_DATA_ROW + len(schema.TIER_ATTRIBUTES) - 1
    else:
        last_data = DESCRIPTION_ROW
    last = max(LAST_VALIDATED_ROW, last_data)
    for index, column in enumerate(spec.columns, start=1):
        validation = _validation(column, spec.name, lists)
        if validation is None:
            continue
        validation.promptTitle = _limit(column.name, 32)
        validation.prompt = _limit(column.description)
        validation.showInputMessage = True
        letter = get_column_letter(index)
        validation.add(f"{letter}{FIRST_DATA_ROW}:{letter}{last}")
        worksheet.add_data_validation(validation)
    last_letter = get_column_letter(len(columns))
    worksheet.auto_filter.ref = f"A{HEADER_ROW}:{last_letter}{last_data}"


def _about_sheet(
    worksheet: Worksheet,
    spec: Sheet,
    frame: pd.DataFrame | None,
    lists: _Lists,
    defaults: Mapping[str, str],
) -> None:
    """About: one field per row, its description as a comment on the field's cell."""
    _headers(worksheet, list(spec.columns))
    if frame is None:
        rows = [(field.name, defaults.get(field.name)) for field in schema.ABOUT_FIELDS]
    else:
        missing = [c for c in ("field", "value") if c not in frame.columns]
        if missing:
            raise ValueError(f"data['About'] needs the columns field and value; missing {missing}")
        rows = list(zip(frame["field"], frame["value"], strict=True))
    validations = {
        "scale": _list_validation(
            lists.range("About.scale", scales.BUILT_IN),
            f"Built-in scales: {', '.join(scales.BUILT_IN)}; keep another name only for a "
            "custom scale your consultant set up.",
            warning=True,
        ),
        "framework_version": _list_validation(
            lists.range("About.framework_version", versions()),
            f"Privacy Framework versions: {', '.join(versions())}",
        ),
    }
    for row, (name, value) in enumerate(rows, start=FIRST_DATA_ROW):
        label = _write(worksheet.cell(row, 1), name)
        label.font = _HEADER_FONT
        _write(worksheet.cell(row, 2), value)
        field = schema.about_field(name) if cell_value(name) is not None else None
        if field is None:
            continue
        comment = Comment(field.description, "nistpf")
        comment.width, comment.height = 300, 60
        label.comment = comment
        if field.kind == "date":
            worksheet.cell(row, 2).number_format = DATE_FORMAT
        if field.name in validations:
            validations[field.name].add(f"B{row}")
    for validation in validations.values():
        if validation.sqref:
            worksheet.add_data_validation(validation)


def _reference_sheet(worksheet: Worksheet, fw: Framework) -> None:
    """The Core as a table: a row per Function and Category (bold, with its definition) and per
    Subcategory (with its text), each naming its Function and Category."""
    for index, header in enumerate(REFERENCE_COLUMNS, start=1):
        cell = _write(worksheet.cell(HEADER_ROW, index), header)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    names = dict(zip(fw.core["id"], fw.core["name"], strict=True))
    for row, element in enumerate(fw.core.itertuples(index=False), start=HEADER_ROW + 1):
        category = f"{element.category} {names[element.category]}" if element.category else ""
        values = (element.id, f"{element.function} {names[element.function]}", category)
        for index, value in enumerate((*values, element.text), start=1):
            cell = _write(worksheet.cell(row, index), value)
            cell.alignment = _WRAP_TOP
            if element.level != "subcategory":
                cell.font = _HEADER_FONT
            if element.level == "function":
                cell.fill = _HEADER_FILL
    for letter, width in zip("ABCD", (12, 22, 36, 100), strict=True):
        worksheet.column_dimensions[letter].width = width
    worksheet.freeze_panes = "B2"
    worksheet.auto_filter.ref = f"A1:D{len(fw.core) + 1}"
    print_setup(worksheet)


def _instructions(worksheet: Worksheet) -> None:
    """What the workbook is for and how to fill it, one paragraph per row."""
    worksheet.title = INSTRUCTIONS
    tiers = scales.scale(scales.DEFAULT_SCALE)
    paragraphs: list[tuple[str, str]] = [
        (
            "Purpose",
            "This workbook is the inventory of your customer-experience (CX) systems for a "
            "privacy assessment against the NIST Privacy Framework. Your consultant loads it with "
            "nistpf, which scores every Privacy Framework Subcategory on every in-scope system. "
            "Fill the sheets below; leave a sheet empty when it does not apply.",
        ),
        (
            "How to fill a sheet",
            f"Row {HEADER_ROW} holds the column headers: do not rename the header row (or the "
            f"sheets). Row {DESCRIPTION_ROW} (grey) says what each column holds; leave it or "
            f"delete it. Enter data from row {FIRST_DATA_ROW}, one row per item. Headers on a dark "
            "background are required. You may add columns of your own after the last one: they "
            "are kept, not rejected. Cells with a dropdown accept the listed values.",
        ),
    ]
    for spec in schema.SHEETS:
        required = ", ".join(spec.required_columns)
        status = "required" if spec.required else ("expected" if spec.expected else "optional")
        text = spec.description + (f" Required columns: {required}." if required else "")
        paragraphs.append((f"{spec.name} ({status})", text))
    paragraphs += [
        (
            REFERENCE,
            "Reference: every Function, Category and Subcategory of the Privacy Framework with "
            "its ID. Use these IDs in Controls (subcategories), Profile (pf_id) and Responses.",
        ),
        (
            "Several values",
            "Write several values in one cell separated by ; (for example "
            "'user.contact.email; user.financial'). Commas and new lines work too.",
        ),
        (
            "Yes / no",
            "Choose yes or no. A blank cell means what the column's description says "
            "(for example in_scope: blank = yes).",
        ),
        (
            "IDs",
            "Give every system, control and flow a short unique ID (CRM-01, CTL-001, F-001) and "
            "use these IDs to refer to it on the other sheets. Privacy Framework IDs look like "
            "ID.IM-P1; see the PF Subcategories sheet.",
        ),
        (
            "Endpoints",
            f"In DataFlows, source and destination are system IDs, or {schema.EXTERNAL_PREFIX}"
            "<party> for a party outside the inventory (for example external:Payment provider).",
        ),
        (
            "Applies to",
            f"In Controls, applies_to is blank or {schema.ALL_SYSTEMS} for every system, else "
            f"system IDs or selectors such as {schema.TYPE_SELECTOR}CRM (every system of that "
            "type), ; separated.",
        ),
        (
            "Assessment scale",
            f"Levels (maturity, target, current) use the {tiers.name} scale unless About names "
            f"another: {tiers.describe()}. A level's label (for example Repeatable) is read too.",
        ),
        (
            "Dates",
            "Enter dates as Excel dates or as text in the form YYYY-MM-DD.",
        ),
        (
            "Dropdowns",
            f"The dropdown values live on the hidden {LISTS} sheet; leave it as it is.",
        ),
    ]
    title = _write(worksheet.cell(1, 1), "NIST Privacy Framework — CX inventory")
    title.font = _TITLE_FONT
    for row, (topic, text) in enumerate(paragraphs, start=3):
        _write(worksheet.cell(row, 1), topic).font = _HEADER_FONT
        body = _write(worksheet.cell(row, 2), text)
        body.font = Font(name=_FONT)
        for cell in (worksheet.cell(row, 1), body):
            cell.alignment = _WRAP_TOP
        worksheet.row_dimensions[row].height = 15 * text_lines(text, 100) + 2
    worksheet.column_dimensions["A"].width = 24
    worksheet.column_dimensions["B"].width = 100
    print_setup(worksheet)
