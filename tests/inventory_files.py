"""Building inventory workbooks and CSV folders from code, for the loader's tests."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd

import nistpf

SYSTEMS = [
    ["system_id", "name", "type", "criticality", "data_categories", "in_scope"],
    ["CRM-01", "Service Cloud", "CRM", "High", "user.contact.email; user.name", "yes"],
    ["CDP-01", "Customer Data Platform", "CDP", "Medium", "user.contact.email", "yes"],
    ["BOT-01", "Web Chatbot", "Chatbot", "Low", "user.contact", "yes"],
]
CONTROLS = [
    ["control_id", "name", "status", "maturity", "subcategories", "applies_to"],
    ["CTL-001", "TLS everywhere", "Implemented", None, "PR.DS-P2", "ALL"],
    [
        "CTL-002",
        "DSAR workflow",
        "Partially implemented",
        2,
        "CT.DM-P1; CT.DM-P4",
        "CRM-01; CDP-01",
    ],
    ["CTL-003", "Bot service account least privilege", "Planned", None, "PR.AC-P1", "type:Chatbot"],
]
FLOWS = [
    [
        "flow_id",
        "source",
        "destination",
        "data_categories",
        "purpose",
        "stage",
        "encrypted_in_transit",
    ],
    ["F-001", "CRM-01", "CDP-01", "user.contact.email", "Profile unification", "transfer", "yes"],
    ["F-002", "BOT-01", "CRM-01", "user.contact", "Case creation", "transfer", "yes"],
]


def valid_sheets() -> dict[str, list[list[Any]]]:
    """A small, valid inventory: three systems, three controls, two flows (fresh copies)."""
    return {
        "Systems": [list(r) for r in SYSTEMS],
        "Controls": [list(r) for r in CONTROLS],
        "DataFlows": [list(r) for r in FLOWS],
    }


def write_workbook(path: Path, sheets: Mapping[str, Sequence[Sequence[Any]]]) -> Path:
    """An .xlsx with one sheet per entry, rows written from A1 as given (a str starting with
    "=" is written as a formula, as Excel would hold it, with no saved value)."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    workbook.save(path)
    return path


def write_csv_folder(folder: Path, sheets: Mapping[str, Sequence[Sequence[Any]]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in sheets.items():
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(["" if v is None else v for v in row] for row in rows)
    return folder


# -- small inventories for scoring and export tests -------------------------------------------

THREE_SYSTEMS = pd.DataFrame(
    {
        "system_id": ["CRM", "CDP", "BOT"],
        "name": ["Service Cloud", "Customer Data Platform", "Web Chatbot"],
        "type": ["CRM", "CDP", "Chatbot"],
        "criticality": ["High", "Medium", "Low"],
        "data_categories": ["user.contact.email", "user.contact.email; user.name", "user.name"],
    }
)
CONTROL_COLUMNS = ["control_id", "name", "status", "maturity", "subcategories", "applies_to"]
HEALTHY_FLOW = {
    "data_categories": "user.contact.email",
    "purpose": "Service",
    "stage": "transfer",
    "encrypted_in_transit": "yes",
    "consent_basis": "contract",
    "retention_days": 365,
    "owner": "CX Ops",
}
FLOW_COLUMNS = ["flow_id", "source", "destination", *HEALTHY_FLOW]


def healthy_flow(flow_id: str, source: str, destination: str, **changes) -> list:
    """An encrypted flow with a purpose, a legal basis, a retention period and an owner, as a
    DataFlows row (``changes`` override any column)."""
    values = {"flow_id": flow_id, "source": source, "destination": destination, **HEALTHY_FLOW}
    values.update(changes)
    return [values[column] for column in FLOW_COLUMNS]


def small_inventory(controls, flows=(), *, systems=THREE_SYSTEMS, **sheets) -> nistpf.Inventory:
    """Systems CRM (High), CDP (Medium) and BOT (Low), the given control rows
    (``CONTROL_COLUMNS``) and flow rows (``healthy_flow``), plus any other sheets by name
    (``Profile=...``, ``Responses=...``); None sheets are left out."""
    frames = {
        "Systems": systems,
        "Controls": pd.DataFrame(controls, columns=CONTROL_COLUMNS),
        "DataFlows": pd.DataFrame(list(flows), columns=FLOW_COLUMNS),
        **sheets,
    }
    return nistpf.load_inventory({k: v for k, v in frames.items() if v is not None})
