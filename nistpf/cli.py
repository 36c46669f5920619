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
import sys
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
from nistpf.inventory.report import format_report
from nistpf.sample import sample_path
from nistpf.text import (
    assessment_summary,
    crosswalk_text,
    element_text,
    framework_summary,
    framework_tree,
    inventory_summary,
)

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
    print(framework_summary(fw))
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
        _emit(table, args.format, lambda: crosswalk_text(fw, args.crosswalk, table))
        return EXIT_OK
    if args.id and args.format == "text" and not args.search:
        print(element_text(fw, args.id))
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
    _emit(table.reset_index(drop=True), args.format, lambda: framework_tree(fw, table))
    return EXIT_OK


def _emit(table: pd.DataFrame, fmt: str, text: Callable[[], str]) -> None:
    if fmt == "csv":
        sys.stdout.write(table.to_csv(index=False, lineterminator="\n"))
    elif fmt == "json":
        json.dump(table.to_dict(orient="records"), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(text())
