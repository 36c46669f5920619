"""Writing files so that an interrupted run never leaves half a file behind."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from nistpf.errors import OutputIsInputError, OutputNotWritableError


@contextlib.contextmanager
def atomic_open(path: Path, mode: str = "w", **kwargs) -> Iterator[IO]:
    """Open a temporary file beside ``path`` for writing; on success it is flushed, synced and
    renamed over ``path`` in one step, on failure it is removed and ``path`` is left as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
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


def check_destination(path: Path, *, source: str | os.PathLike | None = None) -> None:
    """Refuse, with one clear line, a destination nistpf must not or cannot write: the input
    it read (``source``), a folder, a missing or read-only folder, a read-only file, a file
    open in Excel or LibreOffice (their lock files)."""
    path = Path(path)
    if source is not None and same_file(path, Path(source)):
        raise OutputIsInputError(path)
    folder = path.parent
    if path.is_dir():
        raise OutputNotWritableError(path, "it is a folder")
    if not folder.exists():
        raise OutputNotWritableError(path, f"the folder {folder} does not exist")
    if not folder.is_dir():
        raise OutputNotWritableError(path, f"{folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputNotWritableError(path, f"the folder {folder} is read-only")
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputNotWritableError(path, "the file is read-only")
    for lock, program in (
        (f".~lock.{path.name}#", "LibreOffice"),
        (f"~${path.name}", "Excel"),
        (f"~${path.name[2:]}", "Excel"),  # Excel shortens long names
    ):
        if (folder / lock).is_file():
            raise OutputNotWritableError(
                path,
                f"it is open in {program} (lock file {lock}); close it, or delete the lock "
                "file if nobody has it open",
            )


def same_file(one: Path, other: Path) -> bool:
    try:
        if one.resolve() == other.resolve():
            return True
        return one.exists() and other.exists() and os.path.samefile(one, other)
    except OSError:
        return False
