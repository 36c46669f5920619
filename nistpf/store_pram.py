"""The engagement store's NIST PRAM edits: the consultant's likelihood, organisational impact
factors, selected controls, rationale and reason per data action × problem for individuals
(NIST Privacy Risk Assessment Methodology, February 2019, worksheets 3 and 4), checked against
NIST's scales and catalog before :class:`nistpf.store.Store` saves them.

:meth:`nistpf.store.Store.set_pram_edit` and :meth:`nistpf.store.Store.pram_edits` are the
store's entry points; they call :func:`save_pram_edit` and :func:`stored_pram_edits` here. This
module imports :mod:`nistpf.store` (its error and field rules); the store imports this module
only inside those methods (as it does :mod:`nistpf.store_schema`), so neither import is a cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from nistpf import pram_catalog
from nistpf.inventory.model import PRAM_EDIT_COLUMNS, PRAM_EDIT_NUMBERS
from nistpf.inventory.schema import fold
from nistpf.store import _ENTITIES, StoreError, _field_value

if TYPE_CHECKING:
    from nistpf.store import Store

__all__ = [
    "PRAM_LIKELIHOODS",
    "PRAM_PROBLEMS",
    "PRAM_SCORES",
    "pram_problem",
    "save_pram_edit",
    "stored_pram_edits",
]

PRAM_PROBLEMS = pram_catalog.PROBLEMS
"""NIST's problems for individuals (NIST PRAM, Catalog of Problematic Data Actions and
Problems, February 2019; :mod:`nistpf.pram_catalog`), spelled as NIST spells them."""
PRAM_SCORES = (1.0, 10.0)
"""The lowest and highest likelihood and organisational impact factor (NIST PRAM worksheet 3,
Likelihood and Impact tabs: "Determine on a scale from 1-10")."""
PRAM_LIKELIHOODS = (0.0, 10.0)
"""A likelihood may also be 0: NIST PRAM worksheet 3 (Likelihood tab) scores 0 a summary issue
that alleviates, rather than raises, the concern."""


_PROBLEM_NAMES = {fold(p): p for p in PRAM_PROBLEMS}


def pram_problem(name: object) -> str:
    """One of NIST's seven problems for individuals (:data:`PRAM_PROBLEMS`, NIST PRAM catalog)
    as NIST spells it, case and spacing forgiven (``"loss of  trust"`` → ``Loss of Trust``);
    anything else is a StoreError naming the seven."""
    found = _PROBLEM_NAMES.get(fold(str(name)))
    if found is None:
        raise StoreError(
            f"{name!r} is not one of NIST's problems for individuals (NIST PRAM catalog); use "
            f"one of {', '.join(PRAM_PROBLEMS)}"
        )
    return found


def _pram_value(field: str, value: Any) -> Any:
    """``value`` as the store keeps it in the PRAM edit's ``field`` (:func:`_field_value`); an
    impact factor that is not a number from 1 to 10, or a likelihood not from 0 to 10 (NIST
    PRAM worksheet 3), is a StoreError."""
    low, high = PRAM_LIKELIHOODS if field == "likelihood" else PRAM_SCORES
    span = f"{low:g} to {high:g}"
    if field in PRAM_EDIT_NUMBERS and isinstance(value, bool):
        raise StoreError(f"{field} {value!r} is not a number; give one from {span}")
    kept = _field_value(field, value)
    if field in PRAM_EDIT_NUMBERS and kept is not None and not low <= kept <= high:
        raise StoreError(
            f"{field} {value!r} is outside {low:g}-{high:g} (NIST PRAM worksheet 3 scores each "
            "organisational impact factor from 1 to 10, a likelihood from 0, for a concern "
            f"that does not arise, to 10): give a number from {span}, or None to clear the "
            "override"
        )
    return kept


def save_pram_edit(
    store: Store,
    number: int,
    data_action: str,
    problem: str,
    given: dict[str, Any],
    *,
    who: str | None,
    note: str,
) -> None:
    """Save the ``given`` fields (those a caller passed, none :data:`~nistpf.store.KEEP`) of the
    NIST PRAM edit of ``problem`` for ``data_action`` in assessment ``number``: the rules and
    errors of :meth:`nistpf.store.Store.set_pram_edit`, which calls it. Raises StoreError for a
    blank data action, a problem outside NIST's catalog (:func:`pram_problem`), a number
    outside NIST PRAM worksheet 3's scales (:func:`_pram_value`), no field given, an unknown
    assessment, and an override without a reason (checked under the write lock)."""
    with store._transaction() as db:
        _save_in(db, store, number, data_action, problem, given, who=who, note=note)


def save_pram_edits(
    store: Store, number: int, rows: list[dict[str, Any]], *, who: str | None, note: str
) -> None:
    """Save several PRAM edits — each ``{"data_action", "problem", **given}`` — in one
    transaction: all of them, or, when one is refused (its StoreError raised), none."""
    with store._transaction() as db:
        for position, row in enumerate(rows):
            given = {k: v for k, v in row.items() if k not in ("data_action", "problem")}
            try:
                _save_in(db, store, number, row["data_action"], row["problem"], given, who=who,
                         note=note)  # fmt: skip
            except StoreError as error:  # which of the edits, then why; none is saved
                raise StoreError(
                    f"edit {position + 1} of {len(rows)} ({row['data_action']}, "
                    f"{row['problem']}): {error}; none of the {len(rows)} was saved"
                ) from None


def _save_in(db, store, number, data_action, problem, given, *, who, note) -> None:
    action = "" if data_action is None else str(data_action).strip()
    if not action:
        raise StoreError("a PRAM edit needs its data action, e.g. 'F-001:collection'")
    found = pram_problem(problem)
    fields = _ENTITIES["pram"][2]
    if not given:
        raise StoreError(f"nothing to save for {found} in {action}: give {', '.join(fields)}")
    values = {f: _pram_value(f, v) for f, v in given.items()}
    store._assessment_in(db, number)  # an unknown assessment: StoreError says so
    row = db.execute(
        f"SELECT {', '.join(fields)} FROM pram_edits "
        "WHERE assessment = ? AND data_action = ? AND problem = ?",
        (int(number), action, found),
    ).fetchone()
    after = {**(dict(zip(fields, row, strict=True)) if row else {}), **values}
    overridden = [f for f in PRAM_EDIT_NUMBERS if after.get(f) is not None]
    asked = "reason" in values or any(values.get(f) is not None for f in PRAM_EDIT_NUMBERS)
    if asked and overridden and not str(after.get("reason") or "").strip():
        raise StoreError(
            f"the {', '.join(overridden)} of {found} in {action} override the rules' and "
            "need a reason: give reason=..., e.g. reason='client interview 3 March'"
        )
    store._change("pram", number, (action, found), values, who, note, db=db)


def stored_pram_edits(store: Store, number: int) -> pd.DataFrame:
    """The NIST PRAM edits of assessment ``number`` as :meth:`nistpf.store.Store.pram_edits`
    returns them: columns :data:`~nistpf.inventory.model.PRAM_EDIT_COLUMNS` by data action and
    problem, ``likelihood`` and the five impact factors float (NaN: not overridden), the text
    "" when none; a row whose every field was cleared left out."""
    table = store._read(
        f"SELECT {', '.join(PRAM_EDIT_COLUMNS)} FROM pram_edits WHERE assessment = ? "
        "ORDER BY data_action, problem",
        (int(number),),
    )
    table = table.astype(dict.fromkeys(PRAM_EDIT_NUMBERS, float))
    text = [c for c in PRAM_EDIT_COLUMNS[2:] if c not in PRAM_EDIT_NUMBERS]
    blank = table[PRAM_EDIT_NUMBERS].isna().all(axis=1) & (table[text] == "").all(axis=1)
    return table[~blank].reset_index(drop=True)
