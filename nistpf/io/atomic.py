"""Writing files so that an interrupted run never leaves half a file behind."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from nistpf.errors import OutputNotWritableError, shown
from nistpf.io.paths import Use, check_paths, fit_name, name_max, name_size, source_uses
from nistpf.io.paths import same_file as same_file  # re-exported: where the writers found it

# mkstemp's random part and the suffix: ".<name>." + 8 characters + ".tmp".
_TEMPORARY_EXTRA = len("..") + 8 + len(".tmp")


@contextlib.contextmanager
def atomic_open(path: Path, mode: str = "w", **kwargs) -> Iterator[IO]:
    """Open a temporary file beside ``path`` for writing; on success it is flushed, synced and
    renamed over ``path`` in one step, on failure it is removed and ``path`` is left as it was.

    The temporary file is ``.<name>.XXXXXXXX.tmp``; for a name too long to leave room for that
    within the file system's limit (255 bytes on most), the name in it is shortened, so any
    name the file system takes can be written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{temporary_stem(path)}.", suffix=".tmp"
    )
    try:
        # mkstemp creates the file for its owner only; give it the mode a new file would get
        # (or the mode of the file it replaces).
        os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else _new_file_mode())
        with os.fdopen(handle, mode, **kwargs) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically, with the line ends given."""
    with atomic_open(path, "w", encoding="utf-8", newline="") as stream:
        stream.write(text)


def temporary_stem(path: Path) -> str:
    """The name part of ``path``'s temporary file: its own name, or, when ``.<name>.XXXXXXXX.tmp``
    would pass the file system's limit on a name, the name shortened to fit (the temporary file
    is hidden and lives for one write; only the final name is the one asked for)."""
    room = name_max(path.parent) - _TEMPORARY_EXTRA
    return path.name if name_size(path.name) <= room else fit_name(path.name, room)


def check_destination(
    path: Path, *, source: str | os.PathLike | None = None, role: str = "the output"
) -> None:
    """Refuse, with one clear line, a destination nistpf must not or cannot write: the input
    it read (``source``: the file, or any path in a source folder; see
    :func:`nistpf.io.paths.check_paths`, which compares every input of a command), a name
    longer than the file system takes, a folder, a missing or read-only folder, a read-only
    file, a file open in Excel or LibreOffice (their lock files). Raises
    :class:`~nistpf.errors.OutputIsInputError` or :class:`~nistpf.errors.OutputNotWritableError`."""
    path = Path(path)
    if source is not None:
        check_paths(source_uses(source), [Use(path, role)])
    folder = path.parent
    limit = name_max(folder)
    if name_size(path.name) > limit:
        raise OutputNotWritableError(
            path,
            f"its name is {name_size(path.name):,} bytes, more than the {limit} a file name may "
            "have; choose a shorter name",
        )
    try:
        _check_place(path, folder, limit)
    except OutputNotWritableError:
        raise
    except OSError as error:  # a folder on the way that cannot be searched, a link loop
        raise OutputNotWritableError.from_os_error(path, error) from None


def _check_place(path: Path, folder: Path, limit: int) -> None:
    if path.is_dir():
        raise OutputNotWritableError(path, "it is a folder")
    if not folder.exists():
        raise OutputNotWritableError(path, f"the folder {shown(folder)} does not exist")
    if not folder.is_dir():
        raise OutputNotWritableError(path, f"{shown(folder)} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputNotWritableError(path, f"the folder {shown(folder)} is read-only")
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputNotWritableError(path, "the file is read-only")
    for lock, program in (
        (f".~lock.{path.name}#", "LibreOffice"),
        (f"~${path.name}", "Excel"),
        (f"~${path.name[2:]}", "Excel"),  # Excel shortens long names
    ):
        # A lock file's name longer than the limit cannot exist (nor be made): no lock.
        if name_size(lock) <= limit and (folder / lock).is_file():
            raise OutputNotWritableError(
                path,
                f"it is open in {program} (lock file {shown(lock)}); close it, or delete the "
                "lock file if nobody has it open",
            )
