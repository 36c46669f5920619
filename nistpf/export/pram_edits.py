"""Reading back a NIST PRAM workbook :func:`nistpf.export.pram_workbook.write_pram_workbook`
wrote: the consultant's changed likelihoods, cost factors, selected controls and rationales,
checked against NIST's scales (Privacy Risk Assessment Methodology, February 2019, worksheet 3:
likelihood 0–10, each organizational impact factor 1–10), and the workbook's layout, which the
writer and the reader share (sheets, headers, rows and the columns the consultant types in).

>>> import nistpf
>>> edits = nistpf.read_pram_edits("pram.xlsx")  # doctest: +SKIP

The layout and the reading rules are those of :mod:`nistpf.export.pram_workbook`'s docstring.
"""

from __future__ import annotations

import json
import math
import warnings
from os import PathLike
from pathlib import Path

import pandas as pd
import python_calamine
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from nistpf.assessment import Assessment
from nistpf.errors import NistpfError, shown
from nistpf.flows.pram import FACTOR_NAMES, FACTORS, Pram, analyse
from nistpf.inventory.model import Inventory
from nistpf.inventory.read import Unreadable, check_archive
from nistpf.io.xlsx import storable_text

# fmt: off
try:
    from nistpf.inventory.model import PRAM_EDIT_COLUMNS
except ImportError:  # pragma: no cover - the store's columns, as nistpf.inventory.model has them
    PRAM_EDIT_COLUMNS = ["data_action", "problem", "likelihood", *FACTORS, "selected_controls",
                         "rationale", "reason"]

__all__ = ["HIDDEN", "SHEETS", "PramEditError", "PramReasonError", "PramRowsError",
           "PramWorkbookError", "read_pram_edits"]  # fmt: skip

# -- layout -----------------------------------------------------------------------------------
HEADER_ROW = 6  # NIST's header row of every table (Impact: rows 5 and 6, as NIST's two rows)
FIRST = 7  # the first data row of every table
HIDDEN = "nistpf"  # the hidden sheet of what nistpf wrote
MARKER = "nistpf PRAM workbook"
FORMAT = 1
ID = "Data action ID"
REASON = "Reason for the change"
FACTOR_HEADERS = [FACTOR_NAMES[f] for f in FACTORS]
DA, DAS, ISSUES, PDAS = "Data Action", "Data Actions", "Summary Issues", "Problematic Data Actions"
PROBLEMS, RISK = "Potential Problems for Individuals", "Risk per Potential Problem"
# NIST's header texts (worksheets 2, 3 and 4, stripped of surrounding spaces), then nistpf's.
SHEETS = {
    "Data Action Analysis": ([DA, "Data", "Specific Context", ISSUES],
                             [ID, "NISTIR 8062 data action", "Flow"]),
    "Likelihood": ([DAS, ISSUES, PDAS, PROBLEMS, "Likelihood"],
                   [ID, REASON, "Basis of the likelihood (nistpf rules or an earlier edit)"]),
    "Impact": ([DAS, ISSUES, PDAS, PROBLEMS, *FACTOR_HEADERS,
                "Total Business Impact (per Potential Problem)"],
               [ID, REASON, "Basis of the cost factors (nistpf impact rules)"]),
    "Risk": ([DAS, PROBLEMS, "Likelihood", "Impact", RISK, "Risk per Data Action"], [ID]),
    "Risk Prioritization": ([DAS, "Risk", "Percent of System Risk", "Rank among data actions"],
                            [ID]),
    "Selected Controls": ([DAS, PROBLEMS, "Selected Controls", "Rationale"], [ID, RISK]),
}
TWO_D = ([DAS, PROBLEMS, "Point Label", "Likelihood", "Impact"], [RISK, ID])
# fmt: on
# NIST PRAM worksheet 3 scores likelihood 1–10 and lets 0 stand for a summary issue that
# alleviates the concern; nistpf (its rules, the store, this workbook) takes 0–10. Every
# deliverable says so in these words.
LIKELIHOOD_SCALE = "0–10; 0: the concern does not arise; NIST's scale is 1–10"
IMPACT_GROUP = "Organizational Impact Factors"  # NIST's first header row over E:I
# Where the consultant types, per sheet: the column (1-based) of each input.
LIKELIHOOD_COL, LIKELIHOOD_ID, LIKELIHOOD_REASON = 5, 6, 7
IMPACT_FIRST, IMPACT_ID, IMPACT_REASON = 5, 11, 12
CONTROLS_COL, RATIONALE_COL, CONTROLS_ID = 3, 4, 5


# -- errors -----------------------------------------------------------------------------------
class PramWorkbookError(NistpfError, ValueError):
    """A PRAM workbook that cannot be read back: missing, not a workbook, or not one nistpf
    wrote (no hidden ``nistpf`` sheet, a NIST header deleted or moved). One line naming the
    file, what is wrong and the fix."""

    code = "pram-workbook-unreadable"

    def __init__(self, path: object, problem: str):
        self.path = path
        self.problem = problem
        super().__init__(f"{shown(path)}: {problem}")


class PramEditError(PramWorkbookError):
    """A value the consultant typed that NIST's scale does not take: text, a number outside
    0–10 (likelihood) or 1–10 (cost factor), a blank, or a formula without a readable value.
    ``sheet``, ``row``, ``column``, ``value`` name the cell."""

    code = "pram-edit-invalid"

    def __init__(self, path, sheet: str, row: int, column: str, value: object, problem: str):
        self.sheet, self.row, self.column, self.value = sheet, row, column, value
        super().__init__(path, f"sheet {sheet!r}, row {row}, column {column}: {problem}")


class PramReasonError(PramWorkbookError):
    """Changed likelihoods or cost factors without a reason (the engagement store requires
    one); the message names the rows."""

    code = "pram-edit-no-reason"


class PramRowsError(PramWorkbookError):
    """Rows added, deleted or changed in their key (data action ID, problem)."""

    code = "pram-rows-changed"


_HIDDEN_COLUMNS = ["written", "selected_controls", "rationale"]
_WRITTEN = ["data_action", "problem", "likelihood", *FACTORS]


# -- reading ----------------------------------------------------------------------------------
def read_pram_edits(
    path: str | PathLike[str], source: Assessment | Inventory | Pram | None = None
) -> pd.DataFrame:
    """The consultant's edits in a PRAM workbook :func:`write_pram_workbook` wrote: a DataFrame
    of ``PRAM_EDIT_COLUMNS`` (``data_action, problem, likelihood, noncompliance,
    direct_business, reputational, internal_culture, other, selected_controls, rationale,
    reason``), one row per data action × problem for individuals the consultant changed, in
    the workbook's order. A likelihood or cost factor that differs from what nistpf wrote is
    the number (float), else NaN; selected controls and rationale are the text when changed,
    "" when the consultant cleared them, missing (None or NaN) when left as written;
    ``reason``: the ``Reason for the change`` of the Likelihood and Impact tabs (both, joined
    by "; ", when both are given). What ``nistpf.pram(inventory, edits=...)``
    and the engagement store take.

    NIST's scales (PRAM worksheet 3): a likelihood is a number from 0 to 10 (0: a summary
    issue alleviates the concern), a cost factor from 1 to 10. Text, a blank, a number outside
    the scale, or a formula without a saved value is a :class:`PramEditError`; a changed number
    without a reason a :class:`PramReasonError` naming the rows; rows added, deleted or with a
    changed data action ID or problem a :class:`PramRowsError`; a file that is missing, not a
    workbook, or not a nistpf PRAM workbook (no hidden ``nistpf`` sheet, a header changed) a
    :class:`PramWorkbookError`. With ``source`` (the Assessment, Inventory or Pram the
    workbook was written for), an edit of a data action that ``source`` does not have is a
    :class:`PramRowsError`.

    The file is held to the inventory's bounds before python-calamine parses it
    (:func:`nistpf.inventory.read.check_archive`), as the inventory is; calamine reads a
    formula's saved value (Excel and LibreOffice save one), openpyxl is opened only to name a
    formula that has none."""
    path = Path(path)
    _check(path)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        try:
            edits = _read(path)
        except PramWorkbookError:
            raise
        except Exception as error:  # what a reader raises on XML or ZIP data it cannot parse
            detail = (str(error).strip().splitlines() or [type(error).__name__])[0][:120]
            raise PramWorkbookError(path, f"cannot be read ({detail}); {_FRESH}") from None
    if source is not None and len(edits):
        pram = source if isinstance(source, Pram) else analyse(source)
        known = set(pram.data_actions["data_action"])
        unknown = [da for da in dict.fromkeys(edits["data_action"]) if da not in known]
        if unknown:
            why = "the workbook was written for another inventory or the flows changed"
            raise PramRowsError(path, f"data action(s) {', '.join(unknown[:5])} are not in the "
                                f"inventory: {why}; {_FRESH}")  # fmt: skip
    return edits


def _check(path: Path) -> None:
    if not path.exists():
        raise PramWorkbookError(path, "no such file")
    if path.is_dir():
        raise PramWorkbookError(path, "is a folder, not a PRAM workbook (.xlsx)")
    try:
        check_archive(path, reader="calamine")
    except Unreadable as refused:
        raise PramWorkbookError(path, f"{refused.problem} ({refused.hint})") from None
    except OSError as error:
        raise PramWorkbookError(path, f"cannot be read: {error.strerror or error}") from None


_FRESH = "write a fresh workbook with nistpf pram"
_NOT_OURS = (
    "is not a PRAM workbook nistpf wrote ({why}); pass the workbook `nistpf pram` wrote, with "
    "the consultant's changes"
)


def _read(path: Path) -> pd.DataFrame:
    """The edits, read with python-calamine (cell values: numbers, text, and the values Excel
    or LibreOffice saved for formulas); openpyxl only to word an error (a formula)."""
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except BaseException as error:  # a panic in calamine's Rust code is not an Exception
        if isinstance(error, KeyboardInterrupt | SystemExit):
            raise
        raise PramWorkbookError(path, "cannot be read: not an Excel workbook (.xlsx)") from None

    def rows(name: str) -> list[list]:
        if name not in book.sheet_names:
            raise PramWorkbookError(path, _NOT_OURS.format(why=f"no {name!r} sheet"))
        return book.get_sheet_by_name(name).to_python(skip_empty_area=False)

    # fmt: off
    written = _written(path, rows(HIDDEN))
    likelihood = _sheet_rows(path, rows("Likelihood"), "Likelihood", 4, LIKELIHOOD_ID, written)
    impact = _sheet_rows(path, rows("Impact"), "Impact", 4, IMPACT_ID, written)
    controls = _sheet_rows(path, rows("Selected Controls"), "Selected Controls", 2, CONTROLS_ID,
                           written)
    changes: dict[tuple[str, str], dict] = {}
    unexplained: list[str] = []
    for name, found, reason_col, numbers in [
        ("Likelihood", likelihood, LIKELIHOOD_REASON, [(LIKELIHOOD_COL, "likelihood")]),
        ("Impact", impact, IMPACT_REASON, [(IMPACT_FIRST + i, f) for i, f in enumerate(FACTORS)]),
    ]:
        for key, (row, cells) in found.items():
            change, reason, changed = changes.setdefault(key, {}), _text(cells, reason_col), False
            for column, field in numbers:
                value = _scaled(path, name, row, column, _cell(cells, column), field)
                if value != written[key][field]:
                    change[field], changed = value, True
            if changed and not reason:
                unexplained.append(
                    f"{name} row {row} ({key[0]}, {key[1]}), column {get_column_letter(reason_col)}"
                )
            if reason:
                change.setdefault("reason", []).append(reason)
    for key, (_row, cells) in controls.items():
        for column, field in ((CONTROLS_COL, "selected_controls"), (RATIONALE_COL, "rationale")):
            if (text := _text(cells, column)) != written[key][field]:
                changes.setdefault(key, {})[field] = text
    if unexplained:
        more = f" and {len(unexplained) - 5} more" if len(unexplained) > 5 else ""
        raise PramReasonError(path, f"changed numbers without a reason: "
                              f"{', '.join(unexplained[:5])}{more}; type why in {REASON!r} on "
                              "those rows (the engagement store keeps it)")
    records = [  # the workbook's order; a reason alone changes nothing
        {"data_action": key[0], "problem": key[1],
         **{f: change.get(f, math.nan) for f in ("likelihood", *FACTORS)},
         "selected_controls": change.get("selected_controls"),  # None: as written; "": cleared
         "rationale": change.get("rationale"),
         "reason": "; ".join(dict.fromkeys(change.get("reason", [])))}
        for key in written if not set(change := changes.get(key, {})) <= {"reason"}
    ]
    frame = pd.DataFrame(records, columns=PRAM_EDIT_COLUMNS)
    return frame.astype(dict.fromkeys(("likelihood", *FACTORS), float))
    # fmt: on


def _written(path: Path, rows: list[list]) -> dict[tuple[str, str], dict]:
    """What nistpf wrote, per (data action, problem), from the hidden sheet."""
    changed = PramWorkbookError(path, _NOT_OURS.format(why=f"the {HIDDEN!r} sheet was changed"))
    head = rows[0] if rows else []
    if len(rows) < 2 or head[:2] != [MARKER, FORMAT] or len(head) < 3:
        raise PramWorkbookError(path, _NOT_OURS.format(why=f"the {HIDDEN!r} sheet is not ours"))
    if rows[1][:3] != _HIDDEN_COLUMNS:
        raise changed
    written = {}
    for values in rows[2:]:
        if not values or values[0] in ("", None):
            continue
        try:
            record = dict(zip(_WRITTEN, json.loads(values[0]), strict=True))
        except (TypeError, ValueError):
            raise changed from None
        for field, column in (("selected_controls", 2), ("rationale", 3)):
            record[field] = _text(values, column)
        written[(str(record["data_action"]), str(record["problem"]))] = record
    if len(written) != head[2]:
        raise changed
    return written


def _expected(name: str) -> dict[int, str]:
    """Column (1-based) -> the header nistpf wrote there (Impact: the lower of its two rows)."""
    nist, own = SHEETS[name]
    if name != "Impact":
        return {i + 1: h for i, h in enumerate([*nist, *own])}
    return {i + 1: h for i, h in enumerate([*nist[:4], *FACTOR_HEADERS, nist[9]])} | {
        IMPACT_ID: ID,
        IMPACT_REASON: REASON,
    }


# fmt: off
def _sheet_rows(path, rows, name, problem_col, id_col, written) -> dict:
    """``{(data action, problem): (row, cells)}`` of a table; checks NIST's and nistpf's
    headers and that the rows are those written (sorted rows read right: the key is read)."""
    seen: dict[int, str] = {}
    for line in rows[HEADER_ROW - 2 : HEADER_ROW]:  # Impact's lower row wins
        seen |= {i + 1: str(v).strip() for i, v in enumerate(line) if v not in ("", None)}
    for column, header in _expected(name).items():
        if seen.get(column) != header:
            raise PramWorkbookError(path, f"sheet {name!r}, row {HEADER_ROW}, column "
                                    f"{get_column_letter(column)}: header {header!r} expected, "
                                    f"found {seen.get(column)!r}; columns must not be deleted, "
                                    f"added or renamed: restore it, or {_FRESH}")
    found: dict[tuple[str, str], tuple[int, list]] = {}
    for number, cells in enumerate(rows[FIRST - 1 :], start=FIRST):
        key, where = (_text(cells, id_col), _text(cells, problem_col)), f"sheet {name!r}, row"
        if key == ("", "") and any(v not in ("", None) for v in cells):
            raise PramRowsError(path, f"{where} {number}: a row without a data action ID (column "
                                f"{get_column_letter(id_col)}); rows must not be added: move what "
                                "it holds elsewhere")
        if key != ("", "") and key not in written:
            raise PramRowsError(path, f"{where} {number}: data action ID {key[0]!r} and problem "
                                f"{key[1]!r} are not a row nistpf wrote; rows must not be added "
                                "or their data action ID or problem changed: restore the row, "
                                f"or {_FRESH}")
        if key in found:
            raise PramRowsError(path, f"{where}s {found[key][0]} and {number} are both {key[0]} "
                                f"/ {key[1]}; delete the copy")
        if key != ("", ""):
            found[key] = (number, cells)
    missing = [k for k in written if k not in found]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise PramRowsError(path, f"sheet {name!r}: the row of {missing[0][0]} / "
                            f"{missing[0][1]} was deleted{more}; restore it (undo), or {_FRESH}")
    return found
# fmt: on


def _cell(cells: list, column: int) -> object:
    value = cells[column - 1] if column <= len(cells) else None
    return None if value == "" else value


def _text(cells: list, column: int) -> str:
    value = _cell(cells, column)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # calamine reads every number as a float
    return "" if value is None else storable_text(str(value)).strip()


def _scaled(path, sheet: str, row: int, column: int, value: object, field: str) -> float:
    """A likelihood (0-10) or cost factor (1-10), as NIST's scales take it (worksheet 3)."""
    low = 0 if field == "likelihood" else 1
    where = f"{get_column_letter(column)} ({_expected(sheet)[column]})"
    fix = f"type a number from {low} to 10 (NIST's {field.replace('_', ' ')} scale"
    fix += "; 0: a summary issue alleviates the concern)" if low == 0 else ")"
    if value is None:
        formula = _formula_in(path, sheet, row, column)
        if formula:
            problem = f"{formula!r} is a formula without a saved value; type the number itself"
            raise PramEditError(path, sheet, row, where, formula, problem)
        raise PramEditError(path, sheet, row, where, value, f"the cell is blank; {fix}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        problem = f"{str(value)[:60]!r} is not a number; {fix}"
        raise PramEditError(path, sheet, row, where, value, problem)
    if not (math.isfinite(value) and low <= value <= 10):
        raise PramEditError(path, sheet, row, where, value, f"{value!r} is outside it; {fix}")
    return float(value)


def _formula_in(path: Path, sheet: str, row: int, column: int) -> str | None:
    """The formula typed in a cell that calamine reads blank (a formula whose value was never
    saved), read with openpyxl; only on this error path, where speed does not matter."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        try:
            book = load_workbook(path, read_only=True, data_only=False)
            try:
                for line in book[sheet].iter_rows(min_row=row, max_row=row, max_col=column):
                    value = line[-1].value if line else None
                    return value if isinstance(value, str) and value.startswith("=") else None
            finally:
                book.close()
        except Exception:  # the formula only words the message better
            return None
    return None
