"""What every step shares: the :class:`Step` base, scale labels for inputs, HTML helpers.

A step builds its widgets in ``__init__`` and never displays itself. It exposes ``widget`` (its
container, to display) and ``controls`` (its named sub-widgets, for code and tests to set and
click); handlers only call :class:`~nistpf.ui.session.Session` methods.
"""

from __future__ import annotations

import contextlib
import functools
import html
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import ipywidgets as w
import pandas as pd

from nistpf.errors import NistpfError
from nistpf.scales import Scale
from nistpf.ui.session import Change, Session

NOT_RATED = "not rated"
INHERIT = "inherit"
NOTICE = (
    "<p style='color:#7a5a00'>Load a valid inventory in step 1 first: this step opens once the "
    "workbook loads without errors.</p>"
)
WIDE = {"description_width": "initial"}


def level_label(scale: Scale, level: float) -> str:
    """``2`` → ``"2 Risk informed"``; a level between two labels keeps its value."""
    if float(level).is_integer() and int(level) in scale.labels:
        return f"{int(level)} {scale.labels[int(level)]}"
    return f"{level:g} {scale.label(level)}"


def level_options(scale: Scale, blank: str) -> list[str]:
    """``[blank, "0 Not performed", "1 Partial", …]`` for a Dropdown whose values are labels."""
    return [blank, *(level_label(scale, level) for level in scale.labels)]


def level_value(label: str, blank: str) -> float | None:
    """The level a label stands for (``"2 Risk informed"`` → 2.0); ``blank`` → None."""
    return None if label in (blank, "", None) else float(str(label).split(" ", 1)[0])


def with_option(options: list[str], value: str) -> list[str]:
    """``options`` plus ``value`` when it is missing (e.g. a 2.5 rating from the sheet)."""
    return options if value in options else [*options, value]


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def html_table(table: pd.DataFrame, *, empty: str = "none") -> str:
    """A DataFrame as a small HTML table, every cell escaped."""
    if table.empty:
        return f"<p><i>{esc(empty)}</i></p>"
    rows = "".join(
        "<tr>" + "".join(f"<td>{esc(_cell(v))}</td>" for v in row) + "</tr>"
        for row in table.itertuples(index=False)
    )
    head = "".join(f"<th style='text-align:left'>{esc(c)}</th>" for c in table.columns)
    return (
        "<table style='border-collapse:collapse;font-size:90%' border='1' cellpadding='3'>"
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    )


def _cell(value: Any) -> str:
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def named_widgets(controls: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every widget of a controls dict with a CSS-safe name (``in_scope-CRM-01`` for
    ``controls["in_scope"]["CRM-01"]``), nested dicts included."""
    for key, value in controls.items():
        name = prefix + re.sub(r"[^A-Za-z0-9_-]+", "_", str(key))
        if isinstance(value, Mapping):
            yield from named_widgets(value, f"{name}-")
        elif isinstance(value, w.Widget):
            yield name, value


class Step:
    """Base of the guided steps. ``widget``: the step's container; ``controls``: its named
    sub-widgets (nested dicts for per-row widgets, e.g. ``controls["in_scope"]["CRM-01"]``);
    ``ready``: whether the session has a valid inventory; ``message``: the last error, one
    line. Steps after Load stay disabled until an inventory loads without errors. Each
    control carries the CSS class ``nistpf-<step>-<name>`` (``nistpf-rate-rating``), so a
    browser test can find it."""

    title = ""
    key = ""  # the step's name in Wizard.steps
    needs_inventory = True

    def __init__(self, session: Session):
        self.session = session
        self.controls: dict[str, Any] = {}
        self._quiet = 0
        self.notice = w.HTML()
        self.body = w.VBox()
        self.error = w.HTML()
        self.widget = w.VBox([self.notice, self.body, self.error])
        session.on_change(self._changed)

    @property
    def ready(self) -> bool:
        return self.session.ready

    @property
    def enabled(self) -> bool:
        """Whether the step's inputs can be used (False before a valid inventory is loaded)."""
        return self.ready or not self.needs_inventory

    @property
    def message(self) -> str:
        return self.error.value

    def _changed(self, change: Change) -> None:
        if change.kind == "load":
            self._build()
            self._sync()
        elif self.session.ready:
            self._update(change)

    def _build(self) -> None:
        """Build the widgets that depend on the inventory (called on every load)."""

    def _update(self, change: Change) -> None:
        """Show the session's state after ``change``."""

    def _sync(self) -> None:
        usable = self.enabled
        for name, widget in named_widgets(self.controls):
            if hasattr(widget, "disabled"):
                widget.disabled = not usable
            if hasattr(widget, "add_class"):  # e.g. "nistpf-rate-rating", for browser tests
                widget.add_class(f"nistpf-{self.key}-{name}")
        self.notice.value = "" if usable else NOTICE
        self.body.layout.display = None if usable else "none"

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """Set widget values without their handlers saving anything."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    def _show_error(self, error: Exception | None) -> None:
        self.error.value = (
            "" if error is None else f"<p style='color:#b00020'>{esc(_one_line(error))}</p>"
        )


def handler(method: Callable) -> Callable:
    """A widget handler of a Step: skipped while the step sets its own widgets, and a nistpf
    error becomes the step's one-line message instead of a traceback."""

    @functools.wraps(method)
    def run(self: Step, *args: Any) -> None:
        if self._quiet:
            return
        try:
            method(self, *args)
        except NistpfError as error:
            self._show_error(error)
        else:
            self._show_error(None)

    return run


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())
