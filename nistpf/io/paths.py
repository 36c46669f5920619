"""One check that nothing a command writes is something it reads, or another of its outputs.

A command lists what it reads — the inventory file, or every file of a CSV folder; the column
mapping and the files its ``file =`` entries name; the engagement store and the files SQLite
keeps beside it (:func:`store_uses`); the register carried over; nistpf's own installed files,
which every command reads (:func:`installed_uses`) — and what it will write (each output file,
each chart image of an image folder), each with its role in words, and calls
:func:`check_paths` before it writes anything. The CLI does so for every command; the library
writers do so for the inputs they know (the inventory an assessment was read from, a register
to carry over, nistpf's own files).

Two paths are the same file when their resolved paths are equal (``./``, ``..`` and symbolic
links followed) or, for files that exist, when ``(st_dev, st_ino)`` are equal (a hard link, a
second mount of one folder). An output that is a symbolic link is written where the link
points (:func:`nistpf.io.atomic.atomic_open`), so it is that target, resolved, that is compared
with what the command reads. A folder read as a whole (a CSV source folder) is protected with
everything inside it: nistpf writes nothing into the client's folder, not even a new file
beside theirs, because a new ``.csv`` there would be read as a sheet next time.

>>> from pathlib import Path
>>> check_paths(
...     [Use(Path("eng.nistpf"), "the engagement store")],
...     [Use(Path("eng.nistpf"), "the HTML report")],
... )  # doctest: +ELLIPSIS
Traceback (most recent call last):
nistpf.errors.OutputIsInputError: eng.nistpf is the engagement store, which this command reads; ...
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nistpf.errors import NAME_MAX, OutputIsInputError, OutputsCollideError, shown

__all__ = [
    "NAME_MAX",
    "Use",
    "bundled_data_dir",
    "bundled_notebooks_dir",
    "check_paths",
    "file_kind",
    "fit_name",
    "installed_uses",
    "name_max",
    "name_size",
    "same_file",
    "source_uses",
    "store_uses",
]

_WORKBOOKS = (".xlsx", ".xlsm", ".ods")


@dataclass(frozen=True)
class Use:
    """A path a command reads or writes, and its ``role`` in words as messages name it ("the
    engagement store", "the HTML report"). ``folder``: for a read, a folder protected with all
    it holds; for a write, the folder files are written into (an image folder), which must not
    itself be a file the command reads or writes."""

    path: Path
    role: str
    folder: bool = False


def source_uses(source: str | os.PathLike[str] | None, role: str | None = None) -> list[Use]:
    """What reading ``source`` reads: the file itself (``role``, default "the input workbook",
    "the input CSV file" or "the input file" by its extension), or for a folder, the folder as
    a whole and each file in it by name (so a hard link elsewhere to one of them is found too).
    A folder that cannot be listed is protected as a whole only; no source (None: an inventory
    made from DataFrames) reads nothing."""
    if source is None:
        return []
    path = Path(source)
    if not path.is_dir():
        return [Use(path, role or _input_role(path))]
    uses = [Use(path, role or "the source folder", folder=True)]
    try:
        entries = sorted(path.iterdir())
    except OSError:
        return uses
    for entry in entries:
        try:
            if entry.is_file():
                uses.append(Use(entry, f"{entry.name} of the source folder {shown(path)}"))
        except OSError:
            continue
    return uses


# The files SQLite keeps beside a store while it is open or was cut short, and what each is.
# Another file at one of these names would be taken for the store's own (and a write-ahead log
# or journal that is not the store's deleted or rolled into it) the next time it is opened.
STORE_SIDE_FILES = (
    ("-wal", "write-ahead log"),
    ("-shm", "shared-memory index"),
    ("-journal", "rollback journal"),
)


def store_uses(store: str | os.PathLike[str], role: str = "the engagement store") -> list[Use]:
    """What opening the store at ``store`` reads: the store (``role``) and the files SQLite
    keeps beside it (:data:`STORE_SIDE_FILES`: ``<store>-wal``, ``-shm``, ``-journal``; roles
    "the engagement store's write-ahead log" and so on), beside the path as given and, for a
    store reached through a symbolic link, beside the file it points to as well (where SQLite
    puts them)."""
    path = Path(store)
    uses = [Use(path, role)]
    bases = [path]
    if _resolved(path) != Path(os.path.abspath(path)):
        bases.append(_resolved(path))
    for base in bases:
        for suffix, what in STORE_SIDE_FILES:
            uses.append(Use(base.with_name(base.name + suffix), f"{role}'s {what}"))
    return uses


# -- nistpf's own installed files --------------------------------------------------------------

_PACKAGE = Path(__file__).resolve().parents[1]  # the nistpf package folder
_SAMPLE = "cx-sample"  # the bundled sample's name (nistpf.sample.SAMPLE)


def bundled_data_dir() -> Path:
    """The folder of the bundled sample and mappings: ``nistpf/_data`` in an installed wheel,
    the checkout's ``data/`` otherwise (the same folder as :func:`nistpf.sample.data_dir`)."""
    packaged = _PACKAGE / "_data"
    return packaged if (packaged / f"{_SAMPLE}.xlsx").exists() else _PACKAGE.parent / "data"


def bundled_notebooks_dir() -> Path:
    """The folder of the guided notebooks and their Voilà settings: ``nistpf/_notebooks`` in
    an installed wheel, the checkout's ``notebooks/`` otherwise."""
    packaged = _PACKAGE / "_notebooks"
    return packaged if packaged.is_dir() else _PACKAGE.parent / "notebooks"


def installed_uses() -> list[Use]:
    """nistpf's own installed files, which every command reads and none may write: nistpf's
    data (``nistpf/data``: the Privacy Framework, its rules and words; a folder, protected with
    all it holds), the bundled sample (the workbook, and its CSV folder as a whole), each
    bundled mapping, each guided notebook, their Voilà settings (``voila.json``) and the
    notebooks folder itself, and, last, the package folder ``nistpf/`` with all it holds (in
    a wheel, the sample and notebooks are inside it). Listed most specific first, so a clash
    names the file rather than the package."""
    data = bundled_data_dir()
    notebooks = bundled_notebooks_dir()
    uses = [
        Use(_PACKAGE / "data", "nistpf's own data", folder=True),
        Use(data / f"{_SAMPLE}.xlsx", "nistpf's bundled sample"),
        Use(data / _SAMPLE, "nistpf's bundled CSV sample", folder=True),
    ]
    uses += [
        Use(path, f"nistpf's bundled mapping {path.name}")
        for path in _listed(data / "mappings", "*.toml")
    ]
    uses += [
        Use(path, f"nistpf's bundled notebook {path.name}")
        for path in _listed(notebooks, "*.ipynb")
    ]
    uses += [
        Use(notebooks / "voila.json", "nistpf's bundled Voilà settings"),
        Use(notebooks, "nistpf's bundled notebooks folder"),
        Use(_PACKAGE, "nistpf's package folder", folder=True),
    ]
    return uses


def _listed(folder: Path, pattern: str) -> list[Path]:
    try:
        return sorted(folder.glob(pattern))
    except OSError:
        return []


# -- what a path is --------------------------------------------------------------------------

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
)


def file_kind(path: str | os.PathLike[str]) -> str:
    """What is at ``path``, in words, when it is not a regular file: ``"a folder"``, ``"a
    character device"`` (``/dev/null``), ``"a block device"``, ``"a named pipe (FIFO)"``,
    ``"a socket"``; ``""`` for a regular file, nothing at all, or a path that cannot be looked
    at. Symbolic links are followed (what a write through one would land on)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return ""
    if stat.S_ISREG(mode):
        return ""
    return next((words for test, words in _KINDS if test(mode)), "a special file")


def _input_role(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in _WORKBOOKS:
        return "the input workbook"
    return "the input CSV file" if suffix == ".csv" else "the input file"


def check_paths(reads: Iterable[Use], writes: Iterable[Use]) -> None:
    """Refuse, before anything is written, a command whose outputs (``writes``) include a path
    it reads (``reads``) or name one file twice. Raises :class:`~nistpf.errors.OutputIsInputError`
    (an output that is a file read, or inside a folder read) or
    :class:`~nistpf.errors.OutputsCollideError` (two outputs, one file), with one line naming
    both paths and their roles; the first clash in the order given is the one reported. Writes
    that are folders (``Use.folder``) are compared only as the path they are: the files written
    into them are to be listed as writes of their own."""
    reads = list(reads)
    writes = list(writes)
    for write in writes:
        for read in reads:
            how = _clash(write, read)
            if how is None:
                continue
            if read.folder and how == "inside":
                message = (
                    f"{shown(write.path)} is inside {read.role} {shown(read.path)}, which this "
                    "command reads; nistpf never writes into its input: choose an output "
                    f"outside that folder for {write.role}"
                )
            else:
                message = (
                    f"{shown(write.path)} is {read.role}{_aside(write.path, read.path, how)}, "
                    "which this command reads; nistpf never writes over its input: write "
                    f"{write.role} elsewhere"
                )
            raise OutputIsInputError(write.path, message, input=read.path, role=read.role)
    for index, first in enumerate(writes):
        for second in writes[index + 1 :]:
            if first.folder and second.folder:
                continue  # two kinds of image in one folder: their names differ
            how = _same(first.path, second.path)
            if how is None:
                continue
            raise OutputsCollideError(
                f"{shown(second.path)} is named for both {first.role} and {second.role}"
                f"{_aside(second.path, first.path, how)}; give each output its own file",
                (first.path, second.path),
                (first.role, second.role),
            )


def _aside(path: Path, other: Path, how: str) -> str:
    """`` (<other>, through a hard link)``: the other spelling and how it is the same file;
    nothing when both are spelt alike."""
    if not how and shown(path) == shown(other):
        return ""
    return f" ({shown(other)}{', ' + how if how else ''})"


def _clash(write: Use, read: Use) -> str | None:
    """How ``write`` lands on ``read``: ``"inside"`` a folder read, or as for :func:`_same`;
    None when it does not."""
    if read.folder:
        target, folder = _resolved(write.path), _resolved(read.path)
        if target == folder or folder in target.parents:
            return "inside"
        # The folder reached by another path that resolves elsewhere (a bind mount of it): the
        # same folder is the same (device, inode), whatever path leads to it.
        identity = _identity(read.path)
        if identity is not None and any(
            _identity(place) == identity for place in (target, *target.parents)
        ):
            return "inside"
        return None
    return _same(write.path, read.path)


def _same(one: Path, other: Path) -> str | None:
    """None when ``one`` and ``other`` are different files; else how they are one: ``""``
    (the same path, however spelt: ``./``, ``..``, relative or absolute),
    ``"through a symbolic link"`` or ``"through a hard link"``."""
    if _resolved(one) == _resolved(other):
        linked = any(str(_resolved(p)) != os.path.abspath(p) for p in (one, other))
        return "through a symbolic link" if linked else ""
    first, second = _identity(one), _identity(other)
    if first is not None and first == second:
        return "through a hard link"
    return None


def same_file(one: str | os.PathLike[str], other: str | os.PathLike[str]) -> bool:
    """Whether ``one`` and ``other`` name the same file: the same resolved path, or for files
    that exist the same ``(st_dev, st_ino)``."""
    return _same(Path(one), Path(other)) is not None


def _resolved(path: Path) -> Path:
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError):
        return Path(os.path.abspath(path))


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino


# -- name lengths ------------------------------------------------------------------------------


def name_max(folder: str | os.PathLike[str]) -> int:
    """The longest file name, in bytes, that ``folder``'s file system takes (``pathconf``'s
    ``PC_NAME_MAX``, or the nearest existing folder's above it); 255 where the system cannot
    say (Windows, whose NTFS allows 255 UTF-16 units: at least 255 bytes of any name that fits
    in 255 UTF-8 bytes)."""
    here = Path(folder)
    for candidate in (here, *here.parents):
        try:
            return int(os.pathconf(candidate, "PC_NAME_MAX"))
        except (AttributeError, OSError, ValueError):
            continue
    return NAME_MAX


def fit_name(name: str, limit: int) -> str:
    """``name`` cut to at most ``limit`` bytes (UTF-8, as Linux and macOS store names), its
    extension kept when the stem leaves room for it, never a character cut in half."""
    if _size(name) <= limit:
        return name
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or _size(dot + suffix) > limit // 2:
        stem, suffix = name, ""
    else:
        suffix = dot + suffix
    budget = limit - _size(suffix)
    while stem and _size(stem) > budget:
        stem = stem[:-1]
    return stem.rstrip(" .") + suffix


def name_size(name: str) -> int:
    """The bytes ``name`` takes on disk: UTF-8, a lone surrogate (an undecodable byte of a
    name read from disk) as the byte it stands for."""
    return _size(name)


def _size(name: str) -> int:
    try:
        return len(name.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:  # a surrogate that stands for no byte
        return len(name.encode("utf-8", "surrogatepass"))
