"""The loaded inventory: tidy DataFrames, the validation report, and where they came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

ISSUE_COLUMNS = ["severity", "sheet", "excel_row", "column", "value", "problem", "hint", "code"]

# Tidy columns each table has, in this order, before any extra client columns.
SYSTEM_COLUMNS = [
    "system_id",
    "name",
    "type",
    "owner",
    "vendor",
    "hosting",
    "channels",
    "data_categories",
    "data_subjects",
    "records",
    "criticality",
    "in_scope",
    "excel_row",
]
CONTROL_COLUMNS = [
    "control_id",
    "name",
    "description",
    "owner",
    "status",
    "maturity",
    "subcategories",
    "applies_to",
    "applies_to_all",
    "evidence",
    "last_tested",
    "excel_row",
]
CONTROL_SUBCATEGORY_COLUMNS = ["control_id", "subcategory"]
CONTROL_SYSTEM_COLUMNS = ["control_id", "system_id", "selector"]
FLOW_COLUMNS = [
    "flow_id",
    "source",
    "destination",
    "data_categories",
    "purpose",
    "stage",
    "encrypted_in_transit",
    "minimization",
    "consent_basis",
    "third_party",
    "retention_days",
    "owner",
    "excel_row",
]
PROFILE_COLUMNS = ["pf_id", "level", "target", "priority", "in_profile", "rationale", "excel_row"]
RESPONSE_COLUMNS = [
    "subcategory",
    "system",
    "current",
    "evidence",
    "method",
    "notes",
    "assessor",
    "date",
    "excel_row",
]
TIER_COLUMNS = ["attribute", "tier", "evidence", "excel_row"]
ABOUT_COLUMNS = ["field", "value"]
# The consultant's NIST PRAM edits (engagement store): one row per data action × problem for
# individuals; a likelihood and the five organisational impact factors of worksheet 3, the
# selected controls and rationale of worksheet 4, and the reason for the override.
PRAM_EDIT_NUMBERS = [
    "likelihood",
    "noncompliance",
    "direct_business",
    "reputational",
    "internal_culture",
    "other",
]
PRAM_EDIT_COLUMNS = [
    "data_action",
    "problem",
    *PRAM_EDIT_NUMBERS,
    "selected_controls",
    "rationale",
    "reason",
]


def empty_issues() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in ISSUE_COLUMNS})


def empty_pram_edits() -> pd.DataFrame:
    """No NIST PRAM edits: the columns of :data:`PRAM_EDIT_COLUMNS`, the numbers float (NaN
    when not overridden), the text object ("" when none)."""
    return pd.DataFrame(
        {
            column: pd.Series(dtype=float if column in PRAM_EDIT_NUMBERS else object)
            for column in PRAM_EDIT_COLUMNS
        }
    )


@dataclass(frozen=True)
class Inventory:
    """A client's CX inventory as nistpf reads it.

    - ``systems``: one row per system; ``channels``, ``data_categories``, ``data_subjects`` are
      tuples; ``criticality`` defaults to Medium, ``in_scope`` to True.
    - ``controls``: one row per control; ``subcategories`` and ``applies_to`` are tuples of
      normalised IDs / selectors; ``applies_to_all`` is True for a blank or ``ALL`` cell.
    - ``control_subcategories``: one row per control × Subcategory.
    - ``control_systems``: one row per control × system named by ID or ``type:`` selector
      (``selector`` says which). Controls that apply to all systems are *not* expanded here —
      ``controls.applies_to_all`` says so — which keeps large inventories small.
    - ``flows``: one row per data flow; unknown endpoints are kept as written (a warning).
    - ``profile``, ``responses``, ``tiers``: the optional sheets; ``about``: ``field, value``.
    - ``issues``: the validation report (warnings only, on a loaded inventory).
    - ``pram_edits``: the consultant's NIST PRAM edits from the engagement store
      (:meth:`nistpf.store.Store.apply`; empty as loaded), one row per data action × problem
      for individuals, columns :data:`PRAM_EDIT_COLUMNS`: ``likelihood`` and the five
      organisational impact factors ``noncompliance, direct_business, reputational,
      internal_culture, other`` (NIST PRAM worksheet 3, Likelihood and Impact tabs: 1-10
      each; float, NaN when not overridden), ``selected_controls`` and ``rationale``
      (worksheet 4) and the ``reason`` for the override (text, "" when none).
    - ``excel_row`` on every table is where the row stands in the source (Excel's numbering,
      or the record number in a CSV file), so every later message can point at it.
    Columns the template does not know are kept, after the tidy ones, under their own headers.
    """

    systems: pd.DataFrame
    controls: pd.DataFrame
    control_subcategories: pd.DataFrame
    control_systems: pd.DataFrame
    flows: pd.DataFrame
    profile: pd.DataFrame
    responses: pd.DataFrame
    tiers: pd.DataFrame
    about: pd.DataFrame
    issues: pd.DataFrame
    source: str
    sha256: str | None
    framework_version: str
    scale: str
    path: Path | None = None  # the file or folder read (None for DataFrames)
    pram_edits: pd.DataFrame = field(default_factory=empty_pram_edits)

    def __repr__(self) -> str:
        return (
            f"<Inventory {self.source}: {len(self.systems)} systems, {len(self.controls)} "
            f"controls, {len(self.flows)} flows, {len(self.issues)} warnings>"
        )

    @property
    def warnings(self) -> pd.DataFrame:
        return self.issues[self.issues["severity"] == "warning"].reset_index(drop=True)

    def about_value(self, field: str, default: str = "") -> str:
        """The About sheet's value for ``field`` (e.g. ``"client"``), or ``default``."""
        match = self.about.loc[self.about["field"] == field, "value"]
        return str(match.iloc[0]) if len(match) else default
