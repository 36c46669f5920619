"""PF 1.0 ↔ Cybersecurity Framework 1.1 (NIST's crosswalk, both sheets) and PF 1.0 → CSF 2.0
(derived). ``nistpf.convert.crosswalks`` turns the records built here into frames.

**csf-1.1.** Each sheet of ``crosswalk-pf-1.0-csf-1.1.xlsx`` pairs one row's own ID (the rightmost
Function/Category/Subcategory cell holding an ID) with every "ID: text" line of the mapping
column. A pair found in both sheets is ``bidirectional`` (source: both rows, PF→CSF first); one
found only in "Privacy Framework to CSF" is ``pf-to-target``, only in "Cybersecurity Framework to
PF" ``target-to-pf``. ``target_text`` is the CSF 1.1 text as the PF→CSF sheet gives it (the
CSF→PF sheet's text for ``target-to-pf`` pairs). In the published workbook all 64 pairs are
bidirectional.

**csf-2.0 (derived; NIST publishes no PF → CSF 2.0 crosswalk).** The CSF 2.0 Reference Tool export
states what became of each CSF 1.1 Subcategory (IDs written with two digits there, ID.AM-6 =
ID.AM-06):

* withdrawn: its own row reads ``"ID.AM-06: [Withdrawn: Incorporated into GV.RR-02, GV.SC-02]"``
  ("Moved to"/"Moved into" likewise); it maps to every CSF 2.0 ID listed, Category IDs included
  (ID.GV-1 → GV.PO, GV.PO-01, GV.PO-02), in NIST's order, and ``notes`` keeps NIST's statement;
* not withdrawn: it lives on as the CSF 2.0 Subcategory with the same ID (ID.AM-1 → ID.AM-01);
  that row must cite it ("CSF v1.1: ID.AM-1" among its informative references), else the
  converter raises. It maps to that Subcategory only.

Every PF → CSF 1.1 pair of the csf-1.1 frame (any relationship), in that frame's order, is chained
through this mapping. ``source`` names the CSF 1.1 ID and the export row that carried the step
(the withdrawn row, or the surviving Subcategory's row); a PF ID reaching one CSF 2.0 ID by
several CSF 1.1 paths keeps the first. Other CSF 2.0 rows that merely list a CSF 1.1 ID among
their informative references are not used. The two sources agree except for ID.GV-4 ("Moved to
GV.RM-04", yet cited by GV.RM-03, not GV.RM-04) and five Subcategories PF does not map to
(DE.AE-3, RC.RP-1, RS.AN-3, RS.CO-2, RS.CO-3, each also cited by a second CSF 2.0 Subcategory).
The rows that close each Function's outline group in the export ("GOVERN (GV)" alone) are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from nistpf.convert.workbook import (
    cell_lines,
    clean_text,
    find_header,
    most_specific_id,
    read_rows,
    rows_below_header,
    source_label,
    split_id_text,
)

CSF11_WORKBOOK = "crosswalk-pf-1.0-csf-1.1.xlsx"
PF_TO_CSF_SHEET = "Privacy Framework to CSF"
CSF_TO_PF_SHEET = "Cybersecurity Framework to PF"
CSF20_WORKBOOK = "csf-2.0-reference-tool-export.xlsx"
CSF20_SHEET = "CSF 2.0"

_CSF11_ID = re.compile(r"^[A-Z]{2}\.[A-Z]{2}-\d+$")
_CSF20_ID = re.compile(r"^[A-Z]{2}(?:\.[A-Z]{2}(?:-\d{2})?)?$")
_WITHDRAWN = re.compile(
    r"^\[(?P<note>Withdrawn: (?:Incorporated into|Moved to|Moved into) (?P<ids>.+))\]$"
)
_CSF11_REFERENCE = "CSF v1.1:"


@dataclass(frozen=True)
class Pair:
    """One PF ↔ CSF 1.1 pair from one sheet row."""

    pf_id: str
    csf_id: str
    csf_text: str
    source: str


@dataclass(frozen=True)
class Csf20Entry:
    """A CSF 2.0 export row: a live Function/Category/Subcategory, or a withdrawn CSF 1.1 one."""

    id: str
    text: str
    row: int
    withdrawn: str  # NIST's statement without brackets, "" for a live entry
    targets: tuple[str, ...]  # CSF 2.0 IDs a withdrawn Subcategory went to
    csf11_refs: tuple[str, ...]  # "CSF v1.1: X" informative references of a live entry


def cell_error(where: str, what: str, cell: object) -> ValueError:
    """The error for content that cannot be parsed: where (file:sheet:row n), what, the cell."""
    return ValueError(f"{where}: {what} in cell {clean_text(cell)!r}")


def sheet_pairs(
    path: Path, sheet: str, header: str, pf_on_left: bool, pf_ids: set[str]
) -> list[Pair]:
    """Every (row ID, mapped ID) pair of one crosswalk sheet. ``pf_on_left``: the row's own ID is
    the PF ID (PF→CSF sheet); otherwise it is the CSF 1.1 ID (CSF→PF sheet)."""
    pairs = []
    rows, mapped = rows_below_header(read_rows(path, sheet), header)
    for row in rows:
        lines = cell_lines(row.get(mapped))
        if not lines:
            continue
        where = source_label(path, sheet, row.number)
        own = most_specific_id(row, range(mapped))
        if own is None:
            raise cell_error(
                where, "mapping without a Function, Category or Subcategory", row.get(mapped)
            )
        for line in lines:
            parsed = split_id_text(line)
            if parsed is None:
                raise cell_error(where, f"no 'ID: text' in line {line!r}", row.get(mapped))
            pf, csf = (own, parsed) if pf_on_left else (parsed, own)
            if pf[0] not in pf_ids:
                raise cell_error(where, f"{pf[0]!r} is not a PF 1.0 Core ID", row.get(mapped))
            if not _CSF11_ID.match(csf[0]):
                raise cell_error(
                    where, f"{csf[0]!r} is not a CSF 1.1 Subcategory ID", row.get(mapped)
                )
            pairs.append(Pair(pf[0], csf[0], csf[2], where))
    return pairs


def merge_directions(forward: list[Pair], backward: list[Pair]) -> list[dict[str, str]]:
    """csf-1.1 records from the PF→CSF pairs (``forward``) and the CSF→PF pairs (``backward``):
    forward pairs in their order, then pairs found only backward, each pair once."""
    back: dict[tuple[str, str], Pair] = {}
    for pair in backward:
        back.setdefault((pair.pf_id, pair.csf_id), pair)
    records: dict[tuple[str, str], dict[str, str]] = {}
    for pair in forward:
        key = (pair.pf_id, pair.csf_id)
        if key in records:
            continue
        other = back.get(key)
        records[key] = _record(
            pair,
            "bidirectional" if other else "pf-to-target",
            f"{pair.source} | {other.source}" if other else pair.source,
            pair.csf_text or (other.csf_text if other else ""),
        )
    for key, pair in back.items():
        if key not in records:
            records[key] = _record(pair, "target-to-pf", pair.source, pair.csf_text)
    return list(records.values())


def _record(pair: Pair, relationship: str, source: str, text: str) -> dict[str, str]:
    return {
        "pf_id": pair.pf_id,
        "framework": "csf-1.1",
        "target_id": pair.csf_id,
        "target_text": text,
        "relationship": relationship,
        "source": source,
        "notes": "",
    }


def csf11_records(reference_dir: Path, pf_ids: set[str]) -> list[dict[str, str]]:
    """The csf-1.1 records, before ordering by the PF Core (the caller does that)."""
    path = Path(reference_dir) / "nist" / CSF11_WORKBOOK
    forward = sheet_pairs(
        path, PF_TO_CSF_SHEET, "Cybersecurity Framework Subcategory", True, pf_ids
    )
    backward = sheet_pairs(
        path, CSF_TO_PF_SHEET, "NIST Privacy Framework Subcategory", False, pf_ids
    )
    return merge_directions(forward, backward)


def read_csf20(path: Path) -> dict[str, Csf20Entry]:
    """Every Function, Category and Subcategory row of the export's "CSF 2.0" sheet by ID,
    withdrawn CSF 1.1 ones included (their IDs never collide with live ones)."""
    rows = read_rows(path, CSF20_SHEET)
    position, references = find_header(rows, "Informative References")
    entries: dict[str, Csf20Entry] = {}
    for row in rows[position + 1 :]:
        where = source_label(path, CSF20_SHEET, row.number)
        own = most_specific_id(row, range(3))
        if own is None:
            raise cell_error(where, "no Function, Category or Subcategory ID", row.get(0))
        id_, _, text = own
        if id_ in entries and not text and len(cell_lines(row.get(references))) == 0:
            continue  # "GOVERN (GV)" alone closes each Function's collapsible outline group
        if id_ in entries:
            raise cell_error(where, f"{id_} appears twice", text)
        targets: tuple[str, ...] = ()
        note = ""
        if text.startswith("[Withdrawn"):
            match = _WITHDRAWN.match(text)
            if match is None:
                raise cell_error(where, "unrecognised withdrawal statement", text)
            note = match["note"]
            if re.search(r"-\d+$", id_):  # only Subcategories are chained; Categories may be vague
                targets = tuple(part.strip() for part in match["ids"].split(","))
                if not all(_CSF20_ID.match(target) for target in targets):
                    raise cell_error(where, "unparseable CSF 2.0 IDs", text)
        refs = tuple(
            line[len(_CSF11_REFERENCE) :].strip()
            for line in cell_lines(row.get(references))
            if line.startswith(_CSF11_REFERENCE)
        )
        entries[id_] = Csf20Entry(id_, text, row.number, note, targets, refs)
    return entries


def csf20_id(csf11_id: str) -> str:
    """A CSF 1.1 Subcategory ID as CSF 2.0 writes it: ``ID.AM-1`` → ``ID.AM-01``."""
    stem, _, number = csf11_id.rpartition("-")
    return f"{stem}-{int(number):02d}"


def csf11_to_csf20(
    csf11_id: str, entries: dict[str, Csf20Entry], path: Path
) -> list[tuple[str, Csf20Entry]]:
    """The CSF 2.0 IDs a CSF 1.1 Subcategory maps to, each with the export entry that says so."""
    entry = entries.get(csf20_id(csf11_id))
    if entry is not None and entry.withdrawn:
        steps = [(target, entry) for target in entry.targets]
    elif entry is not None and csf11_id in entry.csf11_refs:
        steps = [(entry.id, entry)]
    else:
        raise ValueError(
            f"{path.name}:{CSF20_SHEET}: CSF 1.1 {csf11_id} is neither withdrawn nor carried into "
            f"CSF 2.0 as a Subcategory citing it"
        )
    for target, step in steps:
        if target not in entries or entries[target].withdrawn:
            raise ValueError(
                f"{source_label(path, CSF20_SHEET, step.row)}: {target} is not a CSF 2.0 ID"
            )
    return steps


def csf20_records(reference_dir: Path, csf11: list[dict[str, str]]) -> list[dict[str, str]]:
    """The derived csf-2.0 records, chaining each csf-1.1 record (in the given order)."""
    path = Path(reference_dir) / "nist" / CSF20_WORKBOOK
    entries = read_csf20(path)
    records: dict[tuple[str, str], dict[str, str]] = {}
    for link in csf11:
        for target, step in csf11_to_csf20(link["target_id"], entries, path):
            key = (link["pf_id"], target)
            if key in records:
                continue
            records[key] = {
                "pf_id": link["pf_id"],
                "framework": "csf-2.0",
                "target_id": target,
                "target_text": entries[target].text,
                "relationship": "derived",
                "source": f"derived via csf-1.1 {link['target_id']}; "
                f"{source_label(path, CSF20_SHEET, step.row)}",
                "notes": step.withdrawn,
            }
    return list(records.values())
