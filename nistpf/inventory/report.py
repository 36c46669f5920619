"""The validation report: one row per problem, in the consultant's terms.

Every problem the loader finds becomes a row ``severity, sheet, excel_row, column, value,
problem, hint, code``. They are all collected before anything stops, so the client gets one
complete list to fix rather than one error at a time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from nistpf.errors import shown
from nistpf.inventory.model import ISSUE_COLUMNS
from nistpf.io.csv_safe import csv_text

ERROR = "error"
WARNING = "warning"


def value_text(value: Any, limit: int = 120) -> str:
    """A cell value as the report shows it: text, shortened when long."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Report:
    """Collects problems while a source is read and checked."""

    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        severity: str,
        code: str,
        problem: str,
        *,
        sheet: str = "",
        excel_row: int | None = None,
        column: str = "",
        value: Any = None,
        hint: str = "",
    ) -> None:
        self.rows.append(
            {
                "severity": severity,
                "sheet": sheet,
                "excel_row": excel_row,
                "column": column,
                "value": value_text(value),
                "problem": problem,
                "hint": hint,
                "code": code,
            }
        )

    def error(self, code: str, problem: str, **where: Any) -> None:
        self.add(ERROR, code, problem, **where)

    def warning(self, code: str, problem: str, **where: Any) -> None:
        self.add(WARNING, code, problem, **where)

    @property
    def has_errors(self) -> bool:
        return any(row["severity"] == ERROR for row in self.rows)

    def frame(self) -> pd.DataFrame:
        """The report as a DataFrame, errors first, then in the order found."""
        table = pd.DataFrame(self.rows, columns=ISSUE_COLUMNS)
        table["excel_row"] = table["excel_row"].astype("Int64")
        for column in ISSUE_COLUMNS:
            if column != "excel_row":
                table[column] = table[column].astype(object)
        # Errors first; then sheet by sheet in the order they were read, row by row.
        sheets = {name: i for i, name in enumerate(dict.fromkeys(table["sheet"]))}
        order = pd.DataFrame(
            {
                "severity": table["severity"].map({ERROR: 0, WARNING: 1}),
                "sheet": table["sheet"].map(sheets),
                "row": table["excel_row"].fillna(0),
            }
        )
        ranked = order.sort_values(["severity", "sheet", "row"], kind="stable").index
        return table.loc[ranked].reset_index(drop=True)


def format_report(issues: pd.DataFrame, fmt: str = "table") -> str:
    """The report for a terminal (``table``), or as ``csv`` (through
    :func:`nistpf.io.csv_safe.csv_text`: text a spreadsheet would run as a formula gets a
    ``'`` in front, numbers such as ``excel_row`` stay numbers) / ``json`` (as it is)."""
    if fmt == "csv":
        return csv_text(issues)
    if fmt == "json":
        records = [
            {k: (None if pd.isna(v) else (int(v) if k == "excel_row" else v)) for k, v in r.items()}
            for r in issues.to_dict(orient="records")
        ]
        return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    if issues.empty:
        return "No problems found.\n"
    lines = []
    for row in issues.itertuples(index=False):
        where = [row.sheet] if row.sheet else []
        if not pd.isna(row.excel_row):
            where.append(f"row {row.excel_row}")
        if row.column:
            where.append(f"column {row.column}")
        # Names and values are the client's: shown escaped (nistpf.errors.shown), so a line
        # break or a bidirectional control in a cell cannot split or reorder a report line.
        place = shown(", ".join(map(str, where)))
        value = f" [{shown(row.value)}]" if row.value else ""
        lines.append(f"{row.severity.upper():<7} {place}{value}: {shown(row.problem)}")
        if row.hint:
            lines.append(f"        fix: {shown(row.hint)}")
    errors = int((issues["severity"] == ERROR).sum())
    warnings = int((issues["severity"] == WARNING).sum())
    lines.append(
        f"\n{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    )
    return "\n".join(lines) + "\n"
