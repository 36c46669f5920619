"""The consultant's NIST PRAM edits as :func:`nistpf.flows.pram.analyse` takes them, checked.

Edits come from the engagement store (already checked there), from a reviewed PRAM workbook
(``read_pram_edits``) or from a consultant's own DataFrame. Whatever their origin they meet the
same rules as ``Store.set_pram_edit``: NIST PRAM worksheet 3 scores a likelihood 0–10 (0: a
summary issue that alleviates the concern) and each organisational cost factor 1–10; a number
is finite; the problem is one of NIST's seven problems for individuals (case and spacing
forgiven); an overridden number has a reason; one row per data action and problem.
"""

from __future__ import annotations

import math

import pandas as pd

from nistpf.errors import NistpfError
from nistpf.inventory.model import PRAM_EDIT_COLUMNS, PRAM_EDIT_NUMBERS
from nistpf.store import StoreError
from nistpf.store_pram import PRAM_LIKELIHOODS, PRAM_SCORES, pram_problem

NUMBERS = tuple(PRAM_EDIT_NUMBERS)
TEXTS = ("selected_controls", "rationale", "reason")


class PramEditsError(NistpfError, ValueError):
    """PRAM edits that cannot be used: the message names the row, the column, the value and
    the fix."""

    code = "pram-edits-invalid"


def checked_edits(edits: object) -> pd.DataFrame:
    """``edits`` as a table of ``PRAM_EDIT_COLUMNS`` (missing optional columns blank; numbers
    float, NaN where not overridden; text ``""`` where none; problems in NIST's spelling).

    Raises :class:`PramEditsError` for anything else: not a table, no ``data_action`` or
    ``problem`` column, a blank data action, a problem not NIST's, a number that is not one or
    is off NIST's scale, an overridden number without a reason, two rows for one data action
    and problem."""
    if not isinstance(edits, pd.DataFrame):
        raise PramEditsError(
            f"PRAM edits must be a table (a pandas DataFrame) with the columns "
            f"{', '.join(PRAM_EDIT_COLUMNS)}, not {type(edits).__name__}"
        )
    missing = [c for c in ("data_action", "problem") if c not in edits.columns]
    if missing:
        raise PramEditsError(
            f"PRAM edits have no {' or '.join(missing)} column; the columns are "
            f"{', '.join(PRAM_EDIT_COLUMNS)}"
        )
    rows, seen = [], {}
    for position, record in enumerate(edits.to_dict("records")):
        where = f"PRAM edits row {position}"
        action = _text(record.get("data_action")).strip()
        if not action:
            raise PramEditsError(
                f"{where}: the data action is blank; give its id, e.g. F-001:collection"
            )
        try:  # NIST's seven, spelled as the store forgives them
            problem = pram_problem(_text(record.get("problem")))
        except StoreError as error:
            raise PramEditsError(f"{where}: problem {error}") from None
        row = {"data_action": action, "problem": problem}
        for column in NUMBERS:
            row[column] = _number(record.get(column), column, where)
        for column in TEXTS:
            row[column] = _text(record.get(column))
        overridden = [c for c in NUMBERS if not math.isnan(row[c])]
        if overridden and not row["reason"].strip():
            raise PramEditsError(
                f"{where} ({action}, {problem}): {', '.join(overridden)} override the rules' "
                "and need a reason; give one in the reason column"
            )
        key = (action, problem)
        if key in seen:
            raise PramEditsError(
                f"{where}: {action}, {problem} is edited twice (rows {seen[key]} and "
                f"{position}); keep one row per data action and problem"
            )
        seen[key] = position
        rows.append(row)
    table = pd.DataFrame(rows, columns=PRAM_EDIT_COLUMNS)
    return table.astype(dict.fromkeys(NUMBERS, float))


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _number(value: object, column: str, where: str) -> float:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return math.nan
    low, high = PRAM_LIKELIHOODS if column == "likelihood" else PRAM_SCORES
    span = f"{low:g} to {high:g}"
    if isinstance(value, bool):
        raise PramEditsError(f"{where}: {column} {value!r} is not a number; give one from {span}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PramEditsError(
            f"{where}: {column} {value!r} is not a number; give one from {span}"
        ) from None
    if not (math.isfinite(number) and low <= number <= high):
        raise PramEditsError(
            f"{where}: {column} {value!r} is outside {span} (NIST PRAM worksheet 3); give a "
            f"number from {span}, or leave it blank to keep the rules' value"
        )
    return number
