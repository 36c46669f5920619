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
from nistpf.numbers import exact, fixed, percent, rounded
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
# What the engine records per Subcategory × in-scope system, for every Subcategory (explain
# reads it): the level columns, the level before the findings' caps, c(s, y) and the weight w_y.
DETAIL_COLUMNS = [*LEVEL_COLUMNS, "uncapped", "coverage", "weight"]
# Per control that is not Not applicable: the level it counts at and its c value.
CONTROL_LEVEL_COLUMNS = ["control_id", "level", "coverage"]
ROLLUP_COLUMNS = ["current", "target", "gap", "coverage"]
SYSTEM_VIEW_COLUMNS = ["system", "name", "type", "function", "level"]
TIER_VIEW_COLUMNS = ["attribute", "tier", "tier_name", "evidence", "definition"]


class Completeness(NamedTuple):
    """How much of the Target Profile the assessment has evidence for: ``evidenced`` of the
    ``outcomes`` in-profile Subcategories have a mapped control that applies to an in-scope
    system or an assessor's rating (the others have source ``no evidence``)."""

    evidenced: int
    outcomes: int
    excluded: bool = False  # True when the roll-ups leave the outcomes without evidence out

    @property
    def missing(self) -> int:
        return self.outcomes - self.evidenced

    def __str__(self) -> str:
        noun = "outcome has" if self.outcomes == 1 else "outcomes have"
        return f"{self.evidenced} of {self.outcomes} {noun} evidence"

    @property
    def sentence(self) -> str:
        """``str(self)`` and what the roll-ups do with the rest: "90 of 99 outcomes have
        evidence; the 9 without score 0 in the roll-ups"."""
        if not self.missing:
            return str(self)
        treated = "are left out of" if self.excluded else "score 0 in"
        return f"{self}; the {self.missing} without {treated} the roll-ups"


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
    _levels: pd.DataFrame = field(repr=False)  # DETAIL_COLUMNS, every Subcategory
    _categories: pd.DataFrame = field(repr=False)
    _functions: pd.DataFrame = field(repr=False)
    _systems: pd.DataFrame = field(repr=False)
    _findings: pd.DataFrame = field(repr=False)
    _tiers: pd.DataFrame = field(repr=False)
    _overall: Overall = field(repr=False)
    _control_levels: pd.DataFrame = field(repr=False)  # CONTROL_LEVEL_COLUMNS

    subcategories = _frozen("subcategories")
    categories = _frozen("categories")
    functions = _frozen("functions")
    systems = _frozen("systems")
    findings = _frozen("findings")
    tiers = _frozen("tiers")

    @property
    def levels(self) -> pd.DataFrame:
        """``subcategory, system, level, control, capped_by, source`` for every in-profile
        Subcategory × in-scope system (a copy), in the framework's order, systems in the
        inventory's order."""
        subs = self._subcategories
        in_profile = subs.loc[subs["in_profile"], "subcategory"]
        table = self._levels[self._levels["subcategory"].isin(in_profile)]
        return table[LEVEL_COLUMNS].reset_index(drop=True)

    @property
    def overall(self) -> Overall:
        return self._overall

    @property
    def completeness(self) -> Completeness:
        """How many in-profile Subcategories have evidence (see :class:`Completeness`); shown
        wherever the overall score is, e.g. "43 of 100 outcomes have evidence"."""
        subs = self._subcategories[self._subcategories["in_profile"]]
        return Completeness(
            int((subs["source"] != "no evidence").sum()),
            len(subs),
            self.defaults.get("no_evidence") == "exclude",
        )

    @property
    def no_evidence(self) -> pd.DataFrame:
        """The in-profile Subcategories with no evidence (rows of :attr:`subcategories`, in the
        framework's order): the ones to rate first."""
        subs = self.subcategories
        return subs[subs["in_profile"] & (subs["source"] == "no evidence")].reset_index(drop=True)

    def ranked_gaps(self, n: int | None = None, *, findings: bool = False) -> pd.DataFrame:
        """The in-profile Subcategories below target, as rows of :attr:`subcategories` with a
        ``rank`` column, in the one order every output uses: gap points (highest first), then
        the gap in levels (largest first), then the framework's order. Outcomes that tie on
        gap points and gap share a ``rank`` (1 for the largest), so a title can say that
        several outcomes share the largest gap instead of naming one of them. ``findings``
        also lists in-profile Subcategories with no gap but a data-flow finding (the Gap
        Register's rows, which include the outcomes without evidence whatever the
        ``no_evidence`` setting); ``n`` keeps the first ``n`` rows. With ``no_evidence =
        exclude`` and ``findings`` False, outcomes without evidence are not ranked.

        >>> import nistpf
        >>> a = nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))
        >>> list(a.ranked_gaps(n=2)["subcategory"])
        ['PR.DS-P3', 'PR.DS-P7']
        """
        if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 1):
            raise ValueError(f"n must be a positive whole number, not {n!r}")
        table = self._subcategories.copy()
        table["order"] = range(len(table))
        listed = table["gap"] > 0
        if findings:
            # The Gap Register's worklist: every gap, those without evidence too, so that no
            # row the client has worked on ever drops out of it.
            listed |= table["findings"].map(len) > 0
        elif self.defaults.get("no_evidence") == "exclude":
            # Left out of the roll-ups, so not in the leadership ranking either.
            listed &= table["source"] != "no evidence"
        table = table[table["in_profile"] & listed]
        # Ranked by the figures as every output shows them (two decimals, nistpf.numbers):
        # gaps that read the same are a tie, kept in the framework's order.
        table = table.assign(
            _points=table["gap_points"].map(rounded), _gap=table["gap"].map(rounded)
        )
        table = table.sort_values(
            ["_points", "_gap", "order"], ascending=[False, False, True], kind="stable"
        )
        key = list(zip(table["_points"], table["_gap"], strict=True))
        ranks, previous, rank = [], None, 0
        for position, value in enumerate(key, start=1):
            if value != previous:
                rank, previous = position, value
            ranks.append(rank)
        table["rank"] = ranks
        table = table.drop(columns=["order", "_points", "_gap"]).reset_index(drop=True)
        return table if n is None else table.head(n)

    def __repr__(self) -> str:
        o = self._overall
        return (
            f"<Assessment of {self.inventory.source}: current {fixed(o.current)}, target "
            f"{fixed(o.target)}, gap {fixed(o.gap)} on the {self.scale.name} scale; "
            f"{len(self._findings)} findings>"
        )

    def explain(self, subcategory: str) -> Explanation:
        """What produced the numbers of one Subcategory (any ID spelling
        :meth:`nistpf.Framework.get` reads): its controls, the systems covered and not, the
        findings, the assessor's ratings and the arithmetic — read from what the engine
        recorded in this Assessment, never scored again, so they are this Assessment's figures.

        Raises :class:`nistpf.UnknownIdError` for text that is no framework ID,
        :class:`nistpf.scoring.NotASubcategoryError` (a ValueError) for a Function or Category
        ID."""
        from nistpf.scoring import explain

        return explain(self, subcategory)


@dataclass(frozen=True)
class Explanation:
    """Why a Subcategory scores what it does. ``str()`` reads as a paragraph a consultant can
    paste; the tables hold the detail:

    - ``controls``: ``control_id, name, status, maturity, level, applies_to`` — the controls
      mapped to it and the level each counts at (0 for a Not applicable one);
    - ``systems``: ``system, name, weight, level, uncapped, control, coverage, capped_by,
      source`` — per in-scope system, its weight w, level(s, y) after and before the
      findings' caps, the control (or ``assessor``) that gave it, c(s, y), the findings that
      lowered it and the level's source;
    - ``findings``: the rows of :attr:`Assessment.findings` on it.

    The other fields are its row of :attr:`Assessment.subcategories`."""

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
        if self.source == "no evidence":
            lines.append(
                "no evidence: no control mapped to it applies to a system in scope and no "
                "assessor has rated it, so it scores 0 without anything showing it is not "
                "performed; rate it"
            )
        if self.in_profile:
            lines.append(
                f"current {fixed(self.current)} ({label(self.current)}, {self.source}); "
                f"target {exact(self.target)} ({self.priority} priority); gap {fixed(self.gap)}; "
                f"coverage {percent(self.coverage)}"
            )
        else:
            lines.append(f"not in the Target Profile; derived level {fixed(self.derived)}")
        lines.append(f"derived = {self.arithmetic}")
        if self.assessor is not None:
            lines.append(f"the assessor rated it {exact(self.assessor)} for the organisation")
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
        for row in self.systems.itertuples(index=False):
            if row.source == "assessor":
                rated = f"{row.system}: rated {row.uncapped:g} by the assessor"
                if row.capped_by:
                    rated += f", capped at {row.level:g} by {row.capped_by}"
                lines.append(rated)
            elif row.capped_by:
                lines.append(
                    f"{row.system}: level {row.uncapped:g} from {row.control}, capped at "
                    f"{row.level:g} by {row.capped_by}"
                )
        for row in self.findings.itertuples(index=False):
            lines.append(f"finding {row.finding_id} (cap {row.cap:g}): {row.message}")
        lines.extend(self.notes)
        return "\n".join(lines)


def leaders(values: pd.Series, *, largest: bool = True) -> list:
    """The index labels of ``values`` that share its largest (or smallest) value, shown to two
    decimals, in their order: one, or every one of a tie — never one of them chosen by the
    order of the rows. Missing values are left out."""
    shown = values.dropna().astype(float).round(2)
    if shown.empty:
        return []
    best = shown.max() if largest else shown.min()
    return list(shown.index[shown == best])


def named(names: list[str], noun: str, *, most: int = 3) -> str:
    """``"A"``, ``"A and B"``, ``"A, B and C"``, or ``"4 <noun>"`` beyond ``most``."""
    if len(names) > most:
        return f"{len(names)} {noun}"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def nothing_scored(a: Assessment) -> str:
    """Why no roll-up has a value: an empty Target Profile, or (``no_evidence = exclude``)
    no outcome of it with evidence."""
    if not a._subcategories["in_profile"].any():
        return "No Subcategory is in the Target Profile"
    return "No outcome in the Target Profile has evidence yet, so none is scored"


def largest_gap_phrase(a: Assessment) -> str:
    """Who holds the largest gap, never singling out one of several tied outcomes:
    ``"PR.DS-P3 has the largest gap"``, ``"PR.DS-P3 and PR.DS-P7 share the largest gap"``
    (up to three named), ``"10 outcomes share the largest gap"``; ``""`` when nothing is below
    target."""
    return tie_phrase(a.ranked_gaps(), "has the largest gap", "share the largest gap")


def levels_amount(amount: float) -> str:
    """A number of levels given as a setting, written exactly: ``1`` → "1 level", ``0.5`` →
    "0.5 levels", ``2`` → "2 levels" (singular for exactly one, as the charts' titles)."""
    return f"{exact(amount)} level{'' if float(amount) == 1 else 's'}"


def tie_phrase(ranked: pd.DataFrame, one: str, several: str) -> str:
    """The outcomes of rank 1 in ``ranked`` (rows of :meth:`Assessment.ranked_gaps`) and the
    verb phrase for one (``one``) or several (``several``): all named up to three, counted
    beyond."""
    leaders = list(ranked.loc[ranked["rank"] == 1, "subcategory"])
    if not leaders:
        return ""
    if len(leaders) == 1:
        return f"{leaders[0]} {one}"
    if len(leaders) <= 3:
        return f"{', '.join(leaders[:-1])} and {leaders[-1]} {several}"
    return f"{len(leaders)} outcomes {several}"


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
