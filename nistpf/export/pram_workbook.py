"""NIST PRAM workbook: worksheets 2, 3 and 4 of NIST's Privacy Risk Assessment Methodology
(February 2019) for every data action, with NIST's arithmetic as live Excel formulas, and the
consultant's edits read back.

>>> import nistpf
>>> path = nistpf.write_pram_workbook(nistpf.load_inventory(nistpf.sample_path()),
...                                   "pram.xlsx")  # doctest: +SKIP
>>> edits = nistpf.read_pram_edits(path)  # doctest: +SKIP

Tabs, named and headed as NIST's worksheets name and head them:

- **Data Action Analysis** (worksheet 2): Data Action | Data | Specific Context | Summary Issues.
- **Likelihood** (worksheet 3): Data Actions | Summary Issues | Problematic Data Actions |
  Potential Problems for Individuals | Likelihood — the consultant's input, 0–10 (0: the concern
  does not arise; NIST's scale is 1–10).
- **Impact** (worksheet 3): the five Organizational Impact Factors — inputs, 1–10 — and
  ``Total Business Impact (per Potential Problem) = SUM(E:I)``.
- **Risk** (worksheet 3): Likelihood ``=Likelihood!E``, Impact ``=Impact!J``, Risk per
  Potential Problem ``=C*D`` and Risk per Data Action ``=SUM`` over the data action's block.
- **Risk Prioritization** (worksheet 3): NIST's Simple Data Action Risk Prioritization Table
  (Risk ``=Risk!F``, Percent of System Risk = risk ÷ the system risk — NIST's
  ``B/SUM(B$..:B$..)`` with the sum once, in B4, and 0 when it is 0 — Rank among data actions
  ``=RANK(B, B$..:B$.., 0)``) and the Two Dimensional Problem Prioritization Table (point labels
  A, B, …, Z, AA, AB, …; the top five outliers' Likelihood and Impact red, by a conditional
  format, so they follow the consultant's changes).
- **Selected Controls** (worksheet 4): Data Actions | Potential Problems for Individuals |
  Selected Controls | Rationale — the consultant's text. NIST's two further columns, System
  Requirements Met and Residual Risks, are left out: the engagement store keeps neither.

nistpf's own columns follow NIST's, to the right, headed in blue: the ``Data action ID`` that
reads the edits back, the ``Reason for the change`` the engagement store requires of a changed
likelihood or cost factor, and the basis nistpf used. A hidden sheet ``nistpf`` records what
was written, so :func:`read_pram_edits` returns only what the consultant changed; it reads the
typed cells with python-calamine (constants; for a formula typed there, the value Excel or
LibreOffice saved). Each row is read by its key, so rows sorted by mistake still read right
(though sorting breaks the formulas, which refer to rows); rows added or deleted, or headers
changed, are errors.

Every sheet prints landscape, one page wide, its header row(s) on every page; header rows are
as tall as their wrapped text. The basis columns wrap: the likelihood's names the rules, the
cost factors' names each factor's impact rows by their condition and points and the sum
(``noncompliance: personal 1 + sensitive 4 = 5``; the rows' rationales are in
``nistpf/data/pram_impact.csv``).

Text from the client's workbook is stored as text, with Excel's quote prefix where it starts
like a formula (:class:`nistpf.io.xlsx.CellMaker`), never as a formula.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.formatting.rule import ColorScaleRule, FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.datavalidation import DataValidation

from nistpf.assessment import Assessment
from nistpf.errors import OutputExistsError, OutputNotWritableError

# The reading side and the layout it shares with the writer; read_pram_edits and the errors
# stay importable from here.
from nistpf.export.pram_edits import (
    _HIDDEN_COLUMNS,
    _WRITTEN,
    FACTOR_HEADERS,
    FIRST,
    FORMAT,
    HEADER_ROW,
    HIDDEN,
    IMPACT_GROUP,
    LIKELIHOOD_SCALE,
    MARKER,
    SHEETS,
    TWO_D,
    PramEditError,
    PramReasonError,
    PramRowsError,
    PramWorkbookError,
    read_pram_edits,
)
from nistpf.flows.pram import FACTORS, OUTLIERS, Pram, analyse, load_impact_rules
from nistpf.inventory.model import Inventory
from nistpf.io.atomic import check_destination
from nistpf.io.paths import Use, check_paths, source_uses
from nistpf.io.xlsx import (
    FONT_NAME,
    CellMaker,
    print_setup,
    row_height,
    storable_text,
    wrapped_lines,
)

__all__ = [
    "HIDDEN",
    "SHEETS",
    "PramEditError",
    "PramReasonError",
    "PramRowsError",
    "PramWorkbookError",
    "point_label",
    "read_pram_edits",
    "write_pram_workbook",
]

# -- the sheets' titles, guidance and styles (their headers: nistpf.export.pram_edits) -------
TITLES = {
    "Data Action Analysis": "PRAM Worksheet 2, Task 4: Assess System Design",
    "Likelihood": "PRAM Worksheet 3, Task 1: Assess Likelihood",
    "Impact": "PRAM Worksheet 3, Task 2: Assess Impact",
    "Risk": "PRAM Worksheet 3, Task 3: Calculate Risk",
    "Risk Prioritization": "PRAM Worksheet 3, Task 4: Prioritize Risk",
    "Selected Controls": "PRAM Worksheet 4, Task 3: Select Controls",
}
GUIDANCE = {
    "Data Action Analysis": "One row per data action (a DataFlows row, named by its NISTIR 8062 "
    "data action): the data it processes, its specific context and the summary issues nistpf's "
    "rules found.",
    "Likelihood": "Likelihood: the probability that a data action becomes problematic for a "
    f"representative individual, {LIKELIHOOD_SCALE}.",
    "Impact": "Impact: the organisation's cost, 1–10 per factor, should the problem occur; the "
    "total is their sum. Basis: each factor's impact rows (condition and points; their "
    "rationales: nistpf/data/pram_impact.csv), held to 1–10.",
    "Risk": "Risk per potential problem = likelihood x impact; risk per data action = their sum.",
    "Risk Prioritization": "Percent of system risk = the data action's risk / the system risk; "
    "rank 1 is the highest. Red: the top five likelihood and impact outliers.",
    "Selected Controls": "Type the controls selected for each problem and the rationale.",
}
TO_EDIT = (
    "To review: change a Likelihood (Likelihood tab, column E) or a cost factor (Impact tab, "
    "columns E-I), give a reason in 'Reason for the change', type selected controls on the "
    "Selected Controls tab, save and send the file back. Everything else recalculates. Do not "
    "add, delete or sort rows."
)

_GREY = PatternFill("solid", fgColor="D9D9D9")  # NIST's header fill
_BLUE = PatternFill("solid", fgColor="DDEBF7")  # nistpf's own columns
_INPUT = PatternFill("solid", fgColor="FFF2CC")  # where the consultant types
_RED = PatternFill("solid", fgColor="FF0000", bgColor="FF0000")
_WRAP = Alignment(wrap_text=True, vertical="top")
_STYLES = {
    "title": {"font": Font(name=FONT_NAME, bold=True, size=14)},
    "note": {"font": Font(name=FONT_NAME, italic=True)},
    "nist": {"font": Font(name=FONT_NAME, bold=True), "fill": _GREY, "alignment": _WRAP},
    "own": {"font": Font(name=FONT_NAME, bold=True), "fill": _BLUE, "alignment": _WRAP},
    "wrap": {"alignment": _WRAP},
    "percent": {"number_format": "0.0%", "alignment": Alignment(vertical="top")},
    "number": {"number_format": "0", "alignment": Alignment(vertical="top")},
    "bold": {"font": Font(name=FONT_NAME, bold=True)},
}


# -- writing ----------------------------------------------------------------------------------
def write_pram_workbook(
    source: Assessment | Inventory | Pram, path: str | PathLike[str], *, force: bool = False
) -> Path:
    """Write NIST PRAM worksheets 2, 3 and 4 (NIST Privacy Risk Assessment Methodology,
    February 2019) of ``source`` (an Assessment, an Inventory — analysed by
    :func:`nistpf.flows.pram.analyse` — or a :class:`~nistpf.flows.pram.Pram`) to ``path``, an
    ``.xlsx``, and return the path. Layout: the module docstring. Every sum, product, percent
    and rank is an Excel formula over the input cells, so a consultant who changes a likelihood
    or a cost factor in Excel or LibreOffice sees the impact totals, risks, percents and ranks
    recalculate; on the values written they equal the engine's (``Pram.problems`` and
    ``Pram.data_actions``).

    Refuses an existing file unless ``force`` (OutputExistsError), the input workbook and
    nistpf's own files (OutputIsInputError, :func:`nistpf.io.paths.check_paths`); a folder
    that is missing or read-only, a file open in Excel or LibreOffice, or a write the operating
    system refuses is an OutputNotWritableError. Written atomically: a failure leaves no file
    or the old one."""
    path = Path(path)
    inventory_path = None
    if isinstance(source, Assessment):
        inventory_path = source.inventory.path
    elif isinstance(source, Inventory):
        inventory_path = source.path
    check_paths(source_uses(inventory_path), [Use(path, "the PRAM workbook")])
    check_destination(path, role="the PRAM workbook")
    try:
        exists = path.exists()
    except OSError as error:
        raise OutputNotWritableError.from_os_error(path, error) from None
    if exists and not force:
        raise OutputExistsError(path)
    pram = source if isinstance(source, Pram) else analyse(source)
    # Imported here: nistpf.export.excel imports the whole register and its charts.
    from nistpf.export.excel import write_streamed

    return write_streamed(path, lambda workbook: _render(pram, workbook))


@dataclass
class _Blocks:
    """Rows of the problem sheets: ``rows[i]`` is the sheet row of ``problems`` row i;
    ``first``/``last``: per data action with problems, its block's first and last rows."""

    rows: list[int]
    first: dict[str, int]
    last: dict[str, int]


def _blocks(problems: pd.DataFrame) -> _Blocks:
    blocks = _Blocks(list(range(FIRST, FIRST + len(problems))), {}, {})
    for row, da in zip(blocks.rows, problems["data_action"], strict=True):
        blocks.first.setdefault(da, row)
        blocks.last[da] = row
    return blocks


def _render(pram: Pram, workbook: Workbook) -> None:
    actions = pram.data_actions.reset_index(drop=True)
    problems = pram.problems.reset_index(drop=True)
    names = dict(zip(actions["data_action"], actions["name"], strict=True))
    issues = dict(zip(actions["data_action"], actions["summary_issues"], strict=True))
    blocks = _blocks(problems)
    basis = _impact_basis(pram.impact_basis)
    # Lines the data action's name (40 wide) and summary issues (50 wide) wrap to.
    name = {da: min(wrapped_lines(str(t), 40), 27) for da, t in names.items()}
    lead = {da: max(name[da], wrapped_lines(str(issues[da]), 50)) for da in names}
    lines = {"name": name, "lead": lead}
    _analysis_sheet(workbook, actions)
    _likelihood_sheet(workbook, problems, blocks, names, issues, lines)
    _impact_sheet(workbook, problems, blocks, names, issues, basis, lines)
    _risk_sheet(workbook, problems, blocks, names, lines)
    _prioritization_sheet(workbook, actions, problems, blocks, names, lines)
    _controls_sheet(workbook, problems, blocks, names, lines)
    _hidden_sheet(workbook, problems, blocks)


# fmt: off
def _sheet(workbook, title: str, widths: list[float], blank: int = 2):
    """A sheet with NIST's task title, its guidance and how to edit (rows 1-3), ``blank``
    empty rows before the header, column widths and panes frozen below the header; printed
    landscape, one page wide, the header row(s) on every page (Impact has two)."""
    sheet = workbook.create_sheet(title)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"{'A' if title == 'Risk Prioritization' else 'B'}{FIRST}"
    top = HEADER_ROW - 1 if title == "Impact" else HEADER_ROW
    print_setup(sheet, title_rows=f"{top}:{HEADER_ROW}", pages_wide=1)
    m = CellMaker(sheet, _STYLES)
    for text, style in ((TITLES[title], "title"), (GUIDANCE[title], "note"), (TO_EDIT, "note")):
        sheet.append([m.cell(text, style)])
    for _ in range(blank):
        sheet.append([])
    return sheet, m


def _header(m: CellMaker, nist: list[str], own: list[str]) -> list:
    return [m.cell(h, "nist") for h in nist] + [m.cell(h, "own") for h in own]


def _tall(sheet, row: int, texts: list[str | None], widths: list[float]) -> None:
    """Make header ``row`` as tall as its wrapped ``texts`` (bold, so two characters narrower
    than the column) need: Excel and LibreOffice do not grow a row on opening, and a short
    row's text runs over the row below. Before the row is streamed."""
    lines = max(
        (wrapped_lines(t, w - 2) for t, w in zip(texts, widths, strict=False) if t), default=1
    )
    if lines > 1:
        sheet.row_dimensions[row].height = row_height(lines)


def _wrap_rows(sheet, texts: list[str], width: float) -> None:
    """Rows FIRST, FIRST + 1, … at least as tall as ``texts`` (one a row) wrapped in a column
    ``width`` characters wide need (after :func:`_fit`, before the rows are streamed)."""
    for row, text in enumerate(texts, start=FIRST):
        lines = min(wrapped_lines(text, width), 27)
        if lines > 1:
            height = sheet.row_dimensions[row].height or 0
            sheet.row_dimensions[row].height = max(height, row_height(lines))


def _formula(m: CellMaker, text: str, style: str):
    """A styled formula cell (openpyxl writes a string starting with ``=`` as a formula): only
    for formulas nistpf builds from cell references, never for text from the inventory."""
    made = Cell(m.worksheet, row=1, column=1, style_array=m._array(style, False))
    made.value = text
    return made


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


def _analysis_sheet(workbook, actions: pd.DataFrame) -> None:
    widths = [45, 35, 60, 60, 20, 16, 10]
    sheet, m = _sheet(workbook, "Data Action Analysis", widths)
    nist, own = SHEETS["Data Action Analysis"]
    _tall(sheet, HEADER_ROW, [*nist, *own], widths)
    sheet.append(_header(m, *SHEETS["Data Action Analysis"]))
    for row in actions.itertuples():
        texts = (row.name, row.data, row.specific_context, row.summary_issues)
        lines = max(wrapped_lines(str(t), w) for t, w in zip(texts, (45, 35, 60, 60), strict=True))
        if lines > 1:
            sheet.row_dimensions[FIRST + row.Index].height = row_height(min(lines, 27))
        sheet.append([*(m.cell(t, "wrap") for t in texts), m.cell(row.data_action),
                      m.cell(row.action), m.cell(row.flow_id)])


def _fit(sheet, blocks: _Blocks, lines: dict[str, int], merge: str) -> None:
    """NIST's merged cells: each ``merge`` column spans a data action's block of rows, and the
    rows share the height its text needs (``lines``, per data action; Excel does not grow rows
    on opening). Set before the rows are streamed, which is when openpyxl writes them."""
    for da, first in blocks.first.items():
        last = blocks.last[da]
        per = -(-min(lines[da], 27) // (last - first + 1))
        for row in range(first, last + 1) if per > 1 else ():
            sheet.row_dimensions[row].height = row_height(per)
        for column in merge if last > first else ():  # MultiCellRange.add is O(ranges)
            sheet.merged_cells.ranges.add(CellRange(f"{column}{first}:{column}{last}"))


def _lead(p, row: int, blocks: _Blocks, m: CellMaker, texts: dict[str, str]):
    """The data action's text on the first row of its block (NIST merges the cells)."""
    return m.cell(texts[p.data_action], "wrap") if blocks.first[p.data_action] == row else None


def _problem_rows(problems: pd.DataFrame, blocks: _Blocks):
    return zip(blocks.rows, problems.itertuples(index=False), strict=True)


def _likelihood_sheet(workbook, problems, blocks, names, issues, lines) -> None:
    widths = [40, 50, 24, 30, 12, 20, 30, 40]
    sheet, m = _sheet(workbook, "Likelihood", widths)
    _tall(sheet, HEADER_ROW, [*SHEETS["Likelihood"][0], *SHEETS["Likelihood"][1]], widths)
    sheet.append(_header(m, *SHEETS["Likelihood"]))
    _fit(sheet, blocks, lines["lead"], "AB")
    bases = []
    for p in problems.itertuples(index=False):
        basis = ", ".join(p.rules)
        if p.source == "edited":
            basis = (f"{basis}; " if basis else "") + f"edited: {p.reason or 'no reason given'}"
        bases.append(basis)
    _wrap_rows(sheet, bases, widths[7])
    for (row, p), basis in zip(_problem_rows(problems, blocks), bases, strict=True):
        sheet.append([_lead(p, row, blocks, m, names), _lead(p, row, blocks, m, issues),
                      m.cell("; ".join(p.problematic_data_actions)), m.cell(p.problem),
                      m.cell(_number(p.likelihood)), m.cell(p.data_action), None,
                      m.cell(basis, "wrap")])
    _validation(sheet, "E", len(problems), 0, 10, f"Likelihood: {LIKELIHOOD_SCALE}")
    _inputs(sheet, "E G", len(problems))


def _inputs(sheet, ranges: str, count: int) -> None:
    """Colour where the consultant types, by a conditional format that always holds: one
    format per column, not a style per cell (plain cells are what openpyxl streams fastest)."""
    for part in ranges.split() if count else ():
        first, _, last = part.partition(":")
        area = f"{first}{FIRST}:{last or first}{FIRST + count - 1}"
        sheet.conditional_formatting.add(area, FormulaRule(formula=["TRUE"], fill=_INPUT))


def _validation(sheet, column: str, count: int, low: int, high: int, prompt: str) -> None:
    if count:
        check = DataValidation(type="decimal", operator="between", formula1=str(low),
                               formula2=str(high), allow_blank=False, showErrorMessage=True,
                               errorTitle="NIST's scale", error=prompt)
        check.add(f"{column}{FIRST}:{column}{FIRST + count - 1}")
        sheet.data_validations.append(check)


def _impact_basis(basis: pd.DataFrame) -> dict[tuple[str, str], str]:
    """Per (data action, problem), the impact rows behind its default cost factors, short: each
    factor's rows by condition and points, their sum, and the sum held to NIST's 1–10
    (``noncompliance: personal 1 + sensitive 4 = 5; …``). A row is named by its condition in
    the package's ``nistpf/data/pram_impact.csv``; a row of other impact rules by its
    rationale, cut at 40 characters."""
    table = load_impact_rules()
    conditions = {(r.factor, float(r.points), r.rationale): r.condition
                  for r in table.itertuples(index=False)}  # fmt: skip
    found: dict[tuple[str, str], dict[str, list[tuple[str, float]]]] = {}
    for row in basis.itertuples(index=False):
        name = conditions.get((row.factor, float(row.points), row.rationale))
        if name is None:
            text = " ".join(str(row.rationale).split())
            name = text if len(text) <= 40 else text[:39].rstrip() + "…"
        per = found.setdefault((row.data_action, row.problem), {})
        per.setdefault(row.factor, []).append((name, float(row.points)))
    texts = {}
    for key, per in found.items():
        parts = []
        for factor in sorted(per, key=lambda f: FACTORS.index(f) if f in FACTORS else 99):
            rows = per[factor]
            total = sum(points for _, points in rows)
            held = min(max(total, 1), 10)
            terms = " + ".join(f"{name} {_number(points)}" for name, points in rows)
            parts.append(f"{factor.replace('_', ' ')}: {terms}"
                         + (f" = {_number(total)}" if len(rows) > 1 else "")
                         + (f", held to {_number(held)}" if held != total else ""))  # fmt: skip
        texts[key] = "; ".join(parts)
    return texts


def _impact_sheet(workbook, problems, blocks, names, issues, basis, lines) -> None:
    widths = [40, 50, 24, 30, 14, 14, 14, 14, 10, 18, 20, 30, 50]
    sheet, m = _sheet(workbook, "Impact", widths, blank=1)
    nist, own = SHEETS["Impact"]
    # NIST's two header rows: the factor group over E:I, the factors under it.
    first = [*nist[:4], IMPACT_GROUP, *[""] * 4, nist[9]]
    _tall(sheet, HEADER_ROW - 1, [*first[:4], None, *first[5:], *own], widths)
    _tall(sheet, HEADER_ROW, ["", "", "", "", *FACTOR_HEADERS], widths)
    sheet.append(_header(m, first, own))
    sheet.append(_header(m, ["", "", "", "", *FACTOR_HEADERS, ""], [""] * len(own)))
    _fit(sheet, blocks, lines["lead"], "AB")
    texts = [basis.get((p.data_action, p.problem), "") for p in problems.itertuples(index=False)]
    _wrap_rows(sheet, texts, widths[12])
    for (row, p), text in zip(_problem_rows(problems, blocks), texts, strict=True):
        sheet.append([_lead(p, row, blocks, m, names), _lead(p, row, blocks, m, issues),
                      m.cell("; ".join(p.problematic_data_actions)), m.cell(p.problem),
                      *(m.cell(_number(getattr(p, f))) for f in FACTORS),
                      f"=SUM(E{row}:I{row})", m.cell(p.data_action), None,
                      m.cell(text or None, "wrap")])
    for column in "EFGHI":
        _validation(sheet, column, len(problems), 1, 10, "Cost factor: a number from 1 to 10")
    _inputs(sheet, "E:I L", len(problems))


def _risk_sheet(workbook, problems, blocks, names, lines) -> None:
    widths = [40, 30, 12, 12, 16, 16, 20]
    sheet, m = _sheet(workbook, "Risk", widths)
    _tall(sheet, HEADER_ROW, [*SHEETS["Risk"][0], *SHEETS["Risk"][1]], widths)
    sheet.append(_header(m, *SHEETS["Risk"]))
    _fit(sheet, blocks, lines["name"], "AF")
    for row, p in _problem_rows(problems, blocks):
        lead = blocks.first[p.data_action] == row
        sheet.append([_lead(p, row, blocks, m, names), m.cell(p.problem), f"=Likelihood!E{row}",
                      f"=Impact!J{row}", f"=C{row}*D{row}",
                      f"=SUM(E{row}:E{blocks.last[p.data_action]})" if lead else None,
                      m.cell(p.data_action)])
    if len(problems):
        end = FIRST + len(problems) - 1
        for column in "EF":
            sheet.conditional_formatting.add(f"{column}{FIRST}:{column}{end}", _scale())


def _scale() -> ColorScaleRule:
    return ColorScaleRule(start_type="min", start_color="FFFFFF", mid_type="percentile",
                          mid_value=50, mid_color="FFEB84", end_type="max", end_color="F8696B")


def point_label(index: int) -> str:
    """The point label of the ``index``-th problem (0-based): A … Z, then AA, AB, … as
    spreadsheet columns go. NIST's sample (worksheet 3, Risk Prioritization) labels its 31
    problems A … Z, AA, BB, CC, …, a scheme that grows one letter per 26 problems; this one
    stays short for tens of thousands."""
    label, number = "", index + 1
    while number:
        number, rest = divmod(number - 1, 26)
        label = chr(65 + rest) + label
    return label


def _prioritization_sheet(workbook, actions, problems, blocks, names, lines) -> None:
    """NIST's Simple Data Action Risk Prioritization Table (A:E) and, right of it (G:M), the
    Two Dimensional Problem Prioritization Table; the system risk in B4."""
    widths = [40, 12, 12, 12, 20, 3, 40, 30, 10, 12, 12, 14, 20]
    sheet, m = _sheet(workbook, "Risk Prioritization", widths, blank=0)
    n, two_d = len(actions), list(_problem_rows(problems, blocks))
    end = FIRST + max(n, 1) - 1
    sheet.append([m.cell("System risk (sum of Risk)", "bold"),
                  _formula(m, f"=SUM(B{FIRST}:B{end})", "number")])
    sheet.append([m.cell("Simple Data Action Risk Prioritization Table", "bold"), *[None] * 5,
                  m.cell("Two Dimensional Problem Prioritization Table (including Top 5 highest "
                         "Likelihood and Impact outliers)", "bold")])
    heads = [*SHEETS["Risk Prioritization"][0], *SHEETS["Risk Prioritization"][1], None,
             *TWO_D[0], *TWO_D[1]]
    _tall(sheet, HEADER_ROW, heads, widths)
    sheet.append([*_header(m, *SHEETS["Risk Prioritization"]), None, *_header(m, *TWO_D)])
    ids, labels = actions["data_action"].tolist(), actions["name"].tolist()
    _fit(sheet, blocks, lines["name"], "G")
    for i, da in enumerate(ids):  # the simple table's names wrap too
        height = sheet.row_dimensions[FIRST + i].height or 0
        if lines["name"][da] > 1:
            sheet.row_dimensions[FIRST + i].height = max(height, row_height(lines["name"][da]))
    for i in range(max(n, len(two_d))):
        row, cells = FIRST + i, [None] * 6
        if i < n:
            first = blocks.first.get(ids[i])
            cells[:5] = [m.cell(labels[i], "wrap"),
                         _formula(m, f"=Risk!F{first}", "number") if first else m.cell(0, "number"),
                         _formula(m, f"=IF($B$4=0,0,B{row}/$B$4)", "percent"),
                         f"=RANK(B{row},B${FIRST}:B${end},0)", m.cell(ids[i])]
        if i < len(two_d):
            at, p = two_d[i]
            cells += [_lead(p, at, blocks, m, names), m.cell(p.problem), m.cell(point_label(i)),
                      f"=Risk!C{at}", f"=Risk!D{at}", f"=Risk!E{at}", m.cell(p.data_action)]
        sheet.append(cells)
    if n:
        sheet.conditional_formatting.add(f"B{FIRST}:B{end}", _scale())
    if two_d:  # NIST's red cells: the top five outliers, ties at the cut-off included
        risks = f"$L${FIRST}:$L${FIRST + len(two_d) - 1}"
        outlier = f"AND($L{FIRST}>0,$L{FIRST}>=LARGE({risks},MIN({OUTLIERS},COUNT({risks}))))"
        rule = FormulaRule(formula=[outlier], fill=_RED, stopIfTrue=False)
        sheet.conditional_formatting.add(f"J{FIRST}:K{FIRST + len(two_d) - 1}", rule)


def _controls_sheet(workbook, problems, blocks, names, lines) -> None:
    widths = [40, 30, 50, 50, 20, 14]
    sheet, m = _sheet(workbook, "Selected Controls", widths)
    _tall(sheet, HEADER_ROW, [*SHEETS["Selected Controls"][0], *SHEETS["Selected Controls"][1]],
          widths)  # fmt: skip
    sheet.append(_header(m, *SHEETS["Selected Controls"]))
    _fit(sheet, blocks, lines["name"], "A")
    for row, p in _problem_rows(problems, blocks):
        sheet.append([_lead(p, row, blocks, m, names), m.cell(p.problem),
                      m.cell(p.selected_controls or None), m.cell(p.rationale or None),
                      m.cell(p.data_action), f"=Risk!E{row}"])
    _inputs(sheet, "C:D", len(problems))
# fmt: on


def _hidden_sheet(workbook, problems, blocks) -> None:
    """What nistpf wrote, one row per problem: its key and numbers as one JSON array (three
    cells a row, not ten: the workbook is written and read faster), then its texts."""
    sheet = workbook.create_sheet(HIDDEN)
    sheet.sheet_state = "hidden"
    m = CellMaker(sheet, {})
    sheet.append([MARKER, FORMAT, len(problems), FIRST])
    sheet.append(_HIDDEN_COLUMNS)
    columns = [problems[c].tolist() for c in _WRITTEN]
    for keys in columns[:2]:  # the key as the sheets' cells hold it and are read
        keys[:] = [storable_text(str(k)).strip() for k in keys]
    for i, (controls, rationale) in enumerate(
        zip(problems["selected_controls"], problems["rationale"], strict=True)
    ):
        key = json.dumps([c[i] for c in columns], ensure_ascii=False)
        sheet.append([m.cell(key), m.cell(controls or None), m.cell(rationale or None)])
