"""NIST's Privacy Risk Assessment Methodology (PRAM, version February 2019) as package data.

``build_pram(reference_dir)`` reads the PRAM files in ``<reference_dir>/nist/pram/`` and returns
every file of ``nistpf/data/pram/`` as ``{name: text}``; ``convert()`` in
``nistpf.convert.build`` writes them beside ``pf-1.0/``. The files:

``problematic_data_actions.csv`` (``name, description``) and ``problems.csv`` (``name, group,
description``): the Catalog of Problematic Data Actions and Problems (``catalog-PDAP.md``), in
NIST's order, the texts word for word with white space folded. ``group`` is "Loss of
Self-Determination" for the three problems NIST lists under that heading (Loss of Autonomy, Loss
of Liberty, Physical Harm), else "". NIST's catalog writes the heading "Loss of Self
Determination" and its own text (Unwarranted Restriction) "self-determination": the group is
spelt with the hyphen, the spelling of NISTIR 8062 and the PRAM; that is the one change.

``pf_to_pram.csv`` and ``pf_to_nistir8062.csv`` (``subcategory, worksheet, notes``): NIST's
mapping of each PF 1.0 Subcategory to the PRAM worksheets (``pf-1.0-to-pram-mapping.xlsx``) and to
NISTIR 8062 (``pf-1.0-to-nistir-8062-mapping.xlsx``), one row per Subcategory in NIST's order,
the Subcategory ID taken from the leading "ID.IM-P1:" of column D, the mapping and notes cells as
NIST wrote them (white space folded; "" where the cell is blank). Every ID must be one of the 100
Subcategories of ``nistpf.framework("1.0")``, once each.

``worksheets.json``: for PRAM worksheets 2, 3 and 4, the title and version NIST gives on the
Introduction tab, every tab in order and the header of each table on it (see ``HEADER_ROWS``).

``manifest.json``: the publication, the SHA-256 of each source file, the row counts.

Anything the converter cannot read raises ValueError naming the file, sheet (or line), row,
column, the value and a fix.
"""

from __future__ import annotations

import difflib
import json
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter

from nistpf.convert.build import sha256, to_csv_text
from nistpf.convert.workbook import clean_text, read_rows, source_label, split_id_text
from nistpf.errors import shown
from nistpf.framework import framework

FOLDER = "pram"
SOURCE_DIR = "nist/pram"
CATALOG = "catalog-PDAP.md"
PRAM_MAPPING = "pf-1.0-to-pram-mapping.xlsx"
NISTIR8062_MAPPING = "pf-1.0-to-nistir-8062-mapping.xlsx"
WORKSHEETS = {
    "worksheet 2": "worksheet-2-assessing-sys-design.xlsx",
    "worksheet 3": "worksheet-3-prioritizing-risk.xlsx",
    "worksheet 4": "worksheet-4-selecting-controls.xlsx",
}
PUBLICATION = {
    "title": "NIST Privacy Risk Assessment Methodology",
    "publication": "NIST Privacy Risk Assessment Methodology, version February 2019",
    "version": "February 2019",
    "framework_version": "1.0",
}
SELF_DETERMINATION = "Loss of Self-Determination"
PDA_COLUMNS = ["name", "description"]
PROBLEM_COLUMNS = ["name", "group", "description"]
MAPPING_COLUMNS = ["subcategory", "worksheet", "notes"]
# The mapping workbooks: (file, the header of the mapping column, the CSV written).
MAPPINGS = (
    (PRAM_MAPPING, "PRAM Worksheet", "pf_to_pram.csv"),
    (NISTIR8062_MAPPING, "NISTIR 8062 Mapping", "pf_to_nistir8062.csv"),
)
_SUBCATEGORY_COLUMN = 3  # column D: "ID.IM-P1: Systems/products/services ..."

# Where NIST put the header row of each table, tab by tab, in the order of the tabs (Excel row
# numbers, read from the workbooks as published). Tabs with an example table and a blank one
# list both. A header of two rows (Impact's "Organizational Impact Factors" over five cost
# columns) is found from the first row: see _header.
HEADER_ROWS: dict[str, dict[str, tuple[int, ...]]] = {
    "worksheet 2": {
        "Introduction": (24,),
        "System Privacy Capabilities": (14, 34),
        "Contextual Factors": (9,),
        "Data Action Analysis": (4,),
    },
    "worksheet 3": {
        "Introduction": (),
        "Likelihood": (12, 19),
        "Impact": (17, 24),
        "Risk": (8, 43),
        "Risk Prioritization SAMPLE": (8, 24),
        "Risk Prioritization INPUT": (8, 24),
    },
    "worksheet 4": {
        "Introduction": (),
        "Define System Requirements": (8, 14),
        "Selected Controls": (6,),
    },
}

_ENTRY = re.compile(r"^(?P<bullet>\*\s+)?\*\*(?P<name>[^*]+?):\*\*\s*(?P<text>.*)$")
_GROUP = re.compile(r"^\*\*(?P<name>[^*:]+)\*\*$")
_PDA_SECTION = "Problematic Data Actions"
_PROBLEM_SECTION = "Problems"


def _source(reference_dir: Path, name: str) -> Path:
    return Path(reference_dir) / SOURCE_DIR / name


def _words(text: str) -> str:
    """``text`` with runs of white space folded to one space, ends trimmed."""
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()


def _short(value: Any, limit: int = 70) -> str:
    text = shown(clean_text(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def convert_catalog(reference_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Catalog of Problematic Data Actions and Problems (``nist/pram/catalog-PDAP.md``).

    Returns ``(problematic_data_actions, problems)``: DataFrames with columns ``name,
    description`` and ``name, group, description`` (all strings), rows in NIST's order. An entry is
    a line ``**Name:** text``; under "## Problems" a line ``**Heading**`` opens a group whose
    entries are bullets (``* **Name:** text``). Raises ValueError naming the line for any other
    text, a section that is missing or empty, or a name given twice.
    """
    path = _source(reference_dir, CATALOG)
    lines = path.read_text(encoding="utf-8").splitlines()
    found: dict[str, list[dict[str, str]]] = {_PDA_SECTION: [], _PROBLEM_SECTION: []}
    section = None
    group = ""
    for number, raw in enumerate(lines, start=1):
        line = _words(raw)
        if line.startswith("## "):
            section = line[3:].strip()
            group = ""
            continue
        if not line or section not in found:
            continue
        where = f"{path.name}: line {number}"
        heading = _GROUP.match(line)
        entry = _ENTRY.match(line)
        if section == _PROBLEM_SECTION and heading:
            group = _group_name(heading["name"], where)
        elif entry:
            if not entry["bullet"]:
                group = ""
            elif not group:
                raise ValueError(
                    f"{where}: bullet {_short(line)!r} under no group heading; fix: put it "
                    f"under '**Loss of Self Determination**' or write it without the bullet"
                )
            text = entry["text"].strip()
            if not text or "*" in text:
                raise ValueError(
                    f"{where}: the text of {entry['name']!r} is empty or holds markdown "
                    f"({_short(text)!r}); fix: write it as '**Name:** text' on one line"
                )
            found[section].append(
                {"name": entry["name"].strip(), "group": group, "description": text}
            )
        else:
            raise ValueError(
                f"{where}: {_short(line)!r} is neither '**Name:** text' nor a group heading "
                f"in section {section!r}; fix: write each entry as '**Name:** text'"
            )
    for name, entries in found.items():
        if not entries:
            raise ValueError(f"{path.name}: no entries under a '## {name}' heading")
        names = [entry["name"] for entry in entries]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"{path.name}: {name} {twice} listed twice; fix: list each once")
    actions = pd.DataFrame(found[_PDA_SECTION], columns=[*PDA_COLUMNS, "group"])
    if (actions["group"] != "").any():
        raise ValueError(f"{path.name}: a problematic data action sits under a group heading")
    return actions[PDA_COLUMNS], pd.DataFrame(found[_PROBLEM_SECTION], columns=PROBLEM_COLUMNS)


def _group_name(heading: str, where: str) -> str:
    """NIST's "Loss of Self Determination" heading, spelt "Loss of Self-Determination"."""
    if re.sub(r"[\s-]+", " ", heading.strip()).lower() != "loss of self determination":
        raise ValueError(
            f"{where}: unknown group heading {_short(heading)!r}; the catalog groups only "
            f"under {SELF_DETERMINATION!r}; fix: restore NIST's '**Loss of Self Determination**'"
        )
    return SELF_DETERMINATION


def convert_mapping(reference_dir: Path, workbook: str, header: str) -> pd.DataFrame:
    """NIST's mapping of the PF 1.0 Subcategories to the PRAM worksheets or to NISTIR 8062.

    Reads the first sheet of ``nist/pram/<workbook>``: the rows below the "Subcategory" label,
    column D's leading ID, the column headed ``header`` ("PRAM Worksheet", "NISTIR 8062 Mapping")
    and the "Notes" column. Returns a DataFrame ``subcategory, worksheet, notes`` (strings, ""
    where the cell is blank), one row per Subcategory in NIST's order. Raises ValueError naming
    file, sheet, row, column and value when column D holds no "ID: text", an ID that is not a PF
    1.0 Subcategory or one already listed, when a mapping stands on a row without a
    Subcategory, or when a Subcategory of the framework is missing.
    """
    path = _source(reference_dir, workbook)
    sheet = _open_error(path, lambda: _sheet_names(path)[0])
    rows = _open_error(path, lambda: read_rows(path, 0))
    mapping_column, notes_column, labels = _mapping_columns(path, sheet, rows, header)
    subcategories = framework(PUBLICATION["framework_version"]).subcategories["id"].tolist()
    known = set(subcategories)
    records: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    for row in rows[labels + 1 :]:
        where = source_label(path, sheet, row.number)
        cell = row.get(_SUBCATEGORY_COLUMN)
        parsed = split_id_text(cell)
        if parsed is None:
            if clean_text(row.get(mapping_column)) or clean_text(row.get(notes_column)):
                raise ValueError(
                    f"{where}: column {get_column_letter(mapping_column + 1)} holds "
                    f"{_short(row.get(mapping_column))!r} but column D holds no Subcategory "
                    f"({_short(cell)!r}); fix: put 'ID.IM-P1: text' in column D"
                )
            continue
        id_ = parsed[0]
        if id_ not in known or parsed[1]:
            close = difflib.get_close_matches(id_, subcategories, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ValueError(
                f"{where}: column D holds {_short(cell)!r}, whose ID {shown(id_)!r} is not a "
                f"PF 1.0 Subcategory{hint}; fix: start the cell with one of the Subcategory IDs "
                f"of nistpf/data/pf-1.0/core.csv, e.g. 'ID.IM-P1:'"
            )
        if id_ in seen:
            raise ValueError(
                f"{where}: column D holds {id_} again (first on row {seen[id_]}); fix: map each "
                f"Subcategory on one row"
            )
        seen[id_] = row.number
        records.append(
            {
                "subcategory": id_,
                "worksheet": clean_text(row.get(mapping_column)),
                "notes": clean_text(row.get(notes_column)),
            }
        )
    missing = [id_ for id_ in subcategories if id_ not in seen]
    if missing:
        raise ValueError(
            f"{path.name}:{sheet}: column D lacks {len(missing)} PF 1.0 Subcategories "
            f"({', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}); fix: give each "
            f"Subcategory a row"
        )
    return pd.DataFrame(records, columns=MAPPING_COLUMNS)


def _mapping_columns(path: Path, sheet: str, rows: list, header: str) -> tuple[int, int, int]:
    """(mapping column, notes column, position of the "Subcategory" label row) of a mapping
    sheet: the header cells are searched in its first five rows."""
    columns: dict[str, int] = {}
    labels = None
    for position, row in enumerate(rows[:5]):
        for column, value in enumerate(row.cells):
            text = clean_text(value)
            if text in (header, "Notes") and text not in columns:
                columns[text] = column
            if column == _SUBCATEGORY_COLUMN and text == "Subcategory":
                labels = position
    for text in (header, "Notes"):
        if text not in columns:
            raise ValueError(
                f"{path.name}:{sheet}: no column headed {text!r} in the first five rows; "
                f"fix: restore NIST's header"
            )
    if labels is None:
        raise ValueError(
            f"{path.name}:{sheet}: no 'Subcategory' label in column D of the first five rows; "
            f"fix: restore NIST's header"
        )
    return columns[header], columns["Notes"], labels


def _open_error(path: Path, read):
    """``read()``, with an unreadable workbook reported as ValueError naming it."""
    try:
        return read()
    except (zipfile.BadZipFile, KeyError) as error:
        raise ValueError(f"{path.name}: not a readable .xlsx workbook ({error})") from None


def _sheet_names(path: Path) -> list[str]:
    return list(_load(path).sheetnames)


def _load(path: Path) -> openpyxl.Workbook:
    """The whole workbook (merged cells need the full reader; NIST's files are small). The
    warnings openpyxl gives about print areas and default styles concern presentation only."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        return openpyxl.load_workbook(path, data_only=False)


def convert_worksheets(reference_dir: Path) -> dict[str, Any]:
    """The tabs of PRAM worksheets 2, 3 and 4 and the header of each table on them.

    Returns ``{"worksheet 2": {"file", "title", "version", "tabs": [tab, ...]}, ...}``; a tab is
    ``{"name", "columns", "tables": [table, ...]}`` and a table ``{"rows": [Excel rows of its
    header], "caption": the text in column A of the row above ("" if none), "example": whether
    NIST labels it "Example:", "columns": [the column names], "header": [[{"cell": "A8" or a
    merged range "E17:I17", "text": ...}, ...] per header row]}``. Texts are as NIST wrote them,
    stripped of surrounding white space only. ``columns`` of a two-row header names the lower
    cell where there is one (Impact: the five cost factors, not "Organizational Impact Factors").
    A tab's ``columns`` are those of its first table not labelled "Example:" (the blank table to
    fill in), else of its first table, else []. Raises ValueError when a workbook's tabs differ
    from ``HEADER_ROWS``, a header row is blank in column A or holds a number or formula, or the
    Introduction tab gives no "Worksheet N: title" or another version than February 2019.
    """
    result: dict[str, Any] = {}
    for key, name in WORKSHEETS.items():
        path = _source(reference_dir, name)
        workbook = _open_error(path, lambda path=path: _load(path))
        expected = list(HEADER_ROWS[key])
        if workbook.sheetnames != expected:
            raise ValueError(
                f"{name}: the tabs are {workbook.sheetnames}, not NIST's {expected}; fix: use "
                f"the PRAM workbook as published (version February 2019)"
            )
        title, version = _introduction(path, workbook["Introduction"])
        tabs = []
        for tab, header_rows in HEADER_ROWS[key].items():
            tables = [_table(path, workbook[tab], row, header_rows) for row in header_rows]
            principal = [t for t in tables if not t["example"]] or tables
            columns = principal[0]["columns"] if principal else []
            tabs.append({"name": tab, "columns": columns, "tables": tables})
        result[key] = {"file": name, "title": title, "version": version, "tabs": tabs}
    return result


def _introduction(path: Path, sheet) -> tuple[str, str]:
    """The "Worksheet N: title" and the version ("February 2019") on the Introduction tab."""
    texts = [clean_text(cell.value) for row in sheet.iter_rows() for cell in row]
    titles = [t for t in texts if re.match(r"^Worksheet \d: ", t)]
    versions = [t.removeprefix("Version:").strip() for t in texts if t.startswith("Version:")]
    if not titles or versions[:1] != [PUBLICATION["version"]]:
        raise ValueError(
            f"{path.name}:Introduction: expected a 'Worksheet N: title' cell and 'Version: "
            f"{PUBLICATION['version']}', found {titles[:1]} and {versions[:1]}; fix: use the "
            f"PRAM workbook as published"
        )
    return titles[0], versions[0]


def _table(path: Path, sheet, row: int, header_rows: tuple[int, ...]) -> dict[str, Any]:
    spans = _spans(sheet)
    first = _header(path, sheet, row, spans)
    lower = _lower_header(sheet, row, first, spans)
    rows = [row] if lower is None else [row, row + 1]
    header = [first] if lower is None else [first, lower]
    columns = []
    for cell in first:
        below = [c["text"] for c in lower or [] if _splits(c["cell"], cell["cell"])]
        columns.extend(below or [cell["text"]])
    earlier = [r for r in header_rows if r < row]
    start = earlier[-1] + 1 if earlier else 1
    example = any(clean_text(sheet.cell(r, 1).value) == "Example:" for r in range(start, row))
    return {
        "rows": rows,
        "caption": str(sheet.cell(row - 1, 1).value or "").strip() if row > 1 else "",
        "example": example,
        "columns": columns,
        "header": header,
    }


def _spans(sheet) -> dict[tuple[int, int], str]:
    """The merged ranges of ``sheet`` by their top-left (row, column)."""
    return {(m.min_row, m.min_col): m.coord for m in sheet.merged_cells.ranges}


def _header(path: Path, sheet, row: int, spans: dict) -> list[dict[str, str]]:
    """The non-blank cells of header ``row``, left to right, each as its cell or merged range
    and its text stripped of surrounding white space."""
    cells = []
    for column in range(1, sheet.max_column + 1):
        value = sheet.cell(row, column).value
        if value is None or not str(value).strip():
            continue
        coordinate = f"{get_column_letter(column)}{row}"
        if not isinstance(value, str) or value.startswith("="):
            raise ValueError(
                f"{source_label(path, sheet.title, row)}: column {get_column_letter(column)} "
                f"holds {_short(value)!r}, not a column name; fix: HEADER_ROWS in "
                f"nistpf/convert/pram.py must name the table's header row"
            )
        cells.append({"cell": spans.get((row, column), coordinate), "text": value.strip()})
    if not cells or not cells[0]["cell"].startswith(f"A{row}"):
        raise ValueError(
            f"{source_label(path, sheet.title, row)}: column A is blank, so this is no table "
            f"header; fix: HEADER_ROWS in nistpf/convert/pram.py must name the header row"
        )
    return cells


def _lower_header(sheet, row: int, first: list[dict], spans: dict) -> list[dict] | None:
    """The second header row under ``row``: the next row when every non-blank cell on it splits
    a cell of ``row`` merged across several columns, i.e. lies under it and is narrower
    (Impact's five cost factors under "Organizational Impact Factors"). A data row merged as
    wide as the header above it (System Privacy Capabilities) is no header. None otherwise."""
    cells = []
    for column in range(1, sheet.max_column + 1):
        value = sheet.cell(row + 1, column).value
        if value is None or not str(value).strip():
            continue
        cell = spans.get((row + 1, column), f"{get_column_letter(column)}{row + 1}")
        if not isinstance(value, str) or not any(_splits(cell, c["cell"]) for c in first):
            return None
        cells.append({"cell": cell, "text": value.strip()})
    return cells or None


def _splits(cell: str, span: str) -> bool:
    """Whether the columns of ``cell`` lie within those of ``span`` and are fewer."""
    low, high = _columns(span)
    first, last = _columns(cell)
    return low <= first and last <= high and last - first < high - low


def _columns(reference: str) -> tuple[int, int]:
    """The first and last column numbers of a cell ("E18") or range ("E17:I17")."""
    letters = [re.match(r"[A-Z]+", part)[0] for part in reference.split(":")]
    numbers = [openpyxl.utils.column_index_from_string(letter) for letter in letters]
    return numbers[0], numbers[-1]


def build_pram(reference_dir: Path) -> dict[str, str]:
    """Every file of ``nistpf/data/pram/`` as ``{name: text}``, without writing anything.

    The same sources give the same bytes: CSV by ``to_csv_text``, JSON indented with keys in a
    fixed order. Raises ValueError (see the module) or OSError when a source is missing.
    """
    reference_dir = Path(reference_dir)
    actions, problems = convert_catalog(reference_dir)
    files = {
        "problematic_data_actions.csv": to_csv_text(actions),
        "problems.csv": to_csv_text(problems),
    }
    counts = {"problematic_data_actions": len(actions), "problems": len(problems)}
    for workbook, header, name in MAPPINGS:
        table = convert_mapping(reference_dir, workbook, header)
        files[name] = to_csv_text(table)
        counts[name.removesuffix(".csv")] = len(table)
    files["worksheets.json"] = _json(convert_worksheets(reference_dir))
    sources = [CATALOG, PRAM_MAPPING, NISTIR8062_MAPPING, *WORKSHEETS.values()]
    manifest = {
        **PUBLICATION,
        "files": {
            "problematic_data_actions": "problematic_data_actions.csv",
            "problems": "problems.csv",
            "pf_to_pram": "pf_to_pram.csv",
            "pf_to_nistir8062": "pf_to_nistir8062.csv",
            "worksheets": "worksheets.json",
        },
        "counts": counts,
        "sources": {
            f"{SOURCE_DIR}/{name}": sha256(_source(reference_dir, name)) for name in sources
        },
    }
    files["manifest.json"] = _json(manifest)
    return files


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
