"""Numbers shown as a spreadsheet shows them, so that the CLI, the report, the deck, the charts
and the widgets print what the gap register's cells display.

Excel and LibreOffice show a value through a number format such as ``0.00`` by rounding its
decimal form (15 significant digits) half away from zero: 0.155 shows as 0.16. Python's own
formatting rounds the binary value, which for 0.155 is a hair below it, and prints 0.15. Every
figure nistpf prints goes through :func:`fixed` or :func:`percent`, never through ``:.2f``.

>>> fixed(0.155), f"{0.155:.2f}"
('0.16', '0.15')
>>> percent(0.4775)
'48%'
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal


def _decimal(value: float) -> Decimal:
    return Decimal(f"{float(value):.15g}")


def fixed(value: float, places: int = 2) -> str:
    """``value`` with ``places`` decimals, rounded as a spreadsheet rounds (see above);
    ``nan`` and ``inf`` as Python writes them."""
    number = float(value)
    if not math.isfinite(number) or abs(number) >= 1e15:  # beyond what a cell shows exactly
        return f"{number:.{places}f}"
    rounded = _decimal(number).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{rounded:.{places}f}"
    return "0" + text[2:] if text.startswith("-0") and not rounded else text


def rounded(value: float, places: int = 2) -> float:
    """The value :func:`fixed` shows, as a number (what a level's name is chosen by)."""
    number = float(value)
    if not math.isfinite(number) or abs(number) >= 1e15:
        return number
    return float(_decimal(number).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def percent(value: float, places: int = 0) -> str:
    """``value`` (a share, 0.4775) as a percentage with ``places`` decimals ("48%")."""
    number = float(value)
    if not math.isfinite(number):
        return f"{number:.{places}%}"
    return f"{fixed(number * 100, places)}%"
