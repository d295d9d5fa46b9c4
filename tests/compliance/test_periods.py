"""民法典 §201–§203 and §1259 as RULES.md reads them (lms/compliance/periods.py):
properties over month ends and leap years, plus the named examples."""

import calendar
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.compliance import periods
from lms.compliance.periods import (
    add_days,
    add_months,
    add_years,
    at_least_months,
    deadline_on_working_day,
    months_elapsed,
    more_than_months,
)

D = dt.date
ONE = dt.timedelta(days=1)


def last_day(year, month):
    return calendar.monthrange(year, month)[1]


# Month ends and leap days weigh heavily: the cases §202 is about.
month_ends = st.builds(
    lambda y, m: D(y, m, last_day(y, m)), st.integers(1990, 2090), st.integers(1, 12)
)
leap_days = st.sampled_from([D(y, 2, 29) for y in range(1992, 2092, 4)])
days = st.one_of(st.dates(D(1990, 1, 1), D(2090, 12, 31)), month_ends, leap_days)
months = st.integers(-60, 60)
positive = st.integers(0, 60)


# --- named examples ---------------------------------------------------------

@pytest.mark.rule("words.month_period")
def test_named_examples_of_section_202():
    assert add_months(D(2025, 1, 31), 1) == D(2025, 2, 28)
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert add_years(D(2024, 2, 29), 1) == D(2025, 2, 28)
    assert add_years(D(2024, 2, 29), 4) == D(2028, 2, 29)
    assert add_months(D(2025, 3, 31), -1) == D(2025, 2, 28)
    assert add_months(D(2025, 8, 31), 6) == D(2026, 2, 28)


def test_named_examples_of_months_elapsed():
    assert months_elapsed(D(2025, 8, 31), D(2026, 2, 28)) == 6  # the old months_between said 5
    assert months_elapsed(D(2025, 3, 1), D(2025, 8, 31)) == 5
    assert months_elapsed(D(2025, 1, 5), D(2025, 7, 4)) == 5
    assert months_elapsed(D(2025, 1, 10), D(2025, 7, 10)) == 6
    assert months_elapsed(D(2026, 2, 28), D(2025, 8, 31)) == -6


@pytest.mark.rule("words.inclusive", "words.exclusive")
def test_yi_shang_includes_the_number_chao_guo_excludes_it():
    # 离岗 6 个月以上 includes exactly 6 months (§1259); 超过 6 个月 does not.
    assert at_least_months(D(2025, 8, 31), D(2026, 2, 28), 6)
    assert not more_than_months(D(2025, 8, 31), D(2026, 2, 28), 6)
    assert more_than_months(D(2025, 8, 31), D(2026, 3, 1), 6)
    assert not at_least_months(D(2025, 3, 1), D(2025, 8, 31), 6)
    assert at_least_months(D(2025, 3, 1), D(2025, 9, 1), 6)


@pytest.mark.rule("words.day_period")
def test_days_do_not_count_the_first_day():
    assert add_days(D(2026, 3, 1), 60) == D(2026, 4, 30)
    assert periods.days_elapsed(D(2026, 3, 1), D(2026, 3, 2)) == 1
    assert periods.at_least_days(D(2026, 3, 1), D(2026, 3, 31), 30)
    assert not periods.more_than_days(D(2026, 3, 1), D(2026, 3, 31), 30)


@pytest.mark.rule("words.holiday")
def test_deadline_on_a_rest_day_moves_to_the_next_working_day():
    assert deadline_on_working_day(D(2026, 3, 6)) == D(2026, 3, 6)  # a Friday
    assert deadline_on_working_day(D(2026, 3, 7)) == D(2026, 3, 9)  # Saturday → Monday
    assert deadline_on_working_day(D(2026, 3, 8)) == D(2026, 3, 9)  # Sunday → Monday
    national_day = {D(2026, 10, d) for d in range(1, 8)}
    assert deadline_on_working_day(D(2026, 10, 1), national_day) == D(2026, 10, 8)
    # A make-up working Saturday (调休) is a working day.
    assert deadline_on_working_day(D(2026, 10, 10), national_day, workdays={D(2026, 10, 10)}) == D(2026, 10, 10)


# --- properties ---------------------------------------------------------------

@pytest.mark.rule("words.month_period")
@given(days, months)
def test_add_months_lands_on_the_corresponding_day_or_the_month_end(day, n):
    out = add_months(day, n)
    assert (out.year * 12 + out.month) - (day.year * 12 + day.month) == n
    if day.day <= last_day(out.year, out.month):
        assert out.day == day.day
    else:  # no corresponding day: the last day of that month
        assert out.day == last_day(out.year, out.month)


@given(days, months, months)
def test_add_months_is_monotone_in_n(day, a, b):
    if a <= b:
        assert add_months(day, a) <= add_months(day, b)


@given(days, days, months)
def test_add_months_is_monotone_in_the_day(d1, d2, n):
    if d1 <= d2:
        assert add_months(d1, n) <= add_months(d2, n)


@pytest.mark.rule("words.month_period")
@given(month_ends, positive)
def test_a_month_end_that_overflows_lands_on_the_last_day(day, n):
    out = add_months(day, n)
    if day.day > last_day(out.year, out.month):
        assert out.day == last_day(out.year, out.month)
        assert periods.is_month_end(out)


@given(days, st.integers(-5, 5))
def test_add_years_is_twelve_months(day, n):
    assert add_years(day, n) == add_months(day, 12 * n)


@given(days, positive)
def test_the_period_is_complete_on_its_last_day_and_not_the_day_before(day, n):
    end = add_months(day, n)
    assert at_least_months(day, end, n)
    assert months_elapsed(day, end) >= n
    if n > 0:
        assert not at_least_months(day, end - ONE, n)
        assert months_elapsed(day, end - ONE) == n - 1


@pytest.mark.rule("words.inclusive", "words.exclusive")
@given(days, days, positive)
def test_yi_shang_and_chao_guo_differ_exactly_on_the_boundary(start, end, n):
    inclusive, exclusive = at_least_months(start, end, n), more_than_months(start, end, n)
    if end == add_months(start, n):
        assert inclusive and not exclusive
    else:
        assert inclusive == exclusive


@given(days, days, positive)
def test_at_least_agrees_with_months_elapsed(start, end, n):
    if end >= start:
        assert at_least_months(start, end, n) == (months_elapsed(start, end) >= n)


@given(days, days)
def test_months_elapsed_is_the_largest_completed_count(start, end):
    m = months_elapsed(start, end)
    if end >= start:
        assert m >= 0
        assert add_months(start, m) <= end < add_months(start, m + 1)
    else:
        assert m == -months_elapsed(end, start)


@given(days, days)
def test_the_old_rules_helpers_delegate(start, end):
    from lms.compliance import rules

    assert rules.months_between(start, end) == months_elapsed(start, end)
    assert rules.add_months(start, 3) == add_months(start, 3)


@pytest.mark.rule("words.holiday")
@given(days, st.sets(st.dates(D(2026, 1, 1), D(2026, 12, 31)), max_size=30))
def test_deadline_is_the_first_working_day_on_or_after(day, holidays):
    out = deadline_on_working_day(day, holidays)
    assert out >= day and out.weekday() < 5 and out not in holidays
    probe = day
    while probe < out:
        assert probe.weekday() >= 5 or probe in holidays
        probe += ONE
