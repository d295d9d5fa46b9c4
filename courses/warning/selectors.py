"""Reads of warning education: who may manage a campaign or run a meeting,
the cases each person studies (by the hazards of their posts), the user's
campaigns, coverage per unit and quarter with who is missing, and a
person's violation history (违规违章档案).
Each runs a constant number of queries, whatever the headcount."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from content.models import AccidentCasePage, hazard_terms, hazards_overlap
from lms.accounts.roles import Capability
from lms.accounts.scoping import can
from lms.compliance.models import Obligation, ObligationKind
from lms.kernel.rates import percent_int
from lms.workforce.models import Employee, EmploymentEvent, OrgUnit, PostAssignment

from .models import WarningCampaign, WarningMeeting, WarningStudy

# Cases one person is given to study (the best matches for their post first).
MAX_CASES_PER_PERSON = 5


# --- who may do what ---------------------------------------------------------------------------


def may_manage(user, enterprise_id: int) -> bool:
    return user is not None and can(user, Capability.CHANGE, enterprise_id)


def may_run_meeting(user, meeting: WarningMeeting) -> bool:
    """The meeting's host (chosen by a manager) or a manager of its enterprise."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.pk == meeting.host_id or may_manage(user, meeting.campaign.enterprise_id)


# --- which cases: by the hazards of each post --------------------------------------------------


def library_cases() -> list[AccidentCasePage]:
    """Every live case of the library, newest accident first (one query)."""
    return list(AccidentCasePage.objects.live().order_by("-accident_date", "-pk"))


def cases_for_hazards(hazards: str, cases: list[AccidentCasePage]) -> list[AccidentCasePage]:
    """The cases (in their order) whose hazard tags or class match a post's ``hazards`` text."""
    terms = hazard_terms(hazards)
    return [c for c in cases if terms and hazards_overlap(c.hazard_list(), terms)] if terms else []


def current_posts(employee: Employee, on_date: dt.date):
    return [
        a.post for a in PostAssignment.objects.filter(employee=employee, start_date__lte=on_date)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on_date)).select_related("post").order_by("start_date", "pk")
    ]


def cases_for_employee(campaign: WarningCampaign, employee: Employee, *, on_date: dt.date | None = None,
                       library: list[AccidentCasePage] | None = None) -> list[AccidentCasePage]:
    """What ``employee`` studies in ``campaign``: the enterprise's own choice
    first, then library cases matching the hazards of their current posts,
    then (for someone with no post or no match) cases of the enterprise's
    industry; at most :data:`MAX_CASES_PER_PERSON`."""
    on_date = on_date or timezone.localdate()
    library = library_cases() if library is None else library
    chosen = list(campaign.extra_cases.live().order_by("-accident_date", "-pk"))
    extra = len(chosen)
    for post in current_posts(employee, on_date):
        chosen += cases_for_hazards(post.hazards, library)
    if len(chosen) == extra:
        industry = campaign.enterprise.industry
        chosen += [c for c in library if c.industry == industry]
    return list({c.pk: c for c in chosen}.values())[:MAX_CASES_PER_PERSON]


# --- the worker's campaigns, coverage, violations ---------------------------------------------


def campaigns_for_worker(user):
    """Campaigns of the enterprises where ``user`` is an active employee, newest
    quarter first, with the user's own study (``my_study``) attached."""
    if not getattr(user, "is_authenticated", False):
        return []
    ents = Employee.objects.filter(user=user, status=Employee.Status.ACTIVE).values("enterprise_id")
    campaigns = list(WarningCampaign.objects.filter(enterprise_id__in=ents).select_related("enterprise")
                     .order_by("-year", "-quarter", "pk")[:12])
    studies = {s.campaign_id: s for s in WarningStudy.objects.filter(employee__user=user, campaign__in=campaigns)}
    for c in campaigns:
        c.my_study = studies.get(c.pk)
    return campaigns


@dataclass
class UnitCoverage:
    unit: OrgUnit | None
    owed: int = 0
    met: int = 0
    missing: list = field(default_factory=list)  # Employees without the quarter's warning education

    @property
    def percent(self) -> int | None:
        """Per cent met, rounded down; None when nobody owes it (shown "—")."""
        return percent_int(self.met, self.owed)


@dataclass
class Coverage:
    cycle: str
    units: list[UnitCoverage]

    @property
    def owed(self) -> int:
        return sum(u.owed for u in self.units)

    @property
    def met(self) -> int:
        return sum(u.met for u in self.units)

    @property
    def percent(self) -> int | None:
        """Per cent met, rounded down; None when nobody owes it (shown "—")."""
        return percent_int(self.met, self.owed)


def coverage(*, enterprise, year: int, quarter: int) -> Coverage:
    """Warning-education coverage of one quarter, per org unit of the people
    who owe it (their quarterly obligation: met, or not yet), with the names
    of those missing. Three queries."""
    cycle = f"{year}Q{quarter}"
    owed = Obligation.objects.filter(
        employee__enterprise=enterprise, kind=ObligationKind.WARNING, cycle=cycle
    ).exclude(status=Obligation.Status.VOID)
    counts = owed.values("employee__org_unit_id").annotate(
        owed=Count("pk"), met=Count("pk", filter=Q(status=Obligation.Status.MET))
    )
    units = {u.pk: u for u in OrgUnit.objects.filter(enterprise=enterprise).select_related("parent")}
    by_unit: dict = {}
    for row in counts:
        uid = row["employee__org_unit_id"]
        by_unit[uid] = UnitCoverage(units.get(uid), row["owed"], row["met"])
    for o in (owed.filter(status=Obligation.Status.OPEN).select_related("employee")
              .order_by("employee__employee_no")):
        by_unit[o.employee.org_unit_id].missing.append(o.employee)
    ordered = sorted(by_unit.values(), key=lambda u: (u.unit is None, u.unit.code if u.unit else ""))
    return Coverage(cycle, ordered)


def coverage_totals(campaigns) -> dict[int, tuple[int, int]]:
    """{campaign id: (owed, met)} of the campaigns' enterprise-quarters, in one query."""
    pairs = {(c.enterprise_id, c.cycle) for c in campaigns}
    if not pairs:
        return {}
    which = Q()
    for enterprise_id, cycle in pairs:
        which |= Q(employee__enterprise_id=enterprise_id, cycle=cycle)
    rows = (Obligation.objects.filter(which, kind=ObligationKind.WARNING).exclude(status=Obligation.Status.VOID)
            .values("employee__enterprise_id", "cycle")
            .annotate(owed=Count("pk"), met=Count("pk", filter=Q(status=Obligation.Status.MET))))
    by_pair = {(r["employee__enterprise_id"], r["cycle"]): (r["owed"], r["met"]) for r in rows}
    return {c.pk: by_pair.get((c.enterprise_id, c.cycle), (0, 0)) for c in campaigns}


@dataclass
class ViolationEntry:
    event: EmploymentEvent
    obligations: list = field(default_factory=list)  # off-post retraining it triggered


def violation_history(employee: Employee) -> list[ViolationEntry]:
    """The person's violations (违规违章), newest first, each with the off-post
    retraining it triggered and whether that is met. Two queries."""
    events = list(employee.events.filter(type=EmploymentEvent.Type.VIOLATION).select_related("post", "corrects")
                  .order_by("-date", "-pk"))
    obligations = defaultdict(list)
    for o in Obligation.objects.filter(employee=employee, kind=ObligationKind.OFF_POST, event__in=events).order_by("pk"):
        obligations[o.event_id].append(o)
    return [ViolationEntry(e, obligations.get(e.pk, [])) for e in events]
