"""The PF Core from NIST's Core workbook, and the Implementation Tiers."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from nistpf.convert.workbook import read_rows, split_id_text

CORE_WORKBOOK = "NIST-Privacy-Framework-V1.0-Core.xlsx"
TIERS_TABLE = "nist-pf-1.0-tiers.csv"
CORE_COLUMNS = ["level", "id", "parent_id", "name", "text"]
TIERS_COLUMNS = ["tier", "tier_name", "attribute", "text"]

# Columns B, D and F of the Core sheet hold Function, Category and Subcategory cells; a merged
# Function or Category cell has its text in the first row only, so the current parent carries down.
_LEVEL_COLUMNS = (("function", 1), ("category", 3), ("subcategory", 5))


def function_name(workbook_name: str) -> str:
    """NIST's Core workbook spells Functions in capitals ("IDENTIFY-P"); PF Table 1 and the
    verified Core table write "Identify-P"."""
    stem, _, suffix = workbook_name.partition("-")
    return f"{stem.capitalize()}-{suffix}" if suffix else stem.capitalize()


def convert_core(reference_dir: Path) -> pd.DataFrame:
    """Parse ``nist/NIST-Privacy-Framework-V1.0-Core.xlsx`` into one row per Function, Category
    and Subcategory (columns ``level, id, parent_id, name, text``), in NIST's order."""
    path = Path(reference_dir) / "nist" / CORE_WORKBOOK
    records: list[dict[str, str]] = []
    parents = {"function": "", "category": ""}
    for row in read_rows(path):
        for level, column in _LEVEL_COLUMNS:
            parsed = split_id_text(row.get(column))
            if parsed is None:
                continue
            id_, name, text = parsed
            if level == "function":
                parent, name = "", function_name(name)
            elif level == "category":
                parent = parents["function"]
            else:
                parent = parents["category"]
            if level in parents:
                parents[level] = id_
            records.append(
                {"level": level, "id": id_, "parent_id": parent, "name": name, "text": text}
            )
    core = pd.DataFrame.from_records(records, columns=CORE_COLUMNS)
    if core["id"].duplicated().any():
        raise ValueError(
            f"{path.name}: duplicate IDs {sorted(core['id'][core['id'].duplicated()])}"
        )
    return core


def convert_tiers(reference_dir: Path) -> pd.DataFrame:
    """The Implementation Tiers (PF 1.0 Appendix E). NIST publishes them only in the PDF, not in a
    workbook, so the verified table in the reference folder is the source; it is validated here."""
    path = Path(reference_dir) / TIERS_TABLE
    with path.open(encoding="utf-8", newline="") as handle:
        tiers = pd.DataFrame(list(csv.DictReader(handle)), columns=TIERS_COLUMNS)
    shape = tiers.groupby("tier")["attribute"].nunique()
    if len(tiers) != 16 or list(shape.index) != ["1", "2", "3", "4"] or set(shape) != {4}:
        raise ValueError(f"{path.name}: expected 4 Tiers x 4 attributes, found {len(tiers)} rows")
    return tiers
