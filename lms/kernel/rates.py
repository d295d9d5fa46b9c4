"""Rates (coverage, completion, pass rates): one rule for every page, report,
export and API — a rate with nothing owed is no rate.

When the denominator is 0 (nobody owed warning education this quarter, no
one sat the exam) the rate is ``None``: pages show "—", exports "—", the API
``null``. Never 100 % ("everyone did it") nor 0 % ("no one did").

Also the template library ``anxun_rates`` (registered in settings):
``{{ value|rate_text }}`` for a rate, ``{{ value|percent_text }}`` for a
percentage, "—" for None."""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django import template

NO_RATE = "—"

register = template.Library()


def _is_none(value) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def rate(numerator, denominator) -> Decimal | None:
    """``numerator / denominator`` as a fraction rounded to 0.1 % (0.8531),
    ``None`` when the denominator is 0 or missing: nothing owed, no rate."""
    if _is_none(denominator) or _is_none(numerator) or Decimal(str(denominator)) == 0:
        return None
    return (Decimal(str(numerator)) / Decimal(str(denominator))).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def percent(numerator, denominator, *, places: int = 0, rounding: str = ROUND_DOWN) -> Decimal | None:
    """``numerator / denominator`` in per cent, rounded down to ``places``
    decimals by default (83 of 120 → 69), ``None`` when the denominator is 0."""
    if _is_none(denominator) or _is_none(numerator) or Decimal(str(denominator)) == 0:
        return None
    value = Decimal(str(numerator)) * 100 / Decimal(str(denominator))
    return value.quantize(Decimal(1).scaleb(-places), rounding=rounding)


def percent_int(numerator, denominator) -> int | None:
    """:func:`percent` as a whole number (the API's ``coverage_percent``), or ``None``."""
    value = percent(numerator, denominator)
    return None if value is None else int(value)


@register.filter
def rate_text(value, places: int = 1) -> str:
    """A fraction (0.853) as "85.3%", "—" for no rate."""
    if _is_none(value):
        return NO_RATE
    return f"{float(value) * 100:.{int(places)}f}%"


@register.filter
def percent_text(value) -> str:
    """A percentage (69) as "69%", "—" for no rate."""
    if _is_none(value):
        return NO_RATE
    return f"{value}%"
