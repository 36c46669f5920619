"""Assessment scales: the levels a Subcategory can reach on a system, their labels, and the level a
control's status stands for when no maturity is given.

Three scales are built in; a custom one is configuration (:func:`custom_scale`), not code.

>>> from nistpf.scales import scale
>>> scale("tiers").label(2)
'Risk informed'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from nistpf.errors import NistpfError
from nistpf.inventory.schema import STATUSES
from nistpf.numbers import rounded


class UnknownScaleError(NistpfError, ValueError):
    """A scale name that is neither built in nor configured."""

    code = "unknown-scale"

    def __init__(self, name: object, available: tuple[str, ...]):
        self.name = name
        self.available = available
        super().__init__(f"no assessment scale named {name!r}; available: {', '.join(available)}")


@dataclass(frozen=True)
class Scale:
    """Levels ``minimum..maximum`` with a label each, and a default level per control status
    (Not applicable controls are ignored, so they have none)."""

    name: str
    labels: Mapping[int, str]
    status_defaults: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", MappingProxyType(dict(sorted(self.labels.items()))))
        object.__setattr__(self, "status_defaults", MappingProxyType(dict(self.status_defaults)))

    @property
    def minimum(self) -> int:
        return min(self.labels)

    @property
    def maximum(self) -> int:
        return max(self.labels)

    def label(self, level: float) -> str:
        """The name of ``level`` as every output shows it (the rule the Method sheet states).

        A value that is a whole level when shown to two decimals has that level's name; a
        value between two levels names the band it lies in, never the lower level as if it
        were achieved: on the tiers scale ``3`` → "Repeatable", ``2.92`` → "between Risk
        informed and Repeatable", ``0.99`` → "between Not performed and Partial". Values
        outside the scale take the nearest end's name; a missing value (NaN) has none ("").

        >>> scale("tiers").label(2.92)
        'between Risk informed and Repeatable'
        """
        try:
            value = float(level)
        except (TypeError, ValueError):  # None, pandas.NA
            return ""
        if math.isnan(value):
            return ""
        shown = rounded(value, 2)  # as the register's cells show it
        shown = max(float(self.minimum), min(float(self.maximum), shown))  # ±inf too
        lower = math.floor(shown)
        if shown == lower:
            return self.labels[int(lower)]
        return f"between {self.labels[int(lower)]} and {self.labels[int(lower) + 1]}"

    def contains(self, value: float) -> bool:
        return self.minimum <= value <= self.maximum

    def describe(self) -> str:
        """``0 Not performed, 1 Partial, …`` for hints and method notes."""
        return ", ".join(f"{level} {label}" for level, label in self.labels.items())


BUILT_IN = {
    "tiers": Scale(
        "tiers",
        {0: "Not performed", 1: "Partial", 2: "Risk informed", 3: "Repeatable", 4: "Adaptive"},
        {"Implemented": 3, "Partially implemented": 1, "Planned": 0, "Not implemented": 0},
    ),
    "cmmi": Scale(
        "cmmi",
        {
            0: "Incomplete",
            1: "Initial",
            2: "Managed",
            3: "Defined",
            4: "Quantitatively managed",
            5: "Optimizing",
        },
        {"Implemented": 3, "Partially implemented": 1, "Planned": 0, "Not implemented": 0},
    ),
    "implementation": Scale(
        "implementation",
        {0: "Not implemented", 1: "Planned", 2: "Partially implemented", 3: "Implemented"},
        {"Implemented": 3, "Partially implemented": 2, "Planned": 1, "Not implemented": 0},
    ),
}
DEFAULT_SCALE = "tiers"


def scale(name: str | Scale | None = None) -> Scale:
    """A built-in scale by name (``tiers``, ``cmmi``, ``implementation``; case-insensitive), or
    ``name`` itself when it already is a Scale."""
    if isinstance(name, Scale):
        return name
    key = DEFAULT_SCALE if name is None else str(name).strip().casefold()
    if key not in BUILT_IN:
        raise UnknownScaleError(name, tuple(BUILT_IN))
    return BUILT_IN[key]


def custom_scale(name: str, labels: Mapping[int, str], status_defaults: Mapping[str, int]) -> Scale:
    """A scale of your own, e.g. ``custom_scale("abc", {0: "None", 1: "Some", 2: "All"},
    {"Implemented": 2, "Partially implemented": 1, "Planned": 0, "Not implemented": 0})``."""
    missing = [s for s in STATUSES[:-1] if s not in status_defaults]
    if missing:
        raise ValueError(f"scale {name!r}: no default level for status {', '.join(missing)}")
    made = Scale(name, labels, status_defaults)
    outside = {s: v for s, v in made.status_defaults.items() if not made.contains(v)}
    if outside:
        raise ValueError(f"scale {name!r}: status defaults outside its levels: {outside}")
    return made
