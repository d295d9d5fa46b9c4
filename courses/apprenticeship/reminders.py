"""The daily reminder run (Celery beat, see migrations/0002): each missing
weekly entry is reminded once (in-app notice and e-mail to the apprentice,
copy to the mentor), and HR is told once when a running apprenticeship has
lost its footing (mentor on leave or off the post, apprentice on leave).

Safe to run twice at once, or to kill and run again: each reminder is
claimed by inserting its unique key (``Reminder``) in the transaction that
writes its notices (lms.compliance.notices, whose outbox sends the e-mails
after commit)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from lms.accounts.models import Membership
from lms.accounts.roles import Role
from lms.compliance.notices import notify
from lms.workforce.models import Employee, PostAssignment

from .models import Apprenticeship, Reminder, WeeklyLog
from .selectors import weeks_due

logger = logging.getLogger(__name__)

HR_ROLES = (Role.HR, Role.ENTERPRISE_ADMIN)


@dataclass
class ReminderResult:
    apprenticeships: int = 0
    missing_weeks: int = 0
    alerts: int = 0
    notices: int = 0
    emails: int = 0  # handed to the outbox (sent after commit)


def _claim(apprenticeship_id: int, key: str) -> bool:
    try:
        with transaction.atomic():
            Reminder.objects.create(apprenticeship_id=apprenticeship_id, key=key)
    except IntegrityError:
        return False
    return True


def _remind_once(a: Apprenticeship, key: str, users, result: ReminderResult, *, title: str, body: str,
                 link: str) -> bool:
    """Claim reminder ``key`` of ``a`` and tell ``users``, in one
    transaction; False if another run has claimed it."""
    with transaction.atomic():
        if not _claim(a.pk, key):
            return False
        notified = notify(users, key=f"apprenticeship:{a.pk}:{key}", title=title, body=body, link=link,
                          enterprise_id=a.apprentice.enterprise_id)
    result.notices += notified.notices
    result.emails += notified.emails
    return True


def _problems(a: Apprenticeship, on_post_mentors: set[tuple[int, int]], today: dt.date) -> list[str]:
    out = []
    if a.mentor.status != Employee.Status.ACTIVE:
        out.append("mentor_on_leave")
    elif (a.mentor_id, a.post_id) not in on_post_mentors:
        out.append("mentor_off_post")
    if a.apprentice.status != Employee.Status.ACTIVE:
        out.append("apprentice_on_leave")
    return out


PROBLEM_TEXT = {
    "mentor_on_leave": "师傅已离岗，请终止本次师带徒并重新指定师傅",
    "mentor_off_post": "师傅已不在该岗位上，请终止本次师带徒并重新指定师傅",
    "apprentice_on_leave": "徒弟已离岗，请记录终止原因",
}


def remind(*, today: dt.date | None = None) -> ReminderResult:
    """Remind every missing weekly entry once; alert HR to broken pairings once."""
    today = today or timezone.localdate()
    result = ReminderResult()
    running = list(
        Apprenticeship.objects.filter(status=Apprenticeship.Status.RUNNING)
        .select_related("apprentice__user", "apprentice__enterprise", "mentor__user", "post")
        .order_by("pk")
    )
    result.apprenticeships = len(running)
    if not running:
        return result
    ids = [a.pk for a in running]
    logged: dict[int, set[dt.date]] = {}
    for a_id, week in WeeklyLog.objects.filter(apprenticeship_id__in=ids).values_list("apprenticeship_id", "week_start"):
        logged.setdefault(a_id, set()).add(week)
    sent = set(Reminder.objects.filter(apprenticeship_id__in=ids).values_list("apprenticeship_id", "key"))
    on_post_mentors = set(
        PostAssignment.objects.filter(
            employee_id__in={a.mentor_id for a in running}, kind=PostAssignment.Kind.REGULAR, start_date__lte=today
        ).filter(Q(end_date__isnull=True) | Q(end_date__gte=today)).values_list("employee_id", "post_id")
    )
    hr: dict[int, list] = {}
    for m in Membership.objects.filter(role__in=HR_ROLES, is_active=True, user__is_active=True).select_related("user"):
        hr.setdefault(m.enterprise_id, []).append(m.user)
    site = getattr(settings, "WAGTAILADMIN_BASE_URL", "")
    for a in running:
        link = reverse("apprenticeship:detail", args=(a.pk,))
        for problem in _problems(a, on_post_mentors, today):
            key = f"alert:{problem}"
            if (a.pk, key) in sent:
                continue
            title = f"师带徒需处理：{a.apprentice.name}（{a.post.name}）"
            body = f"{PROBLEM_TEXT[problem]}。师傅：{a.mentor.name}；开始日期：{a.start_date}。\n{site}/admin/"
            if _remind_once(a, key, hr.get(a.apprentice.enterprise_id, []), result, title=title, body=body,
                            link="/admin/"):
                result.alerts += 1
        for week in weeks_due(a, today):
            key = f"week:{week.isoformat()}"
            if week in logged.get(a.pk, set()) or (a.pk, key) in sent:
                continue
            ctx = {"a": a, "week": week, "week_end": week + dt.timedelta(days=6), "site": site, "link": link}
            title = render_to_string("apprenticeship/emails/missing-week-subject.txt", ctx).strip()
            body = render_to_string("apprenticeship/emails/missing-week-body.txt", ctx)
            if _remind_once(a, key, (a.apprentice.user, a.mentor.user), result, title=title, body=body, link=link):
                result.missing_weeks += 1
    logger.info("apprenticeship reminders %s: %s", today, result)
    return result
