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


def exact(value: float) -> str:
    """``value`` written exactly, as the shortest decimal that reads back as the same float,
    for settings and other given numbers (not computed figures, which :func:`fixed` shows):
    ``3.0`` → "3", ``1.0000001`` → "1.0000001", ``1e-07`` → "0.0000001". Values from 1e-12
    to below 1e15 are written without an exponent; others, ``nan`` and ``inf`` as Python
    writes them (``1e+300``).

    >>> exact(2.0), exact(1.23456789), exact(1e-7), exact(1e300)
    ('2', '1.23456789', '0.0000001', '1e+300')
    """
    number = float(value)
    if number == 0:
        return "0"
    if not math.isfinite(number) or not 1e-12 <= abs(number) < 1e15:
        return repr(number)
    text = repr(number)
    if "e" not in text:
        return text.removesuffix(".0")
    mantissa, exponent = text.split("e")
    sign = "-" if mantissa.startswith("-") else ""
    digits = mantissa.lstrip("-").replace(".", "")
    point = mantissa.lstrip("-").find(".")
    point = (point if point >= 0 else len(mantissa.lstrip("-"))) + int(exponent)
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}".rstrip("0").removesuffix(".")
    digits = digits.ljust(point, "0")
    whole, fraction = digits[:point], digits[point:].rstrip("0")
    return f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}"
