"""nistpf's exceptions. Each has a stable ``code`` so callers (the CLI, the notebooks, scripts)
can react to exactly what they mean, and a message that says how to fix the problem."""

from __future__ import annotations

import errno
import os
import re
import unicodedata
from collections.abc import Sequence

# Characters that are invisible, move text around or end a line: shown escaped wherever a
# message embeds a name (a file name, a sheet, an engagement) someone else typed. Bidirectional
# controls can make "gpj.exe" read "exe.jpg"; a newline can forge a second "nistpf: ..." line.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Zero-width joiner and non-joiner are format characters too, but Persian, the Indic scripts and
# emoji sequences need them to spell a word, and they move nothing: shown as they are.
_JOINERS = frozenset("\u200c\u200d")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def shown(value: object) -> str:
    """``value`` (a path, a name, a message) as text safe to print on one line: line breaks,
    tabs and every other control character (C0, DEL, C1), bidirectional controls (U+202E and
    the others of Unicode's Bidi_Control), other invisible format characters, line and
    paragraph separators, and the lone surrogates Python uses for a file name's undecodable
    bytes are written as escapes (``\\n``, ``\\x1b``, ``\\u202e``, ``\\udcff``); everything
    else is kept, so an ordinary name is shown exactly as it is.

    >>> shown("a\\nnistpf: ok.xlsx")
    'a\\\\nnistpf: ok.xlsx'
    >>> shown("report\\u202exslx.exe")
    'report\\\\u202exslx.exe'

    A backslash itself is kept (it separates folders on Windows), so ``\\n`` typed into a name
    reads the same as an escaped line break: an ambiguity in what is shown, never a second
    line."""
    text = os.fspath(value) if isinstance(value, os.PathLike) else str(value)
    if text.isprintable():  # the usual case: nothing to escape (isprintable is False for all
        return text  # of Cc, Cf, Cs, Zl, Zp and for spaces other than " ")
    return "".join(_escaped(c) for c in text)


def _escaped(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    if char in _JOINERS:
        return char
    if char in _BIDI or unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
        code = ord(char)
        return (
            f"\\x{code:02x}"
            if code < 0x100
            else f"\\u{code:04x}"
            if code < 0x10000
            else (f"\\U{code:08x}")
        )
    return char


# What an operating-system failure means, and what to do about it, by errno.
_OS_CAUSES: dict[int, tuple[str, str]] = {
    errno.EACCES: ("permission denied", "choose a folder you can write to, or ask for access"),
    errno.EPERM: ("the operation is not permitted", "choose a folder you can write to"),
    errno.EROFS: ("the file system is read-only", "write to another disk or folder"),
    errno.ENOSPC: ("no space left on the device", "free some space, or write to another disk"),
    errno.EDQUOT: ("the disk quota is used up", "free some space, or write to another disk"),
    errno.EFBIG: ("the file is larger than the file system allows", "write to another disk"),
    errno.ENOENT: ("no such file or folder", "check the path"),
    errno.ENOTDIR: ("a part of the path is not a folder", "check the path"),
    errno.EISDIR: ("it is a folder", "name a file"),
    errno.EEXIST: ("it exists already", "choose another name"),
    errno.ELOOP: ("its symbolic links go round in a loop", "check the links on the path"),
    errno.EIO: ("the device failed to read or write (input/output error)", "check the disk"),
    errno.EBUSY: ("the file is busy (in use by another program)", "close it and try again"),
    errno.ETXTBSY: ("the file is busy (in use by another program)", "close it and try again"),
    errno.EMFILE: ("too many files are open", "close some programs and try again"),
    errno.ENFILE: ("too many files are open", "close some programs and try again"),
}
NAME_MAX = 255  # bytes in one file name on the usual file systems (ext4, APFS, NTFS in UTF-16)


def os_cause(error: OSError, path: object = None) -> str:
    """What an :class:`OSError` means in words, and the fix, for a one-line message: ``"no
    space left on the device; free some space, or write to another disk"``. A name too long is
    measured: ``"its name is 300 bytes, more than the 255 a file name may have; choose a shorter
    name"`` (``path``, or the error's own file name, is the one measured). An errno not listed
    gives the system's own words."""
    if error.errno == errno.ENAMETOOLONG:
        name = os.path.basename(os.fsdecode(path if path is not None else error.filename or ""))
        try:
            size = len(name.encode("utf-8", "surrogateescape"))  # undecodable bytes as bytes
        except UnicodeEncodeError:
            size = len(name.encode("utf-8", "surrogatepass"))
        if size > NAME_MAX:
            return (
                f"its name is {size:,} bytes, more than the {NAME_MAX} a file name may have; "
                "choose a shorter name"
            )
        return "the path is longer than the file system allows; choose a shorter path or name"
    cause, fix = _OS_CAUSES.get(error.errno or 0, (error.strerror or str(error), ""))
    return f"{cause}; {fix}" if fix else cause


def os_reason(error: OSError) -> str:
    """What an :class:`OSError` means in words, without the fix :func:`os_cause` adds (for a
    message whose fix is its own): ``"no such file or folder"``."""
    if error.errno in _OS_CAUSES:
        return _OS_CAUSES[error.errno][0]
    return error.strerror or str(error)


class NistpfError(Exception):
    """Base class of every error nistpf raises on purpose.

    In a notebook (IPython), the error shows as its one-line message instead of a traceback:
    IPython asks an exception for ``_render_traceback_`` before formatting a traceback. A cell
    that raises one still stops "Run All" there, which is how a notebook stops cleanly."""

    code = "nistpf-error"

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]

    def cli_message(self) -> str:
        """The message as the ``nistpf`` command prints it. The same as ``str(error)``, except
        for an error whose fix is a choice the caller makes: ``str(error)`` names the keyword a
        Python caller passes (``pass force=True``), this the command's option (``pass
        --force``). Such an error carries both parts (``keyword``, ``option``), so one class
        serves both callers."""
        return str(self)


class UnknownVersionError(NistpfError, ValueError):
    """A Privacy Framework version that nistpf does not ship."""

    code = "unknown-version"

    def __init__(self, version: str, available: Sequence[str]):
        self.version = version
        self.available = tuple(available)
        super().__init__(
            f"Privacy Framework version {version!r} is not available; "
            f"available versions: {', '.join(self.available)}"
        )


class UnknownIdError(NistpfError, ValueError):
    """Text that does not name a Function, Category or Subcategory of the framework."""

    code = "unknown-id"

    def __init__(self, value: object, version: str, suggestions: Sequence[str], *, note: str = ""):
        self.value = value
        self.version = version
        self.suggestions = tuple(suggestions)
        self.note = note
        self.hint = (
            f"closest: {', '.join(self.suggestions)}"
            if self.suggestions
            else "IDs look like ID-P, ID.IM-P or ID.IM-P1"
        )
        aside = f" ({note})" if note else ""
        super().__init__(f"{value!r} is not a Privacy Framework {version} ID{aside}; {self.hint}")


class UnknownCrosswalkError(NistpfError, KeyError):
    """A crosswalk name that the framework version does not ship."""

    code = "unknown-crosswalk"

    def __init__(self, name: str, available: Sequence[str]):
        self.name = name
        self.available = tuple(available)
        super().__init__(name)

    def __str__(self) -> str:
        return f"no crosswalk named {self.name!r}; available: {', '.join(self.available)}"


class OutputExistsError(NistpfError, FileExistsError):
    """A file nistpf would write exists already; nistpf replaces files only when asked to.

    The fix is the choice to replace it: ``keyword`` as a Python caller passes it (default
    ``force=True``: "x.xlsx exists; pass force=True to replace it") and ``option`` as the
    command takes it (``--force``, printed by :meth:`cli_message`: "x.xlsx exists; pass --force
    to replace it")."""

    code = "output-exists"

    def __init__(self, path: object, *, keyword: str = "force=True", option: str = "--force"):
        self.path = path
        self.keyword = keyword
        self.option = option
        self._python = self._message(keyword)
        super().__init__(self._python)

    def _message(self, fix: str) -> str:
        return f"{shown(self.path)} exists; pass {fix} to replace it"

    def cli_message(self) -> str:
        # A subclass that words its message itself keeps its words.
        return self._message(self.option) if str(self) == self._python else str(self)


class InventoryError(NistpfError, ValueError):
    """The inventory has errors. ``issues`` is the whole validation report (a DataFrame with
    ``severity, sheet, excel_row, column, value, problem, hint, code``), warnings included; the
    message states how many errors there are and the first of them."""

    code = "inventory-invalid"

    def __init__(self, source: str, issues):  # issues: pandas.DataFrame
        self.source = source
        self.issues = issues
        errors = issues[issues["severity"] == "error"]
        first = errors.iloc[0] if len(errors) else None
        where = ""
        if first is not None:
            where = f"; first: {_where(first)}{first['problem']}"
        count = len(errors)
        super().__init__(f"{shown(source)}: {count} error{'s' if count != 1 else ''}{where}")


class BlankInventoryError(InventoryError):
    """The inventory is the blank template as sent: Systems, Controls and DataFlows hold no
    row yet. Every notebook of an engagement stops here with this one sentence."""

    code = "inventory-blank"

    def __init__(self, source: str):
        from pandas import DataFrame

        columns = ["severity", "sheet", "excel_row", "column", "value", "problem", "hint", "code"]
        super().__init__(source, DataFrame(columns=columns, dtype=object))
        self.args = (
            f"{shown(source)} is still the blank template: send it to the client to fill in "
            "(Systems, Controls, DataFlows), then run this again.",
        )


class UnreadableInventoryError(InventoryError):
    """The source cannot be read at all: missing, not a workbook, an old .xls, encrypted, empty.
    Its report holds exactly one row saying why and what to do."""

    code = "inventory-unreadable"

    def __init__(self, source: str, issues):
        super().__init__(source, issues)
        row = issues.iloc[0]
        hint = f" ({row['hint']})" if row["hint"] else ""
        self.args = (f"{shown(source)}: {row['problem']}{hint}",)


def _missing(value) -> bool:
    from pandas import isna

    return bool(isna(value))


def _where(row) -> str:
    parts = []
    if row["sheet"]:
        parts.append(f"sheet {row['sheet']}")
    if not _missing(row["excel_row"]):
        parts.append(f"row {row['excel_row']}")
    if row["column"]:
        parts.append(f"column {row['column']}")
    return (", ".join(parts) + ": ") if parts else ""


class ImageExportError(NistpfError, RuntimeError):
    """Charts could not be rendered as images (the browser failed to start or to render)."""

    code = "image-export-failed"


class BrowserMissingError(ImageExportError):
    """No Chromium or Chrome to render images with: kaleido draws plotly charts in a browser."""

    code = "browser-missing"

    def __init__(self) -> None:
        super().__init__(
            "cannot render images: no Chromium or Chrome found; install it (Debian/Ubuntu: "
            "apt-get install chromium) or set BROWSER_PATH to its executable"
        )


class OutputIsInputError(NistpfError, ValueError):
    """An output path that is a path the command reads — the input workbook, a file of the
    source folder, the mapping, the store, the register carried over: nistpf never writes over
    what it reads. ``path`` is the output, ``input`` the path read (the same file, or a folder
    holding the output) and ``role`` what that path is, in words; the message names both
    (:func:`nistpf.io.paths.check_paths` writes it)."""

    code = "output-is-input"

    def __init__(
        self, path: object, message: str | None = None, *, input: object = None, role: str = ""
    ):
        self.path = path
        self.input = path if input is None else input
        self.role = role or "the input workbook"
        super().__init__(
            message
            or f"{shown(path)} is the input workbook; nistpf never writes over its input, choose "
            "another output name"
        )


class OutputsCollideError(NistpfError, ValueError):
    """Two outputs of one command named the same file (``--html x --pptx x``, or an output that
    is one of the chart images ``--png DIR`` writes): the second would replace the first.
    ``paths`` holds the two spellings, ``roles`` what each output is."""

    code = "outputs-collide"

    def __init__(self, message: str, paths: tuple[object, object], roles: tuple[str, str]):
        self.paths = paths
        self.roles = roles
        super().__init__(message)


class OutputNotWritableError(NistpfError, OSError):
    """A file nistpf cannot write: its folder is missing or read-only, the file is locked
    (open in Excel or LibreOffice) or read-only, it is no regular file (a folder, a device, a
    named pipe, a socket), or the operating system refused the write (permission, no space
    left, a name too long: :meth:`from_os_error`). ``reason`` says which, and ends with the
    fix: "the folder /srv/out is read-only; choose a folder you can write to"."""

    code = "output-not-writable"

    def __init__(self, path: object, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"cannot write {shown(path)}: {reason}")
        self.strerror = reason  # what callers catching OSError print

    def __str__(self) -> str:
        return str(self.args[0])

    @classmethod
    def from_os_error(cls, path: object, error: OSError) -> OutputNotWritableError:
        """The error for ``path`` when writing it raised ``error``: its cause and fix in words
        (:func:`os_cause`; a name too long is measured on ``path``'s own name, not on the
        temporary file's the error may name)."""
        if isinstance(error, OutputNotWritableError):
            return error
        return cls(path, os_cause(error, path))


class RegisterError(NistpfError, ValueError):
    """A gap register that cannot be read back: missing, not a workbook, or without a Gap
    Register sheet and its header row.

    A problem whose fix is to replace the file anyway ends "pass <keyword>", the keyword as a
    Python caller passes it (``keyword="overwrite=True"``); :meth:`cli_message` ends "pass
    <option>" instead, the option as the command takes it (``option="--overwrite"``). A
    ``problem`` ending in both at once, "pass overwrite=True (--overwrite)", is taken apart
    into the two."""

    code = "register-unreadable"

    def __init__(self, path: object, problem: str, *, keyword: str = "", option: str = ""):
        both = None if keyword else _BOTH_SPELLINGS.search(problem)
        if both:
            problem, keyword, option = problem[: both.start()] + f"pass {both[1]}", *both.groups()
        self.path = path
        self.problem = problem
        self.keyword = keyword
        self.option = option
        super().__init__(f"{shown(path)}: {problem}")

    def cli_message(self) -> str:
        ending = f"pass {self.keyword}"
        if not self.option or not self.problem.endswith(ending):
            return str(self)
        return f"{shown(self.path)}: {self.problem[: -len(ending)]}pass {self.option}"


# "pass overwrite=True (--overwrite)" at the end of a problem: the keyword and the option.
_BOTH_SPELLINGS = re.compile(r"pass ([A-Za-z_]\w*=True) \((--[a-z][a-z-]*)\)$")


class BundledFileError(NistpfError, RuntimeError):
    """One of nistpf's own installed files — a guided notebook, the Voilà settings, the
    bundled sample — cannot be read or is damaged: the installation is broken, and the fix is
    to reinstall. ``path`` is the file, ``what`` what it is ("notebook"), ``cause`` why it
    cannot be read, in words."""

    code = "bundled-file-unreadable"

    def __init__(self, what: str, path: object, cause: str):
        self.what = what
        self.path = path
        self.cause = cause
        super().__init__(
            f"nistpf's bundled {what} {shown(path)} cannot be read ({cause}): reinstall nistpf"
        )
