"""Statute date arithmetic: 民法典 §201–§203 and §1259, as RULES.md reads them.

Pure functions on ``datetime.date`` (no models, no settings), the one place
the rules count months, years and days:

- §202 a period in months or years ends on the corresponding day of its last
  month; where that month has no such day, on the month's last day
  (31 Jan + 1 month → 28/29 Feb; 29 Feb 2024 + 1 year → 28 Feb 2025).
- §201 a period in days does not count its first day: it runs from the next
  day, so N days from ``d`` end on ``d + N``.
- §203 a deadline a person must meet that ends on a rest day or legal holiday
  ends on the first working day after it.
- §1259 以上、以下、以内、届满 include the number itself (离岗 6 个月以上
  includes exactly 6 months: :func:`at_least_months`); 超过、不满、以外
  exclude it (:func:`more_than_months`, and 不满 is ``not at_least``).

A period of N months that begins on ``start`` (the event day, itself not
counted, §201) has run its course (届满) on ``add_months(start, N)``: every
predicate below is defined by that one day, so they agree with each other
and with :func:`add_months` by construction.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Collection

_DAY = dt.timedelta(days=1)


def add_months(day: dt.date, n: int) -> dt.date:
    """The corresponding day ``n`` months from ``day`` (§202); the month's
    last day where it has no such day. ``n`` may be negative or zero."""
    month0 = day.month - 1 + n
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: dt.date, n: int) -> dt.date:
    """``n`` years from ``day`` (§202): 29 Feb + 1 year → 28 Feb."""
    return add_months(day, 12 * n)


def months_elapsed(start: dt.date, end: dt.date) -> int:
    """Whole months completed from ``start`` to ``end`` (§202): the largest
    ``n`` with ``add_months(start, n) <= end`` — 31 Aug → 28 Feb (non-leap)
    is 6, 1 Mar → 31 Aug is 5, 5 Jan → 4 Jul is 5. Negative when ``end`` is
    before ``start`` (``-months_elapsed(end, start)``)."""
    if end < start:
        return -months_elapsed(end, start)
    n = (end.year - start.year) * 12 + (end.month - start.month)
    # add_months(start, n) falls in end's month; if it is past end, the
    # month before is the last one completed.
    return n - 1 if add_months(start, n) > end else n


def years_elapsed(start: dt.date, end: dt.date) -> int:
    """Whole years completed from ``start`` to ``end`` (§202)."""
    months = months_elapsed(start, end)
    return months // 12 if months >= 0 else -((-months) // 12)


def at_least_months(start: dt.date, end: dt.date, n: int) -> bool:
    """"N 个月以上 / 届满" (§1259, inclusive): at least ``n`` whole months from
    ``start`` to ``end`` — true from ``add_months(start, n)`` on, so exactly
    N months counts."""
    return end >= add_months(start, n)


def more_than_months(start: dt.date, end: dt.date, n: int) -> bool:
    """"超过 N 个月" (§1259, exclusive): true only after ``add_months(start, n)``."""
    return end > add_months(start, n)


def add_days(day: dt.date, n: int) -> dt.date:
    """The last day of a period of ``n`` days beginning on ``day`` (§201:
    the first day is not counted, the period runs from the next day)."""
    return day + dt.timedelta(days=n)


def days_elapsed(start: dt.date, end: dt.date) -> int:
    """Days counted from ``start`` to ``end`` under §201 (``start`` itself not
    counted): 1 Mar → 2 Mar is 1 day."""
    return (end - start).days


def at_least_days(start: dt.date, end: dt.date, n: int) -> bool:
    """"N 日以上 / 届满" (inclusive)."""
    return days_elapsed(start, end) >= n


def more_than_days(start: dt.date, end: dt.date, n: int) -> bool:
    """"超过 N 日" (exclusive)."""
    return days_elapsed(start, end) > n


def is_working_day(day: dt.date, holidays: Collection[dt.date] = (), workdays: Collection[dt.date] = ()) -> bool:
    """Monday–Friday unless a holiday; a weekend day listed in ``workdays``
    (China's 调休 make-up days) is a working day."""
    if day in workdays:
        return True
    return day.weekday() < 5 and day not in holidays


def deadline_on_working_day(
    day: dt.date, holidays: Collection[dt.date] = (), workdays: Collection[dt.date] = ()
) -> dt.date:
    """§203: a deadline falling on a rest day or legal holiday moves to the
    first working day after it; a working day is returned unchanged.
    ``holidays`` and ``workdays`` are the calendar (weekends are always rest
    days unless listed in ``workdays``); the caller supplies them — the
    statutory holiday list changes every year (国务院办公厅 notice)."""
    while not is_working_day(day, holidays, workdays):
        day += _DAY
    return day


def is_month_end(day: dt.date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]
