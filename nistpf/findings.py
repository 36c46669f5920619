"""Data-flow findings: weaknesses that one row of the DataFlows sheet shows on its face.

A finding names the Privacy Framework Subcategory a flow undermines and caps level(s, y) of the
systems it touches (DESIGN §5): personal data sent unencrypted, shared with no recorded basis,
kept with no retention period, sent to a system nobody inventoried… The rules are data, not
code — ``nistpf/data/rules.csv`` — so a consultant can read them, change a cap, or add a rule.

**Rules file** (UTF-8 CSV, one rule a row): ``id`` (stable, R01…), ``description`` (one
sentence), ``condition`` (below), ``subcategory`` (a PF Subcategory ID), ``severity`` (High,
Medium, Low), ``cap`` (the level the finding caps level(s, y) at, on the 0-4 tiers scale; the
scoring engine rescales it), ``touches`` (``both``, ``source`` or ``destination``: whose levels
are capped; only endpoints that are systems in the inventory are ever touched) and ``message``
(a ``str.format`` template over ``{flow_id}``, ``{source}``, ``{destination}``, the other text
facts, ``{categories}`` and ``{sensitive}``: the flow's categories and its sensitive ones,
``"; "``-joined, "categories not recorded" when blank). :func:`load_rules` validates every row
and raises :class:`RuleError` naming the rule and the problem.

**Condition grammar**: a boolean expression over the flow facts, parsed once and evaluated
over all flows at once (column by column in numpy; nothing is passed to ``eval``). Allowed:
``and``, ``or``, ``not``, parentheses, the boolean facts as they are (``personal and
unencrypted``) and text facts compared with ``==`` / ``!=`` to a quoted value or to another
text fact (``stage != 'disposal'``, ``destination_type == 'AI'``). Nothing else (no
arithmetic, no functions, no ``@`` variables): an unknown column or a syntax error is a
:class:`RuleError`.

**Flow facts** (:func:`flow_facts`, one row per flow in the inventory's order). Text, ``""``
when blank: ``flow_id``, ``source``, ``destination``, ``stage``, ``minimization``,
``purpose``, ``consent_basis``, ``owner``, ``source_type`` and ``destination_type`` (the
Systems sheet's type; ``""`` for an external or unknown endpoint). Booleans, never missing:

- ``personal``: the flow carries personal data. True unless every category is a Fides
  ``system.`` key (data about a system, not a person); blank categories count as personal,
  since a CX inventory's flows carry customer data unless the client states otherwise;
- ``sensitive``: a category is sensitive (``nistpf/data/sensitive_categories.csv``: it starts
  with a listed Fides key — the key itself or key + ``.`` — or holds a listed keyword as a whole
  word, case-insensitively, an ``s`` plural allowed);
- ``unencrypted``: encrypted_in_transit is explicitly no; ``encryption_unknown``: it is blank
  (unknown is never taken for unencrypted);
- ``no_purpose``, ``no_consent_basis``, ``no_owner``: the cell is blank or says none, n/a,
  unknown, TBC or TBD; ``no_retention``: retention_days is missing (0 is a period);
- ``minimised``: minimization is masked, tokenized, pseudonymized or aggregated (blank is none);
- ``external_source``, ``external_destination``: the endpoint is ``external:<party>``;
- ``third_party``: the third_party cell is yes; ``shared``: external_destination or third_party;
- ``source_known``, ``destination_known``: the endpoint is a system of the Systems sheet
  (in scope or not); ``unknown_system``: an endpoint is neither a system nor external;
- ``internal``: source and destination are the same (a flow inside one system);
- ``tracking``: a category records behaviour, a device or a location (Fides ``user.behavior``,
  ``user.device``, ``user.location``, ``user.unique_id``: what tracking builds on);
  ``financial``: a category is under ``user.financial`` or ``user.payment``; ``children``: a
  category is ``user.childrens`` or names children; ``stigmatizing``: a sensitive category
  that is not financial (health, biometric, precise location, children's, government ID: what
  NIST's PRAM catalog calls data that can stigmatise);
- of the systems the flow touches (its endpoints in the Systems sheet): ``customer_facing``
  (one has a channel), ``critical`` (one has criticality High), ``records_100k`` and
  ``records_1m`` (one holds at least 100,000 / 1,000,000 records).

List columns, for messages and reports only (not usable in conditions): ``data_categories``
and ``sensitive_categories``.

Rules the flow data cannot show (identity of bots and service accounts, whether a BPO was
audited) belong to controls and assessor ratings, not here.

>>> import nistpf, nistpf.sample
>>> inventory = nistpf.load_inventory(nistpf.sample.sample_path())
>>> findings = evaluate_findings(inventory)
>>> findings.loc[findings["rule"] == "R01", "finding_id"].tolist()
['R01:F-018', 'R01:F-030']
"""

from __future__ import annotations

import ast
import difflib
import functools
import re
import string
from importlib import resources
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from nistpf.errors import NistpfError, UnknownIdError
from nistpf.framework import Framework
from nistpf.framework import framework as load_framework
from nistpf.inventory.model import Inventory
from nistpf.inventory.schema import EXTERNAL_PREFIX

# fmt: off
RULE_COLUMNS = ["id", "description", "condition", "subcategory", "severity", "cap", "touches",
                "message"]
FINDING_COLUMNS = ["finding_id", "rule", "flow_id", "subcategory", "systems", "severity", "cap",
                   "message"]
# The DataFlows sheet's own text columns, then the endpoints' system types.
TEXT_FACTS = ("flow_id", "source", "destination", "stage", "minimization", "purpose",
              "consent_basis", "owner", "source_type", "destination_type")
BOOL_FACTS = ("personal", "sensitive", "unencrypted", "encryption_unknown", "no_purpose",
              "no_consent_basis", "no_retention", "no_owner", "minimised", "external_source",
              "external_destination", "third_party", "shared", "source_known",
              "destination_known", "unknown_system", "internal", "tracking", "financial",
              "children", "stigmatizing", "customer_facing", "critical", "records_100k",
              "records_1m")
# fmt: on
LIST_FACTS = ("data_categories", "sensitive_categories")
FACT_COLUMNS = [*TEXT_FACTS, *BOOL_FACTS, *LIST_FACTS]
PLACEHOLDERS = (*TEXT_FACTS, "categories", "sensitive")
SEVERITIES = ("High", "Medium", "Low")
TOUCHES = ("both", "source", "destination")
MINIMISED = ("masked", "tokenized", "pseudonymized", "aggregated")
CAP_RANGE = (0.0, 4.0)
SENSITIVE_KINDS = ("fides-prefix", "keyword")
NO_CATEGORIES = "categories not recorded"
# A condition reads as one line of a rules file: bounded so that no file can make the parser
# recurse without end (200 nested parentheses exhaust Python's).
MAX_CONDITION_CHARS = 1_000
MAX_CONDITION_DEPTH = 20
# What people write in a purpose, consent basis or owner cell when there is none.
NOT_RECORDED = frozenset({"", "none", "n/a", "na", "-", "unknown", "tbc", "tbd"})
_PACKAGE_RULES = "nistpf/data/rules.csv"


class RuleError(NistpfError, ValueError):
    """A rules file (or rules table) that cannot be used: ``rule`` is the rule's id (None for
    a problem with the whole file), ``problem`` says what is wrong and how to fix it."""

    code = "rule-invalid"

    def __init__(self, rule: str | None, problem: str, *, source: str = "rules"):
        self.rule = rule
        self.problem = problem
        self.source = source
        where = f"rule {rule}: " if rule else ""
        super().__init__(f"{source}: {where}{problem}")


# -- rules ------------------------------------------------------------------------------------
def load_rules(
    path: str | PathLike[str] | None = None, *, framework: Framework | str | None = None
) -> pd.DataFrame:
    """The rules in ``path`` (default: the package's ``rules.csv``), validated against
    ``framework`` (a Framework or a version; default the newest final one): ``RULE_COLUMNS``
    and any extra columns, subcategory IDs normalised, ``cap`` as float."""
    fw = framework if isinstance(framework, Framework) else load_framework(framework)
    if path is None:
        return _package_rules(fw.version).copy()
    source = str(path)
    try:
        table = _read_csv(path, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise RuleError(None, f"cannot read the rules file ({e})", source=source) from e
    return _validated(table, fw, source)


@functools.lru_cache(maxsize=8)
def _package_rules(version: str) -> pd.DataFrame:
    """The package's rules, validated once per framework version."""
    with _package_file("rules.csv").open("r", encoding="utf-8", newline="") as handle:
        return _validated(_read_csv(handle), load_framework(version), _PACKAGE_RULES)


def _read_csv(handle, **options) -> pd.DataFrame:
    return pd.read_csv(handle, dtype=str, keep_default_na=False, **options).astype(object)


def _package_file(name: str):
    return resources.files("nistpf") / "data" / name


def _validated(table: pd.DataFrame, fw: Framework, source: str) -> pd.DataFrame:
    """A checked copy of ``table``: every problem raises RuleError naming the rule."""
    table = table.rename(columns=lambda c: str(c).strip().lower())
    missing = [c for c in RULE_COLUMNS if c not in table.columns]
    if missing:
        raise RuleError(
            None,
            f"missing column(s) {', '.join(missing)}; a rules file has the columns "
            f"{', '.join(RULE_COLUMNS)}",
            source=source,
        )
    rows, kept, seen = [], [], set()
    for line, record in enumerate(table[RULE_COLUMNS].to_dict("records"), start=2):
        cells = {c: "" if pd.isna(v) else str(v).strip() for c, v in record.items()}
        if not any(cells.values()):  # a blank row, as spreadsheets leave them
            continue
        rule = cells["id"]
        if not rule:
            raise RuleError(None, f"row {line} has no id", source=source)
        if rule in seen:
            raise RuleError(rule, "the id is used by two rules; ids must be unique", source=source)
        seen.add(rule)
        problem = _rule_problem(cells, fw)
        if problem:
            raise RuleError(rule, problem, source=source)
        rows.append(cells)
        kept.append(line - 2)
    checked = pd.DataFrame(rows, columns=RULE_COLUMNS, dtype=object)
    checked["cap"] = checked["cap"].astype(float)
    extra = table.drop(columns=RULE_COLUMNS).iloc[kept].reset_index(drop=True)
    return pd.concat([checked, extra], axis=1)


def _rule_problem(cells: dict[str, str], fw: Framework) -> str | None:
    """What is wrong with one rule (``cells`` is normalised in place), or None."""
    if not cells["description"]:
        return "description is empty; say in one sentence what the rule finds"
    condition = " ".join(cells["condition"].splitlines())
    problem = _condition_problem(condition)
    if problem:
        return f"condition {condition!r}: {problem}"
    cells["condition"] = condition
    try:
        pf_id = fw.normalize_id(cells["subcategory"])
    except UnknownIdError as error:
        return f"subcategory: {error}"
    if fw.get(pf_id).level != "subcategory":
        return f"subcategory {pf_id} is a {fw.get(pf_id).level}; name one of its Subcategories"
    cells["subcategory"] = pf_id
    severity = {s.casefold(): s for s in SEVERITIES}.get(cells["severity"].casefold())
    if severity is None:
        return f"severity {cells['severity']!r} is not one of {', '.join(SEVERITIES)}"
    cells["severity"] = severity
    try:
        cap = float(cells["cap"])
    except ValueError:
        cap = float("nan")
    if not CAP_RANGE[0] <= cap <= CAP_RANGE[1]:
        return f"cap {cells['cap']!r} is not a level from 0 to 4 (the tiers scale)"
    cells["cap"] = cap
    cells["touches"] = cells["touches"].casefold()
    if cells["touches"] not in TOUCHES:
        return f"touches {cells['touches']!r} is not one of {', '.join(TOUCHES)}"
    return _message_problem(cells["message"])


def _condition_problem(condition: str) -> str | None:
    if not condition:
        return "the condition is empty"
    if len(condition) > MAX_CONDITION_CHARS:
        return f"it is {len(condition):,} characters long; a condition has at most 1,000"
    if condition.count("(") > MAX_CONDITION_DEPTH:
        return f"it opens more than {MAX_CONDITION_DEPTH} parentheses; write a simpler condition"
    try:
        tree = ast.parse(condition, mode="eval")
        return _grammar_problem(tree.body)
    except SyntaxError as error:
        return f"syntax error ({error.msg})"
    except (RecursionError, MemoryError):  # nested too deeply for Python's parser
        return "it is nested too deeply; write a simpler condition"


def _grammar_problem(node: ast.AST) -> str | None:
    """Why ``node`` is outside the condition grammar (see the module docstring), or None."""
    if isinstance(node, ast.BoolOp):  # and / or
        return next(filter(None, map(_grammar_problem, node.values)), None)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return _grammar_problem(node.operand)
    if isinstance(node, ast.Name):
        if node.id in TEXT_FACTS:
            return f"{node.id} is text; compare it: {node.id} == 'value'"
        return None if node.id in BOOL_FACTS else _unknown_column(node.id)
    if isinstance(node, ast.Compare):
        if len(node.ops) != 1 or not isinstance(node.ops[0], ast.Eq | ast.NotEq):
            return "compare with == or != only, one comparison at a time"
        sides = [node.left, *node.comparators]
        for side in sides:
            if isinstance(side, ast.Constant) and isinstance(side.value, str):
                continue
            if not isinstance(side, ast.Name):
                return f"{ast.unparse(side)} cannot be compared; use a text fact or a 'value'"
            if side.id in BOOL_FACTS:
                return f"{side.id} is true or false; write {side.id} or not {side.id}"
            if side.id not in TEXT_FACTS:
                return _unknown_column(side.id)
        if not any(isinstance(side, ast.Name) for side in sides):
            return "a comparison needs a fact column"
        return None
    return (
        f"{ast.unparse(node)!r} is not allowed; use and, or, not, ==, !=, parentheses, "
        "fact columns and 'quoted values'"
    )


def condition_problem(condition: str) -> str | None:
    """Why ``condition`` is outside the condition grammar (module docstring), or None: the check
    every rules file of flow facts uses (data-flow findings, NIST PRAM rules)."""
    return _condition_problem(" ".join(str(condition).splitlines()))


def holds(facts: pd.DataFrame, condition: str) -> np.ndarray:
    """Where a checked ``condition`` holds over :func:`flow_facts`, one bool per flow."""
    return _holds(facts, " ".join(str(condition).splitlines()))


def _unknown_column(name: str) -> str:
    close = difflib.get_close_matches(name, [*BOOL_FACTS, *TEXT_FACTS], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown column {name!r}{hint}; the flow facts are listed in nistpf.findings"


def _message_problem(message: str) -> str | None:
    if not message:
        return "message is empty"
    try:
        fields = [
            field for _, field, _, _ in string.Formatter().parse(message) if field is not None
        ]
    except ValueError as error:
        return f"message: {error} (write {{{{ and }}}} for literal braces)"
    unknown = [f for f in fields if f not in PLACEHOLDERS]
    known = ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
    return f"message placeholder {{{unknown[0]}}} is unknown; use {known}" if unknown else None


# -- sensitive categories ---------------------------------------------------------------------
@functools.cache
def _sensitive_matcher() -> tuple[tuple[str, ...], re.Pattern[str]]:
    with _package_file("sensitive_categories.csv").open("r", encoding="utf-8") as handle:
        table = _read_csv(handle)
    unknown = sorted(set(table["kind"]) - set(SENSITIVE_KINDS))
    if unknown:
        raise RuleError(None, f"unknown kind {unknown[0]!r}", source="sensitive_categories.csv")
    prefixes = tuple(
        p.strip().casefold() for p in table.loc[table["kind"] == "fides-prefix", "pattern"]
    )
    keywords = sorted(table.loc[table["kind"] == "keyword", "pattern"], key=len, reverse=True)
    # Words of a keyword may be separated by spaces, "_" or "-"; a word ends where letters and
    # digits end, so "user.health_and_medical" holds "health" and "Schufa-Score" holds nothing.
    alternatives = "|".join(r"[\s_\-]+".join(map(re.escape, k.split())) for k in keywords)
    return prefixes, re.compile(rf"(?<![^\W_])(?:{alternatives})s?(?![^\W_])", re.IGNORECASE)


def is_sensitive(category: str) -> bool:
    """Is ``category`` (a Fides key or a plain label) sensitive, by sensitive_categories.csv?

    >>> is_sensitive("user.financial.credit_card"), is_sensitive("user.contact.email")
    (True, False)
    """
    prefixes, keywords = _sensitive_matcher()
    key = str(category).strip().casefold()
    if any(key == p or key.startswith(p + ".") for p in prefixes):
        return True
    return keywords.search(str(category)) is not None


# -- facts and findings -----------------------------------------------------------------------
def flow_facts(inventory: Inventory) -> pd.DataFrame:
    """One row per flow of ``inventory`` with the facts rule conditions test (``FACT_COLUMNS``,
    described in the module docstring). The inventory's tables are only read."""
    flows, systems = inventory.flows.reset_index(drop=True), inventory.systems
    types = dict(zip(systems["system_id"], systems["type"].fillna(""), strict=True))
    text = {c: _text(flows[c]) for c in TEXT_FACTS[:8]}
    source, destination = text["source"], text["destination"]
    categories = [_categories(value) for value in flows["data_categories"]]
    distinct = set().union(*categories)
    sensitive_set = {c for c in distinct if is_sensitive(c)}
    system_data = {c for c in distinct if c.strip().casefold().startswith("system.")}
    sensitive = [tuple(c for c in cats if c in sensitive_set) for cats in categories]
    encrypted = flows["encrypted_in_transit"].astype("boolean")
    third_party = flows["third_party"].astype("boolean").eq(True).fillna(False)
    external_source = source.str.startswith(EXTERNAL_PREFIX)
    external_destination = destination.str.startswith(EXTERNAL_PREFIX)
    source_known = source.isin(set(types))
    destination_known = destination.isin(set(types))
    facts = pd.DataFrame(
        {
            **text,
            "source_type": source.map(types).fillna("").astype(object),
            "destination_type": destination.map(types).fillna("").astype(object),
            "personal": [not cats or not set(cats) <= system_data for cats in categories],
            "sensitive": [bool(found) for found in sensitive],
            "unencrypted": encrypted.eq(False).fillna(False),
            "encryption_unknown": encrypted.isna(),
            "no_purpose": _not_recorded(text["purpose"]),
            "no_consent_basis": _not_recorded(text["consent_basis"]),
            "no_retention": flows["retention_days"].isna(),
            "no_owner": _not_recorded(text["owner"]),
            "minimised": text["minimization"].str.casefold().isin(MINIMISED),
            "external_source": external_source,
            "external_destination": external_destination,
            "third_party": third_party,
            "shared": external_destination | third_party,
            "source_known": source_known,
            "destination_known": destination_known,
            "unknown_system": (~source_known & ~external_source)
            | (~destination_known & ~external_destination),
            "internal": source == destination,
            "tracking": [any(c.casefold().startswith(_TRACKING) for c in cs) for cs in categories],
            "financial": [
                any(c.casefold().startswith(_FINANCIAL) for c in cs) for cs in categories
            ],
            "children": [any(_CHILDREN.search(c) for c in cs) for cs in categories],
            "stigmatizing": [
                any(not c.casefold().startswith(_FINANCIAL) for c in found) for found in sensitive
            ],
            **_endpoint_facts(source, destination, systems),
            "data_categories": pd.Series(categories, dtype=object),
            "sensitive_categories": pd.Series(sensitive, dtype=object),
        }
    )
    return facts.astype(dict.fromkeys(BOOL_FACTS, bool))[FACT_COLUMNS]


_TRACKING = ("user.behavior", "user.device", "user.location", "user.unique_id")
_FINANCIAL = ("user.financial", "user.payment")
_CHILDREN = re.compile(r"user\.childrens|\bchild(ren)?('s)?\b|\bkids?\b|\bminors?\b", re.IGNORECASE)


def _has_any(value: object) -> bool:
    if isinstance(value, tuple | list):
        return bool(value)
    return isinstance(value, str) and bool(value.strip())


def _endpoint_facts(source: pd.Series, destination: pd.Series, systems: pd.DataFrame) -> dict:
    """Facts of the systems a flow touches: either endpoint that is in the Systems sheet."""
    ids = systems["system_id"]
    channels = dict(zip(ids, systems["channels"].map(_has_any), strict=True))
    critical = dict(zip(ids, systems["criticality"].eq("High").fillna(False), strict=True))
    records = dict(
        zip(ids, pd.to_numeric(systems["records"], errors="coerce").fillna(0), strict=True)
    )

    def either(table: dict, test) -> list[bool]:
        return [
            bool(test(table.get(s, 0))) or bool(test(table.get(d, 0)))
            for s, d in zip(source, destination, strict=True)
        ]

    return {
        "customer_facing": either(channels, bool),
        "critical": either(critical, bool),
        "records_100k": either(records, lambda n: n >= 100_000),
        "records_1m": either(records, lambda n: n >= 1_000_000),
    }


def _text(column: pd.Series) -> pd.Series:
    return pd.Series(["" if pd.isna(v) else str(v) for v in column], dtype=object)


def _categories(value: object) -> tuple[str, ...]:
    if isinstance(value, tuple | list):
        return tuple(str(v) for v in value)
    return (str(value),) if isinstance(value, str) and value.strip() else ()


def _not_recorded(column: pd.Series) -> pd.Series:
    return column.str.strip().str.casefold().isin(NOT_RECORDED)


def evaluate_findings(
    inventory: Inventory, rules: pd.DataFrame | str | PathLike[str] | None = None
) -> pd.DataFrame:
    """Every (rule, flow) whose condition holds, as ``FINDING_COLUMNS``: ``finding_id``
    (``"R01:F-030"``), ``systems`` (the touched endpoints that are inventory systems, source
    first, no repeats; may be empty), ``cap`` (float), ``message`` (the filled template);
    sorted by rule id, then flow order. ``rules``: a table from :func:`load_rules`, a rules
    file, or None for the package's rules; it is validated against the inventory's framework
    version. Each condition is evaluated once over all flows."""
    fw = load_framework(inventory.framework_version)
    if rules is None:
        table = load_rules(framework=fw)
    elif isinstance(rules, pd.DataFrame):
        table = _validated(rules, fw, "rules")
    else:
        table = load_rules(rules, framework=fw)
    facts = flow_facts(inventory).reset_index(drop=True)
    found: dict[str, list] = {column: [] for column in FINDING_COLUMNS}
    for rule in sorted(table.to_dict("records"), key=lambda r: _natural(r["id"])):
        if not len(facts):
            break
        hits = facts[_holds(facts, rule["condition"])]
        if len(hits):
            for column, values in _rule_findings(hits, rule).items():
                found[column].extend(values)
    result = pd.DataFrame({c: pd.Series(found[c], dtype=object) for c in FINDING_COLUMNS})
    return result.astype({"cap": float})


def _natural(rule_id: str) -> list[object]:
    """Sort key: ``R2`` before ``R10``."""
    return [int(p) if p.isdigit() else p.casefold() for p in re.split(r"(\d+)", rule_id)]


def _holds(facts: pd.DataFrame, condition: str) -> np.ndarray:
    """Where ``condition`` holds, one bool per flow: the validated expression tree is walked
    over whole columns (numpy), with no string evaluation."""
    return np.asarray(_evaluate(_parsed(condition), facts), dtype=bool)


@functools.lru_cache(maxsize=256)
def _parsed(condition: str) -> ast.AST:
    return ast.parse(condition, mode="eval").body


def _evaluate(node: ast.AST, facts: pd.DataFrame) -> Any:
    """The value of a node of the condition grammar over all flows at once."""
    if isinstance(node, ast.BoolOp):
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        return combine.reduce([_evaluate(value, facts) for value in node.values])
    if isinstance(node, ast.UnaryOp):  # not
        return np.logical_not(_evaluate(node.operand, facts))
    if isinstance(node, ast.Compare):
        left, right = (_evaluate(side, facts) for side in (node.left, node.comparators[0]))
        equal = np.asarray(left == right, dtype=bool)
        return equal if isinstance(node.ops[0], ast.Eq) else ~equal
    if isinstance(node, ast.Constant):
        return node.value
    return facts[node.id].to_numpy()  # a Name: checked against the facts when the rule loaded


def _rule_findings(hits: pd.DataFrame, rule: dict) -> dict[str, list]:
    """The findings of one rule on the flows (rows of the facts) where it holds, as columns."""
    keep_source = hits["source_known"] & (rule["touches"] != "destination")
    keep_destination = hits["destination_known"] & (rule["touches"] != "source")
    ends = zip(hits["source"], hits["destination"], keep_source, keep_destination, strict=True)
    systems = [tuple(dict.fromkeys(e for e, k in ((s, ks), (d, kd)) if k)) for s, d, ks, kd in ends]
    template = rule["message"]
    columns = {}
    for field in {f for _, f, _, _ in string.Formatter().parse(template) if f}:
        if field in ("categories", "sensitive"):
            lists = hits["data_categories" if field == "categories" else "sensitive_categories"]
            empty = NO_CATEGORIES if field == "categories" else ""
            columns[field] = ["; ".join(c) or empty for c in lists]
        else:
            columns[field] = hits[field].tolist()
    rows = zip(*columns.values(), strict=True) if columns else [()] * len(hits)
    messages = [template.format_map(dict(zip(columns, row, strict=True))) for row in rows]
    flow_ids = hits["flow_id"].tolist()
    count = len(flow_ids)
    return {
        "finding_id": [f"{rule['id']}:{f}" for f in flow_ids],
        "rule": [rule["id"]] * count,
        "flow_id": flow_ids,
        "subcategory": [rule["subcategory"]] * count,
        "systems": systems,
        "severity": [rule["severity"]] * count,
        "cap": [float(rule["cap"])] * count,
        "message": messages,
    }
