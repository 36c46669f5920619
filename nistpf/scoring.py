"""The scoring engine: one documented method, pure functions over DataFrames, no file I/O.

For every in-profile Subcategory *s* and in-scope system *y* (weight *w_y* from criticality:
High 3, Medium 2, Low 1). These weights and the defaults named below are :data:`DEFAULTS`,
which ``assess(defaults=...)`` overrides (:func:`settings`); every output states the settings
used (:func:`nistpf.export.method_text.method_rows`):

1. **level(s, y)** — the best level among the controls mapped to *s* that apply to *y*: a
   control's ``maturity`` when given and its status is Implemented or Partially implemented,
   else the scale's default for its status (tiers: Implemented 3, Partially implemented 1,
   Planned 0, Not implemented 0); Not applicable controls are ignored; no control gives 0. An
   assessor's rating for (s, y) replaces it. Data-flow findings on *s* that touch *y* then cap
   it at the rule's cap (written on the 0-4 tiers scale, rescaled to the assessment's scale
   and rounded to a whole level).
2. **coverage(s)** = Σ w_y·c(s, y) / Σ w_y, c = 1 for an Implemented control, ½ for a Partially
   implemented one, else 0 (the best over the controls that apply; findings do not change it).
3. **derived(s)** = Σ w_y·level(s, y) / Σ w_y. An organisation-level assessor rating (a
   Responses row with no system) becomes **current** with source ``assessor``; otherwise
   current = derived. Both are shown, and a difference of at least the ``disagreement``
   setting (1 level by default) is flagged.
4. **target(s)**, **priority(s)**, **in_profile(s)** from the Profile sheet: defaults target 3,
   Moderate, yes; a Function row applies to its Categories and Subcategories, a Category row to
   its Subcategories, the narrowest row wins (attribute by attribute).
   **gap** = max(0, target − current); **gap points** = gap × priority weight (High 3,
   Moderate 2, Low 1).
5. Roll-ups: Category, Function and overall values are means over their in-profile
   Subcategories (the gap is the mean of the gaps, so an outcome above its target does not
   offset one below it, and a roll-up's gap can exceed its target − current); the system view
   is level(s, y) averaged per system and Function.

Weights are relative (only their ratios matter): criticality and priority weights are at most
:data:`MAX_WEIGHT` (1,000,000), which keeps every weighted sum exact to float precision.

**No evidence** is not "not performed": a Subcategory with no control mapped to it that
applies to an in-scope system (Not applicable ones aside) and no assessor rating (for the
organisation or an in-scope system) has source ``no evidence``. It still scores 0 and counts in
the roll-ups by default (``no_evidence="zero"``); ``defaults={"no_evidence": "exclude"}``
leaves such Subcategories out of the Category, Function, overall and system roll-ups (their own
rows keep their figures). :attr:`Assessment.completeness` counts the in-profile Subcategories
that have evidence, and every output that shows the overall score shows it.

Levels are held as a Subcategory × system matrix, and controls that apply to all systems are
scored once per Subcategory, never expanded per system: 2,000 systems and 10,000 controls stay
small.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from nistpf.assessment import (
    CONTROL_LEVEL_COLUMNS,
    DETAIL_COLUMNS,
    ROLLUP_COLUMNS,
    SUBCATEGORY_COLUMNS,
    SYSTEM_VIEW_COLUMNS,
    TIER_VIEW_COLUMNS,
    Assessment,
    Explanation,
    Overall,
    levels_amount,
)
from nistpf.errors import NistpfError
from nistpf.findings import FINDING_COLUMNS, evaluate_findings
from nistpf.framework import Framework, framework
from nistpf.inventory.model import Inventory
from nistpf.inventory.schema import ALL_SYSTEMS
from nistpf.numbers import exact, fixed
from nistpf.scales import Scale, scale

DEFAULTS: dict[str, Any] = {
    "target": 3.0,
    "priority": "Moderate",
    "in_profile": True,
    "criticality_weights": {"High": 3.0, "Medium": 2.0, "Low": 1.0},
    "priority_weights": {"High": 3.0, "Moderate": 2.0, "Low": 1.0},
    "coverage": {"Implemented": 1.0, "Partially implemented": 0.5},
    "disagreement": 1.0,  # |assessor - derived| at or above this is flagged
    "cap_scale_maximum": 4.0,  # rule caps are written on the 0-4 tiers scale
    # A Subcategory with no mapped control and no rating: "zero" scores it 0 in the roll-ups
    # (the default, as NIST's Profiles leave unassessed outcomes at the bottom); "exclude"
    # leaves it out of them, so the roll-ups describe only what has evidence.
    "no_evidence": "zero",
}
NO_EVIDENCE_SETTINGS = ("zero", "exclude")
NO_EVIDENCE = "no evidence"
_IMPLEMENTED = ("Implemented", "Partially implemented")
_NOT_APPLICABLE = "Not applicable"
# Weights are relative (only their ratios matter), so no weight needs to be larger than this;
# beyond it sums of weights × levels lose their precision and then overflow (1e307 gives inf).
MAX_WEIGHT = 1_000_000.0
# The settings that are mappings: the keys each must give (all of them, no other), what a key
# is called in messages, and the range of its values.
_MAPPINGS: dict[str, tuple[str, float, float, bool]] = {
    # setting: (what a key is, lowest value, highest value, lowest value allowed)
    "criticality_weights": ("criticality", 0.0, MAX_WEIGHT, False),
    "priority_weights": ("priority", 0.0, MAX_WEIGHT, True),
    "coverage": ("control status", 0.0, 1.0, True),
}
_SHOWN = 60  # the most characters of a value a message shows


class SettingsError(NistpfError, ValueError):
    """Settings the engine cannot use (``assess(defaults=...)``, or the options of
    :meth:`nistpf.Engagement.assess`): an unknown setting, a weight mapping that misses one of
    its keys or names another, a value of the wrong type or out of range. The message, one
    line, names the setting, what is wrong with it and the valid keys (for a mapping, the
    missing ones too); a value it quotes is cut to 60 characters."""

    code = "invalid-settings"


class NotASubcategoryError(NistpfError, ValueError):
    """:meth:`Assessment.explain` given a Function or Category ID: it explains one
    Subcategory; the message names the Subcategories under the ID given."""

    code = "not-a-subcategory"


def quoted(value: object) -> str:
    """``value`` as a message quotes it, on one line and at most 60 characters: its repr
    (whitespace runs made one space), cut with "…" and led by its type's name when it is not a
    plain str, int, float, bool or None (``Series [1, 2, 3]``)."""
    try:
        text = repr(value)
    except Exception:  # a repr that fails is no reason for a second error
        text = f"<{type(value).__name__}>"
    text = " ".join(text.split())
    plain = value is None or type(value) in (str, int, float, bool)
    if not plain:
        text = f"{type(value).__name__} {text}"
    if len(text) > _SHOWN:
        text = text[: _SHOWN - 1] + "…"
    return text


def settings(defaults: Mapping[str, Any] | None = None, scale: Scale | None = None) -> dict:
    """The settings an assessment runs with: :data:`DEFAULTS` with ``defaults`` laid over
    them, checked. This is the one place settings are checked, whichever way they come
    (``assess(defaults=...)``, :meth:`nistpf.Engagement.assess`). Every value's type is
    checked before it is compared, hashed or converted, so any value gives a SettingsError,
    never another exception.

    Returns a new dict with every key of :data:`DEFAULTS`: numbers as floats, each weight
    mapping (``criticality_weights``: High, Medium, Low; ``priority_weights``: High, Moderate,
    Low; ``coverage``: Implemented, Partially implemented) a new dict in that key order.
    A mapping given replaces the default one whole, so it must give every one of its keys.

    Raises :class:`SettingsError` for: ``defaults`` that is not a mapping; a key that is not a
    setting (the message lists the settings and the closest one); a weight mapping that is not a
    mapping, misses keys (they are named) or has others; a weight that is not a finite real
    number in range: criticality weights above 0 and at most :data:`MAX_WEIGHT` (1,000,000),
    priority weights from 0 to 1,000,000, coverage values from 0 to 1 — weights are relative,
    so scale them down rather than past 1,000,000 (priority weights may all be 0: gap points
    are then 0, and nothing divides by their sum; criticality weights are above 0, as the
    weighted means divide by theirs); ``target`` not a number from the scale's minimum to its
    maximum (when ``scale`` is given; else 0 or more); ``priority`` not a key of
    ``priority_weights`` (a str); ``in_profile`` not True or False; ``disagreement`` or
    ``cap_scale_maximum`` not a finite number above 0; ``no_evidence`` not one of zero,
    exclude (a str).

    >>> settings({"target": 2})["target"]
    2.0
    >>> try:
    ...     settings({"criticality_weights": {"High": 3}})
    ... except SettingsError as error:
    ...     print(error)
    defaults: criticality_weights misses Medium, Low: give a number for each of High, Medium, Low
    """
    if defaults is None:
        defaults = {}
    if not isinstance(defaults, Mapping):
        raise SettingsError(
            f"defaults must be a mapping of settings (a dict), not {type(defaults).__name__}; "
            f"the settings are {', '.join(DEFAULTS)}"
        )
    unknown = [key for key in defaults if not (isinstance(key, str) and key in DEFAULTS)]
    if unknown:
        key = unknown[0]
        close = difflib.get_close_matches(str(key), list(DEFAULTS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close and isinstance(key, str) else ""
        raise SettingsError(
            f"defaults: {quoted(key)} is not a setting{hint}; the settings are "
            f"{', '.join(DEFAULTS)}"
        )
    chosen = {**DEFAULTS, **defaults}
    checked: dict[str, Any] = {}
    for name, (noun, low, high, low_allowed) in _MAPPINGS.items():
        checked[name] = _weights(name, chosen[name], noun, low, high, low_allowed)
    low, high = (scale.minimum, scale.maximum) if scale is not None else (0.0, math.inf)
    checked["target"] = _number("target", chosen["target"], low, high, low_allowed=True)
    priority = chosen["priority"]
    if not (isinstance(priority, str) and priority in checked["priority_weights"]):
        raise SettingsError(
            f"defaults: priority must be one of {', '.join(checked['priority_weights'])}, "
            f"not {quoted(priority)}"
        )
    checked["priority"] = str(priority)
    if not isinstance(chosen["in_profile"], (bool, np.bool_)):
        raise SettingsError(
            f"defaults: in_profile must be True or False, not {quoted(chosen['in_profile'])}"
        )
    checked["in_profile"] = bool(chosen["in_profile"])
    for name in ("disagreement", "cap_scale_maximum"):
        checked[name] = _number(name, chosen[name], 0.0, math.inf, low_allowed=False)
    no_evidence = chosen["no_evidence"]
    if not (isinstance(no_evidence, str) and no_evidence in NO_EVIDENCE_SETTINGS):
        raise SettingsError(
            f"defaults: no_evidence must be one of {', '.join(NO_EVIDENCE_SETTINGS)}, "
            f"not {quoted(no_evidence)}"
        )
    checked["no_evidence"] = str(no_evidence)
    return {name: checked[name] for name in DEFAULTS}


def _number(name: str, value: object, low: float, high: float, *, low_allowed: bool) -> float:
    """``value`` as a float when it is a finite real number in range, else SettingsError
    (an int too large for a float, 10**400, too)."""
    number = math.nan
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        try:
            number = float(value)
        except (OverflowError, TypeError, ValueError):
            number = math.nan
    in_range = (number >= low if low_allowed else number > low) and number <= high
    if not (math.isfinite(number) and in_range):
        above = f"{exact(low)} or more" if low_allowed else f"above {exact(low)}"
        bound = f"a number {above}" + (f" and at most {exact(high)}" if math.isfinite(high) else "")
        why = ""
        if high == MAX_WEIGHT and math.isfinite(number) and number > high:
            why = " (weights are relative: divide them all by the same number)"
        raise SettingsError(f"defaults: {name} must be {bound}{why}, not {quoted(value)}")
    return number


def _weights(
    name: str, value: object, noun: str, low: float, high: float, low_allowed: bool
) -> dict[str, float]:
    keys = tuple(DEFAULTS[name])
    listed = ", ".join(keys)
    if not isinstance(value, Mapping):
        raise SettingsError(
            f"defaults: {name} must be a mapping with a number for each of {listed}, "
            f"not {quoted(value)}"
        )
    other = [k for k in value if not (isinstance(k, str) and k in keys)]
    if other:
        raise SettingsError(
            f"defaults: {name} has {', '.join(quoted(k) for k in other[:3])}"
            f"{' and others' if len(other) > 3 else ''}, not a {noun}; its keys are {listed}"
        )
    missing = [k for k in keys if k not in value]
    if missing:
        raise SettingsError(
            f"defaults: {name} misses {', '.join(missing)}: give a number for each of {listed}"
        )
    return {
        k: _number(f"{name}[{k!r}]", value[k], low, high, low_allowed=low_allowed) for k in keys
    }


def assess(
    inventory: Inventory,
    *,
    framework: Framework | str | None = None,
    scale: Scale | str | None = None,
    defaults: Mapping[str, Any] | None = None,
    rules: pd.DataFrame | None = None,
) -> Assessment:
    """Score ``inventory``. ``framework`` and ``scale`` default to the inventory's own (its
    About sheet; PF 1.0 on the tiers scale otherwise); ``defaults`` overrides entries of
    :data:`DEFAULTS` (checked by :func:`settings`; a weight mapping replaces the default one
    whole, so it gives every key); ``rules`` replaces the bundled data-flow rules
    (``nistpf.findings.load_rules(path)``). The settings used, complete, are the returned
    Assessment's ``defaults``.

    Raises :class:`SettingsError` for an unknown setting or a weight mapping that misses a key
    or has another (the message lists the valid keys), :class:`nistpf.UnknownVersionError` and
    ``nistpf.scales.UnknownScaleError`` for a framework or scale nistpf does not know.

    >>> import nistpf
    >>> a = nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))
    >>> round(a.overall.current, 2) <= 4
    True
    """
    fw = _framework(framework, inventory)
    sc = _scale(scale, inventory)
    checked = settings(defaults, sc)
    findings = evaluate_findings(inventory, rules)
    return _Engine(inventory, fw, sc, checked, findings).run()


def _framework(value: Framework | str | None, inventory: Inventory) -> Framework:
    if isinstance(value, Framework):
        return value
    return framework(value or inventory.framework_version)


def _scale(value: Scale | str | None, inventory: Inventory) -> Scale:
    return scale(value if value is not None else inventory.scale)


class _Engine:
    def __init__(self, inventory, fw, sc, settings, findings):
        self.inv = inventory
        self.fw = fw
        self.scale = sc
        self.settings = settings
        self.findings = findings.reset_index(drop=True)
        self.subs = fw.subcategories
        self.s_index = {s: i for i, s in enumerate(self.subs["id"])}
        systems = inventory.systems
        scoped = systems[systems["in_scope"].fillna(True).astype(bool)]
        self.systems = scoped.reset_index(drop=True)
        self.y_ids = list(self.systems["system_id"])
        self.y_index = {y: i for i, y in enumerate(self.y_ids)}
        weights = settings["criticality_weights"]
        self.w = self.systems["criticality"].map(weights).fillna(weights["Medium"]).to_numpy(float)

    # -- controls ----------------------------------------------------------------------------
    def _control_levels(self) -> pd.DataFrame:
        """One row per applicable control: its level and coverage value."""
        controls = self.inv.controls
        controls = controls[controls["status"] != _NOT_APPLICABLE]
        defaults = self.scale.status_defaults
        maturity = controls["maturity"].astype(float)
        use_maturity = maturity.notna() & controls["status"].isin(_IMPLEMENTED)
        status_level = controls["status"].map(defaults).astype(float).fillna(0.0)
        return pd.DataFrame(
            {
                "control_id": controls["control_id"],
                "level": np.where(use_maturity, maturity, status_level),
                "coverage": controls["status"]
                .map(self.settings["coverage"])
                .astype(float)
                .fillna(0.0),
                "all": controls["applies_to_all"].astype(bool),
                "order": np.arange(len(controls)),
            }
        )

    def _matrices(self):
        """Level, coverage and best-control matrices (Subcategory × in-scope system)."""
        n_s, n_y = len(self.s_index), len(self.y_ids)
        levels = np.zeros((n_s, n_y))
        coverage = np.zeros((n_s, n_y))
        control = np.full((n_s, n_y), "", dtype=object)
        control_levels = self._control_levels()
        links = self.inv.control_subcategories.merge(control_levels, on="control_id")
        links = links[links["subcategory"].isin(self.s_index)]
        # Evidence: a (not Not applicable) control mapped to s that applies to a system in scope.
        self.evidenced = np.zeros(n_s, dtype=bool)
        # Best first: highest level, then highest coverage, then the first control listed.
        links = links.sort_values(["level", "coverage", "order"], ascending=[False, False, True])
        everywhere = links[links["all"].to_numpy()]
        if n_y and len(everywhere):
            self.evidenced[everywhere["subcategory"].map(self.s_index).to_numpy(dtype=np.intp)] = (
                True
            )
            best = everywhere.drop_duplicates("subcategory")
            rows = best["subcategory"].map(self.s_index).to_numpy(dtype=np.intp)
            levels[rows, :] = best["level"].to_numpy()[:, None]
            control[rows, :] = best["control_id"].to_numpy()[:, None]
            cov = everywhere.groupby("subcategory")["coverage"].max()
            coverage[cov.index.map(self.s_index).to_numpy(dtype=np.intp), :] = cov.to_numpy()[
                :, None
            ]
        named = self.inv.control_systems[["control_id", "system_id"]]
        named = named[named["system_id"].isin(self.y_index)].drop_duplicates()
        explicit = links.merge(named, on="control_id")
        if len(explicit):
            self.evidenced[explicit["subcategory"].map(self.s_index).to_numpy(dtype=np.intp)] = True
            explicit = explicit.sort_values(
                ["level", "coverage", "order"], ascending=[False, False, True], kind="stable"
            )
            best = explicit.drop_duplicates(["subcategory", "system_id"])
            r = best["subcategory"].map(self.s_index).to_numpy(dtype=np.intp)
            c = best["system_id"].map(self.y_index).to_numpy(dtype=np.intp)
            better = best["level"].to_numpy() > levels[r, c]
            levels[r[better], c[better]] = best["level"].to_numpy()[better]
            control[r[better], c[better]] = best["control_id"].to_numpy()[better]
            cov = explicit.groupby(["subcategory", "system_id"], sort=False)["coverage"].max()
            r = cov.index.get_level_values(0).map(self.s_index).to_numpy(dtype=np.intp)
            c = cov.index.get_level_values(1).map(self.y_index).to_numpy(dtype=np.intp)
            coverage[r, c] = np.maximum(coverage[r, c], cov.to_numpy())
        return levels, coverage, control

    # -- ratings and findings ----------------------------------------------------------------
    def _system_ratings(self, levels, control, source):
        responses = self.inv.responses
        rated = responses[(responses["system"] != "") & responses["current"].notna()]
        rated = rated[rated["system"].isin(self.y_index) & rated["subcategory"].isin(self.s_index)]
        rated = rated.drop_duplicates(["subcategory", "system"], keep="last")
        r = rated["subcategory"].map(self.s_index).to_numpy(dtype=np.intp)
        c = rated["system"].map(self.y_index).to_numpy(dtype=np.intp)
        levels[r, c] = rated["current"].astype(float).to_numpy()
        control[r, c] = "assessor"
        source[r, c] = "assessor"
        self.evidenced[r] = True

    def _caps(self, levels):
        """Apply the findings' caps; returns the matrix of finding IDs that lowered a level."""
        capped_by = np.full(levels.shape, "", dtype=object)
        if self.findings.empty or not self.y_ids:
            return capped_by
        rescale = self.scale.maximum / self.settings["cap_scale_maximum"]
        touched = self.findings[["finding_id", "subcategory", "systems", "cap"]].explode("systems")
        touched = touched[
            touched["systems"].isin(self.y_index) & touched["subcategory"].isin(self.s_index)
        ]
        touched = touched.assign(
            cap=np.floor(touched["cap"].astype(float) * rescale + 0.5),
            r=touched["subcategory"].map(self.s_index).astype(np.intp),
            c=touched["systems"].map(self.y_index).astype(np.intp),
        )
        # Only findings whose cap is below the level they meet lower it, and are named.
        effective = touched[touched["cap"].to_numpy() < levels[touched["r"], touched["c"]]]
        if len(effective):
            by_cell = effective.groupby(["r", "c"], sort=False)
            caps = by_cell["cap"].min()
            r = caps.index.get_level_values(0).to_numpy(dtype=np.intp)
            c = caps.index.get_level_values(1).to_numpy(dtype=np.intp)
            levels[r, c] = np.minimum(levels[r, c], caps.to_numpy())
            capped_by[r, c] = by_cell["finding_id"].agg("; ".join).to_numpy()
        return capped_by

    # -- profile -----------------------------------------------------------------------------
    def _profile(self) -> pd.DataFrame:
        """target, priority, in_profile per Subcategory: defaults, then Function rows, then
        Category rows, then Subcategory rows, each attribute from the narrowest row giving it."""
        rows: dict[str, dict[str, Any]] = {}
        for row in self.inv.profile.itertuples(index=False):
            given = {
                "target": None if pd.isna(row.target) else float(row.target),
                "priority": row.priority or None,
                "in_profile": None if pd.isna(row.in_profile) else bool(row.in_profile),
            }
            rows[row.pf_id] = {k: v for k, v in given.items() if v is not None}
        base = {
            "target": float(self.settings["target"]),
            "priority": self.settings["priority"],
            "in_profile": bool(self.settings["in_profile"]),
        }
        resolved = []
        for sub in self.subs.itertuples(index=False):
            values = dict(base)
            for key in (sub.function, sub.category, sub.id):
                values.update(rows.get(key, {}))
            resolved.append(values)
        table = pd.DataFrame(resolved, columns=["target", "priority", "in_profile"])
        table.insert(0, "id", self.subs["id"].to_numpy())
        table.insert(1, "function", self.subs["function"].to_numpy())
        table.insert(2, "category", self.subs["category"].to_numpy())
        return table.astype({"target": float, "in_profile": bool})

    # -- the run -----------------------------------------------------------------------------
    def run(self) -> Assessment:
        levels, coverage_matrix, control = self._matrices()
        source = np.full(levels.shape, "derived", dtype=object)
        self._system_ratings(levels, control, source)
        uncapped = levels.copy()
        capped_by = self._caps(levels)
        total = self.w.sum()
        derived = levels @ self.w / total if total else np.zeros(len(self.s_index))
        coverage = coverage_matrix @ self.w / total if total else np.zeros(len(self.s_index))

        subs = self._profile()
        ratings = self.inv.responses
        org = ratings[(ratings["system"] == "") & ratings["current"].notna()]
        org = org.drop_duplicates("subcategory", keep="last").set_index("subcategory")["current"]
        assessor = subs["id"].map(org).astype(float)
        current = assessor.where(assessor.notna(), derived)
        evidenced = self.evidenced | assessor.notna().to_numpy()
        weight = subs["priority"].map(self.settings["priority_weights"]).astype(float)
        gap = (subs["target"] - current).clip(lower=0).where(subs["in_profile"])
        mapped = self.inv.control_subcategories.merge(
            self.inv.controls.loc[self.inv.controls["status"] != _NOT_APPLICABLE, ["control_id"]],
            on="control_id",
        )
        controls_of = mapped.groupby("subcategory", sort=False)["control_id"].agg(tuple)
        findings_of = self.findings.groupby("subcategory", sort=False)["finding_id"].agg(tuple)
        table = pd.DataFrame(
            {
                "subcategory": subs["id"],
                "function": subs["function"],
                "category": subs["category"],
                "text": self.subs["text"],
                "in_profile": subs["in_profile"],
                "target": subs["target"].where(subs["in_profile"]),
                "priority": subs["priority"].where(subs["in_profile"], ""),
                "current": current.astype(float),
                "derived": derived,
                "assessor": assessor,
                "source": np.where(
                    assessor.notna(), "assessor", np.where(evidenced, "derived", NO_EVIDENCE)
                ),
                "coverage": coverage,
                "gap": gap,
                "gap_points": gap * weight,
                "systems_in_scope": len(self.y_ids),
                "systems_covered": (coverage_matrix > 0).sum(axis=1),
                "controls": subs["id"]
                .map(controls_of)
                .map(lambda v: v if isinstance(v, tuple) else ()),
                "findings": subs["id"]
                .map(findings_of)
                .map(lambda v: v if isinstance(v, tuple) else ()),
                "disagreement": (assessor - derived).abs() >= self.settings["disagreement"],
            },
            columns=SUBCATEGORY_COLUMNS,
        )
        in_profile = table[table["in_profile"]]
        rolled = in_profile
        if self.settings["no_evidence"] == "exclude":
            rolled = in_profile[in_profile["source"] != NO_EVIDENCE]
        rolled_rows = subs["in_profile"].to_numpy() & (
            evidenced if self.settings["no_evidence"] == "exclude" else True
        )
        return Assessment(
            inventory=self.inv,
            framework=self.fw,
            scale=self.scale,
            defaults=self.settings,
            _subcategories=table,
            _levels=self._levels_table(
                levels, uncapped, coverage_matrix, control, capped_by, source
            ),
            _control_levels=self._control_levels()[CONTROL_LEVEL_COLUMNS].reset_index(drop=True),
            _categories=_rollup(rolled, "category"),
            _functions=_rollup(rolled, "function"),
            _systems=self._system_view(levels, subs, rolled_rows),
            _findings=self.findings[FINDING_COLUMNS],
            _tiers=self._tiers(),
            _overall=Overall(
                *(float(rolled[c].mean()) if len(rolled) else math.nan for c in ROLLUP_COLUMNS)
            ),
        )

    def _levels_table(self, levels, uncapped, coverage, control, capped_by, source):
        """Every Subcategory × in-scope system, as the engine scored it (DETAIL_COLUMNS):
        what :attr:`Assessment.levels` shows for the in-profile ones and what
        :meth:`Assessment.explain` reads."""
        n_s, n_y = levels.shape
        ids = self.subs["id"].to_numpy()
        return pd.DataFrame(
            {
                "subcategory": np.repeat(ids, n_y),
                "system": np.tile(np.array(self.y_ids, dtype=object), n_s),
                "level": levels.ravel(),
                "control": control.ravel(),
                "capped_by": capped_by.ravel(),
                "source": source.ravel(),
                "uncapped": uncapped.ravel(),
                "coverage": coverage.ravel(),
                "weight": np.tile(self.w, n_s),
            },
            columns=DETAIL_COLUMNS,
        )

    def _system_view(self, levels, subs, in_profile) -> pd.DataFrame:
        """Mean level per system and Function over the rolled-up Subcategories
        (``in_profile``: a boolean per Subcategory)."""
        functions = self.fw.functions["id"].to_numpy()
        function_of = subs["function"].to_numpy()
        means = np.full((len(functions), len(self.y_ids)), np.nan)
        for i, function in enumerate(functions):
            rows = in_profile & (function_of == function)
            if rows.any():
                means[i] = levels[rows].mean(axis=0)
        n = len(functions)
        return pd.DataFrame(
            {
                "system": np.tile(self.systems["system_id"].to_numpy(), n),
                "name": np.tile(self.systems["name"].to_numpy(), n),
                "type": np.tile(self.systems["type"].to_numpy(), n),
                "function": np.repeat(functions, len(self.y_ids)),
                "level": means.ravel(),
            },
            columns=SYSTEM_VIEW_COLUMNS,
        )

    def _tiers(self) -> pd.DataFrame:
        rated = self.inv.tiers
        definitions = self.fw.tiers.rename(columns={"text": "definition"})
        table = rated.merge(definitions, on=["attribute", "tier"], how="left")
        return table.reindex(columns=TIER_VIEW_COLUMNS).reset_index(drop=True)


def _rollup(in_profile: pd.DataFrame, key: str) -> pd.DataFrame:
    grouped = in_profile.groupby(key, sort=False)[ROLLUP_COLUMNS].mean()
    return grouped.reset_index()[[key, *ROLLUP_COLUMNS]]


def _arithmetic(weights: np.ndarray, levels: np.ndarray) -> str:
    """``(3×1 + 2×1 + 1×3) / 6 = 1.33``; equal terms are grouped (``4·(3×1)`` is four
    systems of weight 3 at level 1)."""
    total = weights.sum()
    if not total:
        return "no system in scope: 0"
    terms: dict[tuple[float, float], int] = {}
    for w, level in zip(weights, levels, strict=True):
        terms[(w, level)] = terms.get((w, level), 0) + 1
    shown = [
        f"{count}·({exact(w)}×{exact(level)})" if count > 1 else f"{exact(w)}×{exact(level)}"
        for (w, level), count in terms.items()
    ]
    return f"({' + '.join(shown)}) / {exact(total)} = {fixed(float(weights @ levels / total))}"


def explain(assessment: Assessment, subcategory: str) -> Explanation:
    """See :meth:`Assessment.explain`. Reads only what the engine recorded in ``assessment``
    (its Subcategory row, its levels per system with their weights, uncapped levels and
    coverage, its control levels and findings) and the inventory it was made from; nothing is
    scored again."""
    fw = assessment.framework
    sub = fw.get(subcategory)
    if sub.level != "subcategory":
        core = fw.core
        under = core[(core["level"] == "subcategory") & (core[sub.level] == sub.id)]["id"]
        example = f", e.g. {', '.join(under.head(2))}" if len(under) else ""
        raise NotASubcategoryError(
            f"{sub.id} is a {sub.level.capitalize()}; explain takes a Subcategory ID"
            f"{example} (a {sub.level.capitalize()}'s figures are the means in "
            f"Assessment.{'categories' if sub.level == 'category' else 'functions'})"
        )
    row = assessment._subcategories.set_index("subcategory").loc[sub.id]
    inv = assessment.inventory
    recorded = assessment._levels
    recorded = recorded[recorded["subcategory"] == sub.id].reset_index(drop=True)
    names = assessment._systems.drop_duplicates("system").set_index("system")["name"]
    systems = pd.DataFrame(
        {
            "system": recorded["system"],
            "name": recorded["system"].map(names),
            "weight": recorded["weight"],
            "level": recorded["level"],
            "uncapped": recorded["uncapped"],
            "control": recorded["control"],
            "coverage": recorded["coverage"],
            "capped_by": recorded["capped_by"],
            "source": recorded["source"],
        }
    )
    mapped = inv.control_subcategories[inv.control_subcategories["subcategory"] == sub.id]
    controls = inv.controls.merge(mapped[["control_id"]], on="control_id")
    controls = controls.merge(
        assessment._control_levels[["control_id", "level"]], on="control_id", how="left"
    )
    controls["level"] = controls["level"].fillna(0.0)
    controls["applies_to"] = controls["applies_to"].map(
        lambda selectors: "all systems" if ALL_SYSTEMS in selectors else ", ".join(selectors)
    )
    findings = assessment._findings[assessment._findings["subcategory"] == sub.id]
    notes = []
    threshold = float(assessment.defaults["disagreement"])
    if bool(row["disagreement"]):
        notes.append(
            f"note: the assessor's {exact(row['assessor'])} and the derived "
            f"{fixed(row['derived'])} differ by {levels_amount(threshold)} or more (the "
            "disagreement setting)"
        )
    return Explanation(
        subcategory=sub.id,
        text=sub.text,
        in_profile=bool(row["in_profile"]),
        target=None if pd.isna(row["target"]) else float(row["target"]),
        priority=str(row["priority"]),
        current=float(row["current"]),
        derived=float(row["derived"]),
        assessor=None if pd.isna(row["assessor"]) else float(row["assessor"]),
        source=str(row["source"]),
        coverage=float(row["coverage"]),
        gap=None if pd.isna(row["gap"]) else float(row["gap"]),
        scale=assessment.scale,
        controls=controls[["control_id", "name", "status", "maturity", "level", "applies_to"]],
        systems=systems,
        findings=findings.reset_index(drop=True),
        arithmetic=_arithmetic(systems["weight"].to_numpy(float), systems["level"].to_numpy(float)),
        notes=tuple(notes),
    )
