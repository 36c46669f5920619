"""The ``nistpf`` command. Each command parses its options, makes one library call, and turns a
nistpf error into a one-line message and an exit code:

- 0: done;
- 1: the input has problems (a validation report with errors);
- 2: the command cannot run as asked (bad option, unknown version, crosswalk or ID, a mapping
  file that is wrong, an output that is one of the command's inputs or another of its outputs),
  the input cannot be read at all, or the operating system refused a read or a write
  (permission, no space left, a name too long).

Before a command writes anything it checks every output: against every path it reads —
nistpf's own installed files among them, for every command — and against its other outputs
(:func:`nistpf.io.paths.check_paths`), and that each can be written, a regular file or none yet
(:func:`nistpf.io.atomic.check_destination`: never a device, a pipe or a socket); so a refusal
leaves nothing written. An output that is a symbolic link writes the file it points to. Every
message is one line per problem, with the names in it shown safely
(:func:`nistpf.errors.shown`): a line break or a bidirectional control in a file name is
escaped, never printed. A fix that is a choice names the command's option ("pass --force"),
where the same error raised to a Python caller names the keyword ("pass force=True"):
:meth:`nistpf.errors.NistpfError.cli_message`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

import nistpf
from nistpf.engagement import (
    VOILA_SETTINGS,
    deliverable_name,
    engagement_label,
    new_engagement,
    next_steps,
)
from nistpf.errors import (
    BlankInventoryError,
    BrowserMissingError,
    InventoryError,
    NistpfError,
    OutputNotWritableError,
    UnreadableInventoryError,
    os_cause,
    os_reason,
    shown,
)
from nistpf.export.tables import write_framework_tables
from nistpf.inventory.mapping import MappingError, bundled_mappings, load_mapping
from nistpf.inventory.report import format_report
from nistpf.io.atomic import check_destination, shown_folder
from nistpf.io.csv_safe import csv_text
from nistpf.io.paths import (
    Use,
    check_paths,
    file_kind,
    installed_uses,
    source_uses,
    store_uses,
)
from nistpf.sample import sample_path
from nistpf.scoring import NO_EVIDENCE_SETTINGS
from nistpf.store import EmptyStoreError, open_store
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
        self.exit(EXIT_USAGE, f"{self.prog}: error: {shown(message)}\n")


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
            "Run nistpf end to end on its bundled CX sample and write the results into DIR: "
            "load and check the sample inventory, score it, summarise the framework, the "
            "inventory and the results on screen, and write the gap register, the HTML report, "
            "the slide deck and chart images (these two need Chromium; without it they are "
            "skipped with a note), the framework's reference tables and the blank inventory "
            "template."
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

    new = commands.add_parser(
        "new",
        help="start an engagement folder: template, notebooks and store",
        description=(
            "Create DIR for a new engagement: inventory.xlsx (the blank template to send the "
            "client), copies of the guided notebooks (they open this folder's inventory and "
            "store), and engagement.nistpf (the store that keeps every rating), side by side. "
            "DIR must not exist or be empty. Prints the next three steps."
        ),
    )
    new.add_argument("folder", type=Path, metavar="DIR", help="the engagement folder to create")
    new.add_argument("--name", help="the engagement's name (default: the folder's name)")
    new.add_argument(
        "--sample",
        action="store_true",
        help="a practice engagement: inventory.xlsx is the bundled sample (a fictional client)",
    )
    new.set_defaults(run=_new)

    follow = commands.add_parser(
        "follow-up",
        help="start next year's assessment in an engagement store",
        description=(
            "Start a follow-up assessment in STORE from its latest assessment (or --from N): "
            "the same Target Profile, scope decisions and Tiers, no ratings yet. The earlier "
            "assessment stays as it was, for comparison (notebook 06)."
        ),
    )
    follow.add_argument("store", type=Path, metavar="STORE", help="the engagement store")
    follow.add_argument("name", metavar="NAME", help="the follow-up's name, e.g. 'Follow-up 2027'")
    follow.add_argument(
        "--date", metavar="YYYY-MM-DD", help="its date (default: the inventory's About date)"
    )
    follow.add_argument(
        "--from", dest="previous", type=int, metavar="N", help="the assessment to follow"
    )
    follow.set_defaults(run=_follow_up)

    assess = commands.add_parser(
        "assess",
        help="load, score and write the Excel gap register",
        description=(
            "Load SOURCE, score every Privacy Framework Subcategory on every in-scope system, "
            "write the gap register (an .xlsx) and print a one-screen summary. Exit codes as "
            "for validate when SOURCE has problems."
        ),
    )
    _source_options(assess)
    assess.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="the register to write (default: <engagement>-gap-register.xlsx beside SOURCE, "
        "named after the About sheet's client)",
    )
    assess.add_argument(
        "--carry-over",
        type=Path,
        metavar="REGISTER",
        help="an earlier register whose actions, owners, due dates, statuses and comments "
        "carry over (default: the register at FILE, when there is one)",
    )
    assess.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the register at FILE without carrying over what the client typed in it",
    )
    assess.set_defaults(run=_assess)

    report = commands.add_parser(
        "report",
        help="write the leadership pack: HTML report, slide deck, chart images",
        description=(
            "Load and score SOURCE, then write what leadership receives: a self-contained HTML "
            "report (--html), an editable slide deck (--pptx), and the charts as PNG (--png) "
            "or PDF (--pdf) files. With no output named, the HTML report is written beside "
            "SOURCE. Images and the deck need Chromium (apt-get install chromium)."
        ),
    )
    _source_options(report)
    report.add_argument("--html", type=Path, metavar="FILE", help="the HTML report to write")
    report.add_argument("--pptx", type=Path, metavar="FILE", help="the slide deck to write")
    report.add_argument("--png", type=Path, metavar="DIR", help="folder for PNG chart images")
    report.add_argument("--pdf", type=Path, metavar="DIR", help="folder for PDF chart images")
    report.add_argument(
        "--carry-over",
        type=Path,
        metavar="REGISTER",
        help="an earlier register whose owners, due dates, statuses and actions carry over "
        "into the deck's roadmap",
    )
    report.set_defaults(run=_report)

    validate = commands.add_parser(
        "validate",
        help="check an inventory workbook and print its validation report",
        description=(
            "Load SOURCE (an .xlsx or .ods workbook, a CSV file or a CSV folder) and print the "
            "validation report: one row per problem with its sheet, row, column, value and how "
            "to fix it. Exit 0 when there are no errors, 1 when there are, 2 when the source "
            "cannot be read at all."
        ),
    )
    _source_options(validate, store=False)
    validate.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="report format (default: table)",
    )
    validate.set_defaults(run=_validate)

    draft = commands.add_parser(
        "map",
        help="draft a column mapping for a client's own workbook or CSV files",
        description=(
            "Look at SOURCE (a client's own workbook, CSV file or CSV folder) and draft the TOML "
            "mapping that reads it: for each sheet, the header row found, the nistpf sheet it "
            "probably is, every header with the nistpf column it probably is (or kept as an "
            "extra column) and sample values as comments. Lines marked 'check:' need a look; "
            "the draft loads as written. Printed, or written to -o FILE (an existing FILE is "
            "replaced only with --overwrite)."
        ),
    )
    draft.add_argument(
        "source", type=Path, metavar="SOURCE", help="the client's .xlsx, .csv or CSV folder"
    )
    draft.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write the draft here (default: print)"
    )
    draft.add_argument(
        "--overwrite", action="store_true", help="replace FILE if it exists (default: refuse)"
    )
    draft.set_defaults(run=_map)

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

    from nistpf.cli_flows import add_commands

    add_commands(commands, _source_options)
    return parser


def _source_options(parser: argparse.ArgumentParser, *, store: bool = True) -> None:
    """SOURCE and --mapping (and --store), the same words for every command that loads."""
    parser.add_argument(
        "source",
        type=Path,
        metavar="SOURCE",
        help="the inventory: .xlsx, .ods, .csv or a CSV folder",
    )
    parser.add_argument(
        "--mapping",
        type=Path,
        metavar="FILE",
        help="a TOML column mapping for a client's own layout, or the name of a bundled one "
        "(e.g. ciso-assistant-audit; see the README)",
    )
    if not store:
        return
    parser.add_argument(
        "--store",
        type=Path,
        metavar="STORE",
        help="an engagement store whose saved ratings, profile, scope and Tiers are included",
    )
    parser.add_argument(
        "--assessment",
        type=int,
        metavar="N",
        help="which assessment of the store to include (default: the latest)",
    )
    parser.add_argument(
        "--no-evidence",
        choices=NO_EVIDENCE_SETTINGS,
        default="zero",
        help="outcomes with no mapped control and no rating: score 0 in the roll-ups (zero, "
        "the default) or leave them out (exclude)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except NistpfError as error:
        _fail(error)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        print("nistpf: interrupted", file=sys.stderr)
        return 130
    except OSError as error:
        # The last safety net: a failure of the operating system that no writer turned into
        # its own message (every nistpf writer does) is still one line, never a traceback.
        print(f"nistpf: {os_failure(error, _inputs(args))}", file=sys.stderr)
        return EXIT_USAGE


def _inputs(args: argparse.Namespace) -> list[Path]:
    """The paths the command reads, as given (SOURCE, the mapping, the store, the register
    carried over)."""
    names = ("source", "mapping", "store", "carry_over")
    return [v for k in names if isinstance(v := getattr(args, k, None), Path)]


def _fail(error: NistpfError) -> None:
    """Print ``error`` on standard error: one line, ``nistpf: <message>``, with the names in it
    shown safely and a fix that is a choice naming the option (``--force``), not the Python
    keyword (:meth:`~nistpf.errors.NistpfError.cli_message`); a mapping file's mistakes one
    line each (:class:`MappingError` lists them)."""
    first, *rest = _message_lines(error)
    print(f"nistpf: {shown(first)}", file=sys.stderr)
    for line in rest:
        print(shown(line), file=sys.stderr)


def _message_lines(error: NistpfError) -> list[str]:
    """The lines of ``error``'s message: one, except for a :class:`MappingError` with several
    mistakes, whose message is its mistakes joined by line breaks. They are split where the
    mistakes end, not at every line break, so a line break inside a name stays in its line
    (and is escaped there)."""
    text = error.cli_message()
    if not isinstance(error, MappingError) or len(error.problems) < 2:
        return [text]
    lines = []
    for problem in error.problems:
        if not text.startswith(problem):
            break
        lines.append(problem)
        text = text[len(problem) :].removeprefix("\n")
    return [*lines, text] if text else lines


def os_failure(error: OSError, inputs: Sequence[Path] = ()) -> str:
    """An :class:`OSError` as the one line the CLI prints: the path it names and the cause in
    words with the fix (:func:`nistpf.errors.os_cause`): ``"eng/report.html: no space left on
    the device; free some space, or write to another disk"``. A failure on one of ``inputs``
    (the paths the command reads), or inside an input folder, is a failure to read it
    (``"cannot read x.xlsx: permission denied; ask for access to it, or copy it somewhere you
    can read it"``); one naming no file is put on the command's first input, which it was
    reading."""
    where = error.filename if error.filename is not None else error.filename2
    if where is None:
        if inputs:
            return f"cannot read {shown(inputs[0])}: {os_reason(error)}"
        return os_cause(error)
    path = Path(os.fsdecode(where))
    if any(_within(path, given) for given in inputs):
        return (
            f"cannot read {shown(path)}: {os_reason(error)}; ask for access to it, or copy it "
            "somewhere you can read it"
        )
    return f"{shown(path)}: {os_cause(error, where)}"


def _within(path: Path, given: Path) -> bool:
    """Is ``path`` the file ``given`` names, or inside the folder it names?"""
    try:
        path, given = path.absolute(), given.absolute()
    except OSError:
        return False
    return path == given or given in path.parents


# -- demo ------------------------------------------------------------------------------------


def _demo(args: argparse.Namespace) -> int:
    from nistpf.export.deck import write_deck
    from nistpf.export.excel import write_gap_register
    from nistpf.export.images import CHARTS, write_images
    from nistpf.export.pram_workbook import write_pram_workbook
    from nistpf.export.report import write_report
    from nistpf.flows.diagram import INSTALL, dot_available

    fw = nistpf.framework()
    out = args.output
    files = {
        "gap-register.xlsx": "the gap register",
        "report.html": "the HTML report",
        "pram.xlsx": "the NIST PRAM workbook",
        **{
            f"pf-{fw.version}-{t}.csv": "a framework table" for t in ("core", "tiers", "crosswalks")
        },
        "inventory-template.xlsx": "the inventory template",
        "deck.pptx": "the slide deck",
    }
    writes = [Use(out / name, role) for name, role in files.items()]  # in the order written
    writes += [Use(out / "images" / f"{chart}.png", "the PNG chart images") for chart in CHARTS]
    check_paths(installed_uses(), writes)
    _check_demo_folder(out, writes)
    inventory = nistpf.load_inventory(sample_path())
    assessment = nistpf.assess(inventory)
    print(framework_summary(fw))
    print()
    print(inventory_summary(inventory))
    print()
    print(assessment_summary(assessment))
    # All or nothing, as for new: when a write fails (a full disk), the files this run made
    # and the folders it created are removed again; files there before are whole either way.
    there = {use.path for use in writes if os.path.lexists(use.path)}
    folders = [f for f in (out / "images", out, *out.parents) if not os.path.lexists(f)]
    try:
        out.mkdir(parents=True, exist_ok=True)
        written = [
            write_gap_register(assessment, out / "gap-register.xlsx"),
            write_report(assessment, out / "report.html"),
            write_pram_workbook(assessment, out / "pram.xlsx", force=True),
            *write_framework_tables(fw, out),
            nistpf.write_template(out / "inventory-template.xlsx", force=True),
        ]
        skipped = ""
        try:
            written += [
                write_deck(assessment, out / "deck.pptx"),
                *write_images(assessment, out / "images", formats=("png",)),
            ]
        except BrowserMissingError as error:
            skipped = f"skipped the slide deck and chart images: {error}"
    except BaseException as error:
        for use in writes:
            if use.path not in there:
                with contextlib.suppress(OSError):
                    use.path.unlink()
        for folder in folders:  # innermost first; only if empty
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(error, OutputNotWritableError):
            raise OutputNotWritableError(
                error.path, f"{error.reason} (the demo's files made by this run were removed)"
            ) from None
        if isinstance(error, OSError):
            print(f"nistpf: cannot write into {shown(out)}: {os_cause(error)}", file=sys.stderr)
            return EXIT_USAGE
        raise
    print()
    for path in written:
        print(f"wrote {shown(path)}")
    if skipped:
        print(skipped)
    if not dot_available():
        print(
            "drew no data-flow diagram (the report shows the Sankey instead, the deck and the "
            f"register list the journeys): {INSTALL}"
        )
    return EXIT_OK


def _check_demo_folder(out: Path, writes: list[Use]) -> None:
    """Refuse, before the sample is read, a demo folder that is something else than a folder,
    and a file of the demo's there already that may not be replaced (a device, a pipe, a
    read-only file: :func:`check_destination`); files not there yet are checked as written."""
    kind = file_kind(out) or ("a file" if out.exists() else "")
    if kind and kind != "a folder":
        raise OutputNotWritableError(
            out, f"it is {kind}, not a folder; name a folder for the demo's files"
        )
    for use in writes:
        if os.path.lexists(use.path):
            check_destination(use.path)


def _template(args: argparse.Namespace) -> int:
    _prepare(installed_uses(), [Use(args.path, "the inventory template")])
    written = nistpf.write_template(args.path, force=args.force)  # its failures: one line
    print(f"wrote {shown(written)}")
    return EXIT_OK


# -- new, assess, report ---------------------------------------------------------------------


def _new(args: argparse.Namespace) -> int:
    # (new_engagement checks its files against the notebooks and sample it copies.)
    check_paths(installed_uses(), [Use(args.folder, "the engagement folder", folder=True)])
    paths = new_engagement(args.folder, name=args.name, sample=args.sample)
    print(f"wrote {shown(paths['inventory'])}")
    print(f"wrote {shown(paths['store'])}")
    for notebook in sorted(paths["notebooks"].glob("*.ipynb")):
        print(f"wrote {shown(notebook)}")
    print(f"wrote {shown(paths['notebooks'] / VOILA_SETTINGS)}")
    print()
    print("\n".join(next_steps(paths, sample=args.sample)))
    return EXIT_OK


def _follow_up(args: argparse.Namespace) -> int:
    store = open_store(args.store, create=False)
    before = store.latest() if args.previous is None else args.previous
    number = store.follow_up(args.name, previous=before, date=args.date)
    print(
        f"started assessment {number} {shown(repr(store.assessment(number)['name']))} in "
        f"{shown(store.path.name)} from assessment {before}: its Target Profile, scope and "
        "Tiers carried over, no ratings yet; the earlier assessment is kept for comparison"
    )
    return EXIT_OK


def _load_and_assess(args: argparse.Namespace) -> nistpf.Assessment | int:
    """The assessment of ``args.source`` (with the store's state when ``--store``), or the exit
    code after printing why it could not be made. Notes about the store (another client's,
    empty, what applies to nothing) go to standard error."""
    store = open_store(args.store, create=False) if args.store else None
    try:
        inventory = nistpf.load_inventory(args.source, mapping=args.mapping)
    except UnreadableInventoryError as error:
        _fail(error)
        return EXIT_UNREADABLE
    except BlankInventoryError as error:
        _fail(error)
        return EXIT_INPUT
    except InventoryError as error:
        sys.stdout.write(format_report(error.issues))
        print(f"{shown(error.source)}: not assessed; fix the errors above (nistpf validate)")
        return EXIT_INPUT
    if store is not None:
        try:
            number = store.latest() if args.assessment is None else args.assessment
            run = store.assessment(number)  # an unknown one: one line, nothing recorded
            # Only now, with an assessment to apply, is the workbook's client the engagement's.
            warning = store.claim(inventory)
            if warning:
                print(f"nistpf: warning: {shown(warning)}", file=sys.stderr)
            inventory, note = store.inventory_for(number, inventory, args.mapping)
            if note:
                print(f"nistpf: note: {shown(note)}", file=sys.stderr)
            inventory = store.apply(inventory, number)
            print(f"Assessment {number} ({shown(run['name'])}) of {shown(store.path.name)}")
        except EmptyStoreError as error:
            print(
                f"nistpf: note: {shown(error)}; until then, nothing saved is included (the same "
                "as without --store)",
                file=sys.stderr,
            )
        else:
            for row in inventory.warnings.itertuples(index=False):
                if row.code in ("store-orphan", "store-scale"):
                    print(f"nistpf: note: {shown(row.problem)}", file=sys.stderr)
    return nistpf.assess(inventory, defaults={"no_evidence": args.no_evidence})


def _deliverable(args: argparse.Namespace, assessment: nistpf.Assessment, kind: str) -> Path:
    """``<engagement>-<kind>`` beside SOURCE: named after the client (About), else the store's
    engagement, else SOURCE's own name."""
    source = args.source.resolve()
    fallback = source.name if source.is_dir() else source.stem
    if args.store:
        fallback = open_store(args.store, create=False).engagement_name
    label = engagement_label(assessment.inventory, fallback)
    return source.parent / deliverable_name(label, kind)


def _reads(args: argparse.Namespace) -> list[Use]:
    """Every path ``assess`` or ``report`` reads, with its role: nistpf's own installed files
    (:func:`nistpf.io.paths.installed_uses`), SOURCE (the file, or the folder and each of its
    files), the mapping file and the files its ``file =`` entries name, and the store with the
    files SQLite keeps beside it (:func:`nistpf.io.paths.store_uses`). (``report``'s register
    carried over is added by ``_report``.)"""
    reads = [*installed_uses(), *source_uses(args.source)]
    if args.mapping is not None:
        reads += _mapping_uses(args.mapping, args.source)
    if args.store:
        reads += store_uses(args.store)
    return reads


def _mapping_uses(mapping: Path, source: Path) -> list[Use]:
    """The mapping file (a path, or the bundled mapping its name names) and the files its
    ``file =`` entries take sheets from: relative to SOURCE's folder (SOURCE itself when it is
    a folder) or absolute, as the loader reads them (``nistpf.inventory.loader``)."""
    path = Path(mapping)
    if not path.exists():
        path = bundled_mappings().get(str(mapping), path)
    uses = [Use(path, "the column mapping")]
    try:
        sheets = load_mapping(mapping).sheets
    except NistpfError:  # loading succeeded a moment ago; a file changed since reads nothing
        return uses
    here = Path(source).resolve()
    base = here if here.is_dir() else here.parent
    for sheet_name, sheet in sheets.items():
        if sheet.file:
            other = Path(sheet.file).expanduser()
            other = other if other.is_absolute() else base / other
            uses += source_uses(other, f"the {sheet_name} file the column mapping names")
    return uses


def _prepare(reads: list[Use], writes: list[Use]) -> None:
    """Everything checked before the first byte is written: no output is a path read or
    another output (:func:`nistpf.io.paths.check_paths`), and each output can be written
    (:func:`nistpf.io.atomic.check_destination`; an image folder must be, or be creatable in,
    a writable folder). So a refusal of the third output leaves the first unwritten."""
    check_paths(reads, writes)
    folders = {use.path for use in writes if use.folder}
    for use in writes:
        if use.folder:
            _check_folder(use.path)
        elif use.path.parent not in folders or use.path.parent.is_dir():
            check_destination(use.path)  # (in an image folder still to be made: nothing to check)


def _check_folder(folder: Path) -> None:
    """Refuse an image folder that is a file (or a device, a pipe, a socket), or that is or
    would be made in a folder nistpf cannot write."""
    try:
        place = next((p for p in (folder, *folder.parents) if p.exists()), Path.cwd())
        if not place.is_dir():
            where = "it" if place == folder else shown(place)
            raise OutputNotWritableError(
                folder,
                f"{where} is {file_kind(place) or 'a file'}, not a folder; name a folder for "
                "the images",
            )
        if not os.access(place, os.W_OK | os.X_OK):
            raise OutputNotWritableError(
                folder,
                f"the folder {shown_folder(place)} is read-only; choose a folder you can write to",
            )
    except OutputNotWritableError:
        raise
    except OSError as error:  # a folder on the way that cannot be searched, a link loop
        raise OutputNotWritableError.from_os_error(folder, error) from None


def _assess(args: argparse.Namespace) -> int:
    from nistpf.export.excel import closed_items, gather_edits, write_gap_register
    from nistpf.export.register_edits import client_wrote

    # A destination that may not be written (an input, a folder) is refused before anything is
    # read, so the reason given is that one; a default one (named after the client) once the
    # inventory is read. The register carried over is no input to protect here: the new
    # register replacing it, with its edits carried over, is the point of --carry-over and of
    # the default (the register at FILE is read, then replaced).
    reads = _reads(args)
    if args.output:
        _prepare(reads, [Use(args.output, "the gap register")])
    assessment = _load_and_assess(args)
    if isinstance(assessment, int):
        return assessment
    output = Path(args.output or _deliverable(args, assessment, "gap-register.xlsx"))
    _prepare(reads, [Use(output, "the gap register")])
    # The register being replaced may hold what the client typed: it carries over first.
    carried = gather_edits(output, args.carry_over, overwrite=args.overwrite)
    for note in carried.notes:
        print(f"nistpf: note: {shown(note)}", file=sys.stderr)
    edits = carried.edits
    written = write_gap_register(assessment, output, carry_over=edits, overwrite=True)
    print(assessment_summary(assessment))
    if edits is not None:
        closed = closed_items(assessment, edits)
        names = " and ".join(shown(p.name) for p in carried.sources)
        print(
            f"\nCarried over from {names}: {int(client_wrote(edits).sum())} rows with the "
            f"client's edits; closed since then: {len(closed)}"
        )
        for row in closed.itertuples(index=False):
            print(f"  {row.subcategory} ({row.reason})")
    print(f"\nwrote {shown(written)}")
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from nistpf.export.deck import write_deck
    from nistpf.export.images import CHARTS, find_browser, write_images
    from nistpf.export.register_edits import read_register_edits
    from nistpf.export.report import write_report

    reads = _reads(args)
    if args.carry_over:
        reads.append(Use(args.carry_over, "the register carried over"))
    writes = []
    if args.html:
        writes.append(Use(args.html, "the HTML report"))
    if args.pptx:
        writes.append(Use(args.pptx, "the slide deck"))
    images = [(folder, fmt) for folder, fmt in ((args.png, "png"), (args.pdf, "pdf")) if folder]
    for folder, fmt in images:
        role = f"the {fmt.upper()} chart images"
        writes.append(Use(folder, role, folder=True))
        writes += [Use(folder / f"{chart}.{fmt}", role) for chart in CHARTS]
    # Every output named is checked before anything is read or written (as for assess), and
    # the browser looked for: without one, one line, and not after the HTML report is written.
    _prepare(reads, writes)
    if args.pptx or images:
        find_browser()
    assessment = _load_and_assess(args)
    if isinstance(assessment, int):
        return assessment
    html = args.html
    if not writes:  # no output named: the HTML report beside SOURCE, named after the client
        html = _deliverable(args, assessment, "report.html")
        _prepare(reads, [Use(html, "the HTML report")])
    carried = read_register_edits(args.carry_over) if args.carry_over else None
    for note in carried.attrs["notes"] if carried is not None else ():
        print(f"nistpf: note: {shown(note)}", file=sys.stderr)
    written: list[Path] = []
    if html:
        written.append(write_report(assessment, html))
    if args.pptx:
        written.append(write_deck(assessment, args.pptx, carry_over=carried))
    for folder, fmt in images:
        written += write_images(assessment, folder, formats=(fmt,))
    print(assessment_summary(assessment))
    print()
    for path in written:
        print(f"wrote {shown(path)}")
    return EXIT_OK


# -- validate --------------------------------------------------------------------------------


def _validate(args: argparse.Namespace) -> int:
    try:
        inventory = nistpf.load_inventory(args.source, mapping=args.mapping)
    except UnreadableInventoryError as error:
        _fail(error)
        return EXIT_UNREADABLE
    except BlankInventoryError as error:
        _fail(error)
        return EXIT_INPUT
    except InventoryError as error:
        sys.stdout.write(format_report(error.issues, args.format))
        if args.format == "table":
            print(f"{shown(error.source)}: not loaded; fix the errors above and run validate again")
        return EXIT_INPUT
    sys.stdout.write(format_report(inventory.issues, args.format))
    if args.format == "table":
        counts = [
            (len(inventory.systems), "system"),
            (len(inventory.controls), "control"),
            (len(inventory.flows), "data flow"),
        ]
        print(
            f"{shown(inventory.source)}: "
            + ", ".join(f"{n} {word}{'s' * (n != 1)}" for n, word in counts)
            + "; no errors"
        )
    return EXIT_OK


# -- map -------------------------------------------------------------------------------------


def _map(args: argparse.Namespace) -> int:
    from nistpf.inventory.draft import draft_mapping, write_draft

    if args.output is not None:  # (write_draft checks the source itself as well)
        reads = [*installed_uses(), *source_uses(args.source)]
        check_paths(reads, [Use(args.output, "the drafted mapping")])
    try:
        if args.output is None:
            sys.stdout.write(draft_mapping(args.source))
            return EXIT_OK
        written = write_draft(args.source, args.output, overwrite=args.overwrite)
    except UnreadableInventoryError as error:
        _fail(error)
        return EXIT_UNREADABLE
    except NistpfError:  # an existing file, the source itself, a read-only folder: one line
        raise
    except OSError as error:
        if args.output is None or _within(Path(os.fsdecode(error.filename or "")), args.source):
            print(f"nistpf: {os_failure(error, [args.source])}", file=sys.stderr)
        else:
            print(f"nistpf: cannot write {shown(args.output)}: {os_cause(error)}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {shown(written)}")
    print(
        f"next: check the lines marked 'check:', then nistpf validate {shown(args.source)} "
        f"--mapping {shown(written)}"
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
        sys.stdout.write(csv_text(table))
    elif fmt == "json":
        json.dump(table.to_dict(orient="records"), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(text())
