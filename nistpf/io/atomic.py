"""Writing files so that an interrupted run never leaves half a file behind.

Only regular files are written: an output that is a folder, a device (``/dev/null``), a named
pipe or a socket is refused, never replaced by a file.

A symbolic link is written through, not cut: writing ``reglink.xlsx -> /shared/register.xlsx``
writes ``/shared/register.xlsx`` (atomically, beside it), so the link stays and the copy it
shares is the one updated — as a spreadsheet saving the file does. (The alternative, replacing
the link with a file of its own, leaves the shared copy stale without a word.) Whether such a
write may happen is decided on the file the link points to: the check against what a command
reads (:func:`nistpf.io.paths.check_paths`) compares that target, and :func:`check_destination`
checks its folder and its kind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from nistpf.errors import OutputNotWritableError, shown
from nistpf.io.paths import (
    Use,
    check_paths,
    file_kind,
    fit_name,
    installed_uses,
    name_max,
    name_size,
    source_uses,
)
from nistpf.io.paths import same_file as same_file  # re-exported: where the writers found it

# mkstemp's random part and the suffix: ".<name>." + 8 characters + ".tmp".
_TEMPORARY_EXTRA = len("..") + 8 + len(".tmp")


@contextlib.contextmanager
def atomic_open(path: Path, mode: str = "w", **kwargs) -> Iterator[IO]:
    """Open a temporary file beside ``path`` for writing; on success it is flushed, synced and
    renamed over ``path`` in one step, on failure it is removed and ``path`` is left as it was.

    ``path`` a symbolic link: the file it points to is written, beside it, and the link stays
    (:func:`write_target`; a link to a missing file creates that file, in a folder that must
    exist). ``path``, or what it links to, being a folder, a device, a named pipe or a socket
    is an :class:`~nistpf.errors.OutputNotWritableError` ("it is a character device, not a
    file; name a file"), before anything is written; links that go round in a loop are an
    :class:`OSError` (``ELOOP``). A missing folder of ``path`` itself is created.

    The temporary file is ``.<name>.XXXXXXXX.tmp``; for a name too long to leave room for that
    within the file system's limit (255 bytes on most), the name in it is shortened, so any
    name the file system takes can be written."""
    path = Path(path)
    target = write_target(path)
    kind = file_kind(target)
    if kind:
        raise OutputNotWritableError(path, _not_a_file(path, target, kind))
    if target == path:
        path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{temporary_stem(target)}.", suffix=".tmp"
    )
    try:
        # mkstemp creates the file for its owner only; give it the mode a new file would get
        # (or the mode of the file it replaces).
        os.chmod(temporary, target.stat().st_mode & 0o777 if target.exists() else _new_file_mode())
        with os.fdopen(handle, mode, **kwargs) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_target(path: str | os.PathLike[str]) -> Path:
    """The file a write to ``path`` replaces: ``path`` itself, or, when ``path`` is a symbolic
    link, the file it points to (a chain of links followed to its end, as an absolute path; a
    link to a missing file, the file it names, which the write creates). Raises
    :class:`OSError` (``ELOOP``) for links that go round in a loop."""
    path = Path(path)
    if not os.path.islink(path):
        return path
    try:
        return Path(os.path.realpath(path, strict=True))
    except FileNotFoundError:  # a dangling link: the file it names is to be made
        return Path(os.path.realpath(path))


def _not_a_file(path: Path, target: Path, kind: str) -> str:
    """Why ``path`` (through a link, ``target``) is not written: what it is, and the fix."""
    what = kind if target == path else f"a symbolic link to {kind} ({shown(target)})"
    if kind == "a folder":
        return f"it is {what}; name a file"
    return f"it is {what}, not a file; name a file"


def shown_folder(folder: str | os.PathLike[str]) -> str:
    """``folder`` as a message shows it, as its user recognises it: as typed, or, typed as
    nothing or ``.`` (the parent of ``deck.pptx``), the current folder's absolute path.
    Escaped as :func:`nistpf.errors.shown` escapes every name."""
    text = os.fspath(folder)
    return shown(os.path.abspath(text) if text in ("", ".") else text)


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically, with the line ends given."""
    with atomic_open(path, "w", encoding="utf-8", newline="") as stream:
        stream.write(text)


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, "wb") as stream:
        stream.write(data)


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
    it read (``source``: the file, or any path in a source folder) or one of nistpf's own
    installed files (:func:`nistpf.io.paths.installed_uses`; see
    :func:`nistpf.io.paths.check_paths`, which compares every input of a command), a name
    longer than the file system takes, a folder, a device, a named pipe or a socket, a missing
    or read-only folder, a read-only file, a file open in Excel or LibreOffice (their lock
    files). A symbolic link is judged by the file it points to, which is what a write replaces
    (:func:`write_target`). Raises :class:`~nistpf.errors.OutputIsInputError` or
    :class:`~nistpf.errors.OutputNotWritableError`, whose reason ends with the fix ("the folder
    /srv/out is read-only; choose a folder you can write to"), worded as
    :meth:`~nistpf.errors.OutputNotWritableError.from_os_error` words the operating system's
    refusals."""
    path = Path(path)
    check_paths([*installed_uses(), *source_uses(source)], [Use(path, role)])
    folder = path.parent
    limit = name_max(folder)
    if name_size(path.name) > limit:
        raise OutputNotWritableError(
            path,
            f"its name is {name_size(path.name):,} bytes, more than the {limit} a file name may "
            "have; choose a shorter name",
        )
    try:
        _check_place(path, write_target(path))
    except OutputNotWritableError:
        raise
    except OSError as error:  # a folder on the way that cannot be searched, a link loop
        raise OutputNotWritableError.from_os_error(path, error) from None


def _check_place(path: Path, target: Path) -> None:
    kind = file_kind(target)
    if kind:
        raise OutputNotWritableError(path, _not_a_file(path, target, kind))
    folder = target.parent
    where = shown_folder(folder)
    if not folder.exists():
        raise OutputNotWritableError(
            path, f"the folder {where} does not exist; create it first, or write elsewhere"
        )
    if not folder.is_dir():
        raise OutputNotWritableError(path, f"{where} is not a folder; check the path")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputNotWritableError(
            path, f"the folder {where} is read-only; choose a folder you can write to"
        )
    if target.exists() and not os.access(target, os.W_OK):
        what = "the file" if target == path else f"the file it links to ({shown(target)})"
        raise OutputNotWritableError(
            path, f"{what} is read-only; make it writable, or write elsewhere"
        )
    # A program holding the file locks it beside the name it opened: the link's or the
    # target's.
    for place in dict.fromkeys((path, target)):
        _check_locks(path, place)


def _check_locks(path: Path, place: Path) -> None:
    limit = name_max(place.parent)
    for lock, program in (
        (f".~lock.{place.name}#", "LibreOffice"),
        (f"~${place.name}", "Excel"),
        (f"~${place.name[2:]}", "Excel"),  # Excel shortens long names
    ):
        # A lock file's name longer than the limit cannot exist (nor be made): no lock.
        if name_size(lock) <= limit and (place.parent / lock).is_file():
            raise OutputNotWritableError(
                path,
                f"it is open in {program} (lock file {shown(lock)}); close it, or delete the "
                "lock file if nobody has it open",
            )
