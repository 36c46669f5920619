"""Engagement folders: the client's inventory, the guided notebooks and the engagement store,
side by side, and what the notebooks open.

``nistpf new DIR`` (:func:`new_engagement`) makes the folder: ``inventory.xlsx`` (the blank
template to send the client; with ``sample=True`` the bundled sample, for practice), copies of
the guided notebooks, and ``engagement.nistpf`` (the store). Every notebook's first cell is

    engagement = nistpf.open_engagement()

which opens the folder it runs in — the client's workbook and store, the client's name from
the About sheet for titles and file names — and stops the notebook with one sentence while
``inventory.xlsx`` is still the blank template. The repository's own notebooks read
``nistpf.open_engagement(sample=True)`` instead: the bundled sample, with a store beside the
notebook; :func:`new_engagement` rewrites that one line when it copies them, so a client's
folder never reads the sample.

>>> engagement = nistpf.open_engagement("acme-2026")     # doctest: +SKIP
>>> engagement.client, engagement.assess().overall        # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import io
import json
import zipfile
import zlib
from pathlib import Path
from typing import Any

from nistpf.assessment import Assessment
from nistpf.errors import (
    BundledFileError,
    InventoryError,
    NistpfError,
    OutputNotWritableError,
    os_cause,
    os_reason,
    shown,
)
from nistpf.inventory import Inventory, load_inventory
from nistpf.inventory.template import write_template
from nistpf.io.atomic import write_bytes, write_text
from nistpf.io.paths import Use, bundled_notebooks_dir, check_paths, file_kind
from nistpf.safe_names import safe_filename
from nistpf.sample import sample_path
from nistpf.scoring import DEFAULTS, SettingsError, assess
from nistpf.store import Store, open_store
from nistpf.store_schema import StoreAccessError, StoreDatabaseError

STORE_NAME = "engagement.nistpf"
VOILA_SETTINGS = "voila.json"
INVENTORY_NAME = "inventory.xlsx"
_PACKAGED = Path(__file__).resolve().parent / "_notebooks"  # where a wheel carries notebooks/
_REPOSITORY = Path(__file__).resolve().parents[1] / "notebooks"
# The one line that differs between the repository's notebooks and an engagement's copies.
SAMPLE_LINE = "engagement = nistpf.open_engagement(sample=True)"
CLIENT_LINE = "engagement = nistpf.open_engagement()"
_SAMPLE_COMMENT = "# The bundled sample; in a folder made by `nistpf new`, that folder.\n"
_CLIENT_COMMENT = "# This folder's engagement: its inventory.xlsx and engagement.nistpf.\n"


class EngagementExistsError(NistpfError, FileExistsError):
    """The folder for a new engagement already holds files."""

    code = "engagement-exists"


class NotAnEngagementError(NistpfError, FileNotFoundError):
    """A folder that holds no engagement (no inventory.xlsx or no engagement.nistpf)."""

    code = "not-an-engagement"


def notebooks_dir() -> Path:
    """The guided notebooks shipped with nistpf (an installed wheel's, or the checkout's;
    :func:`nistpf.io.paths.bundled_notebooks_dir`, which the path checks protect)."""
    return bundled_notebooks_dir()


@dataclasses.dataclass(frozen=True)
class Engagement:
    """One engagement as the notebooks see it: ``folder``, ``inventory_path`` (the client's
    workbook), ``store_path`` (its engagement store), ``sample`` (True for practice on the
    bundled sample) and ``inventory`` (loaded and checked; None when it has errors, which
    ``report`` lists). Built by :func:`open_engagement`."""

    folder: Path
    inventory_path: Path
    store_path: Path
    sample: bool
    inventory: Inventory | None
    report: Any  # the validation report (DataFrame), errors included

    @property
    def store(self) -> Store:
        return open_store(self.store_path)

    @property
    def client(self) -> str:
        """The client's name from the inventory's About sheet, else the engagement's name."""
        named = self.inventory.about_value("client") if self.inventory is not None else ""
        return named or self.name

    @property
    def name(self) -> str:
        """The engagement's name (About's ``engagement``, else the store's, else the folder's)."""
        named = self.inventory.about_value("engagement") if self.inventory is not None else ""
        return named or self.store.engagement_name

    def title(self, subject: str) -> Any:
        """A Markdown heading "<client> — <subject>" for a notebook's first output (an
        ``IPython.display.Markdown``; its text is ``.data``)."""
        from IPython.display import Markdown

        return Markdown(f"# {_markdown_text(self.client)} — {_markdown_text(subject)}")

    def require_inventory(self) -> Inventory:
        """The loaded inventory; :class:`nistpf.InventoryError` (shown in a notebook as its
        one-line message) when the workbook has errors."""
        if self.inventory is None:
            raise InventoryError(self.inventory_path.name, self.report)
        return self.inventory

    def assess(self, number: int | None = None, **options: Any) -> Assessment:
        """The assessment of the client's workbook with everything the store saved for
        assessment ``number`` (default: the latest; none yet: the workbook alone). An earlier
        assessment, followed up since, is scored with the workbook it was made with
        (:meth:`nistpf.Store.inventory_for`).

        ``options`` go to :func:`nistpf.assess`: ``framework``, ``scale``, ``defaults`` (the
        settings, e.g. ``defaults={"no_evidence": "exclude"}``) and ``rules``. Any other name
        is a :class:`nistpf.scoring.SettingsError` listing these (and, for a setting passed on
        its own such as ``no_evidence=``, saying to pass it in ``defaults``); the settings
        themselves are checked by :func:`nistpf.assess` (:func:`nistpf.scoring.settings`).
        Raises :class:`nistpf.InventoryError` when the workbook has errors."""
        check_options(options)
        inventory = self.require_inventory()
        store = self.store
        if number is not None or not store.assessments().empty:
            number = store.latest() if number is None else int(number)
            inventory, _ = store.inventory_for(number, inventory)
            inventory = store.apply(inventory, number)
        return assess(inventory, **options)

    def output(self, kind: str) -> Path:
        """Where a deliverable goes: in the folder, named after the engagement
        (:func:`deliverable_name`), e.g. ``output("deck.pptx")`` → ``acme-retail-deck.pptx``."""
        return self.folder / deliverable_name(self.client, kind)


ASSESS_OPTIONS = ("framework", "scale", "defaults", "rules")


def check_options(options: dict[str, Any]) -> None:
    """Raise :class:`nistpf.scoring.SettingsError` for a keyword that :func:`nistpf.assess`
    does not take, naming the ones it does; a setting's name (``no_evidence``) is told to go
    in ``defaults``."""
    for name in options:
        if name in ASSESS_OPTIONS:
            continue
        if name in DEFAULTS:
            raise SettingsError(
                f"{name} is a setting: pass it as defaults={{{name!r}: ...}}; the options are "
                f"{', '.join(ASSESS_OPTIONS)}"
            )
        raise SettingsError(
            f"{name!r} is not an option of assess; the options are {', '.join(ASSESS_OPTIONS)}"
            f" (the settings go in defaults: {', '.join(DEFAULTS)})"
        )


def open_engagement(folder: str | Path = ".", *, sample: bool = False) -> Engagement:
    """The engagement in ``folder``: its ``inventory.xlsx`` and ``engagement.nistpf``, made by
    ``nistpf new``. With ``sample=True``, practice on the bundled sample instead, with a store
    in ``folder`` (created when missing).

    Raises :class:`NotAnEngagementError` for a folder without the two files,
    :class:`nistpf.errors.BlankInventoryError` while the workbook is still the blank template,
    and :class:`nistpf.UnreadableInventoryError` for a file that is not a workbook — each
    shown in a notebook as one sentence, which stops "Run All" cleanly. A workbook with
    errors opens (``inventory`` None, ``report`` listing them) so the guided notebook can
    show them."""
    folder = Path(folder)
    store_path = folder / STORE_NAME
    if sample:
        source = sample_path()
        open_store(store_path)  # created for practice
    else:
        source = folder / INVENTORY_NAME
        missing = [p.name for p in (source, store_path) if not p.is_file()]
        if missing:
            raise NotAnEngagementError(
                f"{shown(folder.resolve())} is not an engagement folder (no "
                f"{' or '.join(missing)}): make one with `nistpf new DIR`, or open the notebook "
                "in the engagement's folder"
            )
    try:
        inventory, report = load_inventory(source), None
    except InventoryError as error:
        if not error.issues.empty and type(error) is InventoryError:
            inventory, report = None, error.issues
        else:
            raise  # blank template, unreadable file: one sentence, the notebook stops
    if inventory is not None:
        report = inventory.issues
    return Engagement(
        folder.resolve(), Path(source), store_path.resolve(), sample, inventory, report
    )


def deliverable_name(engagement: str, kind: str) -> str:
    """A deliverable's file name after the engagement, never after the input file:
    ``deliverable_name("Tallowby & Finch Ltd", "deck.pptx")`` → ``tallowby-finch-ltd-deck.pptx``
    (letters and digits kept, lower case, the rest one hyphen; safe for every file system).

    However long the engagement's name, the file name fits the file system's limit (255 bytes):
    the engagement part is cut to 60 characters and the whole to 240 UTF-8 bytes
    (:func:`nistpf.safe_names.safe_filename`), which leaves room for the temporary name a
    write uses beside it (``.<name>.XXXXXXXX.tmp``, 14 bytes more); a register kept aside as
    ``<name> (replaced <date> <time>).xlsx`` shortens its own name to fit."""
    # The engagement part is cut so the kind always survives: two deliverables never collide.
    # Cut in bytes as well as characters: 60 letters of a script written in 4-byte characters
    # would otherwise take the kind past safe_filename's 240 bytes, which then cuts the kind.
    slug = _slug(engagement)[:60].rstrip("-")
    room = _NAME_BYTES - len(f"-{kind}".encode())
    while len(slug.encode("utf-8")) > room:
        slug = slug[:-1]
    slug = slug.rstrip("-")
    return safe_filename(f"{slug}-{kind}" if slug else kind, default=kind)


_NAME_BYTES = 240  # safe_filename's bound: 255 less room for a write's temporary name


def engagement_label(inventory: Inventory, fallback: str) -> str:
    """What deliverables are named after: the inventory's client (About), else its
    engagement, else ``fallback`` (the store's engagement name, or the input's name)."""
    return inventory.about_value("client") or inventory.about_value("engagement") or fallback


def _slug(text: str) -> str:
    kept = "".join(c.lower() if c.isalnum() else "-" for c in text.strip())
    return "-".join(part for part in kept.split("-") if part) or "assessment"


def _markdown_text(text: str) -> str:
    """Text shown as Markdown literally, on one line (no emphasis, links, HTML or maths from
    the workbook)."""
    special = "\\`*_{}[]()#+-.!|<>&~$"
    return "".join(f"\\{c}" if c in special else c for c in " ".join(str(text).split()))


def new_engagement(
    folder: str | Path, *, name: str | None = None, sample: bool = False
) -> dict[str, Path]:
    """Create ``folder`` with ``inventory.xlsx`` (the blank template to send the client; with
    ``sample`` the bundled sample, a practice engagement), copies of the guided notebooks
    (opening this folder's workbook and store, never the sample's), and ``engagement.nistpf``
    (the store), all side by side. Refuses a folder that already holds files, so nothing is
    ever overwritten. Returns the paths: ``inventory``, ``store`` and ``notebooks`` (the
    folder holding them).

    All or nothing: when a step fails (a read-only place, a full disk, a name too long), what
    this call made is removed — the files it wrote, the folders it created, and only those —
    and the failure is one :class:`~nistpf.errors.OutputNotWritableError` line naming the path
    and the cause (a store error, its own one line). nistpf's own files it copies (the
    notebooks, their Voilà settings, the sample) are read, and checked, before anything is
    made: one that cannot be read or is damaged is a :class:`~nistpf.errors.BundledFileError`
    ("nistpf's bundled notebook … cannot be read (…): reinstall nistpf")."""
    folder = Path(folder)
    try:
        kind = file_kind(folder) or ("a file" if folder.exists() else "")
        taken = kind == "a folder" and any(folder.iterdir())
    except OSError as error:
        raise OutputNotWritableError.from_os_error(folder, error) from None
    if kind and kind != "a folder":
        raise EngagementExistsError(
            f"{shown(folder)} is {kind}, not a folder; choose a new folder for the engagement"
        )
    if taken:
        raise EngagementExistsError(
            f"{shown(folder)} already exists and is not empty; choose a new folder for the "
            "engagement"
        )
    notebooks = sorted(notebooks_dir().glob("*.ipynb"))
    settings = notebooks_dir() / VOILA_SETTINGS
    names = [STORE_NAME, INVENTORY_NAME, *(n.name for n in notebooks), VOILA_SETTINGS]
    reads = [Use(n, f"the guided notebook {n.name} nistpf copies") for n in notebooks]
    reads.append(Use(settings, "the Voilà settings nistpf copies"))
    if sample:
        reads.append(Use(sample_path(), "nistpf's bundled sample"))
    check_paths(reads, [Use(folder / n, f"the engagement's {n}") for n in names])
    copies = {n.name: _bundled_notebook(n) for n in notebooks}
    settings_bytes = _bundled_json(settings, "Voilà settings")
    sample_bytes = _bundled_workbook(sample_path(), "sample") if sample else b""
    made = _folders_to_make(folder)
    current = folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # The store first, while the disk has the most room: SQLite needs room for its log on
        # top of the file while it writes, and the files after it fail more plainly.
        current = folder / STORE_NAME
        store = open_store(current)
        store.set_engagement_name(name or folder.resolve().name)
        current = folder / INVENTORY_NAME
        if sample:
            write_bytes(current, sample_bytes)
            inventory = current
        else:
            inventory = write_template(current)
        for name, text in copies.items():
            current = folder / name
            write_text(current, text)
        # Voilà's settings for presenting notebook 04: outputs rendered as the cells run, which
        # is how plotly's renderer gets the output model it writes the chart's image into.
        current = folder / VOILA_SETTINGS
        write_bytes(current, settings_bytes)
    except BaseException as error:
        _undo(folder, names, made)
        if isinstance(error, OSError) and not isinstance(error, NistpfError):
            raise OutputNotWritableError(
                current, f"{os_cause(error, current)} (nothing of {shown(folder)} was kept)"
            ) from None
        if isinstance(error, (StoreAccessError, StoreDatabaseError)):  # one-message errors
            raise type(error)(f"{error} (nothing of {shown(folder)} was kept)") from None
        if isinstance(error, OutputNotWritableError):
            raise OutputNotWritableError(
                error.path, f"{error.reason} (nothing of {shown(folder)} was kept)"
            ) from None
        raise
    return {"inventory": inventory, "notebooks": folder, "store": store.path}


def _bundled_notebook(path: Path) -> str:
    """The engagement's copy of the bundled notebook at ``path`` (:func:`engagement_notebook`);
    a :class:`~nistpf.errors.BundledFileError` when it cannot be read or is no notebook."""
    try:
        return engagement_notebook(_bundled_bytes(path, "notebook").decode("utf-8"))
    except UnicodeDecodeError:
        cause = "not UTF-8 text"
    except json.JSONDecodeError as error:
        cause = f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
    except ValueError as error:  # engagement_notebook's: no parameters line to rewrite
        cause = str(error)
    except (KeyError, TypeError, AttributeError):
        cause = "not a notebook: no list of cells"
    raise BundledFileError("notebook", path, cause) from None


def _bundled_json(path: Path, what: str) -> bytes:
    """The bytes of nistpf's bundled JSON file at ``path``, checked to be JSON."""
    data = _bundled_bytes(path, what)
    try:
        json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise BundledFileError(what, path, "not UTF-8 text") from None
    except json.JSONDecodeError as error:
        cause = f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        raise BundledFileError(what, path, cause) from None
    return data


def _bundled_workbook(path: Path, what: str) -> bytes:
    """The bytes of nistpf's bundled workbook at ``path``, checked to be a whole zip archive
    (an .xlsx is one: every member's checksum is read, about 50 KB for the sample)."""
    data = _bundled_bytes(path, what)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, EOFError, OSError, ValueError):
        raise BundledFileError(what, path, "not a workbook: no zip archive") from None
    with archive:
        try:
            damaged = archive.testzip()
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
            raise BundledFileError(what, path, f"a part is damaged: {error}") from None
    if damaged is not None:
        raise BundledFileError(what, path, f"its part {shown(damaged)} is damaged")
    return data


def _bundled_bytes(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise BundledFileError(what, path, os_reason(error)) from None


def _folders_to_make(folder: Path) -> list[Path]:
    """The folders ``folder.mkdir(parents=True)`` would create, innermost first."""
    missing = []
    for candidate in (folder, *folder.parents):
        try:
            if candidate.exists():
                break
        except OSError:
            break
        missing.append(candidate)
    return missing


def _undo(folder: Path, names: list[str], made: list[Path]) -> None:
    """Remove what :func:`new_engagement` made in ``folder``: the files ``names`` (the folder
    was empty or new, so each of them is this call's), the store's SQLite companions and the
    hidden temporary files of an interrupted write of one of them, then the folders in
    ``made`` that are empty. Anything else — a file another program put there meanwhile —
    stays, and so does its folder."""
    leftovers = [folder / n for n in names]
    leftovers += [folder / f"{STORE_NAME}{suffix}" for suffix in ("-wal", "-shm", "-journal")]
    for name in names:
        with contextlib.suppress(OSError):
            leftovers += list(folder.glob(f".{glob.escape(name)}.*"))
    for path in leftovers:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
    for made_folder in made:  # innermost first
        with contextlib.suppress(OSError):
            made_folder.rmdir()


def engagement_notebook(text: str) -> str:
    """A repository notebook (its JSON text) as an engagement's copy: the cell tagged
    ``parameters`` opens this folder's engagement instead of the sample, and nothing else
    changes. A notebook without that cell is copied as it is."""
    notebook = json.loads(text)
    for cell in notebook["cells"]:
        if "parameters" not in cell.get("metadata", {}).get("tags", []):
            continue
        source = "".join(cell["source"])
        if SAMPLE_LINE not in source:
            raise ValueError(f"the parameters cell does not hold {SAMPLE_LINE!r}")
        source = source.replace(_SAMPLE_COMMENT, _CLIENT_COMMENT).replace(SAMPLE_LINE, CLIENT_LINE)
        cell["source"] = source.splitlines(keepends=True)
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def next_steps(paths: dict[str, Path], *, sample: bool = False) -> list[str]:
    """The three steps after ``nistpf new``, as lines to print (commands run in the folder)."""
    folder = paths["notebooks"]
    # Run from a checkout rather than an installed nistpf, the commands need uv's --project.
    run = "" if _PACKAGED.is_dir() else f"uv run --project {_REPOSITORY.parent} "
    if sample:
        first = (
            "1. Practise: inventory.xlsx is the bundled sample, a fictional client; "
            f"`{run}nistpf validate inventory.xlsx` shows what a client's workbook is checked "
            "for."
        )
    else:
        first = (
            f"1. Send {shown(paths['inventory'].name)} to the client to fill in. When it comes "
            f"back, save it over inventory.xlsx and run `{run}nistpf validate inventory.xlsx`; "
            "send them what it lists."
        )
    return [
        f"Next steps, in {shown(folder)}:",
        first,
        f"2. Rate with the client: `{run}jupyter lab 02_guided_assessment.ipynb` (every rating "
        "is saved in engagement.nistpf the moment it is made).",
        f"3. Hand over: `{run}nistpf assess inventory.xlsx --store engagement.nistpf` (the gap "
        f"register) and `{run}nistpf report inventory.xlsx --store engagement.nistpf --html "
        "report.html --pptx deck.pptx` (report and deck), or the guided notebook's Export tab.",
    ]
