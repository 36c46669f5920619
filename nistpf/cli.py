"""The ``nistpf`` command. Each command parses its options, makes one library call, and turns a
nistpf error into a one-line message and an exit code:

- 0: done;
- 1: the input has problems (a validation report with errors);
- 2: the command cannot run as asked (bad option, unknown version, crosswalk or ID, a mapping
  file that is wrong) or the input cannot be read at all.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

import nistpf
from nistpf.errors import (
    InventoryError,
    NistpfError,
    OutputExistsError,
    UnreadableInventoryError,
)
from nistpf.export.tables import write_framework_tables
from nistpf.framework import Framework
from nistpf.inventory.report import format_report
from nistpf.sample import sample_path

EXIT_OK = 0
EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_UNREADABLE = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors on one line with our exit code."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="nistpf",
        description=(
            "Assess a customer-experience (CX) stack against the NIST Privacy Framework, "
            "system by system."
        ),
    )
    parser.add_argument("--version", action="version", version=f"nistpf {nistpf.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    demo = commands.add_parser(
        "demo",
        help="run nistpf on its bundled sample and write the results",
        description=(
            "Run nistpf end to end on its bundled material and write the results into DIR: "
            "load and check the bundled CX sample inventory, summarise it and the Privacy "
            "Framework on screen, and write the framework's Core, Tiers and crosswalks as CSV "
            "reference tables and the blank inventory template for the engagement folder."
        ),
    )
    demo.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("nistpf-demo"),
        metavar="DIR",
        help="folder to write into (default: ./nistpf-demo)",
    )
    demo.set_defaults(run=_demo)

    template = commands.add_parser(
        "template",
        help="write the blank inventory workbook the client fills",
        description=(
            "Write the inventory workbook template to PATH (an .xlsx): an Instructions sheet, "
            "one sheet per inventory sheet with headers, descriptions and dropdowns, and the "
            "Privacy Framework Subcategories to pick IDs from. An existing file is replaced "
            "only with --force."
        ),
    )
    template.add_argument("path", type=Path, metavar="PATH", help="the .xlsx file to write")
    template.add_argument(
        "--force", action="store_true", help="replace PATH if it exists (default: refuse)"
    )
    template.set_defaults(run=_template)

    validate = commands.add_parser(
        "validate",
        help="check an inventory workbook and print its validation report",
        description=(
            "Load SOURCE (an .xlsx workbook, a CSV file or a folder of CSV files) and print the "
            "validation report: one row per problem with its sheet, row, column, value and how "
            "to fix it. Exit 0 when there are no errors, 1 when there are, 2 when the source "
            "cannot be read at all."
        ),
    )
    validate.add_argument("source", type=Path, metavar="SOURCE", help="the inventory to check")
    validate.add_argument(
        "--mapping",
        type=Path,
        metavar="FILE",
        help="a TOML column mapping for a client's own layout (see the README)",
    )
    validate.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="report format (default: table)",
    )
    validate.set_defaults(run=_validate)

    fw = commands.add_parser(
        "framework",
        help="show the Privacy Framework Core, search it, or print a crosswalk",
        description=(
            "Print the NIST Privacy Framework Core as a tree, one element with its crosswalk "
            "references, the elements matching --search, or a crosswalk table. "
            "--format csv|json writes machine-readable output to standard output."
        ),
    )
    fw.add_argument("id", nargs="?", help="a Function, Category or Subcategory ID, e.g. ID.IM-P1")
    fw.add_argument(
        "--search", metavar="TEXT", help="elements whose ID, name or text has every word"
    )
    fw.add_argument("--crosswalk", metavar="NAME", help="a crosswalk, e.g. sp800-53r5 or gdpr")
    fw.add_argument(
        "--format",
        choices=("text", "csv", "json"),
        default="text",
        help="output format (default: text)",
    )
    fw.add_argument(
        "--framework-version",
        metavar="VERSION",
        default=None,
        help="Privacy Framework version (default: the newest final one)",
    )
    fw.set_defaults(run=_framework)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except NistpfError as error:
        print(f"nistpf: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        print("nistpf: interrupted", file=sys.stderr)
        return 130


# -- demo ------------------------------------------------------------------------------------


def _demo(args: argparse.Namespace) -> int:
    fw = nistpf.framework()
    inventory = nistpf.load_inventory(sample_path())
    assessment = nistpf.assess(inventory)
    print(summary(fw))
    print()
    print(inventory_summary(inventory))
    print()
    print(assessment_summary(assessment))
    try:
        written = [
            *write_framework_tables(fw, args.output),
            nistpf.write_template(args.output / "inventory-template.xlsx", force=True),
        ]
    except OSError as error:
        print(
            f"nistpf: cannot write into {args.output}: {error.strerror or error}", file=sys.stderr
        )
        return EXIT_USAGE
    print()
    for path in written:
        print(f"wrote {path}")
    return EXIT_OK


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
    lines = [
        f"Overall: current {overall.current:.2f} ({scale.label(overall.current)}), target "
        f"{overall.target:.2f}, gap {overall.gap:.2f}, coverage {overall.coverage:.0%}",
        f"({scale.name} scale: {scale.describe()})",
        "",
        f"  {'Function':<20}{'current':>8}{'target':>8}{'gap':>7}{'coverage':>10}",
    ]
    for row in assessment.functions.itertuples(index=False):
        label = f"{row.function} {names[row.function]}"
        lines.append(
            f"  {label:<20}{row.current:>8.2f}{row.target:>8.2f}{row.gap:>7.2f}"
            f"{row.coverage:>10.0%}"
        )
    gaps = assessment.subcategories.sort_values(
        ["gap_points", "subcategory"], ascending=[False, True]
    ).head(top)
    lines += ["", f"Largest gaps (gap × priority weight), top {top}:"]
    for row in gaps.itertuples(index=False):
        detail = f"current {row.current:.2f}, target {row.target:g} ({row.priority}): {row.text}"
        lines.append(_wrap(f"  {row.subcategory:<10}{row.gap_points:>6.2f}  ", detail, 0))
    findings = assessment.findings
    by_severity = findings["severity"].value_counts()
    counts = ", ".join(
        f"{by_severity[s]} {s}" for s in ("High", "Medium", "Low") if s in by_severity
    )
    lines += ["", f"Data-flow findings: {len(findings)} ({counts or 'none'})"]
    tiers = assessment.tiers
    if len(tiers):
        rated = "; ".join(f"{r.attribute} {r.tier} {r.tier_name}" for r in tiers.itertuples())
        lines += ["", _wrap("Implementation Tiers: ", rated, 0)]
    return "\n".join(lines)


def summary(fw: Framework) -> str:
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


def _template(args: argparse.Namespace) -> int:
    try:
        written = nistpf.write_template(args.path, force=args.force)
    except OutputExistsError:
        raise
    except OSError as error:
        print(f"nistpf: cannot write {args.path}: {error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {written}")
    return EXIT_OK


# -- validate --------------------------------------------------------------------------------


def _validate(args: argparse.Namespace) -> int:
    try:
        inventory = nistpf.load_inventory(args.source, mapping=args.mapping)
    except UnreadableInventoryError as error:
        print(f"nistpf: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    except InventoryError as error:
        sys.stdout.write(format_report(error.issues, args.format))
        if args.format == "table":
            print(f"{error.source}: not loaded; fix the errors above and run validate again")
        return EXIT_INPUT
    sys.stdout.write(format_report(inventory.issues, args.format))
    if args.format == "table":
        print(
            f"{inventory.source}: {len(inventory.systems)} systems, {len(inventory.controls)} "
            f"controls, {len(inventory.flows)} data flows; no errors"
        )
    return EXIT_OK


# -- framework -------------------------------------------------------------------------------


def _framework(args: argparse.Namespace) -> int:
    fw = nistpf.framework(args.framework_version)
    if args.crosswalk:
        table = fw.crosswalk(args.crosswalk)
        if args.id:
            wanted = set(fw.children(args.id)["id"]) | {fw.normalize_id(args.id)}
            table = table[table["pf_id"].isin(wanted)]
        _emit(table, args.format, lambda: _crosswalk_text(fw, args.crosswalk, table))
        return EXIT_OK
    if args.id and args.format == "text" and not args.search:
        print(_element_text(fw, args.id))
        return EXIT_OK
    table = fw.core
    if args.id:
        element = fw.get(args.id)
        table = table[(table["id"] == element.id) | table[element.level].eq(element.id)]
    if args.search:
        matches = fw.search(args.search)
        table = table[table["id"].isin(matches["id"])]
        if table.empty and args.format == "text":
            print(f"nothing in the Privacy Framework {fw.version} Core matches {args.search!r}")
            return EXIT_OK
    _emit(table.reset_index(drop=True), args.format, lambda: _tree_text(fw, table))
    return EXIT_OK


def _emit(table: pd.DataFrame, fmt: str, text: Callable[[], str]) -> None:
    if fmt == "csv":
        sys.stdout.write(table.to_csv(index=False, lineterminator="\n"))
    elif fmt == "json":
        json.dump(table.to_dict(orient="records"), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(text())


def _width() -> int:
    return max(60, min(shutil.get_terminal_size((100, 24)).columns, 120))


def _wrap(label: str, text: str, indent: int, hang: int | None = None) -> str:
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


def _tree_text(fw: Framework, table: pd.DataFrame) -> str:
    """The rows of ``table`` as an indented tree, with the ancestors of each row shown once."""
    core = fw.core
    keep = set(table["id"]) | set(table["function"]) | set(table["category"])
    indent = {"function": 0, "category": 2, "subcategory": 4}
    lines = [f"NIST Privacy Framework {fw.version}"]
    for row in core[core["id"].isin(keep)].itertuples(index=False):
        lines.append(_wrap(_label(row), row.text, indent[row.level], _hang(row)))
    return "\n".join(lines)


def _element_text(fw: Framework, id_: str) -> str:
    element = fw.get(id_)
    lines = [_wrap(_label(element), element.text, 0, _hang(element))]
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
            _wrap(_label(row), row.text, 2, _hang(row)) for row in children.itertuples(index=False)
        ]
    if element.references:
        lines += ["", "Crosswalk references:"]
        for name, refs in element.references.items():
            lines.append(_wrap(f"{name}: ", _targets([r.target_id for r in refs]), 2))
    return "\n".join(lines).replace("\xa0", " ")


def _crosswalk_text(fw: Framework, name: str, table: pd.DataFrame) -> str:
    title = fw.crosswalk_title(name)
    lines = [f"{title} — Privacy Framework {fw.version} crosswalk, {len(table)} mappings"]
    for pf_id, group in table.groupby("pf_id", sort=False):
        lines.append(_wrap(f"{pf_id:<10} ", _targets(group["target_id"]), 0))
    return "\n".join(lines).replace("\xa0", " ")
