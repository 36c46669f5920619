"""Privacy risk per data action, by NIST's Privacy Risk Assessment Methodology (PRAM).

NIST's PRAM (February 2019; worksheets 2 and 3, and the Catalog of Problematic Data Actions and
Problems) weighs the privacy risk of each **data action** — a system operation that processes
data — from the **problematic data actions** it may give rise to and the **problems for
individuals** they cause. nistpf fills the worksheets from the inventory:

1. **Data actions** (worksheet 2, Data Action Analysis): one per DataFlows row, named by the
   NISTIR 8062 data action of its stage (:func:`nistpf.flows.trace.data_action`); its id is
   ``"<flow_id>:<action>"`` (``F-001:collection``). *Data* lists the flow's categories,
   *Specific Context* its facts, *Summary Issues* the rationale of every rule that holds.
2. **Likelihood** (worksheet 3, Likelihood; NIST's 1–10 scale): the rules of
   ``nistpf/data/pram_rules.csv`` — each a condition over the flow's facts in the grammar of
   the data-flow findings (:mod:`nistpf.findings`), a problematic data action, the problems
   it may cause and a likelihood, with its rationale. A problem's likelihood on a data action
   is the highest likelihood of the rules that name it there; its problematic data actions are
   those rules' (in rule order).
3. **Impact** (worksheet 3, Impact): five organisational cost factors — noncompliance, direct
   business, reputational, internal culture and other costs, each 1–10 — summed. Defaults come
   from ``nistpf/data/pram_impact.csv``: every row adds its points to one factor where its
   condition holds (for every problem, or only those the row names); each factor is then held
   to 1–10.
4. **Risk** (worksheet 3, Risk): risk per problem = likelihood × impact; risk per data action =
   the sum over its problems.
5. **Prioritization** (worksheet 3, Risk Prioritization): percent of system risk = the data
   action's risk ÷ the sum over all data actions (the CX stack is NIST's "system"); rank =
   Excel's ``RANK(risk, all risks, 0)`` — 1 + the number of data actions with a higher risk,
   ties sharing a rank; the **top outliers** are the problems whose risk is among the
   :data:`OUTLIERS` highest (ties at the cut-off included), as NIST's "Top 5 Outliers" table.

The consultant's edits (the engagement store's ``pram_edits``, carried by
``Inventory.pram_edits``) replace any likelihood or cost factor, with a reason; an edit may add
a problem the rules did not find. An edit for a data action the inventory no longer has is
listed in ``Pram.orphans``, never dropped silently.

Roll-ups: per system (data actions with the system at either end), per external party and per
data category. A data action counts in every roll-up it touches, so their percents overlap;
only the data actions' percents sum to 100.
"""

from __future__ import annotations

import functools
import math
import weakref
from dataclasses import dataclass
from importlib import resources
from os import PathLike

import numpy as np
import pandas as pd

from nistpf.assessment import Assessment
from nistpf.findings import NO_CATEGORIES, RuleError, condition_problem, flow_facts, holds
from nistpf.flows import categories as cats
from nistpf.flows.pram_input import checked_edits
from nistpf.flows.trace import cell_text, data_action
from nistpf.inventory.model import Inventory
from nistpf.inventory.schema import EXTERNAL_PREFIX
from nistpf.numbers import fixed
from nistpf.pram_catalog import PROBLEMATIC_DATA_ACTIONS, PROBLEMS, pf_to_pram

FACTORS = ("noncompliance", "direct_business", "reputational", "internal_culture", "other")
# NIST's names of the cost factors (worksheet 3, Impact).
FACTOR_NAMES = dict(
    zip(
        FACTORS,
        (
            "Noncompliance Costs",
            "Direct Business Costs",
            "Reputational Costs",
            "Internal Culture Costs",
            "Other",
        ),
        strict=True,
    )
)
SCALE = (1, 10)  # NIST's likelihood and cost-factor scale (worksheet 3)
OUTLIERS = 5  # NIST's "Top 5 Outliers" (worksheet 3, Risk Prioritization)
# fmt: off
RULE_COLUMNS = ["id", "problematic_data_action", "problems", "likelihood", "condition",
                "rationale"]
IMPACT_COLUMNS = ["factor", "points", "condition", "problems", "rationale"]
DATA_ACTION_COLUMNS = ["data_action", "flow_id", "action", "stage", "source", "destination",
                       "name", "data", "specific_context", "summary_issues", "systems",
                       "external_party", "risk", "percent", "rank", "outlier"]
PROBLEM_COLUMNS = ["data_action", "problem", "problematic_data_actions", "rules", "likelihood",
                   *FACTORS, "impact", "risk", "source", "reason", "selected_controls",
                   "rationale", "outlier"]
ROLLUP_COLUMNS = ["data_actions", "problems", "risk", "percent", "highest"]
ORPHAN_COLUMNS = ["data_action", "problem", "reason"]
NO_PROBLEM = (
    "No rule found a problematic data action here: the risk is 0 until the consultant gives a "
    "likelihood (PRAM workbook, Likelihood tab)."
)
# fmt: on


@dataclass(frozen=True, eq=False)
class Pram:
    """NIST PRAM tables of an inventory (module docstring for every rule).

    - ``data_actions``: ``DATA_ACTION_COLUMNS``; ``risk`` (float), ``percent`` (a fraction,
      0–1), ``rank`` (int), ``outlier`` (a problem of it is a top outlier), in flow order;
    - ``problems``: ``PROBLEM_COLUMNS``, one row per data action × problem for individuals;
      ``source`` is ``rules`` or ``edited``;
    - ``by_system`` / ``by_party`` / ``by_category``: indexed by system ID / external party /
      data category, ``ROLLUP_COLUMNS`` (``highest``: the riskiest data action's id);
    - ``impact_basis``: ``data_action, problem, factor, points, rationale``: which impact rows
      gave each default cost factor its points;
    - ``orphans``: ``ORPHAN_COLUMNS``: the consultant's edits that match no data action.
    """

    data_actions: pd.DataFrame
    problems: pd.DataFrame
    by_system: pd.DataFrame
    by_party: pd.DataFrame
    by_category: pd.DataFrame
    impact_basis: pd.DataFrame
    orphans: pd.DataFrame
    rules: pd.DataFrame

    def __repr__(self) -> str:
        total = self.data_actions["risk"].sum()
        return (
            f"<Pram: {len(self.data_actions)} data actions, {len(self.problems)} problems, "
            f"system risk {fixed(total, 0)}>"
        )

    @property
    def total(self) -> float:
        """The system risk: the sum of every data action's risk."""
        return float(self.data_actions["risk"].sum())

    @property
    def flow_risk(self) -> pd.Series:
        """Risk per flow (index ``flow_id``): what the data-flow diagram colours by."""
        table = self.data_actions
        return pd.Series(table["risk"].to_numpy(), index=table["flow_id"], name="risk")

    @property
    def outliers(self) -> pd.DataFrame:
        """The top outliers: rows of :attr:`problems`, highest risk first."""
        rows = self.problems[self.problems["outlier"]]
        return rows.sort_values("risk", ascending=False, kind="stable").reset_index(drop=True)

    def explain(self, data_action_id: str) -> str:
        """The arithmetic of one data action, as a consultant reads it: each problem's
        likelihood × (five cost factors = impact) = risk, the rules and edits behind them, the
        sum, the percent of system risk and the rank. Given a Privacy Framework Subcategory
        ID instead (``ID.RA-P4``), what this PRAM evidences for it (:meth:`pf_evidence`).
        Raises KeyError naming close ids."""
        table = self.data_actions
        match = table[table["data_action"] == data_action_id]
        if match.empty:  # a Subcategory the PRAM evidences, or nothing known
            evidence = self.pf_evidence().set_index("subcategory")
            key = str(data_action_id).strip().upper()
            if key not in evidence.index:
                raise KeyError(self._unknown(str(data_action_id), list(evidence.index)))
            return (
                f"{key} — NIST's mapping of PF 1.0 to the PRAM: {evidence.at[key, 'worksheet']}. "
                f"This PRAM: {evidence.at[key, 'evidence']}. It is the assessor's analysis, not "
                "the organisation's practice, so it raises no level itself: cite it as evidence "
                "when rating the outcome."
            )
        action = match.iloc[0]
        lines = [f"{action['data_action']}: {action['name']}", f"Data: {action['data']}"]
        problems = self.problems[self.problems["data_action"] == data_action_id]
        if problems.empty:
            lines.append("No rule finds a problematic data action here: risk 0.")
        for row in problems.itertuples(index=False):
            factors = " + ".join(fixed(getattr(row, f), 0) for f in FACTORS)
            lines.append(
                f"- {row.problem}: likelihood {fixed(row.likelihood, 0)} × impact "
                f"({factors} = {fixed(row.impact, 0)}) = risk {fixed(row.risk, 0)}"
                + (" [top outlier]" if row.outlier else "")
            )
            for rule in row.rules:
                rationale = self.rules.loc[self.rules["id"] == rule, "rationale"]
                text = rationale.iloc[0] if len(rationale) else ""
                lines.append(f"    rule {rule}: {text}")
            if row.source == "edited":
                lines.append(f"    edited by the consultant: {row.reason or 'no reason given'}")
        parts = " + ".join(fixed(r, 0) for r in problems["risk"]) or "0"
        lines.append(
            f"Risk of the data action = {parts} = {fixed(action['risk'], 0)}; "
            f"{fixed(100 * action['percent'], 1)}% of the system risk "
            f"{fixed(self.total, 0)}; rank {action['rank']} of {len(table)}."
        )
        return "\n".join(lines)

    def _unknown(self, given: str, evidenced: list[str]) -> str:
        """Why ``given`` is neither a data action nor a Subcategory the PRAM evidences, with
        what the consultant probably meant: the data actions of the flow named (``F-030`` →
        ``F-030:disclosure``), close ids, or the Subcategories NIST maps to the PRAM."""
        import difflib
        import re

        ids = list(self.data_actions["data_action"])
        flow = given.split(":")[0].strip().casefold()
        same_flow = [i for i in ids if i.split(":")[0].casefold() == flow]
        close = same_flow or difflib.get_close_matches(given, ids)
        if re.fullmatch(r"[A-Za-z]{2}\.[A-Za-z]{2}-P\d+", given.strip()) and not close:
            return (
                f"{given.strip().upper()} is not an outcome NIST's PF→PRAM mapping ties to the "
                f"PRAM; it evidences {', '.join(evidenced)}"
            )
        hint = f"; did you mean {', '.join(close[:5])}?" if close else ""
        return f"no data action {given!r}{hint} (ids are <flow ID>:<data action>)"

    def pf_evidence(self) -> pd.DataFrame:
        """What this PRAM evidences for Privacy Framework outcomes, by NIST's mapping of PF 1.0
        to the PRAM (``nistpf.pram_catalog.pf_to_pram``): ``subcategory, worksheet,
        evidence``. Worksheet 2 outcomes (ID.IM-P, ID.RA-P1) are evidenced by the data
        actions inventoried, worksheet 3 (ID.RA-P3, ID.RA-P4) by the problems analysed and
        how many the consultant reviewed, worksheet 4 (ID.RA-P5) by the problems with selected
        controls.

        nistpf's PRAM is the assessor's analysis, not the organisation's practice, so it never
        raises a level itself: it is the evidence an assessor cites when rating these outcomes
        (``Store.set_rating``)."""
        mapping = pf_to_pram()
        problems = self.problems
        reviewed = int((problems["source"] == "edited").sum())
        chosen = int((problems["selected_controls"].str.strip() != "").sum())
        texts = {
            "2": f"{len(self.data_actions)} data actions inventoried and analysed from the "
            "DataFlows sheet (PRAM worksheet 2)",
            "3": f"{len(problems)} problems for individuals weighed by likelihood and impact; "
            f"{reviewed} reviewed by the consultant (PRAM worksheet 3)",
            "4": f"{chosen} of {len(problems)} problems have selected controls (PRAM worksheet 4)",
        }
        rows = []
        for sub, sheet in zip(mapping["subcategory"], mapping["worksheet"], strict=True):
            found = [texts[n] for n in "234" if f"Worksheet {n}" in str(sheet)]
            if found:
                rows.append({"subcategory": sub, "worksheet": sheet, "evidence": "; ".join(found)})
        return pd.DataFrame(rows, columns=["subcategory", "worksheet", "evidence"])


# -- rules ------------------------------------------------------------------------------------
def load_pram_rules(path: str | PathLike[str] | None = None) -> pd.DataFrame:
    """The likelihood rules (``RULE_COLUMNS``; ``problems`` as a tuple, ``likelihood`` float)
    in ``path`` (default ``nistpf/data/pram_rules.csv``). Raises
    :class:`nistpf.findings.RuleError` naming the rule and the problem."""
    if path is None:
        return _package_rules().copy()
    return _checked_rules(_read(path), str(path))


def load_impact_rules(path: str | PathLike[str] | None = None) -> pd.DataFrame:
    """The impact rules (``IMPACT_COLUMNS``; ``points`` float, ``problems`` a tuple, empty for
    every problem) in ``path`` (default ``nistpf/data/pram_impact.csv``). Raises
    :class:`nistpf.findings.RuleError`."""
    if path is None:
        return _package_impact().copy()
    return _checked_impact(_read(path), str(path))


@functools.cache
def _package_rules() -> pd.DataFrame:
    return _checked_rules(_read(_package("pram_rules.csv")), "nistpf/data/pram_rules.csv")


@functools.cache
def _package_impact() -> pd.DataFrame:
    return _checked_impact(_read(_package("pram_impact.csv")), "nistpf/data/pram_impact.csv")


def _package(name: str):
    return resources.files("nistpf") / "data" / name


def _read(path) -> pd.DataFrame:
    try:
        if hasattr(path, "open") and not isinstance(path, str | PathLike):
            with path.open("r", encoding="utf-8", newline="") as handle:
                table = pd.read_csv(handle, dtype=str, keep_default_na=False)
        else:
            table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise RuleError(None, f"cannot read the rules file ({e})", source=str(path)) from e
    return table.rename(columns=lambda c: str(c).strip().lower())


def _names(text: str, allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    spelled = {name.casefold(): name for name in allowed}
    found = []
    for part in (p.strip() for p in str(text).split(";")):
        if not part:
            continue
        if part.casefold() not in spelled:
            raise ValueError(f"{what} {part!r} is not one of NIST's: {', '.join(allowed)}")
        found.append(spelled[part.casefold()])
    return tuple(dict.fromkeys(found))


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not SCALE[0] <= value <= SCALE[1]:
        raise ValueError(f"{what} {text!r} is not a number from 1 to 10 (NIST's scale)")
    return value


def _checked_rules(table: pd.DataFrame, source: str) -> pd.DataFrame:
    missing = [c for c in RULE_COLUMNS if c not in table.columns]
    if missing:
        raise RuleError(None, f"missing column(s) {', '.join(missing)}", source=source)
    rows, seen = [], set()
    for line, record in enumerate(table[RULE_COLUMNS].to_dict("records"), start=2):
        cells = {k: str(v).strip() for k, v in record.items()}
        if not any(cells.values()):
            continue
        rule = cells["id"] or None
        if rule is None:
            raise RuleError(None, f"row {line} has no id", source=source)
        if rule in seen:
            raise RuleError(rule, "the id is used by two rules; ids must be unique", source=source)
        seen.add(rule)
        try:
            pda = _names(
                cells["problematic_data_action"],
                PROBLEMATIC_DATA_ACTIONS,
                "problematic data action",
            )
            if len(pda) != 1:
                raise ValueError("name one problematic data action of NIST's catalog")
            problems = _names(cells["problems"], PROBLEMS, "problem")
            if not problems:
                raise ValueError("name at least one problem for individuals, ; separated")
            likelihood = _number(cells["likelihood"], "likelihood")
        except ValueError as error:
            raise RuleError(rule, str(error), source=source) from error
        problem = condition_problem(cells["condition"])
        if problem:
            raise RuleError(rule, f"condition {cells['condition']!r}: {problem}", source=source)
        if not cells["rationale"]:
            raise RuleError(rule, "rationale is empty; say why the rule holds", source=source)
        rows.append({**cells, "problematic_data_action": pda[0], "problems": problems,
                     "likelihood": likelihood})  # fmt: skip
    return pd.DataFrame(rows, columns=RULE_COLUMNS).astype({"likelihood": float})


def _checked_impact(table: pd.DataFrame, source: str) -> pd.DataFrame:
    missing = [c for c in IMPACT_COLUMNS if c not in table.columns]
    if missing:
        raise RuleError(None, f"missing column(s) {', '.join(missing)}", source=source)
    rows = []
    for line, record in enumerate(table[IMPACT_COLUMNS].to_dict("records"), start=2):
        cells = {k: str(v).strip() for k, v in record.items()}
        if not any(cells.values()):
            continue
        where = f"row {line}"
        factor = cells["factor"].casefold().replace(" ", "_")
        if factor not in FACTORS:
            raise RuleError(None, f"{where}: factor {cells['factor']!r} is not one of "
                            f"{', '.join(FACTORS)}", source=source)  # fmt: skip
        try:
            points = float(cells["points"])
            if not math.isfinite(points) or abs(points) > 10:
                raise ValueError(
                    f"points {cells['points']!r} is not a number from -10 to 10 (a cost factor "
                    "is 1-10); give a finite number of points"
                )
            problems = _names(cells["problems"], PROBLEMS, "problem")
        except ValueError as error:
            detail = str(error).replace(
                "could not convert string to float", "points must be a number"
            )
            raise RuleError(None, f"{where}: {detail}", source=source) from error
        problem = condition_problem(cells["condition"])
        if problem:
            raise RuleError(
                None, f"{where}: condition {cells['condition']!r}: {problem}", source=source
            )
        rows.append({**cells, "factor": factor, "points": points, "problems": problems})
    return pd.DataFrame(rows, columns=IMPACT_COLUMNS).astype({"points": float})


# -- the analysis -----------------------------------------------------------------------------
def analyse(
    source: Assessment | Inventory,
    *,
    rules: pd.DataFrame | str | PathLike[str] | None = None,
    impact_rules: pd.DataFrame | str | PathLike[str] | None = None,
    edits: pd.DataFrame | None = None,
) -> Pram:
    """NIST PRAM worksheets 2 and 3 for an inventory (or an Assessment's): see the module
    docstring. ``rules`` / ``impact_rules``: tables from :func:`load_pram_rules` /
    :func:`load_impact_rules`, or files; ``edits``: the consultant's edits
    (``nistpf.inventory.model.PRAM_EDIT_COLUMNS``; default the inventory's ``pram_edits``),
    checked by :func:`nistpf.flows.pram_input.checked_edits`.

    An Assessment's PRAM with the package's rules is computed once and kept with it (every
    deliverable reads the same tables).

    Raises :class:`nistpf.findings.RuleError` for a rules file that cannot be used,
    :class:`nistpf.flows.pram_input.PramEditsError` for edits off NIST's scales or without a
    reason."""
    cached = isinstance(source, Assessment) and rules is impact_rules is edits is None
    if cached and source in _ANALYSED:
        return _ANALYSED[source]
    result = _analyse(source, rules, impact_rules, edits)
    if cached:
        _ANALYSED[source] = result
    return result


# An Assessment is immutable, so its PRAM is too: kept while the Assessment lives.
_ANALYSED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _analyse(source, rules, impact_rules, edits) -> Pram:
    inventory = source.inventory if isinstance(source, Assessment) else source
    rule_table = _rule_table(rules, load_pram_rules, _checked_rules)
    impact_table = _rule_table(impact_rules, load_impact_rules, _checked_impact)
    if edits is None:
        edits = getattr(inventory, "pram_edits", None)
    flows = inventory.flows.reset_index(drop=True)
    facts = flow_facts(inventory).reset_index(drop=True)
    actions = _data_actions(flows, inventory)
    problems, basis = _problems(facts, actions, rule_table, impact_table)
    problems, orphans = _apply_edits(problems, actions, edits, facts, impact_table)
    problems, actions = _arithmetic(problems, actions)
    return Pram(
        actions[DATA_ACTION_COLUMNS].reset_index(drop=True),
        problems,
        _rollup(actions, "systems"),
        _rollup(actions, "external_party"),
        _rollup(actions, "categories"),
        basis,
        orphans,
        rule_table,
    )


def _rule_table(given, loader, checker) -> pd.DataFrame:
    if given is None:
        return loader()
    if isinstance(given, pd.DataFrame):
        table = given.copy()
        for column in ("problems", "problematic_data_action"):
            if column in table.columns:
                table[column] = ["; ".join(v) if isinstance(v, tuple) else v for v in table[column]]
        return checker(table.astype(str).rename(columns=str.lower), "rules")
    return loader(given)


def _endpoint_name(endpoint: str, names: dict[str, str]) -> str:
    if endpoint.startswith(EXTERNAL_PREFIX):
        return endpoint.removeprefix(EXTERNAL_PREFIX)
    name = names.get(endpoint)
    return f"{endpoint} {name}" if name else endpoint


def _data_actions(flows: pd.DataFrame, inventory: Inventory) -> pd.DataFrame:
    names = dict(
        zip(inventory.systems["system_id"], inventory.systems["name"].fillna(""), strict=True)
    )
    rows = []
    for record in flows.to_dict("records"):
        action = data_action(record.get("stage"))
        source, destination = record["source"], record["destination"]
        categories = [str(c) for c in (record.get("data_categories") or ()) if str(c).strip()]
        rows.append(
            {
                "data_action": f"{record['flow_id']}:{action}",
                "flow_id": record["flow_id"],
                "action": action,
                "stage": cell_text(record.get("stage")),
                "source": source,
                "destination": destination,
                "name": _label(action, source, destination, record, names),
                "data": "; ".join(categories) or NO_CATEGORIES,
                "specific_context": _context(record),
                "summary_issues": "",
                "systems": tuple(
                    dict.fromkeys(
                        e for e in (source, destination) if not e.startswith(EXTERNAL_PREFIX)
                    )
                ),
                "external_party": next(
                    (
                        e.removeprefix(EXTERNAL_PREFIX)
                        for e in (destination, source)
                        if e.startswith(EXTERNAL_PREFIX)
                    ),
                    "",
                ),
                "categories": tuple(categories),
            }
        )
    return pd.DataFrame(rows, columns=[*DATA_ACTION_COLUMNS[:12], "categories"])


def _label(action, source, destination, record, names) -> str:
    """A data action named as NIST's worksheet 2 asks: what, from where, to where, why."""
    verb = action.capitalize() if action != "unspecified" else "Processing"
    start, end = _endpoint_name(source, names), _endpoint_name(destination, names)
    if source == destination:
        where = f"within {start}"
    elif action == "collection":
        where = f"from {start} into {end}"
    elif action == "disposal":
        where = f"of data from {start} by {end}"
    elif action in ("retention", "use", "logging", "generation", "transformation"):
        where = f"in {end} of data from {start}"
    else:
        where = f"from {start} to {end}"
    purpose = cell_text(record.get("purpose")).strip()
    return f"{verb} {where}" + (f": {purpose}" if purpose else "")


def _context(record: dict) -> str:
    encrypted = record.get("encrypted_in_transit")
    days = record.get("retention_days")
    third = record.get("third_party")
    parts = [
        "encrypted in transit: "
        + ("not recorded" if pd.isna(encrypted) else "yes" if encrypted else "no"),
        f"minimisation: {cell_text(record.get('minimization')) or 'none'}",
        "consent or legal basis: "
        + (cell_text(record.get("consent_basis")).strip() or "not recorded"),
        "third party: " + ("yes" if (not pd.isna(third) and third) else "no"),
        "retention: " + ("not recorded" if pd.isna(days) else f"{int(days)} days"),
        f"owner: {cell_text(record.get('owner')).strip() or 'not recorded'}",
    ]
    return "; ".join(parts)


def _problems(facts, actions, rule_table, impact_table) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rules' problems per data action, with default impact, and the impact basis."""
    found: dict[tuple[int, str], dict] = {}
    issues: dict[int, list[str]] = {}
    for rule in rule_table.to_dict("records"):
        where = np.flatnonzero(holds(facts, rule["condition"])) if len(facts) else []
        for index in where:
            issues.setdefault(int(index), []).append(rule["rationale"])
            for problem in rule["problems"]:
                row = found.setdefault(
                    (int(index), problem), {"likelihood": 0.0, "pdas": [], "rules": []}
                )
                row["likelihood"] = max(row["likelihood"], rule["likelihood"])
                row["pdas"].append(rule["problematic_data_action"])
                row["rules"].append(rule["id"])
    actions["summary_issues"] = [
        " ".join(dict.fromkeys(issues.get(i, []))) or NO_PROBLEM for i in range(len(actions))
    ]
    points = _impact_points(facts, impact_table)
    ids = actions["data_action"].tolist()
    rows, basis = [], []
    for (index, problem), row in sorted(
        found.items(), key=lambda kv: (kv[0][0], PROBLEMS.index(kv[0][1]))
    ):
        factors, used = _factors(points, index, problem)
        da = ids[index]
        basis.extend({"data_action": da, "problem": problem, **u} for u in used)
        rows.append(
            {
                "data_action": da,
                "problem": problem,
                "problematic_data_actions": tuple(dict.fromkeys(row["pdas"])),
                "rules": tuple(row["rules"]),
                "likelihood": row["likelihood"],
                **factors,
                "source": "rules",
                "reason": "",
                "selected_controls": "",
                "rationale": "",
            }
        )
    table = pd.DataFrame(
        rows, columns=[c for c in PROBLEM_COLUMNS if c not in ("impact", "risk", "outlier")]
    )
    return table, pd.DataFrame(
        basis, columns=["data_action", "problem", "factor", "points", "rationale"]
    )


def _impact_points(facts: pd.DataFrame, impact_table: pd.DataFrame) -> list[tuple]:
    """Per impact row: (factor, points, problems, rationale, where it holds)."""
    return [
        (r["factor"], r["points"], r["problems"], r["rationale"],
         holds(facts, r["condition"]) if len(facts) else np.zeros(0, bool))
        for r in impact_table.to_dict("records")
    ]  # fmt: skip


def _factors(points: list[tuple], index: int, problem: str) -> tuple[dict, list[dict]]:
    totals = dict.fromkeys(FACTORS, 0.0)
    used = []
    for factor, amount, problems, rationale, where in points:
        if where[index] and (not problems or problem in problems):
            totals[factor] += amount
            used.append({"factor": factor, "points": amount, "rationale": rationale})
    return {f: float(min(max(v, SCALE[0]), SCALE[1])) for f, v in totals.items()}, used


def _apply_edits(problems, actions, edits, facts, impact_table):
    orphans = []
    if edits is None:
        return problems, pd.DataFrame(orphans, columns=ORPHAN_COLUMNS)
    edits = checked_edits(edits)
    if edits.empty:
        return problems, pd.DataFrame(orphans, columns=ORPHAN_COLUMNS)
    problems = problems.copy()
    index_of = {da: i for i, da in enumerate(actions["data_action"])}
    points = None
    for edit in edits.to_dict("records"):
        da, problem = str(edit["data_action"]), str(edit["problem"])
        if da not in index_of:
            orphans.append({"data_action": da, "problem": problem,
                            "reason": "no data action of the inventory has this id: the flow or "
                            "its stage changed; edit the data action it became"})  # fmt: skip
            continue
        hit = problems.index[(problems["data_action"] == da) & (problems["problem"] == problem)]
        numbers = {k: edit.get(k) for k in ("likelihood", *FACTORS)}
        numbers = {k: float(v) for k, v in numbers.items() if v is not None and not pd.isna(v)}
        if len(hit) == 0:
            if "likelihood" not in numbers:
                orphans.append({"data_action": da, "problem": problem,
                                "reason": "the rules find no such problem here and the edit "
                                "gives no likelihood for it: give one"})  # fmt: skip
                continue
            if points is None:
                points = _impact_points(facts, impact_table)
            factors, _ = _factors(points, index_of[da], problem)
            row = {
                **dict.fromkeys(("reason", "selected_controls", "rationale"), ""),
                "data_action": da,
                "problem": problem,
                "problematic_data_actions": (),
                "rules": (),
                "likelihood": numbers["likelihood"],
                **factors,
                "source": "rules",
            }
            problems = pd.concat([problems, pd.DataFrame([row])], ignore_index=True)
            hit = problems.index[-1:]
        position = hit[0]
        for key, value in numbers.items():
            problems.at[position, key] = value
        if numbers:
            problems.at[position, "source"] = "edited"
            problems.at[position, "reason"] = cell_text(edit.get("reason"))
        for key in ("selected_controls", "rationale"):
            if cell_text(edit.get(key)).strip():
                problems.at[position, key] = cell_text(edit.get(key))
    order = {da: i for i, da in enumerate(actions["data_action"])}
    problems = (
        problems.assign(
            _a=problems["data_action"].map(order), _p=problems["problem"].map(PROBLEMS.index)
        )
        .sort_values(["_a", "_p"], kind="stable")
        .drop(columns=["_a", "_p"])
        .reset_index(drop=True)
    )
    return problems, pd.DataFrame(orphans, columns=ORPHAN_COLUMNS)


def _arithmetic(problems: pd.DataFrame, actions: pd.DataFrame) -> tuple:
    """NIST's arithmetic (worksheet 3): impact, risk, sums, percent, rank, outliers."""
    problems = problems.astype(dict.fromkeys(("likelihood", *FACTORS), float))
    problems["impact"] = problems[list(FACTORS)].sum(axis=1).astype(float)
    problems["risk"] = (problems["likelihood"] * problems["impact"]).astype(float)
    problems["outlier"] = _top(problems["risk"], OUTLIERS)
    sums = problems.groupby("data_action", sort=False)["risk"].sum()
    actions = actions.copy()
    actions["risk"] = actions["data_action"].map(sums).fillna(0.0).astype(float)
    total = float(actions["risk"].sum())
    actions["percent"] = actions["risk"] / total if total else 0.0
    risks = actions["risk"].to_numpy()
    # Excel's RANK(x, range, 0): 1 + how many values in the range are greater than x.
    ordered = np.sort(risks)
    actions["rank"] = (len(risks) - np.searchsorted(ordered, risks, side="right") + 1).astype(int)
    counts = problems.groupby("data_action", sort=False).size()
    actions["problem_count"] = actions["data_action"].map(counts).fillna(0).astype(int)
    flagged = set(problems.loc[problems["outlier"], "data_action"])
    actions["outlier"] = actions["data_action"].isin(flagged)
    return problems[PROBLEM_COLUMNS].reset_index(drop=True), actions


def _top(risks: pd.Series, n: int) -> pd.Series:
    """True for the values among the ``n`` highest (ties at the cut-off included, zero never)."""
    if risks.empty:
        return pd.Series(dtype=bool)
    values = np.sort(risks.to_numpy())[::-1]
    cut = values[min(n, len(values)) - 1]
    return (risks >= cut) & (risks > 0)


def _rollup(actions: pd.DataFrame, by: str) -> pd.DataFrame:
    """Risk per system (``systems``), external party or data category: every data action
    counts for each key it touches; ``highest`` is the first riskiest one in flow order."""
    total = float(actions["risk"].sum())
    name = {"systems": "system", "external_party": "party", "categories": "category"}[by]
    table = actions[[by, "data_action", "risk", "problem_count"]].explode(by)
    table = table[table[by].notna() & (table[by] != "")].rename(columns={by: name})
    groups = table.groupby(name, sort=False)
    riskiest = table.sort_values("risk", ascending=False, kind="stable").drop_duplicates(name)
    riskiest = riskiest.set_index(name)
    rollup = pd.DataFrame(
        {
            "data_actions": groups.size(),
            "problems": groups["problem_count"].sum().astype(int),
            "risk": groups["risk"].sum().astype(float),
        }
    )
    rollup["percent"] = rollup["risk"] / total if total else 0.0
    highest = riskiest["data_action"].where(riskiest["risk"] > 0, "")
    rollup["highest"] = highest.reindex(rollup.index).fillna("")
    rollup.index.name = name
    rollup = rollup.reset_index().sort_values(
        ["risk", name], ascending=[False, True], kind="stable"
    )
    if by == "categories":
        rollup.insert(1, "label", [cats.label(c) for c in rollup[name]])
    return rollup.set_index(name)[[*(["label"] if by == "categories" else []), *ROLLUP_COLUMNS]]
