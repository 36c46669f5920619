"""Trace where customer data goes: every path a data category takes through the CX stack.

*If something goes wrong, can the team trace exactly where customer data went?* A journey is
built from the DataFlows sheet alone: each flow carrying the category is a hop, and a path
follows hops from where the data enters (a flow from ``external:<party>``, a ``collection``
flow, or a system no other flow feeds with it) to where it ends:

- ``disposed``: the last hop is a ``disposal`` flow;
- ``leaves the company``: the last hop goes to ``external:<party>``;
- ``never disposed``: the data rests in a system with no onward flow and no disposal flow for
  it — the retention gap NIST PF CT.DM-P5 ("data are destroyed according to policy") asks about.

A path never visits a system twice (a loop ends the path where it would close). A system that
both disposes of the data and sends it on gives one path for each. Flows no path from an entry
point reaches start paths of their own, so that every flow carrying the category is on a path.

Gaps a consultant must see (``Trace.gaps``): paths that are never disposed of; data that reaches
an external party or an AI system (a system of type ``AI``); hops with no named owner (PF
ID.IM-P2); and categories collected but used nowhere — collected, yet carried by no ``use``,
``transfer``, ``sharing`` (or NISTIR 8062 ``generation``/``transformation``) flow, so kept
without a purpose any flow records (PF CT.DM-P: data minimisation).

Paths grow exponentially on densely connected stacks: at most ``max_paths`` paths are listed
per category (``Trace.truncated`` names the categories cut short) and a path has at most
``MAX_HOPS`` hops.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources

import pandas as pd

from nistpf.errors import NistpfError
from nistpf.findings import NOT_RECORDED, evaluate_findings, is_sensitive
from nistpf.flows import categories as cats
from nistpf.inventory.model import Inventory
from nistpf.inventory.schema import EXTERNAL_PREFIX

# fmt: off
HOP_COLUMNS = ["category", "path", "step", "flow_id", "source", "destination", "stage", "action",
               "purpose", "encrypted_in_transit", "minimization", "consent_basis",
               "retention_days", "owner", "third_party", "findings", "match"]
PATH_COLUMNS = ["path", "category", "flows", "start", "end", "ending", "external", "ai"]
GAP_COLUMNS = ["category", "kind", "path", "flow_id", "system", "message"]
CATEGORY_COLUMNS = ["category", "label", "sensitive", "paths", "flows", "systems",
                    "external_parties", "ai_systems", "disposed"]
# fmt: on
ENDINGS = ("disposed", "leaves the company", "never disposed")
GAP_KINDS = ("never disposed", "external party", "AI system", "no owner", "collected, used nowhere")
# Stages (and NISTIR 8062 data actions) that put data to use; a category collected but carried by
# none of them is "collected, used nowhere".
USING_STAGES = frozenset({"use", "transfer", "sharing", "generation", "transformation"})
MAX_PATHS = 500
MAX_HOPS = 25


class UnknownCategoryError(NistpfError, LookupError):
    """A data category no flow carries, or a system the inventory does not list."""

    code = "trace-unknown"


@dataclass(frozen=True)
class Trace:
    """The journeys of one or more data categories (see the module docstring).

    - ``hops``: ``HOP_COLUMNS``, one row per hop of every path, in path then step order;
      ``action`` is the NISTIR 8062 data action of the flow's stage, ``findings`` the ids of
      the data-flow findings on the flow, ``match`` how the flow's category matched
      (:data:`nistpf.flows.categories.MATCH_KINDS`);
    - ``paths``: ``PATH_COLUMNS``, one row per path: its flows, first source, last
      destination, ``ending`` (:data:`ENDINGS`), ``external`` and ``ai`` (it reaches an
      external party / an AI system);
    - ``gaps``: ``GAP_COLUMNS``, ``kind`` one of :data:`GAP_KINDS`;
    - ``categories``: ``CATEGORY_COLUMNS``, one row per category traced.
    """

    hops: pd.DataFrame
    paths: pd.DataFrame
    gaps: pd.DataFrame
    categories: pd.DataFrame
    truncated: tuple[str, ...] = field(default=())

    def __repr__(self) -> str:
        return (
            f"<Trace of {len(self.categories)} categories: {len(self.paths)} paths, "
            f"{len(self.gaps)} gaps>"
        )

    def journey(self, category: str) -> pd.DataFrame:
        """The hops of one traced category (rows of :attr:`hops`)."""
        return self.hops[self.hops["category"] == category].reset_index(drop=True)


@functools.cache
def _actions() -> dict[str, str]:
    path = resources.files("nistpf") / "data" / "data_actions.csv"
    with path.open("r", encoding="utf-8", newline="") as handle:
        table = pd.read_csv(handle, dtype=str, keep_default_na=False)
    return dict(zip(table["stage"], table["action"], strict=True))


def data_action(stage: object) -> str:
    """The NISTIR 8062 data action a DataFlows ``stage`` stands for (``storage`` →
    ``retention``, ``sharing`` → ``disclosure``; ``nistpf/data/data_actions.csv``);
    ``unspecified`` for a blank stage."""
    text = "" if stage is None or pd.isna(stage) else str(stage).strip().casefold()
    return _actions().get(text, _actions()[""])


def trace(
    inventory: Inventory,
    *,
    data_category: str | None = None,
    system: str | None = None,
    findings: pd.DataFrame | None = None,
    max_paths: int = MAX_PATHS,
) -> Trace:
    """Every path customer data takes through ``inventory``'s flows (module docstring).

    ``data_category``: one category, by Fides key (``user.contact`` covers
    ``user.contact.email``), by the taxonomy's name, or by a label as the flows write it; None
    traces every category the flows carry, each on its own. ``system``: keep only the paths
    through that system (an ID of the Systems sheet, or ``external:<party>``). ``findings``:
    the data-flow findings to show per hop (default: evaluated from the inventory's flows).

    Raises :class:`UnknownCategoryError` when no flow carries the category, or the system is
    neither in the Systems sheet nor an endpoint of a flow (the message lists close matches).
    """
    flows = inventory.flows.reset_index(drop=True)
    if findings is None:
        findings = evaluate_findings(inventory)
    by_flow: dict[str, tuple[str, ...]] = {}
    for flow_id, finding_id in zip(findings["flow_id"], findings["finding_id"], strict=True):
        by_flow[flow_id] = (*by_flow.get(flow_id, ()), finding_id)
    types = dict(zip(inventory.systems["system_id"], inventory.systems["type"], strict=True))
    if system is not None:
        system = _known_system(system, inventory, flows)
    records = flows.to_dict("records")
    index = cats.CategoryIndex(c for r in records for c in _listed(r["data_categories"]))
    written = index.names
    queries = written if data_category is None else [_known_category(data_category, index)]
    listed = [
        tuple(dict.fromkeys(index.name(c) for c in _listed(r["data_categories"]))) for r in records
    ]
    flows_of: dict[str, list[int]] = {}
    for position, categories in enumerate(listed):
        for name in categories:
            flows_of.setdefault(name, []).append(position)
    hops, paths, gaps, summary, truncated = [], [], [], [], []
    cells: dict[str, dict] = {}
    for query in queries:
        # Tracing every category, a parent written on a flow (user.contact) is traced by the
        # flows that write it, not again by its children's flows, which are traced on their own.
        kind_of = {
            c: k
            for c, k in index.matches(query).items()
            if not (data_category is None and k == "narrower")
        }
        if data_category is None:
            kind_of[query] = "exact"
        positions = sorted({p for c in kind_of for p in flows_of.get(c, ())})
        matched = []
        for position in positions:
            found = [c for c in listed[position] if c in kind_of]
            kind = _best([kind_of[c] for c in found])
            matched.append(_Hop(records[position], kind, frozenset(found)))
        journeys, cut = _paths(matched, max_paths, index.related)
        prefix = "P"
        if cut and system is not None:
            # Too many paths to list them all: the system's own are found among the flows that
            # lead to it or from it, so none is lost to the cut (named S1, S2, …, since the
            # whole list, which P-names number, was cut short).
            journeys, cut = _paths(_around(matched, system), max_paths, index.related)
            prefix = "S"
        if cut:
            truncated.append(query)
        # Paths are numbered per category before a system narrows them, so P3 of a category is
        # the same path in every view (the register, a trace of one category or one system).
        numbered = [(f"{prefix}{n}", hop_list) for n, hop_list in enumerate(journeys, start=1)]
        if system is not None:
            numbered = [
                (name, hop_list)
                for name, hop_list in numbered
                if any(system in (h.record["source"], h.record["destination"]) for h in hop_list)
            ]
            if not numbered:
                continue
        rows = [_path_row(name, query, hop_list, types) for name, hop_list in numbered]
        paths.extend(rows)
        for name, hop_list in numbered:
            for step, hop in enumerate(hop_list, start=1):
                hops.append(_hop_row(query, name, step, hop.record, hop.kind, cells, by_flow))
        on_paths = matched if system is None else [h for _, hl in numbered for h in hl]
        gaps.extend(_gaps(query, numbered, rows, types, on_paths, matched))
        summary.append(_summary(query, numbered, rows, types))
    return Trace(
        _frame(hops, HOP_COLUMNS),
        _frame(paths, PATH_COLUMNS),
        _frame(gaps, GAP_COLUMNS).drop_duplicates(ignore_index=True),
        _frame(summary, CATEGORY_COLUMNS),
        tuple(truncated),
    )


@dataclass(frozen=True, eq=False)
class _Hop:
    """A flow on a trace: its DataFlows row, how it matched, and the categories it carries
    that matched (what moves on along the path)."""

    record: dict
    kind: str
    carried: frozenset


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=object) for c in columns})


def _listed(value: object) -> tuple[str, ...]:
    if isinstance(value, tuple | list):
        return tuple(str(v) for v in value if str(v).strip())
    return (str(value),) if isinstance(value, str) and value.strip() else ()


def _best(kinds: list[str]) -> str:
    return min(kinds, key=cats.MATCH_KINDS.index)


def _known_category(query: str, index: cats.CategoryIndex) -> str:
    text = str(query).strip()
    key, _ = cats.key_of(text)
    # A key must name a category: the taxonomy's, or one the flows write (or a parent of one),
    # so that a misspelt child of a listed parent (user.contact.emial) is not taken for it.
    kinds = index.matches(text) if text else {}
    named = (
        key is None
        or cats.is_category(key)
        or any(k in ("exact", "narrower", "label") for k in kinds.values())
    )
    if named and kinds:
        return text
    shown_text = text if len(text) <= 80 else text[:79] + "…"
    close = difflib.get_close_matches(text[:200], index.names, n=3, cutoff=0.5)
    hint = f"; close matches: {', '.join(close)}" if close else ""
    raise UnknownCategoryError(
        f"no data flow carries a category matching {shown_text!r}{hint}; give a Fides key "
        "(user.contact covers user.contact.email), a Fides name, or a label as the DataFlows "
        "sheet writes it"
    )


def _known_system(system: str, inventory: Inventory, flows: pd.DataFrame) -> str:
    text = str(system).strip()
    known = list(inventory.systems["system_id"])
    endpoints = list(dict.fromkeys([*flows["source"], *flows["destination"]]))
    folded = {str(s).casefold(): str(s) for s in [*known, *endpoints]}
    if text.casefold() in folded:
        return folded[text.casefold()]
    close = difflib.get_close_matches(text, list(folded.values()), n=3, cutoff=0.5)
    hint = f"; close matches: {', '.join(close)}" if close else ""
    raise UnknownCategoryError(
        f"system {text!r} is not in the Systems sheet and no flow names it{hint}; give a "
        "system ID or external:<party>"
    )


def _paths(
    matched: list[_Hop], max_paths: int, related: Callable[[str], frozenset]
) -> tuple[list[list[_Hop]], bool]:
    """The paths over the matched flows (module docstring), at most ``max_paths``. A hop goes
    on only with data the previous hop carried (or part of it, or what contains it): a path
    of ``user.contact`` that moved phone numbers does not end at a disposal of e-mails."""
    onward: dict[str, list[_Hop]] = {}
    fed: set[str] = set()
    for hop in matched:
        onward.setdefault(hop.record["source"], []).append(hop)
        if hop.record["source"] != hop.record["destination"]:
            fed.add(hop.record["destination"])
    starts = [
        hop
        for hop in matched
        if hop.record["source"].startswith(EXTERNAL_PREFIX)
        or _stage(hop.record) == "collection"
        or hop.record["source"] not in fed
    ]
    found: list[list[_Hop]] = []
    cut = False

    def walk(path: list[_Hop], visited: set[str], used: set[str], carried: frozenset) -> None:
        nonlocal cut
        if len(found) >= max_paths:
            cut = True
            return
        record = path[-1].record
        here = record["destination"]
        if _stage(record) == "disposal" or here.startswith(EXTERNAL_PREFIX):
            found.append(list(path))
            return
        reach = frozenset().union(*(related(c) for c in carried))
        nexts = [
            hop
            for hop in onward.get(here, [])
            if hop.record["flow_id"] not in used
            and hop.carried & reach
            and (
                hop.record["destination"] not in visited
                or (hop.record["destination"] == here and _stage(hop.record) == "disposal")
            )
        ]
        if not nexts or len(path) >= MAX_HOPS:
            found.append(list(path))
            return
        for hop in nexts:
            path.append(hop)
            used.add(hop.record["flow_id"])
            walk(path, visited | {hop.record["destination"]}, used, hop.carried & reach)
            used.discard(hop.record["flow_id"])
            path.pop()

    pending = starts or matched[:1]
    while pending:
        for hop in pending:
            record = hop.record
            walk([hop], {record["source"], record["destination"]}, {record["flow_id"]}, hop.carried)
        if cut:
            break
        # Flows no entry point reaches (a loop, or data that appears mid-stack) start their own.
        covered = {h.record["flow_id"] for p in found for h in p}
        rest = [hop for hop in matched if hop.record["flow_id"] not in covered]
        pending = rest[:1]
    return found, cut


def _around(matched: list[_Hop], system: str) -> list[_Hop]:
    """The flows on some route through ``system``: those leading to it (their destination
    reaches it) and those leading on from it (their source is reached from it)."""
    into: dict[str, list[str]] = {}
    out: dict[str, list[str]] = {}
    for hop in matched:
        into.setdefault(hop.record["destination"], []).append(hop.record["source"])
        out.setdefault(hop.record["source"], []).append(hop.record["destination"])

    def reached(start: str, edges: dict[str, list[str]]) -> set[str]:
        seen, queue = {start}, [start]
        while queue:
            for nxt in edges.get(queue.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return seen

    before, after = reached(system, into), reached(system, out)
    return [
        hop
        for hop in matched
        if hop.record["destination"] in before or hop.record["source"] in after
    ]


def _stage(record: dict) -> str:
    stage = record.get("stage")
    return "" if stage is None or pd.isna(stage) else str(stage)


def cell_text(value: object) -> str:
    """A DataFlows cell as text: ``""`` for a blank (None, NaN, NA)."""
    return _text(value)


def _text(value: object) -> str:
    return "" if value is None or (not isinstance(value, tuple) and pd.isna(value)) else str(value)


def _hop_row(query, name, step, record, kind, cells: dict[str, dict], by_flow) -> dict:
    """One hop's row; a flow's own cells are read once (``cells``, by flow id), however many
    paths and categories it is a hop of."""
    flow_id = record["flow_id"]
    if flow_id not in cells:
        days = record.get("retention_days")
        encrypted = record.get("encrypted_in_transit")
        third = record.get("third_party")
        cells[flow_id] = {
            "flow_id": flow_id,
            "source": record["source"],
            "destination": record["destination"],
            "stage": _stage(record),
            "action": data_action(record.get("stage")),
            "purpose": _text(record.get("purpose")),
            "encrypted_in_transit": None if pd.isna(encrypted) else bool(encrypted),
            "minimization": _text(record.get("minimization")),
            "consent_basis": _text(record.get("consent_basis")),
            "retention_days": None if pd.isna(days) else int(days),
            "owner": _text(record.get("owner")),
            "third_party": False if pd.isna(third) else bool(third),
            "findings": by_flow.get(flow_id, ()),
        }
    return {"category": query, "path": name, "step": step, **cells[flow_id], "match": kind}


def _ending(hop_list: list) -> str:
    last = hop_list[-1].record
    if _stage(last) == "disposal":
        return "disposed"
    if last["destination"].startswith(EXTERNAL_PREFIX):
        return "leaves the company"
    return "never disposed"


def _path_row(name: str, query: str, hop_list: list, types: dict) -> dict:
    records = [h.record for h in hop_list]
    return {
        "path": name,
        "category": query,
        "flows": tuple(r["flow_id"] for r in records),
        "start": records[0]["source"],
        "end": records[-1]["destination"],
        "ending": _ending(hop_list),
        "external": any(r["destination"].startswith(EXTERNAL_PREFIX) for r in records),
        "ai": any(types.get(r["destination"]) == "AI" for r in records),
    }


def _gaps(query, numbered, path_rows, types, on_paths, matched) -> list[dict]:
    """The gaps of one category: per path (never disposed, external party), per flow on the
    paths shown (AI system, no owner), and per category (collected, used nowhere: judged on
    every flow carrying it, whatever system the trace is narrowed to)."""
    found = []

    def gap(kind, path, flow_id, system, message):
        found.append(
            {
                "category": query,
                "kind": kind,
                "path": path,
                "flow_id": flow_id,
                "system": system,
                "message": message,
            }
        )

    for (name, hop_list), row in zip(numbered, path_rows, strict=True):
        last = hop_list[-1].record
        if row["ending"] == "never disposed":
            gap(
                "never disposed",
                name,
                last["flow_id"],
                row["end"],
                f"{query} ends at {row['end']} ({name}: {' → '.join(row['flows'])}) with no "
                "disposal recorded",
            )
        elif row["ending"] == "leaves the company":
            gap(
                "external party",
                name,
                last["flow_id"],
                row["end"],
                f"{query} reaches {row['end'].removeprefix(EXTERNAL_PREFIX)}, outside the "
                f"company, by {last['flow_id']} ({name})",
            )
    listed = {h.record["flow_id"] for _, hl in numbered for h in hl}
    for hop in on_paths:  # beyond the paths listed, when there were too many to list
        record = hop.record
        if record["destination"].startswith(EXTERNAL_PREFIX) and record["flow_id"] not in listed:
            gap(
                "external party",
                "",
                record["flow_id"],
                record["destination"],
                f"{query} reaches {record['destination'].removeprefix(EXTERNAL_PREFIX)}, "
                f"outside the company, by {record['flow_id']} (on a path not listed: too many "
                "paths to list)",
            )
    seen: set[str] = set()
    for hop in on_paths:
        record = hop.record
        if record["flow_id"] in seen:
            continue
        seen.add(record["flow_id"])
        destination = record["destination"]
        if types.get(destination) == "AI":
            gap(
                "AI system",
                "",
                record["flow_id"],
                destination,
                f"{query} reaches the AI system {destination} by {record['flow_id']}",
            )
        if _text(record.get("owner")).strip().casefold() in NOT_RECORDED:
            gap(
                "no owner",
                "",
                record["flow_id"],
                record["source"],
                f"{record['flow_id']} ({record['source']} → {destination}) carries {query} "
                "with no named owner",
            )
    records = [h.record for h in matched]
    collected = [
        r for r in records if _stage(r) == "collection" or r["source"].startswith(EXTERNAL_PREFIX)
    ]
    shown = {h.record["flow_id"] for _, hl in numbered for h in hl}
    if (
        collected
        and not any(_stage(r) in USING_STAGES for r in records)
        and shown & {r["flow_id"] for r in collected}
    ):
        where = ", ".join(dict.fromkeys(r["destination"] for r in collected))
        gap(
            "collected, used nowhere",
            "",
            collected[0]["flow_id"],
            collected[0]["destination"],
            f"{query} is collected ({where}) but no use, transfer or sharing flow carries it: "
            "collect it only if a purpose needs it",
        )
    return found


def _summary(query, numbered, path_rows, types) -> dict:
    records = [h.record for _, hop_list in numbered for h in hop_list]
    endpoints = {e for r in records for e in (r["source"], r["destination"])}
    return {
        "category": query,
        "label": cats.label(query),
        "sensitive": is_sensitive(query),
        "paths": len(numbered),
        "flows": len({r["flow_id"] for r in records}),
        "systems": len({e for e in endpoints if not e.startswith(EXTERNAL_PREFIX)}),
        "external_parties": len({e for e in endpoints if e.startswith(EXTERNAL_PREFIX)}),
        "ai_systems": len({e for e in endpoints if types.get(e) == "AI"}),
        "disposed": sum(row["ending"] == "disposed" for row in path_rows),
    }
