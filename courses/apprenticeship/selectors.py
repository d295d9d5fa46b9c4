"""Reads of 师带徒: the mentor rules and whether someone may mentor, who is
who on an apprenticeship (apprentice, mentor, workshop head), the weeks a
log is due for, whether it may be signed off, and the apprenticeships,
logs and evaluations a user may read (我的师带徒, the detail page, the API).
Writes are in :mod:`.services`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.accounts.scoping import scope
from lms.compliance.models import Obligation, ObligationKind
from lms.compliance.periods import at_least_months, months_elapsed
from lms.compliance.selectors import clearance
from lms.workforce.models import Employee, Post, PostAssignment

from .models import (
    Apprenticeship,
    ApprenticeshipPolicy,
    MonthlyEvaluation,
    PracticalAssessment,
    WeeklyLog,
    WorkshopHead,
    week_start_of,
)

# --- rules -------------------------------------------------------------------------


@dataclass(frozen=True)
class MentorRules:
    min_years: int
    max_apprentices: int
    pass_score: int


def mentor_rules(enterprise) -> MentorRules:
    """The enterprise's own mentor rules, else the platform settings."""
    policy = ApprenticeshipPolicy.objects.filter(enterprise=enterprise).first()
    if policy is not None:
        return MentorRules(policy.mentor_min_years, policy.mentor_max_apprentices, policy.pass_score)
    return MentorRules(
        settings.ANXUN_MENTOR_MIN_YEARS, settings.ANXUN_MENTOR_MAX_APPRENTICES, settings.ANXUN_APPRENTICE_PASS_SCORE
    )


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def mentor_on_post_since(mentor: Employee, post: Post, on_date: dt.date) -> dt.date | None:
    """Since when ``mentor`` has worked ``post`` without a break up to
    ``on_date`` as a regular worker (the same reading as the gate's)."""
    return (
        mentor.assignments.filter(post=post, kind=PostAssignment.Kind.REGULAR, start_date__lte=on_date)
        .filter(models.Q(end_date__isnull=True) | models.Q(end_date__gte=on_date))
        .order_by("start_date")
        .values_list("start_date", flat=True)
        .first()
    )


def mentor_refusals(*, mentor: Employee, post: Post, on_date: dt.date, rules: MentorRules | None = None) -> list[str]:
    """Why ``mentor`` may not take an apprentice on ``post`` on ``on_date``
    (empty: eligible). RULES.md 师带徒: cleared for the post, ≥ N years on
    it, fewer than the maximum number of apprentices at once."""
    rules = rules or mentor_rules(post.enterprise)
    out = []
    if mentor.status != Employee.Status.ACTIVE:
        out.append(_("师傅处于离岗状态"))
    check = clearance(mentor, post, on_date)
    if not check.cleared:
        out.append(_("师傅本人未取得该岗位的上岗资格：") + "；".join(r.message for r in check.reasons))
    since = mentor_on_post_since(mentor, post, on_date)
    if since is None:
        out.append(_("师傅必须正在该岗位上工作"))
    elif since > _years_before(on_date, rules.min_years):
        out.append(_("师傅在该岗位工作不满 %(n)s 年（自 %(d)s 起）") % {"n": rules.min_years, "d": since.isoformat()})
    running = Apprenticeship.objects.filter(mentor=mentor, status=Apprenticeship.Status.RUNNING).count()
    if running >= rules.max_apprentices:
        out.append(_("该师傅已带 %(n)s 名徒弟，已达上限 %(max)s 名") % {"n": running, "max": rules.max_apprentices})
    if mentor.user_id is None:
        out.append(_("师傅没有登录账号，无法确认周记和签字；请先为其开通账号"))
    return out


def open_apprenticeship_obligation(apprentice: Employee, post: Post) -> Obligation | None:
    """The apprentice's open 师带徒 obligation for ``post`` (the latest), or None."""
    return (
        Obligation.objects.filter(
            employee=apprentice, post=post, kind=ObligationKind.APPRENTICESHIP, status=Obligation.Status.OPEN
        )
        .order_by("-start_date", "-pk")
        .first()
    )


# --- who is who --------------------------------------------------------------------


def is_apprentice(apprenticeship: Apprenticeship, user) -> bool:
    return bool(getattr(user, "pk", None)) and apprenticeship.apprentice.user_id == user.pk


def is_mentor(apprenticeship: Apprenticeship, user) -> bool:
    return bool(getattr(user, "pk", None)) and apprenticeship.mentor.user_id == user.pk


def is_workshop_head(apprenticeship: Apprenticeship, user, on_date: dt.date | None = None) -> bool:
    if not getattr(user, "pk", None) or apprenticeship.workshop_id is None:
        return False
    return (
        WorkshopHead.objects.current(on_date)
        .filter(org_unit_id=apprenticeship.workshop_id, employee__user=user, employee__enterprise_id=apprenticeship.apprentice.enterprise_id)
        .exists()
    )


def workshop_head_name(apprenticeship: Apprenticeship, actor) -> str:
    """The name a workshop head signs with (their employee name)."""
    head = (
        WorkshopHead.objects.current().filter(org_unit_id=apprenticeship.workshop_id, employee__user=actor)
        .select_related("employee").first()
    )
    return head.employee.name if head else str(actor)


# --- the weekly log and the sign-off -----------------------------------------------


def weeks_due(apprenticeship: Apprenticeship, today: dt.date | None = None) -> list[dt.date]:
    """Mondays of the weeks that are over (Sunday passed) while this pairing ran."""
    today = today or timezone.localdate()
    last_day = today - dt.timedelta(days=1)
    if apprenticeship.ended_on:
        last_day = min(last_day, apprenticeship.ended_on)
    if apprenticeship.completed_on:
        last_day = min(last_day, apprenticeship.completed_on)
    weeks, monday = [], week_start_of(apprenticeship.start_date)
    while monday + dt.timedelta(days=6) <= last_day:
        weeks.append(monday)
        monday += dt.timedelta(days=7)
    return weeks


@dataclass
class Readiness:
    """What still stands between an apprenticeship and its sign-off."""

    missing: list[str]
    missing_weeks: list[dt.date]
    confirmed_hours: Decimal
    assessment: PracticalAssessment | None

    @property
    def ready(self) -> bool:
        return not self.missing


def readiness(apprenticeship: Apprenticeship, today: dt.date | None = None) -> Readiness:
    """Whether the apprenticeship may be signed off today, and why not."""
    today = today or timezone.localdate()
    chain = apprenticeship.chain_ids()
    logs = list(WeeklyLog.objects.filter(apprenticeship_id__in=chain))
    evaluations = MonthlyEvaluation.objects.filter(apprenticeship_id__in=chain).count()
    assessment = (
        PracticalAssessment.objects.filter(apprenticeship=apprenticeship, passed=True).order_by("-assessed_on", "-pk").first()
    )
    missing = []
    if apprenticeship.status != Apprenticeship.Status.RUNNING:
        missing.append(_("该师带徒已%(s)s") % {"s": apprenticeship.get_status_display()})
    if not at_least_months(apprenticeship.first_start, today, apprenticeship.months):
        # 办法 §23: at least (以上, 民法典 §1259) the set months under the
        # mentor before working alone; §202 counts them (planned_end).
        missing.append(_("师带徒期限未满（%(m)s 个月，%(d)s 期满）") % {"m": apprenticeship.months, "d": apprenticeship.planned_end})
    confirmed = [entry for entry in logs if entry.is_confirmed]
    if not confirmed:
        missing.append(_("没有经师傅确认的周记"))
    pending = [entry for entry in logs if not entry.is_confirmed]
    if pending:
        missing.append(_("还有 %(n)s 篇周记待师傅确认") % {"n": len(pending)})
    months_served = max(1, months_elapsed(apprenticeship.first_start, today))
    if evaluations < months_served:
        missing.append(_("月度评价不足：已评价 %(n)s 个月，应评价 %(m)s 个月") % {"n": evaluations, "m": months_served})
    if assessment is None:
        missing.append(_("出师考核未通过或未进行"))
    logged = {entry.week_start for entry in logs if entry.apprenticeship_id == apprenticeship.pk}
    missing_weeks = [w for w in weeks_due(apprenticeship, today) if w not in logged]
    return Readiness(missing, missing_weeks, sum((e.hours for e in confirmed), Decimal("0")), assessment)


# --- what a user reads -------------------------------------------------------------


def apprenticeships_for(user) -> QuerySet:
    """Apprenticeships ``user`` may read: scoped ones (HR, managers,
    regulators of the region, the apprentice themself), the ones they mentor,
    and the running ones of a workshop they head."""
    base = Apprenticeship.objects.all()
    headed = WorkshopHead.objects.current().filter(employee__user=user).values("org_unit_id")
    return base.filter(
        Q(pk__in=scope(base, user).values("pk")) | Q(mentor__user=user) | Q(workshop_id__in=headed)
    )


def apprenticeship_for_user(user, pk: int) -> Apprenticeship | None:
    """Apprenticeship ``pk`` if ``user`` may read it (with what its pages show), else None."""
    return apprenticeships_for(user).select_related(
        "apprentice__enterprise", "apprentice__user", "mentor__user", "post__org_unit", "workshop", "record",
        "previous",
    ).filter(pk=pk).first()


@dataclass
class MyApprenticeships:
    as_apprentice: list[Apprenticeship]
    as_mentor: list[Apprenticeship]  # each with ``pending_count``: weekly logs waiting for confirmation
    as_head: list[Apprenticeship]


def apprenticeships_of(user) -> MyApprenticeships:
    """我的师带徒: the user's apprenticeships as apprentice, as mentor (with the
    logs waiting for them) and the running ones of a workshop they head."""
    qs = apprenticeships_for(user).select_related("apprentice", "mentor", "post").order_by("-start_date", "-pk")
    as_apprentice = list(qs.filter(apprentice__user=user))
    as_mentor = list(qs.filter(mentor__user=user))
    headed = WorkshopHead.objects.current().filter(employee__user=user).values("org_unit_id")
    as_head = list(qs.filter(workshop_id__in=headed, status=Apprenticeship.Status.RUNNING).exclude(mentor__user=user))
    pending: dict[int, int] = {}
    if as_mentor:
        for a_id in WeeklyLog.objects.filter(apprenticeship__in=[a.pk for a in as_mentor], confirmed_at__isnull=True).values_list(
            "apprenticeship_id", flat=True
        ):
            pending[a_id] = pending.get(a_id, 0) + 1
    for a in as_mentor:
        a.pending_count = pending.get(a.pk, 0)
    return MyApprenticeships(as_apprentice, as_mentor, as_head)


def weekly_logs_of(apprenticeship: Apprenticeship) -> list[WeeklyLog]:
    """The weekly logs of the apprenticeship and the pairings before it, newest week first."""
    return list(WeeklyLog.objects.filter(apprenticeship_id__in=apprenticeship.chain_ids())
                .select_related("confirmed_by").order_by("-week_start"))


def weekly_log_of(apprenticeship: Apprenticeship, pk: int) -> WeeklyLog | None:
    return WeeklyLog.objects.filter(apprenticeship=apprenticeship, pk=pk).first()


def evaluations_of(apprenticeship: Apprenticeship) -> list[MonthlyEvaluation]:
    """The monthly evaluations of the apprenticeship and the pairings before it, newest first."""
    return list(MonthlyEvaluation.objects.filter(apprenticeship_id__in=apprenticeship.chain_ids()).order_by("-month"))


def assessments_of(apprenticeship: Apprenticeship) -> list[PracticalAssessment]:
    return list(apprenticeship.assessments.order_by("-assessed_on", "-pk"))


def apprenticeships_of_employee(employee: Employee, user, *, status: str | None = None) -> QuerySet:
    """An employee's apprenticeships ``user`` may read, oldest first (the API)."""
    qs = scope(Apprenticeship.objects.filter(apprentice=employee).select_related("mentor", "post"), user)
    if status is not None:
        qs = qs.filter(status=status)
    return qs.order_by("first_start", "start_date", "pk")
