"""Resolving which rule version applies to an enterprise on a date."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, Decimal

from .models import TrainingRule
from .periods import add_months, at_least_months, months_elapsed

__all__ = ["LEVELS", "RuleBook", "add_months", "at_least_months", "months_between", "split_levels"]

LEVELS = ("company", "workshop", "team")


class RuleBook:
    """All rule rows in memory (a few dozen), resolved per enterprise and date
    without further queries — what batch evaluation needs."""

    def __init__(self, rules):
        self._by_code: dict[str, list[TrainingRule]] = {}
        for rule in rules:
            self._by_code.setdefault(rule.code, []).append(rule)

    @classmethod
    def load(cls) -> RuleBook:
        return cls(TrainingRule.objects.select_related("enterprise"))

    def max_months(self, code: str) -> int:
        """The largest ``months`` any version of ``code`` sets (0 if none):
        lets a caller skip a look-up that cannot matter."""
        return max((r.months or 0 for r in self._by_code.get(code, ())), default=0)

    def get(self, code: str, enterprise, on_date: dt.date) -> TrainingRule | None:
        """The most specific rule in force: enterprise > province > platform
        default > national; a risk-class row beats an all-industry row."""
        candidates = [r for r in self._by_code.get(code, ()) if r.applies(enterprise, on_date)]
        if not candidates:
            # A date before the oldest version we hold (e.g. a hire in 2015):
            # the duty existed then too (令3 dates from 2006), so the oldest
            # version stands in — never "no rule, no obligation, cleared".
            rows = self._by_code.get(code, ())
            if rows:
                earliest = min(r.effective_from for r in rows)
                if on_date < earliest:
                    candidates = [r for r in rows if r.applies(enterprise, earliest)]
        return max(candidates, key=TrainingRule.specificity) if candidates else None


def split_levels(total: Decimal) -> dict[str, Decimal]:
    """Share pre-post hours over the three levels (company, workshop, team)
    so that they add up to the total: 24 → 8/8/8, 32 → 11/11/10."""
    total = Decimal(total or 0)
    third = (total / 3).quantize(Decimal("1"), rounding=ROUND_CEILING)
    team = max(Decimal("0"), total - 2 * third)
    return {"company": third, "workshop": third, "team": team}


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from ``start`` to ``end`` under 民法典 §202
    (:func:`lms.compliance.periods.months_elapsed`): 5 Jan → 4 Jul is 5
    months, 31 Aug → 28 Feb is 6."""
    return months_elapsed(start, end)
