"""nistpf's exceptions. Each has a stable ``code`` so callers (the CLI, the notebooks, scripts)
can react to exactly what they mean, and a message that says how to fix the problem."""

from __future__ import annotations

from collections.abc import Sequence


class NistpfError(Exception):
    """Base class of every error nistpf raises on purpose."""

    code = "nistpf-error"


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
