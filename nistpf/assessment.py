"""The result of an assessment, what explains each number, and comparisons over time.

An :class:`Assessment` is immutable: its tables are returned as copies, and every output (the
register, the charts, the deck) reads its numbers from here, so they always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pandas as pd

from nistpf.framework import Framework
from nistpf.inventory.model import Inventory
from nistpf.scales import Scale

SUBCATEGORY_COLUMNS = [
    "subcategory",
    "function",
    "category",
    "text",
    "in_profile",
    "target",
    "priority",
    "current",
    "derived",
    "assessor",
    "source",
    "coverage",
    "gap",
    "gap_points",
    "systems_in_scope",
    "systems_covered",
    "controls",
    "findings",
    "disagreement",
]
LEVEL_COLUMNS = ["subcategory", "system", "level", "control", "capped_by", "source"]
ROLLUP_COLUMNS = ["current", "target", "gap", "coverage"]
SYSTEM_VIEW_COLUMNS = ["system", "name", "type", "function", "level"]
TIER_VIEW_COLUMNS = ["attribute", "tier", "tier_name", "evidence", "definition"]


class Overall(NamedTuple):
    """The organisation's scores: means over the in-profile Subcategories."""

    current: float
    target: float
    gap: float
    coverage: float


def _frozen(name: str):
    """A read-only property returning a copy of the private table ``_<name>``."""

    def get(self: Assessment) -> pd.DataFrame:
        return getattr(self, f"_{name}").copy()

    get.__name__ = name
    return property(get)


@dataclass(frozen=True, eq=False)
class Assessment:
    """Scores of every PF Subcategory on every in-scope system of an inventory.

    Tables (copies; see the README's "Scoring" section for every formula):

    - ``subcategories``: one row per Subcategory of the framework — ``subcategory, function,
      category, text, in_profile, target, priority, current, derived, assessor, source,
      coverage, gap, gap_points, systems_in_scope, systems_covered, controls, findings,
      disagreement``;
    - ``levels``: ``subcategory, system, level, control, capped_by, source`` for every
      in-profile Subcategory × in-scope system;
    - ``categories`` / ``functions``: ``category|function, current, target, gap, coverage``;
    - ``systems``: ``system, name, type, function, level`` (mean level per system and Function);
    - ``findings``: ``finding_id, rule, flow_id, subcategory, systems, severity, cap, message``;
    - ``tiers``: the organisation's Implementation Tiers, apart from Subcategory scores;
    - ``overall``: current, target, gap and coverage of the organisation.
    """

    inventory: Inventory
    framework: Framework
    scale: Scale
    defaults: dict[str, Any]
    _subcategories: pd.DataFrame = field(repr=False)
    _levels: pd.DataFrame = field(repr=False)
    _categories: pd.DataFrame = field(repr=False)
    _functions: pd.DataFrame = field(repr=False)
    _systems: pd.DataFrame = field(repr=False)
    _findings: pd.DataFrame = field(repr=False)
    _tiers: pd.DataFrame = field(repr=False)
    _overall: Overall = field(repr=False)

    subcategories = _frozen("subcategories")
    levels = _frozen("levels")
    categories = _frozen("categories")
    functions = _frozen("functions")
    systems = _frozen("systems")
    findings = _frozen("findings")
    tiers = _frozen("tiers")

    @property
    def overall(self) -> Overall:
        return self._overall

    def __repr__(self) -> str:
        o = self._overall
        return (
            f"<Assessment of {self.inventory.source}: current {o.current:.2f}, target "
            f"{o.target:.2f}, gap {o.gap:.2f} on the {self.scale.name} scale; "
            f"{len(self._findings)} findings>"
        )

    def explain(self, subcategory: str) -> Explanation:
        """What produced the numbers of one Subcategory: its controls, the systems covered and
        not, the findings, the assessor's ratings and the arithmetic."""
        from nistpf.scoring import explain

        return explain(self, subcategory)


@dataclass(frozen=True)
class Explanation:
    """Why a Subcategory scores what it does. ``str()`` reads as a paragraph a consultant can
    paste; the tables hold the detail."""

    subcategory: str
    text: str
    in_profile: bool
    target: float | None
    priority: str
    current: float
    derived: float
    assessor: float | None
    source: str
    coverage: float
    gap: float | None
    scale: Scale
    controls: pd.DataFrame = field(repr=False)
    systems: pd.DataFrame = field(repr=False)
    findings: pd.DataFrame = field(repr=False)
    arithmetic: str = ""
    notes: tuple[str, ...] = ()

    @property
    def systems_covered(self) -> list[str]:
        return list(self.systems.loc[self.systems["coverage"] > 0, "system"])

    @property
    def systems_not_covered(self) -> list[str]:
        return list(self.systems.loc[self.systems["coverage"] == 0, "system"])

    def __str__(self) -> str:
        label = self.scale.label
        lines = [f"{self.subcategory}: {self.text}"]
        if self.in_profile:
            lines.append(
                f"current {self.current:.2f} ({label(self.current)}, {self.source}); "
                f"target {self.target:g} ({self.priority} priority); gap {self.gap:.2f}; "
                f"coverage {self.coverage:.0%}"
            )
        else:
            lines.append(f"not in the Target Profile; derived level {self.derived:.2f}")
        lines.append(f"derived = {self.arithmetic}")
        if self.assessor is not None:
            lines.append(f"the assessor rated it {self.assessor:g} for the organisation")
        if len(self.controls):
            lines.append("controls:")
            for row in self.controls.itertuples(index=False):
                lines.append(
                    f"  {row.control_id} {row.name} — {row.status}, level {row.level:g}, "
                    f"applies to {row.applies_to}"
                )
        else:
            lines.append("no control is mapped to it")
        covered, missing = self.systems_covered, self.systems_not_covered
        lines.append(f"systems covered: {', '.join(covered) if covered else 'none'}")
        lines.append(f"systems not covered: {', '.join(missing) if missing else 'none'}")
        for row in self.findings.itertuples(index=False):
            lines.append(f"finding {row.finding_id} (cap {row.cap:g}): {row.message}")
        lines.extend(self.notes)
        return "\n".join(lines)


def compare(baseline: Assessment, current: Assessment) -> pd.DataFrame:
    """Per-Subcategory, per-Function and overall deltas between two assessments: ``level``
    (subcategory | function | overall), ``id``, ``baseline``, ``current``, ``delta``,
    ``baseline_gap``, ``gap``, ``gap_delta``, ``baseline_target``, ``target``. A Subcategory
    in only one of the two has blanks on the other side."""
    parts = []
    for level, table, key in (
        ("subcategory", "subcategories", "subcategory"),
        ("function", "functions", "function"),
    ):
        before = getattr(baseline, table)
        after = getattr(current, table)
        if level == "subcategory":
            before = before[before["in_profile"]]
            after = after[after["in_profile"]]
        merged = before[[key, "current", "gap", "target"]].merge(
            after[[key, "current", "gap", "target"]],
            on=key,
            how="outer",
            suffixes=("_baseline", "_current"),
            sort=False,
        )
        merged.insert(0, "level", level)
        parts.append(merged.rename(columns={key: "id"}))
    overall = pd.DataFrame(
        {
            "level": ["overall"],
            "id": ["overall"],
            "current_baseline": [baseline.overall.current],
            "gap_baseline": [baseline.overall.gap],
            "target_baseline": [baseline.overall.target],
            "current_current": [current.overall.current],
            "gap_current": [current.overall.gap],
            "target_current": [current.overall.target],
        }
    )
    table = pd.concat([*parts, overall], ignore_index=True)
    result = pd.DataFrame(
        {
            "level": table["level"],
            "id": table["id"],
            "baseline": table["current_baseline"].astype(float),
            "current": table["current_current"].astype(float),
            "baseline_gap": table["gap_baseline"].astype(float),
            "gap": table["gap_current"].astype(float),
            "baseline_target": table["target_baseline"].astype(float),
            "target": table["target_current"].astype(float),
        }
    )
    result.insert(4, "delta", result["current"] - result["baseline"])
    result.insert(7, "gap_delta", result["gap"] - result["baseline_gap"])
    return result
