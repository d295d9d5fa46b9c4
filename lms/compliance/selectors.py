"""Reads of the training-compliance back office: the training rules a user
may read, and the 在岗未达标 rows (people working a post whose clearance has
lapsed) with the menu badge's cached count."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils import timezone

from lms.accounts.admin_scoping import admin_scope
from lms.accounts.roles import Capability
from lms.accounts.scoping import enterprise_ids
from lms.workforce.models import Employee, Enterprise

from lms.archive.models import TrainingRecord

from .models import Obligation, TrainingRule
from .penalties import Penalty, penalties_for
from .rules import RuleBook
from .clearance import clearance, clearance_batch, lapsed_on_post
from .services import cycle_obligations, evaluate_unsaved, kinds_counting_towards, live_records

# The gate's reads, for every app: clearance(employee, post, date),
# clearance_batch(enterprise=…, pairs=…) and lapsed_on_post(enterprise=…)
# (lms/compliance/clearance.py).
__all__ = ["clearance", "clearance_batch", "lapsed_on_post"]

# The menu badge is computed at most once a minute per enterprise (every admin
# page renders the menu); the page and the dashboard panel are always current
# and refresh it.
BADGE_CACHE_SECONDS = 60


def visible_rules(user, queryset: QuerySet | None = None) -> QuerySet:
    """The rules a back-office user may read: the public ones (national,
    platform default, province — they are regulations, not tenant data) and
    the own rules of the user's enterprises."""
    queryset = TrainingRule.objects.all() if queryset is None else queryset
    ents = enterprise_ids(user, Capability.VIEW)
    if ents is None:
        return queryset
    if not ents:
        return queryset.none()
    own = admin_scope(TrainingRule.objects.filter(enterprise__isnull=False), user, Capability.VIEW)
    return queryset.filter(Q(enterprise__isnull=True) | Q(pk__in=own.values("pk")))


def lapsed_enterprises(user) -> list[Enterprise]:
    """The enterprises whose lapsed people ``user`` may see."""
    return list(admin_scope(Enterprise.objects.all(), user, Capability.VIEW).order_by("name"))


def _badge_key(enterprise_id: int, on_date: dt.date) -> str:
    return f"anxun:lapsed-count:{enterprise_id}:{on_date.isoformat()}"


@dataclass
class LapsedReason:
    message: str
    satisfy: str
    since: dt.date
    code: str = ""


@dataclass
class LapsedRow:
    assignment: object
    enterprise: Enterprise
    reasons: list[LapsedReason] = field(default_factory=list)
    since: dt.date | None = None

    @property
    def employee(self):
        return self.assignment.employee

    @property
    def post(self):
        return self.assignment.post

    def days(self, today: dt.date) -> int:
        return (today - self.since).days if self.since else 0

    @property
    def penalties(self) -> list[Penalty]:
        """The items of 法 §97 that working this post like this falls under."""
        employee = self.employee
        return penalties_for([r.code for r in self.reasons], special_operation_post=self.post.is_special_operation,
                             principal=employee.is_principal or employee.is_safety_manager)


def _reason_since(reason, assignment, obligations) -> dt.date:
    """The first day this reason held (as far as the data tells)."""
    if reason.obligation_id and reason.obligation_id in obligations:
        o = obligations[reason.obligation_id]
        # Non-blocking items (annual hours) lapse the day after they fall due.
        return o.due_date + dt.timedelta(days=1) if not o.blocks_post else o.start_date
    # Other sources (certificates) say when their reason began, if they know.
    return reason.since or assignment.start_date


def lapsed_rows(enterprises, on_date: dt.date | None = None) -> list[LapsedRow]:
    """Everyone on a post whose clearance has lapsed, in ``enterprises``: one
    row per (person, post) with the reasons and the day the lapse began,
    longest first. Queries: a fixed number per enterprise (one clearance
    batch each) plus one, whatever the headcount."""
    on_date = on_date or timezone.localdate()
    pairs = []
    for enterprise in enterprises:
        found = lapsed_on_post(enterprise=enterprise, on_date=on_date)
        cache.set(_badge_key(enterprise.pk, on_date), len({a.employee_id for a, _c in found}), BADGE_CACHE_SECONDS)
        pairs += [(enterprise, a, c) for a, c in found]
    if not pairs:
        return []
    obligation_ids = {r.obligation_id for _e, _a, c in pairs for r in c.reasons if r.obligation_id}
    obligations = {o.pk: o for o in Obligation.objects.filter(pk__in=obligation_ids)} if obligation_ids else {}
    rows = []
    for enterprise, assignment, clearance in pairs:
        row = LapsedRow(assignment=assignment, enterprise=enterprise)
        for reason in clearance.reasons:
            since = _reason_since(reason, assignment, obligations)
            row.reasons.append(LapsedReason(reason.message, reason.satisfy, max(since, assignment.start_date), reason.code))
        row.since = min(r.since for r in row.reasons)
        rows.append(row)
    rows.sort(key=lambda r: (r.since, r.enterprise.name, r.employee.employee_no, r.post.code))
    return rows


def lapsed_people_count(user, on_date: dt.date | None = None, *, fresh: bool = False) -> int:
    """How many people in ``user``'s enterprises work a post without clearance.
    From the badge cache unless ``fresh`` (then one clearance batch per enterprise)."""
    on_date = on_date or timezone.localdate()
    total = 0
    for enterprise in lapsed_enterprises(user):
        key = _badge_key(enterprise.pk, on_date)
        count = None if fresh else cache.get(key)
        if count is None:
            count = len({a.employee_id for a, _c in lapsed_on_post(enterprise=enterprise, on_date=on_date)})
            cache.set(key, count, BADGE_CACHE_SECONDS)
        total += count
    return total


def year_cycle_obligations(employees, on_date: dt.date | None = None) -> list[Obligation]:
    """What ``employees`` owe in cycles this year (annual refresher,
    principals' annual hours, this quarter's warning education) — the one
    answer the portal, the person file, /warning/ and the principal page
    read. The stored obligations where the daily scan has made them;
    before it has (the first days of a year or quarter), the ones it WILL
    make, worked out from the rules (``cycle_obligations``) and evaluated
    against the records on file, unsaved (``pk`` None). Three queries."""
    on_date = on_date or timezone.localdate()
    employees = [e for e in employees if e.status == Employee.Status.ACTIVE]
    if not employees:
        return []
    year, quarter = on_date.year, (on_date.month - 1) // 3 + 1
    cycles = (str(year), f"{year}Q{quarter}")
    ids = [e.pk for e in employees]
    stored = list(Obligation.objects.filter(employee_id__in=ids, cycle__in=cycles).exclude(status=Obligation.Status.VOID))
    have = {(o.employee_id, o.key) for o in stored}
    missing = cycle_obligations(employees, year, quarter, RuleBook.load(), have=have)
    if missing:
        records = live_records(TrainingRecord.objects.filter(employee_id__in=ids),
                               kinds_counting_towards({o.kind for o in missing}))
        missing = [evaluate_unsaved(o, records.get(o.employee_id, ())) for o in missing]
    return stored + missing
