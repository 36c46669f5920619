"""NIST's PF 1.0 crosswalk workbooks as tidy tables, one row per (PF ID, target) pair.

``convert_crosswalks(reference_dir, core)`` returns one DataFrame per crosswalk, keyed (in this
order) ``csf-1.1``, ``csf-2.0``, ``sp800-53r5``, ``gdpr``, ``ccpa``, ``cpra``, ``iso27701``, each
with exactly ``CROSSWALK_COLUMNS``, all values strings ("" for none). Rows follow the PF Core
order, then the order in which NIST lists the targets (cell lines, then columns left to right);
a repeated (pf_id, target_id) pair keeps its first row. ``pf_id`` is the row's own, most specific
PF ID (a Category or Function where NIST maps one) and must be in the Core. ``source`` is
``"<file>:<sheet>:row <n>"`` with n the Excel row. Content that cannot be parsed raises
ValueError naming file, sheet, row and cell; nothing is dropped unless listed below.

``csf-1.1`` and ``csf-2.0``: see ``nistpf.convert.crosswalks_csf`` (the CSF 2.0 rows are derived,
not NIST's).

``sp800-53r5`` (sheet "PF to SP 800-53r5"): comma-separated controls and enhancements ("CM-8",
"CM-8(4)"); white space inside an ID is removed. NIST's "all -1 controls" (the Policy and
Procedures control of every family; the CSF sheet writes "-1 controls from all security control
families") is kept as the single target ``all -1 controls``, not expanded into IDs NIST does not
list.

``gdpr`` (sheet "PF to GDPR"): each line "Art. 5(2): Accountability" gives ``target_id``
"Art. 5(2)" and ``target_text`` "Accountability"; ``notes`` is the column's header rows,
"Chapter II - Principles / Articles 5-11" (with the Section where there is one). Repairs:
"Art. 32.4" → "Art. 32(4)"; "Art. 13)(2)(b)" → "Art. 13(2)(b)"; lists and ranges of paragraphs
become one row each with the caption repeated ("Art. 28(1,3,4 &9)" → Art. 28(1), 28(3), 28(4),
28(9); "Art. 12(3-6)" → Art. 12(3) ... 12(6)). A bracketed line ("[Note who has oblighations
under these articles]", NIST's drafting note in row 12) is appended to the notes of that cell's
rows. Rows stop at the "Limitations" footer (a disclaimer and a thank-you line). Two articles sit
in a column whose range excludes them (Art. 38(4) under "Article 35-36", Art. 32(1)(a) under
"Articles 24-31"); their notes name the column NIST put them in.

``ccpa`` / ``cpra`` (sheet "Privacy Framework to Source"): each line of the Provision cell is a
section of Cal. Civ. Code § 1798 ("100" → ``1798.100``) or a regulation ("CCPA Regulations
§ 999.317" → ``§ 999.317``, i.e. Cal. Code Regs. tit. 11 § 999.317; a leading "§" marks a
regulation). ``notes`` is the cell's Notes column, cleaned. A Notes cell with no provision beside
it states that nothing maps (e.g. "CPRA Regulations are expected to be introduced by July 1,
2022." next to an empty CPRA Provision, and PROTECT-P's notes on the security duty): it yields no
row, as there is no target; it is logged at INFO level.

``iso27701`` (sheet "Privacy Framework to Source"; the other sheet is an empty template): the
"ISO/IEC 27701:2019" prefix is dropped and the clauses split on commas and spaces ("7.3.10 7.5.1",
a missing comma, gives two). "All of 6.8" and "All of section 6" become ``6.8`` and ``6`` (a
clause number stands for the whole clause). ``notes`` is the Notes column (empty in 1.0).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from nistpf.convert.crosswalks_csf import cell_error, csf11_records, csf20_records
from nistpf.convert.workbook import (
    Row,
    cell_lines,
    clean_text,
    find_header,
    most_specific_id,
    read_rows,
    rows_below_header,
    source_label,
)
from nistpf.framework import CROSSWALK_COLUMNS

CROSSWALK_TITLES: dict[str, str] = {
    "csf-1.1": "NIST Cybersecurity Framework 1.1",
    "csf-2.0": "NIST Cybersecurity Framework 2.0 (derived via CSF 1.1)",
    "sp800-53r5": "NIST SP 800-53 Rev. 5",
    "gdpr": "EU General Data Protection Regulation (GDPR)",
    "ccpa": "California Consumer Privacy Act (CCPA)",
    "cpra": "California Privacy Rights Act (CPRA)",
    "iso27701": "ISO/IEC 27701:2019",
}

SP80053_WORKBOOK = "crosswalk-csf-pf-to-sp800-53r5.xlsx"
SP80053_SHEET = "PF to SP 800-53r5"
GDPR_WORKBOOK = "crosswalk-pf-1.0-gdpr.xlsx"
GDPR_SHEET = "PF to GDPR"
CALIFORNIA_WORKBOOK = "crosswalk-pf-1.0-ccpa-cpra.xlsx"
ISO_WORKBOOK = "crosswalk-pf-1.0-iso27701.xlsx"
SOURCE_SHEET = "Privacy Framework to Source"

ALL_MINUS_ONE = "all -1 controls"
_CONTROL = re.compile(r"^[A-Z]{2}-\d+(?:\(\d+\))?$")
_MINUS_ONE = re.compile(r"^(?:all )?-1 controls(?: from all security control families)?$", re.I)
_ARTICLE = re.compile(r"^Art\.\s*(?P<ref>[^:]+?)\s*(?::\s*(?P<caption>.*))?$")
_ARTICLE_REF = re.compile(r"^\d+(?:\(\d+\))?(?:\([a-z]\))?$")
_PARAGRAPHS = re.compile(r"^(?P<article>\d+)\((?P<list>\d+(?:[,&-]\d+)+)\)(?P<rest>.*)$")
_SECTION = re.compile(r"^(?:1798\.)?(?P<section>\d{2,3}(?:\.\d+)?)$")
_REGULATION = re.compile(r"^(?:CCPA|CPRA) Regulations\s*§\s*(?P<section>\d+(?:\.\d+)+)$")
_ISO_PREFIX = "ISO/IEC 27701:2019"
_CLAUSE = re.compile(r"^\d+(?:\.\d+)*$")
_WHOLE_CLAUSE = re.compile(r"^All of (?:section |clause )?(?P<clause>\d+(?:\.\d+)*)$", re.I)

log = logging.getLogger(__name__)


def _record(
    pf_id: str, framework: str, target: str, source: str, text: str = "", notes: str = ""
) -> dict[str, str]:
    return {
        "pf_id": pf_id,
        "framework": framework,
        "target_id": target,
        "target_text": text,
        "relationship": "pf-to-target",
        "source": source,
        "notes": notes,
    }


def _frame(records: list[dict[str, str]], order: dict[str, int]) -> pd.DataFrame:
    """Records in PF Core order (stable: NIST's target order kept), first of each pair kept."""
    seen: set[tuple[str, str]] = set()
    rows = []
    for record in sorted(records, key=lambda record: order[record["pf_id"]]):
        key = (record["pf_id"], record["target_id"])
        if key not in seen:
            seen.add(key)
            rows.append(record)
    return pd.DataFrame.from_records(rows, columns=CROSSWALK_COLUMNS).astype(str)


def _pf_rows(
    sheet_rows: list[Row], path: Path, sheet: str, header: str, pf_ids: set[str]
) -> Iterator[tuple[Row, str, str, int]]:
    """(row, pf_id or "", where, first mapping column) for each data row of a sheet whose PF
    Function/Category/Subcategory columns lie left of the column headed ``header``."""
    rows, first = rows_below_header(sheet_rows, header)
    for row in rows:
        where = source_label(path, sheet, row.number)
        own = most_specific_id(row, range(first))
        if own is not None and own[0] not in pf_ids:
            raise cell_error(where, f"{own[0]!r} is not a PF 1.0 Core ID", own[0])
        yield row, own[0] if own else "", where, first


def _require_pf(pf_id: str, where: str, cell: Any) -> None:
    if not pf_id:
        raise cell_error(where, "mapping without a PF Function, Category or Subcategory", cell)


def parse_sp80053_cell(value: Any, where: str) -> list[str]:
    """SP 800-53 control IDs of a cell such as ``"CM-8, CM-12, CM-13, PM-5"``."""
    ids = []
    for part in re.split(r"[,\n]", "" if value is None else str(value)):
        token = clean_text(part)
        compact = re.sub(r"\s+", "", token)
        if not token:
            continue
        if _CONTROL.match(compact):
            ids.append(compact)
        elif _MINUS_ONE.match(token):
            ids.append(ALL_MINUS_ONE)
        else:
            raise cell_error(where, f"cannot parse {token!r} as an SP 800-53 control", value)
    return ids


def convert_sp80053(reference_dir: Path, order: dict[str, int]) -> pd.DataFrame:
    path = Path(reference_dir) / "nist" / SP80053_WORKBOOK
    records = []
    for row, pf_id, where, column in _pf_rows(
        read_rows(path, SP80053_SHEET), path, SP80053_SHEET, "NIST SP 800-53", set(order)
    ):
        for control in parse_sp80053_cell(row.get(column), where):
            _require_pf(pf_id, where, row.get(column))
            records.append(_record(pf_id, "sp800-53r5", control, where))
    return _frame(records, order)


def _expand_paragraphs(listing: str, where: str, line: str) -> list[str]:
    """``"1,3,4&9"`` → 1, 3, 4, 9; ``"3-6"`` → 3, 4, 5, 6."""
    numbers: list[str] = []
    for part in re.split(r"[,&]", listing):
        low, _, high = part.partition("-")
        if high and int(low) >= int(high):
            raise cell_error(where, f"descending paragraph range {part!r}", line)
        numbers.extend(str(n) for n in range(int(low), int(high or low) + 1))
    return numbers


def parse_gdpr_line(line: str, where: str) -> list[tuple[str, str]]:
    """``(target_id, caption)`` pairs of one cell line such as ``"Art. 5(2): Accountability"``."""
    match = _ARTICLE.match(clean_text(line))
    if match is None:
        raise cell_error(where, "cannot parse a GDPR article", line)
    ref = re.sub(r"\s+", "", match["ref"])
    ref = re.sub(r"^(\d+)\)\(", r"\1(", ref)  # "13)(2)(b)": stray parenthesis
    ref = re.sub(r"^(\d+)\.(\d+)$", r"\1(\2)", ref)  # "32.4": paragraph written with a dot
    group = _PARAGRAPHS.match(ref)
    if group:
        paragraphs = _expand_paragraphs(group["list"], where, line)
        refs = [f"{group['article']}({n}){group['rest']}" for n in paragraphs]
    else:
        refs = [ref]
    for one in refs:
        if not _ARTICLE_REF.match(one):
            raise cell_error(where, f"cannot parse GDPR article reference {one!r}", line)
    return [(f"Art. {one}", clean_text(match["caption"])) for one in refs]


def _gdpr_groups(rows: list[Row], articles_row: int, first: int) -> dict[int, str]:
    """Article-group column → "Chapter ... / Section ... / Articles ...". The Chapter cell is
    merged across its columns (text in the first only); Section and Articles are per column."""
    if articles_row < 2:
        raise ValueError(f"GDPR sheet: expected Chapter and Section rows above row {articles_row}")
    groups = {}
    chapter = ""
    chapters, sections, headers = rows[articles_row - 2 : articles_row + 1]
    for column in range(first, max(len(row.cells) for row in (chapters, sections, headers))):
        top = clean_text(chapters.get(column))
        chapter = re.sub(r"^(Chapter [IVXL]+)\s*-\s*", r"\1 - ", top) if top else chapter
        section = clean_text(sections.get(column))
        articles = clean_text(headers.get(column))
        if articles.startswith("Article"):
            groups[column] = " / ".join(part for part in (chapter, section, articles) if part)
    return groups


def convert_gdpr(reference_dir: Path, order: dict[str, int]) -> pd.DataFrame:
    path = Path(reference_dir) / "nist" / GDPR_WORKBOOK
    sheet_rows = read_rows(path, GDPR_SHEET)
    articles_row, first = find_header(sheet_rows, "Article")
    groups = _gdpr_groups(sheet_rows, articles_row, first)
    records = []
    for row, pf_id, where, _ in _pf_rows(sheet_rows, path, GDPR_SHEET, "Article", set(order)):
        if any(clean_text(row.get(column)) == "Limitations" for column in range(first)):
            continue  # footer: a disclaimer beside "Limitations" and a thank-you line
        for column in range(first, len(row.cells)):
            lines = cell_lines(row.get(column))
            if not lines:
                continue
            _require_pf(pf_id, where, row.get(column))
            if column not in groups:
                raise cell_error(
                    where,
                    f"content in column {column + 1} outside the article groups",
                    row.get(column),
                )
            remarks = [line for line in lines if line.startswith("[") and line.endswith("]")]
            targets = [
                pair
                for line in lines
                if line not in remarks
                for pair in parse_gdpr_line(line, where)
            ]
            if not targets:
                raise cell_error(where, "a note without any article", row.get(column))
            notes = "; ".join([groups[column], *remarks])
            records.extend(
                _record(pf_id, "gdpr", art, where, caption, notes) for art, caption in targets
            )
    return _frame(records, order)


def parse_california_cell(value: Any, where: str) -> list[str]:
    """Targets of a CCPA/CPRA Provision cell: ``100`` or ``"100\\n105"`` → ``1798.100``, ...;
    ``"CCPA Regulations § 999.317"`` → ``§ 999.317``."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    targets = []
    for line in cell_lines(value):
        section = _SECTION.match(line)
        regulation = _REGULATION.match(line)
        if section:
            targets.append(f"1798.{section['section']}")
        elif regulation:
            targets.append(f"§ {regulation['section']}")
        else:
            raise cell_error(where, f"cannot parse {line!r} as a CCPA/CPRA provision", value)
    return targets


def convert_california(reference_dir: Path, order: dict[str, int]) -> dict[str, pd.DataFrame]:
    """The ``ccpa`` and ``cpra`` frames from the one sheet (Provision and Notes per law)."""
    path = Path(reference_dir) / "nist" / CALIFORNIA_WORKBOOK
    sheet_rows = read_rows(path, SOURCE_SHEET)
    columns = {
        law: (
            find_header(sheet_rows, f"{law.upper()} Provision")[1],
            find_header(sheet_rows, f"{law.upper()} Notes")[1],
        )
        for law in ("ccpa", "cpra")
    }
    records: dict[str, list[dict[str, str]]] = {"ccpa": [], "cpra": []}
    for row, pf_id, where, _ in _pf_rows(
        sheet_rows, path, SOURCE_SHEET, "CCPA Provision", set(order)
    ):
        for law, (provision, note_column) in columns.items():
            targets = parse_california_cell(row.get(provision), where)
            notes = clean_text(row.get(note_column))
            if not targets:
                if notes:
                    log.info(
                        "%s: %s note without a provision, no row: %s", where, law.upper(), notes
                    )
                continue
            _require_pf(pf_id, where, row.get(provision))
            records[law].extend(
                _record(pf_id, law, target, where, notes=notes) for target in targets
            )
    return {law: _frame(law_records, order) for law, law_records in records.items()}


def parse_iso_cell(value: Any, where: str) -> list[str]:
    """Clause numbers of a cell such as ``"ISO/IEC 27701:2019 7.2.8, 8.2.6"``."""
    text = clean_text(value)
    if not text:
        return []
    if not text.startswith(_ISO_PREFIX):
        raise cell_error(where, f"an ISO/IEC 27701 cell must start with {_ISO_PREFIX!r}", value)
    clauses = []
    for chunk in text.replace(_ISO_PREFIX, " ").split(","):
        chunk = chunk.strip()
        whole = _WHOLE_CLAUSE.match(chunk)
        if whole:
            clauses.append(whole["clause"])
            continue
        for token in chunk.split():
            if not _CLAUSE.match(token):
                raise cell_error(where, f"cannot parse {token!r} as an ISO/IEC 27701 clause", value)
            clauses.append(token)
    return clauses


def convert_iso27701(reference_dir: Path, order: dict[str, int]) -> pd.DataFrame:
    path = Path(reference_dir) / "nist" / ISO_WORKBOOK
    sheet_rows = read_rows(path, SOURCE_SHEET)
    note_column = find_header(sheet_rows, "Notes")[1]
    records = []
    for row, pf_id, where, column in _pf_rows(
        sheet_rows, path, SOURCE_SHEET, "ISO/IEC 27701", set(order)
    ):
        clauses = parse_iso_cell(row.get(column), where)
        notes = clean_text(row.get(note_column))
        if notes and not clauses:
            raise cell_error(where, "a note without any clause", notes)
        if clauses:
            _require_pf(pf_id, where, row.get(column))
        records.extend(_record(pf_id, "iso27701", clause, where, notes=notes) for clause in clauses)
    return _frame(records, order)


def convert_crosswalks(reference_dir: Path, core: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every crosswalk of the PF 1.0 ``core`` (``convert_core``'s frame) found in
    ``reference_dir/nist``, keyed ``csf-1.1, csf-2.0, sp800-53r5, gdpr, ccpa, cpra, iso27701``."""
    reference_dir = Path(reference_dir)
    order = {id_: position for position, id_ in enumerate(core["id"])}
    csf11 = _frame(csf11_records(reference_dir, set(order)), order)
    csf20 = _frame(csf20_records(reference_dir, csf11.to_dict("records")), order)
    california = convert_california(reference_dir, order)
    return {
        "csf-1.1": csf11,
        "csf-2.0": csf20,
        "sp800-53r5": convert_sp80053(reference_dir, order),
        "gdpr": convert_gdpr(reference_dir, order),
        "ccpa": california["ccpa"],
        "cpra": california["cpra"],
        "iso27701": convert_iso27701(reference_dir, order),
    }
