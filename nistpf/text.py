"""Text for the terminal: summaries of the framework, an inventory and an assessment, the Core
as a tree, one element, a crosswalk. Every number comes from the library's objects; nothing here
computes a score."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Sequence

import pandas as pd

import nistpf
from nistpf.assessment import largest_gap_phrase
from nistpf.framework import Framework
from nistpf.numbers import fixed, percent


def inventory_summary(inventory: nistpf.Inventory) -> str:
    """What was loaded: the client, the counts, and the warnings a consultant should read."""
    client = inventory.about_value("client", inventory.source)
    systems = inventory.systems
    in_scope = int(systems["in_scope"].fillna(True).sum())
    lines = [
        f"{client} ({inventory.source}): {len(systems)} systems ({in_scope} in scope), "
        f"{len(inventory.controls)} controls, {len(inventory.control_subcategories)} control × "
        f"Subcategory mappings, {len(inventory.flows)} data flows",
    ]
    for row in inventory.warnings.itertuples(index=False):
        where = f"{row.sheet} row {row.excel_row}" if not pd.isna(row.excel_row) else row.sheet
        lines.append(f"  warning ({where}): {row.problem}")
    return "\n".join(lines)


def assessment_summary(assessment: nistpf.Assessment, top: int = 5) -> str:
    """One screen of results: overall and per-Function scores, the largest gaps, the findings
    and the Tiers — every number read from the Assessment."""
    scale, overall = assessment.scale, assessment.overall
    functions = assessment.framework.functions
    names = dict(zip(functions["id"], functions["name"], strict=True))
    scored = overall.current == overall.current  # NaN when nothing is rolled up
    lines = [
        f"Overall: current {fixed(overall.current)} ({scale.label(overall.current)}), target "
        f"{fixed(overall.target)}, gap {fixed(overall.gap)}, coverage {percent(overall.coverage)}"
        if scored
        else "Overall: not scored: no outcome in the Target Profile has evidence yet",
        f"Evidence: {assessment.completeness.sentence}",
        f"({scale.name} scale: {scale.describe()})",
        "",
        f"  {'Function':<20}{'current':>8}{'target':>8}{'gap':>7}{'coverage':>10}",
    ]
    for row in assessment.functions.itertuples(index=False):
        label = f"{row.function} {names[row.function]}"
        lines.append(
            f"  {label:<20}{fixed(row.current):>8}{fixed(row.target):>8}{fixed(row.gap):>7}"
            f"{percent(row.coverage):>10}"
        )
    gaps = assessment.ranked_gaps(n=top)
    lines += ["", f"Largest gaps (gap × priority weight), top {top}:"]
    tied = int((assessment.ranked_gaps()["rank"] == 1).sum())
    if tied > 1:  # never let the list's order single one of them out
        shown = "" if tied <= top else f"; the first {top} in the framework's order"
        lines.append(f"  ({largest_gap_phrase(assessment)}{shown})")
    for row in gaps.itertuples(index=False):
        detail = (
            f"current {fixed(row.current)}, target {fixed(row.target)} ({row.priority}): {row.text}"
        )
        lines.append(wrap(f"  {row.subcategory:<10}{fixed(row.gap_points):>6}  ", detail, 0))
    findings = assessment.findings
    by_severity = findings["severity"].value_counts()
    counts = ", ".join(
        f"{by_severity[s]} {s}" for s in ("High", "Medium", "Low") if s in by_severity
    )
    lines += ["", f"Data-flow findings: {len(findings)} ({counts or 'none'})"]
    tiers = assessment.tiers
    if len(tiers):
        rated = "; ".join(f"{r.attribute} {r.tier} {r.tier_name}" for r in tiers.itertuples())
        lines += ["", wrap("Implementation Tiers: ", rated, 0)]
    return "\n".join(lines)


def framework_summary(fw: Framework) -> str:
    """A one-screen description of a framework version: counts, Functions, Tiers, crosswalks."""
    counts = fw.manifest["counts"]
    lines = [
        fw.title,
        f"Privacy Framework {fw.version}: {counts['function']} Functions, "
        f"{counts['category']} Categories, {counts['subcategory']} Subcategories",
        "",
        "Functions:",
    ]
    for function in fw.functions.itertuples(index=False):
        count = int((fw.subcategories["function"] == function.id).sum())
        lines.append(f"  {function.id:<5} {function.name:<14} {count:>3} Subcategories")
    tiers = fw.tiers.drop_duplicates("tier")
    lines += [
        "",
        "Implementation Tiers: " + ", ".join(f"{t.tier} {t.tier_name}" for t in tiers.itertuples()),
    ]
    lines += ["", "Crosswalks:"]
    for name in fw.crosswalks():
        rows = len(fw.crosswalk(name))
        lines.append(f"  {name:<11} {rows:>5} mappings  {fw.crosswalk_title(name)}")
    return "\n".join(lines)


# -- template --------------------------------------------------------------------------------


def _width() -> int:
    return max(60, min(shutil.get_terminal_size((100, 24)).columns, 120))


def wrap(label: str, text: str, indent: int, hang: int | None = None) -> str:
    """``label`` then ``text`` wrapped to the terminal; continuation lines are indented by
    ``hang`` columns past ``indent`` (default: the width of the label)."""
    return textwrap.fill(
        text,
        width=_width(),
        initial_indent=" " * indent + label,
        subsequent_indent=" " * (indent + (len(label) if hang is None else hang)),
        break_on_hyphens=False,
    )


def _targets(ids: Sequence[str]) -> str:
    """Targets joined for wrapping: a target such as "Art. 32(2)" is never split over two lines."""
    return ", ".join(target.replace(" ", "\xa0") for target in ids)


def _label(row: pd.Series | object) -> str:
    name = getattr(row, "name", "")
    return f"{row.id}  {name}: " if name else f"{row.id}  "  # type: ignore[attr-defined]


def _hang(row: pd.Series | object) -> int:
    return len(row.id) + 2  # type: ignore[attr-defined]


def framework_tree(fw: Framework, table: pd.DataFrame) -> str:
    """The rows of ``table`` as an indented tree, with the ancestors of each row shown once."""
    core = fw.core
    keep = set(table["id"]) | set(table["function"]) | set(table["category"])
    indent = {"function": 0, "category": 2, "subcategory": 4}
    lines = [f"NIST Privacy Framework {fw.version}"]
    for row in core[core["id"].isin(keep)].itertuples(index=False):
        lines.append(wrap(_label(row), row.text, indent[row.level], _hang(row)))
    return "\n".join(lines)


def element_text(fw: Framework, id_: str) -> str:
    element = fw.get(id_)
    lines = [wrap(_label(element), element.text, 0, _hang(element))]
    ancestry = [a for a in (element.function, element.category) if a and a != element.id]
    for ancestor in ancestry:
        parent = fw.get(ancestor)
        lines.append(f"  in {parent.id} {parent.name}")
    children = fw.children(element.id)
    if len(children):
        lines += [
            "",
            f"{len(children)} {'Categories' if element.level == 'function' else 'Subcategories'}:",
        ]
        lines += [
            wrap(_label(row), row.text, 2, _hang(row)) for row in children.itertuples(index=False)
        ]
    if element.references:
        lines += ["", "Crosswalk references:"]
        for name, refs in element.references.items():
            lines.append(wrap(f"{name}: ", _targets([r.target_id for r in refs]), 2))
    return "\n".join(lines).replace("\xa0", " ")


def crosswalk_text(fw: Framework, name: str, table: pd.DataFrame) -> str:
    title = fw.crosswalk_title(name)
    lines = [f"{title} — Privacy Framework {fw.version} crosswalk, {len(table)} mappings"]
    for pf_id, group in table.groupby("pf_id", sort=False):
        lines.append(wrap(f"{pf_id:<10} ", _targets(group["target_id"]), 0))
    return "\n".join(lines).replace("\xa0", " ")
