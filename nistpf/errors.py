"""nistpf's exceptions. Each has a stable ``code`` so callers (the CLI, the notebooks, scripts)
can react to exactly what they mean, and a message that says how to fix the problem."""

from __future__ import annotations

from collections.abc import Sequence


class NistpfError(Exception):
    """Base class of every error nistpf raises on purpose.

    In a notebook (IPython), the error shows as its one-line message instead of a traceback:
    IPython asks an exception for ``_render_traceback_`` before formatting a traceback. A cell
    that raises one still stops "Run All" there, which is how a notebook stops cleanly."""

    code = "nistpf-error"

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


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
    """A file nistpf would write exists already; nistpf replaces files only when asked to."""

    code = "output-exists"

    def __init__(self, path: object):
        self.path = path
        super().__init__(f"{path} exists; pass force=True (--force) to replace it")


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
        super().__init__(f"{source}: {count} error{'s' if count != 1 else ''}{where}")


class BlankInventoryError(InventoryError):
    """The inventory is the blank template as sent: Systems, Controls and DataFlows hold no
    row yet. Every notebook of an engagement stops here with this one sentence."""

    code = "inventory-blank"

    def __init__(self, source: str):
        from pandas import DataFrame

        columns = ["severity", "sheet", "excel_row", "column", "value", "problem", "hint", "code"]
        super().__init__(source, DataFrame(columns=columns, dtype=object))
        self.args = (
            f"{source} is still the blank template: send it to the client to fill in "
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
        self.args = (f"{source}: {row['problem']}{hint}",)


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
    """An output path that is the input workbook: nistpf never writes over what it read."""

    code = "output-is-input"

    def __init__(self, path: object):
        self.path = path
        super().__init__(
            f"{path} is the input workbook; nistpf never writes over its input, choose another "
            "output name"
        )


class OutputNotWritableError(NistpfError, OSError):
    """A file nistpf cannot write: its folder is missing or read-only, or the file is locked
    (open in Excel or LibreOffice) or read-only. ``reason`` says which."""

    code = "output-not-writable"

    def __init__(self, path: object, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"cannot write {path}: {reason}")
        self.strerror = reason  # what callers catching OSError print

    def __str__(self) -> str:
        return str(self.args[0])


class RegisterError(NistpfError, ValueError):
    """A gap register that cannot be read back: missing, not a workbook, or without a Gap
    Register sheet and its header row."""

    code = "register-unreadable"

    def __init__(self, path: object, problem: str):
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")
