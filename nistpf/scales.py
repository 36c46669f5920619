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


def _whole(value: object) -> bool:
    """A whole number given as an int (or an int-valued float), not a bool."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value) and float(value).is_integer()


class ScaleError(NistpfError, ValueError):
    """A scale nistpf cannot score on: no levels, a level that is not a whole number, levels
    with a gap between them (0, 2, 4), or a control status without a default level or with
    one outside the levels."""

    code = "invalid-scale"


@dataclass(frozen=True)
class Scale:
    """Levels ``minimum..maximum`` with a label each, and a default level per control status
    (Not applicable controls are ignored, so they have none).

    The levels are every whole number from the minimum to the maximum, none missing: the
    engine rounds the rules' caps to a whole level and names a figure between two levels by
    the band ``n``–``n + 1`` it lies in, so a scale of 0, 2 and 4 (where 3 would be a level
    without a name) is refused with :class:`ScaleError` when it is made, not when an output
    first names a level."""

    name: str
    labels: Mapping[int, str]
    status_defaults: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        labels = dict(self.labels)
        if not labels:
            raise ScaleError(f"scale {self.name!r} has no levels: give a label for each level")
        odd = [k for k in labels if not _whole(k)]
        if odd:
            raise ScaleError(
                f"scale {self.name!r}: levels are whole numbers (0, 1, 2, …), not "
                f"{', '.join(repr(k) for k in odd[:3])}"
            )
        labels = {int(k): v for k, v in labels.items()}
        missing = [n for n in range(min(labels), max(labels) + 1) if n not in labels]
        if missing:
            raise ScaleError(
                f"scale {self.name!r}: levels {', '.join(map(str, sorted(labels)))} leave out "
                f"{', '.join(map(str, missing[:5]))}{', …' if len(missing) > 5 else ''}; give "
                f"a label for every whole level from {min(labels)} to {max(labels)} (a figure "
                "between two levels is named by the two around it)"
            )
        object.__setattr__(self, "labels", MappingProxyType(dict(sorted(labels.items()))))
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
    {"Implemented": 2, "Partially implemented": 1, "Planned": 0, "Not implemented": 0})``.

    Raises :class:`ScaleError` (a ValueError) for no levels, a level that is not a whole
    number, levels with a gap between them (every whole level from the lowest to the highest
    needs a label), a status of Implemented, Partially implemented, Planned or Not implemented
    without a default level, or a default level that is not one of the levels."""
    missing = [s for s in STATUSES[:-1] if s not in status_defaults]
    if missing:
        raise ScaleError(f"scale {name!r}: no default level for status {', '.join(missing)}")
    made = Scale(name, labels, status_defaults)
    outside = {
        s: v for s, v in made.status_defaults.items() if not (_whole(v) and made.contains(v))
    }
    if outside:
        raise ScaleError(
            f"scale {name!r}: status defaults outside its levels "
            f"({made.minimum}..{made.maximum}): {outside}"
        )
    return made
