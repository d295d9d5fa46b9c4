"""Reads of offline sessions (线下培训) and of the attendance flow: who may
plan or run a session, the sessions a user sees or runs, the trainers and
course pages a session may name, who owes what a session teaches, a
session's attendance list and counts, the code its screen shows, and the
learner's and trainer's portal lists. Writes are in :mod:`.services`.

Time: every read that depends on the clock takes ``now`` (tests pass it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from lms.accounts.admin_scoping import admin_scope
from lms.accounts.models import Membership, User
from lms.accounts.roles import WORKFORCE_READ_ROLES, Capability, Role
from lms.accounts.scoping import can, enterprise_ids
from lms.archive.models import TrainingKind
from lms.compliance.models import Obligation
from lms.compliance.services import COUNTS_TOWARDS
from lms.workforce.models import Employee, OrgUnit

from .models import Attendance, OfflineSession

# Roles that see every session of their enterprise (a trainer sees their own).
FULL_VIEW_ROLES = WORKFORCE_READ_ROLES - {Role.TRAINER}

# Which obligation kinds a record of a given training kind counts towards
# (the inverse of lms.compliance.services.COUNTS_TOWARDS).
OBLIGATIONS_FOR_KIND = {
    kind: {ob for ob, kinds in COUNTS_TOWARDS.items() if kind in kinds} for kind in TrainingKind.values
}

# What the attendance counts of a target count (courses.offline.attendance: AttendanceFlow.screen_counts).
_COUNTS = {
    "invited": lambda: Count("pk"),
    "checked_in": lambda: Count("pk", filter=Q(check_in_at__isnull=False)),
    "checked_out": lambda: Count("pk", filter=Q(check_out_at__isnull=False)),
}


def _now(now):
    return now or timezone.now()


# --- who may do what --------------------------------------------------------------------


def may_plan(user, enterprise_id: int) -> bool:
    return user is not None and can(user, Capability.CHANGE, enterprise_id)


def may_run(user, session: OfflineSession) -> bool:
    """The session's trainer, or a planner of its enterprise (or the system)."""
    if user is None:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    if user.pk == session.trainer_id and can(user, Capability.VIEW, session.enterprise_id):
        return True
    return may_plan(user, session.enterprise_id)


def sessions_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    """Sessions ``user`` may see: all of the enterprises where a role other
    than trainer lets them read the enterprise's records; in the others, the
    sessions they teach. Another enterprise's session is never among them."""
    queryset = OfflineSession.objects.all() if queryset is None else queryset
    queryset = admin_scope(queryset, user, Capability.VIEW)
    if user.is_superuser:
        return queryset
    full = {ent for ent, role in user.role_pairs() if role in FULL_VIEW_ROLES}
    return queryset.filter(Q(enterprise_id__in=full) | Q(trainer=user))


def sessions_runnable_by(user, queryset: QuerySet | None = None) -> QuerySet:
    queryset = sessions_visible_to(user, queryset)
    if user.is_superuser:
        return queryset
    planners = enterprise_ids(user, Capability.CHANGE) or frozenset()
    return queryset.filter(Q(enterprise_id__in=planners) | Q(trainer=user))


def session_for_user(user, pk: int) -> OfflineSession | None:
    """Session ``pk`` if ``user`` may see it (with what its pages show), else None."""
    queryset = OfflineSession.objects.select_related("enterprise", "trainer", "post", "course")
    return sessions_visible_to(user, queryset).filter(pk=pk).first()


def trainers_for(enterprise_ids) -> QuerySet:
    """Users holding the trainer role in one of ``enterprise_ids`` (None: any)."""
    members = Membership.objects.filter(role=Role.TRAINER, is_active=True)
    if enterprise_ids is not None:
        members = members.filter(enterprise_id__in=enterprise_ids)
    return User.objects.filter(is_active=True, pk__in=members.values("user_id")).order_by("full_name", "email")


def course_pages_for(enterprise_ids) -> QuerySet | None:
    """Live course pages (``courses.CoursePage``) a session of these
    enterprises may name: shared ones and the enterprises' own; None if the
    online-learning app is not installed."""
    try:
        course_page = apps.get_model("courses", "CoursePage")
    except LookupError:
        return None
    qs = course_page.objects.live()
    if enterprise_ids is not None:
        qs = qs.filter(Q(enterprise__isnull=True) | Q(enterprise_id__in=enterprise_ids))
    return qs.order_by("title")


def session_employees(session: OfflineSession, *, pks=None, numbers=None) -> list[Employee]:
    """People of the session's enterprise with these ids or these 工号 (for an invitation)."""
    qs = Employee.objects.filter(enterprise_id=session.enterprise_id)
    if pks is not None:
        qs = qs.filter(pk__in=pks)
    if numbers is not None:
        qs = qs.filter(employee_no__in=numbers)
    return list(qs)


# --- who owes it: candidates for invitation -------------------------------------------------


@dataclass
class Candidate:
    employee: Employee
    obligations: list[Obligation] = field(default_factory=list)

    @property
    def due_date(self) -> dt.date:
        return min(o.due_date for o in self.obligations)

    @property
    def missing_hours(self) -> Decimal:
        return max(o.missing_hours for o in self.obligations)


def _unit_subtree(enterprise_id: int, roots) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for pk, parent in OrgUnit.objects.filter(enterprise_id=enterprise_id).values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    out, stack = set(), [u.pk for u in roots]
    while stack:
        pk = stack.pop()
        if pk not in out:
            out.add(pk)
            stack.extend(children.get(pk, ()))
    return out


def matching_obligations(session: OfflineSession) -> QuerySet:
    """Open obligations in the session's enterprise and audience that its
    record would count towards (kind, level, post and date window, as
    :func:`lms.compliance.services.evaluate` counts them)."""
    day = timezone.localtime(session.end_at).date()
    qs = Obligation.objects.open().filter(
        employee__enterprise_id=session.enterprise_id,
        employee__status=Employee.Status.ACTIVE,
        kind__in=OBLIGATIONS_FOR_KIND.get(session.kind, ()),
        start_date__lte=day,
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
    qs = qs.filter(Q(level="") | Q(level=session.level))
    if session.post_id:
        qs = qs.filter(Q(post__isnull=True) | Q(post_id=session.post_id))
    units = list(session.audience_units.all())
    if units:
        qs = qs.filter(employee__org_unit_id__in=_unit_subtree(session.enterprise_id, units))
    return qs


def session_candidates(session: OfflineSession) -> list[Candidate]:
    """People who owe what this session teaches and are not invited yet, the
    most urgent first (earliest due date), in a constant number of queries."""
    invited = set(session.attendances.values_list("employee_id", flat=True))
    by_employee: dict[int, Candidate] = {}
    for o in matching_obligations(session).select_related("employee__org_unit", "post").order_by("due_date", "pk"):
        if o.employee_id in invited:
            continue
        by_employee.setdefault(o.employee_id, Candidate(o.employee)).obligations.append(o)
    return sorted(by_employee.values(), key=lambda c: (c.due_date, c.employee.employee_no))


# --- on site -------------------------------------------------------------------------------------


def screen_token(session: OfflineSession, purpose: str, *, now: dt.datetime | None = None) -> str:
    """The code the trainer's screen shows at ``now``."""
    return session.checkin_token(purpose, _now(now))


def attendances_of(session: OfflineSession) -> list[Attendance]:
    """The session's list (签到管理), in 工号 order, with unit and record."""
    return list(session.attendances.select_related("employee__org_unit", "record").order_by("employee__employee_no"))


def attendance_of(session: OfflineSession, attendance_pk: int) -> Attendance | None:
    """One row of the session's list, or None."""
    return Attendance.objects.select_related("employee").filter(pk=attendance_pk, session=session).first()


def attendance_counts(target, keys=("invited", "checked_in", "checked_out")) -> dict[str, int]:
    """Counts of ``target``'s attendance rows (an offline session, a warning
    meeting: anything with ``attendances``) in one query: ``invited`` (every
    row), ``checked_in``, ``checked_out`` — those of ``keys``."""
    if not keys:
        return {}
    return target.attendances.aggregate(**{key: _COUNTS[key]() for key in keys})


# --- for the learner's portal ---------------------------------------------------------------------


def my_invitations(user, *, now: dt.datetime | None = None) -> list[Attendance]:
    """The user's invitations to sessions that have not ended more than a day ago."""
    now = _now(now)
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        Attendance.objects.filter(
            employee__user=user, session__status=OfflineSession.Status.PLANNED, session__end_at__gte=now - dt.timedelta(days=1)
        )
        .select_related("session__enterprise", "session__trainer", "employee")
        .order_by("session__start_at")
    )


def my_sessions_to_run(user, *, now: dt.datetime | None = None) -> list[OfflineSession]:
    """Planned sessions the user teaches (for the trainer's portal links)."""
    now = _now(now)
    if not getattr(user, "is_authenticated", False):
        return []
    if not user.is_superuser and not any(role == Role.TRAINER for _e, role in user.role_pairs()):
        return []  # no query for the many who teach nothing (role_pairs is cached per request)
    return list(
        sessions_visible_to(user)
        .filter(trainer=user, status=OfflineSession.Status.PLANNED, end_at__gte=now - dt.timedelta(days=7))
        .select_related("enterprise")
        .order_by("start_at")[:20]
    )
