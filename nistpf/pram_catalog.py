"""NIST's Privacy Risk Assessment Methodology (PRAM, version February 2019) as data.

The files in ``nistpf/data/pram/`` are written by ``python -m nistpf.convert`` from the files NIST
publishes (usnistgov/PrivacyEngCollabSpace, ``tools/risk-assessment/NIST-Privacy-Risk-Assessment-
Methodology-PRAM/``; usnistgov/PrivacyFrmwkResources for the two PF 1.0 mappings):

- the Catalog of Problematic Data Actions and Problems (``catalog-PDAP.md``): the nine
  problematic data actions and the seven problems for individuals, texts word for word;
- NIST's mapping of the PF 1.0 Subcategories to the PRAM worksheets and to NISTIR 8062;
- the tabs of PRAM worksheets 2, 3 and 4 and the column headers of their tables.

>>> from nistpf import pram_catalog
>>> pram_catalog.PROBLEMATIC_DATA_ACTIONS[:3]
('Appropriation', 'Distortion', 'Induced Disclosure')
>>> pram_catalog.worksheet_headers()["worksheet 3"]["Risk"][:3]
['Data Actions', 'Potential Problems for Individuals', 'Likelihood']

Tables are returned as copies; changing one changes nothing here. A data file that is missing or
damaged raises :class:`~nistpf.errors.BundledFileError` (the installation is broken).
"""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from typing import Any

import pandas as pd

from nistpf.errors import BundledFileError

_FOLDER = ("data", "pram")
_COLUMNS = {
    "problematic_data_actions.csv": ["name", "description"],
    "problems.csv": ["name", "group", "description"],
    "pf_to_pram.csv": ["subcategory", "worksheet", "notes"],
    "pf_to_nistir8062.csv": ["subcategory", "worksheet", "notes"],
}


def _file(name: str):
    return resources.files("nistpf").joinpath(*_FOLDER, name)


@functools.cache
def _table(name: str) -> pd.DataFrame:
    path = _file(name)
    try:
        with path.open("r", encoding="utf-8", newline="") as handle:
            table = pd.read_csv(handle, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise BundledFileError("PRAM catalog file", path, str(error)) from None
    if list(table.columns) != _COLUMNS[name]:
        raise BundledFileError(
            "PRAM catalog file",
            path,
            f"its columns are {list(table.columns)}, not {_COLUMNS[name]}",
        )
    return table


@functools.cache
def _json(name: str) -> dict[str, Any]:
    path = _file(name)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise BundledFileError("PRAM catalog file", path, str(error)) from None


def problematic_data_actions() -> pd.DataFrame:
    """The nine problematic data actions of NIST's Catalog of Problematic Data Actions and
    Problems (PRAM, February 2019), in the catalog's order (Appropriation ... Unwarranted
    Restriction).

    Columns: ``name`` (e.g. "Re-identification"), ``description`` (NIST's text word for word,
    white space folded). All strings. Raises BundledFileError if the data file is damaged.
    """
    return _table("problematic_data_actions.csv").copy()


def problems() -> pd.DataFrame:
    """The seven problems for individuals of NIST's Catalog of Problematic Data Actions and
    Problems (PRAM, February 2019), in the catalog's order.

    Columns: ``name`` (e.g. "Dignity Loss"), ``group`` ("Loss of Self-Determination" for Loss of
    Autonomy, Loss of Liberty and Physical Harm, which NIST lists under that heading; "" for the
    others), ``description`` (NIST's text word for word). All strings. Raises BundledFileError
    if the data file is damaged.
    """
    return _table("problems.csv").copy()


def pf_to_pram() -> pd.DataFrame:
    """NIST's mapping of the Privacy Framework 1.0 Subcategories to the PRAM worksheets
    ("NIST Privacy Framework Version 1.0 Mapping to NIST Privacy Risk Assessment Methodology
    (PRAM) Version February 2019").

    One row per Subcategory (100), in the Core's order. Columns: ``subcategory`` (e.g.
    "ID.RA-P4"), ``worksheet`` (NIST's text, e.g. "Worksheet 3, Catalog of Problematic Data
    Actions and Problems"; "" where NIST maps none), ``notes`` (NIST's Notes column; "" in the
    published file). All strings. Raises BundledFileError if the data file is damaged.
    """
    return _table("pf_to_pram.csv").copy()


def pf_to_nistir8062() -> pd.DataFrame:
    """NIST's mapping of the Privacy Framework 1.0 Subcategories to NISTIR 8062, An Introduction
    to Privacy Engineering and Risk Management in Federal Systems.

    Same shape as :func:`pf_to_pram`: one row per Subcategory (100), columns ``subcategory``,
    ``worksheet`` (NIST's cell, "NISTIR 8062" where NIST maps the Subcategory, else ""),
    ``notes``. Raises BundledFileError if the data file is damaged.
    """
    return _table("pf_to_nistir8062.csv").copy()


def worksheet_headers() -> dict[str, dict[str, list[str]]]:
    """The tabs of PRAM worksheets 2, 3 and 4 (February 2019) and the column names of each
    tab's table, as NIST wrote them (stripped of surrounding spaces only).

    ``{"worksheet 2": {tab: [column, ...], ...}, "worksheet 3": ..., "worksheet 4": ...}`` with
    the tabs in NIST's order. A tab's columns are those of its blank table (the one NIST does
    not label "Example:"), else of its example table; [] for a tab with no table (the
    Introduction tabs of worksheets 3 and 4). Where a header has two rows the lower cells are
    the columns: Impact gives the five organisational cost factors ("Noncompliance Costs" ...
    "Other"), not "Organizational Impact Factors" above them. The two Risk Prioritization tabs
    hold two tables; the first (the System Risk Table) is given here, both in
    :func:`worksheet_tables`. Raises BundledFileError if the data file is damaged.
    """
    return {
        key: {tab["name"]: list(tab["columns"]) for tab in workbook["tabs"]}
        for key, workbook in _json("worksheets.json").items()
    }


def worksheet_tables() -> dict[str, dict[str, Any]]:
    """Everything ``worksheets.json`` records, for a writer that reproduces NIST's tabs.

    ``{"worksheet 2": {"file", "title", "version", "tabs": [...]}, ...}``; each tab is
    ``{"name", "columns", "tables"}`` and each table ``{"rows"`` (the Excel rows of its header),
    ``"caption"`` (the text in column A of the row above, "" if none), ``"example"`` (NIST
    labels it "Example:"), ``"columns"``, ``"header"`` (per header row, the cells left to right
    as ``{"cell": "E17:I17" or "A17", "text"}``; a range is a merged cell)``}``. A deep copy.
    Raises BundledFileError if the data file is damaged.
    """
    return copy.deepcopy(_json("worksheets.json"))


def manifest() -> dict[str, Any]:
    """Where the PRAM data came from: the publication ("NIST Privacy Risk Assessment
    Methodology, version February 2019"), the SHA-256 of each source file, the row counts."""
    return copy.deepcopy(_json("manifest.json"))


PROBLEMATIC_DATA_ACTIONS: tuple[str, ...] = tuple(_table("problematic_data_actions.csv")["name"])
"""The nine problematic data actions' names, in NIST's catalog order."""
PROBLEMS: tuple[str, ...] = tuple(_table("problems.csv")["name"])
"""The seven problems for individuals' names, in NIST's catalog order."""
