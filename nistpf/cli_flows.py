"""The ``nistpf trace`` and ``nistpf pram`` commands: where customer data goes, and the NIST
PRAM privacy risk of each data action. One library call each (:func:`nistpf.trace`,
:func:`nistpf.pram`, :func:`nistpf.write_pram_workbook`, :func:`nistpf.read_pram_edits`); the
options and messages follow :mod:`nistpf.cli`."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from pathlib import Path

import pandas as pd

import nistpf
from nistpf.errors import NistpfError, shown
from nistpf.io.csv_safe import csv_text
from nistpf.io.paths import Use
from nistpf.numbers import fixed

TOP_DATA_ACTIONS = 10  # how many data actions `nistpf pram` prints


def add_commands(commands, source_options) -> None:
    """Add ``trace`` and ``pram`` to the CLI's sub-commands (``source_options`` adds SOURCE,
    --mapping and, for pram, --store and --assessment, as for every command that loads)."""
    trace = commands.add_parser(
        "trace",
        help="trace where customer data goes: every path of a data category",
        description=(
            "Load SOURCE and print every path each customer-data category takes through the "
            "stack, hop by hop, from where it is collected to where it is disposed of or "
            "leaves the company, with each hop's stage (and NISTIR 8062 data action), "
            "purpose, protections, consent basis, retention, owner and findings, then the "
            "gaps: paths never disposed of, data reaching an external party or an AI system, "
            "hops with no owner, categories collected but used nowhere."
        ),
    )
    source_options(trace, store=False)
    trace.add_argument(
        "--category",
        metavar="C",
        help="one data category: a Fides key (user.contact covers user.contact.email), a Fides "
        "name or a label as the DataFlows sheet writes it (default: every category)",
    )
    trace.add_argument("--system", metavar="S", help="only the paths through system S")
    trace.add_argument(
        "--format",
        choices=("text", "csv", "json"),
        default="text",
        help="text (default), csv (one row per hop) or json (every table)",
    )
    trace.set_defaults(run=_trace)

    pram = commands.add_parser(
        "pram",
        help="weigh each data action's privacy risk (NIST PRAM) and write NIST's worksheets",
        description=(
            "Load SOURCE (with the store's PRAM edits when --store is given), weigh the privacy "
            "risk of every data action by NIST's Privacy Risk Assessment Methodology and print "
            "the riskiest. -o writes the PRAM workbook in NIST's worksheet layout, with Excel "
            "formulas, for the consultant to review; --read-edits reads a reviewed workbook "
            "back and saves its likelihoods, impacts, selected controls and reasons in the "
            "store."
        ),
    )
    source_options(pram)
    pram.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="the PRAM workbook (.xlsx) to write"
    )
    pram.add_argument(
        "--force", action="store_true", help="replace FILE if it exists (default: refuse)"
    )
    pram.add_argument(
        "--read-edits",
        type=Path,
        metavar="FILE",
        help="a reviewed PRAM workbook whose edits are saved in --store",
    )
    pram.add_argument("--who", metavar="NAME", help="who made the edits (for the store's log)")
    pram.add_argument(
        "--explain", metavar="DATA_ACTION", help="show the arithmetic of one data action"
    )
    pram.set_defaults(run=_pram)


# -- trace -----------------------------------------------------------------------------------
def _trace(args: argparse.Namespace) -> int:
    from nistpf.cli import EXIT_INPUT, EXIT_OK, EXIT_UNREADABLE, _fail
    from nistpf.errors import InventoryError, UnreadableInventoryError
    from nistpf.inventory.report import format_report

    try:
        inventory = nistpf.load_inventory(args.source, mapping=args.mapping)
    except UnreadableInventoryError as error:
        _fail(error)
        return EXIT_UNREADABLE
    except InventoryError as error:
        # On standard error, so that nothing but the trace ever lands in a CSV or JSON stream.
        sys.stderr.write(format_report(error.issues))
        print(
            f"{shown(error.source)}: not traced; fix the errors above (nistpf validate)",
            file=sys.stderr,
        )
        return EXIT_INPUT
    result = nistpf.trace(inventory, data_category=args.category, system=args.system)
    if args.format == "csv":
        sys.stdout.write(csv_text(_hops_with_endings(result)))
    elif args.format == "json":
        tables = {
            name: _records(getattr(result, name))
            for name in ("categories", "paths", "hops", "gaps")
        }
        json.dump(tables, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(trace_text(result))
    return EXIT_OK


def _hops_with_endings(result) -> pd.DataFrame:
    # Paths are named per category (P1 of one category is not P1 of another): join on both.
    key = ["category", "path"]
    table = result.hops.merge(result.paths[[*key, "ending"]], on=key, how="left")
    table.insert(2, "ending", table.pop("ending"))
    table["findings"] = table["findings"].map("; ".join)
    return table


def _records(table: pd.DataFrame) -> list[dict]:
    def plain(value):
        if isinstance(value, tuple):
            return list(value)
        if value is None or (not isinstance(value, list | str) and pd.isna(value)):
            return None
        return value.item() if hasattr(value, "item") else value

    return [{k: plain(v) for k, v in row.items()} for row in table.to_dict("records")]


def trace_text(result) -> str:
    """The trace as the consultant reads it on screen: per category a line of counts, each path
    as ``start → system (flow stage) → …`` with where it ends, then the gaps."""
    lines: list[str] = []
    # Grouped once (not masked per path): paths are named per category, so by both.
    hops = dict(tuple(result.hops.groupby(["category", "path"], sort=False)))
    paths = dict(tuple(result.paths.groupby("category", sort=False)))
    gaps = dict(tuple(result.gaps.groupby("category", sort=False)))
    none = result.paths.iloc[0:0]
    for row in result.categories.itertuples(index=False):
        sensitive = ", sensitive" if row.sensitive else ""
        lines.append(
            f"{shown(row.category)} ({shown(row.label)}{sensitive}): "
            f"{_count(row.paths, 'path')} over {_count(row.flows, 'flow')}, "
            f"{_count(row.systems, 'system')}, "
            f"{_count(row.external_parties, 'external party', 'external parties')}; "
            f"{row.disposed} disposed of"
        )
        for path in paths.get(row.category, none).itertuples(index=False):
            steps = hops[(row.category, path.path)]
            chain = [shown(path.start)]
            for hop in steps.itertuples(index=False):
                chain.append(f"{shown(hop.destination)} ({hop.flow_id} {hop.action})")
            lines.append(f"  {path.path}: {' → '.join(chain)} — {path.ending}")
        for gap in gaps.get(row.category, result.gaps.iloc[0:0]).itertuples(index=False):
            lines.append(f"  gap, {gap.kind}: {shown(gap.message)}")
        lines.append("")
    if result.truncated:
        lines.append(
            f"note: paths listed only in part for {', '.join(map(shown, result.truncated))} "
            "(too many to list); trace one system with --system"
        )
    return "\n".join(lines) + ("\n" if lines and lines[-1] else "")


# -- pram ------------------------------------------------------------------------------------
def _pram(args: argparse.Namespace) -> int:
    from nistpf.cli import EXIT_OK, _load_and_assess, _prepare, _reads

    reads = _reads(args)
    if args.read_edits:
        if not args.store:
            raise PramCommandError(
                "--read-edits saves the workbook's edits in an engagement store: give --store"
            )
        reads.append(Use(args.read_edits, "the reviewed PRAM workbook"))
    if args.output and args.output.suffix.casefold() != ".xlsx":
        raise PramCommandError(
            f"{shown(args.output)}: the PRAM workbook is an Excel workbook; name it .xlsx"
        )
    writes = [Use(args.output, "the PRAM workbook")] if args.output else []
    _prepare(reads, writes)
    if args.read_edits:
        _start_if_empty(args)
    elif args.who:
        raise PramCommandError("--who names who made the edits --read-edits reads: give both")
    assessment = _load_and_assess(args)
    if isinstance(assessment, int):
        return assessment
    if args.read_edits:
        from nistpf.cli import EXIT_INPUT, _fail
        from nistpf.export.pram_edits import PramWorkbookError

        try:
            read, changed = _save_edits(args, assessment)
        except PramWorkbookError as error:  # the workbook as returned has problems: exit 1
            _fail(error)
            return EXIT_INPUT
        print(
            f"read {_count(read, 'PRAM edit')} from {shown(args.read_edits)}; "
            f"{_count(changed, 'changed', 'changed')} what {shown(args.store.name)} holds"
        )
        with contextlib.redirect_stdout(io.StringIO()):  # said once already
            assessment = _load_and_assess(args)
        if isinstance(assessment, int):
            return assessment
    result = nistpf.pram(assessment)
    if args.explain is not None:
        if not args.explain.strip():
            raise PramCommandError("--explain needs a data action (F-030:disclosure) or an ID")
        try:
            print(result.explain(args.explain))
        except KeyError as error:
            raise PramCommandError(str(error.args[0])) from None
        return EXIT_OK
    print(pram_text(result))
    for row in result.orphans.itertuples(index=False):
        print(
            f"nistpf: note: the edit of {shown(row.data_action)} / {row.problem} applies to "
            f"nothing: {row.reason}",
            file=sys.stderr,
        )
    if args.output:
        from nistpf.export.pram_workbook import write_pram_workbook

        written = write_pram_workbook(assessment, args.output, force=args.force)
        print(f"\nwrote {shown(written)}")
    return EXIT_OK


def _start_if_empty(args: argparse.Namespace) -> None:
    """A store with no assessment yet gets its first, "Baseline", for the edits to belong to
    (as the guided notebook starts one when it loads the inventory), and says so."""
    from nistpf.store import open_store

    store = open_store(args.store, create=False)
    if not store.assessments().empty:
        return
    try:
        inventory = nistpf.load_inventory(args.source, mapping=args.mapping)
    except NistpfError:
        return  # _load_and_assess reports why the inventory cannot be read
    number = store.new_assessment("Baseline", inventory, who=args.who)
    print(f"started assessment {number} (Baseline) in {shown(store.path.name)}")


def _save_edits(args: argparse.Namespace, assessment) -> tuple[int, int]:
    """Save the reviewed workbook's edits in the store: (edits read, rows of the store's PRAM
    edits that changed)."""
    from nistpf.export.pram_workbook import read_pram_edits
    from nistpf.store import open_store

    edits = read_pram_edits(args.read_edits, assessment)
    store = open_store(args.store, create=False)
    number = store.latest() if args.assessment is None else args.assessment
    before = store.pram_edits(number)
    numbers = ("likelihood", "noncompliance", "direct_business", "reputational",
               "internal_culture", "other")  # fmt: skip
    rows = []
    for row in edits.to_dict("records"):
        given = {k: float(row[k]) for k in numbers if not pd.isna(row[k])}
        # Text the consultant typed or cleared ("") is saved; text left as written (None) is not.
        text = {k: row[k] for k in ("selected_controls", "rationale") if isinstance(row[k], str)}
        if row["reason"]:
            text["reason"] = row["reason"]
        rows.append({"data_action": row["data_action"], "problem": row["problem"], **given, **text})
    store.set_pram_edits(number, [r for r in rows if len(r) > 2], who=args.who)
    after = store.pram_edits(number)
    key = ["data_action", "problem"]
    merged = after.merge(before, on=key, how="left", suffixes=("", "_before"), indicator=True)
    changed = int((merged["_merge"] == "left_only").sum())
    both = merged[merged["_merge"] == "both"]
    for column in after.columns.drop(key):
        now, then = both[column], both[f"{column}_before"]
        differs = ~((now == then) | (now.isna() & then.isna()))
        changed += int(differs.sum())
        both = both[~differs]
    return len(edits), changed


def _count(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def pram_text(result) -> str:
    """The riskiest data actions, one line each, and the system risk."""
    actions = result.data_actions.sort_values(["rank", "data_action"], kind="stable")
    lines = [
        f"NIST PRAM: {len(result.data_actions)} data actions, {len(result.problems)} problems "
        f"for individuals; system risk {fixed(result.total, 0)}",
        "",
        "rank  risk   share  data action",
    ]
    for row in actions.head(TOP_DATA_ACTIONS).itertuples(index=False):
        if row.risk <= 0:
            break
        flag = "  (top outlier)" if row.outlier else ""
        lines.append(
            f"{row.rank:>4}  {fixed(row.risk, 0):>5}  {fixed(100 * row.percent, 1):>5}%  "
            f"{row.data_action}: {shown(row.name)}{flag}"
        )
    lines.append("")
    lines.append("nistpf pram SOURCE --explain DATA_ACTION shows the arithmetic of one.")
    return "\n".join(lines)


class PramCommandError(NistpfError, ValueError):
    """A ``nistpf pram`` invocation that cannot run as given."""

    code = "pram-usage"
